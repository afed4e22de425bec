/*
 * decode.c - TOON v3.3 decoder (see toon.h).
 *
 * DESIGN. The decoder walks the input once, a line at a time, through a
 * cursor with one line of lookahead (no line array: memory stays flat on
 * huge inputs), and hands out JSON events to a sink. Its structure follows
 * the reference decoder (@toon-format/toon 2.3.1, src/decode/decoders.ts)
 * function by function, because that library's interpretation is the
 * contract for edge cases the spec leaves open: dec_key_value <->
 * decodeKeyValue, dec_object_fields <-> decodeObjectFields, dec_array <->
 * decodeArrayFromHeader, dec_tabular, dec_list, dec_list_item.
 *
 * Where the reference silently stops at a line no open value takes (an
 * over-indented line, an indented first line, a skipped level), strict
 * mode reports it (over_indented, dec_root): it never drops a line.
 *
 * Duplicate keys: strict mode rejects duplicate sibling keys (§14.4);
 * non-strict mode resolves them last-write-wins, which a streaming writer
 * cannot do, so the decoder asks the caller to rerun with a tree sink.
 */
#include "toon/toon.h"
#include "toon/expand.h"
#include "util/array.h"
#include "util/hash.h"
#include "util/num.h"
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line {
	const char *c; /* content after the leading spaces */
	size_t n;
	size_t indent;
	long depth;
	long no; /* 1-based line number */
	const char *raw; /* the whole line */
	/* offsets into the raw line of the first '"', ':' and '[' (-1: none),
	 * found by the same scan that finds the line's end */
	long fq, fc, fb;
};

struct seen {
	uint64_t h;
	size_t off, len;
};

struct dec {
	const char *src;
	size_t len, pos;
	long lineno;
	struct line peeked, last;
	int has_peek, done;
	long *blanks;
	size_t nblanks, bcap;
	const struct sdb_toon_dec_opts *o;
	struct sdb_jsink *sink;
	int dup_restart;
	struct sdb_error *e;
	struct sdb_buf sbuf;  /* unescaped strings */
	struct seen *seen;    /* keys of the open objects */
	size_t nseen, scap;
	struct sdb_buf sarena; /* their bytes */
	struct { const char *p; size_t n; } *toks; /* row tokens */
	size_t tcap;
};

struct header {
	const char *key; /* NULL: no key */
	size_t klen;
	int kquoted;
	char *kown;
	size_t length;
	char delim;
	int has_fields;
	size_t nfields;
	struct { char *p; size_t n; } *fields;
	const char *inl; /* inline values (trimmed), NULL when none */
	size_t inl_n;
};

static void header_release(struct header *h)
{
	for (size_t i = 0; i < h->nfields; i++)
		free(h->fields[i].p);
	free(h->fields);
	free(h->kown);
	memset(h, 0, sizeof(*h));
}

/* ---- errors ---- */

static int errl(struct dec *d, const struct line *l, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errl(struct dec *d, const struct line *l, const char *at, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	long col = 1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l) {
		const char *s = l->raw;
		/* at may point into a copy (a header's field names): then the
		 * content start is the best position there is */
		if (!at || at < s || at > l->c + l->n)
			at = l->c;
		for (const char *p = s; p < at; p++)
			if ((*p & 0xC0) != 0x80)
				col++;
	}
	return sdb_error_at(d->e, SDB_EPARSE, l ? l->no : d->lineno, col, "%s", msg);
}

/* ---- cursor ---- */

/*
 * Finds the end of the line at s (n bytes left) and, on the way, the first
 * '"', ':' and '[' of it: one pass instead of a memchr for each question
 * the decoder asks of a line. @return the newline or NULL.
 */
static const char *scan_to_eol(const char *s, size_t n, long *fq, long *fc, long *fb)
{
	size_t i = 0;

	*fq = *fc = *fb = -1;
#ifdef __SSE2__
	{
		__m128i vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8('"');
		__m128i vc = _mm_set1_epi8(':'), vb = _mm_set1_epi8('[');
		for (; i + 16 <= n; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
			unsigned mn = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn));
			unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq));
			unsigned mc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc));
			unsigned mb = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vb));
			unsigned lim = mn ? (mn & -mn) - 1 : 0xFFFFu; /* bytes before the newline */
			mq &= lim;
			mc &= lim;
			mb &= lim;
			if (mq && *fq < 0)
				*fq = (long)(i + (size_t)__builtin_ctz(mq));
			if (mc && *fc < 0)
				*fc = (long)(i + (size_t)__builtin_ctz(mc));
			if (mb && *fb < 0)
				*fb = (long)(i + (size_t)__builtin_ctz(mb));
			if (mn)
				return s + i + (size_t)__builtin_ctz(mn);
		}
	}
#endif
	for (; i < n; i++) {
		char ch = s[i];
		if (ch == '\n')
			return s + i;
		if (ch == '"' && *fq < 0)
			*fq = (long)i;
		else if (ch == ':' && *fc < 0)
			*fc = (long)i;
		else if (ch == '[' && *fb < 0)
			*fb = (long)i;
	}
	return NULL;
}

/*
 * The offset in c[0..n) (a tail of line l's content) of the first ch
 * (one of '"' ':' '['), or -1, from the line's scan.
 */
static long line_first(const struct line *l, const char *c, char ch)
{
	long f = ch == '"' ? l->fq : ch == ':' ? l->fc : l->fb;
	const char *raw = l->raw;

	if (f < 0)
		return -1;
	if (raw + f < c) { /* before the slice: look again inside it */
		size_t n = l->n - (size_t)(c - l->c);
		const char *p = memchr(c, ch, n);
		return p ? (long)(p - c) : -1;
	}
	return (long)(raw + f - c);
}

