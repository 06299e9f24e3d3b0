/*
 * cabutd: the daemon. One cycle = intake (mail in, parse, classify,
 * decide, commit) -> timers -> revocations -> outbox (mail out); between
 * cycles it waits for mail, a signal or the poll interval.
 */
#include "autoconf.h"
#include "config.h"
#include "util.h"
#include "log.h"
#include "store.h"
#include "audit.h"
#include "priv.h"
#include "crashpoint.h"
#include "intake.h"
#include "process.h"
#include "outbox.h"
#include "smtp.h"
#include "ca.h"
#include "ca_local.h"
#include "revoke.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG		SYSCONFDIR "/cabut/cabut.conf"
#define HEAD_LOG_INTERVAL	(24 * 60 * 60)	/* audit head to syslog daily */
#define EXPIRE_INTERVAL		(60 * 60)	/* evidence retention, hourly */

struct daemon {
	struct config	*cfg;
	struct store	*store;
	const char	*conffile;
	int		 lock_fd;
	int		 once;
	struct process_ctx pc;
	struct intake	*intake;
	struct ca_backend *ca;		/* started before any mail is read */
	int64_t		 head_logged;	/* when the audit head was last published */
	int64_t		 expired;	/* when evidence retention last ran */
	int		 imap_down;	/* the last intake could not reach IMAP */
	int		 store_failed;	/* the last intake could not write the store */
	char		*mail_waits;	/* why outgoing mail waits, for --once */
	char		*ca_waits;	/* why a revocation waits, for --once */
};

static int		 sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t	 got_stop, got_hup;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: cabutd [-c FILE] [-f] [--once] [--check-config] [-V]\n");
	exit(EXIT_USAGE);
}

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig != SIGUSR1)
		got_stop = 1;
	(void)!write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

static void
signals_setup(void)
{
	struct sigaction	 sa;

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);	/* cabutctl: act now */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
drain_sigpipe(void)
{
	char	 buf[64];

	while (read(sigpipe_fds[0], buf, sizeof(buf)) > 0)
		;
}

