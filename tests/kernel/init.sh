#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=dash
#
# /init of the kernel smoke test (tests/kernel/run.sh), a static busybox
# its only program. Checks that the kernel built from the project's
# fragment has, built in, what the Xen tiers will use: virtio-mmio (and,
# when the command line names a device, VIRTIO_MMIO_CMDLINE_DEVICES),
# the gpio-virtio driver, configfs with gpio-sim, the GPIO character
# device, and under Xen what dom0 needs (xenfs, control_d, /dev/xen/*);
# then powers off. The host reads the PASS:/FAIL: lines between
# the VGPIO-KERNEL-START and VGPIO-KERNEL-DONE markers on the console.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
echo "VGPIO-KERNEL-START $(uname -m) $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s"

check() {
	desc=$1
	shift
	if "$@"; then echo "PASS: kernel: $desc"; else echo "FAIL: kernel: $desc"; fi
}
has_fs() { grep -qw "$1" /proc/filesystems; }

check "initramfs, devtmpfs, tmpfs and configfs built in" \
	eval 'has_fs devtmpfs && has_fs tmpfs && has_fs configfs'
check "virtio bus (/sys/bus/virtio)" test -d /sys/bus/virtio
check "virtio-mmio driver registered" test -d /sys/bus/platform/drivers/virtio-mmio
check "gpio-virtio driver registered" test -d /sys/bus/virtio/drivers/gpio_virtio
if grep -q 'virtio_mmio.device=' /proc/cmdline; then
	# The driver makes a platform device per device= argument, whether
	# or not anything answers at that address.
	check "virtio_mmio.device= made a platform device" \
		test -e /sys/bus/platform/devices/virtio-mmio.0
fi

# gpio-sim: a chip of 4 lines made through configfs shows up as a GPIO
# character device.
G=/sys/kernel/config/gpio-sim/smoke
check "configfs mounted" mount -t configfs none /sys/kernel/config
check "gpio-sim in configfs" test -d /sys/kernel/config/gpio-sim
if mkdir "$G" && mkdir "$G/bank0" && echo 4 >"$G/bank0/num_lines" &&
	echo smoke >"$G/bank0/label" && echo 1 >"$G/live"; then
	chip=$(cat "$G/bank0/chip_name" 2>/dev/null)
	check "gpio-sim chip live as $chip" test -n "$chip"
	check "its character device /dev/$chip" test -c "/dev/$chip"
else
	echo "FAIL: kernel: creating a gpio-sim chip through configfs"
fi

# Under Xen this kernel is dom0: xenfs says so, and the device files a
# backend and Xen's tools use exist. Outside Xen there is nothing to see.
if [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]; then
	v=$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)
	echo "info: kernel: running under Xen $v"
	check "xenfs mounted on /proc/xen" mount -t xenfs xenfs /proc/xen
	check "dom0 (/proc/xen/capabilities: control_d)" \
		grep -qx control_d /proc/xen/capabilities
	for d in privcmd gntdev gntalloc evtchn xenbus xenbus_backend; do
		check "/dev/xen/$d" test -c "/dev/xen/$d"
	done
else
	echo "info: kernel: not running under Xen"
fi
echo "VGPIO-KERNEL-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
