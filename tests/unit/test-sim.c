// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: the simulated line provider (backend/providers/sim.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

/* Records the edges a line's callback receives. */
struct rec {
	struct t *t;
	unsigned int n;
	unsigned int edges[8];
};

struct t {
	struct vg_sim *sim;
	struct vg_provider prov;
	const struct vg_provider_ops *ops;
	struct vg_log log;
	struct vg_log_sink sink;
	int logpipe[2];
	/* Set by callbacks: proves events never arrive inside an op. */
	bool in_op;
	bool cb_in_op;
	/* What a callback does to the provider, for re-entrancy tests. */
	struct vg_line *cb_line;
	int cb_action;
};

static const char *const board_names[] = {"out0", "in0", NULL, "in1", ""};

static int setup(void **state)
{
	struct t *t = test_calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(pipe2(t->logpipe, O_NONBLOCK | O_CLOEXEC), 0);
	t->sink.level = VG_LOG_DEBUG;
	t->sink.fd = t->logpipe[1];
	vg_log_init(&t->log, &t->sink, "test");
	assert_int_equal(vg_sim_new(&t->log, &t->sim), 0);
	assert_int_equal(vg_sim_add_chip(t->sim, "board", 5, board_names), 0);
	assert_int_equal(vg_sim_add_chip(t->sim, "other", 2, NULL), 0);
	t->prov = vg_sim_provider(t->sim);
	t->ops = t->prov.ops;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	vg_sim_free(t->sim);
	close(t->logpipe[0]);
	close(t->logpipe[1]);
	test_free(t);
	return 0;
}

static void rec_cb(void *arg, unsigned int edge)
{
	struct rec *r = arg;

	if (r->t && r->t->in_op)
		r->t->cb_in_op = true;
	if (r->n < VG_ARRAY_SIZE(r->edges))
		r->edges[r->n] = edge;
	r->n++;
}

static struct vg_line *open_line(struct t *t, const char *chip,
				 const char *line, enum vg_dir dir, int value,
				 bool active_low, struct rec *r)
{
	struct vg_line_spec spec = {.chip = chip,
				    .line = line,
				    .active_low = active_low,
				    .initial_dir = dir,
				    .initial_value = value};
	struct vg_line *l = NULL;

	assert_int_equal(t->ops->line_open(t->prov.ctx, &spec, "vgpio:test",
					   rec_cb, r, &l),
			 0);
	assert_non_null(l);
	return l;
}

static int try_open(struct t *t, const char *chip, const char *line)
{
	struct vg_line_spec spec = {
		.chip = chip, .line = line, .initial_dir = VG_DIR_IN};
	struct vg_line *l = NULL;

	return t->ops->line_open(t->prov.ctx, &spec, "other", NULL, NULL, &l);
}

static int logical(struct t *t, struct vg_line *l)
{
	int v = -1;

	assert_int_equal(t->ops->get_value(t->prov.ctx, l, &v), 0);
	return v;
}

static bool fd_readable(struct t *t)
{
	struct pollfd pfd = {.fd = t->ops->fd(t->prov.ctx), .events = POLLIN};

	assert_true(pfd.fd >= 0);
	assert_true(poll(&pfd, 1, 0) >= 0);
	return pfd.revents & POLLIN;
}

static void read_log(struct t *t, char *buf, size_t len)
{
	ssize_t r = read(t->logpipe[0], buf, len - 1);

	buf[r > 0 ? r : 0] = '\0';
}

static void sim_ops_valid_always(void **state)
{
	(void)state;
	assert_true(vg_provider_ops_valid(&vg_sim_provider_ops));
	assert_string_equal(vg_sim_provider_ops.name, "sim");
}

static void sim_add_chip_rejects_bad_arguments(void **state)
{
	struct t *t = *state;
	const char *dup[] = {"x", "y", "x"};
	const char *numeric[] = {"x", "1"};

	assert_int_equal(vg_sim_add_chip(t->sim, "z", 0, NULL), -EINVAL);
	assert_int_equal(
		vg_sim_add_chip(t->sim, "z", VG_SIM_MAX_LINES + 1, NULL),
		-EINVAL);
	assert_int_equal(vg_sim_add_chip(t->sim, "", 1, NULL), -EINVAL);
	assert_int_equal(vg_sim_add_chip(t->sim, "board", 1, NULL), -EEXIST);
	assert_int_equal(vg_sim_add_chip(t->sim, "z", 3, dup), -EINVAL);
	assert_int_equal(vg_sim_add_chip(t->sim, "z", 2, numeric), -EINVAL);
	assert_int_equal(vg_sim_add_chip(t->sim, "z", VG_SIM_MAX_LINES, NULL),
			 0);
}

