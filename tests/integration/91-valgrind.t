#!/bin/bash
# valgrind memcheck (issue 7): every unit test, and one full mail round
# trip (a request in over IMAP, the approval mails out over SMTP, the
# OP's SETUJU in, the revocation by the local CA's own process, the
# notices out), with no memory error and no leak definitely lost. Runs in
# a build without the sanitizers (make distcheck's); the ASan build skips.
HARNESS_USERS="cabut op1 op2 pemohon admin"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
[ "${SANITIZED:-no}" = yes ] && skip_all "a sanitizer build: valgrind runs in the plain one"
command -v valgrind >/dev/null || skip_all "no valgrind"
. "$top_srcdir/tests/lib/harness.sh"
. "$top_srcdir/tests/lib/cabut-env.sh"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 tool"
harness_tmpdir

vg() {	# vg LOG CMD...: memcheck; exit 99 on an error or a definite leak
	valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full \
		--child-silent-after-fork=yes \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--log-file="$1.%p" "${@:2}"
}
vg_clean() {	# vg_clean LOG: no report in any of its files
	! grep -l . "$1".* 2>/dev/null | grep -q .
}

# 1. The unit tests.
for t in ${UNIT_TESTS:-}; do
	name=$(basename "$t")
	rc=0
	CMOCKA_MESSAGE_OUTPUT=stdout vg "$HARNESS_DIR/$name" "$top_builddir/$t" >/dev/null 2>&1 || rc=$?
	ok "$name under valgrind: exit $rc, no error, nothing definitely lost" \
		eval '[ "$rc" = 0 ] && vg_clean "$HARNESS_DIR/$name"'
	vg_clean "$HARNESS_DIR/$name" || sed 's/^/# /' "$HARNESS_DIR/$name".* | head -40
done

# 2. A full round trip, each daemon cycle under valgrind.
dovecot_start || bail "dovecot did not start"
smtp_start || bail "smtp server did not start"
conf=$HARNESS_DIR/cabut.conf
db=$HARNESS_DIR/state/cabut.db
cabut_secrets
cabut_mail_config "$conf"
cabut_init "$conf" || bail "init failed"
q() { sqlite3 "$db" "$1"; }
once() {	# once N: one cycle under valgrind, checked
	local rc=0
	vg "$HARNESS_DIR/once$1" "$CABUTD" --once -c "$conf" 2>>"$HARNESS_DIR/once.err" || rc=$?
	ok "cabutd --once ($1) under valgrind: exit $rc, no error, nothing definitely lost" \
		eval '[ "$rc" = 0 ] && vg_clean "$HARNESS_DIR/once$1"'
	vg_clean "$HARNESS_DIR/once$1" || sed 's/^/# /' "$HARNESS_DIR/once$1".* | head -40
}
s=$("$CABUTCTL" -c "$conf" ca issue --subject "CN=Budi,O=Pemkot,C=ID" --email pemohon@example.test)
cabut_pdf "$HARNESS_DIR/surat.pdf"
cabut_request "$HARNESS_DIR/r1.eml" pemohon@example.test "Nomor Seri: $s
Alasan: kehilangan sertifikat" "$HARNESS_DIR/surat.pdf" \
	'Authentication-Results: mx.example.test; dmarc=pass header.from=example.test'
deliver_unseen cabut "$HARNESS_DIR/r1.eml"
once 1
is "the request waits for approval" "$(q 'SELECT state FROM requests WHERE id = 1')" pending_approval
ok "op1 has the approval mail" wait_for 20 eval '[ "$(mailbox_count op1)" -ge 1 ]'
cabut_reply "$HARNESS_DIR/a1.eml" op1@example.test "$(mail_of op1 1 | cabut_token_of)" "SETUJU"
once 2
is "revoked by the local CA's process" "$(q 'SELECT state FROM requests WHERE id = 1')" revoked
ok "the applicant is told" wait_for 20 eval 'mail_of pemohon "$(mailbox_count pemohon)" | grep -q "telah dicabut"'

done_testing
