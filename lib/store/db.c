/*
 * db.c - opening a database, snapshots, point reads, iteration and
 * commits (see store.h for the design).
 *
 * A snapshot is built from one manifest version: its tables are opened
 * (mmapped) and the WAL from its checkpoint LSN is replayed. Files named
 * by a manifest may be retired by a concurrent checkpoint or compaction
 * between reading the manifest and opening them; a vanished file means "a
 * newer manifest exists", so the whole snapshot is retried.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/array.h"
#include "util/io.h"
#include "util/varint.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void sdb_opts_default(struct sdb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sync = SDB_SYNC_FULL;
	o->lock_timeout = 30;
	o->compression = SDB_COMP_LZ4;
	o->bottom_compression = SDB_COMP_ZSTD;
	o->flush_bytes = 8u << 20;
	o->close_flush_bytes = 256u << 10;
	o->segment_bytes = SDB_WAL_SEG_BYTES;
	o->table_bytes = SDB_TABLE_TARGET;
}

uint64_t sdb_now_ms(void)
{
	/* the test clock is read once (every statement asks the time) */
	static const char *s;
	static int looked;
	struct timespec ts;

	if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
		s = getenv("SDB_NOW_MS");
		__atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
	}
	if (s && *s)
		return strtoull(s, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sdb_db_warn(const struct sdb_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->warn_ctx, msg);
}

/* ------------------------------------------------------------ opening */

/* 1: dir holds a database, 0: empty (only LOCK or temp files), -1: other
 * files (not ours). */
static int dir_kind(const char *dir)
{
	struct sdb_buf mp = SDB_BUF_INIT;
	struct stat st;
	struct dirent *de;
	int kind = 0, have;
	DIR *d;

	sdb_manifest_path(&mp, dir);
	have = sdb_buf_ok(&mp) && stat(mp.data, &st) == 0;
	sdb_buf_release(&mp);
	if (have)
		return 1;
	if (!(d = opendir(dir)))
		return -1;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		uint64_t no;
		enum sdb_file_kind k;
		if (!strcmp(s, ".") || !strcmp(s, ".."))
			continue;
		k = sdb_parse_file_name(s, &no);
		if (k == SDB_FILE_MANIFEST) {
			kind = 1;
			break;
		}
		if (k == SDB_FILE_LOCK || k == SDB_FILE_TEMP || k == SDB_FILE_DAMAGE)
			continue;
		kind = -1;
	}
	closedir(d);
	return kind;
}

int sdb_db_probe(const char *dir, struct sdb_error *e)
{
	struct stat st;
	int kind;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir) :
			sdb_error_sys(e, SDB_EIO, "cannot open '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return sdb_error_set(e, SDB_EUNSUPPORTED, "'%s' is not a sochdb database", dir);
	kind = dir_kind(dir);
	if (kind < 0)
		return sdb_error_set(e, SDB_EUNSUPPORTED, "'%s' is not a sochdb database", dir);
	if (kind == 0)
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	return 0;
}

static int create_db(struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_manifest m = { .next_file = 1, .checkpoint_lsn = 0 };

	sdb_lock_set_synced(db->lock_fd, 0); /* a LOCK left by another database */
	return sdb_manifest_write(&m, db->dir, db->o.sync == SDB_SYNC_OFF, e);
}

/* The synced mark a writer copies into its COMMIT/CHECKPOINT records: the
 * LOCK hint, never beyond the end of the WAL (a hint past it is not
 * something this writer knows to be on disk). */
uint64_t sdb_db_synced_mark(const struct sdb_db *db)
{
	uint64_t m = sdb_lock_synced(db->lock_fd);

	return m <= db->wal_end ? m : 0;
}

int sdb_wal_missing_end(struct sdb_error *e, const char *dir, uint64_t end,
			uint64_t mark)
{
	return sdb_error_set(e, SDB_ECORRUPT, "damaged WAL in '%s': it ends at LSN %" PRIu64 " but was synced up to LSN %" PRIu64 " (a WAL segment is missing)",
			     dir, end, mark);
}

int sdb_db_refuse(struct sdb_error *e)
{
	char msg[sizeof(e->msg)];

	if (!e)
		return SDB_ECORRUPT;
	snprintf(msg, sizeof(msg), "%s", e->msg);
	sdb_error_set(e, SDB_ECORRUPT, "%s; refusing to write into a database that cannot be read back (see 'sochdb-wal verify' and 'sochdb-wal salvage')", msg);
	return SDB_ECORRUPT;
}

/*
 * The lock holder's check before it appends: every segment from the
 * checkpoint must read back (contiguous, every record whole), the newest
 * one ends where the synced mark says at least, and a torn or damaged
 * tail of the newest is cut. A writer never acknowledges a write into a
 * database it cannot read back (DESIGN.md). Sets wal_fd, seg_start,
 * seg_size, wal_end. @return 0, SDB_ENOTFOUND (a segment vanished: a
 * checkpoint retired it, re-read the manifest) or an error.
 */
