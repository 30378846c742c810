/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loop transport, daemon side (wire protocol: <vgpio/loop_proto.h>).
 *
 * vg_loop listens on a SOCK_SEQPACKET unix socket and runs every guest
 * connection from the daemon's event loop without ever blocking: HELLO
 * (validated field by field, guest RAM memfd mapped MAP_SHARED and sealed
 * against shrinking), WELCOME, then MMIO accesses fed to the register file
 * the owner attached, each answered with MMIO_REPLY.
 *
 * Which domains exist and what device serves them is the owner's business
 * (the daemon): on a valid HELLO, loop calls the guest hooks' attach()
 * (guest.h; @conn is the struct vg_loop_conn) with a bus whose
 * map() reaches this guest's RAM (vg_gram_map, grants and max_piece as the
 * guest asked) and whose set_irq() sends IRQ messages; attach() returns
 * the register file to feed, or refuses with an errno and a reason that is
 * sent back in WELCOME. When the guest goes away (hang-up, EOF, a
 * malformed packet, vg_loop_free), loop calls detach() before it unmaps
 * RAM, so the owner can free the device while guest memory is still there.
 *
 * IRQ messages are sent non-blocking; if the socket is full the message is
 * dropped (the guest still finds the cause in InterruptStatus when it next
 * reads it). MMIO replies are never dropped: if the socket is full, loop
 * stops reading that guest until the reply is out.
 *
 * Logs connection errors and guest-caused problems, the latter
 * rate-limited per source: an attached guest's through its domain's
 * source (the register file's log, guest.h), so no guest can silence
 * another domain's messages; those of connections without an accepted
 * HELLO (refusals, evictions) through the listener's own, "loop".
 */
#ifndef VGPIO_LOOP_H
#define VGPIO_LOOP_H

#include <stddef.h>
#include <vgpio/transport.h>
#include "evloop.h"
#include "guest.h"
#include "log.h"
#include "mmio.h"

struct vg_loop;
struct vg_loop_conn;

/*
 * Listen on @path: its directory is created 0700 if missing, a stale socket
 * there is unlinked, anything else at @path is refused (-EEXIST), and the
 * socket is made mode 0600. Registers with @ev. 0 or -errno; logs the
 * reason on failure.
 */
int vg_loop_new(struct vg_evloop *ev, const char *path,
		const struct vg_guest_hooks *hooks, void *arg,
		struct vg_log *log, struct vg_loop **out);
/* Disconnect every guest (detach() for each), remove the socket. NULL ok. */
void vg_loop_free(struct vg_loop *loop);

/* The loop transport as a transport class (guest.h); logs as "loop". */
struct vg_loop_config {
	const char *path; /* the socket, see vg_loop_new() */
};
extern const struct vg_transport_class vg_loop_class;

/* The transport table ("loop"); its ctx is a struct vg_loop_conn. */
extern const struct vg_transport_ops vg_loop_transport_ops;

#endif /* VGPIO_LOOP_H */
