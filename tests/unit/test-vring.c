// SPDX-License-Identifier: BSD-3-Clause
/*
 * The split-ring walker (backend/virtio/vring.c) against the driver side
 * (frontend-shim/drv.c) over one guest RAM. Hostile rings are written
 * straight into guest RAM. Every test runs in four memory modes: flat,
 * one-byte pieces (max_piece = 1), grants, grants with one-byte pieces.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_ring.h>
#include "drv.h"
#include "inproc.h"
#include "vring.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (4u << 20)
#define BUF_SIZE (64u << 10)

struct mode {
	bool grants;
	size_t max_piece;
};

static const struct mode mode_flat = {false, 0};
static const struct mode mode_piece = {false, 1};
static const struct mode mode_grants = {true, 0};
static const struct mode mode_grants_piece = {true, 1};

struct fx {
	const struct mode *mode;
	struct vg_drv_mem mem;
	struct vg_drv_vq d;
	struct vg_inproc ip;
	struct vg_vq vq;
	struct vg_chain c;
	enum vg_vring_err err;
	uint64_t buf; /* page-aligned scratch buffers, BUF_SIZE bytes */
};

static int setup(void **state)
{
	const struct mode *m = *state;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mode = m;
	assert_int_equal(
		vg_drv_mem_init(&f->mem, RAM_BASE, RAM_SIZE, m->grants), 0);
	vg_inproc_init_drv(&f->ip, &f->mem);
	f->ip.gram.max_piece = m->max_piece;
	f->buf = vg_drv_alloc(&f->mem, BUF_SIZE, VG_GRANT_PAGE_SIZE);
	assert_int_not_equal(f->buf, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* Nothing the device mapped stays mapped. */
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	vg_drv_mem_dispose(&f->mem);
	free(f);
	return 0;
}

/* Device address of guest address @gpa (a grant address with grants). */
static uint64_t dma(struct fx *f, uint64_t gpa, bool ro)
{
	return vg_drv_dma(&f->mem, gpa, ro);
}

/* A device address that is no guest memory in the current mode. */
static uint64_t bad_addr(struct fx *f)
{
	if (f->mode->grants)
		return VG_GRANT_ADDR(f->mem.nr_grants + 16, 0);
	return RAM_BASE + RAM_SIZE + 0x10000;
}

static void fx_queue(struct fx *f, uint16_t size, bool indirect, bool event_idx)
{
	assert_int_equal(
		vg_drv_vq_init(&f->d, &f->mem, size, indirect, event_idx), 0);
	vg_vq_reset(&f->vq);
	f->vq.size = size;
	f->vq.desc = dma(f, f->d.desc, false);
	f->vq.avail = dma(f, f->d.avail, false);
	f->vq.used = dma(f, f->d.used, false);
	assert_int_equal(vg_vq_enable(&f->vq, indirect, event_idx), 0);
}

static int pop(struct fx *f)
{
	int rc = vg_vq_pop(&f->vq, &f->ip.bus, &f->c, &f->err);

	assert_int_equal(f->ip.maps, f->ip.unmaps);
	return rc;
}

static int push(struct fx *f, uint16_t head, uint32_t len)
{
	int rc = vg_vq_push(&f->vq, &f->ip.bus, head, len);

	assert_int_equal(f->ip.maps, f->ip.unmaps);
	return rc;
}

static bool notify(struct fx *f)
{
	bool r = vg_vq_should_notify(&f->vq, &f->ip.bus);

	assert_int_equal(f->ip.maps, f->ip.unmaps);
	return r;
}

static void *ptr(struct fx *f, uint64_t gpa)
{
	void *p = vg_drv_ptr(&f->mem, gpa);

	assert_non_null(p);
	return p;
}

static uint16_t get16(struct fx *f, uint64_t gpa)
{
	struct vg_le16 v;

	memcpy(&v, ptr(f, gpa), sizeof(v));
	return vg_le16_get(v);
}

static void set16(struct fx *f, uint64_t gpa, uint16_t val)
{
	struct vg_le16 v = vg_le16_put(val);

	memcpy(ptr(f, gpa), &v, sizeof(v));
}

/* Write descriptor @i of the table at guest address @table. */
static void put_desc(struct fx *f, uint64_t table, uint16_t i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	struct vg_vring_desc d = {
		.addr = vg_le64_put(addr),
		.len = vg_le32_put(len),
		.flags = vg_le16_put(flags),
		.next = vg_le16_put(next),
	};

	memcpy(ptr(f, table + 16 * (uint64_t)i), &d, sizeof(d));
}

/* Make descriptor @head available, as a driver would. */
static void expose(struct fx *f, uint16_t head)
{
	set16(f, f->d.avail + VG_VRING_AVAIL_RING(f->d.avail_idx % f->d.size),
	      head);
	f->d.avail_idx++;
	set16(f, f->d.avail + VG_VRING_AVAIL_IDX, f->d.avail_idx);
}

/* A readable / writable buffer at @off in the scratch area. */
static uint64_t rbuf(struct fx *f, uint32_t off)
{
	return dma(f, f->buf + off, true);
}

static uint64_t wbuf(struct fx *f, uint32_t off)
{
	return dma(f, f->buf + off, false);
}

static uint64_t new_table(struct fx *f, unsigned int entries)
{
	uint64_t t = vg_drv_alloc(&f->mem, 16 * (size_t)entries, 16);

	assert_int_not_equal(t, 0);
	return t;
}

/* Entries 0..@n-1 of @table: readable 4-byte buffers linked in order. */
static void put_chain(struct fx *f, uint64_t table, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		put_desc(f, table, i, rbuf(f, 4 * (uint32_t)i), 4,
			 i + 1 < n ? VG_VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
}

/* Expose head 0: one readable 4-byte buffer. */
static void expose_one(struct fx *f)
{
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 4, 0, 0);
	expose(f, 0);
}

/* Expose head 0: an indirect table at device address @addr, @len bytes. */
static void expose_indirect(struct fx *f, uint64_t addr, uint32_t len)
{
	put_desc(f, f->d.desc, 0, addr, len, VG_VRING_DESC_F_INDIRECT, 0);
	expose(f, 0);
}

/* Move ring area @area of the device's queue off guest memory. */
static void unmap_ring_area(struct fx *f, uint64_t *area)
{
	*area = bad_addr(f);
	assert_int_equal(vg_vq_enable(&f->vq, f->vq.indirect, f->vq.event_idx),
			 0);
}

static void expect_reject(struct fx *f, enum vg_vring_err e)
{
	enum vg_vring_err e2;

	assert_int_equal(pop(f), -EPROTO);
	assert_int_equal(f->err, e);
	/* Sticky: the ring stays unusable until it is enabled again. */
	assert_int_equal(vg_vq_avail(&f->vq, &f->ip.bus, &e2), -EPROTO);
	assert_int_equal(e2, e);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

/* --- rejections (validation.md V10-V18) ----------------------------------- */

static void vring_pop_rejects_avail_idx_jump(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	set16(f, f->d.avail + VG_VRING_AVAIL_IDX, 9);
	expect_reject(f, VG_VRING_E_AVAIL_IDX);
}

static void vring_pop_accepts_avail_idx_full_ring(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	for (uint16_t i = 0; i < 8; i++) {
		put_desc(f, f->d.desc, i, rbuf(f, 0), 4, 0, 0);
		expose(f, i);
	}
	assert_int_equal(vg_vq_avail(&f->vq, &f->ip.bus, &f->err), 1);
	for (uint16_t i = 0; i < 8; i++) {
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.head, i);
	}
	assert_int_equal(pop(f), 0);
	assert_int_equal(f->err, VG_VRING_OK);
}

static void vring_pop_rejects_head_out_of_range(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	expose(f, 8);
	expect_reject(f, VG_VRING_E_HEAD);
}

static void vring_pop_rejects_next_out_of_range(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 4, VG_VRING_DESC_F_NEXT, 8);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_NEXT);
}

