#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# `make install` into a temporary DESTDIR: the installed vgpiod and
# vgpio-assign run, and when libgpiod is the project-local copy from
# .deps/, they load the copy installed beside them (not the build tree's).
# The service files are checked too: the systemd unit (systemd-analyze
# verify when it works here), the init script (run for real against the
# installed vgpiod: start, status, reload, stop), the man pages (rendered
# without warnings when man or groff is here), the example policy, and
# that a second install keeps the administrator's policy file.
# A check whose tool is missing says "note: deps: ..." and is left out.
# env: MAKE, B (build directory).
set -eu
MAKE=${MAKE:-make}
B=${B:-build}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

fail() {
	echo "FAIL: deps: $*"
	exit 1
}
note() {
	echo "note: deps: $*"
}
have() {
	command -v "$1" >/dev/null 2>&1
}

$MAKE --no-print-directory -s B="$B" install DESTDIR="$d" PREFIX=/usr >"$d.log" 2>&1 ||
	{ cat "$d.log"; rm -f "$d.log"; echo "FAIL: deps: make install failed"; exit 1; }
rm -f "$d.log"
for p in sbin/vgpiod sbin/vgpio-assign bin/vgpio-shim bin/vgpio-ctl; do
	[ -x "$B/${p#*/}" ] || continue # not built by this tree
	[ -x "$d/usr/$p" ] || { echo "FAIL: deps: $p not installed"; exit 1; }
	"$d/usr/$p" --help >/dev/null ||
		{ echo "FAIL: deps: installed $p --help failed"; exit 1; }
