/*
 * tokenize.c - the SQL tokenizer (SQLite's lexical rules; see tokenize.h).
 *
 * DESIGN. One forward pass over the input, one token per call. Line and
 * column are not kept per byte: the lexer remembers where it last knew
 * them (cpos) and counts newlines and UTF-8 lead bytes from there to the
 * next token's start, so a long one-line script costs linear time.
 */
#include "sql/tokenize.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char *const kw_names[] = {
	NULL,
#define SDB_SQL_KW_NAME(k) #k,
	SDB_SQL_KEYWORDS(SDB_SQL_KW_NAME)
#undef SDB_SQL_KW_NAME
};

/* SQLite's parse.y "%fallback ID" list (and the contextual WINDOW, OVER,
 * FILTER): keywords that may also be names. */
static const enum sdb_sql_kw kw_fallback[] = {
	SQL_KW_ABORT, SQL_KW_ACTION, SQL_KW_AFTER, SQL_KW_ANALYZE, SQL_KW_ASC,
	SQL_KW_ATTACH, SQL_KW_BEFORE, SQL_KW_BEGIN, SQL_KW_BY, SQL_KW_CASCADE,
	SQL_KW_CAST, SQL_KW_COLUMN, SQL_KW_CONFLICT, SQL_KW_DATABASE,
	SQL_KW_DEFERRED, SQL_KW_DESC, SQL_KW_DETACH, SQL_KW_DO, SQL_KW_EACH,
	SQL_KW_END, SQL_KW_EXCLUSIVE, SQL_KW_EXPLAIN, SQL_KW_FAIL, SQL_KW_FOR,
	SQL_KW_IGNORE, SQL_KW_IMMEDIATE, SQL_KW_INITIALLY, SQL_KW_INSTEAD,
	SQL_KW_LIKE, SQL_KW_GLOB, SQL_KW_REGEXP, SQL_KW_MATCH, SQL_KW_NO,
	SQL_KW_PLAN, SQL_KW_QUERY, SQL_KW_KEY, SQL_KW_OF, SQL_KW_OFFSET,
	SQL_KW_PRAGMA, SQL_KW_RAISE, SQL_KW_RECURSIVE, SQL_KW_RELEASE,
	SQL_KW_REPLACE, SQL_KW_RESTRICT, SQL_KW_ROW, SQL_KW_ROWS,
	SQL_KW_SAVEPOINT, SQL_KW_TEMP, SQL_KW_TEMPORARY, SQL_KW_TRIGGER,
	SQL_KW_VACUUM, SQL_KW_VIEW, SQL_KW_VIRTUAL, SQL_KW_WITH,
	SQL_KW_WITHOUT, SQL_KW_NULLS, SQL_KW_FIRST, SQL_KW_LAST,
	SQL_KW_CURRENT, SQL_KW_FOLLOWING, SQL_KW_PARTITION, SQL_KW_PRECEDING,
	SQL_KW_RANGE, SQL_KW_UNBOUNDED, SQL_KW_EXCLUDE, SQL_KW_GROUPS,
	SQL_KW_OTHERS, SQL_KW_TIES, SQL_KW_GENERATED, SQL_KW_ALWAYS,
	SQL_KW_MATERIALIZED, SQL_KW_REINDEX, SQL_KW_RENAME,
	SQL_KW_CURRENT_DATE, SQL_KW_CURRENT_TIME, SQL_KW_CURRENT_TIMESTAMP,
	SQL_KW_IF, SQL_KW_WINDOW, SQL_KW_OVER, SQL_KW_FILTER,
};

const char *sdb_sql_keyword_name(enum sdb_sql_kw kw)
{
	return kw > SQL_KW_NONE && kw < SQL_KW_COUNT_ ? kw_names[kw] : "";
}

int sdb_sql_keyword_is_name(enum sdb_sql_kw kw)
{
	for (size_t i = 0; i < sizeof(kw_fallback) / sizeof(kw_fallback[0]); i++)
		if (kw_fallback[i] == kw)
			return 1;
	return 0;
}

/* Keywords by a hash of their lower-case bytes (open addressing), built
 * once: a token's lookup costs one hash and about one comparison. */
#define KW_SLOTS 1024
static uint16_t kw_slot[KW_SLOTS];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static unsigned kw_hash(const char *z, size_t n)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void kw_build(void)
{
	for (int k = 1; k < SQL_KW_COUNT_; k++) {
		unsigned h = kw_hash(kw_names[k], strlen(kw_names[k])) & (KW_SLOTS - 1);
		while (kw_slot[h])
			h = (h + 1) & (KW_SLOTS - 1);
		kw_slot[h] = (uint16_t)k;
	}
}

