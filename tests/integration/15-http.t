#!/bin/bash
# shellcheck disable=SC2317 # helpers run via ok
# The HTTP client (src/http.c, through tests/tools/http-get) against a real
# server (tests/lib/http_server.py): conditional GET with ETag and
# If-Modified-Since, the size cap, statuses that are answers (404) and
# failures that are not (refused, timeout), POST/PUT bodies, and TLS:
# the server's certificate and name verified, a client certificate sent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/http.sh"

for tool in openssl "$HARNESS_PYTHON"; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
GET=$top_builddir/tests/tools/http-get
[ -x "$GET" ] || bail "$GET not built"

plan 35

harness_tmpdir
www=$HARNESS_DIR/www
mkdir "$www"
printf 'first version of the CRL\n' >"$www/crl.pem"
head -c 100000 /dev/urandom >"$www/big"

# get ARGS...: runs http-get; sets rc, body (its stdout, in a file), and
# status/etag/lastmod/length/err from what it printed on stderr.
get() {
	rc=0
	"$GET" --out "$HARNESS_DIR/body" "$@" 2>"$HARNESS_DIR/get.err" || rc=$?
	cat "$HARNESS_DIR/get.err" >&2
	status=$(sed -n 's/^status //p' "$HARNESS_DIR/get.err")
	etag=$(sed -n 's/^etag //p' "$HARNESS_DIR/get.err")
	lastmod=$(sed -n 's/^last-modified //p' "$HARNESS_DIR/get.err")
	length=$(sed -n 's/^length //p' "$HARNESS_DIR/get.err")
	err=$(sed -n 's/^error: //p' "$HARNESS_DIR/get.err")
}

# --- plain HTTP ------------------------------------------------------------

http_start "$www" || bail "the HTTP server did not start"
URL=$HTTP_URL/crl.pem

get "$URL"
is "GET: an answer, status 200" "$rc $status" "0 200"
ok "the body is the file" cmp "$www/crl.pem" "$HARNESS_DIR/body"
like "an ETag came back" "$etag" '^"[0-9a-f]{32}"$'
like "a Last-Modified came back" "$lastmod" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$'
etag1=$etag
lastmod1=$lastmod

get --etag "$etag1" "$URL"
is "again with If-None-Match: 304, no body" "$rc $status $length" "0 304 0"
is "the 304 repeats the ETag" "$etag" "$etag1"
get --since "$lastmod1" "$URL"
is "again with If-Modified-Since: 304" "$rc $status $length" "0 304 0"
ok "the server saw If-None-Match as sent" \
	grep -qxF "GET /crl.pem 304 if-none-match=$etag1 if-modified-since=-" "$HTTP_LOG"
ok "the server saw If-Modified-Since as sent" \
	grep -qxF "GET /crl.pem 304 if-none-match=- if-modified-since=$lastmod1" "$HTTP_LOG"
ok "the first GET sent neither" \
	grep -qxF "GET /crl.pem 200 if-none-match=- if-modified-since=-" "$HTTP_LOG"

# A new CRL: other content, a later modification time.
printf 'second version of the CRL, longer\n' >"$www/crl.pem"
touch -d '+1 minute' "$www/crl.pem"
get --etag "$etag1" "$URL"
is "after the file changed, the old ETag gets 200" "$rc $status" "0 200"
ok "with the new body" cmp "$www/crl.pem" "$HARNESS_DIR/body"
isnt "and a new ETag" "$etag" "$etag1"
get --since "$lastmod1" "$URL"
is "the old date gets 200 too" "$rc $status" "0 200"

get "$HTTP_URL/missing.pem"
is "404 is an answer (exit 0), not an error" "$rc $status" "0 404"

# --- the size cap ----------------------------------------------------------

get --max 100000 "$HTTP_URL/big"
is "a body of exactly max_size is taken" "$rc $status $length" "0 200 100000"
get --max 99999 "$HTTP_URL/big"
is "one byte more than max_size: refused (Content-Length)" \
	"$rc $err" "1 response larger than 99999 bytes"
get --max 99999 "$HTTP_URL/big?nolength"
is "refused also without Content-Length (counted while reading)" \
	"$rc $err" "1 response larger than 99999 bytes"
get --max 100000 "$HTTP_URL/big?nolength"
is "without Content-Length, exactly max_size is taken" \
	"$rc $status $length" "0 200 100000"
