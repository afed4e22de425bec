/*
 * sochdb-toon - convert JSON to TOON and back, and count what it saves.
 *
 *   sochdb-toon encode [FILE] [-o OUT] [options]
 *   sochdb-toon decode [FILE] [-o OUT] [options]
 *   sochdb-toon stats  [FILE]
 */
#include "cli.h"
#include "fmt/fmt.h"
#include "util/buf.h"
#include "util/io.h"
#include "json/json.h"
#include "toon/tokens.h"
#include "toon/toon.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
	"usage: sochdb-toon <command> [options] [FILE]\n"
	"\n"
	"Convert JSON to TOON (Token-Oriented Object Notation, spec v3.3) and back.\n"
	"FILE defaults to standard input ('-').\n"
	"\n"
	"Commands:\n"
	"  encode   JSON -> TOON (alias --encode)\n"
	"  decode   TOON -> JSON (alias --decode)\n"
	"  stats    bytes and estimated tokens of JSON vs TOON\n"
	"\n"
	"Options: -h/--help, --version, -q/--quiet, -v/--verbose.\n"
	"'sochdb-toon <command> -h' shows the options of a command.\n";

static const char usage_short[] =
	"usage: sochdb-toon encode|decode|stats [options] [FILE]\n";

static const char usage_encode[] =
	"usage: sochdb-toon encode [options] [FILE]\n"
	"\n"
	"Reads JSON (RFC 8259, strict) and writes TOON v3.3.\n"
	"\n"
	"  -o, --output FILE       write FILE (via a temporary file and rename;\n"
	"                          no trailing newline) instead of stdout\n"
	"      --delimiter D       ',' '|' or a tab, or: comma, pipe, tab, \\t\n"
	"      --indent N          spaces per level (default 2)\n"
	"      --key-folding MODE  off (default) or safe (alias --keyFolding)\n"
	"      --flatten-depth N   segments to fold at most (alias --flattenDepth)\n"
	"      --exact-numbers     keep the input's digits where a double cannot\n"
	"      --jsonl             input is one JSON value per line, as one array\n"
	"      --compact           SochDB's one-line table form (not TOON)\n";

static const char usage_decode[] =
	"usage: sochdb-toon decode [options] [FILE]\n"
	"\n"
	"Reads TOON v3.3 and writes compact JSON and one newline.\n"
	"\n"
	"  -o, --output FILE       write FILE (via a temporary file and rename)\n"
	"      --indent N          spaces per level of the input (default 2)\n"
	"      --strict            enforce the spec's strict checks (default)\n"
	"      --no-strict         lenient decoding (last duplicate key wins)\n"
	"      --expand-paths MODE off (default) or safe (alias --expandPaths)\n"
	"      --json-indent N     pretty JSON with N spaces\n"
	"      --jsonl             a root array as one JSON value per line\n"
	"      --exact-numbers     keep the digits of numbers a double cannot hold\n"
	"      --compact           read SochDB's one-line table form\n";

static const char usage_stats[] =
	"usage: sochdb-toon stats [options] [FILE]\n"
	"\n"
	"Reads JSON and prints a TOON table of bytes and estimated tokens for\n"
	"pretty JSON, compact JSON and TOON, with savings against compact JSON.\n"
	"\n"
	"      --jsonl             input is one JSON value per line\n"
	"      --delimiter D       delimiter of the TOON variant (default comma)\n";

enum {
	OPT_DELIM = 256, OPT_INDENT, OPT_FOLD, OPT_FLATTEN, OPT_EXACT, OPT_JSONL,
	OPT_COMPACT, OPT_STRICT, OPT_NOSTRICT, OPT_EXPAND, OPT_JSON_INDENT,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "indent", required_argument, NULL, OPT_INDENT },
	{ "key-folding", required_argument, NULL, OPT_FOLD },
	{ "keyFolding", required_argument, NULL, OPT_FOLD },
	{ "flatten-depth", required_argument, NULL, OPT_FLATTEN },
	{ "flattenDepth", required_argument, NULL, OPT_FLATTEN },
	{ "exact-numbers", no_argument, NULL, OPT_EXACT },
	{ "jsonl", no_argument, NULL, OPT_JSONL },
	{ "compact", no_argument, NULL, OPT_COMPACT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "no-strict", no_argument, NULL, OPT_NOSTRICT },
	{ "expand-paths", required_argument, NULL, OPT_EXPAND },
	{ "expandPaths", required_argument, NULL, OPT_EXPAND },
	{ "json-indent", required_argument, NULL, OPT_JSON_INDENT },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *file;
	const char *output;
	struct sdb_toon_enc_opts enc;
	struct sdb_toon_dec_opts dec;
	int jsonl, compact, exact, json_indent;
};

static char parse_delim(const char *usage, const char *s)
{
	if (!strcmp(s, ",") || !strcmp(s, "comma"))
		return ',';
	if (!strcmp(s, "|") || !strcmp(s, "pipe"))
		return '|';
	if (!strcmp(s, "\t") || !strcmp(s, "tab") || !strcmp(s, "\\t"))
		return '\t';
	usage_error(usage, "invalid delimiter '%s' (expected a ',', '|' or tab character, or comma, pipe, tab or \\t)", s);
}

