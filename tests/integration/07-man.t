#!/bin/bash
# The man pages are clean mdoc (mandoc -Tlint) and name every option the
# programs accept.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MANDOC=${MANDOC:-$(command -v mandoc)}
[ -n "$MANDOC" ] || skip_all "mandoc is not installed"

for page in cabutd.8 cabutctl.8 cabut.conf.5; do
	out=$("$MANDOC" -Tlint -W warning "$top_srcdir/man/$page" 2>&1); rc=$?
	is "$page is clean under mandoc -Tlint" "$rc:$out" "0:"
done

text=$("$MANDOC" -Tascii "$top_srcdir/man/cabutd.8" | col -b)
for opt in -c -f --once --check-config -V SIGHUP --ca-process REVOCATION \
	crl_grace verify_crl_url before_revoke after_revoke crl-seen SUDAH; do
	like "cabutd(8) documents $opt" "$text" "$opt"
done
for tmpl in manual revoked not-understood; do
	like "cabutd(8) documents the $tmpl template" "$text" "$tmpl[[:space:]]+To (each OP|the applicant|an OP)"
done
text=$("$MANDOC" -Tascii "$top_srcdir/man/cabutctl.8" | col -b)
for cmd in init list show log --verify --head --json quarantine reprocess registry --username approve reject --reason request \
	retry "ca issue" "ca crl" --subject --email --days --key-out ca-issue; do
	like "cabutctl(8) documents $cmd" "$text" "$cmd"
done
for section in revocation mails evidence; do
	like "cabutctl(8) documents the $section of show" "$text" "$section"
done
text=$("$MANDOC" -Tascii "$top_srcdir/man/cabut.conf.5" | col -b)
for key in state_dir poll_interval retention password_file processed_folder \
	approvals_required token_key_file require_smime quarantine_max \
	confirm_requester trusted_authserv_id crl_days crl_grace verify_crl_url \
	crl_poll crl_url manual revoked; do
	like "cabut.conf(5) documents $key" "$text" "$key"
done

done_testing
