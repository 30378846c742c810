// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hostile guests against a real vgpiod over the loop transport: every
 * ring violation puts only the offender's device into NEEDS_RESET; a bad
 * request gets STATUS_ERR; odd register accesses are answered and
 * ignored; meanwhile a second, well-behaved guest keeps working, the
 * daemon stays up, and a reset + re-probe recovers the offender.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "../lib/daemon-run.h"
#include "hostile.h"
#include "shim.h"

static const char config[] = "[sim board]\n"
			     "lines = 4\n"
			     "names = a0 a1 b0 b1\n"
			     "wire = a1 -> a0\n"
			     "\n"
			     "[domain bad]\n"
			     "lines = board a0 a1\n"
			     "line a1 = allow=out safe=low\n"
			     "\n"
			     "[domain good]\n"
			     "lines = board b0 b1\n"
			     "line b0 = allow=out safe=high\n"
			     "line b1 = allow=in,irq\n";

struct run {
	struct vg_drun *r;
	struct vg_shim *bad, *good;
};

static int run_setup(void **state)
{
	struct run *run = calloc(1, sizeof(*run));

	if (!run || vg_drun_start(config, NULL, &run->r)) {
		free(run);
		return -1;
	}
	if (vg_drun_guest(run->r, "good", NULL, &run->good)) {
		/* cmocka runs no teardown after a failed setup. */
		vg_drun_kill(run->r);
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *run = *state;
	int rc;

	vg_shim_free(run->bad);
	vg_shim_free(run->good);
	/* Whatever the guests did, the daemon exits cleanly on SIGTERM. */
	rc = vg_drun_stop(run->r);
	free(run);
	if (rc)
		print_error("vgpiod exited with status %d\n", rc);
	return rc ? -1 : 0;
}

/* The level of a board line, read from outside ("vgpio-ctl sim get"). */
static int sim_get(struct vg_drun *r, const char *line)
{
	int v = -1;

	assert_int_equal(vg_drun_sim_get(r, "board", line, &v), 0);
	return v;
}

/* The well-behaved guest still works, also its interrupts. */
static void good_works(struct run *run)
{
	struct vg_shim_event ev;
	int v;

	assert_int_equal(vg_shim_direction_output(run->good, 0, 0), 0);
	assert_int_equal(sim_get(run->r, "b0"), 0);
	assert_int_equal(vg_shim_set_value(run->good, 0, 1), 0);
	assert_int_equal(sim_get(run->r, "b0"), 1);
	assert_int_equal(vg_shim_get_value(run->good, 1, &v), 0);
	assert_int_equal(vg_shim_set_irq_type(run->good, 1,
					      VG_GPIO_IRQ_TYPE_EDGE_RISING),
			 0);
	assert_int_equal(vg_shim_irq_unmask(run->good, 1), 0);
	assert_int_equal(vg_drun_ctl(run->r, "sim set board b1 1", NULL), 0);
	assert_int_equal(vg_shim_wait_event(run->good, 2000, &ev), 1);
	assert_int_equal(ev.gpio, 1);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
	assert_int_equal(vg_drun_ctl(run->r, "sim set board b1 0", NULL), 0);
	assert_int_equal(
		vg_shim_set_irq_type(run->good, 1, VG_GPIO_IRQ_TYPE_NONE), 0);
}

/* The offender after a re-probe: a normal guest again. */
static void bad_works(struct run *run)
{
	struct vg_shim_event ev;
	int v;

	assert_int_equal(vg_shim_direction_output(run->bad, 1, 1), 0);
	assert_int_equal(sim_get(run->r, "a1"), 1);
	assert_int_equal(vg_shim_get_value(run->bad, 0, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vg_shim_set_irq_type(run->bad, 0,
					      VG_GPIO_IRQ_TYPE_EDGE_FALLING),
			 0);
	assert_int_equal(vg_shim_irq_unmask(run->bad, 0), 0);
	assert_int_equal(vg_shim_set_value(run->bad, 1, 0), 0);
	assert_int_equal(vg_shim_wait_event(run->bad, 2000, &ev), 1);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
	assert_int_equal(
		vg_shim_set_irq_type(run->bad, 0, VG_GPIO_IRQ_TYPE_NONE), 0);
}

/* After a violation: NEEDS_RESET, -ENODEV, others fine, re-probe ok. */
static void expect_broken_then_recover(struct run *run)
{
	uint8_t st;
	int v;

	assert_int_equal(vg_hostile_expect_needs_reset(run->bad, 2000), 0);
	assert_int_equal(vg_shim_get_value(run->bad, 0, &v), -ENODEV);
	assert_int_equal(vg_shim_device_status(run->bad, &st), 0);
	assert_true(st & VG_STATUS_DEVICE_NEEDS_RESET);
	good_works(run);
	assert_int_equal(vg_shim_probe(run->bad), 0);
	bad_works(run);
}

static void hostile_each_ring_violation(struct run *run,
					const struct vg_shim_opts *o)
{
	unsigned int k, q;

	assert_int_equal(vg_drun_guest(run->r, "bad", o, &run->bad), 0);
	for (q = 0; q < 2; q++)
		for (k = 0; k < VG_HOSTILE_NR; k++) {
			if (k == VG_HOSTILE_INDIRECT)
				continue; /* legal when negotiated */
			print_message("  %s on queue %u\n",
				      vg_hostile_kind_name(k), q);
			assert_int_equal(vg_hostile_send(run->bad, q, k), 0);
			expect_broken_then_recover(run);
		}
}

static void hostile_ring_violations_isolated(void **state)
{
	hostile_each_ring_violation(*state, NULL);
}

static void hostile_ring_violations_isolated_with_grants(void **state)
{
	struct vg_shim_opts o = {.grants = true, .max_piece = 1};

	hostile_each_ring_violation(*state, &o);
}

static void hostile_indirect_without_feature(void **state)
{
	struct vg_shim_opts o = {.no_indirect = true};
	struct run *run = *state;

	assert_int_equal(vg_drun_guest(run->r, "bad", &o, &run->bad), 0);
	assert_int_equal(vg_hostile_send(run->bad, 0, VG_HOSTILE_INDIRECT), 0);
	expect_broken_then_recover(run);
}

static void hostile_split_request_into_bytes(void **state)
{
	struct vg_shim_opts o = {.max_piece = 1, .grants = true};
	struct run *run = *state;
	uint8_t r[2];
	uint32_t used;
	bool ind;

	assert_int_equal(vg_drun_guest(run->r, "bad", &o, &run->bad), 0);
	for (ind = false;; ind = true) {
		assert_int_equal(vg_hostile_split_request(run->bad, ind,
							  VG_GPIO_MSG_SET_VALUE,
							  1, 1, r, 2, &used),
				 0);
		assert_int_equal(used, 2);
		assert_int_equal(r[0], VG_GPIO_STATUS_OK);
		assert_int_equal(vg_hostile_split_request(
					 run->bad, ind,
					 VG_GPIO_MSG_SET_DIRECTION, 1,
					 VG_GPIO_DIRECTION_OUT, r, 2, &used),
				 0);
		assert_int_equal(r[0], VG_GPIO_STATUS_OK);
		assert_int_equal(sim_get(run->r, "a1"), 1);
		assert_int_equal(vg_hostile_split_request(run->bad, ind,
							  VG_GPIO_MSG_GET_VALUE,
							  0, 0, r, 2, &used),
				 0);
		assert_int_equal(r[0], VG_GPIO_STATUS_OK);
		assert_int_equal(r[1], 1); /* a1 drives a0 */
		assert_int_equal(vg_shim_set_value(run->bad, 1, 0), 0);
		if (ind)
			break;
	}
	bad_works(run);
}

static void hostile_bad_requests_get_status_err(void **state)
{
	struct run *run = *state;
	uint8_t r[VG_SHIM_RESP_MAX];
	uint32_t used;
	int v;

	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	/* Out-of-range indices, also the largest one. */
	assert_int_equal(vg_shim_get_value(run->bad, 2, &v), -EIO);
	assert_int_equal(vg_shim_set_value(run->bad, 0xffff, 1), -EIO);
	/* a1 is output only; a0 may not be driven (default allow is all). */
	assert_int_equal(
		vg_shim_set_direction(run->bad, 1, VG_GPIO_DIRECTION_IN), -EIO);
	/* Bad direction and IRQ type values. */
	assert_int_equal(vg_shim_set_direction(run->bad, 0, 7), -EIO);
	assert_int_equal(vg_shim_set_irq_type(run->bad, 0, 0x10), -EIO);
	/* Unknown type; response too short (1 byte: ERR in what fits). */
	assert_int_equal(vg_shim_request(run->bad, 0, 0, 0, r, 2, &used), 0);
	assert_int_equal(r[0], VG_GPIO_STATUS_ERR);
	assert_int_equal(vg_shim_request(run->bad, VG_GPIO_MSG_GET_VALUE, 0, 0,
					 r, 1, &used),
			 0);
	assert_int_equal(used, 1);
	assert_int_equal(r[0], VG_GPIO_STATUS_ERR);
	/* A longer response buffer is fine: used length stays exact. */
	assert_int_equal(vg_shim_request(run->bad, VG_GPIO_MSG_GET_VALUE, 0, 0,
					 r, sizeof(r), &used),
			 0);
	assert_int_equal(r[0], VG_GPIO_STATUS_OK);
	assert_int_equal(used, 2);
	/* Unmasking a line without an enabled IRQ: buffer back INVALID. */
	{
		struct vg_shim_event ev;

		assert_int_equal(vg_shim_irq_unmask(run->bad, 0), 0);
		assert_int_equal(vg_shim_wait_event(run->bad, 2000, &ev), 1);
		assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_INVALID);
	}
	bad_works(run);
	good_works(run);
}

static void hostile_readonly_grant_for_response(void **state)
{
	struct vg_shim_opts o = {.grants = true};
	struct run *run = *state;
	struct vg_hostile_desc d;
	struct vg_gpio_request *req;
	uint64_t buf;

	assert_int_equal(vg_drun_guest(run->r, "bad", &o, &run->bad), 0);
	buf = vg_hostile_alloc(run->bad, 64);
	assert_true(buf != 0);
	req = vg_drv_ptr(&run->bad->mem, buf);
	req->type = vg_le16_put(VG_GPIO_MSG_GET_VALUE);
	d = (struct vg_hostile_desc){vg_hostile_dma(run->bad, buf, true), 8,
				     VG_VRING_DESC_F_NEXT, 1};
	assert_int_equal(vg_hostile_desc_set(run->bad, 0, 0, &d), 0);
	/* Writable buffer handed out through a read-only grant. */
	d = (struct vg_hostile_desc){vg_hostile_dma(run->bad, buf + 16, true),
				     2, VG_VRING_DESC_F_WRITE, 0};
	assert_int_equal(vg_hostile_desc_set(run->bad, 0, 1, &d), 0);
	assert_int_equal(vg_hostile_avail_push(run->bad, 0, 0), 0);
	assert_int_equal(vg_hostile_notify(run->bad, 0), 0);
	expect_broken_then_recover(run);
}

static void hostile_revoked_grants(void **state)
{
	struct vg_shim_opts o = {.grants = true};
	struct run *run = *state;
	int v;

	assert_int_equal(vg_drun_guest(run->r, "bad", &o, &run->bad), 0);
	/* The request buffer's grant, then the used ring's. */
	vg_hostile_grant_set(run->bad, run->bad->lines[0].req, false);
	assert_int_equal(vg_shim_get_value(run->bad, 0, &v), -ENODEV);
	vg_hostile_grant_set(run->bad, run->bad->lines[0].req, true);
	expect_broken_then_recover(run);
	vg_hostile_grant_set(run->bad, run->bad->vq[0].used, false);
	assert_int_equal(vg_shim_get_value(run->bad, 0, &v), -ENODEV);
	vg_hostile_grant_set(run->bad, run->bad->vq[0].used, true);
	expect_broken_then_recover(run);
}

static void hostile_register_accesses_ignored(void **state)
{
	static const struct {
		uint64_t off;
		unsigned int size;
	} bad[] = {
		{VG_MMIO_STATUS + 1, 4}, {VG_MMIO_STATUS, 1},
		{VG_MMIO_STATUS, 8},	 {VG_MMIO_QUEUE_NOTIFY, 3},
		{VG_MMIO_CONFIG + 7, 2}, {VG_MMIO_WINDOW, 4},
		{UINT64_MAX - 3, 4},	 {VG_MMIO_DEVICE_ID, 16},
		{VG_MMIO_QUEUE_SEL, 0},	 {VG_MMIO_CONFIG + 8, 1},
	};
	struct run *run = *state;
	unsigned int i;
	uint64_t v;

	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		assert_int_equal(vg_hostile_mmio_read(run->bad, bad[i].off,
						      bad[i].size, &v),
				 0);
		assert_int_equal(v, 0);
		assert_int_equal(vg_hostile_mmio_write(run->bad, bad[i].off,
						       bad[i].size, UINT64_MAX),
				 0);
	}
	/* Queue registers of a queue that does not exist; a bogus notify. */
	vg_shim_write32(run->bad, VG_MMIO_QUEUE_SEL, 7);
	assert_int_equal(vg_shim_read32(run->bad, VG_MMIO_QUEUE_NUM_MAX), 0);
	vg_shim_write32(run->bad, VG_MMIO_QUEUE_NUM, 4);
	assert_int_equal(vg_hostile_notify(run->bad, 9), 0);
	/* Ring addresses may not change while the queue is ready. */
	vg_shim_write32(run->bad, VG_MMIO_QUEUE_SEL, 0);
	vg_shim_write32(run->bad, VG_MMIO_QUEUE_DESC_LOW, 0x1234);
	bad_works(run);
	good_works(run);
}

