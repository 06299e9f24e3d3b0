/* Intake: IMAP -> parse -> classify -> one transaction -> flag (see
 * intake.h). */
#include "autoconf.h"
#include "intake.h"
#include "imap.h"
#include "message.h"
#include "classify.h"
#include "audit.h"
#include "util.h"
#include "log.h"
#include "crashpoint.h"
#include "process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define INTAKE_LIST_BATCH	500		/* UIDs listed at once */
#define INTAKE_FETCH_COUNT	50		/* messages per UID FETCH */
#define INTAKE_FETCH_BYTES	(8UL << 20)	/* bytes per UID FETCH (bounds RSS) */
#define INTAKE_TIMEOUT		60		/* seconds per IMAP operation */
#define INTAKE_BACKOFF_MIN	5
#define INTAKE_BACKOFF_MAX	300
#define INTAKE_IDLE_MAX_MS	(25 * 60 * 1000)	/* re-IDLE well within 29 min */

struct intake {
	const struct config	*cfg;
	struct store		*store;
	struct process_ctx	*pc;
	struct imap		*imap;
	volatile sig_atomic_t	*stop;		/* set: stop after this batch */
	uint32_t		 uidvalidity;
	int64_t			 retry_at;	/* no connection attempt before */
	int			 backoff;
	/* Messages committed in this fetch batch, to flag together. */
	uint32_t		*done_uids;
	int64_t			*done_ids;
	size_t			 ndone, capdone;
};

void
intake_set_stop(struct intake *in, volatile sig_atomic_t *stop)
{
	in->stop = stop;
}

struct intake *
intake_new(struct process_ctx *pc)
{
	struct intake	*in = xcalloc(1, sizeof(*in));

	in->pc = pc;
	in->cfg = pc->cfg;
	in->store = pc->store;
	return in;
}

void
intake_free(struct intake **inp)
{
	struct intake	*in = *inp;

	if (in == NULL)
		return;
	imap_close(&in->imap);
	free(in->done_uids);
	free(in->done_ids);
	free(in);
	*inp = NULL;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
intake_reconfigure(struct intake *in, const struct config *cfg)
{
	const struct config	*old = in->cfg;

	if (!same_str(old->imap.url, cfg->imap.url) ||
	    !same_str(old->imap.username, cfg->imap.username) ||
	    !same_str(old->imap.password_file, cfg->imap.password_file) ||
	    !same_str(old->imap.ca_file, cfg->imap.ca_file) ||
	    old->imap.starttls != cfg->imap.starttls ||
	    old->imap.tls_verify != cfg->imap.tls_verify) {
		imap_close(&in->imap);
		in->retry_at = 0;
		in->backoff = 0;
	}
	in->cfg = cfg;
}

int
intake_connected(const struct intake *in)
{
	return in->imap != NULL;
}

static void
disconnect(struct intake *in, const char *why)
{
	int64_t	 t = (int64_t)now();

	imap_close(&in->imap);
	in->backoff = in->backoff == 0 ? INTAKE_BACKOFF_MIN :
	    in->backoff * 2 > INTAKE_BACKOFF_MAX ? INTAKE_BACKOFF_MAX :
	    in->backoff * 2;
	in->retry_at = t + retry_wait(in->backoff);
	log_warnx("imap: %s; next try in %ds", why, in->backoff);
}

static int
connect_imap(struct intake *in)
{
	const struct config	*cfg = in->cfg;
	struct imap_params	 p;
	enum imap_error		 kind;
	char			*password = NULL, *err = NULL;
	int			 ret = -1;

	if (in->retry_at > (int64_t)now())
		return -1;
	memset(&p, 0, sizeof(p));
	p.host = cfg->imap.host;
	p.port = cfg->imap.port;
	p.imaps = cfg->imap.imaps;
	p.starttls = cfg->imap.starttls == STARTTLS_REQUIRED;
	p.tls_verify = cfg->imap.tls_verify;
	p.ca_file = cfg->imap.ca_file;
	p.username = cfg->imap.username;
	p.mailbox = cfg->imap.mailbox;
	p.timeout = INTAKE_TIMEOUT;
	if (cfg->imap.password_file != NULL &&
	    (password = file_read_password(cfg->imap.password_file, &err)) == NULL) {
		disconnect(in, err);
		goto out;
	}
	p.password = password;
	if (imap_open(&p, &in->imap, &kind, &err) == -1) {
		disconnect(in, err);
		goto out;
	}
	in->uidvalidity = imap_uidvalidity(in->imap);
	in->backoff = 0;
	log_info("imap: connected to %s:%d, mailbox %s (UIDVALIDITY %u)",
	    p.host, p.port, p.mailbox, in->uidvalidity);
	ret = 0;
out:
	free(err);
	freezero_str(&password);
	return ret;
}

/* The SHA-256 of a mail that could not be parsed: of all its bytes. */
static void
raw_hash(const char *raw, size_t len, unsigned char md[32])
{
	unsigned int	 mdlen = 0;

	if (!EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL))
		fatalx("intake: SHA-256 failed");
}

