// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fake Xen's ioreq machinery: libxendevicemodel (ioreq servers, I/O
 * ranges, interrupts), the vCPUs that send ioreqs, and libxenevtchn
 * (Linux's /dev/xen/evtchn) that carries the notifications both ways.
 *
 * Slot protocol (xen/common/ioreq.c, Xen 4.17):
 *   send:     slot must be NONE with our vp_eport, else domain_crash;
 *             fill it, smp_wmb(), state = READY, notify vp_eport.
 *   complete: when the backend notifies the port of a vCPU that waits,
 *             IORESP_READY -> take data, state = NONE, done;
 *             READY / INPROCESS -> keep waiting (spurious notify);
 *             NONE or > 3 -> domain_crash ("Weird HVM ioreq state").
 */
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fx-internal.h"

struct xendevicemodel_handle {
	struct fx_handle h;
};

/* A read's slot starts with this: every byte non-zero. */
#define FX_STALE_DATA 0xdeadbeefcafef00dULL

/* --- rangesets (xen/common/rangeset.c) ------------------------------------ */

static bool rs_contains(const struct fx_rangeset *rs, uint64_t s, uint64_t e)
{
	for (unsigned int i = 0; i < rs->n; i++)
		if (rs->r[i].start <= s && e <= rs->r[i].end)
			return true;
	return false;
}

static bool rs_overlaps(const struct fx_rangeset *rs, uint64_t s, uint64_t e)
{
	for (unsigned int i = 0; i < rs->n; i++)
		if (rs->r[i].start <= e && s <= rs->r[i].end)
			return true;
	return false;
}

/* rangeset_add_range: merges with adjacent ranges; -ENOSPC at the limit. */
static int rs_add(struct fx_rangeset *rs, uint64_t s, uint64_t e)
{
	unsigned int i = 0, j;

	while (i < rs->n && rs->r[i].end < s && rs->r[i].end + 1 != s)
		i++;
	/* ranges i..j-1 touch [s, e] */
	j = i;
	while (j < rs->n && (rs->r[j].start <= e || rs->r[j].start == e + 1))
		j++;
	if (i == j) {
		if (rs->n == FX_MAX_RANGES)
			return -ENOSPC;
		memmove(&rs->r[i + 1], &rs->r[i],
			(rs->n - i) * sizeof(rs->r[0]));
		rs->r[i].start = s;
		rs->r[i].end = e;
		rs->n++;
		return 0;
	}
	if (rs->r[i].start < s)
		s = rs->r[i].start;
	if (rs->r[j - 1].end > e)
		e = rs->r[j - 1].end;
	rs->r[i].start = s;
	rs->r[i].end = e;
	memmove(&rs->r[i + 1], &rs->r[j], (rs->n - j) * sizeof(rs->r[0]));
	rs->n -= j - i - 1;
	return 0;
}

/* rangeset_remove_range of a contained range: may split one in two. */
static int rs_remove(struct fx_rangeset *rs, uint64_t s, uint64_t e)
{
	for (unsigned int i = 0; i < rs->n; i++) {
		struct fx_range *r = &rs->r[i];

		if (!(r->start <= s && e <= r->end))
			continue;
		if (r->start < s && e < r->end) {
			if (rs->n == FX_MAX_RANGES)
				return -ENOSPC;
			memmove(&rs->r[i + 1], &rs->r[i],
				(rs->n - i) * sizeof(rs->r[0]));
			rs->n++;
			rs->r[i].end = s - 1;
			rs->r[i + 1].start = e + 1;
		} else if (r->start < s) {
			r->end = s - 1;
		} else if (e < r->end) {
			r->start = e + 1;
		} else {
			memmove(&rs->r[i], &rs->r[i + 1],
				(rs->n - i - 1) * sizeof(rs->r[0]));
			rs->n--;
		}
		return 0;
	}
	return -ENOENT;
}

/* --- event channels: dom0's side ------------------------------------------ */

static void ring_push(struct xenevtchn_handle *xce, evtchn_port_t port)
{
	uint64_t one = 1;

	if (xce->len == xce->cap) {
		size_t cap = xce->cap ? xce->cap * 2 : 16;
		evtchn_port_t *r = malloc(cap * sizeof(*r));

		if (!r)
			abort();
		for (size_t i = 0; i < xce->len; i++)
			r[i] = xce->ring[(xce->head + i) % xce->cap];
		free(xce->ring);
		xce->ring = r;
		xce->head = 0;
		xce->cap = cap;
	}
	xce->ring[(xce->head + xce->len) % xce->cap] = port;
	if (xce->len++ == 0 && write(xce->fd, &one, sizeof(one)) < 0)
		abort();
}

/*
 * An event for a dom0 port. Linux's evtchn driver masks the port as it
 * queues it for the reader (disable_irq) and latches events until the
 * reader writes the port back (xenevtchn_unmask).
 */
static void port_raise(struct fx_port *p)
{
	if (p->masked) {
		p->latched = true;
		return;
	}
	p->masked = true;
	ring_push(p->xce, p->local);
}

static struct fx_port *port_find(const struct xenevtchn_handle *xce,
				 evtchn_port_t local)
{
	for (struct fx_port *p = fx_w.ports; p; p = p->next)
		if (p->local == local && (!xce || p->xce == xce))
			return p;
	return NULL;
}

void fx_port_free(struct fx_port *p)
{
	struct fx_dom *d = fx_dom_find(p->remote_domid);

	for (struct fx_port **pp = &fx_w.ports; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (d && p->remote && p->remote <= FX_MAX_GPORTS &&
	    d->gport[p->remote].peer == p)
		d->gport[p->remote].peer = NULL;
	/*
	 * Like Linux, ports already queued stay in the ring: a reader may
	 * still see a port it just unbound.
	 */
	fx_dom_reap(p->remote_domid);
	free(p);
}

/* Xen notifies guest-side port @gp of @d (towards dom0). */
static void gport_notify(struct fx_dom *d, evtchn_port_t gp)
{
	if (gp && gp <= FX_MAX_GPORTS && d->gport[gp].used && d->gport[gp].peer)
		port_raise(d->gport[gp].peer);
	/* An unbound port: the bind will set the local end pending. */
}

/* --- ioreq servers -------------------------------------------------------- */

static evtchn_port_t gport_alloc(struct fx_dom *d, unsigned int srv,
				 unsigned int vcpu)
{
	/* Xen allocates the lowest free port; 0 is never valid. */
	for (evtchn_port_t p = 1; p <= FX_MAX_GPORTS; p++)
		if (!d->gport[p].used) {
			d->gport[p].used = true;
			d->gport[p].server = srv;
			d->gport[p].vcpu = vcpu;
			d->gport[p].peer = NULL;
			return p;
		}
	abort(); /* cannot happen: one per (server, vCPU) */
}

/* ioreq_update_evtchn(): only when Xen has the page. */
static void server_write_eports(struct fx_dom *d, struct fx_server *s)
{
	if (!s->page)
		return;
	for (unsigned int v = 0; v < d->nr_vcpus; v++)
		s->page->vcpu_ioreq[v].vp_eport = s->port[v];
}

/*
 * ioreq_server_destroy(): closes the guest-side ports (dom0's ends stay
 * bound but dead until unbound), frees the page (our mapping; the
 * backend's mapping keeps the memfd alive) and the ranges.
 */
void fx_server_destroy(struct fx_dom *d, unsigned int id)
{
	struct fx_server *s = &d->srv[id];

	for (unsigned int v = 0; v < d->nr_vcpus; v++) {
		struct fx_gport *g = &d->gport[s->port[v]];

		if (g->peer)
			g->peer->remote = 0;
		memset(g, 0, sizeof(*g));
		/* A vCPU waiting on this server will not be answered. */
		if (d->vcpu[v].waiting & (1u << id)) {
			d->vcpu[v].waiting &= (uint8_t) ~(1u << id);
			if (!d->vcpu[v].waiting && d->vcpu[v].outstanding) {
				d->vcpu[v].outstanding = false;
				d->vcpu[v].result = FX_IO_UNHANDLED;
			}
		}
	}
	if (s->page)
		munmap(s->page, FX_PAGE);
	if (s->page_fd >= 0)
		close(s->page_fd);
	memset(s, 0, sizeof(*s));
	s->page_fd = -1;
}

void fx_dom_ioreq_free(struct fx_dom *d)
{
	for (unsigned int i = 0; i < FX_MAX_SERVERS; i++)
		if (d->srv[i].used || d->srv[i].page_fd >= 0)
			fx_server_destroy(d, i);
}

/* --- vCPUs ---------------------------------------------------------------- */

/*
 * ioreq_send() for one server: the slot must be NONE with our vp_eport
 * (else "device model set bad IO state/event channel" -> domain_crash),
 * then fill it, smp_wmb(), state READY, notify.
 */
static enum fx_io send_one(struct fx_dom *d, unsigned int vcpu, unsigned int id,
			   const struct ioreq *proto)
{
	struct fx_server *s = &d->srv[id];
	volatile struct ioreq *p;
	struct ioreq tmp = *proto;
	char why[96];

	if (!s->page) {
		/* Xen 4.17 would dereference a NULL ioreq page: host crash. */
		fx_violation("dom%u: server %u enabled without its ioreq page",
			     d->domid, id);
		return FX_IO_CRASHED;
	}
	p = &s->page->vcpu_ioreq[vcpu];
	if (p->state != STATE_IOREQ_NONE) {
		snprintf(why, sizeof(why),
			 "device model set bad IO state %u (vcpu %u)",
			 (unsigned int)p->state, vcpu);
		fx_dom_crash(d, why);
		return FX_IO_CRASHED;
	}
	if (p->vp_eport != s->port[vcpu]) {
		snprintf(why, sizeof(why),
			 "device model set bad event channel %u (vcpu %u)",
			 p->vp_eport, vcpu);
		fx_dom_crash(d, why);
		return FX_IO_CRASHED;
	}
	tmp.state = STATE_IOREQ_NONE;
	tmp.vp_eport = s->port[vcpu];
	memcpy((void *)p, &tmp, sizeof(tmp));
	/* smp_wmb(): the request is visible before the state says READY. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->state = STATE_IOREQ_READY;
	d->vcpu[vcpu].counts.sent++;
	d->vcpu[vcpu].waiting |= (uint8_t)(1u << id);
	gport_notify(d, s->port[vcpu]);
	return FX_IO_PENDING;
}

/* ioreq_server_select(): highest id first, enabled, range holds it all. */
static int server_select(struct fx_dom *d, unsigned int type, uint64_t s,
			 uint64_t e)
{
	for (int id = FX_MAX_SERVERS - 1; id >= 0; id--) {
		struct fx_server *srv = &d->srv[id];

		if (srv->used && srv->enabled &&
		    rs_contains(&srv->rs[type], s, e))
			return id;
	}
	return -1;
}

static struct fx_dom *vcpu_dom(unsigned int domid, unsigned int vcpu)
{
	struct fx_dom *d;

	fx_ensure();
	d = fx_dom_find(domid);
	if (!d || !domid || vcpu >= d->nr_vcpus)
		return NULL;
	return d;
}

static enum fx_io vcpu_send(struct fx_dom *d, unsigned int vcpu, int id,
			    const struct ioreq *req)
{
	struct fx_vcpu *v = &d->vcpu[vcpu];
	enum fx_io r;

	if (id < 0)
		return FX_IO_UNHANDLED;
	v->outstanding = true;
	v->waiting = 0;
	v->data = 0;
	r = send_one(d, vcpu, (unsigned int)id, req);
	if (r != FX_IO_PENDING) {
		v->outstanding = false;
		v->result = r;
	}
	return r;
}

enum fx_io fx_vcpu_access(unsigned int domid, unsigned int vcpu, uint64_t addr,
			  unsigned int size, bool write, uint64_t data)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);
	struct ioreq req;

	if (!d || d->dying || !size || size > 8)
		return FX_IO_UNHANDLED;
	if (d->crashed)
		return FX_IO_CRASHED;
	if (d->vcpu[vcpu].outstanding)
		return FX_IO_BUSY;
	memset(&req, 0, sizeof(req));
	req.addr = addr;
	req.data = write ? data : FX_STALE_DATA;
	req.count = 1;
	req.size = size;
	req.dir = write ? IOREQ_WRITE : IOREQ_READ;
	req.type = IOREQ_TYPE_COPY;
	return vcpu_send(d, vcpu,
			 server_select(d, XEN_DMOP_IO_RANGE_MEMORY, addr,
				       addr + size - 1),
			 &req);
}

/* A vCPU that may send now, or NULL and why not in *r. */
static struct fx_dom *vcpu_idle(unsigned int domid, unsigned int vcpu,
				enum fx_io *r)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);

	*r = FX_IO_UNHANDLED;
	if (!d || d->dying)
		return NULL;
	*r = d->crashed ? FX_IO_CRASHED : FX_IO_BUSY;
	return d->crashed || d->vcpu[vcpu].outstanding ? NULL : d;
}

