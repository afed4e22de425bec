/*
 * sochdb-bulk - build an HNSW index over a file of embeddings, query it,
 * describe it, convert between vector file formats.
 *
 * Thin by design: parse options, call lib/vec, print. All formats and the
 * graph live in the library (the headers of lib/vec).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "util/array.h"
#include "vec/distance.h"
#include "vec/flat.h"
#include "vec/hnsw.h"
#include "vec/hnswfile.h"
#include "vec/order.h"
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
	B_TRUTH, B_EXACT, B_VERIFY, B_NO_OUTPUT, B_NO_VERIFY, B_TO_FORMAT,
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
	{ B_IDS, 0, "ids", "FILE", "external ids, one u64 little-endian per vector" },
	{ B_SEED, 0, "seed", "S", "seed of the level generator (default 42)" },
	{ B_PRECISION, 0, "build-precision", "P", "distances while building: auto (default), f32, bf16" },
	{ B_ORDERING, 0, "ordering", "O", "none (default), random_projection, kmeans, block" },
	{ B_PREFAULT, 0, "prefault", NULL, "read the whole input into memory up front" },
	{ B_DIRECT, 0, "direct-read", NULL, "read() the input instead of mmap (network filesystems)" },
	{ B_TELEMETRY, 0, "telemetry", NULL, "time per phase, page faults, peak RSS on stderr" },
	{ B_JSON, 0, "json", NULL, "print the summary as JSON on stdout" },
	OPT_LINE("      --progress, --no-progress   progress bar on stderr (default: on a TTY)"),
	{ OPT_PROGRESS, 0, "progress", NULL, NULL },
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL },
	{ OPT_QUIET, 0, "quiet", NULL, "no summary line" },
	{ OPT_QUIET, 'q', NULL, NULL, NULL }, /* no --query here: -q stays quiet */
	OPT_END
};

static const char head_query[] =
	"usage: sochdb-bulk query --index INDEX (-q FILE | --vector X,Y,...) [options]\n"
	"\n";
