/*
 * verify.c - whole-database checks for sochdb-wal: verify, and the WAL
 * walk under dump/stats.
 */
#define _GNU_SOURCE
#include "store/db_int.h"

#include "util/varint.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Records the first damage: v->what is the whole message (file, offset
 * and what is wrong), printed as is. */
static void damage(struct sdb_verify *v, const char *file, uint64_t off,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void damage(struct sdb_verify *v, const char *file, uint64_t off,
		   const char *fmt, ...)
{
	va_list ap;

	if (v->damaged)
		return;
	v->damaged = 1;
	snprintf(v->file, sizeof(v->file), "%s", file);
	v->offset = off;
	va_start(ap, fmt);
	vsnprintf(v->what, sizeof(v->what), fmt, ap);
	va_end(ap);
}

int sdb_verify(const char *dir, struct sdb_verify *v, struct sdb_error *e)
{
	struct sdb_manifest m;
	struct sdb_buf path = SDB_BUF_INIT;
	struct sdb_error sub;
	uint64_t *starts = NULL, expect, mark, end = 0;
	int n = 0, rc, first;

	memset(v, 0, sizeof(*v));
	if ((rc = sdb_db_probe(dir, e)))
		return rc;
	/* the hint before the segments (see db.c snapshot_try) */
	mark = sdb_lock_synced_at(dir);
	sdb_error_clear(&sub);
	sdb_manifest_path(&path, dir);
	rc = sdb_manifest_read(&m, dir, &sub);
	if (rc == SDB_ENOTFOUND) {
		sdb_buf_release(&path);
		return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'", dir);
	}
	if (rc == SDB_EVERSION || rc == SDB_ENOMEM || rc == SDB_EIO) {
		sdb_buf_release(&path);
		if (e)
			*e = sub;
		return rc;
	}
	if (rc) {
		const char *why = strstr(sub.msg, "': ");
		damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, "damaged manifest '%s' at offset %" PRId64 ": %s",
		       path.data, sub.offset >= 0 ? sub.offset : 0, why ? why + 3 : sub.msg);
		sdb_buf_release(&path);
		return 0;
	}
	for (size_t i = 0; i < m.ntables && !v->damaged; i++) {
		struct sdb_table *t;
		sdb_table_path(&path, dir, m.tables[i].no);
		sdb_error_clear(&sub);
		rc = sdb_table_open(&t, path.data, &sub);
		if (rc == SDB_ENOTFOUND) {
			damage(v, path.data, 0, "damaged database '%s': table '%s' named by the manifest is missing", dir, path.data);
			break;
		}
		if (rc == SDB_EVERSION || rc == SDB_ENOMEM || rc == SDB_EIO) {
			if (e)
				*e = sub;
			goto out;
		}
		if (rc) {
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, "%s", sub.msg);
			break;
		}
		if (t->size != m.tables[i].size)
			damage(v, path.data, t->size, "damaged table '%s': %zu bytes, the manifest says %" PRIu64,
			       path.data, t->size, m.tables[i].size);
		else if ((rc = sdb_table_verify(t, &sub)) == SDB_ENOMEM) {
			if (e)
				*e = sub;
			sdb_table_close(t);
			goto out;
		} else if (rc)
			damage(v, path.data, sub.offset >= 0 ? (uint64_t)sub.offset : 0, "%s", sub.msg);
		v->tables++;
		v->table_bytes += t->size;
		sdb_table_close(t);
	}
	rc = 0;
	if (!v->damaged)
		rc = sdb_wal_list(dir, &starts, &n, e);
	for (first = 0; first < n && starts[first] < m.checkpoint_lsn; first++)
		;
	if (!rc && !v->damaged && ((first < n && starts[first] != m.checkpoint_lsn) ||
				   (first == n && m.checkpoint_lsn > 0))) {
		sdb_wal_path(&path, dir, m.checkpoint_lsn);
		damage(v, path.data, 0, "damaged database '%s': WAL segment '%s' of the checkpoint is missing", dir, path.data);
	}
	expect = end = m.checkpoint_lsn;
	for (int i = first; !rc && i < n && !v->damaged; i++) {
		struct sdb_wal_seg s;
		struct sdb_wal_rec r;
		size_t off = 0;
		if ((rc = sdb_wal_seg_read(&s, dir, starts[i], i == n - 1, e)))
			break;
		v->segments++;
		v->wal_bytes += s.valid;
		if (s.start != expect)
			damage(v, s.path, 0, "damaged WAL: segment '%s' starts at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
			       s.path, s.start, expect);
		else if (s.status == SDB_SEG_DAMAGED || s.status == SDB_SEG_TAILDAMAGE) {
			sdb_wal_seg_damage(&s, &sub);
			damage(v, s.path, s.bad_off, "%s", sub.msg);
		} else if (s.status == SDB_SEG_INFLIGHT)
			v->inflight = 1; /* may be being appended: not damage */
		expect = s.start + s.valid;
		end = s.start + s.size;
		while (off < s.valid && !sdb_wal_decode(s.data + off, s.valid - off, &r)) {
			struct sdb_wal_op op;
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL || r.type == SDB_REC_DELRANGE) && sdb_wal_op_decode(&r, &op)) {
				damage(v, s.path, off, "damaged WAL record in '%s' at offset %zu: malformed operation", s.path, off);
				break;
			}
			v->records++;
			off += r.reclen;
		}
		sdb_wal_seg_release(&s);
	}
	if (!rc && !v->damaged && mark > end && sdb_lock_synced_at(dir) > end)
		damage(v, dir, end, "damaged WAL in '%s': it ends at LSN %" PRIu64 " but was synced up to LSN %" PRIu64 " (a WAL segment is missing)",
		       dir, end, mark);
out:
	{
		struct sdb_damage d;
		if (sdb_damage_read(dir, &d, NULL) > 0) {
			v->marked = 1;
			snprintf(v->mark, sizeof(v->mark), "%s", d.what);
		}
	}
	free(starts);
	sdb_manifest_release(&m);
	sdb_buf_release(&path);
	return v->damaged ? 0 : rc;
}

int sdb_wal_walk(const char *dir, uint64_t from, const struct sdb_opts *o,
		 sdb_wal_walk_fn cb, void *ctx, struct sdb_error *e)
{
	uint64_t *starts = NULL;
	int n, rc;

	if ((rc = sdb_db_probe(dir, e)))
		return rc;
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
			rc = sdb_wal_seg_damage(&s, e);
			sdb_wal_seg_release(&s);
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
			if ((r.type == SDB_REC_PUT || r.type == SDB_REC_DEL || r.type == SDB_REC_DELRANGE) && !sdb_wal_op_decode(&r, &op)) {
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
		sdb_wal_seg_release(&s);
	}
	free(starts);
	return rc;
}
