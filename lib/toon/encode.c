/*
 * encode.c - TOON v3.3 encoder over a JSON tape (see toon.h).
 *
 * The structure mirrors the reference encoder (@toon-format/toon 2.3.1,
 * src/encode/encoders.ts) function by function, because its output is the
 * byte-for-byte contract: encode_object <-> encodeObjectLines,
 * encode_kv <-> encodeKeyValuePairLines (with key folding),
 * encode_array <-> encodeArrayLines, encode_list_item <->
 * encodeListItemValueLines, encode_object_item <->
 * encodeObjectAsListItemLines.
 *
 * Lines are appended to one buffer that is drained through the caller's
 * flush callback, so output never needs to be held whole; object keys are
 * gathered on a stack that grows and shrinks with the recursion.
 */
#include "toon/toon.h"
#include "util/array.h"
#include "util/num.h"
#include "util/text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kent {
	const char *p;
	size_t n;
	size_t vi; /* tape index of the value */
	int owned;
};

struct enc {
	const struct sdb_json_doc *d;
	const struct sdb_toon_enc_opts *o;
	struct sdb_toon_out *out;
	struct sdb_buf *b;
	struct sdb_error *e;
	int rc;
	int first_line;
	struct kent *ents;
	size_t nents, cap;
	size_t root_base, root_n; /* root object's keys (for folding) */
	int have_root;
	struct sdb_buf sv, sk;     /* scratch: string value, key compare */
	struct sdb_buf path;       /* folding path prefixes, nested */
	size_t pstart;             /* the current prefix is path[pstart..len) */
	size_t *vals;              /* tabular row value slots */
	int all_in_order;          /* every row of the last table in header order */
	size_t vals_cap;
	size_t flush_at;           /* out->flush_at, or never without flush */
	int no_par;                /* no chunked encoding below this point */
};

#define TYPE(x, i) sdb_json_type((x)->d, (i))
#define IS_PRIM(t) ((t) <= SDB_J_STRING)

static void flush_now(struct enc *x)
{
	struct sdb_toon_out *o = x->out;

	if (!o->flush || x->rc)
		return;
	x->rc = o->flush(o->ctx, o->buf.data, o->buf.len, x->e);
	sdb_buf_reset(&o->buf);
}

static inline void flush_maybe(struct enc *x)
{
	if (__builtin_expect(x->b->len >= x->flush_at, 0))
		flush_now(x);
}

static const char spaces64[64] = "                                                                ";

/* Starts a line: a newline (not before the first) and the indentation. */
static inline void line_start(struct enc *x, int depth)
{
	size_t sp = (size_t)x->o->indent * (size_t)depth;
	struct sdb_buf *b = x->b;
	char *d;

	flush_maybe(x);
	if (sdb_buf_grow(b, sp + 64))
		return;
	d = b->data + b->len;
	*d = '\n';
	d += !x->first_line;
	x->first_line = 0;
	if (sp <= 32) /* one fixed-size move; the bytes past sp are scratch */
		memcpy(d, spaces64, 32);
	else
		memset(d, ' ', sp);
	d[sp] = 0;
	b->len = (size_t)(d + sp - b->data);
}

static const char hexd[] = "0123456789abcdef";

static void add_escaped(struct sdb_buf *b, const char *p, size_t n)
{
	size_t i = 0;

	sdb_buf_grow(b, n + 2);
	sdb_buf_addc(b, '"');
	while (i < n) {
		size_t j = i;
		while (j < n && (unsigned char)p[j] >= 0x20 && p[j] != '"' && p[j] != '\\')
			j++;
		sdb_buf_add(b, p + i, j - i);
		if (j >= n)
			break;
		unsigned char c = (unsigned char)p[j];
		switch (c) {
		case '"': sdb_buf_add(b, "\\\"", 2); break;
		case '\\': sdb_buf_add(b, "\\\\", 2); break;
		case '\n': sdb_buf_add(b, "\\n", 2); break;
		case '\r': sdb_buf_add(b, "\\r", 2); break;
		case '\t': sdb_buf_add(b, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
			sdb_buf_add(b, u, 6);
		}
		}
		i = j + 1;
	}
	sdb_buf_addc(b, '"');
}

