// SPDX-License-Identifier: BSD-2-Clause
/* Reports for cron: several canned queries over one window, in one document. */
#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fleet.h"
#include "fmt.h"
#include "report.h"

#define HOUR_US (3600 * 1000000LL)
/* Bars of the traffic chart: a day in hours for a mail, finer on a page. */
#define TEXT_BARS 25
#define HTML_BARS 100
/* Columns of a text report, as a mail shows them. */
#define TEXT_WIDTH 80
/* Rows of each top-N section. */
#define REPORT_TOP "limit=10"
#define REPORT_ARGS_MAX 3
/* Distinct host names a report's title lists before "and N more". */
#define REPORT_HOSTS_MAX 8

/* One part of a report: a canned query and how it is titled. */
struct section {
	const char *query;
	const char *title;
	const char *arg; /* an extra argument, or NULL */
	bool wide; /* html: the page's full width, not half of it */
	/* Only when the window holds such data: a host without --policy, or
	 * without alert rules, gets no empty sections. */
	enum { ALWAYS, ENFORCEMENT, ALERTS } only;
};

static const struct section sections[] = {
	{ "summary", "Summary", NULL, true, ALWAYS },
	{ "traffic", "Traffic over time", NULL, true }, /* its bucket depends on the format */
	{ "top-talkers", "Top talkers by bytes", REPORT_TOP, false },
	{ "top-ports", "Top destination ports", REPORT_TOP, false },
	{ "protocols", "Protocols", NULL, true },
	{ "new-peers", "New peers: pairs never seen before", REPORT_TOP, true },
	{ "scans", "Port-scan suspects", REPORT_TOP, true },
	{ "resets", "TCP resets and failed connections", REPORT_TOP, true },
	{ "alert-counts", "Alerts by rule and severity, and the keys alerted most", REPORT_TOP,
	  true, ALERTS },
	{ "alerts", "Alerts: the latest", "limit=20", true, ALERTS },
	{ "blocked", "Enforcement: what the policy dropped", REPORT_TOP, true, ENFORCEMENT },
	{ "actions", "Enforcement: changes to the rules", "limit=20", true, ENFORCEMENT },
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* What every section shares. */
struct report {
	struct shell *sh;
	enum report_kind kind;
	enum report_format format;
	int64_t since_us, until_us, now_us;
	int64_t bucket_us; /* of the traffic section */
	size_t files; /* usable files overlapping the window */
	bool enforcement; /* the window holds rule_counters or actions rows */
	bool alerts; /* the window holds alerts rows */
	/* Over the fleet: the hosts with flows in the window, in order, and
	 * whether there are more than REPORT_HOSTS_MAX. */
	char *fleet_hosts[REPORT_HOSTS_MAX];
	size_t n_fleet_hosts;
	bool fleet_more;
};

static const char *const kind_names[] = { [REPORT_DAILY] = "daily", [REPORT_HOURLY] = "hourly" };
static const char *const format_names[] = {
	[REPORT_TEXT] = "text",
	[REPORT_CSV] = "csv",
	[REPORT_JSON] = "json",
	[REPORT_HTML] = "html",
};

static const char html_style[] =
	":root{--fg:#1d2733;--muted:#5b6b7c;--line:#dde3ea;--bar:#2f6fad;--bg:#f4f6f8}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"main{max-width:1080px;margin:0 auto;padding:24px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:15px;margin:0 0 10px}\n"
	".meta{color:var(--muted);margin:0}\n"
	"section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px;"
	"margin:16px 0;overflow-x:auto}\n"
	".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;"
	"margin:16px 0}\n"
	".tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px}\n"
	".tile .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}\n"
	".tile .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:0 16px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;"
	"white-space:nowrap}\n"
	"th{font-size:12px;color:var(--muted);font-weight:600}\n"
	".num{text-align:right}td.none{color:var(--muted);text-align:center}\n"
	"tbody tr:nth-child(even){background:#f8fafb}\n"
	"svg{width:100%;height:auto;display:block}\n"
	".chart-bar{fill:var(--bar)}.chart-bar:hover{fill:#174a7c}\n"
	".chart-grid{stroke:var(--line)}.chart-axis{stroke:#8a99a8}\n"
	".chart-label{fill:var(--muted);font-size:11px}\n"
	"footer{color:var(--muted);font-size:12px}\n";

int report_kind_parse(const char *name, enum report_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(name, kind_names[i])) {
			*kind = i;
			return 0;
		}
	return -EINVAL;
}

