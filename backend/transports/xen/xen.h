/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Xen transport: serves virtio-gpio device windows to Xen guests
 * through an IOREQ server per guest (backend/xen*.c are the only files that
 * include <xen*.h>; docs/xen.md is the administrator's side).
 *
 * Discovery (params.discover): watches the backend/virtio directory in
 * vgpiod's own xenstore home for devices libxl (Xen >= 4.18, `virtio=`)
 * creates, claims `type = virtio,device29` devices in state 1 atomically
 * (1 -> 2 in one transaction; another backend may watch the same
 * directory), brings them up and writes state 4; tears a device down on
 * state 5, online 0, removal of its directory or the guest's death
 * (@releaseDomain), then writes state 6.
 *
 * Manual mode (params.devices): devices given on the command line for
 * toolstacks without `virtio=`; brought up at start (an error there fails
 * vg_xen_new), torn down when their guest dies.
 *
 * Each device window is handed to the owner with the guest hooks
 * (guest.h) under the guest's domain name from xenstore; a device the owner
 * refuses (unknown domain, no lines, already served) is served as a
 * placeholder whose DeviceID reads 0, which Linux's virtio-mmio probe skips
 * silently, so the guest neither faults nor gets a GPIO chip.
 *
 * Every guest has its own devicemodel, foreignmemory, evtchn (and, when a
 * device uses grants, gnttab) handles, restricted to that guest where the
 * library can (see docs/xen.md for why not xentoolcore_restrict_all).
 * Logs through @sink with a "dom<id>/<dev>" prefix per device.
 */
#ifndef VGPIO_XEN_H
#define VGPIO_XEN_H

#include <stdbool.h>
#include "devspec.h"
#include "evloop.h"
#include "guest.h"
#include "log.h"

struct vg_xen;

struct vg_xen_params {
	struct vg_evloop *ev;
	const struct vg_guest_hooks *hooks;
	void *arg; /* for the hooks */
	const struct vg_log_sink *sink;
	bool discover; /* watch xenstore for libxl virtio devices */
	const struct vg_devspec *devices; /* manual mode; copied */
	unsigned int ndevices;
};

/*
 * Open xenstore and xenctrl, bring up the manual devices, start watching.
 * 0 or -errno; logs what failed and leaves nothing behind on failure.
 */
int vg_xen_new(const struct vg_xen_params *p, struct vg_xen **out);

/*
 * Tear every device down (detach, unmap, unbind, destroy the servers,
 * write state 6 for discovered devices) and close everything. NULL ok.
 */
void vg_xen_free(struct vg_xen *x);

/* Devices being served (placeholders included). */
unsigned int vg_xen_devices(const struct vg_xen *x);

/*
 * The Xen transport as a transport class (guest.h): its configuration is
 * a struct vg_xen_config; devices() reports every window, placeholders
 * included.
 */
struct vg_xen_config {
	bool discover;
	const struct vg_devspec *devices;
	unsigned int ndevices;
};
extern const struct vg_transport_class vg_xen_class;

#endif /* VGPIO_XEN_H */
