/*
 * sochdb-graph - a bi-temporal property graph from the shell: nodes,
 * typed edges with JSON properties, traversals, paths, time travel
 * (DESIGN.md "sochdb-graph"; man/sochdb-graph.1 is the contract: field
 * names, formats, exit codes).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dbopt.h"

#include "fmt/fmt.h"
#include "graph/graph.h"
#include "graph/load.h"
#include "graph/trav.h"
#include "json/json.h"
#include "store/txn.h"
#include "toon/toon.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/io.h"
#include "util/num.h"
#include "util/tsv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_main[] =
	"usage: sochdb-graph [common options] COMMAND [options] NS [args]\n"
	"\n"
	"Commands:\n"
	"  add-node   add a node version: add-node NS ID TYPE\n"
	"  set-node   change a node's type or properties: set-node NS ID\n"
	"  get-node   print a node: get-node NS ID\n"
	"  del-node   expire a node and its edges: del-node NS ID\n"
	"  add-edge   add an edge version: add-edge NS FROM TYPE TO\n"
	"  end-edge   close an edge's valid time: end-edge NS FROM TYPE TO\n"
	"  get-edge   print an edge's versions: get-edge NS FROM TYPE TO\n"
	"  del-edge   expire an edge: del-edge NS FROM TYPE TO\n"
	"  neighbors  the nodes next to a node: neighbors NS ID\n"
	"  traverse   BFS or DFS from a node: traverse NS START\n"
	"  path       a shortest path: path NS FROM TO\n"
	"  temporal   a node's edges now, at a time or over a range\n"
	"  history    every version of a node or an edge\n"
	"  load       load JSONL or node-link JSON in one transaction\n"
	"  dump       every version, as JSONL that load restores\n"
	"  purge      remove versions expired before a time\n"
	"  stats      node, edge and version counts\n"
	"\n"
	"Common options, before or after COMMAND: -d, --db DIR (default $SOCHDB_DIR,\n"
	"else ./sochdb_data), --sync full|normal|off, --lock-timeout SECONDS (30),\n"
	"-q, -v. Reads take --as-of TIME and --known-at TIME; writes --now TIME.\n"
	"'sochdb-graph help COMMAND' or 'sochdb-graph COMMAND -h' shows the rest.\n"
	"Exit status: 0 ok, 1 absent (node, edge or path), 2 usage error,\n"
	"3 failure, 4 committed but writing the output failed.\n";

enum {
	G_FORMAT = 1, G_AS_OF, G_KNOWN_AT, G_NOW, G_PROP, G_PROPS, G_VALID_FROM,
	G_VALID_UNTIL, G_REPLACE, G_AT, G_DIRECTION, G_EDGE_TYPES, G_NODE_TYPES,
	G_WHERE, G_ORDER, G_MAX_DEPTH, G_WEIGHT, G_ALL_SHORTEST, G_STDIN, G_MODE,
	G_FROM, G_TO, G_EDGE_TYPE, G_BEFORE, G_TYPE, G_IDS_ONLY,
};

#define COMMON DBOPT_DB_OPT, CLI_HIDDEN_OPTS
#define WRITING \
	DBOPT_WRITE_OPTS, \
	{ G_NOW, 0, "now", "TIME", "the system time recorded (default: the clock)" }
#define READING \
	{ G_AS_OF, 0, "as-of", "TIME", "valid time to look at (default now)" }, \
	{ G_KNOWN_AT, 0, "known-at", "TIME", "what the database knew at TIME (default: now)" }
#define FORMAT(def) \
	{ G_FORMAT, 0, "format", "F", "toon, json, jsonl or tsv (default " def ")" }
#define PROPS \
	{ G_PROP, 0, "prop", "K=V", "a property (V: JSON when it parses, else a string)" }, \
	{ G_PROPS, 0, "props", "JSON", "properties as a JSON object" }
#define PERIOD \
	{ G_VALID_FROM, 0, "valid-from", "TIME", "start of valid time (default now; 0: always)" }, \
	{ G_VALID_UNTIL, 0, "valid-until", "TIME", "end of valid time, exclusive (default open)" }
#define WALK \
	{ G_DIRECTION, 0, "direction", "D", "out (default), in or both" }, \
	{ G_EDGE_TYPES | OPT_LIST, 0, "edge-types", "T,...", "only edges of these types" }
#define BATCH \
	{ G_STDIN, 0, "stdin", NULL, "read many starts from stdin, one per line" }

static const struct opt common[] = { COMMON, WRITING, OPT_END };

static const char h_add_node[] =
	"usage: sochdb-graph add-node [options] NS ID TYPE\n"
	"Adds a version of node ID: TYPE and properties over a valid period.\n";
static const struct opt o_add_node[] = { COMMON, WRITING, PROPS, PERIOD, OPT_END };
static const char h_set_node[] =
	"usage: sochdb-graph set-node [options] NS ID\n"
	"Changes the node's type or properties (merged; a null removes a key):\n"
	"a correction of the current version, or from --valid-from on.\n";
static const struct opt o_set_node[] = {
	COMMON, WRITING, PROPS,
	{ G_TYPE, 0, "type", "TYPE", "the new type" },
	{ G_VALID_FROM, 0, "valid-from", "TIME", "the change holds from TIME on" },
	OPT_END
};
static const char h_get_node[] =
	"usage: sochdb-graph get-node [options] NS ID\n"
	"Prints the node's version visible at --as-of / --known-at; exit 1 if none.\n";
static const struct opt o_get_node[] = { COMMON, READING, FORMAT("toon"), OPT_END };
static const char h_del_node[] =
	"usage: sochdb-graph del-node [options] NS ID\n"
	"Expires the node and every edge to or from it, in one transaction.\n";
static const struct opt o_del_node[] = { COMMON, WRITING, OPT_END };
static const char h_add_edge[] =
	"usage: sochdb-graph add-edge [options] NS FROM TYPE TO\n"
	"Adds a version of the edge FROM -TYPE-> TO.\n";
static const struct opt o_add_edge[] = {
	COMMON, WRITING, PROPS, PERIOD,
	{ G_REPLACE, 0, "replace", NULL, "expire the edge's open versions first" },
	{ G_STDIN, 0, "stdin", NULL, "read FROM<TAB>TYPE<TAB>TO[<TAB>PROPS] lines (NS only)" },
	OPT_END
};
static const char h_end_edge[] =
	"usage: sochdb-graph end-edge [options] NS FROM TYPE TO\n"
	"Closes the valid time of the edge's versions that hold at --at.\n";
static const struct opt o_end_edge[] = {
	COMMON, WRITING,
	{ G_AT, 0, "at", "TIME", "valid_until to set (default now)" },
	OPT_END
};
static const char h_get_edge[] =
	"usage: sochdb-graph get-edge [options] NS FROM TYPE TO\n"
	"Prints the edge's versions visible at --as-of / --known-at; exit 1 if none.\n";
static const struct opt o_get_edge[] = { COMMON, READING, FORMAT("toon"), OPT_END };
static const char h_del_edge[] =
	"usage: sochdb-graph del-edge [options] NS FROM TYPE TO\n"
	"Expires every version of the edge.\n";
static const struct opt o_del_edge[] = { COMMON, WRITING, OPT_END };
static const char h_neighbors[] =
	"usage: sochdb-graph neighbors [options] NS ID\n"
	"Prints the nodes next to ID and the edges that join them.\n";
static const struct opt o_neighbors[] = { COMMON, READING, FORMAT("toon"), WALK, BATCH, OPT_END };
static const char h_traverse[] =
	"usage: sochdb-graph traverse [options] NS START\n"
	"Walks from START: every node reached once, with its depth, and the\n"
	"edges walked.\n";
static const struct opt o_traverse[] = {
	COMMON, READING, FORMAT("toon"), WALK,
	{ G_ORDER, 0, "order", "ORDER", "bfs (default) or dfs" },
	{ G_MAX_DEPTH, 0, "max-depth", "N", "at most N hops (default no limit)" },
	{ G_NODE_TYPES | OPT_LIST, 0, "node-types", "T,...", "enter only nodes of these types" },
	{ G_WHERE, 0, "where", "K=V", "enter only nodes whose property K is V" },
	{ G_IDS_ONLY, 0, "ids-only", NULL, "nodes as id and depth only: no properties, no edges" },
	BATCH,
	OPT_END
};
static const char h_path[] =
	"usage: sochdb-graph path [options] NS FROM TO\n"
	"Prints a fewest-hop path (or the lightest, with --weight); exit 1 when\n"
	"there is none.\n";
static const struct opt o_path[] = {
	COMMON, READING, FORMAT("toon"), WALK,
	{ G_MAX_DEPTH, 0, "max-depth", "N", "at most N hops (default no limit)" },
	{ G_NODE_TYPES | OPT_LIST, 0, "node-types", "T,...", "only through nodes of these types" },
	{ G_WEIGHT, 0, "weight", "PROP", "Dijkstra on the numeric edge property PROP (absent: 1)" },
	{ G_ALL_SHORTEST, 0, "all-shortest", NULL, "every fewest-hop path" },
	{ G_STDIN, 0, "stdin", NULL, "read FROM<TAB>TO pairs from stdin" },
	OPT_END
};
static const char h_temporal[] =
	"usage: sochdb-graph temporal [options] NS ID\n"
	"The node's edges: --mode current (valid now), at (valid at --at) or\n"
	"range (valid at some time in [--from, --to)).\n";
static const struct opt o_temporal[] = {
	COMMON, FORMAT("toon"),
	{ G_KNOWN_AT, 0, "known-at", "TIME", "what the database knew at TIME (default: now)" },
	{ G_MODE, 0, "mode", "MODE", "current (default), at or range" },
	{ G_AT, 0, "at", "TIME", "the time of --mode at" },
	{ G_FROM, 0, "from", "TIME", "start of --mode range" },
	{ G_TO, 0, "to", "TIME", "end of --mode range (exclusive)" },
	{ G_EDGE_TYPE, 0, "edge-type", "T", "only edges of type T" },
	{ G_DIRECTION, 0, "direction", "D", "out (default), in or both" },
	OPT_END
};
static const char h_history[] =
	"usage: sochdb-graph history [options] NS ID [TYPE TO]\n"
	"Every version of node ID, or of the edge ID -TYPE-> TO, expired ones too.\n";
static const struct opt o_history[] = { COMMON, FORMAT("toon"), OPT_END };
static const char h_load[] =
	"usage: sochdb-graph load [options] NS [FILE|-]\n"
	"Loads JSONL node and edge records (what dump writes) or networkx\n"
	"node-link JSON in one transaction: a bad record applies nothing.\n";
static const struct opt o_load[] = { COMMON, WRITING, OPT_END };
static const char h_dump[] =
	"usage: sochdb-graph dump [options] NS\n"
	"Writes every version of every node and edge as JSONL.\n";
static const struct opt o_dump[] = { COMMON, OPT_END };
static const char h_purge[] =
	"usage: sochdb-graph purge [options] NS --before TIME\n"
	"Removes the versions expired before TIME (history lost for good).\n";
static const struct opt o_purge[] = {
	COMMON, WRITING,
	{ G_BEFORE, 0, "before", "TIME", "expired_at before TIME" },
	OPT_END
};
static const char h_stats[] =
	"usage: sochdb-graph stats [options] NS\n"
	"Counts nodes and edges visible now, versions and expired versions.\n";
static const struct opt o_stats[] = { COMMON, READING, { G_FORMAT, 0, "format", "F", "toon (default) or json" }, OPT_END };

/* ------------------------------------------------------------ options */

struct gopt {
	struct dbopt db;
	enum sdb_fmt fmt;
	struct sdb_gread r;
	int has_as_of;
	uint64_t now, vf, vu, at, from, to, before;
	int has_vf, has_vu, has_at, has_from, has_to, has_before, replace;
	int dir, dfs, all, stdin_, mode, ids_only;
	long max_depth;
	const char *weight, *type, *edge_type;
	struct sdb_buf props;   /* merged --prop/--props, compact JSON object */
	int nprops;
	struct opt_list etypes, ntypes;
	const char *where[64];
	int nwhere;
	const char *pos[5];
	int npos;
};

/* TIME: milliseconds since the epoch, or an ISO date
 * YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z] (UTC). */
