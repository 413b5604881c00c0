// SPDX-License-Identifier: BSD-2-Clause
/* A flowdb session: the connection, its settings, and running commands. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "dotcmd.h"
#include "fleet.h"
#include "fmt.h"
#include "funcs.h"
#include "partial.h"
#include "queries.h"
#include "safe.h"
#include "shell.h"
#include "units.h"

/* schema/flowdb.sql, NUL-terminated, from schema/schema_sql.S. */
extern const char schema_sql[];

volatile sig_atomic_t shell_interrupted;

/* Progress handler of every handle: a non-zero return interrupts, on
 * Ctrl-C or when the statement is over its time budget. Threads reading
 * files for a canned query call it too. */
static int check_interrupt(void *arg)
{
	struct shell *sh = arg;

	if (shell_interrupted)
		return 1;
	if (sh->deadline_us && shell_now_us() > sh->deadline_us) {
		sh->over_time = 1;
		return 1;
	}
	return 0;
}

/* Authorizer of the session: ATTACH would open a file behind the
 * catalog's back, without its read-only, private-copy rules (a hot journal
 * rolled back into evidence); everything else is the user's to run. */
static int authorize(void *arg, int action, const char *a, const char *b, const char *c,
		     const char *d)
{
	return action == SQLITE_ATTACH ? SQLITE_DENY : SQLITE_OK;
}

int shell_budget_parse(bool memory, const char *text, uint64_t *value)
{
	if (!strcmp(text, "off") || !strcmp(text, "0")) {
		*value = 0;
		return 0;
	}
	return (memory ? units_parse_size(text, value) : units_parse_duration(text, value)) ?
		       -EINVAL :
		       0;
}

void shell_set_budget(struct shell *sh, uint64_t time_us, uint64_t memory)
{
	sh->budget_time_us = time_us;
	sh->budget_memory = memory;
	sqlite3_hard_heap_limit64(memory > INT64_MAX ? INT64_MAX : (sqlite3_int64)memory);
}

void shell_sql_error(struct shell *sh, sqlite3 *db)
{
	char amount[32];
	int rc = sqlite3_errcode(db);

	if (rc == SQLITE_INTERRUPT && sh->over_time) {
		fmt_duration(amount, sizeof(amount), (int64_t)sh->budget_time_us);
		shell_error(sh, "over the time budget of %s (--budget-time, .budget): %s", amount,
			    sqlite3_errmsg(db));
	} else if (rc == SQLITE_NOMEM && sh->budget_memory) {
		fmt_bytes(amount, sizeof(amount), (int64_t)sh->budget_memory);
		shell_error(sh, "over the memory budget of %s (--budget-memory, .budget): %s",
			    amount, sqlite3_errmsg(db));
	} else if (rc == SQLITE_AUTH) {
		shell_error(sh, "%s: ATTACH is off, so that every file is read as flowdb reads "
				"evidence; name the files on flowdb's command line",
			    sqlite3_errmsg(db));
	} else {
		shell_error(sh, "%s", sqlite3_errmsg(db));
	}
}

void shell_error(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", sh->err);
	/* Messages carry file names, SQLite's messages (which quote the SQL)
	 * and values from the evidence: escaped, so they stay one line and
	 * cannot drive the terminal. */
	va_start(ap, fmt);
	safe_vfprintf(sh->err, fmt, ap);
	va_end(ap);
	fputc('\n', sh->err);
	fflush(sh->err);
}

