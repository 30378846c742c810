// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fake Xen's memory: guest RAM and ioreq pages live in memfds, and
 * every mapping handed to the code under test is a real MAP_SHARED mmap
 * of them, page by page, with the protection asked for, so a write
 * through a read-only mapping or a use after unmap really faults.
 *
 * libxenforeignmemory (privcmd), its ioreq-server resource, libxengnttab
 * (gntdev) and the guest's side of the grant table.
 */
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fx-internal.h"

struct xenforeignmemory_handle {
	struct fx_handle h;
};

struct xenforeignmemory_resource_handle {
	struct fx_map *map;
};

struct xengntdev_handle {
	struct fx_handle h;
};

/* --- mmap helpers --------------------------------------------------------- */

int fx_memfd(const char *name, size_t size, void **self)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	*self = p;
	return fd;
}

int fx_memfd_adopt(int fd, size_t size, void **self)
{
	struct stat sb;
	int rc, dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	void *p;

	if (dup < 0)
		return -errno;
	if (fstat(dup, &sb)) {
		rc = -errno;
		goto err;
	}
	if ((uint64_t)sb.st_size < size) {
		rc = -EINVAL;
		goto err;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dup, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	*self = p;
	return dup;
err:
	close(dup);
	return rc;
}

/*
 * Reserve @pages of address space, then map page i of it from fds[i] at
 * offs[i] (MAP_FIXED over our own PROT_NONE reservation). A page whose fd
 * is -1 stays PROT_NONE, like a failed page of a privcmd batch.
 */
void *fx_mmap_pages(int prot, size_t pages, const int *fds, const off_t *offs)
{
	uint8_t *base = mmap(NULL, pages * FX_PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < pages; i++) {
		if (fds[i] < 0)
			continue;
		if (mmap(base + i * FX_PAGE, FX_PAGE, prot,
			 MAP_SHARED | MAP_FIXED, fds[i],
			 offs[i]) == MAP_FAILED) {
			int e = errno;

			munmap(base, pages * FX_PAGE);
			errno = e;
			return NULL;
		}
	}
	return base;
}

void fx_map_add(struct fx_map *m)
{
	m->next = fx_w.maps;
	fx_w.maps = m;
}

static struct fx_map *map_find(void *addr, size_t pages)
{
	for (struct fx_map *m = fx_w.maps; m; m = m->next)
		if (m->addr == addr && (pages == SIZE_MAX || m->pages == pages))
			return m;
	return NULL;
}

void fx_map_free(struct fx_map *m)
{
	struct fx_map **pp = &fx_w.maps;

	while (*pp && *pp != m)
		pp = &(*pp)->next;
	if (*pp)
		*pp = m->next;
	munmap(m->addr, m->pages * FX_PAGE);
	if (m->kind == FX_MAP_GRANT) {
		for (size_t i = 0; i < m->pages; i++) {
			struct fx_dom *d = fx_dom_find(m->gdomid[i]);

			for (struct fx_grant *g = d ? d->grants : NULL; g;
			     g = g->next)
				if (g->gref == m->gref[i] && g->mapped) {
					g->mapped--;
					break;
				}
		}
		for (size_t i = 0; i < m->pages; i++)
			fx_dom_reap(m->gdomid[i]);
	} else {
		fx_dom_reap(m->domid);
	}
	free(m->gdomid);
	free(m->gref);
	free(m->fres);
	free(m);
}

int fx_gfn_ok(const struct fx_dom *d, uint64_t gfn)
{
	uint64_t first = d->ram_base / FX_PAGE;

	return d->ram && gfn >= first && gfn - first < d->ram_size / FX_PAGE;
}

static struct fx_map *map_new(enum fx_map_kind kind, void *addr, size_t pages)
{
	struct fx_map *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->kind = kind;
	m->addr = addr;
	m->pages = pages;
	fx_map_add(m);
	return m;
}

/* --- libxenforeignmemory -------------------------------------------------- */

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
					       unsigned open_flags)
{
	struct xenforeignmemory_handle *fmem;

	(void)logger;
	(void)open_flags;
	if (FX_INJECT())
		return NULL;
	fmem = calloc(1, sizeof(*fmem));
	if (!fmem)
		return NULL;
	fx_handle_add(&fmem->h, FX_H_FMEM);
	return fmem;
}

/* Mappings outlive the handle: the vma holds the privcmd file. */
int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
	if (!fmem)
		return 0;
	fx_handle_del(&fmem->h);
	free(fmem);
	return 0;
}

