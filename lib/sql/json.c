/*
 * json.c - SQLite's JSON functions over lib/json: json, json_valid,
 * json_type, json_extract and the -> / ->> operators, json_array,
 * json_object, json_array_length, json_quote, json_set/insert/replace/
 * remove, json_patch, the aggregates json_group_array/json_group_object,
 * and the table-valued functions json_each and json_tree (struct tvf,
 * exec_int.h).
 *
 * DESIGN. A JSON argument is parsed by lib/json's strict parser into its
 * tape, then turned into a small tree of `struct jn` in the row's arena
 * (scalars keep their JSON text as written, keys their quoted text, each
 * value its tape index: the `id` json_each reports, as SQLite numbers
 * its parse nodes). Paths are walked over the tree with SQLite 3.40's
 * rules (`$`, `.key`, `."key"`, `[N]`, `[#]`, `[#-N]`; keys compared as
 * written, the first of duplicate keys wins; the walk stops at the first
 * miss, a `.` step on a non-object is a miss before its key is read),
 * and edits change the tree, written back minified. Text made by a JSON
 * function carries the subtype 'J' (struct sql_value.sub), so a json()
 * result nested into json_array/json_object/json_set stays JSON.
 *
 * Differences from SQLite 3.40 (the parser is RFC 8259 strict): text
 * that is not UTF-8 and lone surrogate escapes (\ud800) are "malformed
 * JSON" here; nesting is limited by lib/json (10000), not 2000.
 */
#include "sql/exec_int.h"
#include "sql/vpriv.h"
#include "json/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_JSON 'J'
#define JN_LIT 7 /* a node whose text was made here (an inserted value) */

#define ARGS struct sql_fctx *c, int argc, const struct sql_value *argv, \
	struct sql_value *out

/* ------------------------------------------------------------ the tree */

struct jn {
	uint8_t type;            /* enum sdb_jtype, or JN_LIT */
	uint8_t esc;             /* a string with escapes */
	const char *z;           /* scalars: JSON text (strings with quotes) */
	size_t n;
	const char *kz;          /* in an object: the key's text with quotes */
	size_t kn;
	struct jn **kid;
	size_t nkid, cap;
	struct jn *up;
	long id;                 /* tape index; -1 when made here */
};

static int nomem(struct sql_fctx *c)
{
	return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
}

static struct jn *jn_new(struct sql_fctx *c, int type)
{
	struct jn *n = sdb_sql_arena_alloc(c->mem, sizeof(*n));
	if (n) {
		memset(n, 0, sizeof(*n));
		n->type = (uint8_t)type;
		n->id = -1;
	}
	return n;
}

static int jn_add(struct sql_fctx *c, struct jn *p, struct jn *k)
{
	if (p->nkid == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 4;
		struct jn **nk = sdb_sql_arena_alloc(c->mem, sizeof(*nk) * nc);
		if (!nk)
			return nomem(c);
		if (p->nkid)
			memcpy(nk, p->kid, sizeof(*nk) * p->nkid);
		p->kid = nk;
		p->cap = nc;
	}
	p->kid[p->nkid++] = k;
	k->up = p;
	return 0;
}

static const char *const lits[] = { "null", "false", "true" };

/* The tree of tape value *i (advanced past it). */
static struct jn *from_tape(struct sql_fctx *c, const struct sdb_json_doc *d,
			    size_t *i)
{
	size_t at = *i;
	int t = sdb_json_type(d, at);
	struct jn *n = jn_new(c, t);
	if (!n)
		return NULL;
	n->id = (long)at;
	if (t == SDB_J_ARRAY || t == SDB_J_OBJECT) {
		size_t end = SDB_JT_END(d->tape[at]);
		size_t k = at + 1;
		while (k < end) {
			const char *kz = NULL;
			size_t kn = 0;
			if (t == SDB_J_OBJECT) {
				sdb_json_raw(d, k, &kz, &kn);
				kz--;
				kn += 2;
				k = sdb_json_next(d, k);
			}
			struct jn *v = from_tape(c, d, &k);
			if (!v || jn_add(c, n, v))
				return NULL;
			v->kz = kz;
			v->kn = kn;
		}
		*i = end;
		return n;
	}
	if (t == SDB_J_STRING || t == SDB_J_NUMBER) {
		sdb_json_raw(d, at, &n->z, &n->n);
		if (t == SDB_J_STRING) {
			n->z--;
			n->n += 2;
			n->esc = (uint8_t)SDB_JT_ESC(d->tape[at]);
		}
	} else {
		n->z = lits[t];
		n->n = strlen(n->z);
	}
	*i = sdb_json_next(d, at);
	return n;
}

/* Parses text z[0..len) into a tree. @return 0, SDB_EINVAL ("malformed
 * JSON") or SDB_ENOMEM. */
static int parse_text(struct sql_fctx *c, const char *z, size_t len,
		      struct jn **out)
{
	struct sdb_json_doc d;
	struct sdb_error e2 = { 0 };
	memset(&d, 0, sizeof d);
	int rc = sdb_json_parse(&d, z, len, 0, &e2);
	if (rc) {
		sdb_json_release(&d);
		if (rc == SDB_ENOMEM)
			return nomem(c);
		return sdb_error_set(c->e, SDB_EINVAL, "malformed JSON");
	}
	size_t i = 0;
	*out = from_tape(c, &d, &i);
	sdb_json_release(&d);
	return *out ? 0 : nomem(c);
}

