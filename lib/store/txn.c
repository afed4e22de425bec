/*
 * txn.c - transactions: the write set (a B+tree over internal keys), the
 * undo log and savepoints, reads of own writes, the merging iterator,
 * compare-and-set checks and the commit. The design is in txn.h.
 */
#include "store/txn.h"

#include "store/db_int.h"
#include "util/array.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define FAN 64 /* entries per node */

/* One key of the write set: where its bytes are and its newest write. */
struct slot {
	uint64_t koff;
	uint32_t klen;
	uint32_t op; /* index into ops, NONE: no write (rolled back) */
};

/* One write, in the order made; prev is the write it replaced; the value
 * lies in the batch at voff. */
struct op {
	uint64_t voff, expires;
	uint32_t vlen, slot, prev;
	int del;
};

/* A B+tree node. Leaves hold slots in key order and link to their
 * neighbours; internal nodes hold for each child the smallest key that
 * routes to it (entry 0 is never compared). pfx caches the first 8 key
 * bytes big-endian, zero-padded: different prefixes order as the keys. */
struct node {
	uint32_t n, leaf, next, prev;
	uint64_t pfx[FAN];
	uint32_t key[FAN];
	uint32_t child[FAN];
};

/* A cas decided by the snapshot, checked again at commit (key and
 * expected value in casbuf). */
struct casrec {
	uint64_t koff, voff;
	uint32_t klen, vlen;
	int absent; /* expected: ik absent */
};

/* A range delete [lo, hi) made in the transaction (bounds in the batch):
 * it deletes the keys whose newest own write is older than it (op index
 * below at) and hides the snapshot's keys in it. */
struct trange {
	uint64_t lo, hi;
	uint32_t lolen, hilen;
	uint32_t at; /* ops made before it */
};

struct mark {
	size_t ncas, casbuf, rec;
	long bops;
};

struct sdb_txn {
	struct sdb_db *db;
	struct sdb_batch b;
	struct sdb_buf keys, casbuf; /* slot keys (kept); cas expectations */
	size_t indexed;              /* batch bytes the write set covers */
	struct slot *slots;
	size_t nslots, slotcap;
	struct op *ops;
	size_t nops, opcap;
	struct node *nodes;
	size_t nnodes, nodecap;
	uint32_t root;
	struct casrec *cas;
	size_t ncas, cascap;
	struct mark *sp;
	size_t nsp, spcap;
	struct trange *rd; /* in the order made (usually none) */
	size_t nrd, rdcap;
	uint64_t now, begin_end;
	uint64_t version; /* bumped when a key is added (iterators re-find) */
};

static uint64_t key_pfx(const void *k, size_t n)
{
	const unsigned char *p = k;
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < n ? p[i] : 0);
	return v;
}

static inline const unsigned char *slot_key(const struct sdb_txn *t, uint32_t s)
{
	return (const unsigned char *)t->keys.data + t->slots[s].koff;
}

/* Compares key (with its prefix) against node entry i. */
static inline int ent_cmp(const struct sdb_txn *t, uint64_t pfx, const void *k,
			  size_t n, const struct node *x, uint32_t i)
{
	uint32_t s = x->key[i];

	if (pfx != x->pfx[i])
		return pfx < x->pfx[i] ? -1 : 1;
	return sdb_key_cmp(k, n, slot_key(t, s), t->slots[s].klen);
}

/* A new empty node; its room was reserved (sdb_grow) by the caller. */
static uint32_t node_new(struct sdb_txn *t, int leaf)
{
	struct node *x = &t->nodes[t->nnodes];

	x->n = 0;
	x->leaf = (uint32_t)leaf;
	x->next = x->prev = NONE;
	return (uint32_t)t->nnodes++;
}

