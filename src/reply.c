/* The OP's reply: its own text, cut before whatever it quotes, and the
 * decision word at its start (SPEC "The decision"). No I/O. */
#include "autoconf.h"
#include "reply.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLY_MAX_TEXT		(1024 * 1024)	/* bytes of the reply considered */
#define REPLY_MAX_LINES		20000		/* lines of the reply considered */
#define REPLY_OUTLOOK_SPAN	4		/* From: ... Sent: within this many lines */
#define REPLY_MIN_RULE		10		/* Outlook's line of underscores */

struct line {
	const char	*s;
	size_t		 len;
};

static const struct {
	const char	*word;
	enum reply_word	 decision;
} reply_words[] = {
	{ "SETUJU", REPLY_APPROVE },
	{ "DISETUJUI", REPLY_APPROVE },
	{ "APPROVE", REPLY_APPROVE },
	{ "APPROVED", REPLY_APPROVE },
	{ "TOLAK", REPLY_REJECT },
	{ "DITOLAK", REPLY_REJECT },
	{ "REJECT", REPLY_REJECT },
	{ "REJECTED", REPLY_REJECT },
	{ "PERBAIKI", REPLY_RETURN },
	{ "FIX", REPLY_RETURN },
	{ "KONFIRMASI", REPLY_CONFIRM },
	{ "CONFIRM", REPLY_CONFIRM },
	{ "CONFIRMED", REPLY_CONFIRM },
	{ "SUDAH", REPLY_DONE },
	{ "DONE", REPLY_DONE },
};

/* Length of the white space character at p (p < end), 0 when there is
 * none. Besides ASCII, the spaces that HTML-to-text conversion and mail
 * clients leave: U+00A0 (&nbsp;), U+2000-U+200B (U+200B is zero width),
 * U+2028/2029, U+202F, U+205F, U+3000, U+FEFF. */
static size_t
ws_len(const char *p, const char *end)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 left = (size_t)(end - p);

	if (left == 0)
		return 0;
	if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r'))
		return 1;
	if (left >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (left < 3)
		return 0;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    ((u[2] >= 0x80 && u[2] <= 0x8b) || u[2] == 0xa8 || u[2] == 0xa9 ||
	    u[2] == 0xaf))
		return 3;
	if ((u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) ||
	    (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) ||
	    (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf))
		return 3;
	return 0;
}

/* A line without its leading and trailing white space. */
static struct line
trim(struct line l)
{
	const char	*p = l.s, *end = l.s + l.len, *start, *last;
	size_t		 n;

	while (p < end && (n = ws_len(p, end)) > 0)
		p += n;
	start = last = p;
	while (p < end) {
		if ((n = ws_len(p, end)) > 0)
			p += n;
		else
			last = ++p;
	}
	l.s = start;
	l.len = (size_t)(last - start);
	return l;
}

static int
starts_ci(struct line l, const char *prefix)
{
	size_t	 n = strlen(prefix);

	return l.len >= n && strncasecmp(l.s, prefix, n) == 0;
}

static int
ends_ci(struct line l, const char *suffix)
{
	size_t	 n = strlen(suffix);

	return l.len >= n && strncasecmp(l.s + l.len - n, suffix, n) == 0;
}

static int
equals_ci(struct line l, const char *s)
{
	return l.len == strlen(s) && strncasecmp(l.s, s, l.len) == 0;
}

/* "From:", "*From:*" (bold from HTML), "Dari:" ...: a line of Outlook's
 * header block naming one of the given fields. */
static int
outlook_field(struct line l, const char *const *names)
{
	size_t	 i;

	l = trim(l);
	while (l.len > 0 && l.s[0] == '*') {
		l.s++;
		l.len--;
	}
	for (i = 0; names[i] != NULL; i++)
		if (starts_ci(l, names[i]))
			return 1;
	return 0;
}

/* "-----Original Message-----", "---------- Forwarded message ---------"
 * and their Indonesian forms. */
