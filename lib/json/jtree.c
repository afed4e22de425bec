/* jtree.c - JSON value tree and event sinks (see jtree.h). */
#include "json/jtree.h"
#include "util/array.h"
#include "util/num.h"

#include <stdlib.h>
#include <string.h>

void sdb_jv_free(struct sdb_jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->len; i++) {
		free(v->ents[i].key);
		sdb_jv_free(v->ents[i].v);
	}
	free(v->ents);
	free(v->s);
	free(v);
}

struct sdb_jv *sdb_jv_new(int type, const char *s, size_t n)
{
	struct sdb_jv *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->type = type;
	if (s) {
		v->s = malloc(n + 1);
		if (!v->s) {
			free(v);
			return NULL;
		}
		memcpy(v->s, s, n);
		v->s[n] = 0;
		v->n = n;
	}
	return v;
}

struct sdb_jent *sdb_jv_find(struct sdb_jv *o, const char *k, size_t n)
{
	for (size_t i = 0; i < o->len; i++)
		if (o->ents[i].klen == n && !memcmp(o->ents[i].key, k, n))
			return &o->ents[i];
	return NULL;
}

int sdb_jv_append(struct sdb_jv *o, const char *k, size_t n, int quoted, const char *at,
		  struct sdb_jv *v)
{
	struct sdb_jent *e;

	if (sdb_grow((void **)&o->ents, &o->cap, o->len + 1, sizeof(*o->ents), 4))
		return SDB_ENOMEM;
	e = &o->ents[o->len];
	memset(e, 0, sizeof(*e));
	if (k) {
		e->key = malloc(n + 1);
		if (!e->key)
			return SDB_ENOMEM;
		memcpy(e->key, k, n);
		e->key[n] = 0;
		e->klen = n;
	}
	e->quoted = quoted;
	e->at = at;
	e->v = v;
	o->len++;
	return 0;
}

/* Sets key k: replaces the value in place if present (JS semantics). */
static int jv_set(struct sdb_jv *o, const char *k, size_t n, int quoted, const char *at,
		  struct sdb_jv *v)
{
	struct sdb_jent *e = sdb_jv_find(o, k, n);

	if (e) {
		sdb_jv_free(e->v);
		e->v = v;
		e->quoted = quoted;
		e->at = at;
		return 0;
	}
	return sdb_jv_append(o, k, n, quoted, at, v);
}

int sdb_jv_from_tape(const struct sdb_json_doc *d, size_t i, struct sdb_jv **out)
{
	struct sdb_buf scratch = SDB_BUF_INIT;
	int t = sdb_json_type(d, i), rc = 0;
	struct sdb_jv *v = NULL;
	const char *p;
	size_t n;

	*out = NULL;
	switch (t) {
	case SDB_J_NULL: case SDB_J_FALSE: case SDB_J_TRUE:
		v = sdb_jv_new(t, NULL, 0);
		break;
	case SDB_J_NUMBER:
		sdb_json_raw(d, i, &p, &n);
		v = sdb_jv_new(t, p, n);
		break;
	case SDB_J_STRING:
		if (sdb_json_str(d, i, &p, &n, &scratch))
			break;
		v = sdb_jv_new(t, p, n);
		break;
	default: {
		size_t end = (size_t)SDB_JT_END(d->tape[i]);
		v = sdb_jv_new(t, NULL, 0);
		for (size_t j = i + 1; v && j < end && !rc;) {
			struct sdb_jv *child;
			if (t == SDB_J_OBJECT) {
				size_t vi = sdb_json_next(d, j);
				struct sdb_buf kb = SDB_BUF_INIT;
				rc = sdb_json_str(d, j, &p, &n, &kb);
				if (!rc)
					rc = sdb_jv_from_tape(d, vi, &child);
				if (!rc && (rc = jv_set(v, p, n, 0, NULL, child)))
					sdb_jv_free(child);
				sdb_buf_release(&kb);
				j = sdb_json_next(d, vi);
			} else {
				rc = sdb_jv_from_tape(d, j, &child);
				if (!rc && (rc = sdb_jv_append(v, NULL, 0, 0, NULL, child)))
					sdb_jv_free(child);
				j = sdb_json_next(d, j);
			}
		}
	}
	}
	sdb_buf_release(&scratch);
	if (!v || rc) {
		sdb_jv_free(v);
		return SDB_ENOMEM;
	}
	*out = v;
	return 0;
}

