/* test_txn.c - unit tests for lib/store/txn: reads of own writes, deletes
 * hiding snapshot keys, the merged iterator (forward, reverse, bounds,
 * seek, writes during iteration), nested savepoints, compare-and-set
 * conflicts at the call and at commit (nothing applied), a 1M-entry write
 * set; all checked against a plain model. With `--bench N` it prints the
 * write-set benchmark instead (scripts/bench/txn.sh). */
#include "unit.h"
#include "store/txn.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>


static struct sdb_opts opts;

static char *tmpdb(void)
{
	static char dir[64];
	char *d = unit_tmpdb(dir, sizeof(dir), "txn");

	CHECK(d != NULL);
	return dir;
}

static void rmdb(const char *dir)
{
	CHECK_EQ_INT(unit_rmdb(dir), 0);
}

/* internal key of namespace "" and key s */
static size_t ik(unsigned char *out, const char *s)
{
	size_t n = strlen(s);

	out[0] = 0;
	memcpy(out + 1, s, n);
	return n + 1;
}

static void put_committed(const char *dir, const char **kv, int n)
{
	struct sdb_db *db;
	struct sdb_batch b;
	struct sdb_error e;
	unsigned char k[64];

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &db, &e), 0);
	sdb_batch_init(&b);
	for (int i = 0; i < n; i++) {
		size_t kl = ik(k, kv[2 * i]);
		if (kv[2 * i + 1])
			CHECK_EQ_INT(sdb_batch_put(&b, k, kl, kv[2 * i + 1], strlen(kv[2 * i + 1]), 0, &e), 0);
		else
			CHECK_EQ_INT(sdb_batch_del(&b, k, kl, &e), 0);
	}
	CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(db);
}

/* ------------------------------------------------------------- model */

#define MAXK 4000
static int MK = 40; /* key universe: k0000..k(MK-1) */
struct model {
	int have[MAXK];
	char val[MAXK][16];
};

static void key_name(char *s, int i) { snprintf(s, 16, "k%04d", i); }

static int model_get(const struct model *m, int i, const char **v)
{
	*v = m->val[i];
	return m->have[i];
}

/* Compares the whole view of t with m: gets, and iterators over random
 * bounds in both directions with a random seek. */
static void check_view(struct sdb_txn *t, const struct model *m)
{
	struct sdb_error e;
	unsigned char k[64];

	for (int i = 0; i < MK; i++) {
		char name[16];
		struct sdb_val v;
		const char *mv;
		size_t kl;
		key_name(name, i);
		kl = ik(k, name);
		int rc = sdb_txn_get(t, k, kl, &v, &e);
		if (model_get(m, i, &mv)) {
			CHECK_EQ_INT(rc, 0);
			CHECK(!rc && v.len == strlen(mv) && !memcmp(v.data, mv, v.len));
		} else
			CHECK_EQ_INT(rc, SDB_ENOTFOUND);
	}
	for (int round = 0; round < 4; round++) {
		int lo = (int)(unit_rnd() % (MK + 1)) - 1, hi = (int)(unit_rnd() % (MK + 2)) - 1;
		int rev = round & 1, seek = unit_rnd() % 3 ? -1 : (int)(unit_rnd() % MK);
		unsigned char lk[64], hk[64], sk[64];
		size_t ll = 0, hl = 0, sl = 0;
		char name[16];
		struct sdb_txn_iter *it;
		const unsigned char *key;
		size_t klen;
		struct sdb_val v;
		int rc, want;
		if (lo >= 0) {
			key_name(name, lo);
			ll = ik(lk, name);
		}
		if (hi >= 0) {
			key_name(name, hi);
			hl = ik(hk, name);
		}
		CHECK_EQ_INT(sdb_txn_iter_open(t, lo >= 0 ? lk : NULL, ll, hi >= 0 ? hk : NULL, hl, rev, &it, &e), 0);
		if (seek >= 0) {
			key_name(name, seek);
			sl = ik(sk, name);
			CHECK_EQ_INT(sdb_txn_iter_seek(it, sk, sl, &e), 0);
		}
		want = rev ? MK - 1 : 0;
		for (;;) {
			/* the model's next key in range */
			while (want >= 0 && want < MK &&
			       (!m->have[want] || (lo >= 0 && want < lo) || (hi >= 0 && want >= hi) ||
				(seek >= 0 && (rev ? want > seek : want < seek))))
				want += rev ? -1 : 1;
			rc = sdb_txn_iter_next(it, &key, &klen, &v, &e);
			if (want < 0 || want >= MK) {
				CHECK_EQ_INT(rc, 0);
				break;
			}
			CHECK_EQ_INT(rc, 1);
			if (rc != 1)
				break;
			key_name(name, want);
			CHECK(klen == strlen(name) + 1 && !memcmp(key + 1, name, klen - 1));
			CHECK(v.len == strlen(m->val[want]) && !memcmp(v.data, m->val[want], v.len));
			want += rev ? -1 : 1;
		}
		sdb_txn_iter_close(it);
	}
}

