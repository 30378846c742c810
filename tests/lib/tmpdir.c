// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tmpdir.h"

int vg_tmpdir_new(char *buf, size_t len, const char *what)
{
	int n = snprintf(buf, len, "%s%s%sXXXXXX", VG_TMPDIR_PREFIX, what,
			 *what ? "-" : "");

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

/* nftw() callbacks get no context: the first error travels in the result. */
static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 &&
	    errno != ENOENT)
		return errno;
	return 0;
}

int vg_tmpdir_remove(const char *dir)
{
	int r;

	if (!dir || !*dir)
		return 0;
	if (strncmp(dir, VG_TMPDIR_PREFIX, strlen(VG_TMPDIR_PREFIX)) ||
	    strstr(dir, "/.."))
		return -EINVAL;
	r = nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	if (r < 0)
		return errno == ENOENT ? 0 : -errno;
	return -r;
}
