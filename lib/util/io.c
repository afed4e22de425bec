/* io.c - the library's I/O layer (see io.h). */
#define _GNU_SOURCE
#include "util/io.h"
#include "util/array.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

sdb_io_hook_fn sdb_io_hook;
long sdb_io_calls[SDB_IO_NKINDS];

#ifdef SDB_IO_TRACE
sdb_io_trace_fn sdb_io_trace;

/* Reports one successful call to the recording shim (test builds). */
static void trace(enum sdb_io_kind kind, int fd, int flags, int dir,
		  const char *path, const char *path2, const void *data,
		  size_t len, long long off)
{
	struct sdb_io_event ev = { kind, fd, flags, dir, path, path2, data, len, off };

	if (sdb_io_trace)
		sdb_io_trace(&ev);
}
#define TRACE(...) trace(__VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

static const char *const kind_names[SDB_IO_NKINDS] = {
	"write", "fsync", "rename", "open", "unlink", "ftruncate", "mkdir", "link"
};
static struct {
	int kind;
	long k;
	int err;
	int persist;
} env_fault = { -1, 0, 0, 0 };
static int env_parsed;

static int env_hook(enum sdb_io_kind kind, const char *name)
{
	(void)name;
	if ((int)kind != env_fault.kind)
		return 0;
	if (sdb_io_calls[kind] == env_fault.k ||
	    (env_fault.persist && sdb_io_calls[kind] > env_fault.k))
		return env_fault.err;
	return 0;
}

static void parse_env(void)
{
	const char *s = getenv("SDB_IO_FAULT");
	char kind[32], err[32], persist[32] = "";
	long k;

	env_parsed = 1;
	if (!s || sscanf(s, "%31[a-z]:%ld:%31[A-Z0-9]:%31s", kind, &k, err, persist) < 3)
		return;
	for (int i = 0; i < SDB_IO_NKINDS; i++)
		if (!strcmp(kind, kind_names[i]))
			env_fault.kind = i;
	env_fault.k = k;
	env_fault.persist = !strcmp(persist, "persist");
	if (!strcmp(err, "ENOSPC"))
		env_fault.err = ENOSPC;
	else if (!strcmp(err, "EIO"))
		env_fault.err = EIO;
	else if (!strcmp(err, "EDQUOT"))
		env_fault.err = EDQUOT;
	else if (!strcmp(err, "EROFS"))
		env_fault.err = EROFS;
	else
		env_fault.err = atoi(err) > 0 ? atoi(err) : EIO;
	if (env_fault.kind >= 0 && !sdb_io_hook)
		sdb_io_hook = env_hook;
}

/* Counts the call and asks the hook; sets errno and returns -1 to fail. */
static inline int faulted(enum sdb_io_kind kind, const char *name)
{
	int err;

	if (__builtin_expect(!env_parsed, 0))
		parse_env();
	sdb_io_calls[kind]++;
	if (__builtin_expect(sdb_io_hook == NULL, 1))
		return 0;
	err = sdb_io_hook(kind, name);
	if (!err)
		return 0;
	errno = err;
	return -1;
}

int sdb_io_open(const char *path, int flags, int mode, int *fd,
		struct sdb_error *e)
{
	int f;

	if (!path) /* the caller ran out of memory building it */
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (faulted(SDB_IO_OPEN, path))
		f = -1;
	else
		do
			f = open(path, flags | O_CLOEXEC, mode);
		while (f < 0 && errno == EINTR);
	if (f < 0)
		return sdb_error_sys(e, errno == ENOENT ? SDB_ENOTFOUND : SDB_EIO,
				     "cannot open '%s'", path);
	TRACE(SDB_IO_OPEN, f, flags, 0, path, NULL, NULL, 0, 0);
	*fd = f;
	return 0;
}

void sdb_io_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int sdb_io_pwrite_all(int fd, const void *p, size_t n, off_t off,
		      const char *name, struct sdb_error *e)
{
	const char *c = p;
#ifdef SDB_IO_TRACE
	size_t n0 = n;
	off_t off0 = off;
#endif

	if (faulted(SDB_IO_WRITE, name))
		return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", name);
	while (n > 0) {
		ssize_t w = pwrite(fd, c, n > (1u << 30) ? (1u << 30) : n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", name);
		}
		c += w;
		off += w;
		n -= (size_t)w;
	}
	TRACE(SDB_IO_WRITE, fd, 0, 0, name, NULL, p, n0, (long long)off0);
	return 0;
}

