/*
 * filename.h - the names of the files inside a database directory, built
 * and parsed in one place (filename.c), in the manner of LevelDB's
 * filename.h. Only lib/store/ uses it.
 */
#ifndef SDB_STORE_FILENAME_H
#define SDB_STORE_FILENAME_H

#include "util/buf.h"

#include <stdint.h>

enum sdb_file_kind {
	SDB_FILE_OTHER = 0, /* not one of ours */
	SDB_FILE_LOCK,      /* LOCK */
	SDB_FILE_MANIFEST,  /* MANIFEST */
	SDB_FILE_WAL,       /* wal-<16 lowercase hex digits: LSN>.log */
	SDB_FILE_TABLE,     /* <decimal file number, 6+ digits>.sst */
	SDB_FILE_TEMP,      /* a name with ".tmp" in it: a file being written */
	SDB_FILE_DAMAGE,    /* DAMAGE: the damage mark (damage.c) */
};

/* DIR/NAME of each kind, into b (reset first; b's OOM flag on failure). */
void sdb_lock_path(struct sdb_buf *b, const char *dir);
void sdb_manifest_path(struct sdb_buf *b, const char *dir);
void sdb_damage_path(struct sdb_buf *b, const char *dir);
void sdb_wal_path(struct sdb_buf *b, const char *dir, uint64_t lsn);
void sdb_table_path(struct sdb_buf *b, const char *dir, uint64_t no);
/* The temporary name a table is written under before its rename: PATH.tmp
 * (n: strlen(path); out needs n + 5 bytes). */
void sdb_table_tmp_name(char *out, const char *path, size_t n);

/* Kind of a directory entry name; *num: the LSN of a WAL segment, the
 * number of a table (else 0). */
enum sdb_file_kind sdb_parse_file_name(const char *name, uint64_t *num);

#endif
