/* The local backend (see ca_local.h): the daemon's side, which starts
 * the CA process and talks to it, and the CA process's loop. */
#include "autoconf.h"
#include "ca_local.h"
#include "localca.h"
#include "log.h"
#include "util.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CA_LOCAL_MAX_FIELDS	6
#define CA_LOCAL_MAX_TEXT	1024	/* of an error told in an answer */
#define CA_LOCAL_STOP_MS	500	/* for each of EOF, SIGTERM */

const char	*ca_local_exe = "/proc/self/exe";

struct ca_local {
	char	*dir;
	char	*exe;		/* what to execute; NULL: fork only (tests) */
	int	 crl_days;
	int	 timeout_ms;
	pid_t	 pid;
	int	 fd;
};

/* Strict decimal: digits only, no sign, no leading zeros, at most max. */
static int
parse_uint(const char *s, int64_t max, int64_t *v_r)
{
	int64_t	 v = 0;
	size_t	 n = strlen(s), i;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 0;
}

static int
serial_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 1 && n <= 40 && strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Split line in place at single spaces; -1 past max fields. */
static int
split(char *line, char **f, int max)
{
	int	 n = 0;
	char	*p;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = line;
		if ((p = strchr(line, ' ')) == NULL)
			break;
		*p = '\0';
		line = p + 1;
	}
	return n;
}

static int
fields_ok(char **f, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (*f[i] == '\0')
			return 0;
	return 1;
}

