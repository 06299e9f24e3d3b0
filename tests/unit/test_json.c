/* JSON writer: structure, commas and escaping of hostile strings. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

static char *
one_string(const char *s, size_t n)
{
	struct json	 j;

	json_init(&j, 0);
	json_stringn(&j, s, n);
	return json_finish(&j);
}

static void
test_structure(void **state)
{
	struct json	 j;
	char		*out;

	json_init(&j, 0);
	json_array_begin(&j);
	json_object_begin(&j);
	json_key(&j, "id");
	json_int(&j, 42);
	json_key(&j, "ok");
	json_bool(&j, 1);
	json_key(&j, "none");
	json_string(&j, NULL);
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, -1);
	json_int(&j, 9223372036854775807LL);
	json_array_end(&j);
	json_object_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	out = json_finish(&j);
	assert_string_equal(out, "[{\"id\":42,\"ok\":true,\"none\":null,"
	    "\"list\":[-1,9223372036854775807]},{}]\n");
	free(out);
}

static void
test_pretty_empty(void **state)
{
	struct json	 j;
	char		*out;

	json_init(&j, 1);
	json_array_begin(&j);
	json_array_end(&j);
	out = json_finish(&j);
	assert_string_equal(out, "[]\n");
	free(out);
}

static void
test_escapes(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} cases[] = {
		{ "plain", 5, "\"plain\"\n" },
		{ "q\"b\\", 4, "\"q\\\"b\\\\\"\n" },
		{ "a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"\n" },
		{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"\n" },
		{ "nul\0x", 5, "\"nul\\u0000x\"\n" },
		{ "Pak Budi \xc3\xa9", 11, "\"Pak Budi \xc3\xa9\"\n" },
		{ "\xe2\x80\xa8|\xe2\x80\xa9", 7, "\"\\u2028|\\u2029\"\n" },
		{ "bad \xff end", 9, "\"bad \\ufffd end\"\n" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"\n" },		/* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"\n" },	/* surrogate */
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"\n" },		/* truncated */
		{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"\n" },	/* emoji kept */
		{ "</script>", 9, "\"</script>\"\n" },
	};
	size_t	 i;
	char	*out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = one_string(cases[i].in, cases[i].len);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void
test_time(void **state)
{
	struct json	 j;
	char		*out;

	json_init(&j, 0);
	json_array_begin(&j);
	json_time(&j, 0);
	json_time(&j, 1795143600);
	json_array_end(&j);
	out = json_finish(&j);
	assert_string_equal(out, "[null,\"2026-11-20T03:00:00Z\"]\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_pretty_empty),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
