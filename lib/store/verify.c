/*
 * verify.c - whole-database checks and WAL maintenance for sochdb-wal:
 * verify, WAL walk (dump/stats), recover, truncate and backup.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/io.h"
#include "util/varint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void damage(struct sdb_verify *v, const char *file, uint64_t off,
		   const char *what)
{
	if (v->damaged)
		return;
	v->damaged = 1;
	snprintf(v->file, sizeof(v->file), "%s", file);
	v->offset = off;
	snprintf(v->what, sizeof(v->what), "%s", what);
}

int sdb_verify(const char *dir, struct sdb_verify *v, struct sdb_error *e)
{
	struct sdb_manifest m;
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_error sub;
	uint64_t *starts = NULL, expect;
	int n = 0, rc, first;
	struct stat st;

	memset(v, 0, sizeof(*v));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	sdb_error_clear(&sub);
	sdb_buf_addf(&path, "%s/MANIFEST", dir);
	rc = sdb_manifest_read(&m, dir, &sub);
	if (rc == SDB_ENOTFOUND) {
		sdb_buf_release(&path);
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	}
	if (rc == SDB_EVERSION) {
		sdb_buf_release(&path);
		*e = sub;
		return rc;
	}
	if (rc) {
		damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, "manifest damaged");
		sdb_buf_release(&path);
		return 0;
	}
	for (size_t i = 0; i < m.ntables && !v->damaged; i++) {
		struct sdb_table *t;
		sdb_table_path(&path, dir, m.tables[i].no);
		sdb_error_clear(&sub);
		rc = sdb_table_open(&t, path.data, &sub);
		if (rc == SDB_ENOTFOUND) {
			damage(v, path.data, 0, "table named by the manifest is missing");
			break;
		}
		if (rc) {
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, sub.msg);
			break;
		}
		if (t->size != m.tables[i].size)
			damage(v, path.data, t->size, "file size differs from the manifest");
		else if ((rc = sdb_table_verify(t, &sub)))
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, sub.msg);
		v->tables++;
		v->table_bytes += t->size;
		sdb_table_close(t);
	}
	rc = 0;
	if (!v->damaged)
		rc = sdb_wal_list(dir, &starts, &n, e);
	for (first = 0; first < n && starts[first] < m.checkpoint_lsn; first++)
		;
	if (!rc && !v->damaged && first < n && starts[first] != m.checkpoint_lsn) {
		sdb_wal_path(&path, dir, m.checkpoint_lsn);
		damage(v, path.data, 0, "the WAL segment of the checkpoint is missing");
	}
	expect = m.checkpoint_lsn;
	for (int i = first; !rc && i < n && !v->damaged; i++) {
		struct sdb_wal_seg s;
		struct sdb_wal_rec r;
		size_t off = 0;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[i], i == n - 1, e)))
			break;
		v->segments++;
		v->wal_bytes += s.valid;
		if (s.start != expect)
			damage(v, s.path, 0, "WAL segment does not start where the previous one ends");
		else if (s.status == SDB_SEG_DAMAGED || s.status == SDB_SEG_TAILDAMAGE)
			damage(v, s.path, s.bad_off, "WAL record checksum mismatch");
		else if (s.status == SDB_SEG_INFLIGHT)
			v->inflight = 1; /* may be being appended: not damage */
		expect = s.start + s.valid;
		while (off < s.valid && !sdb_wal_decode(s.data + off, s.valid - off, &r)) {
			struct sdb_wal_op op;
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL) && sdb_wal_op_decode(&r, &op)) {
				damage(v, s.path, off, "malformed WAL record");
				break;
			}
			v->records++;
			off += r.reclen;
		}
		sdb_wal_seg_free(&s);
	}
	free(starts);
	sdb_manifest_free(&m);
	sdb_buf_release(&path);
	return v->damaged ? 0 : rc;
}

