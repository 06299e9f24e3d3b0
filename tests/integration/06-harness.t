#!/bin/bash
# shellcheck disable=SC2317,SC2034,SC2016,SC2119 # helpers run via ok/eval
# The test harness itself: Dovecot and the SMTP server start on free ports,
# speak TLS with the test CA, deliver mail where the other tests will look
# for it, inject failures, and are gone after the script ends.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"

for tool in dovecot doveadm openssl curl ps "$HARNESS_PYTHON"; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
"$HARNESS_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "aiosmtpd not installed for $HARNESS_PYTHON"

plan 32

# smtp_codes [--plain] RCPT...: one SMTP transaction (STARTTLS and AUTH
# unless --plain) from sender@example.test; prints the reply codes of MAIL,
# each RCPT and DATA (DATA only if a RCPT was accepted), space-separated.
smtp_codes() {
	"$HARNESS_PYTHON" - "$@" <<'EOF'
import os, smtplib, ssl, sys
args = sys.argv[1:]
plain = args[:1] == ["--plain"]
rcpts = args[1:] if plain else args
s = smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]), timeout=20)
s.ehlo("client.example")
if not plain:
    s.starttls(context=ssl.create_default_context(
        cafile=os.environ["DOVECOT_CA"]))
    s.ehlo("client.example")
    s.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
codes = [s.mail("sender@example.test")[0]]
if codes[0] != 250:
    rcpts = []
ok = False
for r in rcpts:
    code = s.rcpt(r)[0]
    codes.append(code)
    ok = ok or code == 250
if ok:
    codes.append(s.data(b"Subject: codes\r\n\r\nbody\r\n")[0])
print(" ".join(map(str, codes)))
EOF
}

# imap_plain_login HOST USER PASSWORD: LOGIN without TLS; prints the answer.
imap_plain_login() {
	"$HARNESS_PYTHON" - "$@" <<'EOF'
import imaplib, os, sys
m = imaplib.IMAP4(sys.argv[1], int(os.environ["IMAP_PORT"]), timeout=20)
try:
    print(m.login(sys.argv[2], sys.argv[3])[0])
except imaplib.IMAP4.error as e:
    print("refused:", e)
EOF
}

# tls_check CAFILE PORT NAME [starttls]: prints what openssl says of the
# certificate on PORT for host NAME.
tls_check() {
	local starttls=()
	[ -z "${4:-}" ] || starttls=(-starttls imap)
	openssl s_client "${starttls[@]}" -connect "127.0.0.1:$2" \
		-CAfile "$1" -verify_return_error -verify_hostname "$3" \
		</dev/null 2>&1 | grep -E '^Verify return code|verify error' | head -1
}

# verify CAFILE PORT NAME [starttls]: the certificate verifies.
verify() {
	[ "$(tls_check "$@")" = "Verify return code: 0 (ok)" ]
}

curl_imap() {
	curl -sS --max-time 20 --ssl-reqd --cacert "$DOVECOT_CA" \
		--resolve "localhost:$IMAP_PORT:127.0.0.1" "$@"
}

all_listening() {
	local p
	for p in "$@"; do
		port_listening "$p" || return 1
	done
}

none_listening() {
	local p
	for p in "$@"; do
		! port_listening "$p" || return 1
	done
}

none_alive() {
	local p
	for p in "$@"; do
		! _harness_alive "$p" || return 1
	done
}

harness_tmpdir
ok "dovecot starts" dovecot_start || bail "no Dovecot: see the log above"
ok "smtp server starts" smtp_start || bail "no SMTP server: see the log above"

ports="$IMAP_PORT $IMAPS_PORT $LMTP_PORT $SMTP_PORT $SMTPS_PORT"
# shellcheck disable=SC2086
is "five distinct ports" "$(printf '%s\n' $ports | sort -u | wc -l)" 5
# shellcheck disable=SC2086
ok "all five ports accept connections" all_listening $ports

ok "IMAP STARTTLS certificate verifies for localhost" \
	verify "$DOVECOT_CA" "$IMAP_PORT" localhost starttls
ok "IMAPS certificate verifies for localhost" \
	verify "$DOVECOT_CA" "$IMAPS_PORT" localhost

out=$(curl_imap "imap://localhost:$IMAP_PORT/" -u cabut:secret-cabut 2>&1)
like "LOGIN after STARTTLS lists INBOX and Processed" "$out" \
	'INBOX.*Processed|Processed.*INBOX'
fails "a wrong password is refused" \
	curl_imap "imap://localhost:$IMAP_PORT/" -u cabut:wrong
# (Dovecot lets a client on the listener's own address log in without TLS,
# so this goes to the second address, as a remote client would.)
like "LOGIN without TLS is refused" \
	"$(imap_plain_login "$DOVECOT_STRICT_ADDR" cabut secret-cabut 2>&1)" \
	'refused:.*PRIVACYREQUIRED'

# Mail put in with deliver_unseen stays unseen until an IMAP client reads it.
msg=$HARNESS_DIR/unseen.eml
printf 'From: op1@example.test\r\nTo: cabut@example.test\r\nSubject: unseen-1\r\n\r\nhello\r\n' >"$msg"
deliver_unseen cabut "$msg"
is "deliver_unseen stores one message" "$(mailbox_count cabut)" 1
is "it has no flags" "$(mailbox_flags cabut 1)" ""
curl_imap "imap://localhost:$IMAP_PORT/INBOX;UID=1" -u cabut:secret-cabut \
	>/dev/null
is "reading it over IMAP marks it \\Seen" "$(mailbox_flags cabut 1)" '\Seen'