/* One random range delete against the model: [ki, kj) between two keys,
 * or a prefix range ["k%03d", next) that is no key itself; mostly
 * narrow, sometimes wide. */
static void random_range(struct sdb_txn *t, struct model *m)
{
	unsigned char lo[64], hi[64];
	size_t ll, hl;
	struct sdb_error e;
	char name[16];
	int a, b;

	if (unit_rnd() % 4 == 0) {
		int p = (int)(unit_rnd() % (unsigned)(MK / 10 + 1));
		snprintf(name, sizeof(name), "k%03d", p);
		ll = ik(lo, name);
		snprintf(name, sizeof(name), "k%03d", p + 1);
		hl = ik(hi, name);
		a = 10 * p;
		b = 10 * p + 10;
	} else {
		a = (int)(unit_rnd() % (unsigned)MK);
		b = a + 1 + (int)(unit_rnd() % (unit_rnd() % 8 ? 12u : (unsigned)MK));
		key_name(name, a);
		ll = ik(lo, name);
		key_name(name, b); /* may lie past the last key: fine */
		hl = ik(hi, name);
	}
	CHECK_EQ_INT(sdb_txn_del_range(t, lo, ll, hi, hl, &e), 0);
	for (int i = a; i < b && i < MK; i++)
		m->have[i] = 0;
}

/* Random puts, deletes, cas, nested savepoints (and range deletes) in t
 * against the model, with the view checked along the way. */
static void random_steps(struct sdb_txn *t, struct model *m, int steps, int with_ranges)
{
	static struct model saved[16];
	struct sdb_error e;
	unsigned char k[64];
	int depth = 0;

	for (int step = 0; step < steps; step++) {
		int i = (int)(unit_rnd() % MK), r = (int)(unit_rnd() % (with_ranges ? 100 : 94));
		char name[16], v[16];
		size_t kl;
		key_name(name, i);
		kl = ik(k, name);
		snprintf(v, sizeof(v), "v%d", step);
		if (r < 40) {
			CHECK_EQ_INT(sdb_txn_put(t, k, kl, v, strlen(v), 0, &e), 0);
			m->have[i] = 1;
			strcpy(m->val[i], v);
		} else if (r < 60) {
			CHECK_EQ_INT(sdb_txn_del(t, k, kl, &e), 0);
			m->have[i] = 0;
		} else if (r < 70) {
			/* cas with the right or a wrong expectation */
			int right = unit_rnd() & 1, present = -1;
			const char *old = m->have[i] ? (right ? m->val[i] : "nope") : (right ? NULL : "x");
			int rc = sdb_txn_cas(t, k, kl, old, old ? strlen(old) : 0, v, strlen(v), 0, &present, &e);
			CHECK_EQ_INT(rc, right ? 0 : SDB_ECONFLICT);
			CHECK_EQ_INT(present, m->have[i]);
			if (right) {
				m->have[i] = 1;
				strcpy(m->val[i], v);
			}
		} else if (r < 80 && depth < 16) {
			saved[depth] = *m;
			CHECK_EQ_INT(sdb_txn_savepoint(t, &e), depth);
			depth++;
		} else if (r < 88 && depth) {
			int to = (int)(unit_rnd() % (unsigned)depth);
			CHECK_EQ_INT(sdb_txn_rollback_to(t, to, &e), 0);
			*m = saved[to];
			depth = to + 1;
		} else if (r < 94 && depth) {
			int to = (int)(unit_rnd() % (unsigned)depth);
			CHECK_EQ_INT(sdb_txn_release(t, to, &e), 0);
			depth = to;
		} else if (r >= 94)
			random_range(t, m);
		if (step % (steps / 24) == 0)
			check_view(t, m);
	}
	CHECK_EQ_INT(sdb_txn_rollback_to(t, depth, &e), SDB_EINVAL);
	check_view(t, m);
}

