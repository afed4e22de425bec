/*
 * recover.c - WAL repair for sochdb-wal: recover (cut a torn or damaged
 * tail at the last valid record) and truncate (drop segments covered by
 * the checkpoint).
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/io.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The table damage in e: recorded (unless dry_run) and reported. */
static int keep_mark(struct sdb_db *db, int dry_run, int rc, struct sdb_error *e)
{
	char msg[sizeof(e->msg)];

	if (!dry_run)
		sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e);
	snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
	return sdb_error_set(e, SDB_ECORRUPT, "%s; writers refuse while the damage mark '%s/DAMAGE' stays (restore the table from a backup and run 'sochdb-wal recover' again, or see 'sochdb-wal salvage')",
			     msg, db->dir);
}

/* Every table of the snapshot checks out: the damage mark can go. */
static int check_tables(struct sdb_db *db, int dry_run,
			struct sdb_recover_report *rep, struct sdb_error *e)
{
	struct sdb_damage d;
	int rc;

	if ((rc = sdb_damage_read(db->dir, &d, e)) < 0)
		return rc;
	if (rc) {
		rep->marked = 1;
		snprintf(rep->mark, sizeof(rep->mark), "%s", d.what);
	}
	for (size_t i = 0; i < db->ntabs; i++)
		if ((rc = sdb_table_verify(db->tabs[i].t, e)))
			return sdb_damage_is_table(rc, e) ? keep_mark(db, dry_run, rc, e) : rc;
	if (rep->marked && !dry_run) {
		if ((rc = sdb_damage_clear(db->dir, db->o.sync == SDB_SYNC_OFF, e)))
			return rc;
		rep->cleared = 1;
	}
	return 0;
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
			char msg[sizeof(e->msg)];
			sdb_wal_seg_damage(&s, e);
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			rc = sdb_error_set(e, SDB_ECORRUPT, "%s: not a tail, cannot repair (see 'sochdb-wal salvage')", msg);
			sdb_wal_seg_release(&s);
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
		sdb_wal_seg_release(&s);
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
		if (!rc)
			rc = check_tables(db, dry_run, rep, e);
		else if (sdb_damage_is_table(rc, e))
			rc = keep_mark(db, dry_run, rc, e);
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
	sdb_manifest_release(&m);
	return rc;
}