/* Write all of s, without SIGPIPE. */
static int
send_all(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = send(fd, s, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The CA process. */

struct server {
	const char	*dir;
	int		 crl_days;
	struct localca	*ca;
	char		*open_error;
};

static int
server_open(struct server *sv)
{
	char	*err = NULL;

	if (sv->ca != NULL)
		return 0;
	free(sv->open_error);
	sv->open_error = NULL;
	if (localca_open(sv->dir, sv->crl_days, &sv->ca, &err) == -1) {
		sv->open_error = xasprintf("cannot open the local CA: %s", err);
		free(err);
		return -1;
	}
	/* The first CRL, or one due while nobody asked. */
	if (localca_crl(sv->ca, (int64_t)now(), 0, NULL, NULL, &err) == -1) {
		log_warnx("local CA: %s", err);
		free(err);
	}
	return 0;
}

/* "TEMP text" or "PERM text", one printable line. */
static char *
answer_error(const char *kind, const char *text)
{
	char	*s, *p;

	s = xasprintf("%s %.*s\n", kind, CA_LOCAL_MAX_TEXT, text);
	for (p = s; p[1] != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static char *
serve_line(struct server *sv, char *line)
{
	struct ca_result	 res;
	char			*f[CA_LOCAL_MAX_FIELDS], *err = NULL, *out;
	const char		*state;
	uint64_t		 number;
	int64_t			 reason, inval, t, next, at = 0;
	int			 n, r, rs = 0;
	enum ca_status		 st;

	if ((n = split(line, f, CA_LOCAL_MAX_FIELDS)) == -1 ||
	    !fields_ok(f, n))
		return answer_error("PERM", "malformed request");
	if (strcmp(f[0], "ISSUE") == 0)
		return answer_error("PERM", "the CA process does not issue "
		    "certificates");
	if (strcmp(f[0], "REVOKE") == 0) {
		if (n != 5 || !serial_ok(f[1]) ||
		    parse_uint(f[2], 10, &reason) == -1 ||
		    parse_uint(f[3], INT64_MAX, &inval) == -1 ||
		    parse_uint(f[4], INT64_MAX, &t) == -1)
			return answer_error("PERM", "usage: REVOKE serial "
			    "reason invalidity now");
	} else if (strcmp(f[0], "TICK") == 0) {
		if (n != 2 || parse_uint(f[1], INT64_MAX, &t) == -1)
			return answer_error("PERM", "usage: TICK now");
	} else if (strcmp(f[0], "STATUS") == 0) {
		if (n != 2 || !serial_ok(f[1]))
			return answer_error("PERM", "usage: STATUS serial");
	} else if (strcmp(f[0], "PING") == 0) {
		if (n != 1)
			return answer_error("PERM", "usage: PING");
	} else
		return answer_error("PERM", "unknown request");

	if (server_open(sv) == -1)
		return answer_error("TEMP", sv->open_error);
	if (strcmp(f[0], "PING") == 0)
		return xstrdup("OK ready\n");
	if (strcmp(f[0], "REVOKE") == 0) {
		st = localca_revoke(sv->ca, f[1], (int)reason, inval, t, &res,
		    &number, &err);
		if (st != CA_OK) {
			out = answer_error(st == CA_PERMANENT ? "PERM" : "TEMP",
			    err);
			free(err);
			return out;
		}
		out = xasprintf("OK %d %lld %d %llu\n", res.changed,
		    (long long)res.revoked_at, res.reason,
		    (unsigned long long)number);
		ca_result_clear(&res);
		return out;
	}
	if (strcmp(f[0], "TICK") == 0) {
		if ((r = localca_crl(sv->ca, t, 0, &number, &next, &err)) == -1) {
			out = answer_error("TEMP", err);
			free(err);
			return out;
		}
		return xasprintf("OK %d %llu %lld\n", r,
		    (unsigned long long)number, (long long)next);
	}
	/* STATUS */
	if ((r = localca_status(sv->ca, f[1], &at, &rs, &err)) == -1) {
		out = answer_error("TEMP", err);
		free(err);
		return out;
	}
	state = r == LOCALCA_REVOKED ? "revoked" : r == LOCALCA_VALID ?
	    "valid" : "unknown";
	return xasprintf("OK %s %lld %d\n", state, (long long)at, rs);
}

int
ca_local_serve(int fd, const char *dir, int crl_days)
{
	struct server	 sv;
	char		 line[CA_LOCAL_LINE_MAX], in[4096], *out;
	size_t		 len = 0, i;
	ssize_t		 n;
	int		 skipping = 0, bad = 0, ret = 1;

	memset(&sv, 0, sizeof(sv));
	sv.dir = dir;
	sv.crl_days = crl_days;
	(void)server_open(&sv);
	for (;;) {
		if ((n = read(fd, in, sizeof(in))) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("CA process: read");
			goto out;
		}
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i++) {
			if (in[i] != '\n') {
				/* Room for the line and its newline. */
				if (len + 1 >= sizeof(line))
					skipping = 1;
				else if (in[i] == '\0' || in[i] == '\r')
					bad = 1;
				else
					line[len++] = in[i];
				continue;
			}
			line[len] = '\0';
			if (skipping)
				out = answer_error("PERM", "line too long");
			else if (bad)
				out = answer_error("PERM", "malformed request");
			else
				out = serve_line(&sv, line);
			len = 0;
			skipping = bad = 0;
			if (send_all(fd, out, strlen(out)) == -1) {
				free(out);
				goto out;
			}
			free(out);
		}
	}
	ret = 0;
out:
	localca_close(&sv.ca);
	free(sv.open_error);
	close(fd);
	return ret;
}

/* The daemon's side. */

/* In the child, before exec: fd becomes CA_LOCAL_FD and every other
 * descriptor above stderr is closed. Async-signal-safe calls only. */
static void
child_fds(int fd)
{
	long	 max, i;

	if (fd != CA_LOCAL_FD) {
		if (dup2(fd, CA_LOCAL_FD) == -1)
			_exit(127);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, CA_LOCAL_FD + 1, ~0U, 0) == 0)
		return;
#endif
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > 65536)
		max = 65536;
	for (i = CA_LOCAL_FD + 1; i < max; i++)
		(void)close((int)i);
}

static void
child_signals(void)
{
	struct sigaction	 sa;
	sigset_t		 none;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	/* The daemon decides when it stops: EOF on the socket. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
}

/* The program the CA process runs: this one, its path read once at start
 * (under valgrind /proc/self/exe is valgrind itself, while readlink names
 * the program); /proc/self/exe when the path cannot be read or the file
 * has been replaced since. */
static char *
self_exe(void)
{
	char	 buf[PATH_MAX];
	ssize_t	 n;

	if (ca_local_exe == NULL)
		return NULL;
	if (strcmp(ca_local_exe, "/proc/self/exe") != 0)
		return xstrdup(ca_local_exe);
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
		return xstrdup(ca_local_exe);
	buf[n] = '\0';
	if (strstr(buf, " (deleted)") != NULL || access(buf, X_OK) != 0)
		return xstrdup(ca_local_exe);
	return xstrdup(buf);
}

static int
spawn(struct ca_local *cl, char **error_r)
{
	char		 days[16], name[] = "cabutd", opt[] = "--ca-process";
	char		*argv[5];
	const char	*exe = cl->exe;
	pid_t		 pid;
	int		 sv[2];

	(void)snprintf(days, sizeof(days), "%d", cl->crl_days);
	argv[0] = name;
	argv[1] = opt;
	argv[2] = cl->dir;
	argv[3] = days;
	argv[4] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		*error_r = xasprintf("socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		*error_r = xasprintf("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (exe == NULL) {
			/* Tests: the parent's descriptors stay (its sqlite
			 * connections share state with the child's). */
			close(sv[0]);
			child_signals();
			_exit(ca_local_serve(sv[1], cl->dir, cl->crl_days));
		}
		child_fds(sv[1]);
		child_signals();
		execv(exe, argv);
		_exit(127);
	}
	close(sv[1]);
	cl->fd = sv[0];
	cl->pid = pid;
	log_info("CA process %ld started", (long)pid);
	return 0;
}

/* Wait up to ms for the child to exit; 1 reaped, 0 still running. */
static int
reap_within(struct ca_local *cl, int ms)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pid_t		 r;
	int		 status, waited = 0;

	for (;;) {
		r = waitpid(cl->pid, &status, ms < 0 ? 0 : WNOHANG);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 0)
			break;
		if (waited >= ms)
			return 0;
		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (r == cl->pid) {
		if (WIFSIGNALED(status))
			log_info("CA process %ld killed by signal %d",
			    (long)cl->pid, WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_warnx("CA process %ld exited with status %d",
			    (long)cl->pid, WEXITSTATUS(status));
	}
	cl->pid = -1;	/* reaped, or not our child (SIGCHLD ignored) */
	return 1;
}

/* Close the socket and end the child: EOF first, then SIGTERM, then
 * SIGKILL. kill_now: SIGKILL at once (it stopped answering). */
static void
child_end(struct ca_local *cl, int kill_now)
{
	if (cl->fd != -1) {
		close(cl->fd);
		cl->fd = -1;
	}
	if (cl->pid == -1)
		return;
	if (!kill_now) {
		if (reap_within(cl, CA_LOCAL_STOP_MS))
			return;
		(void)kill(cl->pid, SIGTERM);
		if (reap_within(cl, CA_LOCAL_STOP_MS))
			return;
	}
	(void)kill(cl->pid, SIGKILL);
	(void)reap_within(cl, -1);
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send req, read one answer line into *answer_r (owned, without the
 * newline). 0; -1 the child is gone (may be restarted); -2 it timed out
 * or broke the protocol. */
static int
exchange(struct ca_local *cl, const char *req, char **answer_r,
    char **error_r)
{
	struct pollfd	 pfd;
	struct buf	 b;
	char		 tmp[512], *nl;
	int64_t		 deadline;
	ssize_t		 n;
	int		 r, ret = -2;

	*answer_r = NULL;
	if (send_all(cl->fd, req, strlen(req)) == -1) {
		if (errno == EPIPE || errno == ECONNRESET) {
			*error_r = xstrdup("the CA process exited");
			return -1;
		}
		*error_r = xasprintf("CA process: %s", strerror(errno));
		return -2;
	}
	buf_init(&b, CA_LOCAL_LINE_MAX);
	deadline = mono_ms() + cl->timeout_ms;
	for (;;) {
		pfd.fd = cl->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)(deadline - mono_ms() > 0 ?
		    deadline - mono_ms() : 0))) == -1) {
			if (errno == EINTR)
				continue;
			*error_r = xasprintf("poll: %s", strerror(errno));
			goto out;
		}
		if (r == 0) {
			*error_r = xasprintf("the CA process did not answer "
			    "within %d s", cl->timeout_ms / 1000);
			goto out;
		}
		if ((n = read(cl->fd, tmp, sizeof(tmp))) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET) {
				*error_r = xstrdup("the CA process exited");
				ret = -1;
			} else
				*error_r = xasprintf("CA process: %s",
				    strerror(errno));
			goto out;
		}
		if (n == 0) {
			*error_r = xstrdup("the CA process exited");
			ret = -1;
			goto out;
		}
		if (buf_add(&b, tmp, (size_t)n) == -1) {
			*error_r = xstrdup("the CA process's answer is too long");
			goto out;
		}
		if ((nl = memchr(b.data, '\n', b.len)) != NULL)
			break;
	}
	/* One line, nothing after it. */
	if (nl != b.data + b.len - 1 || memchr(b.data, '\0', b.len) != NULL) {
		*error_r = xstrdup("malformed answer from the CA process");
		goto out;
	}
	*nl = '\0';
	*answer_r = buf_steal(&b);
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* One request; a child that died is restarted once. 0 with *answer_r,
 * -1 with *error_r. */
