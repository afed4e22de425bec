/*
 * maint.c - checkpoint (flush of the WAL to a table), leveled compaction
 * and the maintenance entry points (statistics: stats.c).
 *
 * DESIGN. Both run under the maintenance lock, so at most one of them
 * changes the table set at a time; the manifest is only ever replaced by
 * the maintenance lock holder. A checkpoint takes the writer lock only to
 * seal the live WAL segment: it appends a CHECKPOINT record, syncs, and
 * starts a new segment at the following LSN; the sealed segments are
 * then replayed and written as a level-0 table without blocking writers.
 * Compaction merges tables into new ones (never rewriting a file a reader
 * may have mapped), publishes the new manifest, then unlinks the inputs.
 * Levels: level 0 holds flushed tables (overlapping); levels 1..6 are
 * sorted runs, level n may hold 64 MiB * 10^(n-1) (size ratio 10); four
 * level-0 tables trigger a level-0 compaction.
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
#include <unistd.h>

#define L0_TRIGGER 4
#define L1_BYTES (64ull << 20)

static uint64_t level_target(int n)
{
	uint64_t t = L1_BYTES;

	while (--n > 0)
		t *= 10;
	return t;
}

static int nosync(const struct sdb_db *db)
{
	return db->o.sync == SDB_SYNC_OFF;
}

/* Unlinks tables the manifest does not name and leftover temp files
 * (maintenance lock held: nobody else creates tables). */
static void remove_orphans(struct sdb_db *db)
{
	DIR *d = opendir(db->dir);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		uint64_t no;
		enum sdb_file_kind k = sdb_parse_file_name(s, &no);
		int orphan = k == SDB_FILE_TEMP || k == SDB_FILE_TABLE;
		for (size_t i = 0; k == SDB_FILE_TABLE && orphan && i < db->man.ntables; i++)
			if (db->man.tables[i].no == no)
				orphan = 0;
		if (orphan) {
			snprintf(path, sizeof(path), "%s/%s", db->dir, s);
			sdb_io_unlink(path, NULL);
		}
	}
	closedir(d);
}

/* Unlinks WAL segments entirely below the checkpoint. */
void sdb_ckpt_retire_wal(struct sdb_db *db, uint64_t cp)
{
	struct sdb_buf p = SDB_BUF_INIT;
	uint64_t *starts;
	int n;

	if (sdb_wal_list(db->dir, &starts, &n, NULL))
		return;
	for (int i = 0; i < n; i++)
		if (starts[i] < cp) {
			sdb_wal_path(&p, db->dir, starts[i]);
			sdb_io_unlink(p.data, NULL);
		}
	free(starts);
	sdb_buf_release(&p);
}

static int add_table(struct sdb_manifest *m, const struct sdb_table_meta *t)
{
	struct sdb_table_meta *nt = realloc(m->tables, (m->ntables + 1) * sizeof(*nt));

	if (!nt)
		return SDB_ENOMEM;
	m->tables = nt;
	m->tables[m->ntables++] = *t;
	return 0;
}

int sdb_ckpt_seal(struct sdb_db *db, uint64_t *newcp, struct sdb_error *e)
{
	struct sdb_buf rec = SDB_BUF_INIT;
	unsigned char pl[16];
	int rc;

	/* seal: CHECKPOINT record naming the LSN right after itself, and the
	 * synced mark like a COMMIT's */
	*newcp = db->wal_end + SDB_WAL_OVERHEAD + 16;
	sdb_put_u64(pl, *newcp);
	sdb_put_u64(pl + 8, sdb_db_synced_mark(db));
	sdb_wal_encode(&rec, SDB_REC_CHECKPOINT, pl, 16);
	if (!sdb_buf_ok(&rec)) /* else an empty append, and a manifest naming an LSN never written */
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	else if (!(rc = sdb_db_append(db, rec.data, rec.len, e)) &&
		 !(rc = sdb_db_sync(db, e)))
		rc = sdb_db_new_segment(db, e);
	sdb_buf_release(&rec);
	return rc;
}

