/* test_sql_store.c - unit tests for the storage side of lib/sql (record.c,
 * catalog.c, catdef.c, ddl.c, dml.c, wtxn.c): row records and keys,
 * CREATE TABLE/INDEX/VIEW, DROP (the keys really gone), INSERT with
 * affinity, rowids, NOT NULL/PRIMARY KEY/UNIQUE and the conflict
 * clauses, transactions and savepoints, the catalog after reopen. Table
 * contents and error messages are compared with Debian's sqlite3 running
 * the same script. */
#include "unit.h"
#include "sql/record.h"
#include "sql/conn.h"
#include "sql/sql.h"
#include "sql/write.h"
#include "store/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dirbuf[128];

static const char *tmpdb(void)
{
	char *d;

	snprintf(dirbuf, sizeof(dirbuf), "/tmp/sdb-sqlst-XXXXXX");
	d = mkdtemp(dirbuf);
	CHECK(d != NULL);
	strcat(dirbuf, "/db");
	return dirbuf;
}

static void rmdb(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dirbuf) - 3), dirbuf);
	CHECK_EQ_INT(system(cmd), 0);
}

static struct sql_wstate W;
static struct sql_conn *C;     /* when set: statements go through sql.h */
static char lasterr[600];

static struct sql_wstate *WS(void) { return C ? C->wr : &W; }

/* Through sql.h: prepare and step every statement. */
static int run_conn(const char *sql)
{
	size_t len = strlen(sql), used;
	struct sql_stmt_h *h;
	struct sdb_error e;
	int failed = 0;

	lasterr[0] = 0;
	while (len) {
		memset(&e, 0, sizeof(e));
		int rc = sql_prepare(C, sql, len, &used, &h, &e);
		if (rc) {
			snprintf(lasterr, sizeof(lasterr), "%s", e.msg);
			failed++;
		} else if (h) {
			while ((rc = sql_step(h, &e)) == 1)
				;
			if (rc < 0) {
				snprintf(lasterr, sizeof(lasterr), "%s", e.msg);
				failed++;
			}
			sql_finalize(h);
		}
		if (!used)
			break;
		len -= used;
		sql += used;
	}
	return failed;
}

static void copen(void)
{
	struct sql_open_opts o;
	struct sdb_error e;

	sql_open_opts_default(&o);
	o.dir = dirbuf;
	o.store.sync = SDB_SYNC_OFF;
	CHECK_EQ_INT(sql_open(&o, &C, &e), 0);
}

static void cclose(void)
{
	sql_close(C);
	C = NULL;
}

static void wopen(void)
{
	struct sql_open_opts o;
	struct sdb_error e;

	memset(&o, 0, sizeof(o));
	o.dir = dirbuf;
	sdb_opts_default(&o.store);
	o.store.sync = SDB_SYNC_OFF;
	CHECK_EQ_INT(sql_store_open(&W, &o, &e), 0);
}

/* Runs every statement of sql; @return the number that failed (the last
 * message in lasterr). */
static int run(const char *sql)
{
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sql_stmt *st;
	struct sdb_error e;
	int failed = 0;

	if (C)
		return run_conn(sql);
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, sql, strlen(sql));
	lasterr[0] = 0;
	for (;;) {
		memset(&e, 0, sizeof(e));
		int rc = sdb_sql_parse_next(&p, &st, &e);
		if (rc) {
			printf("parse error: %s\n", e.msg);
			failed++;
			continue;
		}
		if (!st)
			break;
		rc = sql_write_stmt(NULL, &W, NULL, st, sql, NULL, &e);
		if (rc) {
			snprintf(lasterr, sizeof(lasterr), "%s", e.msg);
			failed++;
		}
	}
	sdb_sql_arena_release(&a);
	return failed;
}

static const char *tname(int t)
{
	static const char *const n[] = { "null", "integer", "real", "text", "blob" };
	return n[t];
}

static void put_value(struct sdb_buf *b, const struct sql_value *v)
{
	char tmp[64];

	switch (v->type) {
	case SQLV_INT:
		sdb_buf_addf(b, "%lld", (long long)v->u.i);
		break;
	case SQLV_REAL:
		snprintf(tmp, sizeof(tmp), "%.15g", v->u.r);
		if (!strpbrk(tmp, ".in")) { /* as SQLite: 2.0, 1.0e+20 */
			char *x = strchr(tmp, 'e');
			if (x) {
				memmove(x + 2, x, strlen(x) + 1);
				x[0] = '.';
				x[1] = '0';
			} else
				strcat(tmp, ".0");
		}
		sdb_buf_adds(b, tmp);
		break;
	case SQLV_TEXT:
	case SQLV_BLOB:
		sdb_buf_add(b, v->u.z, v->n);
		break;
	default:
		break;
	}
}

/* Every row of table name in key order: the values then their types,
 * '|'-separated, one line each (sqlite3's list mode). */
