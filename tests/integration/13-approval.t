#!/bin/bash
# Approval by reply (SOP steps 5-6) with a real Dovecot and SMTP server:
# each OP gets an approval mail with their own token; SETUJU / APPROVE,
# TOLAK with a reason, PERBAIKI; approvals_required = 2; forged, forwarded,
# quoted-only and applicant replies change nothing; the admin's decision.
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
token_of() { cabut_token_of; }
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
reply() { cabut_reply "$@"; }

cabut_test_ca
s1=$(cabut_holder_cert "Budi Santoso" pemohon@example.test)
s2=$(cabut_holder_cert "Sri Wahyuni" pemohon2@example.test)
s3=$(cabut_holder_cert "Op Satu" op1@example.test)
for n in "Budi Santoso" "Sri Wahyuni" "Op Satu"; do
	"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/$n.pem" >/dev/null
done
cabut_pdf "$HARNESS_DIR/surat.pdf"
request() {	# request FILE FROM SERIAL REASON [extra body line]
	cabut_request "$1" "$2" "Nama: Pemohon
Nomor Seri: $3
Alasan: $4
$5" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$1"
}

# 1. A request goes to both OPs, each with a token of their own.
request "$HARNESS_DIR/r1.eml" pemohon@example.test "$s1" "kehilangan sertifikat" "Username: budi"
once
is "the request waits for approval" "$(q 'SELECT state FROM requests WHERE id = 1')" pending_approval
ok "op1 gets an approval mail" wait_for 10 eval '[ "$(inbox op1)" = 1 ]'
ok "op2 too" wait_for 10 eval '[ "$(inbox op2)" = 1 ]'
m1=$(mail_of op1 1)
t1=$(token_of <<<"$m1")
t2=$(mail_of op2 1 | token_of)
isnt "each OP's token is their own" "$t1" "$t2"
like "the subject carries [cabut #1]" "$m1" "Subject: \[cabut #1\]"
like "it is auto-generated" "$m1" "Auto-Submitted: auto-generated"
like "the token is also in its Message-ID" "$m1" "Message-ID: <cabut\.$t1@example.test>"
like "it shows the registered serial" "$m1" "$s1"
like "it marks the username mismatch" "$m1" "!! username berbeda"
like "it says how the applicant was authenticated" "$m1" "Autentikasi +dmarc"
like "it attaches the letter" "$m1" "Content-Type: application/pdf"
unlike "no line of it reads as a decision" "$(sed -n '/^Content-Transfer-Encoding: quoted/,$p' <<<"$m1" | grep -E '^ *(SETUJU|TOLAK|PERBAIKI|APPROVE|REJECT|FIX)\b' || true)" "."

# 2. Forgeries change nothing.
reply "$HARNESS_DIR/f1.eml" stranger@example.test "$t1" "SETUJU"
reply "$HARNESS_DIR/f2.eml" op2@example.test "$t1" "SETUJU"
tampered=${t1%?}$([ "${t1: -1}" = a ] && echo b || echo a)
reply "$HARNESS_DIR/f3.eml" op1@example.test "$tampered" "SETUJU"
printf 'From: op1@example.test\nTo: cabut+%s@example.test\nSubject: Re\nMessage-ID: <nodmarc@x>\n\nSETUJU\n' "$t1" >"$HARNESS_DIR/f4.eml"
deliver_unseen cabut "$HARNESS_DIR/f4.eml"
reply "$HARNESS_DIR/f6.eml" pemohon@example.test "$t1" "SETUJU"
reply "$HARNESS_DIR/f5.eml" op1@example.test "$t1" "> SETUJU
> Yth. Petugas Verifikasi"
once
is "forged, forwarded, tampered, no-DMARC, applicant's and quote-only replies decide nothing" \
	"$(q 'SELECT state || "|" || (SELECT count(*) FROM approvals) FROM requests WHERE id = 1')" "pending_approval|0"
