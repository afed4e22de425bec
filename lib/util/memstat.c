/*
 * memstat.c - /proc/self/status figures and the RssAnon sampler (memstat.h).
 */
#include "util/memstat.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The "Name:   123 kB" value after key in buf, in bytes (0 if absent). */
static uint64_t field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	uint64_t v = 0;

	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v * 1024;
}

int sdb_memstat_read(struct sdb_memstat *m)
{
	char buf[4096];
	ssize_t k;
	int fd;

	memset(m, 0, sizeof(*m));
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k <= 0)
		return -1;
	buf[k] = 0;
	m->rss = field(buf, "\nVmRSS:");
	m->hwm = field(buf, "\nVmHWM:");
	m->anon = field(buf, "\nRssAnon:");
	m->file = field(buf, "\nRssFile:");
	return 0;
}

static struct {
	pthread_t thread;
	int running, stop;
	unsigned interval_ms;
	uint64_t anon_peak;
} S;

void sdb_memstat_sample(void)
{
	struct sdb_memstat m;
	uint64_t cur;

	if (sdb_memstat_read(&m))
		return;
	cur = __atomic_load_n(&S.anon_peak, __ATOMIC_RELAXED);
	while (m.anon > cur &&
	       !__atomic_compare_exchange_n(&S.anon_peak, &cur, m.anon, 0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static void *run(void *arg)
{
	struct timespec ts;

	(void)arg;
	ts.tv_sec = S.interval_ms / 1000;
	ts.tv_nsec = (long)(S.interval_ms % 1000) * 1000000L;
	while (!__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE)) {
		sdb_memstat_sample();
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int sdb_memstat_start(unsigned interval_ms)
{
	S.interval_ms = interval_ms ? interval_ms : 1;
	S.stop = 0;
	sdb_memstat_sample();
	if (pthread_create(&S.thread, NULL, run, NULL))
		return -1;
	S.running = 1;
	return 0;
}

uint64_t sdb_memstat_stop(void)
{
	if (S.running) {
		__atomic_store_n(&S.stop, 1, __ATOMIC_RELEASE);
		pthread_join(S.thread, NULL);
		S.running = 0;
	}
	sdb_memstat_sample();
	return S.anon_peak;
}
