/* The workflow's decisions (see workflow.h). */
#include "autoconf.h"
#include "workflow.h"

int
workflow_may_answer(int answers_last_hour, int per_hour)
{
	return answers_last_hour < per_hour;
}

void
workflow_request(const struct wf_request_in *in, struct wf_request_out *out)
{
	int	 may = workflow_may_answer(in->answers_last_hour, in->answers_per_hour);

	out->joined_to = 0;
	out->authenticated_by = NULL;
	if (in->problems != 0) {
		out->state = "invalid";
		out->why = "the SOP step-5 checks found problems";
		/* A stranger learns nothing, at most once a day. */
		if (!in->sender_known && !in->dmarc_pass)
			out->answer = may && !in->generic_today ?
			    ANSWER_GENERIC : ANSWER_NONE;
		else
			out->answer = may && !in->same_error_today ?
			    ANSWER_INVALID : ANSWER_NONE;
		return;
	}
	/* Join only an authenticated open request: an unconfirmed one may
	 * be a forgery that the holder never confirms. */
	if (in->open_authenticated != 0) {
		out->state = NULL;
		out->joined_to = in->open_authenticated;
		out->why = "joined to the open request for the same certificate";
		out->answer = may ? ANSWER_JOINED : ANSWER_NONE;
		return;
	}
	switch (in->confirm) {
	case CONFIRM_NO:
		out->state = "pending_approval";
		out->authenticated_by = "none";
		out->why = "checks passed; confirm_requester = no";
		out->answer = may ? ANSWER_RECEIVED : ANSWER_NONE;
		return;
	case CONFIRM_AUTO:
		if (in->dmarc_pass) {
			out->state = "pending_approval";
			out->authenticated_by = "dmarc";
			out->why = "checks passed; DMARC pass from the trusted server";
			out->answer = may ? ANSWER_RECEIVED : ANSWER_NONE;
			return;
		}
		break;
	case CONFIRM_YES:
		break;
	}
	/* The limit holds for confirmations too: forged requests must not
	 * flood a holder's mailbox. Past it the request waits and expires. */
	out->state = "awaiting_confirmation";
	out->why = "checks passed; waiting for the holder's confirmation";
	out->answer = may ? ANSWER_CONFIRM : ANSWER_NONE;
}

const char *
workflow_answer_template(enum wf_answer a)
{
	switch (a) {
	case ANSWER_RECEIVED:	return "received";
	case ANSWER_INVALID:	return "invalid";
	case ANSWER_CONFIRM:	return "confirm";
	case ANSWER_JOINED:	return "joined";
	case ANSWER_GENERIC:	return "generic";
	case ANSWER_NONE:	break;
	}
	return NULL;
}
