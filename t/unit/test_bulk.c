/* test_bulk.c - unit tests for the bulk ingest (sdb_bulk_*) and the
 * sorter: random rounds of WAL commits (puts, deletes, range deletes),
 * checkpoints, compactions, bulks fed through the sorter (duplicates and
 * deletes among them) and bulks committed with a transaction, every state
 * checked against a plain model by point reads and a full scan, on a
 * fresh and on a refreshed handle; the placement of bulk tables; order,
 * lock and conflict errors (nothing applied). With `--bench N` it times N
 * small keys through the bulk and through a transaction commit. */
#include "unit.h"
#include "store/db_int.h"
#include "store/txn.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sdb_opts opts;

static char *tmpdb(void)
{
	static char dir[64];
	char *d = unit_tmpdb(dir, sizeof(dir), "bulk");

	CHECK(d != NULL);
	return dir;
}

static void rmdb(const char *dir)
{
	CHECK_EQ_INT(unit_rmdb(dir), 0);
}

#define NK 2000
struct model {
	int have[NK];
	char val[NK][24];
};
static struct model m;

static size_t kkey(unsigned char *out, int i)
{
	out[0] = 0;
	snprintf((char *)out + 1, 16, "k%05d", i);
	return 7;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static void check_db(struct sdb_db *db, const char *what, int round)
{
	struct sdb_iter *it;
	struct sdb_error e;
	const unsigned char *k;
	size_t kl;
	struct sdb_val v;
	int bad = 0, n = 0, want = 0, rc;

	for (int i = 0; i < NK; i++) {
		unsigned char key[16];
		size_t n2 = kkey(key, i);
		rc = sdb_db_get(db, key, n2, &v, &e);
		if (m.have[i] ? rc || v.len != strlen(m.val[i]) || memcmp(v.data, m.val[i], v.len)
			      : rc != SDB_ENOTFOUND) {
			if (bad++ < 3)
				printf("%s round %d: k%05d: rc %d '%.*s', want %s\n", what, round, i, rc,
				       rc ? 0 : (int)v.len, rc ? "" : v.data, m.have[i] ? m.val[i] : "(absent)");
		}
		want += m.have[i];
	}
	CHECK_EQ_INT(sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e), 0);
	while ((rc = sdb_iter_next(it, &k, &kl, &v, &e)) == 1)
		n++;
	CHECK_EQ_INT(rc, 0);
	sdb_iter_close(it);
	CHECK_EQ_INT(bad, 0);
	if (n != want)
		printf("%s round %d: scan %d keys, want %d\n", what, round, n, want);
	CHECK_EQ_INT(n, want);
}

static void wal_commit(const char *dir, int round)
{
	struct sdb_db *db;
	struct sdb_batch b;
	struct sdb_error e;
	unsigned char k[16], k2[16];
	int nops = 1 + (int)(unit_rnd() % 60);

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &db, &e), 0);
	sdb_batch_init(&b);
	for (int o = 0; o < nops; o++) {
		int i = (int)(unit_rnd() % NK), kind = (int)(unit_rnd() % 10);
		if (kind < 6) {
			snprintf(m.val[i], sizeof(m.val[i]), "w%d-%d", round, o);
			m.have[i] = 1;
			CHECK_EQ_INT(sdb_batch_put(&b, k, kkey(k, i), m.val[i], strlen(m.val[i]), 0, &e), 0);
		} else if (kind < 9) {
			m.have[i] = 0;
			CHECK_EQ_INT(sdb_batch_del(&b, k, kkey(k, i), &e), 0);
		} else {
			int hi = i + 1 + (int)(unit_rnd() % 200);
			if (hi > NK)
				hi = NK;
			for (int x = i; x < hi; x++)
				m.have[x] = 0;
			CHECK_EQ_INT(sdb_batch_del_range(&b, k, kkey(k, i), k2, kkey(k2, hi), &e), 0);
		}
	}
	CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(db);
}

/* A bulk of random keys through the sorter (some twice, some deletes),
 * with a transaction beside it when with_txn. */
