/* request: the form's fields in Indonesian and English, serials, dates,
 * reasons, Subject DNs, and the SOP step-5 checks (letters by content,
 * every problem at once, nothing said about someone else's certificate). */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <magic.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "request.h"
#include "util.h"

#define BIT(p)		(1U << (p))
#define DAY		86400
#define WIB		(7 * 3600)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static magic_t	 cookie;

/* Letters as libmagic sees them (checked with file --mime-type). */
static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
	'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0,
	0x90, 0x77, 0x53, 0xde,
};
static const unsigned char jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01,
	0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
};
/* An empty ZIP archive (end of central directory only). */
static const unsigned char zip[22] = { 'P', 'K', 5, 6 };
static const char text_att[] = "Hello, this is a plain text file.\n";
static unsigned char exe[128];

static const char *const allowed[] = {
	"application/pdf", "image/jpeg", "image/png",
};
static const struct request_limits limits = {
	allowed, NELEM(allowed), 1024 * 1024
};

#define SENDER	"budi@pekalongankota.go.id"

static const char good_text[] =
    "Dengan hormat,\n"
    "\n"
    "Nama: Budi Santoso\n"
    "NIK: 3375012345678901\n"
    "Username: budi.s\n"
    "Nomor Seri: 1A:2B:3C\n"
    "Subject DN: CN=Budi Santoso, O=Pemerintah Kota Pekalongan, C=ID\n"
    "Alasan: kehilangan sertifikat\n"
    "Tanggal hilang: 17-08-2025\n"
    "\n"
    "Terima kasih.\n";

static int64_t
day_utc(int y, int m, int d)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm);
}

static int
setup(void **state)
{
	exe[0] = 'M';
	exe[1] = 'Z';
	exe[0x3c] = 0x40;
	memcpy(exe + 0x40, "PE\0\0", 4);
	if ((cookie = magic_open(MAGIC_MIME_TYPE)) == NULL)
		return -1;
	return magic_load(cookie, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	magic_close(cookie);
	return 0;
}

/*
 * Messages built by hand (message.c is not needed to test the checks).
 */

static struct message *
msg_new(const char *text)
{
	struct message	*m = xcalloc(1, sizeof(*m));

	m->from.addr = xstrdup(SENDER);
	m->text = xstrdup(text);
	m->attachments = xcalloc(32, sizeof(*m->attachments));
	return m;
}

static void
msg_attach(struct message *m, const char *declared, const char *filename,
    const void *data, size_t size, int referenced)
{
	struct message_attachment	*a = &m->attachments[m->nattachments++];

	assert_true(m->nattachments <= 32);
	a->declared_type = xstrdup(declared);
	a->filename = filename != NULL ? xstrdup(filename) : NULL;
	a->disposition = referenced ? DISPOSITION_INLINE : DISPOSITION_ATTACHMENT;
	a->content_id = referenced ? xstrdup("logo@example") : NULL;
	a->referenced = referenced;
	a->data = xmalloc(size);
	memcpy(a->data, data, size);
	a->size = size;
}

static void
msg_free(struct message *m)
{
	size_t	 i;

	for (i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].declared_type);
		free(m->attachments[i].content_id);
		free(m->attachments[i].data);
	}
	free(m->attachments);
	free(m->from.addr);
	free(m->text);
	free(m);
}

static char	 reg_issuer[] = "CN=BSrE CA,O=BSSN,C=ID";
static char	 reg_serial[] = "1A2B3C";
static char	 reg_subject[] = "CN=Budi Santoso,O=Pemerintah Kota Pekalongan,C=ID";
static char	 reg_email[] = SENDER;
static char	 reg_username[] = "budi.s";
static char	 other_email[] = "siti@pekalongankota.go.id";
static char	 other_username[] = "siti";
static char	 other_subject[] = "CN=Siti Aminah,O=Pemkot,C=ID";

/* The registry's entry for the good request's certificate. */
static void
cert_good(struct registry_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->issuer = reg_issuer;
	c->serial = reg_serial;
	c->subject_dn = reg_subject;
	c->email = reg_email;
	c->username = reg_username;
	c->not_before = day_utc(2025, 1, 1);
	c->not_after = day_utc(2027, 1, 1);
}

static const time_t	 now_fixed = 1768435200;	/* 2026-01-15T00:00:00Z */

/* Parse text, attach a PDF letter, check against cert. */
static unsigned int
check_text(const char *text, const struct registry_cert *cert,
    const char *sender, struct request_check *c)
{
	struct request_fields	 f;
	struct message		*m = msg_new(text);

	msg_attach(m, "application/pdf", "surat.pdf", pdf, sizeof(pdf) - 1, 0);
	request_fields_parse(m->text, &f);
	request_check(&f, m, cert, sender, &limits, cookie, now_fixed, c);
	request_fields_clear(&f);
	msg_free(m);
	return c->problems;
}

/* The names of the problems set, for failure messages. */
static const char *
problems_str(unsigned int p, char *out, size_t outsz)
{
	static const char *const names[PROBLEM_COUNT] = {
		"NO_LETTER", "LETTER_TYPE", "LETTER_SIZE", "NO_CERTIFICATE",
		"SERIAL_INVALID", "DN_INVALID", "NO_REASON", "REASON_UNKNOWN",
		"LOSS_DATE_INVALID", "NIK_INVALID", "FIELDS_CONFLICT",
		"NOT_FOUND", "REVOKED", "EXPIRED", "USERNAME_MISMATCH",
		"DN_MISMATCH",
	};
	size_t	 i, n = 0;

	out[0] = '\0';
	for (i = 0; i < PROBLEM_COUNT; i++)
		if (p & BIT(i))
			n += (size_t)snprintf(out + n, n < outsz ? outsz - n : 0,
			    "%s ", names[i]);
	return out;
}

static void
expect_problems(unsigned int got, unsigned int want, const char *what)
{
	char	 g[256], w[256];

	if (got != want)
		fail_msg("%s: problems [%s], expected [%s]", what,
		    problems_str(got, g, sizeof(g)), problems_str(want, w, sizeof(w)));
}

/*
 * Fields.
 */

static void
test_fields_indonesian(void **state)
{
	struct request_fields	 f;

	request_fields_parse(good_text, &f);
	assert_string_equal(f.name, "Budi Santoso");
	assert_string_equal(f.nik, "3375012345678901");
	assert_true(f.nik_valid);
	assert_string_equal(f.username, "budi.s");
	assert_string_equal(f.serial_raw, "1A:2B:3C");
	assert_string_equal(f.serial, "1A2B3C");
	assert_true(f.serial_valid);
	assert_string_equal(f.subject_dn,
	    "CN=Budi Santoso, O=Pemerintah Kota Pekalongan, C=ID");
	assert_non_null(f.dn);
	assert_int_equal(f.reason, REASON_KEHILANGAN);
	assert_string_equal(f.reason_raw, "kehilangan sertifikat");
	assert_string_equal(f.loss_date_raw, "17-08-2025");
	assert_true(f.loss_date_valid);
	assert_int_equal(f.loss_date, day_utc(2025, 8, 17) - WIB);
	assert_false(f.conflicting);
	request_fields_clear(&f);
	assert_null(f.name);
	assert_null(f.dn);
}

