/*
 * io.h - the library's one I/O layer.
 *
 * All file I/O of libsochdb goes through these functions so that tests can
 * observe and fail it (the fault-injection shim hooks in here). They retry
 * EINTR and short writes and report failures through struct sdb_error with
 * the file name; they never print.
 *
 * Durability rules (RELIABILITY.md): a file is published by write-temp ->
 * fsync -> rename -> fsync of the directory (sdb_atomic_*); an fsync error
 * is fatal for that write and never retried.
 */
#ifndef SDB_IO_H
#define SDB_IO_H

#include "err.h"

#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes to fd. @return 0 or SDB_EIO (name used in the message). */
int sdb_io_write_all(int fd, const void *p, size_t n, const char *name,
		     struct sdb_error *e);
/* fsync(fd). @return 0 or SDB_EIO. */
int sdb_io_fsync(int fd, const char *name, struct sdb_error *e);
/* fsyncs the directory containing path (or path itself if dir=1). */
int sdb_io_fsync_dir_of(const char *path, struct sdb_error *e);
/* rename(2) through the layer. @return 0 or SDB_EIO. */
int sdb_io_rename(const char *from, const char *to, struct sdb_error *e);

/*
 * An input: a whole file (or stdin) made addressable. A regular file is
 * mmapped (read-only, never modified); a pipe is read into memory.
 */
struct sdb_input {
	const char *data;
	size_t len;
	const char *name; /* for messages: the path, or "<stdin>" */
	int mapped;
	void *owned; /* heap copy for non-mappable inputs */
};

/* Opens path ("-" or NULL: stdin). @return 0, SDB_ENOTFOUND or SDB_EIO. */
int sdb_input_open(struct sdb_input *in, const char *path, struct sdb_error *e);
void sdb_input_close(struct sdb_input *in);

/*
 * An output file written through a temporary file in the same directory
 * and renamed over path on commit, so a failure never leaves half a file.
 */
struct sdb_atomic {
	int fd;
	char *path;
	char *tmp;
};

int sdb_atomic_open(struct sdb_atomic *a, const char *path, struct sdb_error *e);
int sdb_atomic_write(struct sdb_atomic *a, const void *p, size_t n,
		     struct sdb_error *e);
/* fsync, rename over the target, fsync the directory. Closes a. */
int sdb_atomic_commit(struct sdb_atomic *a, struct sdb_error *e);
/* Removes the temporary file and closes a (safe after commit, NULL ok). */
void sdb_atomic_abort(struct sdb_atomic *a);

#endif
