// SPDX-License-Identifier: BSD-3-Clause
/*
 * One guest of the Xen transport: its IOREQ server, the ioreq page, one
 * event channel per vCPU, and the servicing of ioreqs for its device
 * windows (docs/xen.md). Bring-up order and the ioreq state machine
 * follow Xen's xen/common/ioreq.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <vgpio/virtio_mmio.h>
#include "xen-priv.h"

enum vg_irq_kind vg_xen_irq_kind(const struct vg_devspec *spec)
{
	if (spec->irq_kind != VG_IRQ_DEFAULT)
		return spec->irq_kind;
#if defined(__i386__) || defined(__x86_64__)
	return VG_IRQ_ISA;
#else
	return VG_IRQ_SPI;
#endif
}

/* --- ioreq servicing --------------------------------------------------- */

static struct vg_xen_dev *dev_at(struct vg_xen_guest *g, uint64_t addr,
				 unsigned int size)
{
	unsigned int i;

	for (i = 0; i < g->ndev; i++) {
		struct vg_xen_dev *d = g->dev[i];
		uint64_t off;

		if (addr < d->spec.base)
			continue;
		off = addr - d->spec.base;
		if (off < VG_DEVSPEC_WINDOW && size <= VG_DEVSPEC_WINDOW - off)
			return d;
	}
	return NULL;
}

/*
 * A window whose owner refused it: just enough of virtio-mmio for the
 * guest to see "no device here" (DeviceID 0: Linux's probe returns
 * -ENODEV without a message). Writes are ignored.
 */
static uint64_t placeholder_read(uint64_t off, unsigned int size)
{
	if (size != 4)
		return 0;
	switch (off) {
	case VG_MMIO_MAGIC_VALUE:
		return VG_MMIO_MAGIC;
	case VG_MMIO_VERSION:
		return VG_MMIO_VERSION_MODERN;
	default:
		return 0;
	}
}

/*
 * Emulate one IOREQ_TYPE_COPY on the private copy @req; returns the read
 * result. The register file's choke point masks write data to the access
 * size (Xen 4.17 on Arm passes the whole guest register) and returns reads
 * zero-extended (Xen < 4.18 on Arm does not clear the upper bits itself).
 */
static uint64_t do_copy(struct vg_xen_guest *g, const struct ioreq *req)
{
	unsigned int size = req->size;
	struct vg_xen_dev *d;
	uint64_t off;

	if ((size != 1 && size != 2 && size != 4 && size != 8) ||
	    req->count != 1 || req->data_is_ptr || (req->addr & (size - 1))) {
		vg_log_guest(&g->log,
			     "ioreq at %#llx: size %u count %u data_is_ptr "
			     "%u refused",
			     (unsigned long long)req->addr, size, req->count,
			     (unsigned int)req->data_is_ptr);
		return 0;
	}
	d = dev_at(g, req->addr, size);
	if (!d) {
		vg_log_guest(&g->log, "ioreq at %#llx: no device window",
			     (unsigned long long)req->addr);
		return 0;
	}
	off = req->addr - d->spec.base;
	if (req->dir == IOREQ_READ)
		return d->mmio ? vg_mmio_read(d->mmio, off, size)
			       : placeholder_read(off, size);
	if (d->mmio)
		vg_mmio_write(d->mmio, off, size, req->data);
	return 0;
}

static uint64_t do_ioreq(struct vg_xen_guest *g, const struct ioreq *req)
{
	unsigned int i;

	switch (req->type) {
	case IOREQ_TYPE_COPY:
		return do_copy(g, req);
	case IOREQ_TYPE_INVALIDATE:
		/* Guest RAM left the p2m: cached foreign mappings may be
		 * stale. Completing it is what unblocks the vCPU. */
		for (i = 0; i < g->ndev; i++)
			vg_xen_mem_invalidate(g->dev[i]);
		return 0;
	default:
		vg_log_guest(&g->log, "ioreq type %u ignored",
			     (unsigned int)req->type);
		return 0;
	}
}

/*
 * The ioreq protocol for vCPU @v (xen/common/ioreq.c): Xen fills the slot
 * and sets READY; we set INPROCESS, emulate on a private copy, write data,
 * set IORESP_READY and notify. Xen then moves the slot to NONE itself; we
 * never write NONE or vp_eport, and never move the state backwards (Xen
 * crashes the guest if we do).
 */