static int parse_mode(const char *usage, const char *opt, const char *s)
{
	if (!strcmp(s, "off"))
		return 0;
	if (!strcmp(s, "safe"))
		return 1;
	usage_error(usage, "invalid value '%s' for %s (expected off or safe)", s, opt);
}

/* Parses the options any of the three commands takes; each command says
 * which it accepts through allowed (a string of option ids as chars). */
static void parse_args(int argc, char **argv, const char *usage, const char *allowed,
		       struct args *a)
{
	int c, li = -1;

	memset(a, 0, sizeof(*a));
	sdb_toon_enc_opts_init(&a->enc);
	sdb_toon_dec_opts_init(&a->dec);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:hqv", long_opts, &li)) != -1) {
		if (c == '?') {
			if (optopt)
				usage_error(usage, "unknown option '-%c'", optopt);
			usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		}
		if (c == ':')
			usage_error(usage, "option '%s' needs a value", argv[optind - 1]);
		if (c >= 256 && !strchr(allowed, c - 256 + 'A'))
			usage_error(usage, "unknown option '--%s'", long_opts[li].name);
		if (c == 'o' && !strchr(allowed, 'o'))
			usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			exit(cli_finish(EXIT_OK));
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'o': a->output = optarg; break;
		case OPT_DELIM: a->enc.delimiter = parse_delim(usage, optarg); break;
		case OPT_INDENT:
			a->enc.indent = a->dec.indent = (int)cli_parse_long(usage, "--indent", optarg, 1, 64);
			break;
		case OPT_FOLD: a->enc.key_folding = parse_mode(usage, "--key-folding", optarg); break;
		case OPT_FLATTEN:
			if (!strcmp(optarg, "Infinity") || !strcmp(optarg, "inf"))
				a->enc.flatten_depth = SDB_TOON_FLATTEN_INF;
			else
				a->enc.flatten_depth = cli_parse_long(usage, "--flatten-depth", optarg, 0, 1000000);
			break;
		case OPT_EXACT: a->exact = a->enc.exact = 1; break;
		case OPT_JSONL: a->jsonl = 1; break;
		case OPT_COMPACT: a->compact = 1; break;
		case OPT_STRICT: a->dec.strict = 1; break;
		case OPT_NOSTRICT: a->dec.strict = 0; break;
		case OPT_EXPAND: a->dec.expand_paths = parse_mode(usage, "--expand-paths", optarg); break;
		case OPT_JSON_INDENT:
			a->json_indent = (int)cli_parse_long(usage, "--json-indent", optarg, 0, 10);
			break;
		}
	}
	if (a->output && !strcmp(a->output, "-"))
		a->output = NULL; /* -o - is standard output */
	if (optind < argc)
		a->file = argv[optind++];
	if (optind < argc)
		usage_error(usage, "unexpected argument '%s'", argv[optind]);
}

static int flush_fd(void *ctx, const char *p, size_t n, struct sdb_error *e)
{
	return sdb_io_write_all(*(int *)ctx, p, n, "standard output", e);
}

static int flush_atomic(void *ctx, const char *p, size_t n, struct sdb_error *e)
{
	return sdb_atomic_write(ctx, p, n, e);
}

static void open_input(struct sdb_input *in, const char *file)
{
	struct sdb_error e;

	sdb_error_clear(&e);
	if (sdb_input_open(in, file, &e))
		die_err(&e);
}

/* Writes a finished result (stdout gets a trailing newline if nl). */
static int emit(const char *output, const char *p, size_t n, int nl)
{
	struct sdb_error e;

	sdb_error_clear(&e);
	if (output) {
		struct sdb_atomic a;
		if (sdb_atomic_open(&a, output, &e) ||
		    sdb_atomic_write(&a, p, n, &e) ||
		    (nl && sdb_atomic_write(&a, "\n", 1, &e)) ||
		    sdb_atomic_commit(&a, &e)) {
			sdb_atomic_abort(&a);
			die_err(&e);
		}
		return EXIT_OK;
	}
	fwrite(p, 1, n, stdout);
	if (nl)
		fputc('\n', stdout);
	return EXIT_OK;
}

