# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
#
# Check functions and the shared steps of the Xen tiers' /init scripts
# (busybox sh; tests/vm-xen and tests/vm-xen-arm64), copied into every
# dom0 and guest image as /lib/checks.sh. The script sets WHO (dom0,
# domU, ...) and defines finish() (report and power off) before sourcing
# it.

pass() { echo "PASS: $WHO: $*"; }
fail() { echo "FAIL: $WHO: $*"; }

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: want '$2', got '$3'"; fi
}

# setup DESCRIPTION CMD...: a failed setup step ends the run, as a FAIL.
setup() {
	d=$1
	shift
	"$@" || {
		fail "$d (exit $?)"
		finish
	}
}

# until_ok SECONDS CMD...: retry CMD once a second until it succeeds.
# (CMD's arguments are expanded once: test a function, not "$(...)".)
until_ok() {
	n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}

# ---- the guest's GPIO checks, shared by both Xen tiers' domU /init ----------
# Guest lines, in the policy's order: 0 led (out, safe low), 1 button (in,
# irq), 2 relay (out, safe high); the host chip's fourth line is not in
# the device. "VGPIO-WAIT NAME" asks dom0 for its side of step NAME
# (answer_steps below); dom0 answers through the lines themselves.

get() { gpioget --numeric -c gpiochip0 "$1"; }
button_high() { test "$(get 1)" = 1; }

# guest_detect: gpiodetect and gpioinfo see the domain's 3 named lines;
# gpioget reads the host's pull-down.
guest_detect() {
	gpiodetect >/tmp/detect 2>&1
	check "gpiodetect exit status" 0 $?
	cat /tmp/detect
	check "gpiodetect: one chip, the domain's 3 lines" 1 \
		"$(grep -c '^gpiochip0 .*(3 lines)' /tmp/detect)"
	gpioinfo -c gpiochip0 >/tmp/info 2>&1
	check "gpioinfo exit status" 0 $?
	cat /tmp/info
	for n in led button relay; do
		check "gpioinfo names line \"$n\"" 1 "$(grep -c "\"$n\"" /tmp/info)"
	done
	check "gpioget button (host pull-down)" 0 "$(get 1)"
}

# guest_output: a held gpioset drives led (dom0 checks the host line at
# step led-high, then pulls button up as its answer, which gpioget sees).
# The gpioset stays; the caller releases it.
guest_output() {
	setup "gpioset led=1 (held)" gpioset -z -c gpiochip0 0=1
	echo "VGPIO-WAIT led-high"
	if until_ok 60 button_high; then
		pass "gpioget sees the host pull-up on button"
	else
		fail "gpioget never saw the host pull-up on button"
	fi
}

# guest_edge: release led (dom0 checks its safe value at led-released),
# then gpiomon waits for the falling edge dom0 makes on button (step
# edge): the eventq and the device's interrupt.
guest_edge() {
	killall gpioset
	until_ok 10 sh -c '! pidof gpioset >/dev/null'
	echo "VGPIO-WAIT led-released"
	gpiomon -c gpiochip0 -e falling -n 1 1 >/tmp/mon 2>&1 &
	mon=$!
	if until_ok 10 sh -c 'gpioinfo -c gpiochip0 1 | grep -q gpiomon'; then
		pass "gpiomon holds button with edge detection"
	else
		fail "gpiomon did not request button"
	fi
	echo "VGPIO-WAIT edge"
	if until_ok 60 sh -c "! kill -0 $mon"; then
		wait $mon
		check "gpiomon exit status" 0 $?
		cat /tmp/mon
		check "gpiomon saw one falling edge" 1 "$(grep -c falling /tmp/mon)"
	else
		kill $mon
		fail "gpiomon saw no edge within 60 s"
	fi
}

# guest_refusals_hold: the policy's refusals (the host chip's fourth line
# is not part of this device; the input-only line cannot be driven),
# then led held high and relay low while dom0 destroys the domain.
guest_refusals_hold() {
	gpioget -c gpiochip0 3 >/tmp/out 2>&1
	check "gpioget of a line outside the policy fails" 1 $(($? != 0))
	gpioset -t 0 -c gpiochip0 1=1 >/tmp/out 2>&1
	check "gpioset of the input-only line fails" 1 $(($? != 0))
	cat /tmp/out
	guest_hold_until_destroyed "gpioset led=1 relay=0 (held)" 0=1 2=0
}

