# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # sets variables for its caller
#
# Shared steps of the QEMU tiers (tests/vm-gpiosim/run.sh, tests/vm-xen/run.sh):
# messages, host packages, Debian's kernel with the out-of-tree GPIO and
# virtio modules, shared-library copying and initramfs packing.
#
# The caller sets TIER (its name in messages), OUT (logs and images) and
# CACHE (downloads and builds kept between runs), then calls vm_prepare.
# After it: KV (kernel ABI), K (cache directory of that kernel), KROOT
# (unpacked image and headers), M (built modules), VMLINUX, VMLINUZ,
# QEMU_VER, and fd 9 holds the cache lock.
#
# Everything expensive is keyed by what it was made from (kernel ABI and
# package version, compiler, recipe), so a changed input rebuilds and a
# second run only repacks and boots.

# Bump when what fetch_kernel keeps changes, or the module recipe.
VM_FETCH_RECIPE=3
VM_MODULE_RECIPE=2

t_start=$(date +%s%N)
elapsed() { echo $((($(date +%s%N) - t_start) / 1000000)); }
note() { echo "$TIER: [$(elapsed) ms] $*"; }

# fail STEP MESSAGE [LOG]: the named step failed; show the end of its log.
fail() {
	echo "FAIL: $TIER: step '$1' failed: $2"
	[ -z "${3:-}" ] || tail -n 20 "$3" | sed 's/^/    /'
	echo "TIER $TIER: FAIL (step $1)"
	exit 1
}
skip() {
	echo "SKIP: $TIER: $*"
	exit 77
}

# step NAME WHAT FUNC ARGS...: run FUNC in a subshell with its output in
# $OUT/NAME.log; fail the tier naming the step if it fails. (Not called
# as `FUNC || ...`: that context would switch off set -e inside FUNC.)
step() {
	local name=$1 what=$2 rc
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

# host_packages PKG...: install the missing ones (as root), or skip the
# tier when QEMU is absent and we cannot install it. The caller's QEMU
# names the system emulator it boots (default qemu-system-x86_64).
host_packages() {
	local p missing="" log=$OUT/host-packages.log
	for p in "$@"; do
		case $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) in
		ii*) ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v "${QEMU:-qemu-system-x86_64}" >/dev/null 2>&1 ||
			skip "${QEMU:-qemu-system-x86_64} not installed and not root to install$missing"
		fail host-packages "missing$missing (run as root to install them)"
	fi
	note "installing host packages:$missing"
	# shellcheck disable=SC2086 # a list of package names
	{ apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
			--no-install-recommends $missing; } >"$log" 2>&1 ||
		fail host-packages "apt-get install$missing" "$log"
}

# apt-get as root warns that _apt cannot write to the download directory.
apt_dl() {
	if [ "$(id -u)" -eq 0 ]; then
		apt-get -q -o APT::Sandbox::User=root download "$@"
	else
		apt-get -q download "$@"
	fi
}

# Modules taken from Debian's image package (the rest are built here).
IMAGE_MODULES="fs/configfs/configfs.ko drivers/virtio/virtio.ko
drivers/virtio/virtio_ring.ko drivers/virtio/virtio_mmio.ko
drivers/xen/xen-evtchn.ko
drivers/xen/xen-privcmd.ko drivers/xen/xenfs/xenfs.ko
drivers/xen/xen-gntdev.ko drivers/xen/xen-gntalloc.ko"
# Sources of the out-of-tree modules, from linux-source.
MODULE_SOURCES="drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h
kernel/irq/irq_sim.c drivers/gpio/gpio-virtio.c drivers/virtio/virtio_mmio.c"

