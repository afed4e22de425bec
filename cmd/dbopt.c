/* dbopt.c - database options shared by the tools (see dbopt.h). */
#include "dbopt.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void print_warning(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn("%s", msg);
}

void dbopt_init(struct dbopt *d)
{
	const char *env = getenv("SOCHDB_DIR");

	d->dir = env && *env ? env : "./sochdb_data";
	sdb_opts_default(&d->o);
	d->o.warn = print_warning;
	/* tuning knobs, used by the tests to get small files */
	if ((env = getenv("SOCHDB_WAL_SEGMENT_BYTES")) && atoll(env) > 0)
		d->o.segment_bytes = (uint64_t)atoll(env);
	if ((env = getenv("SOCHDB_FLUSH_BYTES")) && atoll(env) > 0)
		d->o.flush_bytes = (uint64_t)atoll(env);
	if ((env = getenv("SOCHDB_CLOSE_FLUSH_BYTES")) && atoll(env) > 0)
		d->o.close_flush_bytes = (uint64_t)atoll(env);
}

double parse_seconds(const char *opt, const char *s)
{
	char *end = (char *)s;
	double v;

	/* digits and a point only: strtod would take nan, inf and hex */
	errno = 0;
	v = strspn(s, "0123456789.") == strlen(s) ? strtod(s, &end) : -1;
	if (v < 0 || errno || end == s || *end || !(v <= 1e9))
		die_usage("invalid value '%s' for %s (expected seconds: a number from 0 to 1e9)",
			  s, opt);
	return v;
}

int dbopt_take(struct dbopt *d, int id, const char *v)
{
	switch (id) {
	case DBOPT_DB:
		d->dir = v;
		return 1;
	case DBOPT_SYNC:
		if (!strcmp(v, "full"))
			d->o.sync = SDB_SYNC_FULL;
		else if (!strcmp(v, "normal"))
			d->o.sync = SDB_SYNC_NORMAL;
		else if (!strcmp(v, "off"))
			d->o.sync = SDB_SYNC_OFF;
		else
			die_usage("invalid value '%s' for --sync (expected full, normal or off)", v);
		return 1;
	case DBOPT_LOCK_TIMEOUT:
		d->o.lock_timeout = parse_seconds("--lock-timeout", v);
		return 1;
	default:
		return 0;
	}
}

struct sdb_db *dbopt_open(struct dbopt *d, unsigned flags)
{
	struct sdb_db *db;
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	if ((rc = sdb_db_open(d->dir, flags, &d->o, &db, &e)))
		die_err(rc, &e);
	return db;
}

void dbopt_after_commit(struct sdb_db *db)
{
	struct sdb_error e;

	sdb_error_clear(&e);
	if (sdb_db_maybe_flush(db, &e))
		cli_warn("background flush failed: %s", e.msg);
	else if (sdb_db_flush_at_close(db, &e))
		cli_warn("flush at close failed: %s", e.msg);
}