/* A fresh transaction on a fresh handle of dir shows the model. */
static void check_reopened(const char *dir, const struct model *m)
{
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_error e;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	check_view(t, m);
	sdb_txn_free(t);
	sdb_db_close(db);
}

/* The random transactions against the model: two on one handle (the
 * second begun after sdb_db_refresh sees the first), each checked before
 * and after its commit; then what was committed is checked after a
 * reopen, a checkpoint and a full compaction. */
static void test_model(int with_snapshot, int keys, int steps, int with_ranges)
{
	char *dir = tmpdb();
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_error e;
	static struct model m;
	static const char *init[2 * MAXK];
	static char vals[MAXK][16];
	struct sdb_maint_opts mo = { .level = -1 };
	int did;

	MK = keys;
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < MK; i++) {
		static char names[MAXK][16];
		key_name(names[i], i);
		init[2 * i] = names[i];
		snprintf(vals[i], sizeof(vals[i]), "s%d", i);
		init[2 * i + 1] = with_snapshot && i % 3 ? vals[i] : NULL;
		if (init[2 * i + 1]) {
			m.have[i] = 1;
			strcpy(m.val[i], vals[i]);
		}
	}
	put_committed(dir, init, MK);
	if (with_snapshot == 2) {
		/* the keys in a table, some deleted again in the WAL */
		static const char *dels[2 * MAXK];
		int nd = 0;
		CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
		CHECK_EQ_INT(did, 1);
		for (int i = 1; i < MK; i += 4) {
			dels[2 * nd] = init[2 * i];
			dels[2 * nd + 1] = NULL;
			if (m.have[i])
				m.have[i] = 0;
			nd++;
		}
		put_committed(dir, dels, nd);
	}
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	for (int round = 0; round < 2; round++) {
		CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
		check_view(t, &m);
		random_steps(t, &m, steps, with_ranges);
		CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
		sdb_txn_free(t);
		/* the same handle, refreshed, sees the commit */
		CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
		CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
		check_view(t, &m);
		sdb_txn_free(t);
	}
	sdb_db_close(db);
	check_reopened(dir, &m);
	CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
	CHECK_EQ_INT(did, 1);
	check_reopened(dir, &m);
	CHECK_EQ_INT(sdb_compact(dir, &opts, &mo, &did, &e), 0);
	check_reopened(dir, &m);
	rmdb(dir);
}

/* Writes while an iterator is open: keys ahead of it are seen. */
static void test_iter_while_writing(void)
{
	struct sdb_txn *t;
	struct sdb_txn_iter *it;
	struct sdb_error e;
	const unsigned char *key;
	size_t klen, kl;
	struct sdb_val v;
	unsigned char k[64];
	int seen = 0;

	CHECK_EQ_INT(sdb_txn_begin(NULL, &t, &e), 0);
	kl = ik(k, "a");
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "1", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_iter_open(t, NULL, 0, NULL, 0, 0, &it, &e), 0);
	CHECK_EQ_INT(sdb_txn_iter_next(it, &key, &klen, &v, &e), 1);
	/* many keys after "a" (splits the tree under the iterator) */
	for (int i = 0; i < 5000; i++) {
		char name[16];
		snprintf(name, sizeof(name), "b%05d", i);
		kl = ik(k, name);
		CHECK_EQ_INT(sdb_txn_put(t, k, kl, "x", 1, 0, &e), 0);
	}
	kl = ik(k, "0"); /* behind the iterator: not seen */
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "x", 1, 0, &e), 0);
	while (sdb_txn_iter_next(it, &key, &klen, &v, &e) == 1)
		seen++;
	CHECK_EQ_INT(seen, 5000);
	sdb_txn_iter_close(it);
	CHECK_EQ_INT(sdb_txn_nops(t), 5002);
	sdb_txn_free(t);
}

