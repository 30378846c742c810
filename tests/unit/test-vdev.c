// SPDX-License-Identifier: BSD-3-Clause
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "dummydev.h"
#include "vdev.h"

#define RAM_BASE 0x10000u
#define RAM_SIZE 0x10000u
#define DESC_GPA RAM_BASE
#define AVAIL_GPA (RAM_BASE + 0x1000u)
#define USED_GPA (RAM_BASE + 0x2000u)
#define OFFERED                                                          \
	(VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM) |         \
	 VG_BIT(VG_F_RING_INDIRECT_DESC) | VG_BIT(VG_F_RING_EVENT_IDX) | \
	 VG_BIT(VG_DUMMY_F_Q1))

struct fixture {
	struct vg_dummy d;
	unsigned int irqs[4]; /* by bit: [VG_INT_VRING], [VG_INT_CONFIG] */
	unsigned int last_vector; /* of the last interrupt */
};

static void front_interrupt(void *front, unsigned int vector)
{
	struct fixture *f = front;

	f->irqs[vector == VG_VDEV_VECTOR_CONFIG ? VG_INT_CONFIG
						: VG_INT_VRING]++;
	f->last_vector = vector;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(
		vg_dummy_init(&f->d, OFFERED, 0x10, RAM_BASE, RAM_SIZE), 0);
	vg_vdev_set_front(&f->d.vd, front_interrupt, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int bad_kicks = f->d.bad_kicks;

	vg_dummy_dispose(&f->d);
	free(f);
	/* The generic layer only kicks queues that exist. */
	assert_int_equal(bad_kicks, 0);
	return 0;
}

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status read. */
static uint8_t negotiate(struct vg_vdev *vd, uint64_t features)
{
	vg_vdev_set_status(vd, VG_STATUS_ACKNOWLEDGE);
	vg_vdev_set_status(vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	vg_vdev_set_guest_features(vd, 0, (uint32_t)features);
	vg_vdev_set_guest_features(vd, 1, (uint32_t)(features >> 32));
	vg_vdev_set_status(vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
				       VG_STATUS_FEATURES_OK);
	return vd->status;
}

#define ALL_OK                                                              \
	(VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER | VG_STATUS_FEATURES_OK | \
	 VG_STATUS_DRIVER_OK)

static void queue_setup(struct vg_vdev *vd, unsigned int q, uint32_t size)
{
	uint64_t off = 0x4000u * q;

	vg_vdev_queue_set(vd, q, VG_VDEV_Q_SIZE, size);
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DESC_LO, (uint32_t)(DESC_GPA + off));
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DESC_HI, 0);
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DRIVER_LO,
			  (uint32_t)(AVAIL_GPA + off));
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DRIVER_HI, 0);
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DEVICE_LO,
			  (uint32_t)(USED_GPA + off));
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_DEVICE_HI, 0);
	vg_vdev_queue_set(vd, q, VG_VDEV_Q_READY, 1);
}

static void vdev_init_rejects_incomplete_class(void **state)
{
	struct fixture *f = *state;
	struct vg_vdev_class cls = f->d.cls;
	struct vg_bus bad_bus = {NULL, NULL};
	struct vg_vdev vd;

	assert_int_equal(vg_vdev_init(&vd, NULL, NULL, &f->d.ram.bus, NULL),
			 -EINVAL);
	cls.kick = NULL;
	assert_int_equal(vg_vdev_init(&vd, &cls, NULL, &f->d.ram.bus, NULL),
			 -EINVAL);
	cls = f->d.cls;
	cls.features &= ~VG_BIT(VG_F_VERSION_1);
	assert_int_equal(vg_vdev_init(&vd, &cls, NULL, &f->d.ram.bus, NULL),
			 -EINVAL);
	cls = f->d.cls;
	cls.config_size = VG_VDEV_CONFIG_MAX + 1;
	assert_int_equal(vg_vdev_init(&vd, &cls, NULL, &f->d.ram.bus, NULL),
			 -EINVAL);
	assert_int_equal(vg_vdev_init(&vd, &f->d.cls, NULL, &bad_bus, NULL),
			 -EINVAL);
	assert_int_equal(
		vg_vdev_init(&vd, &f->d.cls, NULL, &f->d.ram.bus, NULL), 0);
	assert_int_equal(vd.status, 0);
}