int sdb_ckpt_flush(struct sdb_db *db, uint64_t cp, uint64_t newcp,
		   struct sdb_batch *extra, uint64_t no,
		   struct sdb_table_meta *meta, int *have, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_wal_seg *segs = NULL;
	struct sdb_memtable mem = { 0 };
	struct sdb_table_writer *w = NULL;
	uint64_t *starts = NULL;
	int n = 0, nsegs = 0, rc = 0;

	*have = 0;
	if (newcp > cp) {
		if ((rc = sdb_wal_list(db->dir, &starts, &n, e)))
			goto out;
	}
	segs = calloc((size_t)n + 2, sizeof(*segs));
	if (!segs) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct sdb_wal_seg *s;
		uint64_t expect = nsegs ? segs[nsegs - 1].start + segs[nsegs - 1].valid : cp;
		if (starts[i] < cp || starts[i] >= newcp)
			continue;
		s = &segs[nsegs];
		if ((rc = sdb_wal_seg_read(s, db->dir, starts[i], 0, e)))
			goto out;
		nsegs++;
		if (s->start != expect) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "WAL segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
					   s->path, s->start, expect);
			goto out;
		}
		if (s->status != SDB_SEG_CLEAN) {
			rc = sdb_wal_seg_damage(s, e);
			goto out;
		}
	}
	if ((rc = sdb_wal_replay(segs, nsegs, &mem, e)))
		goto out;
	if (extra && extra->nops) {
		/* the batch as one more committed transaction after the WAL */
		struct sdb_wal_seg x = { .start = newcp, .path = (char *)"(bulk transaction)" };
		unsigned char c[12] = { 0 };
		sdb_put_u32(c, (uint32_t)extra->nops);
		sdb_wal_encode(&extra->rec, SDB_REC_COMMIT, c, 12);
		if (!sdb_buf_ok(&extra->rec)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		x.data = (unsigned char *)extra->rec.data;
		x.size = x.valid = extra->rec.len;
		if ((rc = sdb_wal_replay(&x, 1, &mem, e)))
			goto out;
	}
	if (sdb_mem_finish(&mem)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	if (mem.n || mem.nrd) {
		meta->no = no;
		meta->level = 0;
		sdb_table_path(&path, db->dir, meta->no);
		if ((rc = sdb_table_writer_open(&w, path.data, db->o.compression, nosync(db), e)))
			goto out;
		for (size_t i = 0; i < mem.n; i++) {
			const struct sdb_ment *x = &mem.e[i];
			if (i + 16 < mem.n) { /* entries point all over the WAL */
				__builtin_prefetch(mem.e[i + 16].key);
				__builtin_prefetch(mem.e[i + 16].val);
			}
			if ((rc = sdb_table_writer_add(w, x->key, x->klen, x->kind, x->expires,
						       x->val, x->vlen, e))) {
				sdb_table_writer_abort(w);
				goto out;
			}
		}
		for (size_t i = 0; i < mem.nrd; i++)
			if ((rc = sdb_table_writer_add_range(w, mem.rd[i].lo, mem.rd[i].lolen,
							     mem.rd[i].hi, mem.rd[i].hilen, e))) {
				sdb_table_writer_abort(w);
				goto out;
			}
		if ((rc = sdb_table_writer_finish(w, meta, e)))
			goto out;
		*have = 1;
	}
out:
	for (int i = 0; i < nsegs; i++)
		sdb_wal_seg_release(&segs[i]);
	free(segs);
	free(starts);
	sdb_mem_release(&mem);
	sdb_buf_release(&path);
	return rc;
}

static int checkpoint_locked(struct sdb_db *db, uint64_t if_larger, int *did,
			  struct sdb_error *e)
{
	struct sdb_table_meta meta = { 0 };
	uint64_t cp, newcp;
	int rc, have = 0;

	*did = 0;
	if (!db->wlocked) {
		if ((rc = sdb_lock_take(db->lock_fd, SDB_LOCK_WRITER, db->o.lock_timeout, db->dir, e)))
			return rc;
		db->wlocked = 1;
	}
	sdb_manifest_release(&db->man);
	if ((rc = sdb_manifest_read(&db->man, db->dir, e)) || (rc = sdb_db_prepare_tail(db, e)))
		goto unlock;
	cp = db->man.checkpoint_lsn;
	if (db->wal_end == cp || db->wal_end - cp <= if_larger)
		goto unlock;
	if ((rc = sdb_ckpt_seal(db, &newcp, e)))
		goto unlock;
	sdb_lock_release(db->lock_fd, SDB_LOCK_WRITER);
	db->wlocked = 0;

	/* heavy part, writers run meanwhile */
	if ((rc = sdb_ckpt_flush(db, cp, newcp, NULL, db->man.next_file, &meta, &have, e)))
		goto out;
	if (have) {
		db->man.next_file++;
		if (!nosync(db) && (rc = sdb_io_fsync_dir(db->dir, e)))
			goto out;
		if (add_table(&db->man, &meta)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		memset(&meta, 0, sizeof(meta));
	}
	db->man.checkpoint_lsn = newcp;
	if ((rc = sdb_manifest_write(&db->man, db->dir, nosync(db), e)))
		goto out;
	sdb_ckpt_retire_wal(db, newcp);
	*did = 1;
	goto out;
unlock:
	if (db->wlocked) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_WRITER);
		db->wlocked = 0;
	}
out:
	sdb_table_meta_release(&meta);
	return rc;
}

