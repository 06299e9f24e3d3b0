/* Dropping root: both programs do their work as daemon.user. */
#ifndef CABUT_PRIV_H
#define CABUT_PRIV_H

#include <sys/types.h>

/* The uid and gid of user; -1 with *error_r when there is no such user. */
int	priv_lookup(const char *user, uid_t *uid_r, gid_t *gid_r, char **error_r);
/* 0 when user exists and is not root; -1 with *error_r otherwise. */
int	priv_check(const char *user, char **error_r);
/* When running as root, become user for good (groups, gid, uid); a no-op
 * otherwise. -1 with *error_r on failure. */
int	priv_drop(const char *user, char **error_r);

#endif
