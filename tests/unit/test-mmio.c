// SPDX-License-Identifier: BSD-3-Clause
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "dummydev.h"
#include "log.h"
#include "mmio.h"

#define RAM_BASE 0x10000u
#define RAM_SIZE 0x10000u
/* No EVENT_IDX, so that a driver asking for it is refused. */
#define OFFERED                                                  \
	(VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM) | \
	 VG_BIT(VG_F_RING_INDIRECT_DESC) | VG_BIT(VG_DUMMY_F_Q1))

struct fixture {
	struct vg_dummy d;
	struct vg_mmio m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(
		vg_dummy_init(&f->d, OFFERED, 0xa0, RAM_BASE, RAM_SIZE), 0);
	vg_mmio_init(&f->m, &f->d.vd, NULL);
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

static uint32_t rd(struct fixture *f, uint64_t off)
{
	return (uint32_t)vg_mmio_read(&f->m, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint32_t val)
{
	vg_mmio_write(&f->m, off, 4, val);
}

/* The driver side of §3.1.1 steps 1-6; returns Status as read back. */
static uint32_t negotiate(struct fixture *f, uint64_t features)
{
	wr(f, VG_MMIO_STATUS, 0);
	wr(f, VG_MMIO_STATUS, VG_STATUS_ACKNOWLEDGE);
	wr(f, VG_MMIO_STATUS, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	wr(f, VG_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VG_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VG_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VG_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VG_MMIO_STATUS,
	   VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER | VG_STATUS_FEATURES_OK);
	return rd(f, VG_MMIO_STATUS);
}

#define ALL_OK                                                              \
	(VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER | VG_STATUS_FEATURES_OK | \
	 VG_STATUS_DRIVER_OK)

static void queue_setup(struct fixture *f, uint32_t q, uint32_t size)
{
	uint32_t base = RAM_BASE + 0x4000u * q;

	wr(f, VG_MMIO_QUEUE_SEL, q);
	wr(f, VG_MMIO_QUEUE_NUM, size);
	wr(f, VG_MMIO_QUEUE_DESC_LOW, base);
	wr(f, VG_MMIO_QUEUE_DESC_HIGH, 0);
	wr(f, VG_MMIO_QUEUE_DRIVER_LOW, base + 0x1000u);
	wr(f, VG_MMIO_QUEUE_DRIVER_HIGH, 0);
	wr(f, VG_MMIO_QUEUE_DEVICE_LOW, base + 0x2000u);
	wr(f, VG_MMIO_QUEUE_DEVICE_HIGH, 0);
	wr(f, VG_MMIO_QUEUE_READY, 1);
}

static void mmio_read_identity_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VG_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(f, VG_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VG_MMIO_DEVICE_ID), VG_DUMMY_ID);
	assert_int_equal(rd(f, VG_MMIO_VENDOR_ID), VG_MMIO_VENDOR);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void mmio_device_features_read_through_selector(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VG_MMIO_DEVICE_FEATURES), (uint32_t)OFFERED);
	wr(f, VG_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(f, VG_MMIO_DEVICE_FEATURES),
			 (uint32_t)(OFFERED >> 32));
	wr(f, VG_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(f, VG_MMIO_DEVICE_FEATURES), 0);
}

static void mmio_features_subset_accepted(void **state)
{
	struct fixture *f = *state;

	assert_true(
		negotiate(f, VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_DUMMY_F_Q1)) &
		VG_STATUS_FEATURES_OK);
	assert_true(vg_vdev_has_feature(&f->d.vd, VG_DUMMY_F_Q1));
	/* ACCESS_PLATFORM offered but declined is fine. */
	assert_false(vg_vdev_has_feature(&f->d.vd, VG_F_ACCESS_PLATFORM));
}

static void mmio_features_superset_refused(void **state)
{
	struct fixture *f = *state;

	assert_false(negotiate(f, OFFERED | VG_BIT(VG_F_RING_EVENT_IDX)) &
		     VG_STATUS_FEATURES_OK);
	assert_false(negotiate(f, OFFERED | VG_BIT(40)) &
		     VG_STATUS_FEATURES_OK);
}

