/*
 * test_sql_vecparse.c - the vector literal parser (lib/sql/vec.c,
 * sql_vec_parse) against strtof: every element it accepts must be the
 * float strtof gives for the same text, bit for bit -- random float32
 * values printed in many forms, random digit strings and exponents, and
 * the edge cases (halfway cases, the ends of the normal range, subnormals,
 * long mantissas, zeros, the 8-digit steps of the digit scanner).
 */
#include "sql/vec.h"
#include "unit.h"

#include <math.h>
#include <float.h>
#include <locale.h>

static int bad;

/* s parsed as a one-element literal, with spaces, and as element 3 of 3. */
static void one(const char *s)
{
	char lit[1100];
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_error e;
	uint32_t d = 0;
	float want = strtof(s, NULL), got[3];

	if (strlen(s) > 500)
		return;
	snprintf(lit, sizeof lit, " [ %s , 1.5,%s]", s, s);
	int rc = sql_vec_parse(lit, strlen(lit), &b, &d, &e);
	if (!isfinite(want)) {
		CHECK(rc == SDB_EPARSE);
	} else if (rc || d != 3) {
		CHECK(!rc && d == 3);
		printf("  literal %s: %s\n", lit, rc ? e.msg : "wrong count");
	} else {
		memcpy(got, b.data, sizeof got);
		unit_checks++;
		if (memcmp(&got[0], &want, 4) || memcmp(&got[2], &want, 4) || got[1] != 1.5f) {
			unit_failures++;
			uint32_t gb, wb;
			memcpy(&gb, &got[0], 4);
			memcpy(&wb, &want, 4);
			if (bad++ < 20)
				printf("FAIL %s: %.9g (%08x) != strtof %.9g (%08x)\n", s, (double)got[0],
				       gb, (double)want, wb);
		}
	}
	sdb_buf_release(&b);
}

static void edge_cases(void)
{
	static const char *const c[] = {
		"0", "-0", "0.0", "-0.0", "0e0", "0E+5", "-0e-5", "1", "-1", "0.1", "0.5", "1.5",
		"16777216", "16777217", "16777218", "16777219", "33554433", "33554435",
		"8388608.5", "8388609.5", "4194304.25", "4194304.75",
		"0.100000001490116119384765625", "0.10000000149011612", "0.1000000015",
		"1.00000011920928955078125", "1.0000000596046447753906250",
		"1.00000005960464477539062501", "1.00000005960464477539062499",
		"3.40282347e38", "3.4028235e38", "3.40282356e38", "3.4028236e38", "1e38", "1e39",
		"-3.40282347e+38", "1.17549435e-38", "1.1754943e-38", "1.17549421e-38",
		"1e-38", "1e-40", "1.4e-45", "1e-45", "7e-46", "1e-46", "1e-50", "-1e-320",
		"1e22", "1e23", "1e-22", "1e-23", "123456789012345678", "1234567890123456789012",
		"9007199254740992", "9007199254740993", "9007199254740993e-10",
		"0.000000000000000000000000000001", "12345678", "123456789", "1234567812345678",
		"0.12345678", "0.123456789", "0.1234567812345678", "1.2345678e-5",
		"0.00000000", "0.0000000000000001", "1.00000000000000000000001",
		"2.3283064365386963e-10", "6.103515625e-05", "65504", "65505", "65519.99",
		"0.556206942", "-1.59139526", "2.30704021", "1.0232383", "-0.116519257",
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		one(c[i]);
}

static void random_cases(int n)
{
	char s[200];
	for (int i = 0; i < n; i++) {
		uint32_t bits = (uint32_t)unit_rnd();
		float f;
		memcpy(&f, &bits, 4);
		if (!isfinite(f))
			continue;
		static const char *const fmt[] = { "%.9g", "%.6g", "%.3g", "%.12g", "%.17g",
						   "%.8e", "%.20f", "%.1f", "%.9G" };
		for (size_t k = 0; k < sizeof fmt / sizeof fmt[0]; k++) {
			snprintf(s, sizeof s, fmt[k], (double)f);
			one(s);
		}
		/* normal-looking values (the benchmarks' vectors) */
		snprintf(s, sizeof s, "%.9g", (double)((float)(unit_rnd() % 2000000) / 1e6f - 1));
		one(s);
		/* a random mantissa of 1..25 digits, a point, an exponent */
		int nd = 1 + (int)(unit_rnd() % 25), pt = (int)(unit_rnd() % (nd + 1)), o = 0;
		if (unit_rnd() % 2)
			s[o++] = '-';
		for (int j = 0; j < nd; j++) {
			if (j == pt && j)
				s[o++] = '.';
			char ch = (char)('0' + unit_rnd() % 10);
			if (j == 0 && ch == '0' && pt != 1)
				ch = '1';
			s[o++] = ch;
		}
		if (unit_rnd() % 2)
			o += snprintf(s + o, sizeof s - (size_t)o, "e%d", (int)(unit_rnd() % 90) - 45);
		s[o] = 0;
		one(s);
		/* halfway between two floats, written exactly (%.40g of the double) */
		float g = (float)(unit_rnd() % 20000000) / 1024.0f;
		double mid = ((double)g + (double)nextafterf(g, INFINITY)) / 2;
		snprintf(s, sizeof s, "%.40g", mid);
		one(s);
		snprintf(s, sizeof s, "%.17g", mid);
		one(s);
	}
}

int main(int argc, char **argv)
{
	int n = 20000;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			n = atoi(argv[++i]);
	setlocale(LC_NUMERIC, "C");
	edge_cases();
	random_cases(n);
	return unit_done("test_sql_vecparse");
}
