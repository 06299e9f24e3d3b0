#!/bin/bash
# cabutd's life: SIGHUP re-reads the configuration (a bad one is reported
# and the old one kept), -V, the audit entries of start and stop, and the
# crash-point hook of test builds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
harness_tmpdir

conf=$HARNESS_DIR/cabut.conf
cabut_config "$conf"
cabut_init "$conf" || bail "init failed"

like "-V prints the version" "$("$CABUTD" -V)" "^cabutd [0-9]+\.[0-9]+"

cabutd_bg "$conf"
ok "the daemon starts" wait_for 10 cabutd_log_has "started"

cabut_config "$conf" "[daemon]" "bogus_key = 1"
kill -HUP "$CABUTD_PID"
ok "a bad new configuration is reported" wait_for 10 cabutd_log_has "cabut.conf:[0-9]+: .*bogus_key"
ok "and refused, keeping the old one" cabutd_log_has "refused; keeping the old one"
ok "the daemon still runs" kill -0 "$CABUTD_PID"

cabut_config "$conf"
sed -i 's/^poll_interval = .*/poll_interval = 30s/' "$conf"
kill -HUP "$CABUTD_PID"
ok "a good new configuration is taken" wait_for 10 cabutd_log_has "configuration reloaded"

kill -TERM "$CABUTD_PID"
wait "$CABUTD_PID"; rc=$?
is "SIGTERM: exit 0" "$rc" 0
log=$("$CABUTCTL" -c "$conf" log)
like "the start is in the audit log" "$log" "daemon-start by system"
like "the stop is in the audit log" "$log" "daemon-stop by system"

if cabut_has_test_hooks; then
	out=$(CABUT_CRASH_AT=cycle_start "$CABUTD" --once -c "$conf" 2>&1); rc=$?
	is "CABUT_CRASH_AT aborts at the named point" "$rc" 134
	like "and says so" "$out" "crash point reached"
	rc=$(CABUT_CRASH_AT=no_such_point exit_code "$CABUTD" --once -c "$conf")
	is "another point name does nothing (69: no IMAP server here)" "$rc" 69
	ok "the audit log is intact after the crash" "$CABUTCTL" -c "$conf" log --verify
else
	skip 4 "built without --enable-test-hooks"
fi

done_testing
