/* cabutctl: the admin's tool. Thin: parse the arguments, call the modules. */
#include "autoconf.h"
#include "config.h"
#include "util.h"
#include "log.h"
#include "store.h"
#include "audit.h"
#include "json.h"
#include "states.h"
#include "priv.h"
#include "intake.h"
#include "process.h"
#include "registry.h"
#include "request.h"
#include "localca.h"
#include "revoke.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/cabut/cabut.conf"

struct ctl {
	struct config	*cfg;
	struct store	*store;
	const char	*actor;		/* "admin:LOGIN" */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: cabutctl [-c FILE] COMMAND ...\n"
	    "commands:\n"
	    "  init\n"
	    "  list [--state STATE] [--json]\n"
	    "  show ID [--json]\n"
	    "  log [--json] [--verify [--head SEQ:MAC]]\n"
	    "  quarantine [--json]\n"
	    "  reprocess ID\n"
	    "  registry import FILE.pem ... [--username NAME]\n"
	    "  registry show SERIAL [--json]\n"
	    "  request add --serial SERIAL --reason REASON --letter FILE [--note TEXT]\n"
	    "  approve ID [--note TEXT]\n"
	    "  reject ID --reason TEXT\n"
	    "  retry ID\n"
	    "  report [--since YYYY-MM-DD] [--html FILE]\n"
	    "  ca issue --subject DN --email ADDR [--username NAME] [--days N]\n"
	    "           [--key-out FILE]\n"
	    "  ca crl\n");
	exit(EXIT_USAGE);
}

/* Text output goes to a terminal: never pass control characters on. */
static void
print_safe(FILE *f, const char *s)
{
	const unsigned char	*p;

	if (s == NULL) {
		fputs("-", f);
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void
print_time(FILE *f, int64_t t)
{
	char	 ts[21];

	if (t == 0) {
		fputs("-", f);
		return;
	}
	time_rfc3339((time_t)t, ts);
	fputs(ts, f);
}

static int
parse_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

static void
open_store(struct ctl *c, int flags)
{
	char	*err = NULL;

	if (store_open(c->cfg->daemon.state_dir, flags, &c->store, &err) == -1) {
		fprintf(stderr, "cabutctl: %s\n", err);
		free(err);
		exit(EXIT_CONFIG);
	}
}

/* init: state directory, keys, database. Never overwrites anything. */
static int	open_process(struct ctl *, struct process_ctx *);

static int
make_key(const char *path, int *created, char **error_r)
{
	unsigned char	 key[STORE_KEY_LEN];
	int		 r;

	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		*error_r = xasprintf("%s: no random bytes", path);
		return -1;
	}
	r = file_create_excl(path, 0600, key, sizeof(key), error_r);
	OPENSSL_cleanse(key, sizeof(key));
	if (r == 0)
		*created = 1;
	return r == -1 ? -1 : 0;
}

static int
cmd_init(struct ctl *c, int argc, char **argv)
{
	const char		*dir = c->cfg->daemon.state_dir;
	struct audit_entry	 e;
	struct stat		 sb;
	char			*path, *err = NULL;
	int			 created = 0, db_existed;
	uid_t			 uid;
	gid_t			 gid;

	if (argc != 1)
		usage();
	/* Before anything is made: an account that cannot be used. */
	if (geteuid() == 0 && priv_check(c->cfg->daemon.user, &err) == -1)
		goto fail;
	if (mkdir(dir, 0700) == 0) {
		created = 1;
		printf("created %s\n", dir);
	} else if (errno != EEXIST) {
		fprintf(stderr, "cabutctl: cannot create the state directory %s: %s\n",
		    dir, strerror(errno));
		return EXIT_CONFIG;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "cabutctl: %s: not a directory\n", dir);
		return EXIT_CONFIG;
	}
	if (geteuid() == 0) {
		if (priv_lookup(c->cfg->daemon.user, &uid, &gid, &err) == -1)
			goto fail;
		if (created && chown(dir, uid, gid) == -1) {
			err = xasprintf("chown %s: %s", dir, strerror(errno));
			goto fail;
		}
		if (sb.st_uid != uid && !created) {
			err = xasprintf("%s is owned by uid %lu, not by %s; "
			    "fix it by hand (cabutctl init changes nothing that exists)",
			    dir, (unsigned long)sb.st_uid, c->cfg->daemon.user);
			goto fail;
		}
		/* Everything inside is made by the daemon's user. */
		if (priv_drop(c->cfg->daemon.user, &err) == -1)
			goto fail;
	}
	if (!created && (sb.st_mode & 077))
		fprintf(stderr, "cabutctl: warning: %s has mode %04o; 0700 is "
		    "expected (it holds keys and personal data)\n", dir,
		    (unsigned)(sb.st_mode & 07777));

	path = xasprintf("%s/%s", dir, STORE_AUDIT_KEY_NAME);
	if (make_key(path, &created, &err) == -1) {
		free(path);
		goto fail;
	}
	free(path);
	if (make_key(c->cfg->op.token_key_file, &created, &err) == -1)
		goto fail;
	/* The embedded default: a local CA of cabut's own. */
	if (c->cfg->ca.backend == BACKEND_LOCAL) {
		int	 r = localca_create(c->cfg->ca.dir, "cabut local CA",
		    3650, &err);

		struct localca	*ca = NULL;
		uint64_t	 number = 0;

		if (r == -1)
			goto fail;
		if (r == 1) {
			created = 1;
			printf("created the local CA in %s\n", c->cfg->ca.dir);
		}
		/* A CRL from the start, so one can be published before the
		 * first revocation; none is made when one is there. */
		if (localca_open(c->cfg->ca.dir, c->cfg->ca.crl_days, &ca,
		    &err) == -1)
			goto fail;
		r = localca_crl(ca, (int64_t)now(), 0, &number, NULL, &err);
		localca_close(&ca);
		if (r == -1)
			goto fail;
		if (r == 1)
			printf("issued CRL %" PRIu64 " in %s\n", number,
			    c->cfg->ca.dir);
	}

	path = xasprintf("%s/%s", dir, STORE_DB_NAME);
	db_existed = access(path, F_OK) == 0;
	free(path);
	open_store(c, STORE_CREATE);
	if (!db_existed) {
		created = 1;
		memset(&e, 0, sizeof(e));
		e.event = "init";
		e.actor = c->actor;
		e.reason = "state directory initialised";
		if (store_begin(c->store) == -1 || audit_append(c->store, &e) == -1 ||
		    store_commit(c->store) == -1) {
			err = xstrdup("cannot write the first audit entry");
			goto fail;
		}
	}
	printf(created ? "initialised %s\n" : "%s was already initialised; "
	    "nothing changed\n", dir);
	return 0;
fail:
	fprintf(stderr, "cabutctl: init: %s\n", err);
	free(err);
	return EXIT_CONFIG;
}

