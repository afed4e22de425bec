/* test_fmt.c - unit tests for lib/fmt: every format, escaping, the _b64
 * fallbacks, empty tables, records, the sink and the format names. */
#include "unit.h"
#include "fmt/fmt.h"

#include <stdlib.h>

static const struct sdb_fmt_col kv_cols[] = {
	{ "key", SDB_FMT_COL_B64 }, { "value", SDB_FMT_COL_B64 },
	{ "expires_ms", 0 }, { "ns", SDB_FMT_COL_B64 },
};

/* Writes rows (4 cells each) of kv_cols in format f; returns the text. */
static char *table(enum sdb_fmt f, unsigned flags, const struct sdb_cell *cells,
		   size_t nrows)
{
	static struct sdb_buf out = SDB_BUF_INIT;
	struct sdb_fmt_opts o = { f, flags, &out, NULL, NULL };
	struct sdb_fmt_writer w;
	struct sdb_error e;

	sdb_buf_reset(&out);
	CHECK_EQ_INT(sdb_fmt_begin(&w, &o, kv_cols, 4, &e), 0);
	for (size_t r = 0; r < nrows; r++)
		CHECK_EQ_INT(sdb_fmt_row(&w, cells + 4 * r, &e), 0);
	CHECK_EQ_INT(sdb_fmt_end(&w, &e), 0);
	return out.data ? out.data : "";
}

static void test_names(void)
{
	enum sdb_fmt f = SDB_FMT_TSV;
	struct sdb_error e;
	unsigned all = (1u << SDB_FMT_COUNT) - 1;

	for (int i = 0; i < SDB_FMT_COUNT; i++) {
		CHECK_EQ_INT(sdb_fmt_parse(sdb_fmt_name((enum sdb_fmt)i), all, &f, &e), 0);
		CHECK_EQ_INT(f, i);
	}
	CHECK_EQ_INT(sdb_fmt_parse("jsonl", SDB_FMT_BIT(SDB_FMT_TSV) | SDB_FMT_BIT(SDB_FMT_JSON), &f, &e),
		     SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "invalid value 'jsonl' for --format (expected tsv or json)");
	CHECK_EQ_INT(sdb_fmt_parse("x", all, &f, &e), SDB_EINVAL);
	CHECK_EQ_STR(e.msg, "invalid value 'x' for --format (expected tsv, csv, json, jsonl, toon, table, box, markdown or line)");
	CHECK_EQ_STR(sdb_fmt_name(SDB_FMT_COUNT), "?");
}

static void test_kv_rows(void)
{
	struct sdb_cell rows[] = {
		sdb_cell_str("a"), sdb_cell_str("1"), sdb_cell_absent(), sdb_cell_absent(),
		sdb_cell_str("b\tc"), sdb_cell_text("x\ny\0", 4), sdb_cell_uint(99), sdb_cell_absent(),
		sdb_cell_text("\xff", 1), sdb_cell_str("v"), sdb_cell_absent(), sdb_cell_str("ns"),
	};

	CHECK_EQ_STR(table(SDB_FMT_TSV, 0, rows, 3),
		     "a\t1\nb\\tc\tx\\ny\\x00\t99\n\\xFF\tv\t\\N\tns\n");
	CHECK_EQ_STR(table(SDB_FMT_JSONL, 0, rows, 3),
		     "{\"key\":\"a\",\"value\":\"1\"}\n"
		     "{\"key\":\"b\\tc\",\"value\":\"x\\ny\\u0000\",\"expires_ms\":99}\n"
		     "{\"key_b64\":\"/w==\",\"value\":\"v\",\"ns\":\"ns\"}\n");
	CHECK_EQ_STR(table(SDB_FMT_JSON, 0, rows, 2),
		     "[{\"key\":\"a\",\"value\":\"1\"},"
		     "{\"key\":\"b\\tc\",\"value\":\"x\\ny\\u0000\",\"expires_ms\":99}]\n");
	/* toon: absent everywhere -> column left out; key_b64 only where needed */
	CHECK_EQ_STR(table(SDB_FMT_TOON, 0, rows, 1), "[1]{key,value}:\n  a,\"1\"\n");
	CHECK_EQ_STR(table(SDB_FMT_TOON, 0, rows, 3),
		     "[3]{key,key_b64,value,expires_ms,ns}:\n"
		     "  a,null,\"1\",null,null\n"
		     "  \"b\\tc\",null,\"x\\ny\\u0000\",99,null\n"
		     "  null,\"/w==\",v,null,ns\n");
	/* every key binary: key itself is left out */
	CHECK_EQ_STR(table(SDB_FMT_TOON, 0, rows + 8, 1), "[1]{key_b64,value,ns}:\n  \"/w==\",v,ns\n");
	CHECK_EQ_STR(table(SDB_FMT_CSV, SDB_FMT_HEADER, rows, 3),
		     "key,value,expires_ms,ns\n"
		     "a,1,,\n"
		     "\"b\tc\",\"x\ny\0\",99,\n"); /* csv stops at the NUL for CHECK_EQ_STR */
}

