#!/bin/bash
# Installs the Debian 12 packages cabut needs to build, test and run its
# demo, when they are missing. Used by contrib/check.sh and contrib/demo.sh.
set -euo pipefail

packages=(build-essential autoconf automake libtool pkg-config dpkg-dev
	libetpan-dev libcurl4-gnutls-dev libsqlite3-dev sqlite3 libssl-dev
	libmagic-dev libcmocka-dev dovecot-imapd dovecot-lmtpd python3-aiosmtpd
	openssl curl mandoc bsdextrautils procps iproute2 golang-cfssl
	valgrind clang libclang-rt-14-dev systemd)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
