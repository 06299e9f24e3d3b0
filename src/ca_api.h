/* Shared by the backends that call a CA over HTTP (ca_cfssl.c,
 * ca_ejbca.c): the http_options of the [ca] section, what an HTTP status
 * means for a retry, and a strict, bounded reader for the small JSON
 * answers those CAs give (the project's json.h only writes JSON). */
#ifndef CABUT_CA_API_H
#define CABUT_CA_API_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "http.h"

#define CA_API_MAX_RESPONSE	(256UL * 1024)	/* their answers are small */
#define CA_API_MAX_MESSAGE	200		/* bytes of the CA's text in an error */

/* The options of cfg's [ca] section. */
void	ca_api_options(const struct config *, struct http_options *);
/* The base URL without its trailing slashes, owned. */
char	*ca_api_base_url(const char *url);
/* A status that is no success: 408, 429 and 5xx are worth a retry. */
enum ca_status	ca_api_status_class(long status);

/* The raw text of one JSON value inside a larger text. */
struct jscan {
	const char	*p;
	size_t		 len;
};

/* 0 when text is exactly one valid JSON value (RFC 8259; at most 32
 * levels deep), -1 otherwise. Check before using the functions below. */
int	jscan_valid(const char *text, size_t len, struct jscan *top_r);
/* The member named key of an object (the first, if repeated): 0, or -1
 * when v is no object or has no such member. */
int	jscan_member(const struct jscan *v, const char *key, struct jscan *r);
/* Element i of an array: 0, or -1. */
int	jscan_index(const struct jscan *v, size_t i, struct jscan *r);
/* A string's value, decoded, owned; NULL when v is no string or holds
 * U+0000. */
char	*jscan_strdup(const struct jscan *v);
/* A string's value for a log line or an error message: control
 * characters become '?', cut after max bytes (on a UTF-8 boundary);
 * NULL as jscan_strdup. */
char	*jscan_text(const struct jscan *v, size_t max);
/* 0 and *b for true or false, -1 otherwise. */
int	jscan_bool(const struct jscan *v, int *b);
/* 0 and *n for an integer that fits, -1 otherwise. */
int	jscan_int(const struct jscan *v, int64_t *n);

#endif
