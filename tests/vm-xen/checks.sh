# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
#
# Check functions of the Xen tier's two /init scripts (busybox sh), copied
# into both images as /lib/checks.sh. The script sets WHO (dom0, domU)
# and defines finish() (report and power off) before sourcing it.

pass() { echo "PASS: $WHO: $*"; }
fail() { echo "FAIL: $WHO: $*"; }

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: want '$2', got '$3'"; fi
}

# setup DESCRIPTION CMD...: a failed setup step ends the run, as a FAIL.
setup() {
	d=$1
	shift
	"$@" || {
		fail "$d (exit $?)"
		finish
	}
}

# until_ok SECONDS CMD...: retry CMD once a second until it succeeds.
# (CMD's arguments are expanded once: test a function, not "$(...)".)
until_ok() {
	n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}
