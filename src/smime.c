/* S/MIME-signed replies: the raw mail is verified with OpenSSL CMS
 * against the operator's CA file (certificates and CRLs), the signer's
 * address is matched to the sender, and the signed content handed back. */
#include "autoconf.h"
#include "smime.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define SMIME_MAX_RAW		(1UL << 30)	/* fits BIO_new_mem_buf's int */
#define SMIME_MAX_CONTENT	(25UL << 20)	/* signed content handed back */
#define SMIME_MAX_ERROR		1024		/* OpenSSL's reasons, joined */

/* The signed content, written by CMS_verify into a buffer that stops at
 * SMIME_MAX_CONTENT: a memory BIO would grow without bound. */
struct sink {
	struct buf	 b;
	int		 overflow;
};

/* Made once: BIO type indexes are a small, process-wide resource. */
static BIO_METHOD	*sink_method;

static int
sink_write(BIO *bio, const char *data, int len)
{
	struct sink	*s = BIO_get_data(bio);

	if (len <= 0)
		return 0;
	if (buf_add(&s->b, data, (size_t)len) == -1) {
		s->overflow = 1;
		return -1;
	}
	return len;
}

static long
sink_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO *
sink_new(struct sink *s)
{
	BIO	*bio;
	int	 type;

	if (sink_method == NULL) {
		if ((type = BIO_get_new_index()) == -1)
			return NULL;
		if ((sink_method = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK,
		    "cabut S/MIME content")) == NULL)
			return NULL;
		if (BIO_meth_set_write(sink_method, sink_write) != 1 ||
		    BIO_meth_set_ctrl(sink_method, sink_ctrl) != 1) {
			BIO_meth_free(sink_method);
			sink_method = NULL;
			return NULL;
		}
	}
	if ((bio = BIO_new(sink_method)) == NULL)
		return NULL;
	BIO_set_data(bio, s);
	BIO_set_init(bio, 1);
	return bio;
}

/* Which CMS_verify failure the error queue names. */
#define SMIME_E_CERT		0x01	/* the signer's chain did not verify */
#define SMIME_E_CONTENT		0x02	/* content digest mismatch */
#define SMIME_E_NO_SIGNER	0x04	/* signer certificate not in the mail */

/* OpenSSL's reasons, oldest first, joined with "; " and bounded, made
 * printable (the data may quote the mail); the queue is left empty. */
static char *
ssl_errors(int *kinds_r)
{
	struct buf	 b;
	const char	*data, *reason;
	unsigned long	 e;
	char		 tmp[256], *s;
	size_t		 i;
	int		 flags, kinds = 0;

	buf_init(&b, SMIME_MAX_ERROR);
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (ERR_GET_LIB(e) == ERR_LIB_CMS) {
			switch (ERR_GET_REASON(e)) {
			case CMS_R_CERTIFICATE_VERIFY_ERROR:
				kinds |= SMIME_E_CERT;
				break;
			case CMS_R_CONTENT_VERIFY_ERROR:
				kinds |= SMIME_E_CONTENT;
				break;
			case CMS_R_SIGNER_CERTIFICATE_NOT_FOUND:
				kinds |= SMIME_E_NO_SIGNER;
				break;
			}
		}
		if (ERR_SYSTEM_ERROR(e))
			reason = strerror(ERR_GET_REASON(e));
		else if ((reason = ERR_reason_error_string(e)) == NULL) {
			ERR_error_string_n(e, tmp, sizeof(tmp));
			reason = tmp;
		}
		if (b.len > 0)
			(void)buf_addstr(&b, "; ");
		(void)buf_addstr(&b, reason);
		if ((flags & ERR_TXT_STRING) && data != NULL && *data != '\0') {
			/* CMS_verify's "Verify error: certificate revoked". */
			if (strncmp(data, "Verify error: ", 14) == 0)
				data += 14;
			(void)buf_printf(&b, " (%s)", data);
		}
	}
	if (kinds_r != NULL)
		*kinds_r = kinds;
	if (b.len == 0)
		return xstrdup("no reason given by OpenSSL");
	s = buf_steal(&b);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	return s;
}

/* The operator's CA certificates and their CRLs, read afresh on each call
 * so that a renewed CRL counts at once. Every certificate of the chain is
 * checked against its issuer's CRL; a missing or expired CRL fails. */
static X509_STORE *
store_load(const char *ca_file, char **error_r)
{
	X509_STORE	*store;
	char		*why;
	int		 ok = 0;

	if ((store = X509_STORE_new()) == NULL)
		goto out;
	if (X509_STORE_load_file(store, ca_file) != 1)
		goto out;
	if (X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL) != 1 ||
	    X509_STORE_set_purpose(store, X509_PURPOSE_SMIME_SIGN) != 1)
		goto out;
	ok = 1;
 out:
	if (!ok) {
		why = ssl_errors(NULL);
		*error_r = xasprintf("smime_ca_file %s: cannot load: %s",
		    ca_file, why);
		free(why);
		X509_STORE_free(store);
		store = NULL;
	}
	return store;
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* An address in a certificate equals addr, ASCII case ignored. */
static int
email_equal(const ASN1_STRING *as, const char *addr)
{
	const unsigned char	*d = ASN1_STRING_get0_data(as);
	int			 n = ASN1_STRING_length(as), i;

	if (d == NULL || n <= 0 || (size_t)n != strlen(addr))
		return 0;
	if (ASN1_STRING_type(as) != V_ASN1_IA5STRING &&
	    ASN1_STRING_type(as) != V_ASN1_UTF8STRING)
		return 0;
	for (i = 0; i < n; i++)
		if (d[i] == '\0' || lower((char)d[i]) != lower(addr[i]))
			return 0;
	return 1;
}