static void bulk_round(const char *dir, int round, int with_txn)
{
	struct sdb_db *db;
	struct sdb_bulk *b;
	struct sdb_sorter *s;
	struct sdb_txn *t = NULL;
	struct sdb_error e;
	unsigned char k[16];
	int n = 1 + (int)(unit_rnd() % 800);
	struct model after;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_sorter_new(&s, &e), 0);
	after = m;
	if (with_txn) {
		/* the transaction's writes come first; the bulk's keys win */
		CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
		for (int o = 0; o < 20; o++) {
			int i = (int)(unit_rnd() % NK);
			if (unit_rnd() % 4) {
				snprintf(after.val[i], sizeof(after.val[i]), "t%d-%d", round, o);
				after.have[i] = 1;
				CHECK_EQ_INT(sdb_txn_put(t, k, kkey(k, i), after.val[i], strlen(after.val[i]), 0, &e), 0);
			} else {
				after.have[i] = 0;
				CHECK_EQ_INT(sdb_txn_del(t, k, kkey(k, i), &e), 0);
			}
		}
		if (unit_rnd() % 2) {
			unsigned char k2[16];
			int i = (int)(unit_rnd() % NK), hi = i + 1 + (int)(unit_rnd() % 100);
			if (hi > NK)
				hi = NK;
			for (int x = i; x < hi; x++)
				after.have[x] = 0;
			CHECK_EQ_INT(sdb_txn_del_range(t, k, kkey(k, i), k2, kkey(k2, hi), &e), 0);
		}
	}
	for (int o = 0; o < n; o++) {
		int i = (int)(unit_rnd() % NK);
		if (unit_rnd() % 8) {
			snprintf(after.val[i], sizeof(after.val[i]), "b%d-%d", round, o);
			after.have[i] = 1;
			CHECK_EQ_INT(sdb_sorter_put(s, k, kkey(k, i), after.val[i], strlen(after.val[i]), 0, &e), 0);
		} else {
			after.have[i] = 0;
			CHECK_EQ_INT(sdb_sorter_del(s, k, kkey(k, i), &e), 0);
		}
	}
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	CHECK_EQ_INT(sdb_sorter_feed(s, b, &e), 0);
	CHECK(sdb_bulk_count(b) > 0);
	CHECK_EQ_INT(sdb_bulk_commit(b, t, &e), 0);
	sdb_txn_free(t);
	sdb_sorter_free(s);
	m = after;
	/* the handle that did it, refreshed */
	CHECK_EQ_INT(sdb_db_refresh(db, &e), 0);
	check_db(db, "bulk (refreshed)", round);
	sdb_db_close(db);
}

static void maint(const char *dir, int kind)
{
	struct sdb_maint_opts mo = { .level = kind == 2 ? -1 : 0 };
	struct sdb_error e;
	int did;

	if (kind == 0)
		CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
	else
		CHECK_EQ_INT(sdb_compact(dir, &opts, &mo, &did, &e), 0);
}

static void test_model(int rounds)
{
	char *dir = tmpdb();
	struct sdb_db *r, *fresh;
	struct sdb_error e;

	memset(&m, 0, sizeof(m));
	wal_commit(dir, 0);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
	for (int round = 1; round <= rounds; round++) {
		int what = (int)(unit_rnd() % 10);
		if (what < 4)
			wal_commit(dir, round);
		else if (what < 6)
			bulk_round(dir, round, 0);
		else if (what < 8)
			bulk_round(dir, round, 1);
		else
			maint(dir, what - 8 + (unit_rnd() % 2));
		CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
		check_db(r, "reader", round);
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &fresh, &e), 0);
		check_db(fresh, "fresh", round);
		sdb_db_close(fresh);
	}
	sdb_db_close(r);
	{
		struct sdb_verify v;
		CHECK_EQ_INT(sdb_verify(dir, &v, &e), 0);
		CHECK_EQ_INT(v.damaged, 0);
	}
	rmdb(dir);
}

