#!/opt/busybox/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The systemd tier's checks, run inside the guest by vgpio-tests.service
# once Debian 12's systemd (PID 1) has reached basic.target. vgpiod is the
# one `make install` put in /usr/local, started by systemctl from the
# installed unit (/usr/local/lib/systemd/system/vgpiod.service), on a
# gpio-sim chip through the gpiod provider. Output goes to the serial
# console: PASS:/FAIL: lines between the VGPIO-SD-START and VGPIO-SD-DONE
# markers, which tests/vm-systemd/run.sh reads.
#
# Debian's own programs come first in PATH (systemctl, journalctl, kill,
# nsenter); busybox (/opt/busybox) supplies the rest.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/opt/busybox
export PATH
U=vgpiod
P=/etc/vgpio/policy.conf
D=sd
echo "VGPIO-SD-START $(systemctl --version | sed -n 1p), uptime $(cut -d' ' -f1 /proc/uptime)s"

finish() {
	echo "---- journal of $U ----"
	journalctl -q -u $U -o short-monotonic --no-pager | tail -n 60
	echo "VGPIO-SD-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
	systemctl poweroff --force --force
	sleep 60
}
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: want '$2', got '$3'"; fi
}
# ok NAME CMD...: CMD succeeds; refused NAME CMD...: CMD fails.
ok() {
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d (exit $?)"; fi
}
refused() {
	d=$1
	shift
	if "$@" 2>/dev/null; then fail "$d (it succeeded)"; else pass "$d"; fi
}
# setup DESCRIPTION CMD...: a failed setup step ends the run, as a FAIL.
setup() {
	d=$1
	shift
	"$@" || {
		fail "setup: $d (exit $?)"
		finish
	}
}
# until_ok SECONDS CMD...: retry CMD every 0.2 s until it succeeds, for
# at most SECONDS (a deadline for a state change systemd makes on its
# own timer; no check depends on how fast it comes).
until_ok() {
	n=$(($1 * 5))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.2
	done
}
prop() { systemctl show -p "$1" --value $U; }

# ---- the host chip: gpio-sim, one bank of four named lines -------------------
for m in configfs irq_sim gpio-sim; do
	[ -d /sys/module/"$(echo $m | tr - _)" ] ||
		setup "load $m" insmod /usr/lib/modules/vgpio/$m.ko
done
mountpoint -q /sys/kernel/config ||
	setup "mount configfs" mount -t configfs none /sys/kernel/config
mountpoint -q /sys/kernel/debug ||
	setup "mount debugfs" mount -t debugfs none /sys/kernel/debug
TR=/sys/kernel/tracing
mountpoint -q $TR || setup "mount tracefs" mount -t tracefs none $TR
G=/sys/kernel/config/gpio-sim/sd
mkchip() {
	mkdir $G $G/bank0 &&
		echo 4 >$G/bank0/num_lines &&
		echo vgpio-sd >$G/bank0/label &&
		for l in 0:sd-out 1:sd-in 2:sd-extra 3:sd-spare; do
			mkdir $G/bank0/line${l%%:*} &&
				echo "${l#*:}" >$G/bank0/line${l%%:*}/name || return 1
		done &&
		echo 1 >$G/live
}
setup "create the gpio-sim chip" mkchip
SIM=/sys/devices/platform/$(cat $G/dev_name)/$(cat $G/bank0/chip_name)
sim() { cat "$SIM/sim_gpio$1/value"; }
# The global GPIO number of line 0, as debugfs's gpio list names it.
for c in /sys/class/gpio/gpiochip*; do
	[ "$(cat "$c/label")" = vgpio-sd ] && BASE=$(cat "$c/base")
done
[ -n "${BASE:-}" ] || { fail "setup: no gpio class entry for vgpio-sd"; finish; }
echo "INFO: gpio-sim chip $(cat $G/bank0/chip_name), line 0 is gpio $BASE"

# sd-out drives high when no guest drives it; gpio-sim pulls it down, so
# while vgpiod holds it the simulator reads 1, and 0 once it is released.
policy_v1() {
	cat >$P <<-EOF
		[domain $D]
		lines = vgpio-sd sd-out sd-in
		line sd-out = allow=out safe=high
		line sd-in = allow=in
	EOF
}
policy_v2() {
	cat >$P <<-EOF
		[domain $D]
		lines = vgpio-sd sd-out sd-in sd-extra
		line sd-out = allow=out safe=high
		line sd-in = name=sensor allow=in
		line sd-extra = allow=out safe=low
	EOF
}
status() { vgpio-ctl status; }

