/*
 * db_int.h - the database handle shared by db.c, iter.c, maint.c.
 */
#ifndef SDB_DB_INT_H
#define SDB_DB_INT_H

#include "store/internal.h"

struct sdb_dbtab {
	struct sdb_table *t;
	const struct sdb_table_meta *meta;
	struct sdb_block cache;  /* last block read by point lookups */
	size_t cache_idx;
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
	struct sdb_wal_seg *segs;
	int nsegs;
	struct sdb_memtable mem;
	uint64_t now;
	/* WAL: end of the valid log; writer state */
	uint64_t wal_end;
	int wal_fd;
	uint64_t seg_start, seg_size;
	struct sdb_buf seg_path;
	uint64_t cut_bytes;
	struct sdb_buf kbuf;
};

void sdb_db_warn(const struct sdb_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sdb_db_prepare_tail(struct sdb_db *db, struct sdb_error *e);
int sdb_db_load_snapshot(struct sdb_db *db, struct sdb_error *e);
size_t sdb_block_lower_bound(const struct sdb_block *b, const void *k, size_t n);
/* Appends raw encoded records to the live segment (writer lock held). */
int sdb_db_append(struct sdb_db *db, const void *p, size_t n,
		  struct sdb_error *e);
/* fdatasync of the live segment unless --sync off. */
int sdb_db_sync(struct sdb_db *db, struct sdb_error *e);

/* Merging iterator over a memtable and tables (iter.c). raw: also return
 * delete markers and expired entries (compaction). */
struct sdb_cursor;
struct sdb_iter {
	struct sdb_cursor *c;
	int nc;
	int reverse, raw, started;
	uint64_t now;
	struct sdb_buf lo, hi, prev, target;
	int has_lo, has_hi;
};
int sdb_iter_init(struct sdb_iter *it, const struct sdb_memtable *mem,
		  struct sdb_table **tabs, size_t ntabs, const void *lo,
		  size_t lolen, const void *hi, size_t hilen, int reverse,
		  int raw, uint64_t now, struct sdb_error *e);
/* @return 1 with an entry, 0 at the end, or an error. */
int sdb_iter_next_raw(struct sdb_iter *it, const unsigned char **k,
		      size_t *klen, const unsigned char **v, size_t *vlen,
		      int *kind, uint64_t *expires, struct sdb_error *e);
void sdb_iter_release(struct sdb_iter *it);

#endif