static void vdev_host_features_reads_32bit_words(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vg_vdev_host_features(&f->d.vd, 0), (uint32_t)OFFERED);
	assert_int_equal(vg_vdev_host_features(&f->d.vd, 1),
			 (uint32_t)(OFFERED >> 32));
	assert_int_equal(vg_vdev_host_features(&f->d.vd, 2), 0);
	assert_int_equal(vg_vdev_host_features(&f->d.vd, UINT32_MAX), 0);
}

static void vdev_features_subset_accepted(void **state)
{
	struct fixture *f = *state;
	uint64_t want = VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_DUMMY_F_Q1);

	assert_true(negotiate(&f->d.vd, want) & VG_STATUS_FEATURES_OK);
	assert_true(vg_vdev_has_feature(&f->d.vd, VG_DUMMY_F_Q1));
	assert_true(vg_vdev_has_feature(&f->d.vd, VG_F_VERSION_1));
	assert_false(vg_vdev_has_feature(&f->d.vd, VG_F_RING_EVENT_IDX));
	assert_false(vg_vdev_has_feature(&f->d.vd, 64));
}

static void vdev_features_superset_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t st = negotiate(&f->d.vd, OFFERED | VG_BIT(5));

	assert_false(st & VG_STATUS_FEATURES_OK);
	assert_int_equal(st, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	/* Refusal leaves negotiation open: the driver may retry. */
	vg_vdev_set_guest_features(&f->d.vd, 0, (uint32_t)OFFERED);
	vg_vdev_set_status(&f->d.vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					     VG_STATUS_FEATURES_OK);
	assert_true(f->d.vd.status & VG_STATUS_FEATURES_OK);
}

static void vdev_features_without_version1_refused(void **state)
{
	struct fixture *f = *state;

	assert_false(negotiate(&f->d.vd, VG_BIT(VG_DUMMY_F_Q1)) &
		     VG_STATUS_FEATURES_OK);
}

static void vdev_features_access_platform_declined_accepted(void **state)
{
	struct fixture *f = *state;

	assert_true(
		negotiate(&f->d.vd, OFFERED & ~VG_BIT(VG_F_ACCESS_PLATFORM)) &
		VG_STATUS_FEATURES_OK);
	assert_false(vg_vdev_has_feature(&f->d.vd, VG_F_ACCESS_PLATFORM));
}

static void vdev_features_frozen_after_features_ok(void **state)
{
	struct fixture *f = *state;

	assert_true(negotiate(&f->d.vd, VG_BIT(VG_F_VERSION_1)) &
		    VG_STATUS_FEATURES_OK);
	vg_vdev_set_guest_features(&f->d.vd, 0, VG_BIT(VG_DUMMY_F_Q1));
	vg_vdev_set_guest_features(&f->d.vd, 1, 0);
	assert_int_equal(f->d.vd.guest_features, VG_BIT(VG_F_VERSION_1));
	assert_false(vg_vdev_queue_exists(&f->d.vd, 1));
}

static void vdev_features_ignored_before_driver(void **state)
{
	struct fixture *f = *state;

	vg_vdev_set_guest_features(&f->d.vd, 1, 1);
	assert_int_equal(f->d.vd.guest_features, 0);
	vg_vdev_set_status(&f->d.vd, VG_STATUS_ACKNOWLEDGE);
	vg_vdev_set_guest_features(&f->d.vd, 1, 1);
	assert_int_equal(f->d.vd.guest_features, 0);
}

static void vdev_status_clearing_bits_ignored(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	vg_vdev_set_status(&f->d.vd, VG_STATUS_ACKNOWLEDGE);
	assert_int_equal(f->d.vd.status, VG_STATUS_ACKNOWLEDGE |
						 VG_STATUS_DRIVER |
						 VG_STATUS_FEATURES_OK);
	assert_int_equal(f->d.resets, 0);
	/* A write that clears bits is ignored whole, even its new bits. */
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, VG_STATUS_DRIVER_OK);
	assert_false(f->d.vd.status & VG_STATUS_DRIVER_OK);
	assert_int_equal(f->d.kicks[0], 0);
	/* The driver cannot set the device-owned NEEDS_RESET either. */
	vg_vdev_set_status(&f->d.vd,
			   f->d.vd.status | VG_STATUS_DEVICE_NEEDS_RESET);
	assert_false(f->d.vd.status & VG_STATUS_DEVICE_NEEDS_RESET);
}

