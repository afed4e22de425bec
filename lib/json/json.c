/* json.c - strict JSON parser into a tape, and writers (see json.h). */
#include "json/json.h"
#include "util/array.h"
#include "util/hash.h"
#include "util/num.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct frame {
	size_t start;    /* tape index of the container word */
	int is_object;
	unsigned kinds;  /* bit (1 << type) for every child value */
	size_t count;    /* child values (an object's: one per key) */
	size_t nkeys;
	uint64_t hashes[32]; /* of the first 32 keys; a big object uses set */
	size_t *set;     /* open-addressing set of key tape indices (big objects) */
	size_t set_cap;
};

struct parser {
	struct sdb_json_doc *doc;
	const unsigned char *s;
	size_t len, pos;
	struct sdb_error *e;
	struct frame *stack;
	size_t depth, stack_cap;
	struct sdb_buf k1, k2; /* scratch for comparing escaped keys */
	size_t many_cap, marks_cap; /* of doc->many, doc->marks */
};

static int fail(struct parser *ps, size_t at, const char *fmt, const char *arg)
{
	long line, col;
	char msg[200];

	sdb_text_position((const char *)ps->s, at, &line, &col);
	snprintf(msg, sizeof(msg), fmt, arg);
	return sdb_error_at(ps->e, SDB_EPARSE, line, col, "%s", msg);
}

static int fail_here(struct parser *ps, size_t at)
{
	char what[16];

	if (at >= ps->len)
		return fail(ps, at, "unexpected end of input%s", "");
	if (ps->s[at] >= 0x20 && ps->s[at] < 0x7f)
		snprintf(what, sizeof(what), "'%c'", ps->s[at]);
	else
		snprintf(what, sizeof(what), "byte 0x%02x", ps->s[at]);
	return fail(ps, at, "unexpected %s", what);
}

static int grow_tape(struct parser *ps)
{
	struct sdb_json_doc *d = ps->doc;

	/* first guess from the input size: pages are only touched when used */
	if (sdb_grow((void **)&d->tape, &d->cap, d->cap + 1, sizeof(*d->tape),
		     ps->len / 6 > 1024 ? ps->len / 6 : 1024))
		return sdb_error_set(ps->e, SDB_ENOMEM, "out of memory");
	sdb_mem_advise_big(d->tape, d->cap * sizeof(*d->tape));
	return 0;
}

static inline int push_word(struct parser *ps, uint64_t w)
{
	struct sdb_json_doc *d = ps->doc;

	if (__builtin_expect(d->n == d->cap, 0) && grow_tape(ps))
		return SDB_ENOMEM;
	d->tape[d->n++] = w;
	return 0;
}

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static inline int is_ws(unsigned char c)
{
	return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t');
}

/*
 * From s[i], skips whole 16-byte blocks of plain string bytes. @return the
 * index of the first '"', '\\', control or non-ASCII byte in them, or
 * where fewer than 16 bytes are left.
 */
static inline size_t skip_plain16(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
		__m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
		__m128i c = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)); /* also >= 0x80 */
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
		i += 16;
	}
#else
	(void)s;
	(void)n;
#endif
	return i;
}

/*
 * The rest of a string body from s[i] (the first byte the fast scan
 * stopped at) to its closing quote: escapes, UTF-8, control characters.
 * @return 0 with *end at the closing quote and *esc set, or an error.
 */