static uint64_t parse_time(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, n = 0;

	if (*s >= '0' && *s <= '9' && strspn(s, "0123456789") == strlen(s)) {
		v = strtoull(s, &end, 10);
		if (strlen(s) <= 18)
			return v;
	} else if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3) {
		const char *p = s + n;
		if (*p == 'T' || *p == ' ') {
			int m2 = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m2) != 2)
				goto bad;
			p += 1 + m2;
			if (*p == ':') {
				if (sscanf(p + 1, "%2d%n", &se, &m2) != 1)
					goto bad;
				p += 1 + m2;
				if (*p == '.') {
					if (sscanf(p + 1, "%3d%n", &ms, &m2) != 1)
						goto bad;
					p += 1 + m2;
				}
			}
		}
		if (*p == 'Z')
			p++;
		if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
			goto bad;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		return (uint64_t)timegm(&tm) * 1000 + (uint64_t)ms;
	}
bad:
	die_usage("invalid value '%s' for %s (expected milliseconds since 1970 or YYYY-MM-DD[THH:MM[:SS]])",
		  s, opt);
}

/* --prop K=V into the props object (V canonical JSON, or a string). */
static void add_prop(struct gopt *g, const char *kv)
{
	const char *eq = strchr(kv, '=');
	struct sdb_buf *b = &g->props;

	if (!eq || eq == kv)
		die_usage("invalid value '%s' for --prop (expected KEY=VALUE)", kv);
	if (!b->len)
		sdb_buf_addc(b, '{');
	else {
		b->len--; /* reopen the object */
		if (b->len > 1)
			sdb_buf_addc(b, ',');
	}
	sdb_json_quote(b, kv, (size_t)(eq - kv));
	sdb_buf_addc(b, ':');
	sdb_graph_canon(eq + 1, strlen(eq + 1), b);
	sdb_buf_addc(b, '}');
	g->nprops++;
}

static void add_props(struct gopt *g, const char *json)
{
	struct sdb_json_doc d;
	struct sdb_error e;
	struct sdb_buf k = SDB_BUF_INIT, one = SDB_BUF_INIT;

	memset(&d, 0, sizeof(d));
	sdb_error_clear(&e);
	if (sdb_json_parse(&d, json, strlen(json), 0, &e)) {
		char m[600];
		die(EXIT_FAILURE_RT, "--props: %s", sdb_error_format(&e, m, sizeof(m)));
	}
	if (sdb_json_type(&d, 0) != SDB_J_OBJECT)
		die(EXIT_FAILURE_RT, "--props: not a JSON object");
	for (size_t i = 1; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1)) {
		const char *p;
		size_t n;
		struct sdb_buf *b = &g->props;
		sdb_json_str(&d, i, &p, &n, &k);
		if (!b->len)
			sdb_buf_addc(b, '{');
		else {
			b->len--;
			if (b->len > 1)
				sdb_buf_addc(b, ',');
		}
		sdb_json_quote(b, p, n);
		sdb_buf_addc(b, ':');
		sdb_json_write(&d, i + 1, 0, 1, b);
		sdb_buf_addc(b, '}');
		g->nprops++;
	}
	if (!g->props.len)
		sdb_buf_adds(&g->props, "{}");
	sdb_json_release(&d);
	sdb_buf_release(&k);
	sdb_buf_release(&one);
}

/* Normalises the props object: duplicate keys resolved (the last wins). */
static void finish_props(struct gopt *g)
{
	struct sdb_json_doc d;
	struct sdb_buf out = SDB_BUF_INIT, k1 = SDB_BUF_INIT, k2 = SDB_BUF_INIT;

	if (!g->props.len) {
		sdb_buf_adds(&g->props, "{}");
		return;
	}
	memset(&d, 0, sizeof(d));
	if (sdb_json_parse(&d, g->props.data, g->props.len, 0, NULL))
		die(EXIT_FAILURE_RT, "out of memory");
	if (d.has_dups) {
		sdb_buf_addc(&out, '{');
		for (size_t i = 1; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1)) {
			const char *p, *q;
			size_t n, m, later = 0;
			sdb_json_str(&d, i, &p, &n, &k1);
			for (size_t j = sdb_json_next(&d, i + 1); j < sdb_json_next(&d, 0); j = sdb_json_next(&d, j + 1)) {
				sdb_json_str(&d, j, &q, &m, &k2);
				if (m == n && !memcmp(p, q, n))
					later = 1;
			}
			if (later)
				continue;
			sdb_json_str(&d, i, &p, &n, &k1);
			if (out.len > 1)
				sdb_buf_addc(&out, ',');
			sdb_json_quote(&out, p, n);
			sdb_buf_addc(&out, ':');
			sdb_json_write(&d, i + 1, 0, 1, &out);
		}
		sdb_buf_addc(&out, '}');
		sdb_buf_release(&g->props);
		g->props = out;
	}
	sdb_json_release(&d);
	sdb_buf_release(&k1);
	sdb_buf_release(&k2);
}

static void gopt_release(struct gopt *g)
{
	sdb_buf_release(&g->props);
	opt_list_free(&g->etypes);
	opt_list_free(&g->ntypes);
}

static int parse_dir(const char *v)
{
	if (!strcmp(v, "out"))
		return SDB_GDIR_OUT;
	if (!strcmp(v, "in"))
		return SDB_GDIR_IN;
	if (!strcmp(v, "both"))
		return SDB_GDIR_BOTH;
	die_usage("invalid value '%s' for --direction (expected out, in or both)", v);
}

/* A usage error naming the first missing argument, from the usage line
 * of head ("usage: sochdb-graph add-node [options] NS ID TYPE"). */
static void missing(const char *head, int have)
{
	const char *p = strstr(head, "[options] ");
	int k = 0;

	p = p ? p + 10 : "";
	while (*p && *p != '\n') {
		size_t n = strcspn(p, " \n");
		if (k++ == have)
			die_usage("missing argument %.*s", (int)n, p);
		p += n;
		p += *p == ' ';
	}
	die_usage("missing argument");
}

static void parse(struct gopt *g, int argc, char **argv, const char *head,
		  const struct opt *tab, unsigned fmts, int minpos, int maxpos)
{
	struct opt_parser p;
	const char *v;
	int c;

	memset(g, 0, sizeof(*g));
	dbopt_init(&g->db);
	g->fmt = SDB_FMT_TOON;
	g->dir = SDB_GDIR_OUT;
	g->max_depth = -1;
	g->now = sdb_now_ms();
	opt_init(&p, tab, head, argc, argv);
	while ((c = opt_next(&p, &v)) != OPT_EOF) {
		switch (c) {
		case OPT_ARG:
			if (g->npos >= maxpos)
				die_usage("unexpected argument '%s'", v);
			g->pos[g->npos++] = v;
			break;
		case G_FORMAT: g->fmt = cli_parse_fmt(v, fmts); break;
		case G_AS_OF: g->r.as_of = parse_time("--as-of", v); g->has_as_of = 1; break;
		case G_KNOWN_AT: g->r.known_at = parse_time("--known-at", v); g->r.has_known = 1; break;
		case G_NOW: g->now = parse_time("--now", v); break;
		case G_PROP: add_prop(g, v); break;
		case G_PROPS: add_props(g, v); break;
		case G_VALID_FROM: g->vf = parse_time("--valid-from", v); g->has_vf = 1; break;
		case G_VALID_UNTIL: g->vu = parse_time("--valid-until", v); g->has_vu = 1; break;
		case G_REPLACE: g->replace = 1; break;
		case G_AT: g->at = parse_time("--at", v); g->has_at = 1; break;
		case G_FROM: g->from = parse_time("--from", v); g->has_from = 1; break;
		case G_TO: g->to = parse_time("--to", v); g->has_to = 1; break;
		case G_BEFORE: g->before = parse_time("--before", v); g->has_before = 1; break;
		case G_DIRECTION: g->dir = parse_dir(v); break;
		case G_EDGE_TYPES: opt_list_add(&g->etypes, "--edge-types", v); break;
		case G_NODE_TYPES: opt_list_add(&g->ntypes, "--node-types", v); break;
		case G_WHERE:
			if (!strchr(v, '=') || *v == '=')
				die_usage("invalid value '%s' for --where (expected KEY=VALUE)", v);
			if (g->nwhere >= 64)
				die_usage("too many --where (at most 64)");
			g->where[g->nwhere++] = v;
			break;
		case G_ORDER:
			if (!strcmp(v, "bfs"))
				g->dfs = 0;
			else if (!strcmp(v, "dfs"))
				g->dfs = 1;
			else
				die_usage("invalid value '%s' for --order (expected bfs or dfs)", v);
			break;
		case G_MAX_DEPTH: g->max_depth = cli_parse_long("--max-depth", v, 0, 1000000); break;
		case G_WEIGHT:
			if (!*v)
				die_usage("empty --weight");
			g->weight = v;
			break;
		case G_ALL_SHORTEST: g->all = 1; break;
		case G_STDIN: g->stdin_ = 1; break;
		case G_IDS_ONLY: g->ids_only = 1; break;
		case G_MODE:
			if (!strcmp(v, "current")) g->mode = 0;
			else if (!strcmp(v, "at")) g->mode = 1;
			else if (!strcmp(v, "range")) g->mode = 2;
			else die_usage("invalid value '%s' for --mode (expected current, at or range)", v);
			break;
		case G_EDGE_TYPE: g->edge_type = v; break;
		case G_TYPE: g->type = v; break;
		default: dbopt_take(&g->db, c, v);
		}
	}
	if (!g->has_as_of)
		g->r.as_of = sdb_now_ms();
	if (g->npos < minpos)
		missing(head, g->npos);
	finish_props(g);
	if (!sdb_buf_ok(&g->props))
		die(EXIT_FAILURE_RT, "out of memory");
}

static void check_ns(const char *ns)
{
	size_t n = strlen(ns);

	if (!n)
		die_usage("empty graph name");
	if (n > SDB_GRAPH_MAX_NS)
		die(EXIT_FAILURE_RT, "graph name longer than %d bytes", SDB_GRAPH_MAX_NS);
}

/* ------------------------------------------------------- the database */

struct gdb {
	struct sdb_db *db;
	struct sdb_txn *t;
	struct sdb_graph *g;
	int write;
};

static void gdb_open(struct gdb *x, struct gopt *o, const char *ns, int write)
{
	struct sdb_error e;
	int rc;

	check_ns(ns);
	memset(x, 0, sizeof(*x));
	x->write = write;
	x->db = dbopt_open(&o->db, write ? SDB_OPEN_CREATE | SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT :
				   SDB_OPEN_SNAPSHOT);
	sdb_error_clear(&e);
	if ((rc = sdb_txn_begin(x->db, &x->t, &e)) ||
	    (rc = sdb_graph_open(x->t, ns, strlen(ns), &x->g, &e)))
		die_err(rc, &e);
}

/* A library error: absent things exit 1, bad values 3 (input), the rest
 * as die_err. */
static void fail(int rc, struct sdb_error *e)
{
	if (rc == SDB_ENOTFOUND) {
		if (cli_verbosity && e->msg[0])
			cli_error("%s", e->msg);
		exit(cli_finish(EXIT_NEGATIVE));
	}
	if (rc == SDB_EINVAL || rc == SDB_ELIMIT)
		die(EXIT_FAILURE_RT, "%s", e->msg);
	die_err(rc, e);
}

/*
 * Batches: from this many adds on (SOCHDB_GRAPH_BULK_MIN overrides it,
 * for tests) the new nodes and relations go into sorted table files
 * through the store's bulk ingest, committed with the transaction.
 */
static size_t bulk_min(void)
{
	const char *v = getenv("SOCHDB_GRAPH_BULK_MIN");

	return v && *v ? (size_t)strtoull(v, NULL, 10) : 20000;
}

