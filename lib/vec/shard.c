/*
 * shard.c - shard ranges, the input fingerprint, shard set checks and the
 * exact top-k merge (design in shard.h).
 */
#include "vec/shard.h"
#include "util/crc32c.h"
#include "vec/distance.h"

#include <stdlib.h>
#include <string.h>

/* Decimal digits only (no sign, no spaces, no 0x); *v <= SDB_SHARD_MAX. */
static int parse_dec(const char *s, size_t len, uint32_t *v)
{
	uint64_t x = 0;

	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > SDB_SHARD_MAX)
			return -2;
	}
	*v = (uint32_t)x;
	return 0;
}

int sdb_shard_parse(const char *s, uint32_t *index, uint32_t *count, struct sdb_error *e)
{
	const char *slash = strchr(s, '/');
	uint32_t i = 0, n = 0;
	int ri, rn;

	if (!slash)
		return sdb_error_set(e, SDB_EINVAL,
				     "invalid --shard '%s' (expected I/N with 0 <= I < N)", s);
	ri = parse_dec(s, (size_t)(slash - s), &i);
	rn = parse_dec(slash + 1, strlen(slash + 1), &n);
	if (ri == -2 || rn == -2)
		return sdb_error_set(e, SDB_EINVAL,
				     "invalid --shard '%s' (at most %u shards)", s, SDB_SHARD_MAX);
	if (ri || rn)
		return sdb_error_set(e, SDB_EINVAL,
				     "invalid --shard '%s' (expected I/N with 0 <= I < N)", s);
	if (n == 0)
		return sdb_error_set(e, SDB_EINVAL,
				     "invalid --shard '%s' (the shard count must be at least 1)", s);
	if (i >= n)
		return sdb_error_set(e, SDB_EINVAL,
				     "invalid --shard '%s' (shard numbers run from 0 to %u)", s, n - 1);
	*index = i;
	*count = n;
	return 0;
}

void sdb_shard_range(uint64_t n, uint32_t index, uint32_t count, uint64_t *first, uint64_t *end)
{
	/* n < 2^40 and count <= 2^20 in practice; 128 bits keep any n exact */
	*first = (uint64_t)((unsigned __int128)n * index / count);
	*end = (uint64_t)((unsigned __int128)n * (index + 1) / count);
}

uint32_t sdb_shard_fingerprint(const float *vecs, uint64_t n, uint32_t dim)
{
	unsigned char head[12];
	uint32_t crc;

	for (int b = 0; b < 8; b++)
		head[b] = (unsigned char)(n >> (8 * b));
	for (int b = 0; b < 4; b++)
		head[8 + b] = (unsigned char)(dim >> (8 * b));
	crc = sdb_crc32c_extend(0, head, sizeof(head));
	if (n) {
		crc = sdb_crc32c_extend(crc, vecs, (size_t)dim * sizeof(float));
		crc = sdb_crc32c_extend(crc, vecs + (n - 1) * dim, (size_t)dim * sizeof(float));
	}
	return crc;
}

int sdb_shard_check_set(const struct sdb_index *xs, size_t count, struct sdb_error *e)
{
	for (size_t a = 1; a < count; a++) {
		const struct sdb_index *x = &xs[a], *y = &xs[0];
		if (x->g.dim != y->g.dim)
			return sdb_error_set(e, SDB_EINVAL,
					     "'%s' has dimension %u, '%s' has dimension %u: shards must match",
					     x->name, x->g.dim, y->name, y->g.dim);
		if (x->g.metric != y->g.metric)
			return sdb_error_set(e, SDB_EINVAL,
					     "'%s' has metric %s, '%s' has metric %s: shards must match",
					     x->name, sdb_vec_metric_name(x->g.metric), y->name,
					     sdb_vec_metric_name(y->g.metric));
	}
	for (size_t a = 0; a < count; a++)
		for (size_t b = 0; b < a; b++) {
			const struct sdb_index_meta *p = &xs[a].meta, *q = &xs[b].meta;
			uint64_t pe = p->first_row + xs[a].g.n, qe = q->first_row + xs[b].g.n;
			if (!xs[a].shard_recorded || !xs[b].shard_recorded || p->input_crc != q->input_crc ||
			    p->input_rows != q->input_rows)
				continue; /* not known to be of the same input */
			if (p->first_row < qe && q->first_row < pe)
				return sdb_error_set(e, SDB_EINVAL,
						     "'%s' (shard %u/%u, rows %llu..%llu) and '%s' (shard %u/%u, rows %llu..%llu) "
						     "overlap: both index rows of the same input",
						     xs[b].name, q->shard_index, q->shard_count,
						     (unsigned long long)q->first_row, (unsigned long long)qe - 1,
						     xs[a].name, p->shard_index, p->shard_count,
						     (unsigned long long)p->first_row, (unsigned long long)pe - 1);
		}
	return 0;
}

static int hit_cmp(const void *pa, const void *pb)
{
	const struct sdb_knn_hit *a = pa, *b = pb;

	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->src < b->src ? -1 : a->src > b->src;
}

uint32_t sdb_knn_merge(struct sdb_knn_hit *hits, size_t n, uint32_t k)
{
	if (n > 1)
		qsort(hits, n, sizeof(*hits), hit_cmp);
	return n < k ? (uint32_t)n : k;
}
