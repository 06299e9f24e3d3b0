/* A JSON writer (RFC 8259): commas, nesting and string escaping. */
#include "autoconf.h"
#include "json.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_OUTPUT	(256UL * 1024 * 1024)

static void
put(struct json *j, const char *s, size_t n)
{
	if (buf_add(&j->out, s, n) == -1)
		fatalx("json: output larger than %lu bytes", JSON_MAX_OUTPUT);
}

static void
indent(struct json *j)
{
	int	 i;

	put(j, "\n", 1);
	for (i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* Before any value or key: the comma and the line break. */
static void
before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		if (j->count[j->depth - 1]++ > 0)
			put(j, ",", 1);
		if (j->pretty)
			indent(j);
	}
}

void
json_init(struct json *j, int pretty)
{
	memset(j, 0, sizeof(*j));
	buf_init(&j->out, JSON_MAX_OUTPUT);
	j->pretty = pretty;
}

static void
open_(struct json *j, char c)
{
	before_value(j);
	if (j->depth >= JSON_MAX_DEPTH)
		fatalx("json: nested too deep");
	put(j, &c, 1);
	j->count[j->depth++] = 0;
}

static void
close_(struct json *j, char c)
{
	int	 had;

	if (j->depth == 0)
		fatalx("json: close without open");
	had = j->count[--j->depth];
	if (j->pretty && had > 0)
		indent(j);
	put(j, &c, 1);
}

void json_object_begin(struct json *j) { open_(j, '{'); }
void json_object_end(struct json *j) { close_(j, '}'); }
void json_array_begin(struct json *j) { open_(j, '['); }
void json_array_end(struct json *j) { close_(j, ']'); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	uint32_t	 cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
escape_string(struct json *j, const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	char			 esc[8];
	size_t			 i = 0, l;

	put(j, "\"", 1);
	while (i < n) {
		switch (s[i]) {
		case '"':	put(j, "\\\"", 2); i++; continue;
		case '\\':	put(j, "\\\\", 2); i++; continue;
		case '\n':	put(j, "\\n", 2); i++; continue;
		case '\r':	put(j, "\\r", 2); i++; continue;
		case '\t':	put(j, "\\t", 2); i++; continue;
		default:	break;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			put(j, esc, 6);
			i++;
			continue;
		}
		if ((l = utf8_len(s + i, n - i)) == 0) {
			put(j, "\\ufffd", 6);
			i++;
			continue;
		}
		/* U+2028 and U+2029 break JavaScript readers of JSON. */
		if (l == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			put(j, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			i += 3;
			continue;
		}
		put(j, (const char *)s + i, l);
		i += l;
	}
	put(j, "\"", 1);
}

void
json_key(struct json *j, const char *key)
{
	before_value(j);
	escape_string(j, key, strlen(key));
	put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	j->after_key = 1;
}

void
json_stringn(struct json *j, const char *s, size_t n)
{
	before_value(j);
	escape_string(j, s, n);
}

void
json_string(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_stringn(j, s, strlen(s));
}

void
json_int(struct json *j, int64_t v)
{
	char	 num[32];
	int	 n;

	before_value(j);
	n = snprintf(num, sizeof(num), "%" PRId64, v);
	put(j, num, (size_t)n);
}

void
json_bool(struct json *j, int v)
{
	before_value(j);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void
json_null(struct json *j)
{
	before_value(j);
	put(j, "null", 4);
}

void
json_time(struct json *j, int64_t t)
{
	char	 ts[21];

	if (t == 0) {
		json_null(j);
		return;
	}
	time_rfc3339((time_t)t, ts);
	json_string(j, ts);
}

char *
json_finish(struct json *j)
{
	if (j->depth != 0)
		fatalx("json: unbalanced");
	put(j, "\n", 1);
	return buf_steal(&j->out);
}