static void vdev_status_zero_resets_device(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	queue_setup(&f->d.vd, 1, 8);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	vg_vdev_config_changed(&f->d.vd);
	vg_vdev_config_changed(&f->d.vd);
	vg_vdev_needs_reset(&f->d.vd, "test");
	assert_true(vg_vdev_queue_ready(&f->d.vd, 0));

	vg_vdev_set_status(&f->d.vd, 0);
	assert_int_equal(f->d.vd.status, 0);
	assert_int_equal(f->d.vd.guest_features, 0);
	assert_false(f->d.vd.broken);
	assert_int_equal(f->d.resets, 1);
	assert_false(f->d.vd.vq[0].ready);
	assert_int_equal(f->d.vd.vq[0].size, 0);
	assert_int_equal(f->d.vd.vq[0].desc, 0);
	assert_false(f->d.vd.vq[1].ready);
	assert_int_equal(f->d.vd.vq[1].size, 0);
	/* §2.5: the generation never goes backwards. */
	assert_int_equal(vg_vdev_config_generation(&f->d.vd), 2);
}

static void vdev_queue_exists_depends_on_features(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, VG_BIT(VG_F_VERSION_1));
	assert_true(vg_vdev_queue_exists(&f->d.vd, 0));
	assert_false(vg_vdev_queue_exists(&f->d.vd, 1));
	assert_int_equal(vg_vdev_queue_max(&f->d.vd, 0), VG_VQ_MAX_SIZE);
	assert_int_equal(vg_vdev_queue_max(&f->d.vd, 1), 0);
	assert_int_equal(vg_vdev_queue_max(&f->d.vd, UINT32_MAX), 0);
	queue_setup(&f->d.vd, 1, 8);
	assert_false(vg_vdev_queue_ready(&f->d.vd, 1));
	assert_int_equal(f->d.vd.vq[1].size, 0);

	vg_vdev_set_status(&f->d.vd, 0);
	negotiate(&f->d.vd, OFFERED);
	assert_true(vg_vdev_queue_exists(&f->d.vd, 1));
	assert_false(vg_vdev_queue_exists(&f->d.vd, 2));
}

static void vdev_queue_set_ignored_while_ready(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	assert_true(vg_vdev_queue_ready(&f->d.vd, 0));
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_SIZE, 32);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_DESC_LO, 0x8000);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_DEVICE_HI, 1);
	assert_int_equal(f->d.vd.vq[0].size, 16);
	assert_int_equal(f->d.vd.vq[0].desc, DESC_GPA);
	assert_int_equal(f->d.vd.vq[0].used, USED_GPA);

	/* QueueReady 0 makes the fields writable again. */
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_READY, 0);
	assert_false(vg_vdev_queue_ready(&f->d.vd, 0));
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_SIZE, 32);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_DESC_HI, 2);
	assert_int_equal(f->d.vd.vq[0].size, 32);
	assert_int_equal(f->d.vd.vq[0].desc, (2ULL << 32) | DESC_GPA);
}

static void vdev_queue_ready_bad_size_refused(void **state)
{
	struct fixture *f = *state;
	const uint32_t bad[] = {0, 3, 24, 2 * VG_VQ_MAX_SIZE, 0x10010};
	size_t i;

	negotiate(&f->d.vd, OFFERED);
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		queue_setup(&f->d.vd, 0, bad[i]);
		assert_false(vg_vdev_queue_ready(&f->d.vd, 0));
	}
	/* A misaligned ring is refused too. */
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_READY, 0);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_DESC_LO, DESC_GPA + 8);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_READY, 1);
	assert_false(vg_vdev_queue_ready(&f->d.vd, 0));
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_DESC_LO, DESC_GPA);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_READY, 1);
	assert_true(vg_vdev_queue_ready(&f->d.vd, 0));
}

static void vdev_queue_ready_before_features_ok_refused(void **state)
{
	struct fixture *f = *state;

	vg_vdev_set_status(&f->d.vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	queue_setup(&f->d.vd, 0, 16);
	assert_false(vg_vdev_queue_ready(&f->d.vd, 0));
}

static void vdev_queue_ready_latches_ring_features(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd,
		  VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_RING_EVENT_IDX));
	queue_setup(&f->d.vd, 0, 16);
	assert_true(f->d.vd.vq[0].event_idx);
	assert_false(f->d.vd.vq[0].indirect);
}

