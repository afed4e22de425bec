/*
 * fmt.c - the one row writer (see fmt.h for the rules of each format).
 *
 * DESIGN. tsv, csv, json and jsonl stream: each row is written into the
 * output buffer at once. toon is count-first, so its rows are kept in a
 * compact arena (one tag byte per cell, then 8 bytes of number or a
 * length and the bytes) and written at the end, when the row count and
 * the set of columns in use are known. table, box and markdown keep their
 * rows the same way (the widths are known only at the end) and track each
 * column's width as rows arrive. Past opts.mem_limit the arena goes to an
 * unlinked temporary file, mapped back at the end.
 */
#define _GNU_SOURCE
#include "fmt/fmt.h"

#include "json/json.h"
#include "toon/toon.h"
#include "util/num.h"
#include "util/text.h"
#include "util/tsv.h"
#include "util/varint.h"

#include "util/io.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Output passes this many bytes: hand it to the sink. */
#define SINK_AT (1u << 20)

/* In the toon arena: the cell belongs in the NAME_b64 column. */
#define TAG_B64 0x80

static const char *const fmt_names[SDB_FMT_COUNT] = {
	"tsv", "csv", "json", "jsonl", "toon", "table", "box", "markdown", "line"
};

const char *sdb_fmt_name(enum sdb_fmt f)
{
	return (unsigned)f < SDB_FMT_COUNT ? fmt_names[f] : "?";
}

int sdb_fmt_parse(const char *name, unsigned allowed, enum sdb_fmt *out,
		  struct sdb_error *e)
{
	char list[160] = "";
	size_t len = 0;
	int n = 0, k = 0;

	for (int f = 0; f < SDB_FMT_COUNT; f++)
		if (allowed & SDB_FMT_BIT(f)) {
			if (!strcmp(name, fmt_names[f])) {
				*out = (enum sdb_fmt)f;
				return 0;
			}
			n++;
		}
	for (int f = 0; f < SDB_FMT_COUNT; f++)
		if (allowed & SDB_FMT_BIT(f)) {
			k++;
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						k == 1 ? "" : k == n ? " or " : ", ", fmt_names[f]);
		}
	return sdb_error_set(e, SDB_EINVAL, "invalid value '%s' for --format (expected %s)",
			     name, list);
}

/* ------------------------------------------------------------ helpers */

static int oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* Hands the output to the sink (all of it, or once past SINK_AT). */
static inline int drain(const struct sdb_fmt_opts *o, int all, struct sdb_error *e)
{
	int rc;

	if (__builtin_expect(!sdb_buf_ok(o->out), 0))
		return oom(e);
	if (!o->sink || !o->out->len || (!all && o->out->len < SINK_AT))
		return 0;
	rc = o->sink(o->sink_ctx, o->out->data, o->out->len, e);
	sdb_buf_reset(o->out);
	return rc;
}

/* Whether the cell goes to the NAME_b64 column. */
static int wants_b64(const struct sdb_fmt_col *c, const struct sdb_cell *x)
{
	if (!(c->flags & SDB_FMT_COL_B64))
		return 0;
	return x->type == SDB_CELL_BLOB ||
	       (x->type == SDB_CELL_TEXT && sdb_utf8_check(x->p, x->n));
}

/* A number or a literal: the same text in every format. @return 1 when
 * written, 0 when the cell is not one. */
static int put_scalar(struct sdb_buf *b, const struct sdb_cell *x)
{
	switch (x->type) {
	case SDB_CELL_INT:
		sdb_buf_add_i64(b, x->v.i);
		return 1;
	case SDB_CELL_UINT:
		sdb_buf_add_u64(b, x->v.u);
		return 1;
	case SDB_CELL_REAL:
		sdb_num_from_double(x->v.r, b);
		return 1;
	case SDB_CELL_NUM:
		sdb_buf_add(b, x->p, x->n);
		return 1;
	case SDB_CELL_BOOL:
		sdb_buf_adds(b, x->v.i ? "true" : "false");
		return 1;
	default:
		return 0;
	}
}

