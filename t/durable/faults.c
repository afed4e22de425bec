/*
 * faults.c - a fault at every I/O point (RELIABILITY.md harness 3).
 *
 *   faults [KIND ...]      KIND: write fsync rename open unlink ftruncate
 *                          mkdir link alloc (default: all)
 *
 * Runs a fixed workload (puts, deletes, transactions of 3, checkpoints and
 * compactions; a fresh handle per operation, as the tools do; it starts
 * on a database whose WAL ends in a torn record, so the first writer cuts
 * it) once to count
 * the calls of each kind, then for every k fails the k-th call of a kind
 * through the I/O layer's fault hook (sdb_io_hook) with EIO and with ENOSPC,
 * and the k-th allocation of the library (malloc/calloc/realloc/strdup,
 * wrapped at link time) with ENOMEM -- once, and persistently (every call
 * from the k-th on). The workload goes on after a failed operation, as a
 * script would run the next command. Every run must:
 *   - fail an operation only where the fault hit, with a documented code
 *     (SDB_EIO: exit 3; SDB_ENOMEM: exit 3) and a message;
 *   - fail the operation in which a write, fsync, rename, open or mkdir
 *     failed (an fsync error is fatal for its commit: never success after
 *     a lost write); unlink and ftruncate failures may be tolerated (best
 *     effort removal of retired files, the cut after a failed append);
 *   - leave a database that reopens (reader and recovering writer agree),
 *     passes verify, holds every acknowledged commit (each failed one in
 *     or out, in order), and takes a new commit (durable.h dur_check);
 *   - leak no descriptor, and (SANITIZE=1 builds) no memory per
 *     LeakSanitizer.
 * Allocation points are all tried at STRESS_SCALE >= 1, every
 * round(1/STRESS_SCALE)-th below; at STRESS_SCALE >= 10 (make stress) the
 * workload runs three times over (45 operations). Prints "fault points N failures F".
 */
#define _GNU_SOURCE
#include "durable.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_recoverable_leak_check()
#else
#define LEAK_CHECK() 0
#endif

#define K_ALLOC SDB_IO_NKINDS
static const char *const kind_names[SDB_IO_NKINDS + 1] = {
	"write", "fsync", "rename", "open", "unlink", "ftruncate", "mkdir", "link", "alloc"
};

static const enum dur_op workload[] = {
	OP_PUT, OP_PUT, OP_TXN, OP_DEL, OP_CKPT, OP_PUT, OP_TXN, OP_COMPACT,
	OP_PUT, OP_TXN, OP_CKPT, OP_DEL, OP_PUT, OP_COMPACT, OP_PUT, OP_BULK,
	OP_PUT, OP_BULK,
};
#define NOPS ((int)(sizeof(workload) / sizeof(workload[0])))
static int nreps = 1; /* the workload runs nreps times (3 in make stress) */
#define SEED 7

static struct {
	int kind, err, persist;
	long k, fired;
	long calls[SDB_IO_NKINDS];
} F;