static char *dump(const char *name)
{
	struct sql_table_def *t = sql_catalog_table(WS()->cat, name);
	struct sdb_buf out = SDB_BUF_INIT, lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn *txn;
	struct sdb_txn_iter *it;
	struct sdb_error e;
	struct sql_value row[64];
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int64_t rowid;

	CHECK(t != NULL);
	if (!t)
		return strdup("");
	CHECK_EQ_INT(sql_stmt_begin(WS(), &e), 0);
	CHECK_EQ_INT(sql_read_txn(WS(), &txn, &e), 0);
	sql_obj_prefix(&lo, t->id);
	sql_obj_end(&hi, t->id);
	CHECK_EQ_INT(sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, &e), 0);
	while (sdb_txn_iter_next(it, &k, &kn, &v, &e) == 1) {
		CHECK_EQ_INT(sql_row_decode(t, k, kn, v.data, v.len, row, &rowid, &e), 0);
		for (int i = 0; i < t->ncol; i++) {
			put_value(&out, &row[i]);
			sdb_buf_addc(&out, '|');
		}
		for (int i = 0; i < t->ncol; i++)
			sdb_buf_addf(&out, "%s%s", tname(row[i].type), i + 1 < t->ncol ? "|" : "\n");
	}
	sdb_txn_iter_close(it);
	sql_stmt_end(WS());
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return out.data ? out.data : strdup("");
}

/* sqlite3's output for script (stderr too). */
static char *sqlite_io(const char *script, int errs)
{
	char path[] = "/tmp/sdb-sqlst-script-XXXXXX", cmd[200];
	struct sdb_buf out = SDB_BUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, script, strlen(script)), (long)strlen(script));
	close(fd);
	snprintf(cmd, sizeof(cmd), "sqlite3 -batch :memory: < %s %s", path,
		 errs ? "2>&1" : "2>/dev/null");
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		sdb_buf_add(&out, buf, n);
	if (f)
		pclose(f);
	unlink(path);
	return out.data ? out.data : strdup("");
}

static char *sqlite(const char *script) { return sqlite_io(script, 0); }

/* The select that lists table t as dump() does. */
static char *sqlite_dump(const char *setup, const char *table, const char *cols,
			 const char *order)
{
	char script[8192], sel[1024], types[512];
	char tmp[512], *p, *save = NULL;
	size_t tn = 0;

	snprintf(tmp, sizeof(tmp), "%s", cols);
	types[0] = 0;
	for (p = strtok_r(tmp, ",", &save); p; p = strtok_r(NULL, ",", &save))
		tn += (size_t)snprintf(types + tn, sizeof(types) - tn, "%stypeof(%s)",
				       tn ? "," : "", p);
	snprintf(sel, sizeof(sel), "SELECT %s,%s FROM %s ORDER BY %s;", cols, types, table, order);
	snprintf(script, sizeof(script), "%s\n%s\n", setup, sel);
	return sqlite(script);
}

static void same_table(const char *setup, const char *table, const char *cols,
		       const char *order)
{
	char *mine = dump(table);
	char *theirs = sqlite_dump(setup, table, cols, order);

	CHECK_EQ_STR(mine, theirs);
	free(mine);
	free(theirs);
}

/* ------------------------------------------------------------- tests */

static void test_record(void)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sql_value v[12], out[12];
	struct sdb_error e;
	int n = 0;
	static const int64_t ints[] = { 0, 1, -1, 127, 128, -128, -129, 32767, 1LL << 40,
					INT64_MAX, INT64_MIN };

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 12; i++) {
			switch (unit_rnd() % 5) {
			case 0: v[i] = sql_null(); break;
			case 1: v[i] = sql_int((int64_t)((uint64_t)ints[unit_rnd() % 11] + unit_rnd() % 3 - 1)); break;
			case 2: v[i] = sql_real((double)(int64_t)unit_rnd() / 7.0); break;
			case 3: v[i] = sql_text("hello world", unit_rnd() % 12); break;
			default: v[i] = sql_blob("\0\1\2\3", unit_rnd() % 5); break;
			}
		}
		sdb_buf_reset(&b);
		sql_record_encode(&b, v, 12);
		CHECK_EQ_INT(sql_record_decode(b.data, b.len, out, 12, &n, &e), 0);
		CHECK_EQ_INT(n, 12);
		for (int i = 0; i < 12; i++) {
			CHECK_EQ_INT(out[i].type, v[i].type);
			if (v[i].type == SQLV_INT)
				CHECK(out[i].u.i == v[i].u.i);
			else if (v[i].type == SQLV_REAL)
				CHECK(out[i].u.r == v[i].u.r);
			else if (v[i].type >= SQLV_TEXT)
				CHECK(out[i].n == v[i].n && !memcmp(out[i].u.z, v[i].u.z, v[i].n));
			struct sql_value one;
			CHECK_EQ_INT(sql_record_column(b.data, b.len, i, &one, &e), 0);
			CHECK_EQ_INT(one.type, v[i].type);
		}
		/* a truncated record is refused, never read past */
		if (b.len > 1)
			CHECK(sql_record_decode(b.data, b.len - 1, out, 12, &n, &e) == SDB_ECORRUPT);
	}
	sdb_buf_release(&b);
}

/* The example of doc/FORMAT.md ("SQL"), byte for byte. */
static void test_format_example(void)
{
	struct sdb_buf k = SDB_BUF_INIT, v = SDB_BUF_INIT;
	struct sql_value row[4] = { sql_null(), sql_text("ab", 2), sql_null(), sql_real(2.5) };
	static const unsigned char key[] = { 0x04, 0x24, 0x73, 0x71, 0x6c, 0x18, 0x04, 0x34, 0x00,
					     0x18, 0x04, 0x33, 0x00 };
	static const unsigned char val[] = { 0x04, 0x00, 0x0c, 0x02, 0x61, 0x62, 0x00, 0x0b, 0, 0, 0,
					     0, 0, 0, 0x04, 0x40 };

	sql_rowkey_rowid(&k, 2, 1);
	sql_record_encode(&v, row, 4);
	CHECK(k.len == sizeof(key) && !memcmp(k.data, key, sizeof(key)));
	CHECK(v.len == sizeof(val) && !memcmp(v.data, val, sizeof(val)));
	sdb_buf_release(&k);
	sdb_buf_release(&v);
}

