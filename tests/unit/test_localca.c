/* localca and the local backend: a CA made in a temp dir issues
 * certificates (fields checked with OpenSSL); revoking lists the serial
 * on a new CRL (number, reason, invalidity date, nextUpdate), revoking
 * again changes nothing unless the reason is raised to keyCompromise;
 * CRLs are re-issued only when due and their number never goes back,
 * not even after a failed write or a reopen; a key others can read is
 * refused. The CA process: through ca_local_ops (forked, and exec'd as
 * this very program), restarted after kill -9; its protocol answers bad
 * lines with an error and goes on; a silent or babbling child is
 * killed. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "ca_local.h"
#include "config.h"
#include "crl.h"
#include "localca.h"
#include "registry.h"
#include "util.h"

#define DAYS	7
#define T0	((int64_t)1800000000)	/* 2027-01-15 */

static char	*dir;
static char	 self[PATH_MAX];	/* this program, run as the CA process */

/* dir/name as a new CA; NULL name: just the path. */
static char *
make_ca(const char *name)
{
	char	*d = xasprintf("%s/%s", dir, name), *err = NULL;

	if (localca_create(d, "cabut test CA", 3650, &err) != 1)
		fail_msg("localca_create %s: %s", d, err ? err : "not created");
	return d;
}

static struct localca *
open_ca(const char *d)
{
	struct localca	*ca;
	char		*err = NULL;

	if (localca_open(d, DAYS, &ca, &err) != 0)
		fail_msg("localca_open: %s", err);
	return ca;
}

static char *
issue(struct localca *ca, const char *dn, const char *email)
{
	unsigned char	*der;
	size_t		 len;
	char		*serial, *err = NULL;

	if (localca_issue(ca, dn, email, "budi", 365, T0 - 3600, NULL,
	    &serial, &der, &len, &err) != 0)
		fail_msg("localca_issue: %s", err);
	free(der);
	return serial;
}

static unsigned char *
read_all(const char *path, size_t *len_r)
{
	unsigned char	*data;
	FILE		*f;
	long		 n;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len_r = (size_t)n;
	return data;
}

static int
mode_of(const char *d, const char *name)
{
	struct stat	 sb;
	char		*p = xasprintf("%s/%s", d, name);

	if (stat(p, &sb) == -1)
		fail_msg("stat %s: %s", p, strerror(errno));
	free(p);
	return (int)(sb.st_mode & 07777);
}

static X509_CRL *
load_crl(const char *d)
{
	X509_CRL		*crl;
	unsigned char		*data;
	const unsigned char	*p;
	size_t			 len;
	char			*path = xasprintf("%s/%s", d, LOCALCA_CRL_DER);

	data = read_all(path, &len);
	p = data;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(p, data + len);
	free(data);
	free(path);
	return crl;
}

static uint64_t
der_crl_number(X509_CRL *crl)
{
	ASN1_INTEGER	*ai;
	uint64_t	 v = 0;

	ai = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(ai);
	assert_int_equal(ASN1_INTEGER_get_uint64(&v, ai), 1);
	ASN1_INTEGER_free(ai);
	return v;
}

static int64_t
time_of(const ASN1_TIME *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

/* The CRL's entry for serial: its reason (-1 none) and invalidity date. */
static void
crl_entry_of(X509_CRL *crl, const char *serial, int *reason_r,
    int64_t *inval_r, int64_t *revoked_r)
{
	X509_REVOKED		*rev = NULL;
	ASN1_INTEGER		*ai;
	ASN1_ENUMERATED		*reason;
	ASN1_GENERALIZEDTIME	*inval;
	BIGNUM			*bn = NULL;

	assert_true(BN_hex2bn(&bn, serial) > 0);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rev, ai), 1);
	ASN1_INTEGER_free(ai);
	*revoked_r = time_of(X509_REVOKED_get0_revocationDate(rev));
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	*reason_r = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
	inval = X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, NULL, NULL);
	*inval_r = inval != NULL ? time_of(inval) : 0;
	ASN1_GENERALIZEDTIME_free(inval);
}

