// SPDX-License-Identifier: BSD-3-Clause
/*
 * "linefd": lines from lent line-request fds (contract in linefd.h).
 *
 * The fd's open file description is shared with the parent's copy, so its
 * flags are left alone (no O_NONBLOCK): a read happens only after epoll or
 * poll reported the fd readable, and only this process reads it while the
 * line is lent.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vgpio/types.h>

#include "linefd.h"

#define LINEFD_EVBUF 16u /* events read per call */

struct vg_linefd {
	struct vg_log *log;
	int epfd;
	struct vg_line *lines; /* given, open or not */
	unsigned int nlines;
	struct vg_line *closed; /* closed during dispatch(), freed after */
	bool dispatching;
	unsigned long lost;
};

struct vg_line {
	struct vg_linefd *p;
	struct vg_line *next;
	int fd;
	bool open;
	bool dead; /* closed during dispatch() */
	char chip[VG_LINEFD_NAME_MAX];
	char line[VG_LINEFD_NAME_MAX];
	char name[VG_LINEFD_NAME_MAX];
	char where[2 * VG_LINEFD_NAME_MAX + 16]; /* "chip X line Y" */
	struct vg_line_spec spec; /* chip and line strings not kept */
	enum vg_dir dir;
	int value; /* last driven (output) */
	unsigned int edges;
	unsigned long seqno; /* last line seqno seen, 0 = none yet */
	vg_line_event_fn cb;
	void *cb_arg;
};

/* --- the one conversion ------------------------------------------------------ */

/*
 * Our settings to GPIO_V2_LINE_FLAG_*, indexed by our values; a 0 for a
 * direction marks a value that is not one.
 */
static const struct {
	uint64_t dir[VG_DIR_OUT + 1];
	uint64_t bias[VG_BIAS_PULL_DOWN + 1];
	uint64_t drive[VG_DRIVE_OPEN_SOURCE + 1];
	uint64_t edge[VG_EDGE_BOTH + 1];
	uint64_t active_low;
} kflags = {
	.dir =
		{
			[VG_DIR_IN] = GPIO_V2_LINE_FLAG_INPUT,
			[VG_DIR_OUT] = GPIO_V2_LINE_FLAG_OUTPUT,
		},
	.bias =
		{
			[VG_BIAS_AS_IS] = 0,
			[VG_BIAS_DISABLED] = GPIO_V2_LINE_FLAG_BIAS_DISABLED,
			[VG_BIAS_PULL_UP] = GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
			[VG_BIAS_PULL_DOWN] = GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
		},
	.drive =
		{
			[VG_DRIVE_PUSH_PULL] = 0,
			[VG_DRIVE_OPEN_DRAIN] = GPIO_V2_LINE_FLAG_OPEN_DRAIN,
			[VG_DRIVE_OPEN_SOURCE] = GPIO_V2_LINE_FLAG_OPEN_SOURCE,
		},
	.edge =
		{
			[VG_EDGE_NONE] = 0,
			[VG_EDGE_RISING] = GPIO_V2_LINE_FLAG_EDGE_RISING,
			[VG_EDGE_FALLING] = GPIO_V2_LINE_FLAG_EDGE_FALLING,
			[VG_EDGE_BOTH] = GPIO_V2_LINE_FLAG_EDGE_RISING |
					 GPIO_V2_LINE_FLAG_EDGE_FALLING,
		},
	.active_low = GPIO_V2_LINE_FLAG_ACTIVE_LOW,
};

int vg_linefd_config(const struct vg_line_spec *spec, enum vg_dir dir,
		     int value, unsigned int edges,
		     struct gpio_v2_line_config *cfg)
{
	struct gpio_v2_line_config_attribute *a;

