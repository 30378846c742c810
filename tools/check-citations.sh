#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Rule citations point into the repository: every rule number cited as
# V<n> (also in a range V<a>-V<b>) must be one docs/validation.md defines
# with a "### V<n>." heading, and no source file may cite a document that
# is not in the repository (a path into the shared planning directory,
# the old lettered checklist, the reference material). Documentation is
# held to the rule numbers and to the reference-material patterns.
# usage: check-citations.sh (from the top of the tree)
set -u
rules=docs/validation.md

if [ ! -f "$rules" ]; then
	echo "FAIL: citations: $rules is missing"
	exit 1
fi
defined=" $(sed -n 's/^### V\([0-9][0-9]*\)\..*/\1/p' "$rules" | tr '\n' ' ')"

# Sources: code, headers, scripts, tests (fuzz corpora are data).
code=$(find backend include frontend-shim tests tools \
	-path tests/fuzz/corpus -prune -o -type f \
	\( -name '*.[ch]' -o -name '*.sh' \) -print | sort)
code="$code Makefile"
docs=$(find docs -type f -name '*.md' | sort)

bad=""
ncites=0
# Every V<n> token, with file and line.
cites=$(grep -noE '\bV[0-9]+\b' $code $docs 2>/dev/null)
for c in $cites; do
	n=${c##*:V}
	ncites=$((ncites + 1))
	case $defined in
	*" $n "*) ;;
	*)
		bad="$bad
${c%:V*}: cites V$n, which $rules does not define"
		;;
	esac
done

# Outside the repository: a path into the shared planning directory in
# code; the reference material, its lettered checklist and appendix, and
# its section numbers anywhere. (Bracketed so that this file does not
# match itself.)
notes='c[-]anchors|shared[/]reference|[Aa]ppendix[ ]C\b|\bC[.][0-9]+\b|reference[ ][0-9]|reference[ ]notes'
out=$(grep -nE "(^|[^A-Za-z0-9_-])(\.\./)*shared[/]|$notes" $code 2>/dev/null)
out="$out
$(grep -nE "$notes" $docs 2>/dev/null)"
out=$(echo "$out" | sed '/^$/d')
if [ -n "$out" ]; then
	bad="$bad
$(echo "$out" | sed 's/$/  <- cites a document outside the repository/')"
fi

nfiles=$(echo $code $docs | wc -w)
if [ -n "$bad" ]; then
	echo "FAIL: citations (rules are numbered in $rules):$bad"
	exit 1
fi
echo "PASS: citations ($ncites rule citations in $nfiles files, all defined in $rules; nothing outside the repository)"
