/*
 * sochdb-wal - maintenance of a SochDB database, made for cron:
 * checkpoint, compact, verify, stats, dump, truncate, recover, backup
 * (DESIGN.md "sochdb-wal"). Quiet, exit 0, when there is nothing to do.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dbopt.h"

#include "fmt/fmt.h"
#include "sql/sql.h"
#include "sql/vecindex.h"
#include "util/io.h"
#include "util/buf.h"
#include "json/json.h"
#include "util/text.h"
#include "toon/toon.h"
#include "util/tsv.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: sochdb-wal [common options] COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  checkpoint  flush the WAL to a table and retire the covered WAL\n"
	"  compact     merge tables (all, or --level N into N+1)\n"
	"  verify      check every checksum; exit 1 with file and offset of damage\n"
	"  stats       WAL and table figures\n"
	"  dump        print WAL records\n"
	"  truncate    remove WAL covered by a checkpoint: truncate --up-to LSN\n"
	"  recover     cut a torn or damaged WAL tail as the lock holder\n"
	"  backup      consistent copy of the database: backup DEST\n"
	"  salvage     what still checks out into a fresh database: salvage DEST\n"
	"\n"
	"Common options, before or after COMMAND: -d, --db DIR (default $SOCHDB_DIR,\n"
	"else ./sochdb_data), --lock-timeout SECONDS (30), --sync full|normal|off,\n"
	"-q, -v. 'sochdb-wal help COMMAND' or 'sochdb-wal COMMAND -h' shows the rest.\n"
	"Exit status: 0 ok (also: nothing to do), 1 damage found, 2 usage error,\n"
	"3 failure, 4 done but writing the output failed.\n";
enum {
	O_IF_LARGER = 1, O_SKIP_BUSY, O_LEVEL, O_DRY_RUN, O_UP_TO, O_FROM,
	O_FORMAT, O_COPY,
};

/* before the subcommand, or after it in any of them */
#define COMMON_HIDDEN \
	{ OPT_QUIET, 'q', "quiet", NULL, NULL }, \
	{ OPT_VERBOSE, 'v', "verbose", NULL, NULL }, \
	{ OPT_PROGRESS, 0, "progress", NULL, NULL }, \
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL }
#define COMMON \
	{ DBOPT_DB, 'd', "db", "DIR", "database directory (default $SOCHDB_DIR, else ./sochdb_data)" }, \
	{ DBOPT_LOCK_TIMEOUT, 0, "lock-timeout", "SECS", "wait this long for a lock (default 30)" }, \
	{ DBOPT_SYNC, 0, "sync", "MODE", "full (default), normal or off (no fsync at all)" }, \
	COMMON_HIDDEN

static const struct opt common[] = { COMMON, OPT_END };

static const char h_checkpoint[] =
	"usage: sochdb-wal checkpoint [options]\n"
	"Flushes the WAL since the last checkpoint to a level-0 table, records\n"
	"the checkpoint and removes the covered WAL; then compacts level 0 when\n"
	"it holds 4 tables or more. First folds every SQL HNSW index whose delta\n"
	"and tombstones hold 256 rows or more (and 5% of its base rows): REINDEX.\n";
static const struct opt o_checkpoint[] = {
	COMMON,
	{ O_IF_LARGER, 0, "if-larger-than", "SIZE", "only when the WAL since the checkpoint is\n"
	  "larger than SIZE (suffixes k, M, G)" },
	{ O_SKIP_BUSY, 0, "skip-if-busy", NULL, "exit 0 at once when another checkpoint or\n"
	  "compaction runs" },
	OPT_END
};
static const char h_compact[] =
	"usage: sochdb-wal compact [options]\n"
	"Merges every table into one sorted run at the deepest level (dropping\n"
	"deleted and expired records), or with --level N level N into N+1.\n"
	"First folds SQL HNSW indexes as checkpoint does.\n";
