/*
 * salvage.c - the way out after damage that recover may not cut (a bad
 * WAL record before the tail, a bad table block, a missing WAL segment):
 * every table block and every committed WAL transaction that still checks
 * out is written into a fresh database, and each piece that does not is
 * reported (sdb_salvage_fn), in the manner of sqlite3's .recover and
 * ldb repair.
 *
 * DESIGN. The fresh database is written through the ordinary commit path
 * (batches of about 4 MiB, flushed to tables by the writer's thresholds),
 * so it is a database this build made and verifies. Order gives the
 * newest version of a key the last word: tables from the deepest level up,
 * level 0 oldest file first, then the WAL from the checkpoint. Delete
 * markers, range deletes (WAL records and table range blocks) and TTLs
 * are carried as they are. A damaged table block loses
 * the keys between its neighbours' last keys; a table whose footer or
 * index is damaged loses its whole key range (from the manifest). In the
 * WAL, damage is skipped by scanning on to the next record whose checksums
 * hold; a transaction with a record in the damage (or whose BEGIN was) is
 * dropped whole and reported with the keys of its readable operations;
 * missing WAL (a gap between segments, the checkpoint's segment, or an end
 * below the synced mark in LOCK) is reported by LSN range. An incomplete
 * last record of the newest segment is a torn tail, never acknowledged:
 * not a loss. The destination is built beside DEST and renamed in
 * (backup.c sdb_dest_*), so a failure leaves nothing.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/array.h"
#include "util/io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (4u << 20)

struct salv {
	struct sdb_db *out;
	struct sdb_batch b;
	sdb_salvage_fn cb;
	void *ctx;
	struct sdb_salvage_report *rep;
	struct sdb_error *e;
};

static int lost(struct salv *s, const struct sdb_lost *l)
{
	s->rep->lost++;
	return s->cb ? s->cb(s->ctx, l) : 0;
}

static int flush(struct salv *s, int force)
{
	int rc;

	if (!s->b.nops || (!force && s->b.rec.len < BATCH_BYTES))
		return 0;
	if ((rc = sdb_db_commit(s->out, &s->b, 0, s->e)))
		return rc;
	sdb_batch_release(&s->b);
	sdb_batch_init(&s->b);
	return sdb_db_maybe_flush(s->out, s->e);
}

#define KIND_RANGE (-1) /* a range delete [k, v) */

static int add(struct salv *s, int kind, const void *k, size_t kl,
	       const void *v, size_t vl, uint64_t expires)
{
	int rc = kind == KIND_RANGE ? sdb_batch_del_range(&s->b, k, kl, v, vl, s->e) :
		 kind == SDB_KIND_DEL ? sdb_batch_del(&s->b, k, kl, s->e) :
		 sdb_batch_put(&s->b, k, kl, v, vl, kind == SDB_KIND_TTL ? expires : 0, s->e);

	s->rep->records++;
	return rc ? rc : flush(s, 0);
}

/* ------------------------------------------------------------- tables */

