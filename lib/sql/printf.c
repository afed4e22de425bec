/*
 * printf.c - SQLite's printf: the float conversion every REAL's text goes
 * through (%!.15g) and the printf()/format() SQL function.
 *
 * DESIGN. SQLite formats floating point numbers with its own digit loop
 * (at most 16 significant digits, 26 with the '!' flag, then '0's), not
 * with the C library, and its output differs from glibc's in the last
 * digits of long conversions (quote() of 2^63 is 9.2233720368547758078e+18,
 * not ...8080e+18; printf('%.5f', 832146228462825) is
 * 832146228462824.90000). To print exactly as sqlite3 prints, the same
 * algorithm runs here: scale to [1, 10) by powers of ten, add the
 * rounder, peel off digits, in long double with SQLite's double
 * constants.
 */
#include "sql/vpriv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's LONGDOUBLE_TYPE. */
typedef long double fpt;

static char getdigit(fpt *val, int *cnt)
{
	if (*cnt <= 0)
		return '0';
	(*cnt)--;
	int digit = (int)*val;
	fpt d = digit;
	*val = (*val - d) * 10.0;
	return (char)('0' + digit);
}

size_t sqlv_float_conv(char *buf, double r, char conv, int prec, int width,
		       const struct sqlv_fflags *fl)
{
	static const double round5[] = { 5.0e-01, 5.0e-02, 5.0e-03, 5.0e-04,
		5.0e-05, 5.0e-06, 5.0e-07, 5.0e-08, 5.0e-09, 5.0e-10 };
	fpt val = r;
	char prefix = 0;
	int exp = 0, xtype, rtz, dp, nsd, e2;
	char *p = buf;

	xtype = conv == 'f' ? 'f' : (conv == 'e' || conv == 'E') ? 'e' : 'g';
	if (prec < 0)
		prec = 6;
	if (val < 0.0) {
		val = -val;
		prefix = '-';
	} else if (fl->plus) {
		prefix = '+';
	} else if (fl->space) {
		prefix = ' ';
	}
	if (xtype == 'g' && prec > 0)
		prec--;
	int idx = prec & 0xfff;
	fpt rounder = round5[idx % 10];
	while (idx >= 10) {
		rounder *= 1.0e-10;
		idx -= 10;
	}
	if (xtype == 'f') {
		double rx = (double)val;
		uint64_t u;
		memcpy(&u, &rx, 8);
		int ex = -1023 + (int)((u >> 52) & 0x7ff);
		if (prec + (ex / 3) < 15)
			rounder += val * 3e-16;
		val += rounder;
	}
	if (isnan((double)val)) {
		memcpy(buf, "NaN", 4);
		return 3;
	}
	if (val > 0.0) {
		fpt scale = 1.0;
		while (val >= 1e100 * scale && exp <= 350) {
			scale *= 1e100;
			exp += 100;
		}
		while (val >= 1e10 * scale && exp <= 350) {
			scale *= 1e10;
			exp += 10;
		}
		while (val >= 10.0 * scale && exp <= 350) {
			scale *= 10.0;
			exp++;
		}
		val /= scale;
		while (val < 1e-8) {
			val *= 1e8;
			exp -= 8;
		}
		while (val < 1.0) {
			val *= 10.0;
			exp--;
		}
		if (exp > 350) {
			if (prefix)
				*p++ = prefix;
			memcpy(p, "Inf", 4);
			return (size_t)(p - buf) + 3;
		}
	}
	if (xtype != 'f') {
		val += rounder;
		if (val >= 10.0) {
			val *= 0.1;
			exp++;
		}
	}
	if (xtype == 'g') {
		rtz = !fl->alt;
		if (exp < -4 || exp > prec) {
			xtype = 'e';
		} else {
			prec = prec - exp;
			xtype = 'f';
		}
	} else {
		rtz = fl->alt2;
	}
	e2 = xtype == 'e' ? 0 : exp;
	nsd = 16 + fl->alt2 * 10;
	dp = (prec > 0) | fl->alt | fl->alt2;
	if (prefix)
		*p++ = prefix;
	if (e2 < 0) {
		*p++ = '0';
	} else {
		for (; e2 >= 0; e2--)
			*p++ = getdigit(&val, &nsd);
	}
	if (dp)
		*p++ = '.';
	for (e2++; e2 < 0; prec--, e2++)
		*p++ = '0';
	while ((prec--) > 0)
		*p++ = getdigit(&val, &nsd);
	if (rtz && dp) {
		while (p[-1] == '0')
			p--;
		if (p[-1] == '.') {
			if (fl->alt2)
				*p++ = '0';
			else
				p--;
		}
	}
	if (xtype == 'e') {
		*p++ = conv == 'E' || conv == 'G' ? 'E' : 'e';
		if (exp < 0) {
			*p++ = '-';
			exp = -exp;
		} else {
			*p++ = '+';
		}
		if (exp >= 100) {
			*p++ = (char)(exp / 100 + '0');
			exp %= 100;
		}
		*p++ = (char)(exp / 10 + '0');
		*p++ = (char)(exp % 10 + '0');
	}
	*p = 0;
	size_t len = (size_t)(p - buf);
	if (fl->zero && !fl->left && width > 0 && len < (size_t)width) {
		size_t pad = (size_t)width - len, at = prefix != 0;
		memmove(buf + at + pad, buf + at, len - at + 1);
		memset(buf + at, '0', pad);
		len = (size_t)width;
	}
	return len;
}

