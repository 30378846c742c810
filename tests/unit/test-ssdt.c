// SPDX-License-Identifier: BSD-3-Clause
/*
 * The SSDT encoder (backend/transports/xen/ssdt.h): the table header, its
 * length and checksum, and the AML walked term by term: every PkgLength
 * ends exactly where its package does, the names, _HID, _UID and the two
 * resource descriptors. tests/integ/test-ssdt.c has ACPICA disassemble
 * the same tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ssdt.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Decode the PkgLength at *p; *p moves past it. */
static size_t pkglen(const uint8_t **p)
{
	const uint8_t *q = *p;
	unsigned int k = q[0] >> 6, i;
	size_t n;

	if (!k) {
		*p = q + 1;
		return q[0] & 0x3f;
	}
	assert_int_equal(q[0] & 0x30, 0); /* reserved bits */
	n = q[0] & 0x0f;
	for (i = 1; i <= k; i++)
		n |= (size_t)q[i] << (4 + 8 * (i - 1));
	*p = q + 1 + k;
	return n;
}

static void expect(const uint8_t **p, const void *want, size_t n)
{
	assert_memory_equal(*p, want, n);
	*p += n;
}

/* Walk the table @t of @len bytes built from @d; fail on any mismatch. */
static void check_table(const uint8_t *t, size_t len,
			const struct vg_ssdt_dev *d)
{
	const uint8_t *p = t + VG_SSDT_HDR, *scope_end, *dev_end, *buf_end;
	const uint8_t *start;
	char name[5];
	uint8_t sum = 0;
	size_t i;

	/* Header. */
	assert_memory_equal(t, "SSDT", 4);
	assert_int_equal(le32(t + 4), len);
	assert_int_equal(t[8], 2);
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	assert_int_equal(sum, 0);
	assert_memory_equal(t + 10, "VGPIO ", 6);
	assert_memory_equal(t + 16, "VIRTGPIO", 8);

	/* Scope (\_SB) { ... } reaches to the end of the table. */
	expect(&p, "\x10", 1);
	start = p;
	scope_end = start + pkglen(&p);
	assert_ptr_equal(scope_end, t + len);
	expect(&p, "\\_SB_", 5);

	/* Device (VGPn) { ... } fills the scope. */
	expect(&p, "\x5b\x82", 2);
	start = p;
	dev_end = start + pkglen(&p);
	assert_ptr_equal(dev_end, scope_end);
	snprintf(name, sizeof(name), "VGP%X", d->uid);
	expect(&p, name, 4);

	expect(&p, "\x08_HID\x0dLNRO0005\0", 15);
	expect(&p, "\x08_UID", 5);
	if (d->uid == 0)
		expect(&p, "\x00", 1);
	else if (d->uid == 1)
		expect(&p, "\x01", 1);
	else
		expect(&p, (uint8_t[]){0x0a, (uint8_t)d->uid}, 2);

	/* Name (_CRS, Buffer (23) { descriptors }) ends the device. */
	expect(&p, "\x08_CRS\x11", 6);
	start = p;
	buf_end = start + pkglen(&p);
	assert_ptr_equal(buf_end, dev_end);
	expect(&p, "\x0a\x17", 2); /* BufferSize: 23 */
	assert_int_equal(buf_end - p, 23);
	/* Memory32Fixed: tag, length 9, read-write, base, size. */
	expect(&p, "\x86\x09\x00\x01", 4);
	assert_int_equal(le32(p), d->base);
	assert_int_equal(le32(p + 4), d->size);
	p += 8;
	/* Extended Interrupt: consumer, level, active-high, exclusive. */
	expect(&p, "\x89\x06\x00\x01\x01", 5);
	assert_int_equal(le32(p), d->irq);
	p += 4;
	expect(&p, "\x79\x00", 2);
	assert_ptr_equal(p, t + len);
}

static void ssdt_build_tested_route(void **state)
{
	const struct vg_ssdt_dev d = {
		.base = 0xfe000000, .size = 0x200, .irq = 3, .uid = 0};
	uint8_t t[VG_SSDT_MAX];
	int n;

	(void)state;
	n = vg_ssdt_build(&d, t, sizeof(t));
	assert_true(n > (int)VG_SSDT_HDR);
	check_table(t, (size_t)n, &d);
}

static void ssdt_build_other_values(void **state)
{
	static const struct vg_ssdt_dev devs[] = {
		{.base = 0, .size = 0x200, .irq = 1, .uid = 1},
		{.base = 0xfffffe00, .size = 0x200, .irq = 15, .uid = 7},
		{.base = 0x10000, .size = 0x1000, .irq = 255, .uid = 15},
	};
	uint8_t t[VG_SSDT_MAX];
	unsigned int i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		n = vg_ssdt_build(&devs[i], t, sizeof(t));
		assert_true(n > (int)VG_SSDT_HDR);
		check_table(t, (size_t)n, &devs[i]);
	}
}

static void ssdt_build_rejects_bad_input(void **state)
{
	static const struct vg_ssdt_dev bad[] = {
		{.base = 0xfe000000, .size = 0, .irq = 3},
		{.base = 0xfffffe00, .size = 0x201, .irq = 3},
		{.base = 0x100000000ull, .size = 0x200, .irq = 3},
		{.base = 0xfe000000, .size = 0x200, .irq = 0},
		{.base = 0xfe000000, .size = 0x200, .irq = 256},
		{.base = 0xfe000000, .size = 0x200, .irq = 3, .uid = 16},
	};
	uint8_t t[VG_SSDT_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vg_ssdt_build(&bad[i], t, sizeof(t)), -EINVAL);
}

static void ssdt_build_too_small_buffer(void **state)
{
	const struct vg_ssdt_dev d = {
		.base = 0xfe000000, .size = 0x200, .irq = 3};
	uint8_t t[VG_SSDT_MAX];
	int n, cap;

	(void)state;
	n = vg_ssdt_build(&d, t, sizeof(t));
	assert_true(n > 0);
	for (cap = 0; cap < n; cap++)
		assert_int_equal(vg_ssdt_build(&d, t, (size_t)cap), -ENOSPC);
	assert_int_equal(vg_ssdt_build(&d, t, (size_t)n), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ssdt_build_tested_route),
		cmocka_unit_test(ssdt_build_other_values),
		cmocka_unit_test(ssdt_build_rejects_bad_input),
		cmocka_unit_test(ssdt_build_too_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
