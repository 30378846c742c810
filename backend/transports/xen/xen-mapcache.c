// SPDX-License-Identifier: BSD-3-Clause
/*
 * The foreign-mapping cache of one device window (grants off: device
 * addresses are guest-physical). Mapping a guest page costs an mmap, the
 * privcmd MMAPBATCH ioctl and a munmap; a GPIO request through Linux's
 * driver touches four pieces (two indirect-table entries, the request,
 * the response), so mapping each per request was most of vgpiod's time
 * under Xen. Like QEMU's map cache for Xen guests, mappings are kept
 * instead, and dropped when Xen says the guest's p2m changed.
 *
 * - Bound: VG_XEN_MAPCACHE_ENTRIES entries (xen.h), each an aligned
 *   window of VG_XEN_MAPCACHE_PAGES guest frames around the piece that
 *   missed, so the buffers a driver allocates near each other share one
 *   mapping. If the window cannot be mapped whole (a frame of it is not
 *   RAM or ballooned out: one failed frame fails the batch), the entry
 *   maps only the piece's own pages, at most VG_XEN_MAP_MAX_PAGES. A miss
 *   takes a free entry, else the least recently used unpinned one.
 * - Pins: an entry that map() handed a piece of stays until unmap()
 *   releases it (today that is within one request: the device core never
 *   holds a piece across event-loop turns). If every entry is pinned, the
 *   caller maps the piece itself, as without a cache.
 * - Protection: an entry is readable, and writable only if the piece that
 *   created it was one the device writes (a device-writable descriptor);
 *   a piece to read never creates a writable mapping. A writable entry
 *   may then serve reads inside it: the device core only reads through a
 *   pointer it mapped for reading (transport.h), so what the device
 *   writes is decided by each descriptor's direction, never by the
 *   entry's protection. A piece to write needs a writable entry; a
 *   read-only one covering it does not count.
 * - Invalidation: IOREQ_TYPE_INVALIDATE (guest RAM left the p2m: a cached
 *   frame may now be another domain's page), a queue's reset and the
 *   window's removal drop every entry (vg_xen_mapcache_drop). A pinned
 *   entry is then never used again and is unmapped at its last unpin;
 *   removal unmaps it at once, since nobody can unpin it any more.
 * - Grants never come here: a grant mapping kept after its request would
 *   keep the guest from ending the grant (Linux's
 *   gnttab_end_foreign_access_ref fails while the backend maps it), so
 *   grant pieces are mapped and unmapped per request (xen-mem.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "xen-priv.h"

int vg_xen_foreign_map(struct vg_xen_dev *d, uint64_t gfn, size_t n,
		       unsigned int prot, struct vg_xen_map *m)
{
	xen_pfn_t gfns[VG_XEN_RING_MAX_PAGES];
	int xprot = PROT_READ | ((prot & VG_PROT_WRITE) ? PROT_WRITE : 0);
	void *p;
	size_t i;

	if (!n || n > VG_XEN_RING_MAX_PAGES)
		return -EFAULT;
	for (i = 0; i < n; i++)
		gfns[i] = (xen_pfn_t)(gfn + i);
	p = xenforeignmemory_map(d->g->fm, d->g->domid, xprot, n, gfns, NULL);
	if (!p)
		return -EFAULT;
	m->base = p;
	m->pages = n;
	return 0;
}

static void ent_unmap(struct vg_xen_dev *d, struct vg_xen_mapent *e)
{
	if (e->map.base)
		xenforeignmemory_unmap(d->g->fm, e->map.base, e->map.pages);
	memset(e, 0, sizeof(*e));
}

/* A live entry covering guest frame @gfn that allows @prot, or NULL. */
static struct vg_xen_mapent *lookup(struct vg_xen_mapcache *c, uint64_t gfn,
				    unsigned int prot)
{
	unsigned int i;

	for (i = 0; i < VG_XEN_MAPCACHE_ENTRIES; i++) {
		struct vg_xen_mapent *e = &c->e[i];

		if (!e->map.base || e->stale || gfn < e->gfn ||
		    gfn - e->gfn >= e->map.pages)
			continue;
		if ((prot & VG_PROT_WRITE) && !(e->prot & VG_PROT_WRITE))
			continue;
		return e;
	}
	return NULL;
}