static int
dashed_marker(struct line l)
{
	static const char *const names[] = {
		"original message", "pesan asli", "forwarded message",
		"pesan terusan", NULL,
	};
	size_t	 lead = 0, tail = 0, i;

	while (lead < l.len && l.s[lead] == '-')
		lead++;
	while (tail < l.len - lead && l.s[l.len - 1 - tail] == '-')
		tail++;
	if (lead < 2 || tail < 2)
		return 0;
	l.s += lead;
	l.len -= lead + tail;
	l = trim(l);
	for (i = 0; names[i] != NULL; i++)
		if (equals_ci(l, names[i]))
			return 1;
	return 0;
}

/* Does the quoted part (or the signature) start at line i? */
static int
quote_starts(const struct line *lines, size_t i, size_t n)
{
	static const char *const from[] = { "From:", "Dari:", NULL };
	static const char *const sent[] = {
		"Sent:", "Date:", "Dikirim:", "Tanggal:", NULL,
	};
	struct line	 raw = lines[i], l = trim(lines[i]), next;
	size_t		 j;

	if (l.len > 0 && l.s[0] == '>')
		return 1;
	/* "-- " is the signature separator; "--" is what is left of it
	 * after clients that trim trailing white space. */
	while (raw.len > 0 && (raw.s[raw.len - 1] == ' ' ||
	    raw.s[raw.len - 1] == '\t'))
		raw.len--;
	if (raw.len == 2 && raw.s[0] == '-' && raw.s[1] == '-')
		return 1;

	/* Attributions, perhaps wrapped over two lines. */
	next = i + 1 < n ? trim(lines[i + 1]) : (struct line){ "", 0 };
	if (starts_ci(l, "On ") &&
	    (ends_ci(l, " wrote:") || ends_ci(next, "wrote:")))
		return 1;
	if (starts_ci(l, "Pada ") &&
	    (ends_ci(l, " menulis:") || ends_ci(next, "menulis:")))
		return 1;
	if (equals_ci(l, "Begin forwarded message:") ||
	    equals_ci(l, "Awal pesan yang diteruskan:"))
		return 1;

	if (dashed_marker(l))
		return 1;
	if (l.len >= REPLY_MIN_RULE && strspn(l.s, "_") >= l.len)
		return 1;
	if (outlook_field(l, from))
		for (j = i + 1; j < n && j <= i + REPLY_OUTLOOK_SPAN; j++)
			if (outlook_field(lines[j], sent))
				return 1;
	return 0;
}

