#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# No mutable file-scope state in backend/ (docs/architecture.md): all
# state hangs off an instance, so tests and fuzzers can make many. Lists
# every object symbol that lives in a writable section (.data, .bss,
# COMMON) of the backend's objects; const tables land in .rodata or
# .data.rel.ro and pass.
# usage: check-globals.sh OBJ...
set -u
bad=$(for o in "$@"; do
	objdump -t "$o" | awk -v f="$o" '
		$3 == "O" && ($4 ~ /^\.(data|bss)(\.|$)/ || $4 == "*COM*") &&
		$4 !~ /^\.data\.rel\.ro/ { print f ": " $NF " (" $4 ")" }'
done)
if [ -n "$bad" ]; then
	echo "FAIL: mutable file-scope state in backend/ (docs/architecture.md):"
	echo "$bad"
	exit 1
fi
echo "PASS: no mutable file-scope state in backend/ ($# objects)"
