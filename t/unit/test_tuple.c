/* test_tuple.c - unit tests for lib/store/tuple: the memcmp order of
 * encodings equals sdb_tv_cmp's order of the values (random values of
 * every type, INTEGER against REAL near 2^53 and 2^63, infinities, -0.0,
 * NaN, subnormals, text with 0x00/0xff), descending inversion, composite
 * keys (mixed directions, one a prefix of another), round trips with and
 * without the real-bits, the skip helper and malformed input. */
#include "unit.h"
#include "store/store.h"
#include "store/tuple.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>


static unsigned char pool[1 << 16];
static size_t pool_used;

/* A random value of any type, biased to the hard cases. */
static void random_value(struct sdb_tv *v)
{
	static const double specials[] = { 0.0, -0.0, 1.0, -1.0, 2.5, 3.0, 0.5, -2.5,
		9007199254740992.0, 9007199254740994.0, -9007199254740992.0,
		9223372036854775808.0, -9223372036854775808.0, 1.8446744073709552e19,
		4.9e-324, -4.9e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
		-1.7976931348623157e308, 1e-300 };
	static const int64_t ints[] = { 0, 1, -1, 2, 3, -3, 127, 128, 255, 256,
		9007199254740992ll, 9007199254740993ll, -9007199254740993ll,
		INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 1ll << 62 };
	uint64_t r = unit_rnd();

	memset(v, 0, sizeof(*v));
	switch (r % 10) {
	case 0:
		v->type = SDB_TV_NULL;
		break;
	case 1:
		v->type = SDB_TV_INT;
		v->i = ints[(r >> 8) % (sizeof(ints) / sizeof(*ints))];
		break;
	case 2:
		v->type = SDB_TV_INT;
		v->i = (int64_t)(unit_rnd() >> (unit_rnd() % 64)) * ((r >> 9) & 1 ? -1 : 1);
		break;
	case 3:
		v->type = SDB_TV_INT;
		v->i = (int64_t)(unit_rnd() % 2000) - 1000;
		break;
	case 4: {
		uint64_t bits = unit_rnd();
		v->type = SDB_TV_REAL;
		memcpy(&v->r, &bits, 8);
		if ((r >> 8) % 8 == 0)
			v->r = (r >> 12) & 1 ? INFINITY : -INFINITY;
		else if ((r >> 8) % 8 == 1)
			v->r = NAN;
		break;
	}
	case 5:
		v->type = SDB_TV_REAL;
		v->r = specials[(r >> 8) % (sizeof(specials) / sizeof(*specials))];
		break;
	case 6:
		v->type = SDB_TV_REAL;
		v->r = ((double)(int64_t)(unit_rnd() % 2000) - 1000) / ((r >> 8) & 1 ? 1 : 4);
		break;
	case 7:
		/* an integer near a double, or a double near an integer */
		if ((r >> 8) & 1) {
			v->type = SDB_TV_INT;
			v->i = (int64_t)(9007199254740992ll + (int64_t)(unit_rnd() % 9) - 4) * ((r >> 9) & 1 ? -1 : 1);
		} else {
			v->type = SDB_TV_REAL;
			v->r = ldexp(1.0, 53) + 2.0 * (double)((int64_t)(unit_rnd() % 5) - 2);
		}
		break;
	default: {
		size_t n = unit_rnd() % 6;
		unsigned char *p;
		if (pool_used + n > sizeof(pool))
			pool_used = 0;
		p = pool + pool_used;
		pool_used += n;
		for (size_t i = 0; i < n; i++) {
			unsigned x = (unsigned)(unit_rnd() % 6);
			p[i] = x == 0 ? 0x00 : x == 1 ? 0xff : x == 2 ? 0x01 : (unsigned char)('a' + unit_rnd() % 3);
		}
		v->type = r % 10 == 8 ? SDB_TV_TEXT : SDB_TV_BLOB;
		v->p = p;
		v->n = n;
		break;
	}
	}
}

static int sign(int c) { return c < 0 ? -1 : c > 0; }

static int enc_cmp(const struct sdb_buf *a, const struct sdb_buf *b)
{
	return sign(sdb_key_cmp(a->data, a->len, b->data, b->len));
}

static void show(const char *what, const struct sdb_tv *v)
{
	printf("  %s: type %d i %lld r %.17g n %zu\n", what, v->type, (long long)v->i, v->r, v->n);
}