static const char *S1 =
	"CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL, d, e NUMERIC, f INT);\n"
	"INSERT INTO t VALUES(1, 'x', 1, 2, '3', '4');\n"
	"INSERT INTO t(b, c, d) VALUES(12, '2.5', 'q'), (NULL, -7, x'0102');\n"
	"INSERT INTO t VALUES(10, 1.5, '1e3', 3.0, '3.0', ' 12 ');\n"
	"INSERT INTO t(b) VALUES('after 10');\n"
	"INSERT INTO t(a, e, f) VALUES(-5, 9223372036854775807, '9223372036854775808');\n"
	"INSERT INTO t(rowid, b) VALUES(100, 'by rowid');\n"
	"INSERT INTO t VALUES(NULL, 'next', NULL, NULL, 'abc', 1e20);\n";

static void test_insert_affinity(void)
{
	tmpdb();
	wopen();
	CHECK_EQ_INT(run(S1), 0);
	same_table(S1, "t", "a,b,c,d,e,f", "a");
	sql_store_close(&W);
	/* the catalog and rows after reopen */
	wopen();
	CHECK(sql_catalog_table(W.cat, "T") != NULL);
	same_table(S1, "t", "a,b,c,d,e,f", "a");
	CHECK_EQ_INT(run("INSERT INTO t(b) VALUES('reopened');"), 0);
	{
		char s[2048];
		snprintf(s, sizeof(s), "%sINSERT INTO t(b) VALUES('reopened');", S1);
		same_table(s, "t", "a,b,c,d,e,f", "a");
	}
	sql_store_close(&W);
	rmdb();
}

/* An error message of ours is one sqlite3 printed for the same script. */
static void same_error(const char *setup, const char *bad)
{
	char script[4096], *theirs;

	CHECK_EQ_INT(run(bad), 1);
	snprintf(script, sizeof(script), "%s\n%s\n", setup, bad);
	theirs = sqlite_io(script, 1);
	CHECK(lasterr[0] && strstr(theirs, lasterr) != NULL);
	if (!lasterr[0] || !strstr(theirs, lasterr))
		printf("  ours: %s\n  sqlite3: %s\n", lasterr, theirs);
	free(theirs);
}

static const char *S2 =
	"CREATE TABLE u(id INTEGER PRIMARY KEY, b TEXT UNIQUE, c NOT NULL DEFAULT 7, d, UNIQUE(c, d));\n"
	"INSERT INTO u VALUES(1, 'one', 1, 1), (2, 'two', 1, 2), (3, NULL, 2, NULL), (4, NULL, 2, NULL);\n"
	"INSERT OR IGNORE INTO u VALUES(1, 'dup id', 9, 9), (5, 'one', 9, 9), (6, 'six', 1, 1), (7, 'seven', 5, 5);\n"
	"INSERT OR REPLACE INTO u VALUES(2, 'two again', 3, 3), (8, 'seven', 6, 6);\n"
	"REPLACE INTO u(id, b, c) VALUES(9, 'one', 1);\n"
	"INSERT INTO u(id, b) VALUES(10, 'ten');\n"
	"INSERT INTO u(b, c) VALUES('eleven', 11) ON CONFLICT DO NOTHING;\n"
	"INSERT INTO u(b, c) VALUES('eleven', 12) ON CONFLICT DO NOTHING;\n"
	"INSERT OR REPLACE INTO u(id, b, c) VALUES(20, 'twenty', NULL);\n";

static void test_constraints(void)
{
	tmpdb();
	wopen();
	CHECK_EQ_INT(run(S2), 0);
	same_table(S2, "u", "id,b,c,d", "id");
	same_error(S2, "INSERT INTO u VALUES(2, 'z', 1, 100);");
	same_error(S2, "INSERT INTO u VALUES(100, 'ten', 1, 100);");
	same_error(S2, "INSERT INTO u VALUES(100, 'new', 3, 3);");
	same_error(S2, "INSERT INTO u(id, b, c) VALUES(100, 'new', NULL);");
	same_error(S2, "INSERT INTO u VALUES('abc', 'new', 1, 100);");
	same_error(S2, "INSERT INTO nosuch VALUES(1);");
	same_error(S2, "INSERT INTO u(zz) VALUES(1);");
	same_error(S2, "INSERT INTO u VALUES(1, 2);");
	same_error(S2, "INSERT INTO u(id, b) VALUES(1, 2, 3);");
	same_error(S2, "CREATE TABLE u(x);");
	same_error(S2, "CREATE TABLE v(a, a);");
	same_error(S2, "CREATE TABLE v(a PRIMARY KEY, b PRIMARY KEY);");
	same_error(S2, "CREATE TABLE v(a TEXT PRIMARY KEY AUTOINCREMENT);");
	same_error(S2, "CREATE TABLE v(a, b) WITHOUT ROWID;");
	same_error(S2, "CREATE TABLE v(a, UNIQUE(zz));");
	same_error(S2, "CREATE INDEX b ON nosuch(a);");
	same_error(S2, "CREATE INDEX u ON u(b);");
	same_error(S2, "CREATE INDEX ub ON u(zz);");
	same_error(S2, "CREATE UNIQUE INDEX uc ON u(c);");
	same_error(S2, "DROP TABLE nosuch;");
	same_error(S2, "DROP INDEX sqlite_autoindex_u_1;");
	same_error(S2, "CREATE TABLE sqlite_x(a);");
	/* the failed statements left nothing behind */
	same_table(S2, "u", "id,b,c,d", "id");
	/* a multi-row insert that fails half-way is undone whole */
	same_error(S2, "INSERT INTO u VALUES(200, 'a200', 1, 200), (201, 'one', 1, 201);");
	same_table(S2, "u", "id,b,c,d", "id");
	sql_store_close(&W);
	rmdb();
}

