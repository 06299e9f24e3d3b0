/* Authentication-Results (RFC 8601): the DMARC verdict of the trusted
 * mail server, read by parsing the header, never by searching it. */
#include "autoconf.h"
#include "authres.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTHRES_MAX_HEADER	8192	/* a longer value is malformed */
#define AUTHRES_MAX_RESINFO	64
#define AUTHRES_MAX_ID		255	/* authserv-id: a host name in practice */
#define AUTHRES_MAX_KEYWORD	64	/* method, result, ptype, property */

struct authres {
	char	*id;		/* authserv-id as written, unquoted; NULL until read */
	char	*dmarc;		/* dmarc result, lowercased; NULL when absent */
	char	*header_from;	/* its header.from, lowercased; NULL when absent */
};

static void
authres_clear(struct authres *ar)
{
	free(ar->id);
	free(ar->dmarc);
	free(ar->header_from);
	memset(ar, 0, sizeof(*ar));
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = lower(*s);
}

/* CFWS: white space and comments, which nest and may hold quoted-pairs.
 * -1 on an unbalanced comment. */
static int
skip_cfws(const char **pp)
{
	const char	*p = *pp;
	size_t		 depth = 0;
	int		 ret = -1;

	for (;;) {
		if (*p == '\0') {
			if (depth > 0)
				goto out;
			break;
		}
		if (depth > 0) {
			if (*p == '\\') {
				if (p[1] == '\0')
					goto out;
				p += 2;
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
			continue;
		}
		if (*p == '(') {
			depth++;
			p++;
		} else if (*p == ')')
			goto out;
		else if (is_wsp(*p))
			p++;
		else
			break;
	}
	ret = 0;
 out:
	*pp = p;
	return ret;
}

/* Keyword (RFC 8601): letters, digits and hyphens; '_' is tolerated.
 * Lowercased into out. -1 when empty or too long. */
static int
read_keyword(const char **pp, char *out, size_t outlen)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_') {
		if (n + 1 >= outlen)
			return -1;
		out[n++] = lower(*p++);
	}
	out[n] = '\0';
	*pp = p;
	return n == 0 ? -1 : 0;
}

/* A quoted-string's content, quoted-pairs resolved, appended to b. */
static int
read_quoted(const char **pp, struct buf *b)
{
	const char	*p = *pp + 1;

	for (;;) {
		if (*p == '\0')
			return -1;
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (p[1] == '\0')
				return -1;
			p++;
		}
		if (buf_add(b, p, 1) == -1)
			return -1;
		p++;
	}
	*pp = p + 1;
	return 0;
}

/* A character of a bare pvalue. Looser than RFC 8601 (which allows a
 * token, an addr-spec or @domain): real headers carry base64 ("/", "+",
 * "=") in header.b. Whatever delimits the grammar stays out. */
static int
is_ptext(char c)
{
	return c != '\0' && !is_wsp(c) && c != ';' && c != '(' && c != ')' &&
	    c != '"' && c != '\\' && (unsigned char)c > 0x20 &&
	    (unsigned char)c != 0x7f;
}

/* pvalue / reason value: a quoted-string or a bare run, possibly joined
 * ("quoted local"@domain). -1 when empty or unterminated. */
static int
read_value(const char **pp, struct buf *b)
{
	const char	*p = *pp, *start = p;

	while (*p == '"' || is_ptext(*p)) {
		if (*p == '"') {
			if (read_quoted(&p, b) == -1)
				return -1;
			continue;
		}
		if (buf_add(b, p, 1) == -1)
			return -1;
		p++;
	}
	if (p == start)
		return -1;
	*pp = p;
	return 0;
}

