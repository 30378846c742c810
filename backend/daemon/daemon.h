/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vgpiod daemon as an object: configuration, simulated chips, each
 * domain's opened lines and ACL, the transports that serve guests, the
 * control socket and the event loop that runs them. main() parses options and creates
 * one; tests create them in-process (with signals off).
 *
 * Start-up runs in named stages (event loop, signals, sim chips, lines,
 * provider events, transports, control socket); a failure logs what
 * failed (for lines: domain, chip and line) and unwinds from the stage
 * reached. Every line of every domain is opened at start-up, exclusively,
 * with consumer "vgpio:<domain>", in its safe state (dom.h).
 *
 * The control command `reload` and SIGHUP re-read the policy file and
 * apply it as dom.h describes (revocations at once, additions at each
 * guest's next device reset); a policy that cannot be applied changes
 * nothing. Sim chips are fixed at start.
 *
 * Work model: after each event-loop batch every connected guest with
 * pending queue work gets vg_gpio_run(budget); while any guest still has
 * work, the next wait does not block; otherwise it blocks until an fd is
 * ready. Nothing polls.
 */
#ifndef VGPIO_DAEMON_H
#define VGPIO_DAEMON_H

#include <stdbool.h>
#include "config.h"
#include "guest.h"
#include "log.h"

#define VG_DAEMON_BUDGET_DEFAULT 128u
#define VG_DAEMON_LOOP_SOCKET "/run/vgpio/loop.sock"
#define VG_DAEMON_CONTROL_SOCKET "/run/vgpio/control.sock"

struct vg_daemon;
struct vg_evloop;
struct vg_sim;

/* A transport the daemon runs: its class (guest.h) and configuration. */
struct vg_daemon_transport {
	const struct vg_transport_class *cls;
	const void *cfg; /* the class's own struct; borrowed until _free */
};

/* Transports one daemon runs at most; providers, the sim one included. */
#define VG_DAEMON_MAX_TRANSPORTS 8u
#define VG_DAEMON_MAX_PROVIDERS 8u

struct vg_daemon_params {
	const struct vg_config *cfg; /* start-up policy; borrowed for _new */
	/* Policy file `reload` and SIGHUP re-read; NULL: reload refused. */
	const char *cfg_path;
	/*
	 * Line providers besides the sim provider the daemon builds from
	 * the policy (which comes first), in the order their claims() are
	 * asked (vgpio/provider.h); borrowed, they outlive the daemon. None:
	 * only sim chips.
	 */
	const struct vg_provider *providers;
	unsigned int nproviders;
	const struct vg_log_sink *sink; /* borrowed; required */
	const char *ctl_path; /* control socket; NULL: none (a worker) */
	unsigned int budget; /* chains per guest per turn; 0 = default */
	/*
	 * Handle SIGTERM and SIGINT through a signalfd (they are blocked
	 * while the daemon exists): either ends vg_daemon_run().
	 */
	bool signals;
	/*
	 * The transports, each optional (none is fine: the daemon then only
	 * holds lines), started in this order after the lines are open and
	 * stopped in reverse; borrowed until vg_daemon_free().
	 */
	const struct vg_daemon_transport *transports;
	unsigned int ntransports;
	/*
	 * Serve each guest in a worker process (docs/architecture.md,
	 * "Parent and workers"): the program to start as one (vgpiod
	 * itself; borrowed), or NULL to serve guests in this process. With
	 * @worker_user "UID:GID" the workers run as that user.
	 */
	const char *worker_exe;
	const char *worker_user;
	/* A worker: its lines are lent by its parent (dom.h, lent). */
	bool lines_lent;
};

/* Start every stage. 0 or -errno (logged). Sockets listen on return. */
int vg_daemon_new(const struct vg_daemon_params *p, struct vg_daemon **out);

/*
 * One turn: wait for events (up to @timeout_ms, or not at all while guest
 * work is pending), dispatch them, then give each guest its budget.
 * Returns the number of callbacks run (0 on timeout) or -errno.
 */
int vg_daemon_turn(struct vg_daemon *d, int timeout_ms);

/* Turn until a signal or vg_daemon_stop(). 0, or -errno on loop failure. */
int vg_daemon_run(struct vg_daemon *d);
void vg_daemon_stop(struct vg_daemon *d);

/*
 * Serve the control commands on @fd, a connected stream socket (a
 * worker's channel to its parent); its hang-up stops the daemon. 0, or
 * -errno and @fd is still the caller's.
 */
int vg_daemon_ctl_adopt(struct vg_daemon *d, int fd);

/*
 * Apply policy @cfg (borrowed for the call) as `reload` does (dom.h):
 * 0 and @chg filled, or -errno with @err saying why and nothing changed.
 * Workers get their domains' new tables.
 */
struct vg_doms_change;
int vg_daemon_apply(struct vg_daemon *d, const struct vg_config *cfg,
		    struct vg_doms_change *chg, char *err, size_t errlen);

/* The daemon's event loop, to watch more fds (a worker's table socket). */
struct vg_evloop *vg_daemon_evloop(struct vg_daemon *d);

/* The daemon's simulated chips (for tests that play the hardware). */
struct vg_sim *vg_daemon_sim(struct vg_daemon *d);

/*
 * Shut down: disconnect every guest, put every line into its safe state,
 * release the lines, remove the sockets, free. NULL is fine.
 */
void vg_daemon_free(struct vg_daemon *d);

#endif /* VGPIO_DAEMON_H */
