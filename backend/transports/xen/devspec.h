/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One Xen virtio-gpio device window as the Xen transport serves it: which
 * guest, where its 0x200-byte register window is, which interrupt, and
 * whether buffer addresses are grant addresses. Comes from xenstore (libxl
 * `virtio=`) or from the command line (`vgpiod --device`, manual mode),
 * whose syntax vg_devspec_parse() reads:
 *
 *   domid=N,base=ADDR,irq=N[,grants=0|1][,irqtype=spi|isa]
 *
 * Numbers are decimal, or hexadecimal with 0x (base/num.h's rule). Pure
 * code: no Xen headers.
 */
#ifndef VGPIO_DEVSPEC_H
#define VGPIO_DEVSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Size of a virtio-mmio device window (libxl's VIRTIO_MMIO_DEV_SIZE). */
#define VG_DEVSPEC_WINDOW 0x200u
/* Domain IDs at and above this are reserved by Xen (DOMID_FIRST_RESERVED). */
#define VG_DEVSPEC_DOMID_MAX 0x7fefu

enum vg_irq_kind {
	VG_IRQ_DEFAULT = 0, /* SPI on Arm builds, ISA on x86 builds */
	VG_IRQ_SPI, /* Arm GIC SPI (INTID 32..1019), edge, set_irq_level */
	VG_IRQ_ISA, /* x86 HVM ISA IRQ (1..15), level, set_isa_irq_level */
};

struct vg_devspec {
	unsigned int domid;
	uint64_t base; /* guest-physical, VG_DEVSPEC_WINDOW aligned */
	unsigned int irq;
	bool grants; /* buffer addresses are grant addresses (bit 63) */
	enum vg_irq_kind irq_kind;
};

/*
 * Parse @s into *out. 0, or -EINVAL with a message naming the problem
 * (unknown or repeated key, missing key, bad number, misaligned or
 * overflowing base, irq out of range for its kind) in @err.
 */
int vg_devspec_parse(const char *s, struct vg_devspec *out, char *err,
		     size_t errlen);

/*
 * Parse @s, "domid=N,base=ADDR" (keys in any order, by the same rules),
 * naming a device window by its place: for removing one. 0, or -EINVAL
 * with a message in @err.
 */
int vg_devspec_parse_at(const char *s, unsigned int *domid, uint64_t *base,
			char *err, size_t errlen);

/*
 * Set key @key of *d from @value as the SPEC "key=value" would, by the
 * same rules and with the same messages: for tools that take the keys as
 * options. 0, or -EINVAL (an unknown key, a bad value) with a message in
 * @err. The irq's range for its kind is left to vg_devspec_irq_ok().
 */
int vg_devspec_set(struct vg_devspec *d, const char *key, const char *value,
		   char *err, size_t errlen);

/* Check the irq against its kind's range (after defaulting). */
bool vg_devspec_irq_ok(enum vg_irq_kind kind, unsigned int irq);

/*
 * Who else uses an ISA IRQ in an x86 HVM guest (docs/xen.md, section 5).
 * hvmloader's MADT and FADT and Xen's own devices fix some: those are
 * refused, since the guest's I/O APIC pin would carry two sources with
 * different triggers. Others belong to a device QEMU emulates when the
 * guest's configuration has it (a serial port, PS/2, IDE): those are
 * allowed with a warning, as the administrator may have left it out.
 */
enum vg_isa_use {
	VG_ISA_FREE = 0, /* nothing in the firmware or the usual devices */
	VG_ISA_DEVICE, /* an emulated device's, when present: warn */
	VG_ISA_FIRMWARE, /* the firmware or Xen routes it elsewhere: refuse */
};

/*
 * What ISA IRQ @irq is used for; *what (if not NULL) says by whom, for
 * a message ("" when free). Out-of-range IRQs are VG_ISA_FIRMWARE.
 */
enum vg_isa_use vg_devspec_isa_use(unsigned int irq, const char **what);

#endif /* VGPIO_DEVSPEC_H */
