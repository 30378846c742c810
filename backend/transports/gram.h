/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest RAM held as one host mapping (the loop transport's memfd, or a test
 * buffer), addressed either by guest-physical address or, when grants are
 * on, by emulated Xen grant address (see <vgpio/loop_proto.h>). This is the
 * map() behind the loop and in-process transports; it enforces read-only
 * grants and can cut mappings into small pieces to exercise the callers'
 * piece loops.
 */
#ifndef VGPIO_GRAM_H
#define VGPIO_GRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_gram {
	uint8_t *host; /* host address of guest address @base */
	uint64_t base;
	uint64_t size;
	bool grants; /* device addresses are grant addresses */
	uint64_t gnttab_addr; /* guest address of the grant table */
	uint32_t gnttab_entries;
	size_t max_piece; /* 0 = unlimited */
};

/*
 * Translate [addr, addr + len) for @prot (VG_PROT_*): a host pointer to the
 * first contiguous piece, its length in *contig. NULL if the first byte is
 * outside RAM, the grant is missing, not permitted, out of the table, or
 * read-only for a write. Overflow-safe for any @addr/@len.
 */
void *vg_gram_map(const struct vg_gram *g, uint64_t addr, size_t len,
		  unsigned int prot, size_t *contig);

#endif /* VGPIO_GRAM_H */
