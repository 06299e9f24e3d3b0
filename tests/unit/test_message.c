/* message: real mail from tests/corpus (made by make-corpus.sh with mutt,
 * s-nail, swaks, mpack and Python), automatic and broken mail, every
 * limit, RFC 2047/2231, charsets and HTML to text. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "message.h"
#include "util.h"

#define MAX_TEXT_LINES	10
#define MAX_ATT		5

static char	*corpus;	/* the corpus directory */

static const struct message_limits	 deflim = MESSAGE_LIMITS_DEFAULT;

static int
setup(void **state)
{
	const char	*top = getenv("top_srcdir");
	const char	*tries[] = { "../../tests/corpus", "tests/corpus", "../corpus" };
	size_t		 i;

	if (top != NULL) {
		corpus = xasprintf("%s/tests/corpus", top);
		return access(corpus, R_OK) == 0 ? 0 : -1;
	}
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (access(tries[i], R_OK) == 0) {
			corpus = xstrdup(tries[i]);
			return 0;
		}
	return -1;
}

static int
teardown(void **state)
{
	free(corpus);
	return 0;
}

static char *
slurp(const char *name, size_t *len_r)
{
	char		*path = xasprintf("%s/%s", corpus, name), *data;
	struct stat	 st;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		print_error("cannot read %s\n", path);
		fail();
	}
	data = xmalloc((size_t)st.st_size + 1);
	*len_r = fread(data, 1, (size_t)st.st_size, f);
	assert_int_equal(*len_r, (size_t)st.st_size);
	data[*len_r] = '\0';
	fclose(f);
	free(path);
	return data;
}

