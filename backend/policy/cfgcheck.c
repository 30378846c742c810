// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy file's references between sections: sim wires and pulls,
 * domain host lines and guest names. They are recorded with their
 * position while parsing and checked once the whole file is read, so
 * sections may come in any order and each error still names the token.
 */
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"

int vg_cfgcheck_add(struct vg_cfgparse *p, enum vg_cfgref_kind kind,
		    unsigned int sect, unsigned int entry, struct vg_cfgpos pos,
		    struct vg_cfgpos pos2)
{
	struct vg_cfgref *r = VG_CFG_PUSH(p->refs, p->nrefs);

	if (!r)
		return vg_cfglex_nomem(&p->lx);
	r->kind = kind;
	r->sect = sect;
	r->entry = entry;
	r->pos = pos;
	r->pos2 = pos2;
	return 0;
}

static int pos_cmp(struct vg_cfgpos a, struct vg_cfgpos b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.col != b.col)
		return a.col < b.col ? -1 : 1;
	return 0;
}

/* A host line or guest name, for duplicate detection by sorting. */
struct dup_key {
	const char *a; /* chip, or guest name */
	const char *b; /* host line as written; NULL for a resolved sim line */
	int off; /* sim line offset, or domain index for guest names */
	unsigned int dom;
	struct vg_cfgpos pos;
	const char *shown; /* the line as written, for messages */
};

static int dup_cmp(const void *x, const void *y)
{
	const struct dup_key *k = x, *l = y;
	int c = strcmp(k->a, l->a);

	if (!c && k->b && l->b)
		c = strcmp(k->b, l->b);
	if (!c && k->off != l->off)
		c = k->off < l->off ? -1 : 1;
	return c ? c : pos_cmp(k->pos, l->pos);
}

/* The sorted pair whose second member comes first in the file, or -1. */
static int first_dup(struct dup_key *keys, unsigned int n)
{
	unsigned int i;
	int best = -1;

	qsort(keys, n, sizeof(*keys), dup_cmp);
	for (i = 1; i < n; i++) {
		struct dup_key a = keys[i - 1], b = keys[i];

		a.pos = b.pos;
		if (dup_cmp(&a, &b) == 0 &&
		    (best < 0 || pos_cmp(b.pos, keys[best].pos) < 0))
			best = (int)i;
	}
	return best;
}

/* Per sim line: the marks that may be given once. */
enum { DRIVEN = 1, PULLED = 2 };

static int check_pull(struct vg_cfgparse *p, const struct vg_cfgref *r,
		      unsigned char **marks)
{
	const struct vg_config_sim *s = &p->cfg->sims[r->sect];
	const char *line = s->pulls[r->entry].line;
	int off = vg_cfgsim_line(s, line);

	if (off < 0)
		return vg_cfglex_err_at(&p->lx, r->pos,
					"no line '%s' on sim %s", line,
					s->name);
	if (marks[r->sect][off] & PULLED)
		return vg_cfglex_err_at(&p->lx, r->pos,
					"pull for '%s' given twice", line);
	marks[r->sect][off] |= PULLED;
	return 0;
}

static int check_wire(struct vg_cfgparse *p, const struct vg_cfgref *r,
		      unsigned char **marks)
{
	const struct vg_config *cfg = p->cfg;
	const struct vg_config_wire *w = &cfg->sims[r->sect].wires[r->entry];
	const struct vg_config_sim *so, *si;
	int lo, li;

	so = vg_cfgsim_find(cfg, w->out_chip);
	si = vg_cfgsim_find(cfg, w->in_chip);
	lo = so ? vg_cfgsim_line(so, w->out_line) : -1;
	li = si ? vg_cfgsim_line(si, w->in_line) : -1;
	if (!so || !si)
		return vg_cfglex_err_at(&p->lx, so ? r->pos2 : r->pos,
					"no sim chip '%s'",
					so ? w->in_chip : w->out_chip);
	if (lo < 0 || li < 0)
		return vg_cfglex_err_at(&p->lx, lo < 0 ? r->pos : r->pos2,
					"no line '%s' on sim %s",
					lo < 0 ? w->out_line : w->in_line,
					lo < 0 ? so->name : si->name);
	if (so == si && lo == li)
		return vg_cfglex_err_at(&p->lx, r->pos2,
					"line '%s' wired to itself",
					w->in_line);
	if (marks[si - cfg->sims][li] & DRIVEN)
		return vg_cfglex_err_at(&p->lx, r->pos2,
					"'%s' already has a driver",
					w->in_line);
	marks[si - cfg->sims][li] |= DRIVEN;
	return 0;
}

