/* config: the INI syntax, every key's values, the errors (FILE:LINE),
 * cross-key checks, and contrib/cabut.conf.sample. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/stat.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

static char	 tmpdir[] = "/tmp/cabut-config.XXXXXX";
static char	 confpath[PATH_MAX];

/* The keys every valid config needs, 8 lines; a bad part appended after
 * them starts on line 9. */
#define IMAP_OK	"[imap]\nurl = imaps://imap.example.org\n"
#define SMTP_OK	"[smtp]\nurl = smtps://smtp.example.org\n" \
		"from = Cabut <cabut@example.org>\nreply_to = cabut@example.org\n"
#define OP_OK	"[op]\naddresses = op1@example.org, op2@example.org\n"
#define REQ	IMAP_OK SMTP_OK OP_OK

static void
make_file(const char *name, int mode, const char *content)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
	free(path);
}

static int
setup(void **state)
{
	char	*p;
	int	 r;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(confpath, sizeof(confpath), "%s/cabut.conf", tmpdir);
	make_file("pw", 0600, "secret\n");
	make_file("pw640", 0640, "secret\n");
	make_file("ca.pem", 0644, "ca\n");
	make_file("smime.pem", 0644, "smime ca\n");
	make_file("client.pem", 0644, "cert\n");
	make_file("client.key", 0600, "key\n");
	p = xasprintf("%s/templates", tmpdir);
	r = mkdir(p, 0755);
	free(p);
	return r;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", tmpdir);
	int	 r = system(cmd);

	free(cmd);
	return r == 0 ? 0 : -1;
}

/* text with every @DIR@ replaced by the test's directory */
static char *
subst(const char *text)
{
	struct buf	 b;
	const char	*p, *q;

	buf_init(&b, 1024 * 1024);
	for (p = text; (q = strstr(p, "@DIR@")) != NULL; p = q + 5) {
		assert_int_equal(buf_add(&b, p, (size_t)(q - p)), 0);
		assert_int_equal(buf_addstr(&b, tmpdir), 0);
	}
	assert_int_equal(buf_addstr(&b, p), 0);
	return buf_steal(&b);
}

static void
write_raw(const char *data, size_t len)
{
	FILE	*f = fopen(confpath, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct config *
load(const char *text, char **errors)
{
	char	*s = subst(text);

	write_raw(s, strlen(s));
	free(s);
	*errors = NULL;
	return config_load(confpath, errors);
}

/* Loads text, which must be valid. */
static struct config *
load_ok(const char *text)
{
	struct config	*cfg;
	char		*errors;

	cfg = load(text, &errors);
	if (cfg == NULL) {
		print_error("unexpected errors:\n%s\n", errors);
		free(errors);
		fail();
	}
	assert_null(errors);
	return cfg;
}

static size_t
count_lines(const char *s)
{
	size_t	 n = 1;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* One of the errors must be "CONFPATH:LINE: ..." ("CONFPATH: ..." for
 * line 0) with msg in it. */
static int
has_error(const char *errors, int line, const char *msg)
{
	const char	*p, *nl;
	char		*prefix, *one;
	size_t		 plen;
	int		 found = 0;

	prefix = line > 0 ? xasprintf("%s:%d: ", confpath, line) :
	    xasprintf("%s: ", confpath);
	plen = strlen(prefix);
	for (p = errors; p != NULL && !found; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		one = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		found = strncmp(one, prefix, plen) == 0 &&
		    strstr(one + plen, msg) != NULL;
		free(one);
	}
	free(prefix);
	return found;
}

static void
expect_error(const char *errors, int line, const char *msg)
{
	if (!has_error(errors, line, msg)) {
		print_error("expected on line %d: %s\ngot:\n%s\n", line, msg,
		    errors ? errors : "(no errors)");
		fail();
	}
}

/* Loads text, which must fail with exactly nerrors errors, one of them
 * msg on line. */
static void
load_bad(const char *text, int line, const char *msg, size_t nerrors)
{
	struct config	*cfg;
	char		*errors;

	cfg = load(text, &errors);
	if (cfg != NULL) {
		print_error("accepted, but should fail with: %s\n%s\n", msg, text);
		config_free(&cfg);
		fail();
	}
	expect_error(errors, line, msg);
	if (count_lines(errors) != nerrors) {
		print_error("expected %zu errors, got:\n%s\n", nerrors, errors);
		free(errors);
		fail();
	}
	free(errors);
}

static void
test_duration(void **state)
{
	static const struct { const char *s; int64_t v; } good[] = {
		{ "0", 0 }, { "60", 60 }, { "90s", 90 }, { "5m", 300 },
		{ "1h", 3600 }, { "3d", 3 * 86400 }, { "2w", 14 * 86400 },
		{ "2y", 2 * 365 * 86400 }, { "007m", 420 },
		{ "9223372036854775807", INT64_MAX },
		{ "9223372036854775807s", INT64_MAX },
		{ "153722867280912930m", INT64_C(153722867280912930) * 60 },
		{ "292471208677y", INT64_C(292471208677) * 365 * 86400 },
	};
	static const char *const bad[] = {
		"", "abc", "-5s", "-1", "+5", "5x", "5M", "5S", "5 s", " 5s", "5s ",
		"5ss", "s", "m5", "1.5h", "0x10", "1h30m",
		"9223372036854775808",		/* INT64_MAX + 1 */
		"153722867280912931m",		/* * 60 overflows */
		"99999999999999999999999999d",
		"292471208678y",		/* * 365d overflows */
	};
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		if (config_parse_duration(good[i].s, &v) != 0) {
			print_error("refused good duration '%s'\n", good[i].s);
			fail();
		}
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_duration(bad[i], &v) != -1) {
			print_error("accepted bad duration '%s'\n", bad[i]);
			fail();
		}
		assert_int_equal(v, 12345);	/* untouched */
	}
}

static void
test_size(void **state)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "512K", 512 * 1024 },
		{ "512k", 512 * 1024 }, { "10M", 10 * 1024 * 1024 },
		{ "10m", 10 * 1024 * 1024 }, { "1G", 1024 * 1024 * 1024 },
		{ "1g", 1024 * 1024 * 1024 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", UINT64_C(17179869183) << 30 },
	};
	static const char *const bad[] = {
		"", "K", "-1", "+1", "1T", "1KB", "1 K", " 1K", "1K ", "1.5M",
		"0x10", "ten",
		"18446744073709551616",		/* UINT64_MAX + 1 */
		"17179869184G",			/* 2^64 */
		"18014398509481984K",		/* 2^64 */
	};
	uint64_t v;
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		if (config_parse_size(good[i].s, &v) != 0) {
			print_error("refused good size '%s'\n", good[i].s);
			fail();
		}
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_size(bad[i], &v) != -1) {
			print_error("accepted bad size '%s'\n", bad[i]);
			fail();
		}
		assert_true(v == 12345);
	}
}

static void
test_bool(void **state)
{
	static const struct { const char *s; int v; } good[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "No", 0 }, { "True", 1 },
	};
	static const char *const bad[] = {
		"", "y", "n", "2", "-1", "yes ", " no", "enabled", "nope", "01",
	};
	size_t	 i;
	int	 v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		if (config_parse_bool(good[i].s, &v) != 0) {
			print_error("refused good boolean '%s'\n", good[i].s);
			fail();
		}
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		if (config_parse_bool(bad[i], &v) != -1) {
			print_error("accepted bad boolean '%s'\n", bad[i]);
			fail();
		}
		assert_int_equal(v, 7);
	}
}