static int cmd_encode(int argc, char **argv)
{
	struct args a;
	struct sdb_input in;
	struct sdb_error e;
	struct sdb_toon_out out;
	struct sdb_atomic at;
	int fd = 1, rc;

	parse_args(argc, argv, usage_encode, "oACDEFGB", &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	if (a.compact) {
		struct sdb_buf b = SDB_BUF_INIT;
		if ((rc = sdb_toon_compact_encode(in.data, in.len, &b, &e)))
			die_err(&e);
		emit(a.output, b.data ? b.data : "", b.len, !a.output);
		sdb_buf_release(&b);
		sdb_input_close(&in);
		return EXIT_OK;
	}
	memset(&out, 0, sizeof(out));
	out.flush_at = 1 << 20;
	if (a.output) {
		if (sdb_atomic_open(&at, a.output, &e))
			die_err(&e);
		out.flush = flush_atomic;
		out.ctx = &at;
	} else {
		fflush(stdout);
		out.flush = flush_fd;
		out.ctx = &fd;
	}
	rc = sdb_toon_encode_json(in.data, in.len, a.jsonl, &a.enc, &out, &e);
	if (!rc) {
		if (!a.output)
			sdb_buf_addc(&out.buf, '\n');
		rc = out.flush(out.ctx, out.buf.data ? out.buf.data : "", out.buf.len, &e);
	}
	if (!rc && a.output)
		rc = sdb_atomic_commit(&at, &e);
	sdb_buf_release(&out.buf);
	sdb_input_close(&in);
	if (rc) {
		if (a.output)
			sdb_atomic_abort(&at);
		die_err(&e);
	}
	return EXIT_OK;
}

static int cmd_decode(int argc, char **argv)
{
	struct args a;
	struct sdb_input in;
	struct sdb_error e;
	struct sdb_buf out = SDB_BUF_INIT;
	int rc;

	parse_args(argc, argv, usage_decode, "oBEFGHIJK", &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	if (a.compact)
		rc = sdb_toon_compact_decode(in.data, in.len, &out, &e);
	else
		rc = sdb_toon_decode_json(in.data, in.len, &a.dec, a.exact, a.json_indent,
					  a.jsonl, &out, &e);
	sdb_input_close(&in);
	if (rc)
		die_err(&e);
	emit(a.output, out.data ? out.data : "", out.len, out.len > 0 || !a.jsonl);
	sdb_buf_release(&out);
	return EXIT_OK;
}

static int cmd_stats(int argc, char **argv)
{
	struct args a;
	struct sdb_input in;
	struct sdb_error e;
	struct sdb_json_doc doc;
	struct sdb_buf pretty = SDB_BUF_INIT, compact = SDB_BUF_INIT, report = SDB_BUF_INIT;
	struct sdb_toon_out tout;
	size_t bytes[3], tok[3];
	static const char *names[3] = { "json-pretty", "json-compact", "toon" };
	int rc;

	parse_args(argc, argv, usage_stats, "AF", &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	memset(&tout, 0, sizeof(tout));
	if ((rc = sdb_toon_encode_json(in.data, in.len, a.jsonl, &a.enc, &tout, &e)))
		die_err(&e);
	if ((rc = sdb_json_parse(&doc, in.data, in.len, a.jsonl ? SDB_JSON_JSONL : 0, &e)))
		die_err(&e);
	sdb_json_write(&doc, 0, 2, 0, &pretty);
	sdb_json_write(&doc, 0, 0, 0, &compact);
	sdb_json_release(&doc);
	bytes[0] = pretty.len;
	bytes[1] = compact.len;
	bytes[2] = tout.buf.len;
	tok[0] = sdb_tokens_estimate(pretty.data, pretty.len);
	tok[1] = sdb_tokens_estimate(compact.data, compact.len);
	tok[2] = sdb_tokens_estimate(tout.buf.data ? tout.buf.data : "", tout.buf.len);
	{
		static const struct sdb_fmt_col cols[] = {
			{ "format", 0 }, { "bytes", 0 }, { "tokens", 0 }, { "savings_pct", 0 },
		};
		struct sdb_cell rows[3][4];
		for (int i = 0; i < 3; i++) {
			double sav = tok[1] ? 100.0 * ((double)tok[1] - (double)tok[i]) / (double)tok[1] : 0;
			char one[32];
			snprintf(one, sizeof(one), "%.1f", sav); /* one decimal, shortest form */
			rows[i][0] = sdb_cell_str(names[i]);
			rows[i][1] = sdb_cell_uint(bytes[i]);
			rows[i][2] = sdb_cell_uint(tok[i]);
			rows[i][3] = sdb_cell_real(strtod(one, NULL));
		}
		const struct sdb_fmt_field f[] = {
			{ "formats", sdb_cell_absent(), &rows[0][0], 3, cols, 4 },
			{ "tokenizer", sdb_cell_str("estimate of o200k_base"), NULL, 0, NULL, 0 },
		};
		const struct sdb_fmt_opts o = { SDB_FMT_TOON, 0, &report, NULL, NULL };
		if (sdb_fmt_record(&o, f, 2, &e))
			die_err(&e);
	}
	/* the report ends like encode's output: one newline on stdout */
	if (report.len && report.data[report.len - 1] == '\n')
		report.len--;
	emit(NULL, report.data, report.len, 1);
	sdb_buf_release(&pretty);
	sdb_buf_release(&compact);
	sdb_buf_release(&report);
	sdb_buf_release(&tout.buf);
	sdb_input_close(&in);
	return EXIT_OK;
}

static const struct cli_cmd cmds[] = {
	{ "encode", cmd_encode },
	{ "decode", cmd_decode },
	{ "stats", cmd_stats },
	{ "--encode", cmd_encode },
	{ "--decode", cmd_decode },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	cli_init("sochdb-toon");
	return cli_dispatch(argc, argv, cmds, usage_main, usage_short);
}