static int count_tables(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".sst"))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void test_placement_and_errors(void)
{
	char *dir = tmpdb();
	struct sdb_db *db, *db2;
	struct sdb_bulk *b;
	struct sdb_txn *t;
	struct sdb_batch bt;
	struct sdb_error e;
	unsigned char k[16];
	struct sdb_val v;
	int fd;

	/* an empty database: the bulk lands at the bottom */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	for (int i = 100; i < 200; i++)
		CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, i), "x", 1, 0, &e), 0);
	/* out of order, equal: refused; then only abort */
	CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, 199), "x", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, 50), "x", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_bulk_put(b, "\x05" "ab", 3, "x", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	CHECK_EQ_INT(db->man.ntables, 1);
	CHECK_EQ_INT(db->man.tables[0].level, SDB_LEVELS - 1);
	/* overlapping the bottom table: one level above it */
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	for (int i = 150; i < 160; i++)
		CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, i), "y", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	CHECK_EQ_INT(db->man.ntables, 2);
	CHECK_EQ_INT(db->man.tables[1].level, SDB_LEVELS - 2);
	/* with the WAL holding a key in its span: the flush is placed above
	 * the level-5 table it overlaps, and the bulk above the flush */
	sdb_batch_init(&bt);
	CHECK_EQ_INT(sdb_batch_put(&bt, k, kkey(k, 155), "w", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_batch_put(&bt, k, kkey(k, 156), "w", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(db, &bt, 0, &e), 0);
	sdb_batch_release(&bt);
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, 155), "z", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	CHECK_EQ_INT(db->man.ntables, 4);
	CHECK_EQ_INT(db->man.tables[2].level, SDB_LEVELS - 3);
	CHECK_EQ_INT(db->man.tables[3].level, SDB_LEVELS - 4);
	CHECK(db->man.tables[3].no > db->man.tables[2].no);
	CHECK_EQ_INT(db->man.checkpoint_lsn, db->wal_end);
	/* a key beyond everything: the bottom again */
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, 900), "far", 3, 0, &e), 0);
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	CHECK_EQ_INT(db->man.tables[4].level, SDB_LEVELS - 1);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 155), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == 'z');
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 156), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == 'w');
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 157), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == 'y');
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 100), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == 'x');
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 900), &v, &e), 0);
	/* no writer lock */
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), SDB_EINVAL);
	sdb_db_close(db);
	/* an aborted bulk leaves no table behind */
	{
		int before = count_tables(dir);
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &opts, &db, &e), 0);
		CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
		for (int i = 0; i < 5000; i++)
			CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, i), "gone", 4, 0, &e), 0);
		sdb_bulk_abort(b);
		CHECK_EQ_INT(count_tables(dir), before);
		/* the maintenance lock held elsewhere: busy */
		CHECK_EQ_INT(sdb_lock_open(dir, &fd, &e), 0);
		CHECK_EQ_INT(sdb_lock_take(fd, SDB_LOCK_MAINT, 0, dir, &e), 0);
		db->o.lock_timeout = 0.05;
		CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), SDB_EBUSY);
		close(fd);
		/* a transaction's compare-and-set that no longer holds: nothing */
		sdb_db_close(db);
	}
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, kkey(k, 100), "x", 1, "c", 1, 0, NULL, &e), 0);
	/* another handle changes the key meanwhile (the lock passes hands) */
	sdb_db_unlock_write(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &opts, &db2, &e), 0);
	sdb_batch_init(&bt);
	CHECK_EQ_INT(sdb_batch_put(&bt, k, kkey(k, 100), "o", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(db2, &bt, 0, &e), 0);
	sdb_batch_release(&bt);
	sdb_db_close(db2);
	CHECK_EQ_INT(sdb_db_lock_write(db, 0, &e), 0);
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	CHECK_EQ_INT(sdb_bulk_put(b, k, kkey(k, 1500), "no", 2, 0, &e), 0);
	{
		int before = count_tables(dir);
		CHECK_EQ_INT(sdb_bulk_commit(b, t, &e), SDB_ECONFLICT);
		CHECK_EQ_INT(count_tables(dir), before);
	}
	sdb_txn_free(t);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 100), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == 'o');
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 1500), &v, &e), SDB_ENOTFOUND);
	sdb_db_close(db);
	rmdb(dir);
}

/* A bulk split into several tables (small table_bytes), keys in several
 * namespaces, TTLs. */
/*
 * A transaction too large for the WAL (sdb_txn_commit_direct: an .import)
 * is written straight into a table placed as a bulk table: in an empty
 * database at the bottom, so the level-0 compaction that later small
 * checkpoints trigger merges them alone and never rewrites it; over a
 * key it overlaps, above it; every value reads back.
 */
