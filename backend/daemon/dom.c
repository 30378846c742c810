// SPDX-License-Identifier: BSD-3-Clause
/*
 * The daemon's domains and the lines it holds for them (contract in
 * dom.h). A held line is a struct dom_line with a stable address: it is
 * the provider's callback argument, and a line that stays assigned across
 * a policy change is shared by the old and the new table until the swap,
 * so it is never released in between.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dom.h"

/* One host line held for a domain. */
struct dom_line {
	struct vg_dom *dom;
	unsigned int gpio; /* index in the table the device serves */
	bool live; /* in dom->cur: its events go to the device */
	enum vg_safe parked; /* while parked: the safe value it holds */
	struct vg_line_spec spec; /* chip and line point into dom_line */
	char *chip, *line;
	struct vg_provider prov;
	struct vg_line *h;
	struct vg_remote_lent *lent; /* a worker drives it (remote.h) */
	bool fd_lent; /* a worker holds its request fd (line_lend) */
};

struct vg_dom_set {
	struct vg_acl acl;
	struct dom_line **dl; /* acl.n entries; NULL = revoked or absent */
	char **chip, **line; /* acl.n entries: the host line, as written */
};

/* --- sets ------------------------------------------------------------------- */

static struct vg_dom_set *set_new(unsigned int n)
{
	struct vg_dom_set *s = calloc(1, sizeof(*s));
	unsigned int m = n ? n : 1;

	if (!s)
		return NULL;
	s->acl.n = n;
	s->acl.lines = calloc(m, sizeof(*s->acl.lines));
	s->dl = calloc(m, sizeof(*s->dl));
	s->chip = calloc(m, sizeof(*s->chip));
	s->line = calloc(m, sizeof(*s->line));
	if (!s->acl.lines || !s->dl || !s->chip || !s->line) {
		free(s->acl.lines);
		free(s->dl);
		free(s->chip);
		free(s->line);
		free(s);
		return NULL;
	}
	return s;
}

/* Free the container; the held lines it points to are not touched. */
static void set_free(struct vg_dom_set *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->acl.n; i++) {
		free(s->chip[i]);
		free(s->line[i]);
	}
	free(s->acl.lines);
	free(s->dl);
	free(s->chip);
	free(s->line);
	free(s);
}

static bool set_has(const struct vg_dom_set *s, const struct dom_line *dl)
{
	unsigned int i;

	for (i = 0; s && i < s->acl.n; i++)
		if (s->dl[i] == dl)
			return true;
	return false;
}

/* --- held lines --------------------------------------------------------------- */

static void dl_event(void *arg, unsigned int edge)
{
	struct dom_line *dl = arg;

	if (dl->lent)
		vg_remote_server_event(dl->lent, edge);
	else if (dl->live && dl->dom->gpio)
		vg_gpio_line_event(dl->dom->gpio, dl->gpio, edge);
}

/*
 * Take a lent line back from its worker. A sim line: the worker no longer
 * reaches it. A real line: the provider reads its events and drives it
 * again; the worker's copy of the fd is the worker's to drop.
 */
static void dl_unlend(struct dom_line *dl)
{
	if (dl->lent) {
		vg_remote_server_revoke(dl->lent);
		dl->lent = NULL;
	}
	if (dl->fd_lent) {
		(void)dl->prov.ops->line_reclaim(dl->prov.ctx, dl->h);
		dl->fd_lent = false;
	}
}

static void spec_of(const struct vg_config_line *cl, struct vg_line_spec *sp)
{
	*sp = (struct vg_line_spec){
		.chip = cl->chip,
		.line = cl->line,
		.bias = cl->bias,
		.drive = cl->drive,
		.active_low = cl->active_low,
		.debounce_us = cl->debounce_us,
		.initial_dir =
			cl->safe == VG_SAFE_INPUT ? VG_DIR_IN : VG_DIR_OUT,
		.initial_value = cl->safe == VG_SAFE_HIGH,
	};
}

