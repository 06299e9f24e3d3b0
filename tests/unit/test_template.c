/* template: files found (override first), syntax errors named FILE:LINE,
 * and no value able to add a header, a line or a bidi reordering. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"
#include "util.h"

static char	 tmpdir[] = "/tmp/cabut-template.XXXXXX";
static char	*inst, *over;

static void
mkdir_ok(const char *path)
{
	assert_int_equal(mkdir(path, 0700), 0);
}

static int
setup(void **state)
{
	static const char	*const langs[] = { "id", "en" };
	char			*p;
	size_t			 i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	inst = xasprintf("%s/installed", tmpdir);
	over = xasprintf("%s/override", tmpdir);
	mkdir_ok(inst);
	mkdir_ok(over);
	for (i = 0; i < 2; i++) {
		p = xasprintf("%s/%s", inst, langs[i]);
		mkdir_ok(p);
		free(p);
		p = xasprintf("%s/%s", over, langs[i]);
		mkdir_ok(p);
		free(p);
	}
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", tmpdir);
	int	 r = system(cmd);

	free(cmd);
	free(inst);
	free(over);
	return r == 0 ? 0 : -1;
}

/* Write DIR/LANG/NAME.txt with len bytes (strlen when len is 0); returns
 * the path. */
static char *
put_len(const char *dir, const char *lang, const char *name,
    const char *content, size_t len)
{
	char	*path = xasprintf("%s/%s/%s.txt", dir, lang, name);
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	if (len == 0)
		len = strlen(content);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
put(const char *dir, const char *lang, const char *name, const char *content)
{
	free(put_len(dir, lang, name, content, 0));
}

static void
render_ok(const char *lang, const char *name, const struct template_var *vars,
    size_t nvars, char **subject_r, char **body_r)
{
	char	*err = NULL;

	if (template_render(over, inst, lang, name, vars, nvars, subject_r,
	    body_r, &err) != 0)
		fail_msg("render %s/%s: %s", lang, name, err);
	assert_null(err);
}

/* Rendering fails with an error containing each of the given parts. */
static void
render_err(const char *override_dir, const char *lang, const char *name,
    const struct template_var *vars, size_t nvars, const char *part1,
    const char *part2)
{
	char	*subject = NULL, *body = NULL, *err = NULL;

	assert_int_equal(template_render(override_dir, inst, lang, name, vars,
	    nvars, &subject, &body, &err), -1);
	assert_null(subject);
	assert_null(body);
	assert_non_null(err);
	if (part1 != NULL && strstr(err, part1) == NULL)
		fail_msg("error '%s' lacks '%s'", err, part1);
	if (part2 != NULL && strstr(err, part2) == NULL)
		fail_msg("error '%s' lacks '%s'", err, part2);
	free(err);
}

static void
test_render(void **state)
{
	const struct template_var	 vars[] = {
		{ "id", "42", 0 },
		{ "name", "Budi Santoso", 0 },
		{ "unit", NULL, 0 },
		{ "echo", "{{id}}", 0 },
	};
	char				*subject, *body;

	put(inst, "id", "received",
	    "Subject: [cabut #{{id}}] Permohonan diterima  \n"
	    "\n"
	    "## {{id}}: nomor permohonan; {{name}}: nama pemohon\n"
	    "Yth. {{ name }},\n"
	    "\n"
	    "Permohonan {{id}} dari unit {{unit}} diterima.\n"
	    "#satu pagar tetap ada; {{echo}}\n");
	render_ok("id", "received", vars, 4, &subject, &body);
	assert_string_equal(subject, "[cabut #42] Permohonan diterima");
	/* The comment line is gone; NULL is "-"; a value is not expanded
	 * again. */
	assert_string_equal(body,
	    "Yth. Budi Santoso,\n"
	    "\n"
	    "Permohonan 42 dari unit - diterima.\n"
	    "#satu pagar tetap ada; {{id}}\n");
	free(subject);
	free(body);

	/* CRLF in the file, "subject:" in any case, a UTF-8 BOM, no final
	 * newline. */
	put(inst, "en", "received",
	    "\xef\xbb\xbfsUbJeCt:Request {{id}} received\r\n"
	    "\r\n"
	    "## comment\r\n"
	    "Dear {{name}},\r\n"
	    "caf\xc3\xa9");
	render_ok("en", "received", vars, 4, &subject, &body);
	assert_string_equal(subject, "Request 42 received");
	assert_string_equal(body, "Dear Budi Santoso,\ncaf\xc3\xa9");
	free(subject);
	free(body);
}

static void
test_override(void **state)
{
	const struct template_var	 vars[] = { { "id", "7", 0 } };
	char				*subject, *body, *err = NULL, *path;

	put(inst, "id", "both", "Subject: installed {{id}}\n\ninstalled\n");
	put(over, "id", "both", "Subject: override {{id}}\n\noverride\n");
	put(inst, "id", "only", "Subject: installed only\n\nbody\n");

	render_ok("id", "both", vars, 1, &subject, &body);
	assert_string_equal(subject, "override 7");
	assert_string_equal(body, "override\n");
	free(subject);
	free(body);

	/* File by file: what the override dir lacks comes from the
	 * installed dir. */
	render_ok("id", "only", vars, 1, &subject, &body);
	assert_string_equal(subject, "installed only");
	free(subject);
	free(body);

	/* No override dir, or one that does not exist. */
	assert_int_equal(template_render(NULL, inst, "id", "both", vars, 1,
	    &subject, &body, &err), 0);
	assert_string_equal(subject, "installed 7");
	free(subject);
	free(body);
	path = xasprintf("%s/nonexistent", tmpdir);
	assert_int_equal(template_render(path, inst, "id", "both", vars, 1,
	    &subject, &body, &err), 0);
	assert_string_equal(subject, "installed 7");
	free(subject);
	free(body);
	free(path);

	/* In neither: the error names the file. */
	render_err(over, "id", "missing", vars, 1, "/id/missing.txt",
	    "No such file");
	/* An override that is there but cannot be opened is reported, not
	 * silently replaced by the installed file. */
	path = xasprintf("%s/id/loop.txt", over);
	assert_int_equal(symlink("loop.txt", path), 0);
	put(inst, "id", "loop", "Subject: installed\n\nbody\n");
	render_err(over, "id", "loop", vars, 1, path, NULL);
	free(path);
	/* A directory is not a template. */
	path = xasprintf("%s/id/dir.txt", over);
	mkdir_ok(path);
	render_err(over, "id", "dir", vars, 1, path, "not a regular file");
	free(path);
}

/* Values trying to add a header, a line, or to reorder what the OP
 * reads, in the Subject and in the body. */
static void
test_injection(void **state)
{
	static const struct {
		const char	*value;
		const char	*want;		/* in the Subject and in the body */
	} cases[] = {
		{ "x\r\nBcc: evil@x", "xBcc: evil@x" },
		{ "x\nSETUJU", "xSETUJU" },
		{ "x\rSETUJU", "xSETUJU" },
		{ "x\xc2\x85SETUJU", "xSETUJU" },		/* NEL */
		{ "x\xe2\x80\xa8SETUJU", "xSETUJU" },		/* U+2028 */
		{ "x\xe2\x80\xa9SETUJU", "xSETUJU" },		/* U+2029 */
		{ "x\xe2\x80\xaeUJUTES", "xUJUTES" },		/* RLO */
		{ "a\xe2\x81\xa6" "b\xe2\x81\xa9" "c", "abc" },	/* LRI, PDI */
		{ "a\xe2\x80\x8f" "b\xd8\x9c" "c", "abc" },	/* RLM, ALM */
		{ "x\x7fy", "xy" },				/* DEL */
		{ "x\xc2\x80y\xc2\x9fz", "xyz" },		/* C1 */
		{ "x\x1b[2Jy\x0c\x0b\x08z", "x[2Jyz" },		/* C0 */
		{ "x\xc0\x8ay", "x\xef\xbf\xbd\xef\xbf\xbdy" },	/* overlong LF */
		{ "x\xe0\x80\x8ay", "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy" },
	};
	struct template_var	 var = { "v", NULL, 0 };
	char			*subject, *body, *want;
	size_t			 i;

	put(inst, "id", "inject", "Subject: S {{v}} E\n\nB {{v}} E\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		var.value = cases[i].value;
		render_ok("id", "inject", &var, 1, &subject, &body);
		want = xasprintf("S %s E", cases[i].want);
		if (strcmp(subject, want) != 0)
			fail_msg("case %zu: subject '%s', want '%s'", i, subject,
			    want);
		free(want);
		want = xasprintf("B %s E\n", cases[i].want);
		if (strcmp(body, want) != 0)
			fail_msg("case %zu: body '%s', want '%s'", i, body, want);
		free(want);
		assert_null(strpbrk(subject, "\r\n"));
		free(subject);
		free(body);
	}
}

static void
test_multiline(void **state)
{
	const struct template_var	 vars[] = {
		{ "problems", "- a\r\n- b\n\t- c\xc2\x85-d", 1 },
	};
	char				*subject, *body;

	put(inst, "en", "invalid",
	    "Subject: Problems: {{problems}}\n\nProblems:\n{{problems}}\nEnd\n");
	render_ok("en", "invalid", vars, 1, &subject, &body);
	/* The Subject is one line whatever multiline says; tabs become
	 * spaces there. */
	assert_string_equal(subject, "Problems: - a- b - c-d");
	assert_string_equal(body, "Problems:\n- a\n- b\n\t- c-d\nEnd\n");
	free(subject);
	free(body);
}

static void
test_unknown_variable(void **state)
{
	const struct template_var	 vars[] = { { "id", "1", 0 } };
	char				*path;

	path = put_len(inst, "id", "unknown",
	    "Subject: {{id}}\n\nline 3\n## {{comments_are_not_checked}}\n"
	    "ok {{id}} then {{nama}}\n", 0);
	render_err(NULL, "id", "unknown", vars, 1, path, ":5: unknown variable "
	    "\"nama\"");
	free(path);
	/* In the Subject: line 1. */
	path = put_len(inst, "id", "unknown_subj",
	    "Subject: {{ id }} {{ nama }}\n\nbody\n", 0);
	render_err(NULL, "id", "unknown_subj", vars, 1, ":1: unknown variable "
	    "\"nama\"", "known: id");
	free(path);
}

static void
test_syntax_errors(void **state)
{
	static const struct {
		const char	*content;
		const char	*part;
	} cases[] = {
		{ "Subject: x\n\na\nb {{id\n", ":4: unclosed {{" },
		{ "Subject: x\n\na\nb {{id\n}}\n", ":4: unclosed {{" },
		{ "Subject: {{id}\n\nb\n", ":1: unclosed {{" },
		{ "Subject: x\n\n{{}}\n", ":3: invalid variable name" },
		{ "Subject: x\n\n{{ Id }}\n", ":3: invalid variable name" },
		{ "Subject: x\n\n{{a b}}\n", ":3: invalid variable name" },
		{ "Subject: x\n\n{{../id}}\n", ":3: invalid variable name" },
		{ "Hello\n\nbody\n", ":1: the first line must be \"Subject: ...\"" },
		{ "\nSubject: x\n\nbody\n", ":1: the first line must be" },
		{ "To: x\nSubject: x\n\nbody\n", ":1: the first line must be" },
		{ "", ":1: the first line must be" },
		{ "Subject: x\nbody\n", ":2: an empty line must follow" },
		{ "Subject: x\n folded\n\nbody\n", ":2: an empty line must follow" },
		{ "Subject: x", ":2: an empty line must follow" },
		{ "Subject: x\n", ":2: an empty line must follow" },
		{ "Subject:  \t\n\nbody\n", ":1: empty Subject" },
		{ "Subject: x\n\na\xff\n", ":3: invalid UTF-8" },
		{ "Subject: x\n\nok\n\xed\xa0\x80\n", ":4: invalid UTF-8" },
		{ "Subject: x\n\nok\xf4\x90\x80\x80\n", ":3: invalid UTF-8" },
		{ "Subject: x\n\nok\xe2\x82\n", ":3: invalid UTF-8" },
		{ "Subject: x\xc0\xaf\n\nok\n", ":1: invalid UTF-8" },
		{ "Subject: x\rBcc: y\n\nok\n", ":1: control character U+000D" },
		{ "Subject: x\n\nok\n\x1b[1m\n", ":4: control character U+001B" },
		{ "Subject: x\n\nok\xc2\x85\n", ":3: control character U+0085" },
		{ "Subject: x\n\nok\xe2\x80\xae\n", ":3: control character U+202E" },
	};
	const struct template_var	 vars[] = { { "id", "1", 0 } };
	char				*path;
	size_t				 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = put_len(inst, "en", "syntax", cases[i].content, 0);
		render_err(NULL, "en", "syntax", vars, 1, path, cases[i].part);
		free(path);
	}
}

