// SPDX-License-Identifier: BSD-3-Clause
/*
 * The daemon's control commands (ctl.h) and policy reload. Each command
 * writes its result as JSON, the schema docs/vgpiod.8.md documents; the
 * text protocol's lines are made from that result, never gathered twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "acl.h"
#include "ctl.h"
#include "daemon-priv.h"
#include "dom.h"
#include "gpio.h"
#include "sim.h"
#include "wstatus.h"

/* --- status --------------------------------------------------------------- */

/* The parent's own view of @dom (wstatus.h). 0 or -ENOMEM. */
static int own_view(struct vg_dom *dom, struct vg_status_dom *v)
{
	const struct vg_acl *acl = vg_dom_acl(dom);
	const char *chip, *line;
	unsigned int i;
	int val;

	memset(v, 0, sizeof(*v));
	v->connected = dom->gpio != NULL;
	v->pending = vg_dom_pending(dom);
	vg_dom_stats(dom, &v->st);
	if (!acl->n)
		return 0;
	v->lines = calloc(acl->n, sizeof(*v->lines));
	if (!v->lines)
		return -ENOMEM;
	v->nlines = acl->n;
	for (i = 0; i < acl->n; i++) {
		const struct vg_acl_line *al = &acl->lines[i];
		struct vg_status_line *l = &v->lines[i];

		vg_dom_line_host(dom, i, &chip, &line);
		snprintf(l->name, sizeof(l->name), "%s", al->name);
		snprintf(l->chip, sizeof(l->chip), "%s", chip);
		snprintf(l->line, sizeof(l->line), "%s", line);
		l->allow = al->allow;
		l->dir = dom->gpio ? vg_gpio_line_direction(dom->gpio, i)
				   : VG_GPIO_DIRECTION_NONE;
		l->revoked = al->revoked;
		l->value = -1;
		if (al->line &&
		    !al->prov.ops->get_value(al->prov.ctx, al->line, &val))
			l->value = val != 0;
	}
	return 0;
}

/* Out of memory: the writer fails, so does the command ("internal"). */
static void jw_nomem(struct vg_jw *w)
{
	if (!w->rc)
		w->rc = -ENOMEM;
}

/*
 * A status being gathered from the workers (docs/vgpiod.8.md, WORKER
 * PROCESSES): one slot per worker asked, answered once every slot has
 * its reply or its failure.
 */
struct status_gather;

struct status_slot {
	struct status_gather *g;
	char domain[VG_CONFIG_NAME_MAX + 1];
	long pid;
	bool asking; /* its call is on its way */
	bool ok; /* @view is the worker's, checked */
	struct vg_status_dom view;
	char why[VG_WSTATUS_WHY_MAX]; /* not ok: for "worker_error" */
};

struct status_gather {
	struct vg_daemon *d;
	struct vg_ctl_defer *defer; /* NULL: nobody to answer */
	int tfd; /* timerfd: the workers' time to answer, or -1 */
	unsigned int waiting; /* calls on their way */
	unsigned int n;
	struct status_slot slot[];
};

static struct status_slot *gather_slot(struct status_gather *g,
				       const char *domain)
{
	unsigned int i;

	for (i = 0; g && i < g->n; i++)
		if (!strcmp(g->slot[i].domain, domain))
			return &g->slot[i];
	return NULL;
}

/*
 * Domain @dom's entry: the view of the worker serving it, if one answered
 * and still serves it, else the parent's own (with "worker_error" when a
 * worker serves it). Its worker's view goes to *@used (NULL: none).
 */
static void status_dom(struct vg_daemon *d, struct vg_jw *w, struct vg_dom *dom,
		       struct status_gather *g, struct vg_status_dom **used)
{
	struct status_slot *s = gather_slot(g, dom->name);
	struct vg_status_dom own;
	struct vg_gpio_stats done;
	const char *why = NULL;
	long pid = 0;

	*used = NULL;
	if (vg_workers_has(d, dom->name, &pid)) {
		if (!s)
			why = "the worker started after the status call";
		else if (s->pid != pid)
			why = "the worker ended before the status was complete";
		else if (!s->ok)
			why = s->why;
	}
	if (pid > 0 && !why) {
		/* The domain's earlier workers: what the parent kept. */
		vg_dom_stats(dom, &done);
		vg_status_dom_add(&s->view, &done);
		vg_status_write_dom(w, dom->name, &s->view, pid, NULL);
		*used = &s->view;
		return;
	}
	if (own_view(dom, &own)) {
		jw_nomem(w);
		return;
	}
	vg_status_write_dom(w, dom->name, &own, pid, why);
	vg_status_dom_dispose(&own);
}

