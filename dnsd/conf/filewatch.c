/* SPDX-License-Identifier: BSD-3-Clause
 * filewatch.c - inotify on the directories that hold the watched files and
 * every symlink on the way to them (see filewatch.h). A path is resolved one
 * component at a time, as the kernel does; each symlink met and the final
 * name are recorded as (directory, name) pairs, and the directories are
 * watched. An event for a recorded name makes every file be resolved again
 * and compared with its baseline; the watches then move to the directories
 * the new resolution passes through. */
#include "conf/filewatch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/err.h"

#define FILEWATCH_HOPS_MAX 40 /* symlinks followed per path, as the kernel's MAXSYMLINKS */
#define FILEWATCH_MASK                                                                                       \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR)

/* What identifies a file's content without reading it. */
struct filewatch_state {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char *real; /* realpath(), or NULL when it does not resolve */
};

struct filewatch_file {
	char *path; /* as given */
	struct filewatch_state state;
};

/* A name the resolution of files[file] passes through: a symlink, or the
 * file itself (is_final). dir has no symlinks in it. */
struct filewatch_name {
	char *dir;
	char *name;
	size_t file;
	bool is_final;
	int wd; /* the watch on dir, -1 if it could not be added */
};

struct filewatch {
	int fd;
	struct filewatch_file *files;
	size_t file_count;
	struct filewatch_name *names;
	size_t name_count, name_cap;
	int *wds; /* watches added, each once */
	size_t wd_count;
};

struct filewatch *filewatch_new(char *err, size_t errlen)
{
	struct filewatch *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "filewatch: out of memory");
		return NULL;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

static void names_clear(struct filewatch *w)
{
	for (size_t i = 0; i < w->name_count; i++) {
		free(w->names[i].dir);
		free(w->names[i].name);
	}
	w->name_count = 0;
}

static void files_clear(struct filewatch *w)
{
	for (size_t i = 0; i < w->file_count; i++) {
		free(w->files[i].path);
		free(w->files[i].state.real);
	}
	free(w->files);
	w->files = NULL;
	w->file_count = 0;
}

void filewatch_free(struct filewatch *w)
{
	if (!w)
		return;
	names_clear(w);
	free(w->names);
	files_clear(w);
	free(w->wds);
	close(w->fd);
	free(w);
}

int filewatch_fd(const struct filewatch *w) { return w->fd; }

static int name_add(struct filewatch *w, const char *dir, const char *name, size_t file, bool is_final)
{
	if (ARRAY_RESERVE_ONE(w->names, &w->name_cap, w->name_count, 8) != 0)
		return DNSD_ENOMEM;
	struct filewatch_name *n = &w->names[w->name_count];
	n->dir = strdup(dir[0] ? dir : "/");
	n->name = strdup(name);
	n->file = file;
	n->is_final = is_final;
	n->wd = -1;
	if (!n->dir || !n->name) {
		free(n->dir);
		free(n->name);
		return DNSD_ENOMEM;
	}
	w->name_count++;
	return 0;
}

/* cur = its parent ("" is the root, "." the working directory). */
static void dir_up(char *cur, size_t cap)
{
	char *slash = strrchr(cur, '/');
	if (strcmp(cur, ".") == 0 || (slash && strcmp(slash, "/..") == 0) || strcmp(cur, "..") == 0)
		strncat(cur, "/..", cap - strlen(cur) - 1);
	else if (slash)
		*slash = '\0';
	else
		strcpy(cur, ".");
}

/* Records the names files[file]'s path passes through, one component at a
 * time: a symlink's target is spliced in front of the components left. */
static int resolve(struct filewatch *w, size_t file)
{
	const char *path = w->files[file].path;
	char cur[PATH_MAX], rest[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
	if (strlen(path) >= sizeof(rest) || !path[0])
		return DNSD_ERANGE;
	strcpy(rest, path);
	strcpy(cur, path[0] == '/' ? "" : ".");
	unsigned hops = 0;
	for (;;) {
		char *r = rest;
		while (*r == '/')
			r++;
		if (!*r)
			return 0;
		size_t clen = strcspn(r, "/");
		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX)
			return DNSD_ERANGE;
		memcpy(comp, r, clen);
		comp[clen] = '\0';
		memmove(rest, r + clen, strlen(r + clen) + 1);
		bool is_last = rest[strspn(rest, "/")] == '\0';
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			dir_up(cur, sizeof(cur));
			continue;
		}
		if ((size_t)snprintf(next, sizeof(next), "%s/%s", cur, comp) >= sizeof(next))
			return DNSD_ERANGE;
		struct stat st;
		bool exists = lstat(next, &st) == 0;
		if (!exists && !is_last)
			return name_add(w, cur, comp, file, false); /* its creation resolves again */
		if (exists && S_ISLNK(st.st_mode) && hops < FILEWATCH_HOPS_MAX) {
			hops++;
			int rc = name_add(w, cur, comp, file, false);
			if (rc != 0)
				return rc;
			ssize_t n = readlink(next, target, sizeof(target) - 1);
			if (n < 0)
				return 0; /* gone meanwhile: the next event resolves again */
			target[n] = '\0';
			if ((size_t)snprintf(next, sizeof(next), "%s%s%s", target, rest[0] ? "/" : "",
					     rest) >= sizeof(next))
				return DNSD_ERANGE;
			strcpy(rest, next);
			if (target[0] == '/')
				cur[0] = '\0';
			continue;
		}
		if (is_last)
			return name_add(w, cur, comp, file, true);
		strcpy(cur, next); /* a directory */
	}
}

static void state_take(struct filewatch_state *s, const char *path)
{
	free(s->real);
	memset(s, 0, sizeof(*s));
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	s->exists = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	s->real = realpath(path, NULL);
}