static void vring_pop_rejects_descriptor_loop(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 4, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, rbuf(f, 4), 4, VG_VRING_DESC_F_NEXT, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_CHAIN_LONG);
}

static void vring_pop_rejects_self_loop(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 3, wbuf(f, 0), 4,
		 VG_VRING_DESC_F_NEXT | VG_VRING_DESC_F_WRITE, 3);
	expose(f, 3);
	expect_reject(f, VG_VRING_E_CHAIN_LONG);
}

static void vring_pop_rejects_indirect_loop(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 2);
	put_desc(f, t, 0, rbuf(f, 0), 4, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, t, 1, rbuf(f, 4), 4, VG_VRING_DESC_F_NEXT, 0);
	expose_indirect(f, dma(f, t, true), 32);
	expect_reject(f, VG_VRING_E_CHAIN_LONG);
}

static void vring_pop_rejects_indirect_table_over_size(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 9);
	put_chain(f, t, 9);
	expose_indirect(f, dma(f, t, true), 9 * 16);
	expect_reject(f, VG_VRING_E_CHAIN_LONG);
}

/* Direct and indirect descriptors count together (the vringh bug). */
static void vring_pop_rejects_direct_plus_indirect_over_size(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 7);
	put_chain(f, t, 7);
	put_desc(f, f->d.desc, 0, rbuf(f, 100), 4, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, rbuf(f, 104), 4, VG_VRING_DESC_F_NEXT, 2);
	put_desc(f, f->d.desc, 2, dma(f, t, true), 7 * 16,
		 VG_VRING_DESC_F_INDIRECT, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_CHAIN_LONG);
}

static void vring_pop_rejects_nested_indirect(void **state)
{
	struct fx *f = *state;
	uint64_t t, t2;

	fx_queue(f, 8, true, false);
	t = new_table(f, 2);
	t2 = new_table(f, 1);
	put_desc(f, t2, 0, rbuf(f, 0), 4, 0, 0);
	put_desc(f, t, 0, rbuf(f, 0), 4, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, t, 1, dma(f, t2, true), 16, VG_VRING_DESC_F_INDIRECT, 0);
	expose_indirect(f, dma(f, t, true), 32);
	expect_reject(f, VG_VRING_E_INDIRECT_NESTED);
}

static void vring_pop_rejects_indirect_without_feature(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, false, false);
	t = new_table(f, 1);
	put_desc(f, t, 0, rbuf(f, 0), 4, 0, 0);
	expose_indirect(f, dma(f, t, true), 16);
	expect_reject(f, VG_VRING_E_INDIRECT_FEATURE);
}

static void vring_pop_rejects_indirect_with_next(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 1);
	put_desc(f, t, 0, rbuf(f, 0), 4, 0, 0);
	put_desc(f, f->d.desc, 1, wbuf(f, 8), 4, VG_VRING_DESC_F_WRITE, 0);
	put_desc(f, f->d.desc, 0, dma(f, t, true), 16,
		 VG_VRING_DESC_F_INDIRECT | VG_VRING_DESC_F_NEXT, 1);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_INDIRECT_WITH_NEXT);
}

static void vring_pop_rejects_indirect_len_zero(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 1);
	expose_indirect(f, dma(f, t, true), 0);
	expect_reject(f, VG_VRING_E_INDIRECT_LEN);
}

static void vring_pop_rejects_indirect_len_unaligned(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 2);
	put_desc(f, t, 0, rbuf(f, 0), 4, 0, 0);
	expose_indirect(f, dma(f, t, true), 24);
	expect_reject(f, VG_VRING_E_INDIRECT_LEN);
}

static void vring_pop_rejects_indirect_next_out_of_range(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	/* Next 2 is inside the queue size but outside the 2-entry table. */
	t = new_table(f, 4);
	put_chain(f, t, 3);
	expose_indirect(f, dma(f, t, true), 32);
	expect_reject(f, VG_VRING_E_INDIRECT_NEXT);
}

static void vring_pop_rejects_writable_before_readable(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, wbuf(f, 0), 4,
		 VG_VRING_DESC_F_WRITE | VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, rbuf(f, 8), 4, 0, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_ORDER);
}

