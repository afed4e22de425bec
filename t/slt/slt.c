/*
 * slt.c - a sqllogictest runner: reads SQLite's sqllogictest scripts
 * (statement ok/error, query TYPES SORTMODE [LABEL], skipif/onlyif,
 * halt, hash-threshold) and runs them on one of two engines: the sochdb
 * engine through lib/sql/sql.h, or libsqlite3 (linked into this test
 * tool only; it proves the runner reads the format right).
 *
 *   slt [-e sochdb|sqlite] [-v] [-k KNOWN] [-F OUT] [-t SECS] [-n NAME]
 *       [--sync] PATH...
 *
 * PATH is a .test file or a directory searched for *.test files (names
 * are then reported relative to it). Each file runs in a child process
 * on a fresh database with one connection, so an engine crash or a
 * record that runs past the timeout costs that record only: the file
 * is rerun from its start with the record counted as failed.
 *
 * DESIGN. Result values are printed as sqllogictest's SQLite driver
 * prints them: NULL as "NULL"; type I as %lld of the value's integer
 * conversion (sqlite3_column_int64: TEXT by its integer prefix, REAL
 * truncated and saturated); type R as %.3f of its real conversion as
 * SQLite's printf renders it (16 significant digits at most); type
 * T as the text, "(empty)" for '', each byte outside ' '..'~' as '@'.
 * rowsort sorts rows by their printed values (strcmp, column by column),
 * valuesort sorts all values. An expected "N values hashing to H" is
 * compared with the MD5 of every printed value followed by "\n";
 * otherwise the values are compared one per line (a file may also give
 * one row per line, values separated by spaces), whatever hash-threshold
 * says (it only decides how a result is shown). Queries with the same
 * label must give the same result. A record counts as failed when its
 * outcome differs; skipped records are not counted.
 *
 * With -k KNOWN (lines "NAME:LINE", '#' comments) failures of listed
 * records are expected: the exit status is 1 only when a record outside
 * the list fails, and the listed records that now pass are counted (and
 * named with -v) so the list only shrinks. -F OUT writes every failing
 * record as NAME:LINE, the form KNOWN takes.
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"

static const char usage[] =
	"usage: slt [-e sochdb|sqlite] [-v] [-k KNOWN] [-F OUT] [-t SECS] [-n NAME] [--sync] PATH...\n";

static struct {
	const struct slt_backend *be;
	int verbose;
	const char *known_path;
	const char *fail_path;
	unsigned timeout;
	const char *engine; /* the name skipif/onlyif match */
	int sync;
	int max_restarts;
} opt = { NULL, 0, NULL, NULL, 30, "sqlite", 0, 30 };

/* ------------------------------------------------------------ strings */

struct strv {
	char **v;
	size_t n, cap;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "slt: out of memory\n");
		exit(3);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static void strv_push(struct strv *a, char *s)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) {
			fprintf(stderr, "slt: out of memory\n");
			exit(3);
		}
	}
	a->v[a->n++] = s;
}

static void strv_clear(struct strv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------ known failures */

static struct strv known;

static int is_known(const char *name, long line)
{
	char key[4200], *k = key;
	if (!known.n)
		return 0;
	snprintf(key, sizeof(key), "%s:%ld", name, line);
	return bsearch(&k, known.v, known.n, sizeof(char *), cmp_str) != NULL;
}

static void load_known(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4200];

	if (!f) {
		fprintf(stderr, "slt: cannot open '%s': %s\n", path, strerror(errno));
		exit(3);
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *s = buf, *end;
		while (isspace((unsigned char)*s))
			s++;
		end = strchr(s, '#');
		if (!end)
			end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (end > s)
			strv_push(&known, xstrndup(s, (size_t)(end - s)));
	}
	fclose(f);
	if (known.n > 1)
		qsort(known.v, known.n, sizeof(char *), cmp_str);
}

/* ------------------------------------------------------ value printing */

/* sqlite3_column_int64 of TEXT: the integer prefix (sqlite3Atoi64),
 * saturating. */
static int64_t text_to_int(const char *z, size_t n)
{
	size_t i = 0;
	int neg = 0, over = 0;
	uint64_t u = 0;

	while (i < n && isspace((unsigned char)z[i]))
		i++;
	if (i < n && (z[i] == '-' || z[i] == '+'))
		neg = z[i++] == '-';
	for (; i < n && isdigit((unsigned char)z[i]); i++) {
		unsigned d = (unsigned)(z[i] - '0');
		if (u > (UINT64_MAX - d) / 10)
			over = 1;
		else
			u = u * 10 + d;
	}
	if (over || u > (uint64_t)INT64_MAX + (uint64_t)neg)
		return neg ? INT64_MIN : INT64_MAX;
	return neg ? (int64_t)(0 - u) : (int64_t)u;
}

