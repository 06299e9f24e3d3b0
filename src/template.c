/* Mail templates: mailtemplates/LANG/NAME.txt read from the override dir
 * or the installed one, checked, and filled with cleaned values. */
#include "autoconf.h"
#include "template.h"
#include "util.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TEMPLATE_FILE_MAX	(64 * 1024)	/* bytes of one template file */
#define TEMPLATE_NAME_MAX	64		/* bytes of a template name */
#define VAR_NAME_MAX		64		/* bytes of a variable name */
/* A rendered mail; values come from mail and are bounded by the message
 * parser's limits, so reaching these means something is wrong. */
#define SUBJECT_MAX		(16 * 1024)
#define BODY_MAX		(4 * 1024 * 1024)
#define KNOWN_MAX		1024		/* the "known:" list in an error */

static const char	 replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* One template file, read and checked, split in place. */
struct tpl {
	char	*path;		/* owned: the file read, for messages */
	char	*text;		/* owned: the file, LF line ends, NUL-terminated */
	char	*subject;	/* in text: after "Subject:", trimmed */
	char	*body;		/* in text: from line 3 on */
};

/* What {{name}} may refer to: values (render) or only names (check). */
struct expand {
	const char			*path;
	const struct template_var	*vars;
	size_t				 nvars;
	const char *const		*allowed;	/* NULL-terminated, or NULL */
	int				 checking;	/* 1: names only, no output */
};

/* One strict UTF-8 sequence (no overlong forms, no surrogates, nothing
 * past U+10FFFF): its length, or 0 when it is not valid. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp_r)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

/* Characters no value may bring into a mail, LF and TAB aside: C0
 * controls (CR ends a header line on its own for some readers), DEL, C1
 * controls (NEL U+0085 is a line break in Unicode), the line and
 * paragraph separators U+2028/U+2029, and the Bidi_Control characters:
 * an embedding, override or isolate in a value could visually reorder
 * the rest of its line, or of the mail, and make an OP read something
 * else than what is there. */
