/* A JSON writer: structure and escaping are its job, so no caller ever
 * prints a raw string into JSON. Invalid UTF-8 becomes U+FFFD. */
#ifndef CABUT_JSON_H
#define CABUT_JSON_H

#include <stdint.h>
#include <time.h>

#include "util.h"

#define JSON_MAX_DEPTH	32

struct json {
	struct buf	 out;
	int		 depth;
	int		 count[JSON_MAX_DEPTH];	/* values written at each depth */
	int		 after_key;
	int		 pretty;
};

void	 json_init(struct json *, int pretty);
void	 json_object_begin(struct json *);
void	 json_object_end(struct json *);
void	 json_array_begin(struct json *);
void	 json_array_end(struct json *);
void	 json_key(struct json *, const char *);
void	 json_string(struct json *, const char *);	/* NULL writes null */
void	 json_stringn(struct json *, const char *, size_t);
void	 json_int(struct json *, int64_t);
void	 json_bool(struct json *, int);
void	 json_null(struct json *);
void	 json_time(struct json *, int64_t);	/* RFC 3339 UTC; 0 writes null */
/* Returns the text (owned by the caller, ends with a newline). */
char	*json_finish(struct json *);

#endif