/* Same host line as written and same electrical options. */
static bool spec_same(const struct vg_line_spec *a,
		      const struct vg_line_spec *b)
{
	return a->bias == b->bias && a->drive == b->drive &&
	       a->active_low == b->active_low &&
	       a->debounce_us == b->debounce_us;
}

/* Edge detection may be on whatever the device recorded: turn it off. */
static void safe_state(const struct vg_provider *p, struct vg_line *h,
		       enum vg_safe safe)
{
	unsigned int edges = VG_EDGE_BOTH;

	(void)vg_acl_safe_state(p, h, safe, &edges);
}

static void dl_close(struct dom_line *dl, enum vg_safe safe)
{
	if (!dl)
		return;
	dl_unlend(dl);
	safe_state(&dl->prov, dl->h, safe);
	dl->prov.ops->line_close(dl->prov.ctx, dl->h);
	free(dl->chip);
	free(dl->line);
	free(dl);
}

/*
 * A line taken from its domain: one with a safe output value stays held
 * ("parked") at that value, since a released line's level is up to the
 * chip driver; a safe-input line is released.
 */
static void dl_drop(struct vg_doms *ds, struct dom_line *dl, enum vg_safe safe)
{
	struct dom_line **v;

	if (safe != VG_SAFE_INPUT && !ds->p.lent) {
		v = realloc(ds->parked, (ds->nparked + 1) * sizeof(*v));
		if (v) {
			dl_unlend(dl);
			safe_state(&dl->prov, dl->h, safe);
			dl->live = false;
			dl->parked = safe;
			ds->parked = v;
			ds->parked[ds->nparked++] = dl;
			return;
		}
	}
	dl_close(dl, safe);
}

/* Release parked lines the new policy assigns again (they move). */
static void unpark(struct vg_doms *ds, const struct vg_config *cfg)
{
	unsigned int i, j, k, n = 0;

	for (i = 0; i < ds->nparked; i++) {
		struct dom_line *dl = ds->parked[i];
		bool wanted = false;

		for (j = 0; j < cfg->ndomains; j++)
			for (k = 0; k < cfg->domains[j].nlines; k++) {
				const struct vg_config_line *cl =
					&cfg->domains[j].lines[k];

				wanted |= !strcmp(cl->chip, dl->chip) &&
					  !strcmp(cl->line, dl->line);
			}
		if (wanted)
			dl_close(dl, dl->parked);
		else
			ds->parked[n++] = dl;
	}
	ds->nparked = n;
}

static int dl_open(struct vg_doms *ds, struct vg_dom *dom, const char *domname,
		   const struct vg_config_line *cl, struct dom_line **out,
		   char *err, size_t errlen)
{
	char consumer[VG_CONFIG_NAME_MAX + 8];
	struct dom_line *dl;
	unsigned int i;
	int rc;

	*out = NULL;
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return -ENOMEM;
	dl->chip = strdup(cl->chip);
	dl->line = strdup(cl->line);
	if (!dl->chip || !dl->line) {
		rc = -ENOMEM;
		goto err;
	}
	spec_of(cl, &dl->spec);
	dl->spec.chip = dl->chip;
	dl->spec.line = dl->line;
	dl->dom = dom;
	for (i = 0; i < ds->p.nprov; i++) {
		const struct vg_provider *p = &ds->p.prov[i];

		if (p->ops->claims(p->ctx, cl->chip)) {
			dl->prov = *p;
			break;
		}
	}
	if (i == ds->p.nprov) {
		snprintf(err, errlen,
			 "domain %s: chip %s line %s: no line provider serves "
			 "chip %s (no sim chip of that name, and host GPIO "
			 "chips are not available here)",
			 domname, cl->chip, cl->line, cl->chip);
		rc = -ENOENT;
		goto err;
	}
	snprintf(consumer, sizeof(consumer), "vgpio:%s", domname);
	rc = dl->prov.ops->line_open(dl->prov.ctx, &dl->spec, consumer,
				     dl_event, dl, &dl->h);
	if (rc) {
		snprintf(err, errlen,
			 "domain %s: cannot open chip %s line %s: %s", domname,
			 cl->chip, cl->line,
			 rc == -EBUSY ? "in use by another consumer"
				      : strerror(-rc));
		goto err;
	}
	*out = dl;
	return 0;
err:
	free(dl->chip);
	free(dl->line);
	free(dl);
	return rc;
}

