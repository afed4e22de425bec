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

#include "util/err.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * Every operation below first asks the fault hook (when one is installed)
 * whether it should fail: the fault-injection shim of the durability
 * harness, and the cheap environment hook used by the bats suites:
 *
 *   SDB_IO_FAULT=KIND:K:ERRNO[:persist]   e.g. write:3:ENOSPC, fsync:1:EIO
 *
 * fails the K-th call of KIND (write, fsync, rename, open, unlink,
 * ftruncate, mkdir, link) with ERRNO (ENOSPC, EIO, EDQUOT, EROFS or a number),
 * once, or every call from the K-th on with ":persist". Counting is per
 * process. Unset costs one predictable branch per call.
 */
enum sdb_io_kind {
	SDB_IO_WRITE, SDB_IO_FSYNC, SDB_IO_RENAME, SDB_IO_OPEN, SDB_IO_UNLINK,
	SDB_IO_FTRUNCATE, SDB_IO_MKDIR, SDB_IO_LINK, SDB_IO_NKINDS
};
/* Returns 0 to let the call proceed or an errno to fail it with. */
typedef int (*sdb_io_hook_fn)(enum sdb_io_kind kind, const char *name);
extern sdb_io_hook_fn sdb_io_hook;
/* Number of calls of each kind made so far (for tests). */
extern long sdb_io_calls[SDB_IO_NKINDS];

#ifdef SDB_IO_TRACE
/*
 * Recording shim of test builds (compiled with -DSDB_IO_TRACE; release
 * builds have none of it). When sdb_io_trace is set, every successful
 * mutating call of the layer is reported after it returns, in program
 * order: the durability harness (t/durable/) rebuilds crash states from
 * these events. Descriptors are reported with the path they were opened
 * with (SDB_IO_OPEN events carry both).
 *   OPEN      path, fd, flags (O_CREAT/O_TRUNC/O_EXCL as given)
 *   WRITE     fd, off (the file position written at), data, len
 *   FSYNC     fd (file: fsync or fdatasync), or path with dir=1
 *   RENAME    path -> path2
 *   UNLINK    path (also when it did not exist)
 *   FTRUNCATE fd, off (the new length)
 *   MKDIR     path
 */
struct sdb_io_event {
	enum sdb_io_kind kind;
	int fd;
	int flags;
	int dir;
	const char *path, *path2;
	const void *data;
	size_t len;
	long long off;
};
typedef void (*sdb_io_trace_fn)(const struct sdb_io_event *ev);
extern sdb_io_trace_fn sdb_io_trace;
#endif

/*
 * open(2) through the layer: flags as for open; ENOENT gives
 * SDB_ENOTFOUND, other failures SDB_EIO. @return 0 and *fd, or the code.
 */
int sdb_io_open(const char *path, int flags, int mode, int *fd,
		struct sdb_error *e);
/* close(2); errors of a read-only descriptor are ignored. */
void sdb_io_close(int fd);
/* pwrite all n bytes at off. @return 0 or SDB_EIO. */
int sdb_io_pwrite_all(int fd, const void *p, size_t n, off_t off,
		      const char *name, struct sdb_error *e);
/* pread up to n bytes at off into p; *got is what was read (short only at
 * end of file). @return 0 or SDB_EIO. */
int sdb_io_pread(int fd, void *p, size_t n, off_t off, size_t *got,
		 const char *name, struct sdb_error *e);
/* fdatasync(fd): data and the size, not other metadata. @return 0 or SDB_EIO. */
int sdb_io_fdatasync(int fd, const char *name, struct sdb_error *e);
/* Starts writeback of [off, off+len) without waiting (sync_file_range
 * SYNC_FILE_RANGE_WRITE): a hint that lets a later fsync of a big file
 * finish sooner. Not a durability point; errors are ignored. */
void sdb_io_writeback(int fd, off_t off, off_t len);
/* fsyncs the directory dir itself. @return 0 or SDB_EIO. */
int sdb_io_fsync_dir(const char *dir, struct sdb_error *e);
/* unlink(2); a missing file is not an error. @return 0 or SDB_EIO. */
int sdb_io_unlink(const char *path, struct sdb_error *e);
/* A temporary file with no name (O_TMPFILE, else mkstemp + unlink at
 * once: nothing is left behind, whatever happens to the process) for a
 * spill: in dir (NULL: none) when it takes one, else in $TMPDIR, else in
 * /tmp. what names the file in the error ("cannot create a WHAT in
 * 'DIR'", the first directory tried). @return 0 and *fd, or SDB_EIO. */
int sdb_io_tmpfile(const char *dir, const char *what, int *fd, struct sdb_error *e);
/* ftruncate(2). @return 0 or SDB_EIO. */
int sdb_io_ftruncate(int fd, off_t len, const char *name, struct sdb_error *e);
/* link(2): a hard link `to` of `from`. @return 0 or SDB_EIO (errno kept
 * in e->sys_errno, e.g. EXDEV across file systems). */
int sdb_io_link(const char *from, const char *to, struct sdb_error *e);
/* mkdir(2) with mode 0777 (umask applies); an existing directory is fine. */
int sdb_io_mkdir(const char *path, struct sdb_error *e);

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
 * A symlink at path is followed: its target is what gets replaced (the
 * link stays). Replacing an existing file keeps its mode (and its owner
 * where the process may set it); a new file gets 0666 less the umask.
 */
struct sdb_atomic {
	int fd;
	int nosync; /* set after open to skip both fsyncs (--sync off) */
	char *path;
	char *tmp;
	int slot; /* in the registry of pending temporary files, or -1 */
};

int sdb_atomic_open(struct sdb_atomic *a, const char *path, struct sdb_error *e);
int sdb_atomic_write(struct sdb_atomic *a, const void *p, size_t n,
		     struct sdb_error *e);
/* fsync, rename over the target, fsync the directory. Closes a. */
int sdb_atomic_commit(struct sdb_atomic *a, struct sdb_error *e);
/* Removes the temporary file and closes a (safe after commit, NULL ok). */
void sdb_atomic_abort(struct sdb_atomic *a);
/*
 * Removes the temporary files of the atomic outputs not yet committed or
 * aborted. Async-signal-safe: for a SIGINT/SIGTERM handler in cmd/.
 */
void sdb_atomic_unlink_pending(void);

#endif
