/* test_json.c - unit tests for lib/num, lib/text, lib/json, and the
 * chunked (two-thread) TOON encoding of long arrays. */
#include "unit.h"
#include "json/json.h"
#include "json/jtree.h"
#include "util/num.h"
#include "util/text.h"
#include "toon/toon.h"

#include <math.h>
#include <stdlib.h>

static void canon(const char *in, int exact, const char *want)
{
	struct sdb_buf b = SDB_BUF_INIT;

	sdb_num_canon(in, strlen(in), exact, &b);
	CHECK_EQ_STR(b.data, want);
	sdb_buf_release(&b);
}

/* sdb_num_plain: a number without exponent, and 2 only where
 * sdb_num_canon would copy the text as it is; the parser's own test of
 * the same rule agrees. */
static void plain_agrees(const char *p)
{
	struct sdb_buf b = SDB_BUF_INIT;
	size_t n = strlen(p);
	int r = sdb_num_plain(p, n);

	CHECK_EQ_INT(r != 0, sdb_num_syntax(p, n, 0) && !strpbrk(p, "eE"));
	if (r == 2) {
		sdb_num_canon(p, n, 0, &b);
		CHECK(b.len == n && !memcmp(b.data, p, n));
	}
	sdb_buf_release(&b);
	/* the JSON parser marks the same numbers as not canonical */
	if (sdb_num_syntax(p, n, 0)) {
		struct sdb_json_doc d;
		struct sdb_error e;
		CHECK_EQ_INT(sdb_json_parse(&d, p, n, 0, &e), 0);
		CHECK_EQ_INT(SDB_JT_ESC(d.tape[0]), r != 2);
		sdb_json_release(&d);
	}
}

static void test_num(void)
{
	{
		static const char *t[] = { "0", "-0", "7", "-7", "10", "100.5", "1.50", "0.5", "-0.5",
			"0.000001", "0.0000001", "0.0000012", "123456789012345", "1234567890123456",
			"1.23456789012345", "1.234567890123456", "0.100000000000001", "0.1000000000000001",
			"-0.0", "00", "01", "1.", ".5", "-", "1e5", "1x", "" };
		char r[48];
		for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
			plain_agrees(t[i]);
		srand(7);
		for (int i = 0; i < 20000; i++) { /* random plain numbers */
			int k = 0, id = 1 + rand() % 18, fd = rand() % 19;
			if (rand() % 2)
				r[k++] = '-';
			for (int j = 0; j < id; j++)
				r[k++] = (char)('0' + (j == 0 && id > 1 ? 1 + rand() % 9 : rand() % 10));
			if (fd) {
				r[k++] = '.';
				for (int j = 0; j < fd; j++)
					r[k++] = (char)('0' + (rand() % 3 ? rand() % 10 : 0));
			}
			r[k] = 0;
			if (rand() % 4 == 0) { /* 0.000...x */
				snprintf(r, sizeof(r), "0.%0*d%d", rand() % 9, 0, 1 + rand() % 9);
			}
			plain_agrees(r);
		}
	}
	canon("0", 0, "0");
	canon("-0", 0, "0");
	canon("-0.0e5", 0, "0");
	canon("1.0", 0, "1");
	canon("1.50", 0, "1.5");
	canon("1e6", 0, "1000000");
	canon("1e-6", 0, "0.000001");
	canon("1e-7", 0, "1e-7");
	canon("123e-9", 0, "1.23e-7");
	canon("1e21", 0, "1e+21");
	canon("1e20", 0, "100000000000000000000");
	canon("-1E+03", 0, "-1000");
	canon("0.30000000000000004", 0, "0.30000000000000004");
	canon("0.10000000000000001", 0, "0.1");
	canon("12345678901234567890", 0, "12345678901234567000");
	canon("9007199254740993", 0, "9007199254740992");
	canon("5e-324", 0, "5e-324");
	canon("2e-324", 0, "0");
	canon("1.7976931348623157e308", 0, "1.7976931348623157e+308");
	canon("1e309", 0, "null");
	canon("1e99999999999999", 0, "null");
	canon("1e-99999999999999", 0, "0");
	canon("12345678901234567890", 1, "12345678901234567890");
	canon("0.10000000000000001", 1, "0.10000000000000001");
	canon("1e400", 1, "1e+400");
	canon("-0.000", 1, "0");
	{
		struct sdb_buf b = SDB_BUF_INIT;
		sdb_num_from_double(NAN, &b);
		sdb_num_from_double(0.1 + 0.2, &b);
		CHECK_EQ_STR(b.data, "null0.30000000000000004");
		sdb_buf_release(&b);
	}
}