fetch_kernel() {
	local d vmlinuz off m
	rm -rf "$K"
	mkdir -p "$K/debs" "$KROOT" "$K/src"
	cd "$K/debs"
	apt_dl "linux-image-$KV=$KVER" "linux-headers-$KV=$KVER" \
		"linux-headers-${KV%-*}-common=$KVER" \
		"linux-kbuild-$KSERIES=$KVER" "linux-source-$KSERIES=$KVER"
	# Only the kernel and a few modules from the image; all the headers.
	# shellcheck disable=SC2046 # one path per word
	dpkg-deb --fsys-tarfile "linux-image-${KV}_"*.deb |
		tar -x -C "$KROOT" "./boot/vmlinuz-$KV" \
			$(for m in $IMAGE_MODULES; do echo "./lib/modules/$KV/kernel/$m"; done)
	for d in linux-headers-*.deb linux-kbuild-*.deb; do
		dpkg-deb -x "$d" "$KROOT"
	done
	# The headers' Makefile includes the common part by absolute path.
	sed -i "s|^include /usr/src/|include $KROOT/usr/src/|" "$KHEADERS/Makefile"
	grep -q "^include $KROOT/" "$KHEADERS/Makefile"
	# shellcheck disable=SC2046 # one path per word
	dpkg-deb --fsys-tarfile "linux-source-${KSERIES}_"*.deb |
		tar -xO "./usr/src/linux-source-$KSERIES.tar.xz" |
		tar -xJ -C "$K/src" --strip-components=1 \
			$(for m in $MODULE_SOURCES; do echo "linux-source-$KSERIES/$m"; done)
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
	echo "$VM_FETCH_RECIPE" >"$K/fetched"
}

# Out of tree: irq_sim and gpio-sim (Debian builds neither), gpio-virtio
# (not built either), and virtio_mmio again with
# VIRTIO_MMIO_CMDLINE_DEVICES, which Debian leaves off: with it the module
# takes device=SIZE@BASE:IRQ, the only way an x86 guest without a device
# tree learns where a virtio-mmio device is.
build_modules() {
	local m f
	rm -rf "$M"
	mkdir -p "$M"
	for f in $MODULE_SOURCES; do cp "$K/src/$f" "$M/"; done
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
	cat >"$M/Kbuild" <<-'EOF'
		obj-m := irq_sim.o gpio-sim.o gpio-virtio.o virtio_mmio.o
		CFLAGS_virtio_mmio.o := -DCONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=1
	EOF
	make -C "$KHEADERS" M="$M" -j"$(nproc)" modules
	for m in irq_sim gpio-sim gpio-virtio virtio_mmio; do
		grep -qa "vermagic=$KV " "$M/$m.ko" ||
			{ echo "$m.ko: vermagic is not $KV"; return 1; }
	done
	# (Not `nm | grep -q`: grep's early exit can fail nm under pipefail.)
	nm "$M/virtio_mmio.ko" >"$M/virtio_mmio.syms"
	grep -q ' __param_device$' "$M/virtio_mmio.syms" ||
		{ echo "virtio_mmio.ko has no device= parameter"; return 1; }
	echo "$MKEY" >"$M/built"
}

# vm_prepare PKG...: host packages, cache lock, kernel and modules.
vm_prepare() {
	host_packages "$@"
	qemu-system-x86_64 --version >/dev/null 2>&1 ||
		skip "qemu-system-x86_64 does not run on this machine"
	QEMU_VER=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')

	mkdir -p "$CACHE" || fail cache "cannot create $CACHE (set VGPIO_VM_CACHE)"
	exec 9>"$CACHE/lock"
	flock 9 || fail cache "cannot lock $CACHE/lock"

	KV=${VGPIO_VM_KERNEL:-}
	if [ -z "$KV" ]; then
		KV=$(kernel_abi)
		if [ -z "$KV" ] && [ "$(id -u)" -eq 0 ]; then
			apt-get -q update >"$OUT/apt-update.log" 2>&1 ||
				fail kernel "apt-get update" "$OUT/apt-update.log"
			KV=$(kernel_abi)
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
	VMLINUX=$K/vmlinux
	VMLINUZ=$KROOT/boot/vmlinuz-$KV

	if [ "$(cat "$K/fetched" 2>/dev/null)" != "$VM_FETCH_RECIPE" ]; then
		# A new kernel version replaces the old ones: the cache does
		# not grow.
		keep_only "$K"
		note "fetching kernel $KV ($KVER) into $K"
		step fetch-kernel "download or unpack of kernel $KV $KVER" fetch_kernel
	fi

	M=$K/modules
	MKEY="recipe=$VM_MODULE_RECIPE gcc=$(gcc -dumpfullversion)"
	if [ "$(cat "$M/built" 2>/dev/null)" != "$MKEY" ]; then
		note "building irq_sim, gpio-sim, gpio-virtio and virtio_mmio for $KV"
		step build-modules "out-of-tree module build" build_modules
	fi
}

