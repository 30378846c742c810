/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shim's wire (frontend-shim/wire.h) to a device in this process: a
 * virtio-gpio device (backend/gpio/gpio.h) behind a register file
 * (backend/virtio/mmio.h), on an in-process transport (inproc.h) that
 * shares the shim's guest RAM. Register accesses go straight to vg_mmio_read/write;
 * wait_irq() delivers pending provider events, runs the device until it
 * is idle and reports whether the interrupt line was raised. It never
 * sleeps: nothing else can happen in this process while the shim waits.
 *
 * Lines: either pass a ready struct vg_acl (its lines' events are not
 * routed to the device), or open lines through vg_inproc_wire_add_line(),
 * which routes their edge events to the device like the daemon does.
 */
#ifndef VGPIO_TEST_INPROC_WIRE_H
#define VGPIO_TEST_INPROC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <vgpio/provider.h>
#include "acl.h"
#include "gpio.h"
#include "inproc.h"
#include "mmio.h"
#include "wire.h"

struct vg_inproc_wire_tramp;

struct vg_inproc_wire {
	struct vg_inproc tp;
	struct vg_gpio *gpio;
	struct vg_mmio mmio;
	const struct vg_acl *acl; /* the one the device uses */
	struct vg_acl own; /* lines added with vg_inproc_wire_add_line */
	struct vg_inproc_wire_tramp **tramp; /* own.n entries */
	unsigned int budget; /* chains per vg_gpio_run() */
	unsigned long seen_raises;
	unsigned long runs; /* vg_gpio_run() calls */
};

struct vg_inproc_wire_params {
	const struct vg_acl *acl; /* borrowed; NULL = the added lines */
	bool no_irq, no_indirect, no_event_idx; /* device offers */
	size_t max_piece; /* device accessor piece limit (0 = none) */
	unsigned int budget; /* 0 = 64 */
	struct vg_log *log; /* may be NULL */
};

/* An empty wire without a device. 0 or -ENOMEM. */
int vg_inproc_wire_new(struct vg_inproc_wire **out);

/*
 * Open a line on @prov for guest line own.n (consumer "vgpio:inproc"),
 * routing its events to the device. @name NULL = the host's name.
 * 0 or -errno from the provider.
 */
int vg_inproc_wire_add_line(struct vg_inproc_wire *w, struct vg_provider prov,
			    const struct vg_line_spec *spec, const char *name,
			    unsigned int allow, enum vg_safe safe);

/*
 * Create the device on @m's RAM and fill *out; the shim that gets *out
 * owns @w from then on (closing the wire frees the device, then closes
 * the added lines). 0 or -errno.
 */
int vg_inproc_wire_start(struct vg_inproc_wire *w, const struct vg_drv_mem *m,
			 const struct vg_inproc_wire_params *p,
			 struct vg_shim_wire *out);

/* Free a wire that was never started (or NULL). */
void vg_inproc_wire_free(struct vg_inproc_wire *w);

extern const struct vg_shim_wire_ops vg_inproc_wire_ops;

#endif /* VGPIO_TEST_INPROC_WIRE_H */
