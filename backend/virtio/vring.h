/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split-ring walker, device side. Implements the split-ring rules of
 * docs/validation.md, V10-V20: every descriptor is copied out of guest
 * memory once (through vg_bus_read) and only the private copy is checked
 * and used. A violation is reported as -EPROTO with a specific enum
 * vg_vring_err; the caller then puts its device into DEVICE_NEEDS_RESET.
 * Pure code: no I/O, no logging, no globals.
 */
#ifndef VGPIO_VRING_H
#define VGPIO_VRING_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/transport.h>
#include <vgpio/virtio_ring.h>

/* Largest queue we offer (QueueNumMax). Also bounds a chain's length. */
#define VG_VQ_MAX_SIZE 256u

enum vg_vring_err {
	VG_VRING_OK = 0,
	VG_VRING_E_AVAIL_IDX, /* avail idx ran more than size ahead (V10) */
	VG_VRING_E_HEAD, /* head index >= queue size (V11) */
	VG_VRING_E_NEXT, /* next >= queue size (V12) */
	VG_VRING_E_INDIRECT_NEXT, /* next >= indirect table entries (V12) */
	VG_VRING_E_CHAIN_LONG, /* more descriptors than queue size (V13) */
	VG_VRING_E_INDIRECT_FEATURE, /* INDIRECT not negotiated (V14) */
	VG_VRING_E_INDIRECT_LEN, /* table len 0 or not a multiple of 16 (V14) */
	VG_VRING_E_INDIRECT_NESTED, /* INDIRECT inside a table (V14) */
	VG_VRING_E_INDIRECT_WITH_NEXT, /* INDIRECT and NEXT together (V14) */
	VG_VRING_E_ORDER, /* readable after writable (V15) */
	VG_VRING_E_ZERO_LEN, /* zero-length buffer (V16) */
	VG_VRING_E_TOTAL_LEN, /* chain longer than 2^32 - 1 bytes (V17) */
	VG_VRING_E_ACCESS, /* ring, table or buffer not in guest memory (V18) */
	VG_VRING_E_NR
};

/* A short fixed English description, for logs ("descriptor loop"...). */
const char *vg_vring_strerror(enum vg_vring_err err);

struct vg_vq {
	/* Set by the driver through the register file while not ready. */
	uint16_t size; /* QueueNum: 0 = unset, else power of two */
	bool ready;
	uint64_t desc, avail, used; /* guest addresses of the areas */
	/* Negotiated features, latched by vg_vq_enable(). */
	bool indirect, event_idx;
	/* Device-private progress (never read back from guest memory). */
	uint16_t last_avail; /* next avail ring slot to consume */
	uint16_t used_idx; /* next used ring slot to fill */
	uint16_t signalled_used; /* used_idx when the driver was last told */
	bool signalled_valid;
	/* Pushes since the last vg_vq_should_notify(). */
	bool need_signal;
	/* First ring violation; sticky until vg_vq_enable()/vg_vq_reset(). */
	enum vg_vring_err broken;
};

/* One guest buffer: a guest address range (not yet translated). */
struct vg_iov {
	uint64_t addr;
	uint32_t len;
};

/* A popped chain: readable buffers first, then writable ones. */
struct vg_chain {
	uint16_t head;
	uint16_t nread, nwrite;
	uint32_t read_len, write_len; /* totals, each < 2^32 */
	/* [0, nread) readable, then [nread, nread + nwrite) writable */
	struct vg_iov iov[VG_VQ_MAX_SIZE];
};

/* Forget all progress and addresses: the queue is back to reset state. */
void vg_vq_reset(struct vg_vq *vq);

/*
 * Start using the queue (QueueReady written 1): latch the negotiated
 * features, zero the progress counters and set ready. On error nothing
 * changes (ready stays false). -EINVAL if size is unset or not
 * a power of two <= VG_VQ_MAX_SIZE, or an area is misaligned (desc 16,
 * avail 2, used 4) or overflows the 64-bit address space.
 */
int vg_vq_enable(struct vg_vq *vq, bool indirect, bool event_idx);

/*
 * Pop the next available chain into @c. Returns 1 if a chain was popped,
 * 0 if none is available, -EPROTO on a ring violation with *err set (the
 * ring is then unusable until reset). With event_idx, publishes
 * avail_event after popping.
 */
int vg_vq_pop(struct vg_vq *vq, const struct vg_bus *bus, struct vg_chain *c,
	      enum vg_vring_err *err);

/* 1 if at least one chain is available, 0 if not, -EPROTO as pop(). */
int vg_vq_avail(struct vg_vq *vq, const struct vg_bus *bus,
		enum vg_vring_err *err);

/*
 * Return chain @head with @len bytes written: fills the used element, then
 * (after a write barrier) advances used->idx. 0, -EFAULT, or -EINVAL if the
 * queue is not ready or @head >= size.
 */
int vg_vq_push(struct vg_vq *vq, const struct vg_bus *bus, uint16_t head,
	       uint32_t len);

/*
 * After one or more pushes: true if the driver wants an interrupt now
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX). Clears the
 * pending-push state.
 */
bool vg_vq_should_notify(struct vg_vq *vq, const struct vg_bus *bus);

/*
 * Gather @len bytes starting @off bytes into the chain's readable part
 * (resp. scatter into its writable part), across however many buffers.
 * Return the number of bytes copied (less than @len if the part is
 * shorter), or -EFAULT if guest memory could not be accessed.
 */
long vg_chain_read(const struct vg_bus *bus, const struct vg_chain *c,
		   uint32_t off, void *buf, size_t len);
long vg_chain_write(const struct vg_bus *bus, const struct vg_chain *c,
		    uint32_t off, const void *buf, size_t len);

/*
 * The first bytes of a chain's writable part, mapped for writing and kept
 * mapped until vg_chain_release(). A device holds its answer before it
 * acts on a request (validation.md V26): a response area it cannot write
 * then stops the request before anything happened, and once the request
 * has acted, answering it cannot fail (a grant the guest revokes
 * meanwhile stays mapped). Small answers only: each piece is at least one
 * byte, so VG_CHAIN_HOLD_MAX bytes need at most as many pieces.
 */
#define VG_CHAIN_HOLD_MAX 8u

struct vg_chain_hold {
	unsigned int n; /* pieces mapped */
	size_t len; /* bytes held */
	uint8_t *ptr[VG_CHAIN_HOLD_MAX];
	size_t plen[VG_CHAIN_HOLD_MAX];
};

/*
 * Map the first @len bytes of @c's writable part for writing, however many
 * buffers and pieces they span, and keep them mapped in @h. 0; -EINVAL if
 * @len is 0, above VG_CHAIN_HOLD_MAX or above the writable part; -EFAULT
 * if any of them is not guest memory the device may write (read-only
 * grant, outside RAM). On error nothing stays mapped and @h is empty.
 */
int vg_chain_hold(const struct vg_bus *bus, const struct vg_chain *c,
		  size_t len, struct vg_chain_hold *h);
/* Copy @len bytes of @buf to the start of the held bytes (at most h->len). */
void vg_chain_hold_write(struct vg_chain_hold *h, const void *buf, size_t len);
/* Unmap everything @h holds; @h is then empty. Fine on an empty @h. */
void vg_chain_release(const struct vg_bus *bus, struct vg_chain_hold *h);

#endif /* VGPIO_VRING_H */
