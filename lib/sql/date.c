/*
 * date.c - SQLite's date and time functions: date, time, datetime,
 * julianday, unixepoch, strftime, current_date/time/timestamp, with
 * 'now' and every modifier.
 *
 * DESIGN. As in SQLite, a moment is a Julian day number in milliseconds
 * (iJD) with, computed on demand, its calendar date (Y, M, D) and time of
 * day (h, m, s); a bare number argument is kept raw (rawS) until a
 * modifier ('unixepoch', 'julianday', 'auto') says how to read it. Dates
 * run from -4713-11-24 to 9999-12-31; outside, the result is NULL.
 * Parsing, the modifiers and the formats follow SQLite's date.c rule for
 * rule (the ±YYYY-MM-DD modifier, 'subsec', and strftime's %e %F %G %g
 * %I %k %l %p %P %R %T %u %U %V of newer SQLite releases included).
 *
 * Known difference: 'utc' applied to a moment within hours of the first
 * Julian day (-4713-11-24 12:00) can give another result than sqlite3
 * 3.40, which computes those from out-of-range intermediate days.
 *
 * 'now' is the statement's clock (sql_fctx.now_ms, one value per
 * statement). 'localtime' and 'utc' use the C library's localtime_r, so
 * the time zone is the process's: the TZ environment variable, else the
 * system's zone.
 */
#include "sql/vpriv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct dt {
	int64_t jd;      /* Julian day number times 86400000 */
	int Y, M, D;
	int h, m;
	int tz;          /* minutes east of UTC */
	double s;
	uint8_t valid_jd, raw_s, valid_ymd, valid_hms, valid_tz, tz_set, error, subsec;
};

#define MAX_JD 464269060799999LL

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void dt_error(struct dt *p)
{
	memset(p, 0, sizeof(*p));
	p->error = 1;
}

/* SQLite's getDigits: groups "N min max-code separator". */
static int get_digits(const char *z, const char *f, int *out[])
{
	static const int mx[] = { 12, 14, 24, 31, 59, 14712 };
	int cnt = 0;
	char next;
	do {
		int n = f[0] - '0', min = f[1] - '0', max = mx[f[2] - 'a'], val = 0;
		next = f[3];
		while (n--) {
			if (!is_digit(*z))
				return cnt;
			val = val * 10 + *z - '0';
			z++;
		}
		if (val < min || val > max || (next != 0 && next != *z))
			return cnt;
		*out[cnt] = val;
		z++;
		cnt++;
		f += 4;
	} while (next);
	return cnt;
}

static int digits2(const char *z, const char *f, int *a, int *b)
{
	int *o[] = { a, b };
	return get_digits(z, f, o);
}

static int digits3(const char *z, const char *f, int *a, int *b, int *c)
{
	int *o[] = { a, b, c };
	return get_digits(z, f, o);
}

static int parse_tz(const char *z, struct dt *p)
{
	int sgn, hr, mn;
	while (sqlv_isspace((unsigned char)*z))
		z++;
	p->tz = 0;
	if (*z == '-') {
		sgn = -1;
	} else if (*z == '+') {
		sgn = 1;
	} else if (*z == 'Z' || *z == 'z') {
		z++;
		goto zulu;
	} else {
		return *z != 0;
	}
	z++;
	if (digits2(z, "20b:20e", &hr, &mn) != 2)
		return 1;
	z += 5;
	p->tz = sgn * (mn + hr * 60);
zulu:
	while (sqlv_isspace((unsigned char)*z))
		z++;
	p->tz_set = 1;
	return *z != 0;
}

