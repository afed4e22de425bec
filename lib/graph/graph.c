/*
 * graph.c - nodes, edges and their versions on a store transaction
 * (graph.h has the design, keys.h the layout).
 *
 * Writes keep one invariant per node or relation (its "group"): the cover
 * of every live version (keys.h). A write that adds or removes a live
 * version recomputes the covers from that version towards the newer ones
 * only; versions are usually added at the newest end, so that is one or
 * two keys.
 */
#include "graph/graph.h"

#include "json/json.h"
#include "store/tuple.h"
#include "util/array.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

#define U(x) ((x) ? (x) : UINT64_MAX) /* an open valid_until as the largest */

struct ver {
	struct sdb_gtimes t;
	uint64_t cover;
	size_t type_off, typen, props_off, propsn;
};

/* A node or relation: its encoded parts and the prefixes of its keys. */
struct rel {
	int node;
	struct sdb_buf a, b, c;              /* id | from, type, to (encoded) */
	struct sdb_buf live, livein, old, oldin; /* internal-key prefixes */
};

struct sdb_graph {
	struct sdb_txn *t;
	struct sdb_buf ns, pre;  /* "$graph:NS"; its internal-key prefix */
	struct sdb_txn_iter *it; /* forward over the namespace */
	struct sdb_buf k, v, tmp, hi, vb, lim;
	struct sdb_buf epfx, grp; /* sdb_graph_edges' prefix, scan_live's group */
	struct ver *vs;
	size_t nv, cap;
	struct rel r1, r2;
	/* batch mode (sdb_graph_bulk_begin): the adds collected */
	int bulk;
	uint64_t vfk;      /* the last valid_from encoded (desc) ... */
	int has_vfk;
	struct sdb_buf vfb; /* ... and its bytes */
	struct bitem *items;
	size_t nitems, capitems;
	struct sdb_buf ib; /* their bytes */
};

/* A collected add: node (b, c empty) or edge; offsets into ib. */
struct bitem {
	int node;
	size_t a, an, b, bn, c, cn, p, pn, ty, tyn; /* raw a, b, c, props, node type */
	uint64_t vf, vu, now;
	uint64_t h;         /* hash of the group key */
	size_t grp;         /* the group's first item */
	size_t g, gn;       /* the live group key (encoded, after the ns) */
	size_t ean, ebn;    /* its encoded a and b (c: the rest) */
};

static void rel_release(struct rel *r)
{
	sdb_buf_release(&r->a);
	sdb_buf_release(&r->b);
	sdb_buf_release(&r->c);
	sdb_buf_release(&r->live);
	sdb_buf_release(&r->livein);
	sdb_buf_release(&r->old);
	sdb_buf_release(&r->oldin);
}

int sdb_graph_open(struct sdb_txn *t, const char *ns, size_t nslen,
		   struct sdb_graph **out, struct sdb_error *e)
{
	struct sdb_graph *g = calloc(1, sizeof(*g));
	struct sdb_buf succ = SDB_BUF_INIT;
	int rc;

	if (!g)
		return sdb_error_code(e, SDB_ENOMEM);
	g->t = t;
	if ((rc = sdb_gkey_ns(&g->ns, ns, nslen, e)))
		goto fail;
	sdb_buf_addc(&g->pre, (char)g->ns.len);
	sdb_buf_add(&g->pre, g->ns.data, g->ns.len);
	sdb_buf_add(&succ, g->pre.data, g->pre.len);
	if (!sdb_buf_ok(&g->pre) || !sdb_buf_ok(&succ) || !sdb_prefix_succ(&succ)) {
		rc = sdb_error_code(e, SDB_ENOMEM);
		goto fail;
	}
	if ((rc = sdb_txn_iter_open(t, g->pre.data, g->pre.len, succ.data, succ.len,
				    0, &g->it, e)))
		goto fail;
	sdb_buf_release(&succ);
	*out = g;
	return 0;
fail:
	sdb_buf_release(&succ);
	sdb_graph_close(g);
	return rc;
}

void sdb_graph_close(struct sdb_graph *g)
{
	if (!g)
		return;
	sdb_txn_iter_close(g->it);
	sdb_buf_release(&g->ns);
	sdb_buf_release(&g->pre);
	sdb_buf_release(&g->k);
	sdb_buf_release(&g->v);
	sdb_buf_release(&g->tmp);
	sdb_buf_release(&g->hi);
	sdb_buf_release(&g->vb);
	sdb_buf_release(&g->lim);
	sdb_buf_release(&g->epfx);
	sdb_buf_release(&g->grp);
	sdb_buf_release(&g->vfb);
	rel_release(&g->r1);
	rel_release(&g->r2);
	free(g->vs);
	free(g->items);
	sdb_buf_release(&g->ib);
	free(g);
}

const char *sdb_graph_store_ns(const struct sdb_graph *g, size_t *n)
{
	*n = g->ns.len;
	return g->ns.data;
}

int sdb_graph_text(struct sdb_gstr s, struct sdb_buf *out)
{
	return sdb_gkey_get_text(s.p, s.n, out) == s.n ? 0 : SDB_ECORRUPT;
}

void sdb_graph_enc(struct sdb_buf *out, const void *p, size_t n)
{
	sdb_gkey_text(out, p, n);
}

int sdb_graph_check(const char *what, size_t n, size_t max, struct sdb_error *e)
{
	if (n > max)
		return sdb_error_set(e, SDB_ELIMIT, "%s longer than %zu bytes", what, max);
	return 0;
}

static int oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ keys */

/* a[0, n) == b[0, n), short runs compared by words inline: a scan
 * compares each key's prefix and relation with the last one's, where a
 * call to memcmp costs more than the compare. The last word first: the
 * keys of a node's edges differ at their ends. */
static inline int bytes_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t u, v;

	if (n < 8) {
		uint32_t p, q, r, s;
		if (n < 4)
			return !memcmp(x, y, n);
		memcpy(&p, x, 4);
		memcpy(&q, y, 4);
		memcpy(&r, x + n - 4, 4);
		memcpy(&s, y + n - 4, 4);
		return p == q && r == s;
	}
	memcpy(&u, x + n - 8, 8);
	memcpy(&v, y + n - 8, 8);
	if (u != v)
		return 0;
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		if (u != v)
			return 0;
	}
	return 1;
}

static int has_prefix(const unsigned char *k, size_t n, const struct sdb_buf *p)
{
	return n >= p->len && bytes_eq(k, p->data, p->len);
}

/* Builds the keys of a node (b, c NULL) or relation a -b-> c. */
static int rel_make(struct sdb_graph *g, struct rel *r, const char *a, size_t an,
		    const char *b, size_t bn, const char *c, size_t cn,
		    struct sdb_error *e)
{
	int rc;

	r->node = !b;
	sdb_buf_reset(&r->a);
	sdb_buf_reset(&r->b);
	sdb_buf_reset(&r->c);
	if ((rc = sdb_graph_check(r->node ? "node id" : "node id", an, SDB_GRAPH_MAX_ID, e)))
		return rc;
	sdb_gkey_text(&r->a, a, an);
	if (!r->node) {
		if ((rc = sdb_graph_check("type", bn, SDB_GRAPH_MAX_TYPE, e)) ||
		    (rc = sdb_graph_check("node id", cn, SDB_GRAPH_MAX_ID, e)))
			return rc;
		sdb_gkey_text(&r->b, b, bn);
		sdb_gkey_text(&r->c, c, cn);
	}
#define PFX(buf, kind, x, y, z) do { \
		sdb_buf_reset(&r->buf); \
		sdb_buf_add(&r->buf, g->pre.data, g->pre.len); \
		sdb_buf_addc(&r->buf, kind); \
		sdb_buf_add(&r->buf, r->x.data, r->x.len); \
		if (!r->node) { \
			sdb_buf_add(&r->buf, r->y.data, r->y.len); \
			sdb_buf_add(&r->buf, r->z.data, r->z.len); \
		} \
	} while (0)
	if (r->node) {
		PFX(live, SDB_GK_NODE, a, b, c);
		PFX(old, SDB_GK_NODE_OLD, a, b, c);
	} else {
		PFX(live, SDB_GK_OUT, a, b, c);
		PFX(livein, SDB_GK_IN, c, b, a);
		PFX(old, SDB_GK_OUT_OLD, a, b, c);
		PFX(oldin, SDB_GK_IN_OLD, c, b, a);
	}
#undef PFX
	if (!sdb_buf_ok(&r->a) || !sdb_buf_ok(&r->b) || !sdb_buf_ok(&r->c) ||
	    !sdb_buf_ok(&r->live) || !sdb_buf_ok(&r->livein) ||
	    !sdb_buf_ok(&r->old) || !sdb_buf_ok(&r->oldin))
		return oom(e);
	return 0;
}

/* The same from encoded parts (history, reads). */
static int rel_make_enc(struct sdb_graph *g, struct rel *r, struct sdb_gstr a,
			const struct sdb_gstr *b, const struct sdb_gstr *c,
			struct sdb_error *e)
{
	struct sdb_buf x = SDB_BUF_INIT, y = SDB_BUF_INIT, z = SDB_BUF_INIT;
	int rc = SDB_ECORRUPT;

