/* One parsed mail: the headers cabut reads, the body text in UTF-8 and the
 * attachments. The MIME structure is walked here, one bounded step at a
 * time, so that every limit is checked before anything deeper is looked
 * at; libetpan parses the fields (addresses, message ids, Content-Type,
 * Content-Disposition, encoded words), decodes base64 and quoted-printable
 * and converts charsets. libetpan's mailmime_parse() is not used for the
 * structure: it recurses once per nesting level before a limit can be
 * applied (about 30000 levels exhaust an 8 MB stack), and in 1.9.4 it
 * crashes on a one-line header, boundary="\"" (mailmime_extract_boundary
 * copies strlen - 2 bytes). */
#include "autoconf.h"
#include "message.h"
#include "util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>
#include <openssl/evp.h>

#define PART_NONE		SIZE_MAX
#define FILENAME_MAX_BYTES	1024	/* a decoded RFC 2231 file name */
#define RFC2231_MAX_SEGMENTS	64
#define ADDRESS_MAX_RETRIES	64	/* resynchronisations in one To/Cc value */
#define CID_MAX_REFS		1024	/* cid: references collected from the HTML */
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"

/* A header field as it stands in the block: value still folded. */
struct hfield {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

/* One MIME entity, in document order; parent is an index into the array. */
struct part {
	size_t		 parent;
	char		*type;		/* lowercased "type/subtype" */
	char		*charset;
	char		*report_type;
	char		*filename;
	char		*content_id;
	enum attachment_disposition disposition;
	int		 encoding;	/* MAILMIME_MECHANISM_* */
	int		 container;	/* a multipart whose parts follow */
	int		 empty;		/* nothing at all between two delimiters */
	const char	*body;		/* transfer-encoded, inside the working copy */
	size_t		 bodylen;
};

struct parser {
	const struct message_limits *lim;
	struct part	*parts;
	size_t		 nparts;
	size_t		 cap;
	char		*reason;
};

/* Name and value of a MIME parameter, from either Content-Type or
 * Content-Disposition. */
struct param {
	const char	*name;
	const char	*value;
};

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && (is_wsp(*s) || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (is_wsp(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return xstrndup(s, n);
}

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

/* A copy of s that is valid UTF-8: every byte that does not begin a
 * well-formed sequence becomes U+FFFD. NUL-terminated; NULs inside kept. */
static char *
utf8_valid(const char *s, size_t n, size_t *outlen_r)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*out;
	size_t			 i = 0, k = 0, l;

	if (n > (SIZE_MAX - 1) / 3)
		n = (SIZE_MAX - 1) / 3;
	out = xmalloc(3 * n + 1);
	while (i < n) {
		if ((l = utf8_seqlen(u + i, n - i)) == 0) {
			memcpy(out + k, UTF8_REPLACEMENT, 3);
			k += 3;
			i++;
			continue;
		}
		memcpy(out + k, s + i, l);
		k += l;
		i += l;
	}
	out[k] = '\0';
	if (outlen_r != NULL)
		*outlen_r = k;
	return out;
}

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Cut n back so that s[0..n) does not end inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t n)
{
	size_t	 i = n, back = 0;

	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return n;
	i--;
	if (utf8_seqlen((const unsigned char *)s + i, n - i) == n - i)
		return n;
	return ((unsigned char)s[i] < 0x80) ? n : i;
}

static int
charset_is_utf8(const char *cs)
{
	static const char *const names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968",
		"unknown-8bit", "x-unknown", "unknown", "default", NULL
	};
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

/* s[0..n) in charset to valid UTF-8 (owned, NUL-terminated). An unknown
 * charset keeps the bytes that are UTF-8 already; ISO-8859-1 is read as
 * its superset windows-1252, as browsers do. */
static char *
to_utf8(const char *charset, const char *s, size_t n, size_t *outlen_r)
{
	char		*conv = NULL, *out;
	size_t		 convlen = 0;
	const char	*cs = charset;

	if (cs == NULL || *cs == '\0' || charset_is_utf8(cs))
		return utf8_valid(s, n, outlen_r);
	if (strcasecmp(cs, "iso-8859-1") == 0 || strcasecmp(cs, "iso8859-1") == 0 ||
	    strcasecmp(cs, "iso_8859-1") == 0 || strcasecmp(cs, "latin1") == 0)
		cs = "windows-1252";
	if (charconv_buffer("utf-8", cs, s, n, &conv, &convlen) !=
	    MAIL_CHARCONV_NO_ERROR)
		return utf8_valid(s, n, outlen_r);
	out = utf8_valid(conv, convlen, outlen_r);
	charconv_buffer_free(conv);
	return out;
}

/* The final form of body text: LF line ends, no NULs, at most max bytes
 * cut at a character boundary. */
static char *
text_finish(const char *s, size_t n, size_t max)
{
	char	*out = xmalloc(n + 1);
	size_t	 i, k = 0;

	for (i = 0; i < n && k < max; i++) {
		if (s[i] == '\0')
			continue;
		if (s[i] == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				continue;
			out[k++] = '\n';
			continue;
		}
		out[k++] = s[i];
	}
	k = utf8_cut(out, k);
	out[k] = '\0';
	return out;
}

/* ---- header blocks ---- */

/* Does the line at s begin a header field: a name of printable ASCII,
 * optional white space (obsolete syntax), then a colon? */
static int
field_start(const char *s, size_t n)
{
	size_t	 i = 0;

	while (i < n && s[i] > ' ' && s[i] < 127 && s[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && is_wsp(s[i]))
		i++;
	return i < n && s[i] == ':';
}

/* Split p[0..len) into its header block and body: *hlen_r bytes of
 * header lines, the body from *boff_r (after the empty line, or at the
 * first line that is not a header when the empty line is missing). Only
 * max_header_size bytes are ever looked at. */
static int
header_split(const char *p, size_t len, const struct message_limits *lim,
    size_t *hlen_r, size_t *boff_r, char **reason_r)
{
	const char	*eol;
	size_t		 pos = 0, nfields = 0, span, left;

	*boff_r = len;
	while (pos < len) {
		if (p[pos] == '\n') {
			*boff_r = pos + 1;
			break;
		}
		if (is_wsp(p[pos]) ? nfields == 0 :
		    !field_start(p + pos, len - pos)) {
			*boff_r = pos;
			break;
		}
		if (!is_wsp(p[pos]) && ++nfields > lim->max_headers) {
			*reason_r = xasprintf("more than %zu header fields",
			    lim->max_headers);
			return -1;
		}
		/* Look at no more than the limit allows, plus one byte. */
		span = len - pos;
		left = lim->max_header_size - pos;
		if (left < SIZE_MAX && span > left + 1)
			span = left + 1;
		eol = memchr(p + pos, '\n', span);
		pos = eol != NULL ? (size_t)(eol - p) + 1 : pos + span;
		if (pos > lim->max_header_size) {
			*reason_r = xasprintf("header block larger than %zu bytes",
			    lim->max_header_size);
			return -1;
		}
	}
	*hlen_r = pos;
	return 0;
}

/* The next field of a block that header_split() accepted: 1, or 0 at
 * its end. */
static int
header_next(const char *p, size_t hlen, size_t *pos, struct hfield *f)
{
	const char	*eol;
	size_t		 i = *pos, j, end;

	while (i < hlen && (is_wsp(p[i]) || p[i] == '\n')) {
		if ((eol = memchr(p + i, '\n', hlen - i)) == NULL)
			return 0;
		i = (size_t)(eol - p) + 1;
	}
	if (i >= hlen)
		return 0;
	j = i;
	while (j < hlen && p[j] != ':' && !is_wsp(p[j]) && p[j] != '\n')
		j++;
	f->name = p + i;
	f->namelen = j - i;
	while (j < hlen && is_wsp(p[j]))
		j++;
	if (j < hlen && p[j] == ':')
		j++;
	f->value = p + j;
	end = j;
	for (;;) {
		eol = memchr(p + end, '\n', hlen - end);
		end = eol == NULL ? hlen : (size_t)(eol - p);
		if (end + 1 >= hlen || !is_wsp(p[end + 1]))
			break;
		end++;
	}
	f->valuelen = end - j;
	*pos = end < hlen ? end + 1 : hlen;
	return 1;
}

static int
field_is(const struct hfield *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

/* Unfolded value: line breaks, CRs and NULs removed, trimmed. */
static char *
unfold(const char *v, size_t n)
{
	char	*s = xmalloc(n + 1), *t;
	size_t	 i, k = 0;

	for (i = 0; i < n; i++)
		if (v[i] != '\n' && v[i] != '\r' && v[i] != '\0')
			s[k++] = v[i];
	s[k] = '\0';
	t = trim_dup(s, k);
	free(s);
	return t;
}

/* ---- RFC 2047 and RFC 2231 ---- */

char *
message_decode_words(const char *s)
{
	struct buf	 b;
	char		*res = NULL, *out = NULL;
	size_t		 len, idx = 0;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	buf_init(&b, 4 * len + 1);
	if (strstr(s, "=?") == NULL || mailmime_encoded_phrase_parse("utf-8",
	    s, len, &idx, "utf-8", &res) != MAILIMF_NO_ERROR || res == NULL) {
		out = utf8_valid(s, len, NULL);
		goto out;
	}
	/* libetpan stops at a malformed encoded word: keep the rest as is. */
	(void)buf_addstr(&b, res);
	if (idx < len)
		(void)buf_add(&b, s + idx, len - idx);
	out = utf8_valid(b.data != NULL ? b.data : "", b.len, NULL);
out:
	free(res);
	buf_free(&b);
	return out;
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append v, %XX-decoded, to b. */
static void
pct_decode(struct buf *b, const char *v)
{
	int	 h, l;
	char	 c;

	for (; *v != '\0'; v++) {
		c = *v;
		if (c == '%' && (h = hexdigit((unsigned char)v[1])) != -1 &&
		    (l = hexdigit((unsigned char)v[2])) != -1) {
			c = (char)(h << 4 | l);
			v += 2;
		}
		if (buf_add(b, &c, 1) == -1)
			return;
	}
}

/* Which RFC 2231 piece of base is name: -1 none, else the section
 * number; *ext_r says whether it is percent-encoded. "base*" is
 * section 0, encoded. */
static int
rfc2231_section(const char *name, const char *base, int *ext_r)
{
	size_t	 blen = strlen(base);
	int	 n = 0, digits = 0;

	if (strncasecmp(name, base, blen) != 0 || name[blen] != '*')
		return -1;
	name += blen + 1;
	if (*name == '\0') {
		*ext_r = 1;
		return 0;
	}
	while (*name >= '0' && *name <= '9' && digits < 3) {
		n = n * 10 + (*name++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	*ext_r = *name == '*';
	if (*ext_r)
		name++;
	return *name == '\0' ? n : -1;
}

/* The RFC 2231 value of parameter base (name*=charset'lang'text or its
 * continuations name*0*=, name*1*=, ...) in UTF-8, or NULL. */
static char *
rfc2231_value(const struct param *pv, size_t np, const char *base)
{
	struct buf	 b;
	char		*charset = NULL, *out = NULL;
	const char	*v, *q1, *q2;
	size_t		 i;
	int		 sec, want, ext = 0, found;

	buf_init(&b, FILENAME_MAX_BYTES);
	for (want = 0; want < RFC2231_MAX_SEGMENTS; want++) {
		found = 0;
		for (i = 0; i < np && !found; i++) {
			if ((sec = rfc2231_section(pv[i].name, base, &ext)) != want)
				continue;
			found = 1;
			v = pv[i].value;
			if (want == 0 && ext && (q1 = strchr(v, '\'')) != NULL &&
			    (q2 = strchr(q1 + 1, '\'')) != NULL) {
				charset = xstrndup(v, (size_t)(q1 - v));
				v = q2 + 1;
			}
			if (ext)
				pct_decode(&b, v);
			else
				(void)buf_addstr(&b, v);
		}
		if (!found)
			break;
	}
	if (want > 0 && b.len > 0)
		out = to_utf8(charset, b.data, b.len, NULL);
	free(charset);
	buf_free(&b);
	return out;
}

/* A file name from the plain parameter: encoded words decoded (not the
 * standard, but what mailers send). */
static char *
param_plain(const struct param *pv, size_t np, const char *name)
{
	size_t	 i;

	for (i = 0; i < np; i++)
		if (strcasecmp(pv[i].name, name) == 0 && pv[i].value[0] != '\0')
			return message_decode_words(pv[i].value);
	return NULL;
}

/* ---- addresses and message ids ---- */

/* A usable addr-spec (local@domain, nothing odd in it) with the domain
 * lowercased, or NULL. */
static char *
addr_clean(const char *spec)
{
	char	*s, *at;
	size_t	 i;

	if (spec == NULL)
		return NULL;
	s = trim_dup(spec, strlen(spec));
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 127 || s[i] == '<' ||
		    s[i] == '>' || s[i] == ',' || s[i] == ';')
			break;
	if (s[i] != '\0' || (at = strrchr(s, '@')) == NULL || at == s ||
	    at[1] == '\0') {
		free(s);
		return NULL;
	}
	lowercase(at + 1);
	return s;
}

/* Display name, encoded words decoded. (libetpan keeps the quotes of a
 * quoted name that starts with "=?"; its RFC 2047 parser removes them.) */
static char *
display_name(const char *raw)
{
	char	*d, *t;

	if (raw == NULL)
		return NULL;
	d = message_decode_words(raw);
	t = trim_dup(d, strlen(d));
	free(d);
	if (*t == '\0') {
		free(t);
		t = NULL;
	}
	return t;
}

static int
address_set(struct message_address *a, const struct mailimf_mailbox *mb)
{
	char	*addr;

	if (mb == NULL || (addr = addr_clean(mb->mb_addr_spec)) == NULL)
		return -1;
	a->addr = addr;
	a->name = display_name(mb->mb_display_name);
	return 0;
}

/* The first usable mailbox of an address list (groups included). */
static int
address_first(struct message_address *a, const struct mailimf_address_list *al)
{
	const struct mailimf_address	*ad;
	clistiter			*it, *jt;

	for (it = clist_begin(al->ad_list); it != NULL; it = clist_next(it)) {
		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			if (address_set(a, ad->ad_data.ad_mailbox) == 0)
				return 0;
		} else if (ad->ad_type == MAILIMF_ADDRESS_GROUP &&
		    ad->ad_data.ad_group != NULL &&
		    ad->ad_data.ad_group->grp_mb_list != NULL) {
			for (jt = clist_begin(ad->ad_data.ad_group->grp_mb_list->mb_list);
			    jt != NULL; jt = clist_next(jt))
				if (address_set(a, clist_content(jt)) == 0)
					return 0;
		}
	}
	return -1;
}

/* From: and Sender: are mailbox lists; some mailers write groups. */
static void
mailbox_read(struct message_address *a, const char *v)
{
	struct mailimf_mailbox_list	*ml = NULL;
	struct mailimf_address_list	*al = NULL;
	clistiter			*it;
	size_t				 idx = 0, len = strlen(v);

	if (mailimf_mailbox_list_parse(v, len, &idx, &ml) == MAILIMF_NO_ERROR) {
		for (it = clist_begin(ml->mb_list); it != NULL; it = clist_next(it))
			if (address_set(a, clist_content(it)) == 0)
				break;
		mailimf_mailbox_list_free(ml);
	}
	idx = 0;
	if (a->addr == NULL &&
	    mailimf_address_list_parse(v, len, &idx, &al) == MAILIMF_NO_ERROR) {
		(void)address_first(a, al);
		mailimf_address_list_free(al);
	}
}

static void
to_add(struct message *msg, const struct mailimf_mailbox *mb)
{
	char	*addr;

	if (mb == NULL || (addr = addr_clean(mb->mb_addr_spec)) == NULL)
		return;
	msg->to = xreallocarray(msg->to, msg->nto + 1, sizeof(*msg->to));
	msg->to[msg->nto++] = addr;
}

/* The addr-specs of a To: or Cc: value; after a bad address, go on at
 * the next comma, as mail clients do. */
static void
to_read(struct message *msg, const char *v)
{
	struct mailimf_address_list	*al;
	const struct mailimf_address	*ad;
	const char			*comma;
	clistiter			*it, *jt;
	size_t				 len = strlen(v), idx = 0, start;
	int				 tries;

	for (tries = 0; idx < len && tries < ADDRESS_MAX_RETRIES; tries++) {
		start = idx;
		al = NULL;
		if (mailimf_address_list_parse(v, len, &idx, &al) ==
		    MAILIMF_NO_ERROR) {
			for (it = clist_begin(al->ad_list); it != NULL;
			    it = clist_next(it)) {
				ad = clist_content(it);
				if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
					to_add(msg, ad->ad_data.ad_mailbox);
				else if (ad->ad_type == MAILIMF_ADDRESS_GROUP &&
				    ad->ad_data.ad_group != NULL &&
				    ad->ad_data.ad_group->grp_mb_list != NULL)
					for (jt = clist_begin(
					    ad->ad_data.ad_group->grp_mb_list->mb_list);
					    jt != NULL; jt = clist_next(jt))
						to_add(msg, clist_content(jt));
			}
			mailimf_address_list_free(al);
		}
		if (idx < start)
			idx = start;
		if ((comma = memchr(v + idx, ',', len - idx)) == NULL)
			break;
		idx = (size_t)(comma - v) + 1;
	}
}

/* A message id without its angle brackets. */
static char *
msgid_read(const char *v)
{
	char	*id = NULL, *s = NULL;
	size_t	 idx = 0, n;

	if (mailimf_msg_id_parse(v, strlen(v), &idx, &id) != MAILIMF_NO_ERROR ||
	    id == NULL || *id == '\0') {
		/* Not an id by the grammar: keep what is between <>. */
		free(id);
		s = trim_dup(v, strlen(v));
		n = strlen(s);
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
			id = trim_dup(s + 1, n - 2);
		else {
			id = s;
			s = NULL;
		}
	}
	if (*id == '\0') {
		free(id);
		id = NULL;
	}
	free(s);
	return id;
}

/* In-Reply-To and References: ids without <>, space separated. */
static char *
msgids_read(const char *v)
{
	struct buf	 b;
	clist		*l = NULL;
	clistiter	*it;
	size_t		 idx = 0;

	if (mailimf_msg_id_list_parse(v, strlen(v), &idx, &l) !=
	    MAILIMF_NO_ERROR || l == NULL)
		return msgid_read(v);
	buf_init(&b, strlen(v) + 1);
	for (it = clist_begin(l); it != NULL; it = clist_next(it)) {
		if (b.len > 0)
			(void)buf_add(&b, " ", 1);
		(void)buf_addstr(&b, clist_content(it));
	}
	for (it = clist_begin(l); it != NULL; it = clist_next(it))
		free(clist_content(it));
	clist_free(l);
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static char *
return_path_read(const char *v)
{
	struct mailimf_mailbox	*mb = NULL;
	const char		*lt, *gt;
	char			*addr = NULL;
	size_t			 idx = 0;

	if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		for (lt++; lt < gt && is_wsp(*lt); lt++)
			;
		if (lt == gt)
			return xstrdup("");	/* the null path: a bounce */
	}
	if (mailimf_mailbox_parse(v, strlen(v), &idx, &mb) == MAILIMF_NO_ERROR) {
		addr = addr_clean(mb->mb_addr_spec);
		mailimf_mailbox_free(mb);
	}
	return addr;
}

/* ---- top-level headers ---- */

static void
header_interpret(struct message *msg, const char *name, const char *v)
{
	if (strcasecmp(name, "From") == 0) {
		if (msg->from.addr == NULL)
			mailbox_read(&msg->from, v);
	} else if (strcasecmp(name, "Sender") == 0) {
		if (msg->sender.addr == NULL)
			mailbox_read(&msg->sender, v);
	} else if (strcasecmp(name, "Reply-To") == 0) {
		struct mailimf_address_list	*al = NULL;
		size_t				 idx = 0;

		if (msg->reply_to != NULL || mailimf_address_list_parse(v,
		    strlen(v), &idx, &al) != MAILIMF_NO_ERROR)
			return;
		msg->reply_to = xcalloc(1, sizeof(*msg->reply_to));
		if (address_first(msg->reply_to, al) == -1) {
			free(msg->reply_to);
			msg->reply_to = NULL;
		}
		mailimf_address_list_free(al);
	} else if (strcasecmp(name, "Return-Path") == 0) {
		if (msg->return_path == NULL)
			msg->return_path = return_path_read(v);
	} else if (strcasecmp(name, "Subject") == 0) {
		if (msg->subject == NULL)
			msg->subject = message_decode_words(v);
	} else if (strcasecmp(name, "Message-ID") == 0) {
		if (msg->message_id == NULL)
			msg->message_id = msgid_read(v);
	} else if (strcasecmp(name, "In-Reply-To") == 0) {
		if (msg->in_reply_to == NULL)
			msg->in_reply_to = msgids_read(v);
	} else if (strcasecmp(name, "References") == 0) {
		if (msg->references == NULL)
			msg->references = msgids_read(v);
	} else if (strcasecmp(name, "To") == 0 || strcasecmp(name, "Cc") == 0) {
		to_read(msg, v);
	} else if (strcasecmp(name, "Date") == 0) {
		if (msg->date == NULL)
			msg->date = xstrdup(v);
	}
}

/* The top-level header block: every field kept, the known ones read.
 * *boff_r: where the body starts. */
static int
headers_load(struct message *msg, const char *p, size_t len,
    const struct message_limits *lim, size_t *boff_r, char **reason_r)
{
	struct hfield	 f;
	size_t		 hlen, pos = 0, i;

	if (header_split(p, len, lim, &hlen, boff_r, reason_r) == -1)
		return -1;
	while (header_next(p, hlen, &pos, &f)) {
		msg->headers = xreallocarray(msg->headers, msg->nheaders + 1,
		    sizeof(*msg->headers));
		msg->headers[msg->nheaders].name = xstrndup(f.name, f.namelen);
		msg->headers[msg->nheaders].value = unfold(f.value, f.valuelen);
		msg->nheaders++;
	}
	for (i = 0; i < msg->nheaders; i++)
		header_interpret(msg, msg->headers[i].name, msg->headers[i].value);
	return 0;
}

/* ---- MIME fields of one part ---- */

static char *
type_string(const struct mailmime_content *ct)
{
	const struct mailmime_type	*t = ct->ct_type;
	const char			*major = NULL;
	char				*s;

	if (t != NULL && t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    t->tp_data.tp_discrete_type != NULL) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:
			major = "text";
			break;
		case MAILMIME_DISCRETE_TYPE_IMAGE:
			major = "image";
			break;
		case MAILMIME_DISCRETE_TYPE_AUDIO:
			major = "audio";
			break;
		case MAILMIME_DISCRETE_TYPE_VIDEO:
			major = "video";
			break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			major = "application";
			break;
		default:
			major = t->tp_data.tp_discrete_type->dt_extension;
			break;
		}
	} else if (t != NULL && t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	    t->tp_data.tp_composite_type != NULL) {
		switch (t->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:
			major = "message";
			break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			major = "multipart";
			break;
		default:
			major = t->tp_data.tp_composite_type->ct_token;
			break;
		}
	}
	if (major == NULL || ct->ct_subtype == NULL)
		return NULL;
	s = xasprintf("%s/%s", major, ct->ct_subtype);
	lowercase(s);
	return s;
}

/* Collect the parameters of a list into pv (at most max). */
static size_t
params_content(const struct mailmime_content *ct, struct param *pv, size_t max)
{
	const struct mailmime_parameter	*pa;
	clistiter			*it;
	size_t				 n = 0;

	if (ct->ct_parameters == NULL)
		return 0;
	for (it = clist_begin(ct->ct_parameters); it != NULL && n < max;
	    it = clist_next(it)) {
		pa = clist_content(it);
		if (pa->pa_name != NULL && pa->pa_value != NULL) {
			pv[n].name = pa->pa_name;
			pv[n++].value = pa->pa_value;
		}
	}
	return n;
}

static size_t
params_disposition(const struct mailmime_disposition *d, struct param *pv,
    size_t max)
{
	const struct mailmime_disposition_parm	*dp;
	clistiter				*it;
	size_t					 n = 0;

	if (d->dsp_parms == NULL)
		return 0;
	for (it = clist_begin(d->dsp_parms); it != NULL && n < max;
	    it = clist_next(it)) {
		dp = clist_content(it);
		if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME &&
		    dp->pa_data.pa_filename != NULL) {
			pv[n].name = "filename";
			pv[n++].value = dp->pa_data.pa_filename;
		} else if (dp->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER &&
		    dp->pa_data.pa_parameter != NULL &&
		    dp->pa_data.pa_parameter->pa_name != NULL &&
		    dp->pa_data.pa_parameter->pa_value != NULL) {
			pv[n].name = dp->pa_data.pa_parameter->pa_name;
			pv[n++].value = dp->pa_data.pa_parameter->pa_value;
		}
	}
	return n;
}

static const char *
param_get(const struct param *pv, size_t np, const char *name)
{
	size_t	 i;

	for (i = 0; i < np; i++)
		if (strcasecmp(pv[i].name, name) == 0)
			return pv[i].value;
	return NULL;
}

/* Content-Type: type, charset, boundary, report-type and name. */
static void
part_content_type(struct part *pt, const char *v, int digest, char **boundary_r,
    char **name_r)
{
	struct mailmime_content	*ct = NULL;
	struct param		 pv[64] = { { NULL, NULL } };
	const char		*b, *cs, *rt;
	char			*prefix;
	size_t			 idx = 0, np;

	if (v != NULL && mailmime_content_parse(v, strlen(v), &idx, &ct) !=
	    MAILIMF_NO_ERROR) {
		/* A broken parameter: keep at least the type. */
		ct = NULL;
		idx = 0;
		prefix = xstrndup(v, strcspn(v, ";"));
		if (mailmime_content_parse(prefix, strlen(prefix), &idx, &ct) !=
		    MAILIMF_NO_ERROR)
			ct = NULL;
		free(prefix);
	}
	if (ct != NULL)
		pt->type = type_string(ct);
	if (pt->type == NULL) {
		pt->type = xstrdup(digest ? "message/rfc822" : "text/plain");
		goto out;
	}
	np = params_content(ct, pv, sizeof(pv) / sizeof(pv[0]));
	if ((cs = param_get(pv, np, "charset")) != NULL && *cs != '\0')
		pt->charset = trim_dup(cs, strlen(cs));
	if (strncmp(pt->type, "multipart/", 10) == 0 &&
	    (b = param_get(pv, np, "boundary")) != NULL && *b != '\0')
		*boundary_r = xstrdup(b);
	if (strcmp(pt->type, "multipart/report") == 0 &&
	    (rt = param_get(pv, np, "report-type")) != NULL) {
		pt->report_type = trim_dup(rt, strlen(rt));
		lowercase(pt->report_type);
	}
	if ((*name_r = rfc2231_value(pv, np, "name")) == NULL)
		*name_r = param_plain(pv, np, "name");
out:
	if (ct != NULL)
		mailmime_content_free(ct);
}

static void
part_disposition(struct part *pt, const char *v, char **filename_r)
{
	struct mailmime_disposition	*d = NULL;
	struct param			 pv[64] = { { NULL, NULL } };
	size_t				 idx = 0, np;

	if (mailmime_disposition_parse(v, strlen(v), &idx, &d) !=
	    MAILIMF_NO_ERROR || d == NULL || d->dsp_type == NULL) {
		/* Unparsable: RFC 2183 says treat it as an attachment. */
		pt->disposition = strncasecmp(v, "inline", 6) == 0 ?
		    DISPOSITION_INLINE : DISPOSITION_ATTACHMENT;
		goto out;
	}
	pt->disposition = d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_INLINE ?
	    DISPOSITION_INLINE : DISPOSITION_ATTACHMENT;
	np = params_disposition(d, pv, sizeof(pv) / sizeof(pv[0]));
	if ((*filename_r = rfc2231_value(pv, np, "filename")) == NULL)
		*filename_r = param_plain(pv, np, "filename");
out:
	if (d != NULL)
		mailmime_disposition_free(d);
}

/* The Content-* fields of the part whose header block is p[0..hlen). */
static void
part_fields(struct part *pt, const char *p, size_t hlen, int digest,
    char **boundary_r)
{
	struct mailmime_mechanism	*mech = NULL;
	struct hfield			 f;
	char				*ctype = NULL, *cte = NULL, *cdisp = NULL;
	char				*cid = NULL, *name = NULL, *filename = NULL;
	size_t				 pos = 0, idx = 0;

	while (header_next(p, hlen, &pos, &f)) {
		if (ctype == NULL && field_is(&f, "Content-Type"))
			ctype = unfold(f.value, f.valuelen);
		else if (cte == NULL && field_is(&f, "Content-Transfer-Encoding"))
			cte = unfold(f.value, f.valuelen);
		else if (cdisp == NULL && field_is(&f, "Content-Disposition"))
			cdisp = unfold(f.value, f.valuelen);
		else if (cid == NULL && field_is(&f, "Content-ID"))
			cid = unfold(f.value, f.valuelen);
	}
	part_content_type(pt, ctype, digest, boundary_r, &name);
	pt->encoding = MAILMIME_MECHANISM_7BIT;
	if (cte != NULL && mailmime_encoding_parse(cte, strlen(cte), &idx,
	    &mech) == MAILIMF_NO_ERROR && mech != NULL) {
		pt->encoding = mech->enc_type;
		mailmime_mechanism_free(mech);
	}
	if (cdisp != NULL)
		part_disposition(pt, cdisp, &filename);
	if (filename != NULL && *filename == '\0') {
		free(filename);
		filename = NULL;
	}
	if (filename == NULL && name != NULL && *name != '\0') {
		filename = name;
		name = NULL;
	}
	pt->filename = filename;
	if (cid != NULL)
		pt->content_id = msgid_read(cid);
	free(ctype);
	free(cte);
	free(cdisp);
	free(cid);
	free(name);
}

/* ---- the MIME structure ---- */

static int entity_parse(struct parser *, const char *, size_t, size_t, size_t,
    int);

/* Is the line s[0..n) a delimiter of boundary b: 1 separator, 2 the
 * close delimiter, 0 neither (RFC 2046: "--" boundary, then "--" for
 * the last, then only white space). */
static int
delimiter(const char *s, size_t n, const char *b, size_t blen)
{
	size_t	 i;
	int	 kind = 1;

	if (n < blen + 2 || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, b, blen) != 0)
		return 0;
	i = blen + 2;
	if (n - i >= 2 && s[i] == '-' && s[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < n; i++)
		if (!is_wsp(s[i]) && s[i] != '\r')
			return 0;
	return kind;
}

/* The parts of a multipart body. A missing close delimiter ends the last
 * part at the end of the body; a body without any delimiter is taken as
 * a single part (what libetpan and mail clients do). */
static int
multipart_parse(struct parser *ps, size_t idx, const char *p, size_t len,
    const char *boundary, size_t depth, int digest)
{
	const char	*eol;
	size_t		 blen = strlen(boundary), pos = 0, lend, start = 0;
	int		 kind, started = 0;

	while (pos < len) {
		eol = memchr(p + pos, '\n', len - pos);
		lend = eol == NULL ? len : (size_t)(eol - p);
		if (p[pos] == '-' &&
		    (kind = delimiter(p + pos, lend - pos, boundary, blen)) != 0) {
			if (started && entity_parse(ps, p + start,
			    (pos > start ? pos - 1 : start) - start, depth, idx,
			    digest) == -1)
				return -1;
			if (kind == 2)
				return 0;
			started = 1;
			start = eol == NULL ? len : lend + 1;
		}
		pos = eol == NULL ? len : lend + 1;
	}
	if (!started)
		return entity_parse(ps, p, len, depth, idx, digest);
	if (start < len)
		return entity_parse(ps, p + start, len - start, depth, idx, digest);
	return 0;
}

/* One entity p[0..len) at the given depth (multiparts above it): its
 * fields, then its parts. Recursion is bounded by max_depth. */
static int
entity_parse(struct parser *ps, const char *p, size_t len, size_t depth,
    size_t parent, int digest)
{
	struct part	*pt;
	char		*boundary = NULL;
	size_t		 hlen, boff, idx;
	int		 ret = -1, subdigest;

	if (ps->nparts >= ps->lim->max_parts) {
		ps->reason = xasprintf("more than %zu MIME parts",
		    ps->lim->max_parts);
		goto out;
	}
	if (header_split(p, len, ps->lim, &hlen, &boff, &ps->reason) == -1)
		goto out;
	if (ps->nparts == ps->cap) {
		ps->cap = ps->cap == 0 ? 16 : ps->cap * 2;
		ps->parts = xreallocarray(ps->parts, ps->cap, sizeof(*ps->parts));
	}
	idx = ps->nparts++;
	pt = &ps->parts[idx];
	memset(pt, 0, sizeof(*pt));
	pt->parent = parent;
	pt->empty = len == 0;
	pt->body = p + boff;
	pt->bodylen = len - boff;
	part_fields(pt, p, hlen, digest, &boundary);
	if (boundary == NULL) {
		ret = 0;
		goto out;
	}
	if (depth + 1 > ps->lim->max_depth) {
		ps->reason = xasprintf("MIME nesting deeper than %zu",
		    ps->lim->max_depth);
		goto out;
	}
	pt->container = 1;
	subdigest = strcmp(pt->type, "multipart/digest") == 0;
	ret = multipart_parse(ps, idx, p + boff, len - boff, boundary,
	    depth + 1, subdigest);
out:
	free(boundary);
	return ret;
}

static void
parser_free(struct parser *ps)
{
	size_t	 i;

	for (i = 0; i < ps->nparts; i++) {
		free(ps->parts[i].type);
		free(ps->parts[i].charset);
		free(ps->parts[i].report_type);
		free(ps->parts[i].filename);
		free(ps->parts[i].content_id);
	}
	free(ps->parts);
	free(ps->reason);
	memset(ps, 0, sizeof(*ps));
}

/* The part's content with its transfer encoding undone (owned,
 * NUL-terminated past *len_r); at most max bytes of it. */
static unsigned char *
part_decode(const struct part *pt, size_t max, size_t *len_r)
{
	unsigned char	*out;
	char		*dec = NULL;
	size_t		 idx = 0, declen = 0;

	if ((pt->encoding == MAILMIME_MECHANISM_BASE64 ||
	    pt->encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) &&
	    mailmime_part_parse(pt->body, pt->bodylen, &idx, pt->encoding, &dec,
	    &declen) == MAILIMF_NO_ERROR && dec != NULL) {
		if (declen > max)
			declen = max;
		out = xmalloc(declen + 1);
		memcpy(out, dec, declen);
		mmap_string_unref(dec);
	} else {
		declen = pt->bodylen > max ? max : pt->bodylen;
		out = xmalloc(declen + 1);
		memcpy(out, pt->body, declen);
	}
	out[declen] = '\0';
	*len_r = declen;
	return out;
}

/* An HTML part without a charset parameter may name one in <meta>. */
static char *
html_meta_charset(const unsigned char *s, size_t n)
{
	const char	*p, *e;
	char		*head, *cs = NULL;

	head = xstrndup((const char *)s, n < 2048 ? n : 2048);	/* to a NUL */
	lowercase(head);
	if ((p = strstr(head, "charset=")) != NULL) {
		p += 8;
		while (*p == '"' || *p == '\'' || is_wsp(*p))
			p++;
		for (e = p; isalnum((unsigned char)*e) || *e == '-' || *e == '_' ||
		    *e == ':' || *e == '.'; e++)
			;
		if (e > p)
			cs = xstrndup(p, (size_t)(e - p));
	}
	free(head);
	return cs;
}

/* The part as UTF-8 text (owned), from at most max_in decoded bytes. */
static char *
part_text(const struct part *pt, size_t max_in, size_t *len_r)
{
	unsigned char	*data;
	char		*text, *meta = NULL;
	size_t		 n;

	data = part_decode(pt, max_in, &n);
	if (pt->charset == NULL && strcmp(pt->type, "text/html") == 0)
		meta = html_meta_charset(data, n);
	text = to_utf8(pt->charset != NULL ? pt->charset : meta,
	    (const char *)data, n, len_r);
	free(meta);
	free(data);
	return text;
}

/* A text part that is shown as the message, not a file. */
static int
is_body_text(const struct part *pt, const char *type)
{
	return !pt->container && !pt->empty && strcmp(pt->type, type) == 0 &&
	    pt->disposition != DISPOSITION_ATTACHMENT && pt->filename == NULL;
}

static int
is_ancestor(const struct parser *ps, size_t anc, size_t i)
{
	while (i != PART_NONE) {
		if (i == anc)
			return 1;
		i = ps->parts[i].parent;
	}
	return 0;
}

/* ---- cid: references ---- */

/* Every cid: URL of the HTML, %-decoded, into refs (at most max). */
static size_t
cid_collect(const char *html, size_t n, char **refs, size_t nrefs, size_t max)
{
	struct buf	 b;
	size_t		 i, j;
	char		*tmp;

	for (i = 0; i + 4 <= n && nrefs < max; i++) {
		if (strncasecmp(html + i, "cid:", 4) != 0)
			continue;
		for (j = i + 4; j < n && strchr("\"'<> \t\r\n)", html[j]) == NULL &&
		    html[j] != '\0'; j++)
			;
		if (j == i + 4)
			continue;
		tmp = xstrndup(html + i + 4, j - i - 4);
		buf_init(&b, j - i);
		pct_decode(&b, tmp);
		free(tmp);
		refs[nrefs++] = buf_steal(&b);
		i = j - 1;
	}
	return nrefs;
}

/* ---- body text and attachments ---- */

static void
attachment_add(struct message *msg, const struct part *pt, char **refs,
    size_t nrefs)
{
	struct message_attachment	*a;
	size_t				 i;

	msg->attachments = xreallocarray(msg->attachments,
	    msg->nattachments + 1, sizeof(*msg->attachments));
	a = &msg->attachments[msg->nattachments++];
	memset(a, 0, sizeof(*a));
	a->filename = pt->filename != NULL ? xstrdup(pt->filename) : NULL;
	a->declared_type = xstrdup(pt->type);
	a->content_id = pt->content_id != NULL ? xstrdup(pt->content_id) : NULL;
	a->disposition = pt->disposition;
	a->data = part_decode(pt, SIZE_MAX, &a->size);
	for (i = 0; a->content_id != NULL && i < nrefs; i++)
		if (strcmp(refs[i], a->content_id) == 0 ||
		    strcasecmp(refs[i], a->content_id) == 0)
			a->referenced = 1;
}

/* Choose the body text, convert it, and make every other leaf part an
 * attachment. Text is read from at most 4 * max_text decoded bytes (any
 * charset needs at most 4 bytes for one character). */
static void
body_build(struct message *msg, const struct parser *ps, size_t max_text)
{
	const struct part	*pt;
	char			*refs[CID_MAX_REFS], *t, *html;
	size_t			 i, body = PART_NONE, alt = PART_NONE, nrefs = 0;
	size_t			 n, max_in;

	max_in = max_text > (SIZE_MAX - 64) / 4 ? SIZE_MAX : max_text * 4 + 64;
	for (i = 0; i < ps->nparts && body == PART_NONE; i++)
		if (is_body_text(&ps->parts[i], "text/plain"))
			body = i;
	for (i = 0; i < ps->nparts && body == PART_NONE; i++)
		if (is_body_text(&ps->parts[i], "text/html"))
			body = i;
	if (body != PART_NONE) {
		for (i = ps->parts[body].parent; i != PART_NONE;
		    i = ps->parts[i].parent)
			if (strcmp(ps->parts[i].type, "multipart/alternative") == 0) {
				alt = i;
				break;
			}
	}
	/* The HTML that can show inline images: every HTML text part. */
	for (i = 0; i < ps->nparts; i++) {
		if (!is_body_text(&ps->parts[i], "text/html"))
			continue;
		t = part_text(&ps->parts[i], max_in, &n);
		nrefs = cid_collect(t, n, refs, nrefs, CID_MAX_REFS);
		free(t);
	}
	if (body == PART_NONE)
		msg->text = xstrdup("");
	else {
		pt = &ps->parts[body];
		t = part_text(pt, max_in, &n);
		if (strcmp(pt->type, "text/html") == 0) {
			html = t;
			t = message_html_to_text(html, n, max_text);
			n = strlen(t);
			free(html);
			msg->text_from_html = 1;
		}
		msg->text = text_finish(t, n, max_text);
		free(t);
	}
	for (i = 0; i < ps->nparts; i++) {
		pt = &ps->parts[i];
		if (pt->container || pt->empty || i == body)
			continue;
		if (alt != PART_NONE && is_ancestor(ps, alt, i) &&
		    (is_body_text(pt, "text/plain") || is_body_text(pt, "text/html")))
			continue;
		attachment_add(msg, pt, refs, nrefs);
	}
	for (i = 0; i < nrefs; i++)
		free(refs[i]);
}

/* ---- the message ---- */

/* A copy with CRLF turned into LF (a lone CR stays). */
static char *
lf_copy(const char *raw, size_t len, size_t *outlen_r)
{
	char	*s = xmalloc(len + 1);
	size_t	 i, k = 0;

	for (i = 0; i < len; i++) {
		if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
			continue;
		s[k++] = raw[i];
	}
	s[k] = '\0';
	*outlen_r = k;
	return s;
}

/* An mbox "From " line before the header is not part of the message. */
static size_t
skip_from_line(const char *p, size_t len)
{
	const char	*eol;

	if (len < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	if ((eol = memchr(p, '\n', len)) == NULL)
		return len;
	return (size_t)(eol - p) + 1;
}

static int
message_common(const char *raw, size_t len, const struct message_limits *lim,
    int whole, struct message **msg_r, char **reason_r)
{
	struct parser	 ps;
	struct message	*msg;
	char		*norm = NULL, *reason = NULL;
	const char	*p;
	size_t		 nlen, boff = 0, skip;
	int		 ret = -1;

	memset(&ps, 0, sizeof(ps));
	*msg_r = NULL;
	*reason_r = NULL;
	msg = xcalloc(1, sizeof(*msg));
	msg->size = len;
	if (len == 0) {
		reason = xstrdup("empty message");
		goto out;
	}
	norm = lf_copy(raw, len, &nlen);
	skip = skip_from_line(norm, nlen);
	p = norm + skip;
	nlen -= skip;
	if (headers_load(msg, p, nlen, lim, &boff, &reason) == -1)
		goto out;
	if (EVP_Digest(p + boff, nlen - boff, msg->body_hash, NULL, EVP_sha256(),
	    NULL) != 1) {
		reason = xstrdup("SHA-256 failed");
		goto out;
	}
	ps.lim = lim;
	if (!whole)
		nlen = boff;	/* the header block only: no parts below it */
	if (entity_parse(&ps, p, nlen, 0, PART_NONE, 0) == -1) {
		reason = ps.reason;
		ps.reason = NULL;
		goto out;
	}
	msg->content_type = xstrdup(ps.parts[0].type);
	if (ps.parts[0].report_type != NULL)
		msg->report_type = xstrdup(ps.parts[0].report_type);
	if (whole)
		body_build(msg, &ps, lim->max_text);
	else
		msg->text = xstrdup("");
	ret = 0;
out:
	if (ret == -1) {
		message_free(&msg);
		*reason_r = reason;
	}
	*msg_r = msg;
	parser_free(&ps);
	free(norm);
	return ret;
}

int
message_parse(const char *raw, size_t len, const struct message_limits *lim,
    struct message **msg_r, char **reason_r)
{
	return message_common(raw, len, lim, 1, msg_r, reason_r);
}

int
message_parse_headers(const char *raw, size_t len,
    const struct message_limits *lim, struct message **msg_r, char **reason_r)
{
	return message_common(raw, len, lim, 0, msg_r, reason_r);
}

void
message_free(struct message **mp)
{
	struct message	*m = *mp;
	size_t		 i;

	if (m == NULL)
		return;
	free(m->from.name);
	free(m->from.addr);
	free(m->sender.name);
	free(m->sender.addr);
	if (m->reply_to != NULL) {
		free(m->reply_to->name);
		free(m->reply_to->addr);
		free(m->reply_to);
	}
	free(m->return_path);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	for (i = 0; i < m->nto; i++)
		free(m->to[i]);
	free(m->to);
	free(m->date);
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->content_type);
	free(m->report_type);
	free(m->text);
	for (i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].declared_type);
		free(m->attachments[i].content_id);
		free(m->attachments[i].data);
	}
	free(m->attachments);
	free(m);
	*mp = NULL;
}