static void
test_fields_english(void **state)
{
	struct request_fields	 f;

	request_fields_parse(
	    "Dear operator,\n"
	    "Name: Siti Aminah\n"
	    "User name: siti\n"
	    "Serial Number: 0x00ff01\n"
	    "Reason: Forgot passphrase.\n"
	    "Lost on: 5 January 2026\n", &f);
	assert_string_equal(f.name, "Siti Aminah");
	assert_string_equal(f.username, "siti");
	assert_string_equal(f.serial, "FF01");
	assert_int_equal(f.reason, REASON_LUPA_PASSPHRASE);
	assert_true(f.loss_date_valid);
	assert_int_equal(f.loss_date, day_utc(2026, 1, 5) - WIB);
	assert_null(f.nik);
	assert_null(f.subject_dn);
	assert_null(f.dn);
	request_fields_clear(&f);

	/* Every label of the table, one field at a time. */
	static const struct {
		const char	*line;
		size_t		 off;	/* offsetof the char * expected set */
	} lines[] = {
		{ "Nama: X", offsetof(struct request_fields, name) },
		{ "Name: X", offsetof(struct request_fields, name) },
		{ "NIK: X", offsetof(struct request_fields, nik) },
		{ "Username: X", offsetof(struct request_fields, username) },
		{ "Username AMS: X", offsetof(struct request_fields, username) },
		{ "User name: X", offsetof(struct request_fields, username) },
		{ "Nomor Seri: X", offsetof(struct request_fields, serial_raw) },
		{ "No Seri: X", offsetof(struct request_fields, serial_raw) },
		{ "No. Seri: X", offsetof(struct request_fields, serial_raw) },
		{ "Serial: X", offsetof(struct request_fields, serial_raw) },
		{ "Serial Number: X", offsetof(struct request_fields, serial_raw) },
		{ "Nomor Serial: X", offsetof(struct request_fields, serial_raw) },
		{ "Subject DN: X", offsetof(struct request_fields, subject_dn) },
		{ "Subjek DN: X", offsetof(struct request_fields, subject_dn) },
		{ "DN: X", offsetof(struct request_fields, subject_dn) },
		{ "Alasan: X", offsetof(struct request_fields, reason_raw) },
		{ "Reason: X", offsetof(struct request_fields, reason_raw) },
		{ "Alasan Pencabutan: X", offsetof(struct request_fields, reason_raw) },
		{ "Tanggal hilang: X", offsetof(struct request_fields, loss_date_raw) },
		{ "Tanggal Kehilangan: X", offsetof(struct request_fields, loss_date_raw) },
		{ "Lost on: X", offsetof(struct request_fields, loss_date_raw) },
		{ "Lost date: X", offsetof(struct request_fields, loss_date_raw) },
		{ "Date lost: X", offsetof(struct request_fields, loss_date_raw) },
	};
	size_t	 i;

	for (i = 0; i < NELEM(lines); i++) {
		char	**slot;

		request_fields_parse(lines[i].line, &f);
		slot = (char **)(void *)((char *)&f + lines[i].off);
		if (*slot == NULL || strcmp(*slot, "X") != 0)
			fail_msg("'%s' not read", lines[i].line);
		request_fields_clear(&f);
	}
}

static void
test_fields_layout(void **state)
{
	struct request_fields	 f;

	/* Case, bullets, extra spaces, "=" and the full-width colon. */
	request_fields_parse(
	    "  - NAMA   :   Budi   Santoso  \n"
	    "* nik = 3375 0123 4567 8901\n"
	    "\xe2\x80\xa2 Username   AMS : budi.s\n"
	    "1. nomor  SERI: 1a 2b 3c\n"
	    "2) subjek dn=/C=ID/O=Pemerintah Kota Pekalongan/CN=Budi Santoso\n"
	    "\xc2\xb7 ALASAN\xef\xbc\x9alupa passphrase\n"
	    "(3) Tanggal Kehilangan : 2025-08-17\n", &f);
	assert_string_equal(f.name, "Budi   Santoso");
	assert_string_equal(f.nik, "3375 0123 4567 8901");
	assert_true(f.nik_valid);
	assert_string_equal(f.username, "budi.s");
	assert_string_equal(f.serial, "1A2B3C");
	assert_non_null(f.dn);
	assert_int_equal(f.reason, REASON_LUPA_PASSPHRASE);
	assert_int_equal(f.loss_date, day_utc(2025, 8, 17) - WIB);
	assert_false(f.conflicting);
	request_fields_clear(&f);

	/* Lines that only look like fields. */
	request_fields_parse(
	    "Dengan hormat: saya mohon sertifikat dicabut\n"
	    "Subject: Permohonan pencabutan\n"
	    "Nama saya Budi: pegawai Dinas Kominfo\n"
	    "CN=Budi Santoso\n"
	    "https://ams.bsre.id/login\n", &f);
	assert_null(f.name);
	assert_null(f.subject_dn);
	assert_null(f.reason_raw);
	request_fields_clear(&f);
}

static void
test_fields_html_leftovers(void **state)
{
	struct request_fields	 f;

	request_fields_parse(
	    "Nama:&nbsp;Budi&nbsp;Santoso\r\n"
	    "Nomor\xc2\xa0Seri\xc2\xa0:\xc2\xa0" "1A:2B:3C\r\n"
	    "\xe2\x80\x8b" "Alasan\t:\tperubahan data\r\n"
	    "*Username:* budi.s\r\n"
	    "**Nama Lengkap:** Budi Santoso\r\n"
	    "NIK\n"
	    "\n"
	    ": 3375012345678901\n"
	    "Tanggal hilang: \x01" "17-08-2025\x7f\n", &f);
	assert_string_equal(f.name, "Budi Santoso");
	assert_string_equal(f.serial, "1A2B3C");
	assert_int_equal(f.reason, REASON_PERUBAHAN_DATA);
	assert_string_equal(f.username, "budi.s");
	assert_non_null(f.nik);		/* a table cell per line */
	assert_string_equal(f.nik, "3375012345678901");
	assert_string_equal(f.loss_date_raw, "17-08-2025");	/* controls removed */
	assert_false(f.conflicting);	/* the bold "Nama Lengkap" is the same name */
	request_fields_clear(&f);
}

static void
test_fields_quoted_ignored(void **state)
{
	struct request_fields	 f;

	request_fields_parse(
	    "Alasan: perubahan data\n"
	    "> Alasan: lupa passphrase\n"
	    ">> Nomor Seri: FFFF\n", &f);
	assert_int_equal(f.reason, REASON_PERUBAHAN_DATA);
	assert_null(f.serial_raw);
	assert_false(f.conflicting);
	request_fields_clear(&f);
}

