/*
 * sochdb-bulk - build an HNSW index over a file of embeddings, query it,
 * describe it, convert between vector file formats.
 *
 * Thin by design: parse options, call lib/vec, print. All formats and the
 * graph live in the library (the headers of lib/vec).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "fmt/fmt.h"
#include "util/array.h"
#include "util/memstat.h"
#include "vec/distance.h"
#include "vec/flat.h"
#include "vec/hnsw.h"
#include "vec/hnswfile.h"
#include "vec/order.h"
#include "vec/shard.h"
#include "vec/vecio.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static const char usage_main[] =
	"usage: sochdb-bulk [--version] [-h] [--quiet] [-v] COMMAND [options]\n"
	"\n"
	"Build and query HNSW vector indexes over .npy, .fvecs or raw float32 files.\n"
	"\n"
	"Commands:\n"
	"  build-index  build an HNSW index from a file of vectors\n"
	"  query        k nearest neighbours of vectors from an index\n"
	"  info         describe an index and verify its checksums\n"
	"  convert      convert vectors between npy, fvecs and raw float32\n"
	"\n"
	"Before COMMAND: --quiet, -v/--verbose, --progress, --no-progress (-q is\n"
	"--query and -d --dimension here). Run 'sochdb-bulk help COMMAND' or\n"
	"'sochdb-bulk COMMAND -h' for the options of a command.\n";

static const struct opt common[] = {
	{ OPT_QUIET, 0, "quiet", NULL, NULL },
	{ OPT_VERBOSE, 'v', "verbose", NULL, NULL },
	{ OPT_PROGRESS, 0, "progress", NULL, NULL },
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL },
	OPT_END
};

enum {
	B_INPUT = 1, B_OUTPUT, B_FORMAT, B_DIM, B_M, B_EFC, B_METRIC, B_THREADS,
	B_BATCH, B_IDS, B_SEED, B_PRECISION, B_ORDERING, B_PREFAULT, B_DIRECT,
	B_TELEMETRY, B_JSON, B_INDEX, B_QUERY, B_VECTOR, B_K, B_EF, B_QFORMAT,
	B_TRUTH, B_EXACT, B_VERIFY, B_NO_OUTPUT, B_NO_VERIFY, B_TO_FORMAT, B_SHARD, B_BUDGET,
	B_INSERT, B_SPREC, B_REPEAT,
};

static const char head_build[] =
	"usage: sochdb-bulk build-index -i FILE -o INDEX [options]\n"
	"\n";
static const struct opt opts_build[] = {
	{ B_INPUT, 'i', "input", "FILE", "vectors: .npy, .fvecs or raw float32" },
	{ B_OUTPUT, 'o', "output", "INDEX", "index file to write (temp file + rename)" },
	{ B_FORMAT, 0, "format", "F", "input format npy|fvecs|raw_f32 (default: by extension)" },
	{ B_DIM, 'd', "dimension", "D", "dimension of raw float32 input" },
	{ B_M, 'm', "max-connections", "M", "graph degree, layer 0 gets 2M (default 16)" },
	{ B_EFC, 'e', "ef-construction", "EF", "candidate list size while building (default 100)" },
	{ B_METRIC, 0, "metric", "METRIC", "l2 (default), cosine or ip" },
	{ B_THREADS, 't', "threads", "N", "threads (default: OMP_NUM_THREADS or all cores)" },
	{ B_BATCH, 0, "batch-size", "N", "vectors per progress step (default 1000)" },
	{ B_IDS, 0, "ids", "FILE", "external ids: raw u64 little-endian, or a uint64/int64 .npy" },
	{ B_SEED, 0, "seed", "S", "seed of the level generator (default 42)" },
	{ B_SHARD, 0, "shard", "I/N", "index only shard I of N (0-based) of the rows; ids stay global" },
	{ B_PRECISION, 0, "build-precision", "P", "distances while building: auto (default), f32, bf16, sq8" },
	{ B_SPREC, 0, "search-precision", "P", "what queries walk the graph with: sq8 (default: an 8-bit\n"
	  "copy in the index, the best re-ranked in float32), bf16 or f32" },
	{ B_BUDGET, 0, "memory-budget", "SIZE", "build within SIZE (k/M/G) of memory: from a bf16 or sq8 copy\n"
	  "when the float32 vectors do not fit" },
	{ B_INSERT, 0, "insert-order", "O", "local (default: a random fifth -- 65% from 1M rows -- then the rest by region) or input" },
	{ B_ORDERING, 0, "ordering", "O", "none (default), random_projection, kmeans, block" },
	{ B_PREFAULT, 0, "prefault", NULL, "read the whole input into memory up front" },
	{ B_DIRECT, 0, "direct-read", NULL, "read() the input instead of mmap (network filesystems)" },
	{ B_TELEMETRY, 0, "telemetry", NULL, "time per phase, page faults, peak RSS (all and anonymous) on stderr" },
	{ B_JSON, 0, "json", NULL, "print the summary as JSON on stdout" },
	OPT_LINE("      --progress, --no-progress   progress bar on stderr (default: on a TTY)"),
	{ OPT_PROGRESS, 0, "progress", NULL, NULL },
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL },
	{ OPT_QUIET, 0, "quiet", NULL, "no summary line" },
	{ OPT_QUIET, 'q', NULL, NULL, NULL }, /* no --query here: -q stays quiet */
	OPT_END
};

static const char head_query[] =
	"usage: sochdb-bulk query --index INDEX [INDEX...] (-q FILE | --vector X,Y,...) [options]\n"
	"\n"
	"Several indexes (the shards of build-index --shard) are searched together and\n"
	"their top K merged: repeat --index, or name more index files after it.\n"
	"\n";
