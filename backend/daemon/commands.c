// SPDX-License-Identifier: BSD-3-Clause
/* The daemon's control-socket commands (ctl.h) and policy reload. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "acl.h"
#include "ctl.h"
#include "daemon-priv.h"
#include "dom.h"
#include "gpio.h"
#include "sim.h"

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
		vg_gpio_stats_add(&st, &cur);
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
int vg_daemon_reload(struct vg_daemon *d, struct vg_doms_change *chg, char *err,
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
	if (vg_daemon_reload(d, &chg, err, sizeof(err)))
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

const struct vg_ctl_cmd vg_daemon_cmds[] = {
	{"status", "", 0, "domains, counters and lines", cmd_status},
	{"reload", "", 0,
	 "re-read the policy file: revocations apply at once, additions at "
	 "each guest's next device reset",
	 cmd_reload},
	{"sim get", "CHIP LINE", 2, "read a simulated line", cmd_sim_get},
	{"sim set", "CHIP LINE 0|1", 3,
	 "set a simulated line's pull (an external input)", cmd_sim_set},
};

const unsigned int vg_daemon_ncmds = VG_ARRAY_SIZE(vg_daemon_cmds);
