/* S/MIME-signed replies (SPEC "The OP's mail and reply", require_smime):
 * the raw mail is read with SMIME_read_CMS and verified with OpenSSL CMS
 * against smime_ca_file with CRL checking on; the signer's certificate
 * must carry the sender's address (X509_check_email); the decision is
 * read from the signed content only. */
#ifndef CABUT_SMIME_H
#define CABUT_SMIME_H

#include <stddef.h>

/* Verify raw (the whole mail as received). On success 0 and *content_r
 * (owned) is the signed content as a MIME entity (headers + body, as
 * signed), ready for message_parse. -1 with *error_r (owned) naming why:
 * not S/MIME signed, bad signature, signer certificate not trusted,
 * revoked, no CRL, signer address is not sender, ... ca_file holds the
 * trusted CA certificates and their CRLs (PEM). */
int	smime_verify(const char *raw, size_t len, const char *ca_file,
	    const char *sender, char **content_r, size_t *content_len_r,
	    char **error_r);

#endif
