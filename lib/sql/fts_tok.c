/*
 * fts_tok.c - FTS5's tokenizers: unicode61 (Unicode token classes and
 * case folding from libutf8proc, diacritics removed as remove_diacritics
 * says), ascii, porter (libstemmer's Porter stemmer over another
 * tokenizer, as FTS5 wraps one) and trigram (every run of three
 * characters, so text without spaces - CJK - can be found).
 *
 * Options as FTS5 takes them: unicode61 remove_diacritics 0|1|2,
 * categories '...', tokenchars '...', separators '...'; trigram
 * case_sensitive 0|1, remove_diacritics 0|1; porter [parent args...].
 */
#include "sql/fts.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

enum { TK_UNICODE61, TK_ASCII, TK_TRIGRAM, TK_PORTER };

struct fts_tok {
	int kind;
	int remove_diacritics;
	uint32_t cats;             /* bit per utf8proc category: token chars */
	int32_t *tc, *sep;         /* tokenchars / separators exceptions */
	int ntc, nsep;
	int case_sensitive;        /* trigram */
	struct fts_tok *parent;    /* porter */
	char *spec;                /* the tokenize= text (the cache's key) */
	struct fts_tok *next;      /* the cache */
};

/* The folded token being built: per call, so one tokenizer serves every
 * connection and thread. */
struct tbuf {
	char *buf;
	size_t cap;
	char small[256];
};

static int has_cp(const int32_t *a, int n, int32_t c)
{
	for (int i = 0; i < n; i++)
		if (a[i] == c)
			return 1;
	return 0;
}

/* Decodes one UTF-8 character at s[i..n) (invalid bytes stand for
 * themselves); @return its length. */
static int next_cp(const unsigned char *s, int n, int i, int32_t *c)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t l = utf8proc_iterate(s + i, n - i, &cp);
	if (l <= 0) {
		*c = s[i];
		return 1;
	}
	*c = cp;
	return (int)l;
}

static int is_token_char(const struct fts_tok *t, int32_t c)
{
	if (t->nsep && has_cp(t->sep, t->nsep, c))
		return 0;
	if (t->ntc && has_cp(t->tc, t->ntc, c))
		return 1;
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z');
	if (t->kind == TK_ASCII)
		return 1; /* ascii: every non-ASCII character is a token char */
	int cat = utf8proc_category(c);
	return (t->cats >> cat) & 1;
}

/* Case folding and diacritics of one character: 0 when it is dropped (a
 * combining mark while diacritics are removed). */
static int32_t fold_cp(const struct fts_tok *t, int32_t c, int rd)
{
	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			c += 32;
		return c;
	}
	if (t->kind == TK_ASCII)
		return c;
	c = utf8proc_tolower(c);
	if (rd) {
		if (c >= 0x300 && c <= 0x36f)
			return 0;
		utf8proc_int32_t d[8];
		int last;
		utf8proc_ssize_t nd = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE, &last);
		if (nd >= 2 && (rd == 2 || nd == 2)) {
			int marks = 1;
			for (utf8proc_ssize_t i = 1; i < nd; i++)
				if (utf8proc_category(d[i]) != UTF8PROC_CATEGORY_MN)
					marks = 0;
			if (marks && d[0] < 0x10000)
				c = d[0];
		}
	}
	return c;
}

/* Room for 8 more bytes past len in t. @return 0 or -1. */
static int put_room(struct tbuf *t, size_t len)
{
	size_t nc = t->cap * 2;
	char *nb = t->buf == t->small ? malloc(nc) : realloc(t->buf, nc);
	if (!nb)
		return -1;
	if (t->buf == t->small)
		memcpy(nb, t->small, len);
	t->buf = nb;
	t->cap = nc;
	return 0;
}

static int put_cp(struct tbuf *t, size_t *len, int32_t c)
{
	if (*len + 8 > t->cap && put_room(t, *len))
		return -1;
	*len += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)t->buf + *len);
	return 0;
}

/* An ASCII letter or digit (unicode61's and ascii's token characters
 * below 0x80). */
static inline int ascii_word(unsigned char b)
{
	return (unsigned)((b | 32) - 'a') < 26 || (unsigned)(b - '0') < 10;
}