static void vdev_driver_ok_kicks_ready_queues(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	/* Not live yet: no kick on ready, none on notify. */
	vg_vdev_queue_notify(&f->d.vd, 0);
	assert_int_equal(f->d.kicks[0], 0);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	assert_int_equal(f->d.kicks[0], 1);
	assert_int_equal(f->d.kicks[1], 0); /* exists, not ready */
	/* Re-writing the same status does not kick again. */
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	assert_int_equal(f->d.kicks[0], 1);
}

static void vdev_queue_ready_while_driver_ok_kicks(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	queue_setup(&f->d.vd, 1, 16);
	assert_int_equal(f->d.kicks[1], 1);
	/* Writing ready=1 again is not a new transition. */
	vg_vdev_queue_set(&f->d.vd, 1, VG_VDEV_Q_READY, 1);
	assert_int_equal(f->d.kicks[1], 1);
}

static void vdev_notify_kicks_only_live_queues(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	f->d.kicks[0] = 0;
	vg_vdev_queue_notify(&f->d.vd, 0);
	assert_int_equal(f->d.kicks[0], 1);
	vg_vdev_queue_notify(&f->d.vd, 1); /* not ready */
	vg_vdev_queue_notify(&f->d.vd, 2); /* no such queue */
	vg_vdev_queue_notify(&f->d.vd, UINT32_MAX);
	assert_int_equal(f->d.kicks[1], 0);
	assert_false(vg_vdev_queue_live(&f->d.vd, 1));

	vg_vdev_needs_reset(&f->d.vd, "test");
	assert_false(vg_vdev_queue_live(&f->d.vd, 0));
	vg_vdev_queue_notify(&f->d.vd, 0);
	assert_int_equal(f->d.kicks[0], 1);
}

static void vdev_driver_ok_without_features_ok_not_live(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED | VG_BIT(7)); /* refused */
	vg_vdev_set_status(&f->d.vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					     VG_STATUS_DRIVER_OK);
	assert_true(f->d.vd.status & VG_STATUS_DRIVER_OK);
	assert_false(vg_vdev_queue_live(&f->d.vd, 0));
	vg_vdev_queue_notify(&f->d.vd, 0);
	assert_int_equal(f->d.kicks[0], 0);
}

static void vdev_failed_status_not_live(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	assert_true(vg_vdev_queue_live(&f->d.vd, 0));
	vg_vdev_set_status(&f->d.vd, ALL_OK | VG_STATUS_FAILED);
	assert_false(vg_vdev_queue_live(&f->d.vd, 0));
}

static void vdev_config_read_every_offset_and_width(void **state)
{
	struct fixture *f = *state;
	const unsigned int widths[] = {1, 2, 3, 4, 8};
	uint64_t v;
	uint32_t off;
	size_t i;

	vg_vdev_config_read(&f->d.vd, 0, 4, &v);
	assert_int_equal(v, 0x13121110);
	vg_vdev_config_read(&f->d.vd, 3, 2, &v);
	assert_int_equal(v, 0x1413);
	vg_vdev_config_read(&f->d.vd, 4, 8, &v);
	assert_int_equal(v, 0x1b1a191817161514ULL);

	for (i = 0; i < VG_ARRAY_SIZE(widths); i++) {
		for (off = 0; off < VG_DUMMY_CFG_SIZE + 2; off++) {
			v = 0xdead;
			vg_vdev_config_read(&f->d.vd, off, widths[i], &v);
			if (off + widths[i] <= VG_DUMMY_CFG_SIZE)
				assert_int_equal(
					v, vg_dummy_config_value(&f->d, off,
								 widths[i]));
			else
				assert_int_equal(v, 0);
		}
	}
}

static void vdev_config_read_out_of_range_reads_zero(void **state)
{
	struct fixture *f = *state;
	const uint32_t offs[] = {VG_DUMMY_CFG_SIZE, VG_VDEV_CONFIG_MAX,
				 UINT32_MAX, UINT32_MAX - 3, UINT32_MAX - 7};
	uint64_t v;
	size_t i;

	for (i = 0; i < VG_ARRAY_SIZE(offs); i++) {
		v = 1;
		vg_vdev_config_read(&f->d.vd, offs[i], 4, &v);
		assert_int_equal(v, 0);
		v = 1;
		vg_vdev_config_read(&f->d.vd, offs[i], 8, &v);
		assert_int_equal(v, 0);
	}
	/* Widths that are not a register width. */
	v = 1;
	vg_vdev_config_read(&f->d.vd, 0, 0, &v);
	assert_int_equal(v, 0);
	v = 1;
	vg_vdev_config_read(&f->d.vd, 0, 9, &v);
	assert_int_equal(v, 0);
	v = 1;
	vg_vdev_config_read(&f->d.vd, 0, UINT32_MAX, &v);
	assert_int_equal(v, 0);
}

