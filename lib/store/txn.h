/*
 * txn.h - transactions over a database handle: a snapshot, an ordered
 * write set, reads that see the transaction's own writes, merged
 * iterators, compare-and-set, nested savepoints, and one atomic commit
 * through sdb_batch and the WAL (sdb_db_commit).
 *
 * DESIGN. A transaction reads the snapshot of the handle it began on
 * (opened with SDB_OPEN_SNAPSHOT; without one it sees only its own
 * writes) and keeps its writes in three places:
 *   - the batch: the encoded WAL records in the order the writes were
 *     made, which the commit appends as is (so the WAL holds exactly the
 *     operations the caller issued, as sochdb-kv has always written them);
 *     the values live only there;
 *   - the write set: an in-memory B+tree keyed by internal key in memcmp
 *     order (sdb_key_cmp), one entry per key written, pointing at the
 *     newest write of that key; nodes cache the first 8 key bytes so most
 *     comparisons stay inside a node (fast at millions of entries);
 *   - the undo log: every write, with the write it replaced for its key.
 * Writes only append to the batch; the next read, cas, iterator step or
 * savepoint indexes the writes made since (so a write-only transaction,
 * a bulk load, costs what a plain batch costs).
 * A savepoint is a mark in the undo log and the batch; rolling back to it
 * walks the undo log backwards restoring each key's previous write (a key
 * first written after the mark keeps its tree entry with no write, which
 * reads and iterators skip) and truncates the batch.
 *
 * Range deletes (sdb_txn_del_range) go into the batch as one DELRANGE
 * record each and into a short list, in the order made, of [lo, hi) with
 * the number of writes made before it. A key's own write older than a
 * range that holds it reads as deleted, a write after the range as
 * written; a snapshot key a range holds is hidden from gets, cas and
 * iterators (which skip the rest of the range with one seek of the
 * snapshot iterator). The list is consulted only when it is not empty, so
 * transactions without range deletes pay nothing; with R ranges a read
 * costs up to R comparisons (meant for a few, e.g. DROP TABLE).
 *
 * Conflicts: sdb_txn_cas compares against the transaction's view (its own
 * newest write of the key, else the snapshot) and fails at once with
 * SDB_ECONFLICT. A cas decided by the snapshot is also remembered and
 * checked again at commit against the latest committed state, under the
 * writer lock: when the handle has held the writer lock since its snapshot
 * and has not committed since, the snapshot is that state; otherwise the
 * commit reads a fresh snapshot of the directory. So the keys read through
 * cas are serializable; plain sdb_txn_get reads are not checked (snapshot
 * isolation for them).
 *
 * A handle's snapshot is the state when it was opened (or last
 * refreshed): it does not grow with later commits by itself, not even
 * those made through the same handle. A transaction that must see the
 * commits made before it (SQL autocommit: each statement sees the previous
 * ones) calls sdb_db_refresh on the handle before sdb_txn_begin, with no
 * other transaction or iterator open on it; the refresh costs a stat or
 * two when nothing changed, a read of the new WAL tail otherwise. (The
 * cas check above sees every commit.) A transaction on a handle opened
 * for reading commits once the handle holds the writer lock
 * (sdb_db_lock_write, e.g. at SQL's first write or BEGIN IMMEDIATE); when
 * sdb_db_snapshot_stale says the snapshot is older than what the lock now
 * guards, the transaction read an old state: its cas reads are re-checked
 * at commit, its plain reads are not (treat it as a conflict, as SQLite's
 * WAL mode does with SQLITE_BUSY_SNAPSHOT, or refresh and start over).
 *
 * Pointers returned by reads and iterators stay valid until the next
 * write to the transaction, the next read or iterator step, or its end.
 */
#ifndef SDB_TXN_H
#define SDB_TXN_H

#include "store/store.h"

struct sdb_txn;

/*
 * Begins a transaction reading db's snapshot (db may have none: then only
 * the transaction's own writes are seen; db may be NULL for a write-only
 * transaction committed through sdb_txn_commit's db argument). db must
 * outlive the transaction.
 * @return 0 and *out (caller frees with sdb_txn_free), or SDB_ENOMEM.
 */
int sdb_txn_begin(struct sdb_db *db, struct sdb_txn **out,
		  struct sdb_error *e);

