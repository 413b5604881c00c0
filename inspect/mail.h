/* SPDX-License-Identifier: BSD-2-Clause */
/* Mail and file transfer in cleartext: SMTP, IMAP, POP3 and FTP commands and replies, and their
 * STARTTLS upgrades (RFC 5321 and 3207, 9051, 1939 and 2595, 959 and 4217). */
#ifndef INSPECT_MAIL_H
#define INSPECT_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSPECT_VERB_SIZE 16
/* The bound on the work per buffer: lines read. */
#define INSPECT_MAIL_MAX_LINES 32

/*
 * One struct for the four protocols: they are the same kind of dialogue, a
 * line of command from the client, one or more lines of reply from the
 * server, and the same upgrade to TLS. struct inspect_result's proto says
 * which protocol filled it.
 */
struct inspect_mail {
	/* The buffer starts with the server's reply or greeting, not a command. */
	bool reply;
	/* SMTP and FTP: the first reply line's code (220); 0 otherwise. */
	uint16_t code;
	/* A command's verb in upper case ("EHLO"; IMAP: the command after the tag). */
	char verb[INSPECT_VERB_SIZE];
	/* A whole command line of the buffer asks to upgrade the connection to TLS: SMTP and
	 * IMAP STARTTLS, POP3 STLS, FTP AUTH TLS (or SSL, TLS-C, TLS-P). */
	bool starttls;
	/* A whole reply line of the buffer is the one that lets TLS begin when it answers such
	 * a request: SMTP 220, IMAP a tagged OK, POP3 +OK, FTP 234. Alone it proves nothing (an
	 * SMTP greeting is a 220 too): the caller, who saw the request, follows it. */
	bool go_ahead;
	/* The first reply line names the protocol, which content can trust off its ports:
	 * "ESMTP" in an SMTP 220, "IMAP4" in an IMAP untagged OK, PREAUTH or CAPABILITY, "POP3"
	 * in a POP3 +OK, "FTP" in an FTP 220 (letters in any case). */
	bool announced;
};

struct inspect_result;

/*
 * The four inspectors: the buffer's first line, which must be whole (CR LF
 * or LF), is a command of the protocol (a verb it defines, in any case; for
 * IMAP after a tag) or a reply (SMTP, FTP: three digits then a space, a
 * hyphen or the line's end; POP3: +OK or -ERR; IMAP: "* " and OK, NO, BAD,
 * PREAUTH, BYE or CAPABILITY, or a tag and OK, NO or BAD). The lines after
 * it, whole and at most INSPECT_MAIL_MAX_LINES in all, are read for
 * starttls (the commands of a client's buffer) and go_ahead (the replies
 * of a server's); an SMTP client's stop at DATA, after which the message's
 * own lines come. As every inspector (inspect.h): 1 with r filled,
 * 0 with r cleared.
 *
 * Content alone is weak ("220 " or "USER x" could be anything's): each has
 * its ports (own_port below), and off them its off_port says when a match
 * still counts.
 *
 * info: a command's verb, with its first argument for HELO, EHLO,
 * AUTH and AUTHENTICATE ("EHLO mail.example.test", "AUTH TLS", "AUTH
 * PLAIN"): never a password or the credentials that follow a mechanism;
 * a reply's first line as sent ("220 mail.example.test ESMTP Postfix",
 * "* OK [CAPABILITY IMAP4rev1 ...] Dovecot ready.").
 */
int inspect_smtp(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_imap(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_pop3(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_ftp(const uint8_t *buf, size_t len, struct inspect_result *r);

/* Own ports, either side: SMTP 25, 587, 2525; IMAP 143; POP3 110; FTP 21 (control). */
bool inspect_smtp_port(uint16_t src_port, uint16_t dst_port);
bool inspect_imap_port(uint16_t src_port, uint16_t dst_port);
bool inspect_pop3_port(uint16_t src_port, uint16_t dst_port);
bool inspect_ftp_port(uint16_t src_port, uint16_t dst_port);

/*
 * Off those ports: SMTP a greeting that announces it or a client's EHLO or
 * HELO; IMAP, POP3 and FTP a greeting that announces it (see announced).
 * Their commands and other replies are too common a shape (Redis answers
 * "+OK", many services "220"): they count on their own ports only.
 */
bool inspect_smtp_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);
bool inspect_imap_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);
bool inspect_pop3_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);
bool inspect_ftp_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);

#endif /* INSPECT_MAIL_H */
