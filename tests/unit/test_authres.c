/* authres: the DMARC verdict comes from the topmost Authentication-Results
 * of the trusted server only, read by parsing: forged headers, comments
 * and malformed values never give a pass. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "message.h"
#include "util.h"

#define GMAIL	"mx.google.com; dkim=pass header.i=@x.go.id header.s=sel " \
		"header.b=abc; spf=pass (google.com: domain of a@x.go.id " \
		"designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@x.go.id; " \
		"dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=x.go.id"
#define M365	"spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=x.go.id; " \
		"dkim=pass (signature was verified) header.d=x.go.id;dmarc=pass " \
		"action=none header.from=x.go.id;compauth=pass reason=100"
#define OPENDMARC "mail.x.go.id; dmarc=pass (p=none dis=none) header.from=x.go.id"
#define TRUSTED	"mail.x.go.id"

/* A message with the given headers ("Name", "value", ..., NULL), built
 * by hand: message_parse is not what is tested here. */
static struct message *
mk(const char *name, ...)
{
	struct message	*m = xcalloc(1, sizeof(*m));
	const char	*value;
	va_list		 ap;

	m->headers = xcalloc(16, sizeof(*m->headers));
	va_start(ap, name);
	for (; name != NULL; name = va_arg(ap, const char *)) {
		value = va_arg(ap, const char *);
		assert_true(m->nheaders < 16);
		m->headers[m->nheaders].name = xstrdup(name);
		m->headers[m->nheaders].value = xstrdup(value);
		m->nheaders++;
	}
	va_end(ap);
	return m;
}

static void
mfree(struct message *m)
{
	size_t	 i;

	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m);
}

/* The verdict on m for the trusted id and from domain; m is freed. */
static void
expect(struct message *m, const char *trusted, const char *from,
    enum authres_dmarc want)
{
	static const char *const names[] = { "NONE", "PASS", "FAIL" };
	enum authres_dmarc	 got = authres_dmarc(m, trusted, from);

	mfree(m);
	if (got != want)
		fail_msg("trusted '%s', from '%s': got DMARC_%s, want DMARC_%s",
		    trusted ? trusted : "(null)", from ? from : "(null)",
		    names[got], names[want]);
}

/* authres_parse(value) is 0 with these outputs. */
static void
parses(const char *value, const char *id, const char *dmarc, const char *from)
{
	char	*id_r, *dmarc_r, *from_r;

	if (authres_parse(value, &id_r, &dmarc_r, &from_r) != 0)
		fail_msg("'%s' not parsed", value);
	assert_string_equal(id_r, id);
	assert_string_equal(dmarc_r, dmarc);
	assert_string_equal(from_r, from);
	free(id_r);
	free(dmarc_r);
	free(from_r);
}

static void
malformed(const char *value)
{
	char	*id_r, *dmarc_r, *from_r;

	if (authres_parse(value, &id_r, &dmarc_r, &from_r) != -1)
		fail_msg("'%s' parsed (id '%s', dmarc '%s', from '%s')", value,
		    id_r, dmarc_r, from_r);
	assert_null(id_r);
	assert_null(dmarc_r);
	assert_null(from_r);
}

static void
test_parse_real(void **state)
{
	parses(GMAIL, "mx.google.com", "pass", "x.go.id");
	parses(OPENDMARC, "mail.x.go.id", "pass", "x.go.id");
	/* Microsoft 365 names no authserv-id. */
	parses(M365, "", "pass", "x.go.id");
	parses("mx.x.go.id 1; dmarc=pass header.from=x.go.id", "mx.x.go.id",
	    "pass", "x.go.id");
	parses("mx.x.go.id (v1) 1 (version); dmarc=pass header.from=x.go.id",
	    "mx.x.go.id", "pass", "x.go.id");
	/* Postfix with OpenDKIM and no DMARC. */
	parses("mail.x.go.id; dkim=pass (2048-bit key; unprotected) "
	    "header.d=x.go.id header.i=@x.go.id header.b=\"Ab+/9=\"",
	    "mail.x.go.id", "", "");
	parses("mail.x.go.id; none", "mail.x.go.id", "", "");
	parses("mail.x.go.id;none (nothing checked)", "mail.x.go.id", "", "");
	parses("mail.x.go.id; dmarc=fail (p=reject dis=reject) header.from=x.go.id",
	    "mail.x.go.id", "fail", "x.go.id");
	parses("mail.x.go.id; dmarc=temperror header.from=x.go.id",
	    "mail.x.go.id", "temperror", "x.go.id");
	parses("mail.x.go.id; dmarc=none header.from=x.go.id", "mail.x.go.id",
	    "none", "x.go.id");
	/* dmarc without header.from. */
	parses("mail.x.go.id; dmarc=pass", "mail.x.go.id", "pass", "");
	/* A method version; reason=; a trailing ";". */
	parses("mail.x.go.id; dmarc/1=pass reason=\"aligned; ok\" header.from=x.go.id;",
	    "mail.x.go.id", "pass", "x.go.id");
}