static int salvage_table(struct salv *s, const char *dir,
			 const struct sdb_table_meta *m)
{
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_table *t = NULL;
	struct sdb_block b = { 0 };
	struct sdb_error sub;
	int rc;

	sdb_table_path(&path, dir, m->no);
	if (!sdb_buf_ok(&path))
		return sdb_error_set(s->e, SDB_ENOMEM, "out of memory");
	sdb_error_clear(&sub);
	rc = sdb_table_open(&t, path.data, &sub);
	if (rc == SDB_ENOMEM || rc == SDB_EVERSION || rc == SDB_EIO) {
		*s->e = sub;
		goto out;
	}
	s->rep->tables++;
	if (rc) { /* missing, or footer/index damaged: the whole table */
		struct sdb_lost l = { .what = rc == SDB_ENOTFOUND ? "table-missing" : "table",
				      .file = path.data, .offset = sub.offset > 0 ? (uint64_t)sub.offset : 0,
				      .bytes = m->size, .key_from = m->smallest, .kflen = m->slen,
				      .key_to = m->largest, .ktlen = m->llen };
		s->rep->blocks_lost++;
		rc = lost(s, &l);
		goto out;
	}
	/* the table's range deletes hide older tables' keys, never its own
	 * entries (a checkpoint or merge drops what they cover): first */
	for (size_t i = 0; i < t->nrt && !rc; i++)
		rc = add(s, KIND_RANGE, t->rt[i].lo, t->rt[i].lolen, t->rt[i].hi, t->rt[i].hilen, 0);
	for (size_t i = 0; i < t->nblocks && !rc; i++) {
		int bad = sdb_table_read_block(t, i, &b, &sub);
		if (bad == SDB_ENOMEM) {
			*s->e = sub;
			rc = bad;
			break;
		}
		if (!bad && (!b.n || sdb_key_cmp(b.keys + b.koff[b.n - 1], b.klen[b.n - 1],
						  t->bkey[i], t->bklen[i])))
			bad = SDB_ECORRUPT; /* does not match the index */
		if (bad) {
			struct sdb_lost l = { .what = "block", .file = path.data, .offset = t->boff[i],
					      .bytes = t->bsize[i] + SDB_BLOCK_TRAILER,
					      .key_from = i ? t->bkey[i - 1] : m->smallest,
					      .kflen = i ? t->bklen[i - 1] : m->slen,
					      .key_to = t->bkey[i], .ktlen = t->bklen[i] };
			s->rep->blocks_lost++;
			rc = lost(s, &l);
			continue;
		}
		s->rep->blocks++;
		for (size_t j = 0; j < b.n && !rc; j++)
			rc = add(s, b.kind[j], b.keys + b.koff[j], b.klen[j], b.val[j], b.vlen[j], b.expires[j]);
	}
out:
	sdb_block_release(&b);
	sdb_table_close(t);
	sdb_buf_release(&path);
	return rc;
}

static int meta_age(const void *pa, const void *pb)
{
	const struct sdb_table_meta *a = pa, *b = pb;

	/* oldest first: deepest level first; level 0 by file number */
	if (a->level != b->level)
		return b->level - a->level;
	return a->no < b->no ? -1 : a->no > b->no;
}

/* ---------------------------------------------------------------- WAL */

/* One transaction being read. Operations point into the segment. */
struct txn {
	int open, tainted;
	uint64_t lsn; /* of its BEGIN or first record */
	struct top { struct sdb_wal_op op; int kind; } *ops;
	size_t n, cap;
	const unsigned char *lo, *hi;
	size_t lolen, hilen;
};

static int txn_push(struct txn *x, const struct sdb_wal_op *op, int kind)
{
	const unsigned char *hk = kind == KIND_RANGE ? op->val : op->key;
	size_t hl = kind == KIND_RANGE ? op->vlen : op->klen;

	if (sdb_grow((void **)&x->ops, &x->cap, x->n + 1, sizeof(*x->ops), 64))
		return SDB_ENOMEM;
	x->ops[x->n].op = *op;
	x->ops[x->n++].kind = kind;
	if (!x->lo || sdb_key_cmp(op->key, op->klen, x->lo, x->lolen) < 0)
		x->lo = op->key, x->lolen = op->klen;
	if (!x->hi || sdb_key_cmp(hk, hl, x->hi, x->hilen) > 0)
		x->hi = hk, x->hilen = hl;
	return 0;
}

static void txn_reset(struct txn *x, uint64_t lsn)
{
	x->open = x->tainted = 0;
	x->n = 0;
	x->lsn = lsn;
	x->lo = x->hi = NULL;
	x->lolen = x->hilen = 0;
}

