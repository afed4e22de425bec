/*
 * sochdb-kv - key-value and path access to a SochDB database from the
 * shell: put/get/del/exists/scan/ls/load/dump/txn/stats (DESIGN.md
 * "sochdb-kv" is the contract: escaping, field names, exit codes).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dbopt.h"

#include "fmt/fmt.h"
#include "store/txn.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/io.h"
#include "json/json.h"
#include "util/text.h"
#include "toon/toon.h"
#include "util/tsv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_main[] =
	"usage: sochdb-kv [common options] COMMAND [options] [args]\n"
	"\n"
	"Commands:\n"
	"  put     store a value: put KEY VALUE|-\n"
	"  get     print a value: get KEY, or get --stdin for many keys\n"
	"  del     delete a key (idempotent)\n"
	"  exists  exit 0 when a key is present, 1 when absent\n"
	"  scan    list keys and values in key order\n"
	"  ls      list the children of a path: ls PATH/\n"
	"  load    load TSV or JSONL records in one transaction\n"
	"  dump    write every record with TTLs and namespaces\n"
	"  txn     apply put/del/cas/get lines from stdin atomically\n"
	"  stats   key, byte, WAL and table counts\n"
	"\n"
	"Common options, before or after COMMAND: -d, --db DIR (default $SOCHDB_DIR,\n"
	"else ./sochdb_data), -n NAMESPACE, --sync full|normal|off, --lock-timeout\n"
	"SECONDS (30), -q, -v. After COMMAND: -e, --escaped, --ttl SECONDS and the\n"
	"command's own; 'sochdb-kv help COMMAND' or 'sochdb-kv COMMAND -h' shows them.\n"
	"Exit status: 0 ok, 1 absent, 2 usage error, 3 failure,\n"
	"4 committed but writing the output failed.\n";

enum {
	K_NS = 1, K_ESCAPED, K_TTL, K_STDIN, K_PARTIAL, K_FORMAT, K_PREFIX,
	K_START, K_END, K_REVERSE, K_LIMIT, K_KEYS_ONLY, K_BULK,
};

/* accepted by every command (and before it), listed in the tool's help */
#define COMMON \
	DBOPT_DB_OPT, \
	{ K_NS, 'n', "namespace", "NS", "scope every key to namespace NS" }, \
	CLI_HIDDEN_OPTS
#define WRITING DBOPT_WRITE_OPTS

/* the options that may stand before the command */
static const struct opt common[] = { COMMON, WRITING, OPT_END };

static const char h_put[] =
	"usage: sochdb-kv put [options] KEY VALUE|-\n"
	"Stores VALUE (or the exact bytes of stdin for '-') under KEY.\n";
static const struct opt o_put[] = {
	COMMON,
	WRITING,
	{ K_ESCAPED, 'e', "escaped", NULL, "KEY and VALUE are TSV-escaped" },
	{ K_TTL, 0, "ttl", "SECONDS", "the key expires after SECONDS" },
	OPT_END
};
static const char h_get[] =
	"usage: sochdb-kv get [options] KEY | --stdin\n"
	"Prints the value's bytes exactly (no newline); exit 1 when absent.\n"
	"With --stdin: one TSV-escaped key per line in, one escaped value or \\N out.\n";
static const struct opt o_get[] = {
	COMMON,
	{ K_ESCAPED, 'e', "escaped", NULL, "KEY is TSV-escaped" },
	{ K_STDIN, 0, "stdin", NULL, "read keys from stdin" },
	OPT_END
};
static const char h_del[] =
	"usage: sochdb-kv del [options] KEY\n"
	"Deletes KEY; exit 0 whether or not it existed.\n";
static const struct opt o_del[] = {
	COMMON,
	WRITING,
	{ K_ESCAPED, 'e', "escaped", NULL, "KEY is TSV-escaped" },
	OPT_END
};
static const char h_exists[] =
	"usage: sochdb-kv exists [options] KEY\n"
	"Prints nothing; exit 0 when KEY is present, 1 when absent.\n";
static const struct opt o_exists[] = {
	COMMON,
	{ K_ESCAPED, 'e', "escaped", NULL, "KEY is TSV-escaped" },
	OPT_END
};
static const char h_scan[] =
	"usage: sochdb-kv scan [options]\n"
	"Lists keys in order: KEY<TAB>VALUE lines by default.\n";
static const struct opt o_scan[] = {
	COMMON,
	{ K_PREFIX, 0, "prefix", "P", "only keys starting with P" },
	{ K_START, 0, "start", "K", "first key (inclusive)" },
	{ K_END, 0, "end", "K", "end key (exclusive)" },
	{ K_REVERSE, 0, "reverse", NULL, "descending order" },
	{ K_LIMIT, 0, "limit", "N", "at most N keys" },
	{ K_KEYS_ONLY, 0, "keys-only", NULL, "keys only" },
	{ K_FORMAT, 0, "format", "F", "tsv (default), jsonl, json or toon" },
	{ K_ESCAPED, 'e', "escaped", NULL, "P, K are TSV-escaped" },
	OPT_END
};
static const char h_ls[] =
	"usage: sochdb-kv ls [options] [PATH/]\n"
	"Lists the immediate children of PATH/, sorted; children with keys\n"
	"below them end in '/'.\n";
static const struct opt o_ls[] = {
	COMMON,
	{ K_ESCAPED, 'e', "escaped", NULL, "PATH is TSV-escaped" },
	OPT_END
};
static const char h_load[] =
	"usage: sochdb-kv load [options] [FILE|-]\n"
	"Loads records in one transaction: KEY<TAB>VALUE[<TAB>EXPIRES_MS[<TAB>NS]]\n"
	"lines (escaped; VALUE \\N deletes), or what dump --format writes.\n";
static const struct opt o_load[] = {
	COMMON,
	WRITING,
	{ K_FORMAT, 0, "format", "F", "tsv (default), jsonl, json or toon" },
	{ K_PARTIAL, 0, "partial", NULL, "on a bad line, commit the lines before it" },
	{ K_BULK, 0, "bulk", NULL, "sort the records and write them straight into tables" },
	{ K_TTL, 0, "ttl", "SECONDS", "records without expiry expire after SECONDS" },
	OPT_END
};
static const char h_dump[] =
	"usage: sochdb-kv dump [options]\n"
	"Writes every record of every namespace (or of -n NS) with expiry and\n"
	"namespace, in a form load restores exactly.\n";
static const struct opt o_dump[] = {
	COMMON,
	{ K_FORMAT, 0, "format", "F", "tsv (default), jsonl, json or toon" },
	OPT_END
};
static const char h_txn[] =
	"usage: sochdb-kv txn [options] < OPS\n"
	"Applies TSV lines atomically: put<TAB>K<TAB>V, del<TAB>K,\n"
	"cas<TAB>K<TAB>OLD<TAB>NEW (\\N: absent / delete), get<TAB>K.\n"
	"A failed cas is a conflict: nothing applied, exit 3.\n";