/* A json or toon value. b64: the base64 of the bytes as a string. */
static void put_value(struct sdb_buf *b, enum sdb_fmt f, const struct sdb_cell *x,
		      int b64)
{
	if (put_scalar(b, x))
		return;
	if (x->type == SDB_CELL_NULL || x->type == SDB_CELL_ABSENT) {
		sdb_buf_adds(b, "null");
	} else if (b64 || x->type == SDB_CELL_BLOB) {
		sdb_buf_addc(b, '"');
		sdb_b64_encode(b, x->p, x->n);
		sdb_buf_addc(b, '"');
	} else if (f == SDB_FMT_TOON) {
		sdb_toon_quote(b, x->p, x->n, ',');
	} else {
		sdb_json_quote(b, x->p, x->n);
	}
}

/* csv: quoted as sqlite3 -csv quotes (see fmt.h). */
static void put_csv(struct sdb_buf *b, const char *p, size_t n)
{
	int q = !n;

	for (size_t i = 0; i < n && !q; i++) {
		unsigned char c = (unsigned char)p[i];
		q = c < 0x21 || c >= 0x7f || c == '"' || c == '\'' || c == ',';
	}
	if (!q) {
		sdb_buf_add(b, p, n);
		return;
	}
	sdb_buf_addc(b, '"');
	for (const char *s = p, *end = p + n; s < end;) {
		const char *dq = memchr(s, '"', (size_t)(end - s));
		size_t run = dq ? (size_t)(dq - s) + 1 : (size_t)(end - s);
		sdb_buf_add(b, s, run);
		if (dq)
			sdb_buf_addc(b, '"');
		s += run;
	}
	sdb_buf_addc(b, '"');
}

/* json: "NAME" or "NAME_b64" and a colon. */
static void put_json_name(struct sdb_buf *b, const char *name, int b64)
{
	sdb_json_quote(b, name, strlen(name));
	if (b64 && b->len) {
		b->len--; /* before the closing quote */
		sdb_buf_adds(b, "_b64\"");
	}
	sdb_buf_addc(b, ':');
}

/* One json object of a row. */
static void put_json_row(struct sdb_buf *b, const struct sdb_fmt_col *cols,
			 size_t ncols, const struct sdb_cell *cells)
{
	int first = 1;

	sdb_buf_addc(b, '{');
	for (size_t c = 0; c < ncols; c++) {
		int b64;
		if (cells[c].type == SDB_CELL_ABSENT)
			continue;
		b64 = wants_b64(&cols[c], &cells[c]);
		if (!first)
			sdb_buf_addc(b, ',');
		first = 0;
		put_json_name(b, cols[c].name, b64);
		put_value(b, SDB_FMT_JSON, &cells[c], b64);
	}
	sdb_buf_addc(b, '}');
}

/* ------------------------------------------------------- toon arena */

static void arena_cell(struct sdb_buf *a, const struct sdb_cell *x, int b64)
{
	unsigned char h[32]; /* tag + a varint (at most 10 bytes) or 8 */
	int hl = 1;

	h[0] = (unsigned char)(x->type | (b64 ? TAG_B64 : 0));
	switch (x->type) {
	case SDB_CELL_INT:
	case SDB_CELL_UINT:
	case SDB_CELL_REAL:
	case SDB_CELL_BOOL:
		memcpy(h + 1, &x->v, sizeof(x->v));
		sdb_buf_add(a, h, 1 + sizeof(x->v));
		break;
	case SDB_CELL_NUM:
	case SDB_CELL_TEXT:
	case SDB_CELL_BLOB:
		hl += sdb_put_varint(h + 1, x->n);
		sdb_buf_add(a, h, (size_t)hl);
		sdb_buf_add(a, x->p, x->n);
		break;
	default:
		sdb_buf_addc(a, (char)h[0]);
		break;
	}
}

