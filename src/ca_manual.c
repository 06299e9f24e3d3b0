/* The manual backend (SPEC "Revocation backends"): for a CA with no API,
 * BSrE's AMS today. cabut calls nothing: revoke.c sends the OPs what to
 * do in the CA's own application with a token of purpose manual
 * revocation, and takes their SUDAH / DONE or the serial appearing on
 * crl_url as the revocation. */
#include "autoconf.h"
#include "ca.h"

const struct ca_backend_ops ca_manual_ops = {
	.name = "manual",
	.manual = 1,
};
