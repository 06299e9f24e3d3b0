/* The request mail's form: the Label: value fields an applicant writes,
 * their values (serial, date, reason, Subject DN) and the SOP step-5
 * checks, every problem gathered in one pass (see request.h). */
#include "autoconf.h"
#include "request.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#define FIELDS_MAX_LINES	2000	/* lines of body text read */
#define FIELDS_MAX_LINE		1000	/* bytes of a line considered */
#define FIELD_MAX_VALUE		512	/* bytes of a value kept */
#define LABEL_MAX		64	/* bytes of a normalised label */
#define DATE_MAX		128
#define REASON_MAX		64
#define SERIAL_MAX_DIGITS	40	/* RFC 5280: at most 20 octets */
#define SERIAL_MAX_INPUT	1024
#define DN_MAX_TEXT		1024
#define DN_MAX_RDNS		32
#define DN_MAX_AVAS		64	/* attribute values, multi-valued RDNs included */
#define DN_MAX_ATTR		64	/* bytes of an attribute type */
#define LOSS_DATE_SLACK		86400	/* a loss date may lie this far ahead (zones) */
#define BAD_TYPES_MAX		1024
#define MIME_TYPE_MAX		128

enum field {
	F_NAME,
	F_NIK,
	F_USERNAME,
	F_SERIAL,
	F_DN,
	F_REASON,
	F_LOSS_DATE,
	F_NONE = -1
};

/* Labels after normalisation: lowercase, dots and runs of spaces as one
 * space, parenthesised remarks dropped. */
static const struct {
	const char	*label;
	enum field	 field;
} labels[] = {
	{ "nama", F_NAME },
	{ "name", F_NAME },
	{ "nama lengkap", F_NAME },
	{ "nama pemohon", F_NAME },
	{ "full name", F_NAME },
	{ "nik", F_NIK },
	{ "nomor induk kependudukan", F_NIK },
	{ "username", F_USERNAME },
	{ "username ams", F_USERNAME },
	{ "user name", F_USERNAME },
	{ "user name ams", F_USERNAME },
	{ "ams username", F_USERNAME },
	{ "nomor seri", F_SERIAL },
	{ "no seri", F_SERIAL },
	{ "nomor serial", F_SERIAL },
	{ "nomor seri sertifikat", F_SERIAL },
	{ "no seri sertifikat", F_SERIAL },
	{ "serial", F_SERIAL },
	{ "serial number", F_SERIAL },
	{ "serial no", F_SERIAL },
	{ "certificate serial number", F_SERIAL },
	{ "subject dn", F_DN },
	{ "subjek dn", F_DN },
	{ "dn", F_DN },
	{ "alasan", F_REASON },
	{ "reason", F_REASON },
	{ "alasan pencabutan", F_REASON },
	{ "reason for revocation", F_REASON },
	{ "revocation reason", F_REASON },
	{ "tanggal hilang", F_LOSS_DATE },
	{ "tanggal kehilangan", F_LOSS_DATE },
	{ "tgl hilang", F_LOSS_DATE },
	{ "tgl kehilangan", F_LOSS_DATE },
	{ "lost on", F_LOSS_DATE },
	{ "lost date", F_LOSS_DATE },
	{ "date lost", F_LOSS_DATE },
	{ "date of loss", F_LOSS_DATE },
};

/* Reasons after normalisation: lowercase, "_" and "-" as spaces, runs of
 * spaces as one, trailing punctuation dropped. */
static const struct {
	const char		*text;
	enum request_reason	 reason;
} reasons[] = {
	{ "lupa passphrase", REASON_LUPA_PASSPHRASE },
	{ "lupa pass phrase", REASON_LUPA_PASSPHRASE },
	{ "forgot passphrase", REASON_LUPA_PASSPHRASE },
	{ "forgot pass phrase", REASON_LUPA_PASSPHRASE },
	{ "forgotten passphrase", REASON_LUPA_PASSPHRASE },
	{ "perubahan data", REASON_PERUBAHAN_DATA },
	{ "data change", REASON_PERUBAHAN_DATA },
	{ "data changed", REASON_PERUBAHAN_DATA },
	{ "change of data", REASON_PERUBAHAN_DATA },
	{ "kehilangan sertifikat", REASON_KEHILANGAN },
	{ "kehilangan sertifikat elektronik", REASON_KEHILANGAN },	/* the SOP's words */
	{ "kehilangan", REASON_KEHILANGAN },
	{ "lost certificate", REASON_KEHILANGAN },
	{ "lost electronic certificate", REASON_KEHILANGAN },
	{ "certificate lost", REASON_KEHILANGAN },
};

/* Month names, Indonesian (with the older spellings still common) and
 * English, full and short. */
static const struct {
	const char	*name;
	int		 month;
} months[] = {
	{ "januari", 1 }, { "january", 1 }, { "jan", 1 },
	{ "februari", 2 }, { "pebruari", 2 }, { "february", 2 }, { "feb", 2 },
	{ "peb", 2 },
	{ "maret", 3 }, { "march", 3 }, { "mar", 3 },
	{ "april", 4 }, { "apr", 4 },
	{ "mei", 5 }, { "may", 5 },
	{ "juni", 6 }, { "june", 6 }, { "jun", 6 },
	{ "juli", 7 }, { "july", 7 }, { "jul", 7 },
	{ "agustus", 8 }, { "august", 8 }, { "agu", 8 }, { "agt", 8 },
	{ "ags", 8 }, { "aug", 8 },
	{ "september", 9 }, { "sep", 9 }, { "sept", 9 },
	{ "oktober", 10 }, { "october", 10 }, { "okt", 10 }, { "oct", 10 },
	{ "november", 11 }, { "nopember", 11 }, { "nov", 11 }, { "nop", 11 },
	{ "desember", 12 }, { "december", 12 }, { "des", 12 }, { "dec", 12 },
};

static const char *const day_names[] = {
	"senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu",
	"minggu", "ahad",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
	"sat", "sun",
};

/* Values that mean "nothing here" in a form left partly empty. */
static const char *const placeholders[] = {
	"n/a", "tidak ada", "tidak tahu", "none", "unknown",
};

/* Attribute types of a Subject DN, any case, to OpenSSL's names. */
static const struct {
	const char	*name;
	const char	*openssl;
} dn_attrs[] = {
	{ "cn", "CN" }, { "commonname", "CN" },
	{ "o", "O" }, { "organizationname", "O" },
	{ "ou", "OU" }, { "organizationalunitname", "OU" },
	{ "c", "C" }, { "countryname", "C" },
	{ "l", "L" }, { "localityname", "L" },
	{ "st", "ST" }, { "s", "ST" }, { "stateorprovincename", "ST" },
	{ "street", "street" }, { "streetaddress", "street" },
	{ "e", "emailAddress" }, { "email", "emailAddress" },
	{ "emailaddress", "emailAddress" },
	{ "serialnumber", "serialNumber" },
	{ "uid", "UID" }, { "userid", "UID" },
	{ "dc", "DC" }, { "domaincomponent", "DC" },
	{ "t", "title" }, { "title", "title" },
	{ "gn", "GN" }, { "givenname", "GN" },
	{ "sn", "SN" }, { "surname", "SN" },
	{ "initials", "initials" },
	{ "pseudonym", "pseudonym" },
	{ "postalcode", "postalCode" },
	{ "dnqualifier", "dnQualifier" },
	{ "organizationidentifier", "organizationIdentifier" },
	{ "businesscategory", "businessCategory" },
	{ "description", "description" },
};

