/* Revocation: approved -> revoking -> revoked | failed (see revoke.h). */
#include "autoconf.h"
#include "revoke.h"
#include "audit.h"
#include "crashpoint.h"
#include "crl.h"
#include "http.h"
#include "log.h"
#include "outbox.h"
#include "template.h"
#include "token.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

/* What the mails about a revocation show. */
struct rv_data {
	char	*state, *requester, *serial, *issuer, *dn, *username, *reason;
	char	*backend, *detail, *msgid;
	int	 reason_code;
	int64_t	 invalidity, revoked_at;
};

static char *
col(sqlite3_stmt *st, int i)
{
	const char	*t = store_col_text(st, i);

	return t ? xstrdup(t) : NULL;
}

static void
rv_clear(struct rv_data *d)
{
	free(d->state); free(d->requester); free(d->serial); free(d->issuer);
	free(d->dn); free(d->username); free(d->reason); free(d->backend);
	free(d->detail); free(d->msgid);
	memset(d, 0, sizeof(*d));
}

/* 0 loaded, 1 no such request, -1 store error. */
static int
rv_load(struct store *s, int64_t id, struct rv_data *d)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(d, 0, sizeof(*d));
	st = store_prepare(s, "SELECT r.state, r.requester, r.serial, r.issuer,"
	    " r.subject_dn, coalesce(c.username, r.username), r.reason,"
	    " coalesce(v.reason_code, r.reason_code, 0),"
	    " coalesce(r.invalidity_date, 0), coalesce(v.revoked_at, 0),"
	    " v.backend, v.detail, m.message_id FROM requests r"
	    " LEFT JOIN certificates c ON c.issuer = r.issuer AND c.serial = r.serial"
	    " LEFT JOIN revocations v ON v.request_id = r.id"
	    " LEFT JOIN messages m ON m.id = r.message_id WHERE r.id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->state = col(st, 0);
		d->requester = col(st, 1);
		d->serial = col(st, 2);
		d->issuer = col(st, 3);
		d->dn = col(st, 4);
		d->username = col(st, 5);
		d->reason = col(st, 6);
		d->reason_code = sqlite3_column_int(st, 7);
		d->invalidity = sqlite3_column_int64(st, 8);
		d->revoked_at = sqlite3_column_int64(st, 9);
		d->backend = col(st, 10);
		d->detail = col(st, 11);
		d->msgid = col(st, 12);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return d->serial != NULL ? 0 : 1;
	return rc == SQLITE_DONE ? 1 : -1;
}