/* A checker of its own, so that message.c's cannot vouch for itself. */
static int
utf8_ok(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n, i;

	while (*u != '\0') {
		if (*u < 0x80) {
			u++;
			continue;
		}
		if (*u >= 0xc2 && *u <= 0xdf)
			n = 1;
		else if (*u >= 0xe0 && *u <= 0xef)
			n = 2;
		else if (*u >= 0xf0 && *u <= 0xf4)
			n = 3;
		else
			return 0;
		if ((*u == 0xe0 && u[1] < 0xa0) || (*u == 0xed && u[1] > 0x9f) ||
		    (*u == 0xf0 && u[1] < 0x90) || (*u == 0xf4 && u[1] > 0x8f))
			return 0;
		for (i = 1; i <= n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return 0;
		u += n + 1;
	}
	return 1;
}

/* What every parsed message must be like, whatever went in. */
static void
check_invariants(const struct message *m)
{
	size_t	 i;

	assert_non_null(m->text);
	assert_true(utf8_ok(m->text));
	assert_null(strchr(m->text, '\r'));
	assert_non_null(m->content_type);
	assert_non_null(strchr(m->content_type, '/'));
	if (m->subject != NULL)
		assert_true(utf8_ok(m->subject));
	if (m->from.name != NULL)
		assert_true(utf8_ok(m->from.name));
	if (m->from.addr != NULL)
		assert_non_null(strchr(m->from.addr, '@'));
	for (i = 0; i < m->nto; i++)
		assert_non_null(strchr(m->to[i], '@'));
	for (i = 0; i < m->nheaders; i++) {
		assert_true(m->headers[i].name[0] != '\0');
		assert_null(strchr(m->headers[i].value, '\n'));
	}
	for (i = 0; i < m->nattachments; i++) {
		assert_non_null(m->attachments[i].declared_type);
		assert_non_null(strchr(m->attachments[i].declared_type, '/'));
		assert_non_null(m->attachments[i].data);
		if (m->attachments[i].filename != NULL)
			assert_true(utf8_ok(m->attachments[i].filename));
	}
}

static struct message *
parse_file(const char *name)
{
	struct message	*m = NULL;
	char		*raw, *reason = NULL;
	size_t		 len;

	raw = slurp(name, &len);
	if (message_parse(raw, len, &deflim, &m, &reason) == -1) {
		print_error("%s: refused: %s\n", name, reason);
		free(reason);
		free(raw);
		fail();
	}
	assert_null(reason);
	free(raw);
	check_invariants(m);
	return m;
}

/* Is line one whole line of text? */
static int
has_line(const char *text, const char *line)
{
	char	*t = xasprintf("\n%s\n", text), *l = xasprintf("\n%s\n", line);
	int	 r = strstr(t, l) != NULL;

	free(t);
	free(l);
	return r;
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

/* ---- the corpus, field by field ---- */

enum same { SAME_NONE, SAME_WHOLE, SAME_PREFIX };

struct att_want {
	const char	*filename;
	const char	*type;
	const char	*content_id;	/* NULL: not checked */
	int		 referenced;
	enum attachment_disposition disposition;
	const char	*file;		/* corpus file with the same bytes */
	enum same	 same;
	long		 size;		/* -1: not checked */
};

struct mail_want {
	const char	*file;
	const char	*from_addr;
	const char	*from_name;
	const char	*subject;
	const char	*content_type;
	const char	*report_type;
	int		 from_html;
	const char	*lines[MAX_TEXT_LINES];
	const char	*absent[4];
	size_t		 natt;
	struct att_want	 att[MAX_ATT];
};

#define NO_ATT	{ NULL, NULL, NULL, 0, DISPOSITION_NONE, NULL, SAME_NONE, -1 }

static const struct mail_want mails[] = {
	{ "req-mutt.eml", "budi.santoso@diskominfo.example.go.id", "Budi Santoso",
	  "Permohonan pencabutan – sertifikat elektronik", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso", "NIK: 3201012345670001",
	    "Username AMS: budi.santoso", "Nomor Seri: 4F:2A:91:0C:77:E3:15:B8",
	    "Alasan: lupa passphrase" }, { NULL },
	  1, { { "surat-keterangan.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, "letter.pdf", SAME_WHOLE, -1 } } },
	{ "req-snail.eml", "siti.rahmawati@dinkes.example.go.id", "Siti Rahmawati",
	  "Pencabutan sertifikat (kehilangan)", "multipart/mixed", NULL, 0,
	  { "Nama: Siti Rahmawati", "NIK: 3273015502880003",
	    "Nomor Seri: 7C:11:E0:5A:92:3B:44:01", "Alasan: kehilangan sertifikat",
	    "Tanggal hilang: 12-03-2025" }, { NULL },
	  1, { { "scan-surat-kehilangan.jpg", "image/jpeg", NULL, 0,
	    DISPOSITION_ATTACHMENT, "scan.jpg", SAME_WHOLE, -1 } } },
	{ "req-swaks.eml", "agus.wijaya@bpkad.example.go.id", "Agus Wijaya",
	  "Permohonan pencabutan sertifikat", "multipart/mixed", NULL, 0,
	  { "Name: Agus Wijaya", "Serial Number: 5D 3E 8F 00 12 AB CD EF",
	    "Reason: data change" }, { NULL },
	  1, { { "surat-perubahan-data.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, "letter.pdf", SAME_WHOLE, -1 } } },
	{ "req-mpack.eml", "dewi.lestari@bappeda.example.go.id", "Dewi Lestari",
	  "Permohonan pencabutan sertifikat elektronik", "multipart/mixed", NULL, 0,
	  { "Nama: Dewi Lestari",
	    "Subject DN: CN=Dewi Lestari,OU=Bappeda,O=Pemerintah Kota Bandung,C=ID",
	    "Alasan: perubahan data" }, { "This is a MIME encoded message." },
	  1, { { "surat.pdf", "application/octet-stream", NULL, 0,
	    DISPOSITION_INLINE, "letter.pdf", SAME_WHOLE, -1 } } },
	{ "req-python-rfc2231.eml", "Rina.Kartika@bkd.example.go.id", "Rina Kartika",
	  "Pencabutan sertifikat – Rina Kartika", "multipart/mixed", NULL, 0,
	  { "Nama: Rina Kartika", "Nomor Seri: 2B:00:FE:11:9A",
	    "Alasan: perubahan data" }, { NULL },
	  2, { { "Surat Keterangan – Pencabutan.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, "letter.pdf", SAME_WHOLE, -1 },
	  { "Surat Keterangan Alasan Pencabutan Sertifikat Elektronik – "
	    "Rina Kartika – Badan Kepegawaian Daerah.jpg", "image/jpeg", NULL, 0,
	    DISPOSITION_ATTACHMENT, "scan.jpg", SAME_WHOLE, -1 } } },
	{ "req-html-only.eml", "made.wirawan@diskominfo.example.go.id", "Made Wirawan",
	  "Permohonan pencabutan", "multipart/mixed", NULL, 1,
	  { "Yth. Petugas BSrE,", "Nama: Made Wirawan", "NIK: 5171012345670002",
	    "Nomor Seri: 0A:1B:2C:3D:4E", "Alasan: kehilangan sertifikat",
	    "Tanggal hilang: 3 Maret 2025", "Terima kasih & salam,",
	    "Made – Diskominfo \xf0\x9f\x98\x80 <bukan tag>" },
	  { "Palsu", "Komentar", "Judul", "color" },
	  1, { { "surat-keterangan.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, "letter.pdf", SAME_WHOLE, -1 } } },
	{ "req-alternative-logo.eml", "yohanes.pratama@dpmptsp.example.go.id",
	  "Yohanes Prätama", "Permohonan pencabutan sertifikat", "multipart/mixed",
	  NULL, 0,
	  { "Nama: Yohanes Pratama", "Nomor Seri: 99:88:77:66",
	    "Alasan: lupa passphrase", "-- " }, { "<p>", "<br>" },
	  3, { { "logo.png", "image/png", "logo.dpmptsp@example.go.id", 1,
	    DISPOSITION_INLINE, "logo.png", SAME_WHOLE, -1 },
	  { "unused.png", "image/png", "unused.dpmptsp@example.go.id", 0,
	    DISPOSITION_INLINE, "logo.png", SAME_WHOLE, -1 },
	  { "surat-keterangan.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, "letter.pdf", SAME_WHOLE, -1 } } },
	{ "forward-rfc822.eml", "budi.santoso@diskominfo.example.go.id", "Budi Santoso",
	  "Fwd: Surat untuk ditandatangani", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso", "Alasan: lupa passphrase" },
	  { "Orang Dalam", "bukan ini" },
	  1, { { NULL, "message/rfc822", NULL, 0, DISPOSITION_ATTACHMENT, NULL,
	    SAME_NONE, -1 } } },
	{ "reply-outlook.eml", "rahmat.hidayat@bsre.example.go.id", "Rahmat Hidayat",
	  "RE: [cabut #17] Permohonan pencabutan: Budi Santoso",
	  "multipart/alternative", NULL, 0,
	  { "SETUJU", "Data pemohon sudah saya periksa dan sesuai.",
	    "From: cabut <cabut@bsre.example.go.id>",
	    "Sent: Wednesday, November 26, 2025 9:12 AM" },
	  { "MsoNormal" }, 0, { NO_ATT } },
	{ "bounce-dsn.eml", "MAILER-DAEMON@mail.dinkes.example.go.id", NULL,
	  "Undelivered Mail Returned to Sender", "multipart/report",
	  "delivery-status", 0,
	  { "This is the mail system at host mail.dinkes.example.go.id.",
	    "<siti.rahmawati@dinkes.example.go.id>: user unknown" },
	  { "Reporting-MTA", "KONFIRMASI" },
	  2, { { NULL, "message/delivery-status", NULL, 0, DISPOSITION_NONE,
	    NULL, SAME_NONE, -1 },
	  { NULL, "message/rfc822", NULL, 0, DISPOSITION_NONE, NULL, SAME_NONE,
	    -1 } } },
	{ "auto-reply-ooo.eml", "agus.wijaya@bpkad.example.go.id", "Agus Wijaya",
	  "Balasan otomatis: [cabut #19] Permohonan diterima", "text/plain", NULL,
	  0, { "Untuk hal mendesak hubungi sekretariat." }, { NULL }, 0, { NO_ATT } },
	{ "mdn-read-receipt.eml", "rahmat.hidayat@bsre.example.go.id",
	  "Rahmat Hidayat", "Read: [cabut #17] Permohonan pencabutan: Budi Santoso",
	  "multipart/report", "disposition-notification", 0,
	  { "Your message was read on Wednesday, November 26, 2025 9:40 AM." },
	  { "Disposition:" },
	  1, { { NULL, "message/disposition-notification", NULL, 0,
	    DISPOSITION_NONE, NULL, SAME_NONE, -1 } } },
	{ "bulk-newsletter.eml", "newsletter@news.example.com",
	  "Buletin Keamanan Siber", "Buletin November: tips passphrase yang aman",
	  "text/plain", NULL, 0,
	  { "Edisi November: gunakan passphrase panjang dan pengelola sandi." },
	  { NULL }, 0, { NO_ATT } },
	{ "filenames.eml", "tester@example.go.id", "Tester", "file names",
	  "multipart/mixed", NULL, 0, { "Nama: Tester" }, { NULL },
	  5, { { "Surat Keterangan – Pencabutan.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, NULL, SAME_NONE, 15 },
	  { "Surat Pernyataan José.pdf", "application/pdf", NULL, 0,
	    DISPOSITION_ATTACHMENT, NULL, SAME_NONE, 15 },
	  { "Lampiran Dua Halaman.jpg", "image/jpeg", NULL, 0,
	    DISPOSITION_ATTACHMENT, NULL, SAME_NONE, 13 },
	  { "Surat – B.pdf", "application/pdf", NULL, 0, DISPOSITION_ATTACHMENT,
	    NULL, SAME_NONE, 17 },
	  { "foto KTP é.jpg", "image/jpeg", NULL, 0, DISPOSITION_NONE, NULL,
	    SAME_NONE, 13 } } },
	{ "charset-koi8r.eml", "ivan@example.ru", "Ivan",
	  "Привет: заявка на отзыв сертификата", "text/plain", NULL, 0,
	  { "Привет: заявка на отзыв сертификата", "Nama: Ivan" }, { NULL },
	  0, { NO_ATT } },
	{ "charset-mislabeled.eml", "jose@example.go.id", "Jose", "José",
	  "text/plain", NULL, 0, { "Nama: José “Pepe” Santos…" }, { NULL },
	  0, { NO_ATT } },
	{ "charset-unknown.eml", "ketut@example.go.id", "Ketut", "unknown charset",
	  "text/plain", NULL, 0,
	  { "Nama: Ni Ketut Ayu ✓", "Alasan: lupa passphrase" }, { NULL },
	  0, { NO_ATT } },
	{ "charset-unknown-invalid.eml", "ketut@example.go.id", "Ketut",
	  "unknown charset, not UTF-8", "text/plain", NULL, 0,
	  { "Nama: Jos\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" }, { NULL },
	  0, { NO_ATT } },
	{ "broken-truncated-multipart.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "truncated", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso", "Alasan: lupa passphrase" }, { NULL },
	  1, { { "surat.pdf", "application/pdf", NULL, 0, DISPOSITION_ATTACHMENT,
	    "letter.pdf", SAME_PREFIX, -1 } } },
	{ "broken-missing-close.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "no close delimiter", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso", "Alasan: lupa passphrase" }, { NULL },
	  1, { { "surat.pdf", "application/pdf", NULL, 0, DISPOSITION_ATTACHMENT,
	    "letter.pdf", SAME_WHOLE, -1 } } },
	{ "broken-bad-base64.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "bad base64", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso" }, { NULL },
	  2, { { "surat.pdf", "application/pdf", NULL, 0, DISPOSITION_NONE,
	    "letter.pdf", SAME_WHOLE, -1 },
	  { "sampah.pdf", "application/pdf", NULL, 0, DISPOSITION_NONE, NULL,
	    SAME_NONE, 0 } } },
	{ "broken-nul.eml", "budi.santoso@diskominfo.example.go.id", "Budi Santoso",
	  "NULbytes", "text/plain", NULL, 0,
	  { "Nama: Budi Santoso", "Alasan: lupa passphrase" }, { NULL },
	  0, { NO_ATT } },
	{ "broken-no-separator.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "no separator", "text/plain", NULL, 0,
	  { "Dengan hormat, saya mengajukan pencabutan.",
	    "Nomor Seri: 4F:2A:91:0C:77:E3:15:B8" }, { NULL }, 0, { NO_ATT } },
	{ "broken-boundary-quote.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "quote as boundary", "multipart/mixed", NULL, 0,
	  { "Nama: Budi Santoso" }, { "--\"" }, 0, { NO_ATT } },
	{ "broken-no-boundary.eml", "budi.santoso@diskominfo.example.go.id",
	  "Budi Santoso", "multipart, no boundary", "multipart/mixed", NULL, 0,
	  { NULL }, { "Nama" },
	  1, { { NULL, "multipart/mixed", NULL, 0, DISPOSITION_NONE, NULL,
	    SAME_NONE, -1 } } },
	{ "broken-garbage.eml", NULL, NULL, NULL, "text/plain", NULL, 0,
	  { NULL }, { NULL }, 0, { NO_ATT } },
};

static void
check_attachment(const char *mail, size_t i, const struct message_attachment *a,
    const struct att_want *w)
{
	char	*orig;
	size_t	 olen;

	assert_str_or_null(a->filename, w->filename);
	assert_string_equal(a->declared_type, w->type);
	if (w->content_id != NULL)
		assert_str_or_null(a->content_id, w->content_id);
	assert_int_equal(a->referenced, w->referenced);
	assert_int_equal(a->disposition, w->disposition);
	if (w->size != -1)
		assert_int_equal(a->size, (size_t)w->size);
	if (w->same == SAME_NONE)
		return;
	orig = slurp(w->file, &olen);
	if (w->same == SAME_WHOLE) {
		assert_int_equal(a->size, olen);
		assert_memory_equal(a->data, orig, a->size);
	} else {
		/* Cut inside a base64 quantum: libetpan makes a last byte
		 * of the bits it has; all before it is the original. */
		assert_true(a->size > 1);
		assert_true(a->size < olen);
		assert_memory_equal(a->data, orig, a->size - 1);
	}
	free(orig);
}

static void
test_corpus(void **state)
{
	const struct mail_want	*w;
	struct message		*m;
	size_t			 i, j;

	for (i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		w = &mails[i];
		print_message("# %s\n", w->file);
		m = parse_file(w->file);
		assert_str_or_null(m->from.addr, w->from_addr);
		assert_str_or_null(m->from.name, w->from_name);
		assert_str_or_null(m->subject, w->subject);
		assert_string_equal(m->content_type, w->content_type);
		assert_str_or_null(m->report_type, w->report_type);
		assert_int_equal(m->text_from_html, w->from_html);
		for (j = 0; j < MAX_TEXT_LINES && w->lines[j] != NULL; j++) {
			if (!has_line(m->text, w->lines[j])) {
				print_error("%s: no line \"%s\" in:\n%s\n", w->file,
				    w->lines[j], m->text);
				fail();
			}
		}
		for (j = 0; j < 4 && w->absent[j] != NULL; j++)
			assert_null(strstr(m->text, w->absent[j]));
		assert_int_equal(m->nattachments, w->natt);
		for (j = 0; j < w->natt; j++)
			check_attachment(w->file, j, &m->attachments[j], &w->att[j]);
		message_free(&m);
		assert_null(m);
	}
}

/* Every file of the corpus, listed or not, parses or is refused cleanly. */
static void
test_corpus_all(void **state)
{
	struct message	*m;
	struct dirent	*de;
	DIR		*d;
	char		*raw, *reason;
	size_t		 len, n = 0, l;

	assert_non_null(d = opendir(corpus));
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		raw = slurp(de->d_name, &len);
		m = NULL;
		reason = NULL;
		if (message_parse(raw, len, &deflim, &m, &reason) == 0) {
			check_invariants(m);
			message_free(&m);
		} else {
			assert_null(m);
			assert_non_null(reason);
			assert_int_equal(len, 0);	/* only the empty file */
			free(reason);
		}
		free(raw);
		n++;
	}
	closedir(d);
	assert_true(n >= 30);
}

static void
test_refused_empty(void **state)
{
	struct message	*m = NULL;
	char		*raw, *reason = NULL;
	size_t		 len;

	raw = slurp("broken-empty.eml", &len);
	assert_int_equal(message_parse(raw, len, &deflim, &m, &reason), -1);
	assert_null(m);
	assert_string_equal(reason, "empty message");
	free(reason);
	reason = NULL;
	assert_int_equal(message_parse_headers(raw, len, &deflim, &m, &reason), -1);
	assert_string_equal(reason, "empty message");
	free(reason);
	free(raw);
}

static void
test_header_fields(void **state)
{
	struct message	*m;

	m = parse_file("reply-outlook.eml");
	assert_string_equal(m->message_id,
	    "SG2PR06MB53108E3C2A1F9D1B2C4E5F6A7B8C9@SG2PR06MB5310.apcprd06.prod.outlook.com");
	assert_string_equal(m->in_reply_to,
	    "cabut.17.a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id");
	assert_string_equal(m->references,
	    "cabut.17.a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id");
	assert_int_equal(m->nto, 2);	/* the empty group adds nothing */
	assert_string_equal(m->to[0],
	    "cabut+a7kq2xw9m3rtp5vc8n4j6yhbde@bsre.example.go.id");
	assert_string_equal(m->to[1], "supervisor@bsre.example.go.id");
	assert_string_equal(m->date, "Wed, 26 Nov 2025 02:41:07 +0000");
	assert_null(m->return_path);
	assert_null(m->reply_to);
	assert_null(m->sender.addr);
	assert_true(strncmp(m->text, "SETUJU\n", 7) == 0);
	message_free(&m);

	m = parse_file("req-alternative-logo.eml");
	assert_string_equal(m->sender.addr, "sekretariat@dpmptsp.example.go.id");
	assert_string_equal(m->sender.name, "Sekretariat DPMPTSP");
	assert_non_null(m->reply_to);
	assert_string_equal(m->reply_to->addr, "yohanes.p@mail.example.com");
	assert_string_equal(m->reply_to->name, "Yohanes (pribadi)");
	assert_int_equal(m->nto, 3);
	assert_string_equal(m->to[0], "cabut@bsre.example.go.id");
	assert_string_equal(m->to[1], "atasan@dpmptsp.example.go.id");
	assert_string_equal(m->to[2], "arsip@dpmptsp.example.go.id");
	assert_string_equal(m->message_id, "req-alternative.1@dpmptsp.example.go.id");
	message_free(&m);

	m = parse_file("bounce-dsn.eml");
	assert_string_equal(m->return_path, "");
	message_free(&m);

	m = parse_file("dup-a.eml");
	assert_string_equal(m->return_path, "siti.rahmawati@dinkes.example.go.id");
	message_free(&m);
}

/* Headers that need libetpan's help, and the ways mailers get them wrong. */
static void
test_addresses(void **state)
{
	static const char raw[] =
	    "Return-Path: < >\n"
	    "From: \"=?utf-8?b?QnVkaQ==?=\" <Budi@Example.ORG>, second@example.org\n"
	    "Reply-To: \"Sr. =?utf-8?q?Bu_Ani?=\" <ani@example.org>\n"
	    "Sender: \"\\\"Budi\\\" Santoso\" <b@example.org>\n"
	    "To: a@example.org,, b@Example.Org, bad address here, "
	    "Group: c@example.org, \"D, Esq.\" <d@example.org>;, e@example.org\n"
	    "Cc: =?utf-8?q?Bu_Ani?= <ani@example.org>\n"
	    "Cc: f@example.org\n"
	    "Subject: =?utf-8?q?a?=  tail\n"
	    "Message-ID: no-brackets@example.org\n"
	    "In-Reply-To: <x@example.org>\n"
	    "\t<y@example.org>\n"
	    "\n"
	    "body\n";
	static const char *const to[] = { "a@example.org", "b@example.org",
	    "c@example.org", "d@example.org", "e@example.org", "ani@example.org",
	    "f@example.org" };
	struct message	*m = NULL;
	char		*reason = NULL;
	size_t		 i;

	assert_int_equal(message_parse(raw, sizeof(raw) - 1, &deflim, &m,
	    &reason), 0);
	check_invariants(m);
	assert_string_equal(m->return_path, "");
	assert_string_equal(m->from.addr, "Budi@example.org");
	assert_string_equal(m->from.name, "Budi");
	assert_string_equal(m->reply_to->name, "Sr. Bu Ani");
	assert_string_equal(m->sender.name, "\"Budi\" Santoso");
	assert_int_equal(m->nto, sizeof(to) / sizeof(to[0]));
	for (i = 0; i < m->nto; i++)
		assert_string_equal(m->to[i], to[i]);
	assert_string_equal(m->subject, "a tail");
	assert_string_equal(m->message_id, "no-brackets@example.org");
	assert_string_equal(m->in_reply_to, "x@example.org y@example.org");
	assert_string_equal(message_header(m, "in-reply-to", 0),
	    "<x@example.org>\t<y@example.org>");
	message_free(&m);
}

static void
test_body_hash(void **state)
{
	struct message	*a, *b, *c;
	unsigned char	 want[32];
	char		*raw, *body;
	size_t		 len;

	a = parse_file("dup-a.eml");
	b = parse_file("dup-b.eml");	/* other Received lines, CRLF */
	c = parse_file("req-snail.eml");
	assert_memory_equal(a->body_hash, b->body_hash, 32);
	assert_memory_not_equal(a->body_hash, c->body_hash, 32);
	assert_string_equal(a->text, b->text);
	assert_int_equal(a->nattachments, b->nattachments);
	assert_int_equal(a->attachments[0].size, b->attachments[0].size);
	assert_memory_equal(a->attachments[0].data, b->attachments[0].data,
	    a->attachments[0].size);

	/* The hash is of the bytes after the empty line, nothing else. */
	raw = slurp("dup-a.eml", &len);
	assert_non_null(body = strstr(raw, "\n\n"));
	body += 2;
	assert_int_equal(EVP_Digest(body, len - (size_t)(body - raw), want, NULL,
	    EVP_sha256(), NULL), 1);
	assert_memory_equal(a->body_hash, want, 32);
	assert_int_equal(a->size, len);
	free(raw);
	message_free(&a);
	message_free(&b);
	message_free(&c);
}

static void
test_message_header(void **state)
{
	struct message	*m;
	const char	*v;

	m = parse_file("dup-b.eml");
	assert_string_equal(m->headers[0].name, "Return-Path");
	assert_non_null(v = message_header(m, "RECEIVED", 0));
	assert_true(strncmp(v, "from mx2.bsre.example.go.id", 27) == 0);
	assert_non_null(strstr(v, "\tby imap.bsre.example.go.id with LMTP;"));
	assert_non_null(v = message_header(m, "received", 1));
	assert_true(strncmp(v, "from relay.example.net", 22) == 0);
	assert_null(message_header(m, "Received", 2));
	assert_null(message_header(m, "X-Nothing", 0));
	assert_string_equal(message_header(m, "subject", 0),
	    "Pencabutan sertifikat (kehilangan)");
	message_free(&m);

	/* Raw: encoded words stay as written. */
	m = parse_file("req-mutt.eml");
	assert_non_null(v = message_header(m, "Subject", 0));
	assert_non_null(strstr(v, "=?utf-8?"));
	message_free(&m);
}

static char	*make_wide(size_t, size_t *);

static void
test_headers_only(void **state)
{
	struct message	*m = NULL, *full;
	char		*raw, *reason = NULL, *end;
	size_t		 len;

	raw = slurp("req-alternative-logo.eml", &len);
	assert_non_null(end = strstr(raw, "\n\n"));
	full = parse_file("req-alternative-logo.eml");
	assert_int_equal(message_parse_headers(raw, (size_t)(end - raw) + 2,
	    &deflim, &m, &reason), 0);
	check_invariants(m);
	assert_string_equal(m->text, "");
	assert_int_equal(m->nattachments, 0);
	assert_string_equal(m->from.addr, full->from.addr);
	assert_string_equal(m->subject, full->subject);
	assert_string_equal(m->content_type, "multipart/mixed");
	assert_int_equal(m->nheaders, full->nheaders);
	message_free(&m);

	/* The body's structure does not count: 10000 parts are fine. */
	free(raw);
	raw = make_wide(10000, &len);
	assert_int_equal(message_parse_headers(raw, len, &deflim, &m, &reason), 0);
	assert_string_equal(m->from.addr, "wide@example.org");
	message_free(&m);
	free(raw);

	/* Given the whole mail, it still reads only the header. */
	raw = slurp("req-alternative-logo.eml", &len);
	assert_int_equal(message_parse_headers(raw, len, &deflim, &m, &reason), 0);
	assert_string_equal(m->text, "");
	assert_int_equal(m->nattachments, 0);
	assert_memory_equal(m->body_hash, full->body_hash, 32);
	message_free(&m);
	message_free(&full);
	free(raw);
}

static void
test_large(void **state)
{
	struct message	*m;
	unsigned char	*want;
	size_t		 i, n = 1200000;

	m = parse_file("large-attachment.eml");
	assert_true(m->size > 1024 * 1024);
	assert_int_equal(m->nattachments, 1);
	assert_string_equal(m->attachments[0].filename, "pindaian-besar.pdf");
	assert_int_equal(m->attachments[0].size, n);
	want = xmalloc(n);
	for (i = 0; i < n; i++)
		want[i] = (unsigned char)(((uint32_t)i * 1103515245u + 12345u) >> 24);
	assert_memory_equal(m->attachments[0].data, want, n);
	assert_true(has_line(m->text, "Alasan: lupa passphrase"));
	free(want);
	message_free(&m);
}

/* ---- structures built here ---- */

static int
parse_mem(const char *raw, size_t len, const struct message_limits *lim,
    struct message **m_r, char **reason_r)
{
	*m_r = NULL;
	*reason_r = NULL;
	if (message_parse(raw, len, lim, m_r, reason_r) == -1) {
		assert_null(*m_r);
		assert_non_null(*reason_r);
		return -1;
	}
	assert_null(*reason_r);
	check_invariants(*m_r);
	return 0;
}

/* n multiparts, each inside the one before; a text part in the last. */
static char *
make_nested(size_t n, size_t *len_r)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_addstr(&b, "From: deep@example.org\n"), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b, "Content-Type: multipart/mixed; "
		    "boundary=\"b%zu\"\n\n--b%zu\n", i, i), 0);
	assert_int_equal(buf_addstr(&b, "Content-Type: text/plain\n\n"
	    "Nama: Terdalam\n"), 0);
	for (i = n; i-- > 0;)
		assert_int_equal(buf_printf(&b, "--b%zu--\n", i), 0);
	*len_r = b.len;
	return buf_steal(&b);
}

/* A multipart of n text parts (n + 1 parts in all). */
static char *
make_wide(size_t n, size_t *len_r)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_addstr(&b, "From: wide@example.org\n"
	    "Content-Type: multipart/mixed; boundary=w\n\n"), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b, "--w\nContent-Type: text/plain\n\n"
		    "bagian %zu\n", i), 0);
	assert_int_equal(buf_addstr(&b, "--w--\n"), 0);
	*len_r = b.len;
	return buf_steal(&b);
}

static void
test_limit_depth(void **state)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message		*m;
	char			*raw, *reason;
	size_t			 len;

	raw = make_nested(20, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), 0);
	assert_true(has_line(m->text, "Nama: Terdalam"));
	message_free(&m);
	free(raw);

	raw = make_nested(21, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "MIME nesting deeper than 20");
	free(reason);
	free(raw);

	/* 1000 deep, and 100000 deep (which exhausts libetpan's stack). */
	raw = make_nested(1000, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "MIME nesting deeper than 20");
	free(reason);
	free(raw);
	raw = make_nested(100000, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	free(reason);
	free(raw);

	lim.max_depth = 2;
	raw = make_nested(3, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "MIME nesting deeper than 2");
	free(reason);
	free(raw);
}

static void
test_limit_parts(void **state)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message		*m;
	char			*raw, *reason;
	size_t			 len;

	raw = make_wide(999, &len);	/* 1000 parts with the multipart */
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), 0);
	assert_string_equal(m->text, "bagian 0");
	assert_int_equal(m->nattachments, 998);
	message_free(&m);
	free(raw);

	raw = make_wide(1000, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "more than 1000 MIME parts");
	free(reason);
	free(raw);

	raw = make_wide(10000, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "more than 1000 MIME parts");
	free(reason);
	free(raw);

	lim.max_parts = 3;
	raw = make_wide(3, &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "more than 3 MIME parts");
	free(reason);
	free(raw);
}

/* A header block of exactly size bytes (n fields), then a body. */
static char *
make_header(size_t size, size_t nfields, const char *body, size_t *len_r)
{
	struct buf	 b;
	size_t		 i, pad;
	char		 c;
	int		 fold;
	const char	 first[] = "From: big@example.org\n";

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_addstr(&b, first), 0);
	for (i = 1; i + 1 < nfields; i++)
		assert_int_equal(buf_printf(&b, "X-F%06zu: v\n", i), 0);
	/* The last field takes up what is left: "X-Pad: " ... "\n". */
	assert_true(size > b.len + 8);
	pad = size - b.len - 8;
	assert_int_equal(buf_addstr(&b, "X-Pad: "), 0);
	for (i = 0; i < pad; i++) {	/* folded every 70 bytes */
		fold = i - i % 70 + 71 < pad;
		c = fold && i % 70 == 68 ? '\n' : fold && i % 70 == 69 ? ' ' : 'p';
		assert_int_equal(buf_add(&b, &c, 1), 0);
	}
	assert_int_equal(buf_addstr(&b, "\n\n"), 0);
	assert_int_equal(buf_addstr(&b, body), 0);
	*len_r = b.len;
	return buf_steal(&b);
}

