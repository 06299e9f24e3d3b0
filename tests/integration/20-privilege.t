#!/bin/bash
# Privilege: started as root, cabutd and cabutctl work as daemon.user.
# The daemon and its local CA process run with every user and group ID
# dropped, only that user's group, and no capabilities; a whole round
# trip driven as root (init, registry, ca issue, intake, approve, reject,
# retry, quarantine, reprocess, show, log, ca crl, the daemon itself)
# leaves no file owned by root in the state directory, sqlite's -wal and
# -shm and the CA's directory included; an account that does not exist,
# or root, is refused with 78 and a message that names it.
HARNESS_USERS="cabut op1 op2 pemohon pemohon2 admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
[ "$(id -u)" = 0 ] || skip_all "not root: there is no privilege to drop"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
command -v setpriv >/dev/null || skip_all "no setpriv (util-linux)"
command -v pgrep >/dev/null || skip_all "no pgrep (procps)"
du=$(cabut_user)
duid=$(id -u "$du") || skip_all "no user $du"
dgid=$(id -g "$du")
nosuch=cabut-nosuchuser
getent passwd "$nosuch" >/dev/null && skip_all "user $nosuch exists"
harness_tmpdir
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"

conf=$HARNESS_DIR/cabut.conf
state=$HARNESS_DIR/state
db=$state/cabut.db
cabut_secrets
cabut_mail_config "$conf" "[daemon]" "admin_address = admin@example.test"
# The test reads the database as daemon.user: sqlite3 run by root would
# itself make root-owned -wal and -shm files.
q() { setpriv --reuid="$duid" --regid="$dgid" --clear-groups sqlite3 "$db" "$1"; }
ctl() { "$CABUTCTL" -c "$conf" "$@"; }
once() { "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err"; }
# root_files DIR: what in DIR belongs to root (user or group), one a line.
root_files() { find "$1" \( -user 0 -o -group 0 \) -printf '%P %u:%g %m\n'; }
# not_du_files DIR: what in DIR belongs to anyone but daemon.user.
not_du_files() { find "$1" ! -user "$duid" -printf '%P %u:%g %m\n'; }
# status PID FIELD: the values of FIELD in /proc/PID/status.
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' '  ' | sed 's/ $//'; }
# groups_ok PID: its supplementary groups are none or only daemon.user's.
groups_ok() {
	local g
	for g in $(status "$1" Groups); do
		[ "$g" = "$dgid" ] || return 1
	done
}
AR='Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
cabut_pdf "$HARNESS_DIR/surat.pdf"
request() {	# request FILE FROM SERIAL REASON
	cabut_request "$1" "$2" "Nama: Pemohon
Nomor Seri: $3
Alasan: $4" "$HARNESS_DIR/surat.pdf" "$AR"
	deliver_unseen cabut "$1"
}

# 1. An account that does not exist, or root: refused (78), named, and
# nothing made as root on the way.
bad=$HARNESS_DIR/bad.conf
badstate=$HARNESS_DIR/badstate
cabut_config "$bad"
sed -i "s|^state_dir = .*|state_dir = $badstate|; s|^user = .*|user = $nosuch|" "$bad"
out=$("$CABUTD" --check-config -c "$bad" 2>&1); rc=$?
is "cabutd --check-config as root: a daemon.user that does not exist is an error (78)" "$rc" 78
like "naming the account" "$out" "$nosuch"
out=$("$CABUTCTL" -c "$bad" init 2>&1); rc=$?
is "cabutctl init: refused (78)" "$rc" 78
like "with a clear message" "$out" "user $nosuch: no such user"
ok "and no state directory is left behind (root's, which init would then refuse)" \
	[ ! -e "$badstate" ]
rm -rf "$badstate"
install -d -o "$du" -g "$dgid" -m 0700 "$badstate"
out=$("$CABUTD" --once -c "$bad" 2>&1); rc=$?
is "cabutd --once: refused (78)" "$rc" 78
like "with a clear message" "$out" "user $nosuch: no such user"
is "nothing made in the state directory on the way (no root-owned cabutd.lock)" \
	"$(ls -A "$badstate")" ""
