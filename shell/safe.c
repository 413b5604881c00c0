// SPDX-License-Identifier: BSD-2-Clause
/* Text from evidence made visible and inert for terminals, mails and pages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "safe.h"

/* A range of code points that never show raw, both ends included. */
struct range {
	uint32_t first, last;
};

/* Sorted, for bsearch. The controls (Cc), Unicode's format characters
 * (Cf: bidi controls, zero-width characters, tags, marks that change how
 * their neighbours show), the line and paragraph separators (Zl, Zp: a line
 * break to some terminals and editors), and every other code point Unicode
 * says renders as nothing (DerivedCoreProperties.txt,
 * Default_Ignorable_Code_Point), as of Unicode 15.1. */
static const struct range hidden[] = {
	{ 0x0000, 0x001f }, /* C0 controls */
	{ 0x007f, 0x009f }, /* DEL, C1 controls */
	{ 0x00ad, 0x00ad }, /* soft hyphen */
	{ 0x034f, 0x034f }, /* combining grapheme joiner */
	{ 0x0600, 0x0605 }, /* arabic number signs */
	{ 0x061c, 0x061c }, /* arabic letter mark */
	{ 0x06dd, 0x06dd }, /* arabic end of ayah */
	{ 0x070f, 0x070f }, /* syriac abbreviation mark */
	{ 0x0890, 0x0891 }, /* arabic pound and piastre marks above */
	{ 0x08e2, 0x08e2 }, /* arabic disputed end of ayah */
	{ 0x115f, 0x1160 }, /* hangul fillers */
	{ 0x17b4, 0x17b5 }, /* khmer inherent vowels */
	{ 0x180b, 0x180f }, /* mongolian variation selectors, vowel separator */
	{ 0x200b, 0x200f }, /* zero-width space, non-joiner, joiner, LRM, RLM */
	{ 0x2028, 0x202e }, /* line and paragraph separators, embeddings, overrides */
	{ 0x2060, 0x206f }, /* word joiner, invisible operators, isolates, ... */
	{ 0x3164, 0x3164 }, /* hangul filler */
	{ 0xfe00, 0xfe0f }, /* variation selectors */
	{ 0xfeff, 0xfeff }, /* zero-width no-break space, byte order mark */
	{ 0xffa0, 0xffa0 }, /* halfwidth hangul filler */
	{ 0xfff0, 0xfffb }, /* reserved ignorables, interlinear annotation controls */
	{ 0x110bd, 0x110bd }, /* kaithi number sign */
	{ 0x110cd, 0x110cd }, /* kaithi number sign above */
	{ 0x13430, 0x1343f }, /* egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 }, /* shorthand format controls */
	{ 0x1d173, 0x1d17a }, /* musical symbol format controls */
	{ 0xe0000, 0xe0fff }, /* tags, variation selectors supplement */
};

size_t safe_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc0) /* a continuation byte */
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] < 0xf0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] < 0xf5) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* bsearch comparator: a code point against a range. Returns <0, 0 or >0
 * as the code point lies before, in or after it. */
static int range_cmp(const void *key, const void *entry)
{
	uint32_t cp = *(const uint32_t *)key;
	const struct range *r = entry;

	return cp < r->first ? -1 : cp > r->last ? 1 : 0;
}

bool safe_hidden(uint32_t cp)
{
	/* Printable ASCII first: nearly every character is. */
	if (cp >= 0x20 && cp < 0x7f)
		return false;
	return bsearch(&cp, hidden, sizeof(hidden) / sizeof(hidden[0]), sizeof(hidden[0]),
		       range_cmp);
}

size_t safe_next(const unsigned char *s, size_t n, uint32_t *cp, char esc[SAFE_ESC_SIZE])
{
	size_t len = safe_utf8_seq(s, n, cp);

	esc[0] = '\0';
	if (!len) {
		*cp = s[0];
		snprintf(esc, SAFE_ESC_SIZE, "\\x%02x", s[0]);
		return 1;
	}
	if (!safe_hidden(*cp))
		return len;
	if (*cp == '\n')
		strcpy(esc, "\\n");
	else if (*cp == '\r')
		strcpy(esc, "\\r");
	else if (*cp == '\t')
		strcpy(esc, "\\t");
	else if (*cp < 0x80)
		snprintf(esc, SAFE_ESC_SIZE, "\\x%02x", (unsigned int)*cp);
	else if (*cp <= 0xffff)
		snprintf(esc, SAFE_ESC_SIZE, "\\u%04x", (unsigned int)*cp);
	else
		snprintf(esc, SAFE_ESC_SIZE, "\\U%08x", (unsigned int)*cp);
	return len;
}

size_t safe_span(const unsigned char *s, size_t n)
{
	size_t i, len;
	uint32_t cp;

	for (i = 0; i < n; i += len) {
		/* Printable ASCII first: nearly every byte is. */
		len = 1;
		if (s[i] >= 0x20 && s[i] < 0x7f)
			continue;
		len = safe_utf8_seq(s + i, n - i, &cp);
		if (!len || safe_hidden(cp))
			break;
	}
	return i;
}

int safe_fwrite(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[SAFE_ESC_SIZE];
	size_t i = 0, run;
	uint32_t cp;

	/* Runs that show as they are in one write each, then one escape. */
	while (i < n) {
		run = safe_span(p + i, n - i);
		fwrite(p + i, 1, run, out);
		i += run;
		if (i < n) {
			i += safe_next(p + i, n - i, &cp, esc);
			fputs(esc, out);
		}
	}
	return ferror(out) ? -EIO : 0;
}

int safe_fputs(FILE *out, const char *s)
{
	return safe_fwrite(out, s, strlen(s));
}

int safe_vfprintf(FILE *out, const char *fmt, va_list ap)
{
	bool line;
	char *text;
	int len;

	len = vasprintf(&text, fmt, ap);
	if (len < 0)
		return -ENOMEM;
	line = len && text[len - 1] == '\n';
	safe_fwrite(out, text, (size_t)len - line);
	if (line)
		fputc('\n', out);
	free(text);
	return ferror(out) ? -EIO : 0;
}

int safe_fprintf(FILE *out, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = safe_vfprintf(out, fmt, ap);
	va_end(ap);
	return err;
}
