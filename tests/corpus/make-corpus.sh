#!/bin/sh
# Makes the mail corpus that tests/unit/test_message.c reads: requests
# written by real mail programs (mutt, s-nail, swaks, mpack, Python's email
# package) with a real letter (groff -Tpdf) and a real scan (ImageMagick),
# automatic mail as servers write it, and broken mail written byte by byte.
# README.md says what each file is and what the parser must make of it.
#
# Usage: tests/corpus/make-corpus.sh [OUTDIR]   (default: this directory)
# The outputs are committed; run it again only to renew them (dates,
# Message-IDs, boundaries and the PDF's CreationDate change on every run;
# the tests check nothing that changes).
#
# Needs these Debian 12 packages:
#   apt-get install -y --no-install-recommends groff ghostscript imagemagick \
#       mutt s-nail swaks mpack python3
# Python must be Debian's /usr/bin/python3 (its email package).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
py=/usr/bin/python3

need() {
	command -v "$1" >/dev/null 2>&1 || {
		echo "make-corpus.sh: $1 not found: apt-get install $2" >&2
		exit 1
	}
}
need groff groff
need gs ghostscript
need convert imagemagick
need mutt mutt
need s-nail s-nail
need swaks swaks
need mpack mpack
[ -x "$py" ] || { echo "make-corpus.sh: $py not found: apt-get install python3" >&2; exit 1; }

