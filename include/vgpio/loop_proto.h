/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loop transport's wire protocol: a guest process (the frontend shim)
 * talks to vgpiod over a SOCK_SEQPACKET unix socket, one message per
 * packet, every field little-endian.
 *
 *   guest                                   vgpiod
 *     HELLO (+ memfd of guest RAM) ------->   look up domain, map RAM
 *          <------------------------------- WELCOME (status, reason)
 *     MMIO_READ  seq,addr,size     ------->   register file
 *          <------------------------------- MMIO_REPLY seq,data
 *     MMIO_WRITE seq,addr,size,data ------>   register file
 *          <------------------------------- MMIO_REPLY seq
 *          <------------------------------- IRQ   (asynchronous, any time)
 *
 * MMIO accesses block the guest until answered, like a Xen ioreq: the guest
 * sends one access and waits for the reply carrying the same seq; IRQ
 * messages may arrive in between and must be remembered by the guest. The
 * daemon answers every access, including bad ones (a bad read returns 0).
 * MMIO addresses are offsets into the device's register window.
 *
 * Guest memory: the guest's RAM is a memfd passed with SCM_RIGHTS in HELLO;
 * guest address ram_base maps to memfd offset 0. With VG_LOOP_F_GRANTS the
 * device addresses buffers the way Xen grant DMA does (VG_GRANT_ADDR()):
 * bit 63 set, grant reference in bits 12..62, offset in the page in bits
 * 0..11. The grant table is an array of struct vg_grant_entry in guest RAM
 * at gnttab_addr; the daemon reads an entry every time it maps a grant, so
 * a guest may revoke or change grants at any time. Read-only grants are
 * refused for device writes.
 *
 * Limits: the memfd must be on tmpfs (not hugetlbfs) and sealable; the
 * daemon seals it against shrinking before mapping it. ram_size is at most
 * 1 GiB. The domain name must not contain control characters.
 *
 * Trust: the socket is created mode 0600 in a root-only directory; the
 * domain name a guest claims in HELLO is trusted because only root can
 * connect. See docs/architecture.md.
 */
#ifndef VGPIO_LOOP_PROTO_H
#define VGPIO_LOOP_PROTO_H

#include "types.h"

#define VG_LOOP_MAGIC 0x6f697067u /* "gpio" */
#define VG_LOOP_VERSION 1u

enum vg_loop_type {
	VG_LOOP_HELLO = 1,
	VG_LOOP_WELCOME = 2,
	VG_LOOP_MMIO_READ = 3,
	VG_LOOP_MMIO_WRITE = 4,
	VG_LOOP_MMIO_REPLY = 5,
	VG_LOOP_IRQ = 6,
};

/* HELLO flags. */
#define VG_LOOP_F_GRANTS 0x1u /* device addresses are grant addresses */

#define VG_LOOP_DOMAIN_MAX 64 /* bytes including the NUL */
#define VG_LOOP_REASON_MAX 120

struct vg_loop_hello {
	struct vg_le16 type; /* VG_LOOP_HELLO */
	struct vg_le16 reserved;
	struct vg_le32 magic; /* VG_LOOP_MAGIC */
	struct vg_le32 version; /* VG_LOOP_VERSION */
	struct vg_le32 flags; /* VG_LOOP_F_* */
	char domain[VG_LOOP_DOMAIN_MAX]; /* NUL-terminated domain name */
	struct vg_le64 ram_base; /* guest address of memfd offset 0 */
	struct vg_le64 ram_size; /* bytes; must not exceed the memfd size */
	struct vg_le64 gnttab_addr; /* guest address of the grant table */
	struct vg_le32 gnttab_entries; /* number of grant entries */
	/*
	 * Largest contiguous piece the daemon's guest-memory accessor may
	 * return (0 = no limit). A test knob: 1 makes every access a loop over
	 * one-byte pieces.
	 */
	struct vg_le32 max_piece;
};

struct vg_loop_welcome {
	struct vg_le16 type; /* VG_LOOP_WELCOME */
	struct vg_le16 reserved;
	struct vg_le32 status; /* 0, or a positive errno */
	char reason[VG_LOOP_REASON_MAX]; /* NUL-terminated, on failure */
};

/* MMIO_READ, MMIO_WRITE, MMIO_REPLY and IRQ. */
struct vg_loop_msg {
	struct vg_le16 type;
	struct vg_le16 size; /* access size in bytes: 1, 2, 4 or 8 */
	struct vg_le32 seq; /* echoed in MMIO_REPLY */
	struct vg_le64 addr; /* offset in the register window */
	struct vg_le64 data; /* write data / read result, zero-extended */
};
VG_STATIC_ASSERT(sizeof(struct vg_loop_msg) == 24, "loop msg is 24 bytes");

/* Emulated Xen grant table entry (Xen's grant_entry_v1). */
struct vg_grant_entry {
	struct vg_le16 flags; /* VG_GTF_* */
	struct vg_le16 domid; /* backend domain; ignored by the loop */
	struct vg_le32 frame; /* guest page frame number (address >> 12) */
};
#define VG_GTF_PERMIT_ACCESS 0x1u
#define VG_GTF_READONLY 0x4u

#define VG_GRANT_PAGE_SHIFT 12
#define VG_GRANT_PAGE_SIZE (1u << VG_GRANT_PAGE_SHIFT)
#define VG_GRANT_ADDR_FLAG (1ULL << 63)
#define VG_GRANT_ADDR(gref, off)                                          \
	(VG_GRANT_ADDR_FLAG | ((uint64_t)(gref) << VG_GRANT_PAGE_SHIFT) | \
	 ((uint64_t)(off) & (VG_GRANT_PAGE_SIZE - 1)))

#endif /* VGPIO_LOOP_PROTO_H */
