#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VM test tier: boot Debian's own kernel under QEMU with gpio-sim built out
# of tree, create a gpio-sim chip in the guest and run test programs (built
# on the host against libgpiod 2.x) against it.
#
#   usage: tests/vm/run.sh PROG...
#
# Steps: host packages (apt, as root, only if missing); Debian's kernel,
# headers and source fetched with `apt-get download` from the system's own
# apt sources; irq_sim.ko and gpio-sim.ko built against them; a busybox
# initramfs with the modules, tests/vm/guest-init.sh as /init, PROG... and
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
# Output: the guest's PASS:/FAIL: lines, then "TIER vm: PASS|FAIL (...)".
# Exit: 0 all passed, 1 a check or a step failed, 77 QEMU cannot run here
# (prints "SKIP: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}
TIMEOUT=${VGPIO_VM_TIMEOUT:-180}
ACCEL=${VGPIO_VM_ACCEL:-auto}
# Bump when the module build recipe changes, to rebuild cached modules.
RECIPE=1
HOST_PKGS="qemu-system-x86 busybox-static cpio xz-utils gcc make"

if [ $# -eq 0 ]; then
	echo "usage: tests/vm/run.sh PROG..." >&2
	exit 1
fi
for p in "$@" ${VGPIO_VM_BINS:-}; do
	[ -x "$p" ] || { echo "FAIL: vm: test program $p not found" >&2; exit 1; }
done
OUT=${VGPIO_VM_OUT:-$(dirname "$1")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# fail STEP MESSAGE: the named step failed; show the end of its log.
fail() {
	echo "FAIL: vm: step '$1' failed: $2"
	[ -z "${3:-}" ] || tail -n 20 "$3" | sed 's/^/    /'
	echo "TIER vm: FAIL (step $1)"
	exit 1
}
skip() {
	echo "SKIP: vm: $*"
	exit 77
}
t_start=$(date +%s%N)
elapsed() { echo $((($(date +%s%N) - t_start) / 1000000)); }
note() { echo "vm: [$(elapsed) ms] $*"; }

# step NAME WHAT FUNC ARGS...: run FUNC in a subshell with its output in
# $OUT/NAME.log; fail the tier naming the step if it fails. (Not called
# as `FUNC || ...`: that context would switch off set -e inside FUNC.)
step() {
	name=$1 what=$2
	shift 2
	set +e
	(
		set -e
		"$@"
	) >"$OUT/$name.log" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "$name" "$what (exit $rc)" "$OUT/$name.log"
}

# --- host packages -----------------------------------------------------------
missing=""
for p in $HOST_PKGS; do
	case $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		command -v qemu-system-x86_64 >/dev/null 2>&1 ||
			skip "qemu-system-x86_64 not installed and not root to install$missing"
		fail host-packages "missing$missing (run as root to install them)"
	fi
	note "installing host packages:$missing"
	log=$OUT/host-packages.log
	# shellcheck disable=SC2086 # a list of package names
	{ apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
			--no-install-recommends $missing; } >"$log" 2>&1 ||
		fail host-packages "apt-get install$missing" "$log"
fi
qemu-system-x86_64 --version >/dev/null 2>&1 ||
	skip "qemu-system-x86_64 does not run on this machine"
QEMU_VER=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')

mkdir -p "$CACHE" || fail cache "cannot create $CACHE (set VGPIO_VM_CACHE)"
exec 9>"$CACHE/lock"
flock 9 || fail cache "cannot lock $CACHE/lock"

# apt-get as root warns that _apt cannot write to the download directory.
apt_dl() {
	if [ "$(id -u)" -eq 0 ]; then
		apt-get -q -o APT::Sandbox::User=root download "$@"
	else
		apt-get -q download "$@"
	fi
}

# --- kernel: image, headers and GPIO sources, keyed by ABI + version ---------
KV=${VGPIO_VM_KERNEL:-}
if [ -z "$KV" ]; then
	KV=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
		sed -n 1p)
	if [ -z "$KV" ] && [ "$(id -u)" -eq 0 ]; then
		apt-get -q update >"$OUT/apt-update.log" 2>&1 ||
			fail kernel "apt-get update" "$OUT/apt-update.log"
		KV=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *|\{0,1\}Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
			sed -n 1p)
	fi
	[ -n "$KV" ] || fail kernel "no kernel package found for linux-image-amd64 in the apt lists"
fi
KVER=$(apt-cache policy "linux-image-$KV" 2>/dev/null |
	sed -n 's/^ *Candidate: //p')
