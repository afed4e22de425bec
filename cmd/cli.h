/*
 * cli.h - glue shared by every sochdb-* executable: exit codes, messages,
 * usage errors, subcommand dispatch, TTY-aware progress and a checked
 * flush of stdout. Only cmd/ prints or exits; the library never does.
 */
#ifndef SDB_CLI_H
#define SDB_CLI_H

#include "opt.h"
#include "fmt/fmt.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The one documented set of exit codes (DESIGN.md). */
enum {
	EXIT_OK = 0,       /* success */
	EXIT_NEGATIVE = 1, /* a negative answer: not found, damage found */
	EXIT_USAGE = 2,    /* unknown flag, missing argument */
	EXIT_FAILURE_RT = 3, /* I/O, malformed input, lock busy, conflict */
	EXIT_COMMITTED = 4, /* committed, but writing the output failed */
};

#ifndef SOCHDB_VERSION
#define SOCHDB_VERSION "0.1.0"
#endif

extern const char *cli_prog;  /* "sochdb-toon" */
extern const char *cli_cmd;   /* the subcommand running ("encode"), or NULL */
extern int cli_verbosity;     /* 0 quiet, 1 normal, 2+ verbose */
extern int cli_progress;      /* show progress on stderr */

/*
 * Start-up of every tool: opens /dev/null on a closed fd 0, 1 or 2, ignores
 * SIGXFSZ (a file-size limit becomes EFBIG, an I/O error) and makes
 * SIGINT/SIGTERM/SIGHUP remove the temporary output file before dying.
 */
void cli_init(const char *prog);

/* "prog: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: message" and exits with status. */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/*
 * Prints the library error code returned with its detail e (with position)
 * and exits 2 for SDB_EINVAL, else 3. A detail the call did not fill is
 * replaced by the code's description, so no failure reads "success".
 */
void die_err(int code, const struct sdb_error *e) __attribute__((noreturn));
/* Exit status for a library error code. */
int cli_exit_for(int code);
/* A usage error: "prog: reason" and "Try 'prog CMD -h' for more
 * information." on stderr, exit 2. */
void die_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* A subcommand: returns the exit status. */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/*
 * Handles the tool level: --version, -h/--help (usage, the tool's full
 * help), "help [CMD]", and the options of the table common that may stand
 * before the subcommand (opt.h: the subcommand's parser sees them first);
 * then runs the subcommand with argv[0] its name and sets cli_cmd.
 */
int cli_dispatch(int argc, char **argv, const struct cli_cmd *cmds,
		 const char *usage, const struct opt *common);

/* Flushes stdout and reports a write failure (exit 3, or 4 after
 * cli_committed()). Call before exit. */
int cli_finish(int status);

/*
 * Records that this command's write is committed: from now on a failure
 * to write the output is "committed; writing output failed", exit 4 (do
 * not retry), never exit 3 (nothing applied).
 */
void cli_committed(void);
/* Dies for a failed write of the output (e from cli_out_sink): exit 3,
 * or exit 4 after cli_committed(). */
void cli_die_output(const struct sdb_error *e) __attribute__((noreturn));
/* A lib/fmt sink that writes to stdout. @return 0 or SDB_EIO. */
int cli_out_sink(void *ctx, const char *p, size_t n, struct sdb_error *e);

/*
 * A progress bar on stderr with rate and ETA, drawn only when cli_progress
 * is set (stderr is a TTY, or --progress), at most ten times a second.
 */
struct cli_bar {
	const char *what; /* "building" */
	const char *unit; /* "vec" */
	double t0, last;
};
void cli_bar_start(struct cli_bar *b, const char *what, const char *unit);
void cli_bar_update(struct cli_bar *b, uint64_t done, uint64_t total);
/* Seconds since an arbitrary start (monotonic clock). */
double cli_now(void);

/* Parses a decimal in [min,max] or dies with a usage error naming opt. */
long cli_parse_long(const char *opt, const char *s, long min, long max);
/* Parses SIZE with an optional k/M/G suffix (powers of 1024, an optional
 * B or iB after it) or dies with a usage error naming opt. */