static int parse_hms(const char *z, struct dt *p)
{
	int h, m, s;
	double ms = 0.0;
	if (digits2(z, "20c:20e", &h, &m) != 2)
		return 1;
	z += 5;
	if (*z == ':') {
		z++;
		int *o[] = { &s };
		if (get_digits(z, "20e", o) != 1)
			return 1;
		z += 2;
		if (*z == '.' && is_digit(z[1])) {
			double scale = 1.0;
			z++;
			while (is_digit(*z)) {
				ms = ms * 10.0 + *z - '0';
				scale *= 10.0;
				z++;
			}
			ms /= scale;
		}
	} else {
		s = 0;
	}
	p->valid_jd = 0;
	p->raw_s = 0;
	p->valid_hms = 1;
	p->h = h;
	p->m = m;
	p->s = s + ms;
	if (parse_tz(z, p))
		return 1;
	p->valid_tz = p->tz != 0;
	return 0;
}

static void compute_jd(struct dt *p)
{
	int Y, M, D, A, B, X1, X2;
	if (p->valid_jd)
		return;
	if (p->valid_ymd) {
		Y = p->Y;
		M = p->M;
		D = p->D;
	} else {
		Y = 2000;
		M = 1;
		D = 1;
	}
	if (Y < -4713 || Y > 9999 || p->raw_s) {
		dt_error(p);
		return;
	}
	if (M <= 2) {
		Y--;
		M += 12;
	}
	A = Y / 100;
	B = 2 - A + (A / 4);
	X1 = 36525 * (Y + 4716) / 100;
	X2 = 306001 * (M + 1) / 10000;
	p->jd = (int64_t)((X1 + X2 + D + B - 1524.5) * 86400000);
	p->valid_jd = 1;
	if (p->valid_hms) {
		p->jd += p->h * 3600000 + p->m * 60000 + (int64_t)(p->s * 1000 + 0.5);
		if (p->valid_tz) {
			p->jd -= p->tz * 60000;
			p->valid_ymd = 0;
			p->valid_hms = 0;
			p->valid_tz = 0;
		}
	}
}

static int valid_jd(int64_t jd)
{
	return jd >= 0 && jd <= MAX_JD;
}

static void compute_ymd(struct dt *p)
{
	int Z, A, B, C, D, E, X1;
	if (p->valid_ymd)
		return;
	if (!p->valid_jd) {
		p->Y = 2000;
		p->M = 1;
		p->D = 1;
	} else if (!valid_jd(p->jd)) {
		dt_error(p);
		return;
	} else {
		Z = (int)((p->jd + 43200000) / 86400000);
		A = (int)((Z - 1867216.25) / 36524.25);
		A = Z + 1 + A - (A / 4);
		B = A + 1524;
		C = (int)((B - 122.1) / 365.25);
		D = (36525 * (C & 32767)) / 100;
		E = (int)((B - D) / 30.6001);
		X1 = (int)(30.6001 * E);
		p->D = B - D - X1;
		p->M = E < 14 ? E - 1 : E - 13;
		p->Y = p->M > 2 ? C - 4716 : C - 4715;
	}
	p->valid_ymd = 1;
}

static void compute_hms(struct dt *p)
{
	int s;
	if (p->valid_hms)
		return;
	compute_jd(p);
	s = (int)((p->jd + 43200000) % 86400000);
	p->s = s / 1000.0;
	s = (int)p->s;
	p->s -= s;
	p->h = s / 3600;
	s -= p->h * 3600;
	p->m = s / 60;
	p->s += s - p->m * 60;
	p->raw_s = 0;
	p->valid_hms = 1;
}

static void compute_ymd_hms(struct dt *p)
{
	compute_ymd(p);
	compute_hms(p);
}

static void clear_ymd_hms_tz(struct dt *p)
{
	p->valid_ymd = 0;
	p->valid_hms = 0;
	p->valid_tz = 0;
}

