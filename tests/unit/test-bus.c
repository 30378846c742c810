// SPDX-License-Identifier: BSD-3-Clause
/*
 * Guest-memory access: backend/transports/gram.c (the map() behind the loop and
 * in-process transports) and backend/virtio/bus.c (the piece loops over map()).
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
#include <vgpio/transport.h>
#include "gram.h"
#include "inproc.h"

#define BASE 0x100000ull
#define SIZE (16u * 4096u)
#define PAGES (SIZE / 4096u)

static int setup(void **state)
{
	struct vg_inproc *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(vg_inproc_init(p, BASE, SIZE), 0);
	for (unsigned int i = 0; i < SIZE; i++)
		p->buf[i] = (uint8_t)(i * 7 + i / 251);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct vg_inproc *p = *state;

	/* Every successful map() was unmapped, failures included. */
	assert_int_equal(p->maps, p->unmaps);
	vg_inproc_dispose(p);
	free(p);
	return 0;
}

/*
 * Grants on: a table of @n entries at the start of RAM (two pages, so
 * entries for every page fit), entry i maps frame of page @frames[i]
 * (or page i when @frames is NULL) read-write.
 */
static struct vg_grant_entry *grants_on(struct vg_inproc *p, uint32_t n)
{
	struct vg_grant_entry *t = (struct vg_grant_entry *)p->buf;

	p->gram.grants = true;
	p->gram.gnttab_addr = BASE;
	p->gram.gnttab_entries = n;
	for (uint32_t i = 0; i < n; i++) {
		t[i].flags = vg_le16_put(VG_GTF_PERMIT_ACCESS);
		t[i].frame = vg_le32_put((uint32_t)(BASE >> 12) + i % PAGES);
	}
	return t;
}

static const uint8_t *ram(struct vg_inproc *p, uint64_t gpa)
{
	return p->buf + (gpa - BASE);
}

/* --- gram ------------------------------------------------------------------ */

static void gram_map_returns_flat_range(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	assert_ptr_equal(vg_gram_map(&p->gram, BASE, SIZE, VG_PROT_READ, &n),
			 p->buf);
	assert_int_equal(n, SIZE);
	assert_ptr_equal(
		vg_gram_map(&p->gram, BASE + 100, 5, VG_PROT_WRITE, &n),
		p->buf + 100);
	assert_int_equal(n, 5);
}

static void gram_map_rejects_outside_ram(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	assert_null(vg_gram_map(&p->gram, BASE - 1, 4, VG_PROT_READ, &n));
	assert_null(vg_gram_map(&p->gram, BASE + SIZE, 1, VG_PROT_READ, &n));
	assert_null(vg_gram_map(&p->gram, 0, 1, VG_PROT_READ, &n));
	assert_null(vg_gram_map(&p->gram, UINT64_MAX, 1, VG_PROT_READ, &n));
	assert_null(vg_gram_map(&p->gram, BASE, 0, VG_PROT_READ, &n));
}

static void gram_map_clamps_len_at_end_of_ram(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	assert_non_null(
		vg_gram_map(&p->gram, BASE + SIZE - 3, 10, VG_PROT_READ, &n));
	assert_int_equal(n, 3);
	assert_non_null(vg_gram_map(&p->gram, BASE + SIZE - 3, SIZE_MAX,
				    VG_PROT_READ, &n));
	assert_int_equal(n, 3);
}

static void gram_map_survives_addresses_near_2_64(void **state)
{
	struct vg_inproc q;
	size_t n = 0;

	(void)state;
	/* RAM whose last byte is the last byte of the address space. */
	assert_int_equal(vg_inproc_init(&q, UINT64_MAX - 4095, 4096), 0);
	assert_ptr_equal(
		vg_gram_map(&q.gram, UINT64_MAX, SIZE_MAX, VG_PROT_READ, &n),
		q.buf + 4095);
	assert_int_equal(n, 1);
	assert_ptr_equal(
		vg_gram_map(&q.gram, UINT64_MAX - 4095, 4096, VG_PROT_READ, &n),
		q.buf);
	assert_int_equal(n, 4096);
	assert_null(vg_gram_map(&q.gram, 0, 1, VG_PROT_READ, &n));
	assert_null(
		vg_gram_map(&q.gram, UINT64_MAX - 4096, 2, VG_PROT_READ, &n));
	vg_inproc_dispose(&q);
}