static void
test_fields_conflict(void **state)
{
	static const struct {
		const char	*text;
		int		 conflicting;
	} cases[] = {
		{ "Nomor Seri: 1A2B\nSerial: 3C4D\n", 1 },
		{ "Alasan: lupa passphrase\nReason: lost certificate\n", 1 },
		{ "Nama: Budi\nName: Siti\n", 1 },
		{ "Subject DN: CN=A, C=ID\nDN: CN=B, C=ID\n", 1 },
		/* The same value twice, however written, is fine. */
		{ "Nomor Seri: 1A:2B\nSerial: 1a2b\n", 0 },
		{ "Alasan: lupa passphrase\nReason: forgot passphrase\n", 0 },
		{ "Nama: Budi  Santoso\nName: budi santoso\n", 0 },
		{ "Subject DN: CN=A, C=ID\nDN: /C=ID/CN=A\n", 0 },
		{ "Tanggal hilang: 17-08-2025\nLost on: 17 August 2025\n", 0 },
		{ "NIK: 3375 0123 4567 8901\nNIK: 3375012345678901\n", 0 },
		/* An empty or placeholder value is no value. */
		{ "Nama:\nNama: Budi\n", 0 },
		{ "NIK: -\nNIK: 3375012345678901\n", 0 },
	};
	struct request_fields	 f;
	size_t			 i;

	for (i = 0; i < NELEM(cases); i++) {
		request_fields_parse(cases[i].text, &f);
		if (f.conflicting != cases[i].conflicting)
			fail_msg("case %zu: conflicting %d", i, f.conflicting);
		request_fields_clear(&f);
	}
	/* The first value stays. */
	request_fields_parse("Nomor Seri: 1A2B\nSerial: 3C4D\n", &f);
	assert_string_equal(f.serial, "1A2B");
	request_fields_clear(&f);
	/* A placeholder leaves the field absent. */
	request_fields_parse("NIK: -\nTanggal hilang: tidak tahu\n", &f);
	assert_null(f.nik);
	assert_null(f.loss_date_raw);
	request_fields_clear(&f);
}

static void
test_fields_bounds(void **state)
{
	struct request_fields	 f;
	struct buf		 b;
	char			*text;
	size_t			 i;

	/* A value is kept to 512 bytes, never cutting a UTF-8 character. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_addstr(&b, "Nama: "), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(buf_addstr(&b, "\xc3\xa9"), 0);	/* é */
	assert_int_equal(buf_addstr(&b, "\n"), 0);
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_non_null(f.name);
	assert_int_equal(strlen(f.name), 512);
	request_fields_clear(&f);
	free(text);

	/* A line cut at 1000 bytes is not cut inside a character. */
	buf_init(&b, 1 << 20);
	for (i = 0; i < 601; i++)
		assert_int_equal(buf_addstr(&b, " "), 0);
	assert_int_equal(buf_addstr(&b, "Nama: "), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(buf_addstr(&b, "\xc3\xa9"), 0);
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_non_null(f.name);
	assert_int_equal(strlen(f.name), 392);	/* 393 would split an é */
	request_fields_clear(&f);
	free(text);

	/* Past 1000 bytes a line is not read. */
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_addstr(&b, " "), 0);
	assert_int_equal(buf_addstr(&b, "Alasan: kehilangan\nNama: Budi\n"), 0);
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_null(f.reason_raw);
	assert_string_equal(f.name, "Budi");
	request_fields_clear(&f);
	free(text);
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000 - 20; i++)
		assert_int_equal(buf_addstr(&b, " "), 0);
	assert_int_equal(buf_addstr(&b, "Alasan: kehilangan\n"), 0);	/* 998 */
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_non_null(f.reason_raw);
	request_fields_clear(&f);
	free(text);

	/* Only the first 2000 lines are read. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_addstr(&b, "Nama: Budi\n"), 0);
	for (i = 1; i < 2000; i++)
		assert_int_equal(buf_addstr(&b, "\n"), 0);
	assert_int_equal(buf_addstr(&b, "Alasan: kehilangan\n"), 0);
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_string_equal(f.name, "Budi");
	assert_null(f.reason_raw);
	request_fields_clear(&f);
	free(text);
	buf_init(&b, 1 << 20);
	for (i = 1; i < 1999; i++)
		assert_int_equal(buf_addstr(&b, "\n"), 0);
	assert_int_equal(buf_addstr(&b, "Alasan: kehilangan\n"), 0);	/* line 1999 */
	text = buf_steal(&b);
	request_fields_parse(text, &f);
	assert_non_null(f.reason_raw);
	request_fields_clear(&f);
	free(text);

	/* NULL and empty text: nothing, and no crash. */
	request_fields_parse(NULL, &f);
	assert_null(f.name);
	request_fields_clear(&f);
	request_fields_parse("", &f);
	assert_null(f.serial_raw);
	request_fields_clear(&f);
}

/*
 * Serials.
 */

static void
test_serial(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: refused */
	} cases[] = {
		{ "1A2B3C", "1A2B3C" },
		{ "1a:2b:3c", "1A2B3C" },
		{ "1a 2b 3c", "1A2B3C" },
		{ "1A-2B-3C", "1A2B3C" },
		{ "0x1a2b3c", "1A2B3C" },
		{ "0X1A2B3C", "1A2B3C" },
		{ "  00:00:1A:2B  ", "1A2B" },
		{ "0", "0" },
		{ "00:00", "0" },
		{ "0x0", "0" },
		/* 20 octets, and 21 with a DER sign octet: fine. */
		{ "7F:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01",
		  "7F000000000000000000000000000000000000" "01" },
		{ "00:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF",
		  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" },
		/* 21 significant octets: too long. */
		{ "01:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF",
		  NULL },
		{ "1G2B", NULL },
		{ "12.34", NULL },
		{ "serial 1A", NULL },
		{ "", NULL },
		{ "0x", NULL },
		{ ": :", NULL },
		{ "\xc3\xa9", NULL },
	};
	char	*out;
	size_t	 i;
	int	 r;

	for (i = 0; i < NELEM(cases); i++) {
		r = request_serial_normalise(cases[i].in, &out);
		if (cases[i].out == NULL) {
			if (r != -1 || out != NULL)
				fail_msg("'%s' accepted as '%s'", cases[i].in,
				    out ? out : "(null)");
		} else if (r != 0 || out == NULL || strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' gave '%s', expected '%s'", cases[i].in,
			    out ? out : "(null)", cases[i].out);
		free(out);
	}

	/* In the fields: kept as written, marked invalid. */
	struct request_fields	 f;

	request_fields_parse("Nomor Seri: 12-XY-34\n", &f);
	assert_string_equal(f.serial_raw, "12-XY-34");
	assert_null(f.serial);
	assert_false(f.serial_valid);
	request_fields_clear(&f);
}

/*
 * Dates.
 */

