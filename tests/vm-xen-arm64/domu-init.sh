#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the Arm64 Xen tier's guest (busybox sh; libgpiod 2.x tools in
# /usr/bin; the project's kernel, whose virtio-mmio, grant DMA and
# gpio-virtio drivers are built in and bind through the device tree that
# libxl wrote). Uses the virtio gpiochip with the libgpiod tools. Its
# console (hvc0) is a file in dom0: "PASS:"/"FAIL:" lines are the guest's
# checks; "VGPIO-WAIT NAME" asks dom0 to check or do the host side of a
# step.
#
# Guest lines, in the policy's order: 0 led (out, safe low), 1 button
# (in, irq), 2 relay (out, safe high).
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "VGPIO-DOMU-START uptime $(cut -d' ' -f1 /proc/uptime)s"

finish() {
	echo "VGPIO-DOMU-DONE"
	sleep 1
	poweroff -f
}
# dom0 boots this guest twice: first with grants (the full checks), then
# re-created with grant_usage=0 (vgpio_run=foreign on the command line).
RUN=$(sed -n 's/.*vgpio_run=\([a-z]*\).*/\1/p' /proc/cmdline)
WHO=domU${RUN:+-$RUN}
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

# The guest's GPIO checks, shared with the other Xen tier (checks.sh).
guest_checks