/* The certificate is for addr. X509_check_email compares the local part
 * with its case; cabut compares addresses ignoring case everywhere, so
 * the same places are looked at again that way: the rfc822Name SANs, or
 * the subject's emailAddress when there is none. */
static int
cert_has_email(X509 *cert, const char *addr)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gen;
	const X509_NAME		*subj;
	const X509_NAME_ENTRY	*ne;
	int			 i, n, have_san = 0, found = 0;

	if (X509_check_email(cert, addr, 0, 0) == 1)
		return 1;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	n = sk_GENERAL_NAME_num(gens);
	for (i = 0; i < n && !found; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type != GEN_EMAIL)
			continue;
		have_san = 1;
		found = email_equal(gen->d.rfc822Name, addr);
	}
	GENERAL_NAMES_free(gens);
	if (found || have_san)
		return found;
	subj = X509_get_subject_name(cert);
	i = -1;
	while ((i = X509_NAME_get_index_by_NID(subj, NID_pkcs9_emailAddress,
	    i)) >= 0) {
		ne = X509_NAME_get_entry(subj, i);
		if (email_equal(X509_NAME_ENTRY_get_data(ne), addr))
			return 1;
	}
	return 0;
}

int
smime_verify(const char *raw, size_t len, const char *ca_file,
    const char *sender, char **content_r, size_t *content_len_r,
    char **error_r)
{
	BIO			*in = NULL, *dcont = NULL, *out = NULL;
	CMS_ContentInfo		*cms = NULL;
	X509_STORE		*store = NULL;
	STACK_OF(X509)		*signers = NULL;
	struct sink		 sink;
	const char		*name;
	char			*why = NULL;
	int			 i, n, nid, kinds, ret = -1;

	*content_r = NULL;
	*content_len_r = 0;
	*error_r = NULL;
	buf_init(&sink.b, SMIME_MAX_CONTENT);
	sink.overflow = 0;
	ERR_clear_error();

	if (sender == NULL || strchr(sender, '@') == NULL) {
		*error_r = xstrdup("no sender address to match the signer to");
		goto out;
	}
	if (len > SMIME_MAX_RAW || len > INT_MAX) {
		*error_r = xasprintf("mail of %zu bytes too large to verify",
		    len);
		goto out;
	}
	/* SMIME_read_CMS takes multipart/signed (the first part is the
	 * content, canonicalised to CRLF) and application/pkcs7-mime. */
	if ((in = BIO_new_mem_buf(len == 0 ? "" : raw, (int)len)) == NULL ||
	    (cms = SMIME_read_CMS(in, &dcont)) == NULL) {
		why = ssl_errors(NULL);
		*error_r = xasprintf("not S/MIME signed: %s", why);
		goto out;
	}
	if ((nid = OBJ_obj2nid(CMS_get0_type(cms))) != NID_pkcs7_signed) {
		name = OBJ_nid2ln(nid);
		*error_r = xasprintf("not S/MIME signed: the mail is CMS %s",
		    name != NULL ? name : "of an unknown type");
		goto out;
	}
	/* Only data is read as a mail: a signed receipt, a time stamp or
	 * the like is something else its signer signed. */
	nid = OBJ_obj2nid(CMS_get0_eContentType(cms));
	if (nid != NID_pkcs7_data && nid != NID_id_ct_asciiTextWithCRLF) {
		*error_r = xstrdup("not S/MIME signed: the signed content "
		    "is not data");
		goto out;
	}
	if ((store = store_load(ca_file, error_r)) == NULL)
		goto out;
	if ((out = sink_new(&sink)) == NULL) {
		why = ssl_errors(NULL);
		*error_r = xasprintf("S/MIME verification: %s", why);
		goto out;
	}
	/* No CMS_BINARY: detached content is digested in canonical (CRLF)
	 * form, as RFC 8551 signs it. CMS_NOCRL: revocation is known from
	 * smime_ca_file only, never from CRLs the sender put in the mail. */
	if (CMS_verify(cms, NULL, store, dcont, out, CMS_NOCRL) != 1) {
		why = ssl_errors(&kinds);
		if (sink.overflow)
			*error_r = xasprintf("signed content larger than %lu "
			    "bytes", SMIME_MAX_CONTENT);
		else if (kinds & SMIME_E_CERT)
			*error_r = xasprintf("signer certificate not trusted: "
			    "%s", why);
		else if (kinds & SMIME_E_NO_SIGNER)
			*error_r = xasprintf("signer certificate not in the "
			    "mail: %s", why);
		else if (kinds & SMIME_E_CONTENT)
			*error_r = xasprintf("bad signature: the content does "
			    "not match the signed digest: %s", why);
		else
			*error_r = xasprintf("bad signature: %s", why);
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL) {
		why = ssl_errors(NULL);
		*error_r = xasprintf("S/MIME signers: %s", why);
		goto out;
	}
	n = sk_X509_num(signers);
	for (i = 0; i < n; i++)
		if (cert_has_email(sk_X509_value(signers, i), sender))
			break;
	if (i == n) {
		*error_r = xasprintf("signer's certificate is for another "
		    "address than %s", sender);
		goto out;
	}
	*content_len_r = sink.b.len;
	*content_r = buf_steal(&sink.b);
	ret = 0;
 out:
	free(why);
	sk_X509_free(signers);
	BIO_free(out);
	BIO_free(dcont);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(store);
	buf_free(&sink.b);
	ERR_clear_error();
	return ret;
}
