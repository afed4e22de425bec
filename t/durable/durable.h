/*
 * durable.h - shared parts of the durability harnesses (t/durable/):
 * the workload driven through the engine API, the model of the committed
 * history, and the check that a database directory holds a prefix of that
 * history. Linked against the recording/fault build of the library
 * ($(B)/trace/libsochdb.a, -DSDB_IO_TRACE), with malloc/calloc/realloc/
 * strdup wrapped (-Wl,--wrap) so allocations of the library can be failed.
 */
#ifndef SDB_DURABLE_H
#define SDB_DURABLE_H

#include "util/io.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define DUR_NKEYS 12

/* OP_BULK: one commit of 3 keys, a put in a transaction and a put and a
 * delete in a bulk ingest committed with it (sdb_bulk_commit) */
enum dur_op { OP_PUT, OP_DEL, OP_TXN, OP_CKPT, OP_COMPACT, OP_BULK, OP_N };
extern const char *const dur_op_names[OP_N];

/* One logical state: value per key (NULL: absent). */
struct dur_state {
	char *val[DUR_NKEYS];
	size_t len[DUR_NKEYS];
};

/* A commit: up to 3 key operations (val NULL: delete). */
struct dur_commit {
	int n;
	int key[3];
	char *val[3];
	size_t len[3];
	int status; /* 1 acknowledged, -1 failed (outcome unknown), 0 not run */
};

struct dur_hist {
	struct dur_commit *c;
	int n, cap;
	int acked; /* commits acknowledged so far */
};

/* Allocation fault hook (wrapped malloc & co.): counts calls while armed,
 * fails the fail_at-th (and later ones with persist) with ENOMEM. */
extern int dur_alloc_armed;
extern long dur_alloc_calls, dur_alloc_fail_at, dur_alloc_fired;
extern int dur_alloc_persist;

void dur_hist_free(struct dur_hist *h);

/* Runs one workload operation on the database in dir, the way the tools
 * do (a fresh handle per operation). rnd drives keys and value sizes.
 * Appends to h when the op is a commit. @return 0 or the engine's error. */
int dur_run_op(const char *dir, enum dur_op op, uint64_t *rnd, int vmax,
	       struct dur_hist *h, struct sdb_error *e);

/* The options every harness opens with (sync full, no automatic
 * maintenance, small WAL segments). */
void dur_opts(struct sdb_opts *o);

/*
 * Checks the database in dir: a reader sees a state that equals history
 * applied with every acknowledged commit and any subset (in order) of the
 * failed ones, for a prefix of at least h->acked commits; the next writer
 * (recovery) sees the same; verify finds no damage; a new commit after
 * recovery is readable. may_be_empty: no database at all is fine while
 * nothing was acknowledged. @return 0 or -1 with a message in why.
 */
int dur_check(const char *dir, const struct dur_hist *h, int may_be_empty,
	      char *why, size_t whylen);

/* The same with the accepted prefix lengths given: commits [0, j) for
 * some lo <= j <= hi (failed commits in or out). */
int dur_check_range(const char *dir, const struct dur_hist *h, int lo, int hi,
		    int may_be_empty, char *why, size_t whylen);

/* rm -rf of the contents of dir (not dir itself). */
void dur_clear_dir(const char *dir);
/* A scratch directory: $DURABLE_TMP, /dev/shm or $TMPDIR. */
const char *dur_tmp_base(void);
/* STRESS_SCALE from the environment (default 1). */
double dur_scale(void);
/* Appends one line to $SOCHDB_BUILD/results-table.txt (if set). */
void dur_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline uint64_t dur_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
