/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport seam: what a device instance needs from whatever carries
 * it to its guest (Xen IOREQ + grants, the loop socket, or an in-process
 * test harness).
 *
 * A transport owns the guest connection and feeds MMIO accesses into the
 * device's register file (backend/virtio/mmio.h) itself; in the other direction
 * the device core reaches its guest only through this const ops table:
 * guest memory and the interrupt line. Tables are defined with designated
 * initializers, never modified at run time, and checked once with
 * vg_transport_ops_valid() when a device is created.
 *
 * None of these callbacks logs; all are called from the daemon's single
 * event-loop thread.
 */
#ifndef VGPIO_TRANSPORT_H
#define VGPIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Access kinds for map(). */
#define VG_PROT_READ 0x1u
#define VG_PROT_WRITE 0x2u

/* One ring area of a virtqueue (descriptor table, driver or device area). */
struct vg_ring_area {
	uint64_t addr; /* guest address */
	size_t len; /* bytes, >= 1 */
	unsigned int prot; /* VG_PROT_* the device needs on it */
};

struct vg_transport_ops {
	const char *name; /* "loop", "xen", "inproc" */

	/*
	 * Map the guest range [addr, addr + len) for @prot (VG_PROT_*).
	 * @len is at least 1. On success returns a host pointer to the first
	 * contiguous piece and stores its length (1..len) in *contig; the
	 * caller loops for the rest. Returns NULL if any byte of the first
	 * piece is not guest memory, not granted, or (for VG_PROT_WRITE)
	 * granted read-only. The addresses are guest-controlled: the
	 * implementation must be overflow-safe for any 64-bit @addr and @len.
	 * The caller writes only through a piece it mapped with
	 * VG_PROT_WRITE, so a transport may serve a VG_PROT_READ piece from
	 * a writable mapping it already has.
	 */
	void *(*map)(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		     size_t *contig);

	/*
	 * Release a piece returned by map(). Called exactly once per
	 * successful map(), before the buffer is returned to the guest; the
	 * caller does not touch the piece afterwards. The transport may keep
	 * the mapping behind it for later map() calls (Xen's foreign-mapping
	 * cache) while it maps the same guest memory, but nothing the guest
	 * may take back once the buffer is returned (a grant). Optional
	 * (NULL when mappings cost nothing, as for a memfd).
	 */
	void (*unmap)(void *ctx, void *ptr, size_t contig);

	/*
	 * Drive the device's interrupt line: @level 1 when InterruptStatus
	 * becomes non-zero or a new notification is added to it, 0 when it
	 * drops to zero. Edge-style transports (Xen Arm SPI) ignore 0.
	 */
	void (*set_irq)(void *ctx, int level);

	/*
	 * Optional: from now until queue_unmap(@q), queue @q's rings are the
	 * @n areas @areas (the driver set QueueReady 1). A transport whose
	 * mappings are costly maps them here, once per queue lifetime, and
	 * serves later map() calls inside them from that mapping (its unmap()
	 * then does nothing). Non-zero (-errno) if an area is not guest
	 * memory the device may access with its prot: the queue stays not
	 * ready. Guest-controlled addresses: overflow-safe.
	 */
	int (*queue_map)(void *ctx, unsigned int q,
			 const struct vg_ring_area *areas, unsigned int n);
	/* Optional: queue @q's rings are gone (QueueReady 0, reset). */
	void (*queue_unmap)(void *ctx, unsigned int q);
};

/* A device's handle on its transport. */
struct vg_bus {
	const struct vg_transport_ops *ops;
	void *ctx;
};

/* True if @ops has every required callback (map, set_irq) and a name. */
bool vg_transport_ops_valid(const struct vg_transport_ops *ops);

/*
 * Copy @len bytes of guest memory at @addr into @buf (resp. from @buf into
 * guest memory), looping over the contiguous pieces map() returns and
 * unmapping each. Return 0, or -EFAULT if any byte is not accessible (a
 * failed write may have written a prefix). Never log. This is the only way
 * core code touches guest memory.
 */
int vg_bus_read(const struct vg_bus *bus, uint64_t addr, void *buf, size_t len);
int vg_bus_write(const struct vg_bus *bus, uint64_t addr, const void *buf,
		 size_t len);

/*
 * Single aligned 16-bit accesses for ring indices: a read is one load and a
 * write is one store, so the other side never sees a torn index. Return 0
 * or -EFAULT (also for an odd @addr).
 */
int vg_bus_read16(const struct vg_bus *bus, uint64_t addr, uint16_t *val);
int vg_bus_write16(const struct vg_bus *bus, uint64_t addr, uint16_t val);

#endif /* VGPIO_TRANSPORT_H */