static void
request_json(struct json *j, const struct store_request *r)
{
	json_key(j, "id");		json_int(j, r->id);
	json_key(j, "state");		json_string(j, r->state);
	json_key(j, "serial");		json_string(j, r->serial);
	json_key(j, "issuer");		json_string(j, r->issuer);
	json_key(j, "subject_dn");	json_string(j, r->subject_dn);
	json_key(j, "reason");		json_string(j, r->reason);
	json_key(j, "requester");	json_string(j, r->requester);
	json_key(j, "authenticated_by");	json_string(j, r->authenticated_by);
	json_key(j, "entered_by");	json_string(j, r->entered_by);
	json_key(j, "joined_to");
	if (r->joined_to)
		json_int(j, r->joined_to);
	else
		json_null(j);
	json_key(j, "approvals");	json_int(j, r->approvals);
	json_key(j, "created");		json_time(j, r->created);
	json_key(j, "updated");		json_time(j, r->updated);
}

static int
list_json_cb(const struct store_request *r, void *arg)
{
	struct json	*j = arg;

	json_object_begin(j);
	request_json(j, r);
	json_object_end(j);
	return 0;
}

static int
list_text_cb(const struct store_request *r, void *arg)
{
	printf("%-6" PRId64 " %-22s ", r->id, r->state);
	print_safe(stdout, r->serial);
	fputc(' ', stdout);
	print_safe(stdout, r->reason);
	fputc(' ', stdout);
	print_safe(stdout, r->requester);
	fputc(' ', stdout);
	print_time(stdout, r->updated);
	fputc('\n', stdout);
	return 0;
}

static void
emit_json(struct json *j)
{
	char	*text = json_finish(j);

	fputs(text, stdout);
	free(text);
}

static int
cmd_list(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*state = NULL;
	struct json	 j;
	int		 ch, as_json = 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (state != NULL && !state_valid(state)) {
		fprintf(stderr, "cabutctl: unknown state '%s'\n", state);
		return EXIT_USAGE;
	}
	open_store(c, 0);
	if (as_json) {
		json_init(&j, 1);
		json_array_begin(&j);
		r = store_request_foreach(c->store, state, list_json_cb, &j);
		json_array_end(&j);
		emit_json(&j);
	} else
		r = store_request_foreach(c->store, state, list_text_cb, NULL);
	return r == 0 ? 0 : EXIT_SOFTWARE;
}

static int
step_json_cb(const struct store_step *s, void *arg)
{
	struct json	*j = arg;

	json_object_begin(j);
	json_key(j, "step");	json_int(j, s->step);
	json_key(j, "started");	json_time(j, s->started);
	json_key(j, "ended");	json_time(j, s->ended);
	json_key(j, "actor");	json_string(j, s->actor);
	json_object_end(j);
	return 0;
}

static int
step_text_cb(const struct store_step *s, void *arg)
{
	printf("  step %d  ", s->step);
	print_time(stdout, s->started);
	fputs(" .. ", stdout);
	print_time(stdout, s->ended);
	fputs("  ", stdout);
	print_safe(stdout, s->actor);
	fputc('\n', stdout);
	return 0;
}

