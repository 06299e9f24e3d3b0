#!/bin/bash
# The corpus of real and broken mail, delivered into a real Dovecot and
# taken in by cabutd: every mail is classified as expected, none crashes
# the daemon, none is answered that must not be.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir
dovecot_start || bail "dovecot did not start"

conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
printf 'secret-cabut\n' >"$HARNESS_DIR/imap.pass"
chmod 0600 "$HARNESS_DIR/imap.pass"
[ "$(id -u)" = 0 ] && chown "$(cabut_user)" "$HARNESS_DIR/imap.pass"
cabut_config "$conf" "[imap]" "username = cabut" \
	"password_file = $HARNESS_DIR/imap.pass" "ca_file = $DOVECOT_CA"
sed -i "s|^url = imap://127.0.0.1:|url = imap://localhost:|" "$conf"
cabut_init "$conf" || bail "init failed"
q() { sqlite3 "$db" "$1"; }

# What each corpus mail must become (kind of the messages row).
declare -A want=(
	[auto-reply-ooo]=automatic [bounce-dsn]=automatic [mdn-read-receipt]=automatic
	[bulk-newsletter]=automatic
	[req-mutt]=request [req-snail]=request [req-swaks]=request [req-mpack]=request
	[req-python-rfc2231]=request [req-html-only]=request [req-alternative-logo]=request
	[large-attachment]=request [dup-a]=request [dup-b]=duplicate

)
n=0
for f in "$top_srcdir"/tests/corpus/*.eml; do
	[ -s "$f" ] || continue		# Dovecot refuses an empty mail
	deliver_unseen cabut "$f" || diag "not delivered: $f"
	n=$((n + 1))
done
rc=$(exit_code "$CABUTD" --once -c "$conf")
is "the whole corpus is taken in without an error" "$rc" 0
is "every delivered mail is recorded once" "$(q 'SELECT count(*) FROM messages')" "$n"
for name in "${!want[@]}"; do
	mid=$(grep -m1 -i '^Message-ID:' "$top_srcdir/tests/corpus/$name.eml" |
		sed 's/^[^<]*<//; s/>.*//')
	got=$(q "SELECT kind FROM messages WHERE message_id = '$mid' ORDER BY id LIMIT 1")
	[ "$name" = dup-b ] &&
		got=$(q "SELECT kind FROM messages WHERE message_id = '$mid' ORDER BY id DESC LIMIT 1")
	is "$name is taken in as $([ "${want[$name]}" = duplicate ] && echo "a duplicate" || echo "${want[$name]}")" "$got" "${want[$name]}"
done
is "automatic mail is never answered" \
	"$(q "SELECT count(*) FROM outbox o JOIN messages m ON m.request_id = o.request_id WHERE m.kind = 'automatic'")" 0
is "every message is flagged \\Seen" "$(q 'SELECT count(*) FROM messages WHERE flagged = 0')" 0

done_testing
