/*
 * sochdb-sql - SQL on a SochDB database in the manner of the sqlite3
 * shell: sochdb-sql [-d DIR] [options] [FILE...], -c SQL, stdin, or an
 * interactive prompt on a TTY (DESIGN.md "sochdb-sql", man sochdb-sql(1)).
 *
 * DESIGN. A script is split into statements with the SQL tokenizer (a
 * ';' outside strings, names and comments ends one) and dot-commands (a
 * line whose first non-blank byte is '.', between statements). Each
 * statement is prepared on its own text, so the engine's positions are
 * relative to it and the shell adds the statement's line and column in
 * the script. Rows go through lib/fmt (the one row writer); REAL values
 * are handed over as SQLite's text for them (%!.15g). Failures are
 * reported as they happen; the script goes on (unless --bail) and the
 * exit status is 3 when any failed.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dbopt.h"
#include "sql_cli.h"

#include "sql/tokenize.h"
#include "util/array.h"
#include "util/io.h"
#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

static const char head[] =
	"usage: sochdb-sql [-d DIR] [options] [FILE...]\n"
	"Runs SQL (SQLite's dialect) on the database in DIR: the -c texts and\n"
	"FILEs in order ('-' is stdin), else stdin, or a prompt on a terminal.\n"
	"A FILE or -c may hold dot-commands too (.help lists them).\n"
	"Exit status: 0 ok, 2 usage error, 3 a statement failed,\n"
	"4 committed but writing the output failed.\n"
	"\n";

enum {
	S_CMD = 1, S_FORMAT, S_HEADER, S_NO_HEADER, S_PARAM, S_BAIL, S_READONLY,
	S_MEMORY, S_VERSION,
};

static const struct opt opts[] = {
	{ DBOPT_DB, 'd', "db", "DIR", "database directory (default $SOCHDB_DIR, else ./sochdb_data)" },
	{ S_CMD, 'c', "command", "SQL", "run SQL or one dot-command (repeatable, in order)" },
	{ S_FORMAT, 0, "format", "F", "table, box, csv, tsv, json, jsonl, toon, markdown or line\n"
	  "(default: table on a terminal, else tsv)" },
	{ S_HEADER, 0, "header", NULL, "a header line in csv, tsv, table, box, markdown (default)" },
	{ S_NO_HEADER, 0, "no-header", NULL, "no header line" },
	{ S_PARAM, 0, "param", "[NAME=]VALUE", "bind ?N in turn, or :NAME, @NAME, $NAME (repeatable)" },
	{ S_BAIL, 0, "bail", NULL, "stop at the first failed statement" },
	{ S_READONLY, 0, "readonly", NULL, "never write (a missing DIR is an error)" },
	{ DBOPT_SYNC, 0, "sync", "MODE", "full (default): fsync each commit; normal; off" },
	{ DBOPT_LOCK_TIMEOUT, 0, "lock-timeout", "SECS", "wait this long for the write lock (default 30)" },
	{ S_MEMORY, 0, "memory-limit", "SIZE", "sorts, hash tables and buffered output spill past\n"
	  "SIZE (default 256M)" },
	{ S_VERSION, 0, "version", NULL, "print the version" },
	{ OPT_QUIET, 'q', "quiet", NULL, NULL },
	{ OPT_VERBOSE, 'v', "verbose", NULL, NULL },
	OPT_END
};

/* ------------------------------------------------------------ output */

void shell_once_done(struct shell *sh)
{
	if (sh->once && sh->out) {
		fclose(sh->out);
		sh->out = NULL;
	}
	sh->once = 0;
}

FILE *shell_out(struct shell *sh)
{
	return sh->out ? sh->out : stdout;
}

int shell_sink(void *ctx, const char *p, size_t n, struct sdb_error *e)
{
	struct shell *sh = ctx;

	if (n && fwrite(p, 1, n, shell_out(sh)) != n)
		return sdb_error_sys(e, SDB_EIO, "write failure on %s",
				     sh->out ? "the output file" : "standard output");
	return 0;
}

/* "near "X": syntax error" -> "syntax error near "X"" (the words). */
static const char *reword(const char *msg, char *buf, size_t n)
{
	static const char tail[] = ": syntax error";
	size_t len = strlen(msg), tl = sizeof(tail) - 1;

	if (!strncmp(msg, "near ", 5) && len > tl && !strcmp(msg + len - tl, tail)) {
		snprintf(buf, n, "syntax error near %.*s", (int)(len - tl - 5), msg + 5);
		return buf;
	}
	return msg;
}