is "five of them are quarantined" "$(q "SELECT count(*) FROM quarantine q JOIN messages m ON m.id = q.message_id WHERE m.request_id = 1 OR m.tokens IS NOT NULL")" 5
ok "the quote-only reply gets one 'not understood'" wait_for 10 eval '[ "$(inbox op1)" = 2 ]'

# 3. SETUJU in Indonesian, Gmail-style with the quote below.
reply "$HARNESS_DIR/a1.eml" op1@example.test "$t1" "Setuju.

Pada tanggal 26 Nov 2026, cabut <cabut@example.test> menulis:
> TOLAK"
once
# (An approved request goes on to the revocation backend in the same
# cycle; the test CA's certificates are not the local CA's, so it fails
# there: what counts here is the approval itself.)
approved() { q "SELECT count(*) FROM audit WHERE request_id = $1 AND to_state = 'approved'"; }
is "SETUJU from op1 approves (approvals_required = 1)" "$(approved 1)" 1
like "the approval is in the audit log as op1's" "$("$CABUTCTL" -c "$conf" log)" "pending_approval -> approved by op:op1@example.test"
reply "$HARNESS_DIR/a2.eml" op2@example.test "$t2" "TOLAK terlambat"
once
is "a later decision changes nothing" \
	"$(q "SELECT count(*) FROM audit WHERE request_id = 1 AND to_state = 'rejected'")|$(approved 1)" "0|1"
ok "and is answered with what was decided" wait_for 10 eval '[ "$(inbox op2)" = 2 ]'
like "by whom" "$(mail_of op2 2)" "op:op1@example.test"

# 4. TOLAK with a reason, in an Outlook-style reply (English client).
request "$HARNESS_DIR/r2.eml" pemohon2@example.test "$s2" "perubahan data"
once
ok "the second request reaches op1" wait_for 10 eval '[ "$(inbox op1)" = 3 ]'
t=$(mail_of op1 3 | token_of)
reply "$HARNESS_DIR/x1.eml" op1@example.test "$t" "REJECT: the letter is not signed by a superior