static const char *S3 =
	"CREATE TABLE w(k TEXT, n INT, v, PRIMARY KEY(k, n DESC)) WITHOUT ROWID;\n"
	"INSERT INTO w VALUES('b', 1, 'b1'), ('a', 1, 'a1'), ('a', 3, 'a3'), ('', 0, 'empty'), ('a', 2, 2.5);\n"
	"INSERT OR REPLACE INTO w VALUES('a', 3, 'a3 replaced');\n"
	"INSERT OR IGNORE INTO w VALUES('a', 1, 'ignored');\n"
	"CREATE TABLE ai(id INTEGER PRIMARY KEY AUTOINCREMENT, x);\n"
	"INSERT INTO ai(x) VALUES('a'), ('b');\n"
	"INSERT INTO ai VALUES(10, 'ten');\n"
	"INSERT INTO ai(x) VALUES('eleven');\n";

static void test_without_rowid_autoinc(void)
{
	tmpdb();
	wopen();
	CHECK_EQ_INT(run(S3), 0);
	same_table(S3, "w", "k,n,v", "k, n DESC");
	same_table(S3, "ai", "id,x", "id");
	same_error(S3, "INSERT INTO w VALUES('b', 1, 'dup');");
	same_error(S3, "INSERT INTO w VALUES(NULL, 1, 'null key');");
	sql_store_close(&W);
	rmdb();
}

/* Keys of namespace $sql whose first tuple element is id. */
static long count_keys(uint32_t id)
{
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn *txn;
	struct sdb_txn_iter *it;
	struct sdb_error e;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	long n = 0;

	CHECK_EQ_INT(sql_stmt_begin(WS(), &e), 0);
	CHECK_EQ_INT(sql_read_txn(WS(), &txn, &e), 0);
	sql_obj_prefix(&lo, id);
	sql_obj_end(&hi, id);
	CHECK_EQ_INT(sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, &e), 0);
	while (sdb_txn_iter_next(it, &k, &kn, &v, &e) == 1)
		n++;
	sdb_txn_iter_close(it);
	sql_stmt_end(WS());
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return n;
}

static void test_index_drop(void)
{
	struct sql_index_def *x;
	struct sql_table_def *t;
	uint32_t tid, xid, aid;
	char many[60000];
	size_t n = 0;

	tmpdb();
	wopen();
	n += (size_t)snprintf(many + n, sizeof(many) - n,
			      "CREATE TABLE big(a INTEGER PRIMARY KEY, b, c TEXT UNIQUE);\nINSERT INTO big VALUES");
	for (int i = 1; i <= 1000; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s(%d, %d, 'c%d')",
				      i > 1 ? "," : "", i, i % 10, i);
	snprintf(many + n, sizeof(many) - n, ";");
	CHECK_EQ_INT(run(many), 0);
	CHECK_EQ_INT(run("CREATE INDEX ib ON big(b DESC, c);"), 0);
	same_error("CREATE TABLE big(a INTEGER PRIMARY KEY, b, c TEXT UNIQUE);"
		   "INSERT INTO big VALUES(1, 1, 'x'), (2, 1, 'y');",
		   "CREATE UNIQUE INDEX ub ON big(b);");
	t = sql_catalog_table(W.cat, "big");
	x = sql_catalog_index(W.cat, "ib");
	CHECK(t && x && t->nidx == 2);
	if (!t || !x)
		return;
	tid = t->id;
	xid = x->id;
	aid = t->idx[0]->id;
	CHECK_EQ_INT(count_keys(tid), 1000);
	CHECK_EQ_INT(count_keys(xid), 1000);
	CHECK_EQ_INT(count_keys(aid), 1000);
	CHECK(sql_catalog_index(W.cat, "ub") == NULL);
	/* inside a transaction rolled back, DROP leaves everything */
	CHECK_EQ_INT(run("BEGIN; DROP TABLE big; ROLLBACK;"), 0);
	CHECK(sql_catalog_table(W.cat, "big") != NULL);
	CHECK_EQ_INT(count_keys(tid), 1000);
	CHECK_EQ_INT(run("DROP INDEX ib;"), 0);
	CHECK_EQ_INT(count_keys(xid), 0);
	CHECK_EQ_INT(count_keys(tid), 1000);
	CHECK_EQ_INT(run("DROP TABLE big; DROP TABLE IF EXISTS big;"), 0);
	CHECK_EQ_INT(count_keys(tid), 0);
	CHECK_EQ_INT(count_keys(aid), 0);
	CHECK(sql_catalog_table(W.cat, "big") == NULL);
	/* ids are never reused: a new table meets no old keys */
	CHECK_EQ_INT(run("CREATE TABLE big(z);"), 0);
	CHECK(sql_catalog_table(W.cat, "big")->id > aid);
	sql_store_close(&W);
	wopen();
	CHECK(sql_catalog_table(W.cat, "big") != NULL);
	CHECK(sql_catalog_index(W.cat, "ib") == NULL);
	sql_store_close(&W);
	rmdb();
}

