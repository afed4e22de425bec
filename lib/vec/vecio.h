/*
 * vecio.h - reading and writing sets of float32 vectors.
 *
 * Formats:
 *   npy      numpy .npy, versions 1.0, 2.0 and 3.0; a 2-D (or 1-D: one
 *            vector) array. Little-endian float32 in C order is used in
 *            place through the mapping (no copy); float16, float64,
 *            big-endian floats and Fortran order are converted into one
 *            heap copy; any other dtype is refused.
 *   fvecs    per vector: int32 little-endian dimension, then that many
 *            float32 (the TEXMEX format); copied into a contiguous array.
 *   raw_f32  bare little-endian float32, the dimension given by the caller.
 * Alongside: ids files (u64 little-endian, one per vector) and ground
 * truth files (ivecs, or npy of int32/int64/uint64).
 */
#ifndef SDB_VEC_VECIO_H
#define SDB_VEC_VECIO_H

#include "util/err.h"
#include "util/io.h"

#include <stddef.h>
#include <stdint.h>

enum sdb_vec_format {
	SDB_VEC_FMT_AUTO = 0,
	SDB_VEC_FMT_NPY = 1,
	SDB_VEC_FMT_FVECS = 2,
	SDB_VEC_FMT_RAW = 3,
};

/* "npy", "fvecs", "raw_f32" (also "raw", "f32"). @return format or -1. */
int sdb_vec_format_parse(const char *s);
/* The format a file name's extension implies (.npy .fvecs .f32 .raw .bin
 * .fbin), or SDB_VEC_FMT_AUTO when it implies none. */
int sdb_vec_format_of_path(const char *path);
const char *sdb_vec_format_name(int fmt);

/* What an .npy header says. */
struct sdb_npy_header {
	int major, minor;
	char descr[16];   /* e.g. "<f4" */
	int fortran;
	int ndim;         /* 0..2 accepted by the caller; parser reports it */
	uint64_t shape[2];
	size_t data_offset; /* where the array bytes begin */
};

/*
 * Parses the header of an .npy file held in p[0..n). Checks the magic,
 * version, header length and the dict (descr, fortran_order, shape).
 * @return 0, SDB_EPARSE (garbled or truncated header, message says what)
 * or SDB_EUNSUPPORTED (a version we do not read, more than 2 dimensions).
 */
int sdb_npy_parse_header(const void *p, size_t n, struct sdb_npy_header *h,
			 struct sdb_error *e);

struct sdb_vec_open_opts {
	int format;        /* SDB_VEC_FMT_*, AUTO: by extension, else sniff */
	uint32_t dim;      /* required for raw_f32, else a check when nonzero */
	int prefault;      /* populate the mapping before returning */
	int direct_read;   /* read() in chunks into memory instead of mmap */
	int allow_empty;   /* zero vectors is not an error */
	uint32_t dim_hint; /* the dimension expected (a query of an index): a
			    * file of unknown name that is not npy nor fvecs of
			    * this dimension is read as raw rows of it */
};

/* A set of n vectors of dim floats, contiguous, row-major. */
struct sdb_vec_set {
	const float *data;
	uint64_t n;
	uint32_t dim;
	int format;
	int in_place;      /* data points into the file mapping */
	float *owned;      /* converted copy (freed on close) */
	void *heap_file;   /* --direct-read buffer */
	size_t heap_len;
	struct sdb_input in;
	int sniffed;       /* read as fvecs for want of npy magic or a name */
	char name[256];
};

/*
 * Opens path as a vector set. A zero-length input, or one with no
 * vectors, is an error (SDB_EPARSE "... holds no vectors") unless
 * allow_empty. @return 0, SDB_ENOTFOUND, SDB_EIO, SDB_EPARSE,
 * SDB_EUNSUPPORTED or SDB_ENOMEM.
 */
int sdb_vec_set_open(struct sdb_vec_set *s, const char *path,
		     const struct sdb_vec_open_opts *o, struct sdb_error *e);
/* Wraps memory the caller owns (not freed on close). */
void sdb_vec_set_wrap(struct sdb_vec_set *s, const float *data, uint64_t n,
		      uint32_t dim);
void sdb_vec_set_close(struct sdb_vec_set *s);

/*
 * Checks every value is finite. @return 0 or SDB_EPARSE naming the first
 * bad row (0-based) and column: "row 17, column 3 is NaN".
 */
int sdb_vec_check_finite(const float *data, uint64_t n, uint32_t dim,
			 const char *name, struct sdb_error *e);
/* The same over rows first..end-1 of data (a shard), naming rows of data. */
int sdb_vec_check_finite_rows(const float *data, uint64_t first, uint64_t end,
			      uint32_t dim, const char *name, struct sdb_error *e);

/*
 * Writes n x dim floats to path in fmt (npy, fvecs or raw_f32) through a
 * temporary file and rename; path "-" writes stdout.
 * @return 0, SDB_EIO or SDB_ENOMEM.
 */
int sdb_vec_write(const char *path, int fmt, const float *data, uint64_t n,
		  uint32_t dim, struct sdb_error *e);

/*
 * Reads an ids file: n u64 little-endian values, or a 1-D (or n x 1) npy
 * of uint64 or int64 (no negative ids); the file must hold exactly n.
 * *ids is malloc'd, caller frees. @return 0, SDB_EPARSE (wrong count, a
 * negative id), SDB_EUNSUPPORTED (another dtype or shape) or an I/O error.
 */
int sdb_vec_read_ids(const char *path, uint64_t n, uint64_t **ids,
		     struct sdb_error *e);

/*
 * Reads ground truth: ivecs rows, or a 2-D npy of int32/int64/uint64.
 * *out is malloc'd rows x *cols u64 values. @return 0 or an error.
 */
int sdb_vec_read_truth(const char *path, uint64_t *rows, uint32_t *cols,
		       uint64_t **out, struct sdb_error *e);

/*
 * Checks the first k columns of every row of truth (rows x cols, from
 * sdb_vec_read_truth) name ids of an index of n vectors: its external ids
 * (n of them), or 0..n-1 when ids is NULL. A float file read as ivecs
 * fails here. @return 0, SDB_EPARSE naming the first bad id, SDB_ENOMEM.
 */
int sdb_vec_check_truth(const uint64_t *truth, uint64_t rows, uint32_t cols, uint32_t k,
			const uint64_t *ids, uint64_t n, const char *name,
			struct sdb_error *e);

#endif