struct porter_ctx {
	struct sb_stemmer *stem;
	void *ctx;
	fts_tok_cb cb;
};

static int porter_cb(void *vp, const char *tok, int n, int start, int end)
{
	struct porter_ctx *p = vp;
	if (n < 3 || n > 64)
		return p->cb(p->ctx, tok, n, start, end);
	const sb_symbol *s = sb_stemmer_stem(p->stem, (const sb_symbol *)tok, n);
	if (!s)
		return SDB_ENOMEM;
	return p->cb(p->ctx, (const char *)s, sb_stemmer_length(p->stem), start, end);
}

static int tokenize(struct fts_tok *t, struct tbuf *tb, const char *text, int n,
		    void *ctx, fts_tok_cb cb);

/* The calling thread's Porter stemmer (made on its first use, freed when
 * the thread ends): a stemmer per row was a malloc and free per call. */
static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;
static int stem_key_ok;

static void stem_free(void *p)
{
	sb_stemmer_delete(p);
}

static void stem_key_make(void)
{
	stem_key_ok = pthread_key_create(&stem_key, stem_free) == 0;
}

static struct sb_stemmer *thread_stemmer(void)
{
	pthread_once(&stem_once, stem_key_make);
	if (!stem_key_ok)
		return NULL;
	struct sb_stemmer *st = pthread_getspecific(stem_key);
	if (!st && (st = sb_stemmer_new("porter", "UTF_8")) &&
	    pthread_setspecific(stem_key, st)) {
		sb_stemmer_delete(st);
		st = NULL;
	}
	return st;
}

int fts_tokenize(struct fts_tok *t, const char *text, int n, void *ctx,
		 fts_tok_cb cb)
{
	struct tbuf tb;
	int rc;
	tb.buf = tb.small;
	tb.cap = sizeof tb.small;
	if (t->kind == TK_PORTER) {
		/* libstemmer's stemmers keep state: one per thread */
		struct porter_ctx p = { thread_stemmer(), ctx, cb };
		if (!p.stem)
			return SDB_ENOMEM;
		rc = tokenize(t->parent, &tb, text, n, &p, porter_cb);
	} else
		rc = tokenize(t, &tb, text, n, ctx, cb);
	if (tb.buf != tb.small)
		free(tb.buf);
	return rc;
}

