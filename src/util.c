/* Small helpers shared by every module: allocation that cannot fail,
 * bounded buffers, secret files, times. */
#include "autoconf.h"
#include "util.h"
#include "log.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/crypto.h>

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		fatal("calloc");
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("reallocarray: overflow");
	if ((p = realloc(ptr, nmemb * size == 0 ? 1 : nmemb * size)) == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r == -1)
		fatal("vasprintf");
	return p;
}

void
freezero_str(char **sp)
{
	if (*sp == NULL)
		return;
	OPENSSL_cleanse(*sp, strlen(*sp));
	free(*sp);
	*sp = NULL;
}

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	size_t	 need, ncap;

	if (len > b->max || b->len > b->max - len)
		return -1;
	need = b->len + len + 1;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		b->data = xreallocarray(b->data, ncap, 1);
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 r, ret;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r == -1)
		fatal("vasprintf");
	ret = buf_add(b, p, (size_t)r);
	free(p);
	return ret;
}

char *
buf_steal(struct buf *b)
{
	char	*p;

	if (b->data == NULL)
		return xstrdup("");
	p = b->data;
	memset(b, 0, sizeof(*b));
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
file_check_secrecy(const char *path, char **error_r)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		*error_r = xasprintf("%s: owned by uid %lu, not by root or uid %lu",
		    path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		*error_r = xasprintf("%s: group or others have access (mode %04o); "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
file_read_secret(const char *path, size_t max, unsigned char **data_r,
    size_t *len_r, char **error_r)
{
	struct stat	 st;
	unsigned char	*data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1, ret = -1;

	*data_r = NULL;
	*len_r = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	/* Check the file that was opened, not whatever the name points at now. */
	if (fstat(fd, &st) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		if (file_check_secrecy(path, error_r) == 0)
			*error_r = xasprintf("%s: changed while being read", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		*error_r = xasprintf("%s: larger than %zu bytes", path, max);
		goto out;
	}
	data = xmalloc(max + 1);
	while (len < max + 1) {
		n = read(fd, data + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		*error_r = xasprintf("%s: larger than %zu bytes", path, max);
		goto out;
	}
	*data_r = data;
	*len_r = len;
	data = NULL;
	ret = 0;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, max + 1);
		free(data);
	}
	if (fd != -1)
		close(fd);
	return ret;
}

char *
file_read_password(const char *path, char **error_r)
{
	unsigned char	*data;
	size_t		 len;
	char		*pw;

	if (file_read_secret(path, 4096, &data, &len, error_r) == -1)
		return NULL;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	pw = xstrndup((char *)data, len);
	OPENSSL_cleanse(data, len);
	free(data);
	return pw;
}

int
file_create_excl(const char *path, int mode, const void *data, size_t len,
    char **error_r)
{
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode)) == -1) {
		if (errno == EEXIST)
			return 1;
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, unsigned char *out, size_t outlen)
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(s) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		if ((hi = hexval((unsigned char)s[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)s[2 * i + 1])) == -1)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
time_rfc3339(time_t t, char out[static 21])
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		memcpy(out, "1970-01-01T00:00:00Z", 21);
}

time_t
now(void)
{
#ifdef CABUT_TEST_HOOKS
	const char	*s;
	char		*end;
	long long	 v;

	if ((s = getenv("CABUT_NOW")) != NULL && *s != '\0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			return (time_t)v;
	}
#endif
	return time(NULL);
}

int64_t
retry_wait(int64_t seconds)
{
#ifdef CABUT_TEST_HOOKS
	if (getenv("CABUT_FAST_RETRY") != NULL)
		return 1;
#endif
	return seconds;
}

/* "what: OpenSSL's first reason", owned; the error queue is emptied. */
char *
openssl_error(const char *what)
{
	unsigned long	 e;
	char		 tmp[256];
	char		*s;

	if ((e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, tmp, sizeof(tmp));
		s = xasprintf("%s: %s", what, tmp);
	} else
		s = xstrdup(what);
	ERR_clear_error();
	return s;
}
