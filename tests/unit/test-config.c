// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: the policy file parser (backend/policy/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tmpdir.h"

static struct vg_config *parse_ok(const char *text, size_t len)
{
	struct vg_config *cfg = NULL;
	char err[256] = "";
	int rc = vg_config_parse(text, len, "t", &cfg, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	return cfg;
}

static void expect_err_len(const char *text, size_t len, const char *want)
{
	struct vg_config *cfg = NULL;
	char err[256] = "";

	assert_int_equal(
		vg_config_parse(text, len, "t", &cfg, err, sizeof(err)),
		-EINVAL);
	assert_null(cfg);
	if (strcmp(err, want))
		print_error("input: %.*s\n", (int)(len > 200 ? 200 : len),
			    text);
	assert_string_equal(err, want);
}

static void expect_err(const char *text, const char *want)
{
	expect_err_len(text, strlen(text), want);
}

static void check_line(const struct vg_config_line *l, const char *chip,
		       const char *line, unsigned int allow, enum vg_safe safe)
{
	assert_string_equal(l->chip, chip);
	assert_string_equal(l->line, line);
	assert_int_equal(l->allow, allow);
	assert_int_equal(l->safe, safe);
	assert_int_equal(l->bias, VG_BIAS_AS_IS);
	assert_int_equal(l->drive, VG_DRIVE_PUSH_PULL);
	assert_false(l->active_low);
	assert_int_equal(l->debounce_us, 0);
	assert_string_equal(l->name, "");
}

static void check_demo(const struct vg_config *cfg)
{
	const char *names[] = {"led-red", "led-green", "led-blue", "button",
			       "button-press"};
	const struct vg_config_sim *s;
	const struct vg_config_domain *d;
	unsigned int i;

	assert_int_equal(cfg->nsims, 1);
	s = &cfg->sims[0];
	assert_string_equal(s->name, "demo-board");
	assert_int_equal(s->nlines, 5);
	assert_non_null(s->names);
	for (i = 0; i < 5; i++)
		assert_string_equal(s->names[i], names[i]);
	assert_int_equal(s->nwires, 1);
	assert_string_equal(s->wires[0].out_chip, "demo-board");
	assert_string_equal(s->wires[0].out_line, "button-press");
	assert_string_equal(s->wires[0].in_chip, "demo-board");
	assert_string_equal(s->wires[0].in_line, "button");
	assert_int_equal(s->npulls, 1);
	assert_string_equal(s->pulls[0].line, "button");
	assert_int_equal(s->pulls[0].value, 0);

	assert_int_equal(cfg->ndomains, 1);
	d = vg_config_domain(cfg, "demo");
	assert_ptr_equal(d, &cfg->domains[0]);
	assert_null(vg_config_domain(cfg, "dem"));
	assert_int_equal(d->nlines, 5);
	for (i = 0; i < 3; i++)
		check_line(&d->lines[i], "demo-board", names[i], VG_ALLOW_OUT,
			   VG_SAFE_LOW);
	check_line(&d->lines[3], "demo-board", "button",
		   VG_ALLOW_IN | VG_ALLOW_IRQ, VG_SAFE_INPUT);
	/*
	 * button-press rests as an input, so its wire does not hold the
	 * button low and the button can also be pressed from outside.
	 */
	check_line(&d->lines[4], "demo-board", "button-press", VG_ALLOW_OUT,
		   VG_SAFE_INPUT);
}

static void config_parse_demo_expected_structure(void **state)
{
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(vg_config_demo, strlen(vg_config_demo));
	check_demo(cfg);
	vg_config_free(cfg);
}

static void config_parse_crlf_same_as_lf(void **state)
{
	const char *s;
	char *crlf = malloc(2 * strlen(vg_config_demo) + 1), *o = crlf;
	struct vg_config *cfg;

	(void)state;
	assert_non_null(crlf);
	for (s = vg_config_demo; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	cfg = parse_ok(crlf, strlen(crlf));
	check_demo(cfg);
	vg_config_free(cfg);
	free(crlf);
}

static void config_parse_not_nul_terminated(void **state)
{
	const char text[] = "[sim a]\nlines = 12";
	char buf[sizeof(text) + 1];
	struct vg_config *cfg;

	(void)state;
	/* "lines = 1" followed by a byte outside the buffer. */
	memcpy(buf, text, sizeof(text));
	cfg = parse_ok(buf, sizeof(text) - 2);
	assert_int_equal(cfg->sims[0].nlines, 1);
	vg_config_free(cfg);
}

static void config_parse_whitespace_and_comments(void **state)
{
	const char text[] =
		"# leading comment\n"
		"\n"
		"   \t \n"
		"  [ sim\tboard ]   # trailing comment\n"
		"\tlines=3#no space\n"
		"names =x - z\n"
		"wire=x->z\n"
		"  # indented comment, then a key with odd spacing\n"
		"pull   =   1     up\n"
		"[domain\tvm1]\n"
		"lines=board x 1,board z   ,   gpiochip0 7\n"
		"line 3=allow = out , in safe=high\n"
		"line z = name=Z bias=pull-down drive=open-drain "
		"active-low=yes debounce=4294967295\n"
		"# no newline at the end";
	const struct vg_config_domain *d;
	const struct vg_config_line *l;
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	assert_int_equal(cfg->nsims, 1);
	assert_int_equal(cfg->sims[0].nlines, 3);
	assert_string_equal(cfg->sims[0].names[0], "x");
	assert_null(cfg->sims[0].names[1]);
	assert_string_equal(cfg->sims[0].names[2], "z");
	assert_string_equal(cfg->sims[0].wires[0].out_line, "x");
	assert_string_equal(cfg->sims[0].wires[0].in_line, "z");
	assert_string_equal(cfg->sims[0].pulls[0].line, "1");
	assert_int_equal(cfg->sims[0].pulls[0].value, 1);

	d = vg_config_domain(cfg, "vm1");
	assert_non_null(d);
	assert_int_equal(d->nlines, 4);
	check_line(&d->lines[0], "board", "x", VG_ALLOW_ALL, VG_SAFE_INPUT);
	check_line(&d->lines[1], "board", "1", VG_ALLOW_ALL, VG_SAFE_INPUT);
	check_line(&d->lines[3], "gpiochip0", "7", VG_ALLOW_IN | VG_ALLOW_OUT,
		   VG_SAFE_HIGH);
	l = &d->lines[2];
	assert_string_equal(l->chip, "board");
	assert_string_equal(l->line, "z");
	assert_string_equal(l->name, "Z");
	assert_int_equal(l->allow, VG_ALLOW_ALL);
	assert_int_equal(l->bias, VG_BIAS_PULL_DOWN);
	assert_int_equal(l->drive, VG_DRIVE_OPEN_DRAIN);
	assert_true(l->active_low);
	assert_int_equal(l->debounce_us, 4294967295u);
	vg_config_free(cfg);
}

static void config_parse_sections_in_any_order(void **state)
{
	const char text[] = "[domain d]\n"
			    "lines = b out, a in\n"
			    "[sim a]\n"
			    "lines = 2\n"
			    "wire = b:out -> 1\n"
			    "names = - in\n"
			    "[sim b]\n"
			    "lines = 1\n"
			    "names = out\n";
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	assert_int_equal(cfg->nsims, 2);
	assert_string_equal(cfg->sims[0].wires[0].out_chip, "b");
	assert_string_equal(cfg->sims[0].wires[0].out_line, "out");
	assert_string_equal(cfg->sims[0].wires[0].in_chip, "a");
	assert_string_equal(cfg->sims[0].wires[0].in_line, "1");
	assert_int_equal(cfg->domains[0].nlines, 2);
	vg_config_free(cfg);
}

static void config_parse_host_chips_kept_as_written(void **state)
{
	const char text[] = "[domain a]\n"
			    "lines = /dev/gpiochip1 0 3 led, pinctrl-bcm2711 "
			    "GPIO17\n"
			    "[domain b]\n"
			    "lines = /dev/gpiochip1 1 4\n";
	const struct vg_config_domain *d;
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	d = vg_config_domain(cfg, "a");
	assert_int_equal(d->nlines, 4);
	assert_string_equal(d->lines[2].chip, "/dev/gpiochip1");
	assert_string_equal(d->lines[2].line, "led");
	assert_string_equal(d->lines[3].chip, "pinctrl-bcm2711");
	assert_string_equal(d->lines[3].line, "GPIO17");
	assert_int_equal(vg_config_domain(cfg, "b")->nlines, 2);
	vg_config_free(cfg);
}

/* A domain's Xen device window: its values, defaults, and no cross-check. */
static void config_parse_xen_device(void **state)
{
	const char text[] = "[domain a]\n"
			    "lines = c 1\n"
			    "xen-device = base=0xfe000000 irq=3\n"
			    "line 0 = allow=out\n"
			    "[domain b]\n"
			    "lines = c 2\n"
			    "xen-device = grants=1 irqtype=spi irq=33 "
			    "base=4261412864\n"
			    "[domain c]\n"
			    "lines = c 3\n"
			    "xen-device = base=0x2000000 irq=4 irqtype=isa "
			    "grants=0 # a serial port's IRQ: allowed\n"
			    "[domain d]\n"
			    "lines = c 4\n";
	const struct vg_config_domain *d;
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	d = vg_config_domain(cfg, "a");
	assert_true(d->has_xen_device);
	assert_int_equal(d->xen_device.domid, 0);
	assert_true(d->xen_device.base == 0xfe000000ULL);
	assert_int_equal(d->xen_device.irq, 3);
	assert_int_equal(d->xen_device.irq_kind, VG_IRQ_DEFAULT);
	assert_false(d->xen_device.grants);
	assert_int_equal(d->lines[0].allow, VG_ALLOW_OUT);
	/* The same base in another domain: another guest's window. */
	d = vg_config_domain(cfg, "b");
	assert_true(d->has_xen_device);
	assert_true(d->xen_device.base == 0xfe000000ULL);
	assert_int_equal(d->xen_device.irq, 33);
	assert_int_equal(d->xen_device.irq_kind, VG_IRQ_SPI);
	assert_true(d->xen_device.grants);
	d = vg_config_domain(cfg, "c");
	assert_int_equal(d->xen_device.irq_kind, VG_IRQ_ISA);
	assert_int_equal(d->xen_device.irq, 4);
	assert_false(vg_config_domain(cfg, "d")->has_xen_device);
	vg_config_free(cfg);
}

static void config_xen_device_check(void **state)
{
	struct vg_devspec x = {.base = 0x1000, .irq = 3};
	char err[160];

	(void)state;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)), 0);
	x.domid = 7;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "domid=7"));
	x.domid = 0;
	x.base = 0x1100;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "base=0x1100"));
	x.base = 0x1000;
	x.irq = 9;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "the ACPI SCI"));
	x.irq = 40;
	x.irq_kind = VG_IRQ_ISA;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)),
			 -EINVAL);
	x.irq_kind = VG_IRQ_SPI;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)), 0);
	x.irq_kind = (enum vg_irq_kind)7;
	assert_int_equal(vg_config_xen_device_check(&x, err, sizeof(err)),
			 -EINVAL);
}