static void
entry_json(struct json *j, const struct audit_entry *e)
{
	json_object_begin(j);
	json_key(j, "seq");		json_int(j, e->seq);
	json_key(j, "at");		json_time(j, e->at);
	json_key(j, "request");
	if (e->request_id)
		json_int(j, e->request_id);
	else
		json_null(j);
	json_key(j, "event");		json_string(j, e->event);
	json_key(j, "from");		json_string(j, e->from_state);
	json_key(j, "to");		json_string(j, e->to_state);
	json_key(j, "actor");		json_string(j, e->actor);
	json_key(j, "reason");		json_string(j, e->reason);
	json_key(j, "data_hash");	json_string(j, e->data_hash);
	json_key(j, "mac");		json_string(j, e->mac);
	json_object_end(j);
}

static int
entry_json_cb(const struct audit_entry *e, void *arg)
{
	entry_json(arg, e);
	return 0;
}

static int
entry_text_cb(const struct audit_entry *e, void *arg)
{
	printf("%-6" PRId64 " ", e->seq);
	print_time(stdout, e->at);
	if (e->request_id)
		printf(" #%" PRId64, e->request_id);
	else
		fputs(" -", stdout);
	fputc(' ', stdout);
	print_safe(stdout, e->event);
	if (e->from_state != NULL || e->to_state != NULL) {
		fputc(' ', stdout);
		print_safe(stdout, e->from_state);
		fputs(" -> ", stdout);
		print_safe(stdout, e->to_state);
	}
	fputs(" by ", stdout);
	print_safe(stdout, e->actor);
	if (e->reason != NULL) {
		fputs(": ", stdout);
		print_safe(stdout, e->reason);
	}
	fputc('\n', stdout);
	return 0;
}

/* The rest of a request's history, straight from the store: its
 * revocation, every mail out, the evidence kept. Column names ending in
 * "_at" are times. */
struct section {
	const char	*title;
	const char	*sql;		/* ?1 is the request */
	const char	*cols[12];	/* NULL-terminated */
};

static const struct section show_sections[] = {
	{ "revocation", "SELECT backend, started AS started_at, attempts,"
	    " failures, last_error, done AS done_at, done_by, revoked_at,"
	    " reason_code, detail, crl_seen AS crl_seen_at FROM revocations"
	    " WHERE request_id = ?1",
	    { "backend", "started_at", "attempts", "failures", "last_error",
	    "done_at", "done_by", "revoked_at", "reason_code", "detail",
	    "crl_seen_at", NULL } },
	{ "mails", "SELECT kind, recipient, state, created AS created_at,"
	    " sent AS sent_at, attempts, last_error, message_id FROM outbox"
	    " WHERE request_id = ?1 ORDER BY id",
	    { "kind", "recipient", "state", "created_at", "sent_at", "attempts",
	    "last_error", "message_id", NULL } },
	{ "evidence", "SELECT kind, name, content_type, size, lower(hex(sha256)),"
	    " created AS created_at, data IS NOT NULL FROM evidence"
	    " WHERE request_id = ?1 ORDER BY id",
	    { "kind", "name", "content_type", "size", "sha256", "created_at",
	    "kept", NULL } },
};

static int
is_time_col(const char *name)
{
	size_t	 n = strlen(name);

	return n > 3 && strcmp(name + n - 3, "_at") == 0;
}

static void
show_section(struct ctl *c, const struct section *sec, int64_t id,
    struct json *j)
{
	sqlite3_stmt	*st = store_prepare(c->store, sec->sql);
	int		 i;

