/* Crash points for the exactly-once tests (see crashpoint.h). */
#include "autoconf.h"
#include "crashpoint.h"

#ifdef CABUT_TEST_HOOKS
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CABUT_CRASH_AT=name or name:N. Counting is per process. */
void
crashpoint(const char *name)
{
	static unsigned long	 hits;
	const char		*spec, *colon;
	unsigned long		 want = 1;
	size_t			 len;
	char			*end;

	if ((spec = getenv("CABUT_CRASH_AT")) == NULL || *spec == '\0')
		return;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (strlen(name) != len || strncmp(spec, name, len) != 0)
		return;
	if (colon != NULL) {
		errno = 0;
		want = strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || want == 0)
			return;
	}
	if (++hits == want) {
		static const char	 msg[] = "cabut: crash point reached\n";

		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		abort();
	}
}
#else
/* ISO C forbids an empty translation unit. */
typedef int crashpoint_unused;
#endif
