/* crl: CRLs built against a CA made at test time with the openssl tool.
 * The entries are found (and others not), the fields are what "openssl
 * crl" shows, "openssl verify -crl_check" refuses the revoked leaf and
 * takes the other; empty CRLs verify; a flipped signature byte, another
 * CA and garbage are refused.  A CRL loaded once (crl_load) answers many
 * lookups with the date and reason; wrong issuers (name, key, keyUsage),
 * tampering, truncation, delta, indirect and unknown critical extensions
 * are refused. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "util.h"

#define DAYS		7
#define CRL_NUMBER	7

static char	*dir;
static X509	*ca_cert, *other_cert, *same_name_cert, *renamed_cert,
		*nocrlsign_cert;
static EVP_PKEY	*ca_key;

static const char ca_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = cabut test CA\n"
    "[v3_ca]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "[v3_nocrl]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign\n"
    "[v3_leaf]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n";

static const char make_sh[] =
    "set -e\n"
    "ca() {\n"
    "  openssl ecparam -name prime256v1 -genkey -noout -out $1.key\n"
    "  openssl req -x509 -new -config ca.cnf -key $1.key -subj \"/CN=$2\" \\\n"
    "    -days 3650 -sha256 -extensions v3_ca -out $1.pem\n"
    "}\n"
    "leaf() {\n"
    "  openssl ecparam -name prime256v1 -genkey -noout -out $1.key\n"
    "  openssl req -new -config ca.cnf -key $1.key -subj \"/CN=$1\" -out $1.csr\n"
    "  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -set_serial $2 \\\n"
    "    -days 365 -sha256 -extfile ca.cnf -extensions v3_leaf -out $1.pem\n"
    "}\n"
    "ca ca 'cabut test CA'\n"
    "ca other 'cabut other CA'\n"
    "ca same_name 'cabut test CA'\n"
    "openssl req -x509 -new -config ca.cnf -key ca.key -subj '/CN=renamed CA' \\\n"
    "  -days 3650 -sha256 -extensions v3_ca -out renamed.pem\n"
    "openssl req -x509 -new -config ca.cnf -key ca.key \\\n"
    "  -subj '/CN=cabut test CA' -days 3650 -sha256 -extensions v3_nocrl \\\n"
    "  -out nocrlsign.pem\n"
    "leaf leaf_abc 0x0ABC\n"
    "leaf leaf_1234 0x1234\n";

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
write_file(const char *name, const void *data, size_t len)
{
	char	*path = path_of(name);
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		fail_msg("fopen %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static char *
read_file(const char *name, size_t *len_r)
{
	char	*path = path_of(name), *data;
	FILE	*f;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("fopen %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	free(path);
	*len_r = (size_t)n;
	return data;
}

static X509 *
load_cert(const char *name)
{
	char	*path = path_of(name);
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("fopen %s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	free(path);
	return x;
}

/* A command's output (stdout and stderr) in the test dir; *status_r its
 * exit status. */
static char *
run(const char *cmd, int *status_r)
{
	struct buf	 b;
	char		*full, tmp[4096];
	FILE		*p;
	size_t		 n;
	int		 st;

	full = xasprintf("cd '%s' && %s 2>&1", dir, cmd);
	if ((p = popen(full, "r")) == NULL)
		fail_msg("popen %s", full);
	buf_init(&b, 1 << 20);
	while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
		assert_int_equal(buf_add(&b, tmp, n), 0);
	st = pclose(p);
	*status_r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	free(full);
	if (b.len == 0)
		buf_add(&b, "", 1);
	return buf_steal(&b);
}

static void
build(const struct crl_entry *e, size_t n, int64_t now, char **pem,
    size_t *pemlen, unsigned char **der, size_t *derlen)
{
	char	*err = NULL;

	if (crl_build(ca_cert, ca_key, e, n, CRL_NUMBER, now, DAYS, pem,
	    pemlen, der, derlen, &err) != 0)
		fail_msg("crl_build: %s", err != NULL ? err : "(no error)");
	assert_null(err);
	assert_non_null(*pem);
	assert_non_null(*der);
	assert_int_equal(strlen(*pem), *pemlen);
}

