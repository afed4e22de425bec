/*
 * fvecs.c - fuzz target: the .fvecs reader (lib/vec/vecio.c) through its
 * public entry, sdb_vec_set_open, on an in-memory file (memfd). Per
 * record: int32 dimension, then that many float32. Must never crash or
 * read outside the file; every failure says why; what it accepts has the
 * dimension and count the bytes imply.
 */
#define _GNU_SOURCE
#include "vec/vecio.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_vec_open_opts o;
	struct sdb_vec_set s;
	struct sdb_error e;
	char path[64];
	int fd = memfd_create("fvecs", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&o, 0, sizeof(o));
	o.format = SDB_VEC_FMT_FVECS;
	o.allow_empty = 1;
	sdb_error_clear(&e);
	if (sdb_vec_set_open(&s, path, &o, &e) == 0) {
		if (s.n && (uint64_t)s.n * (4 + 4 * (uint64_t)s.dim) != size)
			__builtin_trap();
		if (s.n)
			sdb_vec_check_finite(s.data, s.n, s.dim, "fuzz", &e);
		sdb_vec_set_close(&s);
	} else if (!e.msg[0])
		__builtin_trap();
	close(fd);
	return 0;
}
