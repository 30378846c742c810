/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's listening unix sockets (the loop transport's and the
 * control socket): created with safe modes, stale sockets cleared, watched
 * by the event loop.
 */
#ifndef VGPIO_LISTEN_H
#define VGPIO_LISTEN_H

#include "evloop.h"
#include "log.h"

/*
 * Create a listening unix socket of @type (SOCK_SEQPACKET, SOCK_STREAM) at
 * @path for the daemon's sockets: the directory is created 0700 if
 * missing; a socket already there is unlinked if no one listens on it
 * (-EADDRINUSE if someone does); anything else there is -EEXIST; the new
 * socket is mode 0600, non-blocking, close-on-exec. Returns the fd or
 * -errno, and logs why on failure.
 */
int vg_listen_unix(const char *path, int type, struct vg_log *log);

/* A listening socket watched by the event loop; its path goes with it. */
struct vg_listener {
	struct vg_evloop *ev;
	int fd; /* -1 when closed */
	char *path;
};

/*
 * vg_listen_unix(@path, @type) and watch it for EPOLLIN with
 * @fn(@arg). 0 or -errno (logged); on failure nothing is left behind and
 * @l is closed.
 */
int vg_listener_open(struct vg_listener *l, struct vg_evloop *ev,
		     const char *path, int type, struct vg_log *log,
		     vg_ev_fn fn, void *arg);
/* Stop watching, close and unlink. A closed listener is fine. */
void vg_listener_close(struct vg_listener *l);

#endif /* VGPIO_LISTEN_H */