struct status_devs {
	struct vg_daemon *d;
	struct vg_jw *w;
};

/* One device window a transport serves (guest.h, devices()). */
static void status_device(void *arg, void *conn, const char *domain,
			  const struct vg_guest_info *info, bool attached)
{
	struct status_devs *sd = arg;
	struct vg_dom *dom =
		attached ? vg_doms_find_conn(&sd->d->doms, conn) : NULL;
	struct vg_status_device dev = {
		.info = *info,
		.attached = attached,
		.has_counters = dom != NULL,
	};

	if (dom)
		vg_dom_stats(dom, &dev.st);
	vg_status_write_device(sd->w, domain, &dev);
}

/* The status result: the parent's view, with what the workers sent in @g. */
static void status_write(struct vg_daemon *d, struct vg_jw *w,
			 struct status_gather *g)
{
	struct vg_status_dom **used = NULL;
	struct status_devs sd = {d, w};
	struct vg_ctl_stats cs;
	const char *chip, *line;
	unsigned int i, j;
	int v;

	if (d->doms.n) {
		used = calloc(d->doms.n, sizeof(*used));
		if (!used) {
			jw_nomem(w);
			return;
		}
	}
	vg_jw_obj(w);
	vg_jw_karr(w, "domains");
	for (i = 0; i < d->doms.n; i++)
		status_dom(d, w, d->doms.v[i], g, &used[i]);
	vg_jw_arr_end(w);
	vg_jw_karr(w, "parked");
	for (i = 0; i < d->doms.nparked; i++) {
		vg_doms_parked(&d->doms, i, &chip, &line, &v);
		vg_jw_obj(w);
		vg_jw_kstr(w, "chip", chip);
		vg_jw_kstr(w, "line", line);
		vg_jw_ku64(w, "value", v != 0);
		vg_jw_obj_end(w);
	}
	vg_jw_arr_end(w);
	vg_jw_karr(w, "devices");
	for (i = 0; i < d->ntp; i++)
		if (d->tp[i].cls->devices)
			d->tp[i].cls->devices(d->tp[i].handle, status_device,
					      &sd);
	/* The windows the workers serve: theirs, checked. */
	for (i = 0; i < d->doms.n; i++)
		for (j = 0; used[i] && j < used[i]->ndevices; j++)
			vg_status_write_device(w, d->doms.v[i]->name,
					       &used[i]->devices[j]);
	vg_jw_arr_end(w);
	vg_ctl_stats(d->ctl, &cs);
	vg_jw_kobj(w, "control");
	vg_jw_ku64(w, "clients", cs.clients);
	vg_jw_ku64(w, "evicted", cs.evicted);
	vg_jw_obj_end(w);
	vg_jw_obj_end(w);
	free(used);
}

static void gather_free(struct status_gather *g)
{
	unsigned int i;

	if (g->tfd >= 0) {
		vg_evloop_del(g->d->ev, g->tfd);
		close(g->tfd);
	}
	for (i = 0; i < g->n; i++)
		vg_status_dom_dispose(&g->slot[i].view);
	free(g);
}

/* Every worker has answered or failed: answer the client. */
static void gather_finish(struct status_gather *g)
{
	if (g->defer && vg_ctl_defer_wanted(g->defer))
		status_write(g->d, vg_ctl_defer_result(g->defer), g);
	vg_ctl_defer_done(g->defer);
	gather_free(g);
}

/* A worker's status reply (ctl-peer.h): checked, kept in its slot. */
static void gather_reply(void *arg, int rc, const struct vg_ctl_peer_reply *r)
{
	struct status_slot *s = arg;
	struct status_gather *g = s->g;

	s->asking = false;
	if (!rc) {
		s->ok = !vg_wstatus_check(r->result, s->domain,
					  VG_WSTATUS_LINES_MAX, &s->view,
					  s->why, sizeof(s->why));
		if (s->ok)
			vg_workers_note_counters(g->d, s->domain, s->pid,
						 &s->view.st);
	} else if (rc == -EREMOTEIO) {
		snprintf(s->why, sizeof(s->why), "status failed: %s: %s",
			 r->code, r->message);
	} else if (rc == -ECANCELED && s->why[0]) {
		/* Ended as hung (gather_timeout): the reason is set. */
	} else if (rc == -ECANCELED) {
		snprintf(s->why, sizeof(s->why),
			 "the worker ended before it answered");
	} else {
		snprintf(s->why, sizeof(s->why), "no answer: %s",
			 strerror(-rc));
	}
	if (!--g->waiting)
		gather_finish(g);
}