	if (sdb_graph_text(a, &x) || (b && (sdb_graph_text(*b, &y) || sdb_graph_text(*c, &z))))
		rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
	else if (!sdb_buf_ok(&x) || !sdb_buf_ok(&y) || !sdb_buf_ok(&z))
		rc = oom(e);
	else
		rc = rel_make(g, r, x.data ? x.data : "", x.len,
			      b ? (y.data ? y.data : "") : NULL, y.len,
			      z.data ? z.data : "", z.len, e);
	sdb_buf_release(&x);
	sdb_buf_release(&y);
	sdb_buf_release(&z);
	return rc;
}

static void live_key(struct sdb_buf *k, const struct sdb_buf *pfx, uint64_t vf)
{
	sdb_buf_reset(k);
	sdb_buf_add(k, pfx->data, pfx->len);
	sdb_gkey_int(k, vf, 1);
}

/* ------------------------------------------------------ version lists */

static int it_seek(struct sdb_graph *g, const struct sdb_buf *k, struct sdb_error *e)
{
	if (!sdb_buf_ok(k))
		return oom(e);
	return sdb_txn_iter_seek(g->it, k->data, k->len, e);
}

/*
 * A seek for a scan of the keys under prefix pfx: the iterator ends at
 * the prefix's end, so it never steps over the deleted keys after it (a
 * del-node leaves thousands; every read of a neighbour of the gap would
 * walk them).
 */
static int it_seek_in(struct sdb_graph *g, const struct sdb_buf *k,
		      const struct sdb_buf *pfx, struct sdb_error *e)
{
	int rc;

	sdb_buf_reset(&g->lim);
	sdb_buf_add(&g->lim, pfx->data, pfx->len);
	if (!sdb_buf_ok(&g->lim))
		return oom(e);
	if (!sdb_prefix_succ(&g->lim)) {
		/* no key follows the prefix: the graph's own end */
		sdb_buf_reset(&g->lim);
		sdb_buf_add(&g->lim, g->pre.data, g->pre.len);
		if (!sdb_buf_ok(&g->lim) || !sdb_prefix_succ(&g->lim))
			return oom(e);
	}
	if ((rc = sdb_txn_iter_limit(g->it, g->lim.data, g->lim.len, e)))
		return rc;
	return it_seek(g, k, e);
}

/* Appends a version (copied) to g->vs. */
static int ver_add(struct sdb_graph *g, const struct sdb_gtimes *t, uint64_t cover,
		   const char *type, size_t typen, const char *props, size_t propsn,
		   struct sdb_error *e)
{
	struct ver *v;

	if (sdb_grow((void **)&g->vs, &g->cap, g->nv + 1, sizeof(*g->vs), 8))
		return oom(e);
	v = &g->vs[g->nv++];
	v->t = *t;
	v->cover = cover;
	v->type_off = g->vb.len;
	v->typen = typen;
	sdb_buf_add(&g->vb, type, typen);
	v->props_off = g->vb.len;
	v->propsn = propsn;
	sdb_buf_add(&g->vb, props, propsn);
	return sdb_buf_ok(&g->vb) ? 0 : oom(e);
}

enum { WALK_ALL, WALK_OPEN, WALK_AT };

/*
 * Collects the live versions of r into g->vs, newest valid_from first:
 * WALK_ALL every one; WALK_OPEN those that may be open (stops where the
 * cover says no open version is left); WALK_AT those with valid_from <= at
 * that may hold after at (stops where cover <= at).
 */
static int collect(struct sdb_graph *g, struct rel *r, int mode, uint64_t at,
		   struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	g->nv = 0;
	sdb_buf_reset(&g->vb);
	if (mode == WALK_AT)
		live_key(&g->k, &r->live, at);
	else {
		sdb_buf_reset(&g->k);
		sdb_buf_add(&g->k, r->live.data, r->live.len);
	}
	if ((rc = it_seek_in(g, &g->k, &r->live, e)))
		return rc;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		struct sdb_gtimes t;
		uint64_t cover;
		const char *ty = NULL, *pr;
		size_t tyn = 0, prn;

		if (!has_prefix(k, kn, &r->live) ||
		    !sdb_gkey_get_int(k + r->live.len, kn - r->live.len, 1, &t.vf))
			break;
		if (sdb_gval_parse(v.data, v.len, r->node, &t, &cover, &ty, &tyn, &pr, &prn))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
		if ((rc = ver_add(g, &t, cover, ty, tyn, pr, prn, e)))
			return rc;
		if (mode == WALK_OPEN && cover)
			break;
		if (mode == WALK_AT && cover && cover <= at)
			break;
	}
	return rc < 0 ? rc : 0;
}

/* Cover of the newest live version older than vf (0: none), as U(). */
static int older_cover(struct sdb_graph *g, struct rel *r, uint64_t vf,
		       uint64_t *c, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_gtimes t;
	uint64_t cover;
	int rc;

	*c = 0;
	if (!vf)
		return 0;
	live_key(&g->k, &r->live, vf - 1);
	if ((rc = it_seek_in(g, &g->k, &r->live, e)))
		return rc;
	rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e);
	if (rc < 0)
		return rc;
	if (rc == 1 && has_prefix(k, kn, &r->live)) {
		if (sdb_gval_parse(v.data, v.len, r->node, &t, &cover, NULL, NULL, NULL, NULL))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
		*c = U(cover);
	}
	return 0;
}

/* Puts value val under the live key(s) of version vf of r. */
static int put_live(struct sdb_graph *g, struct rel *r, uint64_t vf,
		    const char *val, size_t vn, struct sdb_error *e)
{
	int rc;

	live_key(&g->k, &r->live, vf);
	if (!sdb_buf_ok(&g->k))
		return oom(e);
	if ((rc = sdb_txn_put(g->t, g->k.data, g->k.len, val, vn, 0, e)))
		return rc;
	if (r->node)
		return 0;
	live_key(&g->k, &r->livein, vf);
	if (!sdb_buf_ok(&g->k))
		return oom(e);
	return sdb_txn_put(g->t, g->k.data, g->k.len, val, vn, 0, e);
}

/* Recomputes the covers of the live versions of r with valid_from >= vf. */
static int fix_covers(struct sdb_graph *g, struct rel *r, uint64_t vf,
		      struct sdb_error *e)
{
	struct sdb_txn_iter *it = NULL;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	uint64_t c;
	int rc;
	struct sdb_buf val = SDB_BUF_INIT;

	if ((rc = older_cover(g, r, vf, &c, e)))
		return rc;
	live_key(&g->hi, &r->live, vf);
	sdb_buf_addc(&g->hi, 0);
	if (!sdb_buf_ok(&g->hi))
		return oom(e);
	if ((rc = sdb_txn_iter_open(g->t, r->live.data, r->live.len, g->hi.data,
				    g->hi.len, 1, &it, e)))
		return rc;
	while ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1) {
		struct sdb_gtimes t;
		uint64_t cover, want, x;

		if (!sdb_gkey_get_int(k + r->live.len, kn - r->live.len, 1, &x) ||
		    sdb_gval_parse(v.data, v.len, r->node, &t, &cover, NULL, NULL, NULL, NULL)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
			break;
		}
		if (U(t.vu) > c)
			c = U(t.vu);
		want = c == UINT64_MAX ? 0 : c;
		if (want == cover)
			continue;
		sdb_buf_reset(&val);
		sdb_buf_add(&val, v.data, v.len);
		if (!sdb_buf_ok(&val)) {
			rc = oom(e);
			break;
		}
		sdb_gval_set_cover(val.data, want);
		if ((rc = put_live(g, r, x, val.data, val.len, e)))
			break;
	}
	sdb_txn_iter_close(it);
	sdb_buf_release(&val);
	return rc < 0 ? rc : 0;
}

/* Writes a new live version of r (the cover computed). */
static int insert_live(struct sdb_graph *g, struct rel *r, const struct sdb_gtimes *t,
		       const char *type, size_t typen, const char *props,
		       size_t propsn, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	uint64_t c;
	int rc, newer = 0;

	if ((rc = older_cover(g, r, t->vf, &c, e)))
		return rc;
	if (U(t->vu) > c)
		c = U(t->vu);
	/* a newer version exists when the group's first key is newer */
	sdb_buf_reset(&g->k);
	sdb_buf_add(&g->k, r->live.data, r->live.len);
	if ((rc = it_seek_in(g, &g->k, &r->live, e)))
		return rc;
	if ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) < 0)
		return rc;
	if (rc == 1 && has_prefix(k, kn, &r->live)) {
		uint64_t x;
		if (sdb_gkey_get_int(k + r->live.len, kn - r->live.len, 1, &x) && x > t->vf)
			newer = 1;
	}
	sdb_gval_make(&g->v, t, c == UINT64_MAX ? 0 : c, type, typen, r->node, props, propsn);
	if (!sdb_buf_ok(&g->v))
		return oom(e);
	if ((rc = put_live(g, r, t->vf, g->v.data, g->v.len, e)))
		return rc;
	return newer ? fix_covers(g, r, t->vf + 1, e) : 0;
}

/* Writes a history version of r (t->ea set). */
static int put_old(struct sdb_graph *g, struct rel *r, const struct sdb_gtimes *t,
		   const char *type, size_t typen, const char *props, size_t propsn,
		   struct sdb_error *e)
{
	struct sdb_val v;
	uint64_t seq;
	int rc;