/* A cas checked by the snapshot is checked again at commit: a commit made
 * by another writer in between is a conflict and nothing is applied. */
static void test_cas_at_commit(void)
{
	char *dir = tmpdb();
	const char *kv[] = { "n", "5" };
	struct sdb_db *rd, *wr;
	struct sdb_txn *t;
	struct sdb_error e;
	struct sdb_val v;
	unsigned char k[64], k2[64];
	size_t kl = ik(k, "n"), kl2 = ik(k2, "other");

	put_committed(dir, kv, 1);
	for (int race = 0; race < 2; race++) {
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &rd, &e), 0);
		CHECK_EQ_INT(sdb_txn_begin(rd, &t, &e), 0);
		CHECK_EQ_INT(sdb_txn_put(t, k2, kl2, "o", 1, 0, &e), 0);
		CHECK_EQ_INT(sdb_txn_cas(t, k, kl, "5", 1, "7", 1, 0, NULL, &e), 0);
		if (race) {
			const char *bump[] = { "n", "6" };
			put_committed(dir, bump, 1); /* another writer */
		}
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &opts, &wr, &e), 0);
		CHECK_EQ_INT(sdb_txn_commit(t, wr, 0, &e), race ? SDB_ECONFLICT : 0);
		sdb_txn_free(t);
		sdb_db_close(wr);
		sdb_db_close(rd);
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &rd, &e), 0);
		CHECK_EQ_INT(sdb_db_get(rd, k, kl, &v, &e), 0);
		CHECK(v.len == 1 && v.data[0] == (race ? '6' : '7'));
		CHECK_EQ_INT(sdb_db_get(rd, k2, kl2, &v, &e), race ? SDB_ENOTFOUND : 0);
		sdb_db_close(rd);
		if (!race) {
			const char *reset[] = { "n", "5", "other", NULL };
			put_committed(dir, reset, 2);
		}
	}
	/* a cas decided by the transaction's own write needs no check, and
	 * the writer's own snapshot needs no fresh read */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &wr, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(wr, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, kl, "6", 1, "8", 1, 0, NULL, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, kl, "8", 1, NULL, 0, 0, NULL, &e), 0);
	CHECK_EQ_INT(sdb_txn_get(t, k, kl, &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
	sdb_txn_free(t);
	sdb_db_close(wr);
	/* errors change nothing */
	CHECK_EQ_INT(sdb_txn_begin(NULL, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_put(t, "", 0, "x", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_txn_nops(t), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0); /* nothing to do */
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "x", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), SDB_EINVAL);
	sdb_txn_free(t);
	rmdb(dir);
}

/* Views of a transaction as a string: gets of the named keys ("a=1 b-"),
 * or an iterator's keys (forward/reverse, after a seek to sk). */
static void expect_get(struct sdb_txn *t, const char *key, const char *want)
{
	unsigned char k[64];
	size_t kl = ik(k, key);
	struct sdb_error e;
	struct sdb_val v;
	int rc = sdb_txn_get(t, k, kl, &v, &e);

	if (!want)
		CHECK_EQ_INT(rc, SDB_ENOTFOUND);
	else {
		CHECK_EQ_INT(rc, 0);
		CHECK(!rc && v.len == strlen(want) && !memcmp(v.data, want, v.len));
	}
}

static void expect_iter(struct sdb_txn *t, int rev, const char *sk, const char *want)
{
	struct sdb_txn_iter *it;
	struct sdb_error e;
	const unsigned char *key;
	unsigned char k[64];
	size_t klen;
	struct sdb_val v;
	char got[4096] = "";
	int rc;

	CHECK_EQ_INT(sdb_txn_iter_open(t, NULL, 0, NULL, 0, rev, &it, &e), 0);
	if (sk)
		CHECK_EQ_INT(sdb_txn_iter_seek(it, k, ik(k, sk), &e), 0);
	while ((rc = sdb_txn_iter_next(it, &key, &klen, &v, &e)) == 1 && strlen(got) + klen + 2 < sizeof(got)) {
		if (*got)
			strcat(got, " ");
		strncat(got, (const char *)key + 1, klen - 1);
	}
	CHECK_EQ_INT(rc, 0);
	sdb_txn_iter_close(it);
	CHECK_EQ_STR(got, want);
}

static int count_delrange(void *ctx, const struct sdb_wal_entry *x)
{
	if (x->type == SDB_REC_DELRANGE)
		++*(int *)ctx;
	return 0;
}

/* A range delete in order with the transaction's other writes: a put
 * before it is deleted, a put after it is seen; snapshot keys in it are
 * hidden from gets, cas and iterators; a savepoint rollback undoes it; the
 * commit logs it as one DELRANGE record. */
static void test_range_order(void)
{
	char *dir = tmpdb();
	const char *kv[] = { "a", "1", "b", "2", "c", "3", "d", "4" };
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_error e;
	unsigned char lo[64], hi[64], k[64];
	size_t ll = ik(lo, "b"), hl = ik(hi, "d"), kl;
	int present = -1, n = 0;

	put_committed(dir, kv, 4);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	kl = ik(k, "bb");
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "before", 6, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_del_range(t, lo, ll, hi, hl, &e), 0);
	CHECK_EQ_INT(sdb_txn_del_range(t, hi, hl, lo, ll, &e), SDB_EINVAL);
	kl = ik(k, "c");
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "after", 5, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_nops(t), 3);
	expect_get(t, "a", "1");
	expect_get(t, "b", NULL);
	expect_get(t, "bb", NULL);
	expect_get(t, "c", "after");
	expect_get(t, "d", "4");
	expect_iter(t, 0, NULL, "a c d");
	expect_iter(t, 1, NULL, "d c a");
	expect_iter(t, 0, "b", "c d");
	expect_iter(t, 1, "c", "c a");
	expect_iter(t, 1, "bz", "a");
	/* cas sees the deleted snapshot key absent */
	kl = ik(k, "b");
	CHECK_EQ_INT(sdb_txn_cas(t, k, kl, "2", 1, "x", 1, 0, &present, &e), SDB_ECONFLICT);
	CHECK_EQ_INT(present, 0);
	CHECK_EQ_INT(sdb_txn_savepoint(t, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, kl, NULL, 0, "new", 3, 0, &present, &e), 0);
	expect_iter(t, 0, NULL, "a b c d");
	/* a range over everything, rolled back */
	CHECK_EQ_INT(sdb_txn_savepoint(t, &e), 1);
	CHECK_EQ_INT(sdb_txn_del_range(t, "\0", 1, "\1", 1, &e), 0);
	expect_iter(t, 0, NULL, "");
	expect_iter(t, 1, NULL, "");
	expect_get(t, "a", NULL);
	CHECK_EQ_INT(sdb_txn_rollback_to(t, 1, &e), 0);
	expect_iter(t, 1, NULL, "d c b a");
	CHECK_EQ_INT(sdb_txn_rollback_to(t, 0, &e), 0);
	expect_iter(t, 0, NULL, "a c d");
	CHECK_EQ_INT(sdb_txn_nops(t), 3);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
	sdb_txn_free(t);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_wal_walk(dir, 0, &opts, count_delrange, &n, &e), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	expect_iter(t, 0, NULL, "a c d");
	expect_get(t, "c", "after");
	/* a cas decided by the transaction's own range delete is not checked
	 * again at commit (the committed "a" is there, but the range goes
	 * first) */
	CHECK_EQ_INT(sdb_txn_del_range(t, "\0", 1, "\1", 1, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, ik(k, "a"), NULL, 0, "A", 1, 0, &present, &e), 0);
	CHECK_EQ_INT(present, 0);
	{
		struct sdb_db *wr;
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &opts, &wr, &e), 0);
		CHECK_EQ_INT(sdb_txn_commit(t, wr, 0, &e), 0);
		sdb_db_close(wr);
	}
	sdb_txn_free(t);
	CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	expect_iter(t, 0, NULL, "a");
	expect_get(t, "a", "A");
	sdb_txn_free(t);
	sdb_db_close(db);
	rmdb(dir);

	/* a range over most of a large snapshot: skipped, not walked */
	dir = tmpdb();
	{
		static const char *big[2 * 20000];
		static char names[20000][16];
		for (int i = 0; i < 20000; i++) {
			snprintf(names[i], sizeof(names[i]), "m%05d", i);
			big[2 * i] = names[i];
			big[2 * i + 1] = "v";
		}
		put_committed(dir, big, 20000);
	}
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	ll = ik(lo, "m00002");
	hl = ik(hi, "m19998");
	CHECK_EQ_INT(sdb_txn_del_range(t, lo, ll, hi, hl, &e), 0);
	kl = ik(k, "m10000");
	CHECK_EQ_INT(sdb_txn_put(t, k, kl, "w", 1, 0, &e), 0);
	expect_iter(t, 0, NULL, "m00000 m00001 m10000 m19998 m19999");
	expect_iter(t, 1, NULL, "m19999 m19998 m10000 m00001 m00000");
	expect_iter(t, 0, "m00005", "m10000 m19998 m19999");
	expect_iter(t, 1, "m15000", "m10000 m00001 m00000");
	expect_get(t, "m00002", NULL);
	expect_get(t, "m19998", "v");
	sdb_txn_free(t);
	sdb_db_close(db);
	rmdb(dir);
}