static void gdb_bulk_end(struct gdb *x)
{
	struct sdb_error e;
	struct sdb_sorter *s = NULL;
	struct sdb_bulk *b = NULL;
	size_t n;
	int rc;

	sdb_error_clear(&e);
	if (sdb_graph_bulk_count(x->g) < bulk_min()) {
		if ((rc = sdb_graph_bulk_end(x->g, NULL, &n, &e)))
			fail(rc, &e);
		return;
	}
	if ((rc = sdb_sorter_new(&s, &e)) || (rc = sdb_graph_bulk_end(x->g, s, &n, &e)))
		fail(rc, &e);
	if (!n) {
		sdb_sorter_free(s);
		return;
	}
	sdb_graph_close(x->g);
	x->g = NULL;
	if ((rc = sdb_bulk_begin(x->db, &b, &e)) || (rc = sdb_sorter_feed(s, b, &e))) {
		sdb_bulk_abort(b);
		die_err(rc, &e);
	}
	sdb_sorter_free(s);
	if ((rc = sdb_bulk_commit(b, x->t, &e)))
		die_err(rc, &e);
	cli_committed();
	x->write = 0; /* committed with the bulk */
}

/* Commits (writes) and closes. */
static void gdb_close(struct gdb *x)
{
	struct sdb_error e;
	int rc;

	sdb_graph_close(x->g);
	x->g = NULL;
	if (x->write && sdb_txn_nops(x->t)) {
		sdb_error_clear(&e);
		if ((rc = sdb_txn_commit(x->t, x->db, 1, &e)))
			die_err(rc, &e);
		cli_committed();
		dbopt_after_commit(x->db);
	}
	sdb_txn_free(x->t);
	sdb_db_close(x->db);
}

/* ------------------------------------------------------------- output */


static struct sdb_buf sc = SDB_BUF_INIT; /* scratch for decoded text */

static void jstr(struct sdb_buf *b, struct sdb_gstr s)
{
	/* most ids: a TEXT element without escapes (no zero byte before its
	 * end mark) of printable ASCII that JSON takes as it is */
	if (s.n >= 3 && s.n <= 256 && !s.p[s.n - 1] && !s.p[s.n - 2]) {
		size_t i;
		for (i = 1; i < s.n - 2; i++)
			if (s.p[i] < 0x20 || s.p[i] > 0x7e || s.p[i] == '"' || s.p[i] == '\\')
				break;
		if (i == s.n - 2) {
			sdb_buf_addc(b, '"');
			sdb_buf_add(b, s.p + 1, s.n - 3);
			sdb_buf_addc(b, '"');
			return;
		}
	}
	sdb_buf_reset(&sc);
	if (sdb_graph_text(s, &sc))
		die(EXIT_FAILURE_RT, "malformed graph key");
	sdb_json_quote(b, sc.data ? sc.data : "", sc.len);
}

static void tstr(struct sdb_buf *b, struct sdb_gstr s)
{
	sdb_buf_reset(&sc);
	if (sdb_graph_text(s, &sc))
		die(EXIT_FAILURE_RT, "malformed graph key");
	sdb_tsv_escape(b, sc.data ? sc.data : "", sc.len);
}

static void props_json(struct sdb_buf *b, const char *p, size_t n)
{
	if (n)
		sdb_buf_add(b, p, n);
	else
		sdb_buf_adds(b, "{}");
}

/* Appends v in decimal (printf is the slow part of long listings). */
static void add_u64(struct sdb_buf *b, uint64_t v)
{
	char d[24];
	int n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sdb_buf_add(b, d + sizeof(d) - n, (size_t)n);
}

static void times_json(struct sdb_buf *b, const struct sdb_gtimes *t)
{
	sdb_buf_adds(b, ",\"valid_from\":");
	add_u64(b, t->vf);
	sdb_buf_adds(b, ",\"valid_until\":");
	add_u64(b, t->vu);
	sdb_buf_adds(b, ",\"recorded_at\":");
	add_u64(b, t->ra);
	sdb_buf_adds(b, ",\"expired_at\":");
	add_u64(b, t->ea);
}

static void times_tsv(struct sdb_buf *b, const struct sdb_gtimes *t)
{
	sdb_buf_addc(b, '\t');
	add_u64(b, t->vf);
	sdb_buf_addc(b, '\t');
	add_u64(b, t->vu);
	sdb_buf_addc(b, '\t');
	add_u64(b, t->ra);
	sdb_buf_addc(b, '\t');
	add_u64(b, t->ea);
}

static void edge_json(struct sdb_buf *b, struct sdb_gstr f, struct sdb_gstr ty,
		      struct sdb_gstr to, const struct sdb_gtimes *t, const char *p, size_t pn)
{
	sdb_buf_adds(b, "{\"from\":");
	jstr(b, f);
	sdb_buf_adds(b, ",\"type\":");
	jstr(b, ty);
	sdb_buf_adds(b, ",\"to\":");
	jstr(b, to);
	times_json(b, t);
	sdb_buf_adds(b, ",\"props\":");
	props_json(b, p, pn);
	sdb_buf_addc(b, '}');
}

static void edge_tsv(struct sdb_buf *b, const char *start, struct sdb_gstr f,
		     struct sdb_gstr ty, struct sdb_gstr to, const struct sdb_gtimes *t,
		     const char *p, size_t pn)
{
	if (start) {
		sdb_tsv_escape(b, start, strlen(start));
		sdb_buf_addc(b, '\t');
	}
	sdb_buf_adds(b, "edge\t");
	tstr(b, f);
	sdb_buf_addc(b, '\t');
	tstr(b, ty);
	sdb_buf_addc(b, '\t');
	tstr(b, to);
	times_tsv(b, t);
	sdb_buf_addc(b, '\t');
	if (pn)
		sdb_tsv_escape(b, p, pn);
	else
		sdb_buf_adds(b, "{}");
	sdb_buf_addc(b, '\n');
}

/* The walk of the command (traverse, path), whose node cache the output
 * shares; NULL: read each node. */
static struct sdb_gwalk *cur_walk;

static long cur_widx = -1; /* the walk's number of the node being written */

static int get_node_for(struct gdb *x, struct gopt *o, struct sdb_gstr id,
			struct sdb_gnode *nd, struct sdb_error *e)
{
	if (cur_walk && cur_widx >= 0)
		return sdb_gwalk_node_at(cur_walk, (uint32_t)cur_widx, nd, e);
	return cur_walk ? sdb_gwalk_node(cur_walk, id, nd, e) :
			  sdb_graph_get_node(x->g, id, &o->r, nd, e);
}

/* The JSON text of the walk's nodes written so far (by node number):
 * a batch writes each node once, then copies it. A short text is held in
 * its entry (one cache line read a node), a longer one in jcb. */
#define JC_IN 28
static struct jce {
	uint32_t n;
	char t[JC_IN]; /* n <= JC_IN: the text, else its offset in jcb */
} *jc;
static size_t njc;
static struct sdb_buf jcb = SDB_BUF_INIT;

/* Appends node widx's cached text to b; 0 when it has none. */
static inline int json_cache_get(struct sdb_buf *b, long widx)
{
	const struct jce *c;
	size_t off;

	if (!cur_walk || widx < 0 || (size_t)widx >= njc || !jc[widx].n)
		return 0;
	c = &jc[widx];
	if (c->n <= JC_IN) {
		sdb_buf_add(b, c->t, c->n);
	} else {
		memcpy(&off, c->t, sizeof(off));
		sdb_buf_add(b, jcb.data + off, c->n);
	}
	return 1;
}

/* A hint: node widx's cached text is read soon. */
static inline void json_cache_prefetch(uint32_t widx)
{
	if (widx < njc)
		__builtin_prefetch(&jc[widx]);
}

/* Keeps the node text b holds from AT on as the current walk node's
 * cached text (node_json and node_id_json write one kind per walk). */
static void json_cache_put(struct sdb_buf *b, size_t at)
{
	size_t w, n;

	if (!cur_walk || cur_widx < 0 || !sdb_buf_ok(b))
		return;
	w = (size_t)cur_widx;
	n = b->len - at;
	if (w >= njc) {
		size_t old = njc;
		if (sdb_grow((void **)&jc, &njc, w + 1, sizeof(*jc), 1024))
			die(EXIT_FAILURE_RT, "out of memory");
		memset(jc + old, 0, (njc - old) * sizeof(*jc));
	}
	if (n > UINT32_MAX)
		return;
	jc[w].n = (uint32_t)n;
	if (n <= JC_IN) {
		memcpy(jc[w].t, b->data + at, n);
		return;
	}
	memcpy(jc[w].t, &jcb.len, sizeof(jcb.len));
	sdb_buf_add(&jcb, b->data + at, n);
	if (!sdb_buf_ok(&jcb))
		die(EXIT_FAILURE_RT, "out of memory");
}

/* A node with its visible version's type and props (null/{} without). */
static void node_json(struct sdb_buf *b, struct gdb *x, struct gopt *o, struct sdb_gstr id,
		      long depth)
{
	struct sdb_gnode nd;
	struct sdb_error e;
	int rc;
	size_t at = b->len;

	if (json_cache_get(b, cur_widx))
		goto depth; /* written before in this walk: the cached text */
	rc = get_node_for(x, o, id, &nd, &e);
	if (rc && rc != SDB_ENOTFOUND)
		die_err(rc, &e);
	sdb_buf_adds(b, "{\"id\":");
	jstr(b, id);
	sdb_buf_adds(b, ",\"type\":");
	if (rc)
		sdb_buf_adds(b, "null,\"props\":{}");
	else {
		sdb_json_quote(b, nd.type, nd.typen);
		sdb_buf_adds(b, ",\"props\":");
		props_json(b, nd.props, nd.propsn);
	}
	json_cache_put(b, at);
depth:
	if (depth >= 0) {
		sdb_buf_adds(b, ",\"depth\":");
		add_u64(b, (uint64_t)depth);
	}
	sdb_buf_addc(b, '}');
}

/* --ids-only: {"id":ID,"depth":D}, the id part cached as node_json's
 * (a walk writes one kind of node text). */
static void node_id_json(struct sdb_buf *b, const struct sdb_gwalk *wk, uint32_t widx,
			 long depth)
{
	size_t at = b->len;

	if (!json_cache_get(b, cur_widx)) {
		sdb_buf_adds(b, "{\"id\":");
		jstr(b, sdb_gwalk_id(wk, widx));
		sdb_buf_adds(b, ",\"depth\":");
		json_cache_put(b, at);
	}
	if (depth >= 0 && depth < 10)
		sdb_buf_addc(b, (char)('0' + depth));
	else
		add_u64(b, (uint64_t)depth);
	sdb_buf_addc(b, '}');
}

/* A traversal's --ids-only nodes, comma-separated: a node met before
 * (its short text cached, a one-digit depth) in a few fixed moves into
 * room made for it, the others through node_id_json. */
static void ids_json(struct sdb_buf *b, const struct sdb_gwalk *wk, const struct sdb_gres *res)
{
	for (size_t k = 0; k < res->nnodes; k++) {
		const struct sdb_gres_node *nd = &res->nodes[k];
		uint32_t wi = nd->widx;
		if (k + 8 < res->nnodes)
			json_cache_prefetch(res->nodes[k + 8].widx);
		if (cur_walk && wi < njc && jc[wi].n && jc[wi].n <= JC_IN && nd->depth >= 0 &&
		    nd->depth < 10) {
			char *d;
			if (sdb_buf_grow(b, JC_IN + 4))
				die(EXIT_FAILURE_RT, "out of memory");
			d = b->data + b->len;
			if (k)
				*d++ = ',';
			memcpy(d, jc[wi].t, JC_IN);
			d += jc[wi].n;
			*d++ = (char)('0' + nd->depth);
			*d++ = '}';
			*d = 0;
			b->len = (size_t)(d - b->data);
			continue;
		}
		if (k)
			sdb_buf_addc(b, ',');
		cur_widx = wi;
		node_id_json(b, wk, wi, nd->depth);
	}
	cur_widx = -1;
}

static void node_tsv(struct sdb_buf *b, struct gdb *x, struct gopt *o, const char *start,
		     struct sdb_gstr id, long depth)
{
	struct sdb_gnode nd;
	struct sdb_error e;
	int rc = get_node_for(x, o, id, &nd, &e);

	if (rc && rc != SDB_ENOTFOUND)
		die_err(rc, &e);
	if (start) {
		sdb_tsv_escape(b, start, strlen(start));
		sdb_buf_addc(b, '\t');
	}
	sdb_buf_adds(b, "node\t");
	tstr(b, id);
	sdb_buf_addc(b, '\t');
	if (rc)
		sdb_buf_adds(b, "\\N\t{}");
	else {
		sdb_tsv_escape(b, nd.type, nd.typen);
		sdb_buf_addc(b, '\t');
		if (nd.propsn)
			sdb_tsv_escape(b, nd.props, nd.propsn);
		else
			sdb_buf_adds(b, "{}");
	}
	if (depth >= 0) {
		sdb_buf_addc(b, '\t');
		add_u64(b, (uint64_t)depth);
	}
	sdb_buf_addc(b, '\n');
}

