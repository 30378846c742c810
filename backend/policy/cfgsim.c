// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy file's [sim NAME] section: a simulated chip, its line names,
 * wires and pulls. Wires and pulls may name lines of chips defined later,
 * so they are recorded for cfgcheck.c rather than resolved here.
 */
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "num.h"

#define CFG_MAX_SIM_LINES 512u /* VG_SIM_MAX_LINES */

static struct vg_config_sim *cur_sim(struct vg_cfgparse *p)
{
	return &p->cfg->sims[p->cfg->nsims - 1];
}

struct vg_config_sim *vg_cfgsim_find(const struct vg_config *cfg,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nsims; i++)
		if (!strcmp(cfg->sims[i].name, name))
			return &cfg->sims[i];
	return NULL;
}

int vg_cfgsim_line(const struct vg_config_sim *s, const char *line)
{
	unsigned int i;

	/* One precedence for line references: see base/num.h. */
	if (vg_lineref_offset(line, &i))
		return i < s->nlines ? (int)i : -1;
	for (i = 0; s->names && i < s->nlines; i++)
		if (s->names[i] && !strcmp(s->names[i], line))
			return (int)i;
	return -1;
}

static int sim_begin(struct vg_cfgparse *p, const struct vg_cfgtok *name)
{
	struct vg_config *cfg = p->cfg;
	struct vg_config_sim *s;

	/* Wires write chip:line, so a sim chip's name cannot hold ':'. */
	if (memchr(name->s, ':', name->len))
		return vg_cfglex_err(&p->lx, name->col,
				     "sim chip name '%.*s' contains ':'",
				     VG_TOKF(name));
	s = VG_CFG_PUSH(cfg->sims, cfg->nsims);
	if (s)
		s->name = vg_cfgtok_dup(name);
	if (!s || !s->name)
		return vg_cfglex_nomem(&p->lx);
	if (vg_cfgsim_find(cfg, s->name) != s)
		return vg_cfglex_err(&p->lx, name->col,
				     "duplicate section [sim %.*s]",
				     VG_TOKF(name));
	return 0;
}

/* lines = N */
static int sim_lines(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	const struct vg_cfgtok *t;
	uint32_t n;
	int rc;

	(void)key;
	rc = vg_cfglex_expect(&p->lx, VG_TOK_WORD, "a line count", &t);
	if (!rc)
		rc = vg_cfglex_num(&p->lx, t, 1, CFG_MAX_SIM_LINES, &n);
	if (!rc)
		cur_sim(p)->nlines = n;
	return rc;
}

/* names = NAME|- ... (one per line) */
static int sim_names(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	struct vg_cfglex *lx = &p->lx;
	struct vg_config_sim *s = cur_sim(p);
	unsigned int i = 0, j;
	const struct vg_cfgtok *t;
	int rc;

	s->names = calloc(s->nlines, sizeof(*s->names));
	if (!s->names)
		return vg_cfglex_nomem(lx);
	for (; vg_cfglex_peek(lx); i++) {
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a line name", &t);
		if (rc)
			return rc;
		if (i == s->nlines)
			return vg_cfglex_err(lx, t->col,
					     "more names than lines (%u)",
					     s->nlines);
		if (vg_cfgtok_is(t, "-"))
			continue;
		rc = vg_cfglex_name(lx, t, "line name", VG_GPIO_NAME_MAX);
		if (rc)
			return rc;
		if (vg_cfg_is_offset(t->s, t->len))
			return vg_cfglex_err(lx, t->col,
					     "line name '%.*s' would read as "
					     "an offset",
					     VG_TOKF(t));
		for (j = 0; j < i; j++)
			if (s->names[j] && vg_cfgtok_is(t, s->names[j]))
				return vg_cfglex_err(lx, t->col,
						     "duplicate line name "
						     "'%.*s'",
						     VG_TOKF(t));
		s->names[i] = vg_cfgtok_dup(t);
		if (!s->names[i])
			return vg_cfglex_nomem(lx);
	}
	if (i < s->nlines)
		return vg_cfglex_err(lx, key->col, "%u names for %u lines", i,
				     s->nlines);
	return 0;
}

