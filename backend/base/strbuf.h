/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growing NUL-terminated string. Start from {0}; the first error sticks
 * in @rc (-ENOMEM, -EINVAL for a bad format) and later appends do nothing,
 * so a writer appends freely and checks once at the end. The caller frees
 * @s. Never logs.
 */
#ifndef VGPIO_STRBUF_H
#define VGPIO_STRBUF_H

#include <stddef.h>
#include <vgpio/types.h>

struct vg_strbuf {
	char *s; /* NULL until the first append */
	size_t len, cap;
	int rc;
};

void vg_strbuf_addn(struct vg_strbuf *b, const char *s, size_t n);
void vg_strbuf_add(struct vg_strbuf *b, const char *s);
void vg_strbuf_addf(struct vg_strbuf *b, const char *fmt, ...) VG_PRINTF(2, 3);

#endif /* VGPIO_STRBUF_H */
