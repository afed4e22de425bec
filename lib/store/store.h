/*
 * store.h - the storage engine: a durable, multi-process key-value store
 * in one directory (write-ahead log + LSM tables). Public surface used by
 * cmd/ (sochdb-kv, sochdb-wal) and later by SQL and graph.
 *
 * DESIGN. A database directory holds
 *   LOCK                     lock file (OFD locks: byte 0 writer, byte 1
 *                            maintenance); never contains data
 *   MANIFEST                 the current table set and checkpoint LSN,
 *                            replaced atomically (manifest.c)
 *   wal-<16 hex LSN>.log     WAL segments, named by the LSN (global WAL
 *                            byte position) of their first byte (wal.c)
 *   <6+ digit number>.sst    immutable sorted tables (table.c)
 * A committed transaction is BEGIN, PUT/DEL..., COMMIT records in the WAL;
 * the LSN of each operation record is its sequence number. A reader's
 * snapshot is one manifest version plus every committed transaction in the
 * WAL from the manifest's checkpoint LSN to the end it saw; files are
 * immutable once published (tables) or append-only (the WAL), so a reader
 * needs no lock. Writers hold the writer lock while appending; checkpoint
 * and compaction hold the maintenance lock and take the writer lock only
 * to seal the WAL segment being checkpointed.
 *
 * Keys inside the engine are "internal keys": one byte namespace length,
 * the namespace, then the user key (keys.h). Sorting is bytewise.
 */
#ifndef SDB_STORE_H
#define SDB_STORE_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* Documented limits. */
#define SDB_MAX_KEY 4096          /* user key bytes (1..4096) */
#define SDB_MAX_NS 255            /* namespace bytes */
#define SDB_MAX_VALUE (16u << 20) /* value bytes */
#define SDB_LEVELS 7              /* table levels 0..6 (maint.c) */

/* WAL record types, as stored in a record's type byte (wal.c). */
enum sdb_rec_type {
	SDB_REC_BEGIN = 1, SDB_REC_PUT = 2, SDB_REC_DEL = 3,
	SDB_REC_COMMIT = 4, SDB_REC_ABORT = 5, SDB_REC_CHECKPOINT = 6,
	SDB_REC_DELRANGE = 7,
	SDB_REC_LAST = SDB_REC_DELRANGE
};

enum sdb_sync { SDB_SYNC_FULL = 0, SDB_SYNC_NORMAL = 1, SDB_SYNC_OFF = 2 };
enum sdb_comp { SDB_COMP_NONE = 0, SDB_COMP_LZ4 = 1, SDB_COMP_ZSTD = 2 };

#include "store/keys.h" /* the internal-key layout: sdb_ikey_*, sdb_key_cmp */

