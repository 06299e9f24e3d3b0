/* Acting on a classified mail (see process.h). */
#include "autoconf.h"
#include "process.h"
#include "workflow.h"
#include "request.h"
#include "registry.h"
#include "authres.h"
#include "reply.h"
#include "template.h"
#include "outbox.h"
#include "audit.h"
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>
#include <openssl/evp.h>

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/cabut"
#endif

/* The variables each answer may use. */
#define BASE_VARS "id", "name", "serial", "subject_dn", "reason", "subject", "requester"
static const char *const received_vars[] = { BASE_VARS, "authenticated_by", NULL };
static const char *const invalid_vars[] = { BASE_VARS, "problems", NULL };
static const char *const confirm_vars[] = { BASE_VARS, "expires", NULL };
static const char *const joined_vars[] = { BASE_VARS, "joined_to", NULL };
static const char *const generic_vars[] = { BASE_VARS, NULL };
static const char *const alert_vars[] = { "what", "details", NULL };
static const struct template_spec answer_specs[] = {
	{ "received", received_vars },
	{ "invalid", invalid_vars },
	{ "confirm", confirm_vars },
	{ "joined", joined_vars },
	{ "generic", generic_vars },
	{ "alert", alert_vars },
};

int
process_check_templates(const struct process_ctx *p, char **error_r)
{
	return template_check(p->cfg->daemon.templates_dir, p->installed_templates,
	    config_language_name(p->cfg->daemon.language), answer_specs,
	    sizeof(answer_specs) / sizeof(answer_specs[0]), error_r);
}

int
process_init(struct process_ctx *p, const struct config *cfg, struct store *s,
    char **error_r)
{
	magic_t	 m;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->store = s;
	p->installed_templates = PKGDATADIR "/mailtemplates";
	if ((m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_NO_CHECK_ELF)) == NULL || magic_load(m, NULL) == -1) {
		*error_r = xasprintf("libmagic: %s", m ? magic_error(m) : "cannot open");
		if (m != NULL)
			magic_close(m);
		return -1;
	}
	p->magic = m;
	if (token_key_load(cfg->op.token_key_file, &p->key, error_r) == -1) {
		magic_close(m);
		p->magic = NULL;
		return -1;
	}
	p->have_key = 1;
	if (process_check_templates(p, error_r) == -1) {
		process_free(p);
		return -1;
	}
	return 0;
}

void
process_free(struct process_ctx *p)
{
	if (p->magic != NULL)
		magic_close(p->magic);
	token_key_wipe(&p->key);
	memset(p, 0, sizeof(*p));
}

static const char *
lang(const struct process_ctx *p)
{
	return config_language_name(p->cfg->daemon.language);
}

/* The domain of an address, or "". */
static const char *
domain_of(const char *addr)
{
	const char	*at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : "";
}

