/*
 * vset.c - hash sets and maps of value tuples (DISTINCT, IN (SELECT ...),
 * UNION/INTERSECT/EXCEPT, GROUP BY, hash joins): keys compared with
 * sql_value_cmp under each key's collation and hashed with
 * sql_value_hash, so 3 and 3.0 are one key; open addressing over entry
 * numbers; keys and payloads copied into the set's arena.
 */
#include "sql/exec_int.h"

#include <stdlib.h>
#include <string.h>

struct vset {
	int nkey;
	size_t payload;
	uint8_t *coll;
	struct sdb_sql_arena mem;
	long n, cap;
	struct sql_value *keys;   /* n * nkey */
	void **pay;
	uint64_t *hash;
	long *slot;               /* -1 empty */
	long nslot;               /* power of two */
};

struct vset *vset_new(int nkey, size_t payload)
{
	struct vset *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->nkey = nkey;
	s->payload = payload;
	s->coll = calloc((size_t)(nkey ? nkey : 1), 1);
	sdb_sql_arena_init(&s->mem);
	if (!s->coll) {
		free(s);
		return NULL;
	}
	return s;
}

void vset_coll(struct vset *s, int i, enum sql_coll coll)
{
	s->coll[i] = (uint8_t)coll;
}

void vset_free(struct vset *s)
{
	if (!s)
		return;
	sdb_sql_arena_release(&s->mem);
	free(s->coll);
	free(s->keys);
	free(s->pay);
	free(s->hash);
	free(s->slot);
	free(s);
}

long vset_count(const struct vset *s)
{
	return s->n;
}

const struct sql_value *vset_key(const struct vset *s, long i)
{
	return &s->keys[i * s->nkey];
}

void *vset_payload(const struct vset *s, long i)
{
	return s->pay[i];
}

struct sdb_sql_arena *vset_arena(struct vset *s)
{
	return &s->mem;
}

static uint64_t khash(const struct vset *s, const struct sql_value *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < s->nkey; i++)
		h = (h ^ sql_value_hash(&k[i], (enum sql_coll)s->coll[i])) *
		    0x100000001b3ull;
	return h ^ (h >> 29);
}

/* One key equal to another (NULL equal to NULL, as DISTINCT and GROUP BY
 * compare): the common types in place, others through sql_value_cmp. */
static inline int veq(const struct sql_value *a, const struct sql_value *b,
		      enum sql_coll coll)
{
	if (a->type == b->type) {
		switch (a->type) {
		case SQLV_NULL:
			return 1;
		case SQLV_INT:
			return a->u.i == b->u.i;
		case SQLV_TEXT:
			if (coll == SQL_COLL_BINARY)
				return a->n == b->n && (!a->n || !memcmp(a->u.z, b->u.z, a->n));
			break;
		case SQLV_BLOB:
			return a->n == b->n && (!a->n || !memcmp(a->u.z, b->u.z, a->n));
		default:
			break;
		}
	} else if (a->type == SQLV_NULL || b->type == SQLV_NULL) {
		return 0;
	}
	return !sql_value_cmp(a, b, coll);
}

static int keq(const struct vset *s, const struct sql_value *a,
	       const struct sql_value *b)
{
	if (s->nkey == 1)
		return veq(a, b, (enum sql_coll)s->coll[0]);
	for (int i = 0; i < s->nkey; i++) {
		if (a[i].type == SQLV_NULL || b[i].type == SQLV_NULL) {
			if (a[i].type != b[i].type)
				return 0;
			continue;
		}
		if (sql_value_cmp(&a[i], &b[i], (enum sql_coll)s->coll[i]))
			return 0;
	}
	return 1;
}

static int rehash(struct vset *s)
{
	long ns = s->nslot ? s->nslot * 2 : 64;
	long *sl = malloc(sizeof(*sl) * (size_t)ns);
	if (!sl)
		return -1;
	memset(sl, 0xff, sizeof(*sl) * (size_t)ns);
	for (long i = 0; i < s->n; i++) {
		long j = (long)(s->hash[i] & (uint64_t)(ns - 1));
		while (sl[j] >= 0)
			j = (j + 1) & (ns - 1);
		sl[j] = i;
	}
	free(s->slot);
	s->slot = sl;
	s->nslot = ns;
	return 0;
}

void *vset_get(struct vset *s, const struct sql_value *k, int ins, int *isnew)
{
	*isnew = 0;
	uint64_t h = khash(s, k);
	if (s->nslot) {
		long j = (long)(h & (uint64_t)(s->nslot - 1));
		while (s->slot[j] >= 0) {
			long e = s->slot[j];
			if (s->hash[e] == h && keq(s, &s->keys[e * s->nkey], k))
				return s->pay[e] ? s->pay[e] : (void *)s;
			j = (j + 1) & (s->nslot - 1);
		}
	}
	if (!ins)
		return NULL;
	if (s->n == s->cap) {
		long nc = s->cap ? s->cap * 2 : 32;
		struct sql_value *nk = realloc(s->keys, sizeof(*nk) * (size_t)(nc * (s->nkey ? s->nkey : 1)));
		if (!nk)
			goto oom;
		s->keys = nk;
		void **np = realloc(s->pay, sizeof(*np) * (size_t)nc);
		if (!np)
			goto oom;
		s->pay = np;
		uint64_t *nh = realloc(s->hash, sizeof(*nh) * (size_t)nc);
		if (!nh)
			goto oom;
		s->hash = nh;
		s->cap = nc;
	}
	if ((s->n + 1) * 2 > s->nslot && rehash(s))
		goto oom;
	long e = s->n;
	for (int i = 0; i < s->nkey; i++) {
		struct sql_value v = k[i];
		if (sql_value_copy(&v, &s->mem))
			goto oom;
		s->keys[e * s->nkey + i] = v;
	}
	s->pay[e] = NULL;
	if (s->payload) {
		s->pay[e] = sdb_sql_arena_alloc(&s->mem, s->payload);
		if (!s->pay[e])
			goto oom;
	}
	s->hash[e] = h;
	long j = (long)(h & (uint64_t)(s->nslot - 1));
	while (s->slot[j] >= 0)
		j = (j + 1) & (s->nslot - 1);
	s->slot[j] = e;
	s->n++;
	*isnew = 1;
	return s->pay[e] ? s->pay[e] : (void *)s;
oom:
	*isnew = -1;
	return NULL;
}