static const char *S5 =
	"CREATE TABLE s(a INTEGER PRIMARY KEY, b UNIQUE);\n"
	"INSERT INTO s VALUES(1, 'one');\n"
	"BEGIN;\n"
	"INSERT INTO s VALUES(2, 'two');\n"
	"INSERT INTO s VALUES(3, 'three'), (4, 'one');\n"   /* fails: undone alone */
	"INSERT INTO s VALUES(5, 'five');\n"
	"SAVEPOINT sp1;\n"
	"INSERT INTO s VALUES(6, 'six');\n"
	"SAVEPOINT sp2;\n"
	"INSERT INTO s VALUES(7, 'seven');\n"
	"ROLLBACK TO sp1;\n"
	"INSERT INTO s VALUES(8, 'eight');\n"
	"RELEASE sp1;\n"
	"COMMIT;\n"
	"BEGIN;\n"
	"INSERT INTO s VALUES(9, 'nine');\n"
	"ROLLBACK;\n"
	"SAVEPOINT outer1;\n"
	"INSERT INTO s VALUES(10, 'ten');\n"
	"RELEASE outer1;\n"
	"BEGIN;\n"
	"INSERT INTO s VALUES(11, 'eleven');\n"
	"INSERT OR ROLLBACK INTO s VALUES(12, 'one');\n"   /* ends the transaction */
	"INSERT INTO s VALUES(13, 'thirteen');\n";

static void test_txn(void)
{
	tmpdb();
	wopen();
	CHECK_EQ_INT(run(S5), 2);
	same_table(S5, "s", "a,b", "a");
	CHECK_EQ_INT(sql_w_in_txn(&W), 0);
	same_error(S5, "COMMIT;");
	same_error(S5, "ROLLBACK TO nosuch;");
	sql_store_close(&W);
	wopen();
	same_table(S5, "s", "a,b", "a");
	sql_store_close(&W);
	rmdb();
}

