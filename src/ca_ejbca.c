/* The EJBCA backend (SPEC "Revocation backends"): EJBCA's REST API over
 * client-certificate TLS,
 *   PUT {url}/v1/certificate/{issuer_dn}/{serial_hex}/revoke?reason=R
 *       [&invalidity_date=RFC3339]
 * where url ends in .../ejbca/ejbca-rest-api. EJBCA answers 409 for a
 * certificate revoked before, unless it is on hold or the new reason is
 * KEY_COMPROMISE and the CA allows changing the reason; then cabut reads
 *   GET {url}/v1/certificate/{issuer_dn}/{serial_hex}/revocationstatus
 * to report the reason EJBCA keeps. */
#include "autoconf.h"
#include "ca.h"
#include "ca_api.h"
#include "http.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERIAL_HEX_MAX	64
#define ISSUER_MAX	4096

struct ejbca {
	char	*base;		/* {url}, without a trailing slash */
};

/* EJBCA's names of the RFC 5280 reasons, by code. */
static const char *const reasons[] = {
	"UNSPECIFIED", "KEY_COMPROMISE", "CA_COMPROMISE", "AFFILIATION_CHANGED",
	"SUPERSEDED", "CESSATION_OF_OPERATION", "CERTIFICATE_HOLD", NULL,
	"REMOVE_FROM_CRL", "PRIVILEGES_WITHDRAWN", "AA_COMPROMISE",
};
#define NREASONS	((int)(sizeof(reasons) / sizeof(reasons[0])))

static const char *
reason_name(int r)
{
	return r >= 0 && r < NREASONS ? reasons[r] : NULL;
}

/* Upper case, without '_': KEY_COMPROMISE and keyCompromise alike. */
static void
reason_fold(const char *s, char *out, size_t outlen)
{
	size_t	 n = 0;

	for (; *s != '\0' && n + 1 < outlen; s++)
		if (*s != '_')
			out[n++] = (char)toupper((unsigned char)*s);
	out[n] = '\0';
}

/* The code of a reason as EJBCA writes it (KEY_COMPROMISE) or as RFC 5280
 * does (keyCompromise); -1 when unknown. */
static int
reason_code(const char *s)
{
	char	 a[32], b[32];
	int	 r;

	if (strlen(s) >= sizeof(a))
		return -1;
	reason_fold(s, a, sizeof(a));
	for (r = 0; r < NREASONS; r++) {
		if (reasons[r] == NULL)
			continue;
		reason_fold(reasons[r], b, sizeof(b));
		if (strcmp(a, b) == 0)
			return r;
	}
	return -1;
}

static int
ejbca_start(struct ca_backend *ca, char **error_r)
{
	struct ejbca	*e;

	if (ca->cfg->ca.url == NULL) {
		*error_r = xstrdup("ejbca: [ca] url is not set");
		return -1;
	}
	e = xcalloc(1, sizeof(*e));
	e->base = ca_api_base_url(ca->cfg->ca.url);
	ca->priv = e;
	return 0;
}

static void
ejbca_stop(struct ca_backend *ca)
{
	struct ejbca	*e = ca->priv;

	if (e == NULL)
		return;
	free(e->base);
	free(e);
	ca->priv = NULL;
}

/* RFC 3986 percent-encoding of everything but the unreserved characters,
 * so ',', '=', '+', ' ' and '/' of a DN stay inside one path segment. */
static void
put_encoded(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[3];

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL) {
			(void)buf_add(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[(unsigned char)*s >> 4];
		e[2] = hex[(unsigned char)*s & 0x0f];
		(void)buf_add(b, e, 3);
	}
}

/* {base}/v1/certificate/{issuer}/{serial}/{what} */
static char *
cert_url(const struct ejbca *e, const struct ca_revocation *rv,
    const char *what)
{
	struct buf	 b;

	buf_init(&b, strlen(e->base) + 3 * ISSUER_MAX + SERIAL_HEX_MAX + 256);
	(void)buf_addstr(&b, e->base);
	(void)buf_addstr(&b, "/v1/certificate/");
	put_encoded(&b, rv->issuer);
	(void)buf_addstr(&b, "/");
	(void)buf_addstr(&b, rv->serial);
	(void)buf_addstr(&b, "/");
	(void)buf_addstr(&b, what);
	return buf_steal(&b);
}

/* "2026-11-26T02:48:51Z", with optional fraction and a numeric offset
 * instead of Z; 0 when it is none. */
