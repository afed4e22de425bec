/*
 * compact.c - SochDB's compact one-line table form, as its docs show
 * it: users[2]{name,email}:Alice,alice@example.com;Bob,bob@example.com
 *
 * This is NOT TOON (a strict TOON decoder rejects it: a tabular header
 * takes no values after its colon); it is a separate mode with its own
 * rules:
 *   document  = table *( LF table )         one line per table
 *   table     = [ name ] "[" N "]" [ "{" field *( "," field ) "}" ] ":" rows
 *   rows      = row *( ";" row )            exactly N rows, none when N = 0
 *   row       = cell *( "," cell )          one cell per field
 * A cell is null, true, false, a JSON number, a bare string, or a JSON
 * string literal ("..." with JSON escapes). Bare strings may not be empty,
 * have leading/trailing white space, contain , ; " \ : or control
 * characters, or look like null/true/false/a number - those are quoted.
 * Names and fields follow TOON key rules (bare if [A-Za-z_][A-Za-z0-9_.]*).
 * Input to encode: an array of objects with the same keys and primitive
 * values (the unnamed form), or an object whose values all are such arrays.
 */
#include "toon/toon.h"
#include "util/array.h"
#include "util/num.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bare_key(const char *p, size_t n)
{
	if (n == 0 || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z') || p[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int bare_cell(const char *p, size_t n)
{
	if (n == 0 || sdb_js_space_prefix(p, n) || sdb_js_space_suffix(p, n))
		return 0;
	if ((n == 4 && (!memcmp(p, "null", 4) || !memcmp(p, "true", 4))) ||
	    (n == 5 && !memcmp(p, "false", 5)) || sdb_num_syntax(p, n, 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == ',' || c == ';' || c == '"' || c == '\\' || c == ':')
			return 0;
	}
	return 1;
}

static void add_name(struct sdb_buf *out, const char *p, size_t n)
{
	if (bare_key(p, n))
		sdb_buf_add(out, p, n);
	else
		sdb_json_quote(out, p, n);
}

/* Writes one table (array at index a) after its name. */
static int compact_table(const struct sdb_json_doc *d, size_t a, struct sdb_buf *out,
			 struct sdb_error *e)
{
	size_t end = (size_t)SDB_JT_END(d->tape[a]), first = a + 1, nf = 0, nrows;
	struct sdb_buf s1 = SDB_BUF_INIT, s2 = SDB_BUF_INIT;
	const char *p, *q;
	size_t n, m;
	int rc = 0;

	if (sdb_json_type(d, a) != SDB_J_ARRAY)
		return sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs arrays of objects");
	nrows = sdb_json_count(d, a);
	sdb_buf_addf(out, "[%zu]", nrows);
	if (nrows == 0) {
		sdb_buf_addc(out, ':');
		return 0;
	}
	if (sdb_json_type(d, first) != SDB_J_OBJECT)
		return sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs arrays of objects");
	nf = sdb_json_count(d, first);
	sdb_buf_addc(out, '{');
	for (size_t k = first + 1, f = 0; f < nf; f++) {
		if (f)
			sdb_buf_addc(out, ',');
		sdb_json_str(d, k, &p, &n, &s1);
		add_name(out, p, n);
		k = sdb_json_next(d, sdb_json_next(d, k));
	}
	sdb_buf_add(out, "}:", 2);
	for (size_t r = first, row = 1; r < end && !rc; r = sdb_json_next(d, r), row++) {
		if (r != first)
			sdb_buf_addc(out, ';');
		if (sdb_json_type(d, r) != SDB_J_OBJECT || sdb_json_count(d, r) != nf) {
			rc = sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs objects with the same keys");
			break;
		}
		/* cells in the first row's key order */
		for (size_t fk = first + 1, f = 0; f < nf && !rc; f++) {
			size_t k, v = 0;
			int found = 0;
			sdb_json_str(d, fk, &p, &n, &s1);
			for (k = r + 1; k < (size_t)SDB_JT_END(d->tape[r]); k = sdb_json_next(d, sdb_json_next(d, k))) {
				sdb_json_str(d, k, &q, &m, &s2);
				if (m == n && !memcmp(p, q, n)) {
					v = sdb_json_next(d, k);
					found = 1;
					break;
				}
			}
			if (!found) {
				rc = sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs objects with the same keys");
				break;
			}
			if (f)
				sdb_buf_addc(out, ',');
			switch (sdb_json_type(d, v)) {
			case SDB_J_NULL: sdb_buf_add(out, "null", 4); break;
			case SDB_J_TRUE: sdb_buf_add(out, "true", 4); break;
			case SDB_J_FALSE: sdb_buf_add(out, "false", 5); break;
			case SDB_J_NUMBER:
				sdb_json_num(d, v, 0, out);
				break;
			case SDB_J_STRING:
				sdb_json_str(d, v, &q, &m, &s2);
				if (bare_cell(q, m))
					sdb_buf_add(out, q, m);
				else
					sdb_json_quote(out, q, m);
				break;
			default:
				rc = sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs primitive values (nested value in row %zu)",
						   row);
			}
			fk = sdb_json_next(d, sdb_json_next(d, fk));
		}
	}
	/* a failed unescape left a key or cell as escaped in the source */
	if (!rc && (!sdb_buf_ok(&s1) || !sdb_buf_ok(&s2)))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_release(&s1);
	sdb_buf_release(&s2);
	return rc;
}

int sdb_toon_compact_encode(const char *src, size_t len, struct sdb_buf *out,
			    struct sdb_error *e)
{
	struct sdb_json_doc d;
	struct sdb_buf s = SDB_BUF_INIT;
	int rc = sdb_json_parse(&d, src, len, 0, e);

	if (rc)
		return rc;
	if (d.has_dups)
		rc = sdb_error_set(e, SDB_EUNSUPPORTED, "compact form does not take duplicate keys");
	else if (sdb_json_type(&d, 0) == SDB_J_ARRAY)
		rc = compact_table(&d, 0, out, e);
	else if (sdb_json_type(&d, 0) == SDB_J_OBJECT) {
		size_t end = (size_t)SDB_JT_END(d.tape[0]);
		for (size_t k = 1; k < end && !rc; k = sdb_json_next(&d, sdb_json_next(&d, k))) {
			const char *p;
			size_t n;
			if (k > 1)
				sdb_buf_addc(out, '\n');
			sdb_json_str(&d, k, &p, &n, &s);
			add_name(out, p, n);
			rc = compact_table(&d, sdb_json_next(&d, k), out, e);
		}
	} else
		rc = sdb_error_set(e, SDB_EUNSUPPORTED, "compact form needs a table or an object of tables");
	if (!rc && (!sdb_buf_ok(&s) || !sdb_buf_ok(out)))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_release(&s);
	sdb_json_release(&d);
	return rc;
}

/* ---- decode ---- */

struct cdec {
	const char *s;
	size_t n, i;
	struct sdb_error *e;
};

static int cfail(struct cdec *c, const char *msg)
{
	long line, col;

	sdb_text_position(c->s, c->i, &line, &col);
	return sdb_error_at(c->e, SDB_EPARSE, line, col, "%s", msg);
}

/* A JSON string literal at c->i: validated through the JSON parser. */
static int cstring(struct cdec *c, struct sdb_buf *out, int as_json)
{
	size_t j = c->i + 1;
	struct sdb_json_doc d;
	struct sdb_error e2;
	int rc;

	while (j < c->n && c->s[j] != '"' && c->s[j] != '\n') {
		if (c->s[j] == '\\')
			j++;
		j++;
	}
	if (j >= c->n || c->s[j] != '"')
		return cfail(c, "unterminated string");
	rc = sdb_json_parse(&d, c->s + c->i, j + 1 - c->i, 0, &e2);
	if (rc && rc != SDB_EPARSE)
		return sdb_error_set(c->e, rc, "%s", e2.msg);
	if (rc) {
		c->i += (size_t)(e2.column > 0 ? e2.column - 1 : 0);
		return cfail(c, e2.msg);
	}
	if (as_json)
		sdb_json_write(&d, 0, 0, 0, out);
	else {
		struct sdb_buf tmp = SDB_BUF_INIT;
		const char *p;
		size_t n;
		if (sdb_json_str(&d, 0, &p, &n, &tmp))
			out->oom = 1;
		else
			sdb_buf_add(out, p, n);
		sdb_buf_release(&tmp);
	}
	sdb_json_release(&d);
	c->i = j + 1;
	return 0;
}

static int cname(struct cdec *c, struct sdb_buf *name, const char *stops)
{
	size_t st = c->i;

	sdb_buf_reset(name);
	if (c->i < c->n && c->s[c->i] == '"')
		return cstring(c, name, 0);
	while (c->i < c->n && !strchr(stops, c->s[c->i]) && c->s[c->i] != '\n')
		c->i++;
	if (!bare_key(c->s + st, c->i - st)) {
		c->i = st;
		return cfail(c, "invalid name (quote it)");
	}
	sdb_buf_add(name, c->s + st, c->i - st);
	return 0;
}

int sdb_toon_compact_decode(const char *src, size_t len, struct sdb_buf *out,
			    struct sdb_error *e)
{
	struct cdec c = { src, len, 0, e };
	struct sdb_buf name = SDB_BUF_INIT, *fields = NULL;
	size_t nf = 0, fcap = 0, ntables = 0;
	int rc = 0, unnamed = 0;

	if (sdb_utf8_check(src, len)) {
		c.i = sdb_utf8_check(src, len) - 1;
		return cfail(&c, "invalid UTF-8");
	}
	while (len > 0 && (src[len - 1] == '\n'))
		c.n = --len;
	if (len == 0) {
		c.i = 0;
		return cfail(&c, "empty input");
	}
	while (c.i < c.n && !rc) {
		size_t rows = 0, want = 0, digits = 0;
		int has_name = c.s[c.i] != '[';
		if (ntables && (unnamed || !has_name)) {
			rc = cfail(&c, "an unnamed table must be the only one");
			break;
		}
		if (has_name && (rc = cname(&c, &name, "[")))
			break;
		if (!has_name)
			unnamed = 1;
		sdb_buf_addc(out, ntables ? ',' : unnamed ? '[' : '{');
		if (has_name) {
			sdb_json_quote(out, name.data ? name.data : "", name.len);
			sdb_buf_add(out, ":[", 2);
		}
		if (c.i >= c.n || c.s[c.i] != '[') {
			rc = cfail(&c, "expected '['");
			break;
		}
		c.i++;
		while (c.i < c.n && c.s[c.i] >= '0' && c.s[c.i] <= '9' && digits < 15) {
			want = want * 10 + (size_t)(c.s[c.i++] - '0');
			digits++;
		}
		if (!digits || c.i >= c.n || c.s[c.i] != ']') {
			rc = cfail(&c, "expected a row count and ']'");
			break;
		}
		c.i++;
		nf = 0;
		if (c.i < c.n && c.s[c.i] == '{') {
			c.i++;
			for (;;) {
				if (nf == fcap) {
					size_t old = fcap;
					if (sdb_grow((void **)&fields, &fcap, nf + 1, sizeof(*fields), 16)) {
						rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
						break;
					}
					for (size_t k = old; k < fcap; k++)
						sdb_buf_init(&fields[k]);
				}
				if ((rc = cname(&c, &fields[nf], ",}")))
					break;
				nf++;
				if (c.i < c.n && c.s[c.i] == ',') {
					c.i++;
					continue;
				}
				if (c.i < c.n && c.s[c.i] == '}') {
					c.i++;
					break;
				}
				rc = cfail(&c, "expected ',' or '}' in the field list");
				break;
			}
			if (rc)
				break;
		}
		if (c.i >= c.n || c.s[c.i] != ':') {
			rc = cfail(&c, "expected ':'");
			break;
		}
		c.i++;
		if (want > 0 && nf == 0) {
			rc = cfail(&c, "rows need a field list");
			break;
		}
		while (!rc && want > 0 && c.i <= c.n) {
			sdb_buf_addc(out, rows ? ',' : '{');
			if (rows)
				sdb_buf_addc(out, '{');
			for (size_t f = 0; f < nf; f++) {
				size_t st;
				if (f) {
					if (c.i >= c.n || c.s[c.i] != ',') {
						rc = cfail(&c, "row has fewer cells than fields");
						break;
					}
					c.i++;
					sdb_buf_addc(out, ',');
				}
				sdb_json_quote(out, fields[f].data ? fields[f].data : "", fields[f].len);
				sdb_buf_addc(out, ':');
				if (c.i < c.n && c.s[c.i] == '"') {
					if ((rc = cstring(&c, out, 1)))
						break;
					continue;
				}
				st = c.i;
				while (c.i < c.n && c.s[c.i] != ',' && c.s[c.i] != ';' && c.s[c.i] != '\n')
					c.i++;
				{
					const char *p = c.s + st;
					size_t n = c.i - st;
					if ((n == 4 && (!memcmp(p, "null", 4) || !memcmp(p, "true", 4))) ||
					    (n == 5 && !memcmp(p, "false", 5)))
						sdb_buf_add(out, p, n);
					else if (sdb_num_syntax(p, n, 0))
						sdb_num_canon(p, n, 0, out);
					else if (bare_cell(p, n))
						sdb_json_quote(out, p, n);
					else {
						c.i = st;
						rc = cfail(&c, "invalid cell (quote it)");
						break;
					}
				}
			}
			if (rc)
				break;
			sdb_buf_addc(out, '}');
			rows++;
			if (c.i < c.n && c.s[c.i] == ';') {
				c.i++;
				continue;
			}
			if (c.i < c.n && c.s[c.i] == ',') {
				rc = cfail(&c, "row has more cells than fields");
				break;
			}
			break;
		}
		if (rc)
			break;
		if (rows != want) {
			rc = cfail(&c, rows < want ? "fewer rows than the declared count" : "more rows than the declared count");
			break;
		}
		if (!rows && want == 0 && c.i < c.n && c.s[c.i] != '\n') {
			rc = cfail(&c, "a table of 0 rows has no rows");
			break;
		}
		sdb_buf_addc(out, ']');
		ntables++;
		if (c.i < c.n) {
			if (c.s[c.i] != '\n') {
				rc = cfail(&c, c.s[c.i] == ';' ? "more rows than the declared count" : "unexpected character after the table");
				break;
			}
			c.i++;
		}
	}
	if (!rc && !unnamed)
		sdb_buf_addc(out, '}');
	if (!sdb_buf_ok(&name))
		out->oom = 1;
	for (size_t k = 0; k < fcap; k++) {
		if (!sdb_buf_ok(&fields[k]))
			out->oom = 1; /* a name lost its bytes */
		sdb_buf_release(&fields[k]);
	}
	sdb_buf_release(&name);
	free(fields);
	if (!rc && !sdb_buf_ok(out))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return rc;
}
