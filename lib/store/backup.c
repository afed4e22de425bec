/*
 * backup.c - online backup for sochdb-wal: a consistent copy of the table
 * set (hard links, or copies with --copy or across filesystems; every
 * table's checksums checked on the way) and the WAL up to the last
 * transaction boundary, taken under the maintenance lock; and fresh
 * destinations (temp directory + rename, shared with salvage).
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ------------------------------------------------- fresh destinations */

static char *dup_path(const char *p)
{
	size_t n = strlen(p);
	char *d;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (!(d = malloc(n + 1)))
		return NULL;
	memcpy(d, p, n);
	d[n] = 0;
	return d;
}

/* realpath of p, or of its parent plus its last name when p does not
 * exist. NULL when neither resolves. */
static char *resolve(const char *p)
{
	char *r = realpath(p, NULL), *c, *slash, *pr, *out;

	if (r || errno != ENOENT || !(c = dup_path(p)))
		return r;
	slash = strrchr(c, '/');
	if (slash == c)
		pr = realpath("/", NULL);
	else if (slash) {
		*slash = 0;
		pr = realpath(c, NULL);
	} else
		pr = realpath(".", NULL);
	out = pr ? malloc(strlen(pr) + strlen(slash ? slash + 1 : c) + 2) : NULL;
	if (out)
		sprintf(out, "%s/%s", strcmp(pr, "/") ? pr : "", slash ? slash + 1 : c);
	free(pr);
	free(c);
	return out;
}

