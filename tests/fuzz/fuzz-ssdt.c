// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz what an administrator's device options go through before they
 * become an ACPI table (vgpio-assign xl-config) or a served window
 * (vgpiod --device): the SPEC parser and its one-key form
 * (backend/transports/xen/devspec.c), the ISA IRQ check, and the SSDT
 * encoder (ssdt.c).
 *
 *   byte 0   the table's uid (b % 32: some out of range) and, in bit 7,
 *            whether the rest is one key's value (key: byte 1 % 6)
 *   then     the text: a whole SPEC, or one value
 *
 * Checked: nothing crashes; a refusal has a message; an accepted spec
 * holds what the parser promises (aligned base, domid in range, irq in
 * its kind's range); a table is built exactly when the window lies below
 * 4 GiB and the irq and uid are in range, and then its length field,
 * checksum and size are right.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "devspec.h"
#include "fuzz-input.h"
#include "ssdt.h"

static void check_table(const struct vg_devspec *d, unsigned int uid)
{
	const struct vg_ssdt_dev sd = {.base = d->base,
				       .size = VG_DEVSPEC_WINDOW,
				       .irq = d->irq,
				       .uid = uid};
	bool fits = d->base <= 0x100000000ull - VG_DEVSPEC_WINDOW &&
		    d->irq >= 1 && d->irq <= 255 && uid <= VG_SSDT_UID_MAX;
	uint8_t t[VG_SSDT_MAX];
	uint8_t sum = 0;
	int n, i;

	n = vg_ssdt_build(&sd, t, sizeof(t));
	if (!fits) {
		VG_FUZZ_CHECK(n == -EINVAL);
		return;
	}
	VG_FUZZ_CHECK(n > (int)VG_SSDT_HDR && n <= (int)VG_SSDT_MAX);
	VG_FUZZ_CHECK(!memcmp(t, "SSDT", 4));
	VG_FUZZ_CHECK((uint32_t)(t[4] | t[5] << 8 | t[6] << 16 |
				 (uint32_t)t[7] << 24) == (uint32_t)n);
	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + t[i]);
	VG_FUZZ_CHECK(sum == 0);
}

static void check_spec(const struct vg_devspec *d, bool whole)
{
	const char *what = NULL;
	enum vg_isa_use use;

	VG_FUZZ_CHECK(d->base % VG_DEVSPEC_WINDOW == 0);
	VG_FUZZ_CHECK(d->domid <= VG_DEVSPEC_DOMID_MAX);
	VG_FUZZ_CHECK(d->irq <= 1019);
	/* A whole SPEC is checked as a whole; one key leaves the irq. */
	if (whole && d->irq_kind != VG_IRQ_DEFAULT)
		VG_FUZZ_CHECK(vg_devspec_irq_ok(d->irq_kind, d->irq));
	use = vg_devspec_isa_use(d->irq, &what);
	VG_FUZZ_CHECK(what && (use == VG_ISA_FREE) == !*what);
	VG_FUZZ_CHECK(d->irq < 16 || use == VG_ISA_FIRMWARE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"domid",  "base",	"irq",
					   "grants", "irqtype", "speed"};
	struct vg_fuzz_in in = {data, size};
	struct vg_devspec d = {0};
	uint8_t mode = vg_fuzz_u8(&in);
	unsigned int uid = mode % 32;
	char err[256] = "", *s;
	int rc;

	if (mode & 0x80) {
		const char *key = keys[vg_fuzz_u8(&in) % 6];

		if (in.n > 512)
			return 0;
		s = strndup((const char *)in.p, in.n);
		VG_FUZZ_CHECK(s);
		rc = vg_devspec_set(&d, key, s, err, sizeof(err));
	} else {
		if (in.n > 512)
			return 0;
		s = strndup((const char *)in.p, in.n);
		VG_FUZZ_CHECK(s);
		rc = vg_devspec_parse(s, &d, err, sizeof(err));
	}
	free(s);
	VG_FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		VG_FUZZ_CHECK(err[0]);
		return 0;
	}
	check_spec(&d, !(mode & 0x80));
	check_table(&d, uid);
	return 0;
}
