#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# systemd tier: Debian 12's systemd as PID 1 in a QEMU guest runs the
# installed vgpiod.service (readiness, reload, restart, stop, hardening)
# on a gpio-sim chip.
#
#   usage: tests/vm-systemd/run.sh DESTDIR PROBE
#
# DESTDIR is a `make install DESTDIR=...` tree (PREFIX /usr/local,
# SYSCONFDIR /etc): it becomes the guest's /usr/local and /etc/vgpio as
# it is. PROBE is sd-probe (sd-probe.c), run inside the unit's sandbox.
#
# Steps: host packages (apt, as root, only if missing); Debian's kernel
# and the out-of-tree gpio-sim modules (tests/lib/qemu.sh: the VM tier's
# cache, not a second copy); the guest's root file system, Debian 12's
# systemd, procps (/bin/kill, which the unit's ExecReload runs) and
# util-linux (nsenter) with what they depend on, fetched by
# tools/apt-suite.sh from the system's own mirror and unpacked (never
# installed: no maintainer scripts), plus a static busybox in
# /opt/busybox for the check script; the libraries the installed
# binaries need that the root lacks (Xen's, from the host) and
# tests/vm-systemd's files in an overlay; one QEMU boot with systemd as
# the initramfs's init (no /etc/initrd-release, so it boots as the real
# root) into vgpio-tests.target.
#
# The root's base archive is cached in $VGPIO_SD_CACHE (default
# /var/cache/vgpio/vm-systemd), keyed by the systemd version the host's
# apt lists offer and the recipe below; after the first build a run is
# offline: it repacks the overlay and boots.
#
# env: VGPIO_VM_CACHE    the VM tier's cache (kernel, modules)
#      VGPIO_SD_CACHE    this tier's cache (root archive)
#      VGPIO_SD_OUT      images and logs (default: directory of PROBE)
#      VGPIO_SD_TIMEOUT  seconds the machine may run (default 300)
#      VGPIO_VM_ACCEL    auto (default: KVM where the VM tier found it
#                        works, else TCG), kvm or tcg
#
# Output: the guest's PASS:/FAIL: lines, then "TIER vm-systemd:
# PASS|FAIL (...)". Exit: 0 all passed, 1 a check or a step failed, 77
# QEMU cannot run here (after "SKIP: vm-systemd: <reason>").
set -eu -o pipefail
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}
SDCACHE=${VGPIO_SD_CACHE:-/var/cache/vgpio/vm-systemd}
TIMEOUT=${VGPIO_SD_TIMEOUT:-300}
ACCEL=${VGPIO_VM_ACCEL:-auto}
HOST_PKGS="qemu-system-x86 busybox-static cpio xz-utils gcc make file"
# The guest's root: Debian 12 (the release whose systemd the tier
# proves), these packages and their dependencies, less the packages
# below that only maintainer scripts use (perl and its modules, dpkg,
# debconf, usrmerge's helpers).
SUITE=bookworm
ROOT_PKGS="systemd procps util-linux base-files"
ROOT_SKIP="perl perl-base perl-modules-* libperl* *-perl usrmerge debconf
dpkg tar libgdbm* libdb5.3"
# Bump when what build_root makes changes.
ROOT_RECIPE=2

