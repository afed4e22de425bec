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
}

const char *opt_value(int argc, char **argv, int *i, const char *shortname,
		      const char *name, const char *usage)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (!strncmp(a, name, n) && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, name) && (!shortname || strcmp(a, shortname)))
		return NULL;
	if (*i + 1 >= argc)
		usage_error(usage, "option '%s' requires a value", a);
	return argv[++*i];
}

double parse_seconds(const char *usage, const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e9)
		usage_error(usage, "invalid value '%s' for %s (expected seconds)", s, opt);
	return v;
}

unsigned long long parse_size(const char *usage, const char *opt,
			      const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		goto bad;
	switch (*end) {
	case 0: return v;
	case 'k': case 'K': v <<= 10; break;
	case 'm': case 'M': v <<= 20; break;
	case 'g': case 'G': v <<= 30; break;
	default: goto bad;
	}
	if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		goto bad;
	return v;
bad:
	usage_error(usage, "invalid size '%s' for %s (expected N, Nk, NM or NG)", s, opt);
}

int dbopt_parse(struct dbopt *d, int argc, char **argv, int *i,
		const char *usage)
{
	const char *v;

	if ((v = opt_value(argc, argv, i, "-d", "--db", usage))) {
		d->dir = v;
		return 1;
	}
	if ((v = opt_value(argc, argv, i, NULL, "--sync", usage))) {
		if (!strcmp(v, "full"))
			d->o.sync = SDB_SYNC_FULL;
		else if (!strcmp(v, "normal"))
			d->o.sync = SDB_SYNC_NORMAL;
		else if (!strcmp(v, "off"))
			d->o.sync = SDB_SYNC_OFF;
		else
			usage_error(usage, "invalid value '%s' for --sync (expected full, normal or off)", v);
		return 1;
	}
	if ((v = opt_value(argc, argv, i, NULL, "--lock-timeout", usage))) {
		d->o.lock_timeout = parse_seconds(usage, "--lock-timeout", v);
		return 1;
	}
	if (!strcmp(argv[*i], "-q") || !strcmp(argv[*i], "--quiet")) {
		cli_verbosity = 0;
		return 1;
	}
	if (!strcmp(argv[*i], "-v") || !strcmp(argv[*i], "--verbose")) {
		cli_verbosity++;
		return 1;
	}
	return 0;
}