static void mmio_features_without_version1_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(negotiate(f, VG_BIT(VG_DUMMY_F_Q1)),
			 VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
}

static void mmio_features_frozen_after_features_ok(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VG_BIT(VG_F_VERSION_1));
	wr(f, VG_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VG_MMIO_DRIVER_FEATURES, VG_BIT(VG_DUMMY_F_Q1));
	assert_false(vg_vdev_has_feature(&f->d.vd, VG_DUMMY_F_Q1));
	wr(f, VG_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_NUM_MAX), 0);
}

static void mmio_status_handshake_reads_back(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VG_MMIO_STATUS), 0);
	assert_int_equal(negotiate(f, OFFERED), VG_STATUS_ACKNOWLEDGE |
							VG_STATUS_DRIVER |
							VG_STATUS_FEATURES_OK);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	assert_int_equal(rd(f, VG_MMIO_STATUS), ALL_OK);
	/* Clearing bits other than by writing 0 is ignored. */
	wr(f, VG_MMIO_STATUS, VG_STATUS_ACKNOWLEDGE);
	assert_int_equal(rd(f, VG_MMIO_STATUS), ALL_OK);
	/* So is a value that would truncate to 0 (a reset). */
	wr(f, VG_MMIO_STATUS, 0x100);
	assert_int_equal(rd(f, VG_MMIO_STATUS), ALL_OK);
	assert_int_equal(f->d.resets, 1); /* negotiate()'s own reset */
}

static void mmio_status_zero_resets_queues_and_isr(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	queue_setup(f, 1, 8);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	vg_vdev_needs_reset(&f->d.vd, "test");
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_level, 1);
	wr(f, VG_MMIO_DEVICE_FEATURES_SEL, 1);

	wr(f, VG_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VG_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->d.ram.irq_level, 0);
	assert_int_equal(f->m.queue_sel, 0);
	assert_int_equal(f->m.device_features_sel, 0);
	assert_int_equal(f->m.driver_features_sel, 0);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	assert_int_equal(f->d.vd.vq[0].size, 0);
	assert_int_equal(f->d.vd.vq[1].size, 0);
	assert_false(f->d.vd.vq[1].ready);
	assert_false(f->d.vd.broken);
	assert_int_equal(f->d.resets, 2);
}

static void mmio_reset_from_host_same_as_status_zero(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	vg_vdev_config_changed(&f->d.vd);
	vg_mmio_reset(&f->m);
	assert_int_equal(rd(f, VG_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->d.ram.irq_level, 0);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	assert_int_equal(rd(f, VG_MMIO_CONFIG_GENERATION), 1);
}

static void mmio_config_read_every_offset_and_width(void **state)
{
	struct fixture *f = *state;
	const unsigned int widths[] = {1, 2, 4, 8};
	uint32_t off;
	size_t i;

	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_CONFIG, 4), 0xa3a2a1a0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_CONFIG + 1, 2), 0xa2a1);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_CONFIG + 4, 8),
			 0xabaaa9a8a7a6a5a4ULL);
	for (i = 0; i < VG_ARRAY_SIZE(widths); i++) {
		for (off = 0; off + widths[i] <= VG_DUMMY_CFG_SIZE; off++)
			assert_int_equal(
				vg_mmio_read(&f->m, VG_MMIO_CONFIG + off,
					     widths[i]),
				vg_dummy_config_value(&f->d, off, widths[i]));
	}
	assert_int_equal(f->m.bad_accesses, 0);
}

static void mmio_config_read_out_of_range_reads_zero(void **state)
{
	struct fixture *f = *state;
	const unsigned int widths[] = {1, 2, 4, 8};
	uint64_t off;
	size_t i;

	for (i = 0; i < VG_ARRAY_SIZE(widths); i++) {
		off = VG_MMIO_CONFIG + VG_DUMMY_CFG_SIZE - widths[i] + 1;
		for (; off + widths[i] <= VG_MMIO_WINDOW; off++)
			assert_int_equal(vg_mmio_read(&f->m, off, widths[i]),
					 0);
	}
	/* Inside the config space, not in the window: a bad access. */
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_WINDOW - 4, 8), 0);
	assert_int_equal(f->m.bad_accesses, 1);
}

