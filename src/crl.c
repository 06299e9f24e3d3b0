/* Certificate revocation lists: a v2 CRL built and signed with OpenSSL
 * (SHA-256, CRL number, authority key identifier, per entry the reason
 * code and the invalidity date), and a CRL checked against its issuer and
 * searched for a serial. */
#include "autoconf.h"
#include "crl.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CRL_MAX_SERIAL	40		/* hex digits: RFC 5280's 20 octets */
#define CRL_MAX_INPUT	(1UL << 30)	/* fits BIO_new_mem_buf's int */

/* "what: OpenSSL's first reason", owned; the error queue is emptied. */
static char *
ossl_error(const char *what)
{
	unsigned long	 e;
	char		 tmp[256];
	char		*s;

	if ((e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, tmp, sizeof(tmp));
		s = xasprintf("%s: %s", what, tmp);
	} else
		s = xstrdup(what);
	ERR_clear_error();
	return s;
}

/* A serial in uppercase (or lowercase) hex, NULL when malformed. */
static ASN1_INTEGER *
serial_from_hex(const char *hex)
{
	ASN1_INTEGER	*ai = NULL;
	BIGNUM		*bn = NULL;
	size_t		 i, n;

	if (hex == NULL || (n = strlen(hex)) == 0 || n > CRL_MAX_SERIAL)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return NULL;
	if (BN_hex2bn(&bn, hex) != (int)n)
		goto out;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
 out:
	BN_free(bn);
	return ai;
}

static int
add_entry(X509_CRL *crl, const struct crl_entry *e, char **error_r)
{
	X509_REVOKED		*rev = NULL;
	ASN1_INTEGER		*serial = NULL;
	ASN1_TIME		*date = NULL;
	ASN1_ENUMERATED		*reason = NULL;
	ASN1_GENERALIZEDTIME	*inval = NULL;
	int			 ret = -1;

	if ((serial = serial_from_hex(e->serial)) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("bad serial \"%s\"",
		    e->serial != NULL ? e->serial : "");
		goto out;
	}
	if ((rev = X509_REVOKED_new()) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1) {
		*error_r = ossl_error("revoked entry");
		goto out;
	}
	if ((date = ASN1_TIME_set(NULL, (time_t)e->revoked)) == NULL ||
	    X509_REVOKED_set_revocationDate(rev, date) != 1) {
		*error_r = ossl_error("revocation date");
		goto out;
	}
	if (e->reason >= 0) {
		if (e->reason > 10 || e->reason == 7) {
			*error_r = xasprintf("bad reason code %d", e->reason);
			goto out;
		}
		if ((reason = ASN1_ENUMERATED_new()) == NULL ||
		    ASN1_ENUMERATED_set(reason, e->reason) != 1 ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason,
		    0, 0) != 1) {
			*error_r = ossl_error("reason code");
			goto out;
		}
	}
	if (e->invalidity_date != 0) {
		if ((inval = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)e->invalidity_date)) == NULL ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_invalidity_date, inval,
		    0, 0) != 1) {
			*error_r = ossl_error("invalidity date");
			goto out;
		}
	}
	if (X509_CRL_add0_revoked(crl, rev) != 1) {
		*error_r = ossl_error("adding revoked entry");
		goto out;
	}
	rev = NULL;
	ret = 0;
 out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(date);
	ASN1_ENUMERATED_free(reason);
	ASN1_GENERALIZEDTIME_free(inval);
	return ret;
}

