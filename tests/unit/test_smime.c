/* smime: signed replies checked against a CA and its CRL made at test time
 * with the openssl tool. Detached and opaque, LF and CRLF, a mail client's
 * layout verify; tampered, revoked, CRL-less, other address, untrusted,
 * wrong purpose, unsigned, encrypted, oversized, garbage and truncated
 * mails are refused, without a crash. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "smime.h"
#include "util.h"

#define OP1	"op1@example.test"

static char	*dir;

/* What the OP's client signs, in canonical (CRLF) form. */
static const char body_lf[] =
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "SETUJU\n"
    "\n"
    "Terima kasih.\n"
    "[cabut #42]\n";

/* A Thunderbird-like reply: its first part, exactly as signed. */
static const char client_inner[] =
    "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "SETUJU\r\n"
    "\r\n"
    "Terima kasih.\r\n"
    "\r\n"
    "On 26/11/2026 08.00, cabut wrote:\r\n"
    "> [cabut #42] Permohonan pencabutan sertifikat\r\n"
    ">\r\n";

#define CLIENT_BOUNDARY	"------------ms010203040506070809000102"

static const char client_head[] =
    "Message-ID: <1b2c3d4e-0000-4000-8000-000000000001@example.test>\r\n"
    "Date: Thu, 26 Nov 2026 09:14:02 +0700\r\n"
    "MIME-Version: 1.0\r\n"
    "User-Agent: Mozilla Thunderbird\r\n"
    "Subject: Re: [cabut #42] Permohonan pencabutan sertifikat\r\n"
    "To: cabut+abcdefgh@example.test\r\n"
    "In-Reply-To: <approval-42@example.test>\r\n"
    "References: <approval-42@example.test>\r\n"
    "From: Operator Satu <op1@example.test>\r\n"
    "Content-Language: id\r\n"
    "Content-Type: multipart/signed;\r\n"
    " protocol=\"application/pkcs7-signature\";\r\n"
    " micalg=sha-256; boundary=\"" CLIENT_BOUNDARY "\"\r\n"
    "\r\n"
    "This is a cryptographically signed message in MIME format.\r\n"
    "\r\n"
    "--" CLIENT_BOUNDARY "\r\n";

static const char client_sig_head[] =
    "\r\n"
    "--" CLIENT_BOUNDARY "\r\n"
    "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
    "Content-Description: S/MIME Cryptographic Signature\r\n"
    "\r\n";

static const char client_tail[] =
    "\r\n"
    "--" CLIENT_BOUNDARY "--\r\n"
    "\r\n";

static const char ca_cnf[] =
    "[ ca ]\n"
    "default_ca = test_ca\n"
    "[ test_ca ]\n"
    "dir = .\n"
    "database = ./index.txt\n"
    "serial = ./serial\n"
    "crlnumber = ./crlnumber\n"
    "new_certs_dir = ./newcerts\n"
    "certificate = ./ca.pem\n"
    "private_key = ./ca.key\n"
    "default_md = sha256\n"
    "default_days = 30\n"
    "default_crl_days = 30\n"
    "policy = policy_any\n"
    "unique_subject = no\n"
    "copy_extensions = none\n"
    "email_in_dn = no\n"
    "[ int_ca ]\n"
    "dir = ./int\n"
    "database = ./int/index.txt\n"
    "serial = ./int/serial\n"
    "crlnumber = ./int/crlnumber\n"
    "new_certs_dir = ./int\n"
    "certificate = ./int.pem\n"
    "private_key = ./int.key\n"
    "default_md = sha256\n"
    "default_days = 30\n"
    "default_crl_days = 30\n"
    "policy = policy_any\n"
    "unique_subject = no\n"
    "copy_extensions = none\n"
    "email_in_dn = no\n"
    "[ policy_any ]\n"
    "commonName = supplied\n"
    "[ req ]\n"
    "distinguished_name = req_dn\n"
    "[ req_dn ]\n"
    "[ v3_ca ]\n"
    "basicConstraints = critical, CA:true\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[ v3_int ]\n"
    "basicConstraints = critical, CA:true, pathlen:0\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[ op1 ]\n"
    "basicConstraints = CA:false\n"
    "keyUsage = critical, digitalSignature, nonRepudiation\n"
    "extendedKeyUsage = emailProtection\n"
    "subjectAltName = email:op1@example.test\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[ op2 ]\n"
    "basicConstraints = CA:false\n"
    "keyUsage = critical, digitalSignature, nonRepudiation\n"
    "extendedKeyUsage = emailProtection\n"
    "subjectAltName = email:op2@example.test\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[ other ]\n"
    "basicConstraints = CA:false\n"
    "keyUsage = critical, digitalSignature, nonRepudiation\n"
    "extendedKeyUsage = emailProtection\n"
    "subjectAltName = email:other@example.test\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[ server ]\n"
    "basicConstraints = CA:false\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = email:op1@example.test\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n";

