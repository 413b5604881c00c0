/* SPDX-License-Identifier: BSD-2-Clause */
/* Reports for cron: several canned queries over one window, in one document. */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>
#include "shell.h"

enum report_kind {
	REPORT_DAILY, /* the last 24 hours, traffic in 1-hour (text) or 15-minute buckets */
	REPORT_HOURLY, /* the last hour, traffic in 5-minute (text) or 1-minute buckets */
};

enum report_format {
	REPORT_TEXT, /* tables and a bar chart for a mail */
	REPORT_CSV, /* per section: its name alone on a line, a CSV table, a blank line */
	REPORT_JSON, /* one object: the window, and each section's rows */
	REPORT_HTML, /* one self-contained page: inline CSS, an SVG chart, tables */
};

/* Parses "daily" or "hourly". Returns 0 and sets *kind, or -EINVAL. */
int report_kind_parse(const char *name, enum report_kind *kind);

/* Parses "text", "csv", "json" or "html". Returns 0 and sets *format, or
 * -EINVAL. */
int report_format_parse(const char *name, enum report_format *format);

/*
 * Writes the report to sh->out over the session window, or, where it is
 * unbounded, the last 24 hours or the last hour before now_us. Every
 * section is one canned query (summary, traffic, top-talkers, top-ports,
 * protocols, new-peers, scans, resets; alert-counts and alerts when the
 * window holds alerts; blocked and actions when it holds enforcement
 * data), all over the same window. Returns 0, or
 * -EINVAL after printing the first error (the output is then incomplete).
 */
int report_run(struct shell *sh, enum report_kind kind, enum report_format format,
	       int64_t now_us);

#endif /* REPORT_H */