static int
call(struct ca_local *cl, const char *req, char **answer_r, char **error_r)
{
	int	 attempt, r;

	for (attempt = 0; attempt < 2; attempt++) {
		if (cl->pid == -1 && spawn(cl, error_r) == -1)
			return -1;
		if ((r = exchange(cl, req, answer_r, error_r)) == 0)
			return 0;
		child_end(cl, 1);
		if (r == -2 || attempt == 1)
			return -1;
		log_warnx("%s; restarting it", *error_r);
		free(*error_r);
		*error_r = NULL;
	}
	return -1;
}

/* An answer: "OK ..." gives CA_OK and *rest_r; "TEMP"/"PERM" text goes
 * to *error_r; anything else is the protocol broken. */
static enum ca_status
answer_status(struct ca_local *cl, char *answer, char **rest_r,
    char **error_r)
{
	if (strncmp(answer, "OK ", 3) == 0) {
		*rest_r = answer + 3;
		return CA_OK;
	}
	if (strncmp(answer, "TEMP ", 5) == 0) {
		*error_r = xasprintf("local CA: %s", answer + 5);
		return CA_TEMPORARY;
	}
	if (strncmp(answer, "PERM ", 5) == 0) {
		*error_r = xasprintf("local CA: %s", answer + 5);
		return CA_PERMANENT;
	}
	*error_r = xstrdup("malformed answer from the CA process");
	child_end(cl, 1);
	return CA_TEMPORARY;
}