/* The tree of a JSON argument; *out NULL for SQL NULL. */
static int parse_arg(struct sql_fctx *c, const struct sql_value *v,
		     struct jn **out)
{
	*out = NULL;
	if (v->type == SQLV_NULL)
		return 0;
	const char *z;
	size_t n;
	if (sqlv_bytes(v, c->mem, &z, &n))
		return nomem(c);
	return parse_text(c, z ? z : "", n, out);
}

static void jn_write(const struct jn *n, struct sdb_buf *o)
{
	if (n->type == SDB_J_ARRAY || n->type == SDB_J_OBJECT) {
		sdb_buf_addc(o, n->type == SDB_J_ARRAY ? '[' : '{');
		for (size_t i = 0; i < n->nkid; i++) {
			if (i)
				sdb_buf_addc(o, ',');
			if (n->type == SDB_J_OBJECT) {
				sdb_buf_add(o, n->kid[i]->kz, n->kid[i]->kn);
				sdb_buf_addc(o, ':');
			}
			jn_write(n->kid[i], o);
		}
		sdb_buf_addc(o, n->type == SDB_J_ARRAY ? ']' : '}');
		return;
	}
	sdb_buf_add(o, n->z, n->n);
}

/* A buffer as the function's TEXT result (subtype sub). */
static int buf_result(struct sql_fctx *c, struct sdb_buf *b, int sub,
		      struct sql_value *out)
{
	if (!sdb_buf_ok(b)) {
		sdb_buf_release(b);
		return nomem(c);
	}
	char *p = sqlv_dup(c->mem, b->data ? b->data : "", b->len);
	size_t n = b->len;
	sdb_buf_release(b);
	if (!p)
		return nomem(c);
	*out = sql_text(p, n);
	out->sub = (uint8_t)sub;
	return 0;
}

static int tree_result(struct sql_fctx *c, const struct jn *n,
		       struct sql_value *out)
{
	struct sdb_buf b = SDB_BUF_INIT;
	jn_write(n, &b);
	return buf_result(c, &b, SUB_JSON, out);
}

/* A JSON number's SQL value: INTEGER unless it has '.', 'e' or does not
 * fit in 64 bits. */
static struct sql_value num_value(const char *z, size_t n)
{
	int isreal = 0;
	for (size_t i = 0; i < n; i++)
		if (z[i] == '.' || z[i] == 'e' || z[i] == 'E')
			isreal = 1;
	if (!isreal) {
		int64_t v;
		if (sqlv_atoi64(z, n, &v) == 0)
			return sql_int(v);
	}
	double r;
	sqlv_atof(z, n, &r);
	return sql_real(r);
}

/* The SQL value of a node (SQLite's jsonReturn). */
static int node_value(struct sql_fctx *c, const struct jn *n,
		      struct sql_value *out)
{
	switch (n->type) {
	case SDB_J_NULL:
		*out = sql_null();
		return 0;
	case SDB_J_TRUE:
		*out = sql_int(1);
		return 0;
	case SDB_J_FALSE:
		*out = sql_int(0);
		return 0;
	case SDB_J_NUMBER:
		*out = num_value(n->z, n->n);
		return 0;
	case SDB_J_STRING: {
		if (!n->esc) {
			*out = sql_text(n->z + 1, n->n - 2);
			return 0;
		}
		struct sdb_buf b = SDB_BUF_INIT;
		sdb_json_unescape(n->z + 1, n->n - 2, &b);
		return buf_result(c, &b, 0, out);
	}
	default:
		return tree_result(c, n, out);
	}
}

static const char *type_name(const struct jn *n)
{
	switch (n->type) {
	case SDB_J_NULL: return "null";
	case SDB_J_TRUE: return "true";
	case SDB_J_FALSE: return "false";
	case SDB_J_NUMBER:
		for (size_t i = 0; i < n->n; i++)
			if (n->z[i] == '.' || n->z[i] == 'e' || n->z[i] == 'E')
				return "real";
		return "integer";
	case SDB_J_STRING: return "text";
	case SDB_J_ARRAY: return "array";
	case SDB_J_OBJECT: return "object";
	}
	return "null";
}

/* An SQL value as JSON text (SQLite's jsonAppendValue). */
static int append_value(struct sql_fctx *c, const struct sql_value *v,
			struct sdb_buf *o)
{
	switch (v->type) {
	case SQLV_NULL:
		sdb_buf_adds(o, "null");
		return 0;
	case SQLV_INT:
		sdb_buf_addf(o, "%lld", (long long)v->u.i);
		return 0;
	case SQLV_REAL: {
		char buf[64];
		size_t n = sql_real_fmt(v->u.r, buf);
		sdb_buf_add(o, buf, n);
		return 0;
	}
	case SQLV_TEXT:
		if (v->sub == SUB_JSON)
			sdb_buf_add(o, v->u.z, v->n);
		else
			sdb_json_quote(o, v->u.z ? v->u.z : "", v->n);
		return 0;
	default:
		return sdb_error_set(c->e, SDB_EINVAL, "JSON cannot hold BLOB values");
	}
}