static int tokenize(struct fts_tok *t, struct tbuf *tb, const char *text, int n,
		    void *ctx, fts_tok_cb cb)
{
	const unsigned char *s = (const unsigned char *)text;
	int rc;
	if (t->kind == TK_TRIGRAM) {
		/* every window of three characters, its bytes [start, end) */
		int starts[3] = { 0 }, have = 0, i = 0;
		int32_t cps[3];
		while (i < n) {
			int32_t c;
			int l = next_cp(s, n, i, &c);
			if (have == 3) {
				cps[0] = cps[1];
				cps[1] = cps[2];
				starts[0] = starts[1];
				starts[1] = starts[2];
				have = 2;
			}
			starts[have] = i;
			cps[have++] = c;
			i += l;
			if (have < 3)
				continue;
			size_t len = 0;
			for (int k = 0; k < 3; k++) {
				int32_t f = cps[k];
				if (!t->case_sensitive || t->remove_diacritics)
					f = t->case_sensitive ? f : fold_cp(t, f, t->remove_diacritics);
				if (f && put_cp(tb, &len, f))
					return SDB_ENOMEM;
			}
			if ((rc = cb(ctx, tb->buf, (int)len, starts[0], i)))
				return rc;
		}
		return 0;
	}
	/* ASCII bytes take a fast path when no tokenchars/separators
	 * exception can apply to them: letters and digits are the token
	 * characters, folded inline (as is_token_char and fold_cp do) */
	const int fast = !t->ntc && !t->nsep;
	int i = 0;
	while (i < n) {
		int32_t c;
		int l;
		if (fast && s[i] < 0x80) {
			if (!ascii_word(s[i])) {
				i++;
				continue;
			}
		} else if (l = next_cp(s, n, i, &c), !is_token_char(t, c)) {
			i += l;
			continue;
		}
		int start = i;
		size_t len = 0;
		while (i < n) {
			if (fast && s[i] < 0x80) {
				unsigned char b = s[i];
				if (!ascii_word(b))
					break;
				if (len + 8 > tb->cap && put_room(tb, len))
					return SDB_ENOMEM;
				tb->buf[len++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
				i++;
				continue;
			}
			l = next_cp(s, n, i, &c);
			if (!is_token_char(t, c))
				break;
			int32_t f = fold_cp(t, c, t->remove_diacritics);
			if (f && put_cp(tb, &len, f))
				return SDB_ENOMEM;
			i += l;
		}
		if (len && (rc = cb(ctx, tb->buf, (int)len, start, i)))
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ options */

/* Splits spec into words (FTS5: barewords, '...', "...", [...], `...`). */
static int split_args(const char *spec, char ***out, int *n)
{
	int cap = 8;
	char **v = calloc((size_t)cap, sizeof(*v));
	*n = 0;
	if (!v)
		return -1;
	const char *p = spec;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		char *w = malloc(strlen(p) + 1);
		if (!w)
			goto fail;
		size_t wl = 0;
		if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
			char q = *p == '[' ? ']' : *p;
			p++;
			while (*p) {
				if (*p == q) {
					if (q != ']' && p[1] == q) {
						w[wl++] = q;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				w[wl++] = *p++;
			}
		} else
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				w[wl++] = *p++;
		w[wl] = 0;
		if (*n == cap) {
			cap *= 2;
			char **nv = realloc(v, sizeof(*nv) * (size_t)cap);
			if (!nv) {
				free(w);
				goto fail;
			}
			v = nv;
		}
		v[(*n)++] = w;
	}
	*out = v;
	return 0;
fail:
	for (int i = 0; i < *n; i++)
		free(v[i]);
	free(v);
	return -1;
}

static int set_cps(const char *z, int32_t **out, int *n)
{
	size_t len = strlen(z);
	int32_t *a = realloc(*out, sizeof(*a) * (len + 1 + (size_t)*n));
	if (!a)
		return -1;
	*out = a;
	int i = 0;
	while (i < (int)len) {
		int32_t c;
		i += next_cp((const unsigned char *)z, (int)len, i, &c);
		a[(*n)++] = c;
	}
	return 0;
}

static const struct {
	const char *name;
	int cat;
} cat_names[] = {
	{ "Cn", 0 }, { "Lu", 1 }, { "Ll", 2 }, { "Lt", 3 }, { "Lm", 4 }, { "Lo", 5 },
	{ "Mn", 6 }, { "Mc", 7 }, { "Me", 8 }, { "Nd", 9 }, { "Nl", 10 }, { "No", 11 },
	{ "Pc", 12 }, { "Pd", 13 }, { "Ps", 14 }, { "Pe", 15 }, { "Pi", 16 }, { "Pf", 17 },
	{ "Po", 18 }, { "Sm", 19 }, { "Sc", 20 }, { "Sk", 21 }, { "So", 22 }, { "Zs", 23 },
	{ "Zl", 24 }, { "Zp", 25 }, { "Cc", 26 }, { "Cf", 27 }, { "Cs", 28 }, { "Co", 29 },
};

static int parse_cats(const char *z, uint32_t *mask)
{
	*mask = 0;
	char **w;
	int n;
	if (split_args(z, &w, &n))
		return -1;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (size_t k = 0; k < sizeof cat_names / sizeof cat_names[0]; k++) {
			const char *cn = cat_names[k].name;
			if ((w[i][0] == cn[0] && w[i][1] == '*' && !w[i][2]) ||
			    !strcmp(w[i], cn)) {
				*mask |= 1u << cat_names[k].cat;
				found = 1;
			}
		}
		if (!found)
			rc = 1;
	}
	for (int i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return rc;
}

static int bad_tok(struct sdb_error *e, const char *spec)
{
	(void)spec;
	return sdb_error_set(e, SDB_EINVAL, "error in tokenizer constructor");
}

static int build(char **w, int n, struct fts_tok **out, struct sdb_error *e)
{
	struct fts_tok *t = calloc(1, sizeof(*t));
	int rc = 0;
	if (!t)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	*out = t;
	const char *name = n ? w[0] : "unicode61";
	if (!strcasecmp(name, "porter")) {
		t->kind = TK_PORTER;
		return build(w + (n ? 1 : 0), n ? n - 1 : 0, &t->parent, e);
	}
	if (!strcasecmp(name, "unicode61"))
		t->kind = TK_UNICODE61;
	else if (!strcasecmp(name, "ascii"))
		t->kind = TK_ASCII;
	else if (!strcasecmp(name, "trigram"))
		t->kind = TK_TRIGRAM;
	else
		return sdb_error_set(e, SDB_EINVAL, "no such tokenizer: %s", name);
	t->remove_diacritics = t->kind == TK_UNICODE61 ? 1 : 0;
	/* L* N* Co */
	t->cats = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
		  (1u << 9) | (1u << 10) | (1u << 11) | (1u << 29);
	if (n > 1 && (n - 1) % 2)
		return bad_tok(e, name);
	for (int i = 1; i + 1 < n && !rc; i += 2) {
		const char *k = w[i], *v = w[i + 1];
		if (t->kind == TK_TRIGRAM) {
			if (!strcasecmp(k, "case_sensitive") && (!strcmp(v, "0") || !strcmp(v, "1")))
				t->case_sensitive = v[0] == '1';
			else if (!strcasecmp(k, "remove_diacritics") && (!strcmp(v, "0") || !strcmp(v, "1")))
				t->remove_diacritics = v[0] == '1';
			else
				return bad_tok(e, name);
			continue;
		}
		if (!strcasecmp(k, "remove_diacritics") && t->kind == TK_UNICODE61) {
			if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "2"))
				return bad_tok(e, name);
			t->remove_diacritics = v[0] - '0';
		} else if (!strcasecmp(k, "tokenchars")) {
			if (set_cps(v, &t->tc, &t->ntc))
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		} else if (!strcasecmp(k, "separators")) {
			if (set_cps(v, &t->sep, &t->nsep))
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		} else if (!strcasecmp(k, "categories") && t->kind == TK_UNICODE61) {
			int r = parse_cats(v, &t->cats);
			if (r < 0)
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			if (r)
				return bad_tok(e, name);
		} else
			return bad_tok(e, name);
	}
	if (t->kind == TK_TRIGRAM && t->case_sensitive && t->remove_diacritics)
		return bad_tok(e, name);
	return 0;
}

static void tok_destroy(struct fts_tok *t)
{
	if (!t)
		return;
	tok_destroy(t->parent);
	free(t->tc);
	free(t->sep);
	free(t->spec);
	free(t);
}

/* Tokenizers are immutable once built: one per tokenize= text for the
 * process, shared by every table and connection that names it (catalog
 * definitions come and go with reloads; these stay). */
static struct fts_tok *cache;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

int fts_tok_new(const char *spec, struct fts_tok **out, struct sdb_error *e)
{
	char **w;
	int n;
	*out = NULL;
	if (!spec)
		spec = "";
	pthread_mutex_lock(&cache_mu);
	for (struct fts_tok *c = cache; c; c = c->next)
		if (!strcmp(c->spec, spec)) {
			pthread_mutex_unlock(&cache_mu);
			*out = c;
			return 0;
		}
	pthread_mutex_unlock(&cache_mu);
	if (split_args(spec, &w, &n))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	struct fts_tok *t = NULL;
	int rc = build(w, n, &t, e);
	for (int i = 0; i < n; i++)
		free(w[i]);
	free(w);
	if (!rc && !(t->spec = strdup(spec)))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (rc) {
		tok_destroy(t);
		return rc;
	}
	pthread_mutex_lock(&cache_mu);
	t->next = cache;
	cache = t;
	pthread_mutex_unlock(&cache_mu);
	*out = t;
	return 0;
}

void fts_tok_free(struct fts_tok *t)
{
	(void)t; /* cached for the process (fts_tok_new) */
}

int fts_tok_is_trigram(const struct fts_tok *t)
{
	while (t && t->kind == TK_PORTER)
		t = t->parent;
	return t && t->kind == TK_TRIGRAM;
}