int report_format_parse(const char *name, enum report_format *format)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcmp(name, format_names[i])) {
			*format = i;
			return 0;
		}
	return -EINVAL;
}

/* The render mode that writes the tables of format. */
static enum render_mode table_mode(enum report_format format)
{
	static const enum render_mode modes[] = {
		[REPORT_TEXT] = RENDER_TABLE,
		[REPORT_CSV] = RENDER_CSV,
		[REPORT_JSON] = RENDER_JSON,
		[REPORT_HTML] = RENDER_HTML,
	};

	return modes[format];
}

/* Resolves a window bound as typed into microseconds: NULL is dflt, and
 * "all" the start of the oldest file (since) or now (until). Returns 0 or
 * -EINVAL. */
static int resolve(const struct report *r, const char *text, bool is_until, int64_t dflt,
		   int64_t *us)
{
	const struct catalog *c = r->sh->catalog;
	size_t i;

	if (!text) {
		*us = dflt;
		return 0;
	}
	if (strcmp(text, "all"))
		return fmt_parse_time(text, r->now_us, us);
	*us = r->now_us;
	if (!is_until && r->sh->fleet && shell_fleet_range(r->sh, us, &(int64_t){ 0 }))
		return -EINVAL;
	for (i = 0; !is_until && i < c->n_files; i++)
		if (!c->files[i]->error && c->files[i]->time_start_us < *us)
			*us = c->files[i]->time_start_us;
	return 0;
}

/* Writes the distinct host names of the files in the window, escaped for
 * mode (meta strings come from the evidence: never raw to a terminal or a
 * mail): separated by ", " for people (then "no host" when there is
 * none), by commas as CSV fields or JSON array elements. */
static void put_hosts(const struct report *r, enum render_mode mode)
{
	const struct render_opts opts = { .mode = mode, .exact = r->sh->render.exact };
	const struct catalog *c = r->sh->catalog;
	bool people = mode == RENDER_TABLE || mode == RENDER_HTML;
	const char *seen[REPORT_HOSTS_MAX];
	FILE *out = r->sh->out;
	bool more = r->fleet_more;
	size_t i, j, n = 0;

	for (i = 0; i < r->n_fleet_hosts; i++) {
		if (i)
			fputs(people ? ", " : ",", out);
		render_string(out, &opts, r->fleet_hosts[i]);
	}
	n = r->n_fleet_hosts;
	for (i = 0; i < c->n_files; i++) {
		const struct catalog_file *f = c->files[i];

		if (f->error || !catalog_overlaps(f, r->since_us, r->until_us) || !f->host[0])
			continue;
		for (j = 0; j < n && strcmp(seen[j], f->host); j++)
			;
		if (j < n)
			continue;
		if (n == REPORT_HOSTS_MAX) {
			more = true;
			continue;
		}
		seen[n++] = f->host;
		if (n > 1)
			fputs(people ? ", " : ",", out);
		render_string(out, &opts, f->host);
	}
	if (people && !n)
		fputs("no host", out);
	if (people && more)
		fputs(" and more", out);
}

/* Fills argv with the window and a section's extra argument into bufs.
 * Returns argc. */
