// SPDX-License-Identifier: BSD-3-Clause
/*
 * "sim": simulated GPIO chips behind the line-provider seam.
 *
 * The model: every line has a pull (the physical level it reads when
 * nothing drives it) and, once opened, a direction, an output value and an
 * active-low flag. A wire lets an output line drive an input line. After
 * every change the physical level of every line is recomputed (one general
 * mechanism instead of per-op special cases; a sim has at most a few
 * thousand lines) and an edge event is queued for each input whose level
 * moved in a direction its edge detection asks for. Events sit in a queue
 * until dispatch(), so a provider op never calls back into the device
 * (include/vgpio/provider.h); an eventfd is readable while any are queued.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "num.h"
#include "sim.h"

/*
 * Bound on queued events so a test that toggles a pull in a loop without
 * dispatching cannot grow memory without limit. Like the kernel's line
 * event FIFO, the newest events are dropped when it is full.
 */
#define SIM_MAX_EVENTS 4096u

struct vg_line {
	struct vg_sim_chip *chip;
	unsigned int offset;
	char *name; /* NULL = unnamed */
	int pull; /* physical */
	struct vg_line *driver; /* the output wired to this line, or NULL */
	int level; /* physical, as of the last recompute */

	/* Valid while requested; reset by line_close. */
	bool requested;
	bool output;
	int out_phys; /* driven physical level while an output */
	bool active_low;
	unsigned int edges;
	enum vg_bias bias;
	enum vg_drive drive;
	uint32_t debounce_us; /* recorded only: no timing is simulated */
	char consumer[64];
	vg_line_event_fn cb;
	void *cb_arg;
};

struct vg_sim_chip {
	char *name;
	unsigned int nlines;
	struct vg_line *lines;
};

struct sim_event {
	struct vg_line *line;
	unsigned int edge;
	uint64_t seq;
};

struct vg_sim {
	struct vg_log *log;
	unsigned int nchips;
	struct vg_sim_chip **chips;

	/* Pending events are ev[head..tail). */
	struct sim_event *ev;
	unsigned int head, tail;
	uint64_t next_seq;
	unsigned long dropped;
	int efd;
	bool efd_armed;
};

static struct vg_sim_chip *sim_find_chip(struct vg_sim *sim, const char *name)
{
	unsigned int i;

	for (i = 0; i < sim->nchips; i++)
		if (!strcmp(sim->chips[i]->name, name))
			return sim->chips[i];
	return NULL;
}

/*
 * One precedence for every line reference (base/num.h): a decimal number
 * is an offset, anything else a name; sim line names are never numbers.
 */
static struct vg_line *sim_find_line(struct vg_sim *sim, const char *chip,
				     const char *line)
{
	struct vg_sim_chip *c;
	unsigned int i;

	if (!chip || !line)
		return NULL;
	c = sim_find_chip(sim, chip);
	if (!c)
		return NULL;
	if (vg_lineref_offset(line, &i))
		return i < c->nlines ? &c->lines[i] : NULL;
	for (i = 0; i < c->nlines; i++)
		if (c->lines[i].name && !strcmp(c->lines[i].name, line))
			return &c->lines[i];
	return NULL;
}

static int sim_line_level(const struct vg_line *l)
{
	if (l->output)
		return l->out_phys;
	if (l->driver && l->driver->output)
		return l->driver->out_phys;
	return l->pull;
}

static void sim_sync_fd(struct vg_sim *sim)
{
	uint64_t v = 1;
	ssize_t r;

	if (sim->head < sim->tail && !sim->efd_armed) {
		r = write(sim->efd, &v, sizeof(v));
		sim->efd_armed = r == (ssize_t)sizeof(v);
	} else if (sim->head == sim->tail && sim->efd_armed) {
		r = read(sim->efd, &v, sizeof(v));
		(void)r; /* EAGAIN only if already drained */
		sim->efd_armed = false;
	}
}