/*
 * Reads internal key ik as the transaction sees it: its own newest write
 * (a put whose expiry has passed reads as absent), else the snapshot.
 * @return 0 with *v set, SDB_ENOTFOUND when absent or deleted, or an
 * error from the snapshot (damage, I/O).
 */
int sdb_txn_get(struct sdb_txn *t, const void *ik, size_t n,
		struct sdb_val *v, struct sdb_error *e);

/*
 * Writes a put (expires_ms 0: no TTL) or a delete of ik. The key and value
 * are checked as sdb_batch_put checks them (SDB_ELIMIT, SDB_EINVAL); a
 * failed write changes nothing.
 * @return 0 or a negative code.
 */
int sdb_txn_put(struct sdb_txn *t, const void *ik, size_t n, const void *val,
		size_t vlen, uint64_t expires_ms, struct sdb_error *e);
int sdb_txn_del(struct sdb_txn *t, const void *ik, size_t n,
		struct sdb_error *e);

/*
 * Deletes every key k with lo <= k < hi (internal keys, bytewise) as
 * sdb_batch_del_range does: the transaction's own writes made before it
 * and the snapshot's keys; writes made after it stay. One DELRANGE WAL
 * record at commit; undone by a savepoint rollback like any write.
 * @return 0, SDB_EINVAL (empty bound, lo >= hi) or SDB_ELIMIT; a failed
 * call changes nothing.
 */
int sdb_txn_del_range(struct sdb_txn *t, const void *lo, size_t lolen,
		      const void *hi, size_t hilen, struct sdb_error *e);

/*
 * Compare-and-set: when ik currently holds old (old NULL: when ik is
 * absent), writes nv (nv NULL: deletes ik) with expires_ms. *present (may
 * be NULL) tells whether ik held a value. A cas decided by the snapshot
 * is checked again at commit (see DESIGN above).
 * @return 0 when written, SDB_ECONFLICT when the current value differs
 * (nothing written), or an error.
 */
int sdb_txn_cas(struct sdb_txn *t, const void *ik, size_t n, const void *old,
		size_t oldlen, const void *nv, size_t nvlen,
		uint64_t expires_ms, int *present, struct sdb_error *e);

/* Number of write operations the commit will log (0: it writes nothing).
 * @return the count. */
long sdb_txn_nops(const struct sdb_txn *t);
/*
 * Commits t straight into a table when its WAL records would take the
 * WAL past the automatic flush threshold (opts.flush_bytes since the
 * checkpoint; not with no_auto): what the WAL holds since the checkpoint
 * and t's writes are written as one level-0 table and installed by one
 * manifest switch, as sdb_bulk_commit(b, t) with no bulk keys -- the
 * flush the commit would trigger, without logging t's writes first.
 * Durable and atomic as a bulk commit (tables and manifest fsynced
 * unless sync off).
 * @return 0 (afterwards t may only be freed), 1 when not done (below the
 * threshold, the maintenance lock held elsewhere, a bulk running: commit
 * t the usual way), or a negative code (nothing of t applied; t may only
 * be freed).
 */
int sdb_txn_commit_direct(struct sdb_txn *t, struct sdb_db *db,
			  struct sdb_error *e);

/*
 * Savepoints nest: sdb_txn_savepoint pushes one and returns its id (the
 * nesting depth, 0 for the outermost). sdb_txn_rollback_to(id) undoes
 * every write made since savepoint id (and the cas checks made since),
 * discards the savepoints opened after it and keeps id itself open (as
 * SQL's ROLLBACK TO). sdb_txn_release(id) discards id and the savepoints
 * after it and keeps their writes (SQL's RELEASE).
 * @return the id (>= 0) / 0, or SDB_ENOMEM / SDB_EINVAL (no such id).
 */
int sdb_txn_savepoint(struct sdb_txn *t, struct sdb_error *e);
int sdb_txn_rollback_to(struct sdb_txn *t, int id, struct sdb_error *e);
int sdb_txn_release(struct sdb_txn *t, int id, struct sdb_error *e);

/*
 * Commits through db (NULL: the handle the transaction began on), which
 * must hold the writer lock (SDB_OPEN_WRITE): checks the remembered cas
 * reads against the latest committed state, then appends the batch
 * atomically with sdb_db_commit (unlock_first as there). A transaction
 * without writes commits nothing and touches no file. The transaction
 * can only be freed afterwards, whatever the outcome.
 * @return 0, SDB_ECONFLICT (a cas no longer holds; nothing applied), or
 * an error from the commit (nothing acknowledged).
 */