static const char *
kind_name(enum mail_class c)
{
	switch (c) {
	case CLASS_REPLY:
		return "reply";
	case CLASS_AUTOMATIC:
		return "automatic";
	case CLASS_REQUEST:
	default:
		return "request";
	}
}

static char *
tokens_text(const struct classification *c)
{
	struct buf	 b;
	size_t		 i;

	if (c->ntokens == 0)
		return NULL;
	buf_init(&b, 1024);
	for (i = 0; i < c->ntokens; i++) {
		if (i > 0)
			buf_addstr(&b, " ");
		buf_addstr(&b, c->tokens[i]);
	}
	return buf_steal(&b);
}

static void
classify_ctx_from(const struct config *cfg, struct classify_ctx *ctx,
    char **local_r)
{
	const char	*at = strrchr(cfg->smtp.reply_to, '@');

	*local_r = xstrndup(cfg->smtp.reply_to, (size_t)(at - cfg->smtp.reply_to));
	ctx->own_addr = cfg->smtp.from_addr;
	ctx->reply_local = *local_r;
	ctx->reply_domain = at + 1;
}

/* Quarantine message_id for reason, with its raw mail kept unless the
 * quarantine is full (then only the hash, and the admin is told once). */
static int
quarantine(struct process_ctx *pc, int64_t message_id,
    const char *reason, const char *raw, size_t len, int have_evidence,
    const char *evidence_kind)
{
	struct store		*s = pc->store;
	const struct config	*cfg = pc->cfg;
	struct audit_entry	 e;
	unsigned char		 md[32];
	char			 hash[65], *details;
	int64_t			 used, alerted = 0;
	int			 r;
	int			 keep = 1;

	used = store_quarantine_bytes(s);
	if (used < 0)
		return -1;
	if ((uint64_t)used + len > cfg->request.quarantine_max) {
		keep = 0;
		if (store_kv_get(s, "quarantine_full", &alerted) != 0 || alerted == 0) {
			memset(&e, 0, sizeof(e));
			e.event = "quarantine-full";
			e.reason = "quarantine_max reached: bodies are no longer kept";
			details = xasprintf("The quarantine reached quarantine_max "
			    "(%llu bytes): the bodies of further quarantined mail "
			    "are no longer kept, only their hashes. Nothing else "
			    "stops. Look at \"cabutctl quarantine\".",
			    (unsigned long long)cfg->request.quarantine_max);
			r = audit_append(s, &e) == -1 ||
			    store_kv_set(s, "quarantine_full", (int64_t)now()) == -1 ||
			    process_alert(pc, "quarantine full", details) == -1;
			free(details);
			if (r)
				return -1;
		}
	} else if (store_kv_get(s, "quarantine_full", &alerted) == 0 && alerted != 0)
		store_kv_set(s, "quarantine_full", 0);
	if (have_evidence) {
		raw_hash(raw, len, md);
		hex_encode(md, sizeof(md), hash);
	} else if (store_evidence_add(s, 0, message_id, evidence_kind, NULL,
	    "message/rfc822", raw, len, keep, NULL, hash) == -1)
		return -1;
	if (store_quarantine_add(s, message_id, reason, NULL) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.event = "quarantine";
	e.reason = reason;
	e.data_hash = hash;
	return audit_append(s, &e);
}

static int
record(struct process_ctx *pc, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, const char *raw, size_t len,
    uint64_t size, int oversize, struct intake_result *res)
{
	struct store		*s = pc->store;
	const struct config	*cfg = pc->cfg;
	struct message_limits	 limits = MESSAGE_LIMITS_DEFAULT;
	struct classify_ctx	 ctx;
	struct classification	 c;
	struct store_message	 sm;
	struct message		*m = NULL, *hm = NULL;
	unsigned char		 hash[32];
	char			*reason = NULL, *tokens = NULL, *local = NULL;
	char			*qreason = NULL, *hreason = NULL;
	const char		*kind;
	int64_t			 id, dup = 0;
	int			 r, ret = -1, keep;

	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(*res));
	/* Parse outside the transaction: the write lock is held briefly. */
	r = oversize ? message_parse_headers(raw, len, &limits, &m, &reason) :
	    message_parse(raw, len, &limits, &m, &reason);
	if (r == -1) {
		raw_hash(raw, len, hash);
		/* For the record and the quarantine list: who sent it and what
		 * it is about, when at least its header block can be read. */
		free(hreason);
		if (!oversize &&
		    message_parse_headers(raw, len, &limits, &hm, &hreason) == -1)
			hm = NULL;
	} else
		memcpy(hash, m->body_hash, sizeof(hash));
	if (oversize)
		raw_hash(raw, len, hash);	/* no body: the header block's hash */

	if (store_begin(s) == -1)
		goto out;
	if ((r = store_message_at(s, mailbox, uidvalidity, uid, &id)) != 0) {
		if (r == -1)
			goto rollback;
		res->message_id = id;
		res->kind = "known";
		res->already = 1;
		goto commit;
	}
	memset(&sm, 0, sizeof(sm));
	sm.mailbox = mailbox;
	sm.uidvalidity = uidvalidity;
	sm.uid = uid;
	sm.body_hash = hash;
	sm.size = size;
	sm.received = (int64_t)now();
	if (m != NULL || hm != NULL) {
		sm.message_id = (m ? m : hm)->message_id;
		sm.sender = (m ? m : hm)->from.addr;
		sm.subject = (m ? m : hm)->subject;
	}
	/* Known by content (a second delivery, or a new UIDVALIDITY): the
	 * same Message-ID and body hash, whatever else the mail is. */
	if ((r = store_message_same(s, sm.message_id, hash, &dup)) != 0) {
		if (r == -1)
			goto rollback;
		sm.kind = "duplicate";
		sm.why = "the same mail (Message-ID and body) was taken in before";
		sm.duplicate_of = dup;
	} else if (m == NULL) {
		sm.kind = "quarantined";
		sm.why = reason;
		qreason = xasprintf("cannot be processed: %s", reason);
	} else {
		classify_ctx_from(cfg, &ctx, &local);
		classify(&ctx, m, &c);
		tokens = tokens_text(&c);
		sm.tokens = tokens;
		if (oversize) {
			sm.kind = "oversize";
			sm.why = "larger than max_message_size: only the headers were read";
			qreason = xasprintf("larger than max_message_size (%llu bytes)",
			    (unsigned long long)size);
		} else {
			sm.kind = kind_name(c.cls);
			sm.why = c.why;
		}
	}
	if (store_message_add(s, &sm, &id) == -1)
		goto rollback;
	res->message_id = id;
	res->kind = sm.kind;
	if (qreason != NULL) {
		/* Of an oversize mail only the header block was read. */
		if (quarantine(pc, id, qreason, raw, len, 0,
		    oversize ? "raw_header" : "raw_mail") == -1)
			goto rollback;
	} else if (strcmp(sm.kind, "duplicate") != 0) {
		/* Evidence: the raw mail, but of automatic mail only its hash. */
		keep = strcmp(sm.kind, "automatic") != 0;
		if (store_evidence_add(s, 0, id, "raw_mail", NULL, "message/rfc822",
		    raw, len, keep, NULL, NULL) == -1)
			goto rollback;
		/* Requests and replies are acted on in this same transaction. */
		kind = sm.kind;
		if (process_message(pc, m, id, &c, &kind, &qreason) == -1)
			goto rollback;
		if (qreason != NULL) {
			if (store_message_set_kind(s, id, kind, qreason, tokens) == -1 ||
			    quarantine(pc, id, qreason, raw, len, 1, NULL) == -1)
				goto rollback;
			res->kind = kind;
		}
	}
commit:
	if (store_mailbox_set(s, mailbox, uidvalidity, uid) == -1 ||
	    store_commit(s) == -1)
		goto rollback;
	ret = 0;
	goto out;
rollback:
	store_rollback(s);
out:
	classification_clear(&c);
	message_free(&m);
	message_free(&hm);
	free(reason);
	free(hreason);
	free(qreason);
	free(tokens);
	free(local);
	return ret;
}

