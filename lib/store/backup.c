/*
 * backup.c - online backup for sochdb-wal: a consistent copy of the table
 * set (hard links, or copies across filesystems) and the WAL up to the
 * last transaction boundary, taken under the maintenance lock.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Copies n bytes of src (or all when n == UINT64_MAX) to a new file dst,
 * fsynced. */
static int copy_file(const char *src, const char *dst, uint64_t n, int nosync,
		     struct sdb_error *e)
{
	int in = -1, out = -1, rc;
	char *buf = malloc(1 << 20);
	uint64_t off = 0;

	if (!buf)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if ((rc = sdb_io_open(src, O_RDONLY, 0, &in, e)) ||
	    (rc = sdb_io_open(dst, O_WRONLY | O_CREAT | O_EXCL, 0666, &out, e)))
		goto out;
	while (off < n) {
		size_t want = n - off < (1 << 20) ? (size_t)(n - off) : (1 << 20), got;
		if ((rc = sdb_io_pread(in, buf, want, (off_t)off, &got, src, e)))
			goto out;
		if (!got)
			break;
		if ((rc = sdb_io_write_all(out, buf, got, dst, e)))
			goto out;
		off += got;
	}
	if (!nosync)
		rc = sdb_io_fsync(out, dst, e);
out:
	sdb_io_close(in);
	sdb_io_close(out);
	free(buf);
	return rc;
}

int sdb_backup(const char *dir, const char *dest, const struct sdb_opts *o,
	       struct sdb_error *e)
{
	struct sdb_db *db = NULL;
	struct sdb_buf s = SDB_BUF_INIT, d = SDB_BUF_INIT;
	uint64_t *starts = NULL;
	int n = 0, rc, nosync = o->sync == SDB_SYNC_OFF;
	struct stat st;

	if (stat(dest, &st) == 0) {
		DIR *dd = opendir(dest);
		struct dirent *de;
		int empty = 1;
		if (!dd)
			return sdb_error_set(e, SDB_EIO, "backup destination '%s' exists and is not an empty directory", dest);
		while ((de = readdir(dd)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		closedir(dd);
		if (!empty)
			return sdb_error_set(e, SDB_EIO, "backup destination '%s' exists and is not empty", dest);
	} else if ((rc = sdb_io_mkdir(dest, e)))
		return rc;
	if ((rc = sdb_db_open(dir, 0, o, &db, e)))
		return rc;
	/* the maintenance lock keeps tables and WAL from being retired */
	if ((rc = sdb_lock_open(dir, &db->lock_fd, e)))
		goto out;
	if ((rc = sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, o->lock_timeout, dir, e)))
		goto out;
	sdb_manifest_free(&db->man);
	if ((rc = sdb_manifest_read(&db->man, dir, e)))
		goto out;
	for (size_t i = 0; i < db->man.ntables; i++) {
		sdb_table_path(&s, dir, db->man.tables[i].no);
		sdb_table_path(&d, dest, db->man.tables[i].no);
		if (sdb_io_link(s.data, d.data, NULL) &&
		    (rc = copy_file(s.data, d.data, UINT64_MAX, nosync, e)))
			goto out;
	}
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		goto out;
	for (int i = 0; i < n; i++) {
		struct sdb_wal_seg seg;
		size_t off = 0, cut = 0;
		int in_txn = 0;
		if (starts[i] < db->man.checkpoint_lsn)
			continue;
		if ((rc = sdb_wal_seg_read(&seg, dir, starts[i], i == n - 1, e)))
			goto out;
		if (seg.status == SDB_SEG_DAMAGED) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu", seg.path, seg.bad_off);
			sdb_wal_seg_free(&seg);
			goto out;
		}
		/* up to the last transaction boundary */
		while (off < seg.valid) {
			struct sdb_wal_rec r;
			sdb_wal_decode(seg.data + off, seg.valid - off, &r);
			off += r.reclen;
			if (r.type == SDB_REC_BEGIN)
				in_txn = 1;
			else if (r.type != SDB_REC_PUT && r.type != SDB_REC_DEL)
				in_txn = 0;
			if (!in_txn)
				cut = off;
		}
		sdb_wal_path(&d, dest, starts[i]);
		{
			int fd;
			rc = sdb_io_open(d.data, O_WRONLY | O_CREAT | O_EXCL, 0666, &fd, e);
			if (!rc) {
				rc = sdb_io_write_all(fd, seg.data, cut, d.data, e);
				if (!rc && !nosync)
					rc = sdb_io_fsync(fd, d.data, e);
				sdb_io_close(fd);
			}
		}
		sdb_wal_seg_free(&seg);
		if (rc)
			goto out;
		if (in_txn)
			break; /* later segments would follow a cut transaction */
	}
	sdb_buf_reset(&d);
	sdb_buf_addf(&d, "%s/LOCK", dest);
	{
		int fd;
		if ((rc = sdb_io_open(d.data, O_WRONLY | O_CREAT, 0666, &fd, e)))
			goto out;
		sdb_io_close(fd);
	}
	if ((rc = sdb_manifest_write(&db->man, dest, nosync, e)))
		goto out;
	if (!nosync)
		rc = sdb_io_fsync_dir(dest, e);
out:
	free(starts);
	sdb_buf_release(&s);
	sdb_buf_release(&d);
	sdb_db_close(db);
	return rc;
}
