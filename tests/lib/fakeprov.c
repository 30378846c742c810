// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "fakeprov.h"

/* Bound the call log so a long fuzz input cannot eat memory. */
#define FAKE_MAX_CALLS (1u << 20)

static struct vg_fake_line *fake_line(struct vg_fakeprov *fp,
				      struct vg_line *line)
{
	struct vg_fake_line *fl = (struct vg_fake_line *)line;

	if (!fl || fl < fp->lines || fl >= fp->lines + fp->n)
		abort(); /* a handle this provider never gave out */
	return fl;
}

static unsigned int fake_idx(struct vg_fakeprov *fp, struct vg_fake_line *fl)
{
	return (unsigned int)(fl - fp->lines);
}

/* The scripted failure for this call of @op, if any (used up). */
static int fake_scripted(struct vg_fakeprov *fp, enum vg_fake_op op)
{
	int rc = fp->fail[op];

	fp->fail[op] = 0;
	return rc;
}

/* Record a call and pass its result through. */
static int fake_record(struct vg_fakeprov *fp, enum vg_fake_op op,
		       unsigned int idx, int a, int b, int rc)
{
	struct vg_fake_call *c;

	if (fp->ncalls == fp->cap_calls && fp->cap_calls < FAKE_MAX_CALLS) {
		size_t cap = fp->cap_calls ? fp->cap_calls * 2 : 64;

		c = realloc(fp->calls, cap * sizeof(*c));
		if (c) {
			fp->calls = c;
			fp->cap_calls = cap;
		}
	}
	if (fp->ncalls < fp->cap_calls) {
		c = &fp->calls[fp->ncalls++];
		c->op = op;
		c->line = idx;
		c->a = a;
		c->b = b;
		c->rc = rc;
	}
	return rc;
}

static int fake_find(struct vg_fakeprov *fp, const char *s)
{
	unsigned int i;
	char *end;
	unsigned long v;

	for (i = 0; i < fp->n; i++)
		if (fp->lines[i].name[0] && !strcmp(fp->lines[i].name, s))
			return (int)i;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= fp->n)
		return -1;
	return (int)v;
}

static int fake_open_idx(struct vg_fakeprov *fp, int idx,
			 const struct vg_line_spec *spec, vg_line_event_fn cb,
			 void *arg, struct vg_line **out)
{
	struct vg_fake_line *fl;
	int rc;

	*out = NULL;
	if (idx < 0 || (unsigned int)idx >= fp->n)
		return -ENOENT;
	fl = &fp->lines[idx];
	rc = fake_scripted(fp, VG_FAKE_OPEN);
	if (!rc && fl->open)
		rc = -EBUSY;
	fake_record(fp, VG_FAKE_OPEN, (unsigned int)idx, 0, 0, rc);
	if (rc)
		return rc;
	fl->open = true;
	fl->cb = cb;
	fl->arg = arg;
	fl->edges = VG_EDGE_NONE;
	fl->dir = spec->initial_dir == VG_DIR_OUT ? VG_DIR_OUT : VG_DIR_IN;
	fl->out = spec->initial_value ? 1 : 0;
	*out = (struct vg_line *)fl;
	return 0;
}

static int fake_line_open(void *prov, const struct vg_line_spec *spec,
			  const char *consumer, vg_line_event_fn cb, void *arg,
			  struct vg_line **out)
{
	struct vg_fakeprov *fp = prov;

	(void)consumer;
	*out = NULL;
	if (!spec || !spec->line)
		return -ENOENT;
	return fake_open_idx(fp, fake_find(fp, spec->line), spec, cb, arg, out);
}

static void fake_drop_events(struct vg_fakeprov *fp, unsigned int idx)
{
	size_t i, j = 0;

	for (i = 0; i < fp->nevents; i++)
		if (fp->events[i].line != idx)
			fp->events[j++] = fp->events[i];
	fp->nevents = j;
}

static void fake_line_close(void *prov, struct vg_line *line)
{
	struct vg_fakeprov *fp = prov;
	struct vg_fake_line *fl = fake_line(fp, line);

	fake_record(fp, VG_FAKE_CLOSE, fake_idx(fp, fl), 0, 0, 0);
	fake_drop_events(fp, fake_idx(fp, fl));
	fl->open = false;
	fl->edges = VG_EDGE_NONE;
	fl->cb = NULL;
}

