/*
 * fmt.h - the one row writer of the tools: tables of typed cells written
 * as tsv, csv, json, jsonl or toon, and single records (stats, info) as
 * toon or json. Every listing of sochdb-kv, sochdb-wal, sochdb-bulk and
 * sochdb-toon stats goes through it, and so will sochdb-sql's results.
 *
 * It writes into a struct sdb_buf; with a sink, the buffer is handed to
 * the sink whenever it passes a threshold and at the end, so a long
 * listing streams in bounded memory. It never prints.
 *
 * DESIGN. A table has named columns and rows of cells. A cell is typed:
 * absent (no value at all: the field is left out), null, an integer, a
 * real, a number already in text form, a boolean, text or a blob. How
 * each format writes them (the contract of DESIGN.md and the man pages):
 *
 *   tsv    cells joined by tabs, TSV-escaped (util/tsv.h); null is \N;
 *          absent cells at the end of a row are left out, elsewhere \N
 *          (sochdb-kv dump's KEY VALUE [EXPIRES_MS [NS]] rows).
 *   csv    RFC 4180 as sqlite3 -csv writes it: a field is quoted when it
 *          is empty or holds a byte below 0x21, '"', '\'', ',' or a byte
 *          of 0x7F or above; null and absent are empty fields.
 *   json   one array of objects; absent cells are left out of their
 *          object; an empty table is [].
 *   jsonl  the same objects, one per line; an empty table writes nothing.
 *   toon   a count-first TOON table: [N]{col,...}: and one indented row
 *          per line, so rows are buffered until the end. A column whose
 *          cells are absent in every row is left out of the header;
 *          otherwise absent cells are null. An empty table is [] (the
 *          spec's form for an empty root array, §9.1) — one rule for
 *          every tool.
 *   table, box, markdown
 *          sqlite3 3.40's columnar modes, byte for byte: the rows are
 *          buffered so each column is as wide as its widest cell (width
 *          counts the bytes that do not continue a UTF-8 sequence); the
 *          header names are centred, cells left-aligned; in a cell a tab
 *          goes to the next multiple of 8, any other control byte breaks
 *          the line ("\r\n" once) and the row grows taller, a NUL ends
 *          the cell. No header line with !SDB_FMT_HEADER (sqlite3 always
 *          writes one); an empty table writes nothing. Null and absent
 *          cells are null_text ("" by default).
 *   line   sqlite3 -line: per row one "NAME = value" line per column, the
 *          names right-aligned to the longest (at least 5), rows apart by a blank line;
 *          values as their bytes (null_text for null).
 *
 * Buffered formats (toon, table, box, markdown) keep their rows in memory
 * up to sdb_fmt_more.mem_limit bytes (0: no limit) and spill the rest to an
 * unlinked temporary file in its tmp_dir (NULL: $TMPDIR, else /tmp), read back through
 * a mapping at the end.
 *
 * Binary data in text formats (SDB_FMT_COL_B64 columns): in json, jsonl
 * and toon, a text cell that is not valid UTF-8, and any blob, is written
 * base64-encoded under NAME_b64 instead of NAME. In json and jsonl the
 * object carries "NAME_b64" in place of "NAME"; in toon the table gets a
 * NAME_b64 column right after NAME, only when some row needs it, filled
 * only in those rows (null elsewhere) — readable rows stay readable, and
 * NAME is left out only when every row needs NAME_b64. TSV escapes any
 * byte and csv quotes it, so they write the bytes themselves.
 */
#ifndef SDB_FMT_H
#define SDB_FMT_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* The output formats of every tool (--format NAME). Pinned order. */
enum sdb_fmt {
	SDB_FMT_TSV,
	SDB_FMT_CSV,
	SDB_FMT_JSON,
	SDB_FMT_JSONL,
	SDB_FMT_TOON,
	SDB_FMT_TABLE,    /* sqlite3 -table: +---+ borders (buffered) */
	SDB_FMT_BOX,      /* sqlite3 -box: Unicode box drawing (buffered) */
	SDB_FMT_MARKDOWN, /* sqlite3 -markdown: a pipe table (buffered) */
	SDB_FMT_LINE,     /* sqlite3 -line: one "name = value" per line */
	SDB_FMT_COUNT
};
#define SDB_FMT_BIT(f) (1u << (f))

