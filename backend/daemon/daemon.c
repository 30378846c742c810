// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "acl.h"
#include "ctl.h"
#include "daemon.h"
#include "daemon-priv.h"
#include "dom.h"
#include "evloop.h"
#include "gpio.h"
#include "mmio.h"
#include "sim.h"

/* --- sim chips ------------------------------------------------------------ */

static int build_sim(struct vg_daemon *d)
{
	unsigned int i, j;
	int rc;

	vg_log_init(&d->sim_log, d->sink, "sim");
	rc = vg_sim_new(&d->sim_log, &d->sim);
	if (rc) {
		vg_log_warnx(&d->log, "cannot create sim: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < d->cfg->nsims; i++) {
		const struct vg_config_sim *s = &d->cfg->sims[i];

		rc = vg_sim_add_chip(d->sim, s->name, s->nlines,
				     (const char *const *)s->names);
		if (rc) {
			vg_log_warnx(&d->log, "sim chip %s: %s", s->name,
				     strerror(-rc));
			return rc;
		}
	}
	/* Wires and pulls may name chips declared later: all chips first. */
	for (i = 0; i < d->cfg->nsims; i++) {
		const struct vg_config_sim *s = &d->cfg->sims[i];

		for (j = 0; j < s->nwires; j++) {
			const struct vg_config_wire *w = &s->wires[j];
			const char *oc = w->out_chip ? w->out_chip : s->name;
			const char *ic = w->in_chip ? w->in_chip : s->name;

			rc = vg_sim_wire(d->sim, oc, w->out_line, ic,
					 w->in_line);
			if (rc) {
				vg_log_warnx(&d->log,
					     "sim wire %s:%s -> %s:%s: %s", oc,
					     w->out_line, ic, w->in_line,
					     strerror(-rc));
				return rc;
			}
		}
		for (j = 0; j < s->npulls; j++) {
			rc = vg_sim_set_pull(d->sim, s->name, s->pulls[j].line,
					     s->pulls[j].value);
			if (rc) {
				vg_log_warnx(&d->log, "sim pull %s:%s: %s",
					     s->name, s->pulls[j].line,
					     strerror(-rc));
				return rc;
			}
		}
	}
	d->sim_prov = vg_sim_provider(d->sim);
	return 0;
}

static void provider_event(void *arg, uint32_t events)
{
	const struct vg_provider *p = arg;

	(void)events;
	p->ops->dispatch(p->ctx);
}

/*
 * The registry: the sim provider (built from the policy) first, then the
 * caller's in their order.
 */
static void register_providers(struct vg_daemon *d,
			       const struct vg_daemon_params *p)
{
	unsigned int i;

	d->prov[d->nprov++] = d->sim_prov;
	for (i = 0; i < p->nproviders; i++)
		d->prov[d->nprov++] = p->providers[i];
}

/* Every provider's event fd is watched alike. */
static int watch_providers(struct vg_daemon *d)
{
	unsigned int i;
	int fd, rc;

	for (i = 0; i < d->nprov; i++) {
		fd = d->prov[i].ops->fd(d->prov[i].ctx);
		if (fd < 0)
			continue;
		rc = vg_evloop_add(d->ev, fd, EPOLLIN, provider_event,
				   &d->prov[i]);
		if (rc) {
			vg_log_warnx(&d->log, "%s provider events: %s",
				     d->prov[i].ops->name, strerror(-rc));
			return rc;
		}
		d->prov_fd[i] = fd;
	}
	return 0;
}

/* --- guests (every transport's hooks) ------------------------------------ */

static int guest_attach(void *arg, void *conn, const char *domain,
			const struct vg_bus *bus,
			const struct vg_guest_info *info, struct vg_mmio **mmio,
			char *reason, size_t reason_len)
{
	struct vg_daemon *d = arg;
	struct vg_dom *dom = vg_doms_find(&d->doms, domain);

	if (!dom) {
		snprintf(reason, reason_len, "unknown domain '%s'", domain);
		return ENOENT;
	}
	return vg_dom_attach(dom, conn, bus, info, mmio, reason, reason_len);
}

static void guest_detach(void *arg, void *conn)
{
	struct vg_daemon *d = arg;
	struct vg_dom *dom = vg_doms_find_conn(&d->doms, conn);

	if (dom)
		vg_dom_detach(dom);
	else if (d->worker_exe)
		vg_workers_detach(d, conn);
}

int vg_daemon_windows(const struct vg_config *cfg,
		      struct vg_daemon_window **out, unsigned int *n)
{
	unsigned int i, k = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < cfg->ndomains; i++)
		k += cfg->domains[i].has_xen_device;
	if (!k)
		return 0;
	*out = calloc(k, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < cfg->ndomains; i++) {
		const struct vg_config_domain *cd = &cfg->domains[i];

		if (!cd->has_xen_device)
			continue;
		snprintf((*out)[*n].name, sizeof((*out)[*n].name), "%s",
			 cd->name);
		(*out)[(*n)++].spec = cd->xen_device;
	}
	return 0;
}