static const struct opt opts_query[] = {
	{ B_INDEX, 0, "index", "INDEX", "index file written by build-index" },
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
	{ B_OUTPUT, 'o', "output", "FILE", "output file (temp file + rename)" },
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

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
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
	struct sdb_hnsw_params hp = { 16, 100, SDB_VEC_L2, 42, 1000, 0, SDB_PREC_AUTO };
	int ordering = SDB_ORDER_NONE, telemetry = 0, json = 0, c, rc;
	struct sdb_error e;
	struct sdb_vec_set vs;
	struct sdb_hnsw *h = NULL;
	float *normed = NULL;
	uint64_t *ids = NULL, bytes = 0;
	uint32_t *perm = NULL;
	struct cli_bar pr;
	struct sdb_index_meta meta;
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
			if (!strcmp(arg, "auto"))
				hp.precision = SDB_PREC_AUTO;
			else if (!strcmp(arg, "f32"))
				hp.precision = SDB_PREC_F32;
			else if (!strcmp(arg, "bf16"))
				hp.precision = SDB_PREC_BF16;
			else
				die_usage("invalid build precision '%s' (expected auto, f32 or bf16)", arg);
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
	t0 = cli_now();
	rc = sdb_vec_set_open(&vs, in, &vo, &e);
	if (rc)
		die_err(rc, &e);
	if ((rc = sdb_vec_check_finite(vs.data, vs.n, vs.dim, vs.name, &e)))
		die_err(rc, &e);
	if (ids_path && (rc = sdb_vec_read_ids(ids_path, vs.n, &ids, &e)))
		die_err(rc, &e);
	if (hp.metric == SDB_VEC_COSINE) {
		normed = malloc(vs.n * vs.dim * sizeof(float));
		if (!normed)
			die(EXIT_FAILURE_RT, "out of memory normalising %llu vectors",
			    (unsigned long long)vs.n);
		memcpy(normed, vs.data, vs.n * vs.dim * sizeof(float));
		for (uint64_t i = 0; i < vs.n; i++)
			sdb_vec_normalize(normed + i * vs.dim, vs.dim);
	}
	t_load = cli_now();
	cli_bar_start(&pr, "building", "vec");
	rc = sdb_hnsw_build(normed ? normed : vs.data, vs.n, vs.dim, &hp, on_progress, &pr, &h, &e);
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
	rc = sdb_index_write(outp, h, ids, perm, &meta, &bytes, &e);
	if (rc)
		die_err(rc, &e);
	t_write = cli_now();
	{
		double secs = t_write - t0;
		double rate = secs > 0 ? (double)vs.n / secs : 0;
		if (cli_verbosity > 0)
			fprintf(stderr, "built '%s': %llu vectors, dimension %u, %.3f s, %.0f vectors/s, %llu bytes\n",
				outp, (unsigned long long)vs.n, vs.dim, secs, rate,
				(unsigned long long)bytes);
		getrusage(RUSAGE_SELF, &ru);
		if (telemetry)
			fprintf(stderr,
				"telemetry: load %.3f s, build %.3f s, ordering %.3f s, write %.3f s; "
				"page faults %ld minor, %ld major; peak RSS %.1f MiB; "
				"kernels %s; build precision %s; %d threads; %.0f distances per vector; "
				"%llu nodes relinked\n",
				t_load - t0, t_build - t_load, t_order - t_build, t_write - t_order,
				ru.ru_minflt, ru.ru_majflt, (double)ru.ru_maxrss / 1024.0,
				sdb_vec_kernels()->name,
				h->precision_used == SDB_PREC_BF16 ? "bf16" : "f32", h->threads_used,
				(double)h->distances / (double)vs.n, (unsigned long long)h->relinked);
		if (json) {
			printf("{\"index\":");
			json_str(stdout, outp);
			printf(",\"vectors\":%llu,\"dimension\":%u,\"metric\":\"%s\",\"M\":%u,"
			       "\"ef_construction\":%u,\"threads\":%d,\"ordering\":\"%s\","
			       "\"seconds\":%.6f,\"vectors_per_second\":%.1f,\"index_bytes\":%llu,"
			       "\"load_seconds\":%.6f,\"build_seconds\":%.6f,\"ordering_seconds\":%.6f,"
			       "\"write_seconds\":%.6f,\"peak_rss_bytes\":%lld,\"minor_faults\":%ld,"
			       "\"major_faults\":%ld,\"distances\":%llu,\"kernels\":\"%s\","
			       "\"build_precision\":\"%s\",\"relinked_nodes\":%llu}\n",
			       (unsigned long long)vs.n, vs.dim, sdb_vec_metric_name(hp.metric),
			       hp.M, hp.ef_construction, h->threads_used,
			       sdb_hnsw_ordering_name(ordering), secs, rate,
			       (unsigned long long)bytes, t_load - t0, t_build - t_load,
			       t_order - t_build, t_write - t_order,
			       (long long)ru.ru_maxrss * 1024, ru.ru_minflt, ru.ru_majflt,
			       (unsigned long long)h->distances, sdb_vec_kernels()->name,
			       h->precision_used == SDB_PREC_BF16 ? "bf16" : "f32",
			       (unsigned long long)h->relinked);
		}
	}
	free(perm);
	sdb_hnsw_free(h);
	free(normed);
	free(ids);
	sdb_vec_set_close(&vs);
	return EXIT_OK;
}

/* ---- query ---------------------------------------------------------- */

enum { FMT_TOON, FMT_JSON, FMT_CSV };

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

