#!/bin/bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) into OUTDIR, with
# clang, -fsanitize=fuzzer,address,undefined, straight from the sources
# (src/*.c but the two programs' main files), not through automake: the
# project's objects are instrumented with -fsanitize=fuzzer-no-link and
# each target links them with its own file.
#
#   tests/fuzz/build.sh OUTDIR        (CC=clang-14 etc. to choose the compiler)
#
# autoconf.h: a minimal one is written into OUTDIR/obj instead of running
# configure. The sources need from it only what AC_USE_SYSTEM_EXTENSIONS
# defines (_GNU_SOURCE and friends) and the version; CABUT_TEST_HOOKS
# stays undefined (no crash points in fuzzing). The version is taken from
# configure.ac's AC_INIT. This keeps the build independent of any
# configured build tree and of cmocka, which configure requires.
#
# Needs clang, libclang-rt-14-dev (the libFuzzer runtime) and the
# project's -dev packages (libetpan, libcurl, sqlite3, OpenSSL, libmagic).
# Flags are kept in strings and split on purpose; the -D values carry
# their quotes into the compiler's arguments.
# shellcheck disable=SC2086,SC2089,SC2090
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
obj=$out/obj
mkdir -p "$obj"
CC=${CC:-clang}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

command -v "$CC" >/dev/null || { echo "$0: $CC not found" >&2; exit 69; }

# libetpan's .pc carries Debian's -specs=...no-pie-link.specs: clang
# rejects it (see configure.ac).
nospecs() { sed 's/-specs=[^ ]*//g'; }
PKGS="libetpan libcurl sqlite3 libcrypto libssl"
for p in $PKGS; do
	pkg-config --exists "$p" || { echo "$0: pkg-config: $p missing" >&2; exit 69; }
done
PKG_CFLAGS=$(pkg-config --cflags $PKGS | nospecs)
PKG_LIBS="$(pkg-config --libs $PKGS | nospecs) -lmagic"

version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
cat >"$obj/autoconf.h.new" <<EOH
/* Written by tests/fuzz/build.sh for the fuzzing build only. */
#define _GNU_SOURCE 1
#define _ALL_SOURCE 1
#define _DARWIN_C_SOURCE 1
#define __EXTENSIONS__ 1
#define _NETBSD_SOURCE 1
#define _OPENBSD_SOURCE 1
#define _POSIX_PTHREAD_SEMANTICS 1
#define _TANDEM_SOURCE 1
#define PACKAGE "cabut"
#define PACKAGE_NAME "cabut"
#define PACKAGE_TARNAME "cabut"
#define PACKAGE_VERSION "${version:-0}"
#define PACKAGE_STRING "cabut ${version:-0}"
#define VERSION "${version:-0}"
EOH
# Unchanged: keep its time, so make-like reuse below still works.
if cmp -s "$obj/autoconf.h.new" "$obj/autoconf.h"; then
	rm -f "$obj/autoconf.h.new"
else
	mv "$obj/autoconf.h.new" "$obj/autoconf.h"
fi

# The project's warnings (configure.ac's WARN_CFLAGS), as errors.
WARN="-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wcast-qual -Wwrite-strings -Wno-unused-parameter -Werror"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS_ALL="-g -O1 $SAN $WARN -I$obj -I$top/src \
-DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" -DPKGDATADIR=\"/usr/share/cabut\" \
$PKG_CFLAGS ${EXTRA_CFLAGS:-}"
export CC CFLAGS_ALL obj
# Other compiler or flags: nothing built before is reused.
if [ "$(cat "$obj/flags" 2>/dev/null)" != "$CC $CFLAGS_ALL $PKG_LIBS" ]; then
	rm -f "$obj"/*.o "$out"/fuzz_*
	printf '%s\n' "$CC $CFLAGS_ALL $PKG_LIBS" >"$obj/flags"
fi

# Objects: rebuilt when the source, any header or autoconf.h is newer.
srcs=()
for f in "$top"/src/*.c; do
	case ${f##*/} in cabutd.c|cabutctl.c) continue ;; esac
	srcs+=("$f")
done
newest_h=$(ls -t "$top"/src/*.h "$obj/autoconf.h" "$0" | head -n 1)
compile() {
	local src=$1 o
	o=$obj/$(basename "${1%.c}").o
	if [ -e "$o" ] && [ "$o" -nt "$src" ] && [ "$o" -nt "$NEWEST_H" ]; then
		return 0
	fi
	$CC $CFLAGS_ALL -fsanitize=fuzzer-no-link -c "$src" -o "$o.tmp" && mv "$o.tmp" "$o"
}
export -f compile
export NEWEST_H=$newest_h
printf '%s\n' "${srcs[@]}" | xargs -P "$JOBS" -I{} bash -c 'compile "$1"' _ {}

objs=()
for f in "${srcs[@]}"; do
	objs+=("$obj/$(basename "${f%.c}").o")
done

# The targets, linked in parallel too.
link() {
	local src=$1 name o
	name=$(basename "${src%.c}")
	# Up to date: newer than its source, fuzz.h and every object.
	if [ -e "$OUT/$name" ] && [ "$OUT/$name" -nt "$src" ] &&
	    [ "$OUT/$name" -nt "$FUZZ_DIR/fuzz.h" ]; then
		for o in $OBJS; do
			[ "$OUT/$name" -nt "$o" ] || break
		done
		[ "$OUT/$name" -nt "$o" ] && return 0
	fi
	$CC $CFLAGS_ALL -fsanitize=fuzzer -I"$FUZZ_DIR" "$src" $OBJS $PKG_LIBS \
		-o "$OUT/$name.tmp" && mv "$OUT/$name.tmp" "$OUT/$name"
}
export -f link
export FUZZ_DIR="$top/tests/fuzz" OUT=$out OBJS="${objs[*]}" PKG_LIBS
printf '%s\n' "$top"/tests/fuzz/fuzz_*.c | xargs -P "$JOBS" -I{} bash -c 'link "$1"' _ {}

n=$(printf '%s\n' "$top"/tests/fuzz/fuzz_*.c | wc -l)
echo "built $n fuzz targets in $out"
