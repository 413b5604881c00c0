/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow files as the collector writes them and the shipper reads them: names, finished, shipped. */
#ifndef FLOWFILE_H
#define FLOWFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name flowfile_name() makes: a 10-digit seq, ".db" and the NUL. */
#define FLOWFILE_NAME_SIZE 40

/*
 * Names the file for the period holding time_us into buf: "flows-" then the
 * UTC start of the period as YYYYMMDDTHHMMZ (YYYYMMDDTHHMMSSZ when the
 * interval is not whole minutes), then ".db"; seq > 0 (a size rotation or
 * restart within that period) gives "flows-...Z.<seq>.db". Returns 0,
 * -EINVAL when the interval is not whole seconds, or -ENAMETOOLONG.
 */
int flowfile_name(char *buf, size_t size, uint64_t time_us, uint64_t rotate_interval_us,
		  unsigned int seq);

/* Parses a name flowfile_name() makes. Returns 0 and sets the period start
 * and seq, or -EINVAL for any other name. */
int flowfile_parse_name(const char *name, uint64_t *period_start_us, unsigned int *seq);

/* What lies beside a flow file, and who holds it. */
enum flowfile_state {
	FLOWFILE_FINISHED, /* nothing beside it: the collector is done with it */
	FLOWFILE_LIVE, /* a writer (a collector) holds it */
	FLOWFILE_ORPHAN_WAL, /* a -wal no writer holds: a killed collector's, or planted */
	FLOWFILE_HOT_JOURNAL, /* a -journal no writer holds: an interrupted write */
};

/*
 * Classifies path by what lies beside it: a -wal with a -shm some other
 * process holds locked is a writer's (SQLite holds a shared lock on the
 * -shm's DMS byte for as long as a connection has it), a -journal is a
 * writer's while another process locks the file. Opens nothing with
 * SQLite and creates nothing. Returns the state.
 */
enum flowfile_state flowfile_classify(const char *path);

/* Copies the regular file from to a new file to (mode 0600, synced),
 * reading from without blocking. Returns 0 or a negative errno; a partial
 * copy is removed. */
int flowfile_copy(const char *from, const char *to);

/* Lets SQLite recover the private copy at path (it finds the -wal or
 * -journal beside it: replays the WAL, or rolls the journal back) and
 * leaves it one file in rollback-journal mode. The copy's schema runs
 * nothing of ours (defensive, untrusted schema). Needs SQLite: common/ is
 * an archive, so only programs that call it link it. Returns an SQLite
 * result code. */
int flowfile_recover(const char *path);

/* The shipper's progress record, one per data directory: DIR/FLOWFILE_PROGRESS,
 * a text file of one line per flow file, "NAME STATE ROWS [WHY]". */
#define FLOWFILE_PROGRESS "flowdb-ship.progress"

enum flowfile_ship {
	FLOWFILE_SHIPPING, /* begun: ROWS rows confirmed in ClickHouse so far */
	FLOWFILE_SHIPPED, /* every row of the file is in ClickHouse: ROWS of them */
	FLOWFILE_REFUSED, /* cannot be shipped (WHY): kept, never retried */
};

struct flowfile_entry {
	char name[FLOWFILE_NAME_SIZE];
	enum flowfile_ship state;
	uint64_t rows;
	char why[256]; /* FLOWFILE_REFUSED: one line, no newline */
};

struct flowfile_progress {
	struct flowfile_entry *e; /* in the record's order once read, new ones last */
	size_t n, cap;
};

/*
 * Reads dir's progress record into *p (emptied first). A directory without
 * one has an empty record. Returns 0, -EINVAL for a line that is not of
 * the format (a record written by something else), -ENOMEM, or the
 * negative errno of reading it.
 */
int flowfile_progress_read(const char *dir, struct flowfile_progress *p);

/* Replaces dir's progress record with p, atomically (a new file, synced,
 * renamed over the old one, the directory synced): a reader sees the old
 * record or the new, whole. Its lines go in name order; p is not changed.
 * Returns 0 or a negative errno. */
int flowfile_progress_write(const char *dir, const struct flowfile_progress *p);

/* The entry for name, or NULL; with add, a new FLOWFILE_SHIPPING entry of 0
 * rows when there is none (NULL when out of memory or name too long). */
struct flowfile_entry *flowfile_progress_get(struct flowfile_progress *p, const char *name,
					     bool add);

/* Frees what p holds and empties it. */
void flowfile_progress_free(struct flowfile_progress *p);

#endif /* FLOWFILE_H */
