// SPDX-License-Identifier: BSD-3-Clause
/*
 * The frontend shim against an in-process device (tests/lib/inproc-wire.h)
 * on simulated lines: the faithful driver, every option, and the hostile
 * builders with their recovery. The same scenarios over the loop socket
 * and a real vgpiod are in test-shim-loop.c and test-shim-hostile.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "hostile.h"
#include "inproc-wire.h"
#include "shim.h"
#include "sim.h"

enum { L_LED, L_BTN, L_DRV, L_RO, L_N };

struct fix {
	struct vg_sim *sim;
	struct vg_shim *shim;
	struct vg_inproc_wire *w; /* owned by shim once started */
};

static const char *const names[] = {"led", "btn", "drv", "ro"};

static int fix_start(struct fix *f, const struct vg_shim_opts *o,
		     const struct vg_inproc_wire_params *wp)
{
	struct vg_inproc_wire_params p = {0};
	static const unsigned int allow[L_N] = {VG_ALLOW_OUT | VG_ALLOW_IN,
						VG_ALLOW_IN | VG_ALLOW_IRQ,
						VG_ALLOW_OUT, VG_ALLOW_IN};
	struct vg_shim_wire wire;
	unsigned int i;
	int rc;

	memset(f, 0, sizeof(*f));
	if (wp)
		p = *wp;
	rc = vg_sim_new(NULL, &f->sim);
	if (rc)
		return rc;
	rc = vg_sim_add_chip(f->sim, "board", L_N, names);
	if (!rc)
		rc = vg_sim_wire(f->sim, "board", "drv", "board", "btn");
	if (!rc)
		rc = vg_shim_new(o, &f->shim);
	if (!rc)
		rc = vg_inproc_wire_new(&f->w);
	for (i = 0; !rc && i < L_N; i++) {
		struct vg_line_spec spec = {.chip = "board",
					    .line = names[i],
					    .initial_dir = VG_DIR_IN};

		rc = vg_inproc_wire_add_line(f->w, vg_sim_provider(f->sim),
					     &spec, NULL, allow[i],
					     VG_SAFE_INPUT);
	}
	if (!rc)
		rc = vg_inproc_wire_start(f->w, &f->shim->mem, &p, &wire);
	if (rc)
		return rc;
	vg_shim_set_wire(f->shim, &wire);
	return vg_shim_probe(f->shim);
}

static void fix_stop(struct fix *f)
{
	if (f->shim)
		vg_shim_free(f->shim);
	else
		vg_inproc_wire_free(f->w);
	vg_sim_free(f->sim);
}

static int sim_value(struct fix *f, const char *line)
{
	struct vg_sim_line_state st;

	assert_int_equal(vg_sim_get(f->sim, "board", line, &st), 0);
	return st.value;
}

