// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy file's [domain NAME] section: a guest's ordered line set,
 * each line's options and its Xen device window. Host lines and guest
 * names are checked across domains by cfgcheck.c once the whole file is
 * read; windows need no check across domains (each is another guest's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"

/* virtio-gpio's ngpio is 16 bits wide. */
#define CFG_MAX_DOMAIN_LINES 65535u

static struct vg_config_domain *cur_dom(struct vg_cfgparse *p)
{
	return &p->cfg->domains[p->cfg->ndomains - 1];
}

static int domain_begin(struct vg_cfgparse *p, const struct vg_cfgtok *name)
{
	struct vg_config *cfg = p->cfg;
	struct vg_config_domain *d;

	d = VG_CFG_PUSH(cfg->domains, cfg->ndomains);
	if (d)
		d->name = vg_cfgtok_dup(name);
	if (!d || !d->name)
		return vg_cfglex_nomem(&p->lx);
	if (vg_config_domain(cfg, d->name) != d)
		return vg_cfglex_err(&p->lx, name->col,
				     "duplicate section [domain %.*s]",
				     VG_TOKF(name));
	return 0;
}

static int domain_add_line(struct vg_cfgparse *p, const struct vg_cfgtok *chip,
			   const struct vg_cfgtok *line)
{
	struct vg_cfglex *lx = &p->lx;
	struct vg_config_domain *d = cur_dom(p);
	struct vg_config_line *l;
	int rc;

	if (d->nlines == CFG_MAX_DOMAIN_LINES)
		return vg_cfglex_err(lx, line->col, "more than %u lines",
				     CFG_MAX_DOMAIN_LINES);
	rc = vg_cfglex_name(lx, line, "line", VG_GPIO_NAME_MAX);
	if (rc)
		return rc;
	l = VG_CFG_PUSH(d->lines, d->nlines);
	if (!l)
		return vg_cfglex_nomem(lx);
	l->allow = VG_ALLOW_ALL;
	l->safe = VG_SAFE_INPUT;
	l->bias = VG_BIAS_AS_IS;
	l->drive = VG_DRIVE_PUSH_PULL;
	l->chip = vg_cfgtok_dup(chip);
	l->line = vg_cfgtok_dup(line);
	if (!l->chip || !l->line)
		return vg_cfglex_nomem(lx);
	return vg_cfgcheck_add(p, VG_REF_HOST_LINE, p->cfg->ndomains - 1,
			       d->nlines - 1, vg_cfglex_pos(lx, line),
			       vg_cfglex_pos(lx, chip));
}

/* lines = CHIP L [L ...][, CHIP L ...] */
static int domain_lines(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	struct vg_cfglex *lx = &p->lx;
	const struct vg_cfgtok *chip, *t;
	int rc;

	(void)key;
	if (!vg_cfglex_peek(lx))
		return vg_cfglex_err(lx, lx->eol_col, "empty line set");
	do {
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a chip", &chip);
		if (!rc)
			rc = vg_cfglex_name(lx, chip, "chip name",
					    VG_CONFIG_NAME_MAX);
		if (rc)
			return rc;
		t = vg_cfglex_take(lx, VG_TOK_WORD);
		if (!t)
			return vg_cfglex_err(lx, chip->col,
					     "chip '%.*s' has no lines",
					     VG_TOKF(chip));
		do
			rc = domain_add_line(p, chip, t);
		while (!rc && (t = vg_cfglex_take(lx, VG_TOK_WORD)));
		if (rc)
			return rc;
	} while (vg_cfglex_take(lx, VG_TOK_COMMA));
	p->opts_done = calloc(cur_dom(p)->nlines, 1);
	return p->opts_done ? 0 : vg_cfglex_nomem(lx);
}

/* --- a domain line's options -------------------------------------------- */

static int opt_name(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	struct vg_config_line *l = p->line;
	struct vg_cfgpos at = vg_cfglex_pos(&p->lx, t);
	int rc = vg_cfglex_name(&p->lx, t, "name", VG_GPIO_NAME_MAX);

	if (rc)
		return rc;
	memcpy(l->name, t->s, t->len);
	l->name[t->len] = '\0';
	return vg_cfgcheck_add(p, VG_REF_GUEST_NAME, p->cfg->ndomains - 1,
			       (unsigned int)(l - cur_dom(p)->lines), at, at);
}

/* allow = in|out|irq[,...] */
static int opt_allow(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	static const char *const words[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	struct vg_cfglex *lx = &p->lx;
	unsigned int *allow = &p->line->allow;
	unsigned int i;
	int rc;

	*allow = 0;
	for (;;) {
		rc = vg_cfglex_pick(lx, t, "allow value", words, 3, &i);
		if (rc)
			return rc;
		if (*allow & bits[i])
			return vg_cfglex_err(lx, t->col, "'%s' listed twice",
					     words[i]);
		*allow |= bits[i];
		if (!vg_cfglex_take(lx, VG_TOK_COMMA))
			return 0;
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "in, out or irq", &t);
		if (rc)
			return rc;
	}
}

static int opt_safe(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	unsigned int i;
	int rc = vg_cfglex_pick(&p->lx, t, "safe state", vg_config_safe_words,
				VG_ARRAY_SIZE(vg_config_safe_words), &i);

	if (!rc)
		p->line->safe = (enum vg_safe)i;
	return rc;
}

static int opt_bias(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	unsigned int i;
	int rc = vg_cfglex_pick(&p->lx, t, "bias", vg_config_bias_words,
				VG_ARRAY_SIZE(vg_config_bias_words), &i);

	if (!rc)
		p->line->bias = (enum vg_bias)i;
	return rc;
}

static int opt_drive(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	unsigned int i;
	int rc = vg_cfglex_pick(&p->lx, t, "drive", vg_config_drive_words,
				VG_ARRAY_SIZE(vg_config_drive_words), &i);

	if (!rc)
		p->line->drive = (enum vg_drive)i;
	return rc;
}

static int opt_active_low(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	static const char *const w[] = {"no", "yes"};
	unsigned int i;
	int rc = vg_cfglex_pick(&p->lx, t, "active-low value", w, 2, &i);

	if (!rc)
		p->line->active_low = i == 1;
	return rc;
}

static int opt_debounce(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	return vg_cfglex_num(&p->lx, t, 0, UINT32_MAX, &p->line->debounce_us);
}

static const struct vg_cfgkey line_opt_list[] = {
	{.name = "name", .parse = opt_name, .form = VG_KEY_VALUE},
	{.name = "allow", .parse = opt_allow, .form = VG_KEY_VALUE},
	{.name = "safe", .parse = opt_safe, .form = VG_KEY_VALUE},
	{.name = "bias", .parse = opt_bias, .form = VG_KEY_VALUE},
	{.name = "drive", .parse = opt_drive, .form = VG_KEY_VALUE},
	{.name = "active-low", .parse = opt_active_low, .form = VG_KEY_VALUE},
	{.name = "debounce", .parse = opt_debounce, .form = VG_KEY_VALUE},
};

static const struct vg_cfgkeys line_opts = {
	.what = "option",
	.where = "",
	.v = line_opt_list,
	.n = VG_ARRAY_SIZE(line_opt_list),
};

/* A guest index, or the line token as written in `lines`. */
static int line_ref(struct vg_cfgparse *p, const struct vg_cfgtok *ref,
		    unsigned int *out)
{
	struct vg_config_domain *d = cur_dom(p);
	unsigned int i, found = 0;
	uint32_t idx;
	int rc;

	if (vg_cfg_is_digits(ref->s, ref->len)) {
		rc = vg_cfglex_num(&p->lx, ref, 0, d->nlines - 1, &idx);
		if (!rc)
			*out = idx;
		return rc;
	}
	for (i = 0; i < d->nlines; i++) {
		if (!vg_cfgtok_is(ref, d->lines[i].line))
			continue;
		if (found++)
			return vg_cfglex_err(&p->lx, ref->col,
					     "line '%.*s' is ambiguous, use "
					     "its guest index",
					     VG_TOKF(ref));
		*out = i;
	}
	if (!found)
		return vg_cfglex_err(&p->lx, ref->col,
				     "no line '%.*s' in this domain's lines",
				     VG_TOKF(ref));
	return 0;
}

/* line REF = OPT=VALUE ... */
static int domain_line(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	struct vg_cfglex *lx = &p->lx;
	const struct vg_cfgtok *ref, *name;
	unsigned int idx = 0, given = 0;
	int rc;

	(void)key;
	rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a line", &ref);
	if (!rc)
		rc = line_ref(p, ref, &idx);
	if (rc)
		return rc;
	if (p->opts_done[idx])
		return vg_cfglex_err(lx, ref->col,
				     "options for line %u given twice", idx);
	p->opts_done[idx] = 1;
	p->line = &cur_dom(p)->lines[idx];
	rc = vg_cfglex_expect(lx, VG_TOK_EQ, "'='", NULL);
	if (!rc && !vg_cfglex_peek(lx))
		rc = vg_cfglex_err(lx, lx->eol_col, "expected an option");
	while (!rc && vg_cfglex_peek(lx)) {
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "an option", &name);
		if (!rc)
			rc = vg_cfgparse_key(p, &line_opts, name, &given);
	}
	return rc;
}

