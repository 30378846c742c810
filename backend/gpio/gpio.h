/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-gpio device (OASIS virtio 1.2 section 5.18) as a vdev class.
 * It owns a struct vg_vdev and the per-line device state; the guest's
 * line table (struct vg_acl) and its opened provider lines are borrowed
 * from the daemon and outlive the device.
 *
 * Work model: QueueNotify only marks a queue pending; vg_gpio_run() does
 * the work with a budget, so one guest cannot starve another. Line events
 * arrive through vg_gpio_line_event() from the provider's dispatch.
 */
#ifndef VGPIO_GPIO_H
#define VGPIO_GPIO_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/transport.h>
#include "acl.h"
#include "log.h"
#include "vdev.h"

struct vg_gpio;

struct vg_gpio_params {
	const struct vg_acl *acl; /* borrowed; outlives the device */
	struct vg_bus bus;
	struct vg_log *log; /* may be NULL */
	bool no_irq; /* do not offer VIRTIO_GPIO_F_IRQ */
	bool no_indirect; /* do not offer VIRTIO_RING_F_INDIRECT_DESC */
	bool no_event_idx; /* do not offer VIRTIO_RING_F_EVENT_IDX */
	/*
	 * Called at the end of every device reset (status 0), when no line
	 * is in use: the owner may call vg_gpio_set_acl() from it. May be
	 * NULL.
	 */
	void (*reset_hook)(void *arg, struct vg_gpio *g);
	void *reset_arg;
};

struct vg_gpio_stats {
	uint64_t requests; /* requestq messages answered */
	uint64_t errors; /* ... of which with STATUS_ERR */
	uint64_t events; /* eventq buffers returned VALID */
	uint64_t invalid; /* eventq buffers returned INVALID */
	uint64_t resets; /* device resets (status 0) */
	uint64_t broken; /* times the guest broke the ring protocol */
	uint64_t interrupts; /* notifications sent (queues and config) */
};

/*
 * Create a device in reset state; every line starts at its safe state.
 * 0 or -errno (-EINVAL for no lines, more than 65535, or an invalid
 * bus: Linux refuses to probe a device with ngpio 0).
 */
int vg_gpio_new(const struct vg_gpio_params *p, struct vg_gpio **out);
/* Put every line into its safe state and free. NULL is fine. */
void vg_gpio_free(struct vg_gpio *g);

struct vg_vdev *vg_gpio_vdev(struct vg_gpio *g);

/*
 * Serve @acl (borrowed, outlives the device or the next call) from now
 * on: the line count and names the driver sees change. Only while the
 * device is in reset (status 0, e.g. from the reset hook): -EBUSY
 * otherwise, -EINVAL for a table vg_gpio_new() would refuse, -ENOMEM. On
 * error the device keeps its old table.
 */
int vg_gpio_set_acl(struct vg_gpio *g, const struct vg_acl *acl);

/* True if a queue has work vg_gpio_run() has not done yet. */
bool vg_gpio_pending(const struct vg_gpio *g);
/*
 * Process chains (requestq and eventq together) until their descriptors
 * add up to @budget (a chain costs its descriptor count, at least 1, so a
 * guest cannot make one unit of budget expensive with long chains), push
 * their completions and interrupt the driver once. Returns the number of
 * chains processed. A ring violation puts the device into NEEDS_RESET.
 */
unsigned int vg_gpio_run(struct vg_gpio *g, unsigned int budget);

/*
 * A provider saw @edge (VG_EDGE_RISING/FALLING, logical) on guest line
 * @gpio. Latches or delivers it according to the line's IRQ type and mask.
 */
void vg_gpio_line_event(struct vg_gpio *g, unsigned int gpio,
			unsigned int edge);

/*
 * Line @gpio was revoked by the administrator (acl line marked revoked by
 * the caller): put it into its safe state, return a held eventq buffer
 * INVALID, forget its state.
 */
void vg_gpio_line_revoked(struct vg_gpio *g, unsigned int gpio);

void vg_gpio_get_stats(const struct vg_gpio *g, struct vg_gpio_stats *st);
/* Add every counter of @s to @to. */
void vg_gpio_stats_add(struct vg_gpio_stats *to, const struct vg_gpio_stats *s);

/*
 * Guest-visible direction of line @gpio (VG_GPIO_DIRECTION_*), for status
 * output; NONE for a bad index.
 */
unsigned int vg_gpio_line_direction(const struct vg_gpio *g, unsigned int gpio);

#endif /* VGPIO_GPIO_H */
