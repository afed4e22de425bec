/*
 * load.c - JSONL and node-link JSON into a graph (load.h).
 */
#include "graph/load.h"

#include "json/json.h"
#include "graph/trav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	const struct sdb_json_doc *d;
	size_t obj;
	struct sdb_buf s[6];
};

/* The value index of key k in object o, or 0. */
static size_t field(const struct sdb_json_doc *d, size_t o, const char *k, struct sdb_buf *tmp)
{
	size_t kn = strlen(k), hit = 0;

	for (size_t i = o + 1; i < sdb_json_next(d, o); i = sdb_json_next(d, i + 1)) {
		const char *p;
		size_t n;
		sdb_json_str(d, i, &p, &n, tmp);
		if (n == kn && !memcmp(p, k, n))
			hit = i + 1;
	}
	return hit;
}

/* The value indexes of a JSONL record's keys (0: absent; the last of a
 * repeated key, as field gives), found in one pass over the object. */
struct flds {
	size_t from, to, id, type, props, vf, vu, ra, ea;
};

static void scan_fields(const struct sdb_json_doc *d, size_t o, struct flds *f,
			struct sdb_buf *tmp)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = o + 1; i < sdb_json_next(d, o); i = sdb_json_next(d, i + 1)) {
		const char *p;
		size_t n, *hit = NULL;
		sdb_json_str(d, i, &p, &n, tmp);
#define K(name, m) else if (n == sizeof(name) - 1 && !memcmp(p, name, n)) hit = &f->m
		if (0)
			;
		K("from", from); K("to", to); K("id", id); K("type", type); K("props", props);
		K("valid_from", vf); K("valid_until", vu); K("recorded_at", ra); K("expired_at", ea);
#undef K
		if (hit)
			*hit = i + 1;
	}
}

/* A string or integer id/type at value i into out. @return 0 or -1. */
static int text_of(const struct sdb_json_doc *d, size_t i, struct sdb_buf *out)
{
	const char *p;
	size_t n;

	sdb_buf_reset(out);
	if (sdb_json_type(d, i) == SDB_J_STRING) {
		sdb_json_str(d, i, &p, &n, out);
		if (p != out->data) {
			sdb_buf_reset(out);
			sdb_buf_add(out, p, n);
		}
		return 0;
	}
	if (sdb_json_type(d, i) == SDB_J_NUMBER) {
		sdb_json_num(d, i, 1, out);
		return 0;
	}
	return -1;
}

static int time_of(const struct sdb_json_doc *d, size_t i, uint64_t *v)
{
	const char *p;
	size_t n;
	uint64_t x = 0;

	if (sdb_json_type(d, i) == SDB_J_NULL) {
		*v = 0;
		return 0;
	}
	if (sdb_json_type(d, i) != SDB_J_NUMBER)
		return -1;
	sdb_json_raw(d, i, &p, &n);
	if (!n || n > 18)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[k] - '0');
	}
	*v = x;
	return 0;
}

/* Props of object o: its "props" object (the value pi; 0: none), or every
 * key not in skip (node-link). */
static int props_of(const struct sdb_json_doc *d, size_t o, const char *const *skip,
		    size_t pi, struct sdb_buf *out, struct sdb_buf *tmp)
{
	sdb_buf_reset(out);
	if (!skip) {
		/* pi: the "props" value (0: none) */
		size_t i = pi;
		if (!i) {
			sdb_buf_adds(out, "{}");
			return 0;
		}
		if (sdb_json_type(d, i) != SDB_J_OBJECT)
			return -1;
		sdb_json_write(d, i, 0, 1, out);
		return 0;
	}
	sdb_buf_addc(out, '{');
	for (size_t i = o + 1; i < sdb_json_next(d, o); i = sdb_json_next(d, i + 1)) {
		const char *p;
		size_t n;
		int skipped = 0;
		sdb_json_str(d, i, &p, &n, tmp);
		for (const char *const *s = skip; *s; s++)
			if (strlen(*s) == n && !memcmp(*s, p, n))
				skipped = 1;
		if (skipped)
			continue;
		if (out->len > 1)
			sdb_buf_addc(out, ',');
		sdb_json_quote(out, p, n);
		sdb_buf_addc(out, ':');
		sdb_json_write(d, i + 1, 0, 1, out);
	}
	sdb_buf_addc(out, '}');
	return 0;
}

