/* Sending one mail to one recipient over SMTP with libcurl (see smtp.h),
 * and deciding from libcurl's result and the server's reply whether the
 * mail went, must wait, or can never go. */
#include "autoconf.h"
#include "smtp.h"
#include "curlx.h"
#include "util.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define SMTP_TIMEOUT_DEFAULT	120	/* seconds, when the caller gives none */
#define SMTP_CONNECT_TIMEOUT	30	/* seconds, at most, to connect */
#define SMTP_QUIT_GRACE		2	/* seconds past the timeout for QUIT */
#define SMTP_REPLY_MAX		300	/* bytes kept of the server's last line */
#define SMTP_LINE_MAX		998	/* RFC 5321 4.5.3.1.6, without CRLF */
#define SMTP_PATH_MAX		254	/* RFC 5321 4.5.3.1.3, without <> */

/* How far the transaction got: a 5xx is the recipient's (or the
 * message's) answer only from MAIL on; before that it is about us. */
enum smtp_stage {
	STAGE_SESSION,		/* greeting, EHLO, STARTTLS, AUTH */
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,		/* DATA, the message and the reply to it */
};

struct smtp_trace {
	enum smtp_stage	 stage;
	int		 quit;		/* QUIT sent: its reply is no news */
	long long	 deadline;	/* monotonic ms: give up even on QUIT */
	char		 reply[SMTP_REPLY_MAX + 1];	/* last server line */
};

struct smtp_upload {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

void
smtp_global_init(void)
{
	CURLcode	 rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("curl_global_init: %s", curl_easy_strerror(rc));
}

void
smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_upload	*up = arg;
	size_t			 n = up->len - up->off;

	/* libcurl's buffer: size * nitems bytes (size is 1). */
	if (n > size * nitems)
		n = size * nitems;
	if (n > 0)
		memcpy(buf, up->data + up->off, n);
	up->off += n;
	return n;
}

/* Sees every line of the dialogue.  It keeps the server's last line and
 * how far the commands got, nothing else: what the client sends includes
 * the AUTH exchange (the password in base64), which must never be copied
 * anywhere. */
static int
smtp_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_trace	*t = arg;
	size_t			 start, end, i, n;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		/* An answer to "334" (an AUTH challenge) is a credential,
		 * whatever it looks like. */
		if (strncmp(t->reply, "334", 3) == 0)
			return 0;
		if (size >= 10 && strncasecmp(data, "MAIL FROM:", 10) == 0)
			t->stage = STAGE_MAIL;
		else if (size >= 8 && strncasecmp(data, "RCPT TO:", 8) == 0)
			t->stage = STAGE_RCPT;
		else if (size >= 6 && strncasecmp(data, "DATA\r\n", 6) == 0)
			t->stage = STAGE_DATA;
		else if (size >= 6 && strncasecmp(data, "QUIT\r\n", 6) == 0)
			t->quit = 1;
		return 0;
	}
	/* After a failure libcurl closes the connection with QUIT inside
	 * curl_easy_perform(): "221 bye" would hide the reason. */
	if (type != CURLINFO_HEADER_IN || t->quit)
		return 0;
	/* The last non-empty line of this piece, without its CRLF. */
	end = size;
	while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
		end--;
	if (end == 0)
		return 0;
	start = end;
	while (start > 0 && data[start - 1] != '\n')
		start--;
	n = end - start;
	if (n > SMTP_REPLY_MAX)
		n = SMTP_REPLY_MAX;
	/* It ends up in logs and the store: printable ASCII only. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[start + i];

		t->reply[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	t->reply[n] = '\0';
	return 0;
}

static long long
smtp_now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CURLOPT_TIMEOUT does not cover the QUIT libcurl sends when it closes
 * the connection: a server that stopped answering would hold us up to
 * CURLOPT_SERVER_RESPONSE_TIMEOUT more.  libcurl calls this about once a
 * second while it waits, QUIT included. */
static int
smtp_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct smtp_trace	*t = arg;

	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	return smtp_now_ms() > t->deadline;
}