static int64_t
parse_date(const char *s)
{
	struct tm	 tm;
	int		 n = 0, oh, om, sign;
	int64_t		 t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return 0;
	s += n;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	t = (int64_t)timegm(&tm);
	if (strcmp(s, "Z") == 0)
		return t;
	if ((*s != '+' && *s != '-') || !isdigit((unsigned char)s[1]))
		return 0;
	sign = *s == '-' ? -1 : 1;
	n = 0;
	if ((sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || s[6] != '\0') &&
	    (sscanf(s + 1, "%2d%2d%n", &oh, &om, &n) != 2 || n != 4 || s[5] != '\0'))
		return 0;
	return t - sign * (int64_t)(oh * 3600 + om * 60);
}

/* A valid JSON object answer, or -1. */
static int
answer_object(const struct http_response *resp, struct jscan *top)
{
	if (resp->body == NULL ||
	    jscan_valid((const char *)resp->body, resp->body_len, top) == -1 ||
	    top->p[0] != '{')
		return -1;
	return 0;
}

/* EJBCA's error text ({"error_code": N, "error_message": "..."}), owned. */
static char *
error_text(const struct http_response *resp)
{
	struct jscan	 top, v;
	char		*s;

	if (answer_object(resp, &top) == 0 &&
	    jscan_member(&top, "error_message", &v) == 0 &&
	    (s = jscan_text(&v, CA_API_MAX_MESSAGE)) != NULL)
		return s;
	return xstrdup("no error message");
}

/* From a revoke or revocationstatus answer: the reason (-1 unknown), the
 * date (0 unknown) and whether revoked (-1 unknown). */
static void
read_status(const struct http_response *resp, int *reason, int64_t *at,
    int *revoked)
{
	struct jscan	 top, v;
	char		*s;

	*reason = -1;
	*at = 0;
	*revoked = -1;
	if (answer_object(resp, &top) == -1)
		return;
	if (jscan_member(&top, "revocation_reason", &v) == 0 &&
	    (s = jscan_strdup(&v)) != NULL) {
		*reason = reason_code(s);
		free(s);
	}
	if (jscan_member(&top, "revocation_date", &v) == 0 &&
	    (s = jscan_strdup(&v)) != NULL) {
		*at = parse_date(s);
		free(s);
	}
	if (jscan_member(&top, "revoked", &v) == 0)
		(void)jscan_bool(&v, revoked);
}

/* 0 with an answer, -1 with *error_r (no answer). */
static int
call(struct ca_backend *ca, const char *method, const char *url,
    struct http_response *resp, char **error_r)
{
	struct http_options	 opt;
	struct http_request	 req;

	ca_api_options(ca->cfg, &opt);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	if (strcmp(method, "PUT") == 0) {
		/* No body; some servers want the length said. */
		req.content_type = "application/json";
		req.body = "";
		req.body_len = 0;
	}
	memset(resp, 0, sizeof(*resp));
	return http_perform(&opt, &req, resp, error_r);
}

/* EJBCA said 409: the certificate was revoked before and the reason stays
 * as it is. Read that reason. */
static enum ca_status
already_revoked(struct ca_backend *ca, const struct ca_revocation *rv,
    struct ca_result *res, char **error_r)
{
	struct http_response	 resp;
	enum ca_status		 st;
	char			*url, *herr = NULL, *msg;
	int			 reason, revoked;
	int64_t			 at;
	long			 status;

	url = cert_url(ca->priv, rv, "revocationstatus");
	if (call(ca, "GET", url, &resp, &herr) == -1) {
		*error_r = xasprintf("ejbca: serial %s was revoked before; "
		    "reading its status: no answer: %s", rv->serial, herr);
		free(herr);
		free(url);
		return CA_TEMPORARY;
	}
	free(url);
	if ((status = resp.status) != 200) {
		st = ca_api_status_class(status);
		msg = error_text(&resp);
		http_response_clear(&resp);
		if (st == CA_PERMANENT && rv->reason != CA_REASON_KEY_COMPROMISE) {
			/* 409 alone says enough: nothing to raise. */
			res->reason = rv->reason;
			res->changed = 0;
			res->detail = xasprintf("EJBCA: serial %s was revoked "
			    "before (its reason could not be read: HTTP %ld: %s)",
			    rv->serial, status, msg);
			free(msg);
			return CA_OK;
		}
		*error_r = xasprintf("ejbca: serial %s was revoked before; "
		    "reading its status: HTTP %ld: %s", rv->serial, status, msg);
		free(msg);
		return st;
	}
	read_status(&resp, &reason, &at, &revoked);
	http_response_clear(&resp);
	if (revoked != 1 || reason == -1) {
		*error_r = xasprintf("ejbca: serial %s: EJBCA said it was revoked "
		    "before, but its status says %s", rv->serial,
		    revoked == 0 ? "not revoked" : "nothing readable");
		return CA_PERMANENT;
	}
	if (rv->reason == CA_REASON_KEY_COMPROMISE &&
	    reason != CA_REASON_KEY_COMPROMISE) {
		*error_r = xasprintf("ejbca: serial %s was revoked before with "
		    "reason %s and EJBCA refused to raise it to KEY_COMPROMISE "
		    "(the CA does not allow changing the revocation reason)",
		    rv->serial, reason_name(reason));
		return CA_PERMANENT;
	}
	res->reason = reason;
	res->revoked_at = at;
	res->changed = 0;
	res->detail = xasprintf("EJBCA: serial %s was revoked before, reason %s",
	    rv->serial, reason_name(reason));
	return CA_OK;
}

