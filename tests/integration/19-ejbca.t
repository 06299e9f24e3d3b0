#!/bin/bash
# shellcheck disable=SC2317 # helpers run via ok
# The EJBCA backend (src/ca_ejbca.c, through tests/tools/ca-revoke) against
# tests/lib/fake_ejbca.py, a scripted FAKE of EJBCA's REST API (EJBCA
# cannot run here) over HTTPS with a required client certificate: revoked,
# revoked before (changed=0, the reason EJBCA keeps), raising to
# KEY_COMPROMISE only where the CA allows it, unknown certificate or CA
# (permanent), 5xx/429 (temporary), a refused client certificate, a server
# certificate that does not verify and a stopped server (temporary), and
# the issuer DN, serial, reason and invalidity date as they arrive.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"

for tool in openssl "$HARNESS_PYTHON"; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
REVOKE=$top_builddir/tests/tools/ca-revoke
[ -x "$REVOKE" ] || bail "$REVOKE not built"

plan 39

harness_tmpdir
harness_certs || bail "no test certificates"
mkdir -p "$HARNESS_DIR/state"
E=$HARNESS_DIR/ejbca
mkdir -p "$E/control"

# client_ca NAME: a CA for client certificates; client_cert CA NAME CN.
client_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$E/$1.key" -out "$E/$1.pem" -days 30 -subj "/CN=$1" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
client_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$E/$2.key" -out "$E/$2.csr" -subj "/O=Balai Sertifikasi Elektronik (test)/CN=$3" \
		2>/dev/null &&
		printf 'extendedKeyUsage=clientAuth\n' >"$E/$2.ext" &&
		openssl x509 -req -in "$E/$2.csr" -CA "$E/$1.pem" -CAkey "$E/$1.key" \
			-CAcreateserial -days 30 -extfile "$E/$2.ext" -out "$E/$2.pem" 2>/dev/null &&
		chmod 0600 "$E/$2.key"
}
if ! { client_ca ra-ca && client_cert ra-ca ra cabut-ra &&
	client_ca rogue-ca && client_cert rogue-ca rogue intruder; }; then
	bail "cannot make the client certificates"
fi

# Holders' certificates from a CA whose DN needs encoding in a URL path.
cabut_test_ca
S1=$(cabut_holder_cert satu satu@example.test)
S2=$(cabut_holder_cert dua dua@example.test)
S3=$(cabut_holder_cert tiga tiga@example.test)
S4=$(cabut_holder_cert empat empat@example.test)
ISSUER=$(openssl x509 -in "$HARNESS_DIR/hca/ca.pem" -noout -subject -nameopt RFC2253 |
	sed 's/^subject=//')
is "the issuer DN has characters a URL path must encode" "$ISSUER" \
	"CN=BSrE Test CA,O=Balai Sertifikasi Elektronik (test),C=ID"
{
	printf '%s\t%s\n' "$S1" "$ISSUER" "$S2" "$ISSUER" "$S4" "$ISSUER"
	printf '%s\t%s\tCERTIFICATE_HOLD\n' "$S3" "$ISSUER"
} >"$E/certs.tsv"

LOG=$E/requests.log
# ejbca_start: the fake on EJBCA_PORT (kept across restarts).
ejbca_start() {
	EJBCA_PORT=${EJBCA_PORT:-$(free_port)} || return 1
	harness_bg ejbca "$HARNESS_PYTHON" "$top_srcdir/tests/lib/fake_ejbca.py" \
		--listen "127.0.0.1:$EJBCA_PORT" \
		--cert "$HARNESS_DIR/dc/localhost.pem" --key "$HARNESS_DIR/dc/localhost.key" \
		--client-ca "$E/ra-ca.pem" --certs "$E/certs.tsv" --log "$LOG" \
		--control "$E/control"
	EJBCA_PID=$HARNESS_BG_PID
	_harness_wait_ports "$EJBCA_PID" 10 "$EJBCA_PORT" && return 0
	sed 's/^/#   /' "$HARNESS_DIR/ejbca.out" >&2
	return 1
}
ejbca_start || bail "the fake EJBCA did not start"