/* A node for an SQL value (a JSON text argument becomes its tree). */
static int value_node(struct sql_fctx *c, const struct sql_value *v,
		      struct jn **out)
{
	if (v->type == SQLV_TEXT && v->sub == SUB_JSON) {
		int rc = parse_text(c, v->u.z ? v->u.z : "", v->n, out);
		if (rc != SDB_EINVAL)
			return rc;
	}
	struct sdb_buf b = SDB_BUF_INIT;
	int rc = append_value(c, v, &b);
	if (rc) {
		sdb_buf_release(&b);
		return rc;
	}
	struct sql_value t;
	if ((rc = buf_result(c, &b, 0, &t)))
		return rc;
	struct jn *n = jn_new(c, JN_LIT);
	if (!n)
		return nomem(c);
	n->z = t.u.z;
	n->n = t.n;
	*out = n;
	return 0;
}

/* ------------------------------------------------------------ paths */

static int path_error(struct sql_fctx *c, const char *at, const char *end)
{
	struct sdb_buf b = SDB_BUF_INIT;
	for (const char *p = at; p < end; p++) {
		if (*p == '\'')
			sdb_buf_addc(&b, '\'');
		sdb_buf_addc(&b, *p);
	}
	sdb_buf_addc(&b, 0);
	int rc = sdb_error_set(c->e, SDB_EINVAL, "JSON path error near '%s'",
			       b.data ? b.data : "");
	sdb_buf_release(&b);
	return rc;
}

/* What a walk found: the slot that holds the node (to replace it), its
 * container and position (to remove it). */
struct jhit {
	struct jn *node;         /* NULL: not found */
	struct jn **slot;
	struct jn *up;
	size_t pos;
	int made;                /* created by the walk (mode 1) */
};

/* A new subtree for the rest of a path (SQLite's jsonLookupAppend):
 * empty → a null to be replaced, `.k...` → an object, `[0]...` → an
 * array; anything else makes nothing. */
static int walk(struct sql_fctx *c, struct jn **slot, struct jn *up,
		size_t pos, const char *p, const char *end, int mode,
		struct jhit *h);

static int make_rest(struct sql_fctx *c, const char *p, const char *end,
		     struct jn **out, struct jhit *h)
{
	*out = NULL;
	struct jn *n;
	if (p == end) {
		n = jn_new(c, SDB_J_NULL);
		if (!n)
			return nomem(c);
		n->z = "null";
		n->n = 4;
		*out = n;
		h->node = n;
		h->made = 1;
		return 0;
	}
	if (*p == '.')
		n = jn_new(c, SDB_J_OBJECT);
	else if (end - p >= 3 && !memcmp(p, "[0]", 3))
		n = jn_new(c, SDB_J_ARRAY);
	else
		return 0;
	if (!n)
		return nomem(c);
	struct jn *holder = n;
	int rc = walk(c, &holder, NULL, 0, p, end, 1, h);
	if (rc)
		return rc;
	if (h->node)
		*out = n;
	return 0;
}

static int walk(struct sql_fctx *c, struct jn **slot, struct jn *up,
		size_t pos, const char *p, const char *end, int mode,
		struct jhit *h)
{
	struct jn *n = *slot;
	while (p < end) {
		if (*p == '.') {
			if (n->type != SDB_J_OBJECT)
				goto miss;
			const char *k = p + 1, *ke;
			const char *rest;
			if (k < end && *k == '"') {
				ke = memchr(k + 1, '"', (size_t)(end - k - 1));
				if (!ke)
					return path_error(c, k, end);
				k++;
				rest = ke + 1;
			} else {
				ke = k;
				while (ke < end && *ke != '.' && *ke != '[')
					ke++;
				if (ke == k)
					return path_error(c, k, end);
				rest = ke;
			}
			size_t kn = (size_t)(ke - k);
			size_t i;
			for (i = 0; i < n->nkid; i++) {
				const struct jn *x = n->kid[i];
				if (x->kn == kn + 2 && !memcmp(x->kz + 1, k, kn))
					break;
			}
			if (i == n->nkid) {
				if (mode != 1)
					goto miss;
				struct jn *nn;
				int rc = make_rest(c, rest, end, &nn, h);
				if (rc || !nn)
					return rc;
				char *kz = sdb_sql_arena_alloc(c->mem, kn + 2);
				if (!kz)
					return nomem(c);
				kz[0] = '"';
				memcpy(kz + 1, k, kn);
				kz[kn + 1] = '"';
				nn->kz = kz;
				nn->kn = kn + 2;
				rc = jn_add(c, n, nn);
				if (!rc && h->node == nn) {
					h->up = n;
					h->pos = n->nkid - 1;
					h->slot = &n->kid[n->nkid - 1];
				}
				return rc;
			}
			up = n;
			pos = i;
			slot = &n->kid[i];
			n = *slot;
			p = rest;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			long idx = 0;
			int from_end = 0;
			if (q < end && isdigit((unsigned char)*q)) {
				while (q < end && isdigit((unsigned char)*q)) {
					if (idx < 100000000L)
						idx = idx * 10 + (*q - '0');
					q++;
				}
			} else if (q < end && *q == '#') {
				from_end = 1;
				q++;
				if (q < end && *q == '-' && q + 1 < end &&
				    isdigit((unsigned char)q[1])) {
					q++;
					while (q < end && isdigit((unsigned char)*q)) {
						if (idx < 100000000L)
							idx = idx * 10 + (*q - '0');
						q++;
					}
				} else if (q < end && *q != ']')
					return path_error(c, p, end);
			} else
				return path_error(c, p, end);
			if (q >= end || *q != ']')
				return path_error(c, p, end);
			q++;
			if (n->type != SDB_J_ARRAY)
				goto miss;
			long cnt = (long)n->nkid;
			long i = from_end ? cnt - idx : idx;
			if (i < 0 || i >= cnt) {
				if (mode != 1 || i != cnt)
					goto miss;
				struct jn *nn;
				int rc = make_rest(c, q, end, &nn, h);
				if (rc || !nn)
					return rc;
				rc = jn_add(c, n, nn);
				if (!rc && h->node == nn) {
					h->up = n;
					h->pos = n->nkid - 1;
					h->slot = &n->kid[n->nkid - 1];
				}
				return rc;
			}
			up = n;
			pos = (size_t)i;
			slot = &n->kid[i];
			n = *slot;
			p = q;
			continue;
		}
		return path_error(c, p, end);
	}
	h->node = n;
	h->slot = slot;
	h->up = up;
	h->pos = pos;
	return 0;
miss:
	h->node = NULL;
	return 0;
}

