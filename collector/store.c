// SPDX-License-Identifier: BSD-2-Clause
/* Rotating SQLite flow files: naming, one transaction per flush, retention. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sqlite3.h>
#include "flowfile.h"
#include "flowtable.h"
#include "hugemem.h"
#include "partvfs.h"
#include "store.h"
#include "units.h"

/* schema/flowdb.sql, NUL-terminated, from schema/schema_sql.S. */
extern const char schema_sql[];

/* Longest name flowfile_name() makes. */
#define NAME_SIZE FLOWFILE_NAME_SIZE
/* Readers (the sqlite3 CLI) may briefly hold locks a checkpoint needs. */
#define BUSY_TIMEOUT_MS 1000
/* The rollup table minutes' buckets, in microseconds. */
#define ROLLUP_MINUTE_US "60000000"
/* After a backlog is written, a row buffer that held more rows than this is
 * given back. */
#define ROWS_KEEP 65536
#define ROWS_SIZE (STORE_MAX_PENDING_ROWS * sizeof(struct row))

enum row_kind { ROW_FLOW, ROW_EVENT, ROW_REQUEST };

/* A buffered row: a flow record, an event or a request, in arrival order.
 * Its texts are its own copies (malloc), cut as store.h says, NULL when
 * none: most rows have none, and rows with room for them (480 bytes) made
 * an import of 220,000 rows fault in 105 MB. */
struct row {
	const char *ifname;
	enum row_kind kind;
	/* A flow's app_info, a policy event's detail, a request's host. */
	char *text;
	union {
		struct {
			struct flow_record flow; /* its texts are the row's */
			char *fingerprint;
		};
		struct {
			struct flow_event ev;
			uint64_t time_us;
		} event;
		struct {
			struct flow_key key;
			uint64_t time_us;
			int status; /* -1: none */
			char *method, *path;
		} request;
	};
};

/* An actions row waiting for its flush; action and origin point to the
 * schema's words (static), the texts are the store's own. */
struct action_row {
	uint64_t time_us, expires_us;
	int64_t uid;
	const char *action, *origin;
	char *target, *rule, *reason, *detail;
};

/* A rule_counters row waiting for its flush; kind, mode and origin static. */
struct counter_row {
	uint64_t time_us, packets, bytes;
	unsigned int line;
	const char *kind, *mode, *origin;
	char *rule;
};

/* An alerts row waiting for its flush: severity and side point to the
 * schema's words, rule is the store's own. */
struct alert_row {
	struct store_alert a;
	char *rule;
};

enum stmt_id {
	STMT_FLOW,
	STMT_EVENT,
	STMT_REQUEST,
	STMT_STATS,
	STMT_META,
	STMT_ACTION,
	STMT_COUNTER,
	STMT_ALERT,
	STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_FLOW] = "INSERT INTO flows (first_seen, last_seen, ifname, direction, ip_version, "
		      "proto, src_addr, dst_addr, src_port, dst_port, vlan, packets, bytes, "
		      "tcp_flags, end_reason, app_proto, app_info, encrypted, dropped_packets, "
		      "dropped_bytes, requests, fingerprint) "
		      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[STMT_EVENT] = "INSERT INTO events (time, kind, ifname, direction, ip_version, proto, "
		       "src_addr, dst_addr, src_port, dst_port, vlan, tcp_flags, detail) "
		       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[STMT_REQUEST] = "INSERT INTO requests (time, ifname, direction, ip_version, proto, "
			 "src_addr, dst_addr, src_port, dst_port, vlan, method, host, path, "
			 "status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[STMT_STATS] = "INSERT INTO collector_stats (time, kernel_packets, kernel_bytes, "
		       "drained_packets, drained_bytes, lost_packets, lost_bytes, non_ip, "
		       "malformed, truncated, map_update_failures, events, ringbuf_drops, "
		       "active_flows, rows_written, pending_rows, write_errors, flush_duration_us, "
		       "payload_events, payload_bytes, dropped_packets, dropped_bytes, policy_mode, "
		       "alerts, alerts_suppressed, sink_failures, ipfix_records, ipfix_send_errors, "
		       "ipfix_dropped, payload_drops) "
		       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[STMT_META] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
	[STMT_ACTION] = "INSERT INTO actions (time, action, target, rule, reason, expires, origin, "
			"uid, detail) VALUES (?,?,?,?,?,?,?,?,?)",
	[STMT_COUNTER] = "INSERT INTO rule_counters (time, rule, kind, packets, bytes, mode, "
			 "origin, line) VALUES (?,?,?,?,?,?,?,?)",
	[STMT_ALERT] = "INSERT INTO alerts (time, rule, severity, key, side, metric, value, "
		       "threshold, window, first_seen, last_seen, example, action, suppressed, "
		       "line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

/* The words the schema's CHECK constraints allow, for the audit tables. */
static const char *const action_words[] = { "load", "reload", "add", "delete", "expire", NULL };
static const char *const action_origins[] = { "file", "ctl", "alert", "expiry", NULL };
static const char *const counter_kinds[] = { "allow", "block", "limit", NULL };
static const char *const counter_modes[] = { "enforce", "monitor", NULL };
static const char *const alert_severities[] = { "low", "medium", "high", "critical", NULL };
static const char *const alert_sides[] = { "src", "dst", NULL };

/* With publish_finished, finished files are indexed, written and put in
 * place by this many threads: one waits for the disk while the other
 * works. At most FINISH_QUEUE files, of at most FINISH_QUEUE_BYTES in
 * memory with those being finished (unless one alone is more), wait for
 * them; the writer then waits too. */
#define FINISHERS 2
#define FINISH_QUEUE 8
#define FINISH_QUEUE_BYTES (32u << 20)
/* A finisher thread puts at most this many files in place at once. */
#define PUBLISH_BATCH 16
/* With publish_finished, a file is written in memory until it outgrows
 * this, then on disk under its hidden name. */
#define STORE_IMAGE_MAX (16u << 20)
/* A finisher thread that cannot write a file for want of space tries again
 * this often, while the writer holds its rows. */
#define FULL_RETRY_US 100000
/* Hidden names tried for one file when other imports hold the first. */
#define PART_TRIES 64

/* A finished file on its way into place: in memory (image, malloc'd) or
 * on disk under the hidden name path, held by part_fd's flock(); once
 * written from memory, on disk too. */
struct hidden_file {
	void *image;
	sqlite3_int64 image_size;
	bool indexed; /* its indexes and rollups made, or given up */
	int part_fd;
	uint64_t period_us;
	char name[NAME_SIZE];
	char path[PATH_MAX];
};

struct store {
	uint64_t rotate_interval_us, rotate_size, retain_age_us, retain_size;
	bool keep_unshipped;
	char *dir, *interfaces, *version;
	char hostname[256]; /* ours when the options give none */

	/* Rows not yet committed: a ring of STORE_MAX_PENDING_ROWS (ROWS_SIZE),
	 * with filled, the most it has held at once. */
	struct row *rows;
	size_t head, count, filled;
	uint64_t dropped; /* oldest rows overwritten since the last warning */
	uint64_t last_time_us; /* latest flush or row time, for store_close() */
	uint64_t write_errors; /* failed flushes since the last success */
	uint64_t held_back; /* rows buffered when the last flush failed */
	bool rotate_requested;
	/* With publish_finished: every file starts as template, the image of
	 * an empty file without the flows, events and requests indexes,
	 * which deferred makes once the file is finished. */
	bool publish_finished;
	void *template;
	sqlite3_int64 template_size;
	char **deferred;
	int n_deferred;
	/* Audit rows not yet committed, in order; at most
	 * STORE_MAX_PENDING_ROWS of each. */
	struct action_row *actions;
	size_t n_actions, cap_actions;
	struct counter_row *counters;
	size_t n_counters, cap_counters;
	struct alert_row *alerts;
	size_t n_alerts, cap_alerts;

	/* The file being written; db is NULL when there is none. path is
	 * where it is written, dir/name, except with publish_finished: there
	 * writer is the one connection that writes every file, moved from one
	 * to the next with its statements (partvfs.h), and db is writer while
	 * a file is open; the file is in memory or, once it outgrew
	 * STORE_IMAGE_MAX, at path, a hidden name held by part_fd's flock(). */
	sqlite3 *db, *writer;
	sqlite3_stmt *stmt[STMT_COUNT];
	char name[NAME_SIZE];
	char path[PATH_MAX];
	int part_fd;
	/* With publish_finished, files finished and not yet in place:
	 * threads make their indexes and rollups, write, sync and rename them
	 * while the writer goes on (started at the first; without them the
	 * writer does that itself). finishing_bytes: those in memory, queued
	 * or being finished. publish_err: the first that could not be put in
	 * place. */
	pthread_mutex_t finish_lock;
	pthread_cond_t finish_cond;
	pthread_t finishers[FINISHERS];
	int n_finishers;
	bool finisher_stop;
	struct hidden_file finishing[FINISH_QUEUE];
	size_t finishing_head, n_finishing, finishing_bytes;
	int publish_err;
	/* Finisher threads that cannot write a file for want of space: while
	 * there are any flushes fail with -ENOSPC, keeping their rows. */
	int n_full;
	/* With publish_finished, the directory's files as listed once, with
	 * the store's own added. */
	struct file_entry *known;
	size_t n_known, cap_known;
	bool known_listed;
	uint64_t period_us;
	uint64_t time_start_us, time_end_us; /* as committed to meta */
};

/* A flow file found in the directory, for retention and seq numbering. */
struct file_entry {
	uint64_t period_us;
	unsigned int seq;
	char name[NAME_SIZE];
	uint64_t size; /* the file and its -wal */
	uint64_t mtime_us; /* the later of the two */
};

static const char *const direction_names[] = { [FLOW_DIR_IN] = "in", [FLOW_DIR_OUT] = "out" };

static const char *const event_kind_names[] = {
	[FLOW_EVENT_SYN] = "syn",
	[FLOW_EVENT_FIN] = "fin",
	[FLOW_EVENT_RST] = "rst",
	[FLOW_EVENT_POLICY] = "policy",
};

/* The smaller of a and b. */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The larger of a and b. */
static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Wall-clock microseconds, for meta created_us. */
static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* File names carry the period start to the second at most. */
static bool interval_valid(uint64_t rotate_interval_us)
{
	return rotate_interval_us && rotate_interval_us % USEC_PER_SEC == 0;
}

/* Start of the aligned period holding time_us. */
static uint64_t period_start(uint64_t time_us, uint64_t interval_us)
{
	return time_us - time_us % interval_us;
}

/* Joins dir, name and suffix into buf (PATH_MAX). Returns 0 or -ENAMETOOLONG. */
static int join_path(char *buf, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s%s", dir, name, suffix);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int make_template(struct store *s);

/* A hidden file's name: "." before a flow file's name, PART_SUFFIX after. */
#define PART_PREFIX ".flows-"
#define PART_SUFFIX ".part"

/* Removes the hidden files of imports that are gone: a writer holds its
 * file's flock() until the file is in place. Best effort: a file that cannot
 * be removed is left, hidden. */
static void remove_stale_parts(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t len;
	DIR *d;
	int fd;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, PART_PREFIX, strlen(PART_PREFIX)) ||
		    len < strlen(PART_PREFIX) + strlen(PART_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(PART_SUFFIX), PART_SUFFIX) ||
		    join_path(path, dir, de->d_name, ""))
			continue;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!flock(fd, LOCK_EX | LOCK_NB))
			unlink(path);
		close(fd);
	}
	closedir(d);
}