/* bytes that force quoting a value (besides the delimiter) */
static const unsigned char unsafe[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[':'] = 1, ['"'] = 1, ['\\'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
};

/* isSafeUnquoted of the reference encoder. */
static int safe_unquoted(const char *p, size_t n, char delim)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n == 0 || u[0] == '-')
		return 0;
	if ((u[0] <= ' ' || u[0] >= 0x80) && sdb_js_space_prefix(p, n))
		return 0;
	if ((u[n - 1] == ' ' || u[n - 1] >= 0x80) && sdb_js_space_suffix(p, n))
		return 0;
	if ((n == 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) ||
	    (n == 5 && !memcmp(p, "false", 5)))
		return 0;
	if (u[0] >= '0' && u[0] <= '9' && sdb_num_syntax(p, n, 1))
		return 0;
	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			if (unsafe[u[i]] || u[i] == (unsigned char)delim)
				return 0;
		return 1;
	}
	{
		const char set[8] = { ':', '"', '\\', '[', ']', '{', '}', delim };
		return sdb_find_special(p, n, set) == n;
	}
}

static void add_string(struct enc *x, const char *p, size_t n, char delim)
{
	if (safe_unquoted(p, n, delim))
		sdb_buf_add(x->b, p, n);
	else
		add_escaped(x->b, p, n);
}

void sdb_toon_quote(struct sdb_buf *out, const char *p, size_t n, char delim)
{
	if (safe_unquoted(p, n, delim))
		sdb_buf_add(out, p, n);
	else
		add_escaped(out, p, n);
}

