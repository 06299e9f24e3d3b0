#!/bin/bash
# Intake against a real Dovecot: every message taken in exactly once and
# classified, flagged \Seen only after the commit, never by \Seen alone;
# duplicates, oversize mail, quarantine and reprocess; a server whose
# certificate does not match is refused before LOGIN; IMAP down = exit 69.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
pass=$HARNESS_DIR/imap.pass
printf 'secret-cabut\n' >"$pass"
chmod 0600 "$pass"
[ "$(id -u)" = 0 ] && chown "$(cabut_user)" "$pass"
imapconf() {
	cabut_config "$conf" "[imap]" "username = cabut" "password_file = $pass" \
		"ca_file = $DOVECOT_CA" "$@"
	sed -i "s|^url = imap://127.0.0.1:$IMAP_PORT/INBOX|url = imap://localhost:$IMAP_PORT/INBOX|" "$conf"
}
imapconf
cabut_init "$conf" || bail "init failed"
once() { "$CABUTD" --once -c "$conf"; }
q() { sqlite3 "$db" "$1"; }

mail() {	# mail FILE FROM SUBJECT [EXTRA-HEADER...]
	local f=$1 from=$2 subj=$3 h
	shift 3
	{
		printf 'Received: from mx.example.test by imap.example.test; %s\n' "$(date -R)"
		printf 'From: %s\nTo: cabut@example.test\nSubject: %s\n' "$from" "$subj"
		printf 'Message-ID: <%s@example.test>\nDate: %s\nMIME-Version: 1.0\n' \
			"$(basename "$f" .eml)" "$(date -R)"
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'Content-Type: text/plain; charset=utf-8\n\nNomor Seri: 1A2B\nAlasan: lupa passphrase\n'
	} >"$f"
}
mail "$HARNESS_DIR/req1.eml" pemohon@example.test "Permohonan pencabutan"
mail "$HARNESS_DIR/ooo.eml" op1@example.test "Sedang cuti" "Auto-Submitted: auto-replied"
mail "$HARNESS_DIR/bulk.eml" news@example.test "Buletin" "Precedence: bulk"
mail "$HARNESS_DIR/reply.eml" op1@example.test "Re: [cabut #1]" \
	"In-Reply-To: <cabut.abcdefghijklmnopqrstuvwxyz234567@example.test>"
# 2,000 MIME parts: past the parser's limit, so it is quarantined.
/usr/bin/python3 - "$HARNESS_DIR/parts.eml" <<'PY'
import sys
b = "b0undary"
parts = "".join("--%s\nContent-Type: text/plain\n\npart %d\n" % (b, i) for i in range(2000))
open(sys.argv[1], "w").write("From: pemohon@example.test\nTo: cabut@example.test\n"
    "Subject: many parts\nMessage-ID: <parts@example.test>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=%s\n\n%s--%s--\n" % (b, parts, b))
PY
for m in req1 ooo bulk reply parts; do deliver_unseen cabut "$HARNESS_DIR/$m.eml"; done

out=$(once 2>&1); rc=$?
is "cabutd --once takes the mail in (exit 0)" "$rc" 0
is "five messages recorded" "$(q 'SELECT count(*) FROM messages')" 5
is "classified: request, automatic, automatic, reply (refused), quarantined" \
	"$(q 'SELECT group_concat(kind, ",") FROM (SELECT kind FROM messages ORDER BY uid)')" \
	"request,automatic,automatic,quarantined,quarantined"
is "the reply's token was found" "$(q "SELECT tokens FROM messages WHERE subject = 'Re: [cabut #1]'")" \
	"abcdefghijklmnopqrstuvwxyz234567"
like "a reply whose token does not verify is quarantined with the reason" \
	"$("$CABUTCTL" -c "$conf" quarantine)" "cabut #1.*(malformed token|reply refused)"
all_seen() { local u; for u in $(mailbox_uids cabut); do [ "$(mailbox_flags cabut "$u")" = '\Seen' ] || return 1; done; }
ok "every message is \\Seen on the server after the commit" all_seen
is "all are marked flagged in the store" "$(q 'SELECT count(*) FROM messages WHERE flagged = 1')" 5
like "cabutctl quarantine lists the broken mail" "$("$CABUTCTL" -c "$conf" quarantine)" "parts|many parts.*MIME parts"
is "the raw request is kept as evidence" \
	"$(q "SELECT e.size FROM evidence e JOIN messages m ON m.id = e.message_id WHERE m.kind = 'request' AND e.kind = 'raw_mail' AND e.data IS NOT NULL")" \
	"$(q "SELECT size FROM messages WHERE kind = 'request'")"
