// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: the edits: assign lines to a domain, revoke them, set or
 * remove its Xen device window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "cfgparse.h"

static void lineset_of(struct vg_strbuf *b, const struct vg_config_domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nlines; i++) {
		if (!i || strcmp(d->lines[i].chip, d->lines[i - 1].chip)) {
			if (i)
				vg_strbuf_add(b, ", ");
			vg_strbuf_add(b, d->lines[i].chip);
		}
		vg_strbuf_add(b, " ");
		vg_strbuf_add(b, d->lines[i].line);
	}
	if (d->nlines)
		vg_strbuf_add(b, ", ");
}

/*
 * A line named in LINESET that a domain has already. The parser finds
 * these too, but names the domain it meets second, which may be ours.
 */
static int assign_check_taken(struct vg_txn *x, const struct vg_assign_args *a)
{
	const struct vg_config *cur = x->cur;
	unsigned int i, j, k;

	for (i = x->first; i < x->nd.nlines; i++) {
		const struct vg_config_line *l = &x->nd.lines[i];

		for (j = 0; j < cur->ndomains; j++) {
			const struct vg_config_domain *d = &cur->domains[j];

			if (a->replace && !strcmp(d->name, a->domain))
				continue;
			for (k = 0; k < d->nlines; k++) {
				if (!vg_line_same(cur, l, &d->lines[k]))
					continue;
				vg_assign_msg(
					"line %s %s: already in domain %s",
					l->chip, l->line, d->name);
				return RC_INVALID;
			}
		}
	}
	return RC_OK;
}

/*
 * x->nd: the lines (kept ones first unless --replace), with the options of
 * --line entries; a line without one keeps the options it had.
 */