static const struct opt o_txn[] = {
	COMMON,
	WRITING,
	{ K_TTL, 0, "ttl", "SECONDS", "puts expire after SECONDS" },
	OPT_END
};
static const char h_stats[] =
	"usage: sochdb-kv stats [options]\n"
	"Prints keys, live and dead bytes, WAL bytes since the checkpoint,\n"
	"tables per level and the compression ratio.\n";
static const struct opt o_stats[] = {
	COMMON,
	{ K_FORMAT, 0, "format", "F", "toon (default) or json" },
	OPT_END
};

/* ------------------------------------------------------------ options */

struct kvopt {
	struct dbopt db;
	const char *ns;
	size_t nslen;
	int has_ns, escaped, stdin_keys, reverse, keys_only, partial, bulk;
	long long ttl;
	long long limit;
	enum sdb_fmt fmt;
	const char *prefix, *start, *end;
	const char *pos[4];
	int npos;
};

/* Parses argv for a command: its help head and option table, the
 * formats it takes (a mask of SDB_FMT_BIT) and how many arguments. */
static void parse(struct kvopt *k, int argc, char **argv, const char *head,
		  const struct opt *tab, unsigned fmts, int maxpos)
{
	struct opt_parser p;
	const char *v;
	int c;

	memset(k, 0, sizeof(*k));
	dbopt_init(&k->db);
	k->limit = -1;
	k->fmt = (fmts & SDB_FMT_BIT(SDB_FMT_TSV)) ? SDB_FMT_TSV : SDB_FMT_TOON;
	opt_init(&p, tab, head, argc, argv);
	while ((c = opt_next(&p, &v)) != OPT_EOF) {
		switch (c) {
		case OPT_ARG:
			if (k->npos >= maxpos)
				die_usage("unexpected argument '%s'", v);
			k->pos[k->npos++] = v;
			break;
		case K_NS:
			k->ns = v;
			k->nslen = strlen(v);
			k->has_ns = 1;
			if (!k->nslen)
				die_usage("empty namespace");
			if (k->nslen > SDB_MAX_NS) /* a size limit: exit 3, as the man page says */
				die(EXIT_FAILURE_RT, "namespace longer than %d bytes", SDB_MAX_NS);
			if (v[0] == '$') /* SQL ($sql) and graph data: not for kv */
				die_usage("namespace '%s' is reserved", v);
			break;
		case K_ESCAPED: k->escaped = 1; break;
		case K_TTL: k->ttl = cli_parse_long("--ttl", v, 1, 100L * 365 * 86400); break;
		case K_STDIN: k->stdin_keys = 1; break;
		case K_PARTIAL: k->partial = 1; break;
		case K_BULK: k->bulk = 1; break;
		case K_FORMAT: k->fmt = cli_parse_fmt(v, fmts); break;
		case K_PREFIX: k->prefix = v; break;
		case K_START: k->start = v; break;
		case K_END: k->end = v; break;
		case K_LIMIT: k->limit = cli_parse_long("--limit", v, 0, __LONG_MAX__); break;
		case K_REVERSE: k->reverse = 1; break;
		case K_KEYS_ONLY: k->keys_only = 1; break;
		default: dbopt_take(&k->db, c, v);
		}
	}
}

/* An argument as bytes: literal, or TSV-unescaped with -e. */
static void arg_bytes(const struct kvopt *k, const char *what,
		      const char *s, struct sdb_buf *out)
{
	size_t col;

	sdb_buf_reset(out);
	if (!k->escaped) {
		sdb_buf_adds(out, s);
		return;
	}
	if (sdb_tsv_unescape(out, s, strlen(s), &col))
		die_usage("invalid escape in %s at column %zu", what, col);
}

static void make_ikey(const struct kvopt *k, const void *key, size_t klen,
		      struct sdb_buf *ik)
{
	struct sdb_error e;

	if (sdb_ikey_make(ik, k->ns, k->nslen, key, klen, &e))
		die(e.code == SDB_EINVAL ? EXIT_USAGE : EXIT_FAILURE_RT, "%s", e.msg);
}


static uint64_t expiry(const struct kvopt *k)
{
	return k->ttl ? sdb_now_ms() + (uint64_t)k->ttl * 1000 : 0;
}


/* ------------------------------------------------------------- output */


#define LIST_FMTS (SDB_FMT_BIT(SDB_FMT_TSV) | SDB_FMT_BIT(SDB_FMT_JSONL) | \
		   SDB_FMT_BIT(SDB_FMT_JSON) | SDB_FMT_BIT(SDB_FMT_TOON))

/* The columns of a listing (scan, dump); keys-only lists the first. */
static const struct sdb_fmt_col list_cols[] = {
	{ "key", SDB_FMT_COL_B64 }, { "value", SDB_FMT_COL_B64 },
	{ "expires_ms", 0 }, { "ns", SDB_FMT_COL_B64 },
};

struct emitter {
	struct sdb_fmt_writer w;
	int keys_only, with_ns, tsv;
	long long count;
};

static void emit_begin(struct emitter *em, enum sdb_fmt fmt, int keys_only, int with_ns)
{
	struct sdb_fmt_opts o = { fmt, 0, &cli_ob, cli_out_sink, NULL };
	struct sdb_error e;

	memset(em, 0, sizeof(*em));
	em->keys_only = keys_only;
	em->with_ns = with_ns;
	em->tsv = fmt == SDB_FMT_TSV;
	sdb_error_clear(&e);
	if (sdb_fmt_begin(&em->w, &o, list_cols, keys_only ? 1 : 4, &e))
		cli_die_output(&e);
}

/* One record; ns is written only by dump (with_ns), and scan's TSV
 * stays KEY<TAB>VALUE. */
static void emit_row(struct emitter *em, const char *ns, size_t nslen,
		     const void *k, size_t kl, const void *v, size_t vl, uint64_t exp)
{
	struct sdb_cell c[4];
	struct sdb_error e;

	c[0] = sdb_cell_text(k, kl);
	c[1] = sdb_cell_text(v, vl);
	c[2] = exp && (em->with_ns || !em->tsv) ? sdb_cell_uint(exp) : sdb_cell_absent();
	c[3] = em->with_ns && nslen ? sdb_cell_text(ns, nslen) : sdb_cell_absent();
	/* e is filled only on failure: no clearing per row (512 bytes) */
	if (sdb_fmt_row(&em->w, c, &e))
		cli_die_output(&e);
	em->count++;
}

static void emit_end(struct emitter *em)
{
	struct sdb_error e;

	sdb_error_clear(&e);
	if (sdb_fmt_end(&em->w, &e))
		cli_die_output(&e);
}

/* --------------------------------------------------------- subcommands */