/*
 * The workers' time is up: each that has not answered is hung; ending it
 * cancels its call, whose -ECANCELED completes the gathering.
 */
static void gather_timeout(void *arg, uint32_t events)
{
	struct status_gather *g = arg;
	unsigned int i, n = g->n;
	uint64_t ticks;

	(void)events;
	if (read(g->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		vg_log_warn(&g->d->log, "status timer");
	for (i = 0; i < n; i++) {
		struct status_slot *s = &g->slot[i];

		if (!s->asking)
			continue;
		snprintf(s->why, sizeof(s->why), "no answer within %u ms",
			 VG_WORKER_REPLY_MS);
		/* May finish and free @g: read nothing of it afterwards. */
		if (g->waiting == 1) {
			vg_workers_hung(g->d, s->domain, s->pid);
			return;
		}
		vg_workers_hung(g->d, s->domain, s->pid);
	}
}

/* A timerfd that fires once after @ms, watched by the event loop. */
static int gather_timer(struct status_gather *g, unsigned int ms)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = ms / 1000,
			     .tv_nsec = (long)(ms % 1000) * 1000000},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    vg_evloop_add(g->d->ev, fd, EPOLLIN, gather_timeout, g)) {
		close(fd);
		return -EIO;
	}
	g->tfd = fd;
	return 0;
}

static int cmd_status(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	struct status_gather *g;
	unsigned int i;
	long pid;
	int rc;

	if (!d->workers) {
		status_write(d, vg_ctl_result(call), NULL);
		return 0;
	}
	g = calloc(1, sizeof(*g) + d->doms.n * sizeof(g->slot[0]));
	if (!g)
		return vg_ctl_fail(call, VG_CTL_E_INTERNAL, "out of memory");
	g->d = d;
	g->tfd = -1;
	for (i = 0; i < d->doms.n; i++) {
		struct status_slot *s = &g->slot[g->n];

		if (!vg_workers_has(d, d->doms.v[i]->name, &pid))
			continue;
		s->g = g;
		s->pid = pid;
		snprintf(s->domain, sizeof(s->domain), "%s",
			 d->doms.v[i]->name);
		g->n++;
		rc = vg_workers_status(d, s->domain, gather_reply, s);
		if (rc)
			snprintf(s->why, sizeof(s->why), "cannot ask: %s",
				 strerror(-rc));
		else {
			s->asking = true;
			g->waiting++;
		}
	}
	if (!g->waiting) {
		/* Nobody asked (each one failed): the answer is known now. */
		status_write(d, vg_ctl_result(call), g);
		gather_free(g);
		return 0;
	}
	/* The replies come from the event loop, after this returns. */
	g->defer = vg_ctl_defer(call);
	if (!g->defer)
		return vg_ctl_fail(call, VG_CTL_E_INTERNAL, "out of memory");
	/* Without a timer a hung worker would hold this answer forever. */
	rc = gather_timer(g, VG_WORKER_REPLY_MS);
	if (rc)
		vg_log_warnx(&d->log, "status: no timer for the workers: %s",
			     strerror(-rc));
	return VG_CTL_DEFERRED;
}

/* "in,out,irq" of a line's "allow" array. */
static void allow_text(const struct vg_json *line, char *buf, size_t len)
{
	const struct vg_json *a = vg_json_get_arr(line, "allow");
	size_t at = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; a && i < a->n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "," : "",
				       vg_json_str(&a->v[i]) ? a->v[i].s : "?");
}

static const char *yes_no(const struct vg_json *obj, const char *key)
{
	return vg_json_true(vg_json_get(obj, key)) ? "yes" : "no";
}

