#!/bin/bash
# shellcheck disable=SC2317,SC2016,SC2119,SC2154 # helpers run via ok/eval; top_builddir is set by tap.sh
# The IMAP module (src/imap.c) against a real Dovecot, through
# tests/tools/imap-probe: the server certificate is checked before LOGIN
# (and a refused one never sees the password), UIDs and sizes, exact
# bytes without \Seen, \Seen and moving only when told, IDLE, and a
# server that dies or stalls gives an error, not a hang.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"

for tool in dovecot doveadm openssl timeout "$HARNESS_PYTHON"; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
PROBE=$top_builddir/tests/tools/imap-probe
[ -x "$PROBE" ] || skip_all "tests/tools/imap-probe not built (make check builds it)"

plan 66

# imap [OPTION...] COMMAND [ARG...]: the probe as cabut on INBOX, STARTTLS
# to localhost with the test CA; options as imap-probe's (before COMMAND).
# Set IMAP_HOST, IMAP_USE_PORT or IMAP_PASS to change those.
imap() {
	local opts=()
	while [ $# -gt 0 ]; do
		case $1 in
		--ca | --out | --ready | --pause | --max | --timeout)
			opts+=("$1" "$2"); shift 2 ;;
		--*) opts+=("$1"); shift ;;
		*) break ;;
		esac
	done
	"$PROBE" --timeout 10 --ca "$DOVECOT_CA" "${opts[@]}" \
		"${IMAP_HOST:-localhost}" "${IMAP_USE_PORT:-$IMAP_PORT}" \
		cabut "${IMAP_PASS:-secret-cabut}" INBOX "$@"
}

# run CMD...: runs it, sets RC, OUT (stdout) and ERR (stderr).
run() {
	local e=$HARNESS_DIR/run.err
	RC=0
	OUT=$("$@" 2>"$e") || RC=$?
	ERR=$(cat "$e")
	[ -z "$ERR" ] || diag "$ERR"
}

# elapsed_ms START: milliseconds since START (an $EPOCHREALTIME).
elapsed_ms() {
	local now=${EPOCHREALTIME/./} start=${1/./}
	echo $(((now - start) / 1000))
}

# log_mark / log_since: Dovecot's log lines written after the mark.
log_mark() {
	LOG_MARK=$(wc -l <"$DOVECOT_LOG")
}
log_since() {
	tail -n +"$((LOG_MARK + 1))" "$DOVECOT_LOG"
}
# no_auth_logged: a client came and went without any authentication
# attempt: Dovecot logged its disconnect as "no auth attempts", and no
# login, no method, no password check.
log_has_no_auth_disconnect() {
	log_since | grep -q 'no auth attempts'
}
no_auth_logged() {
	wait_for 5 log_has_no_auth_disconnect || { diag "$(log_since)"; return 1; }
	if log_since | grep -E 'Login: |method=|auth failed|[Pp]assword'; then
		return 1
	fi
}

# message FILE SUBJECT [lf]: a test message with CRLF (or LF) line ends;
# its header block alone goes to FILE.hdr.
message() {
	local nl=$'\r\n'
	[ "${3:-}" != lf ] || nl=$'\n'
	printf 'From: pemohon@example.test%sTo: cabut@example.test%sSubject: %s%sMessage-ID: <%s@example.test>%s%s' \
		"$nl" "$nl" "$2" "$nl" "$2" "$nl" "$nl" >"$1.hdr"
	{
		cat "$1.hdr"
		printf 'Body of %s.%sSecond line, 8-bit: caf\xc3\xa9.%s' "$2" "$nl" "$nl"
	} >"$1"
}

# crlf FILE: FILE with every LF made CRLF (what IMAP serves).
crlf() {
	sed 's/$/\r/' "$1"
}

size_of() {
	stat -c %s "$1"
}

harness_tmpdir
M=$HARNESS_DIR/msg
mkdir -p "$M"
ok "dovecot starts" dovecot_start || bail "no Dovecot: see the log above"

