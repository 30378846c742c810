// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fake Xen's world: domains, violations, failure injection, the call
 * log, libxenctrl, libxentoolcore and fx_reset(). See fakexen.h for the
 * rules and fx-internal.h for how the files share the world.
 */
#include <xenctrl.h>
#include <xentoolcore.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fx-internal.h"

struct fx_world fx_w;

struct xc_interface_core {
	struct fx_handle h;
};

/* --- world ---------------------------------------------------------------- */

static struct fx_dom *dom_alloc(unsigned int domid)
{
	struct fx_dom *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	d->domid = domid;
	d->ram_fd = -1;
	for (unsigned int i = 0; i < FX_MAX_SERVERS; i++)
		d->srv[i].page_fd = -1;
	return d;
}

static void dom_insert(struct fx_dom *d)
{
	struct fx_dom **pp = &fx_w.doms;

	while (*pp && (*pp)->domid < d->domid)
		pp = &(*pp)->next;
	d->next = *pp;
	*pp = d;
}

void fx_ensure(void)
{
	struct fx_dom *d0;

	if (fx_w.ready)
		return;
	memset(&fx_w, 0, sizeof(fx_w));
	fx_w.ready = true;
	fx_w.restrict_all = -1;
	/* dom0 is a domain like the others, without RAM of ours. */
	d0 = dom_alloc(0);
	snprintf(d0->name, sizeof(d0->name), "Domain-0");
	d0->arch = FX_X86_HVM;
	d0->nr_vcpus = 1;
	dom_insert(d0);
	fx_store_init();
}

void fx_violation(const char *fmt, ...)
{
	va_list ap;

	fx_ensure();
	va_start(ap, fmt);
	vsnprintf(fx_w.last, sizeof(fx_w.last), fmt, ap);
	va_end(ap);
	fx_w.violations++;
	fprintf(stderr, "fakexen: violation: %s\n", fx_w.last);
}

unsigned int fx_violations(void)
{
	fx_ensure();
	return fx_w.violations;
}

const char *fx_violation_last(void)
{
	fx_ensure();
	return fx_w.last;
}

void fx_fail_next(const char *fn, int err, unsigned int count)
{
	fx_ensure();
	for (size_t i = 0; i < sizeof(fx_w.fail) / sizeof(fx_w.fail[0]); i++) {
		struct fx_fail *f = &fx_w.fail[i];

		if (f->count && strcmp(f->fn, fn))
			continue;
		snprintf(f->fn, sizeof(f->fn), "%s", fn);
		f->err = err;
		f->count = count;
		return;
	}
	abort(); /* more armed functions than slots: a test bug */
}

bool fx_inject(const char *fn)
{
	fx_ensure();
	for (size_t i = 0; i < sizeof(fx_w.fail) / sizeof(fx_w.fail[0]); i++) {
		struct fx_fail *f = &fx_w.fail[i];

		if (f->count && !strcmp(f->fn, fn)) {
			f->count--;
			errno = f->err;
			return true;
		}
	}
	return false;
}

void fx_log_call(unsigned int domid, const char *name)
{
	struct fx_dom *d = fx_dom_find(domid);
	size_t n = strlen(name);

	if (!d)
		return;
	if (d->calls_len + n + 2 > d->calls_cap) {
		size_t cap = (d->calls_cap ? d->calls_cap * 2 : 256) + n;
		char *p = realloc(d->calls, cap);

		if (!p)
			abort();
		d->calls = p;
		d->calls_cap = cap;
	}
	if (d->calls_len)
		d->calls[d->calls_len++] = ' ';
	memcpy(d->calls + d->calls_len, name, n + 1);
	d->calls_len += n;
}

const char *fx_calls(unsigned int domid)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	return d && d->calls ? d->calls : "";
}

void fx_calls_clear(unsigned int domid)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	if (d && d->calls) {
		d->calls[0] = '\0';
		d->calls_len = 0;
	}
}

void fx_totals(struct fx_totals *t)
{
	fx_ensure();
	*t = fx_w.totals;
}