static const struct opt opts_query[] = {
	{ B_INDEX, 0, "index", "INDEX", "index file written by build-index (repeatable)" },
	{ B_INDEX, 'i', NULL, "INDEX", NULL },
	{ B_QUERY, 'q', "query", "FILE", "query vectors: .npy, .fvecs or raw float32" },
	{ B_VECTOR, 0, "vector", "X,Y,...", "one query vector given inline" },
	{ B_FORMAT, 0, "format", "F", "toon (default), json or csv" },
	{ B_K, 'k', "k", "K", "neighbours per query (default 10)" },
	{ B_EF, 'e', "ef", "EF", "search candidate list size (default max(64, K))" },
	{ B_THREADS, 't', "threads", "N", "threads for a query file (default: all cores)" },
	{ B_DIM, 'd', "dimension", "D", "dimension of a raw query file (default: the index's)" },
	{ B_QFORMAT, 0, "query-format", "F", "query file format npy|fvecs|raw_f32 (default: by extension)" },
	{ B_TRUTH, 0, "truth", "FILE", "true neighbour ids (ivecs or npy): print recall on stderr" },
	{ B_EXACT, 0, "exact", NULL, "brute force over every vector instead of the graph" },
	{ B_VERIFY, 0, "verify", NULL, "verify all checksums of the index first" },
	{ B_NO_OUTPUT, 0, "no-output", NULL, "print no results (with --truth: measure only)" },
	{ B_REPEAT, 0, "repeat", "N", "search the queries N times, report the median QPS (default 1)" },
	OPT_END
};

static const char head_info[] =
	"usage: sochdb-bulk info --index INDEX [--format toon|json] [--no-verify]\n"
	"\n";
static const struct opt opts_info[] = {
	{ B_INDEX, 0, "index", "INDEX", "index file (also accepted as the only argument)" },
	{ B_INDEX, 'i', NULL, "INDEX", NULL },
	{ B_FORMAT, 0, "format", "F", "toon (default) or json" },
	{ B_NO_VERIFY, 0, "no-verify", NULL, "skip the section checksums (header only)" },
	OPT_END
};

static const char head_convert[] =
	"usage: sochdb-bulk convert -i FILE -o FILE [--to-format F] [options]\n"
	"\n";
static const struct opt opts_convert[] = {
	{ B_INPUT, 'i', "input", "FILE", "vectors: .npy, .fvecs or raw float32" },
	{ B_OUTPUT, 'o', "output", "FILE", "output file (temp file + rename; - for stdout)" },
	{ B_TO_FORMAT, 0, "to-format", "F", "npy, fvecs or raw_f32 (default: by output extension)" },
	{ B_FORMAT, 0, "format", "F", "input format (default: by extension)" },
	{ B_DIM, 'd', "dimension", "D", "dimension of raw float32 input" },
	OPT_END
};

/* ---- small helpers -------------------------------------------------- */

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		die_usage("invalid value '%s' for %s", s, opt);
	return v;
}

/* Shortest decimal that reads back as f, never with an exponent (TOON and
 * JSON consumers get plain numbers). */
static void fmt_float(char *out, size_t n, float f)
{
	if (f == 0 || !isfinite(f)) {
		snprintf(out, n, "%s", isfinite(f) ? "0" : "null");
		return;
	}
	for (int p = 1; p <= 9; p++) {
		snprintf(out, n, "%.*g", p, (double)f);
		if (strtof(out, NULL) == f)
			break;
	}
	if (strchr(out, 'e')) {
		int exp10 = (int)floor(log10(fabs((double)f)));
		int digits = exp10 < 0 ? 9 - exp10 : 0;
		char *z;
		for (int d = 0; d <= digits + 9 && d < 60; d++) {
			snprintf(out, n, "%.*f", d, (double)f);
			if (strtof(out, NULL) == f)
				break;
		}
		if (strchr(out, '.')) {
			z = out + strlen(out) - 1;
			while (*z == '0')
				*z-- = 0;
			if (*z == '.')
				*z = 0;
		}
	}
}

/* What goes to stdout: the row writer's buffer, drained by cli_out_sink. */
static struct sdb_buf ob = SDB_BUF_INIT;

/* --format F among allowed, or a usage error. */
static enum sdb_fmt parse_format(const char *v, unsigned allowed)
{
	enum sdb_fmt f;
	struct sdb_error e;

	if (sdb_fmt_parse(v, allowed, &f, &e))
		die_usage("%s", e.msg);
	return f;
}

/* Writes one record (build --json, info) to stdout. */
static void put_record(enum sdb_fmt f, const struct sdb_fmt_field *fields, size_t n)
{
	const struct sdb_fmt_opts o = { f, 0, &ob, cli_out_sink, NULL };
	struct sdb_error e;

	sdb_error_clear(&e);
	if (sdb_fmt_record(&o, fields, n, &e))
		cli_die_output(&e);
}

static void set_threads(int threads)
{
#ifdef _OPENMP
	if (threads > 0)
		omp_set_num_threads(threads);
#else
	(void)threads;
#endif
}

static int max_threads(void)
{
#ifdef _OPENMP
	return omp_get_max_threads();
#else
	return 1;
#endif
}