static void
test_create(void **state)
{
	char		*d, *kpath, *err = NULL;
	unsigned char	*k1, *k2;
	size_t		 l1, l2;

	(void)state;
	d = make_ca("create");
	assert_int_equal(mode_of(d, "."), 0700);
	assert_int_equal(mode_of(d, LOCALCA_KEY), 0600);
	assert_int_equal(mode_of(d, LOCALCA_DB), 0600);
	assert_int_equal(mode_of(d, LOCALCA_CERT), 0644);
	kpath = xasprintf("%s/%s", d, LOCALCA_KEY);
	k1 = read_all(kpath, &l1);
	/* Never overwrites. */
	assert_int_equal(localca_create(d, "other", 3650, &err), 0);
	assert_null(err);
	k2 = read_all(kpath, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(k1, k2, l1);
	free(k1);
	free(k2);

	/* A lost ca.db is not silently remade by open; create remakes it. */
	free(kpath);
	kpath = xasprintf("%s/%s", d, LOCALCA_DB);
	assert_int_equal(unlink(kpath), 0);
	{
		struct localca	*ca = NULL;

		assert_int_equal(localca_open(d, DAYS, &ca, &err), -1);
		assert_null(ca);
		assert_non_null(strstr(err, "cabutctl init"));
		free(err);
		err = NULL;
	}
	assert_int_equal(localca_create(d, "cabut test CA", 3650, &err), 0);
	assert_int_equal(mode_of(d, LOCALCA_DB), 0600);
	{
		struct localca	*ca = NULL;

		assert_int_equal(localca_open(d, 0, &ca, &err), -1);
		assert_null(ca);
		assert_non_null(strstr(err, "crl_days"));
		free(err);
		err = NULL;
		ca = open_ca(d);
		localca_close(&ca);
	}
	free(kpath);
	free(d);
}

static void
test_issue(void **state)
{
	struct localca		*ca;
	X509			*x;
	EVP_PKEY		*pkey;
	BIO			*b;
	EXTENDED_KEY_USAGE	*eku;
	GENERAL_NAMES		*san;
	ASN1_BIT_STRING		*ku;
	ASN1_OCTET_STRING	*ski;
	AUTHORITY_KEYID		*aki;
	const unsigned char	*p;
	unsigned char		*der;
	size_t			 len;
	char			*d, *serial, *key, *err = NULL, *s, *s2;

	(void)state;
	d = make_ca("issue");
	ca = open_ca(d);
	assert_int_equal(localca_issue(ca, "CN=Budi Santoso,O=Kominfo,C=ID",
	    "budi@example.go.id", "budi", 365, T0, &key, &serial, &der, &len,
	    &err), 0);
	assert_null(err);
	/* Uppercase hex, no leading zero, 16 octets at most. */
	assert_true(strlen(serial) >= 1 && strlen(serial) <= 32);
	assert_int_equal(strspn(serial, "0123456789ABCDEF"), strlen(serial));
	assert_true(serial[0] != '0');

	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	s = registry_serial_text(x);
	assert_string_equal(s, serial);
	free(s);
	s = registry_name_text(X509_get_subject_name(x));
	assert_string_equal(s, "CN=Budi Santoso,O=Kominfo,C=ID");
	free(s);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(localca_cert(ca))), 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(localca_cert(ca))), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(time_of(X509_get0_notBefore(x)), T0);
	assert_int_equal(time_of(X509_get0_notAfter(x)), T0 + 365 * 86400);
	s = registry_email(x);
	assert_string_equal(s, "budi@example.go.id");
	free(s);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_EMAIL);
	GENERAL_NAMES_free(san);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	assert_non_null(eku);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)),
	    NID_email_protect);
	EXTENDED_KEY_USAGE_free(eku);
	ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	assert_non_null(ku);
	assert_true(ASN1_BIT_STRING_get_bit(ku, 0));	/* digitalSignature */
	assert_true(ASN1_BIT_STRING_get_bit(ku, 1));	/* nonRepudiation */
	assert_false(ASN1_BIT_STRING_get_bit(ku, 5));	/* keyCertSign */
	ASN1_BIT_STRING_free(ku);
	assert_int_equal(X509_check_ca(x), 0);
	/* AKI = the CA's SKI. */
	ski = X509_get_ext_d2i(localca_cert(ca), NID_subject_key_identifier,
	    NULL, NULL);
	aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(ski);
	assert_non_null(aki);
	assert_non_null(aki->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki->keyid), 0);
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	assert_non_null(X509_get0_subject_key_id(x));
	/* The holder's key belongs to the certificate. */
	b = BIO_new_mem_buf(key, -1);
	pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(pkey);
	assert_int_equal(X509_check_private_key(x, pkey), 1);
	EVP_PKEY_free(pkey);
	BIO_free(b);
	freezero_str(&key);
	X509_free(x);
	free(der);
	assert_int_equal(localca_status(ca, serial, NULL, NULL, &err),
	    LOCALCA_VALID);

	/* The slash form, most general first, gives the same order. */
	assert_int_equal(localca_issue(ca, "/C=ID/O=Kominfo/CN=Siti",
	    "siti@example.go.id", NULL, 30, T0, NULL, &s2, &der, &len,
	    &err), 0);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	s = registry_name_text(X509_get_subject_name(x));
	assert_string_equal(s, "CN=Siti,O=Kominfo,C=ID");
	assert_string_not_equal(s2, serial);
	free(s);
	free(s2);
	X509_free(x);
	free(der);

	/* Refused: bad DN, bad address, bad lifetime, bad country. */
	assert_int_equal(localca_issue(ca, "CN", "a@b.id", NULL, 30, T0, NULL,
	    &s2, &der, &len, &err), -1);
	assert_null(s2);
	assert_null(der);
	free(err);
	err = NULL;
	assert_int_equal(localca_issue(ca, "CN=x", "not an address", NULL,
	    30, T0, NULL, &s2, &der, &len, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(localca_issue(ca, "CN=x", "a@b.id", NULL, 0, T0,
	    NULL, &s2, &der, &len, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(localca_issue(ca, "CN=x,C=IDN", "a@b.id", NULL, 30,
	    T0, NULL, &s2, &der, &len, &err), -1);
	free(err);
	free(serial);
	localca_close(&ca);
	assert_null(ca);
	free(d);
}

static void
test_revoke(void **state)
{
	struct localca	*ca;
	struct ca_result res;
	X509_CRL	*crl;
	unsigned char	*data;
	size_t		 len;
	char		*d, *s1, *s2, *err = NULL, *path;
	uint64_t	 number;
	int64_t		 next, this, at, inval, rat;
	int		 reason;
	enum ca_status	 st;

	(void)state;
	d = make_ca("revoke");
	ca = open_ca(d);
	s1 = issue(ca, "CN=Satu,O=Kominfo,C=ID", "satu@example.go.id");
	s2 = issue(ca, "CN=Dua,O=Kominfo,C=ID", "dua@example.go.id");

	/* CRL 1: the first one, made when none exists. */
	assert_int_equal(localca_crl(ca, T0, 0, &number, &next, &err), 1);
	assert_int_equal(number, 1);
	assert_int_equal(next, T0 + DAYS * 86400);
	assert_int_equal(localca_crl(ca, T0, 0, &number, &next, &err), 0);
	assert_int_equal(number, 1);

	/* Revoked as superseded: CRL 2 at once. */
	st = localca_revoke(ca, s1, CA_REASON_SUPERSEDED, T0 - 86400, T0 + 10,
	    &res, &number, &err);
	if (st != CA_OK)
		fail_msg("revoke: %s", err);
	assert_int_equal(res.changed, 1);
	assert_int_equal(res.revoked_at, T0 + 10);
	assert_int_equal(res.reason, CA_REASON_SUPERSEDED);
	assert_string_equal(res.detail, "CRL 2");
	assert_int_equal(number, 2);
	ca_result_clear(&res);
	assert_int_equal(mode_of(d, LOCALCA_CRL_DER), 0644);
	assert_int_equal(mode_of(d, LOCALCA_CRL_PEM), 0644);

	crl = load_crl(d);
	assert_int_equal(der_crl_number(crl), 2);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(time_of(X509_CRL_get0_lastUpdate(crl)), T0 + 10);
	assert_int_equal(time_of(X509_CRL_get0_nextUpdate(crl)),
	    T0 + 10 + DAYS * 86400);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	crl_entry_of(crl, s1, &reason, &inval, &rat);
	assert_int_equal(reason, CA_REASON_SUPERSEDED);
	assert_int_equal(inval, T0 - 86400);
	assert_int_equal(rat, T0 + 10);
	{
		AUTHORITY_KEYID	*aki = X509_CRL_get_ext_d2i(crl,
		    NID_authority_key_identifier, NULL, NULL);

		assert_non_null(aki);
		assert_non_null(aki->keyid);
		AUTHORITY_KEYID_free(aki);
	}
	X509_CRL_free(crl);

	/* crl_contains checks the signature and finds s1 only, in both files. */
	path = xasprintf("%s/%s", d, LOCALCA_CRL_PEM);
	data = read_all(path, &len);
	assert_int_equal(crl_contains(data, len, localca_cert(ca), s1, &next,
	    &err), 1);
	assert_int_equal(next, T0 + 10 + DAYS * 86400);
	assert_int_equal(crl_contains(data, len, localca_cert(ca), s2, NULL,
	    &err), 0);
	assert_null(err);
	free(data);
	free(path);

	/* Again, same reason: nothing changes, no new CRL. */
	assert_int_equal(localca_revoke(ca, s1, CA_REASON_SUPERSEDED, 0,
	    T0 + 20, &res, &number, &err), CA_OK);
	assert_int_equal(res.changed, 0);
	assert_int_equal(res.revoked_at, T0 + 10);
	assert_int_equal(res.reason, CA_REASON_SUPERSEDED);
	assert_string_equal(res.detail, "CRL 2");
	ca_result_clear(&res);
	assert_int_equal(localca_crl_info(d, &number, &this, &next, &err), 0);
	assert_int_equal(number, 2);
	assert_int_equal(this, T0 + 10);
	/* Another reason that is not keyCompromise: the same. */
	assert_int_equal(localca_revoke(ca, s1, CA_REASON_AFFILIATION_CHANGED,
	    0, T0 + 25, &res, &number, &err), CA_OK);
	assert_int_equal(res.changed, 0);
	assert_int_equal(res.reason, CA_REASON_SUPERSEDED);
	assert_int_equal(number, 2);
	ca_result_clear(&res);
	crl = load_crl(d);
	assert_int_equal(der_crl_number(crl), 2);
	X509_CRL_free(crl);

	/* Raised to keyCompromise: CRL 3, same revocation time. */
	assert_int_equal(localca_revoke(ca, s1, CA_REASON_KEY_COMPROMISE,
	    T0 - 2 * 86400, T0 + 30, &res, &number, &err), CA_OK);
	assert_int_equal(res.changed, 1);
	assert_int_equal(res.revoked_at, T0 + 10);
	assert_int_equal(res.reason, CA_REASON_KEY_COMPROMISE);
	assert_string_equal(res.detail, "CRL 3");
	ca_result_clear(&res);
	crl = load_crl(d);
	assert_int_equal(der_crl_number(crl), 3);
	crl_entry_of(crl, s1, &reason, &inval, &rat);
	assert_int_equal(reason, CA_REASON_KEY_COMPROMISE);
	assert_int_equal(inval, T0 - 2 * 86400);
	assert_int_equal(rat, T0 + 10);
	X509_CRL_free(crl);
	assert_int_equal(localca_revoke(ca, s1, CA_REASON_KEY_COMPROMISE, 0,
	    T0 + 40, &res, &number, &err), CA_OK);
	assert_int_equal(res.changed, 0);
	assert_int_equal(number, 3);
	ca_result_clear(&res);
	assert_int_equal(localca_status(ca, s1, &at, &reason, &err),
	    LOCALCA_REVOKED);
	assert_int_equal(at, T0 + 10);
	assert_int_equal(reason, CA_REASON_KEY_COMPROMISE);

	/* unspecified (0): listed without a reason code. */
	assert_int_equal(localca_revoke(ca, s2, 0, 0, T0 + 50, &res, &number,
	    &err), CA_OK);
	assert_int_equal(number, 4);
	ca_result_clear(&res);
	crl = load_crl(d);
	crl_entry_of(crl, s2, &reason, &inval, &rat);
	assert_int_equal(reason, -1);
	assert_int_equal(inval, 0);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	X509_CRL_free(crl);

	/* Permanent: not ours, not a serial, bad reasons. The serial is
	 * matched whatever its case and leading zeros. */
	assert_int_equal(localca_revoke(ca, "ABCDEF", 1, 0, T0, &res, NULL,
	    &err), CA_PERMANENT);
	assert_non_null(strstr(err, "not issued by this CA"));
	free(err);
	err = NULL;
	assert_int_equal(localca_revoke(ca, "XYZ", 1, 0, T0, &res, NULL,
	    &err), CA_PERMANENT);
	free(err);
	err = NULL;
	assert_int_equal(localca_revoke(ca, s1, 7, 0, T0, &res, NULL, &err),
	    CA_PERMANENT);
	free(err);
	err = NULL;
	assert_int_equal(localca_revoke(ca, s1, 11, 0, T0, &res, NULL, &err),
	    CA_PERMANENT);
	free(err);
	err = NULL;
	path = xasprintf("00%s", s1);
	path[2] = (char)(path[2] >= 'A' ? path[2] - 'A' + 'a' : path[2]);
	assert_int_equal(localca_status(ca, path, NULL, NULL, &err),
	    LOCALCA_REVOKED);
	free(path);
	assert_int_equal(localca_status(ca, "ABCDEF", NULL, NULL, &err),
	    LOCALCA_UNKNOWN);
	assert_int_equal(localca_crl_info(d, &number, &this, &next, &err), 0);
	assert_int_equal(number, 4);

	free(s1);
	free(s2);
	localca_close(&ca);
	free(d);
}

static void
test_crl_due(void **state)
{
	struct localca	*ca;
	struct ca_result res;
	char		*d, *path, *err = NULL, *s1;
	uint64_t	 number;
	int64_t		 next, this;

	(void)state;
	d = make_ca("due");
	ca = open_ca(d);
	assert_int_equal(localca_crl_info(d, &number, &this, &next, &err), 0);
	assert_int_equal(number, 0);
	assert_int_equal(localca_crl(ca, T0, 0, &number, &next, &err), 1);
	assert_int_equal(number, 1);
	/* 4 of 7 days left: not due; 3 days left: due. */
	assert_int_equal(localca_crl(ca, T0 + 3 * 86400, 0, &number, &next,
	    &err), 0);
	assert_int_equal(number, 1);
	assert_int_equal(next, T0 + DAYS * 86400);
	assert_int_equal(localca_crl(ca, T0 + 4 * 86400, 0, &number, &next,
	    &err), 1);
	assert_int_equal(number, 2);
	assert_int_equal(next, T0 + 4 * 86400 + DAYS * 86400);
	/* Forced. */
	assert_int_equal(localca_crl(ca, T0 + 4 * 86400, 1, &number, NULL,
	    &err), 1);
	assert_int_equal(number, 3);
	/* A file gone: due. */
	path = xasprintf("%s/%s", d, LOCALCA_CRL_PEM);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(localca_crl(ca, T0 + 4 * 86400, 0, &number, NULL,
	    &err), 1);
	assert_int_equal(number, 4);
	assert_int_equal(access(path, F_OK), 0);
	free(path);

	/* A write that fails still uses up its number. */
	path = xasprintf("%s/%s", d, LOCALCA_CRL_DER);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(localca_crl(ca, T0 + 5 * 86400, 1, &number, NULL,
	    &err), -1);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(localca_crl_info(d, &number, &this, &next, &err), 0);
	assert_int_equal(number, 4);
	/* A revocation whose CRL failed is published by the next call. */
	s1 = issue(ca, "CN=Tiga,C=ID", "tiga@example.go.id");
	assert_int_equal(localca_revoke(ca, s1, 1, 0, T0 + 5 * 86400, &res,
	    NULL, &err), CA_TEMPORARY);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(rmdir(path), 0);
	free(path);
	localca_close(&ca);

	/* Reopened: the numbers go on after the lost ones. */
	ca = open_ca(d);
	assert_int_equal(localca_revoke(ca, s1, 1, 0, T0 + 6 * 86400, &res,
	    &number, &err), CA_OK);
	assert_int_equal(res.changed, 0);
	assert_int_equal(number, 7);
	ca_result_clear(&res);
	assert_int_equal(localca_crl(ca, T0 + 6 * 86400, 0, &number, NULL,
	    &err), 0);
	assert_int_equal(number, 7);
	{
		X509_CRL	*crl = load_crl(d);

		assert_int_equal(der_crl_number(crl), 7);
		X509_CRL_free(crl);
	}
	free(s1);
	localca_close(&ca);
	free(d);
}

static void
test_key_mode(void **state)
{
	struct localca	*ca = NULL;
	char		*d, *path, *err = NULL;

	(void)state;
	d = make_ca("keymode");
	path = xasprintf("%s/%s", d, LOCALCA_KEY);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(localca_open(d, DAYS, &ca, &err), -1);
	assert_null(ca);
	assert_non_null(strstr(err, "group or others"));
	free(err);
	err = NULL;
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(localca_open(d, DAYS, &ca, &err), 0);
	localca_close(&ca);
	free(path);
	free(d);
}

/* The backend. */

static struct config *
config_for(const char *d, int64_t timeout)
{
	struct config	*cfg = xcalloc(1, sizeof(*cfg));

	cfg->ca.backend = BACKEND_LOCAL;
	cfg->ca.dir = xstrdup(d);
	cfg->ca.crl_days = DAYS;
	cfg->ca.timeout = timeout;
	return cfg;
}

static void
config_done(struct config *cfg)
{
	free(cfg->ca.dir);
	free(cfg);
}

/* Revoke serial through the backend at T0 + dt. */
static enum ca_status
backend_revoke(struct ca_backend *be, const char *serial, int reason,
    int64_t dt, struct ca_result *res)
{
	struct ca_revocation	 rv;
	char			*err = NULL;
	enum ca_status		 st;

	memset(&rv, 0, sizeof(rv));
	rv.serial = serial;
	rv.reason = reason;
	rv.now = T0 + dt;
	st = ca_revoke(be, &rv, res, &err);
	if (st == CA_OK)
		assert_null(err);
	else
		assert_non_null(err);
	free(err);
	return st;
}

static void
assert_reaped(pid_t pid)
{
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
backend_run(const char *name)
{
	struct ca_backend	*be;
	struct ca_result	 res;
	struct config		*cfg;
	struct localca		*ca;
	char			*d, *s1, *s2, *s3, *err = NULL;
	pid_t			 pid, pid2;
	uint64_t		 number;
	int64_t			 at, t, next;
	int			 reason;

	d = make_ca(name);
	ca = open_ca(d);
	s1 = issue(ca, "CN=Satu,C=ID", "satu@example.go.id");
	s2 = issue(ca, "CN=Dua,C=ID", "dua@example.go.id");
	s3 = issue(ca, "CN=Tiga,C=ID", "tiga@example.go.id");
	cfg = config_for(d, 10);
	if (ca_open(cfg, &be, &err) != 0)
		fail_msg("ca_open: %s", err);
	pid = ca_local_pid(be);
	assert_true(pid > 0);

	assert_int_equal(backend_revoke(be, s1, 4, 0, &res), CA_OK);
	assert_int_equal(res.changed, 1);
	assert_int_equal(res.revoked_at, T0);
	assert_int_equal(res.reason, 4);
	/* CRL 1 made when the CA process started. */
	assert_string_equal(res.detail, "CRL 2");
	ca_result_clear(&res);
	assert_int_equal(localca_status(ca, s1, &at, &reason, &err),
	    LOCALCA_REVOKED);
	assert_int_equal(reason, 4);
	assert_int_equal(backend_revoke(be, s1, 4, 5, &res), CA_OK);
	assert_int_equal(res.changed, 0);
	assert_int_equal(res.revoked_at, T0);
	ca_result_clear(&res);
	assert_int_equal(backend_revoke(be, "ABCDEF", 1, 5, &res),
	    CA_PERMANENT);
	assert_int_equal(backend_revoke(be, "not hex", 1, 5, &res),
	    CA_PERMANENT);
	assert_int_equal(ca_local_pid(be), pid);

	/* kill -9: the next call starts a new CA process and succeeds. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(backend_revoke(be, s2, 1, 10, &res), CA_OK);
	assert_int_equal(res.changed, 1);
	assert_string_equal(res.detail, "CRL 3");
	ca_result_clear(&res);
	pid2 = ca_local_pid(be);
	assert_true(pid2 > 0 && pid2 != pid);
	assert_reaped(pid);

	/* tick: nothing due at T0 + 1 day; due at T0 + 5 days. */
	assert_int_equal(ca_tick(be, T0 + 86400, &err), CA_OK);
	assert_int_equal(localca_crl_info(d, &number, &t, &next, &err), 0);
	assert_int_equal(number, 3);
	assert_int_equal(ca_tick(be, T0 + 5 * 86400, &err), CA_OK);
	assert_int_equal(localca_crl_info(d, &number, &t, &next, &err), 0);
	assert_int_equal(number, 4);
	assert_int_equal(t, T0 + 5 * 86400);
	assert_int_equal(next, T0 + (5 + DAYS) * 86400);
	/* Killed while idle, then a tick: restarted as well. */
	assert_int_equal(kill(pid2, SIGKILL), 0);
	assert_int_equal(backend_revoke(be, s3, 3, 20, &res), CA_OK);
	ca_result_clear(&res);
	assert_true(ca_local_pid(be) != pid2);
	assert_reaped(pid2);
	pid = ca_local_pid(be);
	ca_close(&be);
	assert_null(be);
	assert_reaped(pid);
	assert_int_equal(kill(pid, 0), -1);

	config_done(cfg);
	localca_close(&ca);
	free(s1);
	free(s2);
	free(s3);
	free(d);
}

static void
test_backend_fork(void **state)
{
	(void)state;
	ca_local_exe = NULL;
	backend_run("backend-fork");
}

/* Exec'd: this program, which serves with --ca-process (see main), as
 * cabutd will. Only fds 0-3 reach it. */
static void
test_backend_exec(void **state)
{
	struct ca_backend	*be;
	struct config		*cfg;
	DIR			*dp;
	struct dirent		*de;
	char			*d, *fdpath, *err = NULL;
	int			 fd, extra, nfds = 0, has3 = 0;

	(void)state;
	/* Not /proc/self/exe, which is valgrind under valgrind. */
	ca_local_exe = self;
	backend_run("backend-exec");

	/* A descriptor the daemon leaves open does not reach the CA. */
	d = make_ca("backend-fds");
	cfg = config_for(d, 10);
	assert_true((fd = open("/dev/null", O_RDONLY)) != -1);
	assert_true((extra = fcntl(fd, F_DUPFD, 10)) >= 10);
	close(fd);
	if (ca_open(cfg, &be, &err) != 0)
		fail_msg("ca_open: %s", err);
	fdpath = xasprintf("/proc/%ld/fd", (long)ca_local_pid(be));
	assert_non_null(dp = opendir(fdpath));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		nfds++;
		if (strcmp(de->d_name, "3") == 0)
			has3 = 1;
		/* sqlite's ca.db, its WAL and the CRL lock may be open */
		if (atoi(de->d_name) > 3) {
			char	*l = xasprintf("%s/%s", fdpath, de->d_name);
			char	 target[4096];
			ssize_t	 n = readlink(l, target, sizeof(target) - 1);

			assert_true(n > 0);
			target[n] = '\0';
			if (strncmp(target, d, strlen(d)) != 0)
				fail_msg("fd %s (%s) reached the CA process",
				    de->d_name, target);
			free(l);
		}
	}
	closedir(dp);
	assert_true(has3);
	assert_true(nfds >= 4);
	close(extra);
	ca_close(&be);
	config_done(cfg);
	free(fdpath);
	free(d);
	ca_local_exe = NULL;
}

/* A CA process that never answers is killed after the timeout; one that
 * answers garbage is killed at once; one that cannot start is tried
 * twice. */
static void
test_backend_broken(void **state)
{
	static const char	*const scripts[] = {
		"#!/bin/sh\nexec sleep 30\n",
		"#!/bin/sh\nread l <&3\necho HELLO >&3\nexec sleep 30\n",
	};
	struct ca_backend	*be = NULL;
	struct config		*cfg;
	char			*d, *script, *err = NULL;
	time_t			 t;
	size_t			 i;
	FILE			*f;

	(void)state;
	d = make_ca("broken");
	cfg = config_for(d, 1);
	script = xasprintf("%s/fake-ca.sh", dir);
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		unlink(script);
		assert_non_null(f = fopen(script, "w"));
		fputs(scripts[i], f);
		fclose(f);
		assert_int_equal(chmod(script, 0700), 0);
		ca_local_exe = script;
		t = time(NULL);
		assert_int_equal(ca_open(cfg, &be, &err), -1);
		assert_null(be);
		if (i == 0)
			assert_non_null(strstr(err, "did not answer"));
		else
			assert_non_null(strstr(err, "malformed answer"));
		assert_true(time(NULL) - t < 5);
		free(err);
		err = NULL;
	}
	ca_local_exe = "/nonexistent/cabutd";
	assert_int_equal(ca_open(cfg, &be, &err), -1);
	assert_non_null(strstr(err, "exited"));
	free(err);
	/* No child left behind. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	ca_local_exe = NULL;
	free(script);
	config_done(cfg);
	free(d);
}

/* The protocol, spoken directly to ca_local_serve. */

static void
say(int fd, const char *data, size_t len)
{
	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static char *
answer(int fd)
{
	char	 line[CA_LOCAL_LINE_MAX + 1];
	size_t	 n = 0;
	ssize_t	 r;

	while (n < sizeof(line) - 1) {
		r = read(fd, line + n, 1);
		assert_int_equal(r, 1);
		if (line[n] == '\n') {
			line[n] = '\0';
			return xstrdup(line);
		}
		n++;
	}
	fail_msg("answer too long");
	return NULL;
}

static void
ask(int fd, const char *req, const char *want_prefix)
{
	char	*a;

	say(fd, req, strlen(req));
	a = answer(fd);
	if (strncmp(a, want_prefix, strlen(want_prefix)) != 0)
		fail_msg("%s -> \"%s\", not \"%s...\"", req, a, want_prefix);
	free(a);
}

/* The CA process, exec'd as this program with the socket on fd 3 (its
 * exit status is then its own, even under valgrind). */
static pid_t
serve_exec(const char *d, int *fd_r)
{
	char	 days[] = "7", opt[] = "--ca-process", *argv[5];
	int	 sv[2];
	pid_t	 pid;

	argv[0] = self;
	argv[1] = opt;
	argv[2] = (char *)(uintptr_t)d;
	argv[3] = days;
	argv[4] = NULL;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		if (dup2(sv[1], CA_LOCAL_FD) == -1)
			_exit(127);
		execv(self, argv);
		_exit(127);
	}
	close(sv[1]);
	*fd_r = sv[0];
	return pid;
}

static void
test_protocol(void **state)
{
	struct localca	*ca;
	char		*d, *s1, *req, *big, *want;
	int		 fd, status;
	pid_t		 pid;

	(void)state;
	d = make_ca("protocol");
	ca = open_ca(d);
	s1 = issue(ca, "CN=Satu,C=ID", "satu@example.go.id");
	pid = serve_exec(d, &fd);

	ask(fd, "PING\n", "OK ready");
	big = xmalloc(3 * CA_LOCAL_LINE_MAX + 2);
	memset(big, 'A', 3 * CA_LOCAL_LINE_MAX);
	memcpy(big + 3 * CA_LOCAL_LINE_MAX, "\n", 2);
	ask(fd, big, "PERM line too long");
	/* Just at the limit with its newline: parsed (and unknown). */
	big[CA_LOCAL_LINE_MAX - 1] = '\n';
	big[CA_LOCAL_LINE_MAX] = '\0';
	ask(fd, big, "PERM unknown request");
	big[CA_LOCAL_LINE_MAX - 1] = 'A';
	big[CA_LOCAL_LINE_MAX] = '\n';
	big[CA_LOCAL_LINE_MAX + 1] = '\0';
	ask(fd, big, "PERM line too long");
	free(big);
	ask(fd, "garbage\n", "PERM unknown request");
	ask(fd, "\n", "PERM malformed");
	ask(fd, "PING\r\n", "PERM malformed");
	ask(fd, "PING extra\n", "PERM usage");
	say(fd, "PI\0NG\n", 6);
	want = answer(fd);
	assert_string_equal(want, "PERM malformed request");
	free(want);
	ask(fd, "REVOKE XYZ 1 0 1800000000\n", "PERM usage");
	ask(fd, "REVOKE ABC 11 0 1800000000\n", "PERM usage");
	ask(fd, "REVOKE ABC 1 -5 1800000000\n", "PERM usage");
	ask(fd, "REVOKE ABC 1 01 1800000000\n", "PERM usage");
	ask(fd, "REVOKE ABC 1 0 99999999999999999999\n", "PERM usage");
	ask(fd, "REVOKE  ABC 1 0 1800000000\n", "PERM malformed");
	ask(fd, "REVOKE ABC 1 0\n", "PERM usage");
	ask(fd, "REVOKE ABC 1 0 1 2 3 4 5 6\n", "PERM malformed");
	ask(fd, "TICK x\n", "PERM usage");
	ask(fd, "ISSUE CN=x a@b.id\n", "PERM the CA process does not issue");
	ask(fd, "REVOKE ABCDEF 1 0 1800000000\n", "PERM serial ABCDEF was not");
	ask(fd, "REVOKE ABC 7 0 1800000000\n", "PERM bad reason");

	/* Still serving. */
	req = xasprintf("STATUS %s\n", s1);
	ask(fd, req, "OK valid 0 0");
	free(req);
	req = xasprintf("REVOKE %s 4 0 1800000000\n", s1);
	ask(fd, req, "OK 1 1800000000 4 2");
	ask(fd, req, "OK 0 1800000000 4 2");
	free(req);
	req = xasprintf("STATUS %s\n", s1);
	ask(fd, req, "OK revoked 1800000000 4");
	free(req);
	ask(fd, "STATUS ABCDEF\n", "OK unknown");
	ask(fd, "TICK 1800000000\n", "OK 0 2 1800604800");
	ask(fd, "TICK 1800518400\n", "OK 1 3 1801123200");
	/* Several requests in one write: answered in order. */
	req = xstrdup("PING\nTICK 1800518400\n");
	say(fd, req, strlen(req));
	free(req);
	want = answer(fd);
	assert_string_equal(want, "OK ready");
	free(want);
	want = answer(fd);
	assert_string_equal(want, "OK 0 3 1801123200");
	free(want);

	/* EOF: exits 0. */
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	localca_close(&ca);
	free(s1);
	free(d);
}

/* A CA that cannot be opened: every request is told why; once it is
 * there, the next request uses it. */
static void
test_protocol_no_ca(void **state)
{
	char	*d, *err = NULL, *a;
	int	 fd, status;
	pid_t	 pid;

	(void)state;
	d = xasprintf("%s/later", dir);
	pid = serve_exec(d, &fd);
	say(fd, "PING\n", 5);
	a = answer(fd);
	assert_non_null(strstr(a, "TEMP cannot open the local CA: "));
	free(a);
	ask(fd, "TICK 1800000000\n", "TEMP cannot open the local CA");
	ask(fd, "REVOKE ABC 1 0 1800000000\n", "TEMP cannot open");
	ask(fd, "bogus\n", "PERM unknown request");
	assert_int_equal(localca_create(d, "cabut test CA", 3650, &err), 1);
	ask(fd, "PING\n", "OK ready");
	ask(fd, "STATUS ABC\n", "OK unknown");
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	free(d);
}

static int
group_setup(void **state)
{
	char	 tmpl[] = "/tmp/cabut-localca.XXXXXX";

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
group_teardown(void **state)
{
	char	*cmd;
	int	 r;

	(void)state;
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
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_issue),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_crl_due),
		cmocka_unit_test(test_key_mode),
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_protocol_no_ca),
		cmocka_unit_test(test_backend_fork),
		cmocka_unit_test(test_backend_exec),
		cmocka_unit_test(test_backend_broken),
	};

	/* Started as the CA process by test_backend_exec, as cabutd is. */
	if (argc == 4 && strcmp(argv[1], "--ca-process") == 0)
		return ca_local_serve(CA_LOCAL_FD, argv[2], atoi(argv[3]));
	if (realpath(argv[0], self) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