const char *
message_header(const struct message *msg, const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; i < msg->nheaders; i++)
		if (strcasecmp(msg->headers[i].name, name) == 0 && n-- == 0)
			return msg->headers[i].value;
	return NULL;
}

/* ---- HTML to text ---- */

struct h2t {
	struct buf	 out;
	int		 full;		/* max reached: nothing more is kept */
	int		 space;		/* white space since the last text */
	int		 nl;		/* line breaks at the end of out */
	int		 pre;		/* inside <pre> */
};

static void
h2t_raw(struct h2t *h, const char *s, size_t n)
{
	size_t	 room;

	if (h->full)
		return;
	if (buf_add(&h->out, s, n) == -1) {
		room = h->out.max - h->out.len;
		(void)buf_add(&h->out, s, room);
		h->full = 1;
	}
}

static void
h2t_text(struct h2t *h, const char *s, size_t n)
{
	if (h->space && h->nl == 0 && h->out.len > 0)
		h2t_raw(h, " ", 1);
	h->space = 0;
	h2t_raw(h, s, n);
	h->nl = 0;
}

/* End the line (want 1) or the paragraph (want 2); never more than one
 * empty line in a row, none at the start. */
static void
h2t_break(struct h2t *h, int want)
{
	h->space = 0;
	if (h->out.len == 0)
		return;
	while (h->nl < want) {
		h2t_raw(h, "\n", 1);
		h->nl++;
	}
}

