/*
 * load.h - graph input: JSONL records (what dump writes) and networkx's
 * node-link JSON, applied through a graph's transaction.
 *
 * JSONL: one object per line, blank lines skipped. A node is
 * {"id":ID,"type":T,"props":{...}} and an edge {"from":F,"type":T,
 * "to":U,"props":{...}}; both may carry "valid_from", "valid_until"
 * (default: now and open) and, as dump writes them, "recorded_at" and
 * "expired_at": a record with recorded_at is written as that exact
 * version (expired_at non-zero: into the history), one without goes
 * through add-node / add-edge. Ids and types are strings; integer ids
 * become their decimal text.
 *
 * Node-link JSON (networkx.node_link_data): one object with "nodes" and
 * "links" or "edges"; a node's "id", an edge's "source" and "target";
 * "type" (else, for an edge, a string "key") is the type, "" when
 * absent; every other attribute goes into props.
 */
#ifndef SDB_GRAPH_LOAD_H
#define SDB_GRAPH_LOAD_H

#include "graph/graph.h"

struct sdb_gload_stats {
	uint64_t nodes, edges, noops;
};

/* Loads src[0..len) into g. Errors carry the line and column (JSONL) or
 * the record (node-link). @return 0 or an error (the caller aborts the
 * transaction: nothing is applied). */
int sdb_graph_load(struct sdb_graph *g, const char *src, size_t len, uint64_t now,
		   struct sdb_gload_stats *st, struct sdb_error *e);

#endif