static int parse_ymd(const char *z, struct dt *p)
{
	int Y, M, D, neg = 0;
	if (*z == '-') {
		z++;
		neg = 1;
	}
	if (digits3(z, "40f-21a-21d", &Y, &M, &D) != 3)
		return 1;
	z += 10;
	while (sqlv_isspace((unsigned char)*z) || *z == 'T')
		z++;
	if (parse_hms(z, p) == 0) {
		/* the time too */
	} else if (*z == 0) {
		p->valid_hms = 0;
	} else {
		return 1;
	}
	p->valid_jd = 0;
	p->valid_ymd = 1;
	p->Y = neg ? -Y : Y;
	p->M = M;
	p->D = D;
	if (p->valid_tz)
		compute_jd(p);
	return 0;
}

static void set_raw_number(struct dt *p, double r)
{
	p->s = r;
	p->raw_s = 1;
	if (r >= 0.0 && r < 5373484.5) {
		p->jd = (int64_t)(r * 86400000.0 + 0.5);
		p->valid_jd = 1;
	}
}

static int set_now(struct sql_fctx *c, struct dt *p)
{
	p->jd = c->now_ms + 210866760000000LL;
	if (p->jd > 0) {
		p->valid_jd = 1;
		return 0;
	}
	return 1;
}

static int parse_date_or_time(struct sql_fctx *c, const char *z, struct dt *p)
{
	double r;
	if (parse_ymd(z, p) == 0)
		return 0;
	if (parse_hms(z, p) == 0)
		return 0;
	if (strcasecmp(z, "now") == 0)
		return set_now(c, p);
	if (sqlv_atof(z, strlen(z), &r) > 0) {
		set_raw_number(p, r);
		return 0;
	}
	if (strcasecmp(z, "subsec") == 0 || strcasecmp(z, "subsecond") == 0) {
		p->subsec = 1;
		return set_now(c, p);
	}
	return 1;
}

/* p to local time (SQLite's toLocaltime: dates outside 1970..2038 are
 * mapped to a year 2000 + Y % 4 with the same calendar, then back). */
static int to_localtime(struct dt *p, struct sql_fctx *c)
{
	time_t t;
	struct tm tm;
	int year_diff;
	compute_jd(p);
	if (p->jd < 2108667600 * (int64_t)100000 || p->jd > 2130141456 * (int64_t)100000) {
		struct dt x = *p;
		compute_ymd_hms(&x);
		year_diff = (2000 + x.Y % 4) - x.Y;
		x.Y += year_diff;
		x.valid_jd = 0;
		compute_jd(&x);
		t = (time_t)(x.jd / 1000 - 21086676 * (int64_t)10000);
	} else {
		year_diff = 0;
		t = (time_t)(p->jd / 1000 - 21086676 * (int64_t)10000);
	}
	memset(&tm, 0, sizeof(tm));
	if (!localtime_r(&t, &tm))
		return sdb_error_set(c->e, SDB_EINVAL, "local time unavailable");
	p->Y = tm.tm_year + 1900 - year_diff;
	p->M = tm.tm_mon + 1;
	p->D = tm.tm_mday;
	p->h = tm.tm_hour;
	p->m = tm.tm_min;
	p->s = tm.tm_sec + (double)(p->jd % 1000) * 0.001;
	p->valid_ymd = 1;
	p->valid_hms = 1;
	p->valid_jd = 0;
	p->raw_s = 0;
	p->valid_tz = 0;
	p->error = 0;
	return 0;
}

static const struct {
	uint8_t n;
	char name[7];
	float limit;
	float xform;
} xforms[] = {
	{ 6, "second", 4.6427e+14f, 1.0f },
	{ 6, "minute", 7.7379e+12f, 60.0f },
	{ 4, "hour", 1.2897e+11f, 3600.0f },
	{ 3, "day", 5373485.0f, 86400.0f },
	{ 5, "month", 176546.0f, 2592000.0f },
	{ 4, "year", 14713.0f, 31536000.0f },
};