/* Proves dir writable by making a file in it: access() says yes to root even
 * on a read-only mount. A full disk still counts as writable. Returns 0 or a
 * negative errno. */
static int probe_writable(const char *dir)
{
	char path[PATH_MAX];
	int fd, err;

	if (access(dir, W_OK | X_OK))
		return -errno;
	err = join_path(path, dir, ".flowdb-probe", "");
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == ENOSPC || errno == EDQUOT ? 0 : -errno;
	close(fd);
	return unlink(path) ? -errno : 0;
}

int store_open(struct store **out, const struct store_opts *opts)
{
	struct store *s;
	struct stat st;
	int err;

	if (!opts->dir || !interval_valid(opts->rotate_interval_us))
		return -EINVAL;
	/* SQLite's allocation statistics take one process-wide mutex per
	 * malloc, which the finisher threads and the writer then fight over;
	 * nothing reads them. Only before SQLite's first use: later it is
	 * refused, harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (!mkdir(opts->dir, 0750)) {
		/* The umask must not narrow it either. */
		if (chmod(opts->dir, 0750))
			return -errno;
	} else if (errno != EEXIST) {
		return -errno;
	}
	if (stat(opts->dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	err = probe_writable(opts->dir);
	if (err)
		return err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rotate_interval_us = opts->rotate_interval_us;
	s->publish_finished = opts->publish_finished;
	s->part_fd = -1;
	pthread_mutex_init(&s->finish_lock, NULL);
	pthread_cond_init(&s->finish_cond, NULL);
	s->rotate_size = opts->rotate_size;
	s->retain_age_us = opts->retain_age_us;
	s->retain_size = opts->retain_size;
	s->keep_unshipped = opts->keep_unshipped;
	s->dir = strdup(opts->dir);
	s->interfaces = strdup(opts->interfaces ? opts->interfaces : "");
	s->version = strdup(opts->collector_version ? opts->collector_version : "");
	if (!s->dir || !s->interfaces || !s->version) {
		store_close(s);
		return -ENOMEM;
	}
	if (s->publish_finished) {
		remove_stale_parts(s->dir);
		err = partvfs_register();
		err = err == SQLITE_NOMEM ? -ENOMEM : err ? -EIO : make_template(s);
		if (err) {
			store_close(s);
			return err;
		}
	}
	if (opts->hostname)
		snprintf(s->hostname, sizeof(s->hostname), "%s", opts->hostname);
	else if (gethostname(s->hostname, sizeof(s->hostname) - 1))
		strcpy(s->hostname, "unknown");
	*out = s;
	return 0;
}

const char *store_current_path(const struct store *s)
{
	return s->db && (!s->publish_finished || s->part_fd >= 0) ? s->path : NULL;
}

void store_rotate(struct store *s)
{
	s->rotate_requested = true;
}

/* Frees the texts of row r. */
static void row_release(struct row *r)
{
	free(r->text);
	if (r->kind == ROW_FLOW) {
		free(r->fingerprint);
	} else if (r->kind == ROW_REQUEST) {
		free(r->request.method);
		free(r->request.path);
	}
}

/* Frees the texts of every buffered row and forgets the rows. */
static void rows_release(struct store *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		row_release(&s->rows[(s->head + i) % STORE_MAX_PENDING_ROWS]);
	s->head = 0;
	s->count = 0;
}

/* A copy of text (NULL: none) cut to size - 1 bytes; sets *nomem when the
 * copy fails. */
static char *cut_copy(const char *text, size_t size, bool *nomem)
{
	char *c;

	if (!text)
		return NULL;
	c = strndup(text, size - 1);
	if (!c)
		*nomem = true;
	return c;
}

/* Returns a slot for one more row, overwriting the oldest row once
 * STORE_MAX_PENDING_ROWS are held. NULL: out of memory. */
static struct row *row_slot(struct store *s)
{
	struct row *r;

	if (!s->rows) {
		/* Reserved whole and backed as it fills, in huge pages: a
		 * buffer grown by doubling zeroed and copied twice the rows'
		 * size, with a page fault every eight rows. */
		s->rows = hugemem_alloc(ROWS_SIZE);
		if (!s->rows)
			return NULL;
		s->filled = 0;
	}
	if (s->count == STORE_MAX_PENDING_ROWS) {
		r = &s->rows[s->head];
		row_release(r);
		s->head = (s->head + 1) % STORE_MAX_PENDING_ROWS;
		s->dropped++;
		return r;
	}
	r = &s->rows[(s->head + s->count++) % STORE_MAX_PENDING_ROWS];
	if (s->count > s->filled)
		s->filled = s->count;
	return r;
}

/* Rejects keys that the schema's CHECK constraints would refuse at every
 * later flush, so that one bad row cannot block all the others. */
static bool key_valid(const struct flow_key *k)
{
	return (k->ip_version == 4 || k->ip_version == 6) &&
	       (k->direction == FLOW_DIR_IN || k->direction == FLOW_DIR_OUT);
}

int store_add_flow(struct store *s, const struct flow_record *r, const char *ifname)
{
	bool nomem = false;
	char *text, *fingerprint;
	struct row *row;

	if (!ifname || !key_valid(&r->key))
		return -EINVAL;
	text = cut_copy(r->app_info, STORE_TEXT_SIZE, &nomem);
	fingerprint = cut_copy(r->fingerprint && r->fingerprint[0] ? r->fingerprint : NULL,
			       STORE_FINGERPRINT_SIZE, &nomem);
	row = nomem ? NULL : row_slot(s);
	if (!row) {
		free(text);
		free(fingerprint);
		return -ENOMEM;
	}
	row->ifname = ifname;
	row->kind = ROW_FLOW;
	row->flow = *r;
	/* The table frees its copies when the record ends. */
	row->flow.app_info = NULL;
	row->flow.fingerprint = NULL;
	row->text = text;
	row->fingerprint = fingerprint;
	s->last_time_us = max_u64(s->last_time_us, r->last_seen_us);
	return 0;
}

/* Buffers event e at time_us with detail (NULL for none). Returns 0,
 * -ENOMEM, or -EINVAL for a row the schema would refuse. */
static int add_event_row(struct store *s, const struct flow_event *e, uint64_t time_us,
			 const char *ifname, const char *detail)
{
	bool nomem = false;
	struct row *row;
	char *text;

	if (!ifname || !key_valid(&e->key))
		return -EINVAL;
	text = cut_copy(detail, STORE_TEXT_SIZE, &nomem);
	row = nomem ? NULL : row_slot(s);
	if (!row) {
		free(text);
		return -ENOMEM;
	}
	row->ifname = ifname;
	row->kind = ROW_EVENT;
	row->text = text;
	row->event.ev = *e;
	row->event.time_us = time_us;
	s->last_time_us = max_u64(s->last_time_us, time_us);
	return 0;
}

int store_add_event(struct store *s, const struct flow_event *e, uint64_t time_us,
		    const char *ifname)
{
	if (e->kind < FLOW_EVENT_SYN || e->kind > FLOW_EVENT_RST)
		return -EINVAL;
	return add_event_row(s, e, time_us, ifname, NULL);
}

int store_add_policy(struct store *s, const struct flow_key *key, uint64_t time_us,
		     const char *ifname, const char *detail)
{
	const struct flow_event e = { .key = *key, .kind = FLOW_EVENT_POLICY };

	if (!detail)
		return -EINVAL;
	return add_event_row(s, &e, time_us, ifname, detail);
}

int store_add_request(struct store *s, const struct store_request *r, const char *ifname)
{
	char *text, *method, *path;
	bool nomem = false;
	struct row *row;

	if (!ifname || !r->key || !key_valid(r->key) || !r->method || !r->method[0] ||
	    (r->status != -1 && (r->status < 100 || r->status > 999)))
		return -EINVAL;
	/* An empty text names nothing: NULL, as an absent one. */
	text = cut_copy(r->host && r->host[0] ? r->host : NULL, STORE_TEXT_SIZE, &nomem);
	method = cut_copy(r->method, STORE_METHOD_SIZE, &nomem);
	path = cut_copy(r->path && r->path[0] ? r->path : NULL, STORE_PATH_SIZE, &nomem);
	row = nomem ? NULL : row_slot(s);
	if (!row) {
		free(text);
		free(method);
		free(path);
		return -ENOMEM;
	}
	row->ifname = ifname;
	row->kind = ROW_REQUEST;
	row->text = text;
	row->request.key = *r->key;
	row->request.time_us = r->time_us;
	row->request.status = r->status;
	row->request.method = method;
	row->request.path = path;
	s->last_time_us = max_u64(s->last_time_us, r->time_us);
	return 0;
}

/* The static copy of word in words, or NULL when it is not one of them. */
static const char *word_in(const char *const *words, const char *word)
{
	for (; word && *words; words++)
		if (!strcmp(*words, word))
			return *words;
	return NULL;
}

/* Makes room in *array (of *cap elements of size each) for n more after
 * used. Returns 0, -ENOBUFS past STORE_MAX_PENDING_ROWS, or -ENOMEM. */
static int reserve_rows(void **array, size_t *cap, size_t used, size_t n, size_t size)
{
	size_t want = *cap ? *cap : 16;
	void *grown;

	if (used + n > STORE_MAX_PENDING_ROWS)
		return -ENOBUFS;
	while (want < used + n)
		want *= 2;
	if (want == *cap)
		return 0;
	grown = realloc(*array, want * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = want;
	return 0;
}

/* Frees the texts of the first n buffered action rows. */
static void free_actions(struct action_row *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].target);
		free(a[i].rule);
		free(a[i].reason);
		free(a[i].detail);
	}
}

