#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Check, and install when missing, what building and testing vgpio needs.
# Uses only the system's own apt sources. Idempotent; called by `make deps`
# (which `make check` and `make demo` depend on).
set -eu

need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

have_cmd cc || have_cmd gcc || need="$need gcc"
have_cmd make || need="$need make"
have_cmd pkg-config || need="$need pkg-config"
have_pkg libcmocka-dev || need="$need libcmocka-dev"
# Xen tool libraries and headers (Xen >= 4.17) for the Xen transport.
have_pkg libxen-dev || need="$need libxen-dev"
# libseccomp: the worker sandbox's syscall allow-list (backend/daemon/sandbox.c).
have_pkg libseccomp-dev || need="$need libseccomp-dev"
have_cmd clang || need="$need clang"
have_cmd clang-format || need="$need clang-format"
# ACPICA's iasl: the tests disassemble the SSDT vgpio-assign writes.
have_cmd iasl || need="$need acpica-tools"
# libFuzzer and the sanitizer runtimes for clang.
clang_rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
[ -f "$clang_rt" ] || need="$need libclang-rt-dev"

if [ -z "$need" ]; then
	exit 0
fi

echo "deps: installing:$need"
if ! have_cmd apt-get; then
	echo "deps: error: missing$need and no apt-get; install them by hand" >&2
	exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if have_cmd sudo; then SUDO="sudo -n"; else
		echo "deps: error: missing$need; run as root or install them" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || {
	echo "deps: error: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null || {
	echo "deps: error: apt-get install$need failed" >&2; exit 1; }
echo "deps: ok"
