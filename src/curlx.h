/* What every libcurl transfer of cabut sets alike (SMTP in smtp.c, HTTP
 * in http.c): its own error buffer, no signals, only the protocols
 * named, never a proxy from the environment, time limits, TLS 1.2 or
 * newer with the peer and its name verified unless tls_verify is 0. */
#ifndef CABUT_CURLX_H
#define CABUT_CURLX_H

#include <curl/curl.h>

struct curlx_common {
	const char	*url;
	const char	*protocols;	/* "http,https" */
	long		 protomask;	/* the same as CURLPROTO_* bits (old libcurl) */
	long		 timeout;	/* seconds, whole transfer */
	long		 connect_timeout;
	int		 tls_verify;
	const char	*ca_file;	/* NULL: the system's */
	char		*errbuf;	/* CURL_ERROR_SIZE bytes */
};

/* Set them on h. 0, or -1 with *error_r naming the option. */
int	curlx_common(CURL *h, const struct curlx_common *, char **error_r);

/* The same for one more option, in the callers' functions. */
#define CURLX_SETOPT(h, rc, error, opt, val) do {			\
	if (((rc) = curl_easy_setopt((h), (opt), (val))) != CURLE_OK) {	\
		(error) = xasprintf("curl_easy_setopt(%s): %s", #opt,	\
		    curl_easy_strerror(rc));				\
		goto out;						\
	}								\
} while (0)

#endif
