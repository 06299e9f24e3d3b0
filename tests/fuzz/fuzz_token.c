/* libFuzzer target: tokens (src/token.h). Input: the token on the first
 * line, the reply's sender on the second (the rest is ignored). The key,
 * the data digest and the clock are fixed, so a seed made with them
 * (corpus/token/, see make-seeds.sh) verifies and mutations of it reach
 * every status. Invariants: a token that verifies decodes to the same
 * claims; a token made from any decoded claims and sender verifies for
 * that sender and not for another. */
#include "autoconf.h"

#include <string.h>

#include <openssl/err.h>

#include "token.h"

#include "fuzz.h"

/* The same key, digest and time as make-seeds.sh. */
#define FUZZ_NOW	((int64_t)1764115200)
static const unsigned char fuzz_key[TOKEN_KEY_LEN] =
    "cabut-fuzz-token-key-0123456789";		/* 31 + NUL = 32 octets */
static const unsigned char fuzz_digest[TOKEN_DIGEST_LEN] =
    "cabut-fuzz-data-digest-abcdefgh";

static struct token_key	 key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	token_key_from_bytes(&key, fuzz_key);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_claims	 c, c2;
	enum token_status	 st;
	enum token_purpose	 purpose;
	char			*in, *tok, *nl, made[TOKEN_MAX_LEN + 1];
	char			*other;
	const char		*sender;
	int			 p;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	in = fuzz_cstr(data, size);
	tok = in;
	sender = "";
	if ((nl = strchr(in, '\n')) != NULL) {
		*nl++ = '\0';
		sender = nl;
		if ((nl = strchr(nl, '\n')) != NULL)
			*nl = '\0';
	}

	(void)token_shape(tok, strlen(tok));
	memset(&c, 0, sizeof(c));
	if (token_decode(tok, &c) == 0)
		FUZZ_CHECK(token_shape(tok, strlen(tok)) == 1);
	for (p = TOKEN_APPROVAL; p <= TOKEN_MANUAL_REVOCATION; p++) {
		memset(&c2, 0, sizeof(c2));
		st = token_verify(&key, tok, (enum token_purpose)p, sender,
		    fuzz_digest, FUZZ_NOW, &c2);
		FUZZ_CHECK(token_status_text(st) != NULL);
		if (st == TOKEN_VALID) {
			FUZZ_CHECK(token_decode(tok, &c) == 0);
			FUZZ_CHECK(c.request_id == c2.request_id &&
			    c.expires == c2.expires && (int)c2.purpose == p);
		}
	}

	/* Round trip from the claims the input decoded to (or zeros). */
	purpose = (enum token_purpose)(TOKEN_APPROVAL + (int)((unsigned)c.purpose % 3));
	token_make(&key, purpose, c.request_id, sender, c.expires, fuzz_digest,
	    made);
	FUZZ_CHECK(strlen(made) >= TOKEN_MIN_LEN && strlen(made) <= TOKEN_MAX_LEN);
	FUZZ_CHECK(token_shape(made, strlen(made)) == 1);
	memset(&c2, 0, sizeof(c2));
	st = token_verify(&key, made, purpose, sender, fuzz_digest,
	    c.expires, &c2);
	FUZZ_CHECK(st == TOKEN_VALID);
	FUZZ_CHECK(c2.request_id == c.request_id && c2.purpose == purpose);
	other = malloc(strlen(sender) + 2);
	FUZZ_CHECK(other != NULL);
	memcpy(other, sender, strlen(sender));
	memcpy(other + strlen(sender), "x", 2);
	FUZZ_CHECK(token_verify(&key, made, purpose, other, fuzz_digest,
	    c.expires, NULL) == TOKEN_BAD_MAC);
	free(other);
	free(in);
	ERR_clear_error();
	return 0;
}
