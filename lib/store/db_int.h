/*
 * db_int.h - the database handle shared by db.c, iter.c, maint.c.
 */
#ifndef SDB_DB_INT_H
#define SDB_DB_INT_H

#include "store/internal.h"

struct sdb_dbtab {
	struct sdb_table *t;
	const struct sdb_table_meta *meta; /* &own */
	struct sdb_table_meta own; /* the snapshot's copy: db->man may be
				    * replaced by maintenance meanwhile */
	struct sdb_block cache;  /* last block read by point lookups */
	size_t cache_idx;        /* the block whose entries cache holds decoded */
	size_t raw_idx, raw_len; /* the block whose bytes cache.raw holds (searched in place) */
};

struct sdb_db {
	char *dir;
	struct sdb_opts o;
	unsigned flags;
	int lock_fd;
	int wlocked;
	struct sdb_manifest man;
	/* snapshot */
	int have_snapshot;
	struct sdb_dbtab *tabs; /* priority order: newest first */
	size_t ntabs;
	struct sdb_wal_seg *segs; /* whole segments, then tail pieces read
				   * by incremental refreshes */
	int nsegs, segcap;
	uint64_t snap_cp;     /* the snapshot's checkpoint LSN */
	uint64_t replay_end;  /* the snapshot's replay resumes here */
	uint64_t refresh_tails, refresh_reloads; /* sdb_db_refresh (tests) */
	uint64_t snap_gen;  /* snapshots taken in (sdb_db_snapshot_gen) */
	int bulk;             /* a bulk ingest holds the maintenance lock */
	struct sdb_memtable mem;
	uint64_t now;
	/* the MANIFEST the snapshot was built from (sdb_db_refresh) */
	uint64_t man_dev, man_ino, man_size;
	int64_t man_mtime_ns;
	/* WAL: end of the valid log; writer state */
	uint64_t wal_end;
	int wal_fd;
	int appended;         /* this handle wrote to the WAL */
	uint64_t seg_start, seg_size;
	struct sdb_buf seg_path;
};