/* find_unquoted(c, n, ch, 0) for a tail c of line l and ch ':' or '['. */
static long find_unquoted_l(const struct line *l, const char *c, size_t n, char ch);

static int scan_line(struct dec *d, struct line *out)
{
	for (;;) {
		const char *s, *nl;
		size_t rl, ind = 0;
		long no;

		if (d->pos > d->len)
			return 0;
		s = d->src + d->pos;
		nl = scan_to_eol(s, d->len - d->pos, &out->fq, &out->fc, &out->fb);
		rl = nl ? (size_t)(nl - s) : d->len - d->pos;
		d->pos += rl + 1;
		no = ++d->lineno;
		while (ind < rl && s[ind] == ' ')
			ind++;
		{
			const char *c = s + ind;
			size_t cn = rl - ind;
			const char *t = c;
			size_t tn = cn;
			/* blank: only white space (JS trim); a printable ASCII
			 * first character settles it at once */
			if (!(cn && (unsigned char)c[0] > 0x20 && (unsigned char)c[0] < 0x80))
				sdb_js_trim(&t, &tn);
			if (tn == 0) {
				if (sdb_grow((void **)&d->blanks, &d->bcap, d->nblanks + 1,
					     sizeof(*d->blanks), 64))
					return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
				d->blanks[d->nblanks++] = no;
				continue;
			}
			out->raw = s;
			out->c = c;
			out->n = cn;
			out->indent = ind;
			out->depth = (long)(ind / (size_t)d->o->indent);
			out->no = no;
			if (d->o->strict) {
				/* the leading run of spaces and tabs holds a tab */
				if (ind < rl && s[ind] == '\t')
					return errl(d, out, s + ind, "tabs are not allowed in indentation");
				if (ind % (size_t)d->o->indent)
					return errl(d, out, s, "indentation must be a multiple of %d spaces, found %zu",
						    d->o->indent, ind);
			}
			return 1;
		}
	}
}

/* @return the next line or NULL at the end; errors leave d->e set and
 * make *rc negative. */
static const struct line *peek(struct dec *d, int *rc)
{
	if (d->has_peek)
		return &d->peeked;
	if (d->done)
		return NULL;
	int r = scan_line(d, &d->peeked);
	if (r < 0) {
		*rc = r;
		d->done = 1;
		return NULL;
	}
	if (r == 0) {
		d->done = 1;
		return NULL;
	}
	d->has_peek = 1;
	return &d->peeked;
}

static void advance(struct dec *d)
{
	if (d->has_peek) {
		d->last = d->peeked;
		d->has_peek = 0;
	}
}

/* ---- token helpers (the reference parser's string-utils) ---- */

static long find_unquoted(const char *c, size_t n, char ch, size_t start)
{
	int inq = 0;
	size_t i = start;

	/* fast path up to the first quote: nothing is quoted before it */
	if (i < n) {
		const char *q = memchr(c + i, '"', n - i);
		size_t lim = q ? (size_t)(q - c) : n;
		const char *h = memchr(c + i, ch, lim - i);
		if (h)
			return (long)(h - c);
		if (!q)
			return -1;
		i = lim;
	}
	for (; i < n; i++) {
		if (c[i] == '\\' && i + 1 < n && inq) {
			i++;
			continue;
		}
		if (c[i] == '"') {
			inq = !inq;
			continue;
		}
		if (c[i] == ch && !inq)
			return (long)i;
	}
	return -1;
}

static long find_unquoted_l(const struct line *l, const char *c, size_t n, char ch)
{
	long q = line_first(l, c, '"'), h = line_first(l, c, ch);

	if (h >= 0 && (q < 0 || h < q))
		return h; /* no quote before it */
	if (q < 0)
		return -1;
	return find_unquoted(c, n, ch, (size_t)q);
}

static long find_closing_quote(const char *c, size_t n, size_t start)
{
	for (size_t i = start + 1; i < n; i++) {
		if (c[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (c[i] == '"')
			return (long)i;
	}
	return -1;
}

/* Unescapes a TOON quoted body (§7.1) into d->sbuf (appending). */
static int unescape(struct dec *d, const struct line *l, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '\\')
			j++;
		sdb_buf_add(&d->sbuf, p + i, j - i);
		if (j >= n)
			break;
		if (j + 1 >= n)
			return errl(d, l, p + j, "invalid escape: backslash at end of string");
		switch (p[j + 1]) {
		case 'n': sdb_buf_addc(&d->sbuf, '\n'); break;
		case 't': sdb_buf_addc(&d->sbuf, '\t'); break;
		case 'r': sdb_buf_addc(&d->sbuf, '\r'); break;
		case '\\': sdb_buf_addc(&d->sbuf, '\\'); break;
		case '"': sdb_buf_addc(&d->sbuf, '"'); break;
		case 'u': {
			uint32_t u = 0;
			char enc[4];
			if (j + 6 > n)
				return errl(d, l, p + j, "invalid escape: truncated \\u escape");
			for (int k = 0; k < 4; k++) {
				int h = sdb_hexval((unsigned char)p[j + 2 + k]);
				if (h < 0)
					return errl(d, l, p + j, "invalid escape: \\u must be followed by 4 hex digits");
				u = u * 16 + (uint32_t)h;
			}
			if (u >= 0xD800 && u <= 0xDFFF)
				return errl(d, l, p + j, "invalid escape: \\u%04x is a surrogate; write the character as UTF-8", u);
			sdb_buf_add(&d->sbuf, enc, (size_t)sdb_utf8_encode(u, enc));
			j += 4;
			break;
		}
		default:
			return errl(d, l, p + j, "invalid escape '\\%c'", p[j + 1]);
		}
		i = j + 2;
	}
	return 0;
}

