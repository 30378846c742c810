/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hostile guest: raw register accesses and hand-built descriptor
 * chains that break the virtio rules on purpose (the rules of
 * docs/validation.md), for tests and fuzzers. Works on a probed struct
 * vg_shim; ring builders need the target queue idle (no chain of the
 * faithful driver in flight: -EBUSY otherwise) and keep the driver's
 * private ring state in step, so a well-formed hostile chain
 * (vg_hostile_split_request) leaves the shim usable. After a violation
 * the device should show DEVICE_NEEDS_RESET; vg_shim_probe() starts over.
 *
 * Addresses written into descriptors are used as given: pass
 * vg_hostile_dma() of a guest address for a well-formed one.
 */
#ifndef VGPIO_HOSTILE_H
#define VGPIO_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include "shim.h"

/* Any offset, any size, any alignment. 0 or -errno from the wire. */
int vg_hostile_mmio_read(struct vg_shim *s, uint64_t off, unsigned int size,
			 uint64_t *val);
int vg_hostile_mmio_write(struct vg_shim *s, uint64_t off, unsigned int size,
			  uint64_t val);

struct vg_hostile_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VG_VRING_DESC_F_* */
	uint16_t next;
};

/* Write descriptor @i of queue @q's table (-EINVAL if @i >= size). */
int vg_hostile_desc_set(struct vg_shim *s, unsigned int q, uint16_t i,
			const struct vg_hostile_desc *d);
/* Write entry @i of a descriptor table at guest address @table. */
void vg_hostile_table_set(struct vg_shim *s, uint64_t table, uint16_t i,
			  const struct vg_hostile_desc *d);
/* Publish @head (any value) in the next avail slot; idx after a barrier. */
int vg_hostile_avail_push(struct vg_shim *s, unsigned int q, uint16_t head);
/* Move avail->idx by @delta without writing ring entries. */
int vg_hostile_avail_jump(struct vg_shim *s, unsigned int q, uint16_t delta);
/* QueueNotify @q (any value, also a queue that does not exist). */
int vg_hostile_notify(struct vg_shim *s, unsigned int q);

/* Zeroed scratch guest memory (freed by the next probe); 0 if none. */
uint64_t vg_hostile_alloc(struct vg_shim *s, size_t len);
/* Device address of @gpa (grant address when grants are on). */
uint64_t vg_hostile_dma(const struct vg_shim *s, uint64_t gpa, bool ro);

/*
 * Wait for the next used element of @q, taking interrupts; the element is
 * consumed here, not by the driver. 1 with *id and *len, 0 on timeout,
 * -ENODEV if the device reported NEEDS_RESET meanwhile, -errno.
 */
int vg_hostile_wait_used(struct vg_shim *s, unsigned int q, int timeout_ms,
			 uint32_t *id, uint32_t *len);

/* Ring violations vg_hostile_send() can build (payload: GET_VALUE 0). */
enum vg_hostile_kind {
	VG_HOSTILE_DESC_LOOP, /* 0 -> 1 -> 0 (V13) */
	VG_HOSTILE_HEAD_OOB, /* head == queue size (V11) */
	VG_HOSTILE_NEXT_OOB, /* next == queue size (V12) */
	VG_HOSTILE_AVAIL_JUMP, /* avail idx moved size + 1 ahead (V10) */
	VG_HOSTILE_INDIRECT, /* a well-formed indirect chain (V14 when
				INDIRECT_DESC was not negotiated) */
	VG_HOSTILE_INDIRECT_NESTED, /* INDIRECT inside a table (V14) */
	VG_HOSTILE_INDIRECT_NEXT, /* INDIRECT | NEXT (V14) */
	VG_HOSTILE_INDIRECT_BAD_LEN, /* table length 24 (V14) */
	VG_HOSTILE_INDIRECT_LONG, /* table longer than the queue (V13) */
	VG_HOSTILE_WRITE_BEFORE_READ, /* writable, then readable (V15) */
	VG_HOSTILE_ZERO_LEN, /* a zero-length buffer (V16) */
	VG_HOSTILE_OUTSIDE_RAM, /* buffer outside guest RAM (V18) */
	VG_HOSTILE_NO_RESPONSE, /* request without a writable buffer (V22) */
	VG_HOSTILE_NR
};

const char *vg_hostile_kind_name(enum vg_hostile_kind k);

/* Build chain @k on queue @q, publish it and notify. 0 or -errno. */
int vg_hostile_send(struct vg_shim *s, unsigned int q, enum vg_hostile_kind k);

/*
 * A well-formed request split into 1-byte descriptors (8 readable, then
 * @resp_len writable), direct or inside one indirect table; waits for the
 * answer. Response bytes to @resp, used length to *used. 0 or -errno
 * (-ENOSPC if the chain does not fit the queue).
 */
int vg_hostile_split_request(struct vg_shim *s, bool indirect, uint16_t type,
			     uint16_t gpio, uint32_t value, uint8_t *resp,
			     uint32_t resp_len, uint32_t *used);

/*
 * Wait until the device shows DEVICE_NEEDS_RESET (its config interrupt
 * arrived and Status has the bit). 0, or -ETIMEDOUT if it never did.
 */
int vg_hostile_expect_needs_reset(struct vg_shim *s, int timeout_ms);

/* Revoke (@permit false) or restore the grants of the page of @gpa. */
void vg_hostile_grant_set(struct vg_shim *s, uint64_t gpa, bool permit);

#endif /* VGPIO_HOSTILE_H */
