// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: what it prints about the policy: list, show and check, as
 * text or as one JSON document (docs/vgpio-assign.8.md, --json). The
 * JSON is written from the parsed policy with the project's JSON writer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "cfgparse.h"

int vg_assign_json_print(struct vg_strbuf *b, const struct vg_jw *w)
{
	int rc = vg_jw_done(w);

	if (rc)
		vg_assign_msg("JSON output: %s", strerror(-rc));
	else
		puts(b->s);
	free(b->s);
	memset(b, 0, sizeof(*b));
	return rc ? RC_FAIL : RC_OK;
}

void vg_assign_policy_error(const struct vg_assign *t,
			    const struct vg_config_err *e, const char *note)
{
	struct vg_strbuf b = {0};
	char why[ASSIGN_ERR_MAX];
	struct vg_jw w;

	vg_config_err_format(e, why, sizeof(why));
	vg_assign_msg("%s%s", why, note);
	if (!t->json)
		return;
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "policy", t->policy);
	vg_jw_key(&w, "error");
	vg_config_err_json(&w, e);
	vg_jw_obj_end(&w);
	vg_assign_json_print(&b, &w);
}

int vg_cmd_list(const struct vg_assign *t)
{
	struct vg_strbuf b = {0};
	struct vg_config *cfg;
	struct vg_ptext text;
	struct vg_jw w;
	unsigned int i;
	int rc = vg_policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "policy", t->policy);
	vg_jw_karr(&w, "domains");
	for (i = 0; i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		if (!t->json) {
			printf("%s %u\n", d->name, d->nlines);
			continue;
		}
		vg_jw_obj(&w);
		vg_jw_kstr(&w, "name", d->name);
		vg_jw_ku64(&w, "lines", d->nlines);
		vg_jw_obj_end(&w);
	}
	vg_jw_arr_end(&w);
	vg_jw_obj_end(&w);
	if (t->json)
		rc = vg_assign_json_print(&b, &w);
	free(b.s);
	vg_config_free(cfg);
	free(text.s);
	return rc;
}

/* The guest's name for @l: given, or the sim line's; "": the host's. */
static const char *guest_name(const struct vg_config *cfg,
			      const struct vg_config_line *l)
{
	const struct vg_config_sim *s = vg_cfgsim_find(cfg, l->chip);
	int off;

	if (l->name[0] || !s || !s->names)
		return l->name;
	off = vg_cfgsim_line(s, l->line);
	return off >= 0 && s->names[off] ? s->names[off] : "";
}

static void show_line(const struct vg_assign *t, struct vg_jw *w,
		      const struct vg_config *cfg, unsigned int i,
		      const struct vg_config_line *l)
{
	const char *name = guest_name(cfg, l);
	bool sim = vg_cfgsim_find(cfg, l->chip) != NULL;
	char allow[32];

	vg_acl_allow_str(l->allow, allow, sizeof(allow));
	if (!t->json) {
		printf("%u %s %s name=%s allow=%s safe=%s bias=%s drive=%s "
		       "active-low=%s debounce=%u sim=%s\n",
		       i, l->chip, l->line, name[0] ? name : "-", allow,
		       vg_config_safe_words[l->safe],
		       vg_config_bias_words[l->bias],
		       vg_config_drive_words[l->drive],
		       l->active_low ? "yes" : "no",
		       (unsigned int)l->debounce_us, sim ? "yes" : "no");
		return;
	}
	vg_jw_obj(w);
	vg_jw_ku64(w, "index", i);
	vg_jw_kstr(w, "chip", l->chip);
	vg_jw_kstr(w, "line", l->line);
	vg_jw_kstr(w, "name", name);
	vg_jw_key(w, "allow");
	vg_jw_words(w, allow, ',');
	vg_jw_kstr(w, "safe", vg_config_safe_words[l->safe]);
	vg_jw_kstr(w, "bias", vg_config_bias_words[l->bias]);
	vg_jw_kstr(w, "drive", vg_config_drive_words[l->drive]);
	vg_jw_kbool(w, "active_low", l->active_low);
	vg_jw_ku64(w, "debounce_us", l->debounce_us);
	vg_jw_kbool(w, "sim", sim);
	vg_jw_obj_end(w);
}

