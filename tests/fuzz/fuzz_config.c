/* libFuzzer target: the configuration file (src/config.h config_load),
 * and the value parsers it shares with other modules on every line. The
 * input is written to one memfd, made once, and read back through
 * /proc/self/fd/N, so no file is left anywhere. */
#include "autoconf.h"

#include <sys/mman.h>
#include <errno.h>
#include <unistd.h>

#include "config.h"

#include "fuzz.h"

#define LINES_MAX	256
#define LINE_MAX_LEN	1024

static int	 fd = -1;
static char	 path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((fd = memfd_create("cabut-fuzz.conf", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static void
write_all(const uint8_t *data, size_t size)
{
	ssize_t	 n;
	size_t	 off = 0;

	if (ftruncate(fd, 0) == -1)
		abort();
	while (off < size) {
		n = pwrite(fd, data + off, size - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

static void
check_line(const char *line)
{
	int64_t		 d;
	uint64_t	 sz;
	int		 b;

	if (config_parse_duration(line, &d) == 0)
		FUZZ_CHECK(d >= 0);
	(void)config_parse_size(line, &sz);
	if (config_parse_bool(line, &b) == 0)
		FUZZ_CHECK(b == 0 || b == 1);
	(void)config_addr_valid(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		*errors = NULL, *text, *p, *nl, line[LINE_MAX_LEN];
	size_t		 i, n;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	write_all(data, size);
	cfg = config_load(path, &errors);
	if (cfg != NULL) {
		FUZZ_CHECK(errors == NULL);
		FUZZ_CHECK(cfg->imap.url != NULL && cfg->smtp.url != NULL);
		FUZZ_CHECK(cfg->op.naddresses > 0);
		FUZZ_CHECK(cfg->op.approvals_required >= 1 &&
		    (size_t)cfg->op.approvals_required <= cfg->op.naddresses);
		(void)config_backend_name(cfg->ca.backend);
		(void)config_language_name(cfg->daemon.language);
		config_free(&cfg);
	} else
		FUZZ_CHECK(errors != NULL);
	free(errors);

	text = fuzz_cstr(data, size);
	for (p = text, i = 0; *p != '\0' && i < LINES_MAX; p = nl + 1, i++) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		check_line(line);
		/* The value of a "key = value" line too. */
		if ((p = strchr(line, '=')) != NULL) {
			while (*++p == ' ')
				;
			check_line(p);
		}
		if (nl == NULL)
			break;
	}
	free(text);
	return 0;
}
