/*
 * sql_prompt.c - the interactive prompt of sochdb-sql on a terminal:
 * line editing and history through libedit (BSD; its readline
 * interface), history kept in ~/.sochdb_history ($SOCHDB_HISTORY names
 * another file), "sochdb> " and "   ...> " while a statement is not yet
 * complete (the tokenizer says when: a ';' outside strings, names and
 * comments with only blanks after it). A dot-command is a line of its
 * own between statements. libedit is touched only here, so a script run
 * pays nothing for it.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "sql/tokenize.h"

#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>

/* Whether text holds only complete statements (and at least one): what
 * follows the last ';' is white space or comments. */
static int complete(const char *text, size_t len)
{
	size_t pos = 0, end, slen;
	int any = 0;

	while (pos < len) {
		if (!shell_split(text + pos, len - pos, &end, &slen)) {
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

	using_history();
	stifle_history(2000);
	if (hist)
		read_history(hist);
	printf("%s %s\nEnter \".help\" for usage hints.\n", cli_prog, SOCHDB_VERSION);
	fflush(stdout);
	while (!sh->quit && (line = readline(acc.len ? "   ...> " : "sochdb> "))) {
		const char *p = line;
		struct shell_src src = { NULL, 1, 1 };
		while (*p == ' ' || *p == '\t')
			p++;
		if (!acc.len && *p == '.') {
			add_history(line);
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
		if (!complete(acc.data, acc.len))
			continue;
		acc.data[acc.len - 1] = 0; /* the history entry without the newline */
		add_history(acc.data);
		acc.data[acc.len - 1] = '\n';
		shell_run(sh, acc.data, acc.len, &src);
		fflush(shell_out(sh));
		sdb_buf_reset(&acc);
	}
	if (!sh->quit)
		putchar('\n');
	if (hist) {
		write_history(hist);
		free(hist);
	}
	sdb_buf_release(&acc);
	return EXIT_OK;
}