enum sdb_sql_kw sdb_sql_keyword(const char *z, size_t n)
{
	if (n < 2 || n > 17)
		return SQL_KW_NONE;
	pthread_once(&kw_once, kw_build);
	for (unsigned h = kw_hash(z, n) & (KW_SLOTS - 1); kw_slot[h]; h = (h + 1) & (KW_SLOTS - 1)) {
		const char *k = kw_names[kw_slot[h]];
		/* compare first: k may be shorter than n (then k[n] is past it) */
		if (!strncasecmp(z, k, n) && k[n] == 0)
			return (enum sdb_sql_kw)kw_slot[h];
	}
	return SQL_KW_NONE;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_xdigit(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* SQLite's IdChar: letters, digits, '_', '$' and every byte >= 0x80. */
static int is_idchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

static int is_idstart(unsigned char c)
{
	return is_idchar(c) && !is_digit(c) && c != '$';
}

void sdb_sql_lexer_init(struct sdb_sql_lexer *lx, const char *sql, size_t len)
{
	/* As in SQLite, a NUL byte ends the SQL text (one inside a quoted
	 * token leaves it unterminated). It is looked for a window ahead of
	 * the tokens read (check_nul), not in the whole text at once: a
	 * script run one statement at a time stays linear. */
	lx->sql = sql;
	lx->len = len;
	lx->checked = 0;
	lx->pos = lx->cpos = 0;
	lx->line = lx->col = 1;
}

/* Makes sure sql[0..upto) has no NUL byte, cutting the text at one. */
static void check_nul(struct sdb_sql_lexer *lx, size_t upto)
{
	const char *nul;

	if (upto > lx->len)
		upto = lx->len;
	if (upto <= lx->checked)
		return;
	nul = memchr(lx->sql + lx->checked, 0, upto - lx->checked);
	if (nul)
		lx->len = (size_t)(nul - lx->sql);
	lx->checked = nul ? lx->len : upto;
}

static int lexer_next1(struct sdb_sql_lexer *lx, struct sdb_sql_token *t,
		       struct sdb_error *e);

int sdb_sql_lexer_next(struct sdb_sql_lexer *lx, struct sdb_sql_token *t,
		       struct sdb_error *e)
{
	struct sdb_sql_lexer save = *lx;
	size_t end, len0;
	int rc;

	check_nul(lx, lx->pos + 8192);
	save.len = lx->len;
	save.checked = lx->checked;
	rc = lexer_next1(lx, t, e);
	end = lx->pos > t->off + t->n ? lx->pos : t->off + t->n;
	if (end + 1 > lx->checked) {
		len0 = lx->len;
		check_nul(lx, end + 1); /* + 1: what the token ended at */
		if (lx->len != len0) { /* a NUL inside: read the token again */
			save.len = lx->len;
			save.checked = lx->checked;
			*lx = save;
			rc = lexer_next1(lx, t, e);
		}
	}
	return rc;
}

void sdb_sql_advance(const char *text, size_t from, size_t to, long *line, long *col)
{
	const unsigned char *s = (const unsigned char *)text;
	const uint64_t hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;

	for (size_t i = from; i < to; i++) {
#ifdef __SSE2__
		/* sixteen bytes at a time (a vector literal is long): a
		 * column per byte that starts a character, a line per
		 * newline, the column counted again after the last one */
		while (i + 16 <= to) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			unsigned nl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
			unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
				_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), _mm_set1_epi8((char)0x80)));
			unsigned starts = ~cont & 0xFFFFu;
			if (!(nl | cont)) {
				*col += 16; /* the common case: no call to count */
			} else if (nl) {
				int last = 31 - __builtin_clz(nl);
				*line += __builtin_popcount(nl);
				*col = 1 + __builtin_popcount(starts & ~((2u << last) - 1) & 0xFFFFu);
			} else {
				*col += __builtin_popcount(starts);
			}
			i += 16;
		}
#endif
		/* eight ASCII bytes without a newline at a time */
		while (i + 8 <= to) {
			uint64_t w, x;
			memcpy(&w, s + i, 8);
			x = w ^ (ones * '\n');
			if ((w & hi) || ((x - ones) & ~x & hi))
				break;
			*col += 8;
			i += 8;
		}
		if (i >= to)
			break;
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if ((s[i] & 0xC0) != 0x80)
			(*col)++;
	}
}

/* Moves the known line/column forward to byte `to`. */
static void advance_pos(struct sdb_sql_lexer *lx, size_t to)
{
	sdb_sql_advance(lx->sql, lx->cpos, to, &lx->line, &lx->col);
	lx->cpos = to;
}

/* The length and type of the token at s[0..n), n >= 1; SQL_TK_EOF for
 * "not a token" (white space and comments are handled by the caller). */
