/*
 * powerloss.c - simulated power loss (RELIABILITY.md harness 2).
 *
 *   powerloss [--quick | --selftest]
 *
 * --quick: 20 sequences and one short random run. --selftest: the same,
 * with the WAL's fsyncs modelled as doing nothing; succeeds only when the
 * checks then fail (the harness can see a missing fsync).
 * DURABLE_SYNC=normal: the workloads commit with sync=normal (no fsync
 * per commit) and any prefix of the history is accepted: several commits
 * are unsynced at once, so a later one can survive an earlier torn one
 * (the synced marks of lib/store/wal.c tell such a tail from corruption).
 *
 * Runs workloads through the engine API with the I/O recording shim on
 * (lib/io.c, -DSDB_IO_TRACE), then replays the recorded operations through
 * a model of a file system after power loss, in the manner of ALICE and
 * CrashMonkey:
 *   - a file's data and size persist when the file is fsynced/fdatasynced;
 *     writes since then may be dropped, applied in any subset (reordered),
 *     or torn at 512-byte sector boundaries (a prefix or a subset of the
 *     sectors of one write);
 *   - directory entries (create, rename, unlink) persist when the directory
 *     is fsynced; the ones since then persist as an in-order prefix.
 * Crash points are the moments just before each fsync and the end of the
 * workload. For every crash point, distinct crash states are built (all
 * unsynced work lost, all of it kept, each half, and seeded random mixes),
 * written out as a real directory and checked with the real code
 * (durable.h dur_check_range): it opens, verify passes, and the data are a
 * prefix of the committed history holding every commit acknowledged
 * before the crash point.
 *
 * Workloads: every sequence of 1 to 3 operations of {put, del, txn of 3,
 * checkpoint, compact, bulk (a transaction and a bulk ingest of 3 keys)}, and seeded random runs of 200 operations
 * (4 x STRESS_SCALE runs; 6 x STRESS_SCALE random states per crash point).
 * Prints "crash states N failures F"; exit 1 on any failure.
 */
#define _GNU_SOURCE
#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ----------------------------------------------------------- recording */

struct ev {
	struct sdb_io_event e;
	int acked, started; /* history counters when the event happened */
};

static struct ev *evs;
static size_t nev, evcap;
static struct dur_hist hist;

static char *dup_mem(const void *p, size_t n)
{
	char *d = malloc(n + 1);

	if (!d) {
		perror("powerloss");
		exit(2);
	}
	memcpy(d, p, n);
	d[n] = 0;
	return d;
}

static void record(const struct sdb_io_event *e)
{
	struct ev *x;

	if (nev == evcap) {
		evcap = evcap ? evcap * 2 : 1024;
		evs = realloc(evs, evcap * sizeof(*evs));
		if (!evs) {
			perror("powerloss");
			exit(2);
		}
	}
	x = &evs[nev++];
	x->e = *e;
	x->e.path = e->path ? dup_mem(e->path, strlen(e->path)) : NULL;
	x->e.path2 = e->path2 ? dup_mem(e->path2, strlen(e->path2)) : NULL;
	x->e.data = e->data ? dup_mem(e->data, e->len) : NULL;
	x->acked = hist.acked;
	x->started = hist.n;
}

static void events_free(void)
{
	for (size_t i = 0; i < nev; i++) {
		free((void *)evs[i].e.path);
		free((void *)evs[i].e.path2);
		free((void *)evs[i].e.data);
	}
	nev = 0;
}

/* ---------------------------------------------------------- the model */

#define MAXNAMES 256
#define MAXINO 1024
#define MAXFD 1024

struct pend { /* one unsynced file operation */
	int trunc;
	long long off;
	const unsigned char *data;
	size_t len;
};

struct inode {
	unsigned char *dur, *cur;
	size_t dlen, clen, dcap, ccap;
	struct pend *p;
	int np, pcap;
	int wal; /* a WAL segment (for --selftest) */
};

struct ent {
	char name[96];
	int ino;
};

struct ns {
	struct ent e[MAXNAMES];
	int n;
};

struct dirop {
	int type; /* 0 create, 1 rename, 2 unlink */
	char name[96], name2[96];
	int ino;
};

static struct inode inos[MAXINO];
static int nino;
static int fdmap[MAXFD];
static struct ns cur_ns, dur_ns;
static struct dirop *dops;
static int ndops, dopcap;
static const char *dbdir;
static int selftest; /* model WAL fsyncs as lost: the checks must fail */

static void die(const char *m)
{
	fprintf(stderr, "powerloss: %s\n", m);
	exit(2);
}

static int ns_find(const struct ns *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].name, name))
			return i;
	return -1;
}