static const struct opt o_compact[] = {
	COMMON,
	{ O_LEVEL, 0, "level", "N", "compact level N (0..5) into N+1" },
	{ O_IF_LARGER, 0, "if-larger-than", "SIZE", "only when level-0 bytes plus deleted bytes\n"
	  "exceed SIZE" },
	{ O_SKIP_BUSY, 0, "skip-if-busy", NULL, "exit 0 at once when another maintenance runs" },
	OPT_END
};
static const char h_verify[] =
	"usage: sochdb-wal verify [options]\n"
	"Checks the manifest, every table block checksum and every WAL record,\n"
	"and the section checksums of every SQL HNSW index file in use.\n"
	"Exit 0 clean; exit 1 with the first damage (file and offset) on stderr.\n";
static const struct opt o_verify[] = { COMMON, OPT_END };
static const char h_stats[] =
	"usage: sochdb-wal stats [options]\n"
	"Prints WAL segments, bytes and records since the checkpoint, LSNs and\n"
	"table counts.\n";
static const struct opt o_stats[] = {
	COMMON,
	{ O_FORMAT, 0, "format", "F", "toon (default) or json" },
	OPT_END
};
static const char h_dump[] =
	"usage: sochdb-wal dump [options]\n"
	"Prints the WAL records of the segments present: lsn, type, ns, key,\n"
	"value (TSV-escaped), expires_ms, info (commit: operations;\n"
	"checkpoint: its LSN).\n";
static const struct opt o_dump[] = {
	COMMON,
	{ O_FROM, 0, "from", "LSN", "start at LSN" },
	{ O_FORMAT, 0, "format", "F", "toon (default), json or jsonl" },
	OPT_END
};
static const char h_truncate[] =
	"usage: sochdb-wal truncate --up-to LSN [options]\n"
	"Removes WAL segments wholly below LSN; LSN must not be past the last\n"
	"checkpoint (exit 3).\n";
static const struct opt o_truncate[] = {
	COMMON,
	{ O_UP_TO, 0, "up-to", "LSN", "the LSN to truncate up to" },
	OPT_END
};
static const char h_recover[] =
	"usage: sochdb-wal recover [options]\n"
	"Takes the write lock, cuts a torn or damaged WAL tail (announced with\n"
	"LSN, offset and bytes), replays the WAL and checks every table: when\n"
	"all check out, removes a damage mark (writers refuse while it stays).\n";
static const struct opt o_recover[] = {
	COMMON,
	{ O_DRY_RUN, 0, "dry-run", NULL, "report what would be cut, change nothing" },
	OPT_END
};
static const char h_backup[] =
	"usage: sochdb-wal backup [options] DEST\n"
	"Copies the database to DEST (absent or empty, not inside the database)\n"
	"while others write: hard links of the tables plus the WAL up to a\n"
	"transaction boundary, and the SQL HNSW index files in use. Every table's\n"
	"and index file's checksums are checked on the way: damage exits 1 and\n"
	"leaves nothing at DEST.\n";
static const struct opt o_backup[] = {
	COMMON,
	{ O_COPY, 0, "copy", NULL, "copy the tables instead of hard-linking them" },
	OPT_END
};

static const char h_salvage[] =
	"usage: sochdb-wal salvage [options] DEST\n"
	"Writes every table block and committed WAL transaction that still\n"
	"checks out into a fresh database at DEST (absent or empty), skipping\n"
	"damage, and prints what was lost: what, file, offset, bytes, lsn_from,\n"
	"lsn_to, ns_from, key_from, ns_to, key_to. Exit 0 nothing lost, 1 some\n"
	"of it lost (DEST holds the rest), 3 failure (nothing at DEST). SQL HNSW\n"
	"index files that check out are copied; a damaged one is reported on\n"
	"standard error and left out (exit 1): queries scan until REINDEX rebuilds it.\n";
static const struct opt o_salvage[] = {
	COMMON,
	{ O_FORMAT, 0, "format", "F", "toon (default), json or jsonl" },
	OPT_END
};

struct walopt {
	struct dbopt db;
	struct sdb_maint_opts m;
	enum sdb_fmt fmt;
	int has_upto, copy;
	uint64_t upto, from;
	const char *pos;
};

