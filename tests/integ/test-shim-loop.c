// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpiod + vgpio-shim over the loop transport with sim lines: every
 * request and interrupt type, output-to-input wiring, two guests at once,
 * grants (read-only ones included), one-byte pieces, declined features,
 * disconnects and SIGTERM. Lines are read and driven from outside through
 * the control socket, as vgpio-ctl does. Hostile guests: test-shim-hostile.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "daemon-run.h"
#include "shim.h"

static const char config[] = "[sim board]\n"
			     "lines = 8\n"
			     "names = out0 out1 in0 in1 drv irq ro spare\n"
			     "wire = drv -> irq\n"
			     "pull = in1 up\n"
			     "\n"
			     "[domain alpha]\n"
			     "lines = board out0 in0 drv irq ro\n"
			     "line out0 = allow=in,out safe=high\n"
			     "line in0 = allow=in,irq\n"
			     "line drv = allow=out safe=low\n"
			     "line irq = allow=in,irq\n"
			     "line ro = allow=in\n"
			     "\n"
			     "[domain beta]\n"
			     "lines = board out1 in1\n"
			     "line out1 = allow=in,out safe=low\n"
			     "line in1 = allow=in,irq\n";

enum { A_OUT0, A_IN0, A_DRV, A_IRQ, A_RO, A_N };
enum { B_OUT1, B_IN1, B_N };

#define NO_EVENT_MS 150
#define MAX_GUESTS 4

/*
 * Each test gets a daemon and the guests it made, so that teardown cleans
 * up after a failed assertion too (cmocka leaves the test function with
 * a longjmp).
 */
struct run {
	struct vg_drun *r;
	struct vg_shim *g[MAX_GUESTS];
	const char *dom[MAX_GUESTS]; /* g[i]'s domain */
};

static int run_setup(void **state)
{
	struct run *run = calloc(1, sizeof(*run));

	if (!run || vg_drun_start(config, NULL, &run->r)) {
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *run = *state;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < MAX_GUESTS; i++)
		vg_shim_free(run->g[i]);
	/* Whatever the test did, the daemon exits cleanly on SIGTERM. */
	if (run->r)
		rc = vg_drun_stop(run->r);
	free(run);
	if (rc)
		print_error("vgpiod exited with status %d\n", rc);
	return rc ? -1 : 0;
}

/* Stop the daemon with SIGTERM now; its exit status. */
static int daemon_stop(struct run *run)
{
	struct vg_drun *r = run->r;

	run->r = NULL;
	return vg_drun_stop(r);
}

/* A connected, probed guest that teardown frees. */
static struct vg_shim *guest(struct run *run, const char *domain,
			     const struct vg_shim_opts *o)
{
	unsigned int i;

	for (i = 0; i < MAX_GUESTS && run->g[i]; i++)
		;
	assert_true(i < MAX_GUESTS);
	assert_int_equal(vg_drun_guest(run->r, domain, o, &run->g[i]), 0);
	run->dom[i] = domain;
	return run->g[i];
}

/*
 * Disconnect a guest made by guest() now, and wait until the daemon has
 * seen it go (with workers, its worker does that, after the guest has
 * gone).
 */
static void guest_free(struct run *run, struct vg_shim *s)
{
	const char *domain = NULL;
	unsigned int i;

	for (i = 0; i < MAX_GUESTS; i++)
		if (run->g[i] == s) {
			run->g[i] = NULL;
			domain = run->dom[i];
		}
	vg_shim_free(s);
	if (domain)
		assert_int_equal(vg_drun_wait_disconnected(run->r, domain), 0);
}

/* The level of a sim line, read from outside ("vgpio-ctl sim get"). */
static int sim_get(struct vg_drun *r, const char *line)
{
	int v = -1;

	assert_int_equal(vg_drun_sim_get(r, "board", line, &v), 0);
	return v;
}

static void sim_set(struct vg_drun *r, const char *line, int v)
{
	assert_int_equal(vg_drun_sim_set(r, "board", line, v), 0);
}

/* An input with an interrupt of @type, unmasked: Linux's request_irq(). */
static void irq_enable(struct vg_shim *s, unsigned int gpio, uint8_t type)
{
	assert_int_equal(vg_shim_set_direction(s, gpio, VG_GPIO_DIRECTION_IN),
			 0);
	assert_int_equal(vg_shim_set_irq_type(s, gpio, type), 0);
	assert_int_equal(vg_shim_irq_unmask(s, gpio), 0);
}

