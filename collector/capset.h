/* SPDX-License-Identifier: BSD-2-Clause */
/* Many captures read as one: files, directories and glob patterns, merged
 * packet by packet in capture-time order. */
#ifndef CAPSET_H
#define CAPSET_H

#include <stdint.h>
#include <stdio.h>
#include "pcapread.h"

struct capset;

/*
 * Expands paths into captures and opens every one, before anything is
 * loaded or written, so that a bad one is refused early:
 * - a regular file is a capture, or an error;
 * - a directory stands for the captures under it, at any depth (hidden
 *   entries and symbolic links to directories are passed over; a file that
 *   is not a capture is skipped with a note on err, since a case directory
 *   also holds notes and hashes; a capture in it that cannot be read, of a
 *   link type that carries no IP say, is skipped with its line on err and
 *   counted in capset_files_refused(), so that the others are read);
 * - a path that names nothing but holds *, ? or [ is a glob(7) pattern,
 *   which must match at least one file.
 * A file named twice (by two paths, or a link) is read once. Returns 0
 * and sets *out, or -EINVAL (every error said on err, one line each,
 * prefixed "flowdb-collector: ") or -ENOMEM.
 */
int capset_open(struct capset **out, const char *const *paths, int n_paths, FILE *err);

/*
 * Reads the packet with the earliest capture time of all the files' next
 * ones (ties: the file named first), into *p, valid until the next call;
 * *path is its file's and *file_packets the packets that file gave before
 * it. Returns 1 with a packet, 0 when every file is done, or -EINVAL when
 * the file *path is malformed from here on, after *file_packets packets:
 * its one line is in err, the file is dropped, and the next call goes on
 * with the others.
 */
int capset_next(struct capset *s, struct pcap_packet *p, const char **path, uint64_t *file_packets,
		char *err, size_t err_size);

/* The files, those finished (read to the end or dropped), and the bytes
 * read and in all, for progress; and the captures skipped at open. */
int capset_files(const struct capset *s);
int capset_files_refused(const struct capset *s);
int capset_files_done(const struct capset *s);
uint64_t capset_offset(const struct capset *s);
uint64_t capset_size(const struct capset *s);

/* Closes every file and frees. NULL is fine. */
void capset_close(struct capset *s);

#endif /* CAPSET_H */