/* Writes one JSON document j (an object or, for batches, an array) in
 * the chosen format: json and jsonl as they are (jsonl: an array one
 * element per line), toon as sochdb-toon encode --fold-rows makes of it
 * (node and edge lists as tables, properties as props.KEY columns). */
static void emit_json(struct gopt *o, const struct sdb_buf *j, int batch)
{
	struct sdb_error e;

	if (!sdb_buf_ok(j))
		die(EXIT_FAILURE_RT, "out of memory");
	if (o->fmt == SDB_FMT_TOON) {
		struct sdb_toon_enc_opts eo;
		struct sdb_toon_out out;
		int rc;
		sdb_toon_enc_opts_init(&eo);
		eo.fold_rows = 1;
		memset(&out, 0, sizeof(out));
		sdb_error_clear(&e);
		if ((rc = sdb_toon_encode_json(j->data, j->len, 0, &eo, &out, &e)))
			die_err(rc, &e);
		sdb_buf_add(&cli_ob, out.buf.data ? out.buf.data : "", out.buf.len);
		sdb_buf_addc(&cli_ob, '\n');
		sdb_buf_release(&out.buf);
	} else if (o->fmt == SDB_FMT_JSONL && batch) {
		/* the array's elements, one per line (they hold no raw newline) */
		struct sdb_json_doc d;
		memset(&d, 0, sizeof(d));
		sdb_error_clear(&e);
		if (sdb_json_parse(&d, j->data, j->len, 0, &e))
			die_err(SDB_EPARSE, &e);
		for (size_t i = 1; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i)) {
			sdb_json_write(&d, i, 0, 1, &cli_ob);
			sdb_buf_addc(&cli_ob, '\n');
		}
		sdb_json_release(&d);
	} else {
		sdb_buf_add(&cli_ob, j->data, j->len);
		sdb_buf_addc(&cli_ob, '\n');
	}
	cli_ob_flush();
}

/*
 * Batch records: json and jsonl stream each record as it is made (j
 * holds "[" and the record); toon needs the whole array, kept in j.
 */
static void batch_rec(struct gopt *o, struct sdb_buf *j, long *nrec)
{
	if (o->fmt != SDB_FMT_JSON && o->fmt != SDB_FMT_JSONL)
		return;
	if (o->fmt == SDB_FMT_JSON)
		sdb_buf_addc(&cli_ob, *nrec ? ',' : '[');
	sdb_buf_add(&cli_ob, j->data + 1, j->len - 1);
	if (o->fmt == SDB_FMT_JSONL)
		sdb_buf_addc(&cli_ob, '\n');
	(*nrec)++;
	sdb_buf_reset(j);
	sdb_buf_addc(j, '[');
	if (cli_ob.len > (1u << 20))
		cli_ob_flush();
}

static void batch_end(struct gopt *o, struct sdb_buf *j, long nrec)
{
	if (o->fmt == SDB_FMT_TSV)
		return;
	if (!o->stdin_) {
		emit_json(o, j, 0);
		return;
	}
	if (o->fmt == SDB_FMT_TOON) {
		sdb_buf_addc(j, ']');
		emit_json(o, j, 1);
		return;
	}
	if (o->fmt == SDB_FMT_JSON)
		sdb_buf_adds(&cli_ob, nrec ? "]\n" : "[]\n");
	cli_ob_flush();
}

/* ------------------------------------------------------- subcommands */

