#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Make libgpiod >= 2.0 (the v2 API vgpio's gpiod provider uses) available
# to the build, and print the PKG_CONFIG_PATH directory to use (empty when
# the system's own libgpiod is new enough).
#
#   usage: deps-gpiod.sh PREFIX_DIR
#
# With a system libgpiod >= 2.0 (Debian 13 and later) nothing is fetched.
# Otherwise (Debian 12 ships 1.6) Debian 13's libgpiod3 and libgpiod-dev
# packages are downloaded with apt through a private configuration and
# state under PREFIX_DIR/apt (the system's sources, lists and dpkg database
# are never touched), from the mirror the system already uses for its own
# release, and unpacked into PREFIX_DIR/root. Idempotent: a stamp records
# what was unpacked. Exit 0 on success, 1 with a message naming the step
# that failed.
set -eu

SUITE=${VGPIO_GPIOD_SUITE:-trixie}
PKGS="libgpiod3 libgpiod-dev"

if [ $# -ne 1 ]; then
	echo "usage: deps-gpiod.sh PREFIX_DIR" >&2
	exit 1
fi
if pkg-config --atleast-version=2.0 libgpiod 2>/dev/null; then
	echo ""
	exit 0
fi

fail() {
	echo "deps-gpiod: error: $*" >&2
	exit 1
}

mkdir -p "$1" || fail "cannot create $1"
top=$(cd "$1" && pwd)
arch=$(dpkg --print-architecture) || fail "dpkg --print-architecture"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	gcc -print-multiarch)
pcdir=$top/root/usr/lib/$multiarch/pkgconfig

if [ -f "$top/stamp" ] && [ -f "$pcdir/libgpiod.pc" ]; then
	echo "$pcdir"
	exit 0
fi

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

echo "deps-gpiod: fetching libgpiod 2.x ($PKGS) from Debian $SUITE" >&2
apt_private --error-on=any update >"$a/update.log" 2>&1 ||
	fail "apt-get update for $SUITE failed, see $a/update.log"
(cd "$a/debs" && rm -f ./*.deb && apt_private download $PKGS) \
	>"$a/download.log" 2>&1 ||
	fail "apt-get download $PKGS failed, see $a/download.log"
rm -rf "$top/root"
for deb in "$a"/debs/*.deb; do
	dpkg-deb -x "$deb" "$top/root" || fail "dpkg-deb -x $deb"
done
[ -f "$pcdir/libgpiod.pc" ] || fail "no libgpiod.pc in the unpacked packages"
# The .pc names /usr; point it at the unpacked tree.
sed -i "s|^prefix=.*|prefix=$top/root/usr|" "$pcdir/libgpiod.pc"
PKG_CONFIG_PATH=$pcdir pkg-config --atleast-version=2.0 libgpiod ||
	fail "the unpacked libgpiod is older than 2.0"
ls "$a"/debs >"$top/stamp"
echo "$pcdir"
