/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read a whole file, for tests that check what a program wrote. Plain C
 * (no cmocka), so fuzzers may link it too.
 */
#ifndef VGPIO_TEST_SLURP_H
#define VGPIO_TEST_SLURP_H

#include <stddef.h>

/*
 * The contents of @path, NUL-terminated (the caller frees them), and
 * their length in *len if @len is not NULL; NULL with errno set if the
 * file cannot be read.
 */
char *vg_slurp(const char *path, size_t *len);

#endif /* VGPIO_TEST_SLURP_H */
