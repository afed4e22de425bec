/*
 * trav.c - BFS/DFS, fewest-hop paths, every shortest path and Dijkstra
 * (trav.h). Nodes are numbered as they are met (a hash table over their
 * encoded ids); a node's neighbours are read with one scan of its edges
 * (sdb_graph_edges) and sorted by (id, type, newest valid_from), which
 * makes every order deterministic.
 */
#define _GNU_SOURCE
#include "graph/trav.h"

#include "json/json.h"
#include "util/array.h"
#include "util/hash.h"
#include "util/varint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sdb_gres_init(struct sdb_gres *r)
{
	memset(r, 0, sizeof(*r));
}

void sdb_gres_reset(struct sdb_gres *r)
{
	sdb_buf_reset(&r->b);
	r->nnodes = r->nedges = r->npaths = 0;
}

void sdb_gres_release(struct sdb_gres *r)
{
	sdb_buf_release(&r->b);
	free(r->nodes);
	free(r->edges);
	free(r->paths);
	memset(r, 0, sizeof(*r));
}

static int oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* ------------------------------------------------------ JSON values */

void sdb_graph_canon(const char *v, size_t n, struct sdb_buf *out)
{
	struct sdb_json_doc d;

	memset(&d, 0, sizeof(d));
	if (n && !sdb_json_parse(&d, v, n, 0, NULL) && !d.has_dups)
		sdb_json_write(&d, 0, 0, 1, out);
	else
		sdb_json_quote(out, v, n);
	sdb_json_release(&d);
}

int sdb_graph_where(const char *props, size_t propsn, const struct sdb_gwhere *w,
		    size_t nw)
{
	struct sdb_json_doc d;
	struct sdb_buf s = SDB_BUF_INIT, val = SDB_BUF_INIT;
	int ok = 1;

	if (!nw)
		return 1;
	memset(&d, 0, sizeof(d));
	if (!propsn || sdb_json_parse(&d, props, propsn, 0, NULL) ||
	    sdb_json_type(&d, 0) != SDB_J_OBJECT) {
		sdb_json_release(&d);
		return 0;
	}
	for (size_t k = 0; k < nw && ok; k++) {
		size_t hit = 0;
		for (size_t i = 1; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1)) {
			const char *p;
			size_t pn;
			sdb_json_str(&d, i, &p, &pn, &s);
			if (pn == w[k].keyn && !memcmp(p, w[k].key, pn))
				hit = i + 1; /* the last one wins, as JSON.parse */
		}
		if (!hit) {
			ok = 0;
			break;
		}
		sdb_buf_reset(&val);
		sdb_json_write(&d, hit, 0, 1, &val);
		ok = val.len == w[k].valn && !memcmp(val.data, w[k].val, val.len);
	}
	sdb_json_release(&d);
	sdb_buf_release(&s);
	sdb_buf_release(&val);
	return ok;
}

/* The number under key in props: *w (1 when absent). @return 0, or
 * SDB_EINVAL with the message for a non-numeric or negative value. */
static int weight_of(const char *props, size_t propsn, const char *key, size_t keyn,
		     double *w, struct sdb_error *e)
{
	struct sdb_json_doc d;
	struct sdb_buf s = SDB_BUF_INIT;
	size_t hit = 0;
	int rc = 0;

	*w = 1;
	/* cheap test first: most property texts do not name the key at all */
	if (!propsn || !memmem(props, propsn, key, keyn))
		return 0;
	memset(&d, 0, sizeof(d));
	if (sdb_json_parse(&d, props, propsn, 0, NULL) || sdb_json_type(&d, 0) != SDB_J_OBJECT) {
		sdb_json_release(&d);
		return 0;
	}
	for (size_t i = 1; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1)) {
		const char *p;
		size_t pn;
		sdb_json_str(&d, i, &p, &pn, &s);
		if (pn == keyn && !memcmp(p, key, pn))
			hit = i + 1;
	}
	if (hit) {
		if (sdb_json_type(&d, hit) != SDB_J_NUMBER) {
			rc = sdb_error_set(e, SDB_EINVAL, "weight '%.*s' is not a number in %.*s",
					   (int)keyn, key, (int)(propsn > 200 ? 200 : propsn), props);
		} else {
			const char *p;
			size_t pn;
			char tmp[64];
			sdb_json_raw(&d, hit, &p, &pn);
			if (pn >= sizeof(tmp))
				pn = sizeof(tmp) - 1;
			memcpy(tmp, p, pn);
			tmp[pn] = 0;
			*w = strtod(tmp, NULL);
			if (*w < 0 || isnan(*w))
				rc = sdb_error_set(e, SDB_EINVAL, "negative weight '%.*s' %s",
						   (int)keyn, key, tmp);
		}
	}
	sdb_json_release(&d);
	sdb_buf_release(&s);
	return rc;
}

/* -------------------------------------------------------- node table */

struct tnode {
	size_t off, n;      /* encoded id in ids */
	uint64_t h;
	int status;         /* filter: 0 unknown, 1 passes, 2 fails */
	int det;            /* node version read: 0 no, 1 found, 2 none */
	size_t doff, dtyn, dpn; /* its type and props in w->db */
	size_t adjf[2], adjn[2]; /* cached neighbours (q->dir, reversed); adjn SIZE_MAX: not read */
	uint32_t cgen[2];   /* lean walk: query whose expansion left its candidates */
	size_t cfirst[2];   /* at w->c[cfirst] */
	int rad;            /* its version was read ahead and not used yet */
};

/* A node's per-query fields (w->nq, beside w->n: a plain BFS, which keeps
 * its state in w->mark, never has them: its nodes cost 120 bytes, not 200) */
struct tq {
	long depth;         /* -1: not reached */
	uint32_t gen;       /* the query the fields belong to */
	int side;           /* bidirectional: 1 forward, 2 backward */
	long parent;        /* edge index in the walk's edge list, -1 */
	double dist;
	int settled;
	uint32_t px;        /* Dijkstra: parent node and its candidate */
	size_t pc;
	uint32_t pxb;       /* bidirectional Dijkstra: the backward side's */
	size_t pcb;
	double distb;
	int hasb, settledb;
};

struct cand {
	uint64_t k8;   /* the other end's first 8 bytes, big-endian, 0-padded */
	uint64_t h;    /* the other end's id hash (sdb_hash_short) */
	size_t other;  /* in cb: the other end's id, then the type, then the props */
	struct sdb_gtimes t;
	double w;
	uint32_t idx;
	uint32_t othern, typen, propsn; /* (ids and types are keys, props a value) */
	uint8_t in;    /* 1: the edge points at the expanded node */
	uint8_t wdone; /* weight read (Dijkstra) */
};
/* Where candidate c's type and props are in cb (88 bytes a candidate: a
 * traverse batch holds millions). */
#define C_TYPE(c) ((c)->other + (c)->othern)
#define C_PROPS(c) (C_TYPE(c) + (c)->typen)

struct sdb_gwalk {
	struct sdb_graph *g;
	const struct sdb_gquery *q;
	struct sdb_buf ids;
	struct tnode *n;
	size_t nn, capn;
	struct tq *nq;     /* nqon: every node's (nq_on), else NULL */
	size_t capnq;
	int nqon;
	struct tslot { uint32_t i, h; } *slot; /* i UINT32_MAX: empty; h: hash bits */
	size_t nslot;
	int keep_props; /* edge props kept in candidates (not for traverse --ids-only) */
	/* candidates of the expansions in progress (a stack: DFS) */
	struct cand *c;
	size_t nc, capc;
	uint32_t *perm;    /* sort_cands' scratch */
	struct lvk *ord;   /* ids_order's */
	size_t capord;
	size_t capperm;
	struct cand *ct;
	size_t capct;
	uint32_t *ci;      /* c[i].idx, packed: what the walks' inner loops read */
	size_t nci, capci; /* (nci == nc, unless !keep_cands) */
	int keep_cands;    /* the candidates are kept (not for traverse --ids-only:
			    * the expansions keep their ci only) */
	int ids_walk;      /* traverse --ids-only: the neighbours' numbers are all
			    * its walks read (sorted by id alone, each once) */
	int lean;          /* sdb_gwalk_lean: fewest-hop paths only, no candidate
			    * kept (a path's edges are read again: edge_again) */
	struct sdb_buf me; /* the id of the node being expanded */
	uint64_t *ido;     /* node i's id in ids: offset << 24 | length */
	size_t capido;
	uint32_t *mark;    /* plain BFS: mark[i] == gen when node i is reached */
	size_t capmark;
	/* node i's neighbours in q->dir, packed (n UINT32_MAX: not read; ADJ_BIG:
	 * read, see n[i].adjn; past capadj: not read):
	 * what a batch's walks read of a node, without its record */
	struct tadj { uint32_t first, n; } *adj;
	size_t capadj;
	struct sdb_gqent { uint32_t x; long d; } *bq; /* plain BFS's queue */
	uint64_t *hs;      /* an expansion's neighbours' id hashes */
	size_t caphs;
	/* fewest-hop paths: node i's side, depth and parent (node, candidate)
	 * in query gen (a packed array that the meeting checks and the path's
	 * rebuilding read instead of the node records) */
	struct bnode { uint32_t gen, side, depth, px; size_t pc; } *bn;
	size_t capbn;
	size_t capbq;
	struct sdb_buf cb; /* their bytes */
	struct sdb_buf tmp;
	/* walked edges: (cand bytes copied) */
	struct sdb_gres_edge *ed;
	size_t ned, caped;
	struct sdb_buf eb;
	uint32_t expanding;
	uint32_t gen;
	struct sdb_buf db; /* node types and props read */
	/* readahead of node versions (sdb_graph_nodes_run): its budget grows
	 * with what was used of earlier runs */
	int ra_on;
	size_t ra_used;
};

#define ADJ_BIG (UINT32_MAX - 1)
#define RA_MIN 64    /* keys a run reads past its node at first */
#define RA_MAX 4096  /* at most */