static void vring_pop_rejects_writable_before_readable_indirect(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 1);
	put_desc(f, t, 0, rbuf(f, 8), 4, 0, 0);
	put_desc(f, f->d.desc, 0, wbuf(f, 0), 4,
		 VG_VRING_DESC_F_WRITE | VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, dma(f, t, true), 16, VG_VRING_DESC_F_INDIRECT,
		 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_ORDER);
}

static void vring_pop_rejects_zero_length(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 8, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, wbuf(f, 8), 0, VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_ZERO_LEN);
}

static void vring_pop_rejects_total_over_4gib(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 0x80000000u, VG_VRING_DESC_F_NEXT,
		 1);
	put_desc(f, f->d.desc, 1, wbuf(f, 0), 0x80000000u,
		 VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_TOTAL_LEN);
}

static void vring_pop_accepts_total_just_under_4gib(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 0x80000000u, VG_VRING_DESC_F_NEXT,
		 1);
	put_desc(f, f->d.desc, 1, wbuf(f, 0), 0x7fffffffu,
		 VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.read_len, 0x80000000u);
	assert_int_equal(f->c.write_len, 0x7fffffffu);
}

static void vring_pop_rejects_buffer_wrapping_address_space(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, UINT64_MAX - 3, 16, 0, 0);
	expose(f, 0);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_rejects_unmapped_desc_table(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	expose_one(f);
	unmap_ring_area(f, &f->vq.desc);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_rejects_unmapped_avail_ring(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	unmap_ring_area(f, &f->vq.avail);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_rejects_unmapped_indirect_table(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, true, false);
	expose_indirect(f, bad_addr(f), 32);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_rejects_indirect_table_wrapping(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, true, false);
	expose_indirect(f, UINT64_MAX - 15, 32);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_rejects_unwritable_avail_event(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, true);
	expose_one(f);
	unmap_ring_area(f, &f->vq.used);
	expect_reject(f, VG_VRING_E_ACCESS);
}

static void vring_pop_recovers_after_enable(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	expose(f, 9);
	expect_reject(f, VG_VRING_E_HEAD);
	/* Fixing the ring is not enough: only a re-enable clears it. */
	set16(f, f->d.avail + VG_VRING_AVAIL_RING(0), 0);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 4, 0, 0);
	expect_reject(f, VG_VRING_E_HEAD);
	assert_int_equal(vg_vq_enable(&f->vq, false, false), 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, 0);
}

static void vring_strerror_names_every_error(void **state)
{
	(void)state;
	for (int i = 0; i < VG_VRING_E_NR; i++) {
		const char *s = vg_vring_strerror((enum vg_vring_err)i);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(
				s, vg_vring_strerror((enum vg_vring_err)j));
	}
	assert_string_equal(vg_vring_strerror(VG_VRING_E_NR),
			    "unknown ring error");
}

static void vring_enable_rejects_bad_setup(void **state)
{
	struct fx *f = *state;
	struct vg_vq good;

	fx_queue(f, 8, false, false);
	good = f->vq;
	static const uint16_t bad_sizes[] = {0, 3, 12, 512};
	for (size_t i = 0; i < VG_ARRAY_SIZE(bad_sizes); i++) {
		f->vq = good;
		f->vq.size = bad_sizes[i];
		assert_int_equal(vg_vq_enable(&f->vq, false, false), -EINVAL);
	}
	f->vq = good;
	f->vq.desc += 8;
	assert_int_equal(vg_vq_enable(&f->vq, false, false), -EINVAL);
	f->vq = good;
	f->vq.avail += 1;
	assert_int_equal(vg_vq_enable(&f->vq, false, false), -EINVAL);
	f->vq = good;
	f->vq.used += 2;
	assert_int_equal(vg_vq_enable(&f->vq, false, false), -EINVAL);
	f->vq = good;
	f->vq.used = UINT64_MAX - 63; /* aligned, runs past 2^64 */
	assert_int_equal(vg_vq_enable(&f->vq, false, false), -EINVAL);
	f->vq = good;
	f->vq.size = 256;
	f->vq.desc = UINT64_MAX - 4095; /* 4096 bytes end exactly at 2^64 */
	assert_int_equal(vg_vq_enable(&f->vq, false, false), 0);
}

static void vring_pop_ignores_queue_not_ready(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	expose_one(f);
	f->vq.ready = false;
	assert_int_equal(pop(f), 0);
	assert_int_equal(push(f, 0, 0), -EINVAL);
	f->vq.ready = true;
	assert_int_equal(pop(f), 1);
}

static void vring_push_rejects_bad_head(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	assert_int_equal(push(f, 8, 0), -EINVAL);
	assert_int_equal(get16(f, f->d.used + VG_VRING_USED_IDX), 0);
}

static void vring_push_fails_on_unmapped_used(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	unmap_ring_area(f, &f->vq.used);
	assert_int_equal(push(f, 0, 0), -EFAULT);
	assert_int_equal(f->vq.used_idx, 0);
}

/* --- happy paths ----------------------------------------------------------- */

static void vring_pop_accepts_direct_chain(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[2] = {
		{f->buf, 8, false},
		{f->buf + 64, 2, true},
	};
	uint32_t len;
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(pop(f), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), 0);
	assert_int_equal(vg_vq_avail(&f->vq, &f->ip.bus, &f->err), 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 1);
	assert_int_equal(f->c.nwrite, 1);
	assert_int_equal(f->c.read_len, 8);
	assert_int_equal(f->c.write_len, 2);
	assert_int_equal(f->c.iov[0].addr, dma(f, f->buf, true));
	assert_int_equal(f->c.iov[1].addr, dma(f, f->buf + 64, false));
	assert_int_equal(pop(f), 0);
	assert_null(vg_drv_vq_get(&f->d, &len));
	assert_int_equal(push(f, f->c.head, 2), 0);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(len, 2);
	assert_int_equal(f->d.num_free, 8);
}

