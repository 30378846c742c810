#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Arm64 Xen tier: Xen 4.20 rebuilt with the IOREQ server under
# qemu-system-aarch64 (TCG), the project's arm64 kernel as dom0 with
# Debian 13's arm64 Xen userland, the project's cross-built vgpiod and
# vgpio-assign on a gpio-sim chip, and a domU made by `xl create` from a
# config with a `virtio = [...]` entry (grant_usage=1): vgpiod finds the
# device in xenstore, claims and serves it, and the guest's libgpiod tools
# use the lines through grant-mapped rings.
#
#   usage: tests/vm-xen-arm64/run.sh VGPIOD VGPIO-ASSIGN   (arm64 binaries)
#
# Steps: host packages (apt, as root, only if missing); the kernel
# (tools/kernel-build.sh arm64) and the hypervisor (tools/xen-build.sh
# arm64), each cached by its own script; Debian 13's arm64 userland
# (xen-utils-4.20, xenstore-utils, busybox-static, gpiod and everything
# they depend on) through tools/apt-suite.sh -a arm64 -d; a base archive
# of that userland; the dom0 and guest images; one QEMU boot. dom0's
# /init is dom0-init.sh, the guest's domu-init.sh, its xl config
# domu.cfg.
#
# env: VGPIO_VM_CACHE          userland and base archive (default
#                              /var/cache/vgpio/vm); the kernel and the
#                              hypervisor have their scripts' caches
#      VGPIO_XEN_ARM64_OUT     images and logs (default: directory of VGPIOD)
#      VGPIO_XEN_ARM64_TIMEOUT seconds the machine may run (default 900)
#
# Output: dom0's and the guest's PASS:/FAIL: lines, then "TIER
# vm-xen-arm64: PASS|FAIL (...)". Exit: 0 all passed, 1 a check or a step
# failed, 77 QEMU cannot run here (after "SKIP: vm-xen-arm64: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}
TIMEOUT=${VGPIO_XEN_ARM64_TIMEOUT:-900}
QEMU=qemu-system-aarch64
HOST_PKGS="qemu-system-arm cpio file"
SUITE=trixie
# Xen's tools and xenstore client for dom0, busybox for both images, the
# libgpiod 2.x tools for the guest (and dom0).
USER_PKGS="xen-utils-4.20 xenstore-utils busybox-static gpiod"

if [ $# -ne 2 ]; then
	echo "usage: tests/vm-xen-arm64/run.sh VGPIOD VGPIO-ASSIGN" >&2
	exit 1
fi
for p in "$@"; do
	[ -x "$p" ] || { echo "FAIL: vm-xen-arm64: program $p not found" >&2; exit 1; }
done
OUT=${VGPIO_XEN_ARM64_OUT:-$(dirname "$1")/tests/vm-xen-arm64}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIER=vm-xen-arm64
# shellcheck source=tests/lib/qemu.sh
. "$TOP/tests/lib/qemu.sh"

# guest-loader's options are comma-separated.
case $OUT$CACHE in *,*) fail paths "no commas allowed in $OUT or $CACHE" ;; esac
for p in "$@"; do
	case $(file -b "$p") in
	*aarch64*) ;;
	*) fail programs "$p is not an arm64 program (make cross-arm64)" ;;
	esac
done