/* sdb_db_refresh: a handle sees the commits made after it was opened,
 * its own and another process's, after a checkpoint and a compaction;
 * a refresh with nothing new reloads nothing. */
static void test_refresh(void)
{
	char *dir = tmpdb();
	const char *kv[] = { "a", "1" };
	struct sdb_db *db, *rd;
	struct sdb_txn *t;
	struct sdb_error e;
	struct sdb_val v;
	const char *p;
	unsigned char k[64];
	struct sdb_maint_opts mo = { .level = -1 };
	int did, st;
	pid_t pid;

	put_committed(dir, kv, 1);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_put(t, k, ik(k, "b"), "2", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
	sdb_txn_free(t);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	expect_get(t, "b", NULL); /* the snapshot as opened */
	sdb_txn_free(t);
	CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	expect_get(t, "b", "2");
	expect_get(t, "a", "1");
	/* its own range delete too */
	CHECK_EQ_INT(sdb_txn_del_range(t, "\0", 1, "\1", 1, &e), 0);
	CHECK_EQ_INT(sdb_txn_put(t, k, ik(k, "c"), "3", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
	sdb_txn_free(t);
	CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	expect_iter(t, 0, NULL, "c");
	sdb_txn_free(t);
	/* nothing new: the snapshot stays (values read before stay valid) */
	CHECK_EQ_INT(sdb_db_get(db, k, ik(k, "c"), &v, &e), 0);
	p = v.data;
	CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
	CHECK_EQ_INT(sdb_db_get(db, k, ik(k, "c"), &v, &e), 0);
	CHECK(v.data == p);
	sdb_db_close(db);

	/* a reader sees another process's commit after a refresh */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &rd, &e), 0);
	CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "c"), &v, &e), 0);
	p = v.data;
	CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
	CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "c"), &v, &e), 0);
	CHECK(v.data == p);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		const char *more[] = { "d", "4" };
		put_committed(dir, more, 1);
		_exit(unit_failures ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "d"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
	CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "d"), &v, &e), 0);
	/* a checkpoint (the WAL moves into a table), then a compaction */
	CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
	CHECK_EQ_INT(did, 1);
	{
		const char *more[] = { "e", "5", "c", NULL };
		put_committed(dir, more, 2);
	}
	CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(rd, &t, &e), 0);
	expect_iter(t, 0, NULL, "d e");
	sdb_txn_free(t);
	CHECK_EQ_INT(sdb_compact(dir, &opts, &mo, &did, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(rd, &t, &e), 0);
	expect_iter(t, 1, NULL, "e d");
	sdb_txn_free(t);
	/* nothing new: no file is read again (a table moved away unnoticed) */
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "cd '%s' && for f in *.sst; do mv $f $f.away; done", dir);
		CHECK_EQ_INT(system(cmd), 0);
		CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
		snprintf(cmd, sizeof(cmd), "cd '%s' && for f in *.away; do mv $f ${f%%.away}; done", dir);
		CHECK_EQ_INT(system(cmd), 0);
	}
	/* a commit that starts a new WAL segment (the old one keeps its size) */
	{
		struct sdb_opts small = opts;
		struct sdb_batch b;
		small.segment_bytes = 1;
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &small, &db, &e), 0);
		sdb_batch_init(&b);
		CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "f"), "6", 1, 0, &e), 0);
		CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
		sdb_batch_release(&b);
		CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
		CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "f"), &v, &e), 0);
		sdb_batch_init(&b);
		CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "g"), "7", 1, 0, &e), 0);
		CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
		sdb_batch_release(&b);
		sdb_db_close(db);
		CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
		CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "g"), &v, &e), 0);
	}
	/* a handle without a snapshot gets one */
	sdb_db_close(rd);
	CHECK_EQ_INT(sdb_db_open(dir, 0, &opts, &rd, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(rd, &e), 0);
	CHECK_EQ_INT(sdb_db_get(rd, k, ik(k, "e"), &v, &e), 0);
	sdb_db_close(rd);
	rmdb(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_key(unsigned char *k, uint64_t x)
{
	k[0] = 0;
	for (int j = 0; j < 16; j++)
		k[1 + j] = "0123456789abcdef"[(x >> (60 - 4 * j)) & 15];
}

/* n random 16-hex-digit keys (100-byte values) into a write set; every
 * key read back, a full ordered scan, one savepoint rolled back. @return
 * seconds spent in the puts. */
static double big_write_set(long n, int check, double *t_get, double *t_scan)
{
	struct sdb_txn *t;
	struct sdb_txn_iter *it;
	struct sdb_error e;
	unsigned char k[20], prev[20];
	char val[100];
	const unsigned char *key;
	size_t klen;
	struct sdb_val v;
	uint64_t seed = 12345;
	double t0, t1, tp;
	long got = 0;
	int ok = 1, sp;

	memset(val, 'v', sizeof(val));
	CHECK_EQ_INT(sdb_txn_begin(NULL, &t, &e), 0);
	unit_rng = seed;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		make_key(k, unit_rnd());
		ok &= !sdb_txn_put(t, k, 17, val, sizeof(val), 0, &e);
	}
	t1 = now_s();
	tp = t1 - t0;
	CHECK(ok);
	unit_rng = seed;
	for (long i = 0; i < n; i++) {
		make_key(k, unit_rnd());
		ok &= !sdb_txn_get(t, k, 17, &v, &e) && v.len == sizeof(val);
	}
	*t_get = now_s() - t1;
	CHECK(ok);
	t1 = now_s();
	CHECK_EQ_INT(sdb_txn_iter_open(t, NULL, 0, NULL, 0, 0, &it, &e), 0);
	while (sdb_txn_iter_next(it, &key, &klen, &v, &e) == 1) {
		if (got && memcmp(prev, key, 17) >= 0)
			ok = 0;
		memcpy(prev, key, 17);
		got++;
	}
	sdb_txn_iter_close(it);
	*t_scan = now_s() - t1;
	CHECK(ok);
	CHECK_EQ_INT(got, n); /* random 64-bit keys: no repeats expected */
	if (check) {
		sp = sdb_txn_savepoint(t, &e);
		for (long i = 0; i < 1000; i++) {
			make_key(k, unit_rnd());
			CHECK_EQ_INT(sdb_txn_del(t, k, 17, &e), 0);
		}
		CHECK_EQ_INT(sdb_txn_rollback_to(t, sp, &e), 0);
		CHECK_EQ_INT(sdb_txn_nops(t), n);
	}
	sdb_txn_free(t);
	return tp;
}

static double batch_puts(long n)
{
	struct sdb_batch b;
	struct sdb_error e;
	unsigned char k[20];
	char val[100];
	double t0;
	int ok = 1;

	memset(val, 'v', sizeof(val));
	sdb_batch_init(&b);
	unit_rng = 12345;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		make_key(k, unit_rnd());
		ok &= !sdb_batch_put(&b, k, 17, val, sizeof(val), 0, &e);
	}
	t0 = now_s() - t0;
	CHECK(ok);
	sdb_batch_release(&b);
	return t0;
}