/* Reads the cell at *at of the arena a[0..len) back. @return whether it
 * is a b64 cell. */
static int arena_read(const char *a, size_t len, size_t *at, struct sdb_cell *x)
{
	const unsigned char *p = (const unsigned char *)a + *at;
	unsigned char tag = *p++;
	uint64_t n = 0;

	x->type = (enum sdb_cell_type)(tag & ~TAG_B64);
	switch (x->type) {
	case SDB_CELL_INT:
	case SDB_CELL_UINT:
	case SDB_CELL_REAL:
	case SDB_CELL_BOOL:
		memcpy(&x->v, p, sizeof(x->v));
		p += sizeof(x->v);
		break;
	case SDB_CELL_NUM:
	case SDB_CELL_TEXT:
	case SDB_CELL_BLOB:
		/* written by arena_cell: the varint is complete */
		p = sdb_get_varint(p, (const unsigned char *)a + len, &n);
		x->n = (size_t)n;
		x->p = (const char *)p;
		p += n;
		break;
	default:
		break;
	}
	*at = (size_t)(p - (const unsigned char *)a);
	return !!(tag & TAG_B64);
}

/* A toon column name: NAME, or NAME_b64. */
static void toon_col_name(struct sdb_buf *b, const char *name, int b64)
{
	struct sdb_buf n = SDB_BUF_INIT;

	if (!b64) {
		sdb_toon_key(b, name, strlen(name));
		return;
	}
	sdb_buf_adds(&n, name);
	sdb_buf_adds(&n, "_b64");
	sdb_toon_key(b, n.data ? n.data : "", n.len);
	b->oom |= n.oom;
	sdb_buf_release(&n);
}

/* One line of the toon table without its end: the column names of the
 * header (at NULL), or the cells of the buffered row at *at of a[0..len). */
static void toon_line(struct sdb_fmt_writer *w, size_t *at, const char *a, size_t len)
{
	struct sdb_buf *b = w->o.out;
	int first = 1;

	for (size_t c = 0; c < w->ncols; c++) {
		struct sdb_cell x;
		int b64 = at ? arena_read(a, len, at, &x) : 0;
		for (int part = 1; part <= 2; part++) {
			if (!(w->seen[c] & part))
				continue;
			if (!first)
				sdb_buf_addc(b, ',');
			first = 0;
			if (!at)
				toon_col_name(b, w->cols[c].name, part == 2);
			else if (b64 == (part == 2))
				put_value(b, SDB_FMT_TOON, &x, b64);
			else
				sdb_buf_adds(b, "null");
		}
	}
}

/* Writes the buffered toon table of the arena a[0..len). @return 0 or the
 * sink's error. */
static int toon_table(struct sdb_fmt_writer *w, const char *a, size_t len,
		      struct sdb_error *e)
{
	struct sdb_buf *b = w->o.out;
	int rc = 0;

	if (w->key)
		sdb_toon_key(b, w->key, strlen(w->key));
	if (!w->nrows) {
		sdb_buf_adds(b, w->key ? ": []\n" : "[]\n");
		return 0;
	}
	sdb_buf_addf(b, "[%" PRIu64 "]{", w->nrows);
	toon_line(w, NULL, a, len);
	sdb_buf_adds(b, "}:\n");
	for (size_t at = 0; at < len && !rc;) {
		sdb_buf_adds(b, "  ");
		toon_line(w, &at, a, len);
		sdb_buf_addc(b, '\n');
		rc = drain(&w->o, 0, e);
	}
	return rc;
}

/* ------------------------------------------------------------ spilling */

/* Moves the arena to the spill file (opened on first use). */
static int spill(struct sdb_fmt_writer *w, struct sdb_error *e)
{
	int rc;

	if (!w->spill_fd) {
		int fd;
		if ((rc = sdb_io_tmpfile(w->m.tmp_dir, "spill file", &fd, e)))
			return rc;
		w->spill_fd = fd + 1;
	}
	rc = sdb_io_write_all(w->spill_fd - 1, w->rows.data, w->rows.len, "spill file", e);
	w->spilled += w->rows.len;
	sdb_buf_reset(&w->rows);
	return rc;
}