static void
test_limit_header_size(void **state)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message		*m;
	char			*raw, *reason;
	size_t			 len;

	raw = make_header(256 * 1024, 10, "Nama: Besar\n", &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), 0);
	assert_string_equal(m->text, "Nama: Besar\n");
	assert_string_equal(m->from.addr, "big@example.org");
	message_free(&m);
	assert_int_equal(message_parse_headers(raw, len, &lim, &m, &reason), 0);
	message_free(&m);
	free(raw);

	raw = make_header(256 * 1024 + 1, 10, "Nama: Besar\n", &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "header block larger than 262144 bytes");
	free(reason);
	assert_int_equal(message_parse_headers(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "header block larger than 262144 bytes");
	free(reason);
	free(raw);

	/* One header line of 1 MB, with no line break at all. */
	raw = xmalloc(1024 * 1024 + 1);
	memcpy(raw, "Subject: ", 9);
	memset(raw + 9, 'x', 1024 * 1024 - 9);
	raw[1024 * 1024] = '\0';
	assert_int_equal(parse_mem(raw, 1024 * 1024, &lim, &m, &reason), -1);
	assert_string_equal(reason, "header block larger than 262144 bytes");
	free(reason);
	free(raw);

	/* A part's header is held to the same limit. */
	lim.max_header_size = 200;
	raw = xasprintf("From: p@example.org\n"
	    "Content-Type: multipart/mixed; boundary=z\n\n--z\n"
	    "Content-Type: text/plain; x=\"%0250d\"\n\nisi\n--z--\n", 0);
	assert_int_equal(parse_mem(raw, strlen(raw), &lim, &m, &reason), -1);
	assert_string_equal(reason, "header block larger than 200 bytes");
	free(reason);
	free(raw);
}