static void
test_names_refused(void **state)
{
	static const char	*const names[] = {
		"../received", "..", ".", "a/b", "/etc/passwd", "", "Received",
		"received.txt", "rec eived", "rec\nived", "r\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char	*const langs[] = { "fr", "", "ID", "id/", "../id",
		"ida", "i" };
	const struct template_var	 vars[] = { { "id", "1", 0 } };
	char				*subject, *body, *err = NULL, *path;
	size_t				 i;

	/* What "../received" would reach from id/, and a good template. */
	path = xasprintf("%s/received.txt", inst);
	free(put_len(tmpdir, "installed", "received",
	    "Subject: escaped\n\nno\n", 0));
	assert_int_equal(access(path, R_OK), 0);
	free(path);
	put(inst, "id", "received", "Subject: x\n\nok\n");

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		render_err(over, "id", names[i], vars, 1, "invalid template name",
		    NULL);
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		render_err(over, langs[i], "received", vars, 1,
		    "must be id or en", NULL);
	render_err(over, NULL, "received", vars, 1, "must be id or en", NULL);
	render_err(over, "id", NULL, vars, 1, "invalid template name", NULL);
	/* 64 bytes is still a name; and the same names work otherwise. */
	put(inst, "id", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "Subject: long\n\nok\n");
	render_ok("id",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    vars, 1, &subject, &body);
	free(subject);
	free(body);
	assert_int_equal(template_render(over, inst, "id", "received", vars, 1,
	    &subject, &body, &err), 0);
	assert_string_equal(subject, "x");
	free(subject);
	free(body);
}

