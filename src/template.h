/* Mail templates: mailtemplates/LANG/NAME.txt, installed under
 * PKGDATADIR/mailtemplates and overridden file by file from
 * daemon.templates_dir. A template is a "Subject: ..." line, an empty
 * line, then the body. {{name}} is replaced by the value of variable
 * name; every value is cleaned first (CR, LF, NEL, U+2028, U+2029 and
 * other control characters removed; in the Subject also tabs), so a value
 * can never add a header or a line. An unknown variable in a template is
 * an error, found when it is loaded. */
#ifndef CABUT_TEMPLATE_H
#define CABUT_TEMPLATE_H

#include <stddef.h>

struct template_var {
	const char	*name;
	const char	*value;		/* UTF-8; NULL is written as "-" */
	int		 multiline;	/* 1: keep LF (text cabut itself made, e.g. a list of problems) */
};

/* Render template NAME ("received", "invalid", ...) of language lang
 * ("id" or "en"). The override dir (may be NULL) is looked in first, then
 * the installed dir. Output: subject and body, owned by the caller, body
 * with LF line ends. -1 with *error_r: template missing, unreadable, too
 * large (64 KiB), no Subject line, an unknown or unclosed variable. */
int	template_render(const char *override_dir, const char *installed_dir,
	    const char *lang, const char *name, const struct template_var *vars,
	    size_t nvars, char **subject_r, char **body_r, char **error_r);

/* Check every template of a language against the variables each may use
 * (cabutd does it at start and on SIGHUP): -1 with *error_r naming the
 * file and line. */
struct template_spec {
	const char	*name;
	const char	*const *vars;	/* NULL-terminated */
};
int	template_check(const char *override_dir, const char *installed_dir,
	    const char *lang, const struct template_spec *specs, size_t nspecs,
	    char **error_r);

/* Clean one value as described above (owned result). */
char	*template_clean(const char *value, int multiline, int subject);

#endif
