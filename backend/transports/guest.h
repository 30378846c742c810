/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport classes: how the daemon runs a transport (loop socket, Xen
 * IOREQ, ...) and how a transport hands a guest's device to the daemon.
 *
 * A transport class is a const table (struct vg_transport_class) with
 * designated initializers: start() with the class's own configuration and
 * the daemon's environment, stop(), and an optional devices() that lists
 * what it serves. Every class is optional and several run at once; the
 * daemon starts them in the order given and stops them in reverse.
 *
 * Once a transport has checked a connection and knows which domain it is,
 * attach() asks the owner (the daemon) for the register file to feed; when
 * the guest goes away, detach() tells the owner to stop using the bus,
 * while guest memory is still mapped (or, for a window spawn() gave a
 * worker, to end that worker). @conn is the transport's opaque token
 * for the connection (one per device window); the owner only compares it.
 *
 * All calls come from the daemon's single event-loop thread.
 */
#ifndef VGPIO_GUEST_H
#define VGPIO_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vgpio/transport.h>
#include "evloop.h"
#include "log.h"
#include "mmio.h"

/*
 * What a transport says about one device window, for `status`. Owned by
 * the transport, which keeps it current; valid from attach() (or from when
 * devices() reports it) until detach() or the device's removal.
 */
struct vg_guest_info {
	const char *transport; /* class name: "loop", "xen" */
	long domid; /* hypervisor domain id, -1 if the transport has none */
	long devid; /* device id within the domain, -1 if none */
	uint64_t base; /* register window (guest-physical) */
	uint64_t size; /* its length; 0 if the transport has no window */
	unsigned int irq; /* interrupt number; 0 if none */
	const char *irq_kind; /* "spi", "isa", or NULL */
	const char *memory; /* how guest memory is reached: "memfd",
			       "grant", "foreign" */
	const char *state; /* the transport's state of the device, e.g.
			      "connected", "manual", "placeholder" */
};

struct vg_devspec; /* a Xen device window: transports/xen/devspec.h */

struct vg_guest_hooks {
	/*
	 * A guest device window of domain @domain is up. Return 0 and the
	 * register file in *mmio, or a positive errno and a NUL-terminated
	 * reason in @reason (@reason_len bytes). @bus and @info stay valid
	 * until detach(). The register file's log ((*mmio)->log, may be
	 * NULL) is the domain's own source: the transport logs that guest's
	 * own events (connected, disconnected, malformed packets) through
	 * it, so that one guest's flood uses up only its own domain's
	 * rate limit (log.h).
	 */
	int (*attach)(void *arg, void *conn, const char *domain,
		      const struct vg_bus *bus,
		      const struct vg_guest_info *info, struct vg_mmio **mmio,
		      char *reason, size_t reason_len);
	/* The guest attached as @conn is gone; stop using its bus now. */
	void (*detach)(void *arg, void *conn);
	/*
	 * Optional: the owner serves guests in worker processes. A
	 * transport that can hand a connection over (loop) calls this
	 * instead of attach() once it knows the domain, before it maps any
	 * guest memory: @fd is the connection, @hello its first packet and
	 * @fds what came with it. 0: the owner took @fd and @fds; else a
	 * positive errno and @reason, as for attach().
	 */
	int (*route)(void *arg, const char *domain, int fd, const void *hello,
		     size_t len, const int *fds, unsigned int nfds,
		     char *reason, size_t reason_len);
	/*
	 * Optional, with route(): for a transport whose worker opens its
	 * own handles to the guest (Xen) instead of taking a connection.
	 * The owner starts a worker for device window @conn of @domain,
	 * whose transport gets the options @wargs (NULL-terminated: the
	 * window, for the transport's one-guest class), and returns once
	 * that worker serves the window. 0: the worker serves @conn until
	 * detach(@conn) ends it; else a positive errno and @reason, as for
	 * attach() (nothing left running).
	 */
	int (*spawn)(void *arg, void *conn, const char *domain,
		     const char *const *wargs, char *reason, size_t reason_len);
	/*
	 * Optional: for a transport that serves device windows by domain
	 * name (Xen: the policy's xen-device). The window the owner gives
	 * every domain named @domain, into *@out (domid 0): 1 if it gives
	 * one, 0 if not. Asked once for each domain as it appears, so a new
	 * answer (a reload) applies to domains created from then on.
	 */
	int (*window)(void *arg, const char *domain, struct vg_devspec *out);
};

/* What the daemon gives every transport it starts. */
struct vg_transport_env {
	struct vg_evloop *ev;
	const struct vg_guest_hooks *hooks;
	void *hooks_arg;
	const struct vg_log_sink *sink;
};

/*
 * Called by devices() once per device window: @attached is false for a
 * window the owner refused (then @conn is not known to the owner).
 */
typedef void (*vg_guest_device_fn)(void *arg, void *conn, const char *domain,
				   const struct vg_guest_info *info,
				   bool attached);

/* A device window device_add() serves now. */
struct vg_guest_added {
	char domain[64]; /* the guest's domain name */
	long domid, devid;
	/*
	 * False: the owner refused the domain's device (@why says why) and
	 * the window is served empty, as the transport serves a refused one.
	 */
	bool attached;
	char why[160];
};

struct vg_transport_class {
	const char *name;
	/*
	 * Start serving with @cfg (the class's own configuration struct,
	 * borrowed until stop()). 0 and a handle, or -errno (logged by the
	 * transport, nothing left behind).
	 */
	int (*start)(const void *cfg, const struct vg_transport_env *env,
		     void **handle);
	/* Detach every guest (detach() for each), free everything. */
	void (*stop)(void *handle);
	/* Optional: report every device window served now. */
	void (*devices)(void *handle, vg_guest_device_fn fn, void *arg);
	/*
	 * Optional, both or neither: add a device window for a guest that
	 * runs now, as the transport's own manual windows are added, or
	 * remove one added so (not one a toolstack made). @spec is in the
	 * class's own syntax (xen: vgpiod --device's SPEC to add,
	 * "domid=N,base=ADDR" to remove). 0 (device_add: *@out says what
	 * serves the window), or -errno with @why (@why_len bytes) saying
	 * why, for people: -EINVAL a bad spec or window, -ENOENT no such
	 * guest or window, -EEXIST a window there already, -EOPNOTSUPP a
	 * guest that cannot have one, -EPERM a window not added so, -EIO it
	 * could not be set up (logged).
	 */
	int (*device_add)(void *handle, const char *spec,
			  struct vg_guest_added *out, char *why,
			  size_t why_len);
	int (*device_remove)(void *handle, const char *spec, char *why,
			     size_t why_len);
};

/*
 * True if @c has a name, start() and stop(), and device_add() and
 * device_remove() both or neither.
 */
bool vg_transport_class_valid(const struct vg_transport_class *c);

#endif /* VGPIO_GUEST_H */