/* After a row went into the arena: spill past the limit. */
static int arena_check(struct sdb_fmt_writer *w, struct sdb_error *e)
{
	if (!sdb_buf_ok(&w->rows))
		return oom(e);
	if (w->m.mem_limit && w->rows.len >= w->m.mem_limit)
		return spill(w, e);
	return 0;
}

/* The whole arena, in memory or mapped from the spill file: *a, *len;
 * *map set when it must be unmapped. */
static int arena_all(struct sdb_fmt_writer *w, const char **a, size_t *len,
		     void **map, struct sdb_error *e)
{
	int rc;

	*map = NULL;
	if (!w->spill_fd) {
		*a = w->rows.data;
		*len = w->rows.len;
		return 0;
	}
	if (w->rows.len && (rc = spill(w, e)))
		return rc;
	*len = (size_t)w->spilled;
	*a = NULL;
	if (!*len)
		return 0;
	*map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, w->spill_fd - 1, 0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return sdb_error_sys(e, SDB_EIO, "cannot map the spill file");
	}
	madvise(*map, *len, MADV_SEQUENTIAL);
	*a = *map;
	return 0;
}

/* -------------------------------------------- table, box, markdown, line */

static int is_columnar(enum sdb_fmt f)
{
	return f == SDB_FMT_TABLE || f == SDB_FMT_BOX || f == SDB_FMT_MARKDOWN;
}

/*
 * The text of a cell in the sqlite3 modes: *p, *n (numbers formatted into
 * tmp). Null and absent: null_text.
 */
static void cell_text(const struct sdb_fmt_more *o, const struct sdb_cell *x,
		      struct sdb_buf *tmp, const char **p, size_t *n)
{
	size_t at = tmp->len;

	switch (x->type) {
	case SDB_CELL_TEXT:
	case SDB_CELL_BLOB:
	case SDB_CELL_NUM:
		*p = x->p;
		*n = x->n;
		return;
	case SDB_CELL_NULL:
	case SDB_CELL_ABSENT:
		*p = o->null_text ? o->null_text : "";
		*n = strlen(*p);
		return;
	default:
		put_scalar(tmp, x);
		*p = NULL; /* resolved by the caller: tmp may move */
		*n = tmp->len - at;
		return;
	}
}

/*
 * One display line of a cell's text p[0..n) from *at, as sqlite3's
 * columnar modes show it: appended to b (when not NULL); @return its
 * width. *at moves past the line and its break.
 */
static size_t disp_line(const char *p, size_t n, size_t *at, struct sdb_buf *b)
{
	size_t i = *at, w = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\t') {
			do {
				if (b)
					sdb_buf_addc(b, ' ');
				w++;
			} while (w & 7);
			i++;
			continue;
		}
		if (c < 0x20) {
			if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
			i++;
			break;
		}
		if (b)
			sdb_buf_addc(b, (char)c);
		w += (c & 0xc0) != 0x80;
		i++;
	}
	*at = i;
	return w;
}

/* The displayed length of a cell: up to its first NUL. */
static size_t disp_len(const char *p, size_t n)
{
	const char *z = memchr(p, 0, n);
	return z ? (size_t)(z - p) : n;
}

/* The widest display line of p[0..n). */
static size_t disp_width(const char *p, size_t n)
{
	size_t at = 0, w = 0;

	n = disp_len(p, n);
	do {
		size_t lw = disp_line(p, n, &at, NULL);
		if (lw > w)
			w = lw;
	} while (at < n);
	return w;
}

static void put_rep(struct sdb_buf *b, const char *s, size_t k)
{
	size_t n = strlen(s);

	while (k--)
		sdb_buf_add(b, s, n);
}