static const char *const problem_text_id[PROBLEM_COUNT] = {
	[PROBLEM_NO_LETTER] =
	    "Surat keterangan alasan pencabutan tidak dilampirkan. Mohon "
	    "lampirkan surat yang sudah ditandatangani atasan Bapak/Ibu dalam "
	    "bentuk berkas PDF, JPEG atau PNG.",
	[PROBLEM_LETTER_TYPE] =
	    "Jenis berkas lampiran tidak dapat diterima (jenis berkas diperiksa "
	    "dari isinya, bukan dari namanya). Mohon lampirkan hanya surat "
	    "keterangan alasan pencabutan, dalam bentuk berkas PDF, JPEG atau "
	    "PNG dan tidak dikompres (bukan ZIP atau RAR).",
	[PROBLEM_LETTER_SIZE] =
	    "Lampiran terlalu besar atau halamannya terlalu banyak. Mohon "
	    "kirim surat keterangan dalam berkas yang lebih kecil, misalnya "
	    "dipindai ulang dengan resolusi lebih rendah atau disatukan dalam "
	    "satu berkas PDF.",
	[PROBLEM_NO_CERTIFICATE] =
	    "Sertifikat yang akan dicabut belum disebutkan. Mohon tuliskan "
	    "nomor seri sertifikat pada baris \"Nomor Seri:\", atau Subject DN "
	    "sertifikat pada baris \"Subject DN:\".",
	[PROBLEM_SERIAL_INVALID] =
	    "Nomor seri sertifikat tidak dapat dibaca. Mohon tuliskan nomor seri "
	    "dalam angka heksadesimal (0-9 dan A-F), paling banyak 40 digit, "
	    "boleh dipisahkan titik dua atau spasi, contoh: "
	    "\"Nomor Seri: 1A:2B:3C:4D\".",
	[PROBLEM_DN_INVALID] =
	    "Subject DN tidak dapat dibaca. Mohon tuliskan Subject DN seperti "
	    "yang tercantum pada sertifikat, contoh: \"Subject DN: CN=Nama "
	    "Lengkap, O=Nama Instansi, C=ID\".",
	[PROBLEM_NO_REASON] =
	    "Alasan pencabutan belum disebutkan. Mohon tambahkan baris "
	    "\"Alasan:\" dengan salah satu alasan berikut: lupa passphrase, "
	    "perubahan data, atau kehilangan sertifikat.",
	[PROBLEM_REASON_UNKNOWN] =
	    "Alasan pencabutan tidak dikenali. Mohon tuliskan salah satu alasan "
	    "berikut pada baris \"Alasan:\": lupa passphrase, perubahan data, "
	    "atau kehilangan sertifikat.",
	[PROBLEM_LOSS_DATE_INVALID] =
	    "Tanggal hilang tidak dapat dibaca atau berada di masa yang akan "
	    "datang. Mohon tuliskan tanggal sertifikat hilang, contoh: "
	    "\"Tanggal hilang: 17-08-2025\" atau \"Tanggal hilang: 17 Agustus "
	    "2025\".",
	[PROBLEM_NIK_INVALID] =
	    "NIK yang dituliskan tidak terdiri atas 16 angka. Mohon periksa "
	    "kembali NIK sesuai KTP Bapak/Ibu, atau hapus baris NIK karena NIK "
	    "tidak wajib diisi.",
	[PROBLEM_FIELDS_CONFLICT] =
	    "Ada data yang dituliskan lebih dari sekali dengan isi yang berbeda. "
	    "Mohon kirim ulang permohonan dengan setiap data (misalnya nomor "
	    "seri atau alasan) dituliskan satu kali saja.",
	[PROBLEM_NOT_FOUND] =
	    "Tidak ditemukan sertifikat dengan nomor seri atau Subject DN "
	    "tersebut yang terdaftar atas alamat surel Bapak/Ibu. Mohon periksa "
	    "kembali nomor seri atau Subject DN, dan kirim permohonan dari "
	    "alamat surel yang tercantum pada sertifikat.",
	[PROBLEM_REVOKED] =
	    "Sertifikat tersebut sudah dicabut sebelumnya, sehingga tidak perlu "
	    "dicabut lagi. Bila Bapak/Ibu memerlukan sertifikat baru, silakan "
	    "ajukan penerbitan sertifikat baru.",
	[PROBLEM_EXPIRED] =
	    "Masa berlaku sertifikat tersebut sudah berakhir, sehingga tidak "
	    "perlu dicabut. Bila Bapak/Ibu memerlukan sertifikat baru, silakan "
	    "ajukan penerbitan sertifikat baru.",
	[PROBLEM_USERNAME_MISMATCH] =
	    "Username yang dituliskan tidak sesuai dengan username sertifikat "
	    "tersebut. Mohon periksa kembali username AMS Bapak/Ibu, atau hapus "
	    "baris Username karena username tidak wajib diisi.",
	[PROBLEM_DN_MISMATCH] =
	    "Nomor seri dan Subject DN yang dituliskan tidak menunjuk sertifikat "
	    "yang sama. Mohon periksa kembali keduanya, atau tuliskan nomor seri "
	    "saja.",
};

static const char *const problem_text_en[PROBLEM_COUNT] = {
	[PROBLEM_NO_LETTER] =
	    "The letter stating the reason for revocation is missing. Please "
	    "attach the letter signed by your superior as a PDF, JPEG or PNG "
	    "file.",
	[PROBLEM_LETTER_TYPE] =
	    "An attachment is of a file type that cannot be accepted (the type "
	    "is read from the file's content, not its name). Please attach only "
	    "the letter stating the reason for revocation, as a PDF, JPEG or PNG "
	    "file and not compressed (no ZIP or RAR).",
	[PROBLEM_LETTER_SIZE] =
	    "An attachment is too large, or there are too many pages. Please "
	    "send the letter as a smaller file, for example scanned again at a "
	    "lower resolution or combined into one PDF file.",
	[PROBLEM_NO_CERTIFICATE] =
	    "The certificate to revoke is not named. Please give its serial "
	    "number on a line \"Serial Number:\", or its Subject DN on a line "
	    "\"Subject DN:\".",
	[PROBLEM_SERIAL_INVALID] =
	    "The certificate's serial number cannot be read. Please write it in "
	    "hexadecimal (0-9 and A-F), at most 40 digits, optionally separated "
	    "by colons or spaces, for example \"Serial Number: 1A:2B:3C:4D\".",
	[PROBLEM_DN_INVALID] =
	    "The Subject DN cannot be read. Please write it as the certificate "
	    "shows it, for example \"Subject DN: CN=Full Name, O=Agency, C=ID\".",
	[PROBLEM_NO_REASON] =
	    "The reason for revocation is missing. Please add a line "
	    "\"Reason:\" with one of these reasons: forgot passphrase, data "
	    "change, or lost certificate.",
	[PROBLEM_REASON_UNKNOWN] =
	    "The reason for revocation is not one that can be accepted. Please "
	    "write one of these on the \"Reason:\" line: forgot passphrase, data "
	    "change, or lost certificate.",
	[PROBLEM_LOSS_DATE_INVALID] =
	    "The date of loss cannot be read, or lies in the future. Please "
	    "write the date the certificate was lost, for example \"Lost on: "
	    "17-08-2025\" or \"Lost on: 17 August 2025\".",
	[PROBLEM_NIK_INVALID] =
	    "The NIK given is not 16 digits. Please check it against your "
	    "identity card (KTP), or leave the NIK line out: it is optional.",
	[PROBLEM_FIELDS_CONFLICT] =
	    "Some information is given more than once with different values. "
	    "Please send the request again with each item (for example the "
	    "serial number or the reason) given only once.",
	[PROBLEM_NOT_FOUND] =
	    "No certificate with that serial number or Subject DN is registered "
	    "to your e-mail address. Please check the serial number or Subject "
	    "DN, and send the request from the e-mail address given in the "
	    "certificate.",
	[PROBLEM_REVOKED] =
	    "That certificate has already been revoked, so it need not be "
	    "revoked again. If you need a new certificate, please apply for one.",
	[PROBLEM_EXPIRED] =
	    "That certificate has already expired, so it need not be revoked. "
	    "If you need a new certificate, please apply for one.",
	[PROBLEM_USERNAME_MISMATCH] =
	    "The username given does not match the certificate's. Please check "
	    "your AMS username, or leave the Username line out: it is optional.",
	[PROBLEM_DN_MISMATCH] =
	    "The serial number and the Subject DN given do not belong to the same "
	    "certificate. Please check both, or give the serial number only.",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *
skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The longest prefix of s (len bytes) of at most max bytes that does not
 * cut a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Lowercase s into out (outsz bytes), tabs (and with dashes, "_" and
 * "-") as spaces, runs of spaces as one, trimmed. -1 when it does not
 * fit. */
static int
words_normalise(const char *s, char *out, size_t outsz, int dashes)
{
	size_t	 n = 0;
	int	 space = 0, c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == ' ' || c == '\t' || (dashes && (c == '_' || c == '-'))) {
			space = 1;
			continue;
		}
		if (space && n > 0) {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = ' ';
		}
		space = 0;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = (char)to_lower(c);
	}
	out[n] = '\0';
	return 0;
}