/*
 * parseStringLiteral: a trimmed token; quoted -> unescaped into d->sbuf
 * (p and n point there), else the token itself.
 */
static int string_literal(struct dec *d, const struct line *l, const char *t, size_t tn,
			  const char **p, size_t *n, int *quoted)
{
	long close;
	int rc;

	sdb_js_trim(&t, &tn);
	*quoted = 0;
	if (tn == 0 || t[0] != '"') {
		*p = t;
		*n = tn;
		return 0;
	}
	close = find_closing_quote(t, tn, 0);
	if (close < 0)
		return errl(d, l, t, "unterminated string: missing closing quote");
	if ((size_t)close != tn - 1)
		return errl(d, l, t + close + 1, "unexpected characters after closing quote");
	sdb_buf_reset(&d->sbuf);
	if ((rc = unescape(d, l, t + 1, (size_t)close - 1)))
		return rc;
	*p = d->sbuf.data ? d->sbuf.data : "";
	*n = d->sbuf.len;
	*quoted = 1;
	return 0;
}

/* /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]?\d+)?$/i and finite: 1, else 0,
 * or SDB_ENOMEM */
static int numeric_literal(const char *p, size_t n)
{
	double v;

	if (!sdb_num_syntax(p, n, 0))
		return 0;
	if (n > 300 || memchr(p, 'e', n) || memchr(p, 'E', n))
		return sdb_num_value(p, n, &v) ? SDB_ENOMEM : isfinite(v);
	return 1;
}

/* parsePrimitiveToken, emitted to the sink. */
static int emit_prim(struct dec *d, const struct line *l, const char *t, size_t tn)
{
	struct sdb_jsink *s = d->sink;

	sdb_js_trim(&t, &tn);
	if (tn == 0)
		return s->scalar(s, SDB_J_STRING, "", 0);
	if (t[0] == '"') {
		const char *p;
		size_t n;
		int q, rc = string_literal(d, l, t, tn, &p, &n, &q);
		return rc ? rc : s->scalar(s, SDB_J_STRING, p, n);
	}
	if (tn == 4 && !memcmp(t, "true", 4))
		return s->scalar(s, SDB_J_TRUE, t, tn);
	if (tn == 5 && !memcmp(t, "false", 5))
		return s->scalar(s, SDB_J_FALSE, t, tn);
	if (tn == 4 && !memcmp(t, "null", 4))
		return s->scalar(s, SDB_J_NULL, t, tn);
	if ((t[0] >= '0' && t[0] <= '9') || t[0] == '-') {
		int plain = sdb_num_plain(t, tn);
		if (plain == 2)
			return s->scalar(s, SDB_J_NUMBER | SDB_JSINK_CANON, t, tn);
		if (plain)
			return s->scalar(s, SDB_J_NUMBER, t, tn);
		if ((plain = numeric_literal(t, tn)) < 0)
			return sdb_error_set(d->e, plain, "out of memory");
		if (plain)
			return s->scalar(s, SDB_J_NUMBER, t, tn);
	}
	return s->scalar(s, SDB_J_STRING, t, tn);
}

static __attribute__((noinline)) int grow_toks(struct dec *d)
{
	if (sdb_grow((void **)&d->toks, &d->tcap, d->tcap + 1, sizeof(*d->toks), 32))
		return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
	return 0;
}

/* Appends the trimmed token in[a..b) to d->toks (k counts them). */
static inline int push_tok(struct dec *d, const char *in, size_t a, size_t b, size_t *k)
{
	if (*k == d->tcap && grow_toks(d))
		return SDB_ENOMEM;
	d->toks[*k].p = in + a;
	d->toks[*k].n = b - a;
	sdb_js_trim(&d->toks[*k].p, &d->toks[*k].n);
	(*k)++;
	return 0;
}

/*
 * parseDelimitedValues into d->toks; *count set. Tokens are trimmed
 * spans of the input (quotes kept). quotes: 0 when the caller knows
 * in[0..n) has no '"'.
 */
static int split_values(struct dec *d, const char *in, size_t n, char delim, int quotes,
			size_t *count)
{
	size_t k = 0, start = 0;
	int inq = 0;

	if (n && !(quotes && memchr(in, '"', n))) {
		/* no quotes: every delimiter splits */
		size_t i = 0;
#ifdef __SSE2__
		const __m128i dv = _mm_set1_epi8(delim);
		for (; i + 16 <= n; i += 16) {
			unsigned m = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(in + i)), dv));
			while (m) {
				size_t at = i + (size_t)__builtin_ctz(m);
				if (push_tok(d, in, start, at, &k))
					return SDB_ENOMEM;
				start = at + 1;
				m &= m - 1;
			}
		}
#endif
		for (; i < n; i++)
			if (in[i] == delim) {
				if (push_tok(d, in, start, i, &k))
					return SDB_ENOMEM;
				start = i + 1;
			}
		if (push_tok(d, in, start, n, &k))
			return SDB_ENOMEM;
		*count = k;
		return 0;
	}

	for (size_t i = 0; i <= n; i++) {
		int at_end = i == n;
		if (!at_end) {
			char c = in[i];
			if (c == '\\' && i + 1 < n && inq) {
				i++;
				continue;
			}
			if (c == '"') {
				inq = !inq;
				continue;
			}
			if (c != delim || inq)
				continue;
		} else if (k == 0 && start == n)
			break; /* empty input: no values */
		if (push_tok(d, in, start, i, &k))
			return SDB_ENOMEM;
		start = i + 1;
	}
	*count = k;
	return 0;
}

