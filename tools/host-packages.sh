#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install those of the named Debian packages that this machine lacks,
# with apt, as root: the build scripts' host tools (tools/kernel-build.sh,
# tools/xen-build.sh). apt waits up to 10 minutes for another apt's lock,
# so parallel builds on one machine do not fail on it.
#
#   usage: tools/host-packages.sh PKG...
#
# Output: what it installs, and apt's output, on stderr. Exit 0 when
# every package is installed (at once if none was missing), 1 when some
# are missing and this is not root or apt failed.
set -eu

need=""
for p in "$@"; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		need="$need $p"
done
[ -n "$need" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "host-packages: missing host packages:$need (run as root to install them)" >&2
	exit 1
fi
echo "host-packages: installing host packages:$need" >&2
# shellcheck disable=SC2086 # a list of package names
{ apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q \
	-o DPkg::Lock::Timeout=600 install -y \
	--no-install-recommends $need; } >&2 || {
	echo "host-packages: apt-get install$need failed" >&2
	exit 1
}