static void
test_limit_header_count(void **state)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message		*m;
	char			*raw, *reason;
	size_t			 len;

	raw = make_header(40000, 1000, "isi\n", &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), 0);
	assert_int_equal(m->nheaders, 1000);
	message_free(&m);
	free(raw);

	raw = make_header(40000, 1001, "isi\n", &len);
	assert_int_equal(parse_mem(raw, len, &lim, &m, &reason), -1);
	assert_string_equal(reason, "more than 1000 header fields");
	free(reason);
	free(raw);

	lim.max_headers = 3;
	raw = xstrdup("From: p@example.org\n"
	    "Content-Type: multipart/mixed; boundary=z\n\n--z\n"
	    "Content-Type: text/plain\nA: 1\nB: 2\nC: 3\n\nisi\n--z--\n");
	assert_int_equal(parse_mem(raw, strlen(raw), &lim, &m, &reason), -1);
	assert_string_equal(reason, "more than 3 header fields");
	free(reason);
	free(raw);
}

static void
test_limit_text(void **state)
{
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	struct message		*m;
	struct buf		 b;
	char			*raw, *reason;
	size_t			 i;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_addstr(&b, "From: t@example.org\n"
	    "Content-Type: text/plain; charset=utf-8\n\na"), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_addstr(&b, "é"), 0);
	raw = buf_steal(&b);
	lim.max_text = 64;	/* falls inside the 32nd "é" */
	assert_int_equal(parse_mem(raw, strlen(raw), &lim, &m, &reason), 0);
	assert_int_equal(strlen(m->text), 63);
	message_free(&m);
	lim.max_text = 0;
	assert_int_equal(parse_mem(raw, strlen(raw), &lim, &m, &reason), 0);
	assert_string_equal(m->text, "");
	message_free(&m);
	free(raw);
}