static int prepare_try(struct sdb_db *db, struct sdb_error *e)
{
	uint64_t *starts = NULL, cp = db->man.checkpoint_lsn, expect = cp, mark;
	struct sdb_wal_seg seg;
	struct stat st;
	int n, rc, first;

	mark = sdb_lock_synced(db->lock_fd);
	rc = sdb_wal_list(db->dir, &starts, &n, e);
	if (rc)
		return rc;
	for (first = 0; first < n && starts[first] < cp; first++)
		;
	if (first == n && cp == 0) {
		/* a new database: the first commit creates the segment at 0 */
		free(starts);
		db->seg_start = db->seg_size = db->wal_end = 0;
		if (mark > 0) {
			sdb_wal_missing_end(e, db->dir, 0, mark);
			return sdb_db_refuse(e);
		}
		return 0;
	}
	if (first == n || starts[first] != cp) {
		free(starts);
		sdb_wal_path(&db->seg_path, db->dir, cp);
		return sdb_error_set(e, SDB_ENOTFOUND, "cannot open '%s': No such file or directory", db->seg_path.data);
	}
	for (int i = first; i < n - 1; i++) {
		rc = sdb_wal_seg_map(&seg, db->dir, starts[i], 0, e);
		if (rc) {
			free(starts);
			return rc;
		}
		if (seg.start != expect)
			rc = sdb_error_set(e, SDB_ECORRUPT, "WAL segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
					   seg.path, seg.start, expect);
		else if (seg.status != SDB_SEG_CLEAN)
			rc = sdb_wal_seg_damage(&seg, e);
		expect = seg.start + seg.valid;
		sdb_wal_seg_release(&seg);
		if (rc) {
			free(starts);
			return sdb_db_refuse(e);
		}
	}
	db->seg_start = starts[n - 1];
	free(starts);
	if (db->seg_start != expect) {
		sdb_wal_path(&db->seg_path, db->dir, db->seg_start);
		sdb_error_set(e, SDB_ECORRUPT, "WAL segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
			      db->seg_path.data, db->seg_start, expect);
		return sdb_db_refuse(e);
	}
	sdb_wal_path(&db->seg_path, db->dir, db->seg_start);
	if (!sdb_buf_ok(&db->seg_path))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_io_open(db->seg_path.data, O_RDWR, 0, &db->wal_fd, e);
	if (rc)
		return rc;
	if (fstat(db->wal_fd, &st) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", db->seg_path.data);
	rc = sdb_wal_seg_map(&seg, db->dir, db->seg_start, 1, e);
	if (rc)
		return rc;
	if (seg.status == SDB_SEG_DAMAGED) {
		sdb_wal_seg_damage(&seg, e);
		sdb_wal_seg_release(&seg);
		return sdb_db_refuse(e);
	}
	if (seg.start + seg.size < mark) {
		sdb_wal_seg_release(&seg);
		sdb_wal_missing_end(e, db->dir, db->seg_start + (uint64_t)st.st_size, mark);
		return sdb_db_refuse(e);
	}
	if (seg.status != SDB_SEG_CLEAN) {
		sdb_db_warn(&db->o, "%s WAL tail in '%s' at offset %zu (LSN %" PRIu64 "): cut %zu bytes",
			    seg.status == SDB_SEG_INFLIGHT ? "torn" : "damaged",
			    seg.path, seg.bad_off, seg.start + seg.bad_off, seg.size - seg.valid);
		/* the mark first: it must never lie beyond the file's end */
		if (mark > seg.start + seg.valid)
			sdb_lock_set_synced(db->lock_fd, seg.start + seg.valid);
		rc = sdb_io_ftruncate(db->wal_fd, (off_t)seg.valid, seg.path, e);
		if (!rc && db->o.sync != SDB_SYNC_OFF)
			rc = sdb_io_fdatasync(db->wal_fd, seg.path, e);
	}
	db->seg_size = seg.valid;
	sdb_wal_seg_release(&seg);
	if (rc)
		return rc;
	db->wal_end = db->seg_start + db->seg_size;
	return 0;
}

int sdb_db_prepare_tail(struct sdb_db *db, struct sdb_error *e)
{
	uint64_t last_cp = db->man.checkpoint_lsn;
	int rc, same = 0;

	/* a lock holder found a damaged table earlier (damage.c) */
	if ((rc = sdb_damage_refuse(db->dir, e)))
		return rc;
	for (int attempt = 0;; attempt++) {
		if (db->wal_fd >= 0) {
			sdb_io_close(db->wal_fd);
			db->wal_fd = -1;
		}
		rc = prepare_try(db, e);
		if (rc != SDB_ENOTFOUND)
			return rc;
		/* a checkpoint retired what our manifest names: read the newer
		 * one; the same checkpoint again means the file is missing */
		sdb_manifest_release(&db->man);
		{
			struct sdb_error sub;
			int mrc = sdb_manifest_read(&db->man, db->dir, &sub);
			if (mrc) {
				if (e)
					*e = sub;
				return mrc;
			}
		}
		if (db->man.checkpoint_lsn == last_cp && ++same >= 3) {
			char msg[sizeof(e->msg)];
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			sdb_error_set(e, SDB_ECORRUPT, "damaged database '%s': a file named by its manifest is missing: %s",
				      db->dir, msg);
			return sdb_db_refuse(e);
		}
		last_cp = db->man.checkpoint_lsn;
		usleep(1000 + attempt * 100);
	}
}

static void snapshot_free(struct sdb_db *db)
{
	for (size_t i = 0; i < db->ntabs; i++) {
		sdb_block_release(&db->tabs[i].cache);
		sdb_table_close(db->tabs[i].t);
		sdb_table_meta_release(&db->tabs[i].own);
	}
	free(db->tabs);
	db->tabs = NULL;
	db->ntabs = 0;
	for (int i = 0; i < db->nsegs; i++)
		sdb_wal_seg_release(&db->segs[i]);
	free(db->segs);
	db->segs = NULL;
	db->nsegs = db->segcap = 0;
	sdb_mem_release(&db->mem);
	db->have_snapshot = 0;
}

/* Priority: level 0 newest file first, then levels 1.. by smallest key. */
static int tab_order(const void *pa, const void *pb)
{
	const struct sdb_dbtab *a = pa, *b = pb;

	if (a->meta->level != b->meta->level)
		return a->meta->level - b->meta->level;
	if (a->meta->level == 0)
		return a->meta->no > b->meta->no ? -1 : a->meta->no < b->meta->no;
	return sdb_key_cmp(a->meta->smallest, a->meta->slen, b->meta->smallest, b->meta->slen);
}

/* The identity of dir's MANIFEST now (replaced by rename: a new one has
 * a new inode). @return 0, or -1 when it cannot be had. */
static int manifest_id(const char *dir, uint64_t id[4])
{
	struct sdb_buf mp = SDB_BUF_INIT;
	struct stat st;
	int rc;

	sdb_manifest_path(&mp, dir);
	rc = sdb_buf_ok(&mp) && stat(mp.data, &st) == 0 ? 0 : -1;
	sdb_buf_release(&mp);
	if (rc)
		return -1;
	id[0] = (uint64_t)st.st_dev;
	id[1] = (uint64_t)st.st_ino;
	id[2] = (uint64_t)st.st_size;
	id[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	return 0;
}

/* One attempt; @return 0, SDB_ENOTFOUND (retry) or an error. */
static int snapshot_try(struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	uint64_t *starts = NULL, cp, mark;
	int n = 0, first, rc;

	/* the hint before the segments: it only grows after what it names is
	 * written, so the segments read next hold at least that much */
	mark = db->lock_fd >= 0 ? sdb_lock_synced(db->lock_fd) : sdb_lock_synced_at(db->dir);
	{
		/* before the read: a manifest replaced in between only makes
		 * the next refresh reload once more */
		uint64_t id[4] = { 0, 0, 0, 0 };
		manifest_id(db->dir, id);
		db->man_dev = id[0];
		db->man_ino = id[1];
		db->man_size = id[2];
		db->man_mtime_ns = (int64_t)id[3];
	}
	sdb_manifest_release(&db->man);
	rc = sdb_manifest_read(&db->man, db->dir, e);
	if (rc)
		return rc == SDB_ENOTFOUND ? SDB_EIO : rc;
	cp = db->snap_cp = db->replay_end = db->man.checkpoint_lsn;
	db->tabs = calloc(db->man.ntables + 1, sizeof(*db->tabs));
	if (!db->tabs)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	for (size_t i = 0; i < db->man.ntables; i++) {
		struct sdb_dbtab *t = &db->tabs[db->ntabs];
		sdb_table_path(&path, db->dir, db->man.tables[i].no);
		rc = sdb_table_open_lazy(&t->t, path.data, e);
		if (rc)
			goto out;
		if (sdb_table_meta_copy(&t->own, &db->man.tables[i])) {
			sdb_table_close(t->t);
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		t->meta = &t->own;
		t->cache_idx = SIZE_MAX;
		t->raw_idx = SIZE_MAX;
		db->ntabs++;
	}
	qsort(db->tabs, db->ntabs, sizeof(*db->tabs), tab_order);
	for (size_t i = 0; i < db->ntabs; i++)
		db->tabs[i].meta = &db->tabs[i].own; /* moved by the sort */
	rc = sdb_wal_list(db->dir, &starts, &n, e);
	if (rc)
		goto out;
	for (first = 0; first < n && starts[first] < cp; first++)
		;
	if ((first < n && starts[first] != cp) || (first == n && cp > 0)) {
		/* the checkpoint's segment is gone: a newer manifest exists */
		sdb_wal_path(&path, db->dir, cp);
		rc = sdb_error_set(e, SDB_ENOTFOUND, "cannot open '%s': No such file or directory", path.data);
		goto out;
	}
	db->segs = calloc((size_t)(n - first) + 1, sizeof(*db->segs));
	if (!db->segs) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	db->segcap = n - first + 1;
	db->wal_end = cp;
	for (int i = first; i < n; i++) {
		struct sdb_wal_seg *s = &db->segs[db->nsegs];
		int newest = i == n - 1;
		rc = sdb_wal_seg_read(s, db->dir, starts[i], newest, e);
		if (rc)
			goto out;
		db->nsegs++;
		if (s->start != db->wal_end) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "WAL segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
					   s->path, s->start, db->wal_end);
			goto out;
		}
		if (s->status == SDB_SEG_DAMAGED) {
			rc = sdb_wal_seg_damage(s, e);
			goto out;
		}
		if (s->status == SDB_SEG_TAILDAMAGE)
			sdb_db_warn(&db->o, "damaged WAL tail in '%s' at offset %zu (LSN %" PRIu64 "): ignoring %zu bytes",
				    s->path, s->bad_off, s->start + s->bad_off, s->size - s->valid);
		db->wal_end = s->start + s->valid;
	}
	{
		uint64_t end = db->nsegs ? db->segs[db->nsegs - 1].start + db->segs[db->nsegs - 1].size : cp;
		/* a writer lowers the hint before it cuts a tail: look again */
		if (mark > end)
			mark = db->lock_fd >= 0 ? sdb_lock_synced(db->lock_fd) : sdb_lock_synced_at(db->dir);
		if (mark > end) {
			rc = sdb_wal_missing_end(e, db->dir, end, mark);
			goto out;
		}
	}
	rc = sdb_wal_replay_end(db->segs, db->nsegs, &db->mem, &db->replay_end, e);
	if (!rc && sdb_mem_finish(&db->mem))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
out:
	free(starts);
	sdb_buf_release(&path);
	return rc;
}

int sdb_db_load_snapshot(struct sdb_db *db, struct sdb_error *e)
{
	uint64_t last_next = 0, last_cp = 0;
	int same = 0;

	db->snap_gen++;

	for (int attempt = 0; attempt < 1000; attempt++) {
		int rc;
		snapshot_free(db);
		rc = snapshot_try(db, e);
		if (rc == 0) {
			db->have_snapshot = 1;
			db->now = sdb_now_ms();
			return 0;
		}
		if (rc != SDB_ENOTFOUND)
			return rc;
		/* A file the manifest names vanished: normally a checkpoint or
		 * compaction retired it and published a newer manifest. When the
		 * manifest stays the same, the file is really missing. */
		if (attempt && db->man.next_file == last_next && db->man.checkpoint_lsn == last_cp) {
			if (++same >= 5) {
				char msg[sizeof(e->msg)];
				snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
				return sdb_error_set(e, SDB_ECORRUPT, "damaged database '%s': a file named by its manifest is missing: %s",
						     db->dir, msg);
			}
		} else
			same = 0;
		last_next = db->man.next_file;
		last_cp = db->man.checkpoint_lsn;
		usleep(1000 + attempt * 100);
	}
	return sdb_error_set(e, SDB_EBUSY, "database '%s' keeps changing: no stable snapshot", db->dir);
}

/* 1 when the files may hold more than db's snapshot: another MANIFEST,
 * the newest segment grown or cut, a segment after it. */
static int snapshot_stale(const struct sdb_db *db)
{
	struct sdb_buf path = SDB_BUF_INIT;
	uint64_t id[4], next;
	struct stat st;
	int stale = 1;

	if (manifest_id(db->dir, id) || id[0] != db->man_dev || id[1] != db->man_ino ||
	    id[2] != db->man_size || id[3] != (uint64_t)db->man_mtime_ns)
		return 1;
	if (db->nsegs) {
		const struct sdb_wal_seg *g = &db->segs[db->nsegs - 1];
		if (db->wlocked) /* nobody else appends: our own commits only */
			return db->wal_end != g->start + g->valid;
		if (stat(g->path, &st) < 0 || (uint64_t)st.st_size != g->fbase + g->size)
			return 1;
		/* an empty newest segment: the segment after it would start at
		 * its own LSN (its own name), so its size alone tells */
		if (g->fbase + g->size == 0)
			return 0;
		next = g->start + g->size;
	} else {
		if (db->wlocked)
			return db->wal_end != db->snap_cp;
		next = db->snap_cp;
	}
	sdb_wal_path(&path, db->dir, next);
	if (sdb_buf_ok(&path) && stat(path.data, &st) < 0 && errno == ENOENT)
		stale = 0;
	sdb_buf_release(&path);
	return stale;
}

/*
 * The incremental refresh: when the MANIFEST is the snapshot's, only the
 * WAL written since the snapshot's replay end is read (the rest of the
 * newest segment it read, and whole segments after it), replayed into a
 * small memtable and merged into the snapshot's. Anything unusual (the
 * manifest replaced, the segment shorter than before, a damaged tail
 * served before, a gap, a missing end) is left to the full reload, which
 * also reports it. @return 0 done, 1 a full reload is needed.
 */
static int refresh_tail(struct sdb_db *db)
{
	struct sdb_wal_seg *pieces = NULL;
	struct sdb_memtable nm = { 0 };
	uint64_t id[4], *starts = NULL, mark, fs, resume = db->replay_end, end, expect;
	int n = 0, np = 0, first, full = 1;
	const struct sdb_wal_seg *g;

	/* every incremental refresh keeps a piece of WAL: past this many, a
	 * full reload folds them into whole segments again (amortised) */
	if (!db->have_snapshot || !db->nsegs || db->nsegs >= 1024)
		return 1;
	g = &db->segs[db->nsegs - 1];
	if (g->status == SDB_SEG_TAILDAMAGE || g->status == SDB_SEG_DAMAGED)
		return 1;
	fs = g->start - g->fbase;
	if (resume < fs || resume > g->start + g->valid)
		return 1;
	mark = db->lock_fd >= 0 ? sdb_lock_synced(db->lock_fd) : sdb_lock_synced_at(db->dir);
	if (manifest_id(db->dir, id) || id[0] != db->man_dev || id[1] != db->man_ino ||
	    id[2] != db->man_size || id[3] != (uint64_t)db->man_mtime_ns)
		return 1;
	if (sdb_wal_list(db->dir, &starts, &n, NULL))
		return 1;
	for (first = 0; first < n && starts[first] != fs; first++)
		;
	if (first == n || !(pieces = calloc((size_t)(n - first), sizeof(*pieces))))
		goto out;
	expect = resume;
	for (int i = first; i < n; i++) {
		struct sdb_wal_seg *p = &pieces[np];
		int newest = i == n - 1;
		if (sdb_wal_seg_read_from(p, db->dir, starts[i], i == first ? (size_t)(resume - fs) : 0,
					  newest, NULL))
			goto out;
		np++;
		if (p->start != expect || p->status == SDB_SEG_DAMAGED ||
		    (!newest && p->status != SDB_SEG_CLEAN) || p->status == SDB_SEG_TAILDAMAGE)
			goto out;
		expect = p->start + p->valid;
	}
	end = pieces[np - 1].start + pieces[np - 1].size;
	if (mark > end)
		goto out; /* the full reload looks again and reports it */
	if (sdb_wal_replay_end(pieces, np, &nm, &resume, NULL) || sdb_mem_finish(&nm))
		goto out;
	{
		size_t cap = (size_t)db->segcap;
		if (sdb_grow((void **)&db->segs, &cap, (size_t)(db->nsegs + np), sizeof(*db->segs), 8))
			goto out;
		db->segcap = (int)cap;
	}
	if (sdb_mem_merge(&db->mem, &nm))
		goto out;
	for (int i = 0; i < np; i++) {
		/* an empty piece of the same file adds nothing: keep the older */
		if (i == 0 && np == 1 && pieces[0].size == 0 &&
		    g->fbase + g->size == pieces[0].fbase) {
			sdb_wal_seg_release(&pieces[0]);
			continue;
		}
		db->segs[db->nsegs++] = pieces[i];
	}
	np = 0;
	db->replay_end = resume;
	g = &db->segs[db->nsegs - 1];
	db->wal_end = g->start + g->valid;
	db->now = sdb_now_ms();
	full = 0;
out:
	for (int i = 0; i < np; i++)
		sdb_wal_seg_release(&pieces[i]);
	free(pieces);
	free(starts);
	sdb_mem_release(&nm);
	return full;
}

int sdb_db_refresh(struct sdb_db *db, struct sdb_error *e)
{
	uint64_t wal_end = db->wal_end;
	int rc;

	if (db->have_snapshot && !snapshot_stale(db))
		return 0;
	if (!refresh_tail(db)) {
		db->refresh_tails++;
		db->snap_gen++;
		if (db->wlocked)
			db->wal_end = wal_end;
		return 0;
	}
	db->refresh_reloads++;
	rc = sdb_db_load_snapshot(db, e);
	if (db->wlocked)
		db->wal_end = wal_end; /* the writer's end: where it appends */
	return rc;
}

uint64_t sdb_db_snapshot_gen(const struct sdb_db *db)
{
	return db->snap_gen;
}

int sdb_db_snapshot_stale(const struct sdb_db *db)
{
	return !db->have_snapshot || snapshot_stale(db);
}

int sdb_db_write_locked(const struct sdb_db *db)
{
	return db->wlocked;
}

void sdb_db_unlock_write(struct sdb_db *db)
{
	if (!db->wlocked)
		return;
	sdb_lock_release(db->lock_fd, SDB_LOCK_WRITER);
	db->wlocked = 0;
	if (db->wal_fd >= 0) {
		sdb_io_close(db->wal_fd);
		db->wal_fd = -1;
	}
}

int sdb_db_lock_write(struct sdb_db *db, double timeout, struct sdb_error *e)
{
	int rc;

	if (db->wlocked)
		return 0;
	if (db->lock_fd < 0 && (rc = sdb_lock_open(db->dir, &db->lock_fd, e)))
		return rc;
	if ((rc = sdb_lock_take(db->lock_fd, SDB_LOCK_WRITER, timeout, db->dir, e)))
		return rc;
	db->wlocked = 1;
	/* as a writer's open: the manifest now, the WAL tail, the tables */
	sdb_manifest_release(&db->man);
	if ((rc = sdb_manifest_read(&db->man, db->dir, e)) ||
	    (rc = sdb_db_prepare_tail(db, e)) || (rc = sdb_damage_check_tables(db, e))) {
		sdb_db_unlock_write(db);
		return rc;
	}
	db->flags |= SDB_OPEN_WRITE;
	return 0;
}

int sdb_db_open(const char *dir, unsigned flags, const struct sdb_opts *o,
		struct sdb_db **out, struct sdb_error *e)
{
	struct sdb_db *db = calloc(1, sizeof(*db));
	struct stat st;
	int rc = 0, kind;

	*out = NULL;
	if (!db || !(db->dir = strdup(dir))) {
		free(db);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	db->o = *o;
	db->flags = flags;
	db->lock_fd = -1;
	db->wal_fd = -1;
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || !(flags & SDB_OPEN_CREATE)) {
			rc = errno == ENOENT ? sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir) :
				sdb_error_sys(e, SDB_EIO, "cannot open '%s'", dir);
			goto fail;
		}
		if ((rc = sdb_io_mkdir(dir, e)))
			goto fail;
		if (o->sync != SDB_SYNC_OFF && (rc = sdb_io_fsync_dir_of(dir, e)))
			goto fail;
	} else if (!S_ISDIR(st.st_mode)) {
		rc = sdb_error_set(e, SDB_EUNSUPPORTED, "'%s' is not a sochdb database", dir);
		goto fail;
	}
	kind = dir_kind(dir);
	if (kind < 0) {
		rc = sdb_error_set(e, SDB_EUNSUPPORTED, "'%s' is not a sochdb database", dir);
		goto fail;
	}
	if (kind == 0 && !(flags & SDB_OPEN_CREATE)) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
		goto fail;
	}
	if ((flags & (SDB_OPEN_WRITE | SDB_OPEN_CREATE)) || kind == 0) {
		if ((rc = sdb_lock_open(dir, &db->lock_fd, e)))
			goto fail;
		rc = sdb_lock_take(db->lock_fd, SDB_LOCK_WRITER, o->lock_timeout, dir, e);
		if (rc)
			goto fail;
		db->wlocked = 1;
		if (kind == 0 && dir_kind(dir) == 0 && (rc = create_db(db, e)))
			goto fail;
	}
	if (flags & SDB_OPEN_WRITE) {
		if ((rc = sdb_manifest_read(&db->man, dir, e)))
			goto fail;
		if ((rc = sdb_db_prepare_tail(db, e)) ||
		    (!(flags & SDB_OPEN_SNAPSHOT) && (rc = sdb_damage_check_tables(db, e))))
			goto fail;
	} else if (db->wlocked) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_WRITER);
		db->wlocked = 0;
	}
	if (flags & SDB_OPEN_SNAPSHOT) {
		if ((rc = sdb_db_load_snapshot(db, e))) {
			if (db->wlocked && sdb_damage_is_table(rc, e)) {
				sdb_damage_note(dir, o->sync == SDB_SYNC_OFF, rc, e);
				rc = sdb_db_refuse(e);
			}
			goto fail;
		}
	} else if (!(flags & SDB_OPEN_WRITE)) {
		if ((rc = sdb_manifest_read(&db->man, dir, e)))
			goto fail;
	}
	*out = db;
	return 0;