enum fx_io fx_vcpu_raw(unsigned int domid, unsigned int vcpu,
		       const struct ioreq *req, uint64_t server_of_addr)
{
	unsigned int type = req->type == IOREQ_TYPE_PIO
				    ? XEN_DMOP_IO_RANGE_PORT
				    : XEN_DMOP_IO_RANGE_MEMORY;
	enum fx_io r;
	struct fx_dom *d = vcpu_idle(domid, vcpu, &r);

	if (!d)
		return r;
	return vcpu_send(d, vcpu,
			 server_select(d, type, server_of_addr, server_of_addr),
			 req);
}

enum fx_io fx_vcpu_raw_server(unsigned int domid, unsigned int vcpu,
			      const struct ioreq *req, unsigned int server)
{
	enum fx_io r;
	struct fx_dom *d = vcpu_idle(domid, vcpu, &r);

	if (!d)
		return r;
	if (server >= FX_MAX_SERVERS || !d->srv[server].used ||
	    !d->srv[server].enabled)
		return FX_IO_UNHANDLED;
	return vcpu_send(d, vcpu, (int)server, req);
}

int fx_vcpu_kick(unsigned int domid, unsigned int vcpu)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);

	if (!d)
		return -ENOENT;
	for (unsigned int id = 0; id < FX_MAX_SERVERS; id++)
		if (d->srv[id].used && d->srv[id].enabled)
			gport_notify(d, d->srv[id].port[vcpu]);
	return 0;
}