static void mmio_config_write_ignored(void **state)
{
	struct fixture *f = *state;

	vg_mmio_write(&f->m, VG_MMIO_CONFIG, 4, 0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_CONFIG, 4), 0xa3a2a1a0);
	assert_int_equal(rd(f, VG_MMIO_CONFIG_GENERATION), 0);
}

static void mmio_config_generation_stable_until_changed(void **state)
{
	struct fixture *f = *state;
	uint32_t gen = rd(f, VG_MMIO_CONFIG_GENERATION);
	uint32_t off;

	for (off = 0; off < VG_DUMMY_CFG_SIZE; off++)
		vg_mmio_read(&f->m, VG_MMIO_CONFIG + off, 1);
	assert_int_equal(rd(f, VG_MMIO_CONFIG_GENERATION), gen);

	negotiate(f, OFFERED);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	f->d.ram.irq_raises = 0;
	vg_vdev_config_changed(&f->d.vd);
	assert_int_equal(rd(f, VG_MMIO_CONFIG_GENERATION), gen + 1);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_raises, 1);
}

static void mmio_needs_reset_raises_config_interrupt(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	vg_vdev_needs_reset(&f->d.vd, "descriptor loop");
	assert_int_equal(rd(f, VG_MMIO_STATUS),
			 ALL_OK | VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_level, 1);
	assert_int_equal(f->d.ram.irq_raises, 1);
	/* A broken device does not take notifications. */
	f->d.kicks[0] = 0;
	wr(f, VG_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->d.kicks[0], 0);
}

static void mmio_interrupt_ack_clears_only_written_bits(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VG_BIT(VG_F_VERSION_1));
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	/* A used-buffer notification through the real path... */
	assert_int_equal(vg_vq_push(&f->d.vd.vq[0], &f->d.ram.bus, 0, 1), 0);
	vg_vdev_used(&f->d.vd, 0);
	/* ...and a config one. */
	vg_vdev_config_changed(&f->d.vd);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS),
			 VG_INT_VRING | VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_raises, 2);

	wr(f, VG_MMIO_INTERRUPT_ACK, VG_INT_VRING);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_level, 1);
	wr(f, VG_MMIO_INTERRUPT_ACK, 0);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(f->d.ram.irq_level, 1);
	wr(f, VG_MMIO_INTERRUPT_ACK, VG_INT_CONFIG);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->d.ram.irq_level, 0);
}

static void mmio_queue_sel_out_of_range_reads_zero(void **state)
{
	struct fixture *f = *state;
	const uint32_t sels[] = {1, 2, 0xffff, UINT32_MAX};
	size_t i;

	negotiate(f, VG_BIT(VG_F_VERSION_1)); /* only queue 0 exists */
	wr(f, VG_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_NUM_MAX), VG_VQ_MAX_SIZE);
	for (i = 0; i < VG_ARRAY_SIZE(sels); i++) {
		queue_setup(f, sels[i], 16);
		assert_int_equal(rd(f, VG_MMIO_QUEUE_NUM_MAX), 0);
		assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	}
	assert_int_equal(f->d.vd.vq[1].size, 0);
	assert_int_equal(f->d.vd.vq[1].desc, 0);
	assert_false(f->d.vd.vq[1].ready);
	/* Probing for queues is legitimate: not a bad access. */
	assert_int_equal(f->m.bad_accesses, 0);
}

static void mmio_queue_registers_ignored_while_ready(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 1);
	wr(f, VG_MMIO_QUEUE_NUM, 64);
	wr(f, VG_MMIO_QUEUE_DESC_LOW, 0x30000);
	wr(f, VG_MMIO_QUEUE_DRIVER_HIGH, 5);
	assert_int_equal(f->d.vd.vq[0].size, 16);
	assert_int_equal(f->d.vd.vq[0].desc, RAM_BASE);
	assert_int_equal(f->d.vd.vq[0].avail, RAM_BASE + 0x1000u);
}

