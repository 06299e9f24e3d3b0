#!/bin/bash
# Regenerates the seeds that cannot be written by hand: valid tokens
# (corpus/token/) made with the fixed key and data digest of
# fuzz_token.c, and CRLs (corpus/crl/) signed by the fixed CA of
# fuzz_crl.c, made with the openssl command. The seeds are kept in the
# tree; run this only when those fixed values change.
#
#   tests/fuzz/make-seeds.sh          (needs cc, openssl, libssl-dev)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}

# --- tokens ---------------------------------------------------------
cat >"$tmp/autoconf.h" <<'EOH'
#define _GNU_SOURCE 1
EOH
cat >"$tmp/gen.c" <<'EOC'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "token.h"
/* The values of fuzz_token.c. */
#define FUZZ_NOW	((int64_t)1764115200)
static const unsigned char fuzz_key[TOKEN_KEY_LEN] =
    "cabut-fuzz-token-key-0123456789";
static const unsigned char fuzz_digest[TOKEN_DIGEST_LEN] =
    "cabut-fuzz-data-digest-abcdefgh";
int
main(int argc, char **argv)
{
	struct token_key	 k;
	char			 out[TOKEN_MAX_LEN + 1];

	if (argc != 5)
		return 64;
	token_key_from_bytes(&k, fuzz_key);
	token_make(&k, (enum token_purpose)atoi(argv[1]),
	    (uint32_t)strtoul(argv[2], NULL, 10), argv[3],
	    FUZZ_NOW + strtoll(argv[4], NULL, 10), fuzz_digest, out);
	printf("%s\n%s\n", out, argv[3]);
	return 0;
}
EOC
$CC -I"$tmp" -I"$top/src" "$tmp/gen.c" "$top/src/token.c" "$top/src/util.c" \
	"$top/src/log.c" -lcrypto -o "$tmp/gen"
t=$here/corpus/token
mkdir -p "$t"
"$tmp/gen" 1 12 op1@example.go.id 604800 >"$t/approval-valid"
"$tmp/gen" 2 7 budi@pekalongankota.go.id 86400 >"$t/confirmation-valid"
"$tmp/gen" 3 4294967295 OP2@Example.GO.ID 3600 >"$t/manual-valid-maxid"
"$tmp/gen" 1 1 op1@example.go.id -60 >"$t/approval-expired"
# The same token as a mail system may rewrite it: upper case (which
# does not decode), and inside an address.
tr 'a-z' 'A-Z' <"$t/approval-valid" | head -n 1 >"$t/approval-upper"
echo op1@example.go.id >>"$t/approval-upper"
printf 'cabut+%s' "$(head -n 1 "$t/approval-valid")" >"$t/in-address"
printf '@example.go.id\nop1@example.go.id\n' >>"$t/in-address"

# --- CRLs -----------------------------------------------------------
c=$here/corpus/crl
mkdir -p "$c"
# The CA key and certificate, as fuzz_crl.c embeds them.
sed -n '/ca_key_pem\[\] =/,/;/p' "$here/fuzz_crl.c" |
	sed -n 's/^ *"\(.*\)\\n"$/\1/p' >"$tmp/ca.key"
sed -n '/ca_cert_pem\[\] =/,/;/p' "$here/fuzz_crl.c" |
	sed -n 's/^ *"\(.*\)\\n"$/\1/p' >"$tmp/ca.crt"
mkdir -p "$tmp/ca"
: >"$tmp/ca/index.txt"
echo 1000 >"$tmp/ca/crlnumber"
cat >"$tmp/ca.cnf" <<EOC
[ca]
default_ca = fuzz
[fuzz]
database = $tmp/ca/index.txt
crlnumber = $tmp/ca/crlnumber
certificate = $tmp/ca.crt
private_key = $tmp/ca.key
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
[idp]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp_section
[idp_section]
fullname = URI:http://crl.example.go.id/cabut.crl
onlysomereasons = keyCompromise
EOC
gencrl() { openssl ca -config "$tmp/ca.cnf" -gencrl "$@" 2>/dev/null; }
gencrl -out "$c/empty.pem"
# Entries: the index.txt format of openssl ca (R, expiry, revocation
# date[,reason[,time]], serial, file, subject).
{
	printf 'R\t301231235959Z\t251101000000Z,keyTime,20251030120000Z\t1A2B3C\tunknown\t/C=ID/CN=Budi\n'
	printf 'R\t301231235959Z\t251102000000Z,superseded\t00FF01\tunknown\t/C=ID/CN=Siti\n'
	printf 'R\t301231235959Z\t251103000000Z,affiliationChanged\t7F\tunknown\t/C=ID/CN=Andi\n'
	printf 'R\t301231235959Z\t251104000000Z,removeFromCRL\t0BADC0DE\tunknown\t/C=ID/CN=Rina\n'
	printf 'R\t301231235959Z\t251105000000Z\t0123456789ABCDEF0123456789ABCDEF01234567\tunknown\t/C=ID/CN=Long\n'
} >"$tmp/ca/index.txt"
gencrl -out "$c/entries.pem"
openssl crl -in "$c/entries.pem" -outform DER -out "$c/entries.der"
gencrl -crlexts idp -out "$tmp/idp.pem"
openssl crl -in "$tmp/idp.pem" -outform DER -out "$c/partial-idp.der"
# PEM with text before it, as a web server may serve it.
{ echo "CRL of the cabut fuzz CA"; cat "$c/entries.pem"; } >"$c/text-before.pem"
rm -f "$c/entries.pem"
openssl crl -in "$c/empty.pem" -outform DER -out "$c/empty.der"
rm -f "$c/empty.pem"
echo "seeds written to $here/corpus/token and $here/corpus/crl"
