/* HTTP(S) requests with libcurl (see http.h): one easy handle per
 * request, nothing kept between requests.  The program calls
 * smtp_global_init() (curl_global_init) once at start, before any thread. */
#include "autoconf.h"
#include "http.h"
#include "curlx.h"
#include "util.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define HTTP_TIMEOUT_DEFAULT	30		/* seconds, when the caller gives none */
#define HTTP_TIMEOUT_MAX	86400		/* seconds */
#define HTTP_CONNECT_TIMEOUT	30		/* seconds, at most, to connect */
#define HTTP_SIZE_DEFAULT	(16 * 1024 * 1024)	/* bytes, when the caller gives none */
#define HTTP_VALUE_MAX		1024		/* bytes of an ETag or a date we keep or send */

/* What the callbacks collect from one transfer. */
struct http_xfer {
	struct buf	 body;
	int		 too_big;	/* the body went past max_size */
	char		*etag;
	char		*last_modified;
};

static size_t
http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 n = size * nmemb;	/* size is 1 */

	/* Anything but n makes libcurl stop with CURLE_WRITE_ERROR. */
	if (buf_add(&x->body, data, n) == -1) {
		x->too_big = 1;
		return 0;
	}
	return n;
}

/* A header value without its surrounding blanks, or NULL when it is
 * empty, too long or holds a control character: an ETag goes back to the
 * server verbatim in If-None-Match, so it is kept whole or not at all. */
static char *
http_header_value(const char *v, size_t len)
{
	size_t	 i;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len == 0 || len > HTTP_VALUE_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return NULL;
	return xstrndup(v, len);
}

/* Called once per header line, the status line included. */
static size_t
http_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 n = size * nitems;	/* size is 1 */
	char			**dst = NULL;
	size_t			 skip = 0;

	/* A new response (after a 100 Continue): only the last one counts. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->etag);
		free(x->last_modified);
		x->etag = x->last_modified = NULL;
		return n;
	}
	if (n >= 5 && strncasecmp(data, "ETag:", 5) == 0) {
		dst = &x->etag;
		skip = 5;
	} else if (n >= 14 && strncasecmp(data, "Last-Modified:", 14) == 0) {
		dst = &x->last_modified;
		skip = 14;
	}
	if (dst != NULL) {
		free(*dst);
		*dst = http_header_value(data + skip, n - skip);
	}
	return n;
}

/* A value we put in a request header: bounded, no CR/LF (no header
 * injection), no other control characters. */
static int
http_header_check(const char *what, const char *v, char **error_r)
{
	const unsigned char	*p;

	if (strlen(v) > HTTP_VALUE_MAX) {
		*error_r = xasprintf("%s longer than %d bytes", what,
		    HTTP_VALUE_MAX);
		return -1;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*error_r = xasprintf("%s: invalid character 0x%02x",
			    what, *p);
			return -1;
		}
	}
	return 0;
}

static struct curl_slist *
http_header_add(struct curl_slist *list, const char *name, const char *value)
{
	struct curl_slist	*l;
	char			*line;

	line = xasprintf("%s: %s", name, value);
	l = curl_slist_append(list, line);
	free(line);
	if (l == NULL)
		fatalx("curl_slist_append: out of memory");
	return l;
}

#define SETOPT(opt, val)	CURLX_SETOPT(h, rc, error, opt, val)

int
http_perform(const struct http_options *o, const struct http_request *rq,
    struct http_response *resp, char **error_r)
{
	CURL			*h = NULL;
	struct curl_slist	*hdrs = NULL;
	struct http_xfer	 x;
	struct curlx_common	 cc;
	char			 errbuf[CURL_ERROR_SIZE];
	char			*error = NULL;
	const char		*method;
	CURLcode		 rc;
	size_t			 max;
	long			 timeout, status = 0;
	int			 ret = -1, has_body;

	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	errbuf[0] = '\0';
	max = o->max_size > 0 ? o->max_size : HTTP_SIZE_DEFAULT;
	buf_init(&x.body, max);
	method = rq->method != NULL ? rq->method : "GET";