void sdb_db_warn(const struct sdb_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A fresh destination directory (backup, salvage): built as DEST.tmp.PID
 * beside DEST, renamed onto DEST (absent or empty) when done, so a failure
 * leaves nothing at DEST. */
struct sdb_dest {
	char *dest, *tmp;
};
/* Checks DEST (absent or an empty directory, else SDB_EIO; not inside
 * dir, else SDB_EUNSUPPORTED; what names the command in messages) and
 * creates the temp directory d->tmp. */
int sdb_dest_begin(struct sdb_dest *d, const char *dir, const char *dest,
		   const char *what, struct sdb_error *e);
/* fsyncs and renames d->tmp onto DEST. */
int sdb_dest_commit(struct sdb_dest *d, int nosync, struct sdb_error *e);
/* Removes what is left of d->tmp (nothing after a commit); frees. */
void sdb_dest_abort(struct sdb_dest *d);
/* Whether dir holds a database: 0, SDB_ENOTFOUND ("no database at 'DIR'":
 * missing or empty) or SDB_EUNSUPPORTED ("'DIR' is not a sochdb
 * database": a file, or a directory of other files). */
int sdb_db_probe(const char *dir, struct sdb_error *e);
/* As the writer lock holder: checks that every WAL segment from the
 * checkpoint reads back and cuts a torn or damaged tail of the newest;
 * refuses (SDB_ECORRUPT) a database it cannot read back. */
int sdb_db_prepare_tail(struct sdb_db *db, struct sdb_error *e);
/* The synced mark for a new COMMIT/CHECKPOINT record (LOCK hint clamped
 * to the WAL's end). */
uint64_t sdb_db_synced_mark(const struct sdb_db *db);
/* Fills e: the WAL ends at end but the mark says it was synced to mark. */
int sdb_wal_missing_end(struct sdb_error *e, const char *dir, uint64_t end,
			uint64_t mark);
int sdb_db_load_snapshot(struct sdb_db *db, struct sdb_error *e);
/* Appends "; refusing to write into a database that cannot be read back
 * (see ...)" to e's message. @return SDB_ECORRUPT. */
int sdb_db_refuse(struct sdb_error *e);

/* The damage mark DIR/DAMAGE (damage.c, doc/FORMAT.md). */
struct sdb_damage {
	uint64_t offset;  /* of the damage in the table */
	char what[1100];  /* the message that found it: names table and offset */
};
/* @return 0 (no mark), 1 (a mark: d filled; one that does not check out
 * still counts) or an error reading it. */
int sdb_damage_read(const char *dir, struct sdb_damage *d, struct sdb_error *e);
/* Records the mark (temp + rename). */
int sdb_damage_write(const char *dir, int nosync, const char *what,
		     uint64_t off, struct sdb_error *e);
/* Removes the mark (absent: 0). */
int sdb_damage_clear(const char *dir, int nosync, struct sdb_error *e);
/* Whether rc/e is damage in a table (block, index, footer). */
int sdb_damage_is_table(int rc, const struct sdb_error *e);
/* For a lock holder that met rc: records the mark when rc/e is table
 * damage (best effort). @return rc. */
int sdb_damage_note(const char *dir, int nosync, int rc, struct sdb_error *e);
/* SDB_ECORRUPT with the refusal when the mark is there, else 0/error. */
int sdb_damage_refuse(const char *dir, struct sdb_error *e);
/* Writer open: every table of db->man has a whole footer and index
 * block (sdb_table_check_head); damage is marked and refused. */
int sdb_damage_check_tables(struct sdb_db *db, struct sdb_error *e);
/* Every block of the table at path checks out (backup, recover). */
int sdb_table_check(const char *path, struct sdb_error *e);
size_t sdb_block_lower_bound(const struct sdb_block *b, const void *k, size_t n);
/* Creates the segment starting at wal_end and makes it the live one
 * (writer lock held; a checkpoint seals the old one with it). */
int sdb_db_new_segment(struct sdb_db *db, struct sdb_error *e);
/* Appends raw encoded records to the live segment (writer lock held). */
int sdb_db_append(struct sdb_db *db, const void *p, size_t n,
		  struct sdb_error *e);
/* fdatasync of the live segment unless --sync off. */
int sdb_db_sync(struct sdb_db *db, struct sdb_error *e);

/* Checkpoint pieces (maint.c), for the checkpoint and the bulk ingest.
 * As the writer lock holder: seals the WAL (a CHECKPOINT record naming
 * the LSN after itself, synced, a new segment); *newcp that LSN. */
int sdb_ckpt_seal(struct sdb_db *db, uint64_t *newcp, struct sdb_error *e);
/* Replays the sealed WAL [cp, newcp) and then extra (a batch's records,
 * BEGIN and operations, applied after everything sealed; NULL: none)
 * into a level-0 table numbered no; *have is 0 when there was nothing to
 * write (no table). */
int sdb_ckpt_flush(struct sdb_db *db, uint64_t cp, uint64_t newcp,
		   struct sdb_batch *extra, uint64_t no,
		   struct sdb_table_meta *meta, int *have, struct sdb_error *e);
/* Unlinks WAL segments wholly below cp. */
void sdb_ckpt_retire_wal(struct sdb_db *db, uint64_t cp);
/* txn.c: checks t's compare-and-set reads as a commit through db would
 * (the writer lock held); *b is its batch (NULL: no writes). */
struct sdb_txn;
/* bulk.c: commits t as a bulk commit with no bulk keys (the maintenance
 * lock taken without waiting). @return 0, 1 when it is held (nothing
 * done), or a negative code. */
int sdb_bulk_commit_txn(struct sdb_txn *t, struct sdb_db *db, struct sdb_error *e);
int sdb_txn_ready(struct sdb_txn *t, struct sdb_db *db, struct sdb_batch **b,
		  struct sdb_error *e);

/* Merging iterator over a memtable and tables (iter.c). raw: also return
 * delete markers and expired entries (compaction). */
struct sdb_cursor;
struct sdb_iter {
	struct sdb_cursor *c;
	int nc;
	int *tie;  /* the cursors holding the last key returned */
	int ntie;
	int solo;  /* the last merge found one valid cursor (tie[0]) */
	int reverse, raw, started;
	int has_rt; /* some source has range deletes */
	uint64_t now;
	struct sdb_buf lo, hi, target;
	int has_lo, has_hi;
	/* sdb_iter_limit's re-seek of the cursors past the old bound (kept
	 * in hi_old), deferred to the next step: a seek does it anyway */
	struct sdb_buf hi_old;
	int limit_pending;
};
int sdb_iter_init(struct sdb_iter *it, const struct sdb_memtable *mem,
		  struct sdb_table **tabs, const struct sdb_table_meta *const *metas,
		  size_t ntabs, const void *lo,
		  size_t lolen, const void *hi, size_t hilen, int reverse,
		  int raw, uint64_t now, struct sdb_error *e);
/* @return 1 with an entry, 0 at the end, or an error. */
int sdb_iter_next_raw(struct sdb_iter *it, const unsigned char **k,
		      size_t *klen, const unsigned char **v, size_t *vlen,
		      int *kind, uint64_t *expires, struct sdb_error *e);
void sdb_iter_release(struct sdb_iter *it);
struct sdb_run;
/* The entries the next steps would return from the current block of a
 * forward scan with one source left (live values, below the far bound,
 * which may lie inside the block):
 * @return their number n (0: none; step as usual) with r set. */
size_t sdb_iter_run(struct sdb_iter *it, struct sdb_run *r);
/* Moves past m <= n entries of the run: the last of them is then the
 * iterator's current entry, as if stepped to (key and value out). */
void sdb_iter_skip(struct sdb_iter *it, size_t m, const unsigned char **k,
		   size_t *klen, struct sdb_val *v);
/* The live keys from the iterator's position (freshly opened, forward)
 * to its end, counted; the iterator is then at its end. @return 0 or an
 * error. */
int sdb_iter_count(struct sdb_iter *it, uint64_t *n, struct sdb_error *e);

#endif
