/*
 * tsv.h - text encodings of arbitrary bytes used by the tools' listings:
 * the TSV escaping of DESIGN.md and base64. JSON goes through lib/json,
 * TOON through lib/toon (sdb_toon_quote).
 * Data transformations only: no I/O.
 */
#ifndef SDB_TSV_H
#define SDB_TSV_H

#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>

/* TSV escaping: \\ \t \n \r, \xHH for other bytes < 0x20, 0x7F and bytes
 * that are not part of valid UTF-8; everything else literal. */
void sdb_tsv_escape(struct sdb_buf *out, const void *p, size_t n);
/* Reverses sdb_tsv_escape (also accepts literal bytes). On a bad escape
 * @return SDB_EPARSE with *col the 1-based column inside p. */
int sdb_tsv_unescape(struct sdb_buf *out, const char *p, size_t n, size_t *col);
/* True when the field is exactly the absent marker \N. */
static inline int sdb_tsv_is_null(const char *p, size_t n)
{
	return n == 2 && p[0] == '\\' && p[1] == 'N';
}

void sdb_b64_encode(struct sdb_buf *out, const void *p, size_t n);
/* @return 0 or SDB_EPARSE. */
int sdb_b64_decode(struct sdb_buf *out, const char *p, size_t n);

#endif
