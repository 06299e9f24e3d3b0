/* Small helpers shared by every module: allocation that cannot fail,
 * bounded string building, secret files, times. */
#ifndef CABUT_UTIL_H
#define CABUT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Exit codes (SPEC "Programs"; the values of <sysexits.h>). */
#define EXIT_USAGE	64
#define EXIT_UNAVAIL	69
#define EXIT_SOFTWARE	70
#define EXIT_TEMPFAIL	75
#define EXIT_CONFIG	78

/* Allocation failure is fatal: the caller never sees NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 freezero_str(char **);	/* wipe and free a secret string, clear the pointer */

/* A growing byte buffer with a hard maximum (curl's dynbuf idea). */
struct buf {
	char	*data;		/* owned; always NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* appending past it fails */
};
void	 buf_init(struct buf *, size_t max);
int	 buf_add(struct buf *, const void *, size_t);	/* -1 past max */
int	 buf_addstr(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
char	*buf_steal(struct buf *);	/* returns the NUL-terminated data, owned by the caller */
void	 buf_free(struct buf *);

/* Secret files: refused when group or others have any access, or when
 * owned by someone else than root or the effective user (OpenSMTPD's
 * check_file_secrecy). 0 on success, -1 with *error_r (owned) set. */
int	 file_check_secrecy(const char *path, char **error_r);
/* Read a whole secret file (checked as above) of at most max bytes. */
int	 file_read_secret(const char *path, size_t max, unsigned char **data_r,
	    size_t *len_r, char **error_r);
/* A password file: the secret file's first line (trailing CR/LF cut),
 * owned; wipe it with freezero_str. NULL with *error_r. */
char	*file_read_password(const char *path, char **error_r);
/* Write len bytes to a new file with the given mode; never overwrites
 * (O_EXCL). 0 written, 1 already there, -1 error. */
int	 file_create_excl(const char *path, int mode, const void *data, size_t len,
	    char **error_r);

void	 hex_encode(const unsigned char *, size_t, char *out);	/* out: 2*n+1, lowercase */
int	 hex_decode(const char *, unsigned char *out, size_t outlen);	/* exact length or -1 */

/* RFC 3339 UTC ("2026-11-26T02:48:51Z"); out must hold 21 bytes. */
void	 time_rfc3339(time_t, char out[static 21]);
/* Clock for the functional core; tests may set CABUT_NOW only in
 * test-hook builds. */
time_t	 now(void);
/* A back-off before trying again; in test-hook builds CABUT_FAST_RETRY
 * makes every one 1 s, so outage tests need not wait minutes. */
int64_t	 retry_wait(int64_t seconds);
/* "what: OpenSSL's first reason", owned; the error queue is emptied. */
char	*openssl_error(const char *what);

#endif