static int section_args(const struct report *r, const struct section *s,
			char bufs[REPORT_ARGS_MAX][64], char **argv)
{
	char time[FMT_BUF_SIZE];
	int argc = 0;

	snprintf(bufs[argc], sizeof(bufs[argc]), "since=%s",
		 fmt_epoch(time, sizeof(time), r->since_us));
	argv[argc] = bufs[argc];
	argc++;
	snprintf(bufs[argc], sizeof(bufs[argc]), "until=%s",
		 fmt_epoch(time, sizeof(time), r->until_us));
	argv[argc] = bufs[argc];
	argc++;
	if (!strcmp(s->query, "traffic"))
		snprintf(bufs[argc], sizeof(bufs[argc]), "bucket=%" PRId64 "s",
			 r->bucket_us / 1000000);
	else if (s->arg)
		snprintf(bufs[argc], sizeof(bufs[argc]), "%s", s->arg);
	else
		return argc;
	argv[argc] = bufs[argc];
	return argc + 1;
}

/* Whether section s is part of report r. */
static bool shown(const struct report *r, const struct section *s)
{
	return s->only == ALWAYS || (s->only == ENFORCEMENT && r->enforcement) ||
	       (s->only == ALERTS && r->alerts);
}

/* Finds whether the window holds enforcement data: a rule's counters or a
 * change to the rules (a policy file loaded counts, even without drops);
 * and whether it holds alerts. Returns 0 or -EINVAL after printing why. */
static int find_optional(struct report *r)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(r->sh->db,
				"SELECT EXISTS (SELECT 1 FROM rule_counters WHERE time BETWEEN ?1 AND ?2)"
				" OR EXISTS (SELECT 1 FROM actions WHERE time BETWEEN ?1 AND ?2),"
				" EXISTS (SELECT 1 FROM alerts WHERE time BETWEEN ?1 AND ?2)",
				-1, &stmt, NULL);
	if (!rc) {
		sqlite3_bind_int64(stmt, 1, r->since_us);
		sqlite3_bind_int64(stmt, 2, r->until_us);
		rc = sqlite3_step(stmt);
		r->enforcement = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0);
		r->alerts = rc == SQLITE_ROW && sqlite3_column_int(stmt, 1);
		rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	if (rc)
		shell_error(r->sh, "%s", sqlite3_errmsg(r->sh->db));
	sqlite3_finalize(stmt);
	return rc ? -EINVAL : 0;
}

/* What the report says of the fleet's window: the hosts with flows in it,
 * the files those came from, whether enforcement and alerts sections
 * apply. Returns 0 or -EINVAL after printing why. */