static const char *fake_line_name(void *prov, struct vg_line *line)
{
	return fake_line(prov, line)->name;
}

static int fake_set_direction(void *prov, struct vg_line *line, enum vg_dir dir,
			      int value)
{
	struct vg_fakeprov *fp = prov;
	struct vg_fake_line *fl = fake_line(fp, line);
	int rc = fake_scripted(fp, VG_FAKE_SET_DIRECTION);

	if (!rc && dir != VG_DIR_IN && dir != VG_DIR_OUT)
		rc = -EINVAL;
	/* The kernel refuses edge detection on an output. */
	if (!rc && dir == VG_DIR_OUT && fl->edges)
		rc = -EINVAL;
	if (!rc) {
		fl->dir = dir;
		if (dir == VG_DIR_OUT)
			fl->out = value ? 1 : 0;
	}
	return fake_record(fp, VG_FAKE_SET_DIRECTION, fake_idx(fp, fl),
			   (int)dir, value, rc);
}

static int fake_get_value(void *prov, struct vg_line *line, int *value)
{
	struct vg_fakeprov *fp = prov;
	struct vg_fake_line *fl = fake_line(fp, line);
	int rc = fake_scripted(fp, VG_FAKE_GET_VALUE);

	if (!rc)
		*value = fl->dir == VG_DIR_OUT ? fl->out : fl->in;
	return fake_record(fp, VG_FAKE_GET_VALUE, fake_idx(fp, fl), 0, 0, rc);
}

static int fake_set_value(void *prov, struct vg_line *line, int value)
{
	struct vg_fakeprov *fp = prov;
	struct vg_fake_line *fl = fake_line(fp, line);
	int rc = fake_scripted(fp, VG_FAKE_SET_VALUE);

	if (!rc && fl->dir != VG_DIR_OUT)
		rc = -EPERM;
	if (!rc)
		fl->out = value ? 1 : 0;
	return fake_record(fp, VG_FAKE_SET_VALUE, fake_idx(fp, fl), value, 0,
			   rc);
}

static int fake_set_edge(void *prov, struct vg_line *line, unsigned int edges)
{
	struct vg_fakeprov *fp = prov;
	struct vg_fake_line *fl = fake_line(fp, line);
	int rc = fake_scripted(fp, VG_FAKE_SET_EDGE);

	if (!rc && (edges & ~VG_EDGE_BOTH))
		rc = -EINVAL;
	if (!rc && edges && fl->dir != VG_DIR_IN)
		rc = -EPERM;
	if (!rc) {
		fl->edges = edges;
		if (!edges)
			fake_drop_events(fp, fake_idx(fp, fl));
	}
	return fake_record(fp, VG_FAKE_SET_EDGE, fake_idx(fp, fl), (int)edges,
			   0, rc);
}

static int fake_fd(void *prov)
{
	return ((struct vg_fakeprov *)prov)->efd;
}

static void fake_dispatch(void *prov)
{
	struct vg_fakeprov *fp = prov;
	uint64_t cnt;
	size_t i;

	if (fp->efd >= 0 && read(fp->efd, &cnt, sizeof(cnt)) < 0)
		cnt = 0; /* nothing was signalled; deliver anyway */
	/*
	 * A callback may change edge detection (and so drop queued events):
	 * take one event at a time from the front.
	 */
	while (fp->nevents) {
		struct vg_fake_event ev = fp->events[0];
		struct vg_fake_line *fl = &fp->lines[ev.line];

		fp->nevents--;
		for (i = 0; i < fp->nevents; i++)
			fp->events[i] = fp->events[i + 1];
		if (fl->open && (fl->edges & ev.edge) && fl->cb)
			fl->cb(fl->arg, ev.edge);
	}
}

static bool fake_claims(void *prov, const char *chip)
{
	(void)prov;
	(void)chip;
	return true;
}

const struct vg_provider_ops vg_fakeprov_ops = {
	.name = "fake",
	.claims = fake_claims,
	.line_open = fake_line_open,
	.line_close = fake_line_close,
	.line_name = fake_line_name,
	.set_direction = fake_set_direction,
	.get_value = fake_get_value,
	.set_value = fake_set_value,
	.set_edge = fake_set_edge,
	.fd = fake_fd,
	.dispatch = fake_dispatch,
};