static void
test_parse_case(void **state)
{
	/* Keywords case-insensitive, results and header.from lowercased,
	 * the authserv-id as written. */
	parses("MX.Google.COM; DMARC=PASS HEADER.FROM=X.GO.ID", "MX.Google.COM",
	    "pass", "x.go.id");
	parses("mail.x.go.id; DMarc=Fail Header.From=Sub.X.Go.Id", "mail.x.go.id",
	    "fail", "sub.x.go.id");
}

static void
test_parse_quoted(void **state)
{
	parses("\"mail.x.go.id\"; dmarc=pass header.from=\"X.go.id\"",
	    "mail.x.go.id", "pass", "x.go.id");
	/* ";", "(" and "=" inside quoted values are no grammar. */
	parses("mail.x.go.id; spf=pass smtp.mailfrom=\"a;b(c=d\"@x.go.id; "
	    "dmarc=pass header.from=x.go.id", "mail.x.go.id", "pass", "x.go.id");
	parses("mail.x.go.id; spf=pass reason=\"dmarc=fail; \\\"x\\\"\" "
	    "smtp.mailfrom=x.go.id; dmarc=pass header.from=\"x\\.go.id\"",
	    "mail.x.go.id", "pass", "x.go.id");
	/* A dmarc resinfo inside a quoted string is no resinfo. */
	parses("mail.x.go.id; spf=fail reason=\"; dmarc=pass header.from=x.go.id\"",
	    "mail.x.go.id", "", "");
}

static void
test_parse_comments(void **state)
{
	parses("(c) mail.x.go.id (a (b) \\) c); dmarc (x (y)) = (z) pass "
	    "(p=(none)) header (h) . (i) from (j) = (k) x.go.id (end)",
	    "mail.x.go.id", "pass", "x.go.id");
	/* dmarc=pass only inside a comment: no dmarc result. */
	parses("mail.x.go.id; spf=pass (dmarc=pass header.from=x.go.id) "
	    "smtp.mailfrom=a@x.go.id", "mail.x.go.id", "", "");
	parses("mail.x.go.id; spf=pass (x (dmarc=pass; header.from=x.go.id)) "
	    "smtp.mailfrom=a@x.go.id", "mail.x.go.id", "", "");
	/* A comment in header.from's value ends it. */
	parses("mail.x.go.id; dmarc=fail header.from=evil.test(x.go.id)",
	    "mail.x.go.id", "fail", "evil.test");
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"mail.x.go.id",
		"mail.x.go.id;",
		"mail.x.go.id dmarc=pass header.from=x.go.id",
		"mail.x.go.id; dmarc=pass (unbalanced header.from=x.go.id",
		"mail.x.go.id; dmarc=pass (a (b) header.from=x.go.id",
		"mail.x.go.id; dmarc=pass) header.from=x.go.id",
		"(mail.x.go.id; dmarc=pass header.from=x.go.id",
		"mail.x.go.id; dmarc=pass (\\",
		"mail.x.go.id; dmarc pass header.from=x.go.id",
		"mail.x.go.id; dmarc= header.from=x.go.id",
		"mail.x.go.id; =pass header.from=x.go.id",
		"mail.x.go.id; dmarc=pass header.from",
		"mail.x.go.id; dmarc=pass header.from=",
		"mail.x.go.id; dmarc=pass header.from=;",
		"mail.x.go.id; dmarc=pass header.from=\"\"",
		"mail.x.go.id; dmarc=pass header.=x.go.id",
		"mail.x.go.id; dmarc=pass header.from=\"x.go.id",
		"mail.x.go.id; dmarc=pass garbage",
		"mail.x.go.id; dmarc=pass header.from x.go.id",
		"mail.x.go.id; dmarc=pass;; dkim=pass",
		"mail.x.go.id; dmarc/=pass header.from=x.go.id",
		"mail.x.go.id 2; dmarc=pass header.from=x.go.id",
		"mail.x.go.id 99999999999999999999; dmarc=pass header.from=x.go.id",
		"mail.x.go.id 4294967297; dmarc=pass header.from=x.go.id",	/* 2^32 + 1 */
		"mail.x.go.id 18446744073709551617; dmarc=pass header.from=x.go.id",
		"mail.x.go.id; none; dmarc=pass header.from=x.go.id",
		"mail.x.go.id; none dmarc=pass header.from=x.go.id",
		"\"mail.x.go.id; dmarc=pass header.from=x.go.id",
		"@@@ !!! ???",
		"mail.x.go.id; d\xc3\xa9marc=pass header.from=x.go.id",
		/* Two dmarc results that disagree, or two header.from. */
		"mail.x.go.id; dmarc=pass header.from=x.go.id; dmarc=fail header.from=x.go.id",
		"mail.x.go.id; dmarc=pass header.from=x.go.id; dmarc=pass header.from=evil.test",
		"mail.x.go.id; dmarc=pass header.from=x.go.id header.from=evil.test",
		NULL,
	};
	size_t	 i;

	for (i = 0; bad[i] != NULL; i++)
		malformed(bad[i]);
	/* The same dmarc result twice is one result. */
	parses("mail.x.go.id; dmarc=pass header.from=x.go.id; dmarc=pass "
	    "header.from=X.GO.ID header.from=x.go.id", "mail.x.go.id", "pass",
	    "x.go.id");
}