static int fleet_facts(struct report *r)
{
	char why[512], *sql, *filter = fleet_hosts_filter(r->sh->fleet), *full = NULL;
	sqlite3_stmt *stmt = NULL;
	int err = -ENOMEM, rc;

	if (!filter) {
		shell_error(r->sh, "out of memory");
		return -ENOMEM;
	}
	sql = sqlite3_mprintf(
		"SELECT uniqExact(host, file),"
		" (SELECT count() FROM rule_counters WHERE %%s AND time BETWEEN %lld AND %lld)"
		" + (SELECT count() FROM actions WHERE %%s AND time BETWEEN %lld AND %lld) > 0,"
		" (SELECT count() FROM alerts WHERE %%s AND time BETWEEN %lld AND %lld) > 0"
		" FROM flows WHERE %%s AND last_seen >= %lld AND first_seen <= %lld",
		(long long)r->since_us, (long long)r->until_us, (long long)r->since_us,
		(long long)r->until_us, (long long)r->since_us, (long long)r->until_us,
		(long long)r->since_us, (long long)r->until_us);
	/* The filter goes in last: a host's name may hold a '%'. */
	if (sql)
		full = sqlite3_mprintf(sql, filter, filter, filter, filter);
	sqlite3_free(sql);
	if (!full) {
		snprintf(why, sizeof(why), "out of memory");
		goto cleanup;
	}
	err = fleet_ask(r->sh->fleet, r->sh->db, full, &stmt, why, sizeof(why));
	sqlite3_free(full);
	full = NULL;
	if (err)
		goto cleanup;
	r->files = (size_t)sqlite3_column_int64(stmt, 0);
	r->enforcement = sqlite3_column_int(stmt, 1);
	r->alerts = sqlite3_column_int(stmt, 2);
	sqlite3_finalize(stmt);
	stmt = NULL;
	sql = sqlite3_mprintf("SELECT DISTINCT host FROM flows WHERE %%s AND last_seen >= %lld AND"
			      " first_seen <= %lld AND host <> '' ORDER BY host LIMIT %d",
			      (long long)r->since_us, (long long)r->until_us, REPORT_HOSTS_MAX + 1);
	if (sql)
		full = sqlite3_mprintf(sql, filter);
	sqlite3_free(sql);
	err = -ENOMEM;
	if (full)
		err = fleet_ask(r->sh->fleet, r->sh->db, full, &stmt, why, sizeof(why));
	sqlite3_free(full);
	/* No row: no host in the window, which the heading says. */
	for (rc = err ? SQLITE_DONE : SQLITE_ROW; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
		if (r->n_fleet_hosts == REPORT_HOSTS_MAX) {
			r->fleet_more = true;
			break;
		}
		r->fleet_hosts[r->n_fleet_hosts] = strdup((const char *)sqlite3_column_text(stmt, 0));
		if (!r->fleet_hosts[r->n_fleet_hosts++]) {
			snprintf(why, sizeof(why), "out of memory");
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_free(filter);
	if (err)
		shell_error(r->sh, "%s", why);
	return err;
}

/* Runs section s, rendering its rows as the report's format renders
 * tables. Returns 0 or -EINVAL after printing why. */
static int run_section(const struct report *r, const struct section *s)
{
	char bufs[REPORT_ARGS_MAX][64], *argv[REPORT_ARGS_MAX];
	int argc = section_args(r, s, bufs, argv);

	return shell_run_query(r->sh, s->query, argc, argv);
}

/* Draws the traffic section's bytes as a chart: text or SVG. Returns 0
 * or -EINVAL after printing why. */
static int run_chart(const struct report *r)
{
	struct chart c = { .bucket_us = r->bucket_us, .unit = CHART_BYTES, .metric = "bytes" };
	int err;

	err = shell_series(r->sh, &c, r->since_us, r->until_us);
	if (err)
		return err;
	if (r->format == REPORT_HTML)
		err = chart_svg(r->sh->out, &c);
	else
		err = chart_text(r->sh->out, &c, TEXT_WIDTH,
				 !strcmp(nl_langinfo(CODESET), "UTF-8"));
	chart_free(&c);
	if (err)
		shell_error(r->sh, "cannot write the report: %s", strerror(EIO));
	return err ? -EINVAL : 0;
}

/* Writes n with thousands separated by commas, for the summary tiles. */
static void put_count(FILE *out, int64_t n)
{
	char digits[24];
	int len, i;

	len = snprintf(digits, sizeof(digits), "%" PRId64, n);
	for (i = 0; i < len; i++) {
		fputc(digits[i], out);
		if (digits[i] != '-' && (len - i - 1) % 3 == 0 && i < len - 1)
			fputc(',', out);
	}
}

/* The HTML summary: one tile per column of the summary query's row.
 * Returns 0 or -EINVAL after printing why. */
static int html_tiles(const struct report *r)
{
	char bufs[REPORT_ARGS_MAX][64], *argv[REPORT_ARGS_MAX], human[FMT_BUF_SIZE];
	FILE *out = r->sh->out;
	sqlite3_stmt *stmt;
	int argc = section_args(r, &sections[0], bufs, argv), i, rc, err;

	err = shell_prepare_query(r->sh, sections[0].query, argc, argv, &stmt);
	if (err)
		return err;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		shell_error(r->sh, "%s", sqlite3_errmsg(r->sh->db));
		sqlite3_finalize(stmt);
		return -EINVAL;
	}
	fputs("<div class=\"tiles\">\n", out);
	for (i = 0; i < sqlite3_column_count(stmt); i++) {
		const char *name = sqlite3_column_name(stmt, i);
		int64_t v = sqlite3_column_int64(stmt, i);

		fprintf(out, "<div class=\"tile\" title=\"%" PRId64 "\"><div class=\"v\">", v);
		if (render_human(name, v, human, sizeof(human)))
			fputs(human, out);
		else
			put_count(out, v);
		fputs("</div><div class=\"k\">", out);
		for (; *name; name++)
			fputc(*name == '_' ? ' ' : *name, out);
		fputs("</div></div>\n", out);
	}
	fputs("</div>\n", out);
	sqlite3_finalize(stmt);
	return 0;
}

/* The text report: a heading, then each section as a titled table; the
 * traffic as a bar chart. Returns 0 or -EINVAL. */
static int write_text(const struct report *r)
{
	char from[FMT_BUF_SIZE], to[FMT_BUF_SIZE];
	FILE *out = r->sh->out;
	size_t i;
	int err = 0;

	fprintf(out, "flowdb %s report: ", kind_names[r->kind]);
	put_hosts(r, RENDER_TABLE);
	fprintf(out, "\n%s to %s, %zu file%s\n", fmt_time(from, sizeof(from), r->since_us, 0),
		fmt_time(to, sizeof(to), r->until_us, 0), r->files, r->files == 1 ? "" : "s");
	for (i = 0; !err && i < N_SECTIONS; i++) {
		if (!shown(r, &sections[i]))
			continue;
		fprintf(out, "\n%s\n%.*s\n", sections[i].title, (int)strlen(sections[i].title),
			"----------------------------------------------------------------");
		if (!strcmp(sections[i].query, "traffic"))
			err = run_chart(r);
		else
			err = run_section(r, &sections[i]);
	}
	return err;
}

/* The CSV report: a head of name,value records, then per section its
 * name alone on a line, its table with a header row, and a blank line.
 * Returns 0 or -EINVAL. */
static int write_csv(const struct report *r)
{
	FILE *out = r->sh->out;
	size_t i;
	int err = 0;

	fprintf(out, "report,%s\r\nsince,%" PRId64 "\r\nuntil,%" PRId64 "\r\nhosts,",
		kind_names[r->kind], r->since_us, r->until_us);
	put_hosts(r, RENDER_CSV);
	fputs("\r\n", out);
	for (i = 0; !err && i < N_SECTIONS; i++) {
		if (!shown(r, &sections[i]))
			continue;
		fprintf(out, "\r\n%s\r\n", sections[i].query);
		err = run_section(r, &sections[i]);
	}
	return err;
}

/* The JSON report: one object with the window and, under "sections",
 * each section's rows as an array of objects. Returns 0 or -EINVAL. */
static int write_json(const struct report *r)
{
	FILE *out = r->sh->out;
	size_t i;
	int err = 0;

	fprintf(out,
		"{\"report\":\"%s\",\"generator\":\"flowdb %s\",\"generated\":%" PRId64
		",\"since\":%" PRId64 ",\"until\":%" PRId64 ",\"bucket\":%" PRId64
		",\"files\":%zu,\"hosts\":[",
		kind_names[r->kind], FLOWDB_VERSION, r->now_us, r->since_us, r->until_us,
		r->bucket_us, r->files);
	put_hosts(r, RENDER_JSON);
	fputs("],\"sections\":{\n", out);
	for (i = 0; !err && i < N_SECTIONS; i++) {
		if (!shown(r, &sections[i]))
			continue;
		fprintf(out, "%s\"%s\":", i ? ",\n" : "", sections[i].query);
		err = run_section(r, &sections[i]);
	}
	fputs("}}\n", out);
	return err;
}

/* The HTML report: one page with its style inline, summary tiles, the
 * traffic as an SVG chart, and the other sections as tables. Returns 0 or
 * -EINVAL. */
static int write_html(const struct report *r)
{
	char from[FMT_BUF_SIZE], to[FMT_BUF_SIZE], now[FMT_BUF_SIZE], bucket[FMT_BUF_SIZE];
	FILE *out = r->sh->out;
	size_t i;
	int err;

	fmt_time(from, sizeof(from), r->since_us, 0);
	fmt_time(to, sizeof(to), r->until_us, 0);
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"flowdb %s\">\n<title>flowdb %s report: ",
		FLOWDB_VERSION, kind_names[r->kind]);
	put_hosts(r, RENDER_HTML);
	fprintf(out, ", %s</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", to,
		html_style);
	fprintf(out, "<header><h1>flowdb %s report: ", kind_names[r->kind]);
	put_hosts(r, RENDER_HTML);
	fprintf(out, "</h1><p class=\"meta\">%s to %s &middot; %zu file%s</p></header>\n", from,
		to, r->files, r->files == 1 ? "" : "s");
	/* A fleet's summary is a row per host: a table, not tiles. */
	if (r->sh->fleet) {
		fprintf(out, "<section><h2>%s</h2>\n", sections[0].title);
		err = run_section(r, &sections[0]);
		fputs("</section>\n", out);
	} else {
		err = html_tiles(r);
	}
	for (i = 1; !err && i < N_SECTIONS; i++) {
		/* Alerts' and enforcement's sections are wide: skipping them
		 * opens or closes no grid. */
		if (!shown(r, &sections[i]))
			continue;
		/* Narrow sections side by side, two in a row on a wide screen. */
		if (!sections[i].wide && (i == 1 || sections[i - 1].wide))
			fputs("<div class=\"grid\">\n", out);
		fprintf(out, "<section><h2>%s", sections[i].title);
		if (!strcmp(sections[i].query, "traffic")) {
			fprintf(out, ": bytes per %s</h2>\n",
				chart_bucket_text(bucket, sizeof(bucket), r->bucket_us));
			err = run_chart(r);
		} else {
			fputs("</h2>\n", out);
			err = run_section(r, &sections[i]);
		}
		fputs("</section>\n", out);
		if (!sections[i].wide && (i + 1 == N_SECTIONS || sections[i + 1].wide))
			fputs("</div>\n", out);
	}
	fprintf(out,
		"<footer>Generated by flowdb %s at %s. Times are UTC; hover over a "
		"value for its exact number.</footer>\n</main>\n</body>\n</html>\n",
		FLOWDB_VERSION, fmt_time(now, sizeof(now), r->now_us, 0));
	return err;
}