/* The held line for (@chip, @line) in any domain's tables, or NULL. */
static struct dom_line *held_find(struct vg_doms *ds, const char *chip,
				  const char *line)
{
	unsigned int i, k, j;

	for (i = 0; i < ds->n; i++) {
		struct vg_dom_set *sets[2] = {ds->v[i]->cur, ds->v[i]->next};

		for (k = 0; k < 2; k++)
			for (j = 0; sets[k] && j < sets[k]->acl.n; j++) {
				struct dom_line *dl = sets[k]->dl[j];

				if (dl && !strcmp(dl->chip, chip) &&
				    !strcmp(dl->line, line))
					return dl;
			}
	}
	for (i = 0; i < ds->nparked; i++)
		if (!strcmp(ds->parked[i]->chip, chip) &&
		    !strcmp(ds->parked[i]->line, line))
			return ds->parked[i];
	return NULL;
}

static bool is_parked(const struct vg_doms *ds, const struct dom_line *dl)
{
	unsigned int i;

	for (i = 0; i < ds->nparked; i++)
		if (ds->parked[i] == dl)
			return true;
	return false;
}

/* Fill table entry @i for @dl (may be NULL: not open yet) from @cl. */
static int set_entry(struct vg_dom_set *s, unsigned int i, struct dom_line *dl,
		     const struct vg_config_line *cl)
{
	struct vg_acl_line *al = &s->acl.lines[i];

	s->dl[i] = dl;
	s->chip[i] = strdup(cl->chip);
	s->line[i] = strdup(cl->line);
	if (!s->chip[i] || !s->line[i])
		return -ENOMEM;
	al->allow = cl->allow;
	al->safe = cl->safe;
	al->revoked = !dl;
	if (dl) {
		al->prov = dl->prov;
		al->line = dl->h;
	}
	/* The administrator's name, else the host's. */
	snprintf(al->name, sizeof(al->name), "%s",
		 cl->name[0] || !dl
			 ? cl->name
			 : dl->prov.ops->line_name(dl->prov.ctx, dl->h));
	return 0;
}

/* --- domains -------------------------------------------------------------------- */

static struct vg_dom *dom_new(struct vg_doms *ds, const char *name)
{
	struct vg_dom *dom = calloc(1, sizeof(*dom));

	if (!dom)
		return NULL;
	dom->cur = set_new(0);
	if (!dom->cur) {
		free(dom);
		return NULL;
	}
	snprintf(dom->name, sizeof(dom->name), "%s", name);
	dom->ds = ds;
	vg_log_init(&dom->log, ds->p.sink, "%s/0", name);
	return dom;
}

/* Free @dom and its tables; its lines must be closed already. */
static void dom_free(struct vg_dom *dom)
{
	set_free(dom->cur);
	set_free(dom->next);
	free(dom);
}

struct vg_dom *vg_doms_find(struct vg_doms *ds, const char *name)
{
	unsigned int i;

	for (i = 0; i < ds->n; i++)
		if (!strcmp(ds->v[i]->name, name))
			return ds->v[i];
	return NULL;
}

/* @s becomes what the guest sees; every line left in cur is in @s. */
static void dom_swap(struct vg_dom *dom, struct vg_dom_set *s)
{
	unsigned int i;

	set_free(dom->cur);
	dom->cur = s;
	for (i = 0; i < s->acl.n; i++) {
		struct dom_line *dl = s->dl[i];

		if (dl) {
			dl->dom = dom;
			dl->gpio = i;
			dl->live = true;
		}
	}
}

void vg_dom_reset_hook(void *arg, struct vg_gpio *g)
{
	struct vg_dom *dom = arg;
	int rc;

	/* An empty table cannot be served: wait for the disconnection. */
	if (!dom->next || !dom->next->acl.n)
		return;
	rc = vg_gpio_set_acl(g, &dom->next->acl);
	if (rc) {
		vg_log_warnx(&dom->log, "new line table not applied: %s",
			     strerror(-rc));
		return;
	}
	dom_swap(dom, dom->next);
	dom->next = NULL;
	vg_log_info(&dom->log, "device reset: now serving %u line(s)",
		    dom->cur->acl.n);
}

