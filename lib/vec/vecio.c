/*
 * vecio.c - .npy / .fvecs / raw float32 readers and writers (vecio.h).
 *
 * The .npy header is a Python dict literal; we parse the small subset
 * numpy writes ({'descr': '<f4', 'fortran_order': False, 'shape': (N, D), })
 * strictly enough that a garbled or truncated header is an error with the
 * offending byte offset, never a guess.
 */
#define _GNU_SOURCE
#include "vec/vecio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int sdb_vec_format_parse(const char *s)
{
	if (!strcmp(s, "npy"))
		return SDB_VEC_FMT_NPY;
	if (!strcmp(s, "fvecs"))
		return SDB_VEC_FMT_FVECS;
	if (!strcmp(s, "raw_f32") || !strcmp(s, "raw") || !strcmp(s, "f32"))
		return SDB_VEC_FMT_RAW;
	return -1;
}

const char *sdb_vec_format_name(int fmt)
{
	switch (fmt) {
	case SDB_VEC_FMT_NPY: return "npy";
	case SDB_VEC_FMT_FVECS: return "fvecs";
	case SDB_VEC_FMT_RAW: return "raw_f32";
	}
	return "auto";
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcasecmp(s + a - b, suf);
}

int sdb_vec_format_of_path(const char *path)
{
	if (!path)
		return SDB_VEC_FMT_AUTO;
	if (ends_with(path, ".npy"))
		return SDB_VEC_FMT_NPY;
	if (ends_with(path, ".fvecs"))
		return SDB_VEC_FMT_FVECS;
	if (ends_with(path, ".f32") || ends_with(path, ".raw") ||
	    ends_with(path, ".bin") || ends_with(path, ".fbin"))
		return SDB_VEC_FMT_RAW;
	return SDB_VEC_FMT_AUTO;
}

/* ---- .npy header ---------------------------------------------------- */

struct lex {
	const char *p, *end, *base;
	struct sdb_error *e;
	size_t hdr_off;
};

static void skip_ws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static int lex_err(struct lex *l, const char *what)
{
	size_t off = l->hdr_off + (size_t)(l->p - l->base);
	int rc = sdb_error_set(l->e, SDB_EPARSE, "malformed npy header at byte %zu: %s",
			       off, what);
	if (l->e)
		l->e->offset = (int64_t)off;
	return rc;
}

static int lex_char(struct lex *l, char c)
{
	skip_ws(l);
	if (l->p >= l->end || *l->p != c) {
		char what[32];
		snprintf(what, sizeof(what), "expected '%c'", c);
		return lex_err(l, what);
	}
	l->p++;
	return 0;
}

static int lex_string(struct lex *l, char *out, size_t cap)
{
	char q;
	size_t n = 0;

	skip_ws(l);
	if (l->p >= l->end || (*l->p != '\'' && *l->p != '"'))
		return lex_err(l, "expected a quoted string");
	q = *l->p++;
	while (l->p < l->end && *l->p != q) {
		if (n + 1 >= cap)
			return lex_err(l, "string too long");
		out[n++] = *l->p++;
	}
	if (l->p >= l->end)
		return lex_err(l, "unterminated string");
	l->p++;
	out[n] = 0;
	return 0;
}

static int lex_uint(struct lex *l, uint64_t *v)
{
	uint64_t x = 0;
	int any = 0;

	skip_ws(l);
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return lex_err(l, "dimension too large");
		x = x * 10 + (uint64_t)(*l->p++ - '0');
		any = 1;
	}
	if (l->p < l->end && *l->p == 'L') /* Python 2 longs */
		l->p++;
	if (!any)
		return lex_err(l, "expected an integer");
	*v = x;
	return 0;
}

int sdb_npy_parse_header(const void *data, size_t n, struct sdb_npy_header *h,
			 struct sdb_error *e)
{
	const unsigned char *p = data;
	size_t hlen, pre;
	struct lex l;
	int have_descr = 0, have_fortran = 0, have_shape = 0;

