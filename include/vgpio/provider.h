/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The line-provider seam: how the virtio-gpio device drives host lines.
 * Implementations: "sim" (simulated chips, backend/providers/sim.c),
 * "gpiod" (host chips through libgpiod v2, backend/providers/prov-gpiod.c,
 * the only file that includes <gpiod.h>), "remote" (a worker's calls on
 * the parent's lines, remote.c) and "linefd" (a worker's real lines from
 * line-request fds the parent lent it, linefd.c). Tables are const, built
 * with designated initializers and checked once with
 * vg_provider_ops_valid().
 *
 * Values are logical (active-low already applied by the provider). A
 * provider only knows edges; the device builds level interrupts on top of
 * edges plus get_value().
 *
 * Events are asynchronous: a provider never calls the event callback from
 * inside one of its ops. It makes its fd readable (fd()) and delivers
 * pending events from dispatch(), which the event loop calls when the fd is
 * readable. This keeps the device free of re-entrancy (a guest's own output
 * wired to its own input fires later, not in the middle of its request).
 *
 * Errors are 0 or -errno. Providers log through their own struct vg_log.
 */
#ifndef VGPIO_PROVIDER_H
#define VGPIO_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

struct vg_line; /* a provider's handle on one host line (opaque) */

enum vg_dir {
	VG_DIR_IN = 1,
	VG_DIR_OUT = 2,
};

/* Edge detection (bit mask). */
#define VG_EDGE_NONE 0u
#define VG_EDGE_RISING 1u
#define VG_EDGE_FALLING 2u
#define VG_EDGE_BOTH (VG_EDGE_RISING | VG_EDGE_FALLING)

enum vg_bias {
	VG_BIAS_AS_IS = 0,
	VG_BIAS_DISABLED,
	VG_BIAS_PULL_UP,
	VG_BIAS_PULL_DOWN,
};

enum vg_drive {
	VG_DRIVE_PUSH_PULL = 0,
	VG_DRIVE_OPEN_DRAIN,
	VG_DRIVE_OPEN_SOURCE,
};

/* Where a line is and how it is electrically set up (from the policy). */
struct vg_line_spec {
	const char *chip; /* chip label, device path, or sim chip name */
	const char *line; /* line name, or a decimal offset */
	enum vg_bias bias;
	enum vg_drive drive;
	bool active_low;
	uint32_t debounce_us;
	/* State the line is opened in: input, or output at @initial. */
	enum vg_dir initial_dir;
	int initial_value;
};

/* Called from dispatch() for every edge seen on a line with detection on. */
typedef void (*vg_line_event_fn)(void *arg, unsigned int edge /* RISING or
								  FALLING */);

struct vg_provider_ops {
	const char *name;

	/*
	 * True if this provider serves chip @chip (as the policy names it).
	 * The daemon asks its providers in registration order and the first
	 * that claims a chip opens its lines; a provider that serves any
	 * chip it is asked for (gpiod) is registered last.
	 */
	bool (*claims)(void *prov, const char *chip);

	/*
	 * Acquire the line @spec names for exclusive use by @consumer and set
	 * it to its initial state. A line held by anyone else is -EBUSY; an
	 * unknown chip or line is -ENOENT. On failure logs one message naming
	 * the chip and line. @cb/@arg receive this line's edge events.
	 */
	int (*line_open)(void *prov, const struct vg_line_spec *spec,
			 const char *consumer, vg_line_event_fn cb, void *arg,
			 struct vg_line **out);
	/* Release the line (after the caller applied its safe state). */
	void (*line_close)(void *prov, struct vg_line *line);

	/* The host's name for the line ("" if it has none); never NULL. */
	const char *(*line_name)(void *prov, struct vg_line *line);

	/*
	 * Switch direction in place. For VG_DIR_OUT, @value is driven from
	 * the instant the line becomes an output (no glitch); it is ignored
	 * for VG_DIR_IN. Edge detection stays as set.
	 */
	int (*set_direction)(void *prov, struct vg_line *line, enum vg_dir dir,
			     int value);
	/* Read the logical level (input: sensed; output: driven). 0 or 1. */
	int (*get_value)(void *prov, struct vg_line *line, int *value);
	/* Drive an output line; -EPERM if the line is an input. */
	int (*set_value)(void *prov, struct vg_line *line, int value);
	/*
	 * Enable edge detection (VG_EDGE_*, input lines only; NONE turns it
	 * off and discards events not yet dispatched for this line).
	 */
	int (*set_edge)(void *prov, struct vg_line *line, unsigned int edges);

	/* An fd that is readable while events are pending, or -1 if none. */
	int (*fd)(void *prov);
	/* Deliver pending events through the lines' callbacks. */
	void (*dispatch)(void *prov);

	/*
	 * Optional, both or neither (NULL: the provider's lines cannot be
	 * lent; only "gpiod" has them). Lending hands a line to a worker
	 * process while this provider keeps custody of it.
	 *
	 * line_lend() returns the line's kernel line-request fd (a GPIO v2
	 * request of exactly this one line, index 0), borrowed: it stays
	 * valid until line_close(), and the caller never closes it (it sends
	 * a duplicate with SCM_RIGHTS). From then on the provider reads none
	 * of the line's edge events (the borrower does) and refuses
	 * set_direction, set_value and set_edge with -EBUSY, so its own
	 * record of the line stays the one it lent; get_value still works.
	 * -EBUSY if the line is lent already.
	 *
	 * line_reclaim() ends a lend: the provider discards the events queued
	 * meanwhile, re-applies its whole record of the line (direction,
	 * output value, edge detection, the policy's options) in one
	 * reconfiguration, reads its events again and trusts no cached state
	 * until that succeeded. The borrower may still hold its copy: end or
	 * silence it first. 0 (also for a line not lent), or -errno when the
	 * re-application failed (logged); the line is back either way, and
	 * the next set_direction() sends a complete configuration. A line
	 * may be closed while lent, but the kernel keeps the request for as
	 * long as the borrower holds its copy.
	 */
	int (*line_lend)(void *prov, struct vg_line *line);
	int (*line_reclaim)(void *prov, struct vg_line *line);
};

/* A provider instance as the rest of the daemon holds it. */
struct vg_provider {
	const struct vg_provider_ops *ops;
	void *ctx;
};

/* True if @ops has every required callback (the optional ones in pairs). */
bool vg_provider_ops_valid(const struct vg_provider_ops *ops);

#endif /* VGPIO_PROVIDER_H */