static void
test_date_formats(void **state)
{
	const int64_t	 aug17 = day_utc(2025, 8, 17);
	const struct {
		const char	*in;
		int64_t		 t;
	} cases[] = {
		{ "17-08-2025", aug17 - WIB },
		{ "17/08/2025", aug17 - WIB },
		{ "2025-08-17", aug17 - WIB },
		{ "17 Agustus 2025", aug17 - WIB },
		{ "17 August 2025", aug17 - WIB },
		{ "17 agu 2025", aug17 - WIB },
		{ "17 Agt 2025", aug17 - WIB },
		{ "17 AGS 2025", aug17 - WIB },
		{ "17 Aug. 2025", aug17 - WIB },
		{ "7-8-2025", day_utc(2025, 8, 7) - WIB },
		{ "Senin, 17 Agustus 2025", aug17 - WIB },
		{ "August 17, 2025", aug17 - WIB },
		{ "17-08-2025 WIB", aug17 - WIB },
		{ "17-08-2025 WITA", aug17 - 8 * 3600 },
		{ "17-08-2025 WIT", aug17 - 9 * 3600 },
		{ "17-08-2025 UTC", aug17 },
		{ "17-08-2025 GMT", aug17 },
		{ "2025-08-17Z", aug17 },
		{ "17-08-2025 +0800", aug17 - 8 * 3600 },
		{ "17-08-2025 +08:00", aug17 - 8 * 3600 },
		{ "17-08-2025 -0500", aug17 + 5 * 3600 },
		{ "17-08-2025 UTC+7", aug17 - WIB },
		{ "17-08-2025 pukul 10.30 WIB", aug17 - WIB },
		{ "2025-08-17T10:30:00+07:00", aug17 - WIB },
		{ "17-08-2025.", aug17 - WIB },
		{ "29-02-2024", day_utc(2024, 2, 29) - WIB },
		{ "31-12-2100 UTC", day_utc(2100, 12, 31) },
		{ "1 Januari 1970 UTC", 0 },
	};
	/* Every month's name in both languages, full and short. */
	static const char *const names[12][8] = {
		{ "Januari", "January", "Jan", NULL },
		{ "Februari", "February", "Feb", "Pebruari", NULL },
		{ "Maret", "March", "Mar", NULL },
		{ "April", "Apr", NULL },
		{ "Mei", "May", NULL },
		{ "Juni", "June", "Jun", NULL },
		{ "Juli", "July", "Jul", NULL },
		{ "Agustus", "August", "Agu", "Agt", "Ags", "Aug", NULL },
		{ "September", "Sep", "Sept", NULL },
		{ "Oktober", "October", "Okt", "Oct", NULL },
		{ "November", "Nopember", "Nov", NULL },
		{ "Desember", "December", "Des", "Dec", NULL },
	};
	int64_t		 t;
	size_t		 i, j;
	char		*s;

	for (i = 0; i < NELEM(cases); i++) {
		if (request_date_parse(cases[i].in, &t) != 0)
			fail_msg("'%s' refused", cases[i].in);
		if (t != cases[i].t)
			fail_msg("'%s' = %lld, expected %lld", cases[i].in,
			    (long long)t, (long long)cases[i].t);
	}
	for (i = 0; i < 12; i++)
		for (j = 0; names[i][j] != NULL; j++) {
			s = xasprintf("3 %s 2025", names[i][j]);
			if (request_date_parse(s, &t) != 0 ||
			    t != day_utc(2025, (int)i + 1, 3) - WIB)
				fail_msg("'%s' not read as month %zu", s, i + 1);
			free(s);
		}
}

