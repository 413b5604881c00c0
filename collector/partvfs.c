// SPDX-License-Identifier: BSD-2-Clause
/* A lock-free VFS for hidden, privately held files, in memory or on disk,
 * whose main file a connection can move from one to the next. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "partvfs.h"

/* Sector size reported: SQLite's default, the unix VFS's on Linux. */
#define PART_SECTOR_SIZE 4096

/* A memory image grows by doubling, from this. */
#define PART_MEMORY_MIN (64 * 1024)

/* A main database file of ours: the file fd or, when fd is -1, size bytes
 * of memory in mem (cap allocated). Every other file is the base VFS's,
 * in memory of the size the base asks for (see part_vfs.szOsFile). */
struct part_file {
	sqlite3_file base;
	int fd;
	unsigned char *mem;
	sqlite3_int64 size, cap;
};

static sqlite3_vfs *base_vfs;
static sqlite3_vfs part_vfs;
static int register_rc;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;

/* Lets go of the file or the memory: p is an empty memory file after. */
static void part_drop(struct part_file *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->mem);
	p->fd = -1;
	p->mem = NULL;
	p->size = p->cap = 0;
}

static int part_close(sqlite3_file *file)
{
	part_drop((struct part_file *)file);
	return SQLITE_OK;
}

/* Reads n bytes at off; past the end the rest is zeroed, as SQLite wants. */
static int part_read(sqlite3_file *file, void *buf, int n, sqlite3_int64 off)
{
	struct part_file *p = (struct part_file *)file;
	ssize_t got, done = 0;

	if (p->fd < 0) {
		got = off >= p->size ? 0 : p->size - off < n ? p->size - off : n;
		if (got)
			memcpy(buf, p->mem + off, got);
		memset((char *)buf + got, 0, n - got);
		return got < n ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
	}
	while (done < n) {
		got = pread(p->fd, (char *)buf + done, n - done, off + done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return SQLITE_IOERR_READ;
		if (!got) {
			memset((char *)buf + done, 0, n - done);
			return SQLITE_IOERR_SHORT_READ;
		}
		done += got;
	}
	return SQLITE_OK;
}

/* Makes a memory file size bytes long, the new ones zero. Returns an SQLite
 * result code. */
static int part_resize(struct part_file *p, sqlite3_int64 size)
{
	sqlite3_int64 cap = p->cap ? p->cap : PART_MEMORY_MIN;
	unsigned char *mem;

	while (cap < size)
		cap *= 2;
	if (cap > p->cap) {
		mem = realloc(p->mem, cap);
		if (!mem)
			return SQLITE_IOERR_NOMEM;
		p->mem = mem;
		p->cap = cap;
	}
	if (size > p->size)
		memset(p->mem + p->size, 0, size - p->size);
	p->size = size;
	return SQLITE_OK;
}

/* Writes n bytes at off. */
static int part_write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 off)
{
	struct part_file *p = (struct part_file *)file;
	ssize_t put, done = 0;
	int rc;

	if (p->fd < 0) {
		if (off + n > p->size && (rc = part_resize(p, off + n)))
			return rc;
		memcpy(p->mem + off, buf, n);
		return SQLITE_OK;
	}
	while (done < n) {
		put = pwrite(p->fd, (const char *)buf + done, n - done, off + done);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return errno == ENOSPC || errno == EDQUOT ? SQLITE_FULL :
								    SQLITE_IOERR_WRITE;
		done += put;
	}
	return SQLITE_OK;
}

static int part_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct part_file *p = (struct part_file *)file;

	if (p->fd < 0)
		return part_resize(p, size);
	return ftruncate(p->fd, size) ? SQLITE_IOERR_TRUNCATE : SQLITE_OK;
}

/* With synchronous=OFF SQLite never asks; the file is synced once, whole,
 * before it is published. */
