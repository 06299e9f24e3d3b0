/* Sending one mail to one recipient over SMTP (libcurl): STARTTLS
 * (required by default) or SMTPS, AUTH, the server certificate verified,
 * one transaction per recipient. The outbox decides what to send and
 * when; this module only talks to the server. */
#ifndef CABUT_SMTP_H
#define CABUT_SMTP_H

#include <stddef.h>

struct smtp_params {
	const char	*url;		/* smtp://host:port[/ehlo] or smtps:// */
	int		 starttls;	/* 1: STARTTLS required on smtp:// */
	int		 tls_verify;	/* verify chain and host name */
	const char	*ca_file;	/* NULL: the system store */
	const char	*username;	/* NULL: no AUTH */
	const char	*password;	/* not owned */
	long		 timeout;	/* seconds for the whole transaction */
};

enum smtp_status {
	SMTP_SENT,		/* the server took it (250 after DATA) */
	SMTP_TEMPFAIL,		/* 4xx, connection or TLS trouble: try again later */
	SMTP_PERMFAIL,		/* 5xx: recorded as failed, never retried */
};

/* Send data (a whole message with CRLF line ends; dot-stuffing is done
 * by libcurl) from mail_from (addr-spec, "" for <>) to rcpt. *code_r is
 * the SMTP reply code when there was one (else 0); *error_r (owned) the
 * server's or libcurl's words when not sent. */
enum smtp_status smtp_send(const struct smtp_params *, const char *mail_from,
		    const char *rcpt, const char *data, size_t len, int *code_r,
		    char **error_r);

/* Call once at start (curl_global_init) and at exit. */
void	smtp_global_init(void);
void	smtp_global_cleanup(void);

#endif
