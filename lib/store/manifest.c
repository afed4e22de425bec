/*
 * manifest.c - the MANIFEST file: which tables make up the database and
 * from which WAL position (the checkpoint LSN) a reader must replay.
 *
 * Layout (little-endian):
 *   +0  u64 magic "SDBMANI1"   +8  u32 version (1)   +12 u32 table count
 *   +16 u64 next file number   +24 u64 checkpoint LSN
 *   per table: u64 number, u8 level, u64 file size, u64 entries,
 *              u64 delete markers, u64 raw key+value bytes,
 *              u32 n, smallest internal key[n], u32 n, largest key[n]
 *   u32 CRC-32C of every preceding byte
 * It is replaced, never modified: written to a temporary file, fsynced,
 * renamed over MANIFEST and the directory fsynced (sdb_atomic_*). Files it
 * no longer names are unlinked only after that.
 */
#include "store/internal.h"

#include "util/crc32c.h"
#include "util/io.h"
#include "util/varint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sdb_table_meta_release(struct sdb_table_meta *t)
{
	if (!t)
		return;
	free(t->smallest);
	free(t->largest);
	t->smallest = t->largest = NULL;
}

int sdb_table_meta_copy(struct sdb_table_meta *dst,
			const struct sdb_table_meta *src)
{
	*dst = *src;
	dst->smallest = malloc(src->slen + 1);
	dst->largest = malloc(src->llen + 1);
	if (!dst->smallest || !dst->largest) {
		sdb_table_meta_release(dst);
		return SDB_ENOMEM;
	}
	memcpy(dst->smallest, src->smallest, src->slen);
	memcpy(dst->largest, src->largest, src->llen);
	return 0;
}

void sdb_manifest_release(struct sdb_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ntables; i++)
		sdb_table_meta_release(&m->tables[i]);
	free(m->tables);
	memset(m, 0, sizeof(*m));
}


int sdb_manifest_encode(const struct sdb_manifest *m, struct sdb_buf *b)
{
	unsigned char h[32], x[64];

	sdb_put_u64(h, SDB_MANIFEST_MAGIC);
	sdb_put_u32(h + 8, SDB_MANIFEST_VERSION);
	sdb_put_u32(h + 12, (uint32_t)m->ntables);
	sdb_put_u64(h + 16, m->next_file);
	sdb_put_u64(h + 24, m->checkpoint_lsn);
	sdb_buf_add(b, h, sizeof(h));
	for (size_t i = 0; i < m->ntables; i++) {
		const struct sdb_table_meta *t = &m->tables[i];
		sdb_put_u64(x, t->no);
		x[8] = (unsigned char)t->level;
		sdb_put_u64(x + 9, t->size);
		sdb_put_u64(x + 17, t->nentries);
		sdb_put_u64(x + 25, t->ndeletes);
		sdb_put_u64(x + 33, t->raw_bytes);
		sdb_put_u32(x + 41, (uint32_t)t->slen);
		sdb_buf_add(b, x, 45);
		sdb_buf_add(b, t->smallest, t->slen);
		sdb_put_u32(x, (uint32_t)t->llen);
		sdb_buf_add(b, x, 4);
		sdb_buf_add(b, t->largest, t->llen);
	}
	sdb_put_u32(x, sdb_crc32c(b->data, b->len));
	sdb_buf_add(b, x, 4);
	return sdb_buf_ok(b) ? 0 : SDB_ENOMEM;
}

