/* The states a request goes through (SPEC "States"). */
#ifndef CABUT_STATES_H
#define CABUT_STATES_H

/* 1 when name is one of the SPEC's states. */
int	 state_valid(const char *name);
/* 1 when the state is final (invalid, rejected, returned, expired, revoked). */
int	 state_final(const char *name);
/* The names, NULL-terminated, in the order a request reaches them. */
extern const char *const state_names[];

#endif