int
intake_process(struct process_ctx *pc, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, const char *raw, size_t len,
    struct intake_result *res)
{
	return record(pc, mailbox, uidvalidity, uid, raw, len, len, 0, res);
}

int
intake_process_oversize(struct process_ctx *pc,
    const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t size,
    const char *header, size_t len, struct intake_result *res)
{
	return record(pc, mailbox, uidvalidity, uid, header, len, size, 1, res);
}

int
intake_reprocess(struct process_ctx *pc, int64_t qid,
    const char *actor, struct intake_result *res, char **why_r)
{
	struct store		*s = pc->store;
	const struct config	*cfg = pc->cfg;
	struct message_limits	 limits = MESSAGE_LIMITS_DEFAULT;
	struct store_quarantine	 q;
	struct classify_ctx	 ctx;
	struct classification	 c;
	struct audit_entry	 e;
	struct message		*m = NULL;
	unsigned char		*raw = NULL;
	size_t			 len = 0;
	char			*reason = NULL, *tokens = NULL, *local = NULL;
	char			*qreason = NULL;
	const char		*kind;
	int			 r, ret = -1;

	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(*res));
	*why_r = NULL;
	if ((r = store_quarantine_get(s, qid, &q)) != 0) {
		*why_r = r == 1 ? xasprintf("no quarantined mail %lld", (long long)qid) :
		    xstrdup("cannot read the quarantine");
		return r == 1 ? 1 : -1;
	}
	if (store_evidence_raw(s, q.message_id, &raw, &len) != 0 || raw == NULL) {
		*why_r = xstrdup("its body was not kept (quarantine full, too "
		    "large, or past retention)");
		ret = 1;
		goto out;
	}
	if (message_parse((char *)raw, len, &limits, &m, &reason) == -1) {
		*why_r = xasprintf("still cannot be processed: %s", reason);
		ret = 1;
		goto out;
	}
	classify_ctx_from(cfg, &ctx, &local);
	classify(&ctx, m, &c);
	tokens = tokens_text(&c);
	res->message_id = q.message_id;
	res->kind = kind_name(c.cls);
	memset(&e, 0, sizeof(e));
	e.event = "reprocess";
	e.actor = actor;
	e.reason = c.why;
	if (store_begin(s) == -1)
		goto out;
	kind = res->kind;
	if (store_message_set_kind(s, q.message_id, res->kind, c.why, tokens) == -1 ||
	    store_quarantine_release(s, qid) == -1 || audit_append(s, &e) == -1 ||
	    process_message(pc, m, q.message_id, &c, &kind, &qreason) == -1)
		goto rollback;
	if (qreason != NULL) {
		/* Refused again by the workflow: back in quarantine. */
		if (store_message_set_kind(s, q.message_id, kind, qreason, tokens) == -1 ||
		    store_quarantine_add(s, q.message_id, qreason, NULL) == -1)
			goto rollback;
		*why_r = xstrdup(qreason);
		ret = 1;
	} else
		ret = 0;
	if (store_commit(s) == -1) {
		ret = -1;
		goto out;
	}
	goto out;