/* The CA (RSA) and its CRL, which revokes op2; OP certificates (EC) for
 * op1, op2, another address, a TLS server; a self-signed op1; the mails. */
static const char make_sh[] =
    "set -e\n"
    "O=openssl\n"
    "mkdir newcerts\n"
    ": > index.txt\n"
    "echo 1000 > serial\n"
    "echo 1000 > crlnumber\n"
    "$O req -batch -config ca.cnf -x509 -extensions v3_ca -newkey rsa:2048 "
    "-nodes -keyout ca.key -out ca.pem -subj '/CN=cabut test CA' -days 30\n"
    "for n in op1 op2 other server; do\n"
    "  $O req -batch -config ca.cnf -new -newkey ec "
    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr "
    "-subj \"/CN=$n\"\n"
    "  $O ca -batch -config ca.cnf -extensions $n -in $n.csr -out $n.pem "
    "-notext\n"
    "done\n"
    "$O req -batch -config ca.cnf -x509 -extensions op1 -newkey ec "
    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem "
    "-subj '/CN=op1' -days 30\n"
    /* An intermediate CA with a certificate for op1, which the root
     * revokes after a first CRL. */
    "mkdir int\n"
    ": > int/index.txt\n"
    "echo 2000 > int/serial\n"
    "echo 2000 > int/crlnumber\n"
    "$O req -batch -config ca.cnf -new -newkey ec "
    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr "
    "-subj '/CN=cabut test intermediate'\n"
    "$O ca -batch -config ca.cnf -extensions v3_int -in int.csr -out int.pem "
    "-notext\n"
    "$O req -batch -config ca.cnf -new -newkey ec "
    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout op1i.key -out op1i.csr "
    "-subj '/CN=op1'\n"
    "$O ca -batch -config ca.cnf -name int_ca -extensions op1 -in op1i.csr "
    "-out op1i.pem -notext\n"
    "$O ca -batch -config ca.cnf -name int_ca -gencrl -out int-crl.pem\n"
    "$O ca -batch -config ca.cnf -revoke op2.pem\n"
    "$O ca -batch -config ca.cnf -gencrl -out crl-int-good.pem\n"
    "$O ca -batch -config ca.cnf -revoke int.pem\n"
    "$O ca -batch -config ca.cnf -gencrl -out crl.pem\n"
    "$O ca -batch -config ca.cnf -gencrl -crl_lastupdate 20200101000000Z "
    "-crl_nextupdate 20200102000000Z -out crl-expired.pem\n"
    "cat ca.pem crl-expired.pem > ca-expired.pem\n"
    "cat ca.pem crl.pem > ca-crl.pem\n"
    "cp ca.pem ca-only.pem\n"
    "cat ca.pem crl-int-good.pem int-crl.pem > chain-good.pem\n"
    "cat ca.pem crl.pem int-crl.pem > chain-revoked.pem\n"
    "cat ca.pem int-crl.pem > chain-no-root-crl.pem\n"
    "cat ca.pem crl-int-good.pem > chain-no-int-crl.pem\n"
    "sign() { $O smime -sign -in ${4:-body.txt} -signer $2.pem -inkey $2.key "
    "-from $2@example.test -to cabut@example.test -subject 'Re: [cabut #42]' "
    "$3 -out $1; }\n"
    "sign detached.eml op1\n"
    "sign opaque.eml op1 -nodetach\n"
    "sign revoked.eml op2\n"
    "sign other.eml other\n"
    "sign server.eml server\n"
    "sign self.eml self\n"
    "sign int.eml op1i '-certfile int.pem'\n"
    "$O cms -sign -nodetach -binary -econtent_type 1.2.840.113549.1.9.16.1.4 "
    "-in body.txt -signer op1.pem -inkey op1.key -out econtent.eml\n"
    "$O cms -sign -nodetach -in body.txt -signer op1.pem -inkey op1.key "
    "-out cms-opaque.eml\n"
    "$O cms -encrypt -aes256 -in body.txt -out encrypted.eml op1.pem\n"
    "$O cms -sign -binary -in client-inner.txt -signer op1.pem -inkey op1.key "
    "-outform DER -out client.p7s\n"
    "$O base64 -in client.p7s -out client.b64\n"
    "{ printf 'Content-Type: text/plain\\n\\n'; "
    "yes 'SETUJU [cabut #42] 0123456789abcdefghijklmnopqrstuvwxyz' | "
    "head -c 27000000; } > big.txt\n"
    "sign big.eml op1 -nodetach big.txt\n";

