/* The IMAP source over libetpan: connect, TLS and our own check of the
 * server certificate (libetpan 1.9.4 built with GnuTLS checks nothing),
 * LOGIN, SELECT, and the few UID commands the daemon needs.
 * The caller ignores SIGPIPE (a write to a dropped connection). */
#include "autoconf.h"
#include "imap.h"
#include "util.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <libetpan/libetpan.h>

/* Server text quoted in an error message is cut to this. */
#define IMAP_TEXT_MAX	200

struct imap {
	mailimap	*mi;
	char		*host;		/* owned; SNI wants a char * */
	int		 sni;		/* host is a name, not an IP literal */
	uint32_t	 uidvalidity;
	int		 has_idle;
	int		 has_move;
	int		 has_uidplus;
	int		 broken;	/* the stream failed: no further command */
};

static int
etpan_ok(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

/* After these the session is out of step with the server (or gone). */
static int
etpan_fatal(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_SSL:
		return 1;
	default:
		return 0;
	}
}

/* The server's text for the last tagged answer, printable and bounded. */
static void
server_text(const mailimap *mi, char *out, size_t outlen)
{
	const char	*s;
	size_t		 i, n = 0;

	out[0] = '\0';
	if (mi == NULL || (s = mi->imap_response) == NULL)
		return;
	for (i = 0; s[i] != '\0' && n + 1 < outlen && i < IMAP_TEXT_MAX; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[n] = '\0';
}

/* "STEP: what went wrong[: server text]"; marks the session broken when
 * the stream cannot be trusted any more. */
static char *
etpan_error(struct imap *im, const char *step, int r)
{
	const char	*what;
	char		 text[IMAP_TEXT_MAX + 1];
	int		 quote = 0;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		what = "connection closed or timed out";
		break;
	case MAILIMAP_ERROR_PARSE:
		what = "cannot parse the server's answer";
		break;
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		what = "cannot connect";
		break;
	case MAILIMAP_ERROR_MEMORY:
		what = "out of memory";
		break;
	case MAILIMAP_ERROR_FATAL:
		what = "the server ended the session";
		quote = 1;
		break;
	case MAILIMAP_ERROR_BAD_STATE:
		what = "command not allowed in this state";
		break;
	case MAILIMAP_ERROR_SSL:
		what = "TLS handshake failed";
		break;
	default:
		/* NO or BAD: the command-specific codes. */
		what = "refused by the server";
		quote = 1;
		break;
	}
	if (etpan_fatal(r))
		im->broken = 1;
	text[0] = '\0';
	if (quote)
		server_text(im->mi, text, sizeof(text));
	if (text[0] != '\0')
		return xasprintf("%s: %s: %s", step, what, text);
	return xasprintf("%s: %s", step, what);
}

/* Mailbox names go to libetpan as astrings: refuse what it would not
 * quote safely, and non-ASCII (that needs modified UTF-7). */
static int
mailbox_name_ok(const char *name)
{
	const unsigned char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > 512)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted copy without duplicates; NULL with *error_r on a UID 0 (which
 * libetpan would send as "*", the last message). */
