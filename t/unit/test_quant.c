/* test_quant.c - unit tests for lib/vec/quant: SQ8 training, encode and
 * decode error bounds, code-to-code and query-to-code distances against
 * float32 distances over the decoded and the original vectors, and every
 * SIMD level against the scalar kernels. */
#include "unit.h"
#include "vec/distance.h"
#include "vec/quant.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static double l2d(const float *a, const float *b, uint32_t d)
{
	double s = 0;
	for (uint32_t i = 0; i < d; i++)
		s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return s;
}

static double dotd(const float *a, const float *b, uint32_t d)
{
	double s = 0;
	for (uint32_t i = 0; i < d; i++)
		s += (double)a[i] * b[i];
	return s;
}

static void test_dim(uint32_t dim)
{
	enum { N = 300 };
	float *x = malloc(sizeof(float) * N * dim), *y = malloc(sizeof(float) * N * dim);
	float *w = malloc(sizeof(float) * (dim + 16)), *dec = malloc(sizeof(float) * dim);
	struct sdb_sq8 q;
	struct sdb_error e;
	uint8_t *codes;
	uint64_t s = 99 + dim;
	int bad_dec = 0, bad_cc = 0, bad_qc = 0, bad_lvl = 0, bad_orig = 0;

	for (uint32_t i = 0; i < N * dim; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		/* per-dimension ranges differ: dimension i spans about i % 7 + 1 */
		x[i] = ((float)((s >> 33) % 20001) / 10000.0f - 1.0f) * (float)(i % dim % 7 + 1);
	}
	CHECK_EQ_INT(sdb_sq8_train(&q, x, N, dim, &e), 0);
	CHECK_EQ_INT(q.stride % 16, 0);
	CHECK(q.stride >= dim && q.stride < dim + 16);
	codes = malloc(sdb_sq8_bytes(N, dim));
	sdb_sq8_encode_rows(&q, x, N, codes);
	for (uint32_t r = 0; r < N; r++) {
		sdb_sq8_decode(&q, codes + (size_t)r * q.stride, y + (size_t)r * dim);
		for (uint32_t i = 0; i < dim; i++)
			bad_dec += fabsf(y[r * dim + i] - x[r * dim + i]) > q.scale[i] * 0.5f + 1e-5f;
		for (uint32_t i = dim; i < q.stride; i++)
			bad_dec += codes[(size_t)r * q.stride + i] != 0;
	}
	for (int m = 0; m < 2; m++) {
		int metric = m ? SDB_VEC_IP : SDB_VEC_L2;
		sdb_sq8_code_dist_fn cs = sdb_sq8_code_fn_at(metric, 0);
		sdb_sq8_query_dist_fn qs = sdb_sq8_query_fn_at(metric, 0);
		for (uint32_t a = 0; a < 40; a++) {
			const uint8_t *ca = codes + (size_t)a * q.stride;
			struct sdb_sq8_query p;
			sdb_sq8_query_prep(&p, &q, metric, x + (size_t)a * dim, w);
			for (uint32_t b = 0; b < N; b += 7) {
				const uint8_t *cb = codes + (size_t)b * q.stride;
				/* code to code = float distance of the decoded rows */
				double ref = m ? 1 - dotd(y + a * dim, y + b * dim, dim)
					       : l2d(y + a * dim, y + b * dim, dim);
				double got = cs(&q, ca, cb);
				double qref = m ? 1 - dotd(x + a * dim, y + b * dim, dim)
						: l2d(x + a * dim, y + b * dim, dim);
				double qgot = qs(&p, cb);
				double orig = m ? 1 - dotd(x + a * dim, x + b * dim, dim)
						: l2d(x + a * dim, x + b * dim, dim);
				double scale = 1 + fabs(ref) + (m ? dotd(y + a * dim, y + a * dim, dim) : 0);
				bad_cc += fabs(got - ref) > 1e-4 * scale;
				bad_qc += fabs(qgot - qref) > 1e-4 * scale;
				/* against the original vectors: within the quantisation
				 * error (each value off by at most scale/2) */
				{
					double err = 0;
					for (uint32_t i = 0; i < dim; i++) {
						double h = q.scale[i] * 0.5;
						err += m ? fabs(x[a * dim + i]) * h
							 : 2 * fabs((double)x[a * dim + i] - x[b * dim + i]) * h + h * h;
					}
					bad_orig += fabs(qgot - orig) > err + 1e-4 * scale;
				}
				for (int lvl = 2; lvl <= 3; lvl++) {
					double g2 = sdb_sq8_code_fn_at(metric, lvl)(&q, ca, cb);
					double q2 = sdb_sq8_query_fn_at(metric, lvl)(&p, cb);
					bad_lvl += fabs(g2 - got) > 1e-4 * scale;
					bad_lvl += fabs(q2 - qgot) > 1e-4 * scale;
				}
			}
		}
	}
	CHECK_EQ_INT(bad_dec, 0);
	CHECK_EQ_INT(bad_cc, 0);
	CHECK_EQ_INT(bad_qc, 0);
	CHECK_EQ_INT(bad_orig, 0);
	CHECK_EQ_INT(bad_lvl, 0);
	sdb_sq8_free(&q);
	free(codes);
	free(x);
	free(y);
	free(w);
	free(dec);
}

static void test_edges(void)
{
	struct sdb_sq8 q;
	struct sdb_error e;
	float v[3] = { 5, 5, 5 }, out[3], off[3] = { 0, 0, 0 }, sc[3] = { 1, 1, 1 };
	uint8_t c[16];

	CHECK_EQ_INT(sdb_sq8_train(&q, v, 0, 3, &e), SDB_EINVAL);
	/* a constant dimension: scale 0, decodes exactly */
	CHECK_EQ_INT(sdb_sq8_train(&q, v, 1, 3, &e), 0);
	sdb_sq8_encode(&q, v, c);
	sdb_sq8_decode(&q, c, out);
	CHECK(out[0] == 5 && out[2] == 5);
	sdb_sq8_free(&q);
	/* values outside the trained range clamp to 0 and 255 */
	CHECK_EQ_INT(sdb_sq8_init(&q, 3, off, sc, &e), 0);
	v[0] = -10;
	v[1] = 1000;
	v[2] = 7.4f;
	sdb_sq8_encode(&q, v, c);
	CHECK_EQ_INT(c[0], 0);
	CHECK_EQ_INT(c[1], 255);
	CHECK_EQ_INT(c[2], 7);
	sdb_sq8_free(&q);
}

int main(void)
{
	static const uint32_t dims[] = { 1, 7, 16, 31, 96, 128, 200, 768 };

	for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
		test_dim(dims[i]);
	test_edges();
	return unit_done("test_quant");
}