static __attribute__((noinline)) int string_slow(struct parser *ps, size_t start,
						 size_t i, size_t *end, int *esc)
{
	const unsigned char *s = ps->s;
	size_t n = ps->len;

	for (;;) {
		i = skip_plain16(s, i, n);
		if (i >= n)
			return fail(ps, start - 1, "unterminated string%s", "");
		unsigned char c = s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			*esc = 1;
			if (i + 1 >= n)
				return fail(ps, start - 1, "unterminated string%s", "");
			switch (s[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u': {
				unsigned u = 0;
				for (int k = 0; k < 4; k++) {
					int h = i + 2 + k < n ? sdb_hexval(s[i + 2 + k]) : -1;
					if (h < 0)
						return fail(ps, i, "invalid \\u escape%s", "");
					u = u * 16 + (unsigned)h;
				}
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail(ps, i, "lone surrogate in \\u escape%s", "");
				if (u >= 0xD800 && u <= 0xDBFF) {
					unsigned l = 0;
					if (i + 11 >= n || s[i + 6] != '\\' || s[i + 7] != 'u')
						return fail(ps, i, "lone surrogate in \\u escape%s", "");
					for (int k = 0; k < 4; k++) {
						int h = sdb_hexval(s[i + 8 + k]);
						if (h < 0)
							return fail(ps, i + 6, "invalid \\u escape%s", "");
						l = l * 16 + (unsigned)h;
					}
					if (l < 0xDC00 || l > 0xDFFF)
						return fail(ps, i, "lone surrogate in \\u escape%s", "");
					i += 12;
				} else
					i += 6;
				continue;
			}
			default: {
				char what[8];
				snprintf(what, sizeof(what), "%c", s[i + 1] >= 0x20 && s[i + 1] < 0x7f ? s[i + 1] : '?');
				return fail(ps, i, "invalid escape '\\%s' in string", what);
			}
			}
		}
		if (c < 0x20)
			return fail(ps, i, "control character in string (must be escaped)%s", "");
		if (c >= 0x80) {
			uint32_t cp;
			int k = sdb_utf8_decode(s + i, n - i, &cp);
			if (!k)
				return fail(ps, i, "invalid UTF-8 in string%s", "");
			i += (size_t)k;
			continue;
		}
		i++;
	}
	*end = i;
	return 0;
}

/*
 * Scans a string body starting at s[start] (after the opening quote).
 * The common case (plain ASCII) stays here; anything else goes to
 * string_slow. @return 0 with *end at the closing quote.
 */
static inline int scan_string(struct parser *ps, size_t start, size_t *end, int *esc)
{
	const unsigned char *s = ps->s;
	size_t i = start, n = ps->len;

	*esc = 0;
	i = skip_plain16(s, i, n);
	if (i < n && s[i] == '"') { /* every byte before it was plain */
		*end = i;
		return 0;
	}
	return string_slow(ps, start, i, end, esc);
}

/*
 * Validates a number at s[i]; *end is past it. *odd is 0 when the text is
 * already in canonical form (num.h's fast path: -?(0|[1-9]d*)(.d*[1-9])?,
 * at most 15 significant digits, not below 1e-6, not -0), so writers can
 * copy it without sdb_num_canon.
 */
static int parse_number(struct parser *ps, size_t i, size_t *end, int *odd)
{
	const unsigned char *s = ps->s;
	size_t start = i, n = ps->len, id, fd = 0, lz = 0;
	int zero;

	if (s[i] == '-')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return fail(ps, i, "invalid number%s", "");
	zero = s[i] == '0';
	id = i;
	if (zero) {
		i++;
		if (i < n && s[i] >= '0' && s[i] <= '9')
			return fail(ps, start, "number with leading zeros%s", "");
	} else
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	id = i - id;
	*odd = 0;
	if (i < n && s[i] == '.') {
		size_t f0 = ++i;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return fail(ps, i, "invalid number: digit expected after '.'%s", "");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fd = i - f0;
		if (s[i - 1] == '0')
			*odd = 1;
		else if (zero) {
			while (s[f0 + lz] == '0')
				lz++;
			*odd = lz >= 6 || fd - lz > 15;
		} else
			*odd = id + fd > 15;
	} else
		*odd = id > 15 || (zero && s[start] == '-');
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*odd = 1;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return fail(ps, i, "invalid number: digit expected in exponent%s", "");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	*end = i;
	return 0;
}

static int keys_equal(struct parser *ps, size_t a, size_t b)
{
	const char *pa, *pb;
	size_t na, nb;

	if (!SDB_JT_ESC(ps->doc->tape[a]) && !SDB_JT_ESC(ps->doc->tape[b])) {
		sdb_json_raw(ps->doc, a, &pa, &na);
		sdb_json_raw(ps->doc, b, &pb, &nb);
	} else {
		sdb_json_str(ps->doc, a, &pa, &na, &ps->k1);
		sdb_json_str(ps->doc, b, &pb, &nb, &ps->k2);
	}
	return na == nb && !memcmp(pa, pb, na);
}

/*
 * A 64-bit fingerprint of the key text p[0..n), where bytes up to lim may
 * be read (the input's end; p itself when nothing past the key may): for a
 * key under 8 bytes its bytes and length themselves (one load, no
 * hashing), else a hash. Equal keys always get
 * equal fingerprints; equal fingerprints are confirmed with keys_equal.
 */
