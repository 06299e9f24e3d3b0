#!/bin/bash
# The manual backend (BSrE's AMS has no API: the production path) with a
# real Dovecot, SMTP server and HTTP server: the OPs get what to do in the
# CA's own application and a token of purpose manual revocation; SUDAH
# makes the request revoked; the serial on the CA's CRL (fetched over
# HTTP, conditional GET, signature checked against the issuer in the
# registry) makes it revoked too; not on the CRL after crl_grace alerts
# the admin; a CRL signed by someone else is refused.
HARNESS_USERS="cabut op1 op2 pemohon pemohon2 pemohon3 stranger admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
. "$top_srcdir/tests/lib/http.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"
mkdir -p "$HARNESS_DIR/www"
http_start "$HARNESS_DIR/www" || bail "http server did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
cabut_secrets
cabut_mail_config "$conf" "[daemon]" "admin_address = admin@example.test" \
	"[ca]" "backend = manual" "crl_url = http://127.0.0.1:$HTTP_PORT/bsre.crl" \
	"crl_poll = 10s" "crl_grace = 2d"
cabut_init "$conf" || bail "init failed"
# Each cycle runs 11 s after the one before (CABUT_NOW), past crl_poll.
T=$(date +%s)
once() { T=$((T + 11)); CABUT_NOW=$T "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
q() { sqlite3 "$db" "$1"; }
inbox() { mailbox_count "$1"; }
ctl() { "$CABUTCTL" -c "$conf" "$@"; }
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_pdf "$HARNESS_DIR/surat.pdf"
request() {	# request FILE FROM SERIAL REASON
	cabut_request "$1" "$2" "Nomor Seri: $3
Alasan: $4" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$1"
}
# last USER PATTERN: USER's newest mail that matches (waits for it).
last() {
	local u=$1 pat=$2
	wait_for 10 eval 'mail_of "$u" "$(inbox "$u")" | grep -q -- "$pat"' &&
		mail_of "$u" "$(inbox "$u")"
}

# The CA (the test CA stands for BSrE's), its CRL made with openssl ca.
cabut_test_ca
hca=$HARNESS_DIR/hca
s1=$(cabut_holder_cert "Budi Santoso" pemohon@example.test)
s2=$(cabut_holder_cert "Sri Wahyuni" pemohon2@example.test)
s3=$(cabut_holder_cert "Tri Handayani" pemohon3@example.test)
s4=$(cabut_holder_cert "Empat English" pemohon2@example.test)
for n in "Budi Santoso" "Sri Wahyuni" "Tri Handayani" "Empat English"; do
	ctl registry import "$hca/$n.pem" >/dev/null
done
ctl registry import "$hca/ca.pem" >/dev/null
: >"$hca/index.txt"
cat >"$hca/ca.cnf" <<EOF
[ca]
default_ca = bsre
[bsre]
database = $hca/index.txt
certificate = $hca/ca.pem
private_key = $hca/ca.key
crlnumber = $hca/crlnumber
default_md = sha256
default_crl_days = 7
EOF
echo 01 >"$hca/crlnumber"
publish() {	# publish: the CA's CRL, DER, as the CA serves it
	openssl ca -config "$hca/ca.cnf" -gencrl -out "$hca/crl.pem" 2>/dev/null &&
		openssl crl -in "$hca/crl.pem" -outform DER -out "$HARNESS_DIR/www/bsre.crl.tmp" &&
		mv "$HARNESS_DIR/www/bsre.crl.tmp" "$HARNESS_DIR/www/bsre.crl"
}
ams_revoke() {	# ams_revoke NAME REASON: what the OP does in AMS
	openssl ca -config "$hca/ca.cnf" -revoke "$hca/$1.pem" -crl_reason "$2" 2>/dev/null &&
		publish
}
publish

# 1. Approved: handed to the OPs with exactly what to do.
request "$HARNESS_DIR/r1.eml" pemohon@example.test "$s1" "kehilangan sertifikat"
once
m=$(last op1 "#1\]")
cabut_reply "$HARNESS_DIR/a1.eml" op1@example.test "$(cabut_token_of <<<"$m")" "SETUJU"
once
is "approved: revoking, waiting for the OPs" "$(q 'SELECT state FROM requests WHERE id = 1')" revoking
m=$(last op1 "Cabut sertifikat")
like "the OP's mail names the serial" "$m" "Nomor seri +$s1"
like "the Subject DN" "$m" "Budi Santoso,O"
like "the reason to choose" "$m" "keyCompromise \(1\)"
like "and how to answer" "$m" "SUDAH"
tm=$(cabut_token_of <<<"$m")
ok "it carries a token of its own" [ -n "$tm" ]
ok "op2 has one too" last op2 "Cabut sertifikat"
unlike "no line of it reads as a decision" "$(sed -n '/^Content-Transfer-Encoding: quoted/,$p' <<<"$m" | grep -E '^ *(SETUJU|SUDAH|DONE|TOLAK)\b' || true)" "."

# 2. Replies that must not count.
cabut_reply "$HARNESS_DIR/f1.eml" stranger@example.test "$tm" "SUDAH"
cabut_reply "$HARNESS_DIR/f2.eml" pemohon@example.test "$tm" "SUDAH"
cabut_reply "$HARNESS_DIR/f3.eml" op1@example.test "$tm" "SETUJU"
once
is "a stranger's, the applicant's and a SETUJU change nothing" "$(q 'SELECT state FROM requests WHERE id = 1')" revoking
ok "SETUJU to the manual mail is not understood" last op1 "tidak dapat dipahami"

# 3. SUDAH: revoked, the applicant told; later the CRL shows it.
cabut_reply "$HARNESS_DIR/d1.eml" op1@example.test "$tm" "Sudah, dicabut di AMS."
once
is "SUDAH makes it revoked" "$(q 'SELECT state FROM requests WHERE id = 1')" revoked
like "recorded as the OP's act" "$(ctl log)" "revoking -> revoked by op:op1@example.test"
ok "the applicant is told" last pemohon "telah dicabut"
is "not yet seen on the CRL" "$(q 'SELECT crl_seen IS NULL FROM revocations WHERE request_id = 1')" 1
ams_revoke "Budi Santoso" keyCompromise
once
is "the serial on the CRL is recorded" "$(q 'SELECT crl_seen IS NOT NULL FROM revocations WHERE request_id = 1')" 1
is "one notice only" "$(q "SELECT count(*) FROM outbox WHERE request_id = 1 AND kind = 'revoked' AND recipient = 'pemohon@example.test'")" 1

# 4. The CRL alone: no reply, the serial appears, revoked.
request "$HARNESS_DIR/r2.eml" pemohon2@example.test "$s2" "perubahan data"
once
cabut_reply "$HARNESS_DIR/a2.eml" op1@example.test "$(last op1 "#2\]" | cabut_token_of)" "SETUJU"
once
is "approved: revoking" "$(q 'SELECT state FROM requests WHERE id = 2')" revoking
once
is "not on the CRL yet: still revoking" "$(q 'SELECT state FROM requests WHERE id = 2')" revoking
ams_revoke "Sri Wahyuni" affiliationChanged
once
is "the serial on the CRL makes it revoked" "$(q 'SELECT state FROM requests WHERE id = 2')" revoked
like "by the CRL" "$(ctl log)" "revoking -> revoked by crl"
ok "the applicant is told" last pemohon2 "telah dicabut"
is "the reason recorded is the CA's" "$(q 'SELECT reason_code FROM revocations WHERE request_id = 2')" 3

# 5. Conditional GET: an unchanged CRL is not fetched again.
like "If-None-Match or If-Modified-Since is sent" "$(cat "$HTTP_LOG")" "if-(none-match|modified-since)=[^- ]"
like "and answered 304" "$(cat "$HTTP_LOG")" " 304 "

# 6. Not on the CRL after crl_grace: the admin is alerted, once.
request "$HARNESS_DIR/r3.eml" pemohon3@example.test "$s3" "lupa passphrase"
once
cabut_reply "$HARNESS_DIR/a3.eml" op1@example.test "$(last op1 "#3\]" | cabut_token_of)" "SETUJU"
once
is "revoking" "$(q 'SELECT state FROM requests WHERE id = 3')" revoking
alerts() {
	echo "$(q "SELECT count(*) FROM outbox WHERE kind = 'alert'")|$(q 'SELECT grace_alerted IS NOT NULL FROM revocations WHERE request_id = 3')"
}
T=$((T + 86400))
once
is "one day on: no alert" "$(alerts)" "0|0"
T=$((T + 2 * 86400))
once
is "three days on: the admin is alerted" "$(alerts)" "1|1"
ok "by mail" last admin "Request 3"
T=$((T + 86400))
once
is "only once" "$(alerts)" "1|1"
is "the request still waits (nothing is lost)" "$(q 'SELECT state FROM requests WHERE id = 3')" revoking

# 7. A CRL not signed by the issuer is refused, whatever it lists.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$HARNESS_DIR/evil.key" -out "$HARNESS_DIR/evil.pem" -days 30 \
	-subj "/C=ID/O=Balai Sertifikasi Elektronik (test)/CN=BSrE Test CA" 2>/dev/null
sed "s|$hca/ca.pem|$HARNESS_DIR/evil.pem|; s|$hca/ca.key|$HARNESS_DIR/evil.key|; s|$hca/index.txt|$HARNESS_DIR/evil.idx|" "$hca/ca.cnf" >"$HARNESS_DIR/evil.cnf"
grep -v "Budi\|Sri" "$hca/index.txt" >"$HARNESS_DIR/evil.idx" || true
openssl x509 -in "$hca/Tri Handayani.pem" -noout >/dev/null
openssl ca -config "$HARNESS_DIR/evil.cnf" -revoke "$hca/Tri Handayani.pem" -crl_reason superseded 2>/dev/null
openssl ca -config "$HARNESS_DIR/evil.cnf" -gencrl -out "$HARNESS_DIR/evil.crl" 2>/dev/null
openssl crl -in "$HARNESS_DIR/evil.crl" -outform DER -out "$HARNESS_DIR/www/bsre.crl"
once
is "a forged CRL listing the serial does not revoke" "$(q 'SELECT state FROM requests WHERE id = 3')" revoking
ok "the admin is told the CRL is not valid" last admin "CRL not valid"

# 8. The same in English: the OP's instructions, DONE, the notice.
publish
sed -i "s/^language = id$/language = en/" "$conf"
request "$HARNESS_DIR/r4.eml" pemohon2@example.test "$s4" "forgot passphrase"
once
cabut_reply "$HARNESS_DIR/a4.eml" op2@example.test "$(last op2 "#4\]" | cabut_token_of)" "APPROVE"
once
m=$(last op2 "in the CA's application")
like "English instructions with the serial" "$m" "Serial number +$s4"
like "the reason to choose" "$m" "superseded \(4\)"
cabut_reply "$HARNESS_DIR/d4.eml" op2@example.test "$(cabut_token_of <<<"$m")" "Done."
once
is "DONE makes it revoked" "$(q 'SELECT state FROM requests WHERE id = 4')" revoked
ok "the applicant is told in English" last pemohon2 "has been revoked"

done_testing