static void ns_set(struct ns *s, const char *name, int ino)
{
	int i = ns_find(s, name);

	if (i < 0) {
		if (s->n == MAXNAMES)
			die("too many names");
		i = s->n++;
		snprintf(s->e[i].name, sizeof(s->e[i].name), "%s", name);
	}
	s->e[i].ino = ino;
}

static void ns_del(struct ns *s, const char *name)
{
	int i = ns_find(s, name);

	if (i >= 0)
		s->e[i] = s->e[--s->n];
}

/* basename of path when it lies directly in the database directory */
static const char *in_db(const char *path)
{
	size_t n = strlen(dbdir);

	if (!path || strncmp(path, dbdir, n) || path[n] != '/' || strchr(path + n + 1, '/'))
		return NULL;
	return path + n + 1;
}

static void buf_apply(unsigned char **b, size_t *len, size_t *cap, int trunc,
		      long long off, const unsigned char *data, size_t n)
{
	size_t end = trunc ? (size_t)off : (size_t)off + n;

	if (end > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < end)
			nc *= 2;
		*b = realloc(*b, nc);
		if (!*b)
			die("out of memory");
		*cap = nc;
	}
	if (trunc) {
		if ((size_t)off > *len)
			memset(*b + *len, 0, (size_t)off - *len);
		*len = (size_t)off;
		return;
	}
	if ((size_t)off > *len)
		memset(*b + *len, 0, (size_t)off - *len);
	if (n)
		memcpy(*b + off, data, n);
	if (end > *len)
		*len = end;
}

static void ino_op(int ino, int trunc, long long off, const unsigned char *d, size_t n)
{
	struct inode *x = &inos[ino];

	buf_apply(&x->cur, &x->clen, &x->ccap, trunc, off, d, n);
	if (x->np == x->pcap) {
		x->pcap = x->pcap ? x->pcap * 2 : 16;
		x->p = realloc(x->p, (size_t)x->pcap * sizeof(*x->p));
		if (!x->p)
			die("out of memory");
	}
	x->p[x->np++] = (struct pend){ trunc, off, d, n };
}