int vg_dom_attach(struct vg_dom *dom, void *conn, const struct vg_bus *bus,
		  const struct vg_guest_info *info, struct vg_mmio **mmio,
		  char *reason, size_t reason_len)
{
	struct vg_gpio_params gp;
	int rc;

	if (!vg_dom_acl(dom)->n) {
		snprintf(reason, reason_len,
			 "domain '%s' has no lines assigned", dom->name);
		return ENOENT;
	}
	if (dom->gpio) {
		snprintf(reason, reason_len, "domain '%s' already connected",
			 dom->name);
		return EBUSY;
	}
	gp = (struct vg_gpio_params){
		.acl = vg_dom_acl(dom),
		.bus = *bus,
		.log = &dom->log,
		.reset_hook = vg_dom_reset_hook,
		.reset_arg = dom,
	};
	rc = vg_gpio_new(&gp, &dom->gpio);
	if (rc) {
		dom->gpio = NULL;
		snprintf(reason, reason_len, "cannot create device: %s",
			 strerror(-rc));
		return -rc;
	}
	vg_mmio_init(&dom->mmio, vg_gpio_vdev(dom->gpio), &dom->log);
	dom->conn = conn;
	dom->info = info;
	*mmio = &dom->mmio;
	return 0;
}

void vg_dom_detach(struct vg_dom *dom)
{
	struct vg_gpio_stats st;

	if (!dom->gpio)
		return;
	vg_gpio_get_stats(dom->gpio, &st);
	vg_gpio_stats_add(&dom->done, &st);
	/* Lines back to their safe state while RAM is still mapped. */
	vg_gpio_free(dom->gpio);
	dom->gpio = NULL;
	dom->conn = NULL;
	dom->info = NULL;
	memset(&dom->mmio, 0, sizeof(dom->mmio));
	/* A table that waited for the guest takes effect now. */
	if (dom->next) {
		dom_swap(dom, dom->next);
		dom->next = NULL;
	}
}

struct vg_dom *vg_doms_find_conn(struct vg_doms *ds, const void *conn)
{
	unsigned int i;

	for (i = 0; conn && i < ds->n; i++)
		if (ds->v[i]->conn == conn)
			return ds->v[i];
	return NULL;
}

void vg_dom_stats(const struct vg_dom *dom, struct vg_gpio_stats *st)
{
	struct vg_gpio_stats cur;

	*st = dom->done;
	if (dom->gpio) {
		vg_gpio_get_stats(dom->gpio, &cur);
		vg_gpio_stats_add(st, &cur);
	}
}

const struct vg_acl *vg_dom_acl(const struct vg_dom *dom)
{
	return &dom->cur->acl;
}

bool vg_dom_pending(const struct vg_dom *dom)
{
	return dom->next != NULL;
}

void vg_dom_line_host(const struct vg_dom *dom, unsigned int i,
		      const char **chip, const char **line)
{
	*chip = i < dom->cur->acl.n ? dom->cur->chip[i] : "?";
	*line = i < dom->cur->acl.n ? dom->cur->line[i] : "?";
}

/* --- lending lines to a worker ----------------------------------------------- */

/* The held line of @s matching @spec exactly (host line and options). */
static struct dom_line *set_match(const struct vg_dom_set *s,
				  const struct vg_line_spec *spec)
{
	unsigned int i;

	for (i = 0; s && i < s->acl.n; i++) {
		struct dom_line *dl = s->dl[i];

		if (dl && !strcmp(dl->chip, spec->chip) &&
		    !strcmp(dl->line, spec->line) &&
		    spec_same(&dl->spec, spec) &&
		    dl->spec.initial_dir == spec->initial_dir &&
		    dl->spec.initial_value == spec->initial_value)
			return dl;
	}
	return NULL;
}

