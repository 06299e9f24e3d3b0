#!/bin/bash
# Outages (issue 7): with the daemon running on IDLE, the IMAP server
# stopped and started again, the SMTP server answering 4xx and then
# back, the CA unable to work and then back. Nothing is lost, the work
# resumes by itself, and the daemon never exits. (CABUT_FAST_RETRY, a
# test-build hook, makes every back-off 1 s.)
HARNESS_USERS="cabut op1 op2 pemohon pemohon2 pemohon3 admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
cabut_has_test_hooks || skip_all "no test hooks (--enable-test-hooks)"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
cadir=$HARNESS_DIR/state/ca
cabut_secrets
CABUT_POLL=1s cabut_mail_config "$conf" "[daemon]" "admin_address = admin@example.test"
cabut_init "$conf" || bail "init failed"
q() { sqlite3 "$db" "$1"; }
ctl() { "$CABUTCTL" -c "$conf" "$@"; }
state() { q "SELECT state FROM requests WHERE id = $1"; }
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_pdf "$HARNESS_DIR/surat.pdf"
request() {	# request N APPLICANT
	local s
	s=$(ctl ca issue --subject "CN=Pemohon $1,O=Pemkot,C=ID" --email "$2@example.test")
	cabut_request "$HARNESS_DIR/r$1.eml" "$2@example.test" "Nomor Seri: $s
Alasan: perubahan data" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$HARNESS_DIR/r$1.eml"
}
alive() { kill -0 "$CABUTD_PID" 2>/dev/null; }

export CABUT_FAST_RETRY=1
cabutd_bg "$conf"
pid0=$CABUTD_PID
request 1 pemohon
ok "a request is taken in" wait_for 20 eval '[ "$(state 1)" = pending_approval ]'
ok "op1 has its approval mail" wait_for 10 eval '[ "$(mailbox_count op1)" -ge 1 ]'

# 1. The IMAP server goes away and comes back.
harness_stop_dovecot
sleep 3
ok "IMAP down: the daemon keeps running" alive
# (Dovecot's imap process for the daemon's IDLE can outlive its master
# for some seconds.)
ok "and says so" wait_for 40 cabutd_log_has "imap: .*next try"
dovecot_start || bail "Dovecot does not come back"
request 2 pemohon2
ok "IMAP back: the new request is taken in" wait_for 30 eval '[ "$(state 2)" = pending_approval ]'
ok "its applicant gets the receipt" wait_for 20 eval '[ "$(mailbox_count pemohon2)" -ge 1 ]'

# 2. The SMTP server answers 4xx for a while.
smtp_fail fail-4xx
request 3 pemohon3
ok "SMTP 4xx: the request is still taken in" wait_for 20 eval '[ "$(state 3)" = pending_approval ]'
ok "its mail waits in the outbox, retried" wait_for 20 eval \
	'[ "$(q "SELECT count(*) FROM outbox WHERE request_id = 3 AND state = '"'queued'"' AND attempts >= 2")" -ge 1 ]'
ok "the daemon keeps running" alive
smtp_fail_clear
ok "SMTP back: every waiting mail is sent" wait_for 30 eval \
	'[ "$(q "SELECT count(*) FROM outbox WHERE state <> '"'sent'"'")" = 0 ]'
ok "the applicant has the receipt" wait_for 10 eval '[ "$(mailbox_count pemohon3)" -ge 1 ]'
is "nothing was given up" "$(q "SELECT count(*) FROM outbox WHERE state = 'failed'")" 0

# 3. The CA cannot work: its process gone, and its key refused when it is
# started again; then it can again.
chmod 0644 "$cadir/ca.key"
kill -9 "$(pgrep -P "$CABUTD_PID" -f -- --ca-process)"
m=$(mail_of op1 1)
cabut_reply "$HARNESS_DIR/ok1.eml" op1@example.test "$(cabut_token_of <<<"$m")" "SETUJU"
ok "CA down: the approved request waits" wait_for 20 eval \
	'[ "$(q "SELECT attempts + failures FROM revocations WHERE request_id = 1")" -ge 2 ]'
like "in revoking or failed, never revoked" "$(state 1)" "^(revoking|failed)$"
ok "the daemon keeps running" alive
chmod 0600 "$cadir/ca.key"
[ "$(id -u)" = 0 ] && chown "$(cabut_user)" "$cadir/ca.key"
ok "CA back: it is revoked by itself" wait_for 30 eval '[ "$(state 1)" = revoked ]'
is "once" "$(q "SELECT count(*) FROM audit WHERE request_id = 1 AND to_state = 'revoked'")" 1
ok "the applicant is told" wait_for 20 eval 'mail_of pemohon "$(mailbox_count pemohon)" | grep -q "telah dicabut"'

# 4. The same daemon all along.
ok "the daemon never exited" alive
is "it is the process started first" "$CABUTD_PID" "$pid0"
unlike "no fatal error in its log" "$(cat "$HARNESS_DIR/cabutd.out")" "fatal|AddressSanitizer|runtime error"
harness_stop "$CABUTD_PID"

# 5. SIGTERM with a backlog: the daemon finishes the batch in hand and
# exits; the rest waits in the mailbox for the next start.
for i in $(seq 1 400); do
	cabut_request "$HARNESS_DIR/b$i.eml" pemohon2@example.test "Nama: $i
Alasan: lupa passphrase" "" "$AR"
done
deliver_maildir cabut "$HARNESS_DIR"/b*.eml
before=$(q "SELECT count(*) FROM messages")
cabutd_bg "$conf"
wait_for 30 eval '[ "$(q "SELECT count(*) FROM messages")" -gt $((before + 10)) ]'
t0=$SECONDS
kill -TERM "$CABUTD_PID"
rc=0
wait "$CABUTD_PID" || rc=$?
is "SIGTERM during a backlog: exit 0" "$rc" 0
got=$(q "SELECT count(*) FROM messages")
ok "within seconds ($((SECONDS - t0)) s), the backlog not finished ($((got - before)) of 400 taken)" \
	[ $((SECONDS - t0)) -le 10 ] && [ "$got" -lt $((before + 400)) ]
"$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"
is "the next start takes the rest, each once" \
	"$(q "SELECT count(*) || '/' || count(DISTINCT uid) FROM messages")" "$((before + 400))/$((before + 400))"

done_testing
