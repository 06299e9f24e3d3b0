# TAP output for the integration scripts (bash).  Source it first:
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
# TAP goes to stdout; diagnostics and the output of tested commands go to
# stderr, which automake's tap-driver keeps in the test's .log file.

# Sets top_srcdir/top_builddir (absolute) when the script is run by hand.
_tap_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$_tap_lib/../.." && pwd)
fi
if [ -z "${top_builddir:-}" ]; then
	top_builddir=$top_srcdir
fi
export top_srcdir top_builddir

_tap_planned=
_tap_count=0
_tap_failed=0

plan() {
	_tap_planned=$1
	printf '1..%s\n' "$1"
}

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line" >&2
	done <<<"$*"
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

bail() {
	printf 'Bail out! %s\n' "$*"
	exit 255
}

# _tap_result PASSED DESC: prints one result line, returns 0 when it passed.
# A '#' in DESC is escaped: unescaped, it would start a TAP directive.
_tap_result() {
	local desc=${2//#/\\#}
	_tap_count=$((_tap_count + 1))
	if [ "$1" = 1 ]; then
		printf 'ok %d - %s\n' "$_tap_count" "$desc"
		return 0
	fi
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_count" "$desc"
	diag "Failed test '$2' (${BASH_SOURCE[2]##*/} line ${BASH_LINENO[1]})"
	return 1
}

pass() { _tap_result 1 "$1"; }
fail() { _tap_result 0 "$1"; }

# ok DESC CMD [ARGS...]: passes when CMD exits 0.  CMD runs in this shell
# (so functions may export variables); its stdout goes to stderr.
ok() {
	local desc=$1 rc=0
	shift
	"$@" >&2 || rc=$?
	if [ "$rc" -ne 0 ]; then
		_tap_result 0 "$desc" || true
		diag "command exited $rc: $*"
		return 1
	fi
	_tap_result 1 "$desc"
}

# fails DESC CMD [ARGS...]: passes when CMD exits non-zero.
fails() {
	local desc=$1 rc=0
	shift
	"$@" >&2 || rc=$?
	if [ "$rc" -eq 0 ]; then
		_tap_result 0 "$desc" || true
		diag "command succeeded but should have failed: $*"
		return 1
	fi
	_tap_result 1 "$desc"
}

# is DESC GOT EXPECTED: string equality.
is() {
	if [ "$2" = "$3" ]; then
		_tap_result 1 "$1"
		return
	fi
	_tap_result 0 "$1" || true
	diag "     got: '$2'"
	diag "expected: '$3'"
	return 1
}

# isnt DESC GOT UNEXPECTED
isnt() {
	if [ "$2" != "$3" ]; then
		_tap_result 1 "$1"
		return
	fi
	_tap_result 0 "$1" || true
	diag "     got: '$2'"
	diag "expected anything else"
	return 1
}

# like DESC GOT REGEX: bash extended regular expression (=~), unanchored.
like() {
	if [[ $2 =~ $3 ]]; then
		_tap_result 1 "$1"
		return
	fi
	_tap_result 0 "$1" || true
	diag "     got: '$2'"
	diag "    like: '$3'"
	return 1
}

# unlike DESC GOT REGEX
unlike() {
	if ! [[ $2 =~ $3 ]]; then
		_tap_result 1 "$1"
		return
	fi
	_tap_result 0 "$1" || true
	diag "     got: '$2'"
	diag "  unlike: '$3'"
	return 1
}

# skip COUNT REASON: marks the next COUNT tests as skipped.
skip() {
	local i
	for ((i = 0; i < $1; i++)); do
		_tap_count=$((_tap_count + 1))
		printf 'ok %d # SKIP %s\n' "$_tap_count" "$2"
	done
}

# done_testing: last line of every script.  Exits 1 when a test failed or
# the count does not match the plan (prints the plan if none was given).
done_testing() {
	if [ -z "$_tap_planned" ]; then
		printf '1..%d\n' "$_tap_count"
	elif [ "$_tap_planned" -ne "$_tap_count" ]; then
		diag "planned $_tap_planned tests but ran $_tap_count"
		exit 1
	fi
	if [ "$_tap_failed" -ne 0 ]; then
		diag "failed $_tap_failed of $_tap_count tests"
		exit 1
	fi
	exit 0
}