void fx_counts(struct fx_counts *c)
{
	fx_ensure();
	memset(c, 0, sizeof(*c));
	for (struct fx_map *m = fx_w.maps; m; m = m->next) {
		if (m->kind == FX_MAP_FOREIGN) {
			c->foreign_maps++;
			c->foreign_pages += (unsigned int)m->pages;
		} else if (m->kind == FX_MAP_GRANT)
			c->grant_maps++;
		else
			c->resource_maps++;
	}
	for (struct fx_port *p = fx_w.ports; p; p = p->next)
		c->ports++;
	for (struct fx_dom *d = fx_w.doms; d; d = d->next)
		for (unsigned int i = 0; i < FX_MAX_SERVERS; i++)
			if (d->srv[i].used) {
				c->servers++;
				c->ranges +=
					d->srv[i].rs[0].n + d->srv[i].rs[1].n;
			}
	for (struct fx_handle *h = fx_w.handles; h; h = h->next)
		c->handles++;
}

/* --- handles -------------------------------------------------------------- */

void fx_handle_add(struct fx_handle *h, enum fx_handle_kind kind)
{
	fx_ensure();
	h->kind = kind;
	h->restrict_domid = -1;
	h->neutered = false;
	h->next = fx_w.handles;
	fx_w.handles = h;
}

void fx_handle_del(struct fx_handle *h)
{
	for (struct fx_handle **pp = &fx_w.handles; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			return;
		}
}