/* ---- duplicate keys ---- */

/* Records key p/n in the object whose keys start at base. */
static int note_key(struct dec *d, size_t base, const struct line *l, const char *p, size_t n)
{
	uint64_t h = sdb_hash_short(p, n);

	for (size_t i = base; i < d->nseen; i++)
		if (d->seen[i].h == h && d->seen[i].len == n &&
		    !memcmp(d->sarena.data + d->seen[i].off, p, n)) {
			if (d->o->strict)
				return errl(d, l, NULL, "duplicate sibling key '%.*s'",
					    (int)(n > 100 ? 100 : n), p);
			return d->dup_restart ? SDB_ECONFLICT : 0;
		}
	if (!d->o->strict && !d->dup_restart)
		return 0;
	if (sdb_grow((void **)&d->seen, &d->scap, d->nseen + 1, sizeof(*d->seen), 256))
		return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
	d->seen[d->nseen].h = h;
	d->seen[d->nseen].off = d->sarena.len;
	d->seen[d->nseen].len = n;
	d->nseen++;
	sdb_buf_add(&d->sarena, p, n);
	return sdb_buf_ok(&d->sarena) ? 0 : sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
}

static void seen_pop(struct dec *d, size_t base)
{
	if (base < d->nseen) {
		d->sarena.len = d->seen[base].off;
		d->nseen = base;
	}
}

/* ---- headers ---- */

static int bracket_segment(const char *c, size_t n, size_t *len, char *delim)
{
	size_t v = 0;

	*delim = ',';
	if (n > 0 && (c[n - 1] == '\t' || c[n - 1] == '|')) {
		*delim = c[n - 1];
		n--;
	}
	if (n == 0 || (c[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i] < '0' || c[i] > '9')
			return -1;
		if (v > (SIZE_MAX - 9) / 10)
			v = SIZE_MAX; /* absurd: will not match any count */
		else
			v = v * 10 + (size_t)(c[i] - '0');
	}
	*len = v;
	return 0;
}

/*
 * parseArrayHeaderLine. @return 1 with *h filled (header_release it), 0 when
 * the content is not a header, or an error.
 */
static int parse_header(struct dec *d, const struct line *l, const char *c, size_t n,
			struct header *h)
{
	const char *tt = c;
	size_t tn = n, lead;
	long bs, be, brs, colon, bre;
	size_t brace_end;
	int rc, strict = d->o->strict;

	memset(h, 0, sizeof(*h));
	if (line_first(l, c, '[') < 0)
		return 0; /* every header has a bracket */
	lead = sdb_js_space_prefix(c, n);
	tt = c + lead;
	tn = n - lead;
	if (tn && tt[0] == '"') {
		long cq = find_closing_quote(tt, tn, 0);
		if (cq < 0 || (size_t)cq + 1 >= tn || tt[cq + 1] != '[')
			return 0;
		bs = (long)lead + cq + 1;
	} else {
		long kc;
		bs = find_unquoted_l(l, c, n, '[');
		/* spec 3.3.2 (newer than the 2.3.1 library here): a colon
		 * before the bracket makes it a key-value line whose value
		 * merely looks like a header ("key: foo [2]: bar") */
		kc = find_unquoted_l(l, c, n, ':');
		if (bs >= 0 && kc >= 0 && kc < bs)
			return 0;
	}
	if (bs < 0)
		return 0;
	be = find_unquoted(c, n, ']', (size_t)bs);
	if (be < 0)
		return 0;
	brace_end = (size_t)be + 1;
	brs = find_unquoted(c, n, '{', (size_t)be);
	colon = find_unquoted(c, n, ':', (size_t)be);
	if (brs >= 0 && brs < colon) {
		if ((size_t)brs != (size_t)be + 1) {
			if (strict)
				return errl(d, l, c + be + 1, "unexpected content between bracket and fields segment");
			return 0;
		}
		bre = find_unquoted(c, n, '}', (size_t)brs);
		if (bre >= 0)
			brace_end = (size_t)bre + 1;
	}
	colon = find_unquoted(c, n, ':', brace_end);
	if (colon < 0)
		return 0;
	if ((size_t)colon != brace_end) {
		if (strict)
			return errl(d, l, c + brace_end, "unexpected content between bracket segment and colon");
		return 0;
	}
	if (bs > 0) {
		const char *kp = c, *p;
		size_t kn = (size_t)bs, pn;
		int q;
		sdb_js_trim(&kp, &kn);
		if ((rc = string_literal(d, l, kp, kn, &p, &pn, &q)))
			return rc;
		if (q) {
			h->kown = malloc(pn + 1);
			if (!h->kown)
				return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
			memcpy(h->kown, p, pn);
			p = h->kown;
		}
		h->key = p;
		h->klen = pn;
		h->kquoted = q;
	}
	{
		const char *a = c + colon + 1;
		size_t an = n - (size_t)colon - 1;
		sdb_js_trim(&a, &an);
		if (an) {
			h->inl = a;
			h->inl_n = an;
		}
	}
	if (bracket_segment(c + bs + 1, (size_t)(be - bs - 1), &h->length, &h->delim)) {
		if (strict) {
			rc = errl(d, l, c + bs, "invalid array length '%.*s' (expected a non-negative integer without leading zeros)",
				  (int)(be - bs - 1), c + bs + 1);
			header_release(h);
			return rc;
		}
		header_release(h);
		return 0;
	}
	if (brs >= 0 && brs < colon) {
		bre = find_unquoted(c, n, '}', (size_t)brs);
		if (bre >= 0 && bre < colon) {
			const char *fc = c + brs + 1;
			size_t fn = (size_t)(bre - brs - 1), count;
			static const char cands[3] = { ',', '\t', '|' };
			for (int k = 0; k < 3; k++) {
				if (cands[k] == h->delim || find_unquoted(fc, fn, cands[k], 0) < 0)
					continue;
				if (strict) {
					rc = errl(d, l, fc, "header delimiter mismatch: the bracket declares '%s' but the fields use '%s'",
						  h->delim == '\t' ? "\\t" : h->delim == '|' ? "|" : ",",
						  cands[k] == '\t' ? "\\t" : cands[k] == '|' ? "|" : ",");
					header_release(h);
					return rc;
				}
				header_release(h);
				return 0;
			}
			if ((rc = split_values(d, fc, fn, h->delim, 1, &count))) {
				header_release(h);
				return rc;
			}
			h->has_fields = 1;
			h->fields = calloc(count ? count : 1, sizeof(*h->fields));
			if (!h->fields) {
				header_release(h);
				return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
			}
			/* each field name, unquoted from the line itself (so an error
			 * names its column), kept in a copy of its own */
			for (size_t f = 0; f < count; f++) {
				const char *p;
				size_t pn;
				int q;
				if ((rc = string_literal(d, l, d->toks[f].p, d->toks[f].n, &p, &pn, &q))) {
					header_release(h);
					return rc;
				}
				h->fields[f].p = malloc(pn + 1);
				if (!h->fields[f].p) {
					header_release(h);
					return sdb_error_set(d->e, SDB_ENOMEM, "out of memory");
				}
				memcpy(h->fields[f].p, p, pn);
				h->fields[f].n = pn;
				h->nfields = f + 1;
			}
		}
	}
	return 1;
}

