/* libFuzzer target: Authentication-Results (src/authres.h). The first
 * line of the input is parsed as one header value; then every line
 * (at most 32) becomes one Authentication-Results header of a message,
 * top first, and the DMARC verdict is taken twice: with a fixed trusted
 * authserv-id, and with the one the first line names (so the trusted
 * path is reached). Invariant: dmarc=pass is only ever the verdict when
 * the trusted header's parse gives dmarc "pass" and header.from. */
#include "autoconf.h"

#include <strings.h>

#include "authres.h"
#include "message.h"

#include "fuzz.h"

#define HEADERS_MAX	32

static char	 ar[] = "Authentication-Results", other[] = "X-Other";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message_header	 hdr[HEADERS_MAX];
	struct message		 m;
	enum authres_dmarc	 v;
	char			*text, *p, *nl, *id = NULL, *dmarc = NULL, *hfrom = NULL;
	size_t			 n = 0;
	int			 r;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	text = fuzz_cstr(data, size);

	memset(&m, 0, sizeof(m));
	for (p = text; n < HEADERS_MAX; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		hdr[n].name = n % 5 == 4 ? other : ar;
		hdr[n].value = p;
		n++;
		if (nl == NULL)
			break;
	}
	m.headers = hdr;
	m.nheaders = n;

	r = authres_parse(hdr[0].value, &id, &dmarc, &hfrom);
	if (r == 0)
		FUZZ_CHECK(id != NULL && dmarc != NULL && hfrom != NULL);
	else
		FUZZ_CHECK(id == NULL && dmarc == NULL && hfrom == NULL);

	(void)authres_dmarc(&m, "mx.example.go.id", "example.go.id");
	(void)authres_dmarc(&m, NULL, "example.go.id");
	if (id != NULL && id[0] != '\0') {
		v = authres_dmarc(&m, id, hfrom[0] != '\0' ? hfrom : "example.go.id");
		/* The first header is the topmost and it is trusted: it alone
		 * decides. */
		if (v == DMARC_PASS)
			FUZZ_CHECK(strcmp(dmarc, "pass") == 0);
		if (strcmp(dmarc, "pass") == 0 && hfrom[0] != '\0')
			FUZZ_CHECK(v == DMARC_PASS);
	}
	free(id);
	free(dmarc);
	free(hfrom);
	free(text);
	return 0;
}