static void test_text(void)
{
	const char *p = "\xc2\xa0 x \xe3\x80\x80";
	size_t n = strlen(p);
	uint32_t cp;

	sdb_js_trim(&p, &n);
	CHECK(n == 1 && *p == 'x');
	CHECK_EQ_INT(sdb_utf8_check("ok \xe4\xb8\x96", 6), 0);
	CHECK_EQ_INT(sdb_utf8_check("ab\xc0\xaf", 4), 3);        /* overlong */
	CHECK_EQ_INT(sdb_utf8_check("\xed\xa0\x80", 3), 1);       /* surrogate */
	CHECK_EQ_INT(sdb_utf8_check("\xf4\x90\x80\x80", 4), 1);   /* > U+10FFFF */
	CHECK_EQ_INT(sdb_utf8_decode((const unsigned char *)"\xf0\x9f\x91\x8b", 4, &cp), 4);
	CHECK_EQ_INT(cp, 0x1F44B);
	{
		static const char set[8] = { ':', 0, 0, 0, 0, 0, 0, 0 };
		CHECK_EQ_INT(sdb_find_special("abcdefghijklmnopqrstu:w", 23, set), 21);
		CHECK_EQ_INT(sdb_find_special("abcdefghijklmnopqrstuvw\x01", 24, set), 23);
		CHECK_EQ_INT(sdb_find_special("abc", 3, set), 3);
	}
}

/* JSON.stringify's escaping, one byte at a time (the reference). */
static void quote_ref(struct sdb_buf *b, const char *p, size_t n)
{
	sdb_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			sdb_buf_addf(b, "\\%c", c);
		else if (c == '\n')
			sdb_buf_adds(b, "\\n");
		else if (c == '\t')
			sdb_buf_adds(b, "\\t");
		else if (c == '\r')
			sdb_buf_adds(b, "\\r");
		else if (c == '\b')
			sdb_buf_adds(b, "\\b");
		else if (c == '\f')
			sdb_buf_adds(b, "\\f");
		else if (c < 0x20)
			sdb_buf_addf(b, "\\u%04x", c);
		else
			sdb_buf_addc(b, (char)c);
	}
	sdb_buf_addc(b, '"');
}

static void test_quote(void)
{
	static const char specials[] = "\"\\\n\x01\x1f\x7f\xc3";
	struct sdb_buf got = SDB_BUF_INIT, want = SDB_BUF_INIT;
	char s[48];

	/* every length through the 16- and 8-byte blocks, every position */
	for (size_t n = 0; n <= 40; n++)
		for (size_t at = 0; at <= n; at++)
			for (size_t k = 0; k < sizeof(specials) - 1; k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (char)('a' + i % 26);
				if (at < n)
					s[at] = specials[k];
				if (at + 3 < n)
					s[n - 1] = '"';
				sdb_buf_reset(&got);
				sdb_buf_reset(&want);
				sdb_buf_adds(&got, "x"); /* appends after what is there */
				sdb_json_quote(&got, s, n);
				sdb_buf_adds(&want, "x");
				quote_ref(&want, s, n);
				CHECK(got.len == want.len && !memcmp(got.data, want.data, got.len));
				CHECK_EQ_INT(got.data[got.len], 0);
			}
	sdb_buf_release(&got);
	sdb_buf_release(&want);
}