is "automatic mail keeps only its hash" \
	"$(q "SELECT count(*) FROM evidence e JOIN messages m ON m.id = e.message_id WHERE m.kind = 'automatic' AND e.data IS NULL")" 2
ok "the quarantine is in the audit log" eval '"$CABUTCTL" -c "$conf" log | grep -q "quarantine by system"'

once >/dev/null 2>&1
is "a second run takes nothing twice" "$(q 'SELECT count(*) FROM messages')" 5

# \Seen is not what cabut relies on: clear it, nothing is taken again.
for u in $(mailbox_uids cabut); do
	doveadm -c "$DOVECOT_CONF" flags remove -u cabut '\Seen' mailbox INBOX uid "$u"
done
once >/dev/null 2>&1
is "messages made unseen again are not processed again" "$(q 'SELECT count(*) FROM messages')" 5

# The same mail delivered again with another Received header.
sed '1s/.*/Received: from relay2.example.test by imap.example.test; Mon, 1 Jan 2024 00:00:00 +0700/' \
	"$HARNESS_DIR/req1.eml" >"$HARNESS_DIR/req1-again.eml"
deliver_unseen cabut "$HARNESS_DIR/req1-again.eml"
once >/dev/null 2>&1
is "a second delivery of the same mail is a duplicate" \
	"$(q 'SELECT kind || ":" || duplicate_of FROM messages ORDER BY id DESC LIMIT 1')" \
	"duplicate:$(q "SELECT id FROM messages WHERE kind = 'request'")"
is "still one request" "$(q "SELECT count(*) FROM messages WHERE kind = 'request'")" 1

# Over max_message_size: recorded by its headers, without the body.
imapconf "[request]" "max_message_size = 4K" "max_attachment_size = 1K"
mail "$HARNESS_DIR/big.eml" pemohon@example.test "Surat besar"
head -c 30000 /dev/urandom | base64 >>"$HARNESS_DIR/big.eml"
deliver_unseen cabut "$HARNESS_DIR/big.eml"
once >/dev/null 2>&1
is "an oversize mail is recorded as oversize" "$(q 'SELECT kind FROM messages ORDER BY id DESC LIMIT 1')" oversize
is "with its full size" "$(q 'SELECT size > 30000 FROM messages ORDER BY id DESC LIMIT 1')" 1
is "but only its header block was read" \
	"$(q "SELECT e.size < 1000 FROM evidence e JOIN messages m ON m.id = e.message_id WHERE m.kind = 'oversize'")" 1
like "it is quarantined" "$("$CABUTCTL" -c "$conf" quarantine)" "larger than max_message_size"
qid=$(q "SELECT q.id FROM quarantine q JOIN messages m ON m.id = q.message_id WHERE m.kind = 'oversize'")
out=$("$CABUTCTL" -c "$conf" reprocess "$qid" 2>&1); rc=$?
is "reprocess of a mail whose body was not kept: exit 1" "$rc" 1
like "and says why" "$out" "not kept"
imapconf

# reprocess: a quarantined mail that can now be processed (here: one put in
# quarantine by hand, as after a parser fix) leaves the quarantine.
rid=$(q "SELECT id FROM messages WHERE kind = 'request' AND subject = 'Permohonan pencabutan'")
q "INSERT INTO quarantine (message_id, reason, created) VALUES ($rid, 'test', 1)"
qid=$(q "SELECT max(id) FROM quarantine")
out=$("$CABUTCTL" -c "$conf" reprocess "$qid" 2>&1); rc=$?
is "reprocess of a parsable mail succeeds" "$rc" 0
like "and says what it is" "$out" "processed again: request"
unlike "it is no longer in the quarantine" "$("$CABUTCTL" -c "$conf" quarantine)" "^$qid "
rc=$(exit_code "$CABUTCTL" -c "$conf" reprocess 999)
is "reprocess of an unknown id: exit 1" "$rc" 1

# processed_folder: moved after the commit, with UID MOVE.
imapconf "processed_folder = Processed"
mail "$HARNESS_DIR/req2.eml" pemohon@example.test "Permohonan kedua"
deliver_unseen cabut "$HARNESS_DIR/req2.eml"
before=$(mailbox_count cabut)
once >/dev/null 2>&1
is "processed mail is moved out of INBOX" "$(mailbox_count cabut)" "$((before - 1))"
is "into Processed" "$(mailbox_count cabut Processed)" 1
imapconf

