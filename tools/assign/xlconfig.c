// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign xl-config: the xl configuration lines that give a domain
 * its virtio-gpio device (docs/vgpio-assign.8.md, XL CONFIGURATION).
 *
 * On Arm, libxl allocates the window and the SPI and describes them in
 * the guest's device tree: one virtio= entry is all. On x86, libxl's
 * virtio= allocates and describes nothing, so the window and the ISA IRQ
 * come from the domain's xen-device in the policy (which vgpiod serves
 * to every domain of the name) or else from options, an SSDT written
 * here describes them to the guest (xl's acpi_firmware=), and the
 * comments say how vgpiod serves them. The options go through vgpiod's
 * own --device rules (vg_devspec_set) and its ISA IRQ check
 * (vg_devspec_isa_use), so what is printed here is what vgpiod accepts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "assign.h"
#include "devspec.h"
#include "ssdt.h"

/* docs/xen.md's tested route: the window and IRQ nothing else uses. */
#define XL_BASE_DEFAULT "0xfe000000"
#define XL_IRQ_DEFAULT "3"

enum xl_arch { XL_ARM, XL_X86 };

struct xl_args {
	const char *domain;
	const char *arch, *base, *irq, *table, *grants, *domid;
};

/* The option @name's value, as "--name VALUE" or "--name=VALUE". */
static int opt_value(int argc, char **argv, int *i, const char *name,
		     const char **out)
{
	const char *w = argv[*i] + 2;
	size_t n = strlen(name);

	if (strncmp(w, name, n) || (w[n] && w[n] != '='))
		return 0;
	if (w[n] == '=') {
		*out = w + n + 1;
		return 1;
	}
	if (++*i == argc) {
		vg_assign_msg("--%s needs a value", name);
		return -1;
	}
	*out = argv[*i];
	return 1;
}

static int parse_args(int argc, char **argv, struct vg_assign *t,
		      struct xl_args *a)
{
	static const char *const names[] = {"arch",  "base",   "irq",
					    "table", "grants", "domid"};
	int i, k, r;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		const char **slot[] = {&a->arch,  &a->base,   &a->irq,
				       &a->table, &a->grants, &a->domid};

		if (!strcmp(w, "--json")) {
			t->json = true;
			continue;
		}
		if (w[0] != '-' || w[1] != '-') {
			if (a->domain) {
				vg_assign_msg("unexpected argument '%s'", w);
				return vg_assign_usage(NULL);
			}
			a->domain = w;
			continue;
		}
		for (k = 0, r = 0; k < 6 && !r; k++)
			r = opt_value(argc, argv, &i, names[k], slot[k]);
		if (r < 0)
			return vg_assign_usage(NULL);
		if (!r) {
			vg_assign_msg("unknown option '%s'", w);
			return vg_assign_usage(NULL);
		}
	}
	if (!a->domain)
		return vg_assign_usage("xl-config needs DOMAIN");
	return RC_OK;
}

static int parse_arch(const char *s, enum xl_arch *arch)
{
	if (!s) {
#if defined(__i386__) || defined(__x86_64__)
		*arch = XL_X86;
#else
		*arch = XL_ARM;
#endif
		return RC_OK;
	}
	if (!strcmp(s, "x86") || !strcmp(s, "x86_64")) {
		*arch = XL_X86;
	} else if (!strcmp(s, "arm") || !strcmp(s, "arm64") ||
		   !strcmp(s, "aarch64")) {
		*arch = XL_ARM;
	} else {
		vg_assign_msg("--arch %s: not x86 or arm", s);
		return RC_INVALID;
	}
	return RC_OK;
}

/* One --device key from an option, by vgpiod's rules. */
static int set_key(struct vg_devspec *d, const char *key, const char *value)
{
	char err[ASSIGN_ERR_MAX];

	if (!value)
		return RC_OK;
	if (vg_devspec_set(d, key, value, err, sizeof(err))) {
		vg_assign_msg("--%s: %s", key, err);
		return RC_INVALID;
	}
	return RC_OK;
}

