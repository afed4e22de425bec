/*
 * sql_prompt.c - the interactive prompt of sochdb-sql on a terminal:
 * line editing and history through libedit (BSD; its readline
 * interface), history kept in ~/.sochdb_history ($SOCHDB_HISTORY names
 * another file), "sochdb> " and "   ...> " while a statement is not yet
 * complete (the tokenizer says when: a ';' outside strings, names and
 * comments with only blanks after it). A dot-command is a line of its
 * own between statements. Where the tool is linked statically (the
 * GNUmakefile's try-link; SQL_LIBEDIT_LINKED) libedit is linked in and
 * called directly: a script run maps no library at all. Otherwise libedit
 * is loaded (dlopen) only here, so a script run does not even map it.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "sql/tokenize.h"

#ifndef SQL_LIBEDIT_LINKED
#include <dlfcn.h>
#endif
#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>

/* libedit's readline interface, resolved at run time. */
static struct {
	char *(*readline)(const char *);
	int (*add_history)(const char *);
	int (*read_history)(const char *);
	int (*write_history)(const char *);
	void (*using_history)(void);
	void (*stifle_history)(int);
} ed;

#ifndef SQL_LIBEDIT_LINKED
/* A line without editing when libedit cannot be loaded. */
static char *plain_readline(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stdout);
	fflush(stdout);
	if ((n = getline(&line, &cap, stdin)) < 0) {
		free(line);
		return NULL;
	}
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	return line;
}

static int no_hist(const char *s)
{
	(void)s;
	return 0;
}

static void no_using(void)
{
}

static void no_stifle(int n)
{
	(void)n;
}
#endif

static void load_libedit(void)
{
#ifdef SQL_LIBEDIT_LINKED
	ed.readline = readline;
	ed.add_history = add_history;
	ed.read_history = read_history;
	ed.write_history = write_history;
	ed.using_history = using_history;
	ed.stifle_history = stifle_history;
#else
	void *h = dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = dlopen("libedit.so", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&ed.readline = dlsym(h, "readline");
		*(void **)&ed.add_history = dlsym(h, "add_history");
		*(void **)&ed.read_history = dlsym(h, "read_history");
		*(void **)&ed.write_history = dlsym(h, "write_history");
		*(void **)&ed.using_history = dlsym(h, "using_history");
		*(void **)&ed.stifle_history = dlsym(h, "stifle_history");
	}
	if (!h || !ed.readline || !ed.add_history || !ed.read_history ||
	    !ed.write_history || !ed.using_history || !ed.stifle_history) {
		cli_warn("libedit not found (%s): no line editing or history", dlerror());
		ed.readline = plain_readline;
		ed.add_history = ed.read_history = ed.write_history = no_hist;
		ed.using_history = no_using;
		ed.stifle_history = no_stifle;
	}
#endif
}

int shell_complete(const char *text, size_t len)
{
	size_t pos = 0, end, slen;
	int any = 0;

	while (pos < len) {
		if (!sdb_sql_split(text + pos, len - pos, &end, &slen)) {
			struct sdb_sql_lexer lx;
			struct sdb_sql_token t;
			sdb_sql_lexer_init(&lx, text + pos, len - pos);
			return any && !sdb_sql_lexer_next(&lx, &t, NULL) && t.type == SQL_TK_EOF;
		}
		any = 1;
		pos += end;
	}
	return any;
}

static char *history_path(void)
{
	const char *h = getenv("SOCHDB_HISTORY"), *home;
	char *p;

	if (h && *h)
		return strdup(h);
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	if (asprintf(&p, "%s/.sochdb_history", home) < 0)
		return NULL;
	return p;
}

int shell_prompt(struct shell *sh)
{
	struct sdb_buf acc = SDB_BUF_INIT;
	char *hist = history_path();
	char *line;

	load_libedit();
	ed.using_history();
	ed.stifle_history(2000);
	if (hist)
		ed.read_history(hist);
	printf("%s %s\nEnter \".help\" for usage hints.\n", cli_prog, SOCHDB_VERSION);
	fflush(stdout);
	while (!sh->quit && (line = ed.readline(acc.len ? "   ...> " : "sochdb> "))) {
		const char *p = line;
		struct shell_src src = { NULL, 1, 1 };
		while (*p == ' ' || *p == '\t')
			p++;
		if (!acc.len && *p == '.') {
			ed.add_history(line);
			shell_dot(sh, p, strlen(p), &src, 1);
			free(line);
			fflush(shell_out(sh));
			continue;
		}
		if (!acc.len && !*p) {
			free(line);
			continue;
		}
		sdb_buf_adds(&acc, line);
		sdb_buf_addc(&acc, '\n');
		free(line);
		if (!sdb_buf_ok(&acc))
			die(EXIT_FAILURE_RT, "out of memory");
		if (!shell_complete(acc.data, acc.len))
			continue;
		acc.data[acc.len - 1] = 0; /* the history entry without the newline */
		ed.add_history(acc.data);
		acc.data[acc.len - 1] = '\n';
		shell_run(sh, acc.data, acc.len, &src);
		fflush(shell_out(sh));
		sdb_buf_reset(&acc);
	}
	if (!sh->quit)
		putchar('\n');
	if (hist) {
		ed.write_history(hist);
		free(hist);
	}
	sdb_buf_release(&acc);
	return EXIT_OK;
}
