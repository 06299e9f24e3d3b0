#!/bin/bash
# contrib/cabutd.service: clean under systemd-analyze verify (with the
# build's cabutd in ExecStart, and its man pages for Documentation=), every
# hardening line there, an exposure score of at most 2.0 from
# systemd-analyze security; and what the unit relies on: cabutd started
# as daemon.user with no_new_privs and no capability at all (User=,
# NoNewPrivileges=, CapabilityBoundingSet=) starts, and so does its local
# CA process, a new image of the same program.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v systemd-analyze >/dev/null || skip_all "no systemd-analyze"
unit=$top_srcdir/contrib/cabutd.service
[ -f "$unit" ] || bail "no $unit"
harness_tmpdir

# A copy with the build's programs: verify wants ExecStart to exist.
u=$HARNESS_DIR/cabutd.service
kill_bin=/bin/kill
[ -x "$kill_bin" ] || kill_bin=$(command -v kill 2>/dev/null || echo /bin/kill)
sed "s|/usr/sbin/cabutd|$top_builddir/cabutd|g; s|/bin/kill|$kill_bin|g" "$unit" >"$u"
ok "ExecStart was substituted" grep -q "^ExecStart=$top_builddir/cabutd -f " "$u"

# Documentation=man:...: our own pages, through MANPATH.
vopt=()
if command -v man >/dev/null; then
	mkdir -p "$HARNESS_DIR/man/man8" "$HARNESS_DIR/man/man5"
	cp "$top_srcdir/man/cabutd.8" "$top_srcdir/man/cabutctl.8" "$HARNESS_DIR/man/man8/"
	cp "$top_srcdir/man/cabut.conf.5" "$HARNESS_DIR/man/man5/"
else
	vopt=(--man=no)
fi
out=$(cd "$HARNESS_DIR" && MANPATH=$HARNESS_DIR/man systemd-analyze verify "${vopt[@]}" "$u" 2>&1); rc=$?
is "systemd-analyze verify: exit 0" "$rc" 0
# Unknown keys and bad values are only warnings (exit 0): none at all.
is "and not one warning" "$out" ""

# The hardening, line by line.
has() { grep -qxF -- "$1" "$unit"; }
for line in \
	"Type=exec" \
	"ExecReload=/bin/kill -HUP \$MAINPID" \
	"KillMode=mixed" \
	"Restart=on-failure" \
	"RestartPreventExitStatus=64 78" \
	"User=cabut" \
	"UMask=0077" \
	"NoNewPrivileges=yes" \
	"CapabilityBoundingSet=" \
	"AmbientCapabilities=" \
	"ProtectSystem=strict" \
	"ReadWritePaths=/var/lib/cabut" \
	"StateDirectory=cabut" \
	"PrivateTmp=yes" \
	"ProtectHome=yes" \
	"PrivateDevices=yes" \
	"ProtectKernelTunables=yes" \
	"ProtectKernelModules=yes" \
	"ProtectKernelLogs=yes" \
	"ProtectControlGroups=yes" \
	"ProtectClock=yes" \
	"ProtectHostname=yes" \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
	"RestrictNamespaces=yes" \
	"RestrictRealtime=yes" \
	"RestrictSUIDSGID=yes" \
	"LockPersonality=yes" \
	"MemoryDenyWriteExecute=yes" \
	"SystemCallFilter=@system-service" \
	"SystemCallArchitectures=native"; do
	ok "$line" has "$line"
done
like "ExecStart runs cabutd in the foreground (-f: stderr to the journal)" \
	"$(grep '^ExecStart=' "$unit")" "^ExecStart=/usr/sbin/cabutd -f( |$)"
# The local CA process is started from /proc/self/exe: nothing may stop
# that execve or hide /proc/self.
unlike "nothing forbids exec (NoExecPaths=, ExecPaths=)" "$(cat "$unit")" \
	$'(^|\n)(NoExecPaths|ExecPaths)='
unlike "nor hides /proc (InaccessiblePaths=, ProtectProc=noaccess)" "$(cat "$unit")" \
	$'(^|\n)(InaccessiblePaths=[^\n]*/proc|ProtectProc=noaccess)'
# ~@privileged would forbid setresuid: fine with User=, fatal with root.
unlike "not started as root (no User=root, no PermissionsStartOnly=)" "$(cat "$unit")" \
	$'(^|\n)(User=root|PermissionsStartOnly=)'

# The exposure score (offline: no systemd as PID 1 is needed).
out=$(cd "$HARNESS_DIR" && systemd-analyze security --offline=yes "$u" 2>&1)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
if [ -n "$score" ]; then
	diag "systemd-analyze security: exposure $score"
	ok "systemd-analyze security: exposure $score, at most 2.0" \
		awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
else
	skip 1 "systemd-analyze security --offline=yes does not run here"
fi

# What the unit relies on, without systemd: cabutd as daemon.user from the
# start, no_new_privs, no capability in any set.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v pgrep >/dev/null; then
	skip 7 "needs root, setpriv and pgrep"
else
	du=$(cabut_user)
	conf=$HARNESS_DIR/cabut.conf
	cabut_config "$conf"
	cabut_init "$conf" || bail "init failed"
	harness_bg cabutd setpriv --reuid="$(id -u "$du")" --regid="$(id -g "$du")" \
		--init-groups --no-new-privs --bounding-set=-all --inh-caps=-all \
		"$CABUTD" -f -c "$conf"
	pid=$HARNESS_BG_PID
	ok "cabutd as daemon.user with no_new_privs and no capability starts" \
		wait_for 10 cabutd_log_has "started"
	ok "its local CA process starts too (execve of the same program)" \
		wait_for 10 eval 'pgrep -P "$pid" -f -- "--ca-process" >/dev/null'
	capid=$(pgrep -P "$pid" -f -- "--ca-process")
	is "cabutd: empty bounding set, no_new_privs" \
		"$(sed -n 's/^NoNewPrivs:\t//p; s/^CapBnd:\t//p' "/proc/$pid/status" | tr '\n' ' ')" \
		"0000000000000000 1 "
	is "its CA process: the same" \
		"$(sed -n 's/^NoNewPrivs:\t//p; s/^CapBnd:\t//p' "/proc/$capid/status" 2>/dev/null | tr '\n' ' ')" \
		"0000000000000000 1 "
	kill -HUP "$pid"
	ok "SIGHUP (ExecReload=): the configuration is read again" \
		wait_for 10 cabutd_log_has "configuration reloaded"
	harness_stop "$pid"
	wait "$pid"; rc=$?
	is "SIGTERM to cabutd alone (KillMode=mixed): exit 0" "$rc" 0
	ok "and it stopped its CA process itself" wait_for 5 eval '! kill -0 "$capid" 2>/dev/null'
fi

done_testing