static void vdev_config_generation_bumped_by_change(void **state)
{
	struct fixture *f = *state;
	uint32_t gen = vg_vdev_config_generation(&f->d.vd);
	uint64_t v;

	vg_vdev_config_read(&f->d.vd, 0, 1, &v);
	vg_vdev_config_read(&f->d.vd, 1, 1, &v);
	assert_int_equal(vg_vdev_config_generation(&f->d.vd), gen);

	/* Before DRIVER_OK: bumped, but no one to interrupt. */
	vg_vdev_config_changed(&f->d.vd);
	assert_int_equal(vg_vdev_config_generation(&f->d.vd), gen + 1);
	assert_int_equal(f->irqs[VG_INT_CONFIG], 0);

	negotiate(&f->d.vd, OFFERED);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	vg_vdev_config_changed(&f->d.vd);
	assert_int_equal(vg_vdev_config_generation(&f->d.vd), gen + 2);
	assert_int_equal(f->irqs[VG_INT_CONFIG], 1);
	assert_int_equal(f->irqs[VG_INT_VRING], 0);
	assert_int_equal(f->last_vector, VG_VDEV_VECTOR_CONFIG);
}

static void vdev_needs_reset_sets_status_and_interrupts(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	vg_vdev_needs_reset(&f->d.vd, "descriptor loop");
	assert_true(f->d.vd.broken);
	assert_int_equal(f->d.vd.status, ALL_OK | VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(f->irqs[VG_INT_CONFIG], 1);
	/* Idempotent. */
	vg_vdev_needs_reset(&f->d.vd, "again");
	assert_int_equal(f->irqs[VG_INT_CONFIG], 1);
	/* The driver writing back status keeps the device-owned bit. */
	vg_vdev_set_status(&f->d.vd, ALL_OK);
	assert_true(f->d.vd.status & VG_STATUS_DEVICE_NEEDS_RESET);
}

static void vdev_needs_reset_before_driver_ok_deferred(void **state)
{
	struct fixture *f = *state;

	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_needs_reset(&f->d.vd, "early");
	assert_true(f->d.vd.broken);
	assert_false(f->d.vd.status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(f->irqs[VG_INT_CONFIG], 0);

	vg_vdev_set_status(&f->d.vd, ALL_OK);
	assert_true(f->d.vd.status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(f->irqs[VG_INT_CONFIG], 1);
	assert_int_equal(f->d.kicks[0], 0);
}

static void vdev_used_interrupts_when_driver_wants(void **state)
{
	struct fixture *f = *state;
	uint16_t *avail_flags = vg_inproc_ptr(&f->d.ram, AVAIL_GPA);

	negotiate(&f->d.vd, VG_BIT(VG_F_VERSION_1));
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, ALL_OK);

	assert_int_equal(vg_vq_push(&f->d.vd.vq[0], &f->d.ram.bus, 0, 2), 0);
	vg_vdev_used(&f->d.vd, 0);
	assert_int_equal(f->irqs[VG_INT_VRING], 1);
	/* The interrupt says which queue it is for, and is counted. */
	assert_int_equal(f->last_vector, 0);
	assert_int_equal(f->d.vd.interrupts, 1);

	*avail_flags = htole16(VG_VRING_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(vg_vq_push(&f->d.vd.vq[0], &f->d.ram.bus, 1, 2), 0);
	vg_vdev_used(&f->d.vd, 0);
	assert_int_equal(f->irqs[VG_INT_VRING], 1);

	/* No such queue: nothing happens. */
	vg_vdev_used(&f->d.vd, 1);
	vg_vdev_used(&f->d.vd, 7);
	assert_int_equal(f->irqs[VG_INT_VRING], 1);
}

/* A transport that wants the rings: records queue_map/queue_unmap. */
struct ringrec {
	struct vg_bus inner;
	int fail; /* queue_map's result */
	unsigned int maps, unmaps;
	struct vg_ring_area last[3];
};

static void *rr_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		    size_t *contig)
{
	struct ringrec *r = ctx;

	return r->inner.ops->map(r->inner.ctx, addr, len, prot, contig);
}

static void rr_set_irq(void *ctx, int level)
{
	struct ringrec *r = ctx;

	r->inner.ops->set_irq(r->inner.ctx, level);
}

static int rr_queue_map(void *ctx, unsigned int q, const struct vg_ring_area *a,
			unsigned int n)
{
	struct ringrec *r = ctx;

	assert_int_equal(q, 0);
	assert_int_equal(n, 3);
	memcpy(r->last, a, sizeof(r->last));
	r->maps++;
	return r->fail;
}

static void rr_queue_unmap(void *ctx, unsigned int q)
{
	struct ringrec *r = ctx;

	assert_int_equal(q, 0);
	r->unmaps++;
}

static const struct vg_transport_ops rr_ops = {
	.name = "ringrec",
	.map = rr_map,
	.set_irq = rr_set_irq,
	.queue_map = rr_queue_map,
	.queue_unmap = rr_queue_unmap,
};

static void vdev_queue_rings_told_to_transport(void **state)
{
	struct fixture *f = *state;
	struct ringrec r = {.inner = f->d.vd.bus};

	f->d.vd.bus = (struct vg_bus){&rr_ops, &r};
	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	assert_true(vg_vdev_queue_ready(&f->d.vd, 0));
	assert_int_equal(r.maps, 1);
	/* Sizes from the queue size, device area writable only. */
	assert_true(r.last[0].addr == DESC_GPA && r.last[0].len == 16 * 16);
	assert_true(r.last[1].addr == AVAIL_GPA && r.last[1].len == 6 + 2 * 16);
	assert_true(r.last[2].addr == USED_GPA && r.last[2].len == 6 + 8 * 16);
	assert_int_equal(r.last[0].prot, VG_PROT_READ);
	assert_int_equal(r.last[1].prot, VG_PROT_READ);
	assert_int_equal(r.last[2].prot, VG_PROT_READ | VG_PROT_WRITE);
	vg_vdev_queue_set(&f->d.vd, 0, VG_VDEV_Q_READY, 0);
	assert_int_equal(r.unmaps, 1);
	/* A reset unmaps a ready queue, once. */
	queue_setup(&f->d.vd, 0, 16);
	vg_vdev_set_status(&f->d.vd, 0);
	assert_int_equal(r.unmaps, 2);
	vg_vdev_set_status(&f->d.vd, 0);
	assert_int_equal(r.unmaps, 2);
	/* Rings the transport cannot map: the queue stays not ready. */
	r.fail = -EFAULT;
	negotiate(&f->d.vd, OFFERED);
	queue_setup(&f->d.vd, 0, 16);
	assert_false(vg_vdev_queue_ready(&f->d.vd, 0));
	assert_int_equal(r.maps, 3);
	vg_vdev_set_status(&f->d.vd, 0);
	assert_int_equal(r.unmaps, 2);
	f->d.vd.bus = r.inner;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(vdev_init_rejects_incomplete_class),
		T(vdev_host_features_reads_32bit_words),
		T(vdev_features_subset_accepted),
		T(vdev_features_superset_refused),
		T(vdev_features_without_version1_refused),
		T(vdev_features_access_platform_declined_accepted),
		T(vdev_features_frozen_after_features_ok),
		T(vdev_features_ignored_before_driver),
		T(vdev_status_clearing_bits_ignored),
		T(vdev_status_zero_resets_device),
		T(vdev_queue_exists_depends_on_features),
		T(vdev_queue_set_ignored_while_ready),
		T(vdev_queue_ready_bad_size_refused),
		T(vdev_queue_ready_before_features_ok_refused),
		T(vdev_queue_ready_latches_ring_features),
		T(vdev_driver_ok_kicks_ready_queues),
		T(vdev_queue_ready_while_driver_ok_kicks),
		T(vdev_notify_kicks_only_live_queues),
		T(vdev_driver_ok_without_features_ok_not_live),
		T(vdev_failed_status_not_live),
		T(vdev_config_read_every_offset_and_width),
		T(vdev_config_read_out_of_range_reads_zero),
		T(vdev_config_generation_bumped_by_change),
		T(vdev_needs_reset_sets_status_and_interrupts),
		T(vdev_needs_reset_before_driver_ok_deferred),
		T(vdev_used_interrupts_when_driver_wants),
		T(vdev_queue_rings_told_to_transport),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
