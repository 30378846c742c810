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
GUEST_LOG=$CONSOLE
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

start_xen_userland
xl info >/run/xl-info 2>&1
check "xl info exit status" 0 $?
check "xl info: Xen 4.20" 1 "$(grep -c '^xen_version *: 4\.20' /run/xl-info)"
grep -E '^(xen_version|xen_caps|nr_cpus|total_memory)' /run/xl-info

# The host chip and the guest's policy (checks.sh).
make_host_lines

# vgpiod first, with no --device: it watches the backend directory.
vgpiod -c $P --xen on -v --ready-fd 3 --worker-user 65534:65534 \
	3>/run/vgpiod.ready >/run/vgpiod.log 2>&1 &
VGPIOD=$!
setup "vgpiod ready" until_ok 30 grep -q READY /run/vgpiod.ready
check "led at its safe value before the guest exists" 0 "$(sim 0)"
check "relay at its safe value before the guest exists" 1 "$(sim 2)"

# xl_lines CFG: the guest's virtio= entry, as vgpio-assign xl-config
# prints it (grant_usage= from the file's name: -foreign is 0), appended
# to CFG.
xl_lines() {
	case $1 in *-foreign.cfg) g=0 ;; *) g=1 ;; esac
	vgpio-assign -c $P xl-config vgpio-domu --arch arm --grants $g >/run/xl-config 2>&1
	check "vgpio-assign xl-config (grants $g) exit status" 0 $?
	cat /run/xl-config
	check "xl-config prints the virtio= entry (grant_usage=$g)" 1 \
		"$(grep -c "^virtio = \[ \"type=virtio,device29,transport=mmio,grant_usage=$g\" \]\$" /run/xl-config)"
	cat /run/xl-config >>"$1"
}

# create_guest CFG: create the guest paused from CFG: libxl writes the
# backend entry (state 1) and the device-tree node; vgpiod claims the
# device (2) and connects it (4) before the guest's first instruction.
# Sets D and BE; false if the device is not connected.
create_guest() {
	xl_lines "$1" || return 1
	xl create -p "$1" || { fail "xl create -p $1"; return 1; }
	D=$(xl domid vgpio-domu)
	BE=/local/domain/0/backend/virtio/$D/0
	echo "INFO: guest is domain $D; backend $BE"
	xenstore-ls -f "$BE"
	check "domain $D: libxl's entry: type" "virtio,device29" "$(xenstore-read "$BE/type")"
	if until_ok 30 connected; then
		# The claim is the move from 1 to 2, in one transaction.
		check "domain $D: vgpiod logged its claim of $BE" 1 \
			"$(grep -c "xen: $BE: claimed" /run/vgpiod.log)"
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
	check "domain $D: backend entry removed" 1 "$(xenstore-exists "$BE" 2>/dev/null; echo $?)"
	destroyed_checks
}

# --- the guest with grants ---------------------------------------------------
create_guest /etc/xen/domu.cfg || finish
D1=$D
status_dev grant 1
worker_checks
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

answer_steps 300 || finish
# While the guest runs, the proof from the kernel's side: the worker's
# rings and buffers are mapped through /dev/xen/gntdev, none through
# privcmd's foreign mapping (which holds only the IOREQ page).
maps_check grant
check "the other back-end's entry left at state 1" 1 "$(xenstore-read "$OTHER/state")"
vgpio-assign status --json >/run/status.json 2>&1
check "status --json: still one device" 1 \
	"$(grep -o '"transport":"xen"' /run/status.json | wc -l)"
xenstore-rm "$OTHER"
destroy_guest
# xenconsoled appends to the guest's log: keep the first run's apart.
mv $CONSOLE $CONSOLE.grant

# --- the same guest again: a new domid, grant_usage=0 ------------------------
create_guest /etc/xen/domu-foreign.cfg || finish
check "the re-created guest has a new domid" 1 $((D != D1))
status_dev foreign 0
worker_checks
setup "xl unpause" xl unpause "$D"
wait_step led-high 300 || finish
check "foreign mapping: the guest's gpioset drives the host led" 1 "$(sim 0)"
pull 1 up
wait_step destroy 120 || finish
maps_check foreign
destroy_guest
mv $CONSOLE $CONSOLE.foreign

# The guests' drivers (probe, unbind and bind, destroy) never made an
# MMIO access that vgpiod had to refuse or report.
check "no MMIO complaint in vgpiod's log" 0 "$(grep -c ': mmio ' /run/vgpiod.log)"
kill -TERM $VGPIOD
wait $VGPIOD
check "vgpiod exit status after SIGTERM" 0 $?
finish
