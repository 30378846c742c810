// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Xen transport instance: xenstore discovery of libxl's virtio devices,
 * manual devices, and the device life cycle (xen.h).
 *
 * Backend directory written by libxl (Xen >= 4.18), one transaction per
 * device:  /local/domain/<self>/backend/virtio/<domid>/<devid>/
 *            frontend frontend-id online=1 state=1 irq base=0x.. type
 *            transport=mmio grant_usage
 * Our states: 1 (theirs) -> 2 (claimed, in a transaction that saw 1)
 *             -> 4 (serving) ... 5 or online=0 (theirs) -> 6 (released).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "num.h"
#include "xen-priv.h"

#define VG_XEN_TYPE "virtio,device29"
#define VG_XEN_TOKEN_BE "vgpio:backend"
#define VG_XEN_TOKEN_REL "vgpio:release"
#define VG_XEN_TOKEN_INTRO "vgpio:introduce"
/* Claim attempts when another xenstore writer keeps conflicting. */
#define VG_XEN_CLAIM_TRIES 8

#define VG_XEN_PATH 256

/* "<dir>/<key>" into @path (VG_XEN_PATH bytes); false if too long. */
static bool join(char *path, const char *dir, const char *key)
{
	int n = snprintf(path, VG_XEN_PATH, "%s/%s", dir, key);

	return n > 0 && n < VG_XEN_PATH;
}