static int hook(enum sdb_io_kind kind, const char *name)
{
	(void)name;
	F.calls[kind]++;
	if ((int)kind != F.kind || F.k <= 0)
		return 0;
	if (F.calls[kind] == F.k || (F.persist && F.calls[kind] > F.k)) {
		F.fired++;
		return F.err;
	}
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static char workdir[3000];
static int start_torn; /* start from a database with a torn WAL tail */
static long runs, failures;
static int verbose;

static void fail(const char *what, int kind, long k, int err, int persist, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void fail(const char *what, int kind, long k, int err, int persist, const char *fmt, ...)
{
	va_list ap;

	failures++;
	if (failures > 20 && !verbose)
		return;
	printf("FAIL %s %s k=%ld %s%s: ", what, kind_names[kind], k, strerror(err),
	       persist ? " persist" : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Appends half a record to the newest WAL segment. */
static int append_junk(void)
{
	char p[4096], best[256] = "";
	struct dirent *de;
	DIR *d = opendir(workdir);
	FILE *f;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "wal-", 4) && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	snprintf(p, sizeof(p), "%s/%s", workdir, best);
	if (!best[0] || !(f = fopen(p, "ab")))
		return -1;
	fwrite("\x11\x22\x33\x44\x05\x00\x00\x00\x02", 1, 9, f);
	return fclose(f) ? -1 : 0;
}

/* One run of the workload with the fault armed (k 0: none). */
static void run(int kind, long k, int err, int persist, long *count)
{
	struct dur_hist h = { 0 };
	struct sdb_error e;
	uint64_t rnd = SEED;
	char why[1024];
	int fds = count_fds();

	dur_clear_dir(workdir);
	rmdir(workdir);
	/* the start: one acknowledged commit and a torn record at the end of
	 * the WAL, so the first writer cuts it (ftruncate + fdatasync) */
	if (start_torn && (dur_run_op(workdir, OP_PUT, &rnd, 600, &h, &e) || append_junk())) {
		fail("setup", kind, k, err, persist, "cannot prepare the database: %s", e.msg);
		dur_hist_free(&h);
		return;
	}
	memset(F.calls, 0, sizeof(F.calls));
	F.kind = kind;
	F.k = k;
	F.err = err;
	F.persist = persist;
	F.fired = 0;
	dur_alloc_calls = dur_alloc_fired = 0;
	dur_alloc_fail_at = kind == K_ALLOC ? k : 0;
	dur_alloc_persist = persist;
	sdb_io_hook = hook;
	for (int j = 0; j < NOPS * nreps; j++) {
		int i = j % NOPS;
		long before = F.fired + dur_alloc_fired;
		int rc, hit;
		sdb_error_clear(&e);
		rc = dur_run_op(workdir, workload[i], &rnd, 600, &h, &e);
		hit = F.fired + dur_alloc_fired > before;
		if (rc && !hit)
			fail("spurious", kind, k, err, persist, "op %d (%s) failed without a fault: %s",
			     j, dur_op_names[workload[i]], e.msg);
		else if (rc && rc != SDB_EIO && rc != SDB_ENOMEM)
			fail("code", kind, k, err, persist, "op %d (%s): undocumented code %d: %s",
			     j, dur_op_names[workload[i]], rc, e.msg);
		else if (rc && !e.msg[0])
			fail("message", kind, k, err, persist, "op %d (%s): error without a message",
			     j, dur_op_names[workload[i]]);
		else if (rc == SDB_ENOMEM && kind != K_ALLOC)
			fail("code", kind, k, err, persist, "op %d (%s): ENOMEM for an I/O fault: %s",
			     j, dur_op_names[workload[i]], e.msg);
		else if (!rc && hit && kind != SDB_IO_UNLINK && kind != SDB_IO_FTRUNCATE &&
			 kind != K_ALLOC)
			fail("ignored", kind, k, err, persist, "op %d (%s) succeeded although its %s failed",
			     j, dur_op_names[workload[i]], kind_names[kind]);
	}
	sdb_io_hook = NULL;
	dur_alloc_fail_at = 0;
	if (count) {
		for (int i = 0; i < SDB_IO_NKINDS; i++)
			count[i] = F.calls[i];
		count[K_ALLOC] = dur_alloc_calls;
	}
	runs++;
	if (dur_check(workdir, &h, 1, why, sizeof(why)))
		fail("reopen", kind, k, err, persist, "%s", why);
	dur_hist_free(&h);
	if (count_fds() != fds)
		fail("fd leak", kind, k, err, persist, "%d descriptors open before, %d after", fds, count_fds());
	if (LEAK_CHECK())
		fail("memory leak", kind, k, err, persist, "LeakSanitizer reported a leak (above)");
}

int main(int argc, char **argv)
{
	long count[SDB_IO_NKINDS + 1];
	long points = 0, runs_kind;
	char base[2048];
	double scale = dur_scale();
	long stride = scale >= 1 ? 1 : (long)(1 / scale + 0.5);
	int want[SDB_IO_NKINDS + 1];

	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = getenv("FAULTS_VERBOSE") != NULL;
	if (scale >= 10)
		nreps = 3;
	for (int i = 0; i <= SDB_IO_NKINDS; i++)
		want[i] = argc < 2;
	for (int a = 1; a < argc; a++) {
		int found = 0;
		for (int i = 0; i <= SDB_IO_NKINDS; i++)
			if (!strcmp(argv[a], kind_names[i]))
				want[i] = found = 1;
		if (!found) {
			fprintf(stderr, "faults: unknown kind '%s'\n", argv[a]);
			return 2;
		}
	}
	snprintf(base, sizeof(base), "%.2000s/sochdb-faults-%d", dur_tmp_base(), (int)getpid());
	if (mkdir(base, 0777) < 0 && errno != EEXIST) {
		perror("faults");
		return 2;
	}
	snprintf(workdir, sizeof(workdir), "%.2040s/db", base);
	for (start_torn = 0; start_torn < 2; start_torn++) {
		run(0, 0, 0, 0, count); /* counting run: no fault (k 0) */
		printf("workload: %d operations from %s;", NOPS * nreps,
		       start_torn ? "a database with a torn WAL tail" : "nothing");
		for (int i = 0; i <= SDB_IO_NKINDS; i++)
			printf(" %s %ld", kind_names[i], count[i]);
		printf("; allocation stride %ld\n", stride);
		for (int kind = 0; kind <= SDB_IO_NKINDS; kind++) {
			static const int io_errs[] = { EIO, ENOSPC }, mem_errs[] = { ENOMEM };
			const int *errs = kind == K_ALLOC ? mem_errs : io_errs;
			int nerr = kind == K_ALLOC ? 1 : 2;
			long f0 = failures;
			if (!want[kind])
				continue;
			runs_kind = 0;
			for (long k = 1; k <= count[kind]; k += kind == K_ALLOC ? stride : 1) {
				points++;
				for (int x = 0; x < nerr; x++)
					for (int persist = 0; persist < 2; persist++) {
						run(kind, k, errs[x], persist, NULL);
						runs_kind++;
					}
			}
			printf("%-9s %4ld points, %5ld runs, failures %ld\n", kind_names[kind],
			       kind == K_ALLOC ? (count[kind] + stride - 1) / stride : count[kind],
			       runs_kind, failures - f0);
		}
	}
	dur_clear_dir(workdir);
	rmdir(workdir);
	rmdir(base);
	{
		char label[64];
		int io = 0;
		for (int i = 0; i < SDB_IO_NKINDS; i++)
			io |= want[i];
		snprintf(label, sizeof(label), "fault points %s (%ld runs)",
			 io && want[K_ALLOC] ? "I/O+alloc" : io ? "I/O" : "alloc", runs - 2);
		dur_result("%-34s %12ld   failures %ld", label, points, failures);
	}
	printf("fault points %ld, runs %ld, failures %ld\n", points, runs - 2, failures);
	return failures ? 1 : 0;
}
