/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "linefd": a line provider over kernel line-request fds that another
 * process requested, for a guest's worker. The parent keeps custody of its
 * real lines (the "gpiod" provider) and lends each of a domain's lines to
 * that domain's worker as a duplicate of the line request's fd (provider.h,
 * line_lend); the worker drives the line with the kernel's GPIO v2
 * line ioctls (<linux/gpio.h>) on that fd, so a GPIO request never leaves
 * the worker, and the worker needs neither libgpiod nor any device node:
 * it never opens anything.
 *
 *   parent: gpiod line_open -> line_lend -> fd --SCM_RIGHTS--> worker:
 *   vg_linefd_add(chip, line, fd) -> line_open -> SET_CONFIG, GET_VALUES,
 *   SET_VALUES on the fd; edge events read from the fd.
 *
 * Every fd is one request of exactly one line (index 0 of the request),
 * as the gpiod provider makes them. Lines are named as the policy names
 * them (chip and line strings compared as they are); claims() is true for
 * the chips this provider has lines of, and line_open() refuses any line
 * it was not given with -ENOENT. line_open() applies the spec's whole
 * configuration (direction, output value, active-low, bias, drive,
 * debounce, no edge detection), and every later change sends a complete
 * configuration again from this provider's own record of the line, never
 * a difference: nothing the line was left with by anyone else survives.
 * The consumer label stays the parent's (the kernel fixes it at request).
 *
 * Events: one epoll fd over the open lines' fds (fd()); dispatch() reads
 * struct gpio_v2_line_event records, checks the per-line sequence numbers
 * (a gap is logged and counted as lost) and delivers the edges the line
 * has enabled through its callback; never from inside an op. Events of a
 * line's previous edge setting are discarded when it changes.
 */
#ifndef VGPIO_LINEFD_H
#define VGPIO_LINEFD_H

#include <linux/gpio.h>
#include <vgpio/provider.h>
#include "log.h"

#define VG_LINEFD_NAME_MAX 64 /* bytes of a chip or line name, NUL incl. */
#define VG_LINEFD_LINES_MAX 512 /* lines one provider holds */

struct vg_linefd;

extern const struct vg_provider_ops vg_linefd_provider_ops;

/* 0 or -errno. @log may be NULL. */
int vg_linefd_new(struct vg_log *log, struct vg_linefd **out);
/* Closes every fd it was given, open lines or not. NULL is fine. */
void vg_linefd_free(struct vg_linefd *p);
struct vg_provider vg_linefd_provider(struct vg_linefd *p);

/*
 * Give the provider line @line of chip @chip (as the policy names them,
 * copied) as line-request fd @fd, with the host's name @name for it (NULL
 * or "" if none; copied, cut to 63 bytes). The fd is taken over in every
 * case: kept on success, closed on failure. 0, or -EINVAL (a name empty
 * or too long, a negative fd), -EEXIST (that line was given already and
 * is not closed), -ENOSPC (VG_LINEFD_LINES_MAX lines), -ENOMEM. Logs a
 * refusal.
 */
int vg_linefd_add(struct vg_linefd *p, const char *chip, const char *line,
		  int fd, const char *name);

/* Lines given and not closed yet (open or not). */
unsigned int vg_linefd_lines(const struct vg_linefd *p);

/* Events lost to kernel buffer overflows since vg_linefd_new(). */
unsigned long vg_linefd_lost_events(const struct vg_linefd *p);

/*
 * The one conversion from our settings to the kernel's: the complete
 * configuration of a one-line request for @spec's options (bias, drive,
 * active-low, debounce) in direction @dir, driving @value (output) or
 * detecting @edges (input; VG_EDGE_*). Follows the kernel's rules: drive
 * only with output, edge detection and debounce only with input, bias
 * with either. 0, or -EINVAL for a value out of its enum, a direction
 * other than IN or OUT, or edges on an output. Pure: exported for tests.
 */
int vg_linefd_config(const struct vg_line_spec *spec, enum vg_dir dir,
		     int value, unsigned int edges,
		     struct gpio_v2_line_config *cfg);

#endif /* VGPIO_LINEFD_H */