struct sdb_opts {
	int sync;              /* enum sdb_sync */
	double lock_timeout;   /* seconds to wait for a lock; 0: try once */
	int compression;       /* for new tables; default lz4 */
	int bottom_compression; /* for full compactions; default zstd */
	uint64_t flush_bytes;  /* WAL since checkpoint that triggers a flush */
	uint64_t close_flush_bytes; /* ... and at a writer's close
				     * (sdb_db_flush_at_close) */
	uint64_t segment_bytes; /* start a new WAL segment past this size */
	uint64_t table_bytes;  /* compaction outputs split past this size */
	int no_auto;           /* no automatic flush/compaction (tests) */
	/* Warnings (a torn tail cut, a damaged tail ignored): the library
	 * never prints; cmd/ passes a printer. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};
void sdb_opts_default(struct sdb_opts *o);

/* Open flags. */
enum {
	SDB_OPEN_CREATE = 1,   /* create the directory/database if missing */
	SDB_OPEN_WRITE = 2,    /* take the writer lock, repair the WAL tail */
	SDB_OPEN_SNAPSHOT = 4, /* load tables + replay the WAL (for reads) */
};

struct sdb_db;

/*
 * Opens the database in dir. A missing or empty dir without CREATE:
 * SDB_ENOTFOUND ("no database at 'DIR'"); a non-empty dir that is not a
 * database: SDB_EUNSUPPORTED ("'DIR' is not a sochdb database"); a newer
 * format: SDB_EVERSION; the write lock not had within lock_timeout:
 * SDB_EBUSY; a damaged manifest, table or WAL: SDB_ECORRUPT.
 * @return 0 and *out (caller closes), or a negative code.
 */
int sdb_db_open(const char *dir, unsigned flags, const struct sdb_opts *o,
		struct sdb_db **out, struct sdb_error *e);
/* Releases locks, unmaps files, frees (NULL allowed). */
void sdb_db_close(struct sdb_db *db);

/* A value found by a read. Pointers are valid until the next read on db. */
struct sdb_val {
	const char *data;
	size_t len;
	uint64_t expires_ms; /* 0: no TTL */
};

/*
 * Brings db's snapshot up to the latest committed state: the snapshot of
 * a handle is taken when it is opened and does not grow by itself, not
 * even with the handle's own commits. Cheap when nothing changed (a stat
 * of MANIFEST and of the newest WAL segment, none for a writer whose only
 * new commits would be its own); otherwise, when the MANIFEST is the
 * one the snapshot was built from, only the WAL appended since the
 * snapshot's end is read and replayed, and merged into the snapshot (the
 * cost grows with what is new, plus a move of the snapshot's in-memory
 * entries after the first new key: nothing for appends in key order);
 * when the MANIFEST was replaced (a checkpoint, a compaction, a bulk
 * ingest) the snapshot is reloaded (the tables reopened, the whole WAL
 * from the checkpoint replayed). A handle
 * without a snapshot gets one. No iterator or transaction may be open on
 * db, and values read before are invalid after a reload. @return 0, or an
 * error as sdb_db_open's (the handle then has no snapshot: reads find
 * nothing until a refresh succeeds).
 */
int sdb_db_refresh(struct sdb_db *db, struct sdb_error *e);

/*
 * The writer lock on an open handle (SQL's first write or BEGIN
 * IMMEDIATE on a connection opened for reading): waits up to timeout
 * seconds (0: try once) and then does what a writer's open does: refuses
 * while a damage mark is there, checks that the WAL since the checkpoint
 * reads back and cuts a torn or damaged tail of the newest segment, and
 * checks every table's footer and index block. A handle opened without a
 * lock file opens one. Already held: 0 at once. The snapshot is left as
 * it was: it may be older than the state the lock now guards
 * (sdb_db_snapshot_stale says so; refresh it, or treat a transaction that
 * read the old snapshot as a conflict, as SQLite's WAL mode does).
 * @return 0, SDB_EBUSY (held elsewhere past timeout), SDB_ECORRUPT (a
 * database that cannot be read back; refused) or SDB_EIO; after an error
 * the lock is not held.
 */
int sdb_db_lock_write(struct sdb_db *db, double timeout, struct sdb_error *e);
/* Releases the writer lock (not held: nothing happens). The handle keeps
 * its snapshot, can refresh, and can take the lock again. Note that
 * sdb_db_maybe_flush and a commit with unlock_first release it too. */
void sdb_db_unlock_write(struct sdb_db *db);
/* Whether the handle holds the writer lock. */
int sdb_db_write_locked(const struct sdb_db *db);
/* 1 when the files hold more than db's snapshot (a refresh would change
 * it), else 0; a stat or two (none for a writer whose only commits since
 * would be its own: then 1 exactly when it committed since). */
int sdb_db_snapshot_stale(const struct sdb_db *db);
/* A number that changes whenever the handle's snapshot takes in what it
 * did not write itself (a refresh that found more, a reload); the same
 * number: the same data but for the handle's own commits since. */
uint64_t sdb_db_snapshot_gen(const struct sdb_db *db);

/* Point read of an internal key in the snapshot. @return 0 found,
 * SDB_ENOTFOUND absent/deleted/expired, or an error (damage, I/O). */
int sdb_db_get(struct sdb_db *db, const void *ik, size_t n,
	       struct sdb_val *v, struct sdb_error *e);

/* Range iteration over live keys of the snapshot in [lo, hi) (NULL: open
 * bounds), forward or reverse. */
struct sdb_iter;
int sdb_iter_open(struct sdb_db *db, const void *lo, size_t lolen,
		  const void *hi, size_t hilen, int reverse,
		  struct sdb_iter **out, struct sdb_error *e);
/*
 * Reads the tables' blocks through their block cache from now on (as
 * point reads do): for iterators that read the same short ranges again
 * and again (full-text postings), so a block compressed with zstd is not
 * decompressed at every query. Long scans leave it off (their blocks,
 * read once, would only push others out).
 */
void sdb_iter_cache_blocks(struct sdb_iter *it);
/* Advances. @return 1 with key/value set, 0 at the end, or an error. */
int sdb_iter_next(struct sdb_iter *it, const unsigned char **k, size_t *klen,
		  struct sdb_val *v, struct sdb_error *e);
/*
 * Repositions the iterator at key (an internal key); the next
 * sdb_iter_next continues in the iterator's direction from there:
 *   forward: the first live key k with k >= key and lo <= k < hi;
 *   reverse: the last live key k with k <= key and lo <= k < hi.
 * A key before lo (forward) or at/after hi (reverse) is clamped to the
 * bound; past the other bound the iterator is at its end. Keys returned
 * before are invalid after a seek; key itself may be one of them. Seeking
 * again after the end is allowed. @return 0 or an error (damage, I/O;
 * the iterator is then at its end).
 */
int sdb_iter_seek(struct sdb_iter *it, const void *key, size_t klen,
		  struct sdb_error *e);
/* Replaces the upper bound of a forward iterator (hi exclusive), for the
 * steps after its next seek: deleted keys past it are never stepped
 * over. @return 0, SDB_EINVAL (reverse) or SDB_ENOMEM. */
int sdb_iter_limit(struct sdb_iter *it, const void *hi, size_t hilen,
		   struct sdb_error *e);
void sdb_iter_close(struct sdb_iter *it);

/* A write batch: encoded WAL operation records of one transaction. */
struct sdb_batch {
	struct sdb_buf rec;
	long nops;
};
void sdb_batch_init(struct sdb_batch *b);
void sdb_batch_release(struct sdb_batch *b);
/* Appends a put/delete of internal key ik. expires_ms 0: no TTL. */
int sdb_batch_put(struct sdb_batch *b, const void *ik, size_t n,
		  const void *val, size_t vlen, uint64_t expires_ms,
		  struct sdb_error *e);
int sdb_batch_del(struct sdb_batch *b, const void *ik, size_t n,
		  struct sdb_error *e);
/*
 * Appends a range delete: every internal key k with lo <= k < hi (bytewise,
 * sdb_key_cmp) written before this operation is deleted, in every
 * namespace the range spans; one DELRANGE WAL record. Puts after it (later
 * in the batch or in later commits) stay visible. The bounds are any
 * bytes (1..4352 each; a prefix and its sdb_prefix_succ delete every key
 * with that prefix, e.g. a whole namespace). Honoured by reads,
 * iterators, checkpoint, compaction and recovery. @return 0, SDB_EINVAL
 * (empty bound, lo >= hi) or SDB_ELIMIT.
 */
int sdb_batch_del_range(struct sdb_batch *b, const void *lo, size_t lolen,
			const void *hi, size_t hilen, struct sdb_error *e);

/*
 * Commits b atomically (BEGIN, ops, COMMIT in one write) as the writer
 * lock holder, synced per the sync mode. With unlock_first the writer
 * lock is released before the fsync so concurrent committers share it
 * (group commit); the handle can then no longer write. After a commit the
 * writer may flush the WAL to a table when it passed the threshold
 * (sdb_db_maybe_flush). @return 0 or an error (nothing acknowledged).
 */
int sdb_db_commit(struct sdb_db *db, struct sdb_batch *b, int unlock_first,
		  struct sdb_error *e);

/* Runs an automatic flush/compaction when thresholds are crossed and the
 * maintenance lock is free. Errors are reported but nothing committed is
 * affected. */
int sdb_db_maybe_flush(struct sdb_db *db, struct sdb_error *e);
/* Before the close of a handle that appended to the WAL: flushes the WAL
 * to a table when more than o.close_flush_bytes (default 256 KiB) follow
 * the checkpoint, so the next short-lived process does not replay it on
 * open (SQLite checkpoints at its last connection's close for the same
 * reason). Never waits: a writer or maintenance lock held elsewhere skips
 * it (0). Errors (a full disk) are reported; the WAL keeps every commit. */
int sdb_db_flush_at_close(struct sdb_db *db, struct sdb_error *e);
/* fdatasync of the live WAL segment unless --sync off (end of a load in
 * normal mode). */
int sdb_db_sync(struct sdb_db *db, struct sdb_error *e);

/*
 * Bulk ingest (bulk.c): keys handed over in strictly increasing order
 * (sdb_key_cmp) are written straight into new table files, and installed
 * at commit by one manifest switch -- no WAL records, no replay, no
 * compaction of the data afterwards when it lands below everything.
 *   - db must hold the writer lock (SDB_OPEN_WRITE or sdb_db_lock_write)
 *     from sdb_bulk_begin to the end of sdb_bulk_commit; begin also takes
 *     the maintenance lock (waiting up to lock_timeout: SDB_EBUSY), so
 *     checkpoints and compactions wait (or skip) meanwhile, and the
 *     handle's automatic flush does nothing.
 *   - Ordering: the bulk's keys shadow everything committed before
 *     sdb_bulk_commit (range deletes included: the commit first writes
 *     what the WAL holds to a table below the bulk's) and are shadowed by
 *     everything committed after it. Several writes of one key in a bulk
 *     are refused (strictly increasing); sdb_sorter keeps the newest.
 *   - Durability and atomicity: each table is fsynced, then the
 *     directory, then one manifest is published (temp + fsync + rename +
 *     directory fsync; sync off: none of these). A crash at any point
 *     leaves all of it or none of it after reopen; tables of an
 *     unfinished bulk are unnamed and removed by the next maintenance.
 *   - Isolation: the bulk's keys are not readable through db, any
 *     transaction or snapshot until the commit, and a reader's snapshot
 *     sees all of them after a refresh or none. Nothing is checked
 *     against concurrent writes: the writer lock serialises it with the
 *     other writers, like a transaction committed at sdb_bulk_commit.
 *   - Inside a caller's transaction: sdb_bulk_commit(b, t) also commits
 *     transaction t (begun on db; its compare-and-set reads are checked
 *     as sdb_txn_commit checks them, SDB_ECONFLICT: nothing of either
 *     applied) in the same manifest switch: t's writes (range deletes
 *     included) go to the flushed table, ordered before the bulk's keys
 *     (a key written by both reads as the bulk's). t reads its own writes
 *     and the snapshot as usual, never the bulk's keys; afterwards t may
 *     only be freed. SQL: CREATE INDEX = catalog row in t + index entries
 *     in the bulk; .import = the rows in the bulk.
 * Memory: one table block and the bloom hashes of the table being written
 * (8 bytes a key); tables split past opts.table_bytes.
 * @return 0 or a negative code; after a failed add the bulk can only be
 * aborted; sdb_bulk_commit and sdb_bulk_abort free b whatever happens
 * (after a failed commit nothing of it is applied).
 */
struct sdb_bulk;
struct sdb_txn;
int sdb_bulk_begin(struct sdb_db *db, struct sdb_bulk **out,
		   struct sdb_error *e);
/* A put (expires_ms 0: no TTL) or a delete marker of internal key ik, in
 * strictly increasing key order (else SDB_EINVAL); checked as
 * sdb_batch_put checks (SDB_ELIMIT, SDB_EINVAL). */
int sdb_bulk_put(struct sdb_bulk *b, const void *ik, size_t n, const void *val,
		 size_t vlen, uint64_t expires_ms, struct sdb_error *e);
int sdb_bulk_del(struct sdb_bulk *b, const void *ik, size_t n,
		 struct sdb_error *e);
/* Keys added so far. */
uint64_t sdb_bulk_count(const struct sdb_bulk *b);
int sdb_bulk_commit(struct sdb_bulk *b, struct sdb_txn *t, struct sdb_error *e);
void sdb_bulk_abort(struct sdb_bulk *b);

/*
 * The sorter: collects puts and deletes in any order (copied into one
 * arena: about 40 bytes a key plus the key and value bytes, in memory),
 * then sdb_sorter_feed sorts them (radix sort of the 8 key bytes after
 * the keys' common prefix, then ties by full comparison) and hands them
 * to a bulk in order, the newest write of each key only. A sorter may be
 * fed several times (it is emptied each time); the keys of a later feed
 * must then all sort after those of the earlier ones (the bulk refuses
 * them otherwise).
 */
struct sdb_sorter;
int sdb_sorter_new(struct sdb_sorter **out, struct sdb_error *e);
int sdb_sorter_put(struct sdb_sorter *s, const void *ik, size_t n,
		   const void *val, size_t vlen, uint64_t expires_ms,
		   struct sdb_error *e);
int sdb_sorter_del(struct sdb_sorter *s, const void *ik, size_t n,
		   struct sdb_error *e);
size_t sdb_sorter_count(const struct sdb_sorter *s);
int sdb_sorter_feed(struct sdb_sorter *s, struct sdb_bulk *b,
		    struct sdb_error *e);
void sdb_sorter_free(struct sdb_sorter *s);
/* The sorter's ordering for keys a caller holds: key i is base[off[i] ..
 * off[i] + len[i]); order[0..n) receives their indexes in key order (equal
 * keys by index). @return 0 or SDB_ENOMEM. */
int sdb_keys_order(const unsigned char *base, const uint32_t *off,
		   const uint32_t *len, size_t n, uint32_t *order);

/* Maintenance (sochdb-wal). */
struct sdb_maint_opts {
	uint64_t if_larger_than; /* 0: always */
	int skip_if_busy;        /* maintenance lock busy: do nothing, rc 0 */
	int level;               /* compact: -1 full, else that level */
	int dry_run;
};
/* Result: *did is 1 when work was done, 0 for "nothing to do"/skipped. */
int sdb_checkpoint(const char *dir, const struct sdb_opts *o,
		   const struct sdb_maint_opts *m, int *did,
		   struct sdb_error *e);
int sdb_compact(const char *dir, const struct sdb_opts *o,
		const struct sdb_maint_opts *m, int *did,
		struct sdb_error *e);

/* Statistics of a snapshot. */
struct sdb_stats {
	uint64_t keys, live_bytes, dead_bytes, wal_bytes, checkpoint_lsn,
		 wal_end_lsn, table_bytes, raw_bytes, tombstones;
	int tables_per_level[SDB_LEVELS];
	uint64_t bytes_per_level[SDB_LEVELS];
	int wal_segments;
};
int sdb_db_stats(struct sdb_db *db, const char *ns, size_t nslen, int all_ns,
		 struct sdb_stats *st, struct sdb_error *e);

/* verify: the first damage found, if any. */
struct sdb_verify {
	int damaged;
	char file[4096];
	uint64_t offset;
	char what[512];
	int tables, segments, inflight;
	uint64_t table_bytes, wal_bytes, records;
	int marked;      /* a damage mark (DIR/DAMAGE): writers refuse */
	char mark[1100]; /* what it says */
};
/* Checks the manifest, every table block and every WAL record from the
 * checkpoint. Damage is reported in v (rc 0); @return an error only when
 * the check itself cannot run (no database, I/O). */
int sdb_verify(const char *dir, struct sdb_verify *v, struct sdb_error *e);

/* One WAL record for sochdb-wal dump/stats. */
struct sdb_wal_entry {
	uint64_t lsn;
	int type; /* enum sdb_rec_type */
	size_t reclen;
	const unsigned char *key; /* internal key (put/del) */
	size_t klen;
	const unsigned char *val;
	size_t vlen;
	uint64_t expires_ms;
	uint64_t info; /* commit: operations; checkpoint: its LSN */
};
typedef int (*sdb_wal_walk_fn)(void *ctx, const struct sdb_wal_entry *x);
/* Calls cb for every record at LSN >= from in the WAL segments present,
 * with the reader's end-of-log rules. */
int sdb_wal_walk(const char *dir, uint64_t from, const struct sdb_opts *o,
		 sdb_wal_walk_fn cb, void *ctx, struct sdb_error *e);

struct sdb_recover_report {
	int cut, damaged;
	char file[4096];
	uint64_t lsn, offset, bytes;
	size_t entries;
	uint64_t wal_end;
	int marked;       /* a damage mark (DIR/DAMAGE) was there */
	int cleared;      /* ... and every table checked out: removed */
	char mark[1100];  /* what the mark said */
};
/* As the writer lock holder: cuts a torn or damaged WAL tail (unless
 * dry_run), replays the WAL to prove the database opens and checks every
 * table's checksums: all whole, a damage mark (writers refuse while it is
 * there) is removed (unless dry_run); a damaged table is marked and
 * reported (SDB_ECORRUPT). */
int sdb_recover(const char *dir, const struct sdb_opts *o, int dry_run,
		struct sdb_recover_report *rep, struct sdb_error *e);
/* Removes WAL segments wholly below upto; upto past the checkpoint is
 * refused with SDB_ELIMIT. */
int sdb_wal_truncate(const char *dir, const struct sdb_opts *o, uint64_t upto,
		     int *removed, struct sdb_error *e);
/* A consistent copy into dest (absent or an empty directory, not inside
 * dir): hard links of the tables (copies with copy, or across file
 * systems), each table's checksums checked on the way, the WAL up to a
 * transaction boundary, the manifest; built beside dest and renamed in.
 * @return 0, SDB_ECORRUPT (damage found: nothing left at dest), or an
 * error (SDB_EIO for a dest that is not empty, SDB_EUNSUPPORTED for one
 * inside the database). */
int sdb_backup(const char *dir, const char *dest, const struct sdb_opts *o,
	       int copy, struct sdb_error *e);

/* One piece salvage could not keep. what: "block" (a table block),
 * "table" (a table whose footer or index is damaged), "table-missing",
 * "wal" (unreadable WAL bytes), "txn" (a transaction dropped because a
 * record of it was unreadable), "wal-missing" (WAL that is gone: a gap
 * between segments or the end below the synced mark). Keys are internal
 * keys (NULL: unknown); the lost keys lie between key_from and key_to
 * (inclusive; for a block, key_from is the last key of the block before
 * it, which is kept). LSNs are [lsn_from, lsn_to) when has_lsn. */
struct sdb_lost {
	const char *what;
	const char *file;
	uint64_t offset, bytes;
	int has_lsn;
	uint64_t lsn_from, lsn_to;
	const unsigned char *key_from, *key_to;
	size_t kflen, ktlen;
};
typedef int (*sdb_salvage_fn)(void *ctx, const struct sdb_lost *l);
struct sdb_salvage_report {
	uint64_t records;  /* operations written (table entries, WAL ops) */
	uint64_t lost;     /* pieces reported */
	int tables, segments;
	uint64_t blocks, blocks_lost, txns, txns_lost, wal_bytes_lost;
};
/* Writes every table block and committed WAL transaction of dir that
 * checks out into a fresh database at dest (absent or an empty directory,
 * not inside dir; built beside it and renamed in, so a failure leaves
 * nothing), calling cb for each piece lost. The copy is verified before
 * it is published. @return 0 (rep->lost says whether anything was lost)
 * or an error (no database, unreadable manifest, newer format, dest, I/O). */
int sdb_salvage(const char *dir, const char *dest, const struct sdb_opts *o,
		sdb_salvage_fn cb, void *ctx, struct sdb_salvage_report *rep,
		struct sdb_error *e);

/* The snapshot's WAL end LSN and checkpoint LSN. */
uint64_t sdb_db_wal_end(const struct sdb_db *db);
uint64_t sdb_db_checkpoint_lsn(const struct sdb_db *db);
/* A tag of what the snapshot reads (WAL end, next file number, checkpoint
 * LSN): equal tags of one database mean equal contents (a commit moves the
 * WAL end, a bulk install or a checkpoint the file number), so a cache of
 * data derived from the store may be kept while the tag holds. */
void sdb_db_snapshot_tag(const struct sdb_db *db, uint64_t tag[3]);

/* Milliseconds since the epoch (TTL clock; SDB_NOW_MS overrides it for
 * tests). */
uint64_t sdb_now_ms(void);

#endif