rm -f "$badstate/cabutd.lock"
out=$("$CABUTD" -f -c "$bad" 2>&1); rc=$?
is "cabutd -f: refused (78) before it starts" "$rc" 78
like "with a clear message" "$out" "user $nosuch: no such user"
rm -f "$badstate/cabutd.lock"
out=$("$CABUTCTL" -c "$bad" list 2>&1); rc=$?
is "cabutctl list: refused (78)" "$rc" 78
like "with a clear message" "$out" "user $nosuch: no such user"
rootconf=$HARNESS_DIR/root.conf
cabut_config "$rootconf"
sed -i "s|^state_dir = .*|state_dir = $HARNESS_DIR/rootstate|; s|^user = .*|user = root|" "$rootconf"
mkdir -m 0700 "$HARNESS_DIR/rootstate"
out=$("$CABUTD" --once -c "$rootconf" 2>&1); rc=$?
is "daemon.user = root: cabutd refuses (78)" "$rc" 78
like "saying root is no unprivileged account" "$out" "user root is root"
out=$("$CABUTCTL" -c "$rootconf" list 2>&1); rc=$?
is "and cabutctl too (78)" "$rc" 78
like "with the same message" "$out" "user root is root"

# 2. A whole round trip driven as root.
ok "cabutctl init as root" cabut_init "$conf"
is "the state directory belongs to daemon.user" "$(stat -c %u:%g "$state")" "$duid:$dgid"
is "after init nothing in it belongs to root" "$(root_files "$state")" ""
s1=$(ctl ca issue --subject "CN=Budi Santoso,O=Pemerintah Kota Pekalongan,C=ID" \
	--email pemohon@example.test --username budi)
like "ca issue" "$s1" '^[0-9A-F]+$'
s2=$(ctl ca issue --subject "CN=Sri Wahyuni,O=Pemerintah Kota Pekalongan,C=ID" \
	--email pemohon2@example.test)
cabut_test_ca
hs=$(cabut_holder_cert "Ani" pemohon2@example.test)
like "registry import" "$(ctl registry import "$HARNESS_DIR/hca/Ani.pem" 2>&1)" "imported 1"
request "$HARNESS_DIR/r1.eml" pemohon@example.test "$s1" "kehilangan sertifikat"
# 2,000 MIME parts: past the parser's limit, so it is quarantined.
/usr/bin/python3 - "$HARNESS_DIR/parts.eml" <<'PY'
import sys
b = "b0undary"
parts = "".join("--%s\nContent-Type: text/plain\n\npart %d\n" % (b, i) for i in range(2000))
open(sys.argv[1], "w").write("From: pemohon@example.test\nTo: cabut@example.test\n"
    "Subject: many parts\nMessage-ID: <parts@example.test>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=%s\n\n%s--%s--\n" % (b, parts, b))
PY
deliver_unseen cabut "$HARNESS_DIR/parts.eml"
ok "cabutd --once as root" once
is "the request waits for approval" "$(q 'SELECT state FROM requests WHERE id = 1')" pending_approval
qid=$(q 'SELECT max(id) FROM quarantine')
like "cabutctl quarantine" "$(ctl quarantine)" "many parts"
rc=$(exit_code ctl reprocess "$qid")
like "cabutctl reprocess runs (0 or 1, never 78)" "$rc" '^[01]$'
like "cabutctl approve" "$(ctl approve 1 --note "uji hak akses" 2>&1)" "approv|revok|setuju"
ok "cabutd --once carries it out" once
is "revoked" "$(q 'SELECT state FROM requests WHERE id = 1')" revoked
ok "cabutctl request add (the letter read as daemon.user)" \
	ctl request add --serial "$s2" --reason "lupa passphrase" --letter "$HARNESS_DIR/surat.pdf"
id2=$(q 'SELECT max(id) FROM requests')
ok "cabutctl reject" ctl reject "$id2" --reason "uji"
is "cabutctl retry of a request that did not fail: exit 1" "$(exit_code ctl retry 1)" 1
ok "cabutctl list, list --json, show, show --json" \
	eval 'ctl list && ctl list --json && ctl show 1 && ctl show 1 --json'
ok "cabutctl log, log --json, log --verify" eval 'ctl log && ctl log --json && ctl log --verify'
ok "cabutctl registry show" ctl registry show "$hs"
like "cabutctl ca crl" "$(ctl ca crl)" "crl.pem"
ok "cabutd --once sends what waits" once
is "after the round trip nothing in the state directory belongs to root" \
	"$(root_files "$state")" ""
