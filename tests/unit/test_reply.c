/* reply: the own text stops where each mail client's quoted part starts;
 * only the first word of the own text decides, and only as written. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "util.h"

#define NBSP	"\xc2\xa0"
#define ZWSP	"\xe2\x80\x8b"

/* The own text of text is want_own (unless NULL), it decides want, and
 * the rest is want_rest (unless NULL). */
static void
check(const char *text, enum reply_word want, const char *want_own,
    const char *want_rest)
{
	char		*own, *rest;
	enum reply_word	 w;

	own = reply_own_text(text);
	assert_non_null(own);
	if (want_own != NULL && strcmp(own, want_own) != 0)
		fail_msg("own text of '%s':\n  got  '%s'\n  want '%s'", text, own,
		    want_own);
	w = reply_decision(own, &rest);
	assert_non_null(rest);
	if (w != want)
		fail_msg("decision on '%s': got %s, want %s", own,
		    reply_word_name(w), reply_word_name(want));
	if (want_rest != NULL && strcmp(rest, want_rest) != 0)
		fail_msg("rest of '%s':\n  got  '%s'\n  want '%s'", own, rest,
		    want_rest);
	free(rest);
	free(own);
}

static void
test_mutt(void **state)
{
	check("SETUJU\n"
	    "\n"
	    "On Mon, Jan 01, 2026 at 10:00:00AM +0700, cabut wrote:\n"
	    "> [cabut #12] Permohonan pencabutan\n"
	    "> TOLAK\n",
	    REPLY_APPROVE, "SETUJU", "");
	/* No blank line before the attribution. */
	check("TOLAK: data tidak cocok\n"
	    "On Mon, Jan 01, 2026 at 10:00:00AM +0700, cabut wrote:\n"
	    "> SETUJU\n",
	    REPLY_REJECT, "TOLAK: data tidak cocok", "data tidak cocok");
	/* The ">" lines alone, no attribution. */
	check("Setuju\n> TOLAK\n", REPLY_APPROVE, "Setuju", "");
	check("Setuju\n   > TOLAK\n", REPLY_APPROVE, "Setuju", "");
}

