/* The configuration file (cabut.conf(5)): an INI file read into one
 * struct config; every problem is collected and named with FILE:LINE. */
#include "autoconf.h"
#include "config.h"
#include "priv.h"
#include "util.h"
#include "log.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

#define CONF_FILE_MAX	(1024 * 1024)	/* a bigger file is not a config */
#define CONF_LINE_MAX	4096		/* bytes, without the newline */
#define CONF_ERRORS_MAX	1000		/* then only counted */
#define CONF_ERRBUF_MAX	(16 * 1024 * 1024)
#define CONF_LIST_MAX	100		/* items in one list */
#define CONF_USER_MAX	32
#define CONF_NAME_MAX	200		/* smtp.from display name, bytes */

/* Tokens are at most 58 characters and go into the reply_to local part
 * as local+TOKEN, which must fit in RFC 5321's 64 octets. */
#define TOKEN_MAX	58
#define LOCAL_MAX	64
#define ADDR_MAX	254
#define DOMAIN_MAX	253
#define LABEL_MAX	63

#define MINUTE		INT64_C(60)
#define HOUR		(60 * MINUTE)
#define DAY		(24 * HOUR)
#define WEEK		(7 * DAY)
#define YEAR		(365 * DAY)
#define KIB		UINT64_C(1024)
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)

enum section {
	SEC_NONE,		/* before the first [section] */
	SEC_DAEMON,
	SEC_IMAP,
	SEC_SMTP,
	SEC_OP,
	SEC_REQUEST,
	SEC_CA,
	SEC_BAD,		/* unknown or broken header: its keys are skipped */
};

static const char *const section_names[] = {
	[SEC_DAEMON] = "daemon",
	[SEC_IMAP] = "imap",
	[SEC_SMTP] = "smtp",
	[SEC_OP] = "op",
	[SEC_REQUEST] = "request",
	[SEC_CA] = "ca",
};

enum key {
	K_DAEMON_STATE_DIR,
	K_DAEMON_USER,
	K_DAEMON_LANGUAGE,
	K_DAEMON_ADMIN_ADDRESS,
	K_DAEMON_POLL_INTERVAL,
	K_DAEMON_IDLE,
	K_DAEMON_TEMPLATES_DIR,
	K_DAEMON_RETENTION,
	K_IMAP_URL,
	K_IMAP_STARTTLS,
	K_IMAP_TLS_VERIFY,
	K_IMAP_CA_FILE,
	K_IMAP_USERNAME,
	K_IMAP_PASSWORD_FILE,
	K_IMAP_PROCESSED_FOLDER,
	K_SMTP_URL,
	K_SMTP_STARTTLS,
	K_SMTP_TLS_VERIFY,
	K_SMTP_CA_FILE,
	K_SMTP_USERNAME,
	K_SMTP_PASSWORD_FILE,
	K_SMTP_FROM,
	K_SMTP_REPLY_TO,
	K_OP_ADDRESSES,
	K_OP_APPROVALS_REQUIRED,
	K_OP_REMINDER_AFTER,
	K_OP_REMINDER_EVERY,
	K_OP_REMINDERS_MAX,
	K_OP_EXPIRE_AFTER,
	K_OP_TOKEN_KEY_FILE,
	K_OP_REQUIRE_SMIME,
	K_OP_SMIME_CA_FILE,
	K_REQ_ALLOWED_TYPES,
	K_REQ_MAX_ATTACHMENT_SIZE,
	K_REQ_MAX_MESSAGE_SIZE,
	K_REQ_QUARANTINE_MAX,
	K_REQ_ANSWERS_PER_SENDER_HOUR,
	K_REQ_CONFIRM_REQUESTER,
	K_REQ_TRUSTED_AUTHSERV_ID,
	K_CA_BACKEND,
	K_CA_DIR,
	K_CA_CRL_DAYS,
	K_CA_CRL_URL,
	K_CA_CRL_POLL,
	K_CA_CRL_GRACE,
	K_CA_URL,
	K_CA_CLIENT_CERT_FILE,
	K_CA_CLIENT_KEY_FILE,
	K_CA_CA_FILE,
	K_CA_TLS_VERIFY,
	K_CA_TIMEOUT,
	K_CA_VERIFY_CRL_URL,
	K_COUNT
};

enum kind {
	T_STRING,	/* any non-empty text */
	T_USER,		/* a login name */
	T_PATH,		/* absolute path, need not exist */
	T_DIR,		/* absolute path of an existing directory */
	T_FILE,		/* absolute path of a readable regular file */
	T_SECRET,	/* absolute path of a secret file (checked at the end) */
	T_DURATION,
	T_SIZE,
	T_BOOL,
	T_INT,
	T_ENUM,
	T_ADDR,		/* addr-spec */
	T_ADDRLIST,
	T_TYPELIST,
	T_IMAP_URL,
	T_SMTP_URL,
	T_HTTP_URL,
	T_FROM,
	T_REPLY_TO,
	T_AUTHSERV,
};

/* Flags of a key. */
#define F_REQUIRED	0x01
#define F_EMPTY_UNSET	0x02	/* "key =" leaves it unset */

/* Backends that use a [ca] key (bit per enum cfg_backend). */
#define BK(x)		(1u << (x))
#define B_ALL		(BK(BACKEND_LOCAL) | BK(BACKEND_MANUAL) | BK(BACKEND_CFSSL) | \
			    BK(BACKEND_EJBCA))
#define B_API		(BK(BACKEND_CFSSL) | BK(BACKEND_EJBCA))

static const char *const language_names[] = { "id", "en", NULL };
static const char *const starttls_names[] = { "required", "no", NULL };
static const char *const confirm_names[] = { "auto", "yes", "no", NULL };
static const char *const backend_names[] = { "local", "manual", "cfssl", "ejbca",
    NULL };

struct keydef {
	enum section		 sect;
	const char		*name;
	enum kind		 kind;
	unsigned		 flags;
	size_t			 off;		/* of the value in struct config */
	int64_t			 min, max;	/* durations, integers */
	uint64_t		 umin, umax;	/* sizes */
	const char *const	*names;		/* enums */
	unsigned		 backends;	/* [ca] keys: who uses it */
};

#define OFF(f)		offsetof(struct config, f)
#define KSTR(s, n, k, fl, f) \
	{ .sect = s, .name = n, .kind = k, .flags = fl, .off = OFF(f), .backends = B_ALL }
#define KDUR(s, n, f, lo, hi) \
	{ .sect = s, .name = n, .kind = T_DURATION, .off = OFF(f), .min = lo, .max = hi, \
	  .backends = B_ALL }
#define KSIZE(s, n, f, lo, hi) \
	{ .sect = s, .name = n, .kind = T_SIZE, .off = OFF(f), .umin = lo, .umax = hi, \
	  .backends = B_ALL }
#define KINT(s, n, f, lo, hi) \
	{ .sect = s, .name = n, .kind = T_INT, .off = OFF(f), .min = lo, .max = hi, \
	  .backends = B_ALL }
#define KBOOL(s, n, f) \
	{ .sect = s, .name = n, .kind = T_BOOL, .off = OFF(f), .backends = B_ALL }
#define KENUM(s, n, f, nm) \
	{ .sect = s, .name = n, .kind = T_ENUM, .off = OFF(f), .names = nm, \
	  .backends = B_ALL }

