/*
 * parse.c - the SQL parser (see parse.h): recursive descent over the
 * tokens of tokenize.c, precedence climbing for expressions.
 *
 * DESIGN. Every node comes from the arena, so an error can leave the
 * half-built tree behind: the parser unwinds with longjmp to
 * sdb_sql_parse_next() and nothing leaks. Up to three tokens of lookahead
 * decide the few places SQLite's LALR grammar looks further (t.* in a
 * result list, NOT NULL against NOT LIKE, ON CONFLICT after a FROM).
 * Keywords on SQLite's fallback list are taken as names wherever a name
 * may stand and the keyword cannot (sdb_sql_keyword_is_name()).
 */
#include "sql/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena ---- */

struct sdb_sql_block {
	struct sdb_sql_block *next;
	size_t size;
	/* data follows, 16-aligned */
};

#define BLOCK_HDR ((sizeof(struct sdb_sql_block) + 15) & ~(size_t)15)

void sdb_sql_arena_init(struct sdb_sql_arena *a)
{
	a->head = NULL;
	a->cur = NULL;
	a->left = 0;
}

void sdb_sql_arena_release(struct sdb_sql_arena *a)
{
	if (!a)
		return;
	struct sdb_sql_block *b = a->head;
	while (b) {
		struct sdb_sql_block *n = b->next;
		free(b);
		b = n;
	}
	sdb_sql_arena_init(a);
}

void sdb_sql_arena_reset(struct sdb_sql_arena *a)
{
	struct sdb_sql_block *b = a->head;
	if (!b)
		return;
	struct sdb_sql_block *n = b->next;
	while (n) {
		struct sdb_sql_block *x = n->next;
		free(n);
		n = x;
	}
	b->next = NULL;
	a->cur = (char *)b + BLOCK_HDR;
	a->left = b->size;
}

void *sdb_sql_arena_alloc(struct sdb_sql_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (n > a->left) {
		size_t size = n > 16384 ? n : 32768 - BLOCK_HDR;
		struct sdb_sql_block *b = malloc(BLOCK_HDR + size);
		if (!b)
			return NULL;
		b->size = size;
		b->next = a->head;
		a->head = b;
		a->cur = (char *)b + BLOCK_HDR;
		a->left = size;
	}
	void *r = a->cur;
	a->cur += n;
	a->left -= n;
	memset(r, 0, n);
	return r;
}

/* ---- parser state ---- */

typedef struct sdb_sql_parser P;

static void *alloc(P *p, size_t n)
{
	void *r = sdb_sql_arena_alloc(p->arena, n);
	if (!r) {
		p->rc = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
		longjmp(p->jmp, 1);
	}
	return r;
}

#define NEW(p, type) ((type *)alloc((p), sizeof(type)))

static char *dup_text(P *p, const char *z, size_t n)
{
	char *r = alloc(p, n + 1);
	memcpy(r, z, n);
	r[n] = 0;
	return r;
}

/* a, then sep (when a is not NULL), then z[0..n): a new string in the
 * arena. The parser builds its few texts with it, never with a heap
 * buffer, so that an error's longjmp leaks nothing. */
static const char *acat(P *p, const char *a, const char *sep, const char *z, size_t n)
{
	size_t la = a ? strlen(a) : 0, ls = a ? strlen(sep) : 0;
	char *r = alloc(p, la + ls + n + 1);
	memcpy(r, a ? a : "", la);
	memcpy(r + la, a ? sep : "", ls);
	memcpy(r + la + ls, z, n);
	r[la + ls + n] = 0;
	return r;
}

#define ACAT(p, a, sep, word) acat((p), (a), (sep), (word), strlen(word))

/* z as a word of kept text (type names, MATCH names): as it is when it
 * is letters, digits and '_', else "double-quoted". */
static const char *word_text(P *p, const char *z)
{
	int plain = z[0] && !(z[0] >= '0' && z[0] <= '9');
	size_t n = 0, q = 0;
	for (; z[n]; n++) {
		char c = z[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			plain = 0;
		q += c == '"';
	}
	if (plain)
		return z;
	char *r = alloc(p, n + q + 3), *o = r;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = z[i];
		if (z[i] == '"')
			*o++ = '"';
	}
	*o++ = '"';
	*o = 0;
	return r;
}

static void lex(P *p, struct sdb_sql_token *t)
{
	int rc = sdb_sql_lexer_next(&p->lx, t, p->e);
	if (rc) {
		p->rc = rc;
		longjmp(p->jmp, 1);
	}
	p->nvar += t->type == SQL_TK_VARIABLE;
}

static struct sdb_sql_token *peek(P *p, int k)
{
	while (p->ntok <= k)
		lex(p, &p->tok[p->ntok++]);
	return &p->tok[k];
}

#define CUR(p) peek((p), 0)

static void advance(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	p->prev_end = t->off + t->n;
	memmove(&p->tok[0], &p->tok[1], sizeof(p->tok[0]) * (size_t)(p->ntok - 1));
	p->ntok--;
}

static _Noreturn void syntax_error(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	if (t->type == SQL_TK_EOF)
		p->rc = sdb_error_at(p->e, SDB_EPARSE, t->line, t->col,
				     "incomplete input");
	else
		p->rc = sdb_error_at(p->e, SDB_EPARSE, t->line, t->col,
				     "near \"%.*s\": syntax error",
				     (int)(t->n > 64 ? 64 : t->n), t->z);
	if (p->e)
		p->e->offset = (int64_t)t->off;
	longjmp(p->jmp, 1);
}

static _Noreturn void fail_at(P *p, int code, const char *msg)
{
	struct sdb_sql_token *t = CUR(p);
	p->rc = sdb_error_at(p->e, code, t->line, t->col, "%s", msg);
	if (p->e)
		p->e->offset = (int64_t)t->off;
	longjmp(p->jmp, 1);
}

static int is_tk(P *p, enum sdb_sql_tk type) { return CUR(p)->type == type; }

static int is_kw_at(P *p, int k, enum sdb_sql_kw kw)
{
	struct sdb_sql_token *t = peek(p, k);
	return t->type == SQL_TK_KEYWORD && t->kw == kw;
}

#define IS_KW(p, k) is_kw_at((p), 0, SQL_KW_##k)

static int accept_tk(P *p, enum sdb_sql_tk type)
{
	if (!is_tk(p, type))
		return 0;
	advance(p);
	return 1;
}

static void expect_tk(P *p, enum sdb_sql_tk type)
{
	if (!accept_tk(p, type))
		syntax_error(p);
}

static int accept_kw(P *p, enum sdb_sql_kw kw)
{
	if (!is_kw_at(p, 0, kw))
		return 0;
	advance(p);
	return 1;
}

#define ACCEPT(p, k) accept_kw((p), SQL_KW_##k)
#define EXPECT(p, k) do { if (!accept_kw((p), SQL_KW_##k)) syntax_error(p); } while (0)

static void enter(P *p)
{
	if (++p->depth > SDB_SQL_MAX_DEPTH)
		fail_at(p, SDB_ELIMIT, "Expression tree is too large (maximum depth 1000)");
}

#define LEAVE(p) ((p)->depth--)

/* ---- lists ---- */

struct vec {
	void **v;
	int n, cap;
};