/* A border line: left, fill per column width + 2, joints, right. */
static void col_border(struct sdb_fmt_writer *w, const char *l, const char *fill,
		       const char *mid, const char *r)
{
	struct sdb_buf *b = w->o.out;

	sdb_buf_adds(b, l);
	for (size_t c = 0; c < w->ncols; c++) {
		if (c)
			sdb_buf_adds(b, mid);
		put_rep(b, fill, w->width[c] + 2);
	}
	sdb_buf_adds(b, r);
	sdb_buf_addc(b, '\n');
}

/* The vertical bar of the format. */
static const char *col_bar(enum sdb_fmt f)
{
	return f == SDB_FMT_BOX ? "\xe2\x94\x82" : "|";
}

/* The header line: each name's first display line, centred. */
static void col_header(struct sdb_fmt_writer *w)
{
	struct sdb_buf *b = w->o.out;
	const char *bar = col_bar(w->o.fmt);

	for (size_t c = 0; c < w->ncols; c++) {
		const char *name = w->cols[c].name;
		size_t at = 0, n = strlen(name), hw, pad, left;
		struct sdb_buf line = SDB_BUF_INIT;
		hw = disp_line(name, n, &at, &line);
		pad = w->width[c] - hw;
		left = pad / 2;
		sdb_buf_adds(b, bar);
		put_rep(b, " ", left + 1);
		if (line.len)
			sdb_buf_add(b, line.data, line.len);
		b->oom |= line.oom;
		sdb_buf_release(&line);
		put_rep(b, " ", pad - left + 1);
	}
	sdb_buf_adds(b, bar);
	sdb_buf_addc(b, '\n');
}

struct disp_cell {
	const char *p;
	size_t n, at;
};

/* Writes one buffered row (its cells x), as many lines as its tallest
 * cell. */
static void col_row(struct sdb_fmt_writer *w, const struct sdb_cell *x,
		    struct disp_cell *d)
{
	struct sdb_buf *b = w->o.out;
	const char *bar = col_bar(w->o.fmt);
	int more, first = 1;

	sdb_buf_reset(&w->scratch);
	for (size_t c = 0; c < w->ncols; c++) {
		size_t off = w->scratch.len;
		cell_text(&w->m, &x[c], &w->scratch, &d[c].p, &d[c].n);
		d[c].at = d[c].p ? SIZE_MAX : off; /* SIZE_MAX: not in scratch */
	}
	for (size_t c = 0; c < w->ncols; c++) {
		if (d[c].at != SIZE_MAX)
			d[c].p = w->scratch.data ? w->scratch.data + d[c].at : "";
		d[c].at = 0;
		d[c].n = disp_len(d[c].p, d[c].n);
	}
	do {
		more = 0;
		for (size_t c = 0; c < w->ncols; c++) {
			size_t lw = 0;
			sdb_buf_adds(b, bar);
			sdb_buf_addc(b, ' ');
			if (first || d[c].at < d[c].n)
				lw = disp_line(d[c].p, d[c].n, &d[c].at, b);
			put_rep(b, " ", w->width[c] - lw + 1);
			more |= d[c].at < d[c].n;
		}
		sdb_buf_adds(b, bar);
		sdb_buf_addc(b, '\n');
		first = 0;
	} while (more);
}

/* Writes the buffered table, box or markdown table of the arena a[0..len). */
static int col_table(struct sdb_fmt_writer *w, const char *a, size_t len,
		     struct sdb_error *e)
{
	enum sdb_fmt f = w->o.fmt;
	int head = !!(w->o.flags & SDB_FMT_HEADER), rc = 0;
	struct sdb_cell *x;
	struct disp_cell *d;

