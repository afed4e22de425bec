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
#include <getopt.h>
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
	"usage: sochdb-bulk [--version] [-h] [-q] [-v] COMMAND [options]\n"
	"\n"
	"Build and query HNSW vector indexes over .npy, .fvecs or raw float32 files.\n"
	"\n"
	"Commands:\n"
	"  build-index  build an HNSW index from a file of vectors\n"
	"  query        k nearest neighbours of vectors from an index\n"
	"  info         describe an index and verify its checksums\n"
	"  convert      convert vectors between npy, fvecs and raw float32\n"
	"\n"
	"Run 'sochdb-bulk COMMAND -h' for the options of a command.\n";

static const char usage_short[] =
	"usage: sochdb-bulk [--version] [-h] [-q] [-v] COMMAND [options]\n"
	"commands: build-index, query, info, convert\n";

static const char usage_build[] =
	"usage: sochdb-bulk build-index -i FILE -o INDEX [options]\n"
	"\n"
	"  -i, --input FILE            vectors: .npy, .fvecs or raw float32\n"
	"  -o, --output INDEX          index file to write (temp file + rename)\n"
	"      --format F              input format npy|fvecs|raw_f32 (default: by extension)\n"
	"  -d, --dimension D           dimension of raw float32 input\n"
	"  -m, --max-connections M     graph degree, layer 0 gets 2M (default 16)\n"
	"  -e, --ef-construction EF    candidate list size while building (default 100)\n"
	"      --metric METRIC         l2 (default), cosine or ip\n"
	"  -t, --threads N             threads (default: OMP_NUM_THREADS or all cores)\n"
	"      --batch-size N          vectors per progress step (default 1000)\n"
	"      --ids FILE              external ids, one u64 little-endian per vector\n"
	"      --seed S                seed of the level generator (default 42)\n"
	"      --build-precision P     distances while building: auto (default), f32, bf16\n"
	"      --ordering O            none (default), random_projection, kmeans, block\n"
	"      --prefault              read the whole input into memory up front\n"
	"      --direct-read           read() the input instead of mmap (network filesystems)\n"
	"      --telemetry             time per phase, page faults, peak RSS on stderr\n"
	"      --json                  print the summary as JSON on stdout\n"
	"      --progress, --no-progress   progress bar on stderr (default: on a TTY)\n"
	"      --quiet                 no summary line\n";

static const char usage_query[] =
	"usage: sochdb-bulk query --index INDEX (-q FILE | --vector X,Y,...) [options]\n"
	"\n"
	"      --index INDEX           index file written by build-index\n"
	"  -q, --query FILE            query vectors: .npy, .fvecs or raw float32\n"
	"      --vector X,Y,...        one query vector given inline\n"
	"      --format F              toon (default), json or csv\n"
	"  -k, --k K                   neighbours per query (default 10)\n"
	"  -e, --ef EF                 search candidate list size (default max(64, K))\n"
	"  -t, --threads N             threads for a query file (default: all cores)\n"
	"  -d, --dimension D           dimension of a raw query file (default: the index's)\n"
	"      --query-format F        query file format npy|fvecs|raw_f32 (default: by extension)\n"
	"      --truth FILE            true neighbour ids (ivecs or npy): print recall on stderr\n"
	"      --exact                 brute force over every vector instead of the graph\n"
	"      --verify                verify all checksums of the index first\n"
	"      --no-output             print no results (with --truth: measure only)\n";

static const char usage_info[] =
	"usage: sochdb-bulk info --index INDEX [--format toon|json] [--no-verify]\n"
	"\n"
	"      --index INDEX           index file (also accepted as the only argument)\n"
	"      --format F              toon (default) or json\n"
	"      --no-verify             skip the section checksums (header only)\n";

static const char usage_convert[] =
	"usage: sochdb-bulk convert -i FILE -o FILE [--to-format F] [options]\n"
	"\n"
	"  -i, --input FILE            vectors: .npy, .fvecs or raw float32\n"
	"  -o, --output FILE           output file (temp file + rename)\n"
	"      --to-format F           npy, fvecs or raw_f32 (default: by output extension)\n"
	"      --format F              input format (default: by extension)\n"
	"  -d, --dimension D           dimension of raw float32 input\n";

/* ---- small helpers -------------------------------------------------- */

