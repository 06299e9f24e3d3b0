/* The local CA (see localca.h): key, certificate, ca.db, issuing,
 * revoking and the CRL. */
#include "autoconf.h"
#include "localca.h"
#include "store.h"
#include "crl.h"
#include "config.h"
#include "registry.h"
#include "request.h"
#include "util.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <sqlite3.h>

#define LOCALCA_APPLICATION_ID	0x43424341	/* "CBCA" */
#define LOCALCA_BUSY_MS		5000
#define LOCALCA_KEY_MAX		(64 * 1024)
#define LOCALCA_SERIAL_MAX	40		/* hex digits: 20 octets */
#define LOCALCA_TEXT_MAX	1024		/* subject, username */
#define LOCALCA_LOCK		".crl.lock"

/* Schema migrations, as in store.c: migrations[i] takes ca.db from
 * version i to i + 1. Append only. Times are Unix seconds (UTC). */
static const char *const migrations[] = {
	"CREATE TABLE issued ("
	"  serial TEXT PRIMARY KEY,"		/* uppercase hex, no leading zeros */
	"  subject TEXT NOT NULL,"		/* RFC 2253 */
	"  email TEXT NOT NULL,"
	"  username TEXT,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  der BLOB NOT NULL,"
	"  issued INTEGER NOT NULL"
	");"
	"CREATE TABLE revoked ("
	"  serial TEXT PRIMARY KEY REFERENCES issued(serial),"
	"  revoked_at INTEGER NOT NULL,"
	"  reason INTEGER NOT NULL,"		/* RFC 5280 CRLReason */
	"  invalidity_date INTEGER,"		/* NULL: none */
	"  updated INTEGER NOT NULL"		/* last change: the reason raised */
	");"
	/* One row. number: the last CRL number taken, never reused;
	 * written, this_update, next_update: the CRL in crl.pem/crl.der;
	 * changes: revocation changes made, listed: those on that CRL. */
	"CREATE TABLE crl ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  number INTEGER NOT NULL,"
	"  written INTEGER NOT NULL DEFAULT 0,"
	"  this_update INTEGER,"
	"  next_update INTEGER,"
	"  changes INTEGER NOT NULL DEFAULT 0,"
	"  listed INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO crl (id, number) VALUES (1, 0);"
	"CREATE TRIGGER crl_number_grows BEFORE UPDATE OF number ON crl"
	"  WHEN NEW.number <= OLD.number"
	"  BEGIN SELECT RAISE(ABORT, 'the CRL number only grows'); END;",
};

struct localca {
	char		*dir;
	int		 crl_days;
	EVP_PKEY	*key;
	X509		*cert;
	sqlite3		*db;
};

/* The CRL row. */
struct crl_state {
	uint64_t	 number, written, changes, listed;
	int64_t		 this_update, next_update;
};

static char *
db_error(sqlite3 *db, const char *what)
{
	return xasprintf("ca.db: %s: %s", what, sqlite3_errmsg(db));
}

