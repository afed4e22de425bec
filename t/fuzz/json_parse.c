/*
 * json_parse - fuzz target: the strict JSON parser, the JSON writer and
 * the TOON round trip. Properties: no crash, leak or UB; what parses can
 * be written and re-parsed to an equal value; decode(encode(x)) == x;
 * the row-folded encoding (--fold-rows) is valid TOON that decodes.
 */
#include "fuzz_json.h"
#include "json/jtree.h"
#include "toon/toon.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_json_doc d, w;
	struct sdb_error e;
	struct sdb_buf json = SDB_BUF_INIT, back = SDB_BUF_INIT;
	struct sdb_toon_out out;
	struct sdb_toon_enc_opts eo;
	struct sdb_toon_dec_opts dopts;

	if (sdb_json_parse(&d, (const char *)data, size, 0, &e))
		return 0;
	/* the JSON model of the input: duplicates resolved as JSON.parse */
	if (d.has_dups) {
		struct sdb_jv *t;
		if (sdb_jv_from_tape(&d, 0, &t)) {
			fprintf(stderr, "tree of the input failed\n");
			abort();
		}
		sdb_jv_write(t, &json);
		sdb_jv_free(t);
	} else
		sdb_json_write(&d, 0, 0, 0, &json);
	if (sdb_json_parse(&w, json.data, json.len, 0, &e) || w.has_dups) {
		fprintf(stderr, "our JSON output does not parse (or has duplicates): %s\n", json.data);
		abort();
	}
	if (!d.has_dups && !fz_equal(&d, 0, &w, 0)) {
		fprintf(stderr, "written JSON differs from the input\n");
		abort();
	}

	sdb_toon_enc_opts_init(&eo);
	eo.delimiter = size % 3 == 0 ? ',' : size % 3 == 1 ? '|' : '\t';
	memset(&out, 0, sizeof(out));
	if (sdb_toon_encode(&w, 0, &eo, &out, &e)) {
		fprintf(stderr, "encode failed: %s\n", e.msg);
		abort();
	}
	sdb_toon_dec_opts_init(&dopts);
	if (sdb_toon_decode_json(out.buf.data ? out.buf.data : "", out.buf.len, &dopts, 0, 0, 0, &back, &e)) {
		fprintf(stderr, "decode of our own encoding failed: %s\n%.*s\n", e.msg,
			(int)out.buf.len, out.buf.data);
		abort();
	}
	{
		struct sdb_json_doc r;
		if (sdb_json_parse(&r, back.data, back.len, 0, &e) || !fz_equal(&w, 0, &r, 0)) {
			fprintf(stderr, "round trip differs:\n%s\n%s\n", json.data, back.data);
			abort();
		}
		sdb_json_release(&r);
	}
	sdb_buf_reset(&out.buf);
	sdb_buf_reset(&back);
	eo.fold_rows = 1;
	if (sdb_toon_encode_json(json.data, json.len, 0, &eo, &out, &e)) {
		fprintf(stderr, "encode --fold-rows failed: %s\n", e.msg);
		abort();
	}
	if (sdb_toon_decode_json(out.buf.data ? out.buf.data : "", out.buf.len, &dopts, 0, 0, 0, &back, &e)) {
		fprintf(stderr, "decode of the folded encoding failed: %s\n%.*s\n", e.msg,
			(int)out.buf.len, out.buf.data);
		abort();
	}
	sdb_buf_release(&out.buf);
	sdb_buf_release(&back);
	sdb_buf_release(&json);
	sdb_json_release(&w);
	sdb_json_release(&d);
	return 0;
}
