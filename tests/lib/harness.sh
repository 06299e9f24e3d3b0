# The integration-test harness: a throw-away Dovecot (IMAP, IMAPS, LMTP) and
# SMTP server (aiosmtpd -> Dovecot LMTP) on free loopback ports, a test CA,
# and helpers to put mail in and read it back.  Source it after tap.sh:
#   harness_tmpdir; dovecot_start; smtp_start
# Call the *_start functions in the script's own shell, never in $(...):
# they export variables and remember the PIDs they must stop.

_harness_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS_PYTHON=${HARNESS_PYTHON:-/usr/bin/python3}
HARNESS_DOMAIN=${HARNESS_DOMAIN:-example.test}
HARNESS_USERS=${HARNESS_USERS:-cabut op1 op2 pemohon admin}
SMTP_USER=${SMTP_USER:-cabut}
SMTP_PASSWORD=${SMTP_PASSWORD:-secret-smtp}
DOVECOT_STRICT_ADDR=${DOVECOT_STRICT_ADDR:-127.0.0.2}
export HARNESS_PYTHON HARNESS_DOMAIN HARNESS_USERS SMTP_USER SMTP_PASSWORD \
	DOVECOT_STRICT_ADDR

_harness_owner=          # $BASHPID of the shell that made HARNESS_DIR
_harness_watchdog_pid=
_harness_cleanup=()      # commands for harness_on_exit, run last first
_harness_servers=()      # "PID:NAME" of every process still to stop

_harness_say() {
	printf '# %s\n' "$@" >&2
}