static const struct keydef keys[K_COUNT] = {
	[K_DAEMON_STATE_DIR] = KSTR(SEC_DAEMON, "state_dir", T_PATH, 0, daemon.state_dir),
	[K_DAEMON_USER] = KSTR(SEC_DAEMON, "user", T_USER, 0, daemon.user),
	[K_DAEMON_LANGUAGE] = KENUM(SEC_DAEMON, "language", daemon.language,
	    language_names),
	[K_DAEMON_ADMIN_ADDRESS] = KSTR(SEC_DAEMON, "admin_address", T_ADDR,
	    F_EMPTY_UNSET, daemon.admin_address),
	[K_DAEMON_POLL_INTERVAL] = KDUR(SEC_DAEMON, "poll_interval",
	    daemon.poll_interval, 1, DAY),
	[K_DAEMON_IDLE] = KBOOL(SEC_DAEMON, "idle", daemon.idle),
	[K_DAEMON_TEMPLATES_DIR] = KSTR(SEC_DAEMON, "templates_dir", T_DIR,
	    F_EMPTY_UNSET, daemon.templates_dir),
	[K_DAEMON_RETENTION] = KDUR(SEC_DAEMON, "retention", daemon.retention,
	    DAY, 100 * YEAR),

	[K_IMAP_URL] = KSTR(SEC_IMAP, "url", T_IMAP_URL, F_REQUIRED, imap.url),
	[K_IMAP_STARTTLS] = KENUM(SEC_IMAP, "starttls", imap.starttls, starttls_names),
	[K_IMAP_TLS_VERIFY] = KBOOL(SEC_IMAP, "tls_verify", imap.tls_verify),
	[K_IMAP_CA_FILE] = KSTR(SEC_IMAP, "ca_file", T_FILE, F_EMPTY_UNSET,
	    imap.ca_file),
	[K_IMAP_USERNAME] = KSTR(SEC_IMAP, "username", T_STRING, F_EMPTY_UNSET,
	    imap.username),
	[K_IMAP_PASSWORD_FILE] = KSTR(SEC_IMAP, "password_file", T_SECRET,
	    F_EMPTY_UNSET, imap.password_file),
	[K_IMAP_PROCESSED_FOLDER] = KSTR(SEC_IMAP, "processed_folder", T_STRING,
	    F_EMPTY_UNSET, imap.processed_folder),

	[K_SMTP_URL] = KSTR(SEC_SMTP, "url", T_SMTP_URL, F_REQUIRED, smtp.url),
	[K_SMTP_STARTTLS] = KENUM(SEC_SMTP, "starttls", smtp.starttls, starttls_names),
	[K_SMTP_TLS_VERIFY] = KBOOL(SEC_SMTP, "tls_verify", smtp.tls_verify),
	[K_SMTP_CA_FILE] = KSTR(SEC_SMTP, "ca_file", T_FILE, F_EMPTY_UNSET,
	    smtp.ca_file),
	[K_SMTP_USERNAME] = KSTR(SEC_SMTP, "username", T_STRING, F_EMPTY_UNSET,
	    smtp.username),
	[K_SMTP_PASSWORD_FILE] = KSTR(SEC_SMTP, "password_file", T_SECRET,
	    F_EMPTY_UNSET, smtp.password_file),
	[K_SMTP_FROM] = KSTR(SEC_SMTP, "from", T_FROM, F_REQUIRED, smtp.from),
	[K_SMTP_REPLY_TO] = KSTR(SEC_SMTP, "reply_to", T_REPLY_TO, F_REQUIRED,
	    smtp.reply_to),

	[K_OP_ADDRESSES] = KSTR(SEC_OP, "addresses", T_ADDRLIST, F_REQUIRED,
	    op.addresses),
	[K_OP_APPROVALS_REQUIRED] = KINT(SEC_OP, "approvals_required",
	    op.approvals_required, 1, CONF_LIST_MAX),
	[K_OP_REMINDER_AFTER] = KDUR(SEC_OP, "reminder_after", op.reminder_after,
	    1, YEAR),
	[K_OP_REMINDER_EVERY] = KDUR(SEC_OP, "reminder_every", op.reminder_every,
	    1, YEAR),
	[K_OP_REMINDERS_MAX] = KINT(SEC_OP, "reminders_max", op.reminders_max, 0, 100),
	[K_OP_EXPIRE_AFTER] = KDUR(SEC_OP, "expire_after", op.expire_after,
	    MINUTE, YEAR),
	[K_OP_TOKEN_KEY_FILE] = KSTR(SEC_OP, "token_key_file", T_PATH, 0,
	    op.token_key_file),
	[K_OP_REQUIRE_SMIME] = KBOOL(SEC_OP, "require_smime", op.require_smime),
	[K_OP_SMIME_CA_FILE] = KSTR(SEC_OP, "smime_ca_file", T_FILE, F_EMPTY_UNSET,
	    op.smime_ca_file),

	[K_REQ_ALLOWED_TYPES] = KSTR(SEC_REQUEST, "allowed_types", T_TYPELIST, 0,
	    request.allowed_types),
	[K_REQ_MAX_ATTACHMENT_SIZE] = KSIZE(SEC_REQUEST, "max_attachment_size",
	    request.max_attachment_size, KIB, GIB),
	[K_REQ_MAX_MESSAGE_SIZE] = KSIZE(SEC_REQUEST, "max_message_size",
	    request.max_message_size, KIB, GIB),
	[K_REQ_QUARANTINE_MAX] = KSIZE(SEC_REQUEST, "quarantine_max",
	    request.quarantine_max, MIB, UINT64_MAX),
	[K_REQ_ANSWERS_PER_SENDER_HOUR] = KINT(SEC_REQUEST, "answers_per_sender_hour",
	    request.answers_per_sender_hour, 0, 1000),
	[K_REQ_CONFIRM_REQUESTER] = KENUM(SEC_REQUEST, "confirm_requester",
	    request.confirm_requester, confirm_names),
	[K_REQ_TRUSTED_AUTHSERV_ID] = KSTR(SEC_REQUEST, "trusted_authserv_id",
	    T_AUTHSERV, F_EMPTY_UNSET, request.trusted_authserv_id),

	[K_CA_BACKEND] = KENUM(SEC_CA, "backend", ca.backend, backend_names),
	[K_CA_DIR] = { .sect = SEC_CA, .name = "dir", .kind = T_PATH,
	    .off = OFF(ca.dir), .backends = BK(BACKEND_LOCAL) },
	[K_CA_CRL_DAYS] = { .sect = SEC_CA, .name = "crl_days", .kind = T_INT,
	    .off = OFF(ca.crl_days), .min = 1, .max = 365,
	    .backends = BK(BACKEND_LOCAL) },
	[K_CA_CRL_URL] = { .sect = SEC_CA, .name = "crl_url", .kind = T_HTTP_URL,
	    .flags = F_EMPTY_UNSET, .off = OFF(ca.crl_url),
	    .backends = BK(BACKEND_LOCAL) | BK(BACKEND_MANUAL) },
	[K_CA_CRL_POLL] = { .sect = SEC_CA, .name = "crl_poll", .kind = T_DURATION,
	    .off = OFF(ca.crl_poll), .min = 10, .max = DAY,
	    .backends = BK(BACKEND_MANUAL) },
	[K_CA_CRL_GRACE] = { .sect = SEC_CA, .name = "crl_grace", .kind = T_DURATION,
	    .off = OFF(ca.crl_grace), .min = MINUTE, .max = YEAR,
	    .backends = BK(BACKEND_MANUAL) },
	[K_CA_URL] = { .sect = SEC_CA, .name = "url", .kind = T_HTTP_URL,
	    .flags = F_EMPTY_UNSET, .off = OFF(ca.url), .backends = B_API },
	[K_CA_CLIENT_CERT_FILE] = { .sect = SEC_CA, .name = "client_cert_file",
	    .kind = T_FILE, .flags = F_EMPTY_UNSET, .off = OFF(ca.client_cert_file),
	    .backends = B_API },
	[K_CA_CLIENT_KEY_FILE] = { .sect = SEC_CA, .name = "client_key_file",
	    .kind = T_SECRET, .flags = F_EMPTY_UNSET, .off = OFF(ca.client_key_file),
	    .backends = B_API },
	[K_CA_CA_FILE] = { .sect = SEC_CA, .name = "ca_file", .kind = T_FILE,
	    .flags = F_EMPTY_UNSET, .off = OFF(ca.ca_file), .backends = B_API },
	[K_CA_TLS_VERIFY] = { .sect = SEC_CA, .name = "tls_verify", .kind = T_BOOL,
	    .off = OFF(ca.tls_verify), .backends = B_API },
	[K_CA_TIMEOUT] = { .sect = SEC_CA, .name = "timeout", .kind = T_DURATION,
	    .off = OFF(ca.timeout), .min = 1, .max = 10 * MINUTE,
	    .backends = B_API },
	[K_CA_VERIFY_CRL_URL] = { .sect = SEC_CA, .name = "verify_crl_url",
	    .kind = T_HTTP_URL, .flags = F_EMPTY_UNSET, .off = OFF(ca.verify_crl_url),
	    .backends = B_ALL },
};

