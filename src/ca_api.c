/* Helpers of the HTTP CA backends (see ca_api.h). */
#include "autoconf.h"
#include "ca_api.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define JSCAN_MAX_DEPTH	32

void
ca_api_options(const struct config *cfg, struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_file = cfg->ca.ca_file;
	o->tls_verify = cfg->ca.tls_verify;
	o->client_cert_file = cfg->ca.client_cert_file;
	o->client_key_file = cfg->ca.client_key_file;
	o->timeout = cfg->ca.timeout;
	o->max_size = CA_API_MAX_RESPONSE;
}

char *
ca_api_base_url(const char *url)
{
	size_t	 n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return xstrndup(url, n);
}

enum ca_status
ca_api_status_class(long status)
{
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return CA_TEMPORARY;
	return CA_PERMANENT;
}

/* --- a strict JSON reader ------------------------------------------------ */

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the string that starts at p ('"'), or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	int	 i;

	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			break;
		case 'u':
			for (i = 0; i < 4; i++)
				if (++p >= end || !isxdigit((unsigned char)*p))
					return NULL;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static const char *
skip_number(const char *p, const char *end)
{
	const char	*d;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else {
		for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == d)
			return NULL;
	}
	if (p < end && *p == '.') {
		for (d = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == d)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *
skip_literal(const char *p, const char *end, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
		return NULL;
	return p + n;
}

/* Past the value that starts at p (no white space before it), or NULL. */
static const char *
skip_value(const char *p, const char *end, int depth)
{
	char	 close;

	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case 't':
		return skip_literal(p, end, "true");
	case 'f':
		return skip_literal(p, end, "false");
	case 'n':
		return skip_literal(p, end, "null");
	case '{':
	case '[':
		break;
	default:
		return skip_number(p, end);
	}
	if (depth >= JSCAN_MAX_DEPTH)
		return NULL;
	close = *p == '{' ? '}' : ']';
	p = ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= end || *p != '"' ||
			    (p = skip_string(p, end)) == NULL)
				return NULL;
			p = ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = ws(p + 1, end);
		}
		if ((p = skip_value(p, end, depth + 1)) == NULL)
			return NULL;
		p = ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = ws(p + 1, end);
	}
}

int
jscan_valid(const char *text, size_t len, struct jscan *top_r)
{
	const char	*end = text + len, *p, *q;

	p = ws(text, end);
	if ((q = skip_value(p, end, 0)) == NULL || ws(q, end) != end)
		return -1;
	top_r->p = p;
	top_r->len = (size_t)(q - p);
	return 0;
}

/* Each member (objects) or element (arrays) of a valid v in turn: *it
 * starts at 0; 1 with the next one, 0 at the end. */
static int
next_item(const struct jscan *v, size_t *it, struct jscan *key,
    struct jscan *val)
{
	const char	*end = v->p + v->len, *p, *q;

	p = ws(v->p + (*it == 0 ? 1 : *it), end);
	if (*it != 0) {
		if (*p != ',')
			return 0;
		p = ws(p + 1, end);
	}
	if (*p == '}' || *p == ']')
		return 0;
	if (v->p[0] == '{') {
		q = skip_string(p, end);
		key->p = p;
		key->len = (size_t)(q - p);
		p = ws(ws(q, end) + 1, end);
	}
	q = skip_value(p, end, 0);
	val->p = p;
	val->len = (size_t)(q - p);
	*it = (size_t)(q - v->p);
	return 1;
}

int
jscan_member(const struct jscan *v, const char *key, struct jscan *r)
{
	struct jscan	 k, val;
	size_t		 it = 0;
	char		*name;
	int		 found;

	if (v->len == 0 || v->p[0] != '{')
		return -1;
	while (next_item(v, &it, &k, &val)) {
		if ((name = jscan_strdup(&k)) == NULL)
			continue;
		found = strcmp(name, key) == 0;
		free(name);
		if (found) {
			*r = val;
			return 0;
		}
	}
	return -1;
}

int
jscan_index(const struct jscan *v, size_t i, struct jscan *r)
{
	struct jscan	 k, val;
	size_t		 it = 0, n = 0;

	if (v->len == 0 || v->p[0] != '[')
		return -1;
	while (next_item(v, &it, &k, &val))
		if (n++ == i) {
			*r = val;
			return 0;
		}
	return -1;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	char	 u[4];
	size_t	 n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	(void)buf_add(b, u, n);
}

/* The four hex digits at p (checked by jscan_valid). */
static unsigned long
hex4(const char *p)
{
	char	 h[5];

	memcpy(h, p, 4);
	h[4] = '\0';
	return strtoul(h, NULL, 16);
}

char *
jscan_strdup(const struct jscan *v)
{
	struct buf	 b;
	const char	*p, *end;
	unsigned long	 cp, lo;
	char		 c;

	if (v->len < 2 || v->p[0] != '"')
		return NULL;
	/* Decoded, a string is never longer than its JSON text. */
	buf_init(&b, v->len);
	end = v->p + v->len - 1;
	for (p = v->p + 1; p < end; p++) {
		if (*p != '\\') {
			(void)buf_add(&b, p, 1);
			continue;
		}
		switch (*++p) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			cp = hex4(p + 1);
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p > 6 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    (lo = hex4(p + 3)) >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;	/* a lone surrogate */
			if (cp == 0) {
				buf_free(&b);
				return NULL;
			}
			put_utf8(&b, cp);
			continue;
		default: c = *p; break;
		}
		(void)buf_add(&b, &c, 1);
	}
	return buf_steal(&b);
}

char *
jscan_text(const struct jscan *v, size_t max)
{
	char	*s;
	size_t	 i, n;

	if ((s = jscan_strdup(v)) == NULL)
		return NULL;
	n = strlen(s);
	if (n > max) {
		n = max;
		/* Not in the middle of a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		s[n] = '\0';
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	return s;
}

int
jscan_bool(const struct jscan *v, int *b)
{
	if (v->len == 4 && memcmp(v->p, "true", 4) == 0)
		*b = 1;
	else if (v->len == 5 && memcmp(v->p, "false", 5) == 0)
		*b = 0;
	else
		return -1;
	return 0;
}

int
jscan_int(const struct jscan *v, int64_t *n)
{
	char		 tmp[24], *endp;
	long long	 l;
	size_t		 i;

	if (v->len == 0 || v->len >= sizeof(tmp))
		return -1;
	for (i = 0; i < v->len; i++)
		if (!((v->p[i] >= '0' && v->p[i] <= '9') ||
		    (i == 0 && v->p[i] == '-')))
			return -1;
	memcpy(tmp, v->p, v->len);
	tmp[v->len] = '\0';
	errno = 0;
	l = strtoll(tmp, &endp, 10);
	if (errno != 0 || *endp != '\0')
		return -1;
	*n = (int64_t)l;
	return 0;
}
