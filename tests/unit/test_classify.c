/* classify: every kind of automatic mail is recognised, tokens are found
 * only where SPEC allows (plus address, In-Reply-To, References). */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define TOK1	"abcdefghijklmnopqrstuvwxyz234567"
#define TOK2	"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz2"

static const struct classify_ctx ctx = {
	.own_addr = "cabut@example.test",
	.reply_local = "cabut",
	.reply_domain = "example.test",
};

/* A message with From, To and the given extra headers ("Name", "value",
 * ..., NULL). */
static struct message *
mk(const char *from, const char *to, ...)
{
	struct message	*m = xcalloc(1, sizeof(*m));
	const char	*name, *value;
	va_list		 ap;

	m->from.addr = from ? xstrdup(from) : NULL;
	m->text = xstrdup("");
	m->headers = xcalloc(16, sizeof(*m->headers));
	if (to != NULL) {
		m->to = xcalloc(1, sizeof(char *));
		m->to[0] = xstrdup(to);
		m->nto = 1;
	}
	va_start(ap, to);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		m->headers[m->nheaders].name = xstrdup(name);
		m->headers[m->nheaders].value = xstrdup(value);
		m->nheaders++;
		if (strcasecmp(name, "In-Reply-To") == 0)
			m->in_reply_to = xstrdup(value);
		if (strcasecmp(name, "References") == 0)
			m->references = xstrdup(value);
		if (strcasecmp(name, "Return-Path") == 0)
			m->return_path = xstrdup(value);
		if (strcasecmp(name, "Content-Type") == 0)
			m->content_type = xstrdup(value);
	}
	va_end(ap);
	return m;
}

static void
expect_class(struct message *m, enum mail_class want, const char *why_part,
    size_t ntokens)
{
	struct classification	 c;

	classify(&ctx, m, &c);
	assert_int_equal(c.cls, want);
	if (why_part != NULL && strstr(c.why, why_part) == NULL)
		fail_msg("why '%s' lacks '%s'", c.why, why_part);
	assert_int_equal(c.ntokens, ntokens);
	classification_clear(&c);
	message_free(&m);
}

static void
test_request(void **state)
{
	expect_class(mk("pemohon@example.test", "cabut@example.test", NULL),
	    CLASS_REQUEST, "request", 0);
	/* Auto-Submitted: no is a person. */
	expect_class(mk("pemohon@example.test", "cabut@example.test",
	    "Auto-Submitted", "No", NULL), CLASS_REQUEST, NULL, 0);
	/* Precedence: first-class is not bulk. */
	expect_class(mk("pemohon@example.test", "cabut@example.test",
	    "Precedence", "first-class", NULL), CLASS_REQUEST, NULL, 0);
	/* Someone merely named "bounce-x" is fine, "noreply" is not. */
	expect_class(mk("bounce.budi@example.test", "cabut@example.test", NULL),
	    CLASS_REQUEST, NULL, 0);
}

static void
test_automatic(void **state)
{
	static const struct { const char *h, *v, *why; } cases[] = {
		{ "Auto-Submitted", "auto-replied", "Auto-Submitted" },
		{ "Auto-Submitted", "auto-generated; owner-email=x@y", "Auto-Submitted" },
		{ "auto-submitted", "AUTO-NOTIFIED", "Auto-Submitted" },
		{ "Precedence", "bulk", "Precedence" },
		{ "Precedence", "JUNK", "Precedence" },
		{ "Precedence", " list", "Precedence" },
		{ "List-Id", "<pengumuman.example.test>", "List-Id" },
		{ "List-Unsubscribe", "<mailto:x@y>", "List-Unsubscribe" },
		{ "X-Autoreply", "yes", "auto-reply" },
		{ "X-Autorespond", "yes", "auto-reply" },
		{ "Return-Path", "", "empty return path" },
		{ "Return-Path", "mailer-daemon@example.test", "return path" },
		{ "Content-Type", "multipart/report", "report" },
		{ "X-Cabut-Loop", "1", "itself" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_class(mk("pemohon@example.test", "cabut@example.test",
		    cases[i].h, cases[i].v, NULL), CLASS_AUTOMATIC, cases[i].why, 0);
}

static void
test_senders(void **state)
{
	static const char *const automatic[] = {
		"MAILER-DAEMON@example.test", "postmaster@example.test",
		"noreply@bsre.example", "no-reply@example.test",
		"noreply+abc@example.test", "do-not-reply@example.test",
		"cabut@example.test", "CABUT@Example.Test",
	};
	size_t	 i;

	for (i = 0; i < sizeof(automatic) / sizeof(automatic[0]); i++)
		expect_class(mk(automatic[i], "cabut@example.test", NULL),
		    CLASS_AUTOMATIC, NULL, 0);
	expect_class(mk(NULL, "cabut@example.test", NULL), CLASS_AUTOMATIC,
	    "no From", 0);
}

static void
test_report_attachment(void **state)
{
	struct message	*m = mk("x@example.test", "cabut@example.test", NULL);

	m->attachments = xcalloc(1, sizeof(*m->attachments));
	m->nattachments = 1;
	m->attachments[0].declared_type = xstrdup("message/disposition-notification");
	expect_class(m, CLASS_AUTOMATIC, "read receipt", 0);
}

static void
test_tokens(void **state)
{
	/* Plus address. */
	expect_class(mk("op1@example.test", "cabut+" TOK1 "@example.test", NULL),
	    CLASS_REPLY, "token", 1);
	/* In-Reply-To / References with cabut.TOKEN@domain. */
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "In-Reply-To", "cabut." TOK1 "@example.test", NULL), CLASS_REPLY, NULL, 1);
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "References", "x@y cabut." TOK1 "@example.test z@w", NULL),
	    CLASS_REPLY, NULL, 1);
	/* The same token twice counts once. */
	expect_class(mk("op1@example.test", "cabut+" TOK1 "@example.test",
	    "In-Reply-To", "cabut." TOK1 "@example.test", NULL), CLASS_REPLY,
	    "a cabut token", 1);
	/* Two different tokens: found both (token.c refuses the mail). */
	expect_class(mk("op1@example.test", "cabut+" TOK1 "@example.test",
	    "References", "cabut." TOK2 "@example.test", NULL), CLASS_REPLY,
	    "more than one", 2);
	/* Delivered-To when Exchange dropped the plus address from To. */
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "Delivered-To", "<cabut+" TOK1 "@example.test>", NULL), CLASS_REPLY,
	    NULL, 1);
}

