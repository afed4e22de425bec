/* err.c - error codes, messages and detail records (see err.h). */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sdb_strerror(int code)
{
	switch (code) {
	case SDB_OK: return "success";
	case SDB_ENOMEM: return "out of memory";
	case SDB_EIO: return "i/o error";
	case SDB_EPARSE: return "malformed input";
	case SDB_EINVAL: return "invalid argument";
	case SDB_ENOTFOUND: return "not found";
	case SDB_ECORRUPT: return "data corruption";
	case SDB_EBUSY: return "resource busy";
	case SDB_ECONFLICT: return "transaction conflict";
	case SDB_EVERSION: return "unsupported format version";
	case SDB_ELIMIT: return "size limit exceeded";
	case SDB_EUNSUPPORTED: return "unsupported";
	}
	return "unknown error";
}

void sdb_error_clear(struct sdb_error *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->offset = -1;
}

static void vset(struct sdb_error *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	e->sys_errno = 0;
	e->line = e->column = 0;
	e->offset = -1;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int sdb_error_set(struct sdb_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int sdb_error_at(struct sdb_error *e, int code, long line, long column,
		 const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	e->line = line;
	e->column = column;
	return code;
}

int sdb_error_code(struct sdb_error *e, int code)
{
	if (code < 0 && e && (e->code != code || !e->msg[0]))
		sdb_error_set(e, code, "%s", sdb_strerror(code));
	return code;
}

int sdb_error_sys(struct sdb_error *e, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (!e)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	e->sys_errno = saved;
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(saved));
	return code;
}

const char *sdb_error_format(const struct sdb_error *e, char *out, size_t n)
{
	const char *msg = e->msg[0] ? e->msg : sdb_strerror(e->code);

	if (e->line > 0)
		snprintf(out, n, "line %ld, column %ld: %s", e->line, e->column,
			 msg);
	else
		snprintf(out, n, "%s", msg);
	return out;
}
