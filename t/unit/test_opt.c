/*
 * test_opt.c - the tools' option parser (cmd/opt.c): list-valued options
 * (OPT_LIST: comma-separated and repeatable, empty items refused), their
 * spellings, GNU permutation and "--". Each parse runs in a child process
 * (a usage error exits), which writes what it saw to a pipe: "L=item" per
 * list item, "Y=value", "F" for the flag, "A=arg", and on a usage error
 * the parent gets exit 2 and stderr.
 */
#include "unit.h"
#include "../../cmd/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { T_LIST = 1, T_Y, T_F, T_L2 };

static const struct opt tab[] = {
	{ T_LIST | OPT_LIST, 'x', "xlist", "X[,X...]", "a list" },
	{ T_Y, 'y', "yval", "Y", "a plain value" },
	{ T_F, 'f', "flag", NULL, "a flag" },
	{ T_L2 | OPT_LIST, 0, "only-long", "Z[,Z...]", "a long-only list" },
	{ OPT_QUIET, 'q', "quiet", NULL, "quiet" },
	OPT_END
};

struct result {
	int status;
	char out[1024];
	char err[1024];
};

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
}

/* Parses argv (NULL-terminated, argv[0] "cmd") in a child; pre_val: a
 * value of --xlist kept as if it stood before the subcommand. */
static void parse(struct result *res, const char *pre_val, ...)
{
	char *argv[32];
	int argc = 0, po[2], pe[2];
	va_list ap;
	pid_t pid;

	argv[argc++] = "cmd";
	va_start(ap, pre_val);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	if (pipe(po) || pipe(pe))
		abort();
	fflush(stdout);
	if (!(pid = fork())) {
		struct opt_list l = OPT_LIST_INIT, l2 = OPT_LIST_INIT;
		struct opt_parser p;
		const char *v;
		FILE *f;
		int c;
		dup2(pe[1], 2);
		f = fdopen(po[1], "w");
		if (pre_val)
			opt_keep_pre(&tab[0], pre_val);
		opt_init(&p, tab, "usage: sochdb-test cmd\n", argc, argv);
		while ((c = opt_next(&p, &v)) != OPT_EOF) {
			switch (c) {
			case T_LIST: opt_list_add(&l, "--xlist", v); break;
			case T_L2: opt_list_add(&l2, "--only-long", v); break;
			case T_Y: fprintf(f, "Y=%s ", v); break;
			case T_F: fputs("F ", f); break;
			case OPT_ARG: fprintf(f, "A=%s ", v); break;
			default: fprintf(f, "?%d ", c);
			}
		}
		for (size_t i = 0; i < l.n; i++)
			fprintf(f, "L=%s ", l.item[i]);
		for (size_t i = 0; i < l2.n; i++)
			fprintf(f, "Z=%s ", l2.item[i]);
		fprintf(f, "n=%zu q=%d", l.n, cli_verbosity);
		opt_list_free(&l);
		opt_list_free(&l2);
		/* freed: empty, and reusable */
		if (l.n || l.item)
			fputs(" NOT-FREED", f);
		opt_list_add(&l, "--xlist", "again");
		if (l.n != 1 || strcmp(l.item[0], "again"))
			fputs(" NOT-REUSABLE", f);
		opt_list_free(&l);
		fclose(f);
		_exit(0);
	}
	close(po[1]);
	close(pe[1]);
	read_all(po[0], res->out, sizeof(res->out));
	read_all(pe[0], res->err, sizeof(res->err));
	close(po[0]);
	close(pe[0]);
	waitpid(pid, &res->status, 0);
	res->status = WIFEXITED(res->status) ? WEXITSTATUS(res->status) : -1;
}

#define OK(want, ...) do { \
	struct result r_; \
	parse(&r_, NULL, __VA_ARGS__, (char *)NULL); \
	CHECK_EQ_INT(r_.status, 0); \
	CHECK_EQ_STR(r_.out, want); \
	CHECK_EQ_STR(r_.err, ""); \
} while (0)

#define USAGE(want_err, ...) do { \
	struct result r_; \
	parse(&r_, NULL, __VA_ARGS__, (char *)NULL); \
	CHECK_EQ_INT(r_.status, 2); \
	CHECK_EQ_STR(r_.err, want_err); \
} while (0)

#define TRY "Try 'sochdb-test cmd -h' for more information.\n"