/*
 * An option that must agree with the policy's window: @key of @opt
 * against @have. RC_OK when absent or equal.
 */
static int same_as_policy(const char *domain, const char *key, const char *opt,
			  uint64_t have)
{
	struct vg_devspec o = {0};
	uint64_t v;

	if (!opt)
		return RC_OK;
	if (set_key(&o, key, opt))
		return RC_INVALID;
	v = !strcmp(key, "base")  ? o.base
	    : !strcmp(key, "irq") ? o.irq
				  : o.grants;
	if (v == have)
		return RC_OK;
	vg_assign_msg(strcmp(key, "base") ? "--%s %s: the policy gives domain "
					    "%s %s=%llu (vgpio-assign "
					    "xen-device changes it)"
					  : "--%s %s: the policy gives domain "
					    "%s %s=%#llx (vgpio-assign "
					    "xen-device changes it)",
		      key, opt, domain, key, (unsigned long long)have);
	return RC_INVALID;
}

/*
 * The x86 device: the policy's window @pw (or NULL) or the options; a
 * warning for an IRQ an emulated device may use goes to stderr and into
 * @warn.
 */
static int x86_device(const struct xl_args *a, const struct vg_devspec *pw,
		      struct vg_devspec *d, char *warn, size_t len)
{
	const char *what;

	*d = (struct vg_devspec){.irq_kind = VG_IRQ_ISA};
	if (pw) {
		if (pw->irq_kind == VG_IRQ_SPI) {
			vg_assign_msg("domain %s: its xen-device has a GIC SPI "
				      "(irqtype=spi); an x86 guest needs an "
				      "ISA IRQ",
				      a->domain);
			return RC_INVALID;
		}
		if (same_as_policy(a->domain, "base", a->base, pw->base) ||
		    same_as_policy(a->domain, "irq", a->irq, pw->irq) ||
		    same_as_policy(a->domain, "grants", a->grants,
				   pw->grants) ||
		    set_key(d, "domid", a->domid))
			return RC_INVALID;
		d->base = pw->base;
		d->irq = pw->irq;
		d->grants = pw->grants;
	} else if (set_key(d, "base", a->base ? a->base : XL_BASE_DEFAULT) ||
		   set_key(d, "irq", a->irq ? a->irq : XL_IRQ_DEFAULT) ||
		   set_key(d, "grants", a->grants) ||
		   set_key(d, "domid", a->domid)) {
		return RC_INVALID;
	}
	if (!vg_devspec_irq_ok(VG_IRQ_ISA, d->irq)) {
		vg_assign_msg("--irq %u: not an ISA IRQ (1..15)", d->irq);
		return RC_INVALID;
	}
	switch (vg_devspec_isa_use(d->irq, &what)) {
	case VG_ISA_FIRMWARE:
		vg_assign_msg("--irq %u: an HVM guest's firmware routes it to "
			      "%s; choose a free one (docs/xen.md)",
			      d->irq, what);
		return RC_INVALID;
	case VG_ISA_DEVICE:
		snprintf(warn, len,
			 "--irq %u: %s uses it when the guest has one, and "
			 "the guest cannot share it",
			 d->irq, what);
		vg_assign_msg("%s", warn);
		break;
	case VG_ISA_FREE:
		break;
	}
	return RC_OK;
}

/* The table's path: @table, or one per domain in VG_ASSIGN_XL_DIR. */
static int table_path(const char *table, const char *domain, char **out)
{
	const char *p;

	if (table) {
		*out = strdup(table);
	} else if (strchr(domain, '/') || domain[0] == '.') {
		vg_assign_msg("domain %s: its name cannot be a file name; "
			      "give --table",
			      domain);
		return RC_INVALID;
	} else if (asprintf(out, "%s/%s.aml", VG_ASSIGN_XL_DIR, domain) < 0) {
		*out = NULL;
	}
	if (!*out)
		return RC_FAIL;
	/* It goes between the quotes of an xl string. */
	for (p = *out; *p; p++) {
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
			vg_assign_msg("--table %s: xl cannot quote this path",
				      *out);
			free(*out);
			*out = NULL;
			return RC_INVALID;
		}
	}
	return RC_OK;
}

