/*
 * err.h - the one error convention of libsochdb.
 *
 * Every library function that can fail returns int: 0 on success or a
 * negative enum sdb_err. Results travel through out-parameters. Context
 * (file, line/column, byte offset, a human message) is recorded in a
 * struct sdb_error the caller passes in (may be NULL); only cmd/ prints it.
 */
#ifndef SDB_ERR_H
#define SDB_ERR_H

#include <stddef.h>
#include <stdint.h>

/* Pinned codes: never renumber, only append. */
enum sdb_err {
	SDB_OK = 0,
	SDB_ENOMEM = -1,    /* allocation failed */
	SDB_EIO = -2,       /* an OS call failed; sys_errno says which */
	SDB_EPARSE = -3,    /* malformed input text (JSON, TOON, TSV ...) */
	SDB_EINVAL = -4,    /* bad argument or option value */
	SDB_ENOTFOUND = -5, /* key, file or object absent */
	SDB_ECORRUPT = -6,  /* checksum mismatch, bad magic, damaged file */
	SDB_EBUSY = -7,     /* lock held by another process */
	SDB_ECONFLICT = -8, /* transaction conflict, retryable */
	SDB_EVERSION = -9,  /* file of a newer, unsupported format version */
	SDB_ELIMIT = -10,   /* a documented size limit was exceeded */
	SDB_EUNSUPPORTED = -11, /* valid input we do not handle */
};

/*
 * Error detail. line/column are 1-based and 0 when not applicable;
 * offset is a byte offset or -1.
 */
struct sdb_error {
	int code;
	int sys_errno;
	long line;
	long column;
	int64_t offset;
	char msg[512];
};

/* Returns a static, lowercase description of code. */
const char *sdb_strerror(int code);

/* Clears e (NULL allowed). */
void sdb_error_clear(struct sdb_error *e);

/*
 * Records code and a printf-style message in e (NULL allowed).
 * @return code, so callers can write `return sdb_error_set(e, ...)`.
 */
int sdb_error_set(struct sdb_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like sdb_error_set, with a 1-based line and column. */
int sdb_error_at(struct sdb_error *e, int code, long line, long column,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * For a code from a callee that records no detail (a sink callback, a
 * buffer's sticky out-of-memory flag): records sdb_strerror(code) in e
 * unless e already holds code (0 and NULL e allowed). @return code.
 */
int sdb_error_code(struct sdb_error *e, int code);

/* Like sdb_error_set for a failed OS call: saves errno, appends strerror. */
int sdb_error_sys(struct sdb_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Formats e as one line without trailing newline into out ("line L,
 * column C: msg" when a position is known). @return out.
 */
const char *sdb_error_format(const struct sdb_error *e, char *out, size_t n);

#endif