	if (!w->nrows)
		return 0;
	x = calloc(w->ncols ? w->ncols : 1, sizeof(*x));
	d = calloc(w->ncols ? w->ncols : 1, sizeof(*d));
	if (!x || !d) {
		free(x);
		free(d);
		return oom(e);
	}
	if (f == SDB_FMT_TABLE)
		col_border(w, "+", "-", "+", "+");
	else if (f == SDB_FMT_BOX)
		col_border(w, "\xe2\x94\x8c", "\xe2\x94\x80", "\xe2\x94\xac", "\xe2\x94\x90");
	if (head) {
		col_header(w);
		if (f == SDB_FMT_TABLE)
			col_border(w, "+", "-", "+", "+");
		else if (f == SDB_FMT_BOX)
			col_border(w, "\xe2\x94\x9c", "\xe2\x94\x80", "\xe2\x94\xbc", "\xe2\x94\xa4");
		else
			col_border(w, "|", "-", "|", "|");
	}
	for (size_t at = 0; at < len && !rc;) {
		for (size_t c = 0; c < w->ncols; c++)
			arena_read(a, len, &at, &x[c]);
		col_row(w, x, d);
		rc = drain(&w->o, 0, e);
	}
	if (!rc && f == SDB_FMT_TABLE)
		col_border(w, "+", "-", "+", "+");
	else if (!rc && f == SDB_FMT_BOX)
		col_border(w, "\xe2\x94\x94", "\xe2\x94\x80", "\xe2\x94\xb4", "\xe2\x94\x98");
	free(x);
	free(d);
	return rc;
}

/* Buffers a row of a columnar table, widening its columns. */
static void col_add(struct sdb_fmt_writer *w, const struct sdb_cell *cells)
{
	for (size_t c = 0; c < w->ncols; c++) {
		const char *p;
		size_t n, wd;
		sdb_buf_reset(&w->scratch);
		cell_text(&w->m, &cells[c], &w->scratch, &p, &n);
		if (!p)
			p = w->scratch.data ? w->scratch.data : "";
		wd = disp_width(p, n);
		if (wd > w->width[c])
			w->width[c] = wd;
		arena_cell(&w->rows, &cells[c], 0);
	}
}

/* One row of line mode. */
static void line_row(struct sdb_fmt_writer *w, const struct sdb_cell *cells)
{
	struct sdb_buf *b = w->o.out;

	if (w->nrows)
		sdb_buf_addc(b, '\n');
	for (size_t c = 0; c < w->ncols; c++) {
		const char *name = w->cols[c].name, *p;
		size_t n, nl = strlen(name);
		put_rep(b, " ", w->name_width - nl);
		sdb_buf_add(b, name, nl);
		sdb_buf_adds(b, " = ");
		sdb_buf_reset(&w->scratch);
		cell_text(&w->m, &cells[c], &w->scratch, &p, &n);
		if (!p)
			p = w->scratch.data ? w->scratch.data : "";
		sdb_buf_add(b, p, n);
		sdb_buf_addc(b, '\n');
	}
}

/* ------------------------------------------------------------- tables */

int sdb_fmt_begin(struct sdb_fmt_writer *w, const struct sdb_fmt_opts *o,
		  const struct sdb_fmt_col *cols, size_t ncols,
		  struct sdb_error *e)
{
	struct sdb_buf *b = o->out;

