/*
 * varint.h - little-endian fixed-width integers and LEB128 varints, the
 * building blocks of every on-disk format. Decoders are bounds-checked:
 * they never read past end and return NULL on truncated input.
 */
#ifndef SDB_VARINT_H
#define SDB_VARINT_H

#include <stdint.h>
#include <string.h>

static inline void sdb_put_u16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void sdb_put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void sdb_put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint16_t sdb_get_u16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t sdb_get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t sdb_get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Writes v as a varint at p (at most 10 bytes). @return bytes written. */
static inline int sdb_put_varint(unsigned char *p, uint64_t v)
{
	int n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Reads a varint from [p, end). @return the byte after it, or NULL. */
static inline const unsigned char *sdb_get_varint(const unsigned char *p,
						  const unsigned char *end,
						  uint64_t *v)
{
	uint64_t r = 0;

	if (end - p >= 4) { /* the common lengths unrolled, no end check a byte */
		uint64_t b = p[0];
		if (b < 0x80) {
			*v = b;
			return p + 1;
		}
		r = b & 0x7f;
		if ((b = p[1]) < 0x80) {
			*v = r | b << 7;
			return p + 2;
		}
		r |= (b & 0x7f) << 7;
		if ((b = p[2]) < 0x80) {
			*v = r | b << 14;
			return p + 3;
		}
		r |= (b & 0x7f) << 14;
		if ((b = p[3]) < 0x80) {
			*v = r | b << 21;
			return p + 4;
		}
		r |= (b & 0x7f) << 21;
		p += 4;
		for (int shift = 28; shift <= 63 && p < end; shift += 7) {
			b = *p++;
			r |= (b & 0x7f) << shift;
			if (!(b & 0x80)) {
				*v = r;
				return p;
			}
		}
		return NULL;
	}
	for (int shift = 0; shift <= 63 && p < end; shift += 7) {
		uint64_t b = *p++;
		r |= (b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return p;
		}
	}
	return NULL;
}

/* Up to 8 bytes p[0..n) as a big-endian number, zero-padded: two byte
 * strings compare as these numbers wherever those bytes differ (sorts and
 * searches compare a packed u64 before the bytes). */
static inline uint64_t sdb_be64_prefix(const void *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n < 8 ? n : 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

#endif