static void
test_date_invalid(void **state)
{
	static const char *const bad[] = {
		"29-02-2023",		/* not a leap year */
		"29-02-2100",		/* nor is 2100 */
		"31-04-2025",		/* April has 30 days */
		"32-01-2025",
		"00-01-2025",
		"15-13-2025",
		"15-00-2025",
		"17-08-1969",		/* before 1970 */
		"01-01-2101",		/* after 2100 */
		"17-08-25",		/* two-digit year */
		"17/08-2025",		/* mixed separators */
		"17 Augustus 2025",
		"17 Agustus",
		"kemarin",
		"yesterday",
		"17-08-2025 WIBX",
		"17-08-2025 +2500",
		"17-08-2025 lalu",
		"2025-08-17-01",
		"",
		"   ",
		"170-08-2025",
	};
	int64_t	 t;
	size_t	 i;

	for (i = 0; i < NELEM(bad); i++) {
		t = 42;
		if (request_date_parse(bad[i], &t) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(t, 0);
	}
	assert_int_equal(request_date_parse(NULL, &t), -1);
}

/*
 * Reasons.
 */

static void
test_reasons(void **state)
{
	static const struct {
		const char		*in;
		enum request_reason	 r;
	} cases[] = {
		{ "lupa passphrase", REASON_LUPA_PASSPHRASE },
		{ "Lupa Passphrase", REASON_LUPA_PASSPHRASE },
		{ "LUPA   PASSPHRASE.", REASON_LUPA_PASSPHRASE },
		{ "forgot passphrase", REASON_LUPA_PASSPHRASE },
		{ "lupa_passphrase", REASON_LUPA_PASSPHRASE },
		{ "perubahan data", REASON_PERUBAHAN_DATA },
		{ "Perubahan Data;", REASON_PERUBAHAN_DATA },
		{ "data change", REASON_PERUBAHAN_DATA },
		{ "data changed", REASON_PERUBAHAN_DATA },
		{ "perubahan_data", REASON_PERUBAHAN_DATA },
		{ "kehilangan sertifikat", REASON_KEHILANGAN },
		{ "Kehilangan Sertifikat Elektronik", REASON_KEHILANGAN },
		{ "c. kehilangan sertifikat elektronik.", REASON_KEHILANGAN },
		{ "kehilangan", REASON_KEHILANGAN },
		{ "lost certificate", REASON_KEHILANGAN },
		{ "\"lost certificate\"", REASON_KEHILANGAN },
		{ "Lost Certificate!", REASON_KEHILANGAN },
		{ "Kehilangan sertifikat (laptop dicuri)", REASON_KEHILANGAN },
		{ "lupa passphrase (tidak ingat)", REASON_LUPA_PASSPHRASE },
		{ "(kehilangan)", REASON_NONE },
		{ "hilang", REASON_NONE },
		{ "lupa password", REASON_NONE },
		{ "lupa", REASON_NONE },
		{ "passphrase", REASON_NONE },
		{ "keyCompromise", REASON_NONE },
		{ "saya lupa passphrase", REASON_NONE },
		{ "", REASON_NONE },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		if (request_reason_parse(cases[i].in) != cases[i].r)
			fail_msg("'%s' read as %d, expected %d", cases[i].in,
			    request_reason_parse(cases[i].in), cases[i].r);
	assert_int_equal(request_reason_parse(NULL), REASON_NONE);

	assert_int_equal(request_reason_code(REASON_KEHILANGAN), 1);
	assert_int_equal(request_reason_code(REASON_PERUBAHAN_DATA), 3);
	assert_int_equal(request_reason_code(REASON_LUPA_PASSPHRASE), 4);
	assert_string_equal(request_reason_name(REASON_KEHILANGAN), "kehilangan");
	assert_string_equal(request_reason_name(REASON_PERUBAHAN_DATA),
	    "perubahan_data");
	assert_string_equal(request_reason_name(REASON_LUPA_PASSPHRASE),
	    "lupa_passphrase");
	/* The names read back (cabutctl request add --reason NAME). */
	assert_int_equal(request_reason_parse(request_reason_name(REASON_KEHILANGAN)),
	    REASON_KEHILANGAN);
	assert_int_equal(request_reason_parse(request_reason_name(
	    REASON_PERUBAHAN_DATA)), REASON_PERUBAHAN_DATA);
	assert_int_equal(request_reason_parse(request_reason_name(
	    REASON_LUPA_PASSPHRASE)), REASON_LUPA_PASSPHRASE);
}

/*
 * Subject DNs.
 */

/* The name in ASN.1 order, OpenSSL's one-line form. */
static void
expect_oneline(const char *in, const char *want)
{
	X509_NAME	*n = request_dn_parse(in);
	char		 buf[1024];

	if (n == NULL)
		fail_msg("'%s' refused", in);
	X509_NAME_oneline(n, buf, sizeof(buf));
	X509_NAME_free(n);
	if (strcmp(buf, want) != 0)
		fail_msg("'%s' read as '%s', expected '%s'", in, buf, want);
}

static void
test_dn_parse(void **state)
{
	expect_oneline("CN=Budi Santoso, O=Pemerintah Kota Pekalongan, C=ID",
	    "/C=ID/O=Pemerintah Kota Pekalongan/CN=Budi Santoso");
	expect_oneline("/C=ID/O=Pemerintah Kota Pekalongan/CN=Budi Santoso",
	    "/C=ID/O=Pemerintah Kota Pekalongan/CN=Budi Santoso");
	expect_oneline("cn=Budi,o=Pemkot,c=ID", "/C=ID/O=Pemkot/CN=Budi");
	expect_oneline("CN = Budi ;  O = Pemkot", "/O=Pemkot/CN=Budi");
	/* Escapes and quotes. */
	expect_oneline("CN=Santoso\\, Budi, O=Pemkot, C=ID",
	    "/C=ID/O=Pemkot/CN=Santoso, Budi");
	expect_oneline("CN=\"Santoso, Budi\", C=ID", "/C=ID/CN=Santoso, Budi");
	/* (X509_NAME_oneline shows a '+' in a value as "\\+".) */
	expect_oneline("CN=A\\+B\\=C\\\\D\\\"E, C=ID", "/C=ID/CN=A\\+B=C\\D\"E");
	expect_oneline("CN=\\ lead, C=ID", "/C=ID/CN= lead");
	expect_oneline("CN=Ren\\C3\\A9, C=ID", "/C=ID/CN=Ren\\xC3\\xA9");
	/* A comma a person did not escape, with no attribute after it. */
	expect_oneline("O=Pemkot Pekalongan, Jawa Tengah, C=ID",
	    "/C=ID/O=Pemkot Pekalongan, Jawa Tengah");
	expect_oneline("/O=Dinas Kominfo/Persandian/CN=Budi",
	    "/O=Dinas Kominfo\\/Persandian/CN=Budi");
	/* Attribute names in any case, E, and OIDs. */
	expect_oneline("E=budi@example.go.id, CN=Budi",
	    "/CN=Budi/emailAddress=budi@example.go.id");
	expect_oneline("emailaddress=budi@example.go.id, SerialNumber=123, "
	    "UID=budi, dc=go, DC=id, ou=TI, L=Pekalongan, st=Jawa Tengah",
	    "/ST=Jawa Tengah/L=Pekalongan/OU=TI/DC=id/DC=go/UID=budi/"
	    "serialNumber=123/emailAddress=budi@example.go.id");
	expect_oneline("2.5.4.3=Budi, OID.2.5.4.6=ID", "/C=ID/CN=Budi");
	/* A value as DER (how OpenSSL prints types it cannot show). */
	expect_oneline("CN=#0C0442756469, C=ID", "/C=ID/CN=Budi");
	/* A multi-valued RDN stays one RDN. */
	expect_oneline("CN=Budi+UID=budi, C=ID", "/C=ID/CN=Budi+UID=budi");

	static const char *const bad[] = {
		"",
		"Budi Santoso",
		"CN=",				/* empty commonName */
		"C=Indonesia",			/* countryName is two letters */
		"XX=foo, CN=Budi",		/* unknown attribute */
		"CN=Budi,",			/* trailing separator */
		"CN=\"Budi",			/* unterminated quote */
		"CN=Budi\\",			/* dangling escape */
		"CN=A\\00B",			/* NUL */
		"CN=\\C3",			/* not UTF-8 */
		"E=b\xc3\xa9@example.id",	/* emailAddress is IA5 */
		"=Budi",
		"CN Budi",
		"CN=#0201",			/* DER, but an INTEGER */
		"CN=#0C044275646900",		/* DER with bytes after it */
		"CN=#0C04427564",		/* DER cut short */
		"CN=#0C04526961E6",		/* a UTF8String that is not UTF-8 (found by fuzzing) */
		"CN=#zz",
	};
	size_t		 i;
	X509_NAME	*n;
	struct buf	 b;
	char		*s;

	for (i = 0; i < NELEM(bad); i++)
		if ((n = request_dn_parse(bad[i])) != NULL) {
			X509_NAME_free(n);
			fail_msg("'%s' accepted", bad[i]);
		}
	assert_null(request_dn_parse(NULL));

	/* At most 32 RDNs. */
	buf_init(&b, 4096);
	for (i = 0; i < 32; i++)
		assert_int_equal(buf_printf(&b, "%sOU=u%zu", i ? "," : "", i), 0);
	s = buf_steal(&b);
	n = request_dn_parse(s);
	assert_non_null(n);
	assert_int_equal(X509_NAME_entry_count(n), 32);
	X509_NAME_free(n);
	free(s);
	buf_init(&b, 4096);
	for (i = 0; i < 33; i++)
		assert_int_equal(buf_printf(&b, "%sOU=u%zu", i ? "," : "", i), 0);
	s = buf_steal(&b);
	assert_null(request_dn_parse(s));
	free(s);
	/* At most 1024 bytes. */
	buf_init(&b, 4096);
	assert_int_equal(buf_addstr(&b, "CN=a"), 0);
	for (i = 0; i < 1024 - 4 - 5; i++)
		assert_int_equal(buf_addstr(&b, " "), 0);
	assert_int_equal(buf_addstr(&b, ",C=ID"), 0);
	s = buf_steal(&b);
	assert_int_equal(strlen(s), 1024);
	n = request_dn_parse(s);
	assert_non_null(n);
	X509_NAME_free(n);
	free(s);
	buf_init(&b, 4096);
	assert_int_equal(buf_addstr(&b, "CN=a"), 0);
	for (i = 0; i < 1024 - 4 - 5 + 1; i++)
		assert_int_equal(buf_addstr(&b, " "), 0);
	assert_int_equal(buf_addstr(&b, ",C=ID"), 0);
	s = buf_steal(&b);
	assert_null(request_dn_parse(s));	/* 1025 bytes */
	free(s);
}

/* The registry keeps subjects as OpenSSL prints them (RFC 2253 with
 * escapes; non-ASCII as "\\C3\\A9" or as UTF-8, registry.c uses the
 * latter): they read back as the same name. */
static void
test_dn_registry_roundtrip(void **state)
{
	static const char *const subjects[] = {
		"CN=Budi Santoso, O=Pemerintah Kota Pekalongan, C=ID",
		"CN=Santoso\\, Budi, OU=Dinas Komunikasi\\, Informatika, O=Pemkot, C=ID",
		"CN=Ren\xc3\xa9 \"Ucok\" #1 <x>;y=z, O=A+B, C=ID",
		"CN=Budi+UID=budi, DC=pekalongankota, DC=go, DC=id",
		"E=budi@example.go.id, CN=Budi, 2.5.4.97=VATID-123, C=ID",
	};
	static const unsigned long	 flags[] = {
		XN_FLAG_RFC2253, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB,
	};
	X509_NAME	*orig, *back;
	BIO		*bio;
	char		*text;
	long		 len;
	size_t		 i, j;

	for (i = 0; i < NELEM(subjects) * NELEM(flags); i++) {
		j = i % NELEM(flags);
		orig = request_dn_parse(subjects[i / NELEM(flags)]);
		if (orig == NULL)
			fail_msg("'%s' refused", subjects[i / NELEM(flags)]);
		bio = BIO_new(BIO_s_mem());
		assert_non_null(bio);
		assert_true(X509_NAME_print_ex(bio, orig, 0, flags[j]) >= 0);
		assert_int_equal(BIO_write(bio, "", 1), 1);
		len = BIO_get_mem_data(bio, &text);
		assert_true(len > 0);
		back = request_dn_parse(text);
		if (back == NULL || X509_NAME_cmp(orig, back) != 0)
			fail_msg("'%s' printed as '%s' does not read back",
			    subjects[i / NELEM(flags)], text);
		X509_NAME_free(back);
		X509_NAME_free(orig);
		BIO_free(bio);
	}
}

static void
test_dn_match(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 match;
	} cases[] = {
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "CN=Budi Santoso, O=Pemkot, C=ID", 1 },
		/* The other RDN order, and the slash form. */
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "C=ID, O=Pemkot, CN=Budi Santoso", 1 },
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "/C=ID/O=Pemkot/CN=Budi Santoso", 1 },
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "/CN=Budi Santoso/O=Pemkot/C=ID", 1 },
		/* As names: case and runs of spaces do not count. */
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "cn=BUDI  SANTOSO,o=pemkot,c=id", 1 },
		{ "CN=Budi+UID=budi, C=ID", "C=ID, CN=Budi+UID=budi", 1 },
		{ "CN=Santoso\\, Budi, C=ID", "CN=\"Santoso, Budi\", C=ID", 1 },
		/* Not the same. */
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "CN=Budi Santosa, O=Pemkot, C=ID", 0 },
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "CN=Budi Santoso, C=ID", 0 },
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "CN=Budi Santoso, O=Pemkot, C=ID, "
		  "OU=TI", 0 },
		{ "CN=Budi Santoso, O=Pemkot, C=ID", "O=Budi Santoso, CN=Pemkot, C=ID", 0 },
		/* A shuffle is not a reversal. */
		{ "CN=A, O=B, C=ID", "O=B, CN=A, C=ID", 0 },
	};
	X509_NAME	*a, *b;
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		a = request_dn_parse(cases[i].a);
		b = request_dn_parse(cases[i].b);
		assert_non_null(a);
		assert_non_null(b);
		if (request_dn_match(a, b) != cases[i].match ||
		    request_dn_match(b, a) != cases[i].match)
			fail_msg("'%s' vs '%s': expected %d", cases[i].a,
			    cases[i].b, cases[i].match);
		X509_NAME_free(a);
		X509_NAME_free(b);
	}
	a = request_dn_parse("CN=A");
	assert_int_equal(request_dn_match(a, NULL), 0);
	assert_int_equal(request_dn_match(NULL, a), 0);
	X509_NAME_free(a);
}