static void
h2t_br(struct h2t *h)
{
	h->space = 0;
	if (h->out.len == 0 || h->nl >= 2)
		return;
	h2t_raw(h, "\n", 1);
	h->nl++;
}

static void
h2t_cp(struct h2t *h, uint32_t cp)
{
	char	 u[4];

	if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xa0) {
		if (h->pre && cp == '\n')
			h2t_br(h);
		else if (h->pre)
			h2t_text(h, " ", 1);
		else
			h->space = 1;
		return;
	}
	if (cp == 0xad || cp == 0x200b || cp == 0x200c || cp == 0x200d ||
	    cp == 0xfeff)
		return;		/* soft hyphen, zero-width characters */
	h2t_text(h, u, utf8_put(u, cp));
}

static const struct {
	const char	*name;
	uint32_t	 cp;
} html_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "ensp", ' ' }, { "emsp", ' ' },
	{ "thinsp", ' ' }, { "shy", 0xad }, { "zwnj", 0x200c }, { "zwj", 0x200d },
	{ "copy", 0xa9 }, { "reg", 0xae }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e },
	{ "laquo", 0xab }, { "raquo", 0xbb }, { "lsaquo", 0x2039 },
	{ "rsaquo", 0x203a }, { "bull", 0x2022 }, { "middot", 0xb7 },
	{ "deg", 0xb0 }, { "plusmn", 0xb1 }, { "times", 0xd7 },
	{ "divide", 0xf7 }, { "euro", 0x20ac }, { "pound", 0xa3 },
	{ "yen", 0xa5 }, { "cent", 0xa2 }, { "sect", 0xa7 }, { "para", 0xb6 },
	{ "iexcl", 0xa1 }, { "iquest", 0xbf }, { "ordf", 0xaa }, { "ordm", 0xba },
	{ "sup1", 0xb9 }, { "sup2", 0xb2 }, { "sup3", 0xb3 }, { "frac12", 0xbd },
	{ "frac14", 0xbc }, { "frac34", 0xbe }, { "micro", 0xb5 },
	{ "agrave", 0xe0 }, { "aacute", 0xe1 }, { "acirc", 0xe2 },
	{ "atilde", 0xe3 }, { "auml", 0xe4 }, { "aring", 0xe5 }, { "aelig", 0xe6 },
	{ "ccedil", 0xe7 }, { "egrave", 0xe8 }, { "eacute", 0xe9 },
	{ "ecirc", 0xea }, { "euml", 0xeb }, { "igrave", 0xec }, { "iacute", 0xed },
	{ "icirc", 0xee }, { "iuml", 0xef }, { "ntilde", 0xf1 }, { "ograve", 0xf2 },
	{ "oacute", 0xf3 }, { "ocirc", 0xf4 }, { "otilde", 0xf5 }, { "ouml", 0xf6 },
	{ "oslash", 0xf8 }, { "ugrave", 0xf9 }, { "uacute", 0xfa },
	{ "ucirc", 0xfb }, { "uuml", 0xfc }, { "yacute", 0xfd }, { "yuml", 0xff },
	{ "szlig", 0xdf }, { "Agrave", 0xc0 }, { "Aacute", 0xc1 },
	{ "Acirc", 0xc2 }, { "Auml", 0xc4 }, { "Ccedil", 0xc7 },
	{ "Egrave", 0xc8 }, { "Eacute", 0xc9 }, { "Ecirc", 0xca },
	{ "Ntilde", 0xd1 }, { "Ouml", 0xd6 }, { "Uuml", 0xdc },
};