static void config_parse_long_lines(void **state)
{
	size_t cap = 64 * 1024, n;
	char *text = malloc(cap);
	struct vg_config *cfg;
	unsigned int i;

	(void)state;
	assert_non_null(text);
	/* 512 names and a 512-line domain, each on one line. */
	n = (size_t)snprintf(text, cap, "[sim big]\nlines = 512\nnames =");
	for (i = 0; i < 512; i++)
		n += (size_t)snprintf(text + n, cap - n, " line-%u", i);
	n += (size_t)snprintf(text + n, cap - n, "\n[domain d]\nlines = big");
	for (i = 0; i < 512; i++)
		n += (size_t)snprintf(text + n, cap - n, " %u", 511 - i);
	n += (size_t)snprintf(text + n, cap - n, "\nline 504 = allow=in\n");
	cfg = parse_ok(text, n);
	assert_int_equal(cfg->domains[0].nlines, 512);
	assert_string_equal(cfg->sims[0].names[511], "line-511");
	assert_string_equal(cfg->domains[0].lines[504].line, "7");
	assert_int_equal(cfg->domains[0].lines[504].allow, VG_ALLOW_IN);
	vg_config_free(cfg);

	/* Offset 7 is line-7, but a REF matches the token as written. */
	n -= strlen("504 = allow=in\n");
	n += (size_t)snprintf(text + n, cap - n, "line-7 = allow=in\n");
	expect_err_len(text, n,
		       "t:6:6: no line 'line-7' in this domain's lines");

	/* One very long junk token. */
	n = (size_t)snprintf(text, cap, "[sim a]\nlines = ");
	memset(text + n, '9', 40000);
	expect_err_len(
		text, n + 40000,
		"t:2:9: number '9999999999999999999999999999999999999999' "
		"out of range (1..512)");
	free(text);
}

