/*
 * record.c - row records and the keys of rows and index entries
 * (layout in record.h and doc/FORMAT.md, "SQL").
 */
#include "sql/record.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/txn.h"
#include "util/varint.h"

enum {
	TAG_NULL = 0x00,
	TAG_INT1 = 0x01, /* .. 0x08 */
	TAG_ZERO = 0x09,
	TAG_ONE = 0x0a,
	TAG_REAL = 0x0b,
	TAG_TEXT = 0x0c,
	TAG_BLOB = 0x0d,
};

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static int get_varint(const unsigned char *p, size_t n, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	int shift = 0;

	while (*pos < n && shift < 64) {
		unsigned char c = p[(*pos)++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* A varint at *pos (one byte inline: cell lengths and counts mostly). */
static inline int varint_at(const unsigned char *p, size_t n, size_t *pos, uint64_t *out)
{
	if (*pos < n && p[*pos] < 0x80) {
		*out = p[(*pos)++];
		return 0;
	}
	return get_varint(p, n, pos, out);
}

void sql_record_encode(struct sdb_buf *b, const struct sql_value *v, int n)
{
	unsigned char tmp[24];
	size_t k;

	k = put_varint(tmp, (uint64_t)n);
	sdb_buf_add(b, tmp, k);
	for (int i = 0; i < n; i++) {
		const struct sql_value *x = &v[i];
		switch (x->type) {
		case SQLV_INT: {
			int64_t iv = x->u.i;
			unsigned bytes = 1;
			if (iv == 0 || iv == 1) {
				tmp[0] = iv ? TAG_ONE : TAG_ZERO;
				sdb_buf_add(b, tmp, 1);
				break;
			}
			while (bytes < 8) {
				int64_t lim = (int64_t)1 << (8 * bytes - 1);
				if (iv >= -lim && iv < lim)
					break;
				bytes++;
			}
			tmp[0] = (unsigned char)(TAG_INT1 - 1 + bytes);
			for (unsigned j = 0; j < bytes; j++)
				tmp[1 + j] = (unsigned char)((uint64_t)iv >> (8 * j));
			sdb_buf_add(b, tmp, (bytes & 15) + 1);
			break;
		}
		case SQLV_REAL: {
			uint64_t bits;
			memcpy(&bits, &x->u.r, 8);
			tmp[0] = TAG_REAL;
			for (int j = 0; j < 8; j++)
				tmp[1 + j] = (unsigned char)(bits >> (8 * j));
			sdb_buf_add(b, tmp, 9);
			break;
		}
		case SQLV_TEXT:
		case SQLV_BLOB:
			tmp[0] = x->type == SQLV_TEXT ? TAG_TEXT : TAG_BLOB;
			k = 1 + put_varint(tmp + 1, x->n);
			sdb_buf_add(b, tmp, k);
			sdb_buf_add(b, x->u.z, x->n);
			break;
		default:
			sdb_buf_addc(b, TAG_NULL);
		}
	}
}

/* Reads the cell at *pos into *out (out may be NULL: skip). */
static inline int cell(const unsigned char *p, size_t n, size_t *pos,
		struct sql_value *out)
{
	unsigned char t;
	uint64_t len;
	struct sql_value v = sql_null();

	if (*pos >= n)
		return -1;
	t = p[(*pos)++];
	switch (t) {
	case TAG_NULL:
		break;
	case TAG_ZERO:
	case TAG_ONE:
		v = sql_int(t == TAG_ONE);
		break;
	case TAG_REAL: {
		uint64_t bits = 0;
		if (n - *pos < 8)
			return -1;
		for (int j = 0; j < 8; j++)
			bits |= (uint64_t)p[*pos + j] << (8 * j);
		*pos += 8;
		v.type = SQLV_REAL;
		memcpy(&v.u.r, &bits, 8);
		break;
	}
	case TAG_TEXT:
	case TAG_BLOB:
		if (varint_at(p, n, pos, &len) || len > n - *pos || len > UINT32_MAX)
			return -1;
		v = t == TAG_TEXT ? sql_text((const char *)p + *pos, (size_t)len) :
			sql_blob(p + *pos, (size_t)len);
		*pos += (size_t)len;
		break;
	default:
		if (t >= TAG_INT1 && t < TAG_INT1 + 8) {
			int bytes = t - TAG_INT1 + 1;
			uint64_t u = 0;
			if (n - *pos < (size_t)bytes)
				return -1;
			for (int j = 0; j < bytes; j++)
				u |= (uint64_t)p[*pos + j] << (8 * j);
			if (bytes < 8 && (u >> (8 * bytes - 1)) & 1)
				u |= ~(uint64_t)0 << (8 * bytes);
			*pos += (size_t)bytes;
			v = sql_int((int64_t)u);
			break;
		}
		return -1;
	}
	if (out)
		*out = v;
	return 0;
}

static int bad_record(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ECORRUPT, "malformed row record");
}

int sql_record_decode(const void *pv, size_t n, struct sql_value *out,
		      int max, int *ncells, struct sdb_error *e)
{
	const unsigned char *p = pv;
	size_t pos = 0;
	uint64_t cnt;

	if (get_varint(p, n, &pos, &cnt) || cnt > n)
		return bad_record(e);
	for (uint64_t i = 0; i < cnt; i++)
		if (cell(p, n, &pos, (int64_t)i < max ? &out[i] : NULL))
			return bad_record(e);
	if (pos != n)
		return bad_record(e);
	if (ncells)
		*ncells = (int)cnt;
	return 0;
}

int sql_record_column(const void *pv, size_t n, int i, struct sql_value *out,
		      struct sdb_error *e)
{
	const unsigned char *p = pv;
	size_t pos = 0;
	uint64_t cnt;

	*out = sql_null();
	if (get_varint(p, n, &pos, &cnt) || cnt > n)
		return bad_record(e);
	if ((uint64_t)i >= cnt)
		return 0;
	for (int j = 0; j < i; j++)
		if (cell(p, n, &pos, NULL))
			return bad_record(e);
	if (cell(p, n, &pos, out))
		return bad_record(e);
	return 0;
}

/* --------------------------------------------------------------- keys */

void sql_key_head(struct sdb_buf *b)
{
	sdb_buf_reset(b);
	sdb_buf_addc(b, SQL_NS_LEN);
	sdb_buf_add(b, SQL_NS, SQL_NS_LEN);
}

void sql_key_add(struct sdb_buf *b, const struct sql_value *v, int desc,
		 enum sql_coll coll)
{
	struct sdb_tv t = sql_to_tv(v);
	char small[256];
	char *fold = NULL;

	if (v->type == SQLV_TEXT && coll == SQL_COLL_RTRIM) {
		while (t.n && ((const char *)t.p)[t.n - 1] == ' ')
			t.n--;
	} else if (v->type == SQLV_TEXT && coll == SQL_COLL_NOCASE) {
		const char *s = t.p;
		size_t i;
		for (i = 0; i < t.n && !(s[i] >= 'A' && s[i] <= 'Z'); i++)
			;
		if (i < t.n) {
			fold = t.n <= sizeof(small) ? small : malloc(t.n);
			if (!fold) {
				b->oom = 1;
				return;
			}
			memcpy(fold, s, t.n);
			for (; i < t.n; i++)
				if (fold[i] >= 'A' && fold[i] <= 'Z')
					fold[i] = (char)(fold[i] + 32);
			t.p = fold;
		}
	}
	sdb_tuple_add(b, &t, desc);
	if (fold && fold != small)
		free(fold);
}

/* b = the key head and the integers v[0..n) (ascending), written in
 * place: the same bytes as sql_key_head and sql_key_add_int, n <= 8. */
static void key_ints(struct sdb_buf *b, const int64_t *v, int n)
{
	unsigned char *o;
	size_t len = SQL_KEY_HEAD;

	sdb_buf_reset(b);
	if (sdb_buf_grow(b, SQL_KEY_HEAD + (size_t)n * SDB_TUPLE_INT_MAX + 1))
		return;
	o = (unsigned char *)b->data;
	o[0] = SQL_NS_LEN;
	memcpy(o + 1, SQL_NS, SQL_NS_LEN);
	for (int i = 0; i < n; i++)
		len += sdb_tuple_put_int(o + len, v[i]);
	o[len] = 0;
	b->len = len;
}

void sql_rowkey_rowid(struct sdb_buf *b, uint32_t tid, int64_t rowid)
{
	int64_t v[2] = { tid, rowid };

	key_ints(b, v, 2);
}

static int too_long(struct sdb_buf *b, struct sdb_error *e, const char *what,
		    const char *name)
{
	if (!sdb_buf_ok(b))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (b->len - SQL_KEY_HEAD > SDB_MAX_KEY)
		return sdb_error_set(e, SDB_ELIMIT,
				     "%s key too long: %zu bytes for %s (the store's limit is %d)",
				     what, b->len - SQL_KEY_HEAD, name, SDB_MAX_KEY);
	return 0;
}

int sql_rowkey(struct sdb_buf *b, const struct sql_table_def *t,
	       const struct sql_value *row, int64_t rowid, struct sdb_error *e)
{
	if (!t->without_rowid) {
		sql_rowkey_rowid(b, t->id, rowid);
		return sdb_buf_ok(b) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	sql_key_head(b);
	sql_key_add_int(b, t->id);
	for (int i = 0; i < t->npk; i++) {
		const struct sql_col_def *c = &t->cols[t->pk[i]];
		sql_key_add(b, &row[t->pk[i]], t->pk_desc ? t->pk_desc[i] : 0, c->coll);
	}
	return too_long(b, e, "row", t->name);
}

static int idx_has_col(const struct sql_index_def *x, int col)
{
	for (int i = 0; i < x->ncol; i++)
		if (x->cols[i] == col)
			return 1;
	return 0;
}

int sql_idxkey(struct sdb_buf *b, struct sdb_buf *realbits,
	       const struct sql_index_def *x, const struct sql_value *row,
	       const struct sql_value *exprs, int64_t rowid,
	       struct sdb_error *e)
{
	const struct sql_table_def *t = x->table;
	unsigned char bits[64];
	int nel = 0, anyreal = 0;
	struct sql_value rv = sql_int(rowid);

	/* integers only, ascending (an index on INTEGER columns of a rowid
	 * table): written in place */
	if (!t->without_rowid && x->ncol <= 6) {
		int64_t iv[8];
		int k = 0;
		iv[k++] = x->id;
		for (int i = 0; i < x->ncol; i++) {
			const struct sql_value *v = x->cols[i] == -1 ? &rv :
				x->cols[i] == -2 ? &exprs[i] : &row[x->cols[i]];
			if (v->type != SQLV_INT || (x->desc && x->desc[i]))
				break;
			iv[k++] = v->u.i;
		}
		if (k == x->ncol + 1) {
			iv[k++] = rowid;
			key_ints(b, iv, k);
			if (realbits)
				sdb_buf_reset(realbits);
			return too_long(b, e, "index", x->name);
		}
	}
	memset(bits, 0, sizeof(bits));
	sql_key_head(b);
	sql_key_add_int(b, x->id);
	for (int i = 0; i < x->ncol; i++, nel++) {
		const struct sql_value *v = x->cols[i] == -1 ? &rv :
			x->cols[i] == -2 ? &exprs[i] : &row[x->cols[i]];
		sql_key_add(b, v, x->desc ? x->desc[i] : 0,
			    x->coll ? x->coll[i] : SQL_COLL_BINARY);
		if (v->type == SQLV_REAL && nel < 512) {
			bits[nel / 8] |= (unsigned char)(1u << (nel % 8));
			anyreal = 1;
		}
	}
	if (!t->without_rowid)
		sql_key_add_int(b, rowid);
	else
		for (int i = 0; i < t->npk; i++) {
			const struct sql_value *v = &row[t->pk[i]];
			if (idx_has_col(x, t->pk[i]))
				continue;
			sql_key_add(b, v, t->pk_desc ? t->pk_desc[i] : 0,
				    t->cols[t->pk[i]].coll);
			nel++;
			if (v->type == SQLV_REAL && nel - 1 < 512) {
				bits[(nel - 1) / 8] |= (unsigned char)(1u << ((nel - 1) % 8));
				anyreal = 1;
			}
		}
	if (realbits) {
		sdb_buf_reset(realbits);
		if (anyreal) {
			int nb = (nel + 8) / 8;
			if (nb > (int)sizeof(bits))
				nb = sizeof(bits);
			sdb_buf_add(realbits, bits, (size_t)nb);
		}
	}
	return too_long(b, e, "index", x->name);
}

void sql_idxkey_prefix(struct sdb_buf *b, const struct sql_index_def *x,
		       const struct sql_value *vals, int n)
{
	sql_key_head(b);
	sql_key_add_int(b, x->id);
	for (int i = 0; i < n; i++)
		sql_key_add(b, &vals[i], x->desc ? x->desc[i] : 0,
			    x->coll ? x->coll[i] : SQL_COLL_BINARY);
}

void sql_obj_prefix(struct sdb_buf *b, uint32_t id)
{
	sql_key_head(b);
	sql_key_add_int(b, id);
}

void sql_obj_end(struct sdb_buf *b, uint32_t id)
{
	sql_obj_prefix(b, id);
	sdb_prefix_succ(b);
}

/* Skips the head and n elements of ik (element i > 0 descending when
 * desc[i - 1], for an index's DESC columns); @return the offset or 0. */
static size_t skip_elems(const unsigned char *p, size_t n, int count,
			 const uint8_t *desc)
{
	size_t pos = SQL_KEY_HEAD;

	if (n < pos)
		return 0;
	for (int i = 0; i < count; i++) {
		size_t k = sdb_tuple_skip(p + pos, n - pos,
					  i > 0 && desc ? desc[i - 1] : 0);
		if (!k)
			return 0;
		pos += k;
	}
	return pos;
}

static int bad_key(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ECORRUPT, "malformed row or index key");
}

static int last_int(const unsigned char *p, size_t n, size_t pos, int64_t *out,
		    struct sdb_error *e)
{
	long q = pos < n ? sdb_tuple_decode_int(p + pos, n - pos, out) : 0;

	if (q > 0 && pos + (size_t)q == n)
		return 0; /* the common case: no buffer, no value made */
	struct sdb_buf tmp = SDB_BUF_INIT; /* a damaged key may hold TEXT there */
	struct sdb_tv v;
	long k = sdb_tuple_decode1(p + pos, n - pos, 0, 0, &v, &tmp, e);

	sdb_buf_release(&tmp);
	if (k <= 0 || v.type != SDB_TV_INT || pos + (size_t)k != n)
		return bad_key(e);
	*out = v.i;
	return 0;
}

int sql_rowkey_rowid_of(const void *ik, size_t n, int64_t *rowid,
			struct sdb_error *e)
{
	const unsigned char *p = ik;
	size_t pos = SQL_KEY_HEAD + 3;

	/* the table id, a positive number: its last 7-bit group ends it */
	if (n > pos && p[SQL_KEY_HEAD] == SDB_TUPLE_POS) {
		while (pos < n && (p[pos] & 1))
			pos++;
		if (pos < n)
			return last_int(ik, n, pos + 1, rowid, e);
	}
	pos = skip_elems(ik, n, 1, NULL);

	if (!pos)
		return bad_key(e);
	return last_int(ik, n, pos, rowid, e);
}

int sql_idxkey_rowid_of(const struct sql_index_def *x, const void *ik,
			size_t n, int64_t *rowid, struct sdb_error *e)
{
	size_t pos = skip_elems(ik, n, 1 + x->ncol, x->desc);

	if (!pos)
		return bad_key(e);
	return last_int(ik, n, pos, rowid, e);
}

int sql_row_decode(const struct sql_table_def *t, const void *ik, size_t klen,
		   const void *val, size_t vlen, struct sql_value *cols,
		   int64_t *rowid, struct sdb_error *e)
{
	return sql_row_decode_used(t, ik, klen, val, vlen, cols, rowid, NULL, e);
}

#define USED(u, c) (!(u) || ((u)[(c) >> 6] >> ((c) & 63)) & 1)

int sql_row_decode_used(const struct sql_table_def *t, const void *ik, size_t klen,
			const void *val, size_t vlen, struct sql_value *cols,
			int64_t *rowid, const uint64_t *used, struct sdb_error *e)
{
	const unsigned char *p = val, *q, *end = p + vlen;
	size_t pos = 0;
	uint64_t cnt;
	int rc;

	if (varint_at(p, vlen, &pos, &cnt) || cnt > vlen)
		return bad_record(e);
	q = p + pos;
	/* cell by cell as cell() reads them, one dispatch on the tag each;
	 * the columns not asked for are checked and skipped, not made into
	 * values; cells past the definition's columns only skipped */
	int ncol = t->ncol;
	uint64_t lim = cnt < (uint64_t)ncol ? cnt : (uint64_t)ncol;
	for (uint64_t base = 0; base < cnt; base += 64) {
		/* bit j: cell base + j wanted; keep: it is a column (written) */
		uint64_t nb = cnt - base < 64 ? cnt - base : 64, wb = 0, keep = 0;
		if (base < lim) {
			keep = lim - base >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (lim - base)) - 1;
			wb = (used ? used[base >> 6] : ~(uint64_t)0) & keep;
		}
		struct sql_value *v = cols + base;
		for (uint64_t j = 0; j < nb; j++, v++, wb >>= 1, keep >>= 1) {
			size_t body;
			unsigned tag;
			if (q >= end)
				return bad_record(e);
			switch ((tag = *q++)) {
			case TAG_NULL:
				if (keep & 1)
					*v = sql_null();
				continue;
			case TAG_ZERO:
			case TAG_ONE:
				if (wb & 1)
					*v = sql_int(tag == TAG_ONE);
				else if (keep & 1)
					*v = sql_null();
				continue;
			case TAG_REAL:
				if (end - q < 8)
					return bad_record(e);
				if (wb & 1) {
					uint64_t bits;
					memcpy(&bits, q, 8);
					bits = le64toh(bits);
					v->type = SQLV_REAL;
					v->sub = 0;
					v->n = 0;
					memcpy(&v->u.r, &bits, 8);
				} else if (keep & 1)
					*v = sql_null();
				q += 8;
				continue;
			case TAG_TEXT:
			case TAG_BLOB:
				if (q < end && *q < 0x80)
					body = *q++;
				else {
					uint64_t len;
					size_t at = (size_t)(q - p);
					if (varint_at(p, vlen, &at, &len) || len > UINT32_MAX)
						return bad_record(e);
					q = p + at;
					body = (size_t)len;
				}
				if (body > (size_t)(end - q))
					return bad_record(e);
				if (wb & 1) {
					v->type = tag == TAG_TEXT ? SQLV_TEXT : SQLV_BLOB;
					v->sub = 0;
					v->n = (uint32_t)body;
					v->u.z = (const char *)q;
				} else if (keep & 1)
					*v = sql_null();
				q += body;
				continue;
			default:
				if (tag > TAG_INT1 + 7)
					return bad_record(e);
				body = tag - TAG_INT1 + 1;
				if (body > (size_t)(end - q))
					return bad_record(e);
				if (wb & 1) {
					/* little-endian two's complement in body bytes,
					 * sign-extended by shifting it to the top */
					uint64_t u = 0;
					if (end - q >= 8) {
						memcpy(&u, q, 8);
						u = le64toh(u);
					} else
						for (size_t k = 0; k < body; k++)
							u |= (uint64_t)q[k] << (8 * k);
					unsigned sh = (unsigned)(64 - 8 * body);
					*v = sql_int(sh ? (int64_t)(u << sh) >> sh : (int64_t)u);
				} else if (keep & 1)
					*v = sql_null();
				q += body;
				continue;
			}
		}
	}
	pos = (size_t)(q - p);
	if (pos != vlen)
		return bad_record(e);
	for (int i = (int)cnt; i < t->ncol; i++)
		cols[i] = t->cols[i].dflt_const ? t->cols[i].dflt_value : sql_null();
	*rowid = 0;
	/* the rowid from the key, unless nothing reads it (nor the INTEGER
	 * PRIMARY KEY, which is the rowid) */
	if (!t->without_rowid &&
	    (USED(used, t->ncol) || (t->ipk >= 0 && USED(used, t->ipk)))) {
		if ((rc = sql_rowkey_rowid_of(ik, klen, rowid, e)))
			return rc;
		if (t->ipk >= 0)
			cols[t->ipk] = sql_int(*rowid);
	}
	return 0;
}

int sql_idx_decode(const struct sql_index_def *x, const void *ik, size_t klen,
		   const void *val, size_t vlen, struct sql_value *vals,
		   int64_t *rowid, struct sdb_buf *tmp, struct sdb_error *e)
{
	const unsigned char *p = ik, *bits = val;
	size_t pos = skip_elems(ik, klen, 1, NULL);
	size_t offs[512];
	int n = x->ncol < 512 ? x->ncol : 512;

	if (!pos)
		return bad_key(e);
	sdb_buf_reset(tmp);
	/* first pass: decode into tmp, remembering offsets (tmp may move) */
	for (int i = 0; i < n; i++) {
		struct sdb_tv v;
		int desc = x->desc ? x->desc[i] : 0;
		int is_real = vlen && (size_t)(i / 8) < vlen && (bits[i / 8] >> (i % 8)) & 1;
		size_t before = tmp->len;
		long k = sdb_tuple_decode1(p + pos, klen - pos, desc, is_real, &v, tmp, e);
		if (k <= 0)
			return k < 0 ? (int)k : bad_key(e);
		pos += (size_t)k;
		vals[i] = sql_of_tv(&v);
		offs[i] = before;
	}
	for (int i = 0; i < n; i++)
		if (vals[i].type >= SQLV_TEXT)
			vals[i].u.z = tmp->data + offs[i];
	if (rowid) {
		*rowid = 0;
		if (!x->table->without_rowid)
			return last_int(p, klen, pos, rowid, e);
	}
	return 0;
}

int sql_rows_each(struct sdb_txn *txn, const struct sql_table_def *t, const uint64_t *used,
		  sql_row_fn fn, void *arg, struct sdb_error *e)
{
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	struct sql_value *row = calloc((size_t)t->ncol + 1, sizeof(*row));
	int rc;

	sql_obj_prefix(&lo, t->id);
	sql_obj_end(&hi, t->id);
	if (!row || !sdb_buf_ok(&lo) || !sdb_buf_ok(&hi))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	else if (!(rc = sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
		for (;;) {
			const unsigned char *k;
			size_t kn;
			struct sdb_val v;
			int64_t rowid = 0;
			if ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) <= 0)
				break;
			if ((rc = sql_row_decode_used(t, k, kn, v.data, v.len, row, &rowid, used, e)) ||
			    (rc = fn(arg, row, rowid, e)))
				break;
		}
	sdb_txn_iter_close(it);
	free(row);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc < 0 ? rc : 0;
}
