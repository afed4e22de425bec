/*
 * array.h - the one growable-array helper: every "double the capacity
 * when full" loop in the library goes through sdb_grow().
 *
 *   struct item *v = NULL; size_t n = 0, cap = 0;
 *   if (sdb_grow((void **)&v, &cap, n + 1, sizeof(*v), 64))
 *           return sdb_oom(e);
 *   v[n++] = x;
 *
 * DESIGN. The capacity doubles from `first` (or from the current capacity)
 * until it holds `need` elements, so n appends cost O(n) copies; the size
 * computation is checked for overflow. On failure the array and its
 * capacity are left as they were, so the caller still owns (and frees) the
 * old block.
 */
#ifndef SDB_ARRAY_H
#define SDB_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The reallocation behind sdb_grow (out of line: keeps the callers' hot
 * loops small). Same contract. */
int sdb_grow_slow(void **arr, size_t *cap, size_t need, size_t elem, size_t first);

/*
 * Makes *arr hold at least need elements of size elem, doubling *cap
 * (starting at first when *cap is 0). Contents are kept; new slots are
 * uninitialised.
 * @return 0, or -1 when the allocation failed or the size overflows
 * (nothing changed).
 */
static inline int sdb_grow(void **arr, size_t *cap, size_t need, size_t elem,
			   size_t first)
{
	if (__builtin_expect(need <= *cap, 1))
		return 0;
	return sdb_grow_slow(arr, cap, need, elem, first);
}

#endif
