/*
 * trav.h - traversals over a graph snapshot: BFS and DFS with depth,
 * edge-type, node-type and property filters; fewest-hop paths
 * (bidirectional BFS), every shortest path, and Dijkstra on a numeric
 * edge property.
 *
 * Determinism: a node's neighbours are visited in the order of their ids
 * (bytewise), then edge type, then newest valid_from; so BFS and DFS
 * orders, the tree edges reported and the path chosen among equal ones
 * do not depend on insertion order. Among parallel edges between two
 * nodes, a walk reports the first in that order (Dijkstra: the lightest,
 * then that order).
 */
#ifndef SDB_GRAPH_TRAV_H
#define SDB_GRAPH_TRAV_H

#include "graph/graph.h"

/* A --where filter: props key equal to a JSON value (compact canonical
 * text, sdb_graph_canon). */
struct sdb_gwhere {
	const char *key;
	size_t keyn;
	const char *val;
	size_t valn;
};

struct sdb_gquery {
	struct sdb_gread r;
	int dir;                         /* SDB_GDIR_* */
	const struct sdb_gstr *etypes;   /* encoded; n 0: every type */
	size_t netypes;
	const struct sdb_gstr *ntypes;   /* node types (encoded) */
	size_t nntypes;
	const struct sdb_gwhere *where;
	size_t nwhere;
	long max_depth;                  /* < 0: no limit */
	const char *weight;              /* NULL: hops */
	size_t weightn;
	int ids_only;                    /* traverse: nodes only, no edges walked */
};

struct sdb_gres_node {
	size_t off, n;   /* encoded id in b */
	long depth;
	uint32_t widx;   /* the node's number in the walk (sdb_gwalk_node_at) */
};
struct sdb_gres_edge {
	size_t from, fromn, type, typen, to, ton, props, propsn; /* in b */
	struct sdb_gtimes t;
};
/* A path: nodes [node0, node0 + nnodes), edges likewise. */
struct sdb_gres_path {
	size_t node0, nnodes, edge0, nedges;
	double weight;
};

struct sdb_gres {
	struct sdb_buf b;
	struct sdb_gres_node *nodes;
	size_t nnodes, capn;
	struct sdb_gres_edge *edges;
	size_t nedges, cape;
	struct sdb_gres_path *paths;
	size_t npaths, capp;
	/* set by the caller (kept by sdb_gres_reset): traversal nodes carry
	 * their walk number only (off and n 0), their ids are the walk's
	 * (sdb_gwalk_id): no copy of every id reached */
	int ids_in_walk;
};
void sdb_gres_init(struct sdb_gres *r);
void sdb_gres_reset(struct sdb_gres *r);
void sdb_gres_release(struct sdb_gres *r);
static inline struct sdb_gstr sdb_gres_str(const struct sdb_gres *r, size_t off, size_t n)
{
	struct sdb_gstr s = { (const unsigned char *)r->b.data + off, n };
	return s;
}

/*
 * Canonical compact JSON of a --prop/--where value: the text itself when
 * it parses as JSON, else the JSON string of its bytes. Appended to out.
 */
void sdb_graph_canon(const char *v, size_t n, struct sdb_buf *out);

/* 1 when props (a JSON object) has every where[i] key with that value. */
int sdb_graph_where(const char *props, size_t propsn, const struct sdb_gwhere *w,
		    size_t nw);

/*
 * A walk: the state the queries of one batch share over one snapshot and
 * one query q (kept by reference): the nodes met, each with its sorted
 * neighbours once read (an in-memory adjacency of the part of the graph
 * the batch touched, filtered by q's times and edge types) and its filter
 * result. @return 0 and *out (sdb_gwalk_free), or SDB_ENOMEM.
 */
struct sdb_gwalk;
int sdb_gwalk_new(struct sdb_graph *g, const struct sdb_gquery *q,
		  struct sdb_gwalk **out, struct sdb_error *e);
void sdb_gwalk_free(struct sdb_gwalk *w);
/* Makes w lean, before its first query: its expansions keep each
 * neighbour's node number only (4 bytes, not the edge's candidate), and
 * the few edges of a path found are read again from the store when the
 * path is built. For batches of fewest-hop paths (sdb_graph_path without
 * all, q without weight; other queries are SDB_EINVAL, a traverse unless
 * ids_only): their walks touch millions of edges and report a handful. */
void sdb_gwalk_lean(struct sdb_gwalk *w);
/* Readahead (on by default): reading a node's version goes on through the
 * nodes after it in id order (one seek for many; live reads only), by a
 * budget that grows with what was used of it. */
void sdb_gwalk_readahead(struct sdb_gwalk *w, int on);
/* The visible version of node id as sdb_graph_get_node gives it, read
 * once per walk (*nd valid until the next call on w). @return 0,
 * SDB_ENOTFOUND, or an error. */
int sdb_gwalk_node(struct sdb_gwalk *w, struct sdb_gstr id, struct sdb_gnode *nd,
		   struct sdb_error *e);
/* 1 when the walk has read visible edges of node id (encoded) already
 * (so id is known: sdb_graph_known), else 0 (not read, or none). */
int sdb_gwalk_has_edges(const struct sdb_gwalk *w, struct sdb_gstr id);
/* The id (encoded) of the node numbered widx; valid until the walk next
 * reads or traverses. */
struct sdb_gstr sdb_gwalk_id(const struct sdb_gwalk *w, uint32_t widx);
/* The same for the node numbered widx (struct sdb_gres_node). */
int sdb_gwalk_node_at(struct sdb_gwalk *w, uint32_t widx, struct sdb_gnode *nd,
		      struct sdb_error *e);

/*
 * Warms w for a batch of BFS walks from starts[0..n) (encoded): reads,
 * level by level over every start at once and each level in key order,
 * the neighbours of every node fewer than max_depth hops from a start —
 * the nodes the batch's walks expand — so that the store's seeks go
 * through the table in order (a block is decoded once for the nodes it
 * holds) instead of hopping about it. A no-op with node filters or
 * without a depth limit. The walks' results are unchanged.
 * @return 0, or an error.
 */
int sdb_gwalk_warm(struct sdb_gwalk *w, const struct sdb_gstr *starts, size_t n,
		   struct sdb_error *e);

/*
 * BFS (dfs 0) or DFS preorder from start (encoded): res gets the start at
 * depth 0 and every node reached once, in visiting order, with its depth,
 * and the edge by which each was reached (no edges with q->ids_only).
 * Nodes that fail the node-type
 * or where filters are not entered (the start is exempt).
 * @return 0, or an error.
 */
int sdb_graph_traverse(struct sdb_gwalk *w, struct sdb_gstr start, int dfs,
		       struct sdb_gres *res, struct sdb_error *e);

/*
 * A fewest-hop path from -> to within max_depth hops (weight set: the
 * least total weight, Dijkstra; an edge without the property weighs 1, a
 * negative or non-numeric one is SDB_EINVAL). all: every shortest path
 * (hops), in order of their node ids. res->paths gets the path(s).
 * @return 0, SDB_ENOTFOUND (no path), or an error.
 */
int sdb_graph_path(struct sdb_gwalk *w, struct sdb_gstr from, struct sdb_gstr to,
		   int all, struct sdb_gres *res, struct sdb_error *e);

#endif