/* The policy's window for domain @domain now (guest.h, window()). */
static int guest_window(void *arg, const char *domain, struct vg_devspec *out)
{
	struct vg_daemon *d = arg;
	unsigned int i;

	for (i = 0; i < d->nwin; i++) {
		if (!strcmp(d->win[i].name, domain)) {
			*out = d->win[i].spec;
			return 1;
		}
	}
	return 0;
}

static const struct vg_guest_hooks guest_hooks = {
	.attach = guest_attach,
	.detach = guest_detach,
	.window = guest_window,
};

/* Guests go to workers: loop connections handed over, Xen windows spawned. */
static const struct vg_guest_hooks worker_hooks = {
	.attach = guest_attach,
	.detach = guest_detach,
	.route = vg_workers_route,
	.spawn = vg_workers_spawn,
	.window = guest_window,
};

/* Give every guest with queue work its budget; true if any has more. */
static bool run_guests(struct vg_daemon *d)
{
	bool more = false;
	unsigned int i;

	for (i = 0; i < d->doms.n; i++) {
		struct vg_gpio *g = d->doms.v[i]->gpio;

		if (!g || !vg_gpio_pending(g))
			continue;
		vg_gpio_run(g, d->budget);
		more |= vg_gpio_pending(g);
	}
	return more;
}

/* --- signals -------------------------------------------------------------- */

static void signal_event(void *arg, uint32_t events)
{
	struct vg_daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	struct vg_doms_change chg;
	char err[512];

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (vg_daemon_reload(d, &chg, err, sizeof(err)))
				vg_log_warnx(&d->log,
					     "SIGHUP: policy not "
					     "applied: %s",
					     err);
			continue;
		}
		vg_log_info(&d->log, "signal %u, shutting down", si.ssi_signo);
		d->stop = true;
	}
}

static int setup_signals(struct vg_daemon *d)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &d->old_mask) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0) {
		rc = -errno;
		sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
		return rc;
	}
	rc = vg_evloop_add(d->ev, d->sigfd, EPOLLIN, signal_event, d);
	if (rc) {
		close(d->sigfd);
		d->sigfd = -1;
		sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
	}
	return rc;
}

/* --- life cycle ----------------------------------------------------------- */

static int start_transports(struct vg_daemon *d,
			    const struct vg_daemon_params *p)
{
	const struct vg_transport_env env = {
		.ev = d->ev,
		.hooks = d->worker_exe ? &worker_hooks : &guest_hooks,
		.hooks_arg = d,
		.sink = d->sink,
	};
	unsigned int i;
	int rc;

	for (i = 0; i < p->ntransports; i++) {
		const struct vg_daemon_transport *t = &p->transports[i];

		rc = t->cls->start(t->cfg, &env, &d->tp[d->ntp].handle);
		if (rc) {
			vg_log_warnx(&d->log, "transport %s: %s", t->cls->name,
				     strerror(-rc));
			return rc;
		}
		d->tp[d->ntp++].cls = t->cls;
	}
	return 0;
}

static void teardown(struct vg_daemon *d)
{
	unsigned int i;

	if (d->stage >= VG_STAGE_CTL)
		vg_ctl_free(d->ctl);
	vg_workers_stop(d);
	/* Guests go first: their devices put lines into the safe state. */
	while (d->ntp) {
		d->ntp--;
		d->tp[d->ntp].cls->stop(d->tp[d->ntp].handle);
	}
	if (d->stage >= VG_STAGE_EVENTS) {
		for (i = 0; i < d->nprov; i++)
			if (d->prov_fd[i] >= 0)
				vg_evloop_del(d->ev, d->prov_fd[i]);
	}
	if (d->stage >= VG_STAGE_LINES)
		vg_doms_dispose(&d->doms);
	if (d->stage >= VG_STAGE_SIM)
		vg_sim_free(d->sim);
	if (d->stage >= VG_STAGE_SIGNALS && d->sigfd >= 0) {
		vg_evloop_del(d->ev, d->sigfd);
		close(d->sigfd);
		sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
	}
	if (d->stage >= VG_STAGE_EVLOOP)
		vg_evloop_free(d->ev);
	d->stage = VG_STAGE_NONE;
}