# shellcheck disable=SC2086 # a list of package names
host_packages $HOST_PKGS
"$QEMU" --version >/dev/null 2>&1 || skip "$QEMU does not run on this machine"
QEMU_VER=$("$QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')

# --- kernel and hypervisor: the project's recipes, cached by them -----------
note "kernel (tools/kernel-build.sh arm64; a cache miss builds for minutes)"
KDIR=$("$TOP/tools/kernel-build.sh" arm64 2>"$OUT/kernel-build.log") ||
	fail kernel-build "tools/kernel-build.sh arm64" "$OUT/kernel-build.log"
note "hypervisor (tools/xen-build.sh arm64; a cache miss builds for a minute)"
XDIR=$("$TOP/tools/xen-build.sh" arm64 2>"$OUT/xen-build.log") ||
	fail xen-build "tools/xen-build.sh arm64" "$OUT/xen-build.log"

mkdir -p "$CACHE" || fail cache "cannot create $CACHE (set VGPIO_VM_CACHE)"
exec 9>"$CACHE/lock"
flock 9 || fail cache "cannot lock $CACHE/lock"

# --- Debian 13's arm64 userland -----------------------------------------------
U=$CACHE/arm64-$SUITE
fetch_userland() {
	rm -rf "$U"
	# shellcheck disable=SC2086 # a list of package names
	sh "$TOP/tools/apt-suite.sh" -a arm64 -d "$U" "$SUITE" $USER_PKGS
	for d in "$U"/apt/debs/*.deb; do dpkg-deb -x "$d" "$U/root"; done
	ls "$U"/apt/debs >"$U/fetched.tmp"
	rm -rf "$U/apt/debs"
	echo "$USER_PKGS" >>"$U/fetched.tmp"
	mv "$U/fetched.tmp" "$U/fetched"
}
if [ "$(tail -n 1 "$U/fetched" 2>/dev/null)" != "$USER_PKGS" ]; then
	note "fetching the arm64 userland ($USER_PKGS) from Debian $SUITE"
	step fetch-userland "download of $USER_PKGS for arm64" fetch_userland
fi

# --- the base archive: busybox, libraries, Xen's tools, gpiod tools ------------
# Both images take it (the guest ignores Xen's tools): one archive to
# build and cache, and the guest's copy costs only memory.
BKEY="recipe=1 $(tr '\n' ' ' <"$U/fetched")"
BASE=$U/base.cpio.gz
build_base() {
	r=$U/tree
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/usr/lib" "$r/usr/bin" "$r/usr/sbin" "$r/proc" \
		"$r/sys" "$r/dev" "$r/tmp" "$r/run" "$r/var/log" "$r/etc"
	# The /init scripts link the other applets (busybox --install).
	cp "$U/root/usr/bin/busybox" "$r/bin/busybox"
	ln -s busybox "$r/bin/sh"
	# Merged /usr: the loader and libraries live in /usr/lib.
	ln -s usr/lib "$r/lib"
	cp -a "$U/root/usr/lib/aarch64-linux-gnu" "$U/root/usr/lib/ld-linux-aarch64.so.1" \
		"$U/root/usr/lib/xen-4.20" "$U/root/usr/lib/xen-common" "$r/usr/lib/"
	# What glibc programs and the libraries never use here.
	rm -rf "$r"/usr/lib/aarch64-linux-gnu/{perl*,python*,gconv,systemd,libpython*}
	cp -a "$U/root/usr/sbin/." "$r/usr/sbin/"
	for t in xenstore xenstore-exists xenstore-list xenstore-ls xenstore-read \
		xenstore-rm xenstore-watch xenstore-write xenstore-chmod \
		gpiodetect gpioinfo gpioget gpioset gpiomon; do
		cp -a "$U/root/usr/bin/$t" "$r/usr/bin/"
	done
	cp -a "$U/root/etc/xen" "$r/etc/"
	pack "$r" "$BASE"
	echo "$BKEY" >"$BASE.key"
	rm -rf "$r"
}
if [ "$(cat "$BASE.key" 2>/dev/null)" != "$BKEY" ]; then
	note "building the arm64 base archive"
	step base "arm64 base archive" build_base
fi

# --- this run: the guest's image, then dom0's -------------------------------------
# (The overlays put files in usr/lib: a "lib" directory in an overlay
# would replace the base's lib -> usr/lib link.)
build_images() {
	r=$OUT/domu-tree
	rm -rf "$r"
	mkdir -p "$r/usr/lib"
	install -m 755 "$HERE/domu-init.sh" "$r/init"
	cp "$TOP/tests/vm-xen/checks.sh" "$r/usr/lib/"
	pack "$r" "$OUT/domu-overlay.cpio.gz"
	r=$OUT/dom0-tree
	rm -rf "$r"
	mkdir -p "$r/usr/bin" "$r/usr/lib" "$r/etc/xen" "$r/boot"
	cat "$BASE" "$OUT/domu-overlay.cpio.gz" >"$r/boot/initrd-domu.gz"
	cp "$KDIR/Image" "$r/boot/Image"
	cp "$HERE"/domu*.cfg "$r/etc/xen/"
	install -m 755 "$HERE/dom0-init.sh" "$r/init"
	cp "$TOP/tests/vm-xen/checks.sh" "$r/usr/lib/"
	cp "$@" "$r/usr/bin/"
	pack "$r" "$OUT/dom0-overlay.cpio.gz"
	cat "$BASE" "$OUT/dom0-overlay.cpio.gz" >"$OUT/dom0.cpio.gz"
}
step initramfs "packing the guest and dom0 images" build_images "$@"

# --- boot ------------------------------------------------------------------------
# Xen is QEMU's -kernel; dom0's kernel and initramfs are loaded by two
# guest-loader devices, which also write the /chosen nodes Xen reads.
XEN_CMDLINE="dom0_mem=1024M console=dtuart loglvl=all guest_loglvl=all"
DOM0_CMDLINE="console=hvc0 panic=-1"
LOG=$OUT/console.log
note "booting Xen ($(basename "$XDIR")) with dom0 $(basename "$KDIR") under QEMU $QEMU_VER (TCG)"
t_boot=$(date +%s%N)
qrc=0
timeout -k 5 "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version=3 \
	-cpu cortex-a57 -m 2048 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$XDIR/xen" -append "$XEN_CMDLINE" \
	-device "guest-loader,addr=0x49000000,kernel=$KDIR/Image,bootargs=$DOM0_CMDLINE" \
	-device "guest-loader,addr=0x50000000,initrd=$OUT/dom0.cpio.gz" \
	</dev/null >"$LOG" 2>&1 || qrc=$?
boot_ms=$((($(date +%s%N) - t_boot) / 1000000))

# --- verdict ---------------------------------------------------------------------
note "machine ran $boot_ms ms (tcg); console log: $LOG"
verdict "$LOG" "$qrc" VGPIO-XEN "machine $((boot_ms / 1000)) s"
