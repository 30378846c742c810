#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# `make check`: run every tier this machine can run, say which were skipped
# and why, and end with one summary block. Exit non-zero if any tier failed.
set -u
B=${VGPIO_BUILD:-build}
MAKE=${MAKE:-make}
summary=""
rc=0

out=$(mktemp /tmp/vgpio-check-XXXXXX)
trap 'rm -f "$out"' EXIT

# Run one tier, its output shown as it comes; the summary gets its verdict,
# time and the tier's own count line ("TIER x: PASS (...)"), if any.
run_tier() {
	name=$1
	shift
	start=$(date +%s)
	{ "$@"; echo "rc=$?"; } 2>&1 | tee "$out" | grep -v '^rc=[0-9]*$'
	if grep -qx 'rc=0' "$out"; then
		verdict="PASS"
	else
		verdict="FAIL"
		rc=1
	fi
	# A tier that could not run here says "SKIP: tier: reason" and passes.
	skip=$(sed -n "s/^SKIP: $name: //p" "$out" | tail -1)
	if [ "$verdict" = PASS ] && [ -n "$skip" ]; then
		summary="$summary
SKIP  $name: $skip"
		return
	fi
	secs=$(( $(date +%s) - start ))
	detail=$(sed -n 's/^TIER [^:]*: [A-Z]* //p' "$out" | tail -1)
	[ -n "$detail" ] || detail="($(grep -c '^PASS: ' "$out") passed)"
	summary="$summary
$verdict  $name ${detail} ${secs}s"
}

skip_tier() {
	summary="$summary
SKIP  $1: $2"
	echo "SKIP: $1: $2"
}

# libgpiod 2.x: the system's, or Debian 13's packages fetched into .deps/.
run_tier deps $MAKE --no-print-directory check-deps
# backend/ layers include only downwards; no mutable file-scope state.
run_tier layers $MAKE --no-print-directory check-layers check-globals check-citations
run_tier unit $MAKE --no-print-directory check-unit
run_tier integ $MAKE --no-print-directory check-integ
run_tier xen-fake $MAKE --no-print-directory check-xen-fake
# vgpiod and vgpio-assign cross-built for arm64 with -Werror against
# Debian 13's libraries (the Arm code paths compile), checked, and run
# under qemu-aarch64; skips itself only where no cross compiler can be had.
run_tier cross-arm64 $MAKE --no-print-directory check-cross-arm64
if command -v clang >/dev/null 2>&1; then
	run_tier fuzz-smoke $MAKE --no-print-directory fuzz-replay fuzz-smoke
else
	skip_tier fuzz-smoke "clang not found"
fi
# gpio-sim in a QEMU guest; skips itself where QEMU cannot run.
run_tier vm-gpiosim $MAKE --no-print-directory check-vm-gpiosim
# Debian 12's systemd as PID 1 in QEMU runs the installed vgpiod.service
# (readiness, reload, restart, stop, hardening); skips itself where QEMU
# cannot run.
run_tier vm-systemd $MAKE --no-print-directory check-vm-systemd
# Xen under QEMU with vgpiod in dom0 and an HVM guest; skips itself where
# QEMU cannot run.
run_tier vm-xen $MAKE --no-print-directory check-vm-xen
# Arm64 Xen with the IOREQ server under QEMU: the cross-built vgpiod in
# dom0 discovers and serves a guest's virtio= device with grants; builds
# or takes from the cache the arm64 kernel and hypervisor; skips itself
# where QEMU cannot run.
run_tier vm-xen-arm64 $MAKE --no-print-directory check-vm-xen-arm64

echo
echo "==== vgpio check summary ====$summary"
exit $rc
