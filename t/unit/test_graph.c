/* test_graph.c - unit tests for lib/graph: a graph change and plain
 * store keys committed in one transaction (and aborted together); the key
 * layout's order (ids by bytes, newest valid_from first); covers against
 * a brute-force recomputation after random adds, ends and deletions; the
 * walk's cached adjacency against a fresh walk. */
#include "unit.h"
#include "graph/graph.h"
#include "graph/keys.h"
#include "graph/trav.h"
#include "store/store.h"
#include "store/txn.h"
#include "store/tuple.h"

#include <stdlib.h>
#include <unistd.h>

static struct sdb_opts opts;
static char dir[256];

static struct sdb_db *open_w(void)
{
	struct sdb_db *db = NULL;
	struct sdb_error e;

	CHECK(!sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &opts, &db, &e));
	return db;
}

static void enc(struct sdb_buf *b, const char *s)
{
	sdb_buf_reset(b);
	sdb_graph_enc(b, s, strlen(s));
}

static int count_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	(void)ed;
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static int edges_of(struct sdb_graph *g, const char *id, int dir_, uint64_t as_of)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_gread r = { as_of, 0, 0 };
	struct sdb_error e;
	struct sdb_gstr s;
	int n = 0;

	enc(&b, id);
	s.p = (const unsigned char *)b.data;
	s.n = b.len;
	CHECK(!sdb_graph_edges(g, s, dir_, NULL, 0, &r, count_cb, &n, &e));
	sdb_buf_release(&b);
	return n;
}

/* A graph edge and a kv key commit (or abort) together. */
static void test_one_txn(void)
{
	struct sdb_db *db = open_w();
	struct sdb_txn *t;
	struct sdb_graph *g;
	struct sdb_buf ik = SDB_BUF_INIT;
	struct sdb_error e;
	struct sdb_val v;
	int what;

	CHECK(!sdb_txn_begin(db, &t, &e));
	CHECK(!sdb_graph_open(t, "kg", 2, &g, &e));
	CHECK(!sdb_graph_add_edge(g, "a", 1, "t", 1, "b", 1, "{}", 2, 0, 0, 10, 0, &what, &e));
	CHECK_EQ_INT(what, SDB_GW_ADDED);
	CHECK(!sdb_ikey_make(&ik, "app", 3, "k", 1, &e));
	CHECK(!sdb_txn_put(t, ik.data, ik.len, "v", 1, 0, &e));
	sdb_graph_close(g);
	/* aborted: neither */
	sdb_txn_free(t);
	sdb_db_close(db);
	db = open_w();
	CHECK(sdb_db_get(db, ik.data, ik.len, &v, &e) == SDB_ENOTFOUND);
	CHECK(!sdb_txn_begin(db, &t, &e));
	CHECK(!sdb_graph_open(t, "kg", 2, &g, &e));
	CHECK_EQ_INT(edges_of(g, "a", SDB_GDIR_OUT, 100), 0);
	CHECK(!sdb_graph_add_edge(g, "a", 1, "t", 1, "b", 1, "{}", 2, 0, 0, 10, 0, &what, &e));
	CHECK(!sdb_txn_put(t, ik.data, ik.len, "v", 1, 0, &e));
	/* the transaction sees its own graph writes, both ways */
	CHECK_EQ_INT(edges_of(g, "a", SDB_GDIR_OUT, 100), 1);
	CHECK_EQ_INT(edges_of(g, "b", SDB_GDIR_IN, 100), 1);
	sdb_graph_close(g);
	CHECK(!sdb_txn_commit(t, db, 0, &e));
	sdb_txn_free(t);
	sdb_db_close(db);
	db = open_w();
	CHECK(!sdb_db_get(db, ik.data, ik.len, &v, &e));
	CHECK(!sdb_txn_begin(db, &t, &e));
	CHECK(!sdb_graph_open(t, "kg", 2, &g, &e));
	CHECK_EQ_INT(edges_of(g, "b", SDB_GDIR_IN, 100), 1);
	/* graphs are isolated */
	sdb_graph_close(g);
	CHECK(!sdb_graph_open(t, "kg2", 3, &g, &e));
	CHECK_EQ_INT(edges_of(g, "a", SDB_GDIR_OUT, 100), 0);
	sdb_graph_close(g);
	sdb_txn_free(t);
	sdb_db_close(db);
	sdb_buf_release(&ik);
}