static void service(struct vg_xen_guest *g, unsigned int v)
{
	volatile struct ioreq *slot = &g->page->vcpu_ioreq[v];
	struct ioreq req;
	uint64_t data;

	if (slot->state != STATE_IOREQ_READY)
		return; /* spurious, or already served */
	/* Race: Xen writes the fields, then READY; read READY, then them. */
	xen_rmb();
	memcpy(&req, (const void *)slot, sizeof(req));
	slot->state = STATE_IOREQ_INPROCESS;
	data = do_ioreq(g, &req);
	if (req.dir == IOREQ_READ && !req.data_is_ptr)
		slot->data = data;
	/* Race: Xen reads data as soon as it sees IORESP_READY. */
	xen_wmb();
	slot->state = STATE_IORESP_READY;
	/* Race: the state must be visible before the vCPU is woken. */
	xen_mb();
	xenevtchn_notify(g->xce, g->port[v]);
}

static void guest_event(void *arg, uint32_t events)
{
	struct vg_xen_guest *g = arg;
	xenevtchn_port_or_error_t port;
	unsigned int v;

	(void)events;
	port = xenevtchn_pending(g->xce);
	if (port < 0)
		return; /* EAGAIN: nothing after all */
	/* Unmask first: a request arriving while we serve is not lost. */
	xenevtchn_unmask(g->xce, (evtchn_port_t)port);
	for (v = 0; v < g->nr_vcpus; v++) {
		if (g->port[v] == (evtchn_port_t)port) {
			service(g, v);
			return;
		}
	}
}

/* --- guest life cycle ---------------------------------------------------- */

static void guest_teardown(struct vg_xen_guest *g)
{
	unsigned int v;

	if (g->stage >= VG_XG_WATCHED)
		vg_evloop_del(g->x->ev, g->evfd);
	/*
	 * A vCPU may be blocked on a request we have not seen yet (its event
	 * is still queued): complete it, or it never runs again.
	 */
	if (g->stage >= VG_XG_PORTS)
		for (v = 0; v < g->nr_vcpus; v++)
			service(g, v);
	if (g->stage >= VG_XG_ENABLED) {
		for (v = 0; v < g->nr_vcpus; v++)
			if (g->port[v])
				xenevtchn_unbind(g->xce, g->port[v]);
		xendevicemodel_set_ioreq_server_state(g->dm, g->domid,
						      g->server, 0);
	}
	if (g->stage >= VG_XG_PAGE)
		xenforeignmemory_unmap_resource(g->fm, g->res);
	if (g->stage >= VG_XG_SERVER)
		xendevicemodel_destroy_ioreq_server(g->dm, g->domid, g->server);
	if (g->gt)
		xengnttab_close(g->gt);
	if (g->xce)
		xenevtchn_close(g->xce);
	if (g->fm)
		xenforeignmemory_close(g->fm);
	if (g->dm)
		xendevicemodel_close(g->dm);
	g->stage = VG_XG_NONE;
}

/* Restrict a handle to its guest; kernels without support only warn. */
static int restricted(struct vg_xen_guest *g, const char *what, int r)
{
	int rc = -errno;

	if (!r)
		return 0;
	if (errno == ENOTTY || errno == ENOSYS || errno == EOPNOTSUPP) {
		vg_log_warn(&g->log, "%s handle cannot be restricted", what);
		return 0;
	}
	vg_log_warn(&g->log, "cannot restrict the %s handle", what);
	return rc;
}

int vg_xen_domain_why(xc_interface *xc, unsigned int domid,
		      enum vg_irq_kind kind, const char **why)
{
	xc_domaininfo_t info;
	int n;

	n = xc_domain_getinfolist(xc, domid, 1, &info);
	if (n != 1 || info.domain != domid) {
		*why = "no such domain";
		return -ENOENT;
	}
	if (info.flags & XEN_DOMINF_dying) {
		*why = "domain is dying";
		return -ESRCH;
	}
	if (!(info.flags & XEN_DOMINF_hvm_guest)) {
		*why = "a PV guest has no emulated MMIO; virtio-mmio needs an "
		       "HVM, PVH or Arm guest";
		return -EOPNOTSUPP;
	}
#if defined(__i386__) || defined(__x86_64__)
	if (kind == VG_IRQ_ISA &&
	    !(info.arch_config.emulation_flags & XEN_X86_EMU_PIC)) {
		*why = "a PVH guest has no emulated interrupt controller to "
		       "inject the device's ISA IRQ into (Xen 4.17 crashes "
		       "trying); use an HVM guest";
		return -EOPNOTSUPP;
	}
#else
	(void)kind;
#endif
	*why = "";
	return 0;
}