/* HTML reads numeric references 128-159 as windows-1252. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* The character reference at s[i] == '&'; returns where to go on. */
static size_t
h2t_entity(struct h2t *h, const char *s, size_t n, size_t i)
{
	uint32_t	 cp = 0;
	size_t		 j = i + 1, k, e;
	int		 hex = 0, d, digits = 0;

	if (j < n && s[j] == '#') {
		j++;
		if (j < n && (s[j] == 'x' || s[j] == 'X')) {
			hex = 1;
			j++;
		}
		for (; j < n; j++) {
			d = hex ? hexdigit((unsigned char)s[j]) :
			    (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);
			if (d == -1)
				break;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
			digits++;
		}
		if (digits == 0)
			goto literal;
		if (j < n && s[j] == ';')
			j++;
		if (cp >= 0x80 && cp <= 0x9f)
			cp = cp1252_c1[cp - 0x80];
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		h2t_cp(h, cp);
		return j;
	}
	for (k = j; k < n && k - j < 32 && isalnum((unsigned char)s[k]); k++)
		;
	if (k == j || k >= n || s[k] != ';')
		goto literal;
	for (e = 0; e < sizeof(html_entities) / sizeof(html_entities[0]); e++) {
		if (strlen(html_entities[e].name) == k - j &&
		    strncmp(html_entities[e].name, s + j, k - j) == 0) {
			h2t_cp(h, html_entities[e].cp);
			return k + 1;
		}
	}
literal:
	h2t_text(h, "&", 1);
	return i + 1;
}

