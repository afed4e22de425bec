/*
 * jtree.h - a mutable JSON value tree and a JSON event sink.
 *
 * The fast paths (json.h's tape, decoders writing JSON text through the
 * text sink) never build a tree. This module is the slow, general path
 * for what needs one: JavaScript's rule for duplicate keys (the last
 * value wins, at the first position), decoders that resolve duplicate
 * keys last-write-wins (the tree sink), and rewrites of a whole document
 * by its users (deep merges). Objects are ordered arrays of entries;
 * lookups are linear.
 */
#ifndef SDB_JTREE_H
#define SDB_JTREE_H

#include "util/buf.h"
#include "util/err.h"
#include "json/json.h"

#include <stddef.h>

struct sdb_jv;

struct sdb_jent {
	char *key; /* NULL in arrays */
	size_t klen;
	int quoted; /* the key was quoted in its source text */
	const char *at; /* where the key stands in its source (sdb_jsink key()) */
	struct sdb_jv *v;
};

struct sdb_jv {
	int type;  /* enum sdb_jtype */
	char *s;   /* string bytes, or canonical number text */
	size_t n;
	struct sdb_jent *ents;
	size_t len, cap;
};

void sdb_jv_free(struct sdb_jv *v);

/* A new value of type with a copy of s[0..n) (s may be NULL). @return it,
 * or NULL when out of memory. */
struct sdb_jv *sdb_jv_new(int type, const char *s, size_t n);

/* The entry of object o with key k[0..n), or NULL. */
struct sdb_jent *sdb_jv_find(struct sdb_jv *o, const char *k, size_t n);

/*
 * Appends an entry with a copy of key k (NULL in arrays) to o; takes
 * ownership of v only on success. @return 0 or SDB_ENOMEM.
 */
int sdb_jv_append(struct sdb_jv *o, const char *k, size_t n, int quoted, const char *at,
		  struct sdb_jv *v);

/*
 * Builds a tree from tape value i; duplicate keys resolve as JSON.parse
 * does. @return 0 or SDB_ENOMEM.
 */
int sdb_jv_from_tape(const struct sdb_json_doc *d, size_t i, struct sdb_jv **out);

/* Appends v as compact JSON. Number text is written as stored. */
void sdb_jv_write(const struct sdb_jv *v, struct sdb_buf *out);

/*
 * An event sink: how decoders hand out JSON without committing to a
 * representation. Callbacks return 0, or a negative sdb_err to stop.
 * scalar(): type is SDB_J_NULL/FALSE/TRUE/NUMBER/STRING; for NUMBER p is
 * the literal as written, for STRING the value's bytes.
 */
/* Flag on scalar()'s type: the number's text is already canonical. */
#define SDB_JSINK_CANON 0x100

struct sdb_jsink {
	int (*begin)(struct sdb_jsink *s, int type);
	int (*end)(struct sdb_jsink *s);
	/* quoted: the key was quoted in its source; at: where it stands
	 * there (for error positions of the sink's users; NULL: unknown) */
	int (*key)(struct sdb_jsink *s, const char *p, size_t n, int quoted, const char *at);
	int (*scalar)(struct sdb_jsink *s, int type, const char *p, size_t n);
	/* optional: declare the keys of the rows that follow (a table), then
	 * name them by index; lets a writer prepare each key once */
	int (*keys)(struct sdb_jsink *s, char *const *k, const size_t *n, size_t count);
	int (*key_at)(struct sdb_jsink *s, size_t i);
};

/* A sink writing compact JSON (numbers canonical, exact keeps digits).
 * With jsonl, the elements of a root array are written one per line. */
struct sdb_jsink_text {
	struct sdb_jsink base;
	struct sdb_buf *out;
	int exact, jsonl;
	int depth;
	int need_comma;
	unsigned char *types; /* container type per depth; 0: JSON-lines root */
	size_t tcap;
	struct sdb_buf kq;    /* prepared table keys: "key": */
	size_t *koff;         /* offsets into kq, count + 1 */
	size_t kcap;
};
void sdb_jsink_text_init(struct sdb_jsink_text *s, struct sdb_buf *out,
			 int exact, int jsonl);
void sdb_jsink_text_release(struct sdb_jsink_text *s);

/* A sink building a tree, last-write-wins on duplicate keys. */
struct sdb_jsink_tree {
	struct sdb_jsink base;
	int exact;
	struct sdb_jv *root;
	struct sdb_jv **stack;
	size_t depth, cap;
	char *pkey; /* pending key */
	size_t pklen;
	const char *pat;
	int pquoted;
};
void sdb_jsink_tree_init(struct sdb_jsink_tree *s, int exact);
void sdb_jsink_tree_release(struct sdb_jsink_tree *s);

#endif