int sdb_manifest_decode(struct sdb_manifest *m, const unsigned char *p,
			size_t n, struct sdb_error *e)
{
	const unsigned char *q, *end;
	uint32_t nt;

	memset(m, 0, sizeof(*m));
	if (n < 36 || sdb_get_u64(p) != SDB_MANIFEST_MAGIC)
		return sdb_error_set(e, SDB_ECORRUPT, "bad magic");
	if (sdb_get_u32(p + n - 4) != sdb_crc32c(p, n - 4)) {
		sdb_error_set(e, SDB_ECORRUPT, "checksum mismatch");
		if (e)
			e->offset = (int64_t)n - 4;
		return SDB_ECORRUPT;
	}
	if (sdb_get_u32(p + 8) != SDB_MANIFEST_VERSION)
		return sdb_error_set(e, SDB_EVERSION, "format version %u is not supported (this build reads %d)",
				     sdb_get_u32(p + 8), SDB_MANIFEST_VERSION);
	nt = sdb_get_u32(p + 12);
	m->next_file = sdb_get_u64(p + 16);
	m->checkpoint_lsn = sdb_get_u64(p + 24);
	if (nt > n / 53)
		return sdb_error_set(e, SDB_ECORRUPT, "bad table count");
	m->tables = calloc(nt ? nt : 1, sizeof(*m->tables));
	if (!m->tables)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	q = p + 32;
	end = p + n - 4;
	for (uint32_t i = 0; i < nt; i++) {
		struct sdb_table_meta *t = &m->tables[i];
		uint32_t l;
		if (end - q < 45)
			goto bad;
		t->no = sdb_get_u64(q);
		t->level = q[8];
		t->size = sdb_get_u64(q + 9);
		t->nentries = sdb_get_u64(q + 17);
		t->ndeletes = sdb_get_u64(q + 25);
		t->raw_bytes = sdb_get_u64(q + 33);
		l = sdb_get_u32(q + 41);
		q += 45;
		if (t->level >= SDB_LEVELS || (uint64_t)(end - q) < (uint64_t)l + 4)
			goto bad;
		t->slen = l;
		t->smallest = malloc(l + 1);
		if (!t->smallest)
			goto oom;
		memcpy(t->smallest, q, l);
		q += l;
		l = sdb_get_u32(q);
		q += 4;
		if ((uint64_t)(end - q) < l)
			goto bad;
		t->llen = l;
		t->largest = malloc(l + 1);
		if (!t->largest)
			goto oom;
		memcpy(t->largest, q, l);
		q += l;
		m->ntables = i + 1;
	}
	m->ntables = nt;
	if (q != end)
		goto bad;
	return 0;
bad:
	m->ntables = nt; /* also frees the half-read entry (calloc'ed array) */
	sdb_manifest_release(m);
	return sdb_error_set(e, SDB_ECORRUPT, "malformed table list");
oom:
	m->ntables = nt;
	sdb_manifest_release(m);
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

int sdb_manifest_read(struct sdb_manifest *m, const char *dir,
		      struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_input in;
	struct sdb_error sub;
	int rc;

	memset(m, 0, sizeof(*m));
	sdb_manifest_path(&path, dir);
	if (!sdb_buf_ok(&path))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_input_open(&in, path.data, e);
	if (!rc) {
		sdb_error_clear(&sub);
		rc = sdb_manifest_decode(m, (const unsigned char *)in.data, in.len, &sub);
		if (rc) {
			sdb_error_set(e, rc, "%s '%s'%s: %s",
				      rc == SDB_EVERSION ? "unsupported database format in" : "damaged manifest",
				      path.data, rc == SDB_EVERSION ? "" : "", sub.msg);
			if (e)
				e->offset = sub.offset >= 0 ? sub.offset : 0;
		}
		sdb_input_close(&in);
	}
	sdb_buf_release(&path);
	return rc;
}

int sdb_manifest_write(const struct sdb_manifest *m, const char *dir,
		       int nosync, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT, b = SDB_BUF_INIT;
	struct sdb_atomic a;
	int rc;

	sdb_manifest_path(&path, dir);
	if (!sdb_buf_ok(&path) || sdb_manifest_encode(m, &b)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	rc = sdb_atomic_open(&a, path.data, e);
	if (rc)
		goto out;
	a.nosync = nosync;
	rc = sdb_atomic_write(&a, b.data, b.len, e);
	if (!rc)
		rc = sdb_atomic_commit(&a, e);
	else
		sdb_atomic_abort(&a);
out:
	sdb_buf_release(&path);
	sdb_buf_release(&b);
	return rc;
}