rollback:
	store_rollback(s);
out:
	free(qreason);
	store_quarantine_clear(&q);
	classification_clear(&c);
	message_free(&m);
	free(raw);
	free(reason);
	free(tokens);
	free(local);
	return ret;
}

/* Flag what this batch committed: \Seen, then the move. A failure here
 * loses nothing: the messages stay unflagged in the store and are flagged
 * on the next run. */
static int
flag_done(struct intake *in)
{
	const char	*folder = in->cfg->imap.processed_folder;
	char		*err = NULL;
	size_t		 i;
	int		 ret = -1;

	if (in->ndone == 0)
		return 0;
	crashpoint("before_flag");
	if (imap_mark_seen(in->imap, in->done_uids, in->ndone, &err) == -1 ||
	    (folder != NULL &&
	    imap_move(in->imap, in->done_uids, in->ndone, folder, &err) == -1)) {
		disconnect(in, err);
		goto out;
	}
	if (store_begin(in->store) == -1)
		goto out;
	for (i = 0; i < in->ndone; i++)
		if (store_message_set_flagged(in->store, in->done_ids[i]) == -1) {
			store_rollback(in->store);
			goto out;
		}
	if (store_commit(in->store) == -1)
		goto out;
	ret = 0;
out:
	in->ndone = 0;
	free(err);
	return ret;
}