static const char *const default_types[] = {
	"application/pdf", "image/jpeg", "image/png",
};

struct loader {
	const char	*path;
	struct config	*cfg;
	struct buf	 errs;
	size_t		 nerrs;
	enum section	 sect;
	int		 line[K_COUNT];	/* where each key was set; 0: not set */
	int		 ok[K_COUNT];	/* and its value was accepted */
};

static char	*vfmt(const char *, va_list) __attribute__((format(printf, 1, 0)));
static void	 cerr(struct loader *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 kerr(struct loader *, enum key, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static char *
vfmt(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup("(message cannot be formatted)");
	s = xmalloc((size_t)n + 1);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* One problem; line 0 when no line applies. */
static void
cerr(struct loader *l, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (l->nerrs++ >= CONF_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	msg = vfmt(fmt, ap);
	va_end(ap);
	if (l->errs.len > 0)
		(void)buf_addstr(&l->errs, "\n");
	if (line > 0)
		(void)buf_printf(&l->errs, "%s:%d: %s", l->path, line, msg);
	else
		(void)buf_printf(&l->errs, "%s: %s", l->path, msg);
	free(msg);
}

/* A problem with one key's value: "[section] key: message". */
static void
kerr(struct loader *l, enum key k, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = vfmt(fmt, ap);
	va_end(ap);
	cerr(l, line, "[%s] %s: %s", section_names[keys[k].sect], keys[k].name, msg);
	free(msg);
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t';
}

static char *
skip_space(char *s)
{
	while (is_space((unsigned char)*s))
		s++;
	return s;
}

static void
rtrim(char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && is_space((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

/* Renders a duration with the largest unit that divides it: 86400 -> 1d. */
static void
fmt_duration(int64_t v, char *out, size_t outlen)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 'y', YEAR }, { 'w', WEEK }, { 'd', DAY }, { 'h', HOUR },
		{ 'm', MINUTE },
	};
	size_t	 i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (v != 0 && v % units[i].secs == 0) {
			(void)snprintf(out, outlen, "%lld%c",
			    (long long)(v / units[i].secs), units[i].unit);
			return;
		}
	(void)snprintf(out, outlen, "%llds", (long long)v);
}

static void
fmt_size(uint64_t v, char *out, size_t outlen)
{
	if (v != 0 && v % GIB == 0)
		(void)snprintf(out, outlen, "%lluG", (unsigned long long)(v / GIB));
	else if (v != 0 && v % MIB == 0)
		(void)snprintf(out, outlen, "%lluM", (unsigned long long)(v / MIB));
	else if (v != 0 && v % KIB == 0)
		(void)snprintf(out, outlen, "%lluK", (unsigned long long)(v / KIB));
	else
		(void)snprintf(out, outlen, "%llu", (unsigned long long)v);
}

/* Digits only, no sign, no space; -1 on anything else or overflow. */
static int
parse_digits(const char **sp, uint64_t max, uint64_t *r)
{
	const char	*s = *sp;
	uint64_t	 n = 0, d;

	if (!is_digit((unsigned char)*s))
		return -1;
	for (; is_digit((unsigned char)*s); s++) {
		d = (uint64_t)(*s - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*sp = s;
	*r = n;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *seconds_r)
{
	uint64_t	 n, mul;

	if (s == NULL || parse_digits(&s, INT64_MAX, &n) == -1)
		return -1;
	switch (*s) {
	case '\0':
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = MINUTE;
		break;
	case 'h':
		mul = HOUR;
		break;
	case 'd':
		mul = DAY;
		break;
	case 'w':
		mul = WEEK;
		break;
	case 'y':
		mul = YEAR;
		break;
	default:
		return -1;
	}
	if (*s != '\0' && s[1] != '\0')
		return -1;
	if (n > (uint64_t)INT64_MAX / mul)
		return -1;
	*seconds_r = (int64_t)(n * mul);
	return 0;
}

int
config_parse_size(const char *s, uint64_t *bytes_r)
{
	uint64_t	 n, mul;

	if (s == NULL || parse_digits(&s, UINT64_MAX, &n) == -1)
		return -1;
	switch (*s) {
	case '\0':
		mul = 1;
		break;
	case 'k':
	case 'K':
		mul = KIB;
		break;
	case 'm':
	case 'M':
		mul = MIB;
		break;
	case 'g':
	case 'G':
		mul = GIB;
		break;
	default:
		return -1;
	}
	if (*s != '\0' && s[1] != '\0')
		return -1;
	if (n > UINT64_MAX / mul)
		return -1;
	*bytes_r = n * mul;
	return 0;
}

int
config_parse_bool(const char *s, int *r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*r = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*r = 0;
			return 0;
		}
	}
	return -1;
}

/* Strict decimal integer: optional '-', digits, nothing else. */
static int
parse_int(const char *s, int64_t min, int64_t max, int *r)
{
	char	*end;
	long	 v;

	if (!is_digit((unsigned char)s[0]) &&
	    !(s[0] == '-' && is_digit((unsigned char)s[1])))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*r = (int)v;
	return 0;
}

/* RFC 5322 atext. */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A host name: dot-separated labels of letters, digits and inner hyphens;
 * one label ("localhost") is allowed. */
static int
domain_valid(const char *d)
{
	size_t	 len = strlen(d), label = 0;
	const char *p;

	if (len == 0 || len > DOMAIN_MAX)
		return 0;
	for (p = d; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > LABEL_MAX || p[-1] == '-')
				return 0;
			if (*p == '\0')
				return 1;
			label = 0;
			continue;
		}
		if (!is_alnum((unsigned char)*p) && *p != '-')
			return 0;
		if (*p == '-' && label == 0)
			return 0;
		label++;
	}
}

int
config_addr_valid(const char *addr)
{
	const char	*at, *p;
	size_t		 len;

	if (addr == NULL || (len = strlen(addr)) == 0 || len > ADDR_MAX)
		return 0;
	if ((at = strchr(addr, '@')) == NULL || at == addr ||
	    (size_t)(at - addr) > LOCAL_MAX)
		return 0;
	/* the local part as a dot-atom: no quoted strings, no comments */
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)*p))
			return 0;
	}
	return domain_valid(at + 1);
}

const char *
config_backend_name(enum cfg_backend b)
{
	if ((unsigned)b < sizeof(backend_names) / sizeof(backend_names[0]) - 1)
		return backend_names[b];
	return "unknown";
}

const char *
config_language_name(enum cfg_language lang)
{
	if ((unsigned)lang < sizeof(language_names) / sizeof(language_names[0]) - 1)
		return language_names[lang];
	return "unknown";
}

