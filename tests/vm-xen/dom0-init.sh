#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of dom0 in the Xen tier (busybox sh). Starts Xen's userland,
# makes a gpio-sim chip, assigns three of its four lines to the guest
# with vgpio-assign, starts the project's vgpiod on them (Xen transport,
# ISA IRQ), boots the HVM guest (domu-init.sh) and answers its
# "VGPIO-WAIT" steps by checking and moving the host lines. Three runs:
# the project's kernel with grants (vgpiod --device, manual mode,
# grants=1, domu.cfg, the full checks); then, after `xl destroy` and
# vgpiod's exit, Debian's kernel with foreign mapping (domu-foreign.cfg,
# short checks), the device found through vgpio-assign's ACPI table and
# served by name from the policy's xen-device by one vgpiod started with
# no --device; then that guest re-created (a new domid, a reboot), served
# again by the same vgpiod. Each run ends with `xl destroy` and the
# teardown checks. Then repeats the guests' PASS/FAIL lines and powers
# the machine off.
# The host reads the PASS:/FAIL: lines and the VGPIO-XEN-START /
# VGPIO-XEN-DONE markers from the Xen console.
PATH=/bin:/usr/bin:/usr/sbin:/sbin
for d in /usr/lib/xen-[0-9]*/bin; do PATH=$PATH:$d; done
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/xen /run/xenstored /run/vgpio /var/run/xen \
	/var/log/xen/console /var/lib/xen /var/lib/xenstored /etc/vgpio
# xenconsoled needs ptys for the guest consoles.
mount -t devpts devpts /dev/pts
echo "VGPIO-XEN-START kernel $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s"

SERIAL=/var/log/vgpio-domu.serial
finish() {
	for f in $SERIAL.grant $SERIAL.foreign $SERIAL.reboot $SERIAL; do
		[ -f "$f" ] || continue
		echo "---- guest console ${f#"$SERIAL"} ----"
		tr -d '\r' <"$f" | grep -av '^\(PASS\|FAIL\): '
		echo "---- guest checks ${f#"$SERIAL"} ----"
		tr -d '\r' <"$f" | grep -a '^\(PASS\|FAIL\): '
	done
	if [ -f /run/vgpiod.log ]; then
		echo "---- vgpiod log ----"
		tail -n 40 /run/vgpiod.log
	fi
	echo "VGPIO-XEN-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
	poweroff -f
}
WHO=dom0
# shellcheck source=tests/vm-xen/checks.sh
. /lib/checks.sh

for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc configfs \
	irq_sim gpio-sim; do
	setup "load $m" insmod /lib/modules/$m.ko
done
start_xen_userland

# The host chip and the guest's policy (checks.sh).
make_host_lines