/* Finds path v in the tree at *root. mode 0: look up; 1: create what is
 * missing (json_set/json_insert). A NULL path finds nothing. */
static int lookup(struct sql_fctx *c, struct jn **root,
		  const struct sql_value *v, int mode, struct jhit *h)
{
	memset(h, 0, sizeof(*h));
	if (v->type == SQLV_NULL)
		return 0;
	const char *z;
	size_t n;
	if (sqlv_bytes(v, c->mem, &z, &n))
		return nomem(c);
	if (!z)
		z = "";
	if (n == 0 || z[0] != '$')
		return path_error(c, z, z + n);
	return walk(c, root, NULL, 0, z + 1, z + n, mode, h);
}

/* ------------------------------------------------------------ scalar functions */

static int f_json(ARGS)
{
	(void)argc;
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t) {
		*out = sql_null();
		return rc;
	}
	return tree_result(c, t, out);
}

static int f_json_valid(ARGS)
{
	(void)argc;
	*out = sql_int(0);
	if (argv[0].type == SQLV_NULL)
		return 0;
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc == SDB_EINVAL) {
		sdb_error_clear(c->e);
		return 0;
	}
	if (rc)
		return rc;
	*out = sql_int(1);
	return 0;
}

/* The node of json_type(X[, P]) and json_array_length(X[, P]): X parsed,
 * then P looked up in it when given; *node NULL (and *out NULL) when X is
 * NULL or P names nothing. */
static int arg_node(struct sql_fctx *c, int argc, const struct sql_value *argv,
		    struct sql_value *out, struct jn **node)
{
	struct jn *t;
	*out = sql_null();
	*node = NULL;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t)
		return rc;
	struct jhit h = { .node = t };
	if (argc > 1 && (rc = lookup(c, &t, &argv[1], 0, &h)))
		return rc;
	*node = h.node;
	return 0;
}

static int f_json_type(ARGS)
{
	struct jn *n;
	int rc = arg_node(c, argc, argv, out, &n);
	if (rc || !n)
		return rc;
	const char *nm = type_name(n);
	*out = sql_text(nm, strlen(nm));
	return 0;
}

static int f_json_array_length(ARGS)
{
	struct jn *n;
	int rc = arg_node(c, argc, argv, out, &n);
	if (rc || !n)
		return rc;
	*out = sql_int(n->type == SDB_J_ARRAY ? (int64_t)n->nkid : 0);
	return 0;
}

static int f_json_extract(ARGS)
{
	*out = sql_null();
	if (argc < 2)
		return 0;
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t)
		return rc;
	struct jhit h;
	if (argc == 2) {
		if ((rc = lookup(c, &t, &argv[1], 0, &h)))
			return rc;
		return h.node ? node_value(c, h.node, out) : 0;
	}
	struct sdb_buf b = SDB_BUF_INIT;
	sdb_buf_addc(&b, '[');
	for (int i = 1; i < argc; i++) {
		if ((rc = lookup(c, &t, &argv[i], 0, &h))) {
			sdb_buf_release(&b);
			return rc;
		}
		if (i > 1)
			sdb_buf_addc(&b, ',');
		if (h.node)
			jn_write(h.node, &b);
		else
			sdb_buf_adds(&b, "null");
	}
	sdb_buf_addc(&b, ']');
	return buf_result(c, &b, SUB_JSON, out);
}

/* X -> P and X ->> P: P an integer N ($[N]), a label ($.label), [N], or
 * a path. */
static int ptr_common(struct sql_fctx *c, const struct sql_value *argv,
		      struct sql_value *out, int json)
{
	*out = sql_null();
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t || argv[1].type == SQLV_NULL)
		return rc;
	const char *z;
	size_t n;
	if (sqlv_bytes(&argv[1], c->mem, &z, &n))
		return nomem(c);
	if (!z)
		z = "";
	struct sql_value pv = argv[1];
	if (n == 0 || z[0] != '$') {
		char *q = sdb_sql_arena_alloc(c->mem, n + 4);
		if (!q)
			return nomem(c);
		size_t m;
		if (n && isdigit((unsigned char)z[0])) {
			memcpy(q, "$[", 2);
			memcpy(q + 2, z, n);
			q[n + 2] = ']';
			m = n + 3;
		} else if (n && z[0] == '[') {
			q[0] = '$';
			memcpy(q + 1, z, n);
			m = n + 1;
		} else {
			memcpy(q, "$.", 2);
			memcpy(q + 2, z, n);
			m = n + 2;
		}
		pv = sql_text(q, m);
	}
	struct jhit h;
	if ((rc = lookup(c, &t, &pv, 0, &h)) || !h.node)
		return rc;
	if (json)
		return tree_result(c, h.node, out);
	return node_value(c, h.node, out);
}

