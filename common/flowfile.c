// SPDX-License-Identifier: BSD-2-Clause
/* Flow files as the collector writes them and the shipper reads them: names, finished, shipped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "flowfile.h"
#include "units.h"

#define USEC_PER_MIN (60 * USEC_PER_SEC)
/* The -shm byte every connection of a WAL database holds a shared lock on
 * (SQLite's unix VFS: UNIX_SHM_DMS, after the 120-byte wal-index header
 * and its 8 lock bytes). */
#define SHM_DMS_OFFSET 128
/* flowfile_copy() moves this much at a time. */
#define COPY_CHUNK (1 << 20)
/* A progress line at most: a name, a state, a count and a reason. */
#define LINE_MAX_LEN 512

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

int flowfile_name(char *buf, size_t size, uint64_t time_us, uint64_t rotate_interval_us,
		    unsigned int seq)
{
	char stamp[64];
	time_t secs;
	struct tm tm;
	int n;

	if (!interval_valid(rotate_interval_us))
		return -EINVAL;
	secs = period_start(time_us, rotate_interval_us) / USEC_PER_SEC;
	/* Four-digit years only, as flowfile_parse_name() reads them. */
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
		return -EINVAL;
	/* Minutes name hourly files as users expect; seconds only when the
	 * periods need them to differ. */
	if (rotate_interval_us % USEC_PER_MIN)
		snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (seq)
		n = snprintf(buf, size, "flows-%s.%u.db", stamp, seq);
	else
		n = snprintf(buf, size, "flows-%s.db", stamp);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Reads exactly n decimal digits. Returns their value, or -1 when any of
 * them is not a digit (a NUL included, so p is never read past its end). */
static int parse_digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + p[i] - '0';
	}
	return v;
}

int flowfile_parse_name(const char *name, uint64_t *period_start_us, unsigned int *seq)
{
	static const char prefix[] = "flows-";
	int year, mon, day, hour, min, sec = 0;
	struct tm tm = { 0 }, check;
	unsigned long long n = 0;
	const char *p;
	time_t secs;

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	p = name + sizeof(prefix) - 1;
	/* In order, so that each read follows only non-NUL characters. */
	if ((year = parse_digits(p, 4)) < 1970 || (mon = parse_digits(p + 4, 2)) < 1 ||
	    (day = parse_digits(p + 6, 2)) < 1 || p[8] != 'T' ||
	    (hour = parse_digits(p + 9, 2)) < 0 || (min = parse_digits(p + 11, 2)) < 0)
		return -EINVAL;
	p += 13;
	if (*p != 'Z') {
		if ((sec = parse_digits(p, 2)) < 0 || p[2] != 'Z')
			return -EINVAL;
		p += 2;
	}
	p++;
	if (p[0] == '.' && p[1] >= '1' && p[1] <= '9') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + *p - '0';
			if (n > UINT_MAX)
				return -EINVAL;
		}
	}
	if (strcmp(p, ".db"))
		return -EINVAL;
	/* timegm() normalises 31 April or 25:00; a round trip catches them. */
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	secs = timegm(&tm);
	if (secs < 0 || !gmtime_r(&secs, &check) || check.tm_year != year - 1900 ||
	    check.tm_mon != mon - 1 || check.tm_mday != day || check.tm_hour != hour ||
	    check.tm_min != min || check.tm_sec != sec)
		return -EINVAL;
	*period_start_us = secs * USEC_PER_SEC;
	*seq = n;
	return 0;
}

/* Whether another process holds a lock on byte off of the file at path
 * (any byte when len is 0). Opens it read-only and without blocking; the
 * lock is only tested. */
static bool locked_by_other(const char *path, off_t off, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = !fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

/* Size of the file beside path with suffix, or -1 when there is none. */
static off_t beside_size(const char *path, const char *suffix)
{
	char name[PATH_MAX];
	struct stat st;

	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >= (int)sizeof(name) ||
	    stat(name, &st) || !S_ISREG(st.st_mode))
		return -1;
	return st.st_size;
}

enum flowfile_state flowfile_classify(const char *path)
{
	char shm[PATH_MAX];

	if (beside_size(path, "-wal") >= 0) {
		snprintf(shm, sizeof(shm), "%s-shm", path);
		return locked_by_other(shm, SHM_DMS_OFFSET, 1) ? FLOWFILE_LIVE : FLOWFILE_ORPHAN_WAL;
	}
	/* An empty journal, or none, holds nothing to roll back. */
	if (beside_size(path, "-journal") > 0)
		return locked_by_other(path, 0, 0) ? FLOWFILE_LIVE : FLOWFILE_HOT_JOURNAL;
	return FLOWFILE_FINISHED;
}