static uint32_t *
uids_sorted(const uint32_t *uids, size_t n, size_t *n_r, char **error_r)
{
	uint32_t	*s;
	size_t		 i, k = 0;

	s = xreallocarray(NULL, n, sizeof(*s));
	for (i = 0; i < n; i++) {
		if (uids[i] == 0) {
			*error_r = xstrdup("invalid UID 0");
			free(s);
			return NULL;
		}
		s[i] = uids[i];
	}
	qsort(s, n, sizeof(*s), uid_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	*n_r = k;
	return s;
}

/* An IMAP set of sorted, unique UIDs with runs as ranges ("3:7,9"). */
static struct mailimap_set *
uidset_new(const uint32_t *s, size_t n)
{
	struct mailimap_set	*set;
	size_t			 i = 0, j;

	if ((set = mailimap_set_new_empty()) == NULL)
		fatalx("libetpan: out of memory");
	while (i < n) {
		for (j = i; j + 1 < n && s[j + 1] == s[j] + 1; j++)
			;
		if (mailimap_set_add_interval(set, s[i], s[j]) != MAILIMAP_NO_ERROR)
			fatalx("libetpan: out of memory");
		i = j + 1;
	}
	return set;
}

/* A set for a caller's UID list; NULL with *error_r. */
static struct mailimap_set *
uidset_from(const uint32_t *uids, size_t n, char **error_r)
{
	struct mailimap_set	*set;
	uint32_t		*s;
	size_t			 k;

	if ((s = uids_sorted(uids, n, &k, error_r)) == NULL)
		return NULL;
	set = uidset_new(s, k);
	free(s);
	return set;
}

static int
is_ip_literal(const char *host)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

static void
tls_setup(struct mailstream_ssl_context *ctx, void *arg)
{
	struct imap	*im = arg;

	/* RFC 6066: no IP literals in SNI. */
	if (im->sni)
		mailstream_ssl_set_server_name(ctx, im->host);
}

/* The chain the server sent, verified with OpenSSL against ca_file (or
 * the system store), for purpose TLS server and for the host name or IP
 * address we connected to. */
static int
tls_verify(struct imap *im, const struct imap_params *p, char **error_r)
{
	carray			*chain = NULL;
	STACK_OF(X509)		*untrusted = NULL;
	X509			*leaf = NULL, *x;
	X509_STORE		*store = NULL;
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*vp;
	MMAPString		*der;
	const unsigned char	*d;
	const char		*reason;
	unsigned long		 e, last;
	char			 subject[256];
	unsigned int		 i;
	int			 err, depth, ret = -1;

	chain = mailstream_get_certificate_chain(im->mi->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		*error_r = xstrdup("certificate verify failed: "
		    "the server sent no certificate");
		goto out;
	}
	if ((untrusted = sk_X509_new_null()) == NULL)
		fatalx("openssl: out of memory");
	for (i = 0; i < carray_count(chain); i++) {
		der = carray_get(chain, i);
		d = (const unsigned char *)der->str;
		if (der->len > LONG_MAX ||
		    (x = d2i_X509(NULL, &d, (long)der->len)) == NULL) {
			*error_r = xasprintf("certificate verify failed: "
			    "cannot parse certificate %u of the chain", i);
			goto out;
		}
		if (leaf == NULL)
			leaf = x;
		else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			fatalx("openssl: out of memory");
		}
	}

	if ((store = X509_STORE_new()) == NULL)
		fatalx("openssl: out of memory");
	if (p->ca_file != NULL) {
		if (X509_STORE_load_file(store, p->ca_file) != 1) {
			/* A system error (ENOENT...) says most, else the last. */
			reason = NULL;
			last = 0;
			while (reason == NULL && (e = ERR_get_error()) != 0) {
				if (ERR_SYSTEM_ERROR(e))
					reason = strerror(ERR_GET_REASON(e));
				last = e;
			}
			if (reason == NULL &&
			    (reason = ERR_reason_error_string(last)) == NULL)
				reason = "unusable";
			*error_r = xasprintf("cannot load CA file %s: %s",
			    p->ca_file, reason);
			goto out;
		}
	} else if (X509_STORE_set_default_paths(store) != 1) {
		*error_r = xstrdup("cannot load the system CA store");
		goto out;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL)
		fatalx("openssl: out of memory");
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_server") != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1) {
		*error_r = xstrdup("certificate verify failed: "
		    "cannot set up the check");
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (im->sni) {
		if (X509_VERIFY_PARAM_set1_host(vp, p->host, 0) != 1) {
			*error_r = xstrdup("certificate verify failed: bad host name");
			goto out;
		}
	} else if (X509_VERIFY_PARAM_set1_ip_asc(vp, p->host) != 1) {
		*error_r = xstrdup("certificate verify failed: bad IP address");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		x = X509_STORE_CTX_get_current_cert(ctx);
		subject[0] = '\0';
		if (x != NULL)
			X509_NAME_oneline(X509_get_subject_name(x), subject,
			    sizeof(subject));
		*error_r = xasprintf("certificate verify failed: %s "
		    "(depth %d%s%s)", X509_verify_cert_error_string(err), depth,
		    subject[0] != '\0' ? ", subject " : "", subject);
		goto out;
	}
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	ERR_clear_error();
	return ret;
}

