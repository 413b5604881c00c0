// SPDX-License-Identifier: BSD-2-Clause
/* Writes result rows as an aligned table, CSV (RFC 4180), JSON, lines or HTML. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fmt.h"
#include "render.h"
#include "safe.h"

/* Rows table mode holds to size its columns before it prints any: enough
 * for a screenful and more, little enough to start printing at once. */
#define RENDER_TABLE_SAMPLE 1000
/* Spaces between two table columns. */
#define TABLE_GAP 2
/* Fraction digits of human times in table mode: milliseconds. */
#define TABLE_TIME_DIGITS 3

static const char *const mode_names[] = {
	[RENDER_TABLE] = "table",
	[RENDER_CSV] = "csv",
	[RENDER_JSON] = "json",
	[RENDER_LINE] = "line",
	[RENDER_HTML] = "html",
};
#define N_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

/* How table mode shows an INTEGER cell, chosen by the column's name. */
enum human {
	HUMAN_NONE,
	HUMAN_BYTES,
	HUMAN_TIME,
	HUMAN_DURATION,
};

/* A growing byte string. */
struct buf {
	char *data;
	size_t len, cap;
};

/* A held table cell: its display text at text.data + off. */
struct cell {
	size_t off, len;
	size_t width; /* in code points */
	bool right; /* a number */
	bool null;
};

struct column {
	char *name; /* table and line modes: escaped for display; else as SQLite has it */
	size_t name_width; /* in code points */
	size_t width; /* table mode: fixed once the first rows are printed */
	bool right; /* table mode: the header's alignment */
	enum human human;
};

struct render {
	FILE *out;
	enum render_mode mode;
	bool headers;
	bool exact; /* csv: values byte for byte, no escapes, no formula guard */
	bool json_lines; /* json: one object per line, no array */
	int ncol;
	struct column *cols;
	size_t rows; /* passed to render_row() so far */
	size_t name_width; /* line mode: the widest name */
	/* Table mode: rows formatted but not yet printed, ncol cells each. */
	struct buf text;
	struct cell *cells;
	size_t held, cells_cap;
	bool streaming; /* widths are fixed and each row prints as it comes */
};