/* Parses a command's options; maxpos: how many arguments it takes. */
static void parse(struct walopt *w, int argc, char **argv, const char *head,
		  const struct opt *tab, int maxpos)
{
	struct opt_parser p;
	const char *v;
	int c;

	memset(w, 0, sizeof(*w));
	dbopt_init(&w->db);
	w->m.level = -1;
	w->fmt = SDB_FMT_TOON;
	opt_init(&p, tab, head, argc, argv);
	while ((c = opt_next(&p, &v)) != OPT_EOF) {
		switch (c) {
		case OPT_ARG:
			if (!maxpos || w->pos)
				die_usage("unexpected argument '%s'", v);
			w->pos = v;
			break;
		case O_IF_LARGER: w->m.if_larger_than = parse_size("--if-larger-than", v); break;
		case O_SKIP_BUSY: w->m.skip_if_busy = 1; break;
		case O_LEVEL: w->m.level = (int)cli_parse_long("--level", v, 0, 5); break;
		case O_DRY_RUN: w->m.dry_run = 1; break;
		case O_UP_TO:
			w->upto = parse_size("--up-to", v);
			w->has_upto = 1;
			break;
		case O_FROM: w->from = parse_size("--from", v); break;
		case O_FORMAT: {
			struct sdb_error e;
			unsigned allowed = SDB_FMT_BIT(SDB_FMT_TOON) | SDB_FMT_BIT(SDB_FMT_JSON) |
					   (tab == o_dump || tab == o_salvage ? SDB_FMT_BIT(SDB_FMT_JSONL) : 0);
			if (sdb_fmt_parse(v, allowed, &w->fmt, &e))
				die_usage("%s", e.msg);
			break;
		}
		case O_COPY: w->copy = 1; break;
		default:
			dbopt_take(&w->db, c, v);
		}
	}
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	if (cli_verbosity < 2)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void sql_opts(const struct walopt *w, struct sql_open_opts *so, int readonly)
{
	sql_open_opts_default(so);
	so->dir = w->db.dir;
	so->store = w->db.o;
	so->readonly = readonly;
}

/* The SQL HNSW indexes with enough pending rows are folded first, so the
 * checkpoint or compaction that follows takes their writes along. */
static void fold_hnsw(const struct walopt *w)
{
	struct sql_open_opts so;
	struct sdb_error e;
	int rc, folded = 0;

	sql_opts(w, &so, 0);
	sdb_error_clear(&e);
	if ((rc = sql_hnsw_fold_all(&so, 256, &folded, &e)))
		die_err(rc, &e);
	if (folded)
		info("folded %d hnsw index%s", folded, folded > 1 ? "es" : "");
}

static int verify_one(void *arg, const char *index, const char *path, uint64_t nbase,
		      struct sdb_error *e)
{
	int *n = arg;
	(*n)++;
	return sql_hnsw_verify_file(path, nbase, e);
}

/* Copies src to dst through a temporary file (a hard link when copy is 0
 * and the file system allows: the file is immutable). */
static int copy_index_file(const char *src, const char *dst, int copy, struct sdb_error *e)
{
	struct sdb_atomic a;
	char buf[1 << 16];
	ssize_t n;
	int fd, rc;

	if (!copy && !link(src, dst))
		return sdb_io_fsync_dir_of(dst, e);
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot open '%s'", src);
	if ((rc = sdb_atomic_open(&a, dst, e))) {
		close(fd);
		return rc;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if ((rc = sdb_atomic_write(&a, buf, (size_t)n, e)))
			break;
	if (!rc && n < 0)
		rc = sdb_error_sys(e, SDB_EIO, "cannot read '%s'", src);
	close(fd);
	if (rc) {
		sdb_atomic_abort(&a);
		return rc;
	}
	return sdb_atomic_commit(&a, e);
}

struct copyctx {
	const char *dest;
	const char *src;       /* salvage: the walk is over DEST's catalog, files come from here */
	int copy, verify_only, salvage;
	int copied, damaged;
	struct lostctx *lost;
};

static int copy_one(void *arg, const char *index, const char *path, uint64_t nbase,
		    struct sdb_error *e)
{
	struct copyctx *c = arg;
	const char *base = strrchr(path, '/');
	char dir[4200], dst[4400], from[4400];
	int rc;

	if (c->src) {
		snprintf(from, sizeof from, "%s/sql-vec%s", c->src, base ? base : "/x.hnsw");
		path = from;
	}
	rc = sql_hnsw_verify_file(path, nbase, e);

	if (rc == SDB_ECORRUPT && c->salvage) {
		cli_warn("%s; hnsw index %s left out of the salvage: REINDEX %s rebuilds it", e->msg,
			 index, index);
		sdb_error_clear(e);
		c->damaged++;
		return 0;
	}
	if (rc || c->verify_only)
		return rc;
	snprintf(dir, sizeof dir, "%s/sql-vec", c->dest);
	snprintf(dst, sizeof dst, "%s%s", dir, base ? base : "/x.hnsw");
	if ((rc = sdb_io_mkdir(dir, e)) || (rc = copy_index_file(path, dst, c->copy, e)))
		return rc;
	c->copied++;
	return 0;
}

typedef int (*maint_fn)(const char *dir, const struct sdb_opts *o,
			const struct sdb_maint_opts *m, int *did,
			struct sdb_error *e);

/* checkpoint and compact: the same options, run, and report. */
static int wal_maint(int argc, char **argv, const char *head,
		     const struct opt *tab, maint_fn run, const char *done)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	int did;

	parse(&w, argc, argv, head, tab, 0);
	fold_hnsw(&w);
	sdb_error_clear(&e);
	if ((rc = run(w.db.dir, &w.db.o, &w.m, &did, &e)))
		die_err(rc, &e);
	cli_committed();
	info(did ? done : "nothing to do");
	return EXIT_OK;
}

static int wal_checkpoint(int argc, char **argv)
{
	return wal_maint(argc, argv, h_checkpoint, o_checkpoint, sdb_checkpoint,
			 "checkpoint done");
}

static int wal_compact(int argc, char **argv)
{
	return wal_maint(argc, argv, h_compact, o_compact, sdb_compact,
			 "compaction done");
}

static int wal_verify(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct sdb_verify v;

	parse(&w, argc, argv, h_verify, o_verify, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_verify(w.db.dir, &v, &e)))
		die_err(rc, &e);
	if (v.marked)
		cli_warn("damage mark in '%s/DAMAGE': writers refuse until 'sochdb-wal recover' finds every table whole (%s)",
			 w.db.dir, v.mark);
	if (v.damaged) {
		cli_error("%s", v.what);
		return EXIT_NEGATIVE;
	}
	{
		struct sql_open_opts so;
		int nfiles = 0;
		sql_opts(&w, &so, 1);
		rc = sql_hnsw_files(&so, verify_one, &nfiles, &e);
		if (rc == SDB_ECORRUPT) {
			cli_error("%s", e.msg);
			return EXIT_NEGATIVE;
		}
		if (rc)
			die_err(rc, &e);
		if (nfiles)
			info("ok: %d hnsw index files", nfiles);
	}
	info("ok: %d tables (%" PRIu64 " bytes), %d WAL segments, %" PRIu64 " records",
	     v.tables, v.table_bytes, v.segments, v.records);
	return EXIT_OK;
}