static void
add_done(struct intake *in, uint32_t uid, int64_t id)
{
	if (in->ndone == in->capdone) {
		in->capdone = in->capdone ? in->capdone * 2 : 64;
		in->done_uids = xreallocarray(in->done_uids, in->capdone,
		    sizeof(*in->done_uids));
		in->done_ids = xreallocarray(in->done_ids, in->capdone,
		    sizeof(*in->done_ids));
	}
	in->done_uids[in->ndone] = uid;
	in->done_ids[in->ndone] = id;
	in->ndone++;
}

struct fetch_arg {
	struct intake	*in;
	int		 failed;
};

struct header_arg {
	struct fetch_arg	 fa;
	uint64_t		 size;	/* RFC822.SIZE */
};

static int
on_message(uint32_t uid, const char *data, size_t len, void *arg)
{
	struct fetch_arg	*fa = arg;
	struct intake		*in = fa->in;
	struct intake_result	 res;

	crashpoint("after_fetch");
	if (intake_process(in->pc, in->cfg->imap.mailbox,
	    in->uidvalidity, uid, data, len, &res) == -1) {
		fa->failed = 1;
		return -1;	/* stop: the rest is taken on the next run */
	}
	crashpoint("after_commit");
	log_debug("imap: UID %u: %s (message %lld)", uid, res.kind,
	    (long long)res.message_id);
	add_done(in, uid, res.message_id);
	return 0;
}

static int
on_header(uint32_t uid, const char *data, size_t len, void *arg)
{
	struct header_arg	*ha = arg;
	struct intake		*in = ha->fa.in;
	struct intake_result	 res;
	uint64_t		 size = ha->size;

	if (intake_process_oversize(in->pc, in->cfg->imap.mailbox,
	    in->uidvalidity, uid, size, data, len, &res) == -1) {
		ha->fa.failed = 1;
		return -1;
	}
	log_info("imap: UID %u is %llu bytes, over max_message_size: recorded "
	    "without its body", uid, (unsigned long long)size);
	add_done(in, uid, res.message_id);
	return 0;
}