/* Refresh the capabilities libetpan keeps for mailimap_has_extension. */
static int
capability(struct imap *im, char **error_r)
{
	struct mailimap_capability_data	*cap = NULL;
	int				 r;

	r = mailimap_capability(im->mi, &cap);
	if (cap != NULL)
		mailimap_capability_data_free(cap);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "CAPABILITY", r);
		return -1;
	}
	return 0;
}

/* Test builds may hide MOVE to exercise UID COPY + UID EXPUNGE. */
static int
move_hidden(void)
{
#ifdef CABUT_TEST_HOOKS
	const char	*v = getenv("CABUT_IMAP_NO_MOVE");

	return v != NULL && strcmp(v, "1") == 0;
#else
	return 0;
#endif
}

int
imap_open(const struct imap_params *p, struct imap **imp, enum imap_error *kind_r,
    char **error_r)
{
	struct imap	*im;
	enum imap_error	 kind = IMAP_ERR_PROTOCOL;
	char		*err = NULL;
	int		 r, tls = 0, ret = -1;

	*imp = NULL;
	im = xcalloc(1, sizeof(*im));
	if (p->host == NULL || *p->host == '\0' || p->port < 1 || p->port > 65535 ||
	    p->username == NULL || p->password == NULL || p->timeout < 1) {
		kind = IMAP_ERR_CONNECT;
		err = xstrdup("bad parameters "
		    "(host, port, user, password, timeout)");
		goto out;
	}
	if (!mailbox_name_ok(p->mailbox)) {
		kind = IMAP_ERR_MAILBOX;
		err = xstrdup("mailbox name must be printable ASCII");
		goto out;
	}
	im->host = xstrdup(p->host);
	im->sni = !is_ip_literal(p->host);
	if ((im->mi = mailimap_new(0, NULL)) == NULL)
		fatalx("libetpan: out of memory");
	mailimap_set_timeout(im->mi, p->timeout);

	if (p->imaps) {
		r = mailimap_ssl_connect_with_callback(im->mi, p->host,
		    (uint16_t)p->port, tls_setup, im);
		tls = 1;
	} else
		r = mailimap_socket_connect(im->mi, p->host, (uint16_t)p->port);
	if (!etpan_ok(r)) {
		kind = r == MAILIMAP_ERROR_SSL ? IMAP_ERR_TLS : IMAP_ERR_CONNECT;
		err = etpan_error(im, p->imaps ? "connect (TLS)" : "connect", r);
		goto out;
	}

	if (!p->imaps && p->starttls) {
		if (capability(im, &err) == -1) {
			kind = IMAP_ERR_CONNECT;
			goto out;
		}
		if (!mailimap_has_extension(im->mi, "STARTTLS")) {
			kind = IMAP_ERR_TLS;
			err = xstrdup("STARTTLS: the server does not offer it");
			goto out;
		}
		r = mailimap_socket_starttls_with_callback(im->mi, tls_setup, im);
		if (!etpan_ok(r)) {
			kind = IMAP_ERR_TLS;
			err = etpan_error(im, "STARTTLS", r);
			im->broken = 1;
			goto out;
		}
		tls = 1;
	} else if (!p->imaps)
		log_warnx("imap: %s:%d without TLS: the password is sent in clear",
		    p->host, p->port);

	if (tls && p->tls_verify) {
		if (tls_verify(im, p, &err) == -1) {
			kind = IMAP_ERR_TLS;
			goto out;
		}
	} else if (tls)
		log_warnx("imap: %s:%d: tls_verify is off: the server's "
		    "certificate is not checked", p->host, p->port);

	/* Capabilities from before STARTTLS must not be trusted (RFC 3501). */
	if (capability(im, &err) == -1) {
		kind = IMAP_ERR_PROTOCOL;
		goto out;
	}
	if (im->mi->imap_state == MAILIMAP_STATE_NON_AUTHENTICATED) {
		if (mailimap_has_extension(im->mi, "LOGINDISABLED")) {
			kind = IMAP_ERR_AUTH;
			err = xstrdup("LOGIN: the server does not allow it here "
			    "(LOGINDISABLED)");
			goto out;
		}
		r = mailimap_login(im->mi, p->username, p->password);
		if (!etpan_ok(r)) {
			kind = r == MAILIMAP_ERROR_LOGIN ? IMAP_ERR_AUTH :
			    IMAP_ERR_CONNECT;
			err = etpan_error(im, "LOGIN", r);
			goto out;
		}
		/* More capabilities are announced after LOGIN. */
		if (capability(im, &err) == -1) {
			kind = IMAP_ERR_PROTOCOL;
			goto out;
		}
	}
	im->has_idle = mailimap_has_idle(im->mi);
	im->has_move = mailimap_has_extension(im->mi, "MOVE") && !move_hidden();
	im->has_uidplus = mailimap_has_uidplus(im->mi);

	r = mailimap_select(im->mi, p->mailbox);
	if (!etpan_ok(r)) {
		kind = r == MAILIMAP_ERROR_SELECT ? IMAP_ERR_MAILBOX : IMAP_ERR_CONNECT;
		err = etpan_error(im, "SELECT", r);
		goto out;
	}
	if (im->mi->imap_selection_info == NULL ||
	    im->mi->imap_selection_info->sel_uidvalidity == 0) {
		kind = IMAP_ERR_PROTOCOL;
		err = xstrdup("SELECT: the server sent no UIDVALIDITY");
		goto out;
	}
	im->uidvalidity = im->mi->imap_selection_info->sel_uidvalidity;
	kind = IMAP_ERR_NONE;
	ret = 0;
out:
	if (ret == -1) {
		/* No LOGOUT: the server may not be the one we wanted. */
		im->broken = 1;
		imap_close(&im);
		*error_r = err;
	} else
		*imp = im;
	if (kind_r != NULL)
		*kind_r = kind;
	return ret;
}