/* --- the domain's Xen device window ---------------------------------------- */

int vg_config_xen_device_check(const struct vg_devspec *d, char *err,
			       size_t errlen)
{
	const char *what;

	if (d->domid) {
		snprintf(err, errlen,
			 "domid=%u: a policy's window serves every domain of "
			 "its name, not one domid",
			 d->domid);
		return -EINVAL;
	}
	if (d->base % VG_DEVSPEC_WINDOW ||
	    d->base > UINT64_MAX - (VG_DEVSPEC_WINDOW - 1)) {
		snprintf(err, errlen,
			 "base=%#llx: must be a multiple of %#x (the device "
			 "window)",
			 (unsigned long long)d->base, VG_DEVSPEC_WINDOW);
		return -EINVAL;
	}
	switch (d->irq_kind) {
	case VG_IRQ_DEFAULT:
		/* The daemon's build picks the kind; the number fits one. */
		if (vg_devspec_irq_ok(VG_IRQ_ISA, d->irq) ||
		    vg_devspec_irq_ok(VG_IRQ_SPI, d->irq))
			break;
		snprintf(err, errlen,
			 "irq=%u: neither an ISA IRQ (1..15) nor a GIC SPI "
			 "(32..1019)",
			 d->irq);
		return -EINVAL;
	case VG_IRQ_ISA:
	case VG_IRQ_SPI:
		if (vg_devspec_irq_ok(d->irq_kind, d->irq))
			break;
		snprintf(err, errlen, "irq=%u: out of range for irqtype=%s",
			 d->irq,
			 d->irq_kind == VG_IRQ_ISA ? "isa (1..15)"
						   : "spi (32..1019)");
		return -EINVAL;
	default:
		snprintf(err, errlen, "unknown irqtype");
		return -EINVAL;
	}
	/* An ISA IRQ, whether said or by its number (no SPI is below 32). */
	if (d->irq <= 15 &&
	    vg_devspec_isa_use(d->irq, &what) == VG_ISA_FIRMWARE) {
		snprintf(err, errlen,
			 "irq=%u: an HVM guest's firmware routes ISA IRQ %u to "
			 "%s; choose a free one",
			 d->irq, d->irq, what);
		return -EINVAL;
	}
	return 0;
}