static void
write_file(const char *name, const char *data, size_t len)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	free(path);
}

static char *
read_file(const char *name, size_t *len_r)
{
	char	*path = xasprintf("%s/%s", dir, name), *data;
	FILE	*f;
	long	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	data[n] = '\0';
	fclose(f);
	free(path);
	*len_r = (size_t)n;
	return data;
}

static char *
ca_path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Every bare LF made CRLF, as IMAP delivers a mail. */
static char *
to_crlf(const char *s, size_t len, size_t *len_r)
{
	char	*out = xmalloc(2 * len + 1);
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = s[i];
	}
	out[n] = '\0';
	*len_r = n;
	return out;
}

/* Every CRLF made LF, as some mail stores keep a mail. */
static char *
to_lf(const char *s, size_t len, size_t *len_r)
{
	char	*out = xmalloc(len + 1);
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (!(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			out[n++] = s[i];
	out[n] = '\0';
	*len_r = n;
	return out;
}

static char *
replace_once(const char *s, size_t len, const char *from, const char *to)
{
	const char	*p;
	char		*out;

	assert_int_equal(strlen(from), strlen(to));
	if ((p = strstr(s, from)) == NULL)
		fail_msg("\"%s\" not in the mail", from);
	out = xmalloc(len + 1);
	memcpy(out, s, len + 1);
	memcpy(out + (p - s), to, strlen(to));
	return out;
}

/* The Thunderbird-like mail, CRLF. */
static char *
client_mail(size_t *len_r)
{
	struct buf	 b;
	char		*b64, *b64crlf;
	size_t		 n, m;

	b64 = read_file("client.b64", &n);
	b64crlf = to_crlf(b64, n, &m);
	/* base64's last line ends in CRLF; the delimiter brings its own. */
	if (m >= 2)
		m -= 2;
	buf_init(&b, 1 << 20);
	if (buf_addstr(&b, client_head) == -1 ||
	    buf_addstr(&b, client_inner) == -1 ||
	    buf_addstr(&b, client_sig_head) == -1 ||
	    buf_add(&b, b64crlf, m) == -1 ||
	    buf_addstr(&b, client_tail) == -1)
		fail_msg("client mail too large");
	free(b64);
	free(b64crlf);
	*len_r = b.len;
	return buf_steal(&b);
}

static int
group_setup(void **state)
{
	char	 tmpl[] = "/tmp/cabut-smime.XXXXXX";
	char	*cmd, *log;
	int	 r;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	write_file("ca.cnf", ca_cnf, strlen(ca_cnf));
	write_file("make.sh", make_sh, strlen(make_sh));
	write_file("body.txt", body_lf, strlen(body_lf));
	write_file("client-inner.txt", client_inner, strlen(client_inner));
	cmd = xasprintf("cd '%s' && sh make.sh > make.log 2>&1", dir);
	r = system(cmd);
	free(cmd);
	if (r != 0) {
		log = xasprintf("cat '%s/make.log' >&2", dir);
		(void)!system(log);
		free(log);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char	*cmd;
	int	 r;

	if (dir == NULL)
		return 0;
	cmd = xasprintf("rm -rf '%s'", dir);
	r = system(cmd);
	free(cmd);
	free(dir);
	dir = NULL;
	return r == 0 ? 0 : -1;
}

/* The mail verifies as sent by sender; its signed content is returned. */
static char *
expect_ok(const char *what, const char *mail, size_t len, const char *ca,
    const char *sender, size_t *clen_r)
{
	char	*path = ca_path(ca), *content = NULL, *err = NULL;
	size_t	 clen = 0;

	if (smime_verify(mail, len, path, sender, &content, &clen, &err) != 0)
		fail_msg("%s: refused: %s", what,
		    err != NULL ? err : "(no error)");
	assert_null(err);
	assert_non_null(content);
	assert_int_equal(content[clen], '\0');
	free(path);
	if (clen_r != NULL)
		*clen_r = clen;
	return content;
}

/* Errors end in logs and quarantine reasons: printable ASCII only, even
 * when OpenSSL quotes the mail. */
static void
assert_printable(const char *err)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)err; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fail_msg("unprintable byte 0x%02x in \"%s\"", *p, err);
}

/* The mail is refused with an error naming word. */
static void
expect_fail(const char *what, const char *mail, size_t len, const char *ca,
    const char *sender, const char *word)
{
	static char	 sentinel;
	char		*path = ca_path(ca), *content = &sentinel, *err = NULL;
	size_t		 clen = 1;

	if (smime_verify(mail, len, path, sender, &content, &clen, &err) != -1)
		fail_msg("%s: verified, should be refused (%s)", what, word);
	assert_null(content);
	assert_int_equal(clen, 0);
	assert_non_null(err);
	if (strstr(err, word) == NULL)
		fail_msg("%s: error \"%s\" does not say \"%s\"", what, err,
		    word);
	assert_printable(err);
	free(err);
	free(path);
}

static void
expect_fail_file(const char *name, const char *ca, const char *sender,
    const char *word)
{
	char	*mail;
	size_t	 len;

	mail = read_file(name, &len);
	expect_fail(name, mail, len, ca, sender, word);
	free(mail);
}

/* The content handed back is body.txt as signed: in CRLF form. */
static void
assert_body(const char *content, size_t clen)
{
	char	*want;
	size_t	 wlen;

	want = to_crlf(body_lf, strlen(body_lf), &wlen);
	assert_int_equal(clen, wlen);
	assert_memory_equal(content, want, wlen);
	assert_non_null(strstr(content, "SETUJU"));
	assert_non_null(strstr(content, "[cabut #42]"));
	free(want);
}

/* The mail as openssl wrote it, all CRLF (as IMAP delivers it), all LF
 * (as some stores keep it). */
static void
check_ok_file(const char *name)
{
	char	*mail, *crlf, *lf, *content;
	size_t	 len, clen, crlflen, lflen;

	mail = read_file(name, &len);
	content = expect_ok(name, mail, len, "ca-crl.pem", OP1, &clen);
	assert_body(content, clen);
	free(content);
	crlf = to_crlf(mail, len, &crlflen);
	assert_true(crlflen > len);
	content = expect_ok(name, crlf, crlflen, "ca-crl.pem", OP1, &clen);
	assert_body(content, clen);
	free(content);
	lf = to_lf(crlf, crlflen, &lflen);
	assert_null(memchr(lf, '\r', lflen));
	content = expect_ok(name, lf, lflen, "ca-crl.pem", OP1, &clen);
	assert_body(content, clen);
	free(content);
	free(lf);
	free(crlf);
	free(mail);
}

static void
test_detached(void **state)
{
	check_ok_file("detached.eml");
}

static void
test_opaque(void **state)
{
	check_ok_file("opaque.eml");
	check_ok_file("cms-opaque.eml");
}

static void
test_client_layout(void **state)
{
	char	*mail, *lf, *content;
	size_t	 len, lflen, clen;

	mail = client_mail(&len);
	content = expect_ok("client", mail, len, "ca-crl.pem", OP1, &clen);
	assert_int_equal(clen, strlen(client_inner));
	assert_memory_equal(content, client_inner, clen);
	free(content);
	/* The same mail kept with bare LFs: canonicalised back to CRLF. */
	lf = to_lf(mail, len, &lflen);
	assert_true(lflen < len);
	content = expect_ok("client LF", lf, lflen, "ca-crl.pem", OP1, &clen);
	assert_int_equal(clen, strlen(client_inner));
	assert_memory_equal(content, client_inner, clen);
	free(content);
	free(lf);
	free(mail);
}

static void
test_sender_case(void **state)
{
	char	*mail, *content;
	size_t	 len;

	mail = read_file("detached.eml", &len);
	content = expect_ok("upper case", mail, len, "ca-crl.pem",
	    "OP1@Example.TEST", NULL);
	free(content);
	content = expect_ok("domain case", mail, len, "ca-crl.pem",
	    "op1@EXAMPLE.test", NULL);
	free(content);
	free(mail);
}

static void
test_tampered(void **state)
{
	char	*mail, *bad, *crlf, *content;
	size_t	 len, crlflen;

	mail = read_file("detached.eml", &len);
	bad = replace_once(mail, len, "SETUJU", "SETUJA");
	expect_fail("detached, text changed", bad, len, "ca-crl.pem", OP1,
	    "bad signature");
	expect_fail("detached, text changed", bad, len, "ca-crl.pem", OP1,
	    "digest");
	crlf = to_crlf(bad, len, &crlflen);
	expect_fail("detached CRLF, text changed", crlf, crlflen, "ca-crl.pem",
	    OP1, "digest");
	free(crlf);
	free(bad);
	/* The part's own headers are signed too. */
	bad = replace_once(mail, len, "charset=utf-8", "charset=utf-7");
	expect_fail("detached, part header changed", bad, len, "ca-crl.pem",
	    OP1, "digest");
	free(bad);
	/* A line added to the text. */
	bad = replace_once(mail, len, "Terima kasih.", "Terima\nkasih.");
	expect_fail("detached, line added", bad, len, "ca-crl.pem", OP1,
	    "digest");
	free(bad);
	/* The outer headers are not signed: changing them changes nothing
	 * of the content handed back. */
	bad = replace_once(mail, len, "Subject: Re: [cabut #42]",
	    "Subject: Re: [cabut #43]");
	content = expect_ok("outer header changed", bad, len, "ca-crl.pem", OP1,
	    NULL);
	assert_null(strstr(content, "#43"));
	free(content);
	free(bad);
	free(mail);

	mail = client_mail(&len);
	bad = replace_once(mail, len, "Terima kasih.", "Terima kasih!");
	expect_fail("client, text changed", bad, len, "ca-crl.pem", OP1,
	    "bad signature");
	free(bad);
	free(mail);
}

static void
test_revoked(void **state)
{
	expect_fail_file("revoked.eml", "ca-crl.pem", "op2@example.test",
	    "revoked");
	expect_fail_file("revoked.eml", "ca-crl.pem", "op2@example.test",
	    "not trusted");
}

static void
test_no_crl(void **state)
{
	expect_fail_file("detached.eml", "ca-only.pem", OP1,
	    "unable to get certificate CRL");
	expect_fail_file("opaque.eml", "ca-only.pem", OP1, "not trusted");
	/* A CRL past its nextUpdate is no CRL: the operator must renew it. */
	expect_fail_file("detached.eml", "ca-expired.pem", OP1,
	    "CRL has expired");
}

static void
test_other_address(void **state)
{
	char	*mail;
	size_t	 len;

	expect_fail_file("other.eml", "ca-crl.pem", OP1, "another address");
	expect_fail_file("detached.eml", "ca-crl.pem", "op2@example.test",
	    "another address");
	expect_fail_file("detached.eml", "ca-crl.pem", "xop1@example.test",
	    "another address");
	expect_fail_file("detached.eml", "ca-crl.pem", "op1@example.test.evil",
	    "another address");
	expect_fail_file("detached.eml", "ca-crl.pem", "op1@example",
	    "another address");
	expect_fail_file("detached.eml", "ca-crl.pem", "", "sender");
	/* The other address's own mail does verify for it. */
	mail = read_file("other.eml", &len);
	free(expect_ok("other as itself", mail, len, "ca-crl.pem",
	    "other@example.test", NULL));
	free(mail);
}

/* Every CA of the chain is checked against its issuer's CRL. */
static void
test_intermediate(void **state)
{
	char	*mail, *content;
	size_t	 len, clen;

	mail = read_file("int.eml", &len);
	content = expect_ok("via intermediate", mail, len, "chain-good.pem",
	    OP1, &clen);
	assert_body(content, clen);
	free(content);
	expect_fail("intermediate revoked", mail, len, "chain-revoked.pem", OP1,
	    "revoked");
	expect_fail("no root CRL", mail, len, "chain-no-root-crl.pem", OP1,
	    "unable to get certificate CRL");
	expect_fail("no intermediate CRL", mail, len, "chain-no-int-crl.pem",
	    OP1, "unable to get certificate CRL");
	free(mail);
}

/* op1's detached mail with the CA's CRL put in the signed-data by the
 * sender, where CMS_verify would find it. */
static char *
mail_with_crl(size_t *len_r)
{
	BIO		*b = NULL, *data = NULL, *out = NULL;
	X509		*cert = NULL;
	X509_CRL	*crl = NULL;
	EVP_PKEY	*key = NULL;
	CMS_ContentInfo	*cms = NULL;
	char		*path, *p, *mail;
	long		 n;

	path = ca_path("op1.pem");
	if ((b = BIO_new_file(path, "r")) != NULL)
		cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(path);
	path = ca_path("op1.key");
	if ((b = BIO_new_file(path, "r")) != NULL)
		key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	free(path);
	path = ca_path("crl.pem");
	if ((b = BIO_new_file(path, "r")) != NULL)
		crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	free(path);
	assert_non_null(cert);
	assert_non_null(key);
	assert_non_null(crl);
	/* Streaming: SMIME_write_CMS signs as it writes, after the CRL is
	 * added. */
	data = BIO_new_mem_buf(body_lf, -1);
	out = BIO_new(BIO_s_mem());
	assert_non_null(data);
	assert_non_null(out);
	cms = CMS_sign(cert, key, NULL, data, CMS_DETACHED | CMS_STREAM);
	assert_non_null(cms);
	assert_int_equal(CMS_add1_crl(cms, crl), 1);
	assert_int_equal(SMIME_write_CMS(out, cms, data,
	    CMS_DETACHED | CMS_STREAM), 1);
	n = BIO_get_mem_data(out, &p);
	assert_true(n > 0);
	mail = xmalloc((size_t)n + 1);
	memcpy(mail, p, (size_t)n);
	mail[n] = '\0';
	*len_r = (size_t)n;
	BIO_free(out);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(cert);
	return mail;
}

/* Revocation is known from smime_ca_file only: a CRL the sender put in
 * the mail does not stand in for a missing one. */
static void
test_crl_in_mail(void **state)
{
	char	*mail, *content;
	size_t	 len, clen;

	mail = mail_with_crl(&len);
	content = expect_ok("CRL in mail", mail, len, "ca-crl.pem", OP1, &clen);
	assert_body(content, clen);
	free(content);
	expect_fail("CRL in mail only", mail, len, "ca-only.pem", OP1,
	    "unable to get certificate CRL");
	free(mail);
}

/* Signed content of another type than data is not a mail. */
static void
test_econtent_type(void **state)
{
	expect_fail_file("econtent.eml", "ca-crl.pem", OP1, "not data");
}

static void
test_untrusted(void **state)
{
	expect_fail_file("self.eml", "ca-crl.pem", OP1, "not trusted");
	expect_fail_file("self.eml", "ca-crl.pem", OP1, "self-signed");
	/* A TLS server certificate is not for signing mail. */
	expect_fail_file("server.eml", "ca-crl.pem", OP1, "purpose");
}

static void
test_not_signed(void **state)
{
	static const char plain[] =
	    "From: Operator Satu <op1@example.test>\r\n"
	    "To: cabut+abcdefgh@example.test\r\n"
	    "Subject: Re: [cabut #42]\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "SETUJU\r\n";
	static const char no_type[] =
	    "From: op1@example.test\r\n"
	    "Subject: Re: [cabut #42]\r\n"
	    "\r\n"
	    "SETUJU\r\n";

	expect_fail("plain", plain, strlen(plain), "ca-crl.pem", OP1,
	    "not S/MIME signed");
	expect_fail("no content type", no_type, strlen(no_type), "ca-crl.pem",
	    OP1, "not S/MIME signed");
	expect_fail_file("encrypted.eml", "ca-crl.pem", OP1,
	    "not S/MIME signed");
}

static void
test_bad_ca_file(void **state)
{
	char	*mail;
	size_t	 len;

	mail = read_file("detached.eml", &len);
	expect_fail("missing CA file", mail, len, "no-such.pem", OP1,
	    "no-such.pem");
	expect_fail("CA file of text", mail, len, "body.txt", OP1,
	    "smime_ca_file");
	/* Only a CRL, no CA certificate. */
	expect_fail("CRL only", mail, len, "crl.pem", OP1, "not trusted");
	/* The CA of the other address is not ours: a CA file holding only
	 * the self-signed certificate does not trust op1's CA. */
	expect_fail("other CA", mail, len, "self.pem", OP1, "not trusted");
	free(mail);
}

static void
test_too_large(void **state)
{
	expect_fail_file("big.eml", "ca-crl.pem", OP1, "larger than");
}

static void
test_garbage(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n",
		"\r\n\r\n",
		"Content-Type: multipart/signed; boundary=x\n\n",
		"Content-Type: multipart/signed; boundary=\n\n--\n--\n",
		"Content-Type: multipart/signed; boundary=x\n\n--x\nhello\n"
		    "--x\nContent-Type: application/pkcs7-signature\n\n"
		    "AAAA\n--x--\n",
		"Content-Type: multipart/signed; boundary=x\n\n--x\nhello\n"
		    "--x\nhi\n--x\nthree\n--x--\n",
		"Content-Type: multipart/signed; boundary=x\n\n--x\nhello\n",
		"Content-Type: application/pkcs7-mime\n\n"
		    "!!!! not base64 !!!!\n",
		"Content-Type: application/pkcs7-mime; smime-type=signed-data\n"
		    "Content-Transfer-Encoding: base64\n\nMIIB\n",
		"Content-Type: application/pkcs7-mime\n"
		    "Content-Transfer-Encoding: base64\n\nMAA=\n",
		"Content-Type: application/pkcs7-mime\n"
		    "Content-Transfer-Encoding: base64\n\n"
		    "MIAGCSqGSIb3DQEHAqCAMIACAQE=\n",
		"Content-Type: application/pkcs7-mime\n",
		"Content-Type: ;;;;===\"\"\"\n\n",
		"Content-Type: application/pkcs7-mime; name=\"\n\n",
		"Content-Type: te\x1bxt/pl\xff\x7f\x01ain\n\nSETUJU\n",
	};
	char		 rnd[4096], *content = NULL, *err = NULL, *path, *mail;
	char		*p7m;
	uint32_t	 x = 2463534242U;
	size_t		 i, clen, len, n;

	path = ca_path("ca-crl.pem");
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(smime_verify(inputs[i], strlen(inputs[i]),
		    path, OP1, &content, &clen, &err), -1);
		assert_null(content);
		assert_non_null(err);
		assert_printable(err);
		free(err);
		err = NULL;
	}
	/* NULs, a NULL pointer with no bytes, random bytes, a long line. */
	assert_int_equal(smime_verify("\0\0\0\0", 4, path, OP1, &content,
	    &clen, &err), -1);
	free(err);
	assert_int_equal(smime_verify(NULL, 0, path, OP1, &content, &clen,
	    &err), -1);
	free(err);
	for (i = 0; i < sizeof(rnd); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		rnd[i] = (char)(x & 0xff);
	}
	assert_int_equal(smime_verify(rnd, sizeof(rnd), path, OP1, &content,
	    &clen, &err), -1);
	free(err);
	memcpy(rnd, "Content-Type: multipart/signed; boundary=", 41);
	memset(rnd + 41, 'a', sizeof(rnd) - 41);
	assert_int_equal(smime_verify(rnd, sizeof(rnd), path, OP1, &content,
	    &clen, &err), -1);
	free(err);
	/* A detached signature sent alone as application/pkcs7-mime: no
	 * content to verify. */
	mail = read_file("client.b64", &len);
	p7m = xasprintf("Content-Type: application/pkcs7-mime; "
	    "smime-type=signed-data\nContent-Transfer-Encoding: base64\n\n%s",
	    mail);
	n = strlen(p7m);
	assert_int_equal(smime_verify(p7m, n, path, OP1, &content, &clen,
	    &err), -1);
	assert_null(content);
	free(err);
	free(p7m);
	free(mail);
	free(path);
}