if [ $# -ne 2 ]; then
	echo "usage: tests/vm-systemd/run.sh DESTDIR PROBE" >&2
	exit 1
fi
DEST=$1
PROBE=$2
[ -x "$DEST/usr/local/sbin/vgpiod" ] ||
	{ echo "FAIL: vm-systemd: no installed vgpiod in $DEST" >&2; exit 1; }
[ -x "$PROBE" ] || { echo "FAIL: vm-systemd: probe $PROBE not found" >&2; exit 1; }
DEST=$(cd "$DEST" && pwd)
OUT=${VGPIO_SD_OUT:-$(dirname "$PROBE")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIER=vm-systemd
# shellcheck source=tests/lib/qemu.sh disable=SC2034
. "$TOP/tests/lib/qemu.sh"

# shellcheck disable=SC2086 # a list of package names
vm_prepare $HOST_PKGS

# --- the root file system: Debian 12's systemd, unpacked, cached ----------------
SDVER=$(apt-cache policy systemd 2>/dev/null | sed -n 's/^ *Candidate: //p')
case $SDVER in "" | "(none)") SDVER=unknown ;; esac
R=$SDCACHE/root-$(echo "$SDVER" | tr -c "A-Za-z0-9.+\n-" _)-r$ROOT_RECIPE
skipped() {
	local p
	for p in $ROOT_SKIP; do
		# shellcheck disable=SC2254 # a glob pattern
		case $1 in $p) return 0 ;; esac
	done
	return 1
}
build_root() {
	local t=$R/tree deb name a
	rm -rf "$R"
	mkdir -p "$R"
	# shellcheck disable=SC2086 # a list of package names
	sh "$TOP/tools/apt-suite.sh" -d "$R" "$SUITE" $ROOT_PKGS
	# Merged /usr, as Debian 12 installs it: the packages' /bin, /lib
	# ... land in /usr through these links.
	mkdir -p "$t/usr/bin" "$t/usr/sbin" "$t/usr/lib" "$t/usr/lib64"
	for a in bin sbin lib lib64; do ln -s "usr/$a" "$t/$a"; done
	for deb in "$R"/apt/debs/*.deb; do
		name=$(dpkg-deb -f "$deb" Package)
		skipped "$name" && continue
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x --keep-directory-symlink -C "$t"
		echo "$name $(dpkg-deb -f "$deb" Version)" >>"$R/packages"
	done
	for a in usr/lib/systemd/systemd usr/bin/systemctl bin/kill \
		usr/bin/nsenter; do
		[ -x "$t/$a" ] || { echo "no /$a in the unpacked packages"; return 1; }
	done
	rm -rf "$t"/usr/share/doc "$t"/usr/share/man "$t"/usr/share/info \
		"$t"/usr/share/locale "$t"/usr/share/lintian \
		"$t"/usr/share/bash-completion "$t"/usr/lib/x86_64-linux-gnu/gconv
	# busybox for the check script, apart from Debian's programs.
	mkdir -p "$t/opt/busybox"
	cp "$(command -v busybox)" "$t/opt/busybox/busybox"
	for a in $("$t/opt/busybox/busybox" --list); do
		[ -e "$t/opt/busybox/$a" ] || ln -s busybox "$t/opt/busybox/$a"
	done
	# What maintainer scripts would have made; systemd-sysusers adds
	# the system users at boot.
	printf 'root:x:0:0:root:/root:/opt/busybox/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
		>"$t/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$t/etc/group"
	# A machine id: without one systemd takes this for a first boot and
	# systemd-firstboot asks questions on the console.
	echo 766770696f2d73797374656d642d7631 >"$t/etc/machine-id"
	mkdir -p "$t/root" "$t/home" "$t/tmp" "$t/var/tmp" "$t/run" "$t/proc" \
		"$t/sys" "$t/dev"
	chmod 1777 "$t/tmp" "$t/var/tmp"
	rm -f "$t/etc/initrd-release"
	(cd "$t" && find . ! -type d) | sort >"$R/manifest"
	# Not compressed: the kernel unpacking 20 MB of gzip costs seconds
	# under TCG; copying 45 MB costs less.
	(cd "$t" && find . | cpio -o -H newc --quiet) >"$R/base.cpio"
	rm -rf "$t" "$R/apt"
	echo "$ROOT_RECIPE" >"$R/built"
}
mkdir -p "$SDCACHE" || fail cache "cannot create $SDCACHE (set VGPIO_SD_CACHE)"
if [ "$(cat "$R/built" 2>/dev/null)" != "$ROOT_RECIPE" ]; then
	keep_only "$R"
	note "building the guest's root: Debian $SUITE's systemd $SDVER into $R"
	step root "download or unpack of the guest's root" build_root
fi

# --- this run: the installed tree, the checks, missing libraries -----------------
build_overlay() {
	local o=$OUT/overlay-tree lib base
	rm -rf "$o"
	mkdir -p "$o"
	cp -a "$DEST/." "$o/"
	mkdir -p "$o/opt/vgpio-tests" "$o/etc/systemd/system" \
		"$o/usr/lib/modules/vgpio" "$o/usr/lib/x86_64-linux-gnu"
	install -m 0755 "$HERE/checks.sh" "$PROBE" "$o/opt/vgpio-tests/"
	install -m 0644 "$HERE/vgpio-tests.target" "$HERE/vgpio-tests.service" \
		"$o/etc/systemd/system/"
	cp "$KROOT/lib/modules/$KV/kernel/fs/configfs/configfs.ko" \
		"$M/irq_sim.ko" "$M/gpio-sim.ko" "$o/usr/lib/modules/vgpio/"
	# Libraries the root lacks (Xen's, from the host); libgpiod 2.x is
	# the installed tree's own (make install, $ORIGIN/../lib/vgpio).
	for p in "$o"/usr/local/sbin/* "$o"/usr/local/bin/* \
		"$o/opt/vgpio-tests/$(basename "$PROBE")"; do
		case $(file -bL "$p") in
		*dynamically\ linked*) ldd "$p" ;;
		esac
	done >"$OUT/ldd.txt"
	if grep 'not found' "$OUT/ldd.txt"; then return 1; fi
	awk '/=> \// { print $3 }' "$OUT/ldd.txt" | sort -u | while read -r lib; do
		case $lib in "$o"/*) continue ;; esac
		base=$(basename "$lib")
		grep -qx "./usr/lib/x86_64-linux-gnu/$base" "$R/manifest" && continue
		echo "from the host: $lib"
		cp -L "$lib" "$o/usr/lib/x86_64-linux-gnu/"
	done
	pack "$o" "$OUT/overlay.cpio.gz"
	cat "$R/base.cpio" "$OUT/overlay.cpio.gz" >"$OUT/initramfs.cpio.gz"
}
step initramfs "the installed tree, the checks and their libraries" build_overlay

# --- boot ------------------------------------------------------------------------
# KVM only where the VM tier's probe found that it runs these guests.
use=tcg
case $ACCEL in
kvm) use=kvm ;;
tcg) ;;
auto) [ "$(cat "$CACHE/kvm-$QEMU_VER-$KV" 2>/dev/null)" = ok ] && use=kvm ;;
*) fail boot "VGPIO_VM_ACCEL must be auto, kvm or tcg, not '$ACCEL'" ;;
esac
cpu=max
[ "$use" = tcg ] || cpu=host
LOG=$OUT/console.log
note "booting $KV with systemd $SDVER under QEMU $QEMU_VER ($use)"
qrc=0
t_boot=$(date +%s%N)
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$use" -cpu "$cpu" -m 1024 \
	-smp 2 -nographic -no-reboot -nic none \
	-kernel "$VMLINUX" -initrd "$OUT/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/usr/lib/systemd/systemd systemd.firstboot=off systemd.unit=vgpio-tests.target" \
	</dev/null >"$LOG" 2>&1 || qrc=$?
boot_ms=$((($(date +%s%N) - t_boot) / 1000000))

# --- verdict ---------------------------------------------------------------------
note "VM ran $boot_ms ms ($use); console log: $LOG"
verdict "$LOG" "$qrc" VGPIO-SD \
	"systemd $SDVER, $use, VM $((boot_ms / 1000)).$((boot_ms % 1000 / 100)) s"