static void expect_event(struct vg_shim *s, unsigned int gpio, uint8_t st)
{
	struct vg_shim_event ev;

	assert_int_equal(vg_shim_wait_event(s, 2000, &ev), 1);
	assert_int_equal(ev.gpio, gpio);
	assert_int_equal(ev.status, st);
}

static void expect_no_event(struct vg_shim *s)
{
	struct vg_shim_event ev;

	assert_int_equal(vg_shim_wait_event(s, NO_EVENT_MS, &ev), 0);
}

/* Every request type on alpha's lines, checked from outside. */
static void alpha_requests(struct vg_drun *r, struct vg_shim *s)
{
	uint8_t dir;
	int v;

	assert_int_equal(vg_shim_ngpio(s), A_N);
	assert_string_equal(vg_shim_line_name(s, A_IRQ), "irq");
	assert_int_equal(vg_shim_direction_output(s, A_OUT0, 0), 0);
	assert_int_equal(sim_get(r, "out0"), 0);
	assert_int_equal(vg_shim_get_direction(s, A_OUT0, &dir), 0);
	assert_int_equal(dir, VG_GPIO_DIRECTION_OUT);
	assert_int_equal(vg_shim_set_value(s, A_OUT0, 1), 0);
	assert_int_equal(sim_get(r, "out0"), 1);
	assert_int_equal(vg_shim_get_value(s, A_OUT0, &v), 0);
	assert_int_equal(v, 1);
	/* Inputs follow what the host drives. */
	assert_int_equal(vg_shim_set_direction(s, A_IN0, VG_GPIO_DIRECTION_IN),
			 0);
	sim_set(r, "in0", 1);
	assert_int_equal(vg_shim_get_value(s, A_IN0, &v), 0);
	assert_int_equal(v, 1);
	sim_set(r, "in0", 0);
	assert_int_equal(vg_shim_get_value(s, A_IN0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vg_shim_get_direction(s, A_IN0, &dir), 0);
	assert_int_equal(dir, VG_GPIO_DIRECTION_IN);
	/* NONE releases: back to the safe value (high for out0). */
	assert_int_equal(vg_shim_set_value(s, A_OUT0, 0), 0);
	assert_int_equal(
		vg_shim_set_direction(s, A_OUT0, VG_GPIO_DIRECTION_NONE), 0);
	assert_int_equal(sim_get(r, "out0"), 1);
	assert_int_equal(vg_shim_get_direction(s, A_OUT0, &dir), 0);
	assert_int_equal(dir, VG_GPIO_DIRECTION_NONE);
	/* The ACL: ro is input only, index 5 does not exist. */
	assert_int_equal(vg_shim_direction_output(s, A_RO, 1), -EIO);
	assert_int_equal(vg_shim_get_value(s, A_N, &v), -EIO);
	if (vg_shim_has_feature(s, VG_GPIO_F_IRQ)) {
		assert_int_equal(vg_shim_set_irq_type(
					 s, A_IRQ, VG_GPIO_IRQ_TYPE_EDGE_BOTH),
				 0);
		assert_int_equal(
			vg_shim_set_irq_type(s, A_IRQ, VG_GPIO_IRQ_TYPE_NONE),
			0);
		/* ro may not take interrupts. */
		assert_int_equal(vg_shim_set_irq_type(
					 s, A_RO, VG_GPIO_IRQ_TYPE_EDGE_BOTH),
				 -EIO);
	}
}

/* drv (output) is wired to irq (input): the guest raises its own IRQs. */
static void alpha_irq(struct vg_shim *s, uint8_t type)
{
	bool level = type == VG_GPIO_IRQ_TYPE_LEVEL_HIGH ||
		     type == VG_GPIO_IRQ_TYPE_LEVEL_LOW;
	int active = type == VG_GPIO_IRQ_TYPE_EDGE_FALLING ||
				     type == VG_GPIO_IRQ_TYPE_LEVEL_LOW
			     ? 0
			     : 1;

	print_message("  irq type %u\n", type);
	assert_int_equal(vg_shim_direction_output(s, A_DRV, !active), 0);
	irq_enable(s, A_IRQ, type);
	expect_no_event(s);
	assert_int_equal(vg_shim_set_value(s, A_DRV, active), 0);
	expect_event(s, A_IRQ, VG_GPIO_IRQ_STATUS_VALID);
	if (level) {
		/* Still active: unmasking fires again at once. */
		assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
		expect_event(s, A_IRQ, VG_GPIO_IRQ_STATUS_VALID);
		/* Inactive first, else the next unmask fires once more. */
		assert_int_equal(vg_shim_set_value(s, A_DRV, !active), 0);
		assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
	} else {
		assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
		assert_int_equal(vg_shim_set_value(s, A_DRV, !active), 0);
	}
	if (type == VG_GPIO_IRQ_TYPE_EDGE_BOTH)
		expect_event(s, A_IRQ, VG_GPIO_IRQ_STATUS_VALID);
	else
		expect_no_event(s);
	if (type == VG_GPIO_IRQ_TYPE_EDGE_BOTH)
		assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
	/* Disabling returns the held buffer INVALID. */
	assert_int_equal(vg_shim_set_irq_type(s, A_IRQ, VG_GPIO_IRQ_TYPE_NONE),
			 0);
	expect_event(s, A_IRQ, VG_GPIO_IRQ_STATUS_INVALID);
}

static void loop_requests_every_type(void **state)
{
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *s = guest(run, "alpha", NULL);

	alpha_requests(r, s);
}

static void loop_irq_every_type(void **state)
{
	static const uint8_t types[] = {
		VG_GPIO_IRQ_TYPE_EDGE_RISING, VG_GPIO_IRQ_TYPE_EDGE_FALLING,
		VG_GPIO_IRQ_TYPE_EDGE_BOTH,   VG_GPIO_IRQ_TYPE_LEVEL_HIGH,
		VG_GPIO_IRQ_TYPE_LEVEL_LOW,
	};
	struct run *run = *state;
	struct vg_shim *s = guest(run, "alpha", NULL);
	unsigned int i;

	for (i = 0; i < VG_ARRAY_SIZE(types); i++)
		alpha_irq(s, types[i]);
}

static void loop_irq_edge_latched_while_masked(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run, "alpha", NULL);

	assert_int_equal(vg_shim_direction_output(s, A_DRV, 0), 0);
	assert_int_equal(
		vg_shim_set_irq_type(s, A_IRQ, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		0);
	assert_int_equal(vg_shim_set_value(s, A_DRV, 1), 0);
	assert_int_equal(vg_shim_set_value(s, A_DRV, 0), 0);
	expect_no_event(s);
	assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
	expect_event(s, A_IRQ, VG_GPIO_IRQ_STATUS_VALID);
	/* One latch for both edges seen while masked. */
	assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
	expect_no_event(s);
}

static void loop_irq_from_outside_input(void **state)
{
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *s = guest(run, "alpha", NULL);

	irq_enable(s, A_IN0, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	sim_set(r, "in0", 1);
	expect_no_event(s);
	sim_set(r, "in0", 0);
	expect_event(s, A_IN0, VG_GPIO_IRQ_STATUS_VALID);
}

static void loop_two_guests_at_once(void **state)
{
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *a = guest(run, "alpha", NULL);
	struct vg_shim *b = guest(run, "beta", NULL);
	int v;

	assert_int_equal(vg_shim_ngpio(b), B_N);
	assert_string_equal(vg_shim_line_name(b, B_IN1), "in1");
	/* beta cannot name alpha's lines: its index 2 does not exist. */
	assert_int_equal(vg_shim_get_value(b, 2, &v), -EIO);
	assert_int_equal(vg_shim_get_value(b, B_IN1, &v), 0);
	assert_int_equal(v, 1); /* pulled up */
	irq_enable(b, B_IN1, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	alpha_requests(r, a);
	assert_int_equal(vg_shim_direction_output(b, B_OUT1, 1), 0);
	assert_int_equal(sim_get(r, "out1"), 1);
	alpha_irq(a, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	sim_set(r, "in1", 0);
	expect_event(b, B_IN1, VG_GPIO_IRQ_STATUS_VALID);
	expect_no_event(a);
}

static void loop_options_all_work(void **state)
{
	static const struct vg_shim_opts opts[] = {
		{.grants = true},
		{.max_piece = 1},
		{.grants = true, .max_piece = 1, .queue_size = 16},
		{.no_indirect = true, .no_event_idx = true},
		{.queue_size = 2},
	};
	struct run *run = *state;
	struct vg_drun *r = run->r;
	unsigned int i;

	for (i = 0; i < VG_ARRAY_SIZE(opts); i++) {
		struct vg_shim *s = guest(run, "alpha", &opts[i]);

		print_message("  options %u\n", i);
		assert_int_equal(
			vg_shim_has_feature(s, VG_F_RING_INDIRECT_DESC),
			!opts[i].no_indirect);
		assert_int_equal(vg_shim_has_feature(s, VG_F_RING_EVENT_IDX),
				 !opts[i].no_event_idx);
		alpha_requests(r, s);
		alpha_irq(s, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
		alpha_irq(s, VG_GPIO_IRQ_TYPE_LEVEL_LOW);
		guest_free(run, s);
	}
}

static void loop_features_declined(void **state)
{
	struct vg_shim_opts o = {
		.no_irq = true, .no_indirect = true, .no_event_idx = true};
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *s = guest(run, "alpha", &o);

	assert_int_equal(vg_shim_features(s),
			 VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM));
	alpha_requests(r, s);
	/* Without F_IRQ there is no eventq and SET_IRQ_TYPE is refused. */
	assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), -EOPNOTSUPP);
	assert_int_equal(
		vg_shim_set_irq_type(s, A_IRQ, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		-EIO);
	vg_shim_write32(s, VG_MMIO_QUEUE_SEL, VG_GPIO_QUEUE_EVENT);
	assert_int_equal(vg_shim_read32(s, VG_MMIO_QUEUE_NUM_MAX), 0);
}

static void loop_hello_unknown_domain_refused(void **state)
{
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *s;

	assert_int_equal(vg_shim_new(NULL, &s), 0);
	assert_int_not_equal(
		vg_shim_connect_loop(s, vg_drun_socket(r), "nobody"), 0);
	assert_non_null(strstr(vg_shim_error(s), "nobody"));
	assert_int_equal(vg_shim_probe(s), -ENOTCONN);
	vg_shim_free(s);
}

static void loop_disconnect_returns_safe_values(void **state)
{
	struct run *run = *state;
	struct vg_drun *r = run->r;
	struct vg_shim *s = guest(run, "alpha", NULL);
	struct vg_shim *again;

	assert_int_equal(vg_shim_direction_output(s, A_OUT0, 0), 0);
	assert_int_equal(vg_shim_direction_output(s, A_DRV, 1), 0);
	assert_int_equal(
		vg_shim_set_irq_type(s, A_IRQ, VG_GPIO_IRQ_TYPE_EDGE_BOTH), 0);
	assert_int_equal(vg_shim_irq_unmask(s, A_IRQ), 0);
	assert_int_equal(sim_get(r, "out0"), 0);
	assert_int_equal(sim_get(r, "drv"), 1);
	/* Gone mid-way: an eventq buffer held, lines driven. */
	guest_free(run, s);
	assert_int_equal(sim_get(r, "out0"), 1); /* safe=high */
	assert_int_equal(sim_get(r, "drv"), 0); /* safe=low */
	/* The domain can come back. */
	again = guest(run, "alpha", NULL);
	alpha_requests(r, again);
}

static void loop_sigterm_exits_zero(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run, "alpha", NULL);
	int v;

	assert_int_equal(vg_shim_direction_output(s, A_OUT0, 0), 0);
	assert_int_equal(daemon_stop(run), 0);
	/* The guest sees its connection go. */
	assert_int_not_equal(vg_shim_get_value(s, A_OUT0, &v), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, run_setup, run_teardown)
	const struct CMUnitTest tests[] = {
		T(loop_requests_every_type),
		T(loop_irq_every_type),
		T(loop_irq_edge_latched_while_masked),
		T(loop_irq_from_outside_input),
		T(loop_two_guests_at_once),
		T(loop_options_all_work),
		T(loop_features_declined),
		T(loop_hello_unknown_domain_refused),
		T(loop_disconnect_returns_safe_values),
		T(loop_sigterm_exits_zero),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
