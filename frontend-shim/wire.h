/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the frontend shim reaches its device: the shim's "vCPU" (register
 * accesses that block until the device answered, like a Xen ioreq) and its
 * interrupt line. Two implementations: the loop transport to a running
 * vgpiod (wire-loop.c) and an in-process device for tests and the bench
 * (tests/lib/inproc-wire.h).
 */
#ifndef VGPIO_WIRE_H
#define VGPIO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_drv_mem;

struct vg_shim_wire_ops {
	const char *name; /* "loop", "inproc" */
	/*
	 * One register access at offset @off of the device's window, @size
	 * bytes (any value up to 65535: a hostile guest sends odd sizes and
	 * the device must answer them as bad accesses). A read
	 * stores the zero-extended result in *val. Blocks until the device
	 * answered. 0 or -errno (the connection is gone).
	 */
	int (*mmio)(void *w, bool write, uint64_t off, unsigned int size,
		    uint64_t *val);
	/*
	 * Wait up to @timeout_ms (-1 = forever) for the interrupt line.
	 * 1 if at least one interrupt arrived since the last call (all of
	 * them are consumed), 0 on timeout, -errno if the connection broke.
	 */
	int (*wait_irq)(void *w, int timeout_ms);
	/* Disconnect and free @w. */
	void (*close)(void *w);
};

struct vg_shim_wire {
	const struct vg_shim_wire_ops *ops;
	void *ctx;
};

/* Parameters of a loop-transport connection. */
struct vg_shim_loop_params {
	const char *path; /* vgpiod's loop socket */
	const char *domain; /* domain name claimed in HELLO */
	const struct vg_drv_mem *mem; /* guest RAM (memfd, grants) */
	uint32_t max_piece; /* daemon accessor piece limit (0 = none) */
};

/*
 * Connect to vgpiod and introduce the guest (HELLO with the RAM memfd).
 * 0 and *out on success. On failure -errno and, in @err, a readable reason:
 * the daemon's own when it refused us (WELCOME status), else what failed
 * locally. Does not log.
 */
int vg_shim_wire_loop_open(const struct vg_shim_loop_params *p,
			   struct vg_shim_wire *out, char *err, size_t errlen);

/* Close a wire (either kind). Zeroes it; a zeroed wire is fine. */
void vg_shim_wire_close(struct vg_shim_wire *w);

#endif /* VGPIO_WIRE_H */