/* ---- the decoder proper ---- */

static int dec_key_value(struct dec *d, const struct line *l, long base, size_t seen_base, int check);
static int dec_array(struct dec *d, struct header *h, long base, const struct line *hl);

static int count_mismatch(struct dec *d, const struct line *l, size_t want, size_t got, const char *what)
{
	if (!d->o->strict || want == got)
		return 0;
	return errl(d, l, NULL, "expected %zu %s, but got %zu", want, what, got);
}

static int blank_in_range(struct dec *d, long start, long end, const char *what)
{
	if (!d->o->strict)
		return 0;
	for (size_t i = 0; i < d->nblanks; i++)
		if (d->blanks[i] > start && d->blanks[i] < end) {
			return sdb_error_at(d->e, SDB_EPARSE, d->blanks[i], 1,
					    "blank lines inside %s are not allowed in strict mode", what);
		}
	return 0;
}

/*
 * Strict mode never drops a line (the 2.3.1 library silently ignores one
 * that no open structure takes): l is deeper than depth want.
 */
static int over_indented(struct dec *d, const struct line *l, long want)
{
	return errl(d, l, l->c, "unexpected indentation: expected %ld spaces here, found %zu",
		    want * d->o->indent, l->indent);
}

static int dec_object_fields(struct dec *d, long base)
{
	long depth = -1;
	size_t sb = d->nseen;
	int rc = 0;

	for (;;) {
		const struct line *l = peek(d, &rc);
		struct line cur;
		if (rc)
			break;
		if (!l || l->depth < base)
			break;
		if (depth < 0) {
			/* the reference decoder takes the first field's depth,
			 * however deep: strict mode does not skip a level */
			if (l->depth != base && d->o->strict) {
				rc = over_indented(d, l, base);
				break;
			}
			depth = l->depth;
		}
		if (l->depth != depth)
			break;
		cur = *l;
		advance(d);
		if ((rc = dec_key_value(d, &cur, depth, sb, 1)))
			break;
	}
	seen_pop(d, sb);
	return rc;
}

static int dec_key_value(struct dec *d, const struct line *l, long base, size_t seen_base, int check)
{
	struct sdb_jsink *s = d->sink;
	struct header h;
	int rc = parse_header(d, l, l->c, l->n, &h);
	const char *kp, *rest;
	size_t kn, restn, end;
	int quoted;

	if (rc < 0)
		return rc;
	if (rc == 1 && h.key) {
		if ((check && (rc = note_key(d, seen_base, l, h.key, h.klen))) ||
		    (rc = s->key(s, h.key, h.klen, h.kquoted, l->c)) ||
		    (rc = dec_array(d, &h, base, l))) {
			header_release(&h);
			return rc;
		}
		header_release(&h);
		return 0;
	}
	if (rc == 1)
		header_release(&h);
	/* parseKeyToken */
	if (l->n && l->c[0] == '"') {
		long cq = find_closing_quote(l->c, l->n, 0);
		if (cq < 0)
			return errl(d, l, NULL, "unterminated quoted key");
		sdb_buf_reset(&d->sbuf);
		if ((rc = unescape(d, l, l->c + 1, (size_t)cq - 1)))
			return rc;
		if ((size_t)cq + 1 >= l->n || l->c[cq + 1] != ':')
			return errl(d, l, l->c + cq + 1, "missing colon after key");
		kp = d->sbuf.data ? d->sbuf.data : "";
		kn = d->sbuf.len;
		end = (size_t)cq + 2;
		quoted = 1;
	} else {
		long fc = line_first(l, l->c, ':');
		const char *colon = fc >= 0 ? l->c + fc : NULL;
		if (!colon)
			return errl(d, l, l->c + l->n, "missing colon after key");
		kp = l->c;
		kn = (size_t)(colon - l->c);
		sdb_js_trim(&kp, &kn);
		end = (size_t)(colon - l->c) + 1;
		quoted = 0;
	}
	if ((check && (rc = note_key(d, seen_base, l, kp, kn))) ||
	    (rc = s->key(s, kp, kn, quoted, l->c)))
		return rc;
	rest = l->c + end;
	restn = l->n - end;
	sdb_js_trim(&rest, &restn);
	if (restn == 0) {
		const struct line *nx = peek(d, &rc);
		if (rc)
			return rc;
		if ((rc = s->begin(s, SDB_J_OBJECT)))
			return rc;
		if (nx && nx->depth > base && (rc = dec_object_fields(d, base + 1)))
			return rc;
		return s->end(s);
	}
	if (restn == 2 && rest[0] == '[' && rest[1] == ']') {
		if ((rc = s->begin(s, SDB_J_ARRAY)))
			return rc;
		return s->end(s);
	}
	return emit_prim(d, l, rest, restn);
}

