/*
 * codecs.c - every allocation of the JSON, TOON and util paths fails once
 * and persistently (the A5 rule of issue 9: no library path returns a
 * bare code without filling the error detail).
 *
 *   codecs [NAME ...]     NAME: one of the cases below (default: all)
 *
 * Each case runs one library call the way sochdb-toon does (JSON parse
 * and write, TOON encode on one and on two threads, strict and non-strict
 * decode, path expansion, pretty JSON, JSON lines, the compact form, an
 * input read from a pipe, an atomic output file) once unarmed to learn
 * its output and count its allocations (malloc/calloc/realloc/strdup,
 * wrapped at link time, durable.h), then for every k fails the k-th
 * allocation with ENOMEM, once and from the k-th on (below STRESS_SCALE 1,
 * every round(1/STRESS_SCALE)-th k past the first and last 32). Every run
 * must:
 *   - succeed with exactly the unarmed output, or
 *   - fail with SDB_ENOMEM, an error detail holding that code and a
 *     message that is not "success" (sdb_error_format), and only when an
 *     allocation did fail;
 *   - leak nothing (LeakSanitizer in SANITIZE=1 builds).
 * Prints "codec allocation points N failures F".
 */
#define _GNU_SOURCE
#include "durable.h"
#include "json/json.h"
#include "toon/toon.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sdb_buf big_json, big_toon, wide_json, long_json;
static char tmpdir[4096];

/* The harness's own copy of a result: not an allocation of the library. */
static void keep(struct sdb_buf *out, const char *p, size_t n)
{
	int armed = dur_alloc_armed;

	dur_alloc_armed = 0;
	sdb_buf_add(out, p, n);
	dur_alloc_armed = armed;
}

static int json_round(struct sdb_buf *out, struct sdb_error *e, const char *src, int flags)
{
	struct sdb_json_doc doc;
	int rc = sdb_json_parse(&doc, src, strlen(src), flags, e);

	if (rc)
		return rc;
	sdb_json_write(&doc, 0, 2, 1, out);
	sdb_json_release(&doc);
	return sdb_buf_ok(out) ? 0 : sdb_error_set(e, SDB_ENOMEM, "harness: out of memory in sdb_json_write");
}

static int c_json(struct sdb_buf *out, struct sdb_error *e)
{
	return json_round(out, e, wide_json.data, 0);
}

static int c_json_long(struct sdb_buf *out, struct sdb_error *e)
{
	return json_round(out, e, long_json.data, 0);
}

static int c_jsonl(struct sdb_buf *out, struct sdb_error *e)
{
	return json_round(out, e, "{\"a\":1}\n\n[1,\"x\\u00e9\"]\n3.5e300\n", SDB_JSON_JSONL);
}

static int encode(struct sdb_buf *out, struct sdb_error *e, const char *src, int jsonl,
		  int threads, int fold, char delim)
{
	struct sdb_toon_enc_opts o;
	struct sdb_toon_out to;
	int rc;

	sdb_toon_enc_opts_init(&o);
	o.threads = threads;
	o.key_folding = fold & 1;
	o.fold_rows = (fold & 2) != 0;
	o.delimiter = delim;
	memset(&to, 0, sizeof(to));
	rc = sdb_toon_encode_json(src, strlen(src), jsonl, &o, &to, e);
	if (!rc && !sdb_buf_ok(&to.buf))
		rc = sdb_error_set(e, SDB_ENOMEM, "harness: lost an allocation failure");
	if (!rc)
		keep(out, to.buf.data ? to.buf.data : "", to.buf.len);
	sdb_buf_release(&to.buf);
	return rc;
}

static int c_encode(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, wide_json.data, 0, 1, 0, ',');
}

static int c_encode_long(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, long_json.data, 0, 1, 0, ',');
}

static int c_encode_fold(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, "{\"a\":{\"b\":{\"c\":[1,2]}},\"d\":[{\"x\":1,\"y\":\"a|b\"},{\"x\":2,\"y\":null}],"
		      "\"e\":[[1],{\"k\":\"v\"},\"s\"],\"a\":7}", 0, 1, 1, '|');
}

static int c_encode_fold_rows(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, "{\"n\":[{\"id\":\"a\",\"p\":{\"x\":1,\"g\":{\"c\":\"O\"}}},"
		      "{\"id\":\"b\",\"p\":{}},{\"id\":\"c\",\"p\":{\"y\":\"q|r\"}}],"
		      "\"e\":[{\"p\":{\"t\":[1]}}]}", 0, 1, 2, '|');
}

static int c_encode_threads(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, big_json.data, 0, 0, 0, ',');
}

