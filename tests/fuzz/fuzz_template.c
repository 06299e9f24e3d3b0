/* libFuzzer target: mail templates (src/template.h). Templates are read
 * only from files, so the input is written to DIR/en/fuzz.txt in a
 * directory made once and removed at exit: under $CABUT_FUZZ_TMPDIR, else
 * /dev/shm (rewriting a file on ext4 costs ten times more), else $TMPDIR. Input: the
 * template text, then optionally a NUL and the value every variable gets
 * (so the fuzzer controls both). The template is rendered and checked,
 * and the value cleaned in every mode. Invariants (template.h): a
 * cleaned value is valid UTF-8 without CR, NEL, U+2028/U+2029, bidi
 * controls or other control characters, LF only when multiline outside
 * a Subject, tab never in a Subject; a rendered Subject has no line
 * break. */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "template.h"

#include "fuzz.h"

static char	 dir[4096], file[4200], langdir[4160];

static void
cleanup(void)
{
	unlink(file);
	rmdir(langdir);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("CABUT_FUZZ_TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" :
		    getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/cabut-fuzz-template.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(langdir, sizeof(langdir), "%s/en", dir);
	snprintf(file, sizeof(file), "%s/fuzz.txt", langdir);
	if (mkdir(langdir, 0700) == -1) {
		perror("mkdir");
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void
write_file(const uint8_t *data, size_t size)
{
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		abort();
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
}

/* Length of the strict UTF-8 sequence at s, its code point in *cp; 0
 * when invalid (written independently of template.c's decoder). */
static size_t
u8(const unsigned char *s, uint32_t *cp)
{
	size_t	 n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, *cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static int
forbidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

static void
check_clean(const char *s, int multiline, int subject)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	while (*p != '\0') {
		n = u8(p, &cp);
		FUZZ_CHECK(n > 0);
		if (cp == '\n')
			FUZZ_CHECK(multiline && !subject);
		else if (cp == '\t')
			FUZZ_CHECK(!subject);
		else
			FUZZ_CHECK(!forbidden(cp));
		p += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "name", "id", "text", NULL };
	static const struct template_spec spec = { "fuzz", allowed };
	struct template_var	 vars[3];
	const uint8_t		*nul;
	const char		*value = "Budi <budi@example.go.id>";
	char			*v = NULL, *subject = NULL, *body = NULL;
	char			*error = NULL, *c;
	size_t			 tlen = size;
	int			 m, s;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if ((nul = memchr(data, '\0', size)) != NULL) {
		tlen = (size_t)(nul - data);
		v = fuzz_cstr(nul + 1, size - tlen - 1);
		value = v;
	}
	write_file(data, tlen);

	vars[0] = (struct template_var){ "name", value, 0 };
	vars[1] = (struct template_var){ "id", NULL, 0 };
	vars[2] = (struct template_var){ "text", value, 1 };
	if (template_render(NULL, dir, "en", "fuzz", vars, 3, &subject, &body,
	    &error) == 0) {
		FUZZ_CHECK(subject != NULL && body != NULL && error == NULL);
		FUZZ_CHECK(strchr(subject, '\n') == NULL &&
		    strchr(subject, '\r') == NULL);
		FUZZ_CHECK(strchr(body, '\r') == NULL);
	} else
		FUZZ_CHECK(error != NULL && subject == NULL && body == NULL);
	free(subject);
	free(body);
	free(error);
	error = NULL;
	/* The override dir first (it has no such file: the installed one). */
	subject = body = NULL;
	if (template_render(langdir, dir, "en", "fuzz", vars, 2, &subject,
	    &body, &error) == -1)
		FUZZ_CHECK(error != NULL);
	free(subject);
	free(body);
	free(error);
	error = NULL;
	if (template_check(NULL, dir, "en", &spec, 1, &error) == -1)
		FUZZ_CHECK(error != NULL);
	free(error);

	for (m = 0; m <= 1; m++)
		for (s = 0; s <= 1; s++) {
			c = template_clean(value, m, s);
			check_clean(c, m, s);
			free(c);
		}
	free(v);
	return 0;
}
