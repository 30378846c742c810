// SPDX-License-Identifier: BSD-3-Clause
#include <unistd.h>
#include "drain.h"

const char *vg_test_drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}