/* The domain's xen-device: a last text line, or the JSON member. */
static void show_window(const struct vg_assign *t, struct vg_jw *w,
			const struct vg_config_domain *d)
{
	const struct vg_devspec *x = &d->xen_device;
	const char *kind = x->irq_kind == VG_IRQ_ISA   ? "isa"
			   : x->irq_kind == VG_IRQ_SPI ? "spi"
						       : NULL;

	if (!t->json) {
		if (d->has_xen_device)
			printf("xen-device base=%#llx irq=%u%s%s grants=%d\n",
			       (unsigned long long)x->base, x->irq,
			       kind ? " irqtype=" : "", kind ? kind : "",
			       x->grants);
		return;
	}
	if (!d->has_xen_device) {
		vg_jw_knull(w, "xen_device");
		return;
	}
	vg_jw_kobj(w, "xen_device");
	vg_jw_ku64(w, "base", x->base);
	vg_jw_ku64(w, "irq", x->irq);
	if (kind)
		vg_jw_kstr(w, "irqtype", kind);
	else
		vg_jw_knull(w, "irqtype");
	vg_jw_kbool(w, "grants", x->grants);
	vg_jw_obj_end(w);
}

int vg_cmd_show(const struct vg_assign *t, const char *domain)
{
	const struct vg_config_domain *d;
	struct vg_strbuf b = {0};
	struct vg_config *cfg;
	struct vg_ptext text;
	struct vg_jw w;
	unsigned int i;
	int rc = vg_policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	d = vg_config_domain(cfg, domain);
	if (!d) {
		vg_assign_msg("domain %s: not in %s", domain, t->policy);
		rc = RC_INVALID;
		goto out;
	}
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "domain", d->name);
	vg_jw_karr(&w, "lines");
	for (i = 0; i < d->nlines; i++)
		show_line(t, &w, cfg, i, &d->lines[i]);
	vg_jw_arr_end(&w);
	show_window(t, &w, d);
	vg_jw_obj_end(&w);
	if (t->json)
		rc = vg_assign_json_print(&b, &w);
out:
	free(b.s);
	vg_config_free(cfg);
	free(text.s);
	return rc;
}

/* A host line that is missing or in use, as text or as a JSON member. */
static void check_line_problem(const struct vg_assign *t, struct vg_jw *w,
			       const char *domain,
			       const struct vg_config_line *l, const char *why)
{
	if (!t->json) {
		printf("%s: domain %s: %s\n", t->policy, domain, why);
		return;
	}
	vg_jw_obj(w);
	vg_jw_kstr(w, "domain", domain);
	vg_jw_kstr(w, "chip", l->chip);
	vg_jw_kstr(w, "line", l->line);
	vg_jw_kstr(w, "message", why);
	vg_jw_obj_end(w);
}

int vg_cmd_check(const struct vg_assign *t)
{
	struct vg_config *cfg = NULL;
	struct vg_config_err e;
	struct vg_strbuf b = {0};
	struct vg_ptext text;
	char why[ASSIGN_ERR_MAX];
	unsigned int i, k, nprob = 0, nprobed = 0;
	struct vg_jw w;
	int rc = vg_ptext_read(t->policy, false, &text);

	if (rc) {
		vg_assign_msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "policy", t->policy);
	vg_jw_karr(&w, "problems");
	if (vg_config_parse_err(text.s, text.len, t->policy, &cfg, &e)) {
		nprob++;
		vg_config_err_format(&e, why, sizeof(why));
		if (t->json)
			vg_config_err_json(&w, &e);
		else
			printf("%s\n", why);
	}
	for (i = 0; cfg && i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		for (k = 0; k < d->nlines; k++) {
			if (vg_cfgsim_find(cfg, d->lines[k].chip))
				continue;
			nprobed++;
			if (!vg_line_probe(d->name, &d->lines[k], why,
					   sizeof(why)))
				continue;
			nprob++;
			check_line_problem(t, &w, d->name, &d->lines[k], why);
		}
	}
	vg_jw_arr_end(&w);
	vg_jw_kbool(&w, "ok", !nprob);
	vg_jw_ku64(&w, "domains", cfg ? cfg->ndomains : 0);
	vg_jw_ku64(&w, "probed", nprobed);
	vg_jw_obj_end(&w);
	if (t->json)
		rc = vg_assign_json_print(&b, &w);
	else if (nprob)
		printf("%s: %u problem(s)\n", t->policy, nprob);
	else
		printf("%s: ok (%u domain(s), %u host line(s) probed)\n",
		       t->policy, cfg->ndomains, nprobed);
	free(b.s);
	vg_config_free(cfg);
	free(text.s);
	return nprob ? RC_FAIL : rc;
}