# SMTP: STARTTLS + AUTH, on to Dovecot through LMTP, exact bytes spooled.
sent=$HARNESS_DIR/sent.eml
printf '%s\r\n' "From: sender@example.test" "To: cabut+tok123@example.test" \
	"Subject: via-smtp-$$" "" "first line" ".a line starting with a dot" \
	"." "last" >"$sent"
ok "curl sends through SMTP with STARTTLS and AUTH" \
	curl -sS --max-time 20 --ssl-reqd --cacert "$DOVECOT_CA" \
	--resolve "localhost:$SMTP_PORT:127.0.0.1" \
	"smtp://localhost:$SMTP_PORT/client.example" -u cabut:secret-smtp \
	--mail-from sender@example.test --mail-rcpt cabut+tok123@example.test \
	-T "$sent"
inbox_has_2() { [ "$(mailbox_count cabut)" = 2 ]; }
ok "it arrives in cabut's INBOX" wait_for 10 inbox_has_2
like "with its subject" "$(mailbox_read cabut)" "Subject: via-smtp-$$"
ok "the spool holds the exact bytes" cmp "$sent" "$(smtp_spool_last)"
like "and the envelope" "$(cat "$(smtp_spool_last | sed 's/eml$/env/')")" \
	$'rcpt_to <cabut\\+tok123@example.test>\nauth cabut\ntls starttls'

ok "SMTPS (implicit TLS) with AUTH LOGIN is accepted too" \
	curl -sS --max-time 20 --ssl-reqd --cacert "$DOVECOT_CA" \
	--resolve "localhost:$SMTPS_PORT:127.0.0.1" \
	"smtps://localhost:$SMTPS_PORT/client.example" -u cabut:secret-smtp \
	--login-options AUTH=LOGIN --mail-from sender@example.test \
	--mail-rcpt pemohon@example.test -T "$sent"
like "and recorded as such" "$(cat "$(smtp_spool_last | sed 's/eml$/env/')")" \
	$'rcpt_to <pemohon@example.test>\nauth cabut\ntls implicit'

is "unknown recipient: 550, a known one still gets the mail" \
	"$(smtp_codes nobody@example.test op1+x@example.test)" "250 550 250 250"
is "no MAIL before STARTTLS" "$(smtp_codes --plain op1@example.test)" "530"
smtp_fail fail-4xx 1
is "fail-4xx injection: 451 for RCPT" "$(smtp_codes op2@example.test)" "250 451"
smtp_fail fail-data-5xx
is "fail-data-5xx injection: 554 after DATA" \
	"$(smtp_codes op2@example.test)" "250 250 554"
smtp_fail_clear
is "the injections are used up or cleared" "$(smtp_codes op2@example.test)" \
	"250 250 250"

# Outage: Dovecot stops, SMTP defers, Dovecot comes back on the same ports.
old_pid=$DOVECOT_PID old_port=$IMAP_PORT
harness_stop_dovecot
ok "Dovecot stopped: its ports are free, SMTP answers DATA with 451" \
	eval '! port_listening "$IMAP_PORT" && [ "$(smtp_codes op2@example.test)" = "250 250 451" ]'
dovecot_start
out=$(curl_imap "imap://localhost:$IMAP_PORT/INBOX" -u cabut:secret-cabut \
	-X 'STATUS INBOX (MESSAGES)' 2>&1)
like "Dovecot started again keeps the mail" "$out" 'MESSAGES 2\)'
ok "on the same port, as a new process" \
	eval '[ "$IMAP_PORT" = "$old_port" ] && [ "$DOVECOT_PID" != "$old_pid" ]'

# A second harness, in a child interrupted by TERM: its certificate for
# the wrong name is refused, and it leaves nothing behind.
info=$HARNESS_DIR/child.info
(
	HARNESS_KEEP=0
	harness_tmpdir
	DOVECOT_CERT_NAME=wrong dovecot_start || exit 1
	echo "$DOVECOT_PID $IMAPS_PORT $IMAP_PORT $LMTP_PORT $HARNESS_DIR" >"$info.tmp"
	mv "$info.tmp" "$info"
	# Until TERM; but not past this script, should it die first.
	while kill -0 $$ 2>/dev/null; do
		sleep 0.1
	done
) </dev/null >&2 &
child=$!
harness_on_exit "kill $child 2>/dev/null"
wait_for 15 test -f "$info"
read -r c_dovecot c_imaps c_ports <"$info" || true
c_dir=${c_ports##* }
c_ports=${c_ports% *}
like "a certificate for the wrong name fails verification for localhost" \
	"$(tls_check "$DOVECOT_CA" "$c_imaps" localhost)" 'hostname mismatch'
ok "but verifies for its own name, so only the name is wrong" \
	verify "$DOVECOT_CA" "$c_imaps" wrong.example
kill -TERM "$child"
wait "$child"
# shellcheck disable=SC2086
ok "after TERM the child's Dovecot is gone and its ports free" \
	eval "[ -n '$c_ports' ] && none_alive $c_dovecot && none_listening $c_imaps $c_ports"
ok "and its directory is removed" eval "[ -n '$c_dir' ] && ! test -e '$c_dir'"

# A sub-shell ending normally cleans up too.
(
	HARNESS_KEEP=0
	harness_tmpdir
	smtp_start --no-lmtp || exit 1
	echo "$SMTP_PID $SMTP_PORT $SMTPS_PORT $HARNESS_DIR" >"$info"
) >&2
read -r s_pid s_port s_ports s_dir <"$info" || true
ok "after a normal exit the servers are gone, the ports free, the dir removed" \
	eval "[ -n '$s_dir' ] && none_alive $s_pid && none_listening $s_port $s_ports && ! test -e '$s_dir'"

done_testing
