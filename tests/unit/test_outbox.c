/* outbox: composed mail is valid RFC 5322/MIME with CRLF only, carries
 * the headers SPEC promises, encodes non-ASCII text, refuses header
 * injection, and parses back to what was put in (message.c). */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "message.h"
#include "outbox.h"
#include "util.h"

static struct config	 cfg;
static char		 from[] = "Layanan Sertifikat <cabut@example.test>";
static char		 from_name[] = "Layanan Sertifikat Élektronik";
static char		 addr[] = "cabut@example.test";

static int
setup(void **state)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp.from = from;
	cfg.smtp.from_name = from_name;
	cfg.smtp.from_addr = addr;
	cfg.smtp.reply_to = addr;
	return 0;
}

static char *
compose(const struct outmail *m, size_t *len, char **msgid)
{
	char	*data = NULL, *err = NULL;

	if (outbox_compose(&cfg, m, 1795143600, &data, len, msgid, &err) == -1)
		fail_msg("compose: %s", err);
	return data;
}

static void
no_bare_lf(const char *data, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			fail_msg("bare LF at offset %zu", i);
	for (i = 0; i < len; i++)
		if (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'))
			fail_msg("bare CR at offset %zu", i);
}

static void
test_headers(void **state)
{
	struct outmail	 m = {
		.kind = "approval", .to = "op1@example.test",
		.subject = "[cabut #12] Persetujuan pencabutan",
		.body = "Baris satu\nFrom here\n.titik\nakhir = sama\n",
		.answer = 0, .token = "abcdefghijklmnopqrstuvwxyz234567",
		.reply_to_token = 1, .in_reply_to = "orig@example.test",
		.references = "a@x orig@example.test",
	};
	struct message		*msg = NULL;
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	size_t			 len;
	char			*msgid, *data, *reason = NULL;

	data = compose(&m, &len, &msgid);
	no_bare_lf(data, len);
	assert_string_equal(msgid, "cabut.abcdefghijklmnopqrstuvwxyz234567@example.test");
	assert_non_null(strstr(data, "\r\nReply-To: cabut+abcdefghijklmnopqrstuvwxyz234567@example.test\r\n"));
	assert_non_null(strstr(data, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(data, "\r\nX-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(data, "\r\nIn-Reply-To: <orig@example.test>\r\n"));
	assert_non_null(strstr(data, "\r\nReferences: <a@x> <orig@example.test>\r\n"));
	assert_non_null(strstr(data, "\r\nDate: Fri, 20 Nov 2026 03:00:00 +0000\r\n"));
	assert_non_null(strstr(data, "=?UTF-8?B?"));	/* the From name */
	/* Lines that relays mangle are encoded. */
	assert_non_null(strstr(data, "\r\n=46rom here\r\n"));
	assert_non_null(strstr(data, "\r\n=2Etitik\r\n"));

	assert_int_equal(message_parse(data, len, &lim, &msg, &reason), 0);
	assert_string_equal(msg->subject, m.subject);
	assert_string_equal(msg->from.addr, "cabut@example.test");
	assert_string_equal(msg->from.name, "Layanan Sertifikat Élektronik");
	assert_string_equal(msg->text, m.body);
	assert_string_equal(msg->message_id, msgid);
	assert_non_null(message_header(msg, "X-Cabut-Loop", 0));
	message_free(&msg);
	free(data);
	free(msgid);
}

static void
test_answer_non_ascii(void **state)
{
	const char		*subject = "Permohonan ✓ diterima — nomor 7 "
	    "dengan subjek yang sangat panjang sekali sampai harus dilipat dua kali";
	struct outmail		 m = {
		.kind = "received", .to = "pemohon@example.test",
		.subject = subject, .body = "Terima kasih — ✓\n", .answer = 1,
	};
	struct message		*msg = NULL;
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	size_t			 len, i, col = 0;
	char			*msgid, *data, *reason = NULL;

	data = compose(&m, &len, &msgid);
	no_bare_lf(data, len);
	assert_non_null(strstr(data, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(data, "\r\nReply-To: cabut@example.test\r\n"));
	assert_true(strncmp(msgid, "cabut-", 6) == 0);
	/* No line longer than 78 characters (RFC 5322 should). */
	for (i = 0; i < len; i++) {
		if (data[i] == '\n')
			col = 0;
		else if (++col > 78)
			fail_msg("line too long at %zu", i);
	}
	assert_int_equal(message_parse(data, len, &lim, &msg, &reason), 0);
	assert_string_equal(msg->subject, subject);
	assert_string_equal(msg->text, m.body);
	message_free(&msg);
	free(data);
	free(msgid);
}

static void
test_attachments(void **state)
{
	unsigned char		 pdf[3000];
	struct outmail_part	 parts[2] = {
		{ "Surat Keterangan – Pencabutan.pdf", "application/pdf", pdf, sizeof(pdf) },
		{ "scan.jpg", "image/jpeg", pdf, 10 },
	};
	struct outmail		 m = {
		.kind = "approval", .to = "op2@example.test", .subject = "x",
		.body = "lihat lampiran\n", .parts = parts, .nparts = 2,
	};
	struct message		*msg = NULL;
	struct message_limits	 lim = MESSAGE_LIMITS_DEFAULT;
	size_t			 len, i;
	char			*msgid, *data, *reason = NULL;

	for (i = 0; i < sizeof(pdf); i++)
		pdf[i] = (unsigned char)(i * 31);
	data = compose(&m, &len, &msgid);
	no_bare_lf(data, len);
	assert_int_equal(message_parse(data, len, &lim, &msg, &reason), 0);
	assert_string_equal(msg->text, "lihat lampiran\n");
	assert_int_equal(msg->nattachments, 2);
	assert_string_equal(msg->attachments[0].filename, parts[0].filename);
	assert_int_equal(msg->attachments[0].size, sizeof(pdf));
	assert_memory_equal(msg->attachments[0].data, pdf, sizeof(pdf));
	assert_string_equal(msg->attachments[1].filename, "scan.jpg");
	assert_string_equal(msg->attachments[1].declared_type, "image/jpeg");
	message_free(&msg);
	free(data);
	free(msgid);
}

static void
test_injection_refused(void **state)
{
	static const char *const subjects[] = {
		"a\r\nBcc: evil@example.test", "a\nBcc: x", "a\rb", "tab\tis\x01ctl",
	};
	struct outmail	 m = { .kind = "received", .to = "p@example.test",
	    .body = "b\n" };
	size_t		 i, len;
	char		*data, *msgid, *err = NULL;

	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		m.subject = subjects[i];
		assert_int_equal(outbox_compose(&cfg, &m, 1, &data, &len, &msgid,
		    &err), -1);
		free(err);
		err = NULL;
	}
	m.subject = "ok";
	m.to = "p@example.test\r\nBcc: evil@example.test";
	assert_int_equal(outbox_compose(&cfg, &m, 1, &data, &len, &msgid, &err), -1);
	free(err);
	err = NULL;
	m.to = "not an address";
	assert_int_equal(outbox_compose(&cfg, &m, 1, &data, &len, &msgid, &err), -1);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_answer_non_ascii),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_injection_refused),
	};

	return cmocka_run_group_tests_name("outbox", tests, setup, NULL);
}
