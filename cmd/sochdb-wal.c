/*
 * sochdb-wal - maintenance of a SochDB database, made for cron:
 * checkpoint, compact, verify, stats, dump, truncate, recover, backup
 * (DESIGN.md "sochdb-wal"). Quiet, exit 0, when there is nothing to do.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dbopt.h"

#include "util/buf.h"
#include "json/json.h"
#include "util/text.h"
#include "toon/toon.h"
#include "util/tsv.h"

#include <errno.h>
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
	"\n"
	"Common options, before or after COMMAND: -d, --db DIR (default $SOCHDB_DIR,\n"
	"else ./sochdb_data), --lock-timeout SECONDS (30), --sync full|normal|off,\n"
	"-q, -v. 'sochdb-wal help COMMAND' or 'sochdb-wal COMMAND -h' shows the rest.\n"
	"Exit status: 0 ok (also: nothing to do), 1 damage found, 2 usage error,\n"
	"3 failure.\n";
enum {
	O_IF_LARGER = 1, O_SKIP_BUSY, O_LEVEL, O_DRY_RUN, O_UP_TO, O_FROM,
	O_FORMAT,
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
	"it holds 4 tables or more.\n";
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
	"deleted and expired records), or with --level N level N into N+1.\n";
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
	"Checks the manifest, every table block checksum and every WAL record.\n"
	"Exit 0 clean; exit 1 with 'FILE: damage at offset N' on stderr.\n";
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
	"LSN, offset and bytes) and replays the WAL.\n";
static const struct opt o_recover[] = {
	COMMON,
	{ O_DRY_RUN, 0, "dry-run", NULL, "report what would be cut, change nothing" },
	OPT_END
};
static const char h_backup[] =
	"usage: sochdb-wal backup [options] DEST\n"
	"Copies the database to DEST (absent or empty) while others write: hard\n"
	"links of the tables plus the WAL up to a transaction boundary.\n";
static const struct opt o_backup[] = { COMMON, OPT_END };

struct walopt {
	struct dbopt db;
	struct sdb_maint_opts m;
	int fmt; /* 0 toon, 1 json, 2 jsonl */
	int has_upto;
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
		case O_FORMAT:
			if (!strcmp(v, "toon"))
				w->fmt = 0;
			else if (!strcmp(v, "json"))
				w->fmt = 1;
			else if (!strcmp(v, "jsonl") && tab == o_dump)
				w->fmt = 2;
			else
				die_usage("invalid value '%s' for --format", v);
			break;
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

static int wal_checkpoint(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	int did;

	parse(&w, argc, argv, h_checkpoint, o_checkpoint, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_checkpoint(w.db.dir, &w.db.o, &w.m, &did, &e)))
		die_err(rc, &e);
	info(did ? "checkpoint done" : "nothing to do");
	return EXIT_OK;
}

static int wal_compact(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	int did;

	parse(&w, argc, argv, h_compact, o_compact, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_compact(w.db.dir, &w.db.o, &w.m, &did, &e)))
		die_err(rc, &e);
	info(did ? "compaction done" : "nothing to do");
	return EXIT_OK;
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
	if (v.damaged) {
		cli_error("%s: damage at offset %" PRIu64 ": %s", v.file, v.offset, v.what);
		return EXIT_NEGATIVE;
	}
	info("ok: %d tables (%" PRIu64 " bytes), %d WAL segments, %" PRIu64 " records",
	     v.tables, v.table_bytes, v.segments, v.records);
	return EXIT_OK;
}

static int wal_stats(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct sdb_db *db;
	struct sdb_stats st;
	int ntab = 0;

	parse(&w, argc, argv, h_stats, o_stats, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_db_open(w.db.dir, SDB_OPEN_SNAPSHOT, &w.db.o, &db, &e)) ||
	    (rc = sdb_db_stats(db, "", 0, 1, &st, &e)))
		die_err(rc, &e);
	for (int l = 0; l < 7; l++)
		ntab += st.tables_per_level[l];
	if (w.fmt == 1) {
		printf("{\"wal_segments\":%d,\"wal_bytes\":%" PRIu64 ",\"checkpoint_lsn\":%" PRIu64
		       ",\"wal_end_lsn\":%" PRIu64 ",\"tables\":%d,\"table_bytes\":%" PRIu64
		       ",\"tables_per_level\":[", st.wal_segments, st.wal_bytes, st.checkpoint_lsn,
		       st.wal_end_lsn, ntab, st.table_bytes);
		for (int l = 0; l < 7; l++)
			printf("%s%d", l ? "," : "", st.tables_per_level[l]);
		printf("],\"keys\":%" PRIu64 "}\n", st.keys);
	} else {
		printf("wal_segments: %d\nwal_bytes: %" PRIu64 "\ncheckpoint_lsn: %" PRIu64
		       "\nwal_end_lsn: %" PRIu64 "\ntables: %d\ntable_bytes: %" PRIu64
		       "\ntables_per_level[7]: ", st.wal_segments, st.wal_bytes, st.checkpoint_lsn,
		       st.wal_end_lsn, ntab, st.table_bytes);
		for (int l = 0; l < 7; l++)
			printf("%s%d", l ? "," : "", st.tables_per_level[l]);
		printf("\nkeys: %" PRIu64 "\n", st.keys);
	}
	sdb_db_close(db);
	return EXIT_OK;
}