/* ---- body choice ---- */

static void
test_body_choice(void **state)
{
	static const struct {
		const char	*raw;
		const char	*text;
		int		 from_html;
		size_t		 natt;
		const char	*type0;		/* of the first attachment */
	} cases[] = {
		/* HTML first in the alternative: plain is still preferred. */
		{ "Content-Type: multipart/alternative; boundary=a\n\n"
		  "--a\nContent-Type: text/html\n\n<p>html</p>\n"
		  "--a\nContent-Type: text/plain\n\nplain\n--a--\n",
		  "plain", 0, 0, NULL },
		/* A text/plain file is not the body. */
		{ "Content-Type: multipart/mixed; boundary=a\n\n"
		  "--a\nContent-Type: text/plain\nContent-Disposition: attachment; "
		  "filename=a.txt\n\nfile\n"
		  "--a\nContent-Type: text/html; charset=iso-8859-1\n\n"
		  "<p>caf&eacute; \xe9</p>\n--a--\n",
		  "café é", 1, 1, "text/plain" },
		/* No charset parameter: the one in <meta> counts. */
		{ "Content-Type: text/html\n\n<html><head><meta http-equiv="
		  "\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"
		  "</head><body>Jos\xe9</body></html>\n", "José", 1, 0, NULL },
		/* multipart/digest: parts are messages by default. */
		{ "Content-Type: multipart/mixed; boundary=a\n\n"
		  "--a\n\nintro\n--a\nContent-Type: multipart/digest; boundary=d\n\n"
		  "--d\n\nFrom: x@example.org\n\nNama: Dalam\n"
		  "--d\n\nFrom: y@example.org\n\nsatu\n--d--\n--a--\n",
		  "intro", 0, 2, "message/rfc822" },
		/* A boundary that never comes: the body is one part. */
		{ "Content-Type: multipart/mixed; boundary=never\n\n"
		  "Yth. Petugas,\nNama: Tanpa Batas\n",
		  "Yth. Petugas,\nNama: Tanpa Batas\n", 0, 0, NULL },
		/* Empty parts between delimiters are nothing. */
		{ "Content-Type: multipart/mixed; boundary=e\n\n--e\n--e\n"
		  "Content-Type: text/plain\n\nisi\n--e\n--e--\n", "isi", 0, 0,
		  NULL },
		/* No text at all. */
		{ "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
		  "JVBERi0=\n", "", 0, 1, "application/pdf" },
		/* Quoted-printable with soft breaks and CRLF in base64 text. */
		{ "Content-Type: text/plain; charset=utf-8\n"
		  "Content-Transfer-Encoding: quoted-printable\n\n"
		  "Nama: Bu=\ndi=20S=C3=A9\n", "Nama: Budi Sé\n", 0, 0, NULL },
		{ "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
		  "TmFtYTogQnVkaQ0KQWxhc2FuOiB4DQpsb25lDXhy\n",
		  "Nama: Budi\nAlasan: x\nlone\nxr", 0, 0, NULL },
	};
	struct message	*m;
	char		*raw, *reason;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("# body case %zu\n", i);
		raw = xasprintf("From: c@example.org\n%s", cases[i].raw);
		assert_int_equal(parse_mem(raw, strlen(raw), &deflim, &m,
		    &reason), 0);
		assert_string_equal(m->text, cases[i].text);
		assert_int_equal(m->text_from_html, cases[i].from_html);
		assert_int_equal(m->nattachments, cases[i].natt);
		if (cases[i].type0 != NULL)
			assert_string_equal(m->attachments[0].declared_type,
			    cases[i].type0);
		message_free(&m);
		free(raw);
	}
}