_Static_assert(VG_ALLOW_IN == VG_REMOTE_ALLOW_IN &&
		       VG_ALLOW_OUT == VG_REMOTE_ALLOW_OUT &&
		       VG_ALLOW_IRQ == VG_REMOTE_ALLOW_IRQ,
	       "the remote rights are the ACL's");

/*
 * The rights the domain's tables give @dl (the waiting one's too), and
 * the safe value it may always be driven to.
 */
static unsigned int dl_allow(const struct vg_dom *dom,
			     const struct dom_line *dl)
{
	const struct vg_dom_set *sets[2] = {dom->cur, dom->next};
	unsigned int k, i, allow = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] && i < sets[k]->acl.n; i++) {
			const struct vg_acl_line *al = &sets[k]->acl.lines[i];

			if (sets[k]->dl[i] != dl || al->revoked)
				continue;
			allow |= al->allow;
			if (al->safe == VG_SAFE_LOW)
				allow |= VG_REMOTE_SAFE_LOW;
			if (al->safe == VG_SAFE_HIGH)
				allow |= VG_REMOTE_SAFE_HIGH;
		}
	return allow;
}

int vg_dom_lend(struct vg_dom *dom, const struct vg_line_spec *spec,
		struct vg_remote_lent *cookie, struct vg_provider *prov,
		struct vg_line **line, unsigned int *allow, void **token)
{
	struct dom_line *dl = set_match(dom->cur, spec);

	if (!dl)
		dl = set_match(dom->next, spec);
	if (!dl)
		return -EACCES;
	/* acl.h's rights are the remote ones, bit for bit. */
	*allow = dl_allow(dom, dl);
	if (dl->lent)
		return -EBUSY;
	dl->lent = cookie;
	*prov = dl->prov;
	*line = dl->h;
	*token = dl;
	return 0;
}

void vg_dom_give_back(void *token)
{
	struct dom_line *dl = token;
	const struct vg_dom_set *s = dl->dom->cur;
	enum vg_safe safe = VG_SAFE_INPUT;
	unsigned int i;

	dl->lent = NULL;
	for (i = 0; i < s->acl.n; i++)
		if (s->dl[i] == dl)
			safe = s->acl.lines[i].safe;
	if (dl->dom->next)
		for (i = 0; i < dl->dom->next->acl.n; i++)
			if (dl->dom->next->dl[i] == dl)
				safe = dl->dom->next->acl.lines[i].safe;
	safe_state(&dl->prov, dl->h, safe);
}

/* The safe state of @dl in @dom's tables (the waiting one wins). */
static enum vg_safe dl_safe(const struct vg_dom *dom, const struct dom_line *dl)
{
	const struct vg_dom_set *sets[2] = {dom->next, dom->cur};
	unsigned int k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] && i < sets[k]->acl.n; i++)
			if (sets[k]->dl[i] == dl)
				return sets[k]->acl.lines[i].safe;
	return VG_SAFE_INPUT;
}

int vg_dom_lend_fds(struct vg_dom *dom, struct vg_dom_fd *out, unsigned int max,
		    unsigned int *n)
{
	const struct vg_dom_set *sets[2] = {dom->cur, dom->next};
	unsigned int k, i;
	int fd;

	*n = 0;
	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] && i < sets[k]->acl.n; i++) {
			struct dom_line *dl = sets[k]->dl[i];

			if (!dl || dl->fd_lent || !dl->prov.ops->line_lend)
				continue;
			if (*n == max)
				return -E2BIG;
			fd = dl->prov.ops->line_lend(dl->prov.ctx, dl->h);
			if (fd < 0)
				return fd;
			dl->fd_lent = true;
			out[*n] = (struct vg_dom_fd){
				.chip = dl->chip,
				.line = dl->line,
				.name = dl->prov.ops->line_name(dl->prov.ctx,
								dl->h),
				.fd = fd,
			};
			(*n)++;
		}
	return 0;
}

void vg_dom_remote_begin(struct vg_dom *dom)
{
	dom->remote = true;
}

