/* SPDX-License-Identifier: BSD-3-Clause
 * process_stats.c - process_* figures from /proc, as procfs (the library
 * behind client_golang's process collector) reads them: /proc/self/stat
 * fields 14, 15, 22, 23 and 24, btime from /proc/stat, the entries of
 * /proc/self/fd, getrlimit(). No state, no allocation. */
#include "util/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/err.h"

const struct process_stats_family process_stats_families[7] = {
	{ "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds." },
	{ "process_resident_memory_bytes", "gauge", "Resident memory size in bytes." },
	{ "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes." },
	{ "process_virtual_memory_max_bytes", "gauge",
	  "Maximum amount of virtual memory available in bytes." },
	{ "process_open_fds", "gauge", "Number of open file descriptors." },
	{ "process_max_fds", "gauge", "Maximum number of open file descriptors." },
	{ "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds." },
};

double process_stats_value(const struct process_stats *s, unsigned i)
{
	switch (i) {
	case 0: return s->cpu_seconds;
	case 1: return (double)s->resident_bytes;
	case 2: return (double)s->virtual_bytes;
	case 3: return s->virtual_max_bytes;
	case 4: return (double)s->open_fds;
	case 5: return (double)s->max_fds;
	case 6: return s->start_time_s;
	default: return 0;
	}
}

/* Reads a small /proc file whole into buf (NUL-terminated). */
static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DNSD_EIO;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			close(fd);
			return DNSD_EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}

/* The boot time in seconds since the epoch ("btime" in /proc/stat). */
static int read_btime(unsigned long long *btime)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return DNSD_EIO;
	char line[512];
	int rc = DNSD_EPARSE;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "btime %llu", btime) == 1) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static uint64_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	uint64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

int process_stats_read(struct process_stats *dest)
{
	memset(dest, 0, sizeof(*dest));
	char stat[1024];
	if (read_small("/proc/self/stat", stat, sizeof(stat)) != 0)
		return DNSD_EIO;
	/* comm (field 2) may hold spaces and parentheses: fields 3.. follow the
	 * last ')' */
	const char *p = strrchr(stat, ')');
	if (!p)
		return DNSD_EPARSE;
	unsigned long long utime, stime, starttime, vsize;
	long long rss;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice threads itrealvalue starttime
	 * vsize rss */
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu "
		   "%lld",
		   &utime, &stime, &starttime, &vsize, &rss) != 5)
		return DNSD_EPARSE;
	unsigned long long btime;
	int rc = read_btime(&btime);
	if (rc != 0)
		return rc;
	long hz = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	if (hz <= 0 || page <= 0)
		return DNSD_EIO;
	dest->cpu_seconds = (double)(utime + stime) / (double)hz;
	dest->start_time_s = (double)btime + (double)starttime / (double)hz;
	dest->virtual_bytes = vsize;
	dest->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		dest->max_fds = rl.rlim_cur;
	if (getrlimit(RLIMIT_AS, &rl) == 0)
		dest->virtual_max_bytes = rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0
								       : (double)rl.rlim_cur;
	dest->open_fds = count_fds();
	return 0;
}