static enum ca_status
bad_answer(struct ca_local *cl, char **error_r)
{
	*error_r = xstrdup("malformed answer from the CA process");
	child_end(cl, 1);
	return CA_TEMPORARY;
}

/* Send req (freed here) and take an "OK" answer of n fields: f points
 * into *answer_r (owned). */
static enum ca_status
request(struct ca_local *cl, char *req, int n, char **f, char **answer_r,
    char **error_r)
{
	char		*rest;
	enum ca_status	 st;
	int		 r;

	r = call(cl, req, answer_r, error_r);
	free(req);
	if (r == -1)
		return CA_TEMPORARY;
	if ((st = answer_status(cl, *answer_r, &rest, error_r)) != CA_OK)
		return st;
	if (split(rest, f, CA_LOCAL_MAX_FIELDS) != n || !fields_ok(f, n))
		return bad_answer(cl, error_r);
	return CA_OK;
}

static int
local_start(struct ca_backend *ca, char **error_r)
{
	struct ca_local	*cl;
	char		*answer = NULL, *f[CA_LOCAL_MAX_FIELDS];
	int64_t		 t = ca->cfg->ca.timeout;

	cl = xcalloc(1, sizeof(*cl));
	cl->dir = xstrdup(ca->cfg->ca.dir);
	cl->exe = self_exe();
	cl->crl_days = ca->cfg->ca.crl_days;
	cl->timeout_ms = (int)((t > 0 && t <= 600 ? t : 30) * 1000);
	cl->pid = -1;
	cl->fd = -1;
	ca->priv = cl;
	/* Tell now, not at the first revocation, when the CA is unusable.
	 * A process that runs but cannot open the CA (a key with the wrong
	 * mode, say) is kept: each revocation then fails as temporary, is
	 * retried, and alerts the admin when it keeps failing; the CA is
	 * opened again at each request, so fixing it needs no restart. */
	if (request(cl, xstrdup("PING\n"), 1, f, &answer, error_r) != CA_OK) {
		free(answer);
		if (cl->pid > 0) {
			log_warnx("local CA: %s; revocations wait until it works",
			    *error_r);
			free(*error_r);
			*error_r = NULL;
			return 0;
		}
		child_end(cl, 0);
		free(cl->dir);
		free(cl->exe);
		free(cl);
		ca->priv = NULL;
		return -1;
	}
	free(answer);
	return 0;
}

