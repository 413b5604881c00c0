/* SPDX-License-Identifier: BSD-2-Clause */
/* Finished flow files into ClickHouse, exactly once: the fleet schema, batches, resumption. */
#ifndef SHIP_H
#define SHIP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "chttp.h"
#include "flowfile.h"

/* The fleet schema's version (schema/clickhouse.sql, table flowdb_schema). */
#define SHIP_SCHEMA_VERSION 1
/* The newest flow file schema this shipper reads. */
#define SHIP_FILE_VERSION 6
#define SHIP_BATCH_ROWS_DEFAULT 100000
#define SHIP_BATCH_ROWS_MAX 1000000

/* What ship_*() return besides 0 and the enum chttp_status values (all
 * positive): the file cannot be shipped (its progress entry says why), or
 * is not finished yet. */
enum {
	SHIP_REFUSED = 100,
	SHIP_NOT_YET,
	SHIP_STOPPED, /* *stop was set between two batches */
	SHIP_LOCAL, /* the progress record could not be written, or a local error */
};

struct shipper {
	struct chttp *ch;
	unsigned int batch_rows;
	const volatile sig_atomic_t *stop; /* checked between batches; NULL: never */
	/* One line per problem, with the program's prefix. */
	FILE *err;
	/* What the last ship_file() did: rows sent now, rows found in
	 * ClickHouse already (a resumption), batches sent. */
	uint64_t rows_sent, rows_found, batches;
	char error[600]; /* the last failure, one line */
};

/*
 * Runs schema/clickhouse.sql on the server, the Distributed tables naming
 * cluster (a name of the server's remote_servers: letters, digits and _,
 * not starting with a digit). Idempotent. Returns 0 or
 * an enum chttp_status with sh->error set.
 */
int ship_create(struct shipper *sh, const char *cluster);

/*
 * Checks the server's fleet tables: flowdb_schema holds SHIP_SCHEMA_VERSION
 * and every NAME_local table has the columns this shipper writes, of its
 * types. Returns 0, an enum chttp_status, or SHIP_REFUSED (another schema:
 * sh->error says what differs) with sh->error set.
 */
int ship_check_schema(struct shipper *sh);

/*
 * Ships the rows of the flow file dir/e->name (finished: nothing beside it)
 * that ClickHouse lacks, in batches of sh->batch_rows rows of one table and
 * one day (one partition: each insert is one part), updating e and writing
 * dir's progress record p after each batch. Every batch ClickHouse may
 * hold from an earlier run is counted there first: held whole, it is
 * skipped; in part (an insert cut at a row boundary), only the rows it
 * lacks are sent. Never modifies the file. Returns 0 (e->state
 * FLOWFILE_SHIPPED), SHIP_REFUSED (e->state FLOWFILE_REFUSED, e->why),
 * SHIP_NOT_YET, SHIP_STOPPED, SHIP_LOCAL, or an enum chttp_status, with
 * sh->error set.
 */
int ship_file(struct shipper *sh, const char *dir, struct flowfile_progress *p,
	      struct flowfile_entry *e);

/* Drops, on the server, every partition of the fleet tables holding days
 * before day (YYYYMMDD). Returns 0 or an enum chttp_status with sh->error
 * set; *dropped counts the partitions dropped. */
int ship_drop_before(struct shipper *sh, unsigned int yyyymmdd, unsigned int *dropped);

#endif /* SHIP_H */