/* ------------------------------------------------------------ printf() */

#define SQL_MAX_LENGTH 1000000000

/* The SQL function's argument list (SQLite's PrintfArguments). */
struct pargs {
	struct sql_fctx *c;
	int n, i;
	const struct sql_value *v;
};

static int64_t arg_int(struct pargs *a)
{
	if (a->i >= a->n)
		return 0;
	return sql_value_to_int(&a->v[a->i++]);
}

static double arg_real(struct pargs *a)
{
	if (a->i >= a->n)
		return 0.0;
	return sql_value_to_real(&a->v[a->i++]);
}

/* The next argument as a C string (NULL for none or NULL); *rc set on
 * out of memory. */
static const char *arg_text(struct pargs *a, int *rc)
{
	const char *z;
	size_t n;
	if (a->i >= a->n)
		return NULL;
	const struct sql_value *v = &a->v[a->i++];
	if (v->type == SQLV_NULL)
		return NULL;
	if (sqlv_bytes(v, a->c->mem, &z, &n)) {
		*rc = SDB_ENOMEM;
		return NULL;
	}
	char *p = sqlv_dup(a->c->mem, z, n);
	if (!p)
		*rc = SDB_ENOMEM;
	return p;
}

static void add_chars(struct sdb_buf *b, char ch, int64_t n)
{
	while (n-- > 0)
		sdb_buf_addc(b, ch);
}

