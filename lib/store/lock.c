/*
 * lock.c - inter-process locks on DIR/LOCK with Linux OFD locks
 * (F_OFD_SETLK): they belong to the open file description, so closing
 * another descriptor of the file in the same process cannot drop them (the
 * fcntl record-lock trap, RELIABILITY.md rule 6), and they vanish when the
 * process dies. Byte 0 is the writer lock, byte 1 the maintenance lock
 * (checkpoint/compaction). Waiting polls with a growing sleep up to the
 * timeout, so a waiting process gives up on time. Bytes 8..15 hold the
 * synced mark (u64 LE, see internal.h).
 */
#define _GNU_SOURCE
#include "store/internal.h"

#include "util/crc32c.h"
#include "util/io.h"
#include "util/varint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sdb_lock_open(const char *dir, int *fd, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	int rc;

	sdb_lock_path(&path, dir);
	rc = sdb_buf_ok(&path) ? sdb_io_open(path.data, O_RDWR | O_CREAT, 0666, fd, e) :
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_release(&path);
	return rc;
}

static int try_lock(int fd, int which, int type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	fl.l_start = which;
	fl.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sdb_lock_take(int fd, int which, double timeout, const char *dir,
		  struct sdb_error *e)
{
	double deadline = now_s() + timeout;
	long sleep_us = 200;

	for (;;) {
		if (try_lock(fd, which, F_WRLCK) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return sdb_error_sys(e, SDB_EIO, "cannot lock");
		if (now_s() >= deadline)
			break;
		usleep((useconds_t)sleep_us);
		if (sleep_us < 20000)
			sleep_us += sleep_us / 2;
	}
	return sdb_error_set(e, SDB_EBUSY, "database '%s' is busy: %s lock held by another process (gave up after %g s)",
			     dir, which == SDB_LOCK_WRITER ? "write" : "maintenance", timeout);
}

void sdb_lock_release(int fd, int which)
{
	if (fd >= 0)
		try_lock(fd, which, F_UNLCK);
}

/*
 * The mark is advisory and shared through the page cache between live
 * processes: it is read and written with plain pread/pwrite on the lock
 * descriptor (not through the I/O layer, whose counters and faults are
 * about data that matters; a failure here only loses precision).
 */
static uint64_t mark_decode(const unsigned char *b)
{
	return sdb_get_u32(b + 8) == sdb_crc32c(b, 8) ? sdb_get_u64(b) : 0;
}

uint64_t sdb_lock_synced(int fd)
{
	unsigned char b[12];

	if (fd < 0 || pread(fd, b, 12, 8) != 12)
		return 0;
	return mark_decode(b);
}

uint64_t sdb_lock_synced_at(const char *dir)
{
	struct sdb_buf path = SDB_BUF_INIT;
	uint64_t m;
	int fd, rc;

	sdb_lock_path(&path, dir);
	rc = !sdb_buf_ok(&path) || sdb_io_open(path.data, O_RDONLY, 0, &fd, NULL);
	sdb_buf_release(&path);
	if (rc)
		return 0;
	m = sdb_lock_synced(fd);
	sdb_io_close(fd);
	return m;
}

void sdb_lock_set_synced(int fd, uint64_t lsn)
{
	unsigned char b[12];

	if (fd < 0)
		return;
	sdb_put_u64(b, lsn);
	sdb_put_u32(b + 8, sdb_crc32c(b, 8));
	if (pwrite(fd, b, 12, 8) != 12) {
		/* ignored: see above */
	}
}

void sdb_lock_note_synced(int fd, uint64_t lsn)
{
	if (fd < 0 || sdb_lock_synced(fd) >= lsn)
		return;
	sdb_lock_set_synced(fd, lsn);
}