fail:
	sdb_db_close(db);
	return rc;
}

void sdb_db_close(struct sdb_db *db)
{
	if (!db)
		return;
	snapshot_free(db);
	sdb_manifest_release(&db->man);
	sdb_io_close(db->wal_fd);
	if (db->lock_fd >= 0)
		close(db->lock_fd); /* drops its OFD locks */
	sdb_buf_release(&db->seg_path);
	free(db->dir);
	free(db);
}

uint64_t sdb_db_wal_end(const struct sdb_db *db) { return db->wal_end; }
uint64_t sdb_db_checkpoint_lsn(const struct sdb_db *db) { return db->man.checkpoint_lsn; }

void sdb_db_snapshot_tag(const struct sdb_db *db, uint64_t tag[3])
{
	tag[0] = db->wal_end;
	tag[1] = db->man.next_file;
	tag[2] = db->man.checkpoint_lsn;
}

/* -------------------------------------------------------------- reads */

static int visible(int kind, uint64_t expires, uint64_t now)
{
	return kind == SDB_KIND_PUT || (kind == SDB_KIND_TTL && expires > now);
}

/* Binary search in a decoded block: index of first key >= k. */
size_t sdb_block_lower_bound(const struct sdb_block *b, const void *k, size_t n)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sdb_key_cmp(b->keys + b->koff[mid], b->klen[mid], k, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 when a source's range deletes (older sources only) hold k. */
static inline int covered(const struct sdb_range *r, size_t n, const void *k,
			  size_t kn)
{
	return n && sdb_ranges_find(r, n, k, kn) < n;
}

int sdb_db_get(struct sdb_db *db, const void *ik, size_t n,
	       struct sdb_val *v, struct sdb_error *e)
{
	size_t i = sdb_mem_lower_bound(&db->mem, ik, n);
	uint64_t h = 0;
	int have_h = 0;

	if (i < db->mem.n && !sdb_key_cmp(db->mem.e[i].key, db->mem.e[i].klen, ik, n)) {
		const struct sdb_ment *x = &db->mem.e[i];
		if (!visible(x->kind, x->expires, db->now))
			return SDB_ENOTFOUND;
		v->data = (const char *)x->val;
		v->len = x->vlen;
		v->expires_ms = x->kind == SDB_KIND_TTL ? x->expires : 0;
		return 0;
	}
	if (covered(db->mem.rd, db->mem.nrd, ik, n))
		return SDB_ENOTFOUND;
	for (size_t t = 0; t < db->ntabs; t++) {
		struct sdb_dbtab *dt = &db->tabs[t];
		size_t bi, j;
		int rc;
		if (sdb_key_cmp(ik, n, dt->meta->smallest, dt->meta->slen) < 0 ||
		    sdb_key_cmp(ik, n, dt->meta->largest, dt->meta->llen) > 0)
			continue;
		if ((rc = sdb_table_ready(dt->t, e)))
			return db->wlocked ? sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e) : rc;
		/* the bloom filter (checked whole first: a large table's is
		 * megabytes) saves a block read only for a key the table does
		 * not hold: it is used from the table's 16th read that found
		 * nothing on; until then the block answers the same (an index
		 * probe's row reads, all found, never pay for it) */
		if (dt->t->bloom || dt->t->nget >= 16) {
			if ((rc = sdb_table_bloom(dt->t, e)))
				return db->wlocked ? sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e) : rc;
			if (!have_h) {
				h = sdb_hash64(ik, n);
				have_h = 1;
			}
			if (!sdb_bloom_may_contain(dt->t->bloom, dt->t->bloom_len, h))
				goto absent;
		}
		if ((rc = sdb_table_find_block(dt->t, ik, n, &bi, e)))
			return db->wlocked ? sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e) : rc;
		if (bi >= dt->t->nblocks)
			goto absent;
		if (dt->cache_idx != bi && dt->raw_idx != bi) {
			/* a block new to the lookups: searched in place (a
			 * random read decodes no entries it does not pass) */
			int kind, found;
			const unsigned char *val;
			size_t vlen;
			uint64_t exp;
			dt->cache_idx = dt->raw_idx = SIZE_MAX;
			if ((rc = sdb_table_read_raw_cached(dt->t, bi, &dt->cache, &dt->raw_len, e)))
				return db->wlocked ? sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e) : rc;
			dt->raw_idx = bi;
			found = sdb_block_find(dt->cache.raw, dt->raw_len, ik, n, &kind, &val, &vlen, &exp);
			if (found == 1) {
				if (!visible(kind, exp, db->now))
					return SDB_ENOTFOUND;
				v->data = (const char *)val;
				v->len = vlen;
				v->expires_ms = kind == SDB_KIND_TTL ? exp : 0;
				return 0;
			}
			if (found == 0) {
				dt->t->nget++;
				goto absent;
			}
			/* a bad block: the whole read says so */
			dt->raw_idx = SIZE_MAX;
		}
		if (dt->cache_idx != bi) {
			/* the block read before (a run of reads there), or one
			 * the search found bad: its entries decoded */
			if (dt->raw_idx == bi) {
				rc = sdb_block_decode(&dt->cache, dt->cache.raw, dt->raw_len);
				if (rc == SDB_ENOMEM)
					return sdb_error_set(e, rc, "out of memory");
				if (rc)
					dt->raw_idx = SIZE_MAX;
			}
			if (dt->raw_idx != bi &&
			    (rc = sdb_table_read_block_cached(dt->t, bi, &dt->cache, e)))
				return db->wlocked ? sdb_damage_note(db->dir, db->o.sync == SDB_SYNC_OFF, rc, e) : rc;
			dt->cache_idx = dt->raw_idx = bi;
		}
		j = sdb_block_lower_bound(&dt->cache, ik, n);
		if (j < dt->cache.n && !sdb_key_cmp(dt->cache.keys + dt->cache.koff[j],
						    dt->cache.klen[j], ik, n)) {
			if (!visible(dt->cache.kind[j], dt->cache.expires[j], db->now))
				return SDB_ENOTFOUND;
			v->data = (const char *)dt->cache.val[j];
			v->len = dt->cache.vlen[j];
			v->expires_ms = dt->cache.kind[j] == SDB_KIND_TTL ? dt->cache.expires[j] : 0;
			return 0;
		}
		dt->t->nget++;
	absent:
		if (covered(dt->t->rt, dt->t->nrt, ik, n))
			return SDB_ENOTFOUND;
	}
	return SDB_ENOTFOUND;
}

