// SPDX-License-Identifier: BSD-3-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "devspec.h"

static int parse(const char *s, struct vg_devspec *d, char *err)
{
	return vg_devspec_parse(s, d, err, 200);
}

static void devspec_parse_full_spec(void **state)
{
	struct vg_devspec d;
	char err[200];

	(void)state;
	assert_int_equal(parse("domid=7,base=0x2000200,irq=34,grants=1,"
			       "irqtype=spi",
			       &d, err),
			 0);
	assert_int_equal(d.domid, 7);
	assert_true(d.base == 0x2000200);
	assert_int_equal(d.irq, 34);
	assert_true(d.grants);
	assert_int_equal(d.irq_kind, VG_IRQ_SPI);
	assert_int_equal(parse("irq=5,base=4096,domid=3", &d, err), 0);
	assert_true(d.base == 4096);
	assert_false(d.grants);
	assert_int_equal(d.irq_kind, VG_IRQ_DEFAULT);
}

static void devspec_parse_rejects_bad_input(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"domid=1,base=0x2000000", "missing irq="},
		{"domid=1,irq=5", "missing base="},
		{"base=0,irq=5", "missing domid="},
		{"domid=1,base=0x2000000,irq=5,irq=6", "given twice"},
		{"domid=1,base=0x2000000,irq=5,speed=9", "unknown key"},
		{"domid=1,base=0x2000100,irq=5", "multiple of 0x200"},
		{"domid=0,base=0,irq=5", "domid=0: bad value"},
		{"domid=32752,base=0,irq=5", "bad value"},
		{"domid=-1,base=0,irq=5", "bad value"},
		{"domid=1,base=0x,irq=5", "bad value"},
		{"domid=1,base=0xfffffffffffffe01,irq=5", "bad value"},
		{"domid=1,base=0x10000000000000000,irq=5", "bad value"},
		{"domid=1,base=0,irq=5,grants=yes", "bad value"},
		{"domid=1,base=0,irq=5,irqtype=msi", "bad value"},
		{"domid=1,base=0,irq=16,irqtype=isa", "out of range"},
		{"domid=1,base=0,irq=31,irqtype=spi", "out of range"},
		{"domid=1,base=0,irq=1020", "irq=1020: bad value"},
		{"domid=1,base=0 ,irq=5", "bad value"},
		{"domid", "expected key=value"},
	};
	struct vg_devspec d;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].spec, &d, err), -22);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].spec,
				 err, bad[i].msg);
	}
}

static void devspec_irq_ranges(void **state)
{
	(void)state;
	assert_true(vg_devspec_irq_ok(VG_IRQ_SPI, 32));
	assert_true(vg_devspec_irq_ok(VG_IRQ_SPI, 1019));
	assert_false(vg_devspec_irq_ok(VG_IRQ_SPI, 31));
	assert_true(vg_devspec_irq_ok(VG_IRQ_ISA, 1));
	assert_true(vg_devspec_irq_ok(VG_IRQ_ISA, 15));
	assert_false(vg_devspec_irq_ok(VG_IRQ_ISA, 0));
	assert_false(vg_devspec_irq_ok(VG_IRQ_DEFAULT, 33));
}

/* One key at a time, by the SPEC's rules and messages. */
static void devspec_set_one_key(void **state)
{
	struct vg_devspec d = {0};
	char err[200];

	(void)state;
	assert_int_equal(vg_devspec_set(&d, "base", "0xfe000000", err, 200), 0);
	assert_int_equal(vg_devspec_set(&d, "irq", "3", err, 200), 0);
	assert_true(d.base == 0xfe000000 && d.irq == 3);
	assert_int_equal(vg_devspec_set(&d, "base", "0xfe000100", err, 200),
			 -22);
	assert_non_null(strstr(err, "multiple of 0x200"));
	assert_int_equal(vg_devspec_set(&d, "irq", "03", err, 200), -22);
	assert_string_equal(err, "irq=03: bad value");
	assert_int_equal(vg_devspec_set(&d, "speed", "9", err, 200), -22);
	assert_string_equal(err, "unknown key 'speed'");
	assert_true(d.base == 0xfe000000 && d.irq == 3);
}

/* A window by its place (device remove): domid and base, nothing else. */
static void devspec_parse_at_domid_and_base(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"domid=3", "missing base="},
		{"base=0xfe000000", "missing domid="},
		{"domid=3,base=0xfe000000,irq=3",
		 "unknown key 'irq' (domid, base)"},
		{"domid=3,domid=4,base=0", "given twice"},
		{"domid=0,base=0", "domid=0: bad value"},
		{"domid=3,base=0x100", "multiple of 0x200"},
		{"", "missing domid="},
	};
	unsigned int domid = 99, i;
	uint64_t base = 99;
	char err[200];

	(void)state;
	assert_int_equal(vg_devspec_parse_at("base=0xfe000000,domid=12", &domid,
					     &base, err, sizeof(err)),
			 0);
	assert_int_equal(domid, 12);
	assert_true(base == 0xfe000000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(vg_devspec_parse_at(bad[i].spec, &domid, &base,
						     err, sizeof(err)),
				 -22);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].spec,
				 err, bad[i].msg);
	}
	assert_int_equal(domid, 12);
}

/* docs/xen.md, section 5: which ISA IRQs are refused, warned, free. */
static void devspec_isa_use_hvm_guest(void **state)
{
	static const enum vg_isa_use want[16] = {
		VG_ISA_FIRMWARE, VG_ISA_DEVICE,	  VG_ISA_FIRMWARE,
		VG_ISA_FREE,	 VG_ISA_DEVICE,	  VG_ISA_FIRMWARE,
		VG_ISA_DEVICE,	 VG_ISA_DEVICE,	  VG_ISA_FIRMWARE,
		VG_ISA_FIRMWARE, VG_ISA_FIRMWARE, VG_ISA_FIRMWARE,
		VG_ISA_DEVICE,	 VG_ISA_FREE,	  VG_ISA_DEVICE,
		VG_ISA_DEVICE,
	};
	const char *what = NULL;
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		what = NULL;
		assert_int_equal(vg_devspec_isa_use(i, &what), want[i]);
		assert_non_null(what);
		assert_int_equal(!*what, want[i] == VG_ISA_FREE);
	}
	assert_int_equal(vg_devspec_isa_use(5, &what), VG_ISA_FIRMWARE);
	assert_string_equal(what, "a PCI interrupt link");
	assert_int_equal(vg_devspec_isa_use(16, NULL), VG_ISA_FIRMWARE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(devspec_parse_full_spec),
		cmocka_unit_test(devspec_parse_rejects_bad_input),
		cmocka_unit_test(devspec_irq_ranges),
		cmocka_unit_test(devspec_set_one_key),
		cmocka_unit_test(devspec_parse_at_domid_and_base),
		cmocka_unit_test(devspec_isa_use_hvm_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
