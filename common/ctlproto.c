// SPDX-License-Identifier: BSD-2-Clause
/* The control socket's messages, shared by flowdb-ctl and the collector. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctlproto.h"

static const char *const verbs[] = {
	[CTL_BLOCK_ADD] = "block-add",	 [CTL_BLOCK_DEL] = "block-del",
	[CTL_BLOCK_LIST] = "block-list", [CTL_LIMIT_LIST] = "limit-list",
	[CTL_RELOAD] = "reload",	 [CTL_STATUS] = "status",
	[CTL_ALERTS] = "alerts",
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* Sent when a reply could not be built: it still says something true. */
static const char nomem_reply[] =
	"error the reply is over 64 MiB or the collector out of memory for it\n";

const char *ctlproto_verb(enum ctl_cmd cmd)
{
	return (unsigned int)cmd < N_VERBS ? verbs[cmd] : NULL;
}

/* Whether byte c travels as it is: printable ASCII but space and '%'. */
static bool plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '%';
}

/* Whether s is printable ASCII (space included) throughout. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s > '~')
			return false;
	return true;
}

/* Appends the n bytes of s percent-encoded to out at *pos, within size.
 * Returns 0 or -ENAMETOOLONG. */
static int put_encoded(char *out, size_t size, size_t *pos, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain(c)) {
			if (*pos + 1 >= size)
				return -ENAMETOOLONG;
			out[(*pos)++] = (char)c;
			continue;
		}
		if (*pos + 3 >= size)
			return -ENAMETOOLONG;
		out[(*pos)++] = '%';
		out[(*pos)++] = hex[c >> 4];
		out[(*pos)++] = hex[c & 15];
	}
	out[*pos] = '\0';
	return 0;
}

/* The value of hex digit c, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes the n percent-encoded bytes of s into out (size bytes, NUL
 * added). A decoded NUL is refused: no value holds one. Returns the
 * decoded length, -EINVAL for a bad escape or a byte that should have
 * been escaped, or -ENAMETOOLONG. */