/* ---------------------------------------------------------- compaction */

static int deepest_level(const struct sdb_manifest *m)
{
	int d = 0;

	for (size_t i = 0; i < m->ntables; i++)
		if (m->tables[i].level > d)
			d = m->tables[i].level;
	return d;
}

static int overlaps(const struct sdb_table_meta *t, const unsigned char *lo,
		    size_t lolen, const unsigned char *hi, size_t hilen)
{
	return sdb_key_cmp(t->largest, t->llen, lo, lolen) >= 0 &&
	       sdb_key_cmp(t->smallest, t->slen, hi, hilen) <= 0;
}

static int meta_order(const void *pa, const void *pb)
{
	const struct sdb_table_meta *a = *(const struct sdb_table_meta *const *)pa;
	const struct sdb_table_meta *b = *(const struct sdb_table_meta *const *)pb;

	if (a->level != b->level)
		return a->level - b->level;
	if (a->level == 0)
		return a->no > b->no ? -1 : a->no < b->no;
	return sdb_key_cmp(a->smallest, a->slen, b->smallest, b->slen);
}

/*
 * Gives w the ranges of rs clipped to [from, to) (NULL: unbounded): an
 * output table holds the range deletes of its own key span, so the
 * tables of a level stay disjoint.
 */
static int add_ranges(struct sdb_table_writer *w, const struct sdb_range *rs,
		      size_t n, const struct sdb_buf *from, const void *to,
		      size_t tolen, struct sdb_error *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct sdb_range *r = &rs[i];
		const void *lo = r->lo, *hi = r->hi;
		size_t lolen = r->lolen, hilen = r->hilen;
		int rc;
		if (from->len && sdb_key_cmp(lo, lolen, from->data, from->len) < 0)
			lo = from->data, lolen = from->len;
		if (to && sdb_key_cmp(hi, hilen, to, tolen) > 0)
			hi = to, hilen = tolen;
		if (sdb_key_cmp(lo, lolen, hi, hilen) >= 0)
			continue;
		if ((rc = sdb_table_writer_add_range(w, lo, lolen, hi, hilen, e)))
			return rc;
	}
	return 0;
}

/* Starts the next output table of a merge into level. */
static int open_output(struct sdb_db *db, struct sdb_table_meta **outs,
		       size_t *nout, int level, int comp,
		       struct sdb_table_writer **w, struct sdb_error *e)
{
	struct sdb_table_meta *no = realloc(*outs, (*nout + 1) * sizeof(**outs));
	struct sdb_buf path = SDB_BUF_INIT;
	int rc;

	if (!no)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	*outs = no;
	memset(&no[*nout], 0, sizeof(*no));
	no[*nout].no = db->man.next_file++;
	no[*nout].level = level;
	sdb_table_path(&path, db->dir, no[*nout].no);
	(*nout)++;
	rc = sdb_table_writer_open(w, sdb_buf_ok(&path) ? path.data : NULL, comp, nosync(db), e);
	sdb_buf_release(&path);
	return rc;
}