/* The message must be ready for the wire: CRLF line ends only (a bare CR
 * or LF is a bug in whoever built it, and SMTP smuggling rides on them),
 * no NUL, lines within the limit servers enforce. */
static int
smtp_data_check(const char *data, size_t len, char **error_r)
{
	size_t	 i, col = 0, line = 1;

	for (i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') {
			i++;
			line++;
			col = 0;
			continue;
		}
		if (data[i] == '\n' || data[i] == '\r') {
			*error_r = xasprintf("message line %zu: bare %s "
			    "(line ends must be CRLF)", line,
			    data[i] == '\n' ? "LF" : "CR");
			return -1;
		}
		if (data[i] == '\0') {
			*error_r = xasprintf("message line %zu: NUL byte", line);
			return -1;
		}
		if (++col > SMTP_LINE_MAX) {
			*error_r = xasprintf("message line %zu: longer than %d "
			    "bytes", line, SMTP_LINE_MAX);
			return -1;
		}
	}
	return 0;
}

/* An envelope address goes into the SMTP command line between <>: no
 * control characters (command injection), no brackets. */
static int
smtp_addr_check(const char *what, const char *addr, int may_be_empty,
    char **error_r)
{
	const unsigned char	*p;

	if (addr == NULL || (*addr == '\0' && !may_be_empty)) {
		*error_r = xasprintf("%s: empty address", what);
		return -1;
	}
	if (strlen(addr) > SMTP_PATH_MAX) {
		*error_r = xasprintf("%s: address longer than %d bytes", what,
		    SMTP_PATH_MAX);
		return -1;
	}
	for (p = (const unsigned char *)addr; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>') {
			*error_r = xasprintf("%s: invalid character 0x%02x in "
			    "address", what, *p);
			return -1;
		}
	}
	return 0;
}

#define SETOPT(opt, val)	CURLX_SETOPT(h, rc, error, opt, val)

