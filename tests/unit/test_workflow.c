/* workflow: the state and answer every kind of request leads to, and the
 * limits on answers (SPEC "States", "Promises"). */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <string.h>

#include "workflow.h"

#define STR(x)	((x) ? (x) : "(null)")

static const struct wf_request_in base = {
	.problems = 0, .sender_known = 1, .dmarc_pass = 0, .confirm = CONFIRM_AUTO,
	.open_authenticated = 0, .answers_last_hour = 0, .answers_per_hour = 5,
};

static void
expect(const struct wf_request_in *in, const char *state, const char *auth,
    int64_t joined, enum wf_answer answer)
{
	struct wf_request_out	 out;

	memset(&out, 0, sizeof(out));
	workflow_request(in, &out);
	assert_string_equal(STR(out.state), STR(state));
	assert_string_equal(STR(out.authenticated_by), STR(auth));
	assert_int_equal(out.joined_to, joined);
	assert_int_equal(out.answer, answer);
	assert_non_null(out.why);
}

static void
test_authentication(void **state)
{
	struct wf_request_in	 in = base;

	/* auto: DMARC pass goes on; otherwise a confirmation round trip. */
	expect(&in, "awaiting_confirmation", NULL, 0, ANSWER_CONFIRM);
	in.dmarc_pass = 1;
	expect(&in, "pending_approval", "dmarc", 0, ANSWER_RECEIVED);
	/* yes: always confirms, even with DMARC. */
	in.confirm = CONFIRM_YES;
	expect(&in, "awaiting_confirmation", NULL, 0, ANSWER_CONFIRM);
	/* no: never confirms. */
	in.confirm = CONFIRM_NO;
	in.dmarc_pass = 0;
	expect(&in, "pending_approval", "none", 0, ANSWER_RECEIVED);
}

static void
test_invalid(void **state)
{
	struct wf_request_in	 in = base;

	in.problems = 1u << 3;
	expect(&in, "invalid", NULL, 0, ANSWER_INVALID);
	/* One error answer per sender, kind of error and day. */
	in.same_error_today = 1;
	expect(&in, "invalid", NULL, 0, ANSWER_NONE);
	/* A stranger gets the generic answer, once a day. */
	in.same_error_today = 0;
	in.sender_known = 0;
	expect(&in, "invalid", NULL, 0, ANSWER_GENERIC);
	in.generic_today = 1;
	expect(&in, "invalid", NULL, 0, ANSWER_NONE);
	/* ...unless DMARC vouches for them: then the real problems. */
	in.dmarc_pass = 1;
	expect(&in, "invalid", NULL, 0, ANSWER_INVALID);
}

static void
test_joining(void **state)
{
	struct wf_request_in	 in = base;

	in.open_authenticated = 17;
	expect(&in, NULL, NULL, 17, ANSWER_JOINED);
	/* Never for an invalid request. */
	in.problems = 1;
	expect(&in, "invalid", NULL, 0, ANSWER_INVALID);
}

static void
test_rate_limit(void **state)
{
	struct wf_request_in	 in = base;

	in.answers_last_hour = 5;
	expect(&in, "awaiting_confirmation", NULL, 0, ANSWER_NONE);
	in.dmarc_pass = 1;
	expect(&in, "pending_approval", "dmarc", 0, ANSWER_NONE);
	in.problems = 1;
	expect(&in, "invalid", NULL, 0, ANSWER_NONE);
	in.answers_last_hour = 4;
	expect(&in, "invalid", NULL, 0, ANSWER_INVALID);
	assert_true(workflow_may_answer(0, 1));
	assert_false(workflow_may_answer(1, 1));
	assert_false(workflow_may_answer(0, 0));	/* 0: never answer */
}

static void
test_templates(void **state)
{
	assert_string_equal(workflow_answer_template(ANSWER_RECEIVED), "received");
	assert_string_equal(workflow_answer_template(ANSWER_INVALID), "invalid");
	assert_string_equal(workflow_answer_template(ANSWER_CONFIRM), "confirm");
	assert_string_equal(workflow_answer_template(ANSWER_JOINED), "joined");
	assert_string_equal(workflow_answer_template(ANSWER_GENERIC), "generic");
	assert_null(workflow_answer_template(ANSWER_NONE));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_authentication),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_joining),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_templates),
	};

	return cmocka_run_group_tests_name("workflow", tests, NULL, NULL);
}