# --- TLS and LOGIN --------------------------------------------------------

run imap uidvalidity
like "STARTTLS, certificate checked with the test CA, LOGIN, SELECT: UIDVALIDITY" \
	"$RC:$OUT" '^0:[1-9][0-9]*$'
uidv=$OUT
run imap uidvalidity
is "UIDVALIDITY is stable across sessions" "$RC:$OUT" "0:$uidv"
IMAP_HOST=127.0.0.1 IMAP_USE_PORT=$IMAPS_PORT run imap --imaps uidvalidity
is "IMAPS to 127.0.0.1 (IP SAN) verifies and gives the same UIDVALIDITY" "$RC:$OUT" "0:$uidv"
run imap caps
is "Dovecot offers IDLE and MOVE" "$OUT" "idle=1 move=1"

log_mark
IMAP_PASS=wrong run imap uidvalidity
is "a wrong password: exit 3" "$RC" 3
like "and the error names LOGIN and quotes the server" "$ERR" 'LOGIN: .*Authentication failed'

log_mark
run "$PROBE" --timeout 10 localhost "$IMAP_PORT" cabut secret-cabut INBOX uidvalidity
is "unknown CA (system store only) over STARTTLS: refused, exit 2" "$RC" 2
like "with OpenSSL's reason" "$ERR" 'certificate verify failed: unable to get local issuer certificate'
ok "and Dovecot saw no authentication attempt" no_auth_logged

log_mark
run "$PROBE" --timeout 10 --imaps localhost "$IMAPS_PORT" cabut secret-cabut \
	INBOX uidvalidity
is "unknown CA over IMAPS: refused, exit 2" "$RC" 2
ok "and Dovecot saw no authentication attempt" no_auth_logged

run imap --ca /nonexistent/ca.pem uidvalidity
is "an unreadable CA file: refused, exit 2" "$RC" 2

# Dovecot lets 127.0.0.1 -> 127.0.0.1 log in without TLS (see harness.sh).
run imap --no-starttls noop
is "starttls off (loopback only): works" "$RC" 0
like "with a warning that the password goes in clear" "$ERR" 'without TLS'

# --- listing and fetching ----------------------------------------------

message "$M/1.eml" first
message "$M/2.eml" second lf
message "$M/3.eml" third
{
	printf 'From: pemohon@example.test\r\nTo: cabut@example.test\r\nSubject: big\r\n'
	printf 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n'
	head -c 600000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
} >"$M/4.eml"
for i in 1 2 3 4; do
	deliver_unseen cabut "$M/$i.eml"
done
mapfile -t uids < <(mailbox_uids cabut)
is "four messages delivered unseen" "${#uids[@]}" 4
crlf "$M/2.eml" | sed 's/\r\r$/\r/' >"$M/2.crlf"
cp "$M/1.eml" "$M/1.crlf"
cp "$M/3.eml" "$M/3.crlf"
cp "$M/4.eml" "$M/4.crlf"
expected=""
for i in 1 2 3 4; do
	expected+="${uids[i - 1]} $(size_of "$M/$i.crlf")"$'\n'
done

run imap list 0
is "list after 0: every UID, ascending, with RFC822.SIZE (CRLF bytes)" \
	"$OUT"$'\n' "$expected"
run imap list "${uids[1]}"
is "list after the second UID: the last two" "$OUT" \
	"${uids[2]} $(size_of "$M/3.crlf")"$'\n'"${uids[3]} $(size_of "$M/4.crlf")"
run imap list "${uids[3]}"
is "list after the last UID is empty (N:* returns the last UID: filtered)" "$RC:$OUT" "0:"
run imap list 4000000000
is "list after a UID far beyond: empty too" "$RC:$OUT" "0:"
run imap --max 2 list 0
is "at most max, the lowest first" "$OUT" \
	"${uids[0]} $(size_of "$M/1.crlf")"$'\n'"${uids[1]} $(size_of "$M/2.crlf")"

