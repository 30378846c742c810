// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: talking to vgpiod over its control socket, in the JSON
 * protocol (docs/vgpiod.8.md, "CONTROL PROTOCOL"): `reload` after an edit
 * (and undoing the edit when vgpiod refuses it), `status`, and `device
 * add` / `device remove`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "ctlclient.h"
#include "devspec.h"

/*
 * Connect to vgpiod and run @cmd. 0 with @r filled (the daemon said ok
 * or not), or -errno with c->err saying why; @connected tells whether
 * the request may have reached the daemon.
 */
static int call_args(const struct vg_assign *t, struct vg_ctlc *c,
		     const char *cmd, const char *args, struct vg_ctlc_reply *r,
		     bool *connected)
{
	int rc = vg_ctlc_connect(c, t->control);

	memset(r, 0, sizeof(*r));
	*connected = !rc;
	if (!rc)
		rc = vg_ctlc_call(c, cmd, args, r);
	return rc;
}

static int call(const struct vg_assign *t, struct vg_ctlc *c, const char *cmd,
		struct vg_ctlc_reply *r, bool *connected)
{
	return call_args(t, c, cmd, NULL, r, connected);
}

/* The policy error in a refusal (error.policy) as text into @buf. */
static void refusal(const struct vg_ctlc_reply *r, char *buf, size_t len)
{
	const struct vg_json *p = vg_json_get(r->error, "policy");
	struct vg_config_err e = {
		.file = vg_json_str(vg_json_get(p, "file")),
		.line = (unsigned int)vg_json_get_u64(p, "line", 0),
		.col = (unsigned int)vg_json_get_u64(p, "column", 0),
	};

	snprintf(e.msg, sizeof(e.msg), "%s",
		 vg_json_get_str(p, "message", r->message));
	vg_config_err_format(&e, buf, len);
}

int vg_assign_reload(struct vg_txn *x)
{
	const char *path = x->t->policy;
	const struct vg_json *res;
	struct vg_ctlc_reply r;
	char why[ASSIGN_ERR_MAX];
	struct vg_ctlc c;
	bool connected;
	int rc = call(x->t, &c, "reload", &r, &connected);

	if (!connected && (rc == -ENOENT || rc == -ECONNREFUSED)) {
		vg_assign_msg(
			"vgpiod is not running (%s): the policy takes effect "
			"when it starts",
			x->t->control);
		rc = RC_OK;
	} else if (!connected) {
		vg_assign_msg("%s: policy written, not applied", c.err);
		rc = RC_FAIL;
	} else if (rc) {
		vg_assign_msg("%s: reload: %s: policy written, state of vgpiod "
			      "unknown",
			      x->t->control, c.err);
		rc = RC_FAIL;
	} else if (!r.ok && vg_json_get(r.error, "policy")) {
		/* vgpiod changed nothing: the file must say what it runs. */
		refusal(&r, why, sizeof(why));
		rc = vg_file_restore(path, &x->old);
		if (rc)
			vg_assign_msg(
				"vgpiod refused the policy: %s; restoring %s "
				"failed: %s",
				why, path, strerror(-rc));
		else
			vg_assign_msg(
				"vgpiod refused the policy: %s (%s restored)",
				why, path);
		rc = RC_FAIL;
	} else {
		res = r.result;
		if (res)
			printf("reloaded: added %" PRIu64 " revoked %" PRIu64
			       " deferred %" PRIu64 " failed %" PRIu64 "\n",
			       vg_json_get_u64(res, "added", 0),
			       vg_json_get_u64(res, "revoked", 0),
			       vg_json_get_u64(res, "deferred", 0),
			       vg_json_get_u64(res, "failed", 0));
		if (!r.ok)
			vg_assign_msg("vgpiod: %s", r.message);
		rc = r.ok ? RC_OK : RC_FAIL;
	}
	vg_ctlc_reply_free(&r);
	vg_ctlc_close(&c);
	return rc;
}

int vg_cmd_status(const struct vg_assign *t)
{
	struct vg_ctlc_reply r;
	struct vg_ctlc c;
	bool connected;
	int rc = call(t, &c, "status", &r, &connected);

	if (!connected) {
		vg_assign_msg("%s (is vgpiod running?)", c.err);
		rc = RC_NODAEMON;
	} else if (rc) {
		vg_assign_msg("%s: status: %s", t->control, c.err);
		rc = RC_FAIL;
	} else if (!r.ok || !r.result) {
		vg_assign_msg("%s: status: %s", t->control,
			      r.ok ? "no result" : r.message);
		rc = RC_FAIL;
	} else {
		rc = vg_status_print(t, r.result);
	}
	vg_ctlc_reply_free(&r);
	vg_ctlc_close(&c);
	return rc;
}

/* The device add result for people; false if the window is empty. */
static bool device_print(const struct vg_json *res)
{
	bool attached = vg_json_true(vg_json_get(res, "attached"));

	printf("device: %s dom%" PRIu64 "/%" PRIu64 " domain %s: %s\n",
	       vg_json_get_str(res, "transport", "?"),
	       vg_json_get_u64(res, "domid", 0),
	       vg_json_get_u64(res, "devid", 0),
	       vg_json_get_str(res, "domain", "?"),
	       attached ? "attached" : "empty window");
	return attached;
}

int vg_cmd_device(const struct vg_assign *t, bool add, const char *spec)
{
	const char *cmd = add ? "device add" : "device remove";
	struct vg_strbuf args = {0};
	struct vg_ctlc_reply r;
	struct vg_devspec d;
	char err[ASSIGN_ERR_MAX];
	struct vg_ctlc c;
	unsigned int domid;
	uint64_t base;
	bool connected;
	int rc;

	/* vgpiod's rules, checked here first: nothing is sent for a typo. */
	rc = add ? vg_devspec_parse(spec, &d, err, sizeof(err))
		 : vg_devspec_parse_at(spec, &domid, &base, err, sizeof(err));
	if (rc) {
		vg_assign_msg("%s: %s", spec, err);
		return RC_INVALID;
	}
	/* A parsed spec has no quote, backslash or control byte. */
	vg_strbuf_addf(&args, "{\"spec\":\"%s\"}", spec);
	if (args.rc) {
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = call_args(t, &c, cmd, args.s, &r, &connected);
	free(args.s);
	if (!connected) {
		vg_assign_msg("%s (is vgpiod running?)", c.err);
		rc = RC_NODAEMON;
	} else if (rc) {
		vg_assign_msg("%s: %s: %s", t->control, cmd, c.err);
		rc = RC_FAIL;
	} else if (!r.ok) {
		vg_assign_msg("%s: %s", cmd, r.message);
		rc = !strcmp(r.code, "bad-args") ? RC_INVALID : RC_FAIL;
	} else if (t->json) {
		struct vg_strbuf b = {0};
		struct vg_jw w;

		vg_jw_init(&w, &b);
		vg_jw_value(&w, r.result);
		rc = vg_assign_json_print(&b, &w);
		if (!rc && add &&
		    !vg_json_true(vg_json_get(r.result, "attached")))
			rc = RC_FAIL;
	} else if (add && !device_print(r.result)) {
		vg_assign_msg(
			"%s: the guest's probe skips an empty window (%s); "
			"device-remove domid=%u,base=%#llx takes it away",
			spec, vg_json_get_str(r.result, "reason", "?"), d.domid,
			(unsigned long long)d.base);
		rc = RC_FAIL;
	} else {
		rc = RC_OK;
	}
	vg_ctlc_reply_free(&r);
	vg_ctlc_close(&c);
	return rc;
}
