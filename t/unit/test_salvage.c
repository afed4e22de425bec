/*
 * test_salvage.c - sochdb-wal salvage carries range deletes: a DELRANGE
 * in a table's range block (it hides an older table's keys) and one in
 * the WAL (with a put after it in the same transaction), so the salvaged
 * database reads exactly as the original (t/5004 covers the damage).
 */
#define _GNU_SOURCE
#include "unit.h"

#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sdb_opts opts;

static void ik(struct sdb_buf *b, int i)
{
	char k[16];

	snprintf(k, sizeof(k), "k%03d", i);
	CHECK_EQ_INT(sdb_ikey_make(b, "", 0, k, strlen(k), NULL), 0);
}

/* One transaction: puts of [from, to) with value tag, then the range
 * delete [dlo, dhi) when dlo >= 0, then a put of after when >= 0. */
static void txn(const char *dir, int from, int to, const char *tag, int dlo,
		int dhi, int after)
{
	struct sdb_db *db;
	struct sdb_batch b;
	struct sdb_error e;
	struct sdb_buf k = SDB_BUF_INIT, k2 = SDB_BUF_INIT;

	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &opts, &db, &e), 0);
	sdb_batch_init(&b);
	for (int i = from; i < to; i++) {
		ik(&k, i);
		CHECK_EQ_INT(sdb_batch_put(&b, k.data, k.len, tag, strlen(tag), 0, &e), 0);
	}
	if (dlo >= 0) {
		ik(&k, dlo);
		ik(&k2, dhi);
		CHECK_EQ_INT(sdb_batch_del_range(&b, k.data, k.len, k2.data, k2.len, &e), 0);
	}
	if (after >= 0) {
		ik(&k, after);
		CHECK_EQ_INT(sdb_batch_put(&b, k.data, k.len, "after", 5, 0, &e), 0);
	}
	CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(db);
	sdb_buf_release(&k);
	sdb_buf_release(&k2);
}

static void checkpoint(const char *dir)
{
	struct sdb_maint_opts m = { .level = -1 };
	struct sdb_error e;
	int did;

	CHECK_EQ_INT(sdb_checkpoint(dir, &opts, &m, &did, &e), 0);
	CHECK_EQ_INT(did, 1);
}

/* The value of key i in dir ("" when absent). */
static void value(const char *dir, int i, char *out, size_t n)
{
	struct sdb_db *db;
	struct sdb_error e;
	struct sdb_buf k = SDB_BUF_INIT;
	struct sdb_val v;

	out[0] = 0;
	ik(&k, i);
	CHECK_EQ_INT(sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &opts, &db, &e), 0);
	if (db && !sdb_db_get(db, k.data, k.len, &v, &e))
		snprintf(out, n, "%.*s", (int)v.len, v.data);
	sdb_db_close(db);
	sdb_buf_release(&k);
}

int main(void)
{
	char dir[] = "/tmp/sdbsalvXXXXXX", src[600], dst[600], cmd[1300];
	struct sdb_salvage_report r;
	struct sdb_error e;

	sdb_opts_default(&opts);
	opts.sync = SDB_SYNC_OFF;
	opts.no_auto = 1;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(src, sizeof(src), "%s/db", dir);
	snprintf(dst, sizeof(dst), "%s/salvaged", dir);
	txn(src, 0, 300, "old", -1, 0, -1);
	checkpoint(src);                       /* table 1: k000..k299 */
	txn(src, 0, 0, "", 100, 200, -1);
	checkpoint(src);                       /* table 2: the range [k100, k200) */
	txn(src, 0, 0, "", 250, 260, 255);     /* WAL: range, then a put inside it */
	CHECK_EQ_INT(sdb_salvage(src, dst, &opts, NULL, NULL, &r, &e), 0);
	CHECK_EQ_INT(r.lost, 0);
	CHECK_EQ_INT(r.tables, 2);
	{
		static const int keys[] = { 0, 99, 100, 150, 199, 200, 249, 250, 255, 259, 260, 299 };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			char a[32], b[32];
			value(src, keys[i], a, sizeof(a));
			value(dst, keys[i], b, sizeof(b));
			if (strcmp(a, b))
				printf("key k%03d: original '%s', salvaged '%s'\n", keys[i], a, b);
			CHECK_EQ_STR(a, b);
		}
	}
	{
		char v[32];
		value(dst, 150, v, sizeof(v));
		CHECK_EQ_STR(v, "");
		value(dst, 255, v, sizeof(v));
		CHECK_EQ_STR(v, "after");
		value(dst, 260, v, sizeof(v));
		CHECK_EQ_STR(v, "old");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return unit_done("test_salvage");
}
