/* Authentication-Results (RFC 8601) as SPEC "Authentication" reads it:
 * only the topmost header whose authserv-id is the trusted one counts
 * (a sender can add any header below it); the DMARC result is read by
 * parsing, never by searching for "dmarc=pass". */
#ifndef CABUT_AUTHRES_H
#define CABUT_AUTHRES_H

#include "message.h"

enum authres_dmarc {
	DMARC_NONE,		/* no trusted header, or no dmarc result in it */
	DMARC_PASS,		/* dmarc=pass and header.from is the From domain */
	DMARC_FAIL,		/* any other dmarc result, or header.from not the From domain */
};

/* Parse one header value: authserv-id and the dmarc result with its
 * header.from property. 0 parsed (dmarc_r may be "" when absent), -1
 * malformed. Outputs owned. */
int	authres_parse(const char *value, char **authserv_id_r, char **dmarc_r,
	    char **header_from_r);

/* The verdict for a message: trusted_id NULL or "" always gives
 * DMARC_NONE. from_domain is the From address's domain. */
enum authres_dmarc authres_dmarc(const struct message *, const char *trusted_id,
		    const char *from_domain);

#endif