/* Whatever is cut or changed, the mail is refused, or it verifies with
 * exactly the content that was signed (bytes outside it, such as outer
 * headers, may change). */
static void
fuzz_one(const char *name, const char *mail, size_t len)
{
	char		*path, *content = NULL, *err = NULL, *copy, *want;
	uint32_t	 x = 88172645U;
	size_t		 i, clen, wlen, step;
	int		 r, round;

	path = ca_path("ca-crl.pem");
	if (smime_verify(mail, len, path, OP1, &want, &wlen, &err) != 0)
		fail_msg("%s: %s", name, err);
	/* Cut anywhere: refused until close to the end, where only the
	 * closing delimiter is lost. */
	for (i = 0; i < len; i += step) {
		step = i + 400 < len ? 7 : 1;
		copy = xmalloc(i + 1);
		memcpy(copy, mail, i);
		r = smime_verify(copy, i, path, OP1, &content, &clen, &err);
		if (r == 0) {
			if (i + 100 < len)
				fail_msg("%s: cut at %zu of %zu verifies", name,
				    i, len);
			assert_int_equal(clen, wlen);
			assert_memory_equal(content, want, wlen);
			free(content);
		} else {
			assert_null(content);
			free(err);
		}
		free(copy);
	}
	/* One to three random bytes changed. */
	copy = xmalloc(len);
	for (round = 0; round < 300; round++) {
		memcpy(copy, mail, len);
		do {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			copy[(x >> 8) % len] = (char)(x & 0xff);
		} while ((x & 0x300) != 0);
		r = smime_verify(copy, len, path, OP1, &content, &clen, &err);
		if (r == 0) {
			if (clen != wlen || memcmp(content, want, wlen) != 0)
				fail_msg("%s: round %d verifies with other "
				    "content", name, round);
			free(content);
		} else {
			assert_null(content);
			free(err);
		}
	}
	free(copy);
	free(want);
	free(path);
}

static void
test_fuzz(void **state)
{
	char	*mail, *crlf;
	size_t	 len, crlflen;

	mail = read_file("detached.eml", &len);
	fuzz_one("detached.eml", mail, len);
	crlf = to_crlf(mail, len, &crlflen);
	fuzz_one("detached.eml CRLF", crlf, crlflen);
	free(crlf);
	free(mail);
	mail = read_file("opaque.eml", &len);
	fuzz_one("opaque.eml", mail, len);
	free(mail);
	mail = client_mail(&len);
	fuzz_one("client", mail, len);
	free(mail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detached),
		cmocka_unit_test(test_opaque),
		cmocka_unit_test(test_client_layout),
		cmocka_unit_test(test_sender_case),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_no_crl),
		cmocka_unit_test(test_other_address),
		cmocka_unit_test(test_intermediate),
		cmocka_unit_test(test_crl_in_mail),
		cmocka_unit_test(test_econtent_type),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_not_signed),
		cmocka_unit_test(test_bad_ca_file),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
