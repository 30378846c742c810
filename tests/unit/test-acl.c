// SPDX-License-Identifier: BSD-3-Clause
/*
 * The ACL check on its own: a line table built from fake provider lines,
 * every operation against every allow mask, and the deny-by-default
 * cases. The device's use of it is covered in test-gpio.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/fakeacl.h"
#include "acl.h"

#define NL 8u

/* Line i is allowed exactly the mask i (0..7 covers every combination). */
static int fx_setup(void **state)
{
	struct vg_fakeacl *f = calloc(1, sizeof(*f));
	unsigned int i;

	if (!f || vg_fakeacl_init(f, NL, NULL)) {
		free(f);
		return -1;
	}
	for (i = 0; i < NL; i++)
		f->lines[i].allow = i;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct vg_fakeacl *f = *state;

	vg_fakeacl_dispose(f);
	free(f);
	return 0;
}

static bool allowed(struct vg_fakeacl *f, uint32_t gpio, enum vg_acl_op op)
{
	const struct vg_acl_line *l = vg_acl_check(&f->acl, gpio, op);

	if (l)
		assert_ptr_equal(l, &f->lines[gpio]);
	return l != NULL;
}

static void acl_check_op_matrix(void **state)
{
	struct vg_fakeacl *f = *state;
	unsigned int m;

	for (m = 0; m < NL; m++) {
		bool in = m & VG_ALLOW_IN, out = m & VG_ALLOW_OUT,
		     irq = m & VG_ALLOW_IRQ;

		assert_true(allowed(f, m, VG_OP_QUERY));
		assert_true(allowed(f, m, VG_OP_RELEASE));
		/* IRQ implies input (acl.c). */
		assert_int_equal(allowed(f, m, VG_OP_INPUT), in || irq);
		assert_int_equal(allowed(f, m, VG_OP_OUTPUT), out);
		assert_int_equal(allowed(f, m, VG_OP_IRQ), irq);
	}
	assert_int_equal(f->fp->ncalls,
			 NL); /* the opens; the check calls nothing */
}

static void acl_check_index_out_of_range_denied(void **state)
{
	struct vg_fakeacl *f = *state;

	assert_null(vg_acl_check(&f->acl, NL, VG_OP_QUERY));
	assert_null(vg_acl_check(&f->acl, 0xffff, VG_OP_RELEASE));
	assert_null(vg_acl_check(&f->acl, UINT32_MAX, VG_OP_QUERY));
	assert_null(vg_acl_check(NULL, 0, VG_OP_QUERY));
}

static void acl_check_revoked_denied(void **state)
{
	struct vg_fakeacl *f = *state;

	f->lines[7].revoked = true;
	assert_null(vg_acl_check(&f->acl, 7, VG_OP_QUERY));
	assert_null(vg_acl_check(&f->acl, 7, VG_OP_RELEASE));
	assert_null(vg_acl_check(&f->acl, 7, VG_OP_IRQ));
	assert_non_null(vg_acl_check(&f->acl, 6, VG_OP_QUERY));
	f->lines[7].revoked = false;
	assert_non_null(vg_acl_check(&f->acl, 7, VG_OP_IRQ));
}

static void acl_check_unopened_line_denied(void **state)
{
	struct vg_fakeacl *f = *state;
	struct vg_line *saved = f->lines[3].line;

	f->lines[3].line = NULL;
	assert_null(vg_acl_check(&f->acl, 3, VG_OP_QUERY));
	assert_null(vg_acl_check(&f->acl, 3, VG_OP_RELEASE));
	f->lines[3].line = saved;
	/* A line without a provider is not a line either. */
	f->lines[3].prov.ops = NULL;
	assert_null(vg_acl_check(&f->acl, 3, VG_OP_QUERY));
	f->lines[3].prov = vg_fakeprov_provider(f->fp);
	assert_non_null(vg_acl_check(&f->acl, 3, VG_OP_QUERY));
	/* Nor is an index into a table that is not there. */
	f->acl.lines = NULL;
	assert_null(vg_acl_check(&f->acl, 0, VG_OP_QUERY));
	f->acl.lines = f->lines;
}