static void vring_pop_accepts_indirect_chain(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[3] = {
		{f->buf, 4, false},
		{f->buf + 4, 4, false},
		{f->buf + 64, 2, true},
	};
	uint32_t len;
	int token;

	fx_queue(f, 8, true, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 3, &token), 0);
	assert_int_equal(f->d.num_free, 7);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 2);
	assert_int_equal(f->c.nwrite, 1);
	assert_int_equal(f->c.read_len, 8);
	assert_int_equal(f->c.write_len, 2);
	assert_int_equal(f->c.iov[1].addr, dma(f, f->buf + 4, true));
	assert_int_equal(f->c.iov[2].addr, dma(f, f->buf + 64, false));
	assert_int_equal(push(f, f->c.head, 1), 0);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(len, 1);
	assert_int_equal(f->d.num_free, 8);
}

/* The WRITE flag of a descriptor pointing to a table is ignored. */
static void vring_pop_ignores_write_flag_on_indirect(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 1);
	put_desc(f, t, 0, rbuf(f, 0), 4, 0, 0);
	put_desc(f, f->d.desc, 0, dma(f, t, true), 16,
		 VG_VRING_DESC_F_INDIRECT | VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 1);
	assert_int_equal(f->c.nwrite, 0);
}

/* A direct prefix may be followed by one indirect table (split-ring.tex). */
static void vring_pop_accepts_direct_then_indirect(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	fx_queue(f, 8, true, false);
	t = new_table(f, 2);
	put_desc(f, t, 0, rbuf(f, 4), 4, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, t, 1, wbuf(f, 64), 2, VG_VRING_DESC_F_WRITE, 0);
	put_desc(f, f->d.desc, 5, rbuf(f, 0), 4, VG_VRING_DESC_F_NEXT, 2);
	put_desc(f, f->d.desc, 2, dma(f, t, true), 32, VG_VRING_DESC_F_INDIRECT,
		 0);
	expose(f, 5);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.nread, 2);
	assert_int_equal(f->c.nwrite, 1);
	assert_int_equal(f->c.read_len, 8);
}

static void vring_chain_read_gathers_split_request(void **state)
{
	struct fx *f = *state;
	static const uint8_t req[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	/* Request over three readable buffers, response over two. */
	struct vg_drv_sg sg[5] = {
		{f->buf + 0, 3, false},
		{f->buf + 100, 1, false},
		{f->buf + 4095, 4, false}, /* crosses a page */
		{f->buf + 200, 1, true},
		{f->buf + 8191, 2, true}, /* crosses a page */
	};
	uint8_t got[16], *p = ptr(f, f->buf);
	uint8_t resp[3] = {0xa1, 0xa2, 0xa3};
	int token;

	memcpy(p, req, 3);
	p[100] = req[3];
	memcpy(p + 4095, req + 4, 4);
	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 5, &token), 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 3);
	assert_int_equal(f->c.nwrite, 2);
	assert_int_equal(f->c.read_len, 8);
	assert_int_equal(f->c.write_len, 3);

	memset(got, 0, sizeof(got));
	/* Asking for more than there is returns what there is. */
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 0, got, sizeof(got)),
			 8);
	assert_memory_equal(got, req, 8);
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 3, got, 2), 2);
	assert_memory_equal(got, req + 3, 2);
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 8, got, 1), 0);
	assert_int_equal(f->ip.maps, f->ip.unmaps);

	assert_int_equal(vg_chain_write(&f->ip.bus, &f->c, 0, resp, 3), 3);
	assert_int_equal(p[200], 0xa1);
	assert_int_equal(p[8191], 0xa2);
	assert_int_equal(p[8192], 0xa3);
	assert_int_equal(vg_chain_write(&f->ip.bus, &f->c, 2, resp, 3), 1);
	assert_int_equal(p[8192], 0xa1);
	assert_int_equal(p[8193], 0);
	/* The readable part is untouched by writes. */
	assert_memory_equal(p, req, 3);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

/* A request and a response split over two writable buffers. */
static void pop_split_response(struct fx *f, uint64_t wr1)
{
	fx_queue(f, 8, false, false);
	put_desc(f, f->d.desc, 0, rbuf(f, 0), 8, VG_VRING_DESC_F_NEXT, 1);
	put_desc(f, f->d.desc, 1, wbuf(f, 200), 1,
		 VG_VRING_DESC_F_WRITE | VG_VRING_DESC_F_NEXT, 2);
	put_desc(f, f->d.desc, 2, wr1, 2, VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.write_len, 3);
}

static void vring_chain_hold_maps_then_writes(void **state)
{
	struct fx *f = *state;
	static const uint8_t resp[4] = {0xa1, 0xa2, 0xa3, 0xa4};
	uint8_t *p = ptr(f, f->buf);
	struct vg_chain_hold h;

	pop_split_response(f, wbuf(f, 8191)); /* crosses a page */
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 3, &h), 0);
	assert_int_equal(h.len, 3);
	/* Held until released, so the write below cannot fail. */
	assert_int_equal(f->ip.maps - f->ip.unmaps, h.n);
	assert_int_equal(p[200], 0);
	vg_chain_hold_write(&h, resp, 3);
	vg_chain_release(&f->ip.bus, &h);
	assert_int_equal(h.n, 0);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	assert_int_equal(p[200], 0xa1);
	assert_int_equal(p[8191], 0xa2);
	assert_int_equal(p[8192], 0xa3);
	/* A shorter hold covers the first bytes only. */
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 2, &h), 0);
	vg_chain_hold_write(&h, resp + 1, 3);
	vg_chain_release(&f->ip.bus, &h);
	assert_int_equal(p[200], 0xa2);
	assert_int_equal(p[8191], 0xa3);
	assert_int_equal(p[8192], 0xa3);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