static int f_ptr(ARGS)
{
	(void)argc;
	return ptr_common(c, argv, out, 1);
}

static int f_ptr2(ARGS)
{
	(void)argc;
	return ptr_common(c, argv, out, 0);
}

static int f_json_array(ARGS)
{
	struct sdb_buf b = SDB_BUF_INIT;
	sdb_buf_addc(&b, '[');
	for (int i = 0; i < argc; i++) {
		if (i)
			sdb_buf_addc(&b, ',');
		int rc = append_value(c, &argv[i], &b);
		if (rc) {
			sdb_buf_release(&b);
			return rc;
		}
	}
	sdb_buf_addc(&b, ']');
	return buf_result(c, &b, SUB_JSON, out);
}

static int f_json_object(ARGS)
{
	if (argc & 1)
		return sdb_error_set(c->e, SDB_EINVAL,
				     "json_object() requires an even number of arguments");
	struct sdb_buf b = SDB_BUF_INIT;
	sdb_buf_addc(&b, '{');
	for (int i = 0; i < argc; i += 2) {
		if (argv[i].type != SQLV_TEXT) {
			sdb_buf_release(&b);
			return sdb_error_set(c->e, SDB_EINVAL,
					     "json_object() labels must be TEXT");
		}
		if (i)
			sdb_buf_addc(&b, ',');
		sdb_json_quote(&b, argv[i].u.z ? argv[i].u.z : "", argv[i].n);
		sdb_buf_addc(&b, ':');
		int rc = append_value(c, &argv[i + 1], &b);
		if (rc) {
			sdb_buf_release(&b);
			return rc;
		}
	}
	sdb_buf_addc(&b, '}');
	return buf_result(c, &b, SUB_JSON, out);
}

static int f_json_quote(ARGS)
{
	(void)argc;
	if (argv[0].type == SQLV_TEXT && argv[0].sub == SUB_JSON) {
		*out = argv[0];
		return 0;
	}
	struct sdb_buf b = SDB_BUF_INIT;
	int rc = append_value(c, &argv[0], &b);
	if (rc) {
		sdb_buf_release(&b);
		return rc;
	}
	return buf_result(c, &b, SUB_JSON, out);
}

static int f_json_remove(ARGS)
{
	*out = sql_null();
	if (argc < 1)
		return 0;
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t)
		return rc;
	for (int i = 1; i < argc; i++) {
		if (argv[i].type == SQLV_NULL)
			return 0;
		struct jhit h;
		if ((rc = lookup(c, &t, &argv[i], 0, &h)))
			return rc;
		if (!h.node)
			continue;
		if (!h.up)
			return 0; /* "$": nothing left */
		struct jn *u = h.up;
		memmove(&u->kid[h.pos], &u->kid[h.pos + 1],
			sizeof(*u->kid) * (u->nkid - h.pos - 1));
		u->nkid--;
	}
	return tree_result(c, t, out);
}

/* json_set (mode 's'), json_insert ('i'), json_replace ('r'). */
static int set_common(struct sql_fctx *c, int argc, const struct sql_value *argv,
		      struct sql_value *out, int mode, const char *name)
{
	*out = sql_null();
	if (argc < 1)
		return 0;
	if ((argc & 1) == 0)
		return sdb_error_set(c->e, SDB_EINVAL,
				     "%s() needs an odd number of arguments", name);
	struct jn *t;
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t)
		return rc;
	const struct sql_value *whole = NULL; /* the value that replaced "$" */
	for (int i = 1; i < argc; i += 2) {
		struct jhit h;
		if ((rc = lookup(c, &t, &argv[i], mode == 'r' ? 0 : 1, &h)))
			return rc;
		if (!h.node)
			continue;
		if (!h.made && mode == 'i')
			continue;
		whole = h.slot == &t ? &argv[i + 1] : NULL;
		struct jn *v;
		if (whole && argv[i + 1].type == SQLV_BLOB) {
			/* the root replaced by a BLOB: returned as it is */
			struct sql_value nul = sql_null();
			rc = value_node(c, &nul, &v);
		} else
			rc = value_node(c, &argv[i + 1], &v);
		if (rc)
			return rc;
		v->kz = h.node->kz;
		v->kn = h.node->kn;
		v->up = h.node->up;
		*h.slot = v;
	}
	if (whole) {
		/* SQLite returns the value itself when it replaced the root */
		*out = *whole;
		return 0;
	}
	return tree_result(c, t, out);
}

static int f_json_set(ARGS)
{
	return set_common(c, argc, argv, out, 's', "json_set");
}

static int f_json_insert(ARGS)
{
	return set_common(c, argc, argv, out, 'i', "json_insert");
}

