/*
 * filename.c - the names inside a database directory (see store.h for
 * what each file holds):
 *   LOCK                       lock file (lock.c)
 *   MANIFEST                   the table set and checkpoint LSN (manifest.c)
 *   DAMAGE                     the damage mark: writers refuse (damage.c)
 *   wal-<16 lowercase hex>.log a WAL segment, named by the LSN of its first
 *                              byte (wal.c)
 *   <number>.sst               a table, the number at least 6 decimal
 *                              digits (table.c)
 *   *.tmp*                     files being written: PATH.tmp (tables),
 *                              PATH.tmp.XXXXXX (atomic outputs, util/io.c),
 *                              DEST.tmp.PID (backups); never read, removed
 *                              by maintenance
 */
#include "store/filename.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define WAL_PREFIX "wal-"
#define WAL_SUFFIX ".log"
#define TABLE_SUFFIX ".sst"
#define TEMP_MARK ".tmp"

/* DIR/name into b, without a printf (the MANIFEST's and the newest
 * WAL segment's paths are built at every snapshot refresh). */
static void dir_name(struct sdb_buf *b, const char *dir, const char *name)
{
	sdb_buf_reset(b);
	sdb_buf_add(b, dir, strlen(dir));
	sdb_buf_addc(b, '/');
	sdb_buf_add(b, name, strlen(name));
}

void sdb_lock_path(struct sdb_buf *b, const char *dir)
{
	dir_name(b, dir, "LOCK");
}

void sdb_manifest_path(struct sdb_buf *b, const char *dir)
{
	dir_name(b, dir, "MANIFEST");
}

void sdb_damage_path(struct sdb_buf *b, const char *dir)
{
	dir_name(b, dir, "DAMAGE");
}

void sdb_wal_path(struct sdb_buf *b, const char *dir, uint64_t lsn)
{
	char name[4 + 16 + 4 + 1] = WAL_PREFIX;
	for (int i = 0; i < 16; i++)
		name[4 + i] = "0123456789abcdef"[(lsn >> (60 - 4 * i)) & 15];
	memcpy(name + 20, WAL_SUFFIX, sizeof(WAL_SUFFIX));
	dir_name(b, dir, name);
}

void sdb_table_path(struct sdb_buf *b, const char *dir, uint64_t no)
{
	sdb_buf_reset(b);
	sdb_buf_addf(b, "%s/%06" PRIu64 TABLE_SUFFIX, dir, no);
}

void sdb_table_tmp_name(char *out, const char *path, size_t n)
{
	memcpy(out, path, n);
	memcpy(out + n, TEMP_MARK, sizeof(TEMP_MARK));
}

enum sdb_file_kind sdb_parse_file_name(const char *s, uint64_t *num)
{
	size_t n = strlen(s);
	char *end;

	*num = 0;
	if (!strcmp(s, "LOCK"))
		return SDB_FILE_LOCK;
	if (!strcmp(s, "MANIFEST"))
		return SDB_FILE_MANIFEST;
	if (!strcmp(s, "DAMAGE"))
		return SDB_FILE_DAMAGE;
	if (strstr(s, TEMP_MARK))
		return SDB_FILE_TEMP;
	if (n == 4 + 16 + 4 && !strncmp(s, WAL_PREFIX, 4) && !strcmp(s + 20, WAL_SUFFIX)) {
		uint64_t lsn = strtoull(s + 4, &end, 16);
		if (end == s + 20) {
			*num = lsn;
			return SDB_FILE_WAL;
		}
	}
	if (n > 4 && !strcmp(s + n - 4, TABLE_SUFFIX)) {
		uint64_t no = strtoull(s, &end, 10);
		if (!strcmp(end, TABLE_SUFFIX)) {
			*num = no;
			return SDB_FILE_TABLE;
		}
	}
	return SDB_FILE_OTHER;
}