# ---- the installed unit --------------------------------------------------------
check "unit file is the installed one" /usr/local/lib/systemd/system/vgpiod.service \
	"$(prop FragmentPath)"
check "unit Type" notify "$(prop Type)"
ok "systemd-analyze verify" eval \
	"systemd-analyze verify --man=no $U.service >/run/verify.out 2>&1"
check "systemd-analyze verify's complaints" "" "$(cat /run/verify.out)"

# ---- start: Type=notify readiness ---------------------------------------------
# Type=notify: systemctl start returns once vgpiod sent READY=1, which it
# does after every line is open and its sockets listen. So the control
# socket must answer at once (no wait), and the policy's lines are held
# in their safe state. (With Type=simple start would return at fork, and
# the status could fail or find no lines.)
policy_v1
ok "systemctl start" systemctl start $U
check "is-active right after start" active "$(systemctl is-active $U)"
ok "vgpio-ctl status right after start" eval 'status >/run/status.1 2>&1'
check "status lists domain $D with 2 lines" 1 \
	"$(grep -c "^domain $D .* lines 2 " /run/status.1)"
check "sd-out held at its safe value (gpio-sim reads 1)" 1 "$(sim 0)"
check "sd-out's consumer is vgpio:$D" 1 \
	"$(grep -c "gpio-$BASE .*vgpio:$D" /sys/kernel/debug/gpio)"
PID=$(prop MainPID)
echo "INFO: MainPID $PID"

# ---- the unit's hardening, on the running vgpiod -------------------------------
st=/proc/$PID/status
check "NoNewPrivs of MainPID" 1 "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "$st")"
check "Seccomp mode of MainPID (filter)" 2 "$(sed -n 's/^Seccomp:[[:space:]]*//p' "$st")"
# CapBnd: ProtectKernelModules drops CAP_SYS_MODULE (16), ProtectKernelLogs
# CAP_SYSLOG (34); CAP_SYS_ADMIN (21) stays (vgpiod runs as root).
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "$st")
capbit() { echo $(((0x$capbnd >> $1) & 1)); }
check "CapBnd: CAP_SYS_MODULE dropped" 0 "$(capbit 16)"
check "CapBnd: CAP_SYSLOG dropped" 0 "$(capbit 34)"
check "CapBnd: CAP_SYS_ADMIN kept" 1 "$(capbit 21)"
for ns in mnt uts; do
	ok "MainPID has its own $ns namespace" \
		[ "$(readlink "/proc/$PID/ns/$ns")" != "$(readlink /proc/1/ns/$ns)" ]
done
# Inside vgpiod's mount namespace (nsenter -m only: the shell keeps root's
# full capabilities, so a refusal comes from the mounts themselves).
inside() { nsenter -t "$PID" -m -- /opt/busybox/sh -c "$1"; }
# Each refusal has its control: the same thing allowed elsewhere.
refused "ProtectSystem=strict: /usr read-only inside" inside 'touch /usr/sd-x'
refused "ProtectSystem=strict: /etc read-only inside" inside 'touch /etc/sd-x'
ok "RuntimeDirectory: /run/vgpio writable inside" \
	inside 'touch /run/vgpio/sd-x && rm /run/vgpio/sd-x'
ok "/usr writable outside" touch /usr/sd-x
rm -f /usr/sd-x
mkdir -p /home/someone && echo secret >/home/someone/file
check "ProtectHome: what /home holds inside" "" "$(inside 'ls -A /home')"
echo outside >/tmp/sd-outside
refused "PrivateTmp: the host's /tmp/sd-outside not seen inside" \
	inside 'test -e /tmp/sd-outside'
ok "PrivateTmp: a file can be made in /tmp inside" \
	inside 'echo inside >/tmp/sd-inside'
refused "PrivateTmp: that file is not in the host's /tmp" test -e /tmp/sd-inside
refused "ProtectKernelTunables: /proc/sys read-only inside" \
	inside 'echo 1 >/proc/sys/kernel/sysrq'
ok "/proc/sys writable outside" \
	eval 'cat /proc/sys/kernel/sysrq >/proc/sys/kernel/sysrq'
refused "ProtectControlGroups: /sys/fs/cgroup read-only inside" \
	inside 'mkdir /sys/fs/cgroup/sd-x'
check "ProtectKernelModules: what /usr/lib/modules holds inside" "" \
	"$(inside 'ls -A /usr/lib/modules 2>/dev/null')"