/*
 * Merges the tables flagged in pick[] into level out. @return 0 or an
 * error; the manifest in db->man is replaced on success. Entries that a
 * newer input's range deletes cover are dropped by the iterator; the
 * ranges themselves go to the outputs (clipped to each output's span)
 * unless nothing deeper holds their keys.
 */
static int merge(struct sdb_db *db, const char *pick, int out, int bottom,
		 struct sdb_error *e)
{
	struct sdb_manifest *m = &db->man;
	const struct sdb_table_meta **in = calloc(m->ntables + 1, sizeof(*in));
	struct sdb_table **tabs = calloc(m->ntables + 1, sizeof(*tabs));
	struct sdb_table_meta *outs = NULL;
	struct sdb_table_writer *w = NULL;
	struct sdb_buf path = SDB_BUF_INIT, split = SDB_BUF_INIT;
	struct sdb_iter it;
	struct sdb_range *rs = NULL;
	const unsigned char *lo = NULL, *hi = NULL;
	size_t lolen = 0, hilen = 0, nin = 0, nout = 0, nrs = 0, i;
	int drop = 1, comp, rc = 0, have_it = 0;
	uint64_t now = sdb_now_ms();

	if (!in || !tabs) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < m->ntables; i++)
		if (pick[i]) {
			const struct sdb_table_meta *t = &m->tables[i];
			in[nin++] = t;
			if (!lo || sdb_key_cmp(t->smallest, t->slen, lo, lolen) < 0)
				lo = t->smallest, lolen = t->slen;
			if (!hi || sdb_key_cmp(t->largest, t->llen, hi, hilen) > 0)
				hi = t->largest, hilen = t->llen;
		}
	qsort(in, nin, sizeof(*in), meta_order);
	/* delete markers can go when nothing deeper holds the key range */
	for (i = 0; i < m->ntables; i++)
		if (!pick[i] && m->tables[i].level > out && overlaps(&m->tables[i], lo, lolen, hi, hilen))
			drop = 0;
	comp = bottom && drop ? db->o.bottom_compression : db->o.compression;
	for (i = 0; i < nin; i++) {
		sdb_table_path(&path, db->dir, in[i]->no);
		if ((rc = sdb_table_open(&tabs[i], path.data, e)))
			goto out;
		nrs += tabs[i]->nrt;
	}
	if (nrs && !drop) {
		if (!(rs = calloc(nrs, sizeof(*rs)))) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		nrs = 0;
		for (i = 0; i < nin; i++) {
			if (tabs[i]->nrt) /* rt is NULL without ranges */
				memcpy(rs + nrs, tabs[i]->rt, tabs[i]->nrt * sizeof(*rs));
			nrs += tabs[i]->nrt;
		}
		sdb_ranges_union(rs, &nrs);
	} else
		nrs = 0;
	if ((rc = sdb_iter_init(&it, NULL, tabs, NULL, nin, NULL, 0, NULL, 0, 0, 1, now, e)))
		goto out_it;
	have_it = 1;
	outs = calloc(1, sizeof(*outs));
	if (!outs) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		const unsigned char *k, *v;
		size_t kl, vl;
		int kind;
		uint64_t exp;
		rc = sdb_iter_next_raw(&it, &k, &kl, &v, &vl, &kind, &exp, e);
		if (rc <= 0)
			break;
		rc = 0;
		if (kind == SDB_KIND_TTL && exp <= now)
			kind = SDB_KIND_DEL, vl = 0;
		if (kind == SDB_KIND_DEL && drop)
			continue;
		if (w && sdb_table_writer_bytes(w) >= (db->o.table_bytes ? db->o.table_bytes : SDB_TABLE_TARGET)) {
			if ((rc = add_ranges(w, rs, nrs, &split, k, kl, e)))
				goto out;
			if ((rc = sdb_table_writer_finish(w, &outs[nout - 1], e))) {
				w = NULL;
				goto out;
			}
			w = NULL;
			sdb_buf_reset(&split);
			sdb_buf_add(&split, k, kl);
			if (!sdb_buf_ok(&split)) {
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (!w && (rc = open_output(db, &outs, &nout, out, comp, &w, e)))
			goto out;
		if ((rc = sdb_table_writer_add(w, k, kl, kind, exp, v, vl, e)))
			goto out;
	}
	if (rc < 0)
		goto out;
	if (nrs && !w && (rc = open_output(db, &outs, &nout, out, comp, &w, e)))
		goto out; /* only range deletes survive */
	if (w && (rc = add_ranges(w, rs, nrs, &split, NULL, 0, e)))
		goto out;
	if (w) {
		rc = sdb_table_writer_finish(w, &outs[nout - 1], e);
		w = NULL;
		if (rc)
			goto out;
	}
	if (!nosync(db) && (rc = sdb_io_fsync_dir(db->dir, e)))
		goto out;
	{
		/* new manifest: survivors + outputs */
		struct sdb_manifest nm = { .next_file = m->next_file, .checkpoint_lsn = m->checkpoint_lsn };
		nm.tables = calloc(m->ntables + nout + 1, sizeof(*nm.tables));
		if (!nm.tables) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < m->ntables; i++)
			if (!pick[i])
				nm.tables[nm.ntables++] = m->tables[i];
		for (i = 0; i < nout; i++)
			nm.tables[nm.ntables++] = outs[i];
		rc = sdb_manifest_write(&nm, db->dir, nosync(db), e);
		free(nm.tables); /* metas still owned by m / outs */
		if (rc)
			goto out;
		for (i = 0; i < m->ntables; i++)
			if (pick[i]) {
				sdb_table_path(&path, db->dir, m->tables[i].no);
				sdb_io_unlink(path.data, NULL);
			}
	}
