#!/bin/bash
# cabutd --check-config: a clean configuration passes (exit 0); every kind
# of error is reported as FILE:LINE: message, all of them, with exit 78.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
harness_tmpdir

conf=$HARNESS_DIR/cabut.conf
check() { "$CABUTD" --check-config -c "$conf" 2>&1; }

cabut_config "$conf"
out=$(check); rc=$?
is "a clean configuration exits 0" "$rc" 0
like "and says so" "$out" "configuration OK"

cabut_config "$conf" "" "[daemon]" "frobnicate = yes"
out=$(check); rc=$?
is "an unknown key exits 78" "$rc" 78
line=$(grep -n '^frobnicate' "$conf" | cut -d: -f1)
like "an unknown key is named with FILE:LINE:" "$out" "^$conf:$line: .*frobnicate"

cabut_config "$conf" "[smtpd]" "url = smtp://x"
out=$(check); rc=$?
line=$(grep -n '^\[smtpd\]' "$conf" | cut -d: -f1)
like "an unknown section is named with its line" "$out" "$conf:$line: .*smtpd"
is "and exits 78" "$rc" 78

# Several problems: every one of them is printed, not only the first.
cabut_config "$conf" "[request]" "max_message_size = 12Q" \
	"answers_per_sender_hour = many" "confirm_requester = maybe" \
	"[daemon]" "idle = perhaps"
out=$(check); rc=$?
is "four bad values exit 78" "$rc" 78
n=$(grep -c "^$conf:[0-9][0-9]*: " <<<"$out")
is "all four errors are printed with their lines" "$n" 4
like "a bad size is named" "$out" "max_message_size.*12Q"
like "a bad boolean is named" "$out" "idle.*perhaps"

cabut_config "$conf"
sed -i 's/^poll_interval = .*/poll_interval = 5 minutes/' "$conf"
out=$(check); rc=$?
like "a bad duration is named with its line" "$out" "^$conf:[0-9]+: .*poll_interval"

cabut_config "$conf"
sed -i '/^url = smtp/d' "$conf"
out=$(check); rc=$?
is "a missing required key exits 78" "$rc" 78
like "and is named" "$out" "smtp.*url.*required|url.*smtp.*required"

cabut_config "$conf" "[imap]" "username = cabut" "password_file = $HARNESS_DIR/imap.pass"
printf 'secret\n' >"$HARNESS_DIR/imap.pass"
chmod 0640 "$HARNESS_DIR/imap.pass"
out=$(check); rc=$?
is "a secret file readable by the group is refused" "$rc" 78
like "with the file and the reason" "$out" "imap.pass.*(group|others)"
chmod 0600 "$HARNESS_DIR/imap.pass"
out=$(check); rc=$?
is "the same file with mode 0600 is accepted" "$rc" 0

out=$("$CABUTD" --check-config -c "$HARNESS_DIR/nonexistent.conf" 2>&1); rc=$?
is "a missing configuration file exits 78" "$rc" 78
like "and names the file" "$out" "nonexistent.conf"

rc=$(exit_code "$CABUTD" --no-such-option)
is "an unknown option is a usage error (64)" "$rc" 64

done_testing