static const char *const nl_node_skip[] = { "id", "type", NULL };
static const char *const nl_edge_skip[] = { "source", "target", "type", "key", NULL };

/* One record (object o). where: "line N" context for messages. */
static int one(struct sdb_graph *g, const struct sdb_json_doc *d, size_t o, int nodelink,
	       const struct flds *f, int is_edge, uint64_t now, struct sdb_gload_stats *st,
	       long line, struct sdb_buf *b, struct sdb_error *e)
{
	struct sdb_buf *a = &b[0], *ty = &b[1], *c = &b[2], *pr = &b[3], *tmp = &b[4];
	size_t i;
	struct sdb_gtimes t = { now, 0, 0, 0 };
	int rc, what = SDB_GW_ADDED, exact = 0;
	const char *what_s = is_edge ? "edge" : "node";

#define BAD(...) return sdb_error_at(e, SDB_EPARSE, line, 1, __VA_ARGS__)
	/* JSONL: the keys' values from f (one pass); node-link: by name */
#define FLD(m, k) (f ? f->m : field(d, o, k, tmp))
	if (is_edge) {
		if (!(i = f ? f->from : field(d, o, "source", tmp)) || text_of(d, i, a))
			BAD("edge without a string \"%s\"", nodelink ? "source" : "from");
		if (!(i = f ? f->to : field(d, o, "target", tmp)) || text_of(d, i, c))
			BAD("edge without a string \"%s\"", nodelink ? "target" : "to");
	} else if (!(i = FLD(id, "id")) || text_of(d, i, a))
		BAD("node without a string \"id\"");
	sdb_buf_reset(ty);
	if ((i = FLD(type, "type")) || (nodelink && is_edge && (i = field(d, o, "key", tmp)) &&
					sdb_json_type(d, i) == SDB_J_STRING)) {
		if (sdb_json_type(d, i) != SDB_J_STRING || text_of(d, i, ty))
			BAD("%s \"type\" is not a string", what_s);
	}
	if (props_of(d, o, nodelink ? (is_edge ? nl_edge_skip : nl_node_skip) : NULL,
		     f ? f->props : 0, pr, tmp))
		BAD("%s \"props\" is not an object", what_s);
	if (!nodelink) {
		if ((i = f->vf) && time_of(d, i, &t.vf))
			BAD("\"valid_from\" is not a time in ms");
		if ((i = f->vu) && time_of(d, i, &t.vu))
			BAD("\"valid_until\" is not a time in ms");
		if ((i = f->ra)) {
			if (time_of(d, i, &t.ra))
				BAD("\"recorded_at\" is not a time in ms");
			exact = 1;
		}
		if ((i = f->ea) && time_of(d, i, &t.ea))
			BAD("\"expired_at\" is not a time in ms");
		if (t.ea && !exact)
			BAD("\"expired_at\" without \"recorded_at\"");
	}
	if (!sdb_buf_ok(a) || !sdb_buf_ok(ty) || !sdb_buf_ok(c) || !sdb_buf_ok(pr))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
#define S(x) ((x)->data ? (x)->data : "")
	if (is_edge)
		rc = exact ? sdb_graph_put_edge_version(g, S(a), a->len, S(ty), ty->len, S(c), c->len,
							S(pr), pr->len, &t, e) :
			     sdb_graph_add_edge(g, S(a), a->len, S(ty), ty->len, S(c), c->len,
						S(pr), pr->len, t.vf, t.vu, now, 0, &what, e);
	else
		rc = exact ? sdb_graph_put_node_version(g, S(a), a->len, S(ty), ty->len, S(pr), pr->len, &t, e) :
			     sdb_graph_add_node(g, S(a), a->len, S(ty), ty->len, S(pr), pr->len,
						t.vf, t.vu, now, &what, e);
#undef S
	if (rc) {
		if (rc == SDB_EINVAL || rc == SDB_ELIMIT) {
			char m[sizeof(e->msg)];
			snprintf(m, sizeof(m), "%s", e->msg);
			return sdb_error_at(e, rc == SDB_EINVAL ? SDB_EPARSE : rc, line, 1, "%s", m);
		}
		return rc;
	}
	if (what == SDB_GW_NOOP)
		st->noops++;
	else if (is_edge)
		st->edges++;
	else
		st->nodes++;
	return 0;
#undef FLD
#undef BAD
}

