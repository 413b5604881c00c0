// SPDX-License-Identifier: BSD-2-Clause
/* flowdb-ship: finished flow files into ClickHouse, exactly once, once (cron) or as they finish. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include "chttp.h"
#include "flowfile.h"
#include "ship.h"
#include "units.h"

#define PROG "flowdb-ship"
/* Backoff between tries after an outage: doubling from the first to the last. */
#define BACKOFF_FIRST_US 500000ULL
#define BACKOFF_MAX_US (30 * USEC_PER_SEC)
#define RETRY_FOR_DEFAULT_US (120 * USEC_PER_SEC)
#define INTERVAL_DEFAULT_US (5 * USEC_PER_SEC)
/* Exit statuses: a bad command line, and anything else that went wrong. */
#define EXIT_USAGE 2
#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

struct opts {
	const char *url, *cluster;
	const char **dirs;
	int n_dirs;
	bool create, status, follow, verbose;
	unsigned int drop_before; /* YYYYMMDD, 0: none */
	unsigned int batch_rows;
	uint64_t retry_for_us, interval_us;
	bool retry_for_set;
};

/* Set by SIGINT and SIGTERM: stop after the batch under way. */
static volatile sig_atomic_t stop;

/* SIGINT, SIGTERM: finish the batch under way, then exit. */
static void on_signal(int sig)
{
	stop = 1;
}

/* Prints --help's text on out. */
static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " --clickhouse URL -d DIR [-d DIR...] [--follow]\n"
		"       " PROG " --clickhouse URL --create [--cluster NAME]\n"
		"       " PROG " --status -d DIR [-d DIR...]\n"
		"       " PROG " --clickhouse URL --drop-before YYYY-MM-DD\n"
		"Copies the rows of finished flow files into ClickHouse, exactly once.\n"
		"\n"
		"  -c, --clickhouse URL  http[s]://[USER[:PASSWORD]@]HOST:PORT/[?database=DB];\n"
		"                        the password may come from FLOWDB_CLICKHOUSE_PASSWORD\n"
		"  -d, --data-dir DIR    a collector's data directory (repeatable)\n"
		"      --follow          keep shipping files as they finish, until SIGINT/SIGTERM\n"
		"      --interval DUR    --follow: look for finished files this often (5s)\n"
		"      --retry-for DUR   give up after ClickHouse is unreachable this long\n"
		"                        (2m; with --follow: never)\n"
		"      --batch-rows N    rows per insert, at most %d (%d)\n"
		"      --create          create the fleet tables on the server URL names\n"
		"      --cluster NAME    --create: the cluster the Distributed tables span (flowdb)\n"
		"      --status          print what is shipped of each DIR, from its " FLOWFILE_PROGRESS
		"\n"
		"      --drop-before DAY drop the fleet tables' days before DAY on the server URL names\n"
		"  -v, --verbose         one line per file shipped\n"
		"  -h, --help            this help\n"
		"      --version         the version\n",
		SHIP_BATCH_ROWS_MAX, SHIP_BATCH_ROWS_DEFAULT);
}

/* Long options without a short one. */
enum {
	OPT_FOLLOW = 256,
	OPT_INTERVAL,
	OPT_RETRY_FOR,
	OPT_BATCH_ROWS,
	OPT_CREATE,
	OPT_CLUSTER,
	OPT_STATUS,
	OPT_DROP_BEFORE,
	OPT_VERSION,
};

/* Parses YYYY-MM-DD into *out as YYYYMMDD. Returns 0 or -EINVAL. */
static int parse_day(const char *s, unsigned int *out)
{
	struct tm tm = { 0 };
	char *end = strptime(s, "%Y-%m-%d", &tm);

	if (!end || *end || strlen(s) != 10 || tm.tm_year + 1900 < 1970)
		return -EINVAL;
	*out = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	return 0;
}

