/*
 * backends.c - the backend table of the SQL test tools. The sochdb
 * backend is there when the build has the engine (SLT_HAVE_SOCHDB).
 */
#include "backend.h"

#include <string.h>

const struct slt_backend *slt_backend_find(const char *name)
{
	if (!strcmp(name, "sqlite") || !strcmp(name, "sqlite3"))
		return &slt_be_sqlite;
#ifdef SLT_HAVE_SOCHDB
	if (!strcmp(name, "sochdb"))
		return &slt_be_sochdb;
#endif
	return NULL;
}