int sdb_txn_commit(struct sdb_txn *t, struct sdb_db *db, int unlock_first,
		   struct sdb_error *e);

/* Ends the transaction without committing and frees it (NULL allowed);
 * open iterators must be closed first. sdb_txn_abort is the same. */
void sdb_txn_free(struct sdb_txn *t);
void sdb_txn_abort(struct sdb_txn *t);

/*
 * Iterates the transaction's view of [lo, hi) (NULL: open bounds) in key
 * order, forward or reverse: the snapshot's live keys merged with the
 * write set, the transaction's newest write winning (its deletes hide
 * snapshot keys). Writes made while the iterator is open are seen when
 * they lie ahead of its position.
 * @return 0 and *out (caller closes), or an error.
 */
struct sdb_txn_iter;
int sdb_txn_iter_open(struct sdb_txn *t, const void *lo, size_t lolen,
		      const void *hi, size_t hilen, int reverse,
		      struct sdb_txn_iter **out, struct sdb_error *e);
/* sdb_iter_cache_blocks for the snapshot side. */
void sdb_txn_iter_cache_blocks(struct sdb_txn_iter *it);
/* Advances. @return 1 with key/value set, 0 at the end, or an error. */
int sdb_txn_iter_next(struct sdb_txn_iter *it, const unsigned char **k,
		      size_t *klen, struct sdb_val *v, struct sdb_error *e);
/* Whether the entry the last step returned is the snapshot's (not one of
 * the transaction's own writes): its key and value then stay in place
 * until the iterator's next step, whatever the transaction writes
 * meanwhile; an own write's may move with the next write. */
int sdb_txn_iter_stable(const struct sdb_txn_iter *it);
/*
 * A forward scan's next entries in place, without a step each: the
 * snapshot's entries [i, n) of its current block, which the next n - i
 * steps would return while the transaction writes nothing (no own write
 * in the range, no range delete). Serve them, checking
 * sdb_txn_iter_run_valid before each; then sdb_txn_iter_skip the ones
 * served before any other call on the iterator. Their bytes stay in
 * place until that skip's next step.
 */
struct sdb_run {
	const unsigned char *keys;   /* key j: keys + koff[j], klen[j] bytes */
	const uint32_t *koff, *klen, *vlen;
	const unsigned char **val;   /* value j: val[j], vlen[j] bytes */
	size_t i, n;
};
/* @return the number of entries in the run (0: none; step as usual). */
size_t sdb_txn_iter_run(struct sdb_txn_iter *it, struct sdb_run *r);
/* Whether the run still holds: the transaction wrote nothing since. */
int sdb_txn_iter_run_valid(const struct sdb_txn_iter *it);
/* Moves past m entries of the run (m <= its count; 0 does nothing): the
 * last of them is the current entry, as if the steps had returned them.
 * @return 0 or an error (out of memory). */
int sdb_txn_iter_skip(struct sdb_txn_iter *it, size_t m, struct sdb_error *e);
/*
 * Repositions at key as sdb_iter_seek does: the next step returns,
 * forward, the first key >= key, reverse, the last key <= key, within
 * [lo, hi). @return 0 or an error (the iterator is then at its end).
 */
int sdb_txn_iter_seek(struct sdb_txn_iter *it, const void *key, size_t klen,
		      struct sdb_error *e);
/* Replaces the upper bound of a forward iterator (sdb_iter_limit) for the
 * steps after its next seek: a prefix scan ends at the prefix's end
 * instead of stepping over the deleted keys after it. */
int sdb_txn_iter_limit(struct sdb_txn_iter *it, const void *hi, size_t hilen,
		       struct sdb_error *e);
/* Frees (NULL allowed). */
void sdb_txn_iter_close(struct sdb_txn_iter *it);
/* The number of keys the transaction sees in [lo, hi) (NULL: open
 * bounds), what an iterator would return, counted without handing out
 * keys: a range one table holds is counted block by block.
 * @return 0 and *n, or an error. */
int sdb_txn_count(struct sdb_txn *t, const void *lo, size_t lolen,
		  const void *hi, size_t hilen, uint64_t *n, struct sdb_error *e);

#endif