static void
test_not_tokens(void **state)
{
	/* Other domains, other local parts, wrong shapes, Subject/body. */
	expect_class(mk("op1@example.test", "cabut+" TOK1 "@evil.test", NULL),
	    CLASS_REQUEST, NULL, 0);
	expect_class(mk("op1@example.test", "other+" TOK1 "@example.test", NULL),
	    CLASS_REQUEST, NULL, 0);
	expect_class(mk("op1@example.test", "cabut+ABCDEFGHIJKLMNOPQRSTUVWXYZ01@example.test",
	    NULL), CLASS_REQUEST, NULL, 0);	/* 0 and 1 are not base32 */
	expect_class(mk("op1@example.test", "cabut+short@example.test", NULL),
	    CLASS_REQUEST, NULL, 0);
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "In-Reply-To", TOK1 "@example.test", NULL), CLASS_REQUEST, NULL, 0);
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "In-Reply-To", "cabut." TOK1 "@example.test.evil", NULL),
	    CLASS_REQUEST, NULL, 0);
	expect_class(mk("op1@example.test", "cabut@example.test",
	    "Subject", "Re: cabut+" TOK1 "@example.test", NULL), CLASS_REQUEST,
	    NULL, 0);
}

static void
test_token_case_folded(void **state)
{
	struct classification	 c;
	struct message		*m = mk("op1@example.test",
	    "CABUT+ABCDEFGHIJKLMNOPQRSTUVWXYZ234567@EXAMPLE.TEST", NULL);

	classify(&ctx, m, &c);
	assert_int_equal(c.cls, CLASS_REPLY);
	assert_int_equal(c.ntokens, 1);
	assert_string_equal(c.tokens[0], TOK1);
	classification_clear(&c);
	message_free(&m);
}

static void
test_automatic_keeps_tokens(void **state)
{
	/* An out-of-office answer to an approval mail: automatic, but the
	 * token is still found so it can be traced. */
	expect_class(mk("op1@example.test", "cabut+" TOK1 "@example.test",
	    "Auto-Submitted", "auto-replied", NULL), CLASS_AUTOMATIC, NULL, 1);
}

static void
test_shape(void **state)
{
	assert_true(token_shape(TOK1, strlen(TOK1)));
	assert_false(token_shape("abc", 3));
	assert_false(token_shape("abcdefghijklmnop1", 17));	/* 1 is not base32 */
	assert_true(token_shape("abcdefghijklmnopA", 17));	/* case is folded */
	assert_false(token_shape("abcdefghijklmnop-", 17));
	assert_true(token_shape("abcdefghijklmnop", 16));
	assert_false(token_shape(TOK1 TOK1, 64));		/* too long */
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_automatic),
		cmocka_unit_test(test_senders),
		cmocka_unit_test(test_report_attachment),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_not_tokens),
		cmocka_unit_test(test_automatic_keeps_tokens),
		cmocka_unit_test(test_token_case_folded),
		cmocka_unit_test(test_shape),
	};

	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