/* The formatting loop of sqlite3_str_vappendf with SQL arguments. */
static int format(struct sdb_buf *b, const char *fmt, struct pargs *a)
{
	static const char digits[] = "0123456789ABCDEF0123456789abcdef";
	char small[128];
	char *big = NULL;
	int rc = 0;

	for (; *fmt; fmt++) {
		char ch = *fmt;
		if (ch != '%') {
			const char *s = fmt;
			while (*fmt && *fmt != '%')
				fmt++;
			sdb_buf_add(b, s, (size_t)(fmt - s));
			if (!*fmt)
				break;
		}
		if ((ch = *++fmt) == 0) {
			sdb_buf_addc(b, '%');
			break;
		}
		int left = 0, alt = 0, alt2 = 0, zero = 0, done = 0;
		char prefix_flag = 0, thousand = 0;
		int64_t width = 0, prec = -1;
		do {
			switch (ch) {
			case '-': left = 1; break;
			case '+': prefix_flag = '+'; break;
			case ' ': prefix_flag = ' '; break;
			case '#': alt = 1; break;
			case '!': alt2 = 1; break;
			case '0': zero = 1; break;
			case ',': thousand = ','; break;
			case 'l':
				ch = *++fmt;
				if (ch == 'l')
					ch = *++fmt;
				done = 1;
				break;
			case '1': case '2': case '3': case '4': case '5':
			case '6': case '7': case '8': case '9': {
				unsigned wx = (unsigned)(ch - '0');
				while ((ch = *++fmt) >= '0' && ch <= '9')
					wx = wx * 10 + (unsigned)(ch - '0');
				width = wx & 0x7fffffff;
				if (ch != '.' && ch != 'l')
					done = 1;
				else
					fmt--;
				break;
			}
			case '*': {
				int w = (int)arg_int(a);
				if (w < 0) {
					left = 1;
					w = w >= -2147483647 ? -w : 0;
				}
				width = w;
				if ((ch = fmt[1]) != '.' && ch != 'l') {
					ch = *++fmt;
					done = 1;
				}
				break;
			}
			case '.':
				ch = *++fmt;
				if (ch == '*') {
					int p = (int)arg_int(a);
					if (p < 0)
						p = p >= -2147483647 ? -p : -1;
					prec = p;
					ch = *++fmt;
				} else {
					unsigned px = 0;
					while (ch >= '0' && ch <= '9') {
						px = px * 10 + (unsigned)(ch - '0');
						ch = *++fmt;
					}
					prec = px & 0x7fffffff;
				}
				if (ch == 'l')
					--fmt;
				else
					done = 1;
				break;
			default:
				done = 1;
				break;
			}
		} while (!done && (ch = *++fmt) != 0);

		const char *out = small;
		int64_t length = 0;
		size_t need;
		switch (ch) {
		case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
		case 'p': case 'r': {
			int base = ch == 'o' ? 8 : (ch == 'x' || ch == 'X' || ch == 'p') ? 16 : 10;
			const char *cset = digits + (ch == 'x' ? 16 : 0);
			const char *pre = ch == 'o' ? "0" : ch == 'x' ? "0x" : ch == 'X' ? "0X" : "";
			uint64_t lv;
			char prefix = 0;
			if (ch != 'd' && ch != 'i' && ch != 'u')
				thousand = 0;
			if (ch == 'd' || ch == 'i' || ch == 'r') {
				int64_t v = arg_int(a);
				if (v < 0) {
					lv = (uint64_t)0 - (uint64_t)v;
					prefix = '-';
				} else {
					lv = (uint64_t)v;
					prefix = prefix_flag;
				}
			} else {
				lv = (uint64_t)arg_int(a);
			}
			if (lv == 0)
				alt = 0;
			if (zero && prec < width - (prefix != 0))
				prec = width - (prefix != 0);
			need = (size_t)(prec < 0 ? 0 : prec) + 40 +
			       (thousand ? (size_t)(prec < 0 ? 0 : prec) / 3 : 0);
			if (need > SQL_MAX_LENGTH + 40)
				goto toobig;
			char *buf = small;
			if (need > sizeof(small)) {
				free(big);
				big = buf = malloc(need);
				if (!buf)
					return SDB_ENOMEM;
			}
			char *p = buf + need - 1;
			*p = 0;
			if (ch == 'r') {
				static const char ord[] = "thstndrd";
				int x = (int)(lv % 10);
				if (x >= 4 || (lv / 10) % 10 == 1)
					x = 0;
				*(--p) = ord[x * 2 + 1];
				*(--p) = ord[x * 2];
			}
			do {
				*(--p) = cset[lv % (unsigned)base];
				lv /= (unsigned)base;
			} while (lv > 0);
			length = (buf + need - 1) - p;
			while (prec > length) {
				*(--p) = '0';
				length++;
			}
			if (thousand) {
				int64_t nn = (length - 1) / 3, ix = (length - 1) % 3 + 1;
				p -= nn;
				for (int64_t idx = 0; nn > 0; idx++) {
					p[idx] = p[idx + nn];
					ix--;
					if (ix == 0) {
						p[++idx] = thousand;
						nn--;
						ix = 3;
					}
				}
			}
			if (prefix)
				*(--p) = prefix;
			if (alt && *pre)
				for (const char *q = pre + strlen(pre); q > pre;)
					*(--p) = *--q;
			length = (buf + need - 1) - p;
			out = p;
			break;
		}
		case 'f': case 'e': case 'E': case 'g': case 'G': {
			struct sqlv_fflags fl = { .alt = (uint8_t)alt, .alt2 = (uint8_t)alt2,
				.plus = prefix_flag == '+', .space = prefix_flag == ' ',
				.zero = (uint8_t)zero, .left = (uint8_t)left };
			double r = arg_real(a);
			if (prec > 100000000)
				prec = 100000000; /* SQLITE_FP_PRECISION_LIMIT */
			need = sqlv_float_need((int)prec, (int)width);
			if (need > SQL_MAX_LENGTH)
				goto toobig;
			char *buf = small;
			if (need > sizeof(small)) {
				free(big);
				big = buf = malloc(need);
				if (!buf)
					return SDB_ENOMEM;
			}
			length = (int64_t)sqlv_float_conv(buf, r, ch, (int)prec, (int)width, &fl);
			out = buf;
			break;
		}
		case '%':
			small[0] = '%';
			length = 1;
			break;
		case 'n':
			length = width = 0;
			break;
		case 'c': {
			const char *t = arg_text(a, &rc);
			if (rc)
				goto done;
			length = 1;
			if (t) {
				small[0] = *t++;
				if ((small[0] & 0xc0) == 0xc0)
					while (length < 4 && (*t & 0xc0) == 0x80)
						small[length++] = *t++;
			} else {
				small[0] = 0;
			}
			if (prec > 1) {
				if ((size_t)prec * (size_t)length + b->len > SQL_MAX_LENGTH)
					goto toobig;
				width -= prec - 1;
				if (width > 1 && !left) {
					add_chars(b, ' ', width - 1);
					width = 0;
				}
				for (int64_t k = 1; k < prec; k++)
					sdb_buf_add(b, small, (size_t)length);
				if (b->len > SQL_MAX_LENGTH)
					goto toobig;
			}
			out = small;
			alt2 = 1;
			goto adjust;
		}
		case 's': case 'z': {
			const char *t = arg_text(a, &rc);
			if (rc)
				goto done;
			if (!t)
				t = "";
			if (prec >= 0) {
				if (alt2) {
					const unsigned char *z = (const unsigned char *)t;
					while (prec-- > 0 && z[0]) {
						if (*z++ >= 0xc0)
							while ((*z & 0xc0) == 0x80)
								z++;
					}
					length = (const char *)z - t;
				} else {
					for (length = 0; length < prec && t[length]; length++)
						;
				}
			} else {
				length = (int64_t)strlen(t);
			}
			out = t;
			goto adjust;
		}
		case 'q': case 'Q': case 'w': {
			char q = ch == 'w' ? '"' : '\'';
			const char *t = arg_text(a, &rc);
			if (rc)
				goto done;
			int isnull = t == NULL;
			if (isnull)
				t = ch == 'Q' ? "NULL" : "(NULL)";
			int64_t i, k = prec, n = 0;
			for (i = 0; k != 0 && t[i]; i++, k--) {
				if (t[i] == q)
					n++;
				if (alt2 && (t[i] & 0xc0) == 0xc0)
					while ((t[i + 1] & 0xc0) == 0x80)
						i++;
			}
			int needq = !isnull && ch == 'Q';
			need = (size_t)(n + i + 3);
			char *buf = small;
			if (need > sizeof(small)) {
				free(big);
				big = buf = malloc(need);
				if (!buf)
					return SDB_ENOMEM;
			}
			int64_t j = 0;
			if (needq)
				buf[j++] = q;
			for (int64_t m = 0; m < i; m++) {
				buf[j++] = t[m];
				if (t[m] == q)
					buf[j++] = q;
			}
			if (needq)
				buf[j++] = q;
			length = j;
			out = buf;
			goto adjust;
		}
		default:
			goto done; /* SQLite stops at an unknown conversion */
		}
		goto emit;
adjust:
		if (alt2 && width > 0)
			for (int64_t ii = length - 1; ii >= 0; ii--)
				if ((out[ii] & 0xc0) == 0x80)
					width++;
emit:
		width -= length;
		if ((size_t)(width > 0 ? width : 0) + (size_t)length + b->len + 1 > SQL_MAX_LENGTH)
			goto toobig;
		if (width > 0) {
			if (!left)
				add_chars(b, ' ', width);
			sdb_buf_add(b, out, (size_t)length);
			if (left)
				add_chars(b, ' ', width);
		} else {
			sdb_buf_add(b, out, (size_t)length);
		}
		if (!sdb_buf_ok(b)) {
			rc = SDB_ENOMEM;
			goto done;
		}
	}
done:
	free(big);
	return rc;
toobig:
	free(big);
	return SDB_ELIMIT;
}

