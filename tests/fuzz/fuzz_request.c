/* libFuzzer target: the request mail's form and the step-5 checks
 * (src/request.h). The input is the body text: the Label: value fields
 * are read from it and checked against a registry entry that carries the
 * DN the form gives (so the DN comparison runs too); then every line goes
 * through the single-value parsers (serial, date, reason, Subject DN).
 * Invariants: a normalised serial is uppercase hex without leading zeros
 * and normalising is idempotent; a parsed DN matches itself; a DN written
 * as the registry writes it (RFC 2253) and read back names the same. */
#include "autoconf.h"

#include <string.h>

#include <openssl/err.h>

#include "registry.h"
#include "request.h"

#include "fuzz.h"

#define LINES_MAX	256
#define LINE_MAX_LEN	4096
#define NOW		((time_t)1764115200)	/* 2025-11-26 00:00 UTC */

static char	 issuer[] = "CN=BSrE Fuzz CA,O=BSrE,C=ID", serial[] = "1A2B",
		 subject[] = "CN=Pemohon,O=Instansi,C=ID",
		 email[] = "pemohon@example.go.id", username[] = "pemohon";
static const char *const allowed[] = {
	"application/pdf", "image/jpeg", "image/png",
};

static void
check_serial(const char *line)
{
	char	*s = NULL, *s2 = NULL;
	size_t	 i;

	if (request_serial_normalise(line, &s) == -1) {
		FUZZ_CHECK(s == NULL);
		return;
	}
	FUZZ_CHECK(s != NULL && s[0] != '\0');
	FUZZ_CHECK(s[0] != '0' || s[1] == '\0');
	for (i = 0; s[i] != '\0'; i++)
		FUZZ_CHECK((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F'));
	FUZZ_CHECK(request_serial_normalise(s, &s2) == 0);
	FUZZ_CHECK(strcmp(s, s2) == 0);
	free(s);
	free(s2);
}

static void
check_dn(const char *line)
{
	X509_NAME	*dn, *back;
	char		*text;

	if ((dn = request_dn_parse(line)) == NULL) {
		ERR_clear_error();
		return;
	}
	FUZZ_CHECK(request_dn_match(dn, dn) == 1);
	text = registry_name_text(dn);
	if (text != NULL) {
		back = request_dn_parse(text);
		/* Read back, it must be the same name: request_check compares
		 * the registry's text with the form's DN this way. */
		if (back != NULL && !request_dn_match(dn, back)) {
			fprintf(stderr, "DN \"%s\" written as \"%s\" reads back "
			    "as another name\n", line, text);
			FUZZ_CHECK(!"RFC 2253 round trip");
		}
		X509_NAME_free(back);
	}
	free(text);
	X509_NAME_free(dn);
	ERR_clear_error();
}

static void
check_line(const char *line)
{
	int64_t			 t;
	enum request_reason	 r;

	check_serial(line);
	(void)request_date_parse(line, &t);
	r = request_reason_parse(line);
	(void)request_reason_code(r);
	FUZZ_CHECK(request_reason_name(r) != NULL);
	check_dn(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request_fields	 f;
	struct request_check	 c;
	struct registry_cert	 cert;
	struct request_limits	 lim;
	char			*text, *p, *nl, line[LINE_MAX_LEN];
	size_t			 n, i;
	int			 k;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	text = fuzz_cstr(data, size);

	memset(&f, 0, sizeof(f));
	request_fields_parse(text, &f);
	if (f.serial != NULL)
		FUZZ_CHECK(f.serial_valid);

	memset(&cert, 0, sizeof(cert));
	cert.issuer = issuer;
	cert.serial = f.serial != NULL ? f.serial : serial;
	cert.subject_dn = f.subject_dn != NULL ? f.subject_dn : subject;
	cert.email = email;
	cert.username = username;
	cert.not_before = NOW - 365 * 86400;
	cert.not_after = NOW + 365 * 86400;
	memset(&lim, 0, sizeof(lim));
	lim.allowed_types = allowed;
	lim.nallowed_types = sizeof(allowed) / sizeof(allowed[0]);
	lim.max_attachment_size = 5 * 1024 * 1024;
	request_check(&f, NULL, &cert, "pemohon@example.go.id", &lim, NULL,
	    NOW, &c);
	for (k = 0; k < PROBLEM_COUNT; k++)
		if (c.problems & (1U << k))
			FUZZ_CHECK(request_problem_text((enum request_problem)k,
			    "en") != NULL);
	request_check_clear(&c);
	/* Registered to someone else: never more than "not found". */
	request_check(&f, NULL, &cert, "other@example.org", &lim, NULL, NOW, &c);
	FUZZ_CHECK((c.problems & ((1U << PROBLEM_REVOKED) |
	    (1U << PROBLEM_EXPIRED) | (1U << PROBLEM_USERNAME_MISMATCH) |
	    (1U << PROBLEM_DN_MISMATCH))) == 0);
	request_check_clear(&c);
	request_fields_clear(&f);
	ERR_clear_error();

	for (p = text, i = 0; *p != '\0' && i < LINES_MAX; p = nl + 1, i++) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		check_line(line);
		if (nl == NULL)
			break;
	}
	free(text);
	return 0;
}