static void walk_release(struct sdb_gwalk *w)
{
	sdb_buf_release(&w->ids);
	free(w->n);
	free(w->nq);
	free(w->slot);
	free(w->c);
	free(w->ci);
	free(w->perm);
	free(w->ord);
	free(w->ct);
	free(w->mark);
	free(w->adj);
	free(w->bq);
	free(w->hs);
	free(w->bn);
	free(w->ido);
	sdb_buf_release(&w->me);
	sdb_buf_release(&w->cb);
	sdb_buf_release(&w->tmp);
	free(w->ed);
	sdb_buf_release(&w->eb);
	sdb_buf_release(&w->db);
}

static int tab_grow(struct sdb_gwalk *w)
{
	size_t ns = w->nslot ? w->nslot * 2 : 1024;
	struct tslot *s = malloc(ns * sizeof(*s));

	if (!s)
		return SDB_ENOMEM;
	memset(s, 0xff, ns * sizeof(*s));
	for (size_t i = 0; i < w->nn; i++) {
		size_t j = w->n[i].h & (ns - 1);
		while (s[j].i != UINT32_MAX)
			j = (j + 1) & (ns - 1);
		s[j].i = (uint32_t)i;
		s[j].h = (uint32_t)(w->n[i].h >> 32);
	}
	free(w->slot);
	w->slot = s;
	w->nslot = ns;
	return 0;
}

/* Node i's per-query fields, reset when they belong to an earlier query
 * of the batch (its cached neighbours and filter result stay). */
static inline void touch(struct sdb_gwalk *w, uint32_t i)
{
	struct tq *t;

	if (!w->nqon)
		return;
	t = &w->nq[i];
	if (t->gen == w->gen)
		return;
	t->gen = w->gen;
	t->depth = -1;
	t->parent = -1;
	t->side = 0;
	t->dist = 0;
	t->settled = 0;
	t->hasb = t->settledb = 0;
}

/* Turns the per-query fields on (a walk other than a plain BFS): w->nq
 * covers every node from now on, the new ones of an earlier query (gen 0). @return 0
 * or SDB_ENOMEM. */
static int nq_on(struct sdb_gwalk *w)
{
	size_t old = w->capnq;

	if (w->nqon && w->capnq >= w->nn)
		return 0;
	if (sdb_grow((void **)&w->nq, &w->capnq, w->nn ? w->nn : 1, sizeof(*w->nq), 256))
		return SDB_ENOMEM;
	memset(w->nq + old, 0, (w->capnq - old) * sizeof(*w->nq));
	w->nqon = 1;
	return 0;
}

/* node_of, which touches the node it finds only when touch_it (a plain
 * BFS keeps its per-query state in w->mark). */
#define IDO(off, n) ((uint64_t)(off) << 24 | (uint64_t)(n))
#define IDO_OFF(x) ((size_t)((x) >> 24))
#define IDO_N(x) ((size_t)((x) & 0xffffff))

static int node_of_h(struct sdb_gwalk *w, const void *p, size_t n, uint64_t h, uint32_t *idx,
		     int *fresh, int touch_it)
{
	uint32_t hh = (uint32_t)(h >> 32);
	size_t j;

	if ((w->nn + 1) * 2 > w->nslot && tab_grow(w))
		return SDB_ENOMEM;
	/* the slot's hash bits, then the packed id reference: a lookup
	 * reads no node record */
	for (j = h & (w->nslot - 1); w->slot[j].i != UINT32_MAX; j = (j + 1) & (w->nslot - 1)) {
		uint64_t r;
		if (w->slot[j].h != hh)
			continue;
		r = w->ido[w->slot[j].i];
		if (IDO_N(r) == n && !memcmp(w->ids.data + IDO_OFF(r), p, n)) {
			*idx = w->slot[j].i;
			*fresh = 0;
			if (touch_it)
				touch(w, *idx);
			return 0;
		}
	}
	if (n > 0xffffff || w->ids.len > ((uint64_t)1 << 40) ||
	    sdb_grow((void **)&w->n, &w->capn, w->nn + 1, sizeof(*w->n), 256) ||
	    sdb_grow((void **)&w->ido, &w->capido, w->nn + 1, sizeof(*w->ido), 256) ||
	    (w->nqon && sdb_grow((void **)&w->nq, &w->capnq, w->nn + 1, sizeof(*w->nq), 256)))
		return SDB_ENOMEM;
	memset(&w->n[w->nn], 0, sizeof(w->n[w->nn]));
	w->n[w->nn].off = w->ids.len;
	w->n[w->nn].n = n;
	w->n[w->nn].h = h;
	if (w->nqon) {
		memset(&w->nq[w->nn], 0, sizeof(w->nq[w->nn]));
		w->nq[w->nn].depth = -1;
		w->nq[w->nn].gen = w->gen;
		w->nq[w->nn].parent = -1;
	}
	w->n[w->nn].adjn[0] = w->n[w->nn].adjn[1] = SIZE_MAX;
	w->ido[w->nn] = IDO(w->ids.len, n);
	sdb_buf_add(&w->ids, p, n);
	if (!sdb_buf_ok(&w->ids))
		return SDB_ENOMEM;
	w->slot[j].i = (uint32_t)w->nn;
	w->slot[j].h = hh;
	*idx = (uint32_t)w->nn++;
	*fresh = 1;
	return 0;
}

static int node_of_t(struct sdb_gwalk *w, const void *p, size_t n, uint32_t *idx, int *fresh,
		     int touch_it)
{
	return node_of_h(w, p, n, sdb_hash_short(p, n), idx, fresh, touch_it);
}

/* The index of node p[0..n), added when new (*fresh). @return 0 or
 * SDB_ENOMEM. */
static int node_of(struct sdb_gwalk *w, const void *p, size_t n, uint32_t *idx, int *fresh)
{
	return node_of_t(w, p, n, idx, fresh, 1);
}

static struct sdb_gstr node_str(const struct sdb_gwalk *w, uint32_t i)
{
	struct sdb_gstr s = { (const unsigned char *)w->ids.data + w->n[i].off, w->n[i].n };
	return s;
}

/* A run of node versions enters node me (node_det). */
static int run_start(void *ctx, struct sdb_gstr me, struct sdb_error *e)
{
	struct sdb_gwalk *w = ctx;
	uint32_t y;
	int fresh;

	if (node_of(w, me.p, me.n, &y, &fresh))
		return oom(e);
	if (w->n[y].det)
		return 2;
	w->n[y].det = 2; /* none, unless run_node comes */
	w->n[y].rad = 1;
	return 0;
}

/* A run's node version, kept as node_det keeps it. */
static int run_node(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e)
{
	struct sdb_gwalk *w = ctx;
	uint32_t y;
	int fresh;

	if (node_of(w, nd->id.p, nd->id.n, &y, &fresh))
		return oom(e);
	w->n[y].det = 1;
	w->n[y].doff = w->db.len;
	w->n[y].dtyn = nd->typen;
	w->n[y].dpn = nd->propsn;
	sdb_buf_add(&w->db, nd->type, nd->typen);
	sdb_buf_add(&w->db, nd->props, nd->propsn);
	return sdb_buf_ok(&w->db) ? 0 : oom(e);
}

/* Node i's visible version (type, props), read once per walk.
 * @return 1 found, 0 none, or an error. */
static int node_det(struct sdb_gwalk *w, uint32_t i, struct sdb_gnode *nd, struct sdb_error *e)
{
	struct tnode *t = &w->n[i];

	if (t->rad) {
		t->rad = 0;
		w->ra_used++;
	}
	if (!t->det && w->ra_on && !w->q->r.has_known) {
		/* one seek for this node and the ones after it */
		size_t nk;
		int rc = sdb_graph_nodes_run(w->g, node_str(w, i), &w->q->r,
					     RA_MIN + (w->ra_used < RA_MAX ? w->ra_used : RA_MAX),
					     run_start, run_node, w, &nk, e);
		if (rc)
			return rc;
		t = &w->n[i];
		t->rad = 0;
	}
	if (!t->det) {
		struct sdb_gnode x;
		int rc = sdb_graph_get_node(w->g, node_str(w, i), &w->q->r, &x, e);
		if (rc && rc != SDB_ENOTFOUND)
			return rc;
		t = &w->n[i];
		t->det = rc ? 2 : 1;
		if (!rc) {
			t->doff = w->db.len;
			t->dtyn = x.typen;
			t->dpn = x.propsn;
			sdb_buf_add(&w->db, x.type, x.typen);
			sdb_buf_add(&w->db, x.props, x.propsn);
			if (!sdb_buf_ok(&w->db))
				return oom(e);
		}
	}
	if (t->det == 2)
		return 0;
	nd->id = node_str(w, i);
	nd->type = w->db.data + t->doff;
	nd->typen = t->dtyn;
	nd->props = w->db.data + t->doff + t->dtyn;
	nd->propsn = t->dpn;
	return 1;
}

int sdb_gwalk_node(struct sdb_gwalk *w, struct sdb_gstr id, struct sdb_gnode *nd,
		   struct sdb_error *e)
{
	uint32_t i;
	int fresh, rc;

	if (node_of(w, id.p, id.n, &i, &fresh))
		return oom(e);
	rc = node_det(w, i, nd, e);
	return rc < 0 ? rc : rc ? 0 : SDB_ENOTFOUND;
}

int sdb_gwalk_has_edges(const struct sdb_gwalk *w, struct sdb_gstr id)
{
	uint64_t h;
	uint32_t hh;

	if (!w->nslot)
		return 0;
	h = sdb_hash_short((const char *)id.p, id.n);
	hh = (uint32_t)(h >> 32);
	for (size_t j = h & (w->nslot - 1); w->slot[j].i != UINT32_MAX; j = (j + 1) & (w->nslot - 1)) {
		uint32_t i = w->slot[j].i;
		uint64_t r = w->ido[i];
		if (w->slot[j].h == hh && IDO_N(r) == id.n &&
		    !memcmp(w->ids.data + IDO_OFF(r), id.p, id.n)) {
			const struct tnode *t = &w->n[i];
			return (t->adjn[0] != SIZE_MAX && t->adjn[0]) ||
			       (t->adjn[1] != SIZE_MAX && t->adjn[1]);
		}
	}
	return 0;
}

int sdb_gwalk_node_at(struct sdb_gwalk *w, uint32_t i, struct sdb_gnode *nd,
		      struct sdb_error *e)
{
	int rc = i < w->nn ? node_det(w, i, nd, e) : 0;