/* The text protocol's status: the lines it has always had. */
static void status_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	const struct vg_json *doms = vg_json_get(res, "domains");
	const struct vg_json *parked = vg_json_get(res, "parked");
	const struct vg_json *ctl = vg_json_get(res, "control");
	unsigned int i, j;
	char allow[32], value[24];

	for (i = 0; doms && doms->type == VG_JSON_ARR && i < doms->n; i++) {
		const struct vg_json *dom = &doms->v[i];
		const struct vg_json *c = vg_json_get(dom, "counters");
		const struct vg_json *lines = vg_json_get(dom, "lines");
		unsigned int n =
			lines && lines->type == VG_JSON_ARR ? lines->n : 0;

		vg_ctl_reply(call,
			     "domain %s connected %s requests %" PRIu64
			     " errors %" PRIu64 " events %" PRIu64
			     " invalid %" PRIu64 " resets %" PRIu64
			     " broken %" PRIu64 " lines %u pending %s",
			     vg_json_get_str(dom, "name", "?"),
			     yes_no(dom, "connected"),
			     vg_json_get_u64(c, "requests", 0),
			     vg_json_get_u64(c, "errors", 0),
			     vg_json_get_u64(c, "events", 0),
			     vg_json_get_u64(c, "invalid", 0),
			     vg_json_get_u64(c, "resets", 0),
			     vg_json_get_u64(c, "broken", 0), n,
			     yes_no(dom, "pending"));
		for (j = 0; j < n; j++) {
			const struct vg_json *l = &lines->v[j];
			const char *name = vg_json_get_str(l, "name", "");
			uint64_t v;

			value[0] = '\0';
			if (!vg_json_u64(vg_json_get(l, "value"), &v))
				snprintf(value, sizeof(value),
					 " value %" PRIu64, v);
			allow_text(l, allow, sizeof(allow));
			vg_ctl_reply(call,
				     "  line %" PRIu64 " name %s host %s:%s "
				     "allow %s dir %s revoked %s%s",
				     vg_json_get_u64(l, "index", 0),
				     name[0] ? name : "-",
				     vg_json_get_str(l, "chip", "?"),
				     vg_json_get_str(l, "line", "?"), allow,
				     vg_json_get_str(l, "direction", "?"),
				     yes_no(l, "revoked"), value);
		}
	}
	for (i = 0; parked && parked->type == VG_JSON_ARR && i < parked->n; i++)
		vg_ctl_reply(call, "parked host %s:%s value %" PRIu64,
			     vg_json_get_str(&parked->v[i], "chip", "?"),
			     vg_json_get_str(&parked->v[i], "line", "?"),
			     vg_json_get_u64(&parked->v[i], "value", 0));
	vg_ctl_reply(call, "control clients %" PRIu64 " evicted %" PRIu64,
		     vg_json_get_u64(ctl, "clients", 0),
		     vg_json_get_u64(ctl, "evicted", 0));
}

/* --- reload --------------------------------------------------------------- */

int vg_daemon_apply(struct vg_daemon *d, const struct vg_config *cfg,
		    struct vg_doms_change *chg, char *err, size_t errlen)
{
	struct vg_daemon_window *win;
	unsigned int nwin;
	int rc;

	/* Everything that can fail before anything changes. */
	if (vg_daemon_windows(cfg, &win, &nwin)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = vg_doms_apply(&d->doms, cfg, chg, err, errlen);
	if (rc) {
		free(win);
		return rc;
	}
	/* The domains created from now on get the new windows. */
	free(d->win);
	d->win = win;
	d->nwin = nwin;
	vg_workers_tables(d);
	return 0;
}

int vg_daemon_reload_err(struct vg_daemon *d, struct vg_doms_change *chg,
			 struct vg_config_err *err)
{
	struct vg_config *cfg;
	int rc;

