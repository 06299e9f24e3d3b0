#!/bin/bash
# Requests end to end (SOP steps 2-5) with a real Dovecot, SMTP server and
# certificates made with openssl: checks, DMARC from the trusted server,
# the confirmation round trip, joining, answers from the templates sent by
# SMTP and read back from the applicant's mailbox, limits on answers.
HARNESS_USERS="cabut op1 op2 pemohon pemohon2 stranger admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
cabut_secrets
writeconf() { cabut_mail_config "$conf" "$@"; }
writeconf
cabut_init "$conf" || bail "init failed"
once() { "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
q() { sqlite3 "$db" "$1"; }
inbox() { mailbox_count "$1"; }
last_mail() {	# last_mail USER: the newest message's text
	local uid
	uid=$(mailbox_uids "$1" | tail -1)
	doveadm -c "$DOVECOT_CONF" fetch -u "$1" text mailbox INBOX uid "$uid" | sed 1d
}

cabut_test_ca
serial1=$(cabut_holder_cert "Budi Santoso" pemohon@example.test)
serial2=$(cabut_holder_cert "Sri Wahyuni" pemohon2@example.test)
out=$("$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Budi Santoso.pem" --username budi 2>&1)
like "registry import of a PEM certificate" "$out" "imported 1"
"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Sri Wahyuni.pem" >/dev/null
show=$("$CABUTCTL" -c "$conf" registry show "$serial1")
like "registry show: subject, e-mail, username" "$show" "CN=Budi Santoso.*pemohon@example.test.*budi"
lower=$(printf '%s' "$serial1" | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')
ok "registry show takes the serial with colons and lowercase" "$CABUTCTL" -c "$conf" registry show "$lower"
serial3=$(cabut_holder_cert "Ani" admin@example.test 30 0x0F00)
"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Ani.pem" >/dev/null
is "a serial with a leading zero octet is recorded without it" "$serial3" F00
ok "registry show finds it by F00" "$CABUTCTL" -c "$conf" registry show F00
ok "and by 0f:00" "$CABUTCTL" -c "$conf" registry show 0f:00
cabut_pdf "$HARNESS_DIR/surat.pdf"
AR_PASS='Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=example.test; dmarc=pass (p=reject) header.from=example.test'

# 1. A complete request with DMARC pass from the trusted server.
cabut_request "$HARNESS_DIR/r1.eml" "Budi Santoso <pemohon@example.test>" \
"Nama: Budi Santoso
Nomor Seri: $lower
Alasan: kehilangan sertifikat
Tanggal hilang: 20 November 2026" "$HARNESS_DIR/surat.pdf" "$AR_PASS" \
	"Reply-To: attacker@example.test"
deliver_unseen cabut "$HARNESS_DIR/r1.eml"
once
is "a complete, DMARC-authenticated request is pending approval" \
	"$(q 'SELECT state || "|" || authenticated_by || "|" || reason || "|" || reason_code FROM requests WHERE id = 1')" \
	"pending_approval|dmarc|kehilangan|1"
is "with the registry's serial" "$(q 'SELECT serial FROM requests WHERE id = 1')" "$serial1"
is "the letter is kept as evidence" "$(q "SELECT count(*) FROM evidence WHERE request_id = 1 AND kind = 'letter' AND content_type = 'application/pdf'")" 1
ok "the receipt reaches the applicant" wait_for 10 eval '[ "$(inbox pemohon)" = 1 ]'
mail1=$(last_mail pemohon)
like "it names the request number" "$mail1" "Subject: \[cabut #1\]"
like "it is an automatic answer" "$mail1" "Auto-Submitted: auto-replied"
like "it is threaded on the request" "$mail1" "In-Reply-To: <r1\.[0-9]+@example.test>"
unlike "it carries no token (plain Reply-To)" "$mail1" "Reply-To: cabut\+"
is "it went to From, not to the Reply-To the applicant set" "$(inbox admin)" 0
steps=$("$CABUTCTL" -c "$conf" show 1 --json | /usr/bin/python3 -c 'import json,sys; print(",".join(str(s["step"]) for s in json.load(sys.stdin)["steps"]))')
is "SOP steps 2-6 are recorded (6: the OPs were asked)" "$steps" "2,3,4,5,6"

# 2. The same certificate again: joined to the open, authenticated request.
cabut_request "$HARNESS_DIR/r2.eml" "pemohon@example.test" \
"Serial: $serial1
Alasan: kehilangan sertifikat" "$HARNESS_DIR/surat.pdf" "$AR_PASS"
deliver_unseen cabut "$HARNESS_DIR/r2.eml"
once
is "a second request for the same certificate is joined" "$(q 'SELECT count(*) FROM requests')" 1
like "the joining is in the audit log" "$("$CABUTCTL" -c "$conf" log)" "#1 joined"
ok "the applicant is told" wait_for 10 eval '[ "$(inbox pemohon)" = 2 ]'
like "with the open request's number" "$(last_mail pemohon)" "digabungkan|joined"

# 3. Without DMARC: a confirmation round trip to the registered address.
cabut_request "$HARNESS_DIR/r3.eml" "pemohon2@example.test" \
"Nomor Seri: $serial2
Alasan: perubahan data" "$HARNESS_DIR/surat.pdf"
deliver_unseen cabut "$HARNESS_DIR/r3.eml"
once
is "without DMARC it awaits confirmation" "$(q 'SELECT state FROM requests WHERE id = 2')" awaiting_confirmation
ok "the confirmation mail arrives" wait_for 10 eval '[ "$(inbox pemohon2)" = 1 ]'
conf_mail=$(last_mail pemohon2)
token=$(grep -o 'Reply-To: cabut+[a-z2-7]*@example.test' <<<"$conf_mail" | sed 's/.*+//; s/@.*//')
isnt "it carries a token in its Reply-To" "${token:-none}" none
like "and in its Message-ID" "$conf_mail" "Message-ID: <cabut\.$token@example.test>"

# A forged confirmation from someone else with the token: refused.
printf 'From: stranger@example.test\nTo: cabut+%s@example.test\nSubject: Re: konfirmasi\nMessage-ID: <forged@x>\n\nKONFIRMASI\n' "$token" >"$HARNESS_DIR/forged.eml"
deliver_unseen cabut "$HARNESS_DIR/forged.eml"
once
is "a confirmation from another sender changes nothing" "$(q 'SELECT state FROM requests WHERE id = 2')" awaiting_confirmation
like "and is quarantined" "$("$CABUTCTL" -c "$conf" quarantine)" "stranger@example.test.*does not verify"

printf 'From: pemohon2@example.test\nTo: cabut+%s@example.test\nSubject: Re: konfirmasi\nMessage-ID: <c1@x>\nIn-Reply-To: <cabut.%s@example.test>\n\nKonfirmasi.\n\nPada tanggal 1 Des 2026, cabut menulis:\n> SETUJU\n' "$token" "$token" >"$HARNESS_DIR/confirm.eml"
deliver_unseen cabut "$HARNESS_DIR/confirm.eml"
once
is "KONFIRMASI from the registered address: pending approval" \
	"$(q 'SELECT state || "|" || authenticated_by FROM requests WHERE id = 2')" "pending_approval|confirmation"
ok "and the receipt follows" wait_for 10 eval '[ "$(inbox pemohon2)" = 2 ]'

# 4. An incomplete request: every problem in one answer.
cabut_request "$HARNESS_DIR/r4.eml" "pemohon@example.test" \
"Nomor Seri: zz-not-hex
Alasan: bosan" "" "$AR_PASS"
deliver_unseen cabut "$HARNESS_DIR/r4.eml"
once
is "an incomplete request is invalid" "$(q 'SELECT state FROM requests ORDER BY id DESC LIMIT 1')" invalid
ok "the applicant gets the problems" wait_for 10 eval '[ "$(inbox pemohon)" = 3 ]'
inv=$(last_mail pemohon)
like "the missing letter is named" "$inv" "[Ss]urat keterangan"
like "the unknown reason is named" "$inv" "[Aa]lasan"
like "the bad serial is named" "$inv" "[Nn]omor seri"

# 5. A stranger (not registered, no DMARC): one generic answer a day.
for i in 1 2; do
	cabut_request "$HARNESS_DIR/s$i.eml" "stranger@example.test" "Nomor Seri: $serial1
Alasan: lupa passphrase" "$HARNESS_DIR/surat.pdf"
	deliver_unseen cabut "$HARNESS_DIR/s$i.eml"
	once
done
ok "a stranger gets an answer" wait_for 10 eval '[ "$(inbox stranger)" = 1 ]'
sleep 1
is "but only one a day" "$(inbox stranger)" 1
unlike "and it reveals nothing of the certificate" "$(last_mail stranger)" "Budi|$serial1|budi"

# 6. Automatic mail is never answered.
cabut_request "$HARNESS_DIR/auto.eml" "pemohon@example.test" "Alasan: x" "" "Auto-Submitted: auto-replied"
deliver_unseen cabut "$HARNESS_DIR/auto.eml"
before=$(q 'SELECT count(*) FROM outbox')
once
is "an out-of-office reply gets no answer" "$(q 'SELECT count(*) FROM outbox')" "$before"

# 7. A header injection through the subject stays in the body.
printf 'From: pemohon@example.test\nTo: cabut@example.test\nSubject: =?UTF-8?B?%s?=\nMessage-ID: <inj@x>\n%s\n\nAlasan: salah\n' \
	"$(printf 'x\r\nBcc: admin@example.test' | base64 -w0)" "$AR_PASS" >"$HARNESS_DIR/inj.eml"
deliver_unseen cabut "$HARNESS_DIR/inj.eml"
once
ok "the answer is sent" wait_for 10 eval '[ "$(inbox pemohon)" = 4 ]'
sleep 1
is "no Bcc was injected" "$(inbox admin)" 0

# 8. SMTP answering 4xx: the answer waits in the outbox, then goes.
smtp_fail fail-4xx 1
cabut_request "$HARNESS_DIR/r5.eml" "pemohon@example.test" "NIK: 12345
Alasan: entah" "" "$AR_PASS"
deliver_unseen cabut "$HARNESS_DIR/r5.eml"
"$CABUTD" --once -c "$conf" 2>"$HARNESS_DIR/waits.err"; rc=$?
is "a 4xx from SMTP is not an error of the run (exit 0)" "$rc" 0
like "the waiting mail is named on stderr" "$(cat "$HARNESS_DIR/waits.err")" "waits"
is "it is queued with the 451" "$(q "SELECT state || '|' || (last_error LIKE '%451%') FROM outbox ORDER BY id DESC LIMIT 1")" "queued|1"
q "UPDATE outbox SET next_attempt = 0 WHERE state = 'queued'"
once
is "once SMTP takes it again, it is sent" "$(q 'SELECT state FROM outbox ORDER BY id DESC LIMIT 1')" sent

# 8b. SMTP answering 5xx: the mail is failed, not retried, and audited.
smtp_fail fail-5xx 1
cabut_request "$HARNESS_DIR/r6.eml" "pemohon2@example.test" "NIK: 1
Nomor Seri: 00
Alasan: entah" "" "$AR_PASS"
deliver_unseen cabut "$HARNESS_DIR/r6.eml"
once
is "a 5xx marks the mail failed" "$(q "SELECT state || '|' || (last_error LIKE '%554%') FROM outbox ORDER BY id DESC LIMIT 1")" "failed|1"
like "and is in the audit log" "$("$CABUTCTL" -c "$conf" log)" "mail-failed by system: invalid-[0-9a-f]+ mail to pemohon2@example.test refused \(554\)"
smtp_fail_clear

# 9. answers_per_sender_hour.
writeconf "answers_per_sender_hour = 1"
for i in 1 2 3; do
	cabut_request "$HARNESS_DIR/l$i.eml" "pemohon2@example.test" "Alasan: x$i" "" \
		"Authentication-Results: mx.example.test; dmarc=pass header.from=example.test"
	deliver_unseen cabut "$HARNESS_DIR/l$i.eml"
done
n0=$(inbox pemohon2)
once
sleep 1
is "past answers_per_sender_hour nothing more is sent" "$(inbox pemohon2)" "$n0"

done_testing
