#!/bin/bash
# The whole SOP on the local CA (the embedded default), with a real
# Dovecot, SMTP server and OpenSSL: a certificate issued by cabutctl ca
# issue, a request, the OP's SETUJU, the revocation by the CA's own
# process, a new CRL at once (checked with openssl crl and openssl verify
# -crl_check), the notification to the applicant and the OPs, SOP steps
# 7-9; in Indonesian and in English; the CRL number only grows; crashes
# around the revocation; the CA process killed; the CA down and back.
HARNESS_USERS="cabut op1 op2 pemohon pemohon2 pemohon3 admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
cadir=$HARNESS_DIR/state/ca
cabut_secrets
writeconf() {
	cabut_mail_config "$conf" "[daemon]" "admin_address = admin@example.test" "$@" \
		"[ca]" "crl_days = 7" "crl_url = http://crl.example.test/cabut.crl"
}
writeconf
cabut_init "$conf" || bail "init failed"
once() { "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
q() { sqlite3 "$db" "$1"; }
inbox() { mailbox_count "$1"; }
ctl() { "$CABUTCTL" -c "$conf" "$@"; }
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_pdf "$HARNESS_DIR/surat.pdf"
request() {	# request FILE FROM SERIAL REASON [extra body line]
	cabut_request "$1" "$2" "Nama: Pemohon
Nomor Seri: $3
Alasan: $4
$5" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$1"
}
# cert_pem SERIAL FILE: the registry's copy of a certificate, as PEM.
cert_pem() {
	sqlite3 "$db" "SELECT writefile('$2.der', der) FROM certificates WHERE serial = '$1'" >/dev/null
	openssl x509 -inform DER -in "$2.der" -out "$2"
}
crl_number() { openssl crl -in "$cadir/crl.pem" -noout -crlnumber | sed 's/.*=//'; }
verify() {	# verify CERT: openssl verify -crl_check against the current CRL
	cat "$cadir/ca.pem" "$cadir/crl.pem" >"$HARNESS_DIR/chain.pem"
	openssl verify -crl_check -CAfile "$HARNESS_DIR/chain.pem" "$1" 2>&1
}
# approve N USER: op1 answers SETUJU to the approval mail for request N.
approve() {
	local m t
	m=$(mail_of op1 "$(inbox op1)")
	t=$(cabut_token_of <<<"$m")
	cabut_reply "$HARNESS_DIR/ok$1.eml" op1@example.test "$t" "SETUJU"
}

# 1. The local CA issues a holder's certificate; the registry has it.
s1=$(ctl ca issue --subject "CN=Budi Santoso,O=Pemerintah Kota Pekalongan,C=ID" \
	--email pemohon@example.test --username budi)
like "ca issue prints the serial" "$s1" '^[0-9A-F]+$'
is "the registry has it, with the username" \
	"$(q "SELECT email || '|' || username FROM certificates WHERE serial = '$s1'")" \
	"pemohon@example.test|budi"
cert_pem "$s1" "$HARNESS_DIR/c1.pem"
like "it verifies against the local CA" "$(verify "$HARNESS_DIR/c1.pem")" ": OK"
n0=$(crl_number)
like "there is a CRL from the start" "$n0" '^(0x)?[0-9A-F]+$'
like "ca crl names it and its number" "$(ctl ca crl)" "crl.pem"

# 2. Indonesian: request, SETUJU, revoked at once, told.
request "$HARNESS_DIR/r1.eml" pemohon@example.test "$s1" "kehilangan sertifikat" "Tanggal hilang: 20-11-2026"
once
is "the request waits for approval" "$(q 'SELECT state FROM requests WHERE id = 1')" pending_approval
ok "op1 has the approval mail" wait_for 10 eval '[ "$(inbox op1)" -ge 1 ]'
approve 1
once
is "SETUJU: the certificate is revoked in the same cycle" "$(q 'SELECT state FROM requests WHERE id = 1')" revoked
like "the audit log has approved -> revoking -> revoked" "$(ctl log)" "revoking -> revoked by ca:local"
crl=$(openssl crl -in "$cadir/crl.pem" -noout -text)
like "the new CRL lists the serial" "$crl" "Serial Number: 0*$s1"
like "with reason keyCompromise" "$crl" "Key Compromise"
# The loss date (20-11-2026 WIB) lies before the certificate's notBefore
# (it was issued just now): the invalidity date is the notBefore.
inv=$(q "SELECT invalidity_date FROM requests WHERE id = 1")
is "the invalidity date is never before the certificate's notBefore" "$inv" \
	"$(q "SELECT not_before FROM certificates WHERE serial = '$s1'")"
like "and the CRL carries it" "$crl" "Invalidity Date:[[:space:]]+$(date -u -d "@$inv" '+%b %e %H:%M:%S %Y GMT')"
like "it is a v2 CRL with a CRL number" "$crl" "X509v3 CRL Number"
like "and an authority key identifier" "$crl" "X509v3 Authority Key Identifier"
like "signed with SHA-256" "$crl" "ecdsa-with-SHA256"
n1=$(crl_number)
isnt "the CRL number grew" "$n1" "$n0"
like "openssl verify -crl_check: certificate revoked" "$(verify "$HARNESS_DIR/c1.pem")" "certificate revoked"
next=$(openssl crl -in "$cadir/crl.pem" -noout -nextupdate | sed 's/.*=//')
last=$(openssl crl -in "$cadir/crl.pem" -noout -lastupdate | sed 's/.*=//')
is "nextUpdate = lastUpdate + crl_days" "$(( $(date -d "$next" +%s) - $(date -d "$last" +%s) ))" $((7 * 86400))
cmp -s <(openssl crl -in "$cadir/crl.pem" -outform DER) "$cadir/crl.der"
ok "crl.der is the same CRL" [ $? = 0 ]
ok "the applicant is told" wait_for 10 eval 'mail_of pemohon "$(inbox pemohon)" | grep -q "telah dicabut"'
m=$(mail_of pemohon "$(inbox pemohon)")
like "with the serial" "$m" "$s1"
like "the reason" "$m" "keyCompromise"
like "and where the CRL is" "$m" "http://crl.example.test/cabut.crl"
like "threaded on the request" "$m" "In-Reply-To: <r1\."
ok "op2 gets a copy" wait_for 10 eval 'mail_of op2 "$(inbox op2)" | grep -q "telah dicabut"'
is "steps 7, 8 and 9 are recorded, 9 by the SMTP handover" \
	"$(q 'SELECT group_concat(step || ":" || (started IS NOT NULL) || (ended IS NOT NULL), " ") FROM request_steps WHERE request_id = 1 AND step >= 7 ORDER BY step')" \
	"7:11 8:11 9:11"
is "the registry knows it is revoked" "$(q "SELECT revocation_reason FROM certificates WHERE serial = '$s1'")" 1
show=$(ctl show 1)
like "cabutctl show has the revocation" "$show" "backend=local"
like "and every mail out" "$show" "kind=revoked recipient=pemohon@example.test state=sent"
like "and the evidence kept" "$show" "kind=letter"
like "show --json too" "$(ctl show 1 --json)" '"revocation"'

# 3. A new request for a revoked certificate is refused; nothing is revoked twice.
request "$HARNESS_DIR/r1b.eml" pemohon@example.test "$s1" "lupa passphrase"
once
is "a request for the revoked certificate is invalid" "$(q 'SELECT state FROM requests WHERE id = 2')" invalid
is "the CRL is unchanged" "$(crl_number)" "$n1"

# 4. English, perubahan data: affiliationChanged; the number grows again.
writeconf; sed -i "s/^language = id$/language = en/" "$conf"
s2=$(ctl ca issue --subject "CN=Sri Wahyuni,O=Pemerintah Kota Pekalongan,C=ID" --email pemohon2@example.test)
request "$HARNESS_DIR/r2.eml" pemohon2@example.test "$s2" "data change"
once
ok "op1 has the English approval mail" wait_for 10 eval 'mail_of op1 "$(inbox op1)" | grep -q "Please decide"'
approve 3
once
is "revoked" "$(q 'SELECT state FROM requests WHERE id = 3')" revoked
crl=$(openssl crl -in "$cadir/crl.pem" -noout -text)
like "both serials on the CRL: the first" "$crl" "Serial Number: 0*$s1"
like "and the second" "$crl" "Serial Number: 0*$s2"
like "with reason affiliationChanged" "$crl" "Affiliation Changed"
n2=$(crl_number)
ok "the CRL number grew again" [ "$((16#${n2#0x}))" -gt "$((16#${n1#0x}))" ]
ok "the applicant is told in English" wait_for 10 eval 'mail_of pemohon2 "$(inbox pemohon2)" | grep -q "has been revoked"'

# 5. A crash after the CA revoked and before the state changed: on restart
# the CA answers "already revoked", nothing changes twice, one notice.
if cabut_has_test_hooks; then
	for point in before_revoke after_revoke; do
		user=pemohon3
		s=$(ctl ca issue --subject "CN=Tiga $point,O=Pemkot,C=ID" --email $user@example.test)
		request "$HARNESS_DIR/r-$point.eml" $user@example.test "$s" "lupa passphrase"
		once
		id=$(q "SELECT max(id) FROM requests")
		ok "$point: op1 has the approval mail" wait_for 10 eval 'mail_of op1 "$(inbox op1)" | grep -q "#$id\]"'
		approve "$id"
		before=$(crl_number)
		rc=$(CABUT_CRASH_AT=$point exit_code "$CABUTD" --once -c "$conf")
		isnt "$point: the daemon died there" "$rc" 0
		is "$point: the request is still revoking" "$(q "SELECT state FROM requests WHERE id = $id")" revoking
		once
		is "$point: after the restart it is revoked" "$(q "SELECT state FROM requests WHERE id = $id")" revoked
		is "$point: one revocation on the CRL" "$(openssl crl -in "$cadir/crl.pem" -noout -text | grep -c "Serial Number: 0*$s\$")" 1
		is "$point: the CRL number grew by one" "$(( 16#$(crl_number | sed 's/0x//') - 16#$(sed 's/0x//' <<<"$before") ))" 1
		is "$point: one notice to the applicant" "$(q "SELECT count(*) FROM outbox WHERE request_id = $id AND kind = 'revoked' AND recipient = '$user@example.test'")" 1
		is "$point: one state change to revoked in the audit log" "$(q "SELECT count(*) FROM audit WHERE request_id = $id AND to_state = 'revoked'")" 1
	done
else
	skip "no test hooks (--enable-test-hooks)" 14
fi

# 6. The CA's process: separate, never reads mail; killed, it comes back.
CABUT_POLL=2s writeconf
cabutd_bg "$conf"
ok "the CA process runs beside the daemon" wait_for 10 eval 'pgrep -P "$CABUTD_PID" -f -- "--ca-process" >/dev/null'
capid=$(pgrep -P "$CABUTD_PID" -f -- "--ca-process")
like "it is a fresh image, not a fork that read mail (its own command line)" "$(tr '\0' ' ' </proc/$capid/cmdline)" "cabutd --ca-process $cadir 7"
kill -9 "$capid"
s4=$(ctl ca issue --subject "CN=Empat,O=Pemkot,C=ID" --email pemohon3@example.test)
request "$HARNESS_DIR/r4.eml" pemohon3@example.test "$s4" "perubahan data"
kill -USR1 "$CABUTD_PID"
ok "the request reaches the OPs" wait_for 20 eval '[ "$(q "SELECT state FROM requests WHERE claimed_serial = '"'$s4'"'")" = pending_approval ]'
id=$(q "SELECT id FROM requests WHERE claimed_serial = '$s4'")
ok "op1 has its approval mail" wait_for 10 eval 'mail_of op1 "$(inbox op1)" | grep -q "#$id\]"'
approve "$id"
ok "with the CA process killed, the next revocation still happens" wait_for 20 eval '[ "$(q "SELECT state FROM requests WHERE id = $id")" = revoked ]'
newpid=$(pgrep -P "$CABUTD_PID" -f -- "--ca-process")
ok "a new CA process was started" [ -n "$newpid" ] && [ "$newpid" != "$capid" ]
harness_stop "$CABUTD_PID"

# 7. The CA down (its key refused): retried, failed, the admin alerted;
# fixed and cabutctl retry: revoked. Nothing lost.
s5=$(ctl ca issue --subject "CN=Lima,O=Pemkot,C=ID" --email pemohon3@example.test)
request "$HARNESS_DIR/r5.eml" pemohon3@example.test "$s5" "perubahan data"
once
id=$(q "SELECT id FROM requests WHERE claimed_serial = '$s5'")
ok "op1 has its approval mail" wait_for 10 eval 'mail_of op1 "$(inbox op1)" | grep -q "#$id\]"'
chmod 0644 "$cadir/ca.key"
approve "$id"
once
is "the CA cannot work: the request waits in revoking" "$(q "SELECT state FROM requests WHERE id = $id")" revoking
like "--once names what waits" "$(tail -5 "$HARNESS_DIR/once.err")" "revocation: the local CA"
t=$(date +%s)
for i in 1 2 3 4 5; do
	t=$((t + 3600))
	CABUT_NOW=$t "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"
done
is "after the retries it failed" "$(q "SELECT state FROM requests WHERE id = $id")" failed
ok "the admin is alerted" wait_for 10 eval 'mail_of admin "$(inbox admin)" | grep -q "cabutctl retry $id"'
chmod 0600 "$cadir/ca.key"
[ "$(id -u)" = 0 ] && chown "$(cabut_user)" "$cadir/ca.key"
like "cabutctl retry" "$(ctl retry "$id")" "revoking again"
is "cabutctl retry on a request that is not failed: exit 1" "$(exit_code ctl retry 1)" 1
once
is "after the retry it is revoked" "$(q "SELECT state FROM requests WHERE id = $id")" revoked
like "the audit log has failed -> revoking by the admin" "$(ctl log)" "failed -> revoking by admin:"

# 8. The CRL is re-issued before its nextUpdate.
before=$(crl_number)
CABUT_NOW=$(( $(date +%s) + 5 * 86400 )) "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"
isnt "five days on, a new CRL" "$(crl_number)" "$before"
next=$(openssl crl -in "$cadir/crl.pem" -noout -nextupdate | sed 's/.*=//')
ok "its nextUpdate is 12 days from now" [ "$(( $(date -d "$next" +%s) - $(date +%s) ))" -gt $((11 * 86400)) ]
before=$(crl_number)
once
is "not re-issued when not due" "$(crl_number)" "$before"

# 9. cabutctl report: each SOP step against its standard time.
r=$(ctl report)
like "report: a line per SOP step" "$r" "step +requests"
like "step 7 counts the revocations, none over the standard minute" "$(grep '^7 ' <<<"$r")" "^7 +[1-9][0-9]* +0 .* 1 min +0$"
is "--since a later date: nothing" "$(ctl report --since 2999-01-01 | awk '$1 == 7 {print $2}')" 0
is "--since a bad date: usage (64)" "$(exit_code ctl report --since yesterday)" 64
mkdir -m 0777 "$HARNESS_DIR/out"
ctl report --html "$HARNESS_DIR/out/r.html" >/dev/null
like "--html writes a table" "$(cat "$HARNESS_DIR/out/r.html")" "<table border=\"1\">.*<td>7</td>"
is "never over an existing file (exit 1)" "$(exit_code ctl report --html "$HARNESS_DIR/out/r.html")" 1

done_testing
