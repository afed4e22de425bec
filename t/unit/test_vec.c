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
	{
		float v[3] = { 3, 0, 4 };
		sdb_vec_normalize(v, 3);
		CHECK(fabsf(v[0] - 0.6f) < 1e-6f && fabsf(v[2] - 0.8f) < 1e-6f);
	}
	CHECK_EQ_INT(sdb_vec_metric_parse("cosine"), SDB_VEC_COSINE);
	CHECK_EQ_INT(sdb_vec_metric_parse("dot"), -1);
}

static void test_hnsw(void)
{
	enum { N = 2000, D = 8, Q = 50, K = 5 };
	float *x = malloc(sizeof(float) * N * D);
	struct sdb_hnsw_params p = { 8, 64, SDB_VEC_L2, 7, 100, 1, SDB_PREC_F32 };
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
		struct sdb_index_meta meta = { 64, 0, 7, 100, 1, 0, 1 };
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
		CHECK_EQ_INT(sdb_hnsw_search(&ix.g, c, x, K, 32, ids, d), K);
		CHECK_EQ_INT(ids[0], 0);
		sdb_index_close(&ix);
		sdb_input_close(&in);
		unlink(path);
	}
	sdb_hnsw_free(h);
	CHECK_EQ_INT(sdb_hnsw_build(x, N, D, &(struct sdb_hnsw_params){ 1, 10, 0, 1, 10, 1, 0 },
				    NULL, NULL, &h, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "max-connections must be in 2..255 (got 1)");
	sdb_hnsw_ctx_free(c);
	free(x);
}

int main(void)
{
	test_npy_header();
	test_crc();
	test_kernels();
	test_hnsw();
	return unit_done("test_vec");
}
