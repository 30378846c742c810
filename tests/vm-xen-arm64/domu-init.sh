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

get() { gpioget --numeric -c gpiochip0 "$1"; }
check "gpioget button (host pull-down)" 0 "$(get 1)"

# Output: dom0 checks the host line, then pulls "button" up as its answer.
setup "gpioset led=1 (held)" gpioset -z -c gpiochip0 0=1
echo "VGPIO-WAIT led-high"
button_high() { test "$(get 1)" = 1; }
if until_ok 60 button_high; then
	pass "gpioget sees the host pull-up on button"
else
	fail "gpioget never saw the host pull-up on button"
fi
if [ "$RUN" = foreign ]; then
	killall gpioset
	echo "VGPIO-WAIT destroy"
	sleep 600
	fail "dom0 did not destroy the domain"
	finish
fi

# Release: the host line goes back to its safe value (dom0 checks).
killall gpioset
until_ok 10 sh -c '! pidof gpioset >/dev/null'
echo "VGPIO-WAIT led-released"

# Edge: gpiomon waits for the falling edge dom0 makes on the host line;
# it arrives on the eventq and through the device's SPI.
gpiomon -c gpiochip0 -e falling -n 1 1 >/tmp/mon 2>&1 &
MON=$!
if until_ok 10 sh -c 'gpioinfo -c gpiochip0 1 | grep -q gpiomon'; then
	pass "gpiomon holds button with edge detection"
else
	fail "gpiomon did not request button"
fi
echo "VGPIO-WAIT edge"
if until_ok 60 sh -c "! kill -0 $MON"; then
	wait $MON
	check "gpiomon exit status" 0 $?
	cat /tmp/mon
	check "gpiomon saw one falling edge" 1 "$(grep -c falling /tmp/mon)"
else
	kill $MON
	fail "gpiomon saw no edge within 60 s"
fi

# Unbinding and binding the (built-in) driver resets the device and sets
# it up again: vgpiod drops the queues' grant mappings and maps the new
# rings.
DRV=/sys/bus/virtio/drivers/gpio_virtio
VDEV=$(basename "$(ls -d $DRV/virtio* | sed -n 1p)")
setup "unbind gpio_virtio from $VDEV" sh -c "echo $VDEV >$DRV/unbind"
setup "the gpiochip goes away" until_ok 10 test ! -e /dev/gpiochip0
setup "bind gpio_virtio to $VDEV" sh -c "echo $VDEV >$DRV/bind"
setup "the gpiochip comes back" until_ok 20 test -c /dev/gpiochip0
check "gpioget button after unbind and bind" 0 "$(get 1)"

# The policy: the host chip's fourth line is not part of this device, and
# an input-only line cannot be driven.
gpioget -c gpiochip0 3 >/tmp/out 2>&1
check "gpioget of a line outside the policy fails" 1 $(($? != 0))
gpioset -t 0 -c gpiochip0 1=1 >/tmp/out 2>&1
check "gpioset of the input-only line fails" 1 $(($? != 0))
cat /tmp/out

# Teardown: hold led high and relay low; dom0 destroys this domain.
setup "gpioset led=1 relay=0 (held)" gpioset -z -c gpiochip0 0=1 2=0
echo "VGPIO-WAIT destroy"
sleep 600
fail "dom0 did not destroy the domain"
finish
