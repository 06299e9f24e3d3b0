#!/bin/bash
# require_smime: an approval counts only when S/MIME-signed by a
# certificate for the OP's address, chaining to smime_ca_file with CRL
# checking on, and when the signed text names the request.
HARNESS_USERS="cabut op1 op2 pemohon admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
q() { sqlite3 "$db" "$1"; }
once() { "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
token_of() { cabut_token_of; }

# The OPs' S/MIME CA, with a CRL that revokes op2.
sc=$HARNESS_DIR/smimeca
mkdir -p "$sc/new"
: >"$sc/index.txt"
echo 1000 >"$sc/crlnumber"
cat >"$sc/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $sc
database = $sc/index.txt
crlnumber = $sc/crlnumber
new_certs_dir = $sc/new
certificate = $sc/ca.pem
private_key = $sc/ca.key
default_md = sha256
default_crl_days = 30
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$sc/ca.key" -out "$sc/ca.pem" -days 30 -subj "/O=Test OPs/CN=OP SMIME CA" 2>/dev/null
for op in op1 op2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$sc/$op.key" -out "$sc/$op.csr" -subj "/CN=$op" 2>/dev/null
	printf 'subjectAltName=email:%s@example.test\nkeyUsage=digitalSignature\nextendedKeyUsage=emailProtection\n' "$op" >"$sc/$op.ext"
	openssl x509 -req -in "$sc/$op.csr" -CA "$sc/ca.pem" -CAkey "$sc/ca.key" \
		-set_serial "0x$RANDOM$RANDOM" -days 30 -extfile "$sc/$op.ext" -out "$sc/$op.pem" 2>/dev/null
done
openssl ca -config "$sc/ca.cnf" -valid "$sc/op1.pem" -batch 2>/dev/null
openssl ca -config "$sc/ca.cnf" -valid "$sc/op2.pem" -batch 2>/dev/null
openssl ca -config "$sc/ca.cnf" -revoke "$sc/op2.pem" -batch 2>/dev/null
openssl ca -config "$sc/ca.cnf" -gencrl -out "$sc/crl.pem" -batch 2>/dev/null
cat "$sc/ca.pem" "$sc/crl.pem" >"$HARNESS_DIR/smime-ca.pem"
ok "the test CA's CRL revokes op2" eval 'openssl crl -in "$sc/crl.pem" -noout -text | grep -q "Serial Number"'

cabut_secrets
cabut_mail_config "$conf" "[op]" "require_smime = yes" "smime_ca_file = $HARNESS_DIR/smime-ca.pem"
cabut_init "$conf" || bail "init failed"
cabut_test_ca
s1=$(cabut_holder_cert "Budi Santoso" pemohon@example.test)
"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Budi Santoso.pem" >/dev/null
cabut_pdf "$HARNESS_DIR/surat.pdf"
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_request "$HARNESS_DIR/r1.eml" pemohon@example.test "Nomor Seri: $s1
Alasan: lupa passphrase" "$HARNESS_DIR/surat.pdf" "$AR"
deliver_unseen cabut "$HARNESS_DIR/r1.eml"
once
ok "op1's approval mail arrives" wait_for 10 eval '[ "$(mailbox_count op1)" = 1 ]'
ok "op2's too" wait_for 10 eval '[ "$(mailbox_count op2)" = 1 ]'
t1=$(mail_of op1 1 | token_of)
t2=$(mail_of op2 1 | token_of)
like "the approval mail names the request in its body, for the signed reply" "$(mail_of op1 1)" "\[cabut #1\]"

signed() {	# signed FILE OP TOKEN TEXT [unsigned]
	local f=$1 op=$2 tok=$3 text=$4
	printf '%s\n' "$text" >"$HARNESS_DIR/body.txt"
	{
		printf 'Message-ID: <%s@example.test>\n%s\n' "$(basename "$f" .eml)" "$AR"
		if [ "${5:-}" = unsigned ]; then
			printf 'From: %s@example.test\nTo: cabut+%s@example.test\nSubject: Re: [cabut #1]\n\n%s\n' "$op" "$tok" "$text"
		else
			openssl smime -sign -signer "$sc/$op.pem" -inkey "$sc/$op.key" -text \
				-in "$HARNESS_DIR/body.txt" -from "$op@example.test" \
				-to "cabut+$tok@example.test" -subject "Re: [cabut #1]"
		fi
	} >"$f"
	deliver_unseen cabut "$f"
}
signed "$HARNESS_DIR/a1.eml" op1 "$t1" "SETUJU" unsigned
signed "$HARNESS_DIR/a2.eml" op2 "$t2" "SETUJU

[cabut #1]"
signed "$HARNESS_DIR/a3.eml" op1 "$t1" "SETUJU"
once
is "unsigned, revoked-signer and untagged replies decide nothing" \
	"$(q 'SELECT state || "|" || (SELECT count(*) FROM approvals) FROM requests WHERE id = 1')" "pending_approval|0"
qlist=$("$CABUTCTL" -c "$conf" quarantine)
like "an unsigned reply is quarantined: not S/MIME" "$qlist" "S/MIME: not S/MIME signed"
like "a reply signed by a revoked certificate is quarantined: revoked" "$qlist" "S/MIME: .*revoked"
like "signed text without [cabut #1] is quarantined" "$qlist" "does not contain \[cabut #1\]"
signed "$HARNESS_DIR/a4.eml" op1 "$t1" "SETUJU

> Rujukan [cabut #1]"
once
is "a signed SETUJU naming the request approves" "$(q "SELECT count(*) FROM audit WHERE request_id = 1 AND to_state = 'approved'")" 1

done_testing