static void hostile_disconnect_during_request(void **state)
{
	struct run *run = *state;
	struct vg_drv_sg sg[2];
	uint64_t buf;

	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	assert_int_equal(vg_shim_direction_output(run->bad, 1, 1), 0);
	assert_int_equal(
		vg_shim_set_irq_type(run->bad, 0, VG_GPIO_IRQ_TYPE_EDGE_BOTH),
		0);
	assert_int_equal(vg_shim_irq_unmask(run->bad, 0), 0);
	/* Publish a request and leave before its answer. */
	buf = vg_hostile_alloc(run->bad, 64);
	((struct vg_gpio_request *)vg_drv_ptr(&run->bad->mem, buf))->type =
		vg_le16_put(VG_GPIO_MSG_GET_VALUE);
	sg[0] = (struct vg_drv_sg){.gpa = buf, .len = 8};
	sg[1] = (struct vg_drv_sg){.gpa = buf + 16, .len = 2, .write = true};
	assert_int_equal(vg_drv_vq_add(&run->bad->vq[0], sg, 2, &buf), 0);
	vg_hostile_notify(run->bad, 0);
	vg_shim_free(run->bad);
	run->bad = NULL;
	/* Its worker puts the lines back once it has seen the hang-up. */
	assert_int_equal(vg_drun_wait_disconnected(run->r, "bad"), 0);
	assert_int_equal(sim_get(run->r, "a1"), 0); /* safe=low */
	good_works(run);
	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	bad_works(run);
}