static int
exec_int(struct store *s, sqlite3_stmt *st, int64_t *v)
{
	int	 rc = sqlite3_step(st);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("process: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int
sender_known(struct store *s, const char *sender, int64_t *known)
{
	sqlite3_stmt	*st = store_prepare(s, "SELECT count(*) FROM certificates"
	    " WHERE email = lower(?1)");

	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	return exec_int(s, st, known);
}

static int
open_authenticated(struct store *s, const char *issuer, const char *serial,
    int64_t *id)
{
	sqlite3_stmt	*st = store_prepare(s, "SELECT id FROM requests WHERE"
	    " issuer = ?1 AND serial = ?2 AND joined_to IS NULL AND state IN"
	    " ('pending_approval', 'approved', 'revoking', 'failed')"
	    " ORDER BY id LIMIT 1");

	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	return exec_int(s, st, id);
}

void
process_request_digest(struct store *s, int64_t request_id, unsigned char out[32])
{
	sqlite3_stmt	*st;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	const char	*v;
	char		 num[32];
	int		 i, n;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		fatalx("process: SHA-256");
	n = snprintf(num, sizeof(num), "%lld", (long long)request_id);
	EVP_DigestUpdate(md, num, (size_t)n + 1);
	/* What the mails show, and what joining changes (data_version). */
	st = store_prepare(s, "SELECT serial, issuer, subject_dn, reason, requester,"
	    " invalidity_date, data_version FROM requests WHERE id = ?1");
	sqlite3_bind_int64(st, 1, request_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < 7; i++) {
			v = store_col_text(st, i);
			EVP_DigestUpdate(md, v ? v : "", v ? strlen(v) + 1 : 1);
		}
	sqlite3_finalize(st);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

static int
set_step(struct store *s, int64_t id, int step, int64_t started, int64_t ended,
    const char *actor)
{
	sqlite3_stmt	*st = store_prepare(s, "INSERT INTO request_steps (request_id,"
	    " step, started, ended, actor) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (request_id, step) DO UPDATE SET"
	    " started = coalesce(started, excluded.started),"
	    " ended = coalesce(excluded.ended, ended),"
	    " actor = coalesce(excluded.actor, actor)");
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, step);
	if (started != 0)
		sqlite3_bind_int64(st, 3, started);
	if (ended != 0)
		sqlite3_bind_int64(st, 4, ended);
	if (actor != NULL)
		sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static char *
mask_nik(const char *nik)
{
	size_t	 n = strlen(nik), i;
	char	*m = xstrdup(nik);

	for (i = 4; i < n; i++)
		if (isdigit((unsigned char)m[i]))
			m[i] = '*';
	return m;
}

/* The answer to the applicant, threaded on their mail. */
static int
queue_answer(struct process_ctx *p, const struct message *m, int64_t request_id,
    const char *tname, const char *kind, const char *to,
    const struct template_var *vars, size_t nvars, const char *token)
{
	struct outmail	 om;
	char		*subject = NULL, *body = NULL, *err = NULL, *refs = NULL;
	int		 ret = -1;

	/* A mail that cannot be written is logged and left out: the change
	 * it belongs to still happens, or the message would come back
	 * forever. Only a store error undoes the transaction. */
	if (template_render(p->cfg->daemon.templates_dir, p->installed_templates,
	    lang(p), tname, vars, nvars, &subject, &body, &err) == -1) {
		log_warnx("template %s: %s; the %s mail to %s is not sent", tname,
		    err, kind, to);
		ret = 0;
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.request_id = request_id;
	om.kind = kind;
	om.to = to;
	om.subject = subject;
	om.body = body;
	om.answer = 1;
	om.token = token;
	om.reply_to_token = token != NULL;
	if (m->message_id != NULL) {
		om.in_reply_to = m->message_id;
		refs = m->references ? xasprintf("%s %s", m->references, m->message_id) :
		    xstrdup(m->message_id);
		om.references = refs;
	}
	ret = outbox_queue(p->store, p->cfg, &om, NULL) == -1 ? -1 : 0;
out:
	free(subject);
	free(body);
	free(err);
	free(refs);
	return ret;
}

/* The list of problems, one paragraph each, for the "invalid" answer. */
static char *
problems_text(unsigned int problems, const char *lg)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < PROBLEM_COUNT; i++)
		if (problems & (1U << i))
			buf_printf(&b, "%s- %s\n", b.len ? "\n" : "",
			    request_problem_text((enum request_problem)i, lg));
	return buf_steal(&b);
}

static int
add_letters(struct process_ctx *p, const struct message *m,
    const struct request_check *chk, int64_t request_id, int64_t message_id)
{
	const struct message_attachment	*a;
	size_t				 i;

	for (i = 0; i < chk->nletters; i++) {
		a = &m->attachments[chk->letters[i].attachment];
		if (store_evidence_add(p->store, request_id, message_id, "letter",
		    a->filename, chk->letters[i].type, a->data, a->size, 1, NULL,
		    NULL) == -1)
			return -1;
	}
	return 0;
}

static int
link_message(struct store *s, int64_t message_id, int64_t request_id)
{
	sqlite3_stmt	*st = store_prepare(s, "UPDATE messages SET request_id = ?2"
	    " WHERE id = ?1");
	int		 rc;

	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_int64(st, 2, request_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = store_prepare(s, "UPDATE evidence SET request_id = ?2 WHERE"
	    " message_id = ?1 AND request_id IS NULL");
	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_int64(st, 2, request_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
handle_request(struct process_ctx *p, const struct message *m, int64_t message_id)
{
	const struct config	*cfg = p->cfg;
	struct store		*s = p->store;
	struct request_fields	 f;
	struct request_check	 chk;
	struct request_limits	 lim;
	struct registry_cert	 cert;
	struct wf_request_in	 in;
	struct wf_request_out	 out;
	struct template_var	 vars[8];
	sqlite3_stmt		*st;
	const char		*sender = m->from.addr, *tname;
	char			*own = NULL, *nik = NULL, *problems = NULL, *kind = NULL;
	char			 idbuf[24], joinbuf[24], expires[21], *checktext = NULL;
	char			 token[TOKEN_MAX_LEN + 1];
	unsigned char		 digest[32];
	int64_t			 t = (int64_t)now(), known = 0, id = 0;
	int			 found, rc, ret = -1;
	size_t			 nv = 0;

	memset(&f, 0, sizeof(f));
	memset(&chk, 0, sizeof(chk));
	memset(&cert, 0, sizeof(cert));
	/* Only the mail's own text: not what it quotes. */
	own = reply_own_text(m->text);
	request_fields_parse(own, &f);
	found = registry_find(s, f.serial_valid ? f.serial : NULL,
	    f.serial_valid ? NULL : f.dn, sender, &cert);
	if (found == -1)
		goto out;
	lim.allowed_types = (const char *const *)cfg->request.allowed_types;
	lim.nallowed_types = cfg->request.nallowed_types;
	lim.max_attachment_size = cfg->request.max_attachment_size;
	request_check(&f, m, found == 0 ? &cert : NULL, sender, &lim, p->magic,
	    (time_t)t, &chk);

	memset(&in, 0, sizeof(in));
	in.problems = chk.problems;
	if (sender_known(s, sender, &known) == -1)
		goto out;
	in.sender_known = known > 0;
	in.dmarc_pass = authres_dmarc(m, cfg->request.trusted_authserv_id,
	    domain_of(sender)) == DMARC_PASS;
	in.confirm = cfg->request.confirm_requester;
	if (chk.problems == 0 && open_authenticated(s, cert.issuer, cert.serial,
	    &in.open_authenticated) == -1)
		goto out;
	in.answers_last_hour = outbox_answers_last_hour(s, sender, t);
	in.answers_per_hour = cfg->request.answers_per_sender_hour;
	kind = xasprintf("invalid-%x", chk.problems);
	in.same_error_today = outbox_sent_today(s, sender, kind, t);
	in.generic_today = outbox_sent_today(s, sender, "generic", t);
	workflow_request(&in, &out);

	if (out.joined_to != 0) {
		struct audit_entry	 e;

		id = out.joined_to;
		memset(&e, 0, sizeof(e));
		e.request_id = id;
		e.event = "joined";
		e.actor = "system";
		e.reason = sender;
		if (link_message(s, message_id, id) == -1 ||
		    add_letters(p, m, &chk, id, message_id) == -1 ||
		    audit_append(s, &e) == -1)
			goto out;
		st = store_prepare(s, "UPDATE requests SET updated = ?2,"
		    " data_version = data_version + 1 WHERE id = ?1");
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, t);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto out;
	} else {
		if (f.nik != NULL)
			nik = mask_nik(f.nik);
		st = store_prepare(s, "INSERT INTO requests (state, serial, issuer,"
		    " subject_dn, reason, reason_code, invalidity_date, requester,"
		    " username, name, nik_masked, authenticated_by, message_id,"
		    " created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		    " ?10, ?11, ?12, ?13, ?14, ?14)");
		sqlite3_bind_text(st, 1, out.state, -1, SQLITE_STATIC);
		if (found == 0 && chk.problems == 0) {
			sqlite3_bind_text(st, 2, cert.serial, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, cert.issuer, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, cert.subject_dn, -1, SQLITE_STATIC);
		} else {
			/* As the applicant wrote them: nothing from the registry. */
			if (f.serial != NULL)
				sqlite3_bind_text(st, 2, f.serial, -1, SQLITE_STATIC);
			if (f.subject_dn != NULL)
				sqlite3_bind_text(st, 4, f.subject_dn, -1, SQLITE_STATIC);
		}
		if (f.reason != REASON_NONE) {
			sqlite3_bind_text(st, 5, request_reason_name(f.reason), -1,
			    SQLITE_STATIC);
			sqlite3_bind_int(st, 6, chk.reason_code);
		}
		if (f.reason == REASON_KEHILANGAN && chk.invalidity_date != 0)
			sqlite3_bind_int64(st, 7, chk.invalidity_date);
		sqlite3_bind_text(st, 8, sender, -1, SQLITE_STATIC);
		if (f.username != NULL)
			sqlite3_bind_text(st, 9, f.username, -1, SQLITE_STATIC);
		if (f.name != NULL)
			sqlite3_bind_text(st, 10, f.name, -1, SQLITE_STATIC);
		if (nik != NULL)
			sqlite3_bind_text(st, 11, nik, -1, SQLITE_STATIC);
		if (out.authenticated_by != NULL)
			sqlite3_bind_text(st, 12, out.authenticated_by, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, message_id);
		sqlite3_bind_int64(st, 14, t);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			log_warnx("process: request: %s", sqlite3_errmsg(s->db));
			goto out;
		}
		id = sqlite3_last_insert_rowid(s->db);
		problems = problems_text(chk.problems, "en");
		checktext = xasprintf("checks (SOP step 5): %s\n%s",
		    chk.problems ? "problems found" : "passed", problems);
		if (link_message(s, message_id, id) == -1 ||
		    add_letters(p, m, &chk, id, message_id) == -1 ||
		    store_evidence_add(s, id, message_id, "check", NULL, "text/plain",
		    checktext, strlen(checktext), 1, NULL, NULL) == -1 ||
		    audit_state(s, id, NULL, out.state, "system", out.why) == -1)
			goto out;
		/* SOP 2 (authentication), 3 (reason), 4 (letter), 5 (checks). */
		if (set_step(s, id, 2, t, strcmp(out.state, "pending_approval") == 0 ?
		    t : 0, out.authenticated_by ? "system" : NULL) == -1 ||
		    set_step(s, id, 3, t, t, "pemohon") == -1 ||
		    set_step(s, id, 4, t, t, "pemohon") == -1 ||
		    set_step(s, id, 5, t, chk.problems ? t : 0, "system") == -1)
			goto out;
		free(problems);
		problems = NULL;
	}

	if ((tname = workflow_answer_template(out.answer)) == NULL) {
		ret = 0;
		goto out;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(joinbuf, sizeof(joinbuf), "%lld", (long long)out.joined_to);
	vars[nv++] = (struct template_var){ "id", idbuf, 0 };
	vars[nv++] = (struct template_var){ "name", f.name ? f.name : sender, 0 };
	vars[nv++] = (struct template_var){ "serial", found == 0 ? cert.serial : f.serial, 0 };
	vars[nv++] = (struct template_var){ "subject_dn", found == 0 ? cert.subject_dn : f.subject_dn, 0 };
	vars[nv++] = (struct template_var){ "reason", f.reason_raw, 0 };
	vars[nv++] = (struct template_var){ "subject", m->subject ? m->subject : "", 0 };
	vars[nv++] = (struct template_var){ "requester", sender, 0 };
	switch (out.answer) {
	case ANSWER_INVALID:
		problems = problems_text(chk.problems, lang(p));
		vars[nv++] = (struct template_var){ "problems", problems, 1 };
		ret = queue_answer(p, m, id, tname, kind, sender, vars, nv, NULL);
		break;
	case ANSWER_GENERIC:
		ret = queue_answer(p, m, id, tname, "generic", sender, vars, nv, NULL);
		break;
	case ANSWER_JOINED:
		vars[nv++] = (struct template_var){ "joined_to", joinbuf, 0 };
		ret = queue_answer(p, m, id, tname, "joined", sender, vars, nv, NULL);
		break;
	case ANSWER_CONFIRM:
		/* To the registered address, which the checks made the sender. */
		time_rfc3339((time_t)(t + cfg->op.expire_after), expires);
		vars[nv++] = (struct template_var){ "expires", expires, 0 };
		process_request_digest(s, id, digest);
		token_make(&p->key, TOKEN_CONFIRMATION, (uint32_t)id, cert.email,
		    t + cfg->op.expire_after, digest, token);
		ret = queue_answer(p, m, id, tname, "confirm", cert.email, vars, nv,
		    token);
		break;
	default:
		vars[nv++] = (struct template_var){ "authenticated_by", out.authenticated_by, 0 };
		ret = queue_answer(p, m, id, tname, "received", sender, vars, nv, NULL);
		break;
	}
out:
	request_fields_clear(&f);
	request_check_clear(&chk);
	registry_cert_clear(&cert);
	free(own);
	free(nik);
	free(problems);
	free(kind);
	free(checktext);
	return ret;
}

/* A reply with a confirmation token: KONFIRMASI / CONFIRM from the
 * certificate's registered address moves the request on. */
static int
handle_confirmation(struct process_ctx *p, const struct message *m,
    int64_t message_id, const struct token_claims *c, char **quarantine_r)
{
	struct store		*s = p->store;
	struct template_var	 vars[8];
	sqlite3_stmt		*st;
	enum reply_word		 w;
	char			*own, *rest = NULL, idbuf[24], *serial = NULL, *dn = NULL;
	char			*reason = NULL, *state = NULL;
	int64_t			 t = (int64_t)now(), id = c->request_id;
	int			 rc, ret = -1;
	size_t			 nv = 0;

	st = store_prepare(s, "SELECT state, serial, subject_dn, reason FROM requests"
	    " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = xstrdup(store_col_text(st, 0));
		serial = store_col_text(st, 1) ? xstrdup(store_col_text(st, 1)) : NULL;
		dn = store_col_text(st, 2) ? xstrdup(store_col_text(st, 2)) : NULL;
		reason = store_col_text(st, 3) ? xstrdup(store_col_text(st, 3)) : NULL;
	}
	sqlite3_finalize(st);
	if (state == NULL) {
		*quarantine_r = xstrdup("confirmation for an unknown request");
		ret = 0;
		goto out;
	}
	if (link_message(s, message_id, id) == -1)
		goto out;
	if (strcmp(state, "awaiting_confirmation") != 0) {
		/* Already confirmed, or expired: nothing changes. */
		ret = 0;
		goto out;
	}
	own = reply_own_text(m->text);
	w = reply_decision(own, &rest);
	free(own);
	if (w != REPLY_CONFIRM) {
		*quarantine_r = xasprintf("confirmation reply not understood (first "
		    "word is not KONFIRMASI or CONFIRM)");
		ret = 0;
		goto out;
	}
	st = store_prepare(s, "UPDATE requests SET state = 'pending_approval',"
	    " authenticated_by = 'confirmation', updated = ?2 WHERE id = ?1"
	    " AND state = 'awaiting_confirmation'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE ||
	    audit_state(s, id, "awaiting_confirmation", "pending_approval",
	    m->from.addr, "confirmed by the certificate's registered address") == -1 ||
	    set_step(s, id, 2, 0, t, m->from.addr) == -1)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	vars[nv++] = (struct template_var){ "id", idbuf, 0 };
	vars[nv++] = (struct template_var){ "name", m->from.addr, 0 };
	vars[nv++] = (struct template_var){ "serial", serial, 0 };
	vars[nv++] = (struct template_var){ "subject_dn", dn, 0 };
	vars[nv++] = (struct template_var){ "reason", reason, 0 };
	vars[nv++] = (struct template_var){ "authenticated_by", "confirmation", 0 };
	ret = queue_answer(p, m, id, "received", "received", m->from.addr, vars,
	    nv, NULL);
out:
	free(rest);
	free(state);
	free(serial);
	free(dn);
	free(reason);
	return ret;
}

static int
handle_reply(struct process_ctx *p, const struct message *m, int64_t message_id,
    const struct classification *c, char **quarantine_r)
{
	struct token_claims	 claims;
	enum token_status	 st;
	unsigned char		 digest[32];

	if (c->ntokens > 1) {
		*quarantine_r = xstrdup("more than one cabut token in one mail");
		return 0;
	}
	if (token_decode(c->tokens[0], &claims) == -1) {
		*quarantine_r = xstrdup("malformed token");
		return 0;
	}
	process_request_digest(p->store, claims.request_id, digest);
	st = token_verify(&p->key, c->tokens[0], claims.purpose, m->from.addr,
	    digest, (int64_t)now(), &claims);
	if (st != TOKEN_VALID) {
		*quarantine_r = xasprintf("reply refused: %s", token_status_text(st));
		return 0;
	}
	switch (claims.purpose) {
	case TOKEN_CONFIRMATION:
		return handle_confirmation(p, m, message_id, &claims, quarantine_r);
	case TOKEN_APPROVAL:
	case TOKEN_MANUAL_REVOCATION:
	default:
		*quarantine_r = xstrdup("reply with a token of a purpose this "
		    "version does not act on yet");
		return 0;
	}
}

int
process_message(struct process_ctx *p, const struct message *m, int64_t message_id,
    const struct classification *c, const char **kind_r, char **quarantine_r)
{
	*quarantine_r = NULL;
	switch (c->cls) {
	case CLASS_REQUEST:
		return handle_request(p, m, message_id);
	case CLASS_REPLY:
		if (handle_reply(p, m, message_id, c, quarantine_r) == -1)
			return -1;
		if (*quarantine_r != NULL)
			*kind_r = "quarantined";
		return 0;
	case CLASS_AUTOMATIC:
	default:
		return 0;
	}
}

int
process_alert(struct process_ctx *p, const char *what, const char *details)
{
	struct template_var	 vars[2] = {
		{ "what", what, 0 }, { "details", details, 1 },
	};
	struct outmail		 om;
	char			*subject = NULL, *body = NULL, *err = NULL;
	int			 ret = 0;

	log_warnx("alert: %s: %s", what, details);
	if (p->cfg->daemon.admin_address == NULL)
		return 0;
	if (template_render(p->cfg->daemon.templates_dir, p->installed_templates,
	    lang(p), "alert", vars, 2, &subject, &body, &err) == -1) {
		log_warnx("template alert: %s", err);
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.kind = "alert";
	om.to = p->cfg->daemon.admin_address;
	om.subject = subject;
	om.body = body;
	ret = outbox_queue(p->store, p->cfg, &om, NULL) == -1 ? -1 : 0;
out:
	free(subject);
	free(body);
	free(err);
	return ret;
}

int
process_timers(struct process_ctx *p, int64_t t)
{
	sqlite3_stmt	*st;
	int64_t		*ids = NULL;
	size_t		 n = 0, cap = 0, i;
	int		 rc, ret = -1;

	st = store_prepare(p->store, "SELECT id FROM requests WHERE state ="
	    " 'awaiting_confirmation' AND created <= ?1 LIMIT 10000");
	sqlite3_bind_int64(st, 1, t - p->cfg->op.expire_after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	for (i = 0; i < n; i++) {
		if (store_begin(p->store) == -1)
			goto out;
		st = store_prepare(p->store, "UPDATE requests SET state = 'expired',"
		    " updated = ?2 WHERE id = ?1 AND state = 'awaiting_confirmation'");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, t);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE || audit_state(p->store, ids[i],
		    "awaiting_confirmation", "expired", "system",
		    "not confirmed within expire_after") == -1) {
			store_rollback(p->store);
			goto out;
		}
		if (store_commit(p->store) == -1)
			goto out;
		log_info("request %lld expired: not confirmed", (long long)ids[i]);
	}
	ret = 0;
out:
	free(ids);
	return ret;
}
