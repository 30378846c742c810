#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Replay committed corpora (replay) or fuzz each target briefly (smoke).
# Each run's output goes to BIN.log beside the binary (its tail is shown
# on failure); smoke inputs go to a scratch dir, never into the corpus.
# usage: run.sh replay|smoke BIN...
set -u
mode=$1
shift
fail=0
for f in "$@"; do
	name=$(basename "$f")
	log=$f.log
	corpus=tests/fuzz/corpus/$name
	[ -d "$corpus" ] || { echo "FAIL: $name: no corpus at $corpus"; fail=1; continue; }
	if [ "$mode" = replay ]; then
		n=$(ls "$corpus" | wc -l)
		if "$f" -runs=0 "$corpus" >"$log" 2>&1; then
			echo "PASS: fuzz replay $name ($n inputs)"
		else
			tail -30 "$log"; echo "FAIL: fuzz replay $name"; fail=1
		fi
	else
		work=$(mktemp -d /tmp/vgpio-fuzz-XXXXXX)
		if "$f" -max_total_time="${FUZZ_TIME:-10}" -rss_limit_mb=2048 \
			"$work" "$corpus" >"$log" 2>&1; then
			echo "PASS: fuzz smoke $name (${FUZZ_TIME:-10}s, $(grep -o 'exec/s: [0-9]*' "$log" | tail -1))"
		else
			tail -40 "$log"; echo "FAIL: fuzz smoke $name"; fail=1
		fi
		rm -rf "$work"
	fi
done
exit $fail
