/* ca-revoke: one revocation through the configured backend (ca_open,
 * ca_revoke) for the integration tests. Prints
 *   status=ok|temporary|permanent changed=N reason=N revoked_at=N detail=...
 * and, on failure, "error=..."; exits 0 (ok), 2 (temporary), 3
 * (permanent), 1 (the configuration or the backend's start failed). */
#include "autoconf.h"
#include "ca.h"
#include "config.h"
#include "smtp.h"
#include "util.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: ca-revoke -c CONF --serial HEX --issuer DN "
	    "--reason N [--invalidity EPOCH]\n");
	exit(EXIT_USAGE);
}

static int64_t
number(const char *s, int64_t min, int64_t max)
{
	char		*end;
	long long	 l;

	errno = 0;
	l = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || l < min || l > max)
		usage();
	return (int64_t)l;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "serial",	required_argument,	NULL, 's' },
		{ "issuer",	required_argument,	NULL, 'i' },
		{ "reason",	required_argument,	NULL, 'r' },
		{ "invalidity",	required_argument,	NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		*cfg;
	struct ca_backend	*ca = NULL;
	struct ca_revocation	 rv;
	struct ca_result	 res;
	enum ca_status		 st;
	const char		*conf = NULL;
	char			*error = NULL;
	int			 ch, ret;

	log_init("ca-revoke", 1);
	memset(&rv, 0, sizeof(rv));
	rv.reason = -1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			rv.serial = optarg;
			break;
		case 'i':
			rv.issuer = optarg;
			break;
		case 'r':
			rv.reason = (int)number(optarg, 0, 10);
			break;
		case 'v':
			rv.invalidity_date = number(optarg, 0, INT64_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || conf == NULL || rv.serial == NULL ||
	    rv.issuer == NULL || rv.reason == -1)
		usage();
	rv.now = (int64_t)now();

	if ((cfg = config_load(conf, &error)) == NULL) {
		fprintf(stderr, "%s", error);
		free(error);
		return 1;
	}
	smtp_global_init();
	if (ca_open(cfg, &ca, &error) == -1) {
		printf("error=%s\n", error);
		free(error);
		ret = 1;
		goto out;
	}
	st = ca_revoke(ca, &rv, &res, &error);
	printf("status=%s changed=%d reason=%d revoked_at=%" PRId64 " detail=%s\n",
	    st == CA_OK ? "ok" : st == CA_TEMPORARY ? "temporary" : "permanent",
	    res.changed, res.reason, res.revoked_at,
	    res.detail != NULL ? res.detail : "");
	if (error != NULL)
		printf("error=%s\n", error);
	ret = st == CA_OK ? 0 : st == CA_TEMPORARY ? 2 : 3;
	free(error);
	ca_result_clear(&res);
	ca_close(&ca);
out:
	smtp_global_cleanup();
	config_free(&cfg);
	return ret;
}
