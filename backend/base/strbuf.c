// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

/* Room for @n more bytes and the NUL; false (rc set) if there is none. */
static bool strbuf_room(struct vg_strbuf *b, size_t n)
{
	size_t need = b->len + n + 1, cap = b->cap ? b->cap : 256;
	char *s;

	if (b->rc)
		return false;
	if (b->max && (n > b->max || b->len > b->max - n)) {
		b->rc = -ENOBUFS;
		return false;
	}
	if (need <= b->cap)
		return true;
	while (cap < need)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->rc = -ENOMEM;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void vg_strbuf_addn(struct vg_strbuf *b, const char *s, size_t n)
{
	if (!strbuf_room(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void vg_strbuf_add(struct vg_strbuf *b, const char *s)
{
	vg_strbuf_addn(b, s, strlen(s));
}

void vg_strbuf_addf(struct vg_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->rc = -EINVAL;
		return;
	}
	if (!strbuf_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void vg_strbuf_consume(struct vg_strbuf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	if (!n)
		return;
	memmove(b->s, b->s + n, b->len - n + 1);
	b->len -= n;
}

void vg_strbuf_reset(struct vg_strbuf *b)
{
	size_t max = b->max;

	free(b->s);
	*b = (struct vg_strbuf){.max = max};
}
