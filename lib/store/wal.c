/*
 * wal.c - write-ahead log records and segments.
 *
 * A segment file "wal-<LSN as 16 lowercase hex digits>.log" (filename.c) holds records
 * back to back; the LSN of a record is the segment's LSN plus the record's
 * offset, so LSNs are unique, increasing WAL byte positions. Segments are
 * contiguous: a segment starts at the LSN where the previous one ended.
 *
 * Record layout (all integers little-endian):
 *   +0   u32  hcrc    CRC-32C of bytes +4..+16 (the rest of the header)
 *   +4   u32  len     payload length (<= SDB_WAL_MAX_PAYLOAD)
 *   +8   u8   type    1 BEGIN, 2 PUT, 3 DEL, 4 COMMIT, 5 ABORT, 6 CHECKPOINT,
 *                     7 DELRANGE (enum sdb_rec_type, store.h)
 *   +9   u8   0       reserved
 *   +10  u16  0       reserved
 *   +12  u32  pcrc    CRC-32C of payload and trailer (+16 .. +20+len)
 *   +16  payload[len]
 *   +16+len u32 total = 20 + len, so the last record can be found by
 *                     walking back from the end of the file
 * Payloads:
 *   BEGIN, ABORT: empty.  COMMIT: u32 number of operations, u64 synced
 *   mark (an LSN below which the writer knew the log was on disk; 0 when
 *   unknown; older 4-byte COMMITs have none).  CHECKPOINT: u64 the
 *   checkpoint LSN (right after itself), u64 synced mark (older 8-byte
 *   CHECKPOINTs have none).
 *   PUT: u8 flags (bit0: has expiry), varint klen, varint vlen,
 *        [u64 expires_ms], internal key[klen], value[vlen]
 *   DEL: u8 flags (0), varint klen, varint 0, internal key[klen]
 *   DELRANGE: u8 flags (0), varint lolen, varint hilen, lo[lolen],
 *        hi[hilen]: deletes every internal key k with lo <= k < hi that
 *        is older than the record (lo < hi, each 1..4352 bytes, any
 *        bytes: a bound need not be a whole key)
 *
 * End-of-log rules (DESIGN.md): a record whose header or body runs past the
 * end of the file may be in flight and ends the log silently; a complete
 * record with a bad checksum is damage. In the newest segment, damage that
 * no later record proves synced (a COMMIT of a whole transaction, or a
 * CHECKPOINT, whose synced mark lies beyond it) is a damaged tail: writes
 * not yet on disk, torn by power loss in any of their sectors (served up
 * to it, with a warning; the lock holder cuts it); anywhere else it is
 * fatal.
 */
#define _GNU_SOURCE
#include "store/internal.h"

#include "util/array.h"
#include "util/crc32c.h"
#include "util/io.h"
#include "util/varint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void sdb_wal_encodev(struct sdb_buf *b, int type, const void *const *part,
		     const size_t *plen, int nparts)
{
	unsigned char h[SDB_WAL_HDR], t[4];
	uint32_t pcrc = 0;
	size_t len = 0;

	for (int i = 0; i < nparts; i++) {
		pcrc = sdb_crc32c_extend(pcrc, part[i], plen[i]);
		len += plen[i];
	}
	sdb_put_u32(h + 4, (uint32_t)len);
	h[8] = (unsigned char)type;
	h[9] = 0;
	sdb_put_u16(h + 10, 0);
	sdb_put_u32(t, (uint32_t)(len + SDB_WAL_OVERHEAD));
	pcrc = sdb_crc32c_extend(pcrc, t, 4);
	sdb_put_u32(h + 12, pcrc);
	sdb_put_u32(h, sdb_crc32c(h + 4, 12));
	/* one reservation: the payload is copied once, never moved again */
	if (sdb_buf_grow(b, len + SDB_WAL_OVERHEAD))
		return;
	sdb_buf_add(b, h, sizeof(h));
	for (int i = 0; i < nparts; i++)
		sdb_buf_add(b, part[i], plen[i]);
	sdb_buf_add(b, t, 4);
}

void sdb_wal_encode(struct sdb_buf *b, int type, const void *payload,
		    size_t len)
{
	sdb_wal_encodev(b, type, &payload, &len, 1);
}

