#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of dom0 in the Arm64 Xen tier (busybox sh; the project's kernel,
# with Xen's drivers, configfs and gpio-sim built in). Starts Xen's
# userland (xenstored, xen-init-dom0, xenconsoled), makes a gpio-sim
# chip, assigns three of its four lines to the guest with vgpio-assign,
# starts the project's vgpiod with no --device (it discovers devices in
# xenstore), creates the guest paused from domu.cfg (whose virtio= entry
# makes libxl write the backend entry), waits for vgpiod to claim and
# connect it, unpauses the guest (domu-init.sh) and answers its
# "VGPIO-WAIT" steps. Ends with `xl destroy` and the teardown checks, then
# repeats the guest's PASS/FAIL lines and powers the machine off. The
# host reads the PASS:/FAIL: lines and the VGPIO-XEN-START /
# VGPIO-XEN-DONE markers from the Xen console.
/bin/busybox --install -s /bin
PATH=/bin:/usr/bin:/usr/sbin:/sbin:/usr/lib/xen-4.20/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /run/xen /run/xenstored /run/vgpio /var/run/xen \
	/var/log/xen/console /var/lib/xen /var/lib/xenstored /etc/vgpio
# xenconsoled needs ptys for the guest consoles.
mount -t devpts devpts /dev/pts
echo "VGPIO-XEN-START kernel $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s"

CONSOLE=/var/log/xen/console/guest-vgpio-domu.log
finish() {
	for f in $CONSOLE.grant $CONSOLE.foreign $CONSOLE; do
		[ -f "$f" ] || continue
		echo "---- guest console ${f#"$CONSOLE"} (tail) ----"
		tr -d '\r' <"$f" | grep -av '^\(PASS\|FAIL\): ' | tail -n 40
		echo "---- guest checks ${f#"$CONSOLE"} ----"
		tr -d '\r' <"$f" | grep -a '^\(PASS\|FAIL\): '
	done
	if [ -f /run/vgpiod.log ]; then
		echo "---- vgpiod log ----"
		tail -n 60 /run/vgpiod.log
	fi
	echo "VGPIO-XEN-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
	poweroff -f
}
WHO=dom0
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

setup "mount xenfs" mount -t xenfs xenfs /proc/xen
check "this is dom0" control_d "$(cat /proc/xen/capabilities)"
setup "start xenstored" xenstored --pid-file=/run/xenstored.pid
setup "xenstored answers" until_ok 10 xenstore-list /
setup "xen-init-dom0" xen-init-dom0
setup "start xenconsoled" xenconsoled --log=guest --log-dir=/var/log/xen/console
xl info >/run/xl-info 2>&1
check "xl info exit status" 0 $?
check "xl info: Xen 4.20" 1 "$(grep -c '^xen_version *: 4\.20' /run/xl-info)"
grep -E '^(xen_version|xen_caps|nr_cpus|total_memory)' /run/xl-info

# The host chip: led, button, relay go to the guest; secret does not.
setup "mount configfs" mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/gpio-sim/host
mkchip() {
	mkdir $G $G/bank0 &&
		echo 4 >$G/bank0/num_lines &&
		echo vgpio-host >$G/bank0/label &&
		for l in 0:led 1:button 2:relay 3:secret; do
			mkdir $G/bank0/line${l%%:*} &&
				echo "${l#*:}" >$G/bank0/line${l%%:*}/name || return 1
		done &&
		echo 1 >$G/live
}
setup "create the gpio-sim chip" mkchip
SIM=/sys/devices/platform/$(cat $G/dev_name)/$(cat $G/bank0/chip_name)
sim() { cat "$SIM/sim_gpio$1/value"; }
pull() { echo "pull-$2" >"$SIM/sim_gpio$1/pull"; }

P=/etc/vgpio/policy.conf
: >$P
vgpio-assign -c $P assign vgpio-domu "vgpio-host led button relay" \
	--line "0 allow=out safe=low" --line "1 allow=in,irq" \
	--line "2 allow=out safe=high" --offline
