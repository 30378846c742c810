// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests: writing policy text (backend/policy/cfgwrite.c). A domain section
 * written from a parsed policy parses back to the same struct, for every
 * option value, for defaults and for a Xen device window; sections are found by name with their
 * exact byte span.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Every option value the parser knows, one line each ("" = no entry). */
static const char *const options[] = {
	"",
	"allow=in",
	"allow=out",
	"allow=irq",
	"allow=in,out",
	"allow=in,irq",
	"allow=out,irq",
	"allow=irq,out,in", /* the default, spelled out */
	"safe=input",
	"safe=low",
	"safe=high",
	"bias=as-is",
	"bias=disabled",
	"bias=pull-up",
	"bias=pull-down",
	"drive=push-pull",
	"drive=open-drain",
	"drive=open-source",
	"active-low=no",
	"active-low=yes",
	"debounce=0",
	"debounce=1",
	"debounce=4294967295",
	"name=guest-name",
	("name=all allow=out safe=high bias=pull-down drive=open-source "
	 "active-low=yes debounce=100"),
};

#define NOPTS VG_ARRAY_SIZE(options)

static const char sims[] = "[sim board]\n"
			   "lines = 32\n"
			   "names = l0 l1 l2 l3 - - - - - - - - - - - - - - - "
			   "- - - - - - - - - - - - -\n"
			   "[sim other]\n"
			   "lines = 4\n";

static struct vg_config *parse_ok(const char *text)
{
	struct vg_config *cfg = NULL;
	char err[256] = "";
	int rc = vg_config_parse(text, strlen(text), "t", &cfg, err,
				 sizeof(err));

	if (rc)
		print_error("unexpected error: %s\nin:\n%s\n", err, text);
	assert_int_equal(rc, 0);
	return cfg;
}

static void assert_line_equal(const struct vg_config_line *a,
			      const struct vg_config_line *b)
{
	assert_string_equal(a->chip, b->chip);
	assert_string_equal(a->line, b->line);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->allow, b->allow);
	assert_int_equal(a->safe, b->safe);
	assert_int_equal(a->bias, b->bias);
	assert_int_equal(a->drive, b->drive);
	assert_int_equal(a->active_low, b->active_low);
	assert_int_equal(a->debounce_us, b->debounce_us);
}

static void assert_domain_equal(const struct vg_config_domain *a,
				const struct vg_config_domain *b)
{
	unsigned int i;

	assert_string_equal(a->name, b->name);
	assert_int_equal(a->nlines, b->nlines);
	for (i = 0; i < a->nlines; i++)
		assert_line_equal(&a->lines[i], &b->lines[i]);
	assert_int_equal(a->has_xen_device, b->has_xen_device);
	assert_int_equal(a->xen_device.domid, b->xen_device.domid);
	assert_true(a->xen_device.base == b->xen_device.base);
	assert_int_equal(a->xen_device.irq, b->xen_device.irq);
	assert_int_equal(a->xen_device.irq_kind, b->xen_device.irq_kind);
	assert_int_equal(a->xen_device.grants, b->xen_device.grants);
}

/* @head (the sim sections) followed by @tail, parsed. */
static struct vg_config *parse_two(const char *head, const char *tail)
{
	size_t n = strlen(head) + strlen(tail) + 1;
	char *text = malloc(n);
	struct vg_config *cfg;

	assert_non_null(text);
	snprintf(text, n, "%s%s", head, tail);
	cfg = parse_ok(text);
	free(text);
	return cfg;
}

/*
 * Write domain @name of the policy @head @text, parse it back (after
 * @head) and compare; the text written a second time is the same.
 * Returns the written section.
 */
static char *round_trip(const char *head, const char *text, const char *name)
{
	struct vg_config *a = parse_two(head, text), *b;
	char *out = NULL, *again = NULL;
	size_t len = 0;

	assert_int_equal(
		vg_config_write_domain(vg_config_domain(a, name), &out, &len),
		0);
	assert_int_equal(len, strlen(out));
	b = parse_two(head, out);
	assert_non_null(vg_config_domain(b, name));
	assert_domain_equal(vg_config_domain(a, name),
			    vg_config_domain(b, name));
	assert_int_equal(
		vg_config_write_domain(vg_config_domain(b, name), &again, NULL),
		0);
	assert_string_equal(out, again);
	free(again);
	vg_config_free(a);
	vg_config_free(b);
	return out;
}