static void sim_line_open_resolves_name_and_offset(void **state)
{
	struct t *t = *state;
	struct vg_line *a, *b, *c;

	a = open_line(t, "board", "in1", VG_DIR_IN, 0, false, NULL);
	b = open_line(t, "board", "2", VG_DIR_IN, 0, false, NULL);
	c = open_line(t, "board", "0", VG_DIR_IN, 0, false, NULL);
	assert_string_equal(t->ops->line_name(t->prov.ctx, a), "in1");
	assert_string_equal(t->ops->line_name(t->prov.ctx, b), "");
	assert_string_equal(t->ops->line_name(t->prov.ctx, c), "out0");
	/* "in1" is offset 3: held already. */
	assert_int_equal(try_open(t, "board", "3"), -EBUSY);
	/* The unnamed line 4 (named "") is free. */
	assert_int_equal(try_open(t, "board", "4"), 0);
}

static void sim_line_open_rejects_loose_offsets(void **state)
{
	struct t *t = *state;
	const char *bad[] = {"1x", "01", "-1", "+1",	    " 1",
			     "1 ", "5",	 "",   "4294967297"};
	unsigned int i;

	for (i = 0; i < VG_ARRAY_SIZE(bad); i++)
		assert_int_equal(try_open(t, "board", bad[i]), -ENOENT);
}

static void sim_line_open_unknown_chip_or_line_enoent(void **state)
{
	struct t *t = *state;
	char buf[512];

	assert_int_equal(try_open(t, "nochip", "0"), -ENOENT);
	read_log(t, buf, sizeof(buf));
	assert_non_null(strstr(buf, "nochip:0"));
	assert_int_equal(try_open(t, "board", "nope"), -ENOENT);
	read_log(t, buf, sizeof(buf));
	assert_non_null(strstr(buf, "board:nope"));
}

static void sim_line_open_busy_when_held(void **state)
{
	struct t *t = *state;
	struct vg_sim_line_state st;
	char buf[512];

	open_line(t, "board", "in0", VG_DIR_IN, 0, false, NULL);
	read_log(t, buf, sizeof(buf));
	assert_int_equal(try_open(t, "board", "in0"), -EBUSY);
	assert_int_equal(try_open(t, "board", "1"), -EBUSY);
	read_log(t, buf, sizeof(buf));
	assert_non_null(strstr(buf, "board:in0"));
	assert_non_null(strstr(buf, "board:1"));
	assert_non_null(strstr(buf, "vgpio:test"));
	/* The holder keeps the line. */
	assert_int_equal(vg_sim_get(t->sim, "board", "in0", &st), 0);
	assert_string_equal(st.consumer, "vgpio:test");
}

static void sim_line_open_applies_initial_state(void **state)
{
	struct t *t = *state;
	struct vg_line_spec bad = {.chip = "board",
				   .line = "in0",
				   .initial_dir = VG_DIR_OUT,
				   .initial_value = 2};
	struct vg_sim_line_state st;
	struct vg_line *l;

	l = open_line(t, "board", "out0", VG_DIR_OUT, 1, true, NULL);
	assert_int_equal(vg_sim_get(t->sim, "board", "out0", &st), 0);
	assert_true(st.requested);
	assert_true(st.output);
	assert_int_equal(st.value, 0); /* logical 1, active-low */
	assert_int_equal(logical(t, l), 1);
	assert_string_equal(st.consumer, "vgpio:test");

	assert_int_equal(
		t->ops->line_open(t->prov.ctx, &bad, "x", NULL, NULL, &l),
		-EINVAL);
	bad.initial_dir = 0;
	bad.initial_value = 0;
	assert_int_equal(
		t->ops->line_open(t->prov.ctx, &bad, "x", NULL, NULL, &l),
		-EINVAL);
}

static void sim_line_open_bias_sets_pull_of_unwired_line(void **state)
{
	struct t *t = *state;
	struct vg_line_spec spec = {.chip = "board",
				    .line = "in1",
				    .bias = VG_BIAS_PULL_UP,
				    .initial_dir = VG_DIR_IN};
	struct vg_sim_line_state st;
	struct vg_line *l;

	assert_int_equal(
		t->ops->line_open(t->prov.ctx, &spec, "c", NULL, NULL, &l), 0);
	assert_int_equal(vg_sim_get(t->sim, "board", "in1", &st), 0);
	assert_int_equal(st.pull, 1);
	assert_int_equal(logical(t, l), 1);

	/* A wired input keeps the board's pull. */
	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in0"),
			 0);
	spec.line = "in0";
	assert_int_equal(
		t->ops->line_open(t->prov.ctx, &spec, "c", NULL, NULL, &l), 0);
	assert_int_equal(vg_sim_get(t->sim, "board", "in0", &st), 0);
	assert_int_equal(st.pull, 0);
}

