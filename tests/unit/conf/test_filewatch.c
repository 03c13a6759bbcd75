/* SPDX-License-Identifier: BSD-3-Clause
 * test_filewatch.c - changes to watched files are seen however they are
 * made: the kubelet's atomic writer (a ConfigMap volume, laid out step by
 * step as pkg/volume/util/atomic_writer.go does it), an editor's
 * write-and-rename, an in-place rewrite of the same size, a file that
 * appears, a symlink into another directory; and other names in the same
 * directories (editor swap files, the writer's temporary names) are not a
 * change. Events are awaited with poll() and a deadline, never a sleep. */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/filewatch.h"

static char root[256];
static unsigned writes;

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];
	ck_assert_uint_lt(strlen(path), PATH_MAX);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/dnsd-filewatch.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
	writes = 0;
}

static void teardown(void) { rm_rf(root); }

static void path_in(char *out, const char *rel) { snprintf(out, PATH_MAX, "%s/%s", root, rel); }

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* One update of a ConfigMap volume at dir, as the kubelet's AtomicWriter
 * makes it: (5) a new timestamped directory "..YYYY_MM_DD_hh_mm_ss.<random>",
 * (6) the payload written into it, (7) user-visible symlinks "key ->
 * ..data/key" for new keys, (8) "..data_tmp" -> the new directory,
 * (9) renamed over "..data", (11) the previous directory removed. */
static void kubelet_write(const char *dir, const char *const *keys, const char *const *values, size_t n)
{
	char data[512], old[256] = "", ts[768], p[PATH_MAX];
	snprintf(data, sizeof(data), "%s/..data", dir);
	ssize_t len = readlink(data, old, sizeof(old) - 1);
	old[len > 0 ? len : 0] = '\0';
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(ts, sizeof(ts), "%s/..%04d_%02d_%02d_%02d_%02d_%02d.%u%06u", dir, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ++writes,
		 (unsigned)rand() % 1000000);
	ck_assert_int_eq(mkdir(ts, 0755), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", ts, keys[i]);
		write_file(p, values[i]);
	}
	for (size_t i = 0; i < n; i++) {
		char link[PATH_MAX], target[512];
		snprintf(link, sizeof(link), "%s/%s", dir, keys[i]);
		snprintf(target, sizeof(target), "..data/%s", keys[i]);
		struct stat st;
		if (lstat(link, &st) != 0)
			ck_assert_int_eq(symlink(target, link), 0);
	}
	snprintf(p, sizeof(p), "%s/..data_tmp", dir);
	ck_assert_int_eq(symlink(strrchr(ts, '/') + 1, p), 0);
	ck_assert_int_eq(rename(p, data), 0);
	if (old[0]) {
		snprintf(p, sizeof(p), "%s/%s", dir, old);
		rm_rf(p);
	}
}

/* filewatch_read() until it reports a change or 3 s pass: 1 and the path,
 * or 0 at the deadline. */
static int wait_change(struct filewatch *w, char *changed, size_t len)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = 3000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return 0;
		struct pollfd pfd = { .fd = filewatch_fd(w), .events = POLLIN };
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		int rc = filewatch_read(w, changed, len);
		ck_assert_int_ge(rc, 0);
		if (rc == 1)
			return 1;
	}
}

/* Events arrived (the descriptor became readable within 3 s), and none of
 * them was a change. */
