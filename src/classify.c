/* Classification of a parsed mail: automatic / reply with a token /
 * request (see classify.h). Pure logic: no I/O. */
#include "autoconf.h"
#include "classify.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The first word of a header value, lowercased into out. */
static void
first_word(const char *v, char *out, size_t outlen)
{
	size_t	 n = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v != '\0' && *v != ';' && *v != ' ' && *v != '\t' &&
	    *v != '(' && n + 1 < outlen) {
		out[n++] = (char)((*v >= 'A' && *v <= 'Z') ? *v + 32 : *v);
		v++;
	}
	out[n] = '\0';
}

/* The local part of an address is a "nobody answers here" sender. */
static int
noreply_local(const char *addr)
{
	static const char *const names[] = {
		"mailer-daemon", "postmaster", "noreply", "no-reply",
		"no_reply", "donotreply", "do-not-reply", "do_not_reply",
		"bounce", "bounces", NULL,
	};
	const char	*at = strchr(addr, '@');
	size_t		 len = at ? (size_t)(at - addr) : strlen(addr), i;

	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == len && strncasecmp(addr, names[i], len) == 0)
			return 1;
		/* noreply+tag, bounces-123 and the like */
		if (len > strlen(names[i]) && starts_with_ci(addr, names[i]) &&
		    strchr("+-_.", addr[strlen(names[i])]) != NULL &&
		    strcmp(names[i], "bounce") != 0)
			return 1;
	}
	return 0;
}

const char *
classify_automatic(const struct classify_ctx *ctx, const struct message *m)
{
	const char	*v;
	char		 word[32];
	size_t		 i;

	/* Its own mail first: a loop is the worst case. */
	if (m->from.addr != NULL && ctx->own_addr != NULL &&
	    strcasecmp(m->from.addr, ctx->own_addr) == 0)
		return "sent by cabut itself";
	if ((v = message_header(m, "X-Cabut-Loop", 0)) != NULL)
		return "sent by cabut itself (X-Cabut-Loop)";
	if ((v = message_header(m, "Auto-Submitted", 0)) != NULL) {
		first_word(v, word, sizeof(word));
		if (strcmp(word, "no") != 0)
			return "Auto-Submitted (RFC 3834)";
	}
	for (i = 0; (v = message_header(m, "Precedence", i)) != NULL; i++) {
		first_word(v, word, sizeof(word));
		if (strcmp(word, "bulk") == 0 || strcmp(word, "junk") == 0 ||
		    strcmp(word, "list") == 0)
			return "Precedence: bulk, junk or list";
	}
	if (message_header(m, "List-Id", 0) != NULL)
		return "mailing list (List-Id)";
	if (message_header(m, "List-Unsubscribe", 0) != NULL)
		return "mailing list (List-Unsubscribe)";
	if (message_header(m, "X-Autoreply", 0) != NULL ||
	    message_header(m, "X-Autorespond", 0) != NULL)
		return "auto-reply header";
	if ((v = message_header(m, "X-MS-Exchange-Inbox-Rules-Loop", 0)) != NULL)
		return "Exchange inbox rule";
	if (m->content_type != NULL &&
	    strcmp(m->content_type, "multipart/report") == 0)
		return "report (delivery status or read receipt)";
	if (m->report_type != NULL)
		return "report (delivery status or read receipt)";
	for (i = 0; i < m->nattachments; i++) {
		const char	*t = m->attachments[i].declared_type;

		if (t != NULL && (strcmp(t, "message/delivery-status") == 0 ||
		    strcmp(t, "message/disposition-notification") == 0 ||
		    strcmp(t, "message/global-delivery-status") == 0 ||
		    strcmp(t, "message/global-disposition-notification") == 0))
			return "report (delivery status or read receipt)";
	}
	if (m->return_path != NULL && m->return_path[0] == '\0')
		return "empty return path (<>)";
	if (m->from.addr == NULL)
		return "no From address";
	if (noreply_local(m->from.addr))
		return "MAILER-DAEMON or noreply sender";
	if (m->return_path != NULL && noreply_local(m->return_path))
		return "MAILER-DAEMON or noreply return path";
	return NULL;
}

static void
add_token(struct classification *c, const char *s, size_t len)
{
	size_t	 i;
	char	*t;

	if (!token_shape(s, len))
		return;
	for (i = 0; i < c->ntokens; i++)
		if (strlen(c->tokens[i]) == len && strncasecmp(c->tokens[i], s, len) == 0)
			return;
	if (c->ntokens == CLASSIFY_MAX_TOKENS)
		return;
	t = xstrndup(s, len);
	for (i = 0; i < len; i++)
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] += 32;
	c->tokens[c->ntokens++] = t;
}

/* local+TOKEN@domain, the reply_to's local part and domain. */
static void
tokens_from_address(const struct classify_ctx *ctx, const char *addr,
    struct classification *c)
{
	const char	*at, *plus;
	size_t		 llen = strlen(ctx->reply_local);

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL ||
	    strcasecmp(at + 1, ctx->reply_domain) != 0)
		return;
	if (strncasecmp(addr, ctx->reply_local, llen) != 0 || addr[llen] != '+')
		return;
	plus = addr + llen + 1;
	add_token(c, plus, (size_t)(at - plus));
}

/* Message ids "cabut.TOKEN@domain" in a space-separated list. */
static void
tokens_from_ids(const struct classify_ctx *ctx, const char *ids,
    struct classification *c)
{
	const char	*p = ids, *end, *at;
	size_t		 plen = strlen(TOKEN_MSGID_PREFIX);

	if (ids == NULL)
		return;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, " ");
		at = memchr(p, '@', (size_t)(end - p));
		if (at != NULL && (size_t)(at - p) > plen &&
		    strncmp(p, TOKEN_MSGID_PREFIX, plen) == 0 &&
		    (size_t)(end - at - 1) == strlen(ctx->reply_domain) &&
		    strncasecmp(at + 1, ctx->reply_domain, (size_t)(end - at - 1)) == 0)
			add_token(c, p + plen, (size_t)(at - p - plen));
		p = end;
	}
}

void
classify(const struct classify_ctx *ctx, const struct message *m,
    struct classification *c)
{
	const char	*why, *v;
	size_t		 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < m->nto; i++)
		tokens_from_address(ctx, m->to[i], c);
	/* The MTA's record of the envelope recipient, as Exchange may drop
	 * the plus address from To. */
	for (i = 0; (v = message_header(m, "Delivered-To", i)) != NULL; i++) {
		char	*a = xstrdup(v), *s = a, *e;

		while (*s == ' ' || *s == '<')
			s++;
		if ((e = strpbrk(s, "> \t")) != NULL)
			*e = '\0';
		tokens_from_address(ctx, s, c);
		free(a);
	}
	tokens_from_ids(ctx, m->in_reply_to, c);
	tokens_from_ids(ctx, m->references, c);

	if ((why = classify_automatic(ctx, m)) != NULL) {
		c->cls = CLASS_AUTOMATIC;
		c->why = why;
	} else if (c->ntokens > 0) {
		c->cls = CLASS_REPLY;
		c->why = c->ntokens > 1 ? "reply with more than one token" :
		    "reply with a cabut token";
	} else {
		c->cls = CLASS_REQUEST;
		c->why = "no cabut token: a request";
	}
}

void
classification_clear(struct classification *c)
{
	size_t	 i;

	for (i = 0; i < c->ntokens; i++)
		free(c->tokens[i]);
	memset(c, 0, sizeof(*c));
}