static void
test_parse_limits(void **state)
{
	struct buf	 b;
	char		*v;
	size_t		 i;

	/* 64 resinfo parse, 65 do not. */
	buf_init(&b, 16384);
	assert_int_equal(buf_addstr(&b, "mail.x.go.id"), 0);
	for (i = 0; i < 63; i++)
		assert_int_equal(buf_addstr(&b, "; spf=none"), 0);
	assert_int_equal(buf_addstr(&b, "; dmarc=pass header.from=x.go.id"), 0);
	parses(b.data, "mail.x.go.id", "pass", "x.go.id");
	assert_int_equal(buf_addstr(&b, "; spf=none"), 0);
	malformed(b.data);
	buf_free(&b);

	/* 8 KiB of header value parse, one byte more does not. */
	v = xmalloc(8192 + 2);
	memset(v, ' ', 8192 + 1);
	memcpy(v, OPENDMARC, strlen(OPENDMARC));
	v[8192] = '\0';
	parses(v, "mail.x.go.id", "pass", "x.go.id");
	v[8192] = ' ';
	v[8193] = '\0';
	malformed(v);
	free(v);

	/* 10 KB of comment. */
	v = xmalloc(10240 + 1);
	memset(v, 'x', 10240);
	memcpy(v, OPENDMARC " (", strlen(OPENDMARC) + 2);
	v[10239] = ')';
	v[10240] = '\0';
	malformed(v);
	free(v);
}

static void
test_real_headers(void **state)
{
	expect(mk("Authentication-Results", GMAIL, NULL), "mx.google.com",
	    "x.go.id", DMARC_PASS);
	expect(mk("Authentication-Results", OPENDMARC, NULL), TRUSTED,
	    "x.go.id", DMARC_PASS);
	expect(mk("Authentication-Results",
	    "mx.x.go.id 1; dmarc=pass header.from=x.go.id", NULL), "mx.x.go.id",
	    "x.go.id", DMARC_PASS);
	/* authserv-id, header.from and the header name in any case. */
	expect(mk("authentication-results", GMAIL, NULL), "MX.Google.com",
	    "X.Go.Id", DMARC_PASS);
	/* Microsoft 365 names no authserv-id: never the trusted one. */
	expect(mk("Authentication-Results", M365, NULL), "mx.microsoft.com",
	    "x.go.id", DMARC_NONE);
	/* Other headers around it. */
	expect(mk("Received", "from a by b", "Authentication-Results",
	    "other.example; spf=pass smtp.mailfrom=x.go.id",
	    "Authentication-Results", OPENDMARC, "Received", "from c by d",
	    NULL), TRUSTED, "x.go.id", DMARC_PASS);
}

