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
 * Named windows (the owner's hooks have window(): the policy's
 * xen-device): watches @introduceDomain and, once at start, looks at the
 * domains that run already; each domain is looked at once, when its name
 * (/local/domain/<domid>/name) can first be read, and if the owner gives
 * that name a window and the domain has none yet, the window is served
 * from then on, as a manual one (xl creates domains paused, so before the
 * guest's kernel probes). It goes when the domain dies (@releaseDomain);
 * the next domain of that name (a reboot: a new domid) is looked at anew.
 * A window that cannot be served is logged and does not stop anything.
 *
 * The class's device_add() and device_remove() (guest.h) add a manual
 * window for a domain that runs now (SPEC in --device syntax) and remove
 * one that is not libxl's ("domid=N,base=ADDR").
 *
 * Every window, whatever found it, is served by one path (dev_serve in
 * xen.c), and a domain never has two windows at one base.
 * Each device window is handed to the owner with the guest hooks
 * (guest.h) under the guest's domain name from xenstore; a device the owner
 * refuses (unknown domain, no lines, already served) is served as a
 * placeholder whose DeviceID reads 0, which Linux's virtio-mmio probe skips
 * silently, so the guest neither faults nor gets a GPIO chip.
 *
 * Route mode (the owner's hooks have spawn(): vgpiod with workers): this
 * instance serves no guest's device itself. For each window it checks the
 * domain (vg_xen_domain_check) and reads its name, then asks spawn() for
 * a worker that serves the window with vg_xen_one_class (below), passing
 * the window as the worker options "--xen-device SPEC --xen-devid N
 * [--xen-discovered]" (SPEC in --device syntax; the last for a libxl
 * device). A discovered device goes to state 4 only once spawn() has
 * returned, that is once the worker serves it. When the window goes (the
 * cases above, or vg_xen_free) detach() on its token ends the worker, which
 * releases its IOREQ server, and a discovered device is then told state 6.
 * What this instance keeps of such a window is its ids and its xenstore
 * directory. A window spawn() refuses (the owner's reason: unknown domain,
 * no lines, a domain a worker already serves, a worker that could not
 * start) is a placeholder served here, as above: it reads the guest's
 * register accesses from its IOREQ server's ioreq page and maps no guest
 * memory.
 *
 * Every guest this instance serves has its own devicemodel, foreignmemory,
 * evtchn (and, when a device uses grants, gnttab) handles, restricted to
 * that guest where the library can (see docs/xen.md for why not
 * xentoolcore_restrict_all). Logs through @sink with a "dom<id>/<dev>"
 * prefix per device.
 *
 * vg_xen_one_class is the same transport for a process that serves one
 * device window of one guest and nothing else (a per-guest worker): no
 * xenstore, no xenctrl, and every Xen handle of the process restricted to
 * the guest with xentoolcore_restrict_all, the restriction checked before
 * the guest is served (docs/xen.md).
 */
#ifndef VGPIO_XEN_H
#define VGPIO_XEN_H

#include <stdbool.h>
#include "devspec.h"
#include "evloop.h"
#include "guest.h"
#include "log.h"

struct vg_xen;

/*
 * Guest memory in foreign-mapping mode (grants off): besides its rings,
 * each device window keeps at most VG_XEN_MAPCACHE_ENTRIES mappings of
 * guest pages across requests, each at most VG_XEN_MAPCACHE_PAGES pages
 * (an aligned window of that many guest frames, or a buffer's own pages
 * where the window cannot be mapped): at most 128 pages, 512 KiB, per
 * window. All are dropped on IOREQ_TYPE_INVALIDATE, a queue's reset and
 * the window's removal. Grant mode keeps no mapping beyond a request
 * (docs/xen.md, "Guest memory").
 */
#define VG_XEN_MAPCACHE_ENTRIES 8u
#define VG_XEN_MAPCACHE_PAGES 16u

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

/*
 * The one-guest class: its configuration is a struct vg_xen_one_config.
 * start() opens the devicemodel, foreignmemory and evtchn handles, calls
 * xentoolcore_restrict_all(dev.domid) (its failure fails the start),
 * checks that each of the three now refuses a domain that is not the
 * guest (the kernel must answer EPERM for privcmd's, EACCES for evtchn's;
 * anything else fails the start, logged; success logs "Xen handles
 * restricted to the domain (checked: domain N refused)"), and only then
 * creates the IOREQ server, maps the ioreq page and binds the vCPUs'
 * ports; a grant device's gnttab handle is opened after that (it cannot be
 * restricted, docs/xen.md). Every handle the worker will use is open when
 * start() returns. Nothing here reads xenstore or asks xenctrl:
 *  - the caller, which has them, gives the domain's name, and checks that
 *    the domain exists and can take the device's interrupt kind (for vgpiod
 *    that is the parent, as vg_xen_class does for itself; a PV guest or a
 *    dead one fails the start at the first dm_op, a PVH guest with an ISA
 *    IRQ would not: checking that needs xenctrl);
 *  - there is no @releaseDomain watch: when the guest goes away the caller
 *    says so with stop(), which also releases what Xen already tore down.
 * The process must hold no xenstore, xenctrl or gnttab handle it still
 * needs when start() runs: restrict_all makes them unusable. One start per
 * process: restrict_all cannot be undone.
 */
struct vg_xen_one_config {
	struct vg_devspec dev; /* the window; dev.domid 1..0x7fef */
	unsigned int devid; /* its xenstore devid (status, log prefix) */
	const char *domain; /* the domain's name, as xenstore has it */
	bool discovered; /* a libxl device: status says "connected", not
			    "manual" */
};
extern const struct vg_transport_class vg_xen_one_class;

#endif /* VGPIO_XEN_H */