	sdb_gval_make(&g->v, t, 0, type, typen, r->node, props, propsn);
	for (seq = 0;; seq++) {
		sdb_buf_reset(&g->k);
		sdb_buf_add(&g->k, r->old.data, r->old.len);
		sdb_gkey_int(&g->k, t->vf, 0);
		sdb_gkey_int(&g->k, t->ra, 0);
		sdb_gkey_int(&g->k, seq, 0);
		if (!sdb_buf_ok(&g->k) || !sdb_buf_ok(&g->v))
			return oom(e);
		rc = sdb_txn_get(g->t, g->k.data, g->k.len, &v, e);
		if (rc == SDB_ENOTFOUND)
			break;
		if (rc)
			return rc;
		if (v.len == g->v.len && !memcmp(v.data, g->v.data, v.len))
			return 0; /* this very version is there (a dump loaded again) */
	}
	if ((rc = sdb_txn_put(g->t, g->k.data, g->k.len, g->v.data, g->v.len, 0, e)))
		return rc;
	if (r->node)
		return 0;
	sdb_buf_reset(&g->k);
	sdb_buf_add(&g->k, r->oldin.data, r->oldin.len);
	sdb_gkey_int(&g->k, t->vf, 0);
	sdb_gkey_int(&g->k, t->ra, 0);
	sdb_gkey_int(&g->k, seq, 0);
	if (!sdb_buf_ok(&g->k))
		return oom(e);
	return sdb_txn_put(g->t, g->k.data, g->k.len, g->v.data, g->v.len, 0, e);
}

/* Expires live version x of r at now: into the history, out of the live
 * keys, covers fixed. x points into g->vs (its bytes are copied first). */
static int expire(struct sdb_graph *g, struct rel *r, const struct ver *x,
		  uint64_t now, struct sdb_error *e)
{
	struct sdb_gtimes t = x->t;
	struct sdb_buf ty = SDB_BUF_INIT, pr = SDB_BUF_INIT;
	int rc;

	t.ea = now;
	sdb_buf_add(&ty, g->vb.data + x->type_off, x->typen);
	sdb_buf_add(&pr, g->vb.data + x->props_off, x->propsn);
	if (!sdb_buf_ok(&ty) || !sdb_buf_ok(&pr)) {
		rc = oom(e);
		goto out;
	}
	if ((rc = put_old(g, r, &t, ty.data, ty.len, pr.data, pr.len, e)))
		goto out;
	live_key(&g->k, &r->live, t.vf);
	if ((rc = sdb_txn_del(g->t, g->k.data, g->k.len, e)))
		goto out;
	if (!r->node) {
		live_key(&g->k, &r->livein, t.vf);
		if ((rc = sdb_txn_del(g->t, g->k.data, g->k.len, e)))
			goto out;
	}
	rc = fix_covers(g, r, t.vf, e);
out:
	sdb_buf_release(&ty);
	sdb_buf_release(&pr);
	return rc;
}

/* The versions collected, copied out (expire() reuses g->vs). */
struct vlist {
	struct ver *v;
	size_t n;
	struct sdb_buf b;
};

static int vlist_take(struct sdb_graph *g, struct vlist *l, struct sdb_error *e)
{
	l->n = g->nv;
	l->v = malloc((g->nv ? g->nv : 1) * sizeof(*l->v));
	sdb_buf_init(&l->b);
	if (!l->v)
		return oom(e);
	if (g->nv)
		memcpy(l->v, g->vs, g->nv * sizeof(*l->v));
	sdb_buf_add(&l->b, g->vb.data, g->vb.len);
	return sdb_buf_ok(&l->b) ? 0 : oom(e);
}

static void vlist_free(struct vlist *l)
{
	free(l->v);
	sdb_buf_release(&l->b);
}

/* Expires version i of l (its bytes in l->b). */
static int expire_l(struct sdb_graph *g, struct rel *r, struct vlist *l, size_t i,
		    uint64_t now, struct sdb_error *e)
{
	struct ver x = l->v[i];

	g->nv = 0;
	sdb_buf_reset(&g->vb);
	if (ver_add(g, &x.t, x.cover, l->b.data + x.type_off, x.typen,
		    l->b.data + x.props_off, x.propsn, e))
		return SDB_ENOMEM;
	return expire(g, r, &g->vs[0], now, e);
}

#define VTYPE(l, i) ((l)->b.data + (l)->v[i].type_off)
#define VPROPS(l, i) ((l)->b.data + (l)->v[i].props_off)

static int same(const char *a, size_t an, const char *b, size_t bn)
{
	if (!an) { a = "{}"; an = 2; }
	if (!bn) { b = "{}"; bn = 2; }
	return an == bn && !memcmp(a, b, an);
}

static int check_period(uint64_t vf, uint64_t vu, struct sdb_error *e)
{
	if (vu && vu <= vf)
		return sdb_error_set(e, SDB_EINVAL,
				     "valid_until %llu is not after valid_from %llu",
				     (unsigned long long)vu, (unsigned long long)vf);
	return 0;
}

/* ------------------------------------------------------------ batches */

/* Collects an add: the raw parts (for replay) and the live group key
 * ('N' ID or 'O' FROM TYPE TO, encoded), each encoded once. */
static int collect_add(struct sdb_graph *g, int node, const char *a, size_t an,
		       const char *b, size_t bn, const char *c, size_t cn,
		       const char *ty, size_t tyn, const char *p, size_t pn,
		       uint64_t vf, uint64_t vu, uint64_t now, struct sdb_error *e)
{
	struct bitem *it;
	size_t at;

	if (sdb_grow((void **)&g->items, &g->capitems, g->nitems + 1, sizeof(*g->items), 1024))
		return oom(e);
	it = &g->items[g->nitems++];
	it->node = node;
#define PUT(OFF, LEN, SRC, N) do { it->OFF = g->ib.len; it->LEN = (N); sdb_buf_add(&g->ib, (SRC), (N)); } while (0)
	PUT(a, an, a, an);
	PUT(b, bn, b ? b : "", bn);
	PUT(c, cn, c ? c : "", cn);
	PUT(ty, tyn, ty ? ty : "", tyn);
	if (!pn) { p = "{}"; pn = 2; }
	PUT(p, pn, p, pn);
#undef PUT
	it->g = g->ib.len;
	sdb_buf_addc(&g->ib, node ? SDB_GK_NODE : SDB_GK_OUT);
	at = g->ib.len;
	sdb_gkey_text(&g->ib, a, an);
	it->ean = g->ib.len - at;
	it->ebn = 0;
	if (!node) {
		at = g->ib.len;
		sdb_gkey_text(&g->ib, b, bn);
		it->ebn = g->ib.len - at;
		sdb_gkey_text(&g->ib, c, cn);
	}
	if (!sdb_buf_ok(&g->ib))
		return oom(e);
	it->gn = g->ib.len - it->g;
	it->h = sdb_hash_short(g->ib.data + it->g, it->gn);
	it->vf = vf;
	it->vu = vu;
	it->now = now;
	return 0;
}

/* desc(vf) appended to k: the encoding of the batch's last valid_from
 * again (a batch's adds mostly share one). */
static void add_vf(struct sdb_graph *g, struct sdb_buf *k, uint64_t vf)
{
	if (!g->has_vfk || g->vfk != vf || !sdb_buf_ok(&g->vfb)) {
		sdb_buf_reset(&g->vfb);
		sdb_gkey_int(&g->vfb, vf, 1);
		g->vfk = vf;
		g->has_vfk = 1;
	}
	sdb_buf_add(k, g->vfb.data, g->vfb.len);
}

/* 1 when the graph has no live key of kind (a first load of its nodes
 * or edges: nothing to check per add), 0 when it has, or an error. */
static int kind_empty(struct sdb_graph *g, int kind, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	sdb_buf_reset(&g->k);
	sdb_buf_add(&g->k, g->pre.data, g->pre.len);
	sdb_buf_addc(&g->k, (char)kind);
	if ((rc = it_seek_in(g, &g->k, &g->k, e)))
		return rc;
	rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e);
	if (rc < 0)
		return rc;
	return !(rc == 1 && kn >= g->k.len && !memcmp(k, g->k.data, g->k.len));
}

void sdb_graph_bulk_begin(struct sdb_graph *g)
{
	g->bulk = 1;
}

size_t sdb_graph_bulk_count(const struct sdb_graph *g)
{
	return g->nitems;
}

/* Replays item i through the ordinary path. */
static int replay(struct sdb_graph *g, const struct bitem *it, struct sdb_error *e)
{
	const char *B = g->ib.data;
	int what;

	if (it->node)
		return sdb_graph_add_node(g, B + it->a, it->an, B + it->ty, it->tyn,
					  B + it->p, it->pn, it->vf, it->vu, it->now, &what, e);
	return sdb_graph_add_edge(g, B + it->a, it->an, B + it->b, it->bn, B + it->c, it->cn,
				  B + it->p, it->pn, it->vf, it->vu, it->now, 0, &what, e);
}

