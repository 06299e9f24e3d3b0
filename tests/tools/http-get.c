/* http-get: one request through http_perform() for the integration tests.
 * Prints to stderr
 *	status N
 *	etag E			(or "-")
 *	last-modified D		(or "-")
 *	length N
 * and writes the body to stdout, or to FILE with --out.
 * Exit codes: 0 an answer came (any status), 1 no answer (http_perform
 * failed; "error: ..." on stderr), 64 usage, 70 the output could not be
 * written. */
#include "autoconf.h"
#include "http.h"
#include "smtp.h"
#include "util.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GET_BODY_MAX	(16UL << 20)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: http-get [--ca FILE] [--no-verify] "
	    "[--cert FILE --key FILE] [--max N] [--timeout S] [--etag E] "
	    "[--since DATE] [--method GET|POST|PUT] [--data FILE] "
	    "[--type CT] [--out FILE] URL\n");
	exit(EXIT_USAGE);
}

static long long
number(const char *s, long long max)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0 || n > max)
		usage();
	return n;
}

static int
read_file(const char *path, struct buf *out)
{
	FILE	*f;
	char	 chunk[8192];
	size_t	 n;
	int	 ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "http-get: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(out, chunk, n) == -1) {
			fprintf(stderr, "http-get: %s: larger than %lu bytes\n",
			    path, GET_BODY_MAX);
			goto out;
		}
	if (ferror(f)) {
		fprintf(stderr, "http-get: %s: read error\n", path);
		goto out;
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "ca",		required_argument,	NULL, 'c' },
		{ "no-verify",	no_argument,		NULL, 'n' },
		{ "cert",	required_argument,	NULL, 'C' },
		{ "key",	required_argument,	NULL, 'K' },
		{ "max",	required_argument,	NULL, 'm' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "etag",	required_argument,	NULL, 'e' },
		{ "since",	required_argument,	NULL, 's' },
		{ "method",	required_argument,	NULL, 'X' },
		{ "data",	required_argument,	NULL, 'd' },
		{ "type",	required_argument,	NULL, 'T' },
		{ "out",	required_argument,	NULL, 'o' },
		{ NULL,		0,			NULL, 0 }
	};
	struct http_options	 o;
	struct http_request	 rq;
	struct http_response	 resp;
	struct buf		 data;
	const char		*out = NULL, *datafile = NULL;
	char			*error = NULL;
	FILE			*f;
	int			 ch, ret = 0;

	memset(&o, 0, sizeof(o));
	memset(&rq, 0, sizeof(rq));
	o.tls_verify = 1;
	o.timeout = 10;
	o.max_size = GET_BODY_MAX;
	rq.method = "GET";
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.ca_file = optarg; break;
		case 'n': o.tls_verify = 0; break;
		case 'C': o.client_cert_file = optarg; break;
		case 'K': o.client_key_file = optarg; break;
		case 'm': o.max_size = (size_t)number(optarg, GET_BODY_MAX); break;
		case 't': o.timeout = number(optarg, 3600); break;
		case 'e': rq.if_none_match = optarg; break;
		case 's': rq.if_modified_since = optarg; break;
		case 'X': rq.method = optarg; break;
		case 'd': datafile = optarg; break;
		case 'T': rq.content_type = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 1)
		usage();
	rq.url = argv[optind];

	log_init("http-get", 1);
	smtp_global_init();
	buf_init(&data, GET_BODY_MAX);
	if (datafile != NULL) {
		if (read_file(datafile, &data) == -1) {
			buf_free(&data);
			smtp_global_cleanup();
			return EXIT_USAGE;
		}
		rq.body = data.data;
		rq.body_len = data.len;
	}

	if (http_perform(&o, &rq, &resp, &error) == -1) {
		fprintf(stderr, "error: %s\n", error);
		free(error);
		buf_free(&data);
		smtp_global_cleanup();
		return 1;
	}
	fprintf(stderr, "status %ld\netag %s\nlast-modified %s\nlength %zu\n",
	    resp.status, resp.etag != NULL ? resp.etag : "-",
	    resp.last_modified != NULL ? resp.last_modified : "-",
	    resp.body_len);
	if (out != NULL && (f = fopen(out, "wb")) == NULL) {
		fprintf(stderr, "http-get: %s: %s\n", out, strerror(errno));
		ret = EXIT_SOFTWARE;
	} else {
		if (out == NULL)
			f = stdout;
		if (resp.body_len > 0 &&
		    fwrite(resp.body, 1, resp.body_len, f) != resp.body_len)
			ret = EXIT_SOFTWARE;
		if ((f != stdout ? fclose(f) : fflush(f)) != 0)
			ret = EXIT_SOFTWARE;
		if (ret != 0)
			fprintf(stderr, "http-get: write error\n");
	}
	http_response_clear(&resp);
	buf_free(&data);
	smtp_global_cleanup();
	return ret;
}
