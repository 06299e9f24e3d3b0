/* The local CA's key and certificate (see ca_local.h). */
#include "autoconf.h"
#include "ca_local.h"
#include "util.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Write the PEM in mem to path with mode, never over an existing file. */
static int
write_pem(BIO *mem, const char *path, int mode, char **error_r)
{
	char	*data;
	long	 n = BIO_get_mem_data(mem, &data);
	int	 r;

	r = file_create_excl(path, mode, data, (size_t)n, error_r);
	return r == 0 ? 0 : r == 1 ? 1 : -1;
}

int
ca_local_create(const char *dir, const char *subject_cn, int days,
    char **error_r)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	BIGNUM		*bn = NULL;
	BIO		*kb = NULL, *cb = NULL;
	char		*kpath, *cpath;
	unsigned char	 serial[16];
	int		 ret = -1, r;

	kpath = xasprintf("%s/%s", dir, CA_LOCAL_KEY);
	cpath = xasprintf("%s/%s", dir, CA_LOCAL_CERT);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (access(kpath, F_OK) == 0 || access(cpath, F_OK) == 0) {
		if (access(kpath, F_OK) != 0 || access(cpath, F_OK) != 0) {
			*error_r = xasprintf("%s: has one of %s and %s but not the "
			    "other; fix it by hand", dir, CA_LOCAL_KEY, CA_LOCAL_CERT);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    RAND_bytes(serial, sizeof(serial)) != 1) {
		*error_r = xstrdup("cannot make the CA key");
		goto out;
	}
	serial[0] &= 0x7f;	/* positive */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL ||
	    !X509_set_pubkey(x, key)) {
		*error_r = xstrdup("cannot make the CA certificate");
		goto out;
	}
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)subject_cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, key, EVP_sha256())) {
		*error_r = xstrdup("cannot sign the CA certificate");
		goto out;
	}
	/* The key's PEM lives in secure memory, wiped when freed. */
	if ((kb = BIO_new(BIO_s_secmem())) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x)) {
		*error_r = xstrdup("cannot encode the CA");
		goto out;
	}
	/* The key first: a certificate without its key would be useless. */
	if ((r = write_pem(kb, kpath, 0600, error_r)) != 0 ||
	    (r = write_pem(cb, cpath, 0644, error_r)) != 0) {
		if (r == 1)
			*error_r = xasprintf("%s appeared while it was being made", dir);
		goto out;
	}
	ret = 1;
out:
	BIO_free(kb);
	BIO_free(cb);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	free(kpath);
	free(cpath);
	return ret;
}