void shell_report(struct shell *sh, const struct shell_src *src, long line,
		  long col, int code, const struct sdb_error *e)
{
	char buf[700];
	const char *msg = e && e->msg[0] ? e->msg : sdb_strerror(code);

	fflush(shell_out(sh));
	msg = reword(msg, buf, sizeof(buf));
	if (line > 0)
		fprintf(stderr, "%s: %s%sline %ld, column %ld: %s\n", cli_prog,
			src && src->name ? src->name : "", src && src->name ? ": " : "",
			line, col, msg);
	else
		fprintf(stderr, "%s: %s%s%s\n", cli_prog, src && src->name ? src->name : "",
			src && src->name ? ": " : "", msg);
}

/* ------------------------------------------------------------ connection */

int shell_conn(struct shell *sh)
{
	struct sdb_error e;
	int rc;

	if (sh->conn)
		return 0;
	sdb_error_clear(&e);
	rc = sql_open(&sh->oo, &sh->conn, &e);
	if (rc) {
		if (rc == SDB_ENOTFOUND && sh->oo.readonly && !e.msg[0])
			sdb_error_set(&e, rc, "no database at '%s'", sh->oo.dir);
		shell_report(sh, NULL, 0, 0, rc, &e);
		sh->conn = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------ parameters */

static void value_free(struct sql_value *v)
{
	if (v->type == SQLV_TEXT || v->type == SQLV_BLOB)
		free((void *)v->u.z);
	*v = sql_null();
}

/* A copy of v with its own bytes. */
static int value_dup(struct sql_value *out, const struct sql_value *v)
{
	*out = *v;
	if (v->type == SQLV_TEXT || v->type == SQLV_BLOB) {
		char *p = malloc(v->n + 1);
		if (!p)
			return SDB_ENOMEM;
		memcpy(p, v->u.z, v->n);
		p[v->n] = 0;
		out->u.z = p;
	}
	return 0;
}

struct eval_ctx {
	struct sql_value v;
	int got;
};

static int eval_row(void *ctx, struct sql_stmt_h *st)
{
	struct eval_ctx *x = ctx;

	if (!x->got && sql_column_count(st) == 1) {
		x->got = 1;
		return value_dup(&x->v, sql_column(st, 0));
	}
	return 0;
}

int shell_param_set(struct shell *sh, const char *name, const char *text)
{
	struct shell_param *p = NULL;
	struct eval_ctx x = { sql_null(), 0 };
	struct sdb_buf q = SDB_BUF_INIT;
	struct sdb_error e;

	/* the value: an SQL literal or expression, else the text itself */
	sdb_buf_adds(&q, "SELECT ");
	sdb_buf_adds(&q, text);
	sdb_buf_addc(&q, 0);
	if (!sdb_buf_ok(&q) || !*text || shell_conn(sh) ||
	    shell_query(sh, q.data, eval_row, &x, &e) || !x.got) {
		value_free(&x.v);
		x.v = sql_text(text, strlen(text));
		if (value_dup(&x.v, &x.v))
			die(EXIT_FAILURE_RT, "out of memory");
	}
	sdb_buf_release(&q);
	if (name) {
		for (size_t i = 0; i < sh->nparams; i++)
			if (sh->params[i].name && !strcmp(sh->params[i].name, name))
				p = &sh->params[i];
	}
	if (!p) {
		if (sdb_grow((void **)&sh->params, &sh->cap_params, sh->nparams + 1,
			     sizeof(*sh->params), 8))
			die(EXIT_FAILURE_RT, "out of memory");
		p = &sh->params[sh->nparams++];
		memset(p, 0, sizeof(*p));
		if (name && !(p->name = strdup(name)))
			die(EXIT_FAILURE_RT, "out of memory");
		if (!name) {
			char num[32];
			snprintf(num, sizeof(num), "?%zu", ++sh->npos);
			if (!(p->name = strdup(num)))
				die(EXIT_FAILURE_RT, "out of memory");
		}
	} else {
		value_free(&p->v);
	}
	p->v = x.v;
	return 0;
}

void shell_param_clear(struct shell *sh, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < sh->nparams; i++) {
		if (!name || !strcmp(sh->params[i].name, name)) {
			free(sh->params[i].name);
			value_free(&sh->params[i].v);
			continue;
		}
		sh->params[k++] = sh->params[i];
	}
	sh->nparams = k;
	if (!name)
		sh->npos = 0;
}

/* The value for parameter i of st, or NULL. A parameter named ":x" is
 * matched by a setting named ":x" or "x"; "?N" and "?" by the N-th. */
static const struct sql_value *param_for(struct shell *sh, struct sql_stmt_h *st, int i)
{
	const char *name = sql_bind_name(st, i);
	char num[32];

	if (name) {
		for (size_t k = 0; k < sh->nparams; k++) {
			const char *pn = sh->params[k].name;
			if (!strcmp(pn, name) || !strcmp(pn, name + 1))
				return &sh->params[k].v;
		}
	}
	snprintf(num, sizeof(num), "?%d", i);
	for (size_t k = 0; k < sh->nparams; k++)
		if (!strcmp(sh->params[k].name, num) ||
		    (num[0] && !strcmp(sh->params[k].name, num + 1)))
			return &sh->params[k].v;
	return NULL;
}

static int bind_params(struct shell *sh, struct sql_stmt_h *st, struct sdb_error *e)
{
	int n = sql_bind_count(st), rc;

	for (int i = 1; i <= n; i++) {
		const struct sql_value *v = param_for(sh, st, i);
		if (v && (rc = sql_bind(st, i, v)))
			return sdb_error_code(e, rc);
	}
	return 0;
}

/* ------------------------------------------------------------ statements */

int shell_query(struct shell *sh, const char *sql, shell_row_fn fn, void *ctx,
		struct sdb_error *e)
{
	size_t len = strlen(sql), used = 0;
	struct sql_stmt_h *st = NULL;
	int rc;

	if ((rc = shell_conn(sh)))
		return sdb_error_code(e, rc);
	sdb_error_clear(e);
	if ((rc = sql_prepare_now(sh->conn, sql, len, &used, &st, e)))
		return rc;
	if (!st)
		return 0;
	while ((rc = sql_step(st, e)) == 1)
		if (fn && (rc = fn(ctx, st)))
			break;
	sql_finalize(st);
	return rc < 0 ? rc : 0;
}

/* Cells of the current row: REAL as SQLite's text (in txt). */
static void row_cells(struct sql_stmt_h *st, int n, struct sdb_cell *cells,
		      char (*txt)[40], int json)
{
	for (int i = 0; i < n; i++) {
		const struct sql_value *v = sql_column(st, i);
		switch (v ? v->type : SQLV_NULL) {
		case SQLV_INT:
			cells[i] = sdb_cell_int(v->u.i);
			break;
		case SQLV_REAL:
			if (json && isinf(v->u.r))
				strcpy(txt[i], v->u.r > 0 ? "1e999" : "-1e999");
			else if (json && isnan(v->u.r))
				strcpy(txt[i], "null");
			else
				sql_real_fmt(v->u.r, txt[i]);
			cells[i] = sdb_cell_num(txt[i]);
			break;
		case SQLV_TEXT:
			cells[i] = sdb_cell_text(v->u.z, v->n);
			break;
		case SQLV_BLOB:
			cells[i] = sdb_cell_blob(v->u.z, v->n);
			break;
		default:
			cells[i] = sdb_cell_null();
			break;
		}
	}
}

static int header_on(const struct shell *sh)
{
	return sh->header < 0 ? 1 : sh->header;
}

/* Writes the rows of a query statement. rc of the step loop. */
static int print_rows(struct shell *sh, struct sql_stmt_h *st, struct sdb_error *e)
{
	int n = sql_column_count(st), rc, json;
	struct sdb_fmt_col *cols = calloc((size_t)n + 1, sizeof(*cols));
	struct sdb_cell *cells = calloc((size_t)n + 1, sizeof(*cells));
	char (*txt)[40] = calloc((size_t)n + 1, sizeof(*txt));
	struct sdb_fmt_opts o = { sh->fmt, header_on(sh) ? SDB_FMT_HEADER : 0, &sh->ob,
				  shell_sink, sh };
	struct sdb_fmt_more m = { sh->null_text, sh->oo.memory_limit, NULL };
	struct sdb_fmt_writer w;
	int begun = 0;
	struct stat sb;

	if (!cols || !cells || !txt) {
		free(cols);
		free(cells);
		free(txt);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	/* once it exists the directory stays (asked once, not per statement) */
	if (sh->oo.dir && !sh->tmp_dir_ok && !stat(sh->oo.dir, &sb) && S_ISDIR(sb.st_mode))
		sh->tmp_dir_ok = 1;
	if (sh->tmp_dir_ok)
		m.tmp_dir = sh->oo.dir;
	json = sh->fmt == SDB_FMT_JSON || sh->fmt == SDB_FMT_JSONL || sh->fmt == SDB_FMT_TOON;
	for (int i = 0; i < n; i++) {
		const char *name = sql_column_name(st, i);
		cols[i].name = name ? name : "";
		cols[i].flags = SDB_FMT_COL_B64;
	}
	/* json and toon write [] for no rows; the others nothing at all, as
	 * sqlite3 (not even a header) */
	while ((rc = sql_step(st, e)) == 1) {
		if (!begun) {
			if ((rc = sdb_fmt_begin(&w, &o, cols, (size_t)n, e)))
				break;
			sdb_fmt_set(&w, &m);
			begun = 1;
		}
		row_cells(st, n, cells, txt, json);
		if ((rc = sdb_fmt_row(&w, cells, e)))
			break;
	}
	if (rc >= 0 && !begun && (sh->fmt == SDB_FMT_JSON || sh->fmt == SDB_FMT_TOON)) {
		if (!(rc = sdb_fmt_begin(&w, &o, cols, (size_t)n, e)))
			begun = 1;
	}
	if (begun) {
		if (rc >= 0) {
			int r2 = sdb_fmt_end(&w, e);
			if (r2)
				rc = r2;
		} else {
			sdb_fmt_release(&w);
			sdb_buf_reset(&sh->ob);
		}
	}
	free(cols);
	free(cells);
	free(txt);
	return rc < 0 ? rc : 0;
}

/* .eqp on: the plan as sqlite3 draws it ("QUERY PLAN" and a tree). */
struct eqp_row {
	int id, parent;
	char *detail;
};
struct eqp_ctx {
	struct eqp_row *r;
	size_t n, cap;
};

static int eqp_add(void *ctx, struct sql_stmt_h *st)
{
	struct eqp_ctx *x = ctx;
	const struct sql_value *d;

	if (sql_column_count(st) < 4)
		return 0;
	if (sdb_grow((void **)&x->r, &x->cap, x->n + 1, sizeof(*x->r), 8))
		return SDB_ENOMEM;
	d = sql_column(st, 3);
	x->r[x->n].id = (int)sql_value_to_int(sql_column(st, 0));
	x->r[x->n].parent = (int)sql_value_to_int(sql_column(st, 1));
	x->r[x->n].detail = strndup(d && d->type == SQLV_TEXT ? d->u.z : "",
				    d && d->type == SQLV_TEXT ? d->n : 0);
	x->n++;
	return 0;
}

static void eqp_draw(FILE *f, struct eqp_ctx *x, int parent, char *prefix, size_t plen)
{
	for (size_t i = 0; i < x->n; i++) {
		size_t next;
		int last = 1;
		if (x->r[i].parent != parent)
			continue;
		for (next = i + 1; next < x->n; next++)
			if (x->r[next].parent == parent) {
				last = 0;
				break;
			}
		fprintf(f, "%.*s%s%s\n", (int)plen, prefix, last ? "`--" : "|--",
			x->r[i].detail ? x->r[i].detail : "");
		if (plen + 4 < 400) {
			memcpy(prefix + plen, last ? "   " : "|  ", 3);
			eqp_draw(f, x, x->r[i].id, prefix, plen + 3);
		}
	}
}

static void eqp(struct shell *sh, const char *sql, size_t len)
{
	struct sdb_buf q = SDB_BUF_INIT;
	struct eqp_ctx x = { NULL, 0, 0 };
	struct sdb_error e;
	char prefix[404];

	sdb_buf_adds(&q, "EXPLAIN QUERY PLAN ");
	sdb_buf_add(&q, sql, len);
	sdb_buf_addc(&q, 0);
	if (sdb_buf_ok(&q) && !shell_query(sh, q.data, eqp_add, &x, &e) && x.n) {
		fprintf(shell_out(sh), "QUERY PLAN\n");
		eqp_draw(shell_out(sh), &x, 0, prefix, 0);
	}
	for (size_t i = 0; i < x.n; i++)
		free(x.r[i].detail);
	free(x.r);
	sdb_buf_release(&q);
}

/* A statement that starts with EXPLAIN (the eqp output would repeat it). */
static int is_explain(const char *sql, size_t len)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;

	sdb_sql_lexer_init(&lx, sql, len);
	return !sdb_sql_lexer_next(&lx, &t, NULL) && t.type == SQL_TK_KEYWORD &&
	       t.kw == SQL_KW_EXPLAIN;
}

static double cpu_time(int sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return sys ? (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6
		   : (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

int shell_exec_sql(struct shell *sh, const char *sql, size_t len,
		   const struct shell_src *src, long line, long col)
{
	struct sql_stmt_h *st = NULL;
	struct sdb_error e;
	double t0 = 0, u0 = 0, s0 = 0;
	size_t used = 0;
	int rc;

	if ((rc = shell_conn(sh))) {
		sh->failed = 1;
		return rc;
	}
	if (sh->timer) {
		t0 = cli_now();
		u0 = cpu_time(0);
		s0 = cpu_time(1);
	}
	sdb_error_clear(&e);
	rc = sql_prepare_now(sh->conn, sql, len, &used, &st, &e);
	if (!rc && st && sh->eqp && !is_explain(sql, len))
		eqp(sh, sql, len);
	if (!rc && st)
		rc = bind_params(sh, st, &e);
	if (!rc && st) {
		if (sql_column_count(st) > 0) {
			rc = print_rows(sh, st, &e);
		} else {
			while ((rc = sql_step(st, &e)) == 1)
				;
		}
		if (!rc && !sql_stmt_readonly(st))
			cli_committed();
	}
	if (st)
		sql_finalize(st);
	if (rc < 0) {
		long l = line, c = col;
		if (e.line > 0) {
			c = e.line == 1 ? col + e.column - 1 : e.column;
			l = line + e.line - 1;
		}
		if (e.code == SDB_EIO && !strncmp(e.msg, "write failure", 13))
			cli_die_output(&e);
		shell_report(sh, src, l, c, rc, &e);
		sh->failed = 1;
	}
	if (sh->changes && rc >= 0)
		fprintf(shell_out(sh), "changes: %" PRId64 "   total_changes: %" PRId64 "\n",
			sql_changes(sh->conn), sql_total_changes(sh->conn));
	if (sh->timer)
		fprintf(shell_out(sh), "Run Time: real %.3f user %f sys %f\n", cli_now() - t0,
			cpu_time(0) - u0, cpu_time(1) - s0);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ scripts */

/* Advances line/col over text[from..to). */
static void advance(const char *text, size_t from, size_t to, long *line, long *col)
{
	sdb_sql_advance(text, from, to, line, col);
}

/* Blank: white space and comments only. */
static int blank(const char *p, size_t n)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;

	sdb_sql_lexer_init(&lx, p, n);
	return !sdb_sql_lexer_next(&lx, &t, NULL) && t.type == SQL_TK_EOF;
}

/* Only blanks before text[pos] on its line. */
static int line_start(const char *text, size_t pos)
{
	while (pos > 0 && (text[pos - 1] == ' ' || text[pos - 1] == '\t'))
		pos--;
	return pos == 0 || text[pos - 1] == '\n';
}

int shell_run(struct shell *sh, const char *text, size_t len,
	      const struct shell_src *src)
{
	size_t pos = 0;
	long line = src->line0, col = src->col0;

	while (pos < len && !sh->quit) {
		size_t p = pos, end, slen;
		/* white space before the next thing */
		while (p < len && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' ||
				   text[p] == '\r' || text[p] == '\f' || text[p] == '\v'))
			p++;
		advance(text, pos, p, &line, &col);
		pos = p;
		if (pos >= len)
			break;
		if (text[pos] == '.' && line_start(text, pos)) {
			const char *nl = memchr(text + pos, '\n', len - pos);
			size_t e = nl ? (size_t)(nl - text) : len;
			int rc = shell_dot(sh, text + pos, e - pos, src, line);
			advance(text, pos, e, &line, &col);
			pos = e;
			if (rc && sh->bail)
				return -1;
			continue;
		}
		sdb_sql_split(text + pos, len - pos, &end, &slen);
		if (!blank(text + pos, slen)) {
			/* with its ';', so the engine words errors as sqlite3 */
			int rc = shell_exec_sql(sh, text + pos, end, src, line, col);
			shell_once_done(sh);
			if (rc && sh->bail)
				return -1;
		}
		advance(text, pos, pos + end, &line, &col);
		pos += end;
	}
	return sh->quit ? -1 : 0;
}

/* Runs the text of acc (lines line0..) and empties it. */
static int run_acc(struct shell *sh, struct sdb_buf *acc, const char *name, long line0)
{
	struct shell_src src = { name, line0, 1 };
	int rc = shell_run(sh, acc->data ? acc->data : "", acc->len, &src);

	acc->len = 0;
	return rc;
}

/* Takes line[0..n) (with its newline) into acc and runs acc when the
 * line completes a statement, or runs the line alone when it is a
 * dot-command between statements. @return 0, -1 (bail) or 1 (out of
 * memory). */
static int stream_line(struct shell *sh, struct sdb_buf *acc, const char *line, size_t n,
		       const char *name, long lineno, long *line0)
{
	const char *p = line, *end = line + n;
	int dot, rc = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	dot = p < end && *p == '.' && blank(acc->data ? acc->data : "", acc->len);
	if (dot) {
		acc->len = 0;
		*line0 = lineno;
	}
	sdb_buf_add(acc, line, n);
	if (!sdb_buf_ok(acc))
		return 1;
	/* only a line with a ';' can complete a statement */
	if (dot || (memchr(line, ';', n) && shell_complete(acc->data, acc->len))) {
		rc = run_acc(sh, acc, name, *line0);
		*line0 = lineno + 1;
	}
	return rc;
}

/* A pipe, FIFO or device (not a file that can be mapped): each statement
 * runs as soon as the line that completes it is read, and each
 * dot-command line as it comes, and the output is flushed whenever the
 * input has nothing more at hand, so a program driving the shell through
 * a pipe gets every answer before it sends the next statement, and a dump
 * larger than memory streams through, as sqlite3 reads its input. */
static int run_stream(struct shell *sh, int fd, const char *name)
{
	struct sdb_buf acc = SDB_BUF_INIT;
	struct cli_lines lr;
	long lineno = 0, line0 = 1;
	int rc = 0, err = 0;
	struct sdb_error e;

	sdb_error_clear(&e);
	cli_lines_init(&lr, fd, name);
	while (!rc && !sh->quit) {
		const char *p;
		size_t n;
		int got = cli_lines_next(&lr, &p, &n, &e);
		if (got == CLI_LINES_IDLE) {
			/* nothing at hand: answers out before waiting for more */
			fflush(shell_out(sh));
			continue;
		}
		if (got <= 0) {
			err = got; /* 0: end of input; else a read error, e set */
			break;
		}
		lineno++;
		if ((rc = stream_line(sh, &acc, p, n, name, lineno, &line0)) > 0) {
			err = sdb_error_set(&e, SDB_ENOMEM, "out of memory");
			rc = 0;
			break;
		}
	}
	if (err) {
		/* the rest of the input cannot be had: nothing after it runs */
		shell_report(sh, NULL, 0, 0, err, &e);
		sh->failed = 1;
		rc = -1;
	}
	if (!rc && !sh->quit && acc.len)
		rc = run_acc(sh, &acc, name, line0); /* an unfinished last statement */
	fflush(shell_out(sh));
	sdb_buf_release(&acc);
	cli_lines_release(&lr);
	return sh->quit ? -1 : rc;
}

/* Runs a file ("-": stdin). @return 0 or -1 (bail). */
static int run_file(struct shell *sh, const char *path)
{
	struct sdb_input in;
	struct sdb_error e;
	struct shell_src src = { NULL, 1, 1 };
	struct stat st;
	int rc;

	if (!strcmp(path, "-") && !fstat(0, &st) && !S_ISREG(st.st_mode))
		return run_stream(sh, 0, NULL);
	if (strcmp(path, "-") && !stat(path, &st) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			rc = run_stream(sh, fd, path);
			close(fd);
			return rc;
		}
	}
	if ((rc = sdb_input_open(&in, path, &e))) {
		shell_report(sh, NULL, 0, 0, rc, &e);
		sh->failed = 1;
		return sh->bail ? -1 : 0;
	}
	if (strcmp(path, "-"))
		src.name = path;
	rc = shell_run(sh, in.data ? in.data : "", in.len, &src);
	sdb_input_close(&in);
	return rc;
}

/* -c TEXT: SQL, or one dot-command. */
static int run_cmd(struct shell *sh, const char *text)
{
	struct shell_src src = { NULL, 1, 1 };
	const char *p = text;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '.') {
		int rc = shell_dot(sh, p, strlen(p), &src, 1);
		return rc && sh->bail ? -1 : (sh->quit ? -1 : 0);
	}
	return shell_run(sh, text, strlen(text), &src);
}

struct item {
	int is_cmd;
	const char *s;
};

int main(int argc, char **argv)
{
	struct shell sh;
	struct dbopt db;
	struct opt_parser p;
	struct item *items = NULL;
	size_t nitems = 0, cap = 0;
	const char *v, *fmt = NULL;
	int id, status, rc = 0;
	struct {
		char *name;
		const char *val;
	} *pv = NULL;
	size_t npv = 0, cappv = 0;

	cli_init("sochdb-sql");
	memset(&sh, 0, sizeof(sh));
	sh.header = -1;
	dbopt_init(&db);
	sql_open_opts_default(&sh.oo);
	opt_init(&p, opts, head, argc, argv);
	while ((id = opt_next(&p, &v)) != OPT_EOF) {
		if (dbopt_take(&db, id, v))
			continue;
		switch (id) {
		case OPT_ARG:
		case S_CMD:
			if (sdb_grow((void **)&items, &cap, nitems + 1, sizeof(*items), 8))
				die(EXIT_FAILURE_RT, "out of memory");
			items[nitems].is_cmd = id == S_CMD;
			items[nitems++].s = v;
			break;
		case S_FORMAT: fmt = v; break;
		case S_HEADER: sh.header = 1; break;
		case S_NO_HEADER: sh.header = 0; break;
		case S_PARAM: {
			const char *eq = strchr(v, '=');
			if (sdb_grow((void **)&pv, &cappv, npv + 1, sizeof(*pv), 8))
				die(EXIT_FAILURE_RT, "out of memory");
			pv[npv].name = NULL;
			pv[npv].val = v;
			/* NAME=VALUE when NAME looks like a parameter name */
			if (eq && eq > v) {
				size_t k = (size_t)(eq - v), i = 0;
				if (strchr(":@$?", v[0]))
					i = 1;
				while (i < k && (v[i] == '_' || (v[i] >= '0' && v[i] <= '9') ||
						 ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z') ||
						 (unsigned char)v[i] >= 0x80))
					i++;
				if (i == k) {
					pv[npv].name = strndup(v, k);
					pv[npv].val = eq + 1;
				}
			}
			npv++;
			break;
		}
		case S_BAIL: sh.bail = 1; break;
		case S_READONLY: sh.oo.readonly = 1; break;
		case S_MEMORY:
			sh.oo.memory_limit = (size_t)parse_size("--memory-limit", v);
			if (!sh.oo.memory_limit)
				die_usage("invalid size '%s' for --memory-limit (must be above 0)", v);
			break;
		case S_VERSION:
			printf("%s %s\n", cli_prog, SOCHDB_VERSION);
			return cli_finish(EXIT_OK);
		default:
			break;
		}
	}
	sh.oo.dir = db.dir;
	sh.oo.store = db.o;
	if (!sh.oo.memory_limit)
		sh.oo.memory_limit = (size_t)256 << 20;
	sh.interactive = !nitems && isatty(0);
	if (fmt) {
		if (shell_parse_mode(fmt, &sh.fmt)) {
			die_usage("invalid value '%s' for --format (expected table, box, csv, tsv, json, jsonl, toon, markdown or line)", fmt);
		}
	} else {
		sh.fmt = isatty(1) ? SDB_FMT_TABLE : SDB_FMT_TSV;
	}
	for (size_t i = 0; i < npv; i++) {
		shell_param_set(&sh, pv[i].name, pv[i].val);
		free(pv[i].name);
	}
	free(pv);
	if (sh.interactive) {
		status = shell_prompt(&sh);
	} else {
		if (!nitems)
			rc = run_file(&sh, "-");
		for (size_t i = 0; i < nitems && !rc; i++)
			rc = items[i].is_cmd ? run_cmd(&sh, items[i].s) : run_file(&sh, items[i].s);
		status = sh.failed ? EXIT_FAILURE_RT : EXIT_OK;
	}
	if (sh.out)
		fclose(sh.out);
	sql_close(sh.conn);
	shell_param_clear(&sh, NULL);
	free(sh.params);
	free(sh.null_text);
	sdb_buf_release(&sh.ob);
	free(items);
	return cli_finish(status);
}