static int
name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Find "</name" (any case) from s[i]; n if none. */
static size_t
find_end_tag(const char *s, size_t n, size_t i, const char *name)
{
	size_t	 l = strlen(name);

	for (; i + 2 + l <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, l) == 0)
			return i;
	return n;
}

static const char *
find_str(const char *s, size_t n, size_t i, const char *what)
{
	size_t	 l = strlen(what);

	for (; i + l <= n; i++)
		if (memcmp(s + i, what, l) == 0)
			return s + i;
	return NULL;
}

/* The markup at s[i] == '<'; returns where to go on. */
static size_t
h2t_tag(struct h2t *h, const char *s, size_t n, size_t i)
{
	static const char *const para[] = { "p", "h1", "h2", "h3", "h4", "h5",
	    "h6", "table", "blockquote", "pre", "ul", "ol", "dl", "hr", NULL };
	static const char *const line[] = { "div", "tr", "li", "dt", "dd",
	    "caption", "address", "center", "form", "fieldset", "section",
	    "article", "header", "footer", "nav", "aside", "figure",
	    "figcaption", "main", "body", "html", "legend", "option", NULL };
	static const char *const raw[] = { "script", "style", "title",
	    "textarea", NULL };
	const char	*e;
	char		 name[16];
	size_t		 j, k, l;
	int		 close = 0;
	char		 q = 0;

	if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
		e = find_str(s, n, i + 4, "-->");
		return e == NULL ? n : (size_t)(e - s) + 3;
	}
	j = i + 1;
	if (j < n && (s[j] == '!' || s[j] == '?')) {
		e = memchr(s + j, '>', n - j);
		return e == NULL ? n : (size_t)(e - s) + 1;
	}
	if (j < n && s[j] == '/') {
		close = 1;
		j++;
	}
	if (j >= n || !isalpha((unsigned char)s[j])) {
		h2t_text(h, "<", 1);
		return i + 1;
	}
	for (k = j, l = 0; k < n && (isalnum((unsigned char)s[k]) ||
	    s[k] == '-' || s[k] == ':'); k++)
		if (l < sizeof(name) - 1)
			name[l++] = (char)tolower((unsigned char)s[k]);
	name[l] = '\0';
	if (k - j >= sizeof(name))
		name[0] = '\0';		/* no element we know is that long */
	for (; k < n; k++) {
		if (q != 0) {
			if (s[k] == q)
				q = 0;
		} else if (s[k] == '"' || s[k] == '\'')
			q = s[k];
		else if (s[k] == '>')
			break;
	}
	k = k < n ? k + 1 : n;
	if (!close && name_in(name, raw)) {
		k = find_end_tag(s, n, k, name);
		e = k < n ? memchr(s + k, '>', n - k) : NULL;
		return e == NULL ? n : (size_t)(e - s) + 1;
	}
	if (strcmp(name, "br") == 0)
		h2t_br(h);
	else if (name_in(name, para)) {
		h2t_break(h, 2);
		if (strcmp(name, "pre") == 0)
			h->pre += close ? (h->pre > 0 ? -1 : 0) : 1;
	} else if (name_in(name, line))
		h2t_break(h, 1);
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		h->space = 1;
	return k;
}