static void config_parse_limits_rejected(void **state)
{
	size_t cap = 16 * 65537, n, col;
	char *text = malloc(cap), want[64];
	unsigned int i;

	(void)state;
	assert_non_null(text);
	/* 65535 lines is virtio-gpio's ngpio limit; one more is an error. */
	n = (size_t)snprintf(text, cap, "[domain d]\nlines = c");
	for (i = 0; i < 65535; i++)
		n += (size_t)snprintf(text + n, cap - n, " %u", i);
	col = n - strlen("[domain d]\n") + 2;
	n += (size_t)snprintf(text + n, cap - n, " 65535\n");
	snprintf(want, sizeof(want), "t:2:%zu: more than 65535 lines", col);
	expect_err_len(text, n, want);
	free(text);

	/* The size check comes before any byte is read. */
	text = calloc(1, (16u << 20) + 1);
	assert_non_null(text);
	expect_err_len(text, (16u << 20) + 1,
		       "t:1:1: larger than 16777216 bytes");
	free(text);
}

static void config_parse_line_refs(void **state)
{
	const char text[] = "[domain d]\n"
			    "lines = c1 a b, c2 a 7\n"
			    "line b = safe=low\n"
			    "line 3 = allow=irq\n"
			    "line 0 = name=first\n";
	struct vg_config *cfg;
	const struct vg_config_line *l;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	l = cfg->domains[0].lines;
	assert_string_equal(l[0].name, "first");
	assert_int_equal(l[1].safe, VG_SAFE_LOW);
	assert_int_equal(l[3].allow, VG_ALLOW_IRQ);
	assert_int_equal(l[2].allow, VG_ALLOW_ALL);
	vg_config_free(cfg);

	expect_err("[domain d]\nlines = c1 a b, c2 a 7\nline a = safe=low\n",
		   "t:3:6: line 'a' is ambiguous, use its guest index");
	expect_err("[domain d]\nlines = c1 a b, c2 a 7\nline 7 = safe=low\n",
		   "t:3:6: number '7' out of range (0..3)");
}