int fx_handle_check(const struct fx_handle *h, unsigned int domid)
{
	if (h->neutered) {
		errno = ENOTTY; /* ioctl on /dev/null */
		return -1;
	}
	/* privcmd restriction: only the one domain (Linux). */
	if (h->restrict_domid >= 0 &&
	    (unsigned int)h->restrict_domid != domid) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

void *fx_handle_nth(enum fx_handle_kind kind, unsigned int n)
{
	fx_ensure();
	for (struct fx_handle *h = fx_w.handles; h; h = h->next)
		if (h->kind == kind && !n--)
			return h; /* first member of every library handle */
	return NULL;
}

/* --- domains -------------------------------------------------------------- */

struct fx_dom *fx_dom_find(unsigned int domid)
{
	for (struct fx_dom *d = fx_w.doms; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

struct fx_dom *fx_dom_live(unsigned int domid)
{
	struct fx_dom *d = fx_dom_find(domid);

	return d && d->domid && !d->dying ? d : NULL;
}

unsigned int fx_dom_refs(unsigned int domid)
{
	unsigned int n = 0;

	for (struct fx_map *m = fx_w.maps; m; m = m->next) {
		if (m->kind != FX_MAP_GRANT) {
			n += m->domid == domid;
			continue;
		}
		for (size_t i = 0; i < m->pages; i++)
			if (m->gdomid[i] == domid) {
				n++;
				break;
			}
	}
	for (struct fx_port *p = fx_w.ports; p; p = p->next)
		n += p->remote_domid == domid;
	return n;
}

static void dom_free(struct fx_dom *d)
{
	fx_dom_ioreq_free(d);
	while (d->grants) {
		struct fx_grant *g = d->grants;

		d->grants = g->next;
		free(g);
	}
	if (d->ram)
		munmap(d->ram, d->ram_size);
	if (d->ram_fd >= 0)
		close(d->ram_fd);
	free(d->calls);
	free(d);
}

void fx_dom_reap(unsigned int domid)
{
	struct fx_dom **pp = &fx_w.doms;

	while (*pp && (*pp)->domid != domid)
		pp = &(*pp)->next;
	if (!*pp || !(*pp)->dying || fx_dom_refs(domid))
		return;
	struct fx_dom *d = *pp;

	*pp = d->next;
	dom_free(d);
}

bool fx_domain_zombie(unsigned int domid)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	return d && d->dying;
}

void fx_dom_crash(struct fx_dom *d, const char *why)
{
	fx_violation("dom%u: domain_crash: %s", d->domid, why);
	if (d->crashed)
		return;
	d->crashed = true;
	d->shutdown = true; /* domain_shutdown(d, SHUTDOWN_crash) */
	d->shutdown_code = SHUTDOWN_crash;
	for (unsigned int v = 0; v < d->nr_vcpus; v++)
		if (d->vcpu[v].outstanding) {
			d->vcpu[v].outstanding = false;
			d->vcpu[v].waiting = 0;
			d->vcpu[v].result = FX_IO_CRASHED;
		}
	fx_store_fire_special("@releaseDomain"); /* VIRQ_DOM_EXC */
}

int fx_domain_new(const struct fx_domain_params *p)
{
	char path[64], val[16];
	struct fx_dom *d;
	void *ram;
	int fd;

	fx_ensure();
	if (!p || !p->name || p->domid < 1 || p->domid > 0x7fef ||
	    p->nr_vcpus < 1 || p->nr_vcpus > FX_MAX_VCPUS ||
	    p->ram_base % FX_PAGE || p->ram_size % FX_PAGE || !p->ram_size ||
	    p->ram_size > (64u << 20) || p->arch > FX_X86_PVH ||
	    p->nr_spis > 988 || p->ram_base + p->ram_size < p->ram_base)
		return -EINVAL;
	if (fx_dom_find(p->domid))
		return -EEXIST;
	snprintf(path, sizeof(path), "fx-ram-dom%u", p->domid);
	if (p->ram_fd > 0)
		fd = fx_memfd_adopt(p->ram_fd, p->ram_size, &ram);
	else
		fd = fx_memfd(path, p->ram_size, &ram);
	if (fd < 0)
		return fd;
	d = dom_alloc(p->domid);
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	d->arch = p->arch;
	d->nr_vcpus = p->nr_vcpus;
	d->nr_spis = p->nr_spis;
	d->ram_base = p->ram_base;
	d->ram_size = p->ram_size;
	d->ram_fd = fd;
	d->ram = ram;
	dom_insert(d);

	snprintf(path, sizeof(path), "/local/domain/%u/name", p->domid);
	fx_store_write(path, p->name);
	snprintf(path, sizeof(path), "/local/domain/%u/domid", p->domid);
	snprintf(val, sizeof(val), "%u", p->domid);
	fx_store_write(path, val);
	fx_store_fire_special("@introduceDomain");
	return 0;
}

int fx_domain_destroy(unsigned int domid)
{
	struct fx_dom *d;
	char path[64];

	fx_ensure();
	d = fx_dom_find(domid);
	if (!d || !domid)
		return -ESRCH;
	if (d->dying)
		return -EINVAL;
	d->dying = true;
	/* ioreq_server_destroy_all(): Xen closes the guest-side ports. */
	for (unsigned int i = 0; i < FX_MAX_SERVERS; i++)
		if (d->srv[i].used)
			fx_server_destroy(d, i);
	for (unsigned int v = 0; v < d->nr_vcpus; v++)
		d->vcpu[v].outstanding = false;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	fx_store_rm(path);
	fx_store_fire_special("@releaseDomain");
	fx_dom_reap(domid);
	return 0;
}

int fx_domain_shutdown(unsigned int domid)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	if (!d || !domid)
		return -ESRCH;
	if (!d->shutdown) {
		d->shutdown = true;
		d->shutdown_code = SHUTDOWN_poweroff;
	}
	fx_store_fire_special("@releaseDomain");
	return 0;
}

void *fx_guest_mem(unsigned int domid, uint64_t gpa, size_t len)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	if (!d || !d->ram || gpa < d->ram_base || len > d->ram_size ||
	    gpa - d->ram_base > d->ram_size - len)
		return NULL;
	return d->ram + (gpa - d->ram_base);
}

unsigned int fx_irq_edges(unsigned int domid, unsigned int irq)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	return d && irq < 1024 ? d->edges[irq] : 0;
}

int fx_isa_level(unsigned int domid, unsigned int irq)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	return d && irq < 16 ? d->isa_level[irq] : 0;
}

/* --- reset ---------------------------------------------------------------- */

unsigned int fx_reset(void)
{
	struct fx_counts c;
	unsigned int leaked;

	fx_ensure();
	fx_counts(&c);
	leaked = c.foreign_maps + c.grant_maps + c.resource_maps + c.ports +
		 c.servers + c.handles;

	/* Close what the code under test left open, as process exit would. */
	while (fx_w.handles) {
		struct fx_handle *h = fx_w.handles;

		switch (h->kind) {
		case FX_H_XC:
			xc_interface_close((xc_interface *)h);
			break;
		case FX_H_DM:
			xendevicemodel_close((xendevicemodel_handle *)h);
			break;
		case FX_H_FMEM:
			xenforeignmemory_close((xenforeignmemory_handle *)h);
			break;
		case FX_H_EVTCHN:
			xenevtchn_close((xenevtchn_handle *)h);
			break;
		case FX_H_GNTTAB:
			xengnttab_close((xengnttab_handle *)h);
			break;
		case FX_H_XS:
			xs_close((struct xs_handle *)h);
			break;
		}
	}
	while (fx_w.maps)
		fx_map_free(fx_w.maps);
	while (fx_w.ports)
		fx_port_free(fx_w.ports);
	while (fx_w.doms) {
		struct fx_dom *d = fx_w.doms;

		fx_w.doms = d->next;
		dom_free(d);
	}
	fx_store_free();
	fx_w.ready = false;
	fx_ensure();
	return leaked;
}

