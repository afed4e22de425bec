/*
 * dbopt.h - command-line glue shared by the tools that open a database
 * (sochdb-kv, sochdb-wal, later sql/graph): -d/--db resolution with
 * $SOCHDB_DIR, --sync, --lock-timeout, size suffixes, and the printer for
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

/*
 * Consumes a common option at argv[*i] (-d/--db, --sync, --lock-timeout,
 * also as --opt=value). @return 1 when consumed, 0 when not ours; dies
 * with a usage error on a bad or missing value.
 */
int dbopt_parse(struct dbopt *d, int argc, char **argv, int *i,
		const char *usage);

/*
 * The value of option `name` at argv[*i]: "--name=V" or the next argument.
 * @return NULL when argv[*i] is not that option.
 */
const char *opt_value(int argc, char **argv, int *i, const char *shortname,
		      const char *name, const char *usage);

/* Parses SIZE with an optional k/M/G suffix (powers of 1024). */
unsigned long long parse_size(const char *usage, const char *opt,
			      const char *s);
/* Parses a non-negative number of seconds (decimals allowed). */
double parse_seconds(const char *usage, const char *opt, const char *s);

#endif