	memset(w, 0, sizeof(*w));
	w->o = *o;
	w->cols = cols;
	w->ncols = ncols;
	switch (o->fmt) {
	case SDB_FMT_TABLE:
	case SDB_FMT_BOX:
	case SDB_FMT_MARKDOWN:
		w->width = calloc(ncols ? ncols : 1, sizeof(*w->width));
		if (!w->width)
			return oom(e);
		for (size_t c = 0; c < ncols && (o->flags & SDB_FMT_HEADER); c++) {
			size_t at = 0;
			w->width[c] = disp_line(cols[c].name, strlen(cols[c].name), &at, NULL);
		}
		break;
	case SDB_FMT_LINE:
		w->name_width = 5; /* as sqlite3: at least 5 */
		for (size_t c = 0; c < ncols; c++)
			if (strlen(cols[c].name) > w->name_width)
				w->name_width = strlen(cols[c].name);
		break;
	case SDB_FMT_TOON:
		w->seen = calloc(ncols ? ncols : 1, 1);
		if (!w->seen)
			return oom(e);
		break;
	case SDB_FMT_JSON:
		sdb_buf_addc(b, '[');
		break;
	case SDB_FMT_TSV:
	case SDB_FMT_CSV:
		if (!(o->flags & SDB_FMT_HEADER))
			break;
		for (size_t c = 0; c < ncols; c++) {
			if (c)
				sdb_buf_addc(b, o->fmt == SDB_FMT_TSV ? '\t' : ',');
			if (o->fmt == SDB_FMT_TSV)
				sdb_tsv_escape(b, cols[c].name, strlen(cols[c].name));
			else
				put_csv(b, cols[c].name, strlen(cols[c].name));
		}
		sdb_buf_addc(b, '\n');
		break;
	default:
		break;
	}
	return drain(o, 0, e);
}

void sdb_fmt_set(struct sdb_fmt_writer *w, const struct sdb_fmt_more *m)
{
	w->m = *m;
}

int sdb_fmt_row(struct sdb_fmt_writer *w, const struct sdb_cell *cells,
		struct sdb_error *e)
{
	struct sdb_buf *b = w->o.out;
	size_t last = w->ncols;

	switch (w->o.fmt) {
	case SDB_FMT_TSV:
		while (last && cells[last - 1].type == SDB_CELL_ABSENT)
			last--;
		for (size_t c = 0; c < last; c++) {
			const struct sdb_cell *x = &cells[c];
			if (c)
				sdb_buf_addc(b, '\t');
			if (x->type == SDB_CELL_TEXT || x->type == SDB_CELL_BLOB)
				sdb_tsv_escape(b, x->p, x->n);
			else if (put_scalar(b, x))
				;
			else if (w->m.null_text)
				sdb_tsv_escape(b, w->m.null_text, strlen(w->m.null_text));
			else
				sdb_buf_adds(b, "\\N");
		}
		sdb_buf_addc(b, '\n');
		break;
	case SDB_FMT_CSV:
		for (size_t c = 0; c < w->ncols; c++) {
			const struct sdb_cell *x = &cells[c];
			if (c)
				sdb_buf_addc(b, ',');
			if (x->type == SDB_CELL_TEXT || x->type == SDB_CELL_BLOB)
				put_csv(b, x->p, x->n);
			else if (!put_scalar(b, x) && w->m.null_text) /* else empty */
				put_csv(b, w->m.null_text, strlen(w->m.null_text));
		}
		sdb_buf_addc(b, '\n');
		break;
	case SDB_FMT_JSON:
		if (w->nrows)
			sdb_buf_addc(b, ',');
		put_json_row(b, w->cols, w->ncols, cells);
		break;
	case SDB_FMT_JSONL:
		put_json_row(b, w->cols, w->ncols, cells);
		sdb_buf_addc(b, '\n');
		break;
	case SDB_FMT_TOON:
		for (size_t c = 0; c < w->ncols; c++) {
			int b64 = wants_b64(&w->cols[c], &cells[c]);
			if (cells[c].type != SDB_CELL_ABSENT)
				w->seen[c] |= b64 ? 2 : 1;
			arena_cell(&w->rows, &cells[c], b64);
		}
		w->nrows++;
		return arena_check(w, e);
	case SDB_FMT_TABLE:
	case SDB_FMT_BOX:
	case SDB_FMT_MARKDOWN:
		col_add(w, cells);
		w->nrows++;
		if (!sdb_buf_ok(&w->scratch))
			return oom(e);
		return arena_check(w, e);
	case SDB_FMT_LINE:
		line_row(w, cells);
		break;
	default:
		return sdb_error_set(e, SDB_EINVAL, "unknown output format");
	}
	w->nrows++;
	return drain(&w->o, 0, e);
}

