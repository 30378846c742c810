/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's insides, shared by its life cycle (daemon.c) and its
 * control commands (commands.c). Nothing outside backend/daemon/ uses it.
 */
#ifndef VGPIO_DAEMON_PRIV_H
#define VGPIO_DAEMON_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include "ctl-peer.h"
#include "ctl.h"
#include "daemon.h"
#include "dom.h"

/* A domain's Xen device window in the policy now (its xen-device). */
struct vg_daemon_window {
	char name[VG_CONFIG_NAME_MAX + 1];
	struct vg_devspec spec; /* domid 0 */
};

/* Start-up stages, in order; teardown undoes every stage reached. */
enum vg_daemon_stage {
	VG_STAGE_NONE,
	VG_STAGE_EVLOOP, /* event loop created */
	VG_STAGE_SIGNALS, /* SIGTERM/SIGINT blocked, signalfd watched */
	VG_STAGE_SIM, /* sim chips, wires and pulls from the config */
	VG_STAGE_LINES, /* every domain's lines opened (maybe some) */
	VG_STAGE_EVENTS, /* provider event fd watched */
	VG_STAGE_TRANSPORTS, /* transports started (ntp of them) */
	VG_STAGE_CTL, /* control socket listening */
};

struct vg_daemon {
	enum vg_daemon_stage stage;
	const struct vg_config *cfg; /* the start-up policy */
	const char *cfg_path; /* re-read by `reload`; NULL: cannot reload */
	const struct vg_log_sink *sink;
	struct vg_log log;
	struct vg_log sim_log;
	unsigned int budget;
	struct vg_evloop *ev;
	int sigfd;
	sigset_t old_mask;
	struct vg_sim *sim;
	struct vg_provider sim_prov;
	/* The provider registry: sim first, then the caller's. */
	unsigned int nprov;
	struct vg_provider prov[VG_DAEMON_MAX_PROVIDERS];
	int prov_fd[VG_DAEMON_MAX_PROVIDERS]; /* watched event fds or -1 */
	struct vg_doms doms;
	/*
	 * The policy's Xen device windows by domain name, for the
	 * transports' window() hook: start-up's, then each applied one's.
	 */
	struct vg_daemon_window *win;
	unsigned int nwin;
	/* Started transports, in start order. */
	unsigned int ntp;
	struct {
		const struct vg_transport_class *cls;
		void *handle;
	} tp[VG_DAEMON_MAX_TRANSPORTS];
	struct vg_ctl *ctl;
	/* Guests served by workers (workers.c): the program and its user. */
	const char *worker_exe; /* NULL: guests served in this process */
	const char *worker_user;
	struct vg_worker *workers;
	bool work_pending; /* a guest has queue work left after its budget */
	bool stop;
};

/*
 * workers.c. For the loop transport's route hook: start a worker for
 * @domain's guest and hand the connection over (guest.h).
 */
int vg_workers_route(void *arg, const char *domain, int fd, const void *hello,
		     size_t len, const int *fds, unsigned int nfds,
		     char *reason, size_t reason_len);
/*
 * For the Xen transport's spawn hook (guest.h): start a worker serving
 * device window @conn of @domain with the transport options @wargs, and
 * wait (at most VG_WORKER_START_MS) until it says it serves it.
 */
int vg_workers_spawn(void *arg, void *conn, const char *domain,
		     const char *const *wargs, char *reason, size_t reason_len);
/*
 * The window @conn is gone: its worker is asked to stop (it releases what
 * it set up in Xen) and killed after VG_WORKER_STOP_MS. No-op for a @conn
 * no worker serves.
 */
void vg_workers_detach(struct vg_daemon *d, void *conn);
#define VG_WORKER_START_MS 20000
#define VG_WORKER_STOP_MS 5000u
/* True (and its pid) if a worker serves @domain's guest now. */
bool vg_workers_has(struct vg_daemon *d, const char *domain, long *pid);
/* After a policy change: every worker gets its domain's table. */
void vg_workers_tables(struct vg_daemon *d);
/*
 * Ask the worker serving @domain for its status over its control channel
 * (the JSON "status" command, ctl-peer.h): 0 and @done(@arg) is called
 * once, later, from the event loop (-ECANCELED when the worker ends
 * first), or -errno and it is never called: -ENOENT (no worker), -EPIPE
 * (its channel is gone), or what vg_ctl_peer_call() returns.
 */
int vg_workers_status(struct vg_daemon *d, const char *domain,
		      vg_ctl_peer_done_fn done, void *arg);
/*
 * Worker @pid of @domain reported these counters (its own, cumulative
 * over the guests it served). When it ends, the last ones reported are
 * added to the domain's counters (vg_dom.done), so status stays
 * cumulative across workers; what it counted after its last report is
 * lost with it.
 */
void vg_workers_note_counters(struct vg_daemon *d, const char *domain, long pid,
			      const struct vg_gpio_stats *st);
/* dom.h's before_commit: end workers whose lent lines must reopen. */
void vg_workers_before_commit(void *arg, const struct vg_config *cfg);
/* End every worker; their lines go back to their safe state. */
void vg_workers_stop(struct vg_daemon *d);
/*
 * How long a worker may take to answer its parent. A worker's event loop
 * answers at once; one that has not answered in this time is hung (or
 * stopped, or compromised), and vg_workers_hung() ends it (its lines go
 * back to their safe state) so that a `status` never waits on it longer.
 */
#define VG_WORKER_REPLY_MS 5000u
void vg_workers_hung(struct vg_daemon *d, const char *domain, long pid);

/*
 * The xen-device windows of @cfg, into a new array *@out of *@n (NULL
 * for none). 0 or -ENOMEM.
 */
int vg_daemon_windows(const struct vg_config *cfg,
		      struct vg_daemon_window **out, unsigned int *n);

/* The control commands the daemon serves, for vg_ctl_new(). */
extern const struct vg_ctl_cmd vg_daemon_cmds[];
extern const unsigned int vg_daemon_ncmds;

/*
 * Re-read the policy file and apply it (dom.h). 0 and @chg filled, or
 * -errno with @err saying why and nothing changed: where in the file for
 * a policy that does not parse; no file for one that cannot be applied
 * (the message names domain, chip and line) or when there is no file.
 */
int vg_daemon_reload_err(struct vg_daemon *d, struct vg_doms_change *chg,
			 struct vg_config_err *err);
/* As vg_daemon_reload_err(), the error as text into @err. */
int vg_daemon_reload(struct vg_daemon *d, struct vg_doms_change *chg, char *err,
		     size_t errlen);

#endif /* VGPIO_DAEMON_PRIV_H */
