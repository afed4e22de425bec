/* test_sql_fresh.c - which commits a statement sees (sql.h): one that is
 * prepared, then another process commits, then stepped, sees the commit
 * (sql_prepare: the step looks again); sql_prepare_now sees every commit
 * made before it was called, and looks again at a rerun (sql_reset) and
 * once another statement ran on the connection in between (a SELECT of
 * literals too, which is kept for its text). The other
 * process is a fork with a connection of its own. */
#include "unit.h"
#include "sql/sql.h"

#include <sys/wait.h>
#include <unistd.h>

static char dbp[256];

/* Another process inserts one row into t and commits. */
static void other_commits(void)
{
	pid_t pid = fork();
	int st = 0;

	CHECK(pid >= 0);
	if (pid == 0) {
		struct sql_open_opts o;
		struct sql_conn *c;
		struct sdb_error e;
		int rc;

		sql_open_opts_default(&o);
		o.dir = dbp;
		rc = sql_open(&o, &c, &e);
		if (!rc)
			rc = sql_exec(c, "INSERT INTO t(v) VALUES (1)", &e);
		if (rc)
			printf("other process: %s\n", e.msg);
		sql_close(c);
		fflush(stdout);
		_exit(rc ? 1 : 0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The count(*) one step of h returns. */
static long long step_count(struct sql_stmt_h *h)
{
	struct sdb_error e;
	long long n = -1;

	if (sql_step(h, &e) == 1 && sql_column(h, 0)->type == SQLV_INT)
		n = sql_column(h, 0)->u.i;
	while (sql_step(h, &e) == 1)
		;
	return n;
}

static struct sql_stmt_h *prep(struct sql_conn *c, int now)
{
	static const char q[] = "SELECT count(*) FROM t";
	struct sql_stmt_h *h = NULL;
	struct sdb_error e;
	size_t used;

	if (now)
		CHECK_EQ_INT(sql_prepare_now(c, q, sizeof(q) - 1, &used, &h, &e), 0);
	else
		CHECK_EQ_INT(sql_prepare(c, q, sizeof(q) - 1, &used, &h, &e), 0);
	CHECK(h != NULL);
	return h;
}

int main(void)
{
	struct sql_open_opts o;
	struct sql_conn *c;
	struct sql_stmt_h *h;
	struct sdb_error e;

	if (!unit_tmpdb(dbp, sizeof(dbp), "fresh"))
		return 1;
	sql_open_opts_default(&o);
	o.dir = dbp;
	/* set up by a connection of its own: one that wrote keeps the
	 * writer lock, and the other process must write */
	CHECK_EQ_INT(sql_open(&o, &c, &e), 0);
	CHECK_EQ_INT(sql_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v);"
			      "INSERT INTO t(v) VALUES (1)", &e), 0);
	sql_close(c);
	CHECK_EQ_INT(sql_open(&o, &c, &e), 0);

	/* prepared, another process commits, stepped: sees it */
	h = prep(c, 0);
	other_commits();
	CHECK_EQ_INT(step_count(h), 2);
	sql_finalize(h);

	/* a commit made before sql_prepare_now */
	other_commits();
	h = prep(c, 1);
	CHECK_EQ_INT(step_count(h), 3);
	/* rerun after sql_reset: looks again */
	other_commits();
	CHECK_EQ_INT(sql_reset(h, &e), 0);
	CHECK_EQ_INT(step_count(h), 4);
	sql_finalize(h);

	/* another statement ran on c between prepare_now and the step */
	h = prep(c, 1);
	other_commits();
	CHECK_EQ_INT(sql_exec(c, "SELECT 1", &e), 0);
	CHECK_EQ_INT(step_count(h), 5);
	sql_finalize(h);

	/* two statements prepared, the second stepped first */
	struct sql_stmt_h *h2;
	h = prep(c, 1);
	h2 = prep(c, 1);
	CHECK_EQ_INT(step_count(h2), 5);
	other_commits();
	CHECK_EQ_INT(step_count(h), 6);
	sql_finalize(h);
	sql_finalize(h2);

	/* a SELECT of literals alone is kept and handed out again for the
	 * same text: two of them live at once are two handles, each steps
	 * its own rows, the kept one comes back after its finalize; used
	 * between a prepare_now and its step, it still makes that one look
	 * again */
	{
		static const char k[] = "SELECT 'a', 2;";
		struct sql_stmt_h *k1 = NULL, *k2 = NULL, *k3 = NULL;
		size_t used = 0;
		CHECK_EQ_INT(sql_prepare_now(c, k, sizeof(k) - 1, &used, &k1, &e), 0);
		CHECK_EQ_INT((int)used, (int)sizeof(k) - 1);
		CHECK_EQ_INT(sql_prepare_now(c, k, sizeof(k) - 1, &used, &k2, &e), 0);
		CHECK(k1 && k2 && k1 != k2);
		CHECK_EQ_INT(sql_step(k2, &e), 1);
		CHECK_EQ_INT(sql_step(k1, &e), 1);
		CHECK_EQ_INT((int)sql_column(k1, 1)->u.i, 2);
		CHECK_EQ_INT(sql_step(k1, &e), 0);
		sql_finalize(k1);
		CHECK_EQ_INT(sql_step(k2, &e), 0);
		sql_finalize(k2);
		/* the same text with more after its ';': the kept one again */
		CHECK_EQ_INT(sql_prepare_now(c, "SELECT 'a', 2; SELECT 3", 23, &used, &k3, &e), 0);
		CHECK(k3 == k1);
		CHECK_EQ_INT((int)used, (int)sizeof(k) - 1);
		CHECK_EQ_INT(sql_step(k3, &e), 1);
		CHECK_EQ_STR(sql_column(k3, 0)->u.z, "a");
		CHECK_EQ_INT(sql_step(k3, &e), 0);
		sql_finalize(k3);
		/* a longer text that starts the same (no ';'): parsed anew */
		CHECK_EQ_INT(sql_prepare_now(c, "SELECT 'a', 2 + 1", 17, &used, &k3, &e), 0);
		CHECK_EQ_INT(sql_step(k3, &e), 1);
		CHECK_EQ_INT((int)sql_column(k3, 1)->u.i, 3);
		sql_finalize(k3);
		h = prep(c, 1);
		other_commits();
		CHECK_EQ_INT(sql_exec(c, k, &e), 0);
		CHECK_EQ_INT(step_count(h), 7);
		sql_finalize(h);
	}

	/* a write of this connection in between (last: it keeps the
	 * writer lock) */
	h = prep(c, 1);
	other_commits();
	CHECK_EQ_INT(sql_exec(c, "INSERT INTO t(v) VALUES (2)", &e), 0);
	CHECK_EQ_INT(step_count(h), 9);
	sql_finalize(h);

	sql_close(c);
	unit_rmdb(dbp);
	return unit_done("test_sql_fresh");
}