/* Build the domain's SSDT and write it to @path. */
static int write_table(const struct vg_devspec *d, const char *path, bool dflt)
{
	const struct vg_ssdt_dev sd = {
		.base = d->base, .size = VG_DEVSPEC_WINDOW, .irq = d->irq};
	uint8_t t[VG_SSDT_MAX];
	int n, rc;

	n = vg_ssdt_build(&sd, t, sizeof(t));
	if (n == -EINVAL) {
		vg_assign_msg("--base %#llx: the window must end below 4 GiB "
			      "(an ACPI Memory32Fixed range)",
			      (unsigned long long)d->base);
		return RC_INVALID;
	}
	if (n < 0) {
		vg_assign_msg("ACPI table: %s", strerror(-n));
		return RC_FAIL;
	}
	/* The default directory is ours to create; another one is not. */
	if (dflt && mkdir(VG_ASSIGN_XL_DIR, 0755) < 0 && errno != EEXIST) {
		vg_assign_msg("%s: %s", VG_ASSIGN_XL_DIR, strerror(errno));
		return RC_FAIL;
	}
	rc = vg_file_replace(path, (const char *)t, (size_t)n, NULL);
	if (rc) {
		vg_assign_msg("%s: %s", path, strerror(-rc));
		return RC_FAIL;
	}
	return RC_OK;
}

/* The policy's xen-device value for @d. */
static void policy_window(const struct vg_devspec *d, char *buf, size_t len)
{
	snprintf(buf, len, "base=%#llx irq=%u irqtype=isa%s",
		 (unsigned long long)d->base, d->irq,
		 d->grants ? " grants=1" : "");
}

/* vgpiod's --device SPEC for @d; DOMID stands for an unknown domid. */
static void device_spec(const struct vg_devspec *d, char *buf, size_t len)
{
	char domid[16] = "DOMID";

	if (d->domid)
		snprintf(domid, sizeof(domid), "%u", d->domid);
	snprintf(buf, len, "domid=%s,base=%#llx,irq=%u,irqtype=isa%s", domid,
		 (unsigned long long)d->base, d->irq,
		 d->grants ? ",grants=1" : "");
}

static int print_json(const char *domain, unsigned int nlines,
		      enum xl_arch arch, const char *xl_line, const char *table,
		      const struct vg_devspec *d, const char *spec,
		      const char *window, bool in_policy, const char *warn)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;

	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "domain", domain);
	vg_jw_kstr(&w, "arch", arch == XL_X86 ? "x86" : "arm");
	vg_jw_ku64(&w, "lines", nlines);
	vg_jw_karr(&w, "xl");
	vg_jw_str(&w, xl_line);
	vg_jw_arr_end(&w);
	if (arch == XL_ARM) {
		vg_jw_knull(&w, "table");
		vg_jw_knull(&w, "device");
		vg_jw_knull(&w, "vgpiod_device");
		vg_jw_knull(&w, "xen_device");
		vg_jw_kbool(&w, "in_policy", false);
	} else {
		vg_jw_kstr(&w, "table", table);
		vg_jw_kobj(&w, "device");
		if (d->domid)
			vg_jw_ku64(&w, "domid", d->domid);
		else
			vg_jw_knull(&w, "domid");
		vg_jw_ku64(&w, "base", d->base);
		vg_jw_ku64(&w, "size", VG_DEVSPEC_WINDOW);
		vg_jw_ku64(&w, "irq", d->irq);
		vg_jw_kstr(&w, "irqtype", "isa");
		vg_jw_kbool(&w, "grants", d->grants);
		vg_jw_obj_end(&w);
		vg_jw_kstr(&w, "vgpiod_device", spec);
		vg_jw_kstr(&w, "xen_device", window);
		vg_jw_kbool(&w, "in_policy", in_policy);
	}
	vg_jw_karr(&w, "warnings");
	if (*warn)
		vg_jw_str(&w, warn);
	vg_jw_arr_end(&w);
	vg_jw_obj_end(&w);
	return vg_assign_json_print(&b, &w);
}