static void
free_list(char ***list, size_t *n)
{
	size_t	 i;

	if (*list != NULL)
		for (i = 0; i < *n; i++)
			free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void
config_free(struct config **cfgp)
{
	struct config	*cfg;

	if (cfgp == NULL || (cfg = *cfgp) == NULL)
		return;
	free(cfg->path);
	free(cfg->daemon.state_dir);
	free(cfg->daemon.user);
	free(cfg->daemon.admin_address);
	free(cfg->daemon.templates_dir);
	free(cfg->imap.url);
	free(cfg->imap.host);
	free(cfg->imap.mailbox);
	free(cfg->imap.ca_file);
	free(cfg->imap.username);
	free(cfg->imap.password_file);
	free(cfg->imap.processed_folder);
	free(cfg->smtp.url);
	free(cfg->smtp.host);
	free(cfg->smtp.ca_file);
	free(cfg->smtp.username);
	free(cfg->smtp.password_file);
	free(cfg->smtp.from);
	free(cfg->smtp.from_name);
	free(cfg->smtp.from_addr);
	free(cfg->smtp.reply_to);
	free_list(&cfg->op.addresses, &cfg->op.naddresses);
	free(cfg->op.token_key_file);
	free(cfg->op.smime_ca_file);
	free_list(&cfg->request.allowed_types, &cfg->request.nallowed_types);
	free(cfg->request.trusted_authserv_id);
	free(cfg->ca.dir);
	free(cfg->ca.crl_url);
	free(cfg->ca.url);
	free(cfg->ca.client_cert_file);
	free(cfg->ca.client_key_file);
	free(cfg->ca.ca_file);
	free(cfg->ca.verify_crl_url);
	free(cfg);
	*cfgp = NULL;
}

static struct config *
config_new(const char *path)
{
	struct config	*cfg;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	cfg->daemon.language = LANG_ID;
	cfg->daemon.poll_interval = 60;
	cfg->daemon.idle = 1;
	cfg->daemon.retention = 2 * YEAR;
	cfg->imap.starttls = STARTTLS_REQUIRED;
	cfg->imap.tls_verify = 1;
	cfg->smtp.starttls = STARTTLS_REQUIRED;
	cfg->smtp.tls_verify = 1;
	cfg->op.approvals_required = 1;
	cfg->op.reminder_after = 5 * MINUTE;
	cfg->op.reminder_every = DAY;
	cfg->op.reminders_max = 3;
	cfg->op.expire_after = 7 * DAY;
	cfg->op.require_smime = 0;
	cfg->request.max_attachment_size = 5 * MIB;
	cfg->request.max_message_size = 20 * MIB;
	cfg->request.quarantine_max = GIB;
	cfg->request.answers_per_sender_hour = 5;
	cfg->request.confirm_requester = CONFIRM_AUTO;
	cfg->ca.backend = BACKEND_LOCAL;
	cfg->ca.crl_days = 7;
	cfg->ca.crl_poll = 10 * MINUTE;
	cfg->ca.crl_grace = 2 * DAY;
	cfg->ca.tls_verify = 1;
	cfg->ca.timeout = 30;
	return cfg;
}

static void *
field(struct config *cfg, size_t off)
{
	return (char *)cfg + off;
}

/* Splits a comma list into trimmed, non-empty items. */
static int
split_list(const char *v, char ***items_r, size_t *n_r, char **error_r)
{
	char		**items = NULL, *copy, *p, *comma, *item;
	size_t		 n = 0;
	int		 ret = -1;

	copy = xstrdup(v);
	for (p = copy; ; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		item = skip_space(p);
		rtrim(item);
		if (*item == '\0') {
			*error_r = xstrdup("empty item in the list");
			goto out;
		}
		if (n == CONF_LIST_MAX) {
			*error_r = xasprintf("more than %d items", CONF_LIST_MAX);
			goto out;
		}
		items = xreallocarray(items, n + 1, sizeof(*items));
		items[n++] = xstrdup(item);
		if (comma == NULL)
			break;
	}
	*items_r = items;
	*n_r = n;
	items = NULL;
	n = 0;
	ret = 0;
out:
	free_list(&items, &n);
	free(copy);
	return ret;
}

static int
set_addrlist(struct loader *l, enum key k, int line, const char *v)
{
	char	**items = NULL, *err = NULL;
	size_t	 n = 0, i, j;
	int	 ret = -1;

	if (split_list(v, &items, &n, &err) == -1) {
		kerr(l, k, line, "%s in '%s'", err, v);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!config_addr_valid(items[i])) {
			kerr(l, k, line, "invalid address '%s'", items[i]);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(items[i], items[j]) == 0) {
				kerr(l, k, line, "address '%s' listed twice",
				    items[i]);
				goto out;
			}
	}
	l->cfg->op.addresses = items;
	l->cfg->op.naddresses = n;
	items = NULL;
	n = 0;
	ret = 0;
out:
	free_list(&items, &n);
	free(err);
	return ret;
}

/* type/subtype, both [a-z0-9.+-]+ (after lowercasing). */
static int
mime_type_valid(const char *t)
{
	const char	*slash, *p;

	if ((slash = strchr(t, '/')) == NULL || slash == t || slash[1] == '\0')
		return 0;
	for (p = t; *p != '\0'; p++) {
		if (p == slash)
			continue;
		if (!is_alnum((unsigned char)*p) && strchr(".+-", *p) == NULL)
			return 0;
	}
	return 1;
}

static int
set_typelist(struct loader *l, enum key k, int line, const char *v)
{
	char	**items = NULL, *err = NULL;
	size_t	 n = 0, i, j;
	int	 ret = -1;

	if (split_list(v, &items, &n, &err) == -1) {
		kerr(l, k, line, "%s in '%s'", err, v);
		goto out;
	}
	for (i = 0; i < n; i++) {
		lowercase(items[i]);
		if (!mime_type_valid(items[i])) {
			kerr(l, k, line, "invalid MIME type '%s' (type/subtype)",
			    items[i]);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcmp(items[i], items[j]) == 0) {
				kerr(l, k, line, "type '%s' listed twice", items[i]);
				goto out;
			}
	}
	l->cfg->request.allowed_types = items;
	l->cfg->request.nallowed_types = n;
	items = NULL;
	n = 0;
	ret = 0;
out:
	free_list(&items, &n);
	free(err);
	return ret;
}

/* The parts of a URL that cabut uses. */
struct url {
	char	*scheme;
	char	*host;
	char	*path;		/* decoded, with its leading '/' */
	int	 port;		/* 0: not given */
};

static void
url_free(struct url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

static const char *
curlu_error(CURLUcode rc)
{
#if LIBCURL_VERSION_NUM >= 0x075000
	return curl_url_strerror(rc);
#else
	(void)rc;
	return "malformed";
#endif
}

/* Strdup of a URL part, NULL when absent; curl's memory is not ours. */
static char *
url_part(CURLU *h, CURLUPart part, unsigned flags, CURLUcode *rc_r)
{
	char	*s = NULL, *r = NULL;

	*rc_r = curl_url_get(h, part, &s, flags);
	if (*rc_r == CURLUE_OK && s != NULL)
		r = xstrdup(s);
	curl_free(s);
	return r;
}

/* Parses v with libcurl's URL parser; the scheme must be one of
 * schemes (NULL-terminated); no credentials, no fragment, and a query
 * only when query_ok. */
static int
url_parse(const char *v, const char *const *schemes, int query_ok, struct url *u,
    char **error_r)
{
	CURLU		*h;
	CURLUcode	 rc;
	char		*s = NULL, *end;
	long		 port;
	size_t		 i, n;
	int		 ret = -1;

	memset(u, 0, sizeof(*u));
	if ((h = curl_url()) == NULL)
		fatalx("curl_url: out of memory");
	if ((rc = curl_url_set(h, CURLUPART_URL, v, CURLU_NON_SUPPORT_SCHEME)) !=
	    CURLUE_OK) {
		*error_r = xasprintf("invalid URL '%s': %s", v, curlu_error(rc));
		goto out;
	}
	u->scheme = url_part(h, CURLUPART_SCHEME, 0, &rc);
	for (i = 0; u->scheme != NULL && schemes[i] != NULL; i++)
		if (strcmp(u->scheme, schemes[i]) == 0)
			break;
	if (u->scheme == NULL || schemes[i] == NULL) {
		*error_r = xasprintf("URL '%s': scheme must be %s%s%s", v,
		    schemes[0], schemes[1] ? " or " : "", schemes[1] ? schemes[1] : "");
		goto out;
	}
	if ((s = url_part(h, CURLUPART_USER, 0, &rc)) != NULL ||
	    (s = url_part(h, CURLUPART_PASSWORD, 0, &rc)) != NULL ||
	    (s = url_part(h, CURLUPART_OPTIONS, 0, &rc)) != NULL) {
		/* not quoted: the URL would show the password */
		*error_r = xstrdup("no user name or password in the URL; use "
		    "username and password_file");
		goto out;
	}
	if ((s = url_part(h, CURLUPART_FRAGMENT, 0, &rc)) != NULL ||
	    (!query_ok && (s = url_part(h, CURLUPART_QUERY, 0, &rc)) != NULL)) {
		*error_r = xasprintf("URL '%s': no %s allowed", v,
		    query_ok ? "fragment (#...)" : "query or fragment");
		goto out;
	}
	if ((u->host = url_part(h, CURLUPART_HOST, 0, &rc)) == NULL ||
	    *u->host == '\0') {
		*error_r = xasprintf("URL '%s': no host", v);
		goto out;
	}
	/* [::1] -> ::1: the host goes to getaddrinfo(), not into a URL */
	n = strlen(u->host);
	if (n >= 2 && u->host[0] == '[' && u->host[n - 1] == ']') {
		memmove(u->host, u->host + 1, n - 2);
		u->host[n - 2] = '\0';
	}
	if ((s = url_part(h, CURLUPART_PORT, 0, &rc)) != NULL) {
		errno = 0;
		port = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
			*error_r = xasprintf("URL '%s': invalid port '%s'", v, s);
			goto out;
		}
		u->port = (int)port;
	}
	u->path = url_part(h, CURLUPART_PATH, CURLU_URLDECODE, &rc);
	if (u->path == NULL || has_control(u->path)) {
		*error_r = xasprintf("URL '%s': the path has control characters "
		    "or cannot be decoded", v);
		goto out;
	}
	ret = 0;
out:
	if (ret == -1)
		url_free(u);
	free(s);
	curl_url_cleanup(h);
	return ret;
}

