/* SPDX-License-Identifier: BSD-3-Clause
 * test_file.c - the one file opener (file.h): a regular file is read whole
 * and NUL-terminated; a directory, a FIFO without a writer (which must not
 * block), /dev/zero and a socket are refused at once with the path and the
 * kind; the size limit refuses exactly one byte more; a missing file is
 * DNSD_ENOENT. */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/file.h"

static char dir[] = "/tmp/dnsd-file.XXXXXX";
static char path[256], err[512];

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/dnsd-file.XXXXXX"))); }

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(regular_file_read_whole)
{
	write_file("a", "hello\n");
	char *data;
	size_t len;
	ck_assert_int_eq(file_read_all(path, 0, 6, &data, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(data, "hello\n");
	free(data);
	/* one byte over the limit */
	ck_assert_int_eq(file_read_all(path, 0, 5, &data, &len, err, sizeof(err)), DNSD_ERANGE);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(err, "larger than 5 bytes") && strncmp(err, path, strlen(path)) == 0, "%s", err);
	write_file("empty", "");
	ck_assert_int_eq(file_read_all(path, 0, 5, &data, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(data, "");
	free(data);
}
END_TEST

START_TEST(missing_file)
{
	snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(file_check_regular(path, 10, err, sizeof(err)), DNSD_ENOENT);
	ck_assert_msg(strstr(err, ": cannot open: No such file or directory") != NULL, "%s", err);
}
END_TEST

/* Returns how long the check took, in ms: each refusal must be at once. */
static long refused_ms(const char *p, const char *kind)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	char *data = (char *)1;
	size_t len;
	int rc = file_read_all(p, 0, 1 << 20, &data, &len, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_eq(rc, DNSD_EINVAL);
	ck_assert_ptr_null(data);
	char want[512];
	snprintf(want, sizeof(want), "%s: not a regular file (%s)", p, kind);
	ck_assert_str_eq(err, want);
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

START_TEST(special_files_refused_at_once)
{
	ck_assert_int_lt(refused_ms(dir, "a directory"), 1000);
	ck_assert_int_lt(refused_ms("/dev/zero", "a character device"), 1000);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_lt(refused_ms(path, "a FIFO"), 1000); /* no writer: would block a plain open() */
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	/* open() of a socket fails (ENXIO): refused all the same, with the path */
	ck_assert_int_eq(file_check_regular(sun.sun_path, 10, err, sizeof(err)), DNSD_EIO);
	ck_assert_msg(strncmp(err, sun.sun_path, strlen(sun.sun_path)) == 0, "%s", err);
	close(s);
}
END_TEST

START_TEST(extra_flags_apply)
{
	write_file("target", "x");
	char link[300];
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(file_check_regular(link, 10, err, sizeof(err)), 0);
	int fd = file_open_regular(link, O_NOFOLLOW, 10, err, sizeof(err));
	ck_assert_int_eq(fd, DNSD_EIO);
	ck_assert_msg(strstr(err, "cannot open") != NULL, "%s", err);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, regular_file_read_whole);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, special_files_refused_at_once);
	tcase_add_test(tc, extra_flags_apply);
	suite_add_tcase(s, tc);
	return s;
}
