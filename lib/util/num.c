/*
 * num.c - canonical number text (see num.h).
 *
 * Fast path: a literal with at most 15 significant digits is its own
 * shortest round-trip form (two different decimals of <= 15 digits never
 * round to the same double), so it is re-laid out without touching
 * floating point. Longer literals go through strtod and the shortest of
 * %.15e/%.16e/%.17e that reads back to the same double (glibc's printf is
 * correctly rounded, so each candidate is the closest of its length, as
 * ECMAScript's Number::toString requires).
 */
#include "util/err.h"
#include "util/num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes 0.d1..dk x 10^n the way Number::toString does. */
static void layout(const char *d, int k, long n, int neg, struct sdb_buf *out)
{
	char tmp[64];
	int w = 0;

	if (sdb_buf_grow(out, (size_t)k + 32 + (n > 0 && n <= 21 ? (size_t)n : 0) +
			      (n <= 0 && n > -7 ? (size_t)(-n) : 0)))
		return;
	if (neg)
		sdb_buf_addc(out, '-');
	if (k <= n && n <= 21) {
		sdb_buf_add(out, d, (size_t)k);
		for (long i = k; i < n; i++)
			sdb_buf_addc(out, '0');
	} else if (0 < n && n <= 21) {
		sdb_buf_add(out, d, (size_t)n);
		sdb_buf_addc(out, '.');
		sdb_buf_add(out, d + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		sdb_buf_add(out, "0.", 2);
		for (long i = 0; i < -n; i++)
			sdb_buf_addc(out, '0');
		sdb_buf_add(out, d, (size_t)k);
	} else {
		long e = n - 1;
		sdb_buf_addc(out, d[0]);
		if (k > 1) {
			sdb_buf_addc(out, '.');
			sdb_buf_add(out, d + 1, (size_t)(k - 1));
		}
		w = snprintf(tmp, sizeof(tmp), "e%c%ld", e < 0 ? '-' : '+', e < 0 ? -e : e);
		sdb_buf_add(out, tmp, (size_t)w);
	}
}

/* Shortest round-trip digits of a finite, non-zero d into digits/k/n. */
static void shortest(double d, char *digits, int *k, long *n)
{
	char s[40];
	double a = fabs(d);

	/* subnormals carry fewer digits: search from one digit up */
	for (int prec = a < 2.2250738585072014e-308 ? 0 : 14; prec <= 16; prec++) {
		snprintf(s, sizeof(s), "%.*e", prec, a);
		if (prec == 16 || strtod(s, NULL) == a)
			break;
	}
	/* s = "d.ddddde[+-]xx" */
	{
		char *e = strchr(s, 'e');
		int m = 0;
		long ex = strtol(e + 1, NULL, 10);
		for (char *p = s; p < e; p++)
			if (*p != '.')
				digits[m++] = *p;
		while (m > 1 && digits[m - 1] == '0')
			m--;
		*k = m;
		*n = ex + 1;
	}
}

void sdb_num_from_double(double d, struct sdb_buf *out)
{
	char digits[32];
	int k;
	long n;

	if (!isfinite(d)) {
		sdb_buf_add(out, "null", 4);
		return;
	}
	if (d == 0) {
		sdb_buf_addc(out, '0');
		return;
	}
	shortest(d, digits, &k, &n);
	layout(digits, k, n, d < 0, out);
}

int sdb_num_value(const char *tok, size_t len, double *v)
{
	char small[64], *s = small;

	if (len >= sizeof(small)) {
		s = malloc(len + 1);
		if (!s)
			return SDB_ENOMEM;
	}
	memcpy(s, tok, len);
	s[len] = 0;
	*v = strtod(s, NULL);
	if (s != small)
		free(s);
	return 0;
}

int sdb_num_plain(const char *p, size_t n)
{
	size_t i = n && p[0] == '-', id, fd, lz = 0;
	int zero;

	if (i >= n || p[i] < '0' || p[i] > '9')
		return 0;
	zero = p[i] == '0';
	id = i;
	if (zero)
		i++;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	id = i - id;
	if (i == n) /* an integer: canonical up to 15 digits, but not -0 */
		return id <= 15 && !(zero && p[0] == '-') ? 2 : 1;
	if (p[i] != '.')
		return 0;
	fd = ++i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i != n || i == fd)
		return 0;
	fd = i - fd;
	if (p[n - 1] == '0')
		return 1;
	if (zero) {
		while (p[n - fd + lz] == '0')
			lz++;
		return lz < 6 && fd - lz <= 15 ? 2 : 1;
	}
	return id + fd <= 15 ? 2 : 1;
}

void sdb_num_canon(const char *tok, size_t len, int exact, struct sdb_buf *out)
{
	const char *p = tok, *end = tok + len;
	const char *ip, *fp = NULL;
	size_t il, fl = 0;
	long long ex = 0;
	int neg = 0, exneg = 0, exbig = 0;
	char sbuf[128], *dig = sbuf;
	size_t total, lz = 0, k;
	long long n;

	/* fast path: already canonical - copied as is */
	if (sdb_num_plain(tok, len) == 2) {
		sdb_buf_add(out, tok, len);
		return;
	}
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	il = (size_t)(p - ip);
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fl = (size_t)(p - fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			exneg = *p++ == '-';
		while (p < end && *p == '0')
			p++;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (ex > 100000000000LL)
				exbig = 1;
			else
				ex = ex * 10 + (*p - '0');
		}
		if (exneg)
			ex = -ex;
	}
	/* significant digits: int ++ frac without leading/trailing zeros */
	total = il + fl;
	while (lz < il && ip[lz] == '0')
		lz++;
	if (lz == il)
		while (lz < total && fp[lz - il] == '0')
			lz++;
	if (lz == total) {
		sdb_buf_addc(out, '0');
		return;
	}
	if (total - lz >= sizeof(sbuf)) {
		dig = malloc(total - lz + 1);
		if (!dig) {
			out->oom = 1;
			return;
		}
	}
	k = 0;
	for (size_t i = lz; i < total; i++)
		dig[k++] = i < il ? ip[i] : fp[i - il];
	while (k > 0 && dig[k - 1] == '0')
		k--;
	n = (long long)il - (long long)lz + ex;

	if (exact) {
		if (exbig)
			n = exneg ? -999999999999LL : 999999999999LL;
		layout(dig, (int)k, (long)n, neg, out);
	} else if (k <= 15 && n > -300 && n < 300 && !exbig) {
		layout(dig, (int)k, (long)n, neg, out);
	} else if (exbig) {
		if (exneg)
			sdb_buf_addc(out, '0');
		else
			sdb_buf_add(out, "null", 4);
	} else {
		double v;
		if (sdb_num_value(tok, len, &v))
			out->oom = 1;
		else if (v == 0)
			sdb_buf_addc(out, '0');
		else
			sdb_num_from_double(v, out);
	}
	if (dig != sbuf)
		free(dig);
}

int sdb_num_syntax(const char *p, size_t n, int leading_zeros)
{
	size_t i = 0, s;

	if (i < n && p[i] == '-')
		i++;
	s = i;
	if (!leading_zeros && i < n && p[i] == '0')
		i++;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	if (i == s)
		return 0;
	if (i < n && p[i] == '.') {
		s = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return 0;
	}
	return i == n;
}