# conf FILE [INI...]: backend ejbca with the RA's client certificate.
conf() {
	local f=$1
	shift
	cabut_config "$f" "[ca]" "backend = ejbca" \
		"url = https://localhost:$EJBCA_PORT/ejbca/ejbca-rest-api/" \
		"timeout = 5s" "$@"
}
CONF=$HARNESS_DIR/cabut.conf
conf "$CONF" "client_cert_file = $E/ra.pem" "client_key_file = $E/ra.key" \
	"ca_file = $DOVECOT_CA"

# revoke CONF SERIAL REASON [ISSUER] [INVALIDITY]: sets out and rc.
revoke() {
	local inv=()
	[ -n "${5:-}" ] && inv=(--invalidity "$5")
	rc=0
	out=$("$REVOKE" -c "$1" --serial "$2" --issuer "${4:-$ISSUER}" --reason "$3" \
		"${inv[@]}" 2>>"$HARNESS_DIR/revoke.err") || rc=$?
	printf '%s\n' "$out" >>"$HARNESS_DIR/revoke.out"
}
# last_log FIELD: that field of the fake's last logged request.
last_log() {
	tail -n 1 "$LOG" | "$HARNESS_PYTHON" -c \
		'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}
ENC_ISSUER='CN%3DBSrE%20Test%20CA%2CO%3DBalai%20Sertifikasi%20Elektronik%20%28test%29%2CC%3DID'
BASE=/ejbca/ejbca-rest-api/v1/certificate

# --- revoked ---------------------------------------------------------------

INV=$(( $(date +%s) - 86400 ))
INV_TEXT=$(date -u -d "@$INV" +%Y-%m-%dT%H:%M:%SZ)
revoke "$CONF" "$S1" 1 "" "$INV"
is "revoke (keyCompromise, invalidity date): ok, exit 0" "$rc" 0
like "changed, with the reason and EJBCA's revocation date" "$out" \
	"^status=ok changed=1 reason=1 revoked_at=[1-9][0-9]+ detail=EJBCA revoked serial $S1, reason KEY_COMPROMISE$"
is "one PUT to the revoke URL" "$(last_log method) $(last_log status)" "PUT 200"
is "the issuer DN arrives percent-encoded in one path segment" "$(last_log path)" \
	"$BASE/$ENC_ISSUER/$S1/revoke"
is "reason and invalidity date in the query, the date encoded" "$(last_log query)" \
	"reason=KEY_COMPROMISE&invalidity_date=${INV_TEXT//:/%3A}"
is "the fake saw the RA's client certificate" "$(last_log client)" \
	"organizationName=Balai Sertifikasi Elektronik (test),commonName=cabut-ra"

# --- revoked before ----------------------------------------------------------

revoke "$CONF" "$S1" 1
is "the same again: ok" "$rc" 0
like "nothing changed; the reason is EJBCA's" "$out" \
	"^status=ok changed=0 reason=1 revoked_at=[1-9][0-9]+ detail=EJBCA: serial $S1 was revoked before, reason KEY_COMPROMISE$"
is "after the 409, the status was read" "$(last_log method) $(last_log path)" \
	"GET $BASE/$ENC_ISSUER/$S1/revocationstatus"

revoke "$CONF" "$S2" 3
is "revoke another (affiliationChanged): ok" "$rc" 0
revoke "$CONF" "$S2" 4
is "again with superseded: ok" "$rc" 0
like "changed=0 and the reason stays affiliationChanged" "$out" \
	"^status=ok changed=0 reason=3 "
revoke "$CONF" "$S2" 1
is "raising to keyCompromise where the CA does not allow it: permanent" "$rc" 3
like "the error says EJBCA refused to raise the reason" "$out" \
	"error=ejbca: serial $S2 was revoked before with reason AFFILIATION_CHANGED and EJBCA refused to raise it to KEY_COMPROMISE"
: >"$E/control/allow-changing-reason"
revoke "$CONF" "$S2" 1
is "where the CA allows changing the reason: ok" "$rc" 0
like "changed, now keyCompromise" "$out" "^status=ok changed=1 reason=1 "
rm -f "$E/control/allow-changing-reason"
revoke "$CONF" "$S3" 4
is "a certificate on hold: revoked for good (superseded)" "$rc" 0
like "changed, reason superseded" "$out" "^status=ok changed=1 reason=4 "

# --- refused -----------------------------------------------------------------

revoke "$CONF" ABCDEF0123 1
is "an unknown certificate: permanent, exit 3" "$rc" 3
like "the error names the backend and says 404, unknown" "$out" \
	"error=ejbca: revoking serial ABCDEF0123 of CN=BSrE Test CA,O=.*: HTTP 404 \\(unknown certificate or CA\\): Certificate with serial number ABCDEF0123"
revoke "$CONF" "$S4" 1 "CN=Another CA,C=ID"
is "an unknown CA: permanent" "$rc" 3
like "its error" "$out" "HTTP 404 \\(unknown certificate or CA\\): CA with DN: CN=Another CA,C=ID does not exist"
revoke "$CONF" "$S4" 1 "" "$(( $(date +%s) + 86400 ))"
is "an invalidity date in the future (EJBCA: 400): permanent" "$rc" 3
n=$(wc -l <"$LOG")
revoke "$CONF" "$S4" 6
is "certificateHold is no reason to revoke with: permanent, no request" \
	"$rc $(wc -l <"$LOG")" "3 $n"

# --- temporary -----------------------------------------------------------------

: >"$E/control/fail-503"
revoke "$CONF" "$S4" 4
is "EJBCA answers 503 (CA offline): temporary, exit 2" "$rc" 2
like "its error" "$out" "error=ejbca: revoking serial $S4 of .*: HTTP 503: injected failure"
: >"$E/control/fail-429"
revoke "$CONF" "$S4" 4
is "EJBCA answers 429: temporary" "$rc" 2

ROGUE=$HARNESS_DIR/rogue.conf
conf "$ROGUE" "client_cert_file = $E/rogue.pem" "client_key_file = $E/rogue.key" \
	"ca_file = $DOVECOT_CA"
revoke "$ROGUE" "$S4" 4
is "a client certificate EJBCA does not trust: refused in the handshake, temporary" "$rc" 2
like "its error says no answer came" "$out" "error=ejbca: revoking serial $S4 of .*: no answer: "
is "the fake logged the refused handshake" "$(last_log event)" "tls-refused"

NOCERT=$HARNESS_DIR/nocert.conf
conf "$NOCERT" "ca_file = $DOVECOT_CA"
revoke "$NOCERT" "$S4" 4
is "no client certificate configured: the configuration is refused" "$rc" 1
like "it says what is missing" "$(cat "$HARNESS_DIR/revoke.err")" \
	"backend ejbca needs client_cert_file"

WRONGCA=$HARNESS_DIR/wrongca.conf
conf "$WRONGCA" "client_cert_file = $E/ra.pem" "client_key_file = $E/ra.key" \
	"ca_file = $E/rogue-ca.pem"
revoke "$WRONGCA" "$S4" 4
is "the server's certificate does not verify against ca_file: temporary" "$rc" 2
like "its error is curl's verification failure" "$out" \
	"error=ejbca: revoking serial $S4 of .*: no answer: .*(certificate|SSL|TLS)"
NOVERIFY=$HARNESS_DIR/noverify.conf
conf "$NOVERIFY" "client_cert_file = $E/ra.pem" "client_key_file = $E/ra.key" \
	"ca_file = $E/rogue-ca.pem" "tls_verify = no"
revoke "$NOVERIFY" "$S4" 4
is "the same with tls_verify = no: revoked" "$rc" 0

harness_stop "$EJBCA_PID"
_harness_wait_port_free "$EJBCA_PORT"
revoke "$CONF" "$S2" 1
is "the fake EJBCA stopped: temporary" "$rc" 2
like "its error says no answer came" "$out" "error=ejbca: revoking serial $S2 of .*: no answer: "

# --- secrets -------------------------------------------------------------------

key_line=$(sed -n 2p "$E/ra.key")
unlike "no line of the client key in anything ca-revoke printed" \
	"$(cat "$HARNESS_DIR/revoke.out" "$HARNESS_DIR/revoke.err")" "${key_line:0:40}|PRIVATE KEY"

done_testing