int fx_vcpu_set_state(unsigned int domid, unsigned int vcpu, unsigned int state)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);

	if (!d)
		return -ENOENT;
	if (state > 15 || state == STATE_IOREQ_READY)
		return -EINVAL;
	if (d->vcpu[vcpu].outstanding)
		return -EBUSY;
	for (unsigned int id = 0; id < FX_MAX_SERVERS; id++)
		if (d->srv[id].page)
			d->srv[id].page->vcpu_ioreq[vcpu].state = state & 15;
	return 0;
}

int fx_vcpu_counts(unsigned int domid, unsigned int vcpu,
		   struct fx_vcpu_counts *c)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);

	if (!d)
		return -ENOENT;
	*c = d->vcpu[vcpu].counts;
	c->state = -1;
	for (unsigned int id = 0; id < FX_MAX_SERVERS; id++)
		if (d->srv[id].page) {
			c->state = d->srv[id].page->vcpu_ioreq[vcpu].state;
			break;
		}
	return 0;
}

/* ioreq_broadcast(): every enabled server gets it; wait for them all. */
enum fx_io fx_vcpu_invalidate(unsigned int domid, unsigned int vcpu)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);
	struct fx_vcpu *v;
	struct ioreq req;

	if (!d || d->dying)
		return FX_IO_UNHANDLED;
	if (d->crashed)
		return FX_IO_CRASHED;
	v = &d->vcpu[vcpu];
	if (v->outstanding)
		return FX_IO_BUSY;
	memset(&req, 0, sizeof(req));
	req.type = IOREQ_TYPE_INVALIDATE;
	req.size = 4;
	req.dir = IOREQ_WRITE;
	req.data = ~0ULL;
	v->outstanding = true;
	v->waiting = 0;
	for (unsigned int id = 0; id < FX_MAX_SERVERS; id++) {
		if (!d->srv[id].used || !d->srv[id].enabled)
			continue;
		if (send_one(d, vcpu, id, &req) != FX_IO_PENDING) {
			v->outstanding = false;
			v->result = FX_IO_CRASHED;
			return FX_IO_CRASHED;
		}
	}
	if (!v->waiting) {
		v->outstanding = false;
		v->result = FX_IO_DONE;
		return FX_IO_DONE;
	}
	return FX_IO_PENDING;
}

