/* test_vec.c - unit tests for lib/vec: npy header parser, crc32c,
 * distance kernels against a double-precision reference, HNSW build and
 * search on small data, exact k-NN, the index file in memory. */
#include "unit.h"
#include "util/crc32c.h"
#include "vec/distance.h"
#include "vec/flat.h"
#include "vec/hnsw.h"
#include "vec/hnswfile.h"
#include "vec/order.h"
#include "vec/vecio.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_npy_header(void)
{
	struct sdb_npy_header h;
	struct sdb_error e;
	static const char ok[] = "\x93NUMPY\x01\x00\x46\x00"
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n";
	static const char v2[] = "\x93NUMPY\x02\x00\x32\x00\x00\x00"
		"{'descr':'<f8','fortran_order':True,'shape':(7,)}\n";
	static const char bad_dict[] = "\x93NUMPY\x01\x00\x20\x00"
		"{'descr': <f4, 'shape': (3,4)} \n";

	sdb_error_clear(&e);
	CHECK_EQ_INT(sdb_npy_parse_header(ok, sizeof(ok) - 1, &h, &e), 0);
	CHECK_EQ_STR(h.descr, "<f4");
	CHECK_EQ_INT(h.ndim, 2);
	CHECK_EQ_INT(h.shape[0], 3);
	CHECK_EQ_INT(h.shape[1], 4);
	CHECK_EQ_INT(h.fortran, 0);
	CHECK_EQ_INT(h.data_offset, 10 + 0x46);
	CHECK_EQ_INT(sdb_npy_parse_header(v2, sizeof(v2) - 1, &h, &e), 0);
	CHECK_EQ_INT(h.major, 2);
	CHECK_EQ_INT(h.fortran, 1);
	CHECK_EQ_INT(h.ndim, 1);
	CHECK_EQ_INT(h.shape[0], 7);
	CHECK_EQ_INT(sdb_npy_parse_header(ok, 30, &h, &e), SDB_EPARSE);
	CHECK_EQ_STR(e.msg, "truncated npy header (70 header bytes announced, 20 present)");
	CHECK_EQ_INT(sdb_npy_parse_header("NUMPY", 5, &h, &e), SDB_EPARSE);
	CHECK_EQ_STR(e.msg, "not an npy file (bad magic)");
	CHECK_EQ_INT(sdb_npy_parse_header(bad_dict, sizeof(bad_dict) - 1, &h, &e), SDB_EPARSE);
	CHECK_EQ_STR(e.msg, "malformed npy header at byte 20: expected a quoted string");
	CHECK_EQ_INT(sdb_npy_parse_header("\x93NUMPY\x09\x00\x00\x00", 10, &h, &e), SDB_EUNSUPPORTED);
}