static int kv_put(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_buf key = SDB_BUF_INIT, val = SDB_BUF_INIT, ik = SDB_BUF_INIT;
	struct sdb_input in;
	struct sdb_batch b;
	struct sdb_error e;
	int rc;
	struct sdb_db *db;
	const char *vp;
	size_t vl;

	parse(&k, argc, argv, h_put, o_put, 0, 2);
	if (k.npos < 2)
		die_usage("missing %s", k.npos ? "VALUE" : "KEY");
	arg_bytes(&k, "KEY", k.pos[0], &key);
	make_ikey(&k, key.data, key.len, &ik);
	memset(&in, 0, sizeof(in));
	sdb_error_clear(&e);
	if (!strcmp(k.pos[1], "-")) {
		if ((rc = sdb_input_open(&in, NULL, &e)))
			die_err(rc, &e);
		vp = in.data;
		vl = in.len;
	} else {
		arg_bytes(&k, "VALUE", k.pos[1], &val);
		vp = val.data ? val.data : "";
		vl = val.len;
	}
	if (vl > SDB_MAX_VALUE)
		die(EXIT_FAILURE_RT, "value longer than %u bytes", SDB_MAX_VALUE);
	db = dbopt_open(&k.db, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
	sdb_batch_init(&b);
	if ((rc = sdb_batch_put(&b, ik.data, ik.len, vp, vl, expiry(&k), &e)) ||
	    (rc = sdb_db_commit(db, &b, 1, &e)))
		die_err(rc, &e);
	cli_committed();
	dbopt_after_commit(db);
	sdb_batch_release(&b);
	sdb_db_close(db);
	sdb_input_close(&in);
	sdb_buf_release(&key);
	sdb_buf_release(&val);
	sdb_buf_release(&ik);
	return EXIT_OK;
}

static int kv_del(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_buf key = SDB_BUF_INIT, ik = SDB_BUF_INIT;
	struct sdb_batch b;
	struct sdb_error e;
	int rc;
	struct sdb_db *db;

	parse(&k, argc, argv, h_del, o_del, 0, 1);
	if (k.npos < 1)
		die_usage("missing KEY");
	arg_bytes(&k, "KEY", k.pos[0], &key);
	make_ikey(&k, key.data, key.len, &ik);
	db = dbopt_open(&k.db, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
	sdb_batch_init(&b);
	sdb_error_clear(&e);
	if ((rc = sdb_batch_del(&b, ik.data, ik.len, &e)) || (rc = sdb_db_commit(db, &b, 1, &e)))
		die_err(rc, &e);
	cli_committed();
	dbopt_after_commit(db);
	sdb_batch_release(&b);
	sdb_db_close(db);
	sdb_buf_release(&key);
	sdb_buf_release(&ik);
	return EXIT_OK;
}

/* One lookup; dies on damage. @return 1 found, 0 absent. */
static int lookup(struct sdb_db *db, const void *ik, size_t n, struct sdb_val *v)
{
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	rc = sdb_db_get(db, ik, n, v, &e);
	if (rc == SDB_ENOTFOUND)
		return 0;
	if (rc)
		die_err(rc, &e);
	return 1;
}

struct qkey {
	size_t off, len; /* internal key in the arena */
	size_t idx;
};

static const char *qarena;

static int qkey_cmp(const void *pa, const void *pb)
{
	const struct qkey *a = pa, *b = pb;
	int c = memcmp(qarena + a->off, qarena + b->off, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

/*
 * get --stdin: answers a batch of complete lines. Keys are looked up in
 * sorted order (consecutive keys share table blocks), answers are written
 * in input order. @return number of absent keys.
 */
static long get_batch(struct kvopt *k, struct sdb_db *db, const char *p,
		      size_t n, long *lineno)
{
	struct sdb_buf arena = SDB_BUF_INIT, key = SDB_BUF_INIT, ik = SDB_BUF_INIT;
	struct sdb_buf ans = SDB_BUF_INIT;
	struct qkey *q = NULL;
	size_t nq = 0, cap = 0, *aoff, *alen;
	long absent = 0;
	char bad[600] = "";

	/* A bad line ends the run: the lines before it are answered first
	 * (as a pipe would have had them), then exit 3 names it. */
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = (nl ? (size_t)(nl - p) : n) - i, col;
		struct sdb_error e;
		(*lineno)++;
		if (len && p[i + len - 1] == '\r')
			len--;
		sdb_buf_reset(&key);
		if (sdb_tsv_unescape(&key, p + i, len, &col)) {
			snprintf(bad, sizeof(bad), "line %ld, column %zu: invalid escape", *lineno, col);
			break;
		}
		if (sdb_ikey_make(&ik, k->ns, k->nslen, key.data ? key.data : "", key.len, &e)) {
			snprintf(bad, sizeof(bad), "line %ld: %s", *lineno, e.msg);
			break;
		}
		if (sdb_grow((void **)&q, &cap, nq + 1, sizeof(*q), 1024))
			die(EXIT_FAILURE_RT, "out of memory");
		q[nq].off = arena.len;
		q[nq].len = ik.len;
		q[nq].idx = nq;
		sdb_buf_add(&arena, ik.data, ik.len);
		nq++;
		i += (nl ? (size_t)(nl - p) - i : len) + 1;
	}
	if (!sdb_buf_ok(&arena))
		die(EXIT_FAILURE_RT, "out of memory");
	qarena = arena.data;
	qsort(q, nq, sizeof(*q), qkey_cmp);
	aoff = malloc((nq + 1) * sizeof(*aoff));
	alen = malloc((nq + 1) * sizeof(*alen));
	if (!aoff || !alen)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < nq; i++) {
		struct sdb_val v;
		size_t at = ans.len;
		if (lookup(db, arena.data + q[i].off, q[i].len, &v))
			sdb_tsv_escape(&ans, v.data, v.len);
		else {
			sdb_buf_adds(&ans, "\\N");
			absent++;
		}
		aoff[q[i].idx] = at;
		alen[q[i].idx] = ans.len - at;
	}
	if (!sdb_buf_ok(&ans))
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < nq; i++) {
		sdb_buf_add(&cli_ob, ans.data + aoff[i], alen[i]);
		sdb_buf_addc(&cli_ob, '\n');
		cli_ob_check();
	}
	free(q);
	free(aoff);
	free(alen);
	sdb_buf_release(&arena);
	sdb_buf_release(&key);
	sdb_buf_release(&ik);
	sdb_buf_release(&ans);
	if (bad[0]) {
		cli_ob_flush();
		die(EXIT_FAILURE_RT, "%s", bad);
	}
	return absent;
}

static int get_stdin(struct kvopt *k, struct sdb_db *db)
{
	struct stat st;
	long absent = 0, lineno = 0;

	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) {
		struct sdb_input in;
		struct sdb_error e;
		size_t n;
		int rc;
		sdb_error_clear(&e);
		if ((rc = sdb_input_open(&in, NULL, &e)))
			die_err(rc, &e);
		n = in.len;
		if (n && in.data[n - 1] == '\n')
			n--;
		if (in.len)
			absent = get_batch(k, db, in.data, n, &lineno);
		sdb_input_close(&in);
	} else {
		/* A pipe: answer every complete line as soon as it is there,
		 * so a co-process can ask one key at a time. */
		struct sdb_buf buf = SDB_BUF_INIT;
		for (;;) {
			ssize_t r;
			char *nl;
			if (sdb_buf_grow(&buf, 65536))
				die(EXIT_FAILURE_RT, "out of memory");
			r = read(0, buf.data + buf.len, 65536);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die(EXIT_FAILURE_RT, "cannot read '<stdin>': %s", strerror(errno));
			if (r == 0) {
				if (buf.len)
					absent += get_batch(k, db, buf.data, buf.len, &lineno);
				break;
			}
			buf.len += (size_t)r;
			nl = memrchr(buf.data, '\n', buf.len);
			if (nl) {
				size_t used = (size_t)(nl - buf.data) + 1;
				absent += get_batch(k, db, buf.data, used - 1, &lineno);
				memmove(buf.data, buf.data + used, buf.len - used);
				buf.len -= used;
				cli_ob_flush();
				fflush(stdout);
			}
		}
		sdb_buf_release(&buf);
	}
	cli_ob_flush();
	return absent ? EXIT_NEGATIVE : EXIT_OK;
}