out:
	if (have_it)
		sdb_iter_release(&it);
out_it:
	sdb_table_writer_abort(w);
	for (i = 0; i < nin; i++)
		sdb_table_close(tabs[i]);
	for (i = 0; i < nout; i++)
		sdb_table_meta_release(&outs[i]);
	free(outs);
	free(in);
	free(tabs);
	free(rs);
	sdb_buf_release(&path);
	sdb_buf_release(&split);
	/* a damaged input: remember it, so writers refuse (damage.c) */
	sdb_damage_note(db->dir, nosync(db), rc, e);
	/* re-read the manifest so db->man matches the disk either way */
	if (!rc) {
		sdb_manifest_release(&db->man);
		rc = sdb_manifest_read(&db->man, db->dir, e);
	}
	return rc;
}

/*
 * Moves the picked tables (all of one level) one level down by a new
 * manifest alone, when that is the merge's result anyway: no two of them
 * overlap and none overlaps the level below (RocksDB's trivial move).
 * A bulk load or a new table of keys of its own (another table's rows,
 * a full-text index) then costs no rewrite of the data before it.
 * @return 1 moved, 0 not possible (merge instead), or an error.
 */
static int trivial_move(struct sdb_db *db, const char *pick, int out, struct sdb_error *e)
{
	struct sdb_manifest *m = &db->man;
	struct sdb_manifest nm = { .next_file = m->next_file, .checkpoint_lsn = m->checkpoint_lsn };
	int rc;

	for (size_t i = 0; i < m->ntables; i++) {
		const struct sdb_table_meta *a = &m->tables[i];
		if (!pick[i])
			continue;
		if (a->level == out)
			return 0;
		for (size_t j = i + 1; j < m->ntables; j++)
			if (pick[j] && overlaps(&m->tables[j], a->smallest, a->slen, a->largest, a->llen))
				return 0;
	}
	nm.tables = calloc(m->ntables + 1, sizeof(*nm.tables));
	if (!nm.tables)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->ntables; i++) {
		nm.tables[nm.ntables] = m->tables[i];
		if (pick[i])
			nm.tables[nm.ntables].level = out;
		nm.ntables++;
	}
	rc = sdb_manifest_write(&nm, db->dir, nosync(db), e);
	free(nm.tables); /* metas still owned by m */
	if (rc)
		return rc; /* db->man still matches the disk: the old manifest stands */
	sdb_manifest_release(&db->man);
	rc = sdb_manifest_read(&db->man, db->dir, e);
	return rc ? rc : 1;
}