/*
 * The checks.
 */

static void
test_check_good(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;

	cert_good(&cert);
	expect_problems(check_text(good_text, &cert, SENDER, &c), 0, "good");
	assert_int_equal(c.nletters, 1);
	assert_int_equal(c.letters[0].attachment, 0);
	assert_string_equal(c.letters[0].type, "application/pdf");
	assert_null(c.bad_types);
	assert_int_equal(c.reason_code, 1);
	assert_int_equal(c.invalidity_date, day_utc(2025, 8, 17) - WIB);
	request_check_clear(&c);

	/* The sender's case does not matter; only a serial, or only a DN. */
	expect_problems(check_text(good_text, &cert, "Budi@PekalonganKota.go.id",
	    &c), 0, "sender case");
	request_check_clear(&c);
	expect_problems(check_text("Serial: 1a2b3c\nReason: data change\n",
	    &cert, SENDER, &c), 0, "serial only");
	assert_int_equal(c.reason_code, 3);
	assert_int_equal(c.invalidity_date, 0);
	request_check_clear(&c);
	expect_problems(check_text("Subject DN: /C=ID/O=Pemerintah Kota "
	    "Pekalongan/CN=Budi Santoso\nAlasan: lupa passphrase\n", &cert,
	    SENDER, &c), 0, "DN only");
	assert_int_equal(c.reason_code, 4);
	request_check_clear(&c);
}

/* text with its "label:" line replaced by with (dropped when with is
 * ""); owned. */
static char *
text_with(const char *text, const char *label, const char *with)
{
	struct buf	 b;
	const char	*p, *nl;
	size_t		 ll = strlen(label);

	buf_init(&b, 1 << 16);
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (strncmp(p, label, ll) == 0 && p[ll] == ':') {
			if (*with != '\0') {
				assert_int_equal(buf_addstr(&b, with), 0);
				assert_int_equal(buf_addstr(&b, "\n"), 0);
			}
			continue;
		}
		assert_int_equal(buf_add(&b, p, (size_t)(nl - p) + 1), 0);
	}
	return buf_steal(&b);
}

static char *
good_with(const char *label, const char *with)
{
	return text_with(good_text, label, with);
}

