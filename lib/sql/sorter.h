/*
 * sorter.h - an external merge sort of value rows for the query side
 * (ORDER BY, GROUP BY past the memory limit). Private to lib/sql.
 *
 * DESIGN. Rows are copied into memory chunks until they hold about the
 * memory limit; then they are sorted (a stable merge sort on row
 * pointers) and written as one run to a temporary file, and memory is
 * reused for the next run. At the end, if nothing was written, the rows
 * come out of memory; otherwise the last run is written too and the runs
 * are merged k ways through a binary heap, ties going to the earlier
 * run, so the whole sort is stable (equal rows keep the order they were
 * added in). When there are more runs than the merge fan-in (the memory
 * limit divided among 32 KiB read buffers, 8 to 128 ways) a pass merges
 * groups of them into longer runs in a second file first.
 *
 * Temporary files are created in the given directory (the database
 * directory) or, when it is NULL or cannot take files, in $TMPDIR or
 * /tmp; they are O_TMPFILE or unlinked right after creation, so they
 * never have a name that a crash could leave behind. A write error (a
 * full disk) is SDB_EIO with the spill file's name and the system error.
 *
 * A spool is a sorter without a comparison (cmp NULL): rows come back in
 * the order they were added, those past the limit from the spill file
 * (older rows) and then those in memory. It can be read again from the
 * first row (sql_sorter_rewind), and read while rows are still added (a
 * FIFO queue: rows already read are not written when memory spills, and a
 * file read to its end starts over).
 *
 * A spool filled before it is read can be read by several readers at
 * once (sql_spool_rd), each at a row of its own and with its own buffer:
 * a reader moves on row by row (a row passed over has its length read,
 * not its values), takes another reader's place, or goes back to the
 * first row; rows held in memory are reached at once. The window
 * functions read one partition's rows so (frame start, current row,
 * frame end). sql_sorter_clear empties a spool for its next rows.
 *
 * A hash file (sql_hfile) is rows bucketed by a 64-bit hash: added
 * through a sorter on the hash, then written in hash order to a second
 * temporary file with a directory of 2^bits buckets of about 8 rows (the
 * directory within a quarter of the limit); a probe reads its bucket's
 * rows of that hash, in the order they were added. The spilled hash join
 * and IN (SELECT ...) sets past the limit use it.
 *
 * Run file format (private, never kept): rows one after another, each a
 * varint byte length then its values; a value is a tag byte (type 0-4,
 * bit 3 set when a subtype byte follows), then for INTEGER a zigzag
 * varint, for REAL the 8 bytes of the double, for TEXT/BLOB a varint
 * length and the bytes.
 */
#ifndef SDB_SQL_SORTER_H
#define SDB_SQL_SORTER_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"
#include "util/err.h"

struct sql_sorter;

/* Orders two rows of the sorter's ncol values: < 0, 0, > 0. */
typedef int (*sql_sorter_cmp)(void *ctx, const struct sql_value *a,
			      const struct sql_value *b);

/* A sorter of rows of ncol values, compared by cmp(ctx, ...), holding
 * about mem_limit bytes in memory; spill files go to dir (NULL: $TMPDIR
 * or /tmp). @return the sorter (sql_sorter_free), or NULL: out of memory. */
struct sql_sorter *sql_sorter_new(int ncol, sql_sorter_cmp cmp, void *ctx,
				  size_t mem_limit, const char *dir);
void sql_sorter_free(struct sql_sorter *s);
/* What names its spill file in errors (static text; default "sort spill
 * file"). */
void sql_sorter_name(struct sql_sorter *s, const char *what);

/* Adds a row: a[0..na) then b[0..nb) (na + nb == ncol), bytes copied.
 * May write a run. @return 0, SDB_ENOMEM or SDB_EIO (e set). */
int sql_sorter_add(struct sql_sorter *s, const struct sql_value *a, int na,
		   const struct sql_value *b, int nb, struct sdb_error *e);

/* No more rows: sorts, and when runs were written writes the last one
 * and prepares the merge. @return 0, SDB_ENOMEM or SDB_EIO. */
int sql_sorter_finish(struct sql_sorter *s, struct sdb_error *e);

/* The next row in order: *row points at ncol values valid until the next
 * call (a spool's: until the next call or sql_sorter_add). A spool needs
 * no finish. @return 1 a row, 0 the end, or SDB_ENOMEM/SDB_EIO/SDB_ECORRUPT. */
int sql_sorter_next(struct sql_sorter *s, const struct sql_value **row,
		    struct sdb_error *e);

/* A spool read again from its first row (one not read while adding).
 * @return 0, or -1 for a sorter with a comparison. */
int sql_sorter_rewind(struct sql_sorter *s);

/* A spool emptied (its file truncated, one memory chunk kept) for new
 * rows; its readers start again at row 0. @return 0, SDB_EIO, or -1 for
 * a sorter with a comparison. */
int sql_sorter_clear(struct sql_sorter *s, struct sdb_error *e);

/* A reader of spool s (rows added, none read by sql_sorter_next while
 * adding), at row 0. @return it (sql_spool_rd_free) or NULL: out of memory. */
struct sql_spool_rd;
struct sql_spool_rd *sql_spool_rd_new(struct sql_sorter *s);
void sql_spool_rd_free(struct sql_spool_rd *r);
/* The row the reader is at (0 .. sql_sorter_count). */
long sql_spool_rd_index(struct sql_spool_rd *r);
/* The reader's row: *row valid until the reader moves or the spool
 * changes. @return 1, 0 past the last row, or an error. */
int sql_spool_rd_row(struct sql_spool_rd *r, const struct sql_value **row,
		     struct sdb_error *e);
/* The reader to row k (clamped to 0 .. count): forward from its row, back
 * from row 0 (a row in memory at once). @return 0 or an error. */
int sql_spool_rd_seek(struct sql_spool_rd *r, long k, struct sdb_error *e);
/* r at from's row (its buffer kept when it holds that row's bytes). */
void sql_spool_rd_set(struct sql_spool_rd *r, struct sql_spool_rd *from);

/* Rows added so far; runs written to disk so far (0: all in memory). */
long sql_sorter_count(const struct sql_sorter *s);
long sql_sorter_runs(const struct sql_sorter *s);

/* Bytes the rows held in memory take by the sorter's count (values,
 * their bytes, the pointer array): what callers compare with the limit. */
size_t sql_sorter_row_bytes(const struct sql_value *row, int n);

/* A hash file of rows of ncol values, holding about mem_limit bytes
 * while it is filled; what names its files in errors. @return it
 * (sql_hfile_free) or NULL: out of memory. */
struct sql_hfile;
struct sql_hfile *sql_hfile_new(int ncol, size_t mem_limit, const char *dir, const char *what);
void sql_hfile_free(struct sql_hfile *f);
/* Adds a row (copied) under its hash. @return 0, SDB_ENOMEM or SDB_EIO. */
int sql_hfile_add(struct sql_hfile *f, uint64_t hash, const struct sql_value *row,
		  struct sdb_error *e);
/* No more rows: the bucket file is written. @return 0 or an error. */
int sql_hfile_finish(struct sql_hfile *f, struct sdb_error *e);
/* Starts reading the rows added under hash (after finish). */
void sql_hfile_probe(struct sql_hfile *f, uint64_t hash);
/* Starts reading every row (after finish), in hash order. */
void sql_hfile_all(struct sql_hfile *f);
/* The probe's next row: *row valid until the next call. @return 1, 0 no
 * more, or an error. */
int sql_hfile_next(struct sql_hfile *f, const struct sql_value **row, struct sdb_error *e);

#endif
