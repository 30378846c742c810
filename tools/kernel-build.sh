#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The project's one kernel recipe: build a small Linux kernel for ARCH
# (arm64, cross-compiled, or x86_64) from Debian's linux-source package
# and the project's config fragment, and print the directory that holds
# it. The same kernel serves as Xen dom0 and as a guest: the fragment
# (tests/kernel/ARCH.config) says what it needs and why.
#
#   usage: tools/kernel-build.sh [-n] ARCH [FRAGMENT]
#
# -n configures and checks only (no build), and prints the .config's path:
# a quick way to try a fragment.
#
# How: `make allnoconfig`, the fragment merged over it
# (scripts/kconfig/merge_config.sh), `make olddefconfig`, then a check
# that every option the fragment sets is in the final .config as the
# fragment says (else fail naming each one that is not), then the image
# (`Image` on arm64, `bzImage` on x86_64).
#
# Cache: $VGPIO_KERNEL_CACHE (default /var/cache/vgpio/kernel), outside
# the clone:
#   src/<package>_<version>/  the unpacked source (one version kept);
#   ARCH/obj/                 the object tree, reused while the source and
#                             compiler stay (a changed fragment rebuilds
#                             only what it touches);
#   ARCH/<key>/               the result: the image, `config`, `System.map`
#                             and `key`, the text its name is a hash of:
#                             recipe, source package and version, fragment
#                             content and compiler version (the four
#                             newest results are kept).
# A result whose key matches is printed at once; nothing is fetched. The
# source is fetched once through tools/apt-suite.sh (Debian
# $VGPIO_KERNEL_SUITE's linux-source-$VGPIO_KERNEL_SERIES); set
# VGPIO_KERNEL_REFRESH=1 to fetch the suite's current version again.
#
# env: VGPIO_KERNEL_CACHE   cache directory (default /var/cache/vgpio/kernel)
#      VGPIO_KERNEL_SUITE   Debian suite of the source (default trixie)
#      VGPIO_KERNEL_SERIES  kernel series of its linux-source (default 6.12)
#      VGPIO_KERNEL_JOBS    make -j (default: the number of CPUs)
#      VGPIO_KERNEL_REFRESH 1: fetch the source again
#
# Output: the result directory on stdout, progress on stderr. Exit 0 on
# success, 1 with a message naming the failed step (its log's end shown),
# 2 on a usage error.
set -eu

# Bump when the recipe changes what a build produces.
RECIPE=1
TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VGPIO_KERNEL_CACHE:-/var/cache/vgpio/kernel}
SUITE=${VGPIO_KERNEL_SUITE:-trixie}
SERIES=${VGPIO_KERNEL_SERIES:-6.12}
JOBS=${VGPIO_KERNEL_JOBS:-$(nproc)}
SRCPKG=linux-source-$SERIES

say() { echo "kernel-build: $*" >&2; }
fail() {
	say "error: $1"
	[ -z "${2:-}" ] || tail -n 30 "$2" | sed 's/^/    /' >&2
	exit 1
}

CHECK_ONLY=0
if [ "${1:-}" = -n ]; then
	CHECK_ONLY=1
	shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: tools/kernel-build.sh [-n] ARCH [FRAGMENT]" >&2
	exit 2
fi
ARCH=$1
FRAG=${2:-$TOP/tests/kernel/$ARCH.config}
case $ARCH in
arm64)
	KARCH=arm64
	IMAGE=Image
	IMAGE_PATH=arch/arm64/boot/Image
	CROSS=aarch64-linux-gnu-
	CROSS_PKG=gcc-aarch64-linux-gnu
	;;
x86_64)
	KARCH=x86_64
	IMAGE=bzImage
	IMAGE_PATH=arch/x86/boot/bzImage
	CROSS=
	CROSS_PKG=
	;;
*)
	echo "kernel-build: unknown ARCH '$ARCH' (arm64 or x86_64)" >&2
	exit 2
	;;
esac
[ "$(uname -m)" != aarch64 ] || [ "$ARCH" != arm64 ] || { CROSS=; CROSS_PKG=; }
[ -f "$FRAG" ] || fail "no fragment $FRAG"
FRAG=$(cd "$(dirname "$FRAG")" && pwd)/$(basename "$FRAG")

# --- host tools (installed with apt when missing, as root) -----------------
# flex, bison and bc for kconfig and the build; libelf-dev for objtool
# (x86_64); the cross compiler for arm64.
# shellcheck disable=SC2086 # a list of package names
sh "$TOP/tools/host-packages.sh" make gcc flex bison bc libelf-dev \
	xz-utils $CROSS_PKG || fail "host packages"
CC_VERSION=$("${CROSS}gcc" --version | sed -n 1p)

mkdir -p "$CACHE" || fail "cannot create $CACHE (set VGPIO_KERNEL_CACHE)"
CACHE=$(cd "$CACHE" && pwd)

# --- the source: Debian's linux-source, unpacked once ----------------------
exec 8>"$CACHE/src.lock"
flock 8 || fail "cannot lock $CACHE/src.lock"
SRC=""
for d in "$CACHE/src/${SRCPKG}_"*; do
	[ ! -d "$d" ] || SRC=$d
