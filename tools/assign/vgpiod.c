// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: talking to vgpiod over its control socket: `reload` after
 * an edit (and undoing the edit when vgpiod refuses it), and `status`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "ctlclient.h"

enum ctl_res {
	CTL_OK, /* "ok" */
	CTL_ERROR, /* "error: ...": the reason in *final */
	CTL_NOCONN, /* could not connect: errno in *err */
	CTL_BROKEN, /* connected, but no complete reply: why in *final */
};

/*
 * Send @cmd to vgpiod and collect the reply lines before the final one
 * into @reply (each ending in a newline).
 */
static enum ctl_res ctl_run(const char *path, const char *cmd,
			    struct vg_strbuf *reply, char *final, size_t flen,
			    int *err)
{
	struct vg_ctlc c;
	int rc = vg_ctlc_connect(&c, path);

	final[0] = '\0';
	if (rc) {
		*err = -rc;
		return CTL_NOCONN;
	}
	rc = vg_ctlc_text(&c, cmd, reply);
	if (rc)
		snprintf(final, flen, "%s", c.err);
	vg_ctlc_close(&c);
	return rc == 0 ? CTL_OK : rc == 1 ? CTL_ERROR : CTL_BROKEN;
}

int vg_assign_reload(struct vg_txn *x)
{
	const char *path = x->t->policy;
	struct vg_strbuf reply = {0};
	char final[ASSIGN_ERR_MAX];
	const char *reason;
	enum ctl_res res;
	int err = 0, rc;

	res = ctl_run(x->t->control, "reload", &reply, final, sizeof(final),
		      &err);
	if (res == CTL_NOCONN && (err == ENOENT || err == ECONNREFUSED)) {
		vg_assign_msg(
			"vgpiod is not running (%s): the policy takes effect "
			"when it starts",
			x->t->control);
		rc = RC_OK;
	} else if (res == CTL_NOCONN) {
		vg_assign_msg("%s: %s: policy written, not applied",
			      x->t->control, strerror(err));
		rc = RC_FAIL;
	} else if (res == CTL_BROKEN) {
		vg_assign_msg("%s: reload: %s: policy written, state of vgpiod "
			      "unknown",
			      x->t->control, final);
		rc = RC_FAIL;
	} else if (res == CTL_ERROR &&
		   !strncmp(final, "policy not applied: ", 20)) {
		/* vgpiod changed nothing: the file must say what it runs. */
		reason = final + 20;
		rc = vg_file_restore(path, &x->old);
		if (rc)
			vg_assign_msg(
				"vgpiod refused the policy: %s; restoring %s "
				"failed: %s",
				reason, path, strerror(-rc));
		else
			vg_assign_msg(
				"vgpiod refused the policy: %s (%s restored)",
				reason, path);
		rc = RC_FAIL;
	} else {
		if (reply.s)
			printf("reloaded: %s", reply.s);
		if (res == CTL_ERROR)
			vg_assign_msg("vgpiod: %s", final);
		rc = res == CTL_OK ? RC_OK : RC_FAIL;
	}
	free(reply.s);
	return rc;
}

int vg_cmd_status(const struct vg_assign *t)
{
	struct vg_strbuf reply = {0};
	char final[ASSIGN_ERR_MAX];
	enum ctl_res res;
	int err = 0, rc = RC_OK;

	res = ctl_run(t->control, "status", &reply, final, sizeof(final), &err);
	if (res == CTL_NOCONN) {
		vg_assign_msg("%s: %s (is vgpiod running?)", t->control,
			      strerror(err));
		rc = RC_NODAEMON;
	} else if (res != CTL_OK) {
		vg_assign_msg("%s: status: %s", t->control, final);
		rc = RC_FAIL;
	} else if (t->json) {
		if (reply.s)
			vg_status_json(reply.s);
		else
			puts("{\"domains\":[]}");
	} else if (reply.s) {
		fputs(reply.s, stdout);
	}
	free(reply.s);
	return rc;
}
