/* test_util.c - unit tests for lib/err, lib/buf and lib/io. */
#include "unit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_err(void)
{
	struct sdb_error e;
	char line[600];

	sdb_error_clear(&e);
	CHECK_EQ_INT(e.offset, -1);
	CHECK_EQ_INT(sdb_error_at(&e, SDB_EPARSE, 3, 17, "bad %s", "thing"), SDB_EPARSE);
	CHECK_EQ_STR(sdb_error_format(&e, line, sizeof(line)), "line 3, column 17: bad thing");
	errno = ENOENT;
	sdb_error_sys(&e, SDB_EIO, "cannot open '%s'", "x");
	CHECK_EQ_STR(e.msg, "cannot open 'x': No such file or directory");
	CHECK_EQ_INT(e.sys_errno, ENOENT);
	CHECK_EQ_STR(sdb_strerror(SDB_ECORRUPT), "data corruption");
	CHECK_EQ_INT(sdb_error_set(NULL, SDB_EIO, "x"), SDB_EIO);
}

static void test_buf(void)
{
	struct sdb_buf b = SDB_BUF_INIT;
	char *p;
	size_t n;

	for (int i = 0; i < 10000; i++)
		sdb_buf_addc(&b, (char)('a' + i % 26));
	CHECK_EQ_INT(b.len, 10000);
	CHECK(b.data[10000] == 0);
	sdb_buf_reset(&b);
	sdb_buf_addf(&b, "%d-%s", 42, "x");
	sdb_buf_adds(&b, "!");
	CHECK_EQ_STR(b.data, "42-x!");
	CHECK(sdb_buf_ok(&b));
	p = sdb_buf_detach(&b, &n);
	CHECK_EQ_INT(n, 5);
	CHECK(b.data == NULL && b.len == 0);
	free(p);
	p = sdb_buf_detach(&b, &n); /* empty buffer gives "" */
	CHECK(p && *p == 0 && n == 0);
	free(p);
	sdb_buf_release(&b);
	sdb_buf_release(NULL);
}

static void test_atomic(void)
{
	char dir[] = "/tmp/sdbunitXXXXXX", path[256], tmpname[300];
	struct sdb_atomic a;
	struct sdb_input in;
	struct sdb_error e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	CHECK_EQ_INT(sdb_atomic_open(&a, path, &e), 0);
	snprintf(tmpname, sizeof(tmpname), "%s", a.tmp);
	CHECK_EQ_INT(sdb_atomic_write(&a, "hello", 5, &e), 0);
	CHECK(access(path, F_OK) != 0); /* not visible before commit */
	CHECK_EQ_INT(sdb_atomic_commit(&a, &e), 0);
	CHECK(access(tmpname, F_OK) != 0);
	CHECK_EQ_INT(sdb_input_open(&in, path, &e), 0);
	CHECK(in.len == 5 && !memcmp(in.data, "hello", 5));
	sdb_input_close(&in);

	/* abort leaves neither the target nor the temp file */
	unlink(path);
	CHECK_EQ_INT(sdb_atomic_open(&a, path, &e), 0);
	snprintf(tmpname, sizeof(tmpname), "%s", a.tmp);
	sdb_atomic_write(&a, "x", 1, &e);
	sdb_atomic_abort(&a);
	CHECK(access(path, F_OK) != 0);
	CHECK(access(tmpname, F_OK) != 0);

	CHECK_EQ_INT(sdb_input_open(&in, "/nonexistent/zz", &e), SDB_ENOTFOUND);
	CHECK(strstr(e.msg, "cannot open '/nonexistent/zz'") != NULL);
	CHECK_EQ_INT(sdb_input_open(&in, dir, &e), SDB_EIO);
	rmdir(dir);
}

int main(void)
{
	test_err();
	test_buf();
	test_atomic();
	return unit_done("test_util");
}