/* The first paragraph of a usage text plus a pointer to -h: what a usage
 * error shows. */
static const char *short_of(const char *usage)
{
	static char buf[512];
	const char *end = strstr(usage, "\n\n");
	size_t n = end ? (size_t)(end - usage) + 1 : strlen(usage);
	const char *sub = usage + 7, *sp = strchr(sub, ' '), *sp2 = sp ? strchr(sp + 1, ' ') : NULL;

	if (n > 300)
		n = 300;
	memcpy(buf, usage, n);
	buf[n] = 0;
	if (sp2)
		snprintf(buf + n, sizeof(buf) - n, "Try '%.*s -h' for the options.\n",
			 (int)(sp2 - sub), sub);
	return buf;
}

/* getopt's '?' and ':' cases, in the house wording. */
static void bad_option(const char *usage, int c, char **argv)
{
	const char *a = argv[optind - 1];

	if (c == ':')
		usage_error(short_of(usage), "option '%s' requires a value", a);
	if (optopt && a[0] == '-' && a[1] != '-')
		usage_error(short_of(usage), "unknown option '-%c'", optopt);
	{
		char name[128];
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, a, n);
		name[n] = 0;
		usage_error(short_of(usage), "unknown option '%s'", name);
	}
}

static int want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (cli_is_help(argv[i]))
			return 1;
	}
	return 0;
}

static uint64_t parse_u64(const char *usage, const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage_error(short_of(usage), "invalid value '%s' for %s", s, opt);
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
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "dimension", required_argument, NULL, 'd' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "ef-construction", required_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 't' },
		{ "metric", required_argument, NULL, 1 },
		{ "batch-size", required_argument, NULL, 2 },
		{ "ids", required_argument, NULL, 3 },
		{ "seed", required_argument, NULL, 4 },
		{ "ordering", required_argument, NULL, 5 },
		{ "prefault", no_argument, NULL, 6 },
		{ "direct-read", no_argument, NULL, 7 },
		{ "telemetry", no_argument, NULL, 8 },
		{ "json", no_argument, NULL, 9 },
		{ "format", required_argument, NULL, 10 },
		{ "progress", no_argument, NULL, 11 },
		{ "no-progress", no_argument, NULL, 12 },
		{ "quiet", no_argument, NULL, 13 },
		{ "build-precision", required_argument, NULL, 14 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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

	if (want_help(argc, argv)) {
		fputs(usage_build, stdout);
		return EXIT_OK;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:o:d:m:e:t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': outp = optarg; break;
		case 'd': vo.dim = (uint32_t)cli_parse_long(short_of(usage_build), "--dimension", optarg, 1, 1 << 24); break;
		case 'm': hp.M = (uint32_t)cli_parse_long(short_of(usage_build), "--max-connections", optarg, 2, 255); break;
		case 'e': hp.ef_construction = (uint32_t)cli_parse_long(short_of(usage_build), "--ef-construction", optarg, 1, 1 << 20); break;
		case 't': hp.threads = (int)cli_parse_long(short_of(usage_build), "--threads", optarg, 1, 4096); break;
		case 1:
			hp.metric = sdb_vec_metric_parse(optarg);
			if (hp.metric < 0)
				usage_error(short_of(usage_build), "invalid metric '%s' (expected l2, cosine or ip)", optarg);
			break;
		case 2: hp.batch_size = (uint32_t)cli_parse_long(short_of(usage_build), "--batch-size", optarg, 1, 1L << 30); break;
		case 3: ids_path = optarg; break;
		case 4: hp.seed = parse_u64(short_of(usage_build), "--seed", optarg); break;
		case 5:
			ordering = sdb_hnsw_ordering_parse(optarg);
			if (ordering < 0)
				usage_error(short_of(usage_build), "invalid ordering '%s' (expected none, random_projection, kmeans or block)", optarg);
			break;
		case 6: vo.prefault = 1; break;
		case 7: vo.direct_read = 1; break;
		case 8: telemetry = 1; break;
		case 9: json = 1; break;
		case 10:
			vo.format = sdb_vec_format_parse(optarg);
			if (vo.format < 0)
				usage_error(short_of(usage_build), "invalid format '%s' (expected npy, fvecs or raw_f32)", optarg);
			break;
		case 11: cli_progress = 1; break;
		case 12: cli_progress = 0; break;
		case 'q': case 13: cli_verbosity = 0; cli_progress = 0; break;
		case 14:
			if (!strcmp(optarg, "auto"))
				hp.precision = SDB_PREC_AUTO;
			else if (!strcmp(optarg, "f32"))
				hp.precision = SDB_PREC_F32;
			else if (!strcmp(optarg, "bf16"))
				hp.precision = SDB_PREC_BF16;
			else
				usage_error(short_of(usage_build), "invalid build precision '%s' (expected auto, f32 or bf16)", optarg);
			break;
		default: bad_option(usage_build, c, argv);
		}
	}
	if (optind < argc)
		usage_error(short_of(usage_build), "unexpected argument '%s'", argv[optind]);
	if (!in)
		usage_error(short_of(usage_build), "missing --input");
	if (!outp)
		usage_error(short_of(usage_build), "missing --output");
	if (!strcmp(outp, "-"))
		usage_error(short_of(usage_build), "the index cannot be written to stdout");
	set_threads(hp.threads);

	sdb_error_clear(&e);
	t0 = cli_now();
	rc = sdb_vec_set_open(&vs, in, &vo, &e);
	if (rc)
		die_err(&e);
	if ((rc = sdb_vec_check_finite(vs.data, vs.n, vs.dim, vs.name, &e)))
		die_err(&e);
	if (ids_path && (rc = sdb_vec_read_ids(ids_path, vs.n, &ids, &e)))
		die_err(&e);
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
		die_err(&e);
	t_build = cli_now();
	if ((rc = sdb_hnsw_ordering_perm(h, ordering, hp.seed, &perm, &e)))
		die_err(&e);
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
		die_err(&e);
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
			usage_error(short_of(usage_query), "invalid --vector: bad number at character %zu",
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
			usage_error(short_of(usage_query), "invalid --vector: expected ',' at character %zu",
			    (size_t)(p - s) + 1);
		p++;
	}
	*dim = (uint32_t)n;
	return v;
}