char *
message_html_to_text(const char *html, size_t len, size_t max)
{
	struct h2t	 h;
	size_t		 i = 0, j;
	char		*out;

	memset(&h, 0, sizeof(h));
	buf_init(&h.out, max);
	while (i < len && !h.full) {
		switch (html[i]) {
		case '<':
			i = h2t_tag(&h, html, len, i);
			continue;
		case '&':
			i = h2t_entity(&h, html, len, i);
			continue;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
		case '\f':
			if (html[i] != '\r')
				h2t_cp(&h, html[i] == '\f' ? ' ' : (uint32_t)html[i]);
			i++;
			continue;
		default:
			break;
		}
		for (j = i; j < len && strchr("<& \t\n\r\f", html[j]) == NULL &&
		    html[j] != '\0'; j++)
			;
		if (j == i)
			j++;	/* a NUL: dropped below */
		if (html[i] != '\0')
			h2t_text(&h, html + i, j - i);
		i = j;
	}
	/* No line breaks or spaces at the end; no partial character. */
	j = utf8_cut(h.out.data != NULL ? h.out.data : "", h.out.len);
	while (j > 0 && (h.out.data[j - 1] == '\n' || h.out.data[j - 1] == ' '))
		j--;
	out = xstrndup(h.out.data != NULL ? h.out.data : "", j);
	buf_free(&h.out);
	return out;
}