	return rc < 0 ? rc : rc ? 0 : SDB_ENOTFOUND;
}

/* Whether node i passes the node-type and where filters. */
static int passes(struct sdb_gwalk *w, uint32_t i, struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	struct sdb_gnode nd;
	int rc, ok = 1;

	if (!q->nntypes && !q->nwhere)
		return 1;
	if (w->n[i].status)
		return w->n[i].status == 1;
	rc = node_det(w, i, &nd, e);
	if (rc < 0)
		return rc;
	if (!rc)
		ok = 0;
	if (ok && q->nntypes) {
		ok = 0;
		sdb_buf_reset(&w->tmp);
		sdb_graph_enc(&w->tmp, nd.type, nd.typen);
		for (size_t k = 0; k < q->nntypes && !ok; k++)
			ok = q->ntypes[k].n == w->tmp.len && !memcmp(q->ntypes[k].p, w->tmp.data, w->tmp.len);
	}
	if (ok && q->nwhere)
		ok = sdb_graph_where(nd.props, nd.propsn, q->where, q->nwhere);
	w->n[i].status = ok ? 1 : 2;
	return ok;
}

static int cand_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	struct sdb_gwalk *w = ctx;
	struct cand *c;
	/* an edge not leaving the expanded node enters it (a self-loop
	 * comes once, as leaving) */
	int in = ed->from.p != (const unsigned char *)w->me.data &&
		 !(ed->from.n == w->me.len && !memcmp(ed->from.p, w->me.data, ed->from.n));
	const struct sdb_gstr *o = in ? &ed->from : &ed->to;
	uint64_t k8 = sdb_be64_prefix(o->p, o->n);

	if (sdb_grow((void **)&w->c, &w->capc, w->nc + 1, sizeof(*w->c), 64))
		return oom(e);
	c = &w->c[w->nc++];
	c->k8 = k8;
	/* its id table slot asked for now: the scan and the sort of the
	 * other candidates overlap the miss (node_of_h reads it) */
	c->h = sdb_hash_short((const char *)o->p, o->n);
	if (w->nslot)
		__builtin_prefetch(&w->slot[c->h & (w->nslot - 1)]);
	c->wdone = 0;
	c->in = in;
	c->t = ed->t;
	c->other = w->cb.len;
	c->othern = (uint32_t)o->n;
	sdb_buf_add(&w->cb, o->p, o->n);
	c->typen = w->ids_walk ? 0 : (uint32_t)ed->type.n;
	sdb_buf_add(&w->cb, ed->type.p, c->typen);
	c->propsn = w->keep_props ? (uint32_t)ed->propsn : 0;
	sdb_buf_add(&w->cb, ed->props, c->propsn);
	return sdb_buf_ok(&w->cb) ? 0 : oom(e);
}

/* The order of the other ends alone (ids_walk: a walk that reads the
 * neighbours' numbers only, so parallel edges' order does not matter). */
static inline int cand_id_cmp(const char *base, const struct cand *a, const struct cand *b)
{
	size_t m;
	int c;

	if (a->k8 != b->k8)
		return a->k8 < b->k8 ? -1 : 1;
	m = a->othern < b->othern ? a->othern : b->othern;
	c = memcmp(base + a->other, base + b->other, m);
	return c ? c : a->othern < b->othern ? -1 : a->othern > b->othern;
}

/* The order of a node's neighbours (trav.h): other end, type, newest
 * valid_from, outgoing first, earliest recorded. */
static inline int cand_cmp(const char *base, const struct cand *a, const struct cand *b)
{
	size_t m;
	int c = cand_id_cmp(base, a, b);

	if (c)
		return c;
	m = a->typen < b->typen ? a->typen : b->typen;
	c = memcmp(base + C_TYPE(a), base + C_TYPE(b), m);
	if (c || a->typen != b->typen)
		return c ? c : a->typen < b->typen ? -1 : 1;
	if (a->t.vf != b->t.vf)
		return a->t.vf > b->t.vf ? -1 : 1;
	if (a->in != b->in)
		return a->in - b->in;
	return a->t.ra < b->t.ra ? -1 : a->t.ra > b->t.ra;
}

/*
 * Sorts the candidates w->c[c0, c0 + m) by cand_cmp, stably. They come
 * from the store in key order: sorted runs (one per edge type and
 * direction), so a natural merge sort of their numbers does few passes,
 * and an already sorted list (one type) costs one comparison a
 * candidate. @return 0 or SDB_ENOMEM.
 */
static int sort_cands(struct sdb_gwalk *w, size_t c0, size_t m)
{
	const char *base = w->cb.data;
	struct cand *c = w->c + c0;
	uint32_t *a, *b;
	size_t i;

	for (i = 1; i < m && cand_cmp(base, &c[i - 1], &c[i]) <= 0; i++)
		;
	if (i >= m)
		return 0;
	if (m < 12) { /* insertion sort */
		for (i = 1; i < m; i++) {
			struct cand x = c[i];
			size_t j = i;
			for (; j > 0 && cand_cmp(base, &c[j - 1], &x) > 0; j--)
				c[j] = c[j - 1];
			c[j] = x;
		}
		return 0;
	}
	if (m > UINT32_MAX ||
	    sdb_grow((void **)&w->perm, &w->capperm, 2 * m, sizeof(*w->perm), 256) ||
	    sdb_grow((void **)&w->ct, &w->capct, m, sizeof(*w->ct), 64))
		return SDB_ENOMEM;
	a = w->perm;
	b = w->perm + m;
	for (i = 0; i < m; i++)
		a[i] = (uint32_t)i;
	for (;;) {
		/* one pass: each two neighbouring runs of a merged into b */
		size_t runs = 0, o = 0;
		i = 0;
		while (i < m) {
			size_t s1 = i, e1 = i + 1, e2;
			while (e1 < m && cand_cmp(base, &c[a[e1 - 1]], &c[a[e1]]) <= 0)
				e1++;
			e2 = e1;
			if (e1 < m)
				for (e2 = e1 + 1; e2 < m && cand_cmp(base, &c[a[e2 - 1]], &c[a[e2]]) <= 0; e2++)
					;
			runs++;
			size_t x = s1, y = e1;
			while (x < e1 && y < e2)
				b[o++] = cand_cmp(base, &c[a[y]], &c[a[x]]) < 0 ? a[y++] : a[x++];
			while (x < e1)
				b[o++] = a[x++];
			while (y < e2)
				b[o++] = a[y++];
			i = e2;
		}
		uint32_t *t = a;
		a = b;
		b = t;
		if (runs == 1)
			break;
	}
	for (i = 0; i < m; i++)
		w->ct[i] = c[a[i]];
	memcpy(c, w->ct, m * sizeof(*c));
	return 0;
}

/* A level's node and its id's first 8 bytes (big-endian, zero-padded:
 * the ids' order where they differ there), sorted by level_sort: the sort
 * reads a packed array, not each node's id bytes. */
struct lvk {
	uint64_t k;
	uint32_t i;
};

/* Sorts a[0, n) by k, stably (b: scratch of n): an LSD radix sort by
 * bytes that skips a byte every key shares. @return a or b, the one that
 * holds the sorted keys. */
static struct lvk *lvk_radix(struct lvk *a, struct lvk *b, size_t n)
{
	size_t cnt[8][256]; /* (16 KiB: per byte, the keys with each value) */

	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 8; d++)
			cnt[d][(a[i].k >> (8 * d)) & 0xff]++;
	for (int d = 0; d < 8; d++) {
		size_t sum = 0;
		struct lvk *t;
		if (cnt[d][(a[0].k >> (8 * d)) & 0xff] == n)
			continue; /* one value at this byte: the pass keeps the order */
		for (int v = 0; v < 256; v++) {
			size_t c = cnt[d][v];
			cnt[d][v] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[d][(a[i].k >> (8 * d)) & 0xff]++] = a[i];
		t = a, a = b, b = t;
	}
	return a;
}

/*
 * An ids walk's order of the candidates w->c[c0, c0 + m) by cand_id_cmp,
 * as (first 8 bytes, index) pairs: 16-byte keys sorted, not the 88-byte
 * candidates moved. NULL: already in that order (*err 0) or out of
 * memory (*err 1).
 */
