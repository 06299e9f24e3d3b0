#!/bin/bash
# shellcheck disable=SC2317 # helpers run via ok
# The cfssl backend (src/ca_cfssl.c, through tests/tools/ca-revoke) against
# a real `cfssl serve` (Debian's 2016 build) with an sqlite certdb: a
# certificate cfssl issued is revoked with the right reason (checked in
# the certdb and on a CRL signed from it), an unknown serial or a wrong
# URL is refused (permanent), a stopped server is temporary, and what
# cfssl does with a second revocation is pinned down (see cabut.conf(5)).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"

for tool in cfssl cfssljson; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed (golang-cfssl)"
done
for tool in sqlite3 openssl base64; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
REVOKE=$top_builddir/tests/tools/ca-revoke
[ -x "$REVOKE" ] || bail "$REVOKE not built"

plan 25

harness_tmpdir
D=$HARNESS_DIR/cfssl
mkdir -p "$D" "$HARNESS_DIR/state"

# The CA, a signing policy, and the certdb table (Debian ships no migrations;
# this is cfssl's certdb/sqlite/migrations/001 of its time).
cat >"$D/ca-csr.json" <<'EOF'
{"CN": "cabut test cfssl CA", "key": {"algo": "ecdsa", "size": 256},
 "names": [{"C": "ID", "O": "Balai Sertifikasi Elektronik (test)"}]}
EOF
(cd "$D" && cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca) ||
	bail "cfssl gencert -initca failed"
cat >"$D/config.json" <<'EOF'
{"signing": {"default": {"expiry": "720h",
 "usages": ["digital signature", "email protection"]}}}
EOF
sqlite3 "$D/certdb.sqlite" <<'EOF' || bail "cannot create the certdb"
CREATE TABLE certificates (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  ca_label                 blob,
  status                   blob NOT NULL,
  reason                   int,
  expiry                   timestamp,
  revoked_at               timestamp,
  pem                      blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier)
);
EOF
printf '{"driver": "sqlite3", "data_source": "%s"}\n' "$D/certdb.sqlite" >"$D/db.json"

# cfssl_start: cfssl serve on CFSSL_PORT (kept across restarts).
cfssl_start() {
	CFSSL_PORT=${CFSSL_PORT:-$(free_port)} || return 1
	harness_bg cfssl cfssl serve -address 127.0.0.1 -port "$CFSSL_PORT" \
		-ca "$D/ca.pem" -ca-key "$D/ca-key.pem" -config "$D/config.json" \
		-db-config "$D/db.json" -loglevel 1
	CFSSL_PID=$HARNESS_BG_PID
	_harness_wait_ports "$CFSSL_PID" 10 "$CFSSL_PORT" && return 0
	sed 's/^/#   /' "$HARNESS_DIR/cfssl.out" >&2
	return 1
}
cfssl_start || bail "cfssl serve did not start"

