/* The local CA (backend = local, the embedded default), kept in ca.dir:
 * its key (ca.key, 0600) and self-signed certificate (ca.pem). This part
 * creates them for cabutctl init; issuing and revoking come with the
 * revocation backends. */
#ifndef CABUT_CA_LOCAL_H
#define CABUT_CA_LOCAL_H

#define CA_LOCAL_KEY	"ca.key"
#define CA_LOCAL_CERT	"ca.pem"

/* Create dir (0700) and, when absent, the CA's key and certificate; never
 * overwrites. 1 created, 0 already there, -1 with *error_r. */
int	ca_local_create(const char *dir, const char *subject_cn, int days,
	    char **error_r);

#endif