	sqlite3_bind_int64(st, 1, id);
	if (j != NULL) {
		json_key(j, sec->title);
		json_array_begin(j);
	} else
		printf("%s:\n", sec->title);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (j != NULL)
			json_object_begin(j);
		else
			fputs(" ", stdout);
		for (i = 0; sec->cols[i] != NULL; i++) {
			const char	*name = sec->cols[i];
			int		 null = sqlite3_column_type(st, i) == SQLITE_NULL;

			if (j != NULL) {
				json_key(j, name);
				if (null)
					json_null(j);
				else if (is_time_col(name))
					json_time(j, sqlite3_column_int64(st, i));
				else if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
					json_int(j, sqlite3_column_int64(st, i));
				else
					json_string(j, store_col_text(st, i));
				continue;
			}
			if (null)
				continue;
			printf(" %s=", name);
			if (is_time_col(name))
				print_time(stdout, sqlite3_column_int64(st, i));
			else
				print_safe(stdout, store_col_text(st, i));
		}
		if (j != NULL)
			json_object_end(j);
		else
			fputs("\n", stdout);
	}
	sqlite3_finalize(st);
	if (j != NULL)
		json_array_end(j);
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_request	 r;
	struct json		 j;
	int64_t			 id;
	size_t			 i;
	int			 ch, as_json = 0, found;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			usage();
		as_json = 1;
	}
	if (optind != argc - 1 || parse_id(argv[optind], &id) == -1)
		usage();
	open_store(c, 0);
	if ((found = store_request_get(c->store, id, &r)) != 0) {
		if (found == 1)
			fprintf(stderr, "cabutctl: no request %" PRId64 "\n", id);
		return found == 1 ? 1 : EXIT_SOFTWARE;
	}
	if (as_json) {
		json_init(&j, 1);
		json_object_begin(&j);
		request_json(&j, &r);
		json_key(&j, "steps");
		json_array_begin(&j);
		store_step_foreach(c->store, id, step_json_cb, &j);
		json_array_end(&j);
		json_key(&j, "history");
		json_array_begin(&j);
		audit_foreach(c->store, id, entry_json_cb, &j);
		json_array_end(&j);
		for (i = 0; i < sizeof(show_sections) / sizeof(show_sections[0]); i++)
			show_section(c, &show_sections[i], id, &j);
		json_object_end(&j);
		emit_json(&j);
	} else {
		printf("request %" PRId64 ": %s\n", r.id, r.state);
		fputs("  serial     ", stdout); print_safe(stdout, r.serial);
		fputs("\n  issuer     ", stdout); print_safe(stdout, r.issuer);
		fputs("\n  subject    ", stdout); print_safe(stdout, r.subject_dn);
		fputs("\n  reason     ", stdout); print_safe(stdout, r.reason);
		fputs("\n  requester  ", stdout); print_safe(stdout, r.requester);
		fputs("\n  authenticated by ", stdout);
		print_safe(stdout, r.authenticated_by);
		printf("\n  approvals  %d\n  created    ", r.approvals);
		print_time(stdout, r.created);
		fputs("\n  updated    ", stdout);
		print_time(stdout, r.updated);
		fputs("\nSOP steps:\n", stdout);
		store_step_foreach(c->store, id, step_text_cb, NULL);
		fputs("history:\n", stdout);
		audit_foreach(c->store, id, entry_text_cb, NULL);
		for (i = 0; i < sizeof(show_sections) / sizeof(show_sections[0]); i++)
			show_section(c, &show_sections[i], id, NULL);
	}
	store_request_clear(&r);
	return 0;
}

static int
cmd_log(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "head", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_head	 anchor, head, *ap = NULL;
	struct json		 j;
	const char		*head_arg = NULL;
	char			*why = NULL, *err = NULL;
	int64_t			 bad;
	int			 ch, as_json = 0, verify = 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verify = 1;
			break;
		case 'h':
			head_arg = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (head_arg != NULL && !verify))
		usage();
	if (head_arg != NULL) {
		if (audit_head_parse(head_arg, &anchor) == -1) {
			fprintf(stderr, "cabutctl: --head: expected SEQ:MAC as "
			    "logged by cabutd\n");
			return EXIT_USAGE;
		}
		ap = &anchor;
	}
	open_store(c, 0);
	if (!verify) {
		if (as_json) {
			json_init(&j, 1);
			json_array_begin(&j);
			r = audit_foreach(c->store, 0, entry_json_cb, &j);
			json_array_end(&j);
			emit_json(&j);
		} else
			r = audit_foreach(c->store, 0, entry_text_cb, NULL);
		return r == 0 ? 0 : EXIT_SOFTWARE;
	}

	/* Without --head, the last head cabutd logged (kept in audit.head). */
	if (ap == NULL) {
		r = audit_head_read_file(c->cfg->daemon.state_dir, &anchor, &err);
		if (r == -1) {
			fprintf(stderr, "cabutctl: %s\n", err);
			free(err);
			return 1;
		}
		if (r == 0)
			ap = &anchor;
	}
	r = audit_verify(c->store, ap, &bad, &why);
	if (r == -1) {
		fprintf(stderr, "cabutctl: log --verify: %s\n", why);
		free(why);
		return EXIT_SOFTWARE;
	}
	if (r == 1) {
		printf("audit log BROKEN at entry %" PRId64 ": %s\n", bad, why);
		free(why);
		return 1;
	}
	if (audit_head(c->store, &head) == -1)
		return EXIT_SOFTWARE;
	printf("audit log intact: %" PRId64 " entries, head %" PRId64 ":%s",
	    head.seq, head.seq, head.mac);
	if (ap != NULL)
		printf(" (checked against the head %" PRId64 ":%.16s... logged "
		    "earlier)", ap->seq, ap->mac);
	fputc('\n', stdout);
	return 0;
}

static int
quarantine_json_cb(const struct store_quarantine *q, void *arg)
{
	struct json	*j = arg;

	json_object_begin(j);
	json_key(j, "id");		json_int(j, q->id);
	json_key(j, "message");		json_int(j, q->message_id);
	json_key(j, "created");		json_time(j, q->created);
	json_key(j, "sender");		json_string(j, q->sender);
	json_key(j, "subject");		json_string(j, q->subject);
	json_key(j, "size");		json_int(j, q->size);
	json_key(j, "body_kept");	json_bool(j, q->body_kept);
	json_key(j, "reason");		json_string(j, q->reason);
	json_object_end(j);
	return 0;
}

