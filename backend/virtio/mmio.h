/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-mmio version 2 register file over a struct vg_vdev. Registers are
 * described by one table (offset, access, width rule) and every access goes
 * through one choke point that checks size, alignment, offset range,
 * direction and queue index before any register-specific code runs
 * (docs/validation.md V1-V4). Bad accesses never fail the caller: reads
 * return 0, writes are dropped, both are counted and logged rate-limited.
 */
#ifndef VGPIO_MMIO_H
#define VGPIO_MMIO_H

#include <stdint.h>
#include "vdev.h"

struct vg_mmio {
	struct vg_vdev *vd;
	struct vg_log *log; /* may be NULL */
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t isr; /* InterruptStatus */
	unsigned long bad_accesses;
};

/* Attach to @vd (installs itself as the device's interrupt front). */
void vg_mmio_init(struct vg_mmio *m, struct vg_vdev *vd, struct vg_log *log);

/*
 * Guest access at offset @off of the register window, @size bytes (1, 2, 4
 * or 8; anything else is a bad access). Reads return the value
 * zero-extended; @val of a write is masked to @size by the choke point.
 */
uint64_t vg_mmio_read(struct vg_mmio *m, uint64_t off, unsigned int size);
void vg_mmio_write(struct vg_mmio *m, uint64_t off, unsigned int size,
		   uint64_t val);

/* Device reset from the host side (guest gone): same as status 0. */
void vg_mmio_reset(struct vg_mmio *m);

#endif /* VGPIO_MMIO_H */
