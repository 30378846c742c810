/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-manager readiness notification: the sd_notify(3) datagram
 * protocol, written out so that vgpiod does not need libsystemd. The
 * manager passes an AF_UNIX datagram socket in $NOTIFY_SOCKET (a path, or
 * "@name" for the abstract namespace); each state change is one datagram
 * of newline-separated "KEY=value" assignments. Without a manager the
 * variable is unset and every call here does nothing.
 */
#ifndef VGPIO_NOTIFY_H
#define VGPIO_NOTIFY_H

#include "log.h"

/* The environment variable systemd sets for Type=notify services. */
#define VG_NOTIFY_ENV "NOTIFY_SOCKET"

/*
 * Send @state (e.g. "READY=1") as one datagram to the socket at @addr:
 * "/path" or "@abstract-name". @addr NULL means no manager: 0, nothing
 * sent. Blocks only if the manager's queue is full (as sd_notify does).
 * Returns 0 or -errno: -EINVAL for an address that is empty or neither a
 * path nor "@name", -ENAMETOOLONG if it does not fit a sockaddr_un,
 * otherwise the socket(2)/sendto(2) error (-ENOENT, -ECONNREFUSED when
 * nothing listens). Errors are logged as warnings on @log (may be NULL).
 */
int vg_notify_send(struct vg_log *log, const char *addr, const char *state);

/*
 * Tell the manager in $NOTIFY_SOCKET that start-up is complete ("READY=1"):
 * call it once the daemon's sockets listen. 0 if the variable is unset or
 * the message was sent; -errno (logged) as vg_notify_send() otherwise. A
 * failure should not stop the daemon: the manager times the start out.
 */
int vg_notify_ready(struct vg_log *log);

/*
 * Tell the manager the daemon is shutting down ("STOPPING=1"), so a
 * slow teardown is not mistaken for a hang. Same returns as above.
 */
int vg_notify_stopping(struct vg_log *log);

#endif /* VGPIO_NOTIFY_H */
