/* tsv.c - TSV escaping of arbitrary bytes and base64 (see tsv.h). */
#include "util/tsv.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the run of bytes at p (n bytes) that TSV copies as they are
 * and that are plain ASCII: 0x20..0x7E except the backslash. 16 bytes at
 * a time where SSE2 is there; the caller handles the byte it stops at. */
static size_t plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i lo = _mm_set1_epi8(0x1F), bs = _mm_set1_epi8('\\'),
		      del = _mm_set1_epi8(0x7F);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		/* signed compares: bytes >= 0x80 are negative, so "not > 0x1F"
		 * catches controls and high bytes in one test */
		__m128i bad = _mm_or_si128(_mm_cmpgt_epi8(lo, v),
					   _mm_cmpeq_epi8(v, lo));
		bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, bs),
						     _mm_cmpeq_epi8(v, del)));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < n && p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\')
		i++;
	return i;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		if (c == 0xED && p[1] > 0x9F)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] > 0x8F)
			return 0;
		return 4;
	}
	return 0;
}

static const char hexd[] = "0123456789ABCDEF";

void sdb_tsv_escape(struct sdb_buf *out, const void *pv, size_t n)
{
	const unsigned char *p = pv;
	size_t i = 0, start = 0;

	if (sdb_buf_grow(out, n + 16))
		return;
	while (i < n) {
		i += plain_run(p + i, n - i);
		if (i >= n)
			break;
		unsigned char c = p[i];
		char esc[4];
		size_t el = 2, l;
		if (c >= 0x80 && (l = utf8_seq(p + i, n - i))) {
			i += l;
			continue;
		}
		sdb_buf_add(out, p + start, i - start);
		esc[0] = '\\';
		switch (c) {
		case '\\': esc[1] = '\\'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[1] = 'x';
			esc[2] = hexd[c >> 4];
			esc[3] = hexd[c & 15];
			el = 4;
		}
		sdb_buf_add(out, esc, el);
		start = ++i;
	}
	sdb_buf_add(out, p + start, n - start);
}

int sdb_tsv_unescape(struct sdb_buf *out, const char *p, size_t n, size_t *col)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		char c;
		if (p[i] != '\\')
			continue;
		sdb_buf_add(out, p + start, i - start);
		if (i + 1 >= n) {
			*col = i + 1;
			return SDB_EPARSE;
		}
		switch (p[i + 1]) {
		case '\\': c = '\\'; break;
		case 't': c = '\t'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 'x':
			if (i + 3 >= n || sdb_hexval(p[i + 2]) < 0 || sdb_hexval(p[i + 3]) < 0) {
				*col = i + 1;
				return SDB_EPARSE;
			}
			c = (char)(sdb_hexval(p[i + 2]) * 16 + sdb_hexval(p[i + 3]));
			sdb_buf_addc(out, c);
			i += 3;
			start = i + 1;
			continue;
		default:
			*col = i + 1;
			return SDB_EPARSE;
		}
		sdb_buf_addc(out, c);
		i++;
		start = i + 1;
	}
	sdb_buf_add(out, p + start, n - start);
	return sdb_buf_ok(out) ? 0 : SDB_ENOMEM;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sdb_b64_encode(struct sdb_buf *out, const void *pv, size_t n)
{
	const unsigned char *p = pv;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		char q[4] = { b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			      b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], b64[p[i + 2] & 63] };
		sdb_buf_add(out, q, 4);
	}
	if (n - i == 1) {
		char q[4] = { b64[p[i] >> 2], b64[(p[i] & 3) << 4], '=', '=' };
		sdb_buf_add(out, q, 4);
	} else if (n - i == 2) {
		char q[4] = { b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			      b64[(p[i + 1] & 15) << 2], '=' };
		sdb_buf_add(out, q, 4);
	}
}

static int b64v(int c)
{
	const char *s = c ? strchr(b64, c) : NULL;
	return s ? (int)(s - b64) : -1;
}

int sdb_b64_decode(struct sdb_buf *out, const char *p, size_t n)
{
	if (n % 4)
		return SDB_EPARSE;
	for (size_t i = 0; i < n; i += 4) {
		int a = b64v(p[i]), b = b64v(p[i + 1]), c, d;
		int last = i + 4 == n;
		if (a < 0 || b < 0)
			return SDB_EPARSE;
		sdb_buf_addc(out, (char)((a << 2) | (b >> 4)));
		if (last && p[i + 2] == '=' && p[i + 3] == '=')
			break;
		if ((c = b64v(p[i + 2])) < 0)
			return SDB_EPARSE;
		sdb_buf_addc(out, (char)(((b & 15) << 4) | (c >> 2)));
		if (last && p[i + 3] == '=')
			break;
		if ((d = b64v(p[i + 3])) < 0)
			return SDB_EPARSE;
		sdb_buf_addc(out, (char)(((c & 3) << 6) | d));
	}
	return 0;
}