static size_t scan(const unsigned char *s, size_t n, enum sdb_sql_tk *type,
		   int *bad)
{
	size_t i;
	*bad = 0;
	switch (s[0]) {
	case ';': *type = SQL_TK_SEMI; return 1;
	case '(': *type = SQL_TK_LP; return 1;
	case ')': *type = SQL_TK_RP; return 1;
	case ',': *type = SQL_TK_COMMA; return 1;
	case '+': *type = SQL_TK_PLUS; return 1;
	case '*': *type = SQL_TK_STAR; return 1;
	case '/': *type = SQL_TK_SLASH; return 1;
	case '%': *type = SQL_TK_REM; return 1;
	case '&': *type = SQL_TK_BITAND; return 1;
	case '~': *type = SQL_TK_BITNOT; return 1;
	case '-':
		if (n > 1 && s[1] == '>') {
			if (n > 2 && s[2] == '>') {
				*type = SQL_TK_PTR2;
				return 3;
			}
			*type = SQL_TK_PTR;
			return 2;
		}
		*type = SQL_TK_MINUS;
		return 1;
	case '=':
		*type = SQL_TK_EQ;
		return n > 1 && s[1] == '=' ? 2 : 1;
	case '<':
		if (n > 1 && s[1] == '=') { *type = SQL_TK_LE; return 2; }
		if (n > 1 && s[1] == '>') { *type = SQL_TK_NE; return 2; }
		if (n > 1 && s[1] == '<') { *type = SQL_TK_LSHIFT; return 2; }
		*type = SQL_TK_LT;
		return 1;
	case '>':
		if (n > 1 && s[1] == '=') { *type = SQL_TK_GE; return 2; }
		if (n > 1 && s[1] == '>') { *type = SQL_TK_RSHIFT; return 2; }
		*type = SQL_TK_GT;
		return 1;
	case '!':
		*type = SQL_TK_NE;
		if (n > 1 && s[1] == '=')
			return 2;
		*bad = 1;
		return 1;
	case '|':
		if (n > 1 && s[1] == '|') { *type = SQL_TK_CONCAT; return 2; }
		*type = SQL_TK_BITOR;
		return 1;
	case '\'': case '"': case '`': {
		unsigned char q = s[0];
		*type = q == '\'' ? SQL_TK_STRING : SQL_TK_QID;
		for (i = 1; i < n; i++) {
			/* to the next quote (a vector literal is long) */
			const unsigned char *z = memchr(s + i, q, n - i);
			if (!z)
				break;
			i = (size_t)(z - s);
			if (i + 1 < n && s[i + 1] == q) {
				i++;
				continue;
			}
			return i + 1;
		}
		*bad = 1;
		return n;
	}
	case '[':
		*type = SQL_TK_QID;
		for (i = 1; i < n; i++)
			if (s[i] == ']')
				return i + 1;
		*bad = 1;
		return n;
	case '.':
		if (n < 2 || !is_digit(s[1])) {
			*type = SQL_TK_DOT;
			return 1;
		}
		/* fall through: a number like .5 */
		/* FALLTHROUGH */
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		*type = SQL_TK_INTEGER;
		i = 0;
		if (s[0] == '0' && n > 2 && (s[1] == 'x' || s[1] == 'X') &&
		    is_xdigit(s[2])) {
			for (i = 3; i < n && is_xdigit(s[i]); i++)
				;
		} else {
			while (i < n && is_digit(s[i]))
				i++;
			if (i < n && s[i] == '.') {
				*type = SQL_TK_FLOAT;
				i++;
				while (i < n && is_digit(s[i]))
					i++;
			}
			if (i < n && (s[i] == 'e' || s[i] == 'E') &&
			    ((i + 1 < n && is_digit(s[i + 1])) ||
			     (i + 2 < n && (s[i + 1] == '+' || s[i + 1] == '-') &&
			      is_digit(s[i + 2])))) {
				*type = SQL_TK_FLOAT;
				i += 2;
				while (i < n && is_digit(s[i]))
					i++;
			}
		}
		while (i < n && is_idchar(s[i])) {
			*bad = 1;
			i++;
		}
		return i;
	case '?':
		*type = SQL_TK_VARIABLE;
		for (i = 1; i < n && is_digit(s[i]); i++)
			;
		return i;
	case ':': case '@': case '$':
		*type = SQL_TK_VARIABLE;
		for (i = 1; i < n && is_idchar(s[i]); i++)
			;
		if (i == 1)
			*bad = 1;
		return i;
	case 'x': case 'X':
		if (n > 1 && s[1] == '\'') {
			*type = SQL_TK_BLOB;
			for (i = 2; i < n && is_xdigit(s[i]); i++)
				;
			if (i >= n || s[i] != '\'' || (i - 2) % 2) {
				*bad = 1;
				while (i < n && s[i] != '\'')
					i++;
				return i < n ? i + 1 : n;
			}
			return i + 1;
		}
		break;
	default:
		break;
	}
	if (is_idstart(s[0])) {
		*type = SQL_TK_ID;
		for (i = 1; i < n && is_idchar(s[i]); i++)
			;
		return i;
	}
	*type = SQL_TK_EOF;
	*bad = 1;
	return 1;
}

