#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Download Debian packages of another suite without touching the system's
# apt state: apt runs with a private configuration, lists and cache under
# DIR/apt, against the mirror the system already uses for its own release
# (deb822 sources first, then one-line sources; VGPIO_DEBIAN_MIRROR
# overrides it). Nothing is installed.
#
#   usage: apt-suite.sh [-a ARCH] [-d] DIR SUITE PKG[=VERSION]...
#          apt-suite.sh -m
#
# -a ARCH takes the packages of another Debian architecture (arm64, for a
# cross build's sysroot or a guest's userland); the default is the
# system's own.
# -d also downloads what the packages depend on, all of it, as apt
# resolves it for an empty system (Recommends left out); without it,
# exactly the packages named.
#
# -m prints the mirror's URI and exits (for a file of its pool that apt
# cannot name, such as a source tarball: tools/xen-build.sh).
#
# The .deb files land in DIR/apt/debs (emptied first). Exit 0 on success,
# 1 with a message naming the step that failed (logs in DIR/apt).
set -eu

usage() {
	echo "usage: apt-suite.sh [-a ARCH] [-d] DIR SUITE PKG... | -m" >&2
	exit 1
}
fail() {
	echo "apt-suite: error: $*" >&2
	exit 1
}
arch=""
deps=0
mirror_only=0
while [ $# -gt 0 ]; do
	case $1 in
	-a)
		[ $# -ge 2 ] || usage
		arch=$2
		shift 2
		;;
	-d)
		deps=1
		shift
		;;
	-m)
		mirror_only=1
		shift
		;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || [ "$mirror_only" -eq 1 ] || usage

# The URI and keyring of the system's own Debian entry: deb822 sources
# first, then one-line sources.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || fail "no VERSION_CODENAME in /etc/os-release"
src=$(for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk -v cn="$codename" '
		BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; suites = ""; types = ""; key = ""
			for (i = 1; i <= NF; i++) {
				l = $i
				if (l ~ /^Types:/) { sub(/^Types:[ \t]*/, "", l); types = l }
				else if (l ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", l); split(l, u, /[ \t]+/); uri = u[1] }
				else if (l ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", l); suites = l }
				else if (l ~ /^Signed-By:[ \t]*\//) { sub(/^Signed-By:[ \t]*/, "", l); key = l }
			}
			if ((" " types " ") !~ / deb / || (" " suites " ") !~ (" " cn " "))
				next
			print uri, key
			exit
		}' "$f"
done | sed -n 1p)
if [ -z "$src" ]; then
	src=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		2>/dev/null | awk -v cn="$codename" '
		$1 == "deb" {
			i = 2
			if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == cn) { print $i; exit }
		}')
fi
uri=${VGPIO_DEBIAN_MIRROR:-${src%% *}}
[ -n "$uri" ] || fail "no Debian $codename entry in /etc/apt sources (set VGPIO_DEBIAN_MIRROR)"
if [ "$mirror_only" -eq 1 ]; then
	echo "${uri%/}"
	exit 0
fi
mkdir -p "$1" || fail "cannot create $1"
top=$(cd "$1" && pwd)
SUITE=$2
shift 2
[ -n "$arch" ] || arch=$(dpkg --print-architecture) ||
	fail "dpkg --print-architecture"
key=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$key" ] || fail "$key not found (package debian-archive-keyring)"

a=$top/apt
mkdir -p "$a/etc/apt.conf.d" "$a/etc/preferences.d" "$a/etc/sources.list.d" \
	"$a/state/lists/partial" "$a/cache/archives/partial" "$a/debs"
: >"$a/state/status"
echo "deb [arch=$arch signed-by=$key] $uri $SUITE main" >"$a/etc/sources.list"

apt_private() {
	sandbox=""
	[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	apt-get -q -o "Dir::Etc=$a/etc" \
		-o "Dir::Etc::sourcelist=$a/etc/sources.list" \
		-o "Dir::Etc::sourceparts=$a/etc/sources.list.d" \
		-o "Dir::Etc::parts=$a/etc/apt.conf.d" \
		-o "Dir::Etc::preferencesparts=$a/etc/preferences.d" \
		-o "Dir::State=$a/state" -o "Dir::State::status=$a/state/status" \
		-o "Dir::Cache=$a/cache" -o "APT::Architecture=$arch" \
		$sandbox "$@"
}

apt_private --error-on=any update >"$a/update.log" 2>&1 ||
	fail "apt-get update for $SUITE failed, see $a/update.log"
rm -f "$a"/debs/*.deb
if [ "$deps" -eq 1 ]; then
	# The private status is empty, so apt resolves every dependency;
	# --download-only never runs dpkg.
	mkdir -p "$a/debs/partial"
	apt_private -y --download-only --no-install-recommends \
		-o "Dir::Cache::archives=$a/debs" install "$@" &&
		rm -rf "$a/debs/partial" "$a/debs/lock"
else
	(cd "$a/debs" && apt_private download "$@")
fi >"$a/download.log" 2>&1 ||
	fail "apt-get download $* from $SUITE failed, see $a/download.log"
