/* text.c - UTF-8 and JavaScript white-space helpers (see text.h). */
#include "util/text.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <string.h>

size_t sdb_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		int k;

		/* skip ASCII sixteen, then eight bytes at a time */
#ifdef __SSE2__
		while (i + 16 <= n &&
		       !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i))))
			i += 16;
#endif
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = sdb_utf8_decode(p + i, n - i, &cp);
		if (!k)
			return i + 1;
		i += (size_t)k;
	}
	return 0;
}

size_t sdb_js_space_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		int k = sdb_utf8_decode(p + i, n - i, &cp);
		if (!k || !sdb_js_space(cp))
			break;
		i += (size_t)k;
	}
	return i;
}

size_t sdb_js_space_suffix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t end = n;

	while (end > 0) {
		size_t st = end - 1;
		uint32_t cp;
		int k;

		while (st > 0 && (p[st] & 0xC0) == 0x80 && end - st < 4)
			st--;
		k = sdb_utf8_decode(p + st, end - st, &cp);
		if (!k || (size_t)k != end - st || !sdb_js_space(cp))
			break;
		end = st;
	}
	return n - end;
}

void sdb_text_position(const char *s, size_t off, long *line, long *column)
{
	const unsigned char *p = (const unsigned char *)s;
	long l = 1, c = 1;

	for (size_t i = 0; i < off; i++) {
		if (p[i] == '\n') {
			l++;
			c = 1;
		} else if ((p[i] & 0xC0) != 0x80)
			c++;
	}
	*line = l;
	*column = c;
}
