// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: vgpiod's status as it arrives (the JSON schema of
 * docs/vgpiod.8.md, "status"), printed as it is with --json, else for
 * people: one block per domain (its name once, on its first line), then
 * parked lines and the device windows no domain has.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "assign.h"

static void print_counters(const struct vg_json *c)
{
	static const char *const names[] = {
		"requests", "errors", "events",	    "invalid",
		"resets",   "broken", "interrupts",
	};
	unsigned int i;

	fputs("  counters:", stdout);
	for (i = 0; i < VG_ARRAY_SIZE(names); i++)
		printf(" %s %" PRIu64, names[i],
		       vg_json_get_u64(c, names[i], 0));
	putchar('\n');
}

/* "xen domid 5 devid 0 base 0x2000000 size 0x200 irq 33 (spi) ..." */
static void print_device(const char *indent, const struct vg_json *d)
{
	uint64_t v;

	printf("%sdevice: %s", indent, vg_json_get_str(d, "transport", "?"));
	if (!vg_json_u64(vg_json_get(d, "domid"), &v))
		printf(" domid %" PRIu64, v);
	if (!vg_json_u64(vg_json_get(d, "devid"), &v))
		printf(" devid %" PRIu64, v);
	if (vg_json_get_u64(d, "size", 0))
		printf(" base 0x%" PRIx64 " size 0x%" PRIx64,
		       vg_json_get_u64(d, "base", 0),
		       vg_json_get_u64(d, "size", 0));
	if (!vg_json_u64(vg_json_get(d, "irq"), &v))
		printf(" irq %" PRIu64 " (%s)", v,
		       vg_json_get_str(d, "irq_kind", "?"));
	printf(" memory %s state %s\n", vg_json_get_str(d, "memory", "?"),
	       vg_json_get_str(d, "state", "?"));
}

static void print_line(const struct vg_json *l)
{
	const struct vg_json *allow = vg_json_get_arr(l, "allow");
	const char *name = vg_json_get_str(l, "name", "");
	unsigned int i;
	uint64_t v;

	printf("  line %" PRIu64 " %s%s%s %s:%s allow ",
	       vg_json_get_u64(l, "index", 0), name[0] ? "\"" : "(unnamed)",
	       name, name[0] ? "\"" : "", vg_json_get_str(l, "chip", "?"),
	       vg_json_get_str(l, "line", "?"));
	for (i = 0; allow && i < allow->n; i++)
		printf("%s%s", i ? "," : "",
		       vg_json_str(&allow->v[i]) ? allow->v[i].s : "?");
	printf(" direction %s", vg_json_get_str(l, "direction", "?"));
	if (!vg_json_u64(vg_json_get(l, "value"), &v))
		printf(" value %" PRIu64, v);
	puts(vg_json_true(vg_json_get(l, "revoked")) ? " revoked" : "");
}

/* Whether device @d is attached to domain @name. */
static bool device_of(const struct vg_json *d, const char *name)
{
	return vg_json_true(vg_json_get(d, "attached")) &&
	       !strcmp(vg_json_get_str(d, "domain", ""), name);
}

static void print_human(const struct vg_json *res)
{
	const struct vg_json *doms = vg_json_get_arr(res, "domains");
	const struct vg_json *parked = vg_json_get_arr(res, "parked");
	const struct vg_json *devs = vg_json_get_arr(res, "devices");
	unsigned int i, j, n;

	for (i = 0; doms && i < doms->n; i++) {
		const struct vg_json *d = &doms->v[i];
		const struct vg_json *lines = vg_json_get_arr(d, "lines");
		const char *name = vg_json_get_str(d, "name", "?");

		n = lines ? lines->n : 0;
		printf("domain %s: %s, %u line%s%s\n", name,
		       vg_json_true(vg_json_get(d, "connected"))
			       ? "connected"
			       : "not connected",
		       n, n == 1 ? "" : "s",
		       vg_json_true(vg_json_get(d, "pending"))
			       ? ", new line table at the guest's next reset"
			       : "");
		print_counters(vg_json_get(d, "counters"));
		for (j = 0; devs && j < devs->n; j++)
			if (device_of(&devs->v[j], name))
				print_device("  ", &devs->v[j]);
		for (j = 0; j < n; j++)
			print_line(&lines->v[j]);
	}
	for (i = 0; parked && i < parked->n; i++)
		printf("parked: %s:%s value %" PRIu64 "\n",
		       vg_json_get_str(&parked->v[i], "chip", "?"),
		       vg_json_get_str(&parked->v[i], "line", "?"),
		       vg_json_get_u64(&parked->v[i], "value", 0));
	/* Windows serving no domain: an unknown one, or a second device. */
	for (i = 0; devs && i < devs->n; i++) {
		if (vg_json_true(vg_json_get(&devs->v[i], "attached")))
			continue;
		print_device("", &devs->v[i]);
		printf("  not attached: domain %s\n",
		       vg_json_get_str(&devs->v[i], "domain", "?"));
	}
}

int vg_status_print(const struct vg_assign *t, const struct vg_json *res)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;

	if (!t->json) {
		print_human(res);
		return RC_OK;
	}
	vg_jw_init(&w, &b);
	vg_jw_value(&w, res);
	return vg_assign_json_print(&b, &w);
}