/* sqlite3_column_double of TEXT: the longest real prefix. */
static double text_to_real(const char *z, size_t n)
{
	char buf[400];
	size_t i = 0, j;

	while (i < n && isspace((unsigned char)z[i]))
		i++;
	j = i;
	if (j < n && (z[j] == '-' || z[j] == '+'))
		j++;
	while (j < n && isdigit((unsigned char)z[j]))
		j++;
	if (j < n && z[j] == '.') {
		j++;
		while (j < n && isdigit((unsigned char)z[j]))
			j++;
	}
	if (j < n && (z[j] == 'e' || z[j] == 'E')) {
		size_t k = j + 1;
		if (k < n && (z[k] == '-' || z[k] == '+'))
			k++;
		if (k < n && isdigit((unsigned char)z[k])) {
			while (k < n && isdigit((unsigned char)z[k]))
				k++;
			j = k;
		}
	}
	if (j - i >= sizeof(buf))
		j = i + sizeof(buf) - 1;
	memcpy(buf, z + i, j - i);
	buf[j - i] = 0;
	return strtod(buf, NULL);
}

static int64_t real_to_int(double r)
{
	if (r <= (double)INT64_MIN)
		return INT64_MIN;
	if (r >= (double)INT64_MAX)
		return INT64_MAX;
	if (r != r)
		return 0;
	return (int64_t)r;
}

/*
 * %.3f as SQLite's printf renders it (sqllogictest's driver prints type R
 * with sqlite3_snprintf): one correct rounding, at the third decimal or
 * at the 16th significant digit, whichever comes first, so 2^63 prints
 * as 9223372036854776000.000 where glibc gives every digit. (SQLite
 * 3.40's own printf rounds that 16th digit differently: ...775000.000;
 * the files were made by a later SQLite.)
 */
static void print_real3(double r, char *buf, size_t n)
{
	char e[64], *p, *q;
	int exp10, nd;

	if (r != r || r - r != 0) {
		snprintf(buf, n, "%.3f", r);
		return;
	}
	snprintf(e, sizeof(e), "%.15e", r);
	p = strchr(e, 'e');
	exp10 = atoi(p + 1);
	nd = exp10 + 1 + 3;
	if (nd <= 16) {
		snprintf(buf, n, "%.3f", r);
		return;
	}
	/* 16 digits d.ddddddddddddddd, then zeros up to the point */
	*p = 0;
	q = buf;
	if (e[0] == '-')
		*q++ = '-';
	{
		const char *d = e[0] == '-' ? e + 1 : e;
		char digits[32];
		int k = 0;
		for (; *d; d++)
			if (*d != '.')
				digits[k++] = *d;
		for (int i = 0; i <= exp10 + 3 && q < buf + n - 2; i++) {
			if (i == exp10 + 1)
				*q++ = '.';
			*q++ = i < k ? digits[i] : '0';
		}
		*q = 0;
	}
}

static char *print_value(char type, const struct slt_val *v)
{
	char buf[64];

	if (v->type == SLT_NULL)
		return xstrndup("NULL", 4);
	switch (type) {
	case 'I': {
		int64_t i = v->type == SLT_INT ? v->i : v->type == SLT_REAL ?
			    real_to_int(v->r) : text_to_int(v->z, v->n);
		snprintf(buf, sizeof(buf), "%" PRId64, i);
		return xstrndup(buf, strlen(buf));
	}
	case 'R': {
		double r = v->type == SLT_INT ? (double)v->i : v->type == SLT_REAL ?
			   v->r : text_to_real(v->z, v->n);
		print_real3(r, buf, sizeof(buf));
		return xstrndup(buf, strlen(buf));
	}
	default: {
		char *s;
		size_t n;
		if (v->type == SLT_INT) {
			snprintf(buf, sizeof(buf), "%" PRId64, v->i);
			return xstrndup(buf, strlen(buf));
		}
		/* the text as a C string: it ends at a NUL */
		n = v->z ? strnlen(v->z, v->n) : 0;
		if (!n)
			return xstrndup("(empty)", 7);
		s = xstrndup(v->z, n);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
				s[i] = '@';
		return s;
	}
	}
}

