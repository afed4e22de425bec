/* test_store.c - unit tests for the on-disk formats of lib/store (WAL
 * record, table block, bloom filter, manifest, table file) including their
 * damaged variants, plus crc32c, varint and lib/tsv. */
#include "unit.h"
#include "util/crc32c.h"
#include "util/io.h"
#include "util/text.h"
#include "toon/toon.h"
#include "util/tsv.h"
#include "util/varint.h"
#include "store/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_crc(void)
{
	static unsigned char big[10000];

	CHECK_EQ_INT(sdb_crc32c("123456789", 9), 0xE3069283u);
	CHECK_EQ_INT(sdb_crc32c("", 0), 0);
	for (int i = 0; i < 10000; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8) * 13);
	/* lengths around the three-stream path's (768 bytes a round) too */
	for (size_t n = 0; n < 10000; n += n < 2400 ? 37 : 997)
		CHECK_EQ_INT(sdb_crc32c(big + 1, n), sdb_crc32c_sw(0, big + 1, n));
	for (size_t n = 760; n < 780; n++)
		CHECK_EQ_INT(sdb_crc32c(big + 3, n), sdb_crc32c_sw(0, big + 3, n));
	CHECK_EQ_INT(sdb_crc32c_extend(sdb_crc32c(big, 10), big + 10, 90), sdb_crc32c(big, 100));
	CHECK_EQ_INT(sdb_crc32c_extend(sdb_crc32c(big, 1000), big + 1000, 9000), sdb_crc32c(big, 10000));
	CHECK_EQ_INT(sdb_crc32c_extend(0x12345678u, big, 5000), sdb_crc32c_sw(0x12345678u, big, 5000));
}

static void test_varint(void)
{
	unsigned char b[10];
	uint64_t v = 0, vals[] = { 0, 1, 127, 128, 300, 1ull << 35, ~0ull };

	for (size_t i = 0; i < sizeof(vals) / sizeof(*vals); i++) {
		int n = sdb_put_varint(b, vals[i]);
		CHECK(sdb_get_varint(b, b + n, &v) == b + n);
		CHECK(v == vals[i]);
		CHECK(sdb_get_varint(b, b + n - 1, &v) == NULL); /* truncated */
	}
}

static void test_wal_record(void)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_wal_rec r;
	struct sdb_wal_op op;
	struct sdb_batch batch;
	unsigned char ik[] = { 2, 'n', 's', 'k', 'e', 'y' };

	sdb_batch_init(&batch);
	CHECK_EQ_INT(sdb_batch_put(&batch, ik, sizeof(ik), "value", 5, 1234, NULL), 0);
	CHECK_EQ_INT(sdb_wal_decode((unsigned char *)batch.rec.data, batch.rec.len, &r), 0);
	CHECK_EQ_INT(r.type, SDB_REC_BEGIN);
	CHECK_EQ_INT(r.reclen, SDB_WAL_OVERHEAD);
	{
		const unsigned char *p = (unsigned char *)batch.rec.data + r.reclen;
		size_t n = batch.rec.len - r.reclen;
		CHECK_EQ_INT(sdb_wal_decode(p, n, &r), 0);
		CHECK_EQ_INT(r.type, SDB_REC_PUT);
		CHECK_EQ_INT(r.reclen, n);
		CHECK_EQ_INT(sdb_wal_op_decode(&r, &op), 0);
		CHECK(op.klen == sizeof(ik) && !memcmp(op.key, ik, sizeof(ik)));
		CHECK(op.vlen == 5 && !memcmp(op.val, "value", 5));
		CHECK_EQ_INT(op.expires_ms, 1234);
		/* every truncation is "incomplete", never an error */
		for (size_t cut = 0; cut < n; cut++)
			CHECK_EQ_INT(sdb_wal_decode(p, cut, &r), 1);
		/* every single flipped byte is detected */
		for (size_t i = 0; i < n; i++) {
			unsigned char *q = malloc(n);
			memcpy(q, p, n);
			q[i] ^= 0x01;
			int rc = sdb_wal_decode(q, n, &r);
			CHECK(rc != 0);
			q[i] ^= 0xFE;
			rc = sdb_wal_decode(q, n, &r);
			CHECK(rc != 0);
			free(q);
		}
	}
	sdb_batch_release(&batch);

	/* a segment scan: clean, in flight, damaged tail, damaged middle */
	sdb_wal_encode(&b, SDB_REC_BEGIN, "", 0);
	sdb_wal_encode(&b, SDB_REC_COMMIT, "\0\0\0\0", 4);
	sdb_wal_encode(&b, SDB_REC_BEGIN, "", 0);
	{
		struct sdb_wal_seg s = { 0 };
		unsigned char *d = malloc(b.len);
		memcpy(d, b.data, b.len);
		s.data = d;
		s.size = b.len;
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_CLEAN);
		CHECK_EQ_INT(s.valid, b.len);
		s.size = b.len - 3;
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_INFLIGHT);
		CHECK_EQ_INT(s.valid, 44);
		sdb_wal_scan(&s, 0); /* sealed: incomplete is damage */
		CHECK_EQ_INT(s.status, SDB_SEG_DAMAGED);
		s.size = b.len;
		d[b.len - 2] ^= 0xFF; /* last record damaged: a tail */
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_TAILDAMAGE);
		CHECK_EQ_INT(s.bad_off, 44);
		d[b.len - 2] ^= 0xFF;
		d[5] ^= 0x40; /* first record damaged, good records but no whole
			       * transaction follow: the last write, torn */
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_TAILDAMAGE);
		CHECK_EQ_INT(s.bad_off, 0);
		free(d);
	}
	sdb_wal_encode(&b, SDB_REC_COMMIT, "\0\0\0\0", 4);
	{
		/* BEGIN COMMIT BEGIN COMMIT: damage with a whole transaction
		 * after it is damage, not a tail */
		struct sdb_wal_seg s = { 0 };
		unsigned char *d = malloc(b.len);
		memcpy(d, b.data, b.len);
		s.data = d;
		s.size = b.len;
		d[5] ^= 0x40;
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_DAMAGED);
		CHECK_EQ_INT(s.bad_off, 0);
		free(d);
	}
	{
		/* BEGIN COMMIT CHECKPOINT: a checkpoint record is a write of
		 * its own, so damage before it is not in the last write */
		struct sdb_buf c = SDB_BUF_INIT;
		struct sdb_wal_seg s = { 0 };
		sdb_wal_encode(&c, SDB_REC_BEGIN, "", 0);
		sdb_wal_encode(&c, SDB_REC_COMMIT, "\0\0\0\0", 4);
		sdb_wal_encode(&c, SDB_REC_CHECKPOINT, "\0\0\0\0\0\0\0\0", 8);
		s.data = (unsigned char *)c.data;
		s.size = c.len;
		c.data[5] ^= 0x40;
		sdb_wal_scan(&s, 1);
		CHECK_EQ_INT(s.status, SDB_SEG_DAMAGED);
		sdb_buf_release(&c);
	}
	{
		/* synced marks: BEGIN COMMIT(mark m) BEGIN COMMIT(mark m2) with
		 * the first transaction damaged. A later mark at or below the
		 * damage (both unsynced: --sync normal, group commit) makes it
		 * a torn tail; a mark beyond it proves it was synced. Same for
		 * a CHECKPOINT's mark. */
		unsigned char c12[12] = { 0 }, ck[16] = { 0 };
		for (int mk = 0; mk < 4; mk++) {
			struct sdb_buf c = SDB_BUF_INIT;
			struct sdb_wal_seg s = { 0 };
			uint64_t mark = (mk & 1) ? 1 : 0; /* damage sits at LSN 0 */
			sdb_wal_encode(&c, SDB_REC_BEGIN, "", 0);
			sdb_wal_encode(&c, SDB_REC_COMMIT, c12, 12);
			if (mk < 2) {
				sdb_put_u64(c12 + 4, mark);
				sdb_wal_encode(&c, SDB_REC_BEGIN, "", 0);
				sdb_wal_encode(&c, SDB_REC_COMMIT, c12, 12);
				memset(c12, 0, sizeof(c12));
			} else {
				sdb_put_u64(ck + 8, mark);
				sdb_wal_encode(&c, SDB_REC_CHECKPOINT, ck, 16);
			}
			s.data = (unsigned char *)c.data;
			s.size = c.len;
			c.data[5] ^= 0x40;
			sdb_wal_scan(&s, 1);
			CHECK_EQ_INT(s.status, mark ? SDB_SEG_DAMAGED : SDB_SEG_TAILDAMAGE);
			CHECK_EQ_INT(s.bad_off, 0);
			sdb_wal_scan(&s, 0); /* a sealed segment: always damage */
			CHECK_EQ_INT(s.status, SDB_SEG_DAMAGED);
			sdb_buf_release(&c);
		}
	}
	sdb_buf_release(&b);
}