int sdb_graph_load(struct sdb_graph *g, const char *src, size_t len, uint64_t now,
		   struct sdb_gload_stats *st, struct sdb_error *e)
{
	struct sdb_json_doc d;
	struct sdb_buf b[6];
	int rc = 0;
	size_t i = 0;
	long line = 0;
	struct flds f;

	memset(st, 0, sizeof(*st));
	memset(&d, 0, sizeof(d));
	for (int k = 0; k < 6; k++)
		sdb_buf_init(&b[k]);
	/* node-link: the whole input is one object with "nodes" */
	while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n'))
		i++;
	if (i < len && src[i] == '{' && !sdb_json_parse(&d, src, len, 0, NULL)) {
		size_t nodes = field(&d, 0, "nodes", &b[4]);
		size_t links = field(&d, 0, "links", &b[4]);
		if (!links)
			links = field(&d, 0, "edges", &b[4]);
		if (nodes && sdb_json_type(&d, nodes) == SDB_J_ARRAY && (!links ||
		    sdb_json_type(&d, links) == SDB_J_ARRAY)) {
			long n = 0;
			for (size_t x = nodes + 1; x < sdb_json_next(&d, nodes) && !rc; x = sdb_json_next(&d, x)) {
				n++;
				if (sdb_json_type(&d, x) != SDB_J_OBJECT)
					rc = sdb_error_set(e, SDB_EPARSE, "node %ld is not an object", n);
				else if ((rc = one(g, &d, x, 1, NULL, 0, now, st, 1, b, e)))
					snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
						 " (node %ld)", n);
			}
			n = 0;
			for (size_t x = links + 1; links && x < sdb_json_next(&d, links) && !rc; x = sdb_json_next(&d, x)) {
				n++;
				if (sdb_json_type(&d, x) != SDB_J_OBJECT)
					rc = sdb_error_set(e, SDB_EPARSE, "link %ld is not an object", n);
				else if ((rc = one(g, &d, x, 1, NULL, 1, now, st, 1, b, e)))
					snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
						 " (link %ld)", n);
			}
			if (rc)
				e->line = e->column = 0;
			goto out;
		}
	}
	sdb_json_release(&d);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < len && !rc;) {
		const char *p = src + i, *nl = memchr(p, '\n', len - i);
		size_t n = nl ? (size_t)(nl - p) : len - i, k;
		i += n + 1;
		line++;
		for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'); k++)
			;
		if (k == n)
			continue;
		sdb_json_release(&d);
		memset(&d, 0, sizeof(d));
		if ((rc = sdb_json_parse(&d, p, n, 0, e))) {
			if (rc == SDB_EPARSE)
				e->line = line;
			break;
		}
		if (sdb_json_type(&d, 0) != SDB_J_OBJECT) {
			rc = sdb_error_at(e, SDB_EPARSE, line, 1, "a record must be a JSON object");
			break;
		}
		scan_fields(&d, 0, &f, &b[4]);
		rc = one(g, &d, 0, 0, &f, f.from != 0, now, st, line, b, e);
	}
out:
	sdb_json_release(&d);
	for (int k = 0; k < 6; k++)
		sdb_buf_release(&b[k]);
	return rc;
}
