/*
 * sql_import.c - .import of sochdb-sql: CSV (RFC 4180 as sqlite3 reads
 * it), TSV (DESIGN.md's escaping, \N = NULL) or JSONL rows into a table.
 *
 * As sqlite3 3.40: when TABLE exists every record is data, converted by
 * the columns' affinity; when it does not, the first record names the
 * columns of a new table (CREATE TABLE IF NOT EXISTS "t"("a" TEXT, ...)).
 * Unlike sqlite3, which warns and goes on, a record with the wrong number
 * of fields or a malformed one is an error naming its line: the whole
 * import is one savepoint (the transaction outside BEGIN), so nothing of
 * it stays. Speed: the file is mapped, fields are found with memchr, one
 * INSERT is prepared and each record bound and stepped.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "json/json.h"
#include "util/array.h"
#include "util/io.h"
#include "util/tsv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { IMP_CSV, IMP_TSV, IMP_JSONL };

struct field {
	const char *p;
	size_t n;
	int null;
};

struct imp {
	struct shell *sh;
	const char *file;
	const char *p, *end;   /* the input, and how far it is read */
	const char *base;
	long line;             /* line of the next record */
	int kind;
	struct field *f;
	size_t nf, capf;
	struct sdb_buf scratch; /* unquoted/unescaped field bytes */
	size_t *soff;          /* per field: offset in scratch + 1, or 0 */
	size_t caps;
	char err[300];
	long err_line, err_col;
};

static int imp_fail(struct imp *x, long line, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int imp_fail(struct imp *x, long line, const char *at, const char *fmt, ...)
{
	va_list ap;
	const char *ls = at;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	x->err_line = line;
	x->err_col = 1;
	if (at) {
		while (ls > x->base && ls[-1] != '\n')
			ls--;
		for (const char *c = ls; c < at; c++)
			x->err_col += ((unsigned char)*c & 0xc0) != 0x80;
	}
	return SDB_EPARSE;
}

static int add_field(struct imp *x, const char *p, size_t n, size_t soff, int null)
{
	if (sdb_grow((void **)&x->f, &x->capf, x->nf + 1, sizeof(*x->f), 16) ||
	    sdb_grow((void **)&x->soff, &x->caps, x->nf + 1, sizeof(*x->soff), 16))
		return SDB_ENOMEM;
	x->f[x->nf].p = p;
	x->f[x->nf].n = n;
	x->f[x->nf].null = null;
	x->soff[x->nf] = soff;
	x->nf++;
	return 0;
}

/* Points fields kept in scratch at their bytes (scratch may have moved). */
static void fix_fields(struct imp *x)
{
	for (size_t i = 0; i < x->nf; i++)
		if (x->soff[i])
			x->f[i].p = x->scratch.data + x->soff[i] - 1;
}

/* The next CSV record. @return 1 one read, 0 at the end, or an error. */
static int csv_record(struct imp *x)
{
	const char *p = x->p, *end = x->end;
	long start = x->line;

	x->nf = 0;
	sdb_buf_reset(&x->scratch);
	if (p >= end)
		return 0;
	{
		/* the common record: one line without quotes, split at commas */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!memchr(p, '"', (size_t)(le - p))) {
			const char *stop = le > p && le[-1] == '\r' ? le - 1 : le;
			for (;;) {
				const char *c = memchr(p, ',', (size_t)(stop - p));
				const char *fe = c ? c : stop;
				if (add_field(x, p, (size_t)(fe - p), 0, 0))
					return SDB_ENOMEM;
				if (!c)
					break;
				p = c + 1;
			}
			x->p = nl ? nl + 1 : end;
			x->line++;
			return 1;
		}
	}
	for (;;) {
		if (p < end && *p == '"') {
			/* quoted: "" is a quote; runs over line ends */
			const char *q = p + 1;
			size_t off = x->scratch.len;
			for (;;) {
				const char *dq = memchr(q, '"', (size_t)(end - q));
				if (!dq)
					return imp_fail(x, start, p, "unterminated \"-quoted field");
				for (const char *c = q; c < dq; c++)
					x->line += *c == '\n';
				sdb_buf_add(&x->scratch, q, (size_t)(dq - q));
				if (dq + 1 < end && dq[1] == '"') {
					sdb_buf_addc(&x->scratch, '"');
					q = dq + 2;
					continue;
				}
				p = dq + 1;
				break;
			}
			if (p < end && *p != ',' && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n'))
				return imp_fail(x, x->line, p, "unescaped \" character");
			if (add_field(x, NULL, x->scratch.len - off, off + 1, 0))
				return SDB_ENOMEM;
		} else {
			const char *s = p;
			while (p < end && *p != ',' && *p != '\n')
				p++;
			size_t n = (size_t)(p - s);
			if (p < end && *p == '\n' && n && s[n - 1] == '\r')
				n--;
			else if (p >= end && n && s[n - 1] == '\r')
				n--;
			if (add_field(x, s, n, 0, 0))
				return SDB_ENOMEM;
		}
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n') {
			p++;
			x->line++;
		}
		break;
	}
	if (!sdb_buf_ok(&x->scratch))
		return SDB_ENOMEM;
	fix_fields(x);
	x->p = p;
	return 1;
}