static void
test_check_each_problem(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;
	char			*text, *t2;
	size_t			 i;
	const struct {
		const char		*label, *with;
		enum request_problem	 p;
	} cases[] = {
		{ "Nomor Seri", "Nomor Seri: 1A:2B:XX", PROBLEM_SERIAL_INVALID },
		{ "Subject DN", "Subject DN: Budi Santoso dari Pemkot",
		  PROBLEM_DN_INVALID },
		{ "Alasan", "", PROBLEM_NO_REASON },
		{ "Alasan", "Alasan: pindah tugas", PROBLEM_REASON_UNKNOWN },
		{ "Tanggal hilang", "Tanggal hilang: minggu lalu",
		  PROBLEM_LOSS_DATE_INVALID },
		{ "Tanggal hilang", "Tanggal hilang: 17-08-2026",
		  PROBLEM_LOSS_DATE_INVALID },			/* the future */
		{ "NIK", "NIK: 337501234567890", PROBLEM_NIK_INVALID },
		{ "NIK", "NIK: 33750123456789012", PROBLEM_NIK_INVALID },
		{ "NIK", "NIK: 337501234567890X", PROBLEM_NIK_INVALID },
		{ "Nama", "Nama: Budi Santoso\nName: Siti Aminah",
		  PROBLEM_FIELDS_CONFLICT },
		{ "Username", "Username: budi.santoso", PROBLEM_USERNAME_MISMATCH },
		{ "Subject DN", "Subject DN: CN=Siti Aminah, O=Pemerintah Kota "
		  "Pekalongan, C=ID", PROBLEM_DN_MISMATCH },
	};

	cert_good(&cert);
	for (i = 0; i < NELEM(cases); i++) {
		text = good_with(cases[i].label, cases[i].with);
		expect_problems(check_text(text, &cert, SENDER, &c),
		    BIT(cases[i].p), cases[i].with);
		request_check_clear(&c);
		free(text);
	}

	/* Neither serial nor DN. */
	text = good_with("Nomor Seri", "");
	t2 = text_with(text, "Subject DN", "");
	free(text);
	text = t2;
	expect_problems(check_text(text, &cert, SENDER, &c),
	    BIT(PROBLEM_NO_CERTIFICATE), "no certificate");
	request_check_clear(&c);
	free(text);

	/* Not in the registry. */
	expect_problems(check_text(good_text, NULL, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "not found");
	request_check_clear(&c);

	/* Revoked, expired: the sender's own certificate. */
	cert.revoked = day_utc(2025, 12, 1);
	cert.revocation_reason = 4;
	expect_problems(check_text(good_text, &cert, SENDER, &c),
	    BIT(PROBLEM_REVOKED), "revoked");
	request_check_clear(&c);
	cert_good(&cert);
	cert.not_after = now_fixed - 1;
	expect_problems(check_text(good_text, &cert, SENDER, &c),
	    BIT(PROBLEM_EXPIRED), "expired");
	request_check_clear(&c);
	cert_good(&cert);

	/* A loss date is read only for kehilangan. */
	text = good_with("Alasan", "Alasan: perubahan data");
	t2 = text_with(text, "Tanggal hilang", "Tanggal hilang: kemarin");
	free(text);
	text = t2;
	expect_problems(check_text(text, &cert, SENDER, &c), 0,
	    "loss date with perubahan data");
	assert_int_equal(c.invalidity_date, 0);
	request_check_clear(&c);
	free(text);
}

static void
test_check_all_at_once(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;
	struct request_fields	 f;
	struct message		*m;

	m = msg_new(
	    "Nama: Budi\n"
	    "Name: Siti\n"
	    "NIK: 12345\n"
	    "Nomor Seri: XYZ\n"
	    "Subject DN: Budi dari Pemkot\n"
	    "Alasan: dipecat\n");
	msg_attach(m, "application/zip", "surat.zip", zip, sizeof(zip), 0);
	msg_attach(m, "application/pdf", "besar.pdf", pdf, sizeof(pdf) - 1, 0);
	request_fields_parse(m->text, &f);
	cert_good(&cert);
	{
		struct request_limits	 small = limits;

		small.max_attachment_size = 16;
		request_check(&f, m, &cert, SENDER, &small, cookie, now_fixed, &c);
	}
	expect_problems(c.problems,
	    BIT(PROBLEM_LETTER_TYPE) | BIT(PROBLEM_LETTER_SIZE) |
	    BIT(PROBLEM_SERIAL_INVALID) | BIT(PROBLEM_DN_INVALID) |
	    BIT(PROBLEM_REASON_UNKNOWN) | BIT(PROBLEM_NIK_INVALID) |
	    BIT(PROBLEM_FIELDS_CONFLICT), "all at once");
	assert_string_equal(c.bad_types, "application/zip");
	request_check_clear(&c);
	request_fields_clear(&f);
	msg_free(m);

	/* And with nothing at all. */
	m = msg_new("Mohon dicabut.\n");
	request_fields_parse(m->text, &f);
	request_check(&f, m, NULL, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, BIT(PROBLEM_NO_LETTER) |
	    BIT(PROBLEM_NO_CERTIFICATE) | BIT(PROBLEM_NO_REASON), "empty");
	request_check_clear(&c);
	request_fields_clear(&f);
	msg_free(m);
}

static void
test_check_foreign_cert(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;
	char			*text, *t2;

	/* Revoked, expired, another username and another DN: none of it may
	 * show to someone the certificate is not registered to. */
	cert_good(&cert);
	cert.email = other_email;
	cert.revoked = day_utc(2025, 12, 1);
	cert.not_after = now_fixed - DAY;
	cert.username = other_username;
	cert.subject_dn = other_subject;
	expect_problems(check_text(good_text, &cert, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "someone else's certificate");
	request_check_clear(&c);

	/* The same answer as for a certificate that does not exist. */
	expect_problems(check_text(good_text, NULL, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "no certificate");
	request_check_clear(&c);

	/* A certificate with no address in the registry, or no sender. */
	cert_good(&cert);
	cert.email = NULL;
	cert.revoked = 1;
	expect_problems(check_text(good_text, &cert, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "no registered address");
	request_check_clear(&c);
	cert_good(&cert);
	cert.revoked = 1;
	expect_problems(check_text(good_text, &cert, NULL, &c),
	    BIT(PROBLEM_NOT_FOUND), "no sender");
	request_check_clear(&c);

	/* Its notBefore does not leak into the invalidity date either. */
	cert_good(&cert);
	cert.email = other_email;
	cert.not_before = day_utc(2025, 12, 1);
	expect_problems(check_text(good_text, &cert, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "foreign, invalidity date");
	assert_int_equal(c.invalidity_date, day_utc(2025, 8, 17) - WIB);
	request_check_clear(&c);

	/* No usable serial or DN: no look-up answer at all. */
	cert_good(&cert);
	text = good_with("Nomor Seri", "Nomor Seri: QQ");
	t2 = text_with(text, "Subject DN", "");
	free(text);
	text = t2;
	expect_problems(check_text(text, NULL, SENDER, &c),
	    BIT(PROBLEM_SERIAL_INVALID), "unusable serial");
	request_check_clear(&c);
	free(text);
}

static void
test_check_letters(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;
	struct request_fields	 f;
	struct message		*m;
	char			*want;
	const char		*t;

	cert_good(&cert);
	request_fields_parse(good_text, &f);

	/* An inline logo the HTML shows is not a letter. */
	m = msg_new(good_text);
	msg_attach(m, "image/png", "logo.png", png, sizeof(png), 1);
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, BIT(PROBLEM_NO_LETTER), "logo only");
	assert_int_equal(c.nletters, 0);
	request_check_clear(&c);
	msg_attach(m, "application/pdf", "surat.pdf", pdf, sizeof(pdf) - 1, 0);
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, 0, "logo and letter");
	assert_int_equal(c.nletters, 1);
	assert_int_equal(c.letters[0].attachment, 1);
	request_check_clear(&c);
	msg_free(m);

	/* The content decides, not the declared type or the name. */
	m = msg_new(good_text);
	msg_attach(m, "application/octet-stream", "surat.txt", pdf,
	    sizeof(pdf) - 1, 0);
	msg_attach(m, "text/plain", "halaman2.doc", jpeg, sizeof(jpeg), 0);
	msg_attach(m, "application/pdf", "halaman3.pdf", png, sizeof(png), 0);
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, 0, "letter pages by content");
	assert_int_equal(c.nletters, 3);
	assert_string_equal(c.letters[0].type, "application/pdf");
	assert_string_equal(c.letters[1].type, "image/jpeg");
	assert_string_equal(c.letters[2].type, "image/png");
	request_check_clear(&c);
	msg_free(m);

	/* An S/MIME signature and a piece of body text are not letters. */
	m = msg_new(good_text);
	msg_attach(m, "application/pdf", "surat.pdf", pdf, sizeof(pdf) - 1, 0);
	msg_attach(m, "application/pkcs7-signature", "smime.p7s", zip,
	    sizeof(zip), 0);
	msg_attach(m, "text/plain", NULL, text_att, sizeof(text_att) - 1, 0);
	m->attachments[2].disposition = DISPOSITION_NONE;
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, 0, "signature and body piece");
	assert_int_equal(c.nletters, 1);
	request_check_clear(&c);
	msg_free(m);

	/* A PDF dressed as a ZIP is fine; a ZIP dressed as a PDF is not. */
	m = msg_new(good_text);
	msg_attach(m, "application/pdf", "surat.pdf", zip, sizeof(zip), 0);
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, BIT(PROBLEM_LETTER_TYPE), "zip as pdf");
	assert_string_equal(c.bad_types, "application/zip");
	assert_int_equal(c.nletters, 0);
	request_check_clear(&c);
	msg_free(m);

	/* An executable, a text file: refused, their types listed once. */
	m = msg_new(good_text);
	msg_attach(m, "application/pdf", "surat.pdf", pdf, sizeof(pdf) - 1, 0);
	msg_attach(m, "image/jpeg", "foto.jpg", exe, sizeof(exe), 0);
	msg_attach(m, "text/plain", "catatan.txt", text_att,
	    sizeof(text_att) - 1, 0);
	msg_attach(m, "text/plain", "catatan2.txt", text_att,
	    sizeof(text_att) - 1, 0);
	request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
	expect_problems(c.problems, BIT(PROBLEM_LETTER_TYPE), "exe and text");
	t = magic_buffer(cookie, exe, sizeof(exe));
	assert_non_null(t);
	assert_string_not_equal(t, "application/pdf");
	want = xasprintf("%s, text/plain", t);
	assert_string_equal(c.bad_types, want);
	free(want);
	assert_int_equal(c.nletters, 1);
	request_check_clear(&c);
	msg_free(m);

	/* Size: at the limit fine, one byte over not. */
	m = msg_new(good_text);
	msg_attach(m, "application/pdf", "surat.pdf", pdf, sizeof(pdf) - 1, 0);
	{
		struct request_limits	 lim = limits;

		lim.max_attachment_size = sizeof(pdf) - 1;
		request_check(&f, m, &cert, SENDER, &lim, cookie, now_fixed, &c);
		expect_problems(c.problems, 0, "at the size limit");
		request_check_clear(&c);
		lim.max_attachment_size = sizeof(pdf) - 2;
		request_check(&f, m, &cert, SENDER, &lim, cookie, now_fixed, &c);
		expect_problems(c.problems, BIT(PROBLEM_LETTER_SIZE), "over");
		request_check_clear(&c);
	}
	msg_free(m);

	/* More pages than a request carries. */
	{
		size_t	 i;

		m = msg_new(good_text);
		for (i = 0; i < 16; i++)
			msg_attach(m, "image/png", "hal.png", png, sizeof(png), 0);
		request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
		expect_problems(c.problems, 0, "16 pages");
		assert_int_equal(c.nletters, 16);
		request_check_clear(&c);
		msg_attach(m, "image/png", "hal.png", png, sizeof(png), 0);
		request_check(&f, m, &cert, SENDER, &limits, cookie, now_fixed, &c);
		expect_problems(c.problems, BIT(PROBLEM_LETTER_SIZE), "17 pages");
		request_check_clear(&c);
		msg_free(m);
	}
	request_fields_clear(&f);
}