	memset(cfg, 0, sizeof(*cfg));
	if ((unsigned int)dir >= VG_ARRAY_SIZE(kflags.dir) ||
	    !kflags.dir[dir] ||
	    (unsigned int)spec->bias >= VG_ARRAY_SIZE(kflags.bias) ||
	    (unsigned int)spec->drive >= VG_ARRAY_SIZE(kflags.drive) ||
	    edges >= VG_ARRAY_SIZE(kflags.edge) || (dir == VG_DIR_OUT && edges))
		return -EINVAL;
	cfg->flags = kflags.dir[dir] | kflags.bias[spec->bias];
	if (spec->active_low)
		cfg->flags |= kflags.active_low;
	if (dir == VG_DIR_OUT) {
		cfg->flags |= kflags.drive[spec->drive];
		a = &cfg->attrs[cfg->num_attrs++];
		a->attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
		a->attr.values = value ? 1 : 0;
		a->mask = 1;
	} else {
		cfg->flags |= kflags.edge[edges];
		/* Absent, the kernel takes 0: no debounce left behind. */
		if (spec->debounce_us) {
			a = &cfg->attrs[cfg->num_attrs++];
			a->attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
			a->attr.debounce_period_us = spec->debounce_us;
			a->mask = 1;
		}
	}
	return 0;
}

/* --- the kernel ------------------------------------------------------------- */

/* Apply a complete state; @l's record changes only on success. */
static int line_apply(struct vg_line *l, enum vg_dir dir, int value,
		      unsigned int edges)
{
	struct gpio_v2_line_config cfg;
	int rc = vg_linefd_config(&l->spec, dir, value, edges, &cfg);

	if (rc)
		return rc;
	if (ioctl(l->fd, GPIO_V2_LINE_SET_CONFIG_IOCTL, &cfg) < 0) {
		rc = -errno;
		vg_log_warn(l->p->log, "%s: set config", l->where);
		return rc;
	}
	l->dir = dir;
	l->value = dir == VG_DIR_OUT ? !!value : 0;
	l->edges = dir == VG_DIR_IN ? edges : VG_EDGE_NONE;
	return 0;
}

/* Events readable on @l's fd now, without waiting. */
static bool line_readable(const struct vg_line *l)
{
	struct pollfd pfd = {.fd = l->fd, .events = POLLIN};

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/* Read and discard whatever events are queued for @l. */
static void line_drain(struct vg_line *l)
{
	struct gpio_v2_line_event evs[LINEFD_EVBUF];

	while (line_readable(l))
		if (read(l->fd, evs, sizeof(evs)) <= 0)
			break;
	l->seqno = 0;
}

/* One read of @l's events, delivered; after epoll reported it readable. */
static void line_read_events(struct vg_linefd *p, struct vg_line *l)
{
	struct gpio_v2_line_event evs[LINEFD_EVBUF];
	unsigned long lost;
	size_t i, n;
	ssize_t r;

	r = read(l->fd, evs, sizeof(evs));
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vg_log_warn(p->log, "%s: reading edge events",
				    l->where);
		return;
	}
	if ((size_t)r % sizeof(evs[0]))
		vg_log_warnx(p->log,
			     "%s: %zd bytes of edge events: not whole "
			     "records",
			     l->where, r);
	n = (size_t)r / sizeof(evs[0]);
	for (i = 0; i < n && !l->dead; i++) {
		unsigned int edge;

		/* Numbered from 1 per line; a gap is a kernel overflow. */
		if (l->seqno && evs[i].line_seqno > l->seqno + 1) {
			lost = evs[i].line_seqno - l->seqno - 1;
			p->lost += lost;
			vg_log_warnx(p->log,
				     "%s: %lu edge events lost (kernel buffer "
				     "overflow)",
				     l->where, lost);
		}
		l->seqno = evs[i].line_seqno;
		if (evs[i].id == GPIO_V2_LINE_EVENT_RISING_EDGE)
			edge = VG_EDGE_RISING;
		else if (evs[i].id == GPIO_V2_LINE_EVENT_FALLING_EDGE)
			edge = VG_EDGE_FALLING;
		else {
			vg_log_warnx(p->log, "%s: unknown edge event id %u",
				     l->where, evs[i].id);
			continue;
		}
		if (l->edges & edge)
			l->cb(l->cb_arg, edge);
	}
}