static int
cp_removed(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *
template_clean(const char *value, int multiline, int subject)
{
	const unsigned char	*s;
	char			*out;
	size_t			 len, i, n, o = 0;
	uint32_t		 cp;

	if (value == NULL)
		return xstrdup("-");
	s = (const unsigned char *)value;
	len = strlen(value);
	/* Worst case: every byte invalid, each becoming three. */
	out = xreallocarray(NULL, len + 1, 3);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			memcpy(out + o, replacement, 3);
			o += 3;
			n = 1;
		} else if (cp == '\n') {
			if (multiline && !subject)
				out[o++] = '\n';
		} else if (cp == '\t')
			out[o++] = subject ? ' ' : '\t';
		else if (!cp_removed(cp)) {
			memcpy(out + o, s + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

static int
valid_name(const char *s, size_t len, int dash)
{
	size_t	 i;

	if (len == 0 || len > (dash ? TEMPLATE_NAME_MAX : VAR_NAME_MAX))
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || (dash && s[i] == '-')))
			return 0;
	return 1;
}

/* Open DIR/LANG/NAME.txt in the override dir if it is there, else in the
 * installed dir. Only a missing file falls back: an override the daemon
 * cannot read is reported, not silently replaced. Symbolic links are
 * followed (the dirs belong to the admin, who may share a file between
 * languages), but only a regular file is read: O_NONBLOCK keeps a FIFO
 * from hanging the daemon. */
static int
tpl_open(const char *override_dir, const char *installed_dir, const char *lang,
    const char *name, char **path_r, int *fd_r, char **error_r)
{
	char	*path = NULL, *tried = NULL;
	int	 fd = -1, ret = -1;

	if (override_dir != NULL) {
		path = xasprintf("%s/%s/%s.txt", override_dir, lang, name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
			if (errno != ENOENT) {
				*error_r = xasprintf("%s: %s", path, strerror(errno));
				goto out;
			}
			tried = path;
			path = NULL;
		}
	}
	if (fd == -1) {
		path = xasprintf("%s/%s/%s.txt", installed_dir, lang, name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
			if (tried != NULL)
				*error_r = xasprintf("%s: %s (no override %s either)", path,
				    strerror(errno), tried);
			else
				*error_r = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
	}
	*path_r = path;
	*fd_r = fd;
	path = NULL;
	fd = -1;
	ret = 0;
out:
	free(path);
	free(tried);
	if (fd != -1)
		close(fd);
	return ret;
}

static int
tpl_read(int fd, const char *path, char **data_r, size_t *len_r, char **error_r)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 ret = -1;

	if (fstat(fd, &st) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		goto out;
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	data = xmalloc(TEMPLATE_FILE_MAX + 1);
	while (st.st_size <= TEMPLATE_FILE_MAX && len < TEMPLATE_FILE_MAX + 1) {
		n = read(fd, data + len, TEMPLATE_FILE_MAX + 1 - len);
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
	if (st.st_size > TEMPLATE_FILE_MAX || len > TEMPLATE_FILE_MAX) {
		*error_r = xasprintf("%s: larger than %d bytes", path,
		    TEMPLATE_FILE_MAX);
		goto out;
	}
	*data_r = data;
	*len_r = len;
	data = NULL;
	ret = 0;
out:
	free(data);
	return ret;
}

/* The file's bytes as text: valid UTF-8, CRLF made LF, a leading BOM
 * (Notepad writes one) dropped, and nothing a value could not contain
 * either, so the template itself adds no hidden line or reordering. */
static int
tpl_decode(const char *path, const char *data, size_t len, char **text_r,
    char **error_r)
{
	const unsigned char	*s = (const unsigned char *)data;
	char			*text;
	size_t			 i = 0, n, o = 0, line = 1;
	uint32_t		 cp;
	int			 ret = -1;

	text = xmalloc(len + 1);
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			*error_r = xasprintf("%s:%zu: invalid UTF-8", path, line);
			goto out;
		}
		if (cp == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (cp == '\n')
			line++;
		else if (cp != '\t' && cp_removed(cp)) {
			*error_r = xasprintf("%s:%zu: control character U+%04X",
			    path, line, (unsigned)cp);
			goto out;
		}
		memcpy(text + o, s + i, n);
		o += n;
	}
	text[o] = '\0';
	*text_r = text;
	text = NULL;
	ret = 0;
out:
	free(text);
	return ret;
}

static void
tpl_free(struct tpl *t)
{
	free(t->path);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/* Load and split a template: "Subject: ..." on line 1, line 2 empty, the
 * body from line 3 on. */
static int
tpl_load(const char *override_dir, const char *installed_dir, const char *lang,
    const char *name, struct tpl *t, char **error_r)
{
	char	*data = NULL, *nl, *s, *e;
	size_t	 len;
	int	 fd = -1, ret = -1;

	memset(t, 0, sizeof(*t));
	if (lang == NULL || (strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0)) {
		*error_r = xasprintf("template language \"%.8s\": must be id or en",
		    lang == NULL ? "" : lang);
		goto out;
	}
	/* No '/' and no '.': the name cannot leave LANG/. */
	if (name == NULL || !valid_name(name, strlen(name), 1)) {
		*error_r = xasprintf("invalid template name \"%.80s\" (only a-z, "
		    "0-9, _ and -, at most %d)", name == NULL ? "" : name,
		    TEMPLATE_NAME_MAX);
		goto out;
	}
	if (installed_dir == NULL) {
		*error_r = xasprintf("no template directory");
		goto out;
	}
	if (tpl_open(override_dir, installed_dir, lang, name, &t->path, &fd,
	    error_r) == -1)
		goto out;
	if (tpl_read(fd, t->path, &data, &len, error_r) == -1)
		goto out;
	if (tpl_decode(t->path, data, len, &t->text, error_r) == -1)
		goto out;

	if (strncasecmp(t->text, "Subject:", 8) != 0) {
		*error_r = xasprintf("%s:1: the first line must be \"Subject: ...\"",
		    t->path);
		goto out;
	}
	s = t->text + 8;
	if ((nl = strchr(s, '\n')) == NULL || nl[1] != '\n') {
		*error_r = xasprintf("%s:2: an empty line must follow the Subject "
		    "line", t->path);
		goto out;
	}
	*nl = '\0';
	t->body = nl + 2;
	while (*s == ' ' || *s == '\t')
		s++;
	for (e = nl; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (*s == '\0') {
		*error_r = xasprintf("%s:1: empty Subject", t->path);
		goto out;
	}
	t->subject = s;
	ret = 0;
out:
	free(data);
	if (fd != -1)
		close(fd);
	if (ret == -1)
		tpl_free(t);
	return ret;
}

/* The names {{...}} may use, for an error message. */
static char *
known_names(const struct expand *x)
{
	struct buf	 b;
	size_t		 i;
	int		 full = 0;

	buf_init(&b, KNOWN_MAX);
	if (x->checking) {
		for (i = 0; x->allowed != NULL && x->allowed[i] != NULL && !full; i++)
			full = buf_printf(&b, "%s%s", i ? ", " : "", x->allowed[i]);
	} else {
		for (i = 0; i < x->nvars && !full; i++)
			if (x->vars[i].name != NULL)
				full = buf_printf(&b, "%s%s", b.len ? ", " : "",
				    x->vars[i].name);
	}
	if (b.len == 0)
		buf_addstr(&b, "none");
	return buf_steal(&b);
}

/* Look name up: 0 found (*var_r set when rendering), -1 unknown. */
static int
lookup(const struct expand *x, const char *name, size_t len,
    const struct template_var **var_r)
{
	size_t	 i;

	if (x->checking) {
		for (i = 0; x->allowed != NULL && x->allowed[i] != NULL; i++)
			if (strlen(x->allowed[i]) == len &&
			    memcmp(x->allowed[i], name, len) == 0)
				return 0;
		return -1;
	}
	for (i = 0; i < x->nvars; i++)
		if (x->vars[i].name != NULL && strlen(x->vars[i].name) == len &&
		    memcmp(x->vars[i].name, name, len) == 0) {
			*var_r = &x->vars[i];
			return 0;
		}
	return -1;
}

static char *
too_long(const struct expand *x, int subject, const struct buf *out)
{
	return xasprintf("%s: the %s would be longer than %zu bytes", x->path,
	    subject ? "Subject" : "body", out->max);
}

/* Expand one line (without its LF) into out, or only check it when
 * out is NULL. A value is inserted cleaned and never expanded again. */
static int
expand_line(const struct expand *x, const char *p, size_t len, size_t line,
    int subject, struct buf *out, char **error_r)
{
	const struct template_var	*var = NULL;
	const char			*end = p + len, *open, *close, *n, *ne;
	char				*v = NULL, *known;
	int				 ret = -1;

	while (p < end) {
		for (open = p; open + 1 < end; open++)
			if (open[0] == '{' && open[1] == '{')
				break;
		if (open + 1 >= end)
			open = end;
		if (out != NULL && buf_add(out, p, (size_t)(open - p)) == -1) {
			*error_r = too_long(x, subject, out);
			goto out;
		}
		if (open == end)
			break;
		for (close = open + 2; close + 1 < end; close++)
			if (close[0] == '}' && close[1] == '}')
				break;
		if (close + 1 >= end) {
			*error_r = xasprintf("%s:%zu: unclosed {{", x->path, line);
			goto out;
		}
		for (n = open + 2; n < close && *n == ' '; n++)
			;
		for (ne = close; ne > n && ne[-1] == ' '; ne--)
			;
		if (!valid_name(n, (size_t)(ne - n), 0)) {
			*error_r = xasprintf("%s:%zu: invalid variable name "
			    "\"%.*s\" (only a-z, 0-9 and _)", x->path, line,
			    (int)(close - open - 2), open + 2);
			goto out;
		}
		if (lookup(x, n, (size_t)(ne - n), &var) == -1) {
			known = known_names(x);
			*error_r = xasprintf("%s:%zu: unknown variable \"%.*s\" "
			    "(known: %s)", x->path, line, (int)(ne - n), n, known);
			free(known);
			goto out;
		}
		if (out != NULL) {
			v = template_clean(var->value, var->multiline, subject);
			if (buf_addstr(out, v) == -1) {
				*error_r = too_long(x, subject, out);
				goto out;
			}
			free(v);
			v = NULL;
		}
		p = close + 2;
	}
	ret = 0;
out:
	free(v);
	return ret;
}

/* Expand the body line by line (line numbers from 3), dropping ##
 * comments whole: they document the variables and are never expanded. */
static int
expand_body(const struct expand *x, const char *body, struct buf *out,
    char **error_r)
{
	const char	*p = body, *nl;
	size_t		 line = 3, len;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "##", 2) != 0) {
			if (expand_line(x, p, len, line, 0, out, error_r) == -1)
				return -1;
			if (nl != NULL && out != NULL && buf_add(out, "\n", 1) == -1) {
				*error_r = too_long(x, 0, out);
				return -1;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
		line++;
	}
	return 0;
}

int
template_render(const char *override_dir, const char *installed_dir,
    const char *lang, const char *name, const struct template_var *vars,
    size_t nvars, char **subject_r, char **body_r, char **error_r)
{
	struct tpl	 t;
	struct expand	 x;
	struct buf	 subject, body;
	int		 ret = -1;

	*subject_r = *body_r = NULL;
	buf_init(&subject, SUBJECT_MAX);
	buf_init(&body, BODY_MAX);
	if (tpl_load(override_dir, installed_dir, lang, name, &t, error_r) == -1)
		goto out;
	memset(&x, 0, sizeof(x));
	x.path = t.path;
	x.vars = vars;
	x.nvars = nvars;
	if (expand_line(&x, t.subject, strlen(t.subject), 1, 1, &subject,
	    error_r) == -1 || expand_body(&x, t.body, &body, error_r) == -1)
		goto out;
	*subject_r = buf_steal(&subject);
	*body_r = buf_steal(&body);
	ret = 0;
out:
	tpl_free(&t);
	buf_free(&subject);
	buf_free(&body);
	return ret;
}

int
template_check(const char *override_dir, const char *installed_dir,
    const char *lang, const struct template_spec *specs, size_t nspecs,
    char **error_r)
{
	struct tpl	 t;
	struct expand	 x;
	size_t		 i;
	int		 ret = -1;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < nspecs; i++) {
		if (tpl_load(override_dir, installed_dir, lang, specs[i].name, &t,
		    error_r) == -1)
			goto out;
		memset(&x, 0, sizeof(x));
		x.path = t.path;
		x.allowed = specs[i].vars;
		x.checking = 1;
		if (expand_line(&x, t.subject, strlen(t.subject), 1, 1, NULL,
		    error_r) == -1 || expand_body(&x, t.body, NULL, error_r) == -1)
			goto out;
		tpl_free(&t);
	}
	ret = 0;
out:
	tpl_free(&t);
	return ret;
}
