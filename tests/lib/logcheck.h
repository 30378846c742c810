/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For tests that check what a log said: a clock for struct vg_log_sink
 * that moves only when the test moves it, and a count of what a text
 * holds. Plain C (no cmocka), so fuzzers may link it too.
 */
#ifndef VGPIO_TEST_LOGCHECK_H
#define VGPIO_TEST_LOGCHECK_H

#include <stdint.h>

/* For vg_log_sink.now_ns, with now_arg a uint64_t the test sets. */
uint64_t vg_test_clock(void *arg);

/* How many times @what occurs in @s, without overlaps. */
unsigned int vg_test_count(const char *s, const char *what);

#endif /* VGPIO_TEST_LOGCHECK_H */
