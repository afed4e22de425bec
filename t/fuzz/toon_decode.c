/*
 * toon_decode - fuzz target: the TOON decoder (strict and non-strict, with
 * and without path expansion) and the compact form. Properties: no crash,
 * leak or UB; every success yields valid JSON; encoding that JSON and
 * decoding it again gives the same value.
 */
#include "fuzz_json.h"
#include "toon/toon.h"

#include <stdint.h>
#include <stdio.h>

static void check(const uint8_t *data, size_t size, int strict, int expand)
{
	struct sdb_toon_dec_opts o;
	struct sdb_error e;
	struct sdb_buf out = SDB_BUF_INIT, again = SDB_BUF_INIT;
	struct sdb_json_doc d, r;
	struct sdb_toon_out t;
	struct sdb_toon_enc_opts eo;

	sdb_toon_dec_opts_init(&o);
	o.strict = strict;
	o.expand_paths = expand;
	if (sdb_toon_decode_json((const char *)data, size, &o, 0, 0, 0, &out, &e)) {
		sdb_buf_release(&out);
		return;
	}
	if (sdb_json_parse(&d, out.data, out.len, 0, &e) || d.has_dups) {
		fprintf(stderr, "decoder wrote invalid JSON: %s\n", out.data);
		abort();
	}
	sdb_toon_enc_opts_init(&eo);
	memset(&t, 0, sizeof(t));
	if (sdb_toon_encode(&d, 0, &eo, &t, &e))
		abort();
	sdb_toon_dec_opts_init(&o);
	if (sdb_toon_decode_json(t.buf.data ? t.buf.data : "", t.buf.len, &o, 0, 0, 0, &again, &e) ||
	    sdb_json_parse(&r, again.data, again.len, 0, &e) || !fz_equal(&d, 0, &r, 0)) {
		fprintf(stderr, "re-encode round trip differs for %s\n", out.data);
		abort();
	}
	sdb_json_release(&r);
	sdb_json_release(&d);
	sdb_buf_release(&t.buf);
	sdb_buf_release(&again);
	sdb_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_buf c = SDB_BUF_INIT;
	struct sdb_error e;

	check(data, size, 1, 0);
	check(data, size, 0, 0);
	check(data, size, 1, 1);
	check(data, size, 0, 1);
	if (!sdb_toon_compact_decode((const char *)data, size, &c, &e)) {
		struct sdb_json_doc d;
		if (sdb_json_parse(&d, c.data, c.len, 0, &e))
			abort();
		sdb_json_release(&d);
	}
	sdb_buf_release(&c);
	return 0;
}