int sdb_graph_bulk_end(struct sdb_graph *g, struct sdb_sorter *s, size_t *nsorted,
		       struct sdb_error *e)
{
	uint32_t *slot = NULL, *cnt = NULL;
	size_t ns = 16, i;
	int rc = 0, fresh = 0, nempty = 0, oempty = 0;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf key = SDB_BUF_INIT, val = SDB_BUF_INIT;

	g->bulk = 0;
	*nsorted = 0;
	if (!s) {
		for (i = 0; i < g->nitems && !rc; i++)
			rc = replay(g, &g->items[i], e);
		goto out;
	}
	/* a graph with nothing in the snapshot (a first load): no checks */
	sdb_buf_reset(&g->k);
	sdb_buf_add(&g->k, g->pre.data, g->pre.len);
	if ((rc = it_seek_in(g, &g->k, &g->pre, e)))
		goto out;
	rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e);
	if (rc < 0)
		goto out;
	fresh = rc == 0;
	rc = 0;
	if (!fresh && ((nempty = kind_empty(g, SDB_GK_NODE, e)) < 0 ||
		       (oempty = kind_empty(g, SDB_GK_OUT, e)) < 0)) {
		rc = nempty < 0 ? nempty : oempty;
		goto out;
	}
	/* how many adds each group has */
	while (ns < g->nitems * 2)
		ns *= 2;
	slot = malloc(ns * sizeof(*slot));
	cnt = calloc(g->nitems ? g->nitems : 1, sizeof(*cnt));
	if (!slot || !cnt) {
		rc = oom(e);
		goto out;
	}
	memset(slot, 0xff, ns * sizeof(*slot));
	for (i = 0; i < g->nitems; i++) {
		const struct bitem *it = &g->items[i];
		size_t j = it->h & (ns - 1);
		for (; slot[j] != UINT32_MAX; j = (j + 1) & (ns - 1)) {
			const struct bitem *o = &g->items[slot[j]];
			if (o->h == it->h && o->gn == it->gn &&
			    !memcmp(g->ib.data + o->g, g->ib.data + it->g, it->gn))
				break;
		}
		if (slot[j] == UINT32_MAX)
			slot[j] = (uint32_t)i;
		cnt[slot[j]]++;
		g->items[i].grp = slot[j];
	}
	for (i = 0; i < g->nitems && !rc; i++) {
		const struct bitem *it = &g->items[i];
		const char *B = g->ib.data;
		struct sdb_gtimes t = { it->vf, it->vu, it->now, 0 };
		int single = cnt[it->grp] == 1;
		if (single && !fresh && !(it->node ? nempty : oempty)) {
			/* any live version of the group in the snapshot? */
			sdb_buf_reset(&g->k);
			sdb_buf_add(&g->k, g->pre.data, g->pre.len);
			sdb_buf_add(&g->k, B + it->g, it->gn);
			if ((rc = it_seek_in(g, &g->k, &g->k, e)))
				break;
			rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e);
			if (rc < 0)
				break;
			single = !(rc == 1 && kn >= g->k.len && !memcmp(k, g->k.data, g->k.len));
			rc = 0;
		}
		if (!single) {
			rc = replay(g, it, e);
			continue;
		}
		sdb_gval_make(&val, &t, it->vu, B + it->ty, it->tyn, it->node, B + it->p, it->pn);
		sdb_buf_reset(&key);
		sdb_buf_add(&key, g->pre.data, g->pre.len);
		sdb_buf_add(&key, B + it->g, it->gn);
		add_vf(g, &key, it->vf);
		if (!sdb_buf_ok(&key) || !sdb_buf_ok(&val)) {
			rc = oom(e);
			break;
		}
		if ((rc = sdb_sorter_put(s, key.data, key.len, val.data, val.len, 0, e)))
			break;
		(*nsorted)++;
		if (it->node)
			continue;
		/* the in copy: 'I' TO TYPE FROM desc(vf), from the group
		 * key's parts ('O' FROM TYPE TO) */
		{
			const char *ga = B + it->g + 1, *gb = ga + it->ean, *gc = gb + it->ebn;
			size_t gcn = it->gn - 1 - it->ean - it->ebn;
			sdb_buf_reset(&key);
			sdb_buf_add(&key, g->pre.data, g->pre.len);
			sdb_buf_addc(&key, SDB_GK_IN);
			sdb_buf_add(&key, gc, gcn);
			sdb_buf_add(&key, gb, it->ebn);
			sdb_buf_add(&key, ga, it->ean);
			add_vf(g, &key, it->vf);
		}
		if (!sdb_buf_ok(&key)) {
			rc = oom(e);
			break;
		}
		if ((rc = sdb_sorter_put(s, key.data, key.len, val.data, val.len, 0, e)))
			break;
		(*nsorted)++;
	}
out:
	free(slot);
	free(cnt);
	sdb_buf_release(&key);
	sdb_buf_release(&val);
	g->nitems = 0;
	sdb_buf_reset(&g->ib);
	return rc;
}

/* ---------------------------------------------------------- writes */

int sdb_graph_add_node(struct sdb_graph *g, const char *id, size_t idn,
		       const char *type, size_t typen, const char *props,
		       size_t propsn, uint64_t vf, uint64_t vu, uint64_t now,
		       int *what, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	struct vlist l;
	struct sdb_gtimes t = { vf, vu, now, 0 };
	int rc;

	*what = SDB_GW_NOOP;
	if ((rc = check_period(vf, vu, e)) ||
	    (rc = sdb_graph_check("type", typen, SDB_GRAPH_MAX_TYPE, e)))
		return rc;
	if (g->bulk) {
		if ((rc = sdb_graph_check("node id", idn, SDB_GRAPH_MAX_ID, e)))
			return rc;
		*what = SDB_GW_ADDED;
		return collect_add(g, 1, id, idn, NULL, 0, NULL, 0, type, typen,
				   props, propsn, vf, vu, now, e);
	}
	if ((rc = rel_make(g, r, id, idn, NULL, 0, NULL, 0, e)))
		return rc;
	/* the live versions that hold at vf, or start there */
	if ((rc = collect(g, r, WALK_AT, vf, e)) || (rc = vlist_take(g, &l, e)))
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		struct ver *x = &l.v[i];
		int eq = x->typen == typen && !memcmp(VTYPE(&l, i), type, typen) &&
			 same(VPROPS(&l, i), x->propsn, props, propsn);
		if (x->t.vf == vf) {
			if (eq && x->t.vu == vu)
				goto out;
			if ((rc = expire_l(g, r, &l, i, now, e)))
				goto out;
		} else if (x->t.vf < vf && (!x->t.vu || x->t.vu > vf)) {
			struct sdb_gtimes c = x->t;
			if (eq && !x->t.vu && !vu)
				goto out;
			if ((rc = expire_l(g, r, &l, i, now, e)))
				goto out;
			c.vu = vf;
			c.ra = now;
			c.ea = 0;
			if ((rc = insert_live(g, r, &c, VTYPE(&l, i), x->typen,
					      VPROPS(&l, i), x->propsn, e)))
				goto out;
		}
	}
	if ((rc = insert_live(g, r, &t, type, typen, props, propsn, e)))
		goto out;
	*what = SDB_GW_ADDED;
out:
	vlist_free(&l);
	return rc;
}

/* Merges object b into object a (compact JSON texts): a's keys in order
 * with b's values where b has them, then b's new keys; a null in b
 * removes the key. */
static int merge_props(const char *a, size_t an, const char *b, size_t bn,
		       struct sdb_buf *out, struct sdb_error *e)
{
	struct sdb_json_doc da, db;
	struct sdb_buf ka = SDB_BUF_INIT, kb = SDB_BUF_INIT;
	int rc, first = 1;
	size_t i, j;