static void test_parse(void)
{
	struct sdb_json_doc d;
	struct sdb_error e;
	struct sdb_buf b = SDB_BUF_INIT, s = SDB_BUF_INIT;
	const char *txt = "{\"a\":[1,true,null],\"b\\u00e9\":\"x\\ny\",\"c\":{}}";
	const char *p;
	size_t n;

	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), 0, &e), 0);
	CHECK_EQ_INT(sdb_json_type(&d, 0), SDB_J_OBJECT);
	CHECK_EQ_INT(sdb_json_count(&d, 0), 3);
	CHECK_EQ_INT(sdb_json_type(&d, 2), SDB_J_ARRAY);
	CHECK_EQ_INT(sdb_json_count(&d, 2), 3);
	CHECK_EQ_INT(sdb_json_next(&d, 2), 6); /* skips the whole array */
	CHECK_EQ_INT(sdb_json_str(&d, 6, &p, &n, &s), 0);
	CHECK(n == 3 && !memcmp(p, "b\xc3\xa9", 3));
	CHECK(!d.has_dups);
	sdb_json_write(&d, 0, 0, 0, &b);
	CHECK_EQ_STR(b.data, "{\"a\":[1,true,null],\"b\xc3\xa9\":\"x\\ny\",\"c\":{}}");
	sdb_buf_reset(&b);
	sdb_json_write(&d, 0, 2, 0, &b);
	CHECK_EQ_STR(b.data, "{\n  \"a\": [\n    1,\n    true,\n    null\n  ],\n  \"b\xc3\xa9\": \"x\\ny\",\n  \"c\": {}\n}");
	sdb_json_release(&d);

	/* duplicates are flagged and resolved as JSON.parse resolves them */
	txt = "{\"k\":1,\"j\":2,\"k\":3}";
	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), 0, &e), 0);
	CHECK(d.has_dups);
	{
		struct sdb_jv *t;
		CHECK_EQ_INT(sdb_jv_from_tape(&d, 0, &t), 0);
		sdb_buf_reset(&b);
		sdb_jv_write(t, &b);
		CHECK_EQ_STR(b.data, "{\"k\":3,\"j\":2}");
		sdb_jv_free(t);
	}
	sdb_json_release(&d);
	/* escaped spellings of one key are the same key */
	txt = "{\"a\":1,\"\\u0061\":2}";
	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), 0, &e), 0);
	CHECK(d.has_dups);
	sdb_json_release(&d);
	/* many distinct keys (hash set path) are not duplicates */
	sdb_buf_reset(&b);
	sdb_buf_addc(&b, '{');
	for (int i = 0; i < 500; i++)
		sdb_buf_addf(&b, "%s\"key%d\":%d", i ? "," : "", i, i);
	sdb_buf_addc(&b, '}');
	CHECK_EQ_INT(sdb_json_parse(&d, b.data, b.len, 0, &e), 0);
	CHECK(!d.has_dups);
	sdb_json_release(&d);
	sdb_buf_add(&b, "x", 0);
	b.data[b.len - 1] = ',';
	sdb_buf_adds(&b, "\"key250\":0}");
	CHECK_EQ_INT(sdb_json_parse(&d, b.data, b.len, 0, &e), 0);
	CHECK(d.has_dups);
	sdb_json_release(&d);

	/* errors carry line and column (in code points) */
	txt = "[\n  \"\xc3\xa9\xc3\xa9\", tru\n]";
	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), 0, &e), SDB_EPARSE);
	CHECK_EQ_INT(e.line, 2);
	CHECK_EQ_INT(e.column, 9);
	CHECK_EQ_STR(e.msg, "unexpected 't'");
	/* deep nesting is refused, not a stack overflow */
	{
		char *deep = malloc(20001);
		memset(deep, '[', 20000);
		CHECK_EQ_INT(sdb_json_parse(&d, deep, 20000, 0, &e), SDB_EPARSE);
		CHECK_EQ_STR(e.msg, "nesting deeper than 10000 levels");
		free(deep);
	}
	/* JSON lines */
	txt = "1\n\n{\"a\":2}\r\n[3]";
	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), SDB_JSON_JSONL, &e), 0);
	CHECK_EQ_INT(sdb_json_count(&d, 0), 3);
	CHECK_EQ_INT(SDB_JT_KINDS(d.tape[0]), 1 << SDB_J_NUMBER | 1 << SDB_J_OBJECT | 1 << SDB_J_ARRAY);
	sdb_json_release(&d);

	/* the parser marks numbers that are not canonical; sdb_json_num
	 * writes the same text as sdb_num_canon either way */
	{
		static const char *nums[] = { "0", "-0", "12", "-12", "1.5", "1.50", "0.5", "-0.5",
			"0.000001", "0.0000001", "1e5", "1E-7", "123456789012345", "1234567890123456",
			"1.23456789012345", "1.234567890123456", "0.100000000000001", "100", "-0.0" };
		static const int odd[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1 };
		for (size_t k = 0; k < sizeof(nums) / sizeof(*nums); k++) {
			struct sdb_buf w1 = SDB_BUF_INIT, w2 = SDB_BUF_INIT;
			CHECK_EQ_INT(sdb_json_parse(&d, nums[k], strlen(nums[k]), 0, &e), 0);
			CHECK_EQ_INT(SDB_JT_ESC(d.tape[0]), odd[k]);
			for (int exact = 0; exact < 2; exact++) {
				sdb_buf_reset(&w1);
				sdb_buf_reset(&w2);
				sdb_json_num(&d, 0, exact, &w1);
				sdb_num_canon(nums[k], strlen(nums[k]), exact, &w2);
				CHECK_EQ_STR(w1.data, w2.data);
			}
			sdb_buf_release(&w1);
			sdb_buf_release(&w2);
			sdb_json_release(&d);
		}
	}

	/* containers carry their child count and a mask of the child types */
	txt = "[[],{\"a\":\"s\",\"b\":[1,2]},[null,false,true,1.5,\"x\",[],{}]]";
	CHECK_EQ_INT(sdb_json_parse(&d, txt, strlen(txt), 0, &e), 0);
	CHECK_EQ_INT(SDB_JT_NKIDS(d.tape[0]), 3);
	CHECK_EQ_INT(SDB_JT_KINDS(d.tape[0]), 1 << SDB_J_ARRAY | 1 << SDB_J_OBJECT);
	CHECK_EQ_INT(SDB_JT_NKIDS(d.tape[1]), 0);
	CHECK_EQ_INT(SDB_JT_KINDS(d.tape[1]), 0);
	CHECK_EQ_INT(sdb_json_count(&d, 2), 2);
	CHECK_EQ_INT(SDB_JT_KINDS(d.tape[2]), 1 << SDB_J_STRING | 1 << SDB_J_ARRAY);
	CHECK_EQ_INT(SDB_JT_KINDS(d.tape[sdb_json_next(&d, 2)]), 0x7f);
	CHECK_EQ_INT(sdb_json_count(&d, sdb_json_next(&d, 2)), 7);
	sdb_json_release(&d);
	/* past SDB_JT_MANY children the count is counted */
	sdb_buf_reset(&b);
	sdb_buf_addc(&b, '[');
	for (int i = 0; i < SDB_JT_MANY + 5; i++)
		sdb_buf_adds(&b, i ? ",0" : "0");
	sdb_buf_addc(&b, ']');
	CHECK_EQ_INT(sdb_json_parse(&d, b.data, b.len, 0, &e), 0);
	CHECK_EQ_INT(SDB_JT_NKIDS(d.tape[0]), SDB_JT_MANY);
	CHECK_EQ_INT(sdb_json_count(&d, 0), SDB_JT_MANY + 5);
	CHECK_EQ_INT(SDB_JT_END(d.tape[0]), SDB_JT_MANY + 6);
	sdb_json_release(&d);
	/* big containers inside big containers (recorded out of order) */
	sdb_buf_reset(&b);
	sdb_buf_addc(&b, '[');
	for (int i = 0; i < SDB_JT_MANY + 2; i++) {
		if (i)
			sdb_buf_addc(&b, ',');
		if (i == 3 || i == 7) {
			sdb_buf_addc(&b, '{');
			for (int j = 0; j < SDB_JT_MANY + i; j++)
				sdb_buf_addf(&b, "%s\"k%d\":[]", j ? "," : "", j);
			sdb_buf_addc(&b, '}');
		} else
			sdb_buf_adds(&b, "[1]");
	}
	sdb_buf_addc(&b, ']');
	CHECK_EQ_INT(sdb_json_parse(&d, b.data, b.len, 0, &e), 0);
	CHECK(!d.has_dups);
	CHECK_EQ_INT(d.nmany, 3);
	CHECK_EQ_INT(sdb_json_count(&d, 0), SDB_JT_MANY + 2);
	{
		size_t v = 1;
		for (int i = 0; i < 8; i++, v = sdb_json_next(&d, v))
			CHECK_EQ_INT(sdb_json_count(&d, v), i == 3 || i == 7 ? SDB_JT_MANY + i : 1);
	}
	sdb_json_release(&d);
	/* short keys at the very end of the input, and keys that differ
	 * only past their eighth byte */
	{
		static const char *dup[] = { "{\"ab\":1,\"ab\":2}", "{\"abcdefghi\":1,\"abcdefghj\":2,\"abcdefghi\":3}",
					     "{\"\":1,\"\":2}" };
		static const char *nodup[] = { "{\"ab\":1,\"abc\":2}", "{\"abcdefghi\":1,\"abcdefghj\":2}",
					       "{\"\":1,\"a\":2}", "{\"a\\u0000\":1,\"a\":2}" };
		for (size_t k = 0; k < sizeof(dup) / sizeof(*dup); k++) {
			char *exact = strdup(dup[k]); /* no bytes after the input */
			CHECK_EQ_INT(sdb_json_parse(&d, exact, strlen(exact), 0, &e), 0);
			CHECK(d.has_dups);
			sdb_json_release(&d);
			free(exact);
		}
		for (size_t k = 0; k < sizeof(nodup) / sizeof(*nodup); k++) {
			CHECK_EQ_INT(sdb_json_parse(&d, nodup[k], strlen(nodup[k]), 0, &e), 0);
			CHECK(!d.has_dups);
			sdb_json_release(&d);
		}
	}
	sdb_buf_release(&b);
	sdb_buf_release(&s);
}