static void vpush(P *p, struct vec *v, void *x)
{
	if (v->n == v->cap) {
		int nc = v->cap ? v->cap * 2 : 4;
		void **nv = alloc(p, sizeof(void *) * (size_t)nc);
		if (v->n)
			memcpy(nv, v->v, sizeof(void *) * (size_t)v->n);
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = x;
}

#define VOUT(vec, type) ((type **)(vec).v)

/* ---- names ---- */

static int tok_is_name(const struct sdb_sql_token *t, int strings)
{
	return t->type == SQL_TK_ID || t->type == SQL_TK_QID ||
	       (strings && t->type == SQL_TK_STRING) ||
	       (t->type == SQL_TK_KEYWORD && sdb_sql_keyword_is_name(t->kw));
}

static struct sql_name take_name(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	struct sql_name nm;
	char *z = alloc(p, t->n + 1);
	if (t->type == SQL_TK_QID || t->type == SQL_TK_STRING)
		sdb_sql_dequote(t->z, t->n, z);
	else {
		memcpy(z, t->z, t->n);
		z[t->n] = 0;
	}
	nm.z = z;
	nm.dq = t->type == SQL_TK_QID && t->z[0] == '"';
	advance(p);
	return nm;
}

/* nm: a name, a string or a fallback keyword (SQLite's nm). */
static struct sql_name parse_nm(P *p)
{
	if (!tok_is_name(CUR(p), 1))
		syntax_error(p);
	return take_name(p);
}

static void parse_qualified(P *p, struct sql_name *schema, struct sql_name *name)
{
	*name = parse_nm(p);
	if (is_tk(p, SQL_TK_DOT)) {
		advance(p);
		*schema = *name;
		*name = parse_nm(p);
	}
}

static struct sql_name *names_out(P *p, struct vec *v)
{
	struct sql_name *r = alloc(p, sizeof(*r) * (size_t)(v->n ? v->n : 1));
	for (int i = 0; i < v->n; i++)
		r[i] = *(struct sql_name *)v->v[i];
	return r;
}

/* ( nm, nm, ... ) */
static struct sql_name *parse_name_list(P *p, int *n)
{
	struct vec v = { 0 };
	expect_tk(p, SQL_TK_LP);
	do {
		struct sql_name *nm = NEW(p, struct sql_name);
		*nm = parse_nm(p);
		vpush(p, &v, nm);
	} while (accept_tk(p, SQL_TK_COMMA));
	expect_tk(p, SQL_TK_RP);
	*n = v.n;
	return names_out(p, &v);
}

/* ---- expressions ---- */

enum {
	L_OR = 1, L_AND, L_NOT, L_EQ, L_CMP, L_ESC, L_BIT, L_ADD, L_MUL, L_CAT,
	L_COLLATE, L_UNARY,
};

static struct sql_expr *parse_expr_prec(P *p, int min);
static struct sql_expr *parse_unary(P *p);
static struct sql_select *parse_select(P *p);
static struct sql_window *parse_window_def(P *p);
static struct sql_order **parse_order_list(P *p, int *n);

static struct sql_expr *parse_expr(P *p) { return parse_expr_prec(p, L_OR); }

static struct sql_expr *new_expr(P *p, enum sql_expr_kind kind, size_t off)
{
	struct sql_expr *x = NEW(p, struct sql_expr);
	x->kind = kind;
	x->off = off;
	x->height = 1;
	return x;
}

static void grow(P *p, struct sql_expr *x, const struct sql_expr *child)
{
	if (child && child->height + 1 > x->height) {
		x->height = child->height + 1;
		if (x->height > SDB_SQL_MAX_DEPTH)
			fail_at(p, SDB_ELIMIT,
				"Expression tree is too large (maximum depth 1000)");
	}
}

static void finish(P *p, struct sql_expr *x)
{
	grow(p, x, x->left);
	grow(p, x, x->right);
	grow(p, x, x->third);
	for (int i = 0; i < x->nlist; i++)
		grow(p, x, x->list[i]);
	x->len = p->prev_end - x->off;
}

static int starts_select(P *p, int k)
{
	return is_kw_at(p, k, SQL_KW_SELECT) || is_kw_at(p, k, SQL_KW_VALUES) ||
	       is_kw_at(p, k, SQL_KW_WITH);
}

/* A comma-separated list of one item kind: name(p, &n) returns the array. */
#define LIST_OF(name, type, item) \
	static type **name(P *p, int *n) \
	{ \
		struct vec v = { 0 }; \
		do \
			vpush(p, &v, item(p)); \
		while (accept_tk(p, SQL_TK_COMMA)); \
		*n = v.n; \
		return VOUT(v, type); \
	}

LIST_OF(parse_expr_list, struct sql_expr, parse_expr)

/* A type name: words, then (n) or (n, m) with signed numbers. */
static const char *parse_typename(P *p, int allow_empty)
{
	const char *r = NULL;
	while (tok_is_name(CUR(p), 1) &&
	       !(IS_KW(p, GENERATED) && is_kw_at(p, 1, SQL_KW_ALWAYS))) {
		struct sql_name nm = take_name(p);
		r = ACAT(p, r, " ", word_text(p, nm.z));
	}
	if (!r) {
		if (!allow_empty)
			syntax_error(p);
		return NULL;
	}
	if (!is_tk(p, SQL_TK_LP))
		return r;
	advance(p);
	r = ACAT(p, r, "", "(");
	for (int i = 0; i < 2; i++) {
		if (i) {
			if (!accept_tk(p, SQL_TK_COMMA))
				break;
			r = ACAT(p, r, "", ", ");
		}
		if (is_tk(p, SQL_TK_PLUS) || is_tk(p, SQL_TK_MINUS)) {
			if (is_tk(p, SQL_TK_MINUS))
				r = ACAT(p, r, "", "-");
			advance(p);
		}
		struct sdb_sql_token *t = CUR(p);
		if (t->type != SQL_TK_INTEGER && t->type != SQL_TK_FLOAT)
			syntax_error(p);
		r = acat(p, r, "", t->z, t->n);
		advance(p);
	}
	expect_tk(p, SQL_TK_RP);
	return ACAT(p, r, "", ")");
}

static struct sql_expr *parse_function(P *p, struct sql_name name, size_t off)
{
	struct sql_expr *x = new_expr(p, SQL_E_FUNC, off);
	x->name = name;
	expect_tk(p, SQL_TK_LP);
	if (is_tk(p, SQL_TK_STAR)) {
		size_t soff = CUR(p)->off;
		advance(p);
		struct sql_expr *star = new_expr(p, SQL_E_STAR, soff);
		finish(p, star);
		x->list = alloc(p, sizeof(*x->list));
		x->list[0] = star;
		x->nlist = 1;
	} else if (!is_tk(p, SQL_TK_RP)) {
		if (ACCEPT(p, DISTINCT))
			x->distinct = 1;
		else
			ACCEPT(p, ALL);
		x->list = parse_expr_list(p, &x->nlist);
	}
	expect_tk(p, SQL_TK_RP);
	if (IS_KW(p, FILTER) && peek(p, 1)->type == SQL_TK_LP) {
		advance(p);
		advance(p);
		EXPECT(p, WHERE);
		x->right = parse_expr(p);
		expect_tk(p, SQL_TK_RP);
	}
	if (IS_KW(p, OVER)) {
		advance(p);
		if (is_tk(p, SQL_TK_LP))
			x->over = parse_window_def(p);
		else {
			x->over = NEW(p, struct sql_window);
			x->over->base = parse_nm(p);
		}
	}
	finish(p, x);
	return x;
}

/* A frame bound: UNBOUNDED PRECEDING (a start only), UNBOUNDED FOLLOWING
 * (an end only: the one-bound form is a start), CURRENT ROW, expr
 * PRECEDING|FOLLOWING (the expression stands as "?" in the frame text).
 * The wrong UNBOUNDED for the place is a syntax error, as in SQLite's
 * grammar. */
static const char *parse_frame_bound(P *p, const char *f, struct sql_expr **e,
				     int is_end)
{
	if (ACCEPT(p, UNBOUNDED)) {
		if (!is_end) {
			EXPECT(p, PRECEDING);
			return ACAT(p, f, "", "UNBOUNDED PRECEDING");
		}
		EXPECT(p, FOLLOWING);
		return ACAT(p, f, "", "UNBOUNDED FOLLOWING");
	}
	if (ACCEPT(p, CURRENT)) {
		EXPECT(p, ROW);
		return ACAT(p, f, "", "CURRENT ROW");
	}
	*e = parse_expr(p);
	if (ACCEPT(p, PRECEDING))
		return ACAT(p, f, "", "? PRECEDING");
	EXPECT(p, FOLLOWING);
	return ACAT(p, f, "", "? FOLLOWING");
}

/* ( [base] [PARTITION BY ...] [ORDER BY ...] [frame] ) */
static struct sql_window *parse_window_def(P *p)
{
	struct sql_window *w = NEW(p, struct sql_window);
	expect_tk(p, SQL_TK_LP);
	if (tok_is_name(CUR(p), 0) && !IS_KW(p, PARTITION) && !IS_KW(p, RANGE) &&
	    !IS_KW(p, ROWS) && !IS_KW(p, GROUPS))
		w->base = take_name(p);
	if (ACCEPT(p, PARTITION)) {
		EXPECT(p, BY);
		w->partition = parse_expr_list(p, &w->npartition);
	}
	if (ACCEPT(p, ORDER)) {
		EXPECT(p, BY);
		w->order = parse_order_list(p, &w->norder);
	}
	if (IS_KW(p, RANGE) || IS_KW(p, ROWS) || IS_KW(p, GROUPS)) {
		const char *f = ACAT(p, NULL, "", sdb_sql_keyword_name(CUR(p)->kw));
		advance(p);
		if (ACCEPT(p, BETWEEN)) {
			f = parse_frame_bound(p, ACAT(p, f, "", " BETWEEN "), &w->frame_start, 0);
			EXPECT(p, AND);
			f = parse_frame_bound(p, ACAT(p, f, "", " AND "), &w->frame_end, 1);
		} else
			f = parse_frame_bound(p, ACAT(p, f, "", " "), &w->frame_start, 0);
		if (ACCEPT(p, EXCLUDE)) {
			if (ACCEPT(p, NO)) {
				EXPECT(p, OTHERS);
				f = ACAT(p, f, "", " EXCLUDE NO OTHERS");
			} else if (ACCEPT(p, CURRENT)) {
				EXPECT(p, ROW);
				f = ACAT(p, f, "", " EXCLUDE CURRENT ROW");
			} else if (ACCEPT(p, GROUP))
				f = ACAT(p, f, "", " EXCLUDE GROUP");
			else {
				EXPECT(p, TIES);
				f = ACAT(p, f, "", " EXCLUDE TIES");
			}
		}
		w->frame = f;
	}
	expect_tk(p, SQL_TK_RP);
	return w;
}

static struct sql_expr *parse_paren_select(P *p, struct sql_expr *x)
{
	expect_tk(p, SQL_TK_LP);
	x->select = parse_select(p);
	expect_tk(p, SQL_TK_RP);
	return x;
}

static struct sql_expr *parse_primary(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	size_t off = t->off;
	struct sql_expr *x;
	switch (t->type) {
	case SQL_TK_INTEGER:
	case SQL_TK_FLOAT:
	case SQL_TK_VARIABLE:
		x = new_expr(p, t->type == SQL_TK_INTEGER ? SQL_E_INTEGER :
				t->type == SQL_TK_FLOAT ? SQL_E_FLOAT : SQL_E_PARAM, off);
		x->text = dup_text(p, t->z, t->n);
		advance(p);
		goto done;
	case SQL_TK_STRING: {
		x = new_expr(p, SQL_E_STRING, off);
		char *z = alloc(p, t->n + 1);
		sdb_sql_dequote(t->z, t->n, z);
		x->text = z;
		advance(p);
		goto done;
	}
	case SQL_TK_BLOB:
		x = new_expr(p, SQL_E_BLOB, off);
		x->text = dup_text(p, t->z + 2, t->n - 3);
		advance(p);
		goto done;
	case SQL_TK_LP:
		if (starts_select(p, 1)) {
			x = new_expr(p, SQL_E_SUBQUERY, off);
			parse_paren_select(p, x);
			goto done;
		}
		advance(p);
		{
			int n;
			struct sql_expr **l = parse_expr_list(p, &n);
			expect_tk(p, SQL_TK_RP);
			if (n == 1)
				return l[0];
			x = new_expr(p, SQL_E_VECTOR, off);
			x->list = l;
			x->nlist = n;
			goto done;
		}
	case SQL_TK_KEYWORD:
		switch (t->kw) {
		case SQL_KW_NULL:
			x = new_expr(p, SQL_E_NULL, off);
			advance(p);
			goto done;
		case SQL_KW_CURRENT_DATE:
		case SQL_KW_CURRENT_TIME:
		case SQL_KW_CURRENT_TIMESTAMP:
			x = new_expr(p, SQL_E_CTIME, off);
			x->kw = t->kw;
			advance(p);
			goto done;
		case SQL_KW_CAST:
			if (peek(p, 1)->type != SQL_TK_LP)
				break;
			x = new_expr(p, SQL_E_CAST, off);
			advance(p);
			advance(p);
			x->left = parse_expr(p);
			EXPECT(p, AS);
			x->text = parse_typename(p, 1);
			expect_tk(p, SQL_TK_RP);
			goto done;
		case SQL_KW_CASE: {
			x = new_expr(p, SQL_E_CASE, off);
			advance(p);
			if (!IS_KW(p, WHEN))
				x->left = parse_expr(p);
			struct vec v = { 0 };
			if (!IS_KW(p, WHEN))
				syntax_error(p);
			while (ACCEPT(p, WHEN)) {
				vpush(p, &v, parse_expr(p));
				EXPECT(p, THEN);
				vpush(p, &v, parse_expr(p));
			}
			if (ACCEPT(p, ELSE))
				x->right = parse_expr(p);
			EXPECT(p, END);
			x->list = VOUT(v, struct sql_expr);
			x->nlist = v.n;
			goto done;
		}
		case SQL_KW_EXISTS:
			x = new_expr(p, SQL_E_EXISTS, off);
			advance(p);
			parse_paren_select(p, x);
			goto done;
		case SQL_KW_RAISE:
			if (peek(p, 1)->type != SQL_TK_LP)
				break;
			x = new_expr(p, SQL_E_RAISE, off);
			advance(p);
			advance(p);
			if (ACCEPT(p, IGNORE))
				x->op = SQL_OP_RAISE_IGNORE;
			else {
				if (ACCEPT(p, ROLLBACK))
					x->op = SQL_OP_RAISE_ROLLBACK;
				else if (ACCEPT(p, ABORT))
					x->op = SQL_OP_RAISE_ABORT;
				else if (ACCEPT(p, FAIL))
					x->op = SQL_OP_RAISE_FAIL;
				else
					syntax_error(p);
				expect_tk(p, SQL_TK_COMMA);
				x->left = parse_expr(p);
			}
			expect_tk(p, SQL_TK_RP);
			goto done;
		default:
			break;
		}
		/* MySQL's VALUES(col) (ON DUPLICATE KEY UPDATE): a function */
		if (t->kw == SQL_KW_VALUES && peek(p, 1)->type == SQL_TK_LP) {
			struct sql_name a = take_name(p);
			return parse_function(p, a, off);
		}
		if (!sdb_sql_keyword_is_name(t->kw))
			syntax_error(p);
		/* a keyword standing for a name */
		__attribute__((fallthrough));
	case SQL_TK_ID:
	case SQL_TK_QID: {
		struct sql_name a = take_name(p);
		if (is_tk(p, SQL_TK_LP))
			return parse_function(p, a, off);
		x = new_expr(p, SQL_E_COLUMN, off);
		x->name = a;
		if (is_tk(p, SQL_TK_DOT)) {
			advance(p);
			x->table = x->name;
			x->name = parse_nm(p);
			if (is_tk(p, SQL_TK_DOT)) {
				advance(p);
				x->schema = x->table;
				x->table = x->name;
				x->name = parse_nm(p);
			}
		}
		goto done;
	}
	default:
		break;
	}
	syntax_error(p);
done:
	finish(p, x);
	return x;
}

static struct sql_expr *parse_unary(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	size_t off = t->off;
	enum sql_op op = SQL_OP_NONE;
	int operand_prec = L_UNARY;
	if (t->type == SQL_TK_MINUS)
		op = SQL_OP_NEG;
	else if (t->type == SQL_TK_PLUS)
		op = SQL_OP_POS;
	else if (t->type == SQL_TK_BITNOT)
		op = SQL_OP_BITNOT;
	else if (t->type == SQL_TK_KEYWORD && t->kw == SQL_KW_NOT) {
		op = SQL_OP_NOT;
		operand_prec = L_EQ;
	}
	if (op == SQL_OP_NONE)
		return parse_primary(p);
	enter(p);
	advance(p);
	struct sql_expr *x = new_expr(p, SQL_E_UNARY, off);
	x->op = op;
	x->left = op == SQL_OP_NOT ? parse_expr_prec(p, operand_prec) : parse_unary(p);
	finish(p, x);
	LEAVE(p);
	return x;
}

/* The precedence of the operator at the current token, or 0. */
static int binary_prec(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	switch (t->type) {
	case SQL_TK_EQ: case SQL_TK_NE: return L_EQ;
	case SQL_TK_LT: case SQL_TK_LE: case SQL_TK_GT: case SQL_TK_GE: return L_CMP;
	case SQL_TK_BITAND: case SQL_TK_BITOR: case SQL_TK_LSHIFT:
	case SQL_TK_RSHIFT: return L_BIT;
	case SQL_TK_PLUS: case SQL_TK_MINUS: return L_ADD;
	case SQL_TK_STAR: case SQL_TK_SLASH: case SQL_TK_REM: return L_MUL;
	case SQL_TK_CONCAT: case SQL_TK_PTR: case SQL_TK_PTR2: return L_CAT;
	case SQL_TK_KEYWORD:
		switch (t->kw) {
		case SQL_KW_OR: return L_OR;
		case SQL_KW_AND: return L_AND;
		case SQL_KW_IS: case SQL_KW_IN: case SQL_KW_LIKE: case SQL_KW_GLOB:
		case SQL_KW_REGEXP: case SQL_KW_MATCH: case SQL_KW_BETWEEN:
		case SQL_KW_ISNULL: case SQL_KW_NOTNULL:
			return L_EQ;
		case SQL_KW_NOT: {
			struct sdb_sql_token *n = peek(p, 1);
			if (n->type == SQL_TK_KEYWORD &&
			    (n->kw == SQL_KW_IN || n->kw == SQL_KW_LIKE ||
			     n->kw == SQL_KW_GLOB || n->kw == SQL_KW_REGEXP ||
			     n->kw == SQL_KW_MATCH || n->kw == SQL_KW_BETWEEN ||
			     n->kw == SQL_KW_NULL))
				return L_EQ;
			return 0;
		}
		case SQL_KW_COLLATE: return L_COLLATE;
		default: return 0;
		}
	default:
		return 0;
	}
}

static enum sql_op tk_op(enum sdb_sql_tk type)
{
	switch (type) {
	case SQL_TK_EQ: return SQL_OP_EQ;
	case SQL_TK_NE: return SQL_OP_NE;
	case SQL_TK_LT: return SQL_OP_LT;
	case SQL_TK_LE: return SQL_OP_LE;
	case SQL_TK_GT: return SQL_OP_GT;
	case SQL_TK_GE: return SQL_OP_GE;
	case SQL_TK_BITAND: return SQL_OP_BITAND;
	case SQL_TK_BITOR: return SQL_OP_BITOR;
	case SQL_TK_LSHIFT: return SQL_OP_LSHIFT;
	case SQL_TK_RSHIFT: return SQL_OP_RSHIFT;
	case SQL_TK_PLUS: return SQL_OP_ADD;
	case SQL_TK_MINUS: return SQL_OP_SUB;
	case SQL_TK_STAR: return SQL_OP_MUL;
	case SQL_TK_SLASH: return SQL_OP_DIV;
	case SQL_TK_REM: return SQL_OP_REM;
	case SQL_TK_CONCAT: return SQL_OP_CONCAT;
	case SQL_TK_PTR: return SQL_OP_PTR;
	case SQL_TK_PTR2: return SQL_OP_PTR2;
	default: return SQL_OP_NONE;
	}
}

static void parse_in_rhs(P *p, struct sql_expr *x)
{
	if (is_tk(p, SQL_TK_LP)) {
		if (starts_select(p, 1)) {
			parse_paren_select(p, x);
			return;
		}
		advance(p);
		if (!is_tk(p, SQL_TK_RP))
			x->list = parse_expr_list(p, &x->nlist);
		expect_tk(p, SQL_TK_RP);
		return;
	}
	/* IN table, IN schema.table, IN tablefunc(args) */
	parse_qualified(p, &x->schema, &x->name);
	if (is_tk(p, SQL_TK_LP)) {
		advance(p);
		x->distinct = 1; /* marks "table function with arguments" */
		if (!is_tk(p, SQL_TK_RP))
			x->list = parse_expr_list(p, &x->nlist);
		expect_tk(p, SQL_TK_RP);
	}
}

static struct sql_expr *parse_expr_prec(P *p, int min)
{
	enter(p);
	size_t off = CUR(p)->off;
	struct sql_expr *lhs = parse_unary(p);
	for (;;) {
		int prec = binary_prec(p);
		if (!prec || prec < min)
			break;
		struct sdb_sql_token *t = CUR(p);
		struct sql_expr *x = new_expr(p, SQL_E_BINARY, off);
		x->left = lhs;
		if (t->type != SQL_TK_KEYWORD) {
			x->op = tk_op(t->type);
			advance(p);
			x->right = parse_expr_prec(p, prec + 1);
			finish(p, x);
			lhs = x;
			continue;
		}
		enum sdb_sql_kw kw = t->kw;
		advance(p);
		if (kw == SQL_KW_NOT) {
			x->not_ = 1;
			kw = CUR(p)->kw;
			advance(p);
		}
		switch (kw) {
		case SQL_KW_OR:
		case SQL_KW_AND:
			x->op = kw == SQL_KW_OR ? SQL_OP_OR : SQL_OP_AND;
			x->right = parse_expr_prec(p, prec + 1);
			break;
		case SQL_KW_IS:
			x->op = SQL_OP_IS;
			if (ACCEPT(p, NOT))
				x->op = SQL_OP_ISNOT;
			if (IS_KW(p, DISTINCT) && is_kw_at(p, 1, SQL_KW_FROM)) {
				advance(p);
				advance(p);
				x->op = x->op == SQL_OP_IS ? SQL_OP_ISDISTINCT :
					SQL_OP_ISNOTDISTINCT;
			}
			x->right = parse_expr_prec(p, prec + 1);
			break;
		case SQL_KW_ISNULL:
		case SQL_KW_NOTNULL:
		case SQL_KW_NULL: /* NOT NULL */
			x->kind = SQL_E_ISNULL;
			x->not_ = kw != SQL_KW_ISNULL;
			break;
		case SQL_KW_BETWEEN:
			x->kind = SQL_E_BETWEEN;
			x->right = parse_expr_prec(p, L_EQ);
			EXPECT(p, AND);
			x->third = parse_expr_prec(p, prec + 1);
			break;
		case SQL_KW_IN:
			x->kind = SQL_E_IN;
			parse_in_rhs(p, x);
			break;
		case SQL_KW_COLLATE:
			x->kind = SQL_E_COLLATE;
			x->text = parse_nm(p).z;
			break;
		default: /* LIKE GLOB REGEXP MATCH */
			x->kind = SQL_E_LIKE;
			x->op = kw == SQL_KW_LIKE ? SQL_OP_LIKE :
				kw == SQL_KW_GLOB ? SQL_OP_GLOB :
				kw == SQL_KW_REGEXP ? SQL_OP_REGEXP : SQL_OP_MATCH;
			x->right = parse_expr_prec(p, prec + 1);
			if (ACCEPT(p, ESCAPE))
				x->third = parse_expr_prec(p, prec + 1);
			break;
		}
		finish(p, x);
		lhs = x;
	}
	LEAVE(p);
	return lhs;
}

/* ---- SELECT ---- */

static struct sql_order *parse_order_item(P *p)
{
	struct sql_order *o = NEW(p, struct sql_order);
	o->e = parse_expr(p);
	if (ACCEPT(p, ASC))
		o->asc = 1;
	else if (ACCEPT(p, DESC))
		o->desc = 1;
	if (IS_KW(p, NULLS) && (is_kw_at(p, 1, SQL_KW_FIRST) || is_kw_at(p, 1, SQL_KW_LAST))) {
		advance(p);
		o->nulls = IS_KW(p, FIRST) ? 1 : 2;
		advance(p);
	}
	return o;
}

LIST_OF(parse_order_list, struct sql_order, parse_order_item)

/* An alias after AS, or a bare one where a name may follow. */
static int parse_alias(P *p, struct sql_name *alias)
{
	if (ACCEPT(p, AS)) {
		*alias = parse_nm(p);
		return 1;
	}
	if (tok_is_name(CUR(p), 1)) {
		*alias = take_name(p);
		return 1;
	}
	return 0;
}

static struct sql_rescol *parse_rescol(P *p)
{
	struct sql_rescol *c = NEW(p, struct sql_rescol);
	if (is_tk(p, SQL_TK_STAR)) {
		advance(p);
		c->star = 1;
		return c;
	}
	if (tok_is_name(CUR(p), 1) && peek(p, 1)->type == SQL_TK_DOT &&
	    peek(p, 2)->type == SQL_TK_STAR) {
		c->table = take_name(p);
		advance(p);
		advance(p);
		c->star = 1;
		return c;
	}
	c->e = parse_expr(p);
	parse_alias(p, &c->alias);
	return c;
}

LIST_OF(parse_rescols, struct sql_rescol, parse_rescol)

static struct sql_from *parse_from(P *p);

/* Whether the current token may start a bare table alias. */
static int table_alias_here(P *p)
{
	struct sdb_sql_token *t = CUR(p);
	if (!tok_is_name(t, 1))
		return 0;
	/* FROM t WINDOW w AS (...) */
	if (t->type == SQL_TK_KEYWORD && t->kw == SQL_KW_WINDOW &&
	    tok_is_name(peek(p, 1), 0) && is_kw_at(p, 2, SQL_KW_AS))
		return 0;
	return 1;
}

static struct sql_source *parse_source(P *p)
{
	struct sql_source *s = NEW(p, struct sql_source);
	if (is_tk(p, SQL_TK_LP)) {
		if (starts_select(p, 1)) {
			advance(p);
			s->sub = parse_select(p);
			expect_tk(p, SQL_TK_RP);
		} else {
			enter(p);
			advance(p);
			s->paren = parse_from(p);
			expect_tk(p, SQL_TK_RP);
			LEAVE(p);
		}
	} else {
		parse_qualified(p, &s->schema, &s->name);
		if (is_tk(p, SQL_TK_LP)) {
			advance(p);
			s->has_args = 1;
			if (!is_tk(p, SQL_TK_RP))
				s->args = parse_expr_list(p, &s->nargs);
			expect_tk(p, SQL_TK_RP);
		}
	}
	if (ACCEPT(p, AS))
		s->alias = parse_nm(p);
	else if (table_alias_here(p))
		s->alias = take_name(p);
	if (ACCEPT(p, INDEXED)) {
		EXPECT(p, BY);
		s->indexed = parse_nm(p);
	} else if (IS_KW(p, NOT) && is_kw_at(p, 1, SQL_KW_INDEXED)) {
		advance(p);
		advance(p);
		s->not_indexed = 1;
	}
	return s;
}

static void parse_join_constraint(P *p, struct sql_source *s)
{
	if (IS_KW(p, ON) && !is_kw_at(p, 1, SQL_KW_CONFLICT)) {
		advance(p);
		s->on = parse_expr(p);
	} else if (ACCEPT(p, USING))
		s->using_ = parse_name_list(p, &s->nusing);
}

/* A join operator at the current token: fills s's join fields. */
static int parse_joinop(P *p, struct sql_source *j)
{
	if (accept_tk(p, SQL_TK_COMMA)) {
		j->join = SQL_JOIN_COMMA;
		return 1;
	}
	int any = 0;
	if (ACCEPT(p, NATURAL)) {
		j->natural = 1;
		any = 1;
	}
	if (ACCEPT(p, LEFT)) {
		j->join = SQL_JOIN_LEFT;
		any = 1;
	} else if (ACCEPT(p, RIGHT)) {
		j->join = SQL_JOIN_RIGHT;
		any = 1;
	} else if (ACCEPT(p, FULL)) {
		j->join = SQL_JOIN_FULL;
		any = 1;
	} else if (ACCEPT(p, INNER)) {
		j->join = SQL_JOIN_INNER;
		any = 1;
	} else if (ACCEPT(p, CROSS)) {
		j->join = SQL_JOIN_CROSS;
		any = 1;
	}
	if (j->join == SQL_JOIN_LEFT || j->join == SQL_JOIN_RIGHT ||
	    j->join == SQL_JOIN_FULL) {
		if (ACCEPT(p, OUTER))
			j->outer = 1;
	}
	if (!any && !IS_KW(p, JOIN))
		return 0;
	EXPECT(p, JOIN);
	if (j->join == SQL_JOIN_COMMA) {
		j->join = SQL_JOIN_INNER;
		j->join_kw = 1;
	}
	return 1;
}

static struct sql_from *parse_from(P *p)
{
	struct sql_from *f = NEW(p, struct sql_from);
	struct vec v = { 0 };
	struct sql_source *s = parse_source(p);
	parse_join_constraint(p, s);
	vpush(p, &v, s);
	for (;;) {
		struct sql_source j = { 0 };
		if (!parse_joinop(p, &j))
			break;
		s = parse_source(p);
		s->join = j.join;
		s->natural = j.natural;
		s->outer = j.outer;
		s->join_kw = j.join_kw;
		parse_join_constraint(p, s);
		vpush(p, &v, s);
	}
	f->items = VOUT(v, struct sql_source);
	f->n = v.n;
	return f;
}

static struct sql_core *parse_core(P *p)
{
	struct sql_core *c = NEW(p, struct sql_core);
	if (ACCEPT(p, VALUES)) {
		struct vec v = { 0 };
		c->values = 1;
		do {
			size_t off = CUR(p)->off;
			expect_tk(p, SQL_TK_LP);
			struct sql_expr *row = new_expr(p, SQL_E_VECTOR, off);
			row->list = parse_expr_list(p, &row->nlist);
			expect_tk(p, SQL_TK_RP);
			finish(p, row);
			vpush(p, &v, row);
		} while (accept_tk(p, SQL_TK_COMMA));
		c->rows = VOUT(v, struct sql_expr);
		c->nrows = v.n;
		return c;
	}
	EXPECT(p, SELECT);
	if (ACCEPT(p, DISTINCT))
		c->distinct = 1;
	else if (ACCEPT(p, ALL))
		c->distinct = 2;
	c->cols = parse_rescols(p, &c->ncols);
	if (ACCEPT(p, FROM))
		c->from = parse_from(p);
	if (ACCEPT(p, WHERE))
		c->where = parse_expr(p);
	if (ACCEPT(p, GROUP)) {
		EXPECT(p, BY);
		c->group = parse_expr_list(p, &c->ngroup);
	}
	if (ACCEPT(p, HAVING))
		c->having = parse_expr(p);
	if (IS_KW(p, WINDOW)) {
		advance(p);
		struct vec w = { 0 };
		do {
			struct sql_name nm = parse_nm(p);
			EXPECT(p, AS);
			struct sql_window *win = parse_window_def(p);
			win->name = nm;
			vpush(p, &w, win);
		} while (accept_tk(p, SQL_TK_COMMA));
		c->windows = VOUT(w, struct sql_window);
		c->nwindows = w.n;
	}
	return c;
}

static struct sql_with *parse_with(P *p)
{
	struct sql_with *w = NEW(p, struct sql_with);
	EXPECT(p, WITH);
	if (ACCEPT(p, RECURSIVE))
		w->recursive = 1;
	struct vec v = { 0 };
	do {
		struct sql_cte *c = NEW(p, struct sql_cte);
		c->name = parse_nm(p);
		if (is_tk(p, SQL_TK_LP))
			c->cols = parse_name_list(p, &c->ncols);
		EXPECT(p, AS);
		if (ACCEPT(p, MATERIALIZED))
			c->materialized = 1;
		else if (IS_KW(p, NOT) && is_kw_at(p, 1, SQL_KW_MATERIALIZED)) {
			advance(p);
			advance(p);
			c->materialized = 2;
		}
		expect_tk(p, SQL_TK_LP);
		c->select = parse_select(p);
		expect_tk(p, SQL_TK_RP);
		vpush(p, &v, c);
	} while (accept_tk(p, SQL_TK_COMMA));
	w->ctes = VOUT(v, struct sql_cte);
	w->n = v.n;
	return w;
}

static void parse_limit(P *p, struct sql_expr **limit, struct sql_expr **offset,
			uint8_t *comma)
{
	if (!ACCEPT(p, LIMIT))
		return;
	*limit = parse_expr(p);
	if (ACCEPT(p, OFFSET))
		*offset = parse_expr(p);
	else if (accept_tk(p, SQL_TK_COMMA)) {
		*offset = *limit;
		*limit = parse_expr(p);
		if (comma)
			*comma = 1;
	}
}

static struct sql_select *parse_select_body(P *p, struct sql_with *with)
{
	struct sql_select *s = NEW(p, struct sql_select);
	s->with = with;
	struct vec v = { 0 };
	vpush(p, &v, parse_core(p));
	for (;;) {
		enum sql_compound op;
		if (IS_KW(p, UNION)) {
			advance(p);
			op = ACCEPT(p, ALL) ? SQL_CMP_UNION_ALL : SQL_CMP_UNION;
		} else if (ACCEPT(p, INTERSECT))
			op = SQL_CMP_INTERSECT;
		else if (ACCEPT(p, EXCEPT))
			op = SQL_CMP_EXCEPT;
		else
			break;
		struct sql_core *c = parse_core(p);
		c->op = op;
		vpush(p, &v, c);
	}
	s->cores = VOUT(v, struct sql_core);
	s->ncores = v.n;
	if (ACCEPT(p, ORDER)) {
		EXPECT(p, BY);
		s->order = parse_order_list(p, &s->norder);
	}
	parse_limit(p, &s->limit, &s->offset, &s->limit_comma);
	return s;
}

static struct sql_select *parse_select(P *p)
{
	enter(p);
	struct sql_with *with = IS_KW(p, WITH) ? parse_with(p) : NULL;
	struct sql_select *s = parse_select_body(p, with);
	LEAVE(p);
	return s;
}

/* ---- DML ---- */


static enum sql_conflict parse_resolve(P *p)
{
	if (ACCEPT(p, ROLLBACK)) return SQL_OR_ROLLBACK;
	if (ACCEPT(p, ABORT)) return SQL_OR_ABORT;
	if (ACCEPT(p, FAIL)) return SQL_OR_FAIL;
	if (ACCEPT(p, IGNORE)) return SQL_OR_IGNORE;
	if (ACCEPT(p, REPLACE)) return SQL_OR_REPLACE;
	syntax_error(p);
}

/* col = expr  or  (col, ...) = expr */
static struct sql_set *parse_set(P *p)
{
	struct sql_set *s = NEW(p, struct sql_set);
	if (is_tk(p, SQL_TK_LP)) {
		s->paren = 1;
		s->cols = parse_name_list(p, &s->ncols);
	} else {
		s->cols = NEW(p, struct sql_name);
		s->cols[0] = parse_nm(p);
		s->ncols = 1;
	}
	expect_tk(p, SQL_TK_EQ);
	s->e = parse_expr(p);
	return s;
}

LIST_OF(parse_sets, struct sql_set, parse_set)

static void parse_upserts(P *p, struct sql_stmt *s)
{
	struct vec v = { 0 };
	for (;;) {
		struct sql_upsert *u;
		if (IS_KW(p, ON) && is_kw_at(p, 1, SQL_KW_CONFLICT)) {
			advance(p);
			advance(p);
			u = NEW(p, struct sql_upsert);
			if (is_tk(p, SQL_TK_LP)) {
				advance(p);
				u->target = parse_order_list(p, &u->ntarget);
				expect_tk(p, SQL_TK_RP);
				if (ACCEPT(p, WHERE))
					u->target_where = parse_expr(p);
			}
			EXPECT(p, DO);
			if (ACCEPT(p, NOTHING)) {
				vpush(p, &v, u);
				continue;
			}
			EXPECT(p, UPDATE);
			EXPECT(p, SET);
			u->do_update = 1;
			u->sets = parse_sets(p, &u->nsets);
			if (ACCEPT(p, WHERE))
				u->where = parse_expr(p);
			vpush(p, &v, u);
			continue;
		}
		if (IS_KW(p, ON) && peek(p, 1)->type == SQL_TK_ID &&
		    peek(p, 1)->n == 9 && !strncasecmp(peek(p, 1)->z, "DUPLICATE", 9) &&
		    is_kw_at(p, 2, SQL_KW_KEY)) {
			advance(p);
			advance(p);
			advance(p);
			EXPECT(p, UPDATE);
			u = NEW(p, struct sql_upsert);
			u->do_update = u->dup_key = 1;
			u->sets = parse_sets(p, &u->nsets);
			vpush(p, &v, u);
			continue;
		}
		break;
	}
	s->upserts = VOUT(v, struct sql_upsert);
	s->nupserts = v.n;
}

static void parse_insert(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_INSERT;
	if (ACCEPT(p, REPLACE)) {
		s->replace = 1;
		s->conflict = SQL_OR_REPLACE;
	} else {
		EXPECT(p, INSERT);
		if (ACCEPT(p, OR))
			s->conflict = parse_resolve(p);
		else if (IS_KW(p, IGNORE) && is_kw_at(p, 1, SQL_KW_INTO)) {
			advance(p);
			s->conflict = SQL_OR_IGNORE;
			s->mysql_ignore = 1;
		}
	}
	EXPECT(p, INTO);
	parse_qualified(p, &s->schema, &s->name);
	if (ACCEPT(p, AS))
		s->alias = parse_nm(p);
	if (is_tk(p, SQL_TK_LP)) {
		s->has_cols = 1;
		s->cols = parse_name_list(p, &s->ncols);
	}
	if (ACCEPT(p, DEFAULT)) {
		EXPECT(p, VALUES);
		s->default_values = 1;
	} else {
		if (!starts_select(p, 0))
			syntax_error(p);
		s->select = parse_select(p);
		parse_upserts(p, s);
	}
	if (ACCEPT(p, RETURNING))
		s->returning = parse_rescols(p, &s->nreturning);
}

static void parse_qualified_table(P *p, struct sql_stmt *s)
{
	parse_qualified(p, &s->schema, &s->name);
	if (ACCEPT(p, AS))
		s->alias = parse_nm(p);
	if (ACCEPT(p, INDEXED)) {
		EXPECT(p, BY);
		s->name2 = parse_nm(p);
	} else if (IS_KW(p, NOT) && is_kw_at(p, 1, SQL_KW_INDEXED)) {
		advance(p);
		advance(p);
		s->not_indexed = 1;
	}
}

static void parse_dml_tail(P *p, struct sql_stmt *s)
{
	if (ACCEPT(p, WHERE))
		s->where = parse_expr(p);
	if (ACCEPT(p, RETURNING))
		s->returning = parse_rescols(p, &s->nreturning);
	if (ACCEPT(p, ORDER)) {
		EXPECT(p, BY);
		s->order = parse_order_list(p, &s->norder);
	}
	parse_limit(p, &s->limit, &s->offset, NULL);
}

static void parse_update(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_UPDATE;
	EXPECT(p, UPDATE);
	if (ACCEPT(p, OR))
		s->conflict = parse_resolve(p);
	parse_qualified_table(p, s);
	EXPECT(p, SET);
	s->sets = parse_sets(p, &s->nsets);
	if (ACCEPT(p, FROM))
		s->from = parse_from(p);
	parse_dml_tail(p, s);
}

static void parse_delete(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_DELETE;
	EXPECT(p, DELETE);
	EXPECT(p, FROM);
	parse_qualified_table(p, s);
	parse_dml_tail(p, s);
}

/* ---- DDL ---- */

static void parse_fk(P *p, struct sql_fkey *fk)
{
	const char *c = NULL;
	EXPECT(p, REFERENCES);
	fk->table = parse_nm(p);
	if (is_tk(p, SQL_TK_LP))
		fk->cols = parse_name_list(p, &fk->ncols);
	for (;;) {
		if (IS_KW(p, ON) && (is_kw_at(p, 1, SQL_KW_DELETE) || is_kw_at(p, 1, SQL_KW_UPDATE))) {
			advance(p);
			c = ACAT(p, c, " ", IS_KW(p, DELETE) ? "ON DELETE" : "ON UPDATE");
			advance(p);
			if (ACCEPT(p, SET)) {
				if (ACCEPT(p, NULL))
					c = ACAT(p, c, " ", "SET NULL");
				else {
					EXPECT(p, DEFAULT);
					c = ACAT(p, c, " ", "SET DEFAULT");
				}
			} else if (ACCEPT(p, CASCADE))
				c = ACAT(p, c, " ", "CASCADE");
			else if (ACCEPT(p, RESTRICT))
				c = ACAT(p, c, " ", "RESTRICT");
			else {
				EXPECT(p, NO);
				EXPECT(p, ACTION);
				c = ACAT(p, c, " ", "NO ACTION");
			}
		} else if (ACCEPT(p, MATCH)) {
			struct sql_name nm = parse_nm(p);
			c = ACAT(p, ACAT(p, c, " ", "MATCH"), " ", word_text(p, nm.z));
		} else if (IS_KW(p, DEFERRABLE) ||
			   (IS_KW(p, NOT) && is_kw_at(p, 1, SQL_KW_DEFERRABLE))) {
			if (ACCEPT(p, NOT))
				c = ACAT(p, c, " ", "NOT");
			advance(p);
			c = ACAT(p, c, " ", "DEFERRABLE");
			if (ACCEPT(p, INITIALLY)) {
				if (ACCEPT(p, DEFERRED))
					c = ACAT(p, c, " ", "INITIALLY DEFERRED");
				else {
					EXPECT(p, IMMEDIATE);
					c = ACAT(p, c, " ", "INITIALLY IMMEDIATE");
				}
			}
		} else
			break;
	}
	fk->clauses = c;
}

static enum sql_conflict parse_onconf(P *p)
{
	if (IS_KW(p, ON) && is_kw_at(p, 1, SQL_KW_CONFLICT)) {
		advance(p);
		advance(p);
		return parse_resolve(p);
	}
	return SQL_OR_NONE;
}

/* A column constraint, or NULL when none starts here. */
static struct sql_constraint *parse_ccons(P *p)
{
	struct sql_constraint *c = NEW(p, struct sql_constraint);
	if (ACCEPT(p, CONSTRAINT))
		c->name = parse_nm(p);
	if (ACCEPT(p, PRIMARY)) {
		EXPECT(p, KEY);
		c->kind = SQL_CONS_PRIMARY;
		if (ACCEPT(p, ASC))
			c->asc = 1;
		else if (ACCEPT(p, DESC))
			c->desc = 1;
		c->conflict = parse_onconf(p);
		if (ACCEPT(p, AUTOINCREMENT))
			c->autoinc = 1;
	} else if (IS_KW(p, NOT) && is_kw_at(p, 1, SQL_KW_NULL)) {
		advance(p);
		advance(p);
		c->kind = SQL_CONS_NOTNULL;
		c->conflict = parse_onconf(p);
	} else if (ACCEPT(p, NULL)) {
		c->kind = SQL_CONS_NULL;
		c->conflict = parse_onconf(p);
	} else if (ACCEPT(p, UNIQUE)) {
		c->kind = SQL_CONS_UNIQUE;
		c->conflict = parse_onconf(p);
	} else if (ACCEPT(p, CHECK)) {
		c->kind = SQL_CONS_CHECK;
		expect_tk(p, SQL_TK_LP);
		c->e = parse_expr(p);
		expect_tk(p, SQL_TK_RP);
	} else if (ACCEPT(p, DEFAULT)) {
		c->kind = SQL_CONS_DEFAULT;
		if (is_tk(p, SQL_TK_LP)) {
			advance(p);
			c->e = parse_expr(p);
			expect_tk(p, SQL_TK_RP);
		} else
			c->e = parse_unary(p);
	} else if (ACCEPT(p, COLLATE)) {
		c->kind = SQL_CONS_COLLATE;
		c->text = parse_nm(p).z;
	} else if (IS_KW(p, REFERENCES)) {
		c->kind = SQL_CONS_REFERENCES;
		parse_fk(p, &c->fk);
	} else if (IS_KW(p, AS) || (IS_KW(p, GENERATED) && is_kw_at(p, 1, SQL_KW_ALWAYS))) {
		if (ACCEPT(p, GENERATED))
			advance(p);
		EXPECT(p, AS);
		c->kind = SQL_CONS_GENERATED;
		expect_tk(p, SQL_TK_LP);
		c->e = parse_expr(p);
		expect_tk(p, SQL_TK_RP);
		if (CUR(p)->type == SQL_TK_ID && CUR(p)->n == 6 &&
		    !strncasecmp(CUR(p)->z, "STORED", 6)) {
			advance(p);
			c->text = "STORED";
		} else if (ACCEPT(p, VIRTUAL))
			c->text = "VIRTUAL";
	} else {
		if (c->name.z)
			syntax_error(p);
		return NULL;
	}
	return c;
}

static struct sql_column *parse_coldef(P *p)
{
	struct sql_column *col = NEW(p, struct sql_column);
	col->name = parse_nm(p);
	col->type = parse_typename(p, 1);
	struct vec v = { 0 };
	struct sql_constraint *c;
	while ((c = parse_ccons(p)))
		vpush(p, &v, c);
	col->cons = VOUT(v, struct sql_constraint);
	col->ncons = v.n;
	return col;
}

static int tcons_here(P *p)
{
	return IS_KW(p, CONSTRAINT) || IS_KW(p, PRIMARY) || IS_KW(p, UNIQUE) ||
	       IS_KW(p, CHECK) || IS_KW(p, FOREIGN);
}

static struct sql_constraint *parse_tcons(P *p)
{
	struct sql_constraint *c = NEW(p, struct sql_constraint);
	if (ACCEPT(p, CONSTRAINT))
		c->name = parse_nm(p);
	if (ACCEPT(p, PRIMARY) || IS_KW(p, UNIQUE)) {
		if (ACCEPT(p, UNIQUE))
			c->kind = SQL_CONS_UNIQUE;
		else {
			EXPECT(p, KEY);
			c->kind = SQL_CONS_PRIMARY;
		}
		expect_tk(p, SQL_TK_LP);
		c->cols = parse_order_list(p, &c->ncols);
		if (c->kind == SQL_CONS_PRIMARY && ACCEPT(p, AUTOINCREMENT))
			c->autoinc = 1;
		expect_tk(p, SQL_TK_RP);
		c->conflict = parse_onconf(p);
	} else if (ACCEPT(p, CHECK)) {
		c->kind = SQL_CONS_CHECK;
		expect_tk(p, SQL_TK_LP);
		c->e = parse_expr(p);
		expect_tk(p, SQL_TK_RP);
		c->conflict = parse_onconf(p);
	} else {
		EXPECT(p, FOREIGN);
		EXPECT(p, KEY);
		c->kind = SQL_CONS_FOREIGN;
		c->fcols = parse_name_list(p, &c->nfcols);
		parse_fk(p, &c->fk);
	}
	return c;
}

static void parse_if_not_exists(P *p, struct sql_stmt *s)
{
	if (IS_KW(p, IF)) {
		advance(p);
		EXPECT(p, NOT);
		EXPECT(p, EXISTS);
		s->if_not_exists = 1;
	}
}

static void parse_create_table(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_CREATE_TABLE;
	parse_if_not_exists(p, s);
	parse_qualified(p, &s->schema, &s->name);
	if (ACCEPT(p, AS)) {
		s->select = parse_select(p);
		return;
	}
	expect_tk(p, SQL_TK_LP);
	struct vec cols = { 0 }, cons = { 0 };
	do {
		if (tcons_here(p))
			break;
		vpush(p, &cols, parse_coldef(p));
	} while (accept_tk(p, SQL_TK_COMMA));
	while (tcons_here(p)) {
		vpush(p, &cons, parse_tcons(p));
		accept_tk(p, SQL_TK_COMMA);
	}
	expect_tk(p, SQL_TK_RP);
	s->columns = VOUT(cols, struct sql_column);
	s->ncolumns = cols.n;
	s->tcons = VOUT(cons, struct sql_constraint);
	s->ntcons = cons.n;
	if (!cols.n)
		syntax_error(p);
	do {
		if (ACCEPT(p, WITHOUT)) {
			struct sdb_sql_token *t = CUR(p);
			if (t->type != SQL_TK_ID || t->n != 5 || strncasecmp(t->z, "ROWID", 5))
				syntax_error(p);
			advance(p);
			s->without_rowid = 1;
		} else if (CUR(p)->type == SQL_TK_ID && CUR(p)->n == 6 &&
			   !strncasecmp(CUR(p)->z, "STRICT", 6)) {
			advance(p);
			s->strict = 1;
		} else
			break;
	} while (accept_tk(p, SQL_TK_COMMA));
}

static void parse_create_index(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_CREATE_INDEX;
	EXPECT(p, INDEX);
	parse_if_not_exists(p, s);
	parse_qualified(p, &s->schema, &s->name);
	EXPECT(p, ON);
	s->name2 = parse_nm(p);
	if (ACCEPT(p, USING))
		s->using_ = parse_nm(p);
	expect_tk(p, SQL_TK_LP);
	s->order = parse_order_list(p, &s->norder);
	expect_tk(p, SQL_TK_RP);
	if (s->using_.z && ACCEPT(p, WITH)) {
		struct vec v = { 0 };
		expect_tk(p, SQL_TK_LP);
		do {
			struct sql_option *o = NEW(p, struct sql_option);
			o->key = parse_nm(p);
			expect_tk(p, SQL_TK_EQ);
			o->value = parse_unary(p);
			vpush(p, &v, o);
		} while (accept_tk(p, SQL_TK_COMMA));
		expect_tk(p, SQL_TK_RP);
		s->options = VOUT(v, struct sql_option);
		s->noptions = v.n;
	}
	if (ACCEPT(p, WHERE))
		s->where = parse_expr(p);
}

static void parse_create_view(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_CREATE_VIEW;
	EXPECT(p, VIEW);
	parse_if_not_exists(p, s);
	parse_qualified(p, &s->schema, &s->name);
	if (is_tk(p, SQL_TK_LP)) {
		s->has_cols = 1;
		s->cols = parse_name_list(p, &s->ncols);
	}
	EXPECT(p, AS);
	s->select = parse_select(p);
}

/* Module arguments: raw text between top-level commas, trimmed. */
static void parse_vtab_args(P *p, struct sql_stmt *s)
{
	struct vec v = { 0 };
	expect_tk(p, SQL_TK_LP);
	s->has_vargs = 1;
	int depth = 0;
	size_t start = CUR(p)->off;
	for (;;) {
		struct sdb_sql_token *t = CUR(p);
		if (t->type == SQL_TK_EOF || t->type == SQL_TK_SEMI)
			syntax_error(p);
		if (depth == 0 && (t->type == SQL_TK_COMMA || t->type == SQL_TK_RP)) {
			size_t end = p->prev_end > start ? p->prev_end : start;
			if (end > start || t->type == SQL_TK_COMMA || v.n)
				vpush(p, &v, dup_text(p, p->lx.sql + start, end - start));
			if (t->type == SQL_TK_RP) {
				advance(p);
				break;
			}
			advance(p);
			start = CUR(p)->off;
			continue;
		}
		if (t->type == SQL_TK_LP)
			depth++;
		else if (t->type == SQL_TK_RP)
			depth--;
		advance(p);
	}
	s->vargs = (const char **)v.v;
	s->nvargs = v.n;
}

static void parse_create(P *p, struct sql_stmt *s)
{
	EXPECT(p, CREATE);
	if (ACCEPT(p, TEMP) || ACCEPT(p, TEMPORARY))
		s->temp = 1;
	if (ACCEPT(p, TABLE)) {
		parse_create_table(p, s);
		return;
	}
	if (ACCEPT(p, UNIQUE)) {
		s->unique = 1;
		parse_create_index(p, s);
		return;
	}
	if (IS_KW(p, INDEX)) {
		parse_create_index(p, s);
		return;
	}
	if (IS_KW(p, VIEW)) {
		parse_create_view(p, s);
		return;
	}
	if (!s->temp && ACCEPT(p, VIRTUAL)) {
		EXPECT(p, TABLE);
		s->kind = SQL_S_CREATE_VTABLE;
		parse_if_not_exists(p, s);
		parse_qualified(p, &s->schema, &s->name);
		EXPECT(p, USING);
		s->using_ = parse_nm(p);
		if (is_tk(p, SQL_TK_LP))
			parse_vtab_args(p, s);
		return;
	}
	if (IS_KW(p, TRIGGER))
		fail_at(p, SDB_EUNSUPPORTED, "triggers are not supported");
	syntax_error(p);
}

static void parse_drop(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_DROP;
	EXPECT(p, DROP);
	if (ACCEPT(p, TABLE))
		s->sub = SQL_DROP_TABLE;
	else if (ACCEPT(p, INDEX))
		s->sub = SQL_DROP_INDEX;
	else if (ACCEPT(p, VIEW))
		s->sub = SQL_DROP_VIEW;
	else if (IS_KW(p, TRIGGER))
		fail_at(p, SDB_EUNSUPPORTED, "triggers are not supported");
	else
		syntax_error(p);
	if (IS_KW(p, IF)) {
		advance(p);
		EXPECT(p, EXISTS);
		s->if_exists = 1;
	}
	parse_qualified(p, &s->schema, &s->name);
}

static void parse_alter(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_ALTER;
	EXPECT(p, ALTER);
	EXPECT(p, TABLE);
	parse_qualified(p, &s->schema, &s->name);
	if (ACCEPT(p, RENAME)) {
		if (ACCEPT(p, TO)) {
			s->sub = SQL_ALTER_RENAME;
			s->name2 = parse_nm(p);
			return;
		}
		s->sub = SQL_ALTER_RENAME_COLUMN;
		ACCEPT(p, COLUMN);
		s->alias = parse_nm(p); /* the old column name */
		EXPECT(p, TO);
		s->name2 = parse_nm(p);
	} else if (ACCEPT(p, ADD)) {
		s->sub = SQL_ALTER_ADD;
		ACCEPT(p, COLUMN);
		s->columns = NEW(p, struct sql_column *);
		s->columns[0] = parse_coldef(p);
		s->ncolumns = 1;
	} else if (ACCEPT(p, DROP)) {
		s->sub = SQL_ALTER_DROP_COLUMN;
		ACCEPT(p, COLUMN);
		s->name2 = parse_nm(p);
	} else
		syntax_error(p);
}

/* [TRANSACTION [name]] */
static void parse_trans_opt(P *p, struct sql_stmt *s)
{
	if (ACCEPT(p, TRANSACTION)) {
		s->transaction_kw = 1;
		if (tok_is_name(CUR(p), 1))
			s->name = take_name(p);
	}
}

static void parse_pragma(P *p, struct sql_stmt *s)
{
	s->kind = SQL_S_PRAGMA;
	EXPECT(p, PRAGMA);
	parse_qualified(p, &s->schema, &s->name);
	int call = is_tk(p, SQL_TK_LP);
	if (!call && !is_tk(p, SQL_TK_EQ))
		return;
	advance(p);
	s->pragma_call = (uint8_t)call;
	struct sdb_sql_token *t = CUR(p);
	if (t->type == SQL_TK_KEYWORD &&
	    (t->kw == SQL_KW_ON || t->kw == SQL_KW_DELETE || t->kw == SQL_KW_DEFAULT ||
	     t->kw == SQL_KW_NULL || sdb_sql_keyword_is_name(t->kw))) {
		s->value = new_expr(p, SQL_E_COLUMN, t->off);
		s->value->name.z = dup_text(p, t->z, t->n);
		advance(p);
		finish(p, s->value);
	} else
		s->value = parse_unary(p);
	if (call)
		expect_tk(p, SQL_TK_RP);
}

static void parse_stmt_body(P *p, struct sql_stmt *s)
{
	struct sdb_sql_token *t = CUR(p);
	static const struct {
		enum sdb_sql_kw kw;
		void (*parse)(P *p, struct sql_stmt *s);
	} table[] = {
		{ SQL_KW_INSERT, parse_insert }, { SQL_KW_REPLACE, parse_insert },
		{ SQL_KW_UPDATE, parse_update }, { SQL_KW_DELETE, parse_delete },
		{ SQL_KW_CREATE, parse_create }, { SQL_KW_DROP, parse_drop },
		{ SQL_KW_ALTER, parse_alter }, { SQL_KW_PRAGMA, parse_pragma },
	};
	if (t->type != SQL_TK_KEYWORD)
		syntax_error(p);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].kw == t->kw) {
			table[i].parse(p, s);
			return;
		}
	}
	switch (t->kw) {
	case SQL_KW_SELECT:
	case SQL_KW_VALUES:
		s->kind = SQL_S_SELECT;
		s->select = parse_select(p);
		return;
	case SQL_KW_WITH: {
		struct sql_with *w = parse_with(p);
		if (IS_KW(p, SELECT) || IS_KW(p, VALUES)) {
			s->kind = SQL_S_SELECT;
			enter(p);
			s->select = parse_select_body(p, w);
			LEAVE(p);
			return;
		}
		s->with = w;
		if (!IS_KW(p, INSERT) && !IS_KW(p, REPLACE) && !IS_KW(p, UPDATE) &&
		    !IS_KW(p, DELETE))
			syntax_error(p);
		parse_stmt_body(p, s);
		return;
	}
	case SQL_KW_BEGIN:
		advance(p);
		s->kind = SQL_S_BEGIN;
		if (ACCEPT(p, DEFERRED))
			s->sub = SQL_BEGIN_DEFERRED;
		else if (ACCEPT(p, IMMEDIATE))
			s->sub = SQL_BEGIN_IMMEDIATE;
		else if (ACCEPT(p, EXCLUSIVE))
			s->sub = SQL_BEGIN_EXCLUSIVE;
		parse_trans_opt(p, s);
		return;
	case SQL_KW_COMMIT:
	case SQL_KW_END:
		advance(p);
		s->kind = SQL_S_COMMIT;
		parse_trans_opt(p, s);
		return;
	case SQL_KW_ROLLBACK:
		advance(p);
		s->kind = SQL_S_ROLLBACK;
		if (ACCEPT(p, TRANSACTION)) {
			s->transaction_kw = 1;
			if (tok_is_name(CUR(p), 1) && !IS_KW(p, TO))
				take_name(p);
		}
		if (ACCEPT(p, TO)) {
			if (ACCEPT(p, SAVEPOINT))
				s->savepoint_kw = 1;
			s->name = parse_nm(p);
		}
		return;
	case SQL_KW_SAVEPOINT:
		advance(p);
		s->kind = SQL_S_SAVEPOINT;
		s->name = parse_nm(p);
		return;
	case SQL_KW_RELEASE:
		advance(p);
		s->kind = SQL_S_RELEASE;
		if (ACCEPT(p, SAVEPOINT))
			s->savepoint_kw = 1;
		s->name = parse_nm(p);
		return;
	case SQL_KW_ANALYZE:
	case SQL_KW_REINDEX:
		s->kind = t->kw == SQL_KW_ANALYZE ? SQL_S_ANALYZE : SQL_S_REINDEX;
		advance(p);
		if (tok_is_name(CUR(p), 1))
			parse_qualified(p, &s->schema, &s->name);
		return;
	case SQL_KW_VACUUM:
		advance(p);
		s->kind = SQL_S_VACUUM;
		if (tok_is_name(CUR(p), 1) && !IS_KW(p, INTO))
			s->name = take_name(p);
		if (ACCEPT(p, INTO))
			s->value = parse_expr(p);
		return;
	case SQL_KW_ATTACH:
	case SQL_KW_DETACH:
		fail_at(p, SDB_EUNSUPPORTED, "ATTACH and DETACH are not supported");
	default:
		syntax_error(p);
	}
}