ok "and is the whole file" cmp "$www/big" "$HARNESS_DIR/body"

# --- methods ---------------------------------------------------------------

printf '{"serial":"1234","reason":"keyCompromise"}' >"$HARNESS_DIR/req.json"
get --method POST --type application/json --data "$HARNESS_DIR/req.json" \
	"$HTTP_URL/api/revoke"
is "POST: 200" "$rc $status" "0 200"
ok "the body went out whole (echoed back)" \
	cmp "$HARNESS_DIR/req.json" "$HARNESS_DIR/body"
get --method PUT --type application/json --data "$HARNESS_DIR/req.json" \
	"$HTTP_URL/api/revoke"
ok "PUT: the server saw a PUT with the body" \
	grep -qxF "PUT /api/revoke 200 if-none-match=- if-modified-since=-" "$HTTP_LOG"
get --method DELETE "$HTTP_URL/x"
like "another method is refused" "$rc $err" '^1 unsupported HTTP method'
get "ftp://127.0.0.1:$HTTP_PORT/crl.pem"
like "another scheme is refused" "$rc $err" '^1 URL must start with http'

# --- failures that are not answers -----------------------------------------

http_stop || bail "the HTTP server did not stop"
get "$URL"
like "connection refused: an error (exit 1)" "$rc $err" "^1 Couldn't connect"

# A listener that never accepts: the kernel completes the connection, no
# answer ever comes.
port=$(free_port) || bail "no free port"
harness_bg mute "$HARNESS_PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
time.sleep(600)' "$port"
wait_for 5 port_listening "$port" || bail "the mute listener did not start"
start=$SECONDS
get --timeout 1 "http://127.0.0.1:$port/x"
like "no answer: a timeout error" "$rc $err" '^1 Timeout'
ok "after about the timeout (not the default 10 s)" test $((SECONDS - start)) -le 6

# --- TLS -------------------------------------------------------------------

http_start "$www" --tls || bail "the HTTPS server did not start"
URL=$HTTP_URL/crl.pem
get --ca "$DOVECOT_CA" "$URL"
is "HTTPS with the right CA: 200" "$rc $status" "0 200"
ok "and the body" cmp "$www/crl.pem" "$HARNESS_DIR/body"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$HARNESS_DIR/other-ca.key" -out "$HARNESS_DIR/other-ca.pem" \
	-days 1 -subj "/CN=another CA" >&2 2>&1 || bail "openssl failed"
get --ca "$HARNESS_DIR/other-ca.pem" "$URL"
like "with another CA: a certificate error" "$rc $err" '^1 .*(certificate|verif)'
get --ca "$HARNESS_DIR/other-ca.pem" --no-verify "$URL"
is "the same with --no-verify: 200" "$rc $status" "0 200"
http_stop

# The right CA, but a certificate for wrong.example.
http_start "$www" --tls=wrong || bail "the HTTPS server did not start"
get --ca "$DOVECOT_CA" "$HTTP_URL/crl.pem"
like "a certificate for another name: refused" "$rc $err" \
	'^1 .*(does not match|host ?name)'
http_stop

# Mutual TLS: the server wants a client certificate from the test CA.
(
	set -e
	cd "$HARNESS_DIR"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout client.key -out client.csr -subj "/CN=cabut"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=clientAuth" >client.ext
	openssl x509 -req -in client.csr -CA "$DOVECOT_CA" \
		-CAkey "$HARNESS_CA_KEY" -set_serial 0x1234 -days 1 \
		-extfile client.ext -out client.pem
) >&2 2>&1 || bail "openssl failed to make the client certificate"
http_start "$www" --tls --client-ca "$DOVECOT_CA" ||
	bail "the HTTPS server did not start"
before=$(wc -l <"$HTTP_LOG")
get --ca "$DOVECOT_CA" "$HTTP_URL/crl.pem"
is "no client certificate: refused, no request served" \
	"$rc $(wc -l <"$HTTP_LOG")" "1 $before"
get --ca "$DOVECOT_CA" --cert "$HARNESS_DIR/client.pem" \
	--key "$HARNESS_DIR/client.key" "$HTTP_URL/crl.pem"
is "with the client certificate: 200" "$rc $status" "0 200"

done_testing
