// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy file's [domain NAME] section: a guest's ordered line set
 * and each line's options. Host lines and guest names are checked
 * across domains by cfgcheck.c once the whole file is read.
 */
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

static const struct vg_cfgkey domain_key_list[] = {
	{.name = "lines", .parse = domain_lines},
	{.name = "line",
	 .parse = domain_line,
	 .form = VG_KEY_OWN,
	 .repeatable = true},
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