/* Child of internal node x that key routes to. */
static uint32_t route(const struct sdb_txn *t, const struct node *x, uint64_t pfx,
		      const void *k, size_t n)
{
	uint32_t lo = 1, hi = x->n;

	while (lo < hi) { /* first entry > key */
		uint32_t mid = (lo + hi) / 2;
		if (ent_cmp(t, pfx, k, n, x, mid) < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo - 1;
}

/* First entry of leaf x >= key; *eq when it is key. */
static uint32_t leaf_lower(const struct sdb_txn *t, const struct node *x, uint64_t pfx,
			   const void *k, size_t n, int *eq)
{
	uint32_t lo = 0, hi = x->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (ent_cmp(t, pfx, k, n, x, mid) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*eq = lo < x->n && !ent_cmp(t, pfx, k, n, x, lo);
	return lo;
}

/* Leaf for key. */
static uint32_t find_leaf(const struct sdb_txn *t, uint64_t pfx, const void *k, size_t n)
{
	uint32_t id = t->root;

	while (!t->nodes[id].leaf)
		id = t->nodes[id].child[route(t, &t->nodes[id], pfx, k, n)];
	return id;
}

/* Slot of key, or NONE. */
static uint32_t ws_find(const struct sdb_txn *t, const void *k, size_t n)
{
	uint64_t pfx = key_pfx(k, n);
	uint32_t leaf = find_leaf(t, pfx, k, n), i;
	int eq;

	i = leaf_lower(t, &t->nodes[leaf], pfx, k, n, &eq);
	return eq ? t->nodes[leaf].key[i] : NONE;
}

/* Inserts entry (pfx, key, child) at position i of node id, splitting it
 * when full (*right: the new right sibling, else NONE). Nodes for the
 * splits were reserved by the caller, so this cannot fail. */
static void node_insert(struct sdb_txn *t, uint32_t id, uint32_t i, uint64_t pfx,
			uint32_t key, uint32_t child, uint32_t *right)
{
	struct node *x = &t->nodes[id], *r;

	*right = NONE;
	if (x->n == FAN) {
		uint32_t rid = node_new(t, (int)x->leaf);
		/* appending at the right edge (sequential keys): leave the
		 * left node full, else split in halves */
		uint32_t keep = i == FAN && x->next == NONE ? FAN : FAN / 2;
		r = &t->nodes[rid];
		r->n = FAN - keep;
		memcpy(r->pfx, x->pfx + keep, r->n * sizeof(*r->pfx));
		memcpy(r->key, x->key + keep, r->n * sizeof(*r->key));
		memcpy(r->child, x->child + keep, r->n * sizeof(*r->child));
		x->n = keep;
		r->next = x->next;
		r->prev = id;
		if (x->next != NONE)
			t->nodes[x->next].prev = rid;
		x->next = rid;
		*right = rid;
		if (i > keep || (i == keep && keep == FAN)) {
			i -= keep;
			x = r;
		}
	}
	memmove(x->pfx + i + 1, x->pfx + i, (x->n - i) * sizeof(*x->pfx));
	memmove(x->key + i + 1, x->key + i, (x->n - i) * sizeof(*x->key));
	memmove(x->child + i + 1, x->child + i, (x->n - i) * sizeof(*x->child));
	x->pfx[i] = pfx;
	x->key[i] = key;
	x->child[i] = child;
	x->n++;
}

/* Slot of key, adding it when new. @return the slot or NONE (no memory;
 * nothing changed). */
static uint32_t ws_add(struct sdb_txn *t, const void *k, size_t n)
{
	uint64_t pfx = key_pfx(k, n);
	uint32_t path[48], pos[48], depth = 0, id = t->root, i, s, right, child;
	int eq;

	while (!t->nodes[id].leaf) {
		path[depth] = id;
		pos[depth] = route(t, &t->nodes[id], pfx, k, n);
		id = t->nodes[id].child[pos[depth++]];
	}
	i = leaf_lower(t, &t->nodes[id], pfx, k, n, &eq);
	if (eq)
		return t->nodes[id].key[i];
	/* reserve everything first: a split then cannot fail half-way */
	if (t->nslots >= NONE - 1 || t->nnodes + depth + 2 >= NONE ||
	    sdb_grow((void **)&t->slots, &t->slotcap, t->nslots + 1, sizeof(*t->slots), 256) ||
	    sdb_grow((void **)&t->nodes, &t->nodecap, t->nnodes + depth + 2, sizeof(*t->nodes), 16) ||
	    sdb_buf_grow(&t->keys, n))
		return NONE;
	s = (uint32_t)t->nslots++;
	t->slots[s].koff = t->keys.len;
	t->slots[s].klen = (uint32_t)n;
	t->slots[s].op = NONE;
	sdb_buf_add(&t->keys, k, n);
	t->version++;
	node_insert(t, id, i, pfx, s, NONE, &right);
	child = id;
	while (right != NONE) {
		uint64_t rp = t->nodes[right].pfx[0];
		uint32_t rk = t->nodes[right].key[0], nr;
		if (!depth) {
			uint32_t root = node_new(t, 0);
			struct node *x = &t->nodes[root];
			x->n = 2;
			x->pfx[0] = t->nodes[child].pfx[0];
			x->key[0] = t->nodes[child].key[0];
			x->child[0] = child;
			x->pfx[1] = rp;
			x->key[1] = rk;
			x->child[1] = right;
			t->root = root;
			break;
		}
		depth--;
		node_insert(t, path[depth], pos[depth] + 1, rp, rk, right, &nr);
		child = path[depth];
		right = nr;
	}
	return s;
}

/* ------------------------------------------------------------- begin */

int sdb_txn_begin(struct sdb_db *db, struct sdb_txn **out, struct sdb_error *e)
{
	struct sdb_txn *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	t->db = db;
	sdb_batch_init(&t->b);
	sdb_buf_init(&t->keys);
	sdb_buf_init(&t->casbuf);
	if (sdb_grow((void **)&t->nodes, &t->nodecap, 1, sizeof(*t->nodes), 16) ||
	    !sdb_buf_ok(&t->b.rec)) {
		sdb_txn_free(t);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	t->root = node_new(t, 1);
	t->indexed = t->b.rec.len; /* past BEGIN */
	t->now = db && db->have_snapshot ? db->now : sdb_now_ms();
	t->begin_end = db ? db->wal_end : 0;
	*out = t;
	return 0;
}

void sdb_txn_free(struct sdb_txn *t)
{
	if (!t)
		return;
	sdb_batch_release(&t->b);
	sdb_buf_release(&t->keys);
	sdb_buf_release(&t->casbuf);
	free(t->slots);
	free(t->ops);
	free(t->nodes);
	free(t->cas);
	free(t->sp);
	free(t->rd);
	free(t);
}

void sdb_txn_abort(struct sdb_txn *t) { sdb_txn_free(t); }

long sdb_txn_nops(const struct sdb_txn *t) { return t->b.nops; }

/* ------------------------------------------------------------- reads */

/* The newest range delete of the transaction made after op index after
 * (NONE: any) that holds key k. Newest first, so a key written after the
 * ranges costs one comparison of indexes. @return its index or -1. */
static long range_find(const struct sdb_txn *t, uint32_t after, const void *k, size_t n)
{
	const unsigned char *b = (const unsigned char *)t->b.rec.data;

	for (size_t i = t->nrd; i-- > 0;) {
		const struct trange *r = &t->rd[i];
		if (after != NONE && r->at <= after)
			return -1;
		if (sdb_key_cmp(b + r->lo, r->lolen, k, n) <= 0 &&
		    sdb_key_cmp(k, n, b + r->hi, r->hilen) < 0)
			return (long)i;
	}
	return -1;
}

/* The transaction's own view of key k (slot s, NONE when not in the write
 * set): its newest write unless a later range delete holds k.
 * @return 1 a live put (v set), 0 deleted (a delete, an expired put, a
 * range delete), -1 no own write: the snapshot decides. */
static int own(const struct sdb_txn *t, uint32_t s, const void *k, size_t n,
	       struct sdb_val *v)
{
	const struct op *o;
	uint32_t op = s == NONE ? NONE : t->slots[s].op;

	if (t->nrd && range_find(t, op, k, n) >= 0)
		return 0;
	if (op == NONE)
		return -1;
	o = &t->ops[op];
	if (o->del || (o->expires && o->expires <= t->now))
		return 0;
	v->data = t->b.rec.data + o->voff;
	v->len = o->vlen;
	v->expires_ms = o->expires;
	return 1;
}

/* Brings the write set up to date with the batch: the writes are only
 * logged there (a transaction that never reads pays nothing more) and
 * indexed by the first read, iterator or savepoint after them. */
static int catch_up_slow(struct sdb_txn *t, struct sdb_error *e);

static inline int catch_up(struct sdb_txn *t, struct sdb_error *e)
{
	return t->indexed < t->b.rec.len ? catch_up_slow(t, e) : 0;
}

static int catch_up_slow(struct sdb_txn *t, struct sdb_error *e)
{
	while (t->indexed < t->b.rec.len) {
		const unsigned char *p = (const unsigned char *)t->b.rec.data;
		struct sdb_wal_rec r;
		struct sdb_wal_op o;
		uint32_t s;
		if (sdb_wal_decode(p + t->indexed, t->b.rec.len - t->indexed, &r) ||
		    sdb_wal_op_decode(&r, &o) ||
		    (r.type != SDB_REC_PUT && r.type != SDB_REC_DEL && r.type != SDB_REC_DELRANGE))
			return sdb_error_set(e, SDB_ECORRUPT, "transaction batch unreadable at offset %zu",
					     t->indexed);
		if (r.type == SDB_REC_DELRANGE) {
			if (sdb_grow((void **)&t->rd, &t->rdcap, t->nrd + 1, sizeof(*t->rd), 4))
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			t->rd[t->nrd++] = (struct trange){ .lo = (uint64_t)(o.key - p), .lolen = (uint32_t)o.klen,
							   .hi = (uint64_t)(o.val - p), .hilen = (uint32_t)o.vlen,
							   .at = (uint32_t)t->nops };
			t->indexed += r.reclen;
			continue;
		}
		if (t->nops >= NONE - 1 ||
		    sdb_grow((void **)&t->ops, &t->opcap, t->nops + 1, sizeof(*t->ops), 256) ||
		    (s = ws_add(t, o.key, o.klen)) == NONE)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		t->ops[t->nops] = (struct op){ .voff = (uint64_t)(o.val - p), .expires = o.expires_ms,
					       .vlen = (uint32_t)o.vlen, .slot = s,
					       .prev = t->slots[s].op, .del = r.type == SDB_REC_DEL };
		t->slots[s].op = (uint32_t)t->nops++;
		t->indexed += r.reclen;
	}
	return 0;
}

int sdb_txn_get(struct sdb_txn *t, const void *ik, size_t n,
		struct sdb_val *v, struct sdb_error *e)
{
	int r, rc = catch_up(t, e);

	if (rc)
		return rc;
	r = own(t, ws_find(t, ik, n), ik, n, v);

	if (r >= 0)
		return r ? 0 : SDB_ENOTFOUND;
	if (!t->db || !t->db->have_snapshot)
		return SDB_ENOTFOUND;
	return sdb_db_get(t->db, ik, n, v, e);
}

/* ------------------------------------------------------------ writes */

int sdb_txn_put(struct sdb_txn *t, const void *ik, size_t n, const void *val,
		size_t vlen, uint64_t expires_ms, struct sdb_error *e)
{
	return sdb_batch_put(&t->b, ik, n, val, vlen, expires_ms, e);
}

int sdb_txn_del(struct sdb_txn *t, const void *ik, size_t n, struct sdb_error *e)
{
	return sdb_batch_del(&t->b, ik, n, e);
}

int sdb_txn_del_range(struct sdb_txn *t, const void *lo, size_t lolen,
		      const void *hi, size_t hilen, struct sdb_error *e)
{
	return sdb_batch_del_range(&t->b, lo, lolen, hi, hilen, e);
}

int sdb_txn_cas(struct sdb_txn *t, const void *ik, size_t n, const void *old,
		size_t oldlen, const void *nv, size_t nvlen,
		uint64_t expires_ms, int *present, struct sdb_error *e)
{
	struct sdb_val v;
	int rc = catch_up(t, e), mine, have;

	if (rc)
		return rc;
	mine = own(t, ws_find(t, ik, n), ik, n, &v) >= 0;
	rc = sdb_txn_get(t, ik, n, &v, e);

	if (rc && rc != SDB_ENOTFOUND)
		return rc;
	have = rc == 0;
	if (present)
		*present = have;
	if (old ? !have || v.len != oldlen || memcmp(v.data, old, oldlen) : have)
		return sdb_error_set(e, SDB_ECONFLICT, "conflict: compare-and-set found %s",
				     have ? "a different value" : "no value");
	if (!mine && t->db && t->db->have_snapshot) {
		struct casrec *c;
		if (sdb_grow((void **)&t->cas, &t->cascap, t->ncas + 1, sizeof(*t->cas), 16))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		c = &t->cas[t->ncas];
		c->koff = t->casbuf.len;
		c->klen = (uint32_t)n;
		sdb_buf_add(&t->casbuf, ik, n);
		c->voff = t->casbuf.len;
		c->vlen = old ? (uint32_t)oldlen : 0;
		sdb_buf_add(&t->casbuf, old ? old : "", old ? oldlen : 0);
		c->absent = !old;
		if (!sdb_buf_ok(&t->casbuf))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		t->ncas++;
	}
	rc = nv ? sdb_txn_put(t, ik, n, nv, nvlen, expires_ms, e) : sdb_txn_del(t, ik, n, e);
	if (rc && !mine && t->db && t->db->have_snapshot)
		t->ncas--;
	return rc;
}

/* -------------------------------------------------------- savepoints */

/* A savepoint marks the batch only (the write set is not brought up to
 * date: a statement savepoint per INSERT costs nothing); a rollback finds
 * the indexed writes made after it by where they lie in the batch (the
 * value, or the upper bound of a range, of a record at or past the mark
 * lies strictly past it). */
int sdb_txn_savepoint(struct sdb_txn *t, struct sdb_error *e)
{
	if (t->nsp >= 1u << 30 ||
	    sdb_grow((void **)&t->sp, &t->spcap, t->nsp + 1, sizeof(*t->sp), 8))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	t->sp[t->nsp] = (struct mark){ .ncas = t->ncas, .casbuf = t->casbuf.len,
				       .rec = t->b.rec.len, .bops = t->b.nops };
	return (int)t->nsp++;
}

int sdb_txn_rollback_to(struct sdb_txn *t, int id, struct sdb_error *e)
{
	const struct mark *m;
	int rc;

	if (id < 0 || (size_t)id >= t->nsp)
		return sdb_error_set(e, SDB_EINVAL, "no savepoint %d", id);
	if ((rc = catch_up(t, e)))
		return rc;
	m = &t->sp[id];
	while (t->nops > 0 && t->ops[t->nops - 1].voff > m->rec) {
		const struct op *o = &t->ops[--t->nops];
		t->slots[o->slot].op = o->prev;
	}
	while (t->nrd > 0 && t->rd[t->nrd - 1].hi > m->rec)
		t->nrd--;
	t->ncas = m->ncas;
	t->casbuf.len = m->casbuf;
	t->b.rec.len = m->rec;
	t->b.nops = m->bops;
	t->indexed = m->rec;
	t->nsp = (size_t)id + 1;
	return 0;
}

int sdb_txn_release(struct sdb_txn *t, int id, struct sdb_error *e)
{
	if (id < 0 || (size_t)id >= t->nsp)
		return sdb_error_set(e, SDB_EINVAL, "no savepoint %d", id);
	t->nsp = (size_t)id;
	return 0;
}

/* ------------------------------------------------------------ commit */

/* The snapshot end of db: where its WAL replay stopped. */
static uint64_t snapshot_end(const struct sdb_db *db)
{
	if (!db->nsegs)
		return db->snap_cp;
	return db->segs[db->nsegs - 1].start + db->segs[db->nsegs - 1].valid;
}

/* Checks the remembered cas reads against the latest committed state
 * (the writer lock is held). */
static int check_cas(struct sdb_txn *t, struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_db *fresh = NULL, *src = t->db;
	int rc = 0;

	if (!t->ncas)
		return 0;
	/* the snapshot is the latest state when the handle took it under the
	 * writer lock it still holds, and nothing was committed since */
	if (!(src == db && db->wlocked && snapshot_end(db) == db->wal_end &&
	      t->begin_end == db->wal_end)) {
		struct sdb_opts o = db->o;
		o.warn = NULL;
		if ((rc = sdb_db_open(db->dir, SDB_OPEN_SNAPSHOT, &o, &fresh, e)))
			return rc;
		src = fresh;
	} else
		goto out;
	for (size_t i = 0; i < t->ncas && !rc; i++) {
		const struct casrec *c = &t->cas[i];
		struct sdb_val v;
		int r = sdb_db_get(src, t->casbuf.data + c->koff, c->klen, &v, e);
		if (r && r != SDB_ENOTFOUND)
			rc = r;
		else if (c->absent ? !r : r || v.len != c->vlen ||
			 memcmp(v.data, t->casbuf.data + c->voff, c->vlen))
			rc = sdb_error_set(e, SDB_ECONFLICT,
					   "conflict: a key read by compare-and-set changed before the commit");
	}
out:
	sdb_db_close(fresh);
	return rc;
}

int sdb_txn_ready(struct sdb_txn *t, struct sdb_db *db, struct sdb_batch **b,
		  struct sdb_error *e)
{
	int rc;

	*b = NULL;
	if (!t->b.nops)
		return 0;
	if ((rc = check_cas(t, db, e)))
		return rc;
	*b = &t->b;
	return 0;
}

int sdb_txn_commit_direct(struct sdb_txn *t, struct sdb_db *db,
			  struct sdb_error *e)
{
	if (!db)
		db = t->db;
	if (!t->b.nops || !db || !db->wlocked || db->o.no_auto || db->lock_fd < 0 || db->bulk ||
	    db->wal_end - db->man.checkpoint_lsn + t->b.rec.len <= db->o.flush_bytes)
		return 1;
	return sdb_bulk_commit_txn(t, db, e);
}

int sdb_txn_commit(struct sdb_txn *t, struct sdb_db *db, int unlock_first,
		   struct sdb_error *e)
{
	int rc;

	if (!db)
		db = t->db;
	if (!t->b.nops)
		return 0;
	if (!db)
		return sdb_error_set(e, SDB_EINVAL, "no database to commit to");
	if (!db->wlocked)
		return sdb_error_set(e, SDB_EINVAL, "database not opened for writing");
	if ((rc = check_cas(t, db, e)))
		return rc;
	return sdb_db_commit(db, &t->b, unlock_first, e);
}

/* --------------------------------------------------------- iterators */

struct sdb_txn_iter {
	struct sdb_txn *t;
	struct sdb_iter *snap;
	int reverse, has_lo, has_hi;
	struct sdb_buf lo, hi;
	/* snapshot side: the head entry, fetched lazily */
	int snap_state; /* 0 must fetch, 1 head valid, 2 ended */
	const unsigned char *sk;
	size_t skl;
	struct sdb_val sv;
	/* write-set side: leaf and entry; repositioned when keys were added */
	uint32_t leaf, pos;
	uint64_t version;
	/* the position: after (or at, when incl) pos_key */
	struct sdb_buf pos_key;
	int has_pos, incl;
	int stable;     /* the last entry returned is the snapshot's */
};

/* Places the write-set cursor from the position key. */
static void ws_locate(struct sdb_txn_iter *it)
{
	struct sdb_txn *t = it->t;
	const struct node *x;
	uint32_t leaf, i;
	int eq = 0;

	it->version = t->version;
	if (!it->has_pos) {
		leaf = t->root;
		while (!t->nodes[leaf].leaf)
			leaf = t->nodes[leaf].child[it->reverse ? t->nodes[leaf].n - 1 : 0];
		it->leaf = leaf;
		it->pos = it->reverse ? t->nodes[leaf].n - 1 : 0;
		if (!t->nodes[leaf].n)
			it->leaf = NONE;
		return;
	}
	{
		const void *k = it->pos_key.data;
		size_t n = it->pos_key.len;
		uint64_t pfx = key_pfx(k, n);
		leaf = find_leaf(t, pfx, k, n);
		x = &t->nodes[leaf];
		i = leaf_lower(t, x, pfx, k, n, &eq);
	}
	if (!it->reverse) {
		if (eq && !it->incl)
			i++;
		if (i >= x->n) {
			leaf = x->next;
			i = 0;
		}
	} else if (!(eq && it->incl)) {
		if (i == 0) {
			leaf = x->prev;
			i = leaf == NONE ? 0 : t->nodes[leaf].n;
		}
		i--;
	}
	it->leaf = leaf;
	it->pos = i;
}

static void ws_step(struct sdb_txn_iter *it)
{
	const struct node *x = &it->t->nodes[it->leaf];

	if (!it->reverse) {
		if (++it->pos >= x->n) {
			it->leaf = x->next;
			it->pos = 0;
		}
	} else if (it->pos-- == 0) {
		it->leaf = x->prev;
		it->pos = it->leaf == NONE ? 0 : it->t->nodes[it->leaf].n - 1;
	}
}

/* Moves the snapshot side to key (sdb_iter_seek clamps it as we do). */
static int snap_seek(struct sdb_txn_iter *it, const void *key, size_t klen,
		     struct sdb_error *e)
{
	int rc;

	it->snap_state = 2;
	if (!it->snap)
		return 0;
	if ((rc = sdb_iter_seek(it->snap, key, klen, e)))
		return rc;
	it->snap_state = 0;
	return 0;
}

int sdb_txn_iter_open(struct sdb_txn *t, const void *lo, size_t lolen,
		      const void *hi, size_t hilen, int reverse,
		      struct sdb_txn_iter **out, struct sdb_error *e)
{
	struct sdb_txn_iter *it = calloc(1, sizeof(*it));
	int rc;

	*out = NULL;
	if (!it)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	it->t = t;
	it->reverse = reverse;
	sdb_buf_init(&it->lo);
	sdb_buf_init(&it->hi);
	sdb_buf_init(&it->pos_key);
	if ((it->has_lo = lo != NULL))
		sdb_buf_add(&it->lo, lo, lolen);
	if ((it->has_hi = hi != NULL))
		sdb_buf_add(&it->hi, hi, hilen);
	if (!reverse && lo) {
		sdb_buf_add(&it->pos_key, lo, lolen);
		it->has_pos = it->incl = 1;
	} else if (reverse && hi) {
		sdb_buf_add(&it->pos_key, hi, hilen);
		it->has_pos = 1;
	}
	if (!sdb_buf_ok(&it->lo) || !sdb_buf_ok(&it->hi) || !sdb_buf_ok(&it->pos_key)) {
		sdb_txn_iter_close(it);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	if ((rc = catch_up(t, e))) {
		sdb_txn_iter_close(it);
		return rc;
	}
	ws_locate(it);
	it->snap_state = 2;
	if (t->db && t->db->have_snapshot) {
		rc = sdb_iter_open(t->db, lo, lolen, hi, hilen, reverse, &it->snap, e);
		if (rc) {
			sdb_txn_iter_close(it);
			return rc;
		}
		it->snap_state = 0;
	}
	*out = it;
	return 0;
}

int sdb_txn_iter_seek(struct sdb_txn_iter *it, const void *key, size_t klen,
		      struct sdb_error *e)
{
	int rc = catch_up(it->t, e);

	if (rc) {
		it->leaf = NONE;
		it->snap_state = 2;
		return rc;
	}
	sdb_buf_reset(&it->pos_key);
	it->has_pos = it->incl = 1;
	if (!it->reverse && it->has_lo && sdb_key_cmp(key, klen, it->lo.data, it->lo.len) < 0)
		sdb_buf_add(&it->pos_key, it->lo.data, it->lo.len);
	else if (it->reverse && it->has_hi && sdb_key_cmp(key, klen, it->hi.data, it->hi.len) >= 0) {
		sdb_buf_add(&it->pos_key, it->hi.data, it->hi.len);
		it->incl = 0;
	} else
		sdb_buf_add(&it->pos_key, key, klen);
	if (!sdb_buf_ok(&it->pos_key)) {
		it->leaf = NONE;
		it->snap_state = 2;
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	ws_locate(it);
	return snap_seek(it, key, klen, e);
}

int sdb_txn_iter_limit(struct sdb_txn_iter *it, const void *hi, size_t hilen,
		       struct sdb_error *e)
{
	int rc = 0;

	if (it->snap) /* refuses a reverse iterator */
		rc = sdb_iter_limit(it->snap, hi, hilen, e);
	else if (it->reverse)
		rc = sdb_error_set(e, SDB_EINVAL, "a limit is for forward iterators");
	if (rc)
		return rc;
	sdb_buf_reset(&it->hi);
	sdb_buf_add(&it->hi, hi, hilen);
	it->has_hi = 1;
	return sdb_buf_ok(&it->hi) ? 0 : sdb_error_code(e, SDB_ENOMEM);
}

/* Sets the position past key k. */
static int set_pos(struct sdb_txn_iter *it, const void *k, size_t n, struct sdb_error *e)
{
	sdb_buf_reset(&it->pos_key);
	sdb_buf_add(&it->pos_key, k, n);
	it->has_pos = 1;
	it->incl = 0;
	return sdb_buf_ok(&it->pos_key) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

int sdb_txn_iter_run_valid(const struct sdb_txn_iter *it)
{
	const struct sdb_txn *t = it->t;
	return it->leaf == NONE && it->snap_state == 0 && it->version == t->version &&
	       !t->nrd && t->indexed == t->b.rec.len;
}

size_t sdb_txn_iter_run(struct sdb_txn_iter *it, struct sdb_run *r)
{
	/* the fast path's state of sdb_txn_iter_next, after a snapshot entry */
	if (!it->stable || it->reverse || !sdb_txn_iter_run_valid(it))
		return 0;
	return sdb_iter_run(it->snap, r);
}

int sdb_txn_iter_skip(struct sdb_txn_iter *it, size_t m, struct sdb_error *e)
{
	if (!m)
		return 0;
	sdb_iter_skip(it->snap, m, &it->sk, &it->skl, &it->sv);
	it->stable = 1;
	return set_pos(it, it->sk, it->skl, e);
}

int sdb_txn_iter_next(struct sdb_txn_iter *it, const unsigned char **k,
		      size_t *klen, struct sdb_val *v, struct sdb_error *e)
{
	struct sdb_txn *t = it->t;
	int rc = catch_up(t, e);

	if (rc)
		return rc;
	/* no own write ahead, no own range delete: the snapshot's next entry */
	if (it->leaf == NONE && it->snap_state == 0 && it->version == t->version && !t->nrd) {
		rc = sdb_iter_next(it->snap, &it->sk, &it->skl, &it->sv, e);
		if (rc <= 0) {
			it->snap_state = 2;
			return rc;
		}
		if ((rc = set_pos(it, it->sk, it->skl, e)))
			return rc;
		*k = it->sk;
		*klen = it->skl;
		*v = it->sv;
		it->stable = 1;
		return 1;
	}
	for (;;) {
		const unsigned char *wk = NULL;
		size_t wkl = 0;
		uint32_t s = NONE;
		int c;

		if (it->snap_state == 0) {
			rc = sdb_iter_next(it->snap, &it->sk, &it->skl, &it->sv, e);
			if (rc < 0) {
				it->snap_state = 2;
				return rc;
			}
			it->snap_state = rc ? 1 : 2;
		}
		if (it->version != t->version)
			ws_locate(it);
		if (it->leaf != NONE) {
			s = t->nodes[it->leaf].key[it->pos];
			wk = slot_key(t, s);
			wkl = t->slots[s].klen;
			if (!it->reverse ? it->has_hi && sdb_key_cmp(wk, wkl, it->hi.data, it->hi.len) >= 0 :
					   it->has_lo && sdb_key_cmp(wk, wkl, it->lo.data, it->lo.len) < 0) {
				it->leaf = NONE;
				s = NONE;
			}
		}
		if (s != NONE && t->slots[s].op == NONE) {
			ws_step(it); /* a key whose writes were rolled back */
			continue;
		}
		if (s == NONE && it->snap_state == 2)
			return 0;
		if (s == NONE)
			c = 1;
		else if (it->snap_state == 2)
			c = -1;
		else {
			c = sdb_key_cmp(wk, wkl, it->sk, it->skl);
			if (it->reverse)
				c = -c;
		}
		if (c > 0 && t->nrd) { /* the snapshot's key, unless a range hides it */
			long ri = range_find(t, NONE, it->sk, it->skl);
			if (ri >= 0) {
				const struct trange *r = &t->rd[ri];
				const unsigned char *b = (const unsigned char *)t->b.rec.data;
				if ((rc = set_pos(it, it->sk, it->skl, e)))
					return rc;
				it->snap_state = 0;
				/* skip the rest of the range in one seek (reverse:
				 * to lo, unless at lo already: then one step) */
				rc = 0;
				if (!it->reverse)
					rc = snap_seek(it, b + r->hi, r->hilen, e);
				else if (sdb_key_cmp(it->sk, it->skl, b + r->lo, r->lolen) > 0)
					rc = snap_seek(it, b + r->lo, r->lolen, e);
				if (rc)
					return rc;
				continue;
			}
		}
		if (c > 0) { /* the snapshot's key comes first */
			it->snap_state = 0;
			if ((rc = set_pos(it, it->sk, it->skl, e)))
				return rc;
			*k = it->sk;
			*klen = it->skl;
			*v = it->sv;
			it->stable = 1;
			return 1;
		}
		if (c == 0)
			it->snap_state = 0; /* shadowed by the own write */
		ws_step(it);
		if ((rc = set_pos(it, wk, wkl, e)))
			return rc;
		if (own(t, s, wk, wkl, v) == 1) {
			*k = wk;
			*klen = wkl;
			it->stable = 0;
			return 1;
		}
		/* a delete, or no write: the snapshot's key (if any) is hidden */
	}
}

int sdb_txn_iter_stable(const struct sdb_txn_iter *it)
{
	return it->stable;
}

int sdb_txn_count(struct sdb_txn *t, const void *lo, size_t lolen,
		  const void *hi, size_t hilen, uint64_t *n, struct sdb_error *e)
{
	struct sdb_txn_iter *it;
	int rc = catch_up(t, e);

	*n = 0;
	if (rc)
		return rc;
	if (!t->nops && !t->nrd) { /* no writes of its own: the snapshot's count */
		struct sdb_iter *si;
		if (!t->db || !t->db->have_snapshot)
			return 0;
		if ((rc = sdb_iter_open(t->db, lo, lolen, hi, hilen, 0, &si, e)))
			return rc;
		rc = sdb_iter_count(si, n, e);
		sdb_iter_close(si);
		return rc;
	}
	if ((rc = sdb_txn_iter_open(t, lo, lolen, hi, hilen, 0, &it, e)))
		return rc;
	for (;;) {
		const unsigned char *k;
		size_t kl;
		struct sdb_val v;
		rc = sdb_txn_iter_next(it, &k, &kl, &v, e);
		if (rc <= 0)
			break;
		++*n;
	}
	sdb_txn_iter_close(it);
	return rc < 0 ? rc : 0;
}

void sdb_txn_iter_cache_blocks(struct sdb_txn_iter *it)
{
	if (it->snap)
		sdb_iter_cache_blocks(it->snap);
}

void sdb_txn_iter_close(struct sdb_txn_iter *it)
{
	if (!it)
		return;
	sdb_iter_close(it->snap);
	sdb_buf_release(&it->lo);
	sdb_buf_release(&it->hi);
	sdb_buf_release(&it->pos_key);
	free(it);
}