/* What goes to stdout: the row writer's buffer, drained by cli_out_sink. */
static struct sdb_buf ob = SDB_BUF_INIT;

static int wal_stats(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct sdb_db *db;
	struct sdb_stats st;
	struct sdb_cell levels[SDB_LEVELS];
	int ntab = 0;

	parse(&w, argc, argv, h_stats, o_stats, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_db_open(w.db.dir, SDB_OPEN_SNAPSHOT, &w.db.o, &db, &e)) ||
	    (rc = sdb_db_stats(db, "", 0, 1, &st, &e)))
		die_err(rc, &e);
	for (int l = 0; l < SDB_LEVELS; l++) {
		ntab += st.tables_per_level[l];
		levels[l] = sdb_cell_int(st.tables_per_level[l]);
	}
	{
		const struct sdb_fmt_opts o = { w.fmt, 0, &ob, cli_out_sink, NULL };
		const struct sdb_fmt_field f[] = {
			{ "wal_segments", sdb_cell_int(st.wal_segments), NULL, 0, NULL, 0 },
			{ "wal_bytes", sdb_cell_uint(st.wal_bytes), NULL, 0, NULL, 0 },
			{ "checkpoint_lsn", sdb_cell_uint(st.checkpoint_lsn), NULL, 0, NULL, 0 },
			{ "wal_end_lsn", sdb_cell_uint(st.wal_end_lsn), NULL, 0, NULL, 0 },
			{ "tables", sdb_cell_int(ntab), NULL, 0, NULL, 0 },
			{ "table_bytes", sdb_cell_uint(st.table_bytes), NULL, 0, NULL, 0 },
			{ "tables_per_level", sdb_cell_absent(), levels, SDB_LEVELS, NULL, 0 },
			{ "keys", sdb_cell_uint(st.keys), NULL, 0, NULL, 0 },
		};
		if (sdb_fmt_record(&o, f, sizeof(f) / sizeof(f[0]), &e))
			cli_die_output(&e);
	}
	sdb_db_close(db);
	return EXIT_OK;
}