# harness_tmpdir: makes HARNESS_DIR (once per shell process) and the EXIT
# trap that stops every server and removes the dir (kept if HARNESS_KEEP=1).
harness_tmpdir() {
	if [ -n "$_harness_owner" ] && [ "$_harness_owner" = "$BASHPID" ]; then
		return 0
	fi
	local parent=${HARNESS_DIR:-}
	# A sub-shell starts afresh: its parent's servers and ports are not its.
	_harness_cleanup=()
	_harness_servers=()
	unset IMAP_PORT IMAPS_PORT LMTP_PORT SMTP_PORT SMTPS_PORT \
		DOVECOT_PID SMTP_PID DOVECOT_CONF
	HARNESS_DIR=$(mktemp -d /tmp/cbt.XXXXXX) || return 1
	# Dovecot's unprivileged processes must reach their files (as root).
	chmod 0711 "$HARNESS_DIR"
	if [ -n "$parent" ] && [ -f "$parent/ports" ]; then
		cp "$parent/ports" "$HARNESS_DIR/ports"
		# The same test CA and certificates as the parent's (and faster).
		if [ -f "$parent/dc/wrong.pem" ]; then
			mkdir -m 0711 "$HARNESS_DIR/dc"
			cp -p "$parent"/dc/*.pem "$parent"/dc/*.key "$HARNESS_DIR/dc/"
		fi
	fi
	: >>"$HARNESS_DIR/ports"
	_harness_owner=$BASHPID
	export HARNESS_DIR
	trap '_harness_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_harness_watchdog "$_harness_owner" "$HARNESS_DIR" </dev/null >/dev/null 2>&1 &
	_harness_watchdog_pid=$!
}

# _harness_watchdog OWNER DIR (in the background): if the test script dies
# without running its EXIT trap (SIGKILL, say), stop what it started.
_harness_watchdog() {
	local pid name
	set +e
	trap 'exit 0' TERM
	while kill -0 "$1" 2>/dev/null; do
		sleep 1 & wait $!
	done
	[ -f "$2/servers" ] || exit 0
	while IFS=: read -r pid name; do
		kill -TERM "$pid" 2>/dev/null
	done <"$2/servers"
	sleep 5
	while IFS=: read -r pid name; do
		kill -KILL "$pid" 2>/dev/null
	done <"$2/servers"
	[ "${HARNESS_KEEP:-0}" = 1 ] || rm -rf "$2"
}

# _harness_servers_saved: the watchdog's copy of _harness_servers.
_harness_servers_saved() {
	printf '%s\n' "${_harness_servers[@]}" >"$HARNESS_DIR/servers.tmp" &&
		mv "$HARNESS_DIR/servers.tmp" "$HARNESS_DIR/servers"
}

# harness_on_exit 'COMMAND': run COMMAND (eval) at exit, before the servers
# stop; the last one added runs first.
harness_on_exit() {
	_harness_cleanup+=("$*")
}

_harness_exit() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#_harness_cleanup[@]} - 1; i >= 0; i--)); do
		eval "${_harness_cleanup[i]}" || true
	done
	_harness_cleanup=()
	_harness_stop_all
	kill -TERM "$_harness_watchdog_pid" 2>/dev/null || true
	if [ -n "${HARNESS_DIR:-}" ] && [ -d "$HARNESS_DIR" ]; then
		if [ "${HARNESS_KEEP:-0}" = 1 ]; then
			_harness_say "kept $HARNESS_DIR"
		else
			rm -rf "$HARNESS_DIR"
		fi
	fi
	exit "$rc"
}

# --- processes -----------------------------------------------------------

# harness_bg NAME CMD [ARGS...]: starts CMD in the background (stdin
# /dev/null, stdout and stderr to $HARNESS_DIR/NAME.out); sets
# HARNESS_BG_PID.  It is stopped at exit unless harness_stop stopped it
# before; `wait $HARNESS_BG_PID` gives its exit status, also after
# harness_stop.
harness_bg() {
	local name=$1
	shift
	"$@" </dev/null >"$HARNESS_DIR/$name.out" 2>&1 &
	HARNESS_BG_PID=$!
	_harness_servers+=("$HARNESS_BG_PID:$name")
	_harness_servers_saved
}

# _harness_alive PID: running and not a zombie.
_harness_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

_harness_children() {
	ps -o pid= --ppid "$1" 2>/dev/null || true
}

# harness_stop PID...: TERM, up to 5 s, then KILL (the processes and their
# children).  Only PIDs this harness started are touched; they stop in
# parallel.  Dovecot's master lingers a second after its children have
# gone (it waits for its log process, which waits for it): once only the
# log process is left, both are killed.
harness_stop() {
	local pid entry end keep kept=() pids=() children=() dovecots=() rc=0
	for pid in "$@"; do
		keep=0
		for entry in "${_harness_servers[@]}"; do
			if [ "${entry%%:*}" = "$pid" ]; then
				keep=1
				[ "${entry#*:}" != dovecot ] || dovecots+=("$pid")
			fi
		done
		if [ "$keep" = 1 ]; then
			pids+=("$pid")
		else
			_harness_say "harness_stop: $pid is not a process of this harness"
			rc=1
		fi
	done
	for pid in "${pids[@]}"; do
		if _harness_alive "$pid"; then
			# shellcheck disable=SC2207
			children+=($(_harness_children "$pid"))
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	end=$(( ${EPOCHREALTIME/./} + 5000000 ))
	while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		keep=0
		for pid in "${pids[@]}"; do
			_harness_alive "$pid" && keep=1
		done
		[ "$keep" = 1 ] || break
		for pid in "${dovecots[@]}"; do
			_harness_dovecot_only_log_left "$pid"
		done
		sleep 0.05
	done
	for pid in "${pids[@]}"; do
		if _harness_alive "$pid"; then
			_harness_say "harness_stop: $pid did not stop in 5 s, killing it"
			kill -KILL "$pid" "${children[@]}" 2>/dev/null || true
		fi
	done
	# Off the list only now: had this shell died above, the EXIT trap or
	# the watchdog would still stop them.
	for entry in "${_harness_servers[@]}"; do
		keep=1
		for pid in "${pids[@]}"; do
			[ "${entry%%:*}" = "$pid" ] && keep=0
		done
		[ "$keep" = 0 ] || kept+=("$entry")
	done
	_harness_servers=("${kept[@]}")
	_harness_servers_saved
	return "$rc"
}

# _harness_dovecot_only_log_left PID: kills a stopping Dovecot master whose
# only child left is its log process (see harness_stop).
_harness_dovecot_only_log_left() {
	local child comm log=
	_harness_alive "$1" || return 0
	for child in $(_harness_children "$1"); do
		read -r comm 2>/dev/null <"/proc/$child/comm" || continue
		[ "$comm" = log ] || return 0
		log=$child
	done
	kill -KILL "$1" ${log:+"$log"} 2>/dev/null || true
}

_harness_stop_all() {
	local entry pids=()
	for entry in "${_harness_servers[@]}"; do
		pids+=("${entry%%:*}")
	done
	[ "${#pids[@]}" -eq 0 ] || harness_stop "${pids[@]}"
}

# wait_for SECONDS CMD [ARGS...]: runs CMD every 0.1 s until it succeeds;
# returns 1 after SECONDS (may have a fraction).
wait_for() {
	_harness_poll 0.1 "$@"
}

# _harness_poll INTERVAL SECONDS CMD [ARGS...]
_harness_poll() {
	local interval=$1 secs=$2 frac=000000 end
	if [[ $secs == *.* ]]; then
		frac=${secs#*.}000000
		frac=${frac:0:6}
		secs=${secs%%.*}
	fi
	end=$(( ${EPOCHREALTIME/./} + ${secs:-0} * 1000000 + 10#$frac ))
	shift 2
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep "$interval"
	done
}

# --- ports ---------------------------------------------------------------

# port_listening PORT: something listens on 127.0.0.1:PORT.
port_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_harness_port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
	else
		port_listening "$1"
	fi
}

# free_port: prints a loopback TCP port nobody uses and that this script
# has not been handed before (kept in $HARNESS_DIR/ports).
free_port() {
	: "${HARNESS_DIR:?call harness_tmpdir first}"
	local lo=20000 hi=60000 eph port n
	# Keep clear of the kernel's ephemeral ports (outgoing connections).
	read -r eph _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range || eph=
	if [ -n "$eph" ] && [ "$eph" -gt $((lo + 5000)) ] && [ "$eph" -le "$hi" ]; then
		hi=$((eph - 1))
	fi
	for ((n = 0; n < 500; n++)); do
		port=$(( lo + ( ${SRANDOM:-$(( RANDOM << 15 | RANDOM ))} % (hi - lo + 1) ) ))
		grep -qx "$port" "$HARNESS_DIR/ports" && continue
		_harness_port_in_use "$port" && continue
		echo "$port" >>"$HARNESS_DIR/ports"
		echo "$port"
		return 0
	done
	_harness_say "free_port: no free port found"
	return 1
}

# _harness_unset_vars NAME...: prints the NAMEs of unset variables.
_harness_unset_vars() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || printf '%s ' "$v"
	done
}

# _harness_wait_ports PID SECONDS PORT...: all PORTs accept connections
# while PID lives (fails at once when it dies).
_harness_wait_ports() {
	local pid=$1 end=$(( ${EPOCHREALTIME/./} + $2 * 1000000 )) port
	shift 2
	for port in "$@"; do
		until port_listening "$port"; do
			_harness_alive "$pid" || return 1
			[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
			sleep 0.02
		done
	done
	_harness_alive "$pid"
}

# _harness_wait_port_free PORT...: nobody listens on them any more (5 s).
_harness_wait_port_free() {
	local port
	for port in "$@"; do
		_harness_poll 0.02 5 eval "! port_listening $port" || return 1
	done
}

# --- certificates --------------------------------------------------------

# harness_certs: a test CA ($DOVECOT_CA, key $HARNESS_CA_KEY) and two
# server certificates it signed, in $HARNESS_DIR/dc: localhost.pem (CN and
# SAN localhost, IP 127.0.0.1) and wrong.pem (wrong.example), keys *.key.
harness_certs() {
	local dir=$HARNESS_DIR/dc name cn san
	DOVECOT_CA=$dir/ca.pem
	HARNESS_CA_KEY=$dir/ca.key
	export DOVECOT_CA HARNESS_CA_KEY
	[ -f "$dir/wrong.pem" ] && return 0
	mkdir -p "$dir" && chmod 0711 "$dir" || return 1
	(
		set -e
		umask 077
		cd "$dir"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 30 \
			-subj "/CN=cabut test CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign
		for name in localhost wrong; do
			case $name in
			localhost) cn=localhost
				san=DNS:localhost,IP:127.0.0.1,IP:$DOVECOT_STRICT_ADDR ;;
			wrong) cn=wrong.example san=DNS:wrong.example ;;
			esac
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout "$name.key" -out "$name.csr" \
				-subj "/CN=$cn"
			printf '%s\n' "basicConstraints=critical,CA:FALSE" \
				"keyUsage=critical,digitalSignature" \
				"extendedKeyUsage=serverAuth" \
				"subjectAltName=$san" >"$name.ext"
			openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
				-set_serial "0x$(openssl rand -hex 8)" -days 30 \
				-extfile "$name.ext" -out "$name.pem"
			rm -f "$name.csr" "$name.ext"
		done
		chmod 0644 ca.pem localhost.pem wrong.pem
	) >"$dir/certs.log" 2>&1 || {
		_harness_say "harness_certs failed:"
		sed 's/^/#   /' "$dir/certs.log" >&2
		return 1
	}
}

# --- Dovecot -------------------------------------------------------------

# _harness_dovecot_conf CERTNAME: writes $HARNESS_DIR/dc/dovecot.conf.
_harness_dovecot_conf() {
	local dc=$HARNESS_DIR/dc cert=$1 uid gid user group u
	if [ "$(id -u)" -eq 0 ]; then
		# Mail may not be owned by root; Dovecot's own users run the rest.
		uid=$(id -u nobody) gid=$(id -g nobody)
		cat >"$dc/users.conf" <<-EOF
		default_internal_user = dovecot
		default_internal_group = dovecot
		default_login_user = dovenull
		EOF
	else
		uid=$(id -u) gid=$(id -g) user=$(id -un) group=$(id -gn)
		cat >"$dc/users.conf" <<-EOF
		default_internal_user = $user
		default_internal_group = $group
		default_login_user = $user
		service imap-login {
		  chroot =
		}
		service imap-urlauth-login {
		  chroot =
		}
		service anvil {
		  chroot =
		}
		EOF
	fi
	: >"$dc/passwd"
	for u in $HARNESS_USERS; do
		echo "$u:{PLAIN}secret-$u" >>"$dc/passwd"
		if [ ! -d "$dc/mail/$u" ]; then
			mkdir -p "$dc/mail/$u"
			chmod 0711 "$dc/mail"
			chown "$uid:$gid" "$dc/mail/$u"
			chmod 0700 "$dc/mail/$u"
		fi
	done
	chmod 0644 "$dc/passwd"
	cat >"$dc/dovecot.conf" <<-EOF
	# Written by tests/lib/harness.sh
	base_dir = $dc/run
	state_dir = $dc/state
	log_path = $dc/dovecot.log
	protocols = imap lmtp
	# Dovecot 2.3 treats a client whose address equals the listener's as
	# "secured" and allows LOGIN without TLS: 127.0.0.1 -> 127.0.0.1 is;
	# 127.0.0.1 -> $DOVECOT_STRICT_ADDR is not (the kernel's source address for
	# any 127/8 destination is 127.0.0.1), so plaintext LOGIN is refused there.
	listen = 127.0.0.1, $DOVECOT_STRICT_ADDR
	!include users.conf
	first_valid_uid = 1
	first_valid_gid = 1

	ssl = yes
	ssl_cert = <$dc/$cert.pem
	ssl_key = <$dc/$cert.key

	auth_mechanisms = plain login
	auth_username_format = %Ln
	auth_verbose = yes
	# Failed logins must not slow down the next test: no delay, and no
	# per-IP penalty (the auth process cannot reach anvil's penalty socket).
	auth_failure_delay = 0
	service anvil {
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $dc/passwd
	}
	userdb {
	  driver = static
	  args = uid=$uid gid=$gid home=$dc/mail/%n
	}

	mail_location = maildir:~/Maildir
	mailbox_idle_check_interval = 1 secs
	recipient_delimiter = +
	lmtp_save_to_detail_mailbox = no
	namespace inbox {
	  inbox = yes
	  separator = /
	  mailbox Processed {
	    auto = create
	  }
	}

	service imap-login {
	  inet_listener imap {
	    port = $IMAP_PORT
	  }
	  inet_listener imaps {
	    port = $IMAPS_PORT
	    ssl = yes
	  }
	}
	service lmtp {
	  inet_listener lmtp {
	    port = $LMTP_PORT
	  }
	}
	service stats {
	  unix_listener stats-writer {
	    mode = 0666
	  }
	}
	EOF
}

# dovecot_start [CERTNAME]: starts Dovecot with certificate CERTNAME
# (localhost, the default, or wrong; also DOVECOT_CERT_NAME).  Ports are
# kept across restarts.  Exports IMAP_PORT IMAPS_PORT LMTP_PORT
# DOVECOT_CONF DOVECOT_PID DOVECOT_LOG DOVECOT_CA.
dovecot_start() {
	local cert=${1:-${DOVECOT_CERT_NAME:-localhost}} fresh
	: "${HARNESS_DIR:?call harness_tmpdir first}"
	if [ -n "${DOVECOT_PID:-}" ]; then
		_harness_say "dovecot_start: already running ($DOVECOT_PID)"
		return 1
	fi
	[ -f "$HARNESS_DIR/dc/$cert.pem" ] || harness_certs || return 1
	if [ ! -f "$HARNESS_DIR/dc/$cert.pem" ]; then
		_harness_say "dovecot_start: no certificate '$cert'"
		return 1
	fi
	fresh=$(_harness_unset_vars IMAP_PORT IMAPS_PORT LMTP_PORT)
	DOVECOT_CONF=$HARNESS_DIR/dc/dovecot.conf
	DOVECOT_LOG=$HARNESS_DIR/dc/dovecot.log
	export DOVECOT_CONF DOVECOT_LOG
	for _ in 1 2 3; do
		IMAP_PORT=${IMAP_PORT:-$(free_port)} || return 1
		IMAPS_PORT=${IMAPS_PORT:-$(free_port)} || return 1
		LMTP_PORT=${LMTP_PORT:-$(free_port)} || return 1
		export IMAP_PORT IMAPS_PORT LMTP_PORT
		_harness_dovecot_conf "$cert" || return 1
		: >"$DOVECOT_LOG"
		rm -f "$HARNESS_DIR/dc/run/master.pid"
		harness_bg dovecot dovecot -c "$DOVECOT_CONF" -F
		DOVECOT_PID=$HARNESS_BG_PID
		export DOVECOT_PID
		# harness_stop kills it (see there): no "Killed" report from bash.
		disown "$DOVECOT_PID"
		if _harness_wait_ports "$DOVECOT_PID" 10 \
			"$IMAP_PORT" "$IMAPS_PORT" "$LMTP_PORT"; then
			return 0
		fi
		harness_stop "$DOVECOT_PID"
		unset DOVECOT_PID
		# Another test run may have taken a port between the check and
		# the bind: choose new ones, but keep those set before (a restart,
		# or the LMTP port the SMTP server already uses).
		if [ -n "$fresh" ] && grep -q "Address already in use" \
			"$DOVECOT_LOG" "$HARNESS_DIR/dovecot.out" 2>/dev/null; then
			# shellcheck disable=SC2086
			unset $fresh
			continue
		fi
		break
	done
	_harness_say "dovecot_start failed; its output and log:"
	sed 's/^/#   /' "$HARNESS_DIR/dovecot.out" "$DOVECOT_LOG" >&2
	return 1
}

# harness_stop_dovecot: stops it now; dovecot_start reuses the ports.
harness_stop_dovecot() {
	[ -n "${DOVECOT_PID:-}" ] || return 0
	harness_stop "$DOVECOT_PID"
	unset DOVECOT_PID
	_harness_wait_port_free "$IMAP_PORT" "$IMAPS_PORT" "$LMTP_PORT"
}

_harness_doveadm() {
	doveadm -c "$DOVECOT_CONF" "$@"
}

# deliver_unseen USER FILE [MAILBOX]: stores FILE without \Seen.
deliver_unseen() {
	_harness_doveadm save -u "$1" -m "${3:-INBOX}" <"$2"
}

# deliver_maildir USER FILE...: drops each FILE into USER's INBOX as a new
# Maildir file (unseen), as a local delivery agent would; many at once,
# without a doveadm run each. Dovecot gives them UIDs when it next looks.
deliver_maildir() {
	local u=$1 md f n=0 owner name pre
	shift
	pre=$EPOCHSECONDS.P$$R$RANDOM$RANDOM
	md=$HARNESS_DIR/dc/mail/$u/Maildir
	owner=$(stat -c %u:%g "$HARNESS_DIR/dc/mail/$u")
	[ -d "$md/new" ] || {
		mkdir -p "$md/new" "$md/cur" "$md/tmp" &&
			chown -R "$owner" "$md"
	} || return 1
	for f in "$@"; do
		n=$((n + 1))
		name=$pre.M$n.harness
		cp "$f" "$md/tmp/$name" && chown "$owner" "$md/tmp/$name" &&
			mv "$md/tmp/$name" "$md/new/$name" || return 1
	done
}

# mailbox_count USER [MAILBOX]: prints the number of messages.
mailbox_count() {
	local out
	out=$(_harness_doveadm -f flow mailbox status -u "$1" messages \
		"${2:-INBOX}") || return 1
	echo "${out##*messages=}"
}

# mailbox_read USER [MAILBOX]: prints every message with its uid and flags
# (doveadm's "pager" format, one message per form feed).
mailbox_read() {
	_harness_doveadm fetch -u "$1" 'uid flags text' mailbox "${2:-INBOX}" all
}

# mailbox_uids USER [MAILBOX]: prints the UIDs, one a line.
mailbox_uids() {
	_harness_doveadm -f flow fetch -u "$1" uid mailbox "${2:-INBOX}" all |
		sed 's/^uid=//'
}

# mailbox_flags USER UID [MAILBOX]: prints the flags of one message but
# \Recent (which depends on who looked first), e.g. "\Seen \Flagged", or
# nothing; fails if there is no such UID.
mailbox_flags() {
	local out flag all flags=()
	out=$(_harness_doveadm -f flow fetch -u "$1" 'uid flags' \
		mailbox "${3:-INBOX}" uid "$2") || return 1
	[ -n "$out" ] || return 1
	read -ra all <<<"${out#*flags=}"
	for flag in "${all[@]}"; do
		[ "$flag" = '\Recent' ] || flags+=("$flag")
	done
	echo "${flags[*]}"
}

# --- SMTP ----------------------------------------------------------------

# smtp_start [--no-lmtp] [--auth-optional] [--tls-optional]: the SMTP
# server of tests/lib/smtp_lmtp.py, STARTTLS (required unless
# --tls-optional) on SMTP_PORT and implicit TLS on SMTPS_PORT, AUTH
# PLAIN/LOGIN as $SMTP_USER/$SMTP_PASSWORD (required unless
# --auth-optional).  Each message goes on to Dovecot's LMTP at LMTP_PORT
# (start Dovecot first) unless --no-lmtp.  Spool and control files in
# SMTP_DIR=$HARNESS_DIR/smtp.  Exports SMTP_PORT SMTPS_PORT SMTP_PID SMTP_DIR.
smtp_start() {
	local opts=() lmtp=1 fresh
	: "${HARNESS_DIR:?call harness_tmpdir first}"
	while [ $# -gt 0 ]; do
		case $1 in
		--no-lmtp) lmtp=0 ;;
		--auth-optional | --tls-optional) opts+=("$1") ;;
		*) _harness_say "smtp_start: unknown option $1"; return 1 ;;
		esac
		shift
	done
	if [ -n "${SMTP_PID:-}" ]; then
		_harness_say "smtp_start: already running ($SMTP_PID)"
		return 1
	fi
	harness_certs || return 1
	if [ "$lmtp" = 1 ]; then
		LMTP_PORT=${LMTP_PORT:-$(free_port)} || return 1
		export LMTP_PORT
		opts+=(--lmtp "127.0.0.1:$LMTP_PORT")
	fi
	SMTP_DIR=$HARNESS_DIR/smtp
	export SMTP_DIR
	mkdir -p "$SMTP_DIR/spool"
	fresh=$(_harness_unset_vars SMTP_PORT SMTPS_PORT)
	for _ in 1 2 3; do
		SMTP_PORT=${SMTP_PORT:-$(free_port)} || return 1
		SMTPS_PORT=${SMTPS_PORT:-$(free_port)} || return 1
		export SMTP_PORT SMTPS_PORT
		harness_bg smtp "$HARNESS_PYTHON" "$_harness_lib/smtp_lmtp.py" \
			--listen "127.0.0.1:$SMTP_PORT" \
			--smtps "127.0.0.1:$SMTPS_PORT" \
			--dir "$SMTP_DIR" --log "$SMTP_DIR/log" \
			--cert "$HARNESS_DIR/dc/localhost.pem" \
			--key "$HARNESS_DIR/dc/localhost.key" \
			--domain "$HARNESS_DOMAIN" --users "$HARNESS_USERS" \
			--auth "$SMTP_USER:$SMTP_PASSWORD" "${opts[@]}"
		SMTP_PID=$HARNESS_BG_PID
		export SMTP_PID
		if _harness_wait_ports "$SMTP_PID" 10 "$SMTP_PORT" "$SMTPS_PORT"; then
			return 0
		fi
		harness_stop "$SMTP_PID"
		unset SMTP_PID
		if [ -n "$fresh" ] && grep -q "address already in use" \
			"$HARNESS_DIR/smtp.out" 2>/dev/null; then
			# shellcheck disable=SC2086
			unset $fresh
			continue
		fi
		break
	done
	_harness_say "smtp_start failed; its output and log:"
	sed 's/^/#   /' "$HARNESS_DIR/smtp.out" "$SMTP_DIR/log" >&2 2>/dev/null
	return 1
}

# harness_stop_smtp: stops it now; smtp_start reuses the ports.
harness_stop_smtp() {
	[ -n "${SMTP_PID:-}" ] || return 0
	harness_stop "$SMTP_PID"
	unset SMTP_PID
	_harness_wait_port_free "$SMTP_PORT" "$SMTPS_PORT"
}

# smtp_spool_count: prints how many messages the SMTP server accepted.
smtp_spool_count() {
	local f n=0
	for f in "$SMTP_DIR"/spool/*.eml; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# smtp_spool_last: prints the path of the last accepted message (.eml; its
# envelope is the .env beside it).
smtp_spool_last() {
	local f last=
	for f in "$SMTP_DIR"/spool/*.eml; do
		[ -e "$f" ] && last=$f
	done
	[ -n "$last" ] && echo "$last"
}

# smtp_fail KIND [COUNT]: failure injection, KIND one of fail-4xx fail-5xx
# fail-4xx.USER fail-5xx.USER fail-data-4xx fail-data-5xx; COUNT times
# (default: until smtp_fail_clear).
smtp_fail() {
	if [ -n "${2:-}" ]; then
		echo "$2" >"$SMTP_DIR/$1"
	else
		: >"$SMTP_DIR/$1"
	fi
}

smtp_fail_clear() {
	rm -f "$SMTP_DIR"/fail-* "$SMTP_DIR/delay-data"
}