void sdb_jv_write(const struct sdb_jv *v, struct sdb_buf *out)
{
	switch (v->type) {
	case SDB_J_NULL: sdb_buf_add(out, "null", 4); break;
	case SDB_J_FALSE: sdb_buf_add(out, "false", 5); break;
	case SDB_J_TRUE: sdb_buf_add(out, "true", 4); break;
	case SDB_J_NUMBER: sdb_buf_add(out, v->s, v->n); break;
	case SDB_J_STRING: sdb_json_quote(out, v->s, v->n); break;
	default:
		sdb_buf_addc(out, v->type == SDB_J_OBJECT ? '{' : '[');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				sdb_buf_addc(out, ',');
			if (v->type == SDB_J_OBJECT) {
				sdb_json_quote(out, v->ents[i].key, v->ents[i].klen);
				sdb_buf_addc(out, ':');
			}
			sdb_jv_write(v->ents[i].v, out);
		}
		sdb_buf_addc(out, v->type == SDB_J_OBJECT ? '}' : ']');
	}
}

/* ---- text sink ---- */

static void text_sep(struct sdb_jsink_text *t)
{
	if (t->need_comma)
		sdb_buf_addc(t->out, t->depth == 1 && t->types[0] == 0 ? '\n' : ',');
}

static int text_begin(struct sdb_jsink *s, int type)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;

	text_sep(t);
	if (sdb_grow((void **)&t->types, &t->tcap, (size_t)t->depth + 1, 1, 64))
		return SDB_ENOMEM;
	t->types[t->depth] = (unsigned char)type;
	if (t->jsonl && t->depth == 0 && type == SDB_J_ARRAY)
		t->types[0] = 0; /* root array in JSON-lines form: no brackets */
	else
		sdb_buf_addc(t->out, type == SDB_J_OBJECT ? '{' : '[');
	t->depth++;
	t->need_comma = 0;
	return 0;
}

static int text_end(struct sdb_jsink *s)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;
	int type = t->types[--t->depth];

	if (type)
		sdb_buf_addc(t->out, type == SDB_J_OBJECT ? '}' : ']');
	t->need_comma = 1;
	return 0;
}

static int text_key(struct sdb_jsink *s, const char *p, size_t n, int quoted, const char *at)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;

	text_sep(t);
	sdb_json_quote(t->out, p, n);
	sdb_buf_addc(t->out, ':');
	t->need_comma = 0;
	return 0;
}

static int text_scalar(struct sdb_jsink *s, int type, const char *p, size_t n)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;

	text_sep(t);
	switch (type & 0xff) {
	case SDB_J_NULL: sdb_buf_add(t->out, "null", 4); break;
	case SDB_J_FALSE: sdb_buf_add(t->out, "false", 5); break;
	case SDB_J_TRUE: sdb_buf_add(t->out, "true", 4); break;
	case SDB_J_NUMBER:
		if (type & SDB_JSINK_CANON)
			sdb_buf_add(t->out, p, n);
		else
			sdb_num_canon(p, n, t->exact, t->out);
		break;
	default: sdb_json_quote(t->out, p, n);
	}
	t->need_comma = 1;
	return 0;
}

static int text_keys(struct sdb_jsink *s, char *const *k, const size_t *n, size_t count)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;

	if (sdb_grow((void **)&t->koff, &t->kcap, count + 1, sizeof(*t->koff), 16))
		return SDB_ENOMEM;
	sdb_buf_reset(&t->kq);
	for (size_t i = 0; i < count; i++) {
		t->koff[i] = t->kq.len;
		sdb_json_quote(&t->kq, k[i], n[i]);
		sdb_buf_addc(&t->kq, ':');
	}
	t->koff[count] = t->kq.len;
	return sdb_buf_ok(&t->kq) ? 0 : SDB_ENOMEM;
}

static int text_key_at(struct sdb_jsink *s, size_t i)
{
	struct sdb_jsink_text *t = (struct sdb_jsink_text *)s;

	text_sep(t);
	sdb_buf_add(t->out, t->kq.data + t->koff[i], t->koff[i + 1] - t->koff[i]);
	t->need_comma = 0;
	return 0;
}