static void gram_map_obeys_max_piece(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	p->gram.max_piece = 3;
	assert_non_null(vg_gram_map(&p->gram, BASE, 100, VG_PROT_READ, &n));
	assert_int_equal(n, 3);
	assert_non_null(vg_gram_map(&p->gram, BASE, 2, VG_PROT_READ, &n));
	assert_int_equal(n, 2);
	p->gram.max_piece = 1;
	assert_non_null(
		vg_gram_map(&p->gram, BASE + SIZE - 5, 100, VG_PROT_READ, &n));
	assert_int_equal(n, 1);
}

static void gram_map_translates_grant(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	size_t n = 0;

	/* gref 5 maps page 9. */
	t[5].frame = vg_le32_put((uint32_t)(BASE >> 12) + 9);
	assert_ptr_equal(vg_gram_map(&p->gram, VG_GRANT_ADDR(5, 0x123), 16,
				     VG_PROT_WRITE, &n),
			 p->buf + 9 * 4096 + 0x123);
	assert_int_equal(n, 16);
}

static void gram_map_rejects_address_without_grant_flag(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	grants_on(p, 8);
	assert_null(vg_gram_map(&p->gram, BASE + 4096, 4, VG_PROT_READ, &n));
}

static void gram_map_rejects_grant_out_of_table(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	grants_on(p, 8);
	assert_non_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(7, 0), 4,
				    VG_PROT_READ, &n));
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(8, 0), 4, VG_PROT_READ,
				&n));
	assert_null(vg_gram_map(&p->gram, UINT64_MAX, 1, VG_PROT_READ, &n));
	/* Largest gref: must not wrap the table address computation. */
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR((1ull << 51) - 1, 0), 1,
				VG_PROT_READ, &n));
}

static void gram_map_rejects_grant_table_outside_ram(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	grants_on(p, 8);
	/* Entry 1 would straddle the end of RAM, entry 2 lies beyond it. */
	p->gram.gnttab_addr = BASE + SIZE - 12;
	p->gram.gnttab_entries = 4;
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(1, 0), 1, VG_PROT_READ,
				&n));
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(2, 0), 1, VG_PROT_READ,
				&n));
	/* A table address near 2^64 does not wrap into RAM. */
	p->gram.gnttab_addr = UINT64_MAX - 7;
	p->gram.gnttab_entries = 1u << 20;
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(1, 0), 1, VG_PROT_READ,
				&n));
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(0x1000, 0), 1,
				VG_PROT_READ, &n));
	/* 2^64 - 8 + 8 * 0x20001 wraps to exactly BASE, entry 0. */
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(0x20001, 0), 1,
				VG_PROT_READ, &n));
}

static void gram_map_rejects_grant_not_permitted(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	size_t n = 0;

	t[3].flags = vg_le16_put(0);
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(3, 0), 4, VG_PROT_READ,
				&n));
	t[3].flags = vg_le16_put(VG_GTF_READONLY);
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(3, 0), 4, VG_PROT_READ,
				&n));
}

static void gram_map_rejects_write_through_readonly_grant(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	size_t n = 0;

	t[3].flags = vg_le16_put(VG_GTF_PERMIT_ACCESS | VG_GTF_READONLY);
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(3, 0), 4, VG_PROT_WRITE,
				&n));
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(3, 0), 4,
				VG_PROT_READ | VG_PROT_WRITE, &n));
	assert_non_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(3, 0), 4,
				    VG_PROT_READ, &n));
}

static void gram_map_rejects_grant_frame_outside_ram(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	size_t n = 0;

	t[2].frame = vg_le32_put((uint32_t)((BASE + SIZE) >> 12));
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(2, 0), 1, VG_PROT_READ,
				&n));
	t[2].frame = vg_le32_put(UINT32_MAX);
	assert_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(2, 0xfff), 1,
				VG_PROT_READ, &n));
}

