#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Turn one of vgpio's markdown man pages (docs/NAME.N.md) into a roff man
# page on stdout. It knows the markdown those files use, nothing more:
#
#   # NAME(N)                 the page title (.TH); must come first
#   ## / ###                  .SH / .SS; a page without "## NAME" gets one
#                             from its first paragraph
#   paragraphs                joined and filled
#   ```fences``` and 4-space  literal blocks
#   indented code
#   - item, 1. item           lists, nested and with several paragraphs
#   term + ": definition"     definition lists (.TP)
#   | a | b | tables          tbl(1) tables; "\|" is a literal bar
#   `code` **bold** *italic*  inline; "\X" escapes punctuation
#   <!-- comments -->         dropped
#
# Anything else comes out as text. The date is $SOURCE_DATE_EPOCH's, else
# the file's last commit's, else its modification time, so a page built
# twice from the same tree is the same.
# usage: md2man.sh [-d YYYY-MM-DD] [-s SOURCE] FILE.md
set -eu

usage() {
	echo "usage: md2man.sh [-d YYYY-MM-DD] [-s SOURCE] FILE.md" >&2
	exit 2
}

date=""
source="vgpio"
while getopts d:s: opt; do
	case $opt in
	d) date=$OPTARG ;;
	s) source=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
file=$1
[ -r "$file" ] || { echo "md2man.sh: cannot read $file" >&2; exit 1; }

if [ -z "$date" ] && [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
fi
if [ -z "$date" ]; then
	date=$(git log -1 --format=%cs -- "$file" 2>/dev/null || true)
fi
if [ -z "$date" ]; then
	date=$(date -u -r "$file" +%Y-%m-%d)
fi

exec awk -v date="$date" -v source="$source" -v file="$file" '
function die(msg) {
	printf "md2man.sh: %s: %s\n", file, msg > "/dev/stderr"
	failed = 1
	exit 1
}

# Literal (not regex) replacement of every @a in @s by @b: the escaping
# rules of gsub() replacements differ between awks.
function repl(s, a, b,   out, k) {
	out = ""
	while ((k = index(s, a)) > 0) {
		out = out substr(s, 1, k - 1) b
		s = substr(s, k + length(a))
	}
	return out s
}

function indent_of(s,   k) {
	k = match(s, /[^ ]/)
	return k ? k - 1 : length(s)
}

function blank(s) {
	return s ~ /^[ \t]*$/
}

# Remove up to @n leading spaces.
function dedent(s, n,   k) {
	k = indent_of(s)
	return substr(s, (k < n ? k : n) + 1)
}

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# Literal text for roff: a backslash is \e; in code a "-" is a minus
# (\-), so that options copied from the page work.
function esc_code(s) {
	return repl(repl(s, "\\", "\\e"), "-", "\\-")
}

function font(b, it) {
	return b && it ? "\\f(BI" : b ? "\\fB" : it ? "\\fI" : "\\fR"
}

# Inline markdown of one joined paragraph, table cell or heading.
function fmt(s,   out, n, i, j, k, c, nx, pv, tick, code, bold, ital) {
	out = ""
	bold = ital = 0
	n = length(s)
	i = 1
	while (i <= n) {
		c = substr(s, i, 1)
		nx = substr(s, i + 1, 1)
		pv = i > 1 ? substr(s, i - 1, 1) : " "
		if (c == "`") {
			for (j = i; j <= n && substr(s, j, 1) == "`"; j++)
				;
			tick = substr(s, i, j - i)
			k = index(substr(s, j), tick)
			if (k == 0) {
				out = out tick
				i = j
				continue
			}
			code = substr(s, j, k - 1)
			if (code ~ /^ .* $/ && code !~ /^ *$/)
				code = substr(code, 2, length(code) - 2)
			code = esc_code(code)
			# Long code (JSON) may break after a comma: \: is an
			# invisible break point.
			if (length(code) > 40)
				code = repl(code, ",", ",\\:")
			out = out "\\fB" code font(bold, ital)
			i = j + k - 1 + length(tick)
			continue
		}
		if (c == "\\" && nx != "" && index("\\`*_{}[]()#+-.!|<>", nx)) {
			out = out (nx == "\\" ? "\\e" : nx)
			i += 2
			continue
		}
		if (c == "\\") {
			out = out "\\e"
			i++
			continue
		}
		# Emphasis opens before a non-blank and closes after one.
		if (substr(s, i, 2) == "**" &&
		    (bold ? pv !~ /[ \t]/ : substr(s, i + 2, 1) ~ /[^ \t]/)) {
			bold = !bold
			out = out font(bold, ital)
			i += 2
			continue
		}
		if (c == "*" && (ital ? pv !~ /[ \t]/ : nx ~ /[^ \t*]/)) {
			ital = !ital
			out = out font(bold, ital)
			i++
			continue
		}
		out = out c
		i++
	}
	if (bold || ital)
		out = out "\\fR"
	return out
}

# One output line of text: roff would take a leading "." or quote as a
# request.
function text(s) {
	if (s ~ /^[.\047]/)
		s = "\\&" s
	print s
}

# Where the next block starts: a new paragraph at the top level, the tag
# line of a list item or definition for its first block, an untagged
# paragraph at the item indent after that.
function start_block() {
	if (depth == 0)
		print ".PP"
	else if (attached)
		attached = 0
	else
		print ".IP"
}

function emit_para(s) {
	start_block()
	text(fmt(s))
}

# Literal lines C[1..nc], with their common indentation removed.
function emit_code(   i, m, k) {
	while (nc > 0 && blank(C[nc]))
		nc--
	m = -1
	for (i = 1; i <= nc; i++) {
		if (blank(C[i]))
			continue
		k = indent_of(C[i])
		if (m < 0 || k < m)
			m = k
	}
	if (depth == 0) {
		print ".PP"
		print ".RS 4"
	} else {
		# .RS alone moves to the item indent, .RS 4 beyond it.
		if (attached)
			attached = 0
		else
			print ".sp"
		print ".RS"
		print ".RS 4"
	}
	print ".nf"
	for (i = 1; i <= nc; i++) {
		if (blank(C[i]))
			print ""
		else
			text(esc_code(substr(C[i], m + 1)))
	}
	print ".fi"
	print ".RE"
	if (depth > 0)
		print ".RE"
}

# A table row: cells split at bars that are not escaped.
function split_row(s, cells,   n, cur, i, c) {
	s = trim(s)
	sub(/^\|/, "", s)
	if (s ~ /[^\\]\|$/ || s == "|")
		s = substr(s, 1, length(s) - 1)
	n = 0
	cur = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" && substr(s, i + 1, 1) == "|") {
			# GFM: an escaped bar is a bar, in code spans too.
			cur = cur "|"
			i++
		} else if (c == "|") {
			cells[++n] = trim(cur)
			cur = ""
		} else {
			cur = cur c
		}
	}
	cells[++n] = trim(cur)
	return n
}