static int f_json_replace(ARGS)
{
	return set_common(c, argc, argv, out, 'r', "json_replace");
}

/* RFC 7396 MergePatch of patch p into target t. */
static struct jn *merge(struct sql_fctx *c, struct jn *t, struct jn *p)
{
	if (p->type != SDB_J_OBJECT)
		return p;
	if (!t || t->type != SDB_J_OBJECT) {
		t = jn_new(c, SDB_J_OBJECT);
		if (!t)
			return NULL;
	}
	for (size_t i = 0; i < p->nkid; i++) {
		struct jn *pk = p->kid[i];
		size_t j;
		for (j = 0; j < t->nkid; j++)
			if (t->kid[j]->kn == pk->kn && !memcmp(t->kid[j]->kz, pk->kz, pk->kn))
				break;
		if (pk->type == SDB_J_NULL) {
			if (j < t->nkid) {
				memmove(&t->kid[j], &t->kid[j + 1],
					sizeof(*t->kid) * (t->nkid - j - 1));
				t->nkid--;
			}
			continue;
		}
		struct jn *m = merge(c, j < t->nkid ? t->kid[j] : NULL, pk);
		if (!m)
			return NULL;
		m->kz = pk->kz;
		m->kn = pk->kn;
		if (j < t->nkid)
			t->kid[j] = m;
		else if (jn_add(c, t, m))
			return NULL;
	}
	return t;
}

static int f_json_patch(ARGS)
{
	(void)argc;
	struct jn *t, *p;
	*out = sql_null();
	int rc = parse_arg(c, &argv[0], &t);
	if (rc || !t)
		return rc;
	if ((rc = parse_arg(c, &argv[1], &p)) || !p)
		return rc;
	struct jn *r = merge(c, t, p);
	if (!r)
		return nomem(c);
	return tree_result(c, r, out);
}

/* ------------------------------------------------------------ aggregates */

/* Elements as JSON text; off[] where each starts, so the oldest can be
 * dropped (the inverse of a sliding window frame). */
struct jagg {
	struct sdb_buf b;
	size_t *off;
	size_t n, cap, head;
	int err;
};

static int jagg_push(struct sql_fctx *c, struct jagg *s)
{
	if (s->n == s->cap && s->head >= s->n / 2 && s->head) {
		/* a sliding frame: the elements that left are dropped, so the
		 * state holds the frame, not every row that went through */
		size_t cut = s->n > s->head ? s->off[s->head] : s->b.len;
		memmove(s->b.data, s->b.data + cut, s->b.len - cut);
		s->b.len -= cut;
		for (size_t i = s->head; i < s->n; i++)
			s->off[i - s->head] = s->off[i] - cut;
		s->n -= s->head;
		s->head = 0;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		size_t *no = realloc(s->off, sizeof(*no) * nc);
		if (!no)
			return nomem(c);
		s->off = no;
		s->cap = nc;
	}
	s->off[s->n++] = s->b.len;
	return 0;
}

static int garr_step(struct sql_fctx *c, void *st, int argc,
		     const struct sql_value *argv)
{
	(void)argc;
	struct jagg *s = st;
	int rc = jagg_push(c, s);
	if (!rc)
		rc = append_value(c, &argv[0], &s->b);
	return rc;
}

static int gobj_step(struct sql_fctx *c, void *st, int argc,
		     const struct sql_value *argv)
{
	(void)argc;
	struct jagg *s = st;
	int rc = jagg_push(c, s);
	if (rc)
		return rc;
	if (argv[0].type != SQLV_NULL) {
		const char *z;
		size_t n;
		if (sqlv_bytes(&argv[0], c->mem, &z, &n))
			return nomem(c);
		sdb_json_quote(&s->b, z ? z : "", n);
	}
	sdb_buf_addc(&s->b, ':');
	return append_value(c, &argv[1], &s->b);
}

static int jagg_inverse(struct sql_fctx *c, void *st, int argc,
			const struct sql_value *argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	struct jagg *s = st;
	if (s->head < s->n)
		s->head++;
	return 0;
}

static int jagg_final(struct sql_fctx *c, struct jagg *s, char open, char close,
		      struct sql_value *out)
{
	struct sdb_buf b = SDB_BUF_INIT;
	sdb_buf_addc(&b, open);
	for (size_t i = s->head; i < s->n; i++) {
		size_t e = i + 1 < s->n ? s->off[i + 1] : s->b.len;
		if (i > s->head)
			sdb_buf_addc(&b, ',');
		sdb_buf_add(&b, s->b.data + s->off[i], e - s->off[i]);
	}
	sdb_buf_addc(&b, close);
	if (!sdb_buf_ok(&s->b)) {
		sdb_buf_release(&b);
		return nomem(c);
	}
	return buf_result(c, &b, SUB_JSON, out);
}

static int garr_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	return jagg_final(c, st, '[', ']', out);
}

static int gobj_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	return jagg_final(c, st, '{', '}', out);
}

static void jagg_destroy(void *st)
{
	struct jagg *s = st;
	sdb_buf_release(&s->b);
	free(s->off);
	memset(s, 0, sizeof(*s));
}

static const struct sql_agg_def agg_garr = {
	sizeof(struct jagg), garr_step, jagg_inverse, garr_final, jagg_destroy,
};
static const struct sql_agg_def agg_gobj = {
	sizeof(struct jagg), gobj_step, jagg_inverse, gobj_final, jagg_destroy,
};