enum fx_io fx_vcpu_poll(unsigned int domid, unsigned int vcpu, uint64_t *data)
{
	struct fx_dom *d = vcpu_dom(domid, vcpu);

	if (!d)
		return FX_IO_UNHANDLED;
	if (d->vcpu[vcpu].outstanding)
		return d->crashed ? FX_IO_CRASHED : FX_IO_PENDING;
	if (data)
		*data = d->vcpu[vcpu].data;
	return d->crashed ? FX_IO_CRASHED : d->vcpu[vcpu].result;
}

/*
 * The backend notified its end of (server, vCPU)'s port: Xen wakes the
 * vCPU, which looks at its slot (ioreq_server_wait_for_io()).
 */
static void vcpu_wake(struct fx_dom *d, unsigned int id, unsigned int vcpu)
{
	struct fx_server *s = &d->srv[id];
	struct fx_vcpu *v = &d->vcpu[vcpu];
	volatile struct ioreq *p;
	unsigned int state;
	char why[96];

	if (!v->outstanding || !(v->waiting & (1u << id)) || !s->page)
		return; /* nobody waits: Xen ignores the event */
	p = &s->page->vcpu_ioreq[vcpu];
	state = p->state;
	/* smp_rmb(): read the state before the data it publishes. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (p->vp_eport != s->port[vcpu]) {
		snprintf(why, sizeof(why), "vp_eport of vcpu %u changed to %u",
			 vcpu, p->vp_eport);
		fx_dom_crash(d, why);
		return;
	}
	switch (state) {
	case STATE_IORESP_READY:
		p->state = STATE_IOREQ_NONE;
		v->counts.responses++;
		if (p->type != IOREQ_TYPE_INVALIDATE)
			v->data = p->data;
		v->waiting &= (uint8_t) ~(1u << id);
		if (!v->waiting) {
			v->outstanding = false;
			v->result = FX_IO_DONE;
		}
		return;
	case STATE_IOREQ_READY:
	case STATE_IOREQ_INPROCESS:
		return; /* spurious: keep waiting */
	case STATE_IOREQ_NONE:
		snprintf(why, sizeof(why),
			 "Weird HVM ioreq state transition to NONE (vcpu %u)",
			 vcpu);
		fx_dom_crash(d, why);
		return;
	default:
		snprintf(why, sizeof(why),
			 "Weird HVM iorequest state %u (vcpu %u)", state, vcpu);
		fx_dom_crash(d, why);
		return;
	}
}

