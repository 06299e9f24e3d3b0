#!/bin/bash
# Only one cabutd works on a state directory: a second one, or --once
# while the daemon runs, exits 75; SIGTERM stops the daemon with exit 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
harness_tmpdir

conf=$HARNESS_DIR/cabut.conf
cabut_config "$conf"

rc=$(exit_code "$CABUTD" --once -c "$conf")
is "cabutd before cabutctl init exits 78" "$rc" 78
cabut_init "$conf" || bail "init failed"

cabutd_bg "$conf"
ok "the daemon starts" wait_for 10 cabutd_log_has "started"
out=$("$CABUTD" --once -c "$conf" 2>&1); rc=$?
is "--once while the daemon runs exits 75" "$rc" 75
like "and says why" "$out" "another cabutd"
rc=$(exit_code "$CABUTD" -f -c "$conf")
is "a second daemon exits 75" "$rc" 75
ok "the first daemon still runs" kill -0 "$CABUTD_PID"

kill -TERM "$CABUTD_PID"
ok "SIGTERM stops it" wait_for 10 cabutd_log_has "stopped"
wait "$CABUTD_PID"; rc=$?
is "with exit 0" "$rc" 0

rc=$(exit_code "$CABUTD" --once -c "$conf")
is "after it stopped, --once runs (69: no IMAP server in this test)" "$rc" 69

cabutd_bg "$conf"
wait_for 10 cabutd_log_has "started" || bail "cabutd did not start"
kill -INT "$CABUTD_PID"
wait "$CABUTD_PID"; rc=$?
is "SIGINT stops it with exit 0 too" "$rc" 0

# A lock left by a killed daemon does not block the next one (flock).
cabutd_bg "$conf"
wait_for 10 cabutd_log_has "started" || bail "cabutd did not start"
kill -KILL "$CABUTD_PID"; wait "$CABUTD_PID" 2>/dev/null
rc=$(exit_code "$CABUTD" --once -c "$conf")
is "after kill -9 the state directory is free again (not 75)" "$rc" 69

# Without -f it detaches: the command returns 0 and the daemon works on.
rc=$(exit_code "$CABUTD" -c "$conf")
is "without -f cabutd detaches and exits 0" "$rc" 0
bgpid=$(pgrep -f -x "$CABUTD -c $conf" | head -1)
harness_on_exit '[ -n "$bgpid" ] && kill -KILL "$bgpid" 2>/dev/null'
isnt "the detached daemon runs" "${bgpid:-none}" none
rc=$(exit_code "$CABUTD" --once -c "$conf")
is "and holds the lock (--once exits 75)" "$rc" 75
kill -TERM "$bgpid"
ok "SIGTERM stops the detached daemon" wait_for 10 eval '! kill -0 "$bgpid" 2>/dev/null || [ "$(ps -o stat= -p "$bgpid")" = Z ]'

done_testing
