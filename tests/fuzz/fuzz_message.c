/* libFuzzer target: the MIME message parser (message_parse and
 * message_parse_headers with the default limits), and what cabutd runs
 * right after it on the parsed mail: classification and the
 * Authentication-Results verdict. Also the two text helpers the parser
 * exports (RFC 2047 words, HTML to text) on the raw input. */
#include "autoconf.h"

#include <string.h>

#include "authres.h"
#include "classify.h"
#include "message.h"

#include "fuzz.h"

static const struct classify_ctx ctx = {
	"cabut@example.go.id", "cabut", "example.go.id",
};

static void
use_message(const struct message *m)
{
	struct classification	 cls;
	const char		*dom;
	size_t			 i;

	FUZZ_CHECK(m->text != NULL);
	for (i = 0; i < m->nattachments; i++)
		FUZZ_CHECK(m->attachments[i].data != NULL ||
		    m->attachments[i].size == 0);
	memset(&cls, 0, sizeof(cls));
	classify(&ctx, m, &cls);
	FUZZ_CHECK(cls.ntokens <= CLASSIFY_MAX_TOKENS);
	/* process.c hands m->from.addr to token_verify and the answers for
	 * any mail that is not automatic. */
	if (cls.cls != CLASS_AUTOMATIC)
		FUZZ_CHECK(m->from.addr != NULL);
	classification_clear(&cls);
	(void)classify_automatic(&ctx, m);
	dom = m->from.addr != NULL ? strrchr(m->from.addr, '@') : NULL;
	(void)authres_dmarc(m, "mx.example.go.id", dom != NULL ? dom + 1 : NULL);
	(void)message_header(m, "Authentication-Results", 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message			*m = NULL;
	char				*reason = NULL, *s, *t;

	if (size > FUZZ_MAX_INPUT)
		return 0;

	/* Whole message: raw bytes, not NUL-terminated, so ASan sees any
	 * read past the end. */
	if (message_parse((const char *)data, size, &lim, &m, &reason) == 0) {
		FUZZ_CHECK(m != NULL);
		FUZZ_CHECK(m->size == size);
		use_message(m);
	} else
		FUZZ_CHECK(reason != NULL);
	message_free(&m);
	free(reason);
	reason = NULL;

	/* Header block only (the path for mails too large to fetch). */
	if (message_parse_headers((const char *)data, size, &lim, &m,
	    &reason) == 0) {
		FUZZ_CHECK(m != NULL);
		(void)message_header(m, "From", 0);
	}
	message_free(&m);
	free(reason);

	t = message_html_to_text((const char *)data, size, 64 * 1024);
	if (t != NULL)
		FUZZ_CHECK(strlen(t) <= 64 * 1024);
	free(t);
	if (size <= 16 * 1024) {
		s = fuzz_cstr(data, size);
		free(message_decode_words(s));
		free(s);
	}
	return 0;
}
