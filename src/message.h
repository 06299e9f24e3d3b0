/* One parsed mail: the headers cabut reads (RFC 2047 decoded), the body
 * text in UTF-8 (text/plain, or HTML turned into text when there is no
 * plain part), and the attachments (RFC 2231/2047 file names, decoded
 * content). Parsing is bounded by explicit limits; a message past them,
 * or one that cannot be parsed, is refused with a reason, never a crash. */
#ifndef CABUT_MESSAGE_H
#define CABUT_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

struct message_limits {
	size_t	 max_depth;		/* multipart nesting; default 20 */
	size_t	 max_parts;		/* all MIME parts; default 1000 */
	size_t	 max_header_size;	/* the whole header block of a part; 256 KiB */
	size_t	 max_headers;		/* header fields in one block; 1000 */
	size_t	 max_text;		/* body text kept, in bytes; 1 MiB */
};
#define MESSAGE_LIMITS_DEFAULT	{ 20, 1000, 256 * 1024, 1000, 1024 * 1024 }

struct message_address {
	char	*name;		/* display name, UTF-8, or NULL */
	char	*addr;		/* addr-spec, lowercased domain */
};

enum attachment_disposition {
	DISPOSITION_NONE,	/* no Content-Disposition */
	DISPOSITION_INLINE,
	DISPOSITION_ATTACHMENT,
};

struct message_attachment {
	char		*filename;	/* UTF-8, from RFC 2231 filename*= or RFC 2047 or name=; may be NULL */
	char		*declared_type;	/* lowercased "type/subtype" as the mail said */
	char		*content_id;	/* without <>, or NULL */
	enum attachment_disposition disposition;
	int		 referenced;	/* 1 when the HTML body refers to it by cid: */
	unsigned char	*data;		/* decoded (base64/quoted-printable) content */
	size_t		 size;
};

/* "Authentication-Results" and the other headers are kept raw (unfolded,
 * not decoded) in order of appearance, top first. */
struct message_header {
	char	*name;		/* as written */
	char	*value;		/* unfolded; not decoded */
};

struct message {
	/* The headers cabut acts on. */
	struct message_address	 from;		/* first From mailbox; addr NULL when none */
	struct message_address	 sender;	/* Sender:, when present */
	struct message_address	*reply_to;	/* never used for answers; kept for the record */
	char			*return_path;	/* Return-Path addr-spec; "" for <>; NULL when absent */
	char			*subject;	/* RFC 2047 decoded to UTF-8 */
	char			*message_id;	/* without <>; NULL when absent */
	char			*in_reply_to;	/* message ids without <>, space separated; NULL when absent */
	char			*references;	/* idem */
	char			**to;		/* addr-specs of To and Cc, in order */
	size_t			 nto;
	char			*date;		/* as written */

	struct message_header	*headers;	/* every top-level header, in order */
	size_t			 nheaders;

	char			*content_type;	/* top-level, lowercased "type/subtype" */
	char			*report_type;	/* multipart/report's report-type, lowercased */

	char			*text;		/* body text, UTF-8, LF line ends; never NULL after parse */
	int			 text_from_html;	/* 1 when converted from HTML */

	struct message_attachment *attachments;	/* leaf parts that are not the body text */
	size_t			 nattachments;

	unsigned char		 body_hash[32];	/* SHA-256 of the bytes after the header block */
	size_t			 size;		/* of the raw message */
};

/* Parse raw (len bytes, CRLF or LF). 0 parsed, -1 refused: *reason_r
 * (owned) says why in words fit for the quarantine list. */
int	 message_parse(const char *raw, size_t len, const struct message_limits *,
	    struct message **msg_r, char **reason_r);
void	 message_free(struct message **);

/* Only the header block (for a message too large to download whole):
 * same fields, no text, no attachments. */
int	 message_parse_headers(const char *raw, size_t len, const struct message_limits *,
	    struct message **msg_r, char **reason_r);

/* The value of the first (or n-th, 0-based) top-level header named name
 * (case-insensitive), or NULL. */
const char	*message_header(const struct message *, const char *name, size_t n);

/* Decode RFC 2047 encoded words in a header value to UTF-8 (owned). */
char	*message_decode_words(const char *);
/* Convert HTML to plain text: tags dropped, block elements as line breaks,
 * entities decoded, scripts and styles dropped; at most max bytes kept. */
char	*message_html_to_text(const char *html, size_t len, size_t max);

#endif