/* --- libxendevicemodel ---------------------------------------------------- */

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
					   unsigned int open_flags)
{
	struct xendevicemodel_handle *dm;

	(void)logger;
	(void)open_flags;
	if (FX_INJECT())
		return NULL;
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return NULL;
	fx_handle_add(&dm->h, FX_H_DM);
	return dm;
}

/* The servers belong to Xen: closing the handle destroys nothing. */
int xendevicemodel_close(xendevicemodel_handle *dmod)
{
	if (!dmod)
		return 0;
	fx_handle_del(&dmod->h);
	free(dmod);
	return 0;
}

/* IOCTL_PRIVCMD_RESTRICT: once set, only the same domid again. */
int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
	if (FX_INJECT())
		return -1;
	fx_log_call(domid, "restrict_dm");
	if (dmod->h.restrict_domid >= 0 &&
	    (unsigned int)dmod->h.restrict_domid != domid) {
		errno = EINVAL;
		return -1;
	}
	dmod->h.restrict_domid = domid;
	return 0;
}

/*
 * Every dm_op: logged, restriction (EPERM), then the target domain must
 * exist (ESRCH); dying domains have no servers left.
 */
static struct fx_dom *dm_begin(xendevicemodel_handle *dmod, domid_t domid,
			       const char *name)
{
	struct fx_dom *d;

	fx_log_call(domid, name);
	if (fx_handle_check(&dmod->h, domid))
		return NULL;
	d = fx_dom_find(domid);
	if (!d || !domid) {
		errno = ESRCH;
		return NULL;
	}
	return d;
}

