#!/bin/bash
# Runs every test of cabut on a fresh Debian 12 machine: installs the
# Debian packages that are missing, builds with the sanitizers and -Werror,
# runs `make check` (unit tests, integration tests against a throw-away
# Dovecot and SMTP server), then `make distcheck`.
#
#   contrib/check.sh            everything
#   CHECK_DISTCHECK=0 contrib/check.sh   skip make distcheck
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-check}
jobs=${JOBS:-$(nproc)}

bash "$top/contrib/install-deps.sh"

cd "$top"
autoreconf -fi
rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-werror --enable-test-hooks --enable-sanitizers \
	CFLAGS="${CFLAGS:--O1 -g}"
make -j"$jobs"
# ASan: leaks are errors; UBSan: stop at the first finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if ! make -j"$jobs" check; then
	cat test-suite.log >&2 || true
	exit 1
fi

if [ "${CHECK_DISTCHECK:-1}" = 1 ]; then
	make -j"$jobs" distcheck
fi
echo "check.sh: all tests passed"