/* Parses the command line into *o. Returns 0, or EXIT_USAGE after one line
 * on stderr, or -1 after --help or --version (exit 0). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "clickhouse", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "retry-for", required_argument, NULL, OPT_RETRY_FOR },
		{ "batch-rows", required_argument, NULL, OPT_BATCH_ROWS },
		{ "create", no_argument, NULL, OPT_CREATE },
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "drop-before", required_argument, NULL, OPT_DROP_BEFORE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	char *end;
	unsigned long n;
	int c;

	o->batch_rows = SHIP_BATCH_ROWS_DEFAULT;
	o->retry_for_us = RETRY_FOR_DEFAULT_US;
	o->interval_us = INTERVAL_DEFAULT_US;
	o->dirs = calloc(argc, sizeof(*o->dirs));
	if (!o->dirs) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->url = optarg;
			break;
		case 'd':
			o->dirs[o->n_dirs++] = optarg;
			break;
		case OPT_FOLLOW:
			o->follow = true;
			break;
		case OPT_INTERVAL:
			if (units_parse_duration(optarg, &o->interval_us)) {
				fprintf(stderr, PROG ": --interval %s: not a duration (5s, 1m)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_RETRY_FOR:
			if (units_parse_duration(optarg, &o->retry_for_us)) {
				fprintf(stderr, PROG ": --retry-for %s: not a duration (30s, 5m)\n",
					optarg);
				return EXIT_USAGE;
			}
			o->retry_for_set = true;
			break;
		case OPT_BATCH_ROWS:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || errno || n > SHIP_BATCH_ROWS_MAX) {
				fprintf(stderr, PROG ": --batch-rows %s: not a number from 1 to %d\n",
					optarg, SHIP_BATCH_ROWS_MAX);
				return EXIT_USAGE;
			}
			o->batch_rows = n;
			break;
		case OPT_CREATE:
			o->create = true;
			break;
		case OPT_CLUSTER:
			o->cluster = optarg;
			break;
		case OPT_STATUS:
			o->status = true;
			break;
		case OPT_DROP_BEFORE:
			if (parse_day(optarg, &o->drop_before)) {
				fprintf(stderr, PROG ": --drop-before %s: not a day (YYYY-MM-DD)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case OPT_VERSION:
			printf(PROG " " FLOWDB_VERSION "\n");
			return -1;
		case ':':
			fprintf(stderr, PROG ": %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, PROG ": unknown option '%s' (" PROG " --help lists them)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->create + o->status + !!o->drop_before > 1) {
		fprintf(stderr, PROG ": --create, --status and --drop-before go one at a time\n");
		return EXIT_USAGE;
	}
	if (o->cluster && !o->create) {
		fprintf(stderr, PROG ": --cluster goes with --create\n");
		return EXIT_USAGE;
	}
	if (!o->status && !o->url) {
		fprintf(stderr, PROG ": --clickhouse URL is needed (" PROG " --help)\n");
		return EXIT_USAGE;
	}
	if ((o->status || (!o->create && !o->drop_before)) && !o->n_dirs) {
		fprintf(stderr, PROG ": -d DIR is needed (" PROG " --help)\n");
		return EXIT_USAGE;
	}
	if ((o->create || o->drop_before) && (o->n_dirs || o->follow)) {
		fprintf(stderr, PROG ": %s takes neither -d nor --follow\n",
			o->create ? "--create" : "--drop-before");
		return EXIT_USAGE;
	}
	if (o->status && (o->url || o->follow)) {
		fprintf(stderr, PROG ": --status takes neither --clickhouse nor --follow\n");
		return EXIT_USAGE;
	}
	if (!o->cluster)
		o->cluster = "flowdb";
	/* It goes into the Distributed tables' definition as an identifier. */
	if (!*o->cluster || strspn(o->cluster, IDENT_CHARS) != strlen(o->cluster) ||
	    (*o->cluster >= '0' && *o->cluster <= '9')) {
		fprintf(stderr, PROG ": --cluster %s: not a cluster name (letters, digits, _)\n",
			o->cluster);
		return EXIT_USAGE;
	}
	return 0;
}

/* Monotonic microseconds, for backoff and --retry-for. */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Sleeps us, or less when a signal comes. */
static void nap(uint64_t us)
{
	uint64_t end = now_us() + us;

	while (!stop && now_us() < end)
		usleep(end - now_us() < 100000 ? end - now_us() : 100000);
}

/* Keeps trying after outages. */
struct retry {
	const struct opts *o;
	uint64_t since; /* the outage's start, 0: none */
	uint64_t backoff;
	bool busy_said; /* that a directory is locked by another shipper was said */
};

/* After a failure st of a try (sh->error says which): says so once per
 * outage and waits the backoff. Returns true to try again, false when st
 * is not worth it, the outage lasted past --retry-for, or a signal came. */