static void test_empty(void)
{
	CHECK_EQ_STR(table(SDB_FMT_TOON, 0, NULL, 0), "[]\n");
	CHECK_EQ_STR(table(SDB_FMT_JSON, 0, NULL, 0), "[]\n");
	CHECK_EQ_STR(table(SDB_FMT_JSONL, 0, NULL, 0), "");
	CHECK_EQ_STR(table(SDB_FMT_TSV, 0, NULL, 0), "");
	CHECK_EQ_STR(table(SDB_FMT_TSV, SDB_FMT_HEADER, NULL, 0), "key\tvalue\texpires_ms\tns\n");
	CHECK_EQ_STR(table(SDB_FMT_CSV, SDB_FMT_HEADER, NULL, 0), "key,value,expires_ms,ns\n");
}

static void test_types(void)
{
	static const struct sdb_fmt_col cols[] = {
		{ "i", 0 }, { "r", 0 }, { "n", 0 }, { "b", 0 }, { "z", 0 }, { "t", 0 }, { "x", 0 },
	};
	struct sdb_cell row[] = {
		sdb_cell_int(-5), sdb_cell_real(0.1), sdb_cell_num("2.50"), sdb_cell_bool(1),
		sdb_cell_null(), sdb_cell_str("it's, \"q\""), sdb_cell_blob("\x01\x02", 2),
	};
	struct sdb_buf out = SDB_BUF_INIT;
	struct sdb_fmt_opts o = { SDB_FMT_CSV, 0, &out, NULL, NULL };
	struct sdb_fmt_writer w;
	struct sdb_error e;
	static const char *want[SDB_FMT_COUNT] = {
		"-5\t0.1\t2.50\ttrue\t\\N\tit's, \"q\"\t\\x01\\x02\n",
		"-5,0.1,2.50,true,,\"it's, \"\"q\"\"\",\"\x01\x02\"\n",
		"[{\"i\":-5,\"r\":0.1,\"n\":2.50,\"b\":true,\"z\":null,\"t\":\"it's, \\\"q\\\"\",\"x\":\"AQI=\"}]\n",
		"{\"i\":-5,\"r\":0.1,\"n\":2.50,\"b\":true,\"z\":null,\"t\":\"it's, \\\"q\\\"\",\"x\":\"AQI=\"}\n",
		"[1]{i,r,n,b,z,t,x}:\n  -5,0.1,2.50,true,null,\"it's, \\\"q\\\"\",\"AQI=\"\n",
		/* table, box, markdown without a header (flags 0): the blob's
		 * two control bytes make the row two lines tall */
		"+----+-----+------+------+--+-----------+--+\n"
		"| -5 | 0.1 | 2.50 | true |  | it's, \"q\" |  |\n"
		"|    |     |      |      |  |           |  |\n"
		"+----+-----+------+------+--+-----------+--+\n",
		"\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x90\n"
		"\xe2\x94\x82 -5 \xe2\x94\x82 0.1 \xe2\x94\x82 2.50 \xe2\x94\x82 true \xe2\x94\x82  "
		"\xe2\x94\x82 it's, \"q\" \xe2\x94\x82  \xe2\x94\x82\n"
		"\xe2\x94\x82    \xe2\x94\x82     \xe2\x94\x82      \xe2\x94\x82      \xe2\x94\x82  "
		"\xe2\x94\x82           \xe2\x94\x82  \xe2\x94\x82\n"
		"\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xb4"
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x98\n",
		"| -5 | 0.1 | 2.50 | true |  | it's, \"q\" |  |\n"
		"|    |     |      |      |  |           |  |\n",
		"    i = -5\n    r = 0.1\n    n = 2.50\n    b = true\n    z = \n    t = it's, \"q\"\n    x = \x01\x02\n",
	};

	for (int f = 0; f < SDB_FMT_COUNT; f++) {
		sdb_buf_reset(&out);
		o.fmt = (enum sdb_fmt)f;
		CHECK_EQ_INT(sdb_fmt_begin(&w, &o, cols, 7, &e), 0);
		CHECK_EQ_INT(sdb_fmt_row(&w, row, &e), 0);
		CHECK_EQ_INT(sdb_fmt_end(&w, &e), 0);
		CHECK_EQ_STR(out.data, want[f]);
	}
	/* csv quoting as sqlite3 -csv: empty, space, quote, non-ASCII */
	{
		static const struct sdb_fmt_col c1[] = { { "a b", 0 }, { "c", 0 }, { "d", 0 }, { "e", 0 } };
		struct sdb_cell r1[] = { sdb_cell_str(""), sdb_cell_str("a b"), sdb_cell_str("\xc3\xa9"),
					 sdb_cell_str("plain") };
		sdb_buf_reset(&out);
		o.fmt = SDB_FMT_CSV;
		o.flags = SDB_FMT_HEADER;
		CHECK_EQ_INT(sdb_fmt_begin(&w, &o, c1, 4, &e), 0);
		CHECK_EQ_INT(sdb_fmt_row(&w, r1, &e), 0);
		CHECK_EQ_INT(sdb_fmt_end(&w, &e), 0);
		CHECK_EQ_STR(out.data, "\"a b\",c,d,e\n\"\",\"a b\",\"\xc3\xa9\",plain\n");
	}
	sdb_buf_release(&out);
}

