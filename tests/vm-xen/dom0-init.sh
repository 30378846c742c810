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
setup "mount xenfs" mount -t xenfs xenfs /proc/xen
check "this is dom0" control_d "$(cat /proc/xen/capabilities)"
setup "start xenstored" xenstored --pid-file=/run/xenstored.pid
setup "xenstored answers" until_ok 10 xenstore-list /
setup "xen-init-dom0" xen-init-dom0
setup "start xenconsoled" xenconsoled --log=guest --log-dir=/var/log/xen/console

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

# wait_step NAME SECONDS: the guest asked for step NAME; false if the
# guest ended or the time ran out first.
wait_step() {
	n=$2
	while ! grep -aq "^VGPIO-WAIT $1" $SERIAL 2>/dev/null; do
		if grep -aq VGPIO-DOMU-DONE $SERIAL 2>/dev/null; then
			fail "the guest ended before step $1"
			return 1
		fi
		# Not `xl list $D`: under a loaded host, Xen 4.17's xl was
		# seen to segfault on a live guest still in its firmware.
		if ! xenstore-exists "/local/domain/$D" 2>/run/xs-err; then
			fail "domain $D gone before step $1 $(cat /run/xs-err)"
			echo "---- xl dmesg (tail) ----"
			xl dmesg 2>&1 | tail -20
			echo "---- device model log ----"
			tail -20 /var/log/xen/qemu-dm-*.log 2>/dev/null
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

# The guest boots (SeaBIOS, the kernel under two layers of emulation).
wait_step led-high 400 || finish
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

# Teardown: destroy the domain under vgpiod's feet.
setup "xl destroy" xl destroy "$D"
gone() { ! xl list | awk 'NR > 1 { print $1 }' | grep -qv '^Domain-0$'; }
if until_ok 30 gone; then
	pass "no domain left but dom0 (no zombie holding mapped pages)"
else
	fail "domains left after xl destroy: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
fi
safe() { test "$(sim 0)$(sim 2)" = 01; }
if until_ok 10 safe; then
	pass "led and relay back at their safe values after xl destroy"
else
	fail "after xl destroy: led $(sim 0), relay $(sim 2) (want 0 and 1)"
fi
check "vgpiod still running" 0 "$(kill -0 $VGPIOD; echo $?)"
kill -TERM $VGPIOD
wait $VGPIOD
check "vgpiod exit status after SIGTERM" 0 $?
finish
