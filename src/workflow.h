/* The workflow's decisions (SPEC "States", "Promises"): pure functions
 * from what is known about a mail to the state it leads to and the answer
 * it gets. No I/O; process.c gathers the inputs and carries out the
 * decision in one transaction. */
#ifndef CABUT_WORKFLOW_H
#define CABUT_WORKFLOW_H

#include <stdint.h>

#include "config.h"

enum wf_answer {
	ANSWER_NONE,
	ANSWER_RECEIVED,	/* receipt with the request number */
	ANSWER_INVALID,		/* every problem and what to do */
	ANSWER_CONFIRM,		/* confirmation to the registered address */
	ANSWER_JOINED,		/* joined to an open request */
	ANSWER_GENERIC,		/* to an unknown sender: reveals nothing */
};

struct wf_request_in {
	unsigned int	 problems;	/* request_check's bits */
	int		 sender_known;	/* the sender has a certificate in the registry */
	int		 dmarc_pass;	/* trusted Authentication-Results said pass */
	enum cfg_confirm confirm;	/* request.confirm_requester */
	int64_t		 open_authenticated;	/* an open, authenticated request for the certificate, or 0 */
	int		 answers_last_hour;	/* answers to this sender in the last hour */
	int		 answers_per_hour;	/* request.answers_per_sender_hour */
	int		 same_error_today;	/* this kind of error answered today */
	int		 generic_today;		/* a generic answer went to this sender today */
};

struct wf_request_out {
	const char	*state;		/* invalid, awaiting_confirmation, pending_approval; NULL when joined */
	const char	*authenticated_by;	/* dmarc, confirmation (later), none */
	int64_t		 joined_to;	/* the open request it joins, or 0 */
	enum wf_answer	 answer;
	const char	*why;		/* for the audit log */
};

void	workflow_request(const struct wf_request_in *, struct wf_request_out *);

/* 1 when another answer may go to this sender now. */
int	workflow_may_answer(int answers_last_hour, int per_hour);

const char	*workflow_answer_template(enum wf_answer);

#endif