static void test_bloom(void)
{
	struct sdb_buf f = SDB_BUF_INIT;
	uint64_t h[1000];
	int fp = 0;

	for (int i = 0; i < 1000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "key%d", i);
		h[i] = sdb_hash64(k, strlen(k));
	}
	sdb_bloom_build(&f, h, 1000, 10);
	for (int i = 0; i < 1000; i++)
		CHECK(sdb_bloom_may_contain((unsigned char *)f.data, f.len, h[i]));
	for (int i = 0; i < 10000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "other%d", i);
		fp += sdb_bloom_may_contain((unsigned char *)f.data, f.len, sdb_hash64(k, strlen(k)));
	}
	CHECK(fp < 300); /* ~1% expected at 10 bits/key */
	/* damaged filters answer "maybe", never a false "absent" */
	CHECK(sdb_bloom_may_contain((unsigned char *)f.data, 5, h[0]));
	f.data[f.len - 1] = 99;
	CHECK(sdb_bloom_may_contain((unsigned char *)f.data, f.len, 12345));
	sdb_buf_release(&f);
}

static void test_manifest(void)
{
	struct sdb_manifest m = { .next_file = 7, .checkpoint_lsn = 4096 }, d;
	struct sdb_table_meta t = { .no = 5, .level = 1, .size = 100, .nentries = 3,
				    .ndeletes = 1, .raw_bytes = 50 };
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_error e;

	t.smallest = malloc(2);
	memcpy(t.smallest, "\0a", 2);
	t.slen = 2;
	t.largest = malloc(3);
	memcpy(t.largest, "\0zz", 3);
	t.llen = 3;
	m.tables = &t;
	m.ntables = 1;
	CHECK_EQ_INT(sdb_manifest_encode(&m, &b), 0);
	CHECK_EQ_INT(sdb_manifest_decode(&d, (unsigned char *)b.data, b.len, &e), 0);
	CHECK_EQ_INT(d.ntables, 1);
	CHECK_EQ_INT(d.checkpoint_lsn, 4096);
	CHECK_EQ_INT(d.next_file, 7);
	CHECK_EQ_INT(d.tables[0].no, 5);
	CHECK(d.tables[0].llen == 3 && !memcmp(d.tables[0].largest, "\x00zz", 3));
	sdb_manifest_release(&d);
	for (size_t i = 0; i < b.len; i++) {
		b.data[i] ^= 0x01;
		CHECK(sdb_manifest_decode(&d, (unsigned char *)b.data, b.len, &e) != 0);
		b.data[i] ^= 0x01;
	}
	for (size_t cut = 0; cut < b.len; cut++)
		CHECK(sdb_manifest_decode(&d, (unsigned char *)b.data, cut, &e) != 0);
	/* a newer version is refused as such */
	{
		unsigned char *p = (unsigned char *)b.data;
		sdb_put_u32(p + 8, 2);
		sdb_put_u32(p + b.len - 4, sdb_crc32c(p, b.len - 4));
		CHECK_EQ_INT(sdb_manifest_decode(&d, p, b.len, &e), SDB_EVERSION);
	}
	free(t.smallest);
	free(t.largest);
	sdb_buf_release(&b);
}

