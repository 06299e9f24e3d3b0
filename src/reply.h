/* The OP's (or applicant's) reply: its own text, without what it quotes,
 * and the decision word at its start (SPEC "The decision"). Pure text
 * processing, no I/O. */
#ifndef CABUT_REPLY_H
#define CABUT_REPLY_H

enum reply_word {
	REPLY_NONE,		/* no own text, or a first word that decides nothing */
	REPLY_APPROVE,		/* SETUJU, DISETUJUI, APPROVE, APPROVED */
	REPLY_REJECT,		/* TOLAK, DITOLAK, REJECT, REJECTED */
	REPLY_RETURN,		/* PERBAIKI, FIX */
	REPLY_CONFIRM,		/* KONFIRMASI, CONFIRM, CONFIRMED */
	REPLY_DONE,		/* SUDAH, DONE (manual revocation) */
};

/* The reply's own text (owned): the text before the first quoted part:
 * lines starting with ">", an attribution line "On ... wrote:" or
 * "Pada ... menulis:" (which may be wrapped over two lines), Outlook's
 * header block ("From:"/"Sent:" or "Dari:"/"Dikirim:", also "-----Original
 * Message-----" and "-----Pesan Asli-----"), a "-- " signature separator,
 * and everything after them. Leading blank lines are dropped. */
char	*reply_own_text(const char *text);

/* The decision: the first word of the own text, case and trailing
 * punctuation ignored. *rest_r (owned, may be "") is the rest of that
 * line or paragraph: the reason for TOLAK, the OP's words for PERBAIKI. */
enum reply_word reply_decision(const char *own_text, char **rest_r);

/* 1 when the first word of line decides something: cabut's own mails use
 * this to make sure none of their lines does. */
int	reply_line_decides(const char *line);

const char	*reply_word_name(enum reply_word);

#endif