check "/usr/lib/modules outside" vgpio "$(ls -A /usr/lib/modules)"
# What systemd itself makes of the unit, for information.
systemd-analyze security --offline=true --no-pager \
	/usr/local/lib/systemd/system/$U.service 2>&1 |
	sed -n 's/^→ /INFO: systemd-analyze security: /p'

# ---- reload ---------------------------------------------------------------------
# ExecReload sends SIGHUP and returns; the change is made by vgpiod
# after systemctl returns, so the checks wait for it (and for the
# journal's message of a refused policy).
policy_v2
ok "systemctl reload" systemctl reload $U
lines3() { status | grep -q "^domain $D .* lines 3 "; }
ok "status shows the reloaded policy (3 lines)" until_ok 20 lines3
check "status shows the renamed line" 1 "$(status | grep -c ' name sensor host vgpio-sd:sd-in ')"
check "MainPID unchanged by reload" "$PID" "$(prop MainPID)"
echo '[domain' >>$P
ok "systemctl reload (broken policy)" systemctl reload $U
not_applied() { journalctl -q -u $U -o cat | grep -q 'SIGHUP: policy not applied'; }
ok "the broken policy is refused (journal)" until_ok 20 not_applied
check "is-active after the refused reload" active "$(systemctl is-active $U)"
ok "status still has the previous policy (3 lines)" lines3
check "MainPID unchanged" "$PID" "$(prop MainPID)"
policy_v1
systemctl reload $U
lines2() { status | grep -q "^domain $D .* lines 2 "; }
ok "reload back to 2 lines" until_ok 20 lines2

# ---- Restart=on-failure after SIGKILL -----------------------------------------
n0=$(prop NRestarts)
kill -9 "$PID"
restarted() {
	p=$(prop MainPID)
	[ "$p" != 0 ] && [ "$p" != "$PID" ] &&
		[ "$(systemctl is-active $U)" = active ]
}
ok "restarted after kill -9 (new MainPID, active)" until_ok 60 restarted
PID2=$(prop MainPID)
echo "INFO: MainPID $PID2 after the restart"
check "NRestarts" $((n0 + 1)) "$(prop NRestarts)"
ok "vgpio-ctl status after the restart" eval 'status >/run/status.2 2>&1'
check "restarted vgpiod serves domain $D" 1 "$(grep -c "^domain $D .* lines 2 " /run/status.2)"
check "sd-out held at its safe value again" 1 "$(sim 0)"
PID=$PID2

# ---- stop: lines to their safe values, then released ----------------------------
# A guest (vgpio-shim on the loop socket) drives sd-out to 0 and stays
# connected; `systemctl stop` must put the line back at its safe value 1
# before releasing it. gpio-sim returns a released line to its pull
# (down: 0), so what vgpiod leaves is read from kprobes on gpio-sim's
# own callbacks: every value written to the line, whichever gpiolib path
# wrote it (Linux 6.1's gpio_value trace event misses the
# GPIO_V2_LINE_SET_VALUES path), and the release, in order.
echo 0 >$TR/tracing_on
echo >$TR/trace
cat >$TR/kprobe_events <<-EOF
	p:vgpio/sim_set gpio_sim_set off=%si:u32 val=%dx:s32
	p:vgpio/sim_out gpio_sim_direction_output off=%si:u32 val=%dx:s32
	p:vgpio/sim_setm gpio_sim_set_multiple mask=+0(%si):x64 bits=+0(%dx):x64
	p:vgpio/sim_free gpio_sim_free off=%si:u32
EOF
setup "kprobes on gpio-sim" test -d $TR/events/vgpio
echo 1 >$TR/events/vgpio/enable
echo 1 >$TR/tracing_on
vgpio-shim -d $D set --hold-ms 600000 sd-out=0 >/run/shim.out 2>&1 &
SHIM=$!
low() { [ "$(sim 0)" = 0 ]; }
ok "the guest drove sd-out to 0 (gpio-sim reads 0)" until_ok 30 low
# The guest is served by its domain's worker: a child of MainPID, in the
# unit's cgroup, sandboxed (docs/security.md).
W=$(pgrep -P "$PID" -f -- '--worker' | head -1)
check "the guest's worker is a child of MainPID" 1 "$([ -n "$W" ] && echo 1 || echo 0)"
if [ -n "$W" ]; then
	ws=/proc/$W/status
	check "worker NoNewPrivs" 1 "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' $ws)"
	check "worker Seccomp mode (filter)" 2 "$(sed -n 's/^Seccomp:[[:space:]]*//p' $ws)"
	check "worker CapEff (none)" 0000000000000000 "$(sed -n 's/^CapEff:[[:space:]]*//p' $ws)"
	check "worker in the unit's cgroup" "$(cat /proc/$PID/cgroup)" "$(cat /proc/$W/cgroup)"
	# The user make install's sysusers.d file asks for, made at boot.
	VU=$(id -u vgpio 2>/dev/null)
	check "the workers' user vgpio exists (sysusers.d)" 1 "$([ -n "$VU" ] && [ "$VU" != 0 ] && echo 1 || echo 0)"
	check "worker runs as user vgpio" "$VU $VU $VU $VU" \
		"$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' $ws)"
