#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Xen tier: Debian's Xen hypervisor under QEMU (TCG), Debian's kernel as
# dom0 running the project's vgpiod on a gpio-sim chip, and an HVM domU
# whose gpio-virtio driver and libgpiod tools drive those lines: first
# the project's x86_64 kernel (tools/kernel-build.sh), which grants
# every virtio buffer to dom0, then, re-created, Debian's kernel, whose
# buffers vgpiod maps with foreign mapping.
#
#   usage: tests/vm-xen/run.sh VGPIOD VGPIO-ASSIGN
#
# Steps: host packages (apt, as root, only if missing); the kernel and
# out-of-tree modules (tests/lib/qemu.sh, shared with the VM tier); the
# project's x86_64 kernel (tools/kernel-build.sh, its own cache); Xen's
# hypervisor and userland of the same version as the host's libxen
# (`apt-get download`, unpacked, never installed); the guest's userland
# from Debian 13 (libc, libgpiod 2.x tools) through tools/apt-suite.sh;
# two initramfs images; one QEMU boot. dom0's /init is dom0-init.sh, the
# guest's domu-init.sh, its xl configurations domu.cfg (grants) and
# domu-foreign.cfg (foreign mapping).
#
# Downloads, builds and the two base archives are cached in
# $VGPIO_VM_CACHE (default /var/cache/vgpio/vm), keyed by what they were
# made from; a second run repacks the small overlays and boots.
#
# env: VGPIO_VM_CACHE     cache directory (outside the clone)
#      VGPIO_XEN_OUT      images and logs (default: directory of VGPIOD)
#      VGPIO_XEN_TIMEOUT  seconds the machine may run (default 900)
#
# Output: dom0's and the guest's PASS:/FAIL: lines, then
# "TIER vm-xen: PASS|FAIL (...)". Exit: 0 all passed, 1 a check or a step
# failed, 77 QEMU cannot run here (after "SKIP: vm-xen: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}
TIMEOUT=${VGPIO_XEN_TIMEOUT:-900}
# qemu-system-xen is the HVM guest's device model; seabios its firmware.
HOST_PKGS="qemu-system-x86 qemu-system-xen seabios busybox-static cpio
xz-utils gcc make file libxen-dev"
GUEST_SUITE=trixie
GUEST_PKGS="libc6 libgpiod3 gpiod"

if [ $# -ne 2 ]; then
	echo "usage: tests/vm-xen/run.sh VGPIOD VGPIO-ASSIGN" >&2
	exit 1
fi
for p in "$@"; do
	[ -x "$p" ] || { echo "FAIL: vm-xen: program $p not found" >&2; exit 1; }
done
OUT=${VGPIO_XEN_OUT:-$(dirname "$1")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIER=vm-xen
. "$TOP/tests/lib/qemu.sh"

# QEMU's multiboot loader splits -initrd on commas.
case $OUT$CACHE in *,*) fail paths "no commas allowed in $OUT or $CACHE" ;; esac

# shellcheck disable=SC2086 # a list of package names
vm_prepare $HOST_PKGS

# --- the grant-mode guest's kernel: the project's recipe, cached by it --------
note "guest kernel (tools/kernel-build.sh x86_64; a cache miss builds for minutes)"
KDIR=$("$TOP/tools/kernel-build.sh" x86_64 2>"$OUT/kernel-build.log") ||
	fail kernel-build "tools/kernel-build.sh x86_64" "$OUT/kernel-build.log"

# --- Xen: hypervisor and userland matching the host's libxen -------------------
# The Xen libraries come from the host (libxen-dev pulls them in), so the
# userland must be the same upload.
XVER=$(dpkg-query -W -f='${Version}' libxen-dev)
XB=$(dpkg-query -W -f='${Package}\n' 'libxenmisc*' | sed -n 's/^libxenmisc//p' | sed -n 1p)
[ -n "$XB" ] || fail xen "no libxenmisc package: cannot tell the Xen branch"
X=$CACHE/xen/$XVER
fetch_xen() {
	rm -rf "$X"
	mkdir -p "$X/debs" "$X/root"
	cd "$X/debs"
	apt_dl "xen-hypervisor-$XB-amd64=$XVER" "xen-hypervisor-common=$XVER" \
		"xen-utils-$XB=$XVER" "xen-utils-common=$XVER" "xenstore-utils=$XVER"
	for d in *.deb; do dpkg-deb -x "$d" "$X/root"; done
	# xen-X.Y-amd64.gz is an ELF32 image with a multiboot1 header, which
	# QEMU's -kernel multiboot loader starts: no boot loader or firmware.
	gzip -dc "$X/root/boot/xen-$XB-amd64.gz" >"$X/xen.elf"
	# (Not `od | grep -q`: grep's early exit makes od fail under pipefail.)
	hdr=$(od -A n -t x4 -N 8192 "$X/xen.elf")
	case $hdr in
	*1badb002*) ;;
	*) echo "no multiboot1 header in xen-$XB-amd64.gz"; return 1 ;;
	esac
	grep -qx CONFIG_IOREQ_SERVER=y "$X/root/boot/xen-$XB-amd64.config" ||
		{ echo "this Xen is built without CONFIG_IOREQ_SERVER"; return 1; }
	rm -rf "$X/debs" "$X/root/usr/share/doc" "$X/root/usr/share/man"
	touch "$X/fetched"
}
if [ ! -f "$X/fetched" ]; then
	keep_only "$X"
	note "fetching Xen $XVER into $X"
	step fetch-xen "download of Xen $XVER (must match libxen-dev)" fetch_xen