static void
test_gmail(void **state)
{
	check("Setuju\n"
	    "\n"
	    "On Mon, Jan 1, 2026 at 10:00 AM cabut <cabut@x.go.id> wrote:\n"
	    "\n"
	    "> Balas SETUJU atau TOLAK.\n",
	    REPLY_APPROVE, "Setuju", NULL);
	/* Gmail wraps a long attribution. */
	check("TOLAK: surat belum lengkap\n"
	    "\n"
	    "On Mon, 1 Jan 2026 at 10:00, Budi Santoso <budi.santoso@kementerian.go.id>\n"
	    "wrote:\n"
	    "\n"
	    "> SETUJU\n",
	    REPLY_REJECT, "TOLAK: surat belum lengkap", "surat belum lengkap");
	/* HTML-only: no ">" after conversion, only the attribution. */
	check("Setuju\n"
	    "\n"
	    "On Mon, Jan 1, 2026 at 10:00 AM cabut <cabut@x.go.id> wrote:\n"
	    "\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "Setuju", "");
}

static void
test_gmail_id(void **state)
{
	check("Setuju.\n"
	    "\n"
	    "Pada tanggal Sen, 1 Jan 2026 pukul 10.00 cabut <cabut@x.go.id> menulis:\n"
	    "\n"
	    "> TOLAK\n",
	    REPLY_APPROVE, "Setuju.", "");
	check("DISETUJUI\n"
	    "\n"
	    "Pada tanggal Sen, 1 Jan 2026 pukul 10.00 Budi Santoso\n"
	    "<budi.santoso@kementerian.go.id> menulis:\n"
	    "\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "DISETUJUI", "");
	/* Thunderbird in Indonesian. */
	check("tolak, bukan pemilik sertifikat\n"
	    "\n"
	    "Pada 01/01/26 10.00, cabut menulis:\n"
	    "> SETUJU\n",
	    REPLY_REJECT, NULL, "bukan pemilik sertifikat");
}

static void
test_outlook(void **state)
{
	check("Approved\n"
	    "\n"
	    "________________________________\n"
	    "From: cabut <cabut@x.go.id>\n"
	    "Sent: Monday, January 1, 2026 10:00 AM\n"
	    "To: Budi <b@x.go.id>\n"
	    "Subject: [cabut #12] Permohonan pencabutan\n"
	    "\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "Approved", "");
	/* Without the line of underscores. */
	check("Tolak - data tidak cocok\n"
	    "\n"
	    "From: cabut <cabut@x.go.id>\n"
	    "Sent: Monday, January 1, 2026 10:00 AM\n"
	    "To: Budi <b@x.go.id>\n"
	    "Subject: [cabut #12] Permohonan pencabutan\n"
	    "\n"
	    "SETUJU\n",
	    REPLY_REJECT, "Tolak - data tidak cocok", "data tidak cocok");
	/* HTML converted: bold field names, Date: instead of Sent:. */
	check("Setuju\n"
	    "\n"
	    "*From:* cabut <cabut@x.go.id>\n"
	    "*Date:* Monday, January 1, 2026 10:00 AM\n"
	    "*Subject:* [cabut #12]\n"
	    "\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "Setuju", "");
	/* From: alone starts nothing. */
	check("PERBAIKI\n"
	    "From: the letter is not signed\n"
	    "\n"
	    "Budi\n",
	    REPLY_RETURN, "PERBAIKI\nFrom: the letter is not signed\n\nBudi",
	    "From: the letter is not signed");
	/* Sent: more than four lines after From: is not the block. */
	check("PERBAIKI\nFrom: a\n1\n2\n3\n4\nSent: b\n", REPLY_RETURN,
	    "PERBAIKI\nFrom: a\n1\n2\n3\n4\nSent: b", NULL);
	check("PERBAIKI\nFrom: a\n1\n2\n3\nSent: b\n", REPLY_RETURN,
	    "PERBAIKI", NULL);
}

static void
test_outlook_id(void **state)
{
	check("SETUJU\n"
	    "\n"
	    "________________________________\n"
	    "Dari: cabut <cabut@x.go.id>\n"
	    "Dikirim: Senin, 01 Januari 2026 10.00\n"
	    "Kepada: Budi <b@x.go.id>\n"
	    "Subjek: [cabut #12] Permohonan pencabutan\n"
	    "\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "SETUJU", "");
	check("DITOLAK: NIK tidak sesuai\n"
	    "\n"
	    "Dari: cabut <cabut@x.go.id>\n"
	    "Dikirim: Senin, 01 Januari 2026 10.00\n"
	    "Kepada: Budi <b@x.go.id>\n"
	    "Subjek: [cabut #12] Permohonan pencabutan\n"
	    "\n"
	    "SETUJU\n",
	    REPLY_REJECT, "DITOLAK: NIK tidak sesuai", "NIK tidak sesuai");
	check("Setuju\n"
	    "**Dari:** cabut <cabut@x.go.id>\n"
	    "**Tanggal:** Senin, 01 Januari 2026 10.00\n"
	    "TOLAK\n",
	    REPLY_APPROVE, "Setuju", "");
	/* The line of underscores alone cuts. */
	check("Setuju\n________________________________\nTOLAK\n",
	    REPLY_APPROVE, "Setuju", "");
}

static void
test_markers(void **state)
{
	static const char *const markers[] = {
		"-----Original Message-----",
		"-----Pesan Asli-----",
		"---------- Forwarded message ---------",
		"-------- Pesan Terusan --------",
		"  -----original message-----  ",
		"Begin forwarded message:",
		"-- ",
		"--",
		"--\t",
		NULL,
	};
	char	*text;
	size_t	 i;

	for (i = 0; markers[i] != NULL; i++) {
		text = xasprintf("Setuju\n%s\nTOLAK\n", markers[i]);
		check(text, REPLY_APPROVE, "Setuju", "");
		free(text);
		text = xasprintf("\n%s\nSETUJU\n", markers[i]);
		check(text, REPLY_NONE, "", "");
		free(text);
	}
	/* Dashes that are no marker. */
	check("PERBAIKI\n---\nTanggal salah\n", REPLY_RETURN,
	    "PERBAIKI\n---\nTanggal salah", "Tanggal salah");
	check("SETUJU\n-- Budi\n", REPLY_APPROVE, "SETUJU\n-- Budi", "Budi");
}

static void
test_apple(void **state)
{
	check("SETUJU\n"
	    "\n"
	    "Sent from my iPhone\n"
	    "\n"
	    "On 1 Jan 2026, at 10:00, Budi <b@x> wrote:\n"
	    "\n"
	    "\xef\xbb\xbf[cabut #12] TOLAK\n",
	    REPLY_APPROVE, "SETUJU\n\nSent from my iPhone", "");
	check("Setuju\n\n> On 1 Jan 2026, at 10:00, Budi <b@x> wrote:\n> TOLAK\n",
	    REPLY_APPROVE, "Setuju", "");
}

static void
test_only_quoted(void **state)
{
	/* A reply that only quotes cabut's mail decides nothing, even when
	 * the quoted part holds a decision word. */
	check("On Mon, Jan 1, 2026 at 10:00 AM cabut <cabut@x.go.id> wrote:\n"
	    "> SETUJU\n",
	    REPLY_NONE, "", "");
	check("> SETUJU\n", REPLY_NONE, "", "");
	check("\n\n"
	    "________________________________\n"
	    "From: cabut <cabut@x.go.id>\n"
	    "Sent: Monday, January 1, 2026 10:00 AM\n"
	    "\n"
	    "SETUJU\n",
	    REPLY_NONE, "", "");
	check("Pada tanggal Sen, 1 Jan 2026 pukul 10.00 cabut\n"
	    "<cabut@x.go.id> menulis:\n"
	    "SETUJU\n",
	    REPLY_NONE, "", "");
	check("", REPLY_NONE, "", "");
	check("\n \n\t\n", REPLY_NONE, "", "");
}

static void
test_signature(void **state)
{
	check("SETUJU\n"
	    "-- \n"
	    "Budi Santoso\n"
	    "TOLAK bukan jawaban\n",
	    REPLY_APPROVE, "SETUJU", "");
	/* The rest stops at the signature too. */
	check("TOLAK\nsurat belum lengkap\n-- \nBudi\n", REPLY_REJECT,
	    "TOLAK\nsurat belum lengkap", "surat belum lengkap");
	check("-- \nSETUJU\n", REPLY_NONE, "", "");
}

static void
test_words(void **state)
{
	static const struct {
		const char	*text;
		enum reply_word	 want;
	} cases[] = {
		{ "SETUJU", REPLY_APPROVE },
		{ "setuju", REPLY_APPROVE },
		{ "Disetujui", REPLY_APPROVE },
		{ "APPROVE", REPLY_APPROVE },
		{ "Approved.", REPLY_APPROVE },
		{ "approve!", REPLY_APPROVE },
		{ "*SETUJU*", REPLY_APPROVE },
		{ "**SETUJU**", REPLY_APPROVE },
		{ "_setuju_", REPLY_APPROVE },
		{ "*Setuju*.", REPLY_APPROVE },
		{ "Setuju,", REPLY_APPROVE },
		{ "Setuju!!", REPLY_APPROVE },
		{ "setuju; lanjutkan", REPLY_APPROVE },
		{ "TOLAK", REPLY_REJECT },
		{ "tolak", REPLY_REJECT },
		{ "Ditolak.", REPLY_REJECT },
		{ "reject", REPLY_REJECT },
		{ "REJECTED", REPLY_REJECT },
		{ "PERBAIKI", REPLY_RETURN },
		{ "fix", REPLY_RETURN },
		{ "KONFIRMASI", REPLY_CONFIRM },
		{ "Confirm", REPLY_CONFIRM },
		{ "confirmed.", REPLY_CONFIRM },
		{ "SUDAH", REPLY_DONE },
		{ "Sudah.", REPLY_DONE },
		{ "done", REPLY_DONE },
		/* A question is not a decision. */
		{ "Setuju?", REPLY_NONE },
		{ "SETUJU?!", REPLY_NONE },
		{ "Tidak setuju", REPLY_NONE },
		{ "Ya, setuju", REPLY_NONE },
		{ "SETUJUI", REPLY_NONE },
		{ "SETUJUSETUJU", REPLY_NONE },
		{ "SETU JU", REPLY_NONE },
		{ "TOLAK:alasan", REPLY_NONE },
		{ "\"SETUJU\"", REPLY_NONE },
		{ "*", REPLY_NONE },
		{ "...", REPLY_NONE },
		{ "\xc5\x9e" "ETUJU", REPLY_NONE },
		{ "SETUJU" "\xcc\x81", REPLY_NONE },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].text, cases[i].want, NULL, NULL);
	check(NULL, REPLY_NONE, "", "");
	assert_int_equal(reply_decision(NULL, NULL), REPLY_NONE);
	assert_int_equal(reply_decision("SETUJU", NULL), REPLY_APPROVE);
}

static void
test_rest(void **state)
{
	check("TOLAK: surat belum ditandatangani atasan", REPLY_REJECT, NULL,
	    "surat belum ditandatangani atasan");
	check("TOLAK\nSurat tidak lengkap.", REPLY_REJECT, NULL,
	    "Surat tidak lengkap.");
	check("TOLAK - NIK salah", REPLY_REJECT, NULL, "NIK salah");
	check("TOLAK \xe2\x80\x94 NIK salah", REPLY_REJECT, NULL, "NIK salah");
	check("TOLAK :-  NIK salah  ", REPLY_REJECT, NULL, "NIK salah");
	check("TOLAK:\n\nbukan alasan\n", REPLY_REJECT, NULL, "");
	check("PERBAIKI\n"
	    "Mohon lampirkan surat keterangan\n"
	    "   yang ditandatangani atasan.\n"
	    "\n"
	    "Terima kasih,\n"
	    "Budi\n",
	    REPLY_RETURN, NULL,
	    "Mohon lampirkan surat keterangan yang ditandatangani atasan.");
	check("PERBAIKI: tanggal hilang tidak terbaca,\n"
	    "tulis sebagai 01-01-2026.\n"
	    " \t\n"
	    "Salam\n",
	    REPLY_RETURN, NULL,
	    "tanggal hilang tidak terbaca, tulis sebagai 01-01-2026.");
	check("FIX: wrong date", REPLY_RETURN, NULL, "wrong date");
	/* A line beginning "On " that is no attribution stays. */
	check("PERBAIKI\nOn the letter the date is wrong.\nPlease fix.\n",
	    REPLY_RETURN, NULL, "On the letter the date is wrong. Please fix.");
	check("SETUJU", REPLY_APPROVE, NULL, "");
	check("SUDAH dicabut di AMS", REPLY_DONE, NULL, "dicabut di AMS");
	check("Setuju? TOLAK", REPLY_NONE, NULL, "");
}

static void
test_spaces(void **state)
{
	check("\n\n   \nSETUJU\n", REPLY_APPROVE, "SETUJU", "");
	check(NBSP "\n\n" NBSP "SETUJU" NBSP "\n", REPLY_APPROVE,
	    NBSP "SETUJU", "");
	check(ZWSP "SETUJU", REPLY_APPROVE, ZWSP "SETUJU", "");
	check("\xef\xbb\xbf" "Setuju", REPLY_APPROVE, NULL, "");
	check("TOLAK" NBSP "NIK salah", REPLY_REJECT, NULL, "NIK salah");
	check("\tSETUJU  \n  \n", REPLY_APPROVE, "\tSETUJU", "");
	/* CRLF, and a lone CR, become LF. */
	check("SETUJU\r\n\r\nOn Mon, 1 Jan 2026, cabut wrote:\r\n> TOLAK\r\n",
	    REPLY_APPROVE, "SETUJU", "");
	check("TOLAK\r\nSurat tidak lengkap.\r\n\r\nBudi\r\n", REPLY_REJECT,
	    "TOLAK\nSurat tidak lengkap.\n\nBudi", "Surat tidak lengkap.");
	check("Setuju\r> TOLAK\r", REPLY_APPROVE, "Setuju", "");
}

static void
test_bounded(void **state)
{
	const size_t	 mib = 1024 * 1024;
	char		*text, *own, *p;
	size_t		 i, nl;

	/* 3 MiB without a line break, a quoted SETUJU after it. */
	text = xmalloc(3 * mib + 16);
	memset(text, 'a', 3 * mib);
	memcpy(text + 3 * mib, "\n> SETUJU\n", 11);
	own = reply_own_text(text);
	assert_int_equal(strlen(own), mib);
	free(own);

	/* Cut on a character boundary: an "e acute" across the limit. */
	memset(text, 'a', mib - 1);
	memcpy(text + mib - 1, "\xc3\xa9zz", 5);
	own = reply_own_text(text);
	assert_int_equal(strlen(own), mib - 1);
	assert_int_equal(own[mib - 2], 'a');
	free(own);
	free(text);

	/* 30000 lines: only the first 20000 are read. */
	text = xmalloc(30000 * 2 + 16);
	for (i = 0, p = text; i < 30000; i++, p += 2)
		memcpy(p, "x\n", 2);
	*p = '\0';
	own = reply_own_text(text);
	for (nl = 0, p = own; *p != '\0'; p++)
		nl += *p == '\n';
	assert_int_equal(nl, 20000 - 1);
	free(own);
	free(text);

	/* A reply_decision on a huge first word decides nothing. */
	text = xmalloc(2 * mib + 1);
	memset(text, 'A', 2 * mib);
	text[2 * mib] = '\0';
	assert_int_equal(reply_decision(text, NULL), REPLY_NONE);
	assert_int_equal(reply_line_decides(text), 0);
	free(text);
}

static void
test_line_decides(void **state)
{
	static const struct {
		const char	*line;
		int		 want;
	} cases[] = {
		{ "SETUJU", 1 },
		{ "  setuju.", 1 },
		{ NBSP "SETUJU", 1 },
		{ "*TOLAK*", 1 },
		{ "PERBAIKI: alasan", 1 },
		{ "Konfirmasi", 1 },
		{ "DONE", 1 },
		{ "Sudah", 1 },
		{ "TOLAK\nlain", 1 },
		{ "Balas SETUJU untuk menyetujui", 0 },
		{ "Balas dengan kata SETUJU, TOLAK atau PERBAIKI.", 0 },
		{ "> SETUJU", 0 },
		{ "\"SETUJU\"", 0 },
		{ "Setuju?", 0 },
		{ "[cabut #12] SETUJU", 0 },
		{ "", 0 },
		{ "   ", 0 },
		{ "\nSETUJU", 0 },
		{ "lain\nSETUJU", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (reply_line_decides(cases[i].line) != cases[i].want)
			fail_msg("reply_line_decides('%s') != %d", cases[i].line,
			    cases[i].want);
	assert_int_equal(reply_line_decides(NULL), 0);
}

static void
test_names(void **state)
{
	assert_string_equal(reply_word_name(REPLY_NONE), "none");
	assert_string_equal(reply_word_name(REPLY_APPROVE), "approve");
	assert_string_equal(reply_word_name(REPLY_REJECT), "reject");
	assert_string_equal(reply_word_name(REPLY_RETURN), "return");
	assert_string_equal(reply_word_name(REPLY_CONFIRM), "confirm");
	assert_string_equal(reply_word_name(REPLY_DONE), "done");
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_mutt),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_gmail_id),
		cmocka_unit_test(test_outlook),
		cmocka_unit_test(test_outlook_id),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_apple),
		cmocka_unit_test(test_only_quoted),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_line_decides),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
