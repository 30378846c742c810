// SPDX-License-Identifier: BSD-3-Clause
/*
 * Guest memory for the Xen transport: the bus (transport ops) of one device
 * window. With grants (grant_usage=1) a device address is a grant DMA
 * address: bit 63 set, grant reference in bits 12..62, offset in the page in
 * bits 0..11, and a buffer crossing pages uses consecutive references
 * (Linux drivers/xen/grant-dma-ops.c); without, it is guest-physical and
 * mapped with foreign mappings.
 *
 * Rings are mapped once when their queue becomes ready and kept until it
 * stops. With grants, every other piece is mapped in map() and unmapped
 * in unmap(), which the device core calls before it returns the buffer to
 * the guest, so no grant mapping outlives its buffer: a grant still mapped
 * when the guest reclaims it breaks the guest's device for good, so grant
 * mappings are never cached. Without grants, pieces come from the
 * device's foreign-mapping cache (xen-mapcache.c), which keeps a bounded
 * number of mappings across requests, or, when all its entries are in
 * use, are mapped and unmapped like grant pieces.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "xen-priv.h"

static size_t pages_for(size_t off, size_t len, size_t max)
{
	if (len > max * VG_XEN_PAGE_SIZE)
		return max + 1;
	return (off + len + VG_XEN_PAGE_SIZE - 1) >> VG_XEN_PAGE_SHIFT;
}

/* Map @n pages starting at the page-aligned device address @addr. */
static int map_pages(struct vg_xen_dev *d, uint64_t addr, size_t n,
		     unsigned int prot, struct vg_xen_map *m)
{
	struct vg_xen_guest *g = d->g;
	uint32_t refs[VG_XEN_RING_MAX_PAGES];
	uint64_t gref;
	void *p;
	size_t i;

	if (!d->spec.grants) {
		if (addr & VG_XEN_GRANT_FLAG)
			return -EFAULT; /* a grant address without grants */
		return vg_xen_foreign_map(d, addr >> VG_XEN_PAGE_SHIFT, n, prot,
					  m);
	}
	if (!(addr & VG_XEN_GRANT_FLAG) || !g->gt)
		return -EFAULT;
	gref = (addr & ~VG_XEN_GRANT_FLAG) >> VG_XEN_PAGE_SHIFT;
	if (gref > UINT32_MAX || n - 1 > UINT32_MAX - gref)
		return -EFAULT;
	for (i = 0; i < n; i++)
		refs[i] = (uint32_t)(gref + i);
	/*
	 * Read-only grants (device-readable buffers) can only be mapped
	 * PROT_READ: @prot comes from the descriptor's direction, never
	 * wider.
	 */
	p = xengnttab_map_domain_grant_refs(
		g->gt, (uint32_t)n, g->domid, refs,
		PROT_READ | ((prot & VG_PROT_WRITE) ? PROT_WRITE : 0));
	if (!p)
		return -EFAULT;
	m->base = p;
	m->pages = n;
	return 0;
}

static void unmap_pages(struct vg_xen_dev *d, struct vg_xen_map *m)
{
	if (!m->base)
		return;
	if (d->spec.grants)
		xengnttab_unmap(d->g->gt, m->base, (uint32_t)m->pages);
	else
		xenforeignmemory_unmap(d->g->fm, m->base, m->pages);
	m->base = NULL;
	m->pages = 0;
}

static int ring_map(struct vg_xen_dev *d, struct vg_xen_ring *r)
{
	size_t n;

	r->off = (size_t)(r->area.addr & (VG_XEN_PAGE_SIZE - 1));
	n = pages_for(r->off, r->area.len, VG_XEN_RING_MAX_PAGES);
	if (n > VG_XEN_RING_MAX_PAGES)
		return -EFAULT;
	return map_pages(d, r->area.addr - r->off, n, r->area.prot, &r->map);
}

static void *xen_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		     size_t *contig)
{
	struct vg_xen_dev *d = ctx;
	struct vg_xen_map m;
	unsigned int q, i;
	size_t off, n;

	if (!len)
		return NULL;
	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++) {
		for (i = 0; i < 3; i++) {
			struct vg_xen_ring *r = &d->ring[q][i];

			if (!r->live || addr < r->area.addr ||
			    addr - r->area.addr >= r->area.len ||
			    ((prot & VG_PROT_WRITE) &&
			     !(r->area.prot & VG_PROT_WRITE)))
				continue;
			/* Dropped by an INVALIDATE: map it again. */
			if (!r->map.base && ring_map(d, r))
				return NULL;
			off = (size_t)(addr - r->area.addr);
			*contig = len < r->area.len - off ? len
							  : r->area.len - off;
			return (uint8_t *)r->map.base + r->off + off;
		}
	}
	if (!d->spec.grants) {
		void *p;
		int rc = vg_xen_mapcache_get(d, addr, len, prot, &p, contig);

		if (!rc)
			return p;
		if (rc != -ENOSPC)
			return NULL;
		/* Every entry is pinned: this piece is mapped on its own. */
	}
	off = (size_t)(addr & (VG_XEN_PAGE_SIZE - 1));
	n = pages_for(off, len, VG_XEN_MAP_MAX_PAGES);
	if (n > VG_XEN_MAP_MAX_PAGES)
		n = VG_XEN_MAP_MAX_PAGES;
	if (map_pages(d, addr - off, n, prot, &m))
		return NULL;
	*contig = n * VG_XEN_PAGE_SIZE - off;
	if (*contig > len)
		*contig = len;
	return (uint8_t *)m.base + off;
}

