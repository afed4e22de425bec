/*
 * value.h - SQL values and SQLite's rules for them: affinity, comparison
 * with collations, arithmetic, casts, truth, text forms; the scalar and
 * aggregate function registry (func.c, date.c, printf.c).
 *
 * Owned by value.c (values, affinity, compare, arithmetic, cast, LIKE/GLOB,
 * collations, hashing), func.c (scalar and aggregate functions), date.c
 * (date/time functions), printf.c (printf/format). Pure: no store, no I/O.
 *
 * DESIGN. A value is 16 bytes: a type tag and either an int64, a double or
 * a pointer + length to bytes it does not own. Who owns the bytes: the
 * caller's arena (struct sdb_sql_arena, parse.h) for values computed while
 * a row is evaluated (reset by the executor between rows), a row buffer
 * for column values read from the store, or a long-lived owner (aggregate
 * state, sort runs) that copies them with sql_value_copy. TEXT is UTF-8
 * and not NUL-terminated (n bytes); functions that need a C string copy it.
 */
#ifndef SDB_SQL_VALUE_H
#define SDB_SQL_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "sql/parse.h" /* struct sdb_sql_arena */
#include "util/buf.h"
#include "util/err.h"

/* Same numbering as enum sdb_tv_type (store/tuple.h) and as SQLite's
 * typeof order: NULL < INTEGER/REAL < TEXT < BLOB. */
enum sql_vtype {
	SQLV_NULL = 0,
	SQLV_INT = 1,
	SQLV_REAL = 2,
	SQLV_TEXT = 3,
	SQLV_BLOB = 4,
};

struct sql_value {
	uint8_t type;    /* enum sql_vtype */
	uint8_t sub;     /* subtype (0; 'J' for JSON text later) */
	uint32_t n;      /* TEXT/BLOB length in bytes */
	union {
		int64_t i;
		double r;
		const char *z;
	} u;
};

static inline struct sql_value sql_null(void)
{
	struct sql_value v = { .type = SQLV_NULL };
	return v;
}
static inline struct sql_value sql_int(int64_t i)
{
	struct sql_value v = { .type = SQLV_INT, .u.i = i };
	return v;
}
static inline struct sql_value sql_real(double r)
{
	struct sql_value v = { .type = SQLV_REAL, .u.r = r };
	return v;
}
static inline struct sql_value sql_text(const char *z, size_t n)
{
	struct sql_value v = { .type = SQLV_TEXT, .n = (uint32_t)n, .u.z = z };
	return v;
}
static inline struct sql_value sql_blob(const void *p, size_t n)
{
	struct sql_value v = { .type = SQLV_BLOB, .n = (uint32_t)n, .u.z = (const char *)p };
	return v;
}

/* Column affinity (SQLite §3.1: determined from the declared type). */
enum sql_aff {
	SQL_AFF_BLOB = 'A',    /* "BLOB" / none */
	SQL_AFF_TEXT = 'B',
	SQL_AFF_NUMERIC = 'C',
	SQL_AFF_INTEGER = 'D',
	SQL_AFF_REAL = 'E',
};

/* Collating sequences. */
enum sql_coll { SQL_COLL_BINARY = 0, SQL_COLL_NOCASE = 1, SQL_COLL_RTRIM = 2 };

/* Affinity of a declared type per SQLite's rules ("INT" → INTEGER; "CHAR",
 * "CLOB", "TEXT" → TEXT; "BLOB" or none → BLOB; "REAL", "FLOA", "DOUB" →
 * REAL; else NUMERIC). decl may be NULL. */
enum sql_aff sql_affinity_of(const char *decl);

/* Looks up a collation name (case-insensitive). @return 0 with *out, or
 * SDB_ENOTFOUND ("no such collation sequence: X"). */
int sql_coll_find(const char *name, enum sql_coll *out, struct sdb_error *e);

/*
 * Applies a column affinity to v in place as SQLite does when storing
 * (TEXT that looks like a number becomes INTEGER or REAL under
 * NUMERIC/INTEGER/REAL; numbers become TEXT under TEXT affinity, their
 * text in mem; REAL affinity makes integers REAL; a REAL that is an exact
 * integer becomes INTEGER under NUMERIC/INTEGER). @return 0 or SDB_ENOMEM.
 */
