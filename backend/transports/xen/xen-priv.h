/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the Xen transport: the objects xen.c (instance, xenstore
 * discovery and life cycle), xen-one.c (one guest in a confined process),
 * xen-guest.c (IOREQ server, vCPU event channels, ioreq servicing,
 * interrupts), xen-mem.c (guest memory: grant and foreign mappings, ring
 * mappings) and xen-mapcache.c (foreign mappings kept across requests)
 * share. Only backend/xen*.c include this header.
 *
 *   struct vg_xen ---- guests ----> struct vg_xen_guest (one per domid:
 *        |                              handles, IOREQ server, ioreq page,
 *        | xenstore, xenctrl            one local port per vCPU)
 *        | (neither when confined)
 *        |                                    |
 *        +------------------------------- devs[] -> struct vg_xen_dev
 *                                          (one 0x200-byte window, its
 *                                           bus, register file, rings)
 */
#ifndef VGPIO_XEN_PRIV_H
#define VGPIO_XEN_PRIV_H

/* <xenctrl.h> first: it defines __XEN_TOOLS__, which the others need. */
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>
#include "vdev.h"
#include "xen.h"

#define VG_XEN_PAGE_SHIFT 12
#define VG_XEN_PAGE_SIZE (1u << VG_XEN_PAGE_SHIFT)
#define VG_XEN_GRANT_FLAG (1ULL << 63) /* grant DMA address bit */
/* One ioreq page has 128 slots (Arm's GUEST_MAX_VCPUS). */
#define VG_XEN_MAX_VCPUS (VG_XEN_PAGE_SIZE / sizeof(struct ioreq))
/* Device windows per guest: libxl allocates at most 11 SPIs. */
#define VG_XEN_MAX_DEVS 16u
/* Largest buffer piece one map() maps (pages). */
#define VG_XEN_MAP_MAX_PAGES 16u
/* A domain's name, with its NUL. */
#define VG_XEN_NAME_MAX 64u
/* Largest ring area (pages): a 32768-entry descriptor table. */
#define VG_XEN_RING_MAX_PAGES 128u

struct vg_xen_guest;

/* A mapping of guest pages: grant or foreign, @pages long at @base. */
struct vg_xen_map {
	void *base; /* page-aligned host address, NULL if not mapped */
	size_t pages;
};

/* Does @m map the host address @p? */
static inline bool vg_xen_map_has(const struct vg_xen_map *m, const void *p)
{
	const uint8_t *b = m->base;

	return b && (const uint8_t *)p >= b &&
	       (size_t)((const uint8_t *)p - b) < m->pages * VG_XEN_PAGE_SIZE;
}

/*
 * One entry of a device's foreign-mapping cache (xen-mapcache.c): guest
 * frames [gfn, gfn + map.pages) mapped with prot. Free while map.base is
 * NULL.
 */
struct vg_xen_mapent {
	struct vg_xen_map map;
	uint64_t gfn; /* first guest frame */
	unsigned int prot; /* VG_PROT_READ, with VG_PROT_WRITE if writable */
	unsigned int pins; /* pieces map() handed out, not yet unmap()ped */
	bool stale; /* dropped while pinned: unmapped at the last unpin */
	uint64_t used; /* the cache's clock at the last use (LRU) */
};

struct vg_xen_mapcache {
	struct vg_xen_mapent e[VG_XEN_MAPCACHE_ENTRIES];
	uint64_t clock;
};

/* One ring area kept mapped for its queue's lifetime. */
struct vg_xen_ring {
	struct vg_ring_area area;
	struct vg_xen_map map; /* base NULL after INVALIDATE (foreign) */
	size_t off; /* offset of area.addr in the first page */
	bool live; /* the area is in use (queue ready) */
};

struct vg_xen_dev {
	struct vg_xen_guest *g;
	struct vg_devspec spec;
	unsigned int devid; /* xenstore devid, or manual index */
	char *be_path; /* xenstore backend directory; NULL in manual mode */
	bool range_mapped;
	bool attached; /* the owner's detach() is due */
	struct vg_mmio *mmio; /* NULL: placeholder window (DeviceID 0) */
	struct vg_bus bus;
	struct vg_guest_info info; /* for status */
	struct vg_xen_ring ring[VG_VDEV_MAX_QUEUES][3];
	struct vg_xen_mapcache cache; /* foreign mode; empty with grants */
	int isa_level; /* last level set (ISA IRQs follow InterruptStatus) */
	char refused[160]; /* a placeholder: why the owner refused it */
	struct vg_log log; /* "dom<id>/<devid>" */
};