static void vring_chain_hold_rejects_bad_len(void **state)
{
	struct fx *f = *state;
	struct vg_chain_hold h;
	struct vg_drv_sg sg[2] = {{f->buf, 8, false}, {f->buf + 64, 16, true}};
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 0, &h), -EINVAL);
	assert_int_equal(h.n, 0);
	assert_int_equal(
		vg_chain_hold(&f->ip.bus, &f->c, VG_CHAIN_HOLD_MAX + 1, &h),
		-EINVAL);
	assert_int_equal(h.n, 0);
	/* Never more than the writable part. */
	f->c.write_len = 4;
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 5, &h), -EINVAL);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

/* The first byte is fine, the next is no guest memory: nothing is held. */
static void vring_chain_hold_fails_if_any_byte_unwritable(void **state)
{
	struct fx *f = *state;
	struct vg_chain_hold h;

	pop_split_response(f, bad_addr(f));
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 2, &h), -EFAULT);
	assert_int_equal(h.n, 0);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	/* Holding just the good byte works. */
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 1, &h), 0);
	vg_chain_release(&f->ip.bus, &h);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

static void vring_pop_accepts_chain_of_queue_size(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[8];
	uint32_t len;
	int token;

	for (unsigned int i = 0; i < 8; i++)
		sg[i] = (struct vg_drv_sg){f->buf + 8 * i, 8, i >= 4};
	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 8, &token), 0);
	assert_int_equal(f->d.num_free, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 4);
	assert_int_equal(f->c.nwrite, 4);
	assert_int_equal(push(f, f->c.head, 32), 0);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(len, 32);
	assert_int_equal(f->d.num_free, 8);
}

static void vring_pop_accepts_indirect_table_of_queue_size(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[8];
	int token;

	for (unsigned int i = 0; i < 8; i++)
		sg[i] = (struct vg_drv_sg){f->buf + 8 * i, 8, i >= 4};
	fx_queue(f, 8, true, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 8, &token), 0);
	assert_int_equal(f->d.num_free, 7);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 4);
	assert_int_equal(f->c.nwrite, 4);
}

static void vring_pop_accepts_max_queue_chain(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[VG_VQ_MAX_SIZE];
	int token;

	for (unsigned int i = 0; i < VG_VQ_MAX_SIZE; i++)
		sg[i] = (struct vg_drv_sg){f->buf + i, 1, i >= 200};
	fx_queue(f, VG_VQ_MAX_SIZE, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, VG_VQ_MAX_SIZE, &token), 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nread, 200);
	assert_int_equal(f->c.nwrite, 56);
	assert_int_equal(f->c.iov[255].addr, dma(f, f->buf + 255, false));
}

static void vring_pop_handles_index_wraparound(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[2] = {
		{f->buf, 8, false},
		{f->buf + 64, 2, true},
	};
	const unsigned int rounds = 65536 + 10;
	unsigned int pending_n = 1;
	int tokens[2], *pending = &tokens[0];
	uint32_t len;

	fx_queue(f, 4, true, false);
	/* One chain always in flight, so ring slots and heads rotate. */
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 1, pending), 0);
	for (unsigned int i = 0; i < rounds; i++) {
		unsigned int n = 1 + i % 2;
		int *tok = &tokens[(i + 1) % 2];

		assert_int_equal(vg_drv_vq_add(&f->d, sg, n, tok), 0);
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.nread + f->c.nwrite, pending_n);
		assert_int_equal(push(f, f->c.head, i), 0);
		assert_ptr_equal(vg_drv_vq_get(&f->d, &len), pending);
		assert_int_equal(len, i);
		pending_n = n;
		pending = tok;
	}
	assert_int_equal(f->vq.last_avail, (uint16_t)rounds);
	assert_int_equal(f->vq.used_idx, (uint16_t)rounds);
	assert_int_equal(f->d.avail_idx, (uint16_t)(rounds + 1));
	assert_int_equal(pop(f), 1);
	assert_int_equal(pop(f), 0);
}

static void vring_push_fills_used_ring(void **state)
{
	struct fx *f = *state;
	struct vg_vring_used_elem e;

	fx_queue(f, 4, false, false);
	for (uint16_t i = 0; i < 6; i++) {
		assert_int_equal(push(f, (uint16_t)(3 - i % 4), 100u + i), 0);
		memcpy(&e, ptr(f, f->d.used + VG_VRING_USED_RING(i % 4)),
		       sizeof(e));
		assert_int_equal(vg_le32_get(e.id), 3 - i % 4);
		assert_int_equal(vg_le32_get(e.len), 100u + i);
		assert_int_equal(get16(f, f->d.used + VG_VRING_USED_IDX),
				 i + 1);
	}
}