static int assign_build(struct vg_txn *x, const struct vg_assign_args *a)
{
	const struct vg_config_domain *od = vg_config_domain(x->cur, a->domain);
	const struct vg_config_domain *sd;
	struct vg_strbuf pre = {0};
	unsigned char *given;
	unsigned int i, k;
	int rc;

	if (od && !a->replace) {
		lineset_of(&pre, od);
		x->first = od->nlines;
	}
	if (pre.rc) {
		free(pre.s);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = vg_txn_scratch(x, pre.s ? pre.s : "", a->lineset, a->entries,
			    a->nentries);
	free(pre.s);
	if (rc)
		return rc;
	sd = &x->scratch->domains[0];
	given = calloc(sd->nlines, 1);
	x->nd.lines = calloc(sd->nlines, sizeof(*x->nd.lines));
	if (!given || !x->nd.lines) {
		free(given);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	x->nd.name = (char *)a->domain;
	x->nd.nlines = sd->nlines;
	/* The window is not a line: it stays, --replace or not. */
	if (od) {
		x->nd.has_xen_device = od->has_xen_device;
		x->nd.xen_device = od->xen_device;
	}
	for (i = 0; i < a->nentries; i++)
		given[vg_txn_entry_index(sd, a->entries[i])] = 1;
	for (i = 0; i < sd->nlines; i++) {
		struct vg_config_line *l = &x->nd.lines[i];

		*l = sd->lines[i];
		for (k = 0; !given[i] && od && k < od->nlines; k++) {
			if (!vg_line_same(x->cur, l, &od->lines[k]))
				continue;
			*l = od->lines[k];
			l->chip = sd->lines[i].chip;
			l->line = sd->lines[i].line;
			break;
		}
	}
	free(given);
	return assign_check_taken(x, a);
}

/* Every LINESET line on a host chip exists and is free (or ours). */
static int assign_probe(struct vg_txn *x)
{
	char why[ASSIGN_ERR_MAX];
	unsigned int i;
	int rc;

	for (i = x->first; i < x->nd.nlines; i++) {
		const struct vg_config_line *l = &x->nd.lines[i];

		if (vg_cfgsim_find(x->next, l->chip))
			continue;
		rc = vg_line_probe(x->domain, l, why, sizeof(why));
		if (rc) {
			vg_assign_msg(
				"%s (nothing changed; --offline skips this "
				"check)",
				why);
			return rc;
		}
	}
	return RC_OK;
}

int vg_cmd_assign(const struct vg_assign *t, const struct vg_assign_args *a)
{
	struct vg_txn x;
	unsigned int i;
	int rc;

	rc = vg_txn_arg_check("domain", a->domain);
	if (!rc)
		rc = vg_txn_arg_check("line set", a->lineset);
	for (i = 0; !rc && i < a->nentries; i++)
		rc = vg_txn_arg_check("--line", a->entries[i]);
	if (rc)
		return rc;
	rc = vg_txn_begin(&x, t, a->domain);
	if (!rc)
		rc = assign_build(&x, a);
	if (!rc)
		rc = vg_txn_splice(&x);
	if (!rc && !a->offline)
		rc = assign_probe(&x);
	if (!rc)
		rc = vg_txn_commit(&x);
	vg_txn_end(&x);
	return rc;
}

/* x->nd: the domain's lines without those of @lineset (NULL: all). */
static int revoke_build(struct vg_txn *x, const char *lineset)
{
	const struct vg_config_domain *od = vg_config_domain(x->cur, x->domain);
	const struct vg_config_domain *sd;
	unsigned char *gone;
	unsigned int i, k;
	int rc;

	if (!od) {
		vg_assign_msg("domain %s: not in %s", x->domain, x->t->policy);
		return RC_INVALID;
	}
	if (!lineset) {
		if (od->has_xen_device)
			vg_assign_msg("domain %s: its xen-device goes with its "
				      "section",
				      x->domain);
		return RC_OK; /* nd.nlines 0: the section goes */
	}
	rc = vg_txn_scratch(x, "", lineset, NULL, 0);
	if (rc)
		return rc;
	sd = &x->scratch->domains[0];
	gone = calloc(od->nlines, 1);
	x->nd.lines = calloc(od->nlines, sizeof(*x->nd.lines));
	if (!gone || !x->nd.lines) {
		free(gone);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	for (i = 0; i < sd->nlines; i++) {
		for (k = 0; k < od->nlines; k++)
			if (vg_line_same(x->cur, &sd->lines[i], &od->lines[k]))
				break;
		if (k == od->nlines) {
			vg_assign_msg(
				"domain %s: line %s %s is not in this domain",
				x->domain, sd->lines[i].chip,
				sd->lines[i].line);
			free(gone);
			return RC_INVALID;
		}
		gone[k] = 1;
	}
	x->nd.name = (char *)x->domain;
	for (k = 0; k < od->nlines; k++)
		if (!gone[k])
			x->nd.lines[x->nd.nlines++] = od->lines[k];
	free(gone);
	if (!x->nd.nlines && od->has_xen_device)
		vg_assign_msg("domain %s: no line left: its xen-device goes "
			      "with its section",
			      x->domain);
	x->nd.has_xen_device = od->has_xen_device;
	x->nd.xen_device = od->xen_device;
	return RC_OK;
}

int vg_cmd_revoke(const struct vg_assign *t, const char *domain,
		  const char *lineset)
{
	struct vg_txn x;
	int rc;

	rc = vg_txn_arg_check("domain", domain);
	if (!rc && lineset)
		rc = vg_txn_arg_check("line set", lineset);
	if (rc)
		return rc;
	rc = vg_txn_begin(&x, t, domain);
	if (!rc)
		rc = revoke_build(&x, lineset);
	if (!rc)
		rc = vg_txn_splice(&x);
	if (!rc)
		rc = vg_txn_commit(&x);
	vg_txn_end(&x);
	return rc;
}

/*
 * x->nd: the domain's lines as they are, with the window @args (words
 * "KEY=VALUE", read by the policy parser) or none (@args NULL).
 */
static int window_build(struct vg_txn *x, char *const *args, unsigned int n)
{
	const struct vg_config_domain *od = vg_config_domain(x->cur, x->domain);
	struct vg_config *scratch = NULL;
	struct vg_config_err e;
	struct vg_strbuf b = {0}, v = {0};
	unsigned int i;
	int rc;

	if (!od) {
		vg_assign_msg("domain %s: not in %s (give it lines first: "
			      "vgpio-assign assign)",
			      x->domain, x->t->policy);
		return RC_INVALID;
	}
	if (!args && !od->has_xen_device) {
		vg_assign_msg("domain %s: has no xen-device", x->domain);
		return RC_INVALID;
	}
	x->nd.name = (char *)x->domain;
	x->nd.lines = calloc(od->nlines, sizeof(*x->nd.lines));
	if (!x->nd.lines) {
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	memcpy(x->nd.lines, od->lines, od->nlines * sizeof(*od->lines));
	x->nd.nlines = od->nlines;
	if (!args)
		return RC_OK;
	for (i = 0; i < n; i++)
		vg_strbuf_addf(&v, "%s%s", i ? " " : "", args[i]);
	/* The parser's own rules and messages, in a section of its own. */
	vg_strbuf_addf(&b, "[domain %s]\nlines = c 0\nxen-device = %s\n",
		       x->domain, v.s ? v.s : "");
	if (b.rc || v.rc) {
		free(b.s);
		free(v.s);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = vg_config_parse_err(b.s, b.len, "-", &scratch, &e);
	free(b.s);
	if (rc) {
		if (e.line == 3)
			vg_assign_msg("xen-device '%s': %s", v.s ? v.s : "",
				      e.msg);
		else
			vg_assign_msg("domain %s: %s", x->domain, e.msg);
		free(v.s);
		return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
	}
	free(v.s);
	x->nd.has_xen_device = true;
	x->nd.xen_device = scratch->domains[0].xen_device;
	vg_config_free(scratch);
	return RC_OK;
}

int vg_cmd_window(const struct vg_assign *t, const char *domain,
		  char *const *args, unsigned int n)
{
	struct vg_txn x;
	unsigned int i;
	int rc;

	rc = vg_txn_arg_check("domain", domain);
	for (i = 0; !rc && i < n; i++)
		rc = vg_txn_arg_check("xen-device", args[i]);
	if (rc)
		return rc;
	rc = vg_txn_begin(&x, t, domain);
	if (!rc)
		rc = window_build(&x, args, n);
	if (!rc)
		rc = vg_txn_splice(&x);
	if (!rc)
		rc = vg_txn_commit(&x);
	vg_txn_end(&x);
	return rc;
}