# The server's certificate must match: a Dovecot with a certificate for
# another name is refused before LOGIN (exit 69: IMAP unusable).
harness_stop_dovecot
dovecot_start wrong || bail "dovecot (wrong certificate) did not start"
logins_before=$(grep -c 'Login: user=<cabut>' "$DOVECOT_LOG" 2>/dev/null || true)
out=$(once 2>&1); rc=$?
is "a certificate for another host name: exit 69" "$rc" 69
like "the reason names the host name check" "$out" "[Hh]ost ?name|hostname|mismatch"
is "and no LOGIN reached the server" "$(grep -c 'Login: user=<cabut>' "$DOVECOT_LOG" 2>/dev/null || true)" "$logins_before"
harness_stop_dovecot

out=$(once 2>&1); rc=$?
is "IMAP server down: --once exits 69" "$rc" 69
like "and says the mail waits" "$out" "could not be reached"
dovecot_start || bail "dovecot did not restart"

# Crash points: the message is taken exactly once whatever the crash.
if cabut_has_test_hooks; then
	for point in after_fetch after_commit before_flag; do
		mail "$HARNESS_DIR/crash-$point.eml" pemohon@example.test "crash $point"
		deliver_unseen cabut "$HARNESS_DIR/crash-$point.eml"
		n0=$(q 'SELECT count(*) FROM messages')
		rc=$(CABUT_CRASH_AT=$point exit_code "$CABUTD" --once -c "$conf")
		is "crash at $point: the process aborted" "$rc" 134
		once >/dev/null 2>&1
		is "crash at $point: after a restart the mail is recorded once" \
			"$(q "SELECT count(*) FROM messages WHERE subject = 'crash $point'"):$(q 'SELECT count(*) FROM messages')" \
			"1:$((n0 + 1))"
		uid=$(q "SELECT uid FROM messages WHERE subject = 'crash $point'")
		is "crash at $point: and flagged \\Seen" "$(mailbox_flags cabut "$uid")" '\Seen'
	done
else
	skip 9 "built without --enable-test-hooks"
fi

# quarantine_max: past it bodies are no longer kept and the admin is told.
imapconf "[request]" "quarantine_max = 1M" "[daemon]" "admin_address = admin@example.test"
for i in 1 2; do
	/usr/bin/python3 - "$HARNESS_DIR/fill$i.eml" "$i" <<'PY'
import sys
b = "b0undary"
pad = "x" * 700
parts = "".join("--%s\nContent-Type: text/plain\n\n%s %d\n" % (b, pad, i) for i in range(1100))
open(sys.argv[1], "w").write("From: pemohon@example.test\nTo: cabut@example.test\n"
    "Subject: fill %s\nMessage-ID: <fill%s@example.test>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=%s\n\n%s--%s--\n" % (sys.argv[2], sys.argv[2], b, parts, b))
PY
	deliver_unseen cabut "$HARNESS_DIR/fill$i.eml"
done
rc=$(exit_code "$CABUTD" --once -c "$conf")
is "past quarantine_max nothing stops (exit 0)" "$rc" 0
is "the first one past it is kept without its body" \
	"$(q "SELECT group_concat(kept, ',') FROM (SELECT e.data IS NOT NULL AS kept FROM evidence e JOIN messages m ON m.id = e.message_id WHERE e.kind = 'raw_mail' AND m.subject LIKE 'fill %' ORDER BY m.id)")" "1,0"
is "the admin is alerted once, by mail" "$(q "SELECT count(*) FROM outbox WHERE kind = 'alert' AND recipient = 'admin@example.test'")" 1
like "and in the audit log" "$("$CABUTCTL" -c "$conf" log)" "quarantine-full by system"
imapconf

# IDLE: with poll_interval = 10m, new mail is taken in at once.
CABUT_POLL=10m imapconf
cabutd_bg "$conf"
ok "the daemon connects" wait_for 15 cabutd_log_has "imap: connected"
sleep 1
mail "$HARNESS_DIR/idle.eml" pemohon@example.test "via IDLE"
deliver_unseen cabut "$HARNESS_DIR/idle.eml"
idle_taken() { [ "$(q "SELECT count(*) FROM messages WHERE subject = 'via IDLE'")" = 1 ]; }
ok "a mail delivered during IDLE is taken in within seconds" wait_for 10 idle_taken
kill -TERM "$CABUTD_PID"; wait "$CABUTD_PID"; rc=$?
is "the daemon stops with exit 0" "$rc" 0

done_testing
