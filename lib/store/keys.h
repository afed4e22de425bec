/*
 * keys.h - the internal-key layout (keys.c has the design), in one place
 * in the manner of LevelDB's dbformat.h. Included by store.h.
 */
#ifndef SDB_STORE_KEYS_H
#define SDB_STORE_KEYS_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <string.h>

/*
 * Block-size hints per namespace: the reserved namespaces (a '$' first:
 * sochdb-kv -n refuses them) whose reads are seeks rather than scans
 * want small table blocks, since a seek decompresses and decodes the
 * whole block it lands in for the few hundred bytes it reads. A table
 * writer finishes a block whose last key's namespace starts with a
 * prefix here at that prefix's size (sdb_ns_block_bytes), else at its
 * default; readers take blocks of any size. One row a prefix, in this
 * one place, so the store's code names no module's namespace and the
 * module takes its prefix from here (a hint lives with the key layout
 * and applies to every writer, whatever tool flushes or compacts).
 *   X(prefix, block bytes)
 */
#define SDB_NS_GRAPH_PREFIX "$graph:" /* the graphs' ("$graph:" NS, graph/keys.h) */
#define SDB_NS_HINTS(X) \
	X(SDB_NS_GRAPH_PREFIX, 1024) /* a node's edges, a relation's versions */

/* The block size hinted for internal key ik (ns length byte, ns, key),
 * or def when its namespace has no hint. */
static inline size_t sdb_ns_block_bytes(const void *ik, size_t n, size_t def)
{
	const unsigned char *p = ik;

#define SDB_NS_HINT_TEST(prefix, bytes) \
	if (n > sizeof(prefix) - 1 && p[0] >= sizeof(prefix) - 1 && \
	    !memcmp(p + 1, prefix, sizeof(prefix) - 1)) \
		return bytes;
	SDB_NS_HINTS(SDB_NS_HINT_TEST)
#undef SDB_NS_HINT_TEST
	return def;
}

/* Builds ns+key into b. @return 0, SDB_ELIMIT (too long) or SDB_EINVAL
 * (empty key). */
int sdb_ikey_make(struct sdb_buf *b, const char *ns, size_t nslen,
		  const char *key, size_t klen, struct sdb_error *e);
/* Splits an internal key. */
void sdb_ikey_split(const unsigned char *ik, size_t n, const char **ns,
		    size_t *nslen, const char **key, size_t *klen);

/* Bytewise key order: <0, 0, >0 like memcmp, shorter first on a tie
 * (inline: every search and merge compares keys). */
static inline int sdb_key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Turns the prefix in b into the smallest key greater than every key
 * with that prefix. @return 0 when there is none (all 0xff). */
int sdb_prefix_succ(struct sdb_buf *b);

#endif