static int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "index", required_argument, NULL, 'i' },
		{ "query", required_argument, NULL, 'q' },
		{ "vector", required_argument, NULL, 1 },
		{ "k", required_argument, NULL, 'k' },
		{ "ef", required_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 't' },
		{ "dimension", required_argument, NULL, 'd' },
		{ "truth", required_argument, NULL, 2 },
		{ "exact", no_argument, NULL, 3 },
		{ "format", required_argument, NULL, 4 },
		{ "query-format", required_argument, NULL, 5 },
		{ "verify", no_argument, NULL, 6 },
		{ "no-output", no_argument, NULL, 7 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *index_path = NULL, *qpath = NULL, *vec_arg = NULL, *truth_path = NULL;
	long k = 10, ef = 0;
	int threads = 0, exact = 0, fmt = FMT_TOON, verify = 0, no_output = 0, c;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_error e;
	struct sdb_index x;
	struct sdb_vec_set qs;
	float *qbuf = NULL, *dists;
	uint32_t *res, *found, qdim = 0;
	uint64_t nq;
	double t0, secs;

	if (want_help(argc, argv)) {
		fputs(usage_query, stdout);
		return EXIT_OK;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:q:k:e:t:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': index_path = optarg; break;
		case 'q': qpath = optarg; break;
		case 1: vec_arg = optarg; break;
		case 'k': k = cli_parse_long(short_of(usage_query), "--k", optarg, 1, 1 << 20); break;
		case 'e': ef = cli_parse_long(short_of(usage_query), "--ef", optarg, 1, 1 << 20); break;
		case 't': threads = (int)cli_parse_long(short_of(usage_query), "--threads", optarg, 1, 4096); break;
		case 'd': vo.dim = (uint32_t)cli_parse_long(short_of(usage_query), "--dimension", optarg, 1, 1 << 24); break;
		case 2: truth_path = optarg; break;
		case 3: exact = 1; break;
		case 4:
			if (!strcmp(optarg, "toon"))
				fmt = FMT_TOON;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else
				usage_error(short_of(usage_query), "invalid format '%s' (expected toon, json or csv)", optarg);
			break;
		case 5:
			vo.format = sdb_vec_format_parse(optarg);
			if (vo.format < 0)
				usage_error(short_of(usage_query), "invalid query format '%s' (expected npy, fvecs or raw_f32)", optarg);
			break;
		case 6: verify = 1; break;
		case 7: no_output = 1; break;
		default: bad_option(usage_query, c, argv);
		}
	}
	if (optind < argc)
		usage_error(short_of(usage_query), "unexpected argument '%s'", argv[optind]);
	if (!index_path)
		usage_error(short_of(usage_query), "missing --index");
	if (!qpath == !vec_arg)
		usage_error(short_of(usage_query), "give exactly one of --query FILE and --vector X,Y,...");
	if (!ef)
		ef = k > 64 ? k : 64;
	set_threads(threads);
	sdb_error_clear(&e);
	if (sdb_index_open(&x, index_path, &e))
		die_err(&e);
	if (verify && sdb_index_verify(&x, &e))
		die_err(&e);
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
		if (sdb_vec_set_open(&qs, qpath, &vo, &e))
			die_err(&e);
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
	if (sdb_vec_check_finite(qbuf, nq, qdim, vec_arg ? "--vector" : qpath, &e))
		die_err(&e);
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
		if (sdb_vec_read_truth(truth_path, &trows, &tcols, &truth, &e))
			die_err(&e);
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
	static const struct option opts[] = {
		{ "index", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 1 },
		{ "no-verify", no_argument, NULL, 2 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int json = 0, verify = 1, c;
	struct sdb_error e;
	struct sdb_index x;
	uint64_t edges = 0;

	if (want_help(argc, argv)) {
		fputs(usage_info, stdout);
		return EXIT_OK;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': path = optarg; break;
		case 1:
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "toon"))
				usage_error(short_of(usage_info), "invalid format '%s' (expected toon or json)", optarg);
			break;
		case 2: verify = 0; break;
		default: bad_option(usage_info, c, argv);
		}
	}
	if (!path && optind < argc)
		path = argv[optind++];
	if (optind < argc)
		usage_error(short_of(usage_info), "unexpected argument '%s'", argv[optind]);
	if (!path)
		usage_error(short_of(usage_info), "missing --index");
	sdb_error_clear(&e);
	if (sdb_index_open(&x, path, &e))
		die_err(&e);
	if (verify && sdb_index_verify(&x, &e))
		die_err(&e);
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
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "to-format", required_argument, NULL, 1 },
		{ "format", required_argument, NULL, 2 },
		{ "dimension", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *outp = NULL;
	int to = SDB_VEC_FMT_AUTO, c;
	struct sdb_vec_open_opts vo = { 0 };
	struct sdb_vec_set vs;
	struct sdb_error e;

	if (want_help(argc, argv)) {
		fputs(usage_convert, stdout);
		return EXIT_OK;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:o:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': outp = optarg; break;
		case 'd': vo.dim = (uint32_t)cli_parse_long(short_of(usage_convert), "--dimension", optarg, 1, 1 << 24); break;
		case 1:
			to = sdb_vec_format_parse(optarg);
			if (to < 0)
				usage_error(short_of(usage_convert), "invalid format '%s' (expected npy, fvecs or raw_f32)", optarg);
			break;
		case 2:
			vo.format = sdb_vec_format_parse(optarg);
			if (vo.format < 0)
				usage_error(short_of(usage_convert), "invalid format '%s' (expected npy, fvecs or raw_f32)", optarg);
			break;
		default: bad_option(usage_convert, c, argv);
		}
	}
	if (optind < argc)
		usage_error(short_of(usage_convert), "unexpected argument '%s'", argv[optind]);
	if (!in)
		usage_error(short_of(usage_convert), "missing --input");
	if (!outp)
		usage_error(short_of(usage_convert), "missing --output");
	if (to == SDB_VEC_FMT_AUTO)
		to = sdb_vec_format_of_path(outp);
	if (to == SDB_VEC_FMT_AUTO)
		usage_error(short_of(usage_convert), "cannot tell the output format from '%s': give --to-format", outp);
	sdb_error_clear(&e);
	if (sdb_vec_set_open(&vs, in, &vo, &e))
		die_err(&e);
	if (sdb_vec_write(outp, to, vs.data, vs.n, vs.dim, &e))
		die_err(&e);
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
	return cli_dispatch(argc, argv, cmds, usage_main, usage_short);
}
