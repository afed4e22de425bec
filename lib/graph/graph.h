/*
 * graph.h - a bi-temporal property graph on the store (DESIGN.md
 * "sochdb-graph"; keys.h has the key layout).
 *
 * DESIGN. Nodes and typed directed edges are versions: each carries valid
 * time [valid_from, valid_until) and system time [recorded_at, expired_at)
 * (0 = open). Nothing is overwritten: a correction or a deletion moves the
 * version out of the live keys into the history keys with expired_at set,
 * and records the corrected version beside it. Every edge version is
 * written twice in one transaction, under its source (out) and under its
 * target (in), so both directions cost one prefix scan. All work happens
 * in a caller's store transaction (sdb_txn): graph changes commit together
 * with whatever else the caller wrote.
 *
 * A read sees the versions valid at as_of; with known_at, the versions
 * recorded at or before known_at and not expired by then (the history
 * keys are read too); without it, the live versions (the current belief).
 *
 * Ids and types are byte strings; inside the library they travel encoded
 * as tuple TEXT elements (store/tuple.h), whose byte order is the ids'
 * order: the callbacks hand those encodings out, sdb_graph_text decodes
 * them.
 */
#ifndef SDB_GRAPH_H
#define SDB_GRAPH_H

#include "graph/keys.h"
#include "store/txn.h"
#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

struct sdb_graph;

/* Opens graph ns over transaction t (not owned; must outlive the graph).
 * @return 0 and *out, SDB_EINVAL / SDB_ELIMIT for a bad name, SDB_ENOMEM. */
int sdb_graph_open(struct sdb_txn *t, const char *ns, size_t nslen,
		   struct sdb_graph **out, struct sdb_error *e);
void sdb_graph_close(struct sdb_graph *g);

/* The store namespace of the graph ("$graph:NS") and its length. */
const char *sdb_graph_store_ns(const struct sdb_graph *g, size_t *n);

/* When a read looks. */
struct sdb_gread {
	uint64_t as_of;
	int has_known;
	uint64_t known_at;
};

/* 1 when a version with times t is visible to r. */
static inline int sdb_gvisible(const struct sdb_gtimes *t, const struct sdb_gread *r)
{
	if (t->vf > r->as_of || (t->vu && r->as_of >= t->vu))
		return 0;
	if (r->has_known)
		return t->ra <= r->known_at && (!t->ea || r->known_at < t->ea);
	return !t->ea;
}

/* A text element (id or type) as encoded; sdb_graph_text decodes it. */
struct sdb_gstr {
	const unsigned char *p;
	size_t n;
};
/* Appends the bytes of the encoded element s to out. @return 0 or
 * SDB_ECORRUPT. */
int sdb_graph_text(struct sdb_gstr s, struct sdb_buf *out);
/* Appends the encoding of p[0..n) to out. */
void sdb_graph_enc(struct sdb_buf *out, const void *p, size_t n);

/* An edge version as read (pointers valid during the callback). */
struct sdb_gedge {
	struct sdb_gstr from, type, to;
	struct sdb_gtimes t;
	const char *props;
	size_t propsn;
};
/* A node version as read. */
struct sdb_gnode {
	struct sdb_gstr id;
	const char *type;
	size_t typen;
	struct sdb_gtimes t;
	const char *props;
	size_t propsn;
};
typedef int (*sdb_gedge_fn)(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e);
typedef int (*sdb_gnode_fn)(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e);

enum { SDB_GDIR_OUT = 1, SDB_GDIR_IN = 2, SDB_GDIR_BOTH = 3 };

/* Result of a write: what happened. */
enum { SDB_GW_NOOP = 0, SDB_GW_ADDED = 1 };

/*
 * Checks an id or type: 0, or SDB_ELIMIT ("node id longer than 1024
 * bytes"). what is "node id" or "type".
 */
int sdb_graph_check(const char *what, size_t n, size_t max, struct sdb_error *e);