/* ------------------------------------------------------------ batches */

void sdb_batch_init(struct sdb_batch *b)
{
	sdb_buf_init(&b->rec);
	b->nops = 0;
	sdb_wal_encode(&b->rec, SDB_REC_BEGIN, "", 0);
}

void sdb_batch_release(struct sdb_batch *b)
{
	sdb_buf_release(&b->rec);
}

static int batch_op(struct sdb_batch *b, int type, const void *ik, size_t n,
		    const void *val, size_t vlen, uint64_t expires,
		    struct sdb_error *e)
{
	unsigned char hdr[32];
	int h = 0;

	if (vlen > SDB_MAX_VALUE)
		return sdb_error_set(e, SDB_ELIMIT, "value longer than %u bytes", SDB_MAX_VALUE);
	/* never log a record the WAL reader rejects (sdb_wal_op_decode):
	 * that would make the whole log unreadable */
	if (type != SDB_REC_DELRANGE && (n < 2 || n > SDB_IKEY_MAX ||
	    (size_t)((const unsigned char *)ik)[0] + 1 >= n))
		return sdb_error_set(e, SDB_EINVAL, "malformed internal key (%zu bytes)", n);
	hdr[h++] = expires ? 1 : 0;
	h += sdb_put_varint(hdr + h, n);
	h += sdb_put_varint(hdr + h, vlen);
	if (expires) {
		sdb_put_u64(hdr + h, expires);
		h += 8;
	}
	/* header, key and value go straight into the batch: the value is
	 * copied once (room for the COMMIT too, so it never moves again) */
	if (sdb_buf_grow(&b->rec, (size_t)h + n + vlen + 2 * SDB_WAL_OVERHEAD + 12))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	{
		const void *part[3] = { hdr, ik, val };
		size_t plen[3] = { (size_t)h, n, vlen };
		sdb_wal_encodev(&b->rec, type, part, plen, 3);
	}
	b->nops++;
	return sdb_buf_ok(&b->rec) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

int sdb_batch_put(struct sdb_batch *b, const void *ik, size_t n,
		  const void *val, size_t vlen, uint64_t expires_ms,
		  struct sdb_error *e)
{
	return batch_op(b, SDB_REC_PUT, ik, n, val, vlen, expires_ms, e);
}

int sdb_batch_del(struct sdb_batch *b, const void *ik, size_t n,
		  struct sdb_error *e)
{
	return batch_op(b, SDB_REC_DEL, ik, n, "", 0, 0, e);
}

int sdb_batch_del_range(struct sdb_batch *b, const void *lo, size_t lolen,
			const void *hi, size_t hilen, struct sdb_error *e)
{
	if (lolen < 1 || hilen < 1)
		return sdb_error_set(e, SDB_EINVAL, "empty range bound");
	if (lolen > SDB_IKEY_MAX || hilen > SDB_IKEY_MAX)
		return sdb_error_set(e, SDB_ELIMIT, "range bound longer than %d bytes", SDB_IKEY_MAX);
	if (sdb_key_cmp(lo, lolen, hi, hilen) >= 0)
		return sdb_error_set(e, SDB_EINVAL, "empty range: the low bound is not below the high bound");
	return batch_op(b, SDB_REC_DELRANGE, lo, lolen, hi, hilen, 0, e);
}

/* Creates the segment starting at wal_end and makes it the live one. */
int sdb_db_new_segment(struct sdb_db *db, struct sdb_error *e)
{
	int rc;

	if (db->wal_fd >= 0) {
		if (db->o.sync == SDB_SYNC_NORMAL) {
			if ((rc = sdb_io_fdatasync(db->wal_fd, db->seg_path.data, e)))
				return rc;
			sdb_lock_note_synced(db->lock_fd, db->wal_end);
		}
		sdb_io_close(db->wal_fd);
		db->wal_fd = -1;
	}
	db->seg_start = db->wal_end;
	db->seg_size = 0;
	sdb_wal_path(&db->seg_path, db->dir, db->seg_start);
	if (!sdb_buf_ok(&db->seg_path)) /* never open a stale path: the old segment */
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_io_open(db->seg_path.data, O_RDWR | O_CREAT, 0666, &db->wal_fd, e);
	if (!rc && db->o.sync != SDB_SYNC_OFF)
		rc = sdb_io_fsync_dir(db->dir, e);
	return rc;
}

int sdb_db_append(struct sdb_db *db, const void *p, size_t n,
		  struct sdb_error *e)
{
	int rc;