static void sim_wire_output_drives_input_with_edges(void **state)
{
	struct t *t = *state;
	struct rec ro = {.t = t}, ri = {.t = t};
	struct vg_line *o, *in;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in0"),
			 0);
	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, false, &ro);
	in = open_line(t, "board", "in0", VG_DIR_IN, 0, false, &ri);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);

	t->in_op = true;
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), 0);
	assert_int_equal(logical(t, in), 1);
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 0), 0);
	assert_int_equal(logical(t, in), 0);
	/* Setting the same value again is no edge. */
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 0), 0);
	t->in_op = false;

	assert_int_equal(ri.n, 0);
	t->ops->dispatch(t->prov.ctx);
	assert_false(t->cb_in_op);
	assert_int_equal(ri.n, 2);
	assert_int_equal(ri.edges[0], VG_EDGE_RISING);
	assert_int_equal(ri.edges[1], VG_EDGE_FALLING);
	assert_int_equal(ro.n, 0); /* outputs never report */
}

static void sim_wire_active_low_on_output_end(void **state)
{
	struct t *t = *state;
	struct rec ri = {.t = t};
	struct vg_line *o, *in;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in0"),
			 0);
	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, true, NULL);
	in = open_line(t, "board", "in0", VG_DIR_IN, 0, false, &ri);
	/* Logical 0 on an active-low output is a high pin. */
	assert_int_equal(logical(t, in), 1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), 0);
	assert_int_equal(logical(t, in), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(ri.n, 1);
	assert_int_equal(ri.edges[0], VG_EDGE_FALLING);
}

static void sim_wire_active_low_on_input_end(void **state)
{
	struct t *t = *state;
	struct rec ri = {.t = t};
	struct vg_line *o, *in;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "other", "1"), 0);
	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, false, NULL);
	in = open_line(t, "other", "1", VG_DIR_IN, 0, true, &ri);
	assert_int_equal(logical(t, in), 1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_RISING), 0);
	/* Pin rises: the active-low input sees a falling edge, not asked. */
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), 0);
	assert_int_equal(logical(t, in), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(ri.n, 0);
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 0), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(ri.n, 1);
	assert_int_equal(ri.edges[0], VG_EDGE_RISING);
}

static void sim_set_pull_edges_only_when_detection_matches(void **state)
{
	struct t *t = *state;
	struct rec r = {.t = t};
	struct vg_line *in;

	in = open_line(t, "board", "in1", VG_DIR_IN, 0, false, &r);
	/* Detection off: no events. */
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 1), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 0), 0);
	assert_false(fd_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 0);

	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_FALLING), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 1), 0);
	assert_false(fd_readable(t)); /* a rising edge was not asked for */
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "3", 0), 0);
	assert_true(fd_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.edges[0], VG_EDGE_FALLING);
	assert_false(fd_readable(t));
}

static void sim_set_edge_none_discards_queued_events(void **state)
{
	struct t *t = *state;
	struct rec r0 = {.t = t}, r1 = {.t = t};
	struct vg_line *a, *b;

	a = open_line(t, "board", "in0", VG_DIR_IN, 0, false, &r0);
	b = open_line(t, "board", "in1", VG_DIR_IN, 0, false, &r1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, a, VG_EDGE_BOTH), 0);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, b, VG_EDGE_BOTH), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 1), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 1), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 0), 0);

	assert_int_equal(t->ops->set_edge(t->prov.ctx, a, VG_EDGE_NONE), 0);
	assert_true(fd_readable(t)); /* b's event is still queued */
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r0.n, 0);
	assert_int_equal(r1.n, 1);

	assert_int_equal(t->ops->set_edge(t->prov.ctx, b, VG_EDGE_BOTH), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 0), 0);
	assert_true(fd_readable(t));
	assert_int_equal(t->ops->set_edge(t->prov.ctx, b, VG_EDGE_NONE), 0);
	assert_false(fd_readable(t)); /* nothing left: fd drained */
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r1.n, 1);
}

