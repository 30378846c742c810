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
 * HELLO (refusals, evictions, and in route mode every guest's) through
 * the listener's own, "loop".
 *
 * Parent and workers (docs/architecture.md): the same transport runs in
 * either process. In the parent, *route mode* (vg_loop_config.route):
 * loop accepts, reads the HELLO and checks only that it is a whole HELLO
 * of this version with a well-formed domain name; then, instead of
 * mapping RAM and calling attach(), it gives the connection, the HELLO
 * bytes and the HELLO's fds to route(), which passes them to the
 * domain's worker (vg_loop_handoff_send()). Guest RAM is never mapped in
 * route mode. In a worker, *hand-off mode* (path NULL, handoff_fd): no
 * listener; loop receives each hand-off on handoff_fd and runs the HELLO
 * exactly as if it had just been read from that connection, so the
 * worker checks every field itself and trusts nothing the parent passed
 * on from a guest; from there on the connection is served as above.
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

/* How loop runs: listener (plain or route mode), or hand-off mode. */
struct vg_loop_config {
	/*
	 * The socket to listen on: its directory is created 0700 if
	 * missing, a stale socket there is unlinked, anything else at @path
	 * is refused (-EEXIST), and the socket is made mode 0600. NULL:
	 * hand-off mode, no listener.
	 */
	const char *path;
	/*
	 * Route mode (needs @path; NULL: attach guests here). Called for
	 * each HELLO that passed the checks above (its @domain terminated,
	 * non-empty, printable) with the connection @fd, the HELLO's @len
	 * bytes and its @nfds fds (at most 8) as they came. Return 0: the
	 * hook owns @fd and @fds from now on (loop forgets the connection:
	 * no close, no detach()). Or a positive errno and a reason in
	 * @reason (@reason_len bytes; empty: strerror): loop refuses the
	 * guest with WELCOME and closes @fd and @fds.
	 */
	int (*route)(void *arg, const char *domain, int fd, const void *hello,
		     size_t len, const int *fds, unsigned int nfds,
		     char *reason, size_t reason_len);
	void *route_arg;
	/*
	 * Hand-off mode (@path NULL): a SOCK_SEQPACKET socket (any fd
	 * number, 0 included) on which the parent sends hand-offs
	 * (vg_loop_handoff_send()); borrowed, its owner closes it after
	 * vg_loop_free(). A packet that is oversized, carries more than
	 * 9 fds, none, or a first fd that is not a SOCK_SEQPACKET socket is
	 * logged (rate-limited) and its fds closed; one whose HELLO is bad
	 * is refused to the guest with WELCOME as on a listener.
	 */
	int handoff_fd;
	/*
	 * Optional: called once, from the event loop, when handoff_fd
	 * reports EOF or an error (the parent is gone; an empty packet
	 * while the parent is there is dropped as malformed). loop stops watching it and keeps serving the
	 * guests it has; the owner decides whether to exit. It must not
	 * free the loop from inside the call.
	 */
	void (*handoff_closed)(void *arg);
	void *handoff_arg;
};

/*
 * Start as @cfg says (copied; @cfg->path only used here) and register
 * with @ev. -EINVAL for route() without a path or a handoff_fd that is
 * not a SOCK_SEQPACKET socket. 0 or -errno; logs the reason on failure.
 */
int vg_loop_new(struct vg_evloop *ev, const struct vg_loop_config *cfg,
		const struct vg_guest_hooks *hooks, void *arg,
		struct vg_log *log, struct vg_loop **out);
/* Disconnect every guest (detach() for each), remove the socket. NULL ok. */
void vg_loop_free(struct vg_loop *loop);

/*
 * Hand one guest connection over on @sock (SOCK_SEQPACKET, to a worker
 * in hand-off mode): one packet, the @len HELLO bytes (at most a HELLO's
 * size) as data and [@fd, @fds...] (@nfds at most 8) as SCM_RIGHTS.
 * Never blocks. 0: sent, and @fd and @fds are closed here (the receiver
 * has them). -EINVAL for bad arguments, -EAGAIN if the receiver's queue
 * is full, -errno: nothing sent, nothing closed. Does not log.
 */
int vg_loop_handoff_send(int sock, int fd, const void *hello, size_t len,
			 const int *fds, unsigned int nfds);

/*
 * The loop transport as a transport class (guest.h), started with a
 * struct vg_loop_config; logs as "loop". A listener whose config has no
 * route() routes through the daemon's hooks' route() when it has one
 * (guest.h). In route mode attach() and detach() are never called.
 */
extern const struct vg_transport_class vg_loop_class;

/* The transport table ("loop"); its ctx is a struct vg_loop_conn. */
extern const struct vg_transport_ops vg_loop_transport_ops;

#endif /* VGPIO_LOOP_H */