void vg_dom_remote_end(struct vg_dom *dom)
{
	const struct vg_dom_set *sets[2] = {dom->cur, dom->next};
	unsigned int k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] && i < sets[k]->acl.n; i++) {
			struct dom_line *dl = sets[k]->dl[i];

			if (!dl || (!dl->fd_lent && !dl->lent))
				continue;
			dl_unlend(dl);
			safe_state(&dl->prov, dl->h, dl_safe(dom, dl));
		}
	dom->remote = false;
	/* A table that waited for the worker takes effect now. */
	if (dom->next) {
		dom_swap(dom, dom->next);
		dom->next = NULL;
	}
}

int vg_dom_policy_next(const struct vg_dom *dom, char **out, size_t *len)
{
	struct vg_dom tmp = *dom;

	if (dom->next)
		tmp.cur = dom->next;
	return vg_dom_policy(&tmp, out, len);
}

bool vg_dom_lent_reopened(const struct vg_dom *dom, const struct vg_config *cfg)
{
	const struct vg_dom_set *sets[2] = {dom->cur, dom->next};
	unsigned int k, i, j, l;

	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] && i < sets[k]->acl.n; i++) {
			const struct dom_line *dl = sets[k]->dl[i];

			if (!dl || !dl->fd_lent)
				continue;
			for (j = 0; j < cfg->ndomains; j++)
				for (l = 0; l < cfg->domains[j].nlines; l++) {
					const struct vg_config_line *cl =
						&cfg->domains[j].lines[l];
					struct vg_line_spec sp;

					if (strcmp(cl->chip, dl->chip) ||
					    strcmp(cl->line, dl->line))
						continue;
					spec_of(cl, &sp);
					if (strcmp(cfg->domains[j].name,
						   dom->name) ||
					    !spec_same(&dl->spec, &sp))
						return true;
				}
		}
	return false;
}

int vg_dom_policy(const struct vg_dom *dom, char **out, size_t *len)
{
	const struct vg_dom_set *s = dom->cur;
	struct vg_config_domain cd = {.name = (char *)dom->name};
	unsigned int i;
	int rc;

	cd.lines = calloc(s->acl.n ? s->acl.n : 1, sizeof(*cd.lines));
	if (!cd.lines)
		return -ENOMEM;
	for (i = 0; i < s->acl.n; i++) {
		const struct dom_line *dl = s->dl[i];
		struct vg_config_line *cl = &cd.lines[cd.nlines];

		if (!dl || s->acl.lines[i].revoked)
			continue;
		cl->chip = dl->chip;
		cl->line = dl->line;
		memcpy(cl->name, s->acl.lines[i].name, sizeof(cl->name));
		cl->allow = s->acl.lines[i].allow;
		cl->safe = s->acl.lines[i].safe;
		cl->bias = dl->spec.bias;
		cl->drive = dl->spec.drive;
		cl->active_low = dl->spec.active_low;
		cl->debounce_us = dl->spec.debounce_us;
		cd.nlines++;
	}
	rc = vg_config_write_domain(&cd, out, len);
	free(cd.lines);
	return rc;
}

/* --- applying a policy ------------------------------------------------------------- */

/* The new table of one policy domain while it is being planned. */
struct plan {
	const struct vg_config_domain *cd;
	struct vg_dom *dom;
	bool created; /* dom is new: freed if the plan fails */
	struct vg_dom_set *set;
	bool *fresh; /* entry opened by the plan phase */
};

static void plans_free(struct plan *pl, unsigned int n, bool close_fresh)
{
	unsigned int i, j;

	for (i = 0; pl && i < n; i++) {
		for (j = 0; close_fresh && pl[i].set && j < pl[i].set->acl.n;
		     j++)
			if (pl[i].fresh[j])
				dl_close(pl[i].set->dl[j],
					 pl[i].set->acl.lines[j].safe);
		set_free(pl[i].set);
		free(pl[i].fresh);
	}
	free(pl);
}

/*
 * Plan phase for one domain: share lines it holds unchanged, open lines
 * nobody holds; lines held elsewhere (or with other electrical options)
 * stay NULL, to be opened by the commit.
 */