static void test_table(int comp)
{
	char dir[] = "/tmp/sdbtblXXXXXX", path[300];
	struct sdb_table_writer *w;
	struct sdb_table_meta meta = { 0 };
	struct sdb_table *t;
	struct sdb_error e;
	struct sdb_block blk = { 0 };
	int n = 3000;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/000001.sst", dir);
	CHECK_EQ_INT(sdb_table_writer_open(&w, path, comp, 1, &e), 0);
	for (int i = 0; i < n; i++) {
		char k[32], v[64];
		snprintf(k, sizeof(k), "%ckey%06d", 0, i);
		snprintf(v, sizeof(v), "value-%d-%d", i, i * 7);
		CHECK_EQ_INT(sdb_table_writer_add(w, k, strlen(k + 1) + 1,
						  i % 10 == 0 ? SDB_KIND_DEL : i % 10 == 1 ? SDB_KIND_TTL : SDB_KIND_PUT,
						  i % 10 == 1 ? 99 : 0, v, i % 10 == 0 ? 0 : strlen(v), &e), 0);
	}
	CHECK_EQ_INT(sdb_table_writer_finish(w, &meta, &e), 0);
	CHECK_EQ_INT(meta.nentries, n);
	CHECK_EQ_INT(meta.ndeletes, n / 10);
	CHECK_EQ_INT(sdb_table_open(&t, path, &e), 0);
	CHECK_EQ_INT(sdb_table_verify(t, &e), 0);
	CHECK(t->nblocks > 1);
	{
		char k[32];
		size_t bi, j;
		snprintf(k, sizeof(k), "%ckey%06d", 0, 1234);
		CHECK_EQ_INT(sdb_table_find_block(t, k, 10, &bi, &e), 0);
		CHECK_EQ_INT(sdb_table_read_block(t, bi, &blk, &e), 0);
		for (j = 0; j < blk.n; j++)
			if (blk.klen[j] == 10 && !memcmp(blk.keys + blk.koff[j], k, 10))
				break;
		CHECK(j < blk.n);
		if (j < blk.n)
			CHECK(blk.vlen[j] == 15 && !memcmp(blk.val[j], "value-1234-8638", 15));
		CHECK(sdb_bloom_may_contain(t->bloom, t->bloom_len, sdb_hash64(k, 10)));
	}
	/* a point read's search in place finds what decoding finds: every
	 * key with its kind, value and expiry, and nothing between keys */
	{
		struct sdb_block raw = { 0 };
		for (size_t bi = 0; bi < t->nblocks; bi++) {
			size_t rawlen, vlen;
			int kind;
			const unsigned char *val;
			uint64_t exp;
			CHECK_EQ_INT(sdb_table_read_block(t, bi, &blk, &e), 0);
			CHECK_EQ_INT(sdb_table_read_raw_cached(t, bi, &raw, &rawlen, &e), 0);
			for (size_t j = 0; j < blk.n; j++) {
				const unsigned char *k = blk.keys + blk.koff[j];
				CHECK_EQ_INT(sdb_block_find(raw.raw, rawlen, k, blk.klen[j], &kind, &val, &vlen, &exp), 1);
				CHECK(kind == blk.kind[j] && vlen == blk.vlen[j] && exp == blk.expires[j] &&
				      !memcmp(val, blk.val[j], vlen));
				char between[40];
				memcpy(between, k, blk.klen[j]);
				between[blk.klen[j]] = '!'; /* after k, before the next key */
				CHECK_EQ_INT(sdb_block_find(raw.raw, rawlen, between, blk.klen[j] + 1, &kind, &val, &vlen, &exp), 0);
			}
			CHECK_EQ_INT(sdb_block_find(raw.raw, rawlen, "", 0, &kind, &val, &vlen, &exp), 0);
			CHECK_EQ_INT(sdb_block_find(raw.raw, 2, "x", 1, &kind, &val, &vlen, &exp), SDB_ECORRUPT);
		}
		sdb_block_release(&raw);
	}
	/* every flipped byte of the first block is caught by its checksum */
	{
		unsigned char *p = (unsigned char *)t->map;
		size_t end = t->boff[0] + t->bsize[0] + SDB_BLOCK_TRAILER;
		struct sdb_table fake = *t;
		unsigned char *copy = malloc(t->size);
		memcpy(copy, p, t->size);
		fake.map = copy;
		for (size_t i = 0; i < end; i++) {
			copy[i] ^= 0xFF;
			CHECK(sdb_table_read_block(&fake, 0, &blk, &e) == SDB_ECORRUPT);
			copy[i] ^= 0xFF;
		}
		CHECK_EQ_INT(sdb_table_read_block(&fake, 0, &blk, &e), 0);
		free(copy);
	}
	sdb_block_release(&blk);
	sdb_table_close(t);
	/* damaged footer, truncated file */
	{
		FILE *f = fopen(path, "r+b");
		fseek(f, -3, SEEK_END);
		fputc('X', f);
		fclose(f);
		CHECK_EQ_INT(sdb_table_open(&t, path, &e), SDB_ECORRUPT);
		CHECK(truncate(path, 10) == 0);
		CHECK_EQ_INT(sdb_table_open(&t, path, &e), SDB_ECORRUPT);
	}
	sdb_table_meta_release(&meta);
	unlink(path);
	rmdir(dir);
}

static void test_block_decode_bad(void)
{
	struct sdb_block b = { 0 };
	unsigned char buf[64];

	CHECK_EQ_INT(sdb_block_decode(&b, buf, 2), SDB_ECORRUPT);
	memset(buf, 0xFF, sizeof(buf));
	CHECK_EQ_INT(sdb_block_decode(&b, buf, sizeof(buf)), SDB_ECORRUPT);
	memset(buf, 0, sizeof(buf));
	sdb_put_u32(buf + 60, 1); /* one entry of an empty key */
	CHECK_EQ_INT(sdb_block_decode(&b, buf, 64), SDB_ECORRUPT);
	sdb_block_release(&b);
}

/* The radix path (>= 64 entries) keeps the newest version of each key. */
static void test_memtable(void)
{
	struct sdb_memtable m = { 0 };
	static unsigned char keys[3000][12];
	int ok = 1;

	for (int i = 0; i < 3000; i++) {
		struct sdb_wal_op op = { 0 };
		/* 1000 distinct keys, three versions each; equal 8-byte prefixes */
		snprintf((char *)keys[i], sizeof(keys[i]), "%cprefix%04d", 0, (i * 7) % 1000);
		op.key = keys[i];
		op.klen = 11;
		op.val = (const unsigned char *)"v";
		op.vlen = 1;
		CHECK_EQ_INT(sdb_mem_add(&m, &op, SDB_KIND_PUT, (uint64_t)i), 0);
	}
	sdb_mem_finish(&m);
	CHECK_EQ_INT(m.n, 1000);
	for (size_t i = 0; i < m.n; i++) {
		if (i && sdb_key_cmp(m.e[i - 1].key, 11, m.e[i].key, 11) >= 0)
			ok = 0;
		if (m.e[i].seq < 2000) /* the newest of the three versions */
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(sdb_mem_lower_bound(&m, "\0prefix0500", 11), 500);
	sdb_mem_release(&m);
}

/* TSV escaping one byte (or one valid UTF-8 sequence) at a time, as
 * DESIGN.md states it: the reference the block-at-a-time escaper must
 * match. */
static void tsv_escape_ref(struct sdb_buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c >= 0xC2 && c <= 0xDF && i + 2 <= n && !sdb_utf8_check((const char *)p + i, 2)) {
			sdb_buf_add(b, p + i, 2);
			i += 2;
		} else if (c == '\\') {
			sdb_buf_adds(b, "\\\\");
			i++;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			sdb_buf_adds(b, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
			i++;
		} else if (c < 0x20 || c >= 0x7F) {
			sdb_buf_addf(b, "\\x%02X", c);
			i++;
		} else {
			sdb_buf_addc(b, (char)c);
			i++;
		}
	}
}

/* Random strings of printable ASCII with a rare special byte (control,
 * DEL, backslash, high byte, a two-byte UTF-8 sequence) at every position
 * of a 16-byte block: escapes as the reference does, and round-trips. */