void
imap_close(struct imap **imp)
{
	struct imap	*im = *imp;

	if (im == NULL)
		return;
	if (im->mi != NULL && im->mi->imap_stream != NULL) {
		if (!im->broken)
			(void)mailimap_logout(im->mi);	/* closes the stream */
		else {
			/* Else mailimap_free sends LOGOUT and waits for it. */
			mailstream_close(im->mi->imap_stream);
			im->mi->imap_stream = NULL;
		}
	}
	if (im->mi != NULL)
		mailimap_free(im->mi);
	free(im->host);
	free(im);
	*imp = NULL;
}

uint32_t
imap_uidvalidity(const struct imap *im)
{
	return im->uidvalidity;
}

int
imap_has_idle(const struct imap *im)
{
	return im->has_idle;
}

int
imap_has_move(const struct imap *im)
{
	return im->has_move;
}

static int
check_usable(struct imap *im, const char *step, char **error_r)
{
	if (im->broken || im->mi->imap_stream == NULL) {
		*error_r = xasprintf("%s: the connection is broken: reconnect", step);
		return -1;
	}
	return 0;
}

/* What one FETCH answer holds. */
struct fetched {
	uint32_t	 uid;
	uint32_t	 size;
	int		 has_size;
	const char	*data;
	size_t		 len;
	int		 has_data;
};

static void
fetched_read(struct mailimap_msg_att *ma, struct fetched *f)
{
	struct mailimap_msg_att_item	*item;
	struct mailimap_msg_att_static	*st;
	clistiter			*it;

	memset(f, 0, sizeof(*f));
	if (ma == NULL || ma->att_list == NULL)
		return;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		item = clist_content(it);
		if (item == NULL || item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    (st = item->att_data.att_static) == NULL)
			continue;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			f->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			f->size = st->att_data.att_rfc822_size;
			f->has_size = 1;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section != NULL &&
			    st->att_data.att_body_section->sec_body_part != NULL) {
				f->data = st->att_data.att_body_section->sec_body_part;
				f->len = st->att_data.att_body_section->sec_length;
				f->has_data = 1;
			}
			break;
		default:
			break;
		}
	}
}

/* FETCH items: UID and one more (owned by the result). */
static struct mailimap_fetch_type *
fetch_type_uid_and(struct mailimap_fetch_att *other)
{
	struct mailimap_fetch_type	*ft;
	struct mailimap_fetch_att	*uid;

	if (other == NULL ||
	    (ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    (uid = mailimap_fetch_att_new_uid()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, uid) != 0 ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, other) != 0)
		fatalx("libetpan: out of memory");
	return ft;
}