# Plain length of a cell, to choose which columns may wrap.
function plain_len(s) {
	gsub(/[`*\\]/, "", s)
	return length(s)
}

# Longest word of a cell: no text block may be narrower.
function word_len(s,   n, i, m, w) {
	n = split(s, words, /[ \t]+/)
	m = 0
	for (i = 1; i <= n; i++) {
		w = plain_len(words[i])
		if (w > m)
			m = w
	}
	return m
}

# Width of column @c when columns get up to @t characters (@twice: 2t).
function col_width(c, t, twice,   w) {
	w = twice ? 2 * t : t
	if (w > W[c])
		w = W[c]
	return w < LW[c] ? LW[c] : w
}

# Table rows L[a..b-1]; the second is the |---| delimiter row.
function emit_table(a, b,   ncol, n, r, c, cells, wide, fmtl, row, cell, w, t, best, budget, sumw) {
	ncol = split_row(L[a], cells)
	for (c = 1; c <= ncol; c++) {
		H[c] = cells[c]
		W[c] = plain_len(cells[c])
		LW[c] = word_len(cells[c])
	}
	for (r = a + 2; r < b; r++) {
		n = split_row(L[r], cells)
		for (c = 1; c <= n && c <= ncol; c++) {
			w = plain_len(cells[c])
			if (w > W[c])
				W[c] = w
			w = word_len(cells[c])
			if (w > LW[c])
				LW[c] = w
		}
	}
	start_block()
	print ".TS"
	print "tab(\t);"
	fmtl = ""
	for (c = 1; c <= ncol; c++)
		fmtl = fmtl (c > 1 ? " " : "") "lB"
	print fmtl
	# Fit an 80-column terminal (71 after the indent): every column gets
	# up to t characters (the last, the prose one, up to 2t), never less
	# than its longest word, with t as large as fits; what is left goes
	# to the last column. A column narrower than its longest cell becomes
	# a text block that wraps.
	budget = 71 - 3 * (ncol - 1)
	best = 1
	for (t = 1; t <= 200; t++) {
		sumw = 0
		for (c = 1; c <= ncol; c++)
			sumw += col_width(c, t, c == ncol)
		if (sumw > budget)
			break
		best = t
	}
	sumw = 0
	for (c = 1; c <= ncol; c++) {
		CW[c] = col_width(c, best, c == ncol)
		sumw += CW[c]
	}
	if (sumw < budget && CW[ncol] < W[ncol])
		CW[ncol] += (W[ncol] - CW[ncol] < budget - sumw) ? \
			W[ncol] - CW[ncol] : budget - sumw
	fmtl = ""
	for (c = 1; c <= ncol; c++) {
		wide[c] = CW[c] < W[c]
		fmtl = fmtl (c > 1 ? " " : "") (wide[c] ? "lw(" CW[c] "n)" : "l")
	}
	print fmtl "."
	row = ""
	for (c = 1; c <= ncol; c++)
		row = row (c > 1 ? "\t" : "") fmt(H[c])
	print row
	print "_"
	for (r = a + 2; r < b; r++) {
		n = split_row(L[r], cells)
		row = ""
		for (c = 1; c <= ncol; c++) {
			cell = c <= n ? fmt(cells[c]) : ""
			if (cell ~ /^[.\047]/)
				cell = "\\&" cell
			if (wide[c])
				cell = "T{\n" cell "\nT}"
			row = row (c > 1 ? "\t" : "") cell
		}
		print row
	}
	print ".TE"
}

function is_bullet(s) {
	return s ~ /^ *[-*+] +[^ ]/
}

function is_ordered(s) {
	return s ~ /^ *[0-9]+[.)] +[^ ]/
}

function is_fence(s) {
	return s ~ /^ *```/
}

function is_heading(s) {
	return s ~ /^#+ /
}

# Width of a list marker and the blanks after it: the item content column.
function marker_width(s) {
	match(s, /^ *([-*+]|[0-9]+[.)]) +/)
	return RLENGTH
}

# Body lines of the item or definition starting at L[i]: the first line is
# the text after the marker, the others (L[i+1..]) are taken while they
# are indented at least @w or follow a non-blank line (lazy continuation),
# and blank lines while more indented lines follow. Fills the global
# B[1..nb] (awk has no local arrays to return), which body_blocks() copies
# away before it recurses, and returns the index after the item.
function collect_body(i, end, first, w,   j, k) {
	nb = 0
	B[++nb] = first
	for (j = i + 1; j < end; j++) {
		if (blank(L[j])) {
			for (k = j + 1; k < end && blank(L[k]); k++)
				;
			if (k < end && indent_of(L[k]) >= w) {
				for (; j < k; j++)
					B[++nb] = ""
				j = k - 1
				continue
			}
			break
		}
		if (indent_of(L[j]) >= w) {
			B[++nb] = dedent(L[j], w)
			continue
		}
		# Lazy continuation of a paragraph, unless a new block starts.
		if (blank(L[j - 1]) || is_bullet(L[j]) || is_ordered(L[j]) ||
		    is_heading(L[j]) || is_fence(L[j]) || L[j] ~ /^ *[:|]/)
			break
		B[++nb] = trim(L[j])
	}
	return j
}

# Run blocks() on B[1..nb] as the body of a tagged item: the lines are
# moved to the end of L, past every range in use, and blocks() walks them
# there.
function body_blocks(   base, k) {
	base = nl
	for (k = 1; k <= nb; k++)
		L[nl + k] = B[k]
	nl += nb
	depth++
	attached = 1
	blocks(base + 1, nl + 1)
	depth--
	attached = 0
	nl = base
}

# The blocks of L[a..b-1].
function blocks(a, b,   i, j, s, para, w, ordered, num, tag) {
	i = a
	while (i < b) {
		s = L[i]
		if (blank(s)) {
			i++
			continue
		}
		if (s ~ /^ *<!--/) {
			while (i < b && L[i] !~ /-->/)
				i++
			i++
			continue
		}
		if (is_heading(s)) {
			heading(s)
			i++
			continue
		}
		if (is_fence(s)) {
			nc = 0
			for (j = i + 1; j < b && !is_fence(L[j]); j++)
				C[++nc] = L[j]
			if (j >= b)
				die("line " i ": code fence not closed")
			emit_code()
			i = j + 1
			continue
		}
		if (indent_of(s) >= 4) {
			nc = 0
			for (j = i; j < b && (blank(L[j]) || indent_of(L[j]) >= 4); j++)
				C[++nc] = L[j]
			emit_code()
			i = j
			continue
		}
		if (s ~ /^ *\|/ && i + 1 < b && L[i + 1] ~ /^ *\|[ :|-]+$/) {
			for (j = i; j < b && L[j] ~ /^ *\|/; j++)
				;
			emit_table(i, j)
			i = j
			continue
		}
		if (is_bullet(s) || is_ordered(s)) {
			ordered = is_ordered(s)
			if (depth > 0) {
				if (attached)
					attached = 0
				print ".RS"
			}
			num = 0
			while (i < b && (ordered ? is_ordered(L[i]) : is_bullet(L[i]))) {
				w = marker_width(L[i])
				num++
				if (ordered)
					print ".IP " num ". 4"
				else
					print ".IP \\(bu 2"
				i = collect_body(i, b, substr(L[i], w + 1), w)
				body_blocks()
				while (i < b && blank(L[i]))
					i++
			}
			if (depth > 0)
				print ".RE"
			continue
		}
		# A definition: a one-line term, then ": text".
		if (i + 1 < b && L[i + 1] ~ /^ *: /) {
			tag = s
			i++
			w = marker_width_def(L[i])
			print ".TP"
			text(fmt(trim(tag)))
			i = collect_body(i, b, substr(L[i], w + 1), w)
			body_blocks()
			continue
		}
		# A paragraph: up to a blank line or the start of another block.
		para = trim(s)
		for (j = i + 1; j < b; j++) {
			if (blank(L[j]) || is_heading(L[j]) || is_fence(L[j]) ||
			    is_bullet(L[j]) || is_ordered(L[j]) ||
			    (j + 1 < b && L[j + 1] ~ /^ *: /))
				break
			para = para " " trim(L[j])
		}
		i = j
		paragraph(para)
	}
}

function marker_width_def(s) {
	match(s, /^ *: +/)
	return RLENGTH
}

# Paragraphs get special treatment around the NAME section: "name - what"
# needs a "\-", and a page without a NAME section takes its first
# paragraph as the description.
function paragraph(p,   k) {
	if (want_name) {
		want_name = 0
		print ".SH NAME"
		print title_lc " \\- " fmt(p)
		print ".SH DESCRIPTION"
		return
	}
	if (in_name) {
		in_name = 0
		k = index(p, " - ")
		if (k == 0)
			die("NAME section: expected \"name - description\"")
		text(fmt(substr(p, 1, k - 1)) " \\- " fmt(substr(p, k + 3)))
		return
	}
	emit_para(p)
}

function heading(s,   lvl, t) {
	match(s, /^#+/)
	lvl = RLENGTH
	t = trim(substr(s, lvl + 1))
	if (lvl == 1) {
		if (seen_title)
			die("a second \"# title\"")
		if (t !~ /^[A-Za-z0-9._-]+\([0-9][a-z]*\)$/)
			die("title must be \"# name(section)\"")
		seen_title = 1
		title_lc = substr(t, 1, index(t, "(") - 1)
		sect = substr(t, index(t, "(") + 1)
		sect = substr(sect, 1, length(sect) - 1)
		manual = sect == "1" ? "User Commands" : \
			 sect == "5" ? "File Formats Manual" : \
			 sect == "8" ? "System Manager\\(aqs Manual" : ""
		printf ".TH \"%s\" \"%s\" \"%s\" \"%s\" \"%s\"\n", \
			toupper(title_lc), sect, date, source, manual
		print ".nh"
		print ".ad l"
		title_lc = esc_code(title_lc)
		want_name = 1
		return
	}
	if (!seen_title)
		die("text before the \"# name(section)\" title")
	if (want_name && lvl == 2 && t == "NAME") {
		want_name = 0
		in_name = 1
		print ".SH NAME"
		return
	}
	if (want_name)
		die("no NAME section and no description paragraph")
	print (lvl == 2 ? ".SH" : ".SS")
	text(fmt(t))
}

{
	sub(/\r$/, "")
	L[++nl] = $0
}

END {
	if (failed)
		exit 1
	if (nl == 0)
		die("empty file")
	# man(1) runs tbl(1) when the first line asks for it.
	for (i = 1; i <= nl; i++)
		if (L[i] ~ /^ *\|[ :|-]+$/)
			tables = 1
	if (tables)
		print "\047\\\" t"
	printf ".\\\" Generated from %s by tools/md2man.sh; edit that file.\n", file
	depth = 0
	blocks(1, nl + 1)
	if (!seen_title)
		die("no \"# name(section)\" title")
}
' "$file"
