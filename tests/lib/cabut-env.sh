# Helpers for tests that run cabutd and cabutctl: a configuration that
# points at the harness's servers, and the programs from the build tree.
# Source after tap.sh and harness.sh, and call harness_tmpdir first.

CABUTD=${CABUTD:-$top_builddir/cabutd}
CABUTCTL=${CABUTCTL:-$top_builddir/cabutctl}

# The account cabutd drops to: the current user, or nobody when root.
cabut_user() {
	if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi
}

# 1 when the build honours CABUT_CRASH_AT and CABUT_NOW.
cabut_has_test_hooks() {
	grep -q '^#define CABUT_TEST_HOOKS 1' "$top_builddir/autoconf.h" 2>/dev/null
}

# cabut_config FILE [INI...]: writes a clean configuration to FILE (state
# in $HARNESS_DIR/state), then appends each INI argument as a line, so a
# test can add keys or whole sections. Readable by the daemon's user.
cabut_config() {
	local file=$1 line
	shift
	cat >"$file" <<CONF
# written by tests/lib/cabut-env.sh
[daemon]
state_dir = $HARNESS_DIR/state
user = $(cabut_user)
language = id
poll_interval = ${CABUT_POLL:-60s}

[imap]
url = imap://127.0.0.1:${IMAP_PORT:-143}/INBOX

[smtp]
url = smtp://127.0.0.1:${SMTP_PORT:-25}
from = cabut BSrE <cabut@example.test>
reply_to = cabut@example.test

[op]
addresses = op1@example.test, op2@example.test
CONF
	for line in "$@"; do
		printf '%s\n' "$line" >>"$file"
	done
	chmod 0644 "$file"
}

# cabut_init CONF: cabutctl init, output to stderr.
cabut_init() {
	"$CABUTCTL" -c "$1" init >&2
}

# cabutd_bg CONF [ARGS...]: runs cabutd -f in the background (stopped at
# exit), its log in $HARNESS_DIR/cabutd.out; sets CABUTD_PID.
cabutd_bg() {
	local conf=$1
	shift
	harness_bg cabutd "$CABUTD" -f -c "$conf" "$@"
	CABUTD_PID=$HARNESS_BG_PID
}

# cabutd_log_has REGEX: the running daemon's log matches.
cabutd_log_has() {
	grep -Eq -- "$1" "$HARNESS_DIR/cabutd.out" 2>/dev/null
}

# exit_code CMD [ARGS...]: prints CMD's exit status (its output to stderr).
exit_code() {
	local rc=0
	"$@" >&2 || rc=$?
	echo "$rc"
}
