/*
 * unit.h - a tiny assertion kit for the C unit tests in t/unit/.
 * Each test binary prints one line per failed check and a summary, and
 * exits 1 if anything failed; t/0002-unit.bats runs every binary.
 */
#ifndef SDB_UNIT_H
#define SDB_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_checks, unit_failures;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	unit_checks++; \
	if (a_ != b_) { \
		unit_failures++; \
		printf("FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, \
		       __LINE__, #a, #b, a_, b_); \
	} \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	unit_checks++; \
	if (!a_ || !b_ || strcmp(a_, b_)) { \
		unit_failures++; \
		printf("FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
		       __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} \
} while (0)

/* A seeded xorshift64 generator for randomized tests (set unit_rng to
 * replay a sequence). */
static uint64_t unit_rng = 88172645463325252ull;
static inline uint64_t unit_rnd(void)
{
	unit_rng ^= unit_rng << 13;
	unit_rng ^= unit_rng >> 7;
	unit_rng ^= unit_rng << 17;
	return unit_rng;
}

/* A fresh database path DIR/db under a new /tmp/sdb-TAG-XXXXXX (buf
 * holds it; NULL when the directory cannot be made), and its removal
 * with that directory. */
static inline char *unit_tmpdb(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n - 3, "/tmp/sdb-%s-XXXXXX", tag);
	if (!mkdtemp(buf))
		return NULL;
	strcat(buf, "/db");
	return buf;
}

static inline int unit_rmdb(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 3), dir);
	return system(cmd);
}

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