	memset(err, 0, sizeof(*err));
	if (!d->cfg_path) {
		snprintf(err->msg, sizeof(err->msg),
			 "no policy file to reload (started with the built-in "
			 "demo policy)");
		return -EINVAL;
	}
	rc = vg_config_load_err(d->cfg_path, &cfg, err);
	if (rc)
		return rc;
	/* Not about a place in the file: the message names what failed. */
	rc = vg_daemon_apply(d, cfg, chg, err->msg, sizeof(err->msg));
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

int vg_daemon_reload(struct vg_daemon *d, struct vg_doms_change *chg, char *err,
		     size_t errlen)
{
	struct vg_config_err e;
	int rc = vg_daemon_reload_err(d, chg, &e);

	if (rc)
		vg_config_err_format(&e, err, errlen);
	return rc;
}

/* The policy error as the "policy" member of the error reply. */
static void policy_error(struct vg_ctl_call *call,
			 const struct vg_config_err *e)
{
	vg_config_err_json(vg_ctl_error_member(call, "policy"), e);
}

static int cmd_reload(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	struct vg_jw *w = vg_ctl_result(call);
	struct vg_doms_change chg;
	struct vg_config_err e;
	char why[VG_CONFIG_ERR_MSG_MAX + 64];

	if (vg_daemon_reload_err(d, &chg, &e)) {
		vg_config_err_format(&e, why, sizeof(why));
		policy_error(call, &e);
		return vg_ctl_fail(call,
				   d->cfg_path ? VG_CTL_E_POLICY
					       : VG_CTL_E_UNSUPPORTED,
				   "policy not applied: %s", why);
	}
	vg_jw_obj(w);
	vg_jw_ku64(w, "added", chg.added);
	vg_jw_ku64(w, "revoked", chg.revoked);
	vg_jw_ku64(w, "deferred", chg.deferred);
	vg_jw_ku64(w, "failed", chg.failed);
	vg_jw_obj_end(w);
	if (chg.failed)
		return vg_ctl_fail(call, VG_CTL_E_PARTIAL,
				   "%u moved line(s) could not be reopened "
				   "(see the daemon log)",
				   chg.failed);
	return 0;
}

static void reload_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	vg_ctl_reply(call,
		     "added %" PRIu64 " revoked %" PRIu64 " deferred %" PRIu64
		     " failed %" PRIu64,
		     vg_json_get_u64(res, "added", 0),
		     vg_json_get_u64(res, "revoked", 0),
		     vg_json_get_u64(res, "deferred", 0),
		     vg_json_get_u64(res, "failed", 0));
}

/* --- sim ------------------------------------------------------------------ */

/* vg_sim_get/set_pull's -errno for the line named by the call's args. */
static int sim_fail(struct vg_ctl_call *call, int rc)
{
	return vg_ctl_fail(call,
			   rc == -ENOENT ? VG_CTL_E_NOT_FOUND : VG_CTL_E_ARGS,
			   "no sim line %s %s: %s", vg_ctl_arg_str(call, 0),
			   vg_ctl_arg_str(call, 1), strerror(-rc));
}

static int cmd_sim_get(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	struct vg_jw *w = vg_ctl_result(call);
	struct vg_sim_line_state st;
	int rc;

	rc = vg_sim_get(d->sim, vg_ctl_arg_str(call, 0),
			vg_ctl_arg_str(call, 1), &st);
	if (rc)
		return sim_fail(call, rc);
	vg_jw_obj(w);
	vg_jw_ku64(w, "value", st.value != 0);
	vg_jw_kbool(w, "output", st.output);
	vg_jw_ku64(w, "pull", st.pull != 0);
	vg_jw_kbool(w, "requested", st.requested);
	vg_jw_obj_end(w);
	return 0;
}

static void sim_get_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	vg_ctl_reply(call,
		     "value %" PRIu64 " output %d pull %" PRIu64
		     " requested %d",
		     vg_json_get_u64(res, "value", 0),
		     vg_json_true(vg_json_get(res, "output")),
		     vg_json_get_u64(res, "pull", 0),
		     vg_json_true(vg_json_get(res, "requested")));
}

static int cmd_sim_set(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	int rc;

	rc = vg_sim_set_pull(d->sim, vg_ctl_arg_str(call, 0),
			     vg_ctl_arg_str(call, 1),
			     (int)vg_ctl_arg_int(call, 2));
	return rc ? sim_fail(call, rc) : 0;
}

/* --- device windows ------------------------------------------------------- */

/* The first transport that adds device windows, or -1 with @call failed. */
static int device_transport(const struct vg_daemon *d, struct vg_ctl_call *call)
{
	unsigned int i;

	for (i = 0; i < d->ntp; i++)
		if (d->tp[i].cls->device_add)
			return (int)i;
	vg_ctl_fail(call, VG_CTL_E_UNSUPPORTED,
		    "no transport here adds device windows (the Xen transport "
		    "is off)");
	return -1;
}

/* A transport's -errno for device add/remove (guest.h) as an error code. */
static int device_fail(struct vg_ctl_call *call, int rc, const char *why)
{
	const char *code;

	switch (rc) {
	case -EINVAL:
		code = VG_CTL_E_ARGS;
		break;
	case -ENOENT:
		code = VG_CTL_E_NOT_FOUND;
		break;
	case -EEXIST:
		code = VG_CTL_E_BUSY;
		break;
	case -EOPNOTSUPP:
	case -EPERM:
		code = VG_CTL_E_UNSUPPORTED;
		break;
	default:
		code = VG_CTL_E_INTERNAL;
		break;
	}
	return vg_ctl_fail(call, code, "%s", why[0] ? why : strerror(-rc));
}