static const struct lvk *ids_order(struct sdb_gwalk *w, size_t c0, size_t m, int *err)
{
	const char *base = w->cb.data;
	const struct cand *c = w->c + c0;
	struct lvk *a;
	size_t i;

	*err = 0;
	for (i = 1; i < m && cand_id_cmp(base, &c[i - 1], &c[i]) <= 0; i++)
		;
	if (i >= m)
		return NULL;
	if (m > UINT32_MAX || sdb_grow((void **)&w->ord, &w->capord, 2 * m, sizeof(*w->ord), 256)) {
		*err = 1;
		return NULL;
	}
	a = w->ord;
	for (i = 0; i < m; i++)
		a[i] = (struct lvk){ c[i].k8, (uint32_t)i };
	if (m > 128)
		a = lvk_radix(a, w->ord + m, m);
	/* by k8 now (big lists) or not yet: an insertion sort finishes it,
	 * whole ids compared where the first 8 bytes tie */
	for (i = 1; i < m; i++) {
		struct lvk x = a[i];
		size_t j = i;
		for (; j > 0 && (a[j - 1].k > x.k ||
				 (a[j - 1].k == x.k && cand_id_cmp(base, &c[a[j - 1].i], &c[x.i]) > 0));
		     j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
	return a;
}

/*
 * The id hashes of candidates [a, b) into w->hs[0, b - a), and prefetches
 * what node_of reads for them: their slots, then
 * the nodes those slots name, then the nodes' id bytes. A big expansion
 * meets most of its neighbours in memory that is not in any cache; asking
 * for all of them at once overlaps the misses that one lookup after
 * another would wait out in turn. Only hints: node_of does the work.
 */
static void prefetch_nodes(struct sdb_gwalk *w, size_t a, size_t b)
{
	enum { BATCH = 64 };
	uint32_t hit[BATCH];

	for (size_t i = a; i < b; i++)
		w->hs[i - a] = w->c[i].h;
	if (!w->nslot)
		return;
	for (size_t base = a; base < b; base += BATCH) {
		size_t n = b - base < BATCH ? b - base : BATCH, mask = w->nslot - 1;
		const uint64_t *h = w->hs + (base - a);
		for (size_t i = 0; i < n; i++)
			__builtin_prefetch(&w->slot[h[i] & mask]);
		for (size_t i = 0; i < n; i++) {
			uint32_t hh = (uint32_t)(h[i] >> 32);
			size_t j = h[i] & mask;
			hit[i] = UINT32_MAX;
			for (; w->slot[j].i != UINT32_MAX; j = (j + 1) & mask)
				if (w->slot[j].h == hh) {
					hit[i] = w->slot[j].i;
					__builtin_prefetch(&w->ido[hit[i]]);
					break;
				}
		}
		for (size_t i = 0; i < n; i++)
			if (hit[i] != UINT32_MAX)
				__builtin_prefetch(w->ids.data + IDO_OFF(w->ido[hit[i]]));
	}
}

/* Node x's visible edges in direction dir (the query's times and edge
 * types) appended to w->c as candidates, in the store's order. */
static int read_cands(struct sdb_gwalk *w, uint32_t x, int dir, struct sdb_error *e)
{
	struct sdb_gstr me;

	/* x's id, copied: the callbacks add nodes, which may move w->ids */
	sdb_buf_reset(&w->me);
	sdb_buf_add(&w->me, w->ids.data + w->n[x].off, w->n[x].n);
	if (!sdb_buf_ok(&w->me))
		return oom(e);
	me.p = (const unsigned char *)w->me.data;
	me.n = w->me.len;
	return sdb_graph_edges(w->g, me, dir, w->q->etypes, w->q->netypes, &w->q->r, cand_cb, w, e);
}

/*
 * The neighbours of node x in direction dir, sorted, each with its node
 * index: w->ci[*first, *end) (and, when the walk keeps them, the candidates
 * w->c[*first, *end)). Read once per node and direction in a walk
 * (the batch's queries share them).
 */
static int expand_t(struct sdb_gwalk *w, uint32_t x, int dir, int touch_them,
		    size_t *first, size_t *end, struct sdb_error *e)
{
	size_t c0 = w->nc, cb0 = w->cb.len;
	int rc = 0, k = dir == w->q->dir ? 0 : 1;
	const struct lvk *ord = NULL; /* an ids walk's order (NULL: as they are) */

	if (!k && x < w->capadj && w->adj[x].n < ADJ_BIG) {
		*first = w->adj[x].first;
		*end = *first + w->adj[x].n;
		for (size_t i = *first; i < *end && touch_them; i++)
			touch(w, w->ci[i]);
		return 0;
	}
	/* (in q->dir, only ADJ_BIG sends a read node to its record) */
	if ((k || (x < w->capadj && w->adj[x].n == ADJ_BIG)) && w->n[x].adjn[k] != SIZE_MAX) {
		*first = w->n[x].adjf[k];
		*end = *first + w->n[x].adjn[k];
		for (size_t i = *first; i < *end && touch_them; i++)
			touch(w, w->ci[i]);
		return 0;
	}
	*first = w->nci;
	w->expanding = x;
	if ((rc = read_cands(w, x, dir, e)))
		return rc;
	if (w->ids_walk) {
		int err;
		if (w->nc - c0 > 1 && !(ord = ids_order(w, c0, w->nc - c0, &err)) && err)
			return oom(e);
	} else if (w->nc - c0 > 1 && sort_cands(w, c0, w->nc - c0)) {
		return oom(e);
	}
	if (sdb_grow((void **)&w->hs, &w->caphs, w->nc - c0, sizeof(*w->hs), 256))
		return oom(e);
	prefetch_nodes(w, c0, w->nc); /* (and their hashes in w->hs) */
	if (sdb_grow((void **)&w->ci, &w->capci, w->nci + (w->nc - c0), sizeof(*w->ci), 256))
		return oom(e);
	for (size_t o = c0; o < w->nc; o++) {
		size_t i = ord ? c0 + ord[o - c0].i : o;
		int fresh;
		if (node_of_h(w, w->cb.data + w->c[i].other, w->c[i].othern, w->hs[i - c0],
			      &w->c[i].idx, &fresh, touch_them))
			return oom(e);
		/* (an ids walk keeps a node once: its parallel edges are
		 * neighbours in a row, sorted by id) */
		if (w->ids_walk && w->nci > *first && w->ci[w->nci - 1] == w->c[i].idx)
			continue;
		w->ci[w->nci++] = w->c[i].idx;
	}
	*end = w->nci;
	w->n[x].adjf[k] = *first;
	w->n[x].adjn[k] = *end - *first;
	if (!k) {
		size_t old = w->capadj;
		if (x >= old) {
			if (sdb_grow((void **)&w->adj, &w->capadj, w->nn, sizeof(*w->adj), 1024))
				return oom(e);
			memset(w->adj + old, 0xff, (w->capadj - old) * sizeof(*w->adj));
		}
		w->adj[x].first = (uint32_t)*first;
		w->adj[x].n = *end < ADJ_BIG ? (uint32_t)(*end - *first) : ADJ_BIG;
	}
	if (w->lean) {
		/* the candidates stay until the next query (walk_query) */
		w->n[x].cgen[k] = w->gen;
		w->n[x].cfirst[k] = c0;
	} else if (!w->keep_cands) {
		/* ids only: the neighbours' numbers are all a walk reads again */
		w->nc = c0;
		w->cb.len = cb0;
	}
	return 0;
}

static int expand(struct sdb_gwalk *w, uint32_t x, int dir, size_t *first, size_t *end,
		  struct sdb_error *e)
{
	return expand_t(w, x, dir, 1, first, end, e);
}

/* Records candidate c (edge between x and c->idx) as a walked edge.
 * @return its index, or -1 when out of memory. */
static long take_edge(struct sdb_gwalk *w, uint32_t x, const struct cand *c)
{
	struct sdb_gres_edge *ed;
	uint32_t f = c->in ? c->idx : x, t = c->in ? x : c->idx;

	if (sdb_grow((void **)&w->ed, &w->caped, w->ned + 1, sizeof(*w->ed), 64))
		return -1;
	ed = &w->ed[w->ned];
	ed->from = w->n[f].off;
	ed->fromn = w->n[f].n;
	ed->to = w->n[t].off;
	ed->ton = w->n[t].n;
	ed->type = w->eb.len;
	ed->typen = c->typen;
	sdb_buf_add(&w->eb, w->cb.data + C_TYPE(c), c->typen);
	ed->props = w->eb.len;
	ed->propsn = c->propsn;
	sdb_buf_add(&w->eb, w->cb.data + C_PROPS(c), c->propsn);
	ed->t = c->t;
	if (!sdb_buf_ok(&w->eb))
		return -1;
	return (long)w->ned++;
}

/* Result helpers: ids (unless res->ids_in_walk) and edges copied into res. */
static int res_node(struct sdb_gres *res, const struct sdb_gwalk *w, uint32_t i, long depth)
{
	struct sdb_gres_node *n;

	if (sdb_grow((void **)&res->nodes, &res->capn, res->nnodes + 1, sizeof(*res->nodes), 64))
		return SDB_ENOMEM;
	n = &res->nodes[res->nnodes++];
	n->off = res->b.len;
	n->depth = depth;
	n->widx = i;
	if (res->ids_in_walk) {
		n->n = 0;
		return 0;
	}
	n->n = IDO_N(w->ido[i]);
	sdb_buf_add(&res->b, w->ids.data + IDO_OFF(w->ido[i]), n->n);
	return sdb_buf_ok(&res->b) ? 0 : SDB_ENOMEM;
}

struct sdb_gstr sdb_gwalk_id(const struct sdb_gwalk *w, uint32_t widx)
{
	struct sdb_gstr s = { (const unsigned char *)w->ids.data + IDO_OFF(w->ido[widx]),
			      IDO_N(w->ido[widx]) };
	return s;
}

static int res_edge(struct sdb_gres *res, const struct sdb_gwalk *w, long k)
{
	const struct sdb_gres_edge *s = &w->ed[k];
	struct sdb_gres_edge *d;

	if (sdb_grow((void **)&res->edges, &res->cape, res->nedges + 1, sizeof(*res->edges), 64))
		return SDB_ENOMEM;
	d = &res->edges[res->nedges++];
	*d = *s;
	d->from = res->b.len;
	sdb_buf_add(&res->b, w->ids.data + s->from, s->fromn);
	d->to = res->b.len;
	sdb_buf_add(&res->b, w->ids.data + s->to, s->ton);
	d->type = res->b.len;
	sdb_buf_add(&res->b, w->eb.data + s->type, s->typen);
	d->props = res->b.len;
	sdb_buf_add(&res->b, w->eb.data + s->props, s->propsn);
	return sdb_buf_ok(&res->b) ? 0 : SDB_ENOMEM;
}

int sdb_gwalk_new(struct sdb_graph *g, const struct sdb_gquery *q,
		  struct sdb_gwalk **out, struct sdb_error *e)
{
	struct sdb_gwalk *w = calloc(1, sizeof(*w));

	if (!w)
		return oom(e);
	w->g = g;
	w->q = q;
	w->ra_on = 1;
	w->keep_props = !q->ids_only || q->weight;
	w->keep_cands = !q->ids_only;
	w->ids_walk = q->ids_only && !q->weight;
	*out = w;
	return 0;
}

void sdb_gwalk_lean(struct sdb_gwalk *w)
{
	w->lean = 1;
	w->ids_walk = 0;
	w->keep_cands = 0;
	w->keep_props = 1;
}

void sdb_gwalk_readahead(struct sdb_gwalk *w, int on)
{
	w->ra_on = on;
}

void sdb_gwalk_free(struct sdb_gwalk *w)
{
	if (!w)
		return;
	walk_release(w);
	free(w);
}

/* A new query of the batch: fresh per-query node fields and walked edges. */
static void walk_query(struct sdb_gwalk *w)
{
	if (++w->gen == 0) {
		/* wrapped: no mark may equal a later gen */
		if (w->mark)
			memset(w->mark, 0, w->capmark * sizeof(*w->mark));
		if (w->bn)
			memset(w->bn, 0, w->capbn * sizeof(*w->bn));
		if (w->nq)
			memset(w->nq, 0, w->capnq * sizeof(*w->nq));
		for (size_t i = 0; i < w->nn; i++)
			w->n[i].cgen[0] = w->n[i].cgen[1] = 0;
		w->gen = 1;
	}
	w->ned = 0;
	sdb_buf_reset(&w->eb);
	if (w->lean) {
		/* the last query's candidates: their memory is this one's */
		w->nc = 0;
		sdb_buf_reset(&w->cb);
	}
}

/* ------------------------------------------------------- traversals */

/* w->mark covers every node (new ones unmarked). @return 0 or SDB_ENOMEM. */
static int mark_fit(struct sdb_gwalk *w)
{
	size_t old = w->capmark;

	if (w->nn <= old)
		return 0;
	if (sdb_grow((void **)&w->mark, &w->capmark, w->nn, sizeof(*w->mark), 1024))
		return SDB_ENOMEM;
	memset(w->mark + old, 0, (w->capmark - old) * sizeof(*w->mark));
	return 0;
}

/* Sorts the nodes lv[0, ln) by their ids' first 8 bytes (lk: scratch,
 * 2 ln): the order the warm reads a level in, for the store's locality
 * only (what it caches does not depend on it, so ids sharing those bytes
 * stay as they came). @return 0 or SDB_ENOMEM. */
static int level_sort(struct sdb_gwalk *w, uint32_t *lv, size_t ln, struct lvk **lk, size_t *lkc)
{
	struct lvk *a;

	if (ln < 2)
		return 0;
	if (sdb_grow((void **)lk, lkc, 2 * ln, sizeof(**lk), 256))
		return SDB_ENOMEM;
	a = *lk;
	for (size_t i = 0; i < ln; i++) {
		uint64_t r = w->ido[lv[i]];
		a[i].k = sdb_be64_prefix(w->ids.data + IDO_OFF(r), IDO_N(r));
		a[i].i = lv[i];
	}
	a = lvk_radix(a, *lk + ln, ln);
	for (size_t i = 0; i < ln; i++)
		lv[i] = a[i].i;
	return 0;
}

int sdb_gwalk_warm(struct sdb_gwalk *w, const struct sdb_gstr *starts, size_t n,
		   struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	uint32_t *lv = NULL, *nx = NULL;
	struct lvk *lk = NULL;
	size_t ln = 0, lc = 0, nn = 0, nc = 0, lkc = 0;
	int rc = 0, fresh;

	if (q->nntypes || q->nwhere || q->max_depth < 0)
		return 0;
	walk_query(w); /* a gen of its own: mark[i] == gen, node i is in a level */
	for (size_t i = 0; i < n; i++) {
		uint32_t x;
		if (node_of_t(w, starts[i].p, starts[i].n, &x, &fresh, 0) || mark_fit(w) ||
		    sdb_grow((void **)&lv, &lc, ln + 1, sizeof(*lv), 256)) {
			rc = oom(e);
			goto out;
		}
		if (w->mark[x] != w->gen) {
			w->mark[x] = w->gen;
			lv[ln++] = x;
		}
	}
	for (long d = 0; d < q->max_depth && ln; d++) {
		uint32_t *t;
		size_t tc;
		if (level_sort(w, lv, ln, &lk, &lkc)) {
			rc = oom(e);
			goto out;
		}
		nn = 0;
		for (size_t i = 0; i < ln; i++) {
			size_t first, end;
			if ((rc = expand_t(w, lv[i], q->dir, 0, &first, &end, e)))
				goto out;
			if (d + 1 == q->max_depth)
				continue; /* the last level is not expanded */
			if (mark_fit(w) || sdb_grow((void **)&nx, &nc, nn + (end - first), sizeof(*nx), 256)) {
				rc = oom(e);
				goto out;
			}
			for (size_t j = first; j < end; j++)
				if (w->mark[w->ci[j]] != w->gen) {
					w->mark[w->ci[j]] = w->gen;
					nx[nn++] = w->ci[j];
				}
		}
		t = lv, tc = lc;
		lv = nx, lc = nc, ln = nn;
		nx = t, nc = tc;
	}
out:
	free(lv);
	free(nx);
	free(lk);
	return rc;
}

/*
 * BFS without node filters (every neighbour is entered): the same visit
 * order as the general loop, but "reached in this query" is a 4-byte mark
 * per node and the depth rides in the queue, so checking a neighbour
 * reads a packed array that stays in cache instead of the node's record
 * (a batch checks millions of neighbours over the whole graph's nodes).
 */
static int bfs_plain(struct sdb_gwalk *w, uint32_t s, long maxd, struct sdb_gres *res,
		     struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	struct sdb_gqent *queue;
	size_t qn = 0, qh = 0;
	int rc = 0;

	if (mark_fit(w) || sdb_grow((void **)&w->bq, &w->capbq, 1, sizeof(*w->bq), 256))
		return oom(e);
	queue = w->bq;
	w->mark[s] = w->gen;
	queue[qn++] = (struct sdb_gqent){ s, 0 };
	while (qh < qn) {
		struct sdb_gqent cur = queue[qh++];
		size_t first, end;
		if (cur.d >= maxd)
			continue;
		/* the packed neighbour lists of nodes a few places on: their
		 * reads overlap this node's */
		if (qh + 3 < qn && queue[qh + 3].d < maxd && queue[qh + 3].x < w->capadj)
			__builtin_prefetch(&w->adj[queue[qh + 3].x]);
		if ((rc = expand_t(w, cur.x, q->dir, 0, &first, &end, e)))
			break;
		if (mark_fit(w) ||
		    sdb_grow((void **)&w->bq, &w->capbq, qn + (end - first), sizeof(*w->bq), 256)) {
			rc = oom(e);
			break;
		}
		queue = w->bq;
		if (q->ids_only && res->ids_in_walk) {
			/* the nodes' numbers only: room for them all made once */
			struct sdb_gres_node *rn;
			if (sdb_grow((void **)&res->nodes, &res->capn, res->nnodes + (end - first),
				     sizeof(*res->nodes), 64)) {
				rc = oom(e);
				break;
			}
			rn = res->nodes + res->nnodes;
			for (size_t i = first; i < end; i++) {
				uint32_t y = w->ci[i];
				if (i + 8 < end)
					__builtin_prefetch(&w->mark[w->ci[i + 8]]);
				if (w->mark[y] == w->gen)
					continue;
				w->mark[y] = w->gen;
				*rn++ = (struct sdb_gres_node){ res->b.len, 0, cur.d + 1, y };
				queue[qn++] = (struct sdb_gqent){ y, cur.d + 1 };
			}
			res->nnodes = (size_t)(rn - res->nodes);
			continue;
		}
		for (size_t i = first; i < end; i++) {
			uint32_t y = w->ci[i];
			long k;
			if (i + 8 < end)
				__builtin_prefetch(&w->mark[w->ci[i + 8]]);
			if (w->mark[y] == w->gen)
				continue;
			w->mark[y] = w->gen;
			if ((!q->ids_only && ((k = take_edge(w, cur.x, &w->c[i])) < 0 ||
					      res_edge(res, w, k))) ||
			    res_node(res, w, y, cur.d + 1)) {
				rc = oom(e);
				break;
			}
			queue[qn++] = (struct sdb_gqent){ y, cur.d + 1 };
		}
		if (rc)
			break;
	}
	return rc;
}

int sdb_graph_traverse(struct sdb_gwalk *w, struct sdb_gstr start, int dfs,
		       struct sdb_gres *res, struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	uint32_t s;
	int fresh, rc = 0;
	long maxd = q->max_depth < 0 ? __LONG_MAX__ : q->max_depth;

	if (w->lean && !q->ids_only)
		return sdb_error_set(e, SDB_EINVAL, "a lean walk reports no edges walked");
	walk_query(w);
	if (((dfs || q->nntypes || q->nwhere) && nq_on(w)) ||
	    node_of(w, start.p, start.n, &s, &fresh)) {
		rc = oom(e);
		goto out;
	}
	if (w->nqon)
		w->nq[s].depth = 0;
	if ((rc = res_node(res, w, s, 0)))
		goto oomout;
	if (!dfs && !q->nntypes && !q->nwhere) {
		rc = bfs_plain(w, s, maxd, res, e);
	} else if (!dfs) {
		/* res->nodes doubles as the queue: nodes in visiting order */
		uint32_t *queue = NULL;
		size_t qn = 0, qcap = 0, qh = 0;
		if (sdb_grow((void **)&queue, &qcap, 1, sizeof(*queue), 256)) {
			rc = oom(e);
			goto out;
		}
		queue[qn++] = s;
		while (qh < qn) {
			uint32_t x = queue[qh++];
			size_t first, end;
			if (w->nq[x].depth >= maxd)
				continue;
			if ((rc = expand(w, x, q->dir, &first, &end, e)))
				break;
			for (size_t i = first; i < end; i++) {
				uint32_t y = w->ci[i];
				long k;
				if (w->nq[y].depth >= 0 || w->n[y].status == 2)
					continue;
				if ((rc = passes(w, y, e)) < 0)
					break;
				if (!rc)
					continue;
				rc = 0;
				w->nq[y].depth = w->nq[x].depth + 1;
				if ((!q->ids_only && ((k = take_edge(w, x, &w->c[i])) < 0 ||
						      res_edge(res, w, k))) ||
				    res_node(res, w, y, w->nq[y].depth) ||
				    sdb_grow((void **)&queue, &qcap, qn + 1, sizeof(*queue), 256)) {
					rc = oom(e);
					break;
				}
				queue[qn++] = y;
			}
			if (rc)
				break;
		}
		free(queue);
	} else {
		/* an explicit stack of (node, next candidate, end of its candidates) */
		struct frame { uint32_t x; size_t next, end, start, cbmark; } *st = NULL;
		size_t sn = 0, scap = 0, first, end;
		if (sdb_grow((void **)&st, &scap, 1, sizeof(*st), 64)) {
			rc = oom(e);
			goto out;
		}
		if ((rc = expand(w, s, q->dir, &first, &end, e))) {
			free(st);
			goto out;
		}
		st[sn++] = (struct frame){ s, first, end, first, 0 };
		if (maxd == 0)
			sn = 0;
		while (sn) {
			struct frame *f = &st[sn - 1];
			uint32_t y;
			long k;
			if (f->next >= f->end) {
				sn--;
				continue;
			}
			y = w->ci[f->next++];
			if (w->nq[y].depth >= 0 || w->n[y].status == 2)
				continue;
			if ((rc = passes(w, y, e)) < 0)
				break;
			if (!rc)
				continue;
			rc = 0;
			w->nq[y].depth = w->nq[f->x].depth + 1;
			if ((!q->ids_only && ((k = take_edge(w, f->x, &w->c[f->next - 1])) < 0 ||
					      res_edge(res, w, k))) ||
			    res_node(res, w, y, w->nq[y].depth)) {
				rc = oom(e);
				break;
			}
			if (w->nq[y].depth >= maxd)
				continue;
			if ((rc = expand(w, y, q->dir, &first, &end, e)))
				break;
			if (sdb_grow((void **)&st, &scap, sn + 1, sizeof(*st), 64)) {
				rc = oom(e);
				break;
			}
			st[sn] = (struct frame){ y, first, end, first, 0 };
			sn++;
		}
		free(st);
	}
	goto out;
oomout:
	rc = oom(e);
out:
	return rc;
}

/* --------------------------------------------------------------- paths */

static int path_out(struct sdb_gres *res, struct sdb_gwalk *w, const uint32_t *nodes,
		    size_t nn, const long *edges, double weight)
{
	struct sdb_gres_path *p;

	if (sdb_grow((void **)&res->paths, &res->capp, res->npaths + 1, sizeof(*res->paths), 4))
		return SDB_ENOMEM;
	p = &res->paths[res->npaths++];
	p->node0 = res->nnodes;
	p->nnodes = nn;
	p->edge0 = res->nedges;
	p->nedges = nn ? nn - 1 : 0;
	p->weight = weight;
	for (size_t i = 0; i < nn; i++)
		if (res_node(res, w, nodes[i], (long)i))
			return SDB_ENOMEM;
	for (size_t i = 0; i + 1 < nn; i++)
		if (res_edge(res, w, edges[i]))
			return SDB_ENOMEM;
	return 0;
}

/* w->bn covers every node. @return 0 or SDB_ENOMEM. */
static int bn_fit(struct sdb_gwalk *w)
{
	size_t old = w->capbn;

	if (w->nn <= old)
		return 0;
	if (sdb_grow((void **)&w->bn, &w->capbn, w->nn, sizeof(*w->bn), 1024))
		return SDB_ENOMEM;
	memset(w->bn + old, 0, (w->capbn - old) * sizeof(*w->bn));
	return 0;
}

/* Node y's side in this query (0: not reached). */
static inline int side_of(const struct sdb_gwalk *w, uint32_t y)
{
	return w->bn[y].gen == w->gen ? (int)w->bn[y].side : 0;
}

/* y reached on side (1 forward, 2 backward) at depth from px by its
 * candidate pc (an end: px == y). */
static inline void side_set(struct sdb_gwalk *w, uint32_t y, int side, long depth, uint32_t px,
			    size_t pc)
{
	struct bnode *b = &w->bn[y];

	b->gen = w->gen;
	b->side = (uint32_t)side;
	b->depth = (uint32_t)depth;
	b->px = px;
	b->pc = pc;
}

static int rev_dir(int d)
{
	return d == SDB_GDIR_OUT ? SDB_GDIR_IN : d == SDB_GDIR_IN ? SDB_GDIR_OUT : d;
}

/*
 * Makes the edge between x and its neighbour w->ci[j] (of x's expansion
 * in direction dir) a walked edge: its candidate; in a lean walk, which
 * keeps no candidate, x's edges are read again and sorted as its
 * expansion sorted them (the same snapshot and query: the same list, the
 * same rank). @return the edge's index (>= 0), or an error.
 */
static long edge_take(struct sdb_gwalk *w, uint32_t x, int dir, size_t j, struct sdb_error *e)
{
	size_t c0 = w->nc, cb0 = w->cb.len;
	int k = dir == w->q->dir ? 0 : 1;
	long r;

	if (!w->lean || w->n[x].cgen[k] == w->gen) {
		/* (lean: x expanded in this query, its candidates are at hand) */
		r = take_edge(w, x, &w->c[w->lean ? w->n[x].cfirst[k] + (j - w->n[x].adjf[k]) : j]);
		return r < 0 ? oom(e) : r;
	}
	r = read_cands(w, x, dir, e);
	if (!r && w->nc - c0 != w->n[x].adjn[k])
		r = sdb_error_set(e, SDB_ECORRUPT, "the edges of a node changed during a walk");
	if (!r && w->nc - c0 > 1 && sort_cands(w, c0, w->nc - c0))
		r = oom(e);
	if (!r) {
		struct cand *c = &w->c[c0 + (j - w->n[x].adjf[k])];
		c->idx = w->ci[j];
		if ((r = take_edge(w, x, c)) < 0)
			r = oom(e);
	}
	w->nc = c0;
	w->cb.len = cb0;
	return r;
}

/* One step of bidir_emit from *x to its parent, the parent edge (its
 * candidate, path_bidir) made a walked edge and appended to *edges.
 * @return 0 stepped, 1 none (an end: a self-loop is never on a shortest
 * path), or an error. */
static int parent_step(struct sdb_gwalk *w, uint32_t *x, long **edges, size_t *cap,
		       size_t *ne, struct sdb_error *e)
{
	const struct bnode *t = &w->bn[*x];
	uint32_t px = t->px;
	long k;

	if (px == *x)
		return 1;
	if (sdb_grow((void **)edges, cap, *ne + 1, sizeof(**edges), 16))
		return oom(e);
	k = edge_take(w, px, t->side == 1 ? w->q->dir : rev_dir(w->q->dir), t->pc, e);
	if (k < 0)
		return (int)k;
	(*edges)[(*ne)++] = k;
	*x = px;
	return 0;
}

/* Rebuilds the path s .. m .. t from parents (forward side: edges towards
 * s; backward side: towards t). */
static int bidir_emit(struct sdb_gres *res, struct sdb_gwalk *w, uint32_t m, long mid_edge,
		      uint32_t mb, struct sdb_error *e)
{
	uint32_t *nodes = NULL;
	long *edges = NULL;
	size_t nn = 0, cap1 = 0, cap2 = 0, ne = 0;
	uint32_t x = m;
	int rc = 0;

	/* forward half, reversed */
	for (;;) {
		if (sdb_grow((void **)&nodes, &cap1, nn + 1, sizeof(*nodes), 16)) {
			rc = oom(e);
			goto out;
		}
		nodes[nn++] = x;
		if ((rc = parent_step(w, &x, &edges, &cap2, &ne, e)))
			break;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < nn / 2; i++) {
		uint32_t t = nodes[i];
		nodes[i] = nodes[nn - 1 - i];
		nodes[nn - 1 - i] = t;
	}
	for (size_t i = 0; i < ne / 2; i++) {
		long t = edges[i];
		edges[i] = edges[ne - 1 - i];
		edges[ne - 1 - i] = t;
	}
	if (mid_edge >= 0) {
		x = mb;
		if (sdb_grow((void **)&edges, &cap2, ne + 1, sizeof(*edges), 16)) {
			rc = oom(e);
			goto out;
		}
		edges[ne++] = mid_edge;
		for (;;) {
			if (sdb_grow((void **)&nodes, &cap1, nn + 1, sizeof(*nodes), 16)) {
				rc = oom(e);
				goto out;
			}
			nodes[nn++] = x;
			if ((rc = parent_step(w, &x, &edges, &cap2, &ne, e)))
				break;
		}
		if (rc < 0)
			goto out;
		rc = 0;
	}
	rc = path_out(res, w, nodes, nn, edges, (double)(nn - 1)) ? oom(e) : 0;
out:
	free(nodes);
	free(edges);
	return rc;
}

/* Fewest hops: BFS from both ends, a whole level of the smaller frontier
 * at a time, up to the first meeting (in frontier and neighbour order) of
 * the first level that meets. */
static int path_bidir(struct sdb_gwalk *w, uint32_t s, uint32_t t, struct sdb_gres *res,
		      struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	uint32_t *fr[2] = { NULL, NULL }, *nx = NULL;
	size_t fn[2] = { 0, 0 }, fc[2] = { 0, 0 }, nn = 0, nc = 0;
	long depth[2] = { 0, 0 }, maxd = q->max_depth < 0 ? __LONG_MAX__ : q->max_depth;
	int rc = 0;

	if (sdb_grow((void **)&fr[0], &fc[0], 1, sizeof(uint32_t), 64) ||
	    sdb_grow((void **)&fr[1], &fc[1], 1, sizeof(uint32_t), 64)) {
		rc = oom(e);
		goto out;
	}
	if (bn_fit(w)) {
		rc = oom(e);
		goto out;
	}
	fr[0][fn[0]++] = s;
	fr[1][fn[1]++] = t;
	side_set(w, s, 1, 0, s, 0);
	side_set(w, t, 2, 0, t, 0);
	while (fn[0] && fn[1] && depth[0] + depth[1] < maxd) {
		int side = fn[0] <= fn[1] ? 0 : 1;
		int dir = side ? rev_dir(q->dir) : q->dir;
		long best = -1, best_edge = -1;
		uint32_t bm = 0, bo = 0;
		nn = 0;
		for (size_t i = 0; i < fn[side]; i++) {
			uint32_t x = fr[side][i];
			size_t first, end;
			/* the neighbours untouched: their sides, depths and
			 * parents are in w->bn */
			if ((rc = expand_t(w, x, dir, 0, &first, &end, e)) || (rc = bn_fit(w))) {
				rc = rc == SDB_ENOMEM ? oom(e) : rc;
				goto out;
			}
			for (size_t j = first; j < end; j++) {
				uint32_t y = w->ci[j];
				int sy;
				long k;
				if (j + 8 < end)
					__builtin_prefetch(&w->bn[w->ci[j + 8]]);
				sy = side_of(w, y);
				if (sy == side + 1)
					continue;
				if (sy == 0) {
					if ((q->nntypes || q->nwhere) && w->n[y].status == 2)
						continue;
					if (y != s && y != t && (q->nntypes || q->nwhere)) {
						if ((rc = passes(w, y, e)) < 0)
							goto out;
						if (!rc)
							continue;
						rc = 0;
					}
					if (sdb_grow((void **)&nx, &nc, nn + 1, sizeof(*nx), 64)) {
						rc = oom(e);
						goto out;
					}
					/* the parent edge is its candidate, made an
					 * edge only when on the path (bidir_emit) */
					side_set(w, y, side + 1, depth[side] + 1, x, j);
					nx[nn++] = y;
					continue;
				}
				/* met the other side. Every meeting of a level is
				 * as long (depth[0] + 1 + depth[1]: a node of the
				 * other side short of its frontier was expanded,
				 * and had it an edge to x, the sides would have met
				 * then), so the first one is the path: the rest of
				 * the level need not be read */
				if ((k = edge_take(w, x, dir, j, e)) < 0) {
					rc = (int)k;
					goto out;
				}
				best = (long)w->bn[x].depth + 1 + (long)w->bn[y].depth;
				best_edge = k;
				bm = x;
				bo = y;
				goto met;
			}
		}
met:
		if (best >= 0 && best <= maxd) {
			if (side == 0)
				rc = bidir_emit(res, w, bm, best_edge, bo, e);
			else
				rc = bidir_emit(res, w, bo, best_edge, bm, e);
			goto out;
		}
		if (best >= 0)
			break;
		depth[side]++;
		{
			uint32_t *tmp = fr[side];
			size_t tc = fc[side];
			fr[side] = nx;
			fc[side] = nc;
			fn[side] = nn;
			nx = tmp;
			nc = tc;
		}
	}
	rc = SDB_ENOTFOUND;
out:
	free(fr[0]);
	free(fr[1]);
	free(nx);
	return rc;
}

/* Every shortest path: BFS levels from s keeping every parent edge on a
 * shortest path, then the paths from t back, sorted by their ids. */
struct pl { long *v; size_t n, cap; };

static int all_paths(struct sdb_gwalk *w, uint32_t s, uint32_t t, struct sdb_gres *res,
		     struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	long maxd = q->max_depth < 0 ? __LONG_MAX__ : q->max_depth;
	uint32_t *lv = NULL, *nx = NULL;
	size_t ln = 0, lc = 0, nn = 0, nc = 0;
	struct pl *par = NULL; /* parent edges per node index */
	size_t parc = 0;
	int rc = 0, found = 0;
	long d = 0;

	if (sdb_grow((void **)&lv, &lc, 1, sizeof(*lv), 64)) {
		rc = oom(e);
		goto out;
	}
	lv[ln++] = s;
	w->nq[s].depth = 0;
	if (s == t)
		found = 1;
	while (!found && ln && d < maxd) {
		nn = 0;
		for (size_t i = 0; i < ln; i++) {
			uint32_t x = lv[i];
			size_t first, end;
			if ((rc = expand(w, x, q->dir, &first, &end, e)))
				goto out;
			for (size_t j = first; j < end; j++) {
				uint32_t y = w->c[j].idx;
				long k;
				if (w->nq[y].depth >= 0 && w->nq[y].depth != d + 1)
					continue;
				if (w->n[y].status == 2)
					continue;
				if (w->nq[y].depth < 0) {
					if (y != t) {
						if ((rc = passes(w, y, e)) < 0)
							goto out;
						if (!rc)
							continue;
						rc = 0;
					}
					w->nq[y].depth = d + 1;
					if (sdb_grow((void **)&nx, &nc, nn + 1, sizeof(*nx), 64)) {
						rc = oom(e);
						goto out;
					}
					nx[nn++] = y;
				}
				/* one parent edge per (parent, child): the first */
				if (parc < w->nn) {
					size_t old = parc;
					if (sdb_grow((void **)&par, &parc, w->nn, sizeof(*par), 64)) {
						rc = oom(e);
						goto out;
					}
					memset(par + old, 0, (parc - old) * sizeof(*par));
				}
				{
					int dup = 0;
					for (size_t z = 0; z < par[y].n; z++) {
						const struct sdb_gres_edge *pe = &w->ed[par[y].v[z]];
						size_t po = (pe->from == w->n[y].off && pe->fromn == w->n[y].n) ? pe->to : pe->from;
						if (po == w->n[x].off)
							dup = 1;
					}
					if (dup)
						continue;
				}
				if ((k = take_edge(w, x, &w->c[j])) < 0 ||
				    sdb_grow((void **)&par[y].v, &par[y].cap, par[y].n + 1, sizeof(long), 4)) {
					rc = oom(e);
					goto out;
				}
				par[y].v[par[y].n++] = k;
				if (y == t)
					found = 1;
			}
		}
		{
			uint32_t *tmp = lv;
			size_t tc = lc;
			lv = nx;
			lc = nc;
			ln = nn;
			nx = tmp;
			nc = tc;
		}
		d++;
	}
	if (!found) {
		rc = SDB_ENOTFOUND;
		goto out;
	}
	{
		/* depth-first enumeration from t back to s; node ids sorted
		 * afterwards by rebuilding in order */
		struct st { uint32_t x; size_t i; } *stk = NULL;
		size_t sn = 0, scap = 0;
		uint32_t *nodes = NULL;
		long *edges = NULL;
		size_t ncap = 0, ecap = 0;
		long L = w->nq[t].depth;
		size_t p0 = res->npaths;
		if (sdb_grow((void **)&stk, &scap, (size_t)L + 2, sizeof(*stk), 16) ||
		    sdb_grow((void **)&nodes, &ncap, (size_t)L + 2, sizeof(*nodes), 16) ||
		    sdb_grow((void **)&edges, &ecap, (size_t)L + 2, sizeof(*edges), 16)) {
			free(stk); free(nodes); free(edges);
			rc = oom(e);
			goto out;
		}
		stk[sn++] = (struct st){ t, 0 };
		while (sn) {
			struct st *f = &stk[sn - 1];
			if (f->x == s) {
				/* stack: t .. s; emit reversed */
				for (size_t i = 0; i < sn; i++)
					nodes[i] = stk[sn - 1 - i].x;
				for (size_t i = 0; i + 1 < sn; i++) {
					/* edge from nodes[i] to nodes[i+1]: parent edge of stk[sn-2-i] */
					struct st *c = &stk[sn - 2 - i];
					edges[i] = par[c->x].v[c->i - 1];
				}
				if (path_out(res, w, nodes, sn, edges, (double)(sn - 1))) {
					free(stk); free(nodes); free(edges);
					rc = oom(e);
					goto out;
				}
				sn--;
				continue;
			}
			if (f->x >= parc || f->i >= par[f->x].n) {
				sn--;
				continue;
			}
			{
				const struct sdb_gres_edge *pe = &w->ed[par[f->x].v[f->i++]];
				size_t po = (pe->from == w->n[f->x].off && pe->fromn == w->n[f->x].n) ? pe->to : pe->from;
				size_t pn = po == pe->to ? pe->ton : pe->fromn;
				uint32_t px;
				int fresh;
				if (node_of(w, w->ids.data + po, pn, &px, &fresh)) {
					free(stk); free(nodes); free(edges);
					rc = oom(e);
					goto out;
				}
				stk[sn++] = (struct st){ px, 0 };
			}
		}
		free(stk);
		free(nodes);
		free(edges);
		(void)p0;
	}
out:
	if (par)
		for (size_t i = 0; i < parc; i++)
			free(par[i].v);
	free(par);
	free(lv);
	free(nx);
	return rc;
}

/* Dijkstra: a binary heap of (distance, node id) pairs; the lightest
 * parallel edge wins. */
struct hent { double d; uint32_t x; };

static int hless(const struct sdb_gwalk *w, const struct hent *a, const struct hent *b)
{
	if (a->d != b->d)
		return a->d < b->d;
	{
		const struct tnode *p = &w->n[a->x], *q = &w->n[b->x];
		size_t m = p->n < q->n ? p->n : q->n;
		int c = memcmp(w->ids.data + p->off, w->ids.data + q->off, m);
		return c ? c < 0 : p->n < q->n;
	}
}

static int dijkstra(struct sdb_gwalk *w, uint32_t s, uint32_t t, struct sdb_gres *res,
		    struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	struct hent *h = NULL;
	size_t hn = 0, hc = 0;
	int rc = 0;
	long maxd = q->max_depth < 0 ? __LONG_MAX__ : q->max_depth;

	if (sdb_grow((void **)&h, &hc, 1, sizeof(*h), 64)) {
		rc = oom(e);
		goto out;
	}
	w->nq[s].dist = 0;
	w->nq[s].depth = 0;
	h[hn++] = (struct hent){ 0, s };
	while (hn) {
		struct hent top = h[0];
		size_t first, end, i = 0;
		uint32_t x = top.x;
		h[0] = h[--hn];
		for (;;) { /* sift down */
			size_t l = 2 * i + 1, r = l + 1, m = i;
			if (l < hn && hless(w, &h[l], &h[m])) m = l;
			if (r < hn && hless(w, &h[r], &h[m])) m = r;
			if (m == i) break;
			struct hent tmp = h[i]; h[i] = h[m]; h[m] = tmp;
			i = m;
		}
		if (w->nq[x].settled || top.d > w->nq[x].dist)
			continue;
		w->nq[x].settled = 1;
		if (x == t)
			break;
		if (w->nq[x].depth >= maxd)
			continue;
		if ((rc = expand(w, x, q->dir, &first, &end, e)))
			goto out;
		for (size_t j = first; j < end; j++) {
			uint32_t y = w->c[j].idx;
			double wt, nd;
			if (!w->c[j].wdone) {
				if ((rc = weight_of(w->cb.data + C_PROPS(&w->c[j]), w->c[j].propsn,
						    q->weight, q->weightn, &w->c[j].w, e)))
					goto out;
				w->c[j].wdone = 1;
			}
			wt = w->c[j].w;
			if (w->nq[y].settled || w->n[y].status == 2)
				continue;
			if (y != t) {
				if ((rc = passes(w, y, e)) < 0)
					goto out;
				if (!rc)
					continue;
				rc = 0;
			}
			nd = w->nq[x].dist + wt;
			if (w->nq[y].depth >= 0 && nd >= w->nq[y].dist)
				continue;
			if (sdb_grow((void **)&h, &hc, hn + 1, sizeof(*h), 64)) {
				rc = oom(e);
				goto out;
			}
			w->nq[y].dist = nd;
			w->nq[y].depth = w->nq[x].depth + 1;
			w->nq[y].px = x;
			w->nq[y].pc = j;
			i = hn++;
			h[i] = (struct hent){ nd, y };
			while (i) { /* sift up */
				size_t p = (i - 1) / 2;
				if (!hless(w, &h[i], &h[p])) break;
				struct hent tmp = h[i]; h[i] = h[p]; h[p] = tmp;
				i = p;
			}
		}
	}
	if (!w->nq[t].settled) {
		rc = SDB_ENOTFOUND;
		goto out;
	}
	{
		uint32_t *nodes = NULL;
		long *edges = NULL;
		size_t nn = 0, ne = 0, c1 = 0, c2 = 0;
		uint32_t x = t;
		for (;;) {
			if (sdb_grow((void **)&nodes, &c1, nn + 1, sizeof(*nodes), 16) ||
			    sdb_grow((void **)&edges, &c2, ne + 1, sizeof(*edges), 16)) {
				rc = oom(e);
				break;
			}
			nodes[nn++] = x;
			if (x == s)
				break;
			{
				long k = take_edge(w, w->nq[x].px, &w->c[w->nq[x].pc]);
				if (k < 0) {
					rc = oom(e);
					break;
				}
				edges[ne++] = k;
				x = w->nq[x].px;
			}
		}
		if (!rc) {
			for (size_t i = 0; i < nn / 2; i++) {
				uint32_t tt = nodes[i]; nodes[i] = nodes[nn - 1 - i]; nodes[nn - 1 - i] = tt;
			}
			for (size_t i = 0; i < ne / 2; i++) {
				long tt = edges[i]; edges[i] = edges[ne - 1 - i]; edges[ne - 1 - i] = tt;
			}
			if (path_out(res, w, nodes, nn, edges, w->nq[t].dist))
				rc = oom(e);
		}
		free(nodes);
		free(edges);
	}
out:
	free(h);
	return rc;
}


static int heap_push(struct sdb_gwalk *w, struct hent **h, size_t *hn, size_t *hc,
		     double d, uint32_t y)
{
	size_t i;

	if (sdb_grow((void **)h, hc, *hn + 1, sizeof(**h), 64))
		return SDB_ENOMEM;
	i = (*hn)++;
	(*h)[i] = (struct hent){ d, y };
	while (i) {
		size_t p = (i - 1) / 2;
		if (!hless(w, &(*h)[i], &(*h)[p]))
			break;
		struct hent tmp = (*h)[i]; (*h)[i] = (*h)[p]; (*h)[p] = tmp;
		i = p;
	}
	return 0;
}

static struct hent heap_pop(struct sdb_gwalk *w, struct hent *h, size_t *hn)
{
	struct hent top = h[0];
	size_t i = 0;

	h[0] = h[--*hn];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < *hn && hless(w, &h[l], &h[m])) m = l;
		if (r < *hn && hless(w, &h[r], &h[m])) m = r;
		if (m == i) break;
		struct hent tmp = h[i]; h[i] = h[m]; h[m] = tmp;
		i = m;
	}
	return top;
}

