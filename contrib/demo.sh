#!/bin/bash
# The main job of cabut, shown on a throw-away setup: installs what is
# missing, builds, starts a Dovecot and an SMTP server on free loopback
# ports, initialises a state directory, delivers a sample request and runs
# carries it through the whole SOP to a revoked certificate and a new CRL
# on the local CA, printing each step, who acted and how long it took.
# Nothing is left running.
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
cabut_mail_config "$conf" "[ca]" "backend = local" "crl_days = 7" \
	"crl_url = http://crl.example.test/cabut.crl"
sed 's/^/    /' "$conf"
"$CABUTD" --check-config -c "$conf"

step "cabutctl init: state directory, keys, database, first audit entry"
"$CABUTCTL" -c "$conf" init
ls -l "$HARNESS_DIR/state" | sed 's/^/    /'

step "the local CA issues the holder's certificate; the registry records it"
ctl() { "$CABUTCTL" -c "$conf" "$@"; }
serial=$(ctl ca issue --subject "CN=Budi Santoso,O=Pemerintah Kota Pekalongan,C=ID" \
	--email pemohon@example.test --username budi)
echo "issued serial $serial"
ctl registry show "$serial" | sed 's/^/    /'
ctl ca crl | sed 's/^/    /'

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

step "SOP 5-6: each OP has an approval mail with their own token"
wait_for 10 eval '[ "$(mailbox_count op1)" -ge 1 ]'
approval=$(mail_of op1 1)
sed -n '/^Subject:/p; /^Reply-To:/p' <<<"$approval" | sed 's/^/    /'
token=$(cabut_token_of <<<"$approval")

step "SOP 6: op1 replies SETUJU (as a mail client would, the quote below)"
sleep 1
cabut_reply "$HARNESS_DIR/setuju.eml" op1@example.test "$token" "SETUJU, data sesuai.

Pada 26 Nov 2026, cabut <cabut@example.test> menulis:
> Permohonan pencabutan sertifikat nomor 1 menunggu"
sed -n '1,/^$/p' "$HARNESS_DIR/setuju.eml" | sed 's/^/    /'

step "SOP 7-9: cabutd --once takes the reply, the local CA's own process revokes, a new CRL, the notices"
"$CABUTD" --once -c "$conf"
ctl show 1

step "the new CRL, as openssl reads it"
cadir=$HARNESS_DIR/state/ca
openssl crl -in "$cadir/crl.pem" -noout -text | sed '/Signature Value/q' | sed 's/^/    /'
cabut_pem=$HARNESS_DIR/budi.pem
sqlite3 "$HARNESS_DIR/state/cabut.db" "SELECT writefile('$cabut_pem.der', der) FROM certificates WHERE serial = '$serial'" >/dev/null
openssl x509 -inform DER -in "$cabut_pem.der" -out "$cabut_pem"
cat "$cadir/ca.pem" "$cadir/crl.pem" >"$HARNESS_DIR/chain.pem"
echo "openssl verify -crl_check:"
openssl verify -crl_check -CAfile "$HARNESS_DIR/chain.pem" "$cabut_pem" 2>&1 | sed 's/^/    /' || true

step "SOP 8-9: the applicant's mailbox"
wait_for 10 eval 'mail_of pemohon "$(mailbox_count pemohon)" | grep -q "telah dicabut"' || true
doveadm -c "$DOVECOT_CONF" fetch -u pemohon 'hdr.subject' mailbox INBOX all | sed 's/^/    /'
mail_of pemohon "$(mailbox_count pemohon)" | sed -n '/^Yth/,/^Surel ini/p' |
	/usr/bin/python3 -c 'import quopri, sys; sys.stdout.buffer.write(quopri.decodestring(sys.stdin.buffer.read()))' |
	sed 's/^/    /'

step "each SOP step: who acted, how long it took, against the SOP's standard time"
sqlite3 -separator ' ' "$HARNESS_DIR/state/cabut.db" "SELECT step, coalesce(actor, '-'),
	coalesce(ended - started, 0) FROM request_steps WHERE request_id = 1 ORDER BY step" |
while read -r n actor secs; do
	std=(0 15 1 1 1 5 1 1 1 1)
	printf '    step %d  %-28s %4d s   (SOP: %d min)\n' "$n" "$actor" "$secs" "${std[$n]}"
done

step "cabutctl report: the SOP's records, each step against its standard time"
ctl report

step "the audit log, and its integrity"
"$CABUTCTL" -c "$conf" log
"$CABUTCTL" -c "$conf" log --verify

step "done in $(elapsed); servers stopped and $HARNESS_DIR removed"