enum smtp_status
smtp_send(const struct smtp_params *p, const char *mail_from,
    const char *rcpt, const char *data, size_t len, int *code_r,
    char **error_r)
{
	CURL			*h = NULL;
	struct curl_slist	*rcpts = NULL;
	struct smtp_trace	 trace;
	struct smtp_upload	 up;
	struct curlx_common	 cc;
	char			 errbuf[CURL_ERROR_SIZE], codestr[4] = "";
	char			*error = NULL;
	enum smtp_status	 status = SMTP_TEMPFAIL;
	CURLcode		 rc;
	long			 timeout, resp = 0;
	int			 code = 0, smtps;

	memset(&trace, 0, sizeof(trace));
	errbuf[0] = '\0';
	up.data = data;
	up.len = len;
	up.off = 0;
	if (mail_from == NULL)
		mail_from = "";

	/* A message or address that can never be sent is given up at once. */
	if (smtp_addr_check("sender", mail_from, 1, &error) == -1 ||
	    smtp_addr_check("recipient", rcpt, 0, &error) == -1 ||
	    smtp_data_check(data, len, &error) == -1) {
		status = SMTP_PERMFAIL;
		goto out;
	}
	/* The configuration is the admin's to fix: the mail waits. */
	if (p->url == NULL) {
		error = xstrdup("no SMTP URL");
		goto out;
	}
	smtps = strncasecmp(p->url, "smtps://", 8) == 0;
	if (!smtps && strncasecmp(p->url, "smtp://", 7) != 0) {
		error = xstrdup("SMTP URL must start with smtp:// or smtps://");
		goto out;
	}
	if ((h = curl_easy_init()) == NULL) {
		error = xstrdup("curl_easy_init failed");
		goto out;
	}
	timeout = p->timeout > 0 ? p->timeout : SMTP_TIMEOUT_DEFAULT;

	memset(&cc, 0, sizeof(cc));
	cc.url = p->url;
	cc.protocols = "smtp,smtps";
	cc.protomask = (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS);
	cc.timeout = timeout;
	cc.connect_timeout = SMTP_CONNECT_TIMEOUT;
	cc.tls_verify = p->tls_verify;
	cc.ca_file = p->ca_file;
	cc.errbuf = errbuf;
	if (curlx_common(h, &cc, &error) == -1)
		goto out;
	SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	/* Close (QUIT) inside curl_easy_perform(), under smtp_progress();
	 * a kept connection would be closed in curl_easy_cleanup() by an
	 * internal handle that has no deadline. */
	SETOPT(CURLOPT_FORBID_REUSE, 1L);
	trace.deadline = smtp_now_ms() + (timeout + SMTP_QUIT_GRACE) * 1000LL;
	SETOPT(CURLOPT_XFERINFOFUNCTION, smtp_progress);
	SETOPT(CURLOPT_XFERINFODATA, &trace);
	SETOPT(CURLOPT_NOPROGRESS, 0L);

	/* STARTTLS must succeed or nothing is sent; with "starttls = no"
	 * no TLS is tried at all (not opportunistic: a certificate error
	 * would then stop mail that the admin chose to send in clear). */
	if (!smtps)
		SETOPT(CURLOPT_USE_SSL, p->starttls ? (long)CURLUSESSL_ALL :
		    (long)CURLUSESSL_NONE);

	if (p->username != NULL) {
		SETOPT(CURLOPT_USERNAME, p->username);
		SETOPT(CURLOPT_PASSWORD, p->password != NULL ? p->password : "");
	}

	/* libcurl sends "MAIL FROM:<>" for an empty sender. */
	SETOPT(CURLOPT_MAIL_FROM, mail_from);
	rcpts = curl_slist_append(NULL, rcpt);
	if (rcpts == NULL)
		fatalx("curl_slist_append: out of memory");
	SETOPT(CURLOPT_MAIL_RCPT, rcpts);
	/* Without UPLOAD libcurl sends VRFY instead of a mail. */
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, smtp_read);
	SETOPT(CURLOPT_READDATA, &up);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

	/* The debug callback is how the server's words are seen; with it
	 * set, VERBOSE prints nothing by itself. */
	SETOPT(CURLOPT_DEBUGFUNCTION, smtp_debug);
	SETOPT(CURLOPT_DEBUGDATA, &trace);
	SETOPT(CURLOPT_VERBOSE, 1L);

	rc = curl_easy_perform(h);
	/* The last reply code (QUIT's is never stored). */
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp) != CURLE_OK)
		resp = 0;
	if (rc == CURLE_OK) {
		status = SMTP_SENT;
		code = (int)resp;
		goto out;
	}

	/*
	 * Not sent.  A 5xx is final only when it answers MAIL, RCPT or the
	 * message (a rejection after DATA comes back from libcurl as
	 * CURLE_WEIRD_SERVER_REPLY, hence the reply code rather than rc).
	 * Everything before MAIL is between us and our server: a refused
	 * connection, a timeout, a failed TLS handshake or certificate
	 * check, a refused AUTH (535, CURLE_LOGIN_DENIED) are problems of
	 * the server or of our configuration, not of this mail, so the mail
	 * waits in the outbox until the admin fixes them.  So does a 530
	 * at MAIL ("authentication required", "must issue STARTTLS first").
	 */
	status = SMTP_TEMPFAIL;
	if (resp >= 400 && resp <= 599) {
		code = (int)resp;
		if (resp >= 500 && trace.stage >= STAGE_MAIL && resp != 530 &&
		    rc != CURLE_LOGIN_DENIED)
			status = SMTP_PERMFAIL;
		snprintf(codestr, sizeof(codestr), "%d", code);
	}
	/* The server's own words when they are the reason. */
	if (code != 0 && strncmp(trace.reply, codestr, 3) == 0)
		error = xstrdup(trace.reply);
	else if (errbuf[0] != '\0')
		error = xasprintf("%s: %s", curl_easy_strerror(rc), errbuf);
	else
		error = xstrdup(curl_easy_strerror(rc));

out:
	/* Cleanup may still say QUIT and call smtp_debug: trace lives on. */
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	if (code_r != NULL)
		*code_r = code;
	if (status == SMTP_SENT) {
		free(error);
		error = NULL;
	}
	if (error_r != NULL)
		*error_r = error;
	else
		free(error);
	return status;
}
