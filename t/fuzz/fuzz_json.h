/*
 * fuzz_json.h - helpers shared by the JSON/TOON fuzz targets: an equality
 * of two JSON values under the JSON data model (objects as key sets,
 * numbers by canonical text, strings by their unescaped bytes).
 */
#ifndef SDB_FUZZ_JSON_H
#define SDB_FUZZ_JSON_H

#include "json/json.h"
#include "util/num.h"

#include <stdlib.h>
#include <string.h>

static int fz_equal(const struct sdb_json_doc *a, size_t i, const struct sdb_json_doc *b, size_t j);

static int fz_str_eq(const struct sdb_json_doc *a, size_t i, const struct sdb_json_doc *b, size_t j)
{
	struct sdb_buf sa = SDB_BUF_INIT, sb = SDB_BUF_INIT;
	const char *p, *q;
	size_t n, m;
	int eq;

	sdb_json_str(a, i, &p, &n, &sa);
	sdb_json_str(b, j, &q, &m, &sb);
	eq = n == m && !memcmp(p, q, n);
	sdb_buf_release(&sa);
	sdb_buf_release(&sb);
	return eq;
}

static int fz_equal(const struct sdb_json_doc *a, size_t i, const struct sdb_json_doc *b, size_t j)
{
	int t = sdb_json_type(a, i);
	const char *p, *q;
	size_t n, m;

	if (t != sdb_json_type(b, j)) {
		/* a number too large for a double is null in the JSON model */
		int u = sdb_json_type(b, j);
		if ((t == SDB_J_NUMBER && u == SDB_J_NULL) || (t == SDB_J_NULL && u == SDB_J_NUMBER)) {
			struct sdb_buf x = SDB_BUF_INIT;
			int isnull;
			if (t == SDB_J_NUMBER)
				sdb_json_raw(a, i, &p, &n);
			else
				sdb_json_raw(b, j, &p, &n);
			sdb_num_canon(p, n, 0, &x);
			isnull = x.len == 4 && !memcmp(x.data, "null", 4);
			sdb_buf_release(&x);
			return isnull;
		}
		return 0;
	}
	switch (t) {
	case SDB_J_NUMBER: {
		struct sdb_buf x = SDB_BUF_INIT, y = SDB_BUF_INIT;
		int eq;
		sdb_json_raw(a, i, &p, &n);
		sdb_json_raw(b, j, &q, &m);
		sdb_num_canon(p, n, 0, &x);
		sdb_num_canon(q, m, 0, &y);
		eq = x.len == y.len && !memcmp(x.data, y.data, x.len);
		sdb_buf_release(&x);
		sdb_buf_release(&y);
		return eq;
	}
	case SDB_J_STRING:
		return fz_str_eq(a, i, b, j);
	case SDB_J_ARRAY: {
		size_t ea = (size_t)SDB_JT_END(a->tape[i]), eb = (size_t)SDB_JT_END(b->tape[j]);
		size_t x = i + 1, y = j + 1;
		for (; x < ea && y < eb; x = sdb_json_next(a, x), y = sdb_json_next(b, y))
			if (!fz_equal(a, x, b, y))
				return 0;
		return x == ea && y == eb;
	}
	case SDB_J_OBJECT: {
		size_t ea = (size_t)SDB_JT_END(a->tape[i]), eb = (size_t)SDB_JT_END(b->tape[j]);
		if (sdb_json_count(a, i) != sdb_json_count(b, j))
			return 0;
		for (size_t x = i + 1; x < ea; x = sdb_json_next(a, sdb_json_next(a, x))) {
			int found = 0;
			for (size_t y = j + 1; y < eb; y = sdb_json_next(b, sdb_json_next(b, y)))
				if (fz_str_eq(a, x, b, y)) {
					found = fz_equal(a, sdb_json_next(a, x), b, sdb_json_next(b, y));
					break;
				}
			if (!found)
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

#endif