static bool state_equal(const struct filewatch_state *a, const struct filewatch_state *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	if (a->dev != b->dev || a->ino != b->ino || a->size != b->size ||
	    a->mtime.tv_sec != b->mtime.tv_sec || a->mtime.tv_nsec != b->mtime.tv_nsec ||
	    a->ctime.tv_sec != b->ctime.tv_sec || a->ctime.tv_nsec != b->ctime.tv_nsec)
		return false;
	if (!a->real || !b->real)
		return a->real == b->real;
	return strcmp(a->real, b->real) == 0;
}

/* Watches every recorded name's directory and drops the watches no longer
 * needed. The first directory that cannot be watched is named in err. */
static int arm(struct filewatch *w, char *err, size_t errlen)
{
	int rc = 0;
	int *wds = calloc(w->name_count ? w->name_count : 1, sizeof(*wds));
	if (!wds)
		return DNSD_ENOMEM;
	size_t wd_count = 0;
	for (size_t i = 0; i < w->name_count; i++) {
		struct filewatch_name *n = &w->names[i];
		n->wd = inotify_add_watch(w->fd, n->dir, FILEWATCH_MASK);
		if (n->wd < 0) {
			if (rc == 0 && err && errlen)
				snprintf(err, errlen, "cannot watch %s (for %s): %s", n->dir,
					 w->files[n->file].path, strerror(errno));
			rc = DNSD_EIO;
			continue;
		}
		bool seen = false;
		for (size_t j = 0; j < wd_count && !seen; j++)
			seen = wds[j] == n->wd;
		if (!seen)
			wds[wd_count++] = n->wd;
	}
	for (size_t i = 0; i < w->wd_count; i++) {
		bool kept = false;
		for (size_t j = 0; j < wd_count && !kept; j++)
			kept = wds[j] == w->wds[i];
		if (!kept)
			inotify_rm_watch(w->fd, w->wds[i]); /* fails harmlessly if already gone */
	}
	free(w->wds);
	w->wds = wds;
	w->wd_count = wd_count;
	return rc;
}

static int resolve_all(struct filewatch *w)
{
	names_clear(w);
	for (size_t i = 0; i < w->file_count; i++) {
		int rc = resolve(w, i);
		if (rc == DNSD_ENOMEM)
			return rc;
	}
	return 0;
}

int filewatch_set(struct filewatch *w, const char *const *paths, size_t count, char *err, size_t errlen)
{
	struct filewatch_file *files = calloc(count ? count : 1, sizeof(*files));
	if (!files)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		/* a file watched before keeps its baseline: a change not yet
		 * reported stays reported */
		struct filewatch_file *old = NULL;
		for (size_t j = 0; j < w->file_count && !old; j++)
			if (w->files[j].path && strcmp(w->files[j].path, paths[i]) == 0)
				old = &w->files[j];
		if (old) {
			files[i] = *old;
			*old = (struct filewatch_file){ 0 };
			continue;
		}
		files[i].path = strdup(paths[i]);
		if (!files[i].path) {
			for (size_t j = 0; j <= i; j++) {
				free(files[j].path);
				free(files[j].state.real);
			}
			free(files);
			return DNSD_ENOMEM;
		}
		state_take(&files[i].state, paths[i]);
	}
	files_clear(w);
	names_clear(w);
	w->files = files;
	w->file_count = count;
	int rc = resolve_all(w);
	if (rc != 0)
		return rc;
	return arm(w, err, errlen);
}

static bool wd_is_ours(const struct filewatch *w, int wd)
{
	for (size_t i = 0; i < w->wd_count; i++)
		if (w->wds[i] == wd)
			return true;
	return false;
}

int filewatch_read(struct filewatch *w, char *changed, size_t changed_len)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool is_relevant = false;
	bool *rewritten = calloc(w->file_count ? w->file_count : 1, sizeof(*rewritten));
	if (!rewritten)
		return DNSD_ENOMEM;
	for (;;) {
		ssize_t len = read(w->fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == EAGAIN)
			break;
		if (len <= 0) {
			free(rewritten);
			return DNSD_EIO;
		}
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				is_relevant = true; /* events were lost: look at everything */
				continue;
			}
			if (!wd_is_ours(w, ev->wd))
				continue; /* a watch dropped by arm(): its last events */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				is_relevant = true;
				continue;
			}
			if (!ev->len)
				continue;
			for (size_t i = 0; i < w->name_count; i++) {
				const struct filewatch_name *n = &w->names[i];
				if (n->wd != ev->wd || strcmp(n->name, ev->name) != 0)
					continue;
				is_relevant = true;
				/* rewritten in place: the times may not have moved (they
				 * tick coarsely) nor the size */
				if (n->is_final && (ev->mask & IN_CLOSE_WRITE))
					rewritten[n->file] = true;
			}
		}
	}
	if (!is_relevant) {
		free(rewritten);
		return 0;
	}
	int rc = 0;
	for (size_t i = 0; i < w->file_count; i++) {
		struct filewatch_state now = { 0 };
		state_take(&now, w->files[i].path);
		if ((rewritten[i] || !state_equal(&now, &w->files[i].state)) && rc == 0) {
			rc = 1;
			if (changed && changed_len)
				snprintf(changed, changed_len, "%s", w->files[i].path);
		}
		free(w->files[i].state.real);
		w->files[i].state = now;
	}
	free(rewritten);
	int arc = resolve_all(w);
	if (arc == 0)
		arm(w, NULL, 0); /* a directory that cannot be watched is named at the next filewatch_set() */
	return arc != 0 ? arc : rc;
}
