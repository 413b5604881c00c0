/* SPDX-License-Identifier: BSD-2-Clause */
/* Text from evidence made visible and inert for terminals, mails and pages. */
#ifndef SAFE_H
#define SAFE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * What the shell never writes raw where people read it (a terminal, a
 * mailed report, a spreadsheet, an HTML page), because it can act rather
 * than show (ESC sequences set the title, clear the screen, forge lines),
 * reorder what shows (bidi controls) or hide (zero-width characters):
 *  - control characters (Unicode's Cc: C0, DEL, C1), newline and tab too;
 *  - format characters (Cf): the bidi controls U+061C, U+200E, U+200F,
 *    U+202A-U+202E and U+2066-U+2069, the zero-width U+200B-U+200D, U+2060
 *    and U+FEFF, the soft hyphen, tags, and the like;
 *  - U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (Zl, Zp);
 *  - every other code point Unicode says renders as nothing
 *    (Default_Ignorable_Code_Point: hangul fillers, variation selectors, ...);
 *  - bytes that are not well-formed UTF-8.
 * Each shows as a C-style escape of ASCII letters and digits only:
 * "\n", "\r", "\t", "\xHH" for another control below U+0080 or a byte that
 * is not UTF-8 (ESC is "\x1b"), "\uHHHH" for a code point up to U+FFFF
 * (U+202E is "\u202e") and "\UHHHHHHHH" above. A backslash stays as it is,
 * as in sqlite3 and less, so that paths and patterns read as typed; the
 * exact bytes are what json and csv with .exact on print.
 */

/* The longest escape with its NUL: "\U000e0001". */
#define SAFE_ESC_SIZE 11

/* Length of the well-formed UTF-8 sequence at s, which has n > 0 bytes:
 * 1 to 4, with the code point in *cp; or 0 when s does not start one (a
 * stray continuation byte, a sequence cut short, an overlong form, a
 * surrogate or a value above U+10FFFF). */
size_t safe_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether code point cp is one of the characters above that never show raw. */
bool safe_hidden(uint32_t cp);

/*
 * Reads the next character of s (n > 0 bytes): returns how many bytes it
 * takes (1 to 4; 1 for a byte that is not UTF-8). When it must not show
 * raw, writes its escape into esc, NUL-terminated; else sets esc to "" and
 * the caller copies the bytes. *cp is the code point, or the byte for one
 * that is not UTF-8.
 */
size_t safe_next(const unsigned char *s, size_t n, uint32_t *cp, char esc[SAFE_ESC_SIZE]);

/* Length of the longest start of s (n bytes) that shows as it is: up to
 * the first character safe_next() escapes, or n. */
size_t safe_span(const unsigned char *s, size_t n);

/* Writes the n bytes at s to out escaped. Returns 0, or -EIO when out has
 * had a write error. */
int safe_fwrite(FILE *out, const char *s, size_t n);

/* Writes the string s to out escaped. Returns 0 or -EIO. */
int safe_fputs(FILE *out, const char *s);

/*
 * Writes one message line: formats as fprintf does, then writes the text
 * escaped, all of it (the format's own text too: messages have no control
 * characters of their own), except that one newline ending the text stays
 * a newline. So "%s" with a file name holding "\n" and a forged
 * "flowdb: warning" stays on the one line, as "...\nflowdb: warning...".
 * Returns 0, -ENOMEM (nothing written) or -EIO.
 */
int safe_fprintf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* safe_fprintf() with a va_list. */
int safe_vfprintf(FILE *out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif /* SAFE_H */
