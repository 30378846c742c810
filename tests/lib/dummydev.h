/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dummy virtio device for the vdev and mmio unit tests, on in-process
 * guest RAM: config space of VG_DUMMY_CFG_SIZE known bytes, queue 1 only
 * when feature bit VG_DUMMY_F_Q1 is negotiated (like virtio-gpio's
 * F_IRQ), and counters of the kicks and resets the generic layer delivers.
 */
#ifndef VGPIO_TEST_DUMMYDEV_H
#define VGPIO_TEST_DUMMYDEV_H

#include <stddef.h>
#include <stdint.h>
#include "inproc.h"
#include "vdev.h"

#define VG_DUMMY_F_Q1 0
#define VG_DUMMY_ID 41u
#define VG_DUMMY_CFG_SIZE 12u

struct vg_dummy {
	struct vg_inproc ram;
	struct vg_vdev vd;
	struct vg_vdev_class cls; /* the class @vd was initialised with */
	uint8_t config[VG_DUMMY_CFG_SIZE];
	unsigned int kicks[VG_VDEV_MAX_QUEUES];
	unsigned int bad_kicks; /* kicks of a queue index out of range */
	unsigned int resets;
};

/*
 * @ram_size bytes of RAM at @ram_base and a device on it (no log) whose
 * class offers @features and whose config bytes are @seed, @seed + 1, ...
 * @d must not move afterwards. 0 or -errno.
 */
int vg_dummy_init(struct vg_dummy *d, uint64_t features, uint8_t seed,
		  uint64_t ram_base, size_t ram_size);
void vg_dummy_dispose(struct vg_dummy *d);

/*
 * The little-endian value of @size config bytes at @off, assembled
 * independently of the code under test.
 */
uint64_t vg_dummy_config_value(const struct vg_dummy *d, uint32_t off,
			       unsigned int size);

#endif /* VGPIO_TEST_DUMMYDEV_H */