static inline uint64_t fp_raw(const unsigned char *p, size_t n, const unsigned char *lim)
{
	if (n < 8) {
		uint64_t a = 0;
		if (p + 8 <= lim) {
			memcpy(&a, p, 8);
			a &= n ? ~0ull >> (64 - 8 * n) : 0; /* little endian: the first n bytes */
		} else
			for (size_t i = 0; i < n; i++)
				a |= (uint64_t)p[i] << (8 * i);
		return a | (uint64_t)n << 56 | 1ull << 63;
	}
	return sdb_hash_short((const char *)p, n);
}

/* The fingerprint of key k's value (escapes undone). */
static uint64_t key_fp(struct parser *ps, size_t k)
{
	const char *p;
	size_t n;

	sdb_json_str(ps->doc, k, &p, &n, &ps->k1);
	/* no bound to read past: a copy may end right after the key */
	return fp_raw((const unsigned char *)p, n, (const unsigned char *)p);
}

static int set_insert(struct parser *ps, struct frame *f, size_t k)
{
	size_t mask = f->set_cap - 1, h = (size_t)mix64(key_fp(ps, k)) & mask;

	while (f->set[h] != (size_t)-1) {
		if (keys_equal(ps, f->set[h], k))
			return 1;
		h = (h + 1) & mask;
	}
	f->set[h] = k;
	return 0;
}

/* Grows f's key set; indexes the keys before key k when it is new. */
static int set_grow(struct parser *ps, struct frame *f, size_t k)
{
	size_t ncap = f->set_cap ? f->set_cap * 2 : 128;
	size_t *old = f->set, ocap = f->set_cap;

	f->set = malloc(ncap * sizeof(size_t));
	if (!f->set) {
		f->set = old;
		return sdb_error_set(ps->e, SDB_ENOMEM, "out of memory");
	}
	memset(f->set, 0xff, ncap * sizeof(size_t));
	f->set_cap = ncap;
	if (old) {
		for (size_t i = 0; i < ocap; i++)
			if (old[i] != (size_t)-1)
				set_insert(ps, f, old[i]);
		free(old);
	} else {
		/* index the keys already in the object, before k */
		for (size_t i = f->start + 1; i < k;
		     i = sdb_json_next(ps->doc, sdb_json_next(ps->doc, i)))
			set_insert(ps, f, i);
	}
	return 0;
}

/* note_key for a key past the first 32 of its object. */
static __attribute__((noinline)) int note_key_big(struct parser *ps, struct frame *f, size_t k)
{
	if (!f->set || f->nkeys * 2 > f->set_cap)
		if (set_grow(ps, f, k))
			return SDB_ENOMEM;
	if (f->nkeys * 2 <= f->set_cap && set_insert(ps, f, k))
		ps->doc->has_dups = 1;
	return 0;
}

/* A fingerprint matched an earlier key of f: compare the bytes. */
static __attribute__((noinline)) void note_key_match(struct parser *ps, struct frame *f,
						     size_t i, size_t k)
{
	size_t j = f->start + 1;

	for (size_t skip = 0; skip < i; skip++)
		j = sdb_json_next(ps->doc, sdb_json_next(ps->doc, j));
	if (keys_equal(ps, j, k))
		ps->doc->has_dups = 1;
}

/*
 * Records key k (just pushed; its raw bytes p[0..n), esc when it has
 * escapes) in frame f; flags the document on a duplicate.
 */
static inline int note_key(struct parser *ps, struct frame *f, size_t k,
			   const unsigned char *p, size_t n, int esc)
{
	uint64_t h;

	f->nkeys++;
	if (ps->doc->has_dups)
		return 0;
	if (f->nkeys > 32)
		return note_key_big(ps, f, k);
	h = esc ? key_fp(ps, k) : fp_raw(p, n, ps->s + ps->len);
	for (size_t i = 0; i + 1 < f->nkeys; i++)
		if (__builtin_expect(f->hashes[i] == h, 0))
			note_key_match(ps, f, i, k);
	f->hashes[f->nkeys - 1] = h;
	return 0;
}

/* Room for one more frame; the depth error points at pos. */
static int grow_stack(struct parser *ps, size_t pos)
{
	if (ps->depth >= SDB_JSON_MAX_DEPTH)
		return fail(ps, pos, "nesting deeper than %s levels", "10000");
	if (sdb_grow((void **)&ps->stack, &ps->stack_cap, ps->depth + 1, sizeof(*ps->stack), 64))
		return sdb_error_set(ps->e, SDB_ENOMEM, "out of memory");
	return 0;
}