static void
test_size_limit(void **state)
{
	const size_t	 max = 64 * 1024;
	char		*content, *subject, *body, *path;

	content = xmalloc(max + 2);
	memcpy(content, "Subject: big\n\n", 14);
	memset(content + 14, 'a', max + 1 - 14);
	content[max - 1] = '\n';
	/* Exactly 64 KiB is accepted. */
	free(put_len(inst, "id", "big", content, max));
	render_ok("id", "big", NULL, 0, &subject, &body);
	assert_int_equal(strlen(body), max - 14);
	free(subject);
	free(body);
	/* One byte more is not. */
	content[max] = '\n';
	path = put_len(inst, "id", "big", content, max + 1);
	render_err(NULL, "id", "big", NULL, 0, path, "larger than 65536 bytes");
	free(path);
	free(content);
}

/* A rendered mail has a maximum too: 16 KiB of Subject, 4 MiB of body. */
static void
test_output_limit(void **state)
{
	struct template_var	 var = { "v", NULL, 0 };
	char			*big, *subject, *body;

	big = xmalloc(4 * 1024 * 1024 + 1);
	memset(big, 'a', 4 * 1024 * 1024);
	big[4 * 1024 * 1024] = '\0';
	put(inst, "id", "limit_body", "Subject: s\n\n{{v}}\n");
	put(inst, "id", "limit_subject", "Subject: {{v}}\n\nbody\n");

	big[4 * 1024 * 1024 - 1] = '\0';
	var.value = big;
	render_ok("id", "limit_body", &var, 1, &subject, &body);
	assert_int_equal(strlen(body), 4 * 1024 * 1024);
	free(subject);
	free(body);
	big[4 * 1024 * 1024 - 1] = 'a';
	render_err(NULL, "id", "limit_body", &var, 1,
	    "limit_body.txt: the body would be longer than 4194304 bytes", NULL);

	big[16 * 1024] = '\0';
	render_ok("id", "limit_subject", &var, 1, &subject, &body);
	assert_int_equal(strlen(subject), 16 * 1024);
	free(subject);
	free(body);
	big[16 * 1024] = 'a';
	big[16 * 1024 + 1] = '\0';
	render_err(NULL, "id", "limit_subject", &var, 1,
	    "the Subject would be longer than 16384 bytes", NULL);
	free(big);
}

