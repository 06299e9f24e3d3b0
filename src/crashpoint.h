/* Crash points: tests name one in CABUT_CRASH_AT ("name" or "name:N" for
 * the N-th time it is reached) and the process abort()s there. Compiled
 * in only with --enable-test-hooks; otherwise every call is nothing. */
#ifndef CABUT_CRASHPOINT_H
#define CABUT_CRASHPOINT_H

#ifdef CABUT_TEST_HOOKS
void	crashpoint(const char *name);
#else
#define crashpoint(name)	((void)0)
#endif

#endif
