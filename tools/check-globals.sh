#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# House rule: no mutable file-scope state in backend/. Lists every object
# symbol that lives in a writable section (.data, .bss, COMMON) of the
# backend's objects; const tables land in .rodata or .data.rel.ro and pass.
# usage: check-globals.sh OBJ...
set -u
bad=$(for o in "$@"; do
	objdump -t "$o" | awk -v f="$o" '
		$3 == "O" && ($4 ~ /^\.(data|bss)(\.|$)/ || $4 == "*COM*") &&
		$4 !~ /^\.data\.rel\.ro/ { print f ": " $NF " (" $4 ")" }'
done)
if [ -n "$bad" ]; then
	echo "FAIL: mutable file-scope state in backend/ (house style 4):"
	echo "$bad"
	exit 1
fi
echo "PASS: no mutable file-scope state in backend/ ($# objects)"
