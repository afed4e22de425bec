/*
 * manifest.c - fuzz target: the MANIFEST decoder (lib/store/manifest.c).
 * Whatever the bytes: no crash, no read outside the input, every failure
 * says why; what it accepts re-encodes to the very same bytes (the CRC
 * covers everything, so nothing may be read loosely).
 */
#include "store/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_manifest m;
	struct sdb_error e;
	struct sdb_buf b = SDB_BUF_INIT;
	unsigned char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size); /* an exact-size heap block: ASan sees overreads */
	sdb_error_clear(&e);
	if (sdb_manifest_decode(&m, copy, size, &e) == 0) {
		if (sdb_manifest_encode(&m, &b) == 0 &&
		    (b.len != size || memcmp(b.data, data, size)))
			__builtin_trap(); /* decode(x) accepted what encode does not give back */
		sdb_buf_release(&b);
		sdb_manifest_release(&m);
	} else if (!e.msg[0])
		__builtin_trap();
	free(copy);
	return 0;
}