static void
test_forged_below(void **state)
{
	/* The real trusted header is on top; a forged one (added by the
	 * sender, so below it) is ignored whatever it says. */
	expect(mk("Authentication-Results",
	    TRUSTED "; dmarc=fail (p=reject) header.from=x.go.id",
	    "Authentication-Results",
	    TRUSTED "; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_FAIL);
	expect(mk("Authentication-Results", TRUSTED "; none",
	    "Authentication-Results",
	    TRUSTED "; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results",
	    TRUSTED "; spf=pass smtp.mailfrom=x.go.id",
	    "Authentication-Results",
	    "MAIL.X.GO.ID; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	/* A malformed or overlong trusted header is still the one. */
	expect(mk("Authentication-Results",
	    TRUSTED "; dmarc=pass (broken header.from=x.go.id",
	    "Authentication-Results",
	    TRUSTED "; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	{
		char	*v = xmalloc(10240 + 1);

		memset(v, ' ', 10240);
		memcpy(v, OPENDMARC, strlen(OPENDMARC));
		v[10240] = '\0';
		expect(mk("Authentication-Results", v, "Authentication-Results",
		    OPENDMARC, NULL), TRUSTED, "x.go.id", DMARC_NONE);
		free(v);
	}
	/* And the other way round: a fail below a pass changes nothing. */
	expect(mk("Authentication-Results", OPENDMARC, "Authentication-Results",
	    TRUSTED "; dmarc=fail header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_PASS);
}

static void
test_forged_other_id(void **state)
{
	/* A pass from another server counts for nothing. */
	expect(mk("Authentication-Results",
	    "evil.test; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results",
	    "mail.x.go.id.evil.test; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results",
	    "x.go.id; dmarc=pass header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results", M365, NULL), TRUSTED, "x.go.id",
	    DMARC_NONE);
	/* Headers above the trusted one that are not its own are skipped,
	 * readable or not. */
	expect(mk("Authentication-Results",
	    "evil.test; dmarc=pass header.from=x.go.id",
	    "Authentication-Results",
	    TRUSTED "; dmarc=fail header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_FAIL);
	expect(mk("Authentication-Results", "((( garbage",
	    "Authentication-Results", OPENDMARC, NULL),
	    TRUSTED, "x.go.id", DMARC_PASS);
	/* Only Authentication-Results counts. */
	expect(mk("X-Authentication-Results", OPENDMARC,
	    "ARC-Authentication-Results", "i=1; " OPENDMARC, NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Subject", "hello", NULL), TRUSTED, "x.go.id", DMARC_NONE);
}

static void
test_comment_only(void **state)
{
	expect(mk("Authentication-Results",
	    TRUSTED "; spf=pass (dmarc=pass header.from=x.go.id) "
	    "smtp.mailfrom=a@x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results",
	    TRUSTED " (dmarc=pass header.from=x.go.id); none", NULL),
	    TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results",
	    TRUSTED "; dmarc=fail (dmarc=pass header.from=x.go.id) "
	    "header.from=x.go.id", NULL),
	    TRUSTED, "x.go.id", DMARC_FAIL);
}

static void
test_domains(void **state)
{
	static const struct {
		const char		*header_from;
		const char		*from;
		enum authres_dmarc	 want;
	} cases[] = {
		{ "x.go.id", "x.go.id", DMARC_PASS },
		{ "X.GO.ID", "x.go.id", DMARC_PASS },
		{ "\"x.go.id\"", "x.go.id", DMARC_PASS },
		{ "evil.test", "x.go.id", DMARC_FAIL },
		{ "sub.x.go.id", "x.go.id", DMARC_FAIL },
		{ "go.id", "x.go.id", DMARC_FAIL },
		{ "x.go.id", "sub.x.go.id", DMARC_FAIL },
		{ "x.go.id.evil.test", "x.go.id", DMARC_FAIL },
		{ "evilx.go.id", "x.go.id", DMARC_FAIL },
		{ "x.go.i", "x.go.id", DMARC_FAIL },
		{ "x.go.idd", "x.go.id", DMARC_FAIL },
		{ "a@x.go.id", "x.go.id", DMARC_FAIL },
	};
	char	*v;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = xasprintf(TRUSTED "; dmarc=pass header.from=%s",
		    cases[i].header_from);
		expect(mk("Authentication-Results", v, NULL), TRUSTED,
		    cases[i].from, cases[i].want);
		free(v);
	}
}

static void
test_results(void **state)
{
	static const char *const notpass[] = {
		"fail", "none", "temperror", "permerror", "neutral", "softfail",
		"bestguesspass", "passed", "pas", NULL,
	};
	char	*v;
	size_t	 i;

	for (i = 0; notpass[i] != NULL; i++) {
		v = xasprintf(TRUSTED "; dmarc=%s header.from=x.go.id",
		    notpass[i]);
		expect(mk("Authentication-Results", v, NULL), TRUSTED,
		    "x.go.id", DMARC_FAIL);
		free(v);
	}
	/* dmarc=pass with no header.from does not say for which domain. */
	expect(mk("Authentication-Results", TRUSTED "; dmarc=pass", NULL),
	    TRUSTED, "x.go.id", DMARC_FAIL);
	/* Other methods' passes are not DMARC. */
	expect(mk("Authentication-Results", TRUSTED "; dkim=pass "
	    "header.d=x.go.id; spf=pass smtp.mailfrom=x.go.id; "
	    "dmarc-x=pass header.from=x.go.id; xdmarc=pass header.from=x.go.id",
	    NULL), TRUSTED, "x.go.id", DMARC_NONE);
	expect(mk("Authentication-Results", "mx.google.com; dkim=pass "
	    "header.i=@x.go.id; dmarc=pass (p=NONE) header.from=x.go.id",
	    NULL), "mx.google.com", "x.go.id", DMARC_PASS);
}

static void
test_quoted_nested(void **state)
{
	expect(mk("Authentication-Results", "\"" TRUSTED "\" (mta (one)); "
	    "dmarc=pass (p=reject (really)) header.from=\"x.go.id\"", NULL),
	    TRUSTED, "x.go.id", DMARC_PASS);
	expect(mk("Authentication-Results", TRUSTED "; spf=fail "
	    "smtp.mailfrom=\"x; dmarc=pass header.from=x.go.id\"@evil.test",
	    NULL), TRUSTED, "x.go.id", DMARC_NONE);
}

static void
test_malformed_none(void **state)
{
	static const char *const bad[] = {
		TRUSTED "; dmarc=pass (p=none header.from=x.go.id",
		TRUSTED "; dmarc=pass p=none) header.from=x.go.id",
		TRUSTED "; dmarc=pass header.from x.go.id",
		TRUSTED "; dmarc pass header.from=x.go.id",
		TRUSTED "; dmarc=pass header.from=x.go.id garbage",
		TRUSTED "; dmarc=pass header.from=x.go.id; dmarc=fail header.from=x.go.id",
		TRUSTED " 2; dmarc=pass header.from=x.go.id",
		TRUSTED,
		NULL,
	};
	size_t	 i;

	for (i = 0; bad[i] != NULL; i++)
		expect(mk("Authentication-Results", bad[i], NULL), TRUSTED,
		    "x.go.id", DMARC_NONE);
}

static void
test_no_trust(void **state)
{
	expect(mk("Authentication-Results", OPENDMARC, NULL), NULL, "x.go.id",
	    DMARC_NONE);
	expect(mk("Authentication-Results", OPENDMARC, NULL), "", "x.go.id",
	    DMARC_NONE);
	/* M365 writes the empty id: "" must not match it either. */
	expect(mk("Authentication-Results", M365, NULL), "", "x.go.id",
	    DMARC_NONE);
	/* No From domain. */
	expect(mk("Authentication-Results", OPENDMARC, NULL), TRUSTED, NULL,
	    DMARC_NONE);
	expect(mk("Authentication-Results", OPENDMARC, NULL), TRUSTED, "",
	    DMARC_NONE);
	expect(mk("Authentication-Results", TRUSTED "; dmarc=pass header.from=\"\"",
	    NULL), TRUSTED, "", DMARC_NONE);
	expect(mk(NULL), TRUSTED, "x.go.id", DMARC_NONE);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_case),
		cmocka_unit_test(test_parse_quoted),
		cmocka_unit_test(test_parse_comments),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_real_headers),
		cmocka_unit_test(test_forged_below),
		cmocka_unit_test(test_forged_other_id),
		cmocka_unit_test(test_comment_only),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_quoted_nested),
		cmocka_unit_test(test_malformed_none),
		cmocka_unit_test(test_no_trust),
	};

	return cmocka_run_group_tests_name("authres", tests, NULL, NULL);
}