/*
 * Adds a node version: ID has TYPE and props (a compact JSON object, ""
 * for {}) over [vf, vu) as recorded at now. A live version with the same
 * valid_from and the same content, or an open one that starts earlier
 * with the same content when this one is open too, makes it a no-op
 * (*what SDB_GW_NOOP); a live version with the same valid_from and other
 * content is expired (a correction); a live open version that starts
 * earlier is closed at vf (expired, and recorded again closed).
 * @return 0, SDB_EINVAL (vu <= vf), SDB_ELIMIT, or a store error.
 */
int sdb_graph_add_node(struct sdb_graph *g, const char *id, size_t idn,
		       const char *type, size_t typen, const char *props,
		       size_t propsn, uint64_t vf, uint64_t vu, uint64_t now,
		       int *what, struct sdb_error *e);

/*
 * Changes the node version valid at at (the newest): type (NULL: kept) and
 * props merged into its own (keys of props win; a null value removes the
 * key). With has_vf the change holds from vf on (the version is closed at
 * vf, a new one starts there); otherwise the version is corrected in place
 * (expired, recorded again). @return 0, SDB_ENOTFOUND, or an error.
 */
int sdb_graph_set_node(struct sdb_graph *g, const char *id, size_t idn,
		       const char *type, size_t typen, const char *props,
		       size_t propsn, int has_vf, uint64_t vf, uint64_t at,
		       uint64_t now, struct sdb_error *e);

/* Expires every live version of the node and of its edges (both ways).
 * @return 0, SDB_ENOTFOUND (nothing live), or an error. */
int sdb_graph_del_node(struct sdb_graph *g, const char *id, size_t idn,
		       uint64_t now, uint64_t *edges, struct sdb_error *e);

/*
 * Adds an edge version FROM -TYPE-> TO (props as for nodes) over
 * [vf, vu). replace: the live open versions of the relation are expired
 * first. The same version again (same valid_from, valid_until and props),
 * or an open version when a live open one with the same props starts at
 * or before vf, is a no-op; the same valid_from with other content expires
 * the old version (a correction). @return 0, SDB_EINVAL, SDB_ELIMIT or an
 * error.
 */
int sdb_graph_add_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       const char *props, size_t propsn, uint64_t vf, uint64_t vu,
		       uint64_t now, int replace, int *what, struct sdb_error *e);

/*
 * Closes the valid time at at of the relation's live versions that hold
 * at at (valid_from < at, valid_until open or after at): each is expired
 * and recorded again with valid_until = at. @return 0, SDB_ENOTFOUND
 * (none held at at), or an error.
 */
int sdb_graph_end_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       uint64_t at, uint64_t now, struct sdb_error *e);

/* Expires every live version of the relation. @return 0, SDB_ENOTFOUND,
 * or an error. */
int sdb_graph_del_edge(struct sdb_graph *g, const char *from, size_t fromn,
		       const char *type, size_t typen, const char *to, size_t ton,
		       uint64_t now, struct sdb_error *e);

/*
 * Writes one version exactly as given (load of a dump): live when
 * t->ea is 0, else into the history keys. Covers are kept right.
 */
int sdb_graph_put_node_version(struct sdb_graph *g, const char *id, size_t idn,
			       const char *type, size_t typen, const char *props,
			       size_t propsn, const struct sdb_gtimes *t,
			       struct sdb_error *e);
int sdb_graph_put_edge_version(struct sdb_graph *g, const char *from, size_t fromn,
			       const char *type, size_t typen, const char *to,
			       size_t ton, const char *props, size_t propsn,
			       const struct sdb_gtimes *t, struct sdb_error *e);

