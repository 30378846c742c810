#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the Xen tier's HVM guest (busybox sh; libgpiod 2.x tools in
# /usr/bin). dom0 boots it twice. First the project's x86_64 kernel,
# whose virtio_mmio (told the window by virtio_mmio.device=), grant DMA
# and gpio-virtio drivers are built in: it binds virtio-mmio once dom0
# has started vgpiod (see below), then the full checks, with grants.
# Then Debian's kernel (vgpio_run=foreign): it loads Debian's virtio
# core and Debian's own virtio_mmio, which finds the device through the
# ACPI table (LNRO0005) dom0 gave the guest with acpi_firmware, and the
# gpio-virtio driver (built from Debian's source), and runs the short
# checks, with foreign mapping. Both drive the virtio
# gpiochip with the libgpiod tools. Its serial console is a file in dom0: "PASS:"/"FAIL:" lines are
# the guest's checks; "VGPIO-WAIT NAME" asks dom0 to check or do the
# host side of a step. dom0 answers through the GPIO lines themselves
# (a pull on "button"), so the guest polls for the effect with a limit.
#
# Guest lines, in the policy's order: 0 led (out, safe low), 1 button
# (in, irq), 2 relay (out, safe high). The host chip has a fourth line
# that the policy does not give this domain.
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "VGPIO-DOMU-START uptime $(cut -d' ' -f1 /proc/uptime)s"

finish() {
	echo "VGPIO-DOMU-DONE"
	sleep 1
	poweroff -f
}
RUN=$(sed -n 's/.*vgpio_run=\([a-z]*\).*/\1/p' /proc/cmdline)
WHO=domU${RUN:+-$RUN}
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

if [ "$RUN" = foreign ]; then
	# The firmware's ACPI tables carry vgpio-assign's SSDT: a LNRO0005
	# device, which Debian's virtio_mmio binds with no device=.
	check "ACPI describes the LNRO0005 device (acpi_firmware)" 1 \
		"$(ls -d /sys/bus/acpi/devices/LNRO0005:* 2>/dev/null | wc -l)"
	setup "load virtio_ring" insmod /lib/modules/virtio_ring.ko
	setup "load virtio" insmod /lib/modules/virtio.ko
	setup "load Debian's virtio_mmio (no device=)" insmod /lib/modules/virtio_mmio.ko
	check "Debian's virtio_mmio bound the ACPI device" 1 \
		"$(ls -d /sys/bus/platform/drivers/virtio-mmio/LNRO0005:* 2>/dev/null | wc -l)"
	setup "load gpio-virtio" insmod /lib/modules/gpio-virtio.ko
else
	# The built-in virtio_mmio probes its device= window during boot,
	# before the Xen platform PCI driver has set up the grant table (it
	# links later), and allocating a granted ring then would crash in
	# gnttab_expand. So dom0 starts vgpiod only when this guest asks:
	# the boot probe finds no device (wrong magic), and the device is
	# bound here, with the grant table ready.
	PDRV=/sys/bus/platform/drivers/virtio-mmio
	check "the boot-time probe found no device" 0 \
		"$(ls /sys/bus/virtio/devices | wc -l)"
	echo "VGPIO-WAIT vgpiod"
	setup "bind virtio-mmio.0 once vgpiod serves it" until_ok 120 \
		sh -c "echo virtio-mmio.0 >$PDRV/bind"
fi
# The guest's GPIO checks, shared with the other Xen tier (checks.sh).
guest_checks
