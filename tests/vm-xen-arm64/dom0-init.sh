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
	if [ -f $CONSOLE ]; then
		echo "---- guest console ----"
		tr -d '\r' <$CONSOLE | grep -av '^\(PASS\|FAIL\): '
		echo "---- guest checks ----"
		tr -d '\r' <$CONSOLE | grep -a '^\(PASS\|FAIL\): '
	fi
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

# The guest, paused: libxl writes the backend entry (state 1) and the
# device-tree node; vgpiod claims the device (2) and connects it (4)
# before the guest's first instruction.
setup "xl create -p" xl create -p /etc/xen/domu.cfg
D=$(xl domid vgpio-domu)
BE=/local/domain/0/backend/virtio/$D/0
echo "INFO: guest is domain $D; backend $BE"
xenstore-ls -f "$BE"
for k in type transport grant_usage base irq; do
	echo "INFO: $k = $(xenstore-read "$BE/$k")"
done
check "libxl's entry: type" "virtio,device29" "$(xenstore-read "$BE/type")"
check "libxl's entry: grant_usage" 1 "$(xenstore-read "$BE/grant_usage")"
connected() { test "$(xenstore-read "$BE/state")" = 4; }
if until_ok 30 connected; then
	pass "vgpiod claimed and connected the device (backend state 4)"
else
	fail "backend state is $(xenstore-read "$BE/state" 2>&1), not 4"
	finish
fi
vgpio-assign status --json >/run/status.json 2>&1
check "vgpio-assign status --json exit status" 0 $?
cat /run/status.json
echo
dev=$(grep -o '"devices":\[{[^]]*' /run/status.json)
check "status --json: a xen device of domain $D" 1 \
	"$(echo "$dev" | grep '"transport":"xen"' | grep -c '"domid":'"$D"',')"
check "status --json: grant mapping" 1 "$(echo "$dev" | grep -c '"memory":"grant"')"
check "status --json: SPI 33 at 0x2000000" 1 \
	"$(echo "$dev" | grep '"irq":33,' | grep -c '"base":33554432,')"
setup "xl unpause" xl unpause "$D"
echo "INFO: guest unpaused at uptime $(cut -d' ' -f1 /proc/uptime)s"

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

wait_step destroy 300 || finish
xl destroy "$D"
check "xl destroy exit status" 0 $?
kill -TERM $VGPIOD
wait $VGPIOD
check "vgpiod exit status after SIGTERM" 0 $?
finish