static void mmio_queue_ready_bad_size_refused(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 3);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	queue_setup(f, 0, 2 * VG_VQ_MAX_SIZE);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	queue_setup(f, 0, 0);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	queue_setup(f, 0, VG_VQ_MAX_SIZE);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 1);
}

static void mmio_control_misaligned_or_odd_size_ignored(void **state)
{
	struct fixture *f = *state;
	unsigned long bad = 0;

	negotiate(f, OFFERED);
	bad = f->m.bad_accesses;
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_MAGIC_VALUE, 1), 0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_MAGIC_VALUE, 2), 0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_MAGIC_VALUE, 8), 0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_MAGIC_VALUE + 1, 4), 0);
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_VERSION + 2, 2), 0);
	assert_int_equal(f->m.bad_accesses, bad + 5);

	/* A reset through a 1-byte or a misaligned write is not a reset. */
	vg_mmio_write(&f->m, VG_MMIO_STATUS, 1, 0);
	vg_mmio_write(&f->m, VG_MMIO_STATUS + 1, 4, 0);
	vg_mmio_write(&f->m, VG_MMIO_STATUS, 8, 0);
	assert_int_equal(rd(f, VG_MMIO_STATUS), VG_STATUS_ACKNOWLEDGE |
							VG_STATUS_DRIVER |
							VG_STATUS_FEATURES_OK);
	assert_int_equal(f->m.bad_accesses, bad + 8);
}

static void mmio_bad_size_ignored(void **state)
{
	struct fixture *f = *state;
	const unsigned int sizes[] = {0, 3, 5, 16, UINT32_MAX};
	size_t i;

	for (i = 0; i < VG_ARRAY_SIZE(sizes); i++) {
		assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_CONFIG, sizes[i]),
				 0);
		vg_mmio_write(&f->m, VG_MMIO_STATUS, sizes[i],
			      VG_STATUS_ACKNOWLEDGE);
	}
	assert_int_equal(rd(f, VG_MMIO_STATUS), 0);
	assert_int_equal(f->m.bad_accesses, 2 * VG_ARRAY_SIZE(sizes));
}

static void mmio_ro_write_ignored(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	vg_vdev_config_changed(&f->d.vd);
	f->m.bad_accesses = 0;
	wr(f, VG_MMIO_MAGIC_VALUE, 0);
	wr(f, VG_MMIO_DEVICE_FEATURES, 0);
	wr(f, VG_MMIO_QUEUE_NUM_MAX, 0);
	wr(f, VG_MMIO_INTERRUPT_STATUS, 0);
	wr(f, VG_MMIO_CONFIG_GENERATION, 0);
	wr(f, VG_MMIO_SHM_LEN_LOW, 0);
	assert_int_equal(f->m.bad_accesses, 6);
	assert_int_equal(rd(f, VG_MMIO_MAGIC_VALUE), VG_MMIO_MAGIC);
	assert_int_equal(rd(f, VG_MMIO_INTERRUPT_STATUS), VG_INT_CONFIG);
	assert_int_equal(rd(f, VG_MMIO_CONFIG_GENERATION), 1);
}

static void mmio_wo_read_returns_zero(void **state)
{
	struct fixture *f = *state;
	const uint64_t wo[] = {
		VG_MMIO_DEVICE_FEATURES_SEL, VG_MMIO_DRIVER_FEATURES,
		VG_MMIO_DRIVER_FEATURES_SEL, VG_MMIO_QUEUE_SEL,
		VG_MMIO_QUEUE_NUM,	     VG_MMIO_QUEUE_NOTIFY,
		VG_MMIO_INTERRUPT_ACK,	     VG_MMIO_QUEUE_DESC_LOW,
		VG_MMIO_QUEUE_DEVICE_HIGH,   VG_MMIO_SHM_SEL,
	};
	size_t i;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_DEVICE_FEATURES_SEL, 1);
	f->m.bad_accesses = 0;
	for (i = 0; i < VG_ARRAY_SIZE(wo); i++)
		assert_int_equal(rd(f, wo[i]), 0);
	assert_int_equal(f->m.bad_accesses, VG_ARRAY_SIZE(wo));
}