static void sim_set_edge_rejects_bad_mask_and_outputs(void **state)
{
	struct t *t = *state;
	struct vg_line *o;

	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, false, NULL);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, o, VG_EDGE_RISING),
			 -EINVAL);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, o, VG_EDGE_NONE), 0);
	assert_int_equal(t->ops->set_direction(t->prov.ctx, o, VG_DIR_IN, 0),
			 0);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, o, 4), -EINVAL);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, o, VG_EDGE_BOTH), 0);
}

static void sim_fd_readable_while_events_queued(void **state)
{
	struct t *t = *state;
	struct rec r = {.t = t};
	struct vg_line *in;

	in = open_line(t, "board", "in0", VG_DIR_IN, 0, false, &r);
	assert_false(fd_readable(t));
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 1), 0);
	assert_true(fd_readable(t));
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 0), 0);
	assert_true(fd_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 2);
	assert_false(fd_readable(t));
	/* An empty dispatch is harmless. */
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 2);
}

static void reenter_cb(void *arg, unsigned int edge)
{
	struct rec *r = arg;
	struct t *t = r->t;

	rec_cb(arg, edge);
	if (t->cb_action == 1) /* toggle the output wired back to us */
		assert_int_equal(
			t->ops->set_value(t->prov.ctx, t->cb_line,
					  edge == VG_EDGE_RISING ? 0 : 1),
			0);
	else if (t->cb_action == 2) /* close a line with events queued */
		t->ops->line_close(t->prov.ctx, t->cb_line);
}

static void sim_dispatch_defers_events_queued_by_callbacks(void **state)
{
	struct t *t = *state;
	struct rec r = {.t = t};
	struct vg_line_spec spec = {
		.chip = "board", .line = "in0", .initial_dir = VG_DIR_IN};
	struct vg_line *o, *in;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in0"),
			 0);
	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, false, NULL);
	assert_int_equal(t->ops->line_open(t->prov.ctx, &spec, "loop",
					   reenter_cb, &r, &in),
			 0);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);
	t->cb_line = o;
	t->cb_action = 1;
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), 0);
	/* Each dispatch delivers one edge; the echo waits for the next. */
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 1);
	assert_true(fd_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.edges[0], VG_EDGE_RISING);
	assert_int_equal(r.edges[1], VG_EDGE_FALLING);
	t->cb_action = 0;
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 3);
	assert_false(fd_readable(t));
}

static void sim_dispatch_survives_callback_closing_line(void **state)
{
	struct t *t = *state;
	struct rec r0 = {.t = t}, r1 = {.t = t};
	struct vg_line_spec spec = {
		.chip = "board", .line = "in0", .initial_dir = VG_DIR_IN};
	struct vg_line *a, *b;

	assert_int_equal(
		t->ops->line_open(t->prov.ctx, &spec, "c", reenter_cb, &r0, &a),
		0);
	b = open_line(t, "board", "in1", VG_DIR_IN, 0, false, &r1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, a, VG_EDGE_BOTH), 0);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, b, VG_EDGE_BOTH), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 1), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 1), 0);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in1", 0), 0);
	t->cb_line = b;
	t->cb_action = 2;
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r0.n, 1);
	assert_int_equal(r1.n, 0); /* dropped with its line */
	assert_false(fd_readable(t));
}

static void sim_set_value_on_input_eperm(void **state)
{
	struct t *t = *state;
	struct vg_line *l;

	l = open_line(t, "board", "in0", VG_DIR_IN, 0, false, NULL);
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 1), -EPERM);
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_OUT, 1),
			 0);
	assert_int_equal(logical(t, l), 1);
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 2), -EINVAL);
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_OUT, 3),
			 -EINVAL);
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, 0, 0), -EINVAL);
	assert_int_equal(logical(t, l), 1);
	/* Back to input: it reads its pull again. */
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_IN, 1),
			 0);
	assert_int_equal(logical(t, l), 0);
}

static void sim_line_close_returns_to_input_and_updates_wired(void **state)
{
	struct t *t = *state;
	struct rec ri = {.t = t};
	struct vg_sim_line_state st;
	struct vg_line *o, *in;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "other", "0"), 0);
	o = open_line(t, "board", "out0", VG_DIR_OUT, 1, false, NULL);
	in = open_line(t, "other", "0", VG_DIR_IN, 0, false, &ri);
	assert_int_equal(logical(t, in), 1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);

	t->ops->line_close(t->prov.ctx, o);
	assert_int_equal(vg_sim_get(t->sim, "board", "out0", &st), 0);
	assert_false(st.requested);
	assert_false(st.output);
	assert_int_equal(st.edges, VG_EDGE_NONE);
	assert_string_equal(st.consumer, "");
	assert_int_equal(logical(t, in), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(ri.n, 1);
	assert_int_equal(ri.edges[0], VG_EDGE_FALLING);
	/* The line can be opened again; ops on a closed handle fail. */
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), -EBADF);
	assert_int_equal(try_open(t, "board", "out0"), 0);
}