/* Messages committed before a crash but never flagged. */
static int
reflag(struct intake *in)
{
	uint32_t	*uids = NULL;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 ret;

	if (store_messages_unflagged(in->store, in->cfg->imap.mailbox,
	    in->uidvalidity, &uids, &ids, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		add_done(in, uids[i], ids[i]);
	ret = flag_done(in);
	free(uids);
	free(ids);
	return ret;
}

int
intake_run(struct intake *in)
{
	const struct config	*cfg = in->cfg;
	struct imap_msginfo	*list = NULL;
	struct fetch_arg	 fa;
	struct header_arg	 ha;
	uint32_t		 known_uv, last = 0, *batch = NULL;
	size_t			 n = 0, i, j, nb;
	uint64_t		 bytes;
	char			*err = NULL;
	int			 r, ret = -1;

	if (in->imap == NULL && connect_imap(in) == -1)
		return -1;
	ret = -2;	/* until the IMAP part below fails or all is done */
	r = store_mailbox_get(in->store, cfg->imap.mailbox, &known_uv, &last);
	if (r == -1)
		goto out;
	if (r == 1 || known_uv != in->uidvalidity) {
		if (r == 0)
			log_warnx("imap: UIDVALIDITY of %s changed from %u to %u: "
			    "scanning it again (mail taken in before is recognised "
			    "by Message-ID and body)", cfg->imap.mailbox, known_uv,
			    in->uidvalidity);
		last = 0;
		if (store_mailbox_set(in->store, cfg->imap.mailbox,
		    in->uidvalidity, 0) == -1)
			goto out;
	}
	if (reflag(in) == -1) {
		ret = in->imap == NULL ? -1 : -2;
		goto out;
	}
	memset(&fa, 0, sizeof(fa));
	fa.in = in;
	batch = xreallocarray(NULL, INTAKE_FETCH_COUNT, sizeof(*batch));
	for (;;) {
		free(list);
		list = NULL;
		if (imap_list_new(in->imap, last, INTAKE_LIST_BATCH, &list, &n,
		    &err) == -1) {
			disconnect(in, err);
			ret = -1;
			goto out;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i = j) {
			/* One oversize message alone; others in batches. */
			if (list[i].size > cfg->request.max_message_size) {
				memset(&ha, 0, sizeof(ha));
				ha.fa.in = in;
				ha.size = list[i].size;
				if (imap_fetch_header(in->imap, list[i].uid, on_header,
				    &ha, &err) == -1) {
					if (!ha.fa.failed) {
						disconnect(in, err);
						ret = -1;
					}
					goto flag_out;
				}
				j = i + 1;
			} else {
				nb = 0;
				bytes = 0;
				for (j = i; j < n && nb < INTAKE_FETCH_COUNT &&
				    list[j].size <= cfg->request.max_message_size &&
				    (nb == 0 || bytes + list[j].size <= INTAKE_FETCH_BYTES);
				    j++) {
					batch[nb++] = list[j].uid;
					bytes += list[j].size;
				}
				if (imap_fetch(in->imap, batch, nb, on_message, &fa,
				    &err) == -1) {
					if (!fa.failed) {
						disconnect(in, err);
						ret = -1;
					}
					goto flag_out;
				}
			}
			last = list[j - 1].uid;
			if (flag_done(in) == -1) {
				ret = in->imap == NULL ? -1 : -2;
				goto out;
			}
			/* SIGTERM finishes the batch, not a whole backlog. */
			if (in->stop != NULL && *in->stop)
				goto done;
		}
	}
done:
	ret = 0;
	goto out;
flag_out:
	if (in->imap != NULL)
		flag_done(in);
out:
	in->ndone = 0;
	free(err);
	free(list);
	free(batch);
	return ret;
}

int
intake_wait(struct intake *in, int wake_fd, int timeout_ms)
{
	struct pollfd	 pfd;
	char		*err = NULL;
	int64_t		 until_retry;
	int		 r;

	if (in->imap != NULL && in->cfg->daemon.idle && imap_has_idle(in->imap)) {
		if (timeout_ms > INTAKE_IDLE_MAX_MS)
			timeout_ms = INTAKE_IDLE_MAX_MS;
		r = imap_idle(in->imap, wake_fd, timeout_ms, &err);
		if (r == -1) {
			disconnect(in, err);
			free(err);
			in->retry_at = 0;	/* reconnect at once: IDLE just broke */
			return 1;
		}
		return r;
	}
	if (in->imap == NULL && in->retry_at > 0) {
		until_retry = (in->retry_at - (int64_t)now()) * 1000;
		if (until_retry < 0)
			until_retry = 0;
		if (until_retry < timeout_ms)
			timeout_ms = (int)until_retry;
	}
	pfd.fd = wake_fd;
	pfd.events = POLLIN;
	r = poll(&pfd, wake_fd == -1 ? 0 : 1, timeout_ms);
	if (r == -1 && errno != EINTR)
		log_warn("poll");
	return r > 0 ? 2 : 0;
}