/* store.c's helpers, with errors named after ca.db. */
static int
exec_sql(sqlite3 *db, const char *sql, char **error_r)
{
	char	*err = NULL;

	if (store_sql_exec(db, sql, &err) == -1) {
		*error_r = xasprintf("ca.db: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
pragma_int(sqlite3 *db, const char *sql, int64_t *v, char **error_r)
{
	char	*err = NULL;

	if (store_sql_int(db, sql, v, &err) == -1) {
		*error_r = xasprintf("ca.db: %s: %s", sql, err);
		free(err);
		return -1;
	}
	return 0;
}

static int
migrate(sqlite3 *db, char **error_r)
{
	size_t	 n = sizeof(migrations) / sizeof(migrations[0]);
	int64_t	 v;
	char	*sql;

	if (exec_sql(db, "BEGIN IMMEDIATE", error_r) == -1)
		return -1;
	if (pragma_int(db, "PRAGMA user_version", &v, error_r) == -1)
		goto fail;
	for (; v < (int64_t)n; v++) {
		if (exec_sql(db, migrations[v], error_r) == -1)
			goto fail;
		sql = xasprintf("PRAGMA user_version = %lld;"
		    "PRAGMA application_id = %d", (long long)(v + 1),
		    LOCALCA_APPLICATION_ID);
		if (exec_sql(db, sql, error_r) == -1) {
			free(sql);
			goto fail;
		}
		free(sql);
	}
	if (exec_sql(db, "COMMIT", error_r) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

#define DB_CREATE	0x1	/* make ca.db (0600) when missing */
#define DB_READONLY	0x2

/* Open dir/ca.db, check it is ours and migrate it. */
static int
db_open(const char *dir, int flags, sqlite3 **db_r, char **error_r)
{
	sqlite3		*db = NULL;
	struct stat	 sb;
	char		*path, *err = NULL;
	int64_t		 version, appid, ntables;
	int		 fd, oflags;

	*db_r = NULL;
	path = xasprintf("%s/%s", dir, LOCALCA_DB);
	if (stat(path, &sb) == -1) {
		if (errno != ENOENT || !(flags & DB_CREATE)) {
			*error_r = errno == ENOENT ?
			    xasprintf("%s: missing (run cabutctl init)", path) :
			    xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		/* sqlite would create it 0644. */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) == -1 && errno != EEXIST) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (fd != -1)
			close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		goto fail;
	}
	oflags = SQLITE_OPEN_NOMUTEX | ((flags & DB_READONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	if (sqlite3_open_v2(path, &db, oflags, NULL) != SQLITE_OK) {
		*error_r = xasprintf("%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, LOCALCA_BUSY_MS);
	if (pragma_int(db, "PRAGMA user_version", &version, &err) == -1 ||
	    pragma_int(db, "PRAGMA application_id", &appid, &err) == -1 ||
	    pragma_int(db, "SELECT count(*) FROM sqlite_master", &ntables,
	    &err) == -1) {
		*error_r = xasprintf("%s: not usable (%s)", path, err);
		goto fail;
	}
	if (appid != LOCALCA_APPLICATION_ID && (appid != 0 || ntables != 0)) {
		*error_r = xasprintf("%s: not a cabut CA database", path);
		goto fail;
	}
	if (version > (int64_t)(sizeof(migrations) / sizeof(migrations[0]))) {
		*error_r = xasprintf("%s: schema version %lld is newer than "
		    "this cabut's", path, (long long)version);
		goto fail;
	}
	if (flags & DB_READONLY) {
		if (version == 0) {
			*error_r = xasprintf("%s: empty (run cabutctl init)", path);
			goto fail;
		}
	} else if (exec_sql(db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;", &err) == -1 ||
	    migrate(db, &err) == -1) {
		*error_r = xasprintf("%s: %s", path, err);
		goto fail;
	}
	free(path);
	*db_r = db;
	return 0;
fail:
	free(err);
	free(path);
	sqlite3_close_v2(db);
	return -1;
}

static int
add_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A random positive 16-octet serial. */
static int
set_serial(X509 *x)
{
	unsigned char	 serial[16];
	BIGNUM		*bn;
	int		 ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return 0;
	serial[0] &= 0x7f;
	serial[0] |= 0x01;	/* never a short one */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL)
		return 0;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* Write the PEM in mem to path with mode, never over an existing file. */
static int
write_pem(BIO *mem, const char *path, int mode, char **error_r)
{
	char	*data;
	long	 n = BIO_get_mem_data(mem, &data);

	return file_create_excl(path, mode, data, (size_t)n, error_r);
}

/* Replace dir/name with data: a temporary file, fsync, rename, and the
 * directory synced. */
static int
file_replace(const char *dir, const char *name, int mode, const void *data,
    size_t len, char **error_r)
{
	const char	*p = data;
	char		*tmp, *path;
	ssize_t		 n;
	int		 fd, dfd, ret = -1;

	tmp = xasprintf("%s/.%s.%ld.tmp", dir, name, (long)getpid());
	path = xasprintf("%s/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode)) == -1) {
		*error_r = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
	goto out;
fail:
	*error_r = xasprintf("%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return ret;
}

int
localca_create(const char *dir, const char *subject_cn, int days,
    char **error_r)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	BIO		*kb = NULL, *cb = NULL;
	sqlite3		*db = NULL;
	char		*kpath, *cpath;
	int		 ret = -1, r, have_key, have_cert;

	kpath = xasprintf("%s/%s", dir, LOCALCA_KEY);
	cpath = xasprintf("%s/%s", dir, LOCALCA_CERT);
	if (days < 1 || days > LOCALCA_MAX_DAYS) {
		*error_r = xasprintf("CA lifetime of %d days out of range", days);
		goto out;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	have_key = access(kpath, F_OK) == 0;
	have_cert = access(cpath, F_OK) == 0;
	if (have_key != have_cert) {
		*error_r = xasprintf("%s: has one of %s and %s but not the "
		    "other; fix it by hand", dir, LOCALCA_KEY, LOCALCA_CERT);
		goto out;
	}
	if (have_key) {
		ret = 0;
		goto db;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL) {
		*error_r = openssl_error("cannot make the CA key");
		goto out;
	}
	if (!set_serial(x) || !X509_set_version(x, X509_VERSION_3) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL ||
	    !X509_set_pubkey(x, key)) {
		*error_r = openssl_error("cannot make the CA certificate");
		goto out;
	}
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)subject_cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, x, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, key, EVP_sha256())) {
		*error_r = openssl_error("cannot sign the CA certificate");
		goto out;
	}
	/* The key's PEM lives in secure memory, wiped when freed. */
	if ((kb = BIO_new(BIO_s_secmem())) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x)) {
		*error_r = openssl_error("cannot encode the CA");
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
db:
	if (db_open(dir, DB_CREATE, &db, error_r) == -1)
		ret = -1;
out:
	sqlite3_close_v2(db);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	free(kpath);
	free(cpath);
	return ret;
}

static EVP_PKEY *
load_key(const char *path, char **error_r)
{
	unsigned char	*data;
	size_t		 len;
	BIO		*b;
	EVP_PKEY	*key = NULL;

	if (file_read_secret(path, LOCALCA_KEY_MAX, &data, &len, error_r) == -1)
		return NULL;
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("%s: not a PEM private key", path);
	}
	BIO_free(b);
	OPENSSL_cleanse(data, len);
	free(data);
	return key;
}

static X509 *
load_cert(const char *path, char **error_r)
{
	BIO	*b;
	X509	*x = NULL;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		*error_r = xasprintf("%s: not a PEM certificate", path);
	}
	BIO_free(b);
	return x;
}

int
localca_open(const char *dir, int crl_days, struct localca **ca_r,
    char **error_r)
{
	struct localca	*ca;
	char		*path;

	*ca_r = NULL;
	if (crl_days < 1 || crl_days > LOCALCA_MAX_CRL_DAYS) {
		*error_r = xasprintf("crl_days %d out of range (1 to %d)",
		    crl_days, LOCALCA_MAX_CRL_DAYS);
		return -1;
	}
	ca = xcalloc(1, sizeof(*ca));
	ca->dir = xstrdup(dir);
	ca->crl_days = crl_days;
	path = xasprintf("%s/%s", dir, LOCALCA_KEY);
	ca->key = load_key(path, error_r);
	free(path);
	if (ca->key == NULL)
		goto fail;
	path = xasprintf("%s/%s", dir, LOCALCA_CERT);
	ca->cert = load_cert(path, error_r);
	free(path);
	if (ca->cert == NULL)
		goto fail;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		*error_r = xasprintf("%s: %s and %s do not belong together",
		    dir, LOCALCA_KEY, LOCALCA_CERT);
		goto fail;
	}
	if (db_open(dir, 0, &ca->db, error_r) == -1)
		goto fail;
	*ca_r = ca;
	return 0;
fail:
	localca_close(&ca);
	return -1;
}

void
localca_close(struct localca **cap)
{
	struct localca	*ca = *cap;

	if (ca == NULL)
		return;
	sqlite3_close_v2(ca->db);
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->dir);
	free(ca);
	*cap = NULL;
}

X509 *
localca_cert(struct localca *ca)
{
	return ca->cert;
}

/* serial in ca.db's spelling (uppercase hex, no leading zeros), owned;
 * NULL unless 1 to LOCALCA_SERIAL_MAX hex digits. */
static char *
serial_norm(const char *serial)
{
	char	*out;
	size_t	 i, n;

	if (serial == NULL || (n = strlen(serial)) == 0 ||
	    n > LOCALCA_SERIAL_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", serial[i]) == NULL)
			return NULL;
	if (request_serial_normalise(serial, &out) == -1)
		return NULL;
	return out;
}

/* A username for ca.db: printable, no control characters. */
static int
text_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > LOCALCA_TEXT_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
add_email_san(X509 *x, const char *email)
{
	GENERAL_NAMES	*gens = NULL;
	GENERAL_NAME	*gen = NULL;
	ASN1_IA5STRING	*ia5 = NULL;
	int		 ok = 0;

	if ((gens = GENERAL_NAMES_new()) == NULL ||
	    (gen = GENERAL_NAME_new()) == NULL ||
	    (ia5 = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(ia5, email, -1))
		goto out;
	GENERAL_NAME_set0_value(gen, GEN_EMAIL, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen))
		goto out;
	gen = NULL;
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return ok;
}

int
localca_issue(struct localca *ca, const char *subject_dn, const char *email,
    const char *username, int days, int64_t now, char **key_pem_r,
    char **serial_r, unsigned char **der_r, size_t *der_len_r,
    char **error_r)
{
	X509_NAME	*name = NULL;
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	ASN1_TIME	*t = NULL;
	BIO		*kb = NULL;
	sqlite3_stmt	*st = NULL;
	char		*serial = NULL, *subject = NULL, *kpem;
	unsigned char	*der = NULL, *p;
	long		 klen;
	int		 len, ret = -1;

	if (key_pem_r != NULL)
		*key_pem_r = NULL;
	*serial_r = NULL;
	*der_r = NULL;
	*der_len_r = 0;
	if (subject_dn == NULL || strlen(subject_dn) > LOCALCA_TEXT_MAX ||
	    (name = request_dn_parse(subject_dn)) == NULL ||
	    X509_NAME_entry_count(name) == 0) {
		ERR_clear_error();
		*error_r = xasprintf("bad subject DN \"%s\"",
		    subject_dn != NULL ? subject_dn : "");
		goto out;
	}
	if (email == NULL || !config_addr_valid(email)) {
		*error_r = xasprintf("bad e-mail address \"%s\"",
		    email != NULL ? email : "");
		goto out;
	}
	if (username != NULL && !text_ok(username)) {
		*error_r = xstrdup("bad username");
		goto out;
	}
	if (days < 1 || days > LOCALCA_MAX_DAYS || now <= 0) {
		*error_r = xasprintf("bad lifetime (%d days)", days);
		goto out;
	}
	ERR_clear_error();
	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    !set_serial(x) || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    (t = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    !X509_set1_notBefore(x, t) ||
	    ASN1_TIME_set(t, (time_t)(now + (int64_t)days * 86400)) == NULL ||
	    !X509_set1_notAfter(x, t) || !X509_set_pubkey(x, key)) {
		*error_r = openssl_error("cannot make the certificate");
		goto out;
	}
	if (!add_ext(ca->cert, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca->cert, x, NID_key_usage,
	    "critical,digitalSignature,nonRepudiation") ||
	    !add_ext(ca->cert, x, NID_ext_key_usage, "emailProtection") ||
	    !add_ext(ca->cert, x, NID_subject_key_identifier, "hash") ||
	    !add_ext(ca->cert, x, NID_authority_key_identifier,
	    "keyid:always") ||
	    !add_email_san(x, email) ||
	    !X509_sign(x, ca->key, EVP_sha256())) {
		*error_r = openssl_error("cannot sign the certificate");
		goto out;
	}
	if ((len = i2d_X509(x, NULL)) <= 0) {
		*error_r = openssl_error("certificate to DER");
		goto out;
	}
	der = xmalloc((size_t)len);
	p = der;
	if (i2d_X509(x, &p) != len) {
		*error_r = openssl_error("certificate to DER");
		goto out;
	}
	serial = registry_serial_text(x);
	subject = registry_name_text(X509_get_subject_name(x));

	if (sqlite3_prepare_v2(ca->db,
	    "INSERT INTO issued (serial, subject, email, username, not_before,"
	    " not_after, der, issued) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, email, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (username != NULL ?
	    sqlite3_bind_text(st, 4, username, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now + (int64_t)days * 86400) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 7, der, len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, now) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		*error_r = db_error(ca->db, "recording the certificate");
		goto out;
	}
	if (key_pem_r != NULL) {
		if ((kb = BIO_new(BIO_s_secmem())) == NULL ||
		    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL,
		    NULL) || (klen = BIO_get_mem_data(kb, &kpem)) <= 0) {
			*error_r = openssl_error("cannot encode the key");
			goto out;
		}
		*key_pem_r = xstrndup(kpem, (size_t)klen);
	}
	*serial_r = serial;
	*der_r = der;
	*der_len_r = (size_t)len;
	serial = NULL;
	der = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	BIO_free(kb);
	ASN1_TIME_free(t);
	X509_free(x);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	free(serial);
	free(subject);
	free(der);
	return ret;
}

static int
crl_state_get(sqlite3 *db, struct crl_state *cs, char **error_r)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (sqlite3_prepare_v2(db, "SELECT number, written, this_update,"
	    " next_update, changes, listed FROM crl WHERE id = 1", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		*error_r = db_error(db, "reading the CRL number");
		goto out;
	}
	cs->number = (uint64_t)sqlite3_column_int64(st, 0);
	cs->written = (uint64_t)sqlite3_column_int64(st, 1);
	cs->this_update = sqlite3_column_int64(st, 2);
	cs->next_update = sqlite3_column_int64(st, 3);
	cs->changes = (uint64_t)sqlite3_column_int64(st, 4);
	cs->listed = (uint64_t)sqlite3_column_int64(st, 5);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* One statement without rows: v[i] bound to ?i+1, serial (may be NULL)
 * to ?n+1. */
static int
exec_bind(sqlite3 *db, const char *sql, const char *serial, const int64_t *v,
    int n, char **error_r)
{
	sqlite3_stmt	*st = NULL;
	int		 i, ret = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if (sqlite3_bind_int64(st, i + 1, v[i]) != SQLITE_OK)
			goto fail;
	if (serial != NULL &&
	    sqlite3_bind_text(st, n + 1, serial, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	ret = 0;
	goto out;
fail:
	*error_r = db_error(db, "update");
out:
	sqlite3_finalize(st);
	return ret;
}

/* The revocations as CRL entries; serials[i] owns e[i].serial. */
struct entries {
	struct crl_entry	*e;
	char			**serials;
	size_t			 n;
};

static void
entries_free(struct entries *es)
{
	size_t	 i;

	for (i = 0; i < es->n; i++)
		free(es->serials[i]);
	free(es->serials);
	free(es->e);
	memset(es, 0, sizeof(*es));
}

static int
entries_get(sqlite3 *db, struct entries *es, char **error_r)
{
	sqlite3_stmt	*st = NULL;
	size_t		 cap = 0, n;
	int		 rc;

	memset(es, 0, sizeof(*es));
	if (sqlite3_prepare_v2(db, "SELECT serial, revoked_at, reason,"
	    " invalidity_date FROM revoked ORDER BY serial", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((n = es->n) == cap) {
			cap = cap ? cap * 2 : 16;
			es->e = xreallocarray(es->e, cap, sizeof(*es->e));
			es->serials = xreallocarray(es->serials, cap,
			    sizeof(*es->serials));
		}
		es->serials[n] = xstrdup((const char *)sqlite3_column_text(st, 0));
		es->e[n].serial = es->serials[n];
		es->e[n].revoked = sqlite3_column_int64(st, 1);
		/* RFC 5280: leave the extension out rather than say
		 * unspecified. */
		es->e[n].reason = sqlite3_column_int(st, 2);
		if (es->e[n].reason == 0)
			es->e[n].reason = -1;
		es->e[n].invalidity_date = sqlite3_column_int64(st, 3);
		es->n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	*error_r = db_error(db, "reading the revocations");
	sqlite3_finalize(st);
	entries_free(es);
	return -1;
}

static int
crl_files_present(const char *dir)
{
	char	*a, *b;
	int	 r;

	a = xasprintf("%s/%s", dir, LOCALCA_CRL_PEM);
	b = xasprintf("%s/%s", dir, LOCALCA_CRL_DER);
	r = access(a, F_OK) == 0 && access(b, F_OK) == 0;
	free(a);
	free(b);
	return r;
}

int
localca_crl(struct localca *ca, int64_t now, int force, uint64_t *number_r,
    int64_t *next_update_r, char **error_r)
{
	struct crl_state	 cs;
	struct entries		 es;
	size_t			 pemlen, derlen;
	char			*pem = NULL, *lock;
	unsigned char		*der = NULL;
	uint64_t		 number;
	int64_t			 v[4];
	int			 lfd, due, ret = -1;

	memset(&es, 0, sizeof(es));
	/* One writer of the files at a time (the CA process, cabutctl). */
	lock = xasprintf("%s/%s", ca->dir, LOCALCA_LOCK);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || flock(lfd, LOCK_EX) == -1) {
		*error_r = xasprintf("%s: %s", lock, strerror(errno));
		goto out;
	}
	if (exec_sql(ca->db, "BEGIN IMMEDIATE", error_r) == -1)
		goto out;
	if (crl_state_get(ca->db, &cs, error_r) == -1)
		goto rollback;
	due = force || cs.written == 0 || cs.changes > cs.listed ||
	    cs.next_update - now < (int64_t)ca->crl_days * 86400 / 2 ||
	    !crl_files_present(ca->dir);
	if (!due) {
		sqlite3_exec(ca->db, "ROLLBACK", NULL, NULL, NULL);
		if (number_r != NULL)
			*number_r = cs.written;
		if (next_update_r != NULL)
			*next_update_r = cs.next_update;
		ret = 0;
		goto out;
	}
	/* Taken and committed before anything is written. */
	number = cs.number + 1;
	v[0] = (int64_t)number;
	if (exec_bind(ca->db, "UPDATE crl SET number = ? WHERE id = 1", NULL, v, 1,
	    error_r) == -1 ||
	    entries_get(ca->db, &es, error_r) == -1 ||
	    exec_sql(ca->db, "COMMIT", error_r) == -1)
		goto rollback;
	if (crl_build(ca->cert, ca->key, es.e, es.n, number, now, ca->crl_days,
	    &pem, &pemlen, &der, &derlen, error_r) == -1 ||
	    file_replace(ca->dir, LOCALCA_CRL_DER, 0644, der, derlen,
	    error_r) == -1 ||
	    file_replace(ca->dir, LOCALCA_CRL_PEM, 0644, pem, pemlen,
	    error_r) == -1)
		goto out;
	v[0] = (int64_t)number;
	v[1] = now;
	v[2] = now + (int64_t)ca->crl_days * 86400;
	v[3] = (int64_t)cs.changes;
	if (exec_bind(ca->db, "UPDATE crl SET written = ?1, this_update = ?2,"
	    " next_update = ?3, listed = max(listed, ?4)"
	    " WHERE id = 1 AND written < ?1", NULL, v, 4, error_r) == -1)
		goto out;
	if (number_r != NULL)
		*number_r = number;
	if (next_update_r != NULL)
		*next_update_r = v[2];
	ret = 1;
	goto out;
rollback:
	sqlite3_exec(ca->db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (lfd != -1)
		close(lfd);
	free(lock);
	entries_free(&es);
	free(pem);
	free(der);
	return ret;
}

int
localca_crl_info(const char *dir, uint64_t *number_r, int64_t *this_update_r,
    int64_t *next_update_r, char **error_r)
{
	struct crl_state	 cs;
	sqlite3			*db;
	int			 ret = -1;

	if (db_open(dir, DB_READONLY, &db, error_r) == -1)
		return -1;
	if (crl_state_get(db, &cs, error_r) == 0) {
		*number_r = cs.written;
		*this_update_r = cs.this_update;
		*next_update_r = cs.next_update;
		ret = 0;
	}
	sqlite3_close_v2(db);
	return ret;
}

/* LOCALCA_* for serial (normalised), within the caller's transaction. */
static int
status_get(sqlite3 *db, const char *serial, int64_t *revoked_at_r,
    int *reason_r, int64_t *invalidity_r, char **error_r)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, ret = -1;

	if (sqlite3_prepare_v2(db, "SELECT r.revoked_at, r.reason,"
	    " r.invalidity_date, r.serial IS NOT NULL FROM issued i"
	    " LEFT JOIN revoked r ON r.serial = i.serial WHERE i.serial = ?",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC) != SQLITE_OK) {
		*error_r = db_error(db, "looking up the serial");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		ret = LOCALCA_UNKNOWN;
	else if (rc != SQLITE_ROW)
		*error_r = db_error(db, "looking up the serial");
	else if (sqlite3_column_int(st, 3) == 0)
		ret = LOCALCA_VALID;
	else {
		if (revoked_at_r != NULL)
			*revoked_at_r = sqlite3_column_int64(st, 0);
		if (reason_r != NULL)
			*reason_r = sqlite3_column_int(st, 1);
		if (invalidity_r != NULL)
			*invalidity_r = sqlite3_column_int64(st, 2);
		ret = LOCALCA_REVOKED;
	}
out:
	sqlite3_finalize(st);
	return ret;
}

int
localca_status(struct localca *ca, const char *serial, int64_t *revoked_at_r,
    int *reason_r, char **error_r)
{
	char	*s;
	int	 r;

	if ((s = serial_norm(serial)) == NULL) {
		*error_r = xasprintf("bad serial \"%s\"",
		    serial != NULL ? serial : "");
		return -1;
	}
	r = status_get(ca->db, s, revoked_at_r, reason_r, NULL, error_r);
	free(s);
	return r;
}

enum ca_status
localca_revoke(struct localca *ca, const char *serial, int reason,
    int64_t invalidity_date, int64_t now, struct ca_result *res,
    uint64_t *crl_number_r, char **error_r)
{
	struct crl_state	 cs;
	char			*s = NULL;
	int64_t			 revoked_at = 0, inval = 0, v[3];
	uint64_t		 number = 0;
	int			 st, old_reason = 0, stale = 0;
	enum ca_status		 ret = CA_TEMPORARY;

	memset(res, 0, sizeof(*res));
	if (crl_number_r != NULL)
		*crl_number_r = 0;
	if ((s = serial_norm(serial)) == NULL) {
		*error_r = xasprintf("bad serial \"%s\"",
		    serial != NULL ? serial : "");
		return CA_PERMANENT;
	}
	/* 7 is unused; removeFromCRL only belongs on delta CRLs. */
	if (reason < 0 || reason > 10 || reason == 7 || reason == 8) {
		*error_r = xasprintf("bad reason code %d", reason);
		ret = CA_PERMANENT;
		goto out;
	}
	if (invalidity_date < 0 || now <= 0) {
		*error_r = xstrdup("bad revocation times");
		ret = CA_PERMANENT;
		goto out;
	}
	if (exec_sql(ca->db, "BEGIN IMMEDIATE", error_r) == -1)
		goto out;
	if ((st = status_get(ca->db, s, &revoked_at, &old_reason, &inval,
	    error_r)) == -1 || crl_state_get(ca->db, &cs, error_r) == -1)
		goto rollback;
	switch (st) {
	case LOCALCA_UNKNOWN:
		*error_r = xasprintf("serial %s was not issued by this CA", s);
		ret = CA_PERMANENT;
		goto rollback;
	case LOCALCA_VALID:
		v[0] = now;
		v[1] = reason;
		v[2] = invalidity_date;
		if (exec_bind(ca->db, "INSERT INTO revoked (serial,"
		    " revoked_at, reason, invalidity_date, updated)"
		    " VALUES (?4, ?1, ?2, nullif(?3, 0), ?1)", s, v, 3,
		    error_r) == -1)
			goto rollback;
		revoked_at = now;
		res->reason = reason;
		res->changed = 1;
		break;
	default:
		res->reason = old_reason;
		if (reason == CA_REASON_KEY_COMPROMISE &&
		    old_reason != CA_REASON_KEY_COMPROMISE) {
			/* Raised; an earlier invalidity date comes with it. */
			v[0] = now;
			v[1] = reason;
			v[2] = invalidity_date != 0 && (inval == 0 ||
			    invalidity_date < inval) ? invalidity_date : inval;
			if (exec_bind(ca->db, "UPDATE revoked SET reason = ?2,"
			    " invalidity_date = nullif(?3, 0), updated = ?1"
			    " WHERE serial = ?4", s, v, 3, error_r) == -1)
				goto rollback;
			res->reason = reason;
			res->changed = 1;
		} else
			stale = cs.changes > cs.listed;
		break;
	}
	if (res->changed && exec_sql(ca->db,
	    "UPDATE crl SET changes = changes + 1 WHERE id = 1", error_r) == -1)
		goto rollback;
	if (exec_sql(ca->db, "COMMIT", error_r) == -1)
		goto rollback;
	res->revoked_at = revoked_at;
	/* A CRL at once; one that failed before is made now. */
	number = cs.written;
	if ((res->changed || stale) &&
	    localca_crl(ca, now, 1, &number, NULL, error_r) == -1)
		goto out;
	res->detail = xasprintf("CRL %llu", (unsigned long long)number);
	if (crl_number_r != NULL)
		*crl_number_r = number;
	ret = CA_OK;
	goto out;
rollback:
	sqlite3_exec(ca->db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(s);
	return ret;
}