static void sim_queue(struct vg_sim *sim, struct vg_line *l, unsigned int edge)
{
	if (sim->tail == SIM_MAX_EVENTS && sim->head > 0) {
		memmove(sim->ev, sim->ev + sim->head,
			(sim->tail - sim->head) * sizeof(*sim->ev));
		sim->tail -= sim->head;
		sim->head = 0;
	}
	if (sim->tail == SIM_MAX_EVENTS) {
		if (!sim->dropped++)
			vg_log_warnx(sim->log,
				     "sim: event queue full, dropping events");
		return;
	}
	sim->ev[sim->tail].line = l;
	sim->ev[sim->tail].edge = edge;
	sim->ev[sim->tail].seq = sim->next_seq++;
	sim->tail++;
}

/* Drop queued events of @l (all of them if @l is NULL). */
static void sim_drop_events(struct vg_sim *sim, const struct vg_line *l)
{
	unsigned int i, n = sim->head;

	for (i = sim->head; i < sim->tail; i++)
		if (l && sim->ev[i].line != l)
			sim->ev[n++] = sim->ev[i];
	sim->tail = n;
	if (sim->head == sim->tail)
		sim->head = sim->tail = 0;
}

/*
 * Recompute every line's level and queue edges. Only requested inputs
 * report: an output's level changes only because its own user drove it,
 * and the kernel refuses edge detection on outputs too.
 */
static void sim_update(struct vg_sim *sim)
{
	unsigned int c, i;

	for (c = 0; c < sim->nchips; c++) {
		struct vg_sim_chip *chip = sim->chips[c];

		for (i = 0; i < chip->nlines; i++) {
			struct vg_line *l = &chip->lines[i];
			int level = sim_line_level(l);
			unsigned int edge;

			if (level == l->level)
				continue;
			l->level = level;
			edge = (level ^ l->active_low) ? VG_EDGE_RISING
						       : VG_EDGE_FALLING;
			if (l->requested && !l->output && (l->edges & edge))
				sim_queue(sim, l, edge);
		}
	}
	sim_sync_fd(sim);
}

int vg_sim_new(struct vg_log *log, struct vg_sim **out)
{
	struct vg_sim *sim;
	int rc;

	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	sim->log = log;
	sim->ev = calloc(SIM_MAX_EVENTS, sizeof(*sim->ev));
	if (!sim->ev) {
		rc = -ENOMEM;
		goto err_free;
	}
	sim->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sim->efd < 0) {
		rc = -errno;
		goto err_free;
	}
	*out = sim;
	return 0;

err_free:
	free(sim->ev);
	free(sim);
	return rc;
}

static void sim_chip_free(struct vg_sim_chip *c)
{
	unsigned int i;

	if (!c)
		return;
	if (c->lines)
		for (i = 0; i < c->nlines; i++)
			free(c->lines[i].name);
	free(c->lines);
	free(c->name);
	free(c);
}

void vg_sim_free(struct vg_sim *sim)
{
	unsigned int i;

	if (!sim)
		return;
	for (i = 0; i < sim->nchips; i++)
		sim_chip_free(sim->chips[i]);
	free(sim->chips);
	free(sim->ev);
	close(sim->efd);
	free(sim);
}