static int start(struct vg_daemon *d, const struct vg_daemon_params *p)
{
	struct vg_doms_params dp;
	char err[512];
	int rc;

	rc = vg_evloop_new(&d->ev);
	if (rc)
		return rc;
	d->stage = VG_STAGE_EVLOOP;

	if (p->signals) {
		rc = setup_signals(d);
		if (rc) {
			vg_log_warnx(&d->log, "signals: %s", strerror(-rc));
			return rc;
		}
	}
	d->stage = VG_STAGE_SIGNALS;

	/* build_sim and open_lines log what failed; the stage still counts. */
	d->stage = VG_STAGE_SIM;
	rc = build_sim(d);
	if (rc)
		return rc;
	register_providers(d, p);

	d->stage = VG_STAGE_LINES;
	dp = (struct vg_doms_params){
		.prov = d->prov,
		.nprov = d->nprov,
		.sink = d->sink,
		.log = &d->log,
		.lent = p->lines_lent,
		.before_commit =
			p->worker_exe ? vg_workers_before_commit : NULL,
		.arg = d,
	};
	vg_doms_init(&d->doms, &dp);
	rc = vg_doms_apply(&d->doms, d->cfg, NULL, err, sizeof(err));
	if (rc) {
		vg_log_warnx(&d->log, "%s", err);
		return rc;
	}

	d->stage = VG_STAGE_EVENTS;
	rc = watch_providers(d);
	if (rc)
		return rc;

	d->stage = VG_STAGE_TRANSPORTS;
	rc = vg_daemon_windows(d->cfg, &d->win, &d->nwin);
	if (rc)
		return rc;
	rc = start_transports(d, p);
	if (rc)
		return rc;

	rc = vg_ctl_new(d->ev, p->ctl_path, vg_daemon_cmds, vg_daemon_ncmds, d,
			&d->log, &d->ctl);
	if (rc)
		return rc;
	d->stage = VG_STAGE_CTL;
	return 0;
}

int vg_daemon_new(const struct vg_daemon_params *p, struct vg_daemon **out)
{
	struct vg_daemon *d;
	unsigned int i;
	int rc;

	if (!p->cfg || !p->sink || p->ntransports > VG_DAEMON_MAX_TRANSPORTS ||
	    (p->ntransports && !p->transports))
		return -EINVAL;
	for (i = 0; i < p->ntransports; i++)
		if (!vg_transport_class_valid(p->transports[i].cls))
			return -EINVAL;
	if (p->nproviders >= VG_DAEMON_MAX_PROVIDERS ||
	    (p->nproviders && !p->providers))
		return -EINVAL;
	for (i = 0; i < p->nproviders; i++)
		if (!vg_provider_ops_valid(p->providers[i].ops))
			return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = p->cfg;
	d->sink = p->sink;
	d->budget = p->budget ? p->budget : VG_DAEMON_BUDGET_DEFAULT;
	d->cfg_path = p->cfg_path;
	d->worker_exe = p->worker_exe;
	d->worker_user = p->worker_user;
	d->sigfd = -1;
	for (i = 0; i < VG_DAEMON_MAX_PROVIDERS; i++)
		d->prov_fd[i] = -1;
	vg_log_init(&d->log, p->sink, "vgpiod");
	rc = start(d, p);
	if (rc) {
		teardown(d);
		free(d->win);
		free(d);
		return rc;
	}
	vg_log_info(&d->log,
		    "control socket %s, %u domain(s), %u transport(s)%s",
		    p->ctl_path ? p->ctl_path : "(none)", d->doms.n, d->ntp,
		    d->worker_exe ? ", a worker per guest" : "");
	*out = d;
	return 0;
}

int vg_daemon_turn(struct vg_daemon *d, int timeout_ms)
{
	int rc;

	rc = vg_evloop_run_once(d->ev, d->work_pending ? 0 : timeout_ms);
	if (rc < 0)
		return rc;
	d->work_pending = run_guests(d);
	return rc;
}

int vg_daemon_run(struct vg_daemon *d)
{
	int rc;

	while (!d->stop) {
		rc = vg_daemon_turn(d, -1);
		if (rc < 0) {
			errno = -rc;
			vg_log_warn(&d->log, "event loop");
			return rc;
		}
	}
	return 0;
}

void vg_daemon_stop(struct vg_daemon *d)
{
	d->stop = true;
}

static void ctl_gone(void *arg)
{
	vg_daemon_stop(arg);
}

int vg_daemon_ctl_adopt(struct vg_daemon *d, int fd)
{
	return vg_ctl_adopt(d->ctl, fd, ctl_gone, d);
}

struct vg_evloop *vg_daemon_evloop(struct vg_daemon *d)
{
	return d->ev;
}

struct vg_sim *vg_daemon_sim(struct vg_daemon *d)
{
	return d->sim;
}

void vg_daemon_free(struct vg_daemon *d)
{
	if (!d)
		return;
	teardown(d);
	vg_log_info(&d->log, "stopped; lines left in their safe state");
	free(d->win);
	free(d);
}