/* ---- RFC 2047 and HTML, alone ---- */

static void
test_decode_words(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "plain  text", "plain  text" },
		{ "=?utf-8?q?Permohonan_pencabutan?=", "Permohonan pencabutan" },
		{ "=?UTF-8?B?U3VyYXQg4oCTIEs=?=", "Surat – K" },
		/* mutt splits a character's words anywhere */
		{ "Permohonan pencabutan =?utf-8?B?4oCTIHNl?= =?utf-8?Q?rtifikat?=",
		  "Permohonan pencabutan – sertifikat" },
		{ "a =?utf-8?q?b?= =?utf-8?q?c?= d", "a bc d" },
		{ "=?iso-8859-1?q?caf=E9?=", "café" },
		{ "=?windows-1252?q?=93x=94?=", "“x”" },
		/* libetpan reads an unknown charset as ISO-8859-1 */
		{ "=?x-unknown?q?caf=E9?=", "café" },
		{ "50% off =?x", "50% off =?x" },
		{ "raw \xff bytes", "raw \xef\xbf\xbd bytes" },
		{ "", "" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = message_decode_words(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	assert_null(message_decode_words(NULL));
	s = message_decode_words("=?utf-8?q?broken");
	assert_true(utf8_ok(s));
	free(s);
}

static void
test_html_to_text(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "<p>a</p><p>b</p>", "a\n\nb" },
		{ "a<br>b<br><br><br><br>c", "a\nb\n\nc" },
		{ "<div>x</div><div>y</div>", "x\ny" },
		{ "<ul><li>one</li><li>two</li></ul>", "one\ntwo" },
		{ "<h1>T</h1>text", "T\n\ntext" },
		{ "<table><tr><td>Nama:</td><td>X</td></tr><tr><td>NIK:</td>"
		  "<td>1</td></tr></table>", "Nama: X\nNIK: 1" },
		{ "  lots   of\n\n spaces  ", "lots of spaces" },
		{ "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;", "a & b <c> \"d\" 'e'" },
		{ "&#65;&#x42;&#X43; &#0; &#xD800; &#1114112; &#150;",
		  "ABC \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd –" },
		{ "&unknown; &amp &#; &", "&unknown; &amp &#; &" },
		{ "a&nbsp;&nbsp;b&shy;c", "a bc" },
		{ "<script>x = '<p>no</p>';</script>y", "y" },
		{ "<STYLE type=text/css>p{}</STYLE>z", "z" },
		{ "<title>t</title><!-- <p>no</p> -->ok", "ok" },
		{ "<pre>a  b\n c</pre>d", "a  b\n c\n\nd" },
		{ "x < y > z", "x < y > z" },
		{ "<a href=\"x>y\" title='>'>link</a>", "link" },
		{ "<!DOCTYPE html><?xml x?>t", "t" },
		{ "cut <b", "cut" },
		{ "<!--never closed", "" },
		{ "<script>never closed", "" },
		{ "<br><p>start</p>", "start" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = message_html_to_text(cases[i].in, strlen(cases[i].in), 4096);
		if (strcmp(s, cases[i].out) != 0) {
			print_error("html \"%s\": got \"%s\"\n", cases[i].in, s);
			fail();
		}
		free(s);
	}
	/* NUL bytes dropped; at most max bytes, never half a character. */
	s = message_html_to_text("a\0b", 3, 100);
	assert_string_equal(s, "ab");
	free(s);
	s = message_html_to_text("ééé", 6, 5);
	assert_string_equal(s, "éé");
	free(s);
	s = message_html_to_text("<p>abc</p>", 10, 0);
	assert_string_equal(s, "");
	free(s);
}

