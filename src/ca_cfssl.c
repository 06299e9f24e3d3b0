/* The cfssl backend (SPEC "Revocation backends"): POST
 * {url}/api/v1/cfssl/revoke {"serial": DECIMAL, "authority_key_id": "",
 * "reason": NAME}. cfssl answers alike whether the certificate was
 * revoked before or not, and then overwrites its reason and time; its API
 * (Debian's 2016 build) has no way to read a certificate's status, so
 * every success is reported as a change. cfssl keeps no invalidity date. */
#include "autoconf.h"
#include "ca.h"
#include "ca_api.h"
#include "http.h"
#include "json.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#define SERIAL_HEX_MAX	64	/* RFC 5280 allows 20 octets; leave room */

struct cfssl {
	char	*revoke_url;
};

static int
cfssl_start(struct ca_backend *ca, char **error_r)
{
	struct cfssl	*c;
	char		*base;

	if (ca->cfg->ca.url == NULL) {
		*error_r = xstrdup("cfssl: [ca] url is not set");
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	base = ca_api_base_url(ca->cfg->ca.url);
	c->revoke_url = xasprintf("%s/api/v1/cfssl/revoke", base);
	free(base);
	ca->priv = c;
	return 0;
}

static void
cfssl_stop(struct ca_backend *ca)
{
	struct cfssl	*c = ca->priv;

	if (c == NULL)
		return;
	free(c->revoke_url);
	free(c);
	ca->priv = NULL;
}

/* cabut's serial (hex) in decimal, as cfssl's certdb keeps it; NULL when
 * it is no hex number. */
static char *
serial_decimal(const char *hex)
{
	BIGNUM	*bn = NULL;
	char	*dec, *out;
	size_t	 n = strlen(hex);

	if (n == 0 || n > SERIAL_HEX_MAX || strspn(hex, "0123456789ABCDEFabcdef") != n)
		return NULL;
	if (BN_hex2bn(&bn, hex) != (int)n) {
		BN_free(bn);
		return NULL;
	}
	dec = BN_bn2dec(bn);
	BN_free(bn);
	if (dec == NULL)
		return NULL;
	out = xstrdup(dec);
	OPENSSL_free(dec);
	return out;
}

static char *
request_body(const char *serial_dec, const char *reason)
{
	struct json	 j;
	char		*s;
	size_t		 n;

	json_init(&j, 0);
	json_object_begin(&j);
	json_key(&j, "serial");
	json_string(&j, serial_dec);
	json_key(&j, "authority_key_id");
	json_string(&j, "");
	json_key(&j, "reason");
	json_string(&j, reason);
	json_object_end(&j);
	s = json_finish(&j);
	/* One line: the trailing newline is not needed on the wire. */
	n = strlen(s);
	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

/* cfssl's envelope: {"success": bool, "errors": [{"code", "message"}]}.
 * 1 for success, 0 for a failure, -1 for no such envelope; *msg_r (owned,
 * may be NULL) holds the first error. */
static int
parse_answer(const struct http_response *resp, char **msg_r)
{
	struct jscan	 top, v, e, m;
	int64_t		 code;
	char		*text;
	int		 ok;

	*msg_r = NULL;
	if (resp->body == NULL ||
	    jscan_valid((const char *)resp->body, resp->body_len, &top) == -1 ||
	    jscan_member(&top, "success", &v) == -1 || jscan_bool(&v, &ok) == -1)
		return -1;
	if (jscan_member(&top, "errors", &v) == 0 && jscan_index(&v, 0, &e) == 0 &&
	    jscan_member(&e, "message", &m) == 0 &&
	    (text = jscan_text(&m, CA_API_MAX_MESSAGE)) != NULL) {
		if (jscan_member(&e, "code", &m) == 0 && jscan_int(&m, &code) == 0) {
			*msg_r = xasprintf("%s (cfssl error %lld)", text,
			    (long long)code);
			free(text);
		} else
			*msg_r = text;
	}
	return ok;
}

static enum ca_status
cfssl_revoke(struct ca_backend *ca, const struct ca_revocation *rv,
    struct ca_result *res, char **error_r)
{
	struct cfssl		*c = ca->priv;
	struct http_options	 opt;
	struct http_request	 req;
	struct http_response	 resp;
	enum ca_status		 st;
	const char		*reason = ca_reason_name(rv->reason);
	char			*dec, *body, *msg = NULL, *herr = NULL;
	int			 ok;

	/* Hold and removeFromCRL are no revocation. */
	if (reason == NULL || rv->reason == 6 || rv->reason == 8) {
		*error_r = xasprintf("cfssl: %d is no reason to revoke with",
		    rv->reason);
		return CA_PERMANENT;
	}
	if ((dec = serial_decimal(rv->serial)) == NULL) {
		*error_r = xstrdup("cfssl: the serial is no hexadecimal number");
		return CA_PERMANENT;
	}
	body = request_body(dec, reason);
	ca_api_options(ca->cfg, &opt);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = c->revoke_url;
	req.content_type = "application/json";
	req.body = body;
	req.body_len = strlen(body);
	memset(&resp, 0, sizeof(resp));
	if (http_perform(&opt, &req, &resp, &herr) == -1) {
		*error_r = xasprintf("cfssl: revoking serial %s: no answer: %s",
		    rv->serial, herr);
		st = CA_TEMPORARY;
		goto out;
	}
	ok = parse_answer(&resp, &msg);
	if (resp.status == 200 && ok == 1) {
		res->changed = 1;
		res->reason = rv->reason;
		res->revoked_at = 0;	/* cfssl does not say */
		res->detail = xasprintf("cfssl revoked serial %s (%s), reason %s",
		    rv->serial, dec, reason);
		st = CA_OK;
		goto out;
	}
	st = resp.status >= 200 && resp.status <= 299 ? CA_PERMANENT :
	    ca_api_status_class(resp.status);
	if (ok == -1)
		*error_r = xasprintf("cfssl: revoking serial %s: HTTP %ld, "
		    "not a cfssl answer", rv->serial, resp.status);
	else
		*error_r = xasprintf("cfssl: revoking serial %s: HTTP %ld: %s",
		    rv->serial, resp.status, msg != NULL ? msg : "refused");
out:
	http_response_clear(&resp);
	free(herr);
	free(msg);
	free(body);
	free(dec);
	return st;
}

const struct ca_backend_ops ca_cfssl_ops = {
	.name = "cfssl",
	.manual = 0,
	.start = cfssl_start,
	.revoke = cfssl_revoke,
	.tick = NULL,
	.stop = cfssl_stop,
};
