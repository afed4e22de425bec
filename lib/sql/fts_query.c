/*
 * fts_query.c - FTS5's MATCH language: the parser (barewords, "strings",
 * phrases a + b, prefix*, ^first, NEAR(p q, N), col: and {a b}: and -col:
 * filters, AND/OR/NOT with FTS5's precedence - NOT over AND over OR, a
 * sequence of phrases an AND tighter still) and the evaluation over the
 * postings of one snapshot: the matching rows in rowid order with, for
 * every phrase, its instances in the row as FTS5 counts them (a phrase
 * counts when each node above it sits on the row, as FTS5's iterators do)
 * and the number of rows each phrase matches alone (bm25's IDF).
 */
#include "sql/fts_int.h"

#include "sql/record.h"
#include "store/keys.h"
#include "store/tuple.h"
#include "util/varint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ parser */

enum { T_EOF, T_LP, T_RP, T_LCP, T_RCP, T_COLON, T_COMMA, T_PLUS, T_STAR,
       T_MINUS, T_CARET, T_STRING, T_OR, T_NOT, T_AND };

struct qp {
	const struct sql_fts_def *d;
	const struct sql_table_def *t;
	const char *z;
	size_t n, pos;
	int tk;
	size_t tpos, tlen;
	struct fts_query *q;
	struct sdb_error *e;
	int err;
	int depth;
};