int sdb_wal_decode(const unsigned char *p, size_t avail, struct sdb_wal_rec *r)
{
	uint32_t len;

	if (avail < SDB_WAL_HDR)
		return 1;
	if (sdb_get_u32(p) != sdb_crc32c(p + 4, 12))
		return SDB_ECORRUPT;
	len = sdb_get_u32(p + 4);
	if (len > SDB_WAL_MAX_PAYLOAD || p[8] < SDB_REC_BEGIN ||
	    p[8] > SDB_REC_LAST || p[9] || sdb_get_u16(p + 10))
		return SDB_ECORRUPT;
	if (avail - SDB_WAL_HDR < (size_t)len + SDB_WAL_TRAILER)
		return 1;
	if (sdb_get_u32(p + 12) != sdb_crc32c(p + SDB_WAL_HDR, (size_t)len + 4) ||
	    sdb_get_u32(p + SDB_WAL_HDR + len) != len + SDB_WAL_OVERHEAD)
		return SDB_ECORRUPT;
	r->type = p[8];
	r->payload = p + SDB_WAL_HDR;
	r->len = len;
	r->reclen = (size_t)len + SDB_WAL_OVERHEAD;
	return 0;
}

const char *sdb_wal_why(const unsigned char *p, size_t avail, char *buf,
			size_t n)
{
	uint32_t len;

	if (avail < SDB_WAL_HDR)
		return "incomplete record";
	if (sdb_get_u32(p) != sdb_crc32c(p + 4, 12))
		return "checksum mismatch";
	len = sdb_get_u32(p + 4);
	if (len > SDB_WAL_MAX_PAYLOAD)
		return "bad record length";
	if (p[9] || sdb_get_u16(p + 10))
		return "bad record header";
	if (avail - SDB_WAL_HDR < (size_t)len + SDB_WAL_TRAILER)
		return "incomplete record";
	if (sdb_get_u32(p + 12) != sdb_crc32c(p + SDB_WAL_HDR, (size_t)len + 4))
		return "checksum mismatch";
	if (sdb_get_u32(p + SDB_WAL_HDR + len) != len + SDB_WAL_OVERHEAD)
		return "bad record trailer";
	if (p[8] < SDB_REC_BEGIN || p[8] > SDB_REC_LAST) {
		snprintf(buf, n, "unknown record type %u", p[8]);
		return buf;
	}
	return "malformed record";
}

int sdb_wal_seg_damage(const struct sdb_wal_seg *s, struct sdb_error *e)
{
	char buf[64];
	const char *why = sdb_wal_why(s->data + s->bad_off, s->size - s->bad_off, buf, sizeof(buf));

	sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu: %s", s->path, s->bad_off, why);
	if (e)
		e->offset = (int64_t)s->bad_off;
	return SDB_ECORRUPT;
}