int sdb_io_pread(int fd, void *p, size_t n, off_t off, size_t *got,
		 const char *name, struct sdb_error *e)
{
	char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, c + done, n - done, off + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sdb_error_sys(e, SDB_EIO, "cannot read '%s'", name);
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int sdb_io_fdatasync(int fd, const char *name, struct sdb_error *e)
{
	if (faulted(SDB_IO_FSYNC, name) || fdatasync(fd) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot sync '%s'", name);
	TRACE(SDB_IO_FSYNC, fd, 0, 0, name, NULL, NULL, 0, 0);
	return 0;
}

void sdb_io_writeback(int fd, off_t off, off_t len)
{
	(void)sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
}

int sdb_io_fsync_dir(const char *dir, struct sdb_error *e)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot open directory '%s'", dir);
	if (faulted(SDB_IO_FSYNC, dir) || fsync(fd) < 0)
		rc = sdb_error_sys(e, SDB_EIO, "cannot sync directory '%s'", dir);
	else
		TRACE(SDB_IO_FSYNC, -1, 0, 1, dir, NULL, NULL, 0, 0);
	close(fd);
	return rc;
}

/* An unnamed temporary file in dir: O_TMPFILE, else a name unlinked at once. */
static int tmpfile_in(const char *dir, int *fd)
{
	struct sdb_error ign;
	char path[PATH_MAX];
	int f;

	if (!sdb_io_open(dir, O_RDWR | O_TMPFILE, 0600, fd, &ign))
		return 0;
	if ((size_t)snprintf(path, sizeof path, "%s/.sochdb-tmp-XXXXXX", dir) >= sizeof path)
		return -1;
	if ((f = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	unlink(path);
	*fd = f;
	return 0;
}

int sdb_io_tmpfile(const char *dir, const char *what, int *fd, struct sdb_error *e)
{
	const char *t = getenv("TMPDIR");

	if (t && !*t)
		t = NULL;
	if (dir && !tmpfile_in(dir, fd))
		return 0;
	if (t && !tmpfile_in(t, fd))
		return 0;
	if (!tmpfile_in("/tmp", fd))
		return 0;
	return sdb_error_sys(e, SDB_EIO, "cannot create a %s in '%s'", what,
			     dir ? dir : t ? t : "/tmp");
}

int sdb_io_unlink(const char *path, struct sdb_error *e)
{
	if (!path) /* the caller ran out of memory building it */
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (faulted(SDB_IO_UNLINK, path) || (unlink(path) < 0 && errno != ENOENT))
		return sdb_error_sys(e, SDB_EIO, "cannot remove '%s'", path);
	TRACE(SDB_IO_UNLINK, -1, 0, 0, path, NULL, NULL, 0, 0);
	return 0;
}

int sdb_io_ftruncate(int fd, off_t len, const char *name, struct sdb_error *e)
{
	if (faulted(SDB_IO_FTRUNCATE, name) || ftruncate(fd, len) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot truncate '%s'", name);
	TRACE(SDB_IO_FTRUNCATE, fd, 0, 0, name, NULL, NULL, 0, (long long)len);
	return 0;
}

int sdb_io_link(const char *from, const char *to, struct sdb_error *e)
{
	if (faulted(SDB_IO_LINK, to) || link(from, to) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot link '%s' to '%s'", to, from);
	return 0;
}

int sdb_io_mkdir(const char *path, struct sdb_error *e)
{
	if (faulted(SDB_IO_MKDIR, path) || (mkdir(path, 0777) < 0 && errno != EEXIST))
		return sdb_error_sys(e, SDB_EIO, "cannot create directory '%s'", path);
	TRACE(SDB_IO_MKDIR, -1, 0, 0, path, NULL, NULL, 0, 0);
	return 0;
}

int sdb_io_write_all(int fd, const void *p, size_t n, const char *name,
		     struct sdb_error *e)
{
	const char *c = p;
#ifdef SDB_IO_TRACE
	size_t n0 = n;
	off_t off0 = lseek(fd, 0, SEEK_CUR);
#endif

	if (faulted(SDB_IO_WRITE, name))
		return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", name);
	while (n > 0) {
		ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", name);
		}
		c += w;
		n -= (size_t)w;
	}
	TRACE(SDB_IO_WRITE, fd, 0, 0, name, NULL, p, n0, (long long)off0);
	return 0;
}

int sdb_io_fsync(int fd, const char *name, struct sdb_error *e)
{
	if (faulted(SDB_IO_FSYNC, name) || fsync(fd) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot sync '%s'", name);
	TRACE(SDB_IO_FSYNC, fd, 0, 0, name, NULL, NULL, 0, 0);
	return 0;
}

int sdb_io_fsync_dir_of(const char *path, struct sdb_error *e)
{
	char *dir = strdup(path);
	char *slash;
	int fd, rc = 0;

	if (!dir)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = sdb_error_sys(e, SDB_EIO, "cannot open directory '%s'", dir);
	else {
		if (faulted(SDB_IO_FSYNC, dir) || fsync(fd) < 0)
			rc = sdb_error_sys(e, SDB_EIO, "cannot sync directory '%s'", dir);
		else
			TRACE(SDB_IO_FSYNC, -1, 0, 1, dir, NULL, NULL, 0, 0);
		close(fd);
	}
	free(dir);
	return rc;
}

int sdb_io_rename(const char *from, const char *to, struct sdb_error *e)
{
	if (faulted(SDB_IO_RENAME, to) || rename(from, to) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot rename '%s' to '%s'", from, to);
	TRACE(SDB_IO_RENAME, -1, 0, 0, from, to, NULL, 0, 0);
	return 0;
}

int sdb_input_open(struct sdb_input *in, const char *path, struct sdb_error *e)
{
	int fd, is_stdin = !path || !strcmp(path, "-");
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	in->name = is_stdin ? "<stdin>" : path;
	if (is_stdin)
		fd = 0;
	else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return sdb_error_sys(e, errno == ENOENT ? SDB_ENOTFOUND : SDB_EIO,
					     "cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", in->name);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		rc = sdb_error_sys(e, SDB_EIO, "cannot read '%s'", in->name);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && !is_stdin) {
		if (st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				rc = sdb_error_sys(e, SDB_EIO, "cannot map '%s'", in->name);
				goto fail;
			}
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			in->data = m;
			in->len = (size_t)st.st_size;
			in->mapped = 1;
		} else
			in->data = "";
		close(fd);
		return 0;
	}
	if (S_ISREG(st.st_mode) && is_stdin) {
		/* `tool < file`: map the remainder from the current offset. */
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if (pos >= 0 && pos == 0 && st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m != MAP_FAILED) {
				madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
				in->data = m;
				in->len = (size_t)st.st_size;
				in->mapped = 1;
				return 0;
			}
		}
	}
	for (;;) {
		ssize_t r;
		/* room for 64 KiB more and the terminating NUL */
		if (sdb_grow((void **)&buf, &cap, len + 65536 + 1, 1, 1 << 20)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory reading '%s'", in->name);
			goto fail;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = sdb_error_sys(e, SDB_EIO, "cannot read '%s'", in->name);
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	in->data = buf;
	in->len = len;
	in->owned = buf;
	if (!is_stdin)
		close(fd);
	return 0;
fail:
	free(buf);
	if (!is_stdin)
		close(fd);
	return rc;
}

void sdb_input_close(struct sdb_input *in)
{
	if (!in)
		return;
	if (in->mapped)
		munmap((void *)in->data, in->len);
	free(in->owned);
	memset(in, 0, sizeof(*in));
}

/* The temporary files of the outputs under way, for a signal handler: a
 * slot is filled before it is marked used and unmarked before reuse. */
#define PENDING_SLOTS 4
static char pending[PENDING_SLOTS][PATH_MAX];
static volatile sig_atomic_t pending_used[PENDING_SLOTS];

static int pending_add(const char *tmp)
{
	size_t n = strlen(tmp);

	if (n >= PATH_MAX)
		return -1;
	for (int i = 0; i < PENDING_SLOTS; i++) {
		if (pending_used[i])
			continue;
		memcpy(pending[i], tmp, n + 1);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		pending_used[i] = 1;
		return i;
	}
	return -1;
}

static void pending_drop(int slot)
{
	if (slot >= 0)
		pending_used[slot] = 0;
}

void sdb_atomic_unlink_pending(void)
{
	for (int i = 0; i < PENDING_SLOTS; i++)
		if (pending_used[i])
			unlink(pending[i]);
}

/*
 * The file an output path names: a symlink is followed to its target (a
 * relative target is taken from the link's directory), so replacing the
 * output replaces the target and the link stays. @return a malloc'd path,
 * or NULL when out of memory.
 */
static char *follow_links(const char *path)
{
	char *cur = strdup(path);

	for (int hops = 0; cur && hops < 40; hops++) {
		struct stat st;
		char target[4096], *next, *slash;
		ssize_t n;
		if (lstat(cur, &st) || !S_ISLNK(st.st_mode))
			break;
		n = readlink(cur, target, sizeof(target) - 1);
		if (n <= 0)
			break;
		target[n] = 0;
		slash = strrchr(cur, '/');
		if (target[0] == '/' || !slash) {
			next = strdup(target);
		} else {
			size_t dl = (size_t)(slash - cur) + 1;
			next = malloc(dl + (size_t)n + 1);
			if (next) {
				memcpy(next, cur, dl);
				memcpy(next + dl, target, (size_t)n + 1);
			}
		}
		free(cur);
		cur = next;
	}
	return cur;
}

int sdb_atomic_open(struct sdb_atomic *a, const char *path, struct sdb_error *e)
{
	struct stat old;
	int had_old;
	size_t n;

	a->fd = -1;
	a->nosync = 0;
	a->slot = -1;
	a->tmp = NULL;
	a->path = follow_links(path);
	if (!a->path) {
		sdb_atomic_abort(a);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	path = a->path;
	n = strlen(path);
	had_old = stat(path, &old) == 0 && S_ISREG(old.st_mode);
	a->tmp = malloc(n + 16);
	if (!a->tmp) {
		sdb_atomic_abort(a);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	memcpy(a->tmp, path, n);
	memcpy(a->tmp + n, ".tmp.XXXXXX", 12);
	a->fd = faulted(SDB_IO_OPEN, path) ? -1 : mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		int rc = sdb_error_sys(e, SDB_EIO, "cannot create '%s'", path);
		free(a->tmp);
		a->tmp = NULL;
		sdb_atomic_abort(a);
		return rc;
	}
	TRACE(SDB_IO_OPEN, a->fd, O_RDWR | O_CREAT | O_EXCL, 0, a->tmp, NULL, NULL, 0, 0);
	a->slot = pending_add(a->tmp);
	if (had_old) {
		/* replacing a file keeps its mode (and owner, where allowed) */
		fchmod(a->fd, old.st_mode & 07777);
		if (fchown(a->fd, old.st_uid, old.st_gid)) {
			/* not permitted: the replacement is ours, as a new file */
		}
	} else {
		/* mkstemp gives 0600; new outputs are ordinary files under the umask */
		mode_t m = umask(0);
		umask(m);
		fchmod(a->fd, 0666 & ~m);
	}
	return 0;
}

int sdb_atomic_write(struct sdb_atomic *a, const void *p, size_t n,
		     struct sdb_error *e)
{
	return sdb_io_write_all(a->fd, p, n, a->path, e);
}

int sdb_atomic_commit(struct sdb_atomic *a, struct sdb_error *e)
{
	int rc = a->nosync ? 0 : sdb_io_fsync(a->fd, a->path, e);

	if (!rc && close(a->fd) < 0)
		rc = sdb_error_sys(e, SDB_EIO, "cannot close '%s'", a->path);
	else if (rc)
		close(a->fd);
	a->fd = -1;
	if (!rc)
		rc = sdb_io_rename(a->tmp, a->path, e);
	if (!rc && !a->nosync)
		rc = sdb_io_fsync_dir_of(a->path, e);
	if (rc) {
		sdb_atomic_abort(a);
		return rc;
	}
	free(a->tmp);
	a->tmp = NULL;
	sdb_atomic_abort(a);
	return 0;
}

void sdb_atomic_abort(struct sdb_atomic *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp)
		sdb_io_unlink(a->tmp, NULL);
	pending_drop(a->slot);
	a->slot = -1;
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
}
