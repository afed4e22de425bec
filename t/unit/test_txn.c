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
#include <unistd.h>


static struct sdb_opts opts;

static char *tmpdb(void)
{
	static char dir[64];
	char *d;

	snprintf(dir, sizeof(dir), "/tmp/sdb-txn-XXXXXX");
	d = mkdtemp(dir);
	CHECK(d != NULL);
	strcat(dir, "/db");
	return dir;
}

static void rmdb(const char *dir)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 3), dir);
	CHECK_EQ_INT(system(cmd), 0);
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

/* Random puts, deletes, cas and nested savepoints against the model, with
 * the view checked along the way; then the commit and a reopen. */
static void test_model(int with_snapshot, int keys, int steps)
{
	char *dir = tmpdb();
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_error e;
	static struct model m, saved[16];
	int depth = 0;
	unsigned char k[64];
	static const char *init[2 * MAXK];
	static char vals[MAXK][16];

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
		struct sdb_maint_opts mo = { .level = -1 };
		static const char *dels[2 * MAXK];
		int did, nd = 0;
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
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	check_view(t, &m);
	for (int step = 0; step < steps; step++) {
		int i = (int)(unit_rnd() % MK), r = (int)(unit_rnd() % 100);
		char name[16], v[16];
		size_t kl;
		key_name(name, i);
		kl = ik(k, name);
		snprintf(v, sizeof(v), "v%d", step);
		if (r < 40) {
			CHECK_EQ_INT(sdb_txn_put(t, k, kl, v, strlen(v), 0, &e), 0);
			m.have[i] = 1;
			strcpy(m.val[i], v);
		} else if (r < 60) {
			CHECK_EQ_INT(sdb_txn_del(t, k, kl, &e), 0);
			m.have[i] = 0;
		} else if (r < 70) {
			/* cas with the right or a wrong expectation */
			int right = unit_rnd() & 1, present = -1;
			const char *old = m.have[i] ? (right ? m.val[i] : "nope") : (right ? NULL : "x");
			int rc = sdb_txn_cas(t, k, kl, old, old ? strlen(old) : 0, v, strlen(v), 0, &present, &e);
			CHECK_EQ_INT(rc, right ? 0 : SDB_ECONFLICT);
			CHECK_EQ_INT(present, m.have[i]);
			if (right) {
				m.have[i] = 1;
				strcpy(m.val[i], v);
			}
		} else if (r < 80 && depth < 16) {
			saved[depth] = m;
			CHECK_EQ_INT(sdb_txn_savepoint(t, &e), depth);
			depth++;
		} else if (r < 88 && depth) {
			int to = (int)(unit_rnd() % (unsigned)depth);
			CHECK_EQ_INT(sdb_txn_rollback_to(t, to, &e), 0);
			m = saved[to];
			depth = to + 1;
		} else if (r < 94 && depth) {
			int to = (int)(unit_rnd() % (unsigned)depth);
			CHECK_EQ_INT(sdb_txn_release(t, to, &e), 0);
			depth = to;
		}
		if (step % (steps / 24) == 0)
			check_view(t, &m);
	}
	CHECK_EQ_INT(sdb_txn_rollback_to(t, depth, &e), SDB_EINVAL);
	check_view(t, &m);
	CHECK_EQ_INT(sdb_txn_commit(t, NULL, 0, &e), 0);
	sdb_txn_free(t);
	sdb_db_close(db);
	/* what was committed is the model */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	check_view(t, &m);
	sdb_txn_free(t);
	sdb_db_close(db);
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
	for (int i = 0; i < 9; i++)
		test_model(i % 3, 40, 600);
	/* enough keys for the tree to split, with rollbacks across splits */
	for (int i = 0; i < 3; i++)
		test_model(i, MAXK, 30000);
	test_iter_while_writing();
	test_cas_at_commit();
	big_write_set(1000000, 1, &tg, &ts);
	return unit_done("test_txn");
}