static bool try_again(struct retry *r, struct shipper *sh, int st)
{
	uint64_t now = now_us();

	if (!chttp_retryable(st))
		return false;
	if (!r->since) {
		r->since = now;
		r->backoff = BACKOFF_FIRST_US;
		/* A service's log shows each outage; a cron run only one that
		 * outlasts --retry-for, unless -v. */
		if (r->o->follow || r->o->verbose)
			fprintf(stderr, PROG ": %s; retrying\n", sh->error);
	} else if (r->backoff < BACKOFF_MAX_US) {
		r->backoff = r->backoff * 2 < BACKOFF_MAX_US ? r->backoff * 2 : BACKOFF_MAX_US;
	}
	if (!r->o->follow && now - r->since >= r->o->retry_for_us) {
		fprintf(stderr, PROG ": %s; gave up after %" PRIu64 " s, nothing lost: the next run "
				"resumes\n",
			sh->error, (uint64_t)(r->o->retry_for_us / USEC_PER_SEC));
		return false;
	}
	nap(r->backoff);
	return !stop;
}

/* Ends an outage: says so where its start was said. */
static void recovered(struct retry *r, struct shipper *sh)
{
	if (r->since && (r->o->follow || r->o->verbose))
		fprintf(stderr, PROG ": ClickHouse at %s answers again\n", chttp_url(sh->ch));
	r->since = 0;
}

/* Orders flow file names by period, then seq: time order. */
static int name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	uint64_t px = 0, py = 0;
	unsigned int sx = 0, sy = 0;

	flowfile_parse_name(x, &px, &sx);
	flowfile_parse_name(y, &py, &sy);
	if (px != py)
		return px < py ? -1 : 1;
	return (sx > sy) - (sx < sy);
}

/* The flow files of dir, sorted by name (time order). Returns their count
 * or a negative errno; *names is malloc'ed, each name too. */
static int list_files(const char *dir, char ***names)
{
	char **v = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	uint64_t start;
	unsigned int seq;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (flowfile_parse_name(de->d_name, &start, &seq))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			v = grown;
		}
		if (!(v[n] = strdup(de->d_name))) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		while (n)
			free(v[--n]);
		free(v);
		return err;
	}
	qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	return n;
}

/* Frees n names and the array. */
static void free_names(char **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* Drops from p the entries of files dir no longer holds (retention removed
 * them), so that the record does not grow without end. */
static void forget_gone(struct flowfile_progress *p, char **names, int n)
{
	size_t i, kept = 0;
	int k;

	for (i = 0; i < p->n; i++) {
		for (k = 0; k < n && strcmp(names[k], p->e[i].name); k++)
			;
		if (k < n)
			p->e[kept++] = p->e[i];
	}
	p->n = kept;
}

/* Drops name's entry when nothing of it was shipped: a file that turned
 * out not to be finished is not in the record. */
static void forget_unbegun(struct flowfile_progress *p, const char *name)
{
	struct flowfile_entry *e = flowfile_progress_get(p, name, false);

	if (e && e->state == FLOWFILE_SHIPPING && !e->rows) {
		p->n--;
		memmove(e, e + 1, (p->e + p->n - e) * sizeof(*e));
	}
}

/* What one pass over the directories came to. */
enum pass {
	PASS_OK, /* every finished file shipped */
	PASS_REFUSED, /* and some refused (each said once) */
	PASS_FAILED, /* stopped: ClickHouse refuses, or gave up retrying, or local */
	PASS_STOPPED, /* a signal */
};

/*
 * Takes dir's lock into *fd (-1: not held) unless held already: two
 * shippers counting the same batch would both send it, so a directory has
 * one shipper at a time (a cron run overlapping a long one, a service and a
 * hand-run), for as long as it runs. Says once when another holds it.
 * Returns true when held, false (the directory skipped this pass) when
 * another shipper holds it or it cannot be opened (then *failed is set).
 */
static bool hold_dir(struct retry *r, const char *dir, int *fd, bool *failed)
{
	int err;

	if (*fd >= 0)
		return true;
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
		*failed = true;
		return false;
	}
	if (!flock(*fd, LOCK_EX | LOCK_NB))
		return true;
	err = errno;
	if (err != EWOULDBLOCK) {
		fprintf(stderr, PROG ": %s: cannot lock: %s\n", dir, strerror(err));
		*failed = true;
	} else if (!r->busy_said) {
		fprintf(stderr, PROG ": %s: another flowdb-ship is shipping it; skipped\n", dir);
		r->busy_said = true;
	}
	close(*fd);
	*fd = -1;
	return false;
}

