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
#include "dom.h"
#include "evloop.h"
#include "gpio.h"
#include "loop.h"
#include "mmio.h"
#include "sim.h"

/* Start-up stages, in order; teardown undoes every stage reached. */
enum vg_daemon_stage {
	VG_STAGE_NONE,
	VG_STAGE_EVLOOP, /* event loop created */
	VG_STAGE_SIGNALS, /* SIGTERM/SIGINT blocked, signalfd watched */
	VG_STAGE_SIM, /* sim chips, wires and pulls from the config */
	VG_STAGE_LINES, /* every domain's lines opened (maybe some) */
	VG_STAGE_EVENTS, /* provider event fd watched */
	VG_STAGE_LOOP, /* loop transport listening */
	VG_STAGE_EXTRA, /* the extra transport (Xen) started, if any */
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
	const struct vg_provider *host; /* borrowed; may be NULL */
	int prov_fd[2]; /* sim, host: watched event fds or -1 */
	struct vg_doms doms;
	struct vg_loop *loop;
	const struct vg_daemon_transport *extra;
	void *extra_handle;
	struct vg_ctl *ctl;
	bool work_pending; /* a guest has queue work left after its budget */
	bool stop;
};

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

static void sim_event(void *arg, uint32_t events)
{
	struct vg_daemon *d = arg;

	(void)events;
	d->sim_prov.ops->dispatch(d->sim_prov.ctx);
}

static void host_event(void *arg, uint32_t events)
{
	struct vg_daemon *d = arg;

	(void)events;
	d->host->ops->dispatch(d->host->ctx);
}

/* Watch the providers' event fds. */
static int watch_providers(struct vg_daemon *d)
{
	const struct vg_provider *p[2] = {&d->sim_prov, d->host};
	void (*fn[2])(void *, uint32_t) = {sim_event, host_event};
	unsigned int i;
	int fd, rc;

	for (i = 0; i < 2; i++) {
		fd = p[i] ? p[i]->ops->fd(p[i]->ctx) : -1;
		if (fd < 0)
			continue;
		rc = vg_evloop_add(d->ev, fd, EPOLLIN, fn[i], d);
		if (rc) {
			vg_log_warnx(&d->log, "%s provider events: %s",
				     p[i]->ops->name, strerror(-rc));
			return rc;
		}
		d->prov_fd[i] = fd;
	}
	return 0;
}

/* --- guests (loop transport hooks) ---------------------------------------- */

static int guest_attach(void *arg, void *conn, const char *domain,
			const struct vg_bus *bus, struct vg_mmio **mmio,
			char *reason, size_t reason_len)
{
	struct vg_daemon *d = arg;
	struct vg_dom *dom = vg_doms_find(&d->doms, domain);
	struct vg_gpio_params gp;
	int rc;

	if (!dom) {
		snprintf(reason, reason_len, "unknown domain '%s'", domain);
		return ENOENT;
	}
	if (!vg_dom_acl(dom)->n) {
		snprintf(reason, reason_len,
			 "domain '%s' has no lines assigned", domain);
		return ENOENT;
	}
	if (dom->gpio) {
		snprintf(reason, reason_len, "domain '%s' already connected",
			 domain);
		return EBUSY;
	}
	gp = (struct vg_gpio_params){
		.acl = vg_dom_acl(dom),
		.bus = *bus,
		.log = &dom->log,
		.reset_hook = vg_dom_reset_hook,
		.reset_arg = dom,
	};
	rc = vg_gpio_new(&gp, &dom->gpio);
	if (rc) {
		dom->gpio = NULL;
		snprintf(reason, reason_len, "cannot create device: %s",
			 strerror(-rc));
		return -rc;
	}
	vg_mmio_init(&dom->mmio, vg_gpio_vdev(dom->gpio), &dom->log);
	dom->conn = conn;
	*mmio = &dom->mmio;
	return 0;
}

static void stats_add(struct vg_gpio_stats *to, const struct vg_gpio_stats *s)
{
	to->requests += s->requests;
	to->errors += s->errors;
	to->events += s->events;
	to->invalid += s->invalid;
	to->resets += s->resets;
	to->broken += s->broken;
}

static void guest_detach(void *arg, void *conn)
{
	struct vg_daemon *d = arg;
	struct vg_gpio_stats st;
	unsigned int i;

	for (i = 0; i < d->doms.n; i++) {
		struct vg_dom *dom = d->doms.v[i];

		if (dom->conn != conn)
			continue;
		vg_gpio_get_stats(dom->gpio, &st);
		stats_add(&dom->done, &st);
		/* Lines back to their safe state while RAM is still mapped. */
		vg_gpio_free(dom->gpio);
		dom->gpio = NULL;
		dom->conn = NULL;
		memset(&dom->mmio, 0, sizeof(dom->mmio));
		vg_dom_detached(dom);
		return;
	}
}