static void
test_addr_valid(void **state)
{
	static const char *const good[] = {
		"a@b", "op@example.org", "first.last@sub.example.co.id",
		"x+y@example.org", "o'brien@example.org", "a_b-c@ex-ample.org",
		"cabut@localhost", "1@2.3",
	};
	static const char *const bad[] = {
		"", "@", "a@", "@b.org", "ab.org", "a@@b.org", "a@b@c.org",
		"a b@c.org", "a@b c.org", "<a@b.org>", "\"a\"@b.org", "a,b@c.org",
		".a@b.org", "a.@b.org", "a..b@c.org", "a@.b.org", "a@b.org.",
		"a@b..org", "a@-b.org", "a@b-.org", "a@b_c.org", "a@[1.2.3.4]",
		"Name <a@b.org>", "a@b.org\n", "a\t@b.org", "\xc3\xa9@b.org",
		/* 65 characters of local part */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.org",
		/* a 64-character label */
		"a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	};
	char	 longaddr[300];
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!config_addr_valid(good[i])) {
			print_error("refused good address '%s'\n", good[i]);
			fail();
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_addr_valid(bad[i])) {
			print_error("accepted bad address '%s'\n", bad[i]);
			fail();
		}
	assert_false(config_addr_valid(NULL));
	/* 64 + 1 + 189 = 254 characters: the longest allowed */
	memset(longaddr, 'a', 64);
	longaddr[64] = '@';
	for (i = 65; i < 254; i++)
		longaddr[i] = (i % 50 == 0) ? '.' : 'b';
	longaddr[254] = '\0';
	assert_true(config_addr_valid(longaddr));
	longaddr[254] = 'c';
	longaddr[255] = '\0';
	assert_false(config_addr_valid(longaddr));
}

static void
test_names(void **state)
{
	assert_string_equal(config_backend_name(BACKEND_LOCAL), "local");
	assert_string_equal(config_backend_name(BACKEND_MANUAL), "manual");
	assert_string_equal(config_backend_name(BACKEND_CFSSL), "cfssl");
	assert_string_equal(config_backend_name(BACKEND_EJBCA), "ejbca");
	assert_string_equal(config_language_name(LANG_ID), "id");
	assert_string_equal(config_language_name(LANG_EN), "en");
}

/* Every key of [daemon], [imap], [smtp], [op], [request] and the local
 * backend's keys, with comments and quoting in between. */
static void
test_full_local(void **state)
{
	struct config	*cfg;

	cfg = load_ok(
	    "# cabut\n"
	    "; another comment\n"
	    "\n"
	    "[daemon]\n"
	    "state_dir = @DIR@/state/\n"
	    "user = cabutd   # trailing comment\n"
	    "language = en\n"
	    "admin_address = admin@example.org\n"
	    "poll_interval = 2m\n"
	    "idle = no\n"
	    "templates_dir = @DIR@/templates\n"
	    "retention = 3y\n"
	    "\n"
	    "[imap]\n"
	    "url = imaps://imap.example.org:9993/Pencabutan%20Sertifikat\n"
	    "starttls = no\n"
	    "tls_verify = off\n"
	    "ca_file = @DIR@/ca.pem\n"
	    "username = cabut-imap\n"
	    "password_file = @DIR@/pw\n"
	    "processed_folder = \"Done #1\"   # quoted: the # stays\n"
	    "\n"
	    "[smtp]\n"
	    "url = smtp://smtp.example.org:2525/cabut.example.org\n"
	    "starttls = required\n"
	    "tls_verify = false\n"
	    "ca_file = @DIR@/ca.pem\n"
	    "username = cabut-smtp\n"
	    "password_file = @DIR@/pw\n"
	    "from = \"\\\"BSrE, Cabut \\\\\\\\ \\\\\\\"\\\" <cabut@example.org>\"\n"
	    "reply_to = cabut@example.org\n"
	    "\n"
	    "[op]\n"
	    "addresses = op1@example.org, Op2@Example.org ,op3@example.org\n"
	    "approvals_required = 2\n"
	    "reminder_after = 10m\n"
	    "reminder_every = 12h\n"
	    "reminders_max = 5\n"
	    "expire_after = 2w\n"
	    "token_key_file = @DIR@/token.key\n"
	    "require_smime = yes\n"
	    "smime_ca_file = @DIR@/smime.pem\n"
	    "\n"
	    "[request]\n"
	    "allowed_types = Application/PDF, image/png,image/x-portable+bitmap\n"
	    "max_attachment_size = 2M\n"
	    "max_message_size = 30M\n"
	    "quarantine_max = 2G\n"
	    "answers_per_sender_hour = 10\n"
	    "confirm_requester = yes\n"
	    "trusted_authserv_id = mx.example.org\n"
	    "\n"
	    "[ca]\n"
	    "backend = local\n"
	    "dir = @DIR@/myca\n"
	    "crl_days = 14\n"
	    "crl_url = http://crl.example.org/ca.crl\n"
	    "verify_crl_url = https://crl.example.org/ca.crl?fresh=1\n"
	    "[daemon]   # a section may come back\n");

	assert_string_equal(cfg->path, confpath);
	assert_true(strncmp(cfg->daemon.state_dir, tmpdir, strlen(tmpdir)) == 0);
	assert_string_equal(cfg->daemon.state_dir + strlen(tmpdir), "/state");
	assert_string_equal(cfg->daemon.user, "cabutd");
	assert_int_equal(cfg->daemon.language, LANG_EN);
	assert_string_equal(cfg->daemon.admin_address, "admin@example.org");
	assert_int_equal(cfg->daemon.poll_interval, 120);
	assert_int_equal(cfg->daemon.idle, 0);
	assert_string_equal(cfg->daemon.templates_dir + strlen(tmpdir), "/templates");
	assert_int_equal(cfg->daemon.retention, 3 * 365 * 86400);

	assert_string_equal(cfg->imap.url,
	    "imaps://imap.example.org:9993/Pencabutan%20Sertifikat");
	assert_int_equal(cfg->imap.imaps, 1);
	assert_string_equal(cfg->imap.host, "imap.example.org");
	assert_int_equal(cfg->imap.port, 9993);
	assert_string_equal(cfg->imap.mailbox, "Pencabutan Sertifikat");
	assert_int_equal(cfg->imap.starttls, STARTTLS_NO);
	assert_int_equal(cfg->imap.tls_verify, 0);
	assert_string_equal(cfg->imap.ca_file + strlen(tmpdir), "/ca.pem");
	assert_string_equal(cfg->imap.username, "cabut-imap");
	assert_string_equal(cfg->imap.password_file + strlen(tmpdir), "/pw");
	assert_string_equal(cfg->imap.processed_folder, "Done #1");

	assert_int_equal(cfg->smtp.smtps, 0);
	assert_string_equal(cfg->smtp.host, "smtp.example.org");
	assert_int_equal(cfg->smtp.port, 2525);
	assert_int_equal(cfg->smtp.starttls, STARTTLS_REQUIRED);
	assert_int_equal(cfg->smtp.tls_verify, 0);
	assert_string_equal(cfg->smtp.ca_file + strlen(tmpdir), "/ca.pem");
	assert_string_equal(cfg->smtp.username, "cabut-smtp");
	assert_string_equal(cfg->smtp.password_file + strlen(tmpdir), "/pw");
	assert_string_equal(cfg->smtp.from,
	    "\"BSrE, Cabut \\\\ \\\"\" <cabut@example.org>");
	assert_string_equal(cfg->smtp.from_name, "BSrE, Cabut \\ \"");
	assert_string_equal(cfg->smtp.from_addr, "cabut@example.org");
	assert_string_equal(cfg->smtp.reply_to, "cabut@example.org");

	assert_int_equal(cfg->op.naddresses, 3);
	assert_string_equal(cfg->op.addresses[0], "op1@example.org");
	assert_string_equal(cfg->op.addresses[1], "Op2@Example.org");
	assert_string_equal(cfg->op.addresses[2], "op3@example.org");
	assert_int_equal(cfg->op.approvals_required, 2);
	assert_int_equal(cfg->op.reminder_after, 600);
	assert_int_equal(cfg->op.reminder_every, 12 * 3600);
	assert_int_equal(cfg->op.reminders_max, 5);
	assert_int_equal(cfg->op.expire_after, 14 * 86400);
	assert_string_equal(cfg->op.token_key_file + strlen(tmpdir), "/token.key");
	assert_int_equal(cfg->op.require_smime, 1);
	assert_string_equal(cfg->op.smime_ca_file + strlen(tmpdir), "/smime.pem");

	assert_int_equal(cfg->request.nallowed_types, 3);
	assert_string_equal(cfg->request.allowed_types[0], "application/pdf");
	assert_string_equal(cfg->request.allowed_types[1], "image/png");
	assert_string_equal(cfg->request.allowed_types[2],
	    "image/x-portable+bitmap");
	assert_true(cfg->request.max_attachment_size == 2 * 1024 * 1024);
	assert_true(cfg->request.max_message_size == 30 * 1024 * 1024);
	assert_true(cfg->request.quarantine_max == UINT64_C(2) << 30);
	assert_int_equal(cfg->request.answers_per_sender_hour, 10);
	assert_int_equal(cfg->request.confirm_requester, CONFIRM_YES);
	assert_string_equal(cfg->request.trusted_authserv_id, "mx.example.org");

	assert_int_equal(cfg->ca.backend, BACKEND_LOCAL);
	assert_string_equal(cfg->ca.dir + strlen(tmpdir), "/myca");
	assert_int_equal(cfg->ca.crl_days, 14);
	assert_string_equal(cfg->ca.crl_url, "http://crl.example.org/ca.crl");
	assert_string_equal(cfg->ca.verify_crl_url,
	    "https://crl.example.org/ca.crl?fresh=1");
	assert_null(cfg->ca.url);

	config_free(&cfg);
	assert_null(cfg);
}