/* Opens a frame for the container whose word goes at tape index start
 * (the caller made room with grow_stack and pushes the word). */
static inline struct frame *open_frame(struct parser *ps, int is_object, size_t start)
{
	struct frame *f = &ps->stack[ps->depth++];

	f->start = start;
	f->is_object = is_object;
	f->kinds = 0;
	f->count = 0;
	f->nkeys = 0;
	f->set = NULL;
	f->set_cap = 0;
	return f;
}

/* Pushes a frame and its container word (JSONL's implied array). */
static int open_container(struct parser *ps, int is_object)
{
	int rc;

	if ((rc = grow_stack(ps, ps->pos)))
		return rc;
	open_frame(ps, is_object, ps->doc->n);
	return push_word(ps, (uint64_t)(is_object ? SDB_J_OBJECT : SDB_J_ARRAY) << 60);
}

/* Appends the pair (x, y) to the side table *tab of *n pairs (*cap). */
static __attribute__((noinline)) int add_pair(struct parser *ps, size_t (**tab)[2], size_t *n,
					      size_t *cap, size_t x, size_t y)
{
	if (sdb_grow((void **)tab, cap, *n + 1, sizeof(**tab), 16))
		return sdb_error_set(ps->e, SDB_ENOMEM, "out of memory");
	(*tab)[*n][0] = x;
	(*tab)[*n][1] = y;
	(*n)++;
	return 0;
}

/* Remembers the child count of a container with SDB_JT_MANY or more. */
static int note_many(struct parser *ps, size_t start, size_t count)
{
	return add_pair(ps, &ps->doc->many, &ps->doc->nmany, &ps->many_cap, start, count);
}

/* Remembers child index k of array start (every SDB_JSON_MARK_EVERY-th). */
static int note_mark(struct parser *ps, size_t start, size_t k)
{
	return add_pair(ps, &ps->doc->marks, &ps->doc->nmarks, &ps->marks_cap, start, k);
}

static int cmp_many(const void *a, const void *b)
{
	size_t x = ((const size_t *)a)[0], y = ((const size_t *)b)[0];

	return x < y ? -1 : x > y;
}

/*
 * Pops the top frame and completes its container's word in tape: end (the
 * tape length tn), child count, child kinds.
 */
static inline int close_container(struct parser *ps, uint64_t *tape, size_t tn)
{
	struct frame *f = &ps->stack[ps->depth - 1];
	uint64_t cnt = f->count < SDB_JT_MANY ? f->count : SDB_JT_MANY;

	if (__builtin_expect(cnt == SDB_JT_MANY, 0) && note_many(ps, f->start, f->count))
		return SDB_ENOMEM;
	ps->depth--;
	tape[f->start] |= (uint64_t)tn | cnt << 39 | (uint64_t)f->kinds << 52;
	if (f->set) {
		free(f->set);
		f->set = NULL;
	}
	return 0;
}

/*
 * Parses one complete value (with nesting) at ps->pos. The cursor, the
 * input and the tape end live in locals here (a store into the tape could
 * otherwise alias them); they are written back before every call that
 * reads them from ps.
 */
static int parse_value(struct parser *ps)
{
	struct sdb_json_doc *doc = ps->doc;
	const unsigned char *s = ps->s;
	const size_t n = ps->len, base = ps->depth;
	size_t i = ps->pos, end;
	struct frame *f = base ? &ps->stack[base - 1] : NULL;
	uint64_t *tape = doc->tape;
	size_t tn = doc->n, tcap = doc->cap;
	int rc, esc, t;
	unsigned char c;

#define SKIP_WS() while (i < n && is_ws(s[i])) i++
#define PUSH(w) do { \
		if (__builtin_expect(tn == tcap, 0)) { \
			doc->n = tn; \
			if (grow_tape(ps)) \
				return SDB_ENOMEM; \
			tape = doc->tape; \
			tcap = doc->cap; \
		} \
		tape[tn++] = (w); \
	} while (0)
#define CLOSE() do { \
		if ((rc = close_container(ps, tape, tn))) \
			return rc; \
		f = ps->depth ? &ps->stack[ps->depth - 1] : NULL; \
	} while (0)
