// SPDX-License-Identifier: BSD-3-Clause
/*
 * A small AML encoder, just what one device's SSDT needs (ssdt.h shows
 * the table). Encodings from the ACPI specification: the table header
 * (section 5.2.6, "System Description Table Header"), AML's PkgLength,
 * Scope, Device, Name, String and Integer terms (section 20.2, "AML
 * Grammar"), and the resource descriptors in _CRS's buffer (section 6.4,
 * "Resource Data Types for ACPI").
 */
#include <errno.h>
#include <string.h>
#include "ssdt.h"

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_STRING 0x0d
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_EXT 0x5b
#define AML_DEVICE 0x82 /* after AML_EXT */
#define AML_ROOT '\\'

/* Large resource descriptors: tag byte, then a 16-bit length. */
#define RES_MEM32_FIXED 0x86
#define RES_EXT_IRQ 0x89
#define RES_END 0x79 /* small descriptor: tag with length 1 */

#define MEM32_RW 0x01
/*
 * Extended Interrupt flags: bit 0 consumer, bit 1 edge (0: level), bit 2
 * active-low (0: high), bit 3 shared (0: exclusive). Level and high
 * because vgpiod holds the line at InterruptStatus != 0 (ssdt.h).
 */
#define EXT_IRQ_FLAGS 0x01

#define IRQ_MAX 255u

struct aml {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		a->err = -ENOSPC;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void put8(struct aml *a, uint8_t v)
{
	put(a, &v, 1);
}

static void put16(struct aml *a, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(a, b, sizeof(b));
}

static void put32(struct aml *a, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	put(a, b, sizeof(b));
}

/*
 * A package's PkgLength counts itself, so its size is known only once
 * the package's contents are: pkg_begin() notes where they start, and
 * pkg_end() moves them up to make room for the encoded length.
 */
static size_t pkg_begin(const struct aml *a)
{
	return a->len;
}

static void pkg_end(struct aml *a, size_t start)
{
	size_t n = a->len - start, total;
	uint8_t enc[4];
	unsigned int k, i;

	if (a->err)
		return;
	/* One byte holds up to 63; each further byte adds 8 bits to 4. */
	for (k = 1; k <= 4; k++) {
		total = n + k;
		if (k == 1 ? total <= 0x3f : total < (1ul << (4 + 8 * (k - 1))))
			break;
	}
	if (k > 4 || k > a->cap - a->len) {
		a->err = -ENOSPC;
		return;
	}
	if (k == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)(((k - 1) << 6) | (total & 0x0f));
		for (i = 1; i < k; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + start + k, a->buf + start, n);
	memcpy(a->buf + start, enc, k);
	a->len += k;
}

/* The shortest Integer encoding of @v (ZeroOp, OneOp, BytePrefix). */
static void put_int(struct aml *a, uint8_t v)
{
	if (v <= AML_ONE) {
		put8(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	put8(a, AML_BYTE);
	put8(a, v);
}

/* Name (_CRS, ResourceTemplate () {...}): a Buffer of descriptors. */
static void put_crs(struct aml *a, const struct vg_ssdt_dev *d)
{
	uint8_t res[32];
	struct aml r = {.buf = res, .cap = sizeof(res)};
	size_t pkg;

	put8(&r, RES_MEM32_FIXED);
	put16(&r, 9); /* information byte, base and length */
	put8(&r, MEM32_RW);
	put32(&r, (uint32_t)d->base);
	put32(&r, d->size);
	put8(&r, RES_EXT_IRQ);
	put16(&r, 6); /* flags, table length, one interrupt number */
	put8(&r, EXT_IRQ_FLAGS);
	put8(&r, 1);
	put32(&r, d->irq);
	put8(&r, RES_END);
	put8(&r, 0); /* no checksum: the specification allows zero */
	if (r.err) {
		a->err = r.err;
		return;
	}

	put8(a, AML_NAME);
	put(a, "_CRS", 4);
	put8(a, AML_BUFFER);
	pkg = pkg_begin(a);
	put_int(a, (uint8_t)r.len);
	put(a, res, r.len);
	pkg_end(a, pkg);
}

int vg_ssdt_build(const struct vg_ssdt_dev *d, uint8_t *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	struct aml a = {.buf = buf, .cap = cap};
	char name[4] = {'V', 'G', 'P', '0'};
	size_t scope, dev, i;
	uint8_t sum = 0;

	if (!d->size || d->base > UINT32_MAX ||
	    d->size - 1 > UINT32_MAX - d->base || !d->irq || d->irq > IRQ_MAX ||
	    d->uid > VG_SSDT_UID_MAX)
		return -EINVAL;
	name[3] = hex[d->uid];

	/* Header; the length and checksum are filled in at the end. */
	put(&a, "SSDT", 4);
	put32(&a, 0);
	/* Revision 2: integers are 64 bits wide (ACPI 2.0 and later). */
	put8(&a, 2);
	put8(&a, 0);
	put(&a, "VGPIO ", 6);
	put(&a, "VIRTGPIO", 8);
	put32(&a, 1);
	put(&a, "VGPI", 4); /* the "compiler": this encoder */
	put32(&a, 1);

	put8(&a, AML_SCOPE);
	scope = pkg_begin(&a);
	put8(&a, AML_ROOT);
	put(&a, "_SB_", 4);

	put8(&a, AML_EXT);
	put8(&a, AML_DEVICE);
	dev = pkg_begin(&a);
	put(&a, name, 4);

	put8(&a, AML_NAME);
	put(&a, "_HID", 4);
	put8(&a, AML_STRING);
	put(&a, "LNRO0005", 9); /* with its NUL */

	put8(&a, AML_NAME);
	put(&a, "_UID", 4);
	put_int(&a, (uint8_t)d->uid);

	put_crs(&a, d);
	pkg_end(&a, dev);
	pkg_end(&a, scope);
	if (a.err)
		return a.err;

	buf[4] = (uint8_t)a.len;
	buf[5] = (uint8_t)(a.len >> 8);
	buf[6] = (uint8_t)(a.len >> 16);
	buf[7] = (uint8_t)(a.len >> 24);
	/* The bytes of the whole table sum to zero (section 5.2.6). */
	for (i = 0; i < a.len; i++)
		sum = (uint8_t)(sum + buf[i]);
	buf[9] = (uint8_t)(0x100 - sum);
	return (int)a.len;
}
