/* token: made and verified; every kind of wrong token refused (tampered,
 * forwarded to another sender, changed data, expired, other purpose,
 * other key, malformed). */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token.h"
#include "util.h"

static struct token_key	 key, key2;
static unsigned char	 digest[TOKEN_DIGEST_LEN], digest2[TOKEN_DIGEST_LEN];

static int
setup(void **state)
{
	unsigned char	 k[TOKEN_KEY_LEN];

	memset(k, 0x42, sizeof(k));
	token_key_from_bytes(&key, k);
	k[0] = 0x43;
	token_key_from_bytes(&key2, k);
	memset(digest, 0xaa, sizeof(digest));
	memset(digest2, 0xaa, sizeof(digest2));
	digest2[31] = 0xab;
	return 0;
}

#define NOW	1795143600
#define OP	"op1@example.test"

static void
make(char *out, enum token_purpose p, uint32_t req, int64_t expires)
{
	token_make(&key, p, req, OP, expires, digest, out);
}

static void
test_round_trip(void **state)
{
	struct token_claims	 c;
	char			 t[TOKEN_MAX_LEN + 1];
	size_t			 i;

	make(t, TOKEN_APPROVAL, 4242, NOW + 3600);
	assert_true(strlen(t) <= TOKEN_MAX_LEN);
	assert_true(strlen(t) >= TOKEN_MIN_LEN);
	for (i = 0; t[i] != '\0'; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz234567", t[i]));
	assert_true(token_shape(t, strlen(t)));
	/* local+TOKEN fits in 64 octets with a 5-character local part. */
	assert_true(strlen("cabut+") + strlen(t) <= 64);
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, OP, digest, NOW, &c),
	    TOKEN_VALID);
	assert_int_equal(c.request_id, 4242);
	assert_int_equal(c.purpose, TOKEN_APPROVAL);
	assert_int_equal(c.expires, NOW + 3600);
	/* The sender's case does not matter. */
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, "OP1@Example.TEST",
	    digest, NOW, NULL), TOKEN_VALID);
	memset(&c, 0, sizeof(c));
	assert_int_equal(token_decode(t, &c), 0);
	assert_int_equal(c.request_id, 4242);
}

static void
test_every_bit_matters(void **state)
{
	char	 t[TOKEN_MAX_LEN + 1], u[TOKEN_MAX_LEN + 1];
	size_t	 i;
	int	 st;

	make(t, TOKEN_APPROVAL, 7, NOW + 60);
	/* Change each character: never valid. */
	for (i = 0; t[i] != '\0'; i++) {
		memcpy(u, t, sizeof(u));
		u[i] = u[i] == 'a' ? 'b' : 'a';
		st = token_verify(&key, u, TOKEN_APPROVAL, OP, digest, NOW, NULL);
		assert_int_not_equal(st, TOKEN_VALID);
	}
}

static void
test_refusals(void **state)
{
	char	 t[TOKEN_MAX_LEN + 1], other[TOKEN_MAX_LEN + 1];

	make(t, TOKEN_APPROVAL, 7, NOW + 60);
	/* Forwarded: another sender. */
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, "evil@example.test",
	    digest, NOW, NULL), TOKEN_BAD_MAC);
	/* The request's data changed (joined): old tokens stop counting. */
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, OP, digest2, NOW,
	    NULL), TOKEN_BAD_MAC);
	/* Expired. */
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, OP, digest,
	    NOW + 61, NULL), TOKEN_EXPIRED);
	assert_int_equal(token_verify(&key, t, TOKEN_APPROVAL, OP, digest,
	    NOW + 60, NULL), TOKEN_VALID);
	/* Wrong purpose: a confirmation token cannot approve. */
	make(other, TOKEN_CONFIRMATION, 7, NOW + 60);
	assert_int_equal(token_verify(&key, other, TOKEN_APPROVAL, OP, digest, NOW,
	    NULL), TOKEN_WRONG_PURPOSE);
	/* Another key. */
	assert_int_equal(token_verify(&key2, t, TOKEN_APPROVAL, OP, digest, NOW,
	    NULL), TOKEN_UNKNOWN_KEY);
	/* Another request number with the same MAC (the number alone grants
	 * nothing). */
	token_make(&key, TOKEN_APPROVAL, 8, OP, NOW + 60, digest, other);
	memcpy(other + 17, t + 17, strlen(t) - 17);
	assert_int_not_equal(token_verify(&key, other, TOKEN_APPROVAL, OP, digest,
	    NOW, NULL), TOKEN_VALID);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "abc", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"11111111111111111111111111111111111111111111111111111111",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=",
	};
	struct token_claims	 c;
	char			 t[TOKEN_MAX_LEN + 1];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(token_verify(&key, bad[i], TOKEN_APPROVAL, OP,
		    digest, NOW, NULL), TOKEN_MALFORMED);
		assert_int_equal(token_decode(bad[i], &c), -1);
	}
	assert_int_equal(token_verify(&key, NULL, TOKEN_APPROVAL, OP, digest, NOW,
	    NULL), TOKEN_MALFORMED);
	/* The last character's unused bits must be zero: one text per token. */
	make(t, TOKEN_APPROVAL, 7, NOW + 60);
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'a' ? 'b' : 'a';
	assert_int_not_equal(token_verify(&key, t, TOKEN_APPROVAL, OP, digest, NOW,
	    NULL), TOKEN_VALID);
}

static void
test_key_file(void **state)
{
	char		 dir[] = "/tmp/cabut-token.XXXXXX", *path, *err = NULL;
	unsigned char	 raw[TOKEN_KEY_LEN];
	struct token_key k;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/token.key", dir);
	memset(raw, 0x42, sizeof(raw));
	assert_int_equal(file_create_excl(path, 0600, raw, sizeof(raw), &err), 0);
	assert_int_equal(token_key_load(path, &k, &err), 0);
	assert_int_equal(k.id, key.id);
	assert_memory_equal(k.key, key.key, TOKEN_KEY_LEN);
	unlink(path);
	assert_int_equal(file_create_excl(path, 0600, raw, 16, &err), 0);
	assert_int_equal(token_key_load(path, &k, &err), -1);	/* short */
	assert_non_null(strstr(err, "32"));
	free(err);
	unlink(path);
	assert_int_equal(file_create_excl(path, 0644, raw, sizeof(raw), &err), 0);
	assert_int_equal(token_key_load(path, &k, &err), -1);	/* readable by others */
	free(err);
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_bit_matters),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests_name("token", tests, setup, NULL);
}