/* Everything a well-behaved guest does, on whatever the fixture built. */
static void exercise(struct fix *f)
{
	struct vg_shim *s = f->shim;
	struct vg_shim_event ev;
	uint8_t dir;
	int v;

	assert_int_equal(vg_shim_direction_output(s, L_LED, 1), 0);
	assert_int_equal(sim_value(f, "led"), 1);
	assert_int_equal(vg_shim_get_value(s, L_LED, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vg_shim_get_direction(s, L_LED, &dir), 0);
	assert_int_equal(dir, VG_GPIO_DIRECTION_OUT);
	assert_int_equal(vg_shim_set_value(s, L_LED, 0), 0);
	assert_int_equal(sim_value(f, "led"), 0);
	assert_int_equal(vg_shim_set_direction(s, L_BTN, VG_GPIO_DIRECTION_IN),
			 0);
	assert_int_equal(vg_shim_direction_output(s, L_DRV, 0), 0);
	if (!vg_shim_has_feature(s, VG_GPIO_F_IRQ)) {
		assert_int_equal(vg_shim_irq_unmask(s, L_BTN), -EOPNOTSUPP);
		return;
	}
	assert_int_equal(
		vg_shim_set_irq_type(s, L_BTN, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		0);
	assert_int_equal(vg_shim_irq_unmask(s, L_BTN), 0);
	assert_int_equal(vg_shim_wait_event(s, 0, &ev), 0);
	assert_int_equal(vg_shim_set_value(s, L_DRV, 1), 0);
	assert_int_equal(vg_shim_wait_event(s, 100, &ev), 1);
	assert_int_equal(ev.gpio, L_BTN);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
	assert_int_equal(vg_shim_get_value(s, L_BTN, &v), 0);
	assert_int_equal(v, 1);
	/* Disabling returns a held buffer INVALID. */
	assert_int_equal(vg_shim_irq_unmask(s, L_BTN), 0);
	assert_int_equal(vg_shim_set_irq_type(s, L_BTN, VG_GPIO_IRQ_TYPE_NONE),
			 0);
	assert_int_equal(vg_shim_wait_event(s, 100, &ev), 1);
	assert_int_equal(ev.gpio, L_BTN);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_INVALID);
}

static void shim_probe_reads_config_names_features(void **state)
{
	struct fix f;
	uint8_t st;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, NULL), 0);
	assert_int_equal(vg_shim_ngpio(f.shim), L_N);
	assert_string_equal(vg_shim_line_name(f.shim, L_BTN), "btn");
	assert_null(vg_shim_line_name(f.shim, L_N));
	assert_int_equal(vg_shim_line_find(f.shim, "drv"), L_DRV);
	assert_int_equal(vg_shim_line_find(f.shim, "3"), 3);
	assert_int_equal(vg_shim_line_find(f.shim, "4"), -ENOENT);
	assert_int_equal(vg_shim_line_find(f.shim, "nope"), -ENOENT);
	assert_true(vg_shim_has_feature(f.shim, VG_F_VERSION_1));
	assert_true(vg_shim_has_feature(f.shim, VG_F_ACCESS_PLATFORM));
	assert_true(vg_shim_has_feature(f.shim, VG_GPIO_F_IRQ));
	assert_true(vg_shim_has_feature(f.shim, VG_F_RING_INDIRECT_DESC));
	assert_true(vg_shim_has_feature(f.shim, VG_F_RING_EVENT_IDX));
	assert_int_equal(vg_shim_device_status(f.shim, &st), 0);
	assert_int_equal(st, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
				     VG_STATUS_FEATURES_OK |
				     VG_STATUS_DRIVER_OK);
	/* Probe asked every line's direction: nothing configured yet. */
	assert_int_equal(f.shim->lines[L_LED].dir, VG_GPIO_DIRECTION_NONE);
	fix_stop(&f);
}

static void shim_requests_work_with_defaults(void **state)
{
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, NULL), 0);
	exercise(&f);
	fix_stop(&f);
}

static void shim_requests_work_with_features_declined(void **state)
{
	struct vg_shim_opts o = {
		.no_irq = true, .no_indirect = true, .no_event_idx = true};
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, &o, NULL), 0);
	assert_int_equal(vg_shim_features(f.shim),
			 VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM));
	assert_int_equal(f.shim->nvqs, 1);
	exercise(&f);
	fix_stop(&f);
}

static void shim_requests_work_when_device_offers_less(void **state)
{
	struct vg_inproc_wire_params p = {
		.no_irq = true, .no_indirect = true, .no_event_idx = true};
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, &p), 0);
	assert_false(vg_shim_has_feature(f.shim, VG_GPIO_F_IRQ));
	assert_false(vg_shim_has_feature(f.shim, VG_F_RING_EVENT_IDX));
	exercise(&f);
	fix_stop(&f);
}

static void shim_requests_work_with_grants_pieces_small_queue(void **state)
{
	struct vg_shim_opts o = {.grants = true, .queue_size = 2};
	struct vg_inproc_wire_params p = {.max_piece = 1};
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, &o, &p), 0);
	assert_int_equal(f.shim->vq[0].size, 2);
	exercise(&f);
	fix_stop(&f);
}

static void shim_probe_fails_on_bad_queue_size(void **state)
{
	struct vg_shim_opts o = {.queue_size = 512};
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, &o, NULL), -EINVAL);
	assert_non_null(strstr(vg_shim_error(f.shim), "queue size"));
	fix_stop(&f);
}