/* Writes the rows (ncols cells each) of cols in format f with o's
 * other settings; returns the text (static). */
static struct sdb_fmt_more more;

static char *sqlite_table(struct sdb_fmt_opts *o, enum sdb_fmt f,
			  const struct sdb_fmt_col *cols, size_t ncols,
			  const struct sdb_cell *cells, size_t nrows)
{
	static struct sdb_buf out = SDB_BUF_INIT;
	struct sdb_fmt_writer w;
	struct sdb_error e;

	sdb_buf_reset(&out);
	o->fmt = f;
	o->out = &out;
	CHECK_EQ_INT(sdb_fmt_begin(&w, o, cols, ncols, &e), 0);
	sdb_fmt_set(&w, &more);
	for (size_t r = 0; r < nrows; r++)
		CHECK_EQ_INT(sdb_fmt_row(&w, cells + ncols * r, &e), 0);
	CHECK_EQ_INT(sdb_fmt_end(&w, &e), 0);
	sdb_buf_addc(&out, 0);
	return out.data;
}

/* sqlite3 3.40's -table, -box, -markdown and -line output of the same
 * rows (as it printed them: widths count UTF-8 lead bytes, so CJK is
 * narrow; names centred; data left-aligned). */
static void test_sqlite_modes(void)
{
	static const struct sdb_fmt_col cols[] = {
		{ "a", 0 }, { "bb", 0 }, { "c", 0 }, { "d", 0 }, { "e", 0 },
	};
	struct sdb_cell rows[] = {
		sdb_cell_int(1), sdb_cell_str("foo"), sdb_cell_null(), sdb_cell_num("2.5"),
		sdb_cell_str("h\xc3\xa9llo w\xc3\xb6rld"),
		sdb_cell_int(12345), sdb_cell_str("x"), sdb_cell_str("yy"), sdb_cell_num("-1.0e+20"),
		sdb_cell_str("\xe6\x97\xa5\xe6\x9c\xac"),
	};
	static const struct sdb_fmt_col c2[] = {
		{ "x", 0 }, { "y", 0 }, { "z", 0 }, { "w", 0 }, { "v", 0 }, { "u", 0 },
	};
	struct sdb_cell r2[] = {
		sdb_cell_str("a\x01" "b\rc"), sdb_cell_str("p\r\nq"), sdb_cell_str("ab\tc"),
		sdb_cell_blob("\0AB\x01", 4), sdb_cell_str("\x7fz"), sdb_cell_str(""),
	};
	struct sdb_fmt_opts o = { SDB_FMT_TABLE, SDB_FMT_HEADER, NULL, NULL, NULL };
	static const char *want[] = {
		"+-------+-----+----+----------+-------------+\n"
		"|   a   | bb  | c  |    d     |      e      |\n"
		"+-------+-----+----+----------+-------------+\n"
		"| 1     | foo |    | 2.5      | h\xc3\xa9llo w\xc3\xb6rld |\n"
		"| 12345 | x   | yy | -1.0e+20 | \xe6\x97\xa5\xe6\x9c\xac          |\n"
		"+-------+-----+----+----------+-------------+\n",
		"\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\xac\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x90\n",
		"|   a   | bb  | c  |    d     |      e      |\n"
		"|-------|-----|----|----------|-------------|\n"
		"| 1     | foo |    | 2.5      | h\xc3\xa9llo w\xc3\xb6rld |\n"
		"| 12345 | x   | yy | -1.0e+20 | \xe6\x97\xa5\xe6\x9c\xac          |\n",
		"    a = 1\n   bb = foo\n    c = \n    d = 2.5\n    e = h\xc3\xa9llo w\xc3\xb6rld\n"
		"\n"
		"    a = 12345\n   bb = x\n    c = yy\n    d = -1.0e+20\n    e = \xe6\x97\xa5\xe6\x9c\xac\n",
	};
	const char *box;

	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_TABLE, cols, 5, rows, 2), want[0]);
	box = sqlite_table(&o, SDB_FMT_BOX, cols, 5, rows, 2);
	CHECK(!strncmp(box, want[1], strlen(want[1])));
	CHECK(strstr(box, "\xe2\x94\x82 12345 \xe2\x94\x82 x   \xe2\x94\x82 yy \xe2\x94\x82") != NULL);
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_MARKDOWN, cols, 5, rows, 2), want[2]);
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_LINE, cols, 5, rows, 2), want[3]);
	/* control bytes: tab stops, line breaks, a NUL ends a cell */
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_TABLE, c2, 6, r2, 1),
		     "+---+---+-----------+---+----+---+\n"
		     "| x | y |     z     | w | v  | u |\n"
		     "+---+---+-----------+---+----+---+\n"
		     "| a | p | ab      c |   | \x7fz |   |\n"
		     "| b | q |           |   |    |   |\n"
		     "| c |   |           |   |    |   |\n"
		     "+---+---+-----------+---+----+---+\n");
	/* an empty result writes nothing; .nullvalue */
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_TABLE, cols, 5, rows, 0), "");
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_LINE, cols, 5, rows, 0), "");
	more.null_text = "NULL";
	CHECK(strstr(sqlite_table(&o, SDB_FMT_MARKDOWN, cols, 5, rows, 1), "| foo | NULL | 2.5 ") != NULL);
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_CSV, cols, 5, rows, 1), "a,bb,c,d,e\n1,foo,NULL,2.5,\"h\xc3\xa9llo w\xc3\xb6rld\"\n");
	CHECK_EQ_STR(sqlite_table(&o, SDB_FMT_TSV, cols, 5, rows, 1), "a\tbb\tc\td\te\n1\tfoo\tNULL\t2.5\th\xc3\xa9llo w\xc3\xb6rld\n");
	more.null_text = NULL;
}