/* ------------------------------------------------------------ queries */

struct qres {
	const char *types;
	size_t ntypes;
	int ncol;
	struct strv vals;
};

static int on_row(void *ctx, int ncol, const struct slt_val *v)
{
	struct qres *q = ctx;
	q->ncol = ncol;
	for (int i = 0; i < ncol; i++)
		strv_push(&q->vals, print_value((size_t)i < q->ntypes ? q->types[i] : 'T', &v[i]));
	return 0;
}

static void md5_values(const struct strv *v, char out[33])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;

	if (!c || !EVP_DigestInit_ex(c, EVP_md5(), NULL)) {
		fprintf(stderr, "slt: no MD5 in libcrypto\n");
		exit(3);
	}
	for (size_t i = 0; i < v->n; i++) {
		EVP_DigestUpdate(c, v->v[i], strlen(v->v[i]));
		EVP_DigestUpdate(c, "\n", 1);
	}
	EVP_DigestFinal_ex(c, d, &dn);
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[32] = 0;
}

struct rowref {
	char **v;
	int n;
};

static int cmp_row(const void *a, const void *b)
{
	const struct rowref *x = a, *y = b;
	for (int i = 0; i < x->n; i++) {
		int c = strcmp(x->v[i], y->v[i]);
		if (c)
			return c;
	}
	return 0;
}

static void sort_rows(struct strv *v, int ncol)
{
	size_t nrow = ncol > 0 ? v->n / (size_t)ncol : 0;
	struct rowref *r;
	char **out;

	if (nrow < 2)
		return;
	r = xmalloc(nrow * sizeof(*r));
	out = xmalloc(v->n * sizeof(char *));
	for (size_t i = 0; i < nrow; i++) {
		r[i].v = v->v + i * (size_t)ncol;
		r[i].n = ncol;
	}
	qsort(r, nrow, sizeof(*r), cmp_row);
	for (size_t i = 0; i < nrow; i++)
		memcpy(out + i * (size_t)ncol, r[i].v, (size_t)ncol * sizeof(char *));
	memcpy(v->v, out, nrow * (size_t)ncol * sizeof(char *));
	free(out);
	free(r);
}

/* Values separated by runs of white space compare as one space. */
static int same_spaced(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t') {
			if (!(a[1] == ' ' || a[1] == '\t'))
				break;
			a++;
		}
		while (*b == ' ' || *b == '\t') {
			if (!(b[1] == ' ' || b[1] == '\t'))
				break;
			b++;
		}
		if ((*a == '\t' ? ' ' : *a) != (*b == '\t' ? ' ' : *b))
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

/* --------------------------------------------------------- the script */

struct script {
	const char *name;
	char *data;
	char **line;
	size_t nline;
};

static int read_script(struct script *s, const char *path, const char *name)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, len = 0, n;
	char buf[65536];

	memset(s, 0, sizeof(*s));
	s->name = name;
	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = 2 * (len + n + 1);
			s->data = realloc(s->data, cap);
			if (!s->data)
				exit(3);
		}
		memcpy(s->data + len, buf, n);
		len += n;
	}
	fclose(f);
	if (!s->data)
		s->data = xmalloc(1);
	s->data[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (s->data[i] == '\n')
			s->nline++;
	s->nline++;
	s->line = xmalloc(s->nline * sizeof(char *));
	s->nline = 0;
	for (char *p = s->data;;) {
		char *nl = strchr(p, '\n');
		s->line[s->nline++] = p;
		if (!nl)
			break;
		*nl = 0;
		if (nl > p && nl[-1] == '\r')
			nl[-1] = 0;
		p = nl + 1;
	}
	return 0;
}

static int blank(const char *l)
{
	while (*l == ' ' || *l == '\t')
		l++;
	return !*l;
}

/* Splits l into at most max white-space separated tokens (copied into
 * buf). @return the count. */
static int tokens(const char *l, char tok[][256], int max)
{
	int n = 0;
	while (n < max) {
		size_t k = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l)
			break;
		while (*l && *l != ' ' && *l != '\t') {
			if (k < 255)
				tok[n][k++] = *l;
			l++;
		}
		tok[n++][k] = 0;
	}
	for (int i = n; i < max; i++)
		tok[i][0] = 0;
	return n;
}

