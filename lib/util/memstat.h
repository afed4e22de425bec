/*
 * memstat.h - this process's memory figures from /proc/self/status, and
 * a sampler of the anonymous resident set's high-water mark.
 *
 * The kernel keeps a peak of the whole resident set (VmHWM) but none of
 * its anonymous part (RssAnon: heap and private mappings, without the
 * pages of mapped files), so a background thread samples RssAnon every
 * few milliseconds; sdb_memstat_sample also takes a sample on demand
 * (at the end of each phase). Linux only; elsewhere every figure is 0.
 */
#ifndef SDB_UTIL_MEMSTAT_H
#define SDB_UTIL_MEMSTAT_H

#include <stdint.h>

struct sdb_memstat {
	uint64_t rss, hwm;        /* VmRSS, VmHWM (bytes) */
	uint64_t anon, file;      /* RssAnon, RssFile (bytes) */
};

/* Reads the current figures. @return 0, or -1 when /proc is unreadable. */
int sdb_memstat_read(struct sdb_memstat *m);

/*
 * Starts the sampler thread (every interval_ms, at least 1). @return 0
 * or -1 (no thread: sdb_memstat_sample calls still record peaks).
 */
int sdb_memstat_start(unsigned interval_ms);
/* Takes one sample now. */
void sdb_memstat_sample(void);
/* Stops the sampler. @return the highest RssAnon seen (bytes). */
uint64_t sdb_memstat_stop(void);

#endif