/* The next TSV line. */
static int tsv_record(struct imp *x)
{
	const char *p = x->p, *end = x->end, *nl, *le;

	x->nf = 0;
	sdb_buf_reset(&x->scratch);
	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	le = nl ? nl : end;
	for (;;) {
		const char *t = memchr(p, '\t', (size_t)(le - p));
		const char *fe = t ? t : le;
		size_t n = (size_t)(fe - p);
		if (sdb_tsv_is_null(p, n)) {
			if (add_field(x, NULL, 0, 0, 1))
				return SDB_ENOMEM;
		} else if (memchr(p, '\\', n)) {
			size_t off = x->scratch.len, col = 0;
			if (sdb_tsv_unescape(&x->scratch, p, n, &col))
				return imp_fail(x, x->line, p + (col ? col - 1 : 0), "bad escape in a TSV field");
			if (add_field(x, NULL, x->scratch.len - off, off + 1, 0))
				return SDB_ENOMEM;
		} else if (add_field(x, p, n, 0, 0)) {
			return SDB_ENOMEM;
		}
		if (!t)
			break;
		p = t + 1;
	}
	if (!sdb_buf_ok(&x->scratch))
		return SDB_ENOMEM;
	fix_fields(x);
	x->p = nl ? nl + 1 : end;
	x->line++;
	return 1;
}

static int next_record(struct imp *x)
{
	return x->kind == IMP_CSV ? csv_record(x) : tsv_record(x);
}

/* ------------------------------------------------------------ engine */

static int run_sql(struct shell *sh, const char *sql, struct sdb_error *e)
{
	return shell_query(sh, sql, NULL, NULL, e);
}

struct tinfo {
	int exists;
};

/* The column names of an existing table (prepare only). */
static int table_columns(struct shell *sh, const char *table, char ***names,
			 int *n, struct sdb_error *e)
{
	struct sdb_buf q = SDB_BUF_INIT;
	struct sql_stmt_h *st = NULL;
	size_t used;
	int rc;

	sdb_buf_adds(&q, "SELECT * FROM ");
	shell_quote_name(&q, table);
	if (!sdb_buf_ok(&q))
		return SDB_ENOMEM;
	rc = sql_prepare(sh->conn, q.data, q.len, &used, &st, e);
	sdb_buf_release(&q);
	if (rc)
		return rc;
	*n = st ? sql_column_count(st) : 0;
	*names = calloc((size_t)*n + 1, sizeof(**names));
	for (int i = 0; *names && i < *n; i++)
		(*names)[i] = strdup(sql_column_name(st, i) ? sql_column_name(st, i) : "");
	sql_finalize(st);
	return *names ? 0 : SDB_ENOMEM;
}

