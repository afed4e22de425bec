/*
 * stats.c - statistics for sochdb-wal stats and sochdb-kv stats: table
 * and WAL sizes from the manifest, live keys and bytes by iteration.
 */
#include "store/db_int.h"

#include <stdlib.h>
#include <string.h>

int sdb_db_stats(struct sdb_db *db, const char *ns, size_t nslen, int all_ns,
		 struct sdb_stats *st, struct sdb_error *e)
{
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_iter *it = NULL;
	uint64_t *starts;
	int n, rc;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < db->man.ntables; i++) {
		const struct sdb_table_meta *t = &db->man.tables[i];
		st->tables_per_level[t->level]++;
		st->bytes_per_level[t->level] += t->size;
		st->table_bytes += t->size;
		st->raw_bytes += t->raw_bytes;
		st->tombstones += t->ndeletes;
	}
	st->checkpoint_lsn = db->man.checkpoint_lsn;
	st->wal_end_lsn = db->wal_end;
	st->wal_bytes = db->wal_end - db->man.checkpoint_lsn;
	if (!sdb_wal_list(db->dir, &starts, &n, NULL)) {
		st->wal_segments = n;
		free(starts);
	}
	if (!all_ns) {
		unsigned char l = (unsigned char)nslen;
		sdb_buf_add(&lo, &l, 1);
		sdb_buf_add(&lo, ns, nslen);
		sdb_buf_add(&hi, lo.data, lo.len);
	}
	rc = sdb_iter_open(db, all_ns ? NULL : lo.data, lo.len,
			   all_ns || !sdb_prefix_succ(&hi) ? NULL : hi.data, hi.len, 0, &it, e);
	while (!rc) {
		const unsigned char *k;
		size_t kl;
		struct sdb_val v;
		rc = sdb_iter_next(it, &k, &kl, &v, e);
		if (rc <= 0)
			break;
		rc = 0;
		if (!all_ns && (kl < 1u + nslen || memcmp(k + 1, ns, nslen) || k[0] != nslen))
			continue;
		st->keys++;
		st->live_bytes += kl + v.len;
	}
	sdb_iter_close(it);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	if (rc < 0)
		return rc;
	{
		uint64_t stored = st->raw_bytes + db->mem.bytes;
		st->dead_bytes = stored > st->live_bytes ? stored - st->live_bytes : 0;
	}
	return 0;
}