static void vring_should_notify_follows_no_interrupt(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	assert_false(notify(f)); /* nothing pushed */
	assert_int_equal(push(f, 0, 0), 0);
	assert_true(notify(f));
	assert_false(notify(f)); /* nothing pushed since */
	set16(f, f->d.avail + VG_VRING_AVAIL_FLAGS,
	      VG_VRING_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(push(f, 1, 0), 0);
	assert_false(notify(f));
	set16(f, f->d.avail + VG_VRING_AVAIL_FLAGS, 0);
	assert_int_equal(push(f, 2, 0), 0);
	assert_true(notify(f));
}

static void vring_should_notify_follows_used_event(void **state)
{
	struct fx *f = *state;
	uint64_t ev;

	fx_queue(f, 8, false, true);
	ev = f->d.avail + VG_VRING_USED_EVENT(8);
	/* NO_INTERRUPT is ignored with EVENT_IDX. */
	set16(f, f->d.avail + VG_VRING_AVAIL_FLAGS,
	      VG_VRING_AVAIL_F_NO_INTERRUPT);
	set16(f, ev, 100);
	assert_int_equal(push(f, 0, 0), 0);
	assert_true(notify(f)); /* first signal is always sent */
	set16(f, ev, 1);
	assert_int_equal(push(f, 1, 0), 0); /* used 1 -> 2 crosses event 1 */
	assert_true(notify(f));
	set16(f, ev, 4);
	assert_int_equal(push(f, 2, 0), 0); /* 2 -> 3 */
	assert_false(notify(f));
	assert_int_equal(push(f, 3, 0), 0); /* 3 -> 4 */
	assert_false(notify(f));
	assert_int_equal(push(f, 4, 0), 0);
	assert_int_equal(push(f, 5, 0), 0); /* 4 -> 6 crosses 4 */
	assert_true(notify(f));
	/* The driver's own update after get: used_event = last_used. */
	f->d.last_used = 6;
	vg_drv_vq_enable_cb(&f->d);
	assert_int_equal(get16(f, ev), 6);
	assert_int_equal(push(f, 6, 0), 0);
	assert_true(notify(f));
}

static void vring_pop_publishes_avail_event(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf, 8, false};
	uint64_t ae;
	int token;

	fx_queue(f, 8, false, true);
	ae = f->d.used + VG_VRING_AVAIL_EVENT(8);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_true(vg_drv_vq_kick_prepare(&f->d));
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	/* The device has not caught up with the first kick: no new one. */
	assert_false(vg_drv_vq_kick_prepare(&f->d));
	assert_int_equal(pop(f), 1);
	assert_int_equal(get16(f, ae), 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(get16(f, ae), 2);
	assert_int_equal(pop(f), 0);
	/* The device consumed everything: the next add kicks. */
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_true(vg_drv_vq_kick_prepare(&f->d));
}

/* --- grants ---------------------------------------------------------------- */

static void vring_chain_write_fails_on_readonly_grant(void **state)
{
	struct fx *f = *state;
	uint8_t b[2] = {1, 2};

	fx_queue(f, 8, false, false);
	/* Writable descriptor, but through the read-only grant. */
	put_desc(f, f->d.desc, 0, dma(f, f->buf, true), 2,
		 VG_VRING_DESC_F_WRITE, 0);
	expose(f, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(vg_chain_write(&f->ip.bus, &f->c, 0, b, 2), -EFAULT);
	assert_int_equal(((uint8_t *)ptr(f, f->buf))[0], 0);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

static void vring_chain_hold_fails_on_readonly_grant(void **state)
{
	struct fx *f = *state;
	struct vg_chain_hold h;

	/* The second writable buffer comes through the read-only grant. */
	pop_split_response(f, dma(f, f->buf + 300, true));
	assert_int_equal(vg_chain_hold(&f->ip.bus, &f->c, 3, &h), -EFAULT);
	assert_int_equal(h.n, 0);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

static void vring_chain_read_fails_on_revoked_grant(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf + 4090, 12, false}; /* two pages */
	uint8_t b[12];
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_int_equal(pop(f), 1);
	vg_drv_grant_set(&f->mem, f->buf + 4096, false);
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 0, b, 12), -EFAULT);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	/* The first page is still readable. */
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 0, b, 6), 6);
	vg_drv_grant_set(&f->mem, f->buf + 4096, true);
	assert_int_equal(vg_chain_read(&f->ip.bus, &f->c, 0, b, 12), 12);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

static void vring_pop_rejects_revoked_ring_grant(void **state)
{
	struct fx *f = *state;

	fx_queue(f, 8, false, false);
	expose_one(f);
	vg_drv_grant_set(&f->mem, f->d.desc, false);
	expect_reject(f, VG_VRING_E_ACCESS);
}

/* --- driver side (frontend-shim/drv.c) ------------------------------------- */

static void drv_vq_add_rejects_bad_arguments(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[9] = {{f->buf, 1, false}};
	int token;

	fx_queue(f, 8, true, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 0, &token), -EINVAL);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 1, NULL), -EINVAL);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 9, &token), -EINVAL);
	assert_int_equal(f->d.avail_idx, 0);
	assert_int_equal(f->d.num_free, 8);
}

static void drv_vq_add_fails_when_ring_full(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[3] = {
		{f->buf, 4, false},
		{f->buf + 8, 4, false},
		{f->buf + 16, 4, true},
	};
	uint32_t len;
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 3, &token), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 3, &token), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 3, &token), -ENOSPC);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 1, &token), -ENOSPC);
	assert_int_equal(f->d.avail_idx, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(push(f, f->c.head, 0), 0);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 3, &token), 0);
	assert_int_equal(f->d.num_free, 0);
}

static void drv_vq_add_fails_when_ring_full_indirect(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[2] = {
		{f->buf, 4, false},
		{f->buf + 16, 4, true},
	};
	int token;

	fx_queue(f, 4, true, false);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), -ENOSPC);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.nread + f->c.nwrite, 2);
	}
}

static void drv_vq_add_writes_indirect_table(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg[2] = {
		{f->buf, 8, false},
		{f->buf + 16, 2, true},
	};
	struct vg_vring_desc d;
	uint16_t head;
	int token;

	fx_queue(f, 8, true, false);
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 2, &token), 0);
	head = get16(f, f->d.avail + VG_VRING_AVAIL_RING(0));
	assert_int_equal(get16(f, f->d.avail + VG_VRING_AVAIL_IDX), 1);
	memcpy(&d, ptr(f, f->d.desc + 16 * head), sizeof(d));
	assert_int_equal(vg_le16_get(d.flags), VG_VRING_DESC_F_INDIRECT);
	assert_int_equal(vg_le32_get(d.len), 32);
	assert_int_equal(vg_le64_get(d.addr), dma(f, f->d.itable[head], true));
	memcpy(&d, ptr(f, f->d.itable[head]), sizeof(d));
	assert_int_equal(vg_le16_get(d.flags), VG_VRING_DESC_F_NEXT);
	assert_int_equal(vg_le16_get(d.next), 1);
	assert_int_equal(vg_le64_get(d.addr), dma(f, f->buf, true));
	memcpy(&d, ptr(f, f->d.itable[head] + 16), sizeof(d));
	assert_int_equal(vg_le16_get(d.flags), VG_VRING_DESC_F_WRITE);
	assert_int_equal(vg_le32_get(d.len), 2);
	assert_int_equal(vg_le64_get(d.addr), dma(f, f->buf + 16, false));
	/* A single buffer never goes indirect. */
	assert_int_equal(vg_drv_vq_add(&f->d, sg, 1, &token), 0);
	head = get16(f, f->d.avail + VG_VRING_AVAIL_RING(1));
	memcpy(&d, ptr(f, f->d.desc + 16 * head), sizeof(d));
	assert_int_equal(vg_le16_get(d.flags), 0);
	assert_int_equal(vg_le32_get(d.len), 8);
}