static const struct crl_entry one_entry[] = {
	{ "ABC", 0, 1, 0 },
};

static void
make_one(int64_t now, char **pem, size_t *pemlen, unsigned char **der,
    size_t *derlen)
{
	struct crl_entry	e = one_entry[0];

	e.revoked = now - 3600;
	e.invalidity_date = now - 86400;
	build(&e, 1, now, pem, pemlen, der, derlen);
}

/* ca.pem followed by the CRL, for openssl verify -crl_check. */
static void
write_ca_crl(const char *pem, size_t pemlen)
{
	char	*ca;
	size_t	 calen;
	struct buf b;

	ca = read_file("ca.pem", &calen);
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_add(&b, ca, calen), 0);
	assert_int_equal(buf_add(&b, pem, pemlen), 0);
	write_file("ca+crl.pem", b.data, b.len);
	buf_free(&b);
	free(ca);
}

static void
test_contains(void **state)
{
	char		*pem, *err = NULL;
	unsigned char	*der;
	size_t		 pemlen, derlen;
	int64_t		 now = (int64_t)time(NULL), next = 0;

	(void)state;
	make_one(now, &pem, &pemlen, &der, &derlen);

	assert_int_equal(crl_contains((unsigned char *)pem, pemlen, ca_cert,
	    "ABC", &next, &err), 1);
	assert_null(err);
	assert_int_equal(next, now + (int64_t)DAYS * 86400);
	assert_int_equal(crl_contains((unsigned char *)pem, pemlen, ca_cert,
	    "0ABC", NULL, &err), 1);
	assert_int_equal(crl_contains((unsigned char *)pem, pemlen, ca_cert,
	    "1234", &next, &err), 0);
	assert_null(err);
	assert_int_equal(crl_contains(der, derlen, ca_cert, "ABC", &next,
	    &err), 1);
	assert_int_equal(next, now + (int64_t)DAYS * 86400);
	assert_int_equal(crl_contains(der, derlen, ca_cert, "1234", NULL,
	    &err), 0);
	assert_null(err);

	/* A malformed serial is an error, not "absent". */
	assert_int_equal(crl_contains(der, derlen, ca_cert, "XYZ", NULL,
	    &err), -1);
	assert_non_null(err);
	free(err);
	free(pem);
	free(der);
}

static void
test_openssl_text(void **state)
{
	char		*pem, *out;
	unsigned char	*der;
	size_t		 pemlen, derlen;
	int		 st;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	write_file("crl.pem", pem, pemlen);
	out = run("openssl crl -in crl.pem -noout -text", &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "X509v3 CRL Number"));
	assert_non_null(strstr(out, "7"));
	assert_non_null(strstr(out, "Key Compromise"));
	assert_non_null(strstr(out, "Invalidity Date"));
	assert_non_null(strstr(out, "Authority Key Identifier"));
	assert_non_null(strcasestr(out, "sha256"));
	assert_non_null(strstr(out, "Version 2"));
	assert_non_null(strstr(out, "0ABC"));
	free(out);
	free(pem);
	free(der);
}

static void
test_openssl_verify(void **state)
{
	char		*pem, *out;
	unsigned char	*der;
	size_t		 pemlen, derlen;
	int		 st;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	write_ca_crl(pem, pemlen);

	out = run("openssl verify -crl_check -CAfile ca+crl.pem leaf_abc.pem",
	    &st);
	if (strstr(out, "certificate revoked") == NULL || st == 0)
		fail_msg("revoked leaf accepted: %s", out);
	free(out);

	out = run("openssl verify -crl_check -CAfile ca+crl.pem leaf_1234.pem",
	    &st);
	if (strstr(out, "OK") == NULL || st != 0)
		fail_msg("good leaf refused: %s", out);
	free(out);
	free(pem);
	free(der);
}