	memset(h, 0, sizeof(*h));
	if (n < 10 || memcmp(p, "\x93NUMPY", 6))
		return sdb_error_set(e, SDB_EPARSE, "not an npy file (bad magic)");
	h->major = p[6];
	h->minor = p[7];
	if (h->major == 1) {
		hlen = (size_t)p[8] | (size_t)p[9] << 8;
		pre = 10;
	} else if (h->major == 2 || h->major == 3) {
		if (n < 12)
			return sdb_error_set(e, SDB_EPARSE, "truncated npy header");
		hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 |
		       (size_t)p[11] << 24;
		pre = 12;
	} else
		return sdb_error_set(e, SDB_EUNSUPPORTED, "unsupported npy version %d.%d",
				     h->major, h->minor);
	if (hlen > n - pre)
		return sdb_error_set(e, SDB_EPARSE,
				     "truncated npy header (%zu header bytes announced, %zu present)",
				     hlen, n - pre);
	h->data_offset = pre + hlen;
	l.base = l.p = (const char *)p + pre;
	l.end = l.p + hlen;
	l.e = e;
	l.hdr_off = pre;
	if (lex_char(&l, '{'))
		return SDB_EPARSE;
	for (;;) {
		char key[32];
		skip_ws(&l);
		if (l.p < l.end && *l.p == '}') {
			l.p++;
			break;
		}
		if (lex_string(&l, key, sizeof(key)) || lex_char(&l, ':'))
			return SDB_EPARSE;
		skip_ws(&l);
		if (!strcmp(key, "descr")) {
			if (lex_string(&l, h->descr, sizeof(h->descr)))
				return SDB_EPARSE;
			have_descr = 1;
		} else if (!strcmp(key, "fortran_order")) {
			if ((size_t)(l.end - l.p) >= 4 && !memcmp(l.p, "True", 4)) {
				h->fortran = 1;
				l.p += 4;
			} else if ((size_t)(l.end - l.p) >= 5 && !memcmp(l.p, "False", 5)) {
				h->fortran = 0;
				l.p += 5;
			} else
				return lex_err(&l, "expected True or False");
			have_fortran = 1;
		} else if (!strcmp(key, "shape")) {
			if (lex_char(&l, '('))
				return SDB_EPARSE;
			h->ndim = 0;
			for (;;) {
				uint64_t v = 0;
				skip_ws(&l);
				if (l.p < l.end && *l.p == ')') {
					l.p++;
					break;
				}
				if (lex_uint(&l, &v))
					return SDB_EPARSE;
				if (h->ndim >= 2)
					return sdb_error_set(e, SDB_EUNSUPPORTED,
							     "npy array has more than 2 dimensions");
				h->shape[h->ndim++] = v;
				skip_ws(&l);
				if (l.p < l.end && *l.p == ',')
					l.p++;
				else if (l.p < l.end && *l.p == ')')
					continue;
				else
					return lex_err(&l, "expected ',' or ')'");
			}
			have_shape = 1;
		} else
			return lex_err(&l, "unknown key");
		skip_ws(&l);
		if (l.p < l.end && *l.p == ',') {
			l.p++;
			continue;
		}
		if (lex_char(&l, '}'))
			return SDB_EPARSE;
		break;
	}
	if (!have_descr || !have_fortran || !have_shape)
		return sdb_error_set(e, SDB_EPARSE, "malformed npy header: missing %s",
				     !have_descr ? "'descr'" : !have_fortran ? "'fortran_order'" : "'shape'");
	return 0;
}

/* ---- opening vector sets ------------------------------------------- */

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 0x1f, man = h & 0x3ff, u;
	float f;

	if (ex == 0) {
		if (!man)
			u = sign;
		else {
			/* subnormal half: value = man * 2^-24 */
			f = (float)man * (1.0f / 16777216.0f);
			return sign ? -f : f;
		}
	} else if (ex == 31)
		u = sign | 0x7f800000u | (man << 13);
	else
		u = sign | ((ex + 112) << 23) | (man << 13);
	memcpy(&f, &u, 4);
	return f;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Reads the whole file with read(2) in chunks (--direct-read). */