/* Index of uid in the sorted array s, or -1. */
static long
uid_index(const uint32_t *s, size_t n, uint32_t uid)
{
	const uint32_t	*hit;

	hit = bsearch(&uid, s, n, sizeof(*s), uid_cmp);
	return hit == NULL ? -1 : (long)(hit - s);
}

int
imap_list_new(struct imap *im, uint32_t after_uid, size_t max,
    struct imap_msginfo **list_r, size_t *n_r, char **error_r)
{
	struct mailimap_search_key	*key = NULL;
	struct mailimap_set		*set;
	struct mailimap_fetch_type	*ft = NULL;
	struct imap_msginfo		*list = NULL;
	struct fetched			 f;
	clist				*found = NULL, *fetched = NULL;
	clistiter			*it;
	uint32_t			*uids = NULL, *s;
	uint64_t			*sizes = NULL;
	size_t				 n = 0, k, i, out_n = 0;
	long				 idx;
	int				 r, ret = -1;

	*list_r = NULL;
	*n_r = 0;
	if (check_usable(im, "UID SEARCH", error_r) == -1)
		return -1;
	if (max == 0 || after_uid == UINT32_MAX)
		return 0;

	/* "N:*" always matches the highest UID, even below N: filter. */
	if ((set = mailimap_set_new_interval(after_uid + 1, 0)) == NULL ||
	    (key = mailimap_search_key_new_uid(set)) == NULL)
		fatalx("libetpan: out of memory");
	r = mailimap_uid_search(im->mi, NULL, key, &found);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "UID SEARCH", r);
		goto out;
	}
	k = found == NULL ? 0 : (size_t)clist_count(found);
	uids = xreallocarray(NULL, k == 0 ? 1 : k, sizeof(*uids));
	for (it = found == NULL ? NULL : clist_begin(found); it != NULL;
	    it = clist_next(it)) {
		if ((s = clist_content(it)) != NULL && *s > after_uid)
			uids[n++] = *s;
	}
	if (n == 0) {
		ret = 0;
		goto out;
	}
	qsort(uids, n, sizeof(*uids), uid_cmp);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || uids[k - 1] != uids[i])
			uids[k++] = uids[i];
	n = k < max ? k : max;

	ft = fetch_type_uid_and(mailimap_fetch_att_new_rfc822_size());
	set = uidset_new(uids, n);
	r = mailimap_uid_fetch(im->mi, set, ft, &fetched);
	mailimap_set_free(set);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "UID FETCH", r);
		goto out;
	}
	/* A message expunged meanwhile is simply not there. */
	sizes = xcalloc(n, sizeof(*sizes));
	for (it = fetched == NULL ? NULL : clist_begin(fetched); it != NULL;
	    it = clist_next(it)) {
		fetched_read(clist_content(it), &f);
		if (f.uid == 0 || !f.has_size ||
		    (idx = uid_index(uids, n, f.uid)) < 0)
			continue;
		sizes[idx] = (uint64_t)f.size + 1;	/* 0: not seen */
	}
	list = xcalloc(n, sizeof(*list));
	for (i = 0; i < n; i++) {
		if (sizes[i] == 0)
			continue;
		list[out_n].uid = uids[i];
		list[out_n].size = sizes[i] - 1;
		out_n++;
	}
	if (out_n == 0) {
		free(list);
		list = NULL;
	}
	*list_r = list;
	*n_r = out_n;
	list = NULL;
	ret = 0;
out:
	free(list);
	free(sizes);
	free(uids);
	if (key != NULL)
		mailimap_search_key_free(key);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (found != NULL)
		mailimap_search_result_free(found);
	if (fetched != NULL)
		mailimap_fetch_list_free(fetched);
	return ret;
}

/* One UID FETCH of BODY.PEEK[] or BODY.PEEK[HEADER] for all the uids; cb
 * once per message, in UID order of the answers. A non-zero cb return
 * stops it (-1). UIDs the server does not return (expunged) are skipped. */
