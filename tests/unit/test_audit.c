/* audit: the keyed chain verifies, and every kind of tampering is found
 * at the first bad entry: edit, delete, reorder, rebuild, truncate. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "store.h"
#include "util.h"

static char		*dir;
static struct store	*s;

static void
exec_ok(const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* A fresh store with a key and n entries. */
static int
setup(void **state)
{
	char	 tmpl[] = "/tmp/cabut-audit.XXXXXX";
	char	*err = NULL, *key;
	int	 i;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	key = xasprintf("%s/%s", dir, STORE_AUDIT_KEY_NAME);
	if (file_create_excl(key, 0600, "0123456789abcdef0123456789abcdef",
	    STORE_KEY_LEN, &err) != 0)
		return -1;
	free(key);
	if (store_open(dir, STORE_CREATE, &s, &err) == -1)
		return -1;
	for (i = 1; i <= 6; i++) {
		char	 reason[32];

		snprintf(reason, sizeof(reason), "entry %d", i);
		if (store_begin(s) == -1 ||
		    audit_state(s, i, "pending_approval", "approved",
		    "op:op1@example.test", reason) == -1 || store_commit(s) == -1)
			return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", dir);
	int	 r;

	store_close(&s);
	r = system(cmd);
	free(cmd);
	free(dir);
	return r == 0 ? 0 : -1;
}

static void
unlock_audit(void)
{
	exec_ok("DROP TRIGGER IF EXISTS audit_no_update;"
	    "DROP TRIGGER IF EXISTS audit_no_delete;");
}

static void
expect_bad(const struct audit_head *anchor, int64_t want_seq, const char *word)
{
	int64_t	 bad = 0;
	char	*why = NULL;

	assert_int_equal(audit_verify(s, anchor, &bad, &why), 1);
	assert_int_equal(bad, want_seq);
	assert_non_null(why);
	if (strstr(why, word) == NULL)
		fail_msg("'%s' does not say '%s'", why, word);
	free(why);
}

static void
expect_good(const struct audit_head *anchor)
{
	int64_t	 bad = 0;
	char	*why = NULL;

	assert_int_equal(audit_verify(s, anchor, &bad, &why), 0);
	assert_null(why);
}

static void
test_intact(void **state)
{
	struct audit_head	 h;

	expect_good(NULL);
	assert_int_equal(audit_head(s, &h), 0);
	assert_int_equal(h.seq, 6);
	assert_int_equal(strlen(h.mac), 64);
	expect_good(&h);
}

static void
test_edit(void **state)
{
	unlock_audit();
	exec_ok("UPDATE audit SET reason = 'entry 3 (edited)' WHERE seq = 3");
	expect_bad(NULL, 3, "changed");
}

static void
test_edit_null_vs_empty(void **state)
{
	/* NULL and "" are different values in the MAC. */
	unlock_audit();
	exec_ok("UPDATE audit SET data_hash = '' WHERE seq = 2");
	expect_bad(NULL, 2, "changed");
}

static void
test_delete(void **state)
{
	unlock_audit();
	exec_ok("DELETE FROM audit WHERE seq = 4");
	expect_bad(NULL, 4, "missing");
}

static void
test_reorder(void **state)
{
	/* Swap the contents of entries 2 and 5, keeping their places. */
	unlock_audit();
	exec_ok("UPDATE audit SET seq = -2 WHERE seq = 2;"
	    "UPDATE audit SET seq = 2 WHERE seq = 5;"
	    "UPDATE audit SET seq = 5 WHERE seq = -2;");
	expect_bad(NULL, 2, "changed");
}

static void
test_truncate(void **state)
{
	struct audit_head	 anchor;

	assert_int_equal(audit_head(s, &anchor), 0);
	unlock_audit();
	exec_ok("DELETE FROM audit WHERE seq >= 5");
	/* The rest is a valid chain: only the head logged earlier tells. */
	expect_good(NULL);
	expect_bad(&anchor, 5, "cut short");
}

static void
test_rebuild(void **state)
{
	struct audit_head	 anchor;
	int			 i;

	/* Someone with the key drops entry 3 and writes the chain anew. */
	assert_int_equal(audit_head(s, &anchor), 0);
	unlock_audit();
	exec_ok("DELETE FROM audit");
	for (i = 1; i <= 6; i++) {
		assert_int_equal(audit_state(s, i == 3 ? 99 : i, "pending_approval",
		    "approved", "op:op1@example.test", "rewritten"), 0);
	}
	expect_good(NULL);
	expect_bad(&anchor, 6, "rebuilt");
}

static void
test_head_parse(void **state)
{
	struct audit_head	 h;
	char			 good[80];

	memset(good, 'a', sizeof(good));
	memcpy(good, "12:", 3);
	good[3 + 64] = '\0';
	assert_int_equal(audit_head_parse(good, &h), 0);
	assert_int_equal(h.seq, 12);
	good[3 + 64] = '\n';
	good[3 + 65] = '\0';
	assert_int_equal(audit_head_parse(good, &h), 0);
	assert_int_equal(audit_head_parse("0:", &h), 0);
	assert_int_equal(audit_head_parse("12:abc", &h), -1);
	assert_int_equal(audit_head_parse("x:aaaa", &h), -1);
	assert_int_equal(audit_head_parse("-1:", &h), -1);
	good[3 + 64] = 'a';	/* 65 digits */
	assert_int_equal(audit_head_parse(good, &h), -1);
	good[10] = 'G';
	good[3 + 64] = '\0';
	assert_int_equal(audit_head_parse(good, &h), -1);
}

static void
test_no_key(void **state)
{
	struct audit_entry	 e;

	s->have_audit_key = 0;
	memset(&e, 0, sizeof(e));
	e.event = "x";
	assert_int_equal(audit_append(s, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_null_vs_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
		cmocka_unit_test(test_head_parse),
		cmocka_unit_test_setup_teardown(test_no_key, setup, teardown),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