/* token (RFC 2045): no space, no control, none of the tspecials. */
static int
is_token_char(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* The authserv-id: token or quoted-string. 0 read, -1 not readable;
 * *bare_r is 1 when it was a token. */
static int
read_id(const char **pp, char **id_r, int *bare_r)
{
	const char	*p = *pp;
	struct buf	 b;
	int		 ret = -1;

	buf_init(&b, AUTHRES_MAX_ID);
	*bare_r = *p != '"';
	if (*p == '"') {
		if (read_quoted(&p, &b) == -1)
			goto out;
	} else {
		while (is_token_char(*p)) {
			if (buf_add(&b, p, 1) == -1)
				goto out;
			p++;
		}
	}
	if (b.len == 0)
		goto out;
	*id_r = buf_steal(&b);
	*pp = p;
	ret = 0;
 out:
	buf_free(&b);
	return ret;
}

/* method [ "/" version ] "=" result *( reason / ptype.property=pvalue ),
 * from the method on. The dmarc result and its header.from go into ar;
 * a second dmarc resinfo that says something else makes the header
 * malformed (one header, one verdict). */
static int
read_resinfo(const char **pp, struct authres *ar)
{
	const char	*p = *pp;
	char		 method[AUTHRES_MAX_KEYWORD], result[AUTHRES_MAX_KEYWORD];
	char		 ptype[AUTHRES_MAX_KEYWORD], prop[AUTHRES_MAX_KEYWORD];
	char		*from = NULL;
	struct buf	 v;
	int		 dmarc, ret = -1;

	buf_init(&v, AUTHRES_MAX_HEADER);
	if (read_keyword(&p, method, sizeof(method)) == -1 || skip_cfws(&p) == -1)
		goto out;
	if (*p == '/') {
		p++;
		if (skip_cfws(&p) == -1 || !(*p >= '0' && *p <= '9'))
			goto out;
		while (*p >= '0' && *p <= '9')
			p++;
		if (skip_cfws(&p) == -1)
			goto out;
	}
	if (*p++ != '=')
		goto out;
	if (skip_cfws(&p) == -1 || read_keyword(&p, result, sizeof(result)) == -1)
		goto out;
	dmarc = strcmp(method, "dmarc") == 0;

	for (;;) {
		if (skip_cfws(&p) == -1)
			goto out;
		if (*p == '\0' || *p == ';')
			break;
		if (read_keyword(&p, ptype, sizeof(ptype)) == -1 ||
		    skip_cfws(&p) == -1)
			goto out;
		prop[0] = '\0';
		if (*p == '.') {
			p++;
			if (skip_cfws(&p) == -1 ||
			    read_keyword(&p, prop, sizeof(prop)) == -1 ||
			    skip_cfws(&p) == -1)
				goto out;
		}
		/* Without a property: reason=, or a bare key=value that
		 * Microsoft writes (action=none); both are ignored. */
		if (*p++ != '=')
			goto out;
		if (skip_cfws(&p) == -1)
			goto out;
		buf_free(&v);
		buf_init(&v, AUTHRES_MAX_HEADER);
		if (read_value(&p, &v) == -1)
			goto out;
		if (!dmarc || strcmp(ptype, "header") != 0 ||
		    strcmp(prop, "from") != 0)
			continue;
		if (v.len == 0)
			goto out;
		lowercase(v.data);
		if (from != NULL && strcmp(from, v.data) != 0)
			goto out;
		if (from == NULL)
			from = buf_steal(&v);
	}

	if (dmarc) {
		if (from == NULL)
			from = xstrdup("");
		if (ar->dmarc != NULL) {
			if (strcmp(ar->dmarc, result) != 0 ||
			    strcmp(ar->header_from, from) != 0)
				goto out;
		} else {
			ar->dmarc = xstrdup(result);
			ar->header_from = from;
			from = NULL;
		}
	}
	*pp = p;
	ret = 0;
 out:
	free(from);
	buf_free(&v);
	return ret;
}

/* The whole header value. ar->id is set as soon as the authserv-id has
 * been read, even when the rest turns out malformed, so that the caller
 * knows whose header it was. Microsoft 365 writes no authserv-id at all
 * ("spf=pass ...; dmarc=pass ..."): read as authserv-id "", which no
 * trusted_authserv_id matches. */
static int
authres_read(const char *value, struct authres *ar)
{
	const char	*p = value, *start;
	char		 kw[AUTHRES_MAX_KEYWORD];
	size_t		 nres = 0;
	int		 bare, ret = -1;
	unsigned	 version = 0;

	memset(ar, 0, sizeof(*ar));
	if (skip_cfws(&p) == -1)
		goto out;
	start = p;
	if (read_id(&p, &ar->id, &bare) == -1)
		goto out;
	if (strnlen(value, AUTHRES_MAX_HEADER + 1) > AUTHRES_MAX_HEADER)
		goto out;
	if (skip_cfws(&p) == -1)
		goto out;
	if (bare && (*p == '=' || *p == '/')) {
		/* No authserv-id: the first thing was a method. */
		ar->id[0] = '\0';
		p = start;
	} else {
		if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9') {
				if (version > 1000)
					goto out;
				version = version * 10 + (unsigned)(*p++ - '0');
			}
			/* Only version 1 exists; another one we cannot read. */
			if (version != 1 || skip_cfws(&p) == -1)
				goto out;
		}
		if (*p != ';')
			goto out;
		p++;
		if (skip_cfws(&p) == -1)
			goto out;
		/* no-result: "; none" and nothing else */
		start = p;
		if (read_keyword(&p, kw, sizeof(kw)) == 0 &&
		    strcmp(kw, "none") == 0 && skip_cfws(&p) == 0 && *p == '\0') {
			ret = 0;
			goto out;
		}
		p = start;
	}

	for (;;) {
		if (++nres > AUTHRES_MAX_RESINFO)
			goto out;
		if (read_resinfo(&p, ar) == -1)
			goto out;
		if (*p == '\0')
			break;
		/* *p == ';' */
		p++;
		if (skip_cfws(&p) == -1)
			goto out;
		if (*p == '\0')		/* a trailing ";" */
			break;
	}
	ret = 0;
 out:
	return ret;
}

