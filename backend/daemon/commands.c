// SPDX-License-Identifier: BSD-3-Clause
/*
 * The daemon's control commands (ctl.h) and policy reload. Each command
 * writes its result as JSON, the schema docs/vgpiod.8.md documents; the
 * text protocol's lines are made from that result, never gathered twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "acl.h"
#include "ctl.h"
#include "daemon-priv.h"
#include "dom.h"
#include "gpio.h"
#include "sim.h"

/* --- status --------------------------------------------------------------- */

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

static void status_counters(struct vg_jw *w, const struct vg_gpio_stats *st)
{
	vg_jw_kobj(w, "counters");
	vg_jw_ku64(w, "requests", st->requests);
	vg_jw_ku64(w, "errors", st->errors);
	vg_jw_ku64(w, "events", st->events);
	vg_jw_ku64(w, "invalid", st->invalid);
	vg_jw_ku64(w, "resets", st->resets);
	vg_jw_ku64(w, "broken", st->broken);
	vg_jw_ku64(w, "interrupts", st->interrupts);
	vg_jw_obj_end(w);
}

static void status_line(struct vg_jw *w, struct vg_dom *dom, unsigned int i)
{
	const struct vg_acl_line *al = &vg_dom_acl(dom)->lines[i];
	const char *chip, *line;
	unsigned int dir = VG_GPIO_DIRECTION_NONE;
	char allow[32];
	int v;

	vg_dom_line_host(dom, i, &chip, &line);
	if (dom->gpio)
		dir = vg_gpio_line_direction(dom->gpio, i);
	vg_jw_obj(w);
	vg_jw_ku64(w, "index", i);
	vg_jw_kstr(w, "name", al->name);
	vg_jw_kstr(w, "chip", chip);
	vg_jw_kstr(w, "line", line);
	vg_jw_key(w, "allow");
	vg_jw_words(w, vg_acl_allow_str(al->allow, allow, sizeof(allow)), ',');
	vg_jw_kstr(w, "direction", dir_str(dir));
	vg_jw_kbool(w, "revoked", al->revoked);
	if (al->line && !al->prov.ops->get_value(al->prov.ctx, al->line, &v))
		vg_jw_ku64(w, "value", v != 0);
	else
		vg_jw_knull(w, "value");
	vg_jw_obj_end(w);
}

static void status_dom(struct vg_daemon *d, struct vg_jw *w, struct vg_dom *dom)
{
	const struct vg_acl *acl = vg_dom_acl(dom);
	struct vg_gpio_stats st;
	unsigned int i;
	long pid;

	vg_dom_stats(dom, &st);
	vg_jw_obj(w);
	vg_jw_kstr(w, "name", dom->name);
	vg_jw_kbool(w, "connected", dom->gpio != NULL);
	vg_jw_kbool(w, "pending", vg_dom_pending(dom));
	if (vg_workers_has(d, dom->name, &pid))
		vg_jw_ku64(w, "worker", (uint64_t)pid);
	status_counters(w, &st);
	vg_jw_karr(w, "lines");
	for (i = 0; i < acl->n; i++)
		status_line(w, dom, i);
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
}

struct status_devs {
	struct vg_daemon *d;
	struct vg_jw *w;
};

/* A key whose value is a string, or null when there is none. */
static void kstr_or_null(struct vg_jw *w, const char *key, const char *s)
{
	if (s)
		vg_jw_kstr(w, key, s);
	else
		vg_jw_knull(w, key);
}

/* One device window a transport serves (guest.h, devices()). */
static void status_device(void *arg, void *conn, const char *domain,
			  const struct vg_guest_info *info, bool attached)
{
	struct status_devs *sd = arg;
	struct vg_jw *w = sd->w;
	struct vg_dom *dom =
		attached ? vg_doms_find_conn(&sd->d->doms, conn) : NULL;
	struct vg_gpio_stats st;

	vg_jw_obj(w);
	kstr_or_null(w, "transport", info->transport);
	kstr_or_null(w, "domain", domain);
	vg_jw_kbool(w, "attached", attached);
	vg_jw_key(w, "domid");
	if (info->domid >= 0)
		vg_jw_u64(w, (uint64_t)info->domid);
	else
		vg_jw_null(w);
	vg_jw_key(w, "devid");
	if (info->devid >= 0)
		vg_jw_u64(w, (uint64_t)info->devid);
	else
		vg_jw_null(w);
	vg_jw_ku64(w, "base", info->base);
	vg_jw_ku64(w, "size", info->size);
	if (info->irq)
		vg_jw_ku64(w, "irq", info->irq);
	else
		vg_jw_knull(w, "irq");
	kstr_or_null(w, "irq_kind", info->irq_kind);
	kstr_or_null(w, "memory", info->memory);
	kstr_or_null(w, "state", info->state);
	if (dom) {
		vg_dom_stats(dom, &st);
		status_counters(w, &st);
	} else {
		vg_jw_knull(w, "counters");
	}
	vg_jw_obj_end(w);
}

static int cmd_status(void *arg, struct vg_ctl_call *call)
{
	struct vg_daemon *d = arg;
	struct vg_jw *w = vg_ctl_result(call);
	struct status_devs sd = {d, w};
	struct vg_ctl_stats cs;
	const char *chip, *line;
	unsigned int i;
	int v;

	vg_jw_obj(w);
	vg_jw_karr(w, "domains");
	for (i = 0; i < d->doms.n; i++)
		status_dom(d, w, d->doms.v[i]);
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
	vg_jw_arr_end(w);
	vg_ctl_stats(d->ctl, &cs);
	vg_jw_kobj(w, "control");
	vg_jw_ku64(w, "clients", cs.clients);
	vg_jw_ku64(w, "evicted", cs.evicted);
	vg_jw_obj_end(w);
	vg_jw_obj_end(w);
	return 0;
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
	int rc = vg_doms_apply(&d->doms, cfg, chg, err, errlen);

	if (!rc)
		vg_workers_tables(d);
	return rc;
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

/* --- the table ------------------------------------------------------------ */

static const struct vg_ctl_arg sim_line_args[] = {
	{"chip", VG_CTL_ARG_STR, 1, VG_CONFIG_NAME_MAX},
	{"line", VG_CTL_ARG_STR, 1, VG_CONFIG_NAME_MAX},
	{"value", VG_CTL_ARG_INT, 0, 1},
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
};

const unsigned int vg_daemon_ncmds = VG_ARRAY_SIZE(vg_daemon_cmds);