void sdb_jsink_text_init(struct sdb_jsink_text *s, struct sdb_buf *out,
			 int exact, int jsonl)
{
	memset(s, 0, sizeof(*s));
	s->base.begin = text_begin;
	s->base.end = text_end;
	s->base.key = text_key;
	s->base.scalar = text_scalar;
	s->base.keys = text_keys;
	s->base.key_at = text_key_at;
	s->out = out;
	s->exact = exact;
	s->jsonl = jsonl;
}

void sdb_jsink_text_release(struct sdb_jsink_text *s)
{
	if (!s)
		return;
	free(s->types);
	s->types = NULL;
	free(s->koff);
	s->koff = NULL;
	sdb_buf_release(&s->kq);
}

/* ---- tree sink ---- */

static int tree_attach(struct sdb_jsink_tree *t, struct sdb_jv *v)
{
	int rc;

	if (!v)
		return SDB_ENOMEM;
	if (t->depth == 0) {
		t->root = v;
		return 0;
	}
	struct sdb_jv *top = t->stack[t->depth - 1];
	if (top->type == SDB_J_OBJECT) {
		rc = jv_set(top, t->pkey, t->pklen, t->pquoted, t->pat, v);
		free(t->pkey);
		t->pkey = NULL;
	} else
		rc = sdb_jv_append(top, NULL, 0, 0, NULL, v);
	if (rc)
		sdb_jv_free(v);
	return rc;
}

static int tree_begin(struct sdb_jsink *s, int type)
{
	struct sdb_jsink_tree *t = (struct sdb_jsink_tree *)s;
	struct sdb_jv *v = sdb_jv_new(type, NULL, 0);
	int rc = tree_attach(t, v);

	if (rc)
		return rc;
	if (sdb_grow((void **)&t->stack, &t->cap, t->depth + 1, sizeof(*t->stack), 32))
		return SDB_ENOMEM;
	t->stack[t->depth++] = v;
	return 0;
}

static int tree_end(struct sdb_jsink *s)
{
	struct sdb_jsink_tree *t = (struct sdb_jsink_tree *)s;

	t->depth--;
	return 0;
}

static int tree_key(struct sdb_jsink *s, const char *p, size_t n, int quoted, const char *at)
{
	struct sdb_jsink_tree *t = (struct sdb_jsink_tree *)s;

	free(t->pkey);
	t->pkey = malloc(n + 1);
	if (!t->pkey)
		return SDB_ENOMEM;
	memcpy(t->pkey, p, n);
	t->pkey[n] = 0;
	t->pklen = n;
	t->pquoted = quoted;
	t->pat = at;
	return 0;
}

static int tree_scalar(struct sdb_jsink *s, int type, const char *p, size_t n)
{
	struct sdb_jsink_tree *t = (struct sdb_jsink_tree *)s;
	struct sdb_jv *v;

	type &= 0xff;
	if (type == SDB_J_NUMBER) {
		struct sdb_buf b = SDB_BUF_INIT;
		sdb_num_canon(p, n, t->exact, &b);
		if (!sdb_buf_ok(&b)) {
			sdb_buf_release(&b);
			return SDB_ENOMEM;
		}
		if (b.len == 4 && !memcmp(b.data, "null", 4))
			v = sdb_jv_new(SDB_J_NULL, NULL, 0);
		else
			v = sdb_jv_new(type, b.data, b.len);
		sdb_buf_release(&b);
	} else
		v = sdb_jv_new(type, type == SDB_J_STRING ? p : NULL, n);
	return tree_attach(t, v);
}

void sdb_jsink_tree_init(struct sdb_jsink_tree *s, int exact)
{
	memset(s, 0, sizeof(*s));
	s->base.begin = tree_begin;
	s->base.end = tree_end;
	s->base.key = tree_key;
	s->base.scalar = tree_scalar;
	s->exact = exact;
}

void sdb_jsink_tree_release(struct sdb_jsink_tree *s)
{
	if (!s)
		return;
	sdb_jv_free(s->root);
	free(s->stack);
	free(s->pkey);
	memset(s, 0, sizeof(*s));
}