/* The keys of the manual backend. */
static void
test_full_manual(void **state)
{
	struct config	*cfg;

	cfg = load_ok(REQ
	    "[ca]\n"
	    "backend = manual\n"
	    "crl_url = https://ams.example.go.id/crl/bsre.crl\n"
	    "crl_poll = 15m\n"
	    "crl_grace = 3d\n"
	    "verify_crl_url = https://ams.example.go.id/crl/bsre.crl\n");
	assert_int_equal(cfg->ca.backend, BACKEND_MANUAL);
	assert_string_equal(cfg->ca.crl_url, "https://ams.example.go.id/crl/bsre.crl");
	assert_int_equal(cfg->ca.crl_poll, 900);
	assert_int_equal(cfg->ca.crl_grace, 3 * 86400);
	assert_null(cfg->ca.dir);	/* only the local backend has one */
	config_free(&cfg);
}

/* The keys of the API backends. */
static void
test_full_ejbca(void **state)
{
	struct config	*cfg;

	cfg = load_ok(REQ
	    "[ca]\n"
	    "backend = ejbca\n"
	    "url = https://ejbca.example.org:8443/ejbca/ejbca-rest-api\n"
	    "client_cert_file = @DIR@/client.pem\n"
	    "client_key_file = @DIR@/client.key\n"
	    "ca_file = @DIR@/ca.pem\n"
	    "tls_verify = yes\n"
	    "timeout = 45s\n"
	    "verify_crl_url = http://ejbca.example.org/crl\n");
	assert_int_equal(cfg->ca.backend, BACKEND_EJBCA);
	assert_string_equal(cfg->ca.url,
	    "https://ejbca.example.org:8443/ejbca/ejbca-rest-api");
	assert_string_equal(cfg->ca.client_cert_file + strlen(tmpdir), "/client.pem");
	assert_string_equal(cfg->ca.client_key_file + strlen(tmpdir), "/client.key");
	assert_string_equal(cfg->ca.ca_file + strlen(tmpdir), "/ca.pem");
	assert_int_equal(cfg->ca.tls_verify, 1);
	assert_int_equal(cfg->ca.timeout, 45);
	assert_string_equal(cfg->ca.verify_crl_url, "http://ejbca.example.org/crl");
	config_free(&cfg);

	cfg = load_ok(REQ
	    "[ca]\n"
	    "backend = cfssl\n"
	    "url = http://127.0.0.1:8888\n"
	    "tls_verify = no\n");
	assert_int_equal(cfg->ca.backend, BACKEND_CFSSL);
	assert_string_equal(cfg->ca.url, "http://127.0.0.1:8888");
	assert_null(cfg->ca.client_cert_file);
	assert_int_equal(cfg->ca.tls_verify, 0);
	assert_int_equal(cfg->ca.timeout, 30);
	config_free(&cfg);
}

static void
test_defaults(void **state)
{
	struct config	*cfg;

	cfg = load_ok(
	    "[imap]\nurl = imap://imap.example.org\n"
	    "[smtp]\nurl = smtps://smtp.example.org\n"
	    "from = cabut@example.org\nreply_to = cabut@example.org\n"
	    "[op]\naddresses = op@example.org\n");

	assert_string_equal(cfg->daemon.state_dir, LOCALSTATEDIR "/lib/cabut");
	assert_string_equal(cfg->daemon.user, "cabut");
	assert_int_equal(cfg->daemon.language, LANG_ID);
	assert_null(cfg->daemon.admin_address);
	assert_int_equal(cfg->daemon.poll_interval, 60);
	assert_int_equal(cfg->daemon.idle, 1);
	assert_null(cfg->daemon.templates_dir);
	assert_int_equal(cfg->daemon.retention, 2 * 365 * 86400);

	assert_int_equal(cfg->imap.imaps, 0);
	assert_string_equal(cfg->imap.host, "imap.example.org");
	assert_int_equal(cfg->imap.port, 143);
	assert_string_equal(cfg->imap.mailbox, "INBOX");
	assert_int_equal(cfg->imap.starttls, STARTTLS_REQUIRED);
	assert_int_equal(cfg->imap.tls_verify, 1);
	assert_null(cfg->imap.ca_file);
	assert_null(cfg->imap.username);
	assert_null(cfg->imap.password_file);
	assert_null(cfg->imap.processed_folder);

	assert_int_equal(cfg->smtp.smtps, 1);
	assert_int_equal(cfg->smtp.port, 465);
	assert_int_equal(cfg->smtp.starttls, STARTTLS_REQUIRED);
	assert_int_equal(cfg->smtp.tls_verify, 1);
	assert_null(cfg->smtp.ca_file);
	assert_null(cfg->smtp.username);
	assert_null(cfg->smtp.password_file);
	assert_string_equal(cfg->smtp.from, "cabut@example.org");
	assert_null(cfg->smtp.from_name);
	assert_string_equal(cfg->smtp.from_addr, "cabut@example.org");

	assert_int_equal(cfg->op.naddresses, 1);
	assert_string_equal(cfg->op.addresses[0], "op@example.org");
	assert_int_equal(cfg->op.approvals_required, 1);
	assert_int_equal(cfg->op.reminder_after, 300);
	assert_int_equal(cfg->op.reminder_every, 86400);
	assert_int_equal(cfg->op.reminders_max, 3);
	assert_int_equal(cfg->op.expire_after, 7 * 86400);
	assert_string_equal(cfg->op.token_key_file, LOCALSTATEDIR "/lib/cabut/token.key");
	assert_int_equal(cfg->op.require_smime, 0);
	assert_null(cfg->op.smime_ca_file);

	assert_int_equal(cfg->request.nallowed_types, 3);
	assert_string_equal(cfg->request.allowed_types[0], "application/pdf");
	assert_string_equal(cfg->request.allowed_types[1], "image/jpeg");
	assert_string_equal(cfg->request.allowed_types[2], "image/png");
	assert_true(cfg->request.max_attachment_size == 5 * 1024 * 1024);
	assert_true(cfg->request.max_message_size == 20 * 1024 * 1024);
	assert_true(cfg->request.quarantine_max == 1024 * 1024 * 1024);
	assert_int_equal(cfg->request.answers_per_sender_hour, 5);
	assert_int_equal(cfg->request.confirm_requester, CONFIRM_AUTO);
	assert_null(cfg->request.trusted_authserv_id);

	assert_int_equal(cfg->ca.backend, BACKEND_LOCAL);
	assert_string_equal(cfg->ca.dir, LOCALSTATEDIR "/lib/cabut/ca");
	assert_int_equal(cfg->ca.crl_days, 7);
	assert_null(cfg->ca.crl_url);
	assert_int_equal(cfg->ca.crl_poll, 600);
	assert_int_equal(cfg->ca.crl_grace, 2 * 86400);
	assert_null(cfg->ca.url);
	assert_null(cfg->ca.client_cert_file);
	assert_null(cfg->ca.client_key_file);
	assert_null(cfg->ca.ca_file);
	assert_int_equal(cfg->ca.tls_verify, 1);
	assert_int_equal(cfg->ca.timeout, 30);
	assert_null(cfg->ca.verify_crl_url);
	config_free(&cfg);
	assert_null(cfg);
	config_free(&cfg);	/* freeing NULL is harmless */
	config_free(NULL);
}

