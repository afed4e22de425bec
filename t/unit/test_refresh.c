/* test_refresh.c - unit tests for the incremental sdb_db_refresh (only
 * the WAL tail since the handle's snapshot is read when the MANIFEST is
 * unchanged; a full reload otherwise) and for the writer lock taken on an
 * open handle (sdb_db_lock_write / sdb_db_unlock_write): a child process
 * commits puts, deletes, range deletes and checkpoints while the parent
 * refreshes; every refreshed snapshot must equal the model after some
 * commit, in order; a transaction whose COMMIT is not yet written is
 * invisible and appears whole later. */
#include "unit.h"
#include "store/db_int.h"
#include "store/txn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sdb_opts opts;

static char *tmpdb(void)
{
	static char dir[64];
	char *d = unit_tmpdb(dir, sizeof(dir), "refresh");

	CHECK(d != NULL);
	return dir;
}

static void rmdb(const char *dir)
{
	CHECK_EQ_INT(unit_rmdb(dir), 0);
}

static size_t ik(unsigned char *out, const char *s)
{
	size_t n = strlen(s);

	out[0] = 0;
	memcpy(out + 1, s, n);
	return n + 1;
}

/* ------------------------------------------------- the commit sequence */

#define NK 300
struct model {
	int have[NK];
	char val[NK][24];
};

static void kname(char *s, int i) { snprintf(s, 16, "k%04d", i); }

/* Commit j of the sequence (seeded by j): applies it to m and, when b is
 * given, writes it into the batch; *ckpt tells the writer to checkpoint
 * after it. Every commit also sets "#seq" to j. */
static void commit_ops(int j, struct model *m, struct sdb_batch *b, int *ckpt)
{
	uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(j + 1);
	unsigned char k[64], k2[64];
	struct sdb_error e;
	int nops = 1 + (int)(r % 5);
	char s[32], v[24];

	for (int i = 0; i < nops; i++) {
		int kind, a, c;
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		kind = (int)(r % 10);
		a = (int)((r >> 8) % NK);
		c = (int)((r >> 24) % 20);
		kname(s, a);
		if (kind < 6) {
			snprintf(v, sizeof(v), "v%d-%d", j, i);
			strcpy(m->val[a], v);
			m->have[a] = 1;
			if (b)
				CHECK_EQ_INT(sdb_batch_put(b, k, ik(k, s), v, strlen(v), 0, &e), 0);
		} else if (kind < 9) {
			m->have[a] = 0;
			if (b)
				CHECK_EQ_INT(sdb_batch_del(b, k, ik(k, s), &e), 0);
		} else {
			char s2[16];
			int hi = a + 1 + c > NK ? NK : a + 1 + c;
			kname(s2, hi);
			for (int x = a; x < hi; x++)
				m->have[x] = 0;
			if (b)
				CHECK_EQ_INT(sdb_batch_del_range(b, k, ik(k, s), k2, ik(k2, s2), &e), 0);
		}
	}
	snprintf(v, sizeof(v), "%d", j);
	if (b)
		CHECK_EQ_INT(sdb_batch_put(b, k, ik(k, "#seq"), v, strlen(v), 0, &e), 0);
	*ckpt = (r >> 40) % 23 == 0;
}

/* The writer stops at a handshake (hs[0]: it signals, hs[1]: it waits
 * for the reader's answer) after every checkpointed commit and after
 * commits 10a and 10a+1, so that however the two processes are scheduled
 * the reader refreshes past a new manifest (a reload) and past a WAL
 * append alone (an incremental refresh): the counts checked at the end. */
static int handshake(int j, int ckpt)
{
	return ckpt || j % 10 == 0 || j % 10 == 1;
}