int vg_sim_add_chip(struct vg_sim *sim, const char *name, unsigned int nlines,
		    const char *const *names)
{
	struct vg_sim_chip *c, **chips;
	unsigned int i, j, off;

	if (!name || !*name || nlines < 1 || nlines > VG_SIM_MAX_LINES)
		return -EINVAL;
	if (sim_find_chip(sim, name))
		return -EEXIST;
	for (i = 0; names && i < nlines; i++) {
		if (!names[i] || !*names[i])
			continue;
		/* A numeric name would shadow another line's offset. */
		if (vg_lineref_offset(names[i], &off))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (names[j] && !strcmp(names[i], names[j]))
				return -EINVAL;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->name = strdup(name);
	c->lines = calloc(nlines, sizeof(*c->lines));
	if (!c->name || !c->lines)
		goto err_nomem;
	c->nlines = nlines;
	for (i = 0; i < nlines; i++) {
		c->lines[i].chip = c;
		c->lines[i].offset = i;
		if (names && names[i] && *names[i]) {
			c->lines[i].name = strdup(names[i]);
			if (!c->lines[i].name)
				goto err_nomem;
		}
	}
	chips = realloc(sim->chips, (sim->nchips + 1) * sizeof(*chips));
	if (!chips)
		goto err_nomem;
	sim->chips = chips;
	sim->chips[sim->nchips++] = c;
	return 0;

err_nomem:
	sim_chip_free(c);
	return -ENOMEM;
}

int vg_sim_wire(struct vg_sim *sim, const char *out_chip, const char *out_line,
		const char *in_chip, const char *in_line)
{
	struct vg_line *o = sim_find_line(sim, out_chip, out_line);
	struct vg_line *in = sim_find_line(sim, in_chip, in_line);

	if (!o || !in)
		return -ENOENT;
	if (o == in)
		return -EINVAL;
	if (in->driver)
		return -EBUSY;
	in->driver = o;
	sim_update(sim);
	return 0;
}

int vg_sim_set_pull(struct vg_sim *sim, const char *chip, const char *line,
		    int value)
{
	struct vg_line *l = sim_find_line(sim, chip, line);

	if (!l)
		return -ENOENT;
	if (value != 0 && value != 1)
		return -EINVAL;
	l->pull = value;
	sim_update(sim);
	return 0;
}

int vg_sim_get(struct vg_sim *sim, const char *chip, const char *line,
	       struct vg_sim_line_state *st)
{
	struct vg_line *l = sim_find_line(sim, chip, line);

	if (!l)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->requested = l->requested;
	st->output = l->output;
	st->value = sim_line_level(l);
	st->pull = l->pull;
	st->edges = l->edges;
	snprintf(st->consumer, sizeof(st->consumer), "%s", l->consumer);
	return 0;
}

bool vg_sim_has_chip(struct vg_sim *sim, const char *name)
{
	return sim_find_chip(sim, name) != NULL;
}

struct vg_provider vg_sim_provider(struct vg_sim *sim)
{
	struct vg_provider p = {.ops = &vg_sim_provider_ops, .ctx = sim};

	return p;
}

/* --- provider ops ------------------------------------------------------ */

static int sim_line_open(void *prov, const struct vg_line_spec *spec,
			 const char *consumer, vg_line_event_fn cb, void *arg,
			 struct vg_line **out)
{
	struct vg_sim *sim = prov;
	const char *chip = spec->chip ? spec->chip : "(null)";
	const char *line = spec->line ? spec->line : "(null)";
	struct vg_line *l;

	if (spec->initial_dir != VG_DIR_IN && spec->initial_dir != VG_DIR_OUT)
		goto err_inval;
	if (spec->initial_dir == VG_DIR_OUT && spec->initial_value != 0 &&
	    spec->initial_value != 1)
		goto err_inval;
	if (!spec->chip || !sim_find_chip(sim, spec->chip)) {
		vg_log_warnx(sim->log, "sim: %s:%s: no such chip", chip, line);
		return -ENOENT;
	}
	l = sim_find_line(sim, spec->chip, spec->line);
	if (!l) {
		vg_log_warnx(sim->log, "sim: %s:%s: no such line", chip, line);
		return -ENOENT;
	}
	if (l->requested) {
		vg_log_warnx(sim->log, "sim: %s:%s: busy (held by %s)", chip,
			     line, l->consumer);
		return -EBUSY;
	}

	l->requested = true;
	snprintf(l->consumer, sizeof(l->consumer), "%s",
		 consumer ? consumer : "");
	l->cb = cb;
	l->cb_arg = arg;
	l->active_low = spec->active_low;
	l->bias = spec->bias;
	l->drive = spec->drive;
	l->debounce_us = spec->debounce_us;
	l->edges = VG_EDGE_NONE;
	/*
	 * A wire is part of the board: its idle level is the board's pull,
	 * so the requested bias only sets the pull of lines nothing drives.
	 */
	if (!l->driver && spec->bias == VG_BIAS_PULL_UP)
		l->pull = 1;
	else if (!l->driver && spec->bias == VG_BIAS_PULL_DOWN)
		l->pull = 0;
	l->output = spec->initial_dir == VG_DIR_OUT;
	if (l->output)
		l->out_phys = spec->initial_value ^ l->active_low;
	sim_update(sim);
	*out = l;
	return 0;

err_inval:
	vg_log_warnx(sim->log, "sim: %s:%s: bad initial state", chip, line);
	return -EINVAL;
}

static void sim_line_close(void *prov, struct vg_line *l)
{
	struct vg_sim *sim = prov;

	if (!l || !l->requested)
		return;
	l->requested = false;
	l->output = false;
	l->out_phys = 0;
	l->active_low = false;
	l->edges = VG_EDGE_NONE;
	l->bias = VG_BIAS_AS_IS;
	l->drive = VG_DRIVE_PUSH_PULL;
	l->debounce_us = 0;
	l->consumer[0] = '\0';
	l->cb = NULL;
	l->cb_arg = NULL;
	sim_drop_events(sim, l);
	sim_update(sim);
}

static const char *sim_line_name(void *prov, struct vg_line *l)
{
	(void)prov;
	return l->name ? l->name : "";
}

static int sim_set_direction(void *prov, struct vg_line *l, enum vg_dir dir,
			     int value)
{
	if (!l->requested)
		return -EBADF;
	if (dir == VG_DIR_IN) {
		l->output = false;
	} else if (dir == VG_DIR_OUT && (value == 0 || value == 1)) {
		l->out_phys = value ^ l->active_low;
		l->output = true;
	} else {
		return -EINVAL;
	}
	sim_update(prov);
	return 0;
}

static int sim_get_value(void *prov, struct vg_line *l, int *value)
{
	(void)prov;
	if (!l->requested)
		return -EBADF;
	*value = sim_line_level(l) ^ l->active_low;
	return 0;
}

static int sim_set_value(void *prov, struct vg_line *l, int value)
{
	if (!l->requested)
		return -EBADF;
	if (!l->output)
		return -EPERM;
	if (value != 0 && value != 1)
		return -EINVAL;
	l->out_phys = value ^ l->active_low;
	sim_update(prov);
	return 0;
}

static int sim_set_edge(void *prov, struct vg_line *l, unsigned int edges)
{
	if (!l->requested)
		return -EBADF;
	if (edges & ~VG_EDGE_BOTH)
		return -EINVAL;
	if (edges != VG_EDGE_NONE && l->output)
		return -EINVAL;
	l->edges = edges;
	if (edges == VG_EDGE_NONE) {
		sim_drop_events(prov, l);
		sim_sync_fd(prov);
	}
	return 0;
}

static bool sim_claims(void *prov, const char *chip)
{
	return vg_sim_has_chip(prov, chip);
}

static int sim_fd(void *prov)
{
	struct vg_sim *sim = prov;

	return sim->efd;
}

/*
 * Callbacks may call back into the provider (read a value, turn detection
 * off, drive a wired output, close the line), so each event is taken off
 * the queue before its callback runs. Events queued by the callbacks wait
 * for the next dispatch: a line that toggles itself through a wire cannot
 * keep one dispatch() call busy forever.
 */
static void sim_dispatch(void *prov)
{
	struct vg_sim *sim = prov;
	uint64_t limit = sim->next_seq;

	while (sim->head < sim->tail && sim->ev[sim->head].seq < limit) {
		struct sim_event e = sim->ev[sim->head++];

		if (sim->head == sim->tail)
			sim->head = sim->tail = 0;
		sim_sync_fd(sim);
		if (e.line->cb)
			e.line->cb(e.line->cb_arg, e.edge);
	}
	if (sim->dropped) {
		vg_log_warnx(sim->log, "sim: %lu events dropped", sim->dropped);
		sim->dropped = 0;
	}
}

const struct vg_provider_ops vg_sim_provider_ops = {
	.name = "sim",
	.claims = sim_claims,
	.line_open = sim_line_open,
	.line_close = sim_line_close,
	.line_name = sim_line_name,
	.set_direction = sim_set_direction,
	.get_value = sim_get_value,
	.set_value = sim_set_value,
	.set_edge = sim_set_edge,
	.fd = sim_fd,
	.dispatch = sim_dispatch,
};