check "vgpio-assign assign exit status" 0 $?
vgpio-assign -c $P check >/run/assign-check 2>&1
check "vgpio-assign check exit status" 0 $?

# vgpiod first, with no --device: it watches the backend directory.
vgpiod -c $P --xen on -v --ready-fd 3 3>/run/vgpiod.ready >/run/vgpiod.log 2>&1 &
VGPIOD=$!
setup "vgpiod ready" until_ok 30 grep -q READY /run/vgpiod.ready
check "led at its safe value before the guest exists" 0 "$(sim 0)"
check "relay at its safe value before the guest exists" 1 "$(sim 2)"

# create_guest CFG: create the guest paused from CFG: libxl writes the
# backend entry (state 1) and the device-tree node; vgpiod claims the
# device (2) and connects it (4) before the guest's first instruction.
# Sets D and BE; false if the device is not connected.
create_guest() {
	xl create -p "$1" || { fail "xl create -p $1"; return 1; }
	D=$(xl domid vgpio-domu)
	BE=/local/domain/0/backend/virtio/$D/0
	echo "INFO: guest is domain $D; backend $BE"
	xenstore-ls -f "$BE"
	check "domain $D: libxl's entry: type" "virtio,device29" "$(xenstore-read "$BE/type")"
	if until_ok 30 connected; then
		pass "domain $D: vgpiod claimed and connected the device (backend state 4)"
	else
		fail "domain $D: backend state is $(xenstore-read "$BE/state" 2>&1), not 4"
		return 1
	fi
}
connected() { test "$(xenstore-read "$BE/state")" = 4; }

# status_dev MEMORY GRANT_USAGE: vgpio-assign's structured status shows
# the device of domain $D, at libxl's first window and SPI, with MEMORY.
status_dev() {
	vgpio-assign status --json >/run/status.json 2>&1
	check "status --json exit status" 0 $?
	dev=$(grep -o '"devices":\[{[^]]*' /run/status.json)
	echo "INFO: $dev"
	check "libxl's entry: grant_usage" "$2" "$(xenstore-read "$BE/grant_usage")"
	check "status --json: one xen device" 1 \
		"$(echo "$dev" | grep -o '"transport":"xen"' | wc -l)"
	check "status --json: the device of domain $D" 1 \
		"$(echo "$dev" | grep -c '"domid":'"$D"',')"
	check "status --json: memory $1 (grant_usage=$2)" 1 \
		"$(echo "$dev" | grep -c '"memory":"'"$1"'"')"
	check "status --json: SPI 33 at 0x2000000" 1 \
		"$(echo "$dev" | grep '"irq":33,' | grep -c '"base":33554432,')"
}

# wait_step NAME SECONDS: the guest asked for step NAME; false if the
# guest ended or the time ran out first.
wait_step() {
	n=$2
	while ! grep -aq "^VGPIO-WAIT $1" $CONSOLE 2>/dev/null; do
		if grep -aq VGPIO-DOMU-DONE $CONSOLE 2>/dev/null; then
			fail "the guest ended before step $1"
			return 1
		fi
		if ! xenstore-exists "/local/domain/$D" 2>/dev/null; then
			fail "domain $D gone before step $1"
			echo "---- xl dmesg (tail) ----"
			xl dmesg 2>&1 | tail -20
			return 1
		fi
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			fail "the guest did not reach step $1 within $2 s"
			return 1
		fi
		sleep 1
	done
	echo "INFO: step $1 at uptime $(cut -d' ' -f1 /proc/uptime)s"
}

