/* SPDX-License-Identifier: BSD-2-Clause */
/* What every inspector reads and writes with: a bounds-checked cursor over the payload, and
 * text written into fixed arrays as fields.h promises. Internal to inspect/: static inline, so
 * that each inspector compiles them into its own loops, as when they were one file. */
#ifndef INSPECT_WIRE_H
#define INSPECT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "inspect.h"

/* A read position in a buffer: every read checks that its bytes are there (off <= len). */
struct cursor {
	const uint8_t *buf;
	size_t len, off;
};

/* Starts a cursor at the start of buf. */
static inline void cur_init(struct cursor *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = buf ? len : 0;
	c->off = 0;
}

/* The bytes from the position to the end. */
static inline size_t cur_left(const struct cursor *c)
{
	return c->len - c->off;
}

/* The byte at the position; the caller has checked that one is left. */
static inline const uint8_t *cur_ptr(const struct cursor *c)
{
	return c->buf + c->off;
}

/* Reads one byte. Returns false, moving nothing, when none is left. */
static inline bool cur_u8(struct cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return false;
	*v = c->buf[c->off++];
	return true;
}

/* Reads a big-endian 16-bit number. Returns false, moving nothing, when it is not all there. */
static inline bool cur_u16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return false;
	*v = (uint16_t)(c->buf[c->off] << 8 | c->buf[c->off + 1]);
	c->off += 2;
	return true;
}

/* As cur_u16(), 24 bits. */
static inline bool cur_u24(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 3)
		return false;
	*v = (uint32_t)c->buf[c->off] << 16 | (uint32_t)c->buf[c->off + 1] << 8 |
	     c->buf[c->off + 2];
	c->off += 3;
	return true;
}

/* As cur_u16(), 32 bits. */
static inline bool cur_u32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return false;
	*v = (uint32_t)c->buf[c->off] << 24 | (uint32_t)c->buf[c->off + 1] << 16 |
	     (uint32_t)c->buf[c->off + 2] << 8 | c->buf[c->off + 3];
	c->off += 4;
	return true;
}

/* Moves n bytes on. Returns false, moving nothing, when fewer are left. */
static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (cur_left(c) < n)
		return false;
	c->off += n;
	return true;
}

/*
 * Takes the next n bytes as a cursor of their own and moves past them; when fewer are left
 * (the buffer was cut), takes what there is. Returns true when all n were there.
 */
static inline bool cur_take(struct cursor *c, size_t n, struct cursor *sub)
{
	bool whole = cur_left(c) >= n;

	if (!whole)
		n = cur_left(c);
	cur_init(sub, c->buf + c->off, n);
	c->off += n;
	return whole;
}

/* Whether c is one of the characters of set (never NUL). */
static inline bool in_set(uint8_t c, const char *set)
{
	return c && strchr(set, c);
}

/* A NUL-terminated text being written into a fixed array; cut marks that something did not
 * fit, after which nothing more is added. */
struct text {
	char *s;
	size_t size, len;
	bool cut;
};

/* Starts an empty text in s (size bytes, at least 1). */
static inline void text_init(struct text *t, char *s, size_t size)
{
	t->s = s;
	t->size = size;
	t->len = 0;
	t->cut = false;
	s[0] = '\0';
}

/* Appends n characters as they are; the caller passes printable ASCII only. Returns false
 * (the text marked cut) when they do not all fit. */
static inline bool text_raw(struct text *t, const char *p, size_t n)
{
	if (t->cut || t->size - 1 - t->len < n) {
		t->cut = true;
		return false;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
	return true;
}

/* Appends a string made by an inspector (printable ASCII, where a backslash always starts a
 * four-character escape), cut to fit at a whole character or escape. Returns false when it was
 * cut. */
static inline bool text_str(struct text *t, const char *s)
{
	size_t n;

	while (*s) {
		n = *s == '\\' ? strnlen(s, 4) : 1;
		if (!text_raw(t, s, n))
			return false;
		s += n;
	}
	return true;
}

/* Characters written as \xHH on top of those outside printable ASCII and the backslash: none;
 * a dot inside a DNS label, so that dots only ever separate labels; a space in a host name
 * (a TLS server name, an HTTP Host), where a name cannot have one and where app_info uses it
 * to separate parts. */
#define ESCAPE_NONE ""
#define ESCAPE_LABEL "."
#define ESCAPE_NAME " "

/* Appends one byte from the wire: printable ASCII as it is, anything else (and the backslash,
 * and the characters of escape) as \xHH, so that the text stays printable and unambiguous.
 * Returns false (the text marked cut) when it does not fit whole. */
static inline bool text_byte(struct text *t, uint8_t b, const char *escape)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 'x', hex[b >> 4], hex[b & 0xf] };

	if (b >= 0x20 && b <= 0x7e && b != '\\' && !in_set(b, escape)) {
		char c = (char)b;

		return text_raw(t, &c, 1);
	}
	return text_raw(t, esc, sizeof(esc));
}

/* Appends n bytes from the wire, as text_byte(). Returns false when they did not all fit. */
static inline bool text_bytes(struct text *t, const uint8_t *p, size_t n, const char *escape)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!text_byte(t, p[i], escape))
			return false;
	return true;
}

/* Copies n wire bytes into the array dst as text (escaped as text_byte(), cut to fit). */
static inline void set_text(char *dst, size_t size, const uint8_t *p, size_t n, const char *escape)
{
	struct text t;

	text_init(&t, dst, size);
	text_bytes(&t, p, n, escape);
}

/* Copies an already printable string into info, cut to fit. */
static inline void set_info(struct inspect_result *r, const char *s)
{
	struct text t;

	text_init(&t, r->info, sizeof(r->info));
	text_str(&t, s);
}

/* Clears a result: nothing recognised. */
static inline void result_clear(struct inspect_result *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = INSPECT_NONE;
	r->encrypted = -1;
}

/* Clears r and returns 0: the inspectors' "not this protocol". */
static inline int not_this(struct inspect_result *r)
{
	result_clear(r);
	return 0;
}

/* Whether the n bytes at p are the start of (or all of) the string s: a cut buffer that may
 * still turn out to be s. */
static inline bool is_prefix_of(const uint8_t *p, size_t n, const char *s)
{
	size_t want = strlen(s);

	return memcmp(p, s, n < want ? n : want) == 0;
}

/* Finds the end of the line starting at off: sets *end to the line's last byte + 1 (CR LF or
 * LF excluded) and *next to the next line's start. Returns false when the buffer ends first. */
static inline bool find_line(const uint8_t *buf, size_t len, size_t off, size_t *end, size_t *next)
{
	const uint8_t *lf = off < len ? memchr(buf + off, '\n', len - off) : NULL;
	size_t e;

	if (!lf)
		return false;
	e = (size_t)(lf - buf);
	*next = e + 1;
	if (e > off && buf[e - 1] == '\r')
		e--;
	*end = e;
	return true;
}

#endif /* INSPECT_WIRE_H */
