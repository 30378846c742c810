/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake line provider for unit tests and fuzzers (vg_fakeprov_ops): N
 * lines with plain per-line state, a log of every call, scripted failure
 * of the next call of a given op, and injected edges that are queued and
 * delivered on the next dispatch() (never from inside an op, like a real
 * provider). fd() is an eventfd that is readable while edges are queued.
 *
 * Lines are opened through the ops table like any provider: spec->line is
 * a decimal offset or a line name; spec->chip is ignored.
 */
#ifndef VGPIO_TEST_FAKEPROV_H
#define VGPIO_TEST_FAKEPROV_H

#include <stdbool.h>
#include <stddef.h>
#include <vgpio/provider.h>

#define VG_FAKEPROV_MAX_LINES 1024u
#define VG_FAKEPROV_NAME_MAX 63u

enum vg_fake_op {
	VG_FAKE_OPEN = 0,
	VG_FAKE_CLOSE,
	VG_FAKE_SET_DIRECTION,
	VG_FAKE_GET_VALUE,
	VG_FAKE_SET_VALUE,
	VG_FAKE_SET_EDGE,
	VG_FAKE_NR
};

/* One recorded call; @a/@b are the op's arguments (unused ones are 0). */
struct vg_fake_call {
	enum vg_fake_op op;
	unsigned int line;
	int a; /* set_direction: dir; set_value: value; set_edge: edges */
	int b; /* set_direction: value */
	int rc; /* what the call returned */
};

struct vg_fake_line {
	char name[VG_FAKEPROV_NAME_MAX + 1];
	bool open;
	enum vg_dir dir;
	int out; /* driven value while an output */
	int in; /* sensed value while an input */
	unsigned int edges;
	vg_line_event_fn cb;
	void *arg;
};

struct vg_fake_event {
	unsigned int line;
	unsigned int edge;
};

struct vg_fakeprov {
	unsigned int n;
	struct vg_fake_line *lines;
	struct vg_fake_call *calls;
	size_t ncalls, cap_calls;
	int fail[VG_FAKE_NR]; /* -errno for the next call of each op, or 0 */
	struct vg_fake_event *events;
	size_t nevents, cap_events;
	int efd;
};

extern const struct vg_provider_ops vg_fakeprov_ops;

/*
 * @n lines (1..VG_FAKEPROV_MAX_LINES); @names NULL or @n entries (NULL =
 * unnamed). Lines start as inputs reading 0. 0 or -errno.
 */
int vg_fakeprov_new(unsigned int n, const char *const *names,
		    struct vg_fakeprov **out);
void vg_fakeprov_free(struct vg_fakeprov *fp);
struct vg_provider vg_fakeprov_provider(struct vg_fakeprov *fp);

/* Open line @idx (by offset) with @cb/@arg; the handle, or NULL. */
struct vg_line *vg_fakeprov_open(struct vg_fakeprov *fp, unsigned int idx,
				 vg_line_event_fn cb, void *arg);

/* The next call of @op fails with @err (a negative errno), once. */
void vg_fakeprov_fail_next(struct vg_fakeprov *fp, enum vg_fake_op op, int err);

/*
 * The input level of line @idx changes by @edge (RISING: to 1, FALLING:
 * to 0) now; if edge detection for @edge is on, an event is queued for the
 * next dispatch(). Out-of-range @idx is ignored.
 */
void vg_fakeprov_inject_edge(struct vg_fakeprov *fp, unsigned int idx,
			     unsigned int edge);
/* Set the sensed level of line @idx without producing an event. */
void vg_fakeprov_set_input(struct vg_fakeprov *fp, unsigned int idx, int value);
/* Deliver queued events now (same as ops->dispatch). */
void vg_fakeprov_dispatch(struct vg_fakeprov *fp);

/* Calls of @op on line @idx in the log. */
size_t vg_fakeprov_count(const struct vg_fakeprov *fp, enum vg_fake_op op,
			 unsigned int idx);
/* The most recent call of @op on line @idx, or NULL. */
const struct vg_fake_call *vg_fakeprov_last(const struct vg_fakeprov *fp,
					    enum vg_fake_op op,
					    unsigned int idx);
/* Forget the call log. */
void vg_fakeprov_clear_log(struct vg_fakeprov *fp);

#endif /* VGPIO_TEST_FAKEPROV_H */