fi

# --- the guest's userland: Debian 13's libc and libgpiod 2.x tools -------------
# (Debian 12's gpiod programs are libgpiod 1.6; Debian 13's need its libc.)
U=$CACHE/guest-$GUEST_SUITE
fetch_guest() {
	rm -rf "$U"
	# shellcheck disable=SC2086 # a list of package names
	sh "$TOP/tools/apt-suite.sh" "$U" "$GUEST_SUITE" $GUEST_PKGS
	for d in "$U"/apt/debs/*.deb; do dpkg-deb -x "$d" "$U/root"; done
	ls "$U"/apt/debs >"$U/fetched"
}
if [ ! -f "$U/fetched" ]; then
	note "fetching the guest's userland ($GUEST_PKGS) from Debian $GUEST_SUITE"
	step fetch-guest "download of $GUEST_PKGS from $GUEST_SUITE" fetch_guest
fi

# --- domU initramfs: cached base + /init -----------------------------------------
# Both base archives live in the kernel's directory, so a new kernel
# (which replaces that directory) rebuilds them too.
BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
DKEY="$MKEY bb=$BBVER mmio=debian $(tr '\n' ' ' <"$U/fetched")"
DBASE=$K/domu-base.cpio.gz
build_domu_base() {
	r=$K/domu-tree
	rm -rf "$r"
	busybox_tree "$r"
	image_module "$r" drivers/virtio/virtio.ko
	image_module "$r" drivers/virtio/virtio_ring.ko
	# Debian's own virtio_mmio: the foreign-mapping guest finds the
	# device through the ACPI table vgpio-assign writes, with no device=.
	image_module "$r" drivers/virtio/virtio_mmio.ko
	cp "$M/gpio-virtio.ko" "$r/lib/modules/"
	mkdir -p "$r/usr/bin" "$r/lib/x86_64-linux-gnu" "$r/lib64"
	ul=$U/root/usr/lib/x86_64-linux-gnu
	for t in gpiodetect gpioinfo gpioget gpioset gpiomon; do
		cp "$U/root/usr/bin/$t" "$r/usr/bin/"
	done
	# The tools need libgpiod and libc, libgpiod needs libc.
	cp -L "$ul"/libgpiod.so.3 "$ul"/libc.so.6 "$r/lib/x86_64-linux-gnu/"
	cp -L "$ul"/ld-linux-x86-64.so.2 "$r/lib64/"
	need=$(for f in "$r"/usr/bin/* "$r"/lib/x86_64-linux-gnu/*; do
		readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u)
	for l in $need; do
		[ -e "$r/lib/x86_64-linux-gnu/$l" ] || [ -e "$r/lib64/$l" ] ||
			{ echo "guest library $l is missing"; return 1; }
	done
	pack "$r" "$DBASE"
	echo "$DKEY" >"$DBASE.key"
	rm -rf "$r"
}
if [ "$(cat "$DBASE.key" 2>/dev/null)" != "$DKEY" ]; then
	step domu-base "guest base archive" build_domu_base
fi

# --- dom0 initramfs: cached base (Xen userland, device model, modules) ----------
QXEN=/usr/libexec/xen-qemu-system-i386
SEABIOS=/usr/share/seabios/bios-256k.bin
OKEY="$MKEY bb=$BBVER guest=${KDIR##*/} xen=$XVER qemu=$(dpkg-query -W -f='${Version}' qemu-system-xen) seabios=$(dpkg-query -W -f='${Version}' seabios)"
OBASE=$K/dom0-base.cpio.gz
build_dom0_base() {
	r=$K/dom0-tree
	rm -rf "$r"
	busybox_tree "$r"
	cp -a "$X/root/usr" "$X/root/etc" "$r/"
	# The device model libxl starts for an HVM guest, its option ROMs
	# (direct kernel boot) and the BIOS hvmloader loads.
	mkdir -p "$r/usr/libexec" "$r/usr/share/seabios" "$r/usr/share/qemu"
	cp "$QXEN" "$r/usr/libexec/"
	cp -L "$SEABIOS" "$r/usr/share/seabios/"
	cp -a /usr/share/qemu/. "$r/usr/share/qemu/"
	copy_libs "$r" "$X"/root/usr/lib/xen-"$XB"/bin/* "$X"/root/usr/sbin/* \
		"$X"/root/usr/bin/* "$QXEN"
	# glibc's pthread_cancel dlopen()s libgcc_s, which ldd does not list;
	# without it xl aborts.
	cp -L "$(gcc -print-file-name=libgcc_s.so.1)" "$r/lib/x86_64-linux-gnu/"
	for m in fs/configfs/configfs.ko drivers/xen/xen-evtchn.ko \
		drivers/xen/xen-privcmd.ko drivers/xen/xenfs/xenfs.ko \
		drivers/xen/xen-gntdev.ko drivers/xen/xen-gntalloc.ko; do
		image_module "$r" "$m"
	done
	cp "$M/irq_sim.ko" "$M/gpio-sim.ko" "$r/lib/modules/"
	mkdir -p "$r/boot"
	cp "$VMLINUZ" "$r/boot/vmlinuz"
	cp "$KDIR/bzImage" "$r/boot/bzImage"
	pack "$r" "$OBASE"
	echo "$OKEY" >"$OBASE.key"
	rm -rf "$r"
}
if [ "$(cat "$OBASE.key" 2>/dev/null)" != "$OKEY" ]; then
	note "building the dom0 base archive"
	step dom0-base "dom0 base archive" build_dom0_base
fi

# --- this run: the guest's /init, vgpiod, vgpio-assign, dom0's /init -------------
build_overlays() {
	r=$OUT/domu-tree
	rm -rf "$r"
	mkdir -p "$r/lib"
	install -m 755 "$HERE/domu-init.sh" "$r/init"
	cp "$HERE/checks.sh" "$r/lib/"
	pack "$r" "$OUT/domu-overlay.cpio.gz"
	r=$OUT/dom0-tree
	rm -rf "$r"
	mkdir -p "$r/usr/bin" "$r/etc/xen" "$r/boot"
	cat "$DBASE" "$OUT/domu-overlay.cpio.gz" >"$r/boot/initrd-domu.gz"
	cp "$HERE/domu.cfg" "$r/etc/xen/vgpio-domu.cfg"
	cp "$HERE/domu-foreign.cfg" "$r/etc/xen/vgpio-domu-foreign.cfg"
	install -m 755 "$HERE/dom0-init.sh" "$r/init"
	mkdir -p "$r/lib"
	cp "$HERE/checks.sh" "$r/lib/"
	cp "$@" "$r/usr/bin/"
	copy_libs "$r" "$@"
	pack "$r" "$OUT/dom0-overlay.cpio.gz"
	cat "$OBASE" "$OUT/dom0-overlay.cpio.gz" >"$OUT/dom0.cpio.gz"
}
step initramfs "packing the guest and dom0 images" build_overlays "$@"

# --- boot ------------------------------------------------------------------------
# TCG only: where measured, /dev/kvm was a nested layer that cannot run Xen.
# -smap: the PV dom0 faults on its own stack with SMAP under TCG.
# -rdtscp: TCG's SVM reports RDTSCP exits as RDTSC without next-RIP, so Xen
# cannot emulate RDTSCP for an HVM guest.
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all"
DOM0_CMDLINE="console=hvc0 quiet panic=-1"
LOG=$OUT/console.log
note "booting Xen $XVER with dom0 $KV under QEMU $QEMU_VER (TCG)"
t_boot=$(date +%s%N)
qrc=0
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -M pc \
	-cpu max,-smap,-rdtscp -m 3072 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$X/xen.elf" -append "$XEN_CMDLINE" \
	-initrd "$VMLINUZ $DOM0_CMDLINE,$OUT/dom0.cpio.gz" \
	</dev/null >"$LOG" 2>&1 || qrc=$?
boot_ms=$((($(date +%s%N) - t_boot) / 1000000))

# --- verdict ---------------------------------------------------------------------
note "machine ran $boot_ms ms (tcg); console log: $LOG"
verdict "$LOG" "$qrc" VGPIO-XEN "machine $((boot_ms / 1000)) s"
