#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Kernel smoke test: build (or take from the cache) the project's kernel
# for ARCH with tools/kernel-build.sh, and boot it under QEMU (TCG) to a
# busybox /init (tests/kernel/init.sh) that checks the features the Xen
# tiers need: virtio-mmio, gpio-virtio, configfs and gpio-sim, the GPIO
# character device; with `xen`, as dom0 of Debian 13's Xen, also xenfs,
# control_d and the /dev/xen device files.
#
#   usage: tests/kernel/run.sh ARCH [xen]   (ARCH: arm64 or x86_64;
#                                           xen: arm64 only)
#
# Steps: host packages (apt, as root, only if missing); the kernel
# (tools/kernel-build.sh, cached in $VGPIO_KERNEL_CACHE); a static busybox
# for ARCH (the host's on x86_64; Debian 13's busybox-static on arm64,
# fetched once by tools/apt-suite.sh into the kernel cache); an initramfs
# of busybox and /init; one QEMU boot: `-M virt -cpu cortex-a57` with the
# PL011 console on arm64, `-M pc` with the 8250 console and a
# `virtio_mmio.device=` argument on x86_64. With `xen`: Debian 13's stock
# arm64 hypervisor (its package fetched once into the kernel cache) on
# `-M virt,virtualization=on`, the kernel and initramfs loaded as dom0 by
# QEMU's guest-loader, console hvc0.
#
# env: VGPIO_KERNEL_CACHE   the kernel cache (default /var/cache/vgpio/kernel)
#      VGPIO_KERNEL_OUT     initramfs and logs (default build/tests/kernel)
#      VGPIO_KERNEL_TIMEOUT seconds the machine may run (default 120)
#
# Output: the guest's PASS:/FAIL: lines, then "TIER kernel-ARCH[-xen]:
# PASS|FAIL (...)". Exit: 0 all passed, 1 a check or a step failed, 77 QEMU cannot
# run here (after "SKIP: kernel-ARCH: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
KCACHE=${VGPIO_KERNEL_CACHE:-/var/cache/vgpio/kernel}
TIMEOUT=${VGPIO_KERNEL_TIMEOUT:-120}
SUITE=trixie
# Debian 13's arm64 hypervisor (stock: no IOREQ server, which dom0's
# boot does not need).
XEN_PKG=xen-hypervisor-4.20-arm64

if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != xen ]; }; then
	echo "usage: tests/kernel/run.sh ARCH [xen]" >&2
	exit 1
fi
ARCH=$1
XEN=${2:-}
[ -z "$XEN" ] || [ "$ARCH" = arm64 ] || {
	echo "tests/kernel/run.sh: xen: arm64 only" >&2
	exit 1
}
case $ARCH in
arm64)
	QEMU=qemu-system-aarch64
	HOST_PKGS="qemu-system-arm cpio"
	IMAGE=Image
	;;
x86_64)
	QEMU=qemu-system-x86_64
	HOST_PKGS="qemu-system-x86 busybox-static cpio"
	IMAGE=bzImage
	;;
*)
	echo "usage: tests/kernel/run.sh arm64|x86_64" >&2
	exit 1
	;;
esac
OUT=${VGPIO_KERNEL_OUT:-build/tests/kernel}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIER=kernel-$ARCH${XEN:+-xen}
# shellcheck source=tests/lib/qemu.sh disable=SC2034
. "$TOP/tests/lib/qemu.sh"

# shellcheck disable=SC2086 # a list of package names
host_packages $HOST_PKGS
"$QEMU" --version >/dev/null 2>&1 || skip "$QEMU does not run on this machine"

# --- the kernel -------------------------------------------------------------------
note "kernel for $ARCH (tools/kernel-build.sh; a cache miss builds for minutes)"
KDIR=$("$TOP/tools/kernel-build.sh" "$ARCH" 2>"$OUT/kernel-build-$ARCH.log") ||
	fail kernel-build "tools/kernel-build.sh $ARCH" "$OUT/kernel-build-$ARCH.log"
note "kernel: $KDIR/$IMAGE"

# --- busybox for ARCH ----------------------------------------------------------------
if [ "$ARCH" = x86_64 ]; then
	BUSYBOX=$(command -v busybox) || fail busybox "busybox not found"
