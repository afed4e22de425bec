/*
 * expand.h - TOON path expansion over a decoded tree (spec §13.4), used
 * by the decoder's general path (decode.c).
 */
#ifndef SDB_TOON_EXPAND_H
#define SDB_TOON_EXPAND_H

#include "json/jtree.h"
#include "util/err.h"

/*
 * Expands the unquoted dotted keys of v (recursively) into nested objects
 * with deep merge. src is the TOON text the tree was decoded from (the
 * entries' positions point into it, for error positions). strict makes a
 * conflict an error, else the last write wins.
 * @return 0, SDB_EPARSE (line/column of the conflicting key) or
 * SDB_ENOMEM; v stays a valid tree either way.
 */
int sdb_toon_expand_paths(struct sdb_jv *v, const char *src, int strict, struct sdb_error *e);

#endif
