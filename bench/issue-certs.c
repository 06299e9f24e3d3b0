/*
 * issue-certs: the work of `cabutctl ca issue` (src/cabutctl.c: cmd_ca),
 * repeated COUNT times in one process, for the benchmark's set-up only.
 *
 * `cabutctl ca issue` costs ~50-100 ms a call on this kind of machine, and
 * almost all of it is process start-up (dynamic linking of libetpan,
 * libcurl, OpenSSL, libmagic, sqlite) and two fsync'd sqlite databases
 * opened per call: 10,000 holders would take 10-17 minutes.  This tool
 * calls the very same library functions as cmd_ca -- localca_open,
 * localca_issue, registry_add and an audit "ca-issue" entry, one store
 * transaction per certificate -- so every certificate is issued by the
 * local CA (recorded in ca.db) and in the registry exactly as with
 * cabutctl, only without a new process each time.
 *
 * usage: issue-certs CONF FIRST COUNT
 * Holder i (FIRST <= i < FIRST+COUNT) gets subject
 * "CN=Pemohon Bench i,O=Pemerintah Kota Pekalongan,C=ID" and e-mail
 * pemohon-i@example.test.  Prints "i SERIAL" a line.
 */
#include "autoconf.h"
#include "config.h"
#include "store.h"
#include "registry.h"
#include "audit.h"
#include "localca.h"
#include "priv.h"
#include "util.h"
#include "log.h"

#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
main(int argc, char **argv)
{
	struct config		*cfg;
	struct store		*store = NULL;
	struct localca		*ca = NULL;
	struct audit_entry	 e;
	const unsigned char	*p;
	unsigned char		*der;
	size_t			 der_len;
	char			*errors = NULL, *err = NULL, *serial, *subject;
	char			*email, *why;
	long			 first, count, i;
	X509			*x;

	if (argc != 4) {
		fprintf(stderr, "usage: issue-certs CONF FIRST COUNT\n");
		return 64;
	}
	first = strtol(argv[2], NULL, 10);
	count = strtol(argv[3], NULL, 10);
	log_init("issue-certs", 1);
	umask(077);
	if ((cfg = config_load(argv[1], &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		return 78;
	}
	if (priv_drop(cfg->daemon.user, &err) == -1 ||
	    store_open(cfg->daemon.state_dir, 0, &store, &err) == -1 ||
	    localca_open(cfg->ca.dir, cfg->ca.crl_days, &ca, &err) == -1) {
		fprintf(stderr, "issue-certs: %s\n", err);
		return 1;
	}
	for (i = first; i < first + count; i++) {
		subject = xasprintf("CN=Pemohon Bench %ld,O=Pemerintah Kota "
		    "Pekalongan,C=ID", i);
		email = xasprintf("pemohon-%ld@example.test", i);
		serial = NULL;
		der = NULL;
		if (localca_issue(ca, subject, email, NULL, 365, (int64_t)now(),
		    NULL, &serial, &der, &der_len, &err) == -1) {
			fprintf(stderr, "issue-certs: %s\n", err);
			return 1;
		}
		p = der;
		why = xasprintf("certificate %s issued by the local CA for %s",
		    serial, subject);
		memset(&e, 0, sizeof(e));
		e.event = "ca-issue";
		e.actor = "admin:bench";
		e.reason = why;
		if ((x = d2i_X509(NULL, &p, (long)der_len)) == NULL ||
		    store_begin(store) == -1 ||
		    registry_add(store, x, NULL, &err) == -1 ||
		    audit_append(store, &e) == -1 ||
		    store_commit(store) == -1) {
			store_rollback(store);
			fprintf(stderr, "issue-certs: %s: not recorded: %s\n",
			    serial, err ? err : "store error");
			return 1;
		}
		printf("%ld %s\n", i, serial);
		X509_free(x);
		free(why);
		free(der);
		free(serial);
		free(email);
		free(subject);
	}
	localca_close(&ca);
	store_close(&store);
	config_free(&cfg);
	return 0;
}
