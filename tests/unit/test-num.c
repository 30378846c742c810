// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: the one strict number parser and line references (num.c). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "num.h"

static void num_decimal_is_strict(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(vg_num("0", 0, 100, &v), 0);
	assert_true(v == 0);
	assert_int_equal(vg_num("100", 0, 100, &v), 0);
	assert_true(v == 100);
	assert_int_equal(vg_num("101", 0, 100, &v), -ERANGE);
	assert_int_equal(vg_num("", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num("+1", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num("1 ", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num("1a", 0, 100, &v), -EINVAL);
	assert_int_equal(vg_num("010", 0, 100, &v), -EDOM);
	assert_int_equal(vg_num("00", 0, 100, &v), -EDOM);
	/* Without VG_NUM_HEX, 0x is not a number. */
	assert_int_equal(vg_num("0x10", 0, 100, &v), -EINVAL);
	/* A digit above the bound itself; untouched output on failure. */
	v = 7;
	assert_int_equal(vg_num("9", 0, 5, &v), -ERANGE);
	assert_true(v == 7);
	/* Garbage after an overflow is still garbage. */
	assert_int_equal(vg_num("99999999999999999999x", 0, 5, &v), -EINVAL);
}

static void num_limits_without_wrapping(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(vg_num("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(vg_num("18446744073709551616", 0, UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(vg_num("184467440737095516150", 0, UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(
		vg_num("0xffffffffffffffff", VG_NUM_HEX, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(
		vg_num("0x10000000000000000", VG_NUM_HEX, UINT64_MAX, &v),
		-ERANGE);
}

static void num_hex_when_allowed(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(vg_num("0x1F", VG_NUM_HEX, 100, &v), 0);
	assert_true(v == 31);
	assert_int_equal(vg_num("0X0200", VG_NUM_HEX, 0x1000, &v), 0);
	assert_true(v == 0x200);
	assert_int_equal(vg_num("0x65", VG_NUM_HEX, 100, &v), -ERANGE);
	assert_int_equal(vg_num("0x", VG_NUM_HEX, 100, &v), -EINVAL);
	assert_int_equal(vg_num("0xg", VG_NUM_HEX, 100, &v), -EINVAL);
	/* Decimal keeps its rules under VG_NUM_HEX. */
	assert_int_equal(vg_num("42", VG_NUM_HEX, 100, &v), 0);
	assert_true(v == 42);
	assert_int_equal(vg_num("042", VG_NUM_HEX, 100, &v), -EDOM);
	/* Only the first @len bytes count. */
	assert_int_equal(vg_num_parse("12abc", 2, 0, 100, &v), 0);
	assert_true(v == 12);
}

static void lineref_offset_or_name(void **state)
{
	unsigned int off = 99;

	(void)state;
	assert_true(vg_lineref_offset("0", &off));
	assert_int_equal(off, 0);
	assert_true(vg_lineref_offset("17", &off));
	assert_int_equal(off, 17);
	assert_true(vg_lineref_offset("4294967295", &off));
	assert_int_equal(off, UINT_MAX);
	/* Names: not decimal numbers by the one rule. */
	assert_false(vg_lineref_offset("led", &off));
	assert_false(vg_lineref_offset("017", &off));
	assert_false(vg_lineref_offset("0x11", &off));
	assert_false(vg_lineref_offset("4294967296", &off));
	assert_false(vg_lineref_offset("", &off));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(num_decimal_is_strict),
		cmocka_unit_test(num_limits_without_wrapping),
		cmocka_unit_test(num_hex_when_allowed),
		cmocka_unit_test(lineref_offset_or_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
