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
	"'sochdb-toon help <command>' or 'sochdb-toon <command> -h' shows the\n"
	"options of a command.\n";

static const char head_encode[] =
	"usage: sochdb-toon encode [options] [FILE]\n"
	"\n"
	"Reads JSON (RFC 8259, strict) and writes TOON v3.3.\n"
	"\n";

static const char head_decode[] =
	"usage: sochdb-toon decode [options] [FILE]\n"
	"\n"
	"Reads TOON v3.3 and writes compact JSON and one newline.\n"
	"\n";

static const char head_stats[] =
	"usage: sochdb-toon stats [options] [FILE]\n"
	"\n"
	"Reads JSON and prints a TOON table of bytes and estimated tokens for\n"
	"pretty JSON, compact JSON and TOON, with savings against compact JSON.\n"
	"\n";

enum {
	O_OUTPUT = 1, O_DELIM, O_INDENT, O_FOLD, O_FLATTEN, O_EXACT, O_JSONL,
	O_COMPACT, O_FOLD_ROWS, O_STRICT, O_NOSTRICT, O_EXPAND, O_JSON_INDENT,
};

/* accepted everywhere, listed nowhere (the tool's help names them) */
#define QUIET_VERBOSE \
	{ OPT_QUIET, 'q', "quiet", NULL, NULL }, \
	{ OPT_VERBOSE, 'v', "verbose", NULL, NULL }

static const struct opt common[] = {
	QUIET_VERBOSE,
	{ OPT_PROGRESS, 0, "progress", NULL, NULL },
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL },
	OPT_END
};

static const struct opt opts_encode[] = {
	{ O_OUTPUT, 'o', "output", "FILE", "write FILE (via a temporary file and rename;\n"
	  "no trailing newline) instead of stdout" },
	{ O_DELIM, 0, "delimiter", "D", "',' '|' or a tab, or: comma, pipe, tab, \\t" },
	{ O_INDENT, 0, "indent", "N", "spaces per level (default 2)" },
	{ O_FOLD, 0, "key-folding", "MODE", "off (default) or safe (alias --keyFolding)" },
	{ O_FOLD, 0, "keyFolding", "MODE", NULL },
	{ O_FLATTEN, 0, "flatten-depth", "N", "segments to fold at most (alias --flattenDepth)" },
	{ O_FLATTEN, 0, "flattenDepth", "N", NULL },
	{ O_FOLD_ROWS, 0, "fold-rows", NULL, "records with nested objects as tables with\n"
	  "dotted columns (props.name; SochDB's option)" },
	{ O_EXACT, 0, "exact-numbers", NULL, "keep the input's digits where a double cannot" },
	{ O_JSONL, 0, "jsonl", NULL, "input is one JSON value per line, as one array" },
	{ O_COMPACT, 0, "compact", NULL, "SochDB's one-line table form (not TOON)" },
	QUIET_VERBOSE,
	OPT_END
};

static const struct opt opts_decode[] = {
	{ O_OUTPUT, 'o', "output", "FILE", "write FILE (via a temporary file and rename)" },
	{ O_INDENT, 0, "indent", "N", "spaces per level of the input (default 2)" },
	{ O_STRICT, 0, "strict", NULL, "enforce the spec's strict checks (default)" },
	{ O_NOSTRICT, 0, "no-strict", NULL, "lenient decoding (last duplicate key wins)" },
	{ O_EXPAND, 0, "expand-paths", "MODE", "off (default) or safe (alias --expandPaths)" },
	{ O_EXPAND, 0, "expandPaths", "MODE", NULL },
	{ O_JSON_INDENT, 0, "json-indent", "N", "pretty JSON with N spaces" },
	{ O_JSONL, 0, "jsonl", NULL, "a root array as one JSON value per line" },
	{ O_EXACT, 0, "exact-numbers", NULL, "keep the digits of numbers a double cannot hold" },
	{ O_COMPACT, 0, "compact", NULL, "read SochDB's one-line table form" },
	QUIET_VERBOSE,
	OPT_END
};

static const struct opt opts_stats[] = {
	{ O_JSONL, 0, "jsonl", NULL, "input is one JSON value per line" },
	{ O_DELIM, 0, "delimiter", "D", "delimiter of the TOON variant (default comma)" },
	QUIET_VERBOSE,
	OPT_END
};

struct args {
	const char *file;
	const char *output;
	struct sdb_toon_enc_opts enc;
	struct sdb_toon_dec_opts dec;
	int jsonl, compact, exact, json_indent;
};

static char parse_delim(const char *s)
{
	if (!strcmp(s, ",") || !strcmp(s, "comma"))
		return ',';
	if (!strcmp(s, "|") || !strcmp(s, "pipe"))
		return '|';
	if (!strcmp(s, "\t") || !strcmp(s, "tab") || !strcmp(s, "\\t"))
		return '\t';
	die_usage("invalid delimiter '%s' (expected a ',', '|' or tab character, or comma, pipe, tab or \\t)", s);
}

