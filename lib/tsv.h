/*
 * tsv.h - text encodings of arbitrary bytes used by the tools' listings:
 * the TSV escaping of DESIGN.md, base64, TOON string quoting (v3.3 §7,
 * to be replaced by lib/toon's) and a minimal flat-JSON-object reader for
 * JSONL input. JSON strings are written with lib/json's sdb_json_quote.
 * Data transformations only: no I/O.
 */
#ifndef SDB_TSV_H
#define SDB_TSV_H

#include "buf.h"
#include "err.h"

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

/* A TOON v3.3 string (quoted only when §7.2 requires it) for valid UTF-8
 * p, with delim the active delimiter. */
void sdb_toon_str(struct sdb_buf *out, const void *p, size_t n, char delim);

/*
 * Reads one flat JSON object of string/number/null members from line.
 * For each member calls cb(ctx, name, namelen, kind, val, vallen) with
 * kind 's' (val unescaped UTF-8), 'n' (number text) or 'z' (null); a
 * non-zero return from cb stops with that code. @return 0 or SDB_EPARSE
 * with *col the 1-based column.
 */
typedef int (*sdb_jsonobj_cb)(void *ctx, const char *name, size_t nlen,
			      int kind, const char *val, size_t vlen);
int sdb_json_object(const char *line, size_t n, sdb_jsonobj_cb cb, void *ctx,
		    size_t *col);

#endif