static void mmio_hole_access_ignored(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x018), 0);
	assert_int_equal(rd(f, 0x0f8), 0);
	wr(f, 0x0a8, 1);
	assert_int_equal(f->m.bad_accesses, 3);
}

static void mmio_offset_past_window_ignored(void **state)
{
	struct fixture *f = *state;
	const uint64_t offs[] = {
		VG_MMIO_WINDOW, VG_MMIO_WINDOW - 2,
		0x1000,		UINT64_MAX,
		UINT64_MAX - 3, UINT64_MAX - 7,
		1ULL << 63,	UINT64_MAX - VG_MMIO_WINDOW + 1};
	size_t i;

	for (i = 0; i < VG_ARRAY_SIZE(offs); i++) {
		assert_int_equal(vg_mmio_read(&f->m, offs[i], 4), 0);
		assert_int_equal(vg_mmio_read(&f->m, offs[i], 8), 0);
		vg_mmio_write(&f->m, offs[i], 4, VG_STATUS_ACKNOWLEDGE);
	}
	assert_int_equal(f->m.bad_accesses, 3 * VG_ARRAY_SIZE(offs));
	assert_int_equal(rd(f, VG_MMIO_STATUS), 0);
	/* The last byte of the window is still config space. */
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_WINDOW - 1, 1), 0);
	assert_int_equal(f->m.bad_accesses, 3 * VG_ARRAY_SIZE(offs));
}

static void mmio_write_value_masked_to_size(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	vg_mmio_write(&f->m, VG_MMIO_QUEUE_SEL, 4, 0xffffffff00000001ULL);
	assert_int_equal(f->m.queue_sel, 1);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_NUM_MAX), VG_VQ_MAX_SIZE);
	/* Stale high bits must not turn a status write into garbage. */
	vg_mmio_write(&f->m, VG_MMIO_STATUS, 4,
		      0x100000000ULL | VG_STATUS_ACKNOWLEDGE |
			      VG_STATUS_DRIVER | VG_STATUS_FEATURES_OK |
			      VG_STATUS_DRIVER_OK);
	assert_int_equal(rd(f, VG_MMIO_STATUS), ALL_OK);
	/* A 4-byte read returns only 32 bits. */
	assert_int_equal(vg_mmio_read(&f->m, VG_MMIO_MAGIC_VALUE, 4) >> 32, 0);
}

static void mmio_notify_kicks_only_live_queues(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->d.kicks[0], 0); /* no DRIVER_OK yet */
	wr(f, VG_MMIO_STATUS, ALL_OK);
	f->d.kicks[0] = 0;
	wr(f, VG_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->d.kicks[0], 1);
	wr(f, VG_MMIO_QUEUE_NOTIFY, 1); /* exists, not ready */
	wr(f, VG_MMIO_QUEUE_NOTIFY, 2); /* no such queue */
	wr(f, VG_MMIO_QUEUE_NOTIFY, UINT32_MAX);
	assert_int_equal(f->d.kicks[0], 1);
	assert_int_equal(f->d.kicks[1], 0);
	/* QueueNotify names its queue; QueueSel is irrelevant. */
	wr(f, VG_MMIO_QUEUE_SEL, 7);
	wr(f, VG_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->d.kicks[0], 2);
}

static void mmio_driver_ok_kicks_ready_queues(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	queue_setup(f, 1, 16);
	assert_int_equal(f->d.kicks[0], 0);
	wr(f, VG_MMIO_STATUS, ALL_OK);
	assert_int_equal(f->d.kicks[0], 1);
	assert_int_equal(f->d.kicks[1], 1);
}