static void test_tsv_random(void)
{
	struct sdb_buf b = SDB_BUF_INIT, r = SDB_BUF_INIT, u = SDB_BUF_INIT;
	unsigned char s[80];
	const unsigned char special[] = { 0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x7F, '\\', 0x80, 0xFF, 0xC3 };
	int ok = 1;

	for (int round = 0; round < 20000 && ok; round++) {
		size_t n = unit_rnd() % sizeof(s), col;
		for (size_t i = 0; i < n; i++)
			s[i] = (unsigned char)(0x20 + unit_rnd() % 0x5F);
		for (int k = (int)(unit_rnd() % 3); k > 0 && n; k--) {
			size_t at = unit_rnd() % n;
			s[at] = special[unit_rnd() % sizeof(special)];
			if (s[at] == 0xC3 && at + 1 < n)
				s[at + 1] = 0xA9; /* a valid sequence */
		}
		sdb_buf_reset(&b);
		sdb_buf_reset(&r);
		sdb_buf_reset(&u);
		sdb_tsv_escape(&b, s, n);
		tsv_escape_ref(&r, s, n);
		if (b.len != r.len || (b.len && memcmp(b.data, r.data, b.len)))
			ok = 0;
		else if (sdb_tsv_unescape(&u, b.data ? b.data : "", b.len, &col) ||
			 u.len != n || (n && memcmp(u.data, s, n)))
			ok = 0;
	}
	CHECK(ok);
	sdb_buf_release(&b);
	sdb_buf_release(&r);
	sdb_buf_release(&u);
}

static void test_tsv(void)
{
	struct sdb_buf b = SDB_BUF_INIT, u = SDB_BUF_INIT;
	size_t col;
	const char raw[] = "a\tb\\c\nd\re\x01\x7f\xff\xc3\xa9";

	sdb_tsv_escape(&b, raw, sizeof(raw) - 1);
	CHECK_EQ_STR(b.data, "a\\tb\\\\c\\nd\\re\\x01\\x7F\\xFF\xc3\xa9");
	CHECK_EQ_INT(sdb_tsv_unescape(&u, b.data, b.len, &col), 0);
	CHECK(u.len == sizeof(raw) - 1 && !memcmp(u.data, raw, u.len));
	sdb_buf_reset(&u);
	CHECK_EQ_INT(sdb_tsv_unescape(&u, "ab\\q", 4, &col), SDB_EPARSE);
	CHECK_EQ_INT(col, 3);
	CHECK_EQ_INT(sdb_tsv_unescape(&u, "\\x4", 3, &col), SDB_EPARSE);
	CHECK(sdb_tsv_is_null("\\N", 2));
	CHECK(!sdb_utf8_check((const char *)("\xc3\xa9"), 2));
	CHECK(!!sdb_utf8_check((const char *)("\xc3"), 1));
	CHECK(!!sdb_utf8_check((const char *)("\xed\xa0\x80"), 3)); /* surrogate */
	sdb_buf_reset(&b);
	sdb_toon_quote(&b, "42", 2, ',');
	sdb_toon_quote(&b, "a,b", 3, ',');
	sdb_toon_quote(&b, "plain text", 10, ',');
	sdb_toon_quote(&b, "-x", 2, ',');
	sdb_toon_quote(&b, "a|b", 3, '|');
	sdb_toon_quote(&b, "\xc2\xa0nbsp", 6, ',');
	CHECK_EQ_STR(b.data, "\"42\"\"a,b\"plain text\"-x\"\"a|b\"\"\xc2\xa0nbsp\"");
	sdb_buf_reset(&b);
	sdb_toon_key(&b, "user.name", 9);
	sdb_toon_key(&b, "my key", 6);
	CHECK_EQ_STR(b.data, "user.name\"my key\"");
	sdb_buf_reset(&b);
	sdb_b64_encode(&b, "\xff\x00\x01", 3);
	CHECK_EQ_STR(b.data, "/wAB");
	sdb_buf_reset(&u);
	CHECK_EQ_INT(sdb_b64_decode(&u, "/wAB", 4), 0);
	CHECK(u.len == 3 && !memcmp(u.data, "\xff\x00\x01", 3));
	sdb_buf_release(&b);
	sdb_buf_release(&u);
}

static int fault_ok(enum sdb_io_kind kind, const char *name)
{
	(void)name;
	return kind == SDB_IO_FSYNC ? 5 /* EIO */ : 0;
}

static void test_io_hook(void)
{
	char dir[] = "/tmp/sdbhookXXXXXX";
	struct sdb_error e;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_INT(sdb_io_open(dir, 0, 0, &fd, &e), 0);
	sdb_io_hook = fault_ok;
	CHECK_EQ_INT(sdb_io_fsync(fd, "dir", &e), SDB_EIO);
	CHECK(strstr(e.msg, "cannot sync 'dir'") != NULL);
	sdb_io_hook = NULL;
	CHECK_EQ_INT(sdb_io_fsync(fd, "dir", &e), 0);
	sdb_io_close(fd);
	rmdir(dir);
}

/* A malformed internal key is refused before it reaches the WAL, where
 * the reader would reject the record and with it the whole log. */