static void gram_map_stops_grant_piece_at_page_end(void **state)
{
	struct vg_inproc *p = *state;
	size_t n = 0;

	grants_on(p, 8);
	assert_non_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(4, 4000), 200,
				    VG_PROT_READ, &n));
	assert_int_equal(n, 96);
	assert_non_null(vg_gram_map(&p->gram, VG_GRANT_ADDR(4, 0xfff), SIZE_MAX,
				    VG_PROT_READ, &n));
	assert_int_equal(n, 1);
}

/* --- bus ------------------------------------------------------------------- */

static void bus_read_copies_flat_range(void **state)
{
	struct vg_inproc *p = *state;
	uint8_t b[300];

	assert_int_equal(vg_bus_read(&p->bus, BASE + 4000, b, sizeof(b)), 0);
	assert_memory_equal(b, ram(p, BASE + 4000), sizeof(b));
	assert_int_equal(p->maps, 1);
}

static void bus_write_copies_flat_range(void **state)
{
	struct vg_inproc *p = *state;
	uint8_t b[100];

	memset(b, 0x5a, sizeof(b));
	assert_int_equal(vg_bus_write(&p->bus, BASE + SIZE - 100, b, 100), 0);
	assert_memory_equal(ram(p, BASE + SIZE - 100), b, 100);
}

static void bus_read_rejects_len_crossing_end_of_ram(void **state)
{
	struct vg_inproc *p = *state;
	uint8_t b[8];

	assert_int_equal(vg_bus_read(&p->bus, BASE + SIZE - 4, b, 8), -EFAULT);
	assert_int_equal(vg_bus_write(&p->bus, BASE + SIZE - 4, b, 8), -EFAULT);
	assert_int_equal(vg_bus_read(&p->bus, BASE - 4, b, 8), -EFAULT);
	assert_int_equal(vg_bus_read(&p->bus, BASE + SIZE, b, 1), -EFAULT);
	assert_int_equal(vg_bus_read(&p->bus, BASE + SIZE - 8, b, 8), 0);
}

static void bus_read_rejects_wrap_past_2_64(void **state)
{
	struct vg_inproc q;
	uint8_t b[8];

	(void)state;
	/* RAM at both ends of the address space would make a wrap "work". */
	assert_int_equal(vg_inproc_init(&q, UINT64_MAX - 4095, 4096), 0);
	assert_int_equal(vg_bus_read(&q.bus, UINT64_MAX - 3, b, 4), 0);
	assert_int_equal(vg_bus_read(&q.bus, UINT64_MAX - 3, b, 8), -EFAULT);
	assert_int_equal(vg_bus_write(&q.bus, UINT64_MAX, b, 2), -EFAULT);
	q.gram.max_piece = 1;
	assert_int_equal(vg_bus_read(&q.bus, UINT64_MAX - 3, b, 8), -EFAULT);
	assert_int_equal(q.maps, q.unmaps);
	vg_inproc_dispose(&q);
}

static void bus_read_loops_over_max_piece(void **state)
{
	struct vg_inproc *p = *state;
	uint8_t b[37], w[37];

	p->gram.max_piece = 1;
	assert_int_equal(vg_bus_read(&p->bus, BASE + 10, b, sizeof(b)), 0);
	assert_memory_equal(b, ram(p, BASE + 10), sizeof(b));
	assert_int_equal(p->maps, sizeof(b));
	p->gram.max_piece = 5;
	memset(w, 0xc3, sizeof(w));
	assert_int_equal(vg_bus_write(&p->bus, BASE + 10, w, sizeof(w)), 0);
	assert_memory_equal(ram(p, BASE + 10), w, sizeof(w));
	assert_int_equal(p->maps, sizeof(b) + 8);
}