/* Equal apart from case and runs of spaces. */
static int
loose_equal(const char *a, const char *b)
{
	char	 na[FIELD_MAX_VALUE + 1], nb[FIELD_MAX_VALUE + 1];

	if (words_normalise(a, na, sizeof(na), 0) == -1 ||
	    words_normalise(b, nb, sizeof(nb), 0) == -1)
		return strcmp(a, b) == 0;
	return strcmp(na, nb) == 0;
}

/*
 * Serial numbers.
 */

int
request_serial_normalise(const char *in, char **out_r)
{
	char		 digits[SERIAL_MAX_DIGITS + 1];
	const char	*p;
	size_t		 n = 0, total = 0;
	int		 r = -1, c;

	*out_r = NULL;
	if (in == NULL)
		goto out;
	p = skip_spaces(in);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p != '\0'; p++) {
		c = (unsigned char)*p;
		if (c == ':' || c == ' ' || c == '-' || c == '\t')
			continue;
		if (hex_value(c) == -1 || ++total > SERIAL_MAX_INPUT)
			goto out;
		if (n == 0 && c == '0')
			continue;		/* leading zero (DER sign octet too) */
		if (n >= SERIAL_MAX_DIGITS)
			goto out;
		digits[n++] = (char)(c >= 'a' && c <= 'f' ? c - ('a' - 'A') : c);
	}
	if (total == 0)
		goto out;
	if (n == 0)
		digits[n++] = '0';
	digits[n] = '\0';
	*out_r = xstrdup(digits);
	r = 0;
out:
	return r;
}

/*
 * Dates.
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil); years here are 1970..2100. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int	 mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* A number of mindig..maxdig digits not followed by another digit. */
static int
read_number(const char **pp, int mindig, int maxdig, int *v_r)
{
	const char	*p = *pp;
	int		 n = 0, v = 0;

	while (is_digit(*p) && n < maxdig) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n < mindig || is_digit(*p))
		return -1;
	*v_r = v;
	*pp = p;
	return 0;
}

/* A word of letters (and apostrophes) into w; -1 when none or too long. */
static int
read_word(const char **pp, char *w, size_t wsz)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while (is_alpha(*p) || (*p == '\'' && n > 0)) {
		if (n + 1 >= wsz)
			return -1;
		w[n++] = (char)to_lower(*p);
		p++;
	}
	if (n == 0)
		return -1;
	w[n] = '\0';
	*pp = p;
	return 0;
}

static int
month_number(const char *w)
{
	size_t	 i;

	for (i = 0; i < NELEM(months); i++)
		if (strcmp(w, months[i].name) == 0)
			return months[i].month;
	return -1;
}

/* "Agustus", "Aug." */
static int
read_month(const char **pp, int *m_r)
{
	char		 w[16];
	const char	*p = *pp;

	if (read_word(&p, w, sizeof(w)) == -1 || (*m_r = month_number(w)) == -1)
		return -1;
	if (*p == '.')
		p++;
	*pp = p;
	return 0;
}

/* "+0700", "+07:00", "+07", "+7", "-0330". */
static int
read_offset(const char **pp, int *off_r)
{
	const char	*p = *pp;
	int		 sign, h = 0, m = 0, n = 0;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	p++;
	while (is_digit(*p) && n < 4) {
		n++;
		p++;
	}
	if (is_digit(*p))
		return -1;
	p = *pp + 1;
	if (n == 1 || n == 2) {
		if (read_number(&p, n, n, &h) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (read_number(&p, 2, 2, &m) == -1)
				return -1;
		}
	} else if (n == 4) {
		h = (p[0] - '0') * 10 + (p[1] - '0');
		m = (p[2] - '0') * 10 + (p[3] - '0');
		p += 4;
	} else
		return -1;
	if (h > 14 || m > 59)
		return -1;
	*off_r = sign * (h * 3600 + m * 60);
	*pp = p;
	return 0;
}

/* WIB (UTC+7), WITA (UTC+8), WIT (UTC+9), UTC, GMT, Z, an offset, or
 * UTC/GMT followed by an offset. */
static int
read_zone(const char **pp, int *off_r)
{
	const char	*p = *pp;
	char		 w[8];

	if (*p == '+' || *p == '-')
		return read_offset(pp, off_r);
	if (read_word(&p, w, sizeof(w)) == -1)
		return -1;
	if (strcmp(w, "wib") == 0)
		*off_r = 7 * 3600;
	else if (strcmp(w, "wita") == 0)
		*off_r = 8 * 3600;
	else if (strcmp(w, "wit") == 0)
		*off_r = 9 * 3600;
	else if (strcmp(w, "utc") == 0 || strcmp(w, "gmt") == 0) {
		*off_r = 0;
		p = skip_spaces(p);
		if ((*p == '+' || *p == '-') && read_offset(&p, off_r) == -1)
			return -1;
	} else if (strcmp(w, "z") == 0)
		*off_r = 0;
	else
		return -1;
	*pp = p;
	return 0;
}

/* An optional time of day ("pukul 10.30", "10:30:00"): read past, the
 * day is what counts. */
static int
skip_time(const char **pp)
{
	static const char *const words[] = { "pukul", "pkl", "jam", "at" };
	const char	*p = *pp, *q;
	char		 w[8];
	size_t		 i;
	int		 h, m, s;

	q = p;
	if (read_word(&q, w, sizeof(w)) == 0) {
		for (i = 0; i < NELEM(words); i++)
			if (strcmp(w, words[i]) == 0)
				break;
		if (i == NELEM(words))
			return 0;		/* not a time: maybe a zone */
		if (*q == '.')
			q++;
		p = skip_spaces(q);
	}
	if (!is_digit(*p))
		return p == *pp ? 0 : -1;
	if (read_number(&p, 1, 2, &h) == -1 || (*p != ':' && *p != '.'))
		return -1;
	p++;
	if (read_number(&p, 2, 2, &m) == -1)
		return -1;
	if ((*p == ':' || *p == '.') && is_digit(p[1])) {
		p++;
		if (read_number(&p, 2, 2, &s) == -1 || s > 60)
			return -1;
	}
	if (h > 24 || m > 59)
		return -1;
	*pp = p;
	return 0;
}