static int
exec_done(sqlite3_stmt *st)
{
	int	rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The ids of requests a query selects (bound with now as ?1). */
static int
select_ids(struct store *s, const char *sql, int64_t t, int64_t **ids_r,
    size_t *n_r)
{
	sqlite3_stmt	*st = store_prepare(s, sql);
	size_t		 cap = 0;
	int		 rc;

	*ids_r = NULL;
	*n_r = 0;
	sqlite3_bind_int64(st, 1, t);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n_r == cap) {
			cap = cap ? cap * 2 : 16;
			*ids_r = xreallocarray(*ids_r, cap, sizeof(**ids_r));
		}
		(*ids_r)[(*n_r)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char *
lg(const struct process_ctx *p)
{
	return config_language_name(p->cfg->daemon.language);
}

static const char *
or_none(const char *v, const struct process_ctx *p)
{
	return v != NULL && *v != '\0' ? v : strcmp(lg(p), "id") == 0 ?
	    "(tidak ada)" : "(none)";
}

/* "keyCompromise (1)" */
static void
reason_text(int code, char out[40])
{
	const char	*n = ca_reason_name(code);

	snprintf(out, 40, "%s (%d)", n ? n : "unspecified", code);
}

/* One mail to each OP (not the applicant) and, when to_requester, to the
 * applicant first; with a token purpose, each OP gets their own token. */
static int
rv_mails(struct process_ctx *p, int64_t id, const struct rv_data *d,
    const char *tname, const struct template_var *vars, size_t nv,
    int to_requester, int purpose, int64_t expires)
{
	const struct config	*cfg = p->cfg;
	struct outmail		 om;
	unsigned char		 digest[32];
	char			 token[TOKEN_MAX_LEN + 1];
	char			*subject = NULL, *body = NULL, *err = NULL;
	size_t			 i;
	int			 ret = -1;

	if (process_render(p, tname, vars, nv, &subject, &body, &err) == -1) {
		log_warnx("template %s: %s; request %lld", tname, err,
		    (long long)id);
		ret = process_alert(p, "mail not written", err);
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.request_id = id;
	om.kind = tname;
	om.subject = subject;
	om.body = body;
	if (to_requester) {
		om.to = d->requester;
		om.in_reply_to = d->msgid;
		om.references = d->msgid;
		if (outbox_queue(p->store, cfg, &om, NULL) == -1)
			goto out;
		om.in_reply_to = om.references = NULL;
	}
	if (purpose != 0)
		process_request_digest(p->store, id, digest);
	for (i = 0; i < cfg->op.naddresses; i++) {
		if (strcasecmp(cfg->op.addresses[i], d->requester) == 0)
			continue;
		om.to = cfg->op.addresses[i];
		if (purpose != 0) {
			token_make(&p->key, purpose, (uint32_t)id, om.to, expires,
			    digest, token);
			om.token = token;
			om.reply_to_token = 1;
		}
		if (outbox_queue(p->store, cfg, &om, NULL) == -1)
			goto out;
	}
	ret = 0;
out:
	free(subject);
	free(body);
	free(err);
	return ret;
}

/* manual: what to do in the CA's own application, to each OP. */
static int
manual_mails(struct process_ctx *p, int64_t id, int64_t t)
{
	const struct config	*cfg = p->cfg;
	struct template_var	 vars[10];
	struct rv_data		 d;
	char			 idbuf[24], inv[21], exp[21], rs[40];
	int64_t			 expires = t + cfg->op.expire_after + cfg->ca.crl_grace;
	size_t			 nv = 0;
	int			 ret;

	if ((ret = rv_load(p->store, id, &d)) != 0)
		return ret == 1 ? 0 : -1;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	if (d.invalidity != 0)
		time_rfc3339((time_t)d.invalidity, inv);
	else
		snprintf(inv, sizeof(inv), "-");
	time_rfc3339((time_t)expires, exp);
	reason_text(d.reason_code, rs);
	vars[nv++] = (struct template_var){ "id", idbuf, 0 };
	vars[nv++] = (struct template_var){ "serial", d.serial, 0 };
	vars[nv++] = (struct template_var){ "subject_dn", or_none(d.dn, p), 0 };
	vars[nv++] = (struct template_var){ "username", or_none(d.username, p), 0 };
	vars[nv++] = (struct template_var){ "reason", d.reason, 0 };
	vars[nv++] = (struct template_var){ "crl_reason", rs, 0 };
	vars[nv++] = (struct template_var){ "invalidity_date", inv, 0 };
	vars[nv++] = (struct template_var){ "requester", d.requester, 0 };
	vars[nv++] = (struct template_var){ "crl_url", or_none(cfg->ca.crl_url, p), 0 };
	vars[nv++] = (struct template_var){ "expires", exp, 0 };
	ret = rv_mails(p, id, &d, "manual", vars, nv, 0, TOKEN_MANUAL_REVOCATION,
	    expires);
	rv_clear(&d);
	return ret;
}

/* approved -> revoking. */
static int
start_approved(struct process_ctx *p, struct ca_backend *ca, int64_t t)
{
	struct store	*s = p->store;
	sqlite3_stmt	*st;
	int64_t		*ids = NULL;
	size_t		 n, i;
	char		*why;
	int		 ret = -1, r;

	if (select_ids(s, "SELECT id FROM requests WHERE state = 'approved' AND"
	    " ?1 = ?1 ORDER BY id LIMIT 10000", t, &ids, &n) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (store_begin(s) == -1)
			goto out;
		st = store_prepare(s, "UPDATE requests SET state = 'revoking',"
		    " updated = ?2 WHERE id = ?1 AND state = 'approved'");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, t);
		r = exec_done(st);
		st = store_prepare(s, "INSERT INTO revocations (request_id, backend,"
		    " started, next_attempt) VALUES (?1, ?2, ?3, ?3)"
		    " ON CONFLICT (request_id) DO UPDATE SET backend = excluded.backend,"
		    " attempts = 0, next_attempt = excluded.next_attempt");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_text(st, 2, ca->ops->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, t);
		r = r == -1 || exec_done(st) == -1;
		why = ca->ops->manual ? xstrdup("handed to the OPs to revoke in the "
		    "CA's own application") : xasprintf("handed to the %s backend",
		    ca->ops->name);
		r = r || audit_state(s, ids[i], "approved", "revoking", "system",
		    why) == -1 || process_step(s, ids[i], 7, t, 0, NULL) == -1 ||
		    (ca->ops->manual && manual_mails(p, ids[i], t) == -1);
		free(why);
		if (r) {
			store_rollback(s);
			goto out;
		}
		if (store_commit(s) == -1)
			goto out;
		log_info("request %lld: revoking (%s)", (long long)ids[i],
		    ca->ops->name);
	}
	ret = 0;
out:
	free(ids);
	return ret;
}

/* failed -> revoking when the back-off is over. */
static int
retry_failed(struct process_ctx *p, int64_t t)
{
	int64_t	*ids = NULL;
	size_t	 n, i;
	int	 ret = -1;

	if (select_ids(p->store, "SELECT r.id FROM requests r JOIN revocations v"
	    " ON v.request_id = r.id WHERE r.state = 'failed' AND"
	    " v.next_attempt <= ?1 ORDER BY r.id LIMIT 10000", t, &ids, &n) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (revoke_retry(p, ids[i], "system") == -1)
			goto out;
	ret = 0;
out:
	free(ids);
	return ret;
}

int
revoke_retry(struct process_ctx *p, int64_t id, const char *actor)
{
	struct store	*s = p->store;
	sqlite3_stmt	*st;
	int64_t		 t = (int64_t)now();
	char		*why;
	int		 changed, r;

	if (store_begin(s) == -1)
		return -1;
	st = store_prepare(s, "UPDATE requests SET state = 'revoking', updated = ?2"
	    " WHERE id = ?1 AND state = 'failed'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	if (exec_done(st) == -1)
		goto rollback;
	if ((changed = sqlite3_changes(s->db)) == 0) {
		store_rollback(s);
		return 1;
	}
	st = store_prepare(s, "UPDATE revocations SET attempts = 0,"
	    " next_attempt = ?2 WHERE request_id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	why = xstrdup(strcmp(actor, "system") == 0 ? "automatic retry after "
	    "back-off" : "retry asked for");
	r = exec_done(st) == -1 ||
	    audit_state(s, id, "failed", "revoking", actor, why) == -1;
	free(why);
	if (r)
		goto rollback;
	if (store_commit(s) == -1)
		return -1;
	log_info("request %lld: revoking again (%s)", (long long)id, actor);
	return 0;
rollback:
	store_rollback(s);
	return -1;
}

int
revoke_done(struct process_ctx *p, int64_t id, const char *actor,
    const char *how, int64_t revoked_at, int reason, const char *note)
{
	struct store		*s = p->store;
	struct template_var	 vars[8];
	struct rv_data		 d;
	sqlite3_stmt		*st;
	int64_t			 t = (int64_t)now();
	char			 idbuf[24], at[21], inv[21], rs[40], *why = NULL;
	int			 r, ret = -1;

	st = store_prepare(s, "UPDATE requests SET state = 'revoked', updated = ?2"
	    " WHERE id = ?1 AND state = 'revoking'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	if (exec_done(st) == -1)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 1;
	st = store_prepare(s, "UPDATE revocations SET done = coalesce(done, ?2),"
	    " done_by = coalesce(done_by, ?3),"
	    " revoked_at = coalesce(revoked_at, ?4),"
	    " reason_code = coalesce(?5, reason_code) WHERE request_id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, revoked_at != 0 ? revoked_at : t);
	if (reason >= 0)
		sqlite3_bind_int(st, 5, reason);
	if (exec_done(st) == -1 || (r = rv_load(s, id, &d)) == -1)
		return -1;
	if (r == 1)
		return 1;
	/* The registry knows it is revoked: a new request for it is refused. */
	st = store_prepare(s, "UPDATE certificates SET revoked = ?3,"
	    " revocation_reason = ?4, invalidity_date = ?5 WHERE issuer = ?1 AND"
	    " serial = ?2");
	sqlite3_bind_text(st, 1, d.issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d.serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, d.revoked_at);
	sqlite3_bind_int(st, 4, d.reason_code);
	if (d.invalidity != 0)
		sqlite3_bind_int64(st, 5, d.invalidity);
	why = xasprintf("%s%s%s", how, note && *note ? ": " : "",
	    note && *note ? note : "");
	if (exec_done(st) == -1 ||
	    audit_state(s, id, "revoking", "revoked", actor, why) == -1 ||
	    process_step(s, id, 7, 0, t, actor) == -1 ||
	    process_step(s, id, 8, t, t, "cabut") == -1 ||
	    process_step(s, id, 9, t, 0, NULL) == -1)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	time_rfc3339((time_t)d.revoked_at, at);
	if (d.invalidity != 0)
		time_rfc3339((time_t)d.invalidity, inv);
	else
		snprintf(inv, sizeof(inv), "-");
	reason_text(d.reason_code, rs);
	vars[0] = (struct template_var){ "id", idbuf, 0 };
	vars[1] = (struct template_var){ "serial", d.serial, 0 };
	vars[2] = (struct template_var){ "subject_dn", or_none(d.dn, p), 0 };
	vars[3] = (struct template_var){ "reason", d.reason, 0 };
	vars[4] = (struct template_var){ "crl_reason", rs, 0 };
	vars[5] = (struct template_var){ "revoked_at", at, 0 };
	vars[6] = (struct template_var){ "invalidity_date", inv, 0 };
	vars[7] = (struct template_var){ "crl_url", or_none(p->cfg->ca.crl_url, p), 0 };
	ret = rv_mails(p, id, &d, "revoked", vars, 8, 1, 0, 0);
	log_info("request %lld: revoked (%s)", (long long)id, actor);
out:
	rv_clear(&d);
	free(why);
	return ret;
}

/* A call that failed: wait and try again, or give up (failed). */
static int
call_failed(struct process_ctx *p, int64_t id, enum ca_status cs,
    const char *err, int64_t t)
{
	struct store	*s = p->store;
	sqlite3_stmt	*st;
	int64_t		 attempts = 0, failures = 0, wait;
	char		*why = NULL, *details = NULL;
	int		 ret = -1;

	st = store_prepare(s, "SELECT attempts + 1, failures FROM revocations"
	    " WHERE request_id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		attempts = sqlite3_column_int64(st, 0);
		failures = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (cs == CA_TEMPORARY && attempts < REVOKE_TRIES) {
		wait = (int64_t)REVOKE_WAIT_MIN << (attempts - 1);
		st = store_prepare(s, "UPDATE revocations SET attempts = ?2,"
		    " next_attempt = ?3, last_error = ?4 WHERE request_id = ?1");
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, attempts);
		sqlite3_bind_int64(st, 3, t + retry_wait(wait));
		sqlite3_bind_text(st, 4, err, -1, SQLITE_STATIC);
		log_warnx("request %lld: revocation attempt %lld failed: %s; next "
		    "in %llds", (long long)id, (long long)attempts, err,
		    (long long)wait);
		return exec_done(st);
	}
	wait = failures < 5 ? (int64_t)REVOKE_RETRY_MIN << failures :
	    REVOKE_RETRY_MAX;
	if (wait > REVOKE_RETRY_MAX)
		wait = REVOKE_RETRY_MAX;
	st = store_prepare(s, "UPDATE revocations SET attempts = ?2,"
	    " failures = failures + 1, next_attempt = ?3, last_error = ?4"
	    " WHERE request_id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, attempts);
	sqlite3_bind_int64(st, 3, t + retry_wait(wait));
	sqlite3_bind_text(st, 4, err, -1, SQLITE_STATIC);
	if (exec_done(st) == -1)
		return -1;
	st = store_prepare(s, "UPDATE requests SET state = 'failed', updated = ?2"
	    " WHERE id = ?1 AND state = 'revoking'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	why = xasprintf("%s: %s", cs == CA_PERMANENT ? "the CA refused" :
	    "the CA kept failing", err);
	details = xasprintf("Request %lld could not be revoked after %lld "
	    "attempt(s): %s\nIt is retried automatically in %lld minutes, or "
	    "now with: cabutctl retry %lld", (long long)id, (long long)attempts,
	    why, (long long)(wait / 60), (long long)id);
	if (exec_done(st) == -1 ||
	    audit_state(s, id, "revoking", "failed", "system", why) == -1 ||
	    process_alert(p, "revocation failed", details) == -1)
		goto out;
	ret = 0;
out:
	free(why);
	free(details);
	return ret;
}

/* revoking (not manual, not yet done): call the backend. */
static int
call_backend(struct process_ctx *p, struct ca_backend *ca, int64_t t,
    int *waiting_r)
{
	const struct config	*cfg = p->cfg;
	struct store		*s = p->store;
	struct ca_revocation	 rv;
	struct ca_result	 res;
	struct rv_data		 d;
	sqlite3_stmt		*st;
	enum ca_status		 cs;
	int64_t			*ids = NULL;
	size_t			 n, i;
	char			*err = NULL, *actor = NULL, *how = NULL;
	int			 r, ret = -1;

	if (select_ids(s, "SELECT r.id FROM requests r JOIN revocations v ON"
	    " v.request_id = r.id WHERE r.state = 'revoking' AND v.done IS NULL"
	    " AND v.next_attempt <= ?1 ORDER BY r.id LIMIT 10000", t, &ids,
	    &n) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = rv_load(s, ids[i], &d)) == -1)
			goto out;
		if (r == 1)
			continue;
		memset(&rv, 0, sizeof(rv));
		rv.issuer = d.issuer;
		rv.serial = d.serial;
		rv.reason = d.reason_code;
		rv.invalidity_date = d.invalidity;
		rv.now = t;
		crashpoint("before_revoke");
		cs = ca_revoke(ca, &rv, &res, &err);
		/* A crash here revokes again on restart: the backend answers
		 * "already revoked" and nothing changes twice. */
		crashpoint("after_revoke");
		if (store_begin(s) == -1) {
			rv_clear(&d);
			ca_result_clear(&res);
			goto out;
		}
		if (cs == CA_OK) {
			actor = xasprintf("ca:%s", ca->ops->name);
			how = xasprintf("%s by the %s backend%s%s", res.changed ?
			    "revoked" : "already revoked", ca->ops->name,
			    res.detail ? ", " : "", res.detail ? res.detail : "");
			st = store_prepare(s, "UPDATE revocations SET done = ?2,"
			    " done_by = ?3, revoked_at = ?4, reason_code = ?5,"
			    " detail = ?6, last_error = NULL WHERE request_id = ?1");
			sqlite3_bind_int64(st, 1, ids[i]);
			sqlite3_bind_int64(st, 2, t);
			sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, res.revoked_at ? res.revoked_at : t);
			sqlite3_bind_int(st, 5, res.reason ? res.reason : d.reason_code);
			if (res.detail != NULL)
				sqlite3_bind_text(st, 6, res.detail, -1, SQLITE_STATIC);
			r = exec_done(st);
			if (r == 0 && cfg->ca.verify_crl_url != NULL) {
				/* revoked once the CRL shows it (crl_watch). */
				struct audit_entry e;

				memset(&e, 0, sizeof(e));
				e.request_id = ids[i];
				e.event = "revocation";
				e.actor = actor;
				e.reason = how;
				r = audit_append(s, &e);
			} else if (r == 0)
				r = revoke_done(p, ids[i], actor, how, res.revoked_at,
				    res.reason ? res.reason : -1, NULL) == -1 ? -1 : 0;
		} else {
			r = call_failed(p, ids[i], cs, err ? err : "unknown error", t);
			if (cs == CA_TEMPORARY)
				*waiting_r = 1;
		}
		rv_clear(&d);
		ca_result_clear(&res);
		free(err);
		free(actor);
		free(how);
		err = actor = how = NULL;
		if (r == -1) {
			store_rollback(s);
			goto out;
		}
		if (store_commit(s) == -1)
			goto out;
	}
	ret = 0;
out:
	free(ids);
	return ret;
}

/*
 * The CRL watch: manual (crl_url) and verify_crl_url.
 */
static const char *
watch_url(const struct process_ctx *p, const struct ca_backend *ca)
{
	if (p->cfg->ca.verify_crl_url != NULL)
		return p->cfg->ca.verify_crl_url;
	return ca->ops->manual ? p->cfg->ca.crl_url : NULL;
}

/* Requests whose serial is looked for on the CRL: revoking and waiting
 * for it (manual, or done with verify_crl_url), and revoked ones not
 * seen there yet (for the record, and the grace alert). */
#define WATCHED "SELECT r.id FROM requests r JOIN revocations v ON" \
	" v.request_id = r.id WHERE v.crl_seen IS NULL AND (r.state = 'revoking'" \
	" AND (v.backend = 'manual' OR v.done IS NOT NULL) OR r.state = 'revoked'" \
	" AND v.started > ?1 - 2592000) ORDER BY r.id LIMIT 10000"

/* The CA certificate that issued the request's certificate, from the
 * registry (imported with cabutctl registry import). */
static X509 *
issuer_cert(struct store *s, const char *issuer)
{
	sqlite3_stmt		*st;
	const unsigned char	*der;
	X509			*x = NULL;

	st = store_prepare(s, "SELECT der FROM certificates WHERE subject_dn = ?1"
	    " ORDER BY not_after DESC LIMIT 1");
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		der = sqlite3_column_blob(st, 0);
		x = d2i_X509(NULL, &der, sqlite3_column_bytes(st, 0));
	}
	sqlite3_finalize(st);
	return x;
}

/* Once a day per kind of trouble: the admin is told, the log always. */
static int
alert_daily(struct process_ctx *p, const char *key, const char *what,
    const char *details, int64_t t)
{
	int64_t	 last = 0;
	int	 r;

	if ((r = store_kv_get(p->store, key, &last)) == -1)
		return -1;
	if (r == 0 && t - last < 86400) {
		log_warnx("%s: %s", what, details);
		return 0;
	}
	if (store_kv_set(p->store, key, t) == -1)
		return -1;
	return process_alert(p, what, details);
}

/* alert_daily in a transaction of its own. */
static int
alert_txn(struct process_ctx *p, const char *key, const char *what,
    const char *details, int64_t t)
{
	if (store_begin(p->store) == -1)
		return -1;
	if (alert_daily(p, key, what, details, t) == -1) {
		store_rollback(p->store);
		return -1;
	}
	return store_commit(p->store);
}

/* Fetch the CRL when due. 0 (*data_r owned, NULL when there is no
 * checked CRL yet), -1 store error. */
static int
crl_fetch(struct process_ctx *p, const char *url, int64_t t, int force,
    unsigned char **data_r, size_t *len_r, int *waiting_r)
{
	const struct config	*cfg = p->cfg;
	struct store		*s = p->store;
	struct http_options	 o;
	struct http_request	 rq;
	struct http_response	 rs;
	sqlite3_stmt		*st;
	char			*etag = NULL, *lm = NULL, *err = NULL, *why = NULL;
	int64_t			 next_fetch = 0, failures = 0;
	int			 have = 0, r, ret = -1;

	*data_r = NULL;
	*len_r = 0;
	memset(&rs, 0, sizeof(rs));
	st = store_prepare(s, "SELECT etag, last_modified, next_fetch, failures,"
	    " data FROM crl_watch WHERE url = ?1");
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		have = 1;
		etag = col(st, 0);
		lm = col(st, 1);
		next_fetch = sqlite3_column_int64(st, 2);
		failures = sqlite3_column_int64(st, 3);
		if (sqlite3_column_type(st, 4) == SQLITE_BLOB) {
			*len_r = (size_t)sqlite3_column_bytes(st, 4);
			*data_r = xmalloc(*len_r + 1);
			memcpy(*data_r, sqlite3_column_blob(st, 4), *len_r);
		}
	}
	sqlite3_finalize(st);
	if (have && !force && t < next_fetch) {
		ret = 0;
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.ca_file = cfg->ca.ca_file;
	o.tls_verify = cfg->ca.tls_verify;
	o.timeout = cfg->ca.timeout;
	o.max_size = CRL_MAX_SIZE;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = url;
	if (*data_r != NULL) {
		rq.if_none_match = etag;
		rq.if_modified_since = lm;
	}
	if (http_perform(&o, &rq, &rs, &err) == -1)
		why = xasprintf("CRL %s: %s", url, err);
	else if (rs.status == 304 && *data_r != NULL)
		why = NULL;
	else if (rs.status != 200 || rs.body == NULL)
		why = xasprintf("CRL %s: HTTP status %ld", url, rs.status);
	if (store_begin(s) == -1)
		goto out;
	if (why != NULL) {
		*waiting_r = 1;
		log_warnx("%s", why);
		st = store_prepare(s, "INSERT INTO crl_watch (url, next_fetch,"
		    " failures, last_error) VALUES (?1, ?2, 1, ?3) ON CONFLICT (url)"
		    " DO UPDATE SET next_fetch = ?2, failures = failures + 1,"
		    " last_error = ?3");
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t + retry_wait(failures < 6 ?
		    REVOKE_WAIT_MIN << failures : cfg->ca.crl_poll));
		sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
		r = exec_done(st);
	} else if (rs.status == 304) {
		st = store_prepare(s, "UPDATE crl_watch SET fetched = ?2,"
		    " next_fetch = ?3, failures = 0, last_error = NULL WHERE url = ?1");
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t);
		sqlite3_bind_int64(st, 3, t + cfg->ca.crl_poll);
		r = exec_done(st);
	} else {
		/* Kept as fetched; its signature is checked against each
		 * request's issuer when it is read. */
		free(*data_r);
		*data_r = rs.body;
		*len_r = rs.body_len;
		rs.body = NULL;
		st = store_prepare(s, "INSERT INTO crl_watch (url, etag,"
		    " last_modified, fetched, changed, next_fetch, data) VALUES"
		    " (?1, ?2, ?3, ?4, ?4, ?5, ?6) ON CONFLICT (url) DO UPDATE SET"
		    " etag = ?2, last_modified = ?3, fetched = ?4, changed = ?4,"
		    " next_fetch = ?5, failures = 0, last_error = NULL, data = ?6");
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		if (rs.etag != NULL)
			sqlite3_bind_text(st, 2, rs.etag, -1, SQLITE_STATIC);
		if (rs.last_modified != NULL)
			sqlite3_bind_text(st, 3, rs.last_modified, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, t);
		sqlite3_bind_int64(st, 5, t + cfg->ca.crl_poll);
		sqlite3_bind_blob(st, 6, *data_r, (int)*len_r, SQLITE_STATIC);
		r = exec_done(st);
		log_info("CRL %s fetched: %zu bytes", url, *len_r);
	}
	if (r == -1) {
		store_rollback(s);
		goto out;
	}
	if (store_commit(s) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1) {
		free(*data_r);
		*data_r = NULL;
	}
	http_response_clear(&rs);
	free(etag);
	free(lm);
	free(err);
	free(why);
	return ret;
}

/* Look for each watched serial on the CRL; then the grace alerts. */
static int
crl_watch(struct process_ctx *p, struct ca_backend *ca, int64_t t,
    int *waiting_r)
{
	const struct config	*cfg = p->cfg;
	struct store		*s = p->store;
	const char		*url = watch_url(p, ca);
	struct rv_data		 d;
	struct crl		*crl = NULL;	/* parsed and checked once per issuer */
	char			*crl_issuer = NULL;
	sqlite3_stmt		*st;
	unsigned char		*data = NULL;
	size_t			 len = 0, n = 0, i;
	int64_t			*ids = NULL, revoked_at, started;
	X509			*issuer;
	char			*err = NULL, *details = NULL, *actor = NULL;
	int			 reason, on, r, ret = -1;

	if (url == NULL)
		return 0;
	if (select_ids(s, WATCHED, t, &ids, &n) == -1)
		return -1;
	if (n == 0) {
		free(ids);
		return 0;
	}
	if (crl_fetch(p, url, t, 0, &data, &len, waiting_r) == -1)
		goto out;
	for (i = 0; i < n && data != NULL; i++) {
		if ((r = rv_load(s, ids[i], &d)) == -1)
			goto out;
		if (r == 1)
			continue;
		if (crl != NULL && strcmp(crl_issuer, d.issuer) == 0)
			goto lookup;
		crl_free(&crl);
		free(crl_issuer);
		crl_issuer = NULL;
		if ((issuer = issuer_cert(s, d.issuer)) == NULL) {
			details = xasprintf("The CRL at %s cannot be checked: the "
			    "certificate of its issuer (%s) is not in the registry. "
			    "Import it with: cabutctl registry import CA.pem", url,
			    d.issuer);
			r = alert_txn(p, "alert.crl_issuer", "CRL not checked",
			    details, t);
			free(details);
			details = NULL;
			rv_clear(&d);
			if (r)
				goto out;
			continue;
		}
		crl = crl_load(data, len, issuer, &err);
		X509_free(issuer);
		if (crl == NULL) {
			details = xasprintf("The CRL at %s is not valid: %s", url, err);
			free(err);
			err = NULL;
			r = alert_txn(p, "alert.crl_invalid", "CRL not valid",
			    details, t);
			free(details);
			details = NULL;
			rv_clear(&d);
			if (r)
				goto out;
			break;
		}
		crl_issuer = xstrdup(d.issuer);
lookup:
		on = crl_lookup(crl, d.serial, &revoked_at, &reason);
		if (!on) {
			rv_clear(&d);
			continue;
		}
		if (store_begin(s) == -1) {
			rv_clear(&d);
			goto out;
		}
		st = store_prepare(s, "UPDATE revocations SET crl_seen = ?2 WHERE"
		    " request_id = ?1");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, t);
		r = exec_done(st);
		if (r == 0 && strcmp(d.state, "revoking") == 0) {
			actor = xstrdup("crl");
			r = revoke_done(p, ids[i], actor, d.backend &&
			    strcmp(d.backend, "manual") == 0 ?
			    "the serial appeared on the CA's CRL" :
			    "confirmed on the CRL", revoked_at,
			    d.backend && strcmp(d.backend, "manual") == 0 &&
			    reason >= 0 ? reason : -1, url) == -1 ? -1 : 0;
			free(actor);
			actor = NULL;
		} else if (r == 0) {
			struct audit_entry e;

			memset(&e, 0, sizeof(e));
			e.request_id = ids[i];
			e.event = "crl-seen";
			e.actor = "crl";
			e.reason = url;
			r = audit_append(s, &e);
		}
		rv_clear(&d);
		if (r == -1) {
			store_rollback(s);
			goto out;
		}
		if (store_commit(s) == -1)
			goto out;
		log_info("request %lld: serial seen on the CRL", (long long)ids[i]);
	}
	/* Not on the CRL after crl_grace: the admin must look. */
	free(ids);
	ids = NULL;
	if (select_ids(s, WATCHED, t, &ids, &n) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		st = store_prepare(s, "SELECT started FROM revocations WHERE"
		    " request_id = ?1 AND grace_alerted IS NULL");
		sqlite3_bind_int64(st, 1, ids[i]);
		started = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
		if (started < 0 || t < started + cfg->ca.crl_grace)
			continue;
		if (rv_load(s, ids[i], &d) != 0)
			continue;
		details = xasprintf("Request %lld: certificate %s (%s) is not on "
		    "the CRL at %s although it was handed over for revocation at "
		    "%lld (state %s). Check the CA's application and the CRL.",
		    (long long)ids[i], d.serial, d.dn ? d.dn : "-", url,
		    (long long)started, d.state);
		rv_clear(&d);
		if (store_begin(s) == -1)
			goto out;
		st = store_prepare(s, "UPDATE revocations SET grace_alerted = ?2"
		    " WHERE request_id = ?1");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, t);
		r = exec_done(st) == -1 || process_alert(p,
		    "certificate not on the CRL after crl_grace", details) == -1;
		free(details);
		details = NULL;
		if (r) {
			store_rollback(s);
			goto out;
		}
		if (store_commit(s) == -1)
			goto out;
	}
	ret = 0;
