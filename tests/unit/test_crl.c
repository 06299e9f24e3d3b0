/* crl: CRLs built against a CA made at test time with the openssl tool.
 * The entries are found (and others not), the fields are what "openssl
 * crl" shows, "openssl verify -crl_check" refuses the revoked leaf and
 * takes the other; empty CRLs verify; a flipped signature byte, another
 * CA and garbage are refused. */
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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crl.h"
#include "util.h"

#define DAYS		7
#define CRL_NUMBER	7

static char	*dir;
static X509	*ca_cert, *other_cert;
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
	    (other_cert = load_cert("other.pem")) == NULL)
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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
