#!/bin/bash
# The libFuzzer targets (tests/fuzz/): they build with clang, each runs
# ${CABUT_FUZZ_SECONDS:-10} seconds from its seed corpus without a crash,
# leak or timeout, and every kept regression input (tests/fuzz/regressions/
# NAME/*) runs through its target without one. Skipped when clang or its
# libFuzzer runtime (Debian: libclang-rt-14-dev) is missing.
# CABUT_FUZZ_OUTDIR=DIR builds into (and reuses) DIR instead of a
# temporary directory; CABUT_FUZZ_JOBS=N runs N targets at once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"

fuzz=$top_srcdir/tests/fuzz
CC=${FUZZ_CC:-clang}
export CC
command -v "$CC" >/dev/null 2>&1 || skip_all "$CC is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cabut-90-fuzz.XXXXXX") || bail "mktemp"
trap 'rm -rf "$tmp"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1 ||
	skip_all "$CC cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"

out=${CABUT_FUZZ_OUTDIR:-$tmp/out}
secs=${CABUT_FUZZ_SECONDS:-10}

names=()
for f in "$fuzz"/fuzz_*.c; do
	n=${f##*/fuzz_}
	names+=("${n%.c}")
done

if ! "$fuzz/build.sh" "$out" >&2; then
	fail "the fuzz targets build (tests/fuzz/build.sh)"
	done_testing
fi
pass "the ${#names[@]} fuzz targets build with -Werror"

res=$(FUZZ_JOBS=${CABUT_FUZZ_JOBS:-1} "$fuzz/run.sh" "$out" "$secs" "${names[@]}" 2>&1)
diag "$res"
for n in "${names[@]}"; do
	if grep -q "^ok   fuzz_$n " <<<"$res"; then
		pass "fuzz_$n runs ${secs}s without a crash"
	else
		fail "fuzz_$n runs ${secs}s without a crash"
		diag "$(tail -n 60 "$out/logs/$n.log" 2>/dev/null)"
	fi
done

for dir in "$fuzz"/regressions/*/; do
	[ -d "$dir" ] || continue
	n=$(basename "$dir")
	for f in "$dir"*; do
		[ -f "$f" ] || continue
		if [ ! -x "$out/fuzz_$n" ]; then
			fail "regression $n/${f##*/}: no target fuzz_$n"
			continue
		fi
		ok "regression $n/${f##*/} does not crash fuzz_$n" \
			"$out/fuzz_$n" -timeout=10 -rss_limit_mb=2048 "$f"
	done
done

done_testing