static void cfgwrite_round_trip_every_option(void **state)
{
	char text[4096], *out;
	size_t n;
	unsigned int i;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "[domain d]\nlines = board");
	for (i = 0; i < NOPTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " %u", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	for (i = 0; i < NOPTS; i++)
		if (options[i][0])
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "line %u = %s\n", i, options[i]);
	assert_true(n < sizeof(text));
	out = round_trip(sims, text, "d");
	/* Defaults, even spelled out, are not written. */
	assert_null(strstr(out, "line 0 ="));
	assert_null(strstr(out, "line 7 ="));
	assert_null(strstr(out, "safe=input"));
	assert_null(strstr(out, "as-is"));
	assert_null(strstr(out, "push-pull"));
	assert_null(strstr(out, "active-low=no"));
	assert_null(strstr(out, "debounce=0"));
	assert_non_null(strstr(out, "line 5 = allow=in,irq\n"));
	assert_non_null(strstr(out, "line 22 = debounce=4294967295\n"));
	assert_non_null(strstr(out, "line 24 = name=all allow=out safe=high "
				    "bias=pull-down drive=open-source "
				    "active-low=yes debounce=100\n"));
	free(out);
}

static void cfgwrite_write_defaults_only_lines(void **state)
{
	char *out;

	(void)state;
	out = round_trip("[sim board]\nlines = 4\n",
			 "[domain plain]\nlines = board 0 1 2\n", "plain");
	assert_string_equal(out, "[domain plain]\nlines = board 0 1 2\n");
	free(out);
}

/* xen-device after lines; irqtype and grants only when not the default. */
static void cfgwrite_round_trip_xen_device(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"xen-device = base=0xfe000000 irq=3",
		 "xen-device = base=0xfe000000 irq=3"},
		{"xen-device = irq=3 base=4261412864 grants=0",
		 "xen-device = base=0xfe000000 irq=3"},
		{"xen-device = base=0x2000000 irq=33 irqtype=spi grants=1",
		 "xen-device = base=0x2000000 irq=33 irqtype=spi grants=1"},
		{"xen-device = base=0 irq=13 irqtype=isa",
		 "xen-device = base=0 irq=13 irqtype=isa"},
	};
	char text[256], want[256], *out;
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "[domain x]\nlines = board 0 1\nline 1 = "
			 "allow=in\n%s\n",
			 cases[i].in);
		snprintf(want, sizeof(want),
			 "[domain x]\nlines = board 0 1\n%s\nline 1 = "
			 "allow=in\n",
			 cases[i].out);
		out = round_trip("[sim board]\nlines = 4\n", text, "x");
		assert_string_equal(out, want);
		free(out);
	}
}

/* Lines as written (names, offsets, host chips); chips grouped in order. */
static void cfgwrite_write_groups_by_chip(void **state)
{
	char *out;

	(void)state;
	out = round_trip("[sim board]\nlines = 4\nnames = a b c d\n",
			 "[domain g]\n"
			 "lines = board a 1, /dev/gpiochip0 7 led, board d, "
			 "board 2\n"
			 "line led = name=x allow=out\n",
			 "g");
	assert_string_equal(out, "[domain g]\n"
				 "lines = board a 1, /dev/gpiochip0 7 led, "
				 "board d 2\n"
				 "line 3 = name=x allow=out\n");
	free(out);
}

static void cfgwrite_write_invalid_refused(void **state)
{
	struct vg_config_line l = {
		.chip = (char *)"board",
		.line = (char *)"0",
		.allow = VG_ALLOW_ALL,
	};
	struct vg_config_domain d = {
		.name = (char *)"d", .nlines = 1, .lines = &l};
	char *out = (char *)"untouched";
	static const char *const bad_words[] = {"",    "a b",  "a=b",
						"a,b", "[a",   "a]",
						"a#b", "a->b", "caf\xc3\xa9"};
	unsigned int i;

	(void)state;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), 0);
	free(out);
	for (i = 0; i < VG_ARRAY_SIZE(bad_words); i++) {
		l.line = (char *)bad_words[i];
		assert_int_equal(vg_config_write_domain(&d, &out, NULL),
				 -EINVAL);
		assert_null(out);
	}
	l.line = (char *)"0";
	l.allow = 0;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	l.allow = VG_ALLOW_ALL | 0x8u;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	l.allow = VG_ALLOW_IN;
	l.safe = (enum vg_safe)3;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	l.safe = VG_SAFE_LOW;
	strcpy(l.name, "a#");
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	l.name[0] = '\0';
	/* A line name longer than the parser takes. */
	l.line = (char *)"a-name-that-is-thirty-two-bytes!";
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	l.line = (char *)"0";
	d.name = (char *)"two words";
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	d.name = (char *)"d";
	/* A window the parser would refuse: misaligned, a firmware IRQ. */
	d.has_xen_device = true;
	d.xen_device = (struct vg_devspec){.base = 0x1000, .irq = 3};
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), 0);
	free(out);
	d.xen_device.base = 0x1010;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	d.xen_device.base = 0x1000;
	d.xen_device.irq = 10;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	d.xen_device.irq = 3;
	d.xen_device.domid = 4;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	d.has_xen_device = false;
	d.nlines = 0;
	assert_int_equal(vg_config_write_domain(&d, &out, NULL), -EINVAL);
	assert_null(out);
}