int
authres_parse(const char *value, char **authserv_id_r, char **dmarc_r,
    char **header_from_r)
{
	struct authres	 ar;
	int		 ret = -1;

	*authserv_id_r = *dmarc_r = *header_from_r = NULL;
	if (authres_read(value, &ar) == -1)
		goto out;
	*authserv_id_r = ar.id;
	*dmarc_r = ar.dmarc != NULL ? ar.dmarc : xstrdup("");
	*header_from_r = ar.header_from != NULL ? ar.header_from : xstrdup("");
	memset(&ar, 0, sizeof(ar));
	ret = 0;
 out:
	authres_clear(&ar);
	return ret;
}

enum authres_dmarc
authres_dmarc(const struct message *msg, const char *trusted_id,
    const char *from_domain)
{
	struct authres		 ar;
	enum authres_dmarc	 verdict = DMARC_NONE;
	const char		*v;
	size_t			 i;
	int			 r;

	memset(&ar, 0, sizeof(ar));
	if (trusted_id == NULL || trusted_id[0] == '\0' ||
	    from_domain == NULL || from_domain[0] == '\0')
		goto out;
	for (i = 0; (v = message_header(msg, "Authentication-Results", i)) != NULL;
	    i++) {
		r = authres_read(v, &ar);
		/* Not the trusted server's: skip it. The first one that is
		 * decides, whatever it says; those below it are not read. */
		if (ar.id == NULL || strcasecmp(ar.id, trusted_id) != 0) {
			authres_clear(&ar);
			continue;
		}
		if (r == -1 || ar.dmarc == NULL)
			verdict = DMARC_NONE;
		else if (strcmp(ar.dmarc, "pass") == 0 &&
		    strcasecmp(ar.header_from, from_domain) == 0)
			verdict = DMARC_PASS;
		else
			verdict = DMARC_FAIL;
		break;
	}
 out:
	authres_clear(&ar);
	return verdict;
}