static int
set_imap_url(struct loader *l, enum key k, int line, const char *v)
{
	static const char *const schemes[] = { "imap", "imaps", NULL };
	struct config	*cfg = l->cfg;
	struct url	 u;
	const char	*p;
	char		*err = NULL;

	if (url_parse(v, schemes, 0, &u, &err) == -1) {
		kerr(l, k, line, "%s", err);
		free(err);
		return -1;
	}
	cfg->imap.url = xstrdup(v);
	cfg->imap.imaps = strcmp(u.scheme, "imaps") == 0;
	cfg->imap.port = u.port ? u.port : cfg->imap.imaps ? 993 : 143;
	cfg->imap.host = u.host;
	u.host = NULL;
	/* curl's path starts with '/'; no mailbox in it means INBOX */
	p = u.path[0] == '/' ? u.path + 1 : u.path;
	cfg->imap.mailbox = xstrdup(*p != '\0' ? p : "INBOX");
	url_free(&u);
	return 0;
}

static int
set_smtp_url(struct loader *l, enum key k, int line, const char *v)
{
	static const char *const schemes[] = { "smtp", "smtps", NULL };
	struct config	*cfg = l->cfg;
	struct url	 u;
	char		*err = NULL;

	if (url_parse(v, schemes, 0, &u, &err) == -1) {
		kerr(l, k, line, "%s", err);
		free(err);
		return -1;
	}
	cfg->smtp.url = xstrdup(v);
	cfg->smtp.smtps = strcmp(u.scheme, "smtps") == 0;
	cfg->smtp.port = u.port ? u.port : cfg->smtp.smtps ? 465 : 25;
	cfg->smtp.host = u.host;
	u.host = NULL;
	url_free(&u);
	return 0;
}

static int
set_http_url(struct loader *l, enum key k, int line, const char *v)
{
	static const char *const schemes[] = { "http", "https", NULL };
	struct url	 u;
	char		*err = NULL;

	if (url_parse(v, schemes, 1, &u, &err) == -1) {
		kerr(l, k, line, "%s", err);
		free(err);
		return -1;
	}
	url_free(&u);
	*(char **)field(l->cfg, keys[k].off) = xstrdup(v);
	return 0;
}

/* "Name <addr>", "\"Quoted Name\" <addr>" or "addr". */
static int
set_from(struct loader *l, enum key k, int line, const char *v)
{
	struct config	*cfg = l->cfg;
	const char	*lt, *gt, *p;
	char		*name = NULL, *addr = NULL, *w;
	size_t		 nlen;
	int		 ret = -1;

	if (has_control(v)) {
		kerr(l, k, line, "control characters in '%s'", v);
		goto out;
	}
	if ((lt = strchr(v, '<')) == NULL) {
		if (strchr(v, '>') != NULL || !config_addr_valid(v)) {
			kerr(l, k, line, "invalid address '%s' (expected "
			    "'Name <addr>' or 'addr')", v);
			goto out;
		}
		addr = xstrdup(v);
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0' || strchr(lt + 1, '<') != NULL ||
		    strchr(v, '>') != gt) {
			kerr(l, k, line, "expected 'Name <addr>', got '%s'", v);
			goto out;
		}
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		if (!config_addr_valid(addr)) {
			kerr(l, k, line, "invalid address '%s' in '%s'", addr, v);
			goto out;
		}
		nlen = (size_t)(lt - v);
		while (nlen > 0 && v[nlen - 1] == ' ')
			nlen--;
		if (nlen > CONF_NAME_MAX) {
			kerr(l, k, line, "display name longer than %d bytes",
			    CONF_NAME_MAX);
			goto out;
		}
		if (nlen >= 2 && v[0] == '"' && v[nlen - 1] == '"') {
			/* a quoted-string: \x stands for x */
			name = w = xmalloc(nlen);
			for (p = v + 1; p < v + nlen - 1; p++) {
				if (*p == '\\' && p + 1 < v + nlen - 1)
					p++;
				else if (*p == '"' || *p == '\\') {
					kerr(l, k, line, "bad quoting in the "
					    "display name of '%s'", v);
					goto out;
				}
				*w++ = *p;
			}
			*w = '\0';
		} else if (nlen > 0) {
			name = xstrndup(v, nlen);
			if (strchr(name, '"') != NULL) {
				kerr(l, k, line, "bad quoting in the display "
				    "name of '%s'", v);
				goto out;
			}
		}
		if (name != NULL && *name == '\0') {
			free(name);
			name = NULL;
		}
	}
	cfg->smtp.from = xstrdup(v);
	cfg->smtp.from_name = name;
	cfg->smtp.from_addr = addr;
	name = addr = NULL;
	ret = 0;
out:
	free(name);
	free(addr);
	return ret;
}

static int
set_reply_to(struct loader *l, enum key k, int line, const char *v)
{
	size_t	 local;

	if (!config_addr_valid(v)) {
		kerr(l, k, line, "invalid address '%s'", v);
		return -1;
	}
	local = (size_t)(strchr(v, '@') - v);
	if (memchr(v, '+', local) != NULL) {
		kerr(l, k, line, "'%s': the local part must not contain '+' "
		    "(cabut adds +TOKEN to it)", v);
		return -1;
	}
	if (local + 1 + TOKEN_MAX > LOCAL_MAX) {
		kerr(l, k, line, "'%s': local part too long: cabut replies go "
		    "to local+TOKEN, tokens take up to %d characters and a local "
		    "part at most %d, so at most %d are left for it", v,
		    TOKEN_MAX, LOCAL_MAX, LOCAL_MAX - 1 - TOKEN_MAX);
		return -1;
	}
	if (strlen(v) + 1 + TOKEN_MAX > ADDR_MAX) {
		kerr(l, k, line, "'%s': too long once +TOKEN is added (at most "
		    "%d characters)", v, ADDR_MAX);
		return -1;
	}
	l->cfg->smtp.reply_to = xstrdup(v);
	return 0;
}

