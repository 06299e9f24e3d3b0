/* The audit log as a keyed hash chain (see audit.h). */
#include "autoconf.h"
#include "audit.h"
#include "util.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define AUDIT_DOMAIN	"cabut-audit-v1"

/* Length-prefixed field: 4 octets big-endian length, then the bytes;
 * NULL is length 0xffffffff, so NULL and "" differ. */
static void
mac_field(EVP_MAC_CTX *ctx, const void *data, size_t len, int is_null)
{
	unsigned char	 l[4];
	uint32_t	 n = is_null ? 0xffffffffU : (uint32_t)len;

	l[0] = n >> 24; l[1] = n >> 16; l[2] = n >> 8; l[3] = n;
	EVP_MAC_update(ctx, l, sizeof(l));
	if (!is_null && len > 0)
		EVP_MAC_update(ctx, data, len);
}

static void
mac_str(EVP_MAC_CTX *ctx, const char *s)
{
	mac_field(ctx, s, s ? strlen(s) : 0, s == NULL);
}

static void
mac_int(EVP_MAC_CTX *ctx, int64_t v)
{
	char	 num[24];
	int	 n;

	n = snprintf(num, sizeof(num), "%" PRId64, v);
	mac_field(ctx, num, (size_t)n, 0);
}

/* MAC of entry e chained to prev (hex, "" for the first entry). */
static int
entry_mac(const unsigned char key[STORE_KEY_LEN], const char *prev,
    const struct audit_entry *e, char out[AUDIT_MAC_HEX])
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	unsigned char	 md[32];
	size_t		 mdlen = 0;
	int		 ret = -1;
	static char	 digest[] = "SHA256";

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, key, STORE_KEY_LEN, params))
		goto out;
	mac_str(ctx, AUDIT_DOMAIN);
	mac_str(ctx, prev);
	mac_int(ctx, e->seq);
	mac_int(ctx, e->at);
	mac_int(ctx, e->request_id);
	mac_str(ctx, e->event);
	mac_str(ctx, e->from_state);
	mac_str(ctx, e->to_state);
	mac_str(ctx, e->actor);
	mac_str(ctx, e->reason);
	mac_str(ctx, e->data_hash);
	if (!EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) || mdlen != sizeof(md))
		goto out;
	hex_encode(md, sizeof(md), out);
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

