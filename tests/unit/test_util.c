/* util: bounded buffers, secret files, hex, times. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char	 tmpdir[] = "/tmp/cabut-util.XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", tmpdir);
	int	 r = system(cmd);

	free(cmd);
	return r == 0 ? 0 : -1;
}

static void
test_buf_max(void **state)
{
	struct buf	 b;
	char		*s;

	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345"), 0);
	assert_int_equal(buf_addstr(&b, "678"), 0);
	assert_int_equal(buf_addstr(&b, "9"), -1);	/* past max: refused */
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), -1);	/* no overflow */
	s = buf_steal(&b);
	assert_string_equal(s, "12345678");
	free(s);
	assert_null(b.data);
}

static void
test_hex(void **state)
{
	unsigned char	 in[3] = { 0x00, 0xab, 0xff }, out[3];
	char		 hex[7];

	hex_encode(in, 3, hex);
	assert_string_equal(hex, "00abff");
	assert_int_equal(hex_decode("00ABff", out, 3), 0);
	assert_memory_equal(in, out, 3);
	assert_int_equal(hex_decode("00abf", out, 3), -1);
	assert_int_equal(hex_decode("00abfg", out, 3), -1);
	assert_int_equal(hex_decode("00abff00", out, 3), -1);
}

static char *
make_file(const char *name, int mode, const char *content)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
	return path;
}

static void
test_secrecy(void **state)
{
	static const struct { int mode; int ok; } cases[] = {
		{ 0600, 1 }, { 0400, 1 }, { 0640, 0 }, { 0604, 0 },
		{ 0644, 0 }, { 0660, 0 }, { 0610, 0 }, { 0601, 0 },
	};
	unsigned char	*data;
	size_t		 i, len;
	char		*path, *err = NULL;
	int		 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = make_file("secret", cases[i].mode, "s3cret\n");
		r = file_check_secrecy(path, &err);
		assert_int_equal(r, cases[i].ok ? 0 : -1);
		if (!cases[i].ok) {
			assert_non_null(strstr(err, "group or others"));
			free(err);
			err = NULL;
		}
		r = file_read_secret(path, 64, &data, &len, &err);
		assert_int_equal(r, cases[i].ok ? 0 : -1);
		if (r == 0) {
			assert_int_equal(len, 7);
			assert_memory_equal(data, "s3cret\n", 7);
			free(data);
		} else {
			free(err);
			err = NULL;
		}
		unlink(path);
		free(path);
	}
	/* Too large, and missing. */
	path = make_file("big", 0600, "0123456789");
	assert_int_equal(file_read_secret(path, 4, &data, &len, &err), -1);
	assert_non_null(strstr(err, "larger"));
	free(err);
	free(path);
	assert_int_equal(file_check_secrecy("/nonexistent/x", &err), -1);
	free(err);
}

static void
test_create_excl(void **state)
{
	struct stat	 sb;
	char		*path = xasprintf("%s/key", tmpdir), *err = NULL;

	assert_int_equal(file_create_excl(path, 0600, "abc", 3, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 3);
	/* Never overwrites. */
	assert_int_equal(file_create_excl(path, 0600, "defg", 4, &err), 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 3);
	free(path);
}

static void
test_rfc3339(void **state)
{
	char	 ts[21];

	time_rfc3339(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00Z");
	time_rfc3339(951782400, ts);	/* leap day 2000 */
	assert_string_equal(ts, "2000-02-29T00:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_secrecy),
		cmocka_unit_test(test_create_excl),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests_name("util", tests, setup, teardown);
}
