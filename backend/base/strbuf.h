/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one growable buffer: a NUL-terminated string. Start from {0} (or
 * set @max first); the first error sticks in @rc (-ENOMEM, -EINVAL for a
 * bad format, -ENOBUFS when an append would pass @max) and later appends
 * do nothing, so a writer appends freely and checks once at the end. An
 * append that fails adds nothing. The caller frees @s. Never logs.
 */
#ifndef VGPIO_STRBUF_H
#define VGPIO_STRBUF_H

#include <stddef.h>
#include <vgpio/types.h>

struct vg_strbuf {
	char *s; /* NULL until the first append */
	size_t len, cap;
	size_t max; /* most bytes it may hold (NUL not counted); 0 = no bound */
	int rc;
};

void vg_strbuf_addn(struct vg_strbuf *b, const char *s, size_t n);
void vg_strbuf_add(struct vg_strbuf *b, const char *s);
void vg_strbuf_addf(struct vg_strbuf *b, const char *fmt, ...) VG_PRINTF(2, 3);
/* Drop the first @n bytes (a queue that was partly sent); at most len. */
void vg_strbuf_consume(struct vg_strbuf *b, size_t n);
/* Free the string and start over ({0}, @max kept). */
void vg_strbuf_reset(struct vg_strbuf *b);

#endif /* VGPIO_STRBUF_H */