static void drv_vq_get_rejects_unexposed_id(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf, 8, false};
	uint32_t len = 7;
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_null(vg_drv_vq_get(&f->d, &len));
	assert_int_equal(len, 0);
	/* Head 0 is exposed; 3 and 8 never were. */
	assert_int_equal(push(f, 3, 5), 0);
	f->vq.size = 16; /* let the device push an id >= the driver's size */
	assert_int_equal(push(f, 8, 5), 0);
	f->vq.size = 8;
	assert_int_equal(push(f, 0, 5), 0);
	assert_null(vg_drv_vq_get(&f->d, &len));
	assert_int_equal(len, UINT32_MAX);
	assert_null(vg_drv_vq_get(&f->d, &len));
	assert_int_equal(len, UINT32_MAX);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(len, 5);
	/* Completing it twice is also an id the driver does not own. */
	assert_int_equal(push(f, 0, 5), 0);
	assert_null(vg_drv_vq_get(&f->d, &len));
	assert_int_equal(len, UINT32_MAX);
	assert_int_equal(f->d.num_free, 8);
}

static void drv_vq_kick_prepare_follows_no_notify(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf, 8, false};
	int token;

	fx_queue(f, 8, false, false);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_true(vg_drv_vq_kick_prepare(&f->d));
	set16(f, f->d.used + VG_VRING_USED_FLAGS, VG_VRING_USED_F_NO_NOTIFY);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_false(vg_drv_vq_kick_prepare(&f->d));
}

static void drv_vq_kick_prepare_follows_avail_event(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf, 8, false};
	uint64_t ae;
	int token;

	fx_queue(f, 8, false, true);
	ae = f->d.used + VG_VRING_AVAIL_EVENT(8);
	set16(f, f->d.used + VG_VRING_USED_FLAGS, VG_VRING_USED_F_NO_NOTIFY);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_true(vg_drv_vq_kick_prepare(&f->d)); /* 0 -> 1 crosses 0 */
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_false(vg_drv_vq_kick_prepare(&f->d)); /* 1 -> 2 */
	set16(f, ae, 3);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	assert_true(vg_drv_vq_kick_prepare(&f->d)); /* 2 -> 4 crosses 3 */
	assert_false(vg_drv_vq_kick_prepare(&f->d)); /* nothing new */
}

static void drv_vq_get_updates_used_event(void **state)
{
	struct fx *f = *state;
	struct vg_drv_sg sg = {f->buf, 8, false};
	uint32_t len;
	int token;

	fx_queue(f, 8, false, true);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vg_drv_vq_add(&f->d, &sg, 1, &token), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pop(f), 1);
		assert_int_equal(push(f, f->c.head, 0), 0);
	}
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(get16(f, f->d.avail + VG_VRING_USED_EVENT(8)), 1);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_ptr_equal(vg_drv_vq_get(&f->d, &len), &token);
	assert_int_equal(get16(f, f->d.avail + VG_VRING_USED_EVENT(8)), 3);
}

static void drv_mem_init_rejects_bad_geometry(void **state)
{
	struct vg_drv_mem m;

	(void)state;
	assert_int_equal(vg_drv_mem_init(&m, 0x1000, 0, false), -EINVAL);
	assert_int_equal(vg_drv_mem_init(&m, 0x1000, 4097, false), -EINVAL);
	assert_int_equal(vg_drv_mem_init(&m, 0x1001, 4096, false), -EINVAL);
	assert_int_equal(vg_drv_mem_init(&m, UINT64_MAX - 4095, 8192, false),
			 -EINVAL);
	/* Grant entries hold 32-bit frame numbers. */
	assert_int_equal(vg_drv_mem_init(&m, 1ull << 44, 4096, true), -EINVAL);
	assert_int_equal(vg_drv_mem_init(&m, (1ull << 44) - 4096, 4096, true),
			 0);
	/* The table fills the only page: nothing left to allocate. */
	assert_int_equal(vg_drv_alloc(&m, 1, 1), 0);
	vg_drv_mem_dispose(&m);
}

static void drv_alloc_never_returns_zero(void **state)
{
	struct vg_drv_mem m;
	uint64_t a;

	(void)state;
	assert_int_equal(vg_drv_mem_init(&m, 0, 8192, false), 0);
	a = vg_drv_alloc(&m, 16, 16);
	assert_int_not_equal(a, 0);
	assert_int_equal(vg_drv_alloc(&m, 3, 3), 0); /* not a power of two */
	assert_int_equal(vg_drv_alloc(&m, 8192, 1), 0); /* too big */
	assert_int_equal(vg_drv_alloc(&m, 8192 - a - 16, 1), a + 16);
	assert_int_equal(vg_drv_alloc(&m, 1, 1), 0);
	assert_null(vg_drv_ptr(&m, 8192));
	vg_drv_mem_dispose(&m);
	vg_drv_mem_dispose(NULL);
}

static void drv_mem_grants_cover_every_page(void **state)
{
	struct fx *f = *state;
	uint64_t last = RAM_BASE + RAM_SIZE - 1;
	size_t n = 0;
	uint8_t *p;

	if (!f->mode->grants) {
		assert_int_equal(dma(f, last, true), last);
		return;
	}
	assert_int_equal(f->mem.gnttab, RAM_BASE);
	assert_int_equal(f->mem.nr_grants, 2 * (RAM_SIZE / 4096));
	p = vg_gram_map(&f->ip.gram, dma(f, last, false), 1, VG_PROT_WRITE, &n);
	assert_ptr_equal(p, ptr(f, last));
	assert_null(vg_gram_map(&f->ip.gram, dma(f, last, true), 1,
				VG_PROT_WRITE, &n));
	p = vg_gram_map(&f->ip.gram, dma(f, last, true), 1, VG_PROT_READ, &n);
	assert_ptr_equal(p, ptr(f, last));
	vg_drv_grant_set(&f->mem, last, false);
	assert_null(vg_gram_map(&f->ip.gram, dma(f, last, true), 1,
				VG_PROT_READ, &n));
	assert_null(vg_gram_map(&f->ip.gram, dma(f, last, false), 1,
				VG_PROT_READ, &n));
	vg_drv_grant_set(&f->mem, last, true);
	assert_non_null(vg_gram_map(&f->ip.gram, dma(f, last, false), 1,
				    VG_PROT_WRITE, &n));
}