int vg_cmd_xlconfig(struct vg_assign *t, int argc, char **argv)
{
	const struct vg_config_domain *cd;
	struct xl_args a = {0};
	struct vg_devspec d = {0};
	struct vg_config *cfg = NULL;
	struct vg_ptext text = {0};
	char warn[ASSIGN_ERR_MAX] = "", spec[128] = "", window[128] = "";
	char line[512], *table = NULL;
	enum xl_arch arch;
	unsigned int nlines;
	bool in_policy = false;
	int rc;

	rc = parse_args(argc, argv, t, &a);
	if (!rc)
		rc = parse_arch(a.arch, &arch);
	if (rc)
		return rc;
	if (arch == XL_ARM && (a.base || a.irq || a.table || a.domid)) {
		/* libxl allocates the window and SPI on Arm. */
		vg_assign_msg("--base, --irq, --table and --domid are for "
			      "--arch x86: on Arm libxl allocates the window "
			      "and interrupt");
		return RC_INVALID;
	}

	rc = vg_policy_load(t, &text, &cfg);
	if (rc)
		goto out;
	cd = vg_config_domain(cfg, a.domain);
	nlines = cd ? cd->nlines : 0;
	if (!nlines) {
		vg_assign_msg("domain %s: no lines in %s (give it some with "
			      "vgpio-assign assign)",
			      a.domain, t->policy);
		rc = RC_INVALID;
		goto out;
	}
	if (arch == XL_ARM) {
		d.grants = true;
		rc = set_key(&d, "grants", a.grants);
	} else {
		in_policy = cd->has_xen_device;
		rc = x86_device(&a, in_policy ? &cd->xen_device : NULL, &d,
				warn, sizeof(warn));
		if (!rc)
			rc = table_path(a.table, a.domain, &table);
	}
	if (rc)
		goto out;

	if (arch == XL_ARM) {
		snprintf(line, sizeof(line),
			 "virtio = [ \"type=virtio,device29,transport=mmio,"
			 "grant_usage=%d\" ]",
			 d.grants);
	} else {
		rc = write_table(&d, table, !a.table);
		if (rc)
			goto out;
		device_spec(&d, spec, sizeof(spec));
		policy_window(&d, window, sizeof(window));
		snprintf(line, sizeof(line), "acpi_firmware = \"%s\"", table);
	}

	if (t->json) {
		rc = print_json(a.domain, nlines, arch, line, table, &d, spec,
				window, in_policy, warn);
		goto out;
	}
	printf("# vgpio: domain %s, a virtio-gpio device with %u line%s\n",
	       a.domain, nlines, nlines == 1 ? "" : "s");
	if (arch == XL_X86) {
		printf("# x86 HVM (type = \"hvm\"): window %#llx, ISA IRQ %u, "
		       "described by the ACPI table below.\n",
		       (unsigned long long)d.base, d.irq);
		if (in_policy)
			printf("# vgpiod serves it to every domain %s from "
			       "its creation: the policy's\n"
			       "#   xen-device = %s\n",
			       a.domain, window);
		else
			printf("# Serve it to every domain %s from its "
			       "creation:\n"
			       "#   vgpio-assign xen-device %s %s\n"
			       "# or to one domain that runs: vgpio-assign "
			       "device-add %s\n",
			       a.domain, a.domain, window, spec);
		if (!in_policy && !d.domid)
			printf("# (DOMID: the domain's ID once created, "
			       "xl domid %s)\n",
			       a.domain);
	}
	printf("%s\n", line);
	rc = RC_OK;
out:
	vg_config_free(cfg);
	free(text.s);
	free(table);
	return rc;
}
