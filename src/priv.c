/* Dropping root: both programs do their work as daemon.user. */
#include "autoconf.h"
#include "priv.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

int
priv_lookup(const char *user, uid_t *uid_r, gid_t *gid_r, char **error_r)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		*error_r = errno ? xasprintf("user %s: %s", user, strerror(errno)) :
		    xasprintf("user %s: no such user ([daemon] user)", user);
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

int
priv_check(const char *user, char **error_r)
{
	uid_t	 uid;
	gid_t	 gid;

	if (priv_lookup(user, &uid, &gid, error_r) == -1)
		return -1;
	if (uid == 0) {
		*error_r = xasprintf("user %s is root: name an unprivileged "
		    "account in [daemon] user", user);
		return -1;
	}
	return 0;
}

int
priv_drop(const char *user, char **error_r)
{
	uid_t	 uid;
	gid_t	 gid;

	if (geteuid() != 0)
		return 0;
	if (priv_check(user, error_r) == -1 ||
	    priv_lookup(user, &uid, &gid, error_r) == -1)
		return -1;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		*error_r = xasprintf("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) != -1) {
		*error_r = xasprintf("could become root again after dropping to %s",
		    user);
		return -1;
	}
	return 0;
}
