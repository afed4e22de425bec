/*
 * fts_query.c - fuzz target: FTS5's MATCH parser (lib/sql/fts_query.c)
 * and the tokenizers (lib/sql/fts_tok.c). Any input must parse or fail
 * with a one-line message, never crash or recurse without bound; every
 * tokenizer must cut any bytes into tokens whose byte ranges lie inside
 * the input, in order.
 */
#include "sql/fts_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	size_t n;
	int last;
};

static int check_cb(void *vp, const char *tok, int n, int start, int end)
{
	struct span *s = vp;
	(void)tok;
	if (n < 0 || start < s->last || end < start || (size_t)end > s->n)
		__builtin_trap();
	s->last = start;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *specs[] = { "unicode61", "porter unicode61", "ascii",
		"trigram", "unicode61 remove_diacritics 2 tokenchars '_'" };
	struct sdb_error e;
	struct sql_col_def cols[4];
	struct sql_table_def t;
	struct sql_fts_def d;
	memset(cols, 0, sizeof(cols));
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	cols[0].name = "title";
	cols[1].name = "body";
	t.name = "f";
	t.cols = cols;
	t.ncol = 4;
	d.ncol = 2;
	d.hid_tab = 2;
	d.hid_rank = 3;
	d.neg_id = -1;
	for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
		if (fts_tok_new(specs[k], &d.tok, &e))
			__builtin_trap();
		struct span s = { size, 0 };
		fts_tokenize(d.tok, (const char *)data, (int)size, &s, check_cb);
		struct fts_query *q = NULL;
		int rc = fts_query_parse(&d, &t, (const char *)data, size, k == 1 ? 0 : -1, &q, &e);
		if (rc) {
			if (q || !e.msg[0] || strchr(e.msg, '\n'))
				__builtin_trap();
		} else {
			if (fts_query_run(q, NULL, &e))
				__builtin_trap();
			fts_query_free(q);
		}
		fts_tok_free(d.tok);
	}
	return 0;
}
