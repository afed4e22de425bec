/*
 * sql_dot.c - the dot-commands of sochdb-sql (see sql_cli.h): the
 * sqlite3 shell's .tables, .schema, .indexes, .mode, .headers,
 * .nullvalue, .output/.once, .read, .timer, .eqp, .changes, .bail,
 * .parameter, .help, .quit, and the entry points of .import and .dump.
 * Arguments are split as sqlite3 splits them: at blanks, with '...' and
 * "..." grouping.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "util/array.h"
#include "util/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	".bail on|off             stop after an error (default off)\n"
	".changes on|off          show the number of rows changed by each statement\n"
	".dump ?TABLE ...?        SQL text that rebuilds the database (or the TABLEs)\n"
	".eqp on|off              show the query plan before each statement\n"
	".exit                    leave (as .quit)\n"
	".headers on|off          column names on the first line\n"
	".help                    this text\n"
	".import [--csv|--tsv|--jsonl] [--skip N] FILE TABLE\n"
	"                         rows of FILE into TABLE (created from the header\n"
	"                         line when it does not exist), in one transaction\n"
	".import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]...\n"
	"                         numpy vectors into COLUMN, rowids 0..n-1 or the ids,\n"
	"                         each 1-D .npy of numbers into column NAME\n"
	".indexes ?TABLE?         the names of the indexes (of TABLE)\n"
	".mode MODE               output format: table, box, csv, tsv, json, jsonl,\n"
	"                         toon, markdown or line\n"
	".nullvalue TEXT          how NULL is shown\n"
	".once FILE               the next statement's output to FILE\n"
	".output ?FILE?           output to FILE, or back to stdout\n"
	".parameter set NAME VALUE | list | clear [NAME] | unset NAME\n"
	"                         the values bound to ?N, :NAME, @NAME, $NAME\n"
	".quit                    leave\n"
	".read FILE               run the SQL and dot-commands in FILE\n"
	".schema ?PATTERN?        the CREATE statements (of tables matching PATTERN)\n"
	".tables ?PATTERN?        the names of the tables and views\n"
	".timer on|off            show the time each statement took\n";

/* Splits line[0..len) into words (malloc'd argv, NULL-terminated). */
static int split_args(const char *line, size_t len, char ***out)
{
	char **av = NULL;
	size_t n = 0, cap = 0, i = 0;

	while (i < len) {
		struct sdb_buf w = SDB_BUF_INIT;
		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i >= len)
			break;
		if (line[i] == '\'' || line[i] == '"') {
			char q = line[i++];
			while (i < len && line[i] != q) {
				if (q == '"' && line[i] == '\\' && i + 1 < len) {
					char c = line[++i];
					sdb_buf_addc(&w, c == 'n' ? '\n' : c == 't' ? '\t' : c);
					i++;
					continue;
				}
				sdb_buf_addc(&w, line[i++]);
			}
			if (i < len)
				i++;
		} else {
			while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
				sdb_buf_addc(&w, line[i++]);
		}
		sdb_buf_addc(&w, 0);
		if (!sdb_buf_ok(&w) || sdb_grow((void **)&av, &cap, n + 2, sizeof(*av), 8))
			die(EXIT_FAILURE_RT, "out of memory");
		av[n++] = sdb_buf_detach(&w, NULL);
	}
	if (sdb_grow((void **)&av, &cap, n + 1, sizeof(*av), 8))
		die(EXIT_FAILURE_RT, "out of memory");
	av[n] = NULL;
	*out = av;
	return (int)n;
}

static void free_args(char **av)
{
	for (size_t i = 0; av && av[i]; i++)
		free(av[i]);
	free(av);
}

int shell_parse_mode(const char *name, enum sdb_fmt *out)
{
	static const struct {
		const char *name;
		enum sdb_fmt f;
	} modes[] = {
		{ "table", SDB_FMT_TABLE }, { "box", SDB_FMT_BOX }, { "csv", SDB_FMT_CSV },
		{ "tsv", SDB_FMT_TSV }, { "tabs", SDB_FMT_TSV }, { "json", SDB_FMT_JSON },
		{ "jsonl", SDB_FMT_JSONL }, { "toon", SDB_FMT_TOON },
		{ "markdown", SDB_FMT_MARKDOWN }, { "line", SDB_FMT_LINE },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(name, modes[i].name)) {
			*out = modes[i].f;
			return 0;
		}
	return -1;
}

