#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VM test tier: boot Debian's own kernel under QEMU with gpio-sim built out
# of tree, create a gpio-sim chip in the guest and run test programs (built
# on the host against libgpiod 2.x) against it.
#
#   usage: tests/vm-gpiosim/run.sh PROG...
#
# Steps: host packages (apt, as root, only if missing); Debian's kernel,
# headers and source fetched with `apt-get download` from the system's own
# apt sources; irq_sim.ko and gpio-sim.ko built against them; a busybox
# initramfs with the modules, tests/vm-gpiosim/guest-init.sh as /init, PROG... and
# their shared libraries; one QEMU boot (KVM if it works, else TCG).
#
# Everything expensive is cached in $VGPIO_VM_CACHE (default
# /var/cache/vgpio/vm), keyed by the kernel ABI and package version, so a
# changed kernel rebuilds and a second run only repacks and boots.
#
# env: VGPIO_VM_CACHE    cache directory (outside the clone)
#      VGPIO_VM_OUT      initramfs and logs (default: directory of PROG)
#      VGPIO_VM_TIMEOUT  seconds the VM may run (default 180)
#      VGPIO_VM_ACCEL    auto (default), kvm or tcg
#      VGPIO_VM_KERNEL   kernel ABI instead of linux-image-amd64's
#      VGPIO_VM_BINS     programs the tests run (vgpiod): go to the guest's
#                        /bin with their libraries; the tests find them
#                        through VGPIO_BUILD=/bin
#
# Output: the guest's PASS:/FAIL: lines, then "TIER vm-gpiosim: PASS|FAIL (...)".
# Exit: 0 all passed, 1 a check or a step failed, 77 QEMU cannot run here
# (prints "SKIP: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}
TIMEOUT=${VGPIO_VM_TIMEOUT:-180}
ACCEL=${VGPIO_VM_ACCEL:-auto}
HOST_PKGS="qemu-system-x86 busybox-static cpio xz-utils gcc make file"

if [ $# -eq 0 ]; then
	echo "usage: tests/vm-gpiosim/run.sh PROG..." >&2
	exit 1
fi
for p in "$@" ${VGPIO_VM_BINS:-}; do
	[ -x "$p" ] || { echo "FAIL: vm-gpiosim: test program $p not found" >&2; exit 1; }
done
OUT=${VGPIO_VM_OUT:-$(dirname "$1")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIER=vm-gpiosim
# shellcheck source=tests/lib/qemu.sh disable=SC2034
. "$HERE/../lib/qemu.sh"

# shellcheck disable=SC2086 # a list of package names
vm_prepare $HOST_PKGS

# --- initramfs: cached base (busybox, modules) + this run's programs ------------
BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
BASE=$K/base-busybox-$(echo "$BBVER" | tr -c "A-Za-z0-9.+\n-" _).cpio.gz
build_base() {
	r=$K/base-tree
	rm -rf "$r"
	busybox_tree "$r"
	image_module "$r" fs/configfs/configfs.ko
	cp "$M/irq_sim.ko" "$M/gpio-sim.ko" "$r/lib/modules/"
	pack "$r" "$BASE"
	rm -rf "$r"
}
if [ ! -f "$BASE" ] || [ "$BASE" -ot "$M/built" ]; then
	step initramfs-base "base archive (busybox, modules)" build_base
fi

# The programs and their libraries (libgpiod.so.3 from .deps/gpiod
# through the rpath, libc, the loader).
build_overlay() {
	r=$OUT/initramfs-tree
	rm -rf "$r"
	mkdir -p "$r/tests" "$r/bin"
	cp "$HERE/guest-init.sh" "$r/init"
	chmod 755 "$r/init"
	cp "$@" "$r/tests/"
	# shellcheck disable=SC2086 # a list of programs
	[ -z "${VGPIO_VM_BINS:-}" ] || cp ${VGPIO_VM_BINS:-} "$r/bin/"
	# shellcheck disable=SC2086
	copy_libs "$r" "$@" ${VGPIO_VM_BINS:-}
	pack "$r" "$OUT/overlay.cpio.gz"
	cat "$BASE" "$OUT/overlay.cpio.gz" >"$OUT/initramfs.cpio.gz"
}
step initramfs "packing the test programs and their libraries" build_overlay "$@"

# --- boot ------------------------------------------------------------------------
# boot ACCEL CPU LIMIT LOG: run the VM; returns QEMU's (or timeout's) status.
boot() {
	timeout -k 5 "$3" qemu-system-x86_64 -accel "$1" -cpu "$2" -m 512 \
		-smp 2 -nographic -no-reboot -nic none \
		-kernel "$VMLINUX" -initrd "$OUT/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1" </dev/null >"$4" 2>&1
}

# KVM only if /dev/kvm is usable and a first boot with it reached /init;
# some /dev/kvm (nested, emulated) cannot run these guests. The verdict is
# kept per QEMU and kernel version.
PROBE=$CACHE/kvm-$QEMU_VER-$KV
use=tcg
case $ACCEL in
kvm) use=kvm ;;
tcg) ;;
auto) [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "$(cat "$PROBE" 2>/dev/null)" != broken ] && use=kvm ;;
*) fail boot "VGPIO_VM_ACCEL must be auto, kvm or tcg, not '$ACCEL'" ;;
esac
LOG=$OUT/console.log
qrc=0
t_boot=$(date +%s%N)
if [ "$use" = kvm ]; then
	note "booting $KV under QEMU $QEMU_VER (KVM)"
	# A working KVM reaches /init in about a second (TCG in about two):
	# in auto mode, 10 s without /init means this KVM cannot run the guest.
	boot kvm host "$([ "$ACCEL" = kvm ] && echo "$TIMEOUT" || echo 10)" "$LOG" || qrc=$?
	if [ "$ACCEL" = auto ]; then
		if grep -aq VGPIO-VM-START "$LOG"; then
			echo ok >"$PROBE"
		else
			echo broken >"$PROBE"
			mv "$LOG" "$OUT/console-kvm.log"
			note "KVM did not reach /init (qemu exit $qrc, log $OUT/console-kvm.log); TCG from now on"
			use=tcg
		fi
	fi
fi
if [ "$use" = tcg ]; then
	note "booting $KV under QEMU $QEMU_VER (TCG)"
	qrc=0
	t_boot=$(date +%s%N)
	boot tcg max "$TIMEOUT" "$LOG" || qrc=$?
fi
boot_ms=$((($(date +%s%N) - t_boot) / 1000000))

# --- verdict ---------------------------------------------------------------------
note "VM ran $boot_ms ms ($use); console log: $LOG"
verdict "$LOG" "$qrc" VGPIO-VM \
	"$use, VM $((boot_ms / 1000)).$((boot_ms % 1000 / 100)) s"
