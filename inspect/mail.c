// SPDX-License-Identifier: BSD-2-Clause
/* Mail and file transfer in cleartext: SMTP, IMAP, POP3 and FTP commands and replies, and their
 * STARTTLS upgrades (RFC 5321 and 3207, 9051, 1939 and 2595, 959 and 4217). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

#define MAIL_SP ' '
#define SMTP_PORT 25
#define SUBMISSION_PORT 587
#define SMTP_ALT_PORT 2525
#define IMAP_PORT 143
#define POP3_PORT 110
#define FTP_PORT 21
#define REPLY_DIGITS 3
/* The codes that let TLS begin (RFC 3207 4, RFC 4217 4.1) and that greet (RFC 5321 4.2). */
#define SMTP_READY 220
#define FTP_AUTH_OK 234
#define MAIL_GREETING 220

/* How one protocol's lines look. */
struct mail_proto {
	enum inspect_proto proto;
	/* Commands' verbs, in upper case. */
	const char *const *verbs;
	size_t n_verbs;
	/* What a greeting that announces the protocol holds, in lower case. */
	const char *announce;
	/* Replies: three-digit codes (SMTP, FTP) and the one that lets TLS begin; else 0. */
	uint16_t go_code;
};

/* What one line is. */
struct mail_line {
	bool reply; /* else a command */
	uint16_t code;
	char verb[INSPECT_VERB_SIZE];
	size_t arg, arg_end; /* the command's first argument, [arg, arg_end) of the line */
	bool starttls, go_ahead, announced;
};

static const char *const smtp_verbs[] = {
	"HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT",	    "RSET",
	"VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH",
};
static const char *const imap_verbs[] = {
	"CAPABILITY", "NOOP",	   "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN",	"SELECT",
	"EXAMINE",    "CREATE",	   "DELETE", "RENAME",	 "SUBSCRIBE",	 "UNSUBSCRIBE", "LIST",
	"LSUB",	      "NAMESPACE", "STATUS", "APPEND",	 "IDLE",	 "CHECK",	"CLOSE",
	"UNSELECT",   "EXPUNGE",   "SEARCH", "FETCH",	 "STORE",	 "COPY",	"MOVE",
	"UID",	      "ID",	   "ENABLE", "COMPRESS",
};
static const char *const pop3_verbs[] = {
	"USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP",
	"RSET", "QUIT", "TOP",	"UIDL", "CAPA", "STLS", "AUTH", "UTF8",
};
static const char *const ftp_verbs[] = {
	"USER", "PASS", "ACCT", "CWD",	"CDUP", "SMNT", "QUIT", "REIN", "PORT", "PASV", "EPRT",
	"EPSV", "TYPE", "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR",
	"RNTO", "ABOR", "DELE", "RMD",	"MKD",	"PWD",	"LIST", "NLST", "SITE", "SYST", "STAT",
	"HELP", "NOOP", "FEAT", "OPTS", "AUTH", "PBSZ", "PROT", "CCC",	"MDTM", "SIZE", "MLSD",
	"MLST", "XPWD", "XCWD", "XMKD", "XRMD", "CLNT", "LANG", "HOST",
};
/* FTP's AUTH mechanisms that start TLS (RFC 4217 4; TLS-C and TLS-P, SSL from its drafts). */
static const char *const ftp_tls_mechanisms[] = { "TLS", "SSL", "TLS-C", "TLS-P" };
/* IMAP's untagged replies that begin a session, and the statuses of tagged ones. */
static const char *const imap_untagged[] = { "OK", "NO", "BAD", "PREAUTH", "BYE", "CAPABILITY" };
static const char *const imap_tagged[] = { "OK", "NO", "BAD" };
/* The untagged replies a greeting that names the protocol may be. */
static const char *const imap_greeting[] = { "OK", "PREAUTH", "CAPABILITY" };
static const char *const imap_ok[] = { "OK" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct mail_proto smtp = { INSPECT_SMTP, smtp_verbs, N(smtp_verbs), "esmtp",
					SMTP_READY };
static const struct mail_proto imap = { INSPECT_IMAP, imap_verbs, N(imap_verbs), "imap4", 0 };
static const struct mail_proto pop3 = { INSPECT_POP3, pop3_verbs, N(pop3_verbs), "pop3", 0 };
static const struct mail_proto ftp = { INSPECT_FTP, ftp_verbs, N(ftp_verbs), "ftp", FTP_AUTH_OK };

/* The upper-case form of an ASCII letter. */
static uint8_t upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* The end of the word at off in the line [0, n): the first space or the line's end. */
static size_t word_end(const uint8_t *p, size_t n, size_t off)
{
	while (off < n && p[off] != MAIL_SP)
		off++;
	return off;
}

/* Whether the word [off, end) of p is one of the upper-case strings of list, in any case. */
static bool word_in(const uint8_t *p, size_t off, size_t end, const char *const *list, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (strlen(list[i]) != end - off)
			continue;
		for (j = 0; j < end - off && upper(p[off + j]) == (uint8_t)list[i][j]; j++)
			;
		if (j == end - off)
			return true;
	}
	return false;
}

