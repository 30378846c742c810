// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "listen.h"

static int make_parent_dir(const char *path, struct vg_log *log)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	if (!slash || slash == path)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		vg_log_warnx(log, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	if (errno != ENOENT || mkdir(dir, 0700) < 0) {
		int rc = -errno;

		vg_log_warn(log, "%s: cannot create directory", dir);
		return rc;
	}
	return 0;
}

/* Something at @path: a stale socket is removed, anything else refused. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, int type,
		       struct vg_log *log)
{
	struct stat st;
	int fd, r, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		vg_log_warnx(log, "%s: exists and is not a socket, refusing",
			     path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	rc = r < 0 ? errno : 0;
	close(fd);
	if (rc != ECONNREFUSED && rc != ENOENT) {
		vg_log_warnx(log, "%s: another process listens on it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		vg_log_warn(log, "%s: cannot remove stale socket", path);
		return rc;
	}
	return 0;
}

int vg_listen_unix(const char *path, int type, struct vg_log *log)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old_mask;
	int fd, r, rc;

	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		vg_log_warnx(log, "%s: bad socket path length", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = make_parent_dir(path, log);
	if (rc)
		return rc;
	rc = clear_stale(path, &sa, type, log);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		vg_log_warn(log, "socket");
		return rc;
	}
	/*
	 * The socket file is created by bind() with the umask applied: narrow
	 * it so the socket is never, even briefly, reachable by others.
	 */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		vg_log_warn(log, "%s: cannot listen", path);
		if (r == 0)
			unlink(path);
		close(fd);
		return rc;
	}
	return fd;
}

int vg_listener_open(struct vg_listener *l, struct vg_evloop *ev,
		     const char *path, int type, struct vg_log *log,
		     vg_ev_fn fn, void *arg)
{
	int rc;

	l->ev = ev;
	l->fd = -1;
	l->path = strdup(path);
	if (!l->path)
		return -ENOMEM;
	rc = vg_listen_unix(path, type, log);
	if (rc < 0)
		goto err;
	l->fd = rc;
	rc = vg_evloop_add(ev, l->fd, EPOLLIN, fn, arg);
	if (rc)
		goto err;
	return 0;
err:
	if (l->fd >= 0) {
		close(l->fd);
		unlink(path);
		l->fd = -1;
	}
	free(l->path);
	l->path = NULL;
	return rc;
}

void vg_listener_close(struct vg_listener *l)
{
	if (l->fd < 0)
		return;
	vg_evloop_del(l->ev, l->fd);
	close(l->fd);
	l->fd = -1;
	unlink(l->path);
	free(l->path);
	l->path = NULL;
}
