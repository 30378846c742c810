/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ACPI SSDT, in binary AML, that describes one virtio-mmio device to an
 * x86 HVM guest: xl's `acpi_firmware = "FILE"` hands the file to the
 * guest's firmware, which adds it to the guest's ACPI tables, and Linux's
 * virtio_mmio driver binds to the device by its hardware ID, LNRO0005,
 * with no kernel command line (docs/xen.md, section 5). The table is
 *
 *   DefinitionBlock ("", "SSDT", 2, "VGPIO ", "VIRTGPIO", 1)
 *   Scope (\_SB) {
 *     Device (VGPn) {                      n: the uid in hexadecimal
 *       Name (_HID, "LNRO0005")
 *       Name (_UID, uid)
 *       Name (_CRS, ResourceTemplate () {
 *         Memory32Fixed (ReadWrite, base, size)
 *         Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {irq}
 *       })
 *     }
 *   }
 *
 * The interrupt is level-triggered and active-high because vgpiod holds
 * the ISA IRQ's level at InterruptStatus != 0 (xendevicemodel's
 * set_isa_irq_level), as an ISA line is driven; an edge trigger would
 * lose an interrupt raised while the guest's handler runs. It is an
 * Extended Interrupt descriptor, not IRQ(): Linux applies the MADT's
 * ISA defaults (edge) over an IRQ() descriptor's flags but takes an
 * Extended Interrupt's from the table as written.
 *
 * Pure code: no Xen headers, no allocation, no logging.
 */
#ifndef VGPIO_SSDT_H
#define VGPIO_SSDT_H

#include <stddef.h>
#include <stdint.h>

/* Room for one device's table: the encoder needs less than this. */
#define VG_SSDT_MAX 256u
/* The ACPI table header's size; the AML follows it. */
#define VG_SSDT_HDR 36u
/* Devices are named VGP0..VGPF, one per table. */
#define VG_SSDT_UID_MAX 15u

struct vg_ssdt_dev {
	uint64_t base; /* guest-physical window, below 4 GiB */
	uint32_t size; /* window length, not zero */
	unsigned int irq; /* the interrupt's GSI (an ISA IRQ: 1..15) */
	unsigned int uid; /* _UID and the name's digit, 0..VG_SSDT_UID_MAX */
};

/*
 * Write the SSDT for @d into @buf (@cap bytes). The table's length on
 * success; -EINVAL if the window is empty or ends above 4 GiB
 * (Memory32Fixed), the irq is above 255 or the uid above
 * VG_SSDT_UID_MAX; -ENOSPC if @cap is too small. Nothing is logged.
 */
int vg_ssdt_build(const struct vg_ssdt_dev *d, uint8_t *buf, size_t cap);

#endif /* VGPIO_SSDT_H */