#define C SQL_FN_CONST
const struct sql_func_def sqlv_json_funcs[] = {
	{ "json", 1, 1, C, f_json, NULL },
	{ "json_valid", 1, 1, C, f_json_valid, NULL },
	{ "json_type", 1, 2, C, f_json_type, NULL },
	{ "json_array_length", 1, 2, C, f_json_array_length, NULL },
	{ "json_extract", 0, -1, C, f_json_extract, NULL },
	{ "json_array", 0, -1, C, f_json_array, NULL },
	{ "json_object", 0, -1, C, f_json_object, NULL },
	{ "json_quote", 1, 1, C, f_json_quote, NULL },
	{ "json_remove", 0, -1, C, f_json_remove, NULL },
	{ "json_set", 0, -1, C, f_json_set, NULL },
	{ "json_insert", 0, -1, C, f_json_insert, NULL },
	{ "json_replace", 0, -1, C, f_json_replace, NULL },
	{ "json_patch", 2, 2, C, f_json_patch, NULL },
	{ "json_group_array", 1, 1, C, NULL, &agg_garr },
	{ "json_group_object", 2, 2, C, NULL, &agg_gobj },
};
const size_t sqlv_njson_funcs = sizeof(sqlv_json_funcs) / sizeof(*sqlv_json_funcs);

static const struct sql_func_def fn_ptr = { "->", 2, 2, C, f_ptr, NULL };
static const struct sql_func_def fn_ptr2 = { "->>", 2, 2, C, f_ptr2, NULL };
#undef C

const struct sql_func_def *sql_json_ptr_func(int two)
{
	return two ? &fn_ptr2 : &fn_ptr;
}

/* ------------------------------------------------------------ json_each, json_tree */

static const char *const tvf_cols[] = {
	"key", "value", "type", "atom", "id", "parent", "fullkey", "path",
	"json", "root",
};
#define TVF_NCOL 10
#define TVF_NVISIBLE 8

struct tvf {
	int tree;                    /* json_tree */
	struct xp **args;
	int nargs;
	struct sdb_sql_arena mem;    /* the rows of one rewind */
	struct sql_value *rows;      /* nrows * TVF_NCOL */
	long nrows, cap, pos;
	struct jn *root;             /* the walk's top */
	const char *rz;              /* the path argument's text, or NULL */
	size_t rn;
};

int sql_tvf_find(const char *name, int *tree)
{
	if (!strcasecmp(name, "json_each"))
		*tree = 0;
	else if (!strcasecmp(name, "json_tree"))
		*tree = 1;
	else
		return 0;
	return 1;
}

const char *const *sql_tvf_columns(int *ncol, int *nvisible)
{
	*ncol = TVF_NCOL;
	*nvisible = TVF_NVISIBLE;
	return tvf_cols;
}

struct tvf *sql_tvf_new(int tree, struct xp **args, int nargs)
{
	struct tvf *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tree = tree;
	t->args = args;
	t->nargs = nargs;
	sdb_sql_arena_init(&t->mem);
	return t;
}

void sql_tvf_free(struct tvf *t)
{
	if (!t)
		return;
	sdb_sql_arena_release(&t->mem);
	free(t->rows);
	free(t);
}

/* The object path element of a key: bare when it is a name, else quoted
 * as written. */
static void key_elem(struct sdb_buf *o, const struct jn *n)
{
	const char *z = n->kz;
	size_t k = n->kn;
	int bare = k > 2 && isalpha((unsigned char)z[1]);
	for (size_t j = 2; bare && j + 1 < k; j++)
		if (!isalnum((unsigned char)z[j]))
			bare = 0;
	sdb_buf_addc(o, '.');
	if (bare)
		sdb_buf_add(o, z + 1, k - 2);
	else
		sdb_buf_add(o, z, k);
}

/* json_tree's full key of n: from the document's root, array positions
 * above the walk's top counted as 0 (as SQLite 3.40 writes them). */
static void tree_path(const struct tvf *t, const struct jn *n, struct sdb_buf *o)
{
	if (!n->up) {
		sdb_buf_addc(o, '$');
		return;
	}
	tree_path(t, n->up, o);
	if (n->up->type == SDB_J_ARRAY) {
		size_t i = 0;
		int below = 0;
		for (const struct jn *a = n->up; a; a = a->up)
			if (a == t->root)
				below = 1;
		if (below)
			while (i < n->up->nkid && n->up->kid[i] != n)
				i++;
		sdb_buf_addf(o, "[%zu]", i);
	} else
		key_elem(o, n);
}

static int tvf_text(struct tvf *t, struct sdb_buf *b, struct sql_value *v)
{
	if (!sdb_buf_ok(b)) {
		sdb_buf_release(b);
		return SDB_ENOMEM;
	}
	char *p = sdb_sql_arena_alloc(&t->mem, b->len + 1);
	if (!p) {
		sdb_buf_release(b);
		return SDB_ENOMEM;
	}
	if (b->len)
		memcpy(p, b->data, b->len);
	p[b->len] = 0;
	*v = sql_text(p, b->len);
	sdb_buf_release(b);
	return 0;
}

