#!/bin/bash
# cabutctl init: creates the state directory (0700), keys (0600) and the
# database; run twice it changes nothing. list/show/log on what exists.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
harness_tmpdir

conf=$HARNESS_DIR/cabut.conf
state=$HARNESS_DIR/state
cabut_config "$conf"
mode() { stat -c %a "$1"; }
sums() { (cd "$state" && sha256sum cabut.db audit.key token.key ca/ca.key ca/ca.pem); }

ok "init succeeds" "$CABUTCTL" -c "$conf" init
is "the state directory is 0700" "$(mode "$state")" 700
is "it is owned by the daemon's user" "$(stat -c %U "$state")" "$(cabut_user)"
is "audit.key is 0600" "$(mode "$state/audit.key")" 600
is "token.key is 0600" "$(mode "$state/token.key")" 600
is "the keys are 32 random bytes" "$(stat -c %s "$state/audit.key"):$(stat -c %s "$state/token.key")" "32:32"
isnt "the two keys differ" "$(sha256sum <"$state/audit.key")" "$(sha256sum <"$state/token.key")"
is "the database is owned by the daemon's user" "$(stat -c %U "$state/cabut.db")" "$(cabut_user)"
is "the database is 0600 (personal data)" "$(mode "$state/cabut.db")" 600
is "the local CA's key is 0600" "$(mode "$state/ca/ca.key")" 600
is "its directory is 0700" "$(mode "$state/ca")" 700
ca_text=$(openssl x509 -in "$state/ca/ca.pem" -noout -text)
like "its certificate is a CA's (basicConstraints CA:TRUE)" "$ca_text" "CA:TRUE"
like "that may sign CRLs" "$ca_text" "CRL Sign"
like "with a key identifier" "$ca_text" "Subject Key Identifier"
ok "and the key belongs to the certificate" eval '[ "$(openssl x509 -in "$state/ca/ca.pem" -noout -pubkey)" = "$(openssl pkey -in "$state/ca/ca.key" -pubout)" ]'
like "the audit log has the init entry" "$("$CABUTCTL" -c "$conf" log)" "^1 .* init by admin:"

before=$(sums)
out=$("$CABUTCTL" -c "$conf" init 2>&1); rc=$?
is "init twice succeeds" "$rc" 0
like "and says nothing changed" "$out" "nothing changed"
is "keys and database are unchanged" "$(sums)" "$before"
is "no second init entry" "$("$CABUTCTL" -c "$conf" log --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1

is "list of no requests is empty" "$("$CABUTCTL" -c "$conf" list)" ""
is "list --json of no requests is []" "$("$CABUTCTL" -c "$conf" list --json)" "[]"
rc=$(exit_code "$CABUTCTL" -c "$conf" show 1)
is "show of an unknown request exits 1" "$rc" 1
rc=$(exit_code "$CABUTCTL" -c "$conf" list --state nonsense)
is "list --state of an unknown state is a usage error" "$rc" 64
rc=$(exit_code "$CABUTCTL" -c "$conf" frobnicate)
is "an unknown command is a usage error" "$rc" 64

# JSON escaping: a hostile requester address round-trips exactly.
if [ -n "$(command -v sqlite3)" ]; then
	nasty=$'evil"\\\n\t\x01</x>@example.test \xe2\x80\xa8'
	sqlite3 "$state/cabut.db" "INSERT INTO requests (id, state, serial, reason,
		requester, created, updated) VALUES (7, 'pending_approval', 'ABCD',
		'kehilangan', CAST(X'$(printf '%s' "$nasty" | od -An -tx1 | tr -d ' \n')' AS TEXT),
		1795143600, 1795143601)"
	back=$("$CABUTCTL" -c "$conf" show 7 --json | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
sys.stdout.write(o["requester"] + "|" + o["state"] + "|" + o["created"] + "|" + str(o["approvals"]))')
	is "show --json escapes every character and round-trips" "$back" "$nasty|pending_approval|2026-11-20T03:00:00Z|0"
	text=$("$CABUTCTL" -c "$conf" list)
	unlike "text output passes no control characters on" "$text" $'[\x01\t]'
	like "list shows the request" "$text" "^7 +pending_approval +ABCD"
else
	skip 3 "no sqlite3 tool"
fi

# A state directory that cannot be created is a clear error.
cabut_config "$HARNESS_DIR/bad.conf"
sed -i "s|^state_dir = .*|state_dir = $HARNESS_DIR/no/such/parent/state|" "$HARNESS_DIR/bad.conf"
out=$("$CABUTCTL" -c "$HARNESS_DIR/bad.conf" init 2>&1); rc=$?
isnt "init of an uncreatable state directory fails" "$rc" 0
like "and says why" "$out" "cannot create the state directory.*No such file"

# A corrupt or newer database is refused and never overwritten.
cp "$state/cabut.db" "$HARNESS_DIR/good.db"
head -c 65536 /dev/urandom >"$state/cabut.db"
rm -f "$state/cabut.db-wal" "$state/cabut.db-shm"
sum=$(sha256sum <"$state/cabut.db")
out=$("$CABUTCTL" -c "$conf" list 2>&1); rc=$?
isnt "a corrupt database is refused" "$rc" 0
out=$("$CABUTCTL" -c "$conf" init 2>&1); rc=$?
isnt "init refuses it too" "$rc" 0
is "and leaves it exactly as it was" "$(sha256sum <"$state/cabut.db")" "$sum"
if [ -n "$(command -v sqlite3)" ]; then
	cp "$HARNESS_DIR/good.db" "$state/cabut.db"
	sqlite3 "$state/cabut.db" "PRAGMA user_version = 42"
	out=$("$CABUTCTL" -c "$conf" list 2>&1); rc=$?
	isnt "a database of a newer schema is refused" "$rc" 0
	like "and the message says so" "$out" "newer"
else
	skip 2 "no sqlite3 tool"
fi

done_testing