unsigned long long parse_size(const char *opt, const char *s);

/* The options every command takes and the tool's help does not list:
 * -q, -v, --progress, --no-progress (opt.h's ids). */
#define CLI_HIDDEN_OPTS \
	{ OPT_QUIET, 'q', "quiet", NULL, NULL }, \
	{ OPT_VERBOSE, 'v', "verbose", NULL, NULL }, \
	{ OPT_PROGRESS, 0, "progress", NULL, NULL }, \
	{ OPT_NO_PROGRESS, 0, "no-progress", NULL, NULL }

/* A scalar field of a record (lib/fmt sdb_fmt_record). */
#define CLI_FIELD(name, cell) { name, cell, NULL, 0, NULL, 0 }

/* A --format value among the formats in allowed (a mask of
 * SDB_FMT_BIT), or a usage error. */
enum sdb_fmt cli_parse_fmt(const char *v, unsigned allowed);

/* What a tool writes to stdout, gathered: the row writer's buffer
 * (lib/fmt writes into it), written out by cli_ob_flush. */
extern struct sdb_buf cli_ob;
/* Writes cli_ob to stdout and empties it (out of memory: exit 3; a
 * failed write: cli_die_output). */
void cli_ob_flush(void);
/* cli_ob_flush, then stdout's own buffer written out: the answers so far
 * reach a reader now (a streamed input that waits for more). */
void cli_ob_send(void);
/* cli_ob_flush once a MiB is held. */
static inline void cli_ob_check(void)
{
	if (cli_ob.len >= (1u << 20))
		cli_ob_flush();
}

/*
 * The next line of p[0..n) from *pos on, without its "\n" or "\r\n",
 * for the tools' line-at-a-time inputs: @return 1 with *line and *len
 * set (an empty line too), 0 past the end.
 */
static inline int cli_line(const char *p, size_t n, size_t *pos,
			   const char **line, size_t *len)
{
	const char *q, *nl;
	size_t m;

	if (*pos >= n)
		return 0;
	q = p + *pos;
	nl = memchr(q, '\n', n - *pos);
	m = nl ? (size_t)(nl - q) : n - *pos;
	*pos += m + 1;
	if (m && q[m - 1] == '\r')
		m--;
	*line = q;
	*len = m;
	return 1;
}

/*
 * A line-at-a-time reader of a pipe, FIFO or file, for the tools' streamed
 * inputs (sochdb-sql's scripts, the --stdin batches): each line is handed
 * out as soon as it is read, in constant memory (the longest line and one
 * read), and when no whole line is at hand the reader says so before it
 * waits for more, so that the caller writes its answers out first: a
 * program driving a tool through a pipe gets each answer before it sends
 * the next line.
 */
struct cli_lines {
	int fd;
	const char *name; /* in errors; NULL: "<stdin>" */
	struct sdb_buf raw;
	size_t pos;
	int eof, said_idle;
};
enum { CLI_LINES_IDLE = 2 };
void cli_lines_init(struct cli_lines *r, int fd, const char *name);
void cli_lines_release(struct cli_lines *r);
/*
 * The next line: @return 1 with *line and *len set (with its "\n"; the
 * last line of an input may have none: cli_chomp drops them), 0 at the end
 * of the input, CLI_LINES_IDLE when no whole line is at hand (the next
 * call waits for input: flush the answers now), or SDB_EIO / SDB_ENOMEM
 * with e set. The line stays in place until the next call.
 */
int cli_lines_next(struct cli_lines *r, const char **line, size_t *len, struct sdb_error *e);
/* Drops a line's "\n" or "\r\n" (cli_line's rule). */
static inline size_t cli_chomp(const char *p, size_t n)
{
	if (n && p[n - 1] == '\n')
		n--;
	if (n && p[n - 1] == '\r')
		n--;
	return n;
}

#endif
