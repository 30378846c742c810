/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A frontend shim (frontend-shim/shim.h) playing a Xen guest of the fake
 * Xen: its register accesses are fake vCPU ioreqs (fx_vcpu_access) that the
 * in-process vgpiod serves through the real Xen transport, and its RAM is
 * the fake domain's RAM (the shim's memfd, adopted by fx_domain_new). With
 * grants, every RAM page p is granted twice (reference p read-write,
 * reference npages + p read-only), which is the numbering the shim's
 * vg_drv_dma() hands out.
 *
 * The daemon runs only inside the wire's calls (vg_daemon_turn), so a test
 * is single-threaded and deterministic.
 */
#ifndef VGPIO_XENGUEST_H
#define VGPIO_XENGUEST_H

#include <stdbool.h>
#include <stdint.h>
#include "fakexen.h"
#include "wire.h"

struct vg_daemon;
struct vg_shim;

struct vg_xguest {
	struct vg_daemon *d[2]; /* daemons to run while waiting (d[1] opt) */
	unsigned int domid;
	unsigned int vcpu; /* the vCPU that makes the accesses */
	uint64_t base; /* device window */
	unsigned int irq;
	bool isa; /* ISA IRQ (level) instead of an SPI (edges) */
	unsigned int edges_seen;
	unsigned int max_turns; /* daemon turns per wait; 0 = 2000 */
	int last_io; /* enum fx_io of the last access that failed */
};

/* Run each daemon of @g for one non-blocking turn. */
void vg_xguest_pump(struct vg_xguest *g);
/*
 * Run the daemons until the xenstore node @path reads @want (or turns run
 * out). true if it does.
 */
bool vg_xguest_pump_until(struct vg_xguest *g, const char *path,
			  const char *want);

/*
 * A fake domain whose RAM is @s's RAM (and, if @grants, all of it granted
 * as described above). @p's ram fields are filled from the shim.
 */
int vg_xguest_domain(struct fx_domain_params *p, struct vg_shim *s,
		     bool grants);

/* Give @s a wire through @g (the shim owns the wire, not @g). */
void vg_xguest_attach(struct vg_xguest *g, struct vg_shim *s);

extern const struct vg_shim_wire_ops vg_xguest_wire_ops;

#endif /* VGPIO_XENGUEST_H */
