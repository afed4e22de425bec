/*
 * text.h - small text helpers shared by the JSON and TOON codecs: UTF-8
 * validation and decoding, JavaScript's notion of white space (String.trim,
 * which the TOON reference implementation uses), hex digits.
 */
#ifndef SDB_TEXT_H
#define SDB_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Decodes one UTF-8 sequence at p (n bytes available). Rejects overlong
 * forms, surrogates and code points above U+10FFFF.
 * @return its length (1-4) with *cp set, or 0 when invalid.
 */
static inline int sdb_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (n < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
		return 2;
	}
	if (c < 0xF0) {
		uint32_t v;
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		v = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return 3;
	}
	if (c < 0xF5) {
		uint32_t v;
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		v = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
		    ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
		if (v < 0x10000 || v > 0x10FFFF)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

/* Writes cp as UTF-8 into out (4 bytes room). @return bytes written. */
static inline int sdb_utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Checks that p[0..n) is valid UTF-8.
 * @return 0, or the 1-based byte offset of the first invalid sequence.
 */
size_t sdb_utf8_check(const char *p, size_t n);

/* JavaScript white space and line terminators (what String.trim strips). */
static inline int sdb_js_space(uint32_t cp)
{
	if (cp <= 0x20)
		return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
	return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
	       cp == 0x3000 || cp == 0xFEFF;
}

/* Length of JS white space at the start / end of p[0..n) (valid UTF-8). */
size_t sdb_js_space_prefix(const char *p, size_t n);
size_t sdb_js_space_suffix(const char *p, size_t n);

/* Trims JS white space in place: adjusts *p and *n. */
static inline void sdb_js_trim(const char **p, size_t *n)
{
	size_t a, b;

	if (*n == 0)
		return;
	/* fast path: printable ASCII at both ends */
	if ((unsigned char)(*p)[0] > 0x20 && (unsigned char)(*p)[0] < 0x80 &&
	    (unsigned char)(*p)[*n - 1] > 0x20 && (unsigned char)(*p)[*n - 1] < 0x80)
		return;
	a = sdb_js_space_prefix(*p, *n);
	*p += a;
	*n -= a;
	b = sdb_js_space_suffix(*p, *n);
	*n -= b;
}

static inline int sdb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Offset of the first byte of p[0..n) that is a control character
 * (< 0x20) or one of the up to eight bytes in set (pad with 0), or n.
 * SSE2 sixteen bytes at a time: the hot loop of quoting decisions.
 */
static inline size_t sdb_find_special(const char *p, size_t n, const char set[8])
{
	size_t i = 0;
#ifdef __SSE2__
	__m128i lim = _mm_set1_epi8(0x1f);
	__m128i s0 = _mm_set1_epi8(set[0]), s1 = _mm_set1_epi8(set[1]);
	__m128i s2 = _mm_set1_epi8(set[2]), s3 = _mm_set1_epi8(set[3]);
	__m128i s4 = _mm_set1_epi8(set[4]), s5 = _mm_set1_epi8(set[5]);
	__m128i s6 = _mm_set1_epi8(set[6]), s7 = _mm_set1_epi8(set[7]);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i m = _mm_cmpeq_epi8(_mm_min_epu8(v, lim), v);
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, s0), _mm_cmpeq_epi8(v, s1)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, s2), _mm_cmpeq_epi8(v, s3)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, s4), _mm_cmpeq_epi8(v, s5)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, s6), _mm_cmpeq_epi8(v, s7)));
		int bits = _mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz((unsigned)bits);
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == (unsigned char)set[0] || c == (unsigned char)set[1] ||
		    c == (unsigned char)set[2] || c == (unsigned char)set[3] ||
		    c == (unsigned char)set[4] || c == (unsigned char)set[5] ||
		    c == (unsigned char)set[6] || c == (unsigned char)set[7])
			return i;
	}
	return n;
}

/* Line (1-based) and column (1-based, in code points) of byte offset off. */
void sdb_text_position(const char *p, size_t off, long *line, long *column);

#endif