static void sim_wire_rejects_bad_wiring(void **state)
{
	struct t *t = *state;

	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "0"),
			 -EINVAL);
	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "nope", "0"),
			 -ENOENT);
	assert_int_equal(vg_sim_wire(t->sim, "board", "zz", "board", "in0"),
			 -ENOENT);
	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in0"),
			 0);
	assert_int_equal(vg_sim_wire(t->sim, "board", "2", "board", "in0"),
			 -EBUSY);
	/* One output may drive several inputs. */
	assert_int_equal(vg_sim_wire(t->sim, "board", "out0", "board", "in1"),
			 0);
}

static void sim_set_pull_and_get_external_control(void **state)
{
	struct t *t = *state;
	struct vg_sim_line_state st;
	struct vg_line *o;

	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 2), -EINVAL);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "x", 1), -ENOENT);
	assert_int_equal(vg_sim_set_pull(t->sim, "x", "0", 1), -ENOENT);
	assert_int_equal(vg_sim_get(t->sim, "board", "9", &st), -ENOENT);

	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 1), 0);
	assert_int_equal(vg_sim_get(t->sim, "board", "in0", &st), 0);
	assert_false(st.requested);
	assert_false(st.output);
	assert_int_equal(st.pull, 1);
	assert_int_equal(st.value, 1);

	/* An output's pin shows what it drives, not its pull. */
	o = open_line(t, "board", "out0", VG_DIR_OUT, 0, false, NULL);
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "out0", 1), 0);
	assert_int_equal(vg_sim_get(t->sim, "board", "out0", &st), 0);
	assert_int_equal(st.value, 0);
	assert_int_equal(st.pull, 1);
	assert_int_equal(t->ops->set_value(t->prov.ctx, o, 1), 0);
	assert_int_equal(vg_sim_get(t->sim, "board", "out0", &st), 0);
	assert_int_equal(st.value, 1);
}

static void sim_event_queue_bounded_when_not_dispatched(void **state)
{
	struct t *t = *state;
	struct rec r = {.t = t};
	struct vg_line *in;
	unsigned int i;

	in = open_line(t, "board", "in0", VG_DIR_IN, 0, false, &r);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, in, VG_EDGE_BOTH), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(
			vg_sim_set_pull(t->sim, "board", "in0", (int)(~i & 1)),
			0);
	t->ops->dispatch(t->prov.ctx);
	assert_true(r.n > 0 && r.n < 20000);
	assert_false(fd_readable(t));
	/* After the overflow, events flow again. */
	r.n = 0;
	assert_int_equal(vg_sim_set_pull(t->sim, "board", "in0", 1), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 1);
}

static void sim_free_accepts_null(void **state)
{
	(void)state;
	vg_sim_free(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(sim_ops_valid_always),
		T(sim_add_chip_rejects_bad_arguments),
		T(sim_line_open_resolves_name_and_offset),
		T(sim_line_open_rejects_loose_offsets),
		T(sim_line_open_unknown_chip_or_line_enoent),
		T(sim_line_open_busy_when_held),
		T(sim_line_open_applies_initial_state),
		T(sim_line_open_bias_sets_pull_of_unwired_line),
		T(sim_wire_output_drives_input_with_edges),
		T(sim_wire_active_low_on_output_end),
		T(sim_wire_active_low_on_input_end),
		T(sim_set_pull_edges_only_when_detection_matches),
		T(sim_set_edge_none_discards_queued_events),
		T(sim_set_edge_rejects_bad_mask_and_outputs),
		T(sim_fd_readable_while_events_queued),
		T(sim_dispatch_defers_events_queued_by_callbacks),
		T(sim_dispatch_survives_callback_closing_line),
		T(sim_set_value_on_input_eperm),
		T(sim_line_close_returns_to_input_and_updates_wired),
		T(sim_wire_rejects_bad_wiring),
		T(sim_set_pull_and_get_external_control),
		T(sim_event_queue_bounded_when_not_dispatched),
		T(sim_free_accepts_null),
	};

	return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