static int read_whole(const char *path, void **out, size_t *len, struct sdb_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return sdb_error_sys(e, errno == ENOENT ? SDB_ENOTFOUND : SDB_EIO,
				     "cannot open '%s'", path);
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		int rc = sdb_error_sys(e, SDB_EIO, "cannot read '%s'", path);
		close(fd);
		return rc;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory reading '%s'", path);
	}
	while (got < (size_t)st.st_size) {
		size_t want = (size_t)st.st_size - got;
		ssize_t r = read(fd, buf + got, want > (8u << 20) ? (8u << 20) : want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int rc = sdb_error_sys(e, SDB_EIO, "cannot read '%s'", path);
			free(buf);
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

static int empty_err(struct sdb_vec_set *s, const struct sdb_vec_open_opts *o,
		     struct sdb_error *e)
{
	if (o->allow_empty)
		return 0;
	return sdb_error_set(e, SDB_EPARSE, "'%s' holds no vectors", s->name);
}

static int open_npy(struct sdb_vec_set *s, const unsigned char *p, size_t n,
		    const struct sdb_vec_open_opts *o, struct sdb_error *e)
{
	struct sdb_npy_header h;
	int rc = sdb_npy_parse_header(p, n, &h, e);
	char kind, order;
	int size;
	uint64_t rows, cols, count, bytes;

	if (rc) {
		if (e) {
			char tmp[sizeof(e->msg)];
			int k = snprintf(tmp, sizeof(tmp), "'%.200s': ", s->name);
			snprintf(tmp + k, sizeof(tmp) - (size_t)k, "%.300s", e->msg);
			memcpy(e->msg, tmp, sizeof(tmp));
		}
		return rc;
	}
	order = h.descr[0];
	kind = h.descr[1];
	size = atoi(h.descr + 2);
	if ((order != '<' && order != '>' && order != '=' && order != '|') || kind != 'f' ||
	    (size != 2 && size != 4 && size != 8) || h.descr[3 + (size >= 10)] != 0)
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "'%s': unsupported dtype '%s' (expected float32, float16 or float64)",
				     s->name, h.descr);
	if (h.ndim == 2) {
		rows = h.shape[0];
		cols = h.shape[1];
	} else if (h.ndim == 1) {
		rows = h.shape[0] ? 1 : 0;
		cols = h.shape[0];
	} else
		return sdb_error_set(e, SDB_EUNSUPPORTED, "'%s': npy array is a scalar, not vectors",
				     s->name);
	if (cols > UINT32_MAX || (cols && rows > UINT64_MAX / cols / (uint64_t)size))
		return sdb_error_set(e, SDB_EPARSE, "'%s': npy shape too large", s->name);
	count = rows * cols;
	bytes = count * (uint64_t)size;
	if (bytes > n - h.data_offset)
		return sdb_error_set(e, SDB_EPARSE,
				     "'%s': truncated npy data (%llu bytes expected, %zu present)",
				     s->name, (unsigned long long)bytes, n - h.data_offset);
	s->n = rows;
	s->dim = (uint32_t)cols;
	if (count == 0) {
		s->n = 0;
		return empty_err(s, o, e);
	}
	p += h.data_offset;
	if (size == 4 && order != '>' && !h.fortran && ((uintptr_t)p & 3) == 0) {
		s->data = (const float *)p;
		s->in_place = 1;
		return 0;
	}
	s->owned = malloc(count * sizeof(float));
	if (!s->owned)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory converting '%s'", s->name);
	for (uint64_t r = 0; r < rows; r++)
		for (uint64_t c = 0; c < cols; c++) {
			uint64_t src = h.fortran ? c * rows + r : r * cols + c;
			const unsigned char *q = p + src * (uint64_t)size;
			unsigned char b[8];
			float f;
			memcpy(b, q, (size_t)size);
			if (order == '>')
				for (int i = 0; i < size / 2; i++) {
					unsigned char t = b[i];
					b[i] = b[size - 1 - i];
					b[size - 1 - i] = t;
				}
			if (size == 2) {
				uint16_t hv = (uint16_t)(b[0] | b[1] << 8);
				f = half_to_float(hv);
			} else if (size == 4)
				memcpy(&f, b, 4);
			else {
				double d;
				memcpy(&d, b, 8);
				f = (float)d;
				if (isfinite(d) && !isfinite(f))
					return sdb_error_set(e, SDB_EPARSE,
							     "'%s': row %llu, column %llu: float64 value %g is out of float32 range",
							     s->name, (unsigned long long)r,
							     (unsigned long long)c, d);
			}
			s->owned[r * cols + c] = f;
		}
	s->data = s->owned;
	return 0;
}

/* The hint a sniffed (not named, no known extension) input gets when it
 * does not read as fvecs either. */
static const char *sniff_hint(const struct sdb_vec_set *s)
{
	return s->sniffed ? " (no npy magic, so read as fvecs; raw float32 needs --dimension)" : "";
}

static int open_fvecs(struct sdb_vec_set *s, const unsigned char *p, size_t n,
		      const struct sdb_vec_open_opts *o, struct sdb_error *e)
{
	int32_t d;
	size_t row;
	uint64_t rows;

	if (n == 0)
		return empty_err(s, o, e);
	if (n < 4)
		return sdb_error_set(e, SDB_EPARSE, "'%s': truncated fvecs record at byte 0%s",
				     s->name, sniff_hint(s));
	d = (int32_t)rd32(p);
	if (d < 0)
		return sdb_error_set(e, SDB_EPARSE, "'%s': fvecs row 0 has a negative dimension (%d)%s",
				     s->name, d, sniff_hint(s));
	if (d == 0 || d > (1 << 24))
		return sdb_error_set(e, SDB_EPARSE, "'%s': bad fvecs dimension %d at byte 0%s",
				     s->name, d, sniff_hint(s));
	row = 4 + (size_t)d * 4;
	/* every record's own dimension first, so a mixed file is named as
	 * such, not as a truncated one */
	for (size_t off = 0, r = 0; off < n; off += row, r++) {
		int32_t dr = n - off >= 4 ? (int32_t)rd32(p + off) : d;
		int rc = 0;
		if (dr < 0)
			rc = sdb_error_set(e, SDB_EPARSE,
					   "'%s': fvecs row %zu (byte %zu) has a negative dimension (%d)",
					   s->name, r, off, dr);
		else if (dr != d)
			rc = sdb_error_set(e, SDB_EPARSE,
					   "'%s': fvecs row %zu (byte %zu) has dimension %d, row 0 has %d (mixed dimensions)",
					   s->name, r, off, dr, d);
		else if (n - off < row)
			rc = sdb_error_set(e, SDB_EPARSE,
					   "'%s': truncated fvecs file (%zu bytes is not a multiple of the %zu-byte record)",
					   s->name, n, row);
		if (rc) {
			if (e)
				e->offset = (int64_t)off;
			return rc;
		}
	}
	rows = n / row;
	s->owned = malloc((size_t)rows * (size_t)d * sizeof(float));
	if (!s->owned)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory reading '%s'", s->name);
	for (uint64_t r = 0; r < rows; r++)
		memcpy(s->owned + r * (size_t)d, p + r * row + 4, (size_t)d * 4);
	s->n = rows;
	s->dim = (uint32_t)d;
	s->data = s->owned;
	return 0;
}

/* 1 when p[0..n) is whole fvecs records of one dimension. */
static int parses_as_fvecs(const unsigned char *p, size_t n)
{
	uint32_t d = n >= 4 ? rd32(p) : 0;
	size_t row = 4 + (size_t)d * 4;

	if (d == 0 || d > (1u << 24) || n % row)
		return 0;
	for (size_t off = 0; off < n; off += row)
		if (rd32(p + off) != d)
			return 0;
	return 1;
}

/* A file of unknown name that is neither npy nor fvecs (of any
 * dimension), but a whole number of raw rows of the expected dimension,
 * is raw. */
static int looks_raw(const unsigned char *p, size_t n, uint32_t dim)
{
	return dim && n % ((size_t)dim * 4) == 0 && !parses_as_fvecs(p, n);
}

static int open_raw(struct sdb_vec_set *s, const unsigned char *p, size_t n,
		    const struct sdb_vec_open_opts *o, struct sdb_error *e)
{
	size_t row;

	if (!o->dim)
		return sdb_error_set(e, SDB_EINVAL, "raw float32 input '%s' needs --dimension",
				     s->name);
	row = (size_t)o->dim * 4;
	if (n == 0)
		return empty_err(s, o, e);
	if (n % row)
		return sdb_error_set(e, SDB_EPARSE,
				     "'%s': %zu bytes is not a whole number of %u-dimensional float32 vectors",
				     s->name, n, o->dim);
	s->n = n / row;
	s->dim = o->dim;
	if (((uintptr_t)p & 3) == 0) {
		s->data = (const float *)p;
		s->in_place = 1;
		return 0;
	}
	s->owned = malloc(n);
	if (!s->owned)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory reading '%s'", s->name);
	memcpy(s->owned, p, n);
	s->data = s->owned;
	return 0;
}

int sdb_vec_set_open(struct sdb_vec_set *s, const char *path,
		     const struct sdb_vec_open_opts *o, struct sdb_error *e)
{
	const unsigned char *p;
	size_t n;
	uint32_t raw_dim = 0;
	int fmt, rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", !path || !strcmp(path, "-") ? "<stdin>" : path);
	if (o->direct_read && path && strcmp(path, "-")) {
		rc = read_whole(path, &s->heap_file, &s->heap_len, e);
		if (rc)
			return rc;
		p = s->heap_file;
		n = s->heap_len;
	} else {
		rc = sdb_input_open(&s->in, path, e);
		if (rc)
			return rc;
		p = (const unsigned char *)s->in.data;
		n = s->in.len;
		if (s->in.mapped) {
			/* The build visits vectors in graph order, not
			 * sequentially: undo io.c's MADV_SEQUENTIAL and ask
			 * for read-ahead of the whole file instead. */
			madvise((void *)s->in.data, s->in.len, MADV_NORMAL);
			madvise((void *)s->in.data, s->in.len, MADV_WILLNEED);
			if (o->prefault) {
				volatile unsigned char sink = 0;
				long pg = sysconf(_SC_PAGESIZE);
				for (size_t i = 0; i < n; i += (size_t)pg)
					sink ^= p[i];
				(void)sink;
			}
		}
	}
	fmt = o->format;
	if (fmt == SDB_VEC_FMT_AUTO)
		fmt = sdb_vec_format_of_path(path);
	if (fmt == SDB_VEC_FMT_AUTO) {
		if (n >= 6 && !memcmp(p, "\x93NUMPY", 6))
			fmt = SDB_VEC_FMT_NPY;
		else if (o->dim)
			fmt = SDB_VEC_FMT_RAW;
		else if (looks_raw(p, n, o->dim_hint)) {
			fmt = SDB_VEC_FMT_RAW;
			raw_dim = o->dim_hint;
		} else {
			fmt = SDB_VEC_FMT_FVECS;
			s->sniffed = 1;
		}
	}
	s->format = fmt;
	switch (fmt) {
	case SDB_VEC_FMT_NPY:
		if (n == 0) {
			rc = empty_err(s, o, e);
			if (!rc && !o->allow_empty)
				rc = SDB_EPARSE;
			break;
		}
		rc = open_npy(s, p, n, o, e);
		break;
	case SDB_VEC_FMT_FVECS:
		rc = open_fvecs(s, p, n, o, e);
		break;
	default:
		if (raw_dim) {
			struct sdb_vec_open_opts ro = *o;
			ro.dim = raw_dim;
			rc = open_raw(s, p, n, &ro, e);
		} else
			rc = open_raw(s, p, n, o, e);
		break;
	}
	if (!rc && o->dim && s->n && s->dim != o->dim)
		rc = sdb_error_set(e, SDB_EPARSE, "'%s' has dimension %u, expected %u",
				   s->name, s->dim, o->dim);
	if (!rc && s->owned) {
		/* the mapping or buffer is no longer needed */
		sdb_input_close(&s->in);
		free(s->heap_file);
		s->heap_file = NULL;
	}
	if (rc)
		sdb_vec_set_close(s);
	return rc;
}

void sdb_vec_set_wrap(struct sdb_vec_set *s, const float *data, uint64_t n,
		      uint32_t dim)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->n = n;
	s->dim = dim;
	snprintf(s->name, sizeof(s->name), "<memory>");
}

