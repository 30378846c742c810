/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "sim": simulated GPIO chips, a line provider (vg_sim_provider_ops).
 *
 * Each line has a pull (what it reads when nothing drives it), a direction
 * and an output value once requested. A wire connects an output line to an
 * input line: while the output line is an output, the input senses its
 * physical level instead of its pull. External control (vg_sim_set_pull,
 * vg_sim_get) lets a test drive an input and read an output while a guest
 * runs. Edges are recomputed after every change and queued for lines with
 * edge detection; an eventfd is readable while any are queued (events are
 * never delivered from inside an op).
 */
#ifndef VGPIO_SIM_H
#define VGPIO_SIM_H

#include <stdbool.h>
#include <vgpio/provider.h>
#include "log.h"

struct vg_sim;

extern const struct vg_provider_ops vg_sim_provider_ops;

/* 0 or -errno. @log may be NULL. */
int vg_sim_new(struct vg_log *log, struct vg_sim **out);
void vg_sim_free(struct vg_sim *sim);

/*
 * Add chip @name with @nlines lines (1..VG_SIM_MAX_LINES); @names may be
 * NULL or hold @nlines entries (NULL or "" = unnamed). -EEXIST for a
 * duplicate chip name, -EINVAL for a bad count or a duplicate line name.
 */
#define VG_SIM_MAX_LINES 512u
int vg_sim_add_chip(struct vg_sim *sim, const char *name, unsigned int nlines,
		    const char *const *names);

/*
 * Wire output line (@out_chip, @out_line) to input (@in_chip, @in_line);
 * lines are names or decimal offsets. An input has at most one driver;
 * -ENOENT for unknown lines, -EBUSY if the input is already wired,
 * -EINVAL for a line wired to itself.
 */
int vg_sim_wire(struct vg_sim *sim, const char *out_chip, const char *out_line,
		const char *in_chip, const char *in_line);

/* Set a line's pull (physical 0 or 1). 0 or -ENOENT / -EINVAL. */
int vg_sim_set_pull(struct vg_sim *sim, const char *chip, const char *line,
		    int value);

struct vg_sim_line_state {
	bool requested; /* opened by a consumer */
	bool output;
	int value; /* physical level on the pin */
	int pull;
	unsigned int edges; /* VG_EDGE_* detection on */
	char consumer[64];
};
int vg_sim_get(struct vg_sim *sim, const char *chip, const char *line,
	       struct vg_sim_line_state *st);

/* True if @sim has a chip called @name. */
bool vg_sim_has_chip(struct vg_sim *sim, const char *name);

/* The provider handle for this sim (ops + ctx). */
struct vg_provider vg_sim_provider(struct vg_sim *sim);

#endif /* VGPIO_SIM_H */