int
request_date_parse(const char *in, int64_t *t_r)
{
	char		 buf[DATE_MAX + 1], w[16];
	const char	*p, *q;
	size_t		 i, len;
	int		 y = 0, m = 0, d = 0, off = 7 * 3600, sep, ndig, r = -1;

	*t_r = 0;
	if (in == NULL || (len = strlen(in)) > DATE_MAX)
		goto out;
	for (i = 0; i < len; i++)
		buf[i] = (char)(in[i] == '\t' ? ' ' : to_lower((unsigned char)in[i]));
	buf[len] = '\0';
	p = skip_spaces(buf);

	/* A day name first: "Senin, 17 Agustus 2025". */
	q = p;
	if (read_word(&q, w, sizeof(w)) == 0) {
		for (i = 0; i < NELEM(day_names); i++)
			if (strcmp(w, day_names[i]) == 0)
				break;
		if (i < NELEM(day_names)) {
			p = skip_spaces(q);
			if (*p == ',')
				p = skip_spaces(p + 1);
		}
	}

	if (is_digit(*p)) {
		for (ndig = 0; is_digit(p[ndig]); ndig++)
			;
		if (ndig == 4) {
			/* YYYY-MM-DD */
			if (read_number(&p, 4, 4, &y) == -1)
				goto out;
			sep = *p;
			if (sep != '-' && sep != '/' && sep != '.')
				goto out;
			p++;
			if (read_number(&p, 1, 2, &m) == -1 || *p != sep)
				goto out;
			p++;
			if (read_number(&p, 1, 2, &d) == -1)
				goto out;
		} else {
			if (read_number(&p, 1, 2, &d) == -1)
				goto out;
			sep = *p;
			if (sep == '-' || sep == '/' || sep == '.') {
				/* DD-MM-YYYY, DD/MM/YYYY, 17-Agu-2025 */
				p++;
				if (is_digit(*p)) {
					if (read_number(&p, 1, 2, &m) == -1)
						goto out;
				} else if (read_month(&p, &m) == -1)
					goto out;
				if (*p != sep)
					goto out;
				p++;
			} else if (sep == ' ') {
				/* D Month YYYY */
				p = skip_spaces(p);
				if (read_month(&p, &m) == -1)
					goto out;
				p = skip_spaces(p);
				if (*p == ',')
					p = skip_spaces(p + 1);
			} else
				goto out;
			if (read_number(&p, 4, 4, &y) == -1)
				goto out;
		}
	} else if (is_alpha(*p)) {
		/* Month D, YYYY */
		if (read_month(&p, &m) == -1)
			goto out;
		p = skip_spaces(p);
		if (read_number(&p, 1, 2, &d) == -1)
			goto out;
		p = skip_spaces(p);
		if (*p == ',')
			p = skip_spaces(p + 1);
		if (read_number(&p, 4, 4, &y) == -1)
			goto out;
	} else
		goto out;

	/* Then an optional time, an optional zone, and nothing else. An
	 * offset glued to the date ("2025-08-17-01") is no zone. */
	if (*p == '+' || *p == '-')
		goto out;
	if (*p == 't' && is_digit(p[1]))
		p++;
	p = skip_spaces(p);
	if (*p == ',')
		p = skip_spaces(p + 1);
	if (skip_time(&p) == -1)
		goto out;
	p = skip_spaces(p);
	if (*p != '\0' && *p != '.' && read_zone(&p, &off) == -1)
		goto out;
	p = skip_spaces(p);
	if (*p == '.')
		p = skip_spaces(p + 1);
	if (*p != '\0')
		goto out;

	if (y < 1970 || y > 2100 || m < 1 || m > 12 || d < 1 ||
	    d > days_in_month(y, m))
		goto out;
	*t_r = days_from_civil(y, m, d) * 86400 - off;
	r = 0;
out:
	return r;
}

/*
 * Reasons.
 */

enum request_reason
request_reason_parse(const char *in)
{
	char		 buf[REASON_MAX], *paren;
	const char	*p;
	size_t		 i, len;

	if (in == NULL || words_normalise(in, buf, sizeof(buf), 1) == -1)
		return REASON_NONE;
	len = strlen(buf);
	/* A remark after it: "kehilangan sertifikat (laptop dicuri)". */
	if (len > 0 && buf[len - 1] == ')' && (paren = strrchr(buf, '(')) != NULL) {
		*paren = '\0';
		len = strlen(buf);
		while (len > 0 && buf[len - 1] == ' ')
			buf[--len] = '\0';
	}
	/* Quotes around it, punctuation after it. */
	while (len > 0 && strchr(".,;:!\"'", buf[len - 1]) != NULL)
		buf[--len] = '\0';
	while (len > 0 && buf[len - 1] == ' ')
		buf[--len] = '\0';
	p = buf;
	while (*p == '"' || *p == '\'' || *p == ' ')
		p++;
	/* The SOP's list: "c. kehilangan sertifikat elektronik". */
	if (is_alpha(p[0]) && (p[1] == '.' || p[1] == ')') && p[2] == ' ')
		p += 3;
	for (i = 0; i < NELEM(reasons); i++)
		if (strcmp(p, reasons[i].text) == 0)
			return reasons[i].reason;
	return REASON_NONE;
}

int
request_reason_code(enum request_reason r)
{
	switch (r) {
	case REASON_KEHILANGAN:
		return 1;	/* keyCompromise */
	case REASON_PERUBAHAN_DATA:
		return 3;	/* affiliationChanged */
	case REASON_LUPA_PASSPHRASE:
		return 4;	/* superseded */
	case REASON_NONE:
		break;
	}
	return 0;		/* unspecified */
}

const char *
request_reason_name(enum request_reason r)
{
	switch (r) {
	case REASON_KEHILANGAN:
		return "kehilangan";
	case REASON_PERUBAHAN_DATA:
		return "perubahan_data";
	case REASON_LUPA_PASSPHRASE:
		return "lupa_passphrase";
	case REASON_NONE:
		break;
	}
	return "none";
}

/*
 * Subject DNs.
 */

/* The OpenSSL name (or the OID) of an attribute type written in any
 * case, into out (DN_MAX_ATTR + 1 bytes); -1 when unknown. */
static int
dn_attr_resolve(const char *name, char *out)
{
	ASN1_OBJECT	*obj;
	const char	*p, *found = NULL;
	size_t		 i;

	if (strncasecmp(name, "oid.", 4) == 0)
		name += 4;
	for (i = 0; i < NELEM(dn_attrs) && found == NULL; i++)
		if (strcasecmp(name, dn_attrs[i].name) == 0)
			found = dn_attrs[i].openssl;
	if (found == NULL && is_digit(*name)) {
		for (p = name; is_digit(*p) || *p == '.'; p++)
			;
		if (*p == '\0' && (obj = OBJ_txt2obj(name, 1)) != NULL) {
			ASN1_OBJECT_free(obj);
			found = name;
		}
	} else if (found == NULL && OBJ_txt2nid(name) != NID_undef)
		found = name;	/* other names OpenSSL knows, as it spells them */
	if (found == NULL || strlen(found) > DN_MAX_ATTR)
		return -1;
	memcpy(out, found, strlen(found) + 1);
	return 0;
}

/* At p (after a separator): does an attribute "type=" follow? Lets a
 * person write "O=Pemkot Pekalongan, Jawa Tengah" unescaped. */
static int
dn_attr_follows(const char *p)
{
	char	 name[DN_MAX_ATTR + 1], attr[DN_MAX_ATTR + 1];
	size_t	 n = 0;

	p = skip_spaces(p);
	while (is_alpha(*p) || is_digit(*p) || *p == '.' || *p == '-') {
		if (n >= DN_MAX_ATTR)
			return 0;
		name[n++] = *p++;
	}
	name[n] = '\0';
	p = skip_spaces(p);
	return n > 0 && *p == '=' && dn_attr_resolve(name, attr) == 0;
}