static void shim_request_bad_index_gets_status_err(void **state)
{
	uint8_t r[2];
	uint32_t used;
	struct fix f;
	int v;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, NULL), 0);
	assert_int_equal(vg_shim_get_value(f.shim, L_N, &v), -EIO);
	assert_int_equal(vg_shim_get_value(f.shim, 0xffff, &v), -EIO);
	/* Denied by the ACL: "ro" is input-only. */
	assert_int_equal(vg_shim_direction_output(f.shim, L_RO, 1), -EIO);
	/* Unknown message type. */
	assert_int_equal(vg_shim_request(f.shim, 0x77, 0, 0, r, 2, &used), 0);
	assert_int_equal(r[0], VG_GPIO_STATUS_ERR);
	assert_int_equal(used, 2);
	/* A 1-byte response buffer: ERR in what fits. */
	assert_int_equal(vg_shim_request(f.shim, VG_GPIO_MSG_GET_VALUE, 0, 0, r,
					 1, &used),
			 0);
	assert_int_equal(r[0], VG_GPIO_STATUS_ERR);
	assert_int_equal(used, 1);
	exercise(&f); /* still fine */
	fix_stop(&f);
}

static void hostile_split_request_answered(void **state)
{
	struct vg_inproc_wire_params p = {.max_piece = 1};
	uint8_t r[2];
	uint32_t used;
	struct fix f;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, &p), 0);
	assert_int_equal(vg_shim_direction_output(f.shim, L_LED, 1), 0);
	assert_int_equal(vg_hostile_split_request(f.shim, false,
						  VG_GPIO_MSG_GET_VALUE, L_LED,
						  0, r, 2, &used),
			 0);
	assert_int_equal(used, 2);
	assert_int_equal(r[0], VG_GPIO_STATUS_OK);
	assert_int_equal(r[1], 1);
	assert_int_equal(vg_hostile_split_request(f.shim, true,
						  VG_GPIO_MSG_SET_VALUE, L_LED,
						  0, r, 2, &used),
			 0);
	assert_int_equal(r[0], VG_GPIO_STATUS_OK);
	assert_int_equal(sim_value(&f, "led"), 0);
	exercise(&f); /* the driver's ring state stayed in step */
	fix_stop(&f);
}

