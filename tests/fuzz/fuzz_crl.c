/* libFuzzer target: the CRL parser (src/crl.h crl_load) against a fixed
 * issuer: the CA key and certificate below, loaded once at start
 * (make-seeds.sh signs the seed CRLs with the same key). Each input is
 * (1) loaded as it is (PEM or DER): almost every mutation fails the
 * signature, which tests the parsing and the checks before it; and
 * (2) when OpenSSL can parse it as a CRL, re-signed with the CA key under
 * the CA's name and loaded again, so the checks after the signature
 * (extensions, times, number) and the lookups run on fuzzed content.
 * Every serial on the CRL, and a few others, are looked up. */
#include "autoconf.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crl.h"

#include "fuzz.h"

#define LOOKUPS_MAX	64

static const char ca_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkcwe+GFEQmRTNko3\n"
    "ijJvNm7AOHGBSsvZkEECmA1XZw6hRANCAATJybnRR7owU7Q/A9EJk5TYgrpx7CET\n"
    "orhRrWXfgSCrjI7ZBmJTLLBMIWE0eRg0u3Up5KLWRMugjnR2I1eqw2Ji\n"
    "-----END PRIVATE KEY-----\n"
    ;

static const char ca_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBxzCCAWygAwIBAgIBATAKBggqhkjOPQQDAjA6MQswCQYDVQQGEwJJRDETMBEG\n"
    "A1UECgwKY2FidXQgZnV6ejEWMBQGA1UEAwwNY2FidXQgZnV6eiBDQTAeFw0yNjEx\n"
    "MjYwNjMwMzdaFw00NjExMjEwNjMwMzdaMDoxCzAJBgNVBAYTAklEMRMwEQYDVQQK\n"
    "DApjYWJ1dCBmdXp6MRYwFAYDVQQDDA1jYWJ1dCBmdXp6IENBMFkwEwYHKoZIzj0C\n"
    "AQYIKoZIzj0DAQcDQgAEycm50Ue6MFO0PwPRCZOU2IK6cewhE6K4Ua1l34Egq4yO\n"
    "2QZiUyywTCFhNHkYNLt1KeSi1kTLoI50diNXqsNiYqNjMGEwHwYDVR0jBBgwFoAU\n"
    "U3ik3AWePvhf2I/BNasY90uiLxkwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8E\n"
    "BAMCAQYwHQYDVR0OBBYEFFN4pNwFnj74X9iPwTWrGPdLoi8ZMAoGCCqGSM49BAMC\n"
    "A0kAMEYCIQDt1tqlhYFbTLoZ0Z99hhSk/LRT1IWXWPY6fYpKOCzuXAIhANnBvzEh\n"
    "Hxx/8QwBNR2pE08dNSMfM9fNwYCzhDq7bKrf\n"
    "-----END CERTIFICATE-----\n"
    ;

static EVP_PKEY	*ca_key;
static X509	*ca_cert;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO	*b;

	if ((b = BIO_new_mem_buf(ca_key_pem, -1)) == NULL ||
	    (ca_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(b);
	if ((b = BIO_new_mem_buf(ca_cert_pem, -1)) == NULL ||
	    (ca_cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(b);
	return 0;
}

/* An entry's serial as crl_lookup takes it: uppercase hex. */
static char *
serial_hex(const ASN1_INTEGER *ai)
{
	BIGNUM	*bn;
	char	*hex, *out;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return NULL;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return NULL;
	out = strdup(hex[0] == '-' ? hex + 1 : hex);
	OPENSSL_free(hex);
	return out;
}

static void
use_crl(const unsigned char *der, size_t len, X509_CRL *x)
{
	static const char *const others[] = {
		"0", "1", "01", "DEADBEEF", "deadbeef", "", "zz", "-1",
		("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
	};
	STACK_OF(X509_REVOKED)	*revs;
	struct crl	*c;
	char		*error = NULL, *hex;
	int64_t		 at, next;
	uint64_t	 number;
	size_t		 i, n;
	int		 reason, r;

	if ((c = crl_load(der, len, ca_cert, &error)) == NULL) {
		FUZZ_CHECK(error != NULL);
		free(error);
		return;
	}
	FUZZ_CHECK(error == NULL);
	(void)crl_last_update(c);
	(void)crl_next_update(c);
	(void)crl_number(c, &number);
	n = crl_count(c);
	revs = x != NULL ? X509_CRL_get_REVOKED(x) : NULL;
	for (i = 0; revs != NULL && i < (size_t)sk_X509_REVOKED_num(revs) &&
	    i < LOOKUPS_MAX; i++) {
		hex = serial_hex(X509_REVOKED_get0_serialNumber(
		    sk_X509_REVOKED_value(revs, (int)i)));
		if (hex == NULL)
			continue;
		r = crl_lookup(c, hex, &at, &reason);
		FUZZ_CHECK(r == 0 || r == 1);
		FUZZ_CHECK(reason >= -1 && reason <= 10);
		free(hex);
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		(void)crl_lookup(c, others[i], NULL, NULL);
	crl_free(&c);
	FUZZ_CHECK(c == NULL);
	if (n > 0) {
		r = crl_contains(der, len, ca_cert, "1", &next, &error);
		if (r == -1)
			FUZZ_CHECK(error != NULL);
		free(error);
	}
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_CRL		*x = NULL;
	BIO			*b = NULL;
	const unsigned char	*p = data;
	unsigned char		*der = NULL;
	int			 len;

	if (size > FUZZ_MAX_INPUT || size == 0)
		return 0;
	/* (1) As it came. */
	use_crl(data, size, NULL);

	/* (2) Re-signed by the CA. */
	if (data[0] == 0x30)
		x = d2i_X509_CRL(NULL, &p, (long)size);
	else if ((b = BIO_new_mem_buf(data, (int)size)) != NULL)
		x = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x != NULL &&
	    X509_CRL_set_issuer_name(x, X509_get_subject_name(ca_cert)) == 1 &&
	    X509_CRL_sign(x, ca_key, EVP_sha256()) > 0 &&
	    (len = i2d_X509_CRL(x, &der)) > 0)
		use_crl(der, (size_t)len, x);
	OPENSSL_free(der);
	X509_CRL_free(x);
	ERR_clear_error();
	return 0;
}