static struct fx_server *dm_server(struct fx_dom *d, ioservid_t id)
{
	if (id >= FX_MAX_SERVERS || !d->srv[id].used) {
		errno = ENOENT;
		return NULL;
	}
	return &d->srv[id];
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
			    unsigned int *vcpus)
{
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "nr_vcpus");
	if (!d)
		return -1;
	*vcpus = d->nr_vcpus;
	return 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod,
				       domid_t domid, int handle_bufioreq,
				       ioservid_t *id)
{
	struct fx_dom *d;
	struct fx_server *s;
	unsigned int i;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "create_server");
	if (!d)
		return -1;
	if (d->dying) {
		errno = ESRCH;
		return -1;
	}
	/* Arm has no buffered ioreqs (arch/arm/dm.c); x86 knows 3 modes. */
	if (handle_bufioreq < HVM_IOREQSRV_BUFIOREQ_OFF ||
	    handle_bufioreq > HVM_IOREQSRV_BUFIOREQ_ATOMIC ||
	    (d->arch == FX_ARM &&
	     handle_bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < FX_MAX_SERVERS && d->srv[i].used; i++)
		;
	if (i == FX_MAX_SERVERS) {
		errno = ENOSPC; /* MAX_NR_IOREQ_SERVERS */
		return -1;
	}
	s = &d->srv[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->page_fd = -1;
	/* ioreq_server_add_vcpu(): one unbound port per vCPU, for dom0. */
	for (unsigned int v = 0; v < d->nr_vcpus; v++)
		s->port[v] = gport_alloc(d, i, v);
	*id = (ioservid_t)i;
	return 0;
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod,
					  domid_t domid, ioservid_t id,
					  int enabled)
{
	struct fx_server *s;
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, enabled ? "enable_server" : "disable_server");
	if (!d || !(s = dm_server(d, id)))
		return -1;
	if (enabled && !s->enabled) {
		/* ioreq_server_enable(): vp_eport only if the page exists. */
		s->enabled = true;
		server_write_eports(d, s);
	} else if (!enabled) {
		s->enabled = false;
	}
	return 0;
}

static int dm_range_type(int is_mmio)
{
	return is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod,
						domid_t domid, ioservid_t id,
						int is_mmio, uint64_t start,
						uint64_t end)
{
	struct fx_rangeset *rs;
	struct fx_server *s;
	struct fx_dom *d;
	int rc;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "map_range");
	if (!d || !(s = dm_server(d, id)))
		return -1;
	if (start > end) {
		errno = EINVAL;
		return -1;
	}
	rs = &s->rs[dm_range_type(is_mmio)];
	if (rs_overlaps(rs, start, end)) {
		errno = EEXIST; /* ioreq_server_map_io_range() */
		return -1;
	}
	rc = rs_add(rs, start, end);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod,
						    domid_t domid,
						    ioservid_t id, int is_mmio,
						    uint64_t start,
						    uint64_t end)
{
	struct fx_server *s;
	struct fx_dom *d;
	int rc;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "unmap_range");
	if (!d || !(s = dm_server(d, id)))
		return -1;
	if (start > end) {
		errno = EINVAL;
		return -1;
	}
	/* ioreq_server_unmap_io_range(): ENOENT unless contained. */
	rc = rs_remove(&s->rs[dm_range_type(is_mmio)], start, end);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod,
					domid_t domid, ioservid_t id)
{
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "destroy_server");
	if (!d || !dm_server(d, id))
		return -1;
	fx_server_destroy(d, id);
	return 0;
}

/* Arm (arch/arm/dm.c XEN_DMOP_set_irq_level): SPIs only, level 0/1. */
int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
				 unsigned int irq, unsigned int level)
{
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "irq");
	if (!d)
		return -1;
	if (d->arch != FX_ARM) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (irq < 32 || irq >= 32 + d->nr_spis || level > 1) {
		errno = EINVAL;
		return -1;
	}
	if (level)
		d->edges[irq]++;
	return 0;
}

/* x86 XEN_DMOP_set_isa_irq_level: irq < 16, level 0/1. */
int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod, domid_t domid,
				     uint8_t irq, unsigned int level)
{
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	d = dm_begin(dmod, domid, "isa_irq");
	if (!d)
		return -1;
	if (d->arch == FX_ARM) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (irq >= 16 || level > 1) {
		errno = EINVAL;
		return -1;
	}
	if (d->arch == FX_X86_PVH) {
		/* No vPIC/vIOAPIC: Xen 4.17 dereferences NULL and dies. */
		fx_violation("dom%u: set_isa_irq_level on a PVH domain "
			     "crashes the hypervisor",
			     domid);
		errno = EIO;
		return -1;
	}
	d->isa_level[irq] = (int)level;
	return 0;
}

/* --- libxenevtchn --------------------------------------------------------- */

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
				 unsigned int flags)
{
	struct xenevtchn_handle *xce;

	(void)logger;
	if (FX_INJECT())
		return NULL;
	xce = calloc(1, sizeof(*xce));
	if (!xce)
		return NULL;
	xce->fd = eventfd(
		0, EFD_NONBLOCK |
			   (flags & XENEVTCHN_NO_CLOEXEC ? 0 : EFD_CLOEXEC));
	if (xce->fd < 0) {
		free(xce);
		return NULL;
	}
	fx_handle_add(&xce->h, FX_H_EVTCHN);
	return xce;
}