/* ---- build-index ---------------------------------------------------- */

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
	cli_bar_update(arg, done, total);
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg;
	const char *in = NULL, *outp = NULL, *ids_path = NULL;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_hnsw_params hp = { 16, 100, SDB_VEC_L2, 42, 1000, 0, SDB_PREC_AUTO, SDB_INSERT_LOCAL };
	int ordering = SDB_ORDER_NONE, telemetry = 0, json = 0, c, rc;
	unsigned long long budget = 0;
	int search_bf16 = 0, search_sq8 = 1;
	uint64_t anon_peak;
	struct sdb_memstat ms;
	struct sdb_error e;
	struct sdb_vec_set vs;
	struct sdb_hnsw *h = NULL;
	float *normed = NULL;
	uint64_t *ids = NULL, bytes = 0;
	uint32_t *perm = NULL;
	struct cli_bar pr;
	struct sdb_index_meta meta;
	uint32_t shard_i = 0, shard_n = 1;
	uint64_t first = 0, end, ns;
	uint64_t *shard_ids = NULL;
	const float *rows;
	double t0, t_load, t_build, t_order, t_write;
	struct rusage ru;

	opt_init(&p, opts_build, head_build, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INPUT: in = arg; break;
		case B_OUTPUT: outp = arg; break;
		case B_DIM: vo.dim = (uint32_t)cli_parse_long("--dimension", arg, 1, 1 << 24); break;
		case B_M: hp.M = (uint32_t)cli_parse_long("--max-connections", arg, 2, 255); break;
		case B_EFC: hp.ef_construction = (uint32_t)cli_parse_long("--ef-construction", arg, 1, 1 << 20); break;
		case B_THREADS: hp.threads = (int)cli_parse_long("--threads", arg, 1, 4096); break;
		case B_METRIC:
			hp.metric = sdb_vec_metric_parse(arg);
			if (hp.metric < 0)
				die_usage("invalid metric '%s' (expected l2, cosine or ip)", arg);
			break;
		case B_BATCH: hp.batch_size = (uint32_t)cli_parse_long("--batch-size", arg, 1, 1L << 30); break;
		case B_IDS: ids_path = arg; break;
		case B_SEED: hp.seed = parse_u64("--seed", arg); break;
		case B_SHARD:
			sdb_error_clear(&e);
			if (sdb_shard_parse(arg, &shard_i, &shard_n, &e))
				die_usage("%s", e.msg);
			break;
		case B_ORDERING:
			ordering = sdb_hnsw_ordering_parse(arg);
			if (ordering < 0)
				die_usage("invalid ordering '%s' (expected none, random_projection, kmeans or block)", arg);
			break;
		case B_PREFAULT: vo.prefault = 1; break;
		case B_DIRECT: vo.direct_read = 1; break;
		case B_TELEMETRY: telemetry = 1; break;
		case B_JSON: json = 1; break;
		case B_FORMAT:
			vo.format = sdb_vec_format_parse(arg);
			if (vo.format < 0)
				die_usage("invalid format '%s' (expected npy, fvecs or raw_f32)", arg);
			break;
		case B_PRECISION:
			hp.precision = sdb_hnsw_precision_parse(arg);
			if (hp.precision < 0)
				die_usage("invalid build precision '%s' (expected auto, f32, bf16 or sq8)", arg);
			break;
		case B_SPREC:
			search_bf16 = !strcmp(arg, "bf16");
			search_sq8 = !strcmp(arg, "sq8");
			if (!search_bf16 && !search_sq8 && strcmp(arg, "f32"))
				die_usage("invalid search precision '%s' (expected sq8, bf16 or f32)", arg);
			break;
		case B_INSERT:
			hp.insert_order = sdb_hnsw_insert_parse(arg);
			if (hp.insert_order < 0)
				die_usage("invalid insert order '%s' (expected local or input)", arg);
			break;
		case B_BUDGET:
			budget = parse_size("--memory-budget", arg);
			if (!budget)
				die_usage("invalid size '%s' for --memory-budget (must be above 0)", arg);
			break;
		case OPT_ARG: die_usage("unexpected argument '%s'", arg);
		}
	}
	if (!in)
		die_usage("missing --input");
	if (!outp)
		die_usage("missing --output");
	if (!strcmp(outp, "-"))
		die_usage("the index cannot be written to stdout");
	set_threads(hp.threads);

	sdb_error_clear(&e);
	if ((rc = sdb_vec_simd_check(&e)))
		die_err(rc, &e);
	if (telemetry || json)
		sdb_memstat_start(5);
	t0 = cli_now();
	rc = sdb_vec_set_open(&vs, in, &vo, &e);
	if (rc)
		die_err(rc, &e);
	/* a shard indexes its own rows only (and touches only their pages) */
	sdb_shard_range(vs.n, shard_i, shard_n, &first, &end);
	ns = end - first;
	if (!ns)
		die(EXIT_FAILURE_RT, "shard %u/%u of '%s' holds no rows (%llu vectors in %u shards)",
		    shard_i, shard_n, in, (unsigned long long)vs.n, shard_n);
	rows = vs.data + first * vs.dim;
	if (budget && (rc = sdb_hnsw_fit_budget(budget, ns, vs.dim, hp.M, hp.metric,
						 hp.threads > 0 ? hp.threads : max_threads(),
						 &hp.precision, &e)))
		die_err(rc, &e);
	if ((rc = sdb_vec_check_finite_rows(vs.data, first, end, vs.dim, vs.name, &e)))
		die_err(rc, &e);
	if (ids_path && (rc = sdb_vec_read_ids(ids_path, vs.n, &ids, &e)))
		die_err(rc, &e);
	if (!ids && first) {
		/* ids stay the global row numbers */
		if (!(shard_ids = malloc(ns * sizeof(uint64_t))))
			die(EXIT_FAILURE_RT, "out of memory");
		for (uint64_t i = 0; i < ns; i++)
			shard_ids[i] = first + i;
	}
	if (hp.metric == SDB_VEC_COSINE) {
		normed = malloc(ns * vs.dim * sizeof(float));
		if (!normed)
			die(EXIT_FAILURE_RT, "out of memory normalising %llu vectors",
			    (unsigned long long)ns);
		memcpy(normed, rows, ns * vs.dim * sizeof(float));
		for (uint64_t i = 0; i < ns; i++)
			sdb_vec_normalize(normed + i * vs.dim, vs.dim);
	}
	t_load = cli_now();
	cli_bar_start(&pr, "building", "vec");
	rc = sdb_hnsw_build(normed ? normed : rows, ns, vs.dim, &hp, on_progress, &pr, &h, &e);
	if (rc)
		die_err(rc, &e);
	t_build = cli_now();
	if ((rc = sdb_hnsw_ordering_perm(h, ordering, hp.seed, &perm, &e)))
		die_err(rc, &e);
	t_order = cli_now();
	meta.ef_construction = hp.ef_construction;
	meta.ordering = (uint32_t)ordering;
	meta.seed = hp.seed;
	meta.batch_size = hp.batch_size;
	meta.threads = (uint32_t)h->threads_used;
	meta.has_ids = ids != NULL;
	meta.precision = (uint32_t)h->precision_used;
	meta.shard_index = shard_i;
	meta.shard_count = shard_n;
	meta.input_rows = vs.n;
	meta.first_row = first;
	meta.input_crc = sdb_shard_fingerprint(vs.data, vs.n, vs.dim);
	meta.search_bf16 = search_bf16;
	meta.search_sq8 = search_sq8;
	rc = sdb_index_write(outp, h, ids ? ids + first : shard_ids, perm, &meta, &bytes, &e);
	if (rc)
		die_err(rc, &e);
	t_write = cli_now();
	anon_peak = sdb_memstat_stop();
	sdb_memstat_read(&ms);
	{
		double secs = t_write - t0;
		double rate = secs > 0 ? (double)ns / secs : 0;
		if (cli_verbosity > 0)
			fprintf(stderr, "built '%s': %llu vectors, dimension %u, %.3f s, %.0f vectors/s, %llu bytes\n",
				outp, (unsigned long long)ns, vs.dim, secs, rate,
				(unsigned long long)bytes);
		getrusage(RUSAGE_SELF, &ru);
		if (telemetry)
			fprintf(stderr,
				"telemetry: load %.3f s, build %.3f s, ordering %.3f s, write %.3f s; "
				"page faults %ld minor, %ld major; peak RSS %.1f MiB; "
				"anonymous peak %.1f MiB; compressed copy %.1f MiB; "
				"kernels %s; build precision %s; %d threads; %.0f distances per vector; "
				"%llu nodes relinked\n",
				t_load - t0, t_build - t_load, t_order - t_build, t_write - t_order,
				ru.ru_minflt, ru.ru_majflt,
				(double)(ms.hwm ? ms.hwm : (uint64_t)ru.ru_maxrss * 1024) / 1048576.0,
				(double)anon_peak / 1048576.0, (double)h->copy_bytes / 1048576.0,
				sdb_vec_kernels()->name,
				sdb_hnsw_precision_name(h->precision_used), h->threads_used,
				(double)h->distances / (double)ns, (unsigned long long)h->relinked);
		if (json) {
			char n[8][32], shard[32];
			snprintf(shard, sizeof(shard), "%u/%u", shard_i, shard_n);
			snprintf(n[0], 32, "%.6f", secs);
			snprintf(n[1], 32, "%.1f", rate);
			snprintf(n[2], 32, "%.6f", t_load - t0);
			snprintf(n[3], 32, "%.6f", t_build - t_load);
			snprintf(n[4], 32, "%.6f", t_order - t_build);
			snprintf(n[5], 32, "%.6f", t_write - t_order);
			const struct sdb_fmt_field f[] = {
				{ "index", sdb_cell_str(outp), NULL, 0, NULL, 0 },
				{ "vectors", sdb_cell_uint(ns), NULL, 0, NULL, 0 },
				{ "dimension", sdb_cell_uint(vs.dim), NULL, 0, NULL, 0 },
				{ "metric", sdb_cell_str(sdb_vec_metric_name(hp.metric)), NULL, 0, NULL, 0 },
				{ "M", sdb_cell_uint(hp.M), NULL, 0, NULL, 0 },
				{ "ef_construction", sdb_cell_uint(hp.ef_construction), NULL, 0, NULL, 0 },
				{ "threads", sdb_cell_int(h->threads_used), NULL, 0, NULL, 0 },
				{ "ordering", sdb_cell_str(sdb_hnsw_ordering_name(ordering)), NULL, 0, NULL, 0 },
				{ "insert_order", sdb_cell_str(sdb_hnsw_insert_name(hp.insert_order)), NULL, 0, NULL, 0 },
				{ "seconds", sdb_cell_num(n[0]), NULL, 0, NULL, 0 },
				{ "vectors_per_second", sdb_cell_num(n[1]), NULL, 0, NULL, 0 },
				{ "index_bytes", sdb_cell_uint(bytes), NULL, 0, NULL, 0 },
				{ "load_seconds", sdb_cell_num(n[2]), NULL, 0, NULL, 0 },
				{ "build_seconds", sdb_cell_num(n[3]), NULL, 0, NULL, 0 },
				{ "ordering_seconds", sdb_cell_num(n[4]), NULL, 0, NULL, 0 },
				{ "write_seconds", sdb_cell_num(n[5]), NULL, 0, NULL, 0 },
				{ "peak_rss_bytes", sdb_cell_int(ms.hwm ? (int64_t)ms.hwm : (int64_t)ru.ru_maxrss * 1024), NULL, 0, NULL, 0 },
				{ "minor_faults", sdb_cell_int(ru.ru_minflt), NULL, 0, NULL, 0 },
				{ "major_faults", sdb_cell_int(ru.ru_majflt), NULL, 0, NULL, 0 },
				{ "distances", sdb_cell_uint(h->distances), NULL, 0, NULL, 0 },
				{ "kernels", sdb_cell_str(sdb_vec_kernels()->name), NULL, 0, NULL, 0 },
				{ "build_precision", sdb_cell_str(sdb_hnsw_precision_name(h->precision_used)),
				  NULL, 0, NULL, 0 },
				{ "search_precision", sdb_cell_str(search_sq8 ? "sq8"
					     : search_bf16 || h->g.vecs_bf16 ? "bf16" : "f32"),
				  NULL, 0, NULL, 0 },
				{ "anon_peak_bytes", sdb_cell_uint(anon_peak), NULL, 0, NULL, 0 },
				{ "copy_bytes", sdb_cell_uint(h->copy_bytes), NULL, 0, NULL, 0 },
				{ "memory_budget_bytes", sdb_cell_uint(budget), NULL, 0, NULL, 0 },
				{ "shard", sdb_cell_str(shard), NULL, 0, NULL, 0 },
				{ "first_row", sdb_cell_uint(first), NULL, 0, NULL, 0 },
				{ "relinked_nodes", sdb_cell_uint(h->relinked), NULL, 0, NULL, 0 },
			};
			put_record(SDB_FMT_JSON, f, sizeof(f) / sizeof(f[0]));
		}
	}
	free(perm);
	sdb_hnsw_free(h);
	free(normed);
	free(ids);
	free(shard_ids);
	sdb_vec_set_close(&vs);
	return EXIT_OK;
}