/* --- lines ------------------------------------------------------------------- */

static struct vg_line *line_find(struct vg_linefd *p, const char *chip,
				 const char *line)
{
	struct vg_line *l;

	for (l = p->lines; l; l = l->next)
		if (!strcmp(l->chip, chip) && !strcmp(l->line, line))
			return l;
	return NULL;
}

static bool name_ok(const char *s)
{
	return s && s[0] && strlen(s) < VG_LINEFD_NAME_MAX;
}

int vg_linefd_add(struct vg_linefd *p, const char *chip, const char *line,
		  int fd, const char *name)
{
	struct vg_line *l;
	int rc;

	if (fd < 0 || !name_ok(chip) || !name_ok(line)) {
		vg_log_warnx(p->log,
			     "line fd %d for chip %s line %s: bad fd or "
			     "name",
			     fd, chip ? chip : "(none)",
			     line ? line : "(none)");
		rc = -EINVAL;
		goto err;
	}
	if (line_find(p, chip, line)) {
		vg_log_warnx(p->log, "chip %s line %s: given twice", chip,
			     line);
		rc = -EEXIST;
		goto err;
	}
	if (p->nlines >= VG_LINEFD_LINES_MAX) {
		vg_log_warnx(p->log, "chip %s line %s: more than %u lines",
			     chip, line, VG_LINEFD_LINES_MAX);
		rc = -ENOSPC;
		goto err;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto err;
	}
	l->p = p;
	l->fd = fd;
	snprintf(l->chip, sizeof(l->chip), "%s", chip);
	snprintf(l->line, sizeof(l->line), "%s", line);
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "");
	snprintf(l->where, sizeof(l->where), "chip %s line %s", chip, line);
	l->next = p->lines;
	p->lines = l;
	p->nlines++;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void line_free(struct vg_line *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* --- ops ---------------------------------------------------------------------- */

static bool linefd_claims(void *prov, const char *chip)
{
	struct vg_linefd *p = prov;
	struct vg_line *l;

	for (l = p->lines; l; l = l->next)
		if (!strcmp(l->chip, chip))
			return true;
	return false;
}

static int linefd_line_open(void *prov, const struct vg_line_spec *spec,
			    const char *consumer, vg_line_event_fn cb,
			    void *arg, struct vg_line **out)
{
	struct vg_linefd *p = prov;
	struct epoll_event ev;
	struct vg_line *l;
	int rc;

	/* The consumer label is the parent's, fixed when it requested. */
	(void)consumer;
	*out = NULL;
	l = line_find(p, spec->chip, spec->line);
	if (!l) {
		vg_log_warnx(p->log,
			     "chip %s line %s: not given to this "
			     "process",
			     spec->chip, spec->line);
		return -ENOENT;
	}
	if (l->open) {
		vg_log_warnx(p->log, "%s: already open", l->where);
		return -EBUSY;
	}
	l->spec = *spec;
	l->spec.chip = l->spec.line = NULL;
	rc = line_apply(l, spec->initial_dir, spec->initial_value,
			VG_EDGE_NONE);
	if (rc) {
		if (rc == -EINVAL)
			vg_log_warnx(p->log, "%s: invalid settings", l->where);
		return rc;
	}
	/* Whatever the fd had queued belongs to its previous holder. */
	line_drain(l);
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = l};
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, l->fd, &ev)) {
		rc = -errno;
		vg_log_warn(p->log, "%s: epoll", l->where);
		return rc;
	}
	l->cb = cb;
	l->cb_arg = arg;
	l->open = true;
	*out = l;
	return 0;
}

