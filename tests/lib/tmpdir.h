/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Temporary directories for tests: /tmp/vgpio-test-<what>-XXXXXX, removed
 * with everything in them, so that a test that failed half-way (files
 * and sockets it did not get to unlink) still leaves nothing behind.
 */
#ifndef VGPIO_TEST_TMPDIR_H
#define VGPIO_TEST_TMPDIR_H

#include <stddef.h>

#define VG_TMPDIR_PREFIX "/tmp/vgpio-test-"

/*
 * Create a fresh directory named VG_TMPDIR_PREFIX @what "-XXXXXX" (@what
 * may be "") and write its path to @buf (@len bytes). 0 or -errno.
 */
int vg_tmpdir_new(char *buf, size_t len, const char *what);

/*
 * Remove @dir and everything below it, not following symlinks. A path
 * outside VG_TMPDIR_PREFIX is refused (-EINVAL); NULL or "" does nothing.
 * 0, or -errno of the first entry that could not be removed.
 */
int vg_tmpdir_remove(const char *dir);

#endif /* VGPIO_TEST_TMPDIR_H */