/* Whether the line [0, n) holds the lower-case word, in any case. */
static bool holds_ci(const uint8_t *p, size_t n, const char *lower)
{
	size_t want = strlen(lower), i, j;

	for (i = 0; i + want <= n; i++) {
		for (j = 0; j < want && upper(p[i + j]) == upper((uint8_t)lower[j]); j++)
			;
		if (j == want)
			return true;
	}
	return false;
}

/* Whether nothing but spaces follows off in the line [0, n). */
static bool rest_blank(const uint8_t *p, size_t n, size_t off)
{
	while (off < n && p[off] == MAIL_SP)
		off++;
	return off == n;
}

/* The command whose verb is the word [off, end): fills l when it is one of mp's verbs, with
 * its first argument. */
static bool mail_command(const struct mail_proto *mp, const uint8_t *p, size_t n, size_t off,
			 size_t end, struct mail_line *l)
{
	size_t i;

	if (end == off || end - off >= INSPECT_VERB_SIZE ||
	    !word_in(p, off, end, mp->verbs, mp->n_verbs))
		return false;
	for (i = off; i < end; i++)
		l->verb[i - off] = (char)upper(p[i]);
	l->verb[end - off] = '\0';
	l->arg = end < n ? end + 1 : end;
	l->arg_end = word_end(p, n, l->arg);
	return true;
}

/* A three-digit reply code (first digit 1 to 5) then a space, a hyphen or the line's end:
 * the code, or 0. */
static uint16_t reply_code(const uint8_t *p, size_t n)
{
	uint16_t code = 0;
	size_t i;

	if (n < REPLY_DIGITS || p[0] < '1' || p[0] > '5')
		return 0;
	for (i = 0; i < REPLY_DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		code = (uint16_t)(code * 10 + p[i] - '0');
	}
	if (n > REPLY_DIGITS && p[REPLY_DIGITS] != MAIL_SP && p[REPLY_DIGITS] != '-')
		return 0;
	return code;
}

/* Whether a byte may be in an IMAP tag (RFC 9051 9: an ASTRING-CHAR but "+"). */
static bool imap_tag_char(uint8_t c)
{
	return c > MAIL_SP && c < 0x7f && !in_set(c, "(){%*\"\\]+");
}

/* An IMAP line: "* " and an untagged reply, a tag and a status, or a tag and a command. */
static bool imap_line(const uint8_t *p, size_t n, struct mail_line *l)
{
	size_t tag = word_end(p, n, 0), off, end, i;

	if (tag == 0 || tag == n)
		return false;
	off = tag + 1;
	end = word_end(p, n, off);
	if (tag == 1 && p[0] == '*') {
		if (!word_in(p, off, end, imap_untagged, N(imap_untagged)))
			return false;
		l->reply = true;
		l->announced = word_in(p, off, end, imap_greeting, N(imap_greeting)) &&
			       holds_ci(p, n, imap.announce);
		return true;
	}
	for (i = 0; i < tag; i++)
		if (!imap_tag_char(p[i]))
			return false;
	if (word_in(p, off, end, imap_tagged, N(imap_tagged))) {
		l->reply = true;
		l->go_ahead = word_in(p, off, end, imap_ok, N(imap_ok));
		return true;
	}
	if (!mail_command(&imap, p, n, off, end, l))
		return false;
	l->starttls = !strcmp(l->verb, "STARTTLS") && rest_blank(p, n, end);
	return true;
}

/* A POP3 line: "+OK" or "-ERR" (then a space or the end), or a command. */
static bool pop3_line(const uint8_t *p, size_t n, struct mail_line *l)
{
	size_t end = word_end(p, n, 0);

	if ((end == 3 && !memcmp(p, "+OK", 3)) || (end == 4 && !memcmp(p, "-ERR", 4))) {
		l->reply = true;
		l->go_ahead = p[0] == '+';
		l->announced = l->go_ahead && holds_ci(p, n, pop3.announce);
		return true;
	}
	if (!mail_command(&pop3, p, n, 0, end, l))
		return false;
	l->starttls = !strcmp(l->verb, "STLS") && rest_blank(p, n, end);
	return true;
}

