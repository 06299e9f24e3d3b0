/* Tokens: make, decode and verify (see token.h). */
#include "autoconf.h"
#include "token.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/*
 * Layout, 35 octets = 56 base32 characters:
 *   version(1) key_id(1) purpose(1) request(4) expires(4) mac(24)
 * Integers big-endian; expires in Unix seconds (until 2106).
 */
#define TOKEN_VERSION	1
#define TOKEN_MAC_LEN	24
#define TOKEN_RAW_LEN	(3 + 4 + 4 + TOKEN_MAC_LEN)
#define TOKEN_TEXT_LEN	((TOKEN_RAW_LEN * 8 + 4) / 5)

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void
base32_encode(const unsigned char *in, size_t n, char *out)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Exactly n octets from text of TOKEN_TEXT_LEN characters; the unused
 * low bits of the last character must be zero (one text per token). */
static int
base32_decode(const char *text, unsigned char *out, size_t n)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0, len = strlen(text);
	const char	*p;
	int		 bits = 0;

	if (len != (n * 8 + 4) / 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (text[i] == '\0' || (p = strchr(b32, text[i])) == NULL)
			return -1;
		acc = (acc << 5) | (uint32_t)(p - b32);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (o != n || (acc & ((1U << bits) - 1)) != 0)
		return -1;
	return 0;
}

void
token_key_from_bytes(struct token_key *k, const unsigned char key[TOKEN_KEY_LEN])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;

	memcpy(k->key, key, TOKEN_KEY_LEN);
	EVP_Digest(key, TOKEN_KEY_LEN, md, &mdlen, EVP_sha256(), NULL);
	k->id = md[0];
}

int
token_key_load(const char *path, struct token_key *k, char **error_r)
{
	unsigned char	*data;
	size_t		 len;

	if (file_read_secret(path, TOKEN_KEY_LEN, &data, &len, error_r) == -1)
		return -1;
	if (len != TOKEN_KEY_LEN) {
		*error_r = xasprintf("%s: expected %d octets, found %zu", path,
		    TOKEN_KEY_LEN, len);
		OPENSSL_cleanse(data, len);
		free(data);
		return -1;
	}
	token_key_from_bytes(k, data);
	OPENSSL_cleanse(data, len);
	free(data);
	return 0;
}

void
token_key_wipe(struct token_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
lp(EVP_MAC_CTX *ctx, const void *data, size_t len)
{
	unsigned char	 l[4];

	put32(l, (uint32_t)len);
	EVP_MAC_update(ctx, l, 4);
	EVP_MAC_update(ctx, data, len);
}

/* MAC over the token's fields (raw[0..11)), the recipient (lowercased)
 * and the digest, each length-prefixed. */
static void
compute_mac(const struct token_key *k, const unsigned char *fields,
    const char *recipient, const unsigned char digest[TOKEN_DIGEST_LEN],
    unsigned char mac[TOKEN_MAC_LEN])
{
	static char	 name[] = "SHA256";
	EVP_MAC		*m;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	unsigned char	 full[32];
	size_t		 fulllen = 0, i, rlen = strlen(recipient);
	char		*lower = xmalloc(rlen + 1);

	for (i = 0; i < rlen; i++)
		lower[i] = (char)tolower((unsigned char)recipient[i]);
	lower[rlen] = '\0';
	params[0] = OSSL_PARAM_construct_utf8_string("digest", name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(m)) == NULL ||
	    !EVP_MAC_init(ctx, k->key, TOKEN_KEY_LEN, params))
		abort();	/* OpenSSL without HMAC: nothing is safe to do */
	lp(ctx, "cabut-token-v1", 14);
	lp(ctx, fields, 11);
	lp(ctx, lower, rlen);
	lp(ctx, digest, TOKEN_DIGEST_LEN);
	if (!EVP_MAC_final(ctx, full, &fulllen, sizeof(full)) || fulllen != 32)
		abort();
	memcpy(mac, full, TOKEN_MAC_LEN);
	OPENSSL_cleanse(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	free(lower);
}

void
token_make(const struct token_key *k, enum token_purpose purpose,
    uint32_t request_id, const char *recipient, int64_t expires,
    const unsigned char digest[TOKEN_DIGEST_LEN], char *out)
{
	unsigned char	 raw[TOKEN_RAW_LEN];

	raw[0] = TOKEN_VERSION;
	raw[1] = k->id;
	raw[2] = (unsigned char)purpose;
	put32(raw + 3, request_id);
	put32(raw + 7, expires < 0 ? 0 : expires > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)expires);
	compute_mac(k, raw, recipient, digest, raw + 11);
	base32_encode(raw, sizeof(raw), out);
}

static int
decode_raw(const char *token, unsigned char raw[TOKEN_RAW_LEN],
    struct token_claims *c)
{
	if (token == NULL || strlen(token) > TOKEN_MAX_LEN ||
	    base32_decode(token, raw, TOKEN_RAW_LEN) == -1 || raw[0] != TOKEN_VERSION)
		return -1;
	c->key_id = raw[1];
	c->purpose = (enum token_purpose)raw[2];
	c->request_id = get32(raw + 3);
	c->expires = get32(raw + 7);
	return 0;
}

int
token_decode(const char *token, struct token_claims *c)
{
	unsigned char	 raw[TOKEN_RAW_LEN];

	return decode_raw(token, raw, c);
}

enum token_status
token_verify(const struct token_key *k, const char *token,
    enum token_purpose purpose, const char *sender,
    const unsigned char digest[TOKEN_DIGEST_LEN], int64_t t,
    struct token_claims *claims)
{
	unsigned char		 raw[TOKEN_RAW_LEN], mac[TOKEN_MAC_LEN];
	struct token_claims	 c;
	enum token_status	 st;

	if (decode_raw(token, raw, &c) == -1)
		return TOKEN_MALFORMED;
	if (c.key_id != k->id)
		return TOKEN_UNKNOWN_KEY;
	/* The MAC first: nothing the token claims is trusted before it. */
	compute_mac(k, raw, sender, digest, mac);
	if (CRYPTO_memcmp(mac, raw + 11, TOKEN_MAC_LEN) != 0)
		st = TOKEN_BAD_MAC;
	else if (c.purpose != purpose)
		st = TOKEN_WRONG_PURPOSE;
	else if (c.expires < t)
		st = TOKEN_EXPIRED;
	else
		st = TOKEN_VALID;
	if (claims != NULL)
		*claims = c;
	OPENSSL_cleanse(mac, sizeof(mac));
	return st;
}

const char *
token_status_text(enum token_status st)
{
	switch (st) {
	case TOKEN_VALID:		return "valid";
	case TOKEN_MALFORMED:		return "malformed token";
	case TOKEN_UNKNOWN_KEY:		return "token made with an unknown key";
	case TOKEN_BAD_MAC:		return "token does not verify (forged, for "
					    "another recipient, or for changed data)";
	case TOKEN_EXPIRED:		return "token expired";
	case TOKEN_WRONG_PURPOSE:	return "token of another purpose";
	}
	return "?";
}

int
token_shape(const char *s, size_t len)
{
	size_t	 i;

	if (len < TOKEN_MIN_LEN || len > TOKEN_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}