int sdb_wal_op_decode(const struct sdb_wal_rec *r, struct sdb_wal_op *op)
{
	const unsigned char *p = r->payload, *end = p + r->len;
	uint64_t klen, vlen;
	uint8_t flags;

	if (r->type != SDB_REC_PUT && r->type != SDB_REC_DEL && r->type != SDB_REC_DELRANGE)
		return SDB_ECORRUPT; /* not an operation: never read one as a put */
	if (p >= end)
		return SDB_ECORRUPT;
	flags = *p++;
	if (flags > 1 || !(p = sdb_get_varint(p, end, &klen)) ||
	    !(p = sdb_get_varint(p, end, &vlen)))
		return SDB_ECORRUPT;
	op->expires_ms = 0;
	if (r->type == SDB_REC_DELRANGE) {
		if (flags || klen < 1 || klen > SDB_IKEY_MAX || vlen < 1 ||
		    vlen > SDB_IKEY_MAX || (uint64_t)(end - p) != klen + vlen ||
		    sdb_key_cmp(p, (size_t)klen, p + klen, (size_t)vlen) >= 0)
			return SDB_ECORRUPT;
		op->key = p;
		op->klen = (size_t)klen;
		op->val = p + klen;
		op->vlen = (size_t)vlen;
		return 0;
	}
	if (flags & 1) {
		if (end - p < 8)
			return SDB_ECORRUPT;
		op->expires_ms = sdb_get_u64(p);
		p += 8;
	}
	if (klen < 2 || klen > 1 + SDB_MAX_NS + SDB_MAX_KEY || vlen > SDB_MAX_VALUE ||
	    (uint64_t)(end - p) != klen + vlen || (r->type == SDB_REC_DEL && vlen))
		return SDB_ECORRUPT;
	if ((uint64_t)p[0] + 1 >= klen) /* namespace length runs past the key */
		return SDB_ECORRUPT;
	op->key = p;
	op->klen = (size_t)klen;
	op->val = p + klen;
	op->vlen = (size_t)vlen;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int sdb_wal_list(const char *dir, uint64_t **starts, int *n,
		 struct sdb_error *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cap = 0;
	int cnt = 0;

	*starts = NULL;
	*n = 0;
	if (!d)
		return sdb_error_sys(e, errno == ENOENT ? SDB_ENOTFOUND : SDB_EIO,
				     "cannot read directory '%s'", dir);
	while ((de = readdir(d))) {
		uint64_t lsn;
		if (sdb_parse_file_name(de->d_name, &lsn) != SDB_FILE_WAL)
			continue;
		if (sdb_grow((void **)&v, &cap, (size_t)cnt + 1, sizeof(*v), 8)) {
			free(v);
			closedir(d);
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		v[cnt++] = lsn;
	}
	closedir(d);
	if (cnt)
		qsort(v, (size_t)cnt, sizeof(*v), cmp_u64);
	*starts = v;
	*n = cnt;
	return 0;
}

/* Whether a synced mark found in a record at LSN at proves the damage at
 * LSN dmg had been on disk. A mark beyond the record itself cannot be
 * true (the log was never synced past a record not yet written): it was
 * copied from a garbage hint, proves nothing. */
static int mark_proves(uint64_t mark, uint64_t dmg, uint64_t at)
{
	return mark > dmg && mark <= at;
}

/*
 * Whether damage at offset from of the newest segment (which starts at
 * LSN start) may be a torn tail: the last writes, cut by power loss before
 * they were synced. Power loss may persist any subset of the sectors of
 * unsynced writes, so intact records can follow the damage; what proves
 * the damage had been on disk is a record written after it was synced:
 * a CHECKPOINT or a whole committed transaction (valid BEGIN .. COMMIT)
 * whose synced mark lies beyond the damage. Such damage is real
 * corruption; anything else is a tail. (Records without a mark - a
 * 4-byte COMMIT, an 8-byte CHECKPOINT - count as proof; a mark beyond
 * its own record proves nothing.)
 */
static int damage_is_tail(const unsigned char *p, uint64_t start, size_t from, size_t size)
{
	struct sdb_wal_rec r;
	uint64_t dmg = start + from;

	for (size_t o = from + 1; o + SDB_WAL_OVERHEAD <= size; o++) {
		size_t q = o;
		if (sdb_wal_decode(p + o, size - o, &r) != 0)
			continue;
		if (r.type == SDB_REC_CHECKPOINT &&
		    (r.len < 16 || mark_proves(sdb_get_u64(r.payload + 8), dmg, start + o)))
			return 0; /* written after the damage was synced */
		if (r.type != SDB_REC_BEGIN)
			continue;
		for (q += r.reclen; sdb_wal_decode(p + q, size - q, &r) == 0; q += r.reclen) {
			if (r.type == SDB_REC_COMMIT) {
				if (r.len < 12 || mark_proves(sdb_get_u64(r.payload + 4), dmg, start + q))
					return 0;
				break;
			}
			if (r.type == SDB_REC_BEGIN || r.type == SDB_REC_ABORT)
				break;
		}
	}
	return 1;
}

void sdb_wal_scan(struct sdb_wal_seg *s, int newest)
{
	size_t off = 0;
	struct sdb_wal_rec r;

	s->status = SDB_SEG_CLEAN;
	while (off < s->size) {
		int rc = sdb_wal_decode(s->data + off, s->size - off, &r);
		if (rc == 0) {
			off += r.reclen;
			continue;
		}
		s->bad_off = off;
		if (rc == 1)
			s->status = newest ? SDB_SEG_INFLIGHT : SDB_SEG_DAMAGED;
		else if (newest && damage_is_tail(s->data, s->start, off, s->size))
			s->status = SDB_SEG_TAILDAMAGE;
		else
			s->status = SDB_SEG_DAMAGED;
		break;
	}
	s->valid = off;
}

/* Fills s's start and path and opens the segment read-only; *st is its
 * size at this moment. On error s holds only what sdb_wal_seg_release
 * frees. @return 0 and *fd (caller closes; -1 when not opened), or an
 * error. */
static int seg_open(struct sdb_wal_seg *s, const char *dir, uint64_t start,
		    int *fd, struct stat *st, struct sdb_error *e)
{
	struct sdb_buf path = SDB_BUF_INIT;
	int rc;

	memset(s, 0, sizeof(*s));
	*fd = -1;
	s->start = start;
	sdb_wal_path(&path, dir, start);
	if (!sdb_buf_ok(&path)) {
		sdb_buf_release(&path);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	s->path = sdb_buf_detach(&path, NULL);
	if ((rc = sdb_io_open(s->path, O_RDONLY, 0, fd, e)))
		return rc;
	if (fstat(*fd, st) < 0)
		return sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", s->path);
	return 0;
}

int sdb_wal_seg_read(struct sdb_wal_seg *s, const char *dir, uint64_t start,
		     int newest, struct sdb_error *e)
{
	return sdb_wal_seg_read_from(s, dir, start, 0, newest, e);
}

int sdb_wal_seg_read_from(struct sdb_wal_seg *s, const char *dir,
			  uint64_t start, size_t off, int newest,
			  struct sdb_error *e)
{
	struct stat st;
	int fd, rc;
	size_t got, len;

	if ((rc = seg_open(s, dir, start, &fd, &st, e)))
		goto out;
	if ((uint64_t)st.st_size < off) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "WAL segment '%s' is shorter than before", s->path);
		goto out;
	}
	len = (size_t)st.st_size - off;
	s->start = start + off;
	s->fbase = off;
	s->data = malloc(len + 1);
	if (!s->data) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory reading '%s'", s->path);
		goto out;
	}
	/* A writer may append meanwhile: we read what was there at fstat. */
	rc = sdb_io_pread(fd, s->data, len, (off_t)off, &got, s->path, e);
	if (rc)
		goto out;
	s->size = got;
	sdb_wal_scan(s, newest);
out:
	sdb_io_close(fd);
	if (rc)
		sdb_wal_seg_release(s); /* nothing for the caller to release */
	return rc;
}