/* An SMTP or FTP line: a coded reply, or a command. */
static bool coded_line(const struct mail_proto *mp, const uint8_t *p, size_t n, struct mail_line *l)
{
	size_t end;

	l->code = reply_code(p, n);
	if (l->code) {
		l->reply = true;
		l->go_ahead = l->code == mp->go_code;
		l->announced = l->code == MAIL_GREETING && holds_ci(p, n, mp->announce);
		return true;
	}
	end = word_end(p, n, 0);
	if (!mail_command(mp, p, n, 0, end, l))
		return false;
	if (mp->proto == INSPECT_SMTP)
		l->starttls = !strcmp(l->verb, "STARTTLS") && rest_blank(p, n, end);
	else
		l->starttls =
			!strcmp(l->verb, "AUTH") &&
			word_in(p, l->arg, l->arg_end, ftp_tls_mechanisms, N(ftp_tls_mechanisms)) &&
			rest_blank(p, n, l->arg_end);
	return true;
}

/* What the line [0, n) is to mp. Returns false when it is neither a command nor a reply. */
static bool mail_line(const struct mail_proto *mp, const uint8_t *p, size_t n, struct mail_line *l)
{
	memset(l, 0, sizeof(*l));
	switch (mp->proto) {
	case INSPECT_IMAP:
		return imap_line(p, n, l);
	case INSPECT_POP3:
		return pop3_line(p, n, l);
	default:
		return coded_line(mp, p, n, l);
	}
}

/* Whether a command's first argument belongs in info: a name or a mechanism, never anything
 * secret. */
static bool info_argument(const char *verb)
{
	return !strcmp(verb, "HELO") || !strcmp(verb, "EHLO") || !strcmp(verb, "AUTH") ||
	       !strcmp(verb, "AUTHENTICATE");
}

/* The inspector of mp: see mail.h. */
static int mail_inspect(const struct mail_proto *mp, const uint8_t *buf, size_t len,
			struct inspect_result *r)
{
	struct inspect_mail *mail = &r->mail;
	struct mail_line l;
	size_t off, end, next;
	struct text t;
	int i;

	result_clear(r);
	if (!buf || !find_line(buf, len, 0, &end, &next) || !mail_line(mp, buf, end, &l))
		return not_this(r);
	r->proto = mp->proto;
	r->encrypted = 0;
	mail->reply = l.reply;
	mail->code = l.code;
	mail->announced = l.announced;
	memcpy(mail->verb, l.verb, sizeof(mail->verb));
	text_init(&t, r->info, sizeof(r->info));
	if (l.reply) {
		text_bytes(&t, buf, end, ESCAPE_NONE);
	} else {
		text_str(&t, l.verb);
		if (info_argument(l.verb) && l.arg_end > l.arg) {
			text_str(&t, " ");
			text_bytes(&t, buf + l.arg, l.arg_end - l.arg, ESCAPE_NAME);
		}
	}
	/* The upgrade, wherever it is among the whole lines of the buffer's side: a server's
	 * list of capabilities has lines that read like commands (POP3's "STLS"). */
	off = 0;
	for (i = 0; i < INSPECT_MAIL_MAX_LINES && find_line(buf, len, off, &end, &next); i++) {
		if (mail_line(mp, buf + off, end - off, &l) && l.reply == mail->reply) {
			mail->starttls |= l.starttls;
			mail->go_ahead |= l.go_ahead;
			if (mp->proto == INSPECT_SMTP &&
			    (!strcmp(l.verb, "DATA") || !strcmp(l.verb, "BDAT")))
				break;
		}
		off = next;
	}
	return 1;
}

int inspect_smtp(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	return mail_inspect(&smtp, buf, len, r);
}

int inspect_imap(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	return mail_inspect(&imap, buf, len, r);
}

int inspect_pop3(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	return mail_inspect(&pop3, buf, len, r);
}

int inspect_ftp(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	return mail_inspect(&ftp, buf, len, r);
}

bool inspect_smtp_port(uint16_t src_port, uint16_t dst_port)
{
	return src_port == SMTP_PORT || dst_port == SMTP_PORT || src_port == SUBMISSION_PORT ||
	       dst_port == SUBMISSION_PORT || src_port == SMTP_ALT_PORT ||
	       dst_port == SMTP_ALT_PORT;
}

bool inspect_imap_port(uint16_t src_port, uint16_t dst_port)
{
	return src_port == IMAP_PORT || dst_port == IMAP_PORT;
}

bool inspect_pop3_port(uint16_t src_port, uint16_t dst_port)
{
	return src_port == POP3_PORT || dst_port == POP3_PORT;
}

bool inspect_ftp_port(uint16_t src_port, uint16_t dst_port)
{
	return src_port == FTP_PORT || dst_port == FTP_PORT;
}

bool inspect_smtp_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return r->mail.announced ||
	       (!r->mail.reply && (!strcmp(r->mail.verb, "EHLO") || !strcmp(r->mail.verb, "HELO")));
}

bool inspect_imap_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return r->mail.announced;
}

bool inspect_pop3_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return r->mail.announced;
}

bool inspect_ftp_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return r->mail.announced;
}