done
if [ -n "$(cat .deps/gpiod/pcpath 2>/dev/null)" ]; then
	lib=$(ldd "$d/usr/sbin/vgpiod" | sed -n 's/^[[:space:]]*libgpiod\.so\.3 => \([^ ]*\).*/\1/p')
	case $lib in
	"$d"/usr/lib/vgpio/* | "$d"/usr/sbin/../lib/vgpio/*) ;;
	*) echo "FAIL: deps: installed vgpiod loads libgpiod from '$lib', not from $d/usr/lib/vgpio"; exit 1 ;;
	esac
	echo "PASS: deps: installed vgpiod runs with the libgpiod installed beside it"
else
	echo "PASS: deps: installed vgpiod runs with the system libgpiod"
fi

# --- what make install puts where -----------------------------------------
unit=$d/usr/lib/systemd/system/vgpiod.service
init=$d/etc/init.d/vgpiod
example=$d/usr/share/doc/vgpio/policy.conf.example
policy=$d/etc/vgpio/policy.conf
for f in "$unit" "$init" "$example" "$policy"; do
	[ -f "$f" ] || fail "${f#"$d"} not installed"
	if grep -n '@[A-Z]*@' "$f"; then
		fail "${f#"$d"}: placeholders left"
	fi
done
[ "$(stat -c %a "$d/etc/vgpio")" = 755 ] || fail "/etc/vgpio is not mode 0755"
[ "$(stat -c %a "$init")" = 755 ] || fail "/etc/init.d/vgpiod is not mode 0755"

# --- systemd unit -----------------------------------------------------------
# shellcheck disable=SC2016 # $MAINPID is for systemd, not for us
for want in 'Type=notify' \
	'ExecStart=/usr/sbin/vgpiod -c /etc/vgpio/policy.conf' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
	'WantedBy=multi-user.target' 'RuntimeDirectory=vgpio'; do
	grep -qxF "$want" "$unit" || fail "vgpiod.service: no line '$want'"
done
grep -q '^After=.*xen' "$unit" || fail "vgpiod.service: not ordered after Xen"
# Settings that would cut vgpiod off /dev/xen/* or /dev/gpiochip*.
if grep -nE '^(PrivateDevices=yes|DevicePolicy=(strict|closed)|DeviceAllow=|ProtectClock=yes)' "$unit"; then
	fail "vgpiod.service: hardening that hides the Xen or GPIO devices"
fi
if have systemd-analyze; then
	# The unit as installed, but run from DESTDIR: a copy whose programs
	# are the ones in $d, and whose man pages are looked up in $d.
	mkdir -p "$d/verify"
	sed "s|/usr/sbin/|$d/usr/sbin/|g" "$unit" >"$d/verify/vgpiod.service"
	if out=$(MANPATH=$d/usr/share/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify "$d/verify/vgpiod.service" 2>&1) &&
		[ -z "$out" ]; then
		echo "PASS: deps: vgpiod.service passes systemd-analyze verify"
	elif printf '%s\n' "$out" | grep -q 'vgpiod\.service'; then
		printf '%s\n' "$out"
		fail "systemd-analyze verify vgpiod.service"
	else
		# No message about our unit: systemd-analyze itself cannot
		# run in this container.
		note "systemd-analyze verify unusable here: $(printf '%s' "$out" | head -1)"
		echo "PASS: deps: vgpiod.service has the expected settings"
	fi
else
	note "no systemd-analyze; vgpiod.service checked by grep only"
	echo "PASS: deps: vgpiod.service has the expected settings"
fi

# --- init script ------------------------------------------------------------
sh -n "$init" || fail "/etc/init.d/vgpiod: syntax error"
for want in '### BEGIN INIT INFO' '# Provides:          vgpiod' \
	'### END INIT INFO'; do
	grep -qxF "$want" "$init" || fail "/etc/init.d/vgpiod: no line '$want'"
done
# Ordered after Xen's init script where there is one, without requiring
# it (insserv would refuse to enable vgpiod on a machine without Xen).
grep -q '^# Should-Start:.* xen' "$init" ||
	fail "/etc/init.d/vgpiod: not ordered after Xen's init script"
if have start-stop-daemon && have mkfifo && have timeout; then
	# Everything it touches is under $d; the example policy has only a
	# simulated chip, so vgpiod starts without GPIO hardware.
	VGPIOD_DEFAULTS=$d/etc/default/vgpiod
	VGPIOD_DAEMON=$d/usr/sbin/vgpiod
	VGPIOD_CONFIG=$example
	VGPIOD_PIDFILE=$d/vgpiod.pid
	VGPIOD_LOG=$d/vgpiod.log
	VGPIOD_START_TIMEOUT=20
	VGPIOD_OPTS="-s $d/run/loop.sock -C $d/run/control.sock"
	SYSTEMCTL_SKIP_REDIRECT=1
	export VGPIOD_DEFAULTS VGPIOD_DAEMON VGPIOD_CONFIG VGPIOD_PIDFILE \
		VGPIOD_LOG VGPIOD_START_TIMEOUT VGPIOD_OPTS SYSTEMCTL_SKIP_REDIRECT
	ctl() {
		"$d/usr/bin/vgpio-ctl" -C "$d/run/control.sock" "$@"
	}
	stop_all() {
		"$init" stop >/dev/null 2>&1 || true
	}
	trap 'stop_all; rm -rf "$d"' EXIT
	rc=0
	"$init" status >/dev/null || rc=$?
	[ "$rc" -eq 3 ] || fail "init script: status before start gave $rc, not 3"
	"$init" start >"$d/out" 2>&1 ||
		{ cat "$d/out" "$VGPIOD_LOG"; fail "init script: start failed"; }
	# start returns once vgpiod listens: no waiting needed.
	ctl status | grep -q '^domain example ' ||
		{ cat "$VGPIOD_LOG"; fail "init script: vgpiod not serving after start"; }
	"$init" status >/dev/null || fail "init script: status after start is not 0"
	"$init" start >/dev/null || fail "init script: a second start failed"
	"$init" reload >/dev/null || fail "init script: reload failed"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q 'reloaded' "$VGPIOD_LOG" && break
		sleep 0.2
	done
	grep -q 'reloaded' "$VGPIOD_LOG" ||
		{ cat "$VGPIOD_LOG"; fail "init script: reload did not reach vgpiod"; }
	"$init" restart >/dev/null || fail "init script: restart failed"
	ctl status >/dev/null || fail "init script: vgpiod not serving after restart"
	"$init" stop >/dev/null || fail "init script: stop failed"
	rc=0
	"$init" status >/dev/null || rc=$?
	[ "$rc" -eq 3 ] || fail "init script: status after stop gave $rc, not 3"
	[ ! -e "$d/run/control.sock" ] || fail "init script: stop left the sockets"
	# A policy vgpiod refuses: start fails at once, nothing left running.
	printf '[domain x]\n' >"$d/bad.conf"
	rc=0
	VGPIOD_CONFIG=$d/bad.conf "$init" start >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "init script: start with a bad policy gave $rc, not 1"
	[ ! -e "$VGPIOD_PIDFILE" ] || fail "init script: failed start left $VGPIOD_PIDFILE"
	echo "PASS: deps: init script starts, reloads and stops the installed vgpiod"

	# Readiness the systemd way: start-stop-daemon --notify-await speaks
	# the sd_notify protocol, and returns once vgpiod sent READY=1.
	if start-stop-daemon --help 2>&1 | grep -q -- --notify-await; then
		start-stop-daemon --start --quiet --background --make-pidfile \
			--pidfile "$VGPIOD_PIDFILE" --notify-await \
			--notify-timeout 20 --exec "$VGPIOD_DAEMON" -- \
			-c "$example" -s "$d/run/loop.sock" -C "$d/run/control.sock" ||
			fail "vgpiod sent no READY=1 to \$NOTIFY_SOCKET"
		ctl status >/dev/null || fail "vgpiod said READY=1 but does not serve"
		stop_all
		echo "PASS: deps: installed vgpiod notifies readiness (sd_notify READY=1)"
	else
		note "start-stop-daemon has no --notify-await; readiness not checked"
	fi
else
	note "no start-stop-daemon, mkfifo or timeout; init script not run"
	echo "PASS: deps: init script parses"
fi

# --- man pages --------------------------------------------------------------
for p in man8/vgpiod.8 man8/vgpio-assign.8 man5/vgpio-policy.5 man1/vgpio-shim.1; do
	f=$d/usr/share/man/$p
	[ -f "$f" ] || fail "$p not installed"
	# The first line that is not a comment is the title.
	awk '!/^[.\047]\\"/ { exit !/^\.TH / }' "$f" || fail "$p does not start with .TH"
	if have man; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) ||
			fail "$p: man failed: $out"
	elif have groff; then
		out=$(groff -t -man -Tutf8 -ww -z "$f" 2>&1) || fail "$p: groff failed: $out"
	elif have mandoc; then
		out=$(mandoc -T lint -W warning "$f" 2>&1) || true
	else
		out=""
		rendered=no
	fi
	[ -z "$out" ] || { printf '%s\n' "$out"; fail "$p: warnings when rendered"; }
	# whatis needs "name \- description" in NAME.
	if have lexgrog; then
		lexgrog "$f" | grep -q ' - ' || fail "$p: no NAME line for whatis"
	fi
done
if [ "${rendered:-yes}" = no ]; then
	note "no man, groff or mandoc; man pages not rendered"
fi
echo "PASS: deps: man pages installed and render without warnings"

# --- policy files -----------------------------------------------------------
assign=$d/usr/sbin/vgpio-assign
"$assign" -f "$example" check >"$d/out" 2>&1 ||
	{ cat "$d/out"; fail "policy.conf.example does not pass vgpio-assign check"; }
"$assign" -f "$policy" check >"$d/out" 2>&1 ||
	{ cat "$d/out"; fail "installed policy.conf does not pass vgpio-assign check"; }
# Its host-chip example, uncommented, must parse too (probing it needs
# the hardware, so only `show`, which parses strictly).
sed -e 's/^# \(\[domain sensors\]\)/\1/' -e 's/^# \(lines* \)/\1/' \
	"$example" >"$d/host.conf"
grep -q '^\[domain sensors\]' "$d/host.conf" || fail "policy.conf.example: no host-chip example"
"$assign" -f "$d/host.conf" show sensors >"$d/out" 2>&1 ||
	{ cat "$d/out"; fail "policy.conf.example: the host-chip example does not parse"; }
[ "$(wc -l <"$d/out")" -eq 3 ] || fail "policy.conf.example: host-chip example is not 3 lines"
# A second install keeps the administrator's policy.
echo '# mine' >>"$policy"
cp "$policy" "$d/policy.mine"
$MAKE --no-print-directory -s B="$B" install DESTDIR="$d" PREFIX=/usr >"$d/out" 2>&1 ||
	{ cat "$d/out"; fail "second make install failed"; }
cmp -s "$policy" "$d/policy.mine" || fail "make install overwrote /etc/vgpio/policy.conf"
echo "PASS: deps: example policy checks; make install keeps an existing policy"