static void
test_check(void **state)
{
	static const char	*const received_vars[] = { "id", "name", NULL };
	static const char	*const invalid_vars[] = { "id", "problems", NULL };
	static const char	*const approval_vars[] = { "id", "op", "nik",
		NULL };
	const struct template_spec	 specs[] = {
		{ "received", received_vars },
		{ "invalid", invalid_vars },
		{ "approval", approval_vars },
	};
	char				*err = NULL, *path;

	put(inst, "en", "received", "Subject: {{id}}\n\nDear {{name}}\n");
	put(inst, "en", "invalid", "Subject: {{id}}\n\n{{problems}}\n");
	put(inst, "en", "approval", "Subject: [cabut #{{id}}]\n\n"
	    "## {{op}}: the OP\nDear {{op}},\nNIK {{nik}}\n");
	assert_int_equal(template_check(over, inst, "en", specs, 3, &err), 0);
	assert_null(err);

	/* "name" is known to received, not to invalid. */
	path = put_len(inst, "en", "invalid",
	    "Subject: {{id}}\n\n{{problems}}\n\nDear {{name}}\n", 0);
	assert_int_equal(template_check(over, inst, "en", specs, 3, &err), -1);
	assert_non_null(err);
	if (strstr(err, path) == NULL ||
	    strstr(err, "invalid.txt:5: unknown variable \"name\"") == NULL)
		fail_msg("error '%s'", err);
	free(err);
	err = NULL;
	free(path);
	put(inst, "en", "invalid", "Subject: {{id}}\n\n{{problems}}\n");

	/* An override with a typo is found, and named, though the installed
	 * file is fine. */
	path = put_len(over, "en", "approval",
	    "Subject: [cabut #{{id}}]\n\nDear {{op}},\nNIK {{nkk}}\n", 0);
	assert_int_equal(template_check(over, inst, "en", specs, 3, &err), -1);
	if (strstr(err, path) == NULL || strstr(err, ":4: unknown variable "
	    "\"nkk\" (known: id, op, nik)") == NULL)
		fail_msg("error '%s'", err);
	free(err);
	err = NULL;
	free(path);
	assert_int_equal(template_check(NULL, inst, "en", specs, 3, &err), 0);

	/* A syntax error, and a missing template. */
	path = put_len(over, "en", "approval", "Subject: x\n\n{{op\n", 0);
	assert_int_equal(template_check(over, inst, "en", specs, 3, &err), -1);
	if (strstr(err, path) == NULL || strstr(err, ":3: unclosed {{") == NULL)
		fail_msg("error '%s'", err);
	free(err);
	err = NULL;
	free(path);
	assert_int_equal(template_check(over, inst, "id", specs, 3, &err), -1);
	if (strstr(err, "/id/") == NULL || strstr(err, "No such file") == NULL)
		fail_msg("error '%s'", err);
	free(err);
}