static int lexer_next1(struct sdb_sql_lexer *lx, struct sdb_sql_token *t,
		       struct sdb_error *e)
{
	const unsigned char *s = (const unsigned char *)lx->sql;
	size_t n = lx->len, p = lx->pos;
	for (;;) {
		while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' ||
				 s[p] == '\f' || s[p] == '\r'))
			p++;
		if (p + 1 < n && s[p] == '-' && s[p + 1] == '-') {
			while (p < n && s[p] != '\n')
				p++;
			continue;
		}
		if (p + 1 < n && s[p] == '/' && s[p + 1] == '*') {
			p += 2;
			while (p < n && !(s[p] == '*' && p + 1 < n && s[p + 1] == '/'))
				p++;
			p = p < n ? p + 2 : n;
			continue;
		}
		break;
	}
	advance_pos(lx, p);
	t->off = p;
	t->z = lx->sql + p;
	t->line = lx->line;
	t->col = lx->col;
	t->kw = SQL_KW_NONE;
	if (p >= n) {
		t->type = SQL_TK_EOF;
		t->n = 0;
		lx->pos = p;
		return 0;
	}
	int bad;
	size_t len = scan(s + p, n - p, &t->type, &bad);
	t->n = len;
	lx->pos = p + len;
	if (bad) {
		sdb_error_at(e, SDB_EPARSE, t->line, t->col,
			     "unrecognized token: \"%.*s\"",
			     (int)(len > 64 ? 64 : len), t->z);
		if (e)
			e->offset = (int64_t)p;
		return SDB_EPARSE;
	}
	if (t->type == SQL_TK_ID) {
		t->kw = sdb_sql_keyword(t->z, len);
		if (t->kw != SQL_KW_NONE)
			t->type = SQL_TK_KEYWORD;
	}
	return 0;
}

size_t sdb_sql_dequote(const char *z, size_t n, char *out)
{
	char q = n ? z[0] : 0;
	if (n < 2 || (q != '\'' && q != '"' && q != '`' && q != '[')) {
		memcpy(out, z, n);
		out[n] = 0;
		return n;
	}
	char close = q == '[' ? ']' : q;
	size_t o = 0;
	if (close == ']') {
		memcpy(out, z + 1, n - 2);
		out[n - 2] = 0;
		return n - 2;
	}
	for (size_t i = 1; i + 1 < n;) {
		/* the run to the next quote, copied whole; a doubled quote
		 * is one */
		const char *c = memchr(z + i, close, n - 1 - i);
		size_t k = c ? (size_t)(c - z) - i : n - 1 - i;
		memcpy(out + o, z + i, k);
		o += k;
		i += k;
		if (i + 1 < n) {
			out[o++] = close;
			i += i + 2 < n && z[i + 1] == close ? 2 : 1;
		}
	}
	out[o] = 0;
	return o;
}

int sdb_sql_split(const char *text, size_t len, size_t *end, size_t *stmt_len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		const unsigned char *q;
		switch (c) {
		case ';':
			*stmt_len = i;
			*end = i + 1;
			return 1;
		case 0:
			goto none; /* the text ends at a NUL byte */
		case '\'': case '"': case '`':
			/* to the closing quote; a doubled one ends and
			 * starts again, the same thing here */
			q = memchr(s + i + 1, c, len - i - 1);
			if (!q || memchr(s + i + 1, 0, (size_t)(q - s) - i - 1))
				goto none;
			i = (size_t)(q - s) + 1;
			break;
		case '[':
			q = memchr(s + i + 1, ']', len - i - 1);
			if (!q || memchr(s + i + 1, 0, (size_t)(q - s) - i - 1))
				goto none;
			i = (size_t)(q - s) + 1;
			break;
		case '-':
			if (i + 1 < len && s[i + 1] == '-') {
				q = memchr(s + i, '\n', len - i);
				if (!q || memchr(s + i, 0, (size_t)(q - s) - i))
					goto none;
				i = (size_t)(q - s) + 1;
			} else {
				i++;
			}
			break;
		case '/':
			if (i + 1 < len && s[i + 1] == '*') {
				for (i += 2; i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'); i++)
					if (!s[i])
						goto none;
				if (i + 1 >= len)
					goto none;
				i += 2;
			} else {
				i++;
			}
			break;
		default:
			i++;
			break;
		}
	}
none:
	*end = *stmt_len = len;
	return 0;
}
