/*
 * wal_record - fuzz target: the WAL segment scanner, record decoder and
 * replay over arbitrary bytes (as the newest and as a sealed segment).
 * Properties: no crash, leak or UB; the valid prefix decodes record by
 * record to exactly its length; replay of the prefix never fails on a
 * checksum.
 */
#include "store/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_wal_seg s;
	struct sdb_memtable mem = { 0 };
	unsigned char *copy = malloc(size + 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (int newest = 0; newest < 2; newest++) {
		size_t off = 0;
		memset(&s, 0, sizeof(s));
		s.data = copy;
		s.size = size;
		s.path = (char *)"fuzz";
		sdb_wal_scan(&s, newest);
		if (s.valid > size)
			abort();
		while (off < s.valid) {
			struct sdb_wal_rec r;
			struct sdb_wal_op op;
			if (sdb_wal_decode(copy + off, s.valid - off, &r))
				abort(); /* the valid prefix must decode */
			if (r.type == SDB_REC_PUT || r.type == SDB_REC_DEL)
				sdb_wal_op_decode(&r, &op);
			off += r.reclen;
		}
		if (off != s.valid)
			abort();
		sdb_wal_replay(&s, 1, &mem, NULL);
		sdb_mem_finish(&mem);
		sdb_mem_release(&mem);
	}
	free(copy);
	return 0;
}