static enum ca_status
ejbca_revoke(struct ca_backend *ca, const struct ca_revocation *rv,
    struct ca_result *res, char **error_r)
{
	struct http_response	 resp;
	struct jscan		 top;
	struct buf		 q;
	enum ca_status		 st;
	const char		*name = reason_name(rv->reason);
	char			*url, *herr = NULL, *msg, inv[21];
	int			 reason, revoked;
	int64_t			 at;
	size_t			 n = strlen(rv->serial);

	if (name == NULL || rv->reason == 6 || rv->reason == 8) {
		*error_r = xasprintf("ejbca: %d is no reason to revoke with",
		    rv->reason);
		return CA_PERMANENT;
	}
	if (n == 0 || n > SERIAL_HEX_MAX ||
	    strspn(rv->serial, "0123456789ABCDEFabcdef") != n) {
		*error_r = xstrdup("ejbca: the serial is no hexadecimal number");
		return CA_PERMANENT;
	}
	if (rv->issuer == NULL || *rv->issuer == '\0' ||
	    strlen(rv->issuer) > ISSUER_MAX) {
		*error_r = xstrdup("ejbca: the issuer DN is empty or too long");
		return CA_PERMANENT;
	}
	url = cert_url(ca->priv, rv, "revoke");
	buf_init(&q, strlen(url) + 256);
	(void)buf_addstr(&q, url);
	free(url);
	(void)buf_printf(&q, "?reason=%s", name);
	if (rv->invalidity_date > 0) {
		time_rfc3339((time_t)rv->invalidity_date, inv);
		(void)buf_addstr(&q, "&invalidity_date=");
		put_encoded(&q, inv);
	}
	url = buf_steal(&q);
	if (call(ca, "PUT", url, &resp, &herr) == -1) {
		*error_r = xasprintf("ejbca: revoking serial %s of %s: no "
		    "answer: %s", rv->serial, rv->issuer, herr);
		free(herr);
		free(url);
		return CA_TEMPORARY;
	}
	free(url);
	switch (resp.status) {
	case 200:
		if (answer_object(&resp, &top) == -1) {
			*error_r = xasprintf("ejbca: revoking serial %s: HTTP 200, "
			    "not an EJBCA answer", rv->serial);
			st = CA_PERMANENT;
			break;
		}
		read_status(&resp, &reason, &at, &revoked);
		res->reason = rv->reason;
		res->revoked_at = at;
		res->changed = 1;
		res->detail = xasprintf("EJBCA revoked serial %s, reason %s",
		    rv->serial, name);
		st = CA_OK;
		break;
	case 409:
		http_response_clear(&resp);
		return already_revoked(ca, rv, res, error_r);
	case 202:
		*error_r = xasprintf("ejbca: revoking serial %s: EJBCA queued it "
		    "for approval (HTTP 202); cabut's role must be allowed to "
		    "revoke without approval", rv->serial);
		st = CA_PERMANENT;
		break;
	default:
		msg = error_text(&resp);
		st = resp.status >= 200 && resp.status <= 299 ? CA_PERMANENT :
		    ca_api_status_class(resp.status);
		*error_r = xasprintf("ejbca: revoking serial %s of %s: HTTP "
		    "%ld%s: %s", rv->serial, rv->issuer, resp.status,
		    resp.status == 404 ? " (unknown certificate or CA)" : "",
		    msg);
		free(msg);
		break;
	}
	http_response_clear(&resp);
	return st;
}

const struct ca_backend_ops ca_ejbca_ops = {
	.name = "ejbca",
	.manual = 0,
	.start = ejbca_start,
	.revoke = ejbca_revoke,
	.tick = NULL,
	.stop = ejbca_stop,
};