/* ---- query ---------------------------------------------------------- */


static float *parse_vector(const char *s, uint32_t *dim)
{
	size_t cap = 0, n = 0;
	float *v = NULL;
	const char *p = s;

	for (;;) {
		char *end;
		float f;
		while (*p == ' ' || *p == '[')
			p++;
		errno = 0;
		f = strtof(p, &end);
		if (end == p || errno == ERANGE)
			die_usage("invalid --vector: bad number at character %zu",
			    (size_t)(p - s) + 1);
		if (sdb_grow((void **)&v, &cap, n + 1, sizeof(float), 16))
			die(EXIT_FAILURE_RT, "out of memory");
		v[n++] = f;
		p = end;
		while (*p == ' ' || *p == ']')
			p++;
		if (!*p)
			break;
		if (*p != ',')
			die_usage("invalid --vector: expected ',' at character %zu",
			    (size_t)(p - s) + 1);
		p++;
	}
	*dim = (uint32_t)n;
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The index files of a query, opened and checked as one set. */
struct index_set {
	struct sdb_index *x;
	size_t n;
	uint64_t vectors;   /* all of them together */
	uint64_t max_n;
	uint32_t max_M0;
};

static void open_index_set(struct index_set *s, const char **paths, size_t n, int verify)
{
	struct sdb_error e;
	int rc;

	s->x = calloc(n, sizeof(*s->x));
	if (!s->x)
		die(EXIT_FAILURE_RT, "out of memory");
	s->n = n;
	s->vectors = s->max_n = 0;
	s->max_M0 = 0;
	sdb_error_clear(&e);
	for (size_t i = 0; i < n; i++) {
		struct sdb_index *x = &s->x[i];
		if ((rc = sdb_index_open(x, paths[i], &e)))
			die_err(rc, &e);
		if (verify && (rc = sdb_index_verify(x, &e)))
			die_err(rc, &e);
		s->vectors += x->g.n;
		if (x->g.n > s->max_n)
			s->max_n = x->g.n;
		if (x->g.M0 > s->max_M0)
			s->max_M0 = x->g.M0;
	}
	if ((rc = sdb_shard_check_set(s->x, n, &e)))
		die(EXIT_FAILURE_RT, "%s", e.msg);
}

/* The ids a truth file may name: NULL when they are the row numbers
 * 0..vectors-1 (one whole index without --ids); else a malloc'd copy. */
static uint64_t *index_set_ids(const struct index_set *s)
{
	uint64_t *all, at = 0;

	if (s->n == 1 && !s->x[0].meta.has_ids && !s->x[0].meta.first_row)
		return NULL;
	all = malloc((s->vectors ? s->vectors : 1) * sizeof(uint64_t));
	if (!all)
		die(EXIT_FAILURE_RT, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		memcpy(all + at, s->x[i].ids, s->x[i].g.n * sizeof(uint64_t));
		at += s->x[i].g.n;
	}
	return all;
}

/*
 * The k nearest of q in every index of s, merged (sdb_knn_merge): ids and
 * distances into oid/od. nodes, nd (k each) and hits (s->n * k) are the
 * caller's scratch; ctx NULL searches exactly. @return the number found.
 */
static uint32_t search_set(const struct index_set *s, struct sdb_hnsw_ctx *ctx, const float *q,
			   uint32_t k, uint32_t ef, uint32_t *nodes, float *nd,
			   struct sdb_knn_hit *hits, uint64_t *oid, float *od)
{
	size_t nh = 0;
	uint32_t found;

	for (size_t i = 0; i < s->n; i++) {
		const struct sdb_index *x = &s->x[i];
		uint32_t kk = (uint64_t)k < x->g.n ? k : (uint32_t)x->g.n, f;
		if (!ctx)
			f = sdb_vec_exact_knn(x->g.vecs, x->g.n, x->g.dim, x->g.metric, q, kk, nodes, nd);
		else
			f = sdb_hnsw_search(&x->g, ctx, q, kk, ef, nodes, nd);
		for (uint32_t r = 0; r < f; r++) {
			hits[nh].dist = nd[r];
			hits[nh].src = (uint32_t)i;
			hits[nh].id = x->ids[nodes[r]];
			nh++;
		}
	}
	/* one index: its own order, as before shards; several: merged */
	found = s->n == 1 ? (uint32_t)nh : sdb_knn_merge(hits, nh, k);
	for (uint32_t r = 0; r < found; r++) {
		oid[r] = hits[r].id;
		od[r] = hits[r].dist;
	}
	return found;
}

static int cmd_query(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg;
	const char *qpath = NULL, *vec_arg = NULL, *truth_path = NULL;
	const char **paths = NULL, *stray = NULL;
	int index_opt = 0;
	size_t npaths = 0, cap_paths = 0;
	long k = 10, ef = 0;
	int threads = 0, exact = 0, verify = 0, no_output = 0, repeat = 1, c;
	enum sdb_fmt fmt = SDB_FMT_TOON;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_error e;
	int rc;
	struct index_set set;
	struct sdb_vec_set qs;
	float *qbuf = NULL, *dists;
	uint64_t *res;
	uint32_t *found, qdim = 0, dim;
	uint64_t nq;
	double t0, secs;

	opt_init(&p, opts_query, head_query, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INDEX:
		case OPT_ARG:
			/* arguments are more index files (--index shards/NAME-*.idx) */
			if (c == B_INDEX)
				index_opt = 1;
			else if (!stray)
				stray = arg;
			if (sdb_grow((void **)&paths, &cap_paths, npaths + 1, sizeof(*paths), 8))
				die(EXIT_FAILURE_RT, "out of memory");
			paths[npaths++] = arg;
			break;
		case B_QUERY: qpath = arg; break;
		case B_VECTOR: vec_arg = arg; break;
		case B_K: k = cli_parse_long("--k", arg, 1, 1 << 20); break;
		case B_EF: ef = cli_parse_long("--ef", arg, 1, 1 << 20); break;
		case B_THREADS: threads = (int)cli_parse_long("--threads", arg, 1, 4096); break;
		case B_DIM: vo.dim = (uint32_t)cli_parse_long("--dimension", arg, 1, 1 << 24); break;
		case B_TRUTH: truth_path = arg; break;
		case B_EXACT: exact = 1; break;
		case B_FORMAT:
			fmt = parse_format(arg, SDB_FMT_BIT(SDB_FMT_TOON) |
					   SDB_FMT_BIT(SDB_FMT_JSON) | SDB_FMT_BIT(SDB_FMT_CSV));
			break;
		case B_QFORMAT:
			vo.format = sdb_vec_format_parse(arg);
			if (vo.format < 0)
				die_usage("invalid query format '%s' (expected npy, fvecs or raw_f32)", arg);
			break;
		case B_VERIFY: verify = 1; break;
		case B_NO_OUTPUT: no_output = 1; break;
		case B_REPEAT: repeat = (int)cli_parse_long("--repeat", arg, 1, 1000); break;
		}
	}
	if (!index_opt && stray)
		die_usage("unexpected argument '%s'", stray);
	if (!index_opt)
		die_usage("missing --index");
	if (!qpath == !vec_arg)
		die_usage("give exactly one of --query FILE and --vector X,Y,...");
	if (!ef)
		ef = k > 64 ? k : 64;
	set_threads(threads);
	sdb_error_clear(&e);
	if ((rc = sdb_vec_simd_check(&e)))
		die_err(rc, &e);
	open_index_set(&set, paths, npaths, verify);
	dim = set.x[0].g.dim;
	if ((uint64_t)k > set.vectors) {
		if (set.n == 1)
			die(EXIT_FAILURE_RT, "k (%ld) is larger than the index ('%s' holds %llu vectors)",
			    k, paths[0], (unsigned long long)set.vectors);
		die(EXIT_FAILURE_RT, "k (%ld) is larger than the %zu indexes together (%llu vectors)",
		    k, set.n, (unsigned long long)set.vectors);
	}
	if (vec_arg) {
		qbuf = parse_vector(vec_arg, &qdim);
		nq = 1;
	} else {
		if (!vo.dim && (vo.format == SDB_VEC_FMT_RAW ||
				(vo.format == SDB_VEC_FMT_AUTO &&
				 sdb_vec_format_of_path(qpath) == SDB_VEC_FMT_RAW)))
			vo.dim = dim;
		vo.dim_hint = dim;
		if ((rc = sdb_vec_set_open(&qs, qpath, &vo, &e)))
			die_err(rc, &e);
		nq = qs.n;
		qdim = qs.dim;
		qbuf = malloc(nq * qdim * sizeof(float));
		if (!qbuf)
			die(EXIT_FAILURE_RT, "out of memory");
		memcpy(qbuf, qs.data, nq * qdim * sizeof(float));
		sdb_vec_set_close(&qs);
	}
	if (qdim != dim)
		die(EXIT_FAILURE_RT, "query has dimension %u, the index has dimension %u",
		    qdim, dim);
	if ((rc = sdb_vec_check_finite(qbuf, nq, qdim, vec_arg ? "--vector" : qpath, &e)))
		die_err(rc, &e);
	if (set.x[0].g.metric == SDB_VEC_COSINE)
		for (uint64_t i = 0; i < nq; i++)
			sdb_vec_normalize(qbuf + i * qdim, qdim);
	res = malloc(nq * (size_t)k * sizeof(uint64_t));
	dists = malloc(nq * (size_t)k * sizeof(float));
	found = malloc(nq * sizeof(uint32_t));
	if (!res || !dists || !found)
		die(EXIT_FAILURE_RT, "out of memory");

	double *pass = malloc((size_t)repeat * sizeof(double));
	if (!pass)
		die(EXIT_FAILURE_RT, "out of memory");
	for (int rep = 0; rep < repeat; rep++) {
		int fail = 0;
		t0 = cli_now();
#ifdef _OPENMP
#pragma omp parallel if (nq > 1)
#endif
		{
			struct sdb_hnsw_ctx *ctx = exact ? NULL : sdb_hnsw_ctx_new(set.max_n, set.max_M0);
			uint32_t *nodes = malloc((size_t)k * sizeof(uint32_t));
			float *nd = malloc((size_t)k * sizeof(float));
			struct sdb_knn_hit *hits = malloc(set.n * (size_t)k * sizeof(*hits));
			int ok = (exact || ctx) && nodes && nd && hits;
			if (!ok)
				fail = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
			for (uint64_t i = 0; i < nq; i++)
				found[i] = ok ? search_set(&set, ctx, qbuf + i * qdim, (uint32_t)k,
							   (uint32_t)ef, nodes, nd, hits, res + i * k,
							   dists + i * k)
					      : 0;
			sdb_hnsw_ctx_free(ctx);
			free(nodes);
			free(nd);
			free(hits);
		}
		if (fail)
			die(EXIT_FAILURE_RT, "out of memory");
		pass[rep] = cli_now() - t0;
	}
	/* the median pass (the lower middle one of an even count) */
	qsort(pass, (size_t)repeat, sizeof(double), cmp_double);
	secs = pass[(repeat - 1) / 2];
	free(pass);

	if (truth_path) {
		uint64_t trows, *truth, hits = 0, *all_ids;
		uint32_t tcols;
		if ((rc = sdb_vec_read_truth(truth_path, &trows, &tcols, &truth, &e)))
			die_err(rc, &e);
		if (trows < nq)
			die(EXIT_FAILURE_RT, "'%s' has truth for %llu queries, need %llu",
			    truth_path, (unsigned long long)trows, (unsigned long long)nq);
		if (tcols < (uint32_t)k)
			die(EXIT_FAILURE_RT, "'%s' has %u ids per query, need at least k=%ld",
			    truth_path, tcols, k);
		all_ids = index_set_ids(&set);
		if ((rc = sdb_vec_check_truth(truth, nq, tcols, (uint32_t)k, all_ids, set.vectors,
					      truth_path, &e)))
			die_err(rc, &e);
		free(all_ids);
		for (uint64_t i = 0; i < nq; i++)
			for (uint32_t r = 0; r < found[i]; r++) {
				uint64_t id = res[i * k + r];
				for (long j = 0; j < k; j++)
					if (truth[i * tcols + (uint64_t)j] == id) {
						hits++;
						break;
					}
			}
		free(truth);
		fprintf(stderr, "recall@%ld %.4f  qps %.0f  (%llu queries, ef %ld, %d threads)\n",
			k, (double)hits / ((double)nq * (double)k), secs > 0 ? (double)nq / secs : 0.0,
			(unsigned long long)nq, exact ? 0 : ef, nq > 1 ? max_threads() : 1);
	}

	if (!no_output) {
		static const struct sdb_fmt_col cols[] = {
			{ "query", 0 }, { "rank", 0 }, { "id", 0 }, { "distance", 0 },
		};
		const struct sdb_fmt_opts o = { fmt, SDB_FMT_HEADER, &ob, cli_out_sink, NULL };
		struct sdb_fmt_writer w;
		char num[64];
		if (sdb_fmt_begin(&w, &o, cols, 4, &e))
			cli_die_output(&e);
		for (uint64_t i = 0; i < nq; i++)
			for (uint32_t r = 0; r < found[i]; r++) {
				struct sdb_cell row[4];
				fmt_float(num, sizeof(num), dists[i * k + r]);
				row[0] = sdb_cell_uint(i);
				row[1] = sdb_cell_uint(r + 1);
				row[2] = sdb_cell_uint(res[i * k + r]);
				row[3] = sdb_cell_num(num);
				if (sdb_fmt_row(&w, row, &e))
					cli_die_output(&e);
			}
		if (sdb_fmt_end(&w, &e))
			cli_die_output(&e);
	}
	free(res);
	free(dists);
	free(found);
	free(qbuf);
	for (size_t i = 0; i < set.n; i++)
		sdb_index_close(&set.x[i]);
	free(set.x);
	free(paths);
	return EXIT_OK;
}

