/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the input
 * bound, a NUL-terminated copy of the input, and invariant checks that
 * abort (libFuzzer then keeps the input as a crash). */
#ifndef CABUT_FUZZ_H
#define CABUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every target refuses inputs larger than this (run.sh also passes a
 * -max_len well below it). */
#define FUZZ_MAX_INPUT	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* The input as a C string (it stops at the first NUL, as text taken from
 * a parsed mail would); free() it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

#endif