int flowfile_copy(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_NONBLOCK | O_CLOEXEC), out = -1, err = 0;
	char *buf = malloc(COPY_CHUNK);
	ssize_t n, done, w;

	if (in < 0 || !buf) {
		err = in < 0 ? -errno : -ENOMEM;
		goto cleanup;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		err = -errno;
		goto cleanup;
	}
	while ((n = read(in, buf, COPY_CHUNK)) > 0) {
		for (done = 0; done < n; done += w) {
			w = write(out, buf + done, n - done);
			if (w < 0) {
				err = -errno;
				goto cleanup;
			}
		}
	}
	if (n < 0)
		err = -errno;
	if (!err && fsync(out))
		err = -errno;

cleanup:
	if (out >= 0 && close(out) && !err)
		err = -errno;
	if (in >= 0)
		close(in);
	if (err && out >= 0)
		unlink(to);
	free(buf);
	return err;
}

int flowfile_recover(const char *path)
{
	sqlite3 *db;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	if (!rc) {
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
		sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
		rc = sqlite3_exec(db,
				  "SELECT count(*) FROM sqlite_schema;"
				  " PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE",
				  NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc;
}

/* The words of enum flowfile_ship in the record. */
static const char *const ship_words[] = {
	[FLOWFILE_SHIPPING] = "shipping",
	[FLOWFILE_SHIPPED] = "shipped",
	[FLOWFILE_REFUSED] = "refused",
};

void flowfile_progress_free(struct flowfile_progress *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

struct flowfile_entry *flowfile_progress_get(struct flowfile_progress *p, const char *name,
					     bool add)
{
	struct flowfile_entry *e;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->e[i].name, name))
			return &p->e[i];
	if (!add || strlen(name) >= FLOWFILE_NAME_SIZE)
		return NULL;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		e = realloc(p->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		p->e = e;
		p->cap = cap;
	}
	e = &p->e[p->n++];
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);
	e->state = FLOWFILE_SHIPPING;
	return e;
}

/* Parses one line of a progress record into p. Returns 0, -EINVAL or -ENOMEM. */
static int parse_line(struct flowfile_progress *p, char *line)
{
	char *name, *word, *rows, *why, *end;
	struct flowfile_entry *e;
	unsigned long long n;
	uint64_t start;
	unsigned int seq;
	int state;

	line[strcspn(line, "\n")] = '\0';
	if (!*line || *line == '#')
		return 0;
	name = strtok_r(line, " ", &end);
	word = strtok_r(NULL, " ", &end);
	rows = strtok_r(NULL, " ", &end);
	why = end;
	if (!name || !word || !rows || flowfile_parse_name(name, &start, &seq))
		return -EINVAL;
	for (state = 0; state < (int)(sizeof(ship_words) / sizeof(ship_words[0])); state++)
		if (!strcmp(word, ship_words[state]))
			break;
	errno = 0;
	n = strtoull(rows, &end, 10);
	if (state == sizeof(ship_words) / sizeof(ship_words[0]) || *end || errno ||
	    *rows < '0' || *rows > '9')
		return -EINVAL;
	if (flowfile_progress_get(p, name, false))
		return -EINVAL;
	e = flowfile_progress_get(p, name, true);
	if (!e)
		return -ENOMEM;
	e->state = state;
	e->rows = n;
	snprintf(e->why, sizeof(e->why), "%s", why ? why : "");
	return 0;
}

int flowfile_progress_read(const char *dir, struct flowfile_progress *p)
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	int err = 0;
	FILE *f;

	flowfile_progress_free(p);
	if (snprintf(path, sizeof(path), "%s/%s", dir, FLOWFILE_PROGRESS) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f))
			err = -EINVAL;
		else
			err = parse_line(p, line);
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (err)
		flowfile_progress_free(p);
	return err;
}

/* Orders entries (pointers to them) by name. */
static int entry_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct flowfile_entry *const *)a)->name,
		      (*(const struct flowfile_entry *const *)b)->name);
}

int flowfile_progress_write(const char *dir, const struct flowfile_progress *p)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const struct flowfile_entry **order = NULL;
	int fd = -1, dfd, err = 0;
	size_t i;
	FILE *f = NULL;

	if (snprintf(path, sizeof(path), "%s/%s", dir, FLOWFILE_PROGRESS) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* Lines in name order; the entries stay where they are, for callers
	 * holding pointers to them. */
	if (p->n) {
		order = malloc(p->n * sizeof(*order));
		if (!order)
			return -ENOMEM;
		for (i = 0; i < p->n; i++)
			order[i] = &p->e[i];
		qsort(order, p->n, sizeof(*order), entry_cmp);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
		free(order);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	fprintf(f, "# flowdb-ship's progress in this directory: file, state (shipping, shipped,\n"
		   "# refused), rows in ClickHouse, why refused. flowdb-ship --status prints it.\n");
	for (i = 0; i < p->n; i++) {
		const struct flowfile_entry *e = order[i];

		fprintf(f, "%s %s %llu%s%s\n", e->name, ship_words[e->state],
			(unsigned long long)e->rows, e->why[0] ? " " : "", e->why);
	}
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}

cleanup:
	if (err)
		unlink(tmp);
	free(order);
	return err;
}
