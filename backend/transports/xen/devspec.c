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

int vg_devspec_parse(const char *s, struct vg_devspec *out, char *err,
		     size_t errlen)
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
		if (k == K_N) {
			snprintf(err, errlen,
				 "unknown key '%s' (domid, base, irq, grants, "
				 "irqtype)",
				 tok);
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
	for (k = K_DOMID; k <= K_IRQ; k++) {
		if (!seen[k]) {
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