	memset(&da, 0, sizeof(da));
	memset(&db, 0, sizeof(db));
	if (!an) { a = "{}"; an = 2; }
	if (!bn) { b = "{}"; bn = 2; }
	if ((rc = sdb_json_parse(&da, a, an, 0, e)) || (rc = sdb_json_parse(&db, b, bn, 0, e)))
		goto out;
	sdb_buf_reset(out);
	sdb_buf_addc(out, '{');
	for (i = 1; i < sdb_json_next(&da, 0); i = sdb_json_next(&da, i + 1)) {
		const char *kp, *kq;
		size_t kn, kqn, hit = 0;
		sdb_json_str(&da, i, &kp, &kn, &ka);
		for (j = 1; j < sdb_json_next(&db, 0); j = sdb_json_next(&db, j + 1)) {
			sdb_json_str(&db, j, &kq, &kqn, &kb);
			if (kn == kqn && !memcmp(kp, kq, kn)) {
				hit = j;
				break;
			}
		}
		if (hit && sdb_json_type(&db, hit + 1) == SDB_J_NULL)
			continue;
		if (!first)
			sdb_buf_addc(out, ',');
		first = 0;
		sdb_json_quote(out, kp, kn);
		sdb_buf_addc(out, ':');
		if (hit)
			sdb_json_write(&db, hit + 1, 0, 1, out);
		else
			sdb_json_write(&da, i + 1, 0, 1, out);
	}
	for (j = 1; j < sdb_json_next(&db, 0); j = sdb_json_next(&db, j + 1)) {
		const char *kp, *kq;
		size_t kn, kqn, hit = 0;
		if (sdb_json_type(&db, j + 1) == SDB_J_NULL)
			continue;
		sdb_json_str(&db, j, &kq, &kqn, &kb);
		for (i = 1; i < sdb_json_next(&da, 0); i = sdb_json_next(&da, i + 1)) {
			sdb_json_str(&da, i, &kp, &kn, &ka);
			if (kn == kqn && !memcmp(kp, kq, kn)) {
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		sdb_json_str(&db, j, &kq, &kqn, &kb);
		if (!first)
			sdb_buf_addc(out, ',');
		first = 0;
		sdb_json_quote(out, kq, kqn);
		sdb_buf_addc(out, ':');
		sdb_json_write(&db, j + 1, 0, 1, out);
	}
	sdb_buf_addc(out, '}');
	rc = sdb_buf_ok(out) && sdb_buf_ok(&ka) && sdb_buf_ok(&kb) ? 0 : oom(e);
out:
	sdb_json_release(&da);
	sdb_json_release(&db);
	sdb_buf_release(&ka);
	sdb_buf_release(&kb);
	return rc;
}

int sdb_graph_set_node(struct sdb_graph *g, const char *id, size_t idn,
		       const char *type, size_t typen, const char *props,
		       size_t propsn, int has_vf, uint64_t vf, uint64_t at,
		       uint64_t now, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	struct vlist l;
	struct sdb_buf merged = SDB_BUF_INIT, ty = SDB_BUF_INIT;
	size_t i;
	int rc, what;

	if (type && (rc = sdb_graph_check("type", typen, SDB_GRAPH_MAX_TYPE, e)))
		return rc;
	if ((rc = rel_make(g, r, id, idn, NULL, 0, NULL, 0, e)))
		return rc;
	if ((rc = collect(g, r, WALK_AT, has_vf ? vf : at, e)) || (rc = vlist_take(g, &l, e)))
		goto out;
	for (i = 0; i < l.n; i++)
		if (!l.v[i].t.vu || l.v[i].t.vu > (has_vf ? vf : at))
			break;
	if (i == l.n) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "unknown node '%.*s'", (int)idn, id);
		goto out;
	}
	if ((rc = merge_props(VPROPS(&l, i), l.v[i].propsn, props, propsn, &merged, e)))
		goto out;
	if (type)
		sdb_buf_add(&ty, type, typen);
	else
		sdb_buf_add(&ty, VTYPE(&l, i), l.v[i].typen);
	if (!sdb_buf_ok(&ty)) {
		rc = oom(e);
		goto out;
	}
	if (has_vf) {
		rc = sdb_graph_add_node(g, id, idn, ty.data ? ty.data : "", ty.len,
					merged.data, merged.len, vf, l.v[i].t.vu, now, &what, e);
	} else {
		struct sdb_gtimes t = l.v[i].t;
		if ((rc = expire_l(g, r, &l, i, now, e)))
			goto out;
		t.ra = now;
		t.ea = 0;
		rc = insert_live(g, r, &t, ty.data ? ty.data : "", ty.len,
				 merged.data, merged.len, e);
	}
out:
	vlist_free(&l);
	sdb_buf_release(&merged);
	sdb_buf_release(&ty);
	return rc;
}

/* Expires every live version of r. *n: how many. */
static int expire_all(struct sdb_graph *g, struct rel *r, uint64_t now, size_t *n,
		      struct sdb_error *e)
{
	struct vlist l;
	int rc;

	*n = 0;
	if ((rc = collect(g, r, WALK_ALL, 0, e)) || (rc = vlist_take(g, &l, e)))
		goto out;
	/* oldest first: each expiry then fixes the newer covers once */
	for (size_t i = l.n; i-- > 0;) {
		if ((rc = expire_l(g, r, &l, i, now, e)))
			goto out;
		(*n)++;
	}
out:
	vlist_free(&l);
	return rc;
}

/* The (type, other end) relations of node a in direction kind ('O' or
 * 'I'), each once, as encoded pairs appended to out (len-prefixed). */
static int relations(struct sdb_graph *g, const struct sdb_buf *enc_id, int kind,
		     struct sdb_buf *out, size_t *count, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf pfx = SDB_BUF_INIT, last = SDB_BUF_INIT;
	int rc;

	sdb_buf_add(&pfx, g->pre.data, g->pre.len);
	sdb_buf_addc(&pfx, (char)kind);
	sdb_buf_add(&pfx, enc_id->data, enc_id->len);
	if ((rc = it_seek_in(g, &pfx, &pfx, e)))
		goto out;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		size_t a, b;
		if (!has_prefix(k, kn, &pfx))
			break;
		a = sdb_tuple_skip(k + pfx.len, kn - pfx.len, 0);
		b = a ? sdb_tuple_skip(k + pfx.len + a, kn - pfx.len - a, 0) : 0;
		if (!b) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
			goto out;
		}
		if (last.len == a + b && !memcmp(last.data, k + pfx.len, a + b))
			continue;
		sdb_buf_reset(&last);
		sdb_buf_add(&last, k + pfx.len, a + b);
		sdb_buf_add(out, &a, sizeof(a));
		sdb_buf_add(out, &b, sizeof(b));
		sdb_buf_add(out, k + pfx.len, a + b);
		(*count)++;
	}
	if (rc > 0)
		rc = 0;
	if (!rc && (!sdb_buf_ok(out) || !sdb_buf_ok(&last)))
		rc = oom(e);
out:
	sdb_buf_release(&pfx);
	sdb_buf_release(&last);
	return rc;
}

int sdb_graph_del_node(struct sdb_graph *g, const char *id, size_t idn,
		       uint64_t now, uint64_t *edges, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	struct sdb_buf enc = SDB_BUF_INIT, rels = SDB_BUF_INIT;
	size_t n = 0, cnt = 0, total = 0;
	int rc;

	*edges = 0;
	if ((rc = rel_make(g, r, id, idn, NULL, 0, NULL, 0, e)))
		return rc;
	sdb_buf_add(&enc, r->a.data, r->a.len);
	if ((rc = expire_all(g, r, now, &n, e)))
		goto out;
	total = n;
	for (int pass = 0; pass < 2; pass++) {
		int kind = pass ? SDB_GK_IN : SDB_GK_OUT;
		size_t off = 0;
		sdb_buf_reset(&rels);
		cnt = 0;
		if ((rc = relations(g, &enc, kind, &rels, &cnt, e)))
			goto out;
		while (off < rels.len) {
			size_t a, b;
			struct sdb_gstr ty, other;
			memcpy(&a, rels.data + off, sizeof(a));
			memcpy(&b, rels.data + off + sizeof(a), sizeof(b));
			ty.p = (const unsigned char *)rels.data + off + 2 * sizeof(size_t);
			ty.n = a;
			other.p = ty.p + a;
			other.n = b;
			off += 2 * sizeof(size_t) + a + b;
			{
				struct sdb_gstr me = { (const unsigned char *)enc.data, enc.len };
				if (pass)
					rc = rel_make_enc(g, &g->r2, other, &ty, &me, e);
				else
					rc = rel_make_enc(g, &g->r2, me, &ty, &other, e);
			}
			if (rc || (rc = expire_all(g, &g->r2, now, &n, e)))
				goto out;
			*edges += n;
			total += n;
		}
	}
	if (!total)
		rc = sdb_error_set(e, SDB_ENOTFOUND, "unknown node '%.*s'", (int)idn, id);
out:
	sdb_buf_release(&enc);
	sdb_buf_release(&rels);
	return rc;
}

int sdb_graph_add_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       const char *props, size_t propsn, uint64_t vf, uint64_t vu,
		       uint64_t now, int replace, int *what, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	struct vlist l;
	struct sdb_gtimes t = { vf, vu, now, 0 };
	struct sdb_val v;
	int rc;

	*what = SDB_GW_NOOP;
	if ((rc = check_period(vf, vu, e)))
		return rc;
	if (g->bulk && !replace) {
		/* rel_make's checks, in its order */
		if ((rc = sdb_graph_check("node id", fromn, SDB_GRAPH_MAX_ID, e)) ||
		    (rc = sdb_graph_check("type", typen, SDB_GRAPH_MAX_TYPE, e)) ||
		    (rc = sdb_graph_check("node id", ton, SDB_GRAPH_MAX_ID, e)))
			return rc;
		*what = SDB_GW_ADDED;
		return collect_add(g, 0, from, fromn, type, typen, to, ton, NULL, 0,
				   props, propsn, vf, vu, now, e);
	}
	if ((rc = rel_make(g, r, from, fromn, type, typen, to, ton, e)))
		return rc;
	if ((rc = collect(g, r, WALK_OPEN, 0, e)) || (rc = vlist_take(g, &l, e)))
		goto out;
	if (replace) {
		for (size_t i = l.n; i-- > 0;)
			if (!l.v[i].t.vu && (rc = expire_l(g, r, &l, i, now, e)))
				goto out;
	} else if (!vu) {
		for (size_t i = 0; i < l.n; i++)
			if (!l.v[i].t.vu && l.v[i].t.vf <= vf &&
			    same(VPROPS(&l, i), l.v[i].propsn, props, propsn))
				goto out;
	}
	/* a live version with the same valid_from */
	live_key(&g->k, &r->live, vf);
	if (!sdb_buf_ok(&g->k)) {
		rc = oom(e);
		goto out;
	}
	rc = sdb_txn_get(g->t, g->k.data, g->k.len, &v, e);
	if (rc && rc != SDB_ENOTFOUND)
		goto out;
	if (!rc) {
		struct sdb_gtimes x;
		uint64_t cover;
		const char *pr;
		size_t prn;
		if (sdb_gval_parse(v.data, v.len, 0, &x, &cover, NULL, NULL, &pr, &prn)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
			goto out;
		}
		x.vf = vf;
		if (x.vu == vu && same(pr, prn, props, propsn)) {
			rc = 0;
			goto out;
		}
		g->nv = 0;
		sdb_buf_reset(&g->vb);
		if ((rc = ver_add(g, &x, cover, NULL, 0, pr, prn, e)) ||
		    (rc = expire(g, r, &g->vs[0], now, e)))
			goto out;
	}
	if ((rc = insert_live(g, r, &t, NULL, 0, props, propsn, e)))
		goto out;
	*what = SDB_GW_ADDED;