static void
test_clean(void **state)
{
	static const struct {
		const char	*in;
		int		 multiline, subject;
		const char	*want;
	} cases[] = {
		{ "plain", 0, 0, "plain" },
		{ "", 0, 0, "" },
		{ "Sumatera Utara \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80", 0, 0,
		    "Sumatera Utara \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80" },
		{ "a\r\nb", 0, 0, "ab" },
		{ "a\r\nb", 1, 0, "a\nb" },
		{ "a\r\nb", 1, 1, "ab" },
		{ "a\n\nb\n", 1, 0, "a\n\nb\n" },
		{ "a\tb", 0, 0, "a\tb" },
		{ "a\tb", 1, 0, "a\tb" },
		{ "a\tb", 0, 1, "a b" },
		{ "\x01\x02\x1f\x7f", 0, 0, "" },
		{ "a\xc2\x85" "b", 1, 0, "ab" },
		{ "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", 1, 0, "abc" },
		{ "\xc2\x80\xc2\x9f\xc2\xa0", 0, 0, "\xc2\xa0" },	/* NBSP stays */
		{ "\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac"
		    "\xe2\x80\xad\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8"
		    "\xe2\x81\xa9\xd8\x9c", 0, 0, "" },
		{ "\xe2\x80\x8d\xe2\x81\xaa", 0, 0, "\xe2\x80\x8d\xe2\x81\xaa" },
		{ "\xff", 0, 0, "\xef\xbf\xbd" },
		{ "a\xc3", 0, 0, "a\xef\xbf\xbd" },
		{ "\xed\xa0\x80", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", 0, 0,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x8f\xbf\xbf", 0, 0, "\xf4\x8f\xbf\xbf" },
		{ "\xc1\x8a", 1, 0, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "{{id}}", 0, 0, "{{id}}" },
		{ "<b>&amp;</b>", 0, 0, "<b>&amp;</b>" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = template_clean(cases[i].in, cases[i].multiline,
		    cases[i].subject);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, s, cases[i].want);
		free(s);
	}
	s = template_clean(NULL, 0, 0);
	assert_string_equal(s, "-");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_unknown_variable),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_names_refused),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests_name("template", tests, setup, teardown);
}