/* A dot-command's failure: "line L: .cmd: message" through shell_report. */
static int fail(struct shell *sh, const struct shell_src *src, long line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct shell *sh, const struct shell_src *src, long line,
		const char *fmt, ...)
{
	struct sdb_error e;
	va_list ap;

	sdb_error_clear(&e);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	e.code = SDB_EINVAL;
	shell_report(sh, src, line, 1, SDB_EINVAL, &e);
	sh->failed = 1;
	return -1;
}

/* on|off|yes|no|1|0|true|false: 1/0, or -1. */
static int onoff(const char *s)
{
	if (!strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "off") || !strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcmp(s, "0"))
		return 0;
	return -1;
}

/* ------------------------------------------------------ .tables .indexes */

struct names {
	char **v;
	size_t n, cap;
};

static int collect_name(void *ctx, struct sql_stmt_h *st)
{
	struct names *x = ctx;
	const struct sql_value *v = sql_column(st, 0);

	if (!v || v->type != SQLV_TEXT)
		return 0;
	if (sdb_grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v), 16))
		return SDB_ENOMEM;
	if (!(x->v[x->n] = strndup(v->u.z, v->n)))
		return SDB_ENOMEM;
	x->n++;
	return 0;
}

/* Names in columns as sqlite3's .tables lays them out (80 wide). */
static void print_columns(FILE *f, struct names *x)
{
	size_t w = 0, ncol, nrow;

	for (size_t i = 0; i < x->n; i++)
		if (strlen(x->v[i]) > w)
			w = strlen(x->v[i]);
	ncol = 80 / (w + 2);
	if (ncol < 1)
		ncol = 1;
	nrow = (x->n + ncol - 1) / ncol;
	for (size_t i = 0; i < nrow; i++) {
		for (size_t j = i; j < x->n; j += nrow)
			fprintf(f, "%s%-*s", j < nrow ? "" : "  ", (int)w, x->v[j]);
		fputc('\n', f);
	}
}

static void names_free(struct names *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i]);
	free(x->v);
}

/* A query with one text argument spliced in as a literal. */
static char *with_arg(const char *pre, const char *arg, const char *post)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sql_value v = sql_text(arg, strlen(arg));

	sdb_buf_adds(&b, pre);
	shell_quote_value(&b, &v);
	sdb_buf_adds(&b, post);
	sdb_buf_addc(&b, 0);
	if (!sdb_buf_ok(&b))
		die(EXIT_FAILURE_RT, "out of memory");
	return sdb_buf_detach(&b, NULL);
}

static int list_names(struct shell *sh, const struct shell_src *src, long line,
		      const char *sql)
{
	struct names x = { NULL, 0, 0 };
	struct sdb_error e;
	int rc = shell_query(sh, sql, collect_name, &x, &e);

	if (rc) {
		names_free(&x);
		shell_report(sh, src, line, 1, rc, &e);
		sh->failed = 1;
		return -1;
	}
	print_columns(shell_out(sh), &x);
	names_free(&x);
	return 0;
}

/* ------------------------------------------------------------ .schema */

/* A CREATE statement as sqlite3's .schema and .dump print it: "CREATE
 * TABLE \"x\"" as "CREATE TABLE IF NOT EXISTS \"x\"". */
void shell_put_create(struct sdb_buf *b, const char *sql, size_t n)
{
	if (n > 14 && !strncmp(sql, "CREATE TABLE ", 13) && (sql[13] == '"' || sql[13] == '\'')) {
		sdb_buf_adds(b, "CREATE TABLE IF NOT EXISTS ");
		sdb_buf_add(b, sql + 13, n - 13);
		return;
	}
	sdb_buf_add(b, sql, n);
}

struct schema_ctx {
	struct shell *sh;
	struct sdb_buf b;
};

/* sqlite3's comment after a view: its columns, "/ * v(a,\"b c\") * /". */
static void view_columns(struct shell *sh, struct sdb_buf *b, const char *name)
{
	struct sdb_buf q = SDB_BUF_INIT;
	struct sql_stmt_h *st = NULL;
	struct sdb_error e;
	size_t used;

	sdb_buf_adds(&q, "SELECT * FROM ");
	shell_quote_name(&q, name);
	if (sdb_buf_ok(&q) && !sql_prepare(sh->conn, q.data, q.len, &used, &st, &e) && st) {
		sdb_buf_adds(b, "\n/* ");
		shell_quote_name(b, name);
		sdb_buf_addc(b, '(');
		for (int i = 0; i < sql_column_count(st); i++) {
			if (i)
				sdb_buf_addc(b, ',');
			shell_quote_name(b, sql_column_name(st, i) ? sql_column_name(st, i) : "");
		}
		sdb_buf_adds(b, ") */");
	}
	sql_finalize(st);
	sdb_buf_release(&q);
}