/* ---- info ----------------------------------------------------------- */

static int cmd_info(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg, *pos = NULL;
	const char *path = NULL;
	int verify = 1, c;
	enum sdb_fmt fmt = SDB_FMT_TOON;
	struct sdb_error e;
	int rc;
	struct sdb_index x;
	uint64_t edges = 0;

	opt_init(&p, opts_info, head_info, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INDEX: path = arg; break;
		case B_FORMAT:
			fmt = parse_format(arg,
					   SDB_FMT_BIT(SDB_FMT_TOON) | SDB_FMT_BIT(SDB_FMT_JSON));
			break;
		case B_NO_VERIFY: verify = 0; break;
		case OPT_ARG:
			if (pos)
				die_usage("unexpected argument '%s'", arg);
			pos = arg;
			break;
		}
	}
	if (pos && path)
		die_usage("unexpected argument '%s'", pos);
	if (pos)
		path = pos;
	if (!path)
		die_usage("missing --index");
	sdb_error_clear(&e);
	if ((rc = sdb_index_open(&x, path, &e)))
		die_err(rc, &e);
	if (verify && (rc = sdb_index_verify(&x, &e)))
		die_err(rc, &e);
	for (uint64_t i = 0; i < x.g.n; i++) {
		uint32_t cnt = x.g.links0[i * (x.g.M0 + 1)];
		edges += cnt <= x.g.M0 ? cnt : x.g.M0;
	}
	{
		char deg[32], shard[32];
		snprintf(deg, sizeof(deg), "%.2f", (double)edges / (double)x.g.n);
		snprintf(shard, sizeof(shard), "%u/%u", x.meta.shard_index, x.meta.shard_count);
		const struct sdb_fmt_field f[] = {
			{ "index", sdb_cell_str(path), NULL, 0, NULL, 0 },
			{ "format_version", sdb_cell_int(1), NULL, 0, NULL, 0 },
			{ "vectors", sdb_cell_uint(x.g.n), NULL, 0, NULL, 0 },
			{ "dimension", sdb_cell_uint(x.g.dim), NULL, 0, NULL, 0 },
			{ "metric", sdb_cell_str(sdb_vec_metric_name(x.g.metric)), NULL, 0, NULL, 0 },
			{ "M", sdb_cell_uint(x.g.M), NULL, 0, NULL, 0 },
			{ "M0", sdb_cell_uint(x.g.M0), NULL, 0, NULL, 0 },
			{ "ef_construction", sdb_cell_uint(x.meta.ef_construction), NULL, 0, NULL, 0 },
			{ "levels", sdb_cell_uint(x.g.max_level + 1), NULL, 0, NULL, 0 },
			{ "entry_point", sdb_cell_uint(x.g.entry), NULL, 0, NULL, 0 },
			{ "ordering", sdb_cell_str(sdb_hnsw_ordering_name((int)x.meta.ordering)), NULL, 0, NULL, 0 },
			{ "seed", sdb_cell_uint(x.meta.seed), NULL, 0, NULL, 0 },
			{ "batch_size", sdb_cell_uint(x.meta.batch_size), NULL, 0, NULL, 0 },
			{ "threads", sdb_cell_uint(x.meta.threads), NULL, 0, NULL, 0 },
			{ "external_ids", sdb_cell_bool(x.meta.has_ids), NULL, 0, NULL, 0 },
			{ "shard", sdb_cell_str(shard), NULL, 0, NULL, 0 },
			{ "input_rows", sdb_cell_uint(x.meta.input_rows), NULL, 0, NULL, 0 },
			{ "first_row", sdb_cell_uint(x.meta.first_row), NULL, 0, NULL, 0 },
			{ "last_row", sdb_cell_uint(x.meta.first_row + x.g.n - 1), NULL, 0, NULL, 0 },
			{ "build_precision", sdb_cell_str(sdb_hnsw_precision_name((int)x.meta.precision)),
			  NULL, 0, NULL, 0 },
			{ "search_precision", sdb_cell_str(x.g.codes ? "sq8" : x.g.vecs_bf16 ? "bf16" : "f32"), NULL, 0, NULL, 0 },
			{ "mean_degree_layer0", sdb_cell_num(deg), NULL, 0, NULL, 0 },
			{ "bytes", sdb_cell_uint(x.file_bytes), NULL, 0, NULL, 0 },
			{ "checksums", sdb_cell_str(verify ? "ok" : "unchecked"), NULL, 0, NULL, 0 },
		};
		put_record(fmt, f, sizeof(f) / sizeof(f[0]));
	}
	sdb_index_close(&x);
	return EXIT_OK;
}

