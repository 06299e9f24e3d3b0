/* The states a request goes through (SPEC "States"). */
#include "autoconf.h"
#include "states.h"

#include <string.h>

const char *const state_names[] = {
	"invalid",
	"awaiting_confirmation",
	"pending_approval",
	"approved",
	"rejected",
	"returned",
	"expired",
	"revoking",
	"revoked",
	"failed",
	NULL,
};

static const char *const final_states[] = {
	"invalid", "rejected", "returned", "expired", "revoked", NULL,
};

static int
in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

int
state_valid(const char *name)
{
	return name != NULL && in(state_names, name);
}

int
state_final(const char *name)
{
	return name != NULL && in(final_states, name);
}
