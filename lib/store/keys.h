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

/* The namespaces read by seeks rather than scans: the graphs'
 * ("$graph:" NS, graph/keys.h SDB_GRAPH_NS_PREFIX). Table writers give
 * their keys small blocks (SDB_BLOCK_BYTES_SEEK, internal.h). */
#define SDB_SEEK_NS_PREFIX "$graph:"

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