/* Closing /dev/xen/evtchn unbinds every port of the handle. */
int xenevtchn_close(xenevtchn_handle *xce)
{
	if (!xce)
		return 0;
	for (;;) {
		struct fx_port *p = fx_w.ports;

		while (p && p->xce != xce)
			p = p->next;
		if (!p)
			break;
		fx_port_free(p);
	}
	fx_handle_del(&xce->h);
	close(xce->fd);
	free(xce->ring);
	free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

/*
 * IOCTL_EVTCHN_RESTRICT_DOMID: only once (EACCES afterwards), to a guest
 * (EINVAL for dom0 or a reserved domid).
 */
int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	if (FX_INJECT())
		return -1;
	fx_log_call(domid, "restrict_evtchn");
	if (xce->h.restrict_domid >= 0) {
		errno = EACCES;
		return -1;
	}
	if (!domid || domid >= DOMID_FIRST_RESERVED) {
		errno = EINVAL;
		return -1;
	}
	xce->h.restrict_domid = domid;
	return 0;
}

/*
 * EVTCHNOP_bind_interdomain: the remote port must be an unbound port of
 * @domid that the guest (here: Xen for an ioreq server) offered to dom0.
 * Xen then sets the new local port pending, since notifications sent to
 * the unbound port were lost.
 */
xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
						     uint32_t domid,
						     evtchn_port_t remote_port)
{
	struct fx_port *p;
	struct fx_dom *d;
	evtchn_port_t local;

	if (FX_INJECT())
		return -1;
	fx_log_call(domid, "bind");
	/* Linux's evtchn driver refuses another domain with EACCES. */
	if (xce->h.restrict_domid >= 0 &&
	    (unsigned int)xce->h.restrict_domid != domid) {
		errno = EACCES;
		return -1;
	}
	d = fx_dom_find(domid);
	if (!d || !domid) {
		errno = ESRCH;
		return -1;
	}
	if (!remote_port || remote_port > FX_MAX_GPORTS ||
	    !d->gport[remote_port].used || d->gport[remote_port].peer) {
		errno = EINVAL;
		return -1;
	}
	for (local = 1;; local++)
		if (!port_find(NULL, local))
			break;
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->local = local;
	p->xce = xce;
	p->remote_domid = domid;
	p->remote = remote_port;
	p->next = fx_w.ports;
	fx_w.ports = p;
	d->gport[remote_port].peer = p;
	port_raise(p);
	return (xenevtchn_port_or_error_t)local;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct fx_port *p;

	if (FX_INJECT())
		return -1;
	p = port_find(xce, port);
	if (!p) {
		errno = ENOTCONN; /* Linux: not bound by this user */
		return -1;
	}
	fx_log_call(p->remote_domid, "unbind");
	fx_port_free(p);
	return 0;
}

/*
 * read() of the evtchn fd. The real one blocks when nothing is pending;
 * the fake's users poll the fd first, so it fails with EAGAIN instead.
 */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	evtchn_port_t port;
	uint64_t cnt;

	if (FX_INJECT())
		return -1;
	if (!xce->len) {
		errno = EAGAIN;
		return -1;
	}
	port = xce->ring[xce->head];
	xce->head = (xce->head + 1) % xce->cap;
	if (--xce->len == 0 && read(xce->fd, &cnt, sizeof(cnt)) < 0)
		abort();
	return (xenevtchn_port_or_error_t)port;
}

/* write() of the port: re-enable it; a latched event is delivered now. */
int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct fx_port *p;

	if (FX_INJECT())
		return -1;
	p = port_find(xce, port);
	if (!p)
		return 0; /* Linux ignores ports it does not know */
	if (!p->masked)
		return 0;
	p->masked = false;
	if (p->latched) {
		p->latched = false;
		port_raise(p);
	}
	return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct fx_port *p;
	struct fx_dom *d;

	if (FX_INJECT())
		return -1;
	p = port_find(xce, port);
	if (!p) {
		errno = ENOTCONN;
		return -1;
	}
	d = fx_dom_find(p->remote_domid);
	if (!d || !p->remote)
		return 0; /* the other end is gone: EVTCHNOP_send is a no-op */
	d->vcpu[d->gport[p->remote].vcpu].counts.notifies++;
	vcpu_wake(d, d->gport[p->remote].server, d->gport[p->remote].vcpu);
	return 0;
}
