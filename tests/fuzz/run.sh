#!/bin/bash
# Runs the fuzz targets built by build.sh, each for SECONDS, starting from
# its seed corpus (tests/fuzz/corpus/NAME, copied to a temporary working
# corpus: nothing is written into the tree).
#
#   tests/fuzz/run.sh OUTDIR SECONDS [NAME...]     (NAME: message, crl, ...;
#                                                  default every target)
#
# Prints one line per target: its runs and runs per second. Exits 1 when
# any target crashed, leaked, ran out of memory or timed out; the input
# that did it is kept in OUTDIR/artifacts/NAME/ and its path printed,
# with the target's log in OUTDIR/logs/NAME.log.
# FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_ARGS adds
# libFuzzer options (e.g. FUZZ_ARGS=-jobs=... is not supported: one
# process per target).
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 OUTDIR SECONDS [NAME...]" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$1" && pwd) || exit 66
secs=$2
shift 2
case $secs in ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 64 ;; esac

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		n=${f##*/fuzz_}
		names+=("${n%.c}")
	done
fi
for n in "${names[@]}"; do
	[ -x "$out/fuzz_$n" ] || { echo "$0: $out/fuzz_$n not built (tests/fuzz/build.sh)" >&2; exit 66; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cabut-fuzz.XXXXXX")
# Files the targets write (the template target's) go to memory when we can.
shm=
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/cabut-fuzz.XXXXXX 2>/dev/null)
trap 'rm -rf "$work" ${shm:+"$shm"}' EXIT
export CABUT_FUZZ_TMPDIR=${shm:-$work}
mkdir -p "$out/logs" "$out/artifacts"

max_len() {
	case $1 in
	token) echo 256 ;;
	authres|request) echo 16384 ;;
	*) echo 65536 ;;
	esac
}

# run_one NAME: runs one target, writes its result line to $work/NAME.result.
run_one() {
	local n=$1
	local corpus=$work/corpus-$n log=$out/logs/$n.log art=$out/artifacts/$n
	local rc runs rate file
	mkdir -p "$corpus" "$art"
	[ -d "$here/corpus/$n" ] && cp -R "$here/corpus/$n/." "$corpus/"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	timeout -k 10 $((secs + 120)) "$out/fuzz_$n" \
		-max_total_time="$secs" -max_len="$(max_len "$n")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^#[0-9]*.*exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	[ -n "$runs" ] && [ "$secs" -gt 0 ] && rate=$((runs / secs))
	if [ $rc -eq 0 ]; then
		printf 'ok   fuzz_%-9s %10s runs in %ss (%s/s)\n' "$n" "${runs:-?}" \
			"$secs" "${rate:-?}" >"$work/$n.result"
		return 0
	fi
	file=$(ls -t "$art"/crash-* "$art"/leak-* "$art"/timeout-* \
		"$art"/oom-* "$art"/slow-unit-* 2>/dev/null | head -n 1)
	{
		printf 'FAIL fuzz_%-9s exit %s after %s runs; input: %s; log: %s\n' \
			"$n" "$rc" "${runs:-?}" "${file:-none}" "$log"
		grep -m 1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|fuzz invariant failed|ERROR: libFuzzer' "$log" |
			sed 's/^/     /'
	} >"$work/$n.result"
	return 1
}

jobs=${FUZZ_JOBS:-1}
failed=0
pids=()
for n in "${names[@]}"; do
	run_one "$n" &
	pids+=($!)
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
done
for p in "${pids[@]}"; do
	wait "$p" || true
done
for n in "${names[@]}"; do
	cat "$work/$n.result" 2>/dev/null || { echo "FAIL fuzz_$n: no result"; failed=1; }
	grep -q '^FAIL' "$work/$n.result" 2>/dev/null && failed=1
done
exit $failed
