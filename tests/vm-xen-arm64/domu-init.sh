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
WHO=domU
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

setup "the virtio gpiochip appears" until_ok 20 test -c /dev/gpiochip0
echo "INFO: domU: gpiochip0 at uptime $(cut -d' ' -f1 /proc/uptime)s"
gpiodetect >/tmp/detect 2>&1
check "gpiodetect exit status" 0 $?
cat /tmp/detect
check "gpiodetect: one chip, the domain's 3 lines" 1 \
	"$(grep -c '^gpiochip0 .*(3 lines)' /tmp/detect)"
gpioinfo -c gpiochip0 >/tmp/info 2>&1
check "gpioinfo exit status" 0 $?
cat /tmp/info
for n in led button relay; do
	check "gpioinfo names line \"$n\"" 1 "$(grep -c "\"$n\"" /tmp/info)"
done

echo "VGPIO-WAIT destroy"
sleep 600
fail "dom0 did not destroy the domain"
finish
