/*
 * verify.c - whole-database checks for sochdb-wal: verify, and the WAL
 * walk under dump/stats.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/varint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void damage(struct sdb_verify *v, const char *file, uint64_t off,
		   const char *what)
{
	if (v->damaged)
		return;
	v->damaged = 1;
	snprintf(v->file, sizeof(v->file), "%s", file);
	v->offset = off;
	snprintf(v->what, sizeof(v->what), "%s", what);
}

int sdb_verify(const char *dir, struct sdb_verify *v, struct sdb_error *e)
{
	struct sdb_manifest m;
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_error sub;
	uint64_t *starts = NULL, expect;
	int n = 0, rc, first;
	struct stat st;

	memset(v, 0, sizeof(*v));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	sdb_error_clear(&sub);
	sdb_buf_addf(&path, "%s/MANIFEST", dir);
	rc = sdb_manifest_read(&m, dir, &sub);
	if (rc == SDB_ENOTFOUND) {
		sdb_buf_release(&path);
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	}
	if (rc == SDB_EVERSION) {
		sdb_buf_release(&path);
		*e = sub;
		return rc;
	}
	if (rc) {
		damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, "manifest damaged");
		sdb_buf_release(&path);
		return 0;
	}
	for (size_t i = 0; i < m.ntables && !v->damaged; i++) {
		struct sdb_table *t;
		sdb_table_path(&path, dir, m.tables[i].no);
		sdb_error_clear(&sub);
		rc = sdb_table_open(&t, path.data, &sub);
		if (rc == SDB_ENOTFOUND) {
			damage(v, path.data, 0, "table named by the manifest is missing");
			break;
		}
		if (rc) {
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, sub.msg);
			break;
		}
		if (t->size != m.tables[i].size)
			damage(v, path.data, t->size, "file size differs from the manifest");
		else if ((rc = sdb_table_verify(t, &sub)))
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, sub.msg);
		v->tables++;
		v->table_bytes += t->size;
		sdb_table_close(t);
	}
	rc = 0;
	if (!v->damaged)
		rc = sdb_wal_list(dir, &starts, &n, e);
	for (first = 0; first < n && starts[first] < m.checkpoint_lsn; first++)
		;
	if (!rc && !v->damaged && first < n && starts[first] != m.checkpoint_lsn) {
		sdb_wal_path(&path, dir, m.checkpoint_lsn);
		damage(v, path.data, 0, "the WAL segment of the checkpoint is missing");
	}
	expect = m.checkpoint_lsn;
	for (int i = first; !rc && i < n && !v->damaged; i++) {
		struct sdb_wal_seg s;
		struct sdb_wal_rec r;
		size_t off = 0;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[i], i == n - 1, e)))
			break;
		v->segments++;
		v->wal_bytes += s.valid;
		if (s.start != expect)
			damage(v, s.path, 0, "WAL segment does not start where the previous one ends");
		else if (s.status == SDB_SEG_DAMAGED || s.status == SDB_SEG_TAILDAMAGE)
			damage(v, s.path, s.bad_off, "WAL record checksum mismatch");
		else if (s.status == SDB_SEG_INFLIGHT)
			v->inflight = 1; /* may be being appended: not damage */
		expect = s.start + s.valid;
		while (off < s.valid && !sdb_wal_decode(s.data + off, s.valid - off, &r)) {
			struct sdb_wal_op op;
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL) && sdb_wal_op_decode(&r, &op)) {
				damage(v, s.path, off, "malformed WAL record");
				break;
			}
			v->records++;
			off += r.reclen;
		}
		sdb_wal_seg_free(&s);
	}
	free(starts);
	sdb_manifest_free(&m);
	sdb_buf_release(&path);
	return v->damaged ? 0 : rc;
}

int sdb_wal_walk(const char *dir, uint64_t from, const struct sdb_opts *o,
		 sdb_wal_walk_fn cb, void *ctx, struct sdb_error *e)
{
	uint64_t *starts = NULL;
	int n, rc;
	struct stat st;

	{
		char mp[4096];
		snprintf(mp, sizeof(mp), "%s/MANIFEST", dir);
		if (stat(mp, &st) < 0)
			return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	}
	if ((rc = sdb_wal_list(dir, &starts, &n, e)))
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		struct sdb_wal_seg s;
		size_t off = 0;
		if (i + 1 < n && starts[i + 1] <= from)
			continue;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[i], i == n - 1, e)))
			break;
		if (s.status == SDB_SEG_DAMAGED) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu", s.path, s.bad_off);
			sdb_wal_seg_free(&s);
			break;
		}
		if (s.status == SDB_SEG_TAILDAMAGE)
			sdb_db_warn(o, "damaged WAL tail in '%s' at offset %zu (LSN %" PRIu64 "): ignoring %zu bytes",
				    s.path, s.bad_off, s.start + s.bad_off, s.size - s.valid);
		while (off < s.valid && !rc) {
			struct sdb_wal_rec r;
			struct sdb_wal_entry x;
			struct sdb_wal_op op;
			sdb_wal_decode(s.data + off, s.valid - off, &r);
			memset(&x, 0, sizeof(x));
			x.lsn = s.start + off;
			x.type = r.type;
			x.reclen = r.reclen;
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL) && !sdb_wal_op_decode(&r, &op)) {
				x.key = op.key;
				x.klen = op.klen;
				x.val = op.val;
				x.vlen = op.vlen;
				x.expires_ms = op.expires_ms;
			} else if (r.type == SDB_REC_COMMIT && r.len >= 4)
				x.info = sdb_get_u32(r.payload);
			else if (r.type == SDB_REC_CHECKPOINT && r.len >= 8)
				x.info = sdb_get_u64(r.payload);
			if (x.lsn >= from)
				rc = cb(ctx, &x);
			off += r.reclen;
		}
		sdb_wal_seg_free(&s);
	}
	free(starts);
	return rc;
}
