/* Revocation backends: choosing one and calling it (see ca.h). */
#include "autoconf.h"
#include "ca.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int
ca_open(const struct config *cfg, struct ca_backend **ca_r, char **error_r)
{
	struct ca_backend	*ca;

	ca = xcalloc(1, sizeof(*ca));
	ca->cfg = cfg;
	switch (cfg->ca.backend) {
	case BACKEND_LOCAL:
		ca->ops = &ca_local_ops;
		break;
	case BACKEND_MANUAL:
		ca->ops = &ca_manual_ops;
		break;
	case BACKEND_CFSSL:
		ca->ops = &ca_cfssl_ops;
		break;
	case BACKEND_EJBCA:
		ca->ops = &ca_ejbca_ops;
		break;
	}
	if (ca->ops->start != NULL && ca->ops->start(ca, error_r) == -1) {
		free(ca);
		return -1;
	}
	*ca_r = ca;
	return 0;
}

void
ca_close(struct ca_backend **cap)
{
	struct ca_backend	*ca = *cap;

	if (ca == NULL)
		return;
	if (ca->ops->stop != NULL)
		ca->ops->stop(ca);
	free(ca);
	*cap = NULL;
}

enum ca_status
ca_revoke(struct ca_backend *ca, const struct ca_revocation *rv,
    struct ca_result *res, char **error_r)
{
	memset(res, 0, sizeof(*res));
	*error_r = NULL;
	if (ca->ops->revoke == NULL) {
		*error_r = xasprintf("the %s backend does not revoke by itself",
		    ca->ops->name);
		return CA_PERMANENT;
	}
	return ca->ops->revoke(ca, rv, res, error_r);
}

enum ca_status
ca_tick(struct ca_backend *ca, int64_t t, char **error_r)
{
	*error_r = NULL;
	if (ca->ops->tick == NULL)
		return CA_OK;
	return ca->ops->tick(ca, t, error_r);
}

void
ca_result_clear(struct ca_result *res)
{
	free(res->detail);
	res->detail = NULL;
}

const char *
ca_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise",
		"affiliationChanged", "superseded", "cessationOfOperation",
		"certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
		"aACompromise",
	};

	if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[reason];
}