struct dn_ava {
	char		 attr[DN_MAX_ATTR + 1];	/* OpenSSL name or OID text */
	char		*value;		/* owned; DER when der */
	size_t		 len;
	int		 der;		/* "#hex" value */
	int		 rdn;		/* index of its RDN as written */
};

/* The byte an escape at p (after the backslash) stands for: "\\,",
 * "\\+", "\\C3": how many bytes it takes in *len_r; -1 at the end. */
static int
dn_unescape(const char *p, size_t *len_r)
{
	int	 h1, h2;

	if ((h1 = hex_value(p[0])) != -1 && (h2 = hex_value(p[1])) != -1) {
		*len_r = 2;
		return h1 << 4 | h2;
	}
	if (*p == '\0')
		return -1;
	*len_r = 1;
	return (unsigned char)*p;
}

/* One value, up to an unescaped separator, into b. slash: OpenSSL's
 * "/C=ID/O=..." form (separators / and +), else RFC 4514 (, ; +). */
static int
dn_value(const char **pp, int slash, struct buf *b, int *der_r)
{
	const char	*p = *pp;
	size_t		 keep = 0, n;	/* keep: length without unescaped trailing spaces */
	int		 h1, h2, c;
	char		 ch;

	*der_r = 0;
	p = skip_spaces(p);
	if (*p == '#' && !slash) {
		/* The value's BER, as OpenSSL prints types it cannot show. */
		*der_r = 1;
		for (p++; (h1 = hex_value(p[0])) != -1; p += 2) {
			if ((h2 = hex_value(p[1])) == -1)
				return -1;
			ch = (char)(h1 << 4 | h2);
			if (buf_add(b, &ch, 1) == -1)
				return -1;
		}
		keep = b->len;
	} else if (*p == '"' && !slash) {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return -1;
			c = (unsigned char)*p;
			if (*p == '\\') {
				if ((c = dn_unescape(++p, &n)) == -1)
					return -1;
				p += n - 1;
			}
			ch = (char)c;
			if (buf_add(b, &ch, 1) == -1)
				return -1;
		}
		p++;
		keep = b->len;
	} else {
		for (; *p != '\0'; p++) {
			if (*p == '\\') {
				if ((c = dn_unescape(++p, &n)) == -1)
					return -1;
				p += n - 1;
				ch = (char)c;
				if (buf_add(b, &ch, 1) == -1)
					return -1;
				keep = b->len;
				continue;
			}
			if ((slash && (*p == '/' || *p == '+')) ||
			    (!slash && (*p == ',' || *p == ';' || *p == '+'))) {
				if (dn_attr_follows(p + 1))
					break;
				if (!slash && *skip_spaces(p + 1) == '\0')
					return -1;	/* "CN=a," */
			}
			if (buf_add(b, p, 1) == -1)
				return -1;
			if (*p != ' ')
				keep = b->len;
		}
	}
	b->len = keep;
	if (b->data != NULL)
		b->data[keep] = '\0';
	*pp = skip_spaces(p);
	return 0;
}

/* The ASN.1 string types a name's value may have ("#hex" values). */
static int
dn_string_type(int type)
{
	switch (type) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_UTF8STRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_T61STRING:
	case V_ASN1_BMPSTRING:
	case V_ASN1_UNIVERSALSTRING:
	case V_ASN1_VISIBLESTRING:
	case V_ASN1_NUMERICSTRING:
		return 1;
	}
	return 0;
}

X509_NAME *
request_dn_parse(const char *text)
{
	struct dn_ava	 avas[DN_MAX_AVAS];
	struct buf	 b;
	X509_NAME	*name = NULL, *ret = NULL;
	const char	*p;
	size_t		 navas = 0, i, n, k;
	int		 slash, rdn = 0, der, set, rdn_at, added;
	ASN1_TYPE	*at;
	const unsigned char *d;

	memset(avas, 0, sizeof(avas));
	if (text == NULL || strlen(text) > DN_MAX_TEXT)
		goto out;
	p = skip_spaces(text);
	slash = *p == '/';
	if (slash)
		p++;
	if (*p == '\0')
		goto out;
	for (;;) {
		char	 aname[DN_MAX_ATTR + 1];

		if (navas >= DN_MAX_AVAS)
			goto out;
		p = skip_spaces(p);
		n = 0;
		while (is_alpha(*p) || is_digit(*p) || *p == '.' || *p == '-') {
			if (n >= DN_MAX_ATTR)
				goto out;
			aname[n++] = *p++;
		}
		aname[n] = '\0';
		p = skip_spaces(p);
		if (n == 0 || *p != '=' ||
		    dn_attr_resolve(aname, avas[navas].attr) == -1)
			goto out;
		p++;
		buf_init(&b, DN_MAX_TEXT);
		if (dn_value(&p, slash, &b, &der) == -1) {
			buf_free(&b);
			goto out;
		}
		avas[navas].len = b.len;
		avas[navas].value = b.data != NULL ? b.data : xstrdup("");
		avas[navas].der = der;
		avas[navas].rdn = rdn;
		/* A NUL inside a name is never what a person meant. */
		if (!der && memchr(avas[navas].value, '\0', avas[navas].len) != NULL) {
			navas++;
			goto out;
		}
		navas++;
		if (*p == '\0')
			break;
		if (*p == '+')
			;			/* same RDN */
		else if ((slash && *p == '/') || (!slash && (*p == ',' || *p == ';'))) {
			if (++rdn >= DN_MAX_RDNS)
				goto out;
		} else
			goto out;
		p++;
		if (slash && *skip_spaces(p) == '\0')
			break;			/* a trailing "/" */
	}

	/* RFC 4514 writes the most specific RDN first, the slash form last
	 * (the order of the ASN.1). */
	if ((name = X509_NAME_new()) == NULL)
		goto out;
	for (rdn_at = 0; rdn_at <= rdn; rdn_at++) {
		int	 want = slash ? rdn_at : rdn - rdn_at;

		set = 0;
		for (k = 0; k < navas; k++) {
			if (avas[k].rdn != want)
				continue;
			if (avas[k].der) {
				/* One string, DER, and nothing after it. */
				d = (const unsigned char *)avas[k].value;
				at = d2i_ASN1_TYPE(NULL, &d, (long)avas[k].len);
				if (at == NULL ||
				    d != (const unsigned char *)avas[k].value + avas[k].len ||
				    !dn_string_type(at->type)) {
					ASN1_TYPE_free(at);
					goto out;
				}
				added = X509_NAME_add_entry_by_txt(name,
				    avas[k].attr, at->type, at->value.asn1_string->data,
				    at->value.asn1_string->length, -1, set);
				ASN1_TYPE_free(at);
			} else
				added = X509_NAME_add_entry_by_txt(name,
				    avas[k].attr, MBSTRING_UTF8,
				    (const unsigned char *)avas[k].value,
				    (int)avas[k].len, -1, set);
			if (added != 1)
				goto out;
			set = -1;
		}
	}
	/* A #hex value whose content is not what its string type says
	 * (a UTF8String that is not UTF-8) cannot be put in canonical form,
	 * so it could never be compared: unreadable, not a mismatch. */
	if (X509_NAME_cmp(name, name) != 0)
		goto out;
	ret = name;
	name = NULL;
out:
	for (i = 0; i < navas; i++)
		free(avas[i].value);
	X509_NAME_free(name);
	return ret;
}

/* The same name with its RDNs in the reverse order (multi-valued RDNs
 * kept together). */