fi
ok "journal: the worker entered its sandbox" eval \
	"journalctl -q -u $U -o cat | grep -q 'sandbox: filesystem'"
ok "systemctl stop" systemctl stop $U
echo 0 >$TR/tracing_on
# line0: what happened to line 0, in order: each value written, "free".
line0() {
	sed -n 's/.* \(sim_[a-z]*\): ([^)]*) \(.*\)$/\1 \2/p' $TR/trace |
		while read -r ev a b; do
			case $ev in
			sim_set | sim_out) [ "${a#off=}" != 0 ] || echo "${b#val=}" ;;
			sim_setm) [ $((${a#mask=} & 1)) = 0 ] || echo $((${b#bits=} & 1)) ;;
			sim_free) [ "${a#off=}" != 0 ] || echo free ;;
			esac
		done | tr '\n' ' '
}
seq=$(line0)
echo "INFO: sd-out, values written and the release, in order: $seq"
case " $seq" in
*" 0 "*" 1 free ") pass "sd-out: the guest's 0, then the safe value 1, then the release" ;;
*) fail "sd-out: want the guest's 0, then 1, then the release; got '$seq'" ;;
esac
echo 0 >$TR/events/vgpio/enable
echo >$TR/kprobe_events
check "gpio-sim reads the pull (0): the line is released" 0 "$(sim 0)"
check "lines held by vgpio:$D" 0 "$(grep -c "vgpio:$D" /sys/kernel/debug/gpio)"
check "is-active after stop" inactive "$(systemctl is-active $U)"
check "Result after stop" success "$(prop Result)"
check "vgpiod's exit status" 0 "$(prop ExecMainStatus)"
refused "control socket gone" test -e /run/vgpio/control.sock
refused "loop socket gone" test -e /run/vgpio/loop.sock
ok "journal: vgpiod says its lines are left safe" eval \
	"journalctl -q -u $U -o cat | grep -q 'stopped; lines left in their safe state'"
kill $SHIM 2>/dev/null
wait $SHIM 2>/dev/null

# ---- exit status 2 is not restarted ----------------------------------------------
echo '[domain' >$P
refused "systemctl start with a broken policy" systemctl start $U
check "ExecMainStatus" 2 "$(prop ExecMainStatus)"
check "ActiveState (no restart scheduled)" failed "$(prop ActiveState)"
check "SubState (not auto-restart)" failed "$(prop SubState)"
check "Result" exit-code "$(prop Result)"
policy_v1
systemctl reset-failed $U
systemctl start $U
check "starts again with a good policy" active "$(systemctl is-active $U)"

# ---- the sandbox seen from inside, by a probe in the unit's own context -----------
# A runtime drop-in adds one ExecStartPost= to the installed unit; the
# probe tries what the hardening forbids (tests/vm-systemd/sd-probe.c).
systemctl stop $U
mkdir -p /run/systemd/system/$U.service.d
printf '[Service]\nExecStartPost=/opt/vgpio-tests/sd-probe /run/vgpio/probe.out\n' \
	>/run/systemd/system/$U.service.d/probe.conf
systemctl daemon-reload
ok "systemctl start with the probe" systemctl start $U
PID=$(prop MainPID)
if [ -f /run/vgpio/probe.out ]; then
	grep '^\(PASS\|FAIL\): ' /run/vgpio/probe.out
	check "the probe ran in vgpiod's cgroup" \
		"cgroup $(cat "/proc/$PID/cgroup")" "$(sed -n 1p /run/vgpio/probe.out)"
	ok "the probe shares vgpiod's private /tmp" \
		inside 'test -e /tmp/sd-probe-was-here'
else
	fail "the probe wrote no /run/vgpio/probe.out"
fi
systemctl stop $U
rm -r /run/systemd/system/$U.service.d
systemctl daemon-reload

finish
