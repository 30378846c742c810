/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueue layout (virtio 1.2, split-ring.tex). The three areas live
 * in guest memory and are written concurrently by the driver; the device
 * only ever copies them out (see backend/virtio/vring.c) and never trusts a
 * value it has not copied and checked.
 *
 *   Descriptor table (16 * size bytes, align 16), written by the driver:
 *
 *     +--------+--------+--------+--------+
 *     | addr (le64)                       |  guest address of the buffer
 *     +--------+--------+--------+--------+
 *     | len (le32)      |flags(16)|next(16)|  NEXT / WRITE / INDIRECT
 *     +--------+--------+--------+--------+
 *
 *   Available ring (6 + 2 * size bytes, align 2), written by the driver:
 *
 *     flags(16) | idx(16) | ring[0..size-1](16 each) | used_event(16)
 *                   |                                   only with EVENT_IDX
 *                   +-- free-running; ring[idx % size] is the next slot
 *
 *   Used ring (6 + 8 * size bytes, align 4), written by the device:
 *
 *     flags(16) | idx(16) | ring[0..size-1]{id(32), len(32)} | avail_event(16)
 *                                                    only with EVENT_IDX --+
 *
 * The driver publishes a chain by writing ring[idx % size] and then idx
 * (with a write barrier between); the device publishes a completion by
 * writing ring[idx % size] and then idx, with a write barrier between.
 */
#ifndef VGPIO_VIRTIO_RING_H
#define VGPIO_VIRTIO_RING_H

#include "types.h"

#define VG_VRING_DESC_F_NEXT 1u
#define VG_VRING_DESC_F_WRITE 2u
#define VG_VRING_DESC_F_INDIRECT 4u

#define VG_VRING_AVAIL_F_NO_INTERRUPT 1u
#define VG_VRING_USED_F_NO_NOTIFY 1u

struct vg_vring_desc {
	struct vg_le64 addr;
	struct vg_le32 len;
	struct vg_le16 flags;
	struct vg_le16 next;
};
VG_STATIC_ASSERT(sizeof(struct vg_vring_desc) == 16, "descriptor is 16 bytes");

struct vg_vring_used_elem {
	struct vg_le32 id;
	struct vg_le32 len;
};
VG_STATIC_ASSERT(sizeof(struct vg_vring_used_elem) == 8,
		 "used elem is 8 bytes");

/* Byte offsets inside the avail and used areas. */
#define VG_VRING_AVAIL_FLAGS 0
#define VG_VRING_AVAIL_IDX 2
#define VG_VRING_AVAIL_RING(i) (4 + 2 * (uint64_t)(i))
#define VG_VRING_USED_EVENT(size) VG_VRING_AVAIL_RING(size)
#define VG_VRING_USED_FLAGS 0
#define VG_VRING_USED_IDX 2
#define VG_VRING_USED_RING(i) (4 + 8 * (uint64_t)(i))
#define VG_VRING_AVAIL_EVENT(size) VG_VRING_USED_RING(size)

/* Area sizes for a queue of @size entries, including the event fields. */
#define VG_VRING_DESC_BYTES(size) (16 * (uint64_t)(size))
#define VG_VRING_AVAIL_BYTES(size) (6 + 2 * (uint64_t)(size))
#define VG_VRING_USED_BYTES(size) (6 + 8 * (uint64_t)(size))

/*
 * Event index rule (split-ring.tex, "Used Buffer Notification
 * Suppression"): notify if @event lies in (old, new].
 */
static inline int vg_vring_need_event(uint16_t event, uint16_t new_idx,
				      uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif /* VGPIO_VIRTIO_RING_H */
