// SPDX-License-Identifier: BSD-3-Clause
/*
 * A worker's status, checked by the parent (backend/daemon/wstatus.c): a
 * well-formed result gives the worker's view, written again by the
 * parent's writer; each malformed member of a hostile result is refused
 * with a reason naming it, the view left empty, and the parent then
 * writes its own view with "worker_error". Counters of earlier workers
 * add up, saturating.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "acl.h"
#include "json.h"
#include "wstatus.h"

/* What a worker's daemon sends for domain alpha with one loop guest. */
static const char good[] =
	"{\"domains\":[{\"name\":\"alpha\",\"connected\":true,"
	"\"pending\":false,\"counters\":{\"requests\":7,\"errors\":1,"
	"\"events\":2,\"invalid\":0,\"resets\":1,\"broken\":0,"
	"\"interrupts\":3},\"lines\":[{\"index\":0,\"name\":\"led\","
	"\"chip\":\"board\",\"line\":\"out0\",\"allow\":[\"in\",\"out\"],"
	"\"direction\":\"out\",\"revoked\":false,\"value\":1},"
	"{\"index\":1,\"name\":\"\",\"chip\":\"board\",\"line\":\"3\","
	"\"allow\":[\"in\",\"irq\"],\"direction\":\"none\",\"revoked\":true,"
	"\"value\":null}]}],\"parked\":[],\"devices\":[{\"transport\":\"loop\","
	"\"domain\":\"alpha\",\"attached\":true,\"domid\":null,\"devid\":null,"
	"\"base\":0,\"size\":0,\"irq\":null,\"irq_kind\":null,"
	"\"memory\":\"memfd\",\"state\":\"connected\",\"counters\":"
	"{\"requests\":7,\"errors\":1,\"events\":2,\"invalid\":0,\"resets\":1,"
	"\"broken\":0,\"interrupts\":3}}],\"control\":{\"clients\":0,"
	"\"evicted\":0}}";

static struct vg_json *parse(const char *text)
{
	struct vg_json *doc = NULL;

	assert_int_equal(vg_json_parse(text, strlen(text), 16, &doc, NULL), 0);
	return doc;
}

/* @good with its first @from replaced by @to, parsed. */
static struct vg_json *mutated(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	struct vg_json *doc;
	char *text;

	if (!at)
		fail_msg("'%s' is not in the good result", from);
	text = malloc(sizeof(good) + strlen(to));
	assert_non_null(text);
	sprintf(text, "%.*s%s%s", (int)(at - good), good, to,
		at + strlen(from));
	doc = parse(text);
	free(text);
	return doc;
}

static void wstatus_check_takes_a_good_result(void **state)
{
	struct vg_json *doc = parse(good);
	struct vg_status_dom v;
	char why[VG_WSTATUS_WHY_MAX];

	(void)state;
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)), 0);
	assert_true(v.connected);
	assert_false(v.pending);
	assert_int_equal(v.st.requests, 7);
	assert_int_equal(v.st.errors, 1);
	assert_int_equal(v.st.interrupts, 3);
	assert_int_equal(v.nlines, 2);
	assert_string_equal(v.lines[0].name, "led");
	assert_string_equal(v.lines[0].chip, "board");
	assert_string_equal(v.lines[0].line, "out0");
	assert_int_equal(v.lines[0].allow, VG_ALLOW_IN | VG_ALLOW_OUT);
	assert_int_equal(v.lines[0].dir, VG_GPIO_DIRECTION_OUT);
	assert_false(v.lines[0].revoked);
	assert_int_equal(v.lines[0].value, 1);
	assert_string_equal(v.lines[1].name, "");
	assert_int_equal(v.lines[1].dir, VG_GPIO_DIRECTION_NONE);
	assert_true(v.lines[1].revoked);
	assert_int_equal(v.lines[1].value, -1);
	assert_int_equal(v.ndevices, 1);
	assert_string_equal(v.devices[0].info.transport, "loop");
	assert_true(v.devices[0].attached);
	assert_int_equal(v.devices[0].info.domid, -1);
	assert_int_equal(v.devices[0].info.irq, 0);
	assert_null(v.devices[0].info.irq_kind);
	assert_string_equal(v.devices[0].info.memory, "memfd");
	assert_true(v.devices[0].has_counters);
	assert_int_equal(v.devices[0].st.requests, 7);
	/* Strings are the checker's own static words, never the tree's. */
	assert_ptr_not_equal(
		v.devices[0].info.transport,
		vg_json_get(&vg_json_get_arr(doc, "devices")->v[0], "transport")
			->s);
	vg_status_dom_dispose(&v);
	vg_json_free(doc);
}