/* Reports a dropped transaction [x->lsn, end). */
static int txn_lost(struct salv *s, struct txn *x, const char *file, uint64_t end)
{
	struct sdb_lost l = { .what = "txn", .file = file, .lsn_from = x->lsn,
			      .lsn_to = end, .has_lsn = 1, .key_from = x->lo,
			      .kflen = x->lolen, .key_to = x->hi, .ktlen = x->hilen };

	s->rep->txns_lost++;
	return lost(s, &l);
}

static int salvage_segment(struct salv *s, const struct sdb_wal_seg *g,
			   int newest, struct txn *x, uint64_t *end)
{
	size_t off = 0;
	int rc = 0;

	while (off < g->size && !rc) {
		struct sdb_wal_rec r;
		struct sdb_wal_op op;
		uint64_t lsn = g->start + off;
		int d = sdb_wal_decode(g->data + off, g->size - off, &r);
		if (d == 1 && newest)
			break; /* a torn tail: never acknowledged */
		if (d) { /* damage: on to the next record whose checksums hold */
			size_t o = off + 1;
			while (o + SDB_WAL_OVERHEAD <= g->size && sdb_wal_decode(g->data + o, g->size - o, &r) != 0)
				o++;
			if (o + SDB_WAL_OVERHEAD > g->size)
				o = g->size;
			{
				struct sdb_lost l = { .what = "wal", .file = g->path, .offset = off,
						      .bytes = o - off, .lsn_from = lsn,
						      .lsn_to = g->start + o, .has_lsn = 1 };
				s->rep->wal_bytes_lost += o - off;
				rc = lost(s, &l);
			}
			if (x->open)
				x->tainted = 1;
			off = o;
			continue;
		}
		switch (r.type) {
		case SDB_REC_BEGIN:
			if (x->open && (rc = txn_lost(s, x, g->path, lsn)))
				break; /* a BEGIN without COMMIT before it */
			txn_reset(x, lsn);
			x->open = 1;
			break;
		case SDB_REC_PUT:
		case SDB_REC_DEL:
		case SDB_REC_DELRANGE:
			if (sdb_wal_op_decode(&r, &op)) {
				struct sdb_lost l = { .what = "wal", .file = g->path, .offset = off,
						      .bytes = r.reclen, .lsn_from = lsn,
						      .lsn_to = lsn + r.reclen, .has_lsn = 1 };
				s->rep->wal_bytes_lost += r.reclen;
				x->tainted = 1;
				rc = lost(s, &l);
				break;
			}
			if (!x->open) { /* its BEGIN was in damage */
				txn_reset(x, lsn);
				x->open = x->tainted = 1;
			}
			if (txn_push(x, &op, r.type == SDB_REC_DELRANGE ? KIND_RANGE :
				     r.type == SDB_REC_DEL ? SDB_KIND_DEL :
				     op.expires_ms ? SDB_KIND_TTL : SDB_KIND_PUT))
				rc = sdb_error_set(s->e, SDB_ENOMEM, "out of memory");
			break;
		case SDB_REC_COMMIT:
			if (x->tainted || !x->open) {
				if (!x->open)
					txn_reset(x, lsn);
				rc = txn_lost(s, x, g->path, lsn + r.reclen);
			} else {
				s->rep->txns++;
				for (size_t i = 0; i < x->n && !rc; i++)
					rc = add(s, x->ops[i].kind, x->ops[i].op.key, x->ops[i].op.klen,
						 x->ops[i].op.val, x->ops[i].op.vlen, x->ops[i].op.expires_ms);
			}
			txn_reset(x, lsn + r.reclen);
			break;
		case SDB_REC_ABORT:
			txn_reset(x, lsn + r.reclen);
			break;
		default: /* CHECKPOINT */
			break;
		}
		off += r.reclen;
	}
	/* a transaction never spans segments (one write each) */
	if (!rc && x->open && x->tainted)
		rc = txn_lost(s, x, g->path, g->start + off);
	txn_reset(x, g->start + off);
	*end = g->start + g->size;
	return rc;
}

