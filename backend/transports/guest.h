/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a transport hands a guest's device window to the daemon, whichever
 * transport it is (loop socket, Xen IOREQ): once the transport has checked
 * the connection and knows which domain it is, attach() asks the owner for
 * the register file to feed; when the guest goes away, detach() tells the
 * owner to stop using the bus, while guest memory is still mapped.
 *
 * @conn is the transport's opaque token for the connection (one per device
 * window); the owner only compares it.
 */
#ifndef VGPIO_GUEST_H
#define VGPIO_GUEST_H

#include <stddef.h>
#include <vgpio/transport.h>
#include "mmio.h"

struct vg_guest_hooks {
	/*
	 * A guest device window of domain @domain is up. Return 0 and the
	 * register file in *mmio, or a positive errno and a NUL-terminated
	 * reason in @reason (@reason_len bytes). @bus stays valid until
	 * detach().
	 */
	int (*attach)(void *arg, void *conn, const char *domain,
		      const struct vg_bus *bus, struct vg_mmio **mmio,
		      char *reason, size_t reason_len);
	/* The guest attached as @conn is gone; stop using its bus now. */
	void (*detach)(void *arg, void *conn);
};

#endif /* VGPIO_GUEST_H */