/* One row for node n (position i in its container). */
static int tvf_row(struct tvf *t, struct sql_fctx *c, const struct jn *n,
		   long i, const struct sql_value *json)
{
	if (t->nrows == t->cap) {
		long nc = t->cap ? t->cap * 2 : 32;
		struct sql_value *nr = realloc(t->rows, sizeof(*nr) * (size_t)nc * TVF_NCOL);
		if (!nr)
			return nomem(c);
		t->rows = nr;
		t->cap = nc;
	}
	struct sql_value *r = &t->rows[t->nrows * TVF_NCOL];
	for (int k = 0; k < TVF_NCOL; k++)
		r[k] = sql_null();
	int top = n == t->root;
	/* key */
	if (top && (!t->tree || (n->type != SDB_J_ARRAY && n->type != SDB_J_OBJECT)))
		; /* json_tree names a top container only (as SQLite 3.40) */
	else if (n->up && n->up->type == SDB_J_ARRAY) {
		if (!top)
			r[0] = sql_int(i);
	} else if (n->up) {
		struct jn lab = { .type = SDB_J_STRING, .z = n->kz, .n = n->kn };
		lab.esc = memchr(n->kz, '\\', n->kn) != NULL;
		struct sql_value kv;
		if (node_value(c, &lab, &kv) || sql_value_copy(&kv, &t->mem))
			return nomem(c);
		r[0] = kv;
	}
	struct sql_value v;
	if (node_value(c, n, &v) || sql_value_copy(&v, &t->mem))
		return nomem(c);
	r[1] = v;
	const char *tn = type_name(n);
	r[2] = sql_text(tn, strlen(tn));
	if (n->type != SDB_J_ARRAY && n->type != SDB_J_OBJECT)
		r[3] = v;
	r[4] = sql_int(n->id);
	if (t->tree && !top)
		r[5] = sql_int(n->up->id);
	struct sdb_buf fk = SDB_BUF_INIT, pk = SDB_BUF_INIT;
	if (t->tree) {
		tree_path(t, n, &fk);
		if (n->up)
			tree_path(t, n->up, &pk);
		else
			sdb_buf_addc(&pk, '$');
	} else {
		if (t->rz)
			sdb_buf_add(&fk, t->rz, t->rn);
		else
			sdb_buf_addc(&fk, '$');
		if (!top) {
			if (n->up->type == SDB_J_ARRAY)
				sdb_buf_addf(&fk, "[%ld]", i);
			else
				key_elem(&fk, n);
		}
		if (t->rz)
			sdb_buf_add(&pk, t->rz, t->rn);
		else
			sdb_buf_addc(&pk, '$');
	}
	int rc = tvf_text(t, &fk, &r[6]);
	if (!rc)
		rc = tvf_text(t, &pk, &r[7]);
	else
		sdb_buf_release(&pk);
	if (rc)
		return nomem(c);
	r[8] = *json;
	if (t->rz)
		r[9] = sql_text(t->rz, t->rn);
	else
		r[9] = sql_text("$", 1);
	t->nrows++;
	return 0;
}

static int tvf_walk(struct tvf *t, struct sql_fctx *c, const struct jn *n,
		    long i, const struct sql_value *json)
{
	int rc = tvf_row(t, c, n, i, json);
	for (size_t k = 0; !rc && k < n->nkid; k++)
		rc = tvf_walk(t, c, n->kid[k], (long)k, json);
	return rc;
}

int sql_tvf_rewind(struct tvf *t, struct ectx *x)
{
	sdb_sql_arena_release(&t->mem);
	t->nrows = t->pos = 0;
	t->rz = NULL;
	t->root = NULL;
	struct sql_value a[2] = { sql_null(), sql_null() };
	int rc;
	for (int i = 0; i < t->nargs && i < 2; i++)
		if ((rc = xp_eval(x, t->args[i], &a[i])))
			return rc;
	struct sql_fctx c = { .mem = &t->mem, .e = x->e, .conn = x->c };
	if (t->nargs < 1 || a[0].type == SQLV_NULL)
		return 0;
	struct sql_value json = a[0];
	if (sql_value_copy(&json, &t->mem))
		return sql_oom(x->e);
	json.sub = 0;
	struct jn *root;
	if ((rc = parse_arg(&c, &json, &root)))
		return rc;
	struct jn *top = root;
	if (t->nargs > 1) {
		if (a[1].type == SQLV_NULL)
			return 0;
		struct sql_value p = a[1];
		if (sql_value_copy(&p, &t->mem))
			return sql_oom(x->e);
		struct jhit h;
		if ((rc = lookup(&c, &root, &p, 0, &h)))
			return rc;
		if (!h.node)
			return 0;
		top = h.node;
		if (sqlv_bytes(&p, &t->mem, &t->rz, &t->rn))
			return sql_oom(x->e);
	}
	t->root = top;
	if (t->tree)
		return tvf_walk(t, &c, top, 0, &json);
	if (top->type != SDB_J_ARRAY && top->type != SDB_J_OBJECT)
		return tvf_row(t, &c, top, 0, &json);
	for (size_t k = 0; k < top->nkid; k++)
		if ((rc = tvf_row(t, &c, top->kid[k], (long)k, &json)))
			return rc;
	return 0;
}

int sql_tvf_next(struct tvf *t, struct sql_value **row)
{
	if (t->pos >= t->nrows)
		return 0;
	*row = &t->rows[t->pos++ * TVF_NCOL];
	return 1;
}
