#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the Xen tier's HVM guest (busybox sh; libgpiod 2.x tools in
# /usr/bin). Loads Debian's virtio core, virtio_mmio rebuilt with
# device= support (told where vgpiod's window is) and the stock
# gpio-virtio driver, then drives the virtio gpiochip with the libgpiod
# tools. Its serial console is a file in dom0: "PASS:"/"FAIL:" lines are
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
WHO=domU
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

MMIO=$(sed -n 's/.*vgpio_mmio=\([^ ]*\).*/\1/p' /proc/cmdline)
setup "vgpio_mmio= on the kernel command line" test -n "$MMIO"
setup "load virtio_ring" insmod /lib/modules/virtio_ring.ko
setup "load virtio" insmod /lib/modules/virtio.ko
setup "load virtio_mmio device=$MMIO" insmod /lib/modules/virtio_mmio.ko "device=$MMIO"
setup "load gpio-virtio" insmod /lib/modules/gpio-virtio.ko
setup "the virtio gpiochip appears" until_ok 20 test -c /dev/gpiochip0
echo "INFO: domU: gpiochip0 at uptime $(cut -d' ' -f1 /proc/uptime)s"

# The GPIO checks shared with the Arm64 tier (checks.sh).
guest_detect
guest_output
guest_edge

# A driver reload resets the device (status 0) and sets it up again:
# vgpiod drops the queues' mappings and maps the new rings.
setup "unload gpio-virtio" rmmod gpio_virtio
setup "the gpiochip goes away" until_ok 10 test ! -e /dev/gpiochip0
setup "reload gpio-virtio" insmod /lib/modules/gpio-virtio.ko
setup "the gpiochip comes back" until_ok 20 test -c /dev/gpiochip0
check "gpioget button after a driver reload" 0 "$(get 1)"

# Refusals, then led and relay held while dom0 destroys this domain.
guest_refusals_hold