static uint64_t level_bytes(const struct sdb_manifest *m, int level, int *count)
{
	uint64_t b = 0;

	*count = 0;
	for (size_t i = 0; i < m->ntables; i++)
		if (m->tables[i].level == level) {
			b += m->tables[i].size;
			(*count)++;
		}
	return b;
}

/* Compacts level `level` (all its tables plus the overlapping ones of the
 * next level) into level+1; level -1: everything into the deepest level.
 * may_move: the automatic compactions' trivial move, where it applies
 * (an explicit compaction rewrites, so that it leaves every table in its
 * level's compression with the delete markers it can drop gone).
 * *did = 0 when there was nothing to merge. */
static int compact_level(struct sdb_db *db, int level, int may_move, int *did,
			 struct sdb_error *e)
{
	struct sdb_manifest *m = &db->man;
	char *pick;
	int out, deep, rc, any = 0, bottom;
	const unsigned char *lo = NULL, *hi = NULL;
	size_t lolen = 0, hilen = 0;

	*did = 0;
	sdb_manifest_release(m);
	if ((rc = sdb_manifest_read(m, db->dir, e)))
		return rc;
	remove_orphans(db);
	if (!m->ntables)
		return 0;
	pick = calloc(m->ntables, 1);
	if (!pick)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	deep = deepest_level(m);
	if (level < 0) {
		out = deep > 0 ? deep : 1;
		memset(pick, 1, m->ntables);
		any = m->ntables > 1 || m->tables[0].level != out || m->tables[0].ndeletes;
	} else {
		out = level + 1;
		for (size_t i = 0; i < m->ntables; i++)
			if (m->tables[i].level == level) {
				const struct sdb_table_meta *t = &m->tables[i];
				pick[i] = 1;
				any = 1;
				if (!lo || sdb_key_cmp(t->smallest, t->slen, lo, lolen) < 0)
					lo = t->smallest, lolen = t->slen;
				if (!hi || sdb_key_cmp(t->largest, t->llen, hi, hilen) > 0)
					hi = t->largest, hilen = t->llen;
			}
		for (size_t i = 0; any && i < m->ntables; i++)
			if (m->tables[i].level == out && overlaps(&m->tables[i], lo, lolen, hi, hilen))
				pick[i] = 1;
	}
	bottom = out >= deep;
	rc = any && may_move && level >= 0 ? trivial_move(db, pick, out, e) : 0;
	if (!rc && any)
		rc = merge(db, pick, out, bottom, e);
	if (rc == 1) /* moved */
		rc = 0;
	*did = any && !rc;
	free(pick);
	return rc;
}

/* Runs level compactions while a level is over its threshold. */
static int compact_auto(struct sdb_db *db, int *did, struct sdb_error *e)
{
	int rc = 0;

	*did = 0;
	for (int round = 0; round < 16 && !rc; round++) {
		int cnt, lvl = -1, d = 0;
		if (!round || *did) {
			sdb_manifest_release(&db->man);
			if ((rc = sdb_manifest_read(&db->man, db->dir, e)))
				return rc;
		}
		if (level_bytes(&db->man, 0, &cnt) && cnt >= L0_TRIGGER)
			lvl = 0;
		for (int n = 1; lvl < 0 && n < SDB_LEVELS - 1; n++)
			if (level_bytes(&db->man, n, &cnt) > level_target(n))
				lvl = n;
		if (lvl < 0)
			break;
		rc = compact_level(db, lvl, 1, &d, e);
		*did |= d;
		if (!d)
			break;
	}
	return rc;
}

int sdb_db_maybe_flush(struct sdb_db *db, struct sdb_error *e)
{
	int did, rc, cnt;

	if (db->o.no_auto || db->lock_fd < 0 || db->bulk)
		return 0;
	level_bytes(&db->man, 0, &cnt);
	if (db->wal_end - db->man.checkpoint_lsn <= db->o.flush_bytes && cnt < L0_TRIGGER)
		return 0;
	if (sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, 0, db->dir, NULL))
		return 0; /* a checkpoint or compaction is running: it will do */
	rc = checkpoint_locked(db, db->o.flush_bytes, &did, e);
	if (!rc)
		rc = compact_auto(db, &did, e);
	sdb_lock_release(db->lock_fd, SDB_LOCK_MAINT);
	return rc;
}