/* Ships every finished file of dir not shipped yet, oldest first. Returns
 * an enum pass. */
static enum pass ship_dir(struct shipper *sh, struct retry *r, const char *dir)
{
	struct flowfile_progress p = { 0 };
	struct flowfile_entry *e;
	char **names = NULL;
	enum pass ret = PASS_OK;
	int n, k, st, err;

	err = flowfile_progress_read(dir, &p);
	if (err) {
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, FLOWFILE_PROGRESS,
			err == -EINVAL ? "not a progress record of flowdb-ship's" : strerror(-err));
		return PASS_FAILED;
	}
	n = list_files(dir, &names);
	if (n < 0) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(-n));
		flowfile_progress_free(&p);
		return PASS_FAILED;
	}
	forget_gone(&p, names, n);
	for (k = 0; k < n && ret != PASS_FAILED && !stop; k++) {
		e = flowfile_progress_get(&p, names[k], false);
		if (e && e->state != FLOWFILE_SHIPPING)
			continue;
		for (;;) {
			/* The entry is found again for each try: adding it may
			 * have moved the others. */
			e = flowfile_progress_get(&p, names[k], true);
			if (!e) {
				fprintf(stderr, PROG ": out of memory\n");
				ret = PASS_FAILED;
				break;
			}
			st = ship_file(sh, dir, &p, e);
			if (!st || st == SHIP_REFUSED || st == SHIP_NOT_YET)
				recovered(r, sh);
			if (!st && r->o->verbose)
				fprintf(stderr,
					PROG ": %s/%s: %" PRIu64 " rows sent, %" PRIu64
					     " found in ClickHouse already\n",
					dir, names[k], sh->rows_sent, sh->rows_found);
			if (st == SHIP_NOT_YET) {
				/* Not a finished file: none is left in the record. */
				forget_unbegun(&p, names[k]);
				if (r->o->verbose)
					fprintf(stderr, PROG ": %s; later\n", sh->error);
			}
			if (st == SHIP_REFUSED) {
				fprintf(stderr, PROG ": %s\n", sh->error);
				ret = PASS_REFUSED;
			}
			if (!st || st == SHIP_REFUSED || st == SHIP_NOT_YET)
				break;
			if (st == SHIP_STOPPED) {
				ret = PASS_STOPPED;
				break;
			}
			if (!try_again(r, sh, st)) {
				if (!chttp_retryable(st))
					fprintf(stderr, PROG ": %s\n", sh->error);
				ret = stop ? PASS_STOPPED : PASS_FAILED;
				break;
			}
		}
	}
	free_names(names, n);
	flowfile_progress_free(&p);
	return stop && ret != PASS_FAILED ? PASS_STOPPED : ret;
}

/* Prints what is shipped of each directory: a line per flow file and a
 * summary. Returns the exit status. */
static int print_status(const struct opts *o)
{
	int i, k, n, err, ret = 0;

	for (i = 0; i < o->n_dirs; i++) {
		const char *dir = o->dirs[i];
		struct flowfile_progress p = { 0 };
		uint64_t rows = 0;
		unsigned int count[4] = { 0 };
		char **names;

		err = flowfile_progress_read(dir, &p);
		if (err) {
			fprintf(stderr, PROG ": %s/%s: %s\n", dir, FLOWFILE_PROGRESS,
				err == -EINVAL ? "not a progress record of flowdb-ship's" :
						 strerror(-err));
			ret = 1;
			continue;
		}
		n = list_files(dir, &names);
		if (n < 0) {
			fprintf(stderr, PROG ": %s: %s\n", dir, strerror(-n));
			flowfile_progress_free(&p);
			ret = 1;
			continue;
		}
		printf("%s:\n", dir);
		for (k = 0; k < n; k++) {
			struct flowfile_entry *e = flowfile_progress_get(&p, names[k], false);
			char path[4096];
			const char *what;

			snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
			if (e) {
				what = e->state == FLOWFILE_SHIPPED  ? "shipped" :
				       e->state == FLOWFILE_SHIPPING ? "shipping" :
								       "refused";
				count[e->state]++;
				rows += e->rows;
				printf("  %-28s %-9s %12" PRIu64 " rows%s%s\n", names[k], what, e->rows,
				       e->why[0] ? "  " : "", e->why);
				continue;
			}
			what = flowfile_classify(path) == FLOWFILE_FINISHED ? "waiting" : "writing";
			count[3]++;
			printf("  %-28s %s\n", names[k], what);
		}
		printf("  %d files: %u shipped, %u shipping, %u refused, %u not begun; %" PRIu64
		       " rows in ClickHouse\n",
		       n, count[FLOWFILE_SHIPPED], count[FLOWFILE_SHIPPING], count[FLOWFILE_REFUSED],
		       count[3], rows);
		free_names(names, n);
		flowfile_progress_free(&p);
	}
	return ret;
}