static int
quarantine_text_cb(const struct store_quarantine *q, void *arg)
{
	printf("%-6" PRId64 " ", q->id);
	print_time(stdout, q->created);
	printf(" %8" PRId64 "%s ", q->size, q->body_kept ? " " : "*");
	print_safe(stdout, q->sender);
	fputs(" \"", stdout);
	print_safe(stdout, q->subject);
	fputs("\": ", stdout);
	print_safe(stdout, q->reason);
	fputc('\n', stdout);
	return 0;
}

static int
cmd_quarantine(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json	 j;
	int		 ch, as_json = 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			usage();
		as_json = 1;
	}
	if (optind != argc)
		usage();
	open_store(c, 0);
	if (as_json) {
		json_init(&j, 1);
		json_array_begin(&j);
		r = store_quarantine_foreach(c->store, quarantine_json_cb, &j);
		json_array_end(&j);
		emit_json(&j);
	} else
		r = store_quarantine_foreach(c->store, quarantine_text_cb, NULL);
	return r == 0 ? 0 : EXIT_SOFTWARE;
}

static int
cmd_reprocess(struct ctl *c, int argc, char **argv)
{
	struct intake_result	 res;
	struct process_ctx	 pc;
	char			*why = NULL;
	int64_t			 id;
	int			 r;

	if (argc != 2 || parse_id(argv[1], &id) == -1)
		usage();
	if (open_process(c, &pc) == -1)
		return EXIT_CONFIG;
	r = intake_reprocess(&pc, id, c->actor, &res, &why);
	process_free(&pc);
	if (r == 0) {
		printf("quarantined mail %" PRId64 " processed again: %s\n", id,
		    res.kind);
		return 0;
	}
	fprintf(stderr, "cabutctl: reprocess %" PRId64 ": %s\n", id,
	    why ? why : "store error");
	free(why);
	return r == 1 ? 1 : EXIT_SOFTWARE;
}

static void
cert_json(struct json *j, const struct registry_cert *rc)
{
	json_object_begin(j);
	json_key(j, "issuer");		json_string(j, rc->issuer);
	json_key(j, "serial");		json_string(j, rc->serial);
	json_key(j, "subject_dn");	json_string(j, rc->subject_dn);
	json_key(j, "email");		json_string(j, rc->email);
	json_key(j, "username");	json_string(j, rc->username);
	json_key(j, "not_before");	json_time(j, rc->not_before);
	json_key(j, "not_after");	json_time(j, rc->not_after);
	json_key(j, "revoked");		json_time(j, rc->revoked);
	json_object_end(j);
}

static int
cert_json_cb(const struct registry_cert *rc, void *arg)
{
	cert_json(arg, rc);
	return 0;
}

static int
cert_text_cb(const struct registry_cert *rc, void *arg)
{
	fputs("serial     ", stdout); print_safe(stdout, rc->serial);
	fputs("\nissuer     ", stdout); print_safe(stdout, rc->issuer);
	fputs("\nsubject    ", stdout); print_safe(stdout, rc->subject_dn);
	fputs("\nemail      ", stdout); print_safe(stdout, rc->email);
	fputs("\nusername   ", stdout); print_safe(stdout, rc->username);
	fputs("\nvalid      ", stdout); print_time(stdout, rc->not_before);
	fputs(" .. ", stdout); print_time(stdout, rc->not_after);
	fputs("\nrevoked    ", stdout); print_time(stdout, rc->revoked);
	fputs("\n\n", stdout);
	return 0;
}

static int
cmd_registry(struct ctl *c, int argc, char **argv)
{
	static const struct option	 iopts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*username = NULL;
	struct json	 j;
	char		*err = NULL, *serial = NULL;
	int		 ch, i, n, total = 0, as_json = 0, r;

	if (argc < 2)
		usage();
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", iopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			username = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		default:
			usage();
		}
	}
	if (strcmp(argv[0], "import") == 0) {
		if (optind >= argc || as_json)
			usage();
		open_store(c, 0);
		for (i = optind; i < argc; i++) {
			if (registry_import_pem(c->store, argv[i], username, &n,
			    &err) == -1) {
				fprintf(stderr, "cabutctl: registry import: %s\n", err);
				free(err);
				return 1;
			}
			total += n;
		}
		printf("imported %d certificate(s)\n", total);
		return 0;
	}
	if (strcmp(argv[0], "show") == 0) {
		if (optind != argc - 1 || username != NULL)
			usage();
		if (request_serial_normalise(argv[optind], &serial) == -1) {
			fprintf(stderr, "cabutctl: '%s' is not a serial number\n",
			    argv[optind]);
			return EXIT_USAGE;
		}
		open_store(c, 0);
		if (as_json) {
			json_init(&j, 1);
			json_array_begin(&j);
			r = registry_foreach_serial(c->store, serial, cert_json_cb, &j);
			json_array_end(&j);
			emit_json(&j);
		} else
			r = registry_foreach_serial(c->store, serial, cert_text_cb, NULL);
		free(serial);
		if (r == 0)
			fprintf(stderr, "cabutctl: no certificate with serial %s\n",
			    argv[optind]);
		return r > 0 ? 0 : r == 0 ? 1 : EXIT_SOFTWARE;
	}
	usage();
}

