#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build (or take from the cache) the Xen hypervisor for arm64 from Debian
# 13's `xen` source with the IOREQ server enabled, and print the
# directory that holds it. Debian's own arm64 hypervisor is built without
# CONFIG_EXPERT, so without CONFIG_IOREQ_SERVER, which a virtio-mmio
# backend in dom0 needs on Arm.
#
#   usage: tools/xen-build.sh arm64
#
# How: the source package's two tarballs (orig and debian) come from the
# system's Debian mirror with apt's own downloader and are checked against
# the SHA-256 sums below; the tree is unpacked with tar and Debian's
# patches (debian/patches/series) are applied with patch -p1. The mirror
# answers 404 for the .dsc, so `apt-get source` cannot unpack it, and it
# keeps only this version's tarballs: the version is pinned here, with
# its sums (a hypervisor of the 4.20 branch runs Debian 13's 4.20
# userland: the interfaces are stable within a branch). Then
# debian/xen-kconfig (Debian's configuration) plus OPTIONS below,
# `make olddefconfig`, a check that each option of OPTIONS is in the
# final .config, the build (`make -C xen`, cross with
# gcc-aarch64-linux-gnu), and a check that the image has the IOREQ code
# (the IOREQ server's dm_op and the Arm MMIO forwarding in xen-syms).
#
# Cache: $VGPIO_XEN_CACHE (default /var/cache/vgpio/xen), outside the
# clone: src/<version>/ the patched tree (one version kept), and
# arm64/<hash>/ the result: `xen` (the Image QEMU boots), `config`,
# `key`, the text its name is a hash of (recipe, source version, options,
# compiler). A result whose key matches is printed at once.
#
# env: VGPIO_XEN_CACHE  cache directory (default /var/cache/vgpio/xen)
#      VGPIO_XEN_JOBS   make -j (default: the number of CPUs)
#
# Output: the result directory on stdout, progress on stderr. Exit 0 on
# success, 1 with a message naming the failed step, 2 on a usage error.
set -eu

# Bump when the recipe changes what a build produces.
RECIPE=1
SRCVER=4.20.3+127-gc42374a105-0+deb13u1
ORIG=xen_4.20.3+127-gc42374a105.orig.tar.xz
ORIG_SHA256=df0831854a55a8f31cb3cb85036f2edc928e2ef098d77f815f5714bfafac68f3
DEBTAR=xen_$SRCVER.debian.tar.xz
DEBTAR_SHA256=b1f909d626f3d4ba6965ba291dd97b0dfbbe48bb8e2510913cbc1760c5e8cb3e
OPTIONS="CONFIG_EXPERT=y
CONFIG_IOREQ_SERVER=y"
CACHE=${VGPIO_XEN_CACHE:-/var/cache/vgpio/xen}
JOBS=${VGPIO_XEN_JOBS:-$(nproc)}
TOP=$(cd "$(dirname "$0")/.." && pwd)