static int writer_child(const char *dir, int ncommits, const int hs[2])
{
	struct sdb_opts o = opts;
	struct model m;
	int ckpt;

	o.no_auto = 1;
	memset(&m, 0, sizeof(m));
	for (int j = 1; j <= ncommits; j++) {
		struct sdb_db *db;
		struct sdb_batch b;
		struct sdb_error e;
		int did;
		if (sdb_db_open(dir, SDB_OPEN_WRITE, &o, &db, &e))
			return 2;
		sdb_batch_init(&b);
		commit_ops(j, &m, &b, &ckpt);
		if (sdb_db_commit(db, &b, 0, &e))
			return 3;
		sdb_batch_release(&b);
		sdb_db_close(db);
		if (ckpt) {
			struct sdb_maint_opts mo = { .level = -1 };
			if (sdb_checkpoint(dir, &o, &mo, &did, &e))
				return 4;
			if (j % 3 == 0 && sdb_compact(dir, &o, &mo, &did, &e))
				return 5;
		}
		if (handshake(j, ckpt)) {
			char c = 's';
			if (write(hs[0], &c, 1) != 1 || read(hs[1], &c, 1) != 1)
				return 6;
		}
	}
	return 0;
}

/* Compares db's snapshot with the model; @return the number of keys. */
static int check_snapshot(struct sdb_db *db, const struct model *m, int j)
{
	struct sdb_iter *it;
	struct sdb_error e;
	const unsigned char *k;
	size_t kl;
	struct sdb_val v;
	int seen[NK] = { 0 }, n = 0, bad = 0, rc;

	CHECK_EQ_INT(sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e), 0);
	while ((rc = sdb_iter_next(it, &k, &kl, &v, &e)) == 1) {
		int x;
		if (kl == 5 && !memcmp(k + 1, "#seq", 4))
			continue;
		{
			char num[8];
			snprintf(num, sizeof(num), "%.*s", kl > 2 ? (int)kl - 2 : 0, (const char *)k + 2);
			x = kl == 6 ? atoi(num) : -1;
		}
		if (x < 0 || x >= NK || !m->have[x] || v.len != strlen(m->val[x]) ||
		    memcmp(v.data, m->val[x], v.len)) {
			bad++;
			printf("  %.*s = %.*s, model %s\n", (int)kl - 1, k + 1, (int)v.len, v.data,
			       x >= 0 && x < NK && m->have[x] ? m->val[x] : "(absent)");
		}
		else
			seen[x] = 1;
		n++;
	}
	CHECK_EQ_INT(rc, 0);
	sdb_iter_close(it);
	for (int x = 0; x < NK; x++)
		if (m->have[x] && !seen[x]) {
			bad++;
			printf("  k%04d missing, model %s\n", x, m->val[x]);
		}
	if (bad)
		printf("snapshot after commit %d: %d keys differ\n", j, bad);
	CHECK_EQ_INT(bad, 0);
	return n;
}

/* The snapshot's "#seq", 0 when absent. */
static int snap_seq(struct sdb_db *db)
{
	unsigned char k[16];
	struct sdb_val v;
	struct sdb_error e;
	char s[24];

	if (sdb_db_get(db, k, ik(k, "#seq"), &v, &e))
		return 0;
	snprintf(s, sizeof(s), "%.*s", (int)v.len, v.data);
	return atoi(s);
}