/* The decoded value equals the encoded one (NaN: NULL; -0.0: 0). */
static int same_value(const struct sdb_tv *in, const struct sdb_tv *out, int with_bits)
{
	if (in->type == SDB_TV_REAL && isnan(in->r))
		return out->type == SDB_TV_NULL;
	if (in->type == SDB_TV_REAL && !with_bits) {
		/* an integral REAL that fits comes back as INTEGER */
		if (out->type == SDB_TV_INT)
			return in->r == (double)out->i && in->r == trunc(in->r);
		return out->type == SDB_TV_REAL && out->r == in->r;
	}
	if (out->type != in->type)
		return 0;
	switch (in->type) {
	case SDB_TV_INT:
		return out->i == in->i;
	case SDB_TV_REAL:
		return out->r == in->r;
	case SDB_TV_TEXT:
	case SDB_TV_BLOB:
		return out->n == in->n && (!in->n || !memcmp(out->p, in->p, in->n));
	}
	return 1;
}

static void test_pairs(void)
{
	struct sdb_buf a = SDB_BUF_INIT, b = SDB_BUF_INIT, ad = SDB_BUF_INIT, bd = SDB_BUF_INIT,
		       tmp = SDB_BUF_INIT;
	struct sdb_error e;
	int bad = 0;

	for (int round = 0; round < 200000; round++) {
		struct sdb_tv x, y, out;
		int c;
		random_value(&x);
		if (round % 3)
			random_value(&y);
		else
			y = x; /* and near-equal numbers of the other type */
		if (round % 7 == 0 && x.type == SDB_TV_INT) {
			y.type = SDB_TV_REAL;
			y.r = (double)x.i;
		}
		sdb_buf_reset(&a);
		sdb_buf_reset(&b);
		sdb_buf_reset(&ad);
		sdb_buf_reset(&bd);
		sdb_tuple_add(&a, &x, 0);
		sdb_tuple_add(&b, &y, 0);
		sdb_tuple_add(&ad, &x, 1);
		sdb_tuple_add(&bd, &y, 1);
		c = sign(sdb_tv_cmp(&x, &y));
		if (enc_cmp(&a, &b) != c || enc_cmp(&ad, &bd) != -c ||
		    (c == 0) != (a.len == b.len && !memcmp(a.data, b.data, a.len))) {
			if (bad++ < 5) {
				printf("FAIL order: cmp %d enc %d desc %d\n", c, enc_cmp(&a, &b), enc_cmp(&ad, &bd));
				show("x", &x);
				show("y", &y);
			}
		}
		/* round trip, skip */
		for (int desc = 0; desc < 2; desc++) {
			const struct sdb_buf *enc = desc ? &ad : &a;
			for (int bits = 0; bits < 2; bits++) {
				sdb_buf_reset(&tmp);
				long n = sdb_tuple_decode1((const unsigned char *)enc->data, enc->len, desc,
							   bits && x.type == SDB_TV_REAL, &out, &tmp, &e);
				if (n != (long)enc->len || !same_value(&x, &out, bits)) {
					if (bad++ < 5) {
						printf("FAIL round trip (desc %d bits %d): %ld of %zu\n", desc, bits, n, enc->len);
						show("in", &x);
						show("out", &out);
					}
				}
			}
			if (sdb_tuple_skip((const unsigned char *)enc->data, enc->len, desc) != enc->len ||
			    sdb_tuple_skip((const unsigned char *)enc->data, enc->len - 1, desc) != 0)
				bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	sdb_buf_release(&a);
	sdb_buf_release(&b);
	sdb_buf_release(&ad);
	sdb_buf_release(&bd);
	sdb_buf_release(&tmp);
}

/* Tuples of 0..4 values with per-column directions: memcmp order is the
 * column-by-column order, a prefix first. */
static void test_composite(void)
{
	struct sdb_buf a = SDB_BUF_INIT, b = SDB_BUF_INIT, tmp = SDB_BUF_INIT;
	struct sdb_error e;
	int bad = 0;

	for (int round = 0; round < 50000; round++) {
		struct sdb_tv x[4], y[4], out[4];
		unsigned char desc[4], bits[1];
		size_t nx = unit_rnd() % 5, ny = unit_rnd() % 5;
		int want = 0;
		for (int i = 0; i < 4; i++) {
			desc[i] = unit_rnd() % 3 == 0;
			random_value(&x[i]);
			if (unit_rnd() % 2)
				y[i] = x[i]; /* long common prefixes */
			else
				random_value(&y[i]);
		}
		for (size_t i = 0; i < nx && i < ny && !want; i++)
			want = sign(sdb_tv_cmp(&x[i], &y[i])) * (desc[i] ? -1 : 1);
		if (!want)
			want = nx < ny ? -1 : nx > ny;
		sdb_buf_reset(&a);
		sdb_buf_reset(&b);
		CHECK_EQ_INT(sdb_tuple_encode(&a, x, nx, desc, &e), 0);
		CHECK_EQ_INT(sdb_tuple_encode(&b, y, ny, desc, &e), 0);
		if (enc_cmp(&a, &b) != want && bad++ < 5)
			printf("FAIL composite: %zu vs %zu values, want %d got %d\n", nx, ny, want, enc_cmp(&a, &b));
		sdb_tuple_real_bits(x, nx, bits);
		if (sdb_tuple_decode((const unsigned char *)a.data, a.len, desc, bits, out, 4, &tmp, &e) != (long)nx)
			bad++;
		else
			for (size_t i = 0; i < nx; i++)
				if (!same_value(&x[i], &out[i], 1))
					bad++;
		if (nx && sdb_tuple_decode((const unsigned char *)a.data, a.len, desc, bits, out, nx - 1, &tmp, &e) !=
			  SDB_ECORRUPT)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	sdb_buf_release(&a);
	sdb_buf_release(&b);
	sdb_buf_release(&tmp);
}

static void enc1(struct sdb_buf *b, int type, int64_t i, double r, const char *s)
{
	struct sdb_tv v = { .type = type, .i = i, .r = r, .p = s, .n = s ? strlen(s) : 0 };

	sdb_buf_reset(b);
	sdb_tuple_add(b, &v, 0);
}

static void test_fixed(void)
{
	struct sdb_buf a = SDB_BUF_INIT, b = SDB_BUF_INIT, tmp = SDB_BUF_INIT;
	struct sdb_tv v;
	struct sdb_error e;
	static const unsigned char three[] = { 0x18, 0x04, 0x34, 0x80 }; /* 1.1b x 2^1 */
	static const unsigned char bad[][6] = {
		{ 0x01 }, { 0x18, 0x04 }, { 0x18, 0x00, 0x00, 0x00 }, { 0x18, 0x04, 0x34, 0x81 },
		{ 0x18, 0x04, 0x34, 0x81, 0x00 }, { 0x20, 'a', 0x00 }, { 0x20, 'a', 0x00, 0x07 },
		{ 0x18, 0x08, 0x33, 0x02 } /* infinity with a fraction */,
	};
	static const size_t badlen[] = { 1, 2, 4, 4, 5, 3, 4, 4 };

	enc1(&a, SDB_TV_INT, 3, 0, NULL);
	enc1(&b, SDB_TV_REAL, 0, 3.0, NULL);
	CHECK(a.len == sizeof(three) && !memcmp(a.data, three, sizeof(three)));
	CHECK(b.len == a.len && !memcmp(a.data, b.data, a.len)); /* 3 and 3.0: one key */
	enc1(&b, SDB_TV_REAL, 0, 2.5, NULL);
	CHECK(enc_cmp(&b, &a) < 0);
	/* the examples of doc/FORMAT.md */
	enc1(&a, SDB_TV_INT, 1, 0, NULL);
	CHECK(a.len == 4 && !memcmp(a.data, "\x18\x04\x33\x00", 4));
	enc1(&a, SDB_TV_INT, -1, 0, NULL);
	CHECK(a.len == 4 && !memcmp(a.data, "\x10\xfb\xcc\xff", 4));
	enc1(&a, SDB_TV_REAL, 0, -0.0, NULL);
	enc1(&b, SDB_TV_INT, 0, 0, NULL);
	CHECK(a.len == 1 && b.len == 1 && a.data[0] == 0x14 && b.data[0] == 0x14);
	enc1(&a, SDB_TV_INT, 9007199254740993ll, 0, NULL);
	enc1(&b, SDB_TV_REAL, 0, 9007199254740992.0, NULL);
	CHECK(enc_cmp(&a, &b) > 0); /* 2^53 + 1 > 2^53 exactly */
	enc1(&a, SDB_TV_INT, INT64_MIN, 0, NULL);
	enc1(&b, SDB_TV_REAL, 0, -9223372036854775808.0, NULL);
	CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
	enc1(&a, SDB_TV_REAL, 0, NAN, NULL);
	CHECK(a.len == 1 && a.data[0] == SDB_TUPLE_NULL);
	enc1(&a, SDB_TV_NULL, 0, 0, NULL);
	enc1(&b, SDB_TV_REAL, 0, -INFINITY, NULL);
	CHECK(enc_cmp(&a, &b) < 0);
	enc1(&a, SDB_TV_REAL, 0, INFINITY, NULL);
	enc1(&b, SDB_TV_TEXT, 0, 0, "");
	CHECK(enc_cmp(&a, &b) < 0);
	enc1(&a, SDB_TV_TEXT, 0, 0, "zzz");
	enc1(&b, SDB_TV_BLOB, 0, 0, "");
	CHECK(enc_cmp(&a, &b) < 0);
	enc1(&a, SDB_TV_TEXT, 0, 0, "ab");
	CHECK(a.len == 5 && !memcmp(a.data, "\x20" "ab\0\0", 5));
	{
		struct sdb_tv z = { .type = SDB_TV_TEXT, .p = "a\0b", .n = 3 };
		sdb_buf_reset(&b);
		sdb_tuple_add(&b, &z, 0);
		CHECK(b.len == 7 && !memcmp(b.data, "\x20" "a\0\xff" "b\0\0", 7));
		CHECK(sdb_tuple_decode1((const unsigned char *)b.data, b.len, 0, 0, &v, &tmp, &e) == 7);
		CHECK(v.type == SDB_TV_TEXT && v.n == 3 && !memcmp(v.p, "a\0b", 3));
	}
	/* without real-bits an integral REAL comes back as INTEGER; with them
	 * as REAL */
	enc1(&a, SDB_TV_REAL, 0, 3.0, NULL);
	CHECK(sdb_tuple_decode1((const unsigned char *)a.data, a.len, 0, 0, &v, &tmp, &e) == (long)a.len);
	CHECK(v.type == SDB_TV_INT && v.i == 3);
	CHECK(sdb_tuple_decode1((const unsigned char *)a.data, a.len, 0, 1, &v, &tmp, &e) == (long)a.len);
	CHECK(v.type == SDB_TV_REAL && v.r == 3.0);
	for (size_t i = 0; i < sizeof(badlen) / sizeof(*badlen); i++) {
		CHECK_EQ_INT(sdb_tuple_decode1(bad[i], badlen[i], 0, 0, &v, &tmp, &e), SDB_ECORRUPT);
		CHECK_EQ_INT(sdb_tuple_skip(bad[i], badlen[i], 0), 0);
	}
	sdb_buf_release(&a);
	sdb_buf_release(&b);
	sdb_buf_release(&tmp);
}

/* sdb_tuple_decode_int and its descending form agree with decode1 on
 * random int64s, and refuse what is not an INTEGER element. */
static void test_decode_int(void)
{
	struct sdb_buf a = SDB_BUF_INIT, tmp = SDB_BUF_INIT;
	struct sdb_tv v, d;
	struct sdb_error e;

	for (int k = 0; k < 20000; k++) {
		int desc = k & 1;
		int64_t x, got = 0;
		long n;
		x = k < 64 ? (int64_t)k - 32 : (int64_t)(unit_rnd() >> (unit_rnd() % 64));
		if (k >= 64 && unit_rnd() % 2)
			x = -x;
		if (k == 2)
			x = INT64_MIN;
		if (k == 3)
			x = INT64_MAX;
		v = (struct sdb_tv){ .type = SDB_TV_INT, .i = x };
		sdb_buf_reset(&a);
		sdb_tuple_add(&a, &v, desc);
		n = desc ? sdb_tuple_decode_int_desc((const unsigned char *)a.data, a.len, &got) :
			   sdb_tuple_decode_int((const unsigned char *)a.data, a.len, &got);
		CHECK_EQ_INT(n, (long)a.len);
		CHECK(got == x);
		CHECK(sdb_tuple_decode1((const unsigned char *)a.data, a.len, desc, 0, &d, &tmp, &e) == n);
		/* one byte short: refused */
		n = desc ? sdb_tuple_decode_int_desc((const unsigned char *)a.data, a.len - 1, &got) :
			   sdb_tuple_decode_int((const unsigned char *)a.data, a.len - 1, &got);
		CHECK_EQ_INT(n, 0);
	}
	/* a REAL with a fraction and a TEXT are no INTEGER, either way */
	v = (struct sdb_tv){ .type = SDB_TV_REAL, .r = 2.5 };
	for (int desc = 0; desc < 2; desc++) {
		int64_t got;
		sdb_buf_reset(&a);
		sdb_tuple_add(&a, &v, desc);
		CHECK_EQ_INT(desc ? sdb_tuple_decode_int_desc((const unsigned char *)a.data, a.len, &got) :
			     sdb_tuple_decode_int((const unsigned char *)a.data, a.len, &got), 0);
		sdb_buf_reset(&a);
		enc1(&a, SDB_TV_TEXT, 0, 0, "ab");
		CHECK_EQ_INT(sdb_tuple_decode_int_desc((const unsigned char *)a.data, a.len, &got), 0);
	}
	sdb_buf_release(&a);
	sdb_buf_release(&tmp);
}

int main(void)
{
	unit_rng = 0x9e3779b97f4a7c15ull;
	test_fixed();
	test_decode_int();
	test_pairs();
	test_composite();
	return unit_done("test_tuple");
}