# mmio_of CFG: the grant-mode guest's virtio-mmio window SIZE@BASE:IRQ,
# from the command line in CFG (virtio_mmio.device=, which the project's
# kernel has); sets BASE and IRQ.
mmio_of() {
	MMIO=$(sed -n 's/.*virtio_mmio\.device=\([^ "]*\).*/\1/p' "$1")
	BASE=${MMIO#*@}
	IRQ=${BASE#*:}
	BASE=${BASE%:*}
}

# start_vgpiod GRANTS: vgpiod serving domain $D's device in manual mode
# (the window of the guest's configuration, ISA IRQ), with grants=GRANTS.
start_vgpiod() {
	DEV="domid=$D,base=$BASE,irq=$IRQ,irqtype=isa,grants=$1"
	echo "INFO: guest is domain $D; vgpiod --device $DEV"
	rm -f /run/vgpiod.ready
	vgpiod -c $P --xen on --device "$DEV" -v --ready-fd 3 \
		--worker-user 65534:65534 \
		3>/run/vgpiod.ready >>/run/vgpiod.log 2>&1 &
	VGPIOD=$!
	setup "vgpiod ready (grants=$1)" until_ok 30 grep -q READY /run/vgpiod.ready
}

stop_vgpiod() {
	kill -TERM $VGPIOD
	wait $VGPIOD
	check "vgpiod exit status after SIGTERM" 0 $?
}

# status_dev MEMORY: the structured status shows the device window as
# the transport serves it, with MEMORY (grant or foreign).
status_dev() {
	vgpio-assign status --json >/run/status.json 2>&1
	check "status --json exit status" 0 $?
	dev=$(grep -o '"devices":\[{[^]]*' /run/status.json)
	echo "INFO: $dev"
	check "status --json: one xen device" 1 \
		"$(echo "$dev" | grep -o '"transport":"xen"' | wc -l)"
	check "status --json: domain $D's device, irq $IRQ, memory $1" 1 \
		"$(echo "$dev" | grep '"domid":'"$D"',' | grep '"irq":'"$IRQ"',' |
			grep -c '"memory":"'"$1"'"')"
}

# --- the guest with grants: the project's kernel ------------------------------
CFG=/etc/xen/vgpio-domu.cfg
setup "xl create -p" xl create -p $CFG
D=$(xl domid vgpio-domu)
D1=$D
mmio_of $CFG
# The guest boots before vgpiod serves its window, and binds the device
# when asked to (see domu-init.sh: the built-in virtio_mmio would
# otherwise probe before the guest's grant table is set up).
setup "xl unpause" xl unpause "$D"
echo "INFO: guest unpaused at uptime $(cut -d' ' -f1 /proc/uptime)s"
GUEST_LOG=$SERIAL
wait_step vgpiod 400 || finish
start_vgpiod 1
# Under Xen the development loop socket stays closed unless asked for.
check "no loop socket under Xen" 0 "$(ls /run/vgpio/loop.sock 2>/dev/null | wc -l)"
check "led at its safe value before the guest uses it" 0 "$(sim 0)"
check "relay at its safe value before the guest uses it" 1 "$(sim 2)"
vgpio-assign status >/run/status 2>&1
check "vgpio-assign status exit status" 0 $?
check "vgpio-assign status names the domain" 1 "$(grep -c vgpio-domu /run/status)"
cat /run/status
status_dev grant
worker_checks

# dom0's side of the guest's GPIO checks (checks.sh).
answer_steps 120 || finish
# While the guest runs, the proof from the kernel's side: the worker's
# rings and buffers are mapped through /dev/xen/gntdev, none through
# privcmd's foreign mapping (which holds only the IOREQ page).
maps_check grant

# Teardown: destroy the domain under vgpiod's feet.
setup "xl destroy" xl destroy "$D"
destroyed_checks
stop_vgpiod
# Keep the first run's console apart.
mv $SERIAL $SERIAL.grant

# --- the same guest again: Debian's kernel, a new domid, foreign mapping -------
# Now the way an administrator sets an x86 guest up: the policy gives the
# domain's name a window (xen-device), vgpio-assign xl-config writes the
# ACPI table from it and prints the acpi_firmware line, and one vgpiod,
# started with no --device, serves every domain of that name from its
# creation: this guest, then the same guest re-created (a reboot, a new
# domid) with vgpiod untouched.
CFG=/etc/xen/vgpio-domu-foreign.cfg
BASE=0xfe000000
IRQ=3
setup "vgpio-assign xen-device" vgpio-assign -c $P xen-device vgpio-domu \
	base=$BASE irq=$IRQ irqtype=isa grants=0
# Its default table path (the directory made on the way).
TABLE=/var/lib/vgpio/vgpio-domu.aml
vgpio-assign -c $P xl-config vgpio-domu --arch x86 >/run/xl-config 2>&1
check "vgpio-assign xl-config exit status" 0 $?
cat /run/xl-config
check "xl-config prints the acpi_firmware line" 1 \
	"$(grep -c "^acpi_firmware = \"$TABLE\"\$" /run/xl-config)"
check "xl-config wrote the table (an SSDT)" SSDT "$(head -c 4 $TABLE 2>&1)"
cat /run/xl-config >>$CFG
rm -f /run/vgpiod.ready
vgpiod -c $P --xen on -v --ready-fd 3 --worker-user 65534:65534 \
	3>/run/vgpiod.ready >>/run/vgpiod.log 2>&1 &
VGPIOD=$!
setup "vgpiod ready (no --device)" until_ok 30 grep -q READY /run/vgpiod.ready
served() { vgpio-assign status --json 2>/dev/null | grep -q '"domid":'"$D"','; }

# by_name RUN: create the guest paused; the running vgpiod serves it by
# name before its first instruction; the guest's short checks (led,
# button); xl destroy. RUN names the guest's console file.
by_name() {
	setup "$1: xl create -p" xl create -p $CFG
	D=$(xl domid vgpio-domu)
	check "$1: the re-created guest has a new domid" 1 $((D != D1 && D != D2))
	setup "$1: vgpiod serves domain $D by name, before it runs" until_ok 20 served
	check "$1: the policy's window, served from the domain's creation" 1 \
		"$(grep -c "dom$D: domain 'vgpio-domu': the policy's window at $BASE" /run/vgpiod.log)"
	check "$1: the same vgpiod, never restarted" 0 "$(kill -0 "$VGPIOD"; echo $?)"
	status_dev foreign
	worker_checks
	setup "$1: xl unpause" xl unpause "$D"
	wait_step led-high 400 || finish
	check "$1: foreign mapping: the guest's gpioset drives the host led" 1 "$(sim 0)"
	pull 1 up
	wait_step destroy 120 || finish
	maps_check foreign
	setup "$1: xl destroy" xl destroy "$D"
	destroyed_checks
	pull 1 down
	mv $SERIAL $SERIAL.$1
}
D2=0
by_name foreign
D2=$D
by_name reboot
stop_vgpiod
finish
check "foreign mapping: the guest's gpioset drives the host led" 1 "$(sim 0)"
pull 1 up
wait_step destroy 120 || finish
maps_check foreign
setup "xl destroy" xl destroy "$D"
destroyed_checks
stop_vgpiod
mv $SERIAL $SERIAL.foreign
finish