/* One KEY=VALUE of xen-device, by vgpiod --device's rules. */
static int xen_opt(struct vg_cfgparse *p, const char *key,
		   const struct vg_cfgtok *t)
{
	char err[VG_CONFIG_ERR_MSG_MAX], *v = vg_cfgtok_dup(t);
	int rc;

	if (!v)
		return vg_cfglex_nomem(&p->lx);
	rc = vg_devspec_set(&cur_dom(p)->xen_device, key, v, err, sizeof(err));
	free(v);
	return rc ? vg_cfglex_err(&p->lx, t->col, "%s", err) : 0;
}

static int xen_base(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	return xen_opt(p, "base", t);
}

static int xen_irq(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	p->xen_irq_col = t->col;
	return xen_opt(p, "irq", t);
}

static int xen_irqtype(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	return xen_opt(p, "irqtype", t);
}

static int xen_grants(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	return xen_opt(p, "grants", t);
}

/* --device has it; a name in the policy stands for every domid. */
static int xen_domid(struct vg_cfgparse *p, const struct vg_cfgtok *t)
{
	return vg_cfglex_err(&p->lx, t->col,
			     "no domid here: the window serves every domain "
			     "named %s",
			     cur_dom(p)->name);
}

static const struct vg_cfgkey xen_opt_list[] = {
	{.name = "base", .parse = xen_base, .form = VG_KEY_VALUE},
	{.name = "irq", .parse = xen_irq, .form = VG_KEY_VALUE},
	{.name = "irqtype", .parse = xen_irqtype, .form = VG_KEY_VALUE},
	{.name = "grants", .parse = xen_grants, .form = VG_KEY_VALUE},
	{.name = "domid", .parse = xen_domid, .form = VG_KEY_VALUE},
};