static void hostile_bad_register_access_ignored(void **state)
{
	static const struct {
		uint64_t off;
		unsigned int size;
	} bad[] = {
		{VG_MMIO_MAGIC_VALUE + 1, 4}, {VG_MMIO_STATUS, 2},
		{VG_MMIO_STATUS, 8},	      {VG_MMIO_QUEUE_SEL, 3},
		{VG_MMIO_CONFIG + 6, 4},      {0x1000, 4},
		{UINT64_MAX - 1, 4},	      {VG_MMIO_VERSION, 16},
	};
	struct fix f;
	uint64_t v;
	unsigned int i;

	(void)state;
	assert_int_equal(fix_start(&f, NULL, NULL), 0);
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		assert_int_equal(vg_hostile_mmio_read(f.shim, bad[i].off,
						      bad[i].size, &v),
				 0);
		assert_int_equal(v, 0);
		assert_int_equal(vg_hostile_mmio_write(f.shim, bad[i].off,
						       bad[i].size, 0),
				 0);
	}
	/* A write to a read-only register is dropped. */
	assert_int_equal(
		vg_hostile_mmio_write(f.shim, VG_MMIO_MAGIC_VALUE, 4, 0), 0);
	assert_int_equal(vg_shim_read32(f.shim, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	exercise(&f);
	fix_stop(&f);
}

/* One ring violation on @q: NEEDS_RESET, then a re-probe recovers. */
static void hostile_case(enum vg_hostile_kind k, unsigned int q,
			 const struct vg_shim_opts *o)
{
	struct vg_gpio_stats st;
	struct fix f;
	int v;

	assert_int_equal(fix_start(&f, o, NULL), 0);
	print_message("  %s on queue %u\n", vg_hostile_kind_name(k), q);
	assert_int_equal(vg_hostile_send(f.shim, q, k), 0);
	assert_int_equal(vg_hostile_expect_needs_reset(f.shim, 100), 0);
	assert_int_equal(vg_shim_get_value(f.shim, L_LED, &v), -ENODEV);
	vg_gpio_get_stats(f.w->gpio, &st);
	assert_int_equal(st.broken, 1);
	assert_int_equal(vg_shim_probe(f.shim), 0);
	exercise(&f);
	fix_stop(&f);
}

static void hostile_ring_violations_need_reset(void **state)
{
	struct vg_shim_opts grants = {.grants = true};
	unsigned int k, q;

	(void)state;
	/* Every kind is a violation but a negotiated indirect table. */
	for (q = 0; q < 2; q++)
		for (k = 0; k < VG_HOSTILE_NR; k++)
			if (k != VG_HOSTILE_INDIRECT)
				hostile_case((enum vg_hostile_kind)k, q, NULL);
	hostile_case(VG_HOSTILE_OUTSIDE_RAM, 0, &grants);
}

static void hostile_indirect_without_feature_needs_reset(void **state)
{
	struct vg_shim_opts o = {.no_indirect = true};
	uint32_t id, len;
	struct fix f;

	(void)state;
	hostile_case(VG_HOSTILE_INDIRECT, 0, &o);
	/* Negotiated, the same chain is a fine request. */
	assert_int_equal(fix_start(&f, NULL, NULL), 0);
	assert_int_equal(vg_hostile_send(f.shim, 0, VG_HOSTILE_INDIRECT), 0);
	assert_int_equal(vg_hostile_wait_used(f.shim, 0, 100, &id, &len), 1);
	assert_int_equal(id, 0);
	assert_int_equal(len, 2);
	fix_stop(&f);
}

static void hostile_revoked_ring_grant_needs_reset(void **state)
{
	struct vg_shim_opts o = {.grants = true};
	struct fix f;
	int v;

	(void)state;
	assert_int_equal(fix_start(&f, &o, NULL), 0);
	vg_hostile_grant_set(f.shim, f.shim->vq[0].avail, false);
	assert_int_equal(vg_shim_get_value(f.shim, L_LED, &v), -ENODEV);
	vg_hostile_grant_set(f.shim, f.shim->vq[0].avail, true);
	assert_int_equal(vg_shim_probe(f.shim), 0);
	exercise(&f);
	fix_stop(&f);
}

static void hostile_revoked_buffer_grant_fails_request(void **state)
{
	struct vg_shim_opts o = {.grants = true};
	struct fix f;
	uint8_t st;
	int v;

	(void)state;
	assert_int_equal(fix_start(&f, &o, NULL), 0);
	vg_hostile_grant_set(f.shim, f.shim->lines[L_LED].req, false);
	assert_int_equal(vg_shim_get_value(f.shim, L_LED, &v), -ENODEV);
	assert_int_equal(vg_shim_device_status(f.shim, &st), 0);
	assert_true(st & VG_STATUS_DEVICE_NEEDS_RESET);
	vg_hostile_grant_set(f.shim, f.shim->lines[L_LED].req, true);
	assert_int_equal(vg_shim_probe(f.shim), 0);
	exercise(&f);
	fix_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shim_probe_reads_config_names_features),
		cmocka_unit_test(shim_requests_work_with_defaults),
		cmocka_unit_test(shim_requests_work_with_features_declined),
		cmocka_unit_test(shim_requests_work_when_device_offers_less),
		cmocka_unit_test(
			shim_requests_work_with_grants_pieces_small_queue),
		cmocka_unit_test(shim_probe_fails_on_bad_queue_size),
		cmocka_unit_test(shim_request_bad_index_gets_status_err),
		cmocka_unit_test(hostile_split_request_answered),
		cmocka_unit_test(hostile_bad_register_access_ignored),
		cmocka_unit_test(hostile_ring_violations_need_reset),
		cmocka_unit_test(hostile_indirect_without_feature_needs_reset),
		cmocka_unit_test(hostile_revoked_ring_grant_needs_reset),
		cmocka_unit_test(hostile_revoked_buffer_grant_fails_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