int sdb_db_flush_at_close(struct sdb_db *db, struct sdb_error *e)
{
	int did, rc;

	if (!db || !db->appended || db->o.no_auto || db->lock_fd < 0 || db->bulk ||
	    db->wal_end - db->man.checkpoint_lsn <= db->o.close_flush_bytes)
		return 0;
	if (sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, 0, db->dir, NULL))
		return 0;
	if (!db->wlocked && sdb_lock_take(db->lock_fd, SDB_LOCK_WRITER, 0, db->dir, NULL)) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_MAINT);
		return 0; /* a writer is busy: its own close or the next one will */
	}
	db->wlocked = 1; /* so checkpoint_locked takes no lock, waits for none */
	rc = checkpoint_locked(db, db->o.close_flush_bytes, &did, e);
	sdb_lock_release(db->lock_fd, SDB_LOCK_MAINT);
	return rc;
}

/* Opens a handle for maintenance and takes the maintenance lock.
 * *busy is set when skip_if_busy found it held. */
static int maint_open(const char *dir, const struct sdb_opts *o,
		      const struct sdb_maint_opts *m, struct sdb_db **db,
		      int *busy, struct sdb_error *e)
{
	int rc;

	*busy = 0;
	if ((rc = sdb_db_open(dir, 0, o, db, e)))
		return rc;
	if ((rc = sdb_lock_open(dir, &(*db)->lock_fd, e)))
		goto fail;
	rc = sdb_lock_take((*db)->lock_fd, SDB_LOCK_MAINT,
			   m->skip_if_busy ? 0 : o->lock_timeout, dir, e);
	if (rc == SDB_EBUSY && m->skip_if_busy) {
		*busy = 1;
		rc = 0;
		goto fail;
	}
	if (rc)
		goto fail;
	/* the manifest read at open predates the lock: a maintenance that
	 * held it meanwhile may have published tables, which the orphan sweep
	 * must not take for leftovers */
	sdb_manifest_release(&(*db)->man);
	if ((rc = sdb_manifest_read(&(*db)->man, dir, e)))
		goto fail;
	/* never publish over a damaged table (damage.c) */
	if ((rc = sdb_damage_refuse(dir, e)))
		goto fail;
	return 0;
fail:
	sdb_db_close(*db);
	*db = NULL;
	return rc;
}

int sdb_checkpoint(const char *dir, const struct sdb_opts *o,
		   const struct sdb_maint_opts *m, int *did,
		   struct sdb_error *e)
{
	struct sdb_db *db;
	int busy, rc, d2;

	*did = 0;
	if ((rc = maint_open(dir, o, m, &db, &busy, e)) || busy)
		return rc;
	remove_orphans(db);
	rc = checkpoint_locked(db, m->if_larger_than, did, e);
	if (!rc && *did && !o->no_auto)
		rc = compact_auto(db, &d2, e);
	sdb_db_close(db);
	return rc;
}

int sdb_compact(const char *dir, const struct sdb_opts *o,
		const struct sdb_maint_opts *m, int *did,
		struct sdb_error *e)
{
	struct sdb_db *db;
	int busy, rc;

	*did = 0;
	if ((rc = maint_open(dir, o, m, &db, &busy, e)) || busy)
		return rc;
	if (m->if_larger_than) {
		uint64_t b = 0;
		for (size_t i = 0; i < db->man.ntables; i++) {
			const struct sdb_table_meta *t = &db->man.tables[i];
			if (t->level == 0)
				b += t->size;
			else if (t->nentries)
				b += t->size * t->ndeletes / t->nentries;
		}
		if (b <= m->if_larger_than) {
			sdb_db_close(db);
			return 0;
		}
	}
	rc = compact_level(db, m->level, 0, did, e);
	sdb_db_close(db);
	return rc;
}