int sdb_wal_seg_map(struct sdb_wal_seg *s, const char *dir, uint64_t start,
		    int newest, struct sdb_error *e)
{
	struct stat st;
	int fd, rc;

	if ((rc = seg_open(s, dir, start, &fd, &st, e)))
		goto out;
	if (st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			rc = sdb_error_sys(e, SDB_EIO, "cannot map '%s'", s->path);
			goto out;
		}
		s->data = m;
		s->mapped = (size_t)st.st_size;
	}
	s->size = (size_t)st.st_size;
	sdb_wal_scan(s, newest);
out:
	sdb_io_close(fd);
	if (rc)
		sdb_wal_seg_release(s);
	return rc;
}

void sdb_wal_seg_release(struct sdb_wal_seg *s)
{
	if (!s)
		return;
	free(s->path);
	if (s->mapped)
		munmap(s->data, s->mapped);
	else
		free(s->data);
	memset(s, 0, sizeof(*s));
}

int sdb_wal_tail_ok(int fd, uint64_t size, uint64_t trusted)
{
	/* Everything written since the log was last known to be on disk
	 * (offset trusted) must be whole: power loss may tear any sector of
	 * unsynced writes, not only the end, so every record back to a
	 * transaction boundary at or before trusted is checked (at least the
	 * last transaction). The check reads at most the last TAIL_WINDOW
	 * bytes; more takes the full scan. */
	enum { TAIL_WINDOW = 256 << 10 };
	unsigned char *buf;
	size_t win, pos, got;
	int ok = 0;

	if (size == 0)
		return 1;
	if (size < SDB_WAL_OVERHEAD)
		return 0;
	if (trusted > size)
		trusted = size;
	if (size - trusted > TAIL_WINDOW)
		return 0;
	win = size < TAIL_WINDOW ? (size_t)size : TAIL_WINDOW;
	buf = malloc(win);
	if (!buf)
		return 0;
	if (sdb_io_pread(fd, buf, win, (off_t)(size - win), &got, "wal", NULL) || got != win)
		goto out;
	for (pos = win;;) {
		struct sdb_wal_rec r;
		uint32_t total;
		if (pos < SDB_WAL_OVERHEAD)
			break;
		total = sdb_get_u32(buf + pos - 4);
		if (total < SDB_WAL_OVERHEAD || total > pos ||
		    sdb_wal_decode(buf + pos - total, total, &r) != 0 || r.reclen != total)
			break;
		pos -= total;
		if ((pos == 0 && win == size) ||
		    ((r.type == SDB_REC_BEGIN || r.type == SDB_REC_CHECKPOINT) &&
		     size - win + pos <= trusted)) {
			ok = 1;
			break;
		}
	}
out:
	free(buf);
	return ok;
}

