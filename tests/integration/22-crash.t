#!/bin/bash
# Crashes (issue 7): a mailbox of requests and then of the OPs' replies,
# the daemon made to die at each crash point in turn and started again;
# in the end every message is processed once, every approved request
# revoked once, and no mail to an applicant or OP is missing (a duplicate
# only where SMTP had accepted it just before the crash, and counted).
# Then kill -9 at random moments during a run of many messages.
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
once() { "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
# crash POINT: one run that must die at POINT (counted per point).
crashed=" "
smtp_crashes=0
crash() {
	local rc=0
	CABUT_CRASH_AT=$1 "$CABUTD" --once -c "$conf" 2>"$HARNESS_DIR/crash.err" || rc=$?
	cat "$HARNESS_DIR/crash.err" >>"$HARNESS_DIR/once.err"
	if [ "$rc" -ne 0 ] && grep -q "crash point reached" "$HARNESS_DIR/crash.err"; then
		crashed="$crashed${1%%:*} "
		case $1 in after_smtp_accept*) smtp_crashes=$((smtp_crashes + 1)) ;; esac
	fi
}
delivered() {	# every mail in the applicants' and OPs' mailboxes
	local u n=0
	for u in op1 op2 pemohon pemohon2 pemohon3; do
		n=$((n + $(mailbox_count "$u")))
	done
	echo "$n"
}
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_pdf "$HARNESS_DIR/surat.pdf"

# 1. Six requests, two per applicant, each for a certificate of its own.
serials=()
i=0
for u in pemohon pemohon2 pemohon3 pemohon pemohon2 pemohon3; do
	i=$((i + 1))
	s=$(ctl ca issue --subject "CN=Pemohon $i,O=Pemkot,C=ID" --email "$u@example.test")
	serials+=("$s")
	cabut_request "$HARNESS_DIR/r$i.eml" "$u@example.test" "Nomor Seri: $s
Alasan: lupa passphrase" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$HARNESS_DIR/r$i.eml"
done
for p in cycle_start:1 after_fetch:1 after_commit:2 before_flag:1 after_commit:1 \
	after_smtp_accept:2 before_flag:2 after_smtp_accept:1; do
	crash "$p"
done
once
once
is "each request mail is recorded once" "$(q "SELECT count(*) || '/' || count(DISTINCT uid) FROM messages")" "6/6"
is "no duplicate" "$(q "SELECT count(*) FROM messages WHERE kind = 'duplicate'")" 0
is "six requests wait for approval" "$(q "SELECT count(*) FROM requests WHERE state = 'pending_approval'")" 6
is "every message is flagged on the server" "$(q "SELECT count(*) FROM messages WHERE flagged = 0")" 0
is "each answer and approval mail queued once" \
	"$(q "SELECT count(*) FROM (SELECT 1 FROM outbox GROUP BY request_id, kind, recipient HAVING count(*) > 1)")" 0

# 2. The OPs' SETUJU for each, with crashes around the revocations.
for id in 1 2 3 4 5 6; do
	wait_for 10 eval 'doveadm -c "$DOVECOT_CONF" search -u op1 mailbox INBOX subject "cabut #$id]" | grep -q .' || true
	uid=$(doveadm -c "$DOVECOT_CONF" search -u op1 mailbox INBOX subject "cabut #$id]" | awk '{print $2}' | head -1)
	t=$(doveadm -c "$DOVECOT_CONF" fetch -u op1 text mailbox INBOX uid "$uid" | cabut_token_of)
	cabut_reply "$HARNESS_DIR/ok$id.eml" op1@example.test "$t" "SETUJU"
done
for p in after_fetch:1 after_commit:3 before_revoke:2 after_revoke:1 before_flag:1 \
	after_revoke:3 after_smtp_accept:2 before_revoke:1 after_smtp_accept:5; do
	crash "$p"
done
once
once
for p in cycle_start after_fetch after_commit before_flag before_revoke after_revoke after_smtp_accept; do
	like "it died at $p" "$crashed" " $p "
done
is "all twelve mails are recorded once" "$(q "SELECT count(*) || '/' || count(DISTINCT uid) FROM messages")" "12/12"
is "still no duplicate" "$(q "SELECT count(*) FROM messages WHERE kind = 'duplicate'")" 0
is "every approved request is revoked" "$(q "SELECT count(*) FROM requests WHERE state = 'revoked'")" 6
is "once: one change to revoked each" "$(q "SELECT count(*) FROM audit WHERE to_state = 'revoked'")" 6
crl=$(openssl crl -in "$cadir/crl.pem" -noout -text)
n=0
for s in "${serials[@]}"; do
	[ "$(grep -c "Serial Number: 0*$s\$" <<<"$crl")" = 1 ] && n=$((n + 1))