static void xen_unmap(void *ctx, void *ptr, size_t contig)
{
	struct vg_xen_dev *d = ctx;
	struct vg_xen_map m;
	unsigned int q, i;
	size_t off;

	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++)
		for (i = 0; i < 3; i++)
			if (d->ring[q][i].live &&
			    vg_xen_map_has(&d->ring[q][i].map, ptr))
				return; /* kept for the queue's lifetime */
	if (!d->spec.grants && vg_xen_mapcache_put(d, ptr))
		return; /* kept until evicted or dropped */
	/* The same page count map() computed for this piece. */
	off = (size_t)((uintptr_t)ptr & (VG_XEN_PAGE_SIZE - 1));
	m.base = (uint8_t *)ptr - off;
	m.pages = pages_for(off, contig, VG_XEN_MAP_MAX_PAGES);
	unmap_pages(d, &m);
}

static void xen_queue_unmap(void *ctx, unsigned int q)
{
	struct vg_xen_dev *d = ctx;
	unsigned int i;

	if (q >= VG_VDEV_MAX_QUEUES)
		return;
	for (i = 0; i < 3; i++) {
		unmap_pages(d, &d->ring[q][i].map);
		d->ring[q][i].live = false;
	}
	/*
	 * A queue was reset or stopped: the driver is starting over or going
	 * away, and the buffers it used may be freed; keep nothing of them.
	 */
	vg_xen_mapcache_drop(d, false);
}

static int xen_queue_map(void *ctx, unsigned int q,
			 const struct vg_ring_area *areas, unsigned int n)
{
	struct vg_xen_dev *d = ctx;
	unsigned int i;
	int rc;

	if (q >= VG_VDEV_MAX_QUEUES || n != 3)
		return -EINVAL;
	xen_queue_unmap(d, q);
	for (i = 0; i < 3; i++) {
		struct vg_xen_ring *r = &d->ring[q][i];

		r->area = areas[i];
		r->live = true;
		rc = ring_map(d, r);
		if (rc) {
			xen_queue_unmap(d, q);
			return rc;
		}
	}
	return 0;
}

/*
 * Arm SPIs from libxl are edge-rising: one assertion per notification;
 * the vGIC ignores the falling edge, so level 0 is not sent. ISA IRQs on
 * x86 HVM are level: the line follows InterruptStatus.
 */
static void xen_set_irq(void *ctx, int level)
{
	struct vg_xen_dev *d = ctx;
	struct vg_xen_guest *g = d->g;
	int r;

	if (vg_xen_irq_kind(&d->spec) == VG_IRQ_SPI) {
		if (!level)
			return;
		r = xendevicemodel_set_irq_level(g->dm, g->domid, d->spec.irq,
						 1);
	} else {
		if (level == d->isa_level)
			return;
		r = xendevicemodel_set_isa_irq_level(
			g->dm, g->domid, (uint8_t)d->spec.irq, (unsigned)level);
		if (!r)
			d->isa_level = level;
	}
	if (r)
		vg_log_guest(&d->log, "cannot set irq %u to %d: %s",
			     d->spec.irq, level, strerror(errno));
}

const struct vg_transport_ops vg_xen_transport_ops = {
	.name = "xen",
	.map = xen_map,
	.unmap = xen_unmap,
	.set_irq = xen_set_irq,
	.queue_map = xen_queue_map,
	.queue_unmap = xen_queue_unmap,
};

void vg_xen_mem_invalidate(struct vg_xen_dev *d)
{
	unsigned int q, i;

	/* Grant mappings name granted pages and stay valid; gfns may not. */
	if (d->spec.grants)
		return;
	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++)
		for (i = 0; i < 3; i++)
			unmap_pages(d, &d->ring[q][i].map);
	vg_xen_mapcache_drop(d, false);
}

void vg_xen_mem_release(struct vg_xen_dev *d)
{
	unsigned int q;

	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++)
		xen_queue_unmap(d, q);
	/* The device is gone (detach() came first): no unmap() can follow. */
	vg_xen_mapcache_drop(d, true);
}
