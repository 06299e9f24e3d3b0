/* Classification of a parsed mail (SPEC "Promises"): automatic mail,
 * which is recorded and never answered; a reply carrying a cabut token;
 * or a request. Tokens are only found here; token.c verifies them. */
#ifndef CABUT_CLASSIFY_H
#define CABUT_CLASSIFY_H

#include <stddef.h>

#include "message.h"
#include "token.h"

#define CLASSIFY_MAX_TOKENS	8

enum mail_class {
	CLASS_REQUEST,
	CLASS_REPLY,		/* carries one or more cabut tokens */
	CLASS_AUTOMATIC,	/* never answered */
};

struct classify_ctx {
	const char	*own_addr;	/* smtp.from address */
	const char	*reply_local;	/* local part of smtp.reply_to */
	const char	*reply_domain;	/* its domain */
};

struct classification {
	enum mail_class	 cls;
	const char	*why;		/* static text: the rule that decided */
	/* Distinct tokens found (plus address first, then In-Reply-To,
	 * References), each owned. Filled for every class, so a bounce of an
	 * approval mail can still be traced to its request. */
	char		*tokens[CLASSIFY_MAX_TOKENS];
	size_t		 ntokens;
};

void	 classify(const struct classify_ctx *, const struct message *,
	    struct classification *);
void	 classification_clear(struct classification *);

/* The reason a mail is automatic, or NULL (exposed for tests). */
const char	*classify_automatic(const struct classify_ctx *, const struct message *);


#endif