int
crl_build(X509 *ca_cert, EVP_PKEY *ca_key, const struct crl_entry *entries,
    size_t n, uint64_t crl_number, int64_t now, int days, char **pem_r,
    size_t *pem_len_r, unsigned char **der_r, size_t *der_len_r,
    char **error_r)
{
	X509_CRL	*crl = NULL;
	ASN1_TIME	*last = NULL, *next = NULL;
	ASN1_INTEGER	*number = NULL;
	X509_EXTENSION	*aki = NULL;
	X509V3_CTX	 ctx;
	BIO		*bio = NULL;
	char		*mem, *pem = NULL;
	unsigned char	*der = NULL, *p;
	long		 memlen;
	int		 derlen;
	size_t		 i;
	int		 ret = -1;

	*pem_r = NULL;
	*der_r = NULL;
	*pem_len_r = *der_len_r = 0;
	*error_r = NULL;
	ERR_clear_error();

	if (ca_cert == NULL || ca_key == NULL || days < 0) {
		*error_r = xstrdup("bad CRL parameters");
		goto out;
	}
	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca_cert)) != 1) {
		*error_r = ossl_error("new CRL");
		goto out;
	}
	if ((last = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    (next = ASN1_TIME_set(NULL,
	    (time_t)(now + (int64_t)days * 86400))) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1) {
		*error_r = ossl_error("CRL update times");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_entry(crl, &entries[i], error_r) == -1)
			goto out;
	if (X509_CRL_sort(crl) != 1) {
		*error_r = ossl_error("sorting the CRL");
		goto out;
	}

	if ((number = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(number, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1) {
		*error_r = ossl_error("CRL number");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
	if ((aki = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, aki, -1) != 1) {
		*error_r = ossl_error("authority key identifier");
		goto out;
	}

	if (X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0) {
		*error_r = ossl_error("signing the CRL");
		goto out;
	}

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_CRL(bio, crl) != 1 ||
	    (memlen = BIO_get_mem_data(bio, &mem)) <= 0) {
		*error_r = ossl_error("CRL to PEM");
		goto out;
	}
	pem = xmalloc((size_t)memlen + 1);
	memcpy(pem, mem, (size_t)memlen);
	pem[memlen] = '\0';

	if ((derlen = i2d_X509_CRL(crl, NULL)) <= 0) {
		*error_r = ossl_error("CRL to DER");
		goto out;
	}
	der = xmalloc((size_t)derlen);
	p = der;
	if (i2d_X509_CRL(crl, &p) != derlen) {
		*error_r = ossl_error("CRL to DER");
		goto out;
	}

	*pem_r = pem;
	*pem_len_r = (size_t)memlen;
	*der_r = der;
	*der_len_r = (size_t)derlen;
	pem = NULL;
	der = NULL;
	ret = 0;
 out:
	free(pem);
	free(der);
	BIO_free(bio);
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(number);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return ret;
}

int
crl_contains(const unsigned char *data, size_t len, X509 *issuer,
    const char *serial, int64_t *next_update_r, char **error_r)
{
	X509_CRL		*crl = NULL;
	X509_REVOKED		*rev = NULL;
	ASN1_INTEGER		*ai = NULL;
	const ASN1_TIME		*nu;
	EVP_PKEY		*pkey;
	BIO			*bio = NULL;
	const unsigned char	*p;
	struct tm		 tm;
	int			 r, ret = -1;

	*error_r = NULL;
	if (next_update_r != NULL)
		*next_update_r = 0;
	ERR_clear_error();

	if (data == NULL || len == 0 || len > CRL_MAX_INPUT ||
	    issuer == NULL) {
		*error_r = xstrdup("bad CRL parameters");
		goto out;
	}
	if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
		    (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL,
		    NULL)) == NULL) {
			*error_r = ossl_error("not a PEM CRL");
			goto out;
		}
	} else {
		p = data;
		if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
		    p != data + len) {
			*error_r = ossl_error("not a DER CRL");
			goto out;
		}
	}

	if ((pkey = X509_get0_pubkey(issuer)) == NULL) {
		*error_r = ossl_error("issuer public key");
		goto out;
	}
	if (X509_CRL_verify(crl, pkey) != 1) {
		ERR_clear_error();
		*error_r = xstrdup("bad signature");
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(issuer)) != 0) {
		*error_r = xstrdup("CRL issuer is not the CA");
		goto out;
	}

	if ((ai = serial_from_hex(serial)) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("bad serial \"%s\"",
		    serial != NULL ? serial : "");
		goto out;
	}

	if (next_update_r != NULL &&
	    (nu = X509_CRL_get0_nextUpdate(crl)) != NULL) {
		memset(&tm, 0, sizeof(tm));
		if (ASN1_TIME_to_tm(nu, &tm) != 1) {
			*error_r = ossl_error("CRL nextUpdate");
			goto out;
		}
		*next_update_r = (int64_t)timegm(&tm);
	}

	/* 2: listed as removeFromCRL, i.e. no longer revoked. */
	r = X509_CRL_get0_by_serial(crl, &rev, ai);
	ret = r == 1 ? 1 : 0;
 out:
	ASN1_INTEGER_free(ai);
	X509_CRL_free(crl);
	BIO_free(bio);
	return ret;
}