else
	BB=$KCACHE/busybox-$ARCH
	fetch_busybox() {
		rm -rf "$BB"
		sh "$TOP/tools/apt-suite.sh" -a "$ARCH" "$BB" "$SUITE" busybox-static
		dpkg-deb -x "$BB"/apt/debs/busybox-static_*.deb "$BB/root"
		cp "$BB/root/usr/bin/busybox" "$BB/busybox"
		rm -rf "$BB/root" "$BB/apt/debs"
	}
	if [ ! -f "$BB/busybox" ]; then
		note "fetching busybox-static for $ARCH from Debian $SUITE"
		step fetch-busybox "download of busybox-static:$ARCH" fetch_busybox
	fi
	BUSYBOX=$BB/busybox
fi
case $(file -b "$BUSYBOX") in
*dynamic*) fail busybox "$BUSYBOX is dynamically linked (need busybox-static)" ;;
esac

# --- the hypervisor (xen) -------------------------------------------------------------
if [ -n "$XEN" ]; then
	XD=$KCACHE/xen-$ARCH
	fetch_xen() {
		rm -rf "$XD"
		sh "$TOP/tools/apt-suite.sh" -a "$ARCH" "$XD" "$SUITE" "$XEN_PKG"
		dpkg-deb -x "$XD"/apt/debs/"${XEN_PKG}"_*.deb "$XD/root"
		# /boot/xen-X.Y-arm64 is an arm64 Image that QEMU boots as is.
		cp "$XD"/root/boot/xen-*-arm64 "$XD/xen"
		dpkg-deb -f "$XD"/apt/debs/"${XEN_PKG}"_*.deb Version >"$XD/version"
		rm -rf "$XD/root" "$XD/apt/debs"
	}
	if [ ! -f "$XD/xen" ]; then
		note "fetching $XEN_PKG from Debian $SUITE"
		step fetch-xen "download of $XEN_PKG" fetch_xen
	fi
	note "hypervisor: $XEN_PKG $(cat "$XD/version")"
fi

# --- initramfs and boot ------------------------------------------------------------
T=$OUT/initramfs-$ARCH
rm -rf "$T"
mkdir -p "$T/bin"
cp "$BUSYBOX" "$T/bin/busybox"
cp "$HERE/init.sh" "$T/init"
chmod 0755 "$T/init"
pack "$T" "$OUT/initramfs-$ARCH.cpio.gz"

LOG=$OUT/console-$ARCH${XEN:+-xen}.log
note "booting under $QEMU (TCG), console in $LOG"
boot_start=$(elapsed)
set +e
if [ -n "$XEN" ]; then
	# guest-loader's options are comma-separated.
	case $KDIR$OUT in *,*) fail paths "no commas allowed in $KDIR or $OUT" ;; esac
	timeout -k 5 "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version=3 \
		-cpu cortex-a57 -m 1024 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$XD/xen" -append "dom0_mem=256M console=dtuart" \
		-device "guest-loader,addr=0x49000000,kernel=$KDIR/$IMAGE,bootargs=console=hvc0 panic=-1" \
		-device "guest-loader,addr=0x50000000,initrd=$OUT/initramfs-$ARCH.cpio.gz" \
		</dev/null >"$LOG" 2>&1
elif [ "$ARCH" = arm64 ]; then
	timeout -k 5 "$TIMEOUT" "$QEMU" -M virt -cpu cortex-a57 -m 256 -smp 2 \
		-nographic -no-reboot -nic none \
		-kernel "$KDIR/$IMAGE" -initrd "$OUT/initramfs-$ARCH.cpio.gz" \
		-append "console=ttyAMA0 panic=-1" </dev/null >"$LOG" 2>&1
else
	# The window is the one the x86 Xen tier gives its guest; nothing
	# answers there, but the platform device must exist.
	timeout -k 5 "$TIMEOUT" "$QEMU" -M pc -cpu max -m 256 -smp 2 \
		-nographic -no-reboot -nic none \
		-kernel "$KDIR/$IMAGE" -initrd "$OUT/initramfs-$ARCH.cpio.gz" \
		-append "console=ttyS0 panic=-1 virtio_mmio.device=0x200@0xfe000000:3" \
		</dev/null >"$LOG" 2>&1
fi
qrc=$?
set -e
verdict "$LOG" "$qrc" VGPIO-KERNEL "boot and checks $(($(elapsed) - boot_start)) ms"
