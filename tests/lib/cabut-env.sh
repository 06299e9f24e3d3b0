# Helpers for tests that run cabutd and cabutctl: a configuration that
# points at the harness's servers, and the programs from the build tree.
# Source after tap.sh and harness.sh, and call harness_tmpdir first.

CABUTD=${CABUTD:-$top_builddir/cabutd}
CABUTCTL=${CABUTCTL:-$top_builddir/cabutctl}

# The account cabutd drops to: the current user, or nobody when root.
cabut_user() {
	if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi
}

# 1 when the build honours CABUT_CRASH_AT and CABUT_NOW.
cabut_has_test_hooks() {
	grep -q '^#define CABUT_TEST_HOOKS 1' "$top_builddir/autoconf.h" 2>/dev/null
}

# cabut_config FILE [INI...]: writes a clean configuration to FILE (state
# in $HARNESS_DIR/state), then appends each INI argument as a line, so a
# test can add keys or whole sections. Readable by the daemon's user.
cabut_config() {
	local file=$1 line
	shift
	cat >"$file" <<CONF
# written by tests/lib/cabut-env.sh
[daemon]
state_dir = $HARNESS_DIR/state
user = $(cabut_user)
language = id
poll_interval = ${CABUT_POLL:-60s}
templates_dir = $top_srcdir/mailtemplates

[imap]
url = imap://127.0.0.1:${IMAP_PORT:-143}/INBOX

[smtp]
url = smtp://127.0.0.1:${SMTP_PORT:-25}
from = cabut BSrE <cabut@example.test>
reply_to = cabut@example.test

[op]
addresses = op1@example.test, op2@example.test
CONF
	for line in "$@"; do
		printf '%s\n' "$line" >>"$file"
	done
	chmod 0644 "$file"
}

# cabut_init CONF: cabutctl init, output to stderr.
cabut_init() {
	"$CABUTCTL" -c "$1" init >&2
}

# cabutd_bg CONF [ARGS...]: runs cabutd -f in the background (stopped at
# exit), its log in $HARNESS_DIR/cabutd.out; sets CABUTD_PID.
cabutd_bg() {
	local conf=$1
	shift
	harness_bg cabutd "$CABUTD" -f -c "$conf" "$@"
	CABUTD_PID=$HARNESS_BG_PID
}

# cabutd_log_has REGEX: the running daemon's log matches.
cabutd_log_has() {
	grep -Eq -- "$1" "$HARNESS_DIR/cabutd.out" 2>/dev/null
}

# exit_code CMD [ARGS...]: prints CMD's exit status (its output to stderr).
exit_code() {
	local rc=0
	"$@" >&2 || rc=$?
	echo "$rc"
}

# cabut_test_ca: a CA for holders' certificates in $HARNESS_DIR/hca.
cabut_test_ca() {
	local d=$HARNESS_DIR/hca
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
		-subj "/C=ID/O=Balai Sertifikasi Elektronik (test)/CN=BSrE Test CA" \
		2>/dev/null
}

# cabut_holder_cert NAME EMAIL [DAYS] [SERIAL]: a holder's certificate
# signed by the test CA, in $HARNESS_DIR/hca/NAME.pem; prints its serial
# (uppercase hex, no leading zeros).
cabut_holder_cert() {
	local d=$HARNESS_DIR/hca name=$1 email=$2 days=${3:-30} serial=${4:-}
	local sopt=(-CAcreateserial)
	[ -n "$serial" ] && sopt=(-set_serial "$serial")
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" \
		-subj "/C=ID/O=Pemerintah Kota Pekalongan/CN=$name" 2>/dev/null
	printf 'subjectAltName=email:%s\nkeyUsage=digitalSignature\n' "$email" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		"${sopt[@]}" -days "$days" -extfile "$d/$name.ext" \
		-out "$d/$name.pem" 2>/dev/null
	openssl x509 -in "$d/$name.pem" -noout -serial | cut -d= -f2 | sed 's/^0*//'
}