static int f_printf(struct sql_fctx *c, int argc, const struct sql_value *argv,
		    struct sql_value *out)
{
	const char *z;
	size_t n;
	*out = sql_null();
	if (argc < 1 || argv[0].type == SQLV_NULL)
		return 0;
	if (sqlv_bytes(&argv[0], c->mem, &z, &n))
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	char *fmt = sqlv_dup(c->mem, z, n);
	if (!fmt)
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	struct pargs a = { c, argc - 1, 1 - 1, argv + 1 };
	struct sdb_buf b = SDB_BUF_INIT;
	int rc = format(&b, fmt, &a);
	if (rc == SDB_ELIMIT) {
		rc = 0; /* SQLite's printf() is NULL when its text grows too big */
	} else if (rc) {
		rc = sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	} else {
		char *p = sqlv_dup(c->mem, b.data ? b.data : "", b.len);
		if (!p)
			rc = sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
		else
			*out = sql_text(p, b.len);
	}
	sdb_buf_release(&b);
	return rc;
}

const struct sql_func_def sqlv_printf_funcs[] = {
	{ "printf", 0, -1, SQL_FN_CONST, f_printf, NULL },
	{ "format", 0, -1, SQL_FN_CONST, f_printf, NULL },
};
const size_t sqlv_nprintf_funcs = sizeof(sqlv_printf_funcs) / sizeof(*sqlv_printf_funcs);