static int
user_valid(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > CONF_USER_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
set_enum(struct loader *l, enum key k, int line, const char *v)
{
	const char *const	*names = keys[k].names;
	struct config		*cfg = l->cfg;
	struct buf		 choices;
	int			 i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0)
			break;
	if (names[i] == NULL) {
		buf_init(&choices, 256);
		for (i = 0; names[i] != NULL; i++)
			(void)buf_printf(&choices, "%s%s", i ? "|" : "", names[i]);
		kerr(l, k, line, "invalid value '%s' (%s)", v, choices.data);
		buf_free(&choices);
		return -1;
	}
	switch (k) {
	case K_DAEMON_LANGUAGE:
		cfg->daemon.language = i == 0 ? LANG_ID : LANG_EN;
		break;
	case K_IMAP_STARTTLS:
		cfg->imap.starttls = i == 0 ? STARTTLS_REQUIRED : STARTTLS_NO;
		break;
	case K_SMTP_STARTTLS:
		cfg->smtp.starttls = i == 0 ? STARTTLS_REQUIRED : STARTTLS_NO;
		break;
	case K_REQ_CONFIRM_REQUESTER:
		cfg->request.confirm_requester = i == 0 ? CONFIRM_AUTO :
		    i == 1 ? CONFIRM_YES : CONFIRM_NO;
		break;
	case K_CA_BACKEND:
		cfg->ca.backend = i == 0 ? BACKEND_LOCAL : i == 1 ? BACKEND_MANUAL :
		    i == 2 ? BACKEND_CFSSL : BACKEND_EJBCA;
		break;
	default:
		fatalx("config: key %s is not an enum", keys[k].name);
	}
	return 0;
}

static int
path_absolute(struct loader *l, enum key k, int line, const char *v)
{
	if (v[0] != '/') {
		kerr(l, k, line, "'%s' is not an absolute path", v);
		return -1;
	}
	return 0;
}

/* Stores v into key k; -1 (and one error) when it is not valid. */
static int
set_value(struct loader *l, enum key k, int line, const char *v)
{
	const struct keydef	*kd = &keys[k];
	struct config		*cfg = l->cfg;
	struct stat		 st;
	char			 lo[32], hi[32], *s;
	int64_t			 d;
	uint64_t		 sz;
	int			 b, n;

	if (*v == '\0') {
		if (kd->flags & F_EMPTY_UNSET)
			return 0;
		kerr(l, k, line, "empty value");
		return -1;
	}
	switch (kd->kind) {
	case T_STRING:
		break;
	case T_USER:
		if (!user_valid(v)) {
			kerr(l, k, line, "invalid user name '%s'", v);
			return -1;
		}
		break;
	case T_AUTHSERV:
		if (v[strcspn(v, " \t;\"")] != '\0') {
			kerr(l, k, line, "invalid authserv-id '%s'", v);
			return -1;
		}
		break;
	case T_PATH:
	case T_SECRET:
		if (path_absolute(l, k, line, v) == -1)
			return -1;
		break;
	case T_DIR:
		if (path_absolute(l, k, line, v) == -1)
			return -1;
		if (stat(v, &st) == -1) {
			kerr(l, k, line, "'%s': %s", v, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			kerr(l, k, line, "'%s' is not a directory", v);
			return -1;
		}
		break;
	case T_FILE:
		if (path_absolute(l, k, line, v) == -1)
			return -1;
		if (stat(v, &st) == -1 || access(v, R_OK) == -1) {
			kerr(l, k, line, "'%s': %s", v, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			kerr(l, k, line, "'%s' is not a regular file", v);
			return -1;
		}
		break;
	case T_DURATION:
		if (config_parse_duration(v, &d) == -1) {
			kerr(l, k, line, "invalid duration '%s'", v);
			return -1;
		}
		if (d < kd->min || d > kd->max) {
			fmt_duration(kd->min, lo, sizeof(lo));
			fmt_duration(kd->max, hi, sizeof(hi));
			kerr(l, k, line, "duration '%s' out of range (%s..%s)",
			    v, lo, hi);
			return -1;
		}
		*(int64_t *)field(cfg, kd->off) = d;
		return 0;
	case T_SIZE:
		if (config_parse_size(v, &sz) == -1) {
			kerr(l, k, line, "invalid size '%s'", v);
			return -1;
		}
		if (sz < kd->umin || sz > kd->umax) {
			fmt_size(kd->umin, lo, sizeof(lo));
			fmt_size(kd->umax, hi, sizeof(hi));
			if (kd->umax == UINT64_MAX)
				kerr(l, k, line, "size '%s' too small (at least %s)",
				    v, lo);
			else
				kerr(l, k, line, "size '%s' out of range (%s..%s)",
				    v, lo, hi);
			return -1;
		}
		*(uint64_t *)field(cfg, kd->off) = sz;
		return 0;
	case T_BOOL:
		if (config_parse_bool(v, &b) == -1) {
			kerr(l, k, line, "invalid boolean '%s' (yes or no)", v);
			return -1;
		}
		*(int *)field(cfg, kd->off) = b;
		return 0;
	case T_INT:
		if (parse_int(v, kd->min, kd->max, &n) == -1) {
			kerr(l, k, line, "invalid number '%s' (%lld..%lld)", v,
			    (long long)kd->min, (long long)kd->max);
			return -1;
		}
		*(int *)field(cfg, kd->off) = n;
		return 0;
	case T_ENUM:
		return set_enum(l, k, line, v);
	case T_ADDR:
		if (!config_addr_valid(v)) {
			kerr(l, k, line, "invalid address '%s'", v);
			return -1;
		}
		break;
	case T_ADDRLIST:
		return set_addrlist(l, k, line, v);
	case T_TYPELIST:
		return set_typelist(l, k, line, v);
	case T_IMAP_URL:
		return set_imap_url(l, k, line, v);
	case T_SMTP_URL:
		return set_smtp_url(l, k, line, v);
	case T_HTTP_URL:
		return set_http_url(l, k, line, v);
	case T_FROM:
		return set_from(l, k, line, v);
	case T_REPLY_TO:
		return set_reply_to(l, k, line, v);
	}
	/* a string kind: keep it (without trailing slashes for paths) */
	s = xstrdup(v);
	if (kd->kind == T_PATH || kd->kind == T_DIR)
		for (n = (int)strlen(s); n > 1 && s[n - 1] == '/'; n--)
			s[n - 1] = '\0';
	*(char **)field(cfg, kd->off) = s;
	return 0;
}

/* Takes the value after '=': quoted ("...", with \" and \\) or bare,
 * where " #" or "\t#" starts a comment. In place; NULL on error. */
static char *
value_parse(char *v, const char **error_r)
{
	char	*s, *r, *w;

	s = skip_space(v);
	if (*s != '"') {
		for (r = v; *r != '\0'; r++)
			if (is_space((unsigned char)*r) && r[1] == '#') {
				*r = '\0';
				break;
			}
		s = skip_space(v);
		rtrim(s);
		return s;
	}
	for (r = w = s + 1; *r != '"'; ) {
		if (*r == '\0') {
			*error_r = "missing closing quote";
			return NULL;
		}
		if (*r == '\\') {
			if (r[1] != '"' && r[1] != '\\') {
				*error_r = "invalid escape in quoted value "
				    "(only \\\" and \\\\)";
				return NULL;
			}
			r++;
		}
		*w++ = *r++;
	}
	*w = '\0';
	r = skip_space(r + 1);
	if (*r != '\0' && *r != '#') {
		*error_r = "text after the closing quote (to use quotes inside "
		    "a value, quote all of it and write \\\")";
		return NULL;
	}
	return s + 1;
}

static enum key
key_lookup(enum section sect, const char *name)
{
	int	 k;

	for (k = 0; k < K_COUNT; k++)
		if (keys[k].sect == sect && strcmp(keys[k].name, name) == 0)
			return (enum key)k;
	return K_COUNT;
}

static void
parse_section(struct loader *l, int line, char *s)
{
	char	*close, *name, *rest;
	int	 i;

	l->sect = SEC_BAD;
	if ((close = strchr(s, ']')) == NULL) {
		cerr(l, line, "missing ']' in section header");
		return;
	}
	*close = '\0';
	rest = skip_space(close + 1);
	if (*rest != '\0' && *rest != '#') {
		cerr(l, line, "text after the section header");
		return;
	}
	name = skip_space(s + 1);
	rtrim(name);
	for (i = SEC_DAEMON; i < SEC_BAD; i++)
		if (strcmp(name, section_names[i]) == 0) {
			l->sect = (enum section)i;
			return;
		}
	cerr(l, line, "unknown section [%s]", name);
}

static void
parse_line(struct loader *l, int line, char *s)
{
	const char	*err = NULL;
	char		*eq, *key, *v;
	enum key	 k;

	s = skip_space(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		parse_section(l, line, s);
		return;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		cerr(l, line, "expected '[section]' or 'key = value'");
		return;
	}
	*eq = '\0';
	key = s;
	rtrim(key);
	if (*key == '\0') {
		cerr(l, line, "missing key name before '='");
		return;
	}
	if (l->sect == SEC_NONE) {
		cerr(l, line, "key '%s' outside of any section", key);
		return;
	}
	if (l->sect == SEC_BAD)
		return;
	if ((k = key_lookup(l->sect, key)) == K_COUNT) {
		cerr(l, line, "[%s] unknown key '%s'", section_names[l->sect], key);
		return;
	}
	if (l->line[k] != 0) {
		kerr(l, k, line, "set twice (first on line %d)", l->line[k]);
		return;
	}
	l->line[k] = line;
	if ((v = value_parse(eq + 1, &err)) == NULL) {
		kerr(l, k, line, "%s", err);
		return;
	}
	if (set_value(l, k, line, v) == 0)
		l->ok[k] = 1;
}

/* NULL when s[0..len) is valid UTF-8 without control characters other
 * than tab, else what is wrong. */
static const char *
line_check(const unsigned char *s, size_t len)
{
	size_t		 i, n, j;
	uint32_t	 c;

	for (i = 0; i < len; i += n) {
		c = s[i];
		if (c < 0x80) {
			n = 1;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return c == '\r' ? "carriage return (DOS line "
				    "endings?)" : "control character";
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			c &= 0x07;
		} else
			return "invalid UTF-8";
		if (len - i < n)
			return "invalid UTF-8";
		for (j = 1; j < n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return "invalid UTF-8";
			c = c << 6 | (s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return "invalid UTF-8";
		if (c >= 0x80 && c <= 0x9f)
			return "control character";
	}
	return NULL;
}

static void
parse_data(struct loader *l, const char *data, size_t len)
{
	char		 buf[CONF_LINE_MAX + 1];
	const char	*p = data, *end = data + len, *nl;
	const char	*err;
	size_t		 n;
	int		 line = 0;

	/* a UTF-8 byte order mark, as some editors write */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > CONF_LINE_MAX)
			cerr(l, line, "line too long (more than %d bytes)",
			    CONF_LINE_MAX);
		else if ((err = line_check((const unsigned char *)p, n)) != NULL)
			cerr(l, line, "%s", err);
		else {
			memcpy(buf, p, n);
			buf[n] = '\0';
			parse_line(l, line, buf);
		}
		p = nl + 1;
	}
}

static int
read_file(const char *path, char **data_r, size_t *len_r, char **error_r)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd, ret = -1;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		*error_r = xasprintf("cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		*error_r = xasprintf("cannot read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xstrdup("not a regular file");
		goto out;
	}
	/* sized by fstat(), but the file may grow while being read */
	cap = st.st_size < CONF_FILE_MAX ? (size_t)st.st_size + 1 : CONF_FILE_MAX + 1;
	data = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap == CONF_FILE_MAX + 1)
				break;
			cap = CONF_FILE_MAX + 1;
			data = xreallocarray(data, cap, 1);
		}
		n = read(fd, data + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*error_r = xasprintf("cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		*error_r = xasprintf("larger than %d bytes", CONF_FILE_MAX);
		goto out;
	}
	*data_r = data;
	*len_r = len;
	data = NULL;
	ret = 0;
out:
	free(data);
	if (fd != -1)
		close(fd);
	return ret;
}