/* Guest bring-up stages, in order; teardown undoes the stages reached. */
enum vg_xen_gstage {
	VG_XG_NONE,
	VG_XG_HANDLES, /* devicemodel, foreignmemory, evtchn open */
	VG_XG_SERVER, /* IOREQ server created */
	VG_XG_PAGE, /* ioreq page mapped */
	VG_XG_ENABLED, /* server enabled */
	VG_XG_PORTS, /* every vCPU's port bound */
	VG_XG_WATCHED, /* evtchn fd in the event loop */
};

struct vg_xen_guest {
	struct vg_xen *x;
	struct vg_xen_guest *next;
	enum vg_xen_gstage stage;
	domid_t domid;
	char name[VG_XEN_NAME_MAX]; /* /local/domain/<domid>/name */
	xendevicemodel_handle *dm;
	xenforeignmemory_handle *fm;
	xenevtchn_handle *xce;
	xengnttab_handle *gt; /* opened with the first grant device */
	int evfd;
	ioservid_t server;
	xenforeignmemory_resource_handle *res;
	struct shared_iopage *page;
	unsigned int nr_vcpus;
	evtchn_port_t port[VG_XEN_MAX_VCPUS]; /* local port per vCPU */
	struct vg_xen_dev *dev[VG_XEN_MAX_DEVS];
	unsigned int ndev;
	struct vg_log log; /* "dom<id>" */
};

/*
 * A device window a worker serves (route mode: the owner's hooks have
 * spawn()): the parent keeps only what the life cycle needs, and the
 * window's token for the owner is this struct.
 */
struct vg_xen_far {
	struct vg_xen_far *next;
	unsigned int domid;
	unsigned int devid;
	uint64_t base;
	char name[VG_XEN_NAME_MAX]; /* the domain's */
	char *be_path; /* xenstore backend directory; NULL in manual mode */
	struct vg_log log; /* "dom<id>/<devid>" */
};

struct vg_xen {
	struct vg_evloop *ev;
	const struct vg_guest_hooks *hooks;
	void *arg;
	const struct vg_log_sink *sink;
	struct vg_log log;
	/*
	 * One guest in a process of its own (vg_xen_one_class): its handles
	 * are restricted with xentoolcore_restrict_all(), so there is no
	 * xenstore or xenctrl handle (xs, xc NULL).
	 */
	bool confined;
	struct xs_handle *xs;
	xc_interface *xc;
	int xsfd;
	bool discover;
	unsigned int self; /* our domid */
	char be_root[64]; /* /local/domain/<self>/backend/virtio */
	struct vg_xen_guest *guests;
	struct vg_xen_far *far; /* windows workers serve */
	/*
	 * Named windows (the hooks' window()): the domains whose name was
	 * read since they appeared, each looked up once; a dead one leaves
	 * with @releaseDomain.
	 */
	unsigned int *seen;
	unsigned int nseen, seen_max;
};

/* xen.c */
/* A new instance with no handle and no guest yet; NULL if out of memory. */
struct vg_xen *vg_xen_alloc(struct vg_evloop *ev,
			    const struct vg_guest_hooks *hooks, void *arg,
			    const struct vg_log_sink *sink);
/*
 * Bring up device window @s of its guest (vg_xen_guest_get with @name,
 * then vg_xen_dev_add with @refused). NULL on failure (logged), nothing
 * left behind.
 */
struct vg_xen_dev *vg_xen_dev_start(struct vg_xen *x,
				    const struct vg_devspec *s,
				    unsigned int devid, const char *be_path,
				    const char *name, const char *refused);
/* A transport class's devices() for a struct vg_xen handle. */
void vg_xen_report(void *handle, vg_guest_device_fn fn, void *arg);

/* xen-guest.c */
/*
 * The guest @domid, brought up (handles restricted, IOREQ server enabled,
 * ports bound, fd watched) if it was not yet. NULL on failure (logged).
 * @kind is the interrupt kind its devices will use (checked against the
 * guest type unless the instance is confined). @name is the domain's name
 * for the owner (checked: printable, 1..63 bytes); NULL reads it from
 * xenstore. A confined instance takes one guest only.
 */
struct vg_xen_guest *vg_xen_guest_get(struct vg_xen *x, unsigned int domid,
				      enum vg_irq_kind kind, const char *name);
