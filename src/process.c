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
#include "smime.h"
#include "revoke.h"
#include "audit.h"
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
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
static const char *const approval_vars[] = { "id", "requester", "name", "nik",
	"reason", "invalidity_date", "authenticated_by", "entered_by",
	"serial_claimed", "serial", "dn_claimed", "dn", "username_claimed",
	"username", "mismatches", "letters", "expires", NULL };
static const char *const outcome_vars[] = { "id", "serial", "decided_by",
	"reason_text", NULL };
static const char *const decided_vars[] = { "id", "state", "decided_by",
	"decided_at", "decision", NULL };
static const char *const nu_vars[] = { "id", "how", NULL };
static const char *const manual_vars[] = { "id", "serial", "subject_dn",
	"username", "reason", "crl_reason", "invalidity_date", "requester",
	"crl_url", "expires", NULL };
static const char *const revoked_vars[] = { "id", "serial", "subject_dn",
	"reason", "crl_reason", "revoked_at", "invalidity_date", "crl_url", NULL };
static const struct template_spec answer_specs[] = {
	{ "received", received_vars },
	{ "invalid", invalid_vars },
	{ "confirm", confirm_vars },
	{ "joined", joined_vars },
	{ "generic", generic_vars },
	{ "alert", alert_vars },
	{ "approval", approval_vars },
	{ "rejected", outcome_vars },
	{ "returned", outcome_vars },
	{ "expired", outcome_vars },
	{ "decided", decided_vars },
	{ "not-understood", nu_vars },
	{ "manual", manual_vars },
	{ "revoked", revoked_vars },
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

int
process_step(struct store *s, int64_t id, int step, int64_t started, int64_t ended,
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

/* No line of cabut's own mail may read as a decision when a reply quotes
 * it without quote marks: such a line gets "- " before it. Owned result. */
static char *
defuse_decisions(const char *body)
{
	const char	*line = body, *nl;
	struct buf	 b;
	size_t		 n;

	buf_init(&b, 8 * strlen(body) + 64);
	while (*line != '\0') {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (reply_line_decides(line))
			buf_addstr(&b, "- ");
		buf_add(&b, line, n);
		line += n;
	}
	return buf_steal(&b);
}

/* Write mail tname of daemon.language: every mail cabut sends goes
 * through here, so none has a line that reads as a decision. 0, or -1
 * with *error_r (the template is missing or wrong). */
int
process_render(struct process_ctx *p, const char *tname,
    const struct template_var *vars, size_t nvars, char **subject_r,
    char **body_r, char **error_r)
{
	char	*body = NULL;

	if (template_render(p->cfg->daemon.templates_dir, p->installed_templates,
	    lang(p), tname, vars, nvars, subject_r, &body, error_r) == -1)
		return -1;
	*body_r = defuse_decisions(body);
	free(body);
	return 0;
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
	if (process_render(p, tname, vars, nvars, &subject, &body, &err) == -1) {
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

static const char *
or_none(const char *v, const char *lg)
{
	return v != NULL && *v != '\0' ? v : strcmp(lg, "id") == 0 ? "(tidak ada)" :
	    "(none)";
}

static char *
colstr(sqlite3_stmt *st, int i)
{
	const char	*t = store_col_text(st, i);

	return t ? xstrdup(t) : NULL;
}

struct approval_data {
	char	*requester, *name, *nik, *reason, *auth, *entered, *serial, *issuer;
	char	*dn, *claimed_serial, *claimed_dn, *claimed_username, *username;
	char	*state;
	int64_t	 invalidity, created;
};

static void
approval_data_clear(struct approval_data *a)
{
	free(a->requester); free(a->name); free(a->nik); free(a->reason);
	free(a->auth); free(a->entered); free(a->serial); free(a->issuer);
	free(a->dn); free(a->claimed_serial); free(a->claimed_dn);
	free(a->claimed_username); free(a->username); free(a->state);
	memset(a, 0, sizeof(*a));
}

static int
approval_data_load(struct store *s, int64_t id, struct approval_data *a)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(a, 0, sizeof(*a));
	st = store_prepare(s, "SELECT r.requester, r.name, r.nik_masked, r.reason,"
	    " r.authenticated_by, r.entered_by, r.serial, r.issuer, r.subject_dn,"
	    " r.claimed_serial, r.claimed_dn, r.username, c.username, r.state,"
	    " coalesce(r.invalidity_date, 0), r.created FROM requests r"
	    " LEFT JOIN certificates c ON c.issuer = r.issuer AND c.serial = r.serial"
	    " WHERE r.id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a->requester = colstr(st, 0);
		a->name = colstr(st, 1);
		a->nik = colstr(st, 2);
		a->reason = colstr(st, 3);
		a->auth = colstr(st, 4);
		a->entered = colstr(st, 5);
		a->serial = colstr(st, 6);
		a->issuer = colstr(st, 7);
		a->dn = colstr(st, 8);
		a->claimed_serial = colstr(st, 9);
		a->claimed_dn = colstr(st, 10);
		a->claimed_username = colstr(st, 11);
		a->username = colstr(st, 12);
		a->state = colstr(st, 13);
		a->invalidity = sqlite3_column_int64(st, 14);
		a->created = sqlite3_column_int64(st, 15);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The differences between what the applicant wrote and the registry. */
static char *
mismatches_text(const struct approval_data *a, const char *lg)
{
	int		 id = strcmp(lg, "id") == 0;
	struct buf	 b;
	X509_NAME	*x, *y;

	buf_init(&b, 8192);
	if (a->claimed_serial != NULL && a->serial != NULL &&
	    strcasecmp(a->claimed_serial, a->serial) != 0)
		buf_printf(&b, "  !! %s\n", id ? "nomor seri berbeda" : "serial differs");
	if (a->claimed_dn != NULL && a->dn != NULL) {
		x = request_dn_parse(a->claimed_dn);
		y = request_dn_parse(a->dn);
		if (x == NULL || y == NULL || !request_dn_match(x, y))
			buf_printf(&b, "  !! %s\n", id ? "Subject DN berbeda" :
			    "Subject DN differs");
		X509_NAME_free(x);
		X509_NAME_free(y);
	}
	if (a->claimed_username != NULL && (a->username == NULL ||
	    strcasecmp(a->claimed_username, a->username) != 0))
		buf_printf(&b, "  !! %s\n", id ? "username berbeda" :
		    "username differs");
	if (b.len == 0)
		buf_addstr(&b, id ? "  (tidak ada)" : "  (none)");
	return buf_steal(&b);
}

int
process_is_op(const struct config *cfg, const char *addr)
{
	size_t	 i;

	for (i = 0; addr != NULL && i < cfg->op.naddresses; i++)
		if (strcasecmp(cfg->op.addresses[i], addr) == 0)
			return 1;
	return 0;
}

static int	approval_mails(struct process_ctx *, int64_t, const char *);

static int
op_decided(struct store *s, int64_t id, const char *op)
{
	sqlite3_stmt	*st = store_prepare(s, "SELECT count(*) FROM approvals"
	    " WHERE request_id = ?1 AND op = 'op:' || lower(?2)");
	int64_t		 n = 0;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	exec_int(s, st, &n);
	return n > 0;
}

static int
send_approval_mails(struct process_ctx *p, int64_t id)
{
	return approval_mails(p, id, "approval");
}

/* Approval mails (kind "approval"), or reminders ("reminder": only to
 * the OPs who have not decided). */
static int
approval_mails(struct process_ctx *p, int64_t id, const char *kind)
{
	const struct config	*cfg = p->cfg;
	const char		*lg = lang(p);
	struct approval_data	 a;
	struct template_var	 vars[20];
	struct outmail_part	 parts[16];
	struct outmail		 om;
	sqlite3_stmt		*st;
	unsigned char		 digest[32];
	char			 idbuf[24], exp[21], inv[21], nletters[8];
	char			 token[TOKEN_MAX_LEN + 1], *mism = NULL;
	char			*subject = NULL, *body = NULL, *err = NULL;
	char			*names[16], *types[16];
	unsigned char		*datas[16];
	size_t			 nv = 0, np = 0, i;
	int64_t			 t = (int64_t)now();
	int			 rc, ret = -1;

	memset(names, 0, sizeof(names));
	memset(types, 0, sizeof(types));
	memset(datas, 0, sizeof(datas));
	if (approval_data_load(p->store, id, &a) == -1)
		return -1;
	/* Joined to a request already decided: nothing left to approve. */
	if (strcmp(a.state, "pending_approval") != 0) {
		approval_data_clear(&a);
		return 0;
	}
	st = store_prepare(p->store, "SELECT name, content_type, data FROM evidence"
	    " WHERE request_id = ?1 AND kind = 'letter' AND data IS NOT NULL"
	    " ORDER BY id LIMIT 16");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && np < 16) {
		names[np] = xstrdup(store_col_text(st, 0) ? store_col_text(st, 0) :
		    "surat");
		types[np] = xstrdup(store_col_text(st, 1) ? store_col_text(st, 1) :
		    "application/octet-stream");
		parts[np].len = (size_t)sqlite3_column_bytes(st, 2);
		datas[np] = xmalloc(parts[np].len + 1);
		memcpy(datas[np], sqlite3_column_blob(st, 2), parts[np].len);
		parts[np].filename = names[np];
		parts[np].content_type = types[np];
		parts[np].data = datas[np];
		np++;
	}
	sqlite3_finalize(st);
	mism = mismatches_text(&a, lg);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(nletters, sizeof(nletters), "%zu", np);
	time_rfc3339((time_t)(t + cfg->op.expire_after), exp);
	if (a.invalidity != 0)
		time_rfc3339((time_t)a.invalidity, inv);
	else
		snprintf(inv, sizeof(inv), "-");
	vars[nv++] = (struct template_var){ "id", idbuf, 0 };
	vars[nv++] = (struct template_var){ "requester", a.requester, 0 };
	vars[nv++] = (struct template_var){ "name", or_none(a.name, lg), 0 };
	vars[nv++] = (struct template_var){ "nik", or_none(a.nik, lg), 0 };
	vars[nv++] = (struct template_var){ "reason", a.reason, 0 };
	vars[nv++] = (struct template_var){ "invalidity_date", inv, 0 };
	vars[nv++] = (struct template_var){ "authenticated_by", or_none(a.auth, lg), 0 };
	vars[nv++] = (struct template_var){ "entered_by", or_none(a.entered, lg), 0 };
	vars[nv++] = (struct template_var){ "serial_claimed", or_none(a.claimed_serial, lg), 0 };
	vars[nv++] = (struct template_var){ "serial", a.serial, 0 };
	vars[nv++] = (struct template_var){ "dn_claimed", or_none(a.claimed_dn, lg), 0 };
	vars[nv++] = (struct template_var){ "dn", a.dn, 0 };
	vars[nv++] = (struct template_var){ "username_claimed", or_none(a.claimed_username, lg), 0 };
	vars[nv++] = (struct template_var){ "username", or_none(a.username, lg), 0 };
	vars[nv++] = (struct template_var){ "mismatches", mism, 1 };
	vars[nv++] = (struct template_var){ "letters", nletters, 0 };
	vars[nv++] = (struct template_var){ "expires", exp, 0 };
	if (process_render(p, "approval", vars, nv, &subject, &body, &err) == -1) {
		log_warnx("template approval: %s; request %lld has no approval "
		    "mails", err, (long long)id);
		ret = process_alert(p, "approval mails not written", err);
		goto out;
	}
	process_request_digest(p->store, id, digest);
	for (i = 0; i < cfg->op.naddresses; i++) {
		/* The applicant never decides on their own request. */
		if (strcasecmp(cfg->op.addresses[i], a.requester) == 0)
			continue;
		if (strcmp(kind, "reminder") == 0 &&
		    op_decided(p->store, id, cfg->op.addresses[i]))
			continue;
		token_make(&p->key, TOKEN_APPROVAL, (uint32_t)id, cfg->op.addresses[i],
		    t + cfg->op.expire_after, digest, token);
		memset(&om, 0, sizeof(om));
		om.request_id = id;
		om.kind = kind;
		om.to = cfg->op.addresses[i];
		om.subject = subject;
		om.body = body;
		om.answer = 0;
		om.token = token;
		om.reply_to_token = 1;
		om.parts = parts;
		om.nparts = np;
		if (outbox_queue(p->store, cfg, &om, NULL) == -1)
			goto out;
	}
	if (process_step(p->store, id, 5, 0, 0, NULL) == -1 ||
	    process_step(p->store, id, 6, t, 0, NULL) == -1)
		goto out;
	ret = 0;
out:
	for (i = 0; i < np; i++) {
		free(names[i]);
		free(types[i]);
		free(datas[i]);
	}
	approval_data_clear(&a);
	free(mism);
	free(subject);
	free(body);
	free(err);
	return ret;
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
		    " created, updated, claimed_serial, claimed_dn) VALUES (?1, ?2,"
		    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16)");
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
		if (f.serial != NULL)
			sqlite3_bind_text(st, 15, f.serial, -1, SQLITE_STATIC);
		if (f.subject_dn != NULL)
			sqlite3_bind_text(st, 16, f.subject_dn, -1, SQLITE_STATIC);
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
		if (process_step(s, id, 2, t, strcmp(out.state, "pending_approval") == 0 ?
		    t : 0, out.authenticated_by ? "system" : NULL) == -1 ||
		    process_step(s, id, 3, t, t, "pemohon") == -1 ||
		    process_step(s, id, 4, t, t, "pemohon") == -1 ||
		    process_step(s, id, 5, t, chk.problems ? t : 0, "system") == -1)
			goto out;
		free(problems);
		problems = NULL;
		if (strcmp(out.state, "pending_approval") == 0 &&
		    send_approval_mails(p, id) == -1)
			goto out;
	}
	/* Joined: the request changed, its old tokens no longer count, and
	 * the OPs get new mails. */
	if (out.joined_to != 0 && send_approval_mails(p, id) == -1)
		goto out;

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
	    process_step(s, id, 2, 0, t, m->from.addr) == -1 ||
	    send_approval_mails(p, id) == -1)
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

/* Outcome mail (rejected, returned) to the applicant, copy to each OP. */
static int
outcome_mails(struct process_ctx *p, int64_t id, const char *tname,
    const char *decided_by, const char *text)
{
	const struct config	*cfg = p->cfg;
	struct approval_data	 a;
	struct template_var	 vars[4];
	struct outmail		 om;
	char			 idbuf[24], *subject = NULL, *body = NULL, *err = NULL;
	size_t			 i;
	int			 ret = -1;

	if (approval_data_load(p->store, id, &a) == -1)
		return -1;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	vars[0] = (struct template_var){ "id", idbuf, 0 };
	vars[1] = (struct template_var){ "serial", or_none(a.serial ? a.serial :
	    a.claimed_serial, lang(p)), 0 };
	vars[2] = (struct template_var){ "decided_by", decided_by, 0 };
	vars[3] = (struct template_var){ "reason_text", or_none(text, lang(p)), 0 };
	if (process_render(p, tname, vars, 4, &subject, &body, &err) == -1) {
		log_warnx("template %s: %s", tname, err);
		ret = 0;
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.request_id = id;
	om.kind = tname;
	om.subject = subject;
	om.body = body;
	om.to = a.requester;
	if (outbox_queue(p->store, cfg, &om, NULL) == -1)
		goto out;
	for (i = 0; i < cfg->op.naddresses; i++) {
		if (strcasecmp(cfg->op.addresses[i], a.requester) == 0)
			continue;
		om.to = cfg->op.addresses[i];
		if (outbox_queue(p->store, cfg, &om, NULL) == -1)
			goto out;
	}
	ret = 0;
out:
	approval_data_clear(&a);
	free(subject);
	free(body);
	free(err);
	return ret;
}

static const char *
decision_name(enum reply_word w)
{
	return w == REPLY_APPROVE ? "approve" : w == REPLY_REJECT ? "reject" :
	    "return";
}

int
process_decide(struct process_ctx *p, int64_t id, enum reply_word w,
    const char *actor, const char *note, int64_t message_id, int settle)
{
	struct store	*s = p->store;
	sqlite3_stmt	*st;
	const char	*to = NULL, *tname = NULL;
	char		*why = NULL, *state = NULL;
	int64_t		 t = (int64_t)now(), approvals = 0;
	int		 rc, ret = -1;

	st = store_prepare(s, "SELECT state FROM requests WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		state = colstr(st, 0);
	sqlite3_finalize(st);
	if (state == NULL || strcmp(state, "pending_approval") != 0) {
		ret = 1;
		goto out;
	}
	st = store_prepare(s, "INSERT INTO approvals (request_id, op, decision,"
	    " note, at, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, decision_name(w), -1, SQLITE_STATIC);
	if (note != NULL && *note != '\0')
		sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, t);
	if (message_id != 0)
		sqlite3_bind_int64(st, 6, message_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	if (w == REPLY_APPROVE) {
		st = store_prepare(s, "SELECT count(*) FROM approvals WHERE"
		    " request_id = ?1 AND decision = 'approve'");
		sqlite3_bind_int64(st, 1, id);
		if (exec_int(s, st, &approvals) == -1)
			goto out;
		if (!settle && approvals < p->cfg->op.approvals_required) {
			why = xasprintf("approval %lld of %d", (long long)approvals,
			    p->cfg->op.approvals_required);
			struct audit_entry e;
			memset(&e, 0, sizeof(e));
			e.request_id = id;
			e.event = "approval";
			e.actor = actor;
			e.reason = why;
			ret = audit_append(s, &e);
			goto out;
		}
		to = "approved";
		why = settle ? xasprintf("approved by the admin%s%s",
		    note ? ": " : "", note ? note : "") :
		    xasprintf("%lld approval(s), %d required", (long long)approvals,
		    p->cfg->op.approvals_required);
	} else if (w == REPLY_REJECT) {
		to = "rejected";
		tname = "rejected";
		why = xasprintf("rejected: %s", note && *note ? note : "-");
	} else {
		to = "returned";
		tname = "returned";
		why = xasprintf("returned to the applicant: %s", note && *note ?
		    note : "-");
	}
	st = store_prepare(s, "UPDATE requests SET state = ?2, updated = ?3"
	    " WHERE id = ?1 AND state = 'pending_approval'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE ||
	    audit_state(s, id, "pending_approval", to, actor, why) == -1 ||
	    process_step(s, id, 5, 0, t, actor) == -1 ||
	    process_step(s, id, 6, 0, t, actor) == -1)
		goto out;
	if (tname != NULL && outcome_mails(p, id, tname, actor, note) == -1)
		goto out;
	ret = 0;
out:
	free(state);
	free(why);
	return ret;
}

/* "Already decided": what, by whom and when. */
static int
answer_decided(struct process_ctx *p, const struct message *m, int64_t id,
    const char *op)
{
	struct template_var	 vars[5];
	sqlite3_stmt		*st;
	char			 idbuf[24], when[21], *state = NULL, *dec = NULL, *by = NULL;
	int64_t			 at = 0;
	int			 ret;

	st = store_prepare(p->store, "SELECT r.state, a.decision, a.op, a.at FROM"
	    " requests r LEFT JOIN approvals a ON a.request_id = r.id WHERE"
	    " r.id = ?1 ORDER BY (a.op = ?2) DESC, a.at DESC LIMIT 1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		state = colstr(st, 0);
		dec = colstr(st, 1);
		by = colstr(st, 2);
		at = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	if (at != 0)
		time_rfc3339((time_t)at, when);
	else
		snprintf(when, sizeof(when), "-");
	vars[0] = (struct template_var){ "id", idbuf, 0 };
	vars[1] = (struct template_var){ "state", state, 0 };
	vars[2] = (struct template_var){ "decided_by", by, 0 };
	vars[3] = (struct template_var){ "decided_at", when, 0 };
	vars[4] = (struct template_var){ "decision", dec ? dec : state, 0 };
	ret = queue_answer(p, m, id, "decided", "decided", op, vars, 5, NULL);
	free(state);
	free(dec);
	free(by);
	return ret;
}

/* require_smime: verify the reply's S/MIME signature on its raw bytes and
 * return the signed content, which must name the request. 0 with *msg_r,
 * or 0 with *quarantine_r set when refused; -1 store error. */
static int
signed_text(struct process_ctx *p, int64_t message_id, const char *sender,
    int64_t id, struct message **msg_r, char **quarantine_r)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	unsigned char		*raw = NULL;
	size_t			 len = 0, clen = 0;
	char			*content = NULL, *err = NULL, tag[40];
	int			 r;

	*msg_r = NULL;
	if ((r = store_evidence_raw(p->store, message_id, &raw, &len)) == -1)
		return -1;
	if (r == 1 || raw == NULL) {
		*quarantine_r = xstrdup("S/MIME: the raw reply was not kept");
		goto out;
	}
	if (smime_verify((char *)raw, len, p->cfg->op.smime_ca_file, sender,
	    &content, &clen, &err) == -1) {
		*quarantine_r = xasprintf("S/MIME: %s", err);
		goto out;
	}
	if (message_parse(content, clen, &lim, msg_r, &err) == -1) {
		*quarantine_r = xasprintf("S/MIME: the signed content cannot be "
		    "read: %s", err);
		goto out;
	}
	snprintf(tag, sizeof(tag), "[cabut #%lld]", (long long)id);
	if (strstr((*msg_r)->text, tag) == NULL) {
		*quarantine_r = xasprintf("S/MIME: the signed text does not "
		    "contain %s", tag);
		message_free(msg_r);
	}
out:
	free(raw);
	free(content);
	free(err);
	return 0;
}

/* What every OP reply must pass before its words count (SPEC "The OP's
 * mail and reply"): from an OP who is not the applicant, DMARC pass from
 * the trusted server when one is set, and with require_smime a valid
 * signature; *text_r is then the text to read the decision from (the
 * signed content, *signed_r, when S/MIME). 0 with *quarantine_r set when
 * refused; -1 store error. */
static int
op_reply_checks(struct process_ctx *p, const struct message *m,
    int64_t message_id, int64_t id, const char *requester,
    const char **text_r, struct message **signed_r, char **quarantine_r)
{
	const struct config	*cfg = p->cfg;
	const char		*op = m->from.addr;

	*text_r = m->text;
	*signed_r = NULL;
	if (!process_is_op(cfg, op) || strcasecmp(op, requester) == 0) {
		*quarantine_r = xstrdup(strcasecmp(op, requester) == 0 ?
		    "reply from the applicant to an OP's mail" :
		    "reply to an OP's mail from an address that is not an OP");
		return 0;
	}
	if (cfg->request.trusted_authserv_id != NULL &&
	    authres_dmarc(m, cfg->request.trusted_authserv_id, domain_of(op)) !=
	    DMARC_PASS) {
		*quarantine_r = xstrdup("OP reply without DMARC pass from the "
		    "trusted server");
		return 0;
	}
	if (cfg->op.require_smime) {
		/* The decision comes from the signed content only. */
		if (signed_text(p, message_id, op, id, signed_r, quarantine_r) == -1)
			return -1;
		if (*signed_r != NULL)
			*text_r = (*signed_r)->text;
	}
	return 0;
}

/* "Not understood", once per OP, request and day; manual: the reply was
 * to the revocation instructions. */
static int
answer_not_understood(struct process_ctx *p, const struct message *m,
    int64_t id, int manual)
{
	static const char *const how[2][2] = {
		{ "Untuk memutuskan, balas surel permintaan persetujuan dengan kata\n"
		  "SETUJU, TOLAK (diikuti alasan) atau PERBAIKI (diikuti keterangan)\n"
		  "pada baris pertama balasan.",
		  "Untuk mencatat bahwa sertifikat sudah dicabut, balas surel petunjuk\n"
		  "pencabutan dengan kata SUDAH pada baris pertama balasan." },
		{ "To decide, reply to the approval mail with APPROVE, REJECT\n"
		  "(followed by the reason) or FIX (followed by what to fix) on the\n"
		  "first line of your reply.",
		  "To record that you revoked the certificate, reply to the\n"
		  "revocation instructions with the word DONE on the first line of\n"
		  "your reply." },
	};
	struct template_var	 vars[2];
	const char		*op = m->from.addr;
	char			 idbuf[24], *kind;
	int			 r = 0;

	kind = xasprintf("not-understood-%lld", (long long)id);
	if (!outbox_sent_today(p->store, op, kind, (int64_t)now())) {
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
		vars[0] = (struct template_var){ "id", idbuf, 0 };
		vars[1] = (struct template_var){ "how",
		    how[strcmp(lang(p), "id") != 0][manual != 0], 1 };
		r = queue_answer(p, m, id, "not-understood", kind, op, vars, 2, NULL);
	}
	free(kind);
	return r;
}

/* A reply with an approval token, from the OP it was sent to. */
static int
handle_approval(struct process_ctx *p, const struct message *m,
    int64_t message_id, const struct token_claims *c, char **quarantine_r)
{
	struct store		*s = p->store;
	struct approval_data	 a;
	sqlite3_stmt		*st;
	enum reply_word		 w;
	const char		*op = m->from.addr;
	char			*own = NULL, *rest = NULL, *actor = NULL;
	const char		*text;
	struct message		*signed_msg = NULL;
	int64_t			 id = c->request_id, mine = 0;
	int			 r, ret = -1;

	if (approval_data_load(s, id, &a) == -1) {
		*quarantine_r = xstrdup("approval for an unknown request");
		return 0;
	}
	if (link_message(s, message_id, id) == -1 ||
	    op_reply_checks(p, m, message_id, id, a.requester, &text,
	    &signed_msg, quarantine_r) == -1)
		goto out;
	if (*quarantine_r != NULL) {
		ret = 0;
		goto out;
	}
	actor = xasprintf("op:%s", op);
	st = store_prepare(s, "SELECT count(*) FROM approvals WHERE request_id = ?1"
	    " AND op = ?2");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	if (exec_int(s, st, &mine) == -1)
		goto out;
	if (mine > 0 || strcmp(a.state, "pending_approval") != 0) {
		ret = answer_decided(p, m, id, op);
		goto out;
	}
	own = reply_own_text(text);
	w = reply_decision(own, &rest);
	if (w != REPLY_APPROVE && w != REPLY_REJECT && w != REPLY_RETURN) {
		ret = answer_not_understood(p, m, id, 0);
		goto out;
	}
	r = process_decide(p, id, w, actor, rest, message_id, 0);
	ret = r == -1 ? -1 : 0;
out:
	message_free(&signed_msg);
	approval_data_clear(&a);
	free(own);
	free(rest);
	free(actor);
	return ret;
}

/* manual backend: an OP's SUDAH / DONE says the certificate is revoked
 * in the CA's own application. */
static int
handle_manual(struct process_ctx *p, const struct message *m,
    int64_t message_id, const struct token_claims *c, char **quarantine_r)
{
	struct store		*s = p->store;
	struct approval_data	 a;
	enum reply_word		 w;
	const char		*text;
	struct message		*signed_msg = NULL;
	char			*own = NULL, *rest = NULL, *actor = NULL;
	int64_t			 id = c->request_id;
	int			 ret = -1;

	if (approval_data_load(s, id, &a) == -1) {
		*quarantine_r = xstrdup("manual revocation reply for an unknown "
		    "request");
		return 0;
	}
	if (link_message(s, message_id, id) == -1 ||
	    op_reply_checks(p, m, message_id, id, a.requester, &text,
	    &signed_msg, quarantine_r) == -1)
		goto out;
	if (*quarantine_r != NULL) {
		ret = 0;
		goto out;
	}
	if (strcmp(a.state, "revoking") != 0) {
		ret = answer_decided(p, m, id, m->from.addr);
		goto out;
	}
	own = reply_own_text(text);
	w = reply_decision(own, &rest);
	if (w != REPLY_DONE) {
		ret = answer_not_understood(p, m, id, 1);
		goto out;
	}
	actor = xasprintf("op:%s", m->from.addr);
	ret = revoke_done(p, id, actor, "revoked by hand in the CA's application",
	    0, -1, rest);
out:
	message_free(&signed_msg);
	approval_data_clear(&a);
	free(own);
	free(rest);
	free(actor);
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
		return handle_approval(p, m, message_id, &claims, quarantine_r);
	case TOKEN_MANUAL_REVOCATION:
		return handle_manual(p, m, message_id, &claims, quarantine_r);
	default:
		*quarantine_r = xstrdup("reply with a token of an unknown purpose");
		return 0;
	}
}

/* A delivery report about one of cabut's approval mails: the admin must
 * know, an OP did not get it. */
static int
bounce_alert(struct process_ctx *p, const struct message *m,
    const struct classification *c)
{
	struct token_claims	 claims;
	char			*details;
	int			 r;

	if (c->ntokens == 0 || m->content_type == NULL ||
	    strcmp(m->content_type, "multipart/report") != 0 ||
	    m->report_type == NULL || strcmp(m->report_type, "delivery-status") != 0)
		return 0;
	if (token_decode(c->tokens[0], &claims) == -1 ||
	    claims.purpose != TOKEN_APPROVAL)
		return 0;
	details = xasprintf("An approval mail for request %lu bounced: %s\n"
	    "(from %s). The OP it was for has not received it.",
	    (unsigned long)claims.request_id, m->subject ? m->subject : "-",
	    m->from.addr ? m->from.addr : "<>");
	r = process_alert(p, "approval mail bounced", details);
	free(details);
	return r;
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
		return bounce_alert(p, m, c);
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
	if (process_render(p, "alert", vars, 2, &subject, &body, &err) == -1) {
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

/* Reminders and expiry of requests waiting for the OPs' decision. */
static int
pending_timers(struct process_ctx *p, int64_t t)
{
	const struct config	*cfg = p->cfg;
	struct audit_entry	 e;
	sqlite3_stmt		*st;
	int64_t			*ids = NULL, *since = NULL, *sent = NULL, due;
	size_t			 n = 0, cap = 0, i;
	char			*why;
	int			 rc, ret = -1;

	st = store_prepare(p->store, "SELECT r.id, coalesce(s.started, r.updated),"
	    " r.reminders FROM requests r LEFT JOIN request_steps s ON"
	    " s.request_id = r.id AND s.step = 6 WHERE r.state = 'pending_approval'"
	    " LIMIT 10000");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof(*ids));
			since = xreallocarray(since, cap, sizeof(*since));
			sent = xreallocarray(sent, cap, sizeof(*sent));
		}
		ids[n] = sqlite3_column_int64(st, 0);
		since[n] = sqlite3_column_int64(st, 1);
		sent[n] = sqlite3_column_int64(st, 2);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	for (i = 0; i < n; i++) {
		if (store_begin(p->store) == -1)
			goto out;
		if (t >= since[i] + cfg->op.expire_after) {
			st = store_prepare(p->store, "UPDATE requests SET state = 'expired',"
			    " updated = ?2 WHERE id = ?1 AND state = 'pending_approval'");
			sqlite3_bind_int64(st, 1, ids[i]);
			sqlite3_bind_int64(st, 2, t);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE || audit_state(p->store, ids[i],
			    "pending_approval", "expired", "system",
			    "no decision within expire_after") == -1 ||
			    process_step(p->store, ids[i], 6, 0, t, "system") == -1 ||
			    outcome_mails(p, ids[i], "expired", "cabut",
			    NULL) == -1)
				goto rollback;
			log_info("request %lld expired: no decision", (long long)ids[i]);
		} else {
			due = since[i] + cfg->op.reminder_after +
			    sent[i] * cfg->op.reminder_every;
			if (sent[i] >= cfg->op.reminders_max || t < due) {
				store_rollback(p->store);
				continue;
			}
			why = xasprintf("reminder %lld of %d", (long long)sent[i] + 1,
			    cfg->op.reminders_max);
			memset(&e, 0, sizeof(e));
			e.request_id = ids[i];
			e.event = "reminder";
			e.reason = why;
			st = store_prepare(p->store, "UPDATE requests SET reminders ="
			    " reminders + 1 WHERE id = ?1");
			sqlite3_bind_int64(st, 1, ids[i]);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			rc = rc != SQLITE_DONE || audit_append(p->store, &e) == -1 ||
			    approval_mails(p, ids[i], "reminder") == -1;
			free(why);
			if (rc)
				goto rollback;
		}
		if (store_commit(p->store) == -1)
			goto out;
	}
	ret = 0;
	goto out;
rollback:
	store_rollback(p->store);
out:
	free(ids);
	free(since);
	free(sent);
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
	ret = pending_timers(p, t);
out:
	free(ids);
	return ret;
}

int
process_request_add(struct process_ctx *p, const char *serial_text,
    const char *reason_text, const char *letter_path, const char *note,
    const char *actor, int64_t *id_r, char **error_r)
{
	const struct config	*cfg = p->cfg;
	struct store		*s = p->store;
	struct registry_cert	 cert;
	enum request_reason	 reason;
	sqlite3_stmt		*st;
	const char		*type;
	unsigned char		*data = NULL;
	char			*serial = NULL, *entered = NULL, *auth = NULL;
	size_t			 len = 0, i;
	int64_t			 t = (int64_t)now(), id;
	FILE			*f = NULL;
	int			 rc, ok = 0, ret = -1;

	memset(&cert, 0, sizeof(cert));
	*error_r = NULL;
	if (request_serial_normalise(serial_text, &serial) == -1) {
		*error_r = xasprintf("'%s' is not a serial number", serial_text);
		goto out;
	}
	if ((reason = request_reason_parse(reason_text)) == REASON_NONE) {
		*error_r = xasprintf("unknown reason '%s' (lupa passphrase, perubahan "
		    "data, kehilangan sertifikat)", reason_text);
		goto out;
	}
	if ((rc = registry_find(s, serial, NULL, NULL, &cert)) != 0) {
		*error_r = rc == 1 ? xasprintf("no certificate %s in the registry",
		    serial) : xstrdup("cannot read the registry");
		goto out;
	}
	if (cert.email == NULL) {
		*error_r = xasprintf("certificate %s has no e-mail address to tell "
		    "its holder", serial);
		goto out;
	}
	if ((f = fopen(letter_path, "rb")) == NULL) {
		*error_r = xasprintf("%s: %s", letter_path, strerror(errno));
		goto out;
	}
	data = xmalloc(cfg->request.max_attachment_size + 1);
	len = fread(data, 1, cfg->request.max_attachment_size + 1, f);
	if (len == 0 || len > cfg->request.max_attachment_size) {
		*error_r = xasprintf("%s: empty or larger than max_attachment_size",
		    letter_path);
		goto out;
	}
	type = magic_buffer(p->magic, data, len);
	for (i = 0; type != NULL && i < cfg->request.nallowed_types; i++)
		if (strcmp(type, cfg->request.allowed_types[i]) == 0)
			ok = 1;
	if (!ok) {
		*error_r = xasprintf("%s is %s, not an allowed type", letter_path,
		    type ? type : "of an unknown type");
		goto out;
	}
	entered = note ? xasprintf("%s: %s", actor, note) : xstrdup(actor);
	auth = xasprintf("entered by hand by %s", actor);
	if (store_begin(s) == -1)
		goto out;
	st = store_prepare(s, "INSERT INTO requests (state, serial, issuer,"
	    " subject_dn, reason, reason_code, invalidity_date, requester,"
	    " authenticated_by, entered_by, claimed_serial, created, updated)"
	    " VALUES ('pending_approval', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?1, ?10, ?10)");
	sqlite3_bind_text(st, 1, cert.serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cert.issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cert.subject_dn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, request_reason_name(reason), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, request_reason_code(reason));
	if (reason == REASON_KEHILANGAN)
		sqlite3_bind_int64(st, 6, t);
	sqlite3_bind_text(st, 7, cert.email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, auth, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, entered, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto rollback;
	id = sqlite3_last_insert_rowid(s->db);
	if (store_evidence_add(s, id, 0, "letter", letter_path, type, data, len, 1,
	    NULL, NULL) == -1 ||
	    audit_state(s, id, NULL, "pending_approval", actor,
	    "entered by hand for the applicant") == -1 ||
	    process_step(s, id, 2, t, t, actor) == -1 ||
	    process_step(s, id, 3, t, t, actor) == -1 ||
	    process_step(s, id, 4, t, t, actor) == -1 ||
	    process_step(s, id, 5, t, 0, actor) == -1 ||
	    send_approval_mails(p, id) == -1 || store_commit(s) == -1)
		goto rollback;
	*id_r = id;
	ret = 0;
	goto out;
rollback:
	store_rollback(s);
	if (*error_r == NULL)
		*error_r = xstrdup("store error");
out:
	if (f != NULL)
		fclose(f);
	registry_cert_clear(&cert);
	free(data);
	free(serial);
	free(entered);
	free(auth);
	return ret;
}