static void add_dirop(int type, const char *a, const char *b, int ino)
{
	struct dirop *d;

	if (ndops == dopcap) {
		dopcap = dopcap ? dopcap * 2 : 64;
		dops = realloc(dops, (size_t)dopcap * sizeof(*dops));
		if (!dops)
			die("out of memory");
	}
	d = &dops[ndops++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	snprintf(d->name, sizeof(d->name), "%s", a);
	if (b)
		snprintf(d->name2, sizeof(d->name2), "%s", b);
	d->ino = ino;
}

static void model_reset(void)
{
	for (int i = 0; i < nino; i++) {
		free(inos[i].dur);
		free(inos[i].cur);
		free(inos[i].p);
	}
	memset(inos, 0, sizeof(inos));
	nino = 0;
	for (int i = 0; i < MAXFD; i++)
		fdmap[i] = -1;
	cur_ns.n = dur_ns.n = 0;
	ndops = 0;
}

static void model_step(const struct sdb_io_event *e)
{
	const char *n = in_db(e->path), *n2;
	int ino = e->fd >= 0 && e->fd < MAXFD ? fdmap[e->fd] : -1;
	int i;

	switch (e->kind) {
	case SDB_IO_OPEN:
		if (e->fd < 0 || e->fd >= MAXFD)
			die("descriptor out of range");
		fdmap[e->fd] = -1;
		if (!n)
			return;
		i = ns_find(&cur_ns, n);
		if (i < 0) {
			if (!(e->flags & O_CREAT))
				return;
			if (nino == MAXINO)
				die("too many inodes");
			ino = nino++;
			inos[ino].wal = !strncmp(n, "wal-", 4);
			ns_set(&cur_ns, n, ino);
			add_dirop(0, n, NULL, ino);
		} else {
			ino = cur_ns.e[i].ino;
			if (e->flags & O_TRUNC)
				ino_op(ino, 1, 0, NULL, 0);
		}
		fdmap[e->fd] = ino;
		return;
	case SDB_IO_WRITE:
		if (ino >= 0)
			ino_op(ino, 0, e->off, e->data, e->len);
		return;
	case SDB_IO_FTRUNCATE:
		if (ino >= 0)
			ino_op(ino, 1, e->off, NULL, 0);
		return;
	case SDB_IO_FSYNC:
		if (e->dir) {
			if (!strcmp(e->path, dbdir)) {
				dur_ns = cur_ns;
				ndops = 0;
			}
			return;
		}
		if (ino >= 0 && !(selftest && inos[ino].wal)) {
			struct inode *x = &inos[ino];
			x->dlen = 0;
			buf_apply(&x->dur, &x->dlen, &x->dcap, 0, 0, x->cur, x->clen);
			x->np = 0;
		}
		return;
	case SDB_IO_RENAME:
		n2 = in_db(e->path2);
		if (!n || !n2 || (i = ns_find(&cur_ns, n)) < 0)
			return;
		ino = cur_ns.e[i].ino;
		ns_del(&cur_ns, n);
		ns_set(&cur_ns, n2, ino);
		add_dirop(1, n, n2, ino);
		return;
	case SDB_IO_UNLINK:
		if (!n || ns_find(&cur_ns, n) < 0)
			return;
		ns_del(&cur_ns, n);
		add_dirop(2, n, NULL, -1);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------- crash states */

static long states, failures, crash_points;
static int verbose;
static char crashdir[3000];

struct variant {
	int d;     /* directory operations applied (a prefix) */
	int mode;  /* 0 none, 1 all, 2 subset + tear, 3 prefix + tear, 4 all, last write's sectors a subset */
	uint64_t seed;
};

static void tear(struct pend *p, uint64_t *r, int subset, unsigned char **b,
		 size_t *len, size_t *cap)
{
	long long s0 = p->off, s1 = p->off + (long long)p->len;
	long long first = (s0 / 512 + 1) * 512;

	if (p->trunc || first >= s1) {
		/* within one sector: all or nothing */
		if (dur_rand(r) & 1)
			buf_apply(b, len, cap, p->trunc, p->off, p->data, p->len);
		return;
	}
	if (!subset) {
		/* a prefix ending on a sector boundary */
		long long nb = (s1 - 1 - first) / 512 + 1, cut = first + (long long)(dur_rand(r) % (uint64_t)nb) * 512;
		buf_apply(b, len, cap, 0, s0, p->data, (size_t)(cut - s0));
		return;
	}
	for (long long a = s0; a < s1;) {
		long long z = (a / 512 + 1) * 512;
		if (z > s1)
			z = s1;
		if (dur_rand(r) & 1)
			buf_apply(b, len, cap, 0, a, p->data + (a - s0), (size_t)(z - a));
		a = z;
	}
}

struct file {
	char name[96];
	unsigned char *b;
	size_t len, cap;
};

static struct file files[MAXNAMES];
static int nfiles;

static void build(const struct variant *v)
{
	struct ns s = dur_ns;
	uint64_t r = v->seed;

	for (int i = 0; i < v->d; i++) {
		const struct dirop *d = &dops[i];
		int j;
		if (d->type == 0)
			ns_set(&s, d->name, d->ino);
		else if (d->type == 1) {
			if ((j = ns_find(&s, d->name)) >= 0) {
				int ino = s.e[j].ino;
				ns_del(&s, d->name);
				ns_set(&s, d->name2, ino);
			}
		} else
			ns_del(&s, d->name);
	}
	nfiles = s.n;
	for (int i = 0; i < s.n; i++) {
		struct inode *x = &inos[s.e[i].ino];
		struct file *f = &files[i];
		int last = -1, upto;
		snprintf(f->name, sizeof(f->name), "%s", s.e[i].name);
		f->len = 0;
		buf_apply(&f->b, &f->len, &f->cap, 0, 0, x->dur, x->dlen);
		switch (v->mode) {
		case 0:
			break;
		case 1:
			for (int k = 0; k < x->np; k++)
				buf_apply(&f->b, &f->len, &f->cap, x->p[k].trunc, x->p[k].off, x->p[k].data, x->p[k].len);
			break;
		case 2:
			for (int k = 0; k < x->np; k++)
				if (dur_rand(&r) & 1)
					last = k;
			for (int k = 0; k < x->np; k++) {
				if (k == last && (dur_rand(&r) & 1))
					tear(&x->p[k], &r, 0, &f->b, &f->len, &f->cap);
				else if (k <= last && (k == last || (dur_rand(&r) & 1)))
					buf_apply(&f->b, &f->len, &f->cap, x->p[k].trunc, x->p[k].off, x->p[k].data, x->p[k].len);
			}
			break;
		case 3:
			upto = x->np ? (int)(dur_rand(&r) % (uint64_t)(x->np + 1)) : 0;
			for (int k = 0; k < upto; k++) {
				if (k == upto - 1)
					tear(&x->p[k], &r, 0, &f->b, &f->len, &f->cap);
				else
					buf_apply(&f->b, &f->len, &f->cap, x->p[k].trunc, x->p[k].off, x->p[k].data, x->p[k].len);
			}
			break;
		case 4:
			for (int k = 0; k < x->np; k++) {
				if (k == x->np - 1)
					tear(&x->p[k], &r, 1, &f->b, &f->len, &f->cap);
				else
					buf_apply(&f->b, &f->len, &f->cap, x->p[k].trunc, x->p[k].off, x->p[k].data, x->p[k].len);
			}
			break;
		}
	}
}

static uint64_t state_hash(void)
{
	uint64_t h = 1469598103934665603ull;

	/* order-independent over files */
	uint64_t sum = 0;
	for (int i = 0; i < nfiles; i++) {
		uint64_t x = h;
		for (const char *c = files[i].name; *c; c++)
			x = (x ^ (unsigned char)*c) * 1099511628211ull;
		x = (x ^ 0xff) * 1099511628211ull;
		for (size_t k = 0; k < files[i].len; k++)
			x = (x ^ files[i].b[k]) * 1099511628211ull;
		x = (x ^ files[i].len) * 1099511628211ull;
		sum += x * 0x9e3779b97f4a7c15ull + (x >> 17);
	}
	return sum;
}

static void materialise(void)
{
	char p[4096];

	dur_clear_dir(crashdir);
	if (strlen(crashdir) > 3000)
		die("path too long");
	for (int i = 0; i < nfiles; i++) {
		int fd;
		snprintf(p, sizeof(p), "%.3000s/%.95s", crashdir, files[i].name);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || (files[i].len && write(fd, files[i].b, files[i].len) != (ssize_t)files[i].len))
			die("cannot write a crash state");
		close(fd);
	}
}

static const char *cur_workload;

/* All distinct crash states of the model as it is now. */
static void crash_point(size_t evi, int lo, int hi, int nrand, uint64_t seed)
{
	struct variant v[72];
	uint64_t seen[72];
	int nv = 0, nseen = 0, pending = ndops > 0;

	for (int i = 0; i < nino; i++)
		if (inos[i].np)
			pending = 1;
	crash_points++;
	v[nv++] = (struct variant){ 0, 0, 0 };
	if (pending) {
		v[nv++] = (struct variant){ ndops, 1, 0 };
		v[nv++] = (struct variant){ ndops, 0, 0 };
		v[nv++] = (struct variant){ 0, 1, 0 };
		for (int i = 0; i < nrand && nv < 72; i++) {
			uint64_t r = seed ^ (evi * 0x100000001b3ull) ^ (uint64_t)i * 0x9e3779b97f4a7c15ull;
			int d = (int)(dur_rand(&r) % (uint64_t)(ndops + 1));
			int mode = 2 + (int)(dur_rand(&r) % 3);
			v[nv++] = (struct variant){ d, mode, r };
		}
	}
	for (int i = 0; i < nv; i++) {
		char why[1024];
		uint64_t h;
		int dup = 0;
		build(&v[i]);
		h = state_hash();
		for (int k = 0; k < nseen; k++)
			dup |= seen[k] == h;
		if (dup)
			continue;
		seen[nseen++] = h;
		materialise();
		states++;
		if (dur_check_range(crashdir, &hist, lo, hi, 1, why, sizeof(why))) {
			failures++;
			if (failures <= 10 || verbose) {
				printf("FAIL %s: crash before event %zu (dirops %d/%d, mode %d, seed %llu), commits %d..%d: %s\n",
				       cur_workload, evi, v[i].d, ndops, v[i].mode,
				       (unsigned long long)v[i].seed, lo, hi, why);
				for (int f = 0; f < nfiles; f++)
					printf("  %s %zu bytes\n", files[f].name, files[f].len);
			}
		}
	}
}

/* Runs ops on a fresh database while recording, then walks the record. */
static void run_workload(const char *name, const enum dur_op *ops, int nops,
			 uint64_t seed, int vmax, int nrand, const char *workdir)
{
	struct sdb_error e;
	uint64_t rnd = seed;

	cur_workload = name;
	dur_clear_dir(workdir);
	rmdir(workdir);
	dur_hist_free(&hist);
	events_free();
	sdb_io_trace = record;
	for (int i = 0; i < nops; i++) {
		sdb_error_clear(&e);
		if (dur_run_op(workdir, ops[i], &rnd, vmax, &hist, &e)) {
			printf("FAIL %s: op %d (%s) failed without a fault: %s\n", name, i,
			       dur_op_names[ops[i]], e.msg);
			failures++;
			break;
		}
	}
	sdb_io_trace = NULL;
	model_reset();
	for (size_t i = 0; i < nev; i++) {
		if (evs[i].e.kind == SDB_IO_FSYNC)
			crash_point(i, getenv("DURABLE_SYNC") ? 0 : evs[i].acked, evs[i].started, nrand, seed);
		model_step(&evs[i].e);
	}
	crash_point(nev, getenv("DURABLE_SYNC") ? 0 : hist.n, hist.n, nrand, seed);
}

int main(int argc, char **argv)
{
	char base[2048], workdir[3000], name[256];
	double scale = dur_scale();
	int quick = argc > 1 && (!strcmp(argv[1], "--quick") || !strcmp(argv[1], "--selftest"));
	int nrand = (int)(6 * scale + 0.5), runs = (int)(4 * scale + 0.5);
	enum dur_op ops[200];
	long nseq = 0;
	uint64_t seed0 = getenv("POWERLOSS_SEED") ? strtoull(getenv("POWERLOSS_SEED"), NULL, 10) : 20261121;

	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = getenv("POWERLOSS_VERBOSE") != NULL;
	selftest = argc > 1 && !strcmp(argv[1], "--selftest");
	if (nrand < 1)
		nrand = 1;
	if (nrand > 60)
		nrand = 60;
	if (runs < 1)
		runs = 1;
	snprintf(base, sizeof(base), "%.2000s/sochdb-powerloss-%d", dur_tmp_base(), (int)getpid());
	if (mkdir(base, 0777) < 0 && errno != EEXIST)
		die("cannot create the scratch directory");
	snprintf(workdir, sizeof(workdir), "%.2040s/db", base);
	snprintf(crashdir, sizeof(crashdir), "%.2040s/crash", base);
	if (mkdir(crashdir, 0777) < 0)
		die("cannot create the crash directory");
	dbdir = workdir;
	printf("power loss: seed %llu (POWERLOSS_SEED), STRESS_SCALE %g: %d random states per crash point, %d random runs\n",
	       (unsigned long long)seed0, scale, nrand, runs);

	/* every sequence of 1..3 operations */
	for (int len = 1; len <= 3; len++) {
		int total = 1;
		for (int i = 0; i < len; i++)
			total *= OP_N;
		for (int s = 0; s < total; s++) {
			int x = s, o = 0;
			for (int i = 0; i < len; i++, x /= OP_N)
				ops[i] = (enum dur_op)(x % OP_N);
			for (int i = 0; i < len; i++)
				o += snprintf(name + o, sizeof(name) - (size_t)o, "%s%s", i ? "," : "seq ", dur_op_names[ops[i]]);
			run_workload(name, ops, len, seed0 + (uint64_t)s * 31 + (uint64_t)len, 700, nrand, workdir);
			nseq++;
			if (quick && nseq >= 20)
				goto random;
		}
	}
random:
	printf("sequences %ld: crash points %ld, states %ld, failures %ld\n", nseq, crash_points, states, failures);
	/* seeded random runs of 200 operations */
	for (int r = 0; r < (quick ? 1 : runs); r++) {
		uint64_t rs = seed0 * 1000003 + (uint64_t)r, rr = rs;
		int n = quick ? 40 : 200;
		for (int i = 0; i < n; i++) {
			unsigned x = (unsigned)(dur_rand(&rr) % 100);
			ops[i] = x < 42 ? OP_PUT : x < 56 ? OP_DEL : x < 78 ? OP_TXN : x < 87 ? OP_BULK : x < 95 ? OP_CKPT : OP_COMPACT;
		}
		snprintf(name, sizeof(name), "random run %d (seed %llu)", r, (unsigned long long)rs);
		run_workload(name, ops, n, rs, 1200, nrand > 12 ? 6 : nrand > 3 ? nrand / 2 : nrand, workdir);
		printf("%s: crash points %ld, states %ld, failures %ld\n", name, crash_points, states, failures);
	}
	if (selftest) {
		/* an engine whose WAL fsyncs do nothing must be caught */
		printf("selftest: WAL fsyncs modelled as lost: %ld of %ld crash states fail (must be > 0)\n",
		       failures, states);
		failures = failures ? 0 : 1;
	} else
		dur_result("%-34s %12ld   failures %ld", getenv("DURABLE_SYNC") ?
			   "power loss: crash states (normal)" : "power loss: crash states", states, failures);
	dur_hist_free(&hist);
	events_free();
	free(evs);
	free(dops);
	model_reset();
	for (int i = 0; i < MAXNAMES; i++)
		free(files[i].b);
	dur_clear_dir(workdir);
	rmdir(workdir);
	dur_clear_dir(crashdir);
	rmdir(crashdir);
	rmdir(base);
	printf("crash points %ld, crash states %ld, failures %ld\n", crash_points, states, failures);
	return failures ? 1 : 0;
}