static int print_sql(void *ctx, struct sql_stmt_h *st)
{
	struct schema_ctx *x = ctx;
	const struct sql_value *v = sql_column(st, 0), *t = sql_column(st, 1),
				*n = sql_column(st, 2);

	if (!v || v->type != SQLV_TEXT)
		return 0;
	shell_put_create(&x->b, v->u.z, v->n);
	if (t && t->type == SQLV_TEXT && t->n == 4 && !memcmp(t->u.z, "view", 4) &&
	    n && n->type == SQLV_TEXT) {
		char *name = strndup(n->u.z, n->n);
		if (name)
			view_columns(x->sh, &x->b, name);
		free(name);
	}
	sdb_buf_adds(&x->b, ";\n");
	return sdb_buf_ok(&x->b) ? 0 : SDB_ENOMEM;
}

/* ------------------------------------------------------------ .parameter */

static void param_list(struct shell *sh)
{
	FILE *f = shell_out(sh);
	size_t w = 0;

	for (size_t i = 0; i < sh->nparams; i++)
		if (strlen(sh->params[i].name) > w)
			w = strlen(sh->params[i].name);
	for (size_t i = 0; i < sh->nparams; i++) {
		struct sdb_buf b = SDB_BUF_INIT;
		shell_quote_value(&b, &sh->params[i].v);
		fprintf(f, "%-*s %.*s\n", (int)w, sh->params[i].name, (int)b.len,
			b.data ? b.data : "");
		sdb_buf_release(&b);
	}
}

/* ------------------------------------------------------------ dispatch */

static int open_output(struct shell *sh, const struct shell_src *src, long line,
		       const char *path, int once)
{
	FILE *f;

	if (sh->out) {
		fclose(sh->out);
		sh->out = NULL;
	}
	sh->once = 0;
	if (!path || !strcmp(path, "stdout") || !strcmp(path, "-"))
		return 0;
	fflush(stdout);
	if (!(f = fopen(path, "w")))
		return fail(sh, src, line, "cannot open \"%s\": %s", path, strerror(errno));
	sh->out = f;
	sh->once = once;
	return 0;
}

static int read_file(struct shell *sh, const struct shell_src *src, long line,
		     const char *path)
{
	static int depth;
	struct sdb_input in;
	struct sdb_error e;
	struct shell_src s2 = { path, 1, 1 };
	int rc;

	if (depth > 32)
		return fail(sh, src, line, ".read nested too deeply");
	if ((rc = sdb_input_open(&in, path, &e))) {
		shell_report(sh, src, line, 1, rc, &e);
		sh->failed = 1;
		return -1;
	}
	depth++;
	rc = shell_run(sh, in.data ? in.data : "", in.len, &s2);
	depth--;
	sdb_input_close(&in);
	return rc;
}

