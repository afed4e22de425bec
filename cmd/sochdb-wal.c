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
	"usage: sochdb-wal [-q|-v] COMMAND [options]\n"
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
	"Common options: -d, --db DIR (default $SOCHDB_DIR, else ./sochdb_data),\n"
	"--lock-timeout SECONDS (30), --sync full|normal|off.\n"
	"Exit status: 0 ok (also: nothing to do), 1 damage found, 2 usage error,\n"
	"3 failure.\n";
static const char usage_short[] = "usage: sochdb-wal COMMAND [options]  (see sochdb-wal --help)\n";

#define COMMON \
	"  -d, --db DIR            database directory (default $SOCHDB_DIR, else ./sochdb_data)\n" \
	"      --lock-timeout SECS wait this long for a lock (default 30)\n" \
	"      --sync MODE         full (default), normal or off (no fsync at all)\n"

static const char u_checkpoint[] =
	"usage: sochdb-wal checkpoint [options]\n"
	"Flushes the WAL since the last checkpoint to a level-0 table, records\n"
	"the checkpoint and removes the covered WAL; then compacts level 0 when\n"
	"it holds 4 tables or more.\n"
	COMMON
	"      --if-larger-than SIZE only when the WAL since the checkpoint is\n"
	"                          larger than SIZE (suffixes k, M, G)\n"
	"      --skip-if-busy      exit 0 at once when another checkpoint or\n"
	"                          compaction runs\n";
static const char u_compact[] =
	"usage: sochdb-wal compact [options]\n"
	"Merges every table into one sorted run at the deepest level (dropping\n"
	"deleted and expired records), or with --level N level N into N+1.\n"
	COMMON
	"      --level N           compact level N (0..5) into N+1\n"
	"      --if-larger-than SIZE only when level-0 bytes plus deleted bytes\n"
	"                          exceed SIZE\n"
	"      --skip-if-busy      exit 0 at once when another maintenance runs\n";
static const char u_verify[] =
	"usage: sochdb-wal verify [options]\n"
	"Checks the manifest, every table block checksum and every WAL record.\n"
	"Exit 0 clean; exit 1 with the first damage (file and offset) on stderr.\n"
	COMMON;
static const char u_stats[] =
	"usage: sochdb-wal stats [options]\n"
	"Prints WAL segments, bytes and records since the checkpoint, LSNs and\n"
	"table counts.\n"
	COMMON
	"      --format F          toon (default) or json\n";
static const char u_dump[] =
	"usage: sochdb-wal dump [options]\n"
	"Prints the WAL records of the segments present: lsn, type, ns, key,\n"
	"value (TSV-escaped), expires_ms, info (commit: operations;\n"
	"checkpoint: its LSN).\n"
	COMMON
	"      --from LSN          start at LSN\n"
	"      --format F          toon (default), json or jsonl\n";
static const char u_truncate[] =
	"usage: sochdb-wal truncate --up-to LSN [options]\n"
	"Removes WAL segments wholly below LSN; LSN must not be past the last\n"
	"checkpoint (exit 3).\n"
	COMMON
	"      --up-to LSN         the LSN to truncate up to\n";
static const char u_recover[] =
	"usage: sochdb-wal recover [options]\n"
	"Takes the write lock, cuts a torn or damaged WAL tail (announced with\n"
	"LSN, offset and bytes) and replays the WAL.\n"
	COMMON
	"      --dry-run           report what would be cut, change nothing\n";
static const char u_backup[] =
	"usage: sochdb-wal backup [options] DEST\n"
	"Copies the database to DEST (absent or empty) while others write: hard\n"
	"links of the tables plus the WAL up to a transaction boundary.\n"
	COMMON;

struct walopt {
	struct dbopt db;
	struct sdb_maint_opts m;
	int fmt; /* 0 toon, 1 json, 2 jsonl */
	int has_upto;
	uint64_t upto, from;
	const char *pos;
};