/* Paths derived from state_dir follow the final state_dir, wherever it is
 * set in the file. */
static void
test_derived_paths(void **state)
{
	struct config	*cfg;

	cfg = load_ok(REQ "[daemon]\nstate_dir = /srv/cabut//\n");
	assert_string_equal(cfg->daemon.state_dir, "/srv/cabut");
	assert_string_equal(cfg->op.token_key_file, "/srv/cabut/token.key");
	assert_string_equal(cfg->ca.dir, "/srv/cabut/ca");
	config_free(&cfg);
}

static void
test_values_syntax(void **state)
{
	struct config	*cfg;

	/* unquoted # without a space before it is part of the value; quoted
	 * values keep spaces; a UTF-8 byte order mark and UTF-8 text are fine */
	cfg = load_ok("\xef\xbb\xbf" REQ
	    "[imap]\nprocessed_folder = a#b #c\n"
	    "[smtp]\nusername = \"  spaced  \"#c\npassword_file = @DIR@/pw\n"
	    "[request]\ntrusted_authserv_id =\n"
	    "[daemon]\n\tadmin_address\t=\tadmin@example.org\t\n");
	assert_string_equal(cfg->imap.processed_folder, "a#b");
	assert_string_equal(cfg->smtp.username, "  spaced  ");
	assert_null(cfg->request.trusted_authserv_id);
	assert_string_equal(cfg->daemon.admin_address, "admin@example.org");
	config_free(&cfg);

	cfg = load_ok(IMAP_OK OP_OK
	    "[smtp]\nurl = smtps://smtp.example.org\n"
	    "from = Layanan Pencabutan \xe2\x80\x93 BSrE <cabut@example.org>\n"
	    "reply_to = cabut@example.org\n");
	assert_string_equal(cfg->smtp.from_name,
	    "Layanan Pencabutan \xe2\x80\x93 BSrE");
	assert_string_equal(cfg->smtp.from_addr, "cabut@example.org");
	config_free(&cfg);

	/* IPv6 literal hosts lose their brackets; an empty path is INBOX */
	cfg = load_ok(SMTP_OK OP_OK "[imap]\nurl = IMAP://[::1]:1143/\n");
	assert_string_equal(cfg->imap.host, "::1");
	assert_int_equal(cfg->imap.port, 1143);
	assert_string_equal(cfg->imap.mailbox, "INBOX");
	config_free(&cfg);

	/* starttls with imaps/smtps is pointless, and accepted */
	cfg = load_ok(REQ "[imap]\nstarttls = required\n[smtp]\nstarttls = no\n");
	config_free(&cfg);
}

struct bad {
	const char	*text;
	int		 line;
	const char	*msg;
	size_t		 nerrors;
};

static void
run_bad(const struct bad *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		load_bad(t[i].text, t[i].line, t[i].msg, t[i].nerrors);
}

static void
test_bad_syntax(void **state)
{
	static const struct bad t[] = {
		{ "poll_interval = 60\n" REQ, 1,
		    "key 'poll_interval' outside of any section", 1 },
		{ REQ "[daemon]\npoll_interval = 60\npoll_interval = 90\n", 11,
		    "[daemon] poll_interval: set twice (first on line 10)", 1 },
		{ REQ "[daemon]\nidle = yes\n[imap]\n[daemon]\nidle = no\n", 13,
		    "[daemon] idle: set twice (first on line 10)", 1 },
		{ REQ "[daemon]\nfoo = bar\n", 10, "[daemon] unknown key 'foo'", 1 },
		{ REQ "[imap]\npassword = secret\n", 10,
		    "[imap] unknown key 'password'", 1 },
		{ REQ "[daemons]\nfoo = bar\nbaz = 1\n", 9,
		    "unknown section [daemons]", 1 },
		{ REQ "[Daemon]\n", 9, "unknown section [Daemon]", 1 },
		{ REQ "[daemon\nuser = x\n", 9, "missing ']' in section header", 1 },
		{ REQ "[daemon] user = x\n", 9, "text after the section header", 1 },
		{ REQ "[daemon]\njust some words\n", 10,
		    "expected '[section]' or 'key = value'", 1 },
		{ REQ "[daemon]\n = x\n", 10, "missing key name before '='", 1 },
		{ REQ "[daemon]\nuser = \"cabut\n", 10,
		    "[daemon] user: missing closing quote", 1 },
		{ REQ "[daemon]\nuser = \"cab\"ut\n", 10,
		    "[daemon] user: text after the closing quote", 1 },
		{ REQ "[daemon]\nuser = \"cab\\nut\"\n", 10,
		    "[daemon] user: invalid escape in quoted value", 1 },
		{ REQ "[daemon]\nuser =\n", 10, "[daemon] user: empty value", 1 },
		{ REQ "[daemon]\npoll_interval = \"\"\n", 10,
		    "[daemon] poll_interval: empty value", 1 },
		{ REQ "[daemon]\nuser = a\x01" "b\n", 10, "control character", 1 },
		{ REQ "[daemon]\nuser = cabut\r\n", 10, "carriage return", 1 },
		{ REQ "[daemon]\nuser = a\xc2\x85" "b\n", 10, "control character", 1 },
		{ REQ "[daemon]\nuser = \xff\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xc0\xaf\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xed\xa0\x80\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xe2\x80\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xe0\x80\xaf\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xf0\x80\x80\xaf\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xf4\x90\x80\x80\n", 10, "invalid UTF-8", 1 },
		{ REQ "[daemon]\nuser = \xe2\x80\x28\n", 10, "invalid UTF-8", 1 },
	};

	run_bad(t, sizeof(t) / sizeof(t[0]));
}

