#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the VM test tier (busybox sh). Loads configfs, irq_sim and
# gpio-sim, creates one gpio-sim chip through configfs, runs every program
# in /tests, and powers off. The host reads the PASS:/FAIL: lines and the
# VGPIO-VM-START / VGPIO-VM-DONE markers from the serial console.
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "VGPIO-VM-START kernel $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s"

finish() {
	echo "VGPIO-VM-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
	poweroff -f
}

# setup DESCRIPTION CMD...: a failed setup step ends the run, as a FAIL.
setup() {
	desc=$1
	shift
	"$@" || {
		echo "FAIL: vm setup: $desc (exit $?)"
		finish
	}
}

load() {
	[ -d "/sys/module/$1" ] || insmod "/lib/modules/$2.ko"
}
setup "load configfs" load configfs configfs
setup "load irq_sim" load irq_sim irq_sim
setup "load gpio-sim" load gpio_sim gpio-sim
setup "mount configfs" mount -t configfs none /sys/kernel/config

# One bank of 8 lines; the tests find the chip by label and the lines they
# use by name (gpiosim-smoke: vgpio-*; test-vm-gpiod: vg-a..vg-e).
G=/sys/kernel/config/gpio-sim/vgpio
mkchip() {
	mkdir "$G" "$G/bank0" &&
		echo 8 >"$G/bank0/num_lines" &&
		echo vgpio-sim >"$G/bank0/label" &&
		for l in 0:vgpio-out 1:vgpio-in 2:vg-a 3:vg-b 4:vg-c 5:vg-d 6:vg-e \
			7:vgpio-spare; do
			mkdir "$G/bank0/line${l%%:*}" &&
				echo "${l#*:}" >"$G/bank0/line${l%%:*}/name" ||
				return 1
		done &&
		echo 1 >"$G/live"
}
setup "create the gpio-sim chip" mkchip
echo "INFO: gpio-sim $(cat "$G/dev_name") $(cat "$G/bank0/chip_name")"
# For the tests: the chip's sysfs side, and where vgpiod is.
export VGPIO_SIM_DIR="/sys/devices/platform/$(cat "$G/dev_name")/$(cat "$G/bank0/chip_name")"
export VGPIO_BUILD=/bin

for t in /tests/*; do
	"$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS: ${t##*/}: exit status 0"
	else
		echo "FAIL: ${t##*/}: exit status $rc"
	fi
done
finish