int shell_table_exists(struct shell *sh, const char *table)
{
	char **names = NULL;
	int n = 0;
	struct sdb_error pe;
	int rc = table_columns(sh, table, &names, &n, &pe);
	for (int k = 0; names && k < n; k++)
		free(names[k]);
	free(names);
	return rc == SDB_ENOMEM ? rc : !rc;
}

/* Prepares INSERT INTO t[(cols)] VALUES(?,...). */
static int prepare_insert(struct shell *sh, const char *table, char **cols, int n,
			  struct sql_stmt_h **st, struct sdb_error *e)
{
	struct sdb_buf q = SDB_BUF_INIT;
	size_t used;
	int rc;

	sdb_buf_adds(&q, "INSERT INTO ");
	shell_quote_name(&q, table);
	if (cols) {
		sdb_buf_addc(&q, '(');
		for (int i = 0; i < n; i++) {
			if (i)
				sdb_buf_addc(&q, ',');
			shell_quote_name(&q, cols[i]);
		}
		sdb_buf_addc(&q, ')');
	}
	sdb_buf_adds(&q, " VALUES(");
	for (int i = 0; i < n; i++)
		sdb_buf_adds(&q, i ? ",?" : "?");
	sdb_buf_addc(&q, ')');
	if (!sdb_buf_ok(&q))
		return SDB_ENOMEM;
	rc = sql_prepare(sh->conn, q.data, q.len, &used, st, e);
	sdb_buf_release(&q);
	return rc;
}

/* CREATE TABLE IF NOT EXISTS "t"(\n"a" TEXT, ...) as sqlite3 3.40. */
static int create_table(struct shell *sh, const char *table, struct imp *x,
			struct sdb_error *e)
{
	struct sdb_buf q = SDB_BUF_INIT;
	int rc;

	sdb_buf_adds(&q, "CREATE TABLE IF NOT EXISTS \"");
	for (const char *c = table; *c; c++) {
		if (*c == '"')
			sdb_buf_addc(&q, '"');
		sdb_buf_addc(&q, *c);
	}
	sdb_buf_adds(&q, "\"(\n");
	for (size_t i = 0; i < x->nf; i++) {
		if (i)
			sdb_buf_adds(&q, ", ");
		sdb_buf_addc(&q, '"');
		for (size_t k = 0; k < x->f[i].n; k++) {
			if (x->f[i].p[k] == '"')
				sdb_buf_addc(&q, '"');
			sdb_buf_addc(&q, x->f[i].p[k]);
		}
		sdb_buf_adds(&q, "\" TEXT");
	}
	sdb_buf_addc(&q, ')');
	sdb_buf_addc(&q, 0);
	rc = sdb_buf_ok(&q) ? run_sql(sh, q.data, e) : SDB_ENOMEM;
	sdb_buf_release(&q);
	return rc;
}

/* ------------------------------------------------------------ JSONL */

/* Binds JSON value i of d to parameter k. */
static int bind_json(struct sql_stmt_h *st, int k, const struct sdb_json_doc *d,
		     size_t i, struct sdb_buf *tmp)
{
	struct sql_value v;
	const char *p;
	size_t n;

	switch (sdb_json_type(d, i)) {
	case SDB_J_NULL:
		v = sql_null();
		break;
	case SDB_J_FALSE:
	case SDB_J_TRUE:
		v = sql_int(sdb_json_type(d, i) == SDB_J_TRUE);
		break;
	case SDB_J_NUMBER: {
		char num[64], *endp;
		long long ll;
		sdb_json_raw(d, i, &p, &n);
		if (n >= sizeof(num))
			n = sizeof(num) - 1;
		memcpy(num, p, n);
		num[n] = 0;
		errno = 0;
		ll = strtoll(num, &endp, 10);
		if (!*endp && !errno)
			v = sql_int(ll);
		else
			v = sql_real(strtod(num, NULL));
		break;
	}
	case SDB_J_STRING:
		sdb_buf_reset(tmp);
		sdb_json_str(d, i, &p, &n, tmp);
		v = sql_text(p, n);
		break;
	default:
		sdb_buf_reset(tmp);
		sdb_json_write(d, i, 0, 1, tmp);
		v = sql_text(tmp->data ? tmp->data : "", tmp->len);
		break;
	}
	return sql_bind(st, k, &v);
}