int vg_xen_domain_check(xc_interface *xc, unsigned int domid,
			enum vg_irq_kind kind, struct vg_log *log)
{
	const char *why;
	int rc = vg_xen_domain_why(xc, domid, kind, &why);

	if (rc)
		vg_log_warnx(log, "%s", why);
	return rc;
}

/*
 * Check that the restriction holds: every restricted handle must refuse a
 * domain that is not the guest's. The probe names a domain that is not the
 * guest (and is none in practice: the highest guest domid), so an
 * unrestricted handle would reach Xen, which answers "no such domain",
 * while a restricted one is refused by the kernel before that: EPERM
 * (privcmd), EACCES (evtchn). Nothing is changed either way: the calls
 * read a vCPU count, map a page or bind a port of a domain that is not
 * there. 0, or -EPERM (logged) if a handle answered otherwise.
 */
static int confine_check(struct vg_xen_guest *g)
{
	unsigned int other = g->domid == VG_DEVSPEC_DOMID_MAX
				     ? VG_DEVSPEC_DOMID_MAX - 1
				     : VG_DEVSPEC_DOMID_MAX;
	xen_pfn_t gfn = 0;
	unsigned int n;
	const char *bad = NULL;
	void *p;
	int e;

	errno = 0;
	if (!xendevicemodel_nr_vcpus(g->dm, (domid_t)other, &n) ||
	    errno != EPERM)
		bad = "devicemodel";
	errno = 0;
	p = xenforeignmemory_map(g->fm, other, PROT_READ, 1, &gfn, NULL);
	e = errno;
	if (p) {
		xenforeignmemory_unmap(g->fm, p, 1);
		bad = "foreignmemory";
	} else if (e != EPERM) {
		bad = "foreignmemory";
	}
	errno = 0;
	if (xenevtchn_bind_interdomain(g->xce, other, 1) >= 0 ||
	    errno != EACCES)
		bad = "evtchn";
	if (bad) {
		vg_log_warnx(&g->log,
			     "the %s handle still reaches domain %u after "
			     "restriction; refusing to serve",
			     bad, other);
		return -EPERM;
	}
	vg_log_info(&g->log,
		    "Xen handles restricted to the domain (checked: domain %u "
		    "refused)",
		    other);
	return 0;
}

/*
 * Restrict the guest's handles to it (docs/xen.md, "Security notes").
 *
 * A confined instance owns this one guest and nothing else: no xenstore,
 * no xenctrl. xentoolcore_restrict_all() then restricts every Xen handle
 * the process holds (the devicemodel, foreignmemory and evtchn handles
 * just opened) to the guest, and would neuter a xenstore, xenctrl or
 * gnttab handle if there were one; a failure fails the start. The gnttab
 * handle is opened afterwards (vg_xen_dev_add), since the library can only
 * neuter it: Linux's gntdev has no per-domain restriction, so the one
 * handle a confined process holds unrestricted maps grants, and only
 * grants, that any domain gave dom0. The domain's type and liveness are
 * the caller's to check (vg_xen_domain_check, with the xenctrl handle a
 * confined process does not have); the dm_ops below fail for a domain
 * that is gone.
 *
 * Otherwise the process serves every guest and keeps xenstore and
 * xenctrl, so each handle is restricted by its own call (kernels without
 * support only warn) and the domain is checked here.
 */
static int guest_confine(struct vg_xen_guest *g, enum vg_irq_kind kind)
{
	int rc;

	if (g->x->confined) {
		if (xentoolcore_restrict_all(g->domid)) {
			rc = -errno ? -errno : -EPERM;
			vg_log_warn(&g->log,
				    "cannot restrict the process's Xen "
				    "handles to the domain");
			return rc;
		}
		return confine_check(g);
	}
	rc = restricted(g, "devicemodel",
			xendevicemodel_restrict(g->dm, g->domid));
	if (!rc)
		rc = restricted(g, "foreignmemory",
				xenforeignmemory_restrict(g->fm, g->domid));
	if (!rc)
		rc = restricted(g, "evtchn",
				xenevtchn_restrict(g->xce, g->domid));
	if (rc)
		return rc;
	return vg_xen_domain_check(g->x->xc, g->domid, kind, &g->log);
}