int sql_value_apply_aff(struct sql_value *v, enum sql_aff aff,
			struct sdb_sql_arena *mem);

/*
 * Affinity applied to the operands of a comparison (SQLite §4.2): when
 * one operand has INTEGER/REAL/NUMERIC affinity and the other TEXT/BLOB
 * or none, NUMERIC is applied to the other; when one has TEXT and the
 * other none, TEXT is applied to the other. aff 0 means "no affinity"
 * (an expression that is not a column or CAST).
 */
void sql_cmp_affinity(enum sql_aff la, enum sql_aff ra, enum sql_aff *apply_l,
		      enum sql_aff *apply_r);

/*
 * Compares two values in SQLite's order: NULL < INTEGER/REAL (numerically,
 * exactly) < TEXT (by coll) < BLOB (memcmp). NULLs compare equal to each
 * other here (the three-valued logic is the caller's). @return <0, 0, >0.
 */
int sql_value_cmp(const struct sql_value *a, const struct sql_value *b,
		  enum sql_coll coll);

/* A hash consistent with sql_value_cmp(.., coll) == 0 (3 and 3.0 hash
 * alike; NOCASE folds ASCII; RTRIM ignores trailing spaces). */
uint64_t sql_value_hash(const struct sql_value *v, enum sql_coll coll);

/* Truth of a value in a WHERE/ON/CASE: -1 NULL, 0 false, 1 true (numbers
 * by != 0; TEXT/BLOB by their numeric prefix, as SQLite). */
int sql_value_truth(const struct sql_value *v);

/* Numeric conversions as SQLite's CAST / sqlite3_value_int64 / _double
 * (TEXT by its longest numeric prefix; out of range saturates). */
int64_t sql_value_to_int(const struct sql_value *v);
double sql_value_to_real(const struct sql_value *v);
/* v as a number for arithmetic: INT or REAL (TEXT/BLOB converted as
 * SQLite does: "12abc" → 12, "1e3" → 1000.0, "" → 0); NULL stays NULL. */
struct sql_value sql_value_numeric(const struct sql_value *v);

/* v's text as SQLite renders it (INTEGER as %lld, REAL as %!.15g:
 * "0.3", "100.0", "1.0e+20", "Inf"); TEXT as is; BLOB's bytes. Bytes in
 * mem (or pointing at v's own bytes). @return 0 or SDB_ENOMEM. */
int sql_value_text(const struct sql_value *v, struct sdb_sql_arena *mem,
		   struct sql_value *out);
/* A REAL as SQLite prints it (%!.15g) into buf (≥ 32 bytes).
 * @return the length. */
size_t sql_real_fmt(double r, char *buf);

/*
 * CAST(v AS type) with SQLite's rules (type: declared-type text, affinity
 * by sql_affinity_of; CAST to INTEGER of "1e3" is 1000, of 1.9 is 1; to
 * NUMERIC keeps an exact integer as INTEGER). @return 0 or SDB_ENOMEM.
 */
int sql_value_cast(const struct sql_value *v, const char *type,
		   struct sdb_sql_arena *mem, struct sql_value *out);

/*
 * Binary arithmetic and bit operators (SQL_OP_ADD, SUB, MUL, DIV, REM,
 * BITAND, BITOR, LSHIFT, RSHIFT, CONCAT from ast.h) with SQLite's rules:
 * NULL in, NULL out; int64 overflow of + - * goes to REAL; integer
 * division truncates; x/0 and x%0 are NULL; % of REALs works on their
 * integer parts (SQLite: REAL result); || concatenates the text forms.
 * Unary: SQL_OP_NEG (-(-2^63) is REAL 9.2233720368547758e18), SQL_OP_BITNOT,
 * SQL_OP_POS, SQL_OP_NOT (three-valued).
 * @return 0, SDB_ENOMEM.
 */
int sql_value_binop(int op, const struct sql_value *a,
		    const struct sql_value *b, struct sdb_sql_arena *mem,
		    struct sql_value *out, struct sdb_error *e);
int sql_value_unop(int op, const struct sql_value *a, struct sql_value *out,
		   struct sdb_error *e);