/* file_check_secrecy(), except that root (which reads the configuration
 * before dropping to daemon.user) also accepts a file of daemon.user:
 * that is who reads it later. */
static int
secret_check(struct loader *l, const char *path, char **error_r)
{
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;
	char		*err2 = NULL;

	if (file_check_secrecy(path, error_r) == 0)
		return 0;
	if (geteuid() != 0 || l->cfg->daemon.user == NULL ||
	    stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return -1;
	if (priv_lookup(l->cfg->daemon.user, &uid, &gid, &err2) == -1) {
		free(err2);
		return -1;
	}
	if (st.st_uid != uid)
		return -1;
	free(*error_r);
	*error_r = NULL;
	return 0;
}

static void
check_secret(struct loader *l, enum key k, const char *path, int must_exist)
{
	struct stat	 st;
	char		*err = NULL;

	if (path == NULL || (l->line[k] != 0 && !l->ok[k]))
		return;
	if (!must_exist && stat(path, &st) == -1 && errno == ENOENT)
		return;
	if (secret_check(l, path, &err) == -1) {
		kerr(l, k, l->line[k], "%s", err);
		free(err);
	}
}

static int
set_and_ok(const struct loader *l, enum key k)
{
	return l->line[k] != 0 && l->ok[k];
}

/* Key k is unset (or set empty), and not because its value was bad. */
static int
missing(const struct loader *l, enum key k, const void *value)
{
	return value == NULL && (l->line[k] == 0 || l->ok[k]);
}

static void
check_backend(struct loader *l)
{
	struct config		*cfg = l->cfg;
	enum cfg_backend	 b = cfg->ca.backend;
	const char		*who, *name = config_backend_name(b);
	int			 k, bl = l->line[K_CA_BACKEND];

	if (bl != 0 && !l->ok[K_CA_BACKEND])
		return;		/* a bad backend: nothing to check against */
	for (k = 0; k < K_COUNT; k++) {
		if (keys[k].sect != SEC_CA || l->line[k] == 0 ||
		    (keys[k].backends & BK(b)))
			continue;
		switch (keys[k].backends) {
		case BK(BACKEND_LOCAL):
			who = "backend local";
			break;
		case BK(BACKEND_MANUAL):
			who = "backend manual";
			break;
		case B_API:
			who = "backends cfssl and ejbca";
			break;
		default:
			who = "backends local and manual";
			break;
		}
		cerr(l, l->line[k], "[ca] %s is only used with %s (backend is %s)",
		    keys[k].name, who, name);
	}
	switch (b) {
	case BACKEND_LOCAL:
		break;
	case BACKEND_MANUAL:
		if (missing(l, K_CA_CRL_URL, cfg->ca.crl_url))
			cerr(l, bl, "[ca] backend manual needs crl_url "
			    "(the CA's published CRL)");
		break;
	case BACKEND_CFSSL:
	case BACKEND_EJBCA:
		if (missing(l, K_CA_URL, cfg->ca.url))
			cerr(l, bl, "[ca] backend %s needs url", name);
		if (b == BACKEND_EJBCA) {
			/* EJBCA's REST API takes client certificates only */
			if (missing(l, K_CA_CLIENT_CERT_FILE, cfg->ca.client_cert_file))
				cerr(l, bl, "[ca] backend ejbca needs "
				    "client_cert_file");
			if (missing(l, K_CA_CLIENT_KEY_FILE, cfg->ca.client_key_file))
				cerr(l, bl, "[ca] backend ejbca needs "
				    "client_key_file");
		} else if (missing(l, K_CA_CLIENT_CERT_FILE, cfg->ca.client_cert_file) !=
		    missing(l, K_CA_CLIENT_KEY_FILE, cfg->ca.client_key_file) &&
		    (cfg->ca.client_cert_file != NULL ||
		    cfg->ca.client_key_file != NULL)) {
			k = cfg->ca.client_cert_file != NULL ?
			    K_CA_CLIENT_CERT_FILE : K_CA_CLIENT_KEY_FILE;
			cerr(l, l->line[k], "[ca] %s is set, but not %s",
			    keys[k].name, k == K_CA_CLIENT_CERT_FILE ?
			    "client_key_file" : "client_cert_file");
		}
		break;
	}
}

/* The login needs both halves; one alone is a mistake. */
static void
check_clear_login(struct loader *l, enum key k, int tls_url, enum cfg_starttls st,
    const char *host, const char *username)
{
	if (tls_url || st != STARTTLS_NO || username == NULL || host == NULL ||
	    l->line[k] == 0)
		return;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strncmp(host, "127.", 4) == 0)
		return;
	kerr(l, k, l->line[k], "'no' with a username would send the password "
	    "to %s in clear; use TLS", host);
}

