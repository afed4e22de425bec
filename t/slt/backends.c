/*
 * backends.c - the backend table of the SQL test tools. The sochdb
 * backend is there when the build has the engine (SLT_HAVE_SOCHDB).
 */
#define _XOPEN_SOURCE 700
#include "backend.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>

const struct slt_backend *slt_backend_find(const char *name)
{
	if (!strcmp(name, "sqlite") || !strcmp(name, "sqlite3"))
		return &slt_be_sqlite;
	if (!strcmp(name, "sqlite-reverse"))
		return &slt_be_sqlite_rev;
	if (!strcmp(name, "sqlite-cslike"))
		return &slt_be_sqlite_cslike;
#ifdef SLT_HAVE_SOCHDB
	if (!strcmp(name, "sochdb"))
		return &slt_be_sochdb;
#endif
	return NULL;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

void slt_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
