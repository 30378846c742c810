// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <vgpio/loop_proto.h>
#include <vgpio/transport.h>
#include "gram.h"

/* [addr, addr + len) inside RAM? Never adds two guest values. */
static void *flat(const struct vg_gram *g, uint64_t addr, size_t len,
		  size_t *contig)
{
	uint64_t off;

	if (addr < g->base || addr - g->base >= g->size)
		return NULL;
	off = addr - g->base;
	if (len > g->size - off)
		len = (size_t)(g->size - off);
	*contig = len;
	return g->host + off;
}

static void *granted(const struct vg_gram *g, uint64_t addr, size_t len,
		     unsigned int prot, size_t *contig)
{
	uint64_t gref = (addr & ~VG_GRANT_ADDR_FLAG) >> VG_GRANT_PAGE_SHIFT;
	uint64_t in_page = addr & (VG_GRANT_PAGE_SIZE - 1);
	struct vg_grant_entry e;
	uint16_t flags;
	size_t n;
	void *p;

	if (gref >= g->gnttab_entries)
		return NULL;
	/* The table address is guest-chosen: never let the entry wrap. */
	if (gref > (UINT64_MAX - g->gnttab_addr) / sizeof(e))
		return NULL;
	/*
	 * Copy the entry once; the guest may change it concurrently, and only
	 * this copy decides.
	 */
	p = flat(g, g->gnttab_addr + gref * sizeof(e), sizeof(e), &n);
	if (!p || n < sizeof(e))
		return NULL;
	memcpy(&e, p, sizeof(e));
	flags = vg_le16_get(e.flags);
	if (!(flags & VG_GTF_PERMIT_ACCESS))
		return NULL;
	if ((prot & VG_PROT_WRITE) && (flags & VG_GTF_READONLY))
		return NULL;
	/* One grant covers one page: the piece ends at the page end. */
	if (len > VG_GRANT_PAGE_SIZE - in_page)
		len = (size_t)(VG_GRANT_PAGE_SIZE - in_page);
	p = flat(g,
		 ((uint64_t)vg_le32_get(e.frame) << VG_GRANT_PAGE_SHIFT) +
			 in_page,
		 len, &n);
	if (!p || n < len)
		return NULL;
	*contig = len;
	return p;
}

void *vg_gram_map(const struct vg_gram *g, uint64_t addr, size_t len,
		  unsigned int prot, size_t *contig)
{
	void *p;

	if (len == 0)
		return NULL;
	if (g->grants) {
		if (!(addr & VG_GRANT_ADDR_FLAG))
			return NULL;
		p = granted(g, addr, len, prot, contig);
	} else {
		p = flat(g, addr, len, contig);
	}
	if (p && g->max_piece && *contig > g->max_piece)
		*contig = g->max_piece;
	return p;
}