imap fetch "${uids[0]}" >"$M/got1" 2>"$HARNESS_DIR/err" || true
ok "fetch returns the exact bytes" cmp "$M/1.crlf" "$M/got1"
imap fetch "${uids[1]}" >"$M/got2" 2>"$HARNESS_DIR/err" || true
ok "an LF message comes back as CRLF, otherwise byte for byte" cmp "$M/2.crlf" "$M/got2"
mkdir -p "$M/out"
run imap --out "$M/out" fetch "${uids[@]}"
ok "one fetch of four UIDs (one with 600 KB) writes each exactly" eval '
	cmp "$M/1.crlf" "$M/out/${uids[0]}.eml" &&
	cmp "$M/2.crlf" "$M/out/${uids[1]}.eml" &&
	cmp "$M/3.crlf" "$M/out/${uids[2]}.eml" &&
	cmp "$M/4.crlf" "$M/out/${uids[3]}.eml"'
imap header "${uids[2]}" >"$M/hdr3" 2>/dev/null || true
ok "header fetch returns the header block only (through the blank line)" \
	cmp "$M/3.eml.hdr" "$M/hdr3"
is "fetching (body and header) did not set \\Seen" \
	"$(mailbox_flags cabut "${uids[0]}")|$(mailbox_flags cabut "${uids[2]}")" "|"
run imap fetch 0
is "UID 0 is refused (libetpan would send it as '*')" "$RC" 1
run imap fetch 999999
is "fetching a UID that does not exist: nothing, no error" "$RC:$OUT" "0:"

# --- \Seen and moving ------------------------------------------------------

run imap seen "${uids[0]}"
is "seen sets \\Seen" "$RC:$(mailbox_flags cabut "${uids[0]}")" '0:\Seen'
is "on that message only" "$(mailbox_flags cabut "${uids[1]}")" ""

in_box() { # USER UID MAILBOX: the UID list of MAILBOX has it
	mailbox_uids "$1" "$3" | grep -qx "$2"
}
processed_before=$(mailbox_count cabut Processed)
log_mark
run imap move Processed "${uids[0]}"
is "move to Processed: done" "$RC" 0
is "the message is in Processed" "$(mailbox_count cabut Processed)" "$((processed_before + 1))"
ok "and gone from INBOX" eval '! in_box cabut "${uids[0]}" INBOX'
ok "the others stay in INBOX" eval 'in_box cabut "${uids[1]}" INBOX && in_box cabut "${uids[2]}" INBOX'

run imap move Archive/2025 "${uids[1]}"
is "move to a folder that does not exist: created, then moved" \
	"$RC:$(mailbox_count cabut Archive/2025)" "0:1"
ok "and gone from INBOX" eval '! in_box cabut "${uids[1]}" INBOX'

# Without MOVE: UID COPY + \Deleted + UID EXPUNGE of our UIDs only. A
# message someone else marked \Deleted must survive (a plain EXPUNGE
# would remove it). Test-hook builds can hide MOVE.
if [ "$(CABUT_IMAP_NO_MOVE=1 imap caps 2>/dev/null)" = "idle=1 move=0" ]; then
	doveadm -c "$DOVECOT_CONF" flags add -u cabut '\Deleted' mailbox INBOX \
		uid "${uids[3]}"
	CABUT_IMAP_NO_MOVE=1 run imap move Processed "${uids[2]}"
	is "without MOVE: UID COPY + UID EXPUNGE moves it" \
		"$RC:$(mailbox_count cabut Processed)" "0:$((processed_before + 2))"
	ok "gone from INBOX" eval '! in_box cabut "${uids[2]}" INBOX'
	ok "and another client's \\Deleted message was not expunged" \
		in_box cabut "${uids[3]}" INBOX
	doveadm -c "$DOVECOT_CONF" flags remove -u cabut '\Deleted' mailbox INBOX \
		uid "${uids[3]}"
else
	skip 3 "MOVE cannot be hidden (build without --enable-test-hooks)"
fi

# --- IDLE --------------------------------------------------------------------

