/* common.c - workload, history model and checks shared by the durability
 * harnesses (see durable.h). Test code: it may print. */
#define _GNU_SOURCE
#include "durable.h"
#include "store/txn.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const dur_op_names[OP_N] = { "put", "del", "txn", "checkpoint", "compact", "bulk" };

/* ------------------------------------------------- allocation faults */

int dur_alloc_armed, dur_alloc_persist;
long dur_alloc_calls, dur_alloc_fail_at, dur_alloc_fired;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static int alloc_fail(void)
{
	if (!dur_alloc_armed)
		return 0;
	dur_alloc_calls++;
	if (dur_alloc_fail_at > 0 && (dur_alloc_calls == dur_alloc_fail_at ||
	    (dur_alloc_persist && dur_alloc_calls > dur_alloc_fail_at))) {
		dur_alloc_fired++;
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n) { return alloc_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return alloc_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return alloc_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return alloc_fail() ? NULL : __real_strdup(s); }

/* ------------------------------------------------------------ helpers */

double dur_scale(void)
{
	const char *s = getenv("STRESS_SCALE");
	double v = s && *s ? atof(s) : 1;

	return v > 0 ? v : 1;
}

const char *dur_tmp_base(void)
{
	const char *s = getenv("DURABLE_TMP");
	struct stat st;

	if (s && *s)
		return s;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	s = getenv("TMPDIR");
	return s && *s ? s : "/tmp";
}

void dur_result(const char *fmt, ...)
{
	const char *p = getenv("SDB_RESULTS");
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!p || !*p || !(f = fopen(p, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

void dur_clear_dir(const char *dir)
{
	char p[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

void dur_opts(struct sdb_opts *o)
{
	sdb_opts_default(o);
	o->sync = getenv("DURABLE_SYNC") && !strcmp(getenv("DURABLE_SYNC"), "normal") ?
		  SDB_SYNC_NORMAL : SDB_SYNC_FULL;
	o->no_auto = 1;
	o->lock_timeout = 2;
	o->segment_bytes = 4096;
}

void dur_hist_free(struct dur_hist *h)
{
	for (int i = 0; i < h->n; i++)
		for (int j = 0; j < h->c[i].n; j++)
			free(h->c[i].val[j]);
	free(h->c);
	memset(h, 0, sizeof(*h));
}

/* ------------------------------------------------------------ workload */

static int ikey(struct sdb_buf *b, int k, struct sdb_error *e)
{
	char key[16];

	snprintf(key, sizeof(key), "k%02d", k);
	return sdb_ikey_make(b, "", 0, key, strlen(key), e);
}

static char *make_val(int commit, int op, size_t len)
{
	char *v = malloc(len + 1);
	int n;

	if (!v)
		return NULL;
	n = snprintf(v, len + 1, "c%d.%d:", commit, op);
	for (size_t i = (size_t)n < len ? (size_t)n : len; i < len; i++)
		v[i] = (char)('a' + (i * 7 + (size_t)commit) % 26);
	v[len] = 0;
	return v;
}

static int has_db(const char *dir)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/MANIFEST", dir);
	return stat(p, &st) == 0;
}

int dur_run_op(const char *dir, enum dur_op op, uint64_t *rnd, int vmax,
	       struct dur_hist *h, struct sdb_error *e)
{
	struct sdb_opts o;
	struct sdb_maint_opts m;
	struct sdb_batch b;
	struct sdb_buf ik = SDB_BUF_INIT;
	struct dur_commit *c;
	struct sdb_db *db;
	int did, rc;

	dur_opts(&o);
	memset(&m, 0, sizeof(m));
	if (op == OP_CKPT || op == OP_COMPACT) {
		if (!has_db(dir))
			return 0; /* the tool says "no database": nothing to do */
		m.level = -1;
		dur_alloc_armed = 1;
		rc = op == OP_CKPT ? sdb_checkpoint(dir, &o, &m, &did, e)
				   : sdb_compact(dir, &o, &m, &did, e);
		dur_alloc_armed = 0;
		return rc;
	}
	/* a commit: decide its operations first (model), then run it */
	if (h->n == h->cap) {
		int ncap = h->cap ? h->cap * 2 : 64;
		struct dur_commit *nc = realloc(h->c, (size_t)ncap * sizeof(*nc));
		if (!nc)
			return sdb_error_set(e, SDB_ENOMEM, "harness out of memory");
		h->c = nc;
		h->cap = ncap;
	}
	c = &h->c[h->n];
	memset(c, 0, sizeof(*c));
	c->n = op == OP_TXN || op == OP_BULK ? 3 : 1;
	for (int i = 0; i < c->n; i++) {
		int k;
		do
			k = (int)(dur_rand(rnd) % DUR_NKEYS);
		while ((i > 0 && k == c->key[0]) || (i > 1 && k == c->key[1]));
		c->key[i] = k;
		if (op == OP_PUT || ((op == OP_TXN || op == OP_BULK) && i < 2)) {
			c->len[i] = 1 + (size_t)(dur_rand(rnd) % (uint64_t)vmax);
			c->val[i] = make_val(h->n, i, c->len[i]);
		}
	}
	h->n++;
	dur_alloc_armed = 1;
	rc = sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &o, &db, e);
	if (!rc && op == OP_BULK) {
		/* key 0 in the transaction, keys 1 and 2 in the bulk (sorted) */
		struct sdb_txn *t = NULL;
		struct sdb_sorter *so = NULL;
		struct sdb_bulk *bk = NULL;
		if (!(rc = ikey(&ik, c->key[0], e)) && !(rc = sdb_txn_begin(db, &t, e)))
			rc = sdb_txn_put(t, ik.data, ik.len, c->val[0], c->len[0], 0, e);
		if (!rc)
			rc = sdb_sorter_new(&so, e);
		for (int i = 1; !rc && i < 3; i++) {
			if ((rc = ikey(&ik, c->key[i], e)))
				break;
			rc = c->val[i] ? sdb_sorter_put(so, ik.data, ik.len, c->val[i], c->len[i], 0, e)
				       : sdb_sorter_del(so, ik.data, ik.len, e);
		}
		if (!rc && !(rc = sdb_bulk_begin(db, &bk, e))) {
			if ((rc = sdb_sorter_feed(so, bk, e)))
				sdb_bulk_abort(bk);
			else
				rc = sdb_bulk_commit(bk, t, e);
		}
		sdb_sorter_free(so);
		sdb_txn_free(t);
		sdb_db_close(db);
	} else if (!rc) {
		sdb_batch_init(&b);
		for (int i = 0; !rc && i < c->n; i++) {
			if ((rc = ikey(&ik, c->key[i], e)))
				break;
			rc = c->val[i] ? sdb_batch_put(&b, ik.data, ik.len, c->val[i], c->len[i], 0, e)
				       : sdb_batch_del(&b, ik.data, ik.len, e);
		}
		if (!rc)
			rc = sdb_db_commit(db, &b, 1, e);
		sdb_batch_release(&b);
		sdb_db_close(db);
	}
	dur_alloc_armed = 0;
	sdb_buf_release(&ik);
	c->status = rc ? -1 : 1;
	if (!rc)
		h->acked++;
	return rc;
}

/* -------------------------------------------------------------- checks */

struct content {
	struct dur_state s;
	int extra; /* the "zz" key written by the check */
	size_t nextra;
	char *xval;
};

static void content_free(struct content *c)
{
	for (int i = 0; i < DUR_NKEYS; i++)
		free(c->s.val[i]);
	free(c->xval);
	memset(c, 0, sizeof(*c));
}

/* Reads every live key of a snapshot. */
static int read_content(struct sdb_db *db, struct content *c, char *why, size_t wl)
{
	struct sdb_iter *it;
	struct sdb_error e;
	const unsigned char *k;
	size_t kl;
	struct sdb_val v;
	int rc;

	memset(c, 0, sizeof(*c));
	sdb_error_clear(&e);
	if ((rc = sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e))) {
		snprintf(why, wl, "iter_open: %s", e.msg);
		return -1;
	}
	while ((rc = sdb_iter_next(it, &k, &kl, &v, &e)) == 1) {
		int idx = -1;
		if (kl == 4 && k[0] == 0 && k[1] == 'k' && k[2] >= '0' && k[2] <= '9' &&
		    k[3] >= '0' && k[3] <= '9')
			idx = (k[2] - '0') * 10 + (k[3] - '0');
		if (kl == 3 && k[0] == 0 && k[1] == 'z' && k[2] == 'z') {
			c->extra = 1;
			c->xval = malloc(v.len + 1);
			memcpy(c->xval, v.data, v.len);
			c->nextra = v.len;
			continue;
		}
		if (idx < 0 || idx >= DUR_NKEYS || c->s.val[idx]) {
			snprintf(why, wl, "unexpected key of %zu bytes", kl);
			sdb_iter_close(it);
			return -1;
		}
		c->s.val[idx] = malloc(v.len + 1);
		memcpy(c->s.val[idx], v.data, v.len);
		c->s.len[idx] = v.len;
	}
	sdb_iter_close(it);
	if (rc < 0) {
		snprintf(why, wl, "iterate: %s", e.msg);
		return -1;
	}
	return 0;
}

static int state_eq(const struct dur_state *a, const struct dur_state *b)
{
	for (int i = 0; i < DUR_NKEYS; i++) {
		if (!a->val[i] != !b->val[i])
			return 0;
		if (a->val[i] && (a->len[i] != b->len[i] || memcmp(a->val[i], b->val[i], a->len[i])))
			return 0;
	}
	return 1;
}

static void apply(struct dur_state *s, const struct dur_commit *c)
{
	for (int i = 0; i < c->n; i++) {
		s->val[c->key[i]] = c->val[i];
		s->len[c->key[i]] = c->len[i];
	}
}

/* Is db content reachable: commits [0, j) for lo <= j <= hi, each failed
 * one in or out? Returns the smallest such j or -1. */
static int match(const struct dur_hist *h, struct dur_state s, int idx, int lo,
		 int hi, const struct dur_state *db)
{
	int r;

	if (idx >= lo && state_eq(&s, db))
		return idx;
	if (idx >= hi)
		return -1;
	if (h->c[idx].status == -1 && (r = match(h, s, idx + 1, lo, hi, db)) >= 0)
		return r;
	apply(&s, &h->c[idx]);
	return match(h, s, idx + 1, lo, hi, db);
}

static int content_eq(const struct content *a, const struct content *b)
{
	return state_eq(&a->s, &b->s) && a->extra == b->extra;
}

int dur_check_range(const char *dir, const struct dur_hist *h, int lo, int hi,
		    int may_be_empty, char *why, size_t wl)
{
	struct sdb_opts o;
	struct sdb_error e;
	struct sdb_db *db;
	struct sdb_verify v;
	struct content c1, c2;
	struct dur_state empty;
	struct sdb_batch b;
	struct sdb_buf ik = SDB_BUF_INIT;
	int rc, ret = -1;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&empty, 0, sizeof(empty));
	dur_opts(&o);
	sdb_error_clear(&e);
	/* 1. a reader */
	rc = sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &o, &db, &e);
	if (rc == SDB_ENOTFOUND && may_be_empty && lo == 0)
		return 0;
	if (rc) {
		snprintf(why, wl, "reader open: %s", e.msg);
		return -1;
	}
	rc = read_content(db, &c1, why, wl);
	sdb_db_close(db);
	if (rc)
		goto out;
	if (c1.extra || match(h, empty, 0, lo, hi, &c1.s) < 0) {
		snprintf(why, wl, "reader sees a state that is no prefix of %d..%d commits", lo, hi);
		goto out;
	}
	/* 2. the next writer recovers (cuts a torn tail) and sees the same */
	rc = sdb_db_open(dir, SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, &o, &db, &e);
	if (rc) {
		snprintf(why, wl, "writer open: %s", e.msg);
		goto out;
	}
	rc = read_content(db, &c2, why, wl);
	sdb_db_close(db);
	if (rc)
		goto out;
	if (!content_eq(&c1, &c2)) {
		snprintf(why, wl, "writer sees other data than the reader");
		goto out;
	}
	content_free(&c2);
	/* 3. verify */
	memset(&v, 0, sizeof(v));
	if ((rc = sdb_verify(dir, &v, &e)) || v.damaged) {
		snprintf(why, wl, "verify: %s", rc ? e.msg : v.what);
		if (!rc)
			snprintf(why, wl, "verify: %s at %llu: %s", v.file,
				 (unsigned long long)v.offset, v.what);
		goto out;
	}
	/* 4. life goes on: a new commit is durable and readable */
	rc = sdb_db_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE, &o, &db, &e);
	if (rc) {
		snprintf(why, wl, "writer open for a new commit: %s", e.msg);
		goto out;
	}
	sdb_batch_init(&b);
	sdb_ikey_make(&ik, "", 0, "zz", 2, NULL);
	rc = sdb_batch_put(&b, ik.data, ik.len, "after", 5, 0, &e);
	if (!rc)
		rc = sdb_db_commit(db, &b, 1, &e);
	sdb_batch_release(&b);
	sdb_db_close(db);
	if (rc) {
		snprintf(why, wl, "new commit after recovery: %s", e.msg);
		goto out;
	}
	rc = sdb_db_open(dir, SDB_OPEN_SNAPSHOT, &o, &db, &e);
	if (rc) {
		snprintf(why, wl, "reopen after new commit: %s", e.msg);
		goto out;
	}
	rc = read_content(db, &c2, why, wl);
	sdb_db_close(db);
	if (rc)
		goto out;
	if (!state_eq(&c1.s, &c2.s) || !c2.extra || c2.nextra != 5 || memcmp(c2.xval, "after", 5)) {
		snprintf(why, wl, "a commit after recovery is lost or changed older data");
		goto out;
	}
	ret = 0;
out:
	content_free(&c1);
	content_free(&c2);
	sdb_buf_release(&ik);
	return ret;
}

int dur_check(const char *dir, const struct dur_hist *h, int may_be_empty,
	      char *why, size_t whylen)
{
	int lo = 0;

	/* every acknowledged commit, and everything before it, is required */
	for (int i = 0; i < h->n; i++)
		if (h->c[i].status == 1)
			lo = i + 1;
	return dur_check_range(dir, h, lo, h->n, may_be_empty, why, whylen);
}