struct err_case {
	const char *text;
	const char *want;
};

/* Every error class, with the exact position and message. */
static const struct err_case err_cases[] = {
	/* sections */
	{"[foo x]\n",
	 "t:1:2: unknown section type 'foo' (expected sim or domain)"},
	{"[sim a]\nlines = 1\n[sim a]\nlines = 1\n",
	 "t:3:6: duplicate section [sim a]"},
	{"[domain a]\nlines = c 1\n[domain a]\n",
	 "t:3:9: duplicate section [domain a]"},
	{"[sim a b]\n", "t:1:8: expected ']', got 'b'"},
	{"[sim a\n", "t:1:7: expected ']' at end of line"},
	{"[sim]\n", "t:1:5: expected a section name, got ']'"},
	{"[sim a] x\n", "t:1:9: unexpected 'x' after ']'"},
	{"[sim a]\n", "t:1:1: [sim a] has no 'lines'"},
	{"[sim a]\n[sim b]\nlines = 1\n", "t:1:1: [sim a] has no 'lines'"},
	{"[sim a:b]\n", "t:1:6: sim chip name 'a:b' contains ':'"},
	{"[sim "
	 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc]\n",
	 "t:1:6: chip name 'cccccccccccccccccccccccccccccccccccccccc...' "
	 "longer than 63 characters"},
	{"[domain "
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd]\n",
	 "t:1:9: domain name 'dddddddddddddddddddddddddddddddddddddddd...' "
	 "longer than 63 characters"},
	/* keys */
	{"lines = 1\n", "t:1:1: key 'lines' outside a section"},
	{"= 1\n", "t:1:1: expected a key or a [section]"},
	{"[sim a]\nlines = 1\ncolour = red\n",
	 "t:3:1: unknown key 'colour' in [sim]"},
	{"[domain a]\nlines = c 1\nwire = 0 -> 1\n",
	 "t:3:1: unknown key 'wire' in [domain]"},
	{"[sim a]\nlines = 1\nlines = 1\n", "t:3:1: duplicate key 'lines'"},
	{"[sim a]\nlines = 2\nnames = x y\nnames = x y\n",
	 "t:4:1: duplicate key 'names'"},
	{"[sim a]\nnames = x\n", "t:2:1: 'names' before 'lines'"},
	{"[domain a]\nline 0 = allow=in\n", "t:2:1: 'line' before 'lines'"},
	{"[sim a]\nlines 5\n", "t:2:7: expected '=', got '5'"},
	{"[sim a]\nlines =\n", "t:2:8: expected a line count at end of line"},
	{"[sim a]\nlines = 1\nnames x\n", "t:3:7: expected '=', got 'x'"},
	{"[domain d]\nlines c 1\n", "t:2:7: expected '=', got 'c'"},
	/* trailing garbage */
	{"[sim a]\nlines = 1 2\n", "t:2:11: unexpected '2'"},
	{"[sim a]\nlines = 2\nwire = 0 -> 1 -> 0\n", "t:3:15: unexpected '->'"},
	{"[sim a]\nlines = 2\npull = 0 up now\n", "t:3:13: unexpected 'now'"},
	/* numbers */
	{"[sim a]\nlines = 0\n", "t:2:9: number '0' out of range (1..512)"},
	{"[sim a]\nlines = 513\n", "t:2:9: number '513' out of range (1..512)"},
	{"[sim a]\nlines = 5x\n", "t:2:9: '5x' is not a number"},
	{"[sim a]\nlines = -1\n", "t:2:9: '-1' is not a number"},
	{"[sim a]\nlines = 05\n", "t:2:9: number '05' has a leading zero"},
	{"[sim a]\nlines = 18446744073709551617\n",
	 "t:2:9: number '18446744073709551617' out of range (1..512)"},
	{"[domain a]\nlines = c 1\nline 0 = debounce=4294967296\n",
	 "t:3:19: number '4294967296' out of range (0..4294967295)"},
	/* sim names, wires, pulls */
	{"[sim a]\nlines = 3\nnames = x y\n", "t:3:1: 2 names for 3 lines"},
	{"[sim a]\nlines = 1\nnames = x y\n",
	 "t:3:11: more names than lines (1)"},
	{"[sim a]\nlines = 3\nnames = x - x\n",
	 "t:3:13: duplicate line name 'x'"},
	{"[sim a]\nlines = 2\nnames = x , y\n",
	 "t:3:11: expected a line name, got ','"},
	{"[sim a]\nlines = 2\nnames = x 1\n",
	 "t:3:11: line name '1' would read as an offset"},
	{"[sim a]\nlines = 1\nnames = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 "t:3:9: line name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' longer than 31 "
	 "characters"},
	{"[sim a]\nlines = 1\nnames = l\xc3\xa9\n",
	 "t:3:10: invalid byte 0xc3 (only printable ASCII outside comments)"},
	{"[sim a]\nlines = 1\nnames = a\x01\n",
	 "t:3:10: invalid byte 0x01 (only printable ASCII outside comments)"},
	{"[sim a]\nlines = 2\nwire = 0 1\n", "t:3:10: expected '->', got '1'"},
	{"[sim a]\nlines = 2\nwire = 0 -> b:1\n", "t:3:13: no sim chip 'b'"},
	{"[sim a]\nlines = 2\nwire = b:0 -> 1\n", "t:3:8: no sim chip 'b'"},
	{"[sim a]\nlines = 2\nwire = :0 -> 1\n",
	 "t:3:8: expected CHIP:LINE, got ':0'"},
	{"[sim a]\nlines = 2\nwire = 2 -> 1\n", "t:3:8: no line '2' on sim a"},
	{"[sim a]\nlines = 2\nwire = 1 -> 01\n",
	 "t:3:13: no line '01' on sim a"},
	{"[sim a]\nlines = 2\nwire = 1 -> a:1\n",
	 "t:3:13: line '1' wired to itself"},
	{"[sim a]\nlines = 3\nwire = 0 -> 2\nwire = 1 -> 2\n",
	 "t:4:13: '2' already has a driver"},
	{"[sim a]\nlines = 2\npull = 0 sideways\n",
	 "t:3:10: unknown pull 'sideways' (expected down, up)"},
	{"[sim a]\nlines = 2\npull = 5 up\n", "t:3:8: no line '5' on sim a"},
	{"[sim a]\nlines = 2\nnames = x y\npull = x up\npull = 0 down\n",
	 "t:5:8: pull for '0' given twice"},
	/* domains */
	{"[domain d]\nlines =\n", "t:2:8: empty line set"},
	{"[domain d]\nlines = chip\n", "t:2:9: chip 'chip' has no lines"},
	{"[domain d]\nlines = c 1,\n",
	 "t:2:13: expected a chip at end of line"},
	{"[domain d]\nlines = c 1, , c 2\n",
	 "t:2:14: expected a chip, got ','"},
	{"[domain d]\nlines = gpiochip0 1 2 1\n",
	 "t:2:23: host line gpiochip0 1 listed twice"},
	{"[domain d]\nlines = c 1 2 2 1\n",
	 "t:2:15: host line c 2 listed twice"},
	{"[sim b]\nlines = 2\nnames = x y\n[domain d]\nlines = b x 0\n",
	 "t:5:13: host line b 0 listed twice"},
	{"[domain d]\nlines = c 1\n[domain e]\nlines = c 2 1\n",
	 "t:4:13: host line c 1 already in domain d"},
	{"[sim a]\nlines = 2\n[domain d]\nlines = a 2\n",
	 "t:4:11: no line '2' on sim a"},
	{"[domain d]\nlines = c 1 2\nline 0 = name=a\nline 1 = name=a\n",
	 "t:4:15: duplicate guest name 'a'"},
	{"[sim p]\nlines=1\nnames=led\n[sim q]\nlines=1\nnames=led\n"
	 "[domain d]\nlines = p led, q led\n",
	 "t:8:18: duplicate guest name 'led'"},
	{"[sim p]\nlines=2\nnames=led x\n[domain d]\nlines = p 1 0\n"
	 "line 0 = name=led\n",
	 "t:6:15: duplicate guest name 'led'"},
	{"[domain d]\nlines = c 1\nline 0 = "
	 "name=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 "t:3:15: name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' longer than 31 "
	 "characters"},
	{"[domain d]\nlines = c xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 "t:2:11: line 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' longer than 31 "
	 "characters"},
	{"[domain d]\nlines = c 1\nline x = safe=low\n",
	 "t:3:6: no line 'x' in this domain's lines"},
	{"[domain d]\nlines = c x\nline 0 = safe=low\nline x = safe=low\n",
	 "t:4:6: options for line 0 given twice"},
	{"[domain d]\nlines = c 1\nline 0 =\n", "t:3:9: expected an option"},
	{"[domain d]\nlines = c 1\nline 0 = , safe=low\n",
	 "t:3:10: expected an option, got ','"},
	{"[domain d]\nlines = c 1\nline 0 = colour=red\n",
	 "t:3:10: unknown option 'colour'"},
	{"[domain d]\nlines = c 1\nline 0 = safe=low safe=high\n",
	 "t:3:19: duplicate option 'safe'"},
	{"[domain d]\nlines = c 1\nline 0 = safe=medium\n",
	 "t:3:15: unknown safe state 'medium' (expected input, low, high)"},
	{"[domain d]\nlines = c 1\nline 0 = safe=\n",
	 "t:3:15: expected a value at end of line"},
	{"[domain d]\nlines = c 1\nline 0 = allow=foo\n",
	 "t:3:16: unknown allow value 'foo' (expected in, out, irq)"},
	{"[domain d]\nlines = c 1\nline 0 = allow=in,in\n",
	 "t:3:19: 'in' listed twice"},
	{"[domain d]\nlines = c 1\nline 0 = allow=in,\n",
	 "t:3:19: expected in, out or irq at end of line"},
	{"[domain d]\nlines = c 1\nline 0 = safe\n",
	 "t:3:14: expected '=' at end of line"},
	{"[domain d]\nlines = c 1\nline 0 = active-low=maybe\n",
	 "t:3:21: unknown active-low value 'maybe' (expected no, yes)"},
	{"[domain d]\nlines = c 1\nline 0 = bias=up\n",
	 "t:3:15: unknown bias 'up' (expected as-is, disabled, pull-up, "
	 "pull-down)"},
	{"[domain d]\nlines = c 1\nline 0 = drive=weak\n",
	 "t:3:16: unknown drive 'weak' (expected push-pull, open-drain, "
	 "open-source)"},
	/* a domain's xen-device */
	{"[domain d]\nxen-device = base=0x1000 irq=3\n",
	 "t:2:1: 'xen-device' before 'lines'"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=3\n"
	 "xen-device = base=0x1000 irq=3\n",
	 "t:4:1: duplicate key 'xen-device'"},
	{"[domain d]\nlines = c 1\nxen-device =\n",
	 "t:3:13: xen-device needs base= and irq="},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000\n",
	 "t:3:25: xen-device needs irq="},
	{"[domain d]\nlines = c 1\nxen-device = irq=3\n",
	 "t:3:19: xen-device needs base="},
	{"[domain d]\nlines = c 1\nxen-device base=0x1000 irq=3\n",
	 "t:3:12: expected '=', got 'base'"},
	{"[domain d]\nlines = c 1\nxen-device = base 0x1000 irq=3\n",
	 "t:3:19: expected '=', got '0x1000'"},
	{"[domain d]\nlines = c 1\nxen-device = , base=0x1000 irq=3\n",
	 "t:3:14: expected a xen-device option, got ','"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=3 "
	 "colour=red\n",
	 "t:3:32: unknown xen-device option 'colour' (base, irq, irqtype, "
	 "grants)"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 base=0x1200 "
	 "irq=3\n",
	 "t:3:26: duplicate xen-device option 'base'"},
	{"[domain d]\nlines = c 1\nxen-device = domid=3 base=0x1000 irq=3\n",
	 "t:3:20: no domid here: the window serves every domain named d"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1001 irq=3\n",
	 "t:3:19: base=0x1001: must be a multiple of 0x200 (the device "
	 "window)"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x irq=3\n",
	 "t:3:19: base=0x: bad value"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=03\n",
	 "t:3:30: irq=03: bad value"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=20\n",
	 "t:3:30: irq=20: neither an ISA IRQ (1..15) nor a GIC SPI "
	 "(32..1019)"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=1020\n",
	 "t:3:30: irq=1020: bad value"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=33 "
	 "irqtype=isa\n",
	 "t:3:30: irq=33: out of range for irqtype=isa (1..15)"},
	{"[domain d]\nlines = c 1\nxen-device = irqtype=spi base=0x1000 "
	 "irq=3\n",
	 "t:3:42: irq=3: out of range for irqtype=spi (32..1019)"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=5\n",
	 "t:3:30: irq=5: an HVM guest's firmware routes ISA IRQ 5 to a PCI "
	 "interrupt link; choose a free one"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=3 "
	 "irqtype=msi\n",
	 "t:3:40: irqtype=msi: bad value"},
	{"[domain d]\nlines = c 1\nxen-device = base=0x1000 irq=3 "
	 "grants=2\n",
	 "t:3:39: grants=2: bad value"},
	/* line ends */
	{"[sim a]\r\nlines = 1\rx\n",
	 "t:2:10: carriage return not followed by a newline"},
	{"[sim a]\nlines = 1\r", "t:2:10: carriage return not followed by a "
				 "newline"},
};

