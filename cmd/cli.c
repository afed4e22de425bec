/* cli.c - shared command-line glue (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "sochdb";
int cli_verbosity = 1;
int cli_progress = 0;

void cli_init(const char *prog)
{
	cli_prog = prog;
	cli_progress = isatty(2);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", cli_prog, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (cli_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(status);
}

int cli_exit_for(int code)
{
	switch (code) {
	case SDB_OK: return EXIT_OK;
	case SDB_EINVAL: return EXIT_USAGE;
	default: return EXIT_FAILURE_RT;
	}
}

void die_err(const struct sdb_error *e)
{
	char line[700];

	sdb_error_format(e, line, sizeof(line));
	die(e->code == SDB_EINVAL ? EXIT_USAGE : EXIT_FAILURE_RT, "%s", line);
}

void usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (usage)
		fputs(usage, stderr);
	exit(EXIT_USAGE);
}

int cli_is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help");
}

static int committed;

void cli_committed(void)
{
	committed = 1;
}

/* The message for a failed write of the output; @return the exit status. */
static int output_failed(const char *why)
{
	if (committed) {
		fprintf(stderr, "%s: committed; writing output failed: %s\n", cli_prog, why);
		return EXIT_COMMITTED;
	}
	fprintf(stderr, "%s: write failure on standard output: %s\n", cli_prog, why);
	return EXIT_FAILURE_RT;
}

void cli_die_output(const struct sdb_error *e)
{
	const char *why = e->sys_errno ? strerror(e->sys_errno) : e->msg;

	if (e->code != SDB_EIO) {
		if (committed) {
			fprintf(stderr, "%s: committed; writing output failed: %s\n", cli_prog, e->msg);
			exit(EXIT_COMMITTED);
		}
		die_err(e);
	}
	exit(output_failed(why));
}

int cli_out_sink(void *ctx, const char *p, size_t n, struct sdb_error *e)
{
	(void)ctx;
	if (n && fwrite(p, 1, n, stdout) != n)
		return sdb_error_sys(e, SDB_EIO, "write failure on standard output");
	return 0;
}

int cli_finish(int status)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	/* Closing catches the delayed errors of NFS and pipes; stdout is
	 * not used after this. */
	if (fclose(stdout) != 0 && errno != EBADF)
		bad = 1;
	if (bad)
		return output_failed(strerror(errno));
	return status;
}

int cli_dispatch(int argc, char **argv, const struct cli_cmd *cmds,
		 const char *usage, const char *short_usage)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (cli_is_help(a)) {
			fputs(usage, stdout);
			return cli_finish(EXIT_OK);
		} else if (!strcmp(a, "--version")) {
			printf("%s %s\n", cli_prog, SOCHDB_VERSION);
			return cli_finish(EXIT_OK);
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli_verbosity = 0;
			cli_progress = 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli_verbosity++;
		} else if (!strcmp(a, "--progress")) {
			cli_progress = 1;
		} else if (!strcmp(a, "--no-progress")) {
			cli_progress = 0;
		} else {
			/* Not a tool-level flag: maybe a subcommand alias
			 * such as --encode; let the table decide. */
			break;
		}
	}
	if (i >= argc)
		usage_error(short_usage, "missing subcommand");
	for (const struct cli_cmd *c = cmds; c->name; c++)
		if (!strcmp(c->name, argv[i]))
			return cli_finish(c->fn(argc - i, argv + i));
	if (argv[i][0] == '-')
		usage_error(short_usage, "unknown option '%s'", argv[i]);
	usage_error(short_usage, "unknown subcommand '%s'", argv[i]);
}

long cli_parse_long(const char *usage, const char *opt, const char *s,
		    long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error(usage, "invalid value '%s' for %s (expected %ld..%ld)",
			    s, opt, min, max);
	return v;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_bar_start(struct cli_bar *b, const char *what, const char *unit)
{
	b->what = what;
	b->unit = unit;
	b->t0 = cli_now();
	b->last = 0;
}

void cli_bar_update(struct cli_bar *b, uint64_t done, uint64_t total)
{
	static const char hashes[] = "##############################";
	double t, el, rate;
	int width = 30, fill;

	if (!cli_progress || total == 0)
		return;
	t = cli_now();
	if (t - b->last < 0.1 && done < total)
		return;
	b->last = t;
	el = t - b->t0;
	rate = el > 0 ? (double)done / el : 0;
	fill = (int)((double)width * (double)done / (double)total);
	fprintf(stderr, "\r%s %3d%% [%.*s%*s] %llu/%llu  %.0f %s/s  ETA %.0fs ",
		b->what, (int)(100.0 * (double)done / (double)total), fill, hashes,
		width - fill, "", (unsigned long long)done, (unsigned long long)total,
		rate, b->unit, rate > 0 ? (double)(total - done) / rate : 0.0);
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}
