/*
 * damage.c - the damage mark DIR/DAMAGE (doc/FORMAT.md): a lock holder
 * that meets a damaged table records it, and every writer refuses while
 * the mark is there (issue 9 B2: a writer never acknowledges a write into
 * a database it cannot read back; it cannot afford to read every table
 * per put, so the first process that finds the damage remembers it).
 *
 * Written by temp + rename (sdb_atomic_*), so a crash leaves either no
 * mark or a whole one (a left temp file is swept like any other). Readers
 * never write it. Only `sochdb-wal recover` removes it, after every table
 * checks out again; `salvage` builds a fresh database without it.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/crc32c.h"
#include "util/io.h"
#include "util/varint.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "SDBDAMG1"
#define HDR 20      /* magic, offset u64, text length u32 */
#define MAX_TEXT 1024

static const char table_prefix[] = SDB_TABLE_DAMAGE_PREFIX;

int sdb_damage_read(const char *dir, struct sdb_damage *d, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	unsigned char b[HDR + MAX_TEXT + 4];
	size_t got = 0, n;
	int fd, rc;

	memset(d, 0, sizeof(*d));
	sdb_damage_path(&path, dir);
	if (!sdb_buf_ok(&path))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_io_open(path.data, O_RDONLY, 0, &fd, e);
	if (rc == SDB_ENOTFOUND) {
		sdb_buf_release(&path);
		if (e)
			sdb_error_clear(e);
		return 0;
	}
	if (rc) {
		sdb_buf_release(&path);
		return rc;
	}
	rc = sdb_io_pread(fd, b, sizeof(b), 0, &got, path.data, e);
	sdb_io_close(fd);
	sdb_buf_release(&path);
	if (rc)
		return rc;
	/* a mark that does not check out still says "damage": fail safe */
	n = got >= HDR ? sdb_get_u32(b + 16) : 0;
	if (got < HDR + 4 || memcmp(b, MAGIC, 8) || n > MAX_TEXT || got != HDR + n + 4 ||
	    sdb_get_u32(b + HDR + n) != sdb_crc32c(b, HDR + n)) {
		snprintf(d->what, sizeof(d->what), "damage mark in '%s/DAMAGE' (unreadable)", dir);
		return 1;
	}
	d->offset = sdb_get_u64(b + 8);
	memcpy(d->what, b + HDR, n);
	d->what[n] = 0;
	return 1;
}

int sdb_damage_write(const char *dir, int nosync, const char *what,
		     uint64_t off, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	unsigned char b[HDR + MAX_TEXT + 4];
	size_t n = strlen(what);
	struct sdb_atomic a;
	int rc;

	if (n > MAX_TEXT)
		n = MAX_TEXT;
	memcpy(b, MAGIC, 8);
	sdb_put_u64(b + 8, off);
	sdb_put_u32(b + 16, (uint32_t)n);
	memcpy(b + HDR, what, n);
	sdb_put_u32(b + HDR + n, sdb_crc32c(b, HDR + n));
	sdb_damage_path(&path, dir);
	if (!sdb_buf_ok(&path))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_atomic_open(&a, path.data, e);
	if (!rc) {
		a.nosync = nosync;
		rc = sdb_atomic_write(&a, b, HDR + n + 4, e);
		if (!rc)
			rc = sdb_atomic_commit(&a, e);
		else
			sdb_atomic_abort(&a);
	}
	sdb_buf_release(&path);
	return rc;
}

int sdb_damage_clear(const char *dir, int nosync, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	struct stat st;
	int rc = 0;

	sdb_damage_path(&path, dir);
	if (!sdb_buf_ok(&path))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (lstat(path.data, &st) == 0) {
		rc = sdb_io_unlink(path.data, e);
		if (!rc && !nosync)
			rc = sdb_io_fsync_dir(dir, e);
	}
	sdb_buf_release(&path);
	return rc;
}

int sdb_damage_is_table(int rc, const struct sdb_error *e)
{
	return rc == SDB_ECORRUPT && e && !strncmp(e->msg, table_prefix, sizeof(table_prefix) - 1);
}

int sdb_damage_note(const char *dir, int nosync, int rc, struct sdb_error *e)
{
	if (!sdb_damage_is_table(rc, e))
		return rc;
	/* best effort: the caller fails with the damage either way, and
	 * whoever meets it next records it */
	sdb_damage_write(dir, nosync, e->msg, e->offset >= 0 ? (uint64_t)e->offset : 0, NULL);
	return rc;
}

int sdb_damage_refuse(const char *dir, struct sdb_error *e)
{
	struct sdb_damage d;
	int rc = sdb_damage_read(dir, &d, e);

	if (rc <= 0)
		return rc;
	sdb_error_set(e, SDB_ECORRUPT, "%s (recorded in '%s/DAMAGE')", d.what, dir);
	return sdb_db_refuse(e);
}

int sdb_damage_check_tables(struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < db->man.ntables && !rc; i++) {
		sdb_table_path(&path, db->dir, db->man.tables[i].no);
		rc = sdb_table_check_head(sdb_buf_ok(&path) ? path.data : NULL, e);
		if (rc == SDB_ENOTFOUND)
			rc = 0; /* retired by a compaction since our manifest */
	}
	sdb_buf_release(&path);
	if (sdb_damage_is_table(rc, e)) {
		sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e);
		return sdb_db_refuse(e);
	}
	return rc;
}

int sdb_table_check(const char *path, struct sdb_error *e)
{
	struct sdb_table *t;
	int rc;

	if ((rc = sdb_table_open(&t, path, e)))
		return rc;
	rc = sdb_table_verify(t, e);
	sdb_table_close(t);
	return rc;
}