static int dec_inline(struct dec *d, struct header *h, const struct line *hl)
{
	size_t count;
	int rc = split_values(d, h->inl, h->inl_n, h->delim, 1, &count);

	if (rc)
		return rc;
	if ((rc = count_mismatch(d, hl, h->length, count, "inline array items")))
		return rc;
	for (size_t i = 0; i < count; i++) {
		/* emit_prim may reuse d->toks only through string_literal,
		 * which does not touch it */
		if ((rc = emit_prim(d, hl, d->toks[i].p, d->toks[i].n)))
			return rc;
	}
	return 0;
}

static int is_data_row(const struct line *l, const char *c, size_t n, char delim)
{
	long colon = find_unquoted_l(l, c, n, ':'), dp;

	if (colon < 0)
		return 1;
	dp = find_unquoted(c, n, delim, 0);
	return dp >= 0 && dp < colon;
}

/* content.startsWith("- ") of the reference decoder */
static int hyphen_space(const struct line *l)
{
	return l->n >= 2 && l->c[0] == '-' && l->c[1] == ' ';
}

static int is_list_item(const struct line *l)
{
	return hyphen_space(l) || (l->n == 1 && l->c[0] == '-');
}

static int dec_tabular(struct dec *d, struct header *h, long base, const struct line *hl)
{
	struct sdb_jsink *s = d->sink;
	long rowdepth = base + 1, start = -1, endl = -1;
	size_t rows = 0;
	struct line lastrow = *hl;
	int rc = 0, prepared = 0;

	if (s->keys && h->nfields <= 4096) {
		char *kp[4096];
		size_t kn[4096];
		for (size_t f = 0; f < h->nfields; f++) {
			kp[f] = h->fields[f].p;
			kn[f] = h->fields[f].n;
		}
		if ((rc = s->keys(s, kp, kn, h->nfields)))
			return rc;
		prepared = 1;
	}
	while (rows < h->length) {
		const struct line *l = peek(d, &rc);
		struct line cur;
		size_t count;
		if (rc)
			return rc;
		if (!l || l->depth != rowdepth || !is_data_row(l, l->c, l->n, h->delim))
			break;
		cur = *l;
		if (start < 0)
			start = cur.no;
		endl = cur.no;
		lastrow = cur;
		advance(d);
		if ((rc = split_values(d, cur.c, cur.n, h->delim, cur.fq >= 0, &count)))
			return rc;
		if ((rc = count_mismatch(d, &cur, h->nfields, count, "tabular row values")))
			return rc;
		if ((rc = s->begin(s, SDB_J_OBJECT)))
			return rc;
		for (size_t f = 0; f < h->nfields; f++) {
			if (prepared)
				rc = s->key_at(s, f);
			else
				rc = s->key(s, h->fields[f].p, h->fields[f].n, 0,
					    cur.c);
			if (rc)
				return rc;
			if (f < count)
				rc = emit_prim(d, &cur, d->toks[f].p, d->toks[f].n);
			else
				rc = s->scalar(s, SDB_J_NULL, "null", 4); /* non-strict short row */
			if (rc)
				return rc;
		}
		if ((rc = s->end(s)))
			return rc;
		rows++;
	}
	if ((rc = count_mismatch(d, &lastrow, h->length, rows, "tabular rows")))
		return rc;
	if (start >= 0 && (rc = blank_in_range(d, start, endl, "tabular array")))
		return rc;
	if (d->o->strict) {
		const struct line *nx = peek(d, &rc);
		if (rc)
			return rc;
		if (nx && nx->depth == rowdepth && !hyphen_space(nx) &&
		    is_data_row(nx, nx->c, nx->n, h->delim))
			return errl(d, nx, NULL, "expected %zu tabular rows, but found more", h->length);
	}
	return 0;
}

static int dec_list_item(struct dec *d, long base);

static int dec_list(struct dec *d, struct header *h, long base, const struct line *hl)
{
	long itemdepth = base + 1, start = -1, endl = -1;
	size_t items = 0;
	struct line lastitem = *hl;
	int rc = 0;

	while (items < h->length) {
		const struct line *l = peek(d, &rc);
		if (rc)
			return rc;
		if (!l || l->depth != itemdepth || !is_list_item(l))
			break;
		if (start < 0)
			start = l->no;
		if ((rc = dec_list_item(d, itemdepth)))
			return rc;
		endl = d->last.no;
		lastitem = d->last;
		items++;
	}
	if ((rc = count_mismatch(d, &lastitem, h->length, items, "list array items")))
		return rc;
	if (start >= 0 && (rc = blank_in_range(d, start, endl, "list array")))
		return rc;
	if (d->o->strict) {
		const struct line *nx = peek(d, &rc);
		if (rc)
			return rc;
		if (nx && nx->depth == itemdepth && hyphen_space(nx))
			return errl(d, nx, NULL, "expected %zu list array items, but found more", h->length);
	}
	return 0;
}