# destroy_guest: xl destroy under vgpiod's feet. It returns at once
# (vgpiod answers libxl's state 5 with 6), no domain but dom0 is left (a
# page still mapped by vgpiod would keep a zombie), the backend entry is
# gone, and led and relay are back at their safe values.
destroy_guest() {
	# libxl writes state 5 and waits up to 10 s for the backend's 6.
	t0=$(cut -d. -f1 /proc/uptime)
	setup "xl destroy $D" xl destroy "$D"
	t=$(($(cut -d. -f1 /proc/uptime) - t0))
	if [ "$t" -lt 8 ]; then
		pass "domain $D: xl destroy took ${t} s (vgpiod wrote state 6)"
	else
		fail "domain $D: xl destroy took ${t} s (libxl waited for state 6)"
	fi
	gone() { ! xl list | awk 'NR > 1 { print $1 }' | grep -qv '^Domain-0$'; }
	if until_ok 30 gone; then
		pass "domain $D: no domain left but dom0 (no zombie holding mapped pages)"
	else
		fail "domains left after xl destroy: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
	fi
	check "domain $D: backend entry removed" 1 "$(xenstore-exists "$BE" 2>/dev/null; echo $?)"
	safe() { test "$(sim 0)$(sim 2)" = 01; }
	if until_ok 10 safe; then
		pass "domain $D: led and relay back at their safe values after xl destroy"
	else
		fail "after xl destroy: led $(sim 0), relay $(sim 2) (want 0 and 1)"
	fi
	check "vgpiod still running" 0 "$(kill -0 $VGPIOD; echo $?)"
}

# --- the guest with grants ---------------------------------------------------
create_guest /etc/xen/domu.cfg || finish
D1=$D
status_dev grant 1
# Another back-end's device in this guest's backend directory (virtio
# i2c, device22): vgpiod must leave it alone.
OTHER=/local/domain/0/backend/virtio/$D/1
for kv in "type=virtio,device22" transport=mmio grant_usage=1 base=0x2000200 \
	irq=34 state=1 online=1 frontend-id=$D \
	frontend=/local/domain/$D/device/virtio/1; do
	xenstore-write "$OTHER/${kv%%=*}" "${kv#*=}"
done
setup "xl unpause" xl unpause "$D"
echo "INFO: guest unpaused at uptime $(cut -d' ' -f1 /proc/uptime)s"

wait_step led-high 300 || finish
check "the guest's gpioset drives the host led" 1 "$(sim 0)"
pull 1 up
check "the host sees its own pull-up on button" 1 "$(sim 1)"
wait_step led-released 90 || finish
led_low() { test "$(sim 0)" = 0; }
if until_ok 10 led_low; then
	pass "a released led returns to its safe value (low)"
else
	fail "led stays at $(sim 0) after the guest released it"
fi
wait_step edge 60 || finish
pull 1 down
wait_step destroy 120 || finish
check "guest holds led high" 1 "$(sim 0)"
check "guest holds relay low" 0 "$(sim 2)"
check "the other back-end's entry left at state 1" 1 "$(xenstore-read "$OTHER/state")"
vgpio-assign status --json >/run/status.json 2>&1
check "status --json: still one device" 1 \
	"$(grep -o '"transport":"xen"' /run/status.json | wc -l)"
xenstore-rm "$OTHER"
destroy_guest
# xenconsoled appends to the guest's log: keep the first run's apart.
mv $CONSOLE $CONSOLE.grant
pull 1 down

# --- the same guest again: a new domid, grant_usage=0 ------------------------
create_guest /etc/xen/domu-foreign.cfg || finish
check "the re-created guest has a new domid" 1 $((D != D1))
status_dev foreign 0
setup "xl unpause" xl unpause "$D"
wait_step led-high 300 || finish
check "foreign mapping: the guest's gpioset drives the host led" 1 "$(sim 0)"
pull 1 up
wait_step destroy 120 || finish
destroy_guest
mv $CONSOLE $CONSOLE.foreign

kill -TERM $VGPIOD
wait $VGPIOD
check "vgpiod exit status after SIGTERM" 0 $?
finish