is "everything in it belongs to daemon.user" "$(not_du_files "$state")" ""
is "cabutd.lock belongs to daemon.user" "$(stat -c %U "$state/cabutd.lock" 2>&1)" "$du"
is "the local CA's directory and files too" "$(not_du_files "$state/ca")" ""

# A file the admin names is not lost to the drop: the local CA never
# issues a certificate whose key cannot be written where asked.
mkdir -m 0700 "$HARNESS_DIR/rootonly"
issued() { setpriv --reuid="$duid" --regid="$dgid" --clear-groups sqlite3 "$state/ca/ca.db" 'SELECT count(*) FROM issued'; }
n=$(issued)
rc=$(exit_code ctl ca issue --subject "CN=Tiga,O=Pemkot,C=ID" --email pemohon@example.test \
	--key-out "$HARNESS_DIR/rootonly/tiga.key")
if [ "$rc" = 0 ]; then
	ok "ca issue --key-out in a directory only root may write: the key is there" \
		[ -s "$HARNESS_DIR/rootonly/tiga.key" ]
else
	is "ca issue --key-out in a directory only root may write: refused before the CA issues anything" \
		"$(issued)" "$n"
fi

# 3. The daemon, started as root: every ID dropped, no capability; the
# same for its CA process; no root-owned file while it runs either.
cabutd_bg "$conf"
ok "the daemon starts" wait_for 10 cabutd_log_has "started"
ok "its CA process starts" wait_for 10 eval 'pgrep -P "$CABUTD_PID" -f -- "--ca-process" >/dev/null'
capid=$(pgrep -P "$CABUTD_PID" -f -- "--ca-process")
for who in daemon ca; do
	if [ "$who" = daemon ]; then pid=$CABUTD_PID; else pid=$capid; fi
	is "$who: real, effective, saved and fs user IDs are daemon.user's" \
		"$(status "$pid" Uid)" "$duid $duid $duid $duid"
	is "$who: real, effective, saved and fs group IDs are its group's" \
		"$(status "$pid" Gid)" "$dgid $dgid $dgid $dgid"
	ok "$who: supplementary groups: only that group (not root's)" groups_ok "$pid"
	is "$who: no capability: permitted, effective, inheritable, ambient" \
		"$(status "$pid" CapPrm) $(status "$pid" CapEff) $(status "$pid" CapInh) $(status "$pid" CapAmb)" \
		"0000000000000000 0000000000000000 0000000000000000 0000000000000000"
done
like "the CA process is a fresh image of the same program" \
	"$(tr '\0' ' ' </proc/$capid/cmdline)" "cabutd --ca-process $state/ca"
ok "sqlite's -wal and -shm exist while it runs" [ -e "$db-wal" -a -e "$db-shm" ]
is "they and everything else belong to daemon.user" "$(not_du_files "$state")" ""
is "no root-owned file while the daemon runs" "$(root_files "$state")" ""
# cabutctl, dropped to daemon.user, can still tell the dropped daemon to act.
request "$HARNESS_DIR/r3.eml" pemohon2@example.test "$hs" "perubahan data"
kill -USR1 "$CABUTD_PID"
ok "the daemon takes the request in" wait_for 20 eval '[ "$(q "SELECT count(*) FROM requests WHERE claimed_serial = '"'$hs'"' AND state = '"'pending_approval'"'")" = 1 ]'
kill -HUP "$CABUTD_PID"
ok "SIGHUP: the configuration is read again as daemon.user" wait_for 10 cabutd_log_has "configuration reloaded"
harness_stop "$CABUTD_PID"
wait "$CABUTD_PID"; rc=$?
is "SIGTERM: exit 0" "$rc" 0
ok "the CA process has gone with it" wait_for 5 eval '! kill -0 "$capid" 2>/dev/null'
is "after the daemon nothing in the state directory belongs to root" "$(root_files "$state")" ""
is "and everything belongs to daemon.user" "$(not_du_files "$state")" ""
diag "state directory at the end:
$(find "$state" -printf '%P %u:%g %m\n' | sort)"

done_testing