static int cmd_device_add(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	struct vg_jw *w = vg_ctl_result(call);
	struct vg_guest_added a;
	char why[256] = "";
	int t = device_transport(d, call), rc;

	if (t < 0)
		return -1;
	rc = d->tp[t].cls->device_add(d->tp[t].handle, vg_ctl_arg_str(call, 0),
				      &a, why, sizeof(why));
	if (rc)
		return device_fail(call, rc, why);
	vg_jw_obj(w);
	vg_jw_kstr(w, "transport", d->tp[t].cls->name);
	vg_jw_kstr(w, "domain", a.domain);
	vg_jw_ku64(w, "domid", (uint64_t)a.domid);
	vg_jw_ku64(w, "devid", (uint64_t)a.devid);
	vg_jw_kbool(w, "attached", a.attached);
	if (a.attached)
		vg_jw_knull(w, "reason");
	else
		vg_jw_kstr(w, "reason", a.why);
	vg_jw_obj_end(w);
	return 0;
}

static void device_add_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	bool attached = vg_json_true(vg_json_get(res, "attached"));

	vg_ctl_reply(call,
		     "device %s dom%" PRIu64 "/%" PRIu64 " domain %s attached "
		     "%s",
		     vg_json_get_str(res, "transport", "?"),
		     vg_json_get_u64(res, "domid", 0),
		     vg_json_get_u64(res, "devid", 0),
		     vg_json_get_str(res, "domain", "?"),
		     attached ? "yes" : "no");
	if (!attached)
		vg_ctl_reply(call, "empty window: %s",
			     vg_json_get_str(res, "reason", "?"));
}

static int cmd_device_remove(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	char why[256] = "";
	int t = device_transport(d, call), rc;

	if (t < 0)
		return -1;
	rc = d->tp[t].cls->device_remove(
		d->tp[t].handle, vg_ctl_arg_str(call, 0), why, sizeof(why));
	return rc ? device_fail(call, rc, why) : 0;
}

/* --- the table ------------------------------------------------------------ */

static const struct vg_ctl_arg sim_line_args[] = {
	{"chip", VG_CTL_ARG_STR, 1, VG_CONFIG_NAME_MAX},
	{"line", VG_CTL_ARG_STR, 1, VG_CONFIG_NAME_MAX},
	{"value", VG_CTL_ARG_INT, 0, 1},
};

/* A device spec: "domid=32751,base=0xfffffffffffffe00,irq=1019,..." fits. */
#define VG_DEVICE_SPEC_MAX 127
static const struct vg_ctl_arg device_args[] = {
	{"spec", VG_CTL_ARG_STR, 1, VG_DEVICE_SPEC_MAX},
};

const struct vg_ctl_cmd vg_daemon_cmds[] = {
	{
		.name = "status",
		.help = "domains, counters and lines",
		.fn = cmd_status,
		.text = status_text,
	},
	{
		.name = "reload",
		.help = "re-read the policy file: revocations apply at once, "
			"additions at each guest's next device reset",
		.fn = cmd_reload,
		.text = reload_text,
	},
	{
		.name = "sim get",
		.help = "read a simulated line",
		.args = sim_line_args,
		.nargs = 2,
		.fn = cmd_sim_get,
		.text = sim_get_text,
	},
	{
		.name = "sim set",
		.help = "set a simulated line's pull (an external input)",
		.args = sim_line_args,
		.nargs = 3,
		.fn = cmd_sim_set,
	},
	{
		.name = "device add",
		.help = "serve a device window for a running guest (SPEC as "
			"vgpiod --device's)",
		.args = device_args,
		.nargs = 1,
		.fn = cmd_device_add,
		.text = device_add_text,
	},
	{
		.name = "device remove",
		.help = "stop serving a window that is not libxl's (SPEC "
			"domid=N,base=ADDR)",
		.args = device_args,
		.nargs = 1,
		.fn = cmd_device_remove,
	},
};

const unsigned int vg_daemon_ncmds = VG_ARRAY_SIZE(vg_daemon_cmds);