void sdb_vec_set_close(struct sdb_vec_set *s)
{
	if (!s)
		return;
	free(s->owned);
	free(s->heap_file);
	if (s->in.data)
		sdb_input_close(&s->in);
	memset(s, 0, sizeof(*s));
}

int sdb_vec_check_finite(const float *data, uint64_t n, uint32_t dim,
			 const char *name, struct sdb_error *e)
{
	return sdb_vec_check_finite_rows(data, 0, n, dim, name, e);
}

int sdb_vec_check_finite_rows(const float *data, uint64_t first, uint64_t end,
			      uint32_t dim, const char *name, struct sdb_error *e)
{
	uint64_t total = end * dim;

	for (uint64_t i = first * dim; i < total; i++) {
		uint32_t u;
		memcpy(&u, &data[i], 4);
		if ((u & 0x7f800000u) == 0x7f800000u) {
			uint64_t r = i / dim, c = i % dim;
			return sdb_error_set(e, SDB_EPARSE, "'%s': row %llu, column %llu is %s",
					     name, (unsigned long long)r, (unsigned long long)c,
					     isnan(data[i]) ? "NaN" : "infinite");
		}
	}
	return 0;
}

/* ---- writing -------------------------------------------------------- */

/* Where sdb_vec_write goes: a file through temp + rename, or "-" stdout. */
struct out {
	struct sdb_atomic file;
	int to_stdout;
};

