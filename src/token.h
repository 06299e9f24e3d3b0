/* Tokens (SPEC "Tokens"): what lets a reply act on a request. Lowercase
 * base32 of: key id, purpose, request, expiry and a MAC (HMAC-SHA256,
 * 192 bits kept) over those, the recipient's address and a digest of the
 * data shown in the mail that carried the token. The recipient and the
 * digest are not in the token: the verifier supplies the sender of the
 * reply and the request's current data, so a token forwarded to someone
 * else, or one for data that has since changed, does not verify. */
#ifndef CABUT_TOKEN_H
#define CABUT_TOKEN_H

#include <stddef.h>
#include <stdint.h>


#define TOKEN_MIN_LEN	16
#define TOKEN_MAX_LEN	58	/* so local+TOKEN fits in 64 octets */
/* The Message-ID local part cabut writes for a mail with a token. */
#define TOKEN_MSGID_PREFIX	"cabut."
#define TOKEN_KEY_LEN	32
#define TOKEN_DIGEST_LEN 32

enum token_purpose {
	TOKEN_APPROVAL = 1,
	TOKEN_CONFIRMATION = 2,
	TOKEN_MANUAL_REVOCATION = 3,
};

enum token_status {
	TOKEN_VALID = 0,
	TOKEN_MALFORMED,	/* not base32 of the right length or version */
	TOKEN_UNKNOWN_KEY,	/* made with a key this cabut does not have */
	TOKEN_BAD_MAC,		/* forged, tampered, other recipient or changed data */
	TOKEN_EXPIRED,
	TOKEN_WRONG_PURPOSE,
};

struct token_key {
	unsigned char	 key[TOKEN_KEY_LEN];
	uint8_t		 id;	/* first octet of SHA-256(key) */
};

struct token_claims {
	uint8_t			 key_id;
	enum token_purpose	 purpose;
	uint32_t		 request_id;
	int64_t			 expires;
};

/* Read the key (a secret file of exactly 32 octets). */
int	token_key_load(const char *path, struct token_key *, char **error_r);
void	token_key_from_bytes(struct token_key *, const unsigned char key[TOKEN_KEY_LEN]);
void	token_key_wipe(struct token_key *);

/* out must hold TOKEN_MAX_LEN + 1 bytes. recipient is compared without
 * regard to case. */
void	token_make(const struct token_key *, enum token_purpose, uint32_t request_id,
	    const char *recipient, int64_t expires,
	    const unsigned char digest[TOKEN_DIGEST_LEN], char *out);

/* Decode without verifying, to learn which request's data to digest. */
int	token_decode(const char *token, struct token_claims *);

/* Verify everything, in constant time for the MAC. claims may be NULL. */
enum token_status token_verify(const struct token_key *, const char *token,
		    enum token_purpose, const char *sender,
		    const unsigned char digest[TOKEN_DIGEST_LEN], int64_t now,
		    struct token_claims *claims);

const char	*token_status_text(enum token_status);

/* 1 when s (len bytes) has the shape of a token: base32, either case
 * (some mail systems change the case of local parts). */
int	token_shape(const char *s, size_t len);

#endif
