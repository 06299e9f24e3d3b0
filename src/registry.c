/* The registry of certificates (see registry.h). */
#include "autoconf.h"
#include "registry.h"
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define REGISTRY_MAX_PER_FILE	100000

char *
registry_name_text(const X509_NAME *name)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p, *out;
	long	 n;

	if (b == NULL)
		fatalx("registry: BIO_new");
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_get_mem_data(b, &p);
	out = xstrndup(p, n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return out;
}

char *
registry_serial_text(const X509 *x)
{
	BIGNUM	*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char	*hex, *out, *p;

	if (bn == NULL || (hex = BN_bn2hex(bn)) == NULL)
		fatalx("registry: serial");
	/* BN_bn2hex writes whole octets ("0A1B"): drop leading zeros, as
	 * request_serial_normalise does, so both spell a serial alike. */
	for (p = hex; p[0] == '0' && p[1] != '\0'; p++)
		;
	out = xstrdup(p[0] == '\0' ? "0" : p);
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

static char *
lower_dup(const char *s, size_t n)
{
	char	*out = xstrndup(s, n);
	size_t	 i;

	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return out;
}

char *
registry_email(X509 *x)
{
	GENERAL_NAMES		*sans;
	const GENERAL_NAME	*gn;
	X509_NAME_ENTRY		*e;
	ASN1_STRING		*s;
	char			*out = NULL;
	int			 i, idx;

	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans) && out == NULL; i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type == GEN_EMAIL)
			out = lower_dup((const char *)ASN1_STRING_get0_data(gn->d.rfc822Name),
			    (size_t)ASN1_STRING_length(gn->d.rfc822Name));
	}
	GENERAL_NAMES_free(sans);
	if (out == NULL &&
	    (idx = X509_NAME_get_index_by_NID(X509_get_subject_name(x),
	    NID_pkcs9_emailAddress, -1)) >= 0) {
		e = X509_NAME_get_entry(X509_get_subject_name(x), idx);
		s = X509_NAME_ENTRY_get_data(e);
		out = lower_dup((const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s));
	}
	/* An address with a NUL or a control character inside is no address. */
	if (out != NULL && (strlen(out) == 0 || strpbrk(out, " \t\r\n<>\"") != NULL)) {
		free(out);
		out = NULL;
	}
	return out;
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int
registry_add(struct store *s, X509 *x, const char *username, char **error_r)
{
	sqlite3_stmt	*st;
	unsigned char	*der = NULL;
	char		*issuer, *serial, *subject, *email;
	int		 derlen, rc, existed, ret = -1;

	issuer = registry_name_text(X509_get_issuer_name(x));
	serial = registry_serial_text(x);
	subject = registry_name_text(X509_get_subject_name(x));
	email = registry_email(x);
	if ((derlen = i2d_X509(x, &der)) <= 0) {
		*error_r = xstrdup("cannot encode the certificate");
		goto out;
	}
	st = store_prepare(s, "SELECT 1 FROM certificates WHERE issuer = ?1"
	    " AND serial = ?2");
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	existed = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);

	st = store_prepare(s, "INSERT INTO certificates (issuer, serial, subject_dn,"
	    " email, username, not_before, not_after, der, imported) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (issuer, serial)"
	    " DO UPDATE SET subject_dn = excluded.subject_dn, email = excluded.email,"
	    " username = coalesce(excluded.username, username),"
	    " not_before = excluded.not_before, not_after = excluded.not_after,"
	    " der = excluded.der");
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	if (email != NULL)
		sqlite3_bind_text(st, 4, email, -1, SQLITE_STATIC);
	if (username != NULL)
		sqlite3_bind_text(st, 5, username, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, asn1_time(X509_get0_notBefore(x)));
	sqlite3_bind_int64(st, 7, asn1_time(X509_get0_notAfter(x)));
	sqlite3_bind_blob(st, 8, der, derlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (int64_t)now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*error_r = xasprintf("store: %s", sqlite3_errmsg(s->db));
		goto out;
	}
	ret = existed ? 1 : 0;
out:
	OPENSSL_free(der);
	free(issuer);
	free(serial);
	free(subject);
	free(email);
	return ret;
}