int64_t shell_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct shell *shell_new(struct catalog *c, FILE *err)
{
	struct shell *sh = calloc(1, sizeof(*sh));
	int rc;

	if (!sh) {
		fprintf(err, "flowdb: out of memory\n");
		catalog_free(c);
		return NULL;
	}
	sh->catalog = c;
	sh->err = err;
	sh->out = stdout;
	sh->render.mode = RENDER_TABLE;
	sh->render.headers = true;
	sh->window.since_us = INT64_MIN;
	sh->window.until_us = INT64_MAX;
	c->progress = check_interrupt;
	c->progress_arg = sh;
	c->over_time = &sh->over_time;
	shell_set_budget(sh, SHELL_BUDGET_TIME_US, SHELL_BUDGET_MEMORY);
	rc = queries_load();
	if (rc) {
		fprintf(err, "flowdb: cannot load the canned queries: %s\n", strerror(-rc));
		goto fail;
	}
	rc = sqlite3_open(":memory:", &sh->schema_db);
	if (!rc)
		rc = sqlite3_exec(sh->schema_db, schema_sql, NULL, NULL, NULL);
	/* The rollups are the files' shortcut for canned queries (partial.h),
	 * not relations of the session: older files lack them. */
	if (!rc)
		rc = sqlite3_exec(sh->schema_db, "DROP TABLE talkers; DROP TABLE minutes", NULL, NULL,
				  NULL);
	if (!rc)
		rc = catalog_set_schema(c, sh->schema_db);
	if (!rc)
		rc = sqlite3_open_v2(
			":memory:", &sh->db,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (!rc)
		rc = funcs_register(sh->db);
	if (!rc)
		rc = sqlite3_set_authorizer(sh->db, authorize, sh);
	/* A statement can run for ever without reading a file (a recursive
	 * CTE): the budget and Ctrl-C reach it here. */
	if (!rc)
		sqlite3_progress_handler(sh->db, 1000, check_interrupt, sh);
	/* Sorts and temporary tables in memory, under the memory budget. */
	if (!rc)
		rc = sqlite3_exec(sh->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	if (!rc)
		rc = union_register(sh->db, sh->schema_db, c, &sh->window, &sh->union_mod);
	if (!rc)
		rc = held_open(&sh->held);
	if (rc) {
		fprintf(err, "flowdb: cannot set up SQLite: %s\n", sqlite3_errstr(rc));
		goto fail;
	}
	return sh;
fail:
	shell_free(sh);
	return NULL;
}

void shell_free(struct shell *sh)
{
	if (!sh)
		return;
	shell_set_output(sh, NULL);
	fleet_close(sh->fleet);
	sqlite3_close(sh->db);
	held_close(sh->held);
	sqlite3_close(sh->schema_db);
	catalog_free(sh->catalog);
	free(sh->since);
	free(sh->until);
	shell_clear_params(sh);
	free(sh);
}

/* The parameter name without its sigil, or NULL when it is not an
 * identifier. */
static const char *param_name(const char *name)
{
	const char *p;

	if (*name == ':' || *name == '@' || *name == '$')
		name++;
	if (!*name || isdigit((unsigned char)*name))
		return NULL;
	for (p = name; *p; p++)
		if (*p != '_' && !isalnum((unsigned char)*p))
			return NULL;
	return name;
}

/* The parameter called name (no sigil), or NULL. */
static struct shell_param *find_param(struct shell *sh, const char *name)
{
	size_t i;

	for (i = 0; i < sh->n_params; i++)
		if (!strcmp(sh->params[i].name, name))
			return &sh->params[i];
	return NULL;
}

int shell_set_param(struct shell *sh, const char *name, const char *value)
{
	struct shell_param *p, *grown;
	char *copy;

	name = param_name(name);
	if (!name)
		return -EINVAL;
	p = find_param(sh, name);
	if (!value) {
		if (!p)
			return -ENOENT;
		free(p->name);
		free(p->value);
		/* .param list shows them in the order they were set. */
		memmove(p, p + 1, (sh->params + --sh->n_params - p) * sizeof(*p));
		return 0;
	}
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	if (p) {
		free(p->value);
		p->value = copy;
		return 0;
	}
	grown = realloc(sh->params, (sh->n_params + 1) * sizeof(*grown));
	if (grown)
		sh->params = grown;
	if (!grown || !(grown[sh->n_params].name = strdup(name))) {
		free(copy);
		return -ENOMEM;
	}
	grown[sh->n_params++].value = copy;
	return 0;
}

void shell_clear_params(struct shell *sh)
{
	while (sh->n_params--) {
		free(sh->params[sh->n_params].name);
		free(sh->params[sh->n_params].value);
	}
	free(sh->params);
	sh->params = NULL;
	sh->n_params = 0;
}

/* Binds the session's parameters to stmt's: a whole number as an
 * integer, anything else as text. Returns 0, or -EINVAL after printing
 * which parameter has no value. */
static int bind_params(struct shell *sh, sqlite3_stmt *stmt)
{
	int i, n = sqlite3_bind_parameter_count(stmt);

	for (i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);
		const struct shell_param *p = name ? find_param(sh, name + 1) : NULL;
		char *end;
		long long v;

		if (!name) {
			shell_error(sh, "parameter %d has no name: write :name, and give its "
					"value with -p name=VALUE or .param set name VALUE", i);
			return -EINVAL;
		}
		if (!p) {
			shell_error(sh, "no value for %s: give it with -p %s=VALUE or .param set %s "
					"VALUE", name, name + 1, name + 1);
			return -EINVAL;
		}
		errno = 0;
		v = strtoll(p->value, &end, 10);
		if (*p->value && !*end && !errno && !isspace((unsigned char)*p->value))
			sqlite3_bind_int64(stmt, i, v);
		else
			sqlite3_bind_text(stmt, i, p->value, -1, SQLITE_STATIC);
	}
	return 0;
}

int shell_set_output(struct shell *sh, const char *path)
{
	FILE *f = stdout;
	char *copy = NULL;

	if (path) {
		copy = strdup(path);
		if (!copy)
			return -ENOMEM;
		f = fopen(path, "w");
		if (!f) {
			int err = -errno;

			free(copy);
			return err;
		}
	}
	if (sh->out != stdout)
		fclose(sh->out);
	free(sh->out_path);
	sh->out = f;
	sh->out_path = copy;
	return 0;
}

int shell_refresh(struct shell *sh)
{
	char amount[32];
	int err;

	shell_interrupted = 0;
	sh->over_time = 0;
	sh->deadline_us = sh->budget_time_us ? shell_now_us() + (int64_t)sh->budget_time_us : 0;
	err = catalog_refresh(sh->catalog);
	if (err == -EINTR && sh->over_time) {
		fmt_duration(amount, sizeof(amount), (int64_t)sh->budget_time_us);
		shell_error(sh, "over the time budget of %s (--budget-time, .budget) while checking "
				"the files", amount);
	} else if (err == -EINTR) {
		shell_error(sh, "interrupted");
	} else if (err) {
		shell_error(sh, "out of memory");
	}
	return err ? -EINVAL : 0;
}

/* Resolves a window bound typed as text into microseconds; NULL and
 * "all" are unbounded (dflt). Returns 0 or -EINVAL. */
static int resolve_bound(const char *text, int64_t dflt, int64_t now_us, int64_t *us)
{
	if (!text || !strcmp(text, "all")) {
		*us = dflt;
		return 0;
	}
	return fmt_parse_time(text, now_us, us);
}

int shell_set_window(struct shell *sh, bool is_until, const char *text)
{
	char **slot = is_until ? &sh->until : &sh->since;
	char *copy = NULL;
	int64_t us;

	if (text && strcmp(text, "off")) {
		/* "all" stays: it overrides a canned query's own default. */
		if (strcmp(text, "all") && fmt_parse_time(text, shell_now_us(), &us))
			return -EINVAL;
		copy = strdup(text);
		if (!copy)
			return -ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/* Seconds of CPU time this process used, user and system. */
static void cpu_seconds(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Brings the file list up to date and starts counting a statement's
 * reads. bounded: apply the session window to the scans (ad-hoc SQL);
 * canned queries get it as parameters instead. Returns 0 or -EINVAL. */
static int begin_statement(struct shell *sh, bool bounded)
{
	int64_t now = shell_now_us();

	union_release(sh->union_mod);
	sh->stmt_copied = false;
	sh->stmt_start_us = now;
	cpu_seconds(&sh->stmt_user0, &sh->stmt_sys0);
	if (shell_refresh(sh))
		return -EINVAL;
	catalog_stats_reset(sh->catalog);
	sh->window.since_us = INT64_MIN;
	sh->window.until_us = INT64_MAX;
	if (bounded && (resolve_bound(sh->since, INT64_MIN, now, &sh->window.since_us) ||
			resolve_bound(sh->until, INT64_MAX, now, &sh->window.until_us))) {
		shell_error(sh, "the session window no longer parses");
		return -EINVAL;
	}
	return 0;
}

/* Steps stmt to the end, rendering its rows, then reports the timer and
 * stats. Returns 0, -EAGAIN when the union tables stopped it to have it
 * run again over copies (union_allow_copy(); nothing printed: the rows it
 * gave until then were held back), or -EINVAL after printing the error. */
static int run_statement(struct shell *sh, sqlite3_stmt *stmt)
{
	struct catalog *c = sh->catalog;
	struct render *r = NULL;
	enum union_copy copy = UNION_COPY_NO;
	sqlite3_stmt *held;
	double user1, sys1;
	int rc, err = 0;

	held_forget(sh->held);
	rc = sqlite3_step(stmt);
	/* A row that cannot be held is shown, and the statement runs on. */
	while (rc == SQLITE_ROW && (copy = union_copy_state(sh->union_mod)) == UNION_COPY_HOLD &&
	       !held_add(sh->held, stmt))
		rc = sqlite3_step(stmt);
	if ((rc == SQLITE_ROW && copy == UNION_COPY_DUE) ||
	    (rc != SQLITE_ROW && rc != SQLITE_DONE && union_copy_wanted(sh->union_mod))) {
		held_forget(sh->held);
		return -EAGAIN;
	}
	union_allow_copy(sh->union_mod, NULL);
	if (sqlite3_column_count(stmt)) {
		r = render_begin(sh->out, &sh->render, stmt);
		if (!r) {
			shell_error(sh, "out of memory");
			held_forget(sh->held);
			return -EINVAL;
		}
	}
	if (held_replay(sh->held, &held)) {
		shell_error(sh, "out of memory");
		err = -EINVAL;
	}
	while (!err && held && sqlite3_step(held) == SQLITE_ROW) {
		if (r && render_row(r, held)) {
			shell_error(sh, "cannot write the results: %s", strerror(errno));
			err = -EINVAL;
		}
	}
	held_forget(sh->held);
	for (; !err && rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
		if (r && render_row(r, stmt)) {
			shell_error(sh, "cannot write the results: %s", strerror(errno));
			err = -EINVAL;
			break;
		}
	}
	if (render_end(r) && !err) {
		shell_error(sh, "cannot write the results: %s", strerror(errno));
		err = -EINVAL;
	}
	fflush(sh->out);
	if (!err && rc != SQLITE_DONE) {
		shell_sql_error(sh, sh->db);
		err = -EINVAL;
	}
	if (sh->timer) {
		cpu_seconds(&user1, &sys1);
		fprintf(sh->err, "time: %.3f s real, %.3f s user, %.3f s sys\n",
			(shell_now_us() - sh->stmt_start_us) / 1e6, user1 - sh->stmt_user0,
			sys1 - sh->stmt_sys0);
	}
	if (sh->stats)
		fprintf(sh->err, "stats: %zu of %zu files read, %llu rows scanned%s\n",
			c->files_read, catalog_usable(c), (unsigned long long)c->rows_read,
			sh->stmt_copied ? ", run again over copies" : "");
	return err;
}

/* Runs sql, ClickHouse's, on the fleet as typed and renders its answer.
 * Returns 0 or -EINVAL after printing why. */
static int fleet_exec_sql(struct shell *sh, const char *sql)
{
	char why[QUERY_ERR_SIZE * 2];
	sqlite3_stmt *stmt;
	int err;

	/* Blanks alone are no statement, as for SQLite. */
	if (!sql[strspn(sql, " \t\r\n;")])
		return 0;
	sh->stmt_start_us = shell_now_us();
	cpu_seconds(&sh->stmt_user0, &sh->stmt_sys0);
	err = fleet_run(sh->fleet, sh->db, sql, NULL, &stmt, why, sizeof(why));
	if (err) {
		shell_error(sh, "%s", why);
		return -EINVAL;
	}
	err = run_statement(sh, stmt);
	sqlite3_finalize(stmt);
	return err;
}

/* Runs *stmt, which the union tables stopped before its first row, again:
 * over copies of the tables it reads, or over the files when they cannot
 * be copied. *stmt is replaced by the statement run. Returns as
 * run_statement() does, never -EAGAIN. */
static int run_on_copies(struct shell *sh, sqlite3_stmt **stmt)
{
	char *text = strdup(sqlite3_sql(*stmt));
	int rc, err;

	sqlite3_finalize(*stmt);
	*stmt = NULL;
	if (!text) {
		shell_error(sh, "out of memory");
		return -EINVAL;
	}
	/* Only an interrupt ends it; otherwise the files answer, more slowly. */
	rc = union_copy(sh->union_mod);
	sh->stmt_copied = rc == SQLITE_OK;
	if (rc == SQLITE_INTERRUPT) {
		shell_sql_error(sh, sh->db);
		free(text);
		return -EINVAL;
	}
	if (sqlite3_prepare_v2(sh->db, text, -1, stmt, NULL)) {
		shell_sql_error(sh, sh->db);
		free(text);
		return -EINVAL;
	}
	free(text);
	err = bind_params(sh, *stmt);
	if (!err)
		err = run_statement(sh, *stmt);
	return err;
}

int shell_exec_sql(struct shell *sh, const char *sql)
{
	const char *tail = sql;
	sqlite3_stmt *stmt;
	int err = 0;

	if (sh->fleet)
		return fleet_exec_sql(sh, sql);
	while (!err && tail && *tail) {
		err = begin_statement(sh, true);
		if (err)
			break;
		if (sqlite3_prepare_v2(sh->db, tail, -1, &stmt, &tail)) {
			shell_sql_error(sh, sh->db);
			return -EINVAL;
		}
		if (!stmt)
			continue; /* blanks or a comment */
		err = bind_params(sh, stmt);
		union_allow_copy(sh->union_mod, stmt);
		if (!err)
			err = run_statement(sh, stmt);
		if (err == -EAGAIN)
			err = run_on_copies(sh, &stmt);
		sqlite3_finalize(stmt);
		union_release(sh->union_mod);
	}
	return err;
}

/* A canned query's arguments, to bind each of its statements alike. */
struct query_args {
	const struct query *q;
	int argc;
	char **argv;
	const struct query_defaults *d;
	int64_t now_us;
};

/* partial_bind_fn for a query's per-file half: its arguments were checked
 * on the window probe already. */
static int bind_query_args(sqlite3_stmt *stmt, void *arg)
{
	const struct query_args *a = arg;
	char why[QUERY_ERR_SIZE];

	return queries_bind(a->q, stmt, a->argc, a->argv, a->d, a->now_us, why, sizeof(why));
}

/* Runs the per-file half of a's query over the files its window can
 * touch, into temp.partial for the merge half. Returns 0, or -EINVAL after
 * printing why. */
static int run_per_file(struct shell *sh, struct query_args *a)
{
	const struct partial_sql sql = { a->q->per_file, a->q->rollup, bind_query_args, a };
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	char why[QUERY_ERR_SIZE];
	sqlite3_stmt *probe;
	int err;

	/* The window, as the query binds it, picks the files to read. */
	if (sqlite3_prepare_v2(sh->db, "SELECT :since, :until", -1, &probe, NULL)) {
		shell_sql_error(sh, sh->db);
		return -EINVAL;
	}
	err = queries_bind(a->q, probe, a->argc, a->argv, a->d, a->now_us, why, sizeof(why));
	if (!err && sqlite3_step(probe) == SQLITE_ROW) {
		if (sqlite3_column_type(probe, 0) == SQLITE_INTEGER)
			lo = sqlite3_column_int64(probe, 0);
		if (sqlite3_column_type(probe, 1) == SQLITE_INTEGER)
			hi = sqlite3_column_int64(probe, 1);
	}
	sqlite3_finalize(probe);
	if (err) {
		shell_error(sh, "%s", why);
		return err;
	}
	err = partial_run(sh->catalog, sh->db, sh->schema_db, &sql, lo, hi, why, sizeof(why));
	if (err == -EINTR && sh->over_time)
		shell_error(sh, "over the time budget (--budget-time, .budget): %s: interrupted",
			    a->q->name);
	else if (err == -EINTR)
		shell_error(sh, "interrupted");
	else if (err)
		shell_error(sh, "%s: %s", a->q->name, why);
	return err ? -EINVAL : 0;
}

/* shell_prepare_query() over the fleet: a's query runs on ClickHouse,
 * and *stmt yields its answer (finished by SQLite when the query says
 * how). Returns 0 or -EINVAL after printing why. */
static int prepare_fleet_query(struct shell *sh, const struct query_args *a,
			       sqlite3_stmt **stmt)
{
	char why[QUERY_ERR_SIZE * 2];
	char *sql;
	int err;

	sh->stmt_start_us = shell_now_us();
	cpu_seconds(&sh->stmt_user0, &sh->stmt_sys0);
	err = fleet_query_sql(sh->fleet, sh->db, a->q, a->argc, a->argv, a->d, a->now_us, &sql,
			      why, sizeof(why));
	if (err) {
		shell_error(sh, "%s", why);
		return -EINVAL;
	}
	err = fleet_run(sh->fleet, sh->db, sql, a->q->ch_finish, stmt, why, sizeof(why));
	sqlite3_free(sql);
	if (err) {
		shell_error(sh, "%s: %s", a->q->name, why);
		return -EINVAL;
	}
	/* Checked already, on the ClickHouse SQL's values. */
	if (a->q->ch_finish)
		queries_bind(a->q, *stmt, a->argc, a->argv, a->d, a->now_us, why, sizeof(why));
	return 0;
}

int shell_prepare_query(struct shell *sh, const char *name, int argc, char **argv,
			sqlite3_stmt **stmt)
{
	const struct query_defaults d = { .since = sh->since, .until = sh->until };
	const struct query *q = queries_find(name);
	struct query_args a = { q, argc, argv, &d, shell_now_us() };
	char why[QUERY_ERR_SIZE];
	int err;

	*stmt = NULL;
	if (!q) {
		shell_error(sh, "unknown query \"%s\"; .queries lists them", name);
		return -EINVAL;
	}
	if (sh->fleet)
		return prepare_fleet_query(sh, &a, stmt);
	err = begin_statement(sh, false);
	if (!err && q->per_file)
		err = run_per_file(sh, &a);
	if (err)
		return err;
	if (sqlite3_prepare_v2(sh->db, q->per_file ? q->merge : q->sql, -1, stmt, NULL)) {
		shell_error(sh, "%s: %s", q->name, sqlite3_errmsg(sh->db));
		return -EINVAL;
	}
	err = queries_bind(q, *stmt, argc, argv, &d, a.now_us, why, sizeof(why));
	if (err) {
		shell_error(sh, "%s", why);
		sqlite3_finalize(*stmt);
		*stmt = NULL;
	}
	return err;
}

int shell_run_query(struct shell *sh, const char *name, int argc, char **argv)
{
	sqlite3_stmt *stmt;
	int err;

	err = shell_prepare_query(sh, name, argc, argv, &stmt);
	if (!err)
		err = run_statement(sh, stmt);
	sqlite3_finalize(stmt);
	union_release(sh->union_mod);
	return err;
}

int shell_fleet_range(struct shell *sh, int64_t *lo, int64_t *hi)
{
	char why[QUERY_ERR_SIZE * 2], *filter = fleet_hosts_filter(sh->fleet), *sql = NULL;
	sqlite3_stmt *stmt;
	int err;

	if (filter)
		sql = sqlite3_mprintf(
			"SELECT count(), min(first_seen), max(last_seen) FROM flows WHERE %s", filter);
	sqlite3_free(filter);
	if (!sql) {
		shell_error(sh, "out of memory");
		return -EINVAL;
	}
	err = fleet_ask(sh->fleet, sh->db, sql, &stmt, why, sizeof(why));
	sqlite3_free(sql);
	if (err) {
		shell_error(sh, "%s", why);
		return -EINVAL;
	}
	if (sqlite3_column_int64(stmt, 0)) {
		*lo = sqlite3_column_int64(stmt, 1);
		*hi = sqlite3_column_int64(stmt, 2);
	}
	sqlite3_finalize(stmt);
	return 0;
}

int shell_window_range(struct shell *sh, int64_t now_us, int64_t *from_us, int64_t *to_us)
{
	struct catalog *c = sh->catalog;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i;

	if (shell_refresh(sh) || (sh->fleet && shell_fleet_range(sh, &lo, &hi)))
		return -EINVAL;
	for (i = 0; i < c->n_files; i++) {
		if (c->files[i]->error)
			continue;
		lo = c->files[i]->time_start_us < lo ? c->files[i]->time_start_us : lo;
		hi = catalog_time_end(c->files[i]) > hi ? catalog_time_end(c->files[i]) : hi;
	}
	if (resolve_bound(sh->since, lo, now_us, from_us) ||
	    resolve_bound(sh->until, hi < now_us ? hi : now_us, now_us, to_us)) {
		shell_error(sh, "the session window no longer parses");
		return -EINVAL;
	}
	if (lo == INT64_MAX) {
		shell_error(sh, "no flow files to chart");
		return -EINVAL;
	}
	if (*from_us > *to_us) {
		shell_error(sh, "the window ends before it starts");
		return -EINVAL;
	}
	return 0;
}

/* Writes "name=@SECONDS.MICROS" into buf: a parameter at microsecond
 * precision that fmt_parse_time() reads back exactly. Returns buf. */
static char *time_arg(char *buf, size_t size, const char *name, int64_t us)
{
	char epoch[FMT_BUF_SIZE];

	snprintf(buf, size, "%s=%s", name, fmt_epoch(epoch, sizeof(epoch), us));
	return buf;
}

int shell_series(struct shell *sh, struct chart *c, int64_t from_us, int64_t to_us)
{
	char since[64], until[64], bucket[64];
	char *argv[] = { time_arg(since, sizeof(since), "since", from_us),
			 time_arg(until, sizeof(until), "until", to_us), bucket };
	sqlite3_stmt *stmt;
	int col, err;

	snprintf(bucket, sizeof(bucket), "bucket=%" PRId64 "s", c->bucket_us / 1000000);
	err = shell_prepare_query(sh, "traffic", 3, argv, &stmt);
	if (err)
		return err;
	/* The fleet's chart is its hosts' traffic added up. */
	if (sh->fleet) {
		sqlite3_finalize(stmt);
		if (sqlite3_prepare_v2(sh->db,
				       "SELECT time, sum(flows) AS flows, sum(packets) AS packets,"
				       " sum(bytes) AS bytes FROM temp.fleet GROUP BY time ORDER BY time",
				       -1, &stmt, NULL)) {
			shell_sql_error(sh, sh->db);
			return -EINVAL;
		}
	}
	for (col = sqlite3_column_count(stmt) - 1; col > 0; col--)
		if (!strcmp(sqlite3_column_name(stmt, col), c->metric))
			break;
	err = chart_fill(c, stmt, col, from_us, to_us);
	if (err == -E2BIG)
		shell_error(sh, "%s buckets make %zu bars, more than %d: give a longer bucket",
			    bucket + strlen("bucket="), c->n, CHART_BARS_MAX);
	else if (err == -EIO)
		shell_sql_error(sh, sh->db);
	else if (err)
		shell_error(sh, "out of memory");
	sqlite3_finalize(stmt);
	if (err)
		chart_free(c);
	return err ? -EINVAL : 0;
}

int shell_exec(struct shell *sh, const char *input)
{
	const char *p = input + strspn(input, " \t\r\n");

	if (*p == '.')
		return dotcmd_run(sh, p);
	return shell_exec_sql(sh, p);
}
