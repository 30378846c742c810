/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vgpiod in worker mode: serves one guest of one domain for its parent
 * (docs/architecture.md, "Parent and workers"). The parent starts it as
 *
 *   vgpiod --worker --domain NAME [--budget N] [-v] [--user UID:GID]
 *          [--remote-chip SIM]...
 *          [--xen-device SPEC [--xen-devid N] [--xen-discovered]]
 *
 * with fd 3 the control protocol (a stream socket: the worker serves its
 * commands there, and ends when the parent hangs up), fd 4 the remote
 * lines (sim chips named by --remote-chip), fd 5 the guest hand-over
 * socket (loop.h) and fd 6 the table socket (table.h: its domain's table
 * and the request fds of its real lines; later tables are policy
 * changes).
 * The worker builds its daemon on these, enters its sandbox
 * (sandbox.h) before it reads anything a guest sent, and serves the
 * domain's guests handed to it, one at a time, until the parent asks it
 * to stop or goes.
 *
 * With --xen-device it serves one Xen device window of the domain instead
 * of loop guests, with the one-guest Xen class (xen.h, vg_xen_one_class):
 * SPEC is the window in vgpiod's --device syntax, --xen-devid its
 * xenstore devid (0..65535, default 0) and --xen-discovered says libxl
 * made it (status then says "connected", not "manual"). Building its
 * daemon opens its own Xen handles and restricts them to the guest (a
 * failure, or a handle that still reaches another domain, is a start-up
 * failure). fd 5 then carries no guest: it is the worker's lifeline. Once
 * its sandbox is on, the worker sends one packet, the byte 'R', on it:
 * it serves the window (the parent waits for this before it tells the
 * toolstack). When the parent hangs it up, or goes, the worker stops and
 * tears its window down in Xen (its IOREQ server destroyed).
 *
 * Exit status: 0 when the parent asked or went, 1 when
 * start-up failed, 2 for bad arguments.
 */
#ifndef VGPIO_WORKER_H
#define VGPIO_WORKER_H

#define VG_WORKER_ARG "--worker" /* argv[1] of a worker */
/* The workers' user when vgpiod is not given one (vgpiod(8)). */
#define VG_WORKER_USER_DEFAULT "vgpio"

#include <sys/types.h>

/* "UID:GID", decimal, neither 0. 0 or -EINVAL. */
int vg_worker_parse_user(const char *s, uid_t *uid, gid_t *gid);

/* The worker's main(). */
int vg_worker_main(int argc, char **argv);

#endif /* VGPIO_WORKER_H */
