/* The local backend (backend = local): the CA key is used only by a
 * separate process, started fresh with execv ("cabutd --ca-process DIR
 * DAYS", the socket on fd 3), that never parses mail and never issues
 * certificates. The daemon talks to it with one line per request and one
 * per answer, each at most CA_LOCAL_LINE_MAX bytes with its newline:
 *
 *	REVOKE serial reason invalidity now	OK changed revoked_at reason crl
 *	TICK now				OK issued crl next_update
 *	STATUS serial				OK unknown|valid|revoked revoked_at reason
 *	PING					OK ready
 *
 * serial is 1 to 40 hex digits, reason 0 to 10, the others decimal
 * integers without sign or leading zeros (times in Unix seconds, 0:
 * none). Any failure is answered "TEMP text" (try again later) or
 * "PERM text" (the same request will never succeed). */
#ifndef CABUT_CA_LOCAL_H
#define CABUT_CA_LOCAL_H

#include <sys/types.h>

#include "ca.h"

#define CA_LOCAL_LINE_MAX	4096
#define CA_LOCAL_FD		3	/* the socket in the CA process */

/* What the daemon executes as the CA process; default "/proc/self/exe".
 * NULL (tests only): fork without exec and run ca_local_serve in the
 * child. */
extern const char	*ca_local_exe;

/* The CA process: open the CA in dir (an error is told in every answer,
 * and opening is tried again at each request), issue a first CRL when
 * there is none, and answer requests on fd until EOF. Returns the exit
 * status. */
int	ca_local_serve(int fd, const char *dir, int crl_days);

/* The running CA process, -1 when none (tests). */
pid_t	ca_local_pid(struct ca_backend *);

#endif