static int dec_array(struct dec *d, struct header *h, long base, const struct line *hl)
{
	struct sdb_jsink *s = d->sink;
	int rc;

	/* duplicate field names resolve last-write-wins: needs the tree */
	if (d->dup_restart && h->nfields > 1 && !h->inl)
		for (size_t a = 0; a < h->nfields; a++)
			for (size_t b = a + 1; b < h->nfields; b++)
				if (h->fields[a].n == h->fields[b].n &&
				    !memcmp(h->fields[a].p, h->fields[b].p, h->fields[a].n))
					return SDB_ECONFLICT;
	if ((rc = s->begin(s, SDB_J_ARRAY)))
		return rc;
	if (h->inl) {
		/* a fields segment announces rows on the lines below: values
		 * after the colon are SochDB's compact form, which is not TOON */
		if (h->has_fields && d->o->strict)
			return errl(d, hl, h->inl, "a tabular header takes its rows on the lines below (the compact form needs decode --compact)");
		rc = dec_inline(d, h, hl);
	}
	else if (h->has_fields && h->nfields > 0)
		rc = dec_tabular(d, h, base, hl);
	else
		rc = dec_list(d, h, base, hl);
	return rc ? rc : s->end(s);
}

/* Fields of a list-item object after its first, at depth base. */
static int dec_follow_fields(struct dec *d, long base, size_t sb)
{
	int rc = 0;

	for (;;) {
		const struct line *l = peek(d, &rc);
		struct line cur;
		if (rc)
			return rc;
		if (!l || l->depth != base || hyphen_space(l))
			return 0;
		cur = *l;
		advance(d);
		if ((rc = dec_key_value(d, &cur, base, sb, 1)))
			return rc;
	}
}

static int dec_list_item(struct dec *d, long base)
{
	struct sdb_jsink *s = d->sink;
	struct line l, item;
	const char *a, *at;
	size_t an, atn;
	struct header h;
	int rc = 0;

	peek(d, &rc);
	if (rc)
		return rc;
	advance(d);
	l = d->last;
	if (l.n == 1) { /* "-" */
		if ((rc = s->begin(s, SDB_J_OBJECT)))
			return rc;
		return s->end(s);
	}
	a = l.c + 2;
	an = l.n - 2;
	at = a;
	atn = an;
	sdb_js_trim(&at, &atn);
	if (atn == 0) {
		if ((rc = s->begin(s, SDB_J_OBJECT)))
			return rc;
		return s->end(s);
	}
	if (atn == 2 && at[0] == '[' && at[1] == ']') {
		if ((rc = s->begin(s, SDB_J_ARRAY)))
			return rc;
		return s->end(s);
	}
	item = l;
	item.c = a;
	item.n = an;
	/* isArrayHeaderContent: starts with '[' and has an unquoted colon */
	if (at[0] == '[' && find_unquoted_l(&l, a, an, ':') >= 0) {
		rc = parse_header(d, &item, a, an, &h);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			rc = dec_array(d, &h, base, &item);
			header_release(&h);
			return rc;
		}
	}
	rc = parse_header(d, &item, a, an, &h);
	if (rc < 0)
		return rc;
	if (rc == 1 && h.key && h.has_fields) {
		size_t sb = d->nseen;
		if ((rc = s->begin(s, SDB_J_OBJECT)) ||
		    (rc = note_key(d, sb, &item, h.key, h.klen)) ||
		    (rc = s->key(s, h.key, h.klen, h.kquoted, item.c)) ||
		    (rc = dec_array(d, &h, base + 1, &item)) ||
		    (rc = dec_follow_fields(d, base + 1, sb)) ||
		    (rc = s->end(s))) {
			header_release(&h);
			seen_pop(d, sb);
			return rc;
		}
		header_release(&h);
		seen_pop(d, sb);
		return 0;
	}
	if (rc == 1)
		header_release(&h);
	if (find_unquoted_l(&l, a, an, ':') >= 0) {
		size_t sb = d->nseen;
		if ((rc = s->begin(s, SDB_J_OBJECT)) ||
		    (rc = dec_key_value(d, &item, base + 1, sb, 1)) ||
		    (rc = dec_follow_fields(d, base + 1, sb)) ||
		    (rc = s->end(s))) {
			seen_pop(d, sb);
			return rc;
		}
		seen_pop(d, sb);
		return 0;
	}
	return emit_prim(d, &item, a, an);
}

/* isKeyValueLine of the root decision */
static int key_value_line(const struct line *l)
{
	if (l->n && l->c[0] == '"') {
		long cq = find_closing_quote(l->c, l->n, 0);
		return cq >= 0 && memchr(l->c + cq + 1, ':', l->n - (size_t)cq - 1) != NULL;
	}
	return line_first(l, l->c, ':') >= 0;
}

