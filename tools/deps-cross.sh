#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The dependency step of a cross build: the cross compiler and QEMU's
# user-mode emulator on the host (apt, as root, when missing), and a
# sysroot of the target's Debian libraries and headers in DIR/root.
#
#   usage: tools/deps-cross.sh ARCH DIR
#
# The sysroot is DIR/root: the packages of SYSROOT_PKGS below and
# everything they depend on, for ARCH from Debian $VGPIO_CROSS_SUITE
# (default trixie, the release whose Xen and libgpiod vgpiod targets),
# downloaded by tools/apt-suite.sh (a private apt state in DIR/apt, the
# system's own mirror) and unpacked, never installed. The binaries are
# linked against that release's own C library, so they run on it, not
# against the cross compiler's (the host release's).
#
# Idempotent: a stamp records the suite, the package list and what was
# unpacked; with it in place nothing is fetched. ARCH: arm64.
#
# Exit: 0; 77 after "SKIP: <reason>" when the cross
# compiler is missing and this is not root with apt-get; 1 with a message
# naming the step that failed; 2 on a usage error.
set -eu

# What vgpiod and vgpio-assign are built against, as -dev packages: apt
# adds the runtime libraries and the C library. A new library for
# vgpiod is one more name here.
SYSROOT_PKGS="libc6-dev libxen-dev libgpiod-dev libseccomp-dev"
SUITE=${VGPIO_CROSS_SUITE:-trixie}

if [ $# -ne 2 ]; then
	echo "usage: tools/deps-cross.sh ARCH DIR" >&2
	exit 2
fi
ARCH=$1
case $ARCH in
arm64)
	TRIPLET=aarch64-linux-gnu
	QEMU=qemu-aarch64-static
	;;
*)
	echo "deps-cross: unknown ARCH '$ARCH' (arm64)" >&2
	exit 2
	;;
esac
fail() {
	echo "deps-cross: error: $*" >&2
	exit 1
}

# --- host tools -------------------------------------------------------------------
need=""
command -v "$TRIPLET-gcc" >/dev/null 2>&1 || need="$need gcc-$TRIPLET"
command -v "$QEMU" >/dev/null 2>&1 || need="$need qemu-user-static"
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		command -v "$TRIPLET-gcc" >/dev/null 2>&1 || {
			echo "SKIP: cross-$ARCH: $TRIPLET-gcc not found and not root with apt-get to install gcc-$TRIPLET"
			exit 77
		}
		# The emulator only adds the run test; go on without it.
		echo "deps-cross: $QEMU not found (package qemu-user-static): no run test" >&2
	else
		# Root with apt: the toolchain can be had, so a failure here
		# fails (a SKIP would hide the tier). Another apt on a shared
		# machine holds the lock for a while: wait for it.
		mkdir -p "$2" || fail "cannot create $2"
		log=$2/host-packages.log
		echo "deps-cross: installing:$need" >&2
		# shellcheck disable=SC2086 # a list of package names
		{ apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q \
			-o DPkg::Lock::Timeout=600 install -y \
			--no-install-recommends $need; } >"$log" 2>&1 || {
			tail -n 20 "$log" >&2
			fail "apt-get install$need (log $log)"
		}
	fi
fi

# --- the sysroot --------------------------------------------------------------------
mkdir -p "$2" || fail "cannot create $2"
top=$(cd "$2" && pwd)
root=$top/root
want="suite=$SUITE arch=$ARCH packages=$SYSROOT_PKGS"
if [ -f "$top/stamp" ] && [ "$(sed -n 1p "$top/stamp")" = "$want" ] &&
	[ -f "$root/usr/lib/$TRIPLET/libc.so" ]; then
	exit 0
fi

echo "deps-cross: fetching the $ARCH sysroot ($SYSROOT_PKGS and their dependencies) from Debian $SUITE" >&2
# shellcheck disable=SC2086 # a list of package names
sh "$(dirname "$0")/apt-suite.sh" -a "$ARCH" -d "$top" "$SUITE" $SYSROOT_PKGS ||
	exit 1
rm -rf "$root"
mkdir -p "$root/usr/lib"
for deb in "$top"/apt/debs/*.deb; do
	dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x $deb"
done
# Debian 13 has a merged /usr: /lib is a link that base-files makes,
# and binaries name their loader /lib/ld-linux-*.so.1.
for d in lib bin sbin; do
	[ -e "$root/$d" ] || ln -s "usr/$d" "$root/$d"
done
# Absolute links point into the host; make them relative to the sysroot.
find "$root" -type l -lname '/*' | while read -r l; do
	t=$(readlink "$l")
	rel=$(dirname "${l#"$root"}" | sed 's|/[^/]*|../|g; s|^/||')
	ln -sfn "${rel}${t#/}" "$l"
done
[ -f "$root/usr/lib/$TRIPLET/libc.so" ] || fail "no libc.so in the unpacked packages"
{
	echo "$want"
	ls "$top"/apt/debs
} >"$top/stamp"