mkdir -p "$out"
tmp=$(mktemp -d /tmp/cabut-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
# mutt and s-nail must not read the caller's configuration.
HOME=$tmp
export HOME
LC_ALL=C.UTF-8
export LC_ALL

# The MTA that mutt and s-nail hand the message to: keep it in a file.
cat >"$tmp/capture" <<'EOF'
#!/bin/sh
cat >"$CAPTURE_OUT"
EOF
chmod 755 "$tmp/capture"

# ---- the letter (SOP step 1), the scan, the signature logo ----

cat >"$tmp/letter.ms" <<'EOF'
.nr PS 11
.nr VS 14
.ds CH
.LP
.ce 2
\fBSURAT KETERANGAN ALASAN PENCABUTAN\fP
\fBSERTIFIKAT ELEKTRONIK\fP
.sp 2
.LP
Yang bertanda tangan di bawah ini:
.nf
.in +4
Nama      : Ir. Hendra Gunawan, M.T.
NIP       : 197001011995031001
Jabatan   : Kepala Dinas Komunikasi dan Informatika
.in
.fi
.LP
menerangkan bahwa pegawai berikut:
.nf
.in +4
Nama        : Budi Santoso
NIK         : 3201012345670001
Username    : budi.santoso
Nomor Seri  : 4F:2A:91:0C:77:E3:15:B8
.in
.fi
.LP
mengajukan pencabutan sertifikat elektroniknya dengan alasan
\fIlupa passphrase\fP. Demikian surat keterangan ini dibuat untuk
dipergunakan sebagaimana mestinya.
.sp 2
.in 9c
Bandung, 24 November 2025
.br
Kepala Dinas,
.sp 4
Ir. Hendra Gunawan, M.T.
EOF
groff -Tpdf -ms "$tmp/letter.ms" >"$out/letter.pdf"

# A scanned page: text on grey paper, some noise, JPEG quality 60.
convert -size 827x1169 xc:'#f4f2ee' -fill '#222222' -pointsize 26 \
	-annotate +140+160 'SURAT KETERANGAN KEHILANGAN' \
	-pointsize 18 \
	-annotate +100+260 'Yang bertanda tangan di bawah ini menerangkan bahwa' \
	-annotate +100+300 'Nama        : Siti Rahmawati' \
	-annotate +100+330 'NIK         : 3273015502880003' \
	-annotate +100+360 'Nomor Seri  : 7C:11:E0:5A:92:3B:44:01' \
	-annotate +100+420 'telah kehilangan sertifikat elektronik pada 12 Maret 2025.' \
	-annotate +480+700 'Bandung, 14 Maret 2025' \
	-annotate +480+820 'dr. Rudi Hartono' \
	-attenuate 0.4 +noise Gaussian -colorspace Gray -quality 60 \
	"$out/scan.jpg"

convert -size 160x48 xc:'#0b4f8a' -fill white -pointsize 20 \
	-annotate +12+32 'DISKOMINFO' -strip "$out/logo.png"

cat >"$tmp/body-budi.txt" <<'EOF'
Yth. Petugas Verifikasi BSrE,

Dengan hormat, saya mengajukan permohonan pencabutan sertifikat
elektronik saya dengan data sebagai berikut:

Nama: Budi Santoso
NIK: 3201012345670001
Username AMS: budi.santoso
Nomor Seri: 4F:2A:91:0C:77:E3:15:B8
Alasan: lupa passphrase

Surat keterangan alasan pencabutan yang ditandatangani atasan saya
terlampir.

Terima kasih.

Hormat saya,
Budi Santoso
Dinas Komunikasi dan Informatika
EOF

cat >"$tmp/body-siti.txt" <<'EOF'
Selamat pagi,

Saya kehilangan laptop berisi sertifikat elektronik saya.

Nama: Siti Rahmawati
NIK: 3273015502880003
Nomor Seri: 7C:11:E0:5A:92:3B:44:01
Alasan: kehilangan sertifikat
Tanggal hilang: 12-03-2025

Scan surat keterangan terlampir.

Siti
EOF

cat >"$tmp/body-agus.txt" <<'EOF'
Kepada Yth. Admin BSrE

Name: Agus Wijaya
Serial Number: 5D 3E 8F 00 12 AB CD EF
Reason: data change

Nama saya berubah setelah pindah jabatan; surat terlampir.

Agus Wijaya
EOF

cat >"$tmp/body-dewi.txt" <<'EOF'
Nama: Dewi Lestari
Subject DN: CN=Dewi Lestari,OU=Bappeda,O=Pemerintah Kota Bandung,C=ID
Alasan: perubahan data
EOF

# ---- requests sent by real mail programs ----

# mutt: the PDF goes out quoted-printable; the subject is RFC 2047 encoded.
cat >"$tmp/muttrc" <<EOF
set sendmail="$tmp/capture"
set from="Budi Santoso <budi.santoso@Diskominfo.Example.go.id>"
set use_from=yes
set hostname="diskominfo.example.go.id"
set charset="utf-8"
set send_charset="us-ascii:utf-8"
set record=""
set copy=no
EOF
cp "$out/letter.pdf" "$tmp/surat-keterangan.pdf"
CAPTURE_OUT=$out/req-mutt.eml mutt -n -F "$tmp/muttrc" \
	-s 'Permohonan pencabutan – sertifikat elektronik' \
	-a "$tmp/surat-keterangan.pdf" -- cabut@bsre.example.go.id \
	<"$tmp/body-budi.txt"

# s-nail: the scan as base64 image/jpeg.
cp "$out/scan.jpg" "$tmp/scan-surat-kehilangan.jpg"
CAPTURE_OUT=$out/req-snail.eml s-nail -:/ -Sv15-compat -Sttycharset=utf-8 \
	-Smta="$tmp/capture" -Shostname=dinkes.example.go.id \
	-r 'Siti Rahmawati <siti.rahmawati@dinkes.example.go.id>' \
	-s 'Pencabutan sertifikat (kehilangan)' \
	-a "$tmp/scan-surat-kehilangan.jpg" cabut@bsre.example.go.id \
	<"$tmp/body-siti.txt"

# swaks: CRLF line ends, CTE "BASE64" in capitals.
swaks --dump-mail --server 127.0.0.1 \
	--from agus.wijaya@bpkad.example.go.id --to cabut@bsre.example.go.id \
	--h-From '"Agus Wijaya" <agus.wijaya@bpkad.example.go.id>' \
	--h-Subject 'Permohonan pencabutan sertifikat' \
	--body @"$tmp/body-agus.txt" \
	--attach-type application/pdf --attach-name surat-perubahan-data.pdf \
	--attach @"$out/letter.pdf" >"$out/req-swaks.eml" 2>/dev/null

# mpack: application/octet-stream, boundary "-", a header-less text part;
# mpack writes no From or To, so add them as a submission server would.
(cd "$tmp" && cp "$out/letter.pdf" surat.pdf &&
	mpack -s 'Permohonan pencabutan sertifikat elektronik' \
	-d body-dewi.txt -o mpack.out surat.pdf)
{
	printf 'From: Dewi Lestari <dewi.lestari@bappeda.example.go.id>\n'
	printf 'To: cabut@bsre.example.go.id\n'
	printf 'Date: Tue, 25 Nov 2025 10:02:11 +0700\n'
	cat "$tmp/mpack.out"
} >"$out/req-mpack.eml"

# The same mail delivered twice along different paths: other Received
# lines, and the second copy with CRLF line ends. Same body hash.
CAPTURE_OUT=$tmp/dup.eml s-nail -:/ -Sv15-compat -Sttycharset=utf-8 \
	-Smta="$tmp/capture" -Shostname=dinkes.example.go.id \
	-r 'Siti Rahmawati <siti.rahmawati@dinkes.example.go.id>' \
	-s 'Pencabutan sertifikat (kehilangan)' \
	-a "$tmp/scan-surat-kehilangan.jpg" cabut@bsre.example.go.id \
	<"$tmp/body-siti.txt"
{
	printf 'Return-Path: <siti.rahmawati@dinkes.example.go.id>\n'
	printf 'Received: from mx1.bsre.example.go.id (mx1.bsre.example.go.id [192.0.2.10])\n'
	printf '\tby imap.bsre.example.go.id with LMTP; Wed, 26 Nov 2025 08:00:01 +0700\n'
	cat "$tmp/dup.eml"
} >"$out/dup-a.eml"
{
	printf 'Return-Path: <siti.rahmawati@dinkes.example.go.id>\n'
	printf 'Received: from mx2.bsre.example.go.id (mx2.bsre.example.go.id [192.0.2.11])\n'
	printf '\tby imap.bsre.example.go.id with LMTP; Wed, 26 Nov 2025 08:05:42 +0700\n'
	printf 'Received: from relay.example.net (relay.example.net [198.51.100.7])\n'
	printf '\tby mx2.bsre.example.go.id with ESMTPS; Wed, 26 Nov 2025 08:05:40 +0700\n'
	cat "$tmp/dup.eml"
} | sed 's/$/\r/' >"$out/dup-b.eml"

# A mailing list: Precedence: bulk.
swaks --dump-mail --server 127.0.0.1 \
	--from bounces@news.example.com --to cabut@bsre.example.go.id \
	--h-From 'Buletin Keamanan Siber <newsletter@news.example.com>' \
	--h-Subject 'Buletin November: tips passphrase yang aman' \
	--add-header 'Precedence: bulk' \
	--add-header 'List-Id: Buletin Keamanan Siber <buletin.news.example.com>' \
	--add-header 'List-Unsubscribe: <mailto:unsubscribe@news.example.com>' \
	--body 'Edisi November: gunakan passphrase panjang dan pengelola sandi.' \
	>"$out/bulk-newsletter.eml" 2>/dev/null

# A large mail: 1.2 MB attachment (> 1 MB of base64). Its bytes are the
# sequence test_message.c computes: byte i = ((i * 1103515245 + 12345)
# mod 2^32) >> 24, so the file itself is not kept.
"$py" - "$tmp/pindaian-besar.pdf" <<'EOF'
import sys
n = 1200000
data = bytes(((i * 1103515245 + 12345) & 0xffffffff) >> 24 for i in range(n))
open(sys.argv[1], "wb").write(data)
EOF
printf 'Berkas pindaian resolusi tinggi terlampir.\nNama: Budi Santoso\nAlasan: lupa passphrase\n' \
	>"$tmp/body-large.txt"
(cd "$tmp" && mpack -s 'Pindaian surat (besar)' -d body-large.txt \
	-o large.out pindaian-besar.pdf)
{
	printf 'From: Budi Santoso <budi.santoso@diskominfo.example.go.id>\n'
	printf 'To: cabut@bsre.example.go.id\n'
	printf 'Date: Wed, 26 Nov 2025 11:20:00 +0700\n'
	cat "$tmp/large.out"
} >"$out/large-attachment.eml"

# ---- mail as other programs and servers write it, and broken mail ----

"$py" - "$out" <<'PYEOF'
import os
import sys
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

out = sys.argv[1]
pdf = open(os.path.join(out, "letter.pdf"), "rb").read()
jpg = open(os.path.join(out, "scan.jpg"), "rb").read()
png = open(os.path.join(out, "logo.png"), "rb").read()
DATE = "Wed, 26 Nov 2025 09:30:00 +0700"


def save(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def save_msg(name, msg):
    save(name, msg.as_bytes(policy=SMTP.clone(linesep="\n")))


# Python's email package: RFC 2231 file names in UTF-8, the long one
# split into filename*0*= / filename*1*= continuations.
m = EmailMessage()
m["From"] = "Rina Kartika <Rina.Kartika@BKD.Example.go.id>"
m["To"] = "cabut@bsre.example.go.id"
m["Subject"] = "Pencabutan sertifikat – Rina Kartika"
m["Date"] = DATE
m["Message-ID"] = "<req-rfc2231.1@bkd.example.go.id>"
m.set_content("Nama: Rina Kartika\n"
              "NIK: 3201014512900004\n"
              "Nomor Seri: 2B:00:FE:11:9A\n"
              "Alasan: perubahan data\n\n"
              "Surat dan pindaiannya terlampir.\n")
m.add_attachment(pdf, maintype="application", subtype="pdf",
                 filename="Surat Keterangan – Pencabutan.pdf")
m.add_attachment(jpg, maintype="image", subtype="jpeg",
                 filename="Surat Keterangan Alasan Pencabutan Sertifikat "
                 "Elektronik – Rina Kartika – Badan Kepegawaian Daerah.jpg")
save_msg("req-python-rfc2231.eml", m)

# HTML only (a webmail): entities, a table, script, style, comment, title.
html = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Judul Tidak Tampil</title>
<style>p { color: red; } /* Nama: Gaya */</style>
<script>var x = "<p>Nama: Palsu</p>";</script></head>
<body><div>Yth. Petugas&nbsp;BSrE,</div><!-- Nama: Komentar -->
<p>Dengan hormat,<br>saya mengajukan pencabutan sertifikat:</p>
<table>
<tr><td>Nama:</td><td>Made&nbsp;Wirawan</td></tr>
<tr><td>NIK:</td><td>5171012345670002</td></tr>
<tr><td>Nomor Seri:</td><td>0A:1B:2C:3D:4E</td></tr>
<tr><td>Alasan:</td><td>kehilangan   sertifikat</td></tr>
<tr><td>Tanggal hilang:</td><td>3 Maret 2025</td></tr>
</table>



<p>Terima kasih &amp; salam,<br>Made &#8211; Diskominfo &#x1F600; &lt;bukan tag&gt;</p>
</body></html>
"""
m = EmailMessage()
m["From"] = '"Made Wirawan" <made.wirawan@diskominfo.example.go.id>'
m["To"] = "cabut@bsre.example.go.id"
m["Subject"] = "Permohonan pencabutan"
m["Date"] = DATE
m["Message-ID"] = "<req-html-only.1@diskominfo.example.go.id>"
m.set_content(html, subtype="html")
m.add_attachment(pdf, maintype="application", subtype="pdf",
                 filename="surat-keterangan.pdf")
save_msg("req-html-only.eml", m)

# Plain and HTML alternatives; the HTML shows a logo by cid: (multipart/
# related); one more inline image is not referenced; the letter attached.
m = EmailMessage()
m["From"] = "=?utf-8?q?Yohanes_Pr=C3=A4tama?= <yohanes.pratama@dpmptsp.example.go.id>"
m["Sender"] = "Sekretariat DPMPTSP <sekretariat@DPMPTSP.example.go.id>"
m["Reply-To"] = "Yohanes (pribadi) <yohanes.p@mail.example.com>"
m["To"] = "cabut@bsre.example.go.id"
m["Cc"] = "atasan@dpmptsp.example.go.id, Arsip: arsip@dpmptsp.example.go.id;"
m["Subject"] = "Permohonan pencabutan sertifikat"
m["Date"] = DATE
m["Message-ID"] = "<req-alternative.1@dpmptsp.example.go.id>"
m.set_content("Nama: Yohanes Pratama\n"
              "Nomor Seri: 99:88:77:66\n"
              "Alasan: lupa passphrase\n\n"
              "-- \nYohanes Pratama\nDPMPTSP\n")
m.add_alternative(
    "<html><body><p>Nama: Yohanes Pratama<br>Nomor Seri: 99:88:77:66<br>"
    "Alasan: lupa passphrase</p><p>-- <br>Yohanes Pratama<br>"
    '<img src="cid:logo.dpmptsp@example.go.id" alt="logo"></p>'
    "</body></html>\n", subtype="html")
m.get_payload()[1].add_related(png, "image", "png",
                               cid="<logo.dpmptsp@example.go.id>",
                               disposition="inline", filename="logo.png")
m.get_payload()[1].add_related(png, "image", "png",
                               cid="<unused.dpmptsp@example.go.id>",
                               disposition="inline", filename="unused.png")
m.add_attachment(pdf, maintype="application", subtype="pdf",
                 filename="surat-keterangan.pdf")
save_msg("req-alternative-logo.eml", m)

# A forwarded mail attached as message/rfc822, with a PDF inside it: one
# attachment, nothing read from inside.
inner = EmailMessage()
inner["From"] = "Budi Santoso <budi.santoso@diskominfo.example.go.id>"
inner["To"] = "atasan@diskominfo.example.go.id"
inner["Subject"] = "Surat untuk ditandatangani"
inner["Date"] = DATE
inner.set_content("Nama: Orang Dalam\nAlasan: bukan ini\n")
inner.add_attachment(pdf, maintype="application", subtype="pdf",
                     filename="draf.pdf")
m = EmailMessage()
m["From"] = "Budi Santoso <budi.santoso@diskominfo.example.go.id>"
m["To"] = "cabut@bsre.example.go.id"
m["Subject"] = "Fwd: Surat untuk ditandatangani"
m["Date"] = DATE
m.set_content("Nama: Budi Santoso\nAlasan: lupa passphrase\n"
              "Surat terlampir dalam pesan yang diteruskan.\n")
m.add_attachment(inner)
save_msg("forward-rfc822.eml", m)

# Outlook's reply: the decision on top, the quoted mail below a
# From:/Sent:/To:/Subject: block, both alternatives quoted-printable.
outlook = """\
From: Rahmat Hidayat <rahmat.hidayat@bsre.example.go.id>
To: "cabut" <cabut+a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id>
CC: "Supervisor, BSrE" <supervisor@bsre.example.go.id>, undisclosed-recipients:;
Subject: RE: [cabut #17] Permohonan pencabutan: Budi Santoso
Thread-Topic: [cabut #17] Permohonan pencabutan: Budi Santoso
Thread-Index: AQHbXk2dJ0l8m3O7TE2uWcF0nJ6z9g==
Date: Wed, 26 Nov 2025 02:41:07 +0000
Message-ID:
 <SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9@SG2PR06MB5310.apcprd06.prod.outlook.com>
References: <cabut.17.a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id>
In-Reply-To: <cabut.17.a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id>
Accept-Language: id-ID, en-US
Content-Language: id-ID
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
	boundary="_000_SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9SG2PR06MB5310apcp_"
MIME-Version: 1.0

--_000_SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9SG2PR06MB5310apcp_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

SETUJU

Data pemohon sudah saya periksa dan sesuai.

Salam,
Rahmat Hidayat
Petugas Verifikasi BSrE

From: cabut <cabut@bsre.example.go.id>
Sent: Wednesday, November 26, 2025 9:12 AM
To: Rahmat Hidayat <rahmat.hidayat@bsre.example.go.id>
Subject: [cabut #17] Permohonan pencabutan: Budi Santoso

Permohonan pencabutan #17 menunggu keputusan Anda. Balas dengan SETUJU,
TOLAK (dengan alasan) atau PERBAIKI.

Nama: Budi Santoso
Nomor Seri: 4F:2A:91:0C:77:E3:15:B8

--_000_SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9SG2PR06MB5310apcp_
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office">
<head>
<meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dus-ascii">
<style><!--
p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style>
</head>
<body lang=3D"EN-ID" link=3D"#0563C1" vlink=3D"#954F72">
<div class=3D"WordSection1">
<p class=3D"MsoNormal">SETUJU<o:p></o:p></p>
<p class=3D"MsoNormal"><o:p>&nbsp;</o:p></p>
<p class=3D"MsoNormal">Data pemohon sudah saya periksa dan sesuai.<o:p></o=
:p></p>
<div style=3D"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm =
0cm 0cm">
<p class=3D"MsoNormal"><b>From:</b> cabut &lt;cabut@bsre.example.go.id&gt;=
<br>
<b>Sent:</b> Wednesday, November 26, 2025 9:12 AM<br>
<b>Subject:</b> [cabut #17] Permohonan pencabutan: Budi Santoso<o:p></o:p></p>
</div>
</div>
</body>
</html>

--_000_SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9SG2PR06MB5310apcp_--
"""
save("reply-outlook.eml", outlook)

# Postfix's bounce: multipart/report; report-type=delivery-status.
save("bounce-dsn.eml", """\
Return-Path: <>
Received: by mail.dinkes.example.go.id (Postfix)
	id 4R2xYz0AbCz9sWq; Wed, 26 Nov 2025 09:31:02 +0700 (WIB)
Date: Wed, 26 Nov 2025 09:31:02 +0700 (WIB)
From: MAILER-DAEMON@mail.dinkes.example.go.id (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: cabut@bsre.example.go.id
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4R2xYz0AbCz9sWq.1764124262/mail.dinkes.example.go.id"
Content-Transfer-Encoding: 8bit
Message-Id: <20251126023102.4R2xYz0AbCz9sWq@mail.dinkes.example.go.id>

This is a MIME-encapsulated message.

--4R2xYz0AbCz9sWq.1764124262/mail.dinkes.example.go.id
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.dinkes.example.go.id.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<siti.rahmawati@dinkes.example.go.id>: user unknown

--4R2xYz0AbCz9sWq.1764124262/mail.dinkes.example.go.id
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.dinkes.example.go.id
X-Postfix-Queue-ID: 4R2xYz0AbCz9sWq
Arrival-Date: Wed, 26 Nov 2025 09:31:01 +0700 (WIB)

Final-Recipient: rfc822; siti.rahmawati@dinkes.example.go.id
Action: failed
Status: 5.1.1
Diagnostic-Code: x-unix; user unknown

--4R2xYz0AbCz9sWq.1764124262/mail.dinkes.example.go.id
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

From: cabut <cabut@bsre.example.go.id>
To: siti.rahmawati@dinkes.example.go.id
Subject: [cabut #18] Konfirmasi permohonan
Message-ID: <cabut.18.confirm@bsre.example.go.id>
Auto-Submitted: auto-generated

Balas dengan KONFIRMASI untuk melanjutkan.

--4R2xYz0AbCz9sWq.1764124262/mail.dinkes.example.go.id--
""")

# An out-of-office answer (RFC 3834).
save("auto-reply-ooo.eml", """\
From: Agus Wijaya <agus.wijaya@bpkad.example.go.id>
To: cabut@bsre.example.go.id
Subject: =?utf-8?q?Balasan_otomatis=3A_=5Bcabut_=2319=5D_Permohonan_diterima?=
Date: Wed, 26 Nov 2025 09:32:00 +0700
Message-ID: <ooo.1@bpkad.example.go.id>
In-Reply-To: <cabut.19.ack@bsre.example.go.id>
References: <cabut.19.ack@bsre.example.go.id>
Auto-Submitted: auto-replied
X-Autoreply: yes
Precedence: auto_reply
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Saya sedang cuti sampai 1 Desember 2025 dan tidak dapat membalas surel.
Untuk hal mendesak hubungi sekretariat.
""")

# A read receipt (RFC 8098): multipart/report; disposition-notification.
save("mdn-read-receipt.eml", """\
From: Rahmat Hidayat <rahmat.hidayat@bsre.example.go.id>
To: cabut@bsre.example.go.id
Subject: Read: [cabut #17] Permohonan pencabutan: Budi Santoso
Date: Wed, 26 Nov 2025 02:40:00 +0000
Message-ID: <mdn.17@bsre.example.go.id>
MIME-Version: 1.0
Content-Type: multipart/report; report-type="Disposition-Notification";
	boundary="----=_NextPart_MDN"

------=_NextPart_MDN
Content-Type: text/plain; charset="utf-8"

Your message was read on Wednesday, November 26, 2025 9:40 AM.

------=_NextPart_MDN
Content-Type: message/disposition-notification

Reporting-UA: Microsoft Outlook 16.0
Final-Recipient: rfc822;rahmat.hidayat@bsre.example.go.id
Original-Message-ID: <cabut.17.a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id>
Disposition: manual-action/MDN-sent-manually; displayed

------=_NextPart_MDN--
""")

# File names in every form mailers use: RFC 2231 continuations (as
# Thunderbird writes them), RFC 2231 with charset and language, a plain
# continuation, RFC 2047 inside quotes (Outlook, Gmail), name= only.
save("filenames.eml", """\
From: Tester <tester@example.go.id>
To: cabut@bsre.example.go.id
Subject: file names
Date: Wed, 26 Nov 2025 09:33:00 +0700
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Nama: Tester

--b1
Content-Type: application/pdf;
 name*0*=UTF-8''Surat%20Keterangan%20%E2%80%93%20Pen;
 name*1*=cabutan.pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''Surat%20Keterangan%20%E2%80%93%20Pen;
 filename*1*=cabutan.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSBvbmUK

--b1
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*=iso-8859-1'id'Surat%20Pernyataan%20Jos%E9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSB0d28K

--b1
Content-Type: image/jpeg
Content-Disposition: attachment; filename*0*=utf-8''Lampiran%20;
 filename*1="Dua Halaman.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQ==

--b1
Content-Type: application/pdf; name="=?UTF-8?B?U3VyYXQg4oCTIEIucGRm?="
Content-Disposition: attachment; filename="=?UTF-8?B?U3VyYXQg4oCTIEIucGRm?="
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSB0aHJlZQo=

--b1
Content-Type: image/JPEG; name="=?iso-8859-1?Q?foto_KTP_=E9.jpg?="
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAg==

--b1--
""")

# Charsets: KOI8-R in the subject and the body.
koi = "Привет: заявка на отзыв сертификата"
save("charset-koi8r.eml", b"""\
From: Ivan <ivan@example.ru>
To: cabut@bsre.example.go.id
Subject: =?koi8-r?B?""" + __import__("base64").b64encode(koi.encode("koi8-r")) + b"""?=
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""" + koi.encode("koi8-r") + b"\nNama: Ivan\n")

# Declared ISO-8859-1, written by a Windows program in windows-1252.
save("charset-mislabeled.eml", b"""\
From: Jose <jose@example.go.id>
To: cabut@bsre.example.go.id
Subject: =?iso-8859-1?q?Jos=E9?=
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

Nama: Jos\xe9 \x93Pepe\x94 Santos\x85
""")

# An unknown charset on UTF-8 text: kept.
save("charset-unknown.eml", """\
From: Ketut <ketut@example.go.id>
To: cabut@bsre.example.go.id
Subject: unknown charset
MIME-Version: 1.0
Content-Type: text/plain; charset=x-cabut-unknown
Content-Transfer-Encoding: 8bit

Nama: Ni Ketut Ayu ✓
Alasan: lupa passphrase
""")

# An unknown charset on bytes that are not UTF-8: U+FFFD each.
save("charset-unknown-invalid.eml", b"""\
From: Ketut <ketut@example.go.id>
To: cabut@bsre.example.go.id
Subject: unknown charset, not UTF-8
MIME-Version: 1.0
Content-Type: text/plain; charset=x-cabut-unknown
Content-Transfer-Encoding: 8bit

Nama: Jos\xe9 \xff\xfe
""")

# ---- broken mail ----

b64 = __import__("base64").encodebytes(pdf).decode()

# Cut off in the middle of a line of the attachment's base64.
half = b64[: len(b64) // 2]
half = half[: half.rfind("\n") + 14]
save("broken-truncated-multipart.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: truncated
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cut"

--cut
Content-Type: text/plain

Nama: Budi Santoso
Alasan: lupa passphrase

--cut
Content-Type: application/pdf; name="surat.pdf"
Content-Disposition: attachment; filename="surat.pdf"
Content-Transfer-Encoding: base64

""" + half)

# Complete parts, no close delimiter.
save("broken-missing-close.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: no close delimiter
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="open"

--open
Content-Type: text/plain

Nama: Budi Santoso
Alasan: lupa passphrase

--open
Content-Type: application/pdf; name="surat.pdf"
Content-Disposition: attachment; filename="surat.pdf"
Content-Transfer-Encoding: base64

""" + b64)

# Base64 with junk: characters outside the alphabet between the good
# ones (skipped, the PDF comes out whole), and a part of only junk.
lines = b64.splitlines()
junky = "\n".join(("!*" + l[:10] + " # " + l[10:] + "~") if i % 3 == 0 else l
                  for i, l in enumerate(lines)) + "\n"
save("broken-bad-base64.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: bad base64
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b64"

--b64
Content-Type: text/plain

Nama: Budi Santoso

--b64
Content-Type: application/pdf; name="surat.pdf"
Content-Transfer-Encoding: base64

""" + junky + """
--b64
Content-Type: application/pdf; name="sampah.pdf"
Content-Transfer-Encoding: base64

====!!!!*****====
@@@@
--b64--
""")

# NUL bytes in a header and in the text.
save("broken-nul.eml", b"""\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: NUL\x00bytes
Content-Type: text/plain; charset=utf-8

Nama: Budi\x00 Santoso
Alasan: lupa\x00\x00 passphrase
""")

# No empty line between the header and the body.
save("broken-no-separator.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: no separator
Dengan hormat, saya mengajukan pencabutan.
Nomor Seri: 4F:2A:91:0C:77:E3:15:B8
""")

save("broken-empty.eml", b"")

# boundary="\"": crashes libetpan 1.9.4's mailmime_parse().
save("broken-boundary-quote.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: quote as boundary
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="\\""

--"
Content-Type: text/plain

Nama: Budi Santoso
--"--
""")

# Multipart without a boundary parameter.
save("broken-no-boundary.eml", """\
From: Budi Santoso <budi.santoso@diskominfo.example.go.id>
To: cabut@bsre.example.go.id
Subject: multipart, no boundary
MIME-Version: 1.0
Content-Type: multipart/mixed

--x
Content-Type: text/plain

Nama: Budi Santoso
--x--
""")

# 8 KB of noise.
x, noise = 1, bytearray()
for i in range(8192):
    x = (x * 1103515245 + 12345) & 0x7fffffff
    noise.append(x >> 23 & 0xff)
save("broken-garbage.eml", bytes(noise))
PYEOF

# mutt and s-nail write their output mode 0600.
chmod 644 "$out"/*.eml "$out"/*.pdf "$out"/*.jpg "$out"/*.png
du -sh "$out"