/* get and exists: one lookup (or --stdin batch, get only), printed or not. */
static int kv_lookup(int argc, char **argv, const char *head,
		     const struct opt *tab, int print)
{
	struct kvopt k;
	struct sdb_buf key = SDB_BUF_INIT, ik = SDB_BUF_INIT;
	struct sdb_db *db;
	struct sdb_val v;
	int found;

	parse(&k, argc, argv, head, tab, 0, 1);
	if (k.stdin_keys && k.npos)
		die_usage("KEY and --stdin exclude each other");
	if (!k.stdin_keys && k.npos < 1)
		die_usage("missing KEY");
	if (!k.stdin_keys) {
		arg_bytes(&k, "KEY", k.pos[0], &key);
		make_ikey(&k, key.data, key.len, &ik);
	}
	db = dbopt_open(&k.db, SDB_OPEN_SNAPSHOT);
	if (k.stdin_keys) {
		int rc = get_stdin(&k, db);
		sdb_db_close(db);
		return rc;
	}
	found = lookup(db, ik.data, ik.len, &v);
	if (print && found && v.len && fwrite(v.data, 1, v.len, stdout) != v.len)
		die(EXIT_FAILURE_RT, "write failure on standard output: %s", strerror(errno));
	sdb_db_close(db);
	sdb_buf_release(&key);
	sdb_buf_release(&ik);
	return found ? EXIT_OK : EXIT_NEGATIVE;
}

static int kv_get(int argc, char **argv)
{
	return kv_lookup(argc, argv, h_get, o_get, 1);
}

static int kv_exists(int argc, char **argv)
{
	return kv_lookup(argc, argv, h_exists, o_exists, 0);
}

/* Range over [lo, hi) for a namespace-scoped scan. */
static void scan_range(struct kvopt *k, struct sdb_buf *lo,
		       struct sdb_buf *hi, int *has_hi)
{
	unsigned char l = (unsigned char)k->nslen;
	struct sdb_buf t = SDB_BUF_INIT, p = SDB_BUF_INIT;

	sdb_buf_add(lo, &l, 1);
	sdb_buf_add(lo, k->ns, k->nslen);
	sdb_buf_add(hi, lo->data, lo->len);
	*has_hi = sdb_prefix_succ(hi);
	if (k->prefix) {
		arg_bytes(k, "--prefix", k->prefix, &t);
		sdb_buf_add(lo, t.data, t.len);
		sdb_buf_reset(hi);
		sdb_buf_add(hi, lo->data, lo->len);
		*has_hi = sdb_prefix_succ(hi);
	}
	if (k->start) {
		arg_bytes(k, "--start", k->start, &t);
		sdb_buf_add(&p, &l, 1);
		sdb_buf_add(&p, k->ns, k->nslen);
		sdb_buf_add(&p, t.data, t.len);
		if (sdb_key_cmp(p.data, p.len, lo->data, lo->len) > 0) {
			sdb_buf_reset(lo);
			sdb_buf_add(lo, p.data, p.len);
		}
	}
	if (k->end) {
		arg_bytes(k, "--end", k->end, &t);
		sdb_buf_reset(&p);
		sdb_buf_add(&p, &l, 1);
		sdb_buf_add(&p, k->ns, k->nslen);
		sdb_buf_add(&p, t.data, t.len);
		if (!*has_hi || sdb_key_cmp(p.data, p.len, hi->data, hi->len) < 0) {
			sdb_buf_reset(hi);
			sdb_buf_add(hi, p.data, p.len);
			*has_hi = 1;
		}
	}
	sdb_buf_release(&t);
	sdb_buf_release(&p);
	if (!sdb_buf_ok(lo) || !sdb_buf_ok(hi))
		die(EXIT_FAILURE_RT, "out of memory");
}

/* Emits the live records of [lo, hi) (NULL: open), at most limit (< 0:
 * all). */
static void emit_range(struct sdb_db *db, const struct sdb_buf *lo,
		       const struct sdb_buf *hi, int reverse, long long limit,
		       struct emitter *em)
{
	struct sdb_iter *it;
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	if ((rc = sdb_iter_open(db, lo ? lo->data : NULL, lo ? lo->len : 0,
			  hi ? hi->data : NULL, hi ? hi->len : 0, reverse, &it, &e)))
		die_err(rc, &e);
	while (limit < 0 || em->count < limit) {
		const unsigned char *ikey;
		size_t iklen, nslen, klen;
		const char *ns, *key;
		struct sdb_val v;
		rc = sdb_iter_next(it, &ikey, &iklen, &v, &e);
		if (rc < 0)
			die_err(rc, &e);
		if (!rc)
			break;
		sdb_ikey_split(ikey, iklen, &ns, &nslen, &key, &klen);
		if (!lo && nslen && ns[0] == '$') {
			/* a reserved namespace (SQL, graph): skipped whole */
			struct sdb_buf skip = SDB_BUF_INIT;
			sdb_buf_add(&skip, ikey, 1 + nslen);
			if (!sdb_buf_ok(&skip))
				die(EXIT_FAILURE_RT, "out of memory");
			rc = sdb_prefix_succ(&skip) ? sdb_iter_seek(it, skip.data, skip.len, &e) : 1;
			sdb_buf_release(&skip);
			if (rc < 0)
				die_err(rc, &e);
			if (rc)
				break;
			continue;
		}
		emit_row(em, ns, nslen, key, klen, v.data, v.len, v.expires_ms);
	}
	sdb_iter_close(it);
}

/* The keys and live bytes of the reserved namespaces ('$' first), which
 * stats across namespaces leaves out. */
static void reserved_stats(struct sdb_db *db, uint64_t *keys, uint64_t *bytes)
{
	struct sdb_buf cur = SDB_BUF_INIT;
	struct sdb_error e;
	int rc;

	*keys = *bytes = 0;
	for (unsigned n = 1; n <= SDB_MAX_NS; n++) {
		unsigned char hi[2] = { (unsigned char)n, '$' + 1 };
		sdb_buf_reset(&cur);
		sdb_buf_addc(&cur, (char)n);
		sdb_buf_addc(&cur, '$');
		for (;;) {
			struct sdb_iter *it;
			const unsigned char *ik;
			size_t iklen;
			struct sdb_val v;
			struct sdb_stats st;

			sdb_error_clear(&e);
			if (!sdb_buf_ok(&cur))
				die(EXIT_FAILURE_RT, "out of memory");
			if ((rc = sdb_iter_open(db, cur.data, cur.len, hi, 2, 0, &it, &e)))
				die_err(rc, &e);
			rc = sdb_iter_next(it, &ik, &iklen, &v, &e);
			if (rc == 1) {
				sdb_buf_reset(&cur);
				sdb_buf_add(&cur, ik, iklen < 1u + n ? iklen : 1u + n);
			}
			sdb_iter_close(it);
			if (rc < 0)
				die_err(rc, &e);
			if (rc == 0 || cur.len != 1u + n)
				break;
			if ((rc = sdb_db_stats(db, cur.data + 1, n, 0, &st, &e)))
				die_err(rc, &e);
			*keys += st.keys;
			*bytes += st.live_bytes;
			if (!sdb_prefix_succ(&cur))
				break;
		}
	}
	sdb_buf_release(&cur);
}