	if (!db->wlocked)
		return sdb_error_set(e, SDB_EINVAL, "database not opened for writing");
	if (db->wal_fd < 0 || db->seg_size >= db->o.segment_bytes)
		if ((rc = sdb_db_new_segment(db, e)))
			return rc;
	rc = sdb_io_pwrite_all(db->wal_fd, p, n, (off_t)db->seg_size,
			       db->seg_path.data, e);
	if (rc) {
		/* leave no partial record behind (else the next writer cuts it) */
		sdb_io_ftruncate(db->wal_fd, (off_t)db->seg_size, db->seg_path.data, NULL);
		return rc;
	}
	db->seg_size += n;
	db->wal_end += n;
	db->appended = 1;
	return 0;
}

int sdb_db_commit(struct sdb_db *db, struct sdb_batch *b, int unlock_first,
		  struct sdb_error *e)
{
	unsigned char c[12];
	uint64_t end;
	int rc;

	/* COMMIT carries the synced mark: what this writer knows is on disk
	 * (wal.c: damage below a later commit's mark is not a torn tail) */
	sdb_put_u32(c, (uint32_t)b->nops);
	sdb_put_u64(c + 4, sdb_db_synced_mark(db));
	sdb_wal_encode(&b->rec, SDB_REC_COMMIT, c, 12);
	if (!sdb_buf_ok(&b->rec))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_db_append(db, b->rec.data, b->rec.len, e);
	if (rc)
		return rc;
	end = db->wal_end;
	if (unlock_first) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_WRITER);
		db->wlocked = 0;
	}
	if (db->o.sync == SDB_SYNC_FULL) {
		rc = sdb_io_fdatasync(db->wal_fd, db->seg_path.data, e);
		if (!rc)
			sdb_lock_note_synced(db->lock_fd, end);
	}
	return rc;
}

int sdb_db_sync(struct sdb_db *db, struct sdb_error *e)
{
	int rc;

	if (db->wal_fd < 0 || db->o.sync == SDB_SYNC_OFF)
		return 0;
	rc = sdb_io_fdatasync(db->wal_fd, db->seg_path.data, e);
	if (!rc)
		sdb_lock_note_synced(db->lock_fd, db->wal_end);
	return rc;
}