/* Parses a mode name. Returns 0 and sets *mode, or -EINVAL. */
int render_mode_parse(const char *name, enum render_mode *mode)
{
	size_t i;

	for (i = 0; name && i < N_MODES; i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The name of mode, or "?" for a value outside the enum, so that callers
 * can always print it. */
const char *render_mode_name(enum render_mode mode)
{
	return (unsigned int)mode < N_MODES ? mode_names[mode] : "?";
}

/* Appends n bytes to b. Returns 0 or -ENOMEM. */
static int buf_put(struct buf *b, const void *data, size_t n)
{
	size_t cap;
	char *p;

	/* Nothing to add: b may have no storage yet, and memcpy() takes no
	 * NULL even for no bytes. */
	if (!n)
		return 0;
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

/* Whether name is word, or ends in '_' and word, ignoring case as SQL does
 * for identifiers ("bytes", "tx_bytes", "TX_Bytes"). */
static bool name_is(const char *name, const char *word)
{
	size_t n = strlen(name), w = strlen(word);

	if (!strcasecmp(name, word))
		return true;
	return n > w && name[n - w - 1] == '_' && !strcasecmp(name + n - w, word);
}

/* How table mode shows the INTEGER cells of a column called name. */
static enum human human_kind(const char *name)
{
	size_t n = strlen(name);

	if (name_is(name, "bytes"))
		return HUMAN_BYTES;
	/* first_seen and last_seen are the times of flows. */
	if (name_is(name, "time") || (n >= 5 && !strcasecmp(name + n - 5, "_seen")))
		return HUMAN_TIME;
	if (name_is(name, "duration"))
		return HUMAN_DURATION;
	return HUMAN_NONE;
}

/* Code points in the n bytes at s, which are valid UTF-8. */
static size_t utf8_width(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

/* Appends s (n bytes) to b for table and line modes, escaped by
 * safe_next(), so that a cell stays on its line, shows what it holds and
 * its width in code points is what shows. Returns 0 or -ENOMEM. */
static int table_escape(struct buf *b, const unsigned char *s, size_t n)
{
	char esc[SAFE_ESC_SIZE];
	size_t i = 0, run;
	uint32_t cp;
	int ret = 0;

	while (i < n && !ret) {
		run = safe_span(s + i, n - i);
		ret = buf_put(b, s + i, run);
		i += run;
		if (i < n && !ret) {
			i += safe_next(s + i, n - i, &cp, esc);
			ret = buf_put(b, esc, strlen(esc));
		}
	}
	return ret;
}

/* The display text of held cell c, which may be empty before r->text has
 * any storage. */
static const char *cell_text(const struct render *r, const struct cell *c)
{
	return c->len ? r->text.data + c->off : "";
}

/* Writes v as people read a column of kind into buf: "1.5 MiB", an ISO
 * 8601 time, "2m05s"; for HUMAN_NONE leaves buf empty. */
static void human_text(enum human kind, int64_t v, char *buf, size_t size)
{
	switch (kind) {
	case HUMAN_BYTES:
		fmt_bytes(buf, size, v);
		break;
	case HUMAN_TIME:
		fmt_time(buf, size, v, TABLE_TIME_DIGITS);
		break;
	case HUMAN_DURATION:
		fmt_duration(buf, size, v);
		break;
	case HUMAN_NONE:
		break;
	}
}

bool render_human(const char *name, int64_t v, char *buf, size_t size)
{
	enum human kind = human_kind(name);

	human_text(kind, v, buf, size);
	return kind != HUMAN_NONE;
}

/* Formats column i of the current row into r->text as c. Returns 0 or
 * -ENOMEM. */
static int table_cell(struct render *r, sqlite3_stmt *stmt, int i, struct cell *c)
{
	int type = i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
	const unsigned char *text;
	char human[FMT_BUF_SIZE];
	int ret;

	c->off = r->text.len;
	c->right = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
	c->null = type == SQLITE_NULL;
	human[0] = '\0';
	if (type == SQLITE_INTEGER) {
		human_text(r->cols[i].human, sqlite3_column_int64(stmt, i), human, sizeof(human));
		/* A time reads like text, and is all one width anyway. */
		if (r->cols[i].human == HUMAN_TIME)
			c->right = false;
	}
	if (human[0]) {
		ret = buf_put(&r->text, human, strlen(human));
	} else if (c->null) {
		ret = 0;
	} else {
		text = sqlite3_column_text(stmt, i);
		ret = text ? table_escape(&r->text, text, sqlite3_column_bytes(stmt, i)) : -ENOMEM;
	}
	c->len = r->text.len - c->off;
	c->width = utf8_width(cell_text(r, c), c->len);
	return ret;
}

/* Writes c n times to out. */
static void put_chars(FILE *out, char c, size_t n)
{
	while (n--)
		fputc(c, out);
}

/* Writes one cell of a table line, aligned in a column colw wide. Padding
 * and the gap to the next column are owed in *pending and written only
 * ahead of visible text, so that no line ends in spaces. */
static void table_put(FILE *out, size_t *pending, const char *s, size_t len, size_t width,
		      size_t colw, bool right)
{
	size_t pad = colw > width ? colw - width : 0;

	if (right)
		*pending += pad;
	if (len) {
		put_chars(out, ' ', *pending);
		fwrite(s, 1, len, out);
		*pending = 0;
	}
	if (!right)
		*pending += pad;
	*pending += TABLE_GAP;
}

/* Prints the held rows and forgets them. */
static void table_print_held(struct render *r)
{
	const struct cell *c = r->cells;
	size_t row, pending;
	int i;

	for (row = 0; row < r->held; row++) {
		pending = 0;
		for (i = 0; i < r->ncol; i++, c++)
			table_put(r->out, &pending, cell_text(r, c), c->len, c->width,
				  r->cols[i].width, c->right);
		fputc('\n', r->out);
	}
	r->held = 0;
	r->text.len = 0;
}

/* Sizes the columns to the held rows (and the names, with headers), prints
 * the header, its rule and the held rows, and switches to streaming. A
 * header is aligned like its column's first non-NULL cell. */
static void table_flush(struct render *r)
{
	struct column *col;
	const struct cell *c;
	size_t row, pending;
	bool aligned;
	int i;

	for (i = 0; i < r->ncol; i++) {
		col = &r->cols[i];
		col->width = r->headers ? col->name_width : 0;
		aligned = false;
		for (row = 0; row < r->held; row++) {
			c = &r->cells[row * r->ncol + i];
			if (c->width > col->width)
				col->width = c->width;
			if (!aligned && !c->null) {
				col->right = c->right;
				aligned = true;
			}
		}
	}
	if (r->headers && r->ncol) {
		pending = 0;
		for (i = 0; i < r->ncol; i++) {
			col = &r->cols[i];
			table_put(r->out, &pending, col->name, strlen(col->name), col->name_width,
				  col->width, col->right);
		}
		fputc('\n', r->out);
		pending = 0;
		for (i = 0; i < r->ncol; i++) {
			if (r->cols[i].width) {
				put_chars(r->out, ' ', pending);
				put_chars(r->out, '-', r->cols[i].width);
				pending = 0;
			}
			pending += TABLE_GAP;
		}
		fputc('\n', r->out);
	}
	table_print_held(r);
	r->streaming = true;
}

/* Formats the current row into the held rows, then prints it at once when
 * streaming, or all of them once the sample is complete. Returns 0 or
 * -ENOMEM. */
static int table_row(struct render *r, sqlite3_stmt *stmt)
{
	size_t need = (r->held + 1) * r->ncol, cap;
	struct cell *cells;
	int i, ret;

	if (need > r->cells_cap) {
		cap = r->cells_cap ? r->cells_cap * 2 : need * 16;
		cells = realloc(r->cells, cap * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		r->cells = cells;
		r->cells_cap = cap;
	}
	for (i = 0; i < r->ncol; i++) {
		ret = table_cell(r, stmt, i, &r->cells[r->held * r->ncol + i]);
		if (ret)
			return ret;
	}
	r->held++;
	if (r->streaming)
		table_print_held(r);
	else if (r->held == RENDER_TABLE_SAMPLE)
		table_flush(r);
	return 0;
}

/* Writes n bytes as lowercase hex digits. */
static void put_hex(FILE *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	while (n--) {
		fputc(hex[*p >> 4], out);
		fputc(hex[*p++ & 0xf], out);
	}
}

/* Whether RFC 4180 needs s (n bytes) quoted; also when it starts or ends
 * with a space or tab, which many readers would otherwise trim. */
static bool csv_needs_quotes(const char *s, size_t n)
{
	if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		return true;
	while (n--) {
		if (*s == ',' || *s == '"' || *s == '\r' || *s == '\n')
			return true;
		s++;
	}
	return false;
}

/* Whether a spreadsheet would read text s (n bytes) as a formula: it
 * starts with one of OWASP's =, +, -, @, tab or carriage return, after any
 * spaces, which some spreadsheets trim before they look. */
static bool csv_formula(const char *s, size_t n)
{
	static const char triggers[] = { '=', '+', '-', '@', '\t', '\r' };
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	return i < n && memchr(triggers, s[i], sizeof(triggers));
}

/* Writes s (n bytes) as a CSV field, quoted with "" for " when needed.
 * Unless exact, what safe_next() escapes is escaped and, for text, a
 * formula gets a leading apostrophe, so that a spreadsheet shows it as
 * text and evaluates nothing. */
static void csv_put(FILE *out, const char *s, size_t n, bool exact, bool text)
{
	const unsigned char *p = (const unsigned char *)s;
	bool quoted = csv_needs_quotes(s, n);
	char esc[SAFE_ESC_SIZE];
	const char *quote;
	size_t i = 0, run;
	uint32_t cp;

	if (quoted)
		fputc('"', out);
	if (!exact && text && csv_formula(s, n))
		fputc('\'', out);
	/* Runs in one write each, up to a quote (doubled) or an escape. */
	while (i < n) {
		run = exact ? n - i : safe_span(p + i, n - i);
		quote = quoted ? memchr(p + i, '"', run) : NULL;
		if (quote)
			run = (size_t)(quote - (s + i)) + 1;
		fwrite(p + i, 1, run, out);
		i += run;
		if (quote) {
			fputc('"', out);
		} else if (i < n) {
			i += safe_next(p + i, n - i, &cp, esc);
			fputs(esc, out);
		}
	}
	if (quoted)
		fputc('"', out);
}

/* Writes column i of the current row as a CSV field: numbers as SQLite's
 * text (never guarded: -5 stays a number), text by csv_put(), blobs in
 * hex, NULL as nothing. */
static void csv_value(FILE *out, sqlite3_stmt *stmt, int i, bool exact)
{
	int type = i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
	const unsigned char *p;

	switch (type) {
	case SQLITE_BLOB:
		put_hex(out, sqlite3_column_blob(stmt, i), sqlite3_column_bytes(stmt, i));
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
	case SQLITE_TEXT:
		p = sqlite3_column_text(stmt, i);
		if (p)
			csv_put(out, (const char *)p, sqlite3_column_bytes(stmt, i), exact,
				type == SQLITE_TEXT);
		break;
	default:
		break;
	}
}

/* Writes the current row as a CSV record. */
static void csv_row(struct render *r, sqlite3_stmt *stmt)
{
	int i;

	for (i = 0; i < r->ncol; i++) {
		if (i)
			fputc(',', r->out);
		csv_value(r->out, stmt, i, r->exact);
	}
	fputs("\r\n", r->out);
}

/* Writes s (n bytes) as a JSON string: '"', '\\' and C0 controls escaped
 * as JSON requires, every other character safe_hidden() names as \uHHHH
 * (a surrogate pair above U+FFFF), which a JSON reader decodes to the same
 * string while a terminal shows it inert; each byte that is not part of
 * valid UTF-8 as \ufffd, so that the output is valid JSON whatever the
 * database holds. */
static void json_string(FILE *out, const unsigned char *s, size_t n)
{
	size_t i, len;
	uint32_t cp;

	fputc('"', out);
	for (i = 0; i < n; i += len) {
		len = safe_utf8_seq(s + i, n - i, &cp);
		if (!len) {
			fputs("\\ufffd", out);
			len = 1;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		default:
			if (!safe_hidden(cp))
				fwrite(s + i, 1, len, out);
			else if (cp <= 0xffff)
				fprintf(out, "\\u%04x", (unsigned int)cp);
			else
				fprintf(out, "\\u%04x\\u%04x",
					(unsigned int)(0xd800 + ((cp - 0x10000) >> 10)),
					(unsigned int)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
		}
	}
	fputc('"', out);
}

/* Writes column i of the current row as a JSON value. */
static void json_value(FILE *out, sqlite3_stmt *stmt, int i)
{
	int type = i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
	const unsigned char *p;

	switch (type) {
	case SQLITE_INTEGER:
		fprintf(out, "%lld", (long long)sqlite3_column_int64(stmt, i));
		break;
	case SQLITE_FLOAT:
		/* SQLite's text for a finite double is a JSON number already
		 * ("1.0", "1.0e+20"); JSON has none for the others. */
		p = isfinite(sqlite3_column_double(stmt, i)) ? sqlite3_column_text(stmt, i) : NULL;
		fputs(p ? (const char *)p : "null", out);
		break;
	case SQLITE_TEXT:
		p = sqlite3_column_text(stmt, i);
		json_string(out, p, p ? sqlite3_column_bytes(stmt, i) : 0);
		break;
	case SQLITE_BLOB:
		fputc('"', out);
		p = sqlite3_column_blob(stmt, i);
		put_hex(out, p, sqlite3_column_bytes(stmt, i));
		fputc('"', out);
		break;
	default:
		fputs("null", out);
	}
}

/* Writes the current row as a JSON object, opening the array before the
 * first; or, for JSON lines, on a line of its own. */
static void json_row(struct render *r, sqlite3_stmt *stmt)
{
	int i;

	fputs(r->json_lines ? "{" : r->rows ? ",\n{" : "[\n{", r->out);
	for (i = 0; i < r->ncol; i++) {
		if (i)
			fputc(',', r->out);
		json_string(r->out, (const unsigned char *)r->cols[i].name,
			    strlen(r->cols[i].name));
		fputc(':', r->out);
		json_value(r->out, stmt, i);
	}
	fputs(r->json_lines ? "}\n" : "}", r->out);
}

/* Writes column i of the current row for line mode: numbers as SQLite's
 * text, text escaped by safe_fwrite() so that a value stays on its line
 * and shows what it holds, blobs in hex, NULL as nothing. */
static void line_value(FILE *out, sqlite3_stmt *stmt, int i)
{
	int type = i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
	const unsigned char *p;

	switch (type) {
	case SQLITE_BLOB:
		put_hex(out, sqlite3_column_blob(stmt, i), sqlite3_column_bytes(stmt, i));
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
	case SQLITE_TEXT:
		p = sqlite3_column_text(stmt, i);
		if (p)
			safe_fwrite(out, (const char *)p, sqlite3_column_bytes(stmt, i));
		break;
	default:
		break;
	}
}

/* Writes the current row as "name = value" lines, after a blank line when
 * a row came before. */
static void line_row(struct render *r, sqlite3_stmt *stmt)
{
	int i;

	if (r->rows)
		fputc('\n', r->out);
	for (i = 0; i < r->ncol; i++) {
		put_chars(r->out, ' ', r->name_width - r->cols[i].name_width);
		fputs(r->cols[i].name, r->out);
		fputs(" = ", r->out);
		line_value(r->out, stmt, i);
		fputc('\n', r->out);
	}
}

/* Writes s (n bytes) as HTML text: markup characters as entities, and
 * what safe_next() escapes as its escape, as in table mode: a browser
 * reorders text by bidi controls and hides zero-width characters just as
 * a terminal does, and controls are not allowed in HTML. */
static void html_text(FILE *out, const unsigned char *s, size_t n)
{
	char esc[SAFE_ESC_SIZE];
	size_t i, len;
	uint32_t cp;

	for (i = 0; i < n; i += len) {
		len = safe_next(s + i, n - i, &cp, esc);
		if (esc[0]) {
			fputs(esc, out);
		} else if (cp == '&') {
			fputs("&amp;", out);
		} else if (cp == '<') {
			fputs("&lt;", out);
		} else if (cp == '>') {
			fputs("&gt;", out);
		} else if (cp == '"') {
			fputs("&quot;", out);
		} else {
			fwrite(s + i, 1, len, out);
		}
	}
}

/* Writes the header row, numbers' names right-aligned as their values
 * in the first row (stmt's current row, or none when stmt is NULL), and
 * opens the body. */
static void html_head(struct render *r, sqlite3_stmt *stmt)
{
	int i, type;

	if (r->headers) {
		fputs("<thead><tr>", r->out);
		for (i = 0; i < r->ncol; i++) {
			type = stmt && i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) :
								      SQLITE_NULL;
			/* Aligned as the column's cells: times read as text. */
			fputs((type == SQLITE_INTEGER || type == SQLITE_FLOAT) &&
					      r->cols[i].human != HUMAN_TIME ?
				      "<th class=\"num\">" :
				      "<th>",
			      r->out);
			html_text(r->out, (const unsigned char *)r->cols[i].name,
				  strlen(r->cols[i].name));
			fputs("</th>", r->out);
		}
		fputs("</tr></thead>\n", r->out);
	}
	fputs("<tbody>\n", r->out);
}

/* Writes the current row as a table row: numbers right-aligned in human
 * units where the column's name asks for them, with the exact value as
 * the cell's title. */
static void html_row(struct render *r, sqlite3_stmt *stmt)
{
	char human[FMT_BUF_SIZE];
	const unsigned char *p;
	int i, type;

	if (!r->rows)
		html_head(r, stmt);
	fputs("<tr>", r->out);
	for (i = 0; i < r->ncol; i++) {
		type = i < sqlite3_data_count(stmt) ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
		human[0] = '\0';
		if (type == SQLITE_INTEGER)
			human_text(r->cols[i].human, sqlite3_column_int64(stmt, i), human,
				   sizeof(human));
		p = sqlite3_column_text(stmt, i);
		if (human[0]) {
			fprintf(r->out, "<td class=\"%s\" title=\"%s\">%s</td>",
				r->cols[i].human == HUMAN_TIME ? "time" : "num", p, human);
			continue;
		}
		fputs(type == SQLITE_INTEGER || type == SQLITE_FLOAT ? "<td class=\"num\">" :
		      type == SQLITE_NULL			       ? "<td class=\"null\">" :
									 "<td>",
		      r->out);
		if (type == SQLITE_BLOB)
			put_hex(r->out, sqlite3_column_blob(stmt, i), sqlite3_column_bytes(stmt, i));
		else if (p)
			html_text(r->out, p, sqlite3_column_bytes(stmt, i));
		fputs("</td>", r->out);
	}
	fputs("</tr>\n", r->out);
}

void render_string(FILE *out, const struct render_opts *opts, const char *s)
{
	switch (opts->mode) {
	case RENDER_CSV:
		csv_put(out, s, strlen(s), opts->exact, true);
		break;
	case RENDER_JSON:
		json_string(out, (const unsigned char *)s, strlen(s));
		break;
	case RENDER_HTML:
		html_text(out, (const unsigned char *)s, strlen(s));
		break;
	case RENDER_TABLE:
	case RENDER_LINE:
		safe_fputs(out, s);
		break;
	}
}

/* Frees r and all it holds. */
static void render_free(struct render *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; r->cols && i < r->ncol; i++)
		free(r->cols[i].name);
	free(r->cols);
	free(r->cells);
	free(r->text.data);
	free(r);
}

/* Copies the column names of stmt (display-escaped in table and line modes) and
 * writes the CSV header. Returns the renderer, or NULL when out of memory. */
struct render *render_begin(FILE *out, const struct render_opts *opts, sqlite3_stmt *stmt)
{
	struct render *r = calloc(1, sizeof(*r));
	struct buf name = { 0 };
	const char *s;
	int i, ret;

	if (!r)
		return NULL;
	r->out = out;
	r->mode = opts->mode;
	r->headers = opts->headers;
	r->exact = opts->exact;
	r->json_lines = opts->json_lines;
	r->ncol = sqlite3_column_count(stmt);
	r->cols = calloc(r->ncol ? r->ncol : 1, sizeof(*r->cols));
	if (!r->cols)
		goto fail;
	for (i = 0; i < r->ncol; i++) {
		/* Copied: the first step may reprepare stmt, which frees it. */
		s = sqlite3_column_name(stmt, i);
		if (!s)
			goto fail;
		r->cols[i].human = human_kind(s);
		if (r->mode == RENDER_TABLE || r->mode == RENDER_LINE)
			ret = table_escape(&name, (const unsigned char *)s, strlen(s));
		else
			ret = buf_put(&name, s, strlen(s));
		if (ret || buf_put(&name, "", 1))
			goto fail;
		r->cols[i].name = name.data;
		r->cols[i].name_width = utf8_width(name.data, name.len - 1);
		if (r->cols[i].name_width > r->name_width)
			r->name_width = r->cols[i].name_width;
		name = (struct buf){ 0 };
	}
	if (r->mode == RENDER_CSV && r->headers && r->ncol) {
		for (i = 0; i < r->ncol; i++) {
			if (i)
				fputc(',', out);
			csv_put(out, r->cols[i].name, strlen(r->cols[i].name), r->exact, true);
		}
		fputs("\r\n", out);
	}
	if (r->mode == RENDER_HTML)
		fputs("<table>\n", out);
	return r;
fail:
	free(name.data);
	render_free(r);
	return NULL;
}

/* Renders the current row of stmt. Returns 0, -EIO when out has had a
 * write error, or -ENOMEM when table mode cannot hold the row. */
int render_row(struct render *r, sqlite3_stmt *stmt)
{
	int ret = 0;

	switch (r->mode) {
	case RENDER_TABLE:
		ret = table_row(r, stmt);
		break;
	case RENDER_CSV:
		csv_row(r, stmt);
		break;
	case RENDER_JSON:
		json_row(r, stmt);
		break;
	case RENDER_LINE:
		line_row(r, stmt);
		break;
	case RENDER_HTML:
		html_row(r, stmt);
		break;
	}
	r->rows++;
	if (ferror(r->out))
		return -EIO;
	return ret;
}

int render_flush(struct render *r)
{
	if (r->mode == RENDER_TABLE && !r->streaming && r->held)
		table_flush(r);
	return fflush(r->out) || ferror(r->out) ? -EIO : 0;
}

void render_discard(struct render *r)
{
	render_free(r);
}

/* Prints what table mode holds, closes the JSON array, flushes out and
 * frees r. Returns 0, or -EIO when out has had a write error, now or
 * before. */
int render_end(struct render *r)
{
	int ret = 0;

	if (!r)
		return 0;
	if (r->mode == RENDER_TABLE && !r->streaming)
		table_flush(r);
	else if (r->mode == RENDER_JSON && !r->json_lines)
		fputs(r->rows ? "\n]\n" : "[]\n", r->out);
	else if (r->mode == RENDER_HTML) {
		if (!r->rows) {
			html_head(r, NULL);
			fprintf(r->out, "<tr><td class=\"none\" colspan=\"%d\">none</td></tr>\n",
				r->ncol);
		}
		fputs("</tbody>\n</table>\n", r->out);
	}
	if (fflush(r->out) || ferror(r->out))
		ret = -EIO;
	render_free(r);
	return ret;
}
