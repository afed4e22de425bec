/*
 * json.h - strict RFC 8259 JSON: a validating parser into a compact tape,
 * and writers.
 *
 * DESIGN. The parser makes one pass over the input (mmapped or in memory)
 * and records every value as one 64-bit tape word (simdjson's idea):
 * strings and numbers point back into the input instead of being copied,
 * containers store the index just past their last child, so a value's
 * subtree is skipped in O(1). The tape costs ~8 bytes per value, about a
 * third of typical JSON text, and the input is never copied.
 *
 * Strictness: no trailing commas, comments, single quotes, bad escapes,
 * lone surrogates (\ud800 without its pair), invalid UTF-8, control
 * characters in strings, leading zeros, or content after the value.
 * Errors carry line and column (column in code points).
 *
 * Duplicate object keys are accepted as JSON.parse accepts them (the last
 * value wins, at the position of the first); the parser only flags them
 * (doc->has_dups) so callers can normalise through sdb_jv (jtree.h).
 *
 * Tape word: bits 60-63 type, bit 59 "string has escapes" or "number is
 * not in canonical form" (see sdb_json_num); strings and
 * numbers: bits 0-38 input offset, bits 39-58 length (0xFFFFF: the length
 * is in the next word); arrays/objects: bits 0-38 the index after the
 * container, bits 39-51 the number of child values (SDB_JT_MANY: that
 * many or more, count them), bits 52-58 a mask of their types, so the
 * shape of an array is known without walking it. An object's children
 * alternate key, value (the count and mask are of the values).
 */
#ifndef SDB_JSON_H
#define SDB_JSON_H

#include "util/buf.h"
#include "util/err.h"
#include "util/num.h"

#include <stddef.h>
#include <stdint.h>

enum sdb_jtype {
	SDB_J_NULL = 0,
	SDB_J_FALSE = 1,
	SDB_J_TRUE = 2,
	SDB_J_NUMBER = 3,
	SDB_J_STRING = 4,
	SDB_J_ARRAY = 5,
	SDB_J_OBJECT = 6,
};

#define SDB_JSON_MAX_DEPTH 10000

struct sdb_json_doc {
	const char *src;
	uint64_t *tape;
	size_t n, cap;
	int has_dups;
	/* (tape index, child count) of the containers with SDB_JT_MANY or
	 * more children, sorted by index */
	size_t (*many)[2];
	size_t nmany;
	/* (array index, child index) of every SDB_JSON_MARK_EVERY-th child of
	 * an array (children 4096, 8192, ...), in tape order: where a long
	 * array can be cut into chunks without walking it */
	size_t (*marks)[2];
	size_t nmarks;
};

#define SDB_JSON_MARK_EVERY 4096

enum {
	SDB_JSON_JSONL = 1, /* one value per line, parsed as one array */
};

/*
 * Parses src[0..len) into doc (the input must outlive doc). The root is
 * tape index 0. @return 0, SDB_EPARSE (with line/column) or SDB_ENOMEM.
 */
int sdb_json_parse(struct sdb_json_doc *doc, const char *src, size_t len,
		   int flags, struct sdb_error *e);
void sdb_json_release(struct sdb_json_doc *doc);

/*
 * A fast check for the common small case: 1 when src[0..len) is a
 * compact JSON object (no whitespace) whose members are plain: keys and
 * string values of printable ASCII without escapes, numbers, true, false
 * or null, so sdb_json_parse accepts it as an object. 0: not such a
 * text (it may still be JSON: parse it to know).
 */
int sdb_json_flat_object(const char *src, size_t len);

#define SDB_JT_TYPE(w) ((int)((w) >> 60))
#define SDB_JT_ESC(w) (((w) >> 59) & 1)
#define SDB_JT_OFF(w) ((w) & ((1ull << 39) - 1))
#define SDB_JT_LEN(w) (((w) >> 39) & 0xFFFFF)
#define SDB_JT_END(w) ((w) & ((1ull << 39) - 1))
/* containers: number of children (pairs for an object), SDB_JT_MANY or more */
#define SDB_JT_MANY 0x1FFF
#define SDB_JT_NKIDS(w) ((size_t)(((w) >> 39) & SDB_JT_MANY))
/* containers: bit (1 << type) set for each type among the child values */
#define SDB_JT_KINDS(w) ((unsigned)(((w) >> 52) & 0x7F))

static inline int sdb_json_type(const struct sdb_json_doc *d, size_t i)
{
	return SDB_JT_TYPE(d->tape[i]);
}

/* Index of the value after value i (skips a whole container). */
static inline size_t sdb_json_next(const struct sdb_json_doc *d, size_t i)
{
	uint64_t w = d->tape[i];
	int t = SDB_JT_TYPE(w);

	if (t == SDB_J_ARRAY || t == SDB_J_OBJECT)
		return (size_t)SDB_JT_END(w);
	if ((t == SDB_J_STRING || t == SDB_J_NUMBER) && SDB_JT_LEN(w) == 0xFFFFF)
		return i + 2;
	return i + 1;
}

/* Raw bytes of a string (without quotes, escapes not undone) or number. */
static inline void sdb_json_raw(const struct sdb_json_doc *d, size_t i,
				const char **p, size_t *n)
{
	uint64_t w = d->tape[i];

	*p = d->src + SDB_JT_OFF(w);
	*n = SDB_JT_LEN(w) == 0xFFFFF ? (size_t)d->tape[i + 1] : (size_t)SDB_JT_LEN(w);
}

size_t sdb_json_count_slow(const struct sdb_json_doc *d, size_t i);

/*
 * Appends number i in canonical form (sdb_num_canon; exact keeps every
 * digit): numbers the parser found canonical are copied as they are.
 */
static inline void sdb_json_num(const struct sdb_json_doc *d, size_t i, int exact,
				struct sdb_buf *out)
{
	const char *p;
	size_t n;

	sdb_json_raw(d, i, &p, &n);
	if (SDB_JT_ESC(d->tape[i]))
		sdb_num_canon(p, n, exact, out);
	else
		sdb_buf_add(out, p, n);
}

/* Number of children of array i (or of key/value pairs of object i). */
static inline size_t sdb_json_count(const struct sdb_json_doc *d, size_t i)
{
	size_t n = SDB_JT_NKIDS(d->tape[i]);

	return n < SDB_JT_MANY ? n : sdb_json_count_slow(d, i);
}

/*
 * The value of string i with escapes undone. Points into the input when
 * there are none, else into scratch (reset first). @return 0 or
 * SDB_ENOMEM: then *p and *n give the escaped source text and scratch's sticky
 * oom flag is set, so a caller may also check sdb_buf_ok(scratch) once
 * after many calls.
 */
int sdb_json_str(const struct sdb_json_doc *d, size_t i, const char **p,
		 size_t *n, struct sdb_buf *scratch);

/* Undoes the escapes of a validated JSON string body into out. */
void sdb_json_unescape(const char *p, size_t n, struct sdb_buf *out);

/* Appends p[0..n) as a JSON string literal (JSON.stringify's escaping). */
void sdb_json_quote(struct sdb_buf *out, const char *p, size_t n);

/*
 * Writes value i as JSON text: compact when indent is 0, else pretty with
 * indent spaces (JSON.stringify(v, null, indent)). Numbers in canonical
 * form (num.h); exact keeps their digits.
 */
void sdb_json_write(const struct sdb_json_doc *d, size_t i, int indent,
		    int exact, struct sdb_buf *out);

#endif
