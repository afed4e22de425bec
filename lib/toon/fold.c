/*
 * fold.c - row folding: arrays of records with nested objects become
 * TOON tables (see toon.h, sdb_toon_fold_rows).
 *
 * TOON's tabular form takes only records whose values are all
 * primitives, so a list of records that each carry a small object
 * ({"id":"a","props":{"name":"A"}}) falls back to the indented list
 * form, three to four times the tokens. Folding rewrites such an array
 * before encoding: each nested object becomes dotted columns
 * (props.name), the union over the rows in encounter order, null where a
 * row lacks one. sochdb-toon decode --expand-paths safe nests them again.
 *
 * An array is folded only when that is unambiguous: every element an
 * object with the same set of keys; each key primitive in every row or
 * an object in every row; objects holding only primitives and objects,
 * never arrays; every segment of a dotted column an identifier segment
 * (TOON spec 1.9); no path both a leaf and an object; no dotted column
 * equal to a literal key. Anything else is left as it is.
 */
#include "toon/toon.h"
#include "util/array.h"

#include <stdlib.h>
#include <string.h>

struct col {
	char *path; /* dotted, from the top-level key on */
	size_t n;
	int leaf;   /* 1 leaf (primitive), 0 object */
	int lit;    /* a literal top-level key (it may hold dots itself) */
};

struct fold {
	struct col *cols;
	size_t ncols, cap;
	struct sdb_buf pb; /* the path being walked */
	int oom;
};

static struct col *col_find(struct fold *f, const char *p, size_t n)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i].n == n && !memcmp(f->cols[i].path, p, n))
			return &f->cols[i];
	return NULL;
}

/* Records path pb as a leaf or an object (lit: a literal key). @return
 * 0, or -1 when it was seen as the other kind or the other origin (a
 * dotted column equal to a literal key), or out of memory. */
static int col_note(struct fold *f, int leaf, int lit)
{
	struct col *c = col_find(f, f->pb.data, f->pb.len);

	if (c)
		return c->leaf == leaf && c->lit == lit ? 0 : -1;
	if (sdb_grow((void **)&f->cols, &f->cap, f->ncols + 1, sizeof(*f->cols), 8) ||
	    !(f->cols[f->ncols].path = malloc(f->pb.len ? f->pb.len : 1))) {
		f->oom = 1;
		return -1;
	}
	memcpy(f->cols[f->ncols].path, f->pb.data, f->pb.len);
	f->cols[f->ncols].n = f->pb.len;
	f->cols[f->ncols].leaf = leaf;
	f->cols[f->ncols].lit = lit;
	f->ncols++;
	return 0;
}

/* Walks object o at path pb, noting its leaves. @return 0 or -1 (not
 * foldable). */
static int walk(struct fold *f, const struct sdb_jv *o)
{
	size_t base = f->pb.len;

	if (col_note(f, 0, 0))
		return -1;
	for (size_t i = 0; i < o->len; i++) {
		const struct sdb_jent *en = &o->ents[i];
		int t = en->v->type;
		if (!sdb_toon_ident_segment(en->key, en->klen) || t == SDB_J_ARRAY)
			return -1;
		f->pb.len = base;
		sdb_buf_addc(&f->pb, '.');
		sdb_buf_add(&f->pb, en->key, en->klen);
		if (!sdb_buf_ok(&f->pb)) {
			f->oom = 1;
			return -1;
		}
		if (t == SDB_J_OBJECT ? walk(f, en->v) : col_note(f, 1, 0))
			return -1;
	}
	f->pb.len = base;
	return 0;
}

/* The value at dotted path p[0..n) below object o (p starts after o's
 * own key), or NULL. */
static struct sdb_jv *lookup(struct sdb_jv *o, const char *p, size_t n)
{
	while (o && o->type == SDB_J_OBJECT) {
		const char *dot = memchr(p, '.', n);
		size_t sl = dot ? (size_t)(dot - p) : n;
		struct sdb_jent *en = sdb_jv_find(o, p, sl);
		if (!en)
			return NULL;
		if (!dot)
			return en->v;
		o = en->v;
		p = dot + 1;
		n -= sl + 1;
	}
	return NULL;
}

static void fold_free(struct fold *f)
{
	for (size_t i = 0; i < f->ncols; i++)
		free(f->cols[i].path);
	free(f->cols);
	sdb_buf_release(&f->pb);
	memset(f, 0, sizeof(*f));
}