static int out_open(struct out *o, const char *path, struct sdb_error *e)
{
	o->to_stdout = !strcmp(path, "-");
	return o->to_stdout ? 0 : sdb_atomic_open(&o->file, path, e);
}

static int out_write(struct out *o, const void *p, size_t n, struct sdb_error *e)
{
	if (o->to_stdout)
		return sdb_io_write_all(STDOUT_FILENO, p, n, "<stdout>", e);
	return sdb_atomic_write(&o->file, p, n, e);
}

int sdb_vec_write(const char *path, int fmt, const float *data, uint64_t n,
		  uint32_t dim, struct sdb_error *e)
{
	struct out a;
	int rc = out_open(&a, path, e);
	char *buf = NULL;

	if (rc)
		return rc;
	if (fmt == SDB_VEC_FMT_NPY) {
		char hdr[256];
		int len = snprintf(hdr + 10, sizeof(hdr) - 10,
				   "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %u), }",
				   (unsigned long long)n, dim);
		size_t total = 10 + (size_t)len + 1;
		size_t pad = (64 - total % 64) % 64;
		memcpy(hdr, "\x93NUMPY\x01\x00", 8);
		memset(hdr + 10 + len, ' ', pad);
		hdr[10 + len + pad] = '\n';
		total += pad;
		hdr[8] = (char)((total - 10) & 0xff);
		hdr[9] = (char)((total - 10) >> 8);
		rc = out_write(&a, hdr, total, e);
		if (!rc)
			rc = out_write(&a, data, (size_t)(n * dim * 4), e);
	} else if (fmt == SDB_VEC_FMT_FVECS) {
		size_t row = 4 + (size_t)dim * 4, per = (1u << 20) / row + 1, used = 0;
		buf = malloc(per * row);
		if (!buf) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		for (uint64_t r = 0; r < n && !rc; r++) {
			unsigned char *q = (unsigned char *)buf + used;
			q[0] = (unsigned char)dim;
			q[1] = (unsigned char)(dim >> 8);
			q[2] = (unsigned char)(dim >> 16);
			q[3] = (unsigned char)(dim >> 24);
			memcpy(q + 4, data + r * dim, (size_t)dim * 4);
			used += row;
			if (used + row > per * row) {
				rc = out_write(&a, buf, used, e);
				used = 0;
			}
		}
		if (!rc && used)
			rc = out_write(&a, buf, used, e);
	} else
		rc = out_write(&a, data, (size_t)(n * dim * 4), e);
	if (!rc && !a.to_stdout)
		rc = sdb_atomic_commit(&a.file, e);
out:
	free(buf);
	if (rc && !a.to_stdout)
		sdb_atomic_abort(&a.file);
	return rc;
}

