// SPDX-License-Identifier: BSD-2-Clause
/* Many captures read as one: files, directories and glob patterns, merged
 * packet by packet in capture-time order (a heap of each file's next
 * packet), so that overlapping captures interleave as they were taken. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "capset.h"

/* Directories deeper than this under a named one are not entered: a
 * case's layout is a few levels, a loop of bind mounts is not. */
#define CAPSET_DEPTH_MAX 32

struct capfile {
	char *path;
	struct pcapread *r;
	struct pcap_packet next; /* read ahead, while in the heap */
	dev_t dev;
	ino_t ino;
	bool named; /* on the command line, not found in a directory */
	uint64_t packets; /* given by capset_next() */
	bool done;
	char error[PCAPREAD_ERR_SIZE]; /* read ahead: to be reported */
};

struct capset {
	struct capfile *files;
	int n, cap;
	int *heap; /* files with a packet read ahead, earliest first */
	int n_heap;
	int last; /* the file whose packet went out last: it reads on next */
	int n_done;
	int errors_next; /* files before this one have said their read-ahead error */
	int n_refused; /* captures found in a directory that could not be opened */
};

/* Adds path to the files unless it is one already (same device and
 * inode). Returns 0 or -ENOMEM. */
static int add_file(struct capset *s, const char *path, const struct stat *st, bool named)
{
	struct capfile *f;
	int i;

	for (i = 0; i < s->n; i++)
		if (s->files[i].dev == st->st_dev && s->files[i].ino == st->st_ino)
			return 0;
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		struct capfile *grown = realloc(s->files, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->files = grown;
		s->cap = cap;
	}
	f = &s->files[s->n];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->named = named;
	s->n++;
	return 0;
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Adds the regular files under dir, in name order, depth levels deep at
 * most. Returns 0, -EINVAL (said on err) or -ENOMEM. */
static int add_dir(struct capset *s, const char *dir, int depth, FILE *err)
{
	struct dirent **list = NULL;
	int i, n, ret = 0;

	n = scandir(dir, &list, not_hidden, alphasort);
	if (n < 0) {
		fprintf(err, "flowdb-collector: %s: %s\n", dir, strerror(errno));
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		char *path = NULL;

		if (!ret && asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			path = NULL;
			ret = -ENOMEM;
		}
		if (!ret && lstat(path, &st)) {
			fprintf(err, "flowdb-collector: %s: %s\n", path, strerror(errno));
			ret = -EINVAL;
		} else if (!ret && S_ISDIR(st.st_mode)) {
			if (depth < CAPSET_DEPTH_MAX)
				ret = add_dir(s, path, depth + 1, err);
		} else if (!ret &&
			   (S_ISREG(st.st_mode) ||
			    (S_ISLNK(st.st_mode) && !stat(path, &st) && S_ISREG(st.st_mode)))) {
			ret = add_file(s, path, &st, false);
		}
		free(path);
		free(list[i]);
	}
	free(list);
	return ret;
}

/* Adds what path names: a file, a directory's captures, or a pattern's
 * matches. Returns 0, -EINVAL (said on err) or -ENOMEM. */
static int add_path(struct capset *s, const char *path, FILE *err)
{
	struct stat st;
	glob_t g;
	size_t i;
	int ret = 0;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return add_dir(s, path, 1, err);
		/* Not a regular file: pcapread_open() says why. */
		return add_file(s, path, &st, true);
	}
	if (!strpbrk(path, "*?[")) {
		fprintf(err, "flowdb-collector: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	switch (glob(path, 0, NULL, &g)) {
	case 0:
		break;
	case GLOB_NOSPACE:
		return -ENOMEM;
	default:
		fprintf(err, "flowdb-collector: %s: no file matches\n", path);
		return -EINVAL;
	}
	for (i = 0; !ret && i < g.gl_pathc; i++) {
		if (stat(g.gl_pathv[i], &st)) {
			fprintf(err, "flowdb-collector: %s: %s\n", g.gl_pathv[i], strerror(errno));
			ret = -EINVAL;
		} else if (S_ISDIR(st.st_mode)) {
			ret = add_dir(s, g.gl_pathv[i], 1, err);
		} else {
			ret = add_file(s, g.gl_pathv[i], &st, true);
		}
	}
	globfree(&g);
	return ret;
}

/* Whether file a's next packet goes before file b's. */
static bool earlier(const struct capset *s, int a, int b)
{
	const struct pcap_packet *x = &s->files[a].next, *y = &s->files[b].next;

	return x->ts_ns != y->ts_ns ? x->ts_ns < y->ts_ns : a < b;
}

static void sift_down(struct capset *s, int i)
{
	for (;;) {
		int least = i, l = 2 * i + 1, r = l + 1, t;

		if (l < s->n_heap && earlier(s, s->heap[l], s->heap[least]))
			least = l;
		if (r < s->n_heap && earlier(s, s->heap[r], s->heap[least]))
			least = r;
		if (least == i)
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[least];
		s->heap[least] = t;
		i = least;
	}
}

/* Reads file i's next packet ahead. Returns 1 when it has one, else 0:
 * the file is done, its error (if any) kept for capset_next(). */
static int read_ahead(struct capset *s, int i)
{
	struct capfile *f = &s->files[i];
	int ret = pcapread_next(f->r, &f->next, f->error, sizeof(f->error));

	if (ret == 1)
		return 1;
	if (!ret)
		f->error[0] = '\0';
	f->done = true;
	s->n_done++;
	return 0;
}

/* Says that paths hold no capture. */
static int none_found(const char *const *paths, int n_paths, FILE *err)
{
	fprintf(err, "flowdb-collector: no capture to read in %s%s\n", paths[0],
		n_paths > 1 ? " and the rest" : "");
	return -EINVAL;
}

int capset_open(struct capset **out, const char *const *paths, int n_paths, FILE *err)
{
	struct capset *s = calloc(1, sizeof(*s));
	int i, j, ret = 0;
	bool listed;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->last = -1;
	for (i = 0; i < n_paths && ret != -ENOMEM; i++) {
		int r = add_path(s, paths[i], err);

		ret = ret ? ret : r;
	}
	/* Every file is opened, so that each bad one says so; the good ones
	 * move down over the others. */
	listed = ret != -ENOMEM;
	for (i = j = 0; listed && i < s->n; i++) {
		struct capfile *f = &s->files[i];
		char why[PCAPREAD_ERR_SIZE];

		if (!pcapread_open(&f->r, f->path, why, sizeof(why))) {
			s->files[j++] = *f;
			continue;
		}
		/* The contract of pcapread_open(): a file that is no capture
		 * at all says exactly this. */
		if (f->named) {
			fprintf(err, "flowdb-collector: %s: %s\n", f->path, why);
			ret = -EINVAL;
		} else if (!strcmp(why, "not a pcap or pcapng file")) {
			fprintf(err, "flowdb-collector: %s: not a capture, skipped\n", f->path);
		} else {
			fprintf(err, "flowdb-collector: %s: %s; skipped\n", f->path, why);
			s->n_refused++;
		}
		free(f->path);
	}
	if (listed)
		s->n = j;
	if (!ret && !s->n)
		ret = none_found(paths, n_paths, err);
	if (!ret) {
		s->heap = calloc(s->n, sizeof(*s->heap));
		if (!s->heap)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < s->n; i++)
		if (read_ahead(s, i))
			s->heap[s->n_heap++] = i;
	for (i = s->n_heap / 2; !ret && i-- > 0;)
		sift_down(s, i);
	if (ret) {
		capset_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

int capset_next(struct capset *s, struct pcap_packet *p, const char **path, uint64_t *file_packets,
		char *err, size_t err_size)
{
	/* The file that gave the last packet reads on only now: its frame
	 * stayed valid until this call. */
	if (s->last >= 0) {
		int i = s->last;

		s->last = -1;
		if (read_ahead(s, i)) {
			sift_down(s, 0);
		} else {
			s->heap[0] = s->heap[--s->n_heap];
			sift_down(s, 0);
			if (s->files[i].error[0]) {
				*path = s->files[i].path;
				*file_packets = s->files[i].packets;
				snprintf(err, err_size, "%s", s->files[i].error);
				return -EINVAL;
			}
		}
	}
	/* Errors met reading the first packets come first. */
	while (s->errors_next < s->n) {
		struct capfile *f = &s->files[s->errors_next++];

		if (f->done && f->error[0]) {
			*path = f->path;
			*file_packets = f->packets;
			snprintf(err, err_size, "%s", f->error);
			f->error[0] = '\0';
			return -EINVAL;
		}
	}
	if (!s->n_heap)
		return 0;
	s->last = s->heap[0];
	*p = s->files[s->last].next;
	*path = s->files[s->last].path;
	*file_packets = s->files[s->last].packets++;
	return 1;
}

int capset_files(const struct capset *s)
{
	return s->n;
}

int capset_files_refused(const struct capset *s)
{
	return s->n_refused;
}

int capset_files_done(const struct capset *s)
{
	return s->n_done;
}

uint64_t capset_offset(const struct capset *s)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < s->n; i++)
		sum += s->files[i].done ? pcapread_size(s->files[i].r) :
					  pcapread_offset(s->files[i].r);
	return sum;
}

uint64_t capset_size(const struct capset *s)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < s->n; i++)
		sum += pcapread_size(s->files[i].r);
	return sum;
}

void capset_close(struct capset *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		pcapread_close(s->files[i].r);
		free(s->files[i].path);
	}
	free(s->files);
	free(s->heap);
	free(s);
}
