// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "num.h"

static int digit(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vg_num_parse(const char *s, size_t len, unsigned int flags, uint64_t max,
		 uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i;
	int d;

	if ((flags & VG_NUM_HEX) && len > 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (digit(s[i], base) < 0)
			return -EINVAL;
	if (base == 10 && len > 1 && s[0] == '0')
		return -EDOM;
	for (i = 0; i < len; i++) {
		d = digit(s[i], base);
		if ((uint64_t)d > max || v > (max - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

int vg_num(const char *s, unsigned int flags, uint64_t max, uint64_t *out)
{
	return vg_num_parse(s, strlen(s), flags, max, out);
}

bool vg_lineref_offset(const char *ref, unsigned int *off)
{
	uint64_t v;

	if (vg_num(ref, 0, UINT_MAX, &v))
		return false;
	*off = (unsigned int)v;
	return true;
}