int sdb_vec_read_ids(const char *path, uint64_t n, uint64_t **ids,
		     struct sdb_error *e)
{
	struct sdb_input in;
	const unsigned char *p;
	size_t len;
	int rc = sdb_input_open(&in, path, e), big = 0, is_signed = 0;

	*ids = NULL;
	if (rc)
		return rc;
	p = (const unsigned char *)in.data;
	len = in.len;
	if (len >= 6 && !memcmp(p, "\x93NUMPY", 6)) {
		struct sdb_npy_header h;
		rc = sdb_npy_parse_header(p, len, &h, e);
		if (rc)
			goto out;
		if (strlen(h.descr) != 3 || !strchr("<>=", h.descr[0]) ||
		    (h.descr[1] != 'u' && h.descr[1] != 'i') || h.descr[2] != '8') {
			rc = sdb_error_set(e, SDB_EUNSUPPORTED,
					   "'%s': ids must be uint64 or int64 (got dtype '%s')",
					   in.name, h.descr);
			goto out;
		}
		if (!(h.ndim == 1 || (h.ndim == 2 && h.shape[1] == 1))) {
			rc = sdb_error_set(e, SDB_EUNSUPPORTED,
					   "'%s': ids must be a 1-D array (got %d dimensions)",
					   in.name, h.ndim == 2 ? 2 : h.ndim);
			goto out;
		}
		if (h.shape[0] != n) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s' holds %llu ids, expected %llu (one per vector)",
					   in.name, (unsigned long long)h.shape[0], (unsigned long long)n);
			goto out;
		}
		if ((len - h.data_offset) / 8 < n) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s': truncated npy data", in.name);
			goto out;
		}
		big = h.descr[0] == '>';
		is_signed = h.descr[1] == 'i';
		p += h.data_offset;
	} else if (len != n * 8) {
		rc = sdb_error_set(e, SDB_EPARSE,
				   "'%s' holds %zu bytes, expected %llu u64 ids (%llu bytes) for %llu vectors",
				   in.name, len, (unsigned long long)n,
				   (unsigned long long)(n * 8), (unsigned long long)n);
		goto out;
	}
	*ids = malloc(n ? n * 8 : 1);
	if (!*ids) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = rd64(p + i * 8);
		if (big)
			v = __builtin_bswap64(v);
		if (is_signed && (int64_t)v < 0) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s': id %lld at row %llu is negative",
					   in.name, (long long)(int64_t)v, (unsigned long long)i);
			free(*ids);
			*ids = NULL;
			goto out;
		}
		(*ids)[i] = v;
	}
