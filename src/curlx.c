/* The libcurl options every transfer sets alike (see curlx.h). */
#include "autoconf.h"
#include "curlx.h"
#include "util.h"

int
curlx_common(CURL *h, const struct curlx_common *c, char **error_r)
{
	char		*error = NULL;
	CURLcode	 rc;

	CURLX_SETOPT(h, rc, error, CURLOPT_ERRORBUFFER, c->errbuf);
	CURLX_SETOPT(h, rc, error, CURLOPT_NOSIGNAL, 1L);
	CURLX_SETOPT(h, rc, error, CURLOPT_URL, c->url);
	/* Only these: no other scheme through a mistyped URL. */
#if LIBCURL_VERSION_NUM >= 0x075500
	CURLX_SETOPT(h, rc, error, CURLOPT_PROTOCOLS_STR, c->protocols);
#else
	CURLX_SETOPT(h, rc, error, CURLOPT_PROTOCOLS, c->protomask);
#endif
	/* Never through a proxy named in the environment. */
	CURLX_SETOPT(h, rc, error, CURLOPT_PROXY, "");
	CURLX_SETOPT(h, rc, error, CURLOPT_TIMEOUT, c->timeout);
	CURLX_SETOPT(h, rc, error, CURLOPT_CONNECTTIMEOUT,
	    c->timeout < c->connect_timeout ? c->timeout : c->connect_timeout);
	CURLX_SETOPT(h, rc, error, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	CURLX_SETOPT(h, rc, error, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	CURLX_SETOPT(h, rc, error, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file != NULL)
		CURLX_SETOPT(h, rc, error, CURLOPT_CAINFO, c->ca_file);
	return 0;
out:
	*error_r = error;
	return -1;
}