# issue NAME: a certificate issued by the running cfssl (so it is in the
# certdb); prints its serial, uppercase hex without leading zeros.
issue() {
	printf '{"CN": "%s", "key": {"algo": "ecdsa", "size": 256}}\n' "$1" >"$D/$1.json"
	(cd "$D" && cfssl gencert -remote "http://127.0.0.1:$CFSSL_PORT" "$1.json" \
		2>>"$HARNESS_DIR/gencert.err" | cfssljson -bare "$1") || return 1
	openssl x509 -in "$D/$1.pem" -noout -serial | cut -d= -f2 | sed 's/^0*//'
}
S1=$(issue holder1) || bail "cfssl did not issue"
S2=$(issue holder2) || bail "cfssl did not issue"
ISSUER=$(openssl x509 -in "$D/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
is "both certificates are in cfssl's certdb" \
	"$(sqlite3 "$D/certdb.sqlite" "select count(*) from certificates where status = 'good'")" 2

CONF=$HARNESS_DIR/cabut.conf
cabut_config "$CONF" "[ca]" "backend = cfssl" "url = http://127.0.0.1:$CFSSL_PORT/" \
	"timeout = 5s"

# revoke CONF SERIAL REASON: runs ca-revoke; sets out and rc.
revoke() {
	rc=0
	out=$("$REVOKE" -c "$1" --serial "$2" --issuer "$ISSUER" --reason "$3" \
		2>>"$HARNESS_DIR/revoke.err") || rc=$?
	printf '%s\n' "$out" >>"$HARNESS_DIR/revoke.out"
}
# dec HEX: the serial in decimal, as cfssl's certdb keeps it.
dec() {
	/usr/bin/python3 -c 'import sys; print(int(sys.argv[1], 16))' "$1"
}
# row SERIAL: "status|reason" in the certdb.
row() {
	sqlite3 "$D/certdb.sqlite" \
		"select status || '|' || reason from certificates where serial_number = '$(dec "$1")'"
}

# --- revoked -----------------------------------------------------------------

revoke "$CONF" "$S1" 3
is "revoke (affiliationChanged): ok, exit 0" "$rc" 0
like "ca-revoke reports a change with the reason" "$out" \
	"^status=ok changed=1 reason=3 revoked_at=0 detail=cfssl revoked serial $S1 \\($(dec "$S1")\\), reason affiliationChanged$"
is "the certdb has it revoked with reason 3" "$(row "$S1")" "revoked|3"
is "the other certificate is untouched" "$(row "$S2")" "good|0"

# A CRL signed from the certdb's revoked serials: openssl sees the first
# certificate revoked, the second not.
sqlite3 "$D/certdb.sqlite" "select serial_number from certificates where status = 'revoked'" \
	>"$D/revoked.txt"
cfssl gencrl "$D/revoked.txt" "$D/ca.pem" "$D/ca-key.pem" 2>/dev/null | base64 -d |
	openssl crl -inform DER -out "$D/crl.pem" 2>/dev/null
cat "$D/ca.pem" "$D/crl.pem" >"$D/ca+crl.pem"
like "openssl verify -crl_check: the revoked certificate is revoked" \
	"$(openssl verify -crl_check -CAfile "$D/ca+crl.pem" "$D/holder1.pem" 2>&1)" \
	"certificate revoked"
like "openssl verify -crl_check: the other one is fine" \
	"$(openssl verify -crl_check -CAfile "$D/ca+crl.pem" "$D/holder2.pem" 2>&1)" \
	": OK$"

# --- revoked before: cfssl cannot tell, and overwrites ------------------------

revoke "$CONF" "$S1" 1
is "revoke again, raising to keyCompromise: ok" "$rc" 0
is "the certdb has reason 1 now" "$(row "$S1")" "revoked|1"
revoke "$CONF" "$S1" 4
is "revoke again with superseded: ok (cfssl answers alike)" "$rc" 0
like "and it is reported as a change (cfssl cannot say it was revoked before)" \
	"$out" "^status=ok changed=1 reason=4 "
# The documented limitation: cfssl overwrites the reason, even lowering it.
is "cfssl overwrote keyCompromise with superseded (documented limitation)" \
	"$(row "$S1")" "revoked|4"

# --- refused -------------------------------------------------------------------

revoke "$CONF" ABCDEF0123 1
is "an unknown serial: permanent, exit 3" "$rc" 3
like "the error names the backend and says cfssl did not find it" "$out" \
	"error=cfssl: revoking serial ABCDEF0123: HTTP 400: failed to revoke the certificate: certificate not found \\(cfssl error 11200\\)"
revoke "$CONF" "XYZ" 1
is "a serial that is no hex number: permanent, no request" "$rc" 3
like "its error" "$out" "error=cfssl: the serial is no hexadecimal number"
revoke "$CONF" "$S2" 8
is "removeFromCRL is no reason to revoke with: permanent" "$rc" 3
is "and the certificate stays good" "$(row "$S2")" "good|0"

BADPATH=$HARNESS_DIR/badpath.conf
cabut_config "$BADPATH" "[ca]" "backend = cfssl" \
	"url = http://127.0.0.1:$CFSSL_PORT/cfssl-elsewhere" "timeout = 5s"
revoke "$BADPATH" "$S2" 1
is "a URL with a wrong path (HTTP 404): permanent" "$rc" 3
like "its error says the answer was not cfssl's" "$out" \
	"error=cfssl: revoking serial $S2: HTTP 404, not a cfssl answer"

# --- unreachable ---------------------------------------------------------------

harness_stop "$CFSSL_PID"
_harness_wait_port_free "$CFSSL_PORT"
revoke "$CONF" "$S2" 1
is "cfssl stopped: temporary, exit 2" "$rc" 2
like "its error names the backend and says no answer came" "$out" \
	"error=cfssl: revoking serial $S2: no answer: "
cfssl_start || bail "cfssl serve did not start again"
revoke "$CONF" "$S2" 1
is "started again: the retry revokes it" "$rc" 0
is "the certdb has it revoked with reason 1" "$(row "$S2")" "revoked|1"
unlike "no output line without the status or error prefix" \
	"$(grep -Ev '^(status|error)=' "$HARNESS_DIR/revoke.out")" "."

done_testing