out:
	sdb_input_close(&in);
	return rc;
}

int sdb_vec_read_truth(const char *path, uint64_t *rows, uint32_t *cols,
		       uint64_t **out, struct sdb_error *e)
{
	struct sdb_input in;
	const unsigned char *p;
	int rc = sdb_input_open(&in, path, e);
	uint64_t r = 0;
	uint32_t c = 0;

	*out = NULL;
	if (rc)
		return rc;
	p = (const unsigned char *)in.data;
	if (in.len >= 6 && !memcmp(p, "\x93NUMPY", 6)) {
		struct sdb_npy_header h;
		int size;
		rc = sdb_npy_parse_header(p, in.len, &h, e);
		if (rc)
			goto out;
		size = atoi(h.descr + 2);
		if ((h.descr[0] != '<' && h.descr[0] != '=' && h.descr[0] != '|') ||
		    (h.descr[1] != 'i' && h.descr[1] != 'u') || (size != 4 && size != 8) ||
		    h.ndim != 2 || h.fortran) {
			rc = sdb_error_set(e, SDB_EUNSUPPORTED,
					   "'%s': truth must be a 2-D C-order int32/int64/uint64 array (got '%s')",
					   in.name, h.descr);
			goto out;
		}
		r = h.shape[0];
		c = (uint32_t)h.shape[1];
		if (h.shape[1] > UINT32_MAX || (c && r > (in.len - h.data_offset) / c / (uint64_t)size)) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s': truncated npy data", in.name);
			goto out;
		}
		*out = malloc(r * c != 0 ? r * c * 8 : 1);
		if (!*out) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		for (uint64_t i = 0; i < r * c; i++) {
			const unsigned char *q = p + h.data_offset + i * (uint64_t)size;
			if (size == 4)
				(*out)[i] = h.descr[1] == 'i' ? (uint64_t)(int64_t)(int32_t)rd32(q) : rd32(q);
			else
				(*out)[i] = rd64(q);
		}
	} else {
		/* ivecs: int32 count, then count int32 ids, per row */
		size_t off = 0;
		if (in.len < 4) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s': empty or truncated ivecs file", in.name);
			goto out;
		}
		c = rd32(p);
		if (c == 0 || c > (1u << 20) || in.len % (4 + (size_t)c * 4)) {
			rc = sdb_error_set(e, SDB_EPARSE, "'%s': not an ivecs file of equal-length rows",
					   in.name);
			goto out;
		}
		r = in.len / (4 + (size_t)c * 4);
		*out = malloc(r * c * 8);
		if (!*out) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		for (uint64_t i = 0; i < r; i++) {
			if (rd32(p + off) != c) {
				rc = sdb_error_set(e, SDB_EPARSE, "'%s': ivecs row %llu has %u ids, expected %u",
						   in.name, (unsigned long long)i, rd32(p + off), c);
				goto out;
			}
			off += 4;
			for (uint32_t j = 0; j < c; j++, off += 4)
				(*out)[i * c + j] = (uint64_t)(int64_t)(int32_t)rd32(p + off);
		}
	}
	*rows = r;
	*cols = c;