int shell_dot(struct shell *sh, const char *line, size_t len,
	      const struct shell_src *src, long lineno)
{
	char **av;
	int ac = split_args(line, len, &av), rc = 0, b;
	const char *c = ac ? av[0] + 1 : "";
	size_t cl = strlen(c);
	int was_once = sh->once && sh->out;

	/* sqlite3 takes unambiguous prefixes of the common ones */
#define IS(name, min) (cl >= (min) && !strncmp(c, name, cl) && cl <= strlen(name))
	if (!cl) {
		rc = fail(sh, src, lineno, "empty dot-command (.help lists them)");
	} else if (IS("quit", 1) || IS("exit", 2)) {
		sh->quit = 1;
	} else if (IS("help", 1)) {
		fputs(help_text, shell_out(sh));
	} else if (IS("tables", 2)) {
		char *q = with_arg("SELECT name FROM sqlite_schema WHERE type IN ('table','view') "
				   "AND name NOT LIKE 'sqlite_%' AND name LIKE ",
				   ac > 1 ? av[1] : "%", " ORDER BY 1");
		rc = list_names(sh, src, lineno, q);
		free(q);
	} else if (IS("indexes", 3) || IS("indices", 3)) {
		char *q = with_arg("SELECT name FROM sqlite_schema WHERE type = 'index' "
				   "AND tbl_name LIKE ", ac > 1 ? av[1] : "%", " ORDER BY 1");
		rc = list_names(sh, src, lineno, q);
		free(q);
	} else if (IS("schema", 2)) {
		struct schema_ctx x = { sh, SDB_BUF_INIT };
		struct sdb_error e;
		char *q = with_arg("SELECT sql, type, name FROM sqlite_schema WHERE sql IS NOT NULL "
				   "AND name NOT LIKE 'sqlite_%' AND (name LIKE ",
				   ac > 1 ? av[1] : "%", ac > 1 ? " OR tbl_name LIKE " : ")");
		if (ac > 1) {
			char *q2 = with_arg(q, av[1], ")");
			free(q);
			q = q2;
		}
		/* sqlite_schema's own order: creation order, as sqlite3 */
		if ((rc = shell_query(sh, q, print_sql, &x, &e))) {
			shell_report(sh, src, lineno, 1, rc, &e);
			sh->failed = 1;
			rc = -1;
		} else if (x.b.len) {
			fwrite(x.b.data, 1, x.b.len, shell_out(sh));
		}
		sdb_buf_release(&x.b);
		free(q);
	} else if (IS("mode", 2)) {
		enum sdb_fmt f;
		if (ac < 2)
			fprintf(shell_out(sh), "current output mode: %s\n", sdb_fmt_name(sh->fmt));
		else if (shell_parse_mode(av[1], &f))
			rc = fail(sh, src, lineno, ".mode: unknown mode '%s' (expected table, box, csv, tsv, json, jsonl, toon, markdown or line)", av[1]);
		else
			sh->fmt = f;
	} else if (IS("headers", 2)) {
		if (ac != 2 || (b = onoff(av[1])) < 0)
			rc = fail(sh, src, lineno, "usage: .headers on|off");
		else
			sh->header = b;
	} else if (IS("nullvalue", 2)) {
		if (ac != 2) {
			rc = fail(sh, src, lineno, "usage: .nullvalue TEXT");
		} else {
			free(sh->null_text);
			if (!(sh->null_text = strdup(av[1])))
				die(EXIT_FAILURE_RT, "out of memory");
		}
	} else if (IS("output", 1)) {
		rc = open_output(sh, src, lineno, ac > 1 ? av[1] : NULL, 0);
	} else if (IS("once", 2)) {
		if (ac != 2)
			rc = fail(sh, src, lineno, "usage: .once FILE");
		else
			rc = open_output(sh, src, lineno, av[1], 1);
	} else if (IS("read", 2)) {
		if (ac != 2)
			rc = fail(sh, src, lineno, "usage: .read FILE");
		else
			rc = read_file(sh, src, lineno, av[1]);
	} else if (IS("timer", 2) || IS("eqp", 2) || IS("changes", 2) || IS("bail", 2)) {
		if (ac != 2 || (b = onoff(av[1])) < 0) {
			rc = fail(sh, src, lineno, "usage: .%s on|off", c);
		} else if (c[0] == 't') {
			sh->timer = b;
		} else if (c[0] == 'e') {
			sh->eqp = b;
		} else if (c[0] == 'c') {
			sh->changes = b;
		} else {
			sh->bail = b;
		}
	} else if (IS("parameter", 2)) {
		if (ac >= 2 && !strcmp(av[1], "list")) {
			param_list(sh);
		} else if (ac >= 2 && !strcmp(av[1], "clear")) {
			shell_param_clear(sh, ac > 2 ? av[2] : NULL);
		} else if (ac == 3 && !strcmp(av[1], "unset")) {
			shell_param_clear(sh, av[2]);
		} else if (ac >= 4 && !strcmp(av[1], "set")) {
			/* the value is the rest of the line, as sqlite3 */
			const char *p = strstr(line, av[2]);
			const char *v = p ? p + strlen(av[2]) : "";
			char *val;
			while (*v == ' ' || *v == '\t')
				v++;
			val = strndup(v, len - (size_t)(v - line));
			if (!val)
				die(EXIT_FAILURE_RT, "out of memory");
			shell_param_set(sh, av[2], ac == 4 ? av[3] : val);
			free(val);
		} else {
			rc = fail(sh, src, lineno, "usage: .parameter set NAME VALUE | list | clear [NAME] | unset NAME");
		}
	} else if (IS("import", 3)) {
		rc = shell_import(sh, ac, av, src, lineno);
	} else if (IS("dump", 2)) {
		if ((rc = shell_dump(sh, ac, av)))
			sh->failed = 1;
	} else {
		rc = fail(sh, src, lineno, "unknown command or invalid arguments: \"%s\". Enter \".help\" for help", c);
	}
#undef IS
	/* .once: the output of the next command or statement only */
	if (was_once && sh->once)
		shell_once_done(sh);
	free_args(av);
	return rc;
}