int store_add_action(struct store *s, const struct store_action *a)
{
	struct action_row *r;
	bool nomem = false;
	int err;

	if (!word_in(action_words, a->action) || !word_in(action_origins, a->origin) ||
	    !a->target)
		return -EINVAL;
	err = reserve_rows((void **)&s->actions, &s->cap_actions, s->n_actions, 1,
			   sizeof(*s->actions));
	if (err)
		return err;
	r = &s->actions[s->n_actions];
	*r = (struct action_row){ .time_us = a->time_us,
				  .expires_us = a->expires_us,
				  .uid = a->uid,
				  .action = word_in(action_words, a->action),
				  .origin = word_in(action_origins, a->origin) };
	r->target = cut_copy(a->target, STORE_TEXT_SIZE, &nomem);
	r->rule = cut_copy(a->rule, STORE_TEXT_SIZE, &nomem);
	r->reason = cut_copy(a->reason && a->reason[0] ? a->reason : NULL, STORE_TEXT_SIZE, &nomem);
	r->detail = cut_copy(a->detail, STORE_TEXT_SIZE, &nomem);
	if (nomem) {
		free_actions(r, 1);
		return -ENOMEM;
	}
	s->n_actions++;
	s->last_time_us = max_u64(s->last_time_us, a->time_us);
	return 0;
}

int store_add_alert(struct store *s, const struct store_alert *a)
{
	struct alert_row *r;
	bool nomem = false;
	int err;

	if (!a->rule || !a->rule[0] || !word_in(alert_severities, a->severity) ||
	    !word_in(alert_sides, a->side))
		return -EINVAL;
	err = reserve_rows((void **)&s->alerts, &s->cap_alerts, s->n_alerts, 1,
			   sizeof(*s->alerts));
	if (err)
		return err;
	r = &s->alerts[s->n_alerts];
	r->a = *a;
	r->a.severity = word_in(alert_severities, a->severity);
	r->a.side = word_in(alert_sides, a->side);
	r->rule = cut_copy(a->rule, STORE_TEXT_SIZE, &nomem);
	if (nomem)
		return -ENOMEM;
	r->a.rule = r->rule;
	s->n_alerts++;
	s->last_time_us = max_u64(s->last_time_us, a->time_us);
	return 0;
}

int store_add_rule_counters(struct store *s, uint64_t time_us, const char *mode,
			    const struct store_rule_counter *c, size_t n)
{
	size_t i, added = 0;
	bool nomem = false;
	int err;

	if (!word_in(counter_modes, mode))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!c[i].rule || !word_in(counter_kinds, c[i].kind) ||
		    !word_in(action_origins, c[i].origin) || !strcmp(c[i].origin, "expiry"))
			return -EINVAL;
	err = reserve_rows((void **)&s->counters, &s->cap_counters, s->n_counters, n,
			   sizeof(*s->counters));
	if (err)
		return err;
	for (i = 0; i < n && !nomem; i++) {
		struct counter_row *r = &s->counters[s->n_counters + added];

		if (!c[i].packets)
			continue;
		*r = (struct counter_row){ .time_us = time_us,
					   .packets = c[i].packets,
					   .bytes = c[i].bytes,
					   .line = c[i].line,
					   .kind = word_in(counter_kinds, c[i].kind),
					   .mode = word_in(counter_modes, mode),
					   .origin = word_in(action_origins, c[i].origin) };
		r->rule = cut_copy(c[i].rule, STORE_TEXT_SIZE, &nomem);
		added += !nomem;
	}
	if (nomem) {
		/* All of this flush's rows or none: a partial set would
		 * misstate the rules' totals. */
		for (i = 0; i < added; i++)
			free(s->counters[s->n_counters + i].rule);
		return -ENOMEM;
	}
	s->n_counters += added;
	s->last_time_us = max_u64(s->last_time_us, time_us);
	return 0;
}

/* True when the directory's file system has no block or no inode left. */
static bool dir_full(const char *dir)
{
	struct statvfs sv;

	return !statvfs(dir, &sv) && (!sv.f_bavail || !sv.f_favail);
}

/* Turns a failed SQLite call on db, the file at path, into a negative
 * errno: -ENOSPC for a full disk (quietly: the caller retries and logs),
 * else one line on stderr. */
