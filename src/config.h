/* The configuration file (SPEC "Configuration", cabut.conf(5)): an INI
 * file read into one struct config, every value validated. */
#ifndef CABUT_CONFIG_H
#define CABUT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum cfg_starttls	{ STARTTLS_REQUIRED, STARTTLS_NO };
enum cfg_language	{ LANG_ID, LANG_EN };
enum cfg_confirm	{ CONFIRM_AUTO, CONFIRM_YES, CONFIRM_NO };
enum cfg_backend	{ BACKEND_LOCAL, BACKEND_MANUAL, BACKEND_CFSSL, BACKEND_EJBCA };

/* Durations are in seconds, sizes in bytes. Every char * is owned by the
 * struct config and NULL when the key is unset and has no default. */
struct config {
	char	*path;			/* the file read */

	struct {
		char	*state_dir;	/* default LOCALSTATEDIR "/lib/cabut" */
		char	*user;		/* default "cabut" */
		enum cfg_language language;	/* id */
		char	*admin_address;	/* addr-spec; NULL: alerts only logged */
		int64_t	 poll_interval;	/* 60s */
		int	 idle;		/* yes */
		char	*templates_dir;	/* NULL: only the installed templates */
		int64_t	 retention;	/* 2y */
	} daemon;

	struct {
		char	*url;		/* required: imap://host[:port]/MAILBOX or imaps:// */
		int	 imaps;		/* 1 for imaps:// */
		char	*host;
		int	 port;		/* 143 or 993 unless given */
		char	*mailbox;	/* "INBOX" when the URL has no path */
		enum cfg_starttls starttls;	/* required */
		int	 tls_verify;	/* yes */
		char	*ca_file;
		char	*username;
		char	*password_file;	/* secret */
		char	*processed_folder;
	} imap;

	struct {
		char	*url;		/* required: smtp://host[:port][/ehlo-name] or smtps:// */
		int	 smtps;
		char	*host;
		int	 port;		/* 25 or 465 unless given */
		enum cfg_starttls starttls;
		int	 tls_verify;
		char	*ca_file;
		char	*username;
		char	*password_file;	/* secret */
		char	*from;		/* required, as written: "Name <addr>" or "addr" */
		char	*from_name;	/* display name part, NULL when none */
		char	*from_addr;	/* the addr-spec */
		char	*reply_to;	/* required addr-spec; replies go to local+TOKEN@domain */
	} smtp;

	struct {
		char	**addresses;	/* required, at least one addr-spec */
		size_t	 naddresses;
		int	 approvals_required;	/* 1; at most naddresses */
		int64_t	 reminder_after;	/* 5m */
		int64_t	 reminder_every;	/* 1d */
		int	 reminders_max;		/* 3 */
		int64_t	 expire_after;		/* 7d */
		char	*token_key_file;	/* default STATE_DIR/token.key; secret */
		int	 require_smime;		/* no */
		char	*smime_ca_file;		/* required with require_smime */
	} op;

	struct {
		char	**allowed_types;	/* MIME types; default pdf, jpeg, png */
		size_t	 nallowed_types;
		uint64_t max_attachment_size;	/* 5M */
		uint64_t max_message_size;	/* 20M */
		uint64_t quarantine_max;	/* 1G */
		int	 answers_per_sender_hour;	/* 5 */
		enum cfg_confirm confirm_requester;	/* auto */
		char	*trusted_authserv_id;	/* NULL: Authentication-Results ignored */
	} request;

	struct {
		enum cfg_backend backend;	/* local */
		char	*dir;		/* local: default STATE_DIR/ca */
		int	 crl_days;	/* local: 7 */
		char	*crl_url;	/* local: where the CRL is published (told to applicants);
					   manual: required, the CA's CRL */
		int64_t	 crl_poll;	/* manual: 10m */
		int64_t	 crl_grace;	/* manual: 2d */
		char	*url;		/* cfssl/ejbca: required */
		char	*client_cert_file;
		char	*client_key_file;	/* secret */
		char	*ca_file;
		int	 tls_verify;	/* yes */
		int64_t	 timeout;	/* 30s */
		char	*verify_crl_url;
	} ca;
};

/* Read and validate path. Returns the configuration, or NULL when there
 * is any problem; then *errors_r holds every problem found, one per line,
 * each "FILE:LINE: message" (or "FILE: message" when no line applies),
 * owned by the caller. */
struct config	*config_load(const char *path, char **errors_r);
void		 config_free(struct config **);

/* Parsers shared with other modules; -1 on a bad value. */
int	config_parse_duration(const char *, int64_t *seconds_r);	/* 90s 5m 3d 2w 2y; bare = s */
int	config_parse_size(const char *, uint64_t *bytes_r);		/* 512K 10M 1G; bare = bytes */
int	config_parse_bool(const char *, int *r);			/* yes/no true/false on/off 1/0 */
int	config_addr_valid(const char *addr);				/* 1 when a plain addr-spec */

const char	*config_backend_name(enum cfg_backend);
const char	*config_language_name(enum cfg_language);

#endif