#define KID(type) do { \
		if (f) { \
			if (__builtin_expect(f->count >= SDB_JSON_MARK_EVERY, 0) && \
			    !(f->count % SDB_JSON_MARK_EVERY) && !f->is_object && \
			    (rc = note_mark(ps, f->start, tn))) \
				return rc; \
			f->count++; \
			f->kinds |= 1u << (type); \
		} \
	} while (0)
#define SPAN(type, esc, off, len) do { \
		uint64_t w_ = (uint64_t)(type) << 60 | (uint64_t)(esc) << 59 | (uint64_t)(off); \
		if (__builtin_expect((len) >= 0xFFFFF, 0)) { \
			PUSH(w_ | 0xFFFFFull << 39); \
			PUSH((uint64_t)(len)); \
		} else \
			PUSH(w_ | (uint64_t)(len) << 39); \
	} while (0)

value:
	SKIP_WS();
	if (i >= n)
		return fail_here(ps, i);
	c = s[i];
	switch (c) {
	case '"':
		KID(SDB_J_STRING);
		if ((rc = scan_string(ps, i + 1, &end, &esc)))
			return rc;
		SPAN(SDB_J_STRING, esc, i + 1, end - i - 1);
		i = end + 1;
		break;
	case '{':
	case '[':
		KID(c == '{' ? SDB_J_OBJECT : SDB_J_ARRAY);
		if (__builtin_expect(ps->depth >= SDB_JSON_MAX_DEPTH || ps->depth == ps->stack_cap, 0) &&
		    (rc = grow_stack(ps, i)))
			return rc;
		f = open_frame(ps, c == '{', tn);
		PUSH((uint64_t)(c == '{' ? SDB_J_OBJECT : SDB_J_ARRAY) << 60);
		i++;
		SKIP_WS();
		if (i < n && s[i] == (c == '{' ? '}' : ']')) {
			i++;
			CLOSE();
			break;
		}
		if (c == '{')
			goto key;
		goto value;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t l = c == 'f' ? 5 : 4;
		t = c == 't' ? SDB_J_TRUE : c == 'f' ? SDB_J_FALSE : SDB_J_NULL;
		if (n - i < l || memcmp(s + i, lit, l))
			return fail_here(ps, i);
		KID(t);
		PUSH((uint64_t)t << 60);
		i += l;
		break;
	}
	case ']':
		if (ps->depth > base && !f->is_object && f->count)
			return fail(ps, i, "trailing comma in array%s", "");
		return fail_here(ps, i);
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return fail_here(ps, i);
		if ((rc = parse_number(ps, i, &end, &esc)))
			return rc;
		KID(SDB_J_NUMBER);
		SPAN(SDB_J_NUMBER, esc, i, end - i);
		i = end;
		break;
	}
	/* a value is complete: close containers or move to the next */
	for (;;) {
		if (ps->depth == base) {
			ps->pos = i;
			doc->n = tn;
			return 0;
		}
		SKIP_WS();
		if (i >= n)
			return fail_here(ps, i);
		c = s[i];
		if (c == ',') {
			i++;
			if (f->is_object) {
				SKIP_WS();
				goto key;
			}
			goto value;
		}
		if (c == (f->is_object ? '}' : ']')) {
			i++;
			CLOSE();
			continue;
		}
		return fail(ps, i, f->is_object ? "expected ',' or '}' after object member%s"
						: "expected ',' or ']' after array element%s", "");
	}

key:
	/* an object key and its colon; then its value */
	if (i >= n || s[i] != '"') {
		if (i < n && s[i] == '}')
			return fail(ps, i, "trailing comma in object%s", "");
		return i < n ? fail(ps, i, "expected a string key%s", "") : fail_here(ps, i);
	}
	if ((rc = scan_string(ps, i + 1, &end, &esc)))
		return rc;
	SPAN(SDB_J_STRING, esc, i + 1, end - i - 1);
	if ((rc = note_key(ps, f, tn - 1 - (end - i - 1 >= 0xFFFFF), s + i + 1,
			   end - i - 1, esc)))
		return rc;
	i = end + 1;
	SKIP_WS();
	if (i >= n || s[i] != ':')
		return i < n ? fail(ps, i, "expected ':' after object key%s", "") : fail_here(ps, i);
	i++;
	goto value;
#undef SKIP_WS
#undef PUSH
#undef KID
#undef SPAN
#undef CLOSE
}