say() { echo "xen-build: $*" >&2; }
fail() {
	say "error: $1"
	[ -z "${2:-}" ] || tail -n 30 "$2" | sed 's/^/    /' >&2
	exit 1
}
if [ $# -ne 1 ] || [ "$1" != arm64 ]; then
	echo "usage: tools/xen-build.sh arm64" >&2
	exit 2
fi
CROSS=aarch64-linux-gnu-
[ "$(uname -m)" != aarch64 ] || CROSS=

# --- host tools (installed with apt when missing, as root) -----------------
# flex and bison for kconfig, python3 for the build's generators, patch
# for Debian's patches, apt for its downloader; the cross compiler.
# shellcheck disable=SC2086 # a list of package names
sh "$TOP/tools/host-packages.sh" make gcc flex bison python3 xz-utils \
	patch apt ${CROSS:+gcc-aarch64-linux-gnu} || fail "host packages"
CC_VERSION=$("${CROSS}gcc" --version | sed -n 1p)

mkdir -p "$CACHE" || fail "cannot create $CACHE (set VGPIO_XEN_CACHE)"
CACHE=$(cd "$CACHE" && pwd)
exec 9>"$CACHE/lock"
flock 9 || fail "cannot lock $CACHE/lock"

# --- the cache key ----------------------------------------------------------
KEY="recipe=$RECIPE arch=arm64 source=xen_$SRCVER
options=$(echo "$OPTIONS" | tr '\n' ' ')
cc=$CC_VERSION"
A=$CACHE/arm64
R=$A/$(echo "$KEY" | sha256sum | cut -c1-16)
if [ -f "$R/xen" ] && [ "$(cat "$R/key" 2>/dev/null)" = "$KEY" ]; then
	say "cached: $R"
	echo "$R"
	exit 0
fi

# --- the source: orig + debian tarballs, Debian's patches applied -----------
SRC=$CACHE/src/$SRCVER
if [ ! -f "$SRC/.unpacked" ]; then
	mirror=$(sh "$TOP/tools/apt-suite.sh" -m) || fail "no Debian mirror"
	dl=$CACHE/src/dl
	rm -rf "$CACHE/src"
	mkdir -p "$dl" "$SRC"
	for f in "$ORIG:$ORIG_SHA256" "$DEBTAR:$DEBTAR_SHA256"; do
		name=${f%%:*}
		# apt's downloader checks the sum; "+" is escaped in the pool.
		say "fetching $name"
		sandbox=""
		[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
		# shellcheck disable=SC2086 # empty or one option
		/usr/lib/apt/apt-helper $sandbox download-file \
			"$mirror/pool/main/x/xen/$(echo "$name" | sed 's/+/%2b/g')" \
			"$dl/$name" "SHA256:${f#*:}" >"$dl/$name.log" 2>&1 ||
			fail "download of $name" "$dl/$name.log"
	done
	tar -xJf "$dl/$ORIG" -C "$SRC" --strip-components=1 ||
		fail "unpacking $ORIG"
	tar -xJf "$dl/$DEBTAR" -C "$SRC" || fail "unpacking $DEBTAR"
	grep -v '^[[:space:]]*\(#\|$\)' "$SRC/debian/patches/series" |
		while read -r p; do
			patch -d "$SRC" -p1 -s -N <"$SRC/debian/patches/$p" ||
				{ echo "patch $p does not apply" >&2; exit 1; }
		done || fail "applying Debian's patches"
	rm -rf "$dl"
	echo "xen_$SRCVER" >"$SRC/.unpacked"
fi

# --- configure, check, build --------------------------------------------------
LOG=$CACHE/build-arm64.log
xmake() {
	make -C "$SRC/xen" XEN_TARGET_ARCH=arm64 CROSS_COMPILE="$CROSS" "$@"
}
say "configuring: debian/xen-kconfig + $(echo "$OPTIONS" | tr '\n' ' ')(log $LOG)"
{
	cp "$SRC/debian/xen-kconfig" "$SRC/xen/.config" &&
		echo "$OPTIONS" >>"$SRC/xen/.config" &&
		xmake olddefconfig
} >"$LOG" 2>&1 || fail "configuring Xen" "$LOG"
for o in $OPTIONS; do
	grep -qx "$o" "$SRC/xen/.config" ||
		fail "after olddefconfig $o is not set (got: $(grep "^${o%%=*}=" "$SRC/xen/.config" || echo 'not set'))"
done
say "building the arm64 hypervisor with $JOBS jobs from xen_$SRCVER"
start=$(date +%s)
xmake -j"$JOBS" >>"$LOG" 2>&1 || fail "building Xen" "$LOG"
# The IOREQ server's code is in the image: common/ioreq.c and the Arm
# ioreq forwarding (a stock build has neither).
n=$("${CROSS}nm" "$SRC/xen/xen-syms" | grep -c ' T \(ioreq_server_dm_op\|try_fwd_ioserv\)$' || true)
[ "$n" -eq 2 ] || fail "xen-syms lacks ioreq_server_dm_op or try_fwd_ioserv: no IOREQ server in this build"
rm -rf "$R.tmp"
mkdir -p "$R.tmp"
cp "$SRC/xen/xen" "$R.tmp/xen"
cp "$SRC/xen/.config" "$R.tmp/config"
echo "$KEY" >"$R.tmp/key"
rm -rf "$R"
mv "$R.tmp" "$R"
# Keep the two newest results; drop the rest.
# shellcheck disable=SC2012 # the names are hex digits
ls -dt "$A"/*/key | sed 1,2d | while read -r old; do
	rm -rf "$(dirname "$old")"
done
say "built the arm64 hypervisor in $(($(date +%s) - start)) s: $R"
echo "$R"