int main(void)
{
	struct result r;

	cli_prog = "sochdb-test";
	cli_cmd = "cmd";

	/* one occurrence, every spelling */
	OK("L=a L=b n=2 q=1", "--xlist", "a,b");
	OK("L=a L=b n=2 q=1", "--xlist=a,b");
	OK("L=a L=b n=2 q=1", "-xa,b");
	OK("L=a L=b n=2 q=1", "-x", "a,b");
	OK("L=a L=b n=2 q=1", "--xl", "a,b"); /* an abbreviation */
	OK("L=a n=1 q=1", "-x", "a");
	/* repeatable: the items of every occurrence, in order */
	OK("L=a L=b L=c n=3 q=1", "--xlist", "a,b", "--xlist", "c");
	OK("L=c L=a L=b L=c n=4 q=1", "-xc", "--xlist=a,b", "-x", "c");
	/* two lists kept apart; long-only */
	OK("L=a Z=b Z=c n=1 q=1", "--only-long", "b", "-x", "a", "--only-long=c");
	/* bundled after a flag; the value is the rest of the bundle */
	OK("F L=a L=b n=2 q=1", "-fxa,b");
	OK("L=a L=b n=2 q=0", "-qxa,b");
	/* items are taken as they are: spaces, '=', a dash, "-1" */
	OK("L= a L=b=c L=- n=3 q=1", "--xlist", " a,b=c,-");
	OK("L=-1 L=-2 n=2 q=1", "-x", "-1,-2");
	OK("L=--flag n=1 q=1", "--xlist", "--flag"); /* a value, not an option */
	/* GNU permutation: options and arguments mix until "--" */
	OK("A=f1 A=g1 L=a L=b n=2 q=1", "f1", "-x", "a", "g1", "--xlist", "b");
	OK("A=f1 A=--xlist A=b L=a n=1 q=1", "-xa", "--", "f1", "--xlist", "b");
	OK("A=-x L=a n=1 q=1", "--xlist=a", "--", "-x");
	/* a plain value keeps its commas, empty ones too */
	OK("Y=a,,b n=0 q=1", "--yval", "a,,b");
	OK("Y= n=0 q=1", "--yval=");
	OK("F n=0 q=1", "-f");

	/* empty items: one line naming the option, then the Try line */
	USAGE("sochdb-test: option '--xlist': empty item in 'a,,b' (a list is ITEM[,ITEM...])\n" TRY,
	      "--xlist", "a,,b");
	USAGE("sochdb-test: option '--xlist': empty item in 'a,' (a list is ITEM[,ITEM...])\n" TRY,
	      "-xa,");
	USAGE("sochdb-test: option '--xlist': empty item in ',a' (a list is ITEM[,ITEM...])\n" TRY,
	      "--xlist=,a");
	USAGE("sochdb-test: option '--xlist': empty item in '' (a list is ITEM[,ITEM...])\n" TRY,
	      "--xlist=");
	USAGE("sochdb-test: option '--xlist': empty item in ',' (a list is ITEM[,ITEM...])\n" TRY,
	      "-x", ",");
	USAGE("sochdb-test: option '--only-long': empty item in 'b,' (a list is ITEM[,ITEM...])\n" TRY,
	      "--only-long", "b,");
	/* the error comes where the word is, before a later one's */
	USAGE("sochdb-test: option '--xlist': empty item in 'a,' (a list is ITEM[,ITEM...])\n" TRY,
	      "-x", "a,", "--bogus");
	USAGE("sochdb-test: unknown option '--bogus'\n" TRY, "--bogus", "-x", "a,");
	/* a list still needs its value */
	USAGE("sochdb-test: option '--xlist' requires a value\n" TRY, "--xlist");
	USAGE("sochdb-test: option '-x' requires a value\n" TRY, "-x");
	/* after "--" an empty-looking list is just an argument */
	OK("A=-x A=a,, n=0 q=1", "--", "-x", "a,,");

	/* a list given before the subcommand comes first */
	parse(&r, "p,q", "-x", "r", (char *)NULL);
	CHECK_EQ_INT(r.status, 0);
	CHECK_EQ_STR(r.out, "L=p L=q L=r n=3 q=1");
	parse(&r, "p,,q", "-x", "r", (char *)NULL);
	CHECK_EQ_INT(r.status, 2);
	CHECK_EQ_STR(r.err, "sochdb-test: option '--xlist': empty item in 'p,,q' (a list is ITEM[,ITEM...])\n" TRY);

	return unit_done("test_opt");
}