int sdb_json_parse(struct sdb_json_doc *doc, const char *src, size_t len,
		   int flags, struct sdb_error *e)
{
	struct parser ps;
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	memset(&ps, 0, sizeof(ps));
	doc->src = src;
	ps.doc = doc;
	ps.s = (const unsigned char *)src;
	ps.len = len;
	ps.e = e;
	/* a byte-order mark is not JSON (RFC 8259 §8.1: MUST NOT add) */
	if (len >= (1ull << 39)) {
		rc = sdb_error_set(e, SDB_ELIMIT, "input larger than 512 GiB");
		goto out;
	}
	if (flags & SDB_JSON_JSONL) {
		if ((rc = open_container(&ps, 0)))
			goto out;
		for (;;) {
			while (ps.pos < len && (ps.s[ps.pos] == ' ' || ps.s[ps.pos] == '\t' ||
						ps.s[ps.pos] == '\r' || ps.s[ps.pos] == '\n'))
				ps.pos++;
			if (ps.pos >= len)
				break;
			if ((rc = parse_value(&ps)))
				goto out;
			while (ps.pos < len && (ps.s[ps.pos] == ' ' || ps.s[ps.pos] == '\t' || ps.s[ps.pos] == '\r'))
				ps.pos++;
			if (ps.pos < len && ps.s[ps.pos] != '\n') {
				rc = fail(&ps, ps.pos, "expected one JSON value per line%s", "");
				goto out;
			}
		}
		if ((rc = close_container(&ps, doc->tape, doc->n)))
			goto out;
	} else {
		if ((rc = parse_value(&ps)))
			goto out;
		while (ps.pos < len && is_ws(ps.s[ps.pos]))
			ps.pos++;
		if (ps.pos < len)
			rc = fail(&ps, ps.pos, "unexpected content after the JSON value%s", "");
	}
out:
	while (ps.depth > 0) {
		free(ps.stack[ps.depth - 1].set);
		ps.depth--;
	}
	free(ps.stack);
	/* a failed unescape compared keys by their raw text */
	if (!rc && (!sdb_buf_ok(&ps.k1) || !sdb_buf_ok(&ps.k2)))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_release(&ps.k1);
	sdb_buf_release(&ps.k2);
	if (rc)
		sdb_json_release(doc);
	else if (doc->nmany > 1)
		qsort(doc->many, doc->nmany, sizeof(*doc->many), cmp_many);
	return rc;
}

void sdb_json_release(struct sdb_json_doc *doc)
{
	if (!doc)
		return;
	free(doc->tape);
	free(doc->many);
	free(doc->marks);
	doc->tape = NULL;
	doc->many = NULL;
	doc->marks = NULL;
	doc->n = doc->cap = doc->nmany = doc->nmarks = 0;
}

/* sdb_json_count past SDB_JT_MANY children: walks them. */
size_t sdb_json_count_slow(const struct sdb_json_doc *d, size_t i)
{
	size_t end = (size_t)SDB_JT_END(d->tape[i]), n = 0, lo = 0, hi = d->nmany;

	while (lo < hi) { /* recorded by the parser */
		size_t mid = lo + (hi - lo) / 2;
		if (d->many[mid][0] == i)
			return d->many[mid][1];
		if (d->many[mid][0] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t j = i + 1; j < end; j = sdb_json_next(d, j))
		n++;
	return sdb_json_type(d, i) == SDB_J_OBJECT ? n / 2 : n;
}

void sdb_json_unescape(const char *p, size_t n, struct sdb_buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '\\')
			j++;
		sdb_buf_add(out, p + i, j - i);
		if (j >= n)
			break;
		switch (p[j + 1]) {
		case 'b': sdb_buf_addc(out, '\b'); break;
		case 'f': sdb_buf_addc(out, '\f'); break;
		case 'n': sdb_buf_addc(out, '\n'); break;
		case 'r': sdb_buf_addc(out, '\r'); break;
		case 't': sdb_buf_addc(out, '\t'); break;
		case 'u': {
			uint32_t u = 0;
			char enc[4];
			for (int k = 0; k < 4; k++)
				u = u * 16 + (uint32_t)sdb_hexval((unsigned char)p[j + 2 + k]);
			if (u >= 0xD800 && u <= 0xDBFF) {
				uint32_t l = 0;
				for (int k = 0; k < 4; k++)
					l = l * 16 + (uint32_t)sdb_hexval((unsigned char)p[j + 8 + k]);
				u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
				j += 6;
			}
			sdb_buf_add(out, enc, (size_t)sdb_utf8_encode(u, enc));
			j += 4;
			break;
		}
		default: sdb_buf_addc(out, p[j + 1]); break;
		}
		i = j + 2;
	}
}