/* Encodes src both on one thread and chunked; the bytes must agree. */
static void same_both_ways(const struct sdb_buf *src, int jsonl, char delim)
{
	struct sdb_toon_enc_opts o;
	struct sdb_toon_out one, two;
	struct sdb_error e;

	sdb_toon_enc_opts_init(&o);
	o.delimiter = delim;
	memset(&one, 0, sizeof(one));
	memset(&two, 0, sizeof(two));
	o.threads = 1;
	CHECK_EQ_INT(sdb_toon_encode_json(src->data, src->len, jsonl, &o, &one, &e), 0);
	o.threads = 0;
	CHECK_EQ_INT(sdb_toon_encode_json(src->data, src->len, jsonl, &o, &two, &e), 0);
	CHECK(one.buf.len > 100000 && one.buf.len == two.buf.len &&
	      !memcmp(one.buf.data, two.buf.data, one.buf.len));
	sdb_buf_release(&one.buf);
	sdb_buf_release(&two.buf);
}

static void test_chunked(void)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_json_doc d;
	struct sdb_error e;
	const int n = 30000;

	/* a long mixed list whose items hold tables and lists */
	sdb_buf_addc(&b, '[');
	for (int i = 0; i < n; i++) {
		if (i)
			sdb_buf_addc(&b, ',');
		switch (i % 5) {
		case 0: sdb_buf_addf(&b, "{\"id\":%d,\"t\":[{\"a\":1,\"b\":\"x,y\"},{\"b\":\"z\",\"a\":%d}]}", i, i); break;
		case 1: sdb_buf_addf(&b, "[%d,\"s\",[true,null]]", i); break;
		case 2: sdb_buf_addf(&b, "\"str %d: \\\"q\\\"\"", i); break;
		case 3: sdb_buf_addf(&b, "{\"k\":{\"deep\":[%d.5,-0.25]},\"e\":{}}", i); break;
		default: sdb_buf_addf(&b, "%d", i);
		}
	}
	sdb_buf_addc(&b, ']');
	CHECK_EQ_INT(sdb_json_parse(&d, b.data, b.len, 0, &e), 0);
	CHECK_EQ_INT(d.nmarks, (size_t)(n - 1) / SDB_JSON_MARK_EVERY);
	if (d.nmarks) {
		size_t v = 1;
		for (int i = 0; i < SDB_JSON_MARK_EVERY; i++)
			v = sdb_json_next(&d, v);
		CHECK_EQ_INT(d.marks[0][0], 0);
		CHECK_EQ_INT(d.marks[0][1], v); /* the 4096th element */
	}
	sdb_json_release(&d);
	same_both_ways(&b, 0, ',');
	/* a long table, rows in and out of header order, under a key and
	 * as the first field of a list item */
	for (int shape = 0; shape < 3; shape++) {
		sdb_buf_reset(&b);
		sdb_buf_adds(&b, shape == 0 ? "{\"rows\":[" : shape == 1 ? "[{\"rows\":[" : "[");
		for (int i = 0; i < n; i++)
			sdb_buf_addf(&b, i % 7 == 3 ? "%s{\"name\":\"n%d|x\",\"id\":%d,\"ok\":true}"
						    : "%s{\"id\":%d,\"name\":\"n%d\",\"ok\":false}",
				     i ? "," : "", i, i);
		sdb_buf_adds(&b, shape == 0 ? "]}" : shape == 1 ? "],\"more\":1}]" : "]");
		same_both_ways(&b, 0, shape == 2 ? '|' : ',');
	}
	/* JSON lines: the implied root array */
	sdb_buf_reset(&b);
	for (int i = 0; i < n; i++)
		sdb_buf_addf(&b, "{\"i\":%d,\"v\":[%d,{\"w\":%d}]}\n", i, i, i);
	same_both_ways(&b, 1, '\t');
	sdb_buf_release(&b);
}