static void
test_empty(void **state)
{
	char		*pem, *out, *err = NULL;
	unsigned char	*der;
	size_t		 pemlen, derlen;
	int		 st;

	(void)state;
	build(NULL, 0, (int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	assert_int_equal(crl_contains(der, derlen, ca_cert, "ABC", NULL,
	    &err), 0);
	assert_null(err);
	write_ca_crl(pem, pemlen);
	out = run("openssl verify -crl_check -CAfile ca+crl.pem leaf_abc.pem",
	    &st);
	if (strstr(out, "OK") == NULL || st != 0)
		fail_msg("leaf refused with an empty CRL: %s", out);
	free(out);
	free(pem);
	free(der);
}

static void
test_bad_signature(void **state)
{
	char		*pem, *err = NULL;
	unsigned char	*der;
	size_t		 pemlen, derlen;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	der[derlen - 1] ^= 0x01;
	assert_int_equal(crl_contains(der, derlen, ca_cert, "ABC", NULL,
	    &err), -1);
	assert_non_null(err);
	assert_string_equal(err, "bad signature");
	free(err);
	free(pem);
	free(der);
}

static void
test_other_ca(void **state)
{
	char		*pem, *err = NULL;
	unsigned char	*der;
	size_t		 pemlen, derlen;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	assert_int_equal(crl_contains((unsigned char *)pem, pemlen,
	    other_cert, "ABC", NULL, &err), -1);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(crl_contains(der, derlen, other_cert, "1234", NULL,
	    &err), -1);
	assert_non_null(err);
	free(err);
	free(pem);
	free(der);
}

static void
test_garbage(void **state)
{
	static const char	 junk[] = "this is not a CRL at all";
	static const char	 badpem[] =
	    "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
	char			*pem, *err = NULL;
	unsigned char		*der;
	size_t			 pemlen, derlen, i;

	(void)state;
	assert_int_equal(crl_contains((const unsigned char *)junk,
	    sizeof(junk) - 1, ca_cert, "ABC", NULL, &err), -1);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(crl_contains((const unsigned char *)badpem,
	    sizeof(badpem) - 1, ca_cert, "ABC", NULL, &err), -1);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(crl_contains((const unsigned char *)junk, 0,
	    ca_cert, "ABC", NULL, &err), -1);
	assert_non_null(err);
	free(err);

	/* Every truncation of a good CRL is refused, without a crash. */
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	for (i = 0; i < derlen; i++) {
		err = NULL;
		assert_int_equal(crl_contains(der, i, ca_cert, "ABC", NULL,
		    &err), -1);
		assert_non_null(err);
		free(err);
	}
	free(pem);
	free(der);
}

static void
test_bad_entry(void **state)
{
	struct crl_entry	 e = { "NOTHEX", 0, -1, 0 };
	char			*pem, *err = NULL;
	unsigned char		*der;
	size_t			 pemlen, derlen;

	(void)state;
	assert_int_equal(crl_build(ca_cert, ca_key, &e, 1, 1, 0, 1, &pem,
	    &pemlen, &der, &derlen, &err), -1);
	assert_non_null(err);
	assert_null(pem);
	assert_null(der);
	free(err);
}

#define MANY	2000

/* Entry i of the big CRL: serial 1000+i in hex, revoked i minutes before
 * base, reasons 0..6 in turn (7 is unused in RFC 5280). */
static void
many_entries(struct crl_entry *e, char (*serials)[16], int64_t base)
{
	size_t	 i;

	for (i = 0; i < MANY; i++) {
		snprintf(serials[i], sizeof(serials[i]), "%zX", 0x1000 + i);
		e[i].serial = serials[i];
		e[i].revoked = base - (int64_t)i * 60;
		e[i].reason = (int)(i % 7);
		e[i].invalidity_date = 0;
	}
}

static struct crl *
load_ok(const void *data, size_t len, X509 *issuer)
{
	struct crl	*c;
	char		*err = NULL;

	c = crl_load(data, len, issuer, &err);
	if (c == NULL)
		fail_msg("crl_load: %s", err != NULL ? err : "(no error)");
	assert_null(err);
	return c;
}

/* crl_load refuses data; the error message contains want (or anything
 * when want is NULL). */
static void
load_refused(const void *data, size_t len, X509 *issuer, const char *want)
{
	struct crl	*c;
	char		*err = NULL;

	c = crl_load(data, len, issuer, &err);
	if (c != NULL)
		fail_msg("crl_load accepted what it should refuse (%s)",
		    want != NULL ? want : "");
	assert_non_null(err);
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("crl_load: \"%s\", expected \"%s\"", err, want);
	free(err);
}

static void
test_load_many(void **state)
{
	static struct crl_entry	 e[MANY];
	static char		 serials[MANY][16];
	struct crl		*c;
	char			*pem, miss[16];
	unsigned char		*der;
	size_t			 pemlen, derlen, i;
	int64_t			 now = (int64_t)time(NULL), at;
	uint64_t		 number;
	int			 reason;

	(void)state;
	many_entries(e, serials, now - 60);
	build(e, MANY, now, &pem, &pemlen, &der, &derlen);
	c = load_ok(der, derlen, ca_cert);

	assert_int_equal(crl_count(c), MANY);
	assert_int_equal(crl_last_update(c), now);
	assert_int_equal(crl_next_update(c), now + (int64_t)DAYS * 86400);
	assert_int_equal(crl_number(c, &number), 1);
	assert_int_equal(number, CRL_NUMBER);
	for (i = 0; i < MANY; i++) {
		if (crl_lookup(c, e[i].serial, &at, &reason) != 1)
			fail_msg("serial %s not found", e[i].serial);
		assert_int_equal(at, e[i].revoked);
		assert_int_equal(reason, e[i].reason);
		/* Just around each entry, nothing. */
		snprintf(miss, sizeof(miss), "%zX", 0x1000 + MANY + i);
		assert_int_equal(crl_lookup(c, miss, &at, &reason), 0);
		assert_int_equal(at, 0);
		assert_int_equal(reason, -1);
	}
	assert_int_equal(crl_lookup(c, "FFF", NULL, NULL), 0);
	/* Leading zeros and lowercase are the same number. */
	assert_int_equal(crl_lookup(c, "0000107F", NULL, NULL), 1);
	assert_int_equal(crl_lookup(c, "107f", NULL, NULL), 1);
	/* Malformed: on no CRL (never 1: "if (!on)" must stay safe). */
	assert_int_equal(crl_lookup(c, "XYZ", &at, &reason), 0);
	assert_int_equal(at, 0);
	assert_int_equal(reason, -1);
	assert_int_equal(crl_lookup(c, "", NULL, NULL), 0);
	assert_int_equal(crl_lookup(c, NULL, NULL, NULL), 0);
	assert_int_equal(crl_lookup(c, "10:00", NULL, NULL), 0);
	assert_int_equal(crl_lookup(c, "-1000", NULL, NULL), 0);
	assert_int_equal(crl_lookup(c,
	    "1234567890123456789012345678901234567890A", NULL, NULL), 0);
	crl_free(&c);
	assert_null(c);
	crl_free(&c);
	free(pem);
	free(der);
}

static void
test_load_pem_der(void **state)
{
	struct crl	*c;
	struct buf	 b;
	char		*pem;
	unsigned char	*der;
	size_t		 pemlen, derlen;
	int64_t		 now = (int64_t)time(NULL), at;
	int		 reason;

	(void)state;
	make_one(now, &pem, &pemlen, &der, &derlen);
	c = load_ok(pem, pemlen, ca_cert);
	assert_int_equal(crl_lookup(c, "ABC", &at, &reason), 1);
	assert_int_equal(at, now - 3600);
	assert_int_equal(reason, 1);
	assert_int_equal(crl_lookup(c, "1234", NULL, NULL), 0);
	crl_free(&c);

	c = load_ok(der, derlen, ca_cert);
	assert_int_equal(crl_lookup(c, "ABC", &at, &reason), 1);
	assert_int_equal(at, now - 3600);
	assert_int_equal(reason, 1);
	assert_int_equal(crl_count(c), 1);
	crl_free(&c);

	/* PEM after other text, as "openssl crl -text" writes it. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_addstr(&b, "\r\nCertificate Revocation List (CRL):\n  x\n"), 0);
	assert_int_equal(buf_add(&b, pem, pemlen), 0);
	c = load_ok(b.data, b.len, ca_cert);
	assert_int_equal(crl_lookup(c, "ABC", NULL, NULL), 1);
	crl_free(&c);
	buf_free(&b);
	free(pem);
	free(der);
}

static void
test_load_no_reason(void **state)
{
	struct crl_entry	 e[] = {
		{ "10", 0, -1, 0 },		/* no reason code */
		{ "11", 0, 8, 0 },		/* removeFromCRL */
		{ "12", 0, 10, 0 },		/* aACompromise */
	};
	struct crl		*c;
	char			*pem;
	unsigned char		*der;
	size_t			 pemlen, derlen;
	int64_t			 now = (int64_t)time(NULL), at;
	int			 reason;

	(void)state;
	e[0].revoked = e[1].revoked = e[2].revoked = now - 10;
	build(e, 3, now, &pem, &pemlen, &der, &derlen);
	c = load_ok(der, derlen, ca_cert);
	assert_int_equal(crl_lookup(c, "10", &at, &reason), 1);
	assert_int_equal(at, now - 10);
	assert_int_equal(reason, -1);
	/* Taken off the CRL: no longer revoked. */
	assert_int_equal(crl_lookup(c, "11", &at, &reason), 0);
	assert_int_equal(crl_lookup(c, "12", &at, &reason), 1);
	assert_int_equal(reason, 10);
	crl_free(&c);
	free(pem);
	free(der);
}

static void
test_load_wrong_issuer(void **state)
{
	char		*pem;
	unsigned char	*der;
	size_t		 pemlen, derlen;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	load_refused(der, derlen, other_cert, "CRL issuer is not the CA");
	load_refused(pem, pemlen, other_cert, "CRL issuer is not the CA");
	/* The CA's key under another name. */
	load_refused(der, derlen, renamed_cert, "CRL issuer is not the CA");
	/* The CA's name with another key. */
	load_refused(der, derlen, same_name_cert, "bad signature");
	/* The CA's name and key, but no cRLSign in keyUsage. */
	load_refused(der, derlen, nocrlsign_cert, "keyUsage");
	load_refused(der, derlen, NULL, NULL);
	free(pem);
	free(der);
}

static void
test_load_tampered(void **state)
{
	char		*pem, *p;
	unsigned char	*der;
	size_t		 pemlen, derlen, i;

	(void)state;
	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	/* The last byte of the signature. */
	der[derlen - 1] ^= 0x01;
	load_refused(der, derlen, ca_cert, "bad signature");
	der[derlen - 1] ^= 0x01;
	/* The revoked serial 0x0ABC in the signed part becomes 0x0ABD. */
	for (i = 0; i + 1 < derlen; i++)
		if (der[i] == 0x0a && der[i + 1] == 0xbc)
			break;
	assert_true(i + 1 < derlen);
	der[i + 1] = 0xbd;
	load_refused(der, derlen, ca_cert, "bad signature");

	/* A character of the base64 in the middle of the PEM. */
	p = pem + pemlen / 2;
	*p = *p == 'A' ? 'B' : 'A';
	load_refused(pem, pemlen, ca_cert, NULL);
	free(pem);
	free(der);
}

static void
test_load_garbage(void **state)
{
	static const char	 junk[] = "this is not a CRL at all";
	char			*pem, *cut;
	unsigned char		*der, *big;
	size_t			 pemlen, derlen, i;
	struct buf		 b;

	(void)state;
	load_refused(junk, sizeof(junk) - 1, ca_cert, "not a PEM CRL");
	load_refused(junk, 0, ca_cert, NULL);
	load_refused(NULL, 10, ca_cert, NULL);

	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	for (i = 0; i < derlen; i++)
		load_refused(der, i, ca_cert, NULL);
	/* A PEM cut before its END line, and one cut in half. */
	cut = strstr(pem, "-----END");
	assert_non_null(cut);
	load_refused(pem, (size_t)(cut - pem), ca_cert, "not a PEM CRL");
	load_refused(pem, pemlen / 2, ca_cert, "not a PEM CRL");
	/* A certificate is not a CRL. */
	{
		size_t	 clen;
		char	*cert = read_file("ca.pem", &clen);

		load_refused(cert, clen, ca_cert, "not a PEM CRL");
		free(cert);
	}
	/* A good DER CRL with a byte after it. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_add(&b, der, derlen), 0);
	assert_int_equal(buf_add(&b, "", 1), 0);
	load_refused(b.data, b.len, ca_cert, "not a DER CRL");
	buf_free(&b);

	/* Past the size limit: refused before it is read. */
	big = xcalloc(1, CRL_MAX_SIZE + 1);
	memcpy(big, der, derlen);
	load_refused(big, CRL_MAX_SIZE + 1, ca_cert, "larger than");
	free(big);
	free(pem);
	free(der);
}

/* The CRL of make_one with an extension added by add, signed again. */
static unsigned char *
resign(int (*add)(X509_CRL *), size_t *len_r)
{
	X509_CRL		*x;
	char			*pem;
	unsigned char		*der, *out, *p;
	const unsigned char	*q;
	size_t			 pemlen, derlen;
	int			 n;

	make_one((int64_t)time(NULL), &pem, &pemlen, &der, &derlen);
	q = der;
	x = d2i_X509_CRL(NULL, &q, (long)derlen);
	assert_non_null(x);
	assert_int_equal(add(x), 1);
	assert_true(X509_CRL_sign(x, ca_key, EVP_sha256()) > 0);
	n = i2d_X509_CRL(x, NULL);
	assert_true(n > 0);
	out = p = xmalloc((size_t)n);
	assert_int_equal(i2d_X509_CRL(x, &p), n);
	X509_CRL_free(x);
	free(pem);
	free(der);
	*len_r = (size_t)n;
	return out;
}

static int
add_delta(X509_CRL *x)
{
	ASN1_INTEGER	*base = ASN1_INTEGER_new();
	int		 r;

	ASN1_INTEGER_set(base, 6);
	r = X509_CRL_add1_ext_i2d(x, NID_delta_crl, base, 1, 0);
	ASN1_INTEGER_free(base);
	return r;
}

static int
add_ext_conf(X509_CRL *x, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 r;

	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value)) == NULL)
		return 0;
	r = X509_CRL_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return r;
}