static void test_direct_placement(void)
{
	char *dir = tmpdb();
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_error e;
	unsigned char k[16];
	char val[200];
	struct sdb_val v;
	uint64_t big = 0;
	struct sdb_opts o = opts;

	o.flush_bytes = 64 << 10;
	memset(val, 'b', sizeof(val));
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &o, &db, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	for (int i = 1000; i < 3000; i++)
		CHECK_EQ_INT(sdb_txn_put(t, k, kkey(k, i), val, sizeof(val), 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit_direct(t, db, &e), 0);
	sdb_txn_free(t);
	CHECK_EQ_INT(db->man.ntables, 1);
	CHECK_EQ_INT(db->man.tables[0].level, SDB_LEVELS - 1);
	big = db->man.tables[0].no;
	/* four small checkpoints over keys below and above it, one inside */
	for (int r = 0; r < 4; r++) {
		struct sdb_batch b;
		struct sdb_maint_opts mo = { .level = -1 };
		int did = 0;
		sdb_batch_init(&b);
		CHECK_EQ_INT(sdb_batch_put(&b, k, kkey(k, r < 2 ? r : 5000 + r), "s", 1, 0, &e), 0);
		CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
		sdb_batch_release(&b);
		sdb_db_close(db);
		CHECK_EQ_INT(sdb_checkpoint(dir, &o, &mo, &did, &e), 0);
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &o, &db, &e), 0);
	}
	{
		int still = 0;
		for (size_t i = 0; i < db->man.ntables; i++)
			still |= db->man.tables[i].no == big && db->man.tables[i].level == SDB_LEVELS - 1;
		CHECK(still); /* never rewritten */
	}
	CHECK_EQ_INT(sdb_txn_begin(db, &t, &e), 0);
	for (int i = 1500; i < 3500; i++)
		CHECK_EQ_INT(sdb_txn_put(t, k, kkey(k, i), val, sizeof(val) / 2, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit_direct(t, db, &e), 0);
	sdb_txn_free(t);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &o, &db, &e), 0);
	for (int i = 1000; i < 3500; i++) {
		CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, i), &v, &e), 0);
		CHECK(v.len == (i < 1500 ? sizeof(val) : sizeof(val) / 2));
	}
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 0), &v, &e), 0);
	CHECK_EQ_INT(sdb_db_get(db, k, kkey(k, 5003), &v, &e), 0);
	sdb_db_close(db);
}

static void test_split(void)
{
	char *dir = tmpdb();
	struct sdb_opts o = opts;
	struct sdb_db *db;
	struct sdb_bulk *b;
	struct sdb_error e;
	struct sdb_val v;
	unsigned char k[32];
	int n = 30000;

	o.table_bytes = 16 << 10;
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &o, &db, &e), 0);
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	for (int i = 0; i < n; i++) {
		char val[32];
		snprintf((char *)k, sizeof(k), "\002ns%08d", i);
		snprintf(val, sizeof(val), "value-%d", i);
		CHECK_EQ_INT(sdb_bulk_put(b, k, 11, val, strlen(val), i % 7 == 0 ? 1000 : 0, &e), 0);
	}
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	CHECK(db->man.ntables > 3);
	for (size_t i = 0; i < db->man.ntables; i++)
		CHECK_EQ_INT(db->man.tables[i].level, SDB_LEVELS - 1);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &o, &db, &e), 0);
	for (int i = 0; i < n; i += 97) {
		char val[32];
		snprintf((char *)k, sizeof(k), "\002ns%08d", i);
		snprintf(val, sizeof(val), "value-%d", i);
		if (i % 7 == 0) {
			CHECK_EQ_INT(sdb_db_get(db, k, 11, &v, &e), SDB_ENOTFOUND); /* expired */
		} else {
			CHECK_EQ_INT(sdb_db_get(db, k, 11, &v, &e), 0);
			CHECK(v.len == strlen(val) && !memcmp(v.data, val, v.len));
		}
	}
	sdb_db_close(db);
	rmdb(dir);
}

/* The sorter on keys with a long common prefix and ties beyond 8 bytes. */
static void test_sorter(void)
{
	char *dir = tmpdb();
	struct sdb_db *db;
	struct sdb_bulk *b;
	struct sdb_sorter *s;
	struct sdb_iter *it;
	struct sdb_error e;
	const unsigned char *k;
	size_t kl, n = 0;
	struct sdb_val v;
	unsigned char key[64], prev[64];
	size_t prevlen = 0;
	int rc;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_sorter_new(&s, &e), 0);
	for (int i = 0; i < 50000; i++) {
		uint64_t r = unit_rnd();
		size_t l = (size_t)snprintf((char *)key, sizeof(key), "%c$graph:common/prefix/%03d/%llu",
					    0, (int)(r % 50), (unsigned long long)(r >> 40) % 3000);
		if (r % 5 == 0)
			l -= 1; /* a prefix of another key */
		CHECK_EQ_INT(sdb_sorter_put(s, key, l, &i, sizeof(i), 0, &e), 0);
	}
	CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
	CHECK_EQ_INT(sdb_sorter_feed(s, b, &e), 0);
	CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
	sdb_sorter_free(s);
	sdb_db_close(db);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	CHECK_EQ_INT(sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e), 0);
	while ((rc = sdb_iter_next(it, &k, &kl, &v, &e)) == 1) {
		if (n)
			CHECK(sdb_key_cmp(prev, prevlen, k, kl) < 0);
		memcpy(prev, k, kl);
		prevlen = kl;
		n++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(n > 1000);
	sdb_iter_close(it);
	sdb_db_close(db);
	rmdb(dir);
}