int vg_fakeprov_new(unsigned int n, const char *const *names,
		    struct vg_fakeprov **out)
{
	struct vg_fakeprov *fp;
	unsigned int i;

	*out = NULL;
	if (!n || n > VG_FAKEPROV_MAX_LINES)
		return -EINVAL;
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	fp->n = n;
	fp->lines = calloc(n, sizeof(*fp->lines));
	fp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!fp->lines || fp->efd < 0) {
		int rc = fp->lines ? -errno : -ENOMEM;

		vg_fakeprov_free(fp);
		return rc;
	}
	for (i = 0; i < n; i++) {
		fp->lines[i].dir = VG_DIR_IN;
		if (names && names[i])
			strncpy(fp->lines[i].name, names[i],
				VG_FAKEPROV_NAME_MAX);
	}
	*out = fp;
	return 0;
}

void vg_fakeprov_free(struct vg_fakeprov *fp)
{
	if (!fp)
		return;
	if (fp->efd >= 0)
		close(fp->efd);
	free(fp->lines);
	free(fp->calls);
	free(fp->events);
	free(fp);
}

struct vg_provider vg_fakeprov_provider(struct vg_fakeprov *fp)
{
	struct vg_provider p = {&vg_fakeprov_ops, fp};

	return p;
}

struct vg_line *vg_fakeprov_open(struct vg_fakeprov *fp, unsigned int idx,
				 vg_line_event_fn cb, void *arg)
{
	struct vg_line_spec spec = {0};
	struct vg_line *line;

	spec.chip = "fake";
	spec.initial_dir = VG_DIR_IN;
	if (idx >= fp->n || fake_open_idx(fp, (int)idx, &spec, cb, arg, &line))
		return NULL;
	return line;
}

void vg_fakeprov_fail_next(struct vg_fakeprov *fp, enum vg_fake_op op, int err)
{
	if ((unsigned int)op < VG_FAKE_NR)
		fp->fail[op] = err;
}

void vg_fakeprov_inject_edge(struct vg_fakeprov *fp, unsigned int idx,
			     unsigned int edge)
{
	struct vg_fake_line *fl;
	uint64_t one = 1;

	if (idx >= fp->n || (edge != VG_EDGE_RISING && edge != VG_EDGE_FALLING))
		return;
	fl = &fp->lines[idx];
	fl->in = edge == VG_EDGE_RISING;
	if (!fl->open || !(fl->edges & edge))
		return;
	if (fp->nevents == fp->cap_events) {
		size_t cap = fp->cap_events ? fp->cap_events * 2 : 16;
		struct vg_fake_event *ev;

		if (cap > 4096)
			return; /* a real kernel FIFO overflows too */
		ev = realloc(fp->events, cap * sizeof(*ev));
		if (!ev)
			return;
		fp->events = ev;
		fp->cap_events = cap;
	}
	fp->events[fp->nevents].line = idx;
	fp->events[fp->nevents].edge = edge;
	fp->nevents++;
	if (write(fp->efd, &one, sizeof(one)) < 0)
		return; /* counter saturated: still readable */
}

void vg_fakeprov_set_input(struct vg_fakeprov *fp, unsigned int idx, int value)
{
	if (idx < fp->n)
		fp->lines[idx].in = value ? 1 : 0;
}

void vg_fakeprov_dispatch(struct vg_fakeprov *fp)
{
	fake_dispatch(fp);
}

size_t vg_fakeprov_count(const struct vg_fakeprov *fp, enum vg_fake_op op,
			 unsigned int idx)
{
	size_t i, n = 0;

	for (i = 0; i < fp->ncalls; i++)
		if (fp->calls[i].op == op && fp->calls[i].line == idx)
			n++;
	return n;
}

const struct vg_fake_call *vg_fakeprov_last(const struct vg_fakeprov *fp,
					    enum vg_fake_op op,
					    unsigned int idx)
{
	size_t i = fp->ncalls;

	while (i--)
		if (fp->calls[i].op == op && fp->calls[i].line == idx)
			return &fp->calls[i];
	return NULL;
}

void vg_fakeprov_clear_log(struct vg_fakeprov *fp)
{
	fp->ncalls = 0;
}