int sdb_wal_walk(const char *dir, uint64_t from, const struct sdb_opts *o,
		 sdb_wal_walk_fn cb, void *ctx, struct sdb_error *e)
{
	uint64_t *starts = NULL;
	int n, rc;
	struct stat st;

	{
		char mp[4096];
		snprintf(mp, sizeof(mp), "%s/MANIFEST", dir);
		if (stat(mp, &st) < 0)
			return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	}
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		struct sdb_wal_seg s;
		size_t off = 0;
		if (i + 1 < n && starts[i + 1] <= from)
			continue;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[i], i == n - 1, e)))
			break;
		if (s.status == SDB_SEG_DAMAGED) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu", s.path, s.bad_off);
			sdb_wal_seg_free(&s);
			break;
		}
		if (s.status == SDB_SEG_TAILDAMAGE)
			sdb_db_warn(o, "damaged WAL tail in '%s' at offset %zu (LSN %" PRIu64 "): ignoring %zu bytes",
				    s.path, s.bad_off, s.start + s.bad_off, s.size - s.valid);
		while (off < s.valid && !rc) {
			struct sdb_wal_rec r;
			struct sdb_wal_entry x;
			struct sdb_wal_op op;
			sdb_wal_decode(s.data + off, s.valid - off, &r);
			memset(&x, 0, sizeof(x));
			x.lsn = s.start + off;
			x.type = r.type;
			x.reclen = r.reclen;
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL) && !sdb_wal_op_decode(&r, &op)) {
				x.key = op.key;
				x.klen = op.klen;
				x.val = op.val;
				x.vlen = op.vlen;
				x.expires_ms = op.expires_ms;
			} else if (r.type == SDB_REC_COMMIT && r.len >= 4)
				x.info = sdb_get_u32(r.payload);
			else if (r.type == SDB_REC_CHECKPOINT && r.len >= 8)
				x.info = sdb_get_u64(r.payload);
			if (x.lsn >= from)
				rc = cb(ctx, &x);
			off += r.reclen;
		}
		sdb_wal_seg_free(&s);
	}
	free(starts);
	return rc;
}

int sdb_recover(const char *dir, const struct sdb_opts *o, int dry_run,
		struct sdb_recover_report *rep, struct sdb_error *e)
{
	struct sdb_db *db;
	uint64_t *starts = NULL;
	int n, rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = sdb_db_open(dir, 0, o, &db, e)))
		return rc;
	if ((rc = sdb_lock_open(dir, &db->lock_fd, e)))
		goto out;
	if ((rc = sdb_lock_take(db->lock_fd, SDB_LOCK_WRITER, o->lock_timeout, dir, e)))
		goto out;
	db->wlocked = 1;
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		goto out;
	if (n && starts[n - 1] >= db->man.checkpoint_lsn) {
		struct sdb_wal_seg s;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[n - 1], 1, e)))
			goto out;
		if (s.status == SDB_SEG_DAMAGED) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu: not a tail, cannot repair",
					   s.path, s.bad_off);
			sdb_wal_seg_free(&s);
			goto out;
		}
		if (s.status != SDB_SEG_CLEAN) {
			rep->cut = 1;
			rep->lsn = s.start + s.bad_off;
			rep->offset = s.bad_off;
			rep->bytes = s.size - s.valid;
			rep->damaged = s.status == SDB_SEG_TAILDAMAGE;
			snprintf(rep->file, sizeof(rep->file), "%s", s.path);
			if (!dry_run) {
				int fd;
				rc = sdb_io_open(s.path, O_RDWR, 0, &fd, e);
				if (!rc) {
					rc = sdb_io_ftruncate(fd, (off_t)s.valid, s.path, e);
					if (!rc && o->sync != SDB_SYNC_OFF)
						rc = sdb_io_fdatasync(fd, s.path, e);
					sdb_io_close(fd);
				}
			}
		}
		sdb_wal_seg_free(&s);
		if (rc)
			goto out;
	}
	/* prove the result opens: replay everything as a reader would */
	if (!dry_run || !rep->cut) {
		struct sdb_opts quiet = *o;
		quiet.warn = NULL;
		db->o = quiet;
		rc = sdb_db_load_snapshot(db, e);
		rep->entries = db->mem.n;
		rep->wal_end = db->wal_end;
	}
out:
	free(starts);
	sdb_db_close(db);
	return rc;
}

int sdb_wal_truncate(const char *dir, const struct sdb_opts *o, uint64_t upto,
		     int *removed, struct sdb_error *e)
{
	struct sdb_manifest m;
	struct sdb_buf p = SDB_BUF_INIT;
	uint64_t *starts = NULL;
	int n, rc;

	*removed = 0;
	if ((rc = sdb_manifest_read(&m, dir, e)))
		return rc == SDB_ENOTFOUND ? sdb_error_set(e, rc, "no database at '%s'", dir) : rc;
	if (upto > m.checkpoint_lsn) {
		rc = sdb_error_set(e, SDB_ELIMIT, "LSN %" PRIu64 " is past the last checkpoint (LSN %" PRIu64 "); run 'sochdb-wal checkpoint' first",
				   upto, m.checkpoint_lsn);
		goto out;
	}
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		goto out;
	/* a segment is covered when the next one starts at or below upto */
	for (int i = 0; i + 1 < n; i++)
		if (starts[i + 1] <= upto) {
			sdb_wal_path(&p, dir, starts[i]);
			if ((rc = sdb_io_unlink(p.data, e)))
				break;
			(*removed)++;
		}
	if (!rc && *removed && o->sync != SDB_SYNC_OFF)
		rc = sdb_io_fsync_dir(dir, e);
out:
	free(starts);
	sdb_buf_release(&p);
	sdb_manifest_free(&m);
	return rc;
}

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