static int part_sync(sqlite3_file *file, int flags)
{
	struct part_file *p = (struct part_file *)file;

	(void)flags;
	return p->fd >= 0 && fdatasync(p->fd) ? SQLITE_IOERR_FSYNC : SQLITE_OK;
}

static int part_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct part_file *p = (struct part_file *)file;
	struct stat st;

	if (p->fd < 0) {
		*size = p->size;
		return SQLITE_OK;
	}
	if (fstat(p->fd, &st))
		return SQLITE_IOERR_FSTAT;
	*size = st.st_size;
	return SQLITE_OK;
}

/* No locks: nobody else opens a hidden file but the finisher, after the
 * writer is done with it. */
static int part_lock(sqlite3_file *file, int level)
{
	(void)file;
	(void)level;
	return SQLITE_OK;
}

static int part_check_reserved_lock(sqlite3_file *file, int *out)
{
	(void)file;
	*out = 0;
	return SQLITE_OK;
}

static int part_file_control(sqlite3_file *file, int op, void *arg)
{
	(void)file;
	(void)op;
	(void)arg;
	return SQLITE_NOTFOUND;
}

static int part_sector_size(sqlite3_file *file)
{
	(void)file;
	return PART_SECTOR_SIZE;
}

/* As the unix VFS says of local files: a write changes no byte but its own. */
static int part_device_characteristics(sqlite3_file *file)
{
	(void)file;
	return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods part_io_methods = {
	.iVersion = 1,
	.xClose = part_close,
	.xRead = part_read,
	.xWrite = part_write,
	.xTruncate = part_truncate,
	.xSync = part_sync,
	.xFileSize = part_file_size,
	.xLock = part_lock,
	.xUnlock = part_lock,
	.xCheckReservedLock = part_check_reserved_lock,
	.xFileControl = part_file_control,
	.xSectorSize = part_sector_size,
	.xDeviceCharacteristics = part_device_characteristics,
};

/* Opens a main database file as ours, anything else with the base VFS. */
static int part_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		     int *out_flags)
{
	struct part_file *p = (struct part_file *)file;

	(void)vfs;
	if (!name || !(flags & SQLITE_OPEN_MAIN_DB))
		return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
	/* A failed open must leave no methods, or SQLite would close it. */
	memset(p, 0, sizeof(*p));
	if (!(flags & SQLITE_OPEN_READWRITE))
		return SQLITE_CANTOPEN;
	if (sqlite3_uri_boolean(name, "memory", 0)) {
		p->fd = -1;
	} else {
		p->fd = open(name, O_RDWR | O_CLOEXEC);
		if (p->fd < 0)
			return SQLITE_CANTOPEN;
	}
	p->base.pMethods = &part_io_methods;
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

/* SQLite asks only whether a main file has a -journal or -wal beside it.
 * Ours never have one (their journal is in memory), so one found there is
 * somebody else's, not to be rolled back into ours: none is looked for. */
static int part_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	(void)name;
	(void)flags;
	*out = 0;
	return SQLITE_OK;
}

/* An absolute name as it is: with no journal beside our files, SQLite need
 * not follow their symbolic links, nor the working directory be there. */
static int part_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	if (name[0] != '/')
		return base_vfs->xFullPathname(base_vfs, name, n, out);
	if ((int)strlen(name) >= n)
		return SQLITE_CANTOPEN;
	strcpy(out, name);
	return SQLITE_OK;
}

/* The rest is the base VFS's, called as itself. */
static int part_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return base_vfs->xDelete(base_vfs, name, sync_dir);
}

static void *part_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return base_vfs->xDlOpen(base_vfs, name);
}

static void part_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	base_vfs->xDlError(base_vfs, n, out);
}

static void (*part_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
	(void)vfs;
	return base_vfs->xDlSym(base_vfs, handle, symbol);
}

static void part_dl_close(sqlite3_vfs *vfs, void *handle)
{
	(void)vfs;
	base_vfs->xDlClose(base_vfs, handle);
}

static int part_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int part_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return base_vfs->xSleep(base_vfs, us);
}