/* The store and what acting on requests needs (libmagic, the token
 * key), for the commands that change requests. */
static int
open_process(struct ctl *c, struct process_ctx *pc)
{
	char	*err = NULL;

	open_store(c, 0);
	if (process_init(pc, c->cfg, c->store, &err) == -1) {
		fprintf(stderr, "cabutctl: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

/* Tell a running cabutd to act now (SIGUSR1 to the PID in cabutd.pid). */
static void
wake_daemon(struct ctl *c)
{
	char		*path, buf[32], *end;
	FILE		*f;
	long		 pid;

	path = xasprintf("%s/cabutd.pid", c->cfg->daemon.state_dir);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL) {
			pid = strtol(buf, &end, 10);
			if (pid > 1 && (*end == '\n' || *end == '\0'))
				kill((pid_t)pid, SIGUSR1);
		}
		fclose(f);
	}
	free(path);
}

static int
cmd_request(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "serial", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "letter", required_argument, NULL, 'l' },
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct process_ctx	 pc;
	const char		*serial = NULL, *reason = NULL, *letter = NULL;
	const char		*note = NULL;
	char			*err = NULL;
	int64_t			 id;
	int			 ch, r;

	if (argc < 2 || strcmp(argv[1], "add") != 0)
		usage();
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': serial = optarg; break;
		case 'r': reason = optarg; break;
		case 'l': letter = optarg; break;
		case 'n': note = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || serial == NULL || reason == NULL || letter == NULL)
		usage();
	if (open_process(c, &pc) == -1)
		return EXIT_CONFIG;
	r = process_request_add(&pc, serial, reason, letter, note, c->actor, &id,
	    &err);
	process_free(&pc);
	if (r == -1) {
		fprintf(stderr, "cabutctl: request add: %s\n", err);
		free(err);
		return 1;
	}
	printf("request %" PRId64 " entered; approval mails are queued\n", id);
	wake_daemon(c);
	return 0;
}

static int
cmd_decide(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct process_ctx	 pc;
	const char		*note = NULL, *reason = NULL;
	int64_t			 id;
	int			 ch, approve = strcmp(argv[0], "approve") == 0, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			note = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || parse_id(argv[optind], &id) == -1 ||
	    (approve && reason != NULL) || (!approve && note != NULL) ||
	    (!approve && (reason == NULL || *reason == '\0')))
		usage();
	if (open_process(c, &pc) == -1)
		return EXIT_CONFIG;
	if (store_begin(c->store) == -1) {
		process_free(&pc);
		return EXIT_SOFTWARE;
	}
	r = process_decide(&pc, id, approve ? REPLY_APPROVE : REPLY_REJECT,
	    c->actor, approve ? note : reason, 0, 1);
	if (r == 0 && store_commit(c->store) == -1)
		r = -1;
	if (r != 0)
		store_rollback(c->store);
	process_free(&pc);
	if (r == 1) {
		fprintf(stderr, "cabutctl: request %" PRId64 " is not pending "
		    "approval\n", id);
		return 1;
	}
	if (r == -1)
		return EXIT_SOFTWARE;
	printf("request %" PRId64 " %s by %s\n", id, approve ? "approved" :
	    "rejected", c->actor);
	wake_daemon(c);
	return 0;
}

static int
audit_issue(struct ctl *c, const char *serial, const char *subject)
{
	struct audit_entry	 e;
	char			*why;
	int			 r;

	why = xasprintf("certificate %s issued by the local CA for %s", serial,
	    subject);
	memset(&e, 0, sizeof(e));
	e.event = "ca-issue";
	e.actor = c->actor;
	e.reason = why;
	r = audit_append(c->store, &e);
	free(why);
	return r;
}

/* SOP standard times, minutes, steps 1-9 (seed/: the SOP's table). */
static const int sop_minutes[10] = { 0, 15, 1, 1, 1, 5, 1, 1, 1, 1 };

static void
html_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

/* report: for each SOP step, how many requests went through it (since a
 * date), the mean and the longest time it took, and how many took longer
 * than the SOP's standard time. */