static X509_NAME *
dn_reverse(const X509_NAME *n)
{
	X509_NAME	*r = NULL, *ret = NULL;
	int		 i, j, start, set;

	if ((r = X509_NAME_new()) == NULL)
		goto out;
	for (i = X509_NAME_entry_count(n) - 1; i >= 0; i = start - 1) {
		set = X509_NAME_ENTRY_set(X509_NAME_get_entry(n, i));
		for (start = i; start > 0 &&
		    X509_NAME_ENTRY_set(X509_NAME_get_entry(n, start - 1)) == set;
		    start--)
			;
		for (j = start; j <= i; j++)
			if (X509_NAME_add_entry(r, X509_NAME_get_entry(n, j), -1,
			    j == start ? 0 : -1) != 1)
				goto out;
	}
	ret = r;
	r = NULL;
out:
	X509_NAME_free(r);
	return ret;
}

int
request_dn_match(const X509_NAME *a, const X509_NAME *b)
{
	X509_NAME	*rb = NULL;
	int		 r = 0;

	if (a == NULL || b == NULL || X509_NAME_entry_count(a) == 0 ||
	    X509_NAME_entry_count(a) != X509_NAME_entry_count(b))
		goto out;
	if (X509_NAME_cmp(a, b) == 0) {
		r = 1;
		goto out;
	}
	if ((rb = dn_reverse(b)) != NULL && X509_NAME_cmp(a, rb) == 0)
		r = 1;
out:
	X509_NAME_free(rb);
	return r;
}

/*
 * The form's fields.
 */

/* Copy one line (len bytes, at most FIELDS_MAX_LINE considered) into out
 * with what HTML and word processors leave behind made plain: tabs,
 * no-break and other spaces and "&nbsp;" as ' ', control characters
 * (C0, C1, U+2028/2029) and invisible ones (zero width, bidi marks, BOM)
 * dropped. */
static void
line_clean(const char *s, size_t len, char *out, size_t outsz)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, n = 0, rest;
	unsigned char		 c, d;

	len = utf8_cut(s, len, FIELDS_MAX_LINE);
	while (i < len && n + 1 < outsz) {
		c = u[i];
		rest = len - i;
		if (c == '\t') {
			out[n++] = ' ';
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		if (c == '&') {
			if (rest >= 6 && strncasecmp(s + i, "&nbsp;", 6) == 0) {
				out[n++] = ' ';
				i += 6;
				continue;
			}
			if (rest >= 6 && (strncmp(s + i, "&#160;", 6) == 0 ||
			    strncasecmp(s + i, "&#xa0;", 6) == 0)) {
				out[n++] = ' ';
				i += 6;
				continue;
			}
		}
		if (c == 0xc2 && rest >= 2) {
			if (u[i + 1] == 0xa0) {			/* NBSP */
				out[n++] = ' ';
				i += 2;
				continue;
			}
			if (u[i + 1] >= 0x80 && u[i + 1] <= 0x9f) {	/* C1 */
				i += 2;
				continue;
			}
		}
		if (c == 0xe2 && rest >= 3 && u[i + 1] == 0x80) {
			d = u[i + 2];
			if (d <= 0x8a || d == 0xa8 || d == 0xa9 || d == 0xaf) {
				out[n++] = ' ';		/* spaces, LS, PS */
				i += 3;
				continue;
			}
			if ((d >= 0x8b && d <= 0x8f) || (d >= 0xaa && d <= 0xae)) {
				i += 3;			/* zero width, bidi */
				continue;
			}
		}
		if (c == 0xe2 && rest >= 3 && u[i + 1] == 0x81 &&
		    (u[i + 2] == 0xa0 || u[i + 2] == 0x9f)) {
			if (u[i + 2] == 0x9f)
				out[n++] = ' ';
			i += 3;				/* word joiner */
			continue;
		}
		if (c == 0xe3 && rest >= 3 && u[i + 1] == 0x80 && u[i + 2] == 0x80) {
			out[n++] = ' ';			/* ideographic space */
			i += 3;
			continue;
		}
		if (c == 0xef && rest >= 3 && u[i + 1] == 0xbb && u[i + 2] == 0xbf) {
			i += 3;				/* BOM */
			continue;
		}
		out[n++] = (char)c;
		i++;
	}
	out[n] = '\0';
}

/* The length of a list marker at p: "-", "*", "•", "·", "1.", "2)",
 * "a.", "(1)" and the like; 0 when none. */
static size_t
bullet_len(const char *p)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 n;

	if (*p == '-' || *p == '+')
		return 1;
	if (*p == '*' && p[1] == ' ')
		return 1;		/* "*Nama*" is bold, not a bullet */
	if (u[0] == 0xc2 && u[1] == 0xb7)			/* · */
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa2 || u[2] == 0xa3 || u[2] == 0x93 || u[2] == 0x94))
		return 3;					/* • ‣ – — */
	if (u[0] == 0xe2 && u[1] == 0x97 && (u[2] == 0xa6 || u[2] == 0x8f))
		return 3;					/* ◦ ● */
	if (u[0] == 0xe2 && u[1] == 0x96 && (u[2] == 0xaa || u[2] == 0xa0))
		return 3;					/* ▪ ■ */
	if (u[0] == 0xe2 && u[1] == 0x9e && u[2] == 0xa2)
		return 3;					/* ➢ */
	if (u[0] == 0xef && u[1] == 0x82 && u[2] == 0xb7)
		return 3;				/* Symbol font bullet */
	n = *p == '(' ? 1 : 0;
	if (is_digit(p[n])) {
		while (is_digit(p[n]) && n < 4)
			n++;
		if ((p[n] == '.' && !is_digit(p[n + 1])) || p[n] == ')')
			return n + 1;
		return 0;
	}
	if (is_alpha(p[n]) && (p[n + 1] == '.' || p[n + 1] == ')') &&
	    p[n + 2] == ' ')
		return n + 2;
	return 0;
}

/* The separator after a label: ':', '=' or the full-width colon. */
static const char *
find_sep(const char *p, size_t *len_r)
{
	const char	*colon = strchr(p, ':'), *eq = strchr(p, '='),
			*wide = strstr(p, "\xef\xbc\x9a");
	const char	*best = NULL;

	*len_r = 1;
	if (colon != NULL)
		best = colon;
	if (eq != NULL && (best == NULL || eq < best))
		best = eq;
	if (wide != NULL && (best == NULL || wide < best)) {
		best = wide;
		*len_r = 3;
	}
	return best;
}

static size_t
sep_len(const char *p)
{
	if (*p == ':' || *p == '=')
		return 1;
	if (strncmp(p, "\xef\xbc\x9a", 3) == 0)
		return 3;
	return 0;
}

static enum field
label_find(const char *norm)
{
	size_t	 i;

	for (i = 0; i < NELEM(labels); i++)
		if (strcmp(norm, labels[i].label) == 0)
			return labels[i].field;
	return F_NONE;
}

/* The field a label names: any case, runs of spaces, dots, bold stars
 * and "(remarks)" ignored; "Nama / Name" when both name the same field. */
static enum field
label_lookup(const char *s, size_t len)
{
	char		 norm[LABEL_MAX + 1], *part, *slash, *end;
	size_t		 n = 0, i;
	int		 depth = 0, space = 0, c;
	enum field	 f = F_NONE, pf;

	if (len > 4 * LABEL_MAX)
		goto out;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')') {
			if (depth > 0)
				depth--;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == ' ' || c == '.' || c == '_' || c == '*') {
			space = 1;
			continue;
		}
		if (n + 2 >= sizeof(norm))
			goto out;
		if (space && n > 0)
			norm[n++] = ' ';
		space = 0;
		norm[n++] = (char)to_lower(c);
	}
	norm[n] = '\0';
	if (n == 0 || (f = label_find(norm)) != F_NONE || strchr(norm, '/') == NULL)
		goto out;
	for (part = norm; part != NULL; part = slash) {
		if ((slash = strchr(part, '/')) != NULL)
			*slash++ = '\0';
		while (*part == ' ')
			part++;
		end = part + strlen(part);
		while (end > part && end[-1] == ' ')
			*--end = '\0';
		if ((pf = label_find(part)) == F_NONE || (f != F_NONE && pf != f)) {
			f = F_NONE;
			goto out;
		}
		f = pf;
	}