struct dumpctx {
	int fmt;
	long n;
	struct sdb_buf out;
};

static const char *const type_names[] = { "?", "begin", "put", "del", "commit", "abort", "checkpoint" };

/* TSV-escaped text of bytes, as a JSON or TOON string. */
static void dump_str(struct dumpctx *d, const void *p, size_t n)
{
	struct sdb_buf t = SDB_BUF_INIT;

	sdb_tsv_escape(&t, p, n);
	if (d->fmt == 0)
		sdb_toon_quote(&d->out, t.data ? t.data : "", t.len, ',');
	else
		sdb_json_quote(&d->out, t.data ? t.data : "", t.len);
	sdb_buf_release(&t);
}

static int dump_rec(void *ctx, const struct sdb_wal_entry *x)
{
	struct dumpctx *d = ctx;
	const char *nul = "null";
	int op = x->type == 2 || x->type == 3;
	size_t nl = op ? x->key[0] : 0;

	if (d->fmt == 0)
		sdb_buf_adds(&d->out, "  ");
	else {
		if (d->fmt == 1 && d->n)
			sdb_buf_addc(&d->out, ',');
		sdb_buf_adds(&d->out, "{\"lsn\":");
	}
	sdb_buf_addf(&d->out, "%" PRIu64 "%s", x->lsn, d->fmt ? ",\"type\":" : ",");
	if (d->fmt)
		sdb_json_quote(&d->out, type_names[x->type], strlen(type_names[x->type]));
	else
		sdb_buf_adds(&d->out, type_names[x->type]);
	sdb_buf_adds(&d->out, d->fmt ? ",\"ns\":" : ",");
	if (op && nl)
		dump_str(d, x->key + 1, nl);
	else
		sdb_buf_adds(&d->out, nul);
	sdb_buf_adds(&d->out, d->fmt ? ",\"key\":" : ",");
	if (op)
		dump_str(d, x->key + 1 + nl, x->klen - 1 - nl);
	else
		sdb_buf_adds(&d->out, nul);
	sdb_buf_adds(&d->out, d->fmt ? ",\"value\":" : ",");
	if (x->type == 2)
		dump_str(d, x->val, x->vlen);
	else
		sdb_buf_adds(&d->out, nul);
	sdb_buf_adds(&d->out, d->fmt ? ",\"expires_ms\":" : ",");
	if (x->expires_ms)
		sdb_buf_addf(&d->out, "%" PRIu64, x->expires_ms);
	else
		sdb_buf_adds(&d->out, nul);
	sdb_buf_adds(&d->out, d->fmt ? ",\"info\":" : ",");
	if (x->type == 4 || x->type == 6)
		sdb_buf_addf(&d->out, "%" PRIu64, x->info);
	else
		sdb_buf_adds(&d->out, nul);
	if (d->fmt)
		sdb_buf_addc(&d->out, '}');
	if (d->fmt != 1)
		sdb_buf_addc(&d->out, '\n');
	d->n++;
	if (!sdb_buf_ok(&d->out))
		return SDB_ENOMEM;
	return 0;
}

static int wal_dump(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int rc;
	struct dumpctx d = { 0 };

	parse(&w, argc, argv, h_dump, o_dump, 0);
	d.fmt = w.fmt;
	sdb_error_clear(&e);
	if ((rc = sdb_wal_walk(w.db.dir, w.from, &w.db.o, dump_rec, &d, &e)))
		die_err(rc, &e);
	if (w.fmt == 0) {
		if (d.n)
			printf("[%ld]{lsn,type,ns,key,value,expires_ms,info}:\n", d.n);
		else
			printf("[0]:\n");
	} else if (w.fmt == 1)
		putchar('[');
	if (d.out.len)
		fwrite(d.out.data, 1, d.out.len, stdout);
	if (w.fmt == 1)
		printf("]\n");
	sdb_buf_release(&d.out);
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
	if (r.cut)
		cli_warn("%s %s WAL tail at LSN %" PRIu64 " ('%s' offset %" PRIu64 "): %" PRIu64 " bytes",
			 w.m.dry_run ? "would cut" : "cut", r.damaged ? "damaged" : "torn",
			 r.lsn, r.file, r.offset, r.bytes);
	info("WAL replays to LSN %" PRIu64 " (%zu live entries)", r.wal_end, r.entries);
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
	if ((rc = sdb_backup(w.db.dir, w.pos, &w.db.o, &e)))
		die_err(rc, &e);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "checkpoint", wal_checkpoint }, { "compact", wal_compact },
		{ "verify", wal_verify }, { "stats", wal_stats },
		{ "dump", wal_dump }, { "truncate", wal_truncate },
		{ "recover", wal_recover }, { "backup", wal_backup },
		{ NULL, NULL }
	};

	cli_init("sochdb-wal");
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