int
audit_head(struct store *s, struct audit_head *h)
{
	sqlite3_stmt	*st;
	const char	*mac;
	int		 rc, ret = -1;

	memset(h, 0, sizeof(*h));
	st = store_prepare(s, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1");
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		ret = 0;
	else if (rc == SQLITE_ROW) {
		h->seq = sqlite3_column_int64(st, 0);
		mac = store_col_text(st, 1);
		if (mac != NULL && strlen(mac) == AUDIT_MAC_HEX - 1) {
			memcpy(h->mac, mac, AUDIT_MAC_HEX);
			ret = 0;
		}
	}
	if (ret == -1)
		log_warnx("audit: cannot read the head: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return ret;
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int
audit_append(struct store *s, struct audit_entry *e)
{
	struct audit_head	 h;
	sqlite3_stmt		*st;
	int			 rc;

	if (!s->have_audit_key) {
		log_warnx("audit: no key in %s (run cabutctl init)", s->state_dir);
		return -1;
	}
	if (audit_head(s, &h) == -1)
		return -1;
	e->seq = h.seq + 1;
	if (e->at == 0)
		e->at = (int64_t)now();
	if (e->actor == NULL)
		e->actor = "system";
	if (entry_mac(s->audit_key, h.mac, e, e->mac) == -1) {
		log_warnx("audit: HMAC failed");
		return -1;
	}
	st = store_prepare(s, "INSERT INTO audit (seq, at, request_id, event,"
	    " from_state, to_state, actor, reason, data_hash, mac)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->at);
	if (e->request_id != 0)
		sqlite3_bind_int64(st, 3, e->request_id);
	bind_text_or_null(st, 4, e->event);
	bind_text_or_null(st, 5, e->from_state);
	bind_text_or_null(st, 6, e->to_state);
	bind_text_or_null(st, 7, e->actor);
	bind_text_or_null(st, 8, e->reason);
	bind_text_or_null(st, 9, e->data_hash);
	bind_text_or_null(st, 10, e->mac);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("audit: append: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
audit_state(struct store *s, int64_t request_id, const char *from,
    const char *to, const char *actor, const char *reason)
{
	struct audit_entry	 e;

	memset(&e, 0, sizeof(e));
	e.request_id = request_id;
	e.event = "state";
	e.from_state = from;
	e.to_state = to;
	e.actor = actor;
	e.reason = reason;
	return audit_append(s, &e);
}

static int
mac_hex_valid(const char *m)
{
	size_t	 i;

	if (strlen(m) != AUDIT_MAC_HEX - 1)
		return 0;
	for (i = 0; m[i] != '\0'; i++)
		if (!((m[i] >= '0' && m[i] <= '9') || (m[i] >= 'a' && m[i] <= 'f')))
			return 0;
	return 1;
}

int
audit_head_parse(const char *text, struct audit_head *h)
{
	char		*end;
	long long	 seq;

	memset(h, 0, sizeof(*h));
	errno = 0;
	seq = strtoll(text, &end, 10);
	if (errno != 0 || end == text || seq < 0 || (*end != ':' && *end != ' '))
		return -1;
	end++;
	if (strlen(end) >= AUDIT_MAC_HEX) {
		/* allow one trailing newline */
		if (strlen(end) != AUDIT_MAC_HEX || end[AUDIT_MAC_HEX - 1] != '\n')
			return -1;
	}
	memcpy(h->mac, end, strnlen(end, AUDIT_MAC_HEX - 1));
	h->mac[AUDIT_MAC_HEX - 1] = '\0';
	if (seq == 0 ? h->mac[0] != '\0' : !mac_hex_valid(h->mac))
		return -1;
	h->seq = seq;
	return 0;
}

int
audit_head_read_file(const char *state_dir, struct audit_head *h, char **error_r)
{
	char	*path, line[128];
	FILE	*f;
	int	 ret = -1;

	path = xasprintf("%s/%s", state_dir, STORE_AUDIT_HEAD_NAME);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			ret = 1;
		else
			*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fgets(line, sizeof(line), f) == NULL || audit_head_parse(line, h) == -1)
		*error_r = xasprintf("%s: not a head (SEQ:MAC)", path);
	else
		ret = 0;
	fclose(f);
out:
	free(path);
	return ret;
}

int
audit_head_publish(struct store *s)
{
	struct audit_head	 h;
	char			*path, *tmp, *text, *err = NULL;
	int			 ret = -1;

	if (audit_head(s, &h) == -1)
		return -1;
	/* Always to syslog, whatever -f says: that copy is the anchor. */
	syslog(LOG_NOTICE | LOG_AUTHPRIV, "audit head %lld:%s",
	    (long long)h.seq, h.mac);
	log_info("audit head %lld:%s", (long long)h.seq, h.mac);

	path = xasprintf("%s/%s", s->state_dir, STORE_AUDIT_HEAD_NAME);
	tmp = xasprintf("%s.tmp", path);
	text = xasprintf("%lld:%s\n", (long long)h.seq, h.mac);
	unlink(tmp);
	if (file_create_excl(tmp, 0600, text, strlen(text), &err) != 0 ||
	    rename(tmp, path) == -1) {
		log_warnx("audit: cannot write %s: %s", path,
		    err ? err : strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(err);
	free(text);
	free(tmp);
	free(path);
	return ret;
}

static void
entry_from_row(sqlite3_stmt *st, struct audit_entry *e)
{
	const char	*mac;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	e->request_id = sqlite3_column_int64(st, 2);
	e->event = store_col_text(st, 3);
	e->from_state = store_col_text(st, 4);
	e->to_state = store_col_text(st, 5);
	e->actor = store_col_text(st, 6);
	e->reason = store_col_text(st, 7);
	e->data_hash = store_col_text(st, 8);
	mac = store_col_text(st, 9);
	if (mac != NULL)
		snprintf(e->mac, sizeof(e->mac), "%s", mac);
}

#define AUDIT_COLUMNS "seq, at, request_id, event, from_state, to_state," \
	" actor, reason, data_hash, mac"

int
audit_verify(struct store *s, const struct audit_head *anchor,
    int64_t *bad_seq_r, char **why_r)
{
	sqlite3_stmt		*st;
	struct audit_entry	 e;
	char			 prev[AUDIT_MAC_HEX] = "", want[AUDIT_MAC_HEX];
	int64_t			 expect = 1;
	int			 rc, ret = 0, anchor_seen = 0;

	*bad_seq_r = 0;
	*why_r = NULL;
	if (!s->have_audit_key) {
		*why_r = xasprintf("no audit key in %s", s->state_dir);
		return -1;
	}
	st = store_prepare(s, "SELECT " AUDIT_COLUMNS " FROM audit ORDER BY seq");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		entry_from_row(st, &e);
		if (e.seq != expect) {
			*bad_seq_r = expect;
			*why_r = xasprintf("entry %lld is missing (next is %lld)",
			    (long long)expect, (long long)e.seq);
			ret = 1;
			break;
		}
		if (entry_mac(s->audit_key, prev, &e, want) == -1) {
			*why_r = xstrdup("HMAC failed");
			ret = -1;
			break;
		}
		if (CRYPTO_memcmp(want, e.mac, AUDIT_MAC_HEX) != 0) {
			*bad_seq_r = e.seq;
			*why_r = xasprintf("entry %lld was changed, reordered or "
			    "removed (its MAC does not match)", (long long)e.seq);
			ret = 1;
			break;
		}
		if (anchor != NULL && e.seq == anchor->seq) {
			anchor_seen = 1;
			if (CRYPTO_memcmp(e.mac, anchor->mac, AUDIT_MAC_HEX) != 0) {
				*bad_seq_r = e.seq;
				*why_r = xasprintf("entry %lld differs from the head "
				    "logged earlier: the chain was rebuilt",
				    (long long)e.seq);
				ret = 1;
				break;
			}
		}
		memcpy(prev, e.mac, AUDIT_MAC_HEX);
		expect++;
	}
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*why_r = xasprintf("cannot read the audit log: %s",
		    sqlite3_errmsg(s->db));
		ret = -1;
	}
	if (ret == 0 && anchor != NULL && anchor->seq > 0 && !anchor_seen) {
		*bad_seq_r = expect;
		*why_r = xasprintf("the chain was cut short: %lld entries, but the "
		    "head logged earlier had %lld", (long long)(expect - 1),
		    (long long)anchor->seq);
		ret = 1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
audit_foreach(struct store *s, int64_t request_id,
    int (*cb)(const struct audit_entry *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct audit_entry	 e;
	int			 rc, ret = 0;

	st = store_prepare(s, "SELECT " AUDIT_COLUMNS " FROM audit"
	    " WHERE ?1 = 0 OR request_id = ?1 ORDER BY seq");
	sqlite3_bind_int64(st, 1, request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		entry_from_row(st, &e);
		if ((ret = cb(&e, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("audit: %s", sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}