/* --- libxenctrl ----------------------------------------------------------- */

xc_interface *xc_interface_open(xentoollog_logger *logger,
				xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	struct xc_interface_core *xch;

	(void)logger;
	(void)dombuild_logger;
	(void)open_flags;
	if (FX_INJECT())
		return NULL;
	xch = calloc(1, sizeof(*xch));
	if (!xch)
		return NULL;
	fx_handle_add(&xch->h, FX_H_XC);
	return xch;
}

int xc_interface_close(xc_interface *xch)
{
	if (!xch)
		return 0;
	fx_handle_del(&xch->h);
	free(xch);
	return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
			  unsigned int max_domains, xc_domaininfo_t *info)
{
	unsigned int n = 0;

	if (FX_INJECT())
		return -1;
	if (xch->h.neutered) {
		errno = ENOTTY; /* xencall's privcmd fd is /dev/null now */
		return -1;
	}
	for (struct fx_dom *d = fx_w.doms; d && n < max_domains; d = d->next) {
		xc_domaininfo_t *i = &info[n];

		if (d->domid < first_domain)
			continue;
		memset(i, 0, sizeof(*i));
		i->domain = (domid_t)d->domid;
		if (d->dying)
			i->flags |= XEN_DOMINF_dying;
		if (d->shutdown)
			i->flags |= XEN_DOMINF_shutdown |
				    (d->shutdown_code & XEN_DOMINF_shutdownmask)
					    << XEN_DOMINF_shutdownshift;
		if (d->domid) {
			/* Arm guests and both x86 kinds are "HVM". */
			i->flags |= XEN_DOMINF_hvm_guest;
			if (d->arch == FX_X86_HVM)
				i->arch_config.emulation_flags =
					XEN_X86_EMU_ALL;
			else if (d->arch == FX_X86_PVH)
				i->arch_config.emulation_flags =
					XEN_X86_EMU_LAPIC;
		}
		if (!d->dying && !d->shutdown)
			i->flags |= XEN_DOMINF_running;
		i->tot_pages = d->ram_size / FX_PAGE;
		i->max_pages = i->tot_pages;
		i->nr_online_vcpus = d->dying ? 0 : d->nr_vcpus;
		i->max_vcpu_id = d->nr_vcpus - 1;
		fx_log_call(d->domid, "getinfo");
		n++;
	}
	return (int)n;
}

/* --- libxentoolcore ------------------------------------------------------- */

/*
 * Like the real one: each library registered a restrict callback per
 * handle. devicemodel, foreignmemory and evtchn restrict the handle to
 * @domid (their own restrict calls); xenstore, xencall (xc) and gnttab
 * have no restriction and dup2() /dev/null over their fd instead.
 */
int xentoolcore_restrict_all(domid_t domid)
{
	if (FX_INJECT())
		return -1;
	fx_log_call(domid, "restrict_all");
	fx_w.restrict_all = domid;
	for (struct fx_handle *h = fx_w.handles; h; h = h->next) {
		int r = 0;

		switch (h->kind) {
		case FX_H_DM:
			r = xendevicemodel_restrict((xendevicemodel_handle *)h,
						    domid);
			break;
		case FX_H_FMEM:
			r = xenforeignmemory_restrict(
				(xenforeignmemory_handle *)h, domid);
			break;
		case FX_H_EVTCHN:
			r = xenevtchn_restrict((xenevtchn_handle *)h, domid);
			break;
		case FX_H_XC:
		case FX_H_GNTTAB:
		case FX_H_XS:
			h->neutered = true;
			break;
		}
		if (r)
			return -1;
	}
	return 0;
}