/* The name of f ("tsv"), or "?" when out of range. */
const char *sdb_fmt_name(enum sdb_fmt f);
/*
 * Looks name up among the formats whose bit is set in allowed.
 * @return 0 with *out set, or SDB_EINVAL with the message "invalid value
 * 'NAME' for --format (expected A, B or C)".
 */
int sdb_fmt_parse(const char *name, unsigned allowed, enum sdb_fmt *out,
		  struct sdb_error *e);

enum sdb_cell_type {
	SDB_CELL_ABSENT, /* no value: left out (json), null (toon), \N (tsv) */
	SDB_CELL_NULL,
	SDB_CELL_INT,  /* v.i */
	SDB_CELL_UINT, /* v.u */
	SDB_CELL_REAL, /* v.r: shortest round-trip digits, as JavaScript (util/num.h) */
	SDB_CELL_NUM,  /* p[0..n): a number in JSON syntax, written as it is */
	SDB_CELL_BOOL, /* v.i: 0 false, else true */
	SDB_CELL_TEXT, /* p[0..n): bytes, normally UTF-8 */
	SDB_CELL_BLOB, /* p[0..n): bytes */
};

struct sdb_cell {
	enum sdb_cell_type type;
	union {
		int64_t i;
		uint64_t u;
		double r;
	} v;
	const char *p;
	size_t n;
};

static inline struct sdb_cell sdb_cell_absent(void)
{
	struct sdb_cell c = { SDB_CELL_ABSENT, { 0 }, NULL, 0 };
	return c;
}
static inline struct sdb_cell sdb_cell_null(void)
{
	struct sdb_cell c = { SDB_CELL_NULL, { 0 }, NULL, 0 };
	return c;
}
static inline struct sdb_cell sdb_cell_int(int64_t i)
{
	struct sdb_cell c = { SDB_CELL_INT, { .i = i }, NULL, 0 };
	return c;
}
static inline struct sdb_cell sdb_cell_uint(uint64_t u)
{
	struct sdb_cell c = { SDB_CELL_UINT, { .u = u }, NULL, 0 };
	return c;
}
static inline struct sdb_cell sdb_cell_real(double r)
{
	struct sdb_cell c = { SDB_CELL_REAL, { .r = r }, NULL, 0 };
	return c;
}
static inline struct sdb_cell sdb_cell_bool(int b)
{
	struct sdb_cell c = { SDB_CELL_BOOL, { .i = !!b }, NULL, 0 };
	return c;
}
/* A number in JSON syntax, NUL-terminated (kept by reference). */
static inline struct sdb_cell sdb_cell_num(const char *s)
{
	struct sdb_cell c = { SDB_CELL_NUM, { 0 }, s, strlen(s) };
	return c;
}
static inline struct sdb_cell sdb_cell_text(const void *p, size_t n)
{
	struct sdb_cell c = { SDB_CELL_TEXT, { 0 }, p ? (const char *)p : "", n };
	return c;
}
static inline struct sdb_cell sdb_cell_str(const char *s)
{
	return sdb_cell_text(s, strlen(s));
}
static inline struct sdb_cell sdb_cell_blob(const void *p, size_t n)
{
	struct sdb_cell c = { SDB_CELL_BLOB, { 0 }, p ? (const char *)p : "", n };
	return c;
}

/* Column flags. */
#define SDB_FMT_COL_B64 1u /* binary fallback NAME_b64 (see DESIGN above) */

struct sdb_fmt_col {
	const char *name;
	unsigned flags;
};

/* Writer flags. */
#define SDB_FMT_HEADER 1u /* tsv, csv: a first line of column names */

/*
 * Receives output: p[0..n). @return 0, or a negative enum sdb_err with e
 * filled (e.g. SDB_EIO for a failed write); the writer returns it.
 */