static int
fetch_sections(struct imap *im, const uint32_t *uids, size_t n, int header,
    int (*cb)(uint32_t, const char *, size_t, void *), void *arg, char **error_r)
{
	struct mailimap_set		*set = NULL;
	struct mailimap_fetch_type	*ft = NULL;
	struct mailimap_section		*sec;
	struct fetched			 f;
	clist				*fetched = NULL;
	clistiter			*it;
	uint32_t			*want = NULL;
	unsigned char			*done = NULL;
	size_t				 k = 0, i, got = 0;
	long				 idx;
	int				 r, ret = -1;

	if (check_usable(im, "UID FETCH", error_r) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((want = uids_sorted(uids, n, &k, error_r)) == NULL)
		goto out;
	set = uidset_new(want, k);
	sec = header ? mailimap_section_new_header() : mailimap_section_new(NULL);
	if (sec == NULL)
		fatalx("libetpan: out of memory");
	ft = fetch_type_uid_and(mailimap_fetch_att_new_body_peek_section(sec));
	r = mailimap_uid_fetch(im->mi, set, ft, &fetched);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "UID FETCH", r);
		goto out;
	}
	done = xcalloc(k, 1);
	for (it = fetched == NULL ? NULL : clist_begin(fetched); it != NULL;
	    it = clist_next(it)) {
		fetched_read(clist_content(it), &f);
		/* Unsolicited FETCH (flags of another client) has no body. */
		if (f.uid == 0 || !f.has_data ||
		    (idx = uid_index(want, k, f.uid)) < 0 || done[idx])
			continue;
		done[idx] = 1;
		got++;
		if (cb(f.uid, f.data, f.len, arg) != 0) {
			*error_r = xasprintf("UID FETCH: stopped at UID %u",
			    (unsigned int)f.uid);
			goto out;
		}
	}
	if (got < k)
		for (i = 0; i < k; i++)
			if (!done[i])
				log_info("imap: UID %u is gone (expunged?)",
				    (unsigned int)want[i]);
	ret = 0;
out:
	free(done);
	free(want);
	if (set != NULL)
		mailimap_set_free(set);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (fetched != NULL)
		mailimap_fetch_list_free(fetched);
	return ret;
}

int
imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
    int (*cb)(uint32_t uid, const char *data, size_t len, void *arg),
    void *arg, char **error_r)
{
	return fetch_sections(im, uids, n, 0, cb, arg, error_r);
}

int
imap_fetch_header(struct imap *im, uint32_t uid,
    int (*cb)(uint32_t uid, const char *data, size_t len, void *arg),
    void *arg, char **error_r)
{
	return fetch_sections(im, &uid, 1, 1, cb, arg, error_r);
}

/* UID STORE set +FLAGS.SILENT (flag) */
static int
store_add_flag(struct imap *im, struct mailimap_set *set,
    struct mailimap_flag *flag, char **error_r)
{
	struct mailimap_flag_list	*fl;
	struct mailimap_store_att_flags	*sf;
	int				 r;

	if (flag == NULL || (fl = mailimap_flag_list_new_empty()) == NULL ||
	    mailimap_flag_list_add(fl, flag) != MAILIMAP_NO_ERROR ||
	    (sf = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL)
		fatalx("libetpan: out of memory");
	r = mailimap_uid_store(im->mi, set, sf);
	mailimap_store_att_flags_free(sf);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "UID STORE", r);
		return -1;
	}
	return 0;
}