static int part_current_time(sqlite3_vfs *vfs, double *now)
{
	(void)vfs;
	return base_vfs->xCurrentTime(base_vfs, now);
}

static int part_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xGetLastError(base_vfs, n, out);
}

/* Fills in part_vfs over the default VFS and registers it. */
static void register_once_only(void)
{
	base_vfs = sqlite3_vfs_find(NULL);
	if (!base_vfs) {
		register_rc = SQLITE_ERROR;
		return;
	}
	part_vfs = (sqlite3_vfs){
		.iVersion = 1,
		.szOsFile = base_vfs->szOsFile > (int)sizeof(struct part_file) ?
				    base_vfs->szOsFile :
				    (int)sizeof(struct part_file),
		.mxPathname = base_vfs->mxPathname,
		.zName = PARTVFS_NAME,
		.xOpen = part_open,
		.xDelete = part_delete,
		.xAccess = part_access,
		.xFullPathname = part_full_pathname,
		.xDlOpen = part_dl_open,
		.xDlError = part_dl_error,
		.xDlSym = part_dl_sym,
		.xDlClose = part_dl_close,
		.xRandomness = part_randomness,
		.xSleep = part_sleep,
		.xCurrentTime = part_current_time,
		.xGetLastError = part_get_last_error,
	};
	register_rc = sqlite3_vfs_register(&part_vfs, 0);
}

int partvfs_register(void)
{
	pthread_once(&register_once, register_once_only);
	return register_rc;
}

/* Whether a statement of db is running. */
static bool stmt_running(sqlite3 *db)
{
	sqlite3_stmt *stmt;

	for (stmt = sqlite3_next_stmt(db, NULL); stmt; stmt = sqlite3_next_stmt(db, stmt))
		if (sqlite3_stmt_busy(stmt))
			return true;
	return false;
}

/* db's main file, when db is on this VFS between transactions with no
 * statement running. Returns 0, -EINVAL or -EBUSY. */
static int idle_file(sqlite3 *db, struct part_file **out)
{
	struct part_file *p = NULL;

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &p) || !p ||
	    p->base.pMethods != &part_io_methods)
		return -EINVAL;
	if (!sqlite3_get_autocommit(db) || stmt_running(db))
		return -EBUSY;
	*out = p;
	return 0;
}

/* Done with a move: the next transaction reads the file's header anew and
 * drops the pages cached from the old file when their change counters
 * differ, as when another process has written it; this drops them all the
 * same. The parsed schema stays: the new file has the same. */
static void moved(sqlite3 *db)
{
	sqlite3_db_release_memory(db);
}

int partvfs_switch(sqlite3 *db, const char *path)
{
	struct part_file *p;
	int fd, err;

	err = idle_file(db, &p);
	if (err)
		return err;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	part_drop(p);
	p->fd = fd;
	moved(db);
	return 0;
}

int partvfs_load(sqlite3 *db, void *image, sqlite3_int64 size)
{
	struct part_file *p;
	int err;

	err = idle_file(db, &p);
	if (err)
		return err;
	part_drop(p);
	p->mem = image;
	p->size = p->cap = size;
	moved(db);
	return 0;
}

int partvfs_take(sqlite3 *db, void **image, sqlite3_int64 *size)
{
	struct part_file *p;
	int err;

	err = idle_file(db, &p);
	if (err)
		return err;
	if (p->fd >= 0)
		return -EINVAL;
	*image = p->mem;
	*size = p->size;
	p->mem = NULL;
	p->size = p->cap = 0;
	moved(db);
	return 0;
}

int partvfs_size(sqlite3 *db, sqlite3_int64 *size, bool *in_memory)
{
	struct part_file *p = NULL;

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &p) || !p ||
	    p->base.pMethods != &part_io_methods)
		return -EINVAL;
	*in_memory = p->fd < 0;
	return part_file_size(&p->base, size) ? -errno : 0;
}