static const struct vg_cfgkeys xen_opts = {
	.what = "xen-device option",
	.where = " (base, irq, irqtype, grants)",
	.v = xen_opt_list,
	.n = VG_ARRAY_SIZE(xen_opt_list),
};

/* xen-device = base=ADDR irq=N [irqtype=isa|spi] [grants=0|1] */
static int domain_xen_device(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	struct vg_cfglex *lx = &p->lx;
	struct vg_config_domain *d = cur_dom(p);
	const struct vg_cfgtok *name;
	char err[VG_CONFIG_ERR_MSG_MAX];
	unsigned int given = 0;
	int rc = 0;

	(void)key;
	d->has_xen_device = true;
	while (!rc && vg_cfglex_peek(lx)) {
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a xen-device option",
				      &name);
		if (!rc)
			rc = vg_cfgparse_key(p, &xen_opts, name, &given);
	}
	if (rc)
		return rc;
	/* Bits 0 and 1: base and irq, in xen_opt_list's order. */
	if ((given & 3u) != 3u)
		return vg_cfglex_err(lx, lx->eol_col, "xen-device needs %s",
				     given & 1u	  ? "irq="
				     : given & 2u ? "base="
						  : "base= and irq=");
	if (vg_config_xen_device_check(&d->xen_device, err, sizeof(err)))
		return vg_cfglex_err(lx, p->xen_irq_col, "%s", err);
	return 0;
}

static const struct vg_cfgkey domain_key_list[] = {
	{.name = "lines", .parse = domain_lines},
	{.name = "line",
	 .parse = domain_line,
	 .form = VG_KEY_OWN,
	 .repeatable = true},
	{.name = "xen-device", .parse = domain_xen_device},
};

static const struct vg_cfgkeys domain_keys = {
	.what = "key",
	.where = " in [domain]",
	.first_required = true,
	.v = domain_key_list,
	.n = VG_ARRAY_SIZE(domain_key_list),
};

const struct vg_cfgsect vg_cfgdomain_sect = {
	.name = "domain",
	.what = "domain name",
	.begin = domain_begin,
	.keys = &domain_keys,
};