static struct config *
load_config(const char *path)
{
	struct config	*cfg;
	char		*errors = NULL;

	if ((cfg = config_load(path, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
	}
	return cfg;
}

/* SIGHUP: a new configuration replaces the old one only when it is clean. */
static void
reload(struct daemon *d)
{
	struct config	*cfg;
	char		*errors = NULL, *line, *save = NULL, *err = NULL;

	if ((cfg = config_load(d->conffile, &errors)) == NULL) {
		for (line = strtok_r(errors, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
		log_warnx("%s: new configuration refused; keeping the old one",
		    d->conffile);
		free(errors);
		return;
	}
	if (strcmp(cfg->daemon.state_dir, d->cfg->daemon.state_dir) != 0 ||
	    strcmp(cfg->daemon.user, d->cfg->daemon.user) != 0) {
		log_warnx("%s: [daemon] state_dir and user take effect only at "
		    "restart; keeping the old configuration", d->conffile);
		config_free(&cfg);
		return;
	}
	{
		struct process_ctx	 probe = d->pc;

		probe.cfg = cfg;
		if (process_check_templates(&probe, &err) == -1) {
			log_warnx("%s; new configuration refused; keeping the old one",
			    err);
			free(err);
			err = NULL;
			config_free(&cfg);
			return;
		}
	}
	intake_reconfigure(d->intake, cfg);
	d->pc.cfg = cfg;
	/* The backend may have changed: start it again with the new one. */
	ca_close(&d->ca);
	if (ca_open(cfg, &d->ca, &err) == -1) {
		log_warnx("revocation backend: %s; revocations wait", err);
		free(err);
		err = NULL;
	}
	config_free(&d->cfg);
	d->cfg = cfg;
	log_info("configuration reloaded from %s", d->conffile);
}

static void
daemon_event(struct daemon *d, const char *event, const char *reason)
{
	struct audit_entry	 e;

	memset(&e, 0, sizeof(e));
	e.event = event;
	e.actor = "system";
	e.reason = reason;
	if (store_begin(d->store) == -1 || audit_append(d->store, &e) == -1 ||
	    store_commit(d->store) == -1) {
		store_rollback(d->store);
		log_warnx("cannot record %s in the audit log", event);
	}
}

/* Evidence past retention: the data goes, the hashes stay. */
static void
expire_evidence(struct daemon *d, int64_t t)
{
	int64_t	 n;

	if (store_begin(d->store) == -1)
		return;
	n = store_evidence_expire(d->store, t - d->cfg->daemon.retention);
	if (n < 0 || store_commit(d->store) == -1) {
		store_rollback(d->store);
		return;
	}
	if (n > 0)
		log_info("retention: deleted the data of %lld pieces of evidence",
		    (long long)n);
}

/* One full cycle: mail in, then the periodic work. Each stage commits its
 * own work, so a stop between two stages loses nothing. */
static void
cycle(struct daemon *d)
{
	int64_t	 t = (int64_t)now();
	int	 r;

	crashpoint("cycle_start");
	r = intake_run(d->intake);
	d->imap_down = r == -1;
	d->store_failed = r == -2;
	if (got_stop)
		return;
	if (process_timers(&d->pc, t) == -1)
		d->store_failed = 1;
	if (got_stop)
		return;
	free(d->ca_waits);
	d->ca_waits = NULL;
	if (d->ca == NULL && ca_open(d->cfg, &d->ca, &d->ca_waits) == -1)
		log_warnx("revocation backend: %s; revocations wait", d->ca_waits);
	else if (revoke_run(&d->pc, d->ca, t, &d->ca_waits) == -1)
		d->store_failed = 1;
	if (got_stop)
		return;
	free(d->mail_waits);
	d->mail_waits = NULL;
	if (outbox_flush(d->store, d->cfg, &d->mail_waits) == -1)
		d->store_failed = 1;
	if (t - d->expired >= EXPIRE_INTERVAL) {
		expire_evidence(d, t);
		d->expired = t;
	}
	if (!d->once && t - d->head_logged >= HEAD_LOG_INTERVAL) {
		audit_head_publish(d->store);
		d->head_logged = t;
	}
}

/* The revocation backend starts before any mail is read (the local CA's
 * process must not be a copy of one that parsed mail). When it cannot,
 * revocations wait and each cycle tries again. */
static void
start_ca(struct daemon *d)
{
	char	*err = NULL;

	if (ca_open(d->cfg, &d->ca, &err) == -1) {
		log_warnx("revocation backend %s: %s; revocations wait",
		    config_backend_name(d->cfg->ca.backend), err);
		free(err);
	}
}

/* Wait for new mail (IDLE), a signal or the poll interval. */
static void
wait_next(struct daemon *d)
{
	int64_t	 ms = d->cfg->daemon.poll_interval * 1000;

	intake_wait(d->intake, sigpipe_fds[0], ms > INT32_MAX ? INT32_MAX : (int)ms);
	drain_sigpipe();
}

/* cabutctl signals this PID (SIGUSR1) when it decided something. */
static void
write_pidfile(struct daemon *d)
{
	char	*path, *tmp, *text, *err = NULL;

	path = xasprintf("%s/cabutd.pid", d->cfg->daemon.state_dir);
	tmp = xasprintf("%s.tmp", path);
	text = xasprintf("%ld\n", (long)getpid());
	unlink(tmp);
	if (file_create_excl(tmp, 0644, text, strlen(text), &err) != 0 ||
	    rename(tmp, path) == -1) {
		log_warnx("cannot write %s: %s", path, err ? err : strerror(errno));
		unlink(tmp);
	}
	free(err);
	free(text);
	free(tmp);
	free(path);
}

static int
open_state(struct daemon *d)
{
	struct stat	 sb;
	char		*err = NULL;
	int		 r;

	if (stat(d->cfg->daemon.state_dir, &sb) == -1) {
		fprintf(stderr, "cabutd: state directory %s: %s (run cabutctl init)\n",
		    d->cfg->daemon.state_dir, strerror(errno));
		return EXIT_CONFIG;
	}
	/* Drop first: the lock file is made by daemon.user, like the rest. */
	if (priv_drop(d->cfg->daemon.user, &err) == -1) {
		fprintf(stderr, "cabutd: %s\n", err);
		free(err);
		return EXIT_CONFIG;
	}
	if ((r = store_lock(d->cfg->daemon.state_dir, &d->lock_fd, &err)) != 0) {
		fprintf(stderr, "cabutd: %s\n", err);
		free(err);
		return r == 1 ? EXIT_TEMPFAIL : EXIT_CONFIG;
	}
	if (store_open(d->cfg->daemon.state_dir, 0, &d->store, &err) == -1) {
		fprintf(stderr, "cabutd: %s\n", err);
		free(err);
		return EXIT_CONFIG;
	}
	if (!d->store->have_audit_key) {
		fprintf(stderr, "cabutd: %s: no audit key (run cabutctl init)\n",
		    d->cfg->daemon.state_dir);
		return EXIT_CONFIG;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon	 d;
	char		*err = NULL;
	int		 ch, foreground = 0, check = 0, ret;

	umask(077);	/* the state directory holds keys and personal data */
	/* The local CA's own process (ca_local.c): a fresh image that holds
	 * the CA key and never reads mail. */
	if (argc == 4 && strcmp(argv[1], "--ca-process") == 0) {
		log_init("cabutd-ca", getenv("CABUT_LOG_STDERR") != NULL);
		return ca_local_serve(3, argv[2], atoi(argv[3]));
	}
	memset(&d, 0, sizeof(d));
	d.conffile = DEFAULT_CONFIG;
	d.lock_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:fV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conffile = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'o':
			d.once = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'V':
			printf("cabutd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((d.cfg = load_config(d.conffile)) == NULL)
		return EXIT_CONFIG;
	if (check) {
		/* Root drops to daemon.user: it must exist and not be root. */
		if (geteuid() == 0 && priv_check(d.cfg->daemon.user, &err) == -1) {
			fprintf(stderr, "%s: [daemon] user: %s\n", d.conffile, err);
			free(err);
			config_free(&d.cfg);
			return EXIT_CONFIG;
		}
		printf("%s: configuration OK\n", d.conffile);
		config_free(&d.cfg);
		return 0;
	}
	/* Until the daemon detaches, problems go to stderr; --once is run by
	 * hand or by cron and keeps talking to stderr. */
	log_init("cabutd", 1);
	signals_setup();
	if ((ret = open_state(&d)) != 0)
		goto out;

	if (process_init(&d.pc, d.cfg, d.store, &err) == -1) {
		fprintf(stderr, "cabutd: %s\n", err);
		free(err);
		ret = EXIT_CONFIG;
		goto out;
	}
	smtp_global_init();
	d.intake = intake_new(&d.pc);
	intake_set_stop(d.intake, &got_stop);
	if (d.once) {
		setenv("CABUT_LOG_STDERR", "1", 1);
		start_ca(&d);
		cycle(&d);
		if (d.ca_waits != NULL)
			fprintf(stderr, "cabutd: %s\n", d.ca_waits);
		if (d.mail_waits != NULL)
			fprintf(stderr, "cabutd: outgoing mail waits: %s\n",
			    d.mail_waits);
		if (d.imap_down) {
			fprintf(stderr, "cabutd: the IMAP server %s could not be "
			    "reached; mail waits there\n", d.cfg->imap.url);
			ret = EXIT_UNAVAIL;
		} else if (d.store_failed)
			ret = EXIT_SOFTWARE;
		goto out;
	}
	/* Errors up to here went to stderr; now detach unless -f. The lock's
	 * file description passes to the child with the descriptor. */
	if (!foreground && daemon(0, 0) == -1) {
		log_warn("daemon");
		ret = EXIT_SOFTWARE;
		goto out;
	}
	if (!foreground)
		log_init("cabutd", 0);
	else
		setenv("CABUT_LOG_STDERR", "1", 1);
	write_pidfile(&d);
	start_ca(&d);
	log_info("started (state %s, poll every %llds)", d.cfg->daemon.state_dir,
	    (long long)d.cfg->daemon.poll_interval);
	daemon_event(&d, "daemon-start", PACKAGE_VERSION);
	while (!got_stop) {
		cycle(&d);
		if (got_stop)
			break;
		wait_next(&d);
		if (got_hup) {
			got_hup = 0;
			reload(&d);
		}
	}
	daemon_event(&d, "daemon-stop", "signal");
	audit_head_publish(d.store);
	log_info("stopped");
out:
	ca_close(&d.ca);
	intake_free(&d.intake);
	process_free(&d.pc);
	free(d.mail_waits);
	free(d.ca_waits);
	store_close(&d.store);
	config_free(&d.cfg);
	if (d.lock_fd != -1)
		close(d.lock_fd);
	return ret;
}