static char *xs_get(struct vg_xen *x, const char *dir, const char *key)
{
	char path[VG_XEN_PATH];
	unsigned int len;

	if (!join(path, dir, key)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return xs_read(x->xs, XBT_NULL, path, &len);
}

static bool xs_is(struct vg_xen *x, const char *dir, const char *key,
		  const char *want)
{
	char *v = xs_get(x, dir, key);
	bool eq = v && !strcmp(v, want);

	free(v);
	return eq;
}

/*
 * In one transaction: if @dir/state exists and (@expect NULL) or reads
 * @expect, write @st. Never recreates a removed directory and never
 * overwrites what the toolstack wrote meanwhile. true if written.
 */
static bool xs_move_state(struct vg_xen *x, const char *dir, const char *expect,
			  const char *st)
{
	char path[VG_XEN_PATH];
	unsigned int tries, len;

	if (!join(path, dir, "state"))
		return false;
	for (tries = 0; tries < VG_XEN_CLAIM_TRIES; tries++) {
		xs_transaction_t t = xs_transaction_start(x->xs);
		char *cur;
		bool go;

		if (t == XBT_NULL)
			break;
		cur = xs_read(x->xs, t, path, &len);
		go = cur && (!expect || !strcmp(cur, expect));
		free(cur);
		if (go &&
		    !xs_write(x->xs, t, path, st, (unsigned int)strlen(st))) {
			xs_transaction_end(x->xs, t, true);
			break;
		}
		if (xs_transaction_end(x->xs, t, !go))
			return go;
		if (!go || errno != EAGAIN)
			return false;
	}
	vg_log_warn(&x->log, "%s: cannot write state %s", dir, st);
	return false;
}

/* --- devices ----------------------------------------------------------- */

/* A discovered (xenstore) device served here, by its directory's ids. */
static struct vg_xen_dev *find_dev(struct vg_xen *x, unsigned int domid,
				   unsigned int devid)
{
	struct vg_xen_guest *g;
	unsigned int i;

	for (g = x->guests; g; g = g->next) {
		if (g->domid != domid)
			continue;
		for (i = 0; i < g->ndev; i++)
			if (g->dev[i]->devid == devid && g->dev[i]->be_path)
				return g->dev[i];
	}
	return NULL;
}

/* A discovered device a worker serves, by its directory's ids. */
static struct vg_xen_far *find_far(struct vg_xen *x, unsigned int domid,
				   unsigned int devid)
{
	struct vg_xen_far *f;

	for (f = x->far; f; f = f->next)
		if (f->domid == domid && f->devid == devid && f->be_path)
			return f;
	return NULL;
}

/*
 * Domain @domid's window at @base, wherever it is served: *@dp (here) or
 * *@fp (by a worker), the other NULL. false if it has none there.
 */
static bool find_window(struct vg_xen *x, unsigned int domid, uint64_t base,
			struct vg_xen_dev **dp, struct vg_xen_far **fp)
{
	struct vg_xen_guest *g;
	struct vg_xen_far *f;
	unsigned int i;

	*dp = NULL;
	*fp = NULL;
	for (f = x->far; f; f = f->next)
		if (f->domid == domid && f->base == base) {
			*fp = f;
			return true;
		}
	for (g = x->guests; g; g = g->next) {
		if (g->domid != domid)
			continue;
		for (i = 0; i < g->ndev; i++)
			if (g->dev[i]->spec.base == base) {
				*dp = g->dev[i];
				return true;
			}
	}
	return false;
}

/* Is device id @devid one of domain @domid's windows? */
static bool devid_used(struct vg_xen *x, unsigned int domid, unsigned int devid)
{
	struct vg_xen_guest *g;
	struct vg_xen_far *f;
	unsigned int i;

	for (f = x->far; f; f = f->next)
		if (f->domid == domid && f->devid == devid)
			return true;
	for (g = x->guests; g; g = g->next)
		for (i = 0; g->domid == domid && i < g->ndev; i++)
			if (g->dev[i]->devid == devid)
				return true;
	return false;
}

/*
 * The device id of a window without a xenstore directory (the policy's,
 * or added by a control command): the lowest one the domain's windows do
 * not use, for the log prefix and status.
 */
static unsigned int next_devid(struct vg_xen *x, unsigned int domid)
{
	unsigned int devid = 0;

	while (devid_used(x, domid, devid))
		devid++;
	return devid;
}

/* Tear a device down; a discovered one is then told Closed (6). */
static void dev_release(struct vg_xen *x, struct vg_xen_dev *d)
{
	struct vg_xen_guest *g = d->g;
	char *path = d->be_path ? strdup(d->be_path) : NULL;

	vg_log_info(&d->log, "released");
	vg_xen_dev_remove(d);
	vg_xen_guest_put(g);
	/* Only into a directory that still exists: never recreate it. */
	if (path)
		xs_move_state(x, path, NULL, "6");
	free(path);
}

/*
 * Tear down a window a worker serves: the owner ends the worker, which
 * releases what it set up in Xen; a discovered one is then told Closed.
 */
static void far_release(struct vg_xen *x, struct vg_xen_far *f)
{
	struct vg_xen_far **pp;

	for (pp = &x->far; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	x->hooks->detach(x->arg, f);
	vg_log_info(&f->log, "released");
	if (f->be_path)
		xs_move_state(x, f->be_path, NULL, "6");
	free(f->be_path);
	free(f);
}

/* Release every device of @g, which frees @g with the last one. */
static void guest_release(struct vg_xen *x, struct vg_xen_guest *g)
{
	while (g->ndev > 1)
		dev_release(x, g->dev[g->ndev - 1]);
	if (g->ndev)
		dev_release(x, g->dev[0]);
	else
		vg_xen_guest_put(g);
}

struct vg_xen_dev *vg_xen_dev_start(struct vg_xen *x,
				    const struct vg_devspec *s,
				    unsigned int devid, const char *be_path,
				    const char *name, const char *refused)
{
	struct vg_xen_guest *g;
	struct vg_xen_dev *d;

	g = vg_xen_guest_get(x, s->domid, vg_xen_irq_kind(s), name);
	if (!g)
		return NULL;
	d = vg_xen_dev_add(g, s, devid, be_path, refused);
	if (!d)
		vg_xen_guest_put(g);
	return d;
}

/*
 * Route mode: start a worker for window @s (the owner's spawn()), which
 * opens its own handles, restricted to the guest. 1 if a worker serves
 * it, 0 if the owner refused it (@reason says why: the caller serves a
 * placeholder), -1 if the window cannot be served (logged).
 */
static int far_start(struct vg_xen *x, const struct vg_devspec *s,
		     unsigned int devid, const char *be_path, char *reason,
		     size_t reason_len)
{
	enum vg_irq_kind kind = vg_xen_irq_kind(s);
	char name[VG_XEN_NAME_MAX], spec[160], id[16], err[160];
	struct vg_devspec back;
	const char *wargs[6];
	struct vg_xen_far *f;
	unsigned int n = 0;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->domid = s->domid;
	f->devid = devid;
	vg_log_init(&f->log, x->sink, "dom%u/%u", s->domid, devid);
	/*
	 * vg_devspec_parse() reads the window back in the worker: read it
	 * here first, so that one the worker would refuse (misaligned base,
	 * IRQ out of range) fails now, without starting a worker.
	 */
	snprintf(spec, sizeof(spec),
		 "domid=%u,base=%#llx,irq=%u,grants=%d,"
		 "irqtype=%s",
		 s->domid, (unsigned long long)s->base, s->irq, s->grants,
		 kind == VG_IRQ_SPI ? "spi" : "isa");
	if (vg_devspec_parse(spec, &back, err, sizeof(err))) {
		vg_log_warnx(&f->log, "unusable window: %s", err);
		free(f);
		return -1;
	}
	/* What the worker cannot check once confined (xen.h). */
	if (vg_xen_domain_check(x->xc, s->domid, kind, &f->log) ||
	    vg_xen_name_read(x, s->domid, name, &f->log) ||
	    (be_path && !(f->be_path = strdup(be_path)))) {
		free(f);
		return -1;
	}
	f->base = s->base;
	memcpy(f->name, name, sizeof(f->name));
	snprintf(id, sizeof(id), "%u", devid);
	wargs[n++] = "--xen-device";
	wargs[n++] = spec;
	wargs[n++] = "--xen-devid";
	wargs[n++] = id;
	if (be_path)
		wargs[n++] = "--xen-discovered";
	wargs[n] = NULL;
	if (x->hooks->spawn(x->arg, f, name, wargs, reason, reason_len)) {
		free(f->be_path);
		free(f);
		return 0;
	}
	f->next = x->far;
	x->far = f;
	vg_log_info(&f->log, "domain '%s': served by a worker", name);
	return 1;
}

/*
 * Serve window @s, whatever found it (libxl's device, --device, the
 * policy's window, a control command): by a worker in route mode, else
 * here; a window the owner refuses is a placeholder served here. 0, or
 * -1 (logged).
 */
static int dev_serve(struct vg_xen *x, const struct vg_devspec *s,
		     unsigned int devid, const char *be_path)
{
	char reason[160] = "";
	struct vg_xen_dev *d;
	struct vg_xen_far *f;
	int rc = 0;

	/* Two IOREQ servers must not claim one range of a guest. */
	if (find_window(x, s->domid, s->base, &d, &f)) {
		vg_log_warnx(&x->log,
			     "dom%u/%u: base %#llx: already a device window "
			     "of this domain",
			     s->domid, devid, (unsigned long long)s->base);
		return -1;
	}
	if (x->hooks->spawn) {
		rc = far_start(x, s, devid, be_path, reason, sizeof(reason));
		if (rc)
			return rc > 0 ? 0 : -1;
	}
	return vg_xen_dev_start(x, s, devid, be_path, NULL,
				x->hooks->spawn ? reason : NULL)
		       ? 0
		       : -1;
}

/* Release the discovered window (@domid, @devid), wherever it is served. */
static void dev_forget(struct vg_xen *x, unsigned int domid, unsigned int devid)
{
	struct vg_xen_far *f = find_far(x, domid, devid);
	struct vg_xen_dev *d = find_dev(x, domid, devid);

	if (f)
		far_release(x, f);
	if (d)
		dev_release(x, d);
}

/* --- named windows (the policy's, by domain name) ---------------------------- */

static bool parse_id(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t v;

	/* Directory names are plain decimal: no 0x forms. */
	if (vg_num(s, 0, max, &v))
		return false;
	*out = (unsigned int)v;
	return true;
}

static bool seen(const struct vg_xen *x, unsigned int domid)
{
	unsigned int i;

	for (i = 0; i < x->nseen; i++)
		if (x->seen[i] == domid)
			return true;
	return false;
}

static int seen_add(struct vg_xen *x, unsigned int domid)
{
	unsigned int *v;

	if (x->nseen == x->seen_max) {
		v = reallocarray(x->seen, x->seen_max ? 2 * x->seen_max : 16,
				 sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->seen = v;
		x->seen_max = x->seen_max ? 2 * x->seen_max : 16;
	}
	x->seen[x->nseen++] = domid;
	return 0;
}

/* Is domain @domid there and not dying? A failed look-up says yes. */
static bool domain_alive(struct vg_xen *x, unsigned int domid)
{
	xc_domaininfo_t info;
	int n = xc_domain_getinfolist(x->xc, domid, 1, &info);

	if (n < 0)
		return true;
	return n && info.domain == domid && !(info.flags & XEN_DOMINF_dying);
}

/* @releaseDomain: the dead leave the list (a domid may come back). */
static void seen_trim(struct vg_xen *x)
{
	unsigned int i = 0;

	while (i < x->nseen) {
		if (domain_alive(x, x->seen[i]))
			i++;
		else
			x->seen[i] = x->seen[--x->nseen];
	}
}

/*
 * Domain @domid is new to us: if the owner gives its name a window,
 * serve it, by the path every window takes (dev_serve). A domain is
 * looked at once, when its name can first be read.
 */
static void named_window(struct vg_xen *x, unsigned int domid)
{
	char path[64], name[VG_XEN_NAME_MAX], *v;
	struct vg_devspec s;
	struct vg_log log;
	unsigned int len;
	int bad;

	if (!domain_alive(x, domid))
		return;
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	v = xs_read(x->xs, XBT_NULL, path, &len);
	if (!v)
		return; /* not written yet: the next event looks again */
	vg_log_init(&log, x->sink, "dom%u", domid);
	bad = vg_xen_name_set(name, v, path, &log);
	free(v);
	if (seen_add(x, domid) || bad || !x->hooks->window(x->arg, name, &s))
		return;
	s.domid = domid;
	if (x->far || x->guests) {
		struct vg_xen_far *f;
		struct vg_xen_guest *g;

		for (f = x->far; f && f->domid != domid; f = f->next)
			;
		for (g = x->guests; g && g->domid != domid; g = g->next)
			;
		if (f || g) {
			vg_log_info(&log,
				    "domain '%s' has a device window already; "
				    "the policy's is not added",
				    name);
			return;
		}
	}
	vg_log_info(&log, "domain '%s': the policy's window at %#llx", name,
		    (unsigned long long)s.base);
	if (dev_serve(x, &s, next_devid(x, domid), NULL))
		vg_log_warnx(&log,
			     "domain '%s': the policy's window could not be "
			     "served",
			     name);
}

/* A domain was introduced (or start-up): look at those not seen yet. */
static void introduce(struct vg_xen *x)
{
	unsigned int n, i, domid;
	char **doms;

	if (!x->hooks->window)
		return;
	doms = xs_directory(x->xs, XBT_NULL, "/local/domain", &n);
	for (i = 0; doms && i < n; i++) {
		if (!parse_id(doms[i], VG_DEVSPEC_DOMID_MAX, &domid) ||
		    !domid || domid == x->self || seen(x, domid))
			continue;
		named_window(x, domid);
	}
	free(doms);
}

/* --- discovery ----------------------------------------------------------- */

/* Read and check what libxl wrote; false (logged) if unusable. */
static bool read_spec(struct vg_xen *x, const char *dir, unsigned int domid,
		      struct vg_devspec *s)
{
	char *base = xs_get(x, dir, "base"), *irq = xs_get(x, dir, "irq");
	char *gu = xs_get(x, dir, "grant_usage");
	char *tr = xs_get(x, dir, "transport");
	uint64_t b = 0, i = 0;
	bool ok = false;

	/* base is "%#llx" from libxl, decimal from older layouts. */
	if (!base || vg_num(base, VG_NUM_HEX, UINT64_MAX, &b))
		vg_log_warnx(&x->log, "%s: bad base '%s'", dir,
			     base ? base : "(none)");
	else if (!irq || vg_num(irq, VG_NUM_HEX, 1019, &i))
		vg_log_warnx(&x->log, "%s: bad irq '%s'", dir,
			     irq ? irq : "(none)");
	else if (tr && strcmp(tr, "mmio"))
		vg_log_warnx(&x->log, "%s: transport '%s' is not mmio", dir,
			     tr);
	else if (gu && strcmp(gu, "0") && strcmp(gu, "1"))
		vg_log_warnx(&x->log, "%s: bad grant_usage '%s'", dir, gu);
	else
		ok = true;
	if (ok) {
		*s = (struct vg_devspec){
			.domid = domid,
			.base = b,
			.irq = (unsigned int)i,
			/* libxl's default: grants iff the backend is not
			 * dom0 */
			.grants = gu ? gu[0] == '1' : x->self != 0,
			/* libxl's interrupts are Arm GIC SPIs */
			.irq_kind = VG_IRQ_SPI,
		};
	}
	free(base);
	free(irq);
	free(gu);
	free(tr);
	return ok;
}

static void consider(struct vg_xen *x, unsigned int domid, unsigned int devid,
		     const char *dir)
{
	struct vg_devspec s;

	/*
	 * Claim: 1 -> 2 in one transaction that saw 1. Of several backends
	 * watching the directory, exactly one wins; the others see 2.
	 */
	if (!xs_is(x, dir, "type", VG_XEN_TYPE) ||
	    !xs_is(x, dir, "state", "1") || !xs_move_state(x, dir, "1", "2"))
		return;
	vg_log_info(&x->log, "%s: claimed", dir);
	if (!read_spec(x, dir, domid, &s) || dev_serve(x, &s, devid, dir)) {
		xs_move_state(x, dir, "2", "6");
		return;
	}
	/* The toolstack may have let go while we brought it up. */
	if (!xs_move_state(x, dir, "2", "4"))
		dev_forget(x, domid, devid);
}

/* Is the discovered device at @be_path still wanted by its toolstack? */
static bool dev_wanted(struct vg_xen *x, const char *be_path,
		       struct vg_log *log)
{
	char *st = xs_get(x, be_path, "state");
	bool gone;

	/* Only a node that is not there is gone; other errors pass. */
	if (!st && errno != ENOENT) {
		vg_log_warn(log, "cannot read the device's state");
		return true;
	}
	gone = !st || !strcmp(st, "5") || !strcmp(st, "6");
	free(st);
	return !gone && !xs_is(x, be_path, "online", "0");
}

static struct vg_xen_dev *unwanted(struct vg_xen *x)
{
	struct vg_xen_guest *g;
	unsigned int i;

	for (g = x->guests; g; g = g->next)
		for (i = 0; i < g->ndev; i++)
			if (g->dev[i]->be_path &&
			    !dev_wanted(x, g->dev[i]->be_path, &g->dev[i]->log))
				return g->dev[i];
	return NULL;
}

static struct vg_xen_far *unwanted_far(struct vg_xen *x)
{
	struct vg_xen_far *f;

	for (f = x->far; f; f = f->next)
		if (f->be_path && !dev_wanted(x, f->be_path, &f->log))
			return f;
	return NULL;
}

static void rescan(struct vg_xen *x)
{
	struct vg_xen_dev *d;
	struct vg_xen_far *f;
	unsigned int nd, nv, i, j, domid, devid;
	char **doms, **devs, dir[VG_XEN_PATH];

	/* Known devices first: the toolstack may have let go of them. */
	while ((d = unwanted(x)))
		dev_release(x, d);
	while ((f = unwanted_far(x)))
		far_release(x, f);
	doms = xs_directory(x->xs, XBT_NULL, x->be_root, &nd);
	for (i = 0; doms && i < nd; i++) {
		if (!parse_id(doms[i], VG_DEVSPEC_DOMID_MAX, &domid) || !domid)
			continue;
		if (!join(dir, x->be_root, doms[i]))
			continue;
		devs = xs_directory(x->xs, XBT_NULL, dir, &nv);
		for (j = 0; devs && j < nv; j++) {
			char ddir[VG_XEN_PATH];

			if (!parse_id(devs[j], UINT16_MAX, &devid) ||
			    find_dev(x, domid, devid) ||
			    find_far(x, domid, devid) ||
			    !join(ddir, dir, devs[j]))
				continue;
			consider(x, domid, devid, ddir);
		}
		free(devs);
	}
	free(doms);
}

/* Is domain @domid dead or dying? A failed lookup says no (logged). */
static bool domain_gone(struct vg_xen *x, unsigned int domid,
			struct vg_log *log)
{
	xc_domaininfo_t info;
	int n = xc_domain_getinfolist(x->xc, domid, 1, &info);

	if (n < 0) {
		vg_log_warn(log, "cannot look the domain up");
		return false;
	}
	if (n && info.domain == domid && !(info.flags & XEN_DOMINF_dying))
		return false;
	vg_log_info(log, "domain gone");
	return true;
}

/* @releaseDomain: some domain died; release the devices of dead ones. */
static void reap(struct vg_xen *x)
{
	struct vg_xen_guest *g = x->guests, *gn;
	struct vg_xen_far *f = x->far, *fn;

	while (g) {
		gn = g->next;
		if (domain_gone(x, g->domid, &g->log))
			guest_release(x, g);
		g = gn;
	}
	while (f) {
		fn = f->next;
		if (domain_gone(x, f->domid, &f->log))
			far_release(x, f);
		f = fn;
	}
	seen_trim(x);
}

static void xs_event(void *arg, uint32_t events)
{
	struct vg_xen *x = arg;
	bool be = false, rel = false, intro = false;
	char **vec;

	(void)events;
	while ((vec = xs_check_watch(x->xs))) {
		be |= !strcmp(vec[XS_WATCH_TOKEN], VG_XEN_TOKEN_BE);
		rel |= !strcmp(vec[XS_WATCH_TOKEN], VG_XEN_TOKEN_REL);
		intro |= !strcmp(vec[XS_WATCH_TOKEN], VG_XEN_TOKEN_INTRO);
		free(vec);
	}
	/* The dead first: a domid they free may be a new domain's. */
	if (rel)
		reap(x);
	if (intro)
		introduce(x);
	if (be && x->discover)
		rescan(x);
}

/* --- instance -------------------------------------------------------------- */

static int open_store(struct vg_xen *x)
{
	unsigned int len;
	uint64_t self = 0;
	char *v;

	x->xs = xs_open(0);
	if (!x->xs) {
		vg_log_warn(&x->log, "cannot open xenstore (is this a Xen "
				     "dom0 with xenstored running?)");
		return -errno ? -errno : -ENODEV;
	}
	x->xc = xc_interface_open(NULL, NULL, 0);
	if (!x->xc) {
		vg_log_warn(&x->log, "cannot open the Xen control interface");
		return -errno ? -errno : -ENODEV;
	}
	/* Our own domid (0 for dom0; a driver domain has its own). */
	v = xs_read(x->xs, XBT_NULL, "domid", &len);
	if (v && vg_num(v, 0, VG_DEVSPEC_DOMID_MAX, &self))
		self = 0;
	free(v);
	x->self = (unsigned int)self;
	snprintf(x->be_root, sizeof(x->be_root),
		 "/local/domain/%u/backend/virtio", x->self);
	return 0;
}

static int start_watches(struct vg_xen *x)
{
	int rc;

	if (!xs_watch(x->xs, "@releaseDomain", VG_XEN_TOKEN_REL) ||
	    (x->hooks->window &&
	     !xs_watch(x->xs, "@introduceDomain", VG_XEN_TOKEN_INTRO)) ||
	    (x->discover && !xs_watch(x->xs, x->be_root, VG_XEN_TOKEN_BE))) {
		vg_log_warn(&x->log, "cannot watch xenstore");
		return -errno ? -errno : -EIO;
	}
	x->xsfd = xs_fileno(x->xs);
	rc = vg_evloop_add(x->ev, x->xsfd, EPOLLIN, xs_event, x);
	if (rc) {
		x->xsfd = -1;
		return rc;
	}
	return 0;
}

void vg_xen_free(struct vg_xen *x)
{
	if (!x)
		return;
	if (x->xsfd >= 0)
		vg_evloop_del(x->ev, x->xsfd);
	while (x->far)
		far_release(x, x->far);
	while (x->guests)
		guest_release(x, x->guests);
	if (x->xc)
		xc_interface_close(x->xc);
	if (x->xs)
		xs_close(x->xs);
	free(x->seen);
	free(x);
}

struct vg_xen *vg_xen_alloc(struct vg_evloop *ev,
			    const struct vg_guest_hooks *hooks, void *arg,
			    const struct vg_log_sink *sink)
{
	struct vg_xen *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->ev = ev;
	x->hooks = hooks;
	x->arg = arg;
	x->sink = sink;
	x->xsfd = -1;
	vg_log_init(&x->log, sink, "xen");
	return x;
}

int vg_xen_new(const struct vg_xen_params *p, struct vg_xen **out)
{
	struct vg_xen *x;
	unsigned int i;
	int rc;

	x = vg_xen_alloc(p->ev, p->hooks, p->arg, p->sink);
	if (!x)
		return -ENOMEM;
	x->discover = p->discover;
	rc = open_store(x);
	for (i = 0; !rc && i < p->ndevices; i++) {
		if (dev_serve(x, &p->devices[i], i, NULL)) {
			vg_log_warnx(&x->log,
				     "device %u (domid %u) could not "
				     "be set up",
				     i, p->devices[i].domid);
			rc = -EINVAL;
		}
	}
	/* The domains that run already; the watch brings the new ones. */
	if (!rc)
		introduce(x);
	if (!rc)
		rc = start_watches(x);
	if (rc) {
		vg_xen_free(x);
		return rc;
	}
	if (x->discover)
		vg_log_info(&x->log, "watching %s", x->be_root);
	*out = x;
	return 0;
}

unsigned int vg_xen_devices(const struct vg_xen *x)
{
	const struct vg_xen_guest *g;
	const struct vg_xen_far *f;
	unsigned int n = 0;

	for (g = x->guests; g; g = g->next)
		n += g->ndev;
	for (f = x->far; f; f = f->next)
		n++;
	return n;
}

static int xen_start(const void *cfg, const struct vg_transport_env *env,
		     void **handle)
{
	const struct vg_xen_config *c = cfg;
	struct vg_xen_params p = {
		.ev = env->ev,
		.hooks = env->hooks,
		.arg = env->hooks_arg,
		.sink = env->sink,
		.discover = c->discover,
		.devices = c->devices,
		.ndevices = c->ndevices,
	};
	struct vg_xen *x;
	int rc;

	rc = vg_xen_new(&p, &x);
	if (!rc)
		*handle = x;
	return rc;
}

static void xen_stop(void *handle)
{
	vg_xen_free(handle);
}

static int xen_device_add(void *handle, const char *spec,
			  struct vg_guest_added *out, char *why, size_t len)
{
	struct vg_xen *x = handle;
	struct vg_xen_dev *d;
	struct vg_xen_far *f;
	struct vg_devspec s;
	const char *reason;
	unsigned int devid;
	int rc;

	if (vg_devspec_parse(spec, &s, why, len) ||
	    vg_xen_spec_check(&s, why, len) < 0)
		return -EINVAL;
	rc = vg_xen_domain_why(x->xc, s.domid, vg_xen_irq_kind(&s), &reason);
	if (rc) {
		snprintf(why, len, "domain %u: %s", s.domid, reason);
		return rc == -EOPNOTSUPP ? rc : -ENOENT;
	}
	if (find_window(x, s.domid, s.base, &d, &f)) {
		snprintf(why, len, "domain %u has a device window at %#llx",
			 s.domid, (unsigned long long)s.base);
		return -EEXIST;
	}
	devid = next_devid(x, s.domid);
	if (dev_serve(x, &s, devid, NULL) ||
	    !find_window(x, s.domid, s.base, &d, &f)) {
		snprintf(why, len,
			 "dom%u/%u: the window could not be set up (the "
			 "daemon's log says why)",
			 s.domid, devid);
		return -EIO;
	}
	memset(out, 0, sizeof(*out));
	out->domid = s.domid;
	out->devid = devid;
	if (f) {
		snprintf(out->domain, sizeof(out->domain), "%s", f->name);
		out->attached = true;
	} else {
		snprintf(out->domain, sizeof(out->domain), "%s", d->g->name);
		out->attached = d->attached;
		snprintf(out->why, sizeof(out->why), "%s", d->refused);
	}
	vg_log_info(&x->log, "dom%u/%u: window %#llx added on request", s.domid,
		    devid, (unsigned long long)s.base);
	return 0;
}

static int xen_device_remove(void *handle, const char *spec, char *why,
			     size_t len)
{
	struct vg_xen *x = handle;
	struct vg_xen_dev *d;
	struct vg_xen_far *f;
	unsigned int domid;
	uint64_t base;

	if (vg_devspec_parse_at(spec, &domid, &base, why, len))
		return -EINVAL;
	if (!find_window(x, domid, base, &d, &f)) {
		snprintf(why, len, "domain %u has no device window at %#llx",
			 domid, (unsigned long long)base);
		return -ENOENT;
	}
	if (f ? f->be_path != NULL : d->be_path != NULL) {
		snprintf(why, len,
			 "dom%u/%u is a device of the toolstack's (libxl "
			 "virtio=): the toolstack removes it",
			 domid, f ? f->devid : d->devid);
		return -EPERM;
	}
	vg_log_info(&x->log, "dom%u/%u: window %#llx removed on request", domid,
		    f ? f->devid : d->devid, (unsigned long long)base);
	if (f)
		far_release(x, f);
	else
		dev_release(x, d);
	return 0;
}

void vg_xen_report(void *handle, vg_guest_device_fn fn, void *arg)
{
	struct vg_xen *x = handle;
	struct vg_xen_guest *g;
	unsigned int i;

	for (g = x->guests; g; g = g->next)
		for (i = 0; i < g->ndev; i++)
			fn(arg, g->dev[i], g->name, &g->dev[i]->info,
			   g->dev[i]->attached);
}

const struct vg_transport_class vg_xen_class = {
	.name = "xen",
	.start = xen_start,
	.stop = xen_stop,
	.devices = vg_xen_report,
	.device_add = xen_device_add,
	.device_remove = xen_device_remove,
};