/*
 * A client that opens many connections and never says HELLO: the daemon
 * has no timers to reap them, so they must not use up the slots other
 * guests need.
 */
static void hostile_idle_connections_do_not_lock_out(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct run *run = *state;
	int idle[100], i;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
		 vg_drun_socket(run->r));
	for (i = 0; i < 100; i++) {
		idle[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		assert_true(idle[i] >= 0);
		assert_int_equal(
			connect(idle[i], (struct sockaddr *)&sa, sizeof(sa)),
			0);
	}
	/* Let the daemon accept them all before the real guest comes. */
	assert_int_equal(vg_drun_ctl(run->r, "status", NULL), 0);
	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	bad_works(run);
	good_works(run);
	for (i = 0; i < 100; i++)
		close(idle[i]);
}

/*
 * An edge latched while the interrupt is masked belongs to the driver
 * instance that enabled it: a device reset discards it (spec: reset
 * discards all line state), so the next driver never sees a stale event.
 */
static void hostile_reset_discards_latched_edge(void **state)
{
	struct run *run = *state;
	struct vg_shim_event ev;

	assert_int_equal(vg_drun_guest(run->r, "bad", NULL, &run->bad), 0);
	assert_int_equal(vg_shim_direction_output(run->bad, 1, 0), 0);
	assert_int_equal(
		vg_shim_set_irq_type(run->bad, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		0);
	/* Positive control: masked rising edge, unmask, it is delivered. */
	assert_int_equal(vg_shim_set_value(run->bad, 1, 1), 0);
	assert_int_equal(vg_shim_irq_unmask(run->bad, 0), 0);
	assert_int_equal(vg_shim_wait_event(run->bad, 2000, &ev), 1);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
	/* Latch another one (masked again), then reset the device. */
	assert_int_equal(vg_shim_set_value(run->bad, 1, 0), 0);
	assert_int_equal(vg_shim_set_value(run->bad, 1, 1), 0);
	assert_int_equal(vg_shim_probe(run->bad), 0);
	assert_int_equal(sim_get(run->r, "a1"), 0); /* back to safe=low */
	assert_int_equal(
		vg_shim_set_irq_type(run->bad, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		0);
	assert_int_equal(vg_shim_irq_unmask(run->bad, 0), 0);
	assert_int_equal(vg_shim_wait_event(run->bad, 300, &ev), 0);
	/* Disable: the held buffer comes back INVALID, nothing else. */
	assert_int_equal(
		vg_shim_set_irq_type(run->bad, 0, VG_GPIO_IRQ_TYPE_NONE), 0);
	assert_int_equal(vg_shim_wait_event(run->bad, 2000, &ev), 1);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_INVALID);
	bad_works(run);
	good_works(run);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)
	const struct CMUnitTest tests[] = {
		T(hostile_ring_violations_isolated),
		T(hostile_ring_violations_isolated_with_grants),
		T(hostile_indirect_without_feature),
		T(hostile_split_request_into_bytes),
		T(hostile_bad_requests_get_status_err),
		T(hostile_readonly_grant_for_response),
		T(hostile_revoked_grants),
		T(hostile_register_accesses_ignored),
		T(hostile_disconnect_during_request),
		T(hostile_idle_connections_do_not_lock_out),
		T(hostile_reset_discards_latched_edge),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