static int plan_domain(struct vg_doms *ds, struct plan *p, char *err,
		       size_t errlen)
{
	const struct vg_config_domain *cd = p->cd;
	unsigned int i;
	int rc;

	p->set = set_new(cd->nlines);
	p->fresh = calloc(cd->nlines ? cd->nlines : 1, sizeof(*p->fresh));
	if (!p->set || !p->fresh)
		return -ENOMEM;
	for (i = 0; i < cd->nlines; i++) {
		const struct vg_config_line *cl = &cd->lines[i];
		struct dom_line *dl = held_find(ds, cl->chip, cl->line);
		struct vg_line_spec sp;

		spec_of(cl, &sp);
		if (dl && !(dl->dom == p->dom && spec_same(&dl->spec, &sp) &&
			    !is_parked(ds, dl)))
			dl = NULL; /* moves: opened by the commit */
		else if (!dl) {
			rc = dl_open(ds, p->dom, cd->name, cl, &dl, err,
				     errlen);
			if (rc)
				return rc;
			p->fresh[i] = true;
		}
		rc = set_entry(p->set, i, dl, cl);
		if (rc)
			return rc;
	}
	return 0;
}

/* Take away from @dom every line its new table @keep does not have. */
static unsigned int revoke_unkept(struct vg_doms *ds, struct vg_dom *dom,
				  const struct vg_dom_set *keep)
{
	struct vg_dom_set *cur = dom->cur, *old = dom->next;
	unsigned int i, n = 0;

	/*
	 * A table still waiting for a reset: drop what it alone held. First,
	 * while cur still names the lines both share (the loop below clears
	 * them), or a shared line would be dropped twice.
	 */
	for (i = 0; old && i < old->acl.n; i++) {
		struct dom_line *dl = old->dl[i];

		if (dl && !set_has(cur, dl) && !set_has(keep, dl))
			dl_drop(ds, dl, old->acl.lines[i].safe);
	}
	set_free(old);
	dom->next = NULL;
	for (i = 0; i < cur->acl.n; i++) {
		struct dom_line *dl = cur->dl[i];
		struct vg_acl_line *al = &cur->acl.lines[i];

		if (!dl || set_has(keep, dl))
			continue;
		al->revoked = true;
		if (dom->gpio)
			vg_gpio_line_revoked(dom->gpio, i);
		dl_drop(ds, dl, al->safe);
		cur->dl[i] = NULL;
		al->line = NULL;
		n++;
		vg_log_info(&dom->log, "line %u (%s %s) revoked", i,
			    cur->chip[i], cur->line[i]);
	}
	return n;
}

/* Commit phase: open the moved lines of @p's table. */
static unsigned int open_moved(struct vg_doms *ds, struct plan *p,
			       struct vg_doms_change *chg)
{
	unsigned int i, n = 0;
	char err[256];
	int rc;

	for (i = 0; i < p->cd->nlines; i++) {
		const struct vg_config_line *cl = &p->cd->lines[i];
		struct dom_line *dl;

		if (p->set->dl[i] || p->fresh[i])
			continue;
		rc = dl_open(ds, p->dom, p->cd->name, cl, &dl, err,
			     sizeof(err));
		if (rc) {
			vg_log_warnx(ds->p.log, "%s", err);
			chg->failed++;
			continue;
		}
		free(p->set->chip[i]);
		free(p->set->line[i]);
		(void)set_entry(p->set, i, dl, cl);
		n++;
	}
	return n;
}