int report_run(struct shell *sh, enum report_kind kind, enum report_format format,
	       int64_t now_us)
{
	struct report r = { .sh = sh, .kind = kind, .format = format, .now_us = now_us };
	int64_t span = kind == REPORT_DAILY ? 24 * HOUR_US : HOUR_US;
	struct render_opts saved = sh->render;
	size_t i;
	int err;

	if (shell_refresh(sh))
		return -EINVAL;
	/* A file's meta may say INT64_MIN, and --until a time near it: the
	 * window and its span saturate rather than overflow. */
	if (resolve(&r, sh->until, true, now_us, &r.until_us) ||
	    resolve(&r, sh->since, false, fmt_sub_sat(r.until_us, span), &r.since_us)) {
		shell_error(sh, "the report's window does not parse");
		return -EINVAL;
	}
	if (r.since_us > r.until_us) {
		shell_error(sh, "the report's window ends before it starts");
		return -EINVAL;
	}
	r.bucket_us = chart_bucket(fmt_sub_sat(r.until_us, r.since_us),
				   format == REPORT_TEXT ? TEXT_BARS : HTML_BARS);
	for (i = 0; i < sh->catalog->n_files; i++)
		r.files += !sh->catalog->files[i]->error &&
			   catalog_overlaps(sh->catalog->files[i], r.since_us, r.until_us);
	if (sh->fleet ? fleet_facts(&r) : find_optional(&r)) {
		err = -EINVAL;
		goto cleanup;
	}
	sh->render.mode = table_mode(format);
	sh->render.headers = true;
	switch (format) {
	case REPORT_TEXT:
		err = write_text(&r);
		break;
	case REPORT_CSV:
		err = write_csv(&r);
		break;
	case REPORT_JSON:
		err = write_json(&r);
		break;
	default:
		err = write_html(&r);
		break;
	}
	sh->render = saved;
	if (fflush(sh->out) || ferror(sh->out)) {
		shell_error(sh, "cannot write the report: %s", strerror(errno));
		err = -EINVAL;
	}
cleanup:
	for (i = 0; i < r.n_fleet_hosts; i++)
		free(r.fleet_hosts[i]);
	return err;
}
