// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "shim.h"
#include "xenguest.h"

#define VG_XGUEST_TURNS 2000u

void vg_xguest_pump(struct vg_xguest *g)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (g->d[i])
			vg_daemon_turn(g->d[i], 0);
}

static unsigned int turns(const struct vg_xguest *g)
{
	return g->max_turns ? g->max_turns : VG_XGUEST_TURNS;
}

bool vg_xguest_pump_until(struct vg_xguest *g, const char *path,
			  const char *want)
{
	unsigned int i;

	for (i = 0; i < turns(g); i++) {
		char *v = fx_xs_read(path);
		bool ok = v && !strcmp(v, want);

		free(v);
		if (ok)
			return true;
		vg_xguest_pump(g);
	}
	return false;
}

int vg_xguest_domain(struct fx_domain_params *p, struct vg_shim *s, bool grants)
{
	uint64_t npages = s->mem.size >> 12, gfn0 = s->mem.base >> 12, i;
	int rc;

	p->ram_base = s->mem.base;
	p->ram_size = s->mem.size;
	p->ram_fd = s->mem.fd;
	rc = fx_domain_new(p);
	for (i = 0; !rc && grants && i < npages; i++) {
		rc = fx_grant(p->domid, (uint32_t)i, gfn0 + i, false);
		if (!rc)
			rc = fx_grant(p->domid, (uint32_t)(npages + i),
				      gfn0 + i, true);
	}
	return rc;
}

static int xg_mmio(void *w, bool write, uint64_t off, unsigned int size,
		   uint64_t *val)
{
	struct vg_xguest *g = w;
	enum fx_io io;
	uint64_t data = 0;
	unsigned int i;

	io = fx_vcpu_access(g->domid, g->vcpu, g->base + off, size, write,
			    write ? *val : 0);
	if (io != FX_IO_PENDING) {
		g->last_io = (int)io;
		return io == FX_IO_UNHANDLED ? -EFAULT : -EIO;
	}
	for (i = 0; i < turns(g); i++) {
		io = fx_vcpu_poll(g->domid, g->vcpu, &data);
		if (io == FX_IO_DONE) {
			if (!write)
				*val = data;
			return 0;
		}
		if (io != FX_IO_PENDING) {
			g->last_io = (int)io;
			return -EPIPE;
		}
		vg_xguest_pump(g);
	}
	g->last_io = FX_IO_PENDING;
	return -ETIMEDOUT; /* the vCPU would hang */
}

static bool irq_seen(struct vg_xguest *g)
{
	unsigned int n;

	if (g->isa)
		return fx_isa_level(g->domid, g->irq) == 1;
	n = fx_irq_edges(g->domid, g->irq);
	if (n == g->edges_seen)
		return false;
	g->edges_seen = n;
	return true;
}

static int xg_wait_irq(void *w, int timeout_ms)
{
	struct vg_xguest *g = w;
	unsigned int i, n = timeout_ms == 0 ? 1 : turns(g);

	for (i = 0; i < n; i++) {
		if (irq_seen(g))
			return 1;
		vg_xguest_pump(g);
	}
	return irq_seen(g) ? 1 : 0;
}

static void xg_close(void *w)
{
	(void)w; /* owned by the test */
}

const struct vg_shim_wire_ops vg_xguest_wire_ops = {
	.name = "fakexen",
	.mmio = xg_mmio,
	.wait_irq = xg_wait_irq,
	.close = xg_close,
};

void vg_xguest_attach(struct vg_xguest *g, struct vg_shim *s)
{
	struct vg_shim_wire w = {.ops = &vg_xguest_wire_ops, .ctx = g};

	g->edges_seen = g->isa ? 0 : fx_irq_edges(g->domid, g->irq);
	vg_shim_set_wire(s, &w);
}