/* Buffered formats spill past mem_limit and write the same bytes. */
static void test_spill(void)
{
	static const struct sdb_fmt_col cols[] = { { "n", 0 }, { "t", 0 } };
	enum sdb_fmt fs[] = { SDB_FMT_TOON, SDB_FMT_TABLE, SDB_FMT_BOX, SDB_FMT_MARKDOWN };
	struct sdb_cell *rows = calloc(2 * 3000, sizeof(*rows));
	char txt[3000][16];

	for (int r = 0; r < 3000; r++) {
		snprintf(txt[r], sizeof(txt[r]), "row %d", r * 7919 % 100000);
		rows[2 * r] = sdb_cell_int(r);
		rows[2 * r + 1] = sdb_cell_str(txt[r]);
	}
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		struct sdb_fmt_opts o = { SDB_FMT_TSV, SDB_FMT_HEADER, NULL, NULL, NULL };
		char *mem = strdup(sqlite_table(&o, fs[i], cols, 2, rows, 3000));
		more.mem_limit = 1000; /* spills many times */
		CHECK_EQ_STR(sqlite_table(&o, fs[i], cols, 2, rows, 3000), mem);
		more.mem_limit = 0;
		CHECK(strlen(mem) > 3000 * 10);
		free(mem);
	}
	free(rows);
}

