/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of guest memory and of a split virtqueue, written the way
 * Linux drivers/virtio/virtio_ring.c behaves (virtqueue_add_sgs, kick,
 * get_buf): the frontend shim's core, also used by tests, fuzzers and the
 * bench to play the guest. Independent of the backend: it only knows the
 * wire formats in include/vgpio/.
 */
#ifndef VGPIO_DRV_H
#define VGPIO_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_DRV_VQ_MAX 256u

/*
 * Guest RAM: a memfd mapped in this process (so the loop transport can pass
 * it to vgpiod), a bump allocator, and optionally an emulated Xen grant
 * table at the start of RAM. With grants, every page p of RAM has grant
 * reference p (read-write) and grant reference npages + p (read-only), so
 * vg_drv_dma() can hand out either kind for any address.
 */
struct vg_drv_mem {
	int fd; /* memfd backing RAM */
	uint8_t *host;
	uint64_t base; /* guest address of RAM offset 0 */
	size_t size;
	uint64_t brk; /* next free guest address */
	bool grants;
	uint64_t gnttab; /* guest address of the grant table */
	uint32_t nr_grants;
};

/*
 * RAM of @size bytes (multiple of 4096) at guest address @base (page
 * aligned). 0 or -errno.
 */
int vg_drv_mem_init(struct vg_drv_mem *m, uint64_t base, size_t size,
		    bool grants);
void vg_drv_mem_dispose(struct vg_drv_mem *m);
/* Zeroed guest memory, @align a power of two; 0 if RAM is exhausted. */
uint64_t vg_drv_alloc(struct vg_drv_mem *m, size_t len, size_t align);
/* Host pointer for guest address @gpa (must lie in RAM). */
void *vg_drv_ptr(const struct vg_drv_mem *m, uint64_t gpa);
/*
 * Address the device must be given for @gpa: @gpa itself without grants,
 * else the grant address (through the read-only grant if @ro).
 */
uint64_t vg_drv_dma(const struct vg_drv_mem *m, uint64_t gpa, bool ro);
/* Revoke (@permit false) or restore the grants of the page holding @gpa. */
void vg_drv_grant_set(struct vg_drv_mem *m, uint64_t gpa, bool permit);

/* One scatter-gather entry of a request. */
struct vg_drv_sg {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

struct vg_drv_vq {
	struct vg_drv_mem *mem;
	uint16_t size;
	uint64_t desc, avail, used; /* guest addresses of the areas */
	bool indirect, event_idx; /* negotiated */
	uint16_t free_head, num_free;
	uint16_t avail_idx; /* next avail slot (shadow of avail->idx) */
	uint16_t kicked_idx; /* avail_idx at the last kick decision */
	uint16_t last_used;
	uint16_t ndesc[VG_DRV_VQ_MAX]; /* ring descriptors used by head */
	void *token[VG_DRV_VQ_MAX]; /* caller's token by head, NULL = free */
	uint64_t itable[VG_DRV_VQ_MAX]; /* indirect table per head */
	/*
	 * Driver-private descriptor links (free list and chains), never read
	 * back from the shared table, like Linux's desc_extra[].next.
	 */
	uint16_t next[VG_DRV_VQ_MAX];
};

/*
 * Allocate the three areas (and one indirect table per entry when
 * @indirect) in @m for a queue of @size (power of two <= VG_DRV_VQ_MAX).
 * 0 or -errno.
 */
int vg_drv_vq_init(struct vg_drv_vq *vq, struct vg_drv_mem *m, uint16_t size,
		   bool indirect, bool event_idx);

/*
 * Expose a chain of @n entries (device-readable ones first), like
 * virtqueue_add_sgs(): as one indirect descriptor when indirect is
 * negotiated, n > 1 and a slot is free, else as chained descriptors. Buffers
 * are given to the device through vg_drv_dma() (readable ones through
 * read-only grants). Writes the avail ring entry and, after a write
 * barrier, avail->idx. 0, or -ENOSPC when the ring is full, -EINVAL for
 * n == 0, n > size or a NULL token.
 */
int vg_drv_vq_add(struct vg_drv_vq *vq, const struct vg_drv_sg *sg,
		  unsigned int n, void *token);

/*
 * True if the device wants a notification for what was added since the
 * last call (VRING_USED_F_NO_NOTIFY, or avail_event with EVENT_IDX).
 */
bool vg_drv_vq_kick_prepare(struct vg_drv_vq *vq);

/*
 * Next completed chain: its token, with the used length in *len; NULL if
 * none (*len = 0). Frees its descriptors. A used id the driver never
 * exposed is consumed and reported by returning NULL and setting *len to
 * UINT32_MAX. Like Linux with callbacks enabled, with EVENT_IDX it then
 * writes used_event = last_used.
 */
void *vg_drv_vq_get(struct vg_drv_vq *vq, uint32_t *len);

/*
 * With EVENT_IDX: ask for an interrupt after the next completion (writes
 * used_event = last_used).
 */
void vg_drv_vq_enable_cb(struct vg_drv_vq *vq);

#endif /* VGPIO_DRV_H */