# keep_only DIR: remove DIR's siblings (older versions of a cached thing).
keep_only() {
	local old
	for old in "$(dirname "$1")"/*; do
		[ "$old" = "$1" ] || rm -rf "$old"
	done
}

kernel_abi() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
		sed -n 1p
}

# image_module TREE REL: copy a module of Debian's image into TREE/lib/modules.
image_module() {
	mkdir -p "$1/lib/modules"
	cp "$KROOT/lib/modules/$KV/kernel/$2" "$1/lib/modules/"
}

# busybox_tree TREE: a static busybox with all its applets in TREE/bin.
busybox_tree() {
	local bb a
	bb=$(command -v busybox) || { echo "busybox not found"; return 1; }
	case $(file -b "$bb" 2>/dev/null || echo static) in
	*dynamic*) echo "$bb is dynamically linked (need busybox-static)"; return 1 ;;
	esac
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/run"
	cp "$bb" "$1/bin/busybox"
	for a in $("$1/bin/busybox" --list); do
		[ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"
	done
}

# copy_libs TREE PROG...: every library ldd resolves for PROG... (with the
# caller's LD_LIBRARY_PATH) goes to the loader's default directory in TREE,
# so the guest needs no rpath or ld.so.cache; the loader goes to its own
# absolute path (PT_INTERP). Scripts and static programs are skipped.
# Fails on an unresolved library.
copy_libs() {
	local tree=$1 lib p
	shift
	for p in "$@"; do
		case $(file -bL "$p") in
		*dynamically\ linked*) ldd "$p" || return 1 ;;
		esac
	done >"$OUT/ldd.txt"
	if grep -q 'not found' "$OUT/ldd.txt"; then
		echo "unresolved libraries:"
		grep 'not found' "$OUT/ldd.txt"
		return 1
	fi
	mkdir -p "$tree/lib/x86_64-linux-gnu"
	awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' \
		"$OUT/ldd.txt" | sort -u | while read -r lib; do
		case $lib in
		*/ld-linux*)
			mkdir -p "$tree$(dirname "$lib")"
			cp -L "$lib" "$tree$lib"
			;;
		*) cp -L "$lib" "$tree/lib/x86_64-linux-gnu/" ;;
		esac
	done
}

# pack TREE ARCHIVE: a gzipped newc archive (the kernel unpacks
# concatenated archives in order, so a cached base plus a small overlay
# make one initramfs).
pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2.tmp"
	mv "$2.tmp" "$2"
}

# verdict LOG QRC MARK DETAIL: print the checks of console LOG (and any
# cmocka summaries), then the tier's verdict line; exit 1 unless the
# machine reached MARK-START and MARK-DONE within $TIMEOUT (QEMU's or
# timeout's status QRC) with at least one PASS and no FAIL line.
verdict() {
	local log=$1 qrc=$2 mark=$3 npass nfail why=""
	tr -d '\r' <"$log" |
		grep -aE '^(PASS|FAIL|SKIP): |^\[(==========|  PASSED  |  FAILED  )\] [0-9]+ test' ||
		true
	npass=$(tr -d '\r' <"$log" | grep -acE '^PASS: ' || true)
	nfail=$(tr -d '\r' <"$log" | grep -acE '^FAIL: ' || true)
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		why="the machine did not finish within ${TIMEOUT}s"
	elif ! grep -aq "$mark-START" "$log"; then
		why="/init was never reached (qemu exit $qrc)"
	elif ! grep -aq "$mark-DONE" "$log"; then
		why="/init stopped before the end of its checks (qemu exit $qrc)"
	elif [ "$nfail" -ne 0 ] || [ "$npass" -eq 0 ]; then
		why="$npass passed, $nfail failed"
	fi
	if [ -n "$why" ]; then
		echo "FAIL: $TIER: $why"
		grep -aiE 'panic|oops|BUG:|call trace|FATAL' "$log" | head -n 10 |
			sed 's/^/    /' || true
		echo "TIER $TIER: FAIL ($why; log $log)"
		exit 1
	fi
	echo "TIER $TIER: PASS ($npass checks, $4, total $(($(elapsed) / 1000)) s)"
}
