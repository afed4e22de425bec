/*
 * keys.h - the graph's key layout, in one place (doc/FORMAT.md "Graph"
 * has the same description byte by byte).
 *
 * A graph NS lives in the store namespace "$graph:" NS (so sochdb-kv -n,
 * which refuses names starting with '$', cannot touch it, and graphs are
 * isolated from each other). Inside it every user key starts with a kind
 * byte, then tuple elements (store/tuple.h: TEXT for ids and types, INTEGER
 * for times; "desc" marks an inverted element):
 *
 *   'N' ID  desc(valid_from)                      live node version
 *   'n' ID  valid_from recorded_at seq            expired node version
 *   'O' FROM TYPE TO desc(valid_from)             live edge version (out)
 *   'I' TO TYPE FROM desc(valid_from)             the same version (in)
 *   'o' FROM TYPE TO valid_from recorded_at seq   expired edge version
 *   'i' TO TYPE FROM valid_from recorded_at seq   the same (in)
 *
 * "Live" means not expired in system time (expired_at open): the current
 * belief. Live versions of one node or relation sort newest valid_from
 * first, so "the versions valid at t" starts at one seek to desc(t).
 *
 * Value (every kind): valid_until, recorded_at, expired_at, cover as u64
 * little-endian (0 = open, for the first three); nodes then a varint type
 * length and the type bytes; then the properties as compact JSON text (an
 * object). cover (live versions only) is the largest valid_until (0 =
 * open, the largest) over the live versions of the same node or relation
 * whose valid_from is at most this one's: a reader that walks from desc(t)
 * towards older versions stops as soon as cover <= t.
 */
#ifndef SDB_GRAPH_KEYS_H
#define SDB_GRAPH_KEYS_H

#include "store/keys.h"
#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* "$graph:": store/keys.h's row of its block-size hints (1 KiB blocks,
 * which decode a quarter of what a 4 KiB one does for the few hundred
 * bytes a node's edges or a relation's versions take, for ~45% more
 * bytes on disk: LZ4 has less to match in a small block) */
#define SDB_GRAPH_NS_PREFIX SDB_NS_GRAPH_PREFIX
#define SDB_GRAPH_MAX_NS 200   /* bytes of a graph name */
#define SDB_GRAPH_MAX_ID 1024  /* bytes of a node id */
#define SDB_GRAPH_MAX_TYPE 256 /* bytes of a node or edge type */
#define SDB_GRAPH_HDR 32       /* value header bytes */

enum {
	SDB_GK_NODE = 'N', SDB_GK_NODE_OLD = 'n',
	SDB_GK_OUT = 'O', SDB_GK_IN = 'I',
	SDB_GK_OUT_OLD = 'o', SDB_GK_IN_OLD = 'i',
};

/* A version's times: valid [vf, vu), recorded [ra, ea); 0 = open (vf 0:
 * since always). */
struct sdb_gtimes {
	uint64_t vf, vu, ra, ea;
};

/* "$graph:" NS into b (reset first). @return 0, SDB_EINVAL (empty) or
 * SDB_ELIMIT. */
int sdb_gkey_ns(struct sdb_buf *b, const char *ns, size_t n, struct sdb_error *e);
/* Appends the TEXT element of p[0..n) / the INTEGER element of v (desc:
 * inverted). */
void sdb_gkey_text(struct sdb_buf *b, const void *p, size_t n);
void sdb_gkey_int(struct sdb_buf *b, uint64_t v, int desc);
/* Decodes an INTEGER element at p[0..n) (desc as written) into *v.
 * @return its length, 0 when malformed. */
size_t sdb_gkey_get_int(const unsigned char *p, size_t n, int desc, uint64_t *v);
/* Decodes the TEXT element at p[0..n) into out (appended). @return its
 * length, 0 when malformed. */
size_t sdb_gkey_get_text(const unsigned char *p, size_t n, struct sdb_buf *out);

/* The value: header then [type] then props. */
void sdb_gval_make(struct sdb_buf *b, const struct sdb_gtimes *t, uint64_t cover,
		   const char *type, size_t typen, int is_node,
		   const char *props, size_t propsn);
/* Parses a value. @return 0 or SDB_ECORRUPT. */
int sdb_gval_parse(const char *v, size_t n, int is_node, struct sdb_gtimes *t,
		   uint64_t *cover, const char **type, size_t *typen,
		   const char **props, size_t *propsn);
/* Rewrites the cover field of a value in place. */
void sdb_gval_set_cover(char *v, uint64_t cover);

#endif
