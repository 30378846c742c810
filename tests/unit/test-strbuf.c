// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: the one growable buffer (backend/base/strbuf.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "strbuf.h"

static void strbuf_grows_and_terminates(void **state)
{
	struct vg_strbuf b = {0};
	unsigned int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		vg_strbuf_addf(&b, "%u,", i % 10);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 2000);
	assert_int_equal(strlen(b.s), 2000);
	assert_memory_equal(b.s, "0,1,2,", 6);
	vg_strbuf_addn(&b, "xyz", 2);
	assert_string_equal(b.s + 2000, "xy");
	vg_strbuf_reset(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
}

static void strbuf_max_refuses_whole_append_and_sticks(void **state)
{
	struct vg_strbuf b = {.max = 8};

	(void)state;
	vg_strbuf_add(&b, "12345");
	vg_strbuf_add(&b, "678");
	assert_int_equal(b.rc, 0);
	assert_string_equal(b.s, "12345678");
	/* One byte over: nothing of it is added, and the error sticks. */
	vg_strbuf_add(&b, "9");
	assert_int_equal(b.rc, -ENOBUFS);
	assert_string_equal(b.s, "12345678");
	vg_strbuf_consume(&b, 8);
	vg_strbuf_add(&b, "a");
	assert_int_equal(b.len, 0);
	/* A huge length cannot wrap the check. */
	vg_strbuf_reset(&b);
	assert_int_equal(b.max, 8);
	vg_strbuf_addn(&b, "x", SIZE_MAX);
	assert_int_equal(b.rc, -ENOBUFS);
	vg_strbuf_reset(&b);
}

static void strbuf_consume_drops_the_front(void **state)
{
	struct vg_strbuf b = {0};

	(void)state;
	vg_strbuf_add(&b, "hello world");
	vg_strbuf_consume(&b, 6);
	assert_string_equal(b.s, "world");
	assert_int_equal(b.len, 5);
	vg_strbuf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.s, "");
	vg_strbuf_consume(&b, 1);
	vg_strbuf_reset(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strbuf_grows_and_terminates),
		cmocka_unit_test(strbuf_max_refuses_whole_append_and_sticks),
		cmocka_unit_test(strbuf_consume_drops_the_front),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
