/* HTTP(S) with libcurl for the CA backends and the CRL watch: certificate
 * verification on unless tls_verify = no, an optional client certificate,
 * a timeout, a cap on the response size, and conditional GET
 * (If-None-Match / If-Modified-Since) so an unchanged CRL is not fetched
 * again. No redirects to other schemes; no cookies; no proxies from the
 * environment unless curl's own defaults say so. */
#ifndef CABUT_HTTP_H
#define CABUT_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_options {
	const char	*ca_file;		/* NULL: the system's */
	int		 tls_verify;		/* 1 unless the config says no */
	const char	*client_cert_file;	/* PEM, may be NULL */
	const char	*client_key_file;	/* PEM, may be NULL */
	int64_t		 timeout;		/* seconds, whole transfer */
	size_t		 max_size;		/* the response body is refused past it */
};

struct http_request {
	const char	*method;		/* "GET", "POST", "PUT" */
	const char	*url;
	const char	*content_type;		/* with a body */
	const void	*body;
	size_t		 body_len;
	const char	*if_none_match;		/* an ETag from before, may be NULL */
	const char	*if_modified_since;	/* a Last-Modified from before, may be NULL */
};

struct http_response {
	long		 status;		/* 200, 304, 404 ... */
	unsigned char	*body;			/* owned, NUL-terminated, may be NULL */
	size_t		 body_len;
	char		*etag;			/* owned, NULL when none */
	char		*last_modified;		/* owned, NULL when none */
};

/* Perform one request. 0 when an HTTP answer came (any status; look at
 * status), -1 with *error_r when none did (connection, TLS, timeout,
 * body over max_size). */
int	http_perform(const struct http_options *, const struct http_request *,
	    struct http_response *, char **error_r);
void	http_response_clear(struct http_response *);

#endif