/*
 * Can domain @domid have a device window with interrupts of @kind? It
 * must exist, not be dying, and have emulated MMIO (not PV) and, for an
 * ISA IRQ, an emulated interrupt controller (not PVH; docs/xen.md). 0, or
 * -errno with the reason logged to @log.
 */
int vg_xen_domain_check(xc_interface *xc, unsigned int domid,
			enum vg_irq_kind kind, struct vg_log *log);
/* The same check; the reason into *@why ("" if none), nothing logged. */
int vg_xen_domain_why(xc_interface *xc, unsigned int domid,
		      enum vg_irq_kind kind, const char **why);
/*
 * Is @s a window this build can serve (base, the interrupt's kind and
 * range, an ISA IRQ's other users: docs/xen.md)? 0; 1 with a warning in
 * @msg (an ISA IRQ an emulated device may use); or -EINVAL, -EBUSY (an
 * ISA IRQ the firmware routes elsewhere) with why in @msg.
 */
int vg_xen_spec_check(const struct vg_devspec *s, char *msg, size_t len);
/*
 * @name (from @where, for the message) into @dst (VG_XEN_NAME_MAX bytes)
 * if usable as a domain's name: printable, 1..63 bytes. 0 or -EINVAL
 * (logged to @log).
 */
int vg_xen_name_set(char *dst, const char *name, const char *where,
		    struct vg_log *log);
/* Domain @domid's name from xenstore into @dst. 0 or -errno (logged). */
int vg_xen_name_read(struct vg_xen *x, unsigned int domid, char *dst,
		     struct vg_log *log);
/* Tear the guest down if it has no devices left. */
void vg_xen_guest_put(struct vg_xen_guest *g);
/*
 * Add a device window to @g: check it, register its MMIO range (last step
 * of bring-up) and attach it to the owner, or, if @refused says why not,
 * serve it as a placeholder without asking. NULL on failure (logged).
 */
struct vg_xen_dev *vg_xen_dev_add(struct vg_xen_guest *g,
				  const struct vg_devspec *spec,
				  unsigned int devid, const char *be_path,
				  const char *refused);
/* Detach, unmap, unregister and free one device (not the guest). */
void vg_xen_dev_remove(struct vg_xen_dev *d);
/* The interrupt kind a spec resolves to on this build. */
enum vg_irq_kind vg_xen_irq_kind(const struct vg_devspec *spec);

/* xen-mem.c */
extern const struct vg_transport_ops vg_xen_transport_ops;
/*
 * Drop every foreign mapping of @d, rings and cache
 * (IOREQ_TYPE_INVALIDATE); grant mappings stay.
 */
void vg_xen_mem_invalidate(struct vg_xen_dev *d);
/* Release every mapping of @d: nothing of its guest stays mapped. */
void vg_xen_mem_release(struct vg_xen_dev *d);

/* xen-mapcache.c: foreign mode only (d->spec.grants false). */
/*
 * Map the @n guest frames from @gfn of @d's guest, readable, and writable
 * if @prot has VG_PROT_WRITE, into @m. 0, or -EFAULT if any frame cannot
 * be mapped so (nothing mapped then). Never logs.
 */
int vg_xen_foreign_map(struct vg_xen_dev *d, uint64_t gfn, size_t n,
		       unsigned int prot, struct vg_xen_map *m);
/*
 * map() through the cache: the piece of [@addr, @addr + @len) (@len >= 1)
 * that one entry covers, in *@ptr and *@contig (1..@len), from an entry
 * that allows @prot, mapped now if none does. The entry is pinned until
 * vg_xen_mapcache_put(). 0; -ENOSPC if every entry is pinned (the caller
 * maps the piece itself); -EFAULT if the first page cannot be mapped with
 * @prot. Overflow-safe for any @addr and @len.
 */
int vg_xen_mapcache_get(struct vg_xen_dev *d, uint64_t addr, size_t len,
			unsigned int prot, void **ptr, size_t *contig);
/*
 * unmap() through the cache: true if @ptr came from an entry, which is
 * unpinned (and unmapped if it was dropped meanwhile); false if not.
 */
bool vg_xen_mapcache_put(struct vg_xen_dev *d, const void *ptr);
/*
 * Forget every entry: an unpinned one is unmapped now, a pinned one is
 * never used again and unmapped at its last put, or now too if @all
 * (teardown: no put can come any more).
 */
void vg_xen_mapcache_drop(struct vg_xen_dev *d, bool all);

#endif /* VGPIO_XEN_PRIV_H */