/* A free entry, else the least recently used unpinned one, or NULL. */
static struct vg_xen_mapent *victim(struct vg_xen_mapcache *c)
{
	struct vg_xen_mapent *best = NULL;
	unsigned int i;

	for (i = 0; i < VG_XEN_MAPCACHE_ENTRIES; i++) {
		struct vg_xen_mapent *e = &c->e[i];

		if (!e->map.base)
			return e;
		/* A stale entry is pinned: it waits for its last put. */
		if (e->pins)
			continue;
		if (!best || e->used < best->used)
			best = e;
	}
	return best;
}

/* Map into @e the window around frame @gfn, else the piece's own pages. */
static int ent_map(struct vg_xen_dev *d, struct vg_xen_mapent *e, uint64_t addr,
		   size_t len, unsigned int prot)
{
	uint64_t gfn = addr >> VG_XEN_PAGE_SHIFT;
	uint64_t win = gfn & ~(uint64_t)(VG_XEN_MAPCACHE_PAGES - 1);
	size_t off = (size_t)(addr & (VG_XEN_PAGE_SIZE - 1)), max, n;

	prot = VG_PROT_READ | (prot & VG_PROT_WRITE);
	if (!vg_xen_foreign_map(d, win, VG_XEN_MAPCACHE_PAGES, prot, &e->map)) {
		e->gfn = win;
	} else {
		max = (size_t)VG_XEN_MAP_MAX_PAGES * VG_XEN_PAGE_SIZE - off;
		if (len > max)
			len = max;
		n = (off + len + VG_XEN_PAGE_SIZE - 1) >> VG_XEN_PAGE_SHIFT;
		if (vg_xen_foreign_map(d, gfn, n, prot, &e->map))
			return -EFAULT;
		e->gfn = gfn;
	}
	e->prot = prot;
	return 0;
}

int vg_xen_mapcache_get(struct vg_xen_dev *d, uint64_t addr, size_t len,
			unsigned int prot, void **ptr, size_t *contig)
{
	struct vg_xen_mapcache *c = &d->cache;
	struct vg_xen_mapent *e;
	uint64_t gfn = addr >> VG_XEN_PAGE_SHIFT;
	size_t at, avail;

	/*
	 * A grant address without grants is no guest RAM; refusing bit 63
	 * also keeps every frame below 2^51, so gfn << PAGE_SHIFT and
	 * gfn + pages cannot overflow below.
	 */
	if (addr & VG_XEN_GRANT_FLAG)
		return -EFAULT;
	e = lookup(c, gfn, prot);
	if (!e) {
		e = victim(c);
		if (!e)
			return -ENOSPC;
		ent_unmap(d, e);
		if (ent_map(d, e, addr, len, prot))
			return -EFAULT;
	}
	e->pins++;
	e->used = ++c->clock;
	at = (size_t)(addr - (e->gfn << VG_XEN_PAGE_SHIFT));
	avail = e->map.pages * VG_XEN_PAGE_SIZE - at;
	*ptr = (uint8_t *)e->map.base + at;
	*contig = len < avail ? len : avail;
	return 0;
}

bool vg_xen_mapcache_put(struct vg_xen_dev *d, const void *ptr)
{
	unsigned int i;

	for (i = 0; i < VG_XEN_MAPCACHE_ENTRIES; i++) {
		struct vg_xen_mapent *e = &d->cache.e[i];

		if (!vg_xen_map_has(&e->map, ptr))
			continue;
		if (e->pins)
			e->pins--;
		if (!e->pins && e->stale)
			ent_unmap(d, e);
		return true;
	}
	return false;
}

void vg_xen_mapcache_drop(struct vg_xen_dev *d, bool all)
{
	unsigned int i;

	for (i = 0; i < VG_XEN_MAPCACHE_ENTRIES; i++) {
		struct vg_xen_mapent *e = &d->cache.e[i];

		if (e->pins && !all)
			e->stale = true;
		else
			ent_unmap(d, e);
	}
}
