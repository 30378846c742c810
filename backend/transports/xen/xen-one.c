// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Xen transport confined to one guest (xen.h, vg_xen_one_class): one
 * device window in a process that serves nothing else, with every Xen
 * handle restricted to the guest. The instance is a struct vg_xen with no
 * xenstore and no xenctrl handle; xen-guest.c restricts the handles
 * (guest_confine) before the first call that reaches the guest.
 */
#include <errno.h>
#include "xen-priv.h"

static int one_start(const void *cfg, const struct vg_transport_env *env,
		     void **handle)
{
	const struct vg_xen_one_config *c = cfg;
	struct vg_xen_dev *d;
	struct vg_xen *x;

	x = vg_xen_alloc(env->ev, env->hooks, env->hooks_arg, env->sink);
	if (!x)
		return -ENOMEM;
	x->confined = true;
	/* restrict_all(0) would confine nothing: only a guest. */
	if (!c->dev.domid || c->dev.domid > VG_DEVSPEC_DOMID_MAX) {
		vg_log_warnx(&x->log, "domid %u: not a guest domain",
			     c->dev.domid);
		goto err;
	}
	if (!c->domain) {
		vg_log_warnx(&x->log, "dom%u: no domain name", c->dev.domid);
		goto err;
	}
	d = vg_xen_dev_start(x, &c->dev, c->devid, NULL, c->domain, NULL);
	if (!d)
		goto err;
	if (c->discovered)
		d->info.state = "connected";
	*handle = x;
	return 0;
err:
	vg_xen_free(x);
	return -EINVAL;
}

static void one_stop(void *handle)
{
	vg_xen_free(handle);
}

const struct vg_transport_class vg_xen_one_class = {
	.name = "xen",
	.start = one_start,
	.stop = one_stop,
	.devices = vg_xen_report,
};