/* IOCTL_PRIVCMD_RESTRICT: once set, only the same domid again. */
int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
	if (FX_INJECT())
		return -1;
	fx_log_call(domid, "restrict_fmem");
	if (fmem->h.restrict_domid >= 0 &&
	    (unsigned int)fmem->h.restrict_domid != domid) {
		errno = EINVAL;
		return -1;
	}
	fmem->h.restrict_domid = domid;
	return 0;
}

/*
 * IOCTL_PRIVCMD_MMAPBATCH_V2: per-page errors in err[]; the library maps
 * what it can and, when the caller passed no err[], fails the whole call
 * with the first page's error (xenforeignmemory_map2 in Xen 4.17).
 */
void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom,
			   int prot, size_t pages, const xen_pfn_t arr[],
			   int err[])
{
	struct fx_dom *d;
	int *fds, *errs;
	off_t *offs;
	void *addr;
	bool bad = false;

	fx_w.totals.foreign_map_calls++;
	if (FX_INJECT())
		return NULL;
	fx_log_call(dom, "foreign_map");
	if (fx_handle_check(&fmem->h, dom))
		return NULL;
	d = fx_dom_find(dom);
	if (!d || !dom) {
		errno = ESRCH;
		return NULL;
	}
	if (!pages || (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	fds = calloc(pages, sizeof(*fds));
	offs = calloc(pages, sizeof(*offs));
	errs = err ? err : calloc(pages, sizeof(*errs));
	if (!fds || !offs || !errs)
		abort();
	for (size_t i = 0; i < pages; i++) {
		if (fx_gfn_ok(d, arr[i])) {
			fds[i] = d->ram_fd;
			offs[i] = (off_t)((arr[i] - d->ram_base / FX_PAGE) *
					  FX_PAGE);
			errs[i] = 0;
		} else {
			/* Xen: not a RAM gfn of the domain. */
			fds[i] = -1;
			errs[i] = -EINVAL;
			bad = true;
		}
	}
	addr = NULL;
	if (!(bad && !err))
		addr = fx_mmap_pages(prot, pages, fds, offs);
	else
		errno = EINVAL;
	if (addr)
		map_new(FX_MAP_FOREIGN, addr, pages)->domid = dom;
	free(fds);
	free(offs);
	if (!err)
		free(errs);
	return addr;
}

/*
 * The real library just munmap()s, which would accept any range; the
 * fake insists on exactly one earlier mapping so a transport that loses
 * track of its mappings is caught.
 */
int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr,
			   size_t pages)
{
	struct fx_map *m;

	(void)fmem;
	fx_w.totals.foreign_unmap_calls++;
	if (FX_INJECT())
		return -1;
	m = map_find(addr, pages);
	if (!m || m->kind != FX_MAP_FOREIGN) {
		fx_violation("xenforeignmemory_unmap(%p, %zu): not one "
			     "earlier mapping",
			     addr, pages);
		errno = EINVAL;
		return -1;
	}
	fx_log_call(m->domid, "foreign_unmap");
	fx_map_free(m);
	return 0;
}

/*
 * XENMEM_acquire_resource for an ioreq server: frame 1 (the synchronous
 * ioreq page, XENMEM_resource_ioreq_server_frame_ioreq(0)), one frame.
 * The page is allocated by Xen on first acquisition and kept until the
 * server is destroyed (ioreq_server_alloc_mfn).
 */
xenforeignmemory_resource_handle *
xenforeignmemory_map_resource(xenforeignmemory_handle *fmem, domid_t domid,
			      unsigned int type, unsigned int id,
			      unsigned long frame, unsigned long nr_frames,
			      void **paddr, int prot, int flags)
{
	struct xenforeignmemory_resource_handle *fres;
	struct fx_server *s;
	struct fx_dom *d;
	off_t off = 0;
	void *addr;

	if (FX_INJECT())
		return NULL;
	fx_log_call(domid, "map_resource");
	if (fx_handle_check(&fmem->h, domid))
		return NULL;
	d = fx_dom_live(domid);
	if (!d) {
		errno = ESRCH;
		return NULL;
	}
	if (type != XENMEM_resource_ioreq_server || id >= FX_MAX_SERVERS ||
	    !d->srv[id].used) {
		errno = ENOENT;
		return NULL;
	}
	if (frame == XENMEM_resource_ioreq_server_frame_bufioreq) {
		errno = ENOENT; /* buffered ioreqs are off */
		return NULL;
	}
	if (frame != XENMEM_resource_ioreq_server_frame_ioreq(0) ||
	    nr_frames != 1 || (flags & ~MAP_FIXED) ||
	    (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	if ((flags & MAP_FIXED) || !paddr) {
		errno = EINVAL; /* the fake places mappings itself */
		return NULL;
	}
	s = &d->srv[id];
	if (s->page_fd < 0) {
		void *self;
		int fd = fx_memfd("fx-ioreq", FX_PAGE, &self);

		if (fd < 0) {
			errno = -fd;
			return NULL;
		}
		s->page_fd = fd;
		s->page = self;
	}
	addr = fx_mmap_pages(prot, 1, &s->page_fd, &off);
	if (!addr)
		return NULL;
	fres = calloc(1, sizeof(*fres));
	if (!fres)
		abort();
	fres->map = map_new(FX_MAP_RESOURCE, addr, 1);
	fres->map->domid = domid;
	fres->map->server = id;
	fres->map->fres = fres;
	*paddr = addr;
	return fres;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
				    xenforeignmemory_resource_handle *fres)
{
	(void)fmem;
	if (!fres)
		return 0;
	if (FX_INJECT())
		return -1;
	fx_log_call(fres->map->domid, "unmap_resource");
	fx_map_free(fres->map); /* frees fres too */
	return 0;
}

/* --- the guest's grant table ---------------------------------------------- */

static struct fx_grant *grant_find(struct fx_dom *d, uint32_t gref)
{
	for (struct fx_grant *g = d ? d->grants : NULL; g; g = g->next)
		if (g->gref == gref)
			return g;
	return NULL;
}

int fx_grant(unsigned int domid, uint32_t gref, uint64_t gfn, bool readonly)
{
	struct fx_dom *d;
	struct fx_grant *g;

	fx_ensure();
	d = fx_dom_live(domid);
	if (!d)
		return -ESRCH;
	if (!fx_gfn_ok(d, gfn))
		return -EINVAL;
	if (grant_find(d, gref))
		return -EEXIST;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->gref = gref;
	g->gfn = gfn;
	g->readonly = readonly;
	g->next = d->grants;
	d->grants = g;
	return 0;
}

/* Linux gnttab_end_foreign_access_ref(): refuses while the backend maps. */
int fx_grant_end(unsigned int domid, uint32_t gref)
{
	struct fx_dom *d;
	struct fx_grant *g;

	fx_ensure();
	d = fx_dom_find(domid);
	g = grant_find(d, gref);
	if (!g)
		return -ENOENT;
	if (g->mapped) {
		fx_violation("dom%u: grant %u ended while mapped by the "
			     "backend (Grant still in use by backend domain)",
			     domid, gref);
		return -EBUSY;
	}
	for (struct fx_grant **pp = &d->grants; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g);
	return 0;
}

unsigned int fx_grant_mapped(unsigned int domid, uint32_t gref)
{
	struct fx_grant *g;

	fx_ensure();
	g = grant_find(fx_dom_find(domid), gref);
	return g ? g->mapped : 0;
}

/* --- libxengnttab --------------------------------------------------------- */

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
				 unsigned open_flags)
{
	struct xengntdev_handle *xgt;

	(void)logger;
	(void)open_flags;
	if (FX_INJECT())
		return NULL;
	xgt = calloc(1, sizeof(*xgt));
	if (!xgt)
		return NULL;
	fx_handle_add(&xgt->h, FX_H_GNTTAB);
	return xgt;
}

/* Mappings outlive the handle: each vma holds the gntdev file. */
int xengnttab_close(xengnttab_handle *xgt)
{
	if (!xgt)
		return 0;
	fx_handle_del(&xgt->h);
	free(xgt);
	return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	(void)nr_grants;
	if (FX_INJECT())
		return -1;
	if (xgt->h.neutered) {
		errno = ENOTTY;
		return -1;
	}
	return 0;
}

/*
 * gntdev: IOCTL_GNTDEV_MAP_GRANT_REF then mmap(); the grant map
 * hypercall fails for a missing grant (EINVAL) and for a read-only grant
 * mapped writable (EACCES, see fakexen.h); nothing stays mapped then.
 */
static void *grant_map(xengnttab_handle *xgt, uint32_t count,
		       const uint32_t *domids, uint32_t domid,
		       const uint32_t *refs, int prot)
{
	struct fx_grant **gs;
	struct fx_map *m;
	int *fds;
	off_t *offs;
	void *addr = NULL;

	if (xgt->h.neutered) {
		errno = ENOTTY;
		return NULL;
	}
	if (!count || (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	gs = calloc(count, sizeof(*gs));
	fds = calloc(count, sizeof(*fds));
	offs = calloc(count, sizeof(*offs));
	if (!gs || !fds || !offs)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		uint32_t dom = domids ? domids[i] : domid;
		struct fx_dom *d = fx_dom_find(dom);

		if (!i || dom != (domids ? domids[i - 1] : domid))
			fx_log_call(dom, "grant_map");
		gs[i] = d && dom ? grant_find(d, refs[i]) : NULL;
		if (!gs[i]) {
			errno = EINVAL;
			goto out;
		}
		if (gs[i]->readonly && (prot & PROT_WRITE)) {
			errno = EACCES;
			goto out;
		}
		fds[i] = d->ram_fd;
		offs[i] =
			(off_t)((gs[i]->gfn - d->ram_base / FX_PAGE) * FX_PAGE);
	}
	addr = fx_mmap_pages(prot, count, fds, offs);
	if (!addr)
		goto out;
	m = map_new(FX_MAP_GRANT, addr, count);
	m->gdomid = calloc(count, sizeof(*m->gdomid));
	m->gref = calloc(count, sizeof(*m->gref));
	if (!m->gdomid || !m->gref)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		m->gdomid[i] = domids ? domids[i] : domid;
		m->gref[i] = refs[i];
		gs[i]->mapped++;
	}
out:
	free(gs);
	free(fds);
	free(offs);
	return addr;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	fx_w.totals.grant_map_calls++;
	if (FX_INJECT())
		return NULL;
	return grant_map(xgt, 1, NULL, domid, &ref, prot);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count,
			       uint32_t *domids, uint32_t *refs, int prot)
{
	fx_w.totals.grant_map_calls++;
	if (FX_INJECT())
		return NULL;
	return grant_map(xgt, count, domids, 0, refs, prot);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count,
				      uint32_t domid, uint32_t *refs, int prot)
{
	fx_w.totals.grant_map_calls++;
	if (FX_INJECT())
		return NULL;
	return grant_map(xgt, count, NULL, domid, refs, prot);
}

/*
 * The real unmap asks gntdev for the mapping's offset first
 * (IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR), which fails for anything but the
 * start of a mapping, and unmaps the whole count given.
 */
int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	struct fx_map *m;

	fx_w.totals.grant_unmap_calls++;
	if (FX_INJECT())
		return -1;
	if (xgt->h.neutered) {
		errno = ENOTTY; /* nothing is unmapped */
		return -1;
	}
	m = map_find(start_address, count);
	if (!m || m->kind != FX_MAP_GRANT) {
		fx_violation("xengnttab_unmap(%p, %u): not one earlier mapping",
			     start_address, count);
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < m->pages; i++)
		if (!i || m->gdomid[i] != m->gdomid[i - 1])
			fx_log_call(m->gdomid[i], "grant_unmap");
	fx_map_free(m);
	return 0;
}

/* GNTTABOP_copy operand: host pointer for one side of a segment. */
static int16_t copy_ptr(const union xengnttab_copy_ptr *p, bool gref,
			uint16_t len, bool dest, uint8_t **out)
{
	struct fx_dom *d;
	struct fx_grant *g;

	if (!gref) {
		*out = p->virt;
		return GNTST_okay;
	}
	d = fx_dom_find(p->foreign.domid);
	if (!d || !p->foreign.domid)
		return GNTST_bad_domain;
	g = grant_find(d, p->foreign.ref);
	if (!g)
		return GNTST_bad_gntref;
	if (dest && g->readonly)
		return GNTST_permission_denied;
	if (p->foreign.offset + len > FX_PAGE)
		return GNTST_bad_copy_arg;
	*out = d->ram + (g->gfn * FX_PAGE - d->ram_base) + p->foreign.offset;
	return GNTST_okay;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
			 xengnttab_grant_copy_segment_t *segs)
{
	if (FX_INJECT())
		return -1;
	if (xgt->h.neutered) {
		errno = ENOTTY;
		return -1;
	}
	for (uint32_t i = 0; i < count; i++) {
		xengnttab_grant_copy_segment_t *s = &segs[i];
		uint8_t *src = NULL, *dst = NULL;
		int16_t st;

		st = copy_ptr(&s->source, s->flags & GNTCOPY_source_gref,
			      s->len, false, &src);
		if (st == GNTST_okay)
			st = copy_ptr(&s->dest, s->flags & GNTCOPY_dest_gref,
				      s->len, true, &dst);
		if (st == GNTST_okay)
			memmove(dst, src, s->len);
		s->status = st;
	}
	return 0;
}