/* /^[A-Z_][\w.]*$/i: 1 = may start a key, 2 = may continue one */
static const unsigned char keychar[256] = {
	['.'] = 2,
	['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2,
	['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
	['_'] = 3,
	['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3,
	['H'] = 3, ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3,
	['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3, ['S'] = 3, ['T'] = 3, ['U'] = 3,
	['V'] = 3, ['W'] = 3, ['X'] = 3, ['Y'] = 3, ['Z'] = 3,
	['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3,
	['h'] = 3, ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3,
	['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3, ['s'] = 3, ['t'] = 3, ['u'] = 3,
	['v'] = 3, ['w'] = 3, ['x'] = 3, ['y'] = 3, ['z'] = 3,
};

static int valid_unquoted_key(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n == 0 || !(keychar[u[0]] & 1))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!keychar[u[i]])
			return 0;
	return 1;
}

int sdb_toon_ident_segment(const char *p, size_t n)
{
	return valid_unquoted_key(p, n) && !memchr(p, '.', n);
}

void sdb_toon_key(struct sdb_buf *out, const char *p, size_t n)
{
	if (valid_unquoted_key(p, n))
		sdb_buf_add(out, p, n);
	else
		add_escaped(out, p, n);
}

static void add_key(struct enc *x, const char *p, size_t n)
{
	if (valid_unquoted_key(p, n))
		sdb_buf_add(x->b, p, n);
	else
		add_escaped(x->b, p, n);
}

static void add_prim(struct enc *x, size_t i, char delim)
{
	const char *p;
	size_t n;

	switch (TYPE(x, i)) {
	case SDB_J_NULL: sdb_buf_add(x->b, "null", 4); break;
	case SDB_J_TRUE: sdb_buf_add(x->b, "true", 4); break;
	case SDB_J_FALSE: sdb_buf_add(x->b, "false", 5); break;
	case SDB_J_NUMBER:
		sdb_json_num(x->d, i, x->o->exact, x->b);
		break;
	default:
		sdb_json_str(x->d, i, &p, &n, &x->sv);
		add_string(x, p, n, delim);
	}
}

/* ---- object entries, kept on a stack ---- */

/* Pushes the entries of object obj. @return the stack base of them. */
static size_t collect(struct enc *x, size_t obj, size_t *count)
{
	size_t base = x->nents, end = (size_t)SDB_JT_END(x->d->tape[obj]);

	for (size_t j = obj + 1; j < end;) {
		struct kent *k;
		size_t vi = sdb_json_next(x->d, j);
		if (x->nents == x->cap &&
		    sdb_grow((void **)&x->ents, &x->cap, x->nents + 1, sizeof(*x->ents), 256)) {
			x->rc = sdb_error_set(x->e, SDB_ENOMEM, "out of memory");
			break;
		}
		k = &x->ents[x->nents++];
		k->vi = vi;
		k->owned = 0;
		sdb_json_raw(x->d, j, &k->p, &k->n);
		if (SDB_JT_ESC(x->d->tape[j])) {
			struct sdb_buf t = SDB_BUF_INIT;
			sdb_json_unescape(k->p, k->n, &t);
			k->p = sdb_buf_detach(&t, &k->n);
			k->owned = 1;
			if (!k->p) {
				x->rc = sdb_error_set(x->e, SDB_ENOMEM, "out of memory");
				k->p = "";
				k->owned = 0;
			}
		}
		j = sdb_json_next(x->d, vi);
	}
	*count = x->nents - base;
	return base;
}

static void pop(struct enc *x, size_t base)
{
	while (x->nents > base) {
		struct kent *k = &x->ents[--x->nents];
		if (k->owned)
			free((char *)k->p);
	}
}

static int is_empty_obj(const struct enc *x, size_t i)
{
	return TYPE(x, i) == SDB_J_OBJECT && SDB_JT_END(x->d->tape[i]) == i + 1;
}

/* ---- arrays ---- */

struct shape {
	size_t n;
	int all_prim, all_arr, all_obj;
};

/* The parser recorded each container's child count and child types. */
static void array_shape(const struct enc *x, size_t a, struct shape *s)
{
	unsigned k = SDB_JT_KINDS(x->d->tape[a]);

	s->n = sdb_json_count(x->d, a);
	s->all_prim = !(k & (1u << SDB_J_ARRAY | 1u << SDB_J_OBJECT));
	s->all_arr = !(k & ~(1u << SDB_J_ARRAY));
	s->all_obj = !(k & ~(1u << SDB_J_OBJECT));
}

static int array_all_prim(const struct enc *x, size_t a)
{
	return !(SDB_JT_KINDS(x->d->tape[a]) & (1u << SDB_J_ARRAY | 1u << SDB_J_OBJECT));
}

static void add_header(struct enc *x, const char *key, size_t kn, size_t len,
		       size_t fbase, size_t nf)
{
	char num[32];
	int w;
	char delim = x->o->delimiter;

	if (key)
		add_key(x, key, kn);
	{
		char *q = num + sizeof(num);
		do
			*--q = (char)('0' + len % 10);
		while (len /= 10);
		*--q = '[';
		w = (int)(num + sizeof(num) - q);
		sdb_buf_add(x->b, q, (size_t)w);
	}
	if (delim != ',')
		sdb_buf_addc(x->b, delim);
	sdb_buf_addc(x->b, ']');
	if (nf) {
		sdb_buf_addc(x->b, '{');
		for (size_t f = 0; f < nf; f++) {
			if (f)
				sdb_buf_addc(x->b, delim);
			add_key(x, x->ents[fbase + f].p, x->ents[fbase + f].n);
		}
		sdb_buf_addc(x->b, '}');
	}
	sdb_buf_addc(x->b, ':');
}

/* header + " v1,v2" for an array of primitives (no line start). */
static void add_inline_array(struct enc *x, const char *key, size_t kn, size_t a, size_t n)
{
	size_t end = (size_t)SDB_JT_END(x->d->tape[a]);
	char delim = x->o->delimiter;

	add_header(x, key, kn, n, 0, 0);
	if (n == 0)
		return;
	sdb_buf_addc(x->b, ' ');
	for (size_t j = a + 1; j < end; j = sdb_json_next(x->d, j)) {
		if (j != a + 1)
			sdb_buf_addc(x->b, delim);
		add_prim(x, j, delim);
	}
}

static inline int key_eq(struct enc *x, size_t ki, const char *p, size_t n)
{
	const char *q;
	size_t m;

	sdb_json_raw(x->d, ki, &q, &m);
	if (SDB_JT_ESC(x->d->tape[ki]))
		sdb_json_str(x->d, ki, &q, &m, &x->sk);
	if (m != n)
		return 0;
	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			if (p[i] != q[i])
				return 0;
		return 1;
	}
	return !memcmp(q, p, n);
}

/*
 * Fills x->vals[0..nf) with the value indexes of row in header order.
 * @return 2 when the row has exactly the header's keys in the header's
 * order, 1 when in another order, all primitive (isTabularArray for one
 * row), else 0.
 */
static int row_slots(struct enc *x, size_t row, size_t fbase, size_t nf, int need_prim)
{
	size_t end = (size_t)SDB_JT_END(x->d->tape[row]), pos = 0;

	if (TYPE(x, row) != SDB_J_OBJECT)
		return 0;
	int in_order = 1;

	for (size_t j = row + 1; j < end; pos++) {
		size_t vi = sdb_json_next(x->d, j), slot = nf;
		if (pos >= nf)
			return 0;
		if (key_eq(x, j, x->ents[fbase + pos].p, x->ents[fbase + pos].n))
			slot = pos;
		else if ((in_order = 0), 1)
			for (size_t f = 0; f < nf; f++)
				if (key_eq(x, j, x->ents[fbase + f].p, x->ents[fbase + f].n)) {
					slot = f;
					break;
				}
		if (slot == nf)
			return 0;
		if (need_prim && !IS_PRIM(TYPE(x, vi)))
			return 0;
		x->vals[slot] = vi;
		j = sdb_json_next(x->d, vi);
	}
	return pos == nf ? 1 + in_order : 0;
}

/*
 * extractTabularHeader: pushes the first row's keys when every row is an
 * object with the same keys and primitive values. @return 1 with *fbase/
 * *nf set (caller pops), else 0 (nothing pushed).
 */
static int tabular_header(struct enc *x, size_t a, size_t *fbase, size_t *nf)
{
	size_t end = (size_t)SDB_JT_END(x->d->tape[a]), first = a + 1, base, n;

	if (first >= end || TYPE(x, first) != SDB_J_OBJECT)
		return 0;
	base = collect(x, first, &n);
	if (n == 0 || x->rc) {
		pop(x, base);
		return 0;
	}
	if (sdb_grow((void **)&x->vals, &x->vals_cap, n, sizeof(*x->vals), 16)) {
		x->rc = sdb_error_set(x->e, SDB_ENOMEM, "out of memory");
		pop(x, base);
		return 0;
	}
	x->all_in_order = 1;
	for (size_t j = first; j < end; j = sdb_json_next(x->d, j)) {
		int r = row_slots(x, j, base, n, 1);
		if (!r) {
			pop(x, base);
			return 0;
		}
		if (r == 1)
			x->all_in_order = 0;
	}
	*fbase = base;
	*nf = n;
	return 1;
}

/* The rows from, ... before to of a table whose header keys are at fbase. */
static void write_rows(struct enc *x, size_t from, size_t to, size_t fbase, size_t nf,
		       int depth)
{
	char delim = x->o->delimiter;
	int in_order = x->all_in_order;

	for (size_t j = from; j < to && !x->rc; j = sdb_json_next(x->d, j)) {
		if (in_order) {
			/* checked by tabular_header: key, value pairs in order */
			size_t k = j + 1;
			for (size_t f = 0; f < nf; f++) {
				x->vals[f] = sdb_json_next(x->d, k);
				k = sdb_json_next(x->d, x->vals[f]);
			}
		} else
			row_slots(x, j, fbase, nf, 0);
		line_start(x, depth);
		for (size_t f = 0; f < nf; f++) {
			if (f)
				sdb_buf_addc(x->b, delim);
			add_prim(x, x->vals[f], delim);
		}
	}
}

static void encode_object(struct enc *x, size_t obj, int depth, int root_lits,
			  long flatten);
static void encode_entries(struct enc *x, size_t base, size_t n, int depth,
			   int root_lits, long flatten);
static void encode_list_item(struct enc *x, size_t v, int depth);

/* ---- the elements of an array: rows or list items, maybe chunked ---- */

enum { EL_ROWS, EL_ITEMS };

static void encode_span(struct enc *x, int kind, size_t from, size_t to, int depth,
			size_t fbase, size_t nf)
{
	if (kind == EL_ROWS)
		write_rows(x, from, to, fbase, nf, depth);
	else
		for (size_t j = from; j < to && !x->rc; j = sdb_json_next(x->d, j))
			encode_list_item(x, j, depth);
}

/*
 * Chunked encoding of a long array on two threads. The parser marked every
 * 4096th element, so the array splits into chunks without a walk; the
 * calling thread encodes the even chunks straight into the output, a
 * helper the odd ones into two buffers that take turns, and the caller
 * appends each in order: the same bytes as one thread, in bounded memory.
 */
struct par_slot {
	struct sdb_buf buf;
	int full, rc;
};

struct par {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct par_slot slot[2];
	size_t *cuts, ncuts; /* chunk c is [cuts[c], cuts[c + 1]) */
	int cancel;
	int kind, depth;
	size_t nf;
	struct enc h;        /* the helper's encoder */
	struct sdb_error he;
};

/* The output b and x's scratch buffers kept every byte (a failed
 * unescape leaves a string as escaped in the source). */
static int enc_bufs_ok(const struct enc *x, const struct sdb_buf *b)
{
	return sdb_buf_ok(b) && sdb_buf_ok(&x->sv) && sdb_buf_ok(&x->sk) && sdb_buf_ok(&x->path);
}

static void *par_main(void *arg)
{
	struct par *p = arg;
	struct enc *h = &p->h;

	for (size_t c = 1; c + 1 < p->ncuts; c += 2) {
		struct par_slot *sl = &p->slot[(c / 2) % 2];
		pthread_mutex_lock(&p->mu);
		while (sl->full && !p->cancel)
			pthread_cond_wait(&p->cv, &p->mu);
		int stop = p->cancel;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		sdb_buf_reset(&sl->buf);
		h->b = &sl->buf;
		encode_span(h, p->kind, p->cuts[c], p->cuts[c + 1], p->depth, 0, p->nf);
		if (!h->rc && !enc_bufs_ok(h, &sl->buf))
			h->rc = sdb_error_set(&p->he, SDB_ENOMEM, "out of memory");
		pthread_mutex_lock(&p->mu);
		sl->full = 1;
		sl->rc = h->rc;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (h->rc)
			break;
	}
	return NULL;
}

/* The chunk starts of array a (end: its end). @return their count. */
static size_t chunk_cuts(const struct enc *x, size_t a, size_t end, size_t **cuts)
{
	const struct sdb_json_doc *d = x->d;
	size_t lo = 0, hi = d->nmarks, n = 0, *c;

	while (lo < hi) { /* first mark past a */
		size_t mid = lo + (hi - lo) / 2;
		if (d->marks[mid][1] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t m = lo; m < d->nmarks && d->marks[m][1] < end; m++)
		n += d->marks[m][0] == a;
	if (n < 3 || !(c = malloc((n + 2) * sizeof(*c))))
		return 0;
	c[0] = a + 1;
	n = 1;
	for (size_t m = lo; m < d->nmarks && d->marks[m][1] < end; m++)
		if (d->marks[m][0] == a)
			c[n++] = d->marks[m][1];
	c[n] = end;
	*cuts = c;
	return n + 1;
}

/* @return 1 when it encoded the elements of a (or failed trying), 0 when
 * the caller should encode them on this thread. */
static int par_elems(struct enc *x, int kind, size_t a, size_t end, int depth,
		     size_t fbase, size_t nf)
{
	struct par *p;
	pthread_t th;
	size_t *cuts, ncuts;

	if (x->no_par || x->o->threads == 1 || end - a < ((size_t)1 << 16) ||
	    sysconf(_SC_NPROCESSORS_ONLN) < 2 || !(ncuts = chunk_cuts(x, a, end, &cuts)))
		return 0;
	if (!(p = calloc(1, sizeof(*p)))) {
		free(cuts);
		return 0;
	}
	p->cuts = cuts;
	p->ncuts = ncuts;
	p->kind = kind;
	p->depth = depth;
	p->nf = nf;
	p->h.d = x->d;
	p->h.o = x->o;
	p->h.e = &p->he;
	p->h.flush_at = (size_t)-1;
	p->h.no_par = 1;
	p->h.have_root = 1;
	p->h.all_in_order = x->all_in_order;
	sdb_error_clear(&p->he);
	if (kind == EL_ROWS) { /* the header keys, borrowed from x */
		p->h.ents = malloc(nf * sizeof(*p->h.ents));
		p->h.vals = malloc(nf * sizeof(*p->h.vals));
		if (p->h.ents)
			for (size_t f = 0; f < nf; f++) {
				p->h.ents[f] = x->ents[fbase + f];
				p->h.ents[f].owned = 0;
			}
		p->h.nents = p->h.cap = nf;
		p->h.vals_cap = nf;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((kind == EL_ROWS && (!p->h.ents || !p->h.vals)) ||
	    pthread_create(&th, NULL, par_main, p)) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p->h.ents);
		free(p->h.vals);
		free(cuts);
		free(p);
		return 0;
	}
	x->no_par = 1;
	for (size_t c = 0; c + 1 < ncuts && !x->rc; c++) {
		struct par_slot *sl = &p->slot[(c / 2) % 2];
		if (c % 2 == 0) {
			encode_span(x, kind, cuts[c], cuts[c + 1], depth, fbase, nf);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		while (!sl->full)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (sl->rc) {
			x->rc = sdb_error_set(x->e, p->he.code, "%s", p->he.msg);
			break;
		}
		sdb_buf_add(x->b, sl->buf.data, sl->buf.len);
		flush_maybe(x);
		pthread_mutex_lock(&p->mu);
		sl->full = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	x->no_par = 0;
	pthread_mutex_lock(&p->mu);
	p->cancel = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(th, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pop(&p->h, 0); /* the borrowed header keys are not owned */
	free(p->h.ents);
	free(p->h.vals);
	sdb_buf_release(&p->h.sv);
	sdb_buf_release(&p->h.sk);
	sdb_buf_release(&p->h.path);
	sdb_buf_release(&p->slot[0].buf);
	sdb_buf_release(&p->slot[1].buf);
	free(cuts);
	free(p);
	return 1;
}

static void encode_elems(struct enc *x, int kind, size_t a, int depth, size_t fbase, size_t nf)
{
	size_t end = (size_t)SDB_JT_END(x->d->tape[a]);

	if (!par_elems(x, kind, a, end, depth, fbase, nf))
		encode_span(x, kind, a + 1, end, depth, fbase, nf);
}

static void encode_array(struct enc *x, const char *key, size_t kn, size_t a, int depth)
{
	struct shape s;
	size_t fbase, nf;

	array_shape(x, a, &s);
	if (s.n == 0) {
		line_start(x, depth);
		if (key) {
			add_key(x, key, kn);
			sdb_buf_add(x->b, ": []", 4);
		} else
			sdb_buf_add(x->b, "[]", 2);
		return;
	}
	if (s.all_prim) {
		line_start(x, depth);
		add_inline_array(x, key, kn, a, s.n);
		return;
	}
	if (s.all_arr) {
		size_t end = (size_t)SDB_JT_END(x->d->tape[a]);
		int ok = 1;
		for (size_t j = a + 1; j < end && ok; j = sdb_json_next(x->d, j))
			ok = array_all_prim(x, j);
		if (ok) {
			line_start(x, depth);
			add_header(x, key, kn, s.n, 0, 0);
			for (size_t j = a + 1; j < end; j = sdb_json_next(x->d, j)) {
				line_start(x, depth + 1);
				sdb_buf_add(x->b, "- ", 2);
				add_inline_array(x, NULL, 0, j, sdb_json_count(x->d, j));
			}
			return;
		}
	}
	if (s.all_obj && tabular_header(x, a, &fbase, &nf)) {
		line_start(x, depth);
		add_header(x, key, kn, s.n, fbase, nf);
		encode_elems(x, EL_ROWS, a, depth + 1, fbase, nf);
		pop(x, fbase);
		return;
	}
	/* mixed: expanded list */
	line_start(x, depth);
	add_header(x, key, kn, s.n, 0, 0);
	encode_elems(x, EL_ITEMS, a, depth + 1, 0, 0);
}

/* tryFoldKeyChain; on success fills the fold and returns 1. */
struct fold {
	size_t nseg;
	size_t leaf;  /* tape index of the leaf value */
	int has_tail; /* leaf is a non-empty object (the remainder) */
};

static int try_fold(struct enc *x, struct kent *k, size_t sib_base, size_t nsib,
		    int root_lits, long flatten, struct sdb_buf *folded, struct fold *f)
{
	size_t cur = k->vi;
	const char *p;
	size_t n;

	if (TYPE(x, cur) != SDB_J_OBJECT)
		return 0;
	sdb_buf_reset(folded);
	sdb_buf_add(folded, k->p, k->n);
	if (!sdb_toon_ident_segment(k->p, k->n))
		return 0;
	f->nseg = 1;
	while ((long)f->nseg < flatten) {
		size_t end, ki;
		if (TYPE(x, cur) != SDB_J_OBJECT)
			break;
		end = (size_t)SDB_JT_END(x->d->tape[cur]);
		ki = cur + 1;
		if (ki >= end || sdb_json_next(x->d, sdb_json_next(x->d, ki)) != end)
			break; /* not exactly one key */
		sdb_json_str(x->d, ki, &p, &n, &x->sk);
		if (!sdb_toon_ident_segment(p, n))
			return 0;
		sdb_buf_addc(folded, '.');
		sdb_buf_add(folded, p, n);
		f->nseg++;
		cur = sdb_json_next(x->d, ki);
	}
	if (f->nseg < 2)
		return 0;
	f->leaf = cur;
	f->has_tail = TYPE(x, cur) == SDB_J_OBJECT && !is_empty_obj(x, cur);
	for (size_t s = 0; s < nsib; s++) {
		struct kent *e = &x->ents[sib_base + s];
		if (e->n == folded->len && !memcmp(e->p, folded->data, e->n))
			return 0;
	}
	if (root_lits && x->have_root) {
		/* absolute path = prefix + "." + folded */
		size_t plen = x->path.len - x->pstart;
		const char *pre = x->path.data ? x->path.data + x->pstart : "";
		for (size_t s = 0; s < x->root_n; s++) {
			struct kent *e = &x->ents[x->root_base + s];
			size_t want = (plen ? plen + 1 : 0) + folded->len;
			if (e->n != want || !memchr(e->p, '.', e->n))
				continue;
			if (plen && (memcmp(e->p, pre, plen) || e->p[plen] != '.'))
				continue;
			if (!memcmp(e->p + (plen ? plen + 1 : 0), folded->data, folded->len))
				return 0;
		}
	}
	return 1;
}

static void path_push(struct enc *x, const char *p, size_t n, size_t *saved)
{
	*saved = x->path.len;
	if (x->path.len > x->pstart)
		sdb_buf_addc(&x->path, '.');
	sdb_buf_add(&x->path, p, n);
}

static void path_pop(struct enc *x, size_t saved)
{
	x->path.len = saved;
	if (x->path.data)
		x->path.data[saved] = 0;
}

static void encode_kv(struct enc *x, size_t ei, int depth, size_t sib_base,
		      size_t nsib, int root_lits, long flatten)
{
	struct kent k = x->ents[ei]; /* copy: the stack may move */
	size_t v = k.vi, saved;
	int t = TYPE(x, v);

	if (x->o->key_folding && nsib) {
		struct sdb_buf folded = SDB_BUF_INIT;
		struct fold f;
		if (try_fold(x, &k, sib_base, nsib, root_lits, flatten, &folded, &f)) {
			int lt = TYPE(x, f.leaf);
			if (!f.has_tail) {
				if (IS_PRIM(lt)) {
					line_start(x, depth);
					add_key(x, folded.data, folded.len);
					sdb_buf_add(x->b, ": ", 2);
					add_prim(x, f.leaf, x->o->delimiter);
				} else if (lt == SDB_J_ARRAY) {
					encode_array(x, folded.data, folded.len, f.leaf, depth);
				} else {
					line_start(x, depth);
					add_key(x, folded.data, folded.len);
					sdb_buf_addc(x->b, ':');
				}
			} else {
				long rem = flatten == SDB_TOON_FLATTEN_INF ? flatten : flatten - (long)f.nseg;
				line_start(x, depth);
				add_key(x, folded.data, folded.len);
				sdb_buf_addc(x->b, ':');
				path_push(x, folded.data, folded.len, &saved);
				encode_object(x, f.leaf, depth + 1, root_lits, rem);
				path_pop(x, saved);
			}
			sdb_buf_release(&folded);
			return;
		}
		sdb_buf_release(&folded);
	}
	if (IS_PRIM(t)) {
		line_start(x, depth);
		add_key(x, k.p, k.n);
		sdb_buf_add(x->b, ": ", 2);
		add_prim(x, v, x->o->delimiter);
	} else if (t == SDB_J_ARRAY) {
		encode_array(x, k.p, k.n, v, depth);
	} else {
		line_start(x, depth);
		add_key(x, k.p, k.n);
		sdb_buf_addc(x->b, ':');
		if (!is_empty_obj(x, v)) {
			path_push(x, k.p, k.n, &saved);
			encode_object(x, v, depth + 1, root_lits, flatten);
			path_pop(x, saved);
		}
	}
}

static void encode_entries(struct enc *x, size_t base, size_t n, int depth,
			   int root_lits, long flatten)
{
	for (size_t i = 0; i < n && !x->rc; i++)
		encode_kv(x, base + i, depth, base, n, root_lits, flatten);
}

static void encode_object(struct enc *x, size_t obj, int depth, int root_lits,
			  long flatten)
{
	size_t n, base = collect(x, obj, &n);

	if (depth == 0 && !root_lits && !x->have_root) {
		x->root_base = base;
		x->root_n = n;
		x->have_root = 1;
		root_lits = 1;
	}
	encode_entries(x, base, n, depth, root_lits, flatten);
	pop(x, base);
}

/* encodeObjectLines for a list item's fields: no prefix, no root keys. */
static void encode_object_plain(struct enc *x, size_t obj, int depth)
{
	size_t saved = x->pstart;

	x->pstart = x->path.len;
	encode_object(x, obj, depth, 0, x->o->flatten_depth);
	x->pstart = saved;
}

static void encode_object_item(struct enc *x, size_t obj, int depth)
{
	size_t n, base, fbase, nf;
	struct kent k;
	int t;

	if (is_empty_obj(x, obj)) {
		line_start(x, depth);
		sdb_buf_addc(x->b, '-');
		return;
	}
	base = collect(x, obj, &n);
	if (x->rc) {
		pop(x, base);
		return;
	}
	k = x->ents[base];
	t = TYPE(x, k.vi);
	if (t == SDB_J_ARRAY) {
		struct shape s;
		array_shape(x, k.vi, &s);
		if (s.all_obj && tabular_header(x, k.vi, &fbase, &nf)) {
			line_start(x, depth);
			sdb_buf_add(x->b, "- ", 2);
			add_header(x, k.p, k.n, s.n, fbase, nf);
			encode_elems(x, EL_ROWS, k.vi, depth + 2, fbase, nf);
			pop(x, fbase);
			goto rest;
		}
		line_start(x, depth);
		sdb_buf_add(x->b, "- ", 2);
		add_key(x, k.p, k.n);
		if (s.n == 0)
			sdb_buf_add(x->b, ": []", 4);
		else if (s.all_prim)
			add_inline_array(x, NULL, 0, k.vi, s.n);
		else {
			size_t end = (size_t)SDB_JT_END(x->d->tape[k.vi]);
			add_header(x, NULL, 0, s.n, 0, 0);
			for (size_t j = k.vi + 1; j < end && !x->rc; j = sdb_json_next(x->d, j))
				encode_list_item(x, j, depth + 2);
		}
	} else if (IS_PRIM(t)) {
		line_start(x, depth);
		sdb_buf_add(x->b, "- ", 2);
		add_key(x, k.p, k.n);
		sdb_buf_add(x->b, ": ", 2);
		add_prim(x, k.vi, x->o->delimiter);
	} else {
		line_start(x, depth);
		sdb_buf_add(x->b, "- ", 2);
		add_key(x, k.p, k.n);
		sdb_buf_addc(x->b, ':');
		if (!is_empty_obj(x, k.vi))
			encode_object_plain(x, k.vi, depth + 2);
	}
rest:
	if (n > 1) {
		size_t saved = x->pstart;
		x->pstart = x->path.len;
		encode_entries(x, base + 1, n - 1, depth + 1, 0, x->o->flatten_depth);
		x->pstart = saved;
	}
	pop(x, base);
}

static void encode_list_item(struct enc *x, size_t v, int depth)
{
	int t = TYPE(x, v);

	if (IS_PRIM(t)) {
		line_start(x, depth);
		sdb_buf_add(x->b, "- ", 2);
		add_prim(x, v, x->o->delimiter);
	} else if (t == SDB_J_ARRAY) {
		size_t n = sdb_json_count(x->d, v);
		line_start(x, depth);
		sdb_buf_add(x->b, "- ", 2);
		if (array_all_prim(x, v))
			add_inline_array(x, NULL, 0, v, n);
		else {
			size_t end = (size_t)SDB_JT_END(x->d->tape[v]);
			add_header(x, NULL, 0, n, 0, 0);
			for (size_t j = v + 1; j < end && !x->rc; j = sdb_json_next(x->d, j))
				encode_list_item(x, j, depth + 1);
		}
	} else
		encode_object_item(x, v, depth);
}

void sdb_toon_enc_opts_init(struct sdb_toon_enc_opts *o)
{
	o->indent = 2;
	o->delimiter = ',';
	o->key_folding = 0;
	o->flatten_depth = SDB_TOON_FLATTEN_INF;
	o->exact = 0;
	o->fold_rows = 0;
	o->threads = 0;
}

int sdb_toon_encode(const struct sdb_json_doc *doc, size_t root,
		    const struct sdb_toon_enc_opts *o, struct sdb_toon_out *out,
		    struct sdb_error *e)
{
	struct enc x;
	int t = sdb_json_type(doc, root);

	memset(&x, 0, sizeof(x));
	x.d = doc;
	x.o = o;
	x.out = out;
	x.b = &out->buf;
	x.e = e;
	x.first_line = 1;
	x.flush_at = out->flush ? out->flush_at : (size_t)-1;

	if (IS_PRIM(t)) {
		line_start(&x, 0);
		add_prim(&x, root, o->delimiter);
	} else if (t == SDB_J_ARRAY)
		encode_array(&x, NULL, 0, root, 0);
	else
		encode_object(&x, root, 0, 0, o->flatten_depth);

	pop(&x, 0);
	if (!x.rc && !enc_bufs_ok(&x, &out->buf))
		x.rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	free(x.ents);
	free(x.vals);
	sdb_buf_release(&x.sv);
	sdb_buf_release(&x.sk);
	sdb_buf_release(&x.path);
	return x.rc;
}

int sdb_toon_encode_json(const char *src, size_t len, int jsonl,
			 const struct sdb_toon_enc_opts *o,
			 struct sdb_toon_out *out, struct sdb_error *e)
{
	struct sdb_json_doc doc;
	int rc = sdb_json_parse(&doc, src, len, jsonl ? SDB_JSON_JSONL : 0, e);

	if (rc)
		return rc;
	if (doc.has_dups || o->fold_rows) {
		/* JSON.parse semantics through the tree (and the folding),
		 * then a clean tape */
		struct sdb_jv *tree;
		struct sdb_buf norm = SDB_BUF_INIT;
		struct sdb_json_doc doc2;
		rc = sdb_jv_from_tape(&doc, 0, &tree);
		sdb_json_release(&doc);
		if (!rc && o->fold_rows)
			rc = sdb_toon_fold_rows(tree);
		if (rc) {
			sdb_jv_free(tree);
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		sdb_jv_write(tree, &norm);
		sdb_jv_free(tree);
		if (!sdb_buf_ok(&norm)) {
			sdb_buf_release(&norm);
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		rc = sdb_json_parse(&doc2, norm.data, norm.len, 0, e);
		if (!rc)
			rc = sdb_toon_encode(&doc2, 0, o, out, e);
		sdb_json_release(&doc2);
		sdb_buf_release(&norm);
		return rc;
	}
	rc = sdb_toon_encode(&doc, 0, o, out, e);
	sdb_json_release(&doc);
	return rc;
}
