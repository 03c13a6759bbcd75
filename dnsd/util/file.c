/* SPDX-License-Identifier: BSD-3-Clause
 * file.c - opening and reading files dnsd is given (file.h): O_NONBLOCK so
 * that opening a FIFO without a writer does not wait, fstat() on the open
 * descriptor (no race with a rename between check and read), a size limit,
 * and reads that stop at an error or at the size fstat() reported plus one
 * byte (a file that grows while read is refused, not read without end). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int file_open_regular(const char *path, int extra_flags, size_t max_len, char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "(empty path): no file named");
		return DNSD_EINVAL;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | extra_flags);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return e == ENOENT ? DNSD_ENOENT : DNSD_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return DNSD_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
		close(fd);
		return DNSD_EINVAL;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)max_len) {
		snprintf(err, errlen, "%s: larger than %zu bytes (%lld)", path, max_len,
			 (long long)st.st_size);
		close(fd);
		return DNSD_ERANGE;
	}
	/* a regular file never blocks; clear the flag for stdio's sake */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int file_check_regular(const char *path, size_t max_len, char *err, size_t errlen)
{
	int fd = file_open_regular(path, 0, max_len, err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int file_read_all(const char *path, int extra_flags, size_t max_len, char **data, size_t *len, char *err,
		  size_t errlen)
{
	*data = NULL;
	*len = 0;
	int fd = file_open_regular(path, extra_flags, max_len, err, errlen);
	if (fd < 0)
		return fd;
	size_t cap = max_len + 1, got = 0;
	struct stat st;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size < max_len)
		cap = (size_t)st.st_size + 1;
	char *p = malloc(cap + 1);
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return DNSD_ENOMEM;
	}
	for (;;) {
		if (got == cap) {
			/* it grew since fstat(): read one more chunk, up to the limit */
			size_t more = cap > max_len ? 0
						    : (max_len + 1 - cap < 65536 ? max_len + 1 - cap : 65536);
			char *q = more ? realloc(p, cap + more + 1) : NULL;
			if (!q) {
				free(p);
				close(fd);
				snprintf(err, errlen, "%s: larger than %zu bytes", path, max_len);
				return DNSD_ERANGE;
			}
			p = q;
			cap += more;
		}
		ssize_t n = read(fd, p + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			free(p);
			close(fd);
			return DNSD_EIO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > max_len) {
		free(p);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max_len);
		return DNSD_ERANGE;
	}
	p[got] = '\0';
	*data = p;
	*len = got;
	return 0;
}
