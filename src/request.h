/* The request mail's form (SPEC "The request mail"): the Label: value
 * fields, and the SOP step-5 checks, every problem gathered in one pass.
 * Pure logic over a parsed message and the registry entry found for it
 * (looked up by the caller): no I/O but libmagic on memory. */
#ifndef CABUT_REQUEST_H
#define CABUT_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "message.h"

enum request_reason {
	REASON_NONE = 0,
	REASON_LUPA_PASSPHRASE,		/* superseded (4) */
	REASON_PERUBAHAN_DATA,		/* affiliationChanged (3) */
	REASON_KEHILANGAN,		/* keyCompromise (1), with an invalidity date */
};

struct request_fields {
	char			*name;		/* Nama / Name */
	char			*nik;		/* as written; see nik_valid */
	int			 nik_valid;	/* 16 digits */
	char			*username;	/* Username / Username AMS */
	char			*serial;	/* normalised: uppercase hex, no separators, no leading zeros; NULL if absent */
	char			*serial_raw;	/* as written */
	int			 serial_valid;
	char			*subject_dn;	/* as written */
	X509_NAME		*dn;		/* parsed Subject DN, NULL if absent or unreadable */
	enum request_reason	 reason;
	char			*reason_raw;	/* as written; NULL if absent */
	char			*loss_date_raw;	/* Tanggal hilang / Lost on, as written */
	int64_t			 loss_date;	/* Unix time (start of that day, WIB unless a zone was given); 0 if absent/unreadable */
	int			 loss_date_valid;
	int			 conflicting;	/* a label given twice with different values */
};

/* Read the fields from the body text (plain, or HTML already turned into
 * text): labels in Indonesian or English, any case, extra spaces, bullets
 * ("-", "*", "•", "1.") and "Label : value" or "Label = value" allowed. */
void	request_fields_parse(const char *text, struct request_fields *);
void	request_fields_clear(struct request_fields *);

/* Parsers exposed for tests and for cabutctl. */
int	request_serial_normalise(const char *in, char **out_r);	/* -1 when not hex */
int	request_date_parse(const char *in, int64_t *t_r);	/* DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, D Month YYYY [zone] */
enum request_reason request_reason_parse(const char *in);
X509_NAME *request_dn_parse(const char *text);			/* "CN=a, O=b, C=ID" or "/C=ID/O=b/CN=a" */
/* 1 when the two names are equal as X.509 names, in the same or the
 * reverse RDN order. */
int	request_dn_match(const X509_NAME *a, const X509_NAME *b);
int	request_reason_code(enum request_reason);		/* RFC 5280 CRLReason */
const char *request_reason_name(enum request_reason);		/* "kehilangan", ... */

/* The certificate the request names, as the registry has it. */
struct registry_cert {
	char	*issuer;		/* issuer DN, RFC 2253 text */
	char	*serial;		/* uppercase hex */
	char	*subject_dn;		/* RFC 2253 text */
	char	*email;			/* lowercased; NULL if none */
	char	*username;		/* NULL if none */
	int64_t	 not_before;
	int64_t	 not_after;
	int64_t	 revoked;		/* time, 0 if not revoked */
	int	 revocation_reason;
};

enum request_problem {
	PROBLEM_NO_LETTER,		/* no attachment that is a letter */
	PROBLEM_LETTER_TYPE,		/* an attachment of a type not allowed (by content) */
	PROBLEM_LETTER_SIZE,		/* an attachment over max_attachment_size */
	PROBLEM_NO_CERTIFICATE,		/* neither serial nor Subject DN */
	PROBLEM_SERIAL_INVALID,		/* serial given but not hex */
	PROBLEM_DN_INVALID,		/* Subject DN given but unreadable */
	PROBLEM_NO_REASON,
	PROBLEM_REASON_UNKNOWN,
	PROBLEM_LOSS_DATE_INVALID,	/* unreadable, or in the future */
	PROBLEM_NIK_INVALID,		/* NIK given but not 16 digits */
	PROBLEM_FIELDS_CONFLICT,	/* a label twice with different values */
	PROBLEM_NOT_FOUND,		/* no such certificate registered to the sender */
	PROBLEM_REVOKED,		/* only for the sender's own certificate */
	PROBLEM_EXPIRED,		/* idem */
	PROBLEM_USERNAME_MISMATCH,	/* idem */
	PROBLEM_DN_MISMATCH,		/* serial and DN both given and not the same certificate */
	PROBLEM_COUNT
};

struct request_letter {
	size_t		 attachment;	/* index in message.attachments */
	const char	*type;		/* detected MIME type (static or owned by the check) */
};

struct request_check {
	unsigned int		 problems;	/* bit (1 << enum request_problem) */
	struct request_letter	 letters[16];	/* the attachments that make up the letter */
	size_t			 nletters;
	char			*bad_types;	/* detected types refused, comma separated; owned */
	int			 reason_code;	/* RFC 5280, when the reason is known */
	int64_t			 invalidity_date;	/* kehilangan: loss date, else the request time; clamped to [notBefore, now] */
};

struct request_limits {
	const char *const	*allowed_types;	/* e.g. "application/pdf" */
	size_t			 nallowed_types;
	uint64_t		 max_attachment_size;
};

/* The step-5 checks. cert is the registry entry the caller found for the
 * request's serial or DN, or NULL; sender is the checked From address.
 * When cert is registered to another address it is treated as not found:
 * nothing about it may reach the answer. magic is an open libmagic
 * cookie (MAGIC_MIME_TYPE). */
void	request_check(const struct request_fields *, const struct message *,
	    const struct registry_cert *cert, const char *sender,
	    const struct request_limits *, void *magic, time_t now,
	    struct request_check *);
void	request_check_clear(struct request_check *);

/* The problem's text for the applicant, in "id" or "en": what is wrong
 * and what to do. Static strings. */
const char	*request_problem_text(enum request_problem, const char *lang);

#endif