/*
 * Dijkstra from both ends (no hop limit): the sides take turns settling
 * their nearest node; mu is the best s-t distance through a node both
 * sides reached; it is final once the two nearest unsettled distances add
 * up to mu or more.
 */
static int bidijkstra(struct sdb_gwalk *w, uint32_t s, uint32_t t, struct sdb_gres *res,
		      struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	struct hent *h[2] = { NULL, NULL };
	size_t hn[2] = { 0, 0 }, hc[2] = { 0, 0 };
	double mu = INFINITY;
	uint32_t meet = UINT32_MAX;
	int rc = 0, side = 1;

	w->nq[s].dist = 0;
	w->nq[s].depth = 0;
	w->nq[t].distb = 0;
	w->nq[t].hasb = 1;
	if (heap_push(w, &h[0], &hn[0], &hc[0], 0, s) || heap_push(w, &h[1], &hn[1], &hc[1], 0, t)) {
		rc = oom(e);
		goto out;
	}
	while (hn[0] && hn[1]) {
		struct hent top;
		size_t first, end;
		uint32_t x;
		int dir;
		if (h[0][0].d + h[1][0].d >= mu)
			break;
		side = !side;
		top = heap_pop(w, h[side], &hn[side]);
		x = top.x;
		if (side ? (w->nq[x].settledb || top.d > w->nq[x].distb) :
			   (w->nq[x].settled || top.d > w->nq[x].dist))
			continue;
		if (side)
			w->nq[x].settledb = 1;
		else
			w->nq[x].settled = 1;
		dir = side ? rev_dir(q->dir) : q->dir;
		if ((rc = expand(w, x, dir, &first, &end, e)))
			goto out;
		for (size_t j = first; j < end; j++) {
			uint32_t y = w->c[j].idx;
			double nd, dx = side ? w->nq[x].distb : w->nq[x].dist;
			if (!w->c[j].wdone) {
				if ((rc = weight_of(w->cb.data + C_PROPS(&w->c[j]), w->c[j].propsn,
						    q->weight, q->weightn, &w->c[j].w, e)))
					goto out;
				w->c[j].wdone = 1;
			}
			if (w->n[y].status == 2)
				continue;
			if (y != s && y != t) {
				if ((rc = passes(w, y, e)) < 0)
					goto out;
				if (!rc)
					continue;
				rc = 0;
			}
			nd = dx + w->c[j].w;
			if (side) {
				if (w->nq[y].settledb || (w->nq[y].hasb && nd >= w->nq[y].distb))
					goto meet;
				w->nq[y].distb = nd;
				w->nq[y].hasb = 1;
				w->nq[y].pxb = x;
				w->nq[y].pcb = j;
			} else {
				if (w->nq[y].settled || (w->nq[y].depth >= 0 && nd >= w->nq[y].dist))
					goto meet;
				w->nq[y].dist = nd;
				w->nq[y].depth = 0;
				w->nq[y].px = x;
				w->nq[y].pc = j;
			}
			if (heap_push(w, &h[side], &hn[side], &hc[side], nd, y)) {
				rc = oom(e);
				goto out;
			}
meet:
			if (w->nq[y].depth >= 0 && w->nq[y].hasb && w->nq[y].dist + w->nq[y].distb < mu) {
				mu = w->nq[y].dist + w->nq[y].distb;
				meet = y;
			}
		}
	}
	if (meet == UINT32_MAX) {
		rc = SDB_ENOTFOUND;
		goto out;
	}
	{
		uint32_t *nodes = NULL;
		long *edges = NULL;
		size_t nn = 0, ne = 0, c1 = 0, c2 = 0;
		uint32_t x = meet;
		/* s .. meet, reversed afterwards */
		for (;;) {
			if (sdb_grow((void **)&nodes, &c1, nn + 2, sizeof(*nodes), 16) ||
			    sdb_grow((void **)&edges, &c2, ne + 2, sizeof(*edges), 16)) {
				rc = oom(e);
				break;
			}
			nodes[nn++] = x;
			if (x == s)
				break;
			if ((edges[ne++] = take_edge(w, w->nq[x].px, &w->c[w->nq[x].pc])) < 0) {
				rc = oom(e);
				break;
			}
			x = w->nq[x].px;
		}
		if (!rc) {
			for (size_t i = 0; i < nn / 2; i++) {
				uint32_t tt = nodes[i]; nodes[i] = nodes[nn - 1 - i]; nodes[nn - 1 - i] = tt;
			}
			for (size_t i = 0; i < ne / 2; i++) {
				long tt = edges[i]; edges[i] = edges[ne - 1 - i]; edges[ne - 1 - i] = tt;
			}
			/* meet .. t */
			for (x = meet; x != t && !rc;) {
				if (sdb_grow((void **)&nodes, &c1, nn + 2, sizeof(*nodes), 16) ||
				    sdb_grow((void **)&edges, &c2, ne + 2, sizeof(*edges), 16) ||
				    (edges[ne] = take_edge(w, w->nq[x].pxb, &w->c[w->nq[x].pcb])) < 0) {
					rc = oom(e);
					break;
				}
				ne++;
				x = w->nq[x].pxb;
				nodes[nn++] = x;
			}
		}
		if (!rc && path_out(res, w, nodes, nn, edges, mu))
			rc = oom(e);
		free(nodes);
		free(edges);
	}
out:
	free(h[0]);
	free(h[1]);
	return rc;
}