static void
test_bad_values(void **state)
{
	static const struct bad t[] = {
		{ REQ "[daemon]\npoll_interval = abc\n", 10,
		    "[daemon] poll_interval: invalid duration 'abc'", 1 },
		{ REQ "[daemon]\npoll_interval = -5s\n", 10,
		    "[daemon] poll_interval: invalid duration '-5s'", 1 },
		{ REQ "[daemon]\npoll_interval = 0\n", 10,
		    "[daemon] poll_interval: duration '0' out of range (1s..1d)", 1 },
		{ REQ "[daemon]\npoll_interval = 25h\n", 10,
		    "[daemon] poll_interval: duration '25h' out of range (1s..1d)", 1 },
		{ REQ "[daemon]\nretention = 23h\n", 10,
		    "[daemon] retention: duration '23h' out of range", 1 },
		{ REQ "[daemon]\nretention = 99999999999999999999y\n", 10,
		    "[daemon] retention: invalid duration '99999999999999999999y'", 1 },
		{ REQ "[op]\nexpire_after = 59s\n", 10,
		    "[op] expire_after: duration '59s' out of range (1m..1y)", 1 },
		{ REQ "[op]\nreminder_after = 0s\n", 10,
		    "[op] reminder_after: duration '0s' out of range", 1 },
		{ REQ "[op]\nreminder_every = 1x\n", 10,
		    "[op] reminder_every: invalid duration '1x'", 1 },
		{ REQ "[request]\nmax_message_size = 1023\n", 10,
		    "[request] max_message_size: size '1023' out of range (1K..1G)", 1 },
		{ REQ "[request]\nmax_attachment_size = 10X\n", 10,
		    "[request] max_attachment_size: invalid size '10X'", 1 },
		{ REQ "[request]\nmax_attachment_size = 30M\n", 10,
		    "[request] max_attachment_size is larger than max_message_size", 1 },
		{ REQ "[request]\nquarantine_max = 1K\n", 10,
		    "[request] quarantine_max: size '1K' too small (at least 1M)", 1 },
		{ REQ "[request]\nquarantine_max = 99999999999999999999\n", 10,
		    "[request] quarantine_max: invalid size", 1 },
		{ REQ "[daemon]\nidle = maybe\n", 10,
		    "[daemon] idle: invalid boolean 'maybe'", 1 },
		{ REQ "[daemon]\nlanguage = fr\n", 10,
		    "[daemon] language: invalid value 'fr' (id|en)", 1 },
		{ REQ "[daemon]\nlanguage = EN\n", 10,
		    "[daemon] language: invalid value 'EN'", 1 },
		{ REQ "[imap]\nstarttls = optional\n", 10,
		    "[imap] starttls: invalid value 'optional' (required|no)", 1 },
		{ REQ "[request]\nconfirm_requester = always\n", 10,
		    "[request] confirm_requester: invalid value 'always' (auto|yes|no)", 1 },
		{ REQ "[ca]\nbackend = openssl\ncrl_poll = 5m\n", 10,
		    "[ca] backend: invalid value 'openssl' (local|manual|cfssl|ejbca)", 1 },
		{ REQ "[op]\napprovals_required = 0\n", 10,
		    "[op] approvals_required: invalid number '0'", 1 },
		{ REQ "[op]\napprovals_required = 1x\n", 10,
		    "[op] approvals_required: invalid number '1x'", 1 },
		{ REQ "[op]\napprovals_required = -1\n", 10,
		    "[op] approvals_required: invalid number '-1'", 1 },
		{ REQ "[op]\napprovals_required = 99999999999999999999\n", 10,
		    "[op] approvals_required: invalid number", 1 },
		{ REQ "[op]\napprovals_required = 3\n", 10,
		    "[op] approvals_required: 3 is more than the 2 addresses", 1 },
		{ REQ "[op]\nreminders_max = 101\n", 10,
		    "[op] reminders_max: invalid number '101' (0..100)", 1 },
		{ REQ "[op]\nreminders_max = +3\n", 10,
		    "[op] reminders_max: invalid number '+3'", 1 },
		{ REQ "[request]\nanswers_per_sender_hour = 1001\n", 10,
		    "[request] answers_per_sender_hour: invalid number '1001' (0..1000)", 1 },
		{ REQ "[ca]\ncrl_days = 0\n", 10,
		    "[ca] crl_days: invalid number '0' (1..365)", 1 },
		{ REQ "[ca]\ncrl_days = 366\n", 10, "[ca] crl_days: invalid number", 1 },
		{ REQ "[daemon]\nstate_dir = var/lib/cabut\n", 10,
		    "[daemon] state_dir: 'var/lib/cabut' is not an absolute path", 1 },
		{ REQ "[op]\ntoken_key_file = token.key\n", 10,
		    "[op] token_key_file: 'token.key' is not an absolute path", 1 },
		{ REQ "[daemon]\ntemplates_dir = @DIR@/nonexistent\n", 10,
		    "No such file or directory", 1 },
		{ REQ "[daemon]\ntemplates_dir = @DIR@/ca.pem\n", 10,
		    "is not a directory", 1 },
		{ REQ "[imap]\nca_file = @DIR@/missing.pem\n", 10,
		    "[imap] ca_file: '", 1 },
		{ REQ "[smtp]\nca_file = @DIR@/templates\n", 10,
		    "is not a regular file", 1 },
		{ REQ "[daemon]\nuser = bad user\n", 10,
		    "[daemon] user: invalid user name 'bad user'", 1 },
		{ REQ "[daemon]\nadmin_address = admin\n", 10,
		    "[daemon] admin_address: invalid address 'admin'", 1 },
		{ REQ "[request]\ntrusted_authserv_id = mx example\n", 10,
		    "[request] trusted_authserv_id: invalid authserv-id", 1 },
		{ REQ "[request]\nallowed_types = pdf\n", 10,
		    "[request] allowed_types: invalid MIME type 'pdf'", 1 },
		{ REQ "[request]\nallowed_types = image/*\n", 10,
		    "[request] allowed_types: invalid MIME type 'image/*'", 1 },
		{ REQ "[request]\nallowed_types = application/pdf, Application/PDF\n", 10,
		    "[request] allowed_types: type 'application/pdf' listed twice", 1 },
		{ REQ "[request]\nallowed_types = application/pdf,\n", 10,
		    "[request] allowed_types: empty item in the list", 1 },
		{ IMAP_OK SMTP_OK "[op]\naddresses = a@example.org,, b@example.org\n", 8,
		    "[op] addresses: empty item in the list", 1 },
		{ IMAP_OK SMTP_OK "[op]\naddresses = a@example.org, A@Example.org\n", 8,
		    "[op] addresses: address 'A@Example.org' listed twice", 1 },
		{ IMAP_OK SMTP_OK "[op]\naddresses = a@example.org, OP <b@example.org>\n", 8,
		    "[op] addresses: invalid address 'OP <b@example.org>'", 1 },
		{ REQ "[op]\nrequire_smime = yes\n", 10,
		    "[op] require_smime: yes needs smime_ca_file", 1 },
		{ REQ "[imap]\nusername = cabut\n", 10,
		    "[imap] username: set, but password_file is not", 1 },
		{ REQ "[smtp]\npassword_file = @DIR@/pw\n", 10,
		    "[smtp] password_file: set, but username is not", 1 },
		{ REQ "[imap]\nprocessed_folder = inbox\n", 10,
		    "[imap] processed_folder: 'inbox' is the mailbox that is read", 1 },
	};

	run_bad(t, sizeof(t) / sizeof(t[0]));
}

