// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drv.h"
#include "inproc-wire.h"

struct vg_inproc_wire_tramp {
	struct vg_inproc_wire *w;
	unsigned int gpio;
};

static void iw_line_event(void *arg, unsigned int edge)
{
	struct vg_inproc_wire_tramp *t = arg;

	if (t->w->gpio)
		vg_gpio_line_event(t->w->gpio, t->gpio, edge);
}

int vg_inproc_wire_new(struct vg_inproc_wire **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int vg_inproc_wire_add_line(struct vg_inproc_wire *w, struct vg_provider prov,
			    const struct vg_line_spec *spec, const char *name,
			    unsigned int allow, enum vg_safe safe)
{
	unsigned int n = w->own.n;
	struct vg_acl_line *lines, *l;
	struct vg_inproc_wire_tramp **tr, *t;
	int rc;

	lines = realloc(w->own.lines, (n + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	w->own.lines = lines;
	tr = realloc(w->tramp, (n + 1) * sizeof(*tr));
	if (!tr)
		return -ENOMEM;
	w->tramp = tr;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->w = w;
	t->gpio = n;
	l = &lines[n];
	memset(l, 0, sizeof(*l));
	l->allow = allow;
	l->safe = safe;
	l->prov = prov;
	rc = prov.ops->line_open(prov.ctx, spec, "vgpio:inproc", iw_line_event,
				 t, &l->line);
	if (rc) {
		free(t);
		return rc;
	}
	snprintf(l->name, sizeof(l->name), "%s",
		 name ? name : prov.ops->line_name(prov.ctx, l->line));
	tr[n] = t;
	w->own.n = n + 1;
	return 0;
}

/* Deliver provider events that are ready, like the daemon's event loop. */
static void iw_dispatch(struct vg_inproc_wire *w)
{
	unsigned int i, j;

	for (i = 0; i < w->acl->n; i++) {
		const struct vg_provider *p = &w->acl->lines[i].prov;
		struct pollfd pfd = {.events = POLLIN};

		if (!p->ops)
			continue;
		for (j = 0; j < i; j++) /* each provider once */
			if (w->acl->lines[j].prov.ctx == p->ctx)
				break;
		if (j < i)
			continue;
		pfd.fd = p->ops->fd(p->ctx);
		if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 1)
			p->ops->dispatch(p->ctx);
	}
}

static int iw_mmio(void *ctx, bool write, uint64_t off, unsigned int size,
		   uint64_t *val)
{
	struct vg_inproc_wire *w = ctx;

	if (write)
		vg_mmio_write(&w->mmio, off, size, *val);
	else
		*val = vg_mmio_read(&w->mmio, off, size);
	return 0;
}

static int iw_wait_irq(void *ctx, int timeout_ms)
{
	struct vg_inproc_wire *w = ctx;

	(void)timeout_ms;
	do {
		iw_dispatch(w);
		while (vg_gpio_pending(w->gpio)) {
			w->runs++;
			vg_gpio_run(w->gpio, w->budget);
		}
		iw_dispatch(w);
	} while (vg_gpio_pending(w->gpio));
	if (w->tp.irq_raises != w->seen_raises) {
		w->seen_raises = w->tp.irq_raises;
		return 1;
	}
	return 0;
}

void vg_inproc_wire_free(struct vg_inproc_wire *w)
{
	unsigned int i;

	if (!w)
		return;
	vg_gpio_free(w->gpio);
	for (i = 0; i < w->own.n; i++) {
		struct vg_acl_line *l = &w->own.lines[i];

		l->prov.ops->line_close(l->prov.ctx, l->line);
		free(w->tramp[i]);
	}
	free(w->own.lines);
	free(w->tramp);
	free(w);
}

static void iw_close(void *ctx)
{
	vg_inproc_wire_free(ctx);
}

const struct vg_shim_wire_ops vg_inproc_wire_ops = {
	.name = "inproc",
	.mmio = iw_mmio,
	.wait_irq = iw_wait_irq,
	.close = iw_close,
};

int vg_inproc_wire_start(struct vg_inproc_wire *w, const struct vg_drv_mem *m,
			 const struct vg_inproc_wire_params *p,
			 struct vg_shim_wire *out)
{
	struct vg_gpio_params gp = {0};
	int rc;

	vg_inproc_init_drv(&w->tp, m);
	w->tp.gram.max_piece = p->max_piece;
	w->acl = p->acl ? p->acl : &w->own;
	w->budget = p->budget ? p->budget : 64;
	gp.acl = w->acl;
	gp.bus = w->tp.bus;
	gp.log = p->log;
	gp.no_irq = p->no_irq;
	gp.no_indirect = p->no_indirect;
	gp.no_event_idx = p->no_event_idx;
	rc = vg_gpio_new(&gp, &w->gpio);
	if (rc)
		return rc;
	vg_mmio_init(&w->mmio, vg_gpio_vdev(w->gpio), p->log);
	out->ops = &vg_inproc_wire_ops;
	out->ctx = w;
	return 0;
}