static int salvage_wal(struct salv *s, const char *dir, uint64_t cp,
		       uint64_t mark)
{
	struct sdb_buf path = SDB_BUF_INIT;
	struct txn x = { 0 };
	uint64_t *starts = NULL, expect = cp, end = cp;
	int n = 0, rc;

	if ((rc = sdb_wal_list(dir, &starts, &n, s->e)))
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		struct sdb_wal_seg g;
		if (starts[i] < cp)
			continue;
		if (starts[i] > expect) { /* a gap: the segment(s) before are gone */
			struct sdb_lost l = { .what = "wal-missing", .lsn_from = expect,
					      .lsn_to = starts[i], .has_lsn = 1 };
			sdb_wal_path(&path, dir, expect);
			l.file = path.data;
			if ((rc = lost(s, &l)))
				break;
		}
		if ((rc = sdb_wal_seg_read(&g, dir, starts[i], i == n - 1, s->e)))
			break;
		s->rep->segments++;
		rc = salvage_segment(s, &g, i == n - 1, &x, &end);
		expect = g.start + g.size;
		sdb_wal_seg_release(&g);
	}
	if (!rc && mark > end) {
		struct sdb_lost l = { .what = "wal-missing", .file = dir, .lsn_from = end,
				      .lsn_to = mark, .has_lsn = 1 };
		rc = lost(s, &l);
	}
	free(starts);
	free(x.ops);
	sdb_buf_release(&path);
	return rc;
}

int sdb_salvage(const char *dir, const char *dest, const struct sdb_opts *o,
		sdb_salvage_fn cb, void *ctx, struct sdb_salvage_report *rep,
		struct sdb_error *e)
{
	struct sdb_db *src = NULL;
	struct sdb_dest d = { 0 };
	struct sdb_manifest m = { 0 };
	struct sdb_opts oo = *o;
	struct salv s = { .cb = cb, .ctx = ctx, .rep = rep, .e = e };
	struct sdb_verify v;
	uint64_t mark;
	int rc;

	memset(rep, 0, sizeof(*rep));
	sdb_batch_init(&s.b);
	if ((rc = sdb_db_open(dir, 0, o, &src, e)))
		goto out;
	/* the maintenance lock keeps tables and WAL from being retired */
	if ((rc = sdb_lock_open(dir, &src->lock_fd, e)) ||
	    (rc = sdb_lock_take(src->lock_fd, SDB_LOCK_MAINT, o->lock_timeout, dir, e)))
		goto out;
	if ((rc = sdb_manifest_read(&m, dir, e)))
		goto out;
	mark = sdb_lock_synced(src->lock_fd); /* before the segments */
	if ((rc = sdb_dest_begin(&d, dir, dest, "salvage", e)))
		goto out;
	oo.warn = NULL;
	if ((rc = sdb_db_open(d.tmp, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &oo, &s.out, e)))
		goto out;
	qsort(m.tables, m.ntables, sizeof(*m.tables), meta_age);
	for (size_t i = 0; i < m.ntables && !rc; i++)
		rc = salvage_table(&s, dir, &m.tables[i]);
	if (!rc)
		rc = salvage_wal(&s, dir, m.checkpoint_lsn, mark);
	if (!rc)
		rc = flush(&s, 1);
	if (!rc)
		rc = sdb_db_sync(s.out, e);
	sdb_db_close(s.out);
	s.out = NULL;
	if (rc)
		goto out;
	/* what we wrote must verify, or nothing is published */
	if ((rc = sdb_verify(d.tmp, &v, e)))
		goto out;
	if (v.damaged) {
		rc = sdb_error_set(e, SDB_EIO, "salvaged copy does not verify: %s", v.what);
		goto out;
	}
	rc = sdb_dest_commit(&d, o->sync == SDB_SYNC_OFF, e);
out:
	sdb_db_close(s.out);
	sdb_batch_release(&s.b);
	sdb_dest_abort(&d);
	sdb_manifest_release(&m);
	sdb_db_close(src);
	return rc;
}