static int bareword(unsigned char c)
{
	return c >= 0x80 || c == 0x1a || (c >= '0' && c <= '9') ||
	       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int qerr(struct qp *p, const char *fmt, const char *a, int an)
{
	if (!p->err)
		p->err = sdb_error_set(p->e, SDB_EINVAL, fmt, an, a);
	p->tk = T_EOF;
	return p->err;
}

static void next(struct qp *p)
{
	if (p->err) {
		p->tk = T_EOF;
		return;
	}
	while (p->pos < p->n && (p->z[p->pos] == ' ' || p->z[p->pos] == '\t' ||
				 p->z[p->pos] == '\n' || p->z[p->pos] == '\r'))
		p->pos++;
	p->tpos = p->pos;
	p->tlen = 1;
	if (p->pos >= p->n || p->z[p->pos] == 0) {
		p->tk = T_EOF;
		p->tlen = 0;
		return;
	}
	unsigned char c = (unsigned char)p->z[p->pos];
	switch (c) {
	case '(': p->tk = T_LP; break;
	case ')': p->tk = T_RP; break;
	case '{': p->tk = T_LCP; break;
	case '}': p->tk = T_RCP; break;
	case ':': p->tk = T_COLON; break;
	case ',': p->tk = T_COMMA; break;
	case '+': p->tk = T_PLUS; break;
	case '*': p->tk = T_STAR; break;
	case '-': p->tk = T_MINUS; break;
	case '^': p->tk = T_CARET; break;
	case '"': {
		size_t i = p->pos + 1;
		for (;;) {
			if (i >= p->n || p->z[i] == 0) {
				if (!p->err)
					p->err = sdb_error_set(p->e, SDB_EINVAL, "unterminated string");
				p->tk = T_EOF;
				return;
			}
			if (p->z[i] == '"') {
				i++;
				if (i >= p->n || p->z[i] != '"')
					break;
			}
			i++;
		}
		p->tk = T_STRING;
		p->tlen = i - p->pos;
		break;
	}
	default:
		if (!bareword(c)) {
			qerr(p, "fts5: syntax error near \"%.*s\"", p->z + p->pos, 1);
			return;
		}
		{
			size_t i = p->pos + 1;
			while (i < p->n && bareword((unsigned char)p->z[i]))
				i++;
			p->tlen = i - p->pos;
			p->tk = T_STRING;
			if (p->tlen == 2 && !memcmp(p->z + p->pos, "OR", 2))
				p->tk = T_OR;
			else if (p->tlen == 3 && !memcmp(p->z + p->pos, "NOT", 3))
				p->tk = T_NOT;
			else if (p->tlen == 3 && !memcmp(p->z + p->pos, "AND", 3))
				p->tk = T_AND;
		}
	}
	p->pos += p->tlen;
}

static int syntax(struct qp *p)
{
	if (p->tk == T_EOF && !p->err)
		return qerr(p, "fts5: syntax error near \"%.*s\"", "", 0);
	return qerr(p, "fts5: syntax error near \"%.*s\"", p->z + p->tpos, (int)p->tlen);
}

static void *qalloc(struct qp *p, size_t n)
{
	void *v = calloc(1, n);
	if (!v && !p->err)
		p->err = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
	return v;
}

/* The STRING token's text (dequoted). */
static char *token_text(struct qp *p, size_t *len)
{
	const char *s = p->z + p->tpos;
	size_t n = p->tlen;
	char *o = qalloc(p, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	if (s[0] == '"') {
		for (size_t i = 1; i + 1 < n; i++) {
			o[k++] = s[i];
			if (s[i] == '"')
				i++;
		}
	} else {
		memcpy(o, s, n);
		k = n;
	}
	o[k] = 0;
	*len = k;
	return o;
}

struct addterm {
	struct qp *p;
	struct fphrase *ph;
};

static int add_term_cb(void *vp, const char *tok, int n, int start, int end)
{
	struct addterm *a = vp;
	struct fphrase *ph = a->ph;
	(void)start;
	(void)end;
	if (ph->nterm % 8 == 0) {
		struct fterm *nt = realloc(ph->terms, sizeof(*nt) * (size_t)(ph->nterm + 8));
		if (!nt)
			return SDB_ENOMEM;
		ph->terms = nt;
	}
	struct fterm *t = &ph->terms[ph->nterm];
	memset(t, 0, sizeof(*t));
	t->z = malloc((size_t)n + 1);
	if (!t->z)
		return SDB_ENOMEM;
	memcpy(t->z, tok, (size_t)n);
	t->z[n] = 0;
	t->n = n;
	ph->nterm++;
	return 0;
}

/* Appends the tokens of the current STRING (and its '*') to ph. */
static int phrase_string(struct qp *p, struct fphrase *ph)
{
	size_t len;
	char *txt = token_text(p, &len);
	if (!txt)
		return p->err;
	struct addterm a = { p, ph };
	int before = ph->nterm;
	int rc = fts_tokenize(p->d->tok, txt, (int)len, &a, add_term_cb);
	free(txt);
	if (rc)
		return p->err = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
	next(p);
	if (p->tk == T_STAR) {
		if (ph->nterm > before)
			ph->terms[ph->nterm - 1].prefix = 1;
		next(p);
	}
	return 0;
}

static struct fphrase *parse_phrase(struct qp *p)
{
	struct fphrase *ph = qalloc(p, sizeof(*ph));
	if (!ph)
		return NULL;
	ph->idx = p->q->nphrase;
	if (p->q->nphrase % 16 == 0) {
		struct fphrase **np = realloc(p->q->phrases, sizeof(*np) * (size_t)(p->q->nphrase + 16));
		if (!np) {
			free(ph);
			p->err = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
			return NULL;
		}
		p->q->phrases = np;
	}
	p->q->phrases[p->q->nphrase++] = ph;
	if (phrase_string(p, ph))
		return NULL;
	while (p->tk == T_PLUS) {
		next(p);
		if (p->tk != T_STRING) {
			syntax(p);
			return NULL;
		}
		if (phrase_string(p, ph))
			return NULL;
	}
	return ph;
}

static struct fnode *new_node(struct qp *p, int type)
{
	struct fnode *n = qalloc(p, sizeof(*n));
	if (n)
		n->type = type;
	return n;
}

static struct fnear *new_near(struct qp *p)
{
	struct fnear *nr = qalloc(p, sizeof(*nr));
	if (nr)
		nr->nnear = -1;
	return nr;
}

static int near_add(struct qp *p, struct fnear *nr, struct fphrase *ph)
{
	struct fphrase **np = realloc(nr->ph, sizeof(*np) * (size_t)(nr->nph + 1));
	if (!np)
		return p->err = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
	nr->ph = np;
	nr->ph[nr->nph++] = ph;
	ph->near = nr;
	return 0;
}

/* A column filter: 1 bits for the columns it keeps. */
static int col_of(struct qp *p, uint64_t *mask)
{
	size_t len;
	char *nm = token_text(p, &len);
	if (!nm)
		return p->err;
	for (int i = 0; i < p->d->ncol && i < 64; i++)
		if (!strcasecmp(p->t->cols[i].name, nm)) {
			*mask |= 1ull << i;
			free(nm);
			return 0;
		}
	qerr(p, "no such column: %.*s", nm, (int)len);
	free(nm);
	return p->err;
}

static void set_colset(struct fnode *n, uint64_t mask)
{
	if (!n)
		return;
	if (n->type == FN_STRING) {
		if (n->near->has_cols)
			n->near->cols &= mask;
		else
			n->near->cols = mask;
		n->near->has_cols = 1;
		return;
	}
	for (int i = 0; i < n->nchild; i++)
		set_colset(n->child[i], mask);
}

static struct fnode *parse_or(struct qp *p);

/* colset: STRING | -STRING | {list} | -{list}; after it COLON. */
static int try_colset(struct qp *p, uint64_t *mask)
{
	int neg = 0;
	uint64_t m = 0;
	if (p->tk == T_MINUS) {
		neg = 1;
		next(p);
	}
	if (p->tk == T_LCP) {
		next(p);
		if (p->tk != T_STRING) {
			syntax(p);
			return -1;
		}
		while (p->tk == T_STRING) {
			if (col_of(p, &m))
				return -1;
			next(p);
		}
		if (p->tk != T_RCP) {
			syntax(p);
			return -1;
		}
		next(p);
		if (p->tk != T_COLON) {
			syntax(p);
			return -1;
		}
		next(p);
	} else if (p->tk == T_STRING) {
		/* a STRING is a column only when a ':' follows */
		size_t q = p->pos;
		while (q < p->n && (p->z[q] == ' ' || p->z[q] == '\t' || p->z[q] == '\n' || p->z[q] == '\r'))
			q++;
		if (q >= p->n || p->z[q] != ':') {
			if (neg) {
				/* "-word" without ':': the column is looked up first */
				if (col_of(p, &m))
					return -1;
				next(p);
				syntax(p);
				return -1;
			}
			return 0;
		}
		if (col_of(p, &m))
			return -1;
		next(p);
		next(p); /* ':' */
	} else {
		if (neg) {
			syntax(p);
			return -1;
		}
		return 0;
	}
	uint64_t all = p->d->ncol >= 64 ? ~0ull : (1ull << p->d->ncol) - 1;
	*mask = neg ? all & ~m : m;
	return 1;
}

/* nearset after an optional colset: phrase | ^phrase | NEAR(...) */
static struct fnode *parse_nearset(struct qp *p)
{
	struct fnode *n = new_node(p, FN_STRING);
	if (!n)
		return NULL;
	n->near = new_near(p);
	if (!n->near)
		return n;
	if (p->tk == T_CARET) {
		next(p);
		if (p->tk != T_STRING) {
			syntax(p);
			return n;
		}
		struct fphrase *ph = parse_phrase(p);
		if (!ph)
			return n;
		ph->first = 1;
		near_add(p, n->near, ph);
		return n;
	}
	if (p->tk != T_STRING) {
		syntax(p);
		return n;
	}
	/* NEAR( ... ) : a STRING followed by '(' */
	size_t q = p->pos;
	while (q < p->n && (p->z[q] == ' ' || p->z[q] == '\t' || p->z[q] == '\n' || p->z[q] == '\r'))
		q++;
	if (q < p->n && p->z[q] == '(') {
		if (p->tlen != 4 || memcmp(p->z + p->tpos, "NEAR", 4)) {
			syntax(p);
			return n;
		}
		next(p); /* NEAR */
		next(p); /* ( */
		if (p->tk != T_STRING) {
			syntax(p);
			return n;
		}
		while (p->tk == T_STRING) {
			struct fphrase *ph = parse_phrase(p);
			if (!ph)
				return n;
			if (near_add(p, n->near, ph))
				return n;
		}
		n->near->nnear = 10;
		if (p->tk == T_COMMA) {
			next(p);
			if (p->tk != T_STRING) {
				syntax(p);
				return n;
			}
			long v = 0;
			for (size_t i = 0; i < p->tlen; i++) {
				char c = p->z[p->tpos + i];
				if (c < '0' || c > '9') {
					qerr(p, "expected integer, got \"%.*s\"", p->z + p->tpos, (int)p->tlen);
					return n;
				}
				v = v * 10 + (c - '0');
				if (v > 1000000000)
					v = 1000000000;
			}
			n->near->nnear = (int)v;
			next(p);
		}
		if (p->tk != T_RP) {
			syntax(p);
			return n;
		}
		next(p);
		return n;
	}
	struct fphrase *ph = parse_phrase(p);
	if (ph)
		near_add(p, n->near, ph);
	return n;
}

static struct fnode *join(struct qp *p, int type, struct fnode *a, struct fnode *b)
{
	if (!a || !b || p->err) {
		fts_node_free(a);
		fts_node_free(b);
		return NULL;
	}
	struct fnode *n = new_node(p, type);
	if (!n) {
		fts_node_free(a);
		fts_node_free(b);
		return NULL;
	}
	struct fnode *kids[2] = { a, b };
	for (int k = 0; k < 2; k++) {
		struct fnode *c = kids[k];
		int flat = type != FN_NOT && c->type == type;
		int add = flat ? c->nchild : 1;
		struct fnode **nc = realloc(n->child, sizeof(*nc) * (size_t)(n->nchild + add));
		if (!nc) {
			p->err = sdb_error_set(p->e, SDB_ENOMEM, "out of memory");
			fts_node_free(n);
			fts_node_free(c);
			if (k == 0)
				fts_node_free(b);
			return NULL;
		}
		n->child = nc;
		if (flat) {
			for (int i = 0; i < c->nchild; i++)
				n->child[n->nchild++] = c->child[i];
			c->nchild = 0;
			fts_node_free(c);
		} else
			n->child[n->nchild++] = c;
	}
	return n;
}

/* A primary: ( expr ) | colset : ( expr ) | colset : nearset | nearset,
 * and a run of them without operators (implicit AND). */
static struct fnode *parse_primary(struct qp *p)
{
	if (++p->depth > 256) {
		qerr(p, "fts5: parser stack overflow%.*s", "", 0);
		return NULL;
	}
	struct fnode *r = NULL;
	if (p->tk == T_LP) {
		next(p);
		r = parse_or(p);
		if (p->tk != T_RP) {
			syntax(p);
			fts_node_free(r);
			return NULL;
		}
		next(p);
		p->depth--;
		return r;
	}
	struct fnode *acc = NULL;
	for (;;) {
		uint64_t mask = 0;
		int cs = try_colset(p, &mask);
		struct fnode *one;
		if (cs < 0) {
			fts_node_free(acc);
			return NULL;
		}
		if (cs == 1 && p->tk == T_LP) {
			if (acc) { /* exprlist then colset:(...): not in FTS5's grammar */
				syntax(p);
				fts_node_free(acc);
				return NULL;
			}
			next(p);
			one = parse_or(p);
			if (p->tk != T_RP) {
				syntax(p);
				fts_node_free(one);
				return NULL;
			}
			next(p);
			set_colset(one, mask);
			p->depth--;
			return one;
		}
		one = parse_nearset(p);
		if (cs == 1)
			set_colset(one, mask);
		if (p->err) {
			fts_node_free(one);
			fts_node_free(acc);
			return NULL;
		}
		acc = acc ? join(p, FN_AND, acc, one) : one;
		if (!acc)
			return NULL;
		if (p->tk != T_STRING && p->tk != T_CARET && p->tk != T_MINUS &&
		    p->tk != T_LCP)
			break;
	}
	p->depth--;
	return acc;
}

static struct fnode *parse_not(struct qp *p)
{
	struct fnode *l = parse_primary(p);
	while (l && !p->err && p->tk == T_NOT) {
		next(p);
		l = join(p, FN_NOT, l, parse_primary(p));
	}
	return l;
}

static struct fnode *parse_and(struct qp *p)
{
	struct fnode *l = parse_not(p);
	while (l && !p->err && p->tk == T_AND) {
		next(p);
		l = join(p, FN_AND, l, parse_not(p));
	}
	return l;
}

static struct fnode *parse_or(struct qp *p)
{
	struct fnode *l = parse_and(p);
	while (l && !p->err && p->tk == T_OR) {
		next(p);
		l = join(p, FN_OR, l, parse_and(p));
	}
	return l;
}

void fts_node_free(struct fnode *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->nchild; i++)
		fts_node_free(n->child[i]);
	free(n->child);
	if (n->near) {
		free(n->near->ph);
		free(n->near->rows);
		free(n->near);
	}
	free(n);
}

int fts_query_parse(const struct sql_fts_def *d, const struct sql_table_def *t,
		    const char *z, size_t n, int col, struct fts_query **out,
		    struct sdb_error *e)
{
	struct fts_query *q = calloc(1, sizeof(*q));
	struct qp p;
	*out = NULL;
	if (!q)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	memset(&p, 0, sizeof(p));
	p.d = d;
	p.t = t;
	p.z = z;
	p.n = n;
	p.q = q;
	p.e = e;
	q->d = d;
	{
		size_t i = 0;
		while (i < n && (z[i] == ' ' || z[i] == '\t' || z[i] == '\n' || z[i] == '\r'))
			i++;
		if (i < n && z[i] == '*') { /* FTS5's special queries: none here */
			size_t l = i + 1;
			while (l < n && z[l] != '\n' && z[l] != '\r')
				l++;
			free(q);
			return sdb_error_set(e, SDB_EINVAL, "unknown special query: %.*s",
					     (int)(l - i - 1), z + i + 1);
		}
	}
	next(&p);
	if (p.tk != T_EOF || p.err) {
		q->root = parse_or(&p);
		if (!p.err && p.tk != T_EOF)
			syntax(&p);
	}
	if (p.err) {
		/* one line: a newline quoted from the query is shown as a space */
		for (char *m = e ? e->msg : NULL; m && *m; m++)
			if (*m == '\n' || *m == '\r')
				*m = ' ';
		fts_node_free(q->root);
		q->root = NULL;
		fts_query_free(q);
		return p.err;
	}
	if (q->root && col >= 0 && col < 64)
		set_colset(q->root, 1ull << col);
	*out = q;
	return 0;
}

int fts_query_and(struct fts_query *q1, struct fts_query *q2,
		  struct sdb_error *e)
{
	struct qp p;
	memset(&p, 0, sizeof(p));
	p.e = e;
	/* FTS5 lists the second expression's phrases first */
	struct fphrase **ph = malloc(sizeof(*ph) * (size_t)(q1->nphrase + q2->nphrase + 1));
	if (!ph) {
		fts_query_free(q2);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	int k = 0;
	for (int i = 0; i < q2->nphrase; i++)
		ph[k++] = q2->phrases[i];
	for (int i = 0; i < q1->nphrase; i++)
		ph[k++] = q1->phrases[i];
	for (int i = 0; i < k; i++)
		ph[i]->idx = i;
	free(q1->phrases);
	q1->phrases = ph;
	q1->nphrase = k;
	if (!q1->root || !q2->root) {
		/* an empty MATCH matches nothing */
		fts_node_free(q1->root);
		fts_node_free(q2->root);
		q1->root = NULL;
		q1->empty = 1;
	} else
		q1->root = join(&p, FN_AND, q1->root, q2->root);
	q2->root = NULL;
	free(q2->phrases);
	q2->phrases = NULL;
	q2->nphrase = 0;
	fts_query_free(q2);
	return p.err;
}

void fts_query_free(struct fts_query *q)
{
	if (!q)
		return;
	fts_node_free(q->root);
	for (int i = 0; i < q->nphrase; i++) {
		struct fphrase *ph = q->phrases[i];
		for (int j = 0; j < ph->nterm; j++) {
			free(ph->terms[j].z);
			free(ph->terms[j].rowids);
			free(ph->terms[j].poff);
			free(ph->terms[j].pos);
		}
		free(ph->terms);
		free(ph->rowids);
		free(ph->poff);
		free(ph->pos);
		free(ph->trowids);
		free(ph->tpoff);
		free(ph->tpos);
		free(ph);
	}
	free(q->phrases);
	free(q->rows);
	free(q->inst);
	free(q->ioff);
	free(q);
}

/* ------------------------------------------------------------ postings */

struct plist {                   /* rowids with positions, being built */
	int64_t *rowids;
	long *poff;                  /* n + 1 */
	int64_t *pos;
	long n, cap, np, pcap;
};

static int pl_row(struct plist *l, int64_t rowid)
{
	if (l->n + 2 > l->cap) {
		long nc = l->cap ? l->cap * 2 : 64;
		int64_t *nr = realloc(l->rowids, sizeof(*nr) * (size_t)nc);
		if (!nr)
			return -1;
		l->rowids = nr;
		long *no = realloc(l->poff, sizeof(*no) * (size_t)(nc + 1));
		if (!no)
			return -1;
		l->poff = no;
		l->cap = nc;
	}
	if (l->n == 0)
		l->poff[0] = 0;
	l->rowids[l->n++] = rowid;
	l->poff[l->n] = l->np;
	return 0;
}

static int pl_pos(struct plist *l, int64_t pos)
{
	if (l->np == l->pcap) {
		long nc = l->pcap ? l->pcap * 2 : 256;
		int64_t *np = realloc(l->pos, sizeof(*np) * (size_t)nc);
		if (!np)
			return -1;
		l->pos = np;
		l->pcap = nc;
	}
	l->pos[l->np++] = pos;
	l->poff[l->n] = l->np;
	return 0;
}

static int i64cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct rp {
	int64_t rowid;
	int64_t pos;
};

static int rpcmp(const void *a, const void *b)
{
	const struct rp *x = a, *y = b;
	if (x->rowid != y->rowid)
		return x->rowid < y->rowid ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Reads the postings of one term (or every term with its prefix) from
 * its posting blocks (fts_post.c). */
static int load_term(struct sdb_txn *txn, int64_t neg_id, struct fterm *t,
		     struct sdb_error *e)
{
	struct fts_blocks bl;
	struct rp *all = NULL;
	long nall = 0, capall = 0;
	struct fts_posting bp[FTS_BLOCK_MAX];
	int rc;
	if ((rc = fts_blocks_open(&bl, txn, neg_id, t->z, t->n, t->prefix, e)))
		return rc;
	struct plist l;
	memset(&l, 0, sizeof(l));
	for (;;) {
		struct sdb_val v;
		struct fts_bhdr h;
		rc = fts_blocks_next(&bl, &v, &h, e);
		if (rc <= 0)
			break;
		rc = 0;
		if (fts_block_decode(&h, bp)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
			break;
		}
		for (int r = 0; r < h.n && !rc; r++) {
			const unsigned char *vp = bp[r].pos, *ve = vp + bp[r].plen;
			int64_t pos = 0;
			if (!t->prefix && pl_row(&l, bp[r].rowid)) {
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
				break;
			}
			while (vp < ve) {
				uint64_t dlt;
				vp = sdb_get_varint(vp, ve, &dlt);
				if (!vp) {
					rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 position list");
					break;
				}
				pos += (int64_t)dlt;
				if (t->prefix) {
					if (nall == capall) {
						long nc = capall ? capall * 2 : 256;
						struct rp *na = realloc(all, sizeof(*na) * (size_t)nc);
						if (!na) {
							rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
							break;
						}
						all = na;
						capall = nc;
					}
					all[nall].rowid = bp[r].rowid;
					all[nall++].pos = pos;
				} else if (pl_pos(&l, pos)) {
					rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
					break;
				}
			}
		}
		if (rc)
			break;
	}
	if (!rc && t->prefix) {
		if (nall)
			qsort(all, (size_t)nall, sizeof(*all), rpcmp);
		for (long i = 0; i < nall && !rc; i++) {
			if ((!l.n || l.rowids[l.n - 1] != all[i].rowid) && pl_row(&l, all[i].rowid))
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			else if (pl_pos(&l, all[i].pos))
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
	}
	t->rowids = l.rowids;
	t->poff = l.poff;
	t->pos = l.pos;
	t->nrow = rc ? 0 : l.n;
	fts_blocks_close(&bl);
	free(all);
	return rc;
}

static long find_row(const int64_t *r, long n, int64_t rowid)
{
	long lo = 0, hi = n;
	while (lo < hi) {
		long m = (lo + hi) / 2;
		if (r[m] < rowid)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && r[lo] == rowid ? lo : -1;
}

/* The phrase's rows: its terms at consecutive positions in one column,
 * within the nearset's columns, at offset 0 under ^. */
static int build_phrase(struct fphrase *ph, uint64_t cols, int has_cols)
{
	struct plist l;
	memset(&l, 0, sizeof(l));
	if (ph->nterm == 0)
		goto done;
	struct fterm *t0 = &ph->terms[0];
	int64_t *tmp = NULL;
	long tcap = 0;
	for (long i = 0; i < t0->nrow; i++) {
		int64_t rowid = t0->rowids[i];
		long idx[64];
		int ok = 1;
		for (int j = 1; j < ph->nterm && j < 64 && ok; j++) {
			idx[j] = find_row(ph->terms[j].rowids, ph->terms[j].nrow, rowid);
			ok = idx[j] >= 0;
		}
		if (!ok || ph->nterm > 64)
			continue;
		idx[0] = i;
		long added = 0;
		for (long a = t0->poff[i]; a < t0->poff[i + 1]; a++) {
			int64_t p0 = t0->pos[a];
			int col = (int)(p0 >> 32);
			if (has_cols && (col >= 64 || !((cols >> col) & 1)))
				continue;
			if (ph->first && (p0 & 0xffffffff) != 0)
				continue;
			int m = 1;
			for (int j = 1; j < ph->nterm && m; j++) {
				struct fterm *tj = &ph->terms[j];
				long lo = tj->poff[idx[j]], hi = tj->poff[idx[j] + 1];
				m = 0;
				for (long b = lo; b < hi; b++)
					if (tj->pos[b] == p0 + j) {
						m = 1;
						break;
					}
			}
			if (!m)
				continue;
			if (added == 0 && pl_row(&l, rowid))
				return -1;
			if (pl_pos(&l, p0))
				return -1;
			added++;
		}
	}
	free(tmp);
	(void)tcap;
done:
	ph->rowids = l.rowids;
	ph->poff = l.poff;
	ph->pos = l.pos;
	ph->nrow = l.n;
	ph->nhit = l.n;
	return 0;
}

/* NEAR: trims each phrase's positions in the row to those in a window
 * (FTS5's rule: every phrase's start within nTerm + N tokens before the
 * latest start); @return whether any window exists. */
static int near_row(struct fnear *nr, long *pidx, int64_t **out, long *nout)
{
	int n = nr->nph;
	long cur[64], end[64];
	for (int i = 0; i < n; i++) {
		struct fphrase *ph = nr->ph[i];
		cur[i] = ph->poff[pidx[i]];
		end[i] = ph->poff[pidx[i] + 1];
		nout[i] = 0;
	}
	for (;;) {
		int64_t mx = nr->ph[0]->pos[cur[0]];
		int match;
		do {
			match = 1;
			for (int i = 0; i < n; i++) {
				struct fphrase *ph = nr->ph[i];
				int64_t mn = mx - ph->nterm - nr->nnear;
				int64_t pv = ph->pos[cur[i]];
				if (pv < mn || pv > mx) {
					match = 0;
					while (ph->pos[cur[i]] < mn) {
						if (++cur[i] >= end[i])
							goto done;
					}
					if (ph->pos[cur[i]] > mx)
						mx = ph->pos[cur[i]];
				}
			}
		} while (!match);
		for (int i = 0; i < n; i++) {
			int64_t pv = nr->ph[i]->pos[cur[i]];
			if (nout[i] == 0 || out[i][nout[i] - 1] != pv)
				out[i][nout[i]++] = pv;
		}
		/* advance the phrase whose next position is smallest */
		int adv = -1;
		int64_t best = 0;
		for (int i = 0; i < n; i++) {
			if (cur[i] + 1 >= end[i]) {
				if (adv < 0 || best > INT64_MAX - 1) {
					/* its lookahead is past the end: the largest */
				}
				continue;
			}
			int64_t la = nr->ph[i]->pos[cur[i] + 1];
			if (adv < 0 || la < best) {
				best = la;
				adv = i;
			}
		}
		if (adv < 0)
			break;
		/* FTS5 advances the smallest lookahead, EOF counting as largest;
		 * when the smallest is EOF the loop ends */
		cur[adv]++;
	}
done:
	return nout[0] > 0;
}

/* Rows of a nearset, each phrase's positions (trimmed under NEAR). */
static int build_near(struct fnear *nr)
{
	nr->nrows = 0;
	for (int i = 0; i < nr->nph; i++)
		if (nr->ph[i]->nterm == 0 || nr->ph[i]->nrow == 0)
			return 0;
	if (nr->nph == 1) {
		struct fphrase *ph = nr->ph[0];
		nr->rows = malloc(sizeof(*nr->rows) * (size_t)(ph->nrow + 1));
		if (!nr->rows)
			return -1;
		memcpy(nr->rows, ph->rowids, sizeof(*nr->rows) * (size_t)ph->nrow);
		nr->nrows = ph->nrow;
		return 0;
	}
	if (nr->nph > 64)
		return 0;
	struct fphrase *p0 = nr->ph[0];
	/* trimmed positions: rebuilt per phrase */
	struct plist nl[64];
	memset(nl, 0, sizeof(nl));
	int64_t *buf[64];
	long nout[64];
	int rc = 0;
	for (int i = 0; i < nr->nph; i++) {
		long mx = 1;
		for (long r = 0; r < nr->ph[i]->nrow; r++) {
			long c = nr->ph[i]->poff[r + 1] - nr->ph[i]->poff[r];
			if (c > mx)
				mx = c;
		}
		buf[i] = malloc(sizeof(int64_t) * (size_t)mx);
		if (!buf[i]) {
			for (int k = 0; k < i; k++)
				free(buf[k]);
			return -1;
		}
	}
	nr->rows = malloc(sizeof(*nr->rows) * (size_t)(p0->nrow + 1));
	if (!nr->rows)
		rc = -1;
	for (long r = 0; !rc && r < p0->nrow; r++) {
		int64_t rowid = p0->rowids[r];
		long pidx[64];
		int ok = 1;
		pidx[0] = r;
		for (int i = 1; i < nr->nph && ok; i++) {
			pidx[i] = find_row(nr->ph[i]->rowids, nr->ph[i]->nrow, rowid);
			ok = pidx[i] >= 0;
		}
		if (!ok || !near_row(nr, pidx, buf, nout))
			continue;
		nr->rows[nr->nrows++] = rowid;
		for (int i = 0; i < nr->nph && !rc; i++) {
			if (pl_row(&nl[i], rowid))
				rc = -1;
			for (long k = 0; k < nout[i] && !rc; k++)
				if (pl_pos(&nl[i], buf[i][k]))
					rc = -1;
		}
	}
	for (int i = 0; i < nr->nph; i++) {
		free(buf[i]);
		struct fphrase *ph = nr->ph[i];
		ph->trowids = nl[i].rowids;
		ph->tpoff = nl[i].poff;
		ph->tpos = nl[i].pos;
		ph->tnrow = nl[i].n;
	}
	return rc;
}

static int build_nodes(struct fnode *n)
{
	if (n->type == FN_STRING)
		return build_near(n->near);
	for (int i = 0; i < n->nchild; i++)
		if (build_nodes(n->child[i]))
			return -1;
	return 0;
}

/* Candidate rows of a node (a superset of its matches), sorted. */
static int cand(struct fnode *n, int64_t **out, long *nout)
{
	if (n->type == FN_STRING) {
		*out = malloc(sizeof(int64_t) * (size_t)(n->near->nrows + 1));
		if (!*out)
			return -1;
		if (n->near->nrows)
			memcpy(*out, n->near->rows, sizeof(int64_t) * (size_t)n->near->nrows);
		*nout = n->near->nrows;
		return 0;
	}
	if (n->type == FN_NOT)
		return cand(n->child[0], out, nout);
	int64_t *acc = NULL;
	long nacc = 0;
	for (int i = 0; i < n->nchild; i++) {
		int64_t *c;
		long nc;
		if (cand(n->child[i], &c, &nc)) {
			free(acc);
			return -1;
		}
		if (i == 0) {
			acc = c;
			nacc = nc;
			continue;
		}
		int64_t *m = malloc(sizeof(int64_t) * (size_t)(nacc + nc + 1));
		if (!m) {
			free(acc);
			free(c);
			return -1;
		}
		long a = 0, b = 0, k = 0;
		while (a < nacc || b < nc) {
			if (n->type == FN_AND) {
				if (a >= nacc || b >= nc)
					break;
				if (acc[a] < c[b])
					a++;
				else if (acc[a] > c[b])
					b++;
				else {
					m[k++] = acc[a];
					a++;
					b++;
				}
			} else {
				if (b >= nc || (a < nacc && acc[a] < c[b]))
					m[k++] = acc[a++];
				else if (a >= nacc || c[b] < acc[a])
					m[k++] = c[b++];
				else {
					m[k++] = acc[a];
					a++;
					b++;
				}
			}
		}
		free(acc);
		free(c);
		acc = m;
		nacc = k;
	}
	*out = acc;
	*nout = nacc;
	return 0;
}

/* (at, match) of node n on rowid, as FTS5's iterators leave them. */
static void eval_row(struct fnode *n, int64_t rowid, int *at, int *match)
{
	if (n->type == FN_STRING) {
		/* positioned: every term of every phrase is in the row (any
		 * column); a match: the phrases, NEAR and column filter hold */
		int a = 1;
		for (int i = 0; i < n->near->nph && a; i++) {
			struct fphrase *ph = n->near->ph[i];
			a = ph->nterm > 0;
			for (int j = 0; j < ph->nterm && a; j++)
				a = find_row(ph->terms[j].rowids, ph->terms[j].nrow, rowid) >= 0;
		}
		*at = a;
		*match = a && find_row(n->near->rows, n->near->nrows, rowid) >= 0;
		n->at = (uint8_t)*at;
		n->match = (uint8_t)*match;
		return;
	}
	if (n->type == FN_AND) {
		int all_at = 1, all_m = 1;
		for (int i = 0; i < n->nchild; i++) {
			int a, m;
			eval_row(n->child[i], rowid, &a, &m);
			all_at &= a;
			all_m &= m;
		}
		*at = all_at;
		*match = all_at && all_m;
	} else if (n->type == FN_OR) {
		int any_at = 0, any_m = 0;
		for (int i = 0; i < n->nchild; i++) {
			int a, m;
			eval_row(n->child[i], rowid, &a, &m);
			any_at |= a;
			any_m |= a && m;
		}
		*at = any_at;
		*match = any_m;
	} else {
		int la, lm, ra, rm;
		eval_row(n->child[0], rowid, &la, &lm);
		eval_row(n->child[1], rowid, &ra, &rm);
		*at = la && !(ra && rm);
		*match = *at && lm;
	}
	n->at = (uint8_t)*at;
	n->match = (uint8_t)*match;
}

/* Instances of the phrases under n when every node down to them is at
 * the row. */
static int add_inst(struct fts_query *q, int phrase, int64_t pos)
{
	if (q->ninst == q->capinst) {
		long nc = q->capinst ? q->capinst * 2 : 1024;
		struct finst *ni = realloc(q->inst, sizeof(*ni) * (size_t)nc);
		if (!ni)
			return -1;
		q->inst = ni;
		q->capinst = nc;
	}
	q->inst[q->ninst].phrase = phrase;
	q->inst[q->ninst].pos = pos;
	q->ninst++;
	return 0;
}

static int collect_inst(struct fts_query *q, struct fnode *n, int64_t rowid, int root)
{
	if (!n->at)
		return 0;
	/* an AND on the row that is no match there (below the root) has its
	 * phrases' positions cleared, as FTS5 does */
	if (n->type == FN_AND && !n->match && !root)
		return 0;
	if (n->type != FN_STRING) {
		for (int i = 0; i < n->nchild; i++)
			if (collect_inst(q, n->child[i], rowid, 0))
				return -1;
		return 0;
	}
	int multi = n->near->nph > 1;
	long mark = q->ninst;
	for (int i = 0; i < n->near->nph; i++) {
		struct fphrase *ph = n->near->ph[i];
		const int64_t *rows = ph->rowids, *pos = ph->pos;
		const long *poff = ph->poff;
		long nrow = ph->nrow;
		if (multi && n->match) {
			rows = ph->trowids;
			pos = ph->tpos;
			poff = ph->tpoff;
			nrow = ph->tnrow;
		}
		long r = find_row(rows, nrow, rowid);
		if (r < 0) {
			if (multi && !n->match)
				return 0; /* FTS5 stops at the first phrase that fails */
			continue;
		}
		for (long k = poff[r]; k < poff[r + 1]; k++)
			if (add_inst(q, ph->idx, pos[k]))
				return -1;
	}
	if (multi && !n->match)
		q->ninst = mark; /* every phrase there, NEAR failed: trimmed to nothing */
	return 0;
}

static int instcmp(const void *a, const void *b)
{
	const struct finst *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->phrase - y->phrase;
}

static int finish_rows(struct fts_query *q, const int64_t *c, long nc, struct sdb_error *e);

int fts_query_run(struct fts_query *q, struct sdb_txn *txn, struct sdb_error *e)
{
	int rc;
	q->nrows = 0;
	q->ninst = 0;
	if (!q->root || q->empty || !txn)
		return 0;
	for (int i = 0; i < q->nphrase; i++) {
		struct fphrase *ph = q->phrases[i];
		for (int j = 0; j < ph->nterm; j++)
			if ((rc = load_term(txn, q->d->neg_id, &ph->terms[j], e)))
				return rc;
		if (build_phrase(ph, ph->near ? ph->near->cols : 0, ph->near ? ph->near->has_cols : 0))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	if (build_nodes(q->root))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	int64_t *c;
	long nc;
	if (cand(q->root, &c, &nc))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = finish_rows(q, c, nc, e);
	free(c);
	return rc;
}

/* q's rows among the candidates c[0..nc) (ascending), with their
 * instances. */
static int finish_rows(struct fts_query *q, const int64_t *c, long nc, struct sdb_error *e)
{
	q->rows = malloc(sizeof(*q->rows) * (size_t)(nc + 1));
	q->ioff = malloc(sizeof(*q->ioff) * (size_t)(nc + 2));
	if (!q->rows || !q->ioff)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	q->ioff[0] = 0;
	for (long i = 0; i < nc; i++) {
		int at, m;
		eval_row(q->root, c[i], &at, &m);
		if (!m)
			continue;
		long before = q->ninst;
		if (collect_inst(q, q->root, c[i], 1))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		if (q->ninst - before > 1)
			qsort(q->inst + before, (size_t)(q->ninst - before), sizeof(*q->inst), instcmp);
		q->rows[q->nrows++] = c[i];
		q->ioff[q->nrows] = q->ninst;
	}
	(void)i64cmp;
	return 0;
}

/* ------------------------------------------------------------ top-k */

/*
 * ORDER BY rank LIMIT k without scoring every match: for a query of
 * single-term phrases (no prefix, ^, NEAR or column filter) under one AND
 * or one OR, the best k rows by bm25() - ties to the smaller rowid, as
 * the exhaustive path's stable sort of rowid-ordered rows leaves them -
 * are found from the posting blocks' headers and rows alone. A block's
 * bound is its term's weight at (maxtf, mindl), which no row in it can
 * pass (the weight grows with tf and falls with the row's length). AND:
 * the rarest term leads; a lead block, or a candidate, whose bound with
 * the other terms' blocks cannot beat the k-th best score so far is
 * skipped before any other block is decoded. OR: MaxScore - the terms
 * whose bounds together cannot beat the k-th score are only probed for
 * the rows the others bring, and a row is dropped as soon as its score
 * so far plus the remaining terms' (block) bounds cannot make it.
 * Every row kept is scored with the same expression as bm25(), so the
 * rows, order and scores are the exhaustive path's; then only those rows'
 * positions are read, for bm25(), highlight() and snippet().
 */

struct tk_blk {
	int64_t first, last;
	uint32_t n, maxtf, mindl;
	size_t off, len;
	double ub;
};

struct tk_term {
	struct fphrase *ph;
	struct sdb_buf vals;         /* the term's block values, copied */
	struct tk_blk *b;
	int nb, capb;
	long df;
	double idf, U;
	int cb, dec, ci;             /* cursor: block, decoded block, row in it */
	struct fts_posting p[FTS_BLOCK_MAX];
};

struct tk_hit {
	double score;
	int64_t rowid;
};

static const double tk_slack = 1.0 + 1e-9;

static int tk_load(struct sdb_txn *txn, int64_t neg_id, struct tk_term *t,
		   struct sdb_error *e)
{
	struct fts_blocks bl;
	struct fterm *ft = &t->ph->terms[0];
	int rc;
	if ((rc = fts_blocks_open(&bl, txn, neg_id, ft->z, ft->n, 0, e)))
		return rc;
	for (;;) {
		struct sdb_val v;
		struct fts_bhdr h;
		rc = fts_blocks_next(&bl, &v, &h, e);
		if (rc <= 0)
			break;
		rc = 0;
		if (t->nb == t->capb) {
			int nc = t->capb ? t->capb * 2 : 16;
			struct tk_blk *nb = realloc(t->b, sizeof(*nb) * (size_t)nc);
			if (!nb) {
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
				break;
			}
			t->b = nb;
			t->capb = nc;
		}
		struct tk_blk *b = &t->b[t->nb++];
		b->first = h.first;
		b->last = h.last;
		b->n = (uint32_t)h.n;
		b->maxtf = h.maxtf;
		b->mindl = h.mindl;
		b->off = t->vals.len;
		b->len = v.len;
		sdb_buf_add(&t->vals, v.data, v.len);
		if (!sdb_buf_ok(&t->vals)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
		t->df += h.n;
	}
	fts_blocks_close(&bl);
	return rc;
}

static int tk_decode(struct tk_term *t, int cb)
{
	struct fts_bhdr h;
	if (t->dec == cb)
		return 0;
	if (fts_block_header(t->vals.data + t->b[cb].off, t->b[cb].len, &h) ||
	    fts_block_decode(&h, t->p))
		return SDB_ECORRUPT;
	t->dec = cb;
	return 0;
}

/* The cursor's rowid (INT64_MAX at the end); decodes its block. */
static int tk_cur(struct tk_term *t, int64_t *r)
{
	if (t->cb >= t->nb) {
		*r = INT64_MAX;
		return 0;
	}
	if (tk_decode(t, t->cb))
		return SDB_ECORRUPT;
	*r = t->p[t->ci].rowid;
	return 0;
}

static void tk_next(struct tk_term *t)
{
	if (++t->ci >= (int)t->b[t->cb].n) {
		t->cb++;
		t->ci = 0;
	}
}

/* The cursor's block moved (without decoding) to the first one that may
 * hold rowid r or later. */
static void tk_block_to(struct tk_term *t, int64_t r)
{
	int moved = 0;
	while (t->cb < t->nb && t->b[t->cb].last < r) {
		t->cb++;
		moved = 1;
	}
	if (moved)
		t->ci = 0;
}

/* The cursor at the first row >= r. */
static int tk_seek(struct tk_term *t, int64_t r)
{
	tk_block_to(t, r);
	if (t->cb >= t->nb)
		return 0;
	if (tk_decode(t, t->cb))
		return SDB_ECORRUPT;
	int lo = t->ci, hi = (int)t->b[t->cb].n - 1;
	while (lo < hi) {
		int m = (lo + hi) / 2;
		if (t->p[m].rowid < r)
			lo = m + 1;
		else
			hi = m;
	}
	t->ci = lo;
	return 0;
}

struct tk_heap {
	struct tk_hit *h;
	long n, k;
};

/* a is worse than b: a smaller score, or the same and a larger rowid */
static int tk_worse(const struct tk_hit *a, const struct tk_hit *b)
{
	return a->score < b->score || (a->score == b->score && a->rowid > b->rowid);
}

static void tk_offer(struct tk_heap *hp, double score, int64_t rowid)
{
	struct tk_hit x = { score, rowid };
	long i;
	if (hp->n < hp->k) {
		i = hp->n++;
		while (i > 0 && tk_worse(&x, &hp->h[(i - 1) / 2])) {
			hp->h[i] = hp->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		hp->h[i] = x;
		return;
	}
	if (!tk_worse(&hp->h[0], &x))
		return;
	i = 0;
	for (;;) {
		long c = 2 * i + 1;
		if (c >= hp->n)
			break;
		if (c + 1 < hp->n && tk_worse(&hp->h[c + 1], &hp->h[c]))
			c++;
		if (!tk_worse(&hp->h[c], &x))
			break;
		hp->h[i] = hp->h[c];
		i = c;
	}
	hp->h[i] = x;
}

/* The k-th best score so far; -inf until k rows are held. */
static double tk_theta(const struct tk_heap *hp)
{
	return hp->n < hp->k ? -HUGE_VAL : hp->h[0].score;
}

struct tk_ctx {
	struct tk_term *T;
	int m;                       /* terms, in phrase order */
	int nphrase;
	double avgdl;
	double *tf;                  /* per phrase */
	struct tk_heap hp;
};

static double tk_weight(const struct tk_term *t, double tf, double dl, double avgdl)
{
	return fts_bm25_term(t->idf, tf, dl, avgdl);
}

/* The exact score of a row, as bm25() sums it (phrase order). */
static double tk_score(struct tk_ctx *c, double dl)
{
	double score = 0.0;
	for (int i = 0; i < c->m; i++)
		score += fts_bm25_term(c->T[i].idf, c->tf[i], dl, c->avgdl);
	return score;
}

static int tk_and(struct tk_ctx *c)
{
	int m = c->m, lead = 0;
	for (int i = 1; i < m; i++)
		if (c->T[i].df < c->T[lead].df)
			lead = i;
	struct tk_term *L = &c->T[lead];
	for (;;) {
		int64_t r;
		if (L->cb >= L->nb)
			return 0;
		double th = tk_theta(&c->hp);
		/* the lead block's bound with the others' blocks over its range */
		if (L->ci == 0 && th > -HUGE_VAL) {
			const struct tk_blk *lb = &L->b[L->cb];
			double bound = lb->ub;
			for (int j = 0; j < m; j++) {
				if (j == lead)
					continue;
				struct tk_term *t = &c->T[j];
				tk_block_to(t, lb->first);
				double mx = 0;
				for (int q = t->cb; q < t->nb && t->b[q].first <= lb->last; q++)
					if (t->b[q].ub > mx)
						mx = t->b[q].ub;
				bound += mx;
			}
			if (bound * tk_slack <= th) {
				L->cb++;
				L->ci = 0;
				continue;
			}
		}
		if (tk_cur(L, &r))
			return SDB_ECORRUPT;
		/* the candidate's bound from the blocks that may hold it */
		double dl = L->p[L->ci].dl;
		double bound = tk_weight(L, L->p[L->ci].tf, dl, c->avgdl);
		int64_t skip = r;
		for (int j = 0; j < m && skip == r; j++) {
			if (j == lead)
				continue;
			struct tk_term *t = &c->T[j];
			tk_block_to(t, r);
			if (t->cb >= t->nb)
				return 0;
			if (t->b[t->cb].first > r)
				skip = t->b[t->cb].first;
			else
				bound += t->b[t->cb].ub;
		}
		if (skip != r) {
			if (tk_seek(L, skip))
				return SDB_ECORRUPT;
			continue;
		}
		if (bound * tk_slack <= th) {
			tk_next(L);
			continue;
		}
		/* every other term at r? */
		int all = 1;
		for (int j = 0; j < m && all; j++) {
			if (j == lead)
				continue;
			struct tk_term *t = &c->T[j];
			int64_t rj;
			if (tk_seek(t, r) || tk_cur(t, &rj))
				return SDB_ECORRUPT;
			if (rj == INT64_MAX)
				return 0;
			if (rj != r) {
				all = 0;
				if (tk_seek(L, rj))
					return SDB_ECORRUPT;
			}
		}
		if (!all)
			continue;
		for (int j = 0; j < m; j++)
			c->tf[j] = c->T[j].p[c->T[j].ci].tf;
		tk_offer(&c->hp, tk_score(c, dl), r);
		tk_next(L);
	}
}

static const struct tk_term *tk_sort_T;

static int tk_ucmp(const void *a, const void *b)
{
	double x = tk_sort_T[*(const int *)a].U, y = tk_sort_T[*(const int *)b].U;
	return x < y ? -1 : x > y;
}

static int tk_or(struct tk_ctx *c)
{
	int m = c->m;
	int o[64];
	double ps[65];               /* ps[i]: the bounds of o[0..i) together */
	for (int i = 0; i < m; i++)
		o[i] = i;
	tk_sort_T = c->T;
	qsort(o, (size_t)m, sizeof(int), tk_ucmp);
	ps[0] = 0;
	for (int i = 0; i < m; i++)
		ps[i + 1] = (ps[i] + c->T[o[i]].U) * tk_slack;
	int ne = 0;                  /* o[0..ne) are non-essential */
	for (;;) {
		double th = tk_theta(&c->hp);
		while (ne < m && ps[ne + 1] <= th)
			ne++;
		if (ne >= m)
			return 0;
		int64_t r = INT64_MAX;
		for (int i = ne; i < m; i++) {
			int64_t ri;
			if (tk_cur(&c->T[o[i]], &ri))
				return SDB_ECORRUPT;
			if (ri < r)
				r = ri;
		}
		if (r == INT64_MAX)
			return 0;
		double part = 0, dl = 0;
		for (int i = 0; i < m; i++)
			c->tf[i] = 0;
		for (int i = ne; i < m; i++) {
			struct tk_term *t = &c->T[o[i]];
			if (t->cb < t->nb && t->p[t->ci].rowid == r) {
				c->tf[o[i]] = t->p[t->ci].tf;
				dl = t->p[t->ci].dl;
				part += tk_weight(t, c->tf[o[i]], dl, c->avgdl);
				tk_next(t);
			}
		}
		int drop = 0;
		for (int i = ne - 1; i >= 0 && !drop; i--) {
			struct tk_term *t = &c->T[o[i]];
			if ((part + ps[i + 1]) * tk_slack <= th) {
				drop = 1;
				break;
			}
			tk_block_to(t, r);
			if (t->cb >= t->nb || t->b[t->cb].first > r)
				continue;
			if ((part + t->b[t->cb].ub + ps[i]) * tk_slack <= th) {
				drop = 1;
				break;
			}
			int64_t ri;
			if (tk_seek(t, r) || tk_cur(t, &ri))
				return SDB_ECORRUPT;
			if (ri == r) {
				c->tf[o[i]] = t->p[t->ci].tf;
				part += tk_weight(t, c->tf[o[i]], dl, c->avgdl);
			}
		}
		if (!drop)
			tk_offer(&c->hp, tk_score(c, dl), r);
	}
}

static int i64cmp2(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Whether q can be pruned: *and_mode set. */
static int tk_shape(const struct fts_query *q, int *and_mode)
{
	const struct fnode *r = q->root;
	if (!r || q->empty || q->nphrase < 1 || q->nphrase > 64)
		return 0;
	int n = r->type == FN_STRING ? 1 : r->nchild;
	if (r->type != FN_STRING && r->type != FN_AND && r->type != FN_OR)
		return 0;
	if (n != q->nphrase)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct fnode *c = r->type == FN_STRING ? r : r->child[i];
		if (c->type != FN_STRING || c->near->nph != 1 || c->near->nnear != -1 ||
		    c->near->has_cols)
			return 0;
		const struct fphrase *ph = c->near->ph[0];
		if (ph->nterm != 1 || ph->terms[0].prefix || ph->first)
			return 0;
	}
	*and_mode = r->type != FN_OR;
	return 1;
}

int fts_query_run_topk(struct fts_query *q, struct sdb_txn *txn, long k,
		       struct sdb_error *e)
{
	int and_mode = 0, rc = 0, m = q->nphrase;
	q->nrows = 0;
	q->ninst = 0;
	if (k < 1 || k > 100000 || !txn || !tk_shape(q, &and_mode))
		return 0;
	/* the totals, as bm25() reads them */
	struct sdb_buf kb = SDB_BUF_INIT;
	struct sdb_val v;
	struct sql_value cells[1026];
	int nc = 0;
	double nrow = 0, ntok = 0;
	sql_fts_key(&kb, q->d->neg_id, 0);
	if (!sdb_buf_ok(&kb)) {
		sdb_buf_release(&kb);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	rc = sdb_txn_get(txn, kb.data, kb.len, &v, e);
	sdb_buf_release(&kb);
	if (rc == SDB_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if ((rc = sql_record_decode(v.data, v.len, cells, 1026, &nc, e)))
		return rc;
	nrow = nc > 0 && cells[0].type == SQLV_INT ? (double)cells[0].u.i : 0;
	{
		int64_t tot = 0;
		for (int i = 1; i < nc && i <= q->d->ncol; i++)
			if (cells[i].type == SQLV_INT)
				tot += cells[i].u.i;
		ntok = (double)tot;
	}
	double avgdl = nrow > 0 ? ntok / nrow : 0;
	if (!(avgdl > 0))
		return 0;
	struct tk_term *T = calloc((size_t)m, sizeof(*T));
	double *tf = calloc((size_t)m, sizeof(double));
	struct tk_hit *hits = calloc((size_t)k, sizeof(*hits));
	int64_t *rows = NULL;
	if (!T || !tf || !hits) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < m; i++) {
		struct tk_term *t = &T[i];
		t->ph = q->phrases[i];
		t->dec = -1;
		sdb_buf_init(&t->vals);
		if ((rc = tk_load(txn, q->d->neg_id, t, e)))
			goto out;
		double nhit = (double)t->df;
		double idf = log((nrow - nhit + 0.5) / (nhit + 0.5));
		if (idf <= 0.0)
			idf = 1e-6;
		t->idf = idf;
		t->U = 0;
		for (int j = 0; j < t->nb; j++) {
			t->b[j].ub = fts_bm25_term(idf, t->b[j].maxtf, t->b[j].mindl, avgdl) * tk_slack;
			if (t->b[j].ub > t->U)
				t->U = t->b[j].ub;
		}
	}
	struct tk_ctx c = { T, m, m, avgdl, tf, { hits, 0, k } };
	rc = and_mode ? tk_and(&c) : tk_or(&c);
	if (rc) {
		rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
		goto out;
	}
	/* the rows kept, by rowid; their positions for the instances */
	long nr = c.hp.n;
	rows = malloc(sizeof(*rows) * (size_t)(nr + 1));
	if (!rows) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (long i = 0; i < nr; i++)
		rows[i] = hits[i].rowid;
	qsort(rows, (size_t)nr, sizeof(*rows), i64cmp2);
	for (int i = 0; i < m && !rc; i++) {
		struct tk_term *t = &T[i];
		struct fterm *ft = &t->ph->terms[0];
		struct plist l;
		memset(&l, 0, sizeof(l));
		t->cb = 0;
		t->ci = 0;
		for (long j = 0; j < nr && !rc; j++) {
			int64_t r;
			if (tk_seek(t, rows[j]) || tk_cur(t, &r)) {
				rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
				break;
			}
			if (r != rows[j])
				continue;
			const struct fts_posting *p = &t->p[t->ci];
			const unsigned char *vp = p->pos, *ve = vp + p->plen;
			int64_t pos = 0;
			if (pl_row(&l, r)) {
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
				break;
			}
			while (vp < ve && !rc) {
				uint64_t dlt;
				if (!(vp = sdb_get_varint(vp, ve, &dlt))) {
					rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 position list");
					break;
				}
				pos += (int64_t)dlt;
				if (pl_pos(&l, pos))
					rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			}
		}
		ft->rowids = l.rowids;
		ft->poff = l.poff;
		ft->pos = l.pos;
		ft->nrow = rc ? 0 : l.n;
		if (!rc && build_phrase(t->ph, 0, 0))
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		t->ph->nhit = t->df; /* the IDF counts every row of the term */
	}
	if (!rc && build_nodes(q->root))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (!rc)
		rc = finish_rows(q, rows, nr, e);
	if (!rc)
		rc = 1;
out:
	if (T)
		for (int i = 0; i < m; i++) {
			sdb_buf_release(&T[i].vals);
			free(T[i].b);
		}
	free(T);
	free(tf);
	free(hits);
	free(rows);
	return rc;
}