/* The parent writes the checked view back: the worker's own domain entry. */
static void wstatus_check_writes_back_what_it_took(void **state)
{
	struct vg_json *doc = parse(good), *out;
	struct vg_strbuf b = {0};
	struct vg_status_dom v;
	struct vg_jw w;
	char why[VG_WSTATUS_WHY_MAX];
	const struct vg_json *dom, *dev;
	uint64_t u;

	(void)state;
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)), 0);
	vg_jw_init(&w, &b);
	vg_status_write_dom(&w, "alpha", &v, 4242, NULL);
	assert_int_equal(vg_jw_done(&w), 0);
	out = parse(b.s);
	/* The worker's domain object, with the parent's "worker" added. */
	dom = &vg_json_get_arr(doc, "domains")->v[0];
	assert_int_equal(vg_json_u64(vg_json_get(out, "worker"), &u), 0);
	assert_int_equal(u, 4242);
	assert_null(vg_json_get(out, "worker_error"));
	assert_int_equal(out->n, dom->n + 1);
	vg_json_free(out);
	free(b.s);

	memset(&b, 0, sizeof(b));
	vg_jw_init(&w, &b);
	vg_status_write_device(&w, "alpha", &v.devices[0]);
	assert_int_equal(vg_jw_done(&w), 0);
	dev = &vg_json_get_arr(doc, "devices")->v[0];
	out = parse(b.s);
	assert_int_equal(out->n, dev->n);
	assert_string_equal(vg_json_get_str(out, "state", ""), "connected");
	vg_json_free(out);
	free(b.s);
	vg_status_dom_dispose(&v);
	vg_json_free(doc);
}

/* One malformed member, and the word its reason must name. */
struct hostile {
	const char *from, *to, *names;
};

