#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# `make install` into a temporary DESTDIR: the installed vgpiod and
# vgpio-assign run, and when libgpiod is the project-local copy from
# .deps/, they load the copy installed beside them (not the build tree's).
# env: MAKE, B (build directory).
set -eu
MAKE=${MAKE:-make}
B=${B:-build}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
$MAKE --no-print-directory -s B="$B" install DESTDIR="$d" PREFIX=/usr >"$d.log" 2>&1 ||
	{ cat "$d.log"; rm -f "$d.log"; echo "FAIL: deps: make install failed"; exit 1; }
rm -f "$d.log"
for p in sbin/vgpiod sbin/vgpio-assign bin/vgpio-shim bin/vgpio-ctl; do
	[ -x "$B/${p#*/}" ] || continue # not built by this tree
	[ -x "$d/usr/$p" ] || { echo "FAIL: deps: $p not installed"; exit 1; }
	"$d/usr/$p" --help >/dev/null ||
		{ echo "FAIL: deps: installed $p --help failed"; exit 1; }
done
if [ -n "$(cat .deps/gpiod/pcpath 2>/dev/null)" ]; then
	lib=$(ldd "$d/usr/sbin/vgpiod" | sed -n 's/^[[:space:]]*libgpiod\.so\.3 => \([^ ]*\).*/\1/p')
	case $lib in
	"$d"/usr/lib/vgpio/* | "$d"/usr/sbin/../lib/vgpio/*) ;;
	*) echo "FAIL: deps: installed vgpiod loads libgpiod from '$lib', not from $d/usr/lib/vgpio"; exit 1 ;;
	esac
	echo "PASS: deps: installed vgpiod runs with the libgpiod installed beside it"
else
	echo "PASS: deps: installed vgpiod runs with the system libgpiod"
fi