start=$EPOCHREALTIME
run imap idle 1500
took=$(elapsed_ms "$start")
is "IDLE with no mail: 0 at the timeout" "$RC:$OUT" "0:0"
ok "after about the timeout (${took} ms)" eval '[ "$took" -ge 1400 ] && [ "$took" -lt 8000 ]'

message "$M/5.eml" during-idle
rm -f "$HARNESS_DIR/ready"
start=$EPOCHREALTIME
imap --ready "$HARNESS_DIR/ready" idle 20000 >"$HARNESS_DIR/idle.out" \
	2>"$HARNESS_DIR/idle.err" &
idle_pid=$!
wait_for 10 test -f "$HARNESS_DIR/ready"
sleep 0.5
deliver_unseen cabut "$M/5.eml"
rc=0
wait "$idle_pid" || rc=$?
took=$(elapsed_ms "$start")
is "IDLE: a delivery wakes it: 1" "$rc:$(cat "$HARNESS_DIR/idle.out")" "0:1"
ok "well before the timeout (${took} ms)" eval '[ "$took" -lt 10000 ]'

start=$EPOCHREALTIME
wake_idle() {
	(sleep 1; echo wake) | imap --wake-stdin idle 20000
}
run wake_idle
took=$(elapsed_ms "$start")
is "IDLE: wake_fd readable: 2" "$RC:$OUT" "0:2"
ok "at once (${took} ms)" eval '[ "$took" -lt 10000 ]'

# --- servers that misbehave -----------------------------------------------

cat >"$HARNESS_DIR/fake_imap.py" <<'EOF'
# A fake IMAP server: "nostarttls" offers no STARTTLS and logs what it
# gets; "silent" never greets; "stall" answers up to SELECT, then nothing.
import socket, sys, threading, time
mode, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
caps = b"IMAP4rev1 AUTH=PLAIN"
def serve(c):
    if mode == "silent":
        time.sleep(120)
        return
    c.sendall(b"* OK [CAPABILITY " + caps + b"] fake ready\r\n")
    for line in c.makefile("rb"):
        with open(log, "ab") as f:
            f.write(line)
        parts = line.split(b" ", 2)
        tag = parts[0]
        cmd = parts[1].strip().upper() if len(parts) > 1 else b""
        if cmd == b"CAPABILITY":
            c.sendall(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")
        elif cmd == b"LOGIN":
            c.sendall(tag + b" OK logged in\r\n")
        elif cmd == b"SELECT":
            c.sendall(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag +
                      b" OK [READ-WRITE] done\r\n")
        elif cmd == b"LOGOUT":
            c.sendall(b"* BYE bye\r\n" + tag + b" OK bye\r\n")
            break
        elif mode == "stall":
            time.sleep(120)
            break
        else:
            c.sendall(tag + b" BAD what\r\n")
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
# fake_start MODE PORT
fake_start() {
	harness_bg "fake-$1" "$HARNESS_PYTHON" "$HARNESS_DIR/fake_imap.py" \
		"$1" "$2" "$HARNESS_DIR/fake-$1.log"
	wait_for 10 port_listening "$2"
}
fake_nostarttls=$(free_port) && fake_start nostarttls "$fake_nostarttls"
fake_silent=$(free_port) && fake_start silent "$fake_silent"
fake_stall=$(free_port) && fake_start stall "$fake_stall"

run "$PROBE" --timeout 5 --ca "$DOVECOT_CA" 127.0.0.1 "$fake_nostarttls" \
	cabut secret-cabut INBOX uidvalidity
is "a server without STARTTLS (starttls required): refused, exit 2" "$RC" 2
like "saying so" "$ERR" 'STARTTLS: the server does not offer it'
ok "and it never got LOGIN (nor the password)" eval \
	'! grep -qiE "LOGIN|secret-cabut" "$HARNESS_DIR/fake-nostarttls.log"'

start=$EPOCHREALTIME
run timeout 20 "$PROBE" --timeout 2 --no-starttls 127.0.0.1 "$fake_silent" \
	cabut secret-cabut INBOX uidvalidity
took=$(elapsed_ms "$start")
is "a server that never greets: error exit 1 (no hang)" "$RC" 1
ok "after the 2 s timeout (${took} ms)" eval '[ "$took" -ge 1500 ] && [ "$took" -lt 10000 ]'

start=$EPOCHREALTIME
run timeout 20 "$PROBE" --timeout 2 --no-starttls 127.0.0.1 "$fake_stall" \
	cabut secret-cabut INBOX list 0
took=$(elapsed_ms "$start")
is "a server that stops answering mid-session: UID SEARCH fails, exit 1" "$RC" 1
like "the error names the step" "$ERR" 'UID SEARCH: connection closed or timed out'
ok "within the timeout (${took} ms)" eval '[ "$took" -lt 10000 ]'

# --- a certificate for another name -----------------------------------------

harness_stop_dovecot
ok "Dovecot restarts with a certificate for wrong.example" dovecot_start wrong
log_mark
run imap uidvalidity
is "STARTTLS to localhost, certificate for wrong.example: refused, exit 2" "$RC" 2
like "hostname mismatch" "$ERR" 'certificate verify failed: hostname mismatch'
ok "and Dovecot saw no authentication attempt" no_auth_logged
log_mark
IMAP_USE_PORT=$IMAPS_PORT run imap --imaps uidvalidity
is "the same over IMAPS: exit 2" "$RC" 2
ok "and no authentication attempt either" no_auth_logged
run imap --no-verify uidvalidity
is "tls_verify off (dangerous): it logs in anyway" "$RC:$OUT" "0:$uidv"
like "with a warning" "$ERR" 'tls_verify is off'

# --- the server dies mid-session --------------------------------------------

harness_stop_dovecot
dovecot_start || bail "Dovecot does not come back"

# kill_session: SIGKILL to Dovecot's processes serving clients (imap and
# imap-login, the TLS proxy): the connection drops as in a crash.
# (harness_stop_dovecot is no good here: those processes outlive the
# master for about 10 s while a client is connected.)
kill_session() {
	local pid comm
	while read -r pid comm; do
		case $comm in
		imap | imap-login) kill -KILL "$pid" ;;
		esac
	done < <(ps -o pid=,comm= --ppid "$DOVECOT_PID")
}