# guest_hold_until_destroyed WHAT VALUES...: hold VALUES with gpioset
# (or nothing, when VALUES is empty) and wait for dom0's xl destroy.
guest_hold_until_destroyed() {
	what=$1
	shift
	[ $# -eq 0 ] || setup "$what" gpioset -z -c gpiochip0 "$@"
	echo "VGPIO-WAIT destroy"
	sleep 600
	fail "dom0 did not destroy the domain"
	finish
}

# guest_checks: the whole guest-side sequence of both Xen tiers, once the
# virtio gpiochip appears. RUN=foreign (the re-created guest) stops after the output
# check. Unbinding and binding the built-in driver resets the device
# (status 0) and sets it up again: vgpiod drops the queues' mappings and
# maps the new rings. Ends with the refusals and the lines held while
# dom0 destroys the domain.
guest_checks() {
	setup "the virtio gpiochip appears" until_ok 20 test -c /dev/gpiochip0
	echo "INFO: domU: gpiochip0 at uptime $(cut -d' ' -f1 /proc/uptime)s"
	guest_detect
	guest_output
	if [ "${RUN:-}" = foreign ]; then
		killall gpioset
		guest_hold_until_destroyed nothing
	fi
	guest_edge
	DRV=/sys/bus/virtio/drivers/gpio_virtio
	VDEV=$(basename "$(ls -d $DRV/virtio* | sed -n 1p)")
	setup "unbind gpio_virtio from $VDEV" sh -c "echo $VDEV >$DRV/unbind"
	setup "the gpiochip goes away" until_ok 10 test ! -e /dev/gpiochip0
	setup "bind gpio_virtio to $VDEV" sh -c "echo $VDEV >$DRV/bind"
	setup "the gpiochip comes back" until_ok 20 test -c /dev/gpiochip0
	check "gpioget button after unbind and bind" 0 "$(get 1)"
	guest_refusals_hold
}

# ---- dom0's side, shared by both Xen tiers' dom0 /init ----------------------
# The caller sets GUEST_LOG (the guest's console as a file in dom0) and D
# (its domid) before wait_step and answer_steps.

# start_xen_userland: xenfs (this must be dom0), then xenstored,
# xen-init-dom0 (dom0's own xenstore entries) and xenconsoled (the
# guests' consoles, logged to files in /var/log/xen/console).
start_xen_userland() {
	setup "mount xenfs" mount -t xenfs xenfs /proc/xen
	check "this is dom0" control_d "$(cat /proc/xen/capabilities)"
	setup "start xenstored" xenstored --pid-file=/run/xenstored.pid
	setup "xenstored answers" until_ok 10 xenstore-list /
	setup "xen-init-dom0" xen-init-dom0
	setup "start xenconsoled" xenconsoled --log=guest \
		--log-dir=/var/log/xen/console
}

# make_host_lines: the gpio-sim chip vgpio-host (led, button, relay go to
# the guest; secret does not) and the policy written by vgpio-assign.
# Sets P (the policy) and SIM; defines sim and pull.
make_host_lines() {
	setup "mount configfs" mount -t configfs none /sys/kernel/config
	G=/sys/kernel/config/gpio-sim/host
	setup "create the gpio-sim chip" mkchip
	SIM=/sys/devices/platform/$(cat $G/dev_name)/$(cat $G/bank0/chip_name)
	P=/etc/vgpio/policy.conf
	: >$P
	vgpio-assign -c $P assign vgpio-domu "vgpio-host led button relay" \
		--line "0 allow=out safe=low" --line "1 allow=in,irq" \
		--line "2 allow=out safe=high" --offline
	check "vgpio-assign assign exit status" 0 $?
	vgpio-assign -c $P check >/run/assign-check 2>&1
	check "vgpio-assign check exit status" 0 $?
}
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
sim() { cat "$SIM/sim_gpio$1/value"; }
pull() { echo "pull-$2" >"$SIM/sim_gpio$1/pull"; }

# wait_step NAME SECONDS: the guest asked for step NAME; false if the
# guest ended or the time ran out first.
wait_step() {
	n=$2
	while ! grep -aq "^VGPIO-WAIT $1" "$GUEST_LOG" 2>/dev/null; do
		if grep -aq VGPIO-DOMU-DONE "$GUEST_LOG" 2>/dev/null; then
			fail "the guest ended before step $1"
			return 1
		fi
		# Not `xl list $D`: under a loaded host, Xen 4.17's xl was
		# seen to segfault on a live guest still in its firmware, and
		# so, rarely, was xenstore-exists: only its "no" (exit 1)
		# says the domain is gone; a crash (128 + signal) is retried.
		xenstore-exists "/local/domain/$D" 2>/run/xs-err
		rc=$?
		if [ "$rc" -ge 128 ]; then
			echo "INFO: xenstore-exists died (exit $rc) at step $1; asking again"
		elif [ "$rc" -ne 0 ]; then
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

# answer_steps FIRST_WAIT: dom0's side of guest_output, guest_edge and
# the hold before destroy (FIRST_WAIT: seconds the guest may take to
# boot to its first step). False if a step was not reached.
answer_steps() {
	wait_step led-high "$1" || return 1
	check "the guest's gpioset drives the host led" 1 "$(sim 0)"
	pull 1 up
	check "the host sees its own pull-up on button" 1 "$(sim 1)"
	wait_step led-released 90 || return 1
	if until_ok 10 led_low; then
		pass "a released led returns to its safe value (low)"
	else
		fail "led stays at $(sim 0) after the guest released it"
	fi
	wait_step edge 60 || return 1
	pull 1 down
	wait_step destroy 120 || return 1
	check "guest holds led high" 1 "$(sim 0)"
	check "guest holds relay low" 0 "$(sim 2)"
}
led_low() { test "$(sim 0)" = 0; }

# destroyed_checks: after `xl destroy $D`: no domain but dom0 is left (a
# page still mapped by vgpiod would keep a zombie), led and relay are at
# their safe values, and vgpiod (pid VGPIOD) runs on.
destroyed_checks() {
	if until_ok 30 only_dom0; then
		pass "domain $D: no domain left but dom0 (no zombie holding mapped pages)"
	else
		fail "domains left after xl destroy: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
	fi
	if until_ok 10 lines_safe; then
		pass "domain $D: led and relay back at their safe values after xl destroy"
	else
		fail "after xl destroy: led $(sim 0), relay $(sim 2) (want 0 and 1)"
	fi
	check "vgpiod still running" 0 "$(kill -0 "$VGPIOD"; echo $?)"
	worker_gone
}
# The worker model (vgpiod started with --worker-user 65534:65534): the
# guest's window is served by a worker, a child of vgpiod (pid VGPIOD).
# worker_pid: its pid, or nothing.
worker_pid() {
	for s in /proc/[0-9]*/status; do
		if grep -q "^PPid:[[:space:]]*$VGPIOD\$" "$s" 2>/dev/null; then
			p=${s%/status}
			echo "${p#/proc/}"
			return
		fi
	done
}

# status_field PID NAME: a field of /proc/PID/status, blanks squeezed.
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

# worker_checks: a worker of its own serves domain $D's window, as user
# 65534 with no capability, no_new_privs and the syscall filter; its
# Xen handles refuse another domain (the worker checks it and says so);
# and vgpiod itself maps no guest memory. Sets WORKER.
worker_checks() {
	WORKER=$(worker_pid)
	check "domain $D: a worker serves the guest" 1 "$([ -n "$WORKER" ] && echo 1)"
	[ -n "$WORKER" ] || return 1
	echo "INFO: worker pid $WORKER: $(tr '\0' ' ' </proc/$WORKER/cmdline)"
	check "worker: runs as user 65534" "65534 65534 65534 65534" "$(status_field "$WORKER" Uid)"
	check "worker: no capability" 0000000000000000 "$(status_field "$WORKER" CapEff)"
	check "worker: no bounding set" 0000000000000000 "$(status_field "$WORKER" CapBnd)"
	check "worker: no_new_privs" 1 "$(status_field "$WORKER" NoNewPrivs)"
	check "worker: syscall filter on (seccomp mode 2)" 2 "$(status_field "$WORKER" Seccomp)"
	check "worker: its Xen handles refuse another domain" 1 \
		"$(grep -c "dom$D: Xen handles restricted to the domain (checked: domain [0-9]* refused)" /run/vgpiod.log)"
	check "vgpiod itself maps nothing through gntdev or privcmd" 0 \
		"$(grep -c ' /dev/xen/\(gntdev\|privcmd\)' /proc/$VGPIOD/maps)"
}

# worker_gone: after the guest's window went away, so did its worker.
worker_gone() {
	if until_ok 10 test ! -e "/proc/$WORKER"; then
		pass "domain $D: its worker ended with the guest's window"
	else
		fail "domain $D: worker $WORKER still runs"
	fi
}

# maps_check grant|foreign: what the worker's /proc/WORKER/maps shows of
# the guest's memory: grant mappings (gntdev) in grant mode, none in
# foreign mode, where privcmd maps the rings besides the IOREQ page.
maps_check() {
	g=$(grep -c ' /dev/xen/gntdev' /proc/$WORKER/maps)
	f=$(grep -c ' /dev/xen/privcmd' /proc/$WORKER/maps)
	echo "INFO: the worker maps: $g of gntdev, $f of privcmd"
	if [ "$1" = grant ]; then
		check "grant mode: the worker maps guest pages through gntdev" 1 $((g > 0))
		check "grant mode: privcmd maps only the IOREQ page" 1 "$f"
	else
		check "foreign mode: no gntdev mapping" 0 "$g"
		check "foreign mode: privcmd maps the rings besides the IOREQ page" 1 $((f > 1))
	fi
}

only_dom0() { ! xl list | awk 'NR > 1 { print $1 }' | grep -qv '^Domain-0$'; }
lines_safe() { test "$(sim 0)$(sim 2)" = 01; }