static int import_jsonl(struct shell *sh, struct imp *x, const char *table, int exists,
			long skip, long *rows, struct sdb_error *e)
{
	char **cols = NULL;
	int ncols = 0, rc = 0;
	struct sql_stmt_h *st = NULL;
	struct sdb_buf tmp = SDB_BUF_INIT, key = SDB_BUF_INIT;

	if (exists && (rc = table_columns(sh, table, &cols, &ncols, e)))
		return rc;
	while (x->p < x->end && !rc) {
		const char *nl = memchr(x->p, '\n', (size_t)(x->end - x->p));
		const char *le = nl ? nl : x->end, *ls = x->p;
		struct sdb_json_doc d;
		struct sdb_error je;
		size_t i, n;
		long line = x->line++;

		x->p = nl ? nl + 1 : x->end;
		if (skip > 0) {
			skip--;
			continue;
		}
		{
			const char *c = ls;
			while (c < le && (*c == ' ' || *c == '\t' || *c == '\r'))
				c++;
			if (c == le)
				continue; /* a blank line */
		}
		memset(&d, 0, sizeof(d));
		if (sdb_json_parse(&d, ls, (size_t)(le - ls), 0, &je)) {
			rc = imp_fail(x, line, ls + (je.column > 0 ? je.column - 1 : 0), "%s", je.msg);
			sdb_json_release(&d);
			break;
		}
		if (sdb_json_type(&d, 0) != SDB_J_OBJECT) {
			rc = imp_fail(x, line, ls, "expected a JSON object");
			sdb_json_release(&d);
			break;
		}
		if (!cols) {
			/* the first object names the columns */
			struct sdb_buf q = SDB_BUF_INIT;
			n = sdb_json_count(&d, 0);
			cols = calloc(n + 1, sizeof(*cols));
			ncols = (int)n;
			sdb_buf_adds(&q, "CREATE TABLE IF NOT EXISTS ");
			shell_quote_name(&q, table);
			sdb_buf_addc(&q, '(');
			for (i = 1, n = 0; i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1), n++) {
				const char *kp;
				size_t kn;
				sdb_buf_reset(&key);
				sdb_json_str(&d, i, &kp, &kn, &key);
				cols[n] = strndup(kp, kn);
				if (n)
					sdb_buf_addc(&q, ',');
				shell_quote_name(&q, cols[n]);
			}
			sdb_buf_addc(&q, ')');
			sdb_buf_addc(&q, 0);
			rc = sdb_buf_ok(&q) ? run_sql(sh, q.data, e) : SDB_ENOMEM;
			sdb_buf_release(&q);
		}
		if (!rc && !st)
			rc = prepare_insert(sh, table, cols, ncols, &st, e);
		for (int k = 1; !rc && k <= ncols; k++) {
			struct sql_value nul = sql_null();
			rc = sql_bind(st, k, &nul);
		}
		for (i = 1; !rc && i < sdb_json_next(&d, 0); i = sdb_json_next(&d, i + 1)) {
			const char *kp;
			size_t kn;
			int k;
			sdb_buf_reset(&key);
			sdb_json_str(&d, i, &kp, &kn, &key);
			for (k = 0; k < ncols; k++)
				if (strlen(cols[k]) == kn && !strncasecmp(cols[k], kp, kn))
					break;
			if (k == ncols) {
				rc = imp_fail(x, line, ls, "table %s has no column named %.*s", table,
					      (int)kn, kp);
				break;
			}
			rc = bind_json(st, k + 1, &d, i + 1, &tmp);
		}
		sdb_json_release(&d);
		if (!rc) {
			while ((rc = sql_step(st, e)) == 1)
				;
			if (!rc)
				rc = sql_reset(st, e);
			if (!rc)
				(*rows)++;
			else {
				x->err_line = line;
				x->err_col = 0;
			}
		}
	}
	sql_finalize(st);
	for (int k = 0; cols && k < ncols; k++)
		free(cols[k]);
	free(cols);
	sdb_buf_release(&tmp);
	sdb_buf_release(&key);
	return rc;
}