static void test_batch_bad_key(void)
{
	struct sdb_batch b;
	struct sdb_error e;

	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_put(&b, "", 0, "v", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_put(&b, "\0", 1, "v", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_put(&b, "\x05k", 2, "v", 1, 0, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_del(&b, "\x01n", 2, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_put(&b, "\0k", 2, "v", 1, 0, &e), 0);
	CHECK_EQ_INT(sdb_batch_del(&b, "\x01nk", 3, &e), 0);
	CHECK_EQ_INT(b.nops, 2);
	sdb_batch_release(&b);
}

/* ---------------------------------------------------- seek (iter.c) */

#define SK_N 400

/* Internal key of user key "k%03d" in the empty namespace: 5 bytes. */
static size_t sk_key(char *b, int i)
{
	b[0] = 0;
	b[1] = 'k';
	b[2] = (char)('0' + i / 100 % 10);
	b[3] = (char)('0' + i / 10 % 10);
	b[4] = (char)('0' + i % 10);
	return 5;
}

static struct sdb_db *sk_open(const char *dir, unsigned flags)
{
	struct sdb_opts o;
	struct sdb_db *db = NULL;
	struct sdb_error e;

	sdb_opts_default(&o);
	o.sync = SDB_SYNC_OFF;
	o.no_auto = 1;
	o.lock_timeout = 0;
	CHECK_EQ_INT(sdb_db_open(dir, flags, &o, &db, &e), 0);
	return db;
}

/* Puts (del 0) or deletes (del 1) keys i = from, from+step, ... < to. */
static void sk_write(const char *dir, int from, int to, int step, int del,
		     int *live)
{
	struct sdb_db *db = sk_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
	struct sdb_batch b;
	struct sdb_error e;
	char k[8], v[128];

	sdb_batch_init(&b);
	for (int i = from; i < to; i += step) {
		size_t n = sk_key(k, i);
		memset(v, 'a' + i % 26, sizeof(v));
		if (del)
			CHECK_EQ_INT(sdb_batch_del(&b, k, n, &e), 0);
		else
			CHECK_EQ_INT(sdb_batch_put(&b, k, n, v, sizeof(v), 0, &e), 0);
		live[i] = !del;
	}
	CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(db);
}

/* no_auto 0: with the automatic compactions after it */
static void sk_checkpoint_with(const char *dir, int no_auto)
{
	struct sdb_opts o;
	struct sdb_maint_opts m = { .level = -1 };
	struct sdb_error e;
	int did = 0;

	sdb_opts_default(&o);
	o.sync = SDB_SYNC_OFF;
	o.no_auto = no_auto;
	CHECK_EQ_INT(sdb_checkpoint(dir, &o, &m, &did, &e), 0);
	CHECK_EQ_INT(did, 1);
}

static void sk_checkpoint(const char *dir)
{
	sk_checkpoint_with(dir, 1);
}

/* The model: the index of the first live key >= t (forward) or the last
 * live key <= t (reverse) within [lo,hi), stepping from there; -1 at the
 * end. Keys are compared as the engine does (sdb_key_cmp). */
static int sk_model(const int *live, const char *t, size_t tl, int lo, int hi,
		    int reverse, int from)
{
	char k[8];

	if (from == INT32_MIN) { /* first step: find the position of t */
		if (!reverse) {
			for (int i = lo; i < hi; i++) {
				size_t n = sk_key(k, i);
				if (live[i] && sdb_key_cmp(k, n, t, tl) >= 0)
					return i;
			}
		} else {
			for (int i = hi - 1; i >= lo; i--) {
				size_t n = sk_key(k, i);
				if (live[i] && sdb_key_cmp(k, n, t, tl) <= 0)
					return i;
			}
		}
		return -1;
	}
	for (int i = reverse ? from - 1 : from + 1; i >= lo && i < hi;
	     i += reverse ? -1 : 1)
		if (live[i])
			return i;
	return -1;
}

/* Seeks to many targets (existing, deleted, between and outside keys) in
 * one iterator per direction and bounds; checks three steps each. */
static void sk_check(const char *dir, const int *live, const char *what)
{
	struct sdb_db *db = sk_open(dir, SDB_OPEN_SNAPSHOT);
	static const int bounds[][2] = { { 0, SK_N }, { 100, 300 }, { 37, 38 }, { 5, 5 } };
	struct sdb_error e;
	int bad = 0;

	if (!db)
		return;
	for (size_t bd = 0; bd < sizeof(bounds) / sizeof(*bounds); bd++) {
		int lo = bounds[bd][0], hi = bounds[bd][1];
		char lk[8], hk[8];
		size_t lon = sk_key(lk, lo), hin = sk_key(hk, hi);
		for (int rev = 0; rev < 2; rev++) {
			struct sdb_iter *it;
			int open = bd == 0; /* NULL bounds for the first */
			CHECK_EQ_INT(sdb_iter_open(db, open ? NULL : lk, lon, open ? NULL : hk,
						   hin, rev, &it, &e), 0);
			for (int ti = -2; ti <= SK_N + 1; ti++) {
				/* target: key ti, or key ti + "5" (between ti and ti+1),
				 * a key before every key, the namespace alone */
				char t[16];
				size_t tl;
				int tgt = (ti * 7919 + 13) % (SK_N + 4) - 2; /* shuffled */
				if (tgt == -2) {
					t[0] = 0;
					tl = 1;
				} else if (tgt == -1) {
					memcpy(t, "\0a", 2);
					tl = 2;
				} else {
					tl = sk_key(t, tgt);
					if (tgt % 3 == 0)
						t[tl++] = '5';
				}
				if (tgt == SK_N + 1) {
					memcpy(t, "\0z", 2);
					tl = 2;
				}
				CHECK_EQ_INT(sdb_iter_seek(it, t, tl, &e), 0);
				int want = sk_model(live, t, tl, lo, hi, rev, INT32_MIN);
				for (int step = 0; step < 3; step++) {
					const unsigned char *k;
					size_t kl;
					struct sdb_val v;
					char wk[8];
					int rc = sdb_iter_next(it, &k, &kl, &v, &e);
					if (want < 0) {
						bad += rc != 0;
						break;
					}
					sk_key(wk, want);
					if (rc != 1 || kl != 5 || memcmp(k, wk, 5) || v.len != 128 ||
					    v.data[0] != 'a' + want % 26) {
						if (!bad)
							printf("seek %s: bounds %d..%d rev %d target %d step %d: got rc %d\n",
							       what, lo, hi, rev, tgt, step, rc);
						bad++;
						break;
					}
					want = sk_model(live, t, tl, lo, hi, rev, want);
				}
			}
			sdb_iter_close(it);
		}
	}
	CHECK_EQ_INT(bad, 0);
	sdb_db_close(db);
}

/* sdb_iter_limit: raised between steps (no seek: the cursors past the old
 * bound come back, the step goes on from the last key), raised twice in a
 * row, or set anywhere and then a seek; random steps checked against the
 * model: the first live key after the last one returned (at or after the
 * seek's target), below the limit. */
static void sk_limit_check(const char *dir, const int *live, const char *what)
{
	struct sdb_db *db = sk_open(dir, SDB_OPEN_SNAPSHOT);
	struct sdb_iter *it;
	struct sdb_error e;
	int bad = 0, hi = 50, pos = 0, incl = 1;
	char t[8], h[8];

	if (!db)
		return;
	CHECK_EQ_INT(sdb_iter_open(db, NULL, 0, NULL, 0, 0, &it, &e), 0);
	CHECK_EQ_INT(sdb_iter_limit(it, h, sk_key(h, hi), &e), 0);
	CHECK_EQ_INT(sdb_iter_seek(it, t, sk_key(t, 0), &e), 0);
	for (int op = 0; op < 4000 && !bad; op++) {
		unsigned r = (unsigned)(unit_rnd() % 10);
		if (r == 0 || r == 1) { /* raise the limit, once or twice */
			for (unsigned k = 0; k <= r; k++) {
				hi += (int)(unit_rnd() % 40);
				if (hi > SK_N)
					hi = SK_N;
				CHECK_EQ_INT(sdb_iter_limit(it, h, sk_key(h, hi), &e), 0);
			}
		} else if (r == 2) { /* any limit, then a seek below it */
			hi = 1 + (int)(unit_rnd() % SK_N);
			pos = (int)(unit_rnd() % (unsigned)hi);
			incl = 1;
			CHECK_EQ_INT(sdb_iter_limit(it, h, sk_key(h, hi), &e), 0);
			CHECK_EQ_INT(sdb_iter_seek(it, t, sk_key(t, pos), &e), 0);
		} else {
			const unsigned char *k;
			size_t kl;
			struct sdb_val v;
			char wk[8];
			int want = -1, rc = sdb_iter_next(it, &k, &kl, &v, &e);
			for (int i = incl ? pos : pos + 1; i < hi; i++)
				if (live[i]) {
					want = i;
					break;
				}
			if (want < 0 ? rc != 0 :
			    rc != 1 || kl != 5 || memcmp(k, wk, sk_key(wk, want))) {
				printf("limit %s: op %d: limit %d after %d: got rc %d, want key %d\n",
				       what, op, hi, pos, rc, want);
				bad++;
			}
			if (want >= 0) {
				pos = want;
				incl = 0;
			} else if (hi > pos) {
				/* at the end: the next key after a raise is the
				 * first one at or after the old bound */
				pos = hi;
				incl = 1;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	sdb_iter_close(it);
	sdb_db_close(db);
}

static void test_seek(void)
{
	for (int stage = 0; stage < 3; stage++) {
		/* 0: memtable only; 1: tables only (two, the newer deletes and
		 * re-puts keys of the older); 2: both plus a compaction */
		static const char *name[] = { "memtable", "tables", "mixed" };
		char dir[] = "/tmp/sdbseekXXXXXX", cmd[64];
		static int live[SK_N];
		memset(live, 0, sizeof(live));
		CHECK(mkdtemp(dir) != NULL);
		rmdir(dir);
		sk_write(dir, 0, SK_N, 2, 0, live);   /* even keys */
		sk_write(dir, 0, SK_N, 10, 1, live);  /* deletes k000, k010, ... */
		if (stage)
			sk_checkpoint(dir);
		sk_write(dir, 1, SK_N, 4, 0, live);   /* odd keys 1, 5, 9, ... */
		sk_write(dir, 20, 40, 10, 0, live);   /* k020, k030 back */
		sk_write(dir, 4, 100, 8, 1, live);    /* more deletes */
		if (stage == 1)
			sk_checkpoint(dir);
		if (stage == 2) {
			struct sdb_opts o;
			struct sdb_maint_opts m = { .level = -1 };
			struct sdb_error e;
			int did;
			sdb_opts_default(&o);
			o.sync = SDB_SYNC_OFF;
			o.no_auto = 1;
			CHECK_EQ_INT(sdb_compact(dir, &o, &m, &did, &e), 0);
			sk_write(dir, 200, 260, 3, 1, live); /* memtable over a table */
			sk_write(dir, 201, 260, 6, 0, live);
		}
		sk_check(dir, live, name[stage]);
		sk_limit_check(dir, live, name[stage]);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
}

/* ------------------------------------------- range deletes (rangedel.c) */

/* Deletes [key from, key to) in one commit; with reput, puts every
 * third key of the range again after the range delete in the same
 * batch (newer: stays visible). */
static void sk_delrange(const char *dir, int from, int to, int reput, int *live)
{
	struct sdb_db *db = sk_open(dir, SDB_OPEN_CREATE | SDB_OPEN_WRITE);
	struct sdb_batch b;
	struct sdb_error e;
	char lo[8], hi[8], v[128];
	size_t ln = sk_key(lo, from), hn = sk_key(hi, to);

	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_del_range(&b, lo, ln, hi, hn, &e), 0);
	for (int i = from; i < to; i++)
		live[i] = 0;
	for (int i = from; reput && i < to; i += 3) {
		char k[8];
		size_t n = sk_key(k, i);
		memset(v, 'a' + i % 26, sizeof(v));
		CHECK_EQ_INT(sdb_batch_put(&b, k, n, v, sizeof(v), 0, &e), 0);
		live[i] = 1;
	}
	CHECK_EQ_INT(sdb_db_commit(db, &b, 0, &e), 0);
	sdb_batch_release(&b);
	sdb_db_close(db);
}

/* Point reads of every key agree with the model, then sk_check's seeks
 * and scans. */
static void sk_check_all(const char *dir, const int *live, const char *what)
{
	struct sdb_db *db = sk_open(dir, SDB_OPEN_SNAPSHOT);
	struct sdb_error e;
	int bad = 0;

	for (int i = 0; db && i < SK_N; i++) {
		char k[8];
		struct sdb_val v;
		size_t n = sk_key(k, i);
		int rc = sdb_db_get(db, k, n, &v, &e);
		if (rc != (live[i] ? 0 : SDB_ENOTFOUND) || (!rc && v.data[0] != 'a' + i % 26)) {
			if (!bad)
				printf("get %s: key %d: rc %d, want %s\n", what, i, rc, live[i] ? "found" : "absent");
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	sdb_db_close(db);
	sk_check(dir, live, what);
}

/* A checkpoint with the automatic compactions on. */
static void sk_checkpoint_auto(const char *dir)
{
	sk_checkpoint_with(dir, 0);
}

/* Tables at level >= 1, the highest table number, the table count. */
static int sk_levels(const char *dir, int *deep, uint64_t *maxno)
{
	struct sdb_manifest man = { 0 };
	struct sdb_error e;
	int n;

	CHECK_EQ_INT(sdb_manifest_read(&man, dir, &e), 0);
	*deep = 0;
	*maxno = 0;
	for (size_t i = 0; i < man.ntables; i++) {
		*deep += man.tables[i].level >= 1;
		if (man.tables[i].no > *maxno)
			*maxno = man.tables[i].no;
	}
	n = (int)man.ntables;
	sdb_manifest_release(&man);
	return n;
}

/*
 * The automatic compaction moves level-0 tables of disjoint keys down by
 * the manifest alone (no table rewritten, every key read back); tables
 * that overlap, or a range delete over a deeper table, are merged, and
 * what was deleted stays deleted.
 */
static void test_trivial_move(void)
{
	char dir[] = "/tmp/sdb_move_XXXXXX";
	char cmd[64];
	int live[SK_N], deep;
	uint64_t maxno, before;

	memset(live, 0, sizeof(live));
	CHECK(mkdtemp(dir) != NULL);
	rmdir(dir);
	for (int r = 0; r < 3; r++) {
		sk_write(dir, r * 100, r * 100 + 100, 1, 0, live);
		sk_checkpoint_auto(dir);
	}
	CHECK_EQ_INT(sk_levels(dir, &deep, &before), 3);
	CHECK_EQ_INT(deep, 0);
	sk_write(dir, 300, 400, 1, 0, live);
	sk_checkpoint_auto(dir); /* the 4th level-0 table: moved, not merged */
	CHECK_EQ_INT(sk_levels(dir, &deep, &maxno), 4);
	CHECK_EQ_INT(deep, 4);
	CHECK(maxno == before + 1); /* the flush's own table, no merge output */
	sk_check_all(dir, live, "trivial move");
	/* four overlapping tables (every key again): merged */
	for (int r = 0; r < 4; r++) {
		sk_write(dir, r, SK_N, 4, 0, live);
		sk_checkpoint_auto(dir);
	}
	sk_levels(dir, &deep, &before);
	CHECK(before > maxno + 4);
	sk_check_all(dir, live, "merge after trivial move");
	/* a range delete over the deeper tables, beside three disjoint-looking
	 * small tables: the range spans them, so it is merged, never moved
	 * past the rows it deletes */
	sk_delrange(dir, 10, 390, 0, live);
	sk_checkpoint_auto(dir);
	for (int r = 0; r < 3; r++) {
		sk_write(dir, 392 + 2 * r, 393 + 2 * r, 1, 0, live);
		sk_checkpoint_auto(dir);
	}
	sk_check_all(dir, live, "range delete after trivial moves");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static void sk_compact(const char *dir, int level)
{
	struct sdb_opts o;
	struct sdb_maint_opts m = { .level = level };
	struct sdb_error e;
	int did;

	sdb_opts_default(&o);
	o.sync = SDB_SYNC_OFF;
	o.no_auto = 1;
	CHECK_EQ_INT(sdb_compact(dir, &o, &m, &did, &e), 0);
}

/* Range deletes of the tables of the manifest (0: none anywhere). */
static size_t sk_table_ranges(const char *dir, int *maxlevel)
{
	struct sdb_manifest m = { 0 };
	struct sdb_error e;
	struct sdb_buf p = SDB_BUF_INIT;
	size_t n = 0;

	*maxlevel = 0;
	CHECK_EQ_INT(sdb_manifest_read(&m, dir, &e), 0);
	for (size_t i = 0; i < m.ntables; i++) {
		struct sdb_table *t;
		sdb_table_path(&p, dir, m.tables[i].no);
		CHECK_EQ_INT(sdb_table_open(&t, p.data, &e), 0);
		CHECK_EQ_INT(sdb_table_verify(t, &e), 0);
		n += t->nrt;
		if (m.tables[i].level > *maxlevel)
			*maxlevel = m.tables[i].level;
		sdb_table_close(t);
	}
	sdb_manifest_release(&m);
	sdb_buf_release(&p);
	return n;
}

static void test_delrange(void)
{
	static const char *name[] = { "delrange memtable", "delrange tables",
				      "delrange mixed", "delrange compact" };

	for (int stage = 0; stage < 4; stage++) {
		char dir[] = "/tmp/sdbdrXXXXXX", cmd[64];
		static int live[SK_N];
		int lvl;
		memset(live, 0, sizeof(live));
		CHECK(mkdtemp(dir) != NULL);
		rmdir(dir);
		sk_write(dir, 0, SK_N, 1, 0, live);
		if (stage == 1 || stage == 2)
			sk_checkpoint(dir);
		if (stage == 3) { /* data two levels down */
			sk_checkpoint(dir);
			sk_compact(dir, 0);
			sk_compact(dir, 1);
		}
		sk_delrange(dir, 50, 120, 0, live);
		sk_delrange(dir, 100, 150, 1, live); /* overlaps, re-puts */
		sk_write(dir, 60, 70, 2, 0, live);    /* newer puts inside */
		if (stage == 1 || stage == 3)
			sk_checkpoint(dir);               /* a table of ranges */
		sk_delrange(dir, 300, 301, 0, live);
		sk_delrange(dir, 390, 400, 0, live);
		if (stage == 1)
			sk_checkpoint(dir);
		sk_check_all(dir, live, name[stage]);
		if (stage == 1)
			CHECK(sk_table_ranges(dir, &lvl) > 0);
		if (stage == 3) {
			/* level 0 into 1 over level 2: the ranges must stay */
			sk_compact(dir, 0);
			CHECK(sk_table_ranges(dir, &lvl) > 0);
			sk_check_all(dir, live, "delrange after level-0 compaction");
			sk_checkpoint(dir);
			sk_compact(dir, -1); /* bottom: nothing older, ranges go */
			CHECK_EQ_INT(sk_table_ranges(dir, &lvl), 0);
			sk_check_all(dir, live, "delrange after full compaction");
		}
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
}

/* A range delete committed by a process that dies without closing
 * survives the restart, a torn tail after it, checkpoint and compaction. */
static void test_delrange_crash(void)
{
	char dir[] = "/tmp/sdbdrcXXXXXX", cmd[128];
	static int live[SK_N];
	pid_t pid;
	int st;

	memset(live, 0, sizeof(live));
	CHECK(mkdtemp(dir) != NULL);
	rmdir(dir);
	sk_write(dir, 0, SK_N, 1, 0, live);
	sk_checkpoint(dir);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct sdb_opts o;
		struct sdb_db *db;
		struct sdb_batch b;
		struct sdb_error e;
		sdb_opts_default(&o); /* sync full: acknowledged = on disk */
		if (sdb_db_open(dir, SDB_OPEN_WRITE, &o, &db, &e))
			_exit(1);
		sdb_batch_init(&b);
		if (sdb_batch_del_range(&b, "\0k100", 5, "\0k200", 5, &e) ||
		    sdb_db_commit(db, &b, 0, &e))
			_exit(1);
		_exit(0); /* no close, no checkpoint */
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 100; i < 200; i++)
		live[i] = 0;
	/* a torn record after the commit */
	snprintf(cmd, sizeof(cmd), "printf 'torn' >> \"$(ls %s/wal-*.log | tail -1)\"", dir);
	CHECK(system(cmd) == 0);
	sk_check_all(dir, live, "delrange after crash");
	sk_write(dir, 0, 1, 1, 0, live); /* a writer cuts the tail */
	sk_checkpoint(dir);
	sk_check_all(dir, live, "delrange after crash + checkpoint");
	sk_compact(dir, -1);
	sk_check_all(dir, live, "delrange after crash + compact");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* The DELRANGE record: encoding, bounds refused before the WAL, the
 * reader's checks, the range block's checks. */
static void test_delrange_record(void)
{
	struct sdb_batch b;
	struct sdb_error e;
	struct sdb_wal_rec r;
	struct sdb_wal_op op;
	struct sdb_buf rb = SDB_BUF_INIT;
	struct sdb_range rs[3] = {
		{ (const unsigned char *)"\0c", (const unsigned char *)"\0d", 2, 2, 0 },
		{ (const unsigned char *)"\0a", (const unsigned char *)"\0b", 2, 2, 0 },
		{ (const unsigned char *)"\0b", (const unsigned char *)"\0bb", 2, 3, 0 },
	}, *out;
	size_t n = 3, nout;

	sdb_batch_init(&b);
	CHECK_EQ_INT(sdb_batch_del_range(&b, "\0b", 2, "\0a", 2, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_del_range(&b, "\0a", 2, "\0a", 2, &e), SDB_EINVAL);
	CHECK_EQ_INT(sdb_batch_del_range(&b, "", 0, "\0a", 2, &e), SDB_EINVAL);
	CHECK_EQ_INT(b.nops, 0);
	CHECK_EQ_INT(sdb_batch_del_range(&b, "\x02ns", 3, "\x02nt", 3, &e), 0);
	CHECK_EQ_INT(sdb_wal_decode((unsigned char *)b.rec.data + SDB_WAL_OVERHEAD,
				    b.rec.len - SDB_WAL_OVERHEAD, &r), 0);
	CHECK_EQ_INT(r.type, SDB_REC_DELRANGE);
	CHECK_EQ_INT(sdb_wal_op_decode(&r, &op), 0);
	CHECK(op.klen == 3 && !memcmp(op.key, "\x02ns", 3));
	CHECK(op.vlen == 3 && !memcmp(op.val, "\x02nt", 3));
	{
		/* lo >= hi in a record with good checksums: malformed */
		unsigned char pl[] = { 0, 2, 2, 0, 'b', 0, 'a' };
		struct sdb_wal_rec bad = { SDB_REC_DELRANGE, pl, sizeof(pl), 0 };
		CHECK_EQ_INT(sdb_wal_op_decode(&bad, &op), SDB_ECORRUPT);
		pl[4] = 'a';
		pl[6] = 'b';
		CHECK_EQ_INT(sdb_wal_op_decode(&bad, &op), 0);
	}
	{
		/* a well-formed put payload under a type that is no operation
		 * (or one unknown) is never read as a put */
		unsigned char pl[] = { 0, 2, 1, 0, 'k', 'v' };
		struct sdb_wal_rec put = { SDB_REC_PUT, pl, sizeof(pl), 0 };
		CHECK_EQ_INT(sdb_wal_op_decode(&put, &op), 0);
		for (int ty = 0; ty <= SDB_REC_LAST + 2; ty++) {
			put.type = (uint8_t)ty;
			if (ty != SDB_REC_PUT && ty != SDB_REC_DEL && ty != SDB_REC_DELRANGE)
				CHECK_EQ_INT(sdb_wal_op_decode(&put, &op), SDB_ECORRUPT);
		}
	}
	sdb_batch_release(&b);
	/* union: [a,b) [b,bb) touch and merge, [c,d) stays */
	sdb_ranges_union(rs, &n);
	CHECK_EQ_INT(n, 2);
	CHECK(rs[0].hilen == 3 && !memcmp(rs[0].hi, "\0bb", 3));
	CHECK_EQ_INT(sdb_ranges_find(rs, n, "\0a", 2), 0);
	CHECK_EQ_INT(sdb_ranges_find(rs, n, "\0ba", 3), 0);
	CHECK_EQ_INT(sdb_ranges_find(rs, n, "\0bb", 3), 2);
	CHECK_EQ_INT(sdb_ranges_find(rs, n, "\0c", 2), 1);
	CHECK_EQ_INT(sdb_ranges_find(rs, n, "\0d", 2), 2);
	CHECK_EQ_INT(sdb_ranges_encode(&rb, rs, n), 0);
	CHECK_EQ_INT(sdb_ranges_decode((unsigned char *)rb.data, rb.len, &out, &nout), 0);
	CHECK_EQ_INT(nout, 2);
	free(out);
	for (size_t cut = 0; cut < rb.len; cut++)
		CHECK(sdb_ranges_decode((unsigned char *)rb.data, cut, &out, &nout) != 0);
	/* out of order: refused */
	{
		struct sdb_range sw[2] = { rs[1], rs[0] };
		sdb_buf_reset(&rb);
		sdb_ranges_encode(&rb, sw, 2);
		CHECK_EQ_INT(sdb_ranges_decode((unsigned char *)rb.data, rb.len, &out, &nout), SDB_ECORRUPT);
	}
	sdb_buf_release(&rb);
}

/* A compaction whose output is split into several tables cuts each range
 * at the split keys: every output holds the ranges of its own span, the
 * level stays disjoint, and reads agree before and after. */
static void test_delrange_split(void)
{
	char dir[] = "/tmp/sdbdrsXXXXXX", cmd[64];
	static int live[SK_N];
	struct sdb_opts o;
	struct sdb_maint_opts m = { .level = 0 };
	struct sdb_manifest man = { 0 };
	struct sdb_buf p = SDB_BUF_INIT;
	struct sdb_error e;
	int did, lvl, l1 = 0, bad = 0;
	const unsigned char *prev = NULL;
	size_t prevlen = 0;

	memset(live, 0, sizeof(live));
	CHECK(mkdtemp(dir) != NULL);
	rmdir(dir);
	sk_write(dir, 0, SK_N, 1, 0, live);
	sk_checkpoint(dir);
	sk_compact(dir, 0);
	sk_compact(dir, 1); /* everything at level 2 */
	sk_delrange(dir, 20, 380, 1, live); /* range + every third key again */
	sk_delrange(dir, 385, 390, 0, live);
	sk_checkpoint(dir);
	sdb_opts_default(&o);
	o.sync = SDB_SYNC_OFF;
	o.no_auto = 1;
	o.table_bytes = 256; /* split the level-0 merge into several tables */
	CHECK_EQ_INT(sdb_compact(dir, &o, &m, &did, &e), 0);
	CHECK(sk_table_ranges(dir, &lvl) > 0);
	CHECK_EQ_INT(sdb_manifest_read(&man, dir, &e), 0);
	for (size_t i = 0; i < man.ntables; i++) {
		const struct sdb_table_meta *t = &man.tables[i];
		struct sdb_table *tb;
		if (t->level != 1)
			continue;
		l1++;
		sdb_table_path(&p, dir, t->no);
		CHECK_EQ_INT(sdb_table_open(&tb, p.data, &e), 0);
		for (size_t r = 0; r < tb->nrt; r++)
			if (sdb_key_cmp(tb->rt[r].lo, tb->rt[r].lolen, t->smallest, t->slen) < 0 ||
			    sdb_key_cmp(tb->rt[r].hi, tb->rt[r].hilen, t->largest, t->llen) > 0)
				bad++;
		sdb_table_close(tb);
	}
	/* level 1 in key order: each table starts at or after the last one's end */
	for (int pass = 0; pass < l1; pass++) {
		const struct sdb_table_meta *next = NULL;
		for (size_t i = 0; i < man.ntables; i++) {
			const struct sdb_table_meta *t = &man.tables[i];
			if (t->level == 1 && (!prev || sdb_key_cmp(t->smallest, t->slen, prev, prevlen) > 0) &&
			    (!next || sdb_key_cmp(t->smallest, t->slen, next->smallest, next->slen) < 0))
				next = t;
		}
		if (!next)
			break;
		if (prev && sdb_key_cmp(next->smallest, next->slen, prev, prevlen) < 0)
			bad++;
		prev = next->largest;
		prevlen = next->llen;
	}
	CHECK(l1 > 2);
	CHECK_EQ_INT(bad, 0);
	sdb_manifest_release(&man);
	sdb_buf_release(&p);
	sk_check_all(dir, live, "delrange split compaction");
	sk_compact(dir, -1);
	CHECK_EQ_INT(sk_table_ranges(dir, &lvl), 0);
	sk_check_all(dir, live, "delrange split, then full compaction");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* test_store --make-delrange DIR: a database whose WAL holds a range
 * delete (t/5010-wal-delrange.bats runs the tools over it). */
static int make_delrange(const char *dir)
{
	static int live[SK_N];

	sk_write(dir, 0, 6, 1, 0, live);
	sk_delrange(dir, 1, 3, 0, live);
	return unit_done("make-delrange");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--make-delrange"))
		return make_delrange(argv[2]);
	test_seek();
	test_trivial_move();
	test_delrange_record();
	test_delrange();
	test_delrange_crash();
	test_delrange_split();
	test_batch_bad_key();
	test_crc();
	test_varint();
	test_wal_record();
	test_bloom();
	test_manifest();
	test_table(SDB_COMP_LZ4);
	test_table(SDB_COMP_ZSTD);
	test_table(SDB_COMP_NONE);
	test_block_decode_bad();
	test_memtable();
	test_tsv();
	test_tsv_random();
	test_io_hook();
	return unit_done("test_store");
}
