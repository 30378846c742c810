// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "drv.h"
#include "inproc.h"

static void *inproc_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
			size_t *contig)
{
	struct vg_inproc *p = ctx;
	void *r = vg_gram_map(&p->gram, addr, len, prot, contig);

	if (r)
		p->maps++;
	return r;
}

static void inproc_unmap(void *ctx, void *ptr, size_t contig)
{
	struct vg_inproc *p = ctx;

	(void)ptr;
	(void)contig;
	p->unmaps++;
}

static void inproc_set_irq(void *ctx, int level)
{
	struct vg_inproc *p = ctx;

	if (level)
		p->irq_raises++;
	p->irq_level = level;
}

const struct vg_transport_ops vg_inproc_ops = {
	.name = "inproc",
	.map = inproc_map,
	.unmap = inproc_unmap,
	.set_irq = inproc_set_irq,
};

int vg_inproc_init(struct vg_inproc *p, uint64_t base, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->buf = calloc(1, size ? size : 1);
	if (!p->buf)
		return -ENOMEM;
	p->gram.host = p->buf;
	p->gram.base = base;
	p->gram.size = size;
	p->bus.ops = &vg_inproc_ops;
	p->bus.ctx = p;
	return 0;
}

void vg_inproc_dispose(struct vg_inproc *p)
{
	free(p->buf);
	p->buf = NULL;
}

void *vg_inproc_ptr(struct vg_inproc *p, uint64_t gpa)
{
	return p->gram.host + (gpa - p->gram.base);
}

void vg_inproc_init_drv(struct vg_inproc *p, const struct vg_drv_mem *m)
{
	memset(p, 0, sizeof(*p));
	p->gram.host = m->host;
	p->gram.base = m->base;
	p->gram.size = m->size;
	p->gram.grants = m->grants;
	p->gram.gnttab_addr = m->gnttab;
	p->gram.gnttab_entries = m->nr_grants;
	p->bus.ops = &vg_inproc_ops;
	p->bus.ctx = p;
}