static void test_record(void)
{
	static const struct sdb_fmt_col tc[] = { { "format", 0 }, { "bytes", 0 } };
	struct sdb_cell lv[] = { sdb_cell_int(1), sdb_cell_int(0) };
	struct sdb_cell tab[] = { sdb_cell_str("json"), sdb_cell_int(10), sdb_cell_str("toon"),
				  sdb_cell_int(7) };
	struct sdb_fmt_field f[] = {
		{ "keys", sdb_cell_uint(3), NULL, 0, NULL, 0 },
		{ "gone", sdb_cell_absent(), NULL, 0, NULL, 0 },
		{ "path", sdb_cell_str("a b:c"), NULL, 0, NULL, 0 },
		{ "levels", sdb_cell_absent(), lv, 2, NULL, 0 },
		{ "none", sdb_cell_absent(), lv, 0, NULL, 0 },
		{ "formats", sdb_cell_absent(), tab, 2, tc, 2 },
		{ "ok", sdb_cell_bool(0), NULL, 0, NULL, 0 },
	};
	struct sdb_buf out = SDB_BUF_INIT;
	struct sdb_fmt_opts o = { SDB_FMT_TOON, 0, &out, NULL, NULL };
	struct sdb_error e;

	CHECK_EQ_INT(sdb_fmt_record(&o, f, 7, &e), 0);
	CHECK_EQ_STR(out.data, "keys: 3\npath: \"a b:c\"\nlevels[2]: 1,0\nnone: []\n"
			       "formats[2]{format,bytes}:\n  json,10\n  toon,7\nok: false\n");
	sdb_buf_reset(&out);
	o.fmt = SDB_FMT_JSON;
	CHECK_EQ_INT(sdb_fmt_record(&o, f, 7, &e), 0);
	CHECK_EQ_STR(out.data, "{\"keys\":3,\"path\":\"a b:c\",\"levels\":[1,0],\"none\":[],"
			       "\"formats\":[{\"format\":\"json\",\"bytes\":10},{\"format\":\"toon\",\"bytes\":7}],"
			       "\"ok\":false}\n");
	sdb_buf_reset(&out);
	o.fmt = SDB_FMT_TSV;
	CHECK_EQ_INT(sdb_fmt_record(&o, f, 7, &e), SDB_EINVAL);
	f[5].nlist = 0;
	o.fmt = SDB_FMT_TOON;
	CHECK_EQ_INT(sdb_fmt_record(&o, f + 5, 1, &e), 0);
	CHECK_EQ_STR(out.data, "formats: []\n");
	sdb_buf_release(&out);
}

struct sinkrec {
	struct sdb_buf all;
	int calls, fail_at;
};

static int sink(void *ctx, const char *p, size_t n, struct sdb_error *e)
{
	struct sinkrec *s = ctx;

	if (++s->calls == s->fail_at)
		return sdb_error_set(e, SDB_EIO, "write failure");
	sdb_buf_add(&s->all, p, n);
	return 0;
}

static void test_sink(void)
{
	static const struct sdb_fmt_col c[] = { { "v", 0 } };
	struct sdb_buf out = SDB_BUF_INIT;
	struct sinkrec s = { SDB_BUF_INIT, 0, 0 };
	struct sdb_fmt_opts o = { SDB_FMT_TSV, 0, &out, sink, &s };
	struct sdb_fmt_writer w;
	struct sdb_error e;
	char big[4096];
	int rc = 0;

	memset(big, 'x', sizeof(big));
	CHECK_EQ_INT(sdb_fmt_begin(&w, &o, c, 1, &e), 0);
	for (int i = 0; i < 1000; i++) {
		struct sdb_cell x = sdb_cell_text(big, sizeof(big));
		CHECK_EQ_INT(sdb_fmt_row(&w, &x, &e), 0);
	}
	CHECK_EQ_INT(sdb_fmt_end(&w, &e), 0);
	CHECK(s.calls >= 3); /* streamed in pieces, not held to the end */
	CHECK_EQ_INT(s.all.len, 1000 * 4097);
	CHECK_EQ_INT(out.len, 0);
	/* a failing sink: the error comes back */
	s.calls = 0;
	s.fail_at = 2;
	CHECK_EQ_INT(sdb_fmt_begin(&w, &o, c, 1, &e), 0);
	for (int i = 0; i < 1000 && !rc; i++) {
		struct sdb_cell x = sdb_cell_text(big, sizeof(big));
		rc = sdb_fmt_row(&w, &x, &e);
	}
	CHECK_EQ_INT(rc, SDB_EIO);
	sdb_fmt_release(&w);
	sdb_buf_release(&out);
	sdb_buf_release(&s.all);
}

int main(void)
{
	test_names();
	test_kv_rows();
	test_empty();
	test_types();
	test_sqlite_modes();
	test_spill();
	test_record();
	test_sink();
	return unit_done("test_fmt");
}