static int g_add_node(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc, what;

	parse(&o, argc, argv, h_add_node, o_add_node, 0, 3, 3);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_add_node(x.g, o.pos[1], strlen(o.pos[1]), o.pos[2], strlen(o.pos[2]),
				     o.props.data, o.props.len, o.has_vf ? o.vf : o.now, o.vu,
				     o.now, &what, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_set_node(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc;

	parse(&o, argc, argv, h_set_node, o_set_node, 0, 2, 2);
	if (!o.type && !o.nprops)
		die_usage("nothing to change (give --type, --prop or --props)");
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_set_node(x.g, o.pos[1], strlen(o.pos[1]), o.type,
				     o.type ? strlen(o.type) : 0, o.props.data, o.props.len,
				     o.has_vf, o.vf, o.now, o.now, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_del_node(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	uint64_t n;
	int rc;

	parse(&o, argc, argv, h_del_node, o_del_node, 0, 2, 2);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_del_node(x.g, o.pos[1], strlen(o.pos[1]), o.now, &n, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

/* add-edge --stdin: FROM<TAB>TYPE<TAB>TO[<TAB>PROPS] lines in one
 * transaction. */
static void add_edges_stdin(struct gopt *o, struct gdb *x)
{
	struct cli_lines lr;
	struct sdb_error e;
	struct sdb_buf f[4];
	long line = 0;
	int rc, what;

	for (int k = 0; k < 4; k++)
		sdb_buf_init(&f[k]);
	sdb_error_clear(&e);
	/* the lines as they come (the adds are collected, not the input) */
	cli_lines_init(&lr, 0, NULL);
	for (;;) {
		const char *p;
		size_t len, col;
		const char *fp[4];
		size_t fl[4];
		int nf = 0, plain;
		if ((rc = cli_lines_next(&lr, &p, &len, &e)) == CLI_LINES_IDLE)
			continue;
		if (rc < 0)
			die_err(rc, &e);
		if (!rc)
			break;
		line++;
		if (!(len = cli_chomp(p, len)))
			continue;
		/* a line without a backslash has nothing to unescape: its
		 * fields are read where they are */
		plain = !memchr(p, '\\', len);
		for (size_t s = 0; nf < 4;) {
			const char *t = nf < 3 ? memchr(p + s, '\t', len - s) : NULL;
			size_t n = t ? (size_t)(t - (p + s)) : len - s;
			if (plain) {
				fp[nf] = p + s;
				fl[nf] = n;
			} else {
				sdb_buf_reset(&f[nf]);
				if (sdb_tsv_unescape(&f[nf], p + s, n, &col))
					die(EXIT_FAILURE_RT, "line %ld: invalid escape; nothing applied", line);
				fp[nf] = f[nf].data ? f[nf].data : "";
				fl[nf] = f[nf].len;
			}
			nf++;
			s += n + 1;
			if (s > len)
				break;
		}
		if (nf < 3)
			die(EXIT_FAILURE_RT, "line %ld: expected FROM<TAB>TYPE<TAB>TO[<TAB>PROPS]; nothing applied", line);
		if (nf == 4 && !sdb_json_flat_object(fp[3], fl[3])) {
			struct sdb_json_doc d;
			memset(&d, 0, sizeof(d));
			if (sdb_json_parse(&d, fp[3], fl[3], 0, &e) ||
			    sdb_json_type(&d, 0) != SDB_J_OBJECT) {
				char m[600];
				die(EXIT_FAILURE_RT, "line %ld: PROPS: %s; nothing applied", line,
				    e.msg[0] ? sdb_error_format(&e, m, sizeof(m)) : "not a JSON object");
			}
			sdb_json_release(&d);
		}
		if ((rc = sdb_graph_add_edge(x->g, fp[0], fl[0], fp[1], fl[1], fp[2], fl[2],
					     nf == 4 ? fp[3] : o->props.data, nf == 4 ? fl[3] : o->props.len,
					     o->has_vf ? o->vf : o->now, o->vu, o->now, o->replace, &what, &e))) {
			if (rc == SDB_EINVAL || rc == SDB_ELIMIT || rc == SDB_ENOTFOUND)
				die(EXIT_FAILURE_RT, "line %ld: %s; nothing applied", line, e.msg);
			die_err(rc, &e);
		}
	}
	cli_lines_release(&lr);
	for (int k = 0; k < 4; k++)
		sdb_buf_release(&f[k]);
}

static int g_add_edge(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc, what;

	parse(&o, argc, argv, h_add_edge, o_add_edge, 0, 1, 4);
	if (!o.stdin_ && o.npos < 4)
		missing(h_add_edge, o.npos);
	if (o.stdin_ && o.npos > 1)
		die_usage("--stdin takes NS only");
	if (o.has_vu && o.vu <= (o.has_vf ? o.vf : o.now))
		die(EXIT_FAILURE_RT, "valid_until %" PRIu64 " is not after valid_from %" PRIu64,
		    o.vu, o.has_vf ? o.vf : o.now);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if (o.stdin_) {
		if (!o.replace)
			sdb_graph_bulk_begin(x.g);
		add_edges_stdin(&o, &x);
		gdb_bulk_end(&x);
	} else if ((rc = sdb_graph_add_edge(x.g, o.pos[1], strlen(o.pos[1]), o.pos[2], strlen(o.pos[2]),
					  o.pos[3], strlen(o.pos[3]), o.props.data, o.props.len,
					  o.has_vf ? o.vf : o.now, o.vu, o.now, o.replace, &what, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_end_edge(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc;

	parse(&o, argc, argv, h_end_edge, o_end_edge, 0, 4, 4);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_end_edge(x.g, o.pos[1], strlen(o.pos[1]), o.pos[2], strlen(o.pos[2]),
				     o.pos[3], strlen(o.pos[3]), o.has_at ? o.at : o.now, o.now, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_del_edge(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc;

	parse(&o, argc, argv, h_del_edge, o_del_edge, 0, 4, 4);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_del_edge(x.g, o.pos[1], strlen(o.pos[1]), o.pos[2], strlen(o.pos[2]),
				     o.pos[3], strlen(o.pos[3]), o.now, &e)))
		fail(rc, &e);
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

#define ALL_FMTS (SDB_FMT_BIT(SDB_FMT_TSV) | SDB_FMT_BIT(SDB_FMT_JSONL) | \
		  SDB_FMT_BIT(SDB_FMT_JSON) | SDB_FMT_BIT(SDB_FMT_TOON))

static struct sdb_gstr enc_arg(struct sdb_buf *b, const char *s, const char *what)
{
	struct sdb_gstr r;
	size_t n = strlen(s);

	if (n > (strcmp(what, "type") ? SDB_GRAPH_MAX_ID : SDB_GRAPH_MAX_TYPE))
		die(EXIT_FAILURE_RT, "%s longer than %d bytes", what,
		    strcmp(what, "type") ? SDB_GRAPH_MAX_ID : SDB_GRAPH_MAX_TYPE);
	sdb_buf_reset(b);
	sdb_graph_enc(b, s, n);
	if (!sdb_buf_ok(b))
		die(EXIT_FAILURE_RT, "out of memory");
	r.p = (const unsigned char *)b->data;
	r.n = b->len;
	return r;
}

static int g_get_node(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_gnode nd;
	struct sdb_buf id = SDB_BUF_INIT, j = SDB_BUF_INIT;
	int rc;

	parse(&o, argc, argv, h_get_node, o_get_node, ALL_FMTS, 2, 2);
	gdb_open(&x, &o, o.pos[0], 0);
	sdb_error_clear(&e);
	rc = sdb_graph_get_node(x.g, enc_arg(&id, o.pos[1], "node id"), &o.r, &nd, &e);
	if (rc == SDB_ENOTFOUND)
		sdb_error_set(&e, rc, "unknown node '%s'", o.pos[1]);
	if (rc)
		fail(rc, &e);
	if (o.fmt == SDB_FMT_TSV) {
		sdb_buf_adds(&cli_ob, "node\t");
		tstr(&cli_ob, nd.id);
		sdb_buf_addc(&cli_ob, '\t');
		sdb_tsv_escape(&cli_ob, nd.type, nd.typen);
		sdb_buf_addc(&cli_ob, '\t');
		sdb_tsv_escape(&cli_ob, nd.propsn ? nd.props : "{}", nd.propsn ? nd.propsn : 2);
		times_tsv(&cli_ob, &nd.t);
		sdb_buf_addc(&cli_ob, '\n');
		cli_ob_flush();
	} else {
		sdb_buf_adds(&j, "{\"id\":");
		jstr(&j, nd.id);
		sdb_buf_adds(&j, ",\"type\":");
		sdb_json_quote(&j, nd.type, nd.typen);
		sdb_buf_adds(&j, ",\"props\":");
		props_json(&j, nd.props, nd.propsn);
		times_json(&j, &nd.t);
		sdb_buf_addc(&j, '}');
		emit_json(&o, &j, 0);
	}
	gdb_close(&x);
	sdb_buf_release(&id);
	sdb_buf_release(&j);
	gopt_release(&o);
	return EXIT_OK;
}

/* Edges collected for output. */
struct elist {
	struct sdb_buf b; /* from, type, to, props bytes */
	struct { size_t f, fn, t, tn, to, ton, p, pn; struct sdb_gtimes tm; } *v;
	size_t n, cap;
};

static int elist_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	struct elist *l = ctx;

	if (sdb_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v), 16))
		return sdb_error_code(e, SDB_ENOMEM);
	l->v[l->n].f = l->b.len;
	l->v[l->n].fn = ed->from.n;
	sdb_buf_add(&l->b, ed->from.p, ed->from.n);
	l->v[l->n].t = l->b.len;
	l->v[l->n].tn = ed->type.n;
	sdb_buf_add(&l->b, ed->type.p, ed->type.n);
	l->v[l->n].to = l->b.len;
	l->v[l->n].ton = ed->to.n;
	sdb_buf_add(&l->b, ed->to.p, ed->to.n);
	l->v[l->n].p = l->b.len;
	l->v[l->n].pn = ed->propsn;
	sdb_buf_add(&l->b, ed->props, ed->propsn);
	l->v[l->n].tm = ed->t;
	l->n++;
	return sdb_buf_ok(&l->b) ? 0 : sdb_error_code(e, SDB_ENOMEM);
}

#define ES(l, i, fld) ((struct sdb_gstr){ (const unsigned char *)(l)->b.data + (l)->v[i].fld, (l)->v[i].fld##n })

static const struct elist *sort_l;
static const unsigned char *sort_me;
static size_t sort_men;

static int bcmp_(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* The other end of edge i as seen from sort_me. */
static struct sdb_gstr other(const struct elist *l, size_t i)
{
	struct sdb_gstr f = ES(l, i, f);

	if (f.n == sort_men && !memcmp(f.p, sort_me, f.n))
		return ES(l, i, to);
	return f;
}

static int ecmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	struct sdb_gstr oa = other(sort_l, a), ob_ = other(sort_l, b);
	int c = bcmp_(oa.p, oa.n, ob_.p, ob_.n);

	if (c)
		return c;
	if ((c = bcmp_(ES(sort_l, a, t).p, ES(sort_l, a, t).n, ES(sort_l, b, t).p, ES(sort_l, b, t).n)))
		return c;
	if ((c = bcmp_(ES(sort_l, a, f).p, ES(sort_l, a, f).n, ES(sort_l, b, f).p, ES(sort_l, b, f).n)))
		return c;
	if (sort_l->v[a].tm.vf != sort_l->v[b].tm.vf)
		return sort_l->v[a].tm.vf < sort_l->v[b].tm.vf ? -1 : 1;
	return (sort_l->v[a].tm.ra > sort_l->v[b].tm.ra) - (sort_l->v[a].tm.ra < sort_l->v[b].tm.ra);
}

/* Writes a node-and-edges result: the distinct other ends as nodes (by
 * id) and the edges (by other end, type, from, valid_from). start: for
 * batch records. */
static void write_adjacent(struct gopt *o, struct gdb *x, struct sdb_gstr me,
			   struct elist *l, const char *start, struct sdb_buf *j)
{
	size_t *ix = malloc((l->n ? l->n : 1) * sizeof(*ix));

	if (!ix)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		ix[i] = i;
	sort_l = l;
	sort_me = me.p;
	sort_men = me.n;
	qsort(ix, l->n, sizeof(*ix), ecmp);
	if (o->fmt == SDB_FMT_TSV) {
		for (size_t i = 0; i < l->n; i++) {
			struct sdb_gstr on = other(l, ix[i]);
			if (i && !bcmp_(on.p, on.n, other(l, ix[i - 1]).p, other(l, ix[i - 1]).n))
				continue;
			node_tsv(&cli_ob, x, o, start, on, -1);
		}
		for (size_t i = 0; i < l->n; i++)
			edge_tsv(&cli_ob, start, ES(l, ix[i], f), ES(l, ix[i], t), ES(l, ix[i], to),
				 &l->v[ix[i]].tm, l->b.data + l->v[ix[i]].p, l->v[ix[i]].pn);
	} else {
		int first = 1;
		sdb_buf_addc(j, '{');
		if (start) {
			sdb_buf_adds(j, "\"start\":");
			sdb_json_quote(j, start, strlen(start));
			sdb_buf_addc(j, ',');
		}
		sdb_buf_adds(j, "\"nodes\":[");
		for (size_t i = 0; i < l->n; i++) {
			struct sdb_gstr on = other(l, ix[i]);
			if (i && !bcmp_(on.p, on.n, other(l, ix[i - 1]).p, other(l, ix[i - 1]).n))
				continue;
			if (!first)
				sdb_buf_addc(j, ',');
			first = 0;
			node_json(j, x, o, on, -1);
		}
		sdb_buf_adds(j, "],\"edges\":[");
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				sdb_buf_addc(j, ',');
			edge_json(j, ES(l, ix[i], f), ES(l, ix[i], t), ES(l, ix[i], to),
				  &l->v[ix[i]].tm, l->b.data + l->v[ix[i]].p, l->v[ix[i]].pn);
		}
		sdb_buf_adds(j, "]}");
	}
	free(ix);
}

static void enc_types(struct opt_list *l, struct sdb_buf *b, struct sdb_gstr **out)
{
	size_t *offs;

	*out = NULL;
	if (!l->n)
		return;
	offs = malloc(l->n * sizeof(*offs));
	*out = malloc(l->n * sizeof(**out));
	if (!offs || !*out)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		if (strlen(l->item[i]) > SDB_GRAPH_MAX_TYPE)
			die(EXIT_FAILURE_RT, "type longer than %d bytes", SDB_GRAPH_MAX_TYPE);
		offs[i] = b->len;
		sdb_graph_enc(b, l->item[i], strlen(l->item[i]));
	}
	if (!sdb_buf_ok(b))
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		(*out)[i].p = (const unsigned char *)b->data + offs[i];
		(*out)[i].n = (i + 1 < l->n ? offs[i + 1] : b->len) - offs[i];
	}
	free(offs);
}

/*
 * The starts of a batch: --stdin's lines (TSV-escaped; pairs: FROM<TAB>TO)
 * taken as they arrive, in chunks of what is at hand (at most START_CHUNK
 * lines, so a long input streams through in constant memory, and a line is
 * answered before the next is waited for: the output is flushed whenever
 * no more input is at hand), or the one argument (arg; pairs: arg, arg2).
 */
struct starts {
	const struct gopt *o;
	const char *arg, *arg2;
	int pairs, done, idle;
	const char *bad;    /* a bad line (st->line) after the chunk's lines */
	struct cli_lines lr;
	struct sdb_buf buf; /* the chunk's starts, each (each of a pair) NUL-terminated */
	long line;
};
#define START_CHUNK 4096

static void starts_open(struct starts *st, const struct gopt *o, int pairs, const char *arg,
			const char *arg2)
{
	memset(st, 0, sizeof(*st));
	st->o = o;
	st->pairs = pairs;
	st->arg = arg;
	st->arg2 = arg2;
	sdb_buf_init(&st->buf);
	cli_lines_init(&st->lr, 0, NULL);
}

static void starts_close(struct starts *st)
{
	cli_lines_release(&st->lr);
	sdb_buf_release(&st->buf);
}

/* The next chunk of starts into st->buf: @return their number (0: the
 * input's end). */
static size_t starts_next(struct starts *st)
{
	struct sdb_error e;
	size_t n = 0, col;

	sdb_buf_reset(&st->buf);
	if (!st->o->stdin_) {
		if (st->done)
			return 0;
		st->done = 1;
		sdb_buf_adds(&st->buf, st->arg);
		sdb_buf_addc(&st->buf, 0);
		if (st->pairs) {
			sdb_buf_adds(&st->buf, st->arg2);
			sdb_buf_addc(&st->buf, 0);
		}
		if (!sdb_buf_ok(&st->buf))
			die(EXIT_FAILURE_RT, "out of memory");
		return 1;
	}
	if (st->idle || st->bad) {
		/* the last chunk's answers out before the read waits (or
		 * before the bad line after them stops the batch) */
		cli_ob_send();
		st->idle = 0;
	}
	if (st->bad)
		die(EXIT_FAILURE_RT, "line %ld: %s", st->line, st->bad);
	sdb_error_clear(&e);
	while (n < START_CHUNK) {
		const char *p, *bad = NULL;
		size_t len, mark = st->buf.len;
		int rc = cli_lines_next(&st->lr, &p, &len, &e);
		if (rc == CLI_LINES_IDLE) {
			if (n) {
				st->idle = 1; /* answer what is at hand first */
				break;
			}
			cli_ob_send();
			continue;
		}
		if (rc < 0)
			die_err(rc, &e);
		if (!rc)
			break;
		st->line++;
		if (!(len = cli_chomp(p, len)))
			continue;
		if (st->pairs) {
			const char *t = memchr(p, '\t', len);
			if (!t || memchr(t + 1, '\t', len - (size_t)(t + 1 - p)))
				bad = "expected FROM<TAB>TO";
			else if (sdb_tsv_unescape(&st->buf, p, (size_t)(t - p), &col) ||
				 (sdb_buf_addc(&st->buf, 0),
				  sdb_tsv_unescape(&st->buf, t + 1, len - (size_t)(t + 1 - p), &col)))
				bad = "invalid escape";
		} else if (sdb_tsv_unescape(&st->buf, p, len, &col))
			bad = "invalid escape";
		if (bad) {
			/* the lines before it are answered first */
			st->buf.len = mark;
			st->bad = bad;
			if (!n)
				die(EXIT_FAILURE_RT, "line %ld: %s", st->line, bad);
			break;
		}
		sdb_buf_addc(&st->buf, 0);
		n++;
	}
	if (!sdb_buf_ok(&st->buf))
		die(EXIT_FAILURE_RT, "out of memory");
	return n;
}

static int g_neighbors(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_buf id = SDB_BUF_INIT, tb = SDB_BUF_INIT, j = SDB_BUF_INIT;
	struct sdb_gstr *types;
	struct starts st;
	size_t n;
	const char *s;
	int rc, status = EXIT_OK;
	long nrec = 0;

	parse(&o, argc, argv, h_neighbors, o_neighbors, ALL_FMTS, 1, 2);
	if (!o.stdin_ && o.npos < 2)
		missing(h_neighbors, o.npos);
	if (o.stdin_ && o.npos > 1)
		die_usage("--stdin takes NS only");
	gdb_open(&x, &o, o.pos[0], 0);
	enc_types(&o.etypes, &tb, &types);
	if (o.stdin_)
		sdb_buf_addc(&j, '[');
	starts_open(&st, &o, 0, o.pos[1], NULL);
	while ((n = starts_next(&st))) {
		s = st.buf.data;
		for (size_t i = 0; i < n; i++, s += strlen(s) + 1) {
			struct elist l;
			struct sdb_gstr me = enc_arg(&id, s, "node id");
			memset(&l, 0, sizeof(l));
			sdb_error_clear(&e);
			rc = sdb_graph_known(x.g, me, &o.r, &e);
			if (rc < 0)
				die_err(rc, &e);
			if (!rc) {
				if (!o.stdin_)
					fail(SDB_ENOTFOUND, &e);
				status = EXIT_NEGATIVE;
			} else if ((rc = sdb_graph_edges(x.g, me, o.dir, types, o.etypes.n, &o.r, elist_cb, &l, &e)))
				die_err(rc, &e);
			if (o.stdin_ && j.len > 1 && o.fmt != SDB_FMT_TSV)
				sdb_buf_addc(&j, ',');
			write_adjacent(&o, &x, me, &l, o.stdin_ ? s : NULL, &j);
			if (o.stdin_)
				batch_rec(&o, &j, &nrec);
			free(l.v);
			sdb_buf_release(&l.b);
			if (o.fmt == SDB_FMT_TSV)
				cli_ob_flush();
		}
	}
	starts_close(&st);
	batch_end(&o, &j, nrec);
	gdb_close(&x);
	free(types);
	sdb_buf_release(&id);
	sdb_buf_release(&tb);
	sdb_buf_release(&j);
	gopt_release(&o);
	return status;
}

/* The query of traverse/path from the options. */
static void make_query(struct gopt *o, struct sdb_gquery *q, struct sdb_buf *tb,
		       struct sdb_buf *nb, struct sdb_gwhere *w, struct sdb_buf *wb,
		       struct sdb_gstr **et, struct sdb_gstr **nt)
{
	size_t offs[64];

	memset(q, 0, sizeof(*q));
	q->r = o->r;
	q->dir = o->dir;
	enc_types(&o->etypes, tb, et);
	enc_types(&o->ntypes, nb, nt);
	q->etypes = *et;
	q->netypes = o->etypes.n;
	q->ntypes = *nt;
	q->nntypes = o->ntypes.n;
	q->max_depth = o->max_depth;
	q->weight = o->weight;
	q->weightn = o->weight ? strlen(o->weight) : 0;
	q->ids_only = o->ids_only;
	for (int i = 0; i < o->nwhere; i++) {
		const char *eq = strchr(o->where[i], '=');
		offs[i] = wb->len;
		sdb_graph_canon(eq + 1, strlen(eq + 1), wb);
		w[i].key = o->where[i];
		w[i].keyn = (size_t)(eq - o->where[i]);
	}
	if (!sdb_buf_ok(wb))
		die(EXIT_FAILURE_RT, "out of memory");
	for (int i = 0; i < o->nwhere; i++) {
		w[i].val = wb->data + offs[i];
		w[i].valn = (i + 1 < o->nwhere ? offs[i + 1] : wb->len) - offs[i];
	}
	q->where = w;
	q->nwhere = (size_t)o->nwhere;
}

static void res_edges_json(struct sdb_buf *j, const struct sdb_gres *res, size_t e0, size_t ne)
{
	sdb_buf_adds(j, "\"edges\":[");
	for (size_t i = 0; i < ne; i++) {
		const struct sdb_gres_edge *ed = &res->edges[e0 + i];
		if (i)
			sdb_buf_addc(j, ',');
		edge_json(j, sdb_gres_str(res, ed->from, ed->fromn), sdb_gres_str(res, ed->type, ed->typen),
			  sdb_gres_str(res, ed->to, ed->ton), &ed->t, res->b.data + ed->props, ed->propsn);
	}
	sdb_buf_addc(j, ']');
}

static void res_edges_tsv(const struct sdb_gres *res, const char *start, size_t e0, size_t ne)
{
	for (size_t i = 0; i < ne; i++) {
		const struct sdb_gres_edge *ed = &res->edges[e0 + i];
		edge_tsv(&cli_ob, start, sdb_gres_str(res, ed->from, ed->fromn), sdb_gres_str(res, ed->type, ed->typen),
			 sdb_gres_str(res, ed->to, ed->ton), &ed->t, res->b.data + ed->props, ed->propsn);
	}
}

/* The walk of a batch (SOCHDB_GRAPH_READAHEAD=0 turns its readahead
 * off, for tests). */
static struct sdb_gwalk *walk_new(struct gdb *x, const struct sdb_gquery *q)
{
	struct sdb_gwalk *wk;
	struct sdb_error e;
	const char *ra = getenv("SOCHDB_GRAPH_READAHEAD");
	int rc;

	sdb_error_clear(&e);
	if ((rc = sdb_gwalk_new(x->g, q, &wk, &e)))
		die_err(rc, &e);
	if (ra && !strcmp(ra, "0"))
		sdb_gwalk_readahead(wk, 0);
	cur_walk = wk;
	return wk;
}

/* sdb_graph_known through the walk's node cache (a node version is the
 * usual answer). */
static int walk_known(struct gdb *x, struct sdb_gwalk *wk, struct sdb_gstr id,
		      struct gopt *o, struct sdb_error *e)
{
	struct sdb_gnode nd;
	int rc;

	if (sdb_gwalk_has_edges(wk, id))
		return 1; /* a visible edge read already (a batch's warm) */
	rc = sdb_gwalk_node(wk, id, &nd, e);
	if (rc != SDB_ENOTFOUND)
		return rc ? rc : 1;
	return sdb_graph_known(x->g, id, &o->r, e);
}

static void walk_free(struct sdb_gwalk *wk)
{
	cur_walk = NULL;
	sdb_gwalk_free(wk);
	free(jc);
	jc = NULL;
	njc = 0;
	sdb_buf_release(&jcb);
}

/* sdb_gwalk_warm for a batch's starts (those enc_arg takes; the others
 * fail later, in their turn). */
static void warm(struct sdb_gwalk *wk, const struct sdb_buf *starts, size_t n)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_gstr *v = calloc(n, sizeof(*v));
	size_t *off = calloc(n, sizeof(*off)), m = 0;
	const char *s = starts->data;
	struct sdb_error e;
	int rc;

	if (!v || !off)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < n; i++, s += strlen(s) + 1) {
		size_t at = b.len, len = strlen(s);
		if (len > SDB_GRAPH_MAX_ID)
			continue;
		sdb_graph_enc(&b, s, len);
		off[m] = at;
		v[m++].n = b.len - at;
	}
	if (!sdb_buf_ok(&b))
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < m; i++)
		v[i].p = (const unsigned char *)b.data + off[i];
	sdb_error_clear(&e);
	if ((rc = sdb_gwalk_warm(wk, v, m, &e)))
		die_err(rc, &e);
	free(v);
	free(off);
	sdb_buf_release(&b);
}

/*
 * The state of a walk command (traverse, path): options, database, query,
 * walk, results and the batch's JSON. wcmd_init before parse, wcmd_start
 * after it, wcmd_end to finish the output and free.
 */
struct wcmd {
	struct gopt o;
	struct gdb x;
	struct sdb_buf tb, nb, wb, j;
	struct sdb_gstr *et, *nt;
	struct sdb_gwhere w[64];
	struct sdb_gquery q;
	struct sdb_gwalk *wk;
	struct sdb_gres res;
	long nrec;
};

static void wcmd_init(struct wcmd *c)
{
	memset(c, 0, sizeof(*c));
	sdb_buf_init(&c->tb);
	sdb_buf_init(&c->nb);
	sdb_buf_init(&c->wb);
	sdb_buf_init(&c->j);
	sdb_gres_init(&c->res);
}

static void wcmd_start(struct wcmd *c)
{
	gdb_open(&c->x, &c->o, c->o.pos[0], 0);
	make_query(&c->o, &c->q, &c->tb, &c->nb, c->w, &c->wb, &c->et, &c->nt);
	c->wk = walk_new(&c->x, &c->q);
	if (c->o.stdin_)
		sdb_buf_addc(&c->j, '[');
}

static void wcmd_end(struct wcmd *c)
{
	cli_ob_flush(); /* tsv: the lines still held */
	batch_end(&c->o, &c->j, c->nrec);
	walk_free(c->wk);
	gdb_close(&c->x);
	sdb_gres_release(&c->res);
	free(c->et);
	free(c->nt);
	sdb_buf_release(&c->tb);
	sdb_buf_release(&c->nb);
	sdb_buf_release(&c->wb);
	sdb_buf_release(&c->j);
	gopt_release(&c->o);
}

static int g_traverse(int argc, char **argv)
{
	struct wcmd c;
	struct sdb_error e;
	struct sdb_buf id = SDB_BUF_INIT;
	size_t n;
	const char *s;
	struct sdb_buf *jb;
	struct starts st;
	int rc, status = EXIT_OK, direct;

	wcmd_init(&c);
	parse(&c.o, argc, argv, h_traverse, o_traverse, ALL_FMTS, 1, 2);
	if (!c.o.stdin_ && c.o.npos < 2)
		missing(h_traverse, c.o.npos);
	if (c.o.stdin_ && c.o.npos > 1)
		die_usage("--stdin takes NS only");
	wcmd_start(&c);
	c.res.ids_in_walk = c.o.ids_only;
	direct = c.o.stdin_ && (c.o.fmt == SDB_FMT_JSON || c.o.fmt == SDB_FMT_JSONL);
	sdb_error_clear(&e);
	starts_open(&st, &c.o, 0, c.o.pos[1], NULL);
	while ((n = starts_next(&st))) {
		/* (each chunk's walks warmed together) */
		if (c.o.stdin_ && !c.o.dfs && n >= 16)
			warm(c.wk, &st.buf, n);
		s = st.buf.data;
		for (size_t i = 0; i < n; i++, s += strlen(s) + 1) {
			struct sdb_gstr me = enc_arg(&id, s, "node id");
			sdb_gres_reset(&c.res);
			sdb_error_clear(&e);
			rc = walk_known(&c.x, c.wk, me, &c.o, &e);
			if (rc < 0)
				die_err(rc, &e);
			if (!rc) {
				sdb_error_set(&e, SDB_ENOTFOUND, "unknown node '%s'", s);
				if (!c.o.stdin_)
					fail(SDB_ENOTFOUND, &e);
				status = EXIT_NEGATIVE;
			} else if ((rc = sdb_graph_traverse(c.wk, me, c.o.dfs, &c.res, &e)))
				fail(rc, &e);
			if (c.o.fmt == SDB_FMT_TSV && c.o.ids_only) {
				for (size_t k = 0; k < c.res.nnodes; k++) {
					if (c.o.stdin_) {
						sdb_tsv_escape(&cli_ob, s, strlen(s));
						sdb_buf_addc(&cli_ob, '\t');
					}
					sdb_buf_adds(&cli_ob, "node\t");
					tstr(&cli_ob, sdb_gwalk_id(c.wk, c.res.nodes[k].widx));
					sdb_buf_addc(&cli_ob, '\t');
					add_u64(&cli_ob, (uint64_t)c.res.nodes[k].depth);
					sdb_buf_addc(&cli_ob, '\n');
				}
				if (cli_ob.len > (1u << 20))
					cli_ob_flush();
				continue;
			}
			if (c.o.fmt == SDB_FMT_TSV) {
				for (size_t k = 0; k < c.res.nnodes; k++) {
					cur_widx = c.res.nodes[k].widx;
					node_tsv(&cli_ob, &c.x, &c.o, c.o.stdin_ ? s : NULL,
						 sdb_gres_str(&c.res, c.res.nodes[k].off, c.res.nodes[k].n), c.res.nodes[k].depth);
				}
				cur_widx = -1;
				res_edges_tsv(&c.res, c.o.stdin_ ? s : NULL, 0, c.res.nedges);
				cli_ob_flush();
				continue;
			}
			/* a batch's json/jsonl records go straight to the output */
			jb = direct ? &cli_ob : &c.j;
			if (direct && c.o.fmt == SDB_FMT_JSON)
				sdb_buf_addc(&cli_ob, c.nrec ? ',' : '[');
			if (!direct && c.o.stdin_ && c.j.len > 1)
				sdb_buf_addc(&c.j, ',');
			sdb_buf_addc(jb, '{');
			if (c.o.stdin_) {
				sdb_buf_adds(jb, "\"start\":");
				sdb_json_quote(jb, s, strlen(s));
				sdb_buf_addc(jb, ',');
			}
			sdb_buf_adds(jb, "\"nodes\":[");
			if (c.o.ids_only)
				ids_json(jb, c.wk, &c.res);
			for (size_t k = 0; k < c.res.nnodes && !c.o.ids_only; k++) {
				if (k)
					sdb_buf_addc(jb, ',');
				cur_widx = c.res.nodes[k].widx;
				node_json(jb, &c.x, &c.o, sdb_gres_str(&c.res, c.res.nodes[k].off, c.res.nodes[k].n),
					  c.res.nodes[k].depth);
				cur_widx = -1;
			}
			sdb_buf_addc(jb, ']');
			if (!c.o.ids_only) {
				sdb_buf_addc(jb, ',');
				res_edges_json(jb, &c.res, 0, c.res.nedges);
			}
			sdb_buf_addc(jb, '}');
			if (direct) {
				if (c.o.fmt == SDB_FMT_JSONL)
					sdb_buf_addc(&cli_ob, '\n');
				c.nrec++;
				if (cli_ob.len > (1u << 20))
					cli_ob_flush();
			} else if (c.o.stdin_) {
				batch_rec(&c.o, &c.j, &c.nrec);
			}
		}
	}
	starts_close(&st);
	sdb_buf_release(&id);
	wcmd_end(&c);
	return status;
}

static void path_json(struct sdb_buf *j, const struct gopt *o, const struct sdb_gres *res,
		      const struct sdb_gres_path *p)
{
	sdb_buf_adds(j, "\"nodes\":[");
	for (size_t k = 0; k < p->nnodes; k++) {
		if (k)
			sdb_buf_addc(j, ',');
		jstr(j, sdb_gres_str(res, res->nodes[p->node0 + k].off, res->nodes[p->node0 + k].n));
	}
	sdb_buf_adds(j, "],");
	res_edges_json(j, res, p->edge0, p->nedges);
	sdb_buf_addf(j, ",\"length\":%zu", p->nedges);
	if (o->weight) {
		sdb_buf_adds(j, ",\"weight\":");
		sdb_num_from_double(p->weight, j);
	}
}

static void path_tsv(const struct gopt *o, const struct sdb_gres *res, const struct sdb_gres_path *p,
		     const char *start)
{
	if (start) {
		sdb_tsv_escape(&cli_ob, start, strlen(start));
		sdb_buf_addc(&cli_ob, '\t');
	}
	sdb_buf_addf(&cli_ob, "path\t%zu\t", p->nedges);
	if (o->weight)
		sdb_num_from_double(p->weight, &cli_ob);
	else
		sdb_buf_addf(&cli_ob, "%zu", p->nedges);
	for (size_t k = 0; k < p->nnodes; k++) {
		sdb_buf_addc(&cli_ob, '\t');
		tstr(&cli_ob, sdb_gres_str(res, res->nodes[p->node0 + k].off, res->nodes[p->node0 + k].n));
	}
	sdb_buf_addc(&cli_ob, '\n');
	res_edges_tsv(res, start, p->edge0, p->nedges);
}

static int g_path(int argc, char **argv)
{
	int same;
	struct wcmd c;
	struct sdb_error e;
	struct sdb_buf id1 = SDB_BUF_INIT, id2 = SDB_BUF_INIT;
	struct starts st;
	size_t n;
	const char *s;
	int rc, status = EXIT_OK;

	wcmd_init(&c);
	parse(&c.o, argc, argv, h_path, o_path, ALL_FMTS, 1, 3);
	if (!c.o.stdin_ && c.o.npos < 3)
		missing(h_path, c.o.npos);
	if (c.o.stdin_ && c.o.npos > 1)
		die_usage("--stdin takes NS only");
	if (c.o.weight && c.o.all)
		die_usage("--all-shortest counts hops; it does not take --weight");
	wcmd_start(&c);
	if (!c.o.weight && !c.o.all)
		sdb_gwalk_lean(c.wk); /* a path's edges read again, no others kept */
	sdb_error_clear(&e);
	starts_open(&st, &c.o, 1, c.o.npos > 1 ? c.o.pos[1] : "", c.o.npos > 2 ? c.o.pos[2] : "");
	while ((n = starts_next(&st))) {
		s = st.buf.data;
		for (size_t i = 0; i < n; i++) {
			const char *t = s + strlen(s) + 1;
			struct sdb_gstr a = enc_arg(&id1, s, "node id"), b = enc_arg(&id2, t, "node id");
			sdb_gres_reset(&c.res);
			sdb_error_clear(&e);
			/* a path of one edge or more says both ends are known (they
			 * have visible edges): the ends are looked up when none is
			 * found, or for the 0-hop path */
			same = a.n == b.n && !memcmp(a.p, b.p, a.n);
			rc = same ? walk_known(&c.x, c.wk, a, &c.o, &e) : 1;
			if (rc < 0)
				die_err(rc, &e);
			rc = !rc ? SDB_ENOTFOUND : sdb_graph_path(c.wk, a, b, c.o.all, &c.res, &e);
			if (rc == SDB_ENOTFOUND && !same) {
				struct sdb_error e2;
				int k;
				sdb_error_clear(&e2);
				k = walk_known(&c.x, c.wk, a, &c.o, &e2);
				if (k == 1)
					k = walk_known(&c.x, c.wk, b, &c.o, &e2);
				if (k < 0)
					die_err(k, &e2);
				if (!k) {
					e = e2; /* unknown: as before, not "no path" */
					sdb_gres_reset(&c.res);
				}
			}
			if (rc && rc != SDB_ENOTFOUND)
				fail(rc, &e);
			if (rc) {
				if (!c.o.stdin_)
					fail(rc, &e);
				status = EXIT_NEGATIVE;
			}
			if (c.o.fmt == SDB_FMT_TSV) {
				for (size_t k = 0; k < c.res.npaths; k++)
					path_tsv(&c.o, &c.res, &c.res.paths[k], c.o.stdin_ ? s : NULL);
				cli_ob_flush();
			} else {
				if (c.o.stdin_ && c.j.len > 1)
					sdb_buf_addc(&c.j, ',');
				sdb_buf_addc(&c.j, '{');
				if (c.o.stdin_) {
					sdb_buf_adds(&c.j, "\"start\":");
					sdb_json_quote(&c.j, s, strlen(s));
					sdb_buf_adds(&c.j, ",\"target\":");
					sdb_json_quote(&c.j, t, strlen(t));
					sdb_buf_addc(&c.j, ',');
				}
				if (c.o.all) {
					sdb_buf_adds(&c.j, "\"paths\":[");
					for (size_t k = 0; k < c.res.npaths; k++) {
						if (k)
							sdb_buf_addc(&c.j, ',');
						sdb_buf_addc(&c.j, '{');
						path_json(&c.j, &c.o, &c.res, &c.res.paths[k]);
						sdb_buf_addc(&c.j, '}');
					}
					sdb_buf_addc(&c.j, ']');
				} else if (c.res.npaths)
					path_json(&c.j, &c.o, &c.res, &c.res.paths[0]);
				else
					sdb_buf_adds(&c.j, "\"nodes\":[],\"edges\":[],\"length\":null");
				sdb_buf_addc(&c.j, '}');
				if (c.o.stdin_)
					batch_rec(&c.o, &c.j, &c.nrec);
			}
			s = t + strlen(t) + 1;
		}
	}
	starts_close(&st);
	sdb_buf_release(&id1);
	sdb_buf_release(&id2);
	wcmd_end(&c);
	return status;
}

static int g_get_edge(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_buf id = SDB_BUF_INIT, tb = SDB_BUF_INIT, j = SDB_BUF_INIT;
	struct sdb_gstr me, ty;
	struct elist l, m;
	int rc;

	parse(&o, argc, argv, h_get_edge, o_get_edge, ALL_FMTS, 4, 4);
	gdb_open(&x, &o, o.pos[0], 0);
	me = enc_arg(&id, o.pos[1], "node id");
	ty = enc_arg(&tb, o.pos[2], "type");
	memset(&l, 0, sizeof(l));
	memset(&m, 0, sizeof(m));
	sdb_error_clear(&e);
	if ((rc = sdb_graph_edges(x.g, me, SDB_GDIR_OUT, &ty, 1, &o.r, elist_cb, &l, &e)))
		die_err(rc, &e);
	/* keep the versions whose target is TO */
	{
		struct sdb_buf to = SDB_BUF_INIT;
		sdb_graph_enc(&to, o.pos[3], strlen(o.pos[3]));
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].ton == to.len && !memcmp(l.b.data + l.v[i].to, to.data, to.len)) {
				struct sdb_gedge ed = { ES(&l, i, f), ES(&l, i, t), ES(&l, i, to), l.v[i].tm,
							l.b.data + l.v[i].p, l.v[i].pn };
				if (elist_cb(&m, &ed, &e))
					die(EXIT_FAILURE_RT, "out of memory");
			}
		sdb_buf_release(&to);
	}
	if (!m.n) {
		sdb_error_set(&e, SDB_ENOTFOUND, "unknown edge");
		fail(SDB_ENOTFOUND, &e);
	}
	{
		size_t *ix = malloc(m.n * sizeof(*ix));
		if (!ix)
			die(EXIT_FAILURE_RT, "out of memory");
		for (size_t i = 0; i < m.n; i++)
			ix[i] = i;
		sort_l = &m;
		sort_me = me.p;
		sort_men = me.n;
		qsort(ix, m.n, sizeof(*ix), ecmp);
		if (o.fmt != SDB_FMT_TSV)
			sdb_buf_adds(&j, "{\"edges\":[");
		for (size_t i = 0; i < m.n; i++) {
			size_t k = ix[i];
			if (o.fmt == SDB_FMT_TSV)
				edge_tsv(&cli_ob, NULL, ES(&m, k, f), ES(&m, k, t), ES(&m, k, to), &m.v[k].tm,
					 m.b.data + m.v[k].p, m.v[k].pn);
			else {
				if (i)
					sdb_buf_addc(&j, ',');
				edge_json(&j, ES(&m, k, f), ES(&m, k, t), ES(&m, k, to), &m.v[k].tm,
					  m.b.data + m.v[k].p, m.v[k].pn);
			}
		}
		free(ix);
	}
	if (o.fmt == SDB_FMT_TSV)
		cli_ob_flush();
	else {
		sdb_buf_adds(&j, "]}");
		emit_json(&o, &j, 0);
	}
	gdb_close(&x);
	free(l.v);
	free(m.v);
	sdb_buf_release(&l.b);
	sdb_buf_release(&m.b);
	sdb_buf_release(&id);
	sdb_buf_release(&tb);
	sdb_buf_release(&j);
	gopt_release(&o);
	return EXIT_OK;
}

