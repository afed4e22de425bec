/*
 * expand.c - TOON path expansion (spec §13.4, expandPaths="safe") over a
 * decoded JSON tree (json/jtree.h): an unquoted key whose dot-separated
 * segments are all identifiers becomes nested objects, deep-merged with
 * its siblings in document order. A conflict (a path through, or onto, a
 * value that is not an object) is an error in strict mode and
 * last-write-wins otherwise (§14.3).
 */
#include "toon/expand.h"
#include "toon/toon.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

struct expand {
	const char *src; /* the TOON text the entries' positions point into */
	int strict;
	struct sdb_error *e;
};

/* The key segment k[0..n) of the entry at source position at conflicts. */
static int conflict(struct expand *x, const char *k, size_t n, const char *at)
{
	long line = 0, col = 0;

	if (at)
		sdb_text_position(x->src, (size_t)(at - x->src), &line, &col);
	return sdb_error_at(x->e, SDB_EPARSE, line, col, "path expansion conflict at key '%.*s'",
			    (int)(n > 200 ? 200 : n), k);
}

static int oom(struct expand *x)
{
	return sdb_error_set(x->e, SDB_ENOMEM, "out of memory");
}

static int merge(struct expand *x, struct sdb_jv *target, struct sdb_jv *src);

/* Puts v at key k of o: deep merge of objects, else conflict (LWW).
 * Takes ownership of v. */
static int put_merge(struct expand *x, struct sdb_jv *o, const char *k, size_t n, int quoted,
		     const char *at, struct sdb_jv *v)
{
	struct sdb_jent *ex = sdb_jv_find(o, k, n);

	if (!ex) {
		if (sdb_jv_append(o, k, n, quoted, at, v)) {
			sdb_jv_free(v);
			return oom(x);
		}
		return 0;
	}
	if (ex->v->type == SDB_J_OBJECT && v->type == SDB_J_OBJECT) {
		int rc = merge(x, ex->v, v);
		sdb_jv_free(v);
		return rc;
	}
	if (x->strict) {
		sdb_jv_free(v);
		return conflict(x, k, n, at);
	}
	sdb_jv_free(ex->v);
	ex->v = v;
	return 0;
}

static int merge(struct expand *x, struct sdb_jv *target, struct sdb_jv *src)
{
	for (size_t i = 0; i < src->len; i++) {
		struct sdb_jent *se = &src->ents[i];
		int rc = put_merge(x, target, se->key, se->klen, se->quoted, se->at, se->v);
		se->v = NULL;
		if (rc)
			return rc;
	}
	return 0;
}

/* Puts val at the dotted path en->key (every segment an identifier)
 * under o, creating the objects on the way. Takes ownership of val. */
static int put_path(struct expand *x, struct sdb_jv *o, const struct sdb_jent *en,
		    struct sdb_jv *val)
{
	const char *p = en->key, *end = en->key + en->klen;

	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t sl = dot ? (size_t)(dot - p) : (size_t)(end - p);
		struct sdb_jent *ex;
		struct sdb_jv *no;
		if (!dot)
			return put_merge(x, o, p, sl, 0, en->at, val);
		ex = sdb_jv_find(o, p, sl);
		if (ex && ex->v->type == SDB_J_OBJECT) {
			o = ex->v;
			p = dot + 1;
			continue;
		}
		if (ex && x->strict) {
			sdb_jv_free(val);
			return conflict(x, p, sl, en->at);
		}
		no = sdb_jv_new(SDB_J_OBJECT, NULL, 0);
		if (!no) {
			sdb_jv_free(val);
			return oom(x);
		}
		if (ex) {
			sdb_jv_free(ex->v);
			ex->v = no;
		} else if (sdb_jv_append(o, p, sl, 0, en->at, no)) {
			sdb_jv_free(no);
			sdb_jv_free(val);
			return oom(x);
		}
		o = no;
		p = dot + 1;
	}
}

/* The key of en splits into identifier segments. */
static int expandable(const struct sdb_jent *en)
{
	const char *p = en->key, *end = en->key + en->klen;

	if (en->quoted || !memchr(en->key, '.', en->klen))
		return 0;
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t sl = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (!sdb_toon_ident_segment(p, sl))
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

static int expand(struct expand *x, struct sdb_jv *v)
{
	struct sdb_jent *old;
	size_t oldlen;
	int rc = 0;

	if (v->type == SDB_J_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			if ((rc = expand(x, v->ents[i].v)))
				return rc;
		return 0;
	}
	if (v->type != SDB_J_OBJECT)
		return 0;
	/* rebuild the object from its old entries, in document order */
	old = v->ents;
	oldlen = v->len;
	v->ents = NULL;
	v->len = v->cap = 0;
	for (size_t i = 0; i < oldlen && !rc; i++) {
		struct sdb_jent *en = &old[i];
		struct sdb_jv *val = en->v;
		en->v = NULL;
		if ((rc = expand(x, val))) {
			sdb_jv_free(val);
			break;
		}
		if (expandable(en))
			rc = put_path(x, v, en, val);
		else
			rc = put_merge(x, v, en->key, en->klen, en->quoted, en->at, val);
	}
	for (size_t i = 0; i < oldlen; i++) {
		free(old[i].key);
		sdb_jv_free(old[i].v);
	}
	free(old);
	return rc;
}

int sdb_toon_expand_paths(struct sdb_jv *v, const char *src, int strict, struct sdb_error *e)
{
	struct expand x = { src, strict, e };

	return expand(&x, v);
}