static void linefd_line_close(void *prov, struct vg_line *l)
{
	struct vg_linefd *p = prov;
	struct vg_line **pp;

	if (!l)
		return;
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	for (pp = &p->lines; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	p->nlines--;
	close(l->fd);
	l->fd = -1;
	l->open = false;
	if (p->dispatching) {
		/* dispatch() may still hold @l: freed when it returns. */
		l->dead = true;
		l->next = p->closed;
		p->closed = l;
		return;
	}
	line_free(l);
}

static const char *linefd_line_name(void *prov, struct vg_line *l)
{
	(void)prov;
	return l->name;
}

static int linefd_set_direction(void *prov, struct vg_line *l, enum vg_dir dir,
				int value)
{
	(void)prov;
	if (dir != VG_DIR_IN && dir != VG_DIR_OUT)
		return -EINVAL;
	/* An output has no edge detection; an input keeps what it had. */
	return line_apply(l, dir, dir == VG_DIR_OUT ? !!value : 0,
			  dir == VG_DIR_IN ? l->edges : VG_EDGE_NONE);
}

static int linefd_get_value(void *prov, struct vg_line *l, int *value)
{
	struct gpio_v2_line_values v = {.mask = 1};
	int rc;

	(void)prov;
	if (ioctl(l->fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0) {
		rc = -errno;
		vg_log_warn(l->p->log, "%s: get value", l->where);
		return rc;
	}
	*value = (int)(v.bits & 1);
	return 0;
}

static int linefd_set_value(void *prov, struct vg_line *l, int value)
{
	struct gpio_v2_line_values v = {.bits = value ? 1 : 0, .mask = 1};
	int rc;

	(void)prov;
	if (l->dir != VG_DIR_OUT)
		return -EPERM;
	if (ioctl(l->fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0) {
		rc = -errno;
		vg_log_warn(l->p->log, "%s: set value", l->where);
		return rc;
	}
	l->value = !!value;
	return 0;
}

static int linefd_set_edge(void *prov, struct vg_line *l, unsigned int edges)
{
	int rc;

	(void)prov;
	edges &= VG_EDGE_BOTH;
	if (edges && l->dir != VG_DIR_IN)
		return -EPERM;
	if (edges == l->edges)
		return 0;
	rc = line_apply(l, VG_DIR_IN, 0, edges);
	/* Events of the old setting must not reach the device (contract). */
	if (!rc)
		line_drain(l);
	return rc;
}

static int linefd_fd(void *prov)
{
	return ((struct vg_linefd *)prov)->epfd;
}

static void linefd_dispatch(void *prov)
{
	struct vg_linefd *p = prov;
	struct epoll_event evs[16];
	struct vg_line *l;
	int n, i;

	n = epoll_wait(p->epfd, evs, (int)VG_ARRAY_SIZE(evs), 0);
	p->dispatching = true;
	for (i = 0; i < n; i++) {
		l = evs[i].data.ptr;
		if (!l->dead)
			line_read_events(p, l);
	}
	p->dispatching = false;
	while ((l = p->closed)) {
		p->closed = l->next;
		line_free(l);
	}
}

const struct vg_provider_ops vg_linefd_provider_ops = {
	.name = "linefd",
	.claims = linefd_claims,
	.line_open = linefd_line_open,
	.line_close = linefd_line_close,
	.line_name = linefd_line_name,
	.set_direction = linefd_set_direction,
	.get_value = linefd_get_value,
	.set_value = linefd_set_value,
	.set_edge = linefd_set_edge,
	.fd = linefd_fd,
	.dispatch = linefd_dispatch,
};

/* --- life --------------------------------------------------------------------- */

int vg_linefd_new(struct vg_log *log, struct vg_linefd **out)
{
	struct vg_linefd *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->log = log;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		rc = -errno;
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void vg_linefd_free(struct vg_linefd *p)
{
	struct vg_line *l;

	if (!p)
		return;
	while ((l = p->lines)) {
		p->lines = l->next;
		line_free(l);
	}
	close(p->epfd);
	free(p);
}

struct vg_provider vg_linefd_provider(struct vg_linefd *p)
{
	return (struct vg_provider){&vg_linefd_provider_ops, p};
}

unsigned int vg_linefd_lines(const struct vg_linefd *p)
{
	return p->nlines;
}

unsigned long vg_linefd_lost_events(const struct vg_linefd *p)
{
	return p->lost;
}