int sdb_json_str(const struct sdb_json_doc *d, size_t i, const char **p,
		 size_t *n, struct sdb_buf *scratch)
{
	sdb_json_raw(d, i, p, n);
	if (!SDB_JT_ESC(d->tape[i]))
		return 0;
	sdb_buf_reset(scratch);
	sdb_json_unescape(*p, *n, scratch);
	if (!sdb_buf_ok(scratch))
		return SDB_ENOMEM;
	*p = scratch->data ? scratch->data : "";
	*n = scratch->len;
	return 0;
}

static const char hexd[] = "0123456789abcdef";

/* bytes JSON.stringify escapes */
static const unsigned char jesc[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* Nonzero when one of the 8 bytes of w must be escaped (", \, < 0x20). */
static inline uint64_t jesc8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
	       ((w - ones * 0x20) & ~w & high);
}

#ifdef __SSE2__
/* Bit i set where p[i] must be escaped. */
static inline unsigned jesc16(__m128i v)
{
	__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
	__m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
	__m128i c = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xE0)), _mm_setzero_si128());

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
}
#endif

/*
 * Copies plain bytes 16 (or 8) at a time straight into the buffer; the
 * room kept ahead of d is always (n - i) + 18 bytes, so whole-block stores
 * past the string end stay inside it.
 */
void sdb_json_quote(struct sdb_buf *out, const char *p, size_t n)
{
	size_t i = 0;
	char *d;

	if (sdb_buf_grow(out, n + 18))
		return;
	d = out->data + out->len;
	*d++ = '"';
	for (;;) {
#ifdef __SSE2__
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
			unsigned m = jesc16(v);
			_mm_storeu_si128((__m128i *)d, v);
			if (m) {
				unsigned k = (unsigned)__builtin_ctz(m);
				d += k;
				i += k;
				goto special;
			}
			d += 16;
			i += 16;
		}
#endif
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (jesc8(w))
				break;
			memcpy(d, &w, 8);
			d += 8;
			i += 8;
		}
		while (i < n && !jesc[(unsigned char)p[i]])
			*d++ = p[i++];
		if (i >= n)
			break;
special:
		out->len = (size_t)(d - out->data);
		if (sdb_buf_grow(out, n - i + 24))
			return;
		d = out->data + out->len;
		{
			unsigned char c = (unsigned char)p[i++];
			*d++ = '\\';
			switch (c) {
			case '"': *d++ = '"'; break;
			case '\\': *d++ = '\\'; break;
			case '\b': *d++ = 'b'; break;
			case '\f': *d++ = 'f'; break;
			case '\n': *d++ = 'n'; break;
			case '\r': *d++ = 'r'; break;
			case '\t': *d++ = 't'; break;
			default:
				memcpy(d, "u00", 3);
				d[3] = hexd[c >> 4];
				d[4] = hexd[c & 15];
				d += 5;
			}
		}
	}
	*d++ = '"';
	*d = 0;
	out->len = (size_t)(d - out->data);
}

static void write_string(const struct sdb_json_doc *d, size_t i, struct sdb_buf *out,
			 struct sdb_buf *scratch)
{
	const char *p;
	size_t n;

	sdb_json_raw(d, i, &p, &n);
	if (!SDB_JT_ESC(d->tape[i])) {
		/* no escapes: the raw body is already valid JSON string text */
		sdb_buf_grow(out, n + 2);
		sdb_buf_addc(out, '"');
		sdb_buf_add(out, p, n);
		sdb_buf_addc(out, '"');
		return;
	}
	sdb_json_str(d, i, &p, &n, scratch);
	sdb_json_quote(out, p, n);
}

static void newline_indent(struct sdb_buf *out, int indent, int depth)
{
	sdb_buf_addc(out, '\n');
	for (int k = 0; k < indent * depth; k++)
		sdb_buf_addc(out, ' ');
}