out:
	return f;
}

static int
is_placeholder(const char *v, size_t len)
{
	size_t	 i;

	for (i = 0; i < NELEM(placeholders); i++)
		if (strlen(placeholders[i]) == len &&
		    strncasecmp(v, placeholders[i], len) == 0)
			return 1;
	/* "-", "...", "—", "…" */
	for (i = 0; i < len; i++) {
		if (strchr("-_./", v[i]) != NULL)
			continue;
		if (i + 2 < len && (unsigned char)v[i] == 0xe2 &&
		    (unsigned char)v[i + 1] == 0x80 &&
		    ((unsigned char)v[i + 2] == 0x93 ||
		    (unsigned char)v[i + 2] == 0x94 ||
		    (unsigned char)v[i + 2] == 0xa6)) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/* The value trimmed, without quotes or bold stars around it, at most
 * FIELD_MAX_VALUE bytes; NULL when it is empty or a placeholder. */
static char *
value_clean(const char *v)
{
	size_t	 len;

	v = skip_spaces(v);
	len = strlen(v);
	for (;;) {
		while (len > 0 && v[len - 1] == ' ')
			len--;
		if (len >= 2 && ((v[0] == '"' && v[len - 1] == '"') ||
		    (v[0] == '*' && v[len - 1] == '*'))) {
			v++;
			len -= 2;
		} else if (len >= 6 && strncmp(v, "\xe2\x80\x9c", 3) == 0 &&
		    strncmp(v + len - 3, "\xe2\x80\x9d", 3) == 0) {
			v += 3;
			len -= 6;
		} else
			break;
		while (len > 0 && *v == ' ') {
			v++;
			len--;
		}
	}
	if (len == 0 || is_placeholder(v, len))
		return NULL;
	return xstrndup(v, utf8_cut(v, len, FIELD_MAX_VALUE));
}

static char **
field_slot(struct request_fields *f, enum field field)
{
	switch (field) {
	case F_NAME:
		return &f->name;
	case F_NIK:
		return &f->nik;
	case F_USERNAME:
		return &f->username;
	case F_SERIAL:
		return &f->serial_raw;
	case F_DN:
		return &f->subject_dn;
	case F_REASON:
		return &f->reason_raw;
	case F_LOSS_DATE:
		return &f->loss_date_raw;
	case F_NONE:
		break;
	}
	return NULL;
}

static int
nik_digits(const char *s, char *out, size_t outsz)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '.' || *s == '-')
			continue;
		if (!is_digit(*s) || n + 1 >= outsz)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return (int)n;
}

/* Two values of one field that say the same thing. */
static int
same_value(enum field field, const char *a, const char *b)
{
	char		*sa = NULL, *sb = NULL, na[32], nb[32];
	X509_NAME	*da = NULL, *db = NULL;
	int64_t		 ta, tb;
	int		 r = 0;

	if (loose_equal(a, b)) {
		r = 1;
		goto out;
	}
	switch (field) {
	case F_SERIAL:
		r = request_serial_normalise(a, &sa) == 0 &&
		    request_serial_normalise(b, &sb) == 0 && strcmp(sa, sb) == 0;
		break;
	case F_DN:
		r = (da = request_dn_parse(a)) != NULL &&
		    (db = request_dn_parse(b)) != NULL && request_dn_match(da, db);
		break;
	case F_REASON:
		r = request_reason_parse(a) != REASON_NONE &&
		    request_reason_parse(a) == request_reason_parse(b);
		break;
	case F_LOSS_DATE:
		r = request_date_parse(a, &ta) == 0 &&
		    request_date_parse(b, &tb) == 0 && ta == tb;
		break;
	case F_NIK:
		r = nik_digits(a, na, sizeof(na)) > 0 &&
		    nik_digits(b, nb, sizeof(nb)) > 0 && strcmp(na, nb) == 0;
		break;
	default:
		break;
	}
out:
	free(sa);
	free(sb);
	X509_NAME_free(da);
	X509_NAME_free(db);
	return r;
}

static void
field_set(struct request_fields *f, enum field field, const char *value)
{
	char	**slot, *v;

	if ((slot = field_slot(f, field)) == NULL || (v = value_clean(value)) == NULL)
		return;
	if (*slot == NULL) {
		*slot = v;
		return;
	}
	if (!same_value(field, *slot, v))
		f->conflicting = 1;	/* the first one stays */
	free(v);
}

/* One cleaned line. *pending is a label that stood alone on the line
 * before (an HTML table turned into text puts cells on lines of their
 * own): a line starting with a separator is its value. */
static void
fields_line(struct request_fields *f, const char *line, enum field *pending)
{
	const char	*p, *sep, *value;
	size_t		 seplen, n, i;
	enum field	 field;
	int		 bold = 0;

	p = skip_spaces(line);
	if (*p == '\0')
		return;
	if (*p == '>') {		/* quoted mail */
		*pending = F_NONE;
		return;
	}
	if (*pending != F_NONE) {
		field = *pending;
		*pending = F_NONE;
		if ((seplen = sep_len(p)) > 0) {
			field_set(f, field, p + seplen);
			return;
		}
	}
	for (i = 0; i < 3 && (n = bullet_len(p)) > 0; i++)
		p = skip_spaces(p + n);
	if (*p == '*' || *p == '_')
		bold = *p;
	if ((sep = find_sep(p, &seplen)) == NULL) {
		*pending = label_lookup(p, strlen(p));
		return;
	}
	if ((field = label_lookup(p, (size_t)(sep - p))) == F_NONE)
		return;
	value = sep + seplen;
	while (bold && *value == bold)	/* "*Nama:* Budi", "**Nama:** Budi" */
		value++;
	field_set(f, field, value);
}

void
request_fields_parse(const char *text, struct request_fields *f)
{
	char		 line[FIELDS_MAX_LINE + 1];
	const char	*p, *nl;
	size_t		 len, nlines;
	enum field	 pending = F_NONE;
	char		 digits[32];

	memset(f, 0, sizeof(*f));
	p = text != NULL ? text : "";
	for (nlines = 0; *p != '\0' && nlines < FIELDS_MAX_LINES; nlines++) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		line_clean(p, len, line, sizeof(line));
		fields_line(f, line, &pending);
		p += len;
		if (*p == '\n')
			p++;
	}

	if (f->nik != NULL)
		f->nik_valid = nik_digits(f->nik, digits, sizeof(digits)) == 16;
	if (f->serial_raw != NULL)
		f->serial_valid = request_serial_normalise(f->serial_raw,
		    &f->serial) == 0;
	if (f->subject_dn != NULL)
		f->dn = request_dn_parse(f->subject_dn);
	if (f->reason_raw != NULL)
		f->reason = request_reason_parse(f->reason_raw);
	if (f->loss_date_raw != NULL)
		f->loss_date_valid = request_date_parse(f->loss_date_raw,
		    &f->loss_date) == 0;
}

void
request_fields_clear(struct request_fields *f)
{
	free(f->name);
	free(f->nik);
	free(f->username);
	free(f->serial);
	free(f->serial_raw);
	free(f->subject_dn);
	X509_NAME_free(f->dn);
	free(f->reason_raw);
	free(f->loss_date_raw);
	memset(f, 0, sizeof(*f));
}

