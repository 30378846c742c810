// SPDX-License-Identifier: BSD-3-Clause
/* What a log said, for tests (logcheck.h). */
#include <string.h>
#include "logcheck.h"

uint64_t vg_test_clock(void *arg)
{
	return *(const uint64_t *)arg;
}

unsigned int vg_test_count(const char *s, const char *what)
{
	size_t n = strlen(what);
	unsigned int count = 0;

	while (n && (s = strstr(s, what))) {
		count++;
		s += n;
	}
	return count;
}