/*
 * Bring-up in the order Xen needs: the handles are restricted before the
 * first call that reaches the guest; the ports exist in the ioreq page
 * only once it is mapped and the server enabled; the MMIO range is
 * registered last, by vg_xen_dev_add().
 */
static int guest_start(struct vg_xen_guest *g, enum vg_irq_kind kind)
{
	void *page = NULL;
	unsigned int v;
	int rc;

	g->dm = xendevicemodel_open(NULL, 0);
	g->fm = xenforeignmemory_open(NULL, 0);
	g->xce = xenevtchn_open(NULL, 0);
	if (!g->dm || !g->fm || !g->xce) {
		vg_log_warn(&g->log, "cannot open the Xen device model, "
				     "foreign memory or event channel driver");
		return -errno ? -errno : -ENODEV;
	}
	g->stage = VG_XG_HANDLES;
	rc = guest_confine(g, kind);
	if (rc)
		return rc;
	if (xendevicemodel_nr_vcpus(g->dm, g->domid, &g->nr_vcpus)) {
		rc = -errno;
		vg_log_warn(&g->log, "cannot read the vCPU count");
		return rc;
	}
	if (g->nr_vcpus == 0 || g->nr_vcpus > VG_XEN_MAX_VCPUS) {
		vg_log_warnx(&g->log, "%u vCPUs: one ioreq page serves 1..%zu",
			     g->nr_vcpus, (size_t)VG_XEN_MAX_VCPUS);
		return -EOPNOTSUPP;
	}
	/* Buffered ioreqs: Arm refuses them, and we have no use for them. */
	if (xendevicemodel_create_ioreq_server(
		    g->dm, g->domid, HVM_IOREQSRV_BUFIOREQ_OFF, &g->server)) {
		rc = -errno;
		vg_log_warn(&g->log, "cannot create an IOREQ server%s",
			    errno == ENOENT || errno == EOPNOTSUPP
				    ? " (on Arm Xen needs CONFIG_IOREQ_SERVER)"
				    : "");
		return rc;
	}
	g->stage = VG_XG_SERVER;
	g->res = xenforeignmemory_map_resource(
		g->fm, g->domid, XENMEM_resource_ioreq_server, g->server,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &page,
		PROT_READ | PROT_WRITE, 0);
	if (!g->res) {
		rc = -errno;
		vg_log_warn(&g->log, "cannot map the ioreq page");
		return rc;
	}
	g->page = page;
	g->stage = VG_XG_PAGE;
	if (xendevicemodel_set_ioreq_server_state(g->dm, g->domid, g->server,
						  1)) {
		rc = -errno;
		vg_log_warn(&g->log, "cannot enable the IOREQ server");
		return rc;
	}
	g->stage = VG_XG_ENABLED;
	/* Every vCPU, online or not: any of them may touch the window. */
	for (v = 0; v < g->nr_vcpus; v++) {
		evtchn_port_t remote = g->page->vcpu_ioreq[v].vp_eport;
		xenevtchn_port_or_error_t local;

		local = xenevtchn_bind_interdomain(g->xce, g->domid, remote);
		if (local < 0) {
			rc = -errno;
			vg_log_warn(&g->log,
				    "cannot bind vCPU %u's event channel %u", v,
				    remote);
			return rc;
		}
		g->port[v] = (evtchn_port_t)local;
	}
	g->stage = VG_XG_PORTS;
	g->evfd = xenevtchn_fd(g->xce);
	/* Served only when epoll says readable; never block in pending(). */
	if (g->evfd < 0)
		return -EBADF;
	if (fcntl(g->evfd, F_SETFL, fcntl(g->evfd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	rc = vg_evloop_add(g->x->ev, g->evfd, EPOLLIN, guest_event, g);
	if (rc)
		return rc;
	g->stage = VG_XG_WATCHED;
	return 0;
}

int vg_xen_name_set(char *dst, const char *name, const char *where,
		    struct vg_log *log)
{
	size_t i;

	/* The name picks the policy entry: printable, bounded. */
	for (i = 0; name[i]; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			break;
	if (name[i] || !i || i >= VG_XEN_NAME_MAX) {
		vg_log_warnx(log, "%s: unusable domain name", where);
		return -EINVAL;
	}
	memcpy(dst, name, i + 1);
	return 0;
}

int vg_xen_name_read(struct vg_xen *x, unsigned int domid, char *dst,
		     struct vg_log *log)
{
	char path[64];
	unsigned int len;
	char *name;
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	name = xs_read(x->xs, XBT_NULL, path, &len);
	if (!name) {
		vg_log_warnx(log, "%s: not readable", path);
		return -ENOENT;
	}
	rc = vg_xen_name_set(dst, name, path, log);
	free(name);
	return rc;
}

struct vg_xen_guest *vg_xen_guest_get(struct vg_xen *x, unsigned int domid,
				      enum vg_irq_kind kind, const char *name)
{
	struct vg_xen_guest *g;

	for (g = x->guests; g; g = g->next)
		if (g->domid == domid)
			return g;
	/* restrict_all() confines the whole process to one domain. */
	if (x->confined && x->guests) {
		vg_log_warnx(&x->log, "dom%u: this process serves dom%u only",
			     domid, (unsigned int)x->guests->domid);
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->x = x;
	g->domid = (domid_t)domid;
	g->evfd = -1;
	vg_log_init(&g->log, x->sink, "dom%u", domid);
	if ((name ? vg_xen_name_set(g->name, name, "configured name", &g->log)
		  : vg_xen_name_read(x, domid, g->name, &g->log)) ||
	    guest_start(g, kind)) {
		guest_teardown(g);
		free(g);
		return NULL;
	}
	g->next = x->guests;
	x->guests = g;
	vg_log_info(&g->log, "domain '%s': IOREQ server %u, %u vCPU(s)%s",
		    g->name, g->server, g->nr_vcpus,
		    x->confined ? ", process restricted to the domain" : "");
	return g;
}

void vg_xen_guest_put(struct vg_xen_guest *g)
{
	struct vg_xen_guest **pp;

	if (!g || g->ndev)
		return;
	for (pp = &g->x->guests; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	guest_teardown(g);
	vg_log_info(&g->log, "IOREQ server released");
	free(g);
}

/* --- device windows -------------------------------------------------------- */

int vg_xen_spec_check(const struct vg_devspec *s, char *msg, size_t len)
{
	const char *what;

	msg[0] = '\0';
	if (s->base % VG_DEVSPEC_WINDOW ||
	    s->base > UINT64_MAX - (VG_DEVSPEC_WINDOW - 1)) {
		snprintf(msg, len, "base %#llx: not a window address",
			 (unsigned long long)s->base);
		return -EINVAL;
	}
#if !defined(__i386__) && !defined(__x86_64__)
	if (vg_xen_irq_kind(s) == VG_IRQ_ISA) {
		snprintf(msg, len, "ISA IRQs exist only on x86");
		return -EINVAL;
	}
#endif
	if (!vg_devspec_irq_ok(vg_xen_irq_kind(s), s->irq)) {
		snprintf(msg, len, "irq %u: out of range for a%s", s->irq,
			 vg_xen_irq_kind(s) == VG_IRQ_SPI
				 ? " GIC SPI (32..1019)"
				 : "n ISA IRQ (1..15)");
		return -EINVAL;
	}
	if (vg_xen_irq_kind(s) != VG_IRQ_ISA)
		return 0;
	switch (vg_devspec_isa_use(s->irq, &what)) {
	case VG_ISA_FIRMWARE:
		snprintf(msg, len,
			 "ISA IRQ %u: an HVM guest's firmware routes it to %s; "
			 "choose a free one (docs/xen.md)",
			 s->irq, what);
		return -EBUSY;
	case VG_ISA_DEVICE:
		snprintf(msg, len,
			 "ISA IRQ %u: %s uses it when the guest has one, and "
			 "the guest cannot share it",
			 s->irq, what);
		return 1;
	case VG_ISA_FREE:
		break;
	}
	return 0;
}

static int dev_check(struct vg_xen_guest *g, const struct vg_devspec *s,
		     bool placeholder, struct vg_log *log)
{
	char msg[200];
	unsigned int i;
	int rc;

	if (g->ndev >= VG_XEN_MAX_DEVS) {
		vg_log_warnx(log, "more than %u devices for one guest",
			     VG_XEN_MAX_DEVS);
		return -ENOSPC;
	}
	rc = vg_xen_spec_check(s, msg, sizeof(msg));
	if (msg[0])
		vg_log_warnx(log, "%s", msg);
	if (rc < 0)
		return rc;
	for (i = 0; i < g->ndev; i++) {
		if (g->dev[i]->spec.base == s->base) {
			vg_log_warnx(log, "base %#llx: already a device",
				     (unsigned long long)s->base);
			return -EEXIST;
		}
	}
	/*
	 * After guest_confine(): xentoolcore_restrict_all() would have made
	 * a gnttab handle opened before it unusable. A placeholder known as
	 * such maps nothing, so it needs none.
	 */
	if (s->grants && !g->gt && !placeholder) {
		g->gt = xengnttab_open(NULL, 0);
		if (!g->gt) {
			vg_log_warn(log, "cannot open the grant device "
					 "(gntdev)");
			return -ENODEV;
		}
	}
	return 0;
}

struct vg_xen_dev *vg_xen_dev_add(struct vg_xen_guest *g,
				  const struct vg_devspec *spec,
				  unsigned int devid, const char *be_path,
				  const char *refused)
{
	struct vg_xen *x = g->x;
	struct vg_xen_dev *d;
	char reason[160] = "";
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->g = g;
	d->spec = *spec;
	d->devid = devid;
	vg_log_init(&d->log, x->sink, "dom%u/%u", g->domid, devid);
	if (be_path && !(d->be_path = strdup(be_path)))
		goto err;
	if (dev_check(g, spec, refused != NULL, &d->log))
		goto err;
	d->bus = (struct vg_bus){.ops = &vg_xen_transport_ops, .ctx = d};
	d->info = (struct vg_guest_info){
		.transport = "xen",
		.domid = g->domid,
		.devid = devid,
		.base = spec->base,
		.size = VG_DEVSPEC_WINDOW,
		.irq = spec->irq,
		.irq_kind = vg_xen_irq_kind(spec) == VG_IRQ_SPI ? "spi" : "isa",
		.memory = spec->grants ? "grant" : "foreign",
		.state = be_path ? "connected" : "manual",
	};
	if (refused) {
		snprintf(reason, sizeof(reason), "%s", refused);
		rc = EPERM;
	} else {
		rc = x->hooks->attach(x->arg, d, g->name, &d->bus, &d->info,
				      &d->mmio, reason, sizeof(reason));
	}
	if (rc) {
		d->info.state = "placeholder";
		d->mmio = NULL;
		snprintf(d->refused, sizeof(d->refused), "%s", reason);
		vg_log_warnx(&d->log,
			     "%s: serving an empty window (DeviceID 0) so the "
			     "guest's probe skips it",
			     reason);
	} else {
		d->attached = true;
	}
	g->dev[g->ndev++] = d;
	/* Last step: from here on the guest's accesses reach us. */
	if (xendevicemodel_map_io_range_to_ioreq_server(
		    g->dm, g->domid, g->server, 1, spec->base,
		    spec->base + VG_DEVSPEC_WINDOW - 1)) {
		vg_log_warn(&d->log, "cannot register MMIO %#llx..%#llx",
			    (unsigned long long)spec->base,
			    (unsigned long long)(spec->base +
						 VG_DEVSPEC_WINDOW - 1));
		vg_xen_dev_remove(d);
		return NULL;
	}
	d->range_mapped = true;
	vg_log_info(&d->log, "virtio-gpio at %#llx irq %u (%s), %s",
		    (unsigned long long)spec->base, spec->irq,
		    vg_xen_irq_kind(spec) == VG_IRQ_SPI ? "SPI" : "ISA",
		    spec->grants ? "grants" : "foreign mapping");
	return d;
err:
	free(d->be_path);
	free(d);
	return NULL;
}

void vg_xen_dev_remove(struct vg_xen_dev *d)
{
	struct vg_xen_guest *g;
	unsigned int i;

	if (!d)
		return;
	g = d->g;

	/* First stop the guest's accesses, then the device, then memory. */
	if (d->range_mapped)
		xendevicemodel_unmap_io_range_from_ioreq_server(
			g->dm, g->domid, g->server, 1, d->spec.base,
			d->spec.base + VG_DEVSPEC_WINDOW - 1);
	if (d->attached)
		g->x->hooks->detach(g->x->arg, d);
	vg_xen_mem_release(d);
	if (d->isa_level > 0)
		xendevicemodel_set_isa_irq_level(g->dm, g->domid,
						 (uint8_t)d->spec.irq, 0);
	for (i = 0; i < g->ndev; i++) {
		if (g->dev[i] == d) {
			g->dev[i] = g->dev[--g->ndev];
			break;
		}
	}
	free(d->be_path);
	free(d);
}