/* n inserts as SQL makes them: a read of the key (absent) then its put,
 * random or sequential keys. @return seconds. */
static double get_then_put(long n, int sequential)
{
	struct sdb_txn *t;
	struct sdb_error e;
	struct sdb_val v;
	unsigned char k[20];
	char val[100];
	double t0;
	int ok = 1;

	memset(val, 'v', sizeof(val));
	CHECK_EQ_INT(sdb_txn_begin(NULL, &t, &e), 0);
	unit_rng = 12345;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		make_key(k, sequential ? (uint64_t)i : unit_rnd());
		ok &= sdb_txn_get(t, k, 17, &v, &e) == SDB_ENOTFOUND;
		ok &= !sdb_txn_put(t, k, 17, val, sizeof(val), 0, &e);
	}
	t0 = now_s() - t0;
	CHECK(ok);
	sdb_txn_free(t);
	return t0;
}

static int bench(long n)
{
	double tb, tt, tg, ts, tr, tq;

	tb = batch_puts(n);
	tt = big_write_set(n, 0, &tg, &ts);
	tr = get_then_put(n, 0);
	tq = get_then_put(n, 1);
	printf("txn puts %ld (random 16-byte keys, 100-byte values): %.3f s | plain sdb_batch %.3f s: %.2fx\n",
	       n, tt, tb, tt / tb);
	printf("txn get-then-put %ld (an INSERT's uniqueness read + write): random keys %.3f s (%.0fk/s), "
	       "sequential keys %.3f s (%.0fk/s)\n", n, tr, n / tr / 1000, tq, n / tq / 1000);
	printf("txn own-write gets %ld: %.3f s (first one indexes the write set); ordered scan %.3f s\n",
	       n, tg, ts);
	return unit_failures ? 1 : 0;
}

/* The keys bench uses, as CSV lines KEY,VALUE for a peer (txn.sh). */
static int keys_csv(long n)
{
	unsigned char k[20];

	unit_rng = 12345;
	for (long i = 0; i < n; i++) {
		make_key(k, unit_rnd());
		printf("%.16s,%.100s\n", (const char *)k + 1,
		       "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
	}
	return 0;
}

int main(int argc, char **argv)
{
	double tg, ts;

	sdb_opts_default(&opts);
	opts.sync = SDB_SYNC_OFF;
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--keys"))
		return keys_csv(atol(argv[2]));
	for (int i = 0; i < 18; i++)
		test_model(i % 3, 40, 600, i >= 9);
	/* enough keys for the tree to split, with rollbacks across splits */
	for (int i = 0; i < 6; i++)
		test_model(i % 3, MAXK, 30000, i >= 3);
	test_range_order();
	test_refresh();
	test_iter_while_writing();
	test_cas_at_commit();
	big_write_set(1000000, 1, &tg, &ts);
	return unit_done("test_txn");
}
