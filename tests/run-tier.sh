#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run the cmocka test binaries of one tier; print a one-line verdict.
# usage: run-tier.sh NAME BIN...
set -u
tier=$1
shift
fail=0
n=0
for t in "$@"; do
	n=$((n + 1))
	echo "== $tier: $(basename "$t")"
	if ! "$t"; then
		echo "FAIL: $tier: $(basename "$t")"
		fail=$((fail + 1))
	fi
done
if [ "$fail" -ne 0 ]; then
	echo "TIER $tier: FAIL ($fail of $n binaries failed)"
	exit 1
fi
echo "TIER $tier: PASS ($n binaries)"
