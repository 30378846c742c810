#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The layers of backend/ (docs/architecture.md): every quoted #include in
# a layer's folder must name a header of that layer or of a layer it may
# use, found through the include paths (no "../" and no tests/ path); a
# module-private header (*-priv.h) is included only from its own folder;
# no backend header is included with <...>; and production objects are
# compiled without a tests/ include path.
#
# usage: check-layers.sh COMPILE-LOG LAYER:USED,USED... ...
#   COMPILE-LOG  the compile commands of the production objects (make -n)
#   LAYER:USED   one argument per layer, with the layers it may include
set -u
log=$1
shift
bad=""
nfiles=0

# The layer a header path belongs to: backend/<layer>/...
layer_of() {
	echo "$1" | sed -n 's|^backend/\([^/]*\)/.*|\1|p'
}

for spec in "$@"; do
	layer=${spec%%:*}
	uses=$(echo "${spec#*:}" | tr ',' ' ')
	allowed=" $layer $uses "
	for f in $(find "backend/$layer" -name '*.[ch]' | sort); do
		nfiles=$((nfiles + 1))
		for h in $(sed -n 's/^#[ \t]*include[ \t]*<\([^>]*\)>.*/\1/p' "$f"); do
			if [ -n "$(find backend -path "*/$h" -type f | head -1)" ]; then
				bad="$bad
$f: includes backend header <$h> with angle brackets"
			fi
		done
		for h in $(sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
			case $h in
			*..* | tests/* | /*)
				bad="$bad
$f: includes \"$h\" by a relative or outside path"
				continue
				;;
			esac
			# Where the compiler finds it: beside the file, else in
			# the folders of backend/ (first match).
			if [ -e "$(dirname "$f")/$h" ]; then
				found="$(dirname "$f")/$h"
			else
				found=$(find backend -path "*/$h" -type f | sort | head -1)
			fi
			if [ -z "$found" ]; then
				bad="$bad
$f: includes \"$h\", which is in no layer"
				continue
			fi
			case $h in
			*-priv.h)
				if [ "$(dirname "$found")" != "$(dirname "$f")" ]; then
					bad="$bad
$f: includes \"$h\", private to $(dirname "$found")"
				fi
				;;
			esac
			hl=$(layer_of "$found")
			case $allowed in
			*" $hl "*) ;;
			*)
				bad="$bad
$f: layer '$layer' includes \"$h\" of layer '$hl' (it may use:${uses:- nothing})"
				;;
			esac
		done
	done
done

if grep -q -- '-Itests' "$log"; then
	bad="$bad
production objects are compiled with a tests/ include path:
$(grep -- '-Itests' "$log" | head -3)"
fi

if [ -n "$bad" ]; then
	echo "FAIL: backend layering (docs/architecture.md, \"Layers\"):$bad"
	exit 1
fi
echo "PASS: backend layering ($nfiles files in $# layers; production built without tests/ paths)"