done
if [ -z "$SRC" ] || [ ! -f "$SRC/.unpacked" ] || [ "${VGPIO_KERNEL_REFRESH:-0}" = 1 ]; then
	say "fetching $SRCPKG from Debian $SUITE"
	sh "$TOP/tools/apt-suite.sh" "$CACHE/src" "$SUITE" "$SRCPKG" ||
		fail "download of $SRCPKG"
	deb=$(ls "$CACHE/src/apt/debs/${SRCPKG}_"*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	new=$CACHE/src/${SRCPKG}_$ver
	if [ "$new" != "$SRC" ] || [ ! -f "$new/.unpacked" ]; then
		say "unpacking $SRCPKG $ver"
		rm -rf "$new"
		mkdir -p "$new"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/$SRCPKG.tar.xz" |
			tar -xJ -C "$new" --strip-components=1 ||
			fail "unpacking $deb"
		echo "$SRCPKG=$ver" >"$new/.unpacked"
		# One source version is kept.
		for old in "$CACHE/src/${SRCPKG}_"*; do
			[ "$old" = "$new" ] || rm -rf "$old"
		done
	fi
	rm -f "$CACHE"/src/apt/debs/*.deb
	SRC=$new
fi
SRCVER=$(cat "$SRC/.unpacked")
flock -u 8

# --- the cache key ------------------------------------------------------------
KEY="recipe=$RECIPE arch=$ARCH source=$SRCVER
fragment=$(sha256sum <"$FRAG" | cut -d' ' -f1)
cc=$CC_VERSION"
A=$CACHE/$ARCH
mkdir -p "$A"
exec 9>"$A/lock"
flock 9 || fail "cannot lock $A/lock"
R=$A/$(echo "$KEY" | sha256sum | cut -c1-16)
if [ "$CHECK_ONLY" = 0 ] && [ -f "$R/$IMAGE" ] &&
	[ "$(cat "$R/key" 2>/dev/null)" = "$KEY" ]; then
	say "cached: $R"
	echo "$R"
	exit 0
fi

# --- configure and check --------------------------------------------------------
OBJ=$A/obj
TREEKEY="recipe=$RECIPE source=$SRCVER cc=$CC_VERSION"
if [ "$(cat "$OBJ/.treekey" 2>/dev/null)" != "$TREEKEY" ]; then
	# Another source or compiler: start from an empty tree, and drop
	# the results made with the old one.
	for old in "$A"/*; do
		case ${old##*/} in lock) ;; *) rm -rf "$old" ;; esac
	done
	mkdir -p "$OBJ"
	echo "$TREEKEY" >"$OBJ/.treekey"
fi
LOG=$A/build.log
kmake() {
	make -C "$SRC" O="$OBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS" "$@"
}
say "configuring $ARCH from allnoconfig + $(basename "$FRAG") (log $LOG)"
{
	kmake allnoconfig &&
		ARCH=$KARCH CROSS_COMPILE=$CROSS "$SRC/scripts/kconfig/merge_config.sh" \
			-m -O "$OBJ" "$OBJ/.config" "$FRAG" &&
		kmake olddefconfig
} >"$LOG" 2>&1 || fail "configuring the kernel" "$LOG"

# Every CONFIG_X=v and "# CONFIG_X is not set" of the fragment must have
# survived olddefconfig (an unmet dependency silently drops an option).
missing=$(awk '
	FNR == NR {
		if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) want[$0] = 1
		else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) off[$2] = 1
		next
	}
	{ have[$0] = 1 }
	/^CONFIG_[A-Za-z0-9_]+=/ { split($0, kv, "="); on[kv[1]] = $0 }
	END {
		for (w in want) if (!(w in have)) {
			split(w, kv, "=")
			got = (kv[1] in on) ? on[kv[1]] : "not set"
			print "  " w " (got: " got ")"
		}
		for (o in off) if (o in on) print "  # " o " is not set (got: " on[o] ")"
	}' "$FRAG" "$OBJ/.config" | sort)
if [ -n "$missing" ]; then
	say "error: after olddefconfig these options of $(basename "$FRAG") are not as asked (a dependency missing from the fragment, or not in $SRCVER):"
	echo "$missing" >&2
	exit 1
fi
if [ "$CHECK_ONLY" = 1 ]; then
	say "every option of $(basename "$FRAG") is set as asked"
	echo "$OBJ/.config"
	exit 0
fi

# --- build --------------------------------------------------------------------
say "building $IMAGE for $ARCH with $JOBS jobs from $SRCVER"
start=$(date +%s)
kmake -j"$JOBS" "$IMAGE" >>"$LOG" 2>&1 || fail "building $IMAGE" "$LOG"
rm -rf "$R.tmp"
mkdir -p "$R.tmp"
cp "$OBJ/$IMAGE_PATH" "$R.tmp/$IMAGE"
cp "$OBJ/.config" "$R.tmp/config"
cp "$OBJ/System.map" "$R.tmp/System.map"
echo "$KEY" >"$R.tmp/key"
rm -rf "$R"
mv "$R.tmp" "$R"
# Keep the four newest results (fragments of other branches); drop the rest.
# shellcheck disable=SC2012 # the names are hex digits
ls -dt "$A"/*/key | sed 1,4d | while read -r old; do
	rm -rf "$(dirname "$old")"
done
say "built $ARCH $IMAGE in $(($(date +%s) - start)) s: $R"
echo "$R"