/* Key order: ids by bytes (a prefix first), live versions newest first. */
static void test_order(void)
{
	struct sdb_buf a = SDB_BUF_INIT, b = SDB_BUF_INIT;

	enc(&a, "ab");
	enc(&b, "ab\x01");
	CHECK(sdb_key_cmp(a.data, a.len, b.data, b.len) < 0);
	enc(&b, "b");
	CHECK(sdb_key_cmp(a.data, a.len, b.data, b.len) < 0);
	sdb_buf_reset(&a);
	sdb_buf_reset(&b);
	sdb_gkey_int(&a, 200, 1);
	sdb_gkey_int(&b, 100, 1);
	CHECK(sdb_key_cmp(a.data, a.len, b.data, b.len) < 0);
	{
		uint64_t x = 0;
		CHECK_EQ_INT(sdb_gkey_get_int((const unsigned char *)a.data, a.len, 1, &x), a.len);
		CHECK_EQ_INT(x, 200);
	}
	sdb_buf_release(&a);
	sdb_buf_release(&b);
}

/* Random adds/ends/deletions of one relation: every as-of read equals a
 * brute-force filter of its history (covers never cut a visible one). */
struct hv { uint64_t vf, vu, ra, ea; };
static struct hv hist[4096];
static int nh;

static int hist_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	(void)ctx;
	(void)e;
	if (nh < 4096)
		hist[nh++] = (struct hv){ ed->t.vf, ed->t.vu, ed->t.ra, ed->t.ea };
	return 0;
}

static void test_covers(void)
{
	struct sdb_db *db = open_w();
	struct sdb_txn *t;
	struct sdb_graph *g;
	struct sdb_error e;
	struct sdb_buf fa = SDB_BUF_INIT, ft = SDB_BUF_INIT, fb = SDB_BUF_INIT;
	int what;
	uint64_t now = 100;

	CHECK(!sdb_txn_begin(db, &t, &e));
	CHECK(!sdb_graph_open(t, "cov", 3, &g, &e));
	for (int i = 0; i < 400; i++) {
		uint64_t vf = unit_rnd() % 300, r = unit_rnd() % 10;
		now++;
		if (r < 5)
			sdb_graph_add_edge(g, "x", 1, "t", 1, "y", 1, r & 1 ? "{\"a\":1}" : "{}",
					   r & 1 ? 7 : 2, vf, r < 2 ? vf + 1 + unit_rnd() % 50 : 0,
					   now, r == 4, &what, &e);
		else if (r < 8)
			sdb_graph_end_edge(g, "x", 1, "t", 1, "y", 1, 1 + unit_rnd() % 320, now, &e);
		else if (r < 9)
			sdb_graph_del_edge(g, "x", 1, "t", 1, "y", 1, now, &e);
	}
	enc(&fa, "x");
	enc(&ft, "t");
	enc(&fb, "y");
	nh = 0;
	{
		struct sdb_gstr a = { (const unsigned char *)fa.data, fa.len };
		struct sdb_gstr ty = { (const unsigned char *)ft.data, ft.len };
		struct sdb_gstr b = { (const unsigned char *)fb.data, fb.len };
		int rc = sdb_graph_edge_history(g, a, ty, b, hist_cb, NULL, &e);
		CHECK(rc == 0 || rc == SDB_ENOTFOUND);
	}
	for (uint64_t at = 0; at < 400; at += 3) {
		int want = 0;
		for (int k = 0; k < nh; k++)
			if (!hist[k].ea && hist[k].vf <= at && (!hist[k].vu || at < hist[k].vu))
				want++;
		CHECK_EQ_INT(edges_of(g, "x", SDB_GDIR_OUT, at), want);
		CHECK_EQ_INT(edges_of(g, "y", SDB_GDIR_IN, at), want);
	}
	sdb_graph_close(g);
	sdb_txn_free(t);
	sdb_db_close(db);
	sdb_buf_release(&fa);
	sdb_buf_release(&ft);
	sdb_buf_release(&fb);
}

