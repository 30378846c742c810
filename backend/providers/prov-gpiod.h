/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "gpiod": host GPIO lines through libgpiod v2, a line provider
 * (vg_gpiod_provider_ops). The only file that includes <gpiod.h> is
 * prov-gpiod.c; it is linked into vgpiod and vgpio-assign, never into the
 * device core, so the core builds and is tested without libgpiod.
 *
 * Chips are named by label ("vgpio-sim"), by "gpiochipN", or by any path to
 * the character device ("/dev/gpiochip3", "/dev/gpio/by-name/x"). A label
 * that several chips carry is an error naming them. Lines are named by
 * offset (decimal) or by name; a decimal string is always an offset.
 *
 * Each line is its own exclusive request with the consumer given to
 * line_open; direction and edge changes reconfigure that request in place,
 * so a line is never released while the daemon holds it and an output
 * value is set together with the switch to output. Active-low is applied
 * by the kernel: every value here is logical. Edge events are read from
 * each request's fd through one epoll fd (the provider fd); per-line
 * sequence numbers are checked, and a gap (the kernel's event buffer
 * overflowed) is logged and counted.
 *
 * Lines can be lent (provider.h, line_lend/line_reclaim): the request's fd
 * goes to a worker, which drives the line with the kernel's ioctls
 * ("linefd", linefd.h); meanwhile this provider reads none of its events
 * and changes nothing, and taking it back rewrites the whole
 * configuration from this provider's own record.
 */
#ifndef VGPIO_PROV_GPIOD_H
#define VGPIO_PROV_GPIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <vgpio/provider.h>
#include "log.h"

struct vg_gpiod;

extern const struct vg_provider_ops vg_gpiod_provider_ops;

/* 0 or -errno. @log may be NULL. */
int vg_gpiod_new(struct vg_log *log, struct vg_gpiod **out);
void vg_gpiod_free(struct vg_gpiod *g);
struct vg_provider vg_gpiod_provider(struct vg_gpiod *g);

/* Events lost to kernel buffer overflows since vg_gpiod_new(). */
unsigned long vg_gpiod_lost_events(const struct vg_gpiod *g);

/* What vg_gpiod_probe() found out about a host line. */
struct vg_gpiod_probe {
	char path[300]; /* the chip's device node */
	char label[64]; /* the chip's label */
	unsigned int offset;
	char name[64]; /* the line's name, "" if none */
	bool used; /* requested by some consumer */
	char consumer[64];
};

/*
 * Resolve @chip and @line (as a policy names them) without requesting the
 * line. 0, or -ENOENT (no such chip or line), -EINVAL (ambiguous label,
 * not a GPIO chip) or another -errno, with a message naming the chip and
 * line in @err. Never logs.
 */
int vg_gpiod_probe(const char *chip, const char *line, struct vg_gpiod_probe *p,
		   char *err, size_t errlen);

#endif /* VGPIO_PROV_GPIOD_H */
