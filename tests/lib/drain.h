/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read everything a non-blocking fd has now (a pipe the code under test
 * logs into) into @buf, NUL-terminated; at most @size - 1 bytes. Returns
 * @buf.
 */
#ifndef VGPIO_TEST_DRAIN_H
#define VGPIO_TEST_DRAIN_H

#include <stddef.h>

const char *vg_test_drain(int fd, char *buf, size_t size);

#endif /* VGPIO_TEST_DRAIN_H */
