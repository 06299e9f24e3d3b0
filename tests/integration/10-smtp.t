#!/bin/bash
# shellcheck disable=SC2317,SC2119 # helpers run via ok; harness functions
# The SMTP sender (src/smtp.c, through tests/tools/smtp-send) against a
# real server: STARTTLS+AUTH or SMTPS with the certificate verified, the
# exact bytes delivered, and every way a send can end classified as sent,
# tempfail (retry: the server's 4xx, but also anything wrong between us and
# our server) or permfail (a 5xx to MAIL, RCPT or the message).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"

for tool in dovecot doveadm openssl "$HARNESS_PYTHON"; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
"$HARNESS_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "aiosmtpd not installed for $HARNESS_PYTHON"
SEND=$top_builddir/tests/tools/smtp-send
[ -x "$SEND" ] || bail "$SEND not built"

plan 47

harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "the SMTP server did not start"

pw=$HARNESS_DIR/smtp.pass
printf '%s\n' "$SMTP_PASSWORD" >"$pw"
chmod 0600 "$pw"
badpw=$HARNESS_DIR/bad.pass
printf 'not-%s\n' "$SMTP_PASSWORD" >"$badpw"
chmod 0600 "$badpw"
URL=smtp://localhost:$SMTP_PORT/cabut.example.test
AUTH=(--ca "$DOVECOT_CA" --user "$SMTP_USER" --password-file "$pw")
FROM=cabut@example.test
RCPT=pemohon@example.test

# send ARGS...: runs smtp-send; sets out (its stdout) and rc.  Everything
# it prints is also kept, to look for the password in it at the end.
send() {
	rc=0
	out=$("$SEND" "$@" 2>>"$HARNESS_DIR/send.err") || rc=$?
	printf '%s\n' "$out" >>"$HARNESS_DIR/send.out"
}