static int dec_root_value(struct dec *d)
{
	struct sdb_jsink *s = d->sink;
	const struct line *first;
	struct line f;
	const char *t;
	size_t tn;
	int rc = 0;

	first = peek(d, &rc);
	if (rc)
		return rc;
	if (!first) {
		if ((rc = s->begin(s, SDB_J_OBJECT)))
			return rc;
		return s->end(s);
	}
	f = *first;
	if (d->o->strict && f.depth != 0)
		return over_indented(d, &f, 0);
	t = f.c;
	tn = f.n;
	sdb_js_trim(&t, &tn);
	if (tn == 2 && t[0] == '[' && t[1] == ']') {
		advance(d);
		if ((rc = s->begin(s, SDB_J_ARRAY)))
			return rc;
		return s->end(s);
	}
	if (t[0] == '[' && find_unquoted_l(&f, f.c, f.n, ':') >= 0) {
		struct header h;
		rc = parse_header(d, &f, f.c, f.n, &h);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			advance(d);
			rc = dec_array(d, &h, 0, &f);
			header_release(&h);
			return rc;
		}
	}
	advance(d);
	{
		const struct line *nx = peek(d, &rc);
		if (rc)
			return rc;
		if (!nx && !key_value_line(&f))
			return emit_prim(d, &f, f.c, f.n);
		if (!key_value_line(&f) && nx && nx->depth == 0)
			return errl(d, &f, NULL, "the document must start with a key-value or array-header line");
	}
	if ((rc = s->begin(s, SDB_J_OBJECT)))
		return rc;
	if ((rc = dec_key_value(d, &f, 0, 0, 1)))
		return rc;
	for (;;) {
		const struct line *l = peek(d, &rc);
		struct line cur;
		if (rc)
			return rc;
		if (!l || l->depth != 0)
			break;
		cur = *l;
		advance(d);
		if ((rc = dec_key_value(d, &cur, 0, 0, 1)))
			return rc;
	}
	return s->end(s);
}

static int dec_root(struct dec *d)
{
	const struct line *l;
	int rc = dec_root_value(d);

	if (rc || !d->o->strict)
		return rc;
	/* a line no structure took: the reference decoder stops there and
	 * drops it and everything after it */
	l = peek(d, &rc);
	if (rc || !l)
		return rc;
	if (l->depth == 0)
		return errl(d, l, l->c, "unexpected line after the root array");
	return errl(d, l, l->c, "unexpected indentation: the line before takes no nested lines, found %zu spaces",
		    l->indent);
}

void sdb_toon_dec_opts_init(struct sdb_toon_dec_opts *o)
{
	o->indent = 2;
	o->strict = 1;
	o->expand_paths = 0;
}

int sdb_toon_decode(const char *src, size_t len, const struct sdb_toon_dec_opts *o,
		    struct sdb_jsink *sink, int dup_restart, struct sdb_error *e)
{
	struct dec d;
	size_t bad;
	int rc;

	if ((bad = sdb_utf8_check(src, len))) {
		long line, col;
		sdb_text_position(src, bad - 1, &line, &col);
		return sdb_error_at(e, SDB_EPARSE, line, col, "invalid UTF-8");
	}
	memset(&d, 0, sizeof(d));
	d.src = src;
	d.len = len;
	d.o = o;
	d.sink = sink;
	d.dup_restart = dup_restart;
	d.e = e;
	rc = dec_root(&d);
	if (!rc && (!sdb_buf_ok(&d.sbuf) || !sdb_buf_ok(&d.sarena)))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	free(d.blanks);
	free(d.seen);
	free(d.toks);
	sdb_buf_release(&d.sbuf);
	sdb_buf_release(&d.sarena);
	if (rc == SDB_ECONFLICT && dup_restart)
		return rc; /* the caller's signal, not an error */
	return sdb_error_code(e, rc); /* the sink's codes come bare */
}

int sdb_toon_decode_json(const char *src, size_t len,
			 const struct sdb_toon_dec_opts *o, int exact,
			 int json_indent, int jsonl, struct sdb_buf *out,
			 struct sdb_error *e)
{
	size_t start = out->len;
	int rc = SDB_ECONFLICT;

	if (!o->expand_paths && !json_indent) {
		struct sdb_jsink_text t;
		sdb_buf_grow(out, len + len / 2); /* JSON is mostly larger */
		sdb_jsink_text_init(&t, out, exact, jsonl);
		rc = sdb_toon_decode(src, len, o, &t.base, 1, e);
		sdb_jsink_text_release(&t);
		if (!rc && !sdb_buf_ok(out))
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		if (rc != SDB_ECONFLICT)
			return rc;
		out->len = start;
	}
	{
		/* the general path: a tree (LWW, expansion), then JSON text */
		struct sdb_jsink_tree t;
		struct sdb_buf tmp = SDB_BUF_INIT;
		sdb_jsink_tree_init(&t, exact);
		rc = sdb_toon_decode(src, len, o, &t.base, 0, e);
		if (!rc && o->expand_paths)
			rc = sdb_toon_expand_paths(t.root, src, o->strict, e);
		if (!rc) {
			sdb_jv_write(t.root, &tmp);
			if (!sdb_buf_ok(&tmp))
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		sdb_jsink_tree_release(&t);
		if (!rc) {
			/* numbers are already canonical: write through the tape */
			struct sdb_json_doc doc;
			rc = sdb_json_parse(&doc, tmp.data, tmp.len, 0, e);
			if (!rc) {
				if (jsonl && sdb_json_type(&doc, 0) == SDB_J_ARRAY) {
					size_t end = (size_t)SDB_JT_END(doc.tape[0]);
					for (size_t j = 1; j < end; j = sdb_json_next(&doc, j)) {
						if (j > 1)
							sdb_buf_addc(out, '\n');
						sdb_json_write(&doc, j, json_indent, 1, out);
					}
				} else
					sdb_json_write(&doc, 0, json_indent, 1, out);
				sdb_json_release(&doc);
			}
		}
		sdb_buf_release(&tmp);
	}
	if (!rc && !sdb_buf_ok(out))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return rc;
}