int sdb_dest_begin(struct sdb_dest *d, const char *dir, const char *dest,
		   const char *what, struct sdb_error *e)
{
	struct stat st;
	char *rd, *rt;
	int rc, inside;

	memset(d, 0, sizeof(*d));
	if (stat(dest, &st) == 0) {
		DIR *dd = S_ISDIR(st.st_mode) ? opendir(dest) : NULL;
		struct dirent *de;
		int empty = 1;
		if (!dd)
			return sdb_error_set(e, SDB_EIO, "%s destination '%s' exists and is not an empty directory", what, dest);
		while ((de = readdir(dd)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		closedir(dd);
		if (!empty)
			return sdb_error_set(e, SDB_EIO, "%s destination '%s' exists and is not empty", what, dest);
	}
	rd = realpath(dir, NULL);
	rt = resolve(dest);
	inside = rd && rt && !strncmp(rt, rd, strlen(rd)) &&
		 (rt[strlen(rd)] == '/' || rt[strlen(rd)] == 0 || !strcmp(rd, "/"));
	free(rd);
	free(rt);
	if (inside)
		return sdb_error_set(e, SDB_EUNSUPPORTED, "%s destination '%s' lies inside the database '%s'", what, dest, dir);
	d->dest = dup_path(dest);
	if (d->dest && (d->tmp = malloc(strlen(d->dest) + 32)))
		sprintf(d->tmp, "%s.tmp.%ld", d->dest, (long)getpid());
	if (!d->dest || !d->tmp) {
		sdb_dest_abort(d);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	if ((rc = sdb_io_mkdir(d->tmp, e))) {
		free(d->tmp);
		d->tmp = NULL;
		sdb_dest_abort(d);
		return rc;
	}
	return 0;
}

int sdb_dest_commit(struct sdb_dest *d, int nosync, struct sdb_error *e)
{
	int rc;

	if (!nosync && (rc = sdb_io_fsync_dir(d->tmp, e)))
		return rc;
	/* rename(2) replaces an empty directory */
	if ((rc = sdb_io_rename(d->tmp, d->dest, e)))
		return rc;
	free(d->tmp);
	d->tmp = NULL;
	return nosync ? 0 : sdb_io_fsync_dir_of(d->dest, e);
}

void sdb_dest_abort(struct sdb_dest *d)
{
	if (d->tmp) {
		DIR *dd = opendir(d->tmp);
		struct dirent *de;
		char p[4096];
		while (dd && (de = readdir(dd)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(p, sizeof(p), "%s/%s", d->tmp, de->d_name);
				sdb_io_unlink(p, NULL);
			}
		if (dd)
			closedir(dd);
		rmdir(d->tmp);
	}
	free(d->tmp);
	free(d->dest);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------- backup */

int sdb_backup(const char *dir, const char *dest, const struct sdb_opts *o,
	       int copy, struct sdb_error *e)
{
	struct sdb_db *db = NULL;
	struct sdb_dest out;
	struct sdb_buf s = SDB_BUF_INIT, d = SDB_BUF_INIT;
	uint64_t *starts = NULL, mark, expect, end;
	int n = 0, rc, first, nosync = o->sync == SDB_SYNC_OFF;

	if ((rc = sdb_db_open(dir, 0, o, &db, e)))
		return rc;
	if ((rc = sdb_dest_begin(&out, dir, dest, "backup", e))) {
		sdb_db_close(db);
		return rc;
	}
	/* the maintenance lock keeps tables and WAL from being retired */
	if ((rc = sdb_lock_open(dir, &db->lock_fd, e)))
		goto out;
	if ((rc = sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, o->lock_timeout, dir, e)))
		goto out;
	sdb_manifest_release(&db->man);
	if ((rc = sdb_manifest_read(&db->man, dir, e)))
		goto out;
	/* each table is checked on the way, so damage never spreads into a
	 * backup: the source before it is linked, the copy after it is made */
	for (size_t i = 0; i < db->man.ntables; i++) {
		sdb_table_path(&s, dir, db->man.tables[i].no);
		sdb_table_path(&d, out.tmp, db->man.tables[i].no);
		if (!sdb_buf_ok(&s) || !sdb_buf_ok(&d)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		if (!copy && !(rc = sdb_table_check(s.data, e)) && !sdb_io_link(s.data, d.data, NULL))
			continue;
		if (rc || (rc = copy_file(s.data, d.data, UINT64_MAX, nosync, e)) ||
		    (rc = sdb_table_check(d.data, e)))
			goto out;
	}
	mark = sdb_lock_synced(db->lock_fd); /* before the segments: see db.c */
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		goto out;
	for (first = 0; first < n && starts[first] < db->man.checkpoint_lsn; first++)
		;
	if ((first < n && starts[first] != db->man.checkpoint_lsn) || (first == n && db->man.checkpoint_lsn)) {
		sdb_wal_path(&d, dir, db->man.checkpoint_lsn);
		rc = sdb_error_set(e, SDB_ECORRUPT, "damaged database '%s': WAL segment '%s' of the checkpoint is missing", dir, d.data);
		goto out;
	}
	expect = end = db->man.checkpoint_lsn;
	for (int i = first; i < n; i++) {
		struct sdb_wal_seg seg;
		size_t off = 0, cut = 0;
		int in_txn = 0;
		if ((rc = sdb_wal_seg_read(&seg, dir, starts[i], i == n - 1, e)))
			goto out;
		if (seg.start != expect) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "WAL segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
					   seg.path, seg.start, expect);
			sdb_wal_seg_release(&seg);
			goto out;
		}
		if (seg.status == SDB_SEG_DAMAGED) {
			rc = sdb_wal_seg_damage(&seg, e);
			sdb_wal_seg_release(&seg);
			goto out;
		}
		expect = seg.start + seg.valid;
		end = seg.start + seg.size;
		/* up to the last transaction boundary */
		while (off < seg.valid) {
			struct sdb_wal_rec r;
			sdb_wal_decode(seg.data + off, seg.valid - off, &r);
			off += r.reclen;
			if (r.type == SDB_REC_BEGIN)
				in_txn = 1;
			else if (r.type != SDB_REC_PUT && r.type != SDB_REC_DEL && r.type != SDB_REC_DELRANGE)
				in_txn = 0;
			if (!in_txn)
				cut = off;
		}
		sdb_wal_path(&d, out.tmp, starts[i]);
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
		sdb_wal_seg_release(&seg);
		if (rc)
			goto out;
		if (in_txn)
			break; /* later segments would follow a cut transaction */
	}
	if (mark > end) {
		rc = sdb_wal_missing_end(e, dir, end, mark);
		goto out;
	}
	sdb_lock_path(&d, out.tmp);
	{
		int fd;
		if ((rc = sdb_io_open(d.data, O_WRONLY | O_CREAT, 0666, &fd, e)))
			goto out;
		sdb_io_close(fd);
	}
	if ((rc = sdb_manifest_write(&db->man, out.tmp, nosync, e)))
		goto out;
	rc = sdb_dest_commit(&out, nosync, e);
out:
	sdb_dest_abort(&out); /* nothing left at DEST on failure */
	free(starts);
	sdb_buf_release(&s);
	sdb_buf_release(&d);
	sdb_db_close(db);
	return rc;
}