static int
add_indirect(X509_CRL *x)
{
	return add_ext_conf(x, NID_issuing_distribution_point,
	    "critical,indirectCRL:TRUE");
}

static int
add_only_ca(X509_CRL *x)
{
	return add_ext_conf(x, NID_issuing_distribution_point,
	    "critical,onlyCA:TRUE");
}

static int
add_only_user(X509_CRL *x)
{
	return add_ext_conf(x, NID_issuing_distribution_point,
	    "critical,onlyuser:TRUE");
}

/* An extension nobody knows (a private OID), critical or not. */
static int
add_unknown(X509_CRL *x, int critical)
{
	ASN1_OBJECT		*obj;
	ASN1_OCTET_STRING	*val;
	X509_EXTENSION		*ext;
	int			 r;

	obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	val = ASN1_OCTET_STRING_new();
	assert_non_null(obj);
	assert_non_null(val);
	assert_int_equal(ASN1_OCTET_STRING_set(val,
	    (const unsigned char *)"\x05\x00", 2), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, val);
	r = ext != NULL ? X509_CRL_add_ext(x, ext, -1) : 0;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(obj);
	return r;
}

static int add_unknown_critical(X509_CRL *x) { return add_unknown(x, 1); }
static int add_unknown_plain(X509_CRL *x) { return add_unknown(x, 0); }

