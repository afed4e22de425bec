/*
 * dbopt.h - command-line glue shared by the tools that open a database
 * (sochdb-kv, sochdb-wal, later sql/graph): -d/--db resolution with
 * $SOCHDB_DIR, --sync, --lock-timeout, and the printer for
 * the engine's warnings.
 */
#ifndef SDB_DBOPT_H
#define SDB_DBOPT_H

#include "store/store.h"

struct dbopt {
	const char *dir;     /* resolved database directory */
	struct sdb_opts o;
};

/* Defaults: $SOCHDB_DIR, else ./sochdb_data; sync full; timeout 30 s. */
void dbopt_init(struct dbopt *d);

/* The ids of the database options in a command's option table (opt.h). */
enum { DBOPT_DB = 0x7e00, DBOPT_SYNC, DBOPT_LOCK_TIMEOUT };

/*
 * Applies a database option opt_next returned (-d/--db, --sync,
 * --lock-timeout). @return 1 when id was one, 0 when not; dies with a
 * usage error on a bad value.
 */
int dbopt_take(struct dbopt *d, int id, const char *v);

/* Parses a finite, non-negative number of seconds (decimals allowed). */
double parse_seconds(const char *opt, const char *s);

/* The option lines of a command's table: -d/--db (every command), and
 * --sync, --lock-timeout (the commands that write). */
#define DBOPT_DB_OPT \
	{ DBOPT_DB, 'd', "db", "DIR", "database directory (default $SOCHDB_DIR, else ./sochdb_data)" }
#define DBOPT_WRITE_OPTS \
	{ DBOPT_SYNC, 0, "sync", "MODE", "full (default): fsync each commit; normal; off" }, \
	{ DBOPT_LOCK_TIMEOUT, 0, "lock-timeout", "SECS", "wait this long for the write lock (default 30)" }

/* Opens the database d names with flags (SDB_OPEN_*), or dies. */
struct sdb_db *dbopt_open(struct dbopt *d, unsigned flags);
/* After the last commit of a process, before it closes the database: the
 * automatic flush/compaction and the flush at close
 * (sdb_db_flush_at_close); a failure only warns (the commit itself is
 * durable). */
void dbopt_after_commit(struct sdb_db *db);

#endif