done
is "each serial is on the CRL once" "$n" 6
is "the CRL was issued once per revocation (and once at init)" \
	"$(openssl crl -in "$cadir/crl.pem" -noout -crlnumber | sed 's/.*=//; s/^0x//')" 07
is "each mail queued once (received, 2 approvals, 3 revoked per request)" \
	"$(q "SELECT count(*) FROM outbox")|$(q "SELECT count(*) FROM (SELECT 1 FROM outbox GROUP BY request_id, kind, recipient HAVING count(*) > 1)")" "36|0"
is "all of them sent" "$(q "SELECT count(*) FROM outbox WHERE state = 'sent'")" 36
ok "every mail arrived; duplicates only for those crashes" \
	wait_for 10 eval '[ "$(delivered)" = $((36 + smtp_crashes)) ]'
like "the audit chain is intact" "$(ctl log --verify)" "intact"

# 3. kill -9 at random moments while the daemon takes in many messages.
N=${CABUT_CRASH_MESSAGES:-500}
cabutd_start() { cabutd_bg "$conf"; }
cabutd_start
applicants=(pemohon pemohon2 pemohon3)
fresh=()
for j in 0 1 2 3 4 5; do
	fresh+=("$(ctl ca issue --subject "CN=Baru $j,O=Pemkot,C=ID" --email "${applicants[$((j % 3))]}@example.test")")
done
(
	for i in $(seq 1 "$N"); do
		j=$((i % 6))
		# Without the letter: each is a request of its own, found
		# invalid, and answered once a day per applicant, so the run
		# measures intake, not the SMTP server.
		cabut_request "$HARNESS_DIR/k$i.eml" "${applicants[$((j % 3))]}@example.test" "Nama: Pemohon $i
Nomor Seri: ${fresh[$j]}
Alasan: lupa passphrase" "" "$AR"
		# in batches of 25, as mail arrives
		if [ $((i % 25)) = 0 ] || [ "$i" = "$N" ]; then
			deliver_maildir cabut "$HARNESS_DIR"/k*.eml
			mkdir -p "$HARNESS_DIR/sent" && mv "$HARNESS_DIR"/k*.eml "$HARNESS_DIR/sent/"
		fi
	done
	touch "$HARNESS_DIR/delivered"
) &
feeder=$!
kills=0
# Twenty kill -9 at random moments (0.5 to 3 s apart) while mail arrives
# and is taken in; then the daemon is left to finish.
while [ "$kills" -lt 20 ]; do
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	sleep 0.5
	kill -9 "$CABUTD_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$CABUTD_PID" 2>/dev/null || true
	cabutd_start
	[ "$(q "SELECT count(*) FROM messages")" -ge $((N + 12)) ] && break
done
wait "$feeder"
ok "the daemon finishes after $kills kill -9" wait_for 120 eval '[ "$(q "SELECT count(*) FROM messages")" = $((N + 12)) ] && [ "$(q "SELECT count(*) FROM outbox WHERE state <> '"'sent'"'")" = 0 ]'
harness_stop "$CABUTD_PID"
ok "it was killed many times" [ "$kills" -ge 5 ]
is "every message recorded once" "$(q "SELECT count(DISTINCT uid) || '/' || count(*) FROM messages")" "$((N + 12))/$((N + 12))"
is "no duplicate" "$(q "SELECT count(*) FROM messages WHERE kind = 'duplicate'")" 0
is "every message flagged" "$(q "SELECT count(*) FROM messages WHERE flagged = 0")" 0
is "each request mail is one request, found invalid" \
	"$(q "SELECT count(*) FROM requests WHERE state = 'invalid'")|$(q "SELECT count(*) FROM messages WHERE kind = 'request' AND request_id IS NOT NULL")" \
	"$N|$((N + 6))"
is "one error answer per applicant and day, none twice" \
	"$(q "SELECT count(*) || '/' || count(DISTINCT recipient) FROM outbox WHERE kind LIKE 'invalid%'")" "3/3"
sent=$(q "SELECT count(*) FROM outbox WHERE state = 'sent'")
ok "every mail arrived, at most one duplicate per kill" \
	wait_for 10 eval 'd=$(delivered); [ "$d" -ge $((sent + smtp_crashes)) ] && [ "$d" -le $((sent + smtp_crashes + kills)) ]'
like "the audit chain is intact" "$(ctl log --verify)" "intact"

done_testing
