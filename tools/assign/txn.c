// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: one edit of the policy, as a transaction: lock, read,
 * parse, build the domain's new section from the arguments, splice it into
 * the text, validate the whole text, replace the file, apply it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "assign.h"
#include "cfgparse.h"
#include "num.h"

int vg_txn_begin(struct vg_txn *x, const struct vg_assign *t,
		 const char *domain)
{
	struct vg_config_err e;
	int rc;

	memset(x, 0, sizeof(*x));
	x->t = t;
	x->domain = domain;
	x->lockfd = vg_lock_take(t->policy);
	if (x->lockfd < 0) {
		vg_assign_msg("%s.lock: %s", t->policy,
			      x->lockfd == -ETIMEDOUT
				      ? "held by another vgpio-assign"
				      : strerror(-x->lockfd));
		return RC_FAIL;
	}
	rc = vg_ptext_read(t->policy, true, &x->old);
	if (rc) {
		vg_assign_msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	if (vg_config_parse_err(x->old.s, x->old.len, t->policy, &x->cur, &e)) {
		vg_assign_policy_error(t, &e, " (fix the file first)");
		return RC_FAIL;
	}
	return RC_OK;
}

void vg_txn_end(struct vg_txn *x)
{
	vg_config_free(x->next);
	free(x->text);
	free(x->nd.lines);
	vg_config_free(x->scratch);
	vg_config_free(x->cur);
	free(x->old.s);
	if (x->lockfd >= 0)
		close(x->lockfd); /* releases the flock */
}

int vg_txn_arg_check(const char *what, const char *arg)
{
	if (strpbrk(arg, "#\r\n")) {
		/* Not echoed: it would not stay on one line. */
		vg_assign_msg(
			"%s: comments ('#') and line breaks are not allowed",
			what);
		return RC_INVALID;
	}
	return RC_OK;
}

int vg_txn_scratch(struct vg_txn *x, const char *pre, const char *lineset,
		   char *const *entries, unsigned int nentries)
{
	struct vg_strbuf b = {0};
	struct vg_config_err perr;
	const char *why = perr.msg;
	unsigned int i, line, col, at;
	int rc;

	vg_strbuf_add(&b, "[domain ");
	vg_strbuf_add(&b, x->domain);
	vg_strbuf_add(&b, "]\nlines = ");
	vg_strbuf_add(&b, pre);
	vg_strbuf_add(&b, lineset);
	vg_strbuf_add(&b, "\n");
	for (i = 0; i < nentries; i++) {
		const char *e = entries[i] + strspn(entries[i], " \t");
		size_t ref = strcspn(e, " \t=");

		/* "REF OPT=VAL ...", or as in the file, "REF = OPT=VAL ..." */
		vg_strbuf_add(&b, "line ");
		vg_strbuf_addn(&b, e, ref);
		if (e[ref + strspn(e + ref, " \t")] != '=')
			vg_strbuf_add(&b, " =");
		vg_strbuf_add(&b, e + ref);
		vg_strbuf_add(&b, "\n");
	}
	if (b.rc) {
		free(b.s);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = vg_config_parse_err(b.s, b.len, "-", &x->scratch, &perr);
	free(b.s);
	if (!rc)
		return RC_OK;
	/* The position says which argument the problem is in. */
	line = perr.line;
	col = perr.col;
	at = (unsigned int)(strlen("lines = ") + strlen(pre));
	if (rc == -ENOMEM || !line)
		vg_assign_msg("%s", why);
	else if (line == 1)
		vg_assign_msg("domain name '%s': %s", x->domain, why);
	else if (line == 2 && col > at)
		vg_assign_msg("line set '%s': column %u: %s", lineset, col - at,
			      why);
	else if (line == 2)
		vg_assign_msg("line set '%s': %s", lineset, why);
	else if (line - 3 < nentries)
		vg_assign_msg("--line '%s': %s", entries[line - 3], why);
	else
		vg_assign_msg("%s", why);
	return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
}

unsigned int vg_txn_entry_index(const struct vg_config_domain *d,
				const char *entry)
{
	uint64_t v;
	size_t n;
	unsigned int i;

	entry += strspn(entry, " \t");
	n = strcspn(entry, " \t=");
	/* The parser accepted it: a number is a guest index in range. */
	if (!vg_num_parse(entry, n, 0, UINT32_MAX, &v))
		return (unsigned int)v;
	for (i = 0; i < d->nlines; i++)
		if (strlen(d->lines[i].line) == n &&
		    !memcmp(d->lines[i].line, entry, n))
			break;
	return i; /* the parser accepted the entry: found */
}

int vg_txn_splice(struct vg_txn *x)
{
	const struct vg_ptext *o = &x->old;
	struct vg_strbuf b = {0};
	struct vg_config_err e;
	char *sect = NULL;
	size_t start = o->len, end = o->len;
	int rc, found;

	if (x->nd.nlines) {
		rc = vg_config_write_domain(&x->nd, &sect, NULL);
		if (rc) {
			vg_assign_msg("domain %s: cannot write its section: %s",
				      x->domain, strerror(-rc));
			return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
		}
	}
	found = vg_config_find_section(o->s, o->len, "domain", x->domain,
				       &start, &end);
	if (found < 0) {
		free(sect);
		vg_assign_msg("%s: %s", x->t->policy, strerror(-found));
		return RC_FAIL;
	}
	/* A removed section takes its blank lines along after a blank line. */
	while (found && !sect && start >= 2 &&
	       !strncmp(o->s + start - 2, "\n\n", 2) && end < o->len &&
	       o->s[end] == '\n')
		end++;
	vg_strbuf_addn(&b, o->s, start);
	if (!found && o->len) {
		/* A new section goes at the end, after a blank line. */
		if (o->s[o->len - 1] != '\n')
			vg_strbuf_add(&b, "\n");
		vg_strbuf_add(&b, "\n");
	}
	if (sect)
		vg_strbuf_add(&b, sect);
	vg_strbuf_addn(&b, o->s + end, o->len - end);
	vg_strbuf_add(&b, ""); /* an empty policy is text too */
	free(sect);
	if (b.rc) {
		free(b.s);
		vg_assign_msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	x->text = b.s;
	x->len = b.len;
	rc = vg_config_parse_err(x->text, x->len, x->t->policy, &x->next, &e);
	if (rc) {
		vg_assign_msg("domain %s: %s", x->domain, e.msg);
		return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
	}
	return RC_OK;
}

int vg_txn_commit(struct vg_txn *x)
{
	int rc;

	if (x->old.exists && x->len == x->old.len &&
	    !memcmp(x->text, x->old.s, x->len)) {
		vg_assign_msg("%s: no change", x->t->policy);
		return RC_OK;
	}
	rc = vg_file_replace(x->t->policy, x->text, x->len,
			     x->old.exists ? &x->old.st : NULL);
	if (rc) {
		vg_assign_msg("%s: %s (file unchanged)", x->t->policy,
			      strerror(-rc));
		return RC_FAIL;
	}
	return vg_assign_reload(x);
}