static void config_parse_errors_exact(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(err_cases); i++)
		expect_err(err_cases[i].text, err_cases[i].want);
}

static void config_parse_nul_byte_rejected(void **state)
{
	const char text[] = "[sim a]\nli\0nes = 1\n";
	const char comment[] = "# a \0 in a comment\n";

	(void)state;
	expect_err_len(text, sizeof(text) - 1, "t:2:3: NUL byte in input");
	expect_err_len(comment, sizeof(comment) - 1,
		       "t:1:5: NUL byte in input");
}

static void config_parse_comment_may_hold_utf8(void **state)
{
	const char text[] =
		"# caf\xc3\xa9\n[sim a] # \xe2\x9c\x93\nlines = 1\n";
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok(text, strlen(text));
	vg_config_free(cfg);
}

static void config_parse_empty_input_is_empty_config(void **state)
{
	struct vg_config *cfg;

	(void)state;
	cfg = parse_ok("", 0);
	assert_int_equal(cfg->nsims, 0);
	assert_int_equal(cfg->ndomains, 0);
	vg_config_free(cfg);
}

static void config_parse_small_error_buffer(void **state)
{
	struct vg_config *cfg = NULL;
	char err[8];

	(void)state;
	assert_int_equal(
		vg_config_parse("[x y]\n", 6, "src", &cfg, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "src:1:2");
	assert_int_equal(vg_config_parse("[x y]\n", 6, NULL, &cfg, NULL, 0),
			 -EINVAL);
	assert_null(cfg);
}

/* A temp dir as the state; removed even when the test fails. */
static int tmpdir_setup(void **state)
{
	char *dir = malloc(64);

	if (!dir || vg_tmpdir_new(dir, 64, "config")) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	int rc = vg_tmpdir_remove(*state);

	free(*state);
	return rc ? -1 : 0;
}

static void config_load_reads_file(void **state)
{
	struct vg_config *cfg = NULL;
	char path[96], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/vgpio.conf", (const char *)*state);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, vg_config_demo, strlen(vg_config_demo)),
			 (ssize_t)strlen(vg_config_demo));
	close(fd);
	assert_int_equal(vg_config_load(path, &cfg, err, sizeof(err)), 0);
	check_demo(cfg);
	vg_config_free(cfg);

	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "oops\n", 5), 5);
	close(fd);
	assert_int_equal(vg_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":18:1: unknown key 'oops' in [domain]"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);

	assert_int_equal(vg_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

static void config_free_accepts_null(void **state)
{
	(void)state;
	vg_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_parse_demo_expected_structure),
		cmocka_unit_test(config_parse_crlf_same_as_lf),
		cmocka_unit_test(config_parse_not_nul_terminated),
		cmocka_unit_test(config_parse_whitespace_and_comments),
		cmocka_unit_test(config_parse_sections_in_any_order),
		cmocka_unit_test(config_parse_host_chips_kept_as_written),
		cmocka_unit_test(config_parse_xen_device),
		cmocka_unit_test(config_xen_device_check),
		cmocka_unit_test(config_parse_long_lines),
		cmocka_unit_test(config_parse_limits_rejected),
		cmocka_unit_test(config_parse_line_refs),
		cmocka_unit_test(config_parse_errors_exact),
		cmocka_unit_test(config_parse_nul_byte_rejected),
		cmocka_unit_test(config_parse_comment_may_hold_utf8),
		cmocka_unit_test(config_parse_empty_input_is_empty_config),
		cmocka_unit_test(config_parse_small_error_buffer),
		cmocka_unit_test_setup_teardown(config_load_reads_file,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(config_free_accepts_null),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
