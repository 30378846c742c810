// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: the policy file: read it, replace it atomically, put the
 * old text back, and the lock that makes an edit one transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "assign.h"

int vg_ptext_read(const char *path, bool missing_ok, struct vg_ptext *t)
{
	struct vg_strbuf b = {0};
	char chunk[65536];
	ssize_t r;
	int fd, rc = 0;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || !missing_ok)
			return -errno;
		t->s = calloc(1, 1);
		return t->s ? 0 : -ENOMEM;
	}
	if (fstat(fd, &t->st) < 0) {
		rc = -errno;
		goto out;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		vg_strbuf_addn(&b, chunk, (size_t)r);
		if (b.len > ASSIGN_FILE_MAX) {
			rc = -EFBIG;
			goto out;
		}
	}
	vg_strbuf_add(&b, ""); /* an empty file too is a string */
	if (b.rc)
		rc = -ENOMEM;
out:
	close(fd);
	if (rc) {
		free(b.s);
		return rc;
	}
	t->s = b.s;
	t->len = b.len;
	t->exists = true;
	return 0;
}

int vg_policy_load(const struct vg_assign *t, struct vg_ptext *text,
		   struct vg_config **cfg)
{
	struct vg_config_err e = {.file = t->policy};
	int rc = vg_ptext_read(t->policy, false, text);

	if (rc)
		snprintf(e.msg, sizeof(e.msg), "%s", strerror(-rc));
	else if (vg_config_parse_err(text->s, text->len, t->policy, cfg, &e))
		rc = -EINVAL;
	if (!rc)
		return RC_OK;
	vg_assign_policy_error(t, &e, "");
	free(text->s);
	text->s = NULL;
	return RC_FAIL;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t r = write(fd, s, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

/* fsync the directory holding @path, so that a rename in it is durable. */
static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int vg_file_replace(const char *path, const char *s, size_t len,
		    const struct stat *old)
{
	size_t n = strlen(path) + sizeof(".tmp.XXXXXX");
	char *tmp = malloc(n);
	int fd, rc;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = fchmod(fd, old ? old->st_mode & 07777 : 0644) ? -errno : 0;
	/*
	 * Keeping the owner needs privileges the caller may lack; then the
	 * file becomes the caller's, with the old mode.
	 */
	if (!rc && old && fchown(fd, old->st_uid, old->st_gid) < 0 &&
	    errno != EPERM)
		rc = -errno;
	if (!rc)
		rc = write_all(fd, s, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc ? rc : fsync_dir(path);
}

int vg_file_restore(const char *path, const struct vg_ptext *old)
{
	if (old->exists)
		return vg_file_replace(path, old->s, old->len, &old->st);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return fsync_dir(path);
}

int vg_lock_take(const char *path)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	size_t n = strlen(path) + sizeof(".lock");
	char *lock = malloc(n);
	int fd, waited = 0;

	if (!lock)
		return -ENOMEM;
	snprintf(lock, n, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if ((e != EWOULDBLOCK && e != EINTR) ||
		    waited >= ASSIGN_LOCK_WAIT_MS) {
			close(fd);
			return e == EWOULDBLOCK ? -ETIMEDOUT : -e;
		}
		nanosleep(&pause, NULL);
		waited += 50;
	}
	return fd;
}