static void test_interleaved(int ncommits)
{
	char *dir = tmpdb();
	struct sdb_db *r, *fresh;
	struct sdb_error e;
	struct model m;
	int j = 0, ckpt, st, refreshes = 0, last = -1;
	int w2r[2], r2w[2];
	pid_t pid;

	memset(&m, 0, sizeof(m));
	{
		struct sdb_db *w;
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &w, &e), 0);
		sdb_db_close(w);
	}
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
	CHECK_EQ_INT(pipe(w2r), 0);
	CHECK_EQ_INT(pipe(r2w), 0);
	pid = fork();
	if (pid == 0) {
		int hs[2] = { w2r[1], r2w[0] };
		_exit(writer_child(dir, ncommits, hs));
	}
	close(w2r[1]);
	close(r2w[0]);
	CHECK_EQ_INT(fcntl(w2r[0], F_SETFL, O_NONBLOCK), 0);
	for (;;) {
		char c;
		int sig = read(w2r[0], &c, 1) == 1;
		int s, done = waitpid(pid, &st, WNOHANG) == pid;
		CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
		refreshes++;
		s = snap_seq(r);
		CHECK(s >= last);
		last = s;
		while (j < s)
			commit_ops(++j, &m, NULL, &ckpt);
		if (j == s)
			check_snapshot(r, &m, j);
		if (sig)
			CHECK_EQ_INT((int)write(r2w[1], "a", 1), 1);
		if (done)
			break;
	}
	close(w2r[0]);
	close(r2w[1]);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(snap_seq(r), ncommits);
	while (j < ncommits)
		commit_ops(++j, &m, NULL, &ckpt);
	check_snapshot(r, &m, j);
	/* the same as a fresh handle sees */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &fresh, &e), 0);
	check_snapshot(fresh, &m, j);
	sdb_db_close(fresh);
	printf("interleaved: %d commits, %d refreshes: %llu incremental, %llu reloads\n",
	       ncommits, refreshes, (unsigned long long)r->refresh_tails,
	       (unsigned long long)r->refresh_reloads);
	CHECK(r->refresh_tails > 0);
	CHECK(r->refresh_reloads > 0); /* the checkpoints replaced the manifest */
	sdb_db_close(r);
	rmdb(dir);
}

/* A transaction whose records are on file but whose COMMIT is not yet:
 * a refresh shows nothing of it; once the COMMIT is there, all of it. */