/* Wires and pulls name existing lines; a line has one driver, one pull. */
static int check_sim_refs(struct vg_cfgparse *p)
{
	const struct vg_config *cfg = p->cfg;
	unsigned char **marks;
	unsigned int i;
	int rc = 0;

	marks = calloc(cfg->nsims ? cfg->nsims : 1, sizeof(*marks));
	if (!marks)
		return vg_cfglex_nomem(&p->lx);
	for (i = 0; i < cfg->nsims; i++)
		if (!(marks[i] = calloc(cfg->sims[i].nlines, 1)))
			rc = vg_cfglex_nomem(&p->lx);
	for (i = 0; !rc && i < p->nrefs; i++)
		if (p->refs[i].kind == VG_REF_WIRE)
			rc = check_wire(p, &p->refs[i], marks);
		else if (p->refs[i].kind == VG_REF_PULL)
			rc = check_pull(p, &p->refs[i], marks);
	for (i = 0; i < cfg->nsims; i++)
		free(marks[i]);
	free(marks);
	return rc;
}

/*
 * A host line is in one domain, once; a sim line must exist. Guest
 * names, given or inherited from a sim line, are unique in a domain.
 */
static int check_domain_refs(struct vg_cfgparse *p)
{
	const struct vg_config *cfg = p->cfg;
	struct dup_key *hosts, *names;
	unsigned int i, nh = 0, nn = 0;
	int rc = 0, d;

	hosts = calloc(p->nrefs ? p->nrefs : 1, sizeof(*hosts));
	names = calloc(p->nrefs ? p->nrefs : 1, sizeof(*names));
	if (!hosts || !names) {
		rc = vg_cfglex_nomem(&p->lx);
		goto out;
	}
	for (i = 0; !rc && i < p->nrefs; i++) {
		const struct vg_cfgref *r = &p->refs[i];
		const struct vg_config_line *l;
		const struct vg_config_sim *s;
		int off = -1;

		if (r->kind != VG_REF_HOST_LINE && r->kind != VG_REF_GUEST_NAME)
			continue;
		l = &cfg->domains[r->sect].lines[r->entry];
		if (r->kind == VG_REF_GUEST_NAME) {
			names[nn++] =
				(struct dup_key){l->name, NULL,	  (int)r->sect,
						 r->sect, r->pos, NULL};
			continue;
		}
		/* A sim chip is resolved now; other chips by the provider. */
		s = vg_cfgsim_find(cfg, l->chip);
		if (s && (off = vg_cfgsim_line(s, l->line)) < 0) {
			rc = vg_cfglex_err_at(&p->lx, r->pos,
					      "no line '%s' on sim %s", l->line,
					      s->name);
			break;
		}
		hosts[nh++] = (struct dup_key){l->chip, s ? NULL : l->line,
					       off,	r->sect,
					       r->pos,	l->line};
		if (!l->name[0] && s && s->names && s->names[off])
			names[nn++] = (struct dup_key){s->names[off], NULL,
						       (int)r->sect,  r->sect,
						       r->pos,	      NULL};
	}
	if (rc)
		goto out;
	d = first_dup(hosts, nh);
	if (d >= 0) {
		const struct dup_key *a = &hosts[d - 1], *b = &hosts[d];

		if (a->dom == b->dom)
			rc = vg_cfglex_err_at(&p->lx, b->pos,
					      "host line %s %s listed twice",
					      b->a, b->shown);
		else
			rc = vg_cfglex_err_at(
				&p->lx, b->pos,
				"host line %s %s already in domain %s", b->a,
				b->shown, cfg->domains[a->dom].name);
		goto out;
	}
	d = first_dup(names, nn);
	if (d >= 0)
		rc = vg_cfglex_err_at(&p->lx, names[d].pos,
				      "duplicate guest name '%s'", names[d].a);
out:
	free(hosts);
	free(names);
	return rc;
}

int vg_cfgcheck_run(struct vg_cfgparse *p)
{
	int rc = check_sim_refs(p);

	return rc ? rc : check_domain_refs(p);
}