static int kv_scan(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_db *db;
	struct emitter em;
	int has_hi;

	parse(&k, argc, argv, h_scan, o_scan, LIST_FMTS, 0);
	scan_range(&k, &lo, &hi, &has_hi);
	db = dbopt_open(&k.db, SDB_OPEN_SNAPSHOT);
	emit_begin(&em, k.fmt, k.keys_only, 0);
	emit_range(db, &lo, has_hi ? &hi : NULL, k.reverse, k.limit, &em);
	emit_end(&em);
	sdb_db_close(db);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return EXIT_OK;
}

static int kv_dump(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_db *db;
	struct emitter em;
	int has_hi = 0;

	parse(&k, argc, argv, h_dump, o_dump, LIST_FMTS, 0);
	if (k.has_ns)
		scan_range(&k, &lo, &hi, &has_hi);
	db = dbopt_open(&k.db, SDB_OPEN_SNAPSHOT);
	emit_begin(&em, k.fmt, 0, 1);
	emit_range(db, k.has_ns ? &lo : NULL, has_hi ? &hi : NULL, 0, -1, &em);
	emit_end(&em);
	sdb_db_close(db);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return EXIT_OK;
}

struct child {
	size_t off, len; /* name in the arena, with a trailing '/' for dirs */
};

static const char *carena;