# cabut_pdf FILE: a small real PDF letter.
cabut_pdf() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
objs = ["<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"]
text = b"BT /F1 12 Tf 72 770 Td (Surat keterangan alasan pencabutan) Tj ET"
out = b"%PDF-1.4\n"
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i, o.encode())
offs.append(len(out))
out += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(text), text)
xref = len(out)
out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
open(sys.argv[1], "wb").write(out)
PY
}

# cabut_request FILE FROM BODY [PDF] [EXTRA-HEADER...]: a request mail with
# the body text and, when PDF is not "", that file attached (base64).
cabut_request() {
	local f=$1 from=$2 body=$3 pdf=${4:-} h
	shift 4 2>/dev/null || shift $#
	{
		printf 'From: %s\nTo: cabut@example.test\n' "$from"
		printf 'Subject: Permohonan pencabutan sertifikat\n'
		printf 'Message-ID: <%s.%s@example.test>\nDate: %s\nMIME-Version: 1.0\n' \
			"$(basename "$f" .eml)" "$RANDOM$RANDOM" "$(date -R)"
		for h in "$@"; do printf '%s\n' "$h"; done
		if [ -n "$pdf" ]; then
			printf 'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
			printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$body"
			printf -- '--b1\nContent-Type: application/pdf\n'
			printf 'Content-Disposition: attachment; filename="surat.pdf"\n'
			printf 'Content-Transfer-Encoding: base64\n\n'
			base64 "$pdf"
			printf -- '--b1--\n'
		else
			printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$body"
		fi
	} >"$f"
}

# cabut_secrets: the IMAP and SMTP password files of the harness's
# servers, $HARNESS_DIR/imap.pass and smtp.pass, readable by the daemon.
cabut_secrets() {
	local s
	printf 'secret-cabut\n' >"$HARNESS_DIR/imap.pass"
	printf '%s\n' "${SMTP_PASSWORD:-secret-smtp}" >"$HARNESS_DIR/smtp.pass"
	for s in imap smtp; do
		chmod 0600 "$HARNESS_DIR/$s.pass"
		[ "$(id -u)" = 0 ] && chown "$(cabut_user)" "$HARNESS_DIR/$s.pass"
	done
	return 0
}

# cabut_mail_config FILE [INI...]: cabut_config for the harness's Dovecot
# and SMTP server, by name (localhost) so certificates verify, with the
# passwords of cabut_secrets and mx.example.test as the trusted
# authserv-id; INI lines are added as with cabut_config.
cabut_mail_config() {
	local file=$1
	shift
	cabut_config "$file" \
		"[imap]" "username = cabut" "password_file = $HARNESS_DIR/imap.pass" \
		"ca_file = $DOVECOT_CA" \
		"[smtp]" "username = cabut" "password_file = $HARNESS_DIR/smtp.pass" \
		"ca_file = $DOVECOT_CA" \
		"[request]" "trusted_authserv_id = mx.example.test" "$@"
	sed -i "s|^url = imap://127.0.0.1:|url = imap://localhost:|; s|^url = smtp://127.0.0.1:|url = smtp://localhost:|" "$file"
}

# mail_of USER N: the N-th message of USER's INBOX (1 = oldest).
mail_of() {
	local uid
	uid=$(mailbox_uids "$1" | sed -n "${2}p")
	doveadm -c "$DOVECOT_CONF" fetch -u "$1" text mailbox INBOX uid "$uid" | sed 1d
}

# cabut_token_of: the token in the Reply-To of the mail on stdin.
cabut_token_of() {
	grep -o 'Reply-To: cabut+[a-z2-7]*@example.test' | sed 's/.*+//; s/@.*//'
}

# cabut_reply FILE FROM TOKEN BODY: FROM's reply to the mail that carried
# TOKEN (plus address and In-Reply-To), with DMARC pass from the trusted
# server, delivered unseen to cabut's INBOX.
cabut_reply() {
	printf 'From: %s\nTo: cabut+%s@example.test\nSubject: Re: [cabut]\nMessage-ID: <%s@x>\nIn-Reply-To: <cabut.%s@example.test>\n%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$2" "$3" "$(basename "$1" .eml)$RANDOM" "$3" \
		'Authentication-Results: mx.example.test; dmarc=pass header.from=example.test' \
		"$4" >"$1"
	deliver_unseen cabut "$1"
}