static int hist_none(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e)
{
	(void)ctx;
	(void)nd;
	(void)e;
	return 0;
}

/* temporal: a filter over every version (live and, with --known-at, the
 * history) of the node's edges. */
struct tctx {
	struct elist *l;
	int mode;
	uint64_t at, from, to;
	int has_known;
	uint64_t known;
};

static int temporal_cb(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	struct tctx *c = ctx;
	const struct sdb_gtimes *t = &ed->t;

	if (c->has_known ? !(t->ra <= c->known && (!t->ea || c->known < t->ea)) : t->ea != 0)
		return 0;
	if (c->mode == 2) {
		/* [vf, vu) meets [from, to) */
		if (!(t->vf < c->to && (!t->vu || t->vu > c->from)))
			return 0;
	} else if (t->vf > c->at || (t->vu && c->at >= t->vu))
		return 0;
	return elist_cb(c->l, ed, e);
}

static int g_temporal(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_buf id = SDB_BUF_INIT, tb = SDB_BUF_INIT, j = SDB_BUF_INIT;
	struct sdb_gstr me, ty;
	struct elist l;
	struct tctx c;
	int rc;

	parse(&o, argc, argv, h_temporal, o_temporal, ALL_FMTS, 2, 2);
	if (o.mode == 1 && !o.has_at)
		die_usage("--mode at needs --at TIME");
	if (o.mode == 2 && (!o.has_from || !o.has_to))
		die_usage("--mode range needs --from TIME and --to TIME");
	if (o.mode == 2 && o.to <= o.from)
		die_usage("--to must be after --from");
	if (o.mode != 1 && o.has_at)
		die_usage("--at goes with --mode at");
	if (o.mode != 2 && (o.has_from || o.has_to))
		die_usage("--from and --to go with --mode range");
	gdb_open(&x, &o, o.pos[0], 0);
	me = enc_arg(&id, o.pos[1], "node id");
	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	c.l = &l;
	c.mode = o.mode;
	c.at = o.mode == 1 ? o.at : sdb_now_ms();
	c.from = o.from;
	c.to = o.to;
	c.has_known = o.r.has_known;
	c.known = o.r.known_at;
	if (o.edge_type)
		ty = enc_arg(&tb, o.edge_type, "type");
	sdb_error_clear(&e);
	/* every version (a NULL read), filtered by temporal_cb */
	if ((rc = sdb_graph_edges(x.g, me, o.dir, o.edge_type ? &ty : NULL, o.edge_type ? 1 : 0,
				  NULL, temporal_cb, &c, &e)))
		die_err(rc, &e);
	if (!l.n) {
		rc = sdb_graph_known(x.g, me, &o.r, &e);
		if (rc < 0)
			die_err(rc, &e);
		if (!rc) {
			struct sdb_gnode nd;
			(void)nd;
			rc = sdb_graph_node_history(x.g, me, hist_none, NULL, &e);
			if (rc == SDB_ENOTFOUND) {
				sdb_error_set(&e, rc, "unknown node '%s'", o.pos[1]);
				fail(rc, &e);
			}
			if (rc)
				die_err(rc, &e);
		}
	}
	write_adjacent(&o, &x, me, &l, NULL, &j);
	if (o.fmt == SDB_FMT_TSV)
		cli_ob_flush();
	else
		emit_json(&o, &j, 0);
	gdb_close(&x);
	free(l.v);
	sdb_buf_release(&l.b);
	sdb_buf_release(&id);
	sdb_buf_release(&tb);
	sdb_buf_release(&j);
	gopt_release(&o);
	return EXIT_OK;
}