/* What the child tells the parent, one line each: S LINE (a record
 * starts), P LINE (passed), F LINE (failed). */
static FILE *report;

/* Records that crashed or timed out in an earlier attempt at the file. */
struct poison {
	long line;
	char why[64];
};
static struct poison *poisoned;
static size_t npoisoned;

static long quiet_before;

static const char *poison_of(long line)
{
	for (size_t i = 0; i < npoisoned; i++)
		if (poisoned[i].line == line)
			return poisoned[i].why;
	return NULL;
}

static void print_lines(const char *what, char **v, size_t n)
{
	printf("  %s:\n", what);
	for (size_t i = 0; i < n && i < 40; i++)
		printf("    %s\n", v[i]);
	if (n > 40)
		printf("    ... (%zu more)\n", n - 40);
}

static void fail(const struct script *s, long line, const char *sql,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(const struct script *s, long line, const char *sql,
		 const char *fmt, ...)
{
	va_list ap;

	fprintf(report, "F %ld\n", line);
	fflush(report);
	/* a rerun after a crash does not repeat what the first run said */
	if (!opt.verbose || (opt.verbose < 2 && is_known(s->name, line)) ||
	    line <= quiet_before)
		return;
	printf("%s:%ld: ", s->name, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n  SQL: %s\n", sql);
	fflush(stdout);
}

struct label {
	char name[256];
	char md5[33];
};

/* Runs one script to its end or its halt. */
static int run_script(const struct script *s, void *db)
{
	struct label *labels = NULL;
	size_t nlabels = 0;
	long threshold = 0;
	char tok[4][256];
	char err[1024];
	size_t i = 0;

	while (i < s->nline) {
		int skip = 0;
		long recline;
		struct strv sqlv = { 0 };
		char *sql;
		size_t sqllen = 0;

		if (blank(s->line[i]) || s->line[i][0] == '#') {
			i++;
			continue;
		}
		while (i < s->nline && (!strncmp(s->line[i], "skipif", 6) ||
					!strncmp(s->line[i], "onlyif", 6) ||
					s->line[i][0] == '#')) {
			if (s->line[i][0] != '#') {
				tokens(s->line[i], tok, 2);
				if (!strcmp(tok[0], "skipif") && !strcmp(tok[1], opt.engine))
					skip = 1;
				if (!strcmp(tok[0], "onlyif") && strcmp(tok[1], opt.engine))
					skip = 1;
			}
			i++;
		}
		if (i >= s->nline)
			break;
		recline = (long)i + 1;
		tokens(s->line[i], tok, 4);
		if (!strcmp(tok[0], "halt")) {
			i++;
			if (!skip)
				break;
			continue;
		}
		if (!strcmp(tok[0], "hash-threshold")) {
			i++;
			if (!skip)
				threshold = atol(tok[1]);
			continue;
		}
		int is_stmt = !strcmp(tok[0], "statement");
		int is_query = !strcmp(tok[0], "query");
		char types[256], sortmode[256], label[256], mode[256];
		snprintf(mode, sizeof(mode), "%s", tok[1]);
		snprintf(types, sizeof(types), "%s", tok[1]);
		snprintf(sortmode, sizeof(sortmode), "%s", tok[2][0] ? tok[2] : "nosort");
		snprintf(label, sizeof(label), "%s", tok[3]);
		i++;
		while (i < s->nline && !blank(s->line[i]) && strcmp(s->line[i], "----")) {
			strv_push(&sqlv, s->line[i]);
			sqllen += strlen(s->line[i]) + 1;
			i++;
		}
		sql = xmalloc(sqllen + 1);
		sql[0] = 0;
		for (size_t k = 0, off = 0; k < sqlv.n; k++) {
			size_t n = strlen(sqlv.v[k]);
			memcpy(sql + off, sqlv.v[k], n);
			off += n;
			sql[off++] = k + 1 < sqlv.n ? '\n' : 0;
			sql[off] = 0;
		}
		free(sqlv.v);
		struct strv exp = { 0 };
		int have_exp = 0;
		if (i < s->nline && !strcmp(s->line[i], "----")) {
			have_exp = 1;
			i++;
			while (i < s->nline && !blank(s->line[i]))
				strv_push(&exp, s->line[i++]);
		}
		if (!is_stmt && !is_query) {
			/* not a record this runner knows: count it as failed
			 * rather than pass over it silently */
			if (!skip) {
				fprintf(report, "S %ld\n", recline);
				fail(s, recline, sql, "unknown record type '%s'", tok[0]);
			}
			free(sql);
			free(exp.v);
			continue;
		}
		if (skip) {
			free(sql);
			free(exp.v);
			continue;
		}
		fprintf(report, "S %ld\n", recline);
		fflush(report);
		const char *why = poison_of(recline);
		if (why) {
			fail(s, recline, sql, "%s (in an earlier attempt at this file)", why);
			free(sql);
			free(exp.v);
			continue;
		}
		alarm(opt.timeout);
		err[0] = 0;
		if (is_stmt) {
			int rc = opt.be->exec(db, sql, err, sizeof(err));
			alarm(0);
			if (!strcmp(mode, "ok") && rc)
				fail(s, recline, sql, "statement failed: %s", err);
			else if (!strcmp(mode, "error") && !rc)
				fail(s, recline, sql, "statement succeeded, expected an error");
			else if (strcmp(mode, "ok") && strcmp(mode, "error"))
				fail(s, recline, sql, "unknown statement mode '%s'", mode);
			else
				fprintf(report, "P %ld\n", recline);
			free(sql);
			free(exp.v);
			continue;
		}
		struct qres q = { types, strlen(types), 0, { 0 } };
		int ncol = opt.be->query(db, sql, on_row, &q, err, sizeof(err));
		alarm(0);
		char md5[33];
		char msg[512];
		int ok = 1;
		msg[0] = 0;
		if (ncol < 0) {
			fail(s, recline, sql, "query failed: %s", err);
			goto next;
		}
		q.ncol = ncol;
		if ((size_t)ncol != q.ntypes) {
			snprintf(msg, sizeof(msg), "%d result columns, the record's types '%s' say %zu",
				 ncol, types, q.ntypes);
			ok = 0;
		}
		if (!strcmp(sortmode, "rowsort"))
			sort_rows(&q.vals, ncol);
		else if (!strcmp(sortmode, "valuesort")) {
			if (q.vals.n > 1)
				qsort(q.vals.v, q.vals.n, sizeof(char *), cmp_str);
		} else if (strcmp(sortmode, "nosort")) {
			snprintf(msg, sizeof(msg), "unknown sort mode '%s'", sortmode);
			ok = 0;
		}
		md5_values(&q.vals, md5);
		if (ok && have_exp) {
			long cnt;
			char h[64];
			size_t nrow = ncol > 0 ? q.vals.n / (size_t)ncol : 0;
			int hl = -1;
			if (exp.n == 1 && sscanf(exp.v[0], "%ld values hashing to %40s%n", &cnt, h, &hl) == 2 &&
			    hl == (int)strlen(exp.v[0]) && strlen(h) == 32) {
				if ((size_t)cnt != q.vals.n || strcmp(h, md5)) {
					snprintf(msg, sizeof(msg), "result differs");
					ok = 0;
				}
			} else if (exp.n == q.vals.n) {
				for (size_t k = 0; k < exp.n && ok; k++)
					if (strcmp(exp.v[k], q.vals.v[k])) {
						snprintf(msg, sizeof(msg), "result differs at value %zu", k + 1);
						ok = 0;
					}
			} else if (ncol > 1 && exp.n == nrow) {
				/* one row per line, values separated by spaces */
				for (size_t k = 0; k < nrow && ok; k++) {
					size_t len = 0;
					for (int c = 0; c < ncol; c++)
						len += strlen(q.vals.v[k * (size_t)ncol + (size_t)c]) + 1;
					char *row = xmalloc(len + 1), *p = row;
					for (int c = 0; c < ncol; c++)
						p += sprintf(p, "%s%s", c ? " " : "", q.vals.v[k * (size_t)ncol + (size_t)c]);
					if (!same_spaced(exp.v[k], row)) {
						snprintf(msg, sizeof(msg), "result differs at row %zu", k + 1);
						ok = 0;
					}
					free(row);
				}
			} else {
				snprintf(msg, sizeof(msg), "%zu values, expected %zu", q.vals.n, exp.n);
				ok = 0;
			}
		}
		if (ok && label[0]) {
			size_t k;
			for (k = 0; k < nlabels && strcmp(labels[k].name, label); k++)
				;
			if (k == nlabels) {
				labels = realloc(labels, (nlabels + 1) * sizeof(*labels));
				if (!labels)
					exit(3);
				snprintf(labels[k].name, sizeof(labels[k].name), "%s", label);
				memcpy(labels[k].md5, md5, 33);
				nlabels++;
			} else if (strcmp(labels[k].md5, md5)) {
				snprintf(msg, sizeof(msg), "result differs from the earlier queries labelled %s", label);
				ok = 0;
			}
		}
		if (ok) {
			fprintf(report, "P %ld\n", recline);
		} else {
			fail(s, recline, sql, "%s", msg);
			if (opt.verbose && (opt.verbose > 1 || !is_known(s->name, recline)) &&
			    recline > quiet_before) {
				print_lines("expected", exp.v, exp.n);
				long cnt;
				char h[64];
				/* in the form the file uses; without an expected
				 * result, as the threshold says it would be written */
				if ((exp.n == 1 && sscanf(exp.v[0], "%ld values hashing to %40s", &cnt, h) == 2) ||
				    (!exp.n && threshold > 0 && q.vals.n > (size_t)threshold)) {
					char line[128], *lp = line;
					snprintf(line, sizeof(line), "%zu values hashing to %s", q.vals.n, md5);
					print_lines("got", &lp, 1);
				} else {
					print_lines("got", q.vals.v, q.vals.n);
				}
				fflush(stdout);
			}
		}
next:
		strv_clear(&q.vals);
		free(q.vals.v);
		free(sql);
		free(exp.v);
	}
	free(labels);
	return 0;
}

/* ------------------------------------------------------- the parent */

static struct {
	long passed, failed, listed_failed, listed_passed, unexpected, files;
} tot;
static FILE *fail_out;

enum { ST_NONE, ST_STARTED, ST_PASS, ST_FAIL };

/* Runs one file in children until one finishes it. */
static void run_file(const char *path, const char *name)
{
	struct script s;
	unsigned char *st = NULL;
	size_t nst = 0;
	int attempts = 0;
	long passed = 0, failed = 0;

	npoisoned = 0;
	quiet_before = 0;
	free(poisoned);
	poisoned = NULL;
	if (read_script(&s, path, name)) {
		fprintf(stderr, "slt: cannot open '%s': %s\n", path, strerror(errno));
		tot.unexpected++;
		tot.failed++;
		return;
	}
	nst = s.nline + 2;
	st = calloc(nst, 1);
	if (!st)
		exit(3);
	for (;;) {
		char tmpl[4096];
		const char *tmp = getenv("TMPDIR");
		int fd[2], status;
		long last = 0;
		pid_t pid;
		FILE *in;
		char buf[128];

		memset(st, 0, nst);
		snprintf(tmpl, sizeof(tmpl), "%s/slt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl) || pipe(fd)) {
			fprintf(stderr, "slt: cannot make a temporary directory: %s\n", strerror(errno));
			exit(3);
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "slt: fork: %s\n", strerror(errno));
			exit(3);
		}
		if (pid == 0) {
			void *db;
			char err[1024];
			close(fd[0]);
			report = fdopen(fd[1], "w");
			if (opt.be->open(&db, tmpl, opt.sync, err, sizeof(err))) {
				fprintf(stderr, "slt: %s: cannot open a database: %s\n", name, err);
				_exit(3);
			}
			run_script(&s, db);
			opt.be->close(db);
			fflush(stdout);
			fclose(report);
			_exit(0);
		}
		close(fd[1]);
		in = fdopen(fd[0], "r");
		while (fgets(buf, sizeof(buf), in)) {
			long l = atol(buf + 2);
			if (l < 0 || (size_t)l >= nst)
				continue;
			if (buf[0] == 'S') {
				st[l] = ST_STARTED;
				last = l;
			} else {
				st[l] = buf[0] == 'P' ? ST_PASS : ST_FAIL;
			}
		}
		fclose(in);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		slt_rmtree(tmpl);
		attempts++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
		if (WIFEXITED(status)) {
			fprintf(stderr, "slt: %s: the runner exited with status %d\n", name, WEXITSTATUS(status));
			tot.unexpected++;
			break;
		}
		/* a crash or a timeout inside record `last` */
		int sig = WTERMSIG(status);
		char why[64];
		if (sig == SIGALRM)
			snprintf(why, sizeof(why), "timed out after %u s", opt.timeout);
		else
			snprintf(why, sizeof(why), "engine crashed (signal %d, %s)", sig, strsignal(sig));
		printf("%s:%ld: %s\n", name, last, why);
		if (!last || st[last] != ST_STARTED || attempts > opt.max_restarts) {
			printf("%s: giving up after %d attempts; the rest of the file did not run\n", name, attempts);
			if (last && st[last] == ST_STARTED)
				st[last] = ST_FAIL;
			break;
		}
		poisoned = realloc(poisoned, (npoisoned + 1) * sizeof(*poisoned));
		if (!poisoned)
			exit(3);
		poisoned[npoisoned].line = last;
		snprintf(poisoned[npoisoned].why, sizeof(poisoned[npoisoned].why), "%s", why);
		npoisoned++;
		if (last > quiet_before)
			quiet_before = last;
	}
	for (size_t l = 0; l < nst; l++) {
		int k;
		if (st[l] != ST_PASS && st[l] != ST_FAIL)
			continue;
		k = is_known(name, (long)l);
		if (st[l] == ST_PASS) {
			passed++;
			if (k) {
				tot.listed_passed++;
				if (opt.verbose)
					printf("%s:%zu: listed as failing, now passes\n", name, l);
			}
		} else {
			failed++;
			if (k)
				tot.listed_failed++;
			else
				tot.unexpected++;
			if (fail_out)
				fprintf(fail_out, "%s:%zu\n", name, l);
		}
	}
	printf("%s: %ld passed, %ld failed\n", name, passed, failed);
	tot.passed += passed;
	tot.failed += failed;
	tot.files++;
	free(st);
	free(s.line);
	free(s.data);
}

static void collect(const char *dir, const char *rel, struct strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[4096], r[4096];
		struct stat sb;
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (stat(p, &sb))
			continue;
		if (S_ISDIR(sb.st_mode))
			collect(p, r, out);
		else if (n > 5 && !strcmp(de->d_name + n - 5, ".test"))
			strv_push(out, xstrndup(r, strlen(r)));
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	const char *engine = "sochdb";
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "-v")) {
			opt.verbose++;
		} else if (!strcmp(a, "-vv")) {
			opt.verbose = 2;
		} else if (!strcmp(a, "--sync")) {
			opt.sync = 1;
		} else if (i + 1 < argc && !strcmp(a, "-e")) {
			engine = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "-k")) {
			opt.known_path = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "-F")) {
			opt.fail_path = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "-t")) {
			opt.timeout = (unsigned)atoi(argv[++i]);
		} else if (i + 1 < argc && !strcmp(a, "-n")) {
			opt.engine = argv[++i];
		} else {
			fprintf(stderr, "slt: unknown option '%s'\n%s", a, usage);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "slt: no test file named\n%s", usage);
		return 2;
	}
	opt.be = slt_backend_find(engine);
	if (!opt.be) {
		fprintf(stderr, "slt: unknown engine '%s' (sochdb, sqlite)\n", engine);
		return 2;
	}
	if (opt.known_path)
		load_known(opt.known_path);
	if (opt.fail_path && !(fail_out = fopen(opt.fail_path, "w"))) {
		fprintf(stderr, "slt: cannot create '%s': %s\n", opt.fail_path, strerror(errno));
		return 3;
	}
	for (; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb)) {
			fprintf(stderr, "slt: cannot open '%s': %s\n", argv[i], strerror(errno));
			return 3;
		}
		if (S_ISDIR(sb.st_mode)) {
			struct strv files = { 0 };
			collect(argv[i], "", &files);
			if (files.n > 1)
				qsort(files.v, files.n, sizeof(char *), cmp_str);
			if (!files.n) {
				fprintf(stderr, "slt: no .test files in '%s'\n", argv[i]);
				return 3;
			}
			for (size_t k = 0; k < files.n; k++) {
				char p[8192];
				snprintf(p, sizeof(p), "%s/%s", argv[i], files.v[k]);
				run_file(p, files.v[k]);
			}
			strv_clear(&files);
			free(files.v);
		} else {
			run_file(argv[i], argv[i]);
		}
	}
	if (fail_out)
		fclose(fail_out);
	if (tot.files > 1)
		printf("total: %ld files\n", tot.files);
	printf("%ld passed, %ld failed\n", tot.passed, tot.failed);
	if (opt.known_path) {
		printf("known failures: %zu listed, %ld failed as listed, %ld listed now pass, %ld unexpected\n",
		       known.n, tot.listed_failed, tot.listed_passed, tot.unexpected);
		return tot.unexpected ? 1 : 0;
	}
	return tot.failed || tot.unexpected ? 1 : 0;
}