int
imap_mark_seen(struct imap *im, const uint32_t *uids, size_t n, char **error_r)
{
	struct mailimap_set	*set;
	int			 ret;

	if (check_usable(im, "UID STORE", error_r) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((set = uidset_from(uids, n, error_r)) == NULL)
		return -1;
	ret = store_add_flag(im, set, mailimap_flag_new_seen(), error_r);
	mailimap_set_free(set);
	return ret;
}

/* UID MOVE or UID COPY; when the server answers [TRYCREATE], CREATE the
 * folder and try once more. */
static int
move_or_copy(struct imap *im, struct mailimap_set *set, const char *folder,
    int move, char **error_r)
{
	const char	*step = move ? "UID MOVE" : "UID COPY";
	char		*err;
	int		 r, tries;

	for (tries = 0; ; tries++) {
		r = move ? mailimap_uid_move(im->mi, set, folder) :
		    mailimap_uid_copy(im->mi, set, folder);
		if (etpan_ok(r))
			return 0;
		if (tries > 0 || etpan_fatal(r) ||
		    im->mi->imap_response_info == NULL ||
		    !im->mi->imap_response_info->rsp_trycreate) {
			*error_r = etpan_error(im, step, r);
			return -1;
		}
		r = mailimap_create(im->mi, folder);
		if (!etpan_ok(r)) {
			err = etpan_error(im, "CREATE", r);
			*error_r = xasprintf("%s: %s", step, err);
			free(err);
			return -1;
		}
		log_info("imap: created folder %s", folder);
	}
}

int
imap_move(struct imap *im, const uint32_t *uids, size_t n, const char *folder,
    char **error_r)
{
	struct mailimap_set	*set = NULL;
	int			 r, ret = -1;

	if (check_usable(im, "UID MOVE", error_r) == -1)
		return -1;
	if (!mailbox_name_ok(folder)) {
		*error_r = xstrdup("UID MOVE: folder name must be printable ASCII");
		return -1;
	}
	if (n == 0)
		return 0;
	if (!im->has_move && !im->has_uidplus) {
		/* A plain EXPUNGE would also remove what others marked \Deleted. */
		*error_r = xstrdup("UID MOVE: the server has neither MOVE nor "
		    "UIDPLUS: cannot move safely");
		return -1;
	}
	if ((set = uidset_from(uids, n, error_r)) == NULL)
		return -1;
	if (im->has_move) {
		ret = move_or_copy(im, set, folder, 1, error_r);
		goto out;
	}
	if (move_or_copy(im, set, folder, 0, error_r) == -1 ||
	    store_add_flag(im, set, mailimap_flag_new_deleted(), error_r) == -1)
		goto out;
	r = mailimap_uid_expunge(im->mi, set);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "UID EXPUNGE", r);
		goto out;
	}
	ret = 0;
out:
	mailimap_set_free(set);
	return ret;
}

/* Without IDLE: just wait for wake_fd or the timeout. */
static int
idle_wait_only(int wake_fd, int timeout_ms, char **error_r)
{
	struct pollfd	 pfd;
	int		 r;

	if (wake_fd < 0) {
		pfd.fd = -1;
		pfd.events = 0;
	} else {
		pfd.fd = wake_fd;
		pfd.events = POLLIN;
	}
	pfd.revents = 0;
	r = poll(&pfd, 1, timeout_ms);
	if (r == -1) {
		if (errno == EINTR)
			return 2;
		*error_r = xasprintf("IDLE: poll: %s", strerror(errno));
		return -1;
	}
	return r > 0 ? 2 : 0;
}

int
imap_idle(struct imap *im, int wake_fd, int timeout_ms, char **error_r)
{
	struct pollfd	 pfd[2];
	int		 r, nfd, result;

	if (check_usable(im, "IDLE", error_r) == -1)
		return -1;
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (!im->has_idle)
		return idle_wait_only(wake_fd, timeout_ms, error_r);

	r = mailimap_idle(im->mi);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "IDLE", r);
		im->broken = 1;
		return -1;
	}
	/* libetpan may already hold what the server sent after "+ idling". */
	if (im->mi->imap_stream->read_buffer_len > 0)
		result = 1;
	else {
		pfd[0].fd = mailimap_idle_get_fd(im->mi);
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = wake_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nfd = wake_fd >= 0 ? 2 : 1;
		r = poll(pfd, (nfds_t)nfd, timeout_ms);
		if (r == -1 && errno != EINTR) {
			*error_r = xasprintf("IDLE: poll: %s", strerror(errno));
			im->broken = 1;
			return -1;
		}
		/* The server first: wake_fd is not drained, the caller sees
		 * it next time. A signal counts as a wake-up. */
		if (r > 0 && pfd[0].revents != 0)
			result = 1;
		else if (r > 0 || r == -1)
			result = 2;
		else
			result = 0;
	}
	r = mailimap_idle_done(im->mi);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "IDLE DONE", r);
		im->broken = 1;
		return -1;
	}
	return result;
}

int
imap_noop(struct imap *im, char **error_r)
{
	int	 r;

	if (check_usable(im, "NOOP", error_r) == -1)
		return -1;
	r = mailimap_noop(im->mi);
	if (!etpan_ok(r)) {
		*error_r = etpan_error(im, "NOOP", r);
		return -1;
	}
	return 0;
}