/* history: node versions or edge versions, by (valid_from, recorded_at) */
struct hctx {
	struct sdb_buf b;
	struct { size_t ty, tyn, p, pn; struct sdb_gtimes t; } *v;
	size_t n, cap;
};

static int hist_node(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e)
{
	struct hctx *h = ctx;

	if (sdb_grow((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v), 16))
		return sdb_error_code(e, SDB_ENOMEM);
	h->v[h->n].ty = h->b.len;
	h->v[h->n].tyn = nd->typen;
	sdb_buf_add(&h->b, nd->type, nd->typen);
	h->v[h->n].p = h->b.len;
	h->v[h->n].pn = nd->propsn;
	sdb_buf_add(&h->b, nd->props, nd->propsn);
	h->v[h->n].t = nd->t;
	h->n++;
	return sdb_buf_ok(&h->b) ? 0 : sdb_error_code(e, SDB_ENOMEM);
}

static int hist_edge(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	struct sdb_gnode nd = { ed->from, "", 0, ed->t, ed->props, ed->propsn };

	return hist_node(ctx, &nd, e);
}

static const struct hctx *sort_h;

static int hcmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct sdb_gtimes *x = &sort_h->v[a].t, *y = &sort_h->v[b].t;

	if (x->vf != y->vf)
		return x->vf < y->vf ? -1 : 1;
	if (x->ra != y->ra)
		return x->ra < y->ra ? -1 : 1;
	return (a > b) - (a < b);
}