static const struct sdb_fmt_col dump_cols[] = {
	{ "lsn", 0 }, { "type", 0 }, { "ns", 0 }, { "key", 0 },
	{ "value", 0 }, { "expires_ms", 0 }, { "info", 0 },
};

struct dumpctx {
	struct sdb_fmt_writer w;
	struct sdb_buf t[3]; /* the TSV-escaped ns, key and value */
	struct sdb_error *e;
	int out_failed; /* the row writer failed, not the walk */
};

static const char *const type_names[SDB_REC_LAST + 1] = {
	[SDB_REC_BEGIN] = "begin", [SDB_REC_PUT] = "put", [SDB_REC_DEL] = "del",
	[SDB_REC_COMMIT] = "commit", [SDB_REC_ABORT] = "abort",
	[SDB_REC_CHECKPOINT] = "checkpoint", [SDB_REC_DELRANGE] = "delrange",
};

/* Bytes as their TSV-escaped text (a text cell in json and toon). */
static struct sdb_cell esc_cell(struct sdb_buf *t, const void *p, size_t n)
{
	sdb_buf_reset(t);
	sdb_tsv_escape(t, p, n);
	return sdb_cell_text(t->data, t->len);
}

/* Writes one row whose text cells point into the nt buffers t (checked
 * for a failed allocation first); a failure of the writer itself sets
 * *out_failed, so the caller can tell it from a failed walk. @return 0 or
 * the error. */
static int put_row(struct sdb_fmt_writer *w, const struct sdb_cell *c,
		   const struct sdb_buf *t, int nt, struct sdb_error *e,
		   int *out_failed)
{
	for (int i = 0; i < nt; i++)
		if (!sdb_buf_ok(&t[i]))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (sdb_fmt_row(w, c, e)) {
		*out_failed = 1;
		return e->code;
	}
	return 0;
}

static int dump_rec(void *ctx, const struct sdb_wal_entry *x)
{
	struct dumpctx *d = ctx;
	int op = x->type == SDB_REC_PUT || x->type == SDB_REC_DEL;
	int dr = x->type == SDB_REC_DELRANGE; /* key lo, value hi: whole internal keys */
	size_t nl = op ? x->key[0] : 0;
	struct sdb_cell c[7];

	c[0] = sdb_cell_uint(x->lsn);
	c[1] = sdb_cell_str(type_names[x->type]);
	c[2] = op && nl ? esc_cell(&d->t[0], x->key + 1, nl) : sdb_cell_null();
	c[3] = op ? esc_cell(&d->t[1], x->key + 1 + nl, x->klen - 1 - nl) :
		dr ? esc_cell(&d->t[1], x->key, x->klen) : sdb_cell_null();
	c[4] = x->type == SDB_REC_PUT || dr ? esc_cell(&d->t[2], x->val, x->vlen) : sdb_cell_null();
	c[5] = x->expires_ms ? sdb_cell_uint(x->expires_ms) : sdb_cell_null();
	c[6] = x->type == SDB_REC_COMMIT || x->type == SDB_REC_CHECKPOINT ?
		sdb_cell_uint(x->info) : sdb_cell_null();
	return put_row(&d->w, c, d->t, 3, d->e, &d->out_failed);
}

