/* imap-probe: drives src/imap.c from the command line for the
 * integration tests (tests/integration/08-imap.t).
 * Exit 0 done, 2 TLS refused, 3 LOGIN refused, 1 anything else, 64 usage. */
#include "autoconf.h"
#include "imap.h"
#include "util.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_UIDS	1000

static const char	*out_dir;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: imap-probe [--imaps] [--no-starttls] [--no-verify] "
	    "[--ca FILE] [--timeout S]\n"
	    "\t[--out DIR] [--ready FILE] [--pause S] [--wake-stdin] [--max N]\n"
	    "\tHOST PORT USER PASSWORD MAILBOX COMMAND [ARGS]\n"
	    "commands: uidvalidity, caps, list AFTER_UID, fetch UID..., "
	    "header UID,\n\tseen UID..., move FOLDER UID..., idle TIMEOUT_MS, noop\n");
	exit(EXIT_USAGE);
}

static int
parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char		*end;
	unsigned long	 n;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*v = n;
	return 0;
}

static uint32_t
arg_uid(const char *s)
{
	unsigned long	 v;

	if (parse_ulong(s, UINT32_MAX, &v) == -1) {
		fprintf(stderr, "imap-probe: bad UID '%s'\n", s);
		exit(EXIT_USAGE);
	}
	return (uint32_t)v;
}

static size_t
arg_uids(char **argv, int argc, uint32_t *uids)
{
	int	 i;

	if (argc < 1 || argc > MAX_UIDS)
		usage();
	for (i = 0; i < argc; i++)
		uids[i] = arg_uid(argv[i]);
	return (size_t)argc;
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		w = write(fd, data, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* To stdout, or to OUT_DIR/UID.eml. */
static int
save_message(uint32_t uid, const char *data, size_t len, void *arg)
{
	char	*path;
	int	 fd, ret;

	(void)arg;
	if (out_dir == NULL)
		return write_all(STDOUT_FILENO, data, len);
	path = xasprintf("%s/%" PRIu32 ".eml", out_dir, uid);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		log_warn("%s", path);
		free(path);
		return -1;
	}
	ret = write_all(fd, data, len);
	if (close(fd) == -1)
		ret = -1;
	free(path);
	return ret;
}

static void
touch(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		fatal("%s", path);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct imap_params	 p;
	struct imap		*im = NULL;
	struct imap_msginfo	*list = NULL;
	enum imap_error		 kind;
	struct timespec		 ts;
	uint32_t		*uids;
	const char		*cmd, *opt, *arg, *ready = NULL;
	char			*err = NULL;
	unsigned long		 v, pause_s = 0, max = MAX_UIDS;
	size_t			 n, i;
	int			 r, used, wake_fd = -1, ret = 1;

	log_init("imap-probe", 1);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	p.starttls = 1;
	p.tls_verify = 1;
	p.timeout = 30;
	argv++;
	argc--;
	while (argc > 0 && strncmp(argv[0], "--", 2) == 0) {
		opt = argv[0];
		arg = argc > 1 ? argv[1] : NULL;
		used = 1;
		if (strcmp(opt, "--imaps") == 0)
			p.imaps = 1;
		else if (strcmp(opt, "--no-starttls") == 0)
			p.starttls = 0;
		else if (strcmp(opt, "--no-verify") == 0)
			p.tls_verify = 0;
		else if (strcmp(opt, "--wake-stdin") == 0)
			wake_fd = STDIN_FILENO;
		else if (arg == NULL)
			usage();
		else {
			used = 2;
			if (strcmp(opt, "--ca") == 0)
				p.ca_file = arg;
			else if (strcmp(opt, "--out") == 0)
				out_dir = arg;
			else if (strcmp(opt, "--ready") == 0)
				ready = arg;
			else if (strcmp(opt, "--timeout") == 0) {
				if (parse_ulong(arg, 3600, &v) == -1 || v == 0)
					usage();
				p.timeout = (int)v;
			} else if (strcmp(opt, "--pause") == 0) {
				if (parse_ulong(arg, 3600, &pause_s) == -1)
					usage();
			} else if (strcmp(opt, "--max") == 0) {
				if (parse_ulong(arg, SIZE_MAX, &max) == -1)
					usage();
			} else
				usage();
		}
		argv += used;
		argc -= used;
	}
	if (argc < 6)
		usage();
	p.host = argv[0];
	if (parse_ulong(argv[1], 65535, &v) == -1 || v == 0)
		usage();
	p.port = (int)v;
	p.username = argv[2];
	p.password = argv[3];
	p.mailbox = argv[4];
	cmd = argv[5];
	argv += 6;
	argc -= 6;
	uids = xcalloc(MAX_UIDS, sizeof(*uids));

	if (imap_open(&p, &im, &kind, &err) == -1) {
		fprintf(stderr, "imap-probe: %s\n", err);
		ret = kind == IMAP_ERR_TLS ? 2 : kind == IMAP_ERR_AUTH ? 3 : 1;
		goto out;
	}
	if (ready != NULL)
		touch(ready);
	if (pause_s > 0) {
		ts.tv_sec = (time_t)pause_s;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}

	if (strcmp(cmd, "uidvalidity") == 0 && argc == 0) {
		printf("%" PRIu32 "\n", imap_uidvalidity(im));
		r = 0;
	} else if (strcmp(cmd, "caps") == 0 && argc == 0) {
		printf("idle=%d move=%d\n", imap_has_idle(im), imap_has_move(im));
		r = 0;
	} else if (strcmp(cmd, "list") == 0 && argc == 1) {
		r = imap_list_new(im, arg_uid(argv[0]), (size_t)max, &list, &n, &err);
		for (i = 0; r == 0 && i < n; i++)
			printf("%" PRIu32 " %" PRIu64 "\n", list[i].uid, list[i].size);
	} else if (strcmp(cmd, "fetch") == 0) {
		n = arg_uids(argv, argc, uids);
		r = imap_fetch(im, uids, n, save_message, NULL, &err);
	} else if (strcmp(cmd, "header") == 0 && argc == 1) {
		r = imap_fetch_header(im, arg_uid(argv[0]), save_message, NULL, &err);
	} else if (strcmp(cmd, "seen") == 0) {
		n = arg_uids(argv, argc, uids);
		r = imap_mark_seen(im, uids, n, &err);
	} else if (strcmp(cmd, "move") == 0 && argc >= 2) {
		n = arg_uids(argv + 1, argc - 1, uids);
		r = imap_move(im, uids, n, argv[0], &err);
	} else if (strcmp(cmd, "idle") == 0 && argc == 1) {
		if (parse_ulong(argv[0], INT_MAX, &v) == -1)
			usage();
		r = imap_idle(im, wake_fd, (int)v, &err);
		printf("%d\n", r);
		if (r > 0)
			r = 0;
	} else if (strcmp(cmd, "noop") == 0 && argc == 0) {
		r = imap_noop(im, &err);
	} else
		usage();
	fflush(stdout);
	if (r == -1) {
		fprintf(stderr, "imap-probe: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	imap_close(&im);
	free(list);
	free(uids);
	free(err);
	return ret;
}
