#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# `make demo`: start vgpiod on the built-in demo board, run the demo guest
# (vgpio-shim demo), then show control from the host side: read an LED
# while a guest holds it, and press the button from outside while a guest
# waits for the interrupt. Stops the daemon with SIGTERM and checks it
# exits 0. Prints a short transcript; exit 0 on success, 1 with the reason.
set -u

B=${VGPIO_BUILD:-build}
VGPIOD=$B/vgpiod
SHIM=$B/vgpio-shim
CTL=$B/vgpio-ctl
for bin in "$VGPIOD" "$SHIM" "$CTL"; do
	if [ ! -x "$bin" ]; then
		echo "demo: FAIL: $bin not built (run make first)"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpio-demo.XXXXXX") || exit 1
daemon=""
cleanup() {
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill -KILL "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "demo: FAIL: $*"
	if [ -s "$tmp/vgpiod.log" ]; then
		echo "---- vgpiod log ----"
		cat "$tmp/vgpiod.log"
	fi
	exit 1
}

# Wait up to $2 tenths of a second for file $1 to contain $3.
wait_for() {
	n=0
	while ! grep -q -- "$3" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt "$2" ] && return 1
		sleep 0.1
	done
	return 0
}

sock=$tmp/loop.sock
ctl=$tmp/control.sock
: >"$tmp/ready"
"$VGPIOD" --demo ${VGPIO_DEMO_ARGS:-} -s "$sock" -C "$ctl" --ready-fd 3 \
	3>"$tmp/ready" 2>"$tmp/vgpiod.log" &
daemon=$!
wait_for "$tmp/ready" 100 READY || fail "vgpiod did not get ready"
echo "demo: vgpiod (pid $daemon) ready on $sock"

# 1. The demo guest: probe, names, blink the LEDs, interrupt from its own
#    output wired to the button.
if ! "$SHIM" -s "$sock" -d demo demo >"$tmp/guest.out" 2>&1; then
	cat "$tmp/guest.out"
	fail "the demo guest failed"
fi
sed 's/^/  /' "$tmp/guest.out"

# 2. The host reads an LED a guest holds, and gets it back at its safe
#    value once the guest is gone.
"$SHIM" -s "$sock" set --hold-ms 2000 led-green=1 >"$tmp/set.out" 2>&1 &
setter=$!
wait_for "$tmp/set.out" 50 "led-green=1" || fail "vgpio-shim set did not set"
v=$("$CTL" -C "$ctl" sim get demo-board led-green) ||
	fail "vgpio-ctl sim get failed: $v"
case "$v" in
"value 1 "*) echo "demo: host sees led-green = 1 while the guest holds it" ;;
*) fail "host read led-green as '$v' while the guest holds it at 1" ;;
esac
wait "$setter" || fail "vgpio-shim set failed: $(cat "$tmp/set.out")"
v=$("$CTL" -C "$ctl" sim get demo-board led-green)
case "$v" in
"value 0 "*) echo "demo: guest gone, led-green back at its safe value 0" ;;
*) fail "led-green is '$v' after the guest left (safe value is 0)" ;;
esac

# 3. The host presses the button while a guest waits for the interrupt.
"$SHIM" -s "$sock" mon -n 1 --timeout-ms 5000 --edge rising button \
	>"$tmp/mon.out" 2>&1 &
mon=$!
wait_for "$tmp/mon.out" 50 "monitoring" || fail "vgpio-shim mon did not arm"
v=$("$CTL" -C "$ctl" sim get demo-board button-press)
case "$v" in
*"output 1"*)
	fail "button-press is parked as an output (its safe value), so" \
		"the wire holds button at its level and an outside press" \
		"cannot reach it; the demo config needs safe=input for" \
		"button-press"
	;;
esac
"$CTL" -C "$ctl" sim set demo-board button 1 >/dev/null ||
	fail "vgpio-ctl sim set failed"
echo "demo: host pressed the button (vgpio-ctl sim set demo-board button 1)"
wait "$mon" || fail "the guest saw no interrupt: $(cat "$tmp/mon.out")"
ev=$(grep '^event:' "$tmp/mon.out")
echo "demo: guest got the interrupt: $ev"
"$CTL" -C "$ctl" sim set demo-board button 0 >/dev/null

# 4. SIGTERM: clean shutdown, exit status 0.
kill -TERM "$daemon"
wait "$daemon"
rc=$?
daemon=""
[ "$rc" -eq 0 ] || fail "vgpiod exited with status $rc after SIGTERM"
echo "demo: vgpiod stopped cleanly on SIGTERM"
echo "demo: PASS"