out:
	vlist_free(&l);
	return rc;
}

int sdb_graph_end_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       uint64_t at, uint64_t now, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	struct vlist l;
	size_t ended = 0;
	int rc;

	if ((rc = rel_make(g, r, from, fromn, type, typen, to, ton, e)))
		return rc;
	if (!at)
		return sdb_error_set(e, SDB_EINVAL, "cannot end an edge at 0");
	if ((rc = collect(g, r, WALK_AT, at - 1, e)) || (rc = vlist_take(g, &l, e)))
		goto out;
	for (size_t i = l.n; i-- > 0;) {
		struct sdb_gtimes c = l.v[i].t;
		if (c.vf >= at || (c.vu && c.vu <= at))
			continue;
		if ((rc = expire_l(g, r, &l, i, now, e)))
			goto out;
		c.vu = at;
		c.ra = now;
		c.ea = 0;
		if ((rc = insert_live(g, r, &c, NULL, 0, VPROPS(&l, i), l.v[i].propsn, e)))
			goto out;
		ended++;
	}
	if (!ended)
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no edge '%.*s' -%.*s-> '%.*s' holds at %llu",
				   (int)fromn, from, (int)typen, type, (int)ton, to,
				   (unsigned long long)at);
out:
	vlist_free(&l);
	return rc;
}

int sdb_graph_del_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       uint64_t now, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	size_t n;
	int rc;

	if ((rc = rel_make(g, r, from, fromn, type, typen, to, ton, e)) ||
	    (rc = expire_all(g, r, now, &n, e)))
		return rc;
	if (!n)
		return sdb_error_set(e, SDB_ENOTFOUND, "unknown edge '%.*s' -%.*s-> '%.*s'",
				     (int)fromn, from, (int)typen, type, (int)ton, to);
	return 0;
}

int sdb_graph_put_node_version(struct sdb_graph *g, const char *id, size_t idn,
			       const char *type, size_t typen, const char *props,
			       size_t propsn, const struct sdb_gtimes *t,
			       struct sdb_error *e)
{
	struct rel *r = &g->r1;
	int rc;

	if ((rc = check_period(t->vf, t->vu, e)) ||
	    (rc = sdb_graph_check("type", typen, SDB_GRAPH_MAX_TYPE, e)) ||
	    (rc = rel_make(g, r, id, idn, NULL, 0, NULL, 0, e)))
		return rc;
	if (t->ea)
		return put_old(g, r, t, type, typen, props, propsn, e);
	return insert_live(g, r, t, type, typen, props, propsn, e);
}

int sdb_graph_put_edge_version(struct sdb_graph *g, const char *from, size_t fromn,
			       const char *type, size_t typen, const char *to,
			       size_t ton, const char *props, size_t propsn,
			       const struct sdb_gtimes *t, struct sdb_error *e)
{
	struct rel *r = &g->r1;
	int rc;

	if ((rc = check_period(t->vf, t->vu, e)) ||
	    (rc = rel_make(g, r, from, fromn, type, typen, to, ton, e)))
		return rc;
	if (t->ea)
		return put_old(g, r, t, NULL, 0, props, propsn, e);
	return insert_live(g, r, t, NULL, 0, props, propsn, e);
}

int sdb_graph_purge(struct sdb_graph *g, uint64_t before, uint64_t *removed,
		    struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf keys = SDB_BUF_INIT;
	int rc = 0;
	static const char kinds[] = { SDB_GK_NODE_OLD, SDB_GK_OUT_OLD, SDB_GK_IN_OLD };

	*removed = 0;
	for (size_t i = 0; i < sizeof(kinds); i++) {
		sdb_buf_reset(&g->k);
		sdb_buf_add(&g->k, g->pre.data, g->pre.len);
		sdb_buf_addc(&g->k, kinds[i]);
		if ((rc = it_seek_in(g, &g->k, &g->k, e)))
			goto out;
		sdb_buf_reset(&keys);
		while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
			struct sdb_gtimes t;
			if (kn <= g->pre.len || k[g->pre.len] != kinds[i])
				break;
			if (sdb_gval_parse(v.data, v.len, kinds[i] == SDB_GK_NODE_OLD, &t,
					   NULL, NULL, NULL, NULL, NULL)) {
				rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
				goto out;
			}
			if (t.ea && t.ea < before) {
				sdb_buf_add(&keys, &kn, sizeof(kn));
				sdb_buf_add(&keys, k, kn);
			}
		}
		if (rc < 0)
			goto out;
		rc = 0;
		if (!sdb_buf_ok(&keys)) {
			rc = oom(e);
			goto out;
		}
		for (size_t off = 0; off < keys.len;) {
			memcpy(&kn, keys.data + off, sizeof(kn));
			off += sizeof(kn);
			if ((rc = sdb_txn_del(g->t, keys.data + off, kn, e)))
				goto out;
			off += kn;
			if (kinds[i] != SDB_GK_IN_OLD)
				(*removed)++;
		}
	}
out:
	sdb_buf_release(&keys);
	return rc;
}

/* ----------------------------------------------------------- reads */

int sdb_graph_get_node(struct sdb_graph *g, struct sdb_gstr id,
		       const struct sdb_gread *r, struct sdb_gnode *nd,
		       struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf *pfx = &g->r2.live;
	int rc, found = 0;

	/* live: from desc(as_of) towards older */
	sdb_buf_reset(pfx);
	sdb_buf_add(pfx, g->pre.data, g->pre.len);
	sdb_buf_addc(pfx, SDB_GK_NODE);
	sdb_buf_add(pfx, id.p, id.n);
	live_key(&g->k, pfx, r->as_of);
	if ((rc = it_seek_in(g, &g->k, pfx, e)))
		return rc;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		struct sdb_gtimes t;
		uint64_t cover;
		const char *ty, *pr;
		size_t tyn, prn;
		if (!has_prefix(k, kn, pfx) ||
		    !sdb_gkey_get_int(k + pfx->len, kn - pfx->len, 1, &t.vf))
			break;
		if (sdb_gval_parse(v.data, v.len, 1, &t, &cover, &ty, &tyn, &pr, &prn))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
		if (sdb_gvisible(&t, r)) {
			sdb_buf_reset(&g->tmp);
			sdb_buf_add(&g->tmp, ty, tyn);
			sdb_buf_add(&g->tmp, pr, prn);
			nd->t = t;
			nd->typen = tyn;
			nd->propsn = prn;
			found = 1;
			break;
		}
		if (cover && cover <= r->as_of)
			break;
	}
	if (rc < 0)
		return rc;
	if (r->has_known) {
		/* history: the visible one with the greatest (vf, ra) */
		sdb_buf_reset(pfx);
		sdb_buf_add(pfx, g->pre.data, g->pre.len);
		sdb_buf_addc(pfx, SDB_GK_NODE_OLD);
		sdb_buf_add(pfx, id.p, id.n);
		if ((rc = it_seek_in(g, pfx, pfx, e)))
			return rc;
		while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
			struct sdb_gtimes t;
			const char *ty, *pr;
			size_t tyn, prn;
			if (!has_prefix(k, kn, pfx) ||
			    !sdb_gkey_get_int(k + pfx->len, kn - pfx->len, 0, &t.vf))
				break;
			if (sdb_gval_parse(v.data, v.len, 1, &t, NULL, &ty, &tyn, &pr, &prn))
				return sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
			if (!sdb_gvisible(&t, r))
				continue;
			if (found && (t.vf < nd->t.vf || (t.vf == nd->t.vf && t.ra < nd->t.ra)))
				continue;
			sdb_buf_reset(&g->tmp);
			sdb_buf_add(&g->tmp, ty, tyn);
			sdb_buf_add(&g->tmp, pr, prn);
			nd->t = t;
			nd->typen = tyn;
			nd->propsn = prn;
			found = 1;
		}
		if (rc < 0)
			return rc;
	}
	if (!found)
		return SDB_ENOTFOUND;
	if (!sdb_buf_ok(&g->tmp))
		return oom(e);
	nd->id = id;
	nd->type = g->tmp.data;
	nd->props = g->tmp.data + nd->typen;
	return 0;
}

/* Ends a run of scan_live: the served entries [r0, rp) stepped over
 * (sdb_txn_iter_skip), so that the iterator is where the steps would have
 * left it. @return 0 or an error. */
