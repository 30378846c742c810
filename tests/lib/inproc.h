/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process transport for unit tests, fuzzers and the bench: guest RAM is
 * a plain buffer (struct vg_gram, so grants and tiny pieces work exactly as
 * in the loop transport), and the interrupt line is a counter. It also
 * counts map/unmap calls so tests can assert that nothing stays mapped.
 */
#ifndef VGPIO_TEST_INPROC_H
#define VGPIO_TEST_INPROC_H

#include <stdint.h>
#include <vgpio/transport.h>
#include "gram.h"

struct vg_inproc {
	struct vg_gram gram;
	uint8_t *buf; /* owned, gram.size bytes, zeroed */
	int irq_level;
	unsigned long irq_raises; /* set_irq(1) calls */
	unsigned long maps, unmaps;
	struct vg_bus bus; /* { &vg_inproc_ops, this } */
};

extern const struct vg_transport_ops vg_inproc_ops;

/* RAM of @size bytes at guest address @base. 0 or -ENOMEM. */
int vg_inproc_init(struct vg_inproc *p, uint64_t base, size_t size);
void vg_inproc_dispose(struct vg_inproc *p);

/*
 * Share the driver's RAM instead of owning a buffer: the device side then
 * sees exactly what a struct vg_drv_mem driver wrote, grants included.
 */
struct vg_drv_mem;
void vg_inproc_init_drv(struct vg_inproc *p, const struct vg_drv_mem *m);

/* Host pointer for guest address @gpa (no checks; test code only). */
void *vg_inproc_ptr(struct vg_inproc *p, uint64_t gpa);

#endif /* VGPIO_TEST_INPROC_H */