/* ------------------------------------------------------------ CSV, TSV */

static int import_rows(struct shell *sh, struct imp *x, const char *table, int exists,
		       long skip, long *rows, struct sdb_error *e)
{
	struct sql_stmt_h *st = NULL;
	char **cols = NULL;
	int ncols = 0, rc = 0;

	for (; skip > 0; skip--)
		if ((rc = next_record(x)) <= 0) {
			if (rc < 0)
				return rc;
			break;
		}
	if (exists) {
		if ((rc = table_columns(sh, table, &cols, &ncols, e)))
			return rc;
	} else {
		rc = next_record(x);
		if (rc <= 0)
			return rc ? rc : imp_fail(x, x->line, NULL, "no header line to name the columns of %s", table);
		if ((rc = create_table(sh, table, x, e)))
			return rc;
		ncols = (int)x->nf;
	}
	rc = prepare_insert(sh, table, NULL, ncols, &st, e);
	while (!rc) {
		long line = x->line;
		const char *at = x->p;
		rc = next_record(x);
		if (rc <= 0)
			break;
		rc = 0;
		if ((int)x->nf != ncols) {
			rc = imp_fail(x, line, at, "expected %d columns but found %zu", ncols, x->nf);
			break;
		}
		for (int k = 0; k < ncols && !rc; k++) {
			struct sql_value v = x->f[k].null ? sql_null() : sql_text(x->f[k].p, x->f[k].n);
			rc = sql_bind(st, k + 1, &v);
		}
		if (!rc) {
			while ((rc = sql_step(st, e)) == 1)
				;
			if (!rc)
				rc = sql_reset(st, e);
		}
		if (rc) {
			x->err_line = line;
			x->err_col = 0;
		} else {
			(*rows)++;
		}
	}
	sql_finalize(st);
	for (int k = 0; cols && k < ncols; k++)
		free(cols[k]);
	free(cols);
	return rc;
}