static void
test_bad_addresses(void **state)
{
	static const struct bad t[] = {
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "from = cabut@example.org\nreply_to = cabut+x@example.org\n", 8,
		    "[smtp] reply_to: 'cabut+x@example.org': the local part must "
		    "not contain '+'", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "from = cabut@example.org\nreply_to = cabut1@example.org\n", 8,
		    "[smtp] reply_to: 'cabut1@example.org': local part too long", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "from = cabut@example.org\nreply_to = Cabut <cabut@example.org>\n", 8,
		    "[smtp] reply_to: invalid address", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\nfrom = Cabut <cabut@example.org\n", 8,
		    "[smtp] from: expected 'Name <addr>'", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\nfrom = Cabut cabut@example.org\n", 8,
		    "[smtp] from: invalid address 'Cabut cabut@example.org'", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\nfrom = Cabut <cabut>\n", 8,
		    "[smtp] from: invalid address 'cabut'", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\nfrom = Ca\"but <cabut@example.org>\n", 8,
		    "[smtp] from: bad quoting", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\n"
		    "from = \"\\\"Ca\\\"but\\\" <cabut@example.org>\"\n", 8,
		    "[smtp] from: bad quoting", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\n"
		    "from = Cabut\t<cabut@example.org>\n", 8,
		    "[smtp] from: control characters", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\n"
		    "from = Cabut <a@example.org> <b@example.org>\n", 8,
		    "[smtp] from: expected 'Name <addr>'", 1 },
		/* the INI quoting comes first: quote the whole value */
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://smtp.example.org\n"
		    "reply_to = cabut@example.org\n"
		    "from = \"BSrE, Cabut\" <cabut@example.org>\n", 8,
		    "[smtp] from: text after the closing quote", 1 },
	};

	run_bad(t, sizeof(t) / sizeof(t[0]));
}

static void
test_bad_urls(void **state)
{
	static const struct bad t[] = {
		{ "[imap]\nurl = http://imap.example.org/INBOX\n" SMTP_OK OP_OK, 2,
		    "[imap] url: URL 'http://imap.example.org/INBOX': scheme must be "
		    "imap or imaps", 1 },
		{ "[imap]\nurl = pop3://imap.example.org\n" SMTP_OK OP_OK, 2,
		    "[imap] url: URL 'pop3://imap.example.org': scheme must be", 1 },
		{ "[imap]\nurl = imap.example.org/INBOX\n" SMTP_OK OP_OK, 2,
		    "[imap] url: invalid URL 'imap.example.org/INBOX'", 1 },
		{ "[imap]\nurl = imaps://cabut:secret@imap.example.org\n" SMTP_OK OP_OK, 2,
		    "[imap] url: no user name or password in the URL; use username "
		    "and password_file", 1 },
		{ "[imap]\nurl = imaps://cabut@imap.example.org\n" SMTP_OK OP_OK, 2,
		    "no user name or password in the URL", 1 },
		{ "[imap]\nurl = imaps://;AUTH=PLAIN@imap.example.org\n" SMTP_OK OP_OK, 2,
		    "no user name or password in the URL", 1 },
		{ "[imap]\nurl = imaps://imap.example.org/INBOX?x\n" SMTP_OK OP_OK, 2,
		    "[imap] url: URL 'imaps://imap.example.org/INBOX?x': no query", 1 },
		{ "[imap]\nurl = imaps://imap.example.org:0/\n" SMTP_OK OP_OK, 2,
		    "[imap] url: URL 'imaps://imap.example.org:0/': invalid port '0'", 1 },
		{ "[imap]\nurl = imaps://imap.example.org:70000/\n" SMTP_OK OP_OK, 2,
		    "[imap] url: invalid URL", 1 },
		{ "[imap]\nurl = imaps://imap.example.org/IN%0ABOX\n" SMTP_OK OP_OK, 2,
		    "[imap] url: URL 'imaps://imap.example.org/IN%0ABOX': the path has "
		    "control characters", 1 },
		{ "[imap]\nurl = imaps://imap example.org/\n" SMTP_OK OP_OK, 2,
		    "[imap] url: invalid URL", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = imaps://smtp.example.org\n"
		    "from = cabut@example.org\nreply_to = cabut@example.org\n", 6,
		    "[smtp] url: URL 'imaps://smtp.example.org': scheme must be smtp "
		    "or smtps", 1 },
		{ IMAP_OK OP_OK "[smtp]\nurl = smtps://user:pw@smtp.example.org\n"
		    "from = cabut@example.org\nreply_to = cabut@example.org\n", 6,
		    "[smtp] url: no user name or password", 1 },
		{ REQ "[ca]\nbackend = cfssl\nurl = ftp://ca.example.org\n", 11,
		    "[ca] url: URL 'ftp://ca.example.org': scheme must be http or "
		    "https", 1 },
		{ REQ "[ca]\nbackend = cfssl\nurl = https://u:p@ca.example.org\n", 11,
		    "[ca] url: no user name", 1 },
		{ REQ "[ca]\ncrl_url = ldap://ca.example.org/crl\n", 10,
		    "[ca] crl_url: URL 'ldap://ca.example.org/crl': scheme must be "
		    "http or https", 1 },
		{ REQ "[ca]\nverify_crl_url = https://ca.example.org/crl#x\n", 10,
		    "[ca] verify_crl_url: URL 'https://ca.example.org/crl#x': no "
		    "fragment", 1 },
	};

	run_bad(t, sizeof(t) / sizeof(t[0]));
}

/* A password in a URL is refused without being repeated. */
static void
test_url_password_hidden(void **state)
{
	struct config	*cfg;
	char		*errors;

	cfg = load("[imap]\nurl = imaps://cabut:s3cr3t@imap.example.org\n"
	    "[smtp]\nurl = smtps://cabut:s3cr3t@smtp.example.org\n"
	    "from = cabut@example.org\nreply_to = cabut@example.org\n" OP_OK, &errors);
	assert_null(cfg);
	expect_error(errors, 2, "[imap] url: no user name or password");
	expect_error(errors, 4, "[smtp] url: no user name or password");
	assert_null(strstr(errors, "s3cr3t"));
	assert_int_equal(count_lines(errors), 2);
	free(errors);
}

static void
test_backend_keys(void **state)
{
	static const struct bad t[] = {
		{ REQ "[ca]\nbackend = local\ncrl_poll = 5m\n", 11,
		    "[ca] crl_poll is only used with backend manual (backend is local)", 1 },
		{ REQ "[ca]\ncrl_grace = 5d\n", 10,
		    "[ca] crl_grace is only used with backend manual", 1 },
		{ REQ "[ca]\ntimeout = 10s\n", 10,
		    "[ca] timeout is only used with backends cfssl and ejbca", 1 },
		{ REQ "[ca]\ntls_verify = no\n", 10,
		    "[ca] tls_verify is only used with backends cfssl and ejbca", 1 },
		{ REQ "[ca]\nurl = https://ca.example.org\n", 10,
		    "[ca] url is only used with backends cfssl and ejbca", 1 },
		{ REQ "[ca]\nca_file = @DIR@/ca.pem\n", 10,
		    "[ca] ca_file is only used with backends cfssl and ejbca", 1 },
		{ REQ "[ca]\nclient_cert_file = @DIR@/client.pem\n", 10,
		    "[ca] client_cert_file is only used with backends cfssl and ejbca", 1 },
		/* the backend may come after the key */
		{ REQ "[ca]\ndir = /srv/ca\ncrl_days = 3\nbackend = manual\n"
		    "crl_url = https://ca.example.org/crl\n", 10,
		    "[ca] dir is only used with backend local (backend is manual)", 2 },
		{ REQ "[ca]\ndir = /srv/ca\ncrl_days = 3\nbackend = manual\n"
		    "crl_url = https://ca.example.org/crl\n", 11,
		    "[ca] crl_days is only used with backend local", 2 },
		{ REQ "[ca]\nbackend = cfssl\nurl = http://127.0.0.1:8888\n"
		    "crl_url = https://ca.example.org/crl\n", 12,
		    "[ca] crl_url is only used with backends local and manual "
		    "(backend is cfssl)", 1 },
		{ REQ "[ca]\nbackend = manual\n", 10,
		    "[ca] backend manual needs crl_url", 1 },
		{ REQ "[ca]\nbackend = cfssl\n", 10, "[ca] backend cfssl needs url", 1 },
		{ REQ "[ca]\nbackend = ejbca\nurl = https://ejbca.example.org\n", 10,
		    "[ca] backend ejbca needs client_cert_file", 2 },
		{ REQ "[ca]\nbackend = ejbca\nurl = https://ejbca.example.org\n", 10,
		    "[ca] backend ejbca needs client_key_file", 2 },
		{ REQ "[ca]\nbackend = cfssl\nurl = https://cfssl.example.org\n"
		    "client_cert_file = @DIR@/client.pem\n", 12,
		    "[ca] client_cert_file is set, but not client_key_file", 1 },
		{ REQ "[ca]\nbackend = ejbca\nurl = https://ejbca.example.org\n"
		    "client_cert_file = @DIR@/client.pem\n"
		    "client_key_file = @DIR@/pw640\n", 13,
		    "[ca] client_key_file: ", 1 },
	};

	run_bad(t, sizeof(t) / sizeof(t[0]));
}