/* keys/s of n small keys (made before the clock starts: graph-like, two
 * directions, ids in random order): sorter + bulk against one transaction
 * commit plus the flush sochdb-kv does after it, both sync full, each into
 * a fresh database, reopened and counted afterwards. */
static int bench(long n)
{
	struct sdb_opts o;
	struct sdb_error e;
	unsigned char *keys = malloc((size_t)n * 24);
	uint32_t *klen = malloc((size_t)n * sizeof(*klen));
	double t0, t1 = 0, tb = 0, tt = 0, c0, cb = 0, ct = 0;
	long kb = 0, kt = 0;

	sdb_opts_default(&o);
	if (getenv("BENCH_SYNC_OFF"))
		o.sync = SDB_SYNC_OFF;
	if (!keys || !klen)
		return 1;
	for (long i = 0; i < n; i++) {
		uint64_t r = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		klen[i] = (uint32_t)snprintf((char *)keys + i * 24, 24, "%c%c%06llu:%07ld", 0,
					    i % 2 ? 'o' : 'i', (unsigned long long)(r >> 40) % 100000, i % 10000000);
	}
	for (int pass = 0; pass < (getenv("BENCH_BULK_ONLY") ? 1 : 2); pass++) {
		char *dir = tmpdb();
		struct sdb_db *db;
		t0 = now_s();
		c0 = cpu_s();
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &o, &db, &e), 0);
		if (pass == 0) {
			struct sdb_sorter *s;
			struct sdb_bulk *b;
			CHECK_EQ_INT(sdb_sorter_new(&s, &e), 0);
			for (long i = 0; i < n; i++)
				if (sdb_sorter_put(s, keys + i * 24, klen[i], &i, 4, 0, &e))
					CHECK(0);
			t1 = now_s();
			CHECK_EQ_INT(sdb_bulk_begin(db, &b, &e), 0);
			CHECK_EQ_INT(sdb_sorter_feed(s, b, &e), 0);
			CHECK_EQ_INT(sdb_bulk_commit(b, NULL, &e), 0);
			sdb_sorter_free(s);
			sdb_db_close(db);
			tb = now_s() - t0;
			cb = cpu_s() - c0;
			t1 -= t0;
		} else {
			struct sdb_txn *t;
			CHECK_EQ_INT(sdb_txn_begin(NULL, &t, &e), 0);
			for (long i = 0; i < n; i++)
				if (sdb_txn_put(t, keys + i * 24, klen[i], &i, 4, 0, &e))
					CHECK(0);
			CHECK_EQ_INT(sdb_txn_commit(t, db, 0, &e), 0);
			sdb_txn_free(t);
			CHECK_EQ_INT(sdb_db_maybe_flush(db, &e), 0); /* what sochdb-kv does after */
			sdb_db_close(db);
			tt = now_s() - t0;
			ct = cpu_s() - c0;
		}
		{
			struct sdb_iter *it;
			const unsigned char *kk;
			size_t kl;
			struct sdb_val v;
			long c = 0;
			CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &o, &db, &e), 0);
			CHECK_EQ_INT(sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e), 0);
			while (sdb_iter_next(it, &kk, &kl, &v, &e) == 1)
				c++;
			sdb_iter_close(it);
			sdb_db_close(db);
			*(pass ? &kt : &kb) = c;
		}
		rmdb(dir);
	}
	free(keys);
	free(klen);
	CHECK_EQ_INT(kb, n);
	CHECK(kt == n || getenv("BENCH_BULK_ONLY"));
	printf("bulk ingest: %ld keys in %.3f s = %.0f keys/s, CPU %.3f s (sorter fill %.3f s, sort + tables + install %.3f s; sync %s)\n",
	       n, tb, n / tb, cb, t1, tb - t1, o.sync == SDB_SYNC_OFF ? "off" : "full");
	printf("txn commit:  %ld keys in %.3f s = %.0f keys/s, CPU %.3f s (one transaction, then the flush to a table; sync %s)\n",
	       n, tt, n / tt, ct, o.sync == SDB_SYNC_OFF ? "off" : "full");
	return unit_done("test_bulk --bench");
}

int main(int argc, char **argv)
{
	sdb_opts_default(&opts);
	opts.sync = SDB_SYNC_OFF;
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atol(argv[2]));
	test_placement_and_errors();
	test_direct_placement();
	test_split();
	test_sorter();
	for (int i = 0; i < 3; i++)
		test_model(60);
	return unit_done("test_bulk");
}
