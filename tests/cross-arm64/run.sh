#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Cross tier: vgpiod and vgpio-assign build for arm64 with warnings as
# errors against Debian 13's arm64 C library, Xen and libgpiod 2.x (so the
# Arm code paths of the Xen transport compile on every change), and the
# binaries are what a Debian 13 arm64 dom0 can run.
#
#   usage: tests/cross-arm64/run.sh   (from the top of the tree; `make
#          check-cross-arm64` runs it)
#
# Steps: tools/deps-cross.sh (cross compiler, qemu-user-static, sysroot
# in $ARM64_DIR/root), `make cross-arm64`, then checks on each binary:
# its machine and loader (`file`); every library it needs is in the
# sysroot, with no rpath; the highest glibc symbol version it needs is in
# the sysroot's C library; and `--help` runs under qemu-aarch64 with the
# sysroot as its library root and LD_BIND_NOW=1, so that every symbol
# resolves in Debian 13's libraries before main() runs.
#
# env: MAKE (default make), ARM64_DIR (default .deps/arm64),
#      ARM64_B (default build-arm64)
#
# Output: PASS:/FAIL: lines, then "TIER cross-arm64: PASS|FAIL (...)".
# Exit: 0 all passed, 1 a check or a step failed, 77 after
# "SKIP: cross-arm64: <reason>" when no cross compiler can be had here.
set -eu

MAKE=${MAKE:-make}
DIR=${ARM64_DIR:-.deps/arm64}
B=${ARM64_B:-build-arm64}
TRIPLET=aarch64-linux-gnu
QEMU=qemu-aarch64-static
npass=0
nfail=0

pass() {
	echo "PASS: cross-arm64: $*"
	npass=$((npass + 1))
}
fail() {
	echo "FAIL: cross-arm64: $*"
	nfail=$((nfail + 1))
}

rc=0
sh tools/deps-cross.sh arm64 "$DIR" || rc=$?
[ "$rc" -ne 77 ] || exit 77
if [ "$rc" -ne 0 ]; then
	echo "TIER cross-arm64: FAIL (sysroot step)"
	exit 1
fi
ROOT=$(cd "$DIR/root" && pwd)
start=$(date +%s)
if ! $MAKE --no-print-directory cross-arm64; then
	echo "TIER cross-arm64: FAIL (cross build)"
	exit 1
fi
pass "vgpiod and vgpio-assign built for arm64 with -Werror ($(($(date +%s) - start)) s)"

# The sysroot's glibc, from its libc6 package: "2.41-12" -> 2.41.
libc_ver=$(sed -n 's/^libc6_\([0-9]*\.[0-9]*\).*_arm64\.deb$/\1/p' "$DIR/stamp")
[ -n "$libc_ver" ] || { fail "no libc6 in $DIR/stamp"; libc_ver=0.0; }

for bin in "$B/vgpiod" "$B/vgpio-assign"; do
	name=${bin##*/}
	desc=$(file -b "$bin")
	case $desc in
	*"ELF 64-bit LSB"*"ARM aarch64"*"interpreter /lib/ld-linux-aarch64.so.1"*)
		pass "$name: arm64 ELF, loader /lib/ld-linux-aarch64.so.1" ;;
	*) fail "$name: file says: $desc" ;;
	esac

	dyn=$("$TRIPLET-readelf" -d "$bin")
	needed=$(echo "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | tr '\n' ' ')
	missing=""
	for lib in $needed; do
		[ -e "$ROOT/usr/lib/$TRIPLET/$lib" ] || missing="$missing $lib"
	done
	if [ -z "$missing" ]; then
		pass "$name: needs ${needed% }, all in Debian 13's packages"
	else
		fail "$name: needs libraries that are not in the sysroot:$missing"
	fi
	if echo "$dyn" | grep -qE '\((RPATH|RUNPATH)\)'; then
		fail "$name: has an rpath: $(echo "$dyn" | grep -E '\((RPATH|RUNPATH)\)')"
	else
		pass "$name: no rpath (the target's libraries are the system's)"
	fi

	top_ver=$("$TRIPLET-objdump" -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' |
		sed 's/GLIBC_//' | sort -uV | tail -n 1)
	if [ -n "$top_ver" ] &&
		[ "$(printf '%s\n%s\n' "$top_ver" "$libc_ver" | sort -V | tail -n 1)" = "$libc_ver" ]; then
		pass "$name: needs glibc $top_ver at most (the sysroot has $libc_ver)"
	else
		fail "$name: needs glibc '$top_ver', the sysroot has $libc_ver"
	fi

	if command -v "$QEMU" >/dev/null 2>&1; then
		if out=$("$QEMU" -L "$ROOT" -E LD_BIND_NOW=1 "$bin" --help 2>&1) &&
			echo "$out" | grep -q "^usage: $name"; then
			pass "$name --help runs under $QEMU on the sysroot, every symbol bound"
		else
			fail "$name --help under $QEMU: $(echo "$out" | head -n 3)"
		fi
	else
		# (Not a SKIP line: that would mark the whole tier skipped.)
		echo "note: cross-arm64: no $QEMU (package qemu-user-static): $name not run"
	fi
done

if [ "$nfail" -ne 0 ]; then
	echo "TIER cross-arm64: FAIL ($nfail of $((npass + nfail)) checks failed)"
	exit 1
fi
echo "TIER cross-arm64: PASS ($npass checks)"