static int run_end(struct sdb_graph *g, size_t *rp, size_t *r0, size_t *rend,
		   struct sdb_error *e)
{
	int rc = *rp > *r0 ? sdb_txn_iter_skip(g->it, *rp - *r0, e) : 0;

	*rp = *r0 = *rend = 0;
	return rc;
}

/*
 * The visible live edges under prefix pfx ('O'/'I' + X [+ T]): each
 * (T, Y) group is entered at desc(as_of) and left when its cover says no
 * older version holds at as_of.
 */
static int scan_live(struct sdb_graph *g, const struct sdb_buf *pfx, size_t xlen,
		     int in, struct sdb_gstr me, const struct sdb_gread *r,
		     sdb_gedge_fn cb, void *ctx, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf *grp = &g->grp;
	int rc, done = 0;
	size_t base = g->pre.len + 1 + xlen; /* where TYPE starts */
	/* the last valid_from decoded, by its key bytes: edges loaded or added
	 * together share it, and its decoding is a tenth of a key's cost */
	unsigned char vfb[16];
	size_t vfn = SIZE_MAX;
	uint64_t vfv = 0;

	/* the entries after a step in its block, served in place (runs: no
	 * step each) while the transaction writes nothing */
	struct sdb_run run;
	size_t rp = 0, r0 = 0, rend = 0;

	sdb_buf_reset(grp);
	if ((rc = it_seek_in(g, pfx, pfx, e)))
		goto out;
	for (;;) {
		size_t a, b, glen;
		struct sdb_gedge ed;
		uint64_t cover;

		if (rp < rend && sdb_txn_iter_run_valid(g->it)) {
			k = run.keys + run.koff[rp];
			kn = run.klen[rp];
			v.data = (const char *)run.val[rp];
			v.len = run.vlen[rp];
			rp++;
			rc = 1;
		} else {
			if ((rc = run_end(g, &rp, &r0, &rend, e)))
				goto out;
			if ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) != 1)
				break;
			if (sdb_txn_iter_stable(g->it) && sdb_txn_iter_run(g->it, &run)) {
				r0 = rp = run.i;
				rend = run.n;
			}
		}
		if (!has_prefix(k, kn, pfx))
			break;
		a = sdb_tuple_skip_bytes(k + base, kn - base);
		b = a ? sdb_tuple_skip_bytes(k + base + a, kn - base - a) : 0;
		glen = base + a + b;
		if (b && kn - glen == vfn && bytes_eq(k + glen, vfb, vfn)) {
			ed.t.vf = vfv;
		} else if (!b || !sdb_gkey_get_int(k + glen, kn - glen, 1, &ed.t.vf)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
			goto out;
		} else if (kn - glen <= sizeof(vfb)) {
			vfn = kn - glen;
			memcpy(vfb, k + glen, vfn);
			vfv = ed.t.vf;
		}
		if (grp->len != glen || !bytes_eq(grp->data, k, glen)) {
			sdb_buf_reset(grp);
			sdb_buf_add(grp, k, glen);
			if (!sdb_buf_ok(grp)) {
				rc = oom(e);
				goto out;
			}
			done = 0;
			if (r && ed.t.vf > r->as_of) {
				live_key(&g->k, grp, r->as_of);
				if ((rc = run_end(g, &rp, &r0, &rend, e)) || (rc = it_seek(g, &g->k, e)))
					goto out;
				continue;
			}
		} else if (done) {
			sdb_buf_reset(&g->k);
			sdb_buf_add(&g->k, grp->data, grp->len);
			if (!sdb_prefix_succ(&g->k))
				break;
			if ((rc = run_end(g, &rp, &r0, &rend, e)) || (rc = it_seek(g, &g->k, e)))
				goto out;
			continue;
		}
		if (sdb_gval_parse(v.data, v.len, 0, &ed.t, &cover, NULL, NULL, &ed.props, &ed.propsn)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
			goto out;
		}
		if (r && cover && cover <= r->as_of)
			done = 1;
		if (r && !sdb_gvisible(&ed.t, r))
			continue;
		ed.type.p = (const unsigned char *)grp->data + base;
		ed.type.n = a;
		if (in) {
			ed.from.p = ed.type.p + a;
			ed.from.n = b;
			ed.to = me;
			if (ed.from.n == me.n && !memcmp(ed.from.p, me.p, me.n) && in == 2)
				continue; /* both: the self-loop came out already */
		} else {
			ed.from = me;
			ed.to.p = ed.type.p + a;
			ed.to.n = b;
		}
		if ((rc = cb(ctx, &ed, e)))
			goto out;
	}
out:
	return rc < 0 ? rc : rc > 0 && rc != 1 ? rc : 0;
}

/* The visible history edges under pfx ('o'/'i' + X [+ T]). */
static int scan_old(struct sdb_graph *g, const struct sdb_buf *pfx, size_t xlen,
		    int in, struct sdb_gstr me, const struct sdb_gread *r,
		    sdb_gedge_fn cb, void *ctx, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf kc = SDB_BUF_INIT;
	int rc;
	size_t base = g->pre.len + 1 + xlen;

	if ((rc = it_seek_in(g, pfx, pfx, e)))
		goto out;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		size_t a, b, glen;
		struct sdb_gedge ed;

		if (!has_prefix(k, kn, pfx))
			break;
		a = sdb_tuple_skip(k + base, kn - base, 0);
		b = a ? sdb_tuple_skip(k + base + a, kn - base - a, 0) : 0;
		glen = base + a + b;
		if (!b || !sdb_gkey_get_int(k + glen, kn - glen, 0, &ed.t.vf) ||
		    sdb_gval_parse(v.data, v.len, 0, &ed.t, NULL, NULL, NULL, &ed.props, &ed.propsn)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
			goto out;
		}
		if (r && !sdb_gvisible(&ed.t, r))
			continue;
		sdb_buf_reset(&kc);
		sdb_buf_add(&kc, k, glen);
		if (!sdb_buf_ok(&kc)) {
			rc = oom(e);
			goto out;
		}
		ed.type.p = (const unsigned char *)kc.data + base;
		ed.type.n = a;
		if (in) {
			ed.from.p = ed.type.p + a;
			ed.from.n = b;
			ed.to = me;
			if (ed.from.n == me.n && !memcmp(ed.from.p, me.p, me.n) && in == 2)
				continue;
		} else {
			ed.from = me;
			ed.to.p = ed.type.p + a;
			ed.to.n = b;
		}
		if ((rc = cb(ctx, &ed, e)))
			goto out;
	}
out:
	sdb_buf_release(&kc);
	return rc < 0 ? rc : rc > 0 && rc != 1 ? rc : 0;
}

int sdb_graph_edges(struct sdb_graph *g, struct sdb_gstr id, int dir,
		    const struct sdb_gstr *types, size_t ntypes,
		    const struct sdb_gread *r, sdb_gedge_fn cb, void *ctx,
		    struct sdb_error *e)
{
	struct sdb_buf *pfx = &g->epfx;
	int rc = 0;

	for (int pass = 0; pass < 2 && !rc; pass++) {
		int in = pass ? (dir == SDB_GDIR_BOTH ? 2 : 1) : 0;
		if (!(dir & (pass ? SDB_GDIR_IN : SDB_GDIR_OUT)))
			continue;
		for (size_t t = 0; t < (ntypes ? ntypes : 1) && !rc; t++) {
			for (int old = 0; old < 2 && !rc; old++) {
				if (old && r && !r->has_known)
					break;
				sdb_buf_reset(pfx);
				sdb_buf_add(pfx, g->pre.data, g->pre.len);
				sdb_buf_addc(pfx, old ? (pass ? SDB_GK_IN_OLD : SDB_GK_OUT_OLD) :
						    (pass ? SDB_GK_IN : SDB_GK_OUT));
				sdb_buf_add(pfx, id.p, id.n);
				if (ntypes)
					sdb_buf_add(pfx, types[t].p, types[t].n);
				if (!sdb_buf_ok(pfx)) {
					rc = oom(e);
					break;
				}
				rc = old ? scan_old(g, pfx, id.n, in, id, r, cb, ctx, e) :
					   scan_live(g, pfx, id.n, in, id, r, cb, ctx, e);
			}
		}
	}
	return rc;
}

static int stop_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	(void)ctx;
	(void)ed;
	(void)e;
	return 2;
}

int sdb_graph_known(struct sdb_graph *g, struct sdb_gstr id,
		    const struct sdb_gread *r, struct sdb_error *e)
{
	struct sdb_gnode nd;
	int rc = sdb_graph_get_node(g, id, r, &nd, e);

	if (!rc)
		return 1;
	if (rc != SDB_ENOTFOUND)
		return rc;
	rc = sdb_graph_edges(g, id, SDB_GDIR_BOTH, NULL, 0, r, stop_cb, NULL, e);
	return rc == 2 ? 1 : rc;
}

/* ------------------------------------------------------- runs of nodes */