static const struct hostile hostile[] = {
	{"\"domains\":[{", "\"domains\":[{\"name\":\"alpha\"},{", "domains"},
	{"\"domains\":[", "\"domains\":null,\"x\":[", "domains"},
	{"\"name\":\"alpha\",\"connected\"", "\"name\":\"beta\",\"connected\"",
	 "alpha"},
	{"\"connected\":true", "\"connected\":1", "connected"},
	{"\"pending\":false", "\"pending\":null", "pending"},
	{"\"counters\":{", "\"counters\":7,\"x\":{", "counters"},
	{"\"requests\":7", "\"requests\":-7", "requests"},
	{"\"errors\":1", "\"errors\":\"1\"", "errors"},
	{",\"interrupts\":3}", "}", "interrupts"},
	{"\"lines\":[", "\"lines\":null,\"x\":[", "lines"},
	{"\"lines\":[", "\"lines\":[1,", "lines[0]"},
	{"\"index\":1", "\"index\":5", "index"},
	{"\"index\":0", "\"index\":\"0\"", "index"},
	{"\"name\":\"led\"", "\"name\":\"led\\nok\"", "name"},
	{"\"name\":\"led\"", "\"name\":\"0123456789012345678901234567890123\"",
	 "name"},
	{"\"name\":\"led\"", "\"name\":7", "name"},
	{"\"chip\":\"board\"", "\"chip\":\"bo ard\"", "chip"},
	{"\"chip\":\"board\"", "\"chip\":\"\"", "chip"},
	{"\"line\":\"out0\"", "\"line\":\"out[0]\"", "line"},
	{"\"allow\":[\"in\",\"out\"]", "\"allow\":[\"in\",\"in\"]", "allow"},
	{"\"allow\":[\"in\",\"out\"]", "\"allow\":[\"up\"]", "allow"},
	{"\"allow\":[\"in\",\"out\"]", "\"allow\":\"in,out\"", "allow"},
	{"\"direction\":\"out\"", "\"direction\":\"sideways\"", "direction"},
	{"\"revoked\":false", "\"revoked\":\"no\"", "revoked"},
	{"\"value\":1", "\"value\":2", "value"},
	{"\"value\":1", "\"value\":true", "value"},
	{"\"devices\":[", "\"devices\":null,\"x\":[", "devices"},
	{"\"devices\":[", "\"devices\":[7,", "devices[0]"},
	{"\"transport\":\"loop\"", "\"transport\":\"vhost\"", "transport"},
	{"\"domain\":\"alpha\"", "\"domain\":\"beta\"", "domain"},
	{"\"attached\":true", "\"attached\":1", "attached"},
	{"\"domid\":null", "\"domid\":-1", "domid"},
	{"\"devid\":null", "\"devid\":4294967296", "devid"},
	{"\"base\":0", "\"base\":null", "base"},
	{"\"irq\":null", "\"irq\":0", "irq"},
	{"\"irq\":null", "\"irq\":4294967296", "irq"},
	{"\"irq_kind\":null", "\"irq_kind\":\"msi\"", "irq_kind"},
	{"\"memory\":\"memfd\"", "\"memory\":\"shm\"", "memory"},
	{"\"state\":\"connected\"", "\"state\":\"connected\\n\"", "state"},
	{"\"state\":\"connected\",\"counters\":{\"requests\":7",
	 "\"state\":\"connected\",\"counters\":{\"requests\":\"x\"",
	 "requests"},
};

static void wstatus_check_refuses_each_malformed_member(void **state)
{
	struct vg_status_dom v;
	char why[VG_WSTATUS_WHY_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(hostile); i++) {
		struct vg_json *doc = mutated(hostile[i].from, hostile[i].to);

		memset(&v, 0xa5, sizeof(v));
		if (vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)) !=
		    -EPROTO)
			fail_msg("taken: %s", hostile[i].to);
		if (!strstr(why, hostile[i].names))
			fail_msg("%s: reason '%s' does not name %s",
				 hostile[i].to, why, hostile[i].names);
		/* Nothing of it is left to be used. */
		assert_int_equal(v.nlines, 0);
		assert_null(v.lines);
		assert_int_equal(v.ndevices, 0);
		vg_json_free(doc);
	}
}

static void wstatus_check_refuses_what_is_not_a_result(void **state)
{
	static const char *const docs[] = {"[]", "null", "\"status\"", "{}",
					   "{\"domains\":[]}"};
	struct vg_status_dom v;
	char why[VG_WSTATUS_WHY_MAX];
	unsigned int i;

	(void)state;
	assert_int_equal(
		vg_wstatus_check(NULL, "alpha", 8, &v, why, sizeof(why)),
		-EPROTO);
	for (i = 0; i < VG_ARRAY_SIZE(docs); i++) {
		struct vg_json *doc = parse(docs[i]);

		assert_int_equal(
			vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)),
			-EPROTO);
		assert_true(why[0] != '\0');
		vg_json_free(doc);
	}
}

