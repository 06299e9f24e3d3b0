# A throw-away HTTP(S) server (tests/lib/http_server.py) on a free loopback
# port, for the CRL watch and the CA backends.  Source it after harness.sh
# and call harness_tmpdir first:
#   http_start DIR [--tls[=NAME]] [--client-ca FILE]; ...; http_stop
# --tls serves HTTPS with harness_certs' localhost certificate (CA
# $DOVECOT_CA), --tls=wrong with its wrong.example one.  Exports HTTP_PORT
# HTTP_PID HTTP_URL HTTP_LOG.  One server per shell; call the functions in
# the script's own shell, never in $(...).

_http_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# http_start DIR [--tls[=NAME]] [--client-ca FILE]
http_start() {
	local dir=$1 opts=() scheme=http name fresh
	: "${HARNESS_DIR:?call harness_tmpdir first}"
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--tls | --tls=*)
			harness_certs || return 1
			name=localhost
			[ "$1" = --tls ] || name=${1#--tls=}
			scheme=https
			opts+=(--tls "$HARNESS_DIR/dc/$name.pem" \
				"$HARNESS_DIR/dc/$name.key") ;;
		--client-ca) opts+=(--client-ca "$2"); shift ;;
		*) _harness_say "http_start: unknown option $1"; return 1 ;;
		esac
		shift
	done
	if [ -n "${HTTP_PID:-}" ]; then
		_harness_say "http_start: already running ($HTTP_PID)"
		return 1
	fi
	HTTP_LOG=$HARNESS_DIR/http.log
	export HTTP_LOG
	fresh=$(_harness_unset_vars HTTP_PORT)
	for _ in 1 2 3; do
		HTTP_PORT=${HTTP_PORT:-$(free_port)} || return 1
		export HTTP_PORT
		harness_bg http "$HARNESS_PYTHON" "$_http_lib/http_server.py" \
			--port "$HTTP_PORT" --dir "$dir" --log "$HTTP_LOG" "${opts[@]}"
		HTTP_PID=$HARNESS_BG_PID
		export HTTP_PID
		if _harness_wait_ports "$HTTP_PID" 10 "$HTTP_PORT"; then
			HTTP_URL=$scheme://127.0.0.1:$HTTP_PORT
			export HTTP_URL
			return 0
		fi
		harness_stop "$HTTP_PID"
		unset HTTP_PID
		if [ -n "$fresh" ] && grep -q "Address already in use" \
			"$HARNESS_DIR/http.out" 2>/dev/null; then
			unset HTTP_PORT
			continue
		fi
		break
	done
	_harness_say "http_start failed; its output:"
	sed 's/^/#   /' "$HARNESS_DIR/http.out" >&2 2>/dev/null
	return 1
}

# http_stop: stops it now; http_start reuses the port (HTTP_PORT).
http_stop() {
	[ -n "${HTTP_PID:-}" ] || return 0
	harness_stop "$HTTP_PID"
	unset HTTP_PID HTTP_URL
	_harness_wait_port_free "$HTTP_PORT"
}