static void acl_check_unknown_op_denied(void **state)
{
	struct vg_fakeacl *f = *state;

	assert_null(vg_acl_check(&f->acl, 7, (enum vg_acl_op)42));
	assert_null(vg_acl_check(&f->acl, 7, (enum vg_acl_op) - 1));
}

static void acl_allow_str_words(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(vg_acl_allow_str(VG_ALLOW_ALL, buf, sizeof(buf)),
			    "in,out,irq");
	assert_string_equal(vg_acl_allow_str(VG_ALLOW_IN, buf, sizeof(buf)),
			    "in");
	assert_string_equal(
		vg_acl_allow_str(VG_ALLOW_OUT | VG_ALLOW_IRQ, buf, sizeof(buf)),
		"out,irq");
	assert_string_equal(vg_acl_allow_str(0, buf, sizeof(buf)), "none");
	/* Unknown bits are not words. */
	assert_string_equal(
		vg_acl_allow_str(0x10 | VG_ALLOW_IN, buf, sizeof(buf)), "in");
}

static void acl_allow_str_truncates(void **state)
{
	char buf[5];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	vg_acl_allow_str(VG_ALLOW_ALL, buf, sizeof(buf));
	assert_non_null(memchr(buf, '\0', sizeof(buf)));
	assert_string_equal(buf, "in");
	assert_null(vg_acl_allow_str(VG_ALLOW_ALL, NULL, 0));
}

/* The one safe-state routine: edges off first, then the safe direction. */
static void acl_safe_state_edges_then_direction(void **state)
{
	struct vg_fakeacl *f = *state;
	struct vg_fakeprov *fp = f->fp;
	const struct vg_fake_call *c;
	unsigned int edges = VG_EDGE_BOTH;

	/* Output high, with edge detection recorded as on. */
	assert_int_equal(vg_acl_safe_state(&f->lines[1].prov, f->lines[1].line,
					   VG_SAFE_HIGH, &edges),
			 0);
	assert_int_equal(edges, VG_EDGE_NONE);
	c = vg_fakeprov_last(fp, VG_FAKE_SET_EDGE, 1);
	assert_non_null(c);
	assert_int_equal(c->a, VG_EDGE_NONE);
	assert_int_equal(fp->lines[1].dir, VG_DIR_OUT);
	assert_int_equal(fp->lines[1].out, 1);

	/* Edges known off: no set_edge call; low; then input. */
	vg_fakeprov_clear_log(fp);
	assert_int_equal(vg_acl_safe_state(&f->lines[1].prov, f->lines[1].line,
					   VG_SAFE_LOW, &edges),
			 0);
	assert_int_equal(vg_fakeprov_count(fp, VG_FAKE_SET_EDGE, 1), 0);
	assert_int_equal(fp->lines[1].out, 0);
	assert_int_equal(vg_acl_safe_state(&f->lines[1].prov, f->lines[1].line,
					   VG_SAFE_INPUT, &edges),
			 0);
	assert_int_equal(fp->lines[1].dir, VG_DIR_IN);

	/*
	 * A failed edge-off is reported and its record kept, but the safe
	 * value is still driven: it matters more than a stray event.
	 */
	vg_fakeprov_clear_log(fp);
	edges = VG_EDGE_RISING;
	vg_fakeprov_fail_next(fp, VG_FAKE_SET_EDGE, -EIO);
	assert_int_equal(vg_acl_safe_state(&f->lines[1].prov, f->lines[1].line,
					   VG_SAFE_HIGH, &edges),
			 -EIO);
	assert_int_equal(edges, VG_EDGE_RISING);
	assert_int_equal(vg_fakeprov_count(fp, VG_FAKE_SET_DIRECTION, 1), 1);
	assert_int_equal(fp->lines[1].dir, VG_DIR_OUT);
	assert_int_equal(fp->lines[1].out, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acl_check_op_matrix, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(
			acl_check_index_out_of_range_denied, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(acl_check_revoked_denied,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(acl_check_unopened_line_denied,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(acl_check_unknown_op_denied,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			acl_safe_state_edges_then_direction, fx_setup,
			fx_teardown),
		cmocka_unit_test(acl_allow_str_words),
		cmocka_unit_test(acl_allow_str_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