out:
	free(ids);
	free(data);
	crl_free(&crl);
	free(crl_issuer);
	free(err);
	return ret;
}

/* The backend's housekeeping (local: the CRL before its nextUpdate). */
static int
tick(struct process_ctx *p, struct ca_backend *ca, int64_t t, int *waiting_r)
{
	char	*err = NULL, *details;
	int	 r = 0;

	if (ca_tick(ca, t, &err) != CA_OK) {
		*waiting_r = 1;
		details = xasprintf("The %s CA could not do its periodic work "
		    "(issuing the CRL before its nextUpdate): %s", ca->ops->name,
		    err ? err : "unknown error");
		r = alert_txn(p, "alert.ca_tick", "CRL not issued", details, t);
		free(details);
	}
	free(err);
	return r;
}

int
revoke_run(struct process_ctx *p, struct ca_backend *ca, int64_t t,
    char **waiting_r)
{
	int	waiting = 0;

	*waiting_r = NULL;
	if (start_approved(p, ca, t) == -1 || retry_failed(p, t) == -1)
		return -1;
	if (!ca->ops->manual && call_backend(p, ca, t, &waiting) == -1)
		return -1;
	if (crl_watch(p, ca, t, &waiting) == -1 || tick(p, ca, t, &waiting) == -1)
		return -1;
	if (waiting)
		*waiting_r = xasprintf("revocation: the %s CA or its CRL is not "
		    "reachable; retried later", ca->ops->name);
	return 0;
}
