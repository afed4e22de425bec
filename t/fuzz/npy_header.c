/*
 * npy_header.c - fuzz target: the .npy header parser (lib/vec/vecio.c)
 * and the truth/vector readers that depend on it. Must never crash or
 * read outside the input, whatever the bytes.
 */
#include "vec/vecio.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_npy_header h;
	struct sdb_error e;

	sdb_error_clear(&e);
	if (sdb_npy_parse_header(data, size, &h, &e) == 0) {
		/* the parser's promises: the data offset lies inside the input */
		if (h.data_offset > size || h.ndim > 2 || strlen(h.descr) >= sizeof(h.descr))
			__builtin_trap();
	} else if (!e.msg[0])
		__builtin_trap(); /* every failure says why */
	return 0;
}