/* ---- never a crash ---- */

static uint32_t	 rnd = 12345;

static uint32_t
next_rnd(void)
{
	rnd = rnd * 1103515245u + 12345u;
	return rnd >> 8;
}

/* Mutations of every small corpus mail: cut anywhere, bytes changed,
 * boundaries and header lines repeated. Under ASan this is a small fuzzer. */
static void
test_mutations(void **state)
{
	static const char *const files[] = { "req-mutt.eml", "req-mpack.eml",
	    "req-html-only.eml", "reply-outlook.eml", "bounce-dsn.eml",
	    "filenames.eml", "broken-bad-base64.eml", "mdn-read-receipt.eml",
	    "charset-koi8r.eml", "broken-boundary-quote.eml" };
	static const char *const inserts[] = { "\n--b1\n", "\n--\n", "=?",
	    "\nContent-Type: multipart/mixed; boundary=b1\n\n", "&#", "<",
	    "\n\n", "\r", "\0", "*0*=utf-8''%", "\"", "\n " };
	struct message	*m;
	char		*raw, *mut, *reason;
	size_t		 len, mlen, f, k, pos, l;
	int		 r;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		raw = slurp(files[f], &len);
		for (k = 0; k < 60; k++) {
			mut = xmalloc(len + 64);
			memcpy(mut, raw, len);
			mlen = len;
			pos = next_rnd() % (len + 1);
			switch (k % 3) {
			case 0:		/* cut */
				mlen = pos;
				break;
			case 1:		/* change bytes */
				for (l = 0; l < 8 && pos + l < mlen; l++)
					mut[pos + l] = (char)next_rnd();
				break;
			default:	/* insert */
				l = next_rnd() % (sizeof(inserts) / sizeof(inserts[0]));
				memmove(mut + pos + strlen(inserts[l]) + (l == 8),
				    mut + pos, mlen - pos);
				memcpy(mut + pos, inserts[l], strlen(inserts[l]) + (l == 8));
				mlen += strlen(inserts[l]) + (l == 8);
				break;
			}
			m = NULL;
			reason = NULL;
			r = message_parse(mut, mlen, &deflim, &m, &reason);
			if (r == 0) {
				check_invariants(m);
				message_free(&m);
			} else
				free(reason);
			if (message_parse_headers(mut, mlen, &deflim, &m, &reason) == 0)
				message_free(&m);
			else
				free(reason);
			free(mut);
		}
		free(raw);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corpus_all),
		cmocka_unit_test(test_refused_empty),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_body_hash),
		cmocka_unit_test(test_message_header),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_limit_header_size),
		cmocka_unit_test(test_limit_header_count),
		cmocka_unit_test(test_limit_text),
		cmocka_unit_test(test_body_choice),
		cmocka_unit_test(test_decode_words),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests_name("message", tests, setup, teardown);
}