char *
reply_own_text(const char *text)
{
	struct line	*lines = NULL;
	struct buf	 out;
	char		*norm = NULL, *ret;
	size_t		 len, i, j, n = 0, first;
	const char	*p, *end;

	/* The input is at most REPLY_MAX_TEXT; one more for a last '\n'. */
	buf_init(&out, REPLY_MAX_TEXT + 1);
	if (text == NULL)
		goto out;
	len = strnlen(text, REPLY_MAX_TEXT + 1);
	if (len > REPLY_MAX_TEXT) {
		/* Cut on a character boundary. */
		len = REPLY_MAX_TEXT;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}

	/* CRLF, and a lone CR, become LF. */
	norm = xmalloc(len + 1);
	for (i = j = 0; i < len; i++) {
		if (text[i] == '\r') {
			norm[j++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else
			norm[j++] = text[i];
	}
	norm[j] = '\0';

	end = norm + j;
	for (p = norm, n = 1; n < REPLY_MAX_LINES &&
	    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	lines = xreallocarray(NULL, n, sizeof(*lines));
	p = norm;
	n = 0;
	while (n < REPLY_MAX_LINES && p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));

		lines[n].s = p;
		lines[n].len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		n++;
		p = nl != NULL ? nl + 1 : end;
	}

	for (first = 0; first < n && trim(lines[first]).len == 0; first++)
		;
	for (i = first; i < n && !quote_starts(lines, i, n); i++) {
		struct line	 l = lines[i], t = trim(l);

		/* Trailing white space goes; leading stays (indentation). */
		l.len = t.len == 0 ? 0 : (size_t)(t.s + t.len - l.s);
		if (buf_add(&out, l.s, l.len) == -1 || buf_add(&out, "\n", 1) == -1)
			break;
	}
	/* Trailing blank lines. */
	while (out.len > 0 && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
 out:
	ret = buf_steal(&out);
	buf_free(&out);
	free(lines);
	free(norm);
	return ret;
}

static enum reply_word
word_lookup(const char *w, size_t len)
{
	size_t	 i;

	/* Bold or italic from HTML ("*SETUJU*", "_SETUJU_"), and the
	 * punctuation people put after a word; never '?': "Setuju?" asks. */
	while (len > 0 && (w[0] == '*' || w[0] == '_')) {
		w++;
		len--;
	}
	while (len > 0 && strchr(".,!:;*_", w[len - 1]) != NULL)
		len--;
	if (len == 0)
		return REPLY_NONE;
	for (i = 0; i < sizeof(reply_words) / sizeof(reply_words[0]); i++)
		if (strlen(reply_words[i].word) == len &&
		    strncasecmp(w, reply_words[i].word, len) == 0)
			return reply_words[i].decision;
	return REPLY_NONE;
}

/* The first word of [p, end) and its decision; *after_r is where the
 * word ends. */
static enum reply_word
first_word(const char *p, const char *end, const char **after_r)
{
	const char	*w;
	size_t		 n;

	while (p < end && (n = ws_len(p, end)) > 0)
		p += n;
	w = p;
	while (p < end && ws_len(p, end) == 0)
		p++;
	*after_r = p;
	return word_lookup(w, (size_t)(p - w));
}

/* The rest of the paragraph after the decision word: its lines joined
 * by single spaces, separators (":", "-", dashes) at its start dropped. */
static char *
rest_of_paragraph(const char *p, const char *end)
{
	struct buf	 b;
	struct line	 l;
	const char	*nl;
	int		 firstline = 1;

	buf_init(&b, REPLY_MAX_TEXT);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.s = p;
		l.len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl != NULL ? nl + 1 : end;
		l = trim(l);
		if (l.len == 0) {
			if (!firstline)
				break;
			firstline = 0;
			continue;
		}
		firstline = 0;
		if (b.len == 0) {
			/* "TOLAK: alasan", "TOLAK - alasan", and the en or
			 * em dash (U+2013, U+2014) that word processors put. */
			for (;;) {
				if (l.len > 0 && (l.s[0] == ':' || l.s[0] == '-')) {
					l.s++;
					l.len--;
				} else if (l.len >= 3 &&
				    (unsigned char)l.s[0] == 0xe2 &&
				    (unsigned char)l.s[1] == 0x80 &&
				    ((unsigned char)l.s[2] == 0x93 ||
				    (unsigned char)l.s[2] == 0x94)) {
					l.s += 3;
					l.len -= 3;
				} else
					break;
				l = trim(l);
			}
			if (l.len == 0)
				continue;
		} else if (buf_add(&b, " ", 1) == -1)
			break;
		if (buf_add(&b, l.s, l.len) == -1)
			break;
	}
	return buf_steal(&b);
}

enum reply_word
reply_decision(const char *own_text, char **rest_r)
{
	const char	*end, *after;
	enum reply_word	 w = REPLY_NONE;

	if (rest_r != NULL)
		*rest_r = NULL;
	if (own_text == NULL)
		goto out;
	end = own_text + strnlen(own_text, REPLY_MAX_TEXT);
	w = first_word(own_text, end, &after);
	if (w != REPLY_NONE && rest_r != NULL)
		*rest_r = rest_of_paragraph(after, end);
 out:
	if (rest_r != NULL && *rest_r == NULL)
		*rest_r = xstrdup("");
	return w;
}

int
reply_line_decides(const char *line)
{
	const char	*end, *nl, *after;

	if (line == NULL)
		return 0;
	end = line + strnlen(line, REPLY_MAX_TEXT);
	if ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL)
		end = nl;
	return first_word(line, end, &after) != REPLY_NONE;
}

const char *
reply_word_name(enum reply_word w)
{
	switch (w) {
	case REPLY_APPROVE:
		return "approve";
	case REPLY_REJECT:
		return "reject";
	case REPLY_RETURN:
		return "return";
	case REPLY_CONFIRM:
		return "confirm";
	case REPLY_DONE:
		return "done";
	case REPLY_NONE:
		break;
	}
	return "none";
}