/* Runs a query-like step until it succeeds, retrying outages. Returns
 * the step's last status. */
static int with_retries(struct retry *r, struct shipper *sh, int (*step)(struct shipper *, void *),
			void *arg)
{
	int st;

	while ((st = step(sh, arg)) && try_again(r, sh, st))
		;
	if (!st)
		recovered(r, sh);
	return st;
}

/* with_retries() steps: --create (arg: the cluster), the schema check, and
 * --drop-before (arg: the options); each returns as the ship_*() it runs. */
static int step_create(struct shipper *sh, void *arg)
{
	return ship_create(sh, arg);
}

static int step_check(struct shipper *sh, void *arg)
{
	return ship_check_schema(sh);
}

static int step_drop(struct shipper *sh, void *arg)
{
	const struct opts *o = arg;
	unsigned int dropped;
	int st = ship_drop_before(sh, o->drop_before, &dropped);

	if (!st)
		printf("%u partitions dropped\n", dropped);
	return st;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct shipper sh = { .stop = &stop };
	struct retry r = { .o = &o };
	struct sigaction sa = { .sa_handler = on_signal };
	char err[512];
	enum pass pass;
	int *locks = NULL; /* per directory: its lock, held while this shipper runs */
	int i, st, ret;

	ret = parse_args(argc, argv, &o);
	if (ret) {
		free(o.dirs);
		return ret < 0 ? 0 : ret;
	}
	if (o.status) {
		ret = print_status(&o);
		free(o.dirs);
		return ret;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sh.batch_rows = o.batch_rows;
	if (chttp_open(&sh.ch, o.url, err, sizeof(err))) {
		fprintf(stderr, PROG ": --clickhouse %s\n", err);
		free(o.dirs);
		return EXIT_USAGE;
	}
	ret = 1;
	if (o.create) {
		st = with_retries(&r, &sh, step_create, (void *)o.cluster);
		if (!st)
			st = with_retries(&r, &sh, step_check, NULL);
		if (st)
			goto fail;
		printf("fleet tables ready on %s (cluster %s)\n", chttp_url(sh.ch), o.cluster);
		ret = 0;
		goto cleanup;
	}
	if (o.drop_before) {
		st = with_retries(&r, &sh, step_check, NULL);
		if (!st)
			st = with_retries(&r, &sh, step_drop, &o);
		if (st)
			goto fail;
		ret = 0;
		goto cleanup;
	}
	st = with_retries(&r, &sh, step_check, NULL);
	if (st)
		goto fail;
	locks = malloc(o.n_dirs * sizeof(*locks));
	if (!locks) {
		fprintf(stderr, PROG ": out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < o.n_dirs; i++)
		locks[i] = -1;
	do {
		bool failed = false;

		pass = PASS_OK;
		for (i = 0; i < o.n_dirs && pass != PASS_FAILED && pass != PASS_STOPPED; i++) {
			enum pass p = hold_dir(&r, o.dirs[i], &locks[i], &failed) ?
					      ship_dir(&sh, &r, o.dirs[i]) :
				      failed ? PASS_FAILED :
					       PASS_OK;

			if (p > pass)
				pass = p;
		}
		if (o.follow && pass != PASS_STOPPED)
			nap(o.interval_us);
	} while (o.follow && !stop && pass != PASS_FAILED);
	ret = pass == PASS_OK || pass == PASS_STOPPED ? 0 : 1;
	goto cleanup;

fail:
	/* An outage given up on has said so already. */
	if (!stop && !chttp_retryable(st))
		fprintf(stderr, PROG ": %s\n", sh.error);
cleanup:
	for (i = 0; locks && i < o.n_dirs; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	chttp_close(sh.ch);
	free(o.dirs);
	return ret;
}