static int decode_value(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || !(hi | lo))
				return -EINVAL;
			c = hi * 16 + lo;
			i += 2;
		} else if (!plain((unsigned char)c)) {
			return -EINVAL;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

int ctlproto_encode_request(const struct ctl_request *req, char *buf, size_t size)
{
	const char *verb = ctlproto_verb(req->cmd);
	struct addr_net net;
	size_t pos = 0, lim = size < CTLPROTO_LINE_MAX ? size : CTLPROTO_LINE_MAX;
	int n;

	if (!verb)
		return -EINVAL;
	n = snprintf(buf, lim, "%s", verb);
	if (n < 0 || (size_t)n >= lim)
		return -ENAMETOOLONG;
	pos = (size_t)n;
	if (req->cmd == CTL_BLOCK_ADD || req->cmd == CTL_BLOCK_DEL) {
		if (addr_parse_net(req->net_text, &net) ||
		    (req->side != CTL_SIDE_SRC && req->side != CTL_SIDE_DST) ||
		    !printable(req->reason))
			return -EINVAL;
		n = snprintf(buf + pos, lim - pos, " net=");
		if (n < 0 || (size_t)n >= lim - pos)
			return -ENAMETOOLONG;
		pos += (size_t)n;
		if (put_encoded(buf, lim, &pos, req->net_text, strlen(req->net_text)))
			return -ENAMETOOLONG;
		n = snprintf(buf + pos, lim - pos, " side=%s",
			     req->side == CTL_SIDE_DST ? "dst" : "src");
		if (n < 0 || (size_t)n >= lim - pos)
			return -ENAMETOOLONG;
		pos += (size_t)n;
	}
	if (req->cmd == CTL_BLOCK_ADD && req->for_us) {
		n = snprintf(buf + pos, lim - pos, " for=%" PRIu64, req->for_us);
		if (n < 0 || (size_t)n >= lim - pos)
			return -ENAMETOOLONG;
		pos += (size_t)n;
	}
	if (req->cmd == CTL_ALERTS && req->n) {
		if (req->n > CTLPROTO_ALERTS_MAX)
			return -EINVAL;
		n = snprintf(buf + pos, lim - pos, " n=%u", req->n);
		if (n < 0 || (size_t)n >= lim - pos)
			return -ENAMETOOLONG;
		pos += (size_t)n;
	}
	if (req->cmd == CTL_BLOCK_ADD && req->reason[0]) {
		n = snprintf(buf + pos, lim - pos, " reason=");
		if (n < 0 || (size_t)n >= lim - pos)
			return -ENAMETOOLONG;
		pos += (size_t)n;
		if (put_encoded(buf, lim, &pos, req->reason, strlen(req->reason)))
			return -ENAMETOOLONG;
	}
	if (pos + 1 >= lim)
		return -ENAMETOOLONG;
	buf[pos++] = '\n';
	buf[pos] = '\0';
	return (int)pos;
}

/* Parses a whole decimal number (microseconds, a count), no sign, no
 * leading zero. Returns 0 or -EINVAL (overflow included). */
static int parse_uint(const char *s, uint64_t *v)
{
	*v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || *v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	return 0;
}

/* Whether cmd takes key=value words at all. */
static bool takes_words(enum ctl_cmd cmd)
{
	return cmd == CTL_BLOCK_ADD || cmd == CTL_BLOCK_DEL || cmd == CTL_ALERTS;
}

/* Reads one key=value word of a block or alerts request into req; seen
 * collects the keys so far. Returns 0, or -EINVAL with why written. */
static int decode_word(const char *w, size_t n, struct ctl_request *req, unsigned int *seen,
		       char *why, size_t why_size)
{
	static const char *const keys[] = { "net", "side", "for", "reason", "n" };
	/* The commands each key belongs to: net and side to block-add and
	 * block-del, for and reason to block-add, n to alerts. */
	static const unsigned int cmds[] = { 1u << CTL_BLOCK_ADD | 1u << CTL_BLOCK_DEL,
					     1u << CTL_BLOCK_ADD | 1u << CTL_BLOCK_DEL,
					     1u << CTL_BLOCK_ADD, 1u << CTL_BLOCK_ADD,
					     1u << CTL_ALERTS };
	char value[CTLPROTO_LINE_MAX];
	const char *eq = memchr(w, '=', n);
	uint64_t count;
	size_t k, klen;

	klen = eq ? (size_t)(eq - w) : n;
	for (k = 0; k < 5; k++)
		if (strlen(keys[k]) == klen && !memcmp(keys[k], w, klen))
			break;
	if (k == 5 || !(cmds[k] & 1u << req->cmd)) {
		snprintf(why, why_size, "unknown key '%.*s' for %s", klen > 32 ? 32 : (int)klen, w,
			 ctlproto_verb(req->cmd));
		return -EINVAL;
	}
	if (!eq) {
		snprintf(why, why_size, "key %s without a value", keys[k]);
		return -EINVAL;
	}
	if (*seen & 1u << k) {
		snprintf(why, why_size, "key %s given twice", keys[k]);
		return -EINVAL;
	}
	*seen |= 1u << k;
	if (decode_value(eq + 1, n - klen - 1, value, sizeof(value)) < 0) {
		snprintf(why, why_size, "bad value of %s (a bad %%-escape or a NUL)", keys[k]);
		return -EINVAL;
	}
	switch (k) {
	case 0:
		if (strlen(value) >= sizeof(req->net_text) || addr_parse_net(value, &req->net)) {
			snprintf(why, why_size, "not a network: '%.*s'", 60, value);
			return -EINVAL;
		}
		strcpy(req->net_text, value);
		return 0;
	case 1:
		if (strcmp(value, "src") && strcmp(value, "dst")) {
			snprintf(why, why_size, "side is src or dst, not '%.*s'", 16, value);
			return -EINVAL;
		}
		req->side = value[0] == 'd' ? CTL_SIDE_DST : CTL_SIDE_SRC;
		return 0;
	case 2:
		if (parse_uint(value, &req->for_us) || !req->for_us) {
			snprintf(why, why_size, "for is a positive number of microseconds");
			return -EINVAL;
		}
		return 0;
	case 3:
		if (strlen(value) >= sizeof(req->reason) || !printable(value)) {
			snprintf(why, why_size, "reason is printable ASCII of %d bytes at most",
				 CTLPROTO_REASON_MAX - 1);
			return -EINVAL;
		}
		strcpy(req->reason, value);
		return 0;
	default:
		if (parse_uint(value, &count) || !count || count > CTLPROTO_ALERTS_MAX) {
			snprintf(why, why_size, "n is a number of alerts from 1 to %d",
				 CTLPROTO_ALERTS_MAX);
			return -EINVAL;
		}
		req->n = (unsigned int)count;
		return 0;
	}
}

int ctlproto_decode_request(const char *line, size_t len, struct ctl_request *req, char *why,
			    size_t why_size)
{
	unsigned int seen = 0, c;
	size_t i, start, vlen;

	memset(req, 0, sizeof(*req));
	if (len >= CTLPROTO_LINE_MAX) {
		snprintf(why, why_size, "request longer than %d bytes", CTLPROTO_LINE_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < ' ' || (unsigned char)line[i] > '~') {
			snprintf(why, why_size,
				 "request holds byte 0x%02x at %zu: not printable ASCII",
				 (unsigned char)line[i], i);
			return -EINVAL;
		}
	vlen = 0;
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (c = 1; c < N_VERBS; c++)
		if (strlen(verbs[c]) == vlen && !memcmp(verbs[c], line, vlen))
			break;
	if (c == N_VERBS) {
		snprintf(why, why_size, "unknown command '%.*s'", vlen > 32 ? 32 : (int)vlen, line);
		return -EINVAL;
	}
	req->cmd = (enum ctl_cmd)c;
	for (start = vlen; start < len; start = i) {
		/* Exactly one space between words: nothing else separates. */
		if (line[start] != ' ' || start + 1 == len || line[start + 1] == ' ') {
			snprintf(why, why_size, "words are separated by one space");
			return -EINVAL;
		}
		if (!takes_words(req->cmd)) {
			snprintf(why, why_size, "%s takes no arguments", verbs[c]);
			return -EINVAL;
		}
		for (i = start + 1; i < len && line[i] != ' '; i++)
			;
		if (decode_word(line + start + 1, i - start - 1, req, &seen, why, why_size))
			return -EINVAL;
	}
	if ((req->cmd == CTL_BLOCK_ADD || req->cmd == CTL_BLOCK_DEL) && (seen & 3) != 3) {
		snprintf(why, why_size, "%s needs net= and side=", verbs[c]);
		return -EINVAL;
	}
	if (req->cmd == CTL_ALERTS && !req->n)
		req->n = CTLPROTO_ALERTS_DEFAULT;
	return 0;
}

void ctlproto_reply_init(struct ctl_reply *r)
{
	memset(r, 0, sizeof(*r));
}

void ctlproto_reply_free(struct ctl_reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Makes room for n more bytes and a NUL. Returns 0, or -ENOMEM (also
 * past CTLPROTO_REPLY_MAX), marking r. */
static int reserve(struct ctl_reply *r, size_t n)
{
	size_t cap = r->cap ? r->cap : 256;
	char *grown;

	if (r->nomem || r->len + n + 1 > CTLPROTO_REPLY_MAX) {
		r->nomem = true;
		return -ENOMEM;
	}
	while (cap < r->len + n + 1)
		cap *= 2;
	if (cap != r->cap) {
		grown = realloc(r->buf, cap);
		if (!grown) {
			r->nomem = true;
			return -ENOMEM;
		}
		r->buf = grown;
		r->cap = cap;
	}
	return 0;
}

/* Appends the status line "ok" when r is still empty. */
static int start_ok(struct ctl_reply *r)
{
	if (r->len)
		return 0;
	if (reserve(r, 3))
		return -ENOMEM;
	memcpy(r->buf, "ok\n", 4);
	r->len = 3;
	return 0;
}

void ctlproto_reply_error(struct ctl_reply *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line of printable ASCII, whatever went into it. */
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < ' ' || (unsigned char)msg[i] > '~')
			msg[i] = '?';
	r->len = 0;
	r->n_cols = 0;
	r->failed = true;
	r->nomem = false;
	if (reserve(r, strlen(msg) + 7))
		return;
	r->len = (size_t)sprintf(r->buf, "error %s\n", msg);
}

/* Appends n values as one line of r, tab-separated and encoded. Returns 0
 * or -ENOMEM. */
static int put_line(struct ctl_reply *r, int n, const char *const values[])
{
	int i;

	for (i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t pos = r->len;

		if (reserve(r, 3 * strlen(v) + 2))
			return -ENOMEM;
		if (i)
			r->buf[pos++] = '\t';
		put_encoded(r->buf, r->cap, &pos, v, strlen(v));
		r->len = pos;
	}
	r->buf[r->len++] = '\n';
	r->buf[r->len] = '\0';
	return 0;
}

int ctlproto_reply_columns(struct ctl_reply *r, int n, const char *const names[])
{
	int i;

	if (r->failed || r->n_cols || n < 1 || n > CTLPROTO_COLS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!names[i] || !names[i][0])
			return -EINVAL;
	if (start_ok(r) || put_line(r, n, names))
		return -ENOMEM;
	r->n_cols = n;
	return 0;
}

int ctlproto_reply_row(struct ctl_reply *r, const char *const values[])
{
	if (r->failed || !r->n_cols)
		return -EINVAL;
	return put_line(r, r->n_cols, values);
}

const char *ctlproto_reply_bytes(const struct ctl_reply *r, size_t *len)
{
	if (r->nomem) {
		*len = sizeof(nomem_reply) - 1;
		return nomem_reply;
	}
	if (!r->len) {
		*len = 3;
		return "ok\n";
	}
	*len = r->len;
	return r->buf;
}

void ctlproto_table_free(struct ctl_table *t)
{
	size_t i;

	free(t->error);
	for (i = 0; i < (size_t)t->n_cols; i++)
		free(t->cols[i]);
	free(t->cols);
	for (i = 0; i < t->n_rows * (size_t)t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Splits one line of n bytes into its decoded fields, appended to *cells
 * (grown; *n_cells counts them). Returns the number of fields, -EINVAL
 * with why written, or -ENOMEM. */
static int split_line(const char *s, size_t n, char ***cells, size_t *n_cells, char *why,
		      size_t why_size)
{
	size_t i = 0, start;
	int fields = 0;

	do {
		char **grown;
		char *v;
		int len;

		for (start = i; i < n && s[i] != '\t'; i++)
			;
		v = malloc(i - start + 1);
		if (!v)
			return -ENOMEM;
		len = decode_value(s + start, i - start, v, i - start + 1);
		if (len < 0) {
			free(v);
			snprintf(why, why_size,
				 "a field with a bad %%-escape, a NUL or a raw byte");
			return -EINVAL;
		}
		grown = realloc(*cells, (*n_cells + 1) * sizeof(**cells));
		if (!grown) {
			free(v);
			return -ENOMEM;
		}
		*cells = grown;
		/* An empty field is a value the row does not have. */
		if (!len) {
			free(v);
			v = NULL;
		}
		grown[(*n_cells)++] = v;
		fields++;
	} while (i++ < n);
	return fields;
}

int ctlproto_decode_reply(const char *buf, size_t len, struct ctl_table *t, char *why,
			  size_t why_size)
{
	const char *nl = memchr(buf, '\n', len), *p, *end = buf + len;
	size_t n_cells = 0, i;
	char **cells = NULL;
	int n, err = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (memchr(buf, '\0', len)) {
		snprintf(why, why_size, "a reply holding a NUL byte");
		return -EINVAL;
	}
	if (!nl) {
		snprintf(why, why_size, "a reply without a status line");
		return -EINVAL;
	}
	if (nl - buf >= 6 && !memcmp(buf, "error ", 6)) {
		t->error = strndup(buf + 6, (size_t)(nl - buf - 6));
		if (!t->error)
			return -ENOMEM;
		for (i = 0; t->error[i]; i++)
			if ((unsigned char)t->error[i] < ' ' || (unsigned char)t->error[i] > '~')
				t->error[i] = '?';
		return 0;
	}
	if (nl - buf != 2 || memcmp(buf, "ok", 2)) {
		snprintf(why, why_size, "a reply whose status is neither ok nor error");
		return -EINVAL;
	}
	t->ok = true;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			snprintf(why, why_size, "a reply cut short (a line without its end)");
			goto cleanup;
		}
		n = split_line(p, (size_t)(nl - p), &cells, &n_cells, why, why_size);
		if (n < 0) {
			err = n;
			goto cleanup;
		}
		if (t->n_cols && n != t->n_cols) {
			snprintf(why, why_size, "a reply row of %d fields under %d columns", n,
				 t->n_cols);
			goto cleanup;
		}
		if (t->n_cols) {
			t->n_rows++;
			continue;
		}
		/* The first line names the columns. */
		if (n > CTLPROTO_COLS_MAX) {
			snprintf(why, why_size, "a reply with more than %d columns",
				 CTLPROTO_COLS_MAX);
			goto cleanup;
		}
		for (i = 0; i < n_cells; i++)
			if (!cells[i]) {
				snprintf(why, why_size, "a reply with an empty column name");
				goto cleanup;
			}
		t->n_cols = n;
		t->cols = cells;
		cells = NULL;
		n_cells = 0;
	}
	t->cells = cells;
	return 0;
cleanup:
	for (i = 0; i < n_cells; i++)
		free(cells[i]);
	free(cells);
	t->n_rows = 0;
	return err;
}