static void test_partial_txn(void)
{
	char *dir = tmpdb();
	struct sdb_db *w, *r;
	struct sdb_batch b;
	struct sdb_error e;
	unsigned char k[32], c[12] = { 2, 0, 0, 0 };
	struct sdb_val v;
	size_t half;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &w, &e), 0);
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "a"), "1", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
	sdb_batch_release(&b);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "a"), &v, &e), 0);
	/* BEGIN PUT b, then PUT c and COMMIT later */
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "b"), "2", 1, 0, &e), 0);
	half = b.rec.len;
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "c"), "3", 1, 0, &e), 0);
	sdb_wal_encode(&b.rec, SDB_REC_COMMIT, c, 12);
	CHECK_EQ_INT(sdb_db_append(w, b.rec.data, half, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "b"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "a"), &v, &e), 0);
	/* half of the next record: in flight */
	CHECK_EQ_INT(sdb_db_append(w, b.rec.data + half, 7, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "b"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_append(w, b.rec.data + half + 7, b.rec.len - half - 7, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "b"), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == '2');
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "c"), &v, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "a"), &v, &e), 0);
	CHECK_EQ_INT((long long)r->refresh_reloads, 0);
	CHECK_EQ_INT((long long)r->refresh_tails, 3);
	/* a handle's own commits, as a writer: incremental too */
	sdb_batch_release(&b);
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_del_range(&b, k, ik(k, "a"), k + 20, ik(k + 20, "c"), &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(w, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(w, &e), 0);
	CHECK_EQ_INT(sdb_db_get(w, k, ik(k, "a"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_get(w, k, ik(k, "b"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_get(w, k, ik(k, "c"), &v, &e), 0);
	CHECK_EQ_INT(sdb_db_wal_end(w), sdb_db_wal_end(w));
	sdb_batch_release(&b);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "b"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "c"), &v, &e), 0);
	sdb_db_close(r);
	sdb_db_close(w);
	rmdb(dir);
}

/* The writer lock taken on a handle opened for reading. */
static void test_lock_write(void)
{
	char *dir = tmpdb();
	struct sdb_db *w, *r;
	struct sdb_txn *t;
	struct sdb_batch b;
	struct sdb_error e;
	unsigned char k[32];
	struct sdb_val v;
	char wal[256];
	struct stat st;
	int fd;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &w, &e), 0);
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "a"), "1", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
	sdb_batch_release(&b);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
	CHECK_EQ_INT(sdb_db_write_locked(r), 0);
	/* held elsewhere */
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), SDB_EBUSY);
	CHECK_EQ_INT(sdb_db_write_locked(r), 0);
	CHECK_EQ_INT(sdb_txn_begin(r, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_put(t, k, ik(k, "b"), "2", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, r, 0, &e), SDB_EINVAL); /* not a writer */
	sdb_txn_free(t);
	/* w commits more, leaves a torn record at the end and goes */
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "c"), "3", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
	sdb_batch_release(&b);
	snprintf(wal, sizeof(wal), "%s", w->seg_path.data);
	sdb_db_close(w);
	CHECK((fd = open(wal, O_WRONLY | O_APPEND)) >= 0);
	CHECK_EQ_INT(write(fd, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9), 9);
	close(fd);
	CHECK_EQ_INT(stat(wal, &st), 0);
	{
		off_t torn = st.st_size;
		CHECK(sdb_db_snapshot_stale(r));
		CHECK_EQ_INT(sdb_db_lock_write(r, 1, &e), 0);
		CHECK_EQ_INT(sdb_db_write_locked(r), 1);
		CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), 0); /* already held */
		CHECK_EQ_INT(stat(wal, &st), 0);
		CHECK_EQ_INT(st.st_size, torn - 9); /* the writer's repair */
	}
	/* the snapshot is the old one until refreshed */
	CHECK(sdb_db_snapshot_stale(r));
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "c"), &v, &e), SDB_ENOTFOUND);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK(!sdb_db_snapshot_stale(r));
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "c"), &v, &e), 0);
	CHECK_EQ_INT(sdb_txn_begin(r, &t, &e), 0);
	CHECK_EQ_INT(sdb_txn_cas(t, k, ik(k, "a"), "1", 1, "9", 1, 0, NULL, &e), 0);
	CHECK_EQ_INT(sdb_txn_put(t, k, ik(k, "b"), "2", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_txn_commit(t, r, 0, &e), 0);
	sdb_txn_free(t);
	/* another writer waits while r holds it */
	{
		struct sdb_opts o = opts;
		o.lock_timeout = 0.05;
		CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &o, &w, &e), SDB_EBUSY);
	}
	sdb_db_unlock_write(r);
	CHECK_EQ_INT(sdb_db_write_locked(r), 0);
	sdb_db_unlock_write(r); /* not held: nothing */
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &w, &e), 0);
	CHECK_EQ_INT(sdb_db_get(w, k, ik(k, "a"), &v, &e), 0);
	CHECK(v.len == 1 && v.data[0] == '9');
	CHECK_EQ_INT(sdb_db_get(w, k, ik(k, "b"), &v, &e), 0);
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), SDB_EBUSY);
	sdb_db_close(w);
	/* again, after the lock was given back; the handle's own commits */
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_del(&b, k, ik(k, "a"), &e), 0);
	CHECK_EQ_INT(sdb_db_commit(r, &b, 0, &e), 0);
	sdb_batch_release(&b);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "a"), &v, &e), SDB_ENOTFOUND);
	sdb_db_unlock_write(r);
	/* a damage mark: refused, the lock not kept */
	CHECK_EQ_INT(sdb_damage_write(dir, 1, "test mark", 0, &e), 0);
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), SDB_ECORRUPT);
	CHECK_EQ_INT(sdb_db_write_locked(r), 0);
	CHECK_EQ_INT(sdb_damage_clear(dir, 1, &e), 0);
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), 0);
	sdb_db_close(r);
	/* a handle opened without a snapshot or lock file */
	CHECK_EQ_INT(sdb_db_open(dir, 0, &opts, &r, &e), 0);
	CHECK_EQ_INT(sdb_db_lock_write(r, 0, &e), 0);
	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, "d"), "4", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_db_commit(r, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(r);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "d"), &v, &e), 0);
	CHECK_EQ_INT(sdb_db_get(r, k, ik(k, "c"), &v, &e), 0);
	sdb_db_close(r);
	rmdb(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The cost of a refresh after one small commit by another handle, with
 * n small commits in the WAL since the checkpoint: the incremental one
 * against the full reload (what every refresh did before). */
static int bench(int n)
{
	char *dir = tmpdb();
	struct sdb_db *w, *r;
	struct sdb_error e;
	unsigned char k[32];
	double ti = 0, tf = 0;
	int rounds = 200;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &w, &e), 0);
	for (int i = 0; i < n + 2 * rounds; i++) {
		struct sdb_batch b;
		char key[16];
		snprintf(key, sizeof(key), "row%08d", (int)(unit_rnd() % 100000000));
		sdb_batch_init(&b);
		CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, key), "some value", 10, 0, &e), 0);
		CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
		sdb_batch_release(&b);
		if (i == n - 1)
			CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
		if (i >= n) {
			double t0 = now_s();
			if (i < n + rounds)
				CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
			else
				CHECK_EQ_INT(sdb_db_load_snapshot(r, &e), 0);
			*(i < n + rounds ? &ti : &tf) += now_s() - t0;
		}
	}
	CHECK_EQ_INT((long long)r->refresh_tails, rounds);
	printf("refresh after 1 commit, %d commits in the WAL: incremental %.1f us, full reload %.1f us\n",
	       n, ti / rounds * 1e6, tf / rounds * 1e6);
	sdb_db_close(r);
	sdb_db_close(w);
	rmdb(dir);
	return unit_done("test_refresh --bench");
}