static int doms_grow(struct vg_doms *ds, unsigned int extra)
{
	struct vg_dom **v = realloc(ds->v, (ds->n + extra + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ds->v = v;
	return 0;
}

int vg_doms_apply(struct vg_doms *ds, const struct vg_config *cfg,
		  struct vg_doms_change *chg, char *err, size_t errlen)
{
	struct vg_doms_change none;
	unsigned int i, j, nnew = 0;
	struct plan *pl;
	int rc = 0;

	if (!chg)
		chg = &none;
	memset(chg, 0, sizeof(*chg));
	err[0] = '\0';
	pl = calloc(cfg->ndomains ? cfg->ndomains : 1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	for (i = 0; i < cfg->ndomains; i++) {
		pl[i].cd = &cfg->domains[i];
		pl[i].dom = vg_doms_find(ds, pl[i].cd->name);
		if (!pl[i].dom) {
			pl[i].dom = dom_new(ds, pl[i].cd->name);
			if (!pl[i].dom) {
				rc = -ENOMEM;
				break;
			}
			pl[i].created = true;
			nnew++;
		}
		rc = plan_domain(ds, &pl[i], err, errlen);
		if (rc)
			break;
	}
	if (!rc)
		rc = doms_grow(ds, nnew);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		for (i = 0; i < cfg->ndomains; i++)
			if (pl[i].created)
				dom_free(pl[i].dom);
		plans_free(pl, cfg->ndomains, true);
		return rc;
	}

	/*
	 * The plan holds: let the owner end workers whose lent request fds
	 * the commit must reopen (dom.h, before_commit).
	 */
	if (ds->p.before_commit)
		ds->p.before_commit(ds->p.arg, cfg);

	/* Commit: nothing below can fail but a moved line's reopening. */
	for (i = 0; i < ds->n; i++) {
		struct vg_dom_set *keep = NULL;

		for (j = 0; j < cfg->ndomains; j++)
			if (pl[j].dom == ds->v[i])
				keep = pl[j].set;
		chg->revoked += revoke_unkept(ds, ds->v[i], keep);
	}
	unpark(ds, cfg);
	for (i = 0; i < cfg->ndomains; i++) {
		if (pl[i].created)
			ds->v[ds->n++] = pl[i].dom;
		for (j = 0; j < pl[i].set->acl.n; j++)
			chg->added += pl[i].fresh[j];
		chg->added += open_moved(ds, &pl[i], chg);
	}
	/* Every domain gets its new table (removed domains an empty one). */
	for (i = 0; i < ds->n; i++) {
		struct vg_dom *dom = ds->v[i];
		struct vg_dom_set *s = NULL;

		for (j = 0; j < cfg->ndomains; j++)
			if (pl[j].dom == dom) {
				s = pl[j].set;
				pl[j].set = NULL;
			}
		if (!s) {
			s = set_new(0);
			if (!s)
				continue; /* keeps its all-revoked table */
		}
		if (dom->gpio) {
			dom->next = s;
			chg->deferred++;
		} else {
			dom_swap(dom, s);
			/*
			 * A worker's guest sees the new table from its next
			 * reset (the worker defers it); the parent's custody
			 * follows the policy at once.
			 */
			if (dom->remote)
				chg->deferred++;
		}
	}
	plans_free(pl, cfg->ndomains, false);
	return 0;
}

void vg_doms_init(struct vg_doms *ds, const struct vg_doms_params *p)
{
	memset(ds, 0, sizeof(*ds));
	ds->p = *p;
}

void vg_doms_dispose(struct vg_doms *ds)
{
	unsigned int i, j;

	for (i = 0; i < ds->n; i++) {
		struct vg_dom *dom = ds->v[i];
		struct vg_dom_set *cur = dom->cur, *next = dom->next;

		for (j = 0; next && j < next->acl.n; j++)
			if (next->dl[j] && !set_has(cur, next->dl[j]))
				dl_close(next->dl[j], next->acl.lines[j].safe);
		for (j = 0; j < cur->acl.n; j++)
			dl_close(cur->dl[j], cur->acl.lines[j].safe);
		dom_free(dom);
	}
	for (i = 0; i < ds->nparked; i++)
		dl_close(ds->parked[i], ds->parked[i]->parked);
	free(ds->parked);
	free(ds->v);
	memset(ds, 0, sizeof(*ds));
}

void vg_doms_parked(const struct vg_doms *ds, unsigned int i, const char **chip,
		    const char **line, int *value)
{
	const struct dom_line *dl = ds->parked[i];

	*chip = dl->chip;
	*line = dl->line;
	*value = dl->parked == VG_SAFE_HIGH;
}