static const char policy[] = "# head comment\n"
			     "[sim board]\n"
			     "lines = 4\n"
			     "\n"
			     "[domain a] # trailing\n"
			     "lines = board 0\n"
			     "# inside a\n"
			     "line 0 = allow=in\n"
			     "\n"
			     "# about b\n"
			     "[domain b]\r\n"
			     "lines = board 1\r\n"
			     "[domain last]\n"
			     "lines = board 2";

static void find(const char *type, const char *name, int want, const char *span)
{
	size_t start = 99, end = 99;
	int rc = vg_config_find_section(policy, strlen(policy), type, name,
					&start, &end);

	assert_int_equal(rc, want);
	if (!want)
		return;
	assert_true(start < end);
	assert_int_equal(end - start, strlen(span));
	assert_memory_equal(policy + start, span, end - start);
}

static void cfgwrite_find_section_spans(void **state)
{
	(void)state;
	vg_config_free(parse_ok(policy));
	find("domain", "a", 1,
	     "[domain a] # trailing\nlines = board 0\n# inside a\n"
	     "line 0 = allow=in\n");
	find("domain", "b", 1, "[domain b]\r\nlines = board 1\r\n");
	find("domain", "last", 1, "[domain last]\nlines = board 2");
	find("sim", "board", 1, "[sim board]\nlines = 4\n");
}

static void cfgwrite_find_section_absent(void **state)
{
	size_t start, end;

	(void)state;
	find("domain", "board", 0, NULL);
	find("sim", "a", 0, NULL);
	find("domain", "c", 0, NULL);
	assert_int_equal(
		vg_config_find_section("", 0, "domain", "a", &start, &end), 0);
	/* A line that does not scan is reported, not skipped. */
	assert_int_equal(vg_config_find_section("[domain a]\n\x01\n", 13,
						"domain", "a", &start, &end),
			 -EINVAL);
}

/* Replacing a span with a written section leaves every other byte. */
static void cfgwrite_replace_section_keeps_rest(void **state)
{
	struct vg_config *cfg = parse_ok(policy), *again;
	struct vg_config_domain d = *vg_config_domain(cfg, "a");
	struct vg_config_line l[2];
	size_t start, end, n;
	char *sect, text[1024];

	(void)state;
	l[0] = d.lines[0];
	l[1] = d.lines[0];
	l[1].line = (char *)"3";
	l[1].safe = VG_SAFE_HIGH;
	d.lines = l;
	d.nlines = 2;
	assert_int_equal(vg_config_find_section(policy, strlen(policy),
						"domain", "a", &start, &end),
			 1);
	assert_int_equal(vg_config_write_domain(&d, &sect, NULL), 0);
	n = (size_t)snprintf(text, sizeof(text), "%.*s%s%s", (int)start, policy,
			     sect, policy + end);
	assert_true(n < sizeof(text));
	assert_string_equal(text + n - strlen(policy + end), policy + end);
	assert_memory_equal(text, policy, start);
	again = parse_ok(text);
	assert_domain_equal(vg_config_domain(again, "a"), &d);
	assert_domain_equal(vg_config_domain(again, "b"),
			    vg_config_domain(cfg, "b"));
	free(sect);
	vg_config_free(again);
	vg_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cfgwrite_round_trip_every_option),
		cmocka_unit_test(cfgwrite_write_defaults_only_lines),
		cmocka_unit_test(cfgwrite_round_trip_xen_device),
		cmocka_unit_test(cfgwrite_write_groups_by_chip),
		cmocka_unit_test(cfgwrite_write_invalid_refused),
		cmocka_unit_test(cfgwrite_find_section_spans),
		cmocka_unit_test(cfgwrite_find_section_absent),
		cmocka_unit_test(cfgwrite_replace_section_keeps_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