static void
test_required(void **state)
{
	struct config	*cfg;
	char		*errors;

	cfg = load("# nothing\n", &errors);
	assert_null(cfg);
	expect_error(errors, 0, "[imap] url is required");
	expect_error(errors, 0, "[smtp] url is required");
	expect_error(errors, 0, "[smtp] from is required");
	expect_error(errors, 0, "[smtp] reply_to is required");
	expect_error(errors, 0, "[op] addresses is required");
	assert_int_equal(count_lines(errors), 5);
	free(errors);

	/* an empty file too */
	cfg = load("", &errors);
	assert_null(cfg);
	assert_int_equal(count_lines(errors), 5);
	free(errors);

	/* a required key with a bad value is reported once, for its value */
	load_bad("[imap]\nurl = \n" SMTP_OK OP_OK, 2, "[imap] url: empty value", 1);
}

static void
test_many_errors(void **state)
{
	struct config	*cfg;
	char		*errors, *p;
	size_t		 n;

	cfg = load(
	    "stray = 1\n"				/* 1 */
	    "[imap]\n"
	    "url = imaps://imap.example.org\n"
	    "tls_verify = perhaps\n"			/* 4 */
	    "[smtp]\n"
	    "url = smtps://smtp.example.org\n"
	    "from = cabut@example.org\n"
	    "bogus = 1\n"				/* 8 */
	    "[op]\n"
	    "addresses = op@example.org\n"
	    "approvals_required = 2\n"			/* 11 */
	    "[nope]\n"					/* 12 */
	    "x = y\n"
	    "[daemon]\n"
	    "poll_interval = 5q\n"			/* 15 */
	    "poll_interval = 5s\n"			/* 16 */
	    "[ca]\n"
	    "crl_poll = 1m\n",				/* 18 */
	    &errors);
	assert_null(cfg);
	expect_error(errors, 1, "key 'stray' outside of any section");
	expect_error(errors, 4, "[imap] tls_verify: invalid boolean 'perhaps'");
	expect_error(errors, 8, "[smtp] unknown key 'bogus'");
	expect_error(errors, 11, "[op] approvals_required: 2 is more than the 1 "
	    "address in [op] addresses");
	expect_error(errors, 12, "unknown section [nope]");
	expect_error(errors, 15, "[daemon] poll_interval: invalid duration '5q'");
	expect_error(errors, 16, "[daemon] poll_interval: set twice (first on line 15)");
	expect_error(errors, 18, "[ca] crl_poll is only used with backend manual");
	expect_error(errors, 0, "[smtp] reply_to is required");
	assert_int_equal(count_lines(errors), 9);
	/* one per line, each starting with the file name */
	for (p = errors, n = 0; p != NULL; p = strchr(p, '\n'), n++) {
		if (*p == '\n')
			p++;
		assert_true(strncmp(p, confpath, strlen(confpath)) == 0);
	}
	assert_int_equal(n, 9);
	/* in the order of the file's lines */
	assert_true(strstr(errors, ":4: ") < strstr(errors, ":8: "));
	assert_true(strstr(errors, ":15: ") < strstr(errors, ":16: "));
	free(errors);
}

/* Garbage gets a bounded answer: 1000 errors, then a count. */
static void
test_error_cap(void **state)
{
	struct config	*cfg;
	struct buf	 b;
	char		*text, *errors, *want;
	int		 i;

	buf_init(&b, 1024 * 1024);
	for (i = 0; i < 1500; i++)
		assert_int_equal(buf_addstr(&b, "junk\n"), 0);
	text = buf_steal(&b);
	cfg = load(text, &errors);
	assert_null(cfg);
	assert_int_equal(count_lines(errors), 1001);
	expect_error(errors, 1000, "expected '[section]' or 'key = value'");
	assert_false(has_error(errors, 1001, "expected"));
	/* 500 more lines, and the 5 required keys */
	want = xasprintf("\n%s: 505 more errors not shown", confpath);
	assert_non_null(strstr(errors, want));
	free(want);
	free(errors);
	free(text);
}

static void
test_long_lines(void **state)
{
	struct config	*cfg;
	char		*text, *errors;
	size_t		 len, head = strlen(REQ);

	/* a comment of exactly 4096 bytes is fine */
	len = head + 4096 + 1;
	text = xmalloc(len + 1);
	memcpy(text, REQ, head);
	memset(text + head, 'x', 4096);
	text[head] = '#';
	text[len - 1] = '\n';
	text[len] = '\0';
	cfg = load_ok(text);
	config_free(&cfg);
	free(text);

	/* 4097 bytes are not; neither are 100000 without a newline at the end */
	len = head + 4097 + 1;
	text = xmalloc(len + 1);
	memcpy(text, REQ, head);
	memset(text + head, 'x', 4097);
	text[head] = '#';
	text[len - 1] = '\n';
	text[len] = '\0';
	load_bad(text, 9, "line too long (more than 4096 bytes)", 1);
	free(text);

	len = head + 100000;
	text = xmalloc(len + 1);
	memcpy(text, REQ, head);
	memset(text + head, 'y', 100000);
	text[len] = '\0';
	load_bad(text, 9, "line too long", 1);
	free(text);

	/* a too long value is one error, then the key counts as missing */
	len = 5000;
	text = xmalloc(len + 512);
	(void)snprintf(text, len + 512, "[imap]\nurl = imaps://%0*d\n" SMTP_OK OP_OK,
	    (int)len, 0);
	cfg = load(text, &errors);
	assert_null(cfg);
	expect_error(errors, 2, "line too long");
	expect_error(errors, 0, "[imap] url is required");
	assert_int_equal(count_lines(errors), 2);
	free(errors);
	free(text);
}

static void
test_file_errors(void **state)
{
	struct config	*cfg;
	char		*errors = NULL, *path, *want, *big;

	path = xasprintf("%s/nonexistent.conf", tmpdir);
	cfg = config_load(path, &errors);
	assert_null(cfg);
	want = xasprintf("%s: cannot open: No such file or directory", path);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(path);

	path = xasprintf("%s/templates", tmpdir);
	cfg = config_load(path, &errors);
	assert_null(cfg);
	want = xasprintf("%s: not a regular file", path);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(path);

	/* more than 1 MiB is not a configuration file */
	big = xmalloc(1024 * 1024 + 1);
	memset(big, '\n', 1024 * 1024 + 1);
	write_raw(big, 1024 * 1024 + 1);
	cfg = config_load(confpath, &errors);
	assert_null(cfg);
	want = xasprintf("%s: larger than 1048576 bytes", confpath);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	/* exactly 1 MiB is fine */
	memcpy(big, REQ, strlen(REQ));
	write_raw(big, 1024 * 1024);
	cfg = config_load(confpath, &errors);
	assert_non_null(cfg);
	config_free(&cfg);
	free(big);

	/* a NUL byte is a control character like any other */
	write_raw(REQ "[daemon]\nuser = ca\0but\n", strlen(REQ) + 23);
	cfg = config_load(confpath, &errors);
	assert_null(cfg);
	expect_error(errors, 10, "control character");
	assert_int_equal(count_lines(errors), 1);
	free(errors);
}