static enum ca_status
local_revoke(struct ca_backend *ca, const struct ca_revocation *rv,
    struct ca_result *res, char **error_r)
{
	struct ca_local	*cl = ca->priv;
	char		*answer = NULL, *f[CA_LOCAL_MAX_FIELDS];
	int64_t		 changed, at, reason, number;
	enum ca_status	 st;

	if (rv->serial == NULL || !serial_ok(rv->serial)) {
		*error_r = xasprintf("bad serial \"%s\"",
		    rv->serial != NULL ? rv->serial : "");
		return CA_PERMANENT;
	}
	if (rv->reason < 0 || rv->reason > 10 || rv->invalidity_date < 0 ||
	    rv->now <= 0) {
		*error_r = xstrdup("bad revocation parameters");
		return CA_PERMANENT;
	}
	st = request(cl, xasprintf("REVOKE %s %d %lld %lld\n", rv->serial,
	    rv->reason, (long long)rv->invalidity_date, (long long)rv->now),
	    4, f, &answer, error_r);
	if (st == CA_OK && (parse_uint(f[0], 1, &changed) == -1 ||
	    parse_uint(f[1], INT64_MAX, &at) == -1 ||
	    parse_uint(f[2], 10, &reason) == -1 ||
	    parse_uint(f[3], INT64_MAX, &number) == -1))
		st = bad_answer(cl, error_r);
	if (st == CA_OK) {
		res->changed = (int)changed;
		res->revoked_at = at;
		res->reason = (int)reason;
		res->detail = xasprintf("CRL %lld", (long long)number);
	}
	free(answer);
	return st;
}

static enum ca_status
local_tick(struct ca_backend *ca, int64_t t, char **error_r)
{
	struct ca_local	*cl = ca->priv;
	char		*answer = NULL, *f[CA_LOCAL_MAX_FIELDS], when[21];
	int64_t		 issued, number, next;
	enum ca_status	 st;

	if (t <= 0) {
		*error_r = xstrdup("bad time");
		return CA_PERMANENT;
	}
	st = request(cl, xasprintf("TICK %lld\n", (long long)t), 3, f,
	    &answer, error_r);
	if (st == CA_OK && (parse_uint(f[0], 1, &issued) == -1 ||
	    parse_uint(f[1], INT64_MAX, &number) == -1 ||
	    parse_uint(f[2], INT64_MAX, &next) == -1))
		st = bad_answer(cl, error_r);
	if (st == CA_OK && issued) {
		time_rfc3339((time_t)next, when);
		log_info("local CA: issued CRL %lld, next update %s",
		    (long long)number, when);
	}
	free(answer);
	return st;
}

static void
local_stop(struct ca_backend *ca)
{
	struct ca_local	*cl = ca->priv;

	if (cl == NULL)
		return;
	child_end(cl, 0);
	free(cl->dir);
	free(cl->exe);
	free(cl);
	ca->priv = NULL;
}

pid_t
ca_local_pid(struct ca_backend *ca)
{
	struct ca_local	*cl = ca->priv;

	return cl != NULL ? cl->pid : -1;
}

const struct ca_backend_ops ca_local_ops = {
	.name = "local",
	.manual = 0,
	.start = local_start,
	.revoke = local_revoke,
	.tick = local_tick,
	.stop = local_stop,
};
