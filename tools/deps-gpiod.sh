#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Make libgpiod >= 2.0 (the v2 API vgpio's gpiod provider uses) available
# to the build, and print the PKG_CONFIG_PATH directory to use (empty when
# the system's own libgpiod is new enough).
#
#   usage: deps-gpiod.sh PREFIX_DIR
#
# With a system libgpiod >= 2.0 (Debian 13 and later) nothing is fetched.
# Otherwise (Debian 12 ships 1.6) Debian 13's libgpiod3 and libgpiod-dev
# packages are downloaded by apt-suite.sh (a private apt state under
# PREFIX_DIR/apt, the system's own mirror) and unpacked into PREFIX_DIR/root. Idempotent: a stamp records
# what was unpacked. Exit 0 on success, 1 with a message naming the step
# that failed.
set -eu

SUITE=${VGPIO_GPIOD_SUITE:-trixie}
PKGS="libgpiod3 libgpiod-dev"

if [ $# -ne 1 ]; then
	echo "usage: deps-gpiod.sh PREFIX_DIR" >&2
	exit 1
fi
if pkg-config --atleast-version=2.0 libgpiod 2>/dev/null; then
	echo ""
	exit 0
fi

fail() {
	echo "deps-gpiod: error: $*" >&2
	exit 1
}

mkdir -p "$1" || fail "cannot create $1"
top=$(cd "$1" && pwd)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	gcc -print-multiarch)
pcdir=$top/root/usr/lib/$multiarch/pkgconfig

if [ -f "$top/stamp" ] && [ -f "$pcdir/libgpiod.pc" ]; then
	echo "$pcdir"
	exit 0
fi

echo "deps-gpiod: fetching libgpiod 2.x ($PKGS) from Debian $SUITE" >&2
# shellcheck disable=SC2086 # a list of package names
sh "$(dirname "$0")/apt-suite.sh" "$top" "$SUITE" $PKGS || exit 1
a=$top/apt
rm -rf "$top/root"
for deb in "$a"/debs/*.deb; do
	dpkg-deb -x "$deb" "$top/root" || fail "dpkg-deb -x $deb"
done
[ -f "$pcdir/libgpiod.pc" ] || fail "no libgpiod.pc in the unpacked packages"
# The .pc names /usr; point it at the unpacked tree.
sed -i "s|^prefix=.*|prefix=$top/root/usr|" "$pcdir/libgpiod.pc"
PKG_CONFIG_PATH=$pcdir pkg-config --atleast-version=2.0 libgpiod ||
	fail "the unpacked libgpiod is older than 2.0"
ls "$a"/debs >"$top/stamp"
echo "$pcdir"