static void
check_login(struct loader *l, enum key user, enum key pass, const char *u,
    const char *p)
{
	if (set_and_ok(l, user) && u != NULL && p == NULL &&
	    (l->line[pass] == 0 || l->ok[pass]))
		kerr(l, user, l->line[user], "set, but %s is not",
		    keys[pass].name);
	else if (set_and_ok(l, pass) && p != NULL && u == NULL &&
	    (l->line[user] == 0 || l->ok[user]))
		kerr(l, pass, l->line[pass], "set, but %s is not",
		    keys[user].name);
}

/* Defaults that depend on other keys, then checks across keys. */
static void
finish(struct loader *l)
{
	struct config	*cfg = l->cfg;
	size_t		 i;
	int		 k, line;

	for (k = 0; k < K_COUNT; k++)
		if ((keys[k].flags & F_REQUIRED) && l->line[k] == 0)
			cerr(l, 0, "[%s] %s is required",
			    section_names[keys[k].sect], keys[k].name);

	if (cfg->daemon.user == NULL && l->line[K_DAEMON_USER] == 0)
		cfg->daemon.user = xstrdup("cabut");
	if (cfg->daemon.state_dir == NULL && l->line[K_DAEMON_STATE_DIR] == 0)
		cfg->daemon.state_dir = xstrdup(LOCALSTATEDIR "/lib/cabut");
	if (cfg->daemon.state_dir != NULL) {
		if (cfg->op.token_key_file == NULL &&
		    l->line[K_OP_TOKEN_KEY_FILE] == 0)
			cfg->op.token_key_file = xasprintf("%s/token.key",
			    cfg->daemon.state_dir);
		if (cfg->ca.backend == BACKEND_LOCAL && cfg->ca.dir == NULL &&
		    l->line[K_CA_DIR] == 0)
			cfg->ca.dir = xasprintf("%s/ca", cfg->daemon.state_dir);
	}
	if (cfg->request.allowed_types == NULL &&
	    l->line[K_REQ_ALLOWED_TYPES] == 0) {
		cfg->request.nallowed_types = sizeof(default_types) /
		    sizeof(default_types[0]);
		cfg->request.allowed_types = xcalloc(cfg->request.nallowed_types,
		    sizeof(char *));
		for (i = 0; i < cfg->request.nallowed_types; i++)
			cfg->request.allowed_types[i] = xstrdup(default_types[i]);
	}

	check_secret(l, K_IMAP_PASSWORD_FILE, cfg->imap.password_file, 1);
	check_secret(l, K_SMTP_PASSWORD_FILE, cfg->smtp.password_file, 1);
	check_secret(l, K_CA_CLIENT_KEY_FILE, cfg->ca.client_key_file, 1);
	/* cabutctl init creates it */
	check_secret(l, K_OP_TOKEN_KEY_FILE, cfg->op.token_key_file, 0);

	check_login(l, K_IMAP_USERNAME, K_IMAP_PASSWORD_FILE, cfg->imap.username,
	    cfg->imap.password_file);
	check_login(l, K_SMTP_USERNAME, K_SMTP_PASSWORD_FILE, cfg->smtp.username,
	    cfg->smtp.password_file);

	/* A password must never cross the network in clear: without TLS a
	 * login is allowed only to this machine (tests). */
	check_clear_login(l, K_IMAP_STARTTLS, cfg->imap.imaps,
	    cfg->imap.starttls, cfg->imap.host, cfg->imap.username);
	check_clear_login(l, K_SMTP_STARTTLS, cfg->smtp.smtps,
	    cfg->smtp.starttls, cfg->smtp.host, cfg->smtp.username);

	if (set_and_ok(l, K_IMAP_PROCESSED_FOLDER) && set_and_ok(l, K_IMAP_URL) &&
	    cfg->imap.processed_folder != NULL &&
	    (strcmp(cfg->imap.processed_folder, cfg->imap.mailbox) == 0 ||
	    (strcasecmp(cfg->imap.processed_folder, "INBOX") == 0 &&
	    strcasecmp(cfg->imap.mailbox, "INBOX") == 0)))
		kerr(l, K_IMAP_PROCESSED_FOLDER, l->line[K_IMAP_PROCESSED_FOLDER],
		    "'%s' is the mailbox that is read", cfg->imap.processed_folder);

	if (set_and_ok(l, K_OP_APPROVALS_REQUIRED) && set_and_ok(l, K_OP_ADDRESSES) &&
	    (size_t)cfg->op.approvals_required > cfg->op.naddresses)
		kerr(l, K_OP_APPROVALS_REQUIRED, l->line[K_OP_APPROVALS_REQUIRED],
		    "%d is more than the %zu address%s in [op] addresses",
		    cfg->op.approvals_required, cfg->op.naddresses,
		    cfg->op.naddresses == 1 ? "" : "es");

	if (set_and_ok(l, K_OP_REQUIRE_SMIME) && cfg->op.require_smime &&
	    cfg->op.smime_ca_file == NULL && (l->line[K_OP_SMIME_CA_FILE] == 0 ||
	    l->ok[K_OP_SMIME_CA_FILE]))
		kerr(l, K_OP_REQUIRE_SMIME, l->line[K_OP_REQUIRE_SMIME],
		    "yes needs smime_ca_file");

	if ((l->line[K_REQ_MAX_ATTACHMENT_SIZE] == 0 ||
	    l->ok[K_REQ_MAX_ATTACHMENT_SIZE]) &&
	    (l->line[K_REQ_MAX_MESSAGE_SIZE] == 0 ||
	    l->ok[K_REQ_MAX_MESSAGE_SIZE]) &&
	    cfg->request.max_attachment_size > cfg->request.max_message_size) {
		line = l->line[K_REQ_MAX_ATTACHMENT_SIZE] ?
		    l->line[K_REQ_MAX_ATTACHMENT_SIZE] :
		    l->line[K_REQ_MAX_MESSAGE_SIZE];
		cerr(l, line, "[request] max_attachment_size is larger than "
		    "max_message_size");
	}

	check_backend(l);
}

struct config *
config_load(const char *path, char **errors_r)
{
	struct loader	 l;
	struct config	*cfg = NULL;
	char		*data = NULL, *err = NULL;
	size_t		 len = 0;

	*errors_r = NULL;
	memset(&l, 0, sizeof(l));
	l.path = path;
	l.sect = SEC_NONE;
	buf_init(&l.errs, CONF_ERRBUF_MAX);
	l.cfg = config_new(path);

	if (read_file(path, &data, &len, &err) == -1) {
		cerr(&l, 0, "%s", err);
		goto out;
	}
	parse_data(&l, data, len);
	finish(&l);
out:
	if (l.nerrs > CONF_ERRORS_MAX)
		(void)buf_printf(&l.errs, "\n%s: %zu more errors not shown", path,
		    l.nerrs - CONF_ERRORS_MAX);
	if (l.nerrs > 0) {
		*errors_r = buf_steal(&l.errs);
		config_free(&l.cfg);
	} else {
		cfg = l.cfg;
		l.cfg = NULL;
	}
	buf_free(&l.errs);
	free(data);
	free(err);
	return cfg;
}