/* The block cache of point reads: a reader's cached blocks of tables
 * that a checkpoint + full compaction replaced are never served after a
 * refresh; the cache's blocks give the same values as a fresh read. */
static void test_block_cache(void)
{
	char *dir = tmpdb();
	struct sdb_db *w, *r;
	struct sdb_batch b;
	struct sdb_error e;
	struct sdb_maint_opts mo = { .level = -1 };
	unsigned char k[32];
	char name[16], val[64];
	struct sdb_val v;
	int did;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &w, &e), 0);
	for (int round = 0; round < 2; round++) {
		sdb_batch_init(&b);
		for (int i = 0; i < 5000; i++) {
			kname(name, i);
			int n = snprintf(val, sizeof(val), "r%d-%d-padding-padding", round, i);
			CHECK_EQ_INT(sdb_batch_put(&b, k, ik(k, name), val, (size_t)n, 0, &e), 0);
		}
		CHECK_EQ_INT(sdb_db_commit(w, &b, 0, &e), 0);
		sdb_batch_release(&b);
		if (round == 0) {
			sdb_db_close(w);
			CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
			CHECK_EQ_INT(sdb_compact(dir, &opts, &mo, &did, &e), 0);
			CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &r, &e), 0);
			/* every block read three times: from the file (twice: a
			 * block is kept at its second read), then the cache */
			for (int pass = 0; pass < 3; pass++)
				for (int i = 0; i < 5000; i += 7) {
					kname(name, (i * 13) % 5000);
					int n = snprintf(val, sizeof(val), "r0-%d-padding-padding", (i * 13) % 5000);
					CHECK_EQ_INT(sdb_db_get(r, k, ik(k, name), &v, &e), 0);
					CHECK(v.len == (size_t)n && !memcmp(v.data, val, (size_t)n));
				}
			CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_WRITE, &opts, &w, &e), 0);
		}
	}
	sdb_db_close(w);
	CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &mo, &did, &e), 0);
	CHECK_EQ_INT(sdb_compact(dir, &opts, &mo, &did, &e), 0);
	CHECK_EQ_INT(sdb_db_refresh(r, &e), 0);
	for (int i = 0; i < 5000; i += 7) {
		kname(name, (i * 13) % 5000);
		int n = snprintf(val, sizeof(val), "r1-%d-padding-padding", (i * 13) % 5000);
		CHECK_EQ_INT(sdb_db_get(r, k, ik(k, name), &v, &e), 0);
		CHECK(v.len == (size_t)n && !memcmp(v.data, val, (size_t)n));
	}
	sdb_db_close(r);
	rmdb(dir);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 400;
	const char *s = getenv("STRESS_SCALE");

	if (s && atof(s) > 0 && argc < 2)
		n = (int)(n * atof(s)) + 20;
	sdb_opts_default(&opts);
	opts.sync = SDB_SYNC_OFF;
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atoi(argv[2]));
	test_partial_txn();
	test_lock_write();
	test_block_cache();
	test_interleaved(n);
	return unit_done("test_refresh");
}