int
registry_import_pem(struct store *s, const char *path, const char *username,
    int *count_r, char **error_r)
{
	BIO	*b;
	X509	*x;
	int	 n = 0, ret = -1;

	*count_r = 0;
	if ((b = BIO_new_file(path, "r")) == NULL) {
		*error_r = xasprintf("%s: cannot open", path);
		return -1;
	}
	if (store_begin(s) == -1) {
		*error_r = xstrdup("store: cannot begin");
		goto out;
	}
	while (n < REGISTRY_MAX_PER_FILE &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (registry_add(s, x, username, error_r) == -1) {
			X509_free(x);
			store_rollback(s);
			goto out;
		}
		X509_free(x);
		n++;
	}
	ERR_clear_error();	/* the end of the file reads as an error */
	if (n == 0) {
		*error_r = xasprintf("%s: no PEM certificate in it", path);
		store_rollback(s);
		goto out;
	}
	if (store_commit(s) == -1) {
		*error_r = xstrdup("store: cannot commit");
		goto out;
	}
	*count_r = n;
	ret = 0;
out:
	BIO_free(b);
	return ret;
}

#define CERT_COLUMNS "issuer, serial, subject_dn, email, username, not_before," \
	" not_after, coalesce(revoked, 0), coalesce(revocation_reason, 0), der"

static char *
col(sqlite3_stmt *st, int i)
{
	const char	*t = store_col_text(st, i);

	return t ? xstrdup(t) : NULL;
}

static void
cert_from_row(sqlite3_stmt *st, struct registry_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->issuer = col(st, 0);
	c->serial = col(st, 1);
	c->subject_dn = col(st, 2);
	c->email = col(st, 3);
	c->username = col(st, 4);
	c->not_before = sqlite3_column_int64(st, 5);
	c->not_after = sqlite3_column_int64(st, 6);
	c->revoked = sqlite3_column_int64(st, 7);
	c->revocation_reason = sqlite3_column_int(st, 8);
}

void
registry_cert_clear(struct registry_cert *c)
{
	free(c->issuer);
	free(c->serial);
	free(c->subject_dn);
	free(c->email);
	free(c->username);
	memset(c, 0, sizeof(*c));
}

/* Subject of the DER in column 9 matches dn (either RDN order). */
static int
row_dn_matches(sqlite3_stmt *st, const X509_NAME *dn)
{
	const unsigned char	*p = sqlite3_column_blob(st, 9);
	X509			*x;
	int			 m;

	if (p == NULL || (x = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 9))) == NULL)
		return 0;
	m = request_dn_match(X509_get_subject_name(x), dn);
	X509_free(x);
	return m;
}

int
registry_find(struct store *s, const char *serial, const X509_NAME *dn,
    const char *sender, struct registry_cert *out)
{
	sqlite3_stmt	*st;
	int		 rc, found = 0, mine;

	memset(out, 0, sizeof(out[0]));
	if (serial != NULL)
		st = store_prepare(s, "SELECT " CERT_COLUMNS " FROM certificates"
		    " WHERE serial = ?1 ORDER BY (email = lower(?2)) DESC, imported DESC");
	else if (dn != NULL)
		/* Only the sender's own certificates can match by DN: the
		 * others would be "not found" anyway. */
		st = store_prepare(s, "SELECT " CERT_COLUMNS " FROM certificates"
		    " WHERE email = lower(?2) ORDER BY imported DESC LIMIT 10000");
	else
		return 1;
	if (serial != NULL)
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender ? sender : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (serial == NULL && !row_dn_matches(st, dn))
			continue;
		mine = sender != NULL && store_col_text(st, 3) != NULL &&
		    strcasecmp(store_col_text(st, 3), sender) == 0;
		if (!found || mine) {
			registry_cert_clear(out);
			cert_from_row(st, out);
			found = 1;
		}
		if (mine)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		registry_cert_clear(out);
		return -1;
	}
	return found ? 0 : 1;
}

int
registry_foreach_serial(struct store *s, const char *serial,
    int (*cb)(const struct registry_cert *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct registry_cert	 c;
	int			 rc, n = 0;

	st = store_prepare(s, "SELECT " CERT_COLUMNS " FROM certificates"
	    " WHERE serial = ?1 ORDER BY issuer");
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cert_from_row(st, &c);
		cb(&c, arg);
		registry_cert_clear(&c);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}