typedef int (*sdb_fmt_sink)(void *ctx, const char *p, size_t n,
			    struct sdb_error *e);

struct sdb_fmt_opts {
	enum sdb_fmt fmt;
	unsigned flags;    /* SDB_FMT_HEADER */
	struct sdb_buf *out; /* where the text goes (required) */
	sdb_fmt_sink sink; /* NULL: everything stays in out */
	void *sink_ctx;
};

/* Settings of the sqlite3-style tools (sochdb-sql), given to a writer
 * with sdb_fmt_set after sdb_fmt_begin; a writer without them has the
 * defaults (all zero). */
struct sdb_fmt_more {
	/* NULL: csv empty, tsv \N, table/box/markdown/line "" (sqlite3's
	 * .nullvalue); else the text of a null cell in those formats */
	const char *null_text;
	size_t mem_limit;    /* buffered formats spill past this (0: never) */
	const char *tmp_dir; /* where they spill (NULL: $TMPDIR, else /tmp) */
};

/* A table being written. Fields are private to fmt.c. */
struct sdb_fmt_writer {
	struct sdb_fmt_opts o;
	struct sdb_fmt_more m;
	const struct sdb_fmt_col *cols;
	size_t ncols;
	uint64_t nrows;
	const char *key;        /* a table inside a record: its field name */
	struct sdb_buf rows;    /* toon, table ...: the buffered rows */
	unsigned char *seen;    /* toon: per column, 1 main cell, 2 b64 cell */
	size_t *width;          /* table, box, markdown: per column */
	size_t name_width;      /* line: the longest column name */
	struct sdb_buf scratch; /* table ..., line: a cell's text */
	int spill_fd;           /* fd + 1 of the rows spilled so far, or 0 */
	uint64_t spilled;       /* bytes in spill_fd */
};

/*
 * Starts a table with the ncols columns cols (kept by reference until
 * sdb_fmt_end). Writes the tsv/csv header or json's '['.
 * @return 0, or SDB_ENOMEM / the sink's error.
 */
int sdb_fmt_begin(struct sdb_fmt_writer *w, const struct sdb_fmt_opts *o,
		  const struct sdb_fmt_col *cols, size_t ncols,
		  struct sdb_error *e);
/* Applies the settings m (copied; null_text and tmp_dir kept by
 * reference) to a writer begun, before its first row. */
void sdb_fmt_set(struct sdb_fmt_writer *w, const struct sdb_fmt_more *m);
/* Writes (toon: buffers) one row of ncols cells. @return 0 or an error. */
int sdb_fmt_row(struct sdb_fmt_writer *w, const struct sdb_cell *cells,
		struct sdb_error *e);
/*
 * Ends the table: writes toon's buffered table or json's ']', hands the
 * rest to the sink, and releases w. @return 0 or an error (w is released
 * either way).
 */
int sdb_fmt_end(struct sdb_fmt_writer *w, struct sdb_error *e);
/* Releases w without writing anything more (error paths; NULL allowed). */
void sdb_fmt_release(struct sdb_fmt_writer *w);

/*
 * One field of a record: a cell; or, when list is set, an inline list of
 * nlist cells (toon NAME[N]: a,b; json "NAME":[a,b]); or, when cols is
 * set too, a table of nlist rows of ncols cells each, row-major (toon
 * NAME[N]{...}: with indented rows; json "NAME":[{...}]). Absent cells
 * leave their field out.
 */
struct sdb_fmt_field {
	const char *name;
	struct sdb_cell cell;
	const struct sdb_cell *list;
	size_t nlist;
	const struct sdb_fmt_col *cols;
	size_t ncols;
};

/*
 * Writes one record (a statistics or info object): toon "name: value"
 * lines, json or jsonl one object on one line. tsv and csv have no record
 * form (SDB_EINVAL). Hands the output to the sink when there is one.
 * @return 0 or an error.
 */
int sdb_fmt_record(const struct sdb_fmt_opts *o, const struct sdb_fmt_field *f,
		   size_t n, struct sdb_error *e);

#endif
