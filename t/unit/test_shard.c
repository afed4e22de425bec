/* test_shard.c - unit tests for lib/vec/shard: --shard parsing, the row
 * ranges (cover every row once, as the floor formula says), the top-k
 * merge (order and ties) against a sort of the union, the checks of a
 * set of index files. */
#include "unit.h"
#include "vec/distance.h"
#include "vec/shard.h"

static void test_parse(void)
{
	static const char *const bad[] = {
		"", "1", "/", "1/", "/4", "4/4", "5/4", "0/0", "-1/4", "+1/4", "1/-4", " 1/4",
		"1/4 ", "1/4/2", "0x1/4", "a/b", "1.0/4", "1/1048577", "99999999999999999999/4",
	};
	struct sdb_error e;
	uint32_t i, n;

	sdb_error_clear(&e);
	CHECK_EQ_INT(sdb_shard_parse("0/1", &i, &n, &e), 0);
	CHECK_EQ_INT(i, 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(sdb_shard_parse("3/4", &i, &n, &e), 0);
	CHECK_EQ_INT(i, 3);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(sdb_shard_parse("007/010", &i, &n, &e), 0);
	CHECK_EQ_INT(i, 7);
	CHECK_EQ_INT(n, 10);
	CHECK_EQ_INT(sdb_shard_parse("1048575/1048576", &i, &n, &e), 0);
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		i = n = 99;
		CHECK_EQ_INT(sdb_shard_parse(bad[b], &i, &n, &e), SDB_EINVAL);
		CHECK(!strncmp(e.msg, "invalid --shard '", 17));
		CHECK_EQ_INT(i, 99);
	}
	sdb_shard_parse("4/4", &i, &n, &e);
	CHECK_EQ_STR(e.msg, "invalid --shard '4/4' (shard numbers run from 0 to 3)");
	sdb_shard_parse("0/0", &i, &n, &e);
	CHECK_EQ_STR(e.msg, "invalid --shard '0/0' (the shard count must be at least 1)");
	sdb_shard_parse("x", &i, &n, &e);
	CHECK_EQ_STR(e.msg, "invalid --shard 'x' (expected I/N with 0 <= I < N)");
}

static void test_range(void)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 100, 20000, 1000003, 10000000000ull };
	static const uint32_t counts[] = { 1, 2, 3, 4, 7, 16, 1000 };

	for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (size_t b = 0; b < sizeof(counts) / sizeof(counts[0]); b++) {
			uint64_t n = ns[a], at = 0, first, end;
			uint32_t c = counts[b];
			int gaps = 0;
			for (uint32_t i = 0; i < c; i++) {
				sdb_shard_range(n, i, c, &first, &end);
				gaps += first != at || end < first;
				/* floor(i*n/c) in exact arithmetic, for small n */
				if (n < (1u << 20))
					gaps += first != n * i / c || end != n * (i + 1) / c;
				at = end;
			}
			CHECK_EQ_INT(gaps, 0);
			CHECK_EQ_INT(at, n);
		}
}

static int ref_cmp(const void *pa, const void *pb)
{
	const struct sdb_knn_hit *a = pa, *b = pb;

	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return (int)a->src - (int)b->src;
}

static void test_merge(void)
{
	struct sdb_knn_hit h[64], r[64];
	int bad = 0;

	/* distances drawn from 4 values: many ties, broken by id then source */
	for (int round = 0; round < 200; round++) {
		size_t n = unit_rnd() % 64;
		uint32_t k = (uint32_t)(unit_rnd() % 20) + 1, got;
		for (size_t i = 0; i < n; i++) {
			h[i].dist = (float)(unit_rnd() % 4) * 0.5f;
			h[i].id = unit_rnd() % 8;
			h[i].src = (uint32_t)(unit_rnd() % 3);
		}
		memcpy(r, h, sizeof(h));
		qsort(r, n, sizeof(r[0]), ref_cmp);
		got = sdb_knn_merge(h, n, k);
		bad += got != (n < k ? n : k);
		for (uint32_t i = 0; i < got; i++)
			bad += h[i].dist != r[i].dist || h[i].id != r[i].id || h[i].src != r[i].src;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(sdb_knn_merge(h, 0, 10), 0);
}

/* A header-only index as the reader fills it. */
static void fake(struct sdb_index *x, const char *name, uint64_t n, uint32_t dim, int metric,
		 uint32_t si, uint32_t sc, uint64_t rows, uint32_t crc)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->g.n = n;
	x->g.dim = dim;
	x->g.metric = metric;
	x->meta.shard_index = si;
	x->meta.shard_count = sc;
	x->meta.input_rows = rows;
	x->meta.first_row = rows * si / sc;
	x->meta.input_crc = crc;
	x->shard_recorded = 1;
}

static void test_check_set(void)
{
	struct sdb_index x[4];
	struct sdb_error e;

	sdb_error_clear(&e);
	for (uint32_t i = 0; i < 4; i++)
		fake(&x[i], "s.idx", 25, 8, SDB_VEC_L2, i, 4, 100, 7);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), 0);
	CHECK_EQ_INT(sdb_shard_check_set(x, 1, &e), 0);
	/* the same shard twice */
	fake(&x[3], "t.idx", 25, 8, SDB_VEC_L2, 1, 4, 100, 7);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "'s.idx' (shard 1/4, rows 25..49) and 't.idx' (shard 1/4, rows 25..49) "
		     "overlap: both index rows of the same input");
	/* a half of another split overlapping two quarters */
	fake(&x[3], "h.idx", 50, 8, SDB_VEC_L2, 1, 2, 100, 7);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), SDB_EINVAL);
	/* another input (fingerprint or row count) is not an overlap */
	fake(&x[3], "o.idx", 25, 8, SDB_VEC_L2, 1, 4, 100, 8);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), 0);
	fake(&x[3], "o.idx", 25, 8, SDB_VEC_L2, 1, 4, 101, 7);
	x[3].g.n = 25;
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), 0);
	/* dimension, metric */
	fake(&x[3], "d.idx", 25, 16, SDB_VEC_L2, 3, 4, 100, 7);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "'d.idx' has dimension 16, 's.idx' has dimension 8: shards must match");
	fake(&x[3], "m.idx", 25, 8, SDB_VEC_IP, 3, 4, 100, 7);
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "'m.idx' has metric ip, 's.idx' has metric l2: shards must match");
	/* files without the shard fields are never called overlapping */
	fake(&x[3], "old.idx", 25, 8, SDB_VEC_L2, 0, 1, 25, 0);
	x[3].shard_recorded = 0;
	fake(&x[2], "old2.idx", 25, 8, SDB_VEC_L2, 0, 1, 25, 0);
	x[2].shard_recorded = 0;
	CHECK_EQ_INT(sdb_shard_check_set(x, 4, &e), 0);
}

int main(void)
{
	test_parse();
	test_range();
	test_merge();
	test_check_set();
	return unit_done("test_shard");
}