static int c_encode_jsonl(struct sdb_buf *out, struct sdb_error *e)
{
	return encode(out, e, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n", 1, 1, 0, ',');
}

static int decode(struct sdb_buf *out, struct sdb_error *e, const char *src, int strict,
		  int expand, int exact, int indent, int jsonl)
{
	struct sdb_toon_dec_opts o;

	sdb_toon_dec_opts_init(&o);
	o.strict = strict;
	o.expand_paths = expand;
	return sdb_toon_decode_json(src, strlen(src), &o, exact, indent, jsonl, out, e);
}

static const char toon_doc[] =
	"name: \"Ada \\\"L\\\"\"\n"
	"big: 12345678901234567890123456789012345678901234567890123456789012345678901234567890e-50\n"
	"t[2]{id,name,tags}:\n  1,Alice,\"a,b\"\n  2,\"B\\u00e9b\",x\n"
	"l[3]:\n  - k: 1\n    m[2]: a,b\n  - [2]: 1,2\n  - plain\n"
	"o:\n  p:\n    q: true\n  r: []\n"
	"\"quoted.key\": 1e3\n";

static int c_decode(struct sdb_buf *out, struct sdb_error *e)
{
	return decode(out, e, toon_doc, 1, 0, 0, 0, 0);
}

static int c_decode_big(struct sdb_buf *out, struct sdb_error *e)
{
	return decode(out, e, big_toon.data, 1, 0, 0, 0, 0);
}

static int c_decode_lww(struct sdb_buf *out, struct sdb_error *e)
{
	return decode(out, e, "a: 1\nb:\n  c: 2\n  c: 3\na: 4\nt[2]{x,x}:\n  1,2\n  3,4\n", 0, 0, 0, 0, 0);
}

static int c_decode_expand(struct sdb_buf *out, struct sdb_error *e)
{
	return decode(out, e, "a.b.c: 1\na.b.d: 12345678901234567890\nx.y[2]: 1,2\n\"q.r\": 3\n"
		      "l[1]:\n  - m.n: 1\n    m.o: 2\n", 1, 1, 1, 2, 0);
}

static int c_decode_jsonl(struct sdb_buf *out, struct sdb_error *e)
{
	return decode(out, e, "[3]:\n  - a: 1\n  - [1]: x\n  - 2\n", 1, 0, 0, 0, 1);
}

static int c_compact(struct sdb_buf *out, struct sdb_error *e)
{
	static const char src[] = "{\"users\":[{\"id\":1,\"name\":\"Alice\",\"s\":\"a;b\"},"
		"{\"id\":2,\"name\":\"Bob\",\"s\":\"\"}],\"n\":[{\"v\":null}]}";
	struct sdb_buf tmp = SDB_BUF_INIT;
	int rc = sdb_toon_compact_encode(src, strlen(src), &tmp, e);

	if (!rc && !sdb_buf_ok(&tmp))
		rc = sdb_error_set(e, SDB_ENOMEM, "harness: lost an allocation failure");
	if (!rc)
		rc = sdb_toon_compact_decode(tmp.data, tmp.len, out, e);
	sdb_buf_release(&tmp);
	return rc;
}

static int c_input_pipe(struct sdb_buf *out, struct sdb_error *e)
{
	struct sdb_input in;
	int p[2], saved = dup(0), rc;

	if (saved < 0 || pipe(p))
		return sdb_error_sys(e, SDB_EIO, "harness: pipe");
	if (write(p[1], "a: 1\n", 5) != 5)
		return sdb_error_sys(e, SDB_EIO, "harness: write");
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	rc = sdb_input_open(&in, "-", e);
	if (!rc) {
		keep(out, in.data, in.len);
		sdb_input_close(&in);
	}
	dup2(saved, 0);
	close(saved);
	return rc;
}

static int c_atomic(struct sdb_buf *out, struct sdb_error *e)
{
	char path[4200];
	struct sdb_atomic a;
	int rc;

	snprintf(path, sizeof(path), "%s/out.toon", tmpdir);
	if ((rc = sdb_atomic_open(&a, path, e)))
		return rc;
	if ((rc = sdb_atomic_write(&a, "a: 1", 4, e)) || (rc = sdb_atomic_commit(&a, e))) {
		sdb_atomic_abort(&a);
		return rc;
	}
	keep(out, "ok", 2);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct sdb_buf *out, struct sdb_error *e);
} cases[] = {
	{ "json", c_json },
	{ "json-long", c_json_long },
	{ "jsonl", c_jsonl },
	{ "encode", c_encode },
	{ "encode-long", c_encode_long },
	{ "encode-fold", c_encode_fold },
	{ "encode-fold-rows", c_encode_fold_rows },
	{ "encode-threads", c_encode_threads },
	{ "encode-jsonl", c_encode_jsonl },
	{ "decode", c_decode },
	{ "decode-big", c_decode_big },
	{ "decode-lww", c_decode_lww },
	{ "decode-expand", c_decode_expand },
	{ "decode-jsonl", c_decode_jsonl },
	{ "compact", c_compact },
	{ "input-pipe", c_input_pipe },
	{ "atomic", c_atomic },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static long failures;

static void fail(const char *name, long k, int persist, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(const char *name, long k, int persist, const char *fmt, ...)
{
	va_list ap;

	if (failures++ >= 20)
		return;
	printf("FAIL %s: allocation %ld%s: ", name, k, persist ? " on" : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* One run with the k-th allocation failing (k 0: none). */
static int run_case(int c, long k, int persist, struct sdb_buf *out, struct sdb_error *e)
{
	int rc;

	sdb_buf_release(out); /* a fresh buffer: its growth is the library's */
	sdb_error_clear(e);
	dur_alloc_calls = dur_alloc_fired = 0;
	dur_alloc_fail_at = k;
	dur_alloc_persist = persist;
	dur_alloc_armed = 1;
	rc = cases[c].run(out, e);
	dur_alloc_armed = 0;
	dur_alloc_fail_at = 0;
	return rc;
}

static void build_inputs(void)
{
	/* wide objects (more keys than the parser's first 32), a duplicate
	 * key (the encoder's tree path), escapes */
	sdb_buf_adds(&wide_json, "{\"rows\":[");
	for (int r = 0; r < 3; r++) {
		sdb_buf_adds(&wide_json, r ? ",{" : "{");
		for (int i = 0; i < 40; i++)
			sdb_buf_addf(&wide_json, "%s\"k%d\":%d", i ? "," : "", i, r * i);
		sdb_buf_adds(&wide_json, ",\"k3\":\"dup\\n\"}");
	}
	sdb_buf_adds(&wide_json, "],\"s\":\"caf\\u00e9 \\ud83d\\ude00\",\"x\":12345678901234567890}");
	/* a long array (the parser's marks every 4096, counts past 8191) */
	sdb_buf_adds(&long_json, "{\"n\":[");
	for (int i = 0; i < 9000; i++)
		sdb_buf_addf(&long_json, "%s%d.5", i ? "," : "", i);
	sdb_buf_adds(&long_json, "],\"t\":[{\"a\":\"x\\ty\"},{\"a\":1e400}]}");
	/* a table long enough for the two-thread encoder */
	sdb_buf_adds(&big_json, "[");
	for (int i = 0; i < 13000; i++)
		sdb_buf_addf(&big_json, "%s{\"a\":%d,\"b\":\"v%d\",\"c\":true,\"d\":null,\"e\":%d.25,\"f\":\"x y\"}",
			     i ? "," : "", i, i % 97, i);
	sdb_buf_adds(&big_json, "]");
	sdb_buf_adds(&big_toon, "rows[300]{a,b,c}:\n");
	for (int i = 0; i < 300; i++)
		sdb_buf_addf(&big_toon, "  %d,\"s,%d\",%s\n", i, i, i % 2 ? "true" : "x");
	sdb_buf_adds(&big_toon, "list[200]:\n");
	for (int i = 0; i < 200; i++)
		sdb_buf_addf(&big_toon, "  - id: %d\n    k%d: v\n", i, i);
}

int main(int argc, char **argv)
{
	struct sdb_buf want = SDB_BUF_INIT, got = SDB_BUF_INIT;
	struct sdb_error e;
	long points = 0;
	/* every allocation at STRESS_SCALE >= 1, every round(1/scale)-th below
	 * (SANITIZE=1 builds run at 0.25) */
	double scale = dur_scale();
	long stride = scale >= 1 ? 1 : (long)(1 / scale + 0.5);

	snprintf(tmpdir, sizeof(tmpdir), "%s/codecs.XXXXXX", dur_tmp_base());
	if (!mkdtemp(tmpdir)) {
		perror("codecs: mkdtemp");
		return 1;
	}
	build_inputs();
	for (int c = 0; c < NCASES; c++) {
		long n;
		int rc, sel = argc < 2;
		for (int a = 1; a < argc; a++)
			sel |= !strcmp(argv[a], cases[c].name);
		if (!sel)
			continue;
		rc = run_case(c, 0, 0, &want, &e);
		n = dur_alloc_calls;
		if (rc) {
			fail(cases[c].name, 0, 0, "fails without a fault: %s", e.msg);
			continue;
		}
		for (long k = 1; k <= n; k += (k < 32 || k > n - 32) ? 1 : stride)
			for (int persist = 0; persist < 2; persist++) {
				char line[700];
				points++;
				rc = run_case(c, k, persist, &got, &e);
				sdb_error_format(&e, line, sizeof(line));
				if (!rc) {
					if (got.len != want.len || memcmp(got.data, want.data, want.len))
						fail(cases[c].name, k, persist, "success with a different output (%zu bytes, want %zu)",
						     got.len, want.len);
				} else if (!dur_alloc_fired)
					fail(cases[c].name, k, persist, "failed without a fault: %s", line);
				else if (rc != SDB_ENOMEM)
					fail(cases[c].name, k, persist, "code %d, not SDB_ENOMEM: %s", rc, line);
				else if (e.code != rc || !e.msg[0] || !strcmp(line, "success"))
					fail(cases[c].name, k, persist, "error detail not set (code %d, message '%s')",
					     e.code, line);
			}
		printf("%s: %ld allocations\n", cases[c].name, n);
	}
	sdb_buf_release(&want);
	sdb_buf_release(&got);
	sdb_buf_release(&big_json);
	sdb_buf_release(&big_toon);
	sdb_buf_release(&wide_json);
	sdb_buf_release(&long_json);
	dur_clear_dir(tmpdir);
	rmdir(tmpdir);
	printf("codec allocation points %ld failures %ld\n", points, failures);
	return failures ? 1 : 0;
}