static int wal_dump(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct dumpctx d;
	struct sdb_fmt_opts o = { SDB_FMT_TOON, 0, &ob, cli_out_sink, NULL };

	parse(&w, argc, argv, h_dump, o_dump, 0);
	memset(&d, 0, sizeof(d));
	d.e = &e;
	o.fmt = w.fmt;
	sdb_error_clear(&e);
	if (sdb_fmt_begin(&d.w, &o, dump_cols, 7, &e))
		cli_die_output(&e);
	if ((rc = sdb_wal_walk(w.db.dir, w.from, &w.db.o, dump_rec, &d, &e))) {
		if (d.out_failed)
			cli_die_output(&e);
		die_err(rc, &e);
	}
	if (sdb_fmt_end(&d.w, &e))
		cli_die_output(&e);
	for (int i = 0; i < 3; i++)
		sdb_buf_release(&d.t[i]);
	return EXIT_OK;
}

static int wal_truncate(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	int removed;

	parse(&w, argc, argv, h_truncate, o_truncate, 0);
	if (!w.has_upto)
		die_usage("missing --up-to LSN");
	sdb_error_clear(&e);
	if ((rc = sdb_wal_truncate(w.db.dir, &w.db.o, w.upto, &removed, &e)))
		die_err(rc, &e);
	cli_committed();
	info("removed %d WAL segments", removed);
	return EXIT_OK;
}

static int wal_recover(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct sdb_recover_report r;

	parse(&w, argc, argv, h_recover, o_recover, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_recover(w.db.dir, &w.db.o, w.m.dry_run, &r, &e)))
		die_err(rc, &e);
	if (!w.m.dry_run)
		cli_committed();
	if (r.cut)
		cli_warn("%s %s WAL tail at LSN %" PRIu64 " ('%s' offset %" PRIu64 "): %" PRIu64 " bytes",
			 w.m.dry_run ? "would cut" : "cut", r.damaged ? "damaged" : "torn",
			 r.lsn, r.file, r.offset, r.bytes);
	info("WAL replays to LSN %" PRIu64 " (%zu live entries)", r.wal_end, r.entries);
	if (r.marked)
		cli_warn("every table checks out: %s the damage mark (%s)",
			 r.cleared ? "removed" : "would remove", r.mark);
	return EXIT_OK;
}

static int wal_backup(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;

	parse(&w, argc, argv, h_backup, o_backup, 1);
	if (!w.pos)
		die_usage("missing DEST");
	sdb_error_clear(&e);
	struct sql_open_opts so;
	struct copyctx cc = { w.pos, NULL, w.copy, 1, 0, 0, 0, NULL };
	sql_opts(&w, &so, 1);
	/* the index files are checked before anything is written to DEST */
	rc = sql_hnsw_files(&so, copy_one, &cc, &e);
	if (!rc)
		rc = sdb_backup(w.db.dir, w.pos, &w.db.o, w.copy, &e);
	if (rc == SDB_ECORRUPT) { /* damage found, as verify: exit 1 */
		cli_error("%s", e.msg);
		return EXIT_NEGATIVE;
	}
	if (rc)
		die_err(rc, &e);
	/* then copied: the files the snapshot after the backup names (a fold
	 * keeps the previous generation, so the backup's one is among them
	 * unless two folds ran during the backup) */
	cc.verify_only = 0;
	if ((rc = sql_hnsw_files(&so, copy_one, &cc, &e)))
		die_err(rc, &e);
	return EXIT_OK;
}

static const struct sdb_fmt_col lost_cols[] = {
	{ "what", 0 }, { "file", 0 }, { "offset", 0 }, { "bytes", 0 },
	{ "lsn_from", 0 }, { "lsn_to", 0 }, { "ns_from", 0 }, { "key_from", 0 },
	{ "ns_to", 0 }, { "key_to", 0 },
};

struct lostctx {
	struct sdb_fmt_writer w;
	struct sdb_buf t[4]; /* TSV-escaped ns and key of both ends */
	struct sdb_error *e;
	int out_failed;
};