/* LIKE (ASCII case-insensitive, esc 0 for none; a NUL-free pattern is
 * not required: both are byte ranges; a NUL byte ends either, as in
 * SQLite) and GLOB (case-sensitive, [..], [^..], ?, *). @return 1 match,
 * 0 no match. These are the matchers only: the operators `x LIKE y
 * [ESCAPE z]` and `x GLOB y` are SQLite's functions like(y, x[, z]) and
 * glob(y, x) (sql_func_find), which add the rules around them (NULL in,
 * NULL out; a BLOB operand never matches, as Debian's sqlite3 is built;
 * the ESCAPE must be one character; patterns over 50000 bytes are an
 * error), so evaluate the operators through those functions. */
int sql_like(const char *pat, size_t np, const char *s, size_t ns,
	     uint32_t esc);
int sql_glob(const char *pat, size_t np, const char *s, size_t ns);

/*
 * The value of an integer literal's text (SQL_E_INTEGER: decimal digits
 * or 0x hex digits), negated first when neg (the literal follows a unary
 * minus: -9223372036854775808 is an INTEGER). A decimal literal too big
 * for int64 is a REAL; hex digits are the 64-bit two's complement.
 * @return 0, SDB_EPARSE ("hex literal too big: 0x...").
 */
int sql_value_int_literal(const char *text, int neg, struct sql_value *out,
			  struct sdb_error *e);

/* Copies v's bytes (TEXT/BLOB) into mem so v outlives their source.
 * @return 0 or SDB_ENOMEM. */
int sql_value_copy(struct sql_value *v, struct sdb_sql_arena *mem);

/* ------------------------------------------------------------ functions */

struct sql_conn;

/* What a function may use: an arena for the bytes of its result, the
 * error detail for its message, and the connection (changes(),
 * last_insert_rowid(), the clock for 'now', random()). */
struct sql_fctx {
	struct sdb_sql_arena *mem;
	struct sdb_error *e;
	struct sql_conn *conn;
	int64_t now_ms;  /* the statement's 'now' (one value per statement) */
	uint8_t coll;    /* enum sql_coll of the arguments (min, max, nullif,
	                    instr ... compare under it); 0 BINARY */
};

typedef int (*sql_scalar_fn)(struct sql_fctx *c, int argc,
			     const struct sql_value *argv,
			     struct sql_value *out);

/* Aggregate: state is state_size zeroed bytes per group; step adds a row,
 * final writes the result (and may be called more than once for window
 * frames, so it must not destroy the state); inverse (may be NULL)
 * removes a row for sliding window frames; destroy frees what the state
 * owns (may be NULL). */
struct sql_agg_def {
	size_t state_size;
	int (*step)(struct sql_fctx *c, void *state, int argc,
		    const struct sql_value *argv);
	int (*inverse)(struct sql_fctx *c, void *state, int argc,
		       const struct sql_value *argv);
	int (*final)(struct sql_fctx *c, void *state, struct sql_value *out);
	void (*destroy)(void *state);
};

enum {
	SQL_FN_CONST = 1,    /* deterministic: same args, same result */
	SQL_FN_NEEDCONN = 2, /* reads connection state (changes() ...) */
	SQL_FN_WINDOW = 4,   /* a window-only function (row_number ...), run by exec */
};

struct sql_func_def {
	const char *name;     /* lower case */
	int nargmin, nargmax; /* nargmax -1: any number */
	unsigned flags;
	sql_scalar_fn fn;     /* scalar, or NULL */
	const struct sql_agg_def *agg; /* aggregate, or NULL */
};

/* Finds a function by name (case-insensitive) taking argc arguments.
 * @return the definition, or NULL (*wrong_args set to 1 when the name
 * exists with another argument count: "wrong number of arguments to
 * function X()"). */
/* Adds n rows to a count(*) state (an executor that counted rows without
 * stepping them; state NULL: only asks). @return 1 when agg is count's,
 * else 0 (nothing done). */
int sql_agg_count_add(const struct sql_agg_def *agg, void *state, int64_t n);
const struct sql_func_def *sql_func_find(const char *name, size_t len,
					 int argc, int *wrong_args);

#endif
