/* cli.c - shared command-line glue (see cli.h). */
#include "cli.h"

#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "sochdb";
const char *cli_cmd;
int cli_verbosity = 1;
int cli_progress = 0;

/* fds 0, 1 and 2 open, on /dev/null where they were closed, so that no
 * file the tool opens (a database's LOCK) becomes a standard stream. */
static void open_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lowest free descriptor: fd, the ones below are open */
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			_exit(EXIT_FAILURE_RT);
	}
}

/* SIGINT/SIGTERM: remove the temporary output file, then die of the
 * signal as the shell expects. */
static void on_fatal_signal(int sig)
{
	sdb_atomic_unlink_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_init(const char *prog)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;

	open_std_fds();
	cli_prog = prog;
	cli_progress = isatty(2);
	/* a file-size limit is an I/O error (EFBIG, exit 3), not a death */
	signal(SIGXFSZ, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		/* a signal ignored by the parent (nohup) stays ignored */
		if (!sigaction(fatal[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(fatal[i], &sa, NULL);
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

void die_err(int code, const struct sdb_error *e)
{
	struct sdb_error d;
	char line[700];

	/* The code the call returned wins over a detail it did not fill. */
	if (!e || !e->code || e->code != code) {
		sdb_error_clear(&d);
		if (e && e->msg[0])
			d = *e;
		d.code = code ? code : SDB_EIO;
		e = &d;
	}
	sdb_error_format(e, line, sizeof(line));
	die(e->code == SDB_EINVAL ? EXIT_USAGE : EXIT_FAILURE_RT, "%s", line);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s%s%s -h' for more information.\n", cli_prog,
		cli_cmd ? " " : "", cli_cmd ? cli_cmd : "");
	exit(EXIT_USAGE);
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
		die_err(e->code, e);
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

struct sdb_buf cli_ob = SDB_BUF_INIT;

void cli_ob_flush(void)
{
	struct sdb_error e;

	if (!sdb_buf_ok(&cli_ob))
		die(EXIT_FAILURE_RT, "out of memory");
	sdb_error_clear(&e);
	if (cli_ob.len && cli_out_sink(NULL, cli_ob.data, cli_ob.len, &e))
		cli_die_output(&e);
	sdb_buf_reset(&cli_ob);
}

void cli_ob_send(void)
{
	struct sdb_error e;

	cli_ob_flush();
	if (fflush(stdout)) {
		sdb_error_clear(&e);
		sdb_error_sys(&e, SDB_EIO, "write failure on standard output");
		cli_die_output(&e);
	}
}

enum sdb_fmt cli_parse_fmt(const char *v, unsigned allowed)
{
	enum sdb_fmt f;
	struct sdb_error e;

	if (sdb_fmt_parse(v, allowed, &f, &e))
		die_usage("%s", e.msg);
	return f;
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

/* The subcommand named s, or NULL. */
static const struct cli_cmd *find_cmd(const struct cli_cmd *cmds, const char *s)
{
	for (const struct cli_cmd *c = cmds; c->name; c++)
		if (!strcmp(c->name, s))
			return c;
	return NULL;
}

int cli_dispatch(int argc, char **argv, const struct cli_cmd *cmds,
		 const char *usage, const struct opt *common)
{
	static const struct opt none[] = { OPT_END };
	const struct cli_cmd *c;
	struct opt_parser p;
	const char *v, *name;
	char *help_argv[3];
	int id;

	opt_init(&p, common ? common : none, usage, argc, argv);
	p.stop_at_arg = p.head_only = 1;
	for (;;) {
		/* a subcommand spelled as an option (sochdb-toon --encode) */
		int word = p.i < argc && (!p.bundle || !*p.bundle);
		if (word && (c = find_cmd(cmds, argv[p.i]))) {
			p.i++;
			break;
		}
		if (word && !strcmp(argv[p.i], "--version")) {
			printf("%s %s\n", cli_prog, SOCHDB_VERSION);
			return cli_finish(EXIT_OK);
		}
		id = opt_next(&p, &v);
		if (id == OPT_EOF)
			die_usage("missing subcommand");
		if (id == OPT_ARG) {
			if ((c = find_cmd(cmds, v)))
				break;
			if (!strcmp(v, "help"))
				goto help;
			die_usage("unknown subcommand '%s'", v);
		}
		if (id < OPT_QUIET || id > OPT_NO_PROGRESS) /* those are done */
			opt_keep_pre(p.cur, v);
	}
	cli_cmd = c->name;
	return cli_finish(c->fn(argc - p.i + 1, argv + p.i - 1));
help:
	/* help [CMD]: the tool's help, or CMD -h */
	if (p.i >= argc) {
		fputs(usage, stdout);
		return cli_finish(EXIT_OK);
	}
	name = argv[p.i++];
	if (!(c = find_cmd(cmds, name)) || name[0] == '-')
		die_usage("unknown subcommand '%s'", name);
	if (p.i < argc)
		die_usage("unexpected argument '%s'", argv[p.i]);
	cli_cmd = c->name;
	help_argv[0] = (char *)c->name;
	help_argv[1] = (char *)"-h";
	help_argv[2] = NULL;
	return cli_finish(c->fn(2, help_argv));
}

long cli_parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die_usage("invalid value '%s' for %s (expected %ld..%ld)", s, opt,
			  min, max);
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

unsigned long long parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		goto bad;
	switch (*end) {
	case 0: return v;
	case 'k': case 'K': v <<= 10; break;
	case 'm': case 'M': v <<= 20; break;
	case 'g': case 'G': v <<= 30; break;
	default: goto bad;
	}
	if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		goto bad;
	return v;
bad:
	die_usage("invalid size '%s' for %s (expected N, Nk, NM or NG)", s, opt);
}

void cli_lines_init(struct cli_lines *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	sdb_buf_init(&r->raw);
}

void cli_lines_release(struct cli_lines *r)
{
	sdb_buf_release(&r->raw);
}

int cli_lines_next(struct cli_lines *r, const char **line, size_t *len, struct sdb_error *e)
{
	for (;;) {
		const char *nl = r->raw.len > r->pos ? memchr(r->raw.data + r->pos, '\n', r->raw.len - r->pos) : NULL;
		ssize_t got;
		if (nl || (r->eof && r->raw.len > r->pos)) {
			*line = r->raw.data + r->pos;
			*len = nl ? (size_t)(nl - *line) + 1 : r->raw.len - r->pos;
			r->pos += *len;
			r->said_idle = 0;
			return 1;
		}
		if (r->eof)
			return 0;
		if (!r->said_idle) {
			/* nothing whole at hand: the caller's answers out before
			 * the read waits (once per wait) */
			r->said_idle = 1;
			return CLI_LINES_IDLE;
		}
		if (r->pos) {
			/* (the lines handed out are past) */
			memmove(r->raw.data, r->raw.data + r->pos, r->raw.len - r->pos);
			r->raw.len -= r->pos;
			r->pos = 0;
		}
		if (sdb_buf_grow(&r->raw, 65536))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		got = read(r->fd, r->raw.data + r->raw.len, r->raw.cap - r->raw.len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return sdb_error_set(e, SDB_EIO, "cannot read '%s': %s",
					     r->name ? r->name : "<stdin>", strerror(errno));
		if (got == 0)
			r->eof = 1;
		r->raw.len += (size_t)got;
	}
}