/* One modifier. @return 0, 1 not valid (NULL result), or a negative error. */
static int parse_modifier(struct sql_fctx *c, const char *z, struct dt *p, int idx)
{
	int rc = 1, n;
	double r;
	char c0 = z[0];
	if (c0 >= 'A' && c0 <= 'Z')
		c0 = (char)(c0 + 32);
	switch (c0) {
	case 'a':
		if (strcasecmp(z, "auto") == 0) {
			if (idx > 1)
				return 1;
			if (!p->raw_s || p->valid_jd) {
				rc = 0;
				p->raw_s = 0;
			} else if (p->s >= -21086676 * (int64_t)10000 &&
				   p->s <= (25340230 * (int64_t)10000) + 799) {
				r = p->s * 1000.0 + 210866760000000.0;
				clear_ymd_hms_tz(p);
				p->jd = (int64_t)(r + 0.5);
				p->valid_jd = 1;
				p->raw_s = 0;
				rc = 0;
			}
		}
		break;
	case 'j':
		if (strcasecmp(z, "julianday") == 0) {
			if (idx > 1)
				return 1;
			if (p->valid_jd && p->raw_s) {
				rc = 0;
				p->raw_s = 0;
			}
		}
		break;
	case 'l':
		if (strcasecmp(z, "localtime") == 0)
			rc = to_localtime(p, c);
		break;
	case 'u':
		if (strcasecmp(z, "unixepoch") == 0 && p->raw_s) {
			if (idx > 1)
				return 1;
			r = p->s * 1000.0 + 210866760000000.0;
			if (r >= 0.0 && r < 464269060800000.0) {
				clear_ymd_hms_tz(p);
				p->jd = (int64_t)(r + 0.5);
				p->valid_jd = 1;
				p->raw_s = 0;
				rc = 0;
			}
		} else if (strcasecmp(z, "utc") == 0) {
			if (p->tz_set == 0) {
				/* the UTC moment whose local time is p: a few guesses */
				int64_t orig, guess, err = 0;
				int cnt = 0;
				compute_jd(p);
				guess = orig = p->jd;
				do {
					struct dt x;
					memset(&x, 0, sizeof(x));
					guess -= err;
					x.jd = guess;
					x.valid_jd = 1;
					if ((rc = to_localtime(&x, c)))
						return rc;
					compute_jd(&x);
					err = x.jd - orig;
				} while (err && cnt++ < 3);
				memset(p, 0, sizeof(*p));
				p->jd = guess;
				p->valid_jd = 1;
				p->tz_set = 1;
			}
			rc = 0;
		}
		break;
	case 'w':
		if (strncasecmp(z, "weekday ", 8) == 0 &&
		    sqlv_atof(z + 8, strlen(z + 8), &r) > 0 && (n = (int)r) == r && n >= 0 && r < 7) {
			int64_t Z;
			compute_ymd_hms(p);
			p->valid_tz = 0;
			p->valid_jd = 0;
			compute_jd(p);
			Z = ((p->jd + 129600000) / 86400000) % 7;
			if (Z > n)
				Z -= 7;
			p->jd += (n - Z) * 86400000;
			clear_ymd_hms_tz(p);
			rc = 0;
		}
		break;
	case 's':
		if (strncasecmp(z, "start of ", 9) != 0) {
			if (strcasecmp(z, "subsec") == 0 || strcasecmp(z, "subsecond") == 0) {
				p->subsec = 1;
				rc = 0;
			}
			break;
		}
		if (!p->valid_jd && !p->valid_ymd && !p->valid_hms)
			break;
		z += 9;
		compute_ymd(p);
		p->valid_hms = 1;
		p->h = p->m = 0;
		p->s = 0.0;
		p->raw_s = 0;
		p->valid_tz = 0;
		p->valid_jd = 0;
		if (strcasecmp(z, "month") == 0) {
			p->D = 1;
			rc = 0;
		} else if (strcasecmp(z, "year") == 0) {
			p->M = 1;
			p->D = 1;
			rc = 0;
		} else if (strcasecmp(z, "day") == 0) {
			rc = 0;
		}
		break;
	case '+': case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9': {
		const char *z2 = z;
		char z0 = z[0];
		int Y, M, D, h, m, x;
		for (n = 1; z[n]; n++) {
			if (z[n] == ':' || sqlv_isspace((unsigned char)z[n]))
				break;
			if (z[n] == '-') {
				int *o[] = { &Y };
				if (n == 5 && get_digits(z + 1, "40f", o) == 1)
					break;
				if (n == 6 && get_digits(z + 1, "50f", o) == 1)
					break;
			}
		}
		if (sqlv_atof(z, (size_t)n, &r) <= 0)
			break;
		if (z[n] == '-') {
			/* (+|-)YYYY-MM-DD [HH:MM[:SS.FFF]] */
			if (z0 != '+' && z0 != '-')
				break;
			if (n == 5) {
				if (digits3(z + 1, "40f-20a-20d", &Y, &M, &D) != 3)
					break;
			} else {
				if (digits3(z + 1, "50f-20a-20d", &Y, &M, &D) != 3)
					break;
				z++;
			}
			if (M >= 12 || D >= 31)
				break;
			compute_ymd_hms(p);
			p->valid_jd = 0;
			if (z0 == '-') {
				p->Y -= Y;
				p->M -= M;
				D = -D;
			} else {
				p->Y += Y;
				p->M += M;
			}
			x = p->M > 0 ? (p->M - 1) / 12 : (p->M - 12) / 12;
			p->Y += x;
			p->M -= x * 12;
			compute_jd(p);
			p->valid_hms = 0;
			p->valid_ymd = 0;
			p->jd += (int64_t)D * 86400000;
			if (z[11] == 0) {
				rc = 0;
				break;
			}
			if (sqlv_isspace((unsigned char)z[11]) &&
			    digits2(z + 12, "20c:20e", &h, &m) == 2) {
				z2 = z + 12;
				n = 2;
			} else {
				break;
			}
		}
		if (z2[n] == ':') {
			/* (+|-)HH:MM[:SS[.FFF]] */
			struct dt tx;
			int64_t day;
			if (!is_digit(*z2))
				z2++;
			memset(&tx, 0, sizeof(tx));
			if (parse_hms(z2, &tx))
				break;
			compute_jd(&tx);
			tx.jd -= 43200000;
			day = tx.jd / 86400000;
			tx.jd -= day * 86400000;
			if (z0 == '-')
				tx.jd = -tx.jd;
			compute_jd(p);
			clear_ymd_hms_tz(p);
			p->jd += tx.jd;
			rc = 0;
			break;
		}
		/* NNN units */
		z += n;
		while (sqlv_isspace((unsigned char)*z))
			z++;
		n = (int)strlen(z);
		if (n > 10 || n < 3)
			break;
		if ((z[n - 1] | 32) == 's')
			n--;
		compute_jd(p);
		double rounder = r < 0 ? -0.5 : 0.5;
		for (size_t i = 0; i < sizeof(xforms) / sizeof(*xforms); i++) {
			if (xforms[i].n == n && strncasecmp(xforms[i].name, z, (size_t)n) == 0 &&
			    r > -xforms[i].limit && r < xforms[i].limit) {
				if (i == 4) {
					compute_ymd_hms(p);
					p->M += (int)r;
					x = p->M > 0 ? (p->M - 1) / 12 : (p->M - 12) / 12;
					p->Y += x;
					p->M -= x * 12;
					p->valid_jd = 0;
					r -= (int)r;
				} else if (i == 5) {
					compute_ymd_hms(p);
					p->Y += (int)r;
					p->valid_jd = 0;
					r -= (int)r;
				}
				compute_jd(p);
				p->jd += (int64_t)(r * 1000.0 * xforms[i].xform + rounder);
				rc = 0;
				break;
			}
		}
		clear_ymd_hms_tz(p);
		break;
	}
	default:
		break;
	}
	return rc;
}

