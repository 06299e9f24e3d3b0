#!/bin/bash
# The main job of cabut, shown on a throw-away setup: installs what is
# missing, builds, starts a Dovecot and an SMTP server on free loopback
# ports, initialises a state directory, delivers a sample request and runs
# the daemon, printing each step. Nothing is left running.
#
# This version carries the request as far as cabut goes today (see the
# README's "State of the work"); each later part adds its steps here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-demo}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=${EPOCHREALTIME/./}
elapsed() {
	local us=$(( ${EPOCHREALTIME/./} - t0 ))
	printf '%d.%02d s' $((us / 1000000)) $((us % 1000000 / 10000))
}

step "installing missing Debian packages"
bash "$top/contrib/install-deps.sh"

step "building cabut in $build"
if [ ! -x "$build/cabutd" ]; then
	(cd "$top" && autoreconf -fi >/dev/null 2>&1)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q && make -s -j"$(nproc)") >/dev/null
fi
"$build/cabutd" -V

top_srcdir=$top
top_builddir=$build
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/harness.sh"
. "$top/tests/lib/cabut-env.sh"
harness_tmpdir

step "starting a throw-away Dovecot (IMAP+STARTTLS, IMAPS, LMTP) and SMTP server"
dovecot_start
smtp_start
echo "IMAP 127.0.0.1:$IMAP_PORT  IMAPS 127.0.0.1:$IMAPS_PORT  SMTP 127.0.0.1:$SMTP_PORT  (in $HARNESS_DIR)"

step "configuration"
conf=$HARNESS_DIR/cabut.conf
cabut_secrets
cabut_mail_config "$conf"
sed 's/^/    /' "$conf"
"$CABUTD" --check-config -c "$conf"

step "cabutctl init: state directory, keys, database, first audit entry"
"$CABUTCTL" -c "$conf" init
ls -l "$HARNESS_DIR/state" | sed 's/^/    /'

step "the holder's certificate (made here with openssl) goes into the registry"
cabut_test_ca
serial=$(cabut_holder_cert "Budi Santoso" pemohon@example.test)
"$CABUTCTL" -c "$conf" registry import "$HARNESS_DIR/hca/Budi Santoso.pem" --username budi
"$CABUTCTL" -c "$conf" registry show "$serial" | sed 's/^/    /'

step "SOP 1-4: the applicant mails a request with the signed letter attached"
cabut_pdf "$HARNESS_DIR/surat.pdf"
cabut_request "$HARNESS_DIR/request.eml" "Budi Santoso <pemohon@example.test>" \
"Nama: Budi Santoso
Nomor Seri: $serial
Alasan: kehilangan sertifikat
Tanggal hilang: 20 November 2026" "$HARNESS_DIR/surat.pdf" \
	"Authentication-Results: mx.example.test; dmarc=pass header.from=example.test"
sed -n '1,/^$/p' "$HARNESS_DIR/request.eml" | sed 's/^/    /'
grep -A4 '^Nama:' "$HARNESS_DIR/request.eml" | sed 's/^/    /'
deliver_unseen cabut "$HARNESS_DIR/request.eml"
echo "delivered into cabut's mailbox (unseen)"

step "SOP 2-5: cabutd --once takes it in, checks it, authenticates it (DMARC), answers"
"$CABUTD" --once -c "$conf"
"$CABUTCTL" -c "$conf" show 1

step "SOP 9 for the receipt: the applicant's mailbox"
wait_for 10 eval '[ "$(mailbox_count pemohon)" -ge 1 ]' || true
doveadm -c "$DOVECOT_CONF" fetch -u pemohon 'hdr.subject' mailbox INBOX all | sed 's/^/    /'
echo "(the OPs' approval by reply, the revocation and the CRL land with the next issues)"

step "the audit log, and its integrity"
"$CABUTCTL" -c "$conf" log
"$CABUTCTL" -c "$conf" log --verify

step "done in $(elapsed); servers stopped and $HARNESS_DIR removed"
