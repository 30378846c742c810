// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "devspec.h"
#include "num.h"

bool vg_devspec_irq_ok(enum vg_irq_kind kind, unsigned int irq)
{
	switch (kind) {
	case VG_IRQ_SPI:
		return irq >= 32 && irq <= 1019; /* GIC SPI INTIDs */
	case VG_IRQ_ISA:
		return irq >= 1 && irq <= 15; /* 0 is the PIT, 2 the cascade */
	default:
		return false;
	}
}

enum vg_isa_use vg_devspec_isa_use(unsigned int irq, const char **what)
{
	/*
	 * hvmloader routes the four PCI interrupt links to 5, 10 and 11
	 * (level, active-low by its MADT's overrides), its FADT puts the
	 * ACPI SCI on 9, its MADT sends the PIT (IRQ 0) to I/O APIC pin 2,
	 * and Xen emulates the RTC on 8. The rest are the ISA devices of
	 * hvmloader's DSDT and QEMU's PIIX IDE; 3 (a second serial port)
	 * and 13 are free in the usual guest.
	 */
	static const struct {
		enum vg_isa_use use;
		const char *what;
	} isa[16] = {
		[0] = {VG_ISA_FIRMWARE, "the PIT (timer)"},
		[1] = {VG_ISA_DEVICE, "the PS/2 keyboard"},
		[2] = {VG_ISA_FIRMWARE,
		       "the PIT (timer), at I/O APIC pin 2 by the MADT"},
		[4] = {VG_ISA_DEVICE, "the first serial port"},
		[5] = {VG_ISA_FIRMWARE, "a PCI interrupt link"},
		[6] = {VG_ISA_DEVICE, "the floppy controller"},
		[7] = {VG_ISA_DEVICE, "the parallel port"},
		[8] = {VG_ISA_FIRMWARE, "the RTC, which Xen emulates"},
		[9] = {VG_ISA_FIRMWARE, "the ACPI SCI"},
		[10] = {VG_ISA_FIRMWARE, "a PCI interrupt link"},
		[11] = {VG_ISA_FIRMWARE, "a PCI interrupt link"},
		[12] = {VG_ISA_DEVICE, "the PS/2 mouse"},
		[14] = {VG_ISA_DEVICE, "the primary IDE channel"},
		[15] = {VG_ISA_DEVICE, "the secondary IDE channel"},
	};

	if (irq >= 16) {
		if (what)
			*what = "no ISA IRQ";
		return VG_ISA_FIRMWARE;
	}
	if (what)
		*what = isa[irq].what ? isa[irq].what : "";
	return isa[irq].use;
}

enum { K_DOMID, K_BASE, K_IRQ, K_GRANTS, K_IRQTYPE, K_N };

static const char *const keys[K_N] = {"domid", "base", "irq", "grants",
				      "irqtype"};

static int key_value(struct vg_devspec *d, int k, const char *v, char *err,
		     size_t errlen)
{
	uint64_t n;

	switch (k) {
	case K_DOMID:
		if (vg_num(v, VG_NUM_HEX, VG_DEVSPEC_DOMID_MAX, &n) || n == 0)
			break;
		d->domid = (unsigned int)n;
		return 0;
	case K_BASE:
		if (vg_num(v, VG_NUM_HEX, UINT64_MAX - (VG_DEVSPEC_WINDOW - 1),
			   &n))
			break;
		if (n % VG_DEVSPEC_WINDOW) {
			snprintf(err, errlen,
				 "base=%s: must be a multiple of %#x (the "
				 "device window)",
				 v, VG_DEVSPEC_WINDOW);
			return -EINVAL;
		}
		d->base = n;
		return 0;
	case K_IRQ:
		if (vg_num(v, VG_NUM_HEX, 1019, &n))
			break;
		d->irq = (unsigned int)n;
		return 0;
	case K_GRANTS:
		if (strcmp(v, "0") && strcmp(v, "1"))
			break;
		d->grants = v[0] == '1';
		return 0;
	case K_IRQTYPE:
		if (!strcmp(v, "spi"))
			d->irq_kind = VG_IRQ_SPI;
		else if (!strcmp(v, "isa"))
			d->irq_kind = VG_IRQ_ISA;
		else
			break;
		return 0;
	}
	snprintf(err, errlen, "%s=%s: bad value", keys[k], v);
	return -EINVAL;
}

int vg_devspec_set(struct vg_devspec *d, const char *key, const char *value,
		   char *err, size_t errlen)
{
	int k;

	for (k = 0; k < K_N && strcmp(key, keys[k]); k++)
		;
	if (k == K_N) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -EINVAL;
	}
	return key_value(d, k, value, err, errlen);
}

/*
 * Parse @s as comma-separated key=value pairs of the keys in @allowed (a
 * bit per K_*), each once, every key of @required given; @list names the
 * allowed keys in the message for an unknown one.
 */
static int parse_keys(const char *s, unsigned int allowed,
		      unsigned int required, const char *list,
		      struct vg_devspec *out, char *err, size_t errlen)
{
	struct vg_devspec d = {0};
	bool seen[K_N] = {false};
	char buf[256], *tok, *save = NULL;
	int k, rc;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "device spec too long");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			snprintf(err, errlen, "'%s': expected key=value", tok);
			return -EINVAL;
		}
		*eq = '\0';
		for (k = 0; k < K_N && strcmp(tok, keys[k]); k++)
			;
		if (k == K_N || !(allowed & (1u << k))) {
			snprintf(err, errlen, "unknown key '%s' (%s)", tok,
				 list);
			return -EINVAL;
		}
		if (seen[k]) {
			snprintf(err, errlen, "key '%s' given twice", tok);
			return -EINVAL;
		}
		seen[k] = true;
		rc = key_value(&d, k, eq + 1, err, errlen);
		if (rc)
			return rc;
	}
	for (k = 0; k < K_N; k++) {
		if ((required & (1u << k)) && !seen[k]) {
			snprintf(err, errlen, "missing %s=", keys[k]);
			return -EINVAL;
		}
	}
	if (d.irq_kind != VG_IRQ_DEFAULT &&
	    !vg_devspec_irq_ok(d.irq_kind, d.irq)) {
		snprintf(err, errlen, "irq=%u: out of range for irqtype=%s",
			 d.irq, d.irq_kind == VG_IRQ_SPI ? "spi" : "isa");
		return -EINVAL;
	}
	*out = d;
	return 0;
}

int vg_devspec_parse(const char *s, struct vg_devspec *out, char *err,
		     size_t errlen)
{
	return parse_keys(
		s, (1u << K_N) - 1, 1u << K_DOMID | 1u << K_BASE | 1u << K_IRQ,
		"domid, base, irq, grants, irqtype", out, err, errlen);
}

int vg_devspec_parse_at(const char *s, unsigned int *domid, uint64_t *base,
			char *err, size_t errlen)
{
	unsigned int at = 1u << K_DOMID | 1u << K_BASE;
	struct vg_devspec d;
	int rc = parse_keys(s, at, at, "domid, base", &d, err, errlen);

	if (!rc) {
		*domid = d.domid;
		*base = d.base;
	}
	return rc;
}