/* The C string of a value (NULL for NULL); numbers in their text form. */
static int cstr(struct sql_fctx *c, const struct sql_value *v, const char **out)
{
	const char *z;
	size_t n;
	*out = NULL;
	if (v->type == SQLV_NULL)
		return 0;
	if (sqlv_bytes(v, c->mem, &z, &n))
		return SDB_ENOMEM;
	char *p = sqlv_dup(c->mem, z, n);
	if (!p)
		return SDB_ENOMEM;
	*out = p;
	return 0;
}

/* SQLite's isDate: @return 0 ok, 1 NULL result, or a negative error. */
static int is_date(struct sql_fctx *c, int argc, const struct sql_value *argv, struct dt *p)
{
	const char *z;
	int rc;
	memset(p, 0, sizeof(*p));
	if (argc == 0)
		return set_now(c, p);
	if (argv[0].type == SQLV_INT || argv[0].type == SQLV_REAL) {
		set_raw_number(p, sql_value_to_real(&argv[0]));
	} else {
		if ((rc = cstr(c, &argv[0], &z)))
			return rc;
		if (!z || parse_date_or_time(c, z, p))
			return 1;
	}
	for (int i = 1; i < argc; i++) {
		if ((rc = cstr(c, &argv[i], &z)))
			return rc;
		if (!z)
			return 1;
		if ((rc = parse_modifier(c, z, p, i)))
			return rc;
	}
	compute_jd(p);
	if (p->error || !valid_jd(p->jd))
		return 1;
	return 0;
}