static void
test_load_extensions(void **state)
{
	struct crl	*c;
	unsigned char	*der;
	size_t		 len;

	(void)state;
	der = resign(add_delta, &len);
	load_refused(der, len, ca_cert, "delta CRL");
	free(der);
	der = resign(add_indirect, &len);
	load_refused(der, len, ca_cert, "partial CRL");
	free(der);
	der = resign(add_only_ca, &len);
	load_refused(der, len, ca_cert, "partial CRL");
	free(der);
	der = resign(add_unknown_critical, &len);
	load_refused(der, len, ca_cert, "unknown critical CRL extension");
	free(der);

	/* These change nothing for end-entity lookups. */
	der = resign(add_only_user, &len);
	c = load_ok(der, len, ca_cert);
	assert_int_equal(crl_lookup(c, "ABC", NULL, NULL), 1);
	crl_free(&c);
	free(der);
	der = resign(add_unknown_plain, &len);
	c = load_ok(der, len, ca_cert);
	assert_int_equal(crl_lookup(c, "ABC", NULL, NULL), 1);
	crl_free(&c);
	free(der);
}

static int
group_setup(void **state)
{
	char	 tmpl[] = "/tmp/cabut-crl.XXXXXX";
	char	*cmd, *path;
	FILE	*f;
	int	 r;

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	write_file("ca.cnf", ca_cnf, strlen(ca_cnf));
	write_file("make.sh", make_sh, strlen(make_sh));
	cmd = xasprintf("cd '%s' && sh make.sh > make.log 2>&1", dir);
	r = system(cmd);
	free(cmd);
	if (r != 0) {
		cmd = xasprintf("cat '%s/make.log' >&2", dir);
		(void)!system(cmd);
		free(cmd);
		return -1;
	}
	if ((ca_cert = load_cert("ca.pem")) == NULL ||
	    (other_cert = load_cert("other.pem")) == NULL ||
	    (same_name_cert = load_cert("same_name.pem")) == NULL ||
	    (renamed_cert = load_cert("renamed.pem")) == NULL ||
	    (nocrlsign_cert = load_cert("nocrlsign.pem")) == NULL)
		return -1;
	path = path_of("ca.key");
	if ((f = fopen(path, "r")) == NULL) {
		free(path);
		return -1;
	}
	ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	free(path);
	return ca_key != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char	*cmd;
	int	 r;

	(void)state;
	X509_free(ca_cert);
	X509_free(other_cert);
	X509_free(same_name_cert);
	X509_free(renamed_cert);
	X509_free(nocrlsign_cert);
	EVP_PKEY_free(ca_key);
	if (dir == NULL)
		return 0;
	cmd = xasprintf("rm -rf '%s'", dir);
	r = system(cmd);
	free(cmd);
	free(dir);
	dir = NULL;
	return r == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_openssl_text),
		cmocka_unit_test(test_openssl_verify),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_other_ca),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_entry),
		cmocka_unit_test(test_load_many),
		cmocka_unit_test(test_load_pem_der),
		cmocka_unit_test(test_load_no_reason),
		cmocka_unit_test(test_load_wrong_issuer),
		cmocka_unit_test(test_load_tampered),
		cmocka_unit_test(test_load_garbage),
		cmocka_unit_test(test_load_extensions),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