static void test_limits(void)
{
	static char big[6000];
	char sql[7000];

	tmpdb();
	wopen();
	memset(big, 'x', 5000);
	big[5000] = 0;
	CHECK_EQ_INT(run("CREATE TABLE k(a TEXT PRIMARY KEY) WITHOUT ROWID; CREATE TABLE j(a UNIQUE);"), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO k VALUES('%s');", big);
	CHECK_EQ_INT(run(sql), 1);
	CHECK(strstr(lasterr, "key too long") != NULL);
	snprintf(sql, sizeof(sql), "INSERT INTO j VALUES('%s');", big);
	CHECK_EQ_INT(run(sql), 1);
	CHECK(strstr(lasterr, "index key too long") != NULL);
	CHECK(strstr(lasterr, "sqlite_autoindex_j_1") != NULL);
	CHECK_EQ_INT(count_keys(sql_catalog_table(W.cat, "j")->id), 0);
	sql_store_close(&W);
	rmdb();
}

static void test_schema_rows(void)
{
	static const char *S =
		"CREATE TABLE t(a integer primary key, b text unique, c, unique(b,c));\n"
		"create table w(x, y, primary key(x,y)) without rowid;\n"
		"create index if not exists i on t(c);\n"
		"create   TABLE   IF NOT EXISTS  z(a);\n"
		"CREATE VIEW v AS SELECT a FROM t;\n";
	struct sql_rows r;
	struct sdb_error e;
	struct sdb_buf b = SDB_BUF_INIT;
	char *theirs;

	tmpdb();
	wopen();
	CHECK_EQ_INT(run(S), 0);
	sql_rows_init(&r);
	CHECK_EQ_INT(sql_schema_rows(&W, &r, &e), 0);
	for (long i = 0; i < r.nrow; i++) {
		const struct sql_value *v = &r.v[i * r.ncol];
		put_value(&b, &v[0]);
		sdb_buf_addc(&b, '|');
		put_value(&b, &v[1]);
		sdb_buf_addc(&b, '|');
		put_value(&b, &v[2]);
		sdb_buf_addc(&b, '|');
		put_value(&b, &v[4]);
		sdb_buf_addc(&b, '\n');
	}
	{
		char script[2048];
		snprintf(script, sizeof(script), "%sSELECT type, name, tbl_name, sql FROM sqlite_schema;\n", S);
		theirs = sqlite(script);
	}
	CHECK_EQ_STR(b.data, theirs);
	free(theirs);
	sql_rows_release(&r);
	sdb_buf_release(&b);
	sql_store_close(&W);
	rmdb();
}

static const char *S6 =
	"CREATE TABLE x(a INTEGER PRIMARY KEY, b INT CHECK (b > 0), c TEXT DEFAULT ('d' || 'flt'),"
	" d REAL DEFAULT (1 + 1), CONSTRAINT named CHECK (c <> 'bad'));\n"
	"INSERT INTO x(b) VALUES(1 + 2), (abs(-5));\n"
	"INSERT INTO x(b, c) VALUES(7, upper('q')), (8, NULL);\n"
	"INSERT INTO x(b, c) SELECT 10, 'from select' UNION ALL SELECT 11, 'again';\n"
	"INSERT INTO x(b, d) VALUES(12, 2 * 3.5);\n"
	"INSERT OR IGNORE INTO x(b) VALUES(-1);\n";

/* Expressions in VALUES, DEFAULT and CHECK (through exec.h). */
static void test_expressions(void)
{
	tmpdb();
	copen();
	CHECK_EQ_INT(run(S6), 0);
	same_table(S6, "x", "a,b,c,d", "a");
	same_error(S6, "INSERT INTO x(b) VALUES(0);");
	same_error(S6, "INSERT INTO x(b, c) VALUES(1, 'bad');");
	same_error(S6, "INSERT INTO x(b) SELECT 1, 2;");
	same_table(S6, "x", "a,b,c,d", "a");
	cclose();
	rmdb();
}

static const char *S7 =
	"CREATE TABLE v(k TEXT PRIMARY KEY, n INT DEFAULT 0, tag UNIQUE, note);\n"
	"INSERT INTO v(k, n, tag) VALUES('a', 1, 't1'), ('b', 2, 't2');\n"
	"INSERT INTO v(k, n) VALUES('a', 10) ON CONFLICT(k) DO UPDATE SET n = n + excluded.n;\n"
	"INSERT INTO v(k, n, tag) VALUES('c', 5, 't1') ON CONFLICT(tag) DO UPDATE SET note = 'tag taken by ' || excluded.k;\n"
	"INSERT INTO v(k, n) VALUES('b', 100) ON CONFLICT(k) DO UPDATE SET n = excluded.n WHERE excluded.n < 50;\n"
	"INSERT INTO v(k, n) VALUES('b', 7), ('d', 4) ON CONFLICT DO UPDATE SET n = n * 10;\n"
	"INSERT INTO v(k, tag) VALUES('e', 't2') ON CONFLICT(tag) DO NOTHING;\n"
	"INSERT INTO v(k, tag) VALUES('f', 'x') ON CONFLICT(k) DO NOTHING ON CONFLICT DO UPDATE SET note = 'second';\n"
	"CREATE TABLE c(id INTEGER PRIMARY KEY, hits INT);\n"
	"INSERT INTO c VALUES(1, 1) ON CONFLICT(id) DO UPDATE SET hits = hits + 1;\n"
	"INSERT INTO c VALUES(1, 1) ON CONFLICT(id) DO UPDATE SET hits = hits + 1;\n"
	"INSERT INTO c VALUES(1, 1) ON CONFLICT(id) DO UPDATE SET hits = hits + 1;\n";

/* Upserts, compared with sqlite3 (MySQL's form against its SQLite
 * equivalent). */
static void test_upsert(void)
{
	tmpdb();
	copen();
	CHECK_EQ_INT(run(S7), 0);
	same_table(S7, "v", "k,n,tag,note", "k");
	same_table(S7, "c", "id,hits", "id");
	same_error(S7, "INSERT INTO v(k) VALUES('a') ON CONFLICT(note) DO NOTHING;");
	same_error(S7, "INSERT INTO v(k, tag) VALUES('a', 't2') ON CONFLICT(k) DO UPDATE SET tag = excluded.tag;");
	CHECK_EQ_INT(run("INSERT INTO c VALUES(1, 1) ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits) * 10;"), 0);
	{
		char s8[4096];
		snprintf(s8, sizeof(s8), "%sINSERT INTO c VALUES(1, 1) ON CONFLICT DO UPDATE SET hits = hits + excluded.hits * 10;", S7);
		same_table(s8, "c", "id,hits", "id");
	}
	cclose();
	rmdb();
}

/* Our sqlite_schema rows as sqlite3 lists them (type|name|tbl_name|sql). */
static char *schema_text(void)
{
	struct sql_rows r;
	struct sdb_error e;
	struct sdb_buf b = SDB_BUF_INIT;

	sql_rows_init(&r);
	CHECK_EQ_INT(sql_schema_rows(WS(), &r, &e), 0);
	for (long i = 0; i < r.nrow; i++) {
		const struct sql_value *v = &r.v[i * r.ncol];
		for (int k = 0; k < 5; k++) {
			if (k == 3)
				continue;
			put_value(&b, &v[k]);
			sdb_buf_addc(&b, k == 4 ? '\n' : '|');
		}
	}
	sql_rows_release(&r);
	return b.data ? b.data : strdup("");
}

static void same_schema(const char *setup)
{
	char script[8192], *theirs, *mine = schema_text();

	snprintf(script, sizeof(script), "%s\nSELECT type, name, tbl_name, sql FROM sqlite_schema"
		 " WHERE name NOT LIKE 'sqlite_stat%%';\n", setup);
	theirs = sqlite(script);
	CHECK_EQ_STR(mine, theirs);
	free(mine);
	free(theirs);
}

static const char *S9 =
	"CREATE TABLE t(a INTEGER PRIMARY KEY, b UNIQUE, c, d, f);\n"
	"CREATE INDEX i ON t(c, d);\n"
	"INSERT INTO t VALUES(1, 'x', 10, 100, 'f1'), (2, 'y', 20, 200, 'f2'), (3, 'z', 10, 300, NULL);\n"
	"ALTER TABLE t ADD COLUMN e INT DEFAULT 7;\n"
	"ALTER TABLE t ADD e2 TEXT;\n"
	"INSERT INTO t(a, b, c) VALUES(4, 'w', 30);\n"
	"ALTER TABLE t RENAME COLUMN c TO cc;\n"
	"ALTER TABLE t RENAME TO tt;\n"
	"ALTER TABLE tt DROP COLUMN f;\n"
	"INSERT INTO tt(a, b, cc) VALUES(5, 'v', 50);\n"
	"CREATE TABLE ca AS SELECT 1 AS n, 'two' AS \"the text\", 2.5 AS r, x'41' AS b;\n"
	"CREATE TABLE one(x);\n"
	"REINDEX; REINDEX tt; REINDEX i; ANALYZE; ANALYZE tt;\n";

static void test_alter(void)
{
	tmpdb();
	copen();
	CHECK_EQ_INT(run(S9), 0);
	same_schema(S9);
	same_table(S9, "tt", "a,b,cc,d,e,e2", "a");
	same_table(S9, "ca", "n,\"the text\",r,b", "n");
	same_error(S9, "ALTER TABLE tt ADD COLUMN b;");
	same_error(S9, "ALTER TABLE tt ADD COLUMN z PRIMARY KEY;");
	same_error(S9, "ALTER TABLE tt ADD COLUMN z UNIQUE;");
	same_error(S9, "ALTER TABLE tt ADD COLUMN z NOT NULL;");
	same_error(S9, "ALTER TABLE tt RENAME TO ca;");
	same_error(S9, "ALTER TABLE tt RENAME COLUMN zz TO y;");
	same_error(S9, "ALTER TABLE tt DROP COLUMN a;");
	same_error(S9, "ALTER TABLE tt DROP COLUMN b;");
	same_error(S9, "ALTER TABLE tt DROP COLUMN cc;");
	same_error(S9, "ALTER TABLE one DROP COLUMN x;");
	same_error(S9, "ALTER TABLE nosuch RENAME TO q;");
	/* the index still finds its rows: a UNIQUE check through it */
	same_error(S9, "INSERT INTO tt(a, b) VALUES(9, 'x');");
	{
		struct sql_table_def *t = sql_catalog_table(WS()->cat, "tt");
		CHECK(t && t->analyzed && t->est_rows == 5);
		CHECK(t && t->nidx == 2 && t->idx[0]->analyzed);
		if (t)
			CHECK_EQ_INT(count_keys(t->idx[1]->id), 5);
	}
	CHECK_EQ_INT(run("VACUUM;"), 0);
	same_table(S9, "tt", "a,b,cc,d,e,e2", "a");
	cclose();
	/* everything as it was after reopen */
	copen();
	same_schema(S9);
	same_table(S9, "tt", "a,b,cc,d,e,e2", "a");
	CHECK(sql_catalog_table(WS()->cat, "tt")->est_rows == 5);
	cclose();
	rmdb();
}

static const char *S10 =
	"PRAGMA foreign_keys = ON;\n"
	"CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT UNIQUE, other);\n"
	"CREATE TABLE w2(k1, k2, PRIMARY KEY(k1, k2)) WITHOUT ROWID;\n"
	"CREATE TABLE c(x REFERENCES p(id), y REFERENCES p(name), z REFERENCES p, FOREIGN KEY(x, y) REFERENCES w2);\n"
	"INSERT INTO p VALUES(1, 'a', 0), (2, 'b', 0);\n"
	"INSERT INTO w2 VALUES(1, 'a'), (2, 'zz');\n"
	"INSERT INTO c VALUES(1, 'a', 2), (NULL, 'b', NULL), (2, NULL, '1');\n";

static void test_fk(void)
{
	tmpdb();
	copen();
	CHECK_EQ_INT(run(S10), 0);
	same_table(S10, "c", "x,y,z", "rowid");
	same_error(S10, "INSERT INTO c VALUES(3, NULL, NULL);");
	same_error(S10, "INSERT INTO c VALUES(NULL, 'zz', NULL);");
	same_error(S10, "INSERT INTO c VALUES(NULL, NULL, 5);");
	same_error(S10, "INSERT INTO c VALUES(2, 'b', NULL);");
	same_error(S10, "CREATE TABLE c2(q REFERENCES p(other)); INSERT INTO c2 VALUES(1);");
	/* off: nothing is checked */
	CHECK_EQ_INT(run("PRAGMA foreign_keys = OFF; INSERT INTO c VALUES(99, NULL, NULL);"), 0);
	cclose();
	rmdb();
}

static const char *S11 =
	"CREATE TABLE a(id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INT, CHECK (n < 1000));\n"
	"CREATE INDEX an ON a(n);\n"
	"INSERT INTO a VALUES(1, 'one', 10), (2, 'two', 20), (3, 'three', 30), (4, 'four', 40), (5, 'five', 50);\n"
	"UPDATE a SET n = n + 1 WHERE id % 2 = 1;\n"
	"UPDATE a SET k = upper(k), n = n * 2 WHERE n > 30;\n"
	"UPDATE OR IGNORE a SET k = 'one' WHERE id = 2;\n"
	"UPDATE OR REPLACE a SET k = 'one' WHERE id = 3;\n"
	"UPDATE a SET id = id + 100 WHERE id = 4;\n"
	"DELETE FROM a WHERE n = 20;\n"
	"INSERT INTO a(k, n) VALUES('six', 6);\n"
	"CREATE TABLE b(x INTEGER PRIMARY KEY, v);\n"
	"INSERT INTO b VALUES(1, 'from b'), (104, 'b104');\n"
	"UPDATE a SET k = b.v FROM b WHERE b.x = a.id;\n"
	"DELETE FROM b WHERE x IN (SELECT id FROM a WHERE n > 100);\n"
	"CREATE TABLE w(k, v, PRIMARY KEY(k)) WITHOUT ROWID;\n"
	"INSERT INTO w VALUES('x', 1), ('y', 2), ('z', 3);\n"
	"UPDATE w SET v = v * 10 WHERE k > 'x';\n"
	"UPDATE w SET k = 'a' WHERE k = 'z';\n"
	"DELETE FROM w WHERE v = 20;\n"
	"PRAGMA foreign_keys = ON;\n"
	"CREATE TABLE par(id INTEGER PRIMARY KEY);\n"
	"CREATE TABLE ch1(p REFERENCES par ON DELETE CASCADE, tag);\n"
	"CREATE TABLE ch2(p REFERENCES par ON DELETE SET NULL ON UPDATE CASCADE, tag);\n"
	"INSERT INTO par VALUES(1), (2), (3);\n"
	"INSERT INTO ch1 VALUES(1, 'c1'), (2, 'c2'), (2, 'c2b');\n"
	"INSERT INTO ch2 VALUES(2, 'd2'), (3, 'd3');\n"
	"DELETE FROM par WHERE id = 2;\n"
	"UPDATE par SET id = 30 WHERE id = 3;\n";

/* UPDATE and DELETE (rows found by the planner), foreign-key actions. */
static void test_update_delete(void)
{
	tmpdb();
	copen();
	CHECK_EQ_INT(run(S11), 0);
	same_table(S11, "a", "id,k,n", "id");
	same_table(S11, "b", "x,v", "x");
	same_table(S11, "w", "k,v", "k");
	same_table(S11, "ch1", "p,tag", "rowid");
	same_table(S11, "ch2", "p,tag", "rowid");
	same_error(S11, "UPDATE a SET k = 'six' WHERE n = 62;");
	same_error(S11, "UPDATE a SET n = 5000 WHERE id = 3;");
	same_error(S11, "UPDATE a SET zz = 1;");
	same_error(S11, "CREATE TABLE ch3(p REFERENCES par); INSERT INTO ch3 VALUES(1); DELETE FROM par WHERE id = 1;");
	same_table(S11, "a", "id,k,n", "id");
	{
		struct sql_table_def *t = sql_catalog_table(WS()->cat, "a");
		CHECK(t != NULL);
		if (t) /* the index has one entry per row */
			CHECK_EQ_INT(count_keys(t->idx[1]->id), count_keys(t->id));
	}
	cclose();
	rmdb();
}

/* Two connections on one database: the writer lock between them, the
 * catalog and rows of the other one seen at the next statement. */
static void test_two_conns(void)
{
	struct sql_open_opts o;
	struct sql_conn *a, *b;
	struct sdb_error e;

	tmpdb();
	sql_open_opts_default(&o);
	o.dir = dirbuf;
	o.store.sync = SDB_SYNC_OFF;
	o.store.lock_timeout = 0;
	CHECK_EQ_INT(sql_open(&o, &a, &e), 0);
	CHECK_EQ_INT(sql_exec(a, "CREATE TABLE t(x INTEGER PRIMARY KEY, y);", &e), 0);
	CHECK_EQ_INT(sql_open(&o, &b, &e), 0);
	/* a keeps the lock after its autocommit write: b is refused */
	CHECK_EQ_INT(sql_exec(b, "INSERT INTO t VALUES(1, 'b');", &e), SDB_EBUSY);
	CHECK_EQ_INT(sql_exec(a, "BEGIN; INSERT INTO t VALUES(2, 'a'); COMMIT;", &e), 0);
	/* the COMMIT gave it back; b sees t (created by a) and writes */
	CHECK_EQ_INT(sql_exec(b, "INSERT INTO t VALUES(3, 'b');", &e), 0);
	/* a deferred transaction whose snapshot b moved past: busy */
	CHECK_EQ_INT(sql_exec(b, "BEGIN; COMMIT;", &e), 0);
	CHECK_EQ_INT(sql_exec(a, "BEGIN; CREATE TABLE u(z); COMMIT;", &e), 0);
	CHECK_EQ_INT(sql_exec(b, "INSERT INTO u VALUES(1);", &e), 0);
	sql_close(b);
	C = a;
	{
		char *d = dump("t");
		CHECK_EQ_STR(d, "2|a|integer|text\n3|b|integer|text\n");
		free(d);
		d = dump("u");
		CHECK_EQ_STR(d, "1|integer\n");
		free(d);
	}
	C = NULL;
	sql_close(a);
	rmdb();
}

/* The same statements through the public API (sql.h). */
static void test_via_sql_h(void)
{
	static const char *S =
		"CREATE TABLE p(a INTEGER PRIMARY KEY, b TEXT NOT NULL);"
		"INSERT INTO p VALUES(1, 'one'), (2, 'two');"
		"BEGIN; INSERT INTO p(b) VALUES('three'); COMMIT;"
		"BEGIN; INSERT INTO p(b) VALUES('rolled back'); ROLLBACK;";
	struct sql_open_opts o;
	struct sql_conn *c;
	struct sdb_error e;

	tmpdb();
	sql_open_opts_default(&o);
	o.dir = dirbuf;
	o.store.sync = SDB_SYNC_OFF;
	CHECK_EQ_INT(sql_open(&o, &c, &e), 0);
	CHECK_EQ_INT(sql_exec(c, S, &e), 0);
	CHECK_EQ_INT(sql_last_insert_rowid(c), 4);
	CHECK(sql_exec(c, "INSERT INTO p VALUES(1, 'x');", &e) < 0);
	CHECK_EQ_STR(e.msg, "UNIQUE constraint failed: p.a");
	sql_close(c);
	wopen();
	same_table(S, "p", "a,b", "a");
	sql_store_close(&W);
	rmdb();
}

int main(void)
{
	if (system("sqlite3 -version >/dev/null 2>&1")) {
		printf("FAIL: sqlite3 is not installed (scripts/install-deps.sh test)\n");
		return 1;
	}
	test_record();
	test_format_example();
	test_insert_affinity();
	test_constraints();
	test_without_rowid_autoinc();
	test_index_drop();
	test_txn();
	test_limits();
	test_schema_rows();
	test_via_sql_h();
	test_expressions();
	test_upsert();
	test_alter();
	test_fk();
	test_two_conns();
	test_update_delete();
	return unit_done("test_sql_store");
}