static int db_error(const struct store *s, sqlite3 *db, const char *path, int rc,
		    const char *what)
{
	int sys = sqlite3_system_errno(db);

	/* A -wal or -shm that cannot be created is a full disk too, but SQLite
	 * then reports a later errno: ask the file system. */
	if ((rc & 0xff) == SQLITE_FULL ||
	    (((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN) &&
	     (sys == ENOSPC || sys == EDQUOT || dir_full(s->dir))))
		return -ENOSPC;
	fprintf(stderr, "flowdb: %s: %s: %s\n", path, what, sqlite3_errmsg(db));
	return (rc & 0xff) == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

/* db_error() for the current file. */
static int sql_error(struct store *s, int rc, const char *what)
{
	return db_error(s, s->db, s->path, rc, what);
}

/* Sets the journal mode and checks it took: SQLite reports a refused change
 * only by returning the old mode. Returns an SQLite result code. */
static int set_journal_mode(sqlite3 *db, const char *mode)
{
	char sql[40];
	sqlite3_stmt *stmt;
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && strcasecmp((const char *)sqlite3_column_text(stmt, 0), mode))
		rc = SQLITE_ERROR;
	else if (rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

/* Opens path for one thread's use, with publish_finished on the part VFS,
 * an empty file in memory when path is NULL. *db is set, for the caller to
 * close, even on failure. Returns an SQLite result code. */
static int open_conn(const struct store *s, const char *path, sqlite3 **db)
{
	int rc;

	rc = sqlite3_open_v2(path ? path : PARTVFS_MEMORY, db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				     (s->publish_finished ? SQLITE_OPEN_URI : SQLITE_OPEN_CREATE),
			     s->publish_finished ? PARTVFS_NAME : NULL);
	if (!rc) {
		sqlite3_extended_result_codes(*db, 1);
		sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
	}
	return rc;
}

/* Sets db up for writing: with publish_finished its journal in memory and
 * nothing synced (the file is synced whole before it is put in place),
 * else in WAL mode; either with a cache fit for a flush. Returns an SQLite
 * result code. */
static int set_pragmas(const struct store *s, sqlite3 *db)
{
	int rc;

	if (s->publish_finished) {
		rc = sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
		if (!rc)
			rc = set_journal_mode(db, "memory");
	} else {
		rc = set_journal_mode(db, "wal");
		if (!rc)
			rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	}
	/* A flush inserts into six indexes at random places: with SQLite's
	 * 2 MB default the pages spill to the WAL and are read back, many
	 * times over (bench/drain_commit). */
	if (!rc)
		rc = sqlite3_exec(db, "PRAGMA cache_size=" STORE_CACHE_KIB, NULL, NULL, NULL);
	return rc;
}

/* Runs a bound statement once and readies it for the next row; clearing the
 * bindings drops pointers to the caller's stack buffers. Returns an SQLite
 * result code, SQLITE_OK on success. */
static int step_once(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inserts one meta row. Returns an SQLite result code. */
static int put_meta(struct store *s, const char *key, const char *text, int64_t value)
{
	sqlite3_stmt *stmt = s->stmt[STMT_META];

	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 2, value);
	return step_once(stmt);
}

/* Sums the file's flows per source address into talkers and per minute
 * into minutes, and says so in meta, in one transaction: a reader uses the
 * rows only with the mark. They are a shortcut for readers, so a failure
 * (a full disk) only rolls them back. */
static void write_rollups(sqlite3 *db)
{
	if (sqlite3_exec(db,
			 "BEGIN; DELETE FROM talkers; DELETE FROM minutes;"
			 " INSERT INTO talkers SELECT src_addr, count(*), sum(packets), sum(bytes)"
			 " FROM flows NOT INDEXED GROUP BY src_addr;"
			 " INSERT INTO minutes SELECT first_seen / " ROLLUP_MINUTE_US " * " ROLLUP_MINUTE_US ","
			 " count(*), sum(packets), sum(bytes) FROM flows NOT INDEXED GROUP BY 1;"
			 " INSERT OR REPLACE INTO meta (key, value) VALUES ('rollups', 1); COMMIT",
			 NULL, NULL, NULL))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Forgets the deferred indexes. */
static void deferred_free(struct store *s)
{
	int i;

	for (i = 0; i < s->n_deferred; i++)
		sqlite3_free(s->deferred[i]);
	free(s->deferred);
	s->deferred = NULL;
	s->n_deferred = 0;
}

/* Drops the flows, events and requests indexes of db, a new file whose
 * tables are empty, keeping the SQL that makes each for make_deferred().
 * Returns an SQLite result code. */
static int defer_indexes(struct store *s, sqlite3 *db)
{
	sqlite3_stmt *stmt;
	char *drops = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"SELECT sql, group_concat(printf('DROP INDEX \"%w\";', name), ' ')"
				" OVER () FROM sqlite_master WHERE type = 'index'"
				" AND tbl_name IN ('flows', 'events', 'requests') AND sql IS NOT NULL",
				-1, &stmt, NULL);
	while (!rc && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		char **grown = realloc(s->deferred, (s->n_deferred + 1) * sizeof(*grown));

		if (grown)
			s->deferred = grown;
		if (!grown || !(grown[s->n_deferred] = sqlite3_mprintf(
					"%s", sqlite3_column_text(stmt, 0))) ||
		    (!drops && !(drops = sqlite3_mprintf("%s", sqlite3_column_text(stmt, 1))))) {
			rc = SQLITE_NOMEM;
			break;
		}
		s->n_deferred++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		rc = drops ? sqlite3_exec(db, drops, NULL, NULL, NULL) : SQLITE_OK;
	sqlite3_free(drops);
	return rc;
}

/* Makes s->template, an empty file's image, and the deferred indexes' SQL:
 * running the schema took a third of each small file's cost. Returns 0 or
 * -ENOMEM (SQLite fails on nothing else in memory). */
static int make_template(struct store *s)
{
	sqlite3 *db;
	int rc;

	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (!rc)
		rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
	if (!rc)
		rc = defer_indexes(s, db);
	if (!rc) {
		s->template = sqlite3_serialize(db, "main", &s->template_size, 0);
		if (!s->template)
			rc = SQLITE_NOMEM;
	}
	sqlite3_close(db);
	return rc ? -ENOMEM : 0;
}

/* Makes the deferred indexes in db, the file at path, in one transaction;
 * a failure (a full disk) leaves the file without them, readable still. */
static void make_deferred(const struct store *s, sqlite3 *db, const char *path)
{
	int i, rc;

	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; !rc && i < s->n_deferred; i++)
		rc = sqlite3_exec(db, s->deferred[i], NULL, NULL, NULL);
	if (!rc)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		db_error(s, db, path, rc, "cannot index the file");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* A finished file leaves WAL mode within FINISH_TRIES * FINISH_RETRY_US
 * of readers letting go, or stays in it (readable still) with an error. */
#define FINISH_TRIES 40
#define FINISH_RETRY_US 25000

/* Writes path's data to disk; flags open it. Returns 0 or a negative errno. */
static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* Adds the file just put in place to those next_seq() knows; without
 * memory it is found at the rename instead. */
static void remember_file(struct store *s)
{
	struct file_entry e = { 0 }, *grown;

	if (flowfile_parse_name(s->name, &e.period_us, &e.seq))
		return;
	if (s->n_known == s->cap_known) {
		grown = realloc(s->known, (s->cap_known * 2 + 64) * sizeof(*grown));
		if (!grown)
			return;
		s->known = grown;
		s->cap_known = s->cap_known * 2 + 64;
	}
	strcpy(e.name, s->name);
	s->known[s->n_known++] = e;
}

/* Puts a finished hidden file, synced, in place: renamed to its name, or
 * to the next seq's when another import took that name meanwhile. Returns
 * 0 or a negative errno. */
static int publish_file(const struct store *s, struct hidden_file *f)
{
	char to[PATH_MAX];
	unsigned int seq = 0;
	uint64_t period_us;
	int err;

	err = flowfile_parse_name(f->name, &period_us, &seq);
	for (; !err; seq++) {
		err = join_path(to, s->dir, f->name, "");
		if (err)
			break;
		if (!renameat2(AT_FDCWD, f->path, AT_FDCWD, to, RENAME_NOREPLACE))
			return 0;
		/* Not every file system can refuse to replace: link() can. */
		if (errno == EINVAL && !link(f->path, to))
			return unlink(f->path) ? -errno : 0;
		if (errno != EEXIST)
			return -errno;
		if (seq == UINT_MAX)
			return -EEXIST;
		err = flowfile_name(f->name, sizeof(f->name), f->period_us, s->rotate_interval_us,
				    seq + 1);
	}
	return err;
}

/* Takes the hidden file just made at path: flock() on fd, unless a
 * remove_stale_parts() got there first and removed it. Returns 1 when
 * held, 0 when gone, or a negative errno. */
static int hold_part(const char *path, int fd)
{
	struct stat held, named;

	if (flock(fd, LOCK_EX) || fstat(fd, &held))
		return -errno;
	if (stat(path, &named))
		return errno == ENOENT ? 0 : -errno;
	return held.st_ino == named.st_ino && held.st_dev == named.st_dev && held.st_nlink;
}

/* Creates the hidden file for the flow file name in dir, empty, mode
 * 0640, held by its flock(): .NAME.part, or .NAME.K.part with the first
 * K free when other imports hold that. Its path goes to path (PATH_MAX).
 * Returns its descriptor or a negative errno. */
static int create_part(const char *dir, const char *name, char *path)
{
	int k, n, fd, err;

	for (k = 0; k < PART_TRIES; k++) {
		n = k ? snprintf(path, PATH_MAX, "%s/.%s.%d" PART_SUFFIX, dir, name, k) :
			snprintf(path, PATH_MAX, "%s/.%s" PART_SUFFIX, dir, name);
		if (n < 0 || n >= PATH_MAX)
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0) {
			if (errno != EEXIST)
				return -errno;
			continue;
		}
		err = hold_part(path, fd);
		/* Mode 0640 whatever the umask. */
		if (err == 1)
			err = fchmod(fd, 0640) ? -errno : 1;
		if (err == 1)
			return fd;
		close(fd);
		if (err) {
			unlink(path);
			return err;
		}
		k--; /* removed as stale between open() and flock(): again */
	}
	return -EEXIST;
}

/* Writes size bytes of image to a new hidden file for name in dir, held
 * in *fd, its path in path. Returns 0 or a negative errno, leaving no
 * file. */
static int write_part(const char *dir, const char *name, const void *image,
		      sqlite3_int64 size, int *fd, char *path)
{
	sqlite3_int64 done = 0;
	ssize_t n;
	int err;

	*fd = create_part(dir, name, path);
	if (*fd < 0)
		return *fd;
	while (done < size) {
		n = pwrite(*fd, (const char *)image + done, size - done, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENOSPC;
			unlink(path);
			close(*fd);
			*fd = -1;
			return err;
		}
		done += n;
	}
	return 0;
}

/* Makes a finished file's indexes and rollups; one that cannot be
 * indexed is put in place without. */
static void index_hidden(const struct store *s, struct hidden_file *f)
{
	char where[PATH_MAX];
	sqlite3 *db;
	int rc, err;

	if (f->part_fd >= 0)
		strcpy(where, f->path);
	else if (join_path(where, s->dir, f->name, ""))
		strcpy(where, f->name);
	rc = open_conn(s, f->image ? NULL : f->path, &db);
	if (!rc && f->image) {
		rc = partvfs_load(db, f->image, f->image_size) ? SQLITE_NOMEM : SQLITE_OK;
		if (!rc)
			f->image = NULL;
	}
	if (!rc)
		rc = set_pragmas(s, db);
	if (rc) {
		db_error(s, db, where, rc, "cannot index the file");
	} else {
		make_deferred(s, db, where);
		write_rollups(db);
	}
	if (!f->image && f->part_fd < 0 &&
	    (err = partvfs_take(db, &f->image, &f->image_size)))
		fprintf(stderr, "flowdb: %s: cannot take the finished file: %s\n", where,
			strerror(-err));
	sqlite3_close(db);
}

/* Indexes a finished file (once) and for one in memory writes it to its
 * hidden file; its writeback is started, not waited for: publish_files()'
 * sync finds it done. One in memory that cannot be written stays in
 * f->image, indexed. Returns 0 or a negative errno. */
static int finish_hidden(const struct store *s, struct hidden_file *f)
{
	int err;

	if (!f->indexed)
		index_hidden(s, f);
	f->indexed = true;
	if (f->image) {
		err = write_part(s->dir, f->name, f->image, f->image_size, &f->part_fd, f->path);
		if (err)
			return err;
		free(f->image);
		f->image = NULL;
	}
	/* Lost in memory, not to be written: index_hidden() said why. */
	if (f->part_fd < 0)
		return -EIO;
	sync_file_range(f->part_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

/* Syncs files[0..n), finished, and puts them in place in order; one that
 * cannot be put in place is left, hidden, for the next import to remove.
 * One syncfs() for the batch: an fsync() per file waited for the disk three
 * times (its inode, its buffers, the disk's cache), and their data has been
 * on its way since each was finished. Returns 0 or the batch's first
 * negative errno. */
static int publish_files(struct store *s, struct hidden_file *files, size_t n)
{
	int err, first = 0, synced;
	size_t i;

	synced = n && syncfs(files[0].part_fd) ? -errno : 0;
	for (i = 0; i < n; i++) {
		err = synced ? synced : publish_file(s, &files[i]);
		close(files[i].part_fd);
		if (!err)
			continue;
		fprintf(stderr, "flowdb: %s: cannot put the finished file in place: %s\n",
			files[i].path, strerror(-err));
		first = first ? first : err;
	}
	return first;
}

/* Keeps err, a file's failure, for store_close() when it is the first. */
static void keep_error(struct store *s, int err)
{
	pthread_mutex_lock(&s->finish_lock);
	if (err && !s->publish_err)
		s->publish_err = err;
	pthread_mutex_unlock(&s->finish_lock);
}

/* Gives up on f, which could not be written: its rows are lost. */
static void drop_hidden(struct store *s, struct hidden_file *f, int err)
{
	fprintf(stderr, "flowdb: %s/%s: cannot write the finished file: %s; its rows are lost\n",
		s->dir, f->name, strerror(-err));
	free(f->image);
	f->image = NULL;
	if (f->part_fd >= 0) {
		unlink(f->path);
		close(f->part_fd);
		f->part_fd = -1;
	}
	keep_error(s, err);
}

/* finish_hidden() for a finisher thread, called and returning with
 * finish_lock held: on a full disk it tries again every FULL_RETRY_US,
 * flushes failing meanwhile, until it can or is told to stop. Returns
 * true when f is on disk, to be put in place. */
static bool finish_or_wait(struct store *s, struct hidden_file *f)
{
	bool full, waiting = false;
	struct timespec until;
	int err;

	for (;;) {
		pthread_mutex_unlock(&s->finish_lock);
		err = finish_hidden(s, f);
		pthread_mutex_lock(&s->finish_lock);
		full = err == -ENOSPC && !s->finisher_stop;
		if (full != waiting) {
			s->n_full += full ? 1 : -1;
			pthread_cond_broadcast(&s->finish_cond);
		}
		waiting = full;
		if (!full)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += FULL_RETRY_US * 1000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->finish_cond, &s->finish_lock, &until);
	}
	if (err) {
		pthread_mutex_unlock(&s->finish_lock);
		drop_hidden(s, f, err);
		pthread_mutex_lock(&s->finish_lock);
	}
	return !err;
}

/* A finisher thread: finish_hidden() on each file handed over it takes,
 * and publish_files() on those it finished each time it has PUBLISH_BATCH
 * or finds none waiting, until told to stop with none left. */
static void *finisher_main(void *arg)
{
	struct store *s = arg;
	struct hidden_file finished[PUBLISH_BATCH], *f;
	size_t n_finished = 0;
	sqlite3_int64 size;

	pthread_mutex_lock(&s->finish_lock);
	for (;;) {
		if (n_finished == PUBLISH_BATCH || (n_finished && !s->n_finishing)) {
			pthread_mutex_unlock(&s->finish_lock);
			keep_error(s, publish_files(s, finished, n_finished));
			n_finished = 0;
			pthread_mutex_lock(&s->finish_lock);
			continue;
		}
		while (!s->n_finishing && !s->finisher_stop)
			pthread_cond_wait(&s->finish_cond, &s->finish_lock);
		if (!s->n_finishing)
			break;
		f = &finished[n_finished];
		*f = s->finishing[s->finishing_head];
		size = f->image_size;
		s->finishing_head = (s->finishing_head + 1) % FINISH_QUEUE;
		s->n_finishing--;
		pthread_cond_broadcast(&s->finish_cond);
		if (finish_or_wait(s, f))
			n_finished++;
		s->finishing_bytes -= size;
		pthread_cond_broadcast(&s->finish_cond);
	}
	pthread_mutex_unlock(&s->finish_lock);
	return NULL;
}

/* Gives the finisher threads the current file, which the store lets go of;
 * without them (none could start) the file is finished here. While they
 * wait for disk space the file is kept, with keep_if_full, or given up.
 * Returns 0 or a negative errno: -ENOSPC for a file kept or given up, or
 * one finished here that failed. */
static int hand_over(struct store *s, bool keep_if_full)
{
	struct hidden_file here = { .part_fd = s->part_fd }, *f = &here;
	sqlite3_int64 size = 0;
	bool in_memory = false;
	int err = 0;

	if (s->part_fd < 0)
		partvfs_size(s->writer, &size, &in_memory);
	pthread_mutex_lock(&s->finish_lock);
	while (s->n_finishers < FINISHERS &&
	       !pthread_create(&s->finishers[s->n_finishers], NULL, finisher_main, s))
		s->n_finishers++;
	while (s->n_finishers && !s->n_full &&
	       (s->n_finishing == FINISH_QUEUE ||
		(s->n_finishing && s->finishing_bytes + size > FINISH_QUEUE_BYTES)))
		pthread_cond_wait(&s->finish_cond, &s->finish_lock);
	if (!s->n_full && s->part_fd < 0)
		err = partvfs_take(s->writer, &here.image, &here.image_size);
	if (s->n_full || err) {
		pthread_mutex_unlock(&s->finish_lock);
		err = err ? err : -ENOSPC;
		if (err == -ENOSPC && keep_if_full)
			return err;
		strcpy(here.name, s->name);
		strcpy(here.path, s->path);
		drop_hidden(s, &here, err);
		s->db = NULL;
		s->part_fd = -1;
		return err;
	}
	remember_file(s);
	if (s->n_finishers) {
		f = &s->finishing[(s->finishing_head + s->n_finishing) % FINISH_QUEUE];
		*f = here;
	}
	f->period_us = s->period_us;
	strcpy(f->name, s->name);
	strcpy(f->path, s->path);
	s->db = NULL;
	s->part_fd = -1;
	if (s->n_finishers) {
		s->n_finishing++;
		s->finishing_bytes += f->image_size;
		pthread_cond_broadcast(&s->finish_cond);
	}
	pthread_mutex_unlock(&s->finish_lock);
	if (!s->n_finishers) {
		err = finish_hidden(s, f);
		if (err)
			drop_hidden(s, f, err);
		else
			err = publish_files(s, f, 1);
		keep_error(s, err);
	}
	return err;
}

/* Waits for the finisher threads to put every file handed over in place,
 * and ends them. */
static void finisher_stop(struct store *s)
{
	int i;

	pthread_mutex_lock(&s->finish_lock);
	s->finisher_stop = true;
	pthread_cond_broadcast(&s->finish_cond);
	pthread_mutex_unlock(&s->finish_lock);
	for (i = 0; i < s->n_finishers; i++)
		pthread_join(s->finishers[i], NULL);
	s->n_finishers = 0;
}

/* Finalizes the current file's statements. */
static void stmts_finalize(struct store *s)
{
	int i;

	for (i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
}

/* Makes the current file one self-contained file in rollback-journal mode
 * and closes it; with publish_finished it goes to the finisher threads to
 * be put in place (their errors come at store_close()). When that fails
 * the file is closed all the same, its -wal still holding the data, except
 * on a full disk with keep_if_full: then it stays open, to be finished
 * once there is room. Returns 0 or a negative errno. */
static int finish_file(struct store *s, bool keep_if_full)
{
	int i, rc = SQLITE_OK, err = 0;

	if (s->publish_finished)
		return hand_over(s, keep_if_full);
	write_rollups(s->db);
	/* Leaving WAL mode needs the file to itself, and SQLite does not
	 * wait for that: a reader between two polls (flowdb --follow, a
	 * shell) gets a moment to let go. */
	for (i = 0; i < FINISH_TRIES; i++) {
		rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (!rc)
			rc = set_journal_mode(s->db, "delete");
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		usleep(FINISH_RETRY_US);
	}
	if (rc)
		err = sql_error(s, rc, "cannot finish the file");
	if (err == -ENOSPC && keep_if_full)
		return err;
	stmts_finalize(s);
	sqlite3_close(s->db);
	s->db = NULL;
	return err;
}

/* Modification time in microseconds. */
static uint64_t mtime_us(const struct stat *st)
{
	return st->st_mtim.tv_sec * USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

/* Finds the flow files in the directory, with their sizes and times when
 * sized (a stat() each, with its -wal: an import of a corpus that spans
 * years makes a thousand files, and the names alone tell the next seq).
 * Returns 0 and a malloc'ed array, or a negative errno. */
static int list_files(struct store *s, bool sized, struct file_entry **out, size_t *n_out)
{
	struct file_entry *files = NULL, *f;
	size_t n = 0, cap = 0;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	d = opendir(s->dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		struct file_entry e = { 0 };

		if (strlen(de->d_name) >= NAME_SIZE ||
		    flowfile_parse_name(de->d_name, &e.period_us, &e.seq))
			continue;
		strcpy(e.name, de->d_name);
		if (sized) {
			err = join_path(path, s->dir, e.name, "");
			if (err)
				goto cleanup;
			if (stat(path, &st))
				continue; /* removed meanwhile */
			e.size = st.st_size;
			e.mtime_us = mtime_us(&st);
			err = join_path(path, s->dir, e.name, "-wal");
			if (err)
				goto cleanup;
			if (!stat(path, &st)) {
				e.size += st.st_size;
				e.mtime_us = max_u64(e.mtime_us, mtime_us(&st));
			}
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			f = realloc(files, cap * sizeof(*f));
			if (!f) {
				err = -ENOMEM;
				goto cleanup;
			}
			files = f;
		}
		files[n++] = e;
	}
	if (errno)
		err = -errno;

cleanup:
	closedir(d);
	if (err) {
		free(files);
		return err;
	}
	*out = files;
	*n_out = n;
	return 0;
}

/* Returns the seq after the highest one the directory holds for the period
 * (0 when it holds none), or a negative errno. With publish_finished the
 * directory is listed once, and the store's own files are added as they
 * are put in place (listing it for each file made a corpus's import
 * quadratic in its files); publish_file() finds a name another import
 * took meanwhile. */
static int64_t next_seq(struct store *s, uint64_t period_us)
{
	struct file_entry *files = s->known;
	size_t i, n = s->n_known;
	int64_t seq = 0;
	int err;

	if (!s->known_listed) {
		err = list_files(s, false, &files, &n);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++)
		if (files[i].period_us == period_us && files[i].seq >= seq)
			seq = (int64_t)files[i].seq + 1;
	if (s->publish_finished && !s->known_listed) {
		s->known = files;
		s->n_known = s->cap_known = n;
		s->known_listed = true;
	} else if (files != s->known) {
		free(files);
	}
	return seq;
}

/* Names the file for time_us, never reusing a name: a taken name (or a
 * stray -wal of one) moves on to the next seq. Without publish_finished it
 * creates s->path, dir/name, empty with mode 0640; with it the file is
 * written in memory, and on disk under a hidden name only once it outgrows
 * STORE_IMAGE_MAX or is finished. Returns 0 or a negative errno. */
static int create_db_file(struct store *s, uint64_t time_us, uint64_t period_us)
{
	char wal[PATH_MAX];
	int64_t seq;
	int fd, err;

	seq = next_seq(s, period_us);
	if (seq < 0)
		return seq;
	for (;; seq++) {
		if (seq > UINT_MAX)
			return -EEXIST;
		err = flowfile_name(s->name, sizeof(s->name), time_us, s->rotate_interval_us,
				    seq);
		if (!err)
			err = join_path(wal, s->dir, s->name, "-wal");
		if (!err)
			err = join_path(s->path, s->dir, s->name, "");
		if (err)
			return err;
		if (!access(wal, F_OK))
			continue;
		if (s->publish_finished)
			return 0;
		fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	/* Mode 0640 whatever the umask; SQLite gives -wal and -shm the same. */
	err = fchmod(fd, 0640) ? -errno : 0;
	close(fd);
	return err;
}

/* Removes path and its -wal and -shm. Returns 0 or a negative errno. */
static int remove_db_files(const char *dir, const char *name)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		err = join_path(path, dir, name, suffixes[i]);
		if (err)
			return err;
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Starts the file for time_us: names it; with publish_finished puts the
 * writer on a copy of the template in memory (opened, set up and its
 * statements prepared the first time), else creates the file, opens it,
 * runs the schema and prepares the statements; then writes the meta rows.
 * On failure nothing of the new file is left behind. Returns 0 or a
 * negative errno. */
static int open_db(struct store *s, uint64_t time_us)
{
	uint64_t period_us = period_start(time_us, s->rotate_interval_us);
	const char *what = "cannot open";
	bool fresh = !s->writer;
	int i, rc = SQLITE_OK, err;
	void *image;

	err = create_db_file(s, time_us, period_us);
	if (err)
		return err;
	if (s->publish_finished) {
		image = malloc(s->template_size);
		if (!image)
			return -ENOMEM;
		memcpy(image, s->template, s->template_size);
		if (fresh)
			rc = open_conn(s, NULL, &s->writer);
		err = rc ? 0 : partvfs_load(s->writer, image, s->template_size);
		if (rc || err) {
			free(image);
			goto cleanup;
		}
		s->db = s->writer;
		if (fresh)
			rc = set_pragmas(s, s->db);
	} else {
		rc = open_conn(s, s->path, &s->db);
		if (!rc)
			rc = set_pragmas(s, s->db);
		/* Schema and meta in one transaction: a file is complete or
		 * empty. */
		if (!rc)
			rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		what = "cannot create the schema";
		if (!rc)
			rc = sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL);
	}
	for (i = 0; !rc && fresh && i < STMT_COUNT; i++)
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmt[i], NULL);
	if (rc)
		goto cleanup;
	what = "cannot write the meta rows";
	if (sqlite3_get_autocommit(s->db))
		rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (!rc)
		rc = put_meta(s, "schema_version", NULL, STORE_SCHEMA_VERSION);
	if (!rc)
		rc = put_meta(s, "host", s->hostname, 0);
	if (!rc)
		rc = put_meta(s, "interfaces", s->interfaces, 0);
	if (!rc)
		rc = put_meta(s, "collector_version", s->version, 0);
	if (!rc)
		rc = put_meta(s, "created_us", NULL, realtime_us());
	/* The flush that opens the file writes a stats row at time_us. */
	if (!rc)
		rc = put_meta(s, "time_start_us", NULL, time_us);
	if (!rc)
		rc = put_meta(s, "time_end_us", NULL, time_us);
	if (!rc)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc)
		goto cleanup;
	s->period_us = period_us;
	s->time_start_us = time_us;
	s->time_end_us = time_us;
	s->rotate_requested = false;
	return 0;

cleanup:
	if (rc && (s->db || s->writer)) {
		s->db = s->publish_finished ? s->writer : s->db;
		err = sql_error(s, rc, what);
	} else if (rc) {
		err = rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	/* A writer that failed on one file is not trusted with the next. */
	stmts_finalize(s);
	sqlite3_close(s->publish_finished ? s->writer : s->db);
	s->db = NULL;
	s->writer = NULL;
	if (!s->publish_finished)
		remove_db_files(s->dir, s->name);
	return err;
}

/* With publish_finished, moves the file in memory to disk once it outgrows
 * STORE_IMAGE_MAX, under its hidden name; one that cannot be moved (a full
 * disk) stays in memory, to be moved at a later flush. */
static void spill(struct store *s)
{
	sqlite3_int64 size;
	bool in_memory;
	void *image;

	if (!s->publish_finished || partvfs_size(s->db, &size, &in_memory) || !in_memory ||
	    size <= STORE_IMAGE_MAX || partvfs_take(s->db, &image, &size))
		return;
	if (!write_part(s->dir, s->name, image, size, &s->part_fd, s->path) &&
	    !partvfs_switch(s->db, s->path)) {
		free(image);
		return;
	}
	if (s->part_fd >= 0) {
		unlink(s->path);
		close(s->part_fd);
		s->part_fd = -1;
	}
	join_path(s->path, s->dir, s->name, "");
	/* Cannot fail: db is as idle as partvfs_take() found it. */
	partvfs_load(s->db, image, size);
}

/* Size of the current file with its -wal, in bytes. */
static uint64_t current_size(struct store *s)
{
	sqlite3_int64 part_size;
	char wal[PATH_MAX];
	uint64_t size = 0;
	struct stat st;
	bool in_memory;

	if (s->publish_finished)
		return partvfs_size(s->db, &part_size, &in_memory) ? 0 : part_size;
	if (!stat(s->path, &st))
		size += st.st_size;
	if (!join_path(wal, s->dir, s->name, "-wal") && !stat(wal, &st))
		size += st.st_size;
	return size;
}

/* Makes s->db the file for time_us, finishing the current one when the period
 * changed, it reached rotate_size or a rotation was asked for. A file that
 * cannot be finished for want of space is kept until there is room; for any
 * other reason it is logged and left with its -wal: its data is safe, and
 * the rows to write now must not wait for it. Returns 0 or a negative errno. */
static int ensure_file(struct store *s, uint64_t time_us)
{
	uint64_t period_us = period_start(time_us, s->rotate_interval_us);

	if (s->db &&
	    (s->rotate_requested || period_us != s->period_us ||
	     (s->rotate_size && current_size(s) >= s->rotate_size)) &&
	    finish_file(s, true) == -ENOSPC)
		return -ENOSPC;
	return s->db ? 0 : open_db(s, time_us);
}

/* Binds the key columns, which flows, events and requests all have in
 * this order from parameter at on: ifname, direction, ip_version, proto,
 * src_addr, dst_addr, src_port, dst_port, vlan. The address texts go to
 * src and dst, which must outlive the step. */
static void bind_key(sqlite3_stmt *stmt, int at, const struct flow_key *k, const char *ifname,
		     char src[INET6_ADDRSTRLEN], char dst[INET6_ADDRSTRLEN])
{
	int af = k->ip_version == 4 ? AF_INET : AF_INET6;

	/* Both cannot fail: the family is valid and the buffers are large enough. */
	inet_ntop(af, k->src_addr, src, INET6_ADDRSTRLEN);
	inet_ntop(af, k->dst_addr, dst, INET6_ADDRSTRLEN);
	sqlite3_bind_text(stmt, at, ifname, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, at + 1, direction_names[k->direction], -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, at + 2, k->ip_version);
	sqlite3_bind_int(stmt, at + 3, k->proto);
	sqlite3_bind_text(stmt, at + 4, src, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, at + 5, dst, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, at + 6, k->src_port);
	sqlite3_bind_int(stmt, at + 7, k->dst_port);
	sqlite3_bind_int(stmt, at + 8, k->vlan);
}

/* Binds text, or NULL when there is none. */
static void bind_text_or_null(sqlite3_stmt *stmt, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, i);
}

/* Inserts buffered request r and widens [*tmin, *tmax] to its time.
 * Returns an SQLite result code. */
static int insert_request(struct store *s, const struct row *r, uint64_t *tmin, uint64_t *tmax)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	sqlite3_stmt *stmt = s->stmt[STMT_REQUEST];

	sqlite3_bind_int64(stmt, 1, r->request.time_us);
	bind_key(stmt, 2, &r->request.key, r->ifname, src, dst);
	sqlite3_bind_text(stmt, 11, r->request.method, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 12, r->text);
	bind_text_or_null(stmt, 13, r->request.path);
	if (r->request.status >= 0)
		sqlite3_bind_int(stmt, 14, r->request.status);
	else
		sqlite3_bind_null(stmt, 14);
	*tmin = min_u64(*tmin, r->request.time_us);
	*tmax = max_u64(*tmax, r->request.time_us);
	return step_once(stmt);
}

/* Inserts one buffered row and widens [*tmin, *tmax] to its times. Binding
 * valid indexes with static text cannot fail. Returns an SQLite result code. */
static int insert_row(struct store *s, const struct row *r, uint64_t *tmin, uint64_t *tmax)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	sqlite3_stmt *stmt;

	if (r->kind == ROW_REQUEST)
		return insert_request(s, r, tmin, tmax);
	if (r->kind == ROW_EVENT) {
		stmt = s->stmt[STMT_EVENT];
		sqlite3_bind_int64(stmt, 1, r->event.time_us);
		sqlite3_bind_text(stmt, 2, event_kind_names[r->event.ev.kind], -1, SQLITE_STATIC);
		bind_key(stmt, 3, &r->event.ev.key, r->ifname, src, dst);
		sqlite3_bind_int(stmt, 12, r->event.ev.tcp_flags);
		bind_text_or_null(stmt, 13, r->text);
		*tmin = min_u64(*tmin, r->event.time_us);
		*tmax = max_u64(*tmax, r->event.time_us);
	} else {
		stmt = s->stmt[STMT_FLOW];
		sqlite3_bind_int64(stmt, 1, r->flow.first_seen_us);
		sqlite3_bind_int64(stmt, 2, r->flow.last_seen_us);
		bind_key(stmt, 3, &r->flow.key, r->ifname, src, dst);
		sqlite3_bind_int64(stmt, 12, r->flow.packets);
		sqlite3_bind_int64(stmt, 13, r->flow.bytes);
		sqlite3_bind_int64(stmt, 14, r->flow.tcp_flags);
		sqlite3_bind_text(stmt, 15, flow_end_reason_name(r->flow.end_reason), -1,
				  SQLITE_STATIC);
		bind_text_or_null(stmt, 16, flow_app_name(r->flow.app_proto));
		bind_text_or_null(stmt, 17, r->text);
		/* Known only where the protocol is. */
		if (flow_app_name(r->flow.app_proto) && r->flow.encrypted >= 0)
			sqlite3_bind_int(stmt, 18, r->flow.encrypted);
		else
			sqlite3_bind_null(stmt, 18);
		sqlite3_bind_int64(stmt, 19, r->flow.dropped_packets);
		sqlite3_bind_int64(stmt, 20, r->flow.dropped_bytes);
		sqlite3_bind_int64(stmt, 21, r->flow.requests);
		bind_text_or_null(stmt, 22, r->fingerprint);
		*tmin = min_u64(*tmin, r->flow.first_seen_us);
		*tmax = max_u64(*tmax, r->flow.last_seen_us);
	}
	return step_once(stmt);
}

/* Inserts the buffered actions and rule_counters rows and widens [*tmin,
 * *tmax] to their times. Returns an SQLite result code. */
static int insert_audit(struct store *s, uint64_t *tmin, uint64_t *tmax)
{
	sqlite3_stmt *stmt = s->stmt[STMT_ACTION];
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < s->n_actions; i++) {
		const struct action_row *a = &s->actions[i];

		sqlite3_bind_int64(stmt, 1, a->time_us);
		sqlite3_bind_text(stmt, 2, a->action, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, a->target, -1, SQLITE_STATIC);
		bind_text_or_null(stmt, 4, a->rule);
		bind_text_or_null(stmt, 5, a->reason);
		if (a->expires_us)
			sqlite3_bind_int64(stmt, 6, a->expires_us);
		else
			sqlite3_bind_null(stmt, 6);
		sqlite3_bind_text(stmt, 7, a->origin, -1, SQLITE_STATIC);
		if (a->uid >= 0)
			sqlite3_bind_int64(stmt, 8, a->uid);
		else
			sqlite3_bind_null(stmt, 8);
		bind_text_or_null(stmt, 9, a->detail);
		*tmin = min_u64(*tmin, a->time_us);
		*tmax = max_u64(*tmax, a->time_us);
		rc = step_once(stmt);
	}
	stmt = s->stmt[STMT_COUNTER];
	for (i = 0; !rc && i < s->n_counters; i++) {
		const struct counter_row *c = &s->counters[i];

		sqlite3_bind_int64(stmt, 1, c->time_us);
		sqlite3_bind_text(stmt, 2, c->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, c->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 4, c->packets);
		sqlite3_bind_int64(stmt, 5, c->bytes);
		sqlite3_bind_text(stmt, 6, c->mode, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 7, c->origin, -1, SQLITE_STATIC);
		if (c->line)
			sqlite3_bind_int(stmt, 8, c->line);
		else
			sqlite3_bind_null(stmt, 8);
		*tmin = min_u64(*tmin, c->time_us);
		*tmax = max_u64(*tmax, c->time_us);
		rc = step_once(stmt);
	}
	stmt = s->stmt[STMT_ALERT];
	for (i = 0; !rc && i < s->n_alerts; i++) {
		const struct store_alert *a = &s->alerts[i].a;

		sqlite3_bind_int64(stmt, 1, a->time_us);
		sqlite3_bind_text(stmt, 2, a->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, a->severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, a->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, a->side, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, a->metric, -1, SQLITE_STATIC);
		sqlite3_bind_double(stmt, 7, a->value);
		sqlite3_bind_double(stmt, 8, a->threshold);
		sqlite3_bind_int64(stmt, 9, a->window_us);
		if (a->first_us) {
			sqlite3_bind_int64(stmt, 10, a->first_us);
			sqlite3_bind_int64(stmt, 11, a->last_us);
		} else {
			sqlite3_bind_null(stmt, 10);
			sqlite3_bind_null(stmt, 11);
		}
		bind_text_or_null(stmt, 12, a->example[0] ? a->example : NULL);
		sqlite3_bind_text(stmt, 13, a->action, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 14, a->suppressed);
		if (a->line)
			sqlite3_bind_int(stmt, 15, a->line);
		else
			sqlite3_bind_null(stmt, 15);
		*tmin = min_u64(*tmin, a->time_us);
		*tmax = max_u64(*tmax, a->time_us);
		rc = step_once(stmt);
	}
	return rc;
}

/* Frees the audit rows a flush wrote. */
static void drop_audit(struct store *s)
{
	size_t i;

	free_actions(s->actions, s->n_actions);
	for (i = 0; i < s->n_counters; i++)
		free(s->counters[i].rule);
	for (i = 0; i < s->n_alerts; i++)
		free(s->alerts[i].rule);
	s->n_actions = s->n_counters = s->n_alerts = 0;
}

/* Inserts the collector_stats row for a flush that writes rows rows and
 * began inserting at started_us. Returns an SQLite result code. */
static int insert_stats(struct store *s, const struct store_stats *st, size_t rows,
			uint64_t started_us)
{
	sqlite3_stmt *stmt = s->stmt[STMT_STATS];
	const int64_t v[] = {
		st->time_us,
		st->kernel_packets,
		st->kernel_bytes,
		st->drained_packets,
		st->drained_bytes,
		(int64_t)(st->kernel_packets - st->drained_packets),
		(int64_t)(st->kernel_bytes - st->drained_bytes),
		st->non_ip,
		st->malformed,
		st->truncated,
		st->map_update_failures,
		st->events,
		st->ringbuf_drops,
		st->active_flows,
		rows,
		s->held_back,
		s->write_errors,
		st->flush_duration_us + (realtime_us() - started_us),
		st->payload_events,
		st->payload_bytes,
		st->dropped_packets,
		st->dropped_bytes,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		sqlite3_bind_int64(stmt, i + 1, v[i]);
	if (st->policy_mode)
		sqlite3_bind_text(stmt, ++i, st->policy_mode, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, ++i);
	if (st->alerting) {
		sqlite3_bind_int64(stmt, ++i, st->alerts);
		sqlite3_bind_int64(stmt, ++i, st->alerts_suppressed);
		sqlite3_bind_int64(stmt, ++i, st->sink_failures);
	} else {
		sqlite3_bind_null(stmt, ++i);
		sqlite3_bind_null(stmt, ++i);
		sqlite3_bind_null(stmt, ++i);
	}
	if (st->exporting) {
		sqlite3_bind_int64(stmt, ++i, st->ipfix_records);
		sqlite3_bind_int64(stmt, ++i, st->ipfix_send_errors);
		sqlite3_bind_int64(stmt, ++i, st->ipfix_dropped);
	} else {
		sqlite3_bind_null(stmt, ++i);
		sqlite3_bind_null(stmt, ++i);
		sqlite3_bind_null(stmt, ++i);
	}
	sqlite3_bind_int64(stmt, ++i, st->payload_drops);
	return step_once(stmt);
}

/* Writes every buffered row, the stats row and the time range in one
 * transaction, rolled back as a whole on failure. Returns 0 or a negative
 * errno. */
static int write_batch(struct store *s, const struct store_stats *st)
{
	uint64_t tmin = min_u64(s->time_start_us, st->time_us);
	uint64_t tmax = max_u64(s->time_end_us, st->time_us);
	uint64_t started_us = realtime_us();
	size_t i;
	int rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (i = 0; !rc && i < s->count; i++)
		rc = insert_row(s, &s->rows[(s->head + i) % STORE_MAX_PENDING_ROWS], &tmin, &tmax);
	if (!rc)
		rc = insert_audit(s, &tmin, &tmax);
	if (!rc)
		rc = insert_stats(s, st, s->count, started_us);
	if (!rc)
		rc = put_meta(s, "time_start_us", NULL, tmin);
	if (!rc)
		rc = put_meta(s, "time_end_us", NULL, tmax);
	if (!rc)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		int err = sql_error(s, rc, "cannot write");

		/* SQLite may have rolled back already. */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	s->time_start_us = tmin;
	s->time_end_us = tmax;
	return 0;
}

int store_flush(struct store *s, const struct store_stats *st)
{
	int err = 0;

	s->last_time_us = max_u64(s->last_time_us, st->time_us);
	if (s->dropped) {
		fprintf(stderr,
			"flowdb: %s: dropped the %llu oldest unwritten rows: over %d held\n",
			s->dir, (unsigned long long)s->dropped, STORE_MAX_PENDING_ROWS);
		s->dropped = 0;
	}
	/* The finisher's own failure for want of space, the writer's too. */
	if (s->publish_finished) {
		pthread_mutex_lock(&s->finish_lock);
		err = s->n_full ? -ENOSPC : 0;
		pthread_mutex_unlock(&s->finish_lock);
	}
	if (!err)
		err = ensure_file(s, st->time_us);
	if (!err)
		err = write_batch(s, st);
	if (!err)
		spill(s);
	if (err) {
		s->write_errors++;
		s->held_back = s->count;
		/* A full disk frees up; any other failure may be this file's own. */
		if (err != -ENOSPC)
			s->rotate_requested = true;
		return err;
	}
	s->write_errors = 0;
	s->held_back = 0;
	rows_release(s);
	drop_audit(s);
	if (s->filled > ROWS_KEEP) {
		hugemem_free(s->rows, ROWS_SIZE);
		s->rows = NULL;
	}
	return 0;
}

/* Orders files oldest first: by period, then by seq within one. */
static int file_cmp(const void *a, const void *b)
{
	const struct file_entry *x = a, *y = b;

	if (x->period_us != y->period_us)
		return x->period_us < y->period_us ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* True when name is the file being written. */
static bool is_current(const struct store *s, const char *name)
{
	return s->db && !strcmp(name, s->name);
}

/* True when retention must leave name alone: the file being written, or
 * with keep_unshipped one the shipper has not finished (shipped: NULL when
 * its record could not be read, and then no file counts as shipped). */
static bool is_kept(const struct store *s, const struct flowfile_progress *shipped,
		    const char *name)
{
	const struct flowfile_entry *e;

	if (is_current(s, name))
		return true;
	if (!s->keep_unshipped)
		return false;
	e = shipped ? flowfile_progress_get((struct flowfile_progress *)shipped, name, false) :
		      NULL;
	return !e || e->state != FLOWFILE_SHIPPED;
}

int store_retain(struct store *s, uint64_t now_us)
{
	struct flowfile_progress progress = { 0 }, *shipped = NULL;
	struct file_entry *files;
	uint64_t total = 0;
	size_t i, n, last_old = 0;
	int err, removed = 0;

	if (s->keep_unshipped && !flowfile_progress_read(s->dir, &progress))
		shipped = &progress;
	err = list_files(s, true, &files, &n);
	if (err) {
		flowfile_progress_free(&progress);
		return err;
	}
	qsort(files, n, sizeof(*files), file_cmp);
	for (i = 0; i < n; i++) {
		total += files[i].size;
		/* Every older file goes with an expired one: name order is data order. */
		if (s->retain_age_us && now_us > s->retain_age_us &&
		    !is_current(s, files[i].name) && files[i].mtime_us < now_us - s->retain_age_us)
			last_old = i + 1;
	}
	for (i = 0; i < n && (i < last_old || (s->retain_size && total > s->retain_size)); i++) {
		if (is_kept(s, shipped, files[i].name))
			continue;
		err = remove_db_files(s->dir, files[i].name);
		if (err)
			goto cleanup;
		total -= files[i].size;
		removed++;
	}
	err = removed;

cleanup:
	flowfile_progress_free(&progress);
	free(files);
	return err;
}

int store_close(struct store *s)
{
	int err = 0, ferr;

	if (!s)
		return 0;
	/* Rows still buffered get one last flush at the latest time seen. Its
	 * stats row has zero kernel and drain figures (those belong to the
	 * caller's flushes) and records only the write itself. With nothing
	 * buffered there is no such row, and a store that never flushed leaves
	 * no file at all. */
	if (s->count || s->n_actions || s->n_counters || s->n_alerts) {
		struct store_stats st = { .time_us = s->last_time_us };
		size_t count = s->count + s->n_actions + s->n_counters + s->n_alerts;

		err = store_flush(s, &st);
		if (err)
			fprintf(stderr, "flowdb: %s: %zu rows lost at close: %s\n", s->dir, count,
				strerror(-err));
	}
	if (s->db) {
		ferr = finish_file(s, false);
		if (!err)
			err = ferr;
	}
	finisher_stop(s);
	if (s->writer) {
		stmts_finalize(s);
		sqlite3_close(s->writer);
	}
	if (s->publish_finished) {
		ferr = sync_path(s->dir, O_RDONLY | O_DIRECTORY);
		if (!err)
			err = ferr ? ferr : s->publish_err;
	}
	rows_release(s);
	hugemem_free(s->rows, ROWS_SIZE);
	deferred_free(s);
	sqlite3_free(s->template);
	free(s->known);
	drop_audit(s);
	free(s->actions);
	free(s->counters);
	free(s->alerts);
	free(s->dir);
	free(s->interfaces);
	free(s->version);
	pthread_mutex_destroy(&s->finish_lock);
	pthread_cond_destroy(&s->finish_cond);
	free(s);
	return err;
}