case $KVER in "" | "(none)") fail kernel "no candidate version for linux-image-$KV" ;; esac
KSERIES=$(echo "$KV" | cut -d. -f1,2)
K=$CACHE/kernel/$KV-$KVER
KROOT=$K/root
KHEADERS=$KROOT/usr/src/linux-headers-$KV

fetch_kernel() {
	rm -rf "$K"
	mkdir -p "$K/debs" "$KROOT" "$K/src"
	cd "$K/debs"
	apt_dl "linux-image-$KV=$KVER" "linux-headers-$KV=$KVER" \
		"linux-headers-${KV%-*}-common=$KVER" \
		"linux-kbuild-$KSERIES=$KVER" "linux-source-$KSERIES=$KVER"
	# Only the kernel and configfs.ko from the image; all of the headers.
	dpkg-deb --fsys-tarfile "linux-image-${KV}_"*.deb |
		tar -x -C "$KROOT" --wildcards './boot/vmlinuz-*' \
			'./lib/modules/*/kernel/fs/configfs/configfs.ko'
	for d in linux-headers-*.deb linux-kbuild-*.deb; do
		dpkg-deb -x "$d" "$KROOT"
	done
	# The headers' Makefile includes the common part by absolute path.
	sed -i "s|^include /usr/src/|include $KROOT/usr/src/|" "$KHEADERS/Makefile"
	grep -q "^include $KROOT/" "$KHEADERS/Makefile"
	dpkg-deb --fsys-tarfile "linux-source-${KSERIES}_"*.deb |
		tar -xO "./usr/src/linux-source-$KSERIES.tar.xz" |
		tar -xJ -C "$K/src" --strip-components=1 \
			"linux-source-$KSERIES/drivers/gpio/gpio-sim.c" \
			"linux-source-$KSERIES/drivers/gpio/gpiolib.h" \
			"linux-source-$KSERIES/kernel/irq/irq_sim.c"
	# QEMU's PVH entry boots the uncompressed vmlinux inside Debian's
	# xz-compressed bzImage, which saves seconds of decompression in TCG.
	vmlinuz=$KROOT/boot/vmlinuz-$KV
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1 |
		sed -n 1p)
	[ -n "$off" ] || { echo "no xz stream in $vmlinuz"; return 1; }
	# (Not piped: xz stops after the stream, which would SIGPIPE tail.)
	tail -c +$((off + 1)) "$vmlinuz" >"$K/vmlinux.xz"
	xz -dc --single-stream "$K/vmlinux.xz" >"$K/vmlinux"
	rm -f "$K/vmlinux.xz"
	[ "$(head -c 4 "$K/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		{ echo "decompressed kernel is not an ELF file"; return 1; }
	rm -rf "$K/debs"
	touch "$K/fetched"
}