#define ARGS struct sql_fctx *c, int argc, const struct sql_value *argv, \
	struct sql_value *out

static int text_result(struct sql_fctx *c, const char *z, size_t n, struct sql_value *out)
{
	char *p = sqlv_dup(c->mem, z, n);
	if (!p)
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	*out = sql_text(p, n);
	return 0;
}

static int date_rc(struct sql_fctx *c, int rc, struct sql_value *out)
{
	*out = sql_null();
	if (rc == SDB_ENOMEM)
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	return rc < 0 ? rc : 0;
}

/* Y as SQLite writes it: four digits, a '-' before negative years. */
static int put_year(char *b, int Y)
{
	return sprintf(b, Y < 0 ? "-%04d" : "%04d", Y < 0 ? -Y : Y);
}

static int put_secs(char *b, const struct dt *x)
{
	if (x->subsec) {
		int ms = (int)(1000.0 * x->s + 0.5);
		return sprintf(b, "%d%d.%03d", (ms / 10000) % 10, (ms / 1000) % 10, ms % 1000);
	}
	return sprintf(b, "%02d", (int)x->s);
}

static int f_julianday(ARGS)
{
	struct dt x;
	int rc = is_date(c, argc, argv, &x);
	if (rc)
		return date_rc(c, rc, out);
	compute_jd(&x);
	*out = sql_real((double)x.jd / 86400000.0);
	return 0;
}

static int f_unixepoch(ARGS)
{
	struct dt x;
	int rc = is_date(c, argc, argv, &x);
	if (rc)
		return date_rc(c, rc, out);
	compute_jd(&x);
	if (x.subsec)
		*out = sql_real((double)(x.jd - 21086676 * (int64_t)10000000) / 1000.0);
	else
		*out = sql_int(x.jd / 1000 - 21086676 * (int64_t)10000);
	return 0;
}

static int f_datetime(ARGS)
{
	struct dt x;
	char b[64];
	int rc = is_date(c, argc, argv, &x), n;
	if (rc)
		return date_rc(c, rc, out);
	compute_ymd_hms(&x);
	n = put_year(b, x.Y);
	n += sprintf(b + n, "-%02d-%02d %02d:%02d:", x.M, x.D, x.h, x.m);
	n += put_secs(b + n, &x);
	return text_result(c, b, (size_t)n, out);
}