/* [chip:]line; the chip defaults to the current section's. */
static int wire_end(struct vg_cfgparse *p, const struct vg_cfgtok *t,
		    char **chip, char **line)
{
	const char *colon = memchr(t->s, ':', t->len);
	struct vg_cfgtok c = *t, l = *t;

	if (colon) {
		c.len = (unsigned int)(colon - t->s);
		l.s = colon + 1;
		l.len = t->len - c.len - 1;
		l.col = t->col + c.len + 1;
		if (!c.len || !l.len)
			return vg_cfglex_err(&p->lx, t->col,
					     "expected CHIP:LINE, got '%.*s'",
					     VG_TOKF(t));
	}
	*chip = colon ? vg_cfgtok_dup(&c) : strdup(cur_sim(p)->name);
	*line = vg_cfgtok_dup(&l);
	return *chip && *line ? 0 : vg_cfglex_nomem(&p->lx);
}

/* wire = OUT -> IN */
static int sim_wire(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	struct vg_cfglex *lx = &p->lx;
	struct vg_config_sim *s = cur_sim(p);
	const struct vg_cfgtok *o, *in;
	struct vg_config_wire *w;
	int rc;

	(void)key;
	rc = vg_cfglex_expect(lx, VG_TOK_WORD, "an output line", &o);
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_ARROW, "'->'", NULL);
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "an input line", &in);
	if (rc)
		return rc;
	w = VG_CFG_PUSH(s->wires, s->nwires);
	if (!w)
		return vg_cfglex_nomem(lx);
	rc = wire_end(p, o, &w->out_chip, &w->out_line);
	if (!rc)
		rc = wire_end(p, in, &w->in_chip, &w->in_line);
	if (!rc)
		rc = vg_cfgcheck_add(p, VG_REF_WIRE, p->cfg->nsims - 1,
				     s->nwires - 1, vg_cfglex_pos(lx, o),
				     vg_cfglex_pos(lx, in));
	return rc;
}

/* pull = LINE up|down */
static int sim_pull(struct vg_cfgparse *p, const struct vg_cfgtok *key)
{
	static const char *const levels[] = {"down", "up"};
	struct vg_cfglex *lx = &p->lx;
	struct vg_config_sim *s = cur_sim(p);
	const struct vg_cfgtok *line, *lv;
	struct vg_config_pull *pl;
	struct vg_cfgpos at;
	unsigned int v;
	int rc;

	(void)key;
	rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a line", &line);
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "up or down", &lv);
	if (!rc)
		rc = vg_cfglex_pick(lx, lv, "pull", levels, 2, &v);
	if (rc)
		return rc;
	pl = VG_CFG_PUSH(s->pulls, s->npulls);
	if (pl)
		pl->line = vg_cfgtok_dup(line);
	if (!pl || !pl->line)
		return vg_cfglex_nomem(lx);
	pl->value = (int)v;
	at = vg_cfglex_pos(lx, line);
	return vg_cfgcheck_add(p, VG_REF_PULL, p->cfg->nsims - 1, s->npulls - 1,
			       at, at);
}

static const struct vg_cfgkey sim_key_list[] = {
	{.name = "lines", .parse = sim_lines},
	{.name = "names", .parse = sim_names},
	{.name = "wire", .parse = sim_wire, .repeatable = true},
	{.name = "pull", .parse = sim_pull, .repeatable = true},
};

static const struct vg_cfgkeys sim_keys = {
	.what = "key",
	.where = " in [sim]",
	.first_required = true,
	.v = sim_key_list,
	.n = VG_ARRAY_SIZE(sim_key_list),
};

const struct vg_cfgsect vg_cfgsim_sect = {
	.name = "sim",
	.what = "chip name",
	.begin = sim_begin,
	.keys = &sim_keys,
};