if [ ! -f "$K/fetched" ]; then
	# A new kernel version replaces the old ones: the cache does not grow.
	for old in "$CACHE"/kernel/*; do
		[ "$old" = "$K" ] || rm -rf "$old"
	done
	note "fetching kernel $KV ($KVER) into $K"
	step fetch-kernel "download or unpack of kernel $KV $KVER" fetch_kernel
fi

# --- out-of-tree irq_sim + gpio-sim (Debian builds neither) ---------------------
M=$K/modules
MKEY="recipe=$RECIPE gcc=$(gcc -dumpfullversion)"
build_modules() {
	rm -rf "$M"
	mkdir -p "$M"
	cp "$K/src/drivers/gpio/gpio-sim.c" "$K/src/drivers/gpio/gpiolib.h" \
		"$K/src/kernel/irq/irq_sim.c" "$M/"
	# irq_sim is built-in code: irq_to_desc() is not exported to modules.
	# generic_handle_irq() runs the same flow handler (handle_simple_irq)
	# from the same irq_work context. GPL symbols need a licence tag.
	sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
		"$M/irq_sim.c"
	if grep -q irq_to_desc "$M/irq_sim.c"; then
		echo "irq_sim.c adjustment did not apply (not the 6.1 source?)"
		return 1
	fi
	echo 'MODULE_LICENSE("GPL");' >>"$M/irq_sim.c"
	echo 'obj-m := irq_sim.o gpio-sim.o' >"$M/Kbuild"
	make -C "$KHEADERS" M="$M" -j"$(nproc)" modules
	for m in irq_sim gpio-sim; do
		grep -qa "vermagic=$KV " "$M/$m.ko" ||
			{ echo "$m.ko: vermagic is not $KV"; return 1; }
	done
	echo "$MKEY" >"$M/built"
}
if [ "$(cat "$M/built" 2>/dev/null)" != "$MKEY" ]; then
	note "building irq_sim.ko and gpio-sim.ko for $KV"
	step build-modules "out-of-tree irq_sim/gpio-sim build" build_modules
fi

# --- initramfs: cached base (busybox, modules) + this run's programs ------------
BB=$(command -v busybox) || fail initramfs "busybox not found"
BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
BASE=$K/base-busybox-$(echo "$BBVER" | tr -c "A-Za-z0-9.+\n-" _).cpio.gz
build_base() {
	r=$K/base-tree
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules"
	cp "$BB" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	cp "$KROOT/lib/modules/$KV/kernel/fs/configfs/configfs.ko" \
		"$M/irq_sim.ko" "$M/gpio-sim.ko" "$r/lib/modules/"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$BASE.tmp"
	mv "$BASE.tmp" "$BASE"
	rm -rf "$r"
}
if [ ! -f "$BASE" ] || [ "$BASE" -ot "$M/built" ]; then
	case $(file -b "$BB" 2>/dev/null || echo static) in
	*dynamic*) fail initramfs "$BB is dynamically linked (need busybox-static)" ;;
	esac
	step initramfs-base "base archive (busybox, modules)" build_base
fi

# The programs and every library ldd resolves for them (libgpiod.so.3 from
# .deps/gpiod through the rpath, libc, the loader). Libraries go to the
# loader's default directory so the guest needs no rpath or ld.so.cache;
# the loader goes to its own absolute path (PT_INTERP).
build_overlay() {
	r=$OUT/initramfs-tree
	rm -rf "$r"
	mkdir -p "$r/tests" "$r/lib/x86_64-linux-gnu"
	cp "$HERE/guest-init.sh" "$r/init"
	chmod 755 "$r/init"
	mkdir -p "$r/bin"
	for p in "$@"; do
		cp "$p" "$r/tests/"
		ldd "$p" || return 1
	done >"$OUT/ldd.txt"
	for p in ${VGPIO_VM_BINS:-}; do
		cp "$p" "$r/bin/"
		ldd "$p" || return 1
	done >>"$OUT/ldd.txt"
	if grep -q 'not found' "$OUT/ldd.txt"; then
		echo "unresolved libraries:"
		grep 'not found' "$OUT/ldd.txt"
		return 1
	fi
	awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' \
		"$OUT/ldd.txt" | sort -u | while read -r lib; do
		case $lib in
		*/ld-linux*)
			mkdir -p "$r$(dirname "$lib")"
			cp -L "$lib" "$r$lib"
			;;
		*) cp -L "$lib" "$r/lib/x86_64-linux-gnu/" ;;
		esac
	done
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/overlay.cpio.gz"
	# The kernel unpacks concatenated archives in order.
	cat "$BASE" "$OUT/overlay.cpio.gz" >"$OUT/initramfs.cpio.gz"
}
step initramfs "packing the test programs and their libraries" build_overlay "$@"

# --- boot ------------------------------------------------------------------------
# boot ACCEL CPU LIMIT LOG: run the VM; returns QEMU's (or timeout's) status.
boot() {
	timeout -k 5 "$3" qemu-system-x86_64 -accel "$1" -cpu "$2" -m 512 \
		-smp 2 -nographic -no-reboot -nic none \
		-kernel "$K/vmlinux" -initrd "$OUT/initramfs.cpio.gz" \
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
# The checks, and the cmocka summaries of the cmocka programs.
tr -d '\r' <"$LOG" |
	grep -aE '^(PASS|FAIL|SKIP): |^\[(==========|  PASSED  |  FAILED  )\] [0-9]+ test' ||
	true
npass=$(tr -d '\r' <"$LOG" | grep -acE '^PASS: ' || true)
nfail=$(tr -d '\r' <"$LOG" | grep -acE '^FAIL: ' || true)
why=""
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	why="VM did not finish within ${TIMEOUT}s"
elif ! grep -aq VGPIO-VM-START "$LOG"; then
	why="guest never reached /init (qemu exit $qrc)"
elif ! grep -aq VGPIO-VM-DONE "$LOG"; then
	why="guest stopped before the end of its tests (qemu exit $qrc)"
elif [ "$nfail" -ne 0 ] || [ "$npass" -eq 0 ]; then
	why="$npass passed, $nfail failed"
fi
note "VM ran $boot_ms ms ($use); console log: $LOG"
if [ -n "$why" ]; then
	echo "FAIL: vm: $why"
	grep -aiE 'panic|oops|BUG:|call trace' "$LOG" | head -n 10 | sed 's/^/    /' || true
	echo "TIER vm: FAIL ($why; log $LOG)"
	exit 1
fi
echo "TIER vm: PASS ($npass checks, $use, VM $((boot_ms / 1000)).$((boot_ms % 1000 / 100)) s, total $(($(elapsed) / 1000)) s)"