	if (rq->url == NULL || (strncasecmp(rq->url, "http://", 7) != 0 &&
	    strncasecmp(rq->url, "https://", 8) != 0)) {
		error = xstrdup("URL must start with http:// or https://");
		goto out;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "PUT") != 0) {
		error = xasprintf("unsupported HTTP method \"%s\"", method);
		goto out;
	}
	has_body = strcmp(method, "GET") != 0;
	if (!has_body && rq->body_len > 0) {
		error = xstrdup("GET with a body");
		goto out;
	}
	if (rq->body_len > 0 && rq->body == NULL) {
		error = xstrdup("request body missing");
		goto out;
	}
	if ((rq->content_type != NULL && http_header_check("Content-Type",
	    rq->content_type, &error) == -1) ||
	    (rq->if_none_match != NULL && http_header_check("If-None-Match",
	    rq->if_none_match, &error) == -1) ||
	    (rq->if_modified_since != NULL && http_header_check(
	    "If-Modified-Since", rq->if_modified_since, &error) == -1))
		goto out;

	if ((h = curl_easy_init()) == NULL) {
		error = xstrdup("curl_easy_init failed");
		goto out;
	}
	timeout = o->timeout > 0 ? (o->timeout > HTTP_TIMEOUT_MAX ?
	    HTTP_TIMEOUT_MAX : (long)o->timeout) : HTTP_TIMEOUT_DEFAULT;

	memset(&cc, 0, sizeof(cc));
	cc.url = rq->url;
	cc.protocols = "http,https";
	cc.protomask = (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS);
	cc.timeout = timeout;
	cc.connect_timeout = HTTP_CONNECT_TIMEOUT;
	cc.tls_verify = o->tls_verify;
	cc.ca_file = o->ca_file;
	cc.errbuf = errbuf;
	if (curlx_common(h, &cc, &error) == -1)
		goto out;
	/* Redirects are not followed: a 3xx comes back as the status, for
	 * the caller (and the admin) to see; the URLs are configured. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	if (o->client_cert_file != NULL) {
		SETOPT(CURLOPT_SSLCERT, o->client_cert_file);
		SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (o->client_key_file != NULL) {
		SETOPT(CURLOPT_SSLKEY, o->client_key_file);
		SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	}

	if (has_body) {
		/* PUT too goes out from memory, as a POST renamed. */
		if (strcmp(method, "PUT") == 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, "PUT");
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		SETOPT(CURLOPT_POSTFIELDS, rq->body_len > 0 ? rq->body : "");
		if (rq->content_type != NULL)
			hdrs = http_header_add(hdrs, "Content-Type",
			    rq->content_type);
		/* No "Expect: 100-continue" wait before the body. */
		hdrs = http_header_add(hdrs, "Expect", "");
	} else
		SETOPT(CURLOPT_HTTPGET, 1L);
	if (rq->if_none_match != NULL)
		hdrs = http_header_add(hdrs, "If-None-Match", rq->if_none_match);
	if (rq->if_modified_since != NULL)
		hdrs = http_header_add(hdrs, "If-Modified-Since",
		    rq->if_modified_since);
	if (hdrs != NULL)
		SETOPT(CURLOPT_HTTPHEADER, hdrs);

	/* A Content-Length past the cap stops the transfer before the body;
	 * without one, http_write stops it. */
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	SETOPT(CURLOPT_WRITEFUNCTION, http_write);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, http_header);
	SETOPT(CURLOPT_HEADERDATA, &x);

	rc = curl_easy_perform(h);
	if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		error = xasprintf("response larger than %zu bytes", max);
		goto out;
	}
	if (rc != CURLE_OK) {
		if (errbuf[0] != '\0')
			error = xasprintf("%s: %s", curl_easy_strerror(rc),
			    errbuf);
		else
			error = xstrdup(curl_easy_strerror(rc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status == 0) {
		error = xstrdup("no HTTP status");
		goto out;
	}

	resp->status = status;
	resp->body_len = x.body.len;
	resp->body = x.body.data != NULL ?
	    (unsigned char *)buf_steal(&x.body) : NULL;
	resp->etag = x.etag;
	resp->last_modified = x.last_modified;
	x.etag = x.last_modified = NULL;
	ret = 0;

out:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	buf_free(&x.body);
	free(x.etag);
	free(x.last_modified);
	if (ret == 0) {
		free(error);
		error = NULL;
	}
	if (error_r != NULL)
		*error_r = error;
	else
		free(error);
	return ret;
}

void
http_response_clear(struct http_response *resp)
{
	free(resp->body);
	free(resp->etag);
	free(resp->last_modified);
	memset(resp, 0, sizeof(*resp));
}