________________________________
From: cabut BSrE <cabut@example.test>
Sent: Thursday, 26 November 2026 10:00
To: op1@example.test
Subject: [cabut #2]

APPROVE"
once
is "REJECT rejects" "$(q 'SELECT state FROM requests WHERE id = 2')" rejected
like "with the reason in the audit log" "$("$CABUTCTL" -c "$conf" log)" "rejected: the letter is not signed by a superior"
ok "the applicant is told" wait_for 10 eval '[ "$(inbox pemohon2)" -ge 2 ]'
like "with the reason" "$(mail_of pemohon2 "$(inbox pemohon2)")" "not signed by a superior"

# 5. PERBAIKI returns it to the applicant with the OP's words.
request "$HARNESS_DIR/r3.eml" pemohon2@example.test "$s2" "perubahan data" "NIK: 3374010101010001"
once
ok "the third request reaches op2" wait_for 10 eval '[ "$(inbox op2)" -ge 4 ]'
t=$(mail_of op2 "$(inbox op2)" | token_of)
reply "$HARNESS_DIR/p1.eml" op2@example.test "$t" "PERBAIKI
Surat belum ditandatangani atasan.

--
Op Dua"
once
is "PERBAIKI returns the request" "$(q 'SELECT state FROM requests WHERE id = 3')" returned
ok "the applicant gets the OP's words" wait_for 10 eval 'mail_of pemohon2 "$(inbox pemohon2)" | grep -q "Surat belum ditandatangani atasan"'

# 6. approvals_required = 2: two distinct OPs; an OP who is the applicant
# gets no approval mail.
writeconf "[op]" "approvals_required = 2"
sed -i 's/^addresses = .*/addresses = op1@example.test, op2@example.test, admin@example.test/' "$conf"
request "$HARNESS_DIR/r4.eml" op1@example.test "$s3" "lupa passphrase"
once
id=$(q 'SELECT max(id) FROM requests')
is "the OP's own request waits for approval" "$(q "SELECT state FROM requests WHERE id = $id")" pending_approval
is "approval mails go to the other OPs only" \
	"$(q "SELECT group_concat(recipient, ',') FROM (SELECT recipient FROM outbox WHERE kind = 'approval' AND request_id = $id ORDER BY recipient)")" \
	"admin@example.test,op2@example.test"
ok "op2 has it" wait_for 10 eval 'mail_of op2 "$(inbox op2)" | grep -q "cabut #$id"'
t=$(mail_of op2 "$(inbox op2)" | token_of)
reply "$HARNESS_DIR/b1.eml" op2@example.test "$t" "APPROVED"
once
is "one approval of two: still pending" "$(q "SELECT state FROM requests WHERE id = $id")" pending_approval
like "the approval is recorded" "$("$CABUTCTL" -c "$conf" log)" "approval by op:op2@example.test: approval 1 of 2"
reply "$HARNESS_DIR/b2.eml" op2@example.test "$t" "APPROVED"
once
is "the same OP twice is still one approval" "$(q "SELECT count(*) FROM approvals WHERE request_id = $id")" 1
ok "admin has the mail" wait_for 10 eval 'mail_of admin "$(inbox admin)" | grep -q "cabut #$id"'
t=$(mail_of admin "$(inbox admin)" | token_of)
reply "$HARNESS_DIR/b3.eml" admin@example.test "$t" "disetujui"
once
is "a second OP approves: approved" "$(approved "$id")" 1

# 7. The admin's decision settles a request.
request "$HARNESS_DIR/r5.eml" pemohon2@example.test "$s2" "perubahan data"
once
id=$(q 'SELECT max(id) FROM requests')
out=$("$CABUTCTL" -c "$conf" reject "$id" --reason "duplikat permohonan" 2>&1); rc=$?
is "cabutctl reject settles it" "$rc:$(q "SELECT state FROM requests WHERE id = $id")" "0:rejected"
like "recorded as the admin's decision" "$("$CABUTCTL" -c "$conf" log)" "pending_approval -> rejected by admin:"
rc=$(exit_code "$CABUTCTL" -c "$conf" approve "$id")
is "a decided request cannot be approved again (exit 1)" "$rc" 1
rc=$(exit_code "$CABUTCTL" -c "$conf" reject "$id")
is "reject without --reason is a usage error" "$rc" 64

# 10. cabutctl request add: an OP enters a request for the holder.
out=$("$CABUTCTL" -c "$conf" request add --serial "$s1" --reason "lupa passphrase" \
	--letter "$HARNESS_DIR/surat.pdf" --note "pemohon datang langsung" 2>&1); rc=$?
is "request add enters a request" "$rc" 0
id=$(q 'SELECT max(id) FROM requests')
is "it waits for approval, marked as entered by hand" \
	"$(q "SELECT state || '|' || requester || '|' || (entered_by LIKE 'admin:%pemohon datang langsung') FROM requests WHERE id = $id")" \
	"pending_approval|pemohon@example.test|1"
is "and goes to the three OPs like any other" "$(q "SELECT count(*) FROM outbox WHERE kind = 'approval' AND request_id = $id")" 3
printf 'not a letter\n' >"$HARNESS_DIR/note.txt"
rc=$(exit_code "$CABUTCTL" -c "$conf" request add --serial "$s1" --reason "lupa passphrase" --letter "$HARNESS_DIR/note.txt")
is "a letter of a type not allowed is refused" "$rc" 1
rc=$(exit_code "$CABUTCTL" -c "$conf" request add --serial ABCDEF --reason "lupa passphrase" --letter "$HARNESS_DIR/surat.pdf")
is "an unknown certificate is refused" "$rc" 1
"$CABUTCTL" -c "$conf" reject "$id" --reason "uji" >/dev/null

# 11. Other mail clients and other tokens.
newreq() {	# newreq NAME: a request by pemohon2; sets id and t (op1's token)
	request "$HARNESS_DIR/$1.eml" pemohon2@example.test "$s2" "perubahan data"
	once
	id=$(q 'SELECT max(id) FROM requests')
	wait_for 10 eval 'mail_of op1 "$(inbox op1)" | grep -q "cabut #$id"' || true
	t=$(mail_of op1 "$(inbox op1)" | token_of)
}
newreq r8
# HTML only (as a webmail sends it), with the quote in a blockquote.
printf 'From: op1@example.test\nTo: cabut+%s@example.test\nSubject: Re\nMessage-ID: <html1@x>\n%s\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><div dir="ltr"><b>TOLAK</b>&nbsp;&mdash; NIK tidak sesuai</div><br><div class="gmail_quote">Pada tanggal 26 Nov 2026, cabut menulis:<blockquote>SETUJU</blockquote></div></body></html>\n' "$t" "$AR" >"$HARNESS_DIR/h1.eml"
deliver_unseen cabut "$HARNESS_DIR/h1.eml"
once
is "an HTML-only reply is read as text: TOLAK rejects" "$(q "SELECT state FROM requests WHERE id = $id")" rejected
like "with its reason" "$("$CABUTCTL" -c "$conf" log)" "rejected: .*NIK tidak sesuai"
newreq r9
# mutt: attribution line, then ">" quotes, and a signature.
reply "$HARNESS_DIR/m1.eml" op1@example.test "$t" "approve

On Thu, Nov 26, 2026 at 10:00:00AM +0700, cabut BSrE wrote:
> TOLAK
-- 
op1"
once
is "a mutt-style reply counts as op1's approval (1 of the 2 required)" \
	"$(q "SELECT group_concat(op || ':' || decision) FROM approvals WHERE request_id = $id")" "op:op1@example.test:approve"
"$CABUTCTL" -c "$conf" reject "$id" --reason "uji" >/dev/null	# or the next one would join it
if cabut_has_test_hooks; then
	newreq r10
	reply "$HARNESS_DIR/e1.eml" op1@example.test "$t" "SETUJU"
	CABUT_NOW=$(( $(date +%s) + 8 * 86400 )) once
	is "an expired token decides nothing" "$(q "SELECT count(*) FROM approvals WHERE request_id = $id")" 0
	like "it is quarantined as expired" "$("$CABUTCTL" -c "$conf" quarantine)" "token expired"
	"$CABUTCTL" -c "$conf" reject "$id" --reason "uji" >/dev/null
else
	skip 2 "built without --enable-test-hooks"
fi

# 12. A token of another purpose cannot approve: the applicant answers the
# confirmation mail (confirm_requester = yes) with SETUJU.
writeconf "[request]" "confirm_requester = yes"
sed -i 's/^addresses = .*/addresses = op1@example.test, op2@example.test, admin@example.test/' "$conf"
sed -i 's/^\[op\]$/[op]\napprovals_required = 2/' "$conf"
s4=$(cabut_holder_cert "Tamu" stranger@example.test)
"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Tamu.pem" >/dev/null
request "$HARNESS_DIR/r11.eml" stranger@example.test "$s4" "perubahan data"
once
id=$(q 'SELECT max(id) FROM requests')
is "confirm_requester = yes: awaiting confirmation even with DMARC" "$(q "SELECT state FROM requests WHERE id = $id")" awaiting_confirmation
ok "the confirmation mail arrives" wait_for 10 eval 'mail_of stranger "$(inbox stranger)" | grep -q "cabut #$id"'
ct=$(mail_of stranger "$(inbox stranger)" | token_of)
reply "$HARNESS_DIR/w1.eml" stranger@example.test "$ct" "SETUJU"
once
is "SETUJU with a confirmation token approves nothing" \
	"$(q "SELECT state || '|' || (SELECT count(*) FROM approvals WHERE request_id = $id) FROM requests WHERE id = $id")" "awaiting_confirmation|0"
like "and is quarantined" "$("$CABUTCTL" -c "$conf" quarantine)" "confirmation reply not understood"
writeconf
sed -i 's/^addresses = .*/addresses = op1@example.test, op2@example.test, admin@example.test/' "$conf"
sed -i 's/^\[op\]$/[op]\napprovals_required = 2/' "$conf"

# 9 (before 8, which runs the daemon). Reminders, expiry and bounces,
# with the clock moved by CABUT_NOW (test builds only).
if cabut_has_test_hooks; then
	writeconf "[op]" "reminder_after = 5m" "reminder_every = 1h" "reminders_max = 2" \
		"expire_after = 1d" "[daemon]" "admin_address = admin@example.test"
	request "$HARNESS_DIR/r7.eml" pemohon2@example.test "$s2" "perubahan data"
	once
	id=$(q 'SELECT max(id) FROM requests')
	t0=$(q "SELECT started FROM request_steps WHERE request_id = $id AND step = 6")
	rem() { q "SELECT count(*) FROM outbox WHERE kind = 'reminder' AND request_id = $id"; }
	CABUT_NOW=$((t0 + 200)) once
	is "no reminder before reminder_after" "$(rem)" 0
	CABUT_NOW=$((t0 + 301)) once
	is "after reminder_after each undecided OP is reminded" "$(rem)" 2
	CABUT_NOW=$((t0 + 400)) once
	is "not again before reminder_every" "$(rem)" 2
	CABUT_NOW=$((t0 + 301 + 3600)) once
	is "a second reminder after reminder_every" "$(rem)" 4
	CABUT_NOW=$((t0 + 301 + 7200)) once
	is "no more than reminders_max" "$(rem)" 4
	# A bounce of the approval mail reaches the admin.
	tok=$(q "SELECT substr(message_id, 7, instr(message_id, '@') - 7) FROM outbox WHERE kind = 'approval' AND request_id = $id LIMIT 1")
	printf 'From: MAILER-DAEMON@example.test\nTo: cabut@example.test\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn1@x>\nReferences: <cabut.%s@example.test>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="d"\n\n--d\nContent-Type: text/plain\n\nnot delivered\n--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; op2@example.test\nAction: failed\nStatus: 5.1.1\n--d--\n' "$tok" >"$HARNESS_DIR/dsn.eml"
	deliver_unseen cabut "$HARNESS_DIR/dsn.eml"
	CABUT_NOW=$((t0 + 7300)) once
	is "a bounced approval mail alerts the admin" \
		"$(q "SELECT count(*) FROM outbox WHERE kind = 'alert' AND recipient = 'admin@example.test'")" 1
	CABUT_NOW=$((t0 + 86401)) once
	is "no decision within expire_after: expired" "$(q "SELECT state FROM requests WHERE id = $id")" expired
	is "the applicant and the two OPs are told" \
		"$(q "SELECT group_concat(recipient, ',') FROM (SELECT recipient FROM outbox WHERE kind = 'expired' AND request_id = $id ORDER BY recipient)")" \
		"op1@example.test,op2@example.test,pemohon2@example.test"
else
	skip 8 "built without --enable-test-hooks"
fi

# 8. A running daemon (IDLE, poll_interval 10m) acts on cabutctl at once.
CABUT_POLL=10m writeconf
request "$HARNESS_DIR/r6.eml" pemohon2@example.test "$s2" "perubahan data" "Username: sri"
once
id=$(q 'SELECT max(id) FROM requests')
n0=$(inbox pemohon2)
cabutd_bg "$conf"
ok "the daemon waits in IDLE" wait_for 15 cabutd_log_has "imap: connected"
sleep 1
"$CABUTCTL" -c "$conf" reject "$id" --reason "dibatalkan admin" >/dev/null
ok "the applicant is told within seconds (SIGUSR1 woke the daemon)" \
	wait_for 10 eval '[ "$(inbox pemohon2)" -gt "$n0" ]'
kill -TERM "$CABUTD_PID"; wait "$CABUTD_PID"

done_testing