int sdb_graph_path(struct sdb_gwalk *w, struct sdb_gstr from, struct sdb_gstr to,
		   int all, struct sdb_gres *res, struct sdb_error *e)
{
	const struct sdb_gquery *q = w->q;
	uint32_t s, t;
	int fresh, rc;

	if (w->lean && (all || q->weight))
		return sdb_error_set(e, SDB_EINVAL, "a lean walk finds fewest-hop paths only");
	walk_query(w);
	if (nq_on(w) || node_of(w, from.p, from.n, &s, &fresh) || node_of(w, to.p, to.n, &t, &fresh)) {
		rc = oom(e);
		goto out;
	}
	if (s != t && (q->nntypes || q->nwhere)) {
		if ((rc = passes(w, t, e)) < 0)
			goto out;
		if (!rc) {
			rc = SDB_ENOTFOUND;
			goto out;
		}
	}
	if (s == t) {
		rc = path_out(res, w, &s, 1, NULL, 0) ? oom(e) : 0;
		goto out;
	}
	if (q->weight)
		rc = q->max_depth < 0 ? bidijkstra(w, s, t, res, e) : dijkstra(w, s, t, res, e);
	else if (all)
		rc = all_paths(w, s, t, res, e);
	else
		rc = path_bidir(w, s, t, res, e);
out:
	return rc;
}
