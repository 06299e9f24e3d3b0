/* Certificate revocation lists: a v2 CRL built and signed with OpenSSL
 * (SHA-256, CRL number, authority key identifier, per entry the reason
 * code and the invalidity date), and a CRL checked against its issuer
 * once and searched for many serials. */
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
		*error_r = openssl_error("revoked entry");
		goto out;
	}
	if ((date = ASN1_TIME_set(NULL, (time_t)e->revoked)) == NULL ||
	    X509_REVOKED_set_revocationDate(rev, date) != 1) {
		*error_r = openssl_error("revocation date");
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
			*error_r = openssl_error("reason code");
			goto out;
		}
	}
	if (e->invalidity_date != 0) {
		if ((inval = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)e->invalidity_date)) == NULL ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_invalidity_date, inval,
		    0, 0) != 1) {
			*error_r = openssl_error("invalidity date");
			goto out;
		}
	}
	if (X509_CRL_add0_revoked(crl, rev) != 1) {
		*error_r = openssl_error("adding revoked entry");
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
		*error_r = openssl_error("new CRL");
		goto out;
	}
	if ((last = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    (next = ASN1_TIME_set(NULL,
	    (time_t)(now + (int64_t)days * 86400))) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1) {
		*error_r = openssl_error("CRL update times");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_entry(crl, &entries[i], error_r) == -1)
			goto out;
	if (X509_CRL_sort(crl) != 1) {
		*error_r = openssl_error("sorting the CRL");
		goto out;
	}

	if ((number = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(number, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1) {
		*error_r = openssl_error("CRL number");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
	if ((aki = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, aki, -1) != 1) {
		*error_r = openssl_error("authority key identifier");
		goto out;
	}

	if (X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0) {
		*error_r = openssl_error("signing the CRL");
		goto out;
	}

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_CRL(bio, crl) != 1 ||
	    (memlen = BIO_get_mem_data(bio, &mem)) <= 0) {
		*error_r = openssl_error("CRL to PEM");
		goto out;
	}
	pem = xmalloc((size_t)memlen + 1);
	memcpy(pem, mem, (size_t)memlen);
	pem[memlen] = '\0';

	if ((derlen = i2d_X509_CRL(crl, NULL)) <= 0) {
		*error_r = openssl_error("CRL to DER");
		goto out;
	}
	der = xmalloc((size_t)derlen);
	p = der;
	if (i2d_X509_CRL(crl, &p) != derlen) {
		*error_r = openssl_error("CRL to DER");
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

struct crl {
	X509_CRL	*x;
	int64_t		 last_update;
	int64_t		 next_update;		/* 0: none */
	int		 has_number;
	uint64_t	 number;
};

/* An ASN1_TIME as seconds since the epoch; -1 when it is not a time. */
static int
asn1_time_epoch(const ASN1_TIME *t, int64_t *r)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*r = (int64_t)timegm(&tm);
	return 0;
}

/* What the CRL watch cannot read right: RFC 5280 5.2 says a CRL with a
 * critical extension one does not process must not be used; a delta CRL
 * lists only changes; an indirect CRL lists other issuers' certificates;
 * the others of 5.2.5 leave out some of the CA's. */
static int
crl_check_extensions(X509_CRL *x, char **error_r)
{
	ISSUING_DIST_POINT	*idp;
	X509_EXTENSION		*ext;
	int			 i, n, nid, crit;

	n = X509_CRL_get_ext_count(x);
	for (i = 0; i < n; i++) {
		ext = X509_CRL_get_ext(x, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_delta_crl) {
			*error_r = xstrdup("a delta CRL, not a complete one");
			return -1;
		}
		if (X509_EXTENSION_get_critical(ext) &&
		    nid != NID_issuing_distribution_point) {
			*error_r = xasprintf("unknown critical CRL extension "
			    "%s", nid != NID_undef ? OBJ_nid2sn(nid) : "");
			return -1;
		}
	}
	idp = X509_CRL_get_ext_d2i(x, NID_issuing_distribution_point, &crit,
	    NULL);
	if (idp == NULL && crit != -1) {
		ERR_clear_error();
		*error_r = xstrdup("bad issuing distribution point");
		return -1;
	}
	if (idp != NULL) {
		/* Only end-entity certificates of this CA, every reason. */
		i = idp->indirectCRL || idp->onlyattr || idp->onlyCA ||
		    idp->onlysomereasons != NULL;
		ISSUING_DIST_POINT_free(idp);
		if (i) {
			*error_r = xstrdup("a partial CRL (issuing distribution "
			    "point: indirect, CA, attribute or some reasons "
			    "only)");
			return -1;
		}
	}
	return 0;
}

/* The CRL number, when present and within 64 bits. */
static void
crl_get_number(struct crl *c)
{
	ASN1_INTEGER	*ai;
	int		 crit;

	ai = X509_CRL_get_ext_d2i(c->x, NID_crl_number, &crit, NULL);
	if (ai != NULL && ASN1_INTEGER_get_uint64(&c->number, ai) == 1)
		c->has_number = 1;
	ASN1_INTEGER_free(ai);
	ERR_clear_error();
}

struct crl *
crl_load(const unsigned char *data, size_t len, X509 *issuer,
    char **error_r)
{
	struct crl		*c = NULL;
	X509_CRL		*x = NULL;
	EVP_PKEY		*pkey;
	BIO			*bio = NULL;
	const unsigned char	*p;

	*error_r = NULL;
	ERR_clear_error();

	if (data == NULL || len == 0 || issuer == NULL) {
		*error_r = xstrdup("bad CRL parameters");
		goto out;
	}
	if (len > CRL_MAX_SIZE) {
		*error_r = xasprintf("CRL larger than %lu bytes",
		    (unsigned long)CRL_MAX_SIZE);
		goto out;
	}
	/* DER is a SEQUENCE; anything else may be PEM, with text before. */
	if (data[0] != 0x30) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
		    (x = PEM_read_bio_X509_CRL(bio, NULL, NULL,
		    NULL)) == NULL) {
			*error_r = openssl_error("not a PEM CRL");
			goto out;
		}
	} else {
		p = data;
		if ((x = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
		    p != data + len) {
			*error_r = openssl_error("not a DER CRL");
			goto out;
		}
	}

	if (X509_NAME_cmp(X509_CRL_get_issuer(x),
	    X509_get_subject_name(issuer)) != 0) {
		*error_r = xstrdup("CRL issuer is not the CA");
		goto out;
	}
	if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
		*error_r = xstrdup("the CA certificate may not sign CRLs "
		    "(keyUsage)");
		goto out;
	}
	if ((pkey = X509_get0_pubkey(issuer)) == NULL) {
		*error_r = openssl_error("issuer public key");
		goto out;
	}
	if (X509_CRL_verify(x, pkey) != 1) {
		ERR_clear_error();
		*error_r = xstrdup("bad signature");
		goto out;
	}
	if (crl_check_extensions(x, error_r) == -1)
		goto out;

	c = xcalloc(1, sizeof(*c));
	if (asn1_time_epoch(X509_CRL_get0_lastUpdate(x),
	    &c->last_update) == -1) {
		*error_r = openssl_error("CRL thisUpdate");
		goto out;
	}
	if (X509_CRL_get0_nextUpdate(x) != NULL &&
	    asn1_time_epoch(X509_CRL_get0_nextUpdate(x),
	    &c->next_update) == -1) {
		*error_r = openssl_error("CRL nextUpdate");
		goto out;
	}
	c->x = x;
	x = NULL;
	crl_get_number(c);
 out:
	if (*error_r != NULL && c != NULL) {
		free(c);
		c = NULL;
	}
	X509_CRL_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return c;
}

int
crl_lookup(const struct crl *c, const char *serial, int64_t *revoked_at_r,
    int *reason_r)
{
	X509_REVOKED		*rev = NULL;
	ASN1_INTEGER		*ai;
	ASN1_ENUMERATED		*re;
	int64_t			 at = 0;
	long			 reason = -1;
	int			 r, crit;

	if (revoked_at_r != NULL)
		*revoked_at_r = 0;
	if (reason_r != NULL)
		*reason_r = -1;
	/* A malformed serial is on no CRL. */
	if ((ai = serial_from_hex(serial)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	/* A binary search: OpenSSL sorts the entries on the first lookup.
	 * 2: listed as removeFromCRL, i.e. no longer revoked. */
	r = X509_CRL_get0_by_serial(c->x, &rev, ai);
	ASN1_INTEGER_free(ai);
	if (r != 1)
		return 0;
	if (asn1_time_epoch(X509_REVOKED_get0_revocationDate(rev), &at) == -1)
		at = 0;
	if ((re = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit,
	    NULL)) != NULL) {
		reason = ASN1_ENUMERATED_get(re);
		if (reason < 0 || reason > 10)
			reason = -1;
		ASN1_ENUMERATED_free(re);
	}
	ERR_clear_error();
	if (revoked_at_r != NULL)
		*revoked_at_r = at;
	if (reason_r != NULL)
		*reason_r = (int)reason;
	return 1;
}

int64_t
crl_last_update(const struct crl *c)
{
	return c->last_update;
}

int64_t
crl_next_update(const struct crl *c)
{
	return c->next_update;
}

int
crl_number(const struct crl *c, uint64_t *number_r)
{
	if (!c->has_number)
		return 0;
	*number_r = c->number;
	return 1;
}

size_t
crl_count(const struct crl *c)
{
	STACK_OF(X509_REVOKED)	*revs = X509_CRL_get_REVOKED(c->x);

	return revs != NULL ? (size_t)sk_X509_REVOKED_num(revs) : 0;
}

void
crl_free(struct crl **cp)
{
	if (*cp == NULL)
		return;
	X509_CRL_free((*cp)->x);
	free(*cp);
	*cp = NULL;
}

int
crl_contains(const unsigned char *data, size_t len, X509 *issuer,
    const char *serial, int64_t *next_update_r, char **error_r)
{
	struct crl	*c;
	ASN1_INTEGER	*ai;
	int		 r;

	if (next_update_r != NULL)
		*next_update_r = 0;
	if ((c = crl_load(data, len, issuer, error_r)) == NULL)
		return -1;
	if ((ai = serial_from_hex(serial)) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("bad serial \"%s\"",
		    serial != NULL ? serial : "");
		crl_free(&c);
		return -1;
	}
	ASN1_INTEGER_free(ai);
	r = crl_lookup(c, serial, NULL, NULL);
	if (next_update_r != NULL)
		*next_update_r = c->next_update;
	crl_free(&c);
	return r;
}