int shell_import(struct shell *sh, int ac, char **av, const struct shell_src *src,
		 long lineno)
{
	struct imp x;
	struct sdb_input in;
	struct sdb_error e;
	const char *file = NULL, *table = NULL, *column = NULL, *ids = NULL;
	long skip = 0, rows = 0;
	int npy = 0, nextra = 0;
	char *extra[2 * 64]; /* --column NAME FILE pairs */
	int kind = -1, rc;
	struct tinfo ti = { 0 };
	struct shell_src isrc;

	for (int i = 1; i < ac; i++) {
		if (!strcmp(av[i], "--csv"))
			kind = IMP_CSV;
		else if (!strcmp(av[i], "--tsv"))
			kind = IMP_TSV;
		else if (!strcmp(av[i], "--jsonl"))
			kind = IMP_JSONL;
		else if (!strcmp(av[i], "--skip") && i + 1 < ac)
			skip = atol(av[++i]);
		else if (!strcmp(av[i], "--npy"))
			npy = 1;
		else if (!strcmp(av[i], "--ids") && i + 1 < ac)
			ids = av[++i];
		else if (!strcmp(av[i], "--column")) {
			if (i + 2 >= ac || nextra == 64) {
				/* the usage below (at most 64 of them) */
				npy = 1, column = NULL;
				break;
			}
			extra[2 * nextra] = av[i + 1];
			extra[2 * nextra + 1] = av[i + 2];
			nextra++;
			i += 2;
		} else if (av[i][0] == '-' && av[i][1] == '-') {
			e.code = SDB_EINVAL;
			snprintf(e.msg, sizeof(e.msg), ".import: unknown option '%s' (--csv, --tsv, --jsonl, --npy, --skip N, --ids FILE, --column NAME FILE)", av[i]);
			shell_report(sh, src, lineno, 1, SDB_EINVAL, &e);
			sh->failed = 1;
			return -1;
		} else if (!file)
			file = av[i];
		else if (!table)
			table = av[i];
		else if (npy && !column)
			column = av[i];
		else
			table = NULL, file = NULL, i = ac;
	}
	if (npy && file && table && column && !skip && kind < 0)
		return shell_import_npy(sh, file, table, column, ids, extra, nextra, src, lineno);
	if (npy || ids || nextra) {
		sdb_error_clear(&e);
		snprintf(e.msg, sizeof(e.msg), "usage: .import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]...");
		shell_report(sh, src, lineno, 1, SDB_EINVAL, &e);
		sh->failed = 1;
		return -1;
	}
	if (!file || !table || skip < 0) {
		sdb_error_clear(&e);
		snprintf(e.msg, sizeof(e.msg), "usage: .import [--csv|--tsv|--jsonl] [--skip N] FILE TABLE");
		shell_report(sh, src, lineno, 1, SDB_EINVAL, &e);
		sh->failed = 1;
		return -1;
	}
	if (kind < 0) {
		size_t n = strlen(file);
		if ((n > 4 && !strcmp(file + n - 4, ".tsv")) || (n > 4 && !strcmp(file + n - 4, ".tab")))
			kind = IMP_TSV;
		else if ((n > 6 && !strcmp(file + n - 6, ".jsonl")) || (n > 7 && !strcmp(file + n - 7, ".ndjson")))
			kind = IMP_JSONL;
		else
			kind = sh->fmt == SDB_FMT_TSV && !(n > 4 && !strcmp(file + n - 4, ".csv")) ? IMP_TSV : IMP_CSV;
	}
	if (shell_conn(sh)) {
		sh->failed = 1;
		return -1;
	}
	sdb_error_clear(&e);
	if ((rc = sdb_input_open(&in, file, &e))) {
		shell_report(sh, src, lineno, 1, rc, &e);
		sh->failed = 1;
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.sh = sh;
	x.file = file;
	x.base = x.p = in.data ? in.data : "";
	x.end = x.p + in.len;
	x.line = 1;
	x.kind = kind;
	rc = shell_table_exists(sh, table);
	ti.exists = rc == 1;
	rc = rc < 0 ? rc : 0;
	/* a savepoint: inside BEGIN it nests, outside it is the transaction
	 * (as SQLite's SAVEPOINT outside BEGIN) */
	if (!rc)
		rc = run_sql(sh, "SAVEPOINT sochdb_import", &e);
	if (!rc) {
		if (kind == IMP_JSONL)
			rc = import_jsonl(sh, &x, table, ti.exists, skip, &rows, &e);
		else
			rc = import_rows(sh, &x, table, ti.exists, skip, &rows, &e);
		if (!rc) {
			rc = run_sql(sh, "RELEASE sochdb_import", &e);
			if (!rc)
				cli_committed();
		} else {
			struct sdb_error e2;
			run_sql(sh, "ROLLBACK TO sochdb_import", &e2);
			run_sql(sh, "RELEASE sochdb_import", &e2);
		}
	}
	sdb_input_close(&in);
	if (rc) {
		isrc.name = file;
		isrc.line0 = isrc.col0 = 1;
		if (x.err[0]) {
			sdb_error_clear(&e);
			snprintf(e.msg, sizeof(e.msg), "%s (nothing imported)", x.err);
			shell_report(sh, &isrc, x.err_line, x.err_col, SDB_EPARSE, &e);
		} else if (x.err_line) {
			char m[400];
			memcpy(m, e.msg, sizeof(m) - 1);
			m[sizeof(m) - 1] = 0;
			snprintf(e.msg, sizeof(e.msg), "line %ld: %s (nothing imported)", x.err_line, m);
			shell_report(sh, &isrc, 0, 0, rc, &e);
		} else {
			shell_report(sh, src, lineno, 1, rc, &e);
		}
		sh->failed = 1;
	}
	sdb_buf_release(&x.scratch);
	free(x.f);
	free(x.soff);
	return rc ? -1 : 0;
}