static int cmd_query(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg;
	const char *index_path = NULL, *qpath = NULL, *vec_arg = NULL, *truth_path = NULL;
	long k = 10, ef = 0;
	int threads = 0, exact = 0, fmt = FMT_TOON, verify = 0, no_output = 0, c;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_error e;
	int rc;
	struct sdb_index x;
	struct sdb_vec_set qs;
	float *qbuf = NULL, *dists;
	uint32_t *res, *found, qdim = 0;
	uint64_t nq;
	double t0, secs;

	opt_init(&p, opts_query, head_query, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INDEX: index_path = arg; break;
		case B_QUERY: qpath = arg; break;
		case B_VECTOR: vec_arg = arg; break;
		case B_K: k = cli_parse_long("--k", arg, 1, 1 << 20); break;
		case B_EF: ef = cli_parse_long("--ef", arg, 1, 1 << 20); break;
		case B_THREADS: threads = (int)cli_parse_long("--threads", arg, 1, 4096); break;
		case B_DIM: vo.dim = (uint32_t)cli_parse_long("--dimension", arg, 1, 1 << 24); break;
		case B_TRUTH: truth_path = arg; break;
		case B_EXACT: exact = 1; break;
		case B_FORMAT:
			if (!strcmp(arg, "toon"))
				fmt = FMT_TOON;
			else if (!strcmp(arg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(arg, "csv"))
				fmt = FMT_CSV;
			else
				die_usage("invalid format '%s' (expected toon, json or csv)", arg);
			break;
		case B_QFORMAT:
			vo.format = sdb_vec_format_parse(arg);
			if (vo.format < 0)
				die_usage("invalid query format '%s' (expected npy, fvecs or raw_f32)", arg);
			break;
		case B_VERIFY: verify = 1; break;
		case B_NO_OUTPUT: no_output = 1; break;
		case OPT_ARG: die_usage("unexpected argument '%s'", arg);
		}
	}
	if (!index_path)
		die_usage("missing --index");
	if (!qpath == !vec_arg)
		die_usage("give exactly one of --query FILE and --vector X,Y,...");
	if (!ef)
		ef = k > 64 ? k : 64;
	set_threads(threads);
	sdb_error_clear(&e);
	if ((rc = sdb_index_open(&x, index_path, &e)))
		die_err(rc, &e);
	if (verify && (rc = sdb_index_verify(&x, &e)))
		die_err(rc, &e);
	if ((uint64_t)k > x.g.n)
		die(EXIT_FAILURE_RT, "k (%ld) is larger than the index ('%s' holds %llu vectors)",
		    k, index_path, (unsigned long long)x.g.n);
	if (vec_arg) {
		qbuf = parse_vector(vec_arg, &qdim);
		nq = 1;
	} else {
		if (!vo.dim && (vo.format == SDB_VEC_FMT_RAW ||
				(vo.format == SDB_VEC_FMT_AUTO &&
				 sdb_vec_format_of_path(qpath) == SDB_VEC_FMT_RAW)))
			vo.dim = x.g.dim;
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
	if (qdim != x.g.dim)
		die(EXIT_FAILURE_RT, "query has dimension %u, the index has dimension %u",
		    qdim, x.g.dim);
	if ((rc = sdb_vec_check_finite(qbuf, nq, qdim, vec_arg ? "--vector" : qpath, &e)))
		die_err(rc, &e);
	if (x.g.metric == SDB_VEC_COSINE)
		for (uint64_t i = 0; i < nq; i++)
			sdb_vec_normalize(qbuf + i * qdim, qdim);
	res = malloc(nq * (size_t)k * sizeof(uint32_t));
	dists = malloc(nq * (size_t)k * sizeof(float));
	found = malloc(nq * sizeof(uint32_t));
	if (!res || !dists || !found)
		die(EXIT_FAILURE_RT, "out of memory");

	t0 = cli_now();
	{
		int fail = 0;
#ifdef _OPENMP
#pragma omp parallel if (nq > 1)
#endif
		{
			struct sdb_hnsw_ctx *ctx = exact ? NULL : sdb_hnsw_ctx_new(x.g.n, x.g.M0);
			if (!exact && !ctx)
				fail = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
			for (uint64_t i = 0; i < nq; i++) {
				if (exact)
					found[i] = sdb_vec_exact_knn(x.g.vecs, x.g.n, x.g.dim, x.g.metric,
								     qbuf + i * qdim, (uint32_t)k,
								     res + i * k, dists + i * k);
				else if (ctx)
					found[i] = sdb_hnsw_search(&x.g, ctx, qbuf + i * qdim, (uint32_t)k,
								   (uint32_t)ef, res + i * k, dists + i * k);
				else
					found[i] = 0;
			}
			sdb_hnsw_ctx_free(ctx);
		}
		if (fail)
			die(EXIT_FAILURE_RT, "out of memory");
	}
	secs = cli_now() - t0;

	if (truth_path) {
		uint64_t trows, *truth, hits = 0;
		uint32_t tcols;
		if ((rc = sdb_vec_read_truth(truth_path, &trows, &tcols, &truth, &e)))
			die_err(rc, &e);
		if (trows < nq)
			die(EXIT_FAILURE_RT, "'%s' has truth for %llu queries, need %llu",
			    truth_path, (unsigned long long)trows, (unsigned long long)nq);
		if (tcols < (uint32_t)k)
			die(EXIT_FAILURE_RT, "'%s' has %u ids per query, need at least k=%ld",
			    truth_path, tcols, k);
		for (uint64_t i = 0; i < nq; i++)
			for (uint32_t r = 0; r < found[i]; r++) {
				uint64_t id = x.ids[res[i * k + r]];
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
		uint64_t total = 0;
		char num[64];
		for (uint64_t i = 0; i < nq; i++)
			total += found[i];
		if (fmt == FMT_TOON)
			printf("[%llu]{query,rank,id,distance}:\n", (unsigned long long)total);
		else if (fmt == FMT_CSV)
			printf("query,rank,id,distance\n");
		else
			putchar('[');
		for (uint64_t i = 0, row = 0; i < nq; i++)
			for (uint32_t r = 0; r < found[i]; r++, row++) {
				uint64_t id = x.ids[res[i * k + r]];
				fmt_float(num, sizeof(num), dists[i * k + r]);
				if (fmt == FMT_TOON)
					printf("  %llu,%u,%llu,%s\n", (unsigned long long)i, r + 1,
					       (unsigned long long)id, num);
				else if (fmt == FMT_CSV)
					printf("%llu,%u,%llu,%s\n", (unsigned long long)i, r + 1,
					       (unsigned long long)id, num);
				else
					printf("%s{\"query\":%llu,\"rank\":%u,\"id\":%llu,\"distance\":%s}",
					       row ? "," : "", (unsigned long long)i, r + 1,
					       (unsigned long long)id, num);
			}
		if (fmt == FMT_JSON)
			printf("]\n");
	}
	free(res);
	free(dists);
	free(found);
	free(qbuf);
	sdb_index_close(&x);
	return EXIT_OK;
}

/* ---- info ----------------------------------------------------------- */

static int cmd_info(int argc, char **argv)
{
	struct opt_parser p;
	const char *arg, *pos = NULL;
	const char *path = NULL;
	int json = 0, verify = 1, c;
	struct sdb_error e;
	int rc;
	struct sdb_index x;
	uint64_t edges = 0;

	opt_init(&p, opts_info, head_info, argc, argv);
	while ((c = opt_next(&p, &arg)) != OPT_EOF) {
		switch (c) {
		case B_INDEX: path = arg; break;
		case B_FORMAT:
			if (!strcmp(arg, "json"))
				json = 1;
			else if (strcmp(arg, "toon"))
				die_usage("invalid format '%s' (expected toon or json)", arg);
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
		char deg[32];
		snprintf(deg, sizeof(deg), "%.2f", (double)edges / (double)x.g.n);
		struct { const char *k; char v[64]; int str; } kv[] = {
			{ "index", "", 1 },
			{ "format_version", "1", 0 },
			{ "vectors", "", 0 }, { "dimension", "", 0 }, { "metric", "", 1 },
			{ "M", "", 0 }, { "M0", "", 0 }, { "ef_construction", "", 0 },
			{ "levels", "", 0 }, { "entry_point", "", 0 }, { "ordering", "", 1 },
			{ "seed", "", 0 }, { "batch_size", "", 0 }, { "threads", "", 0 },
			{ "external_ids", "", 0 }, { "build_precision", "", 1 },
			{ "mean_degree_layer0", "", 0 },
			{ "bytes", "", 0 }, { "checksums", "", 1 },
		};
		int i = 2;
		snprintf(kv[i++].v, 64, "%llu", (unsigned long long)x.g.n);
		snprintf(kv[i++].v, 64, "%u", x.g.dim);
		snprintf(kv[i++].v, 64, "%s", sdb_vec_metric_name(x.g.metric));
		snprintf(kv[i++].v, 64, "%u", x.g.M);
		snprintf(kv[i++].v, 64, "%u", x.g.M0);
		snprintf(kv[i++].v, 64, "%u", x.meta.ef_construction);
		snprintf(kv[i++].v, 64, "%u", x.g.max_level + 1);
		snprintf(kv[i++].v, 64, "%u", x.g.entry);
		snprintf(kv[i++].v, 64, "%s", sdb_hnsw_ordering_name((int)x.meta.ordering));
		snprintf(kv[i++].v, 64, "%llu", (unsigned long long)x.meta.seed);
		snprintf(kv[i++].v, 64, "%u", x.meta.batch_size);
		snprintf(kv[i++].v, 64, "%u", x.meta.threads);
		snprintf(kv[i++].v, 64, "%s", x.meta.has_ids ? "true" : "false");
		snprintf(kv[i++].v, 64, "%s", x.meta.precision == SDB_PREC_BF16 ? "bf16" : "f32");
		snprintf(kv[i++].v, 64, "%s", deg);
		snprintf(kv[i++].v, 64, "%llu", (unsigned long long)x.file_bytes);
		snprintf(kv[i++].v, 64, "%s", verify ? "ok" : "unchecked");
		if (json)
			putchar('{');
		for (i = 0; i < (int)(sizeof(kv) / sizeof(kv[0])); i++) {
			if (json) {
				printf("%s\"%s\":", i ? "," : "", kv[i].k);
				if (i == 0)
					json_str(stdout, path);
				else if (kv[i].str)
					printf("\"%s\"", kv[i].v);
				else
					fputs(kv[i].v, stdout);
			} else if (i == 0) {
				/* TOON: quote the path unless it is a plain token */
				int plain = path[0] && strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./") == strlen(path);
				printf("index: ");
				if (plain && !strchr("0123456789-.", path[0]))
					printf("%s\n", path);
				else {
					json_str(stdout, path);
					putchar('\n');
				}
			} else
				printf("%s: %s\n", kv[i].k, kv[i].v);
		}
		if (json)
			printf("}\n");
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
