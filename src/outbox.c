/* The outbox: compose, queue, send (see outbox.h). */
#include "autoconf.h"
#include "outbox.h"
#include "smtp.h"
#include "audit.h"
#include "util.h"
#include "log.h"
#include "crashpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define OUTBOX_MAX_MAIL		(64UL << 20)	/* composed size */
#define OUTBOX_BATCH		100
#define OUTBOX_RETRY_MIN	60
#define OUTBOX_RETRY_MAX	3600
#define OUTBOX_SMTP_TIMEOUT	120

static int
is_ascii_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Length of the UTF-8 sequence starting with c (1 for stray bytes). */
static size_t
utf8_seq(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64_chunk(struct buf *b, const unsigned char *in, size_t n)
{
	char	 q[4];
	size_t	 i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		buf_add(b, q, 4);
	}
}

/* A header value: as it is when printable ASCII, else RFC 2047 encoded
 * words of at most 45 octets each (never splitting a UTF-8 sequence),
 * folded onto continuation lines. The value has no CR or LF: callers
 * pass cleaned text. */
static void
header_text(struct buf *b, const char *value, size_t col)
{
	const unsigned char	*s = (const unsigned char *)value;
	size_t			 len = strlen(value), i = 0, n, l, max;

	if (is_ascii_printable(value)) {
		buf_addstr(b, value);
		return;
	}
	while (i < len) {
		/* An encoded word of n octets takes 12 + 4 * ceil(n / 3)
		 * characters; keep each line within 76. */
		max = (76 - col - 12) / 4 * 3;
		n = 0;
		while (i + n < len) {
			l = utf8_seq(s[i + n]);
			if (n + l > max)
				break;
			n += l;
		}
		if (n == 0)
			n = 1;
		col = 1;
		if (i > 0)
			buf_addstr(b, "\r\n ");
		buf_addstr(b, "=?UTF-8?B?");
		base64_chunk(b, s + i, n);
		buf_addstr(b, "?=");
		i += n;
	}
}

/* Quoted-printable (RFC 2045), lines of at most 76 characters; LF in the
 * text becomes CRLF. "From " and "." at a line start are encoded so no
 * relay mangles them. */
static void
quoted_printable(struct buf *b, const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	char			 enc[4];
	size_t			 col = 0, w;
	int			 must;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			buf_addstr(b, "\r\n");
			col = 0;
			continue;
		}
		must = *s == '=' || *s >= 0x7f || (*s < 0x20 && *s != '\t') ||
		    ((*s == ' ' || *s == '\t') && (s[1] == '\n' || s[1] == '\0')) ||
		    (col == 0 && *s == '.') ||
		    (col == 0 && strncmp((const char *)s, "From ", 5) == 0);
		w = must ? 3 : 1;
		if (col + w > 75) {
			buf_addstr(b, "=\r\n");
			col = 0;
		}
		if (must) {
			snprintf(enc, sizeof(enc), "=%02X", *s);
			buf_add(b, enc, 3);
		} else
			buf_add(b, s, 1);
		col += w;
	}
	if (col > 0)
		buf_addstr(b, "\r\n");
}

static void
random_hex(char *out, size_t octets)
{
	unsigned char	 r[32];

	if (octets > sizeof(r) || RAND_bytes(r, (int)octets) != 1)
		fatalx("outbox: no random bytes");
	hex_encode(r, octets, out);
}

static void
attachment(struct buf *b, const char *boundary, const struct outmail_part *p)
{
	size_t	 i;
	char	 pct[4];

	/* The CRLF before a boundary belongs to it (RFC 2046): the part
	 * before keeps its own last line break. */
	buf_printf(b, "\r\n--%s\r\nContent-Type: %s\r\n", boundary,
	    p->content_type);
	buf_addstr(b, "Content-Transfer-Encoding: base64\r\n");
	buf_addstr(b, "Content-Disposition: attachment;");
	if (is_ascii_printable(p->filename) && strpbrk(p->filename, "\"\\") == NULL)
		buf_printf(b, " filename=\"%s\"\r\n\r\n", p->filename);
	else {
		/* RFC 2231: percent-encoded UTF-8. */
		buf_addstr(b, "\r\n filename*=utf-8''");
		for (i = 0; p->filename[i] != '\0'; i++) {
			unsigned char c = (unsigned char)p->filename[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
				buf_add(b, &c, 1);
			else {
				snprintf(pct, sizeof(pct), "%%%02X", c);
				buf_add(b, pct, 3);
			}
		}
		buf_addstr(b, "\r\n\r\n");
	}
	for (i = 0; i < p->len; i += 57) {
		base64_chunk(b, p->data + i, p->len - i < 57 ? p->len - i : 57);
		buf_addstr(b, "\r\n");
	}
}

static void
ids_header(struct buf *b, const char *name, const char *ids)
{
	const char	*p = ids, *e;

	buf_printf(b, "%s:", name);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " ");
		buf_addstr(b, " <");
		buf_add(b, p, (size_t)(e - p));
		buf_addstr(b, ">");
		p = e;
	}
	buf_addstr(b, "\r\n");
}