static void mmio_shm_registers_read_no_region(void **state)
{
	struct fixture *f = *state;

	wr(f, VG_MMIO_SHM_SEL, 0);
	assert_int_equal(rd(f, VG_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(rd(f, VG_MMIO_SHM_LEN_HIGH), 0xffffffff);
	assert_int_equal(rd(f, VG_MMIO_SHM_BASE_LOW), 0xffffffff);
	assert_int_equal(rd(f, VG_MMIO_SHM_BASE_HIGH), 0xffffffff);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void mmio_queue_reset_reads_zero_writes_ignored(void **state)
{
	struct fixture *f = *state;

	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	wr(f, VG_MMIO_QUEUE_RESET, 1);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_RESET), 0);
	assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 1);
	assert_int_equal(f->d.vd.vq[0].size, 16);
	assert_int_equal(f->m.bad_accesses, 0);
}

/*
 * Linux's remove path (gpio-virtio's remove, virtio_mmio's vm_del_vq):
 * reset, then QueueSel and QueueReady 0 for every queue the driver had.
 * Queue 1 no longer exists once the reset cleared its feature; that is
 * no guest error, so nothing is logged. Enabling it still is.
 */
static void mmio_queue_ready_zero_after_reset_not_logged(void **state)
{
	struct fixture *f = *state;
	struct vg_log_sink sink = {.level = VG_LOG_WARN};
	struct vg_log log;
	char buf[256];
	uint32_t q;
	int pfd[2];

	assert_int_equal(pipe2(pfd, O_CLOEXEC | O_NONBLOCK), 0);
	sink.fd = pfd[1];
	vg_log_init(&log, &sink, "test");
	f->m.log = &log;
	negotiate(f, OFFERED);
	queue_setup(f, 0, 16);
	queue_setup(f, 1, 16);
	wr(f, VG_MMIO_STATUS, 0);
	for (q = 0; q < 2; q++) {
		wr(f, VG_MMIO_QUEUE_SEL, q);
		wr(f, VG_MMIO_QUEUE_READY, 0);
		assert_int_equal(rd(f, VG_MMIO_QUEUE_READY), 0);
	}
	assert_int_equal(read(pfd[0], buf, sizeof(buf)), -1);
	wr(f, VG_MMIO_QUEUE_SEL, 1);
	wr(f, VG_MMIO_QUEUE_READY, 1);
	assert_true(read(pfd[0], buf, sizeof(buf)) > 0);
	assert_int_equal(f->m.bad_accesses, 0);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(mmio_read_identity_registers),
		T(mmio_device_features_read_through_selector),
		T(mmio_features_subset_accepted),
		T(mmio_features_superset_refused),
		T(mmio_features_without_version1_refused),
		T(mmio_features_frozen_after_features_ok),
		T(mmio_status_handshake_reads_back),
		T(mmio_status_zero_resets_queues_and_isr),
		T(mmio_reset_from_host_same_as_status_zero),
		T(mmio_config_read_every_offset_and_width),
		T(mmio_config_read_out_of_range_reads_zero),
		T(mmio_config_write_ignored),
		T(mmio_config_generation_stable_until_changed),
		T(mmio_needs_reset_raises_config_interrupt),
		T(mmio_interrupt_ack_clears_only_written_bits),
		T(mmio_queue_sel_out_of_range_reads_zero),
		T(mmio_queue_registers_ignored_while_ready),
		T(mmio_queue_ready_bad_size_refused),
		T(mmio_control_misaligned_or_odd_size_ignored),
		T(mmio_bad_size_ignored),
		T(mmio_ro_write_ignored),
		T(mmio_wo_read_returns_zero),
		T(mmio_hole_access_ignored),
		T(mmio_offset_past_window_ignored),
		T(mmio_write_value_masked_to_size),
		T(mmio_notify_kicks_only_live_queues),
		T(mmio_driver_ok_kicks_ready_queues),
		T(mmio_shm_registers_read_no_region),
		T(mmio_queue_reset_reads_zero_writes_ignored),
		T(mmio_queue_ready_zero_after_reset_not_logged),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