void sdb_sql_parser_init(struct sdb_sql_parser *p, struct sdb_sql_arena *arena,
			 const char *sql, size_t len)
{
	memset(p, 0, sizeof(*p));
	sdb_sql_lexer_init(&p->lx, sql, len);
	p->arena = arena;
}

/* After an error: drops tokens up to and including the next ';'. */
static void skip_statement(P *p)
{
	for (int i = 0; i < p->ntok; i++) {
		if (p->tok[i].type == SQL_TK_SEMI || p->tok[i].type == SQL_TK_EOF) {
			int keep = p->tok[i].type == SQL_TK_EOF;
			int drop = i + !keep;
			memmove(&p->tok[0], &p->tok[drop],
				sizeof(p->tok[0]) * (size_t)(p->ntok - drop));
			p->ntok -= drop;
			return;
		}
	}
	p->ntok = 0;
	struct sdb_sql_token t;
	for (;;) {
		if (sdb_sql_lexer_next(&p->lx, &t, NULL))
			continue;
		if (t.type == SQL_TK_EOF || t.type == SQL_TK_SEMI)
			break;
	}
}

int sdb_sql_parse_next(struct sdb_sql_parser *p, struct sql_stmt **out,
		       struct sdb_error *e)
{
	*out = NULL;
	p->e = e;
	p->rc = 0;
	p->depth = 0;
	if (setjmp(p->jmp)) {
		skip_statement(p);
		return p->rc ? p->rc : SDB_EPARSE;
	}
	while (accept_tk(p, SQL_TK_SEMI))
		;
	if (is_tk(p, SQL_TK_EOF))
		return 0;
	struct sql_stmt *s = NEW(p, struct sql_stmt);
	struct sdb_sql_token *t = CUR(p);
	s->off = t->off;
	s->line = t->line;
	s->col = t->col;
	if (ACCEPT(p, EXPLAIN)) {
		s->explain = 1;
		if (IS_KW(p, QUERY)) {
			advance(p);
			EXPECT(p, PLAN);
			s->explain = 2;
		}
	}
	parse_stmt_body(p, s);
	s->len = p->prev_end - s->off;
	if (!is_tk(p, SQL_TK_SEMI) && !is_tk(p, SQL_TK_EOF))
		syntax_error(p);
	accept_tk(p, SQL_TK_SEMI);
	*out = s;
	return 0;
}