static int f_time(ARGS)
{
	struct dt x;
	char b[32];
	int rc = is_date(c, argc, argv, &x), n;
	if (rc)
		return date_rc(c, rc, out);
	compute_hms(&x);
	n = sprintf(b, "%02d:%02d:", x.h, x.m);
	n += put_secs(b + n, &x);
	return text_result(c, b, (size_t)n, out);
}

static int f_date(ARGS)
{
	struct dt x;
	char b[32];
	int rc = is_date(c, argc, argv, &x), n;
	if (rc)
		return date_rc(c, rc, out);
	compute_ymd(&x);
	n = put_year(b, x.Y);
	n += sprintf(b + n, "-%02d-%02d", x.M, x.D);
	return text_result(c, b, (size_t)n, out);
}

/* Day of the year (0-based) of x. */
static int day_of_year(const struct dt *x)
{
	struct dt y = *x;
	y.valid_jd = 0;
	y.M = 1;
	y.D = 1;
	compute_jd(&y);
	return (int)((x->jd - y.jd + 43200000) / 86400000);
}

static void add_float(struct sdb_buf *b, double r, char conv, int prec, int width, int zero)
{
	struct sqlv_fflags fl = { .zero = (uint8_t)zero };
	char buf[400];
	size_t n = sqlv_float_conv(buf, r, conv, prec, width, &fl);
	if ((size_t)width > n) {
		for (size_t i = n; i < (size_t)width; i++)
			sdb_buf_addc(b, ' ');
	}
	sdb_buf_add(b, buf, n);
}