void sdb_fmt_release(struct sdb_fmt_writer *w)
{
	if (!w)
		return;
	sdb_buf_release(&w->rows);
	sdb_buf_release(&w->scratch);
	free(w->seen);
	w->seen = NULL;
	free(w->width);
	w->width = NULL;
	if (w->spill_fd)
		close(w->spill_fd - 1);
	w->spill_fd = 0;
}

int sdb_fmt_end(struct sdb_fmt_writer *w, struct sdb_error *e)
{
	struct sdb_buf *b = w->o.out;
	int rc = 0;

	if (w->o.fmt == SDB_FMT_TOON || is_columnar(w->o.fmt)) {
		const char *a;
		size_t len;
		void *map;
		rc = arena_all(w, &a, &len, &map, e);
		if (!rc)
			rc = w->o.fmt == SDB_FMT_TOON ? toon_table(w, a, len, e)
						       : col_table(w, a, len, e);
		if (map)
			munmap(map, len);
	} else if (w->o.fmt == SDB_FMT_JSON)
		sdb_buf_adds(b, w->key ? "]" : "]\n");
	if (!rc)
		rc = drain(&w->o, !w->key, e);
	sdb_fmt_release(w);
	return rc;
}

/* ------------------------------------------------------------ records */

int sdb_fmt_record(const struct sdb_fmt_opts *o, const struct sdb_fmt_field *f,
		   size_t n, struct sdb_error *e)
{
	struct sdb_buf *b = o->out;
	int toon = o->fmt == SDB_FMT_TOON, first = 1, rc;

	if (!toon && o->fmt != SDB_FMT_JSON && o->fmt != SDB_FMT_JSONL)
		return sdb_error_set(e, SDB_EINVAL, "format '%s' has no record form",
				     sdb_fmt_name(o->fmt));
	if (!toon)
		sdb_buf_addc(b, '{');
	for (size_t i = 0; i < n; i++) {
		const struct sdb_fmt_field *x = &f[i];
		if (!x->list && x->cell.type == SDB_CELL_ABSENT)
			continue;
		if (!toon && !first)
			sdb_buf_addc(b, ',');
		first = 0;
		if (x->cols) {
			struct sdb_fmt_writer w;
			struct sdb_fmt_opts to = *o;
			to.fmt = toon ? SDB_FMT_TOON : SDB_FMT_JSON;
			to.sink = NULL;
			if (!toon)
				put_json_name(b, x->name, 0);
			if ((rc = sdb_fmt_begin(&w, &to, x->cols, x->ncols, e)))
				return rc;
			w.key = x->name;
			for (size_t r = 0; r < x->nlist; r++)
				if ((rc = sdb_fmt_row(&w, x->list + r * x->ncols, e))) {
					sdb_fmt_release(&w);
					return rc;
				}
			if ((rc = sdb_fmt_end(&w, e)))
				return rc;
			continue;
		}
		if (toon) {
			sdb_toon_key(b, x->name, strlen(x->name));
			if (x->list && !x->nlist)
				sdb_buf_adds(b, ": []");
			else if (x->list)
				sdb_buf_addf(b, "[%zu]: ", x->nlist);
			else
				sdb_buf_adds(b, ": ");
		} else {
			put_json_name(b, x->name, 0);
			if (x->list)
				sdb_buf_addc(b, '[');
		}
		if (x->list) {
			for (size_t k = 0; k < x->nlist; k++) {
				if (k)
					sdb_buf_addc(b, ',');
				put_value(b, o->fmt, &x->list[k], 0);
			}
			if (!toon)
				sdb_buf_addc(b, ']');
		} else {
			put_value(b, o->fmt, &x->cell, 0);
		}
		if (toon)
			sdb_buf_addc(b, '\n');
	}
	if (!toon)
		sdb_buf_adds(b, "}\n");
	return drain(o, 1, e);
}