int sdb_graph_nodes_run(struct sdb_graph *g, struct sdb_gstr id, const struct sdb_gread *r,
			size_t budget, sdb_grun_fn start, sdb_gnode_fn cb, void *ctx,
			size_t *nkeys, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn, keys = 0, idkeys = SIZE_MAX, base0 = g->pre.len + 1;
	struct sdb_val v;
	struct sdb_buf cur = SDB_BUF_INIT, kp = SDB_BUF_INIT;
	int rc, done = 0;
	struct sdb_gstr me;

	*nkeys = 0;
	if (r->has_known)
		return sdb_error_set(e, SDB_EINVAL, "node runs read live versions");
	sdb_buf_add(&cur, id.p, id.n);
	sdb_buf_reset(&g->hi);
	sdb_buf_add(&g->hi, g->pre.data, g->pre.len);
	sdb_buf_addc(&g->hi, SDB_GK_NODE);
	sdb_buf_add(&g->hi, id.p, id.n);
	sdb_buf_add(&kp, g->pre.data, g->pre.len);
	sdb_buf_addc(&kp, SDB_GK_NODE);
	if (!sdb_buf_ok(&cur) || !sdb_buf_ok(&g->hi) || !sdb_buf_ok(&kp)) {
		rc = oom(e);
		goto out;
	}
	me.p = (const unsigned char *)cur.data;
	me.n = cur.len;
	if ((rc = start(ctx, me, e)))
		goto out;
	live_key(&g->k, &g->hi, r->as_of);
	if ((rc = it_seek_in(g, &g->k, &kp, e)))
		goto out;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		size_t m;
		struct sdb_gnode nd;
		uint64_t cover;

		if (kn <= base0 || memcmp(k, g->pre.data, g->pre.len) || k[g->pre.len] != SDB_GK_NODE)
			break;
		m = sdb_tuple_skip(k + base0, kn - base0, 0);
		if (!m || !sdb_gkey_get_int(k + base0 + m, kn - base0 - m, 1, &nd.t.vf)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
			goto out;
		}
		if (m != cur.len || memcmp(k + base0, cur.data, m)) {
			/* the next node: stop here once past the budget */
			if (idkeys == SIZE_MAX)
				idkeys = keys;
			if (keys - idkeys >= budget)
				break;
			sdb_buf_reset(&cur);
			sdb_buf_add(&cur, k + base0, m);
			if (!sdb_buf_ok(&cur)) {
				rc = oom(e);
				goto out;
			}
			me.p = (const unsigned char *)cur.data;
			me.n = cur.len;
			if ((rc = start(ctx, me, e)) == 2) {
				rc = 0;
				break;
			}
			if (rc)
				goto out;
			done = 0;
			if (nd.t.vf > r->as_of) {
				/* enter the versions at desc(as_of) */
				sdb_buf_reset(&g->hi);
				sdb_buf_add(&g->hi, k, base0 + m);
				live_key(&g->k, &g->hi, r->as_of);
				if ((rc = it_seek(g, &g->k, e)))
					goto out;
				continue;
			}
		}
		keys++;
		if (done) {
			/* past the node's versions */
			sdb_buf_reset(&g->k);
			sdb_buf_add(&g->k, k, base0 + m);
			if (!sdb_prefix_succ(&g->k))
				break;
			if ((rc = it_seek(g, &g->k, e)))
				goto out;
			continue;
		}
		if (sdb_gval_parse(v.data, v.len, 1, &nd.t, &cover, &nd.type, &nd.typen,
				   &nd.props, &nd.propsn)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
			goto out;
		}
		if (sdb_gvisible(&nd.t, r)) {
			/* the newest visible version, as sdb_graph_get_node */
			nd.id = me;
			if ((rc = cb(ctx, &nd, e)))
				goto out;
			done = 1;
		} else if (cover && cover <= r->as_of)
			done = 1;
	}
	if (rc > 0)
		rc = 0;
out:
	*nkeys = keys;
	sdb_buf_release(&cur);
	sdb_buf_release(&kp);
	return rc;
}

/* Every version under prefix p (live when desc), to a node or edge cb. */
static int scan_versions(struct sdb_graph *g, const struct sdb_buf *p, int node,
			 int desc, struct rel *rl, sdb_gnode_fn ncb, sdb_gedge_fn ecb,
			 void *ctx, size_t *count, struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	if ((rc = it_seek_in(g, p, p, e)))
		return rc;
	while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
		struct sdb_gtimes t;
		const char *ty = NULL, *pr;
		size_t tyn = 0, prn;
		if (!has_prefix(k, kn, p))
			break;
		if (!sdb_gkey_get_int(k + p->len, kn - p->len, desc, &t.vf) ||
		    sdb_gval_parse(v.data, v.len, node, &t, NULL, &ty, &tyn, &pr, &prn))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed graph value");
		(*count)++;
		if (node) {
			struct sdb_gnode nd = { { (const unsigned char *)rl->a.data, rl->a.len },
						ty, tyn, t, pr, prn };
			rc = ncb(ctx, &nd, e);
		} else {
			struct sdb_gedge ed = { { (const unsigned char *)rl->a.data, rl->a.len },
						{ (const unsigned char *)rl->b.data, rl->b.len },
						{ (const unsigned char *)rl->c.data, rl->c.len },
						t, pr, prn };
			rc = ecb(ctx, &ed, e);
		}
		if (rc)
			return rc;
	}
	return rc < 0 ? rc : 0;
}

int sdb_graph_node_history(struct sdb_graph *g, struct sdb_gstr id,
			   sdb_gnode_fn cb, void *ctx, struct sdb_error *e)
{
	size_t n = 0;
	int rc;

	if ((rc = rel_make_enc(g, &g->r2, id, NULL, NULL, e)) ||
	    (rc = scan_versions(g, &g->r2.old, 1, 0, &g->r2, cb, NULL, ctx, &n, e)) ||
	    (rc = scan_versions(g, &g->r2.live, 1, 1, &g->r2, cb, NULL, ctx, &n, e)))
		return rc;
	return n ? 0 : SDB_ENOTFOUND;
}

int sdb_graph_edge_history(struct sdb_graph *g, struct sdb_gstr from,
			   struct sdb_gstr type, struct sdb_gstr to,
			   sdb_gedge_fn cb, void *ctx, struct sdb_error *e)
{
	size_t n = 0;
	int rc;

	if ((rc = rel_make_enc(g, &g->r2, from, &type, &to, e)) ||
	    (rc = scan_versions(g, &g->r2.old, 0, 0, &g->r2, NULL, cb, ctx, &n, e)) ||
	    (rc = scan_versions(g, &g->r2.live, 0, 1, &g->r2, NULL, cb, ctx, &n, e)))
		return rc;
	return n ? 0 : SDB_ENOTFOUND;
}

int sdb_graph_scan(struct sdb_graph *g, sdb_gnode_fn ncb, sdb_gedge_fn ecb,
		   void *ctx, struct sdb_error *e)
{
	static const char kinds[] = { SDB_GK_NODE_OLD, SDB_GK_NODE, SDB_GK_OUT_OLD, SDB_GK_OUT };
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf kc = SDB_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < sizeof(kinds) && !rc; i++) {
		int node = kinds[i] == SDB_GK_NODE || kinds[i] == SDB_GK_NODE_OLD;
		int live = kinds[i] == SDB_GK_NODE || kinds[i] == SDB_GK_OUT;
		size_t base = g->pre.len + 1;
		sdb_buf_reset(&g->k);
		sdb_buf_add(&g->k, g->pre.data, g->pre.len);
		sdb_buf_addc(&g->k, kinds[i]);
		if ((rc = it_seek_in(g, &g->k, &g->k, e)))
			break;
		while ((rc = sdb_txn_iter_next(g->it, &k, &kn, &v, e)) == 1) {
			size_t a, b = 0, c = 0, at;
			struct sdb_gtimes t;
			const char *ty = NULL, *pr;
			size_t tyn = 0, prn;
			if (kn <= g->pre.len || memcmp(k, g->pre.data, g->pre.len) ||
			    k[g->pre.len] != kinds[i])
				break;
			a = sdb_tuple_skip(k + base, kn - base, 0);
			at = base + a;
			if (a && !node) {
				b = sdb_tuple_skip(k + at, kn - at, 0);
				c = b ? sdb_tuple_skip(k + at + b, kn - at - b, 0) : 0;
				at += b + c;
			}
			if (!a || (!node && !c) || !sdb_gkey_get_int(k + at, kn - at, live, &t.vf) ||
			    sdb_gval_parse(v.data, v.len, node, &t, NULL, &ty, &tyn, &pr, &prn)) {
				rc = sdb_error_set(e, SDB_ECORRUPT, "malformed graph key");
				break;
			}
			sdb_buf_reset(&kc);
			sdb_buf_add(&kc, k, kn);
			if (!sdb_buf_ok(&kc)) {
				rc = oom(e);
				break;
			}
			{
				const unsigned char *q = (const unsigned char *)kc.data + base;
				if (node) {
					struct sdb_gnode nd = { { q, a }, ty, tyn, t, pr, prn };
					rc = ncb(ctx, &nd, e);
				} else {
					struct sdb_gedge ed = { { q, a }, { q + a, b }, { q + a + b, c },
								t, pr, prn };
					rc = ecb(ctx, &ed, e);
				}
			}
			if (rc)
				break;
		}
		if (rc == 1)
			rc = 0;
	}
	sdb_buf_release(&kc);
	return rc;
}
