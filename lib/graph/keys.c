/*
 * keys.c - the graph's key and value layout (keys.h has the design; the
 * same text, byte by byte, is in doc/FORMAT.md "Graph").
 */
#include "graph/keys.h"

#include "store/store.h"
#include "store/tuple.h"
#include "util/varint.h"

#include <string.h>

int sdb_gkey_ns(struct sdb_buf *b, const char *ns, size_t n, struct sdb_error *e)
{
	if (!n)
		return sdb_error_set(e, SDB_EINVAL, "empty graph name");
	if (n > SDB_GRAPH_MAX_NS)
		return sdb_error_set(e, SDB_ELIMIT, "graph name longer than %d bytes",
				     SDB_GRAPH_MAX_NS);
	sdb_buf_reset(b);
	sdb_buf_adds(b, SDB_GRAPH_NS_PREFIX);
	sdb_buf_add(b, ns, n);
	return sdb_buf_ok(b) ? 0 : sdb_error_code(e, SDB_ENOMEM);
}

void sdb_gkey_text(struct sdb_buf *b, const void *p, size_t n)
{
	struct sdb_tv v = { SDB_TV_TEXT, 0, 0, p ? p : "", n };

	/* without a zero byte the element is the bytes between its tag and
	 * end mark (store/tuple.h), written at once */
	if (n <= 4096 && (!n || !memchr(p, 0, n))) {
		sdb_buf_addc(b, SDB_TUPLE_TEXT);
		sdb_buf_add(b, n ? p : "", n);
		sdb_buf_add(b, "\0\0", 2);
		return;
	}
	sdb_tuple_add(b, &v, 0);
}

void sdb_gkey_int(struct sdb_buf *b, uint64_t x, int desc)
{
	struct sdb_tv v = { SDB_TV_INT, (int64_t)x, 0, NULL, 0 };

	sdb_tuple_add(b, &v, desc);
}

size_t sdb_gkey_get_int(const unsigned char *p, size_t n, int desc, uint64_t *out)
{
	int64_t x;
	long r = desc ? sdb_tuple_decode_int_desc(p, n, &x) : sdb_tuple_decode_int(p, n, &x);

	if (r <= 0 || x < 0)
		return 0;
	*out = (uint64_t)x;
	return (size_t)r;
}

size_t sdb_gkey_get_text(const unsigned char *p, size_t n, struct sdb_buf *out)
{
	struct sdb_tv v;
	size_t at = out->len;
	long r = sdb_tuple_decode1(p, n, 0, 0, &v, out, NULL);

	if (r <= 0 || v.type != SDB_TV_TEXT)
		return 0;
	/* decode1 appends the bytes to out; v.p points at them */
	(void)at;
	return (size_t)r;
}

void sdb_gval_make(struct sdb_buf *b, const struct sdb_gtimes *t, uint64_t cover,
		   const char *type, size_t typen, int is_node,
		   const char *props, size_t propsn)
{
	unsigned char h[SDB_GRAPH_HDR + 10];
	size_t n = SDB_GRAPH_HDR;

	sdb_buf_reset(b);
	sdb_put_u64(h, t->vu);
	sdb_put_u64(h + 8, t->ra);
	sdb_put_u64(h + 16, t->ea);
	sdb_put_u64(h + 24, cover);
	if (is_node)
		n += (size_t)sdb_put_varint(h + n, typen);
	sdb_buf_add(b, h, n);
	if (is_node)
		sdb_buf_add(b, type, typen);
	if (propsn)
		sdb_buf_add(b, props, propsn);
	else
		sdb_buf_adds(b, "{}");
}

int sdb_gval_parse(const char *v, size_t n, int is_node, struct sdb_gtimes *t,
		   uint64_t *cover, const char **type, size_t *typen,
		   const char **props, size_t *propsn)
{
	const unsigned char *p = (const unsigned char *)v, *end = p + n;
	uint64_t tl = 0;

	if (n < SDB_GRAPH_HDR)
		return SDB_ECORRUPT;
	t->vu = sdb_get_u64(p);
	t->ra = sdb_get_u64(p + 8);
	t->ea = sdb_get_u64(p + 16);
	if (cover)
		*cover = sdb_get_u64(p + 24);
	p += SDB_GRAPH_HDR;
	if (is_node) {
		if (!(p = sdb_get_varint(p, end, &tl)) || tl > (uint64_t)(end - p))
			return SDB_ECORRUPT;
		if (type) {
			*type = (const char *)p;
			*typen = (size_t)tl;
		}
		p += tl;
	}
	if (props) {
		*props = (const char *)p;
		*propsn = (size_t)(end - p);
	}
	return 0;
}

void sdb_gval_set_cover(char *v, uint64_t cover)
{
	sdb_put_u64((unsigned char *)v + 24, cover);
}