/* sdb_json_flat_object: the plain compact objects say 1, and whatever says
 * 1 (random texts built from JSON-ish pieces) parses as an object. */
static void test_flat(void)
{
	static const char *yes[] = { "{}", "{\"w\":8.99}", "{\"a\":1,\"b\":\"x y\",\"c\":true,\"d\":false,\"e\":null}",
				     "{\"n\":-0.5e+3}", "{\"\":0}", "{\"k\":\"\"}", "{\"a\":1,\"a\":2}" };
	static const char *no[] = { "", "{", "}", "[]", "{ }", "{\"a\":1 }", "{\"a\":01}", "{\"a\":1.}",
				    "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":\"\\n\"}", "{\"a\":[1]}",
				    "{\"a\":{}}", "{\"a\":1,}", "{\"a\"}", "{\"a\":tru}", "{\"a\":1}x",
				    "{a:1}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":1,\"b\"}" };
	static const char *piece[] = { "{", "}", "\"a\"", "\"\"", ":", ",", "1", "-2.5", "0", "01", "1e5",
				       "true", "null", "fals", "[", "]", " ", "\"\\\"\"", "x", "." };
	struct sdb_json_doc d;
	struct sdb_error e;
	char buf[256];

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		CHECK(sdb_json_flat_object(yes[i], strlen(yes[i])) == 1);
		CHECK(sdb_json_parse(&d, yes[i], strlen(yes[i]), 0, &e) == 0 && sdb_json_type(&d, 0) == SDB_J_OBJECT);
		sdb_json_release(&d);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		CHECK(sdb_json_flat_object(no[i], strlen(no[i])) == 0);
	for (int k = 0; k < 200000; k++) {
		size_t n = 0, m = 1 + unit_rnd() % 9;
		buf[n++] = '{';
		for (size_t j = 0; j < m; j++) {
			const char *p = piece[unit_rnd() % (sizeof(piece) / sizeof(*piece))];
			/* mostly well-formed members, so that the 1s are many */
			if (unit_rnd() % 3) {
				static const char *mem[] = { "\"a\":1", "\"b\":\"v\"", "\"c\":-0.25E-2", "\"d\":null" };
				p = mem[unit_rnd() % 4];
				if (j)
					buf[n++] = ',';
			}
			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
		if (unit_rnd() % 4)
			buf[n++] = '}';
		if (sdb_json_flat_object(buf, n)) {
			int ok = sdb_json_parse(&d, buf, n, 0, &e) == 0 && sdb_json_type(&d, 0) == SDB_J_OBJECT;
			if (!ok)
				printf("flat_object said 1 to %.*s\n", (int)n, buf);
			CHECK(ok);
			sdb_json_release(&d);
		}
	}
}

int main(void)
{
	test_num();
	test_flat();
	test_text();
	test_parse();
	test_quote();
	test_chunked();
	return unit_done("test_json");
}