/* More lines or windows than a worker may have. */
static void wstatus_check_bounds_lines_and_devices(void **state)
{
	struct vg_json *doc = parse(good);
	struct vg_status_dom v;
	char why[VG_WSTATUS_WHY_MAX], *text;
	const char *dev = strstr(good, "{\"transport\"");
	size_t devlen = strlen(dev) - strlen("],\"control\":{\"clients\":0,"
					     "\"evicted\":0}}");
	size_t at;
	unsigned int i;

	(void)state;
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 1, &v, why, sizeof(why)),
		-EPROTO);
	assert_non_null(strstr(why, "lines"));
	vg_json_free(doc);

	/* VG_WSTATUS_DEVICES_MAX + 1 copies of the window. */
	text = malloc(sizeof(good) + VG_WSTATUS_DEVICES_MAX * (devlen + 1));
	assert_non_null(text);
	at = (size_t)(dev - good);
	memcpy(text, good, at);
	for (i = 0; i <= VG_WSTATUS_DEVICES_MAX; i++) {
		if (i)
			text[at++] = ',';
		memcpy(text + at, dev, devlen);
		at += devlen;
	}
	strcpy(text + at, dev + devlen);
	doc = parse(text);
	free(text);
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)),
		-EPROTO);
	assert_non_null(strstr(why, "devices"));
	vg_json_free(doc);
}

/* A refused result: the parent's own view, marked. */
static void wstatus_refused_is_the_parents_view_marked(void **state)
{
	struct vg_status_line line = {
		.name = "led",
		.chip = "board",
		.line = "out0",
		.allow = VG_ALLOW_OUT,
		.dir = VG_GPIO_DIRECTION_NONE,
		.value = 1,
	};
	struct vg_status_dom parent = {
		.st = {.requests = 3},
		.nlines = 1,
		.lines = &line,
	};
	struct vg_json *doc = mutated("\"value\":1", "\"value\":2"), *out;
	struct vg_strbuf b = {0};
	struct vg_status_dom v;
	struct vg_jw w;
	char why[VG_WSTATUS_WHY_MAX];
	uint64_t u;

	(void)state;
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)),
		-EPROTO);
	vg_jw_init(&w, &b);
	vg_status_write_dom(&w, "alpha", &parent, 4242, why);
	assert_int_equal(vg_jw_done(&w), 0);
	out = parse(b.s);
	assert_string_equal(vg_json_get_str(out, "worker_error", ""), why);
	assert_false(vg_json_true(vg_json_get(out, "connected")));
	assert_int_equal(vg_json_u64(vg_json_get(vg_json_get(out, "counters"),
						 "requests"),
				     &u),
			 0);
	assert_int_equal(u, 3);
	assert_int_equal(vg_json_get_arr(out, "lines")->n, 1);
	vg_json_free(out);
	free(b.s);
	vg_json_free(doc);
}

/* Earlier workers' counters add to the domain's and its window's. */
static void wstatus_add_saturates(void **state)
{
	struct vg_json *doc = mutated("\"requests\":7", "\"requests\":"
							"18446744073709551610");
	struct vg_gpio_stats done = {.requests = 100, .errors = 2};
	struct vg_status_dom v;
	char why[VG_WSTATUS_WHY_MAX];

	(void)state;
	assert_int_equal(
		vg_wstatus_check(doc, "alpha", 8, &v, why, sizeof(why)), 0);
	vg_status_dom_add(&v, &done);
	assert_int_equal(v.st.requests, UINT64_MAX);
	assert_int_equal(v.st.errors, 3);
	assert_int_equal(v.devices[0].st.requests, 107);
	assert_int_equal(v.devices[0].st.errors, 3);
	vg_status_dom_dispose(&v);
	vg_json_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wstatus_check_takes_a_good_result),
		cmocka_unit_test(wstatus_check_writes_back_what_it_took),
		cmocka_unit_test(wstatus_check_refuses_each_malformed_member),
		cmocka_unit_test(wstatus_check_refuses_what_is_not_a_result),
		cmocka_unit_test(wstatus_check_bounds_lines_and_devices),
		cmocka_unit_test(wstatus_refused_is_the_parents_view_marked),
		cmocka_unit_test(wstatus_add_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