/* The namespace and key cells of an internal key (null when unknown). */
static void key_cells(struct sdb_buf *t, const unsigned char *ik, size_t n,
		      struct sdb_cell *c)
{
	const char *ns, *k;
	size_t nl, kl;

	if (!ik) {
		c[0] = c[1] = sdb_cell_null();
		return;
	}
	sdb_ikey_split(ik, n, &ns, &nl, &k, &kl);
	c[0] = esc_cell(&t[0], ns, nl);
	c[1] = esc_cell(&t[1], k, kl);
}

static int lost_row(void *ctx, const struct sdb_lost *l)
{
	struct lostctx *d = ctx;
	int where = l->bytes && strcmp(l->what, "txn") && strcmp(l->what, "wal-missing");
	struct sdb_cell c[10];

	c[0] = sdb_cell_str(l->what);
	c[1] = l->file ? sdb_cell_str(l->file) : sdb_cell_null();
	c[2] = where ? sdb_cell_uint(l->offset) : sdb_cell_null();
	c[3] = where ? sdb_cell_uint(l->bytes) : sdb_cell_null();
	c[4] = l->has_lsn ? sdb_cell_uint(l->lsn_from) : sdb_cell_null();
	c[5] = l->has_lsn ? sdb_cell_uint(l->lsn_to) : sdb_cell_null();
	key_cells(&d->t[0], l->key_from, l->kflen, &c[6]);
	key_cells(&d->t[2], l->key_to, l->ktlen, &c[8]);
	return put_row(&d->w, c, d->t, 4, d->e, &d->out_failed);
}

static int wal_salvage(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	struct lostctx d;
	struct sdb_salvage_report r;
	int rc;
	struct sdb_fmt_opts o = { SDB_FMT_TOON, 0, &ob, cli_out_sink, NULL };

	parse(&w, argc, argv, h_salvage, o_salvage, 1);
	if (!w.pos)
		die_usage("missing DEST");
	memset(&d, 0, sizeof(d));
	d.e = &e;
	o.fmt = w.fmt;
	sdb_error_clear(&e);
	if (sdb_fmt_begin(&d.w, &o, lost_cols, 10, &e))
		cli_die_output(&e);
	if ((rc = sdb_salvage(w.db.dir, w.pos, &w.db.o, lost_row, &d, &r, &e))) {
		if (d.out_failed)
			cli_die_output(&e);
		die_err(rc, &e);
	}
	if (sdb_fmt_end(&d.w, &e))
		cli_die_output(&e);
	for (int i = 0; i < 4; i++)
		sdb_buf_release(&d.t[i]);
	{
		struct sql_open_opts so;
		/* the salvaged catalog says which files are needed (the source's
		 * may be unreadable) */
		struct copyctx cc = { w.pos, w.db.dir, 1, 0, 1, 0, 0, &d };
		struct walopt wd = w;
		wd.db.dir = w.pos;
		sql_opts(&wd, &so, 1);
		if ((rc = sql_hnsw_files(&so, copy_one, &cc, &e))) {
			cli_warn("cannot copy the SQL HNSW index files of '%s' (%s): REINDEX rebuilds them",
				 w.db.dir, e.msg);
			cc.damaged++;
		}
		if (cc.damaged)
			r.lost += (uint64_t)cc.damaged;
	}
	if (r.lost) {
		cli_warn("salvaged %" PRIu64 " operations into '%s'; lost %" PRIu64 " pieces: %" PRIu64 " table blocks, %" PRIu64 " WAL bytes, %" PRIu64 " transactions (listed on standard output)",
			 r.records, w.pos, r.lost, r.blocks_lost, r.wal_bytes_lost, r.txns_lost);
		return EXIT_NEGATIVE;
	}
	info("salvaged %" PRIu64 " operations into '%s'; nothing lost", r.records, w.pos);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "checkpoint", wal_checkpoint }, { "compact", wal_compact },
		{ "verify", wal_verify }, { "stats", wal_stats },
		{ "dump", wal_dump }, { "truncate", wal_truncate },
		{ "recover", wal_recover }, { "backup", wal_backup },
		{ "salvage", wal_salvage },
		{ NULL, NULL }
	};

	cli_init("sochdb-wal");
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