/*
 * The step-5 checks.
 */

/* Parts that are neither letter nor body: signatures of a signed mail,
 * and the text pieces some clients split the body into around an
 * attachment (no file name, not marked as an attachment). */
static int
not_a_letter(const struct message_attachment *a)
{
	const char	*t = a->declared_type != NULL ? a->declared_type : "";

	if (a->referenced)
		return 1;		/* an inline image the HTML shows */
	if (strcasecmp(t, "application/pkcs7-signature") == 0 ||
	    strcasecmp(t, "application/x-pkcs7-signature") == 0 ||
	    strcasecmp(t, "application/pgp-signature") == 0)
		return 1;
	if ((strcasecmp(t, "text/plain") == 0 || strcasecmp(t, "text/html") == 0) &&
	    a->filename == NULL && a->disposition != DISPOSITION_ATTACHMENT)
		return 1;
	return 0;
}

/* The type libmagic reads from the content, lowercased, without
 * parameters, into out. */
static void
detect_type(void *magic, const struct message_attachment *a, char *out,
    size_t outsz)
{
	const char	*t = NULL;
	size_t		 n = 0;
	int		 c;

	if (magic != NULL)
		t = magic_buffer((magic_t)magic, a->data != NULL ? (const void *)a->data : "",
		    a->data != NULL ? a->size : 0);
	if (t == NULL)
		t = "unknown";
	for (; *t != '\0' && *t != ';' && *t != ' ' && n + 1 < outsz; t++) {
		c = to_lower((unsigned char)*t);
		if (is_alpha(c) || is_digit(c) || strchr("/.+-_", c) != NULL)
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void
bad_type_add(struct buf *b, const char *type)
{
	const char	*p;
	size_t		 tl = strlen(type);

	/* Each type once. */
	for (p = b->data; p != NULL && (p = strstr(p, type)) != NULL; p += tl)
		if ((p == b->data || p[-1] == ' ') && (p[tl] == ',' || p[tl] == '\0'))
			return;
	if (b->len > 0 && buf_addstr(b, ", ") == -1)
		return;
	(void)buf_addstr(b, type);
}

static void
check_letters(const struct message *m, const struct request_limits *lim,
    void *magic, struct request_check *c)
{
	const struct message_attachment	*a;
	char		 type[MIME_TYPE_MAX];
	struct buf	 bad;
	size_t		 i, j, candidates = 0;

	buf_init(&bad, BAD_TYPES_MAX);
	for (i = 0; m != NULL && i < m->nattachments; i++) {
		a = &m->attachments[i];
		if (not_a_letter(a))
			continue;
		candidates++;
		if (lim->max_attachment_size > 0 && a->size > lim->max_attachment_size)
			c->problems |= 1U << PROBLEM_LETTER_SIZE;
		detect_type(magic, a, type, sizeof(type));
		for (j = 0; j < lim->nallowed_types; j++)
			if (strcasecmp(type, lim->allowed_types[j]) == 0)
				break;
		if (j == lim->nallowed_types) {
			c->problems |= 1U << PROBLEM_LETTER_TYPE;
			bad_type_add(&bad, type[0] != '\0' ? type : "unknown");
			continue;
		}
		if (c->nletters == NELEM(c->letters)) {
			/* More pages than one request carries. */
			c->problems |= 1U << PROBLEM_LETTER_SIZE;
			continue;
		}
		c->letters[c->nletters].attachment = i;
		c->letters[c->nletters].type = lim->allowed_types[j];
		c->nletters++;
	}
	if (candidates == 0)
		c->problems |= 1U << PROBLEM_NO_LETTER;
	if (bad.len > 0)
		c->bad_types = buf_steal(&bad);
	buf_free(&bad);
}

void
request_check(const struct request_fields *f, const struct message *m,
    const struct registry_cert *cert, const char *sender,
    const struct request_limits *lim, void *magic, time_t t_now,
    struct request_check *c)
{
	static const struct request_limits	 none;
	X509_NAME	*cert_dn = NULL;
	int		 has_serial, has_dn, usable, own;
	int64_t		 now64 = (int64_t)t_now, d;

	memset(c, 0, sizeof(*c));
	check_letters(m, lim != NULL ? lim : &none, magic, c);

	if (f->conflicting)
		c->problems |= 1U << PROBLEM_FIELDS_CONFLICT;
	if (f->reason_raw == NULL)
		c->problems |= 1U << PROBLEM_NO_REASON;
	else if (f->reason == REASON_NONE)
		c->problems |= 1U << PROBLEM_REASON_UNKNOWN;
	else
		c->reason_code = request_reason_code(f->reason);
	if (f->reason == REASON_KEHILANGAN && f->loss_date_raw != NULL &&
	    (!f->loss_date_valid || f->loss_date > now64 + LOSS_DATE_SLACK))
		c->problems |= 1U << PROBLEM_LOSS_DATE_INVALID;
	if (f->nik != NULL && !f->nik_valid)
		c->problems |= 1U << PROBLEM_NIK_INVALID;

	has_serial = f->serial_raw != NULL;
	has_dn = f->subject_dn != NULL;
	if (!has_serial && !has_dn)
		c->problems |= 1U << PROBLEM_NO_CERTIFICATE;
	if (has_serial && !f->serial_valid)
		c->problems |= 1U << PROBLEM_SERIAL_INVALID;
	if (has_dn && f->dn == NULL)
		c->problems |= 1U << PROBLEM_DN_INVALID;
	usable = (has_serial && f->serial_valid) || (has_dn && f->dn != NULL);

	/* A certificate registered to someone else is, to this sender, one
	 * that does not exist: nothing more is said about it. */
	own = cert != NULL && cert->email != NULL && sender != NULL &&
	    strcasecmp(cert->email, sender) == 0;
	if (usable && !own)
		c->problems |= 1U << PROBLEM_NOT_FOUND;
	if (usable && own) {
		if (cert->revoked != 0)
			c->problems |= 1U << PROBLEM_REVOKED;
		if (cert->not_after < now64)
			c->problems |= 1U << PROBLEM_EXPIRED;
		if (f->username != NULL && cert->username != NULL &&
		    strcasecmp(f->username, cert->username) != 0)
			c->problems |= 1U << PROBLEM_USERNAME_MISMATCH;
		/* A registry DN this parser cannot read is left to the OP,
		 * who sees both side by side. */
		if (has_serial && f->serial_valid && f->dn != NULL &&
		    cert->subject_dn != NULL &&
		    (cert_dn = request_dn_parse(cert->subject_dn)) != NULL &&
		    !request_dn_match(f->dn, cert_dn))
			c->problems |= 1U << PROBLEM_DN_MISMATCH;
	}

	if (f->reason == REASON_KEHILANGAN) {
		d = now64;
		if (f->loss_date_raw != NULL && f->loss_date_valid)
			d = f->loss_date;
		if (own && d < cert->not_before)
			d = cert->not_before;
		if (d > now64)
			d = now64;
		c->invalidity_date = d;
	}
	X509_NAME_free(cert_dn);
}

void
request_check_clear(struct request_check *c)
{
	free(c->bad_types);
	memset(c, 0, sizeof(*c));
}

const char *
request_problem_text(enum request_problem p, const char *lang)
{
	const char *const	*texts = problem_text_id;

	if (lang != NULL && strncasecmp(lang, "en", 2) == 0)
		texts = problem_text_en;
	if ((int)p < 0 || p >= PROBLEM_COUNT)
		return texts == problem_text_en ?
		    "The request could not be checked. Please send it again." :
		    "Permohonan tidak dapat diperiksa. Mohon kirim ulang permohonan.";
	return texts[p];
}
