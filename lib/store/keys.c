/*
 * keys.c - the internal-key layout, in one place (in the manner of
 * LevelDB's dbformat.h):
 *
 *   internal key = u8 n | namespace[n] | user key (1..4096 bytes)
 *
 * n is 0 for the default namespace (at most 255). Every key inside the
 * engine (WAL records, memtable, tables, manifest bounds) is an internal
 * key; the order is bytewise, a shorter key first on a common prefix
 * (sdb_key_cmp), so the keys of one namespace are contiguous and
 * [n|ns, sdb_prefix_succ(n|ns)) is exactly that namespace. Range delete
 * bounds (rangedel.c) are compared the same way but need not be whole
 * keys.
 */
#include "store/store.h"

int sdb_ikey_make(struct sdb_buf *b, const char *ns, size_t nslen,
		  const char *key, size_t klen, struct sdb_error *e)
{
	unsigned char l = (unsigned char)nslen;

	if (nslen > SDB_MAX_NS)
		return sdb_error_set(e, SDB_ELIMIT, "namespace longer than %d bytes", SDB_MAX_NS);
	if (klen == 0)
		return sdb_error_set(e, SDB_EINVAL, "empty key");
	if (klen > SDB_MAX_KEY)
		return sdb_error_set(e, SDB_ELIMIT, "key longer than %d bytes", SDB_MAX_KEY);
	sdb_buf_reset(b);
	sdb_buf_add(b, &l, 1);
	sdb_buf_add(b, ns, nslen);
	sdb_buf_add(b, key, klen);
	return sdb_buf_ok(b) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

void sdb_ikey_split(const unsigned char *ik, size_t n, const char **ns,
		    size_t *nslen, const char **key, size_t *klen)
{
	size_t l = n ? ik[0] : 0;

	if (l + 1 > n)
		l = n ? n - 1 : 0;
	*ns = (const char *)ik + 1;
	*nslen = l;
	*key = (const char *)ik + 1 + l;
	*klen = n ? n - 1 - l : 0;
}

int sdb_prefix_succ(struct sdb_buf *b)
{
	while (b->len && (unsigned char)b->data[b->len - 1] == 0xff)
		b->len--;
	if (!b->len)
		return 0;
	b->data[b->len - 1]++;
	return 1;
}