/* A value going into a header must be one line of printable text. */
static int
header_safe(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
outbox_compose(const struct config *cfg, const struct outmail *m, int64_t date,
    char **data_r, size_t *len_r, char **msgid_r, char **error_r)
{
	const char	*domain = strrchr(cfg->smtp.reply_to, '@') + 1;
	struct buf	 b;
	struct tm	 tm;
	time_t		 t = (time_t)date;
	char		 datebuf[64], rnd[49], boundary[64], *local, *msgid;
	size_t		 i;

	if (!header_safe(m->to) || !header_safe(m->subject) ||
	    !header_safe(m->token) || !header_safe(m->in_reply_to) ||
	    !header_safe(m->references) || !config_addr_valid(m->to)) {
		*error_r = xstrdup("a header value has a line break or control "
		    "character");
		return -1;
	}
	for (i = 0; i < m->nparts; i++)
		if (!header_safe(m->parts[i].filename) ||
		    !header_safe(m->parts[i].content_type)) {
			*error_r = xstrdup("an attachment name has a control character");
			return -1;
		}
	random_hex(rnd, 12);
	msgid = m->token != NULL ?
	    xasprintf("cabut.%s@%s", m->token, domain) :
	    xasprintf("cabut-%s@%s", rnd, domain);
	gmtime_r(&t, &tm);
	strftime(datebuf, sizeof(datebuf), "%a, %d %b %Y %H:%M:%S +0000", &tm);

	buf_init(&b, OUTBOX_MAX_MAIL);
	buf_addstr(&b, "From: ");
	if (cfg->smtp.from_name != NULL) {
		if (is_ascii_printable(cfg->smtp.from_name) &&
		    strpbrk(cfg->smtp.from_name, "\"\\,;:<>()[]@") == NULL)
			buf_printf(&b, "%s <%s>\r\n", cfg->smtp.from_name,
			    cfg->smtp.from_addr);
		else {
			/* Encoded words, then the address on a line of its own. */
			header_text(&b, cfg->smtp.from_name, 6);
			buf_printf(&b, "\r\n <%s>\r\n", cfg->smtp.from_addr);
		}
	} else
		buf_printf(&b, "%s\r\n", cfg->smtp.from_addr);
	buf_printf(&b, "To: %s\r\n", m->to);
	if (m->token != NULL && m->reply_to_token) {
		local = xstrndup(cfg->smtp.reply_to,
		    (size_t)(domain - 1 - cfg->smtp.reply_to));
		buf_printf(&b, "Reply-To: %s+%s@%s\r\n", local, m->token, domain);
		free(local);
	} else
		buf_printf(&b, "Reply-To: %s\r\n", cfg->smtp.reply_to);
	buf_addstr(&b, "Subject: ");
	header_text(&b, m->subject, 9);
	buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: <%s>\r\n", datebuf, msgid);
	if (m->in_reply_to != NULL)
		ids_header(&b, "In-Reply-To", m->in_reply_to);
	if (m->references != NULL)
		ids_header(&b, "References", m->references);
	buf_printf(&b, "Auto-Submitted: %s\r\n",
	    m->answer ? "auto-replied" : "auto-generated");
	buf_addstr(&b, "X-Auto-Response-Suppress: All\r\n");
	buf_printf(&b, "X-Cabut-Loop: %s\r\n", domain);
	buf_addstr(&b, "MIME-Version: 1.0\r\n");
	if (m->nparts > 0) {
		random_hex(rnd, 12);
		snprintf(boundary, sizeof(boundary), "=_cabut_%s", rnd);
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
		    boundary);
		buf_addstr(&b, "This is a MIME message.\r\n");
		buf_printf(&b, "--%s\r\n", boundary);
	}
	buf_addstr(&b, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	quoted_printable(&b, m->body);
	for (i = 0; i < m->nparts; i++)
		attachment(&b, boundary, &m->parts[i]);
	if (m->nparts > 0)
		buf_printf(&b, "\r\n--%s--\r\n", boundary);
	if (b.len >= OUTBOX_MAX_MAIL - 1) {
		*error_r = xstrdup("the mail is too large");
		buf_free(&b);
		free(msgid);
		return -1;
	}
	*len_r = b.len;
	*data_r = buf_steal(&b);
	*msgid_r = msgid;
	return 0;
}

int
outbox_queue(struct store *s, const struct config *cfg, const struct outmail *m,
    int64_t *id_r)
{
	sqlite3_stmt	*st;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*data = NULL, *msgid = NULL, *err = NULL;
	size_t		 len = 0;
	int64_t		 t = (int64_t)now();
	int		 rc;

	if (outbox_compose(cfg, m, t, &data, &len, &msgid, &err) == -1) {
		log_warnx("outbox: %s mail to %s not composed: %s", m->kind, m->to, err);
		free(err);
		return 1;
	}
	/* The hash stays for good; the mail goes at retention. */
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		fatalx("SHA-256");
	st = store_prepare(s, "INSERT INTO outbox (request_id, kind, recipient,"
	    " message_id, data, next_attempt, created, sha256) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?6, ?7)");
	if (m->request_id != 0)
		sqlite3_bind_int64(st, 1, m->request_id);
	sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, msgid, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 5, data, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, t);
	sqlite3_bind_blob(st, 7, md, (int)mdlen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(data);
	free(msgid);
	if (rc != SQLITE_DONE) {
		log_warnx("outbox: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Record the outcome of one attempt. */
static int
settle(struct store *s, int64_t id, int64_t request_id, const char *kind,
    const char *rcpt, enum smtp_status st, int attempts, int code,
    const char *err)
{
	struct audit_entry	 e;
	sqlite3_stmt		*q;
	int64_t			 t = (int64_t)now(), wait;
	char			*reason = NULL;
	int			 rc, ret = -1;

	if (store_begin(s) == -1)
		return -1;
	if (st == SMTP_SENT) {
		q = store_prepare(s, "UPDATE outbox SET state = 'sent', sent = ?2,"
		    " attempts = attempts + 1, last_error = NULL WHERE id = ?1");
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, t);
	} else if (st == SMTP_TEMPFAIL) {
		wait = OUTBOX_RETRY_MIN << (attempts < 6 ? attempts : 6);
		if (wait > OUTBOX_RETRY_MAX)
			wait = OUTBOX_RETRY_MAX;
		q = store_prepare(s, "UPDATE outbox SET attempts = attempts + 1,"
		    " next_attempt = ?2, last_error = ?3 WHERE id = ?1");
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, t + retry_wait(wait));
		sqlite3_bind_text(q, 3, err ? err : "", -1, SQLITE_STATIC);
	} else {
		q = store_prepare(s, "UPDATE outbox SET state = 'failed',"
		    " attempts = attempts + 1, last_error = ?2 WHERE id = ?1");
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_text(q, 2, err ? err : "", -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		goto rollback;
	if (st == SMTP_SENT && request_id != 0 && strcmp(kind, "revoked") == 0) {
		/* SOP step 9: the notification handed to the SMTP server is
		 * what cabut can record of the applicant receiving it. */
		q = store_prepare(s, "UPDATE request_steps SET ended = ?2,"
		    " actor = 'smtp' WHERE request_id = ?1 AND step = 9 AND"
		    " ended IS NULL AND EXISTS (SELECT 1 FROM requests WHERE"
		    " id = ?1 AND requester = ?3 COLLATE NOCASE)");
		sqlite3_bind_int64(q, 1, request_id);
		sqlite3_bind_int64(q, 2, t);
		sqlite3_bind_text(q, 3, rcpt, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto rollback;
	}
	if (st == SMTP_PERMFAIL) {
		reason = xasprintf("%s mail to %s refused (%d): %s", kind, rcpt, code,
		    err ? err : "");
		memset(&e, 0, sizeof(e));
		e.request_id = request_id;
		e.event = "mail-failed";
		e.reason = reason;
		if (audit_append(s, &e) == -1)
			goto rollback;
		log_warnx("outbox: %s", reason);
	}
	if (store_commit(s) == -1)
		goto out;
	ret = 0;
	goto out;
rollback:
	store_rollback(s);
out:
	free(reason);
	return ret;
}

int
outbox_flush(struct store *s, const struct config *cfg, char **why_r)
{
	struct smtp_params	 p;
	sqlite3_stmt		*st;
	enum smtp_status	 res;
	char			*password = NULL, *err = NULL, *rcpt, *kind;
	unsigned char		*data;
	size_t			 len;
	int64_t			 id, request_id;
	int			 rc, code, attempts, waiting = 0, ret = -1, n = 0;

	*why_r = NULL;
	memset(&p, 0, sizeof(p));
	p.url = cfg->smtp.url;
	p.starttls = cfg->smtp.starttls == STARTTLS_REQUIRED;
	p.tls_verify = cfg->smtp.tls_verify;
	p.ca_file = cfg->smtp.ca_file;
	p.username = cfg->smtp.username;
	p.timeout = OUTBOX_SMTP_TIMEOUT;
	for (;;) {
		/* The id first: sorting whole rows would copy every queued
		 * mail. */
		st = store_prepare(s, "SELECT id, request_id, kind, recipient, data,"
		    " attempts FROM outbox WHERE id = (SELECT id FROM outbox"
		    " WHERE state = 'queued' AND next_attempt <= ?1"
		    " ORDER BY id LIMIT 1)");
		sqlite3_bind_int64(st, 1, (int64_t)now());
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				goto out;
			break;
		}
		id = sqlite3_column_int64(st, 0);
		request_id = sqlite3_column_int64(st, 1);
		kind = xstrdup(store_col_text(st, 2));
		rcpt = xstrdup(store_col_text(st, 3));
		len = (size_t)sqlite3_column_bytes(st, 4);
		data = xmalloc(len + 1);
		memcpy(data, sqlite3_column_blob(st, 4), len);
		attempts = sqlite3_column_int(st, 5);
		sqlite3_finalize(st);

		if (p.username != NULL && password == NULL &&
		    cfg->smtp.password_file != NULL &&
		    (password = file_read_password(cfg->smtp.password_file,
		    &err)) == NULL) {
			log_warnx("smtp: %s", err);
			free(kind);
			free(rcpt);
			free(data);
			*why_r = xstrdup("the SMTP password file cannot be read");
			waiting = 1;
			break;
		}
		p.password = password;
		code = 0;
		res = smtp_send(&p, cfg->smtp.reply_to, rcpt, (char *)data, len,
		    &code, &err);
		if (res == SMTP_SENT)
			crashpoint("after_smtp_accept");
		rc = settle(s, id, request_id, kind, rcpt, res, attempts, code, err);
		if (res == SMTP_SENT)
			log_info("outbox: %s mail to %s handed to %s", kind, rcpt,
			    cfg->smtp.url);
		else if (res == SMTP_TEMPFAIL) {
			free(*why_r);
			*why_r = xasprintf("%s mail to %s waits: %s", kind, rcpt,
			    err ? err : "temporary failure");
			waiting = 1;
		}
		free(kind);
		free(rcpt);
		free(data);
		if (rc == -1)
			goto out;
		/* No answer from the server at all: the rest waits too. */
		if (res == SMTP_TEMPFAIL && code == 0) {
			free(err);
			err = NULL;
			break;
		}
		free(err);
		err = NULL;
		if (++n >= 10000)
			break;
	}
	if (!waiting) {
		st = store_prepare(s, "SELECT count(*) FROM outbox WHERE state = 'queued'");
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0) {
			waiting = 1;
			*why_r = xasprintf("%d mail(s) wait for a retry",
			    sqlite3_column_int(st, 0));
		}
		sqlite3_finalize(st);
	}
	ret = waiting;
out:
	free(err);
	freezero_str(&password);
	return ret;
}

int
outbox_answers_last_hour(struct store *s, const char *to, int64_t t)
{
	sqlite3_stmt	*st;
	int		 n = 0;

	st = store_prepare(s, "SELECT count(*) FROM outbox WHERE recipient = ?1"
	    " COLLATE NOCASE AND created > ?2 AND (kind IN ('received', 'confirm',"
	    " 'joined', 'generic', 'decided') OR kind LIKE 'invalid-%'"
	    " OR kind LIKE 'not-understood-%')");
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t - 3600);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
outbox_sent_today(struct store *s, const char *to, const char *kind, int64_t t)
{
	sqlite3_stmt	*st;
	int		 n = 0;

	st = store_prepare(s, "SELECT count(*) FROM outbox WHERE recipient = ?1"
	    " COLLATE NOCASE AND kind = ?2 AND created > ?3");
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, t - 86400);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n > 0;
}