void sdb_json_write(const struct sdb_json_doc *d, size_t root, int indent,
		    int exact, struct sdb_buf *out)
{
	struct sdb_buf scratch = SDB_BUF_INIT;
	struct open { size_t end; int isobj; } *st = NULL; /* open containers */
	size_t cap = 0, depth = 0;
	size_t i = root, stop = sdb_json_next(d, root);

	while (i < stop || depth > 0) {
		/* close finished containers */
		while (depth > 0 && i == st[depth - 1].end) {
			int o = st[depth - 1].isobj;
			depth--;
			if (indent)
				newline_indent(out, indent, (int)depth);
			sdb_buf_addc(out, o ? '}' : ']');
		}
		if (i >= stop)
			break;
		/* separator and key */
		if (depth > 0) {
			int o = st[depth - 1].isobj;
			/* first child sits right after the container word */
			if (out->len && out->data[out->len - 1] != '[' && out->data[out->len - 1] != '{')
				sdb_buf_addc(out, ',');
			if (indent)
				newline_indent(out, indent, (int)depth);
			if (o) {
				write_string(d, i, out, &scratch);
				sdb_buf_addc(out, ':');
				if (indent)
					sdb_buf_addc(out, ' ');
				i = sdb_json_next(d, i);
			}
		}
		switch (sdb_json_type(d, i)) {
		case SDB_J_NULL: sdb_buf_add(out, "null", 4); i++; break;
		case SDB_J_FALSE: sdb_buf_add(out, "false", 5); i++; break;
		case SDB_J_TRUE: sdb_buf_add(out, "true", 4); i++; break;
		case SDB_J_NUMBER:
			sdb_json_num(d, i, exact, out);
			i = sdb_json_next(d, i);
			break;
		case SDB_J_STRING:
			write_string(d, i, out, &scratch);
			i = sdb_json_next(d, i);
			break;
		default: {
			int o = sdb_json_type(d, i) == SDB_J_OBJECT;
			size_t end = (size_t)SDB_JT_END(d->tape[i]);
			if (end == i + 1) {
				sdb_buf_add(out, o ? "{}" : "[]", 2);
				i = end;
				break;
			}
			if (sdb_grow((void **)&st, &cap, depth + 1, sizeof(*st), 32)) {
				out->oom = 1;
				goto done;
			}
			st[depth].end = end;
			st[depth].isobj = o;
			depth++;
			sdb_buf_addc(out, o ? '{' : '[');
			i++;
		}
		}
	}
done:
	free(st);
	if (!sdb_buf_ok(&scratch))
		out->oom = 1; /* a string was written escaped as in the source */
	sdb_buf_release(&scratch);
}

/* The end of the plain string at s[i] ('"' ... '"'), or 0. */
static size_t flat_string(const unsigned char *s, size_t i, size_t n)
{
	if (i >= n || s[i] != '"')
		return 0;
	for (i++; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return 0;
	}
	return 0;
}

/* The end of the JSON number at s[i] (parse_number's grammar), or 0. */
static size_t flat_number(const unsigned char *s, size_t i, size_t n)
{
#define DIGIT(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
	if (i < n && s[i] == '-')
		i++;
	if (!DIGIT(i))
		return 0;
	if (s[i] == '0') {
		if (DIGIT(i + 1))
			return 0;
		i++;
	} else
		while (DIGIT(i))
			i++;
	if (i < n && s[i] == '.') {
		if (!DIGIT(i + 1))
			return 0;
		for (i++; DIGIT(i); i++)
			;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!DIGIT(i))
			return 0;
		while (DIGIT(i))
			i++;
	}
	return i;
#undef DIGIT
}

int sdb_json_flat_object(const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 1;

	if (len < 2 || s[0] != '{')
		return 0;
	if (len == 2)
		return s[1] == '}';
	for (;;) {
		size_t j = flat_string(s, i, len);
		if (!j || j >= len || s[j] != ':')
			return 0;
		i = j + 1;
		if (i >= len)
			return 0;
		if (s[i] == '"')
			j = flat_string(s, i, len);
		else if (len - i >= 4 && !memcmp(s + i, "true", 4))
			j = i + 4;
		else if (len - i >= 5 && !memcmp(s + i, "false", 5))
			j = i + 5;
		else if (len - i >= 4 && !memcmp(s + i, "null", 4))
			j = i + 4;
		else
			j = flat_number(s, i, len);
		if (!j || j >= len)
			return 0;
		if (s[j] == '}')
			return j + 1 == len;
		if (s[j] != ',')
			return 0;
		i = j + 1;
	}
}
