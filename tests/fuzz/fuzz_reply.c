/* libFuzzer target: a reply's own text and its decision (src/reply.h).
 * The input is the body text of a reply: reply_own_text cuts the quoted
 * part, reply_decision reads the first word and the rest of its
 * paragraph, and every line goes through reply_line_decides (which
 * cabut's own mails rely on). */
#include "autoconf.h"

#include <string.h>

#include "reply.h"

#include "fuzz.h"

#define LINES_MAX	512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum reply_word	 w;
	char		*text, *own, *rest = NULL, *p, *nl;
	size_t		 i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	text = fuzz_cstr(data, size);

	own = reply_own_text(text);
	FUZZ_CHECK(own != NULL);
	FUZZ_CHECK(strlen(own) <= strlen(text));
	w = reply_decision(own, &rest);
	FUZZ_CHECK(rest != NULL);
	FUZZ_CHECK(reply_word_name(w) != NULL);
	/* A word that decides, on the first line, is seen by the line check. */
	if (w != REPLY_NONE && strchr(own, '\n') == NULL)
		FUZZ_CHECK(reply_line_decides(own) == 1);
	free(rest);
	rest = NULL;
	free(own);

	/* The decision on the raw text too (an OP's mail without quotes). */
	(void)reply_decision(text, &rest);
	free(rest);
	(void)reply_decision(NULL, NULL);

	for (p = text, i = 0; *p != '\0' && i < LINES_MAX; p = nl + 1, i++) {
		(void)reply_line_decides(p);
		if ((nl = strchr(p, '\n')) == NULL)
			break;
	}
	free(text);
	return 0;
}