static void bus_read_gathers_grant_pages(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	uint8_t b[200], want[200];

	/* Consecutive grefs 2 and 3 map pages 11 and 6: not contiguous. */
	t[2].frame = vg_le32_put((uint32_t)(BASE >> 12) + 11);
	t[3].frame = vg_le32_put((uint32_t)(BASE >> 12) + 6);
	memcpy(want, ram(p, BASE + 11 * 4096 + 4000), 96);
	memcpy(want + 96, ram(p, BASE + 6 * 4096), 104);
	assert_int_equal(vg_bus_read(&p->bus, VG_GRANT_ADDR(2, 4000), b, 200),
			 0);
	assert_memory_equal(b, want, 200);
	assert_int_equal(p->maps, 2);
}

static void bus_write_fails_on_readonly_grant(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	uint8_t b[200], before[200];

	memset(b, 0xee, sizeof(b));
	t[3].flags = vg_le16_put(VG_GTF_PERMIT_ACCESS | VG_GTF_READONLY);
	memcpy(before, ram(p, BASE + 3 * 4096), 200);
	assert_int_equal(vg_bus_write(&p->bus, VG_GRANT_ADDR(3, 0), b, 200),
			 -EFAULT);
	assert_memory_equal(ram(p, BASE + 3 * 4096), before, 200);
	/* Crossing from a writable page into the read-only one. */
	assert_int_equal(vg_bus_write(&p->bus, VG_GRANT_ADDR(2, 4000), b, 200),
			 -EFAULT);
	assert_int_equal(vg_bus_read(&p->bus, VG_GRANT_ADDR(3, 0), b, 200), 0);
}

static void bus_read16_rejects_odd_address(void **state)
{
	struct vg_inproc *p = *state;
	uint16_t v = 0x1234;

	assert_int_equal(vg_bus_read16(&p->bus, BASE + 1, &v), -EFAULT);
	assert_int_equal(vg_bus_write16(&p->bus, BASE + 3, v), -EFAULT);
	assert_int_equal(v, 0x1234);
	assert_int_equal(p->maps, 0);
}

static void bus_read16_reads_one_aligned_value(void **state)
{
	struct vg_inproc *p = *state;
	uint16_t v;

	assert_int_equal(vg_bus_write16(&p->bus, BASE + 6, 0xbeef), 0);
	assert_int_equal(ram(p, BASE + 6)[0], 0xef);
	assert_int_equal(ram(p, BASE + 6)[1], 0xbe);
	assert_int_equal(vg_bus_read16(&p->bus, BASE + 6, &v), 0);
	assert_int_equal(v, 0xbeef);
	assert_int_equal(p->maps, 2);
	assert_int_equal(vg_bus_read16(&p->bus, BASE + SIZE - 2, &v), 0);
	assert_int_equal(vg_bus_read16(&p->bus, BASE + SIZE, &v), -EFAULT);
}

static void bus_read16_handles_tiny_pieces(void **state)
{
	struct vg_inproc *p = *state;
	uint16_t v;

	p->gram.max_piece = 1;
	assert_int_equal(vg_bus_write16(&p->bus, BASE + 8, 0xa55a), 0);
	assert_int_equal(vg_bus_read16(&p->bus, BASE + 8, &v), 0);
	assert_int_equal(v, 0xa55a);
	assert_int_equal(ram(p, BASE + 8)[0], 0x5a);
}

static void bus_read16_handles_misaligned_host_mapping(void **state)
{
	struct vg_inproc *p = *state;
	uint16_t v;

	/* Guest-aligned but host-odd: falls back to a byte copy. */
	p->gram.host = p->buf + 1;
	p->gram.size = SIZE - 1;
	assert_int_equal(vg_bus_write16(&p->bus, BASE + 8, 0x1357), 0);
	assert_int_equal(p->buf[9], 0x57);
	assert_int_equal(p->buf[10], 0x13);
	assert_int_equal(vg_bus_read16(&p->bus, BASE + 8, &v), 0);
	assert_int_equal(v, 0x1357);
}