# died_during WHAT PROBE-ARGS...: starts the probe under timeout 20, kills
# the session once it is logged in, sets RC, OUT, ERR and TOOK (ms).
died_during() {
	local start
	rm -f "$HARNESS_DIR/ready"
	start=$EPOCHREALTIME
	timeout 20 "$PROBE" --timeout 10 --ca "$DOVECOT_CA" \
		--ready "$HARNESS_DIR/ready" "$@" \
		>"$HARNESS_DIR/die.out" 2>"$HARNESS_DIR/die.err" &
	local pid=$!
	wait_for 10 test -f "$HARNESS_DIR/ready"
	sleep 0.5
	kill_session
	RC=0
	wait "$pid" || RC=$?
	TOOK=$(elapsed_ms "$start")
	OUT=$(cat "$HARNESS_DIR/die.out")
	ERR=$(cat "$HARNESS_DIR/die.err")
	diag "$ERR"
}

died_during localhost "$IMAP_PORT" cabut secret-cabut INBOX idle 15000
is "server killed during IDLE: -1, error exit 1 (no crash, no hang)" "$RC:$OUT" "1:-1"
ok "at once, not at a timeout (${TOOK} ms)" eval '[ "$TOOK" -lt 5000 ]'
died_during --pause 2 --imaps localhost "$IMAPS_PORT" cabut secret-cabut INBOX list 0
is "server killed between commands (IMAPS): UID SEARCH fails, exit 1" "$RC" 1
like "naming the step" "$ERR" 'UID SEARCH: '
ok "promptly (${TOOK} ms)" eval '[ "$TOOK" -lt 6000 ]'

done_testing
