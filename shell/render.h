/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes result rows as an aligned table, CSV (RFC 4180), JSON, lines or HTML. */
#ifndef RENDER_H
#define RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

enum render_mode {
	RENDER_TABLE, /* aligned columns for people: human bytes, ISO times */
	RENDER_CSV, /* RFC 4180, CRLF line ends; text escaped and formulas guarded unless exact */
	RENDER_JSON, /* one array of objects, exact values */
	RENDER_LINE, /* "column = value" per line, a blank line between rows */
	RENDER_HTML, /* a <table>, human units with exact values as titles */
};

struct render_opts {
	enum render_mode mode;
	bool headers; /* header row in table and csv modes */
	/* csv: every value byte for byte, for programs; else, for spreadsheets
	 * and terminals, text is escaped as safe.h says and a formula (text
	 * starting with =, +, -, @, tab or CR) gets a leading apostrophe. */
	bool exact;
	/* json: one object per line, no enclosing array (JSON lines), so that
	 * a reader can take each row as it comes (--follow). */
	bool json_lines;
};

struct render;

/* Parses "table", "csv", "json", "line" or "html". Returns 0 and sets *mode, or
 * -EINVAL. */
int render_mode_parse(const char *name, enum render_mode *mode);

/* The name render_mode_parse() reads for mode. */
const char *render_mode_name(enum render_mode mode);

/* Writes v, an INTEGER of the column called name, as table mode shows it
 * ("1.5 MiB" for bytes, an ISO 8601 time, "2m05s") into buf. Returns
 * false, leaving buf alone, when the name asks for no human form. */
bool render_human(const char *name, int64_t v, char *buf, size_t size);

/* Writes s as a text value of opts' mode: a CSV field, a JSON string, HTML
 * text, or escaped as safe.h says for table and line. */
void render_string(FILE *out, const struct render_opts *opts, const char *s);

/* Starts rendering the rows of stmt (a prepared statement, not yet stepped
 * or just reset) to out. Returns the renderer, or NULL when out of memory. */
struct render *render_begin(FILE *out, const struct render_opts *opts, sqlite3_stmt *stmt);

/* Renders the row stmt has just stepped to. Returns 0, or -EIO when out
 * reports a write error. */
int render_row(struct render *r, sqlite3_stmt *stmt);

/* Writes the rows table mode holds, sizing its columns to them when it
 * has not yet (later rows keep those widths), and flushes out: for rows
 * that trickle in (--follow). Returns 0 or -EIO. */
int render_flush(struct render *r);

/* Frees r without writing anything more. NULL is fine. */
void render_discard(struct render *r);

/* Writes what is still held (table mode holds the first rows to size the
 * columns), ends the output (json's closing bracket) and frees r. Returns
 * 0 or -EIO. NULL is fine. */
int render_end(struct render *r);

#endif /* RENDER_H */