static void test_crc(void)
{
	CHECK_EQ_INT(sdb_crc32c_extend(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ_INT(sdb_crc32c_extend(sdb_crc32c_extend(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_kernels(void)
{
	const struct sdb_vec_kernels *k = sdb_vec_kernels();
	float a[300], b[300];
	int bad = 0;

	for (int i = 0; i < 300; i++) {
		a[i] = (float)sin(i * 0.37) * 3;
		b[i] = (float)cos(i * 0.11);
	}
	for (size_t d = 0; d <= 300; d += (d < 40 ? 1 : 13)) {
		double l2 = 0, dot = 0;
		for (size_t i = 0; i < d; i++) {
			l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
			dot += (double)a[i] * b[i];
		}
		if (fabs(k->l2sq(a, b, d) - l2) > 1e-3 * (1 + l2) ||
		    fabs(k->dot(a, b, d) - dot) > 1e-3 * (1 + fabs(dot)))
			bad++;
		if (fabs(sdb_vec_metric_fn(SDB_VEC_IP)(a, b, d) - (1 - dot)) > 1e-3 * (1 + fabs(dot)))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* the block kernel: a against nb consecutive rows of d values (the
	 * tails of both: nb not a multiple of 4, d not of 8) */
	for (size_t d = 1; d <= 40; d += 3)
		for (size_t nb = 0; nb <= 300 / d && nb <= 9; nb++) {
			float out[10];
			k->dots(a, b, nb, d, out);
			for (size_t j = 0; j < nb; j++) {
				double dot = 0;
				for (size_t i = 0; i < d; i++)
					dot += (double)a[i] * b[j * d + i];
				if (fabs(out[j] - dot) > 1e-3 * (1 + fabs(dot)))
					bad++;
			}
		}
	CHECK_EQ_INT(bad, 0);
	{
		float v[3] = { 3, 0, 4 };
		sdb_vec_normalize(v, 3);
		CHECK(fabsf(v[0] - 0.6f) < 1e-6f && fabsf(v[2] - 0.8f) < 1e-6f);
	}
	CHECK_EQ_INT(sdb_vec_metric_parse("cosine"), SDB_VEC_COSINE);
	CHECK_EQ_INT(sdb_vec_metric_parse("dot"), -1);
}

/* The bf16 kernels of the chosen tier (rows padded to 32 values) against
 * a double-precision reference over the rounded values. */
static void test_bf16_kernels(void)
{
	uint16_t a[320], b[320];
	float fa[320], fb[320];
	int bad = 0;

	for (int i = 0; i < 300; i++) {
		fa[i] = (float)sin(i * 0.37) * 3;
		fb[i] = (float)cos(i * 0.11);
	}
	for (size_t d = 1; d <= 300; d += (d < 40 ? 1 : 13)) {
		size_t pd = (d + 31) & ~(size_t)31;
		double l2 = 0, dot = 0;
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		sdb_vec_to_bf16(a, fa, d);
		sdb_vec_to_bf16(b, fb, d);
		for (size_t i = 0; i < d; i++) {
			uint32_t ua = (uint32_t)a[i] << 16, ub = (uint32_t)b[i] << 16;
			float x, y;
			memcpy(&x, &ua, 4);
			memcpy(&y, &ub, 4);
			/* rounding to bf16 moves a value by at most 2^-8 of it */
			bad += fabsf(x - fa[i]) > fabsf(fa[i]) / 256 || fabsf(y - fb[i]) > fabsf(fb[i]) / 256;
			l2 += ((double)x - y) * ((double)x - y);
			dot += (double)x * y;
		}
		if (fabs(sdb_vec_bf16_metric_fn(SDB_VEC_L2)((const float *)(const void *)a,
							  (const float *)(const void *)b, pd) - l2) >
		    1e-3 * (1 + l2))
			bad++;
		if (fabs(sdb_vec_bf16_metric_fn(SDB_VEC_IP)((const float *)(const void *)a,
							  (const float *)(const void *)b, pd) - (1 - dot)) >
		    1e-2 * (1 + fabs(dot)))
			bad++;
		/* the float32 query against the bf16 row: the query unrounded,
		 * laid out for the kernel (its padding zero) */
		float q[352];
		double ql2 = 0, qdot = 0;
		for (size_t i = 0; i < pd + 4; i++)
			q[i] = 99; /* beyond pd: must not be read or written */
		sdb_vec_bf16q_prep(q, fa, d, pd);
		bad += q[pd] != 99;
		for (size_t i = 0; i < d; i++) {
			uint32_t ub = (uint32_t)b[i] << 16;
			float y;
			memcpy(&y, &ub, 4);
			ql2 += ((double)fa[i] - y) * ((double)fa[i] - y);
			qdot += (double)fa[i] * y;
		}
		if (fabs(sdb_vec_bf16q_metric_fn(SDB_VEC_L2)(q, (const float *)(const void *)b, pd) - ql2) >
		    1e-4 * (1 + ql2))
			bad++;
		if (fabs(sdb_vec_bf16q_metric_fn(SDB_VEC_IP)(q, (const float *)(const void *)b, pd) -
			 (1 - qdot)) > 1e-4 * (1 + fabs(qdot)))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_hnsw(void)
{
	enum { N = 2000, D = 8, Q = 50, K = 5 };
	float *x = malloc(sizeof(float) * N * D);
	struct sdb_hnsw_params p = { 8, 64, SDB_VEC_L2, 7, 100, 1, SDB_PREC_F32,
				       SDB_INSERT_INPUT };
	struct sdb_hnsw *h = NULL;
	struct sdb_hnsw_ctx *c;
	struct sdb_error e;
	uint32_t ids[K], tid[K];
	float d[K], td[K];
	int hits = 0;
	uint64_t s = 12345;

	for (int i = 0; i < N * D; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		x[i] = (float)((s >> 33) % 1000) / 100.0f;
	}
	CHECK_EQ_INT(sdb_hnsw_build(x, N, D, &p, NULL, NULL, &h, &e), 0);
	c = sdb_hnsw_ctx_new(N, 16);
	for (int q = 0; q < Q; q++) {
		const float *qv = x + (size_t)(q * 37) * D;
		uint32_t n = sdb_hnsw_search(&h->g, c, qv, K, 32, ids, d);
		CHECK_EQ_INT(n, K);
		CHECK_EQ_INT(ids[0], q * 37); /* a stored vector finds itself */
		CHECK(d[0] == 0);
		sdb_vec_exact_knn(x, N, D, SDB_VEC_L2, qv, K, tid, td);
		for (int i = 0; i < K; i++)
			for (int j = 0; j < K; j++)
				hits += ids[i] == tid[j];
		for (int i = 1; i < K; i++)
			CHECK(d[i - 1] <= d[i] && td[i - 1] <= td[i]);
	}
	CHECK(hits >= Q * K * 95 / 100);
	/* every layer-0 list is within its capacity and has no self-loop */
	{
		int badlist = 0;
		for (uint32_t i = 0; i < N; i++) {
			const uint32_t *l = h->g.links0 + (size_t)i * (h->g.M0 + 1);
			if (l[0] > h->g.M0 || l[0] == 0)
				badlist++;
			for (uint32_t j = 0; j < l[0]; j++)
				badlist += l[1 + j] == i || l[1 + j] >= N;
		}
		CHECK_EQ_INT(badlist, 0);
	}
	/* the index file round trip, read back from memory */
	{
		char path[] = "/tmp/test_vec_XXXXXX";
		int fd = mkstemp(path);
		struct sdb_index_meta meta = { .ef_construction = 64, .seed = 7, .batch_size = 100,
					       .threads = 1, .precision = 1, .shard_index = 2,
					       .shard_count = 3, .input_rows = 3 * N,
					       .first_row = 2 * N, .input_crc = 0xfeedu };
		struct sdb_input in;
		struct sdb_index ix;
		uint64_t bytes;
		close(fd);
		CHECK_EQ_INT(sdb_index_write(path, h, NULL, NULL, &meta, &bytes, &e), 0);
		CHECK_EQ_INT(sdb_input_open(&in, path, &e), 0);
		CHECK_EQ_INT(in.len, bytes);
		CHECK_EQ_INT(sdb_index_from_memory(&ix, in.data, in.len, "mem", &e), 0);
		CHECK_EQ_INT(sdb_index_verify(&ix, &e), 0);
		CHECK_EQ_INT(ix.g.n, N);
		/* the shard fields come back (shard 2/3 of 3N rows holds N) */
		CHECK_EQ_INT(ix.shard_recorded, 1);
		CHECK_EQ_INT(ix.meta.shard_index, 2);
		CHECK_EQ_INT(ix.meta.shard_count, 3);
		CHECK_EQ_INT(ix.meta.input_rows, 3 * N);
		CHECK_EQ_INT(ix.meta.first_row, 2 * N);
		CHECK_EQ_INT(ix.meta.input_crc, 0xfeedu);
		CHECK_EQ_INT(sdb_hnsw_search(&ix.g, c, x, K, 32, ids, d), K);
		CHECK_EQ_INT(ids[0], 0);
		sdb_index_close(&ix);
		sdb_input_close(&in);
		/* a file written before shards (fields 320..347 zero) reads as
		 * the whole of an input of n rows; a header that names rows its
		 * n does not hold is inconsistent */
		memset(&meta.shard_index, 0, sizeof(uint32_t) * 2);
		meta.input_rows = meta.first_row = 0;
		meta.input_crc = 0;
		CHECK_EQ_INT(sdb_index_write(path, h, NULL, NULL, &meta, &bytes, &e), 0);
		CHECK_EQ_INT(sdb_index_open(&ix, path, &e), 0);
		CHECK_EQ_INT(ix.shard_recorded, 0);
		CHECK_EQ_INT(ix.meta.shard_index, 0);
		CHECK_EQ_INT(ix.meta.shard_count, 1);
		CHECK_EQ_INT(ix.meta.input_rows, N);
		CHECK_EQ_INT(ix.meta.first_row, 0);
		sdb_index_close(&ix);
		meta.shard_count = 2;
		meta.input_rows = 3 * N;
		meta.first_row = 0;
		CHECK_EQ_INT(sdb_index_write(path, h, NULL, NULL, &meta, &bytes, &e), 0);
		CHECK_EQ_INT(sdb_index_open(&ix, path, &e), SDB_ECORRUPT);
		meta.shard_count = 0;
		CHECK_EQ_INT(sdb_index_write(path, h, NULL, NULL, &meta, &bytes, &e), 0);
		CHECK_EQ_INT(sdb_index_open(&ix, path, &e), SDB_ECORRUPT);
		/* a float32 build asked for the bf16 search copy: section 6
		 * holds each row rounded, zero padded to 32 values; the
		 * search walks it and returns float32 distances */
		{
			uint64_t plain = bytes;
			uint32_t pd = (D + 31) & ~31u;
			uint16_t row[64];
			meta.shard_count = 1;
			meta.input_rows = N;
			meta.search_bf16 = 1;
			CHECK_EQ_INT(sdb_index_write(path, h, NULL, NULL, &meta, &bytes, &e), 0);
			CHECK(bytes >= plain + (uint64_t)N * pd * 2);
			CHECK_EQ_INT(sdb_index_open(&ix, path, &e), 0);
			CHECK_EQ_INT(sdb_index_verify(&ix, &e), 0);
			CHECK(ix.g.vecs_bf16 != NULL);
			CHECK_EQ_INT(ix.g.bf16_dim, pd);
			memset(row, 0, sizeof(row));
			sdb_vec_to_bf16(row, x + 5 * D, D);
			CHECK(!memcmp(row, ix.g.vecs_bf16 + 5 * pd, pd * 2));
			CHECK_EQ_INT(sdb_hnsw_search(&ix.g, c, x + 5 * D, K, 32, ids, d), K);
			CHECK_EQ_INT(ids[0], 5);
			CHECK(d[0] == 0.0f);
			for (int r = 1; r < K; r++)
				CHECK(d[r] >= d[r - 1] && d[r] == sdb_vec_metric_fn(SDB_VEC_L2)(x + 5 * D, x + (size_t)ids[r] * D, D));
			sdb_index_close(&ix);
		}
		unlink(path);
	}
	sdb_hnsw_free(h);
	CHECK_EQ_INT(sdb_hnsw_build(x, N, D, &(struct sdb_hnsw_params){ 1, 10, 0, 1, 10, 1, 0, 0 },
				    NULL, NULL, &h, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "max-connections must be in 2..255 (got 1)");
	sdb_hnsw_ctx_free(c);
	free(x);
}

/* Nodes reachable from the entry point on layer 0 (breadth first). */
static uint64_t reach_count(const struct sdb_hnsw_graph *g)
{
	uint8_t *seen = calloc(g->n, 1);
	uint32_t *q = malloc(g->n * sizeof(uint32_t));
	uint64_t head = 0, tail = 0;

	seen[g->entry] = 1;
	q[tail++] = g->entry;
	while (head < tail) {
		const uint32_t *l = g->links0 + (size_t)q[head++] * (g->M0 + 1);
		for (uint32_t i = 0; i < l[0]; i++)
			if (!seen[l[1 + i]]) {
				seen[l[1 + i]] = 1;
				q[tail++] = l[1 + i];
			}
	}
	free(seen);
	free(q);
	return tail;
}

/*
 * B9: small graphs (identical vectors, duplicates, tight clusters, random
 * points; one and two threads) have every node reachable from the entry
 * point, and a search for k = n finds every node from every query.
 */
static void test_hnsw_reach(void)
{
	enum { D = 4, NMAX = 50 };
	static const uint32_t sizes[] = { 2, 3, 5, 8, 13, 20, 33, 50 };
	static const uint32_t ms[] = { 2, 3, 4, 8 };
	float *x = malloc(NMAX * D * sizeof(float));
	uint32_t ids[NMAX], *hit = malloc(NMAX * sizeof(uint32_t));
	float d[NMAX];
	int unreached = 0, short_rows = 0, missing = 0, graphs = 0;
	uint64_t relinked = 0;

	for (int kind = 0; kind < 4; kind++)
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
			for (size_t mi = 0; mi < sizeof(ms) / sizeof(ms[0]); mi++)
				for (uint64_t seed = 1; seed <= 3; seed++) {
					uint32_t n = sizes[si];
					uint64_t s = seed * 7919 + n;
					struct sdb_hnsw_params p = { ms[mi], 10, SDB_VEC_L2, seed, 1000,
								     (int)(seed % 2) + 1, SDB_PREC_F32,
								     /* the local order on every shape too */
								     seed % 3 ? SDB_INSERT_INPUT : SDB_INSERT_LOCAL };
					struct sdb_hnsw *h;
					struct sdb_hnsw_ctx *c;
					struct sdb_error e;

					for (uint32_t i = 0; i < n * D; i++) {
						uint32_t row = i / D, src = row;
						s = s * 6364136223846793005ull + 1442695040888963407ull;
						if (kind == 0) /* all identical */
							src = 0;
						else if (kind == 1) /* groups of about 3 duplicates */
							src = row / 3;
						else if (kind == 2) /* 3 tight clusters */
							src = row % 3;
						x[i] = (float)((src * 2654435761u + i % D * 40503u) % 1000) / 10.0f;
						if (kind == 2)
							x[i] += (float)((s >> 33) % 100) / 10000.0f;
						else if (kind == 3)
							x[i] = (float)((s >> 33) % 1000) / 100.0f;
					}
					sdb_error_clear(&e);
					if (sdb_hnsw_build(x, n, D, &p, NULL, NULL, &h, &e)) {
						CHECK(!"build failed");
						continue;
					}
					graphs++;
					relinked += h->relinked;
					unreached += reach_count(&h->g) != n;
					c = sdb_hnsw_ctx_new(n, h->g.M0);
					for (uint32_t qi = 0; qi < n; qi++) {
						uint32_t got = sdb_hnsw_search(&h->g, c, x + (size_t)qi * D, n, n, ids, d);
						short_rows += got != n;
						memset(hit, 0, n * sizeof(uint32_t));
						for (uint32_t j = 0; j < got; j++)
							if (ids[j] < n)
								hit[ids[j]]++;
						for (uint32_t j = 0; j < n; j++)
							missing += hit[j] != 1;
					}
					sdb_hnsw_ctx_free(c);
					sdb_hnsw_free(h);
				}
	CHECK_EQ_INT(graphs, 4 * 8 * 4 * 3);
	CHECK_EQ_INT(unreached, 0);
	CHECK_EQ_INT(short_rows, 0);
	CHECK_EQ_INT(missing, 0);
	CHECK(relinked > 0); /* these shapes do cut nodes off before the repair */

	/* A graph of two islands (as a damaged or pathological graph could
	 * be): a search entering one finishes exactly, never short. */
	{
		float v[6] = { 0, 1, 2, 10, 11, 12 };
		uint32_t links[6 * 5] = { 1, 1, 0, 0, 0,  1, 2, 0, 0, 0,  1, 0, 0, 0, 0,
					  1, 4, 0, 0, 0,  1, 5, 0, 0, 0,  1, 3, 0, 0, 0 };
		uint8_t lv[6] = { 0 };
		uint32_t uo[6] = { 0 }, up[1] = { 0 };
		struct sdb_hnsw_graph g = { 6, 1, 2, 4, SDB_VEC_L2, 0, 0, v, lv, links, uo, up,
					    0, 0, NULL, 0, NULL, { 0 } };
		struct sdb_hnsw_ctx *c = sdb_hnsw_ctx_new(6, 4);
		float q = 10.5f;
		uint32_t got = sdb_hnsw_search(&g, c, &q, 5, 5, ids, d);
		CHECK_EQ_INT(got, 5);
		CHECK_EQ_INT(ids[0], 3);
		CHECK_EQ_INT(ids[3], 2);
		CHECK(d[3] == 8.5f * 8.5f);
		sdb_hnsw_ctx_free(c);
	}
	free(x);
	free(hit);
}

int main(void)
{
	test_npy_header();
	test_crc();
	test_kernels();
	test_bf16_kernels();
	test_hnsw();
	test_hnsw_reach();
	return unit_done("test_vec");
}