# A message whose lines start with dots: "." alone would end DATA and
# "..x" would lose a dot unless libcurl dot-stuffs both on the wire.
msg=$HARNESS_DIR/msg.txt
cat >"$msg" <<'EOF'
From: cabut <cabut@example.test>
To: pemohon@example.test
Subject: [cabut #1] Permohonan diterima
Message-ID: <smtp-test-1@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Permohonan Anda sudah diterima.
.
..dua titik
.satu titik
akhir
EOF
sed 's/$/\r/' "$msg" >"$HARNESS_DIR/msg.crlf"

# --- sent ------------------------------------------------------------------

send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "STARTTLS + AUTH, certificate verified: sent (exit 0)" "$rc $out" "0 sent"
is "the server accepted one message" "$(smtp_spool_count)" 1
last=$(smtp_spool_last)
ok "it holds exactly the bytes sent (CRLF, dot lines intact)" \
	cmp "$HARNESS_DIR/msg.crlf" "$last"
is "envelope: sender, one recipient, AUTH, STARTTLS, EHLO name from the URL" \
	"$(grep -E '^(mail_from|rcpt_to|auth|tls|helo) ' "${last%.eml}.env")" \
	"mail_from <cabut@example.test>
rcpt_to <pemohon@example.test>
auth cabut
tls starttls
helo cabut.example.test"
is "it arrived in the recipient's Dovecot mailbox" "$(mailbox_count pemohon)" 1
# has_lines USER LINE...: every LINE is a whole line of USER's mail.
has_lines() {
	local got l
	got=$(mailbox_read "$1" | tr -d '\r')
	shift
	for l in "$@"; do
		grep -qxF -- "$l" <<<"$got" || return 1
	done
}
ok "the dot lines arrived as written" \
	has_lines pemohon "." "..dua titik" ".satu titik"

send "${AUTH[@]}" "smtps://localhost:$SMTPS_PORT/" "$FROM" "$RCPT" "$msg"
is "SMTPS (implicit TLS): sent" "$rc $out" "0 sent"
last=$(smtp_spool_last)
is "... over implicit TLS" "$(grep '^tls ' "${last%.eml}.env")" "tls implicit"
is "... and byte for byte" "$(cmp "$HARNESS_DIR/msg.crlf" "$last" && echo same)" same

send "${AUTH[@]}" "$URL" "" admin@example.test "$msg"
is "the null sender <> works: sent" "$rc $out" "0 sent"
last=$(smtp_spool_last)
is "... as MAIL FROM:<>" "$(grep '^mail_from ' "${last%.eml}.env")" "mail_from <>"
is "... and it arrived" "$(mailbox_count admin)" 1

# --- TLS -------------------------------------------------------------------

n=$(smtp_spool_count)
send --user "$SMTP_USER" --password-file "$pw" "$URL" "$FROM" "$RCPT" "$msg"
is "no CA file: the system store does not know the test CA: tempfail" \
	"$rc" 75
like "... a certificate error" "$out" '^tempfail 0: .*certificate'
is "... nothing sent" "$(smtp_spool_count)" "$n"

# A second server of the same kind whose certificate (signed by the same
# CA) is for wrong.example only.
wport=$(free_port) || bail "no free port"
mkdir -p "$HARNESS_DIR/wrong/spool"
harness_bg smtp-wrong "$HARNESS_PYTHON" "$top_srcdir/tests/lib/smtp_lmtp.py" \
	--listen "127.0.0.1:$wport" --dir "$HARNESS_DIR/wrong" \
	--log "$HARNESS_DIR/wrong/log" \
	--cert "$HARNESS_DIR/dc/wrong.pem" --key "$HARNESS_DIR/dc/wrong.key" \
	--auth "$SMTP_USER:$SMTP_PASSWORD"
wait_for 10 port_listening "$wport" || bail "the wrong.example server did not start"
wrong_count() { find "$HARNESS_DIR/wrong/spool" -name '*.eml' | wc -l; }

send "${AUTH[@]}" "smtp://localhost:$wport/" "$FROM" "$RCPT" "$msg"
is "a certificate for another host name: tempfail" "$rc" 75
like "... because the name does not match" "$out" \
	"^tempfail 0: .*wrong\\.example.*does not match.*localhost"
is "... nothing sent" "$(wrong_count)" 0
send --no-verify "${AUTH[@]}" "smtp://localhost:$wport/" "$FROM" "$RCPT" "$msg"
is "the same server with tls_verify off: sent (only the name was wrong)" \
	"$rc $out $(wrong_count)" "0 sent 1"

# A server that offers no STARTTLS at all (aiosmtpd's own, which prints
# what it receives).
pport=$(free_port) || bail "no free port"
harness_bg smtp-plain env PYTHONUNBUFFERED=1 "$HARNESS_PYTHON" -m aiosmtpd \
	-n -l "127.0.0.1:$pport"
wait_for 10 port_listening "$pport" || bail "the plain server did not start"
send "smtp://localhost:$pport/" "$FROM" "$RCPT" "$msg"
is "STARTTLS required, the server has none: tempfail" "$rc" 75
like "... saying so" "$out" '^tempfail 0: .*(STARTTLS|SSL)'
unlike "... and the message was not sent in clear" \
	"$(cat "$HARNESS_DIR/smtp-plain.out")" 'Permohonan'
send --no-starttls "smtp://localhost:$pport/" "$FROM" "$RCPT" "$msg"
is "with starttls = no the same server takes it" "$rc $out" "0 sent"
ok "... in clear" wait_for 5 grep -q 'Permohonan' "$HARNESS_DIR/smtp-plain.out"

n=$(smtp_spool_count)
send --no-starttls "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "starttls = no but the server requires it (530): tempfail, not permfail" \
	"$rc $out" "75 tempfail 530: 530 Must issue a STARTTLS command first"
is "... nothing sent" "$(smtp_spool_count)" "$n"

# A server that turns every client away in its greeting: a 5xx before
# MAIL is about us and our server, not about this mail.
gport=$(free_port) || bail "no free port"
harness_bg smtp-554 "$HARNESS_PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        c.sendall(b"554 5.3.2 not accepting mail\r\n")
        c.recv(1000)
    except OSError:
        pass
    c.close()
' "$gport"
wait_for 10 port_listening "$gport" || bail "the 554 server did not start"
send "${AUTH[@]}" "smtp://localhost:$gport/" "$FROM" "$RCPT" "$msg"
is "554 in the greeting: tempfail (our server's problem, not the mail's)" \
	"$rc $out" "75 tempfail 554: 554 5.3.2 not accepting mail"

# --- refusals --------------------------------------------------------------

send --ca "$DOVECOT_CA" --user "$SMTP_USER" --password-file "$badpw" \
	"$URL" "$FROM" "$RCPT" "$msg"
is "a wrong password (535) is our configuration: tempfail" \
	"$rc $out" "75 tempfail 535: 535 5.7.8 Authentication credentials invalid"
is "... nothing sent" "$(smtp_spool_count)" "$n"

smtp_fail fail-4xx 1
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "451 at RCPT: tempfail with the server's words" \
	"$rc $out" "75 tempfail 451: 451 4.3.0 try later"
smtp_fail fail-5xx 1
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "554 at RCPT: permfail" \
	"$rc $out" "1 permfail 554: 554 5.7.1 rejected by test server"
send "${AUTH[@]}" "$URL" "$FROM" nobody@example.test "$msg"
is "unknown recipient (550): permfail" \
	"$rc $out" "1 permfail 550: 550 5.1.1 no such user here"
smtp_fail fail-data-4xx 1
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "451 after the data: tempfail" \
	"$rc $out" "75 tempfail 451: 451 4.3.0 try later"
smtp_fail fail-data-5xx 1
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "554 after the data: permfail" \
	"$rc $out" "1 permfail 554: 554 5.7.1 rejected by test server"
is "none of these was delivered" "$(smtp_spool_count) $(mailbox_count pemohon)" \
	"$n 2"
smtp_fail_clear

# --- what smtp_send refuses to send ---------------------------------------

send --raw "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "a bare LF in the data: permfail, before connecting" "$rc" 1
like "... naming it" "$out" '^permfail 0: message line 1: bare LF'
printf 'Subject: x\r\n\r\na\rb\r\n' >"$HARNESS_DIR/cr.txt"
send --raw "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$HARNESS_DIR/cr.txt"
like "a bare CR in the data: permfail" "$rc $out" '^1 permfail 0: message line 3: bare CR'
{ printf 'Subject: x\n\n'; printf '%0999d\n' 0; } >"$HARNESS_DIR/long.txt"
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$HARNESS_DIR/long.txt"
like "a line over 998 bytes: permfail" "$rc $out" '^1 permfail 0: message line 3: longer'
send "${AUTH[@]}" "$URL" "$FROM" $'op1@example.test\r\nRCPT TO:<op2@example.test>' "$msg"
like "CRLF in an address (command injection): permfail" \
	"$rc $out" '^1 permfail 0: recipient: invalid character 0x0d'
is "none of these was sent" \
	"$(smtp_spool_count) $(mailbox_count op1) $(mailbox_count op2)" "$n 0 0"

# --- the server too slow, or gone ----------------------------------------

# The server answers the data only after 30 s.  libcurl's CURLOPT_TIMEOUT
# does not cover the QUIT it sends when it closes the connection, which
# the server answers only after that: smtp_send gives QUIT 2 s more.
echo 30 >"$SMTP_DIR/delay-data"
start=${EPOCHREALTIME/./}
send --timeout 5 "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
is "no answer to the data within the timeout: tempfail" "$rc" 75
like "... a timeout" "$out" '^tempfail 0: Timeout'
ok "... given up within 9 s of a 5 s timeout (took $ms ms)" test "$ms" -le 9000
# The server goes on and may still keep the mail: a retry would send it
# twice, as with any SMTP client (at least once, never lost).
smtp_fail_clear

harness_stop_smtp || bail "the SMTP server did not stop"
send "${AUTH[@]}" "$URL" "$FROM" "$RCPT" "$msg"
is "the server down: tempfail" "$rc" 75
like "... connection refused" "$out" "^tempfail 0: Couldn't connect"

unlike "the password appears in nothing smtp-send printed" \
	"$(cat "$HARNESS_DIR/send.out" "$HARNESS_DIR/send.err")" "$SMTP_PASSWORD"

done_testing