static int
cmd_report(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "html", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*html = NULL;
	sqlite3_stmt	*st;
	struct tm	 tm;
	char		*end, since_text[21];
	int64_t		 since = 0, n, open_n, over;
	double		 mean, longest;
	FILE		*f = NULL;
	int		 ch, step, fd;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			memset(&tm, 0, sizeof(tm));
			end = strptime(optarg, "%Y-%m-%d", &tm);
			if (end == NULL || *end != '\0')
				usage();
			since = (int64_t)timegm(&tm);
			break;
		case 'h':
			html = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	open_store(c, 0);
	if (html != NULL) {
		if ((fd = open(html, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "cabutctl: report: %s: %s\n", html,
			    strerror(errno));
			return 1;
		}
		time_rfc3339((time_t)since, since_text);
		fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		    "<title>cabut: SOP times</title></head><body>\n"
		    "<h1>Pencabutan sertifikat: waktu per langkah SOP</h1>\n<p>Since ", f);
		html_text(f, since ? since_text : "the start");
		fputs("</p>\n<table border=\"1\">\n<tr><th>step</th><th>requests</th>"
		    "<th>open</th><th>mean s</th><th>longest s</th>"
		    "<th>standard min</th><th>over standard</th></tr>\n", f);
	} else
		printf("%-5s %8s %6s %10s %10s %9s %14s\n", "step", "requests",
		    "open", "mean s", "longest s", "standard", "over standard");
	for (step = 1; step <= 9; step++) {
		st = store_prepare(c->store, "SELECT count(s.ended), count(*) -"
		    " count(s.ended), coalesce(avg(s.ended - s.started), 0),"
		    " coalesce(max(s.ended - s.started), 0),"
		    " coalesce(sum(s.ended - s.started > ?3), 0) FROM request_steps s"
		    " JOIN requests r ON r.id = s.request_id WHERE s.step = ?1 AND"
		    " s.started IS NOT NULL AND r.created >= ?2");
		sqlite3_bind_int(st, 1, step);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int(st, 3, sop_minutes[step] * 60);
		n = open_n = over = 0;
		mean = longest = 0;
		if (sqlite3_step(st) == SQLITE_ROW) {
			n = sqlite3_column_int64(st, 0);
			open_n = sqlite3_column_int64(st, 1);
			mean = sqlite3_column_double(st, 2);
			longest = sqlite3_column_double(st, 3);
			over = sqlite3_column_int64(st, 4);
		}
		sqlite3_finalize(st);
		if (f != NULL)
			fprintf(f, "<tr><td>%d</td><td>%" PRId64 "</td><td>%" PRId64
			    "</td><td>%.1f</td><td>%.0f</td><td>%d</td><td>%" PRId64
			    "</td></tr>\n", step, n, open_n, mean, longest,
			    sop_minutes[step], over);
		else
			printf("%-5d %8" PRId64 " %6" PRId64 " %10.1f %10.0f %6d min"
			    " %14" PRId64 "\n", step, n, open_n, mean, longest,
			    sop_minutes[step], over);
	}
	if (f != NULL) {
		fputs("</table>\n</body></html>\n", f);
		if (fclose(f) != 0) {
			fprintf(stderr, "cabutctl: report: %s: %s\n", html,
			    strerror(errno));
			return 1;
		}
		printf("report written to %s\n", html);
	}
	return 0;
}

static int
cmd_retry(struct ctl *c, int argc, char **argv)
{
	struct process_ctx	 pc;
	int64_t			 id;
	int			 r;

	if (argc != 2 || parse_id(argv[1], &id) == -1)
		usage();
	if (open_process(c, &pc) == -1)
		return EXIT_CONFIG;
	r = revoke_retry(&pc, id, c->actor);
	process_free(&pc);
	if (r == 1) {
		fprintf(stderr, "cabutctl: request %" PRId64 " is not failed\n", id);
		return 1;
	}
	if (r == -1)
		return EXIT_SOFTWARE;
	printf("request %" PRId64 " is revoking again\n", id);
	wake_daemon(c);
	return 0;
}

/* ca issue: the local CA signs a certificate for a holder and the
 * registry records it; ca crl: where the current CRL is. This runs in
 * the admin's process, which reads no mail. */