static void parse(struct walopt *w, int argc, char **argv, const char *usage,
		  const char *opts, int maxpos)
{
	memset(w, 0, sizeof(*w));
	dbopt_init(&w->db);
	w->m.level = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (a[0] != '-') {
			if (!maxpos || w->pos)
				usage_error(usage, "unexpected argument '%s'", a);
			w->pos = a;
			continue;
		}
		if (cli_is_help(a)) {
			fputs(usage, stdout);
			exit(cli_finish(EXIT_OK));
		}
		if (dbopt_parse(&w->db, argc, argv, &i, usage))
			continue;
		if (strchr(opts, 'i') && (v = opt_value(argc, argv, &i, NULL, "--if-larger-than", usage))) {
			w->m.if_larger_than = parse_size(usage, "--if-larger-than", v);
			continue;
		}
		if (strchr(opts, 'b') && !strcmp(a, "--skip-if-busy")) {
			w->m.skip_if_busy = 1;
			continue;
		}
		if (strchr(opts, 'l') && (v = opt_value(argc, argv, &i, NULL, "--level", usage))) {
			w->m.level = (int)cli_parse_long(usage, "--level", v, 0, 5);
			continue;
		}
		if (strchr(opts, 'r') && !strcmp(a, "--dry-run")) {
			w->m.dry_run = 1;
			continue;
		}
		if (strchr(opts, 'u') && (v = opt_value(argc, argv, &i, NULL, "--up-to", usage))) {
			w->upto = parse_size(usage, "--up-to", v);
			w->has_upto = 1;
			continue;
		}
		if (strchr(opts, 'F') && (v = opt_value(argc, argv, &i, NULL, "--from", usage))) {
			w->from = parse_size(usage, "--from", v);
			continue;
		}
		if (strchr(opts, 'f') && (v = opt_value(argc, argv, &i, NULL, "--format", usage))) {
			if (!strcmp(v, "toon"))
				w->fmt = 0;
			else if (!strcmp(v, "json"))
				w->fmt = 1;
			else if (!strcmp(v, "jsonl") && strchr(opts, 'j'))
				w->fmt = 2;
			else
				usage_error(usage, "invalid value '%s' for --format", v);
			continue;
		}
		usage_error(usage, "unknown option '%s'", a);
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
	int did;

	parse(&w, argc, argv, u_checkpoint, "ib", 0);
	sdb_error_clear(&e);
	if (sdb_checkpoint(w.db.dir, &w.db.o, &w.m, &did, &e))
		die_err(&e);
	info(did ? "checkpoint done" : "nothing to do");
	return EXIT_OK;
}

static int wal_compact(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	int did;

	parse(&w, argc, argv, u_compact, "ibl", 0);
	sdb_error_clear(&e);
	if (sdb_compact(w.db.dir, &w.db.o, &w.m, &did, &e))
		die_err(&e);
	info(did ? "compaction done" : "nothing to do");
	return EXIT_OK;
}

static int wal_verify(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	struct sdb_verify v;

	parse(&w, argc, argv, u_verify, "", 0);
	sdb_error_clear(&e);
	if (sdb_verify(w.db.dir, &v, &e))
		die_err(&e);
	if (v.damaged) {
		cli_error("%s", v.what);
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
	struct sdb_db *db;
	struct sdb_stats st;
	int ntab = 0;

	parse(&w, argc, argv, u_stats, "f", 0);
	sdb_error_clear(&e);
	if (sdb_db_open(w.db.dir, SDB_OPEN_SNAPSHOT, &w.db.o, &db, &e) ||
	    sdb_db_stats(db, "", 0, 1, &st, &e))
		die_err(&e);
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
	struct dumpctx d = { 0 };

	parse(&w, argc, argv, u_dump, "fjF", 0);
	d.fmt = w.fmt;
	sdb_error_clear(&e);
	if (sdb_wal_walk(w.db.dir, w.from, &w.db.o, dump_rec, &d, &e))
		die_err(&e);
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
	int removed;

	parse(&w, argc, argv, u_truncate, "u", 0);
	if (!w.has_upto)
		usage_error(u_truncate, "missing --up-to LSN");
	sdb_error_clear(&e);
	if (sdb_wal_truncate(w.db.dir, &w.db.o, w.upto, &removed, &e))
		die_err(&e);
	info("removed %d WAL segments", removed);
	return EXIT_OK;
}

static int wal_recover(int argc, char **argv)
{
	struct walopt w;
	struct sdb_error e;
	struct sdb_recover_report r;

	parse(&w, argc, argv, u_recover, "r", 0);
	sdb_error_clear(&e);
	if (sdb_recover(w.db.dir, &w.db.o, w.m.dry_run, &r, &e))
		die_err(&e);
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

	parse(&w, argc, argv, u_backup, "", 1);
	if (!w.pos)
		usage_error(u_backup, "missing DEST");
	sdb_error_clear(&e);
	if (sdb_backup(w.db.dir, w.pos, &w.db.o, &e))
		die_err(&e);
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
	return cli_dispatch(argc, argv, cmds, usage_main, usage_short);
}
