/*
 * toon.h - TOON v3.3 (Token-Oriented Object Notation) encoder and decoder.
 *
 * Conforms to the TOON specification v3.3 (@toon-format/spec 3.3.2); the
 * encoder's output is byte-identical to the reference library of that
 * version (@toon-format/toon 2.3.1) given the same JSON data model, and the
 * decoder follows the reference decoder's interpretation line by line,
 * except that strict mode never drops a line the reference ignores (an
 * over-indented line, an indented first line, a skipped level: errors, as
 * in the 4.x library and the current spec fixtures).
 *
 * Also SochDB's compact one-line table form (sdb_toon_compact_*), which is
 * not TOON: see man/sochdb-toon.1.
 */
#ifndef SDB_TOON_H
#define SDB_TOON_H

#include "util/buf.h"
#include "util/err.h"
#include "json/json.h"
#include "json/jtree.h"

#include <limits.h>
#include <stddef.h>

#define SDB_TOON_FLATTEN_INF LONG_MAX

struct sdb_toon_enc_opts {
	int indent;          /* spaces per level (default 2) */
	char delimiter;      /* ',' '\t' '|' */
	int key_folding;     /* 0 off, 1 safe */
	long flatten_depth;  /* SDB_TOON_FLATTEN_INF by default */
	int exact;           /* keep the input's digits for numbers */
	int fold_rows;       /* sdb_toon_encode_json folds rows first
			      * (sdb_toon_fold_rows); not TOON's default */
	int threads;         /* 1: encode on the calling thread only; 0
			      * (default): long arrays (tens of thousands of
			      * rows or items) are encoded in chunks on two
			      * threads, same bytes */
};

struct sdb_toon_dec_opts {
	int indent;       /* default 2 */
	int strict;       /* default 1 */
	int expand_paths; /* 0 off, 1 safe */
};

void sdb_toon_enc_opts_init(struct sdb_toon_enc_opts *o);
void sdb_toon_dec_opts_init(struct sdb_toon_dec_opts *o);

/*
 * Output: encoded text is appended to buf; whenever it grows past
 * flush_at bytes and flush is set, flush(ctx, data, len) drains it.
 */
struct sdb_toon_out {
	struct sdb_buf buf;
	size_t flush_at;
	int (*flush)(void *ctx, const char *p, size_t n, struct sdb_error *e);
	void *ctx;
};

/*
 * Encodes tape value root of doc (which must have no duplicate keys:
 * see sdb_toon_encode_json). No trailing newline.
 * @return 0, SDB_ENOMEM, or the flush callback's error.
 */
int sdb_toon_encode(const struct sdb_json_doc *doc, size_t root,
		    const struct sdb_toon_enc_opts *o, struct sdb_toon_out *out,
		    struct sdb_error *e);

/*
 * Row folding, a SochDB option (off by default): rewrites in v, at any
 * depth, every array of records that TOON would write in list form only
 * because their values include objects into flat records with dotted
 * columns (props.name; the union over the rows in encounter order, null
 * where a row lacks one, an object empty in every row leaves no column),
 * so the encoder writes a table. Only unambiguous arrays fold: every
 * element an object with the same keys, each key a primitive in every
 * row or an object in every row, the objects holding no arrays, every
 * segment an identifier segment (spec 1.9), no dotted column equal to a
 * literal key. Decoding with expand_paths nests the columns again.
 * @return 0 or SDB_ENOMEM (v is then partly folded but valid).
 */
int sdb_toon_fold_rows(struct sdb_jv *v);

/* The key is an identifier segment (TOON spec 1.9):
 * ^[A-Za-z_][A-Za-z0-9_]*$. */
int sdb_toon_ident_segment(const char *p, size_t n);

/*
 * JSON text -> TOON: parses (strict RFC 8259; with jsonl one value per
 * line, encoded as one array), resolves duplicate keys as JSON.parse does,
 * and encodes. Nothing is written before the whole input has validated.
 */
int sdb_toon_encode_json(const char *src, size_t len, int jsonl,
			 const struct sdb_toon_enc_opts *o,
			 struct sdb_toon_out *out, struct sdb_error *e);

/*
 * Decodes TOON text into events on sink (key() gets where each key
 * stands in src). @return 0, SDB_EPARSE with line/column, SDB_ENOMEM or the sink's
 * error (its code with sdb_strerror's message). A non-strict decode that
 * meets a duplicate key returns SDB_ECONFLICT when dup_restart is set (the
 * caller retries with a tree sink, which resolves it last-write-wins).
 */
int sdb_toon_decode(const char *src, size_t len, const struct sdb_toon_dec_opts *o,
		    struct sdb_jsink *sink, int dup_restart, struct sdb_error *e);

/*
 * TOON text -> JSON text appended to out: compact, or pretty with
 * json_indent > 0; with jsonl a root array is written one element per
 * line. exact keeps the digits of numbers. Adds no trailing newline.
 */
int sdb_toon_decode_json(const char *src, size_t len,
			 const struct sdb_toon_dec_opts *o, int exact,
			 int json_indent, int jsonl, struct sdb_buf *out,
			 struct sdb_error *e);

/*
 * Appends the string p[0..n) (valid UTF-8) as a TOON value: bare when
 * spec §7.2 allows it with delim the active delimiter, else quoted and
 * escaped (§7.1). The exact rule of the encoder, for other writers of
 * TOON (listings of sochdb-kv, sochdb-wal).
 */
void sdb_toon_quote(struct sdb_buf *out, const char *p, size_t n, char delim);
/* Appends p[0..n) as a TOON key or field name (§7.3). */
void sdb_toon_key(struct sdb_buf *out, const char *p, size_t n);

/* Compact one-line table form (SochDB docs), see sochdb-toon(1). */
int sdb_toon_compact_encode(const char *src, size_t len, struct sdb_buf *out,
			    struct sdb_error *e);
int sdb_toon_compact_decode(const char *src, size_t len, struct sdb_buf *out,
			    struct sdb_error *e);

#endif