static int child_cmp(const void *pa, const void *pb)
{
	const struct child *a = pa, *b = pb;
	int c = memcmp(carena + a->off, carena + b->off, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static int kv_ls(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT, path = SDB_BUF_INIT;
	struct sdb_buf arena = SDB_BUF_INIT, last = SDB_BUF_INIT;
	struct child *c = NULL;
	size_t nc = 0, cap = 0;
	struct sdb_iter *it;
	struct sdb_error e;
	struct sdb_db *db;
	int has_hi, rc;

	parse(&k, argc, argv, h_ls, o_ls, 0, 1);
	if (k.npos) {
		arg_bytes(&k, "PATH", k.pos[0], &path);
		/* PATH/ is a literal prefix: "/" lists the children of the
		 * keys that begin with '/' (no PATH: the top level) */
		if (path.len && path.data[path.len - 1] != '/')
			sdb_buf_addc(&path, '/');
	}
	k.prefix = path.len ? path.data : NULL;
	k.escaped = 0;
	scan_range(&k, &lo, &hi, &has_hi);
	db = dbopt_open(&k.db, SDB_OPEN_SNAPSHOT);
	sdb_error_clear(&e);
	if ((rc = sdb_iter_open(db, lo.data, lo.len, has_hi ? hi.data : NULL, hi.len, 0, &it, &e)))
		die_err(rc, &e);
	for (;;) {
		const unsigned char *ikey;
		size_t iklen, nslen, klen, rest;
		const char *ns, *key, *slash;
		struct sdb_val v;
		rc = sdb_iter_next(it, &ikey, &iklen, &v, &e);
		if (rc < 0)
			die_err(rc, &e);
		if (!rc)
			break;
		sdb_ikey_split(ikey, iklen, &ns, &nslen, &key, &klen);
		key += path.len;
		rest = klen - path.len;
		if (!rest)
			continue; /* the key "PATH/" itself */
		slash = memchr(key, '/', rest);
		if (slash)
			rest = (size_t)(slash - key) + 1;
		if (last.len == rest && !memcmp(last.data, key, rest))
			continue;
		sdb_buf_reset(&last);
		sdb_buf_add(&last, key, rest);
		if (nc == cap) {
			cap = cap ? cap * 2 : 64;
			c = realloc(c, cap * sizeof(*c));
			if (!c)
				die(EXIT_FAILURE_RT, "out of memory");
		}
		c[nc].off = arena.len;
		c[nc].len = rest;
		sdb_buf_add(&arena, key, rest);
		nc++;
		if (slash) {
			/* skip every key below this child: seek past "PATH/child/" */
			struct sdb_buf skip = SDB_BUF_INIT;
			sdb_buf_add(&skip, ikey, (size_t)((const unsigned char *)key - ikey) + rest);
			sdb_iter_close(it);
			it = NULL;
			if (!sdb_prefix_succ(&skip)) {
				sdb_buf_release(&skip);
				break;
			}
			if ((rc = sdb_iter_open(db, skip.data, skip.len, has_hi ? hi.data : NULL, hi.len, 0, &it, &e)))
				die_err(rc, &e);
			sdb_buf_release(&skip);
		}
	}
	if (!sdb_buf_ok(&arena))
		die(EXIT_FAILURE_RT, "out of memory");
	carena = arena.data;
	if (nc)
		qsort(c, nc, sizeof(*c), child_cmp);
	for (size_t i = 0; i < nc; i++) {
		if (i && !child_cmp(&c[i - 1], &c[i]))
			continue;
		sdb_tsv_escape(&cli_ob, arena.data + c[i].off, c[i].len);
		sdb_buf_addc(&cli_ob, '\n');
		cli_ob_check();
	}
	cli_ob_flush();
	free(c);
	sdb_iter_close(it);
	sdb_db_close(db);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	sdb_buf_release(&path);
	sdb_buf_release(&arena);
	sdb_buf_release(&last);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- load */

struct jrec {
	struct sdb_buf key, val, ns;
	int has_key, has_val, has_ns, val_null;
	uint64_t exp;
	const char *err;
};

static int jrec_field(void *ctx, const char *name, size_t nlen, int kind,
		      const char *val, size_t vlen)
{
	struct jrec *r = ctx;
	struct sdb_buf *dst = NULL;
	int b64 = 0;

#define IS(s) (nlen == sizeof(s) - 1 && !memcmp(name, s, nlen))
	/* A null key, ns or value beside its _b64 twin is the other half of
	 * a toon row (sochdb-kv(1)); a null value alone deletes. */
	if (IS("key") || (b64 = IS("key_b64"))) {
		if (kind == 'z')
			return 0;
		dst = &r->key;
		r->has_key = 1;
	} else if (IS("value") || (b64 = IS("value_b64"))) {
		if (kind == 'z') {
			r->val_null = 1;
			return 0;
		}
		dst = &r->val;
		r->has_val = 1;
	} else if (IS("ns") || (b64 = IS("ns_b64"))) {
		if (kind == 'z')
			return 0;
		dst = &r->ns;
		r->has_ns = 1;
	} else if (IS("expires_ms")) {
		char *end;
		if (kind == 'z')
			return 0;
		if (kind != 'n') {
			r->err = "expires_ms must be a number or null";
			return SDB_EPARSE;
		}
		r->exp = strtoull(val, &end, 10);
		if (end != val + vlen) {
			r->err = "expires_ms must be an integer";
			return SDB_EPARSE;
		}
		return 0;
	} else {
		return 0; /* unknown members are ignored */
	}
#undef IS
	if (kind != 's') {
		r->err = "key, value and ns must be strings (value may be null)";
		return SDB_EPARSE;
	}
	sdb_buf_reset(dst);
	if (b64) {
		if (sdb_b64_decode(dst, val, vlen)) {
			r->err = "invalid base64";
			return SDB_EPARSE;
		}
	} else
		sdb_buf_add(dst, val, vlen);
	return 0;
}

/*
 * Reads one JSONL line (an object) into r with lib/json's strict parser.
 * @return 0, or non-zero with the message (line, column) in err.
 */
static int jsonl_record(const char *p, size_t len, struct jrec *r, char *err,
			size_t errn, const char *unit, long lineno)
{
	struct sdb_json_doc d;
	struct sdb_error e;
	struct sdb_buf sn = SDB_BUF_INIT, sv = SDB_BUF_INIT;
	int rc = 0;

	sdb_error_clear(&e);
	if (sdb_json_parse(&d, p, len, 0, &e)) {
		snprintf(err, errn, "%s %ld, column %ld: %s", unit, lineno, e.column, e.msg);
		return 1;
	}
	if (sdb_json_type(&d, 0) != SDB_J_OBJECT) {
		snprintf(err, errn, "%s %ld: expected a JSON object", unit, lineno);
		sdb_json_release(&d);
		return 1;
	}
	for (size_t i = 1, end = (size_t)SDB_JT_END(d.tape[0]); i < end && !rc;) {
		size_t v = sdb_json_next(&d, i);
		const char *name, *val = "";
		size_t nlen, vlen = 0;
		int t = sdb_json_type(&d, v), kind;
		if (sdb_json_str(&d, i, &name, &nlen, &sn))
			die(EXIT_FAILURE_RT, "out of memory");
		if (t == SDB_J_STRING) {
			if (sdb_json_str(&d, v, &val, &vlen, &sv))
				die(EXIT_FAILURE_RT, "out of memory");
			kind = 's';
		} else if (t == SDB_J_NUMBER) {
			sdb_json_raw(&d, v, &val, &vlen);
			kind = 'n';
		} else
			kind = t == SDB_J_NULL ? 'z' : 'x';
		if (jrec_field(r, name, nlen, kind, val, vlen)) {
			snprintf(err, errn, "%s %ld: %s", unit, lineno, r->err);
			rc = 1;
		}
		i = sdb_json_next(&d, v);
	}
	sdb_json_release(&d);
	sdb_buf_release(&sn);
	sdb_buf_release(&sv);
	return rc;
}

/* Splits line p at tabs into at most max fields. @return field count. */
static int split_tabs(const char *p, size_t n, const char **f, size_t *fl, int max)
{
	int nf = 0;
	size_t s = 0;

	for (size_t i = 0; i <= n; i++)
		if (i == n || p[i] == '\t') {
			if (nf == max)
				return max + 1;
			f[nf] = p + s;
			fl[nf] = i - s;
			nf++;
			s = i + 1;
		}
	return nf;
}

/*
 * load --format json|toon: the records of the root array, as the JSON
 * lines the jsonl reader takes (numbers keep their digits). Dies on
 * malformed input (nothing loaded).
 */
static void records_as_jsonl(enum sdb_fmt f, const struct sdb_input *in,
			     struct sdb_buf *out)
{
	struct sdb_buf tmp = SDB_BUF_INIT;
	struct sdb_json_doc d;
	struct sdb_error e;
	int rc;
	const char *p = in->data;
	size_t n = in->len;

	sdb_error_clear(&e);
	if (f == SDB_FMT_TOON) {
		struct sdb_toon_dec_opts o;
		sdb_toon_dec_opts_init(&o);
		if ((rc = sdb_toon_decode_json(p, n, &o, 1, 0, 0, &tmp, &e)))
			die_err(rc, &e);
		p = tmp.data ? tmp.data : "";
		n = tmp.len;
	}
	if ((rc = sdb_json_parse(&d, p, n, 0, &e)))
		die_err(rc, &e);
	if (sdb_json_type(&d, 0) != SDB_J_ARRAY)
		die(EXIT_FAILURE_RT, "expected an array of records (nothing loaded)");
	for (size_t i = 1, end = (size_t)SDB_JT_END(d.tape[0]); i < end; i = sdb_json_next(&d, i)) {
		sdb_json_write(&d, i, 0, 1, out);
		sdb_buf_addc(out, '\n');
	}
	sdb_json_release(&d);
	sdb_buf_release(&tmp);
	if (!sdb_buf_ok(out))
		die(EXIT_FAILURE_RT, "out of memory");
}

/* An empty load still logs an empty transaction (as it always has). */
static int commit_empty(struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_batch b;
	int rc;

	sdb_batch_init(&b);
	rc = sdb_db_commit(db, &b, 0, e);
	sdb_batch_release(&b);
	return rc;
}

static int kv_load(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_input in;
	struct sdb_error e;
	int rc;
	struct sdb_txn *t;
	struct sdb_db *db;
	struct sdb_buf ik = SDB_BUF_INIT;
	struct jrec r;
	uint64_t defexp;
	long lineno = 0;
	int failed = 0;
	char err[600] = "";
	const char *src, *unit = "line";
	size_t srclen;
	struct sdb_buf conv = SDB_BUF_INIT;
	struct sdb_sorter *so = NULL;

	parse(&k, argc, argv, h_load, o_load, LIST_FMTS, 1);
	sdb_error_clear(&e);
	if ((rc = sdb_input_open(&in, k.npos ? k.pos[0] : NULL, &e)))
		die_err(rc, &e);
	src = in.data;
	srclen = in.len;
	if (k.fmt == SDB_FMT_JSON || k.fmt == SDB_FMT_TOON) {
		records_as_jsonl(k.fmt, &in, &conv);
		src = conv.data;
		srclen = conv.len;
		unit = "record";
	}
	defexp = expiry(&k);
	memset(&r, 0, sizeof(r));
	/* a write-only transaction: the database opens (and locks) only
	 * once the input has been read */
	if ((rc = sdb_txn_begin(NULL, &t, &e)))
		die_err(rc, &e);
	if (k.bulk && (rc = sdb_sorter_new(&so, &e)))
		die_err(rc, &e);
	const char *p;
	for (size_t i = 0, len; !failed && cli_line(src, srclen, &i, &p, &len);) {
		size_t col;
		const char *nsp = k.ns;
		size_t nslen = k.nslen;
		uint64_t exp = defexp;
		int del = 0;
		lineno++;
		sdb_buf_reset(&r.key);
		sdb_buf_reset(&r.val);
		sdb_buf_reset(&r.ns);
		r.has_key = r.has_val = r.has_ns = r.val_null = 0;
		r.exp = 0;
		r.err = NULL;
		if (k.fmt == SDB_FMT_TSV) {
			const char *f[4];
			size_t fl[4];
			int nf = split_tabs(p, len, f, fl, 4);
			if (nf < 2 || nf > 4) {
				snprintf(err, sizeof(err), "line %ld: expected KEY<TAB>VALUE[<TAB>EXPIRES_MS[<TAB>NS]]", lineno);
				failed = 1;
				break;
			}
			if (sdb_tsv_unescape(&r.key, f[0], fl[0], &col)) {
				snprintf(err, sizeof(err), "line %ld, column %zu: invalid escape", lineno, col);
				failed = 1;
				break;
			}
			if (sdb_tsv_is_null(f[1], fl[1]))
				del = 1;
			else if (sdb_tsv_unescape(&r.val, f[1], fl[1], &col)) {
				snprintf(err, sizeof(err), "line %ld, column %zu: invalid escape", lineno,
					 (size_t)(f[1] - p) + col);
				failed = 1;
				break;
			}
			if (nf >= 3 && !sdb_tsv_is_null(f[2], fl[2])) {
				char *end;
				char num[32];
				if (!fl[2] || fl[2] >= sizeof(num)) {
					snprintf(err, sizeof(err), "line %ld, column %zu: invalid EXPIRES_MS", lineno, (size_t)(f[2] - p) + 1);
					failed = 1;
					break;
				}
				memcpy(num, f[2], fl[2]);
				num[fl[2]] = 0;
				exp = strtoull(num, &end, 10);
				if (*end || num[0] == '-') {
					snprintf(err, sizeof(err), "line %ld, column %zu: invalid EXPIRES_MS", lineno, (size_t)(f[2] - p) + 1);
					failed = 1;
					break;
				}
			}
			if (nf == 4) {
				if (sdb_tsv_unescape(&r.ns, f[3], fl[3], &col)) {
					snprintf(err, sizeof(err), "line %ld, column %zu: invalid escape", lineno, (size_t)(f[3] - p) + col);
					failed = 1;
					break;
				}
				nsp = r.ns.data;
				nslen = r.ns.len;
			}
		} else {
			if (!len)
				continue; /* blank lines between JSON objects */
			if (jsonl_record(p, len, &r, err, sizeof(err), unit, lineno)) {
				failed = 1;
				break;
			}
			if (!r.has_key || (!r.has_val && !r.val_null)) {
				snprintf(err, sizeof(err), "%s %ld: object needs \"key\" and \"value\"", unit, lineno);
				failed = 1;
				break;
			}
			del = !r.has_val;
			if (r.exp)
				exp = r.exp;
			if (r.has_ns) {
				nsp = r.ns.data;
				nslen = r.ns.len;
				if (nslen && nsp[0] == '$') {
					snprintf(err, sizeof(err), "%s %ld: namespace '%.*s' is reserved",
						 unit, lineno, (int)(nslen > 200 ? 200 : nslen), nsp);
					failed = 1;
					break;
				}
			}
		}
		if (sdb_ikey_make(&ik, nsp ? nsp : "", nslen, r.key.data ? r.key.data : "", r.key.len, &e) ||
		    (so ? (del ? sdb_sorter_del(so, ik.data, ik.len, &e) :
			   sdb_sorter_put(so, ik.data, ik.len, r.val.data ? r.val.data : "", r.val.len, exp, &e)) :
		     del ? sdb_txn_del(t, ik.data, ik.len, &e) :
			   sdb_txn_put(t, ik.data, ik.len, r.val.data ? r.val.data : "", r.val.len, exp, &e))) {
			snprintf(err, sizeof(err), "%s %ld: %s", unit, lineno, e.msg);
			failed = 1;
		}
	}
	if (so && (!failed || (k.partial && sdb_sorter_count(so)))) {
		/* sorted into tables, installed by one manifest switch */
		struct sdb_bulk *b;
		db = dbopt_open(&k.db, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
		if ((rc = sdb_bulk_begin(db, &b, &e)))
			die_err(rc, &e);
		if ((rc = sdb_sorter_feed(so, b, &e))) {
			sdb_bulk_abort(b);
			die_err(rc, &e);
		}
		sdb_sorter_free(so);
		so = NULL;
		if ((rc = sdb_bulk_commit(b, NULL, &e)))
			die_err(rc, &e);
		cli_committed();
		sdb_input_close(&in);
		dbopt_after_commit(db);
		sdb_db_close(db);
	} else if (!so && (!failed || (k.partial && sdb_txn_nops(t)))) {
		db = dbopt_open(&k.db, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
		if ((rc = sdb_txn_nops(t) ? sdb_txn_commit(t, db, 0, &e) : commit_empty(db, &e)) ||
		    (k.db.o.sync == SDB_SYNC_NORMAL && (rc = sdb_db_sync(db, &e))))
			die_err(rc, &e);
		cli_committed();
		/* the flush that may follow reads the log back: drop our copies */
		sdb_txn_free(t);
		t = NULL;
		sdb_input_close(&in);
		dbopt_after_commit(db);
		sdb_db_close(db);
	}
	sdb_txn_free(t);
	sdb_sorter_free(so);
	sdb_input_close(&in);
	sdb_buf_release(&ik);
	sdb_buf_release(&r.key);
	sdb_buf_release(&r.val);
	sdb_buf_release(&r.ns);
	sdb_buf_release(&conv);
	if (failed)
		die(EXIT_FAILURE_RT, "%s%s", err,
		    k.partial ? " (the lines before it were committed)" : " (nothing loaded)");
	return EXIT_OK;
}

/* ----------------------------------------------------------------- txn */

static int kv_txn(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_input in;
	struct sdb_error e;
	int rc;
	struct sdb_txn *t;
	struct sdb_db *db;
	struct sdb_buf key = SDB_BUF_INIT, a1 = SDB_BUF_INIT, a2 = SDB_BUF_INIT;
	struct sdb_buf ik = SDB_BUF_INIT, out = SDB_BUF_INIT;
	uint64_t exp;
	long lineno = 0, nops;

	parse(&k, argc, argv, h_txn, o_txn, 0, 0);
	sdb_error_clear(&e);
	if ((rc = sdb_input_open(&in, NULL, &e)))
		die_err(rc, &e);
	exp = expiry(&k);
	db = dbopt_open(&k.db, SDB_OPEN_CREATE | SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT);
	if ((rc = sdb_txn_begin(db, &t, &e)))
		die_err(rc, &e);
	const char *p;
	for (size_t i = 0, len; cli_line(in.data, in.len, &i, &p, &len);) {
		size_t col;
		const char *f[5];
		size_t fl[5];
		int nf, want;
		lineno++;
		if (!len)
			continue;
		nf = split_tabs(p, len, f, fl, 4);
#define OP(s) (fl[0] == sizeof(s) - 1 && !memcmp(f[0], s, fl[0]))
		want = OP("put") ? 3 : OP("del") ? 2 : OP("cas") ? 4 : OP("get") ? 2 : 0;
		if (!want)
			die(EXIT_FAILURE_RT, "line %ld: unknown operation (expected put, del, cas or get); nothing applied", lineno);
		if (nf != want)
			die(EXIT_FAILURE_RT, "line %ld: %.*s takes %d fields; nothing applied", lineno, (int)fl[0], f[0], want - 1);
		sdb_buf_reset(&key);
		sdb_buf_reset(&a1);
		sdb_buf_reset(&a2);
		if (sdb_tsv_unescape(&key, f[1], fl[1], &col) ||
		    (nf > 2 && !sdb_tsv_is_null(f[2], fl[2]) && sdb_tsv_unescape(&a1, f[2], fl[2], &col)) ||
		    (nf > 3 && !sdb_tsv_is_null(f[3], fl[3]) && sdb_tsv_unescape(&a2, f[3], fl[3], &col)))
			die(EXIT_FAILURE_RT, "line %ld: invalid escape; nothing applied", lineno);
		if (sdb_ikey_make(&ik, k.ns, k.nslen, key.data ? key.data : "", key.len, &e))
			die(EXIT_FAILURE_RT, "line %ld: %s; nothing applied", lineno, e.msg);
		if (OP("get")) {
			struct sdb_val v;
			rc = sdb_txn_get(t, ik.data, ik.len, &v, &e);
			if (rc && rc != SDB_ENOTFOUND)
				die_err(rc, &e);
			if (!rc)
				sdb_tsv_escape(&out, v.data, v.len);
			else
				sdb_buf_adds(&out, "\\N");
			sdb_buf_addc(&out, '\n');
			continue;
		}
		{
			int cas = OP("cas"), present;
			int del = OP("del") || (cas && sdb_tsv_is_null(f[3], fl[3]));
			struct sdb_buf *val = cas ? &a2 : &a1;
			const char *nv = del ? NULL : val->data ? val->data : "";
			if (cas)
				rc = sdb_txn_cas(t, ik.data, ik.len,
						 sdb_tsv_is_null(f[2], fl[2]) ? NULL : a1.data ? a1.data : "",
						 a1.len, nv, val->len, exp, &present, &e);
			else
				rc = del ? sdb_txn_del(t, ik.data, ik.len, &e) :
					   sdb_txn_put(t, ik.data, ik.len, nv, val->len, exp, &e);
			if (rc == SDB_ECONFLICT) {
				struct sdb_buf shown = SDB_BUF_INIT;
				sdb_tsv_escape(&shown, key.data, key.len);
				die(EXIT_FAILURE_RT, "line %ld: conflict: cas on key '%s' found %s; nothing applied",
				    lineno, shown.data ? shown.data : "",
				    present ? "a different value" : "no value");
			}
			if (rc == SDB_ECORRUPT || rc == SDB_EIO)
				die_err(rc, &e); /* reading the snapshot failed */
			if (rc)
				die(EXIT_FAILURE_RT, "line %ld: %s; nothing applied", lineno, e.msg);
		}
#undef OP
	}
	nops = sdb_txn_nops(t);
	if ((rc = sdb_txn_commit(t, db, 1, &e)))
		die_err(rc, &e);
	if (nops) {
		cli_committed();
		dbopt_after_commit(db);
	}
	sdb_buf_add(&cli_ob, out.data ? out.data : "", out.len);
	cli_ob_flush();
	sdb_txn_free(t);
	sdb_db_close(db);
	sdb_input_close(&in);
	sdb_buf_release(&key);
	sdb_buf_release(&a1);
	sdb_buf_release(&a2);
	sdb_buf_release(&ik);
	sdb_buf_release(&out);
	return EXIT_OK;
}

/* --------------------------------------------------------------- stats */

static int kv_stats(int argc, char **argv)
{
	struct kvopt k;
	struct sdb_stats st;
	struct sdb_error e;
	int rc;
	struct sdb_db *db;
	struct sdb_cell levels[SDB_LEVELS];
	struct sdb_fmt_opts o = { SDB_FMT_TOON, 0, &cli_ob, cli_out_sink, NULL };
	int ntab = 0;
	double ratio;
	char r2[32];

	parse(&k, argc, argv, h_stats, o_stats, SDB_FMT_BIT(SDB_FMT_TOON) | SDB_FMT_BIT(SDB_FMT_JSON), 0);
	db = dbopt_open(&k.db, SDB_OPEN_SNAPSHOT);
	sdb_error_clear(&e);
	if ((rc = sdb_db_stats(db, k.ns, k.nslen, !k.has_ns, &st, &e)))
		die_err(rc, &e);
	if (!k.has_ns) {
		uint64_t rk, rb;
		reserved_stats(db, &rk, &rb);
		st.keys -= rk < st.keys ? rk : st.keys;
		st.live_bytes -= rb < st.live_bytes ? rb : st.live_bytes;
	}
	for (int l = 0; l < SDB_LEVELS; l++) {
		ntab += st.tables_per_level[l];
		levels[l] = sdb_cell_int(st.tables_per_level[l]);
	}
	ratio = st.table_bytes ? (double)st.raw_bytes / (double)st.table_bytes : 0;
	/* two decimals: "%.2f" in json, the shortest form of them in toon */
	snprintf(r2, sizeof(r2), "%.2f", ratio);
	{
		const struct sdb_fmt_field f[] = {
			CLI_FIELD("keys", sdb_cell_uint(st.keys)),
			CLI_FIELD("live_bytes", sdb_cell_uint(st.live_bytes)),
			CLI_FIELD("dead_bytes", sdb_cell_uint(st.dead_bytes)),
			CLI_FIELD("wal_bytes", sdb_cell_uint(st.wal_bytes)),
			CLI_FIELD("wal_segments", sdb_cell_int(st.wal_segments)),
			CLI_FIELD("checkpoint_lsn", sdb_cell_uint(st.checkpoint_lsn)),
			CLI_FIELD("wal_end_lsn", sdb_cell_uint(st.wal_end_lsn)),
			CLI_FIELD("tables", sdb_cell_int(ntab)),
			{ "tables_per_level", sdb_cell_absent(), levels, SDB_LEVELS, NULL, 0 },
			CLI_FIELD("table_bytes", sdb_cell_uint(st.table_bytes)),
			{ "compression_ratio", k.fmt == SDB_FMT_JSON ? sdb_cell_num(r2) :
				sdb_cell_real((double)(long)(ratio * 100 + 0.5) / 100), NULL, 0, NULL, 0 },
		};
		o.fmt = k.fmt;
		if (sdb_fmt_record(&o, f, sizeof(f) / sizeof(f[0]), &e))
			cli_die_output(&e);
	}
	sdb_db_close(db);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "put", kv_put }, { "get", kv_get }, { "del", kv_del },
		{ "exists", kv_exists }, { "scan", kv_scan }, { "ls", kv_ls },
		{ "load", kv_load }, { "dump", kv_dump }, { "txn", kv_txn },
		{ "stats", kv_stats }, { NULL, NULL }
	};
	static char obuf[1 << 16];

	cli_init("sochdb-kv");
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