/* One walk for many queries answers as a fresh walk per query. */
static void test_walk_cache(void)
{
	struct sdb_db *db = open_w();
	struct sdb_txn *t;
	struct sdb_graph *g;
	struct sdb_error e;
	struct sdb_gquery q;
	struct sdb_gwalk *shared, *one;
	struct sdb_gres r1, r2;
	struct sdb_buf b = SDB_BUF_INIT;
	char a[16], c[16];
	int what;

	CHECK(!sdb_txn_begin(db, &t, &e));
	CHECK(!sdb_graph_open(t, "w", 1, &g, &e));
	for (int i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "n%d", (int)(unit_rnd() % 60));
		snprintf(c, sizeof(c), "n%d", (int)(unit_rnd() % 60));
		sdb_graph_add_edge(g, a, strlen(a), "t", 1, c, strlen(c), "{}", 2, 0, 0, 1, 0, &what, &e);
	}
	memset(&q, 0, sizeof(q));
	q.r.as_of = 10;
	q.dir = SDB_GDIR_BOTH;
	q.max_depth = 3;
	CHECK(!sdb_gwalk_new(g, &q, &shared, &e));
	sdb_gres_init(&r1);
	sdb_gres_init(&r2);
	for (int i = 0; i < 40; i++) {
		struct sdb_gstr s;
		snprintf(a, sizeof(a), "n%d", i % 60);
		enc(&b, a);
		s.p = (const unsigned char *)b.data;
		s.n = b.len;
		sdb_gres_reset(&r1);
		sdb_gres_reset(&r2);
		CHECK(!sdb_gwalk_new(g, &q, &one, &e));
		CHECK(!sdb_graph_traverse(shared, s, i & 1, &r1, &e));
		CHECK(!sdb_graph_traverse(one, s, i & 1, &r2, &e));
		CHECK_EQ_INT(r1.nnodes, r2.nnodes);
		CHECK_EQ_INT(r1.nedges, r2.nedges);
		for (size_t k = 0; k < r1.nnodes && k < r2.nnodes; k++) {
			CHECK_EQ_INT(r1.nodes[k].depth, r2.nodes[k].depth);
			CHECK(r1.nodes[k].n == r2.nodes[k].n &&
			      !memcmp(r1.b.data + r1.nodes[k].off, r2.b.data + r2.nodes[k].off, r1.nodes[k].n));
		}
		sdb_gwalk_free(one);
	}
	sdb_gwalk_free(shared);
	sdb_gres_release(&r1);
	sdb_gres_release(&r2);
	sdb_graph_close(g);
	sdb_txn_free(t);
	sdb_db_close(db);
	sdb_buf_release(&b);
}

/* sdb_gkey_text (its zero-free fast path too) writes what sdb_tuple_add
 * writes for a TEXT value. */
static void test_key_text(void)
{
	struct sdb_buf a = SDB_BUF_INIT, b = SDB_BUF_INIT;
	char t[64];

	for (int k = 0; k < 20000; k++) {
		size_t n = unit_rnd() % sizeof(t);
		for (size_t i = 0; i < n; i++)
			t[i] = (char)(unit_rnd() % 4 == 0 ? unit_rnd() % 3 : 'a' + unit_rnd() % 26);
		if (k % 2)
			for (size_t i = 0; i < n; i++)
				t[i] = t[i] ? t[i] : 'z';
		struct sdb_tv v = { SDB_TV_TEXT, 0, 0, t, n };
		sdb_buf_reset(&a);
		sdb_buf_reset(&b);
		sdb_buf_addc(&a, 'x');
		sdb_buf_addc(&b, 'x');
		sdb_gkey_text(&a, t, n);
		sdb_tuple_add(&b, &v, 0);
		CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
	}
	sdb_buf_reset(&a);
	sdb_gkey_text(&a, NULL, 0);
	CHECK(a.len == 3 && !memcmp(a.data, "\x20\0\0", 3));
	sdb_buf_release(&a);
	sdb_buf_release(&b);
}

int main(void)
{
	char cmd[300];

	test_key_text();
	snprintf(dir, sizeof(dir), "%s/sdb-test-graph-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	sdb_opts_default(&opts);
	opts.sync = SDB_SYNC_OFF;
	test_one_txn();
	test_order();
	test_covers();
	test_walk_cache();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 2;
	return unit_done("test_graph");
}
