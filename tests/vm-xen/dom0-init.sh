#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of dom0 in the Xen tier (busybox sh). Starts Xen's userland,
# makes a gpio-sim chip, assigns three of its four lines to the guest
# with vgpio-assign, starts the project's vgpiod on them (Xen transport,
# manual device mode, foreign mapping, ISA IRQ), boots the HVM guest
# (domu-init.sh) and answers its "VGPIO-WAIT" steps by checking and
# moving the host lines. Ends with `xl destroy` and the teardown checks,
# then repeats the guest's PASS/FAIL lines and powers the machine off.
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
	if [ -f $SERIAL ]; then
		echo "---- guest console ----"
		tr -d '\r' <$SERIAL | grep -av '^\(PASS\|FAIL\): '
		echo "---- guest checks ----"
		tr -d '\r' <$SERIAL | grep -a '^\(PASS\|FAIL\): '
	fi
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

CFG=/etc/xen/vgpio-domu.cfg
setup "xl create -p" xl create -p $CFG
D=$(xl domid vgpio-domu)
# The guest's virtio_mmio device=SIZE@BASE:IRQ, from the xl config.
MMIO=$(sed -n 's/.*vgpio_mmio=\([^ "]*\).*/\1/p' $CFG)
BASE=${MMIO#*@}
IRQ=${BASE#*:}
BASE=${BASE%:*}
DEV="domid=$D,base=$BASE,irq=$IRQ,irqtype=isa"
echo "INFO: guest is domain $D; vgpiod --device $DEV"
vgpiod -c $P --xen on --device "$DEV" -v --ready-fd 3 \
	3>/run/vgpiod.ready >/run/vgpiod.log 2>&1 &
VGPIOD=$!
setup "vgpiod ready" until_ok 30 grep -q READY /run/vgpiod.ready
# Under Xen the development loop socket stays closed unless asked for.
check "no loop socket under Xen" 0 "$(ls /run/vgpio/loop.sock 2>/dev/null | wc -l)"
check "led at its safe value before the guest runs" 0 "$(sim 0)"
check "relay at its safe value before the guest runs" 1 "$(sim 2)"
vgpio-assign status >/run/status 2>&1
check "vgpio-assign status exit status" 0 $?
check "vgpio-assign status names the domain" 1 "$(grep -c vgpio-domu /run/status)"
cat /run/status
# The structured status shows the device window as the transport serves it.
vgpio-assign status --json >/run/status.json 2>&1
dev=$(grep -o '"devices":\[{[^]]*' /run/status.json)
check "status --json: a xen device" 1 "$(echo "$dev" | grep -c '"transport":"xen"')"
check "status --json: its domid, irq and memory" 1 \
	"$(echo "$dev" | grep '"domid":'"$D"',' | grep '"irq":'"$IRQ"',' |
		grep -c '"memory":"foreign"')"
setup "xl unpause" xl unpause "$D"
echo "INFO: guest unpaused at uptime $(cut -d' ' -f1 /proc/uptime)s"

# The guest boots (SeaBIOS, the kernel under two layers of emulation)
# to its first step; dom0's side of its GPIO checks (checks.sh).
GUEST_LOG=$SERIAL
answer_steps 400 || finish

# Teardown: destroy the domain under vgpiod's feet.
setup "xl destroy" xl destroy "$D"
destroyed_checks
kill -TERM $VGPIOD
wait $VGPIOD
check "vgpiod exit status after SIGTERM" 0 $?
finish
