/* The HTTP CA backends' helpers: the strict JSON reader (what it refuses,
 * how it decodes) and what an HTTP status means for a retry. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdlib.h>
#include <string.h>

#include "ca_api.h"
#include "json.h"

static int
valid(const char *s)
{
	struct jscan	 top;

	return jscan_valid(s, strlen(s), &top);
}

static void
test_refuses(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]",
		"[1 2]", "{a:1}", "'x'", "\"x", "\"\\x\"", "\"\\u12g4\"",
		"\"a\nb\"", "01", "1.", "-", "1e", "+1", "tru", "nul", "{} {}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i]) != -1)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(valid(" {\"a\": [1, -2.5e3, true, false, null, {}, []]} \n"), 0);
}

static void
test_cfssl_envelope(void **state)
{
	const char	*s = "{\"success\":false,\"result\":null,\"errors\":"
	    "[{\"code\":11200,\"message\":\"certificate not found\"}],"
	    "\"messages\":[]}";
	struct jscan	 top, v, e, m;
	int64_t		 n;
	int		 b;
	char		*text;

	(void)state;
	assert_int_equal(jscan_valid(s, strlen(s), &top), 0);
	assert_int_equal(jscan_member(&top, "success", &v), 0);
	assert_int_equal(jscan_bool(&v, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(jscan_member(&top, "result", &v), 0);
	assert_int_equal(jscan_bool(&v, &b), -1);
	assert_int_equal(jscan_member(&top, "nope", &v), -1);
	assert_int_equal(jscan_member(&top, "errors", &v), 0);
	assert_int_equal(jscan_index(&v, 1, &e), -1);
	assert_int_equal(jscan_index(&v, 0, &e), 0);
	assert_int_equal(jscan_member(&e, "code", &m), 0);
	assert_int_equal(jscan_int(&m, &n), 0);
	assert_int_equal(n, 11200);
	assert_int_equal(jscan_member(&e, "message", &m), 0);
	text = jscan_strdup(&m);
	assert_string_equal(text, "certificate not found");
	free(text);
	/* A member of a nested object is not one of the top object. */
	assert_int_equal(jscan_member(&top, "code", &v), -1);
}

static void
test_strings(void **state)
{
	const char	*s = "{\"k\\u0065y\":\"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00"
	    "\\ud800x\\n\\t\"}";
	const char	*nul = "{\"k\":\"a\\u0000b\"}";
	struct jscan	 top, v;
	char		*out;

	(void)state;
	assert_int_equal(jscan_valid(s, strlen(s), &top), 0);
	/* Keys are compared decoded. */
	assert_int_equal(jscan_member(&top, "key", &v), 0);
	out = jscan_strdup(&v);
	assert_string_equal(out, "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\n\t");
	free(out);
	out = jscan_text(&v, 9);	/* cut before the 4-byte emoji */
	assert_string_equal(out, "a\"b\\c/d\xc3\xa9");
	free(out);
	out = jscan_text(&v, 100);
	assert_string_equal(out, "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx??");
	free(out);
	assert_int_equal(jscan_valid(nul, strlen(nul), &top), 0);
	assert_int_equal(jscan_member(&top, "k", &v), 0);
	assert_null(jscan_strdup(&v));
}

static void
test_writer_roundtrip(void **state)
{
	static const char	 hostile[] = "\"},\"success\":true,{\"x\":\"\x01\xff";
	struct json		 j;
	struct jscan		 top, v;
	char			*text, *out;
	int			 b;

	(void)state;
	json_init(&j, 0);
	json_object_begin(&j);
	json_key(&j, "serial");
	json_string(&j, hostile);
	json_object_end(&j);
	text = json_finish(&j);
	assert_int_equal(jscan_valid(text, strlen(text), &top), 0);
	assert_int_equal(jscan_member(&top, "success", &v), -1);
	assert_int_equal(jscan_member(&top, "serial", &v), 0);
	out = jscan_strdup(&v);
	/* The invalid byte became U+FFFD in the writer. */
	assert_string_equal(out, "\"},\"success\":true,{\"x\":\"\x01\xef\xbf\xbd");
	assert_int_equal(jscan_bool(&v, &b), -1);
	free(out);
	free(text);
}

static void
test_status_class(void **state)
{
	(void)state;
	assert_int_equal(ca_api_status_class(500), CA_TEMPORARY);
	assert_int_equal(ca_api_status_class(503), CA_TEMPORARY);
	assert_int_equal(ca_api_status_class(408), CA_TEMPORARY);
	assert_int_equal(ca_api_status_class(429), CA_TEMPORARY);
	assert_int_equal(ca_api_status_class(400), CA_PERMANENT);
	assert_int_equal(ca_api_status_class(403), CA_PERMANENT);
	assert_int_equal(ca_api_status_class(404), CA_PERMANENT);
	assert_int_equal(ca_api_status_class(301), CA_PERMANENT);
}

static void
test_base_url(void **state)
{
	char	*u;

	(void)state;
	u = ca_api_base_url("https://ca.example:8443/ejbca/ejbca-rest-api//");
	assert_string_equal(u, "https://ca.example:8443/ejbca/ejbca-rest-api");
	free(u);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_cfssl_envelope),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_status_class),
		cmocka_unit_test(test_base_url),
	};

	return cmocka_run_group_tests_name("ca_api", tests, NULL, NULL);
}