#define T(fn, m)                                                      \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, \
						 (void *)&(m))
#define ALL_TESTS(m)                                                       \
	T(vring_pop_rejects_avail_idx_jump, m),                            \
		T(vring_pop_accepts_avail_idx_full_ring, m),               \
		T(vring_pop_rejects_head_out_of_range, m),                 \
		T(vring_pop_rejects_next_out_of_range, m),                 \
		T(vring_pop_rejects_descriptor_loop, m),                   \
		T(vring_pop_rejects_self_loop, m),                         \
		T(vring_pop_rejects_indirect_loop, m),                     \
		T(vring_pop_rejects_indirect_table_over_size, m),          \
		T(vring_pop_rejects_direct_plus_indirect_over_size, m),    \
		T(vring_pop_rejects_nested_indirect, m),                   \
		T(vring_pop_rejects_indirect_without_feature, m),          \
		T(vring_pop_rejects_indirect_with_next, m),                \
		T(vring_pop_rejects_indirect_len_zero, m),                 \
		T(vring_pop_rejects_indirect_len_unaligned, m),            \
		T(vring_pop_rejects_indirect_next_out_of_range, m),        \
		T(vring_pop_rejects_writable_before_readable, m),          \
		T(vring_pop_rejects_writable_before_readable_indirect, m), \
		T(vring_pop_rejects_zero_length, m),                       \
		T(vring_pop_rejects_total_over_4gib, m),                   \
		T(vring_pop_accepts_total_just_under_4gib, m),             \
		T(vring_pop_rejects_buffer_wrapping_address_space, m),     \
		T(vring_pop_rejects_unmapped_desc_table, m),               \
		T(vring_pop_rejects_unmapped_avail_ring, m),               \
		T(vring_pop_rejects_unmapped_indirect_table, m),           \
		T(vring_pop_rejects_indirect_table_wrapping, m),           \
		T(vring_pop_rejects_unwritable_avail_event, m),            \
		T(vring_pop_recovers_after_enable, m),                     \
		T(vring_strerror_names_every_error, m),                    \
		T(vring_enable_rejects_bad_setup, m),                      \
		T(vring_pop_ignores_queue_not_ready, m),                   \
		T(vring_push_rejects_bad_head, m),                         \
		T(vring_push_fails_on_unmapped_used, m),                   \
		T(vring_pop_accepts_direct_chain, m),                      \
		T(vring_pop_accepts_indirect_chain, m),                    \
		T(vring_pop_ignores_write_flag_on_indirect, m),            \
		T(vring_pop_accepts_direct_then_indirect, m),              \
		T(vring_chain_read_gathers_split_request, m),              \
		T(vring_chain_hold_maps_then_writes, m),                   \
		T(vring_chain_hold_rejects_bad_len, m),                    \
		T(vring_chain_hold_fails_if_any_byte_unwritable, m),       \
		T(vring_pop_accepts_chain_of_queue_size, m),               \
		T(vring_pop_accepts_indirect_table_of_queue_size, m),      \
		T(vring_pop_accepts_max_queue_chain, m),                   \
		T(vring_pop_handles_index_wraparound, m),                  \
		T(vring_push_fills_used_ring, m),                          \
		T(vring_should_notify_follows_no_interrupt, m),            \
		T(vring_should_notify_follows_used_event, m),              \
		T(vring_pop_publishes_avail_event, m),                     \
		T(drv_vq_add_rejects_bad_arguments, m),                    \
		T(drv_vq_add_fails_when_ring_full, m),                     \
		T(drv_vq_add_fails_when_ring_full_indirect, m),            \
		T(drv_vq_add_writes_indirect_table, m),                    \
		T(drv_vq_get_rejects_unexposed_id, m),                     \
		T(drv_vq_kick_prepare_follows_no_notify, m),               \
		T(drv_vq_kick_prepare_follows_avail_event, m),             \
		T(drv_vq_get_updates_used_event, m),                       \
		T(drv_mem_init_rejects_bad_geometry, m),                   \
		T(drv_alloc_never_returns_zero, m),                        \
		T(drv_mem_grants_cover_every_page, m)
#define GRANT_TESTS(m)                                          \
	T(vring_chain_write_fails_on_readonly_grant, m),        \
		T(vring_chain_hold_fails_on_readonly_grant, m), \
		T(vring_chain_read_fails_on_revoked_grant, m),  \
		T(vring_pop_rejects_revoked_ring_grant, m)

int main(void)
{
	const struct CMUnitTest flat[] = {ALL_TESTS(mode_flat)};
	const struct CMUnitTest piece[] = {ALL_TESTS(mode_piece)};
	const struct CMUnitTest grants[] = {ALL_TESTS(mode_grants),
					    GRANT_TESTS(mode_grants)};
	const struct CMUnitTest grants_piece[] = {
		ALL_TESTS(mode_grants_piece), GRANT_TESTS(mode_grants_piece)};
	int failed = 0;

	failed += cmocka_run_group_tests_name("vring flat", flat, NULL, NULL);
	failed += cmocka_run_group_tests_name("vring max_piece=1", piece, NULL,
					      NULL);
	failed +=
		cmocka_run_group_tests_name("vring grants", grants, NULL, NULL);
	failed += cmocka_run_group_tests_name("vring grants max_piece=1",
					      grants_piece, NULL, NULL);
	return failed ? 1 : 0;
}