/*
 * Batches (load, add-edge --stdin): after sdb_graph_bulk_begin, add-node
 * and add-edge (without replace) only check and collect their arguments.
 * sdb_graph_bulk_end applies them: with a sorter, the adds of a node or
 * relation that is new (no live version in the snapshot) and added once
 * in the batch go to the sorter as finished keys (both directions), to be
 * fed to a store bulk ingest committed with the transaction; the others
 * go through the ordinary path, in their order. Without a sorter all go
 * through the ordinary path. *nsorted: keys handed to the sorter.
 */
struct sdb_sorter;
void sdb_graph_bulk_begin(struct sdb_graph *g);
size_t sdb_graph_bulk_count(const struct sdb_graph *g);
int sdb_graph_bulk_end(struct sdb_graph *g, struct sdb_sorter *s, size_t *nsorted,
		       struct sdb_error *e);

/* Removes every expired version whose expired_at is before ms.
 * *removed: how many. */
int sdb_graph_purge(struct sdb_graph *g, uint64_t before, uint64_t *removed,
		    struct sdb_error *e);

/*
 * The node version of id (encoded) visible to r with the greatest
 * valid_from (ties: the latest recorded), into *nd, valid until the next
 * call on g. @return 0, SDB_ENOTFOUND, or an error.
 */
int sdb_graph_get_node(struct sdb_graph *g, struct sdb_gstr id,
		       const struct sdb_gread *r, struct sdb_gnode *nd,
		       struct sdb_error *e);

/*
 * Calls cb for every edge version of id (encoded) visible to r in
 * direction dir, of the types types[0..ntypes) (encoded; ntypes 0: all).
 * r NULL: every version, live and expired, whatever its times.
 * For SDB_GDIR_BOTH a self-loop is reported once (as outgoing). Order:
 * by key (type, other end, newest valid_from first; history after).
 * A non-zero return of cb stops the walk and is returned.
 */
int sdb_graph_edges(struct sdb_graph *g, struct sdb_gstr id, int dir,
		    const struct sdb_gstr *types, size_t ntypes,
		    const struct sdb_gread *r, sdb_gedge_fn cb, void *ctx,
		    struct sdb_error *e);

/*
 * A run of node versions (a batch's readahead; live reads only,
 * r->has_known 0): one seek, then the nodes after id in id order.
 * start(ctx, me) is called as node me begins (id first, even when it has
 * no version); it returns 0, 2 to stop before that node (not read), or an
 * error. cb gets each node's version that sdb_graph_get_node gives (none:
 * no call). The run stops between nodes once more than budget keys were
 * read past id's (0: id alone), so every node started was read whole.
 * *nkeys: the keys read.
 */
typedef int (*sdb_grun_fn)(void *ctx, struct sdb_gstr me, struct sdb_error *e);
int sdb_graph_nodes_run(struct sdb_graph *g, struct sdb_gstr id, const struct sdb_gread *r,
			size_t budget, sdb_grun_fn start, sdb_gnode_fn cb, void *ctx,
			size_t *nkeys, struct sdb_error *e);

/* 1 when id has a visible node version or a visible edge either way. */
int sdb_graph_known(struct sdb_graph *g, struct sdb_gstr id,
		    const struct sdb_gread *r, struct sdb_error *e);

/* Every version (live and expired) of a node / of a relation, in
 * (valid_from, recorded_at) order. @return 0, SDB_ENOTFOUND, or an error. */
int sdb_graph_node_history(struct sdb_graph *g, struct sdb_gstr id,
			   sdb_gnode_fn cb, void *ctx, struct sdb_error *e);
int sdb_graph_edge_history(struct sdb_graph *g, struct sdb_gstr from,
			   struct sdb_gstr type, struct sdb_gstr to,
			   sdb_gedge_fn cb, void *ctx, struct sdb_error *e);

/* Every version of the graph: nodes (key order), then edges (by source,
 * the out copy only). */
int sdb_graph_scan(struct sdb_graph *g, sdb_gnode_fn ncb, sdb_gedge_fn ecb,
		   void *ctx, struct sdb_error *e);

#endif