static int parse_mode(const char *opt, const char *s)
{
	if (!strcmp(s, "off"))
		return 0;
	if (!strcmp(s, "safe"))
		return 1;
	die_usage("invalid value '%s' for %s (expected off or safe)", s, opt);
}

/* Parses the options of a command (the table says which it takes). */
static void parse_args(int argc, char **argv, const char *head,
		       const struct opt *tab, struct args *a)
{
	struct opt_parser p;
	const char *v;
	int c;

	memset(a, 0, sizeof(*a));
	sdb_toon_enc_opts_init(&a->enc);
	sdb_toon_dec_opts_init(&a->dec);
	opt_init(&p, tab, head, argc, argv);
	while ((c = opt_next(&p, &v)) != OPT_EOF) {
		switch (c) {
		case OPT_ARG:
			if (a->file)
				die_usage("unexpected argument '%s'", v);
			a->file = v;
			break;
		case O_OUTPUT: a->output = v; break;
		case O_DELIM: a->enc.delimiter = parse_delim(v); break;
		case O_INDENT:
			a->enc.indent = a->dec.indent = (int)cli_parse_long("--indent", v, 1, 64);
			break;
		case O_FOLD: a->enc.key_folding = parse_mode("--key-folding", v); break;
		case O_FLATTEN:
			if (!strcmp(v, "Infinity") || !strcmp(v, "inf"))
				a->enc.flatten_depth = SDB_TOON_FLATTEN_INF;
			else
				a->enc.flatten_depth = cli_parse_long("--flatten-depth", v, 0, 1000000);
			break;
		case O_EXACT: a->exact = a->enc.exact = 1; break;
		case O_JSONL: a->jsonl = 1; break;
		case O_COMPACT: a->compact = 1; break;
		case O_FOLD_ROWS: a->enc.fold_rows = 1; break;
		case O_STRICT: a->dec.strict = 1; break;
		case O_NOSTRICT: a->dec.strict = 0; break;
		case O_EXPAND: a->dec.expand_paths = parse_mode("--expand-paths", v); break;
		case O_JSON_INDENT:
			a->json_indent = (int)cli_parse_long("--json-indent", v, 0, 10);
			break;
		}
	}
	if (a->output && !strcmp(a->output, "-"))
		a->output = NULL; /* -o - is standard output */
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
	int rc;

	sdb_error_clear(&e);
	if ((rc = sdb_input_open(in, file, &e)))
		die_err(rc, &e);
}

/* Writes a finished result (stdout gets a trailing newline if nl). */
static int emit(const char *output, const char *p, size_t n, int nl)
{
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	if (output) {
		struct sdb_atomic a;
		if ((rc = sdb_atomic_open(&a, output, &e)) ||
		    (rc = sdb_atomic_write(&a, p, n, &e)) ||
		    (nl && (rc = sdb_atomic_write(&a, "\n", 1, &e))) ||
		    (rc = sdb_atomic_commit(&a, &e))) {
			sdb_atomic_abort(&a);
			die_err(rc, &e);
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

	parse_args(argc, argv, head_encode, opts_encode, &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	if (a.compact) {
		struct sdb_buf b = SDB_BUF_INIT;
		if ((rc = sdb_toon_compact_encode(in.data, in.len, &b, &e)))
			die_err(rc, &e);
		emit(a.output, b.data ? b.data : "", b.len, !a.output);
		sdb_buf_release(&b);
		sdb_input_close(&in);
		return EXIT_OK;
	}
	memset(&out, 0, sizeof(out));
	out.flush_at = 1 << 20;
	if (a.output) {
		if ((rc = sdb_atomic_open(&at, a.output, &e)))
			die_err(rc, &e);
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
		die_err(rc, &e);
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

	parse_args(argc, argv, head_decode, opts_decode, &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	if (a.compact)
		rc = sdb_toon_compact_decode(in.data, in.len, &out, &e);
	else
		rc = sdb_toon_decode_json(in.data, in.len, &a.dec, a.exact, a.json_indent,
					  a.jsonl, &out, &e);
	sdb_input_close(&in);
	if (rc)
		die_err(rc, &e);
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

	parse_args(argc, argv, head_stats, opts_stats, &a);
	open_input(&in, a.file);
	sdb_error_clear(&e);
	memset(&tout, 0, sizeof(tout));
	if ((rc = sdb_toon_encode_json(in.data, in.len, a.jsonl, &a.enc, &tout, &e)))
		die_err(rc, &e);
	if ((rc = sdb_json_parse(&doc, in.data, in.len, a.jsonl ? SDB_JSON_JSONL : 0, &e)))
		die_err(rc, &e);
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
		if ((rc = sdb_fmt_record(&o, f, 2, &e)))
			die_err(rc, &e);
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
	return cli_dispatch(argc, argv, cmds, usage_main, common);
}