static int g_history(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_buf id = SDB_BUF_INIT, tb = SDB_BUF_INIT, tob = SDB_BUF_INIT, j = SDB_BUF_INIT;
	struct sdb_gstr me, ty, to;
	struct hctx h;
	size_t *ix;
	int rc, edge;

	parse(&o, argc, argv, h_history, o_history, ALL_FMTS, 2, 4);
	if (o.npos == 3)
		die_usage("missing argument TO");
	edge = o.npos == 4;
	gdb_open(&x, &o, o.pos[0], 0);
	me = enc_arg(&id, o.pos[1], "node id");
	memset(&h, 0, sizeof(h));
	sdb_error_clear(&e);
	if (edge) {
		ty = enc_arg(&tb, o.pos[2], "type");
		to = enc_arg(&tob, o.pos[3], "node id");
		rc = sdb_graph_edge_history(x.g, me, ty, to, hist_edge, &h, &e);
	} else
		rc = sdb_graph_node_history(x.g, me, hist_node, &h, &e);
	if (rc == SDB_ENOTFOUND)
		sdb_error_set(&e, rc, edge ? "unknown edge" : "unknown node '%s'", o.pos[1]);
	if (rc)
		fail(rc, &e);
	ix = malloc(h.n * sizeof(*ix));
	if (!ix)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < h.n; i++)
		ix[i] = i;
	sort_h = &h;
	qsort(ix, h.n, sizeof(*ix), hcmp);
	if (o.fmt != SDB_FMT_TSV)
		sdb_buf_adds(&j, edge ? "{\"edges\":[" : "{\"nodes\":[");
	for (size_t i = 0; i < h.n; i++) {
		size_t k = ix[i];
		const char *p = h.b.data + h.v[k].p;
		if (edge) {
			if (o.fmt == SDB_FMT_TSV)
				edge_tsv(&cli_ob, NULL, me, ty, to, &h.v[k].t, p, h.v[k].pn);
			else {
				if (i)
					sdb_buf_addc(&j, ',');
				edge_json(&j, me, ty, to, &h.v[k].t, p, h.v[k].pn);
			}
			continue;
		}
		if (o.fmt == SDB_FMT_TSV) {
			sdb_buf_adds(&cli_ob, "node\t");
			tstr(&cli_ob, me);
			sdb_buf_addc(&cli_ob, '\t');
			sdb_tsv_escape(&cli_ob, h.b.data + h.v[k].ty, h.v[k].tyn);
			sdb_buf_addc(&cli_ob, '\t');
			sdb_tsv_escape(&cli_ob, h.v[k].pn ? p : "{}", h.v[k].pn ? h.v[k].pn : 2);
			times_tsv(&cli_ob, &h.v[k].t);
			sdb_buf_addc(&cli_ob, '\n');
		} else {
			if (i)
				sdb_buf_addc(&j, ',');
			sdb_buf_adds(&j, "{\"id\":");
			jstr(&j, me);
			sdb_buf_adds(&j, ",\"type\":");
			sdb_json_quote(&j, h.b.data + h.v[k].ty, h.v[k].tyn);
			sdb_buf_adds(&j, ",\"props\":");
			props_json(&j, p, h.v[k].pn);
			times_json(&j, &h.v[k].t);
			sdb_buf_addc(&j, '}');
		}
	}
	if (o.fmt == SDB_FMT_TSV)
		cli_ob_flush();
	else {
		sdb_buf_adds(&j, "]}");
		emit_json(&o, &j, 0);
	}
	gdb_close(&x);
	free(ix);
	free(h.v);
	sdb_buf_release(&h.b);
	sdb_buf_release(&id);
	sdb_buf_release(&tb);
	sdb_buf_release(&tob);
	sdb_buf_release(&j);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_load(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sdb_input in;
	struct sdb_gload_stats st;
	int rc;

	parse(&o, argc, argv, h_load, o_load, 0, 1, 2);
	check_ns(o.pos[0]);
	sdb_error_clear(&e);
	if ((rc = sdb_input_open(&in, o.npos > 1 ? o.pos[1] : NULL, &e)))
		die_err(rc, &e);
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_graph_bulk_begin(x.g);
	if ((rc = sdb_graph_load(x.g, in.data, in.len, o.now, &st, &e))) {
		char m[700];
		if (rc == SDB_EPARSE || rc == SDB_EINVAL || rc == SDB_ELIMIT)
			die(EXIT_FAILURE_RT, "%s: %s; nothing applied", in.name,
			    sdb_error_format(&e, m, sizeof(m)));
		die_err(rc, &e);
	}
	gdb_bulk_end(&x);
	gdb_close(&x);
	if (cli_verbosity > 1)
		cli_warn("loaded %" PRIu64 " nodes, %" PRIu64 " edges (%" PRIu64 " unchanged)",
			 st.nodes, st.edges, st.noops);
	sdb_input_close(&in);
	gopt_release(&o);
	return EXIT_OK;
}

/* dump: JSONL records that load restores version for version */
static int dump_node(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e)
{
	(void)ctx;
	sdb_buf_adds(&cli_ob, "{\"id\":");
	jstr(&cli_ob, nd->id);
	sdb_buf_adds(&cli_ob, ",\"type\":");
	sdb_json_quote(&cli_ob, nd->type, nd->typen);
	sdb_buf_adds(&cli_ob, ",\"props\":");
	props_json(&cli_ob, nd->props, nd->propsn);
	times_json(&cli_ob, &nd->t);
	sdb_buf_adds(&cli_ob, "}\n");
	if (cli_ob.len > (1u << 20))
		cli_ob_flush();
	return 0;
}

static int dump_edge(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	(void)ctx;
	edge_json(&cli_ob, ed->from, ed->type, ed->to, &ed->t, ed->props, ed->propsn);
	sdb_buf_addc(&cli_ob, '\n');
	if (cli_ob.len > (1u << 20))
		cli_ob_flush();
	return 0;
}

static int g_dump(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	int rc;

	parse(&o, argc, argv, h_dump, o_dump, 0, 1, 1);
	gdb_open(&x, &o, o.pos[0], 0);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_scan(x.g, dump_node, dump_edge, NULL, &e)))
		die_err(rc, &e);
	cli_ob_flush();
	gdb_close(&x);
	gopt_release(&o);
	return EXIT_OK;
}

static int g_purge(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	uint64_t n;
	int rc;

	parse(&o, argc, argv, h_purge, o_purge, 0, 1, 1);
	if (!o.has_before)
		die_usage("purge needs --before TIME");
	gdb_open(&x, &o, o.pos[0], 1);
	sdb_error_clear(&e);
	if ((rc = sdb_graph_purge(x.g, o.before, &n, &e)))
		die_err(rc, &e);
	gdb_close(&x);
	if (cli_verbosity > 1)
		cli_warn("purged %" PRIu64 " versions", n);
	gopt_release(&o);
	return EXIT_OK;
}

/* stats */
struct sctx {
	struct sdb_gread now;
	uint64_t nodes, edges, nver, ever, nexp, eexp;
	struct sdb_buf last; /* the last node id counted (versions sort by id) */
};

static int stat_node(void *ctx, const struct sdb_gnode *nd, struct sdb_error *e)
{
	struct sctx *s = ctx;

	s->nver++;
	if (nd->t.ea)
		s->nexp++;
	if (sdb_gvisible(&nd->t, &s->now) &&
	    !(s->last.len == nd->id.n && !memcmp(s->last.data, nd->id.p, nd->id.n))) {
		s->nodes++;
		sdb_buf_reset(&s->last);
		sdb_buf_add(&s->last, nd->id.p, nd->id.n);
	}
	return 0;
}

static int stat_edge(void *ctx, const struct sdb_gedge *ed, struct sdb_error *e)
{
	struct sctx *s = ctx;

	s->ever++;
	if (ed->t.ea)
		s->eexp++;
	if (sdb_gvisible(&ed->t, &s->now))
		s->edges++;
	return 0;
}

static int g_stats(int argc, char **argv)
{
	struct gopt o;
	struct gdb x;
	struct sdb_error e;
	struct sctx s;
	int rc;
	struct sdb_fmt_opts fo = { SDB_FMT_TOON, 0, &cli_ob, cli_out_sink, NULL };

	parse(&o, argc, argv, h_stats, o_stats, SDB_FMT_BIT(SDB_FMT_TOON) | SDB_FMT_BIT(SDB_FMT_JSON), 1, 1);
	gdb_open(&x, &o, o.pos[0], 0);
	memset(&s, 0, sizeof(s));
	s.now = o.r;
	sdb_error_clear(&e);
	if ((rc = sdb_graph_scan(x.g, stat_node, stat_edge, &s, &e)))
		die_err(rc, &e);
	{
		const struct sdb_fmt_field f[] = {
			CLI_FIELD("nodes", sdb_cell_uint(s.nodes)),
			CLI_FIELD("edges", sdb_cell_uint(s.edges)),
			CLI_FIELD("node_versions", sdb_cell_uint(s.nver)),
			CLI_FIELD("edge_versions", sdb_cell_uint(s.ever)),
			CLI_FIELD("expired_node_versions", sdb_cell_uint(s.nexp)),
			CLI_FIELD("expired_edge_versions", sdb_cell_uint(s.eexp)),
		};
		fo.fmt = o.fmt;
		if (sdb_fmt_record(&fo, f, sizeof(f) / sizeof(f[0]), &e))
			cli_die_output(&e);
	}
	gdb_close(&x);
	sdb_buf_release(&s.last);
	gopt_release(&o);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add-node", g_add_node }, { "set-node", g_set_node },
		{ "get-node", g_get_node }, { "del-node", g_del_node },
		{ "add-edge", g_add_edge }, { "end-edge", g_end_edge },
		{ "get-edge", g_get_edge }, { "del-edge", g_del_edge },
		{ "neighbors", g_neighbors }, { "traverse", g_traverse },
		{ "path", g_path }, { "temporal", g_temporal },
		{ "history", g_history }, { "load", g_load }, { "dump", g_dump },
		{ "purge", g_purge }, { "stats", g_stats }, { NULL, NULL }
	};
	static char obuf[1 << 16];

	cli_init("sochdb-graph");
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