static void
test_secret_files(void **state)
{
	struct config	*cfg;
	char		*errors, *p;

	/* 0600 is accepted */
	cfg = load_ok(REQ "[imap]\nusername = cabut\npassword_file = @DIR@/pw\n");
	assert_non_null(cfg->imap.password_file);
	config_free(&cfg);

	/* 0640 is not; the error says why */
	cfg = load(REQ "[imap]\nusername = cabut\npassword_file = @DIR@/pw640\n",
	    &errors);
	assert_null(cfg);
	p = xasprintf("[imap] password_file: %s/pw640", tmpdir);
	expect_error(errors, 11, p);
	free(p);
	assert_non_null(strstr(errors, "0640"));
	assert_int_equal(count_lines(errors), 1);
	free(errors);

	/* a secret file must exist */
	cfg = load(REQ "[smtp]\nusername = cabut\npassword_file = @DIR@/nope\n",
	    &errors);
	assert_null(cfg);
	p = xasprintf("[smtp] password_file: %s/nope", tmpdir);
	expect_error(errors, 11, p);
	free(p);
	assert_int_equal(count_lines(errors), 1);
	free(errors);

	load_bad(REQ "[imap]\nusername = cabut\npassword_file = pw\n", 11,
	    "[imap] password_file: 'pw' is not an absolute path", 1);

	/* the token key may be missing (cabutctl init makes it), but when it
	 * is there it must be secret: named or derived from state_dir */
	cfg = load_ok(REQ "[op]\ntoken_key_file = @DIR@/token.key\n");
	config_free(&cfg);
	make_file("token.key", 0644, "key");
	cfg = load(REQ "[op]\ntoken_key_file = @DIR@/token.key\n", &errors);
	assert_null(cfg);
	expect_error(errors, 10, "[op] token_key_file: ");
	assert_int_equal(count_lines(errors), 1);
	free(errors);
	cfg = load(REQ "[daemon]\nstate_dir = @DIR@\n", &errors);
	assert_null(cfg);
	p = xasprintf("[op] token_key_file: %s/token.key", tmpdir);
	expect_error(errors, 0, p);
	free(p);
	free(errors);
	p = xasprintf("%s/token.key", tmpdir);
	assert_int_equal(chmod(p, 0600), 0);
	cfg = load_ok(REQ "[daemon]\nstate_dir = @DIR@\n");
	assert_string_equal(cfg->op.token_key_file, p);
	config_free(&cfg);
	assert_int_equal(unlink(p), 0);
	free(p);
}

/* Root reads the configuration before dropping to daemon.user, who reads
 * the secrets later: a secret file of daemon.user is fine then. */
static void
test_secret_owner(void **state)
{
	struct config	*cfg;
	struct passwd	*pw = NULL;
	char		*errors, *path, *text;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL ||
	    pw->pw_uid == 0) {
		skip();
		return;
	}
	make_file("nobody.pw", 0600, "secret\n");
	path = xasprintf("%s/nobody.pw", tmpdir);
	assert_int_equal(chown(path, pw->pw_uid, (gid_t)-1), 0);

	text = xasprintf(REQ "[daemon]\nuser = nobody\n"
	    "[imap]\nusername = u\npassword_file = %s\n", path);
	cfg = load_ok(text);
	config_free(&cfg);
	free(text);

	/* someone else's file is refused */
	text = xasprintf(REQ "[daemon]\nuser = cabut-test-nosuchuser\n"
	    "[imap]\nusername = u\npassword_file = %s\n", path);
	cfg = load(text, &errors);
	assert_null(cfg);
	expect_error(errors, 13, "[imap] password_file: ");
	assert_int_equal(count_lines(errors), 1);
	free(errors);
	free(text);
	text = xasprintf(REQ "[daemon]\nuser = root\n"
	    "[imap]\nusername = u\npassword_file = %s\n", path);
	cfg = load(text, &errors);
	assert_null(cfg);
	expect_error(errors, 13, "[imap] password_file: ");
	assert_int_equal(count_lines(errors), 1);
	free(errors);
	free(text);

	/* and so is one of daemon.user that others can read */
	assert_int_equal(chmod(path, 0640), 0);
	text = xasprintf(REQ "[daemon]\nuser = nobody\n"
	    "[imap]\nusername = u\npassword_file = %s\n", path);
	cfg = load(text, &errors);
	assert_null(cfg);
	expect_error(errors, 13, "[imap] password_file: ");
	free(errors);
	free(text);
	free(path);
}

static void
test_sample(void **state)
{
	struct config	*cfg;
	const char	*top = getenv("top_srcdir");
	char		*path, *errors = NULL;

	path = xasprintf("%s/contrib/cabut.conf.sample", top ? top : "..");
	if (top == NULL && access(path, R_OK) == -1) {
		free(path);
		path = xstrdup("contrib/cabut.conf.sample");
	}
	cfg = config_load(path, &errors);
	if (cfg == NULL) {
		print_error("%s\n", errors);
		free(errors);
		free(path);
		fail();
	}
	assert_string_equal(cfg->daemon.state_dir, "/var/lib/cabut");
	assert_int_equal(cfg->ca.backend, BACKEND_LOCAL);
	assert_true(cfg->op.naddresses >= 1);
	assert_non_null(cfg->smtp.from_addr);
	config_free(&cfg);
	free(path);
}

/* A password never goes over the network in clear. */
static void
test_clear_login(void **state)
{
	struct config	*cfg;

	load_bad(IMAP_OK OP_OK "[smtp]\nurl = smtp://mail.example.org\n"
	    "from = c@example.org\nreply_to = c@example.org\nstarttls = no\n"
	    "username = cabut\npassword_file = @DIR@/pw\n", 9,
	    "in clear", 1);
	load_bad(OP_OK SMTP_OK "[imap]\nurl = imap://imap.example.org\n"
	    "starttls = no\nusername = cabut\npassword_file = @DIR@/pw\n", 9,
	    "in clear", 1);
	/* To this machine (tests), and with TLS, it is allowed. */
	cfg = load_ok(IMAP_OK OP_OK "[smtp]\nurl = smtp://127.0.0.1:2525\n"
	    "from = c@example.org\nreply_to = c@example.org\nstarttls = no\n"
	    "username = cabut\npassword_file = @DIR@/pw\n");
	config_free(&cfg);
	cfg = load_ok(IMAP_OK OP_OK "[smtp]\nurl = smtp://mail.example.org\n"
	    "from = c@example.org\nreply_to = c@example.org\n"
	    "username = cabut\npassword_file = @DIR@/pw\n");
	config_free(&cfg);
	cfg = load_ok(IMAP_OK OP_OK "[smtp]\nurl = smtp://mail.example.org\n"
	    "from = c@example.org\nreply_to = c@example.org\nstarttls = no\n");
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_login),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_full_local),
		cmocka_unit_test(test_full_manual),
		cmocka_unit_test(test_full_ejbca),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_derived_paths),
		cmocka_unit_test(test_values_syntax),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_url_password_hidden),
		cmocka_unit_test(test_backend_keys),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_secret_owner),
		cmocka_unit_test(test_sample),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