static const struct vg_guest_hooks guest_hooks = {
	.attach = guest_attach,
	.detach = guest_detach,
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

/* --- control commands ----------------------------------------------------- */

static const char *dir_str(unsigned int dir)
{
	switch (dir) {
	case VG_GPIO_DIRECTION_IN:
		return "in";
	case VG_GPIO_DIRECTION_OUT:
		return "out";
	default:
		return "none";
	}
}

static void status_dom(struct vg_ctl_client *cl, struct vg_dom *dom)
{
	const struct vg_acl *acl = vg_dom_acl(dom);
	struct vg_gpio_stats st = dom->done, cur;
	unsigned int i;

	if (dom->gpio) {
		vg_gpio_get_stats(dom->gpio, &cur);
		stats_add(&st, &cur);
	}
	vg_ctl_reply(
		cl,
		"domain %s connected %s requests %llu errors %llu "
		"events %llu invalid %llu resets %llu broken %llu lines %u "
		"pending %s",
		dom->name, dom->gpio ? "yes" : "no",
		(unsigned long long)st.requests, (unsigned long long)st.errors,
		(unsigned long long)st.events, (unsigned long long)st.invalid,
		(unsigned long long)st.resets, (unsigned long long)st.broken,
		acl->n, vg_dom_pending(dom) ? "yes" : "no");
	for (i = 0; i < acl->n; i++) {
		const struct vg_acl_line *al = &acl->lines[i];
		const char *chip, *line;
		char allow[32], value[16] = "";
		unsigned int dir = VG_GPIO_DIRECTION_NONE;
		int v;

		vg_dom_line_host(dom, i, &chip, &line);
		if (dom->gpio)
			dir = vg_gpio_line_direction(dom->gpio, i);
		if (al->line &&
		    !al->prov.ops->get_value(al->prov.ctx, al->line, &v))
			snprintf(value, sizeof(value), " value %d", v);
		vg_ctl_reply(cl,
			     "  line %u name %s host %s:%s allow %s dir %s "
			     "revoked %s%s",
			     i, al->name[0] ? al->name : "-", chip, line,
			     vg_acl_allow_str(al->allow, allow, sizeof(allow)),
			     dir_str(dir), al->revoked ? "yes" : "no", value);
	}
}

static int cmd_status(void *arg, struct vg_ctl_client *cl, int argc,
		      char **argv)
{
	struct vg_daemon *d = arg;
	unsigned int i;

	(void)argc;
	(void)argv;
	const char *chip, *line;
	int v;

	for (i = 0; i < d->doms.n; i++)
		status_dom(cl, d->doms.v[i]);
	for (i = 0; i < d->doms.nparked; i++) {
		vg_doms_parked(&d->doms, i, &chip, &line, &v);
		vg_ctl_reply(cl, "parked host %s:%s value %d", chip, line, v);
	}
	return 0;
}

/* Re-read the policy file and apply it (see dom.h). */
static int reload(struct vg_daemon *d, struct vg_doms_change *chg, char *err,
		  size_t errlen)
{
	struct vg_config *cfg;
	int rc;

	if (!d->cfg_path) {
		snprintf(err, errlen,
			 "no policy file to reload (started with the built-in "
			 "demo policy)");
		return -EINVAL;
	}
	rc = vg_config_load(d->cfg_path, &cfg, err, errlen);
	if (rc)
		return rc;
	rc = vg_doms_apply(&d->doms, cfg, chg, err, errlen);
	vg_config_free(cfg);
	if (rc)
		return rc;
	vg_log_info(&d->log,
		    "policy %s reloaded: %u line(s) added, %u revoked, %u "
		    "domain(s) change at their next reset, %u failed",
		    d->cfg_path, chg->added, chg->revoked, chg->deferred,
		    chg->failed);
	return 0;
}

static int cmd_reload(void *arg, struct vg_ctl_client *cl, int argc,
		      char **argv)
{
	struct vg_daemon *d = arg;
	struct vg_doms_change chg;
	char err[512];

	(void)argc;
	(void)argv;
	if (reload(d, &chg, err, sizeof(err)))
		return vg_ctl_fail(cl, "policy not applied: %s", err);
	vg_ctl_reply(cl, "added %u revoked %u deferred %u failed %u", chg.added,
		     chg.revoked, chg.deferred, chg.failed);
	if (chg.failed)
		return vg_ctl_fail(cl,
				   "%u moved line(s) could not be reopened "
				   "(see the daemon log)",
				   chg.failed);
	return 0;
}

static int cmd_sim_get(void *arg, struct vg_ctl_client *cl, int argc,
		       char **argv)
{
	struct vg_daemon *d = arg;
	struct vg_sim_line_state st;
	int rc;

	(void)argc;
	rc = vg_sim_get(d->sim, argv[0], argv[1], &st);
	if (rc)
		return vg_ctl_fail(cl, "no sim line %s %s: %s", argv[0],
				   argv[1], strerror(-rc));
	vg_ctl_reply(cl, "value %d output %d pull %d requested %d", st.value,
		     st.output, st.pull, st.requested);
	return 0;
}

static int cmd_sim_set(void *arg, struct vg_ctl_client *cl, int argc,
		       char **argv)
{
	struct vg_daemon *d = arg;
	int rc, v;

	(void)argc;
	if (strcmp(argv[2], "0") && strcmp(argv[2], "1"))
		return vg_ctl_fail(cl, "value must be 0 or 1, not '%s'",
				   argv[2]);
	v = argv[2][0] - '0';
	rc = vg_sim_set_pull(d->sim, argv[0], argv[1], v);
	if (rc)
		return vg_ctl_fail(cl, "no sim line %s %s: %s", argv[0],
				   argv[1], strerror(-rc));
	return 0;
}

static const struct vg_ctl_cmd ctl_cmds[] = {
	{"status", "", 0, "domains, counters and lines", cmd_status},
	{"reload", "", 0,
	 "re-read the policy file: revocations apply at once, additions at "
	 "each guest's next device reset",
	 cmd_reload},
	{"sim get", "CHIP LINE", 2, "read a simulated line", cmd_sim_get},
	{"sim set", "CHIP LINE 0|1", 3,
	 "set a simulated line's pull (an external input)", cmd_sim_set},
};

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
			if (reload(d, &chg, err, sizeof(err)))
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

static void teardown(struct vg_daemon *d)
{
	if (d->stage >= VG_STAGE_CTL)
		vg_ctl_free(d->ctl);
	/* Guests go first: their devices put lines into the safe state. */
	if (d->stage >= VG_STAGE_EXTRA && d->extra)
		d->extra->stop(d->extra_handle);
	if (d->stage >= VG_STAGE_LOOP)
		vg_loop_free(d->loop);
	if (d->stage >= VG_STAGE_EVENTS) {
		if (d->prov_fd[0] >= 0)
			vg_evloop_del(d->ev, d->prov_fd[0]);
		if (d->prov_fd[1] >= 0)
			vg_evloop_del(d->ev, d->prov_fd[1]);
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

	d->stage = VG_STAGE_LINES;
	dp = (struct vg_doms_params){
		.sim = d->sim,
		.host = d->host,
		.sink = d->sink,
		.log = &d->log,
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

	rc = vg_loop_new(d->ev, p->loop_path, &guest_hooks, d, &d->log,
			 &d->loop);
	if (rc)
		return rc;
	d->stage = VG_STAGE_LOOP;

	if (p->extra) {
		rc = p->extra->start(p->extra->cfg, d->ev, &guest_hooks, d,
				     d->sink, &d->extra_handle);
		if (rc)
			return rc;
		d->extra = p->extra;
	}
	d->stage = VG_STAGE_EXTRA;

	rc = vg_ctl_new(d->ev, p->ctl_path, ctl_cmds, VG_ARRAY_SIZE(ctl_cmds),
			d, &d->log, &d->ctl);
	if (rc)
		return rc;
	d->stage = VG_STAGE_CTL;
	return 0;
}

int vg_daemon_new(const struct vg_daemon_params *p, struct vg_daemon **out)
{
	struct vg_daemon *d;
	int rc;

	if (!p->cfg || !p->sink || !p->loop_path || !p->ctl_path)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = p->cfg;
	d->sink = p->sink;
	d->budget = p->budget ? p->budget : VG_DAEMON_BUDGET_DEFAULT;
	d->cfg_path = p->cfg_path;
	d->host = p->host;
	d->sigfd = -1;
	d->prov_fd[0] = d->prov_fd[1] = -1;
	vg_log_init(&d->log, p->sink, "vgpiod");
	rc = start(d, p);
	if (rc) {
		teardown(d);
		free(d);
		return rc;
	}
	vg_log_info(&d->log, "listening on %s (control %s), %u domain(s)",
		    p->loop_path, p->ctl_path, d->doms.n);
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
	free(d);
}