static void bus_write16_fails_on_readonly_grant(void **state)
{
	struct vg_inproc *p = *state;
	struct vg_grant_entry *t = grants_on(p, 8);
	uint16_t v;

	t[4].flags = vg_le16_put(VG_GTF_PERMIT_ACCESS | VG_GTF_READONLY);
	assert_int_equal(vg_bus_write16(&p->bus, VG_GRANT_ADDR(4, 2), 1),
			 -EFAULT);
	assert_int_equal(vg_bus_read16(&p->bus, VG_GRANT_ADDR(4, 2), &v), 0);
	assert_int_equal(vg_bus_write16(&p->bus, VG_GRANT_ADDR(5, 2), 1), 0);
}

static void *null_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		      size_t *contig)
{
	(void)ctx, (void)addr, (void)len, (void)prot, (void)contig;
	return NULL;
}

static void null_irq(void *ctx, int level)
{
	(void)ctx, (void)level;
}

static void bus_ops_valid_requires_callbacks(void **state)
{
	struct vg_transport_ops ops = {
		.name = "t",
		.map = null_map,
		.set_irq = null_irq,
	};

	(void)state;
	assert_true(vg_transport_ops_valid(&ops));
	assert_true(vg_transport_ops_valid(&vg_inproc_ops));
	assert_false(vg_transport_ops_valid(NULL));
	ops.name = NULL;
	assert_false(vg_transport_ops_valid(&ops));
	ops.name = "t";
	ops.map = NULL;
	assert_false(vg_transport_ops_valid(&ops));
	ops.map = null_map;
	ops.set_irq = NULL;
	assert_false(vg_transport_ops_valid(&ops));
}

/* A transport whose map() returns a piece of a scripted, wrong length. */
struct liar {
	uint8_t byte[16];
	size_t contig;
	unsigned long maps, unmaps;
};

static void *liar_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		      size_t *contig)
{
	struct liar *l = ctx;

	(void)addr, (void)len, (void)prot;
	l->maps++;
	*contig = l->contig;
	return l->byte;
}

static void liar_unmap(void *ctx, void *ptr, size_t contig)
{
	struct liar *l = ctx;

	(void)ptr, (void)contig;
	l->unmaps++;
}

static void bus_read_rejects_piece_of_bad_length(void **state)
{
	static const struct vg_transport_ops ops = {
		.name = "liar",
		.map = liar_map,
		.unmap = liar_unmap,
		.set_irq = null_irq,
	};
	struct liar l = {.contig = 0};
	struct vg_bus bus = {&ops, &l};
	uint8_t b[4];

	(void)state;
	assert_int_equal(vg_bus_read(&bus, 0, b, 4), -EFAULT);
	l.contig = 5;
	assert_int_equal(vg_bus_write(&bus, 0, b, 4), -EFAULT);
	assert_int_equal(l.maps, 2);
	assert_int_equal(l.unmaps, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(gram_map_returns_flat_range),
		T(gram_map_rejects_outside_ram),
		T(gram_map_clamps_len_at_end_of_ram),
		T(gram_map_survives_addresses_near_2_64),
		T(gram_map_obeys_max_piece),
		T(gram_map_translates_grant),
		T(gram_map_rejects_address_without_grant_flag),
		T(gram_map_rejects_grant_out_of_table),
		T(gram_map_rejects_grant_table_outside_ram),
		T(gram_map_rejects_grant_not_permitted),
		T(gram_map_rejects_write_through_readonly_grant),
		T(gram_map_rejects_grant_frame_outside_ram),
		T(gram_map_stops_grant_piece_at_page_end),
		T(bus_read_copies_flat_range),
		T(bus_write_copies_flat_range),
		T(bus_read_rejects_len_crossing_end_of_ram),
		T(bus_read_rejects_wrap_past_2_64),
		T(bus_read_loops_over_max_piece),
		T(bus_read_gathers_grant_pages),
		T(bus_write_fails_on_readonly_grant),
		T(bus_read16_rejects_odd_address),
		T(bus_read16_reads_one_aligned_value),
		T(bus_read16_handles_tiny_pieces),
		T(bus_read16_handles_misaligned_host_mapping),
		T(bus_write16_fails_on_readonly_grant),
		T(bus_ops_valid_requires_callbacks),
		T(bus_read_rejects_piece_of_bad_length),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