out:
	if (rc) {
		free(*out);
		*out = NULL;
	}
	sdb_input_close(&in);
	return rc;
}

/* qsort order of u64 */
static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int sdb_vec_check_truth(const uint64_t *truth, uint64_t rows, uint32_t cols, uint32_t k,
			const uint64_t *ids, uint64_t n, const char *name,
			struct sdb_error *e)
{
	uint64_t *sorted = NULL;
	int rc = 0;

	if (k > cols)
		k = cols;
	if (ids) {
		sorted = malloc(n ? n * 8 : 1);
		if (!sorted)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		memcpy(sorted, ids, n * 8);
		qsort(sorted, n, 8, u64_cmp);
	}
	for (uint64_t r = 0; r < rows && !rc; r++)
		for (uint32_t c = 0; c < k; c++) {
			uint64_t v = truth[r * cols + c];
			if (sorted ? bsearch(&v, sorted, n, 8, u64_cmp) != NULL : v < n)
				continue;
			if ((int64_t)v < 0)
				rc = sdb_error_set(e, SDB_EPARSE,
						   "'%s': row %llu, column %u: %lld is not an id of the index (a float file?)",
						   name, (unsigned long long)r, c, (long long)(int64_t)v);
			else
				rc = sdb_error_set(e, SDB_EPARSE,
						   "'%s': row %llu, column %u: %llu is not an id of the index (a float file?)",
						   name, (unsigned long long)r, c, (unsigned long long)v);
			break;
		}
	free(sorted);
	return rc;
}
