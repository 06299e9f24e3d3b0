/* smtp-send: sends one file through smtp_send() for the integration
 * tests and prints how it ended: "sent", "tempfail CODE: text" (exit 75)
 * or "permfail CODE: text" (exit 1). */
#include "autoconf.h"
#include "smtp.h"
#include "util.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define SEND_FILE_MAX		(32UL << 20)
#define SEND_PASSWORD_MAX	1024

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtp-send [--no-starttls] [--no-verify] "
	    "[--ca FILE] [--user U --password-file F] [--timeout S] [--raw] "
	    "URL FROM RCPT FILE\n"
	    "  FROM may be \"\" or \"<>\" (null sender); the file's LF line "
	    "ends become CRLF\n  unless --raw.\n");
	exit(EXIT_USAGE);
}

/* The whole file; with crlf, every LF not after a CR becomes CRLF. */
static int
read_message(const char *path, int crlf, struct buf *out)
{
	FILE	*f;
	char	 chunk[8192];
	size_t	 n, i;
	int	 prev = -1, ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "smtp-send: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		for (i = 0; i < n; i++) {
			if (crlf && chunk[i] == '\n' && prev != '\r' &&
			    buf_add(out, "\r", 1) == -1)
				goto toobig;
			if (buf_add(out, &chunk[i], 1) == -1)
				goto toobig;
			prev = (unsigned char)chunk[i];
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "smtp-send: %s: read error\n", path);
		goto out;
	}
	ret = 0;
	goto out;
toobig:
	fprintf(stderr, "smtp-send: %s: larger than %lu bytes\n", path,
	    SEND_FILE_MAX);
out:
	fclose(f);
	return ret;
}

/* The first line of a secret file (mode 0600), without its line end. */
static char *
read_password(const char *path)
{
	unsigned char	*data;
	size_t		 len;
	char		*error = NULL, *pw;

	if (file_read_secret(path, SEND_PASSWORD_MAX, &data, &len, &error)
	    == -1) {
		fprintf(stderr, "smtp-send: %s\n", error);
		free(error);
		return NULL;
	}
	pw = xstrndup((const char *)data, len);
	pw[strcspn(pw, "\r\n")] = '\0';
	OPENSSL_cleanse(data, len);
	free(data);
	return pw;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "no-starttls",	no_argument,		NULL, 's' },
		{ "no-verify",		no_argument,		NULL, 'k' },
		{ "ca",			required_argument,	NULL, 'c' },
		{ "user",		required_argument,	NULL, 'u' },
		{ "password-file",	required_argument,	NULL, 'p' },
		{ "timeout",		required_argument,	NULL, 't' },
		{ "raw",		no_argument,		NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct smtp_params	 params;
	struct buf		 msg;
	enum smtp_status	 st;
	const char		*password_file = NULL, *from;
	char			*password = NULL, *error = NULL, *end;
	long			 l;
	int			 ch, raw = 0, code = 0, ret = EXIT_SOFTWARE;

	log_init("smtp-send", 1);
	memset(&params, 0, sizeof(params));
	params.starttls = 1;
	params.tls_verify = 1;
	params.timeout = 30;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			params.starttls = 0;
			break;
		case 'k':
			params.tls_verify = 0;
			break;
		case 'c':
			params.ca_file = optarg;
			break;
		case 'u':
			params.username = optarg;
			break;
		case 'p':
			password_file = optarg;
			break;
		case 't':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    l < 1 || l > 3600)
				usage();
			params.timeout = l;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4 || (params.username == NULL) != (password_file == NULL))
		usage();
	params.url = argv[0];
	from = strcmp(argv[1], "<>") == 0 ? "" : argv[1];

	buf_init(&msg, SEND_FILE_MAX);
	if (read_message(argv[3], !raw, &msg) == -1)
		goto out;
	if (password_file != NULL &&
	    (password = read_password(password_file)) == NULL)
		goto out;
	params.password = password;

	smtp_global_init();
	st = smtp_send(&params, from, argv[2], msg.data, msg.len, &code,
	    &error);
	smtp_global_cleanup();
	switch (st) {
	case SMTP_SENT:
		printf("sent\n");
		ret = 0;
		break;
	case SMTP_TEMPFAIL:
		printf("tempfail %d: %s\n", code, error);
		ret = EXIT_TEMPFAIL;
		break;
	case SMTP_PERMFAIL:
		printf("permfail %d: %s\n", code, error);
		ret = 1;
		break;
	}
out:
	freezero_str(&password);
	free(error);
	buf_free(&msg);
	return ret;
}