int sdb_wal_replay(struct sdb_wal_seg *segs, int nsegs,
		   struct sdb_memtable *mem, struct sdb_error *e)
{
	uint64_t end;

	return sdb_wal_replay_end(segs, nsegs, mem, &end, e);
}

int sdb_wal_replay_end(struct sdb_wal_seg *segs, int nsegs,
		       struct sdb_memtable *mem, uint64_t *end,
		       struct sdb_error *e)
{
	/* Operations of the open transaction, applied at its COMMIT (kind
	 * -1: a range delete). */
	struct pend { struct sdb_wal_op op; int kind; uint64_t seq; } *pend = NULL;
	size_t np = 0, pcap = 0;
	int in_txn = 0, rc = 0;

	if (nsegs)
		*end = segs[0].start;
	for (int i = 0; i < nsegs; i++) {
		struct sdb_wal_seg *s = &segs[i];
		size_t off = 0;
		while (off < s->valid) {
			struct sdb_wal_rec r;
			struct sdb_wal_op op;
			if (sdb_wal_decode(s->data + off, s->valid - off, &r)) {
				rc = sdb_error_set(e, SDB_ECORRUPT, "damaged WAL record in '%s' at offset %zu", s->path, off);
				goto out;
			}
			switch (r.type) {
			case SDB_REC_BEGIN:
				in_txn = 1;
				np = 0;
				break;
			case SDB_REC_PUT:
			case SDB_REC_DEL:
			case SDB_REC_DELRANGE:
				if (!in_txn || sdb_wal_op_decode(&r, &op)) {
					rc = sdb_error_set(e, SDB_ECORRUPT, "malformed WAL record in '%s' at offset %zu", s->path, off);
					if (e)
						e->offset = (int64_t)off;
					goto out;
				}
				if (sdb_grow((void **)&pend, &pcap, np + 1, sizeof(*pend), 64)) {
					rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
					goto out;
				}
				pend[np].op = op;
				pend[np].kind = r.type == SDB_REC_DELRANGE ? -1 :
						r.type == SDB_REC_DEL ? SDB_KIND_DEL :
						op.expires_ms ? SDB_KIND_TTL : SDB_KIND_PUT;
				pend[np].seq = s->start + off;
				np++;
				break;
			case SDB_REC_COMMIT:
				if (in_txn)
					for (size_t j = 0; j < np; j++)
						if (pend[j].kind < 0 ? sdb_mem_add_range(mem, &pend[j].op, pend[j].seq) :
						    sdb_mem_add(mem, &pend[j].op, pend[j].kind, pend[j].seq)) {
							rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
							goto out;
						}
				in_txn = 0;
				np = 0;
				break;
			case SDB_REC_ABORT:
				in_txn = 0;
				np = 0;
				break;
			default: /* CHECKPOINT: informational */
				break;
			}
			off += r.reclen;
			if (!in_txn)
				*end = s->start + off;
		}
	}
out:
	free(pend);
	return rc;
}