static int f_strftime(ARGS)
{
	struct dt x;
	const char *f;
	int rc;
	*out = sql_null();
	if (argc == 0)
		return 0;
	if ((rc = cstr(c, &argv[0], &f)))
		return date_rc(c, rc, out);
	if (!f)
		return 0;
	rc = is_date(c, argc - 1, argv + 1, &x);
	if (rc)
		return date_rc(c, rc, out);
	compute_jd(&x);
	compute_ymd_hms(&x);
	struct sdb_buf b = SDB_BUF_INIT;
	for (size_t i = 0; f[i]; i++) {
		if (f[i] != '%') {
			sdb_buf_addc(&b, f[i]);
			continue;
		}
		i++;
		switch (f[i]) {
		case 'd': sdb_buf_addf(&b, "%02d", x.D); break;
		case 'e': sdb_buf_addf(&b, "%2d", x.D); break;
		case 'f': {
			double s = x.s;
			if (s > 59.999)
				s = 59.999;
			add_float(&b, s, 'f', 3, 6, 1);
			break;
		}
		case 'F': {
			char y[16];
			put_year(y, x.Y);
			sdb_buf_addf(&b, "%s-%02d-%02d", y, x.M, x.D);
			break;
		}
		case 'G': case 'g': case 'V': {
			/* ISO 8601: the week with the year's first Thursday is week 1 */
			struct dt y = x;
			y.valid_jd = 0;
			y.valid_tz = 0;
			compute_jd(&y);
			/* move to the Thursday of this ISO week */
			int wd = (int)(((y.jd + 43200000) / 86400000) % 7); /* 0 Monday */
			y.jd += (int64_t)(3 - wd) * 86400000;
			y.valid_ymd = 0;
			compute_ymd(&y);
			if (f[i] == 'V') {
				sdb_buf_addf(&b, "%02d", day_of_year(&y) / 7 + 1);
			} else if (f[i] == 'G') {
				char yy[16];
				put_year(yy, y.Y);
				sdb_buf_adds(&b, yy);
			} else {
				sdb_buf_addf(&b, "%02d", ((y.Y % 100) + 100) % 100);
			}
			break;
		}
		case 'H': sdb_buf_addf(&b, "%02d", x.h); break;
		case 'k': sdb_buf_addf(&b, "%2d", x.h); break;
		case 'I': case 'l': {
			int h = x.h % 12;
			if (h == 0)
				h = 12;
			sdb_buf_addf(&b, f[i] == 'I' ? "%02d" : "%2d", h);
			break;
		}
		case 'j': sdb_buf_addf(&b, "%03d", day_of_year(&x) + 1); break;
		case 'J': add_float(&b, (double)x.jd / 86400000.0, 'g', 16, 0, 0); break;
		case 'm': sdb_buf_addf(&b, "%02d", x.M); break;
		case 'M': sdb_buf_addf(&b, "%02d", x.m); break;
		case 'p': sdb_buf_adds(&b, x.h >= 12 ? "PM" : "AM"); break;
		case 'P': sdb_buf_adds(&b, x.h >= 12 ? "pm" : "am"); break;
		case 'R': sdb_buf_addf(&b, "%02d:%02d", x.h, x.m); break;
		case 's':
			if (x.subsec)
				add_float(&b, (double)(x.jd - 21086676 * (int64_t)10000000) / 1000.0,
					  'f', 3, 0, 0);
			else
				sdb_buf_addf(&b, "%lld",
					     (long long)(x.jd / 1000 - 21086676 * (int64_t)10000));
			break;
		case 'S': sdb_buf_addf(&b, "%02d", (int)x.s); break;
		case 'T': sdb_buf_addf(&b, "%02d:%02d:%02d", x.h, x.m, (int)x.s); break;
		case 'u': {
			int w = (int)(((x.jd + 129600000) / 86400000) % 7);
			sdb_buf_addc(&b, (char)('0' + (w == 0 ? 7 : w)));
			break;
		}
		case 'w':
			sdb_buf_addc(&b, (char)('0' + (int)(((x.jd + 129600000) / 86400000) % 7)));
			break;
		case 'U': case 'W': {
			int nday = day_of_year(&x);
			int wd = f[i] == 'W' ? (int)(((x.jd + 43200000) / 86400000) % 7)
					     : (int)(((x.jd + 129600000) / 86400000) % 7);
			sdb_buf_addf(&b, "%02d", (nday + 7 - wd) / 7);
			break;
		}
		case 'Y': sdb_buf_addf(&b, "%04d", x.Y); break;
		case '%': sdb_buf_addc(&b, '%'); break;
		default:
			sdb_buf_release(&b);
			return 0; /* an unknown conversion: NULL */
		}
	}
	if (!sdb_buf_ok(&b)) {
		sdb_buf_release(&b);
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	}
	rc = text_result(c, b.data ? b.data : "", b.len, out);
	sdb_buf_release(&b);
	return rc;
}

static int f_current_time(ARGS)
{
	return f_time(c, 0, NULL, out);
}

static int f_current_date(ARGS)
{
	return f_date(c, 0, NULL, out);
}

static int f_current_timestamp(ARGS)
{
	return f_datetime(c, 0, NULL, out);
}

/* Not SQL_FN_CONST: with no argument or 'now' they read the statement's
 * clock, so they must not be folded once for every run of a statement. */
const struct sql_func_def sqlv_date_funcs[] = {
	{ "julianday", 0, -1, 0, f_julianday, NULL },
	{ "unixepoch", 0, -1, 0, f_unixepoch, NULL },
	{ "date", 0, -1, 0, f_date, NULL },
	{ "time", 0, -1, 0, f_time, NULL },
	{ "datetime", 0, -1, 0, f_datetime, NULL },
	{ "strftime", 1, -1, 0, f_strftime, NULL },
	{ "current_time", 0, 0, 0, f_current_time, NULL },
	{ "current_timestamp", 0, 0, 0, f_current_timestamp, NULL },
	{ "current_date", 0, 0, 0, f_current_date, NULL },
};
const size_t sqlv_ndate_funcs = sizeof(sqlv_date_funcs) / sizeof(*sqlv_date_funcs);