/*
 * Decides whether array a folds and, when it does, gathers its columns
 * in f. @return 1 fold, 0 leave it, -1 out of memory.
 */
static int plan(struct fold *f, const struct sdb_jv *a)
{
	const struct sdb_jv *r0;
	int nested = 0;

	if (!a->len)
		return 0;
	for (size_t i = 0; i < a->len; i++)
		if (a->ents[i].v->type != SDB_J_OBJECT)
			return 0;
	r0 = a->ents[0].v;
	if (!r0->len)
		return 0;
	for (size_t i = 1; i < a->len; i++) {
		const struct sdb_jv *r = a->ents[i].v;
		if (r->len != r0->len)
			return 0;
		for (size_t k = 0; k < r0->len; k++)
			if (!sdb_jv_find((struct sdb_jv *)r, r0->ents[k].key, r0->ents[k].klen))
				return 0;
	}
	for (size_t k = 0; k < r0->len; k++) {
		const struct sdb_jent *k0 = &r0->ents[k];
		int obj = k0->v->type == SDB_J_OBJECT;
		for (size_t i = 0; i < a->len; i++) {
			struct sdb_jent *en = sdb_jv_find(a->ents[i].v, k0->key, k0->klen);
			int t = en->v->type;
			if (t == SDB_J_ARRAY || (t == SDB_J_OBJECT) != obj)
				return 0;
		}
		/* a literal key: a column of its own, and a name no dotted
		 * column may take */
		sdb_buf_reset(&f->pb);
		sdb_buf_add(&f->pb, k0->key, k0->klen);
		if (!sdb_buf_ok(&f->pb))
			return -1;
		if (!obj) {
			if (col_note(f, 1, 1))
				return f->oom ? -1 : 0;
			continue;
		}
		if (!sdb_toon_ident_segment(k0->key, k0->klen))
			return 0;
		nested = 1;
		for (size_t i = 0; i < a->len; i++) {
			sdb_buf_reset(&f->pb);
			sdb_buf_add(&f->pb, k0->key, k0->klen);
			if (walk(f, sdb_jv_find(a->ents[i].v, k0->key, k0->klen)->v))
				return f->oom ? -1 : 0;
		}
	}
	if (!nested)
		return 0;
	/* rows of empty objects only: nothing to put in a table */
	for (size_t c = 0; c < f->ncols; c++)
		if (f->cols[c].leaf)
			return 1;
	return 0;
}

/* Rewrites the rows of array a from the columns in f. */
static int rebuild(struct fold *f, struct sdb_jv *a)
{
	for (size_t i = 0; i < a->len; i++) {
		struct sdb_jv *r = a->ents[i].v, *nr = sdb_jv_new(SDB_J_OBJECT, NULL, 0);
		if (!nr)
			return SDB_ENOMEM;
		for (size_t c = 0; c < f->ncols; c++) {
			const struct col *cl = &f->cols[c];
			const char *dot = memchr(cl->path, '.', cl->n);
			size_t kl = dot ? (size_t)(dot - cl->path) : cl->n;
			struct sdb_jent *top;
			struct sdb_jv *v, *copy;
			if (!cl->leaf)
				continue;
			if (cl->lit)
				v = sdb_jv_find(r, cl->path, cl->n)->v;
			else {
				top = sdb_jv_find(r, cl->path, kl);
				v = lookup(top->v, dot + 1, cl->n - kl - 1);
			}
			copy = v ? sdb_jv_new(v->type, v->s, v->n) : sdb_jv_new(SDB_J_NULL, NULL, 0);
			if (!copy || sdb_jv_append(nr, cl->path, cl->n, 0, NULL, copy)) {
				sdb_jv_free(copy);
				sdb_jv_free(nr);
				return SDB_ENOMEM;
			}
		}
		sdb_jv_free(r);
		a->ents[i].v = nr;
	}
	return 0;
}

int sdb_toon_fold_rows(struct sdb_jv *v)
{
	int rc = 0;

	if (v->type != SDB_J_ARRAY && v->type != SDB_J_OBJECT)
		return 0;
	for (size_t i = 0; i < v->len && !rc; i++)
		rc = sdb_toon_fold_rows(v->ents[i].v);
	if (rc || v->type != SDB_J_ARRAY)
		return rc;
	struct fold f;
	memset(&f, 0, sizeof(f));
	int p = plan(&f, v);
	if (p < 0)
		rc = SDB_ENOMEM;
	else if (p > 0)
		rc = rebuild(&f, v);
	fold_free(&f);
	return rc;
}