static int
cmd_ca(struct ctl *c, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, 'e' },
		{ "username", required_argument, NULL, 'u' },
		{ "days", required_argument, NULL, 'd' },
		{ "key-out", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*subject = NULL, *email = NULL, *username = NULL;
	const char	*key_out = NULL, *dir = c->cfg->ca.dir;
	struct localca	*ca = NULL;
	unsigned char	*der = NULL;
	const unsigned char *p;
	size_t		 der_len = 0;
	char		*err = NULL, *serial = NULL, *key_pem = NULL, *end;
	uint64_t	 number;
	int64_t		 this_update, next_update;
	long		 days = 365;
	X509		*x = NULL;
	int		 ch, ret = EXIT_SOFTWARE, key_fd = -1;

	if (c->cfg->ca.backend != BACKEND_LOCAL) {
		fprintf(stderr, "cabutctl: ca: the backend is %s, not local\n",
		    config_backend_name(c->cfg->ca.backend));
		return 1;
	}
	if (argc >= 2 && strcmp(argv[1], "crl") == 0) {
		if (argc != 2)
			usage();
		if (localca_crl_info(dir, &number, &this_update, &next_update,
		    &err) == -1) {
			fprintf(stderr, "cabutctl: ca crl: %s\n", err);
			free(err);
			return 1;
		}
		printf("%s/%s\nnumber %" PRIu64 "\nthis update ", dir,
		    LOCALCA_CRL_PEM, number);
		print_time(stdout, this_update);
		fputs("\nnext update ", stdout);
		print_time(stdout, next_update);
		fputs("\n", stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "issue") != 0)
		usage();
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': subject = optarg; break;
		case 'e': email = optarg; break;
		case 'u': username = optarg; break;
		case 'k': key_out = optarg; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || days < 1 ||
			    days > 3650)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || subject == NULL || email == NULL)
		usage();
	if (!config_addr_valid(email)) {
		fprintf(stderr, "cabutctl: ca issue: '%s' is not an e-mail "
		    "address\n", email);
		return 1;
	}
	/* The key's file first: never a certificate whose key is lost. */
	if (key_out != NULL && (key_fd = open(key_out, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		fprintf(stderr, "cabutctl: ca issue: %s: %s\n", key_out,
		    strerror(errno));
		return 1;
	}
	open_store(c, 0);
	if (localca_open(dir, c->cfg->ca.crl_days, &ca, &err) == -1 ||
	    localca_issue(ca, subject, email, username, (int)days,
	    (int64_t)now(), key_out ? &key_pem : NULL, &serial, &der, &der_len,
	    &err) == -1) {
		fprintf(stderr, "cabutctl: ca issue: %s\n", err);
		ret = 1;
		goto out;
	}
	if (key_out != NULL && (write(key_fd, key_pem, strlen(key_pem)) !=
	    (ssize_t)strlen(key_pem) || fsync(key_fd) == -1)) {
		fprintf(stderr, "cabutctl: ca issue: %s (certificate %s issued; "
		    "its key is not kept)\n", err ? err : key_out, serial);
		ret = 1;
		goto out;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)der_len)) == NULL ||
	    store_begin(c->store) == -1 ||
	    registry_add(c->store, x, username, &err) == -1 ||
	    audit_issue(c, serial, subject) == -1 ||
	    store_commit(c->store) == -1) {
		store_rollback(c->store);
		fprintf(stderr, "cabutctl: ca issue: certificate %s issued but not "
		    "recorded in the registry: %s\n", serial, err ? err : "store error");
		goto out;
	}
	printf("%s\n", serial);
	ret = 0;
out:
	if (key_fd != -1) {
		close(key_fd);
		/* No certificate issued: no empty key file left. */
		if (serial == NULL)
			unlink(key_out);
	}
	X509_free(x);
	localca_close(&ca);
	freezero_str(&key_pem);
	free(der);
	free(serial);
	free(err);
	return ret;
}

static const struct {
	const char	*name;
	int		 (*fn)(struct ctl *, int, char **);
	int		 writes;	/* does its file work as daemon.user */
} commands[] = {
	{ "init", cmd_init, 0 },	/* drops by itself, after mkdir */
	{ "list", cmd_list, 1 },
	{ "show", cmd_show, 1 },
	{ "log", cmd_log, 1 },
	{ "quarantine", cmd_quarantine, 1 },
	{ "reprocess", cmd_reprocess, 1 },
	{ "registry", cmd_registry, 1 },
	{ "request", cmd_request, 1 },
	{ "approve", cmd_decide, 1 },
	{ "reject", cmd_decide, 1 },
	{ "retry", cmd_retry, 1 },
	{ "report", cmd_report, 1 },
	{ "ca", cmd_ca, 1 },
};

int
main(int argc, char **argv)
{
	struct ctl	 c;
	struct passwd	*pw;
	const char	*conffile = DEFAULT_CONFIG, *login;
	char		*errors = NULL, *err = NULL, *actor;
	size_t		 i;
	int		 ch, ret;

	log_init("cabutctl", 1);
	umask(077);	/* the state directory holds keys and personal data */
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "cabutctl: unknown command '%s'\n", argv[0]);
		usage();
	}

	memset(&c, 0, sizeof(c));
	if ((c.cfg = config_load(conffile, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return EXIT_CONFIG;
	}
	/* Who acts: the sudo user, else the login name, else the account. */
	if ((login = getenv("SUDO_USER")) == NULL && (login = getlogin()) == NULL &&
	    (pw = getpwuid(getuid())) != NULL)
		login = pw->pw_name;
	actor = xasprintf("admin:%s", login ? login : "unknown");
	c.actor = actor;
	if (commands[i].writes && priv_drop(c.cfg->daemon.user, &err) == -1) {
		fprintf(stderr, "cabutctl: %s\n", err);
		free(err);
		ret = EXIT_CONFIG;
		goto out;
	}
	optind = 0;	/* each command parses its own options from argv[0] on */
	ret = commands[i].fn(&c, argc, argv);
out:
	store_close(&c.store);
	config_free(&c.cfg);
	free(actor);
	return ret;
}