/* ---- convert -------------------------------------------------------- */

static int cmd_convert(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg;
	const char *in = NULL, *outp = NULL;
	int to = SDB_VEC_FMT_AUTO, c;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_vec_set vs;
	struct sdb_error e;
	int rc;

	opt_init(&p, opts_convert, head_convert, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INPUT: in = arg; break;
		case B_OUTPUT: outp = arg; break;
		case B_DIM: vo.dim = (uint32_t)cli_parse_long("--dimension", arg, 1, 1 << 24); break;
		case B_TO_FORMAT:
			to = sdb_vec_format_parse(arg);
			if (to < 0)
				die_usage("invalid format '%s' (expected npy, fvecs or raw_f32)", arg);
			break;
		case B_FORMAT:
			vo.format = sdb_vec_format_parse(arg);
			if (vo.format < 0)
				die_usage("invalid format '%s' (expected npy, fvecs or raw_f32)", arg);
			break;
		case OPT_ARG: die_usage("unexpected argument '%s'", arg);
		}
	}
	if (!in)
		die_usage("missing --input");
	if (!outp)
		die_usage("missing --output");
	if (to == SDB_VEC_FMT_AUTO)
		to = sdb_vec_format_of_path(outp);
	if (to == SDB_VEC_FMT_AUTO)
		die_usage("cannot tell the output format from '%s': give --to-format", outp);
	sdb_error_clear(&e);
	if ((rc = sdb_vec_set_open(&vs, in, &vo, &e)))
		die_err(rc, &e);
	if ((rc = sdb_vec_write(outp, to, vs.data, vs.n, vs.dim, &e)))
		die_err(rc, &e);
	if (cli_verbosity > 1)
		fprintf(stderr, "converted %llu vectors of dimension %u to %s\n",
			(unsigned long long)vs.n, vs.dim, sdb_vec_format_name(to));
	sdb_vec_set_close(&vs);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "build-index", cmd_build },
		{ "query", cmd_query },
		{ "info", cmd_info },
		{ "convert", cmd_convert },
		{ NULL, NULL },
	};

	cli_init("sochdb-bulk");
	opt_help_column = 30;
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