static void expect_no_change(struct filewatch *w)
{
	struct pollfd pfd = { .fd = filewatch_fd(w), .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	char changed[PATH_MAX] = "";
	ck_assert_int_eq(filewatch_read(w, changed, sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
}

static struct filewatch *watch(const char *const *paths, size_t n)
{
	char err[512] = "";
	struct filewatch *w = filewatch_new(err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_msg(filewatch_set(w, paths, n, err, sizeof(err)) == 0, "%s", err);
	return w;
}

START_TEST(kubelet_configmap_updates_are_seen)
{
	char conf[PATH_MAX], zone[PATH_MAX], changed[PATH_MAX];
	path_in(conf, "dnsd.yaml");
	path_in(zone, "global.zone");
	const char *keys[] = { "dnsd.yaml", "global.zone" };
	const char *v1[] = { "listen: [\":53\"]\n", "; zone 1\n" };
	kubelet_write(root, keys, v1, 2);
	const char *paths[] = { conf, zone };
	struct filewatch *w = watch(paths, 2);

	/* the config changes: reported as the config */
	const char *v2[] = { "listen: [\":5353\"]\n", "; zone 1\n" };
	kubelet_write(root, keys, v2, 2);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, conf);
	/* the swap is followed: the next update, through a new ..data, too */
	const char *v3[] = { "listen: [\":5454\"]\n", "; zone 1\n" };
	kubelet_write(root, keys, v3, 2);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	/* every file moved to a new directory: the first in the set is named */
	ck_assert_str_eq(changed, conf);
	/* and a third, whose names all resolve into yet another directory */
	const char *v4[] = { "listen: [\":5454\"]\n", "; zone 2\n" };
	kubelet_write(root, keys, v4, 2);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	char buf[64] = "";
	FILE *f = fopen(zone, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "; zone 2\n");
	filewatch_free(w);
}
END_TEST

START_TEST(a_new_configmap_key_is_not_a_change_of_the_watched_ones)
{
	char conf[PATH_MAX];
	path_in(conf, "dnsd.yaml");
	const char *keys[] = { "dnsd.yaml" };
	const char *v1[] = { "a: 1\n" };
	kubelet_write(root, keys, v1, 1);
	const char *paths[] = { conf };
	struct filewatch *w = watch(paths, 1);
	/* a write of the same content: the kubelet skips it (step 4), but an
	 * unrelated file in the volume's directory is not a change either */
	char other[PATH_MAX];
	path_in(other, ".dnsd.yaml.swp");
	write_file(other, "x");
	expect_no_change(w);
	filewatch_free(w);
}
END_TEST

START_TEST(editor_rename_and_in_place_rewrites_are_seen)
{
	char conf[PATH_MAX], tmp[PATH_MAX], changed[PATH_MAX];
	path_in(conf, "dnsd.yaml");
	path_in(tmp, "dnsd.yaml.new");
	write_file(conf, "version: 1\n");
	const char *paths[] = { conf };
	struct filewatch *w = watch(paths, 1);

	/* vim, sed -i: a new file renamed over the old one */
	write_file(tmp, "version: 2\n");
	/* the temporary name itself is no change */
	expect_no_change(w);
	ck_assert_int_eq(rename(tmp, conf), 0);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, conf);
	/* rewritten in place twice, same size, within one clock tick: both seen */
	write_file(conf, "version: 3\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	write_file(conf, "version: 4\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	/* A write that left no trace in stat(): on kernels whose file times
	 * tick coarsely (a jiffy), a rewrite within the tick of the last one
	 * looks like this. Closing a file opened for writing counts. */
	struct stat before, after;
	ck_assert_int_eq(stat(conf, &before), 0);
	int fd = open(conf, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(conf, &after), 0);
	ck_assert_int_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	filewatch_free(w);
}
END_TEST

START_TEST(a_file_that_appears_and_one_behind_a_symlink)
{
	char late[PATH_MAX], other[PATH_MAX], link[PATH_MAX], target[PATH_MAX], changed[PATH_MAX];
	path_in(late, "late.zone");
	path_in(other, "elsewhere");
	ck_assert_int_eq(mkdir(other, 0755), 0);
	path_in(target, "elsewhere/real.zone");
	write_file(target, "; 1\n");
	path_in(link, "link.zone");
	ck_assert_int_eq(symlink("elsewhere/real.zone", link), 0);
	const char *paths[] = { late, link };
	struct filewatch *w = watch(paths, 2);

	write_file(late, "; here now\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, late);
	/* the target of a symlink, in a directory of its own */
	write_file(target, "; 2\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, link);
	/* the symlink retargeted */
	char target2[PATH_MAX];
	path_in(target2, "elsewhere/real2.zone");
	write_file(target2, "; 3\n");
	expect_no_change(w);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink("elsewhere/real2.zone", link), 0);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, link);
	/* the watch followed: the old target is nothing to us now, the new one is */
	write_file(target, "; old\n");
	expect_no_change(w);
	write_file(target2, "; 4\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, link);
	/* a file in a directory that does not exist yet */
	char deep[PATH_MAX], deepdir[PATH_MAX];
	path_in(deepdir, "later");
	path_in(deep, "later/x.zone");
	const char *paths2[] = { deep };
	char err[256];
	ck_assert_int_eq(filewatch_set(w, paths2, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mkdir(deepdir, 0755), 0);
	expect_no_change(w);
	write_file(deep, "; there\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, deep);
	filewatch_free(w);
}
END_TEST

START_TEST(set_replaces_what_is_watched)
{
	char a[PATH_MAX], b[PATH_MAX], changed[PATH_MAX], err[256];
	path_in(a, "a.zone");
	path_in(b, "b.zone");
	write_file(a, "a\n");
	write_file(b, "b\n");
	const char *first[] = { a };
	struct filewatch *w = watch(first, 1);
	const char *second[] = { b };
	ck_assert_int_eq(filewatch_set(w, second, 1, err, sizeof(err)), 0);
	write_file(a, "a2\n");
	expect_no_change(w);
	write_file(b, "b2\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, b);
	filewatch_free(w);
	filewatch_free(NULL);
}
END_TEST

START_TEST(a_kept_path_keeps_its_baseline)
{
	char a[PATH_MAX], b[PATH_MAX], changed[PATH_MAX], err[256];
	path_in(a, "a.zone");
	path_in(b, "b.zone");
	write_file(a, "a\n");
	const char *first[] = { a };
	struct filewatch *w = watch(first, 1);
	/* a changes, then the set is replaced before the events are read: the
	 * change is still reported (against the old baseline) */
	write_file(a, "a, longer\n");
	const char *second[] = { a, b };
	ck_assert_int_eq(filewatch_set(w, second, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, a);
	/* b, new to the set and absent, appears */
	write_file(b, "b\n");
	ck_assert_int_eq(wait_change(w, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, b);
	filewatch_free(w);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *su = suite_create("filewatch");
	TCase *tc = tcase_create("filewatch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kubelet_configmap_updates_are_seen);
	tcase_add_test(tc, a_new_configmap_key_is_not_a_change_of_the_watched_ones);
	tcase_add_test(tc, editor_rename_and_in_place_rewrites_are_seen);
	tcase_add_test(tc, a_file_that_appears_and_one_behind_a_symlink);
	tcase_add_test(tc, set_replaces_what_is_watched);
	tcase_add_test(tc, a_kept_path_keeps_its_baseline);
	suite_add_tcase(su, tc);
	return su;
}