static void
test_check_invalidity_date(void **state)
{
	struct registry_cert	 cert;
	struct request_check	 c;
	char			*text;

	cert_good(&cert);

	/* Before notBefore: notBefore. */
	text = good_with("Tanggal hilang", "Tanggal hilang: 1 Desember 2024");
	expect_problems(check_text(text, &cert, SENDER, &c), 0, "before notBefore");
	assert_int_equal(c.invalidity_date, cert.not_before);
	request_check_clear(&c);
	free(text);

	/* No loss date: the request's time. */
	text = good_with("Tanggal hilang", "");
	expect_problems(check_text(text, &cert, SENDER, &c), 0, "no loss date");
	assert_int_equal(c.invalidity_date, now_fixed);
	request_check_clear(&c);
	free(text);

	/* Today in WITA is already past midnight UTC-wise; tomorrow lies
	 * within the slack but never after now. */
	text = good_with("Tanggal hilang", "Tanggal hilang: 16-01-2026");
	expect_problems(check_text(text, &cert, SENDER, &c), 0, "tomorrow");
	assert_int_equal(c.invalidity_date, now_fixed);
	request_check_clear(&c);
	free(text);
	text = good_with("Tanggal hilang", "Tanggal hilang: 17-01-2026");
	expect_problems(check_text(text, &cert, SENDER, &c),
	    BIT(PROBLEM_LOSS_DATE_INVALID), "the day after tomorrow");
	assert_int_equal(c.invalidity_date, now_fixed);
	request_check_clear(&c);
	free(text);

	/* Unknown certificate: the loss date, unclamped below. */
	text = good_with("Tanggal hilang", "Tanggal hilang: 1 Desember 2024");
	expect_problems(check_text(text, NULL, SENDER, &c),
	    BIT(PROBLEM_NOT_FOUND), "unknown certificate");
	assert_int_equal(c.invalidity_date, day_utc(2024, 12, 1) - WIB);
	request_check_clear(&c);
	free(text);
}

static void
test_problem_texts(void **state)
{
	const char	*id, *en, *other;
	size_t		 i, j;

	for (i = 0; i < PROBLEM_COUNT; i++) {
		id = request_problem_text((enum request_problem)i, "id");
		en = request_problem_text((enum request_problem)i, "en");
		assert_non_null(id);
		assert_non_null(en);
		if (strlen(id) < 40 || strlen(en) < 40)
			fail_msg("problem %zu: text too short", i);
		assert_string_not_equal(id, en);
		/* One line, no format directives, no template variables. */
		assert_null(strchr(id, '\n'));
		assert_null(strchr(en, '\n'));
		assert_null(strchr(id, '%'));
		assert_null(strchr(en, '{'));
		/* Every problem says something of its own. */
		for (j = 0; j < i; j++) {
			other = request_problem_text((enum request_problem)j, "id");
			assert_string_not_equal(id, other);
		}
		/* The answer goes to a person: say what to do. */
		if (strstr(id, "Mohon") == NULL && strstr(id, "silakan") == NULL)
			fail_msg("problem %zu: the Indonesian text asks nothing", i);
		if (strstr(en, "Please") == NULL && strstr(en, "please") == NULL)
			fail_msg("problem %zu: the English text asks nothing", i);
	}
	/* Indonesian unless English is asked for. */
	assert_string_equal(request_problem_text(PROBLEM_NO_LETTER, NULL),
	    request_problem_text(PROBLEM_NO_LETTER, "id"));
	assert_string_equal(request_problem_text(PROBLEM_NO_LETTER, "fr"),
	    request_problem_text(PROBLEM_NO_LETTER, "id"));
	assert_non_null(strstr(request_problem_text(PROBLEM_NOT_FOUND, "id"),
	    "terdaftar atas alamat surel Bapak/Ibu"));
	assert_non_null(strstr(request_problem_text(PROBLEM_NO_LETTER, "en"),
	    "PDF, JPEG or PNG"));
	assert_non_null(request_problem_text(PROBLEM_COUNT, "id"));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_fields_indonesian),
		cmocka_unit_test(test_fields_english),
		cmocka_unit_test(test_fields_layout),
		cmocka_unit_test(test_fields_html_leftovers),
		cmocka_unit_test(test_fields_quoted_ignored),
		cmocka_unit_test(test_fields_conflict),
		cmocka_unit_test(test_fields_bounds),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_date_formats),
		cmocka_unit_test(test_date_invalid),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_dn_parse),
		cmocka_unit_test(test_dn_registry_roundtrip),
		cmocka_unit_test(test_dn_match),
		cmocka_unit_test(test_check_good),
		cmocka_unit_test(test_check_each_problem),
		cmocka_unit_test(test_check_all_at_once),
		cmocka_unit_test(test_check_foreign_cert),
		cmocka_unit_test(test_check_letters),
		cmocka_unit_test(test_check_invalidity_date),
		cmocka_unit_test(test_problem_texts),
	};

	return cmocka_run_group_tests_name("request", tests, setup, teardown);
}
