#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run the cmocka test binaries of one tier. Each binary's whole output
# goes to BIN.log beside it; its cmocka summary lines are shown, and on
# failure the whole log too. Ends with a one-line verdict for the tier.
# usage: run-tier.sh NAME BIN...
# VGPIO_TEST_TIMEOUT: seconds one binary may take (default 600).
set -u
tier=$1
shift
limit=${VGPIO_TEST_TIMEOUT:-600}
fail=0
n=0
tests=0

# A hung binary must not hang `make check`: stop it (SIGTERM, then KILL).
run() {
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 10 "$limit" "$@"
	else
		"$@"
	fi
}

for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	log=$t.log
	start=$(date +%s)
	run "$t" >"$log" 2>&1
	rc=$?
	echo "== $tier: $name ($(($(date +%s) - start))s)"
	grep -E '^\[(==========\] [0-9]+ test\(s\) run|  (PASSED|FAILED|SKIPPED) +\]|  ERROR +\])' \
		"$log" | sed 's/^/   /'
	tests=$((tests + $(awk '/^\[==========\] [0-9]+ test\(s\) run/ \
		{ s += $2 } END { print s + 0 }' "$log")))
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 124 ] && echo "   timed out after ${limit}s"
		echo "---- $name: full output ($log) ----"
		cat "$log"
		echo "---- end of $name ----"
		echo "FAIL: $tier: $name (exit status $rc)"
		fail=$((fail + 1))
	fi
done
if [ "$fail" -ne 0 ]; then
	echo "TIER $tier: FAIL ($fail of $n binaries failed)"
	exit 1
fi
echo "TIER $tier: PASS ($n binaries, $tests tests)"
