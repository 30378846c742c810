// SPDX-License-Identifier: BSD-3-Clause
/*
 * VM tier: vgpiod with the gpiod provider on a real kernel GPIO chip
 * (gpio-sim), a shim guest over the loop transport, and vgpio-assign
 * editing the policy of the running daemon. Runs in the guest set
 * up by tests/vm-gpiosim/guest-init.sh: chip label "vgpio-sim", lines vg-a..vg-e
 * at offsets 2..6; VGPIO_SIM_DIR is the chip's sysfs directory, whose
 * sim_gpioN/value is the line's physical level and sim_gpioN/pull the
 * level the outside world drives onto it. vgpiod is $VGPIO_BUILD/vgpiod.
 *
 * gpio-sim returns a released line to its pull, so "safe value" is read
 * while the daemon still holds the line (after a disconnect, after a
 * revocation: parked), and after SIGTERM it is checked as the kernel's
 * record of the line being set to output before it was released.
 *
 * The vm_lend_* cases play the parent and a worker without the daemon:
 * the gpiod provider opens lines and lends their request fds to a forked
 * child over SCM_RIGHTS, where the linefd provider drives them.
 */
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_gpio.h>
#include "daemon-run.h"
#include "linefd.h"
#include "prov-gpiod.h"
#include "shim.h"

#define LABEL "vgpio-sim"
#define NO_EVENT_MS 200

/* Guest lines, in the order of the policy's lines key. */
enum { LED, BTN, INV, DEB, SPARE, NLINES };
static const unsigned int offset[NLINES] = {2, 3, 4, 5, 6};

#define POLICY_LINES "lines = " LABEL " vg-a vg-b vg-c vg-d vg-e\n"
#define POLICY_OPTS                                           \
	"line vg-a = name=led allow=in,out safe=high\n"       \
	"line vg-b = name=button allow=in,irq bias=pull-up\n" \
	"line vg-c = name=inv active-low=yes safe=low\n"      \
	"line vg-d = name=deb allow=in,irq debounce=1000\n"

static const char policy[] = "[domain guest]\n" POLICY_LINES POLICY_OPTS;

struct run {
	struct vg_drun *r;
	struct vg_shim *g;
};

/* --- gpio-sim's side ------------------------------------------------------ */

static const char *sim_attr(unsigned int off, const char *attr)
{
	static char path[300];
	const char *dir = getenv("VGPIO_SIM_DIR");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/sim_gpio%u/%s", dir, off, attr);
	return path;
}

/* The physical level of line @off. */
static int sim_value(unsigned int off)
{
	char buf[8] = "";
	int fd = open(sim_attr(off, "value"), O_RDONLY);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	return atoi(buf);
}

/* What the outside world drives onto line @off. */
static void sim_pull(unsigned int off, int up)
{
	const char *v = up ? "pull-up" : "pull-down";
	int fd = open(sim_attr(off, "pull"), O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, v, strlen(v)), (ssize_t)strlen(v));
	close(fd);
}

static struct gpiod_chip *chip_open(void)
{
	char path[64];
	struct gpiod_chip *c;
	struct gpiod_chip_info *ci;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/gpiochip%u", i);
		c = gpiod_chip_open(path);
		if (!c)
			continue;
		ci = gpiod_chip_get_info(c);
		if (ci && !strcmp(gpiod_chip_info_get_label(ci), LABEL)) {
			gpiod_chip_info_free(ci);
			return c;
		}
		gpiod_chip_info_free(ci);
		gpiod_chip_close(c);
	}
	fail_msg("no chip labelled %s", LABEL);
	return NULL;
}

/* The kernel's view of line @off (caller frees). */
static struct gpiod_line_info *line_info(unsigned int off)
{
	struct gpiod_chip *c = chip_open();
	struct gpiod_line_info *li = gpiod_chip_get_line_info(c, off);

	gpiod_chip_close(c);
	assert_non_null(li);
	return li;
}

/* Request line @off as an input for ourselves; NULL and errno if refused. */
static struct gpiod_line_request *take_line(unsigned int off)
{
	struct gpiod_chip *c = chip_open();
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req = NULL;
	int e = 0;

	assert_true(ls && lc && rc);
	gpiod_request_config_set_consumer(rc, "intruder");
	assert_int_equal(gpiod_line_config_add_line_settings(lc, &off, 1, ls),
			 0);
	req = gpiod_chip_request_lines(c, rc, lc);
	e = errno;
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(ls);
	gpiod_chip_close(c);
	errno = e;
	return req;
}

/* --- fixture ---------------------------------------------------------------- */

/* vgpiod on the policy, with @extra arguments (NULL: none). */
static int start(void **state, const char *const *extra)
{
	struct run *run = calloc(1, sizeof(*run));
	unsigned int i;

	if (!run)
		return -1;
	/* Every test starts with the outside world pulling low. */
	for (i = 0; i < NLINES; i++)
		sim_pull(offset[i], 0);
	if (vg_drun_start(policy, extra, &run->r)) {
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static int run_setup(void **state)
{
	return start(state, NULL);
}

static int run_teardown(void **state)
{
	struct run *run = *state;
	int rc = 0;

	vg_shim_free(run->g);
	if (run->r)
		rc = vg_drun_stop(run->r);
	free(run);
	return rc ? -1 : 0;
}

static struct vg_shim *guest(struct run *run)
{
	assert_int_equal(vg_drun_guest(run->r, "guest", NULL, &run->g), 0);
	return run->g;
}

static void irq_enable(struct vg_shim *s, unsigned int gpio, uint8_t type)
{
	assert_int_equal(vg_shim_set_direction(s, gpio, VG_GPIO_DIRECTION_IN),
			 0);
	assert_int_equal(vg_shim_set_irq_type(s, gpio, type), 0);
	assert_int_equal(vg_shim_irq_unmask(s, gpio), 0);
}

static void expect_event(struct vg_shim *s, unsigned int gpio)
{
	struct vg_shim_event ev;

	assert_int_equal(vg_shim_wait_event(s, 2000, &ev), 1);
	assert_int_equal(ev.gpio, gpio);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
}

static void expect_no_event(struct vg_shim *s)
{
	struct vg_shim_event ev;

	assert_int_equal(vg_shim_wait_event(s, NO_EVENT_MS, &ev), 0);
}

/* --- tests ------------------------------------------------------------------- */

static void vm_requests_drive_and_read_host_lines(void **state)
{
	struct vg_shim *s = guest(*state);
	struct gpiod_line_info *li;
	uint8_t dir;
	int v;

	assert_int_equal(vg_shim_ngpio(s), NLINES);
	assert_string_equal(vg_shim_line_name(s, LED), "led");
	/* Unnamed in the policy: the host's name. */
	assert_string_equal(vg_shim_line_name(s, SPARE), "vg-e");
	assert_int_equal(vg_shim_direction_output(s, LED, 0), 0);
	assert_int_equal(sim_value(offset[LED]), 0);
	assert_int_equal(vg_shim_set_value(s, LED, 1), 0);
	assert_int_equal(sim_value(offset[LED]), 1);
	assert_int_equal(vg_shim_get_value(s, LED, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vg_shim_get_direction(s, LED, &dir), 0);
	assert_int_equal(dir, VG_GPIO_DIRECTION_OUT);
	li = line_info(offset[LED]);
	assert_int_equal(gpiod_line_info_get_direction(li),
			 GPIOD_LINE_DIRECTION_OUTPUT);
	assert_string_equal(gpiod_line_info_get_consumer(li), "vgpio:guest");
	gpiod_line_info_free(li);

	/* Input follows the outside world. */
	assert_int_equal(vg_shim_set_direction(s, SPARE, VG_GPIO_DIRECTION_IN),
			 0);
	sim_pull(offset[SPARE], 1);
	assert_int_equal(vg_shim_get_value(s, SPARE, &v), 0);
	assert_int_equal(v, 1);
	sim_pull(offset[SPARE], 0);
	assert_int_equal(vg_shim_get_value(s, SPARE, &v), 0);
	assert_int_equal(v, 0);
	/* Output -> input -> output in place, value given with the switch. */
	assert_int_equal(vg_shim_direction_output(s, SPARE, 1), 0);
	assert_int_equal(sim_value(offset[SPARE]), 1);
	/* The ACL holds on host lines too: button is input only. */
	assert_int_equal(vg_shim_direction_output(s, BTN, 1), -EIO);
	/* NONE: back to the safe value (high) while still held. */
	assert_int_equal(vg_shim_set_value(s, LED, 0), 0);
	assert_int_equal(vg_shim_set_direction(s, LED, VG_GPIO_DIRECTION_NONE),
			 0);
	assert_int_equal(sim_value(offset[LED]), 1);
}

static void vm_bias_active_low_debounce_applied(void **state)
{
	struct vg_shim *s = guest(*state);
	struct gpiod_line_info *li;
	int v;

	/* bias=pull-up: gpio-sim pulls the input up itself. */
	assert_int_equal(vg_shim_set_direction(s, BTN, VG_GPIO_DIRECTION_IN),
			 0);
	li = line_info(offset[BTN]);
	assert_int_equal(gpiod_line_info_get_bias(li), GPIOD_LINE_BIAS_PULL_UP);
	gpiod_line_info_free(li);
	assert_int_equal(vg_shim_get_value(s, BTN, &v), 0);
	assert_int_equal(v, 1);

	/* active-low: logical 1 is physical 0, both ways. */
	assert_int_equal(vg_shim_direction_output(s, INV, 1), 0);
	assert_int_equal(sim_value(offset[INV]), 0);
	assert_int_equal(vg_shim_set_value(s, INV, 0), 0);
	assert_int_equal(sim_value(offset[INV]), 1);
	li = line_info(offset[INV]);
	assert_true(gpiod_line_info_is_active_low(li));
	gpiod_line_info_free(li);
	assert_int_equal(vg_shim_set_direction(s, INV, VG_GPIO_DIRECTION_IN),
			 0);
	sim_pull(offset[INV], 0);
	assert_int_equal(vg_shim_get_value(s, INV, &v), 0);
	assert_int_equal(v, 1);

	/* debounce: the kernel took the period. */
	assert_int_equal(vg_shim_set_direction(s, DEB, VG_GPIO_DIRECTION_IN),
			 0);
	li = line_info(offset[DEB]);
	assert_int_equal(gpiod_line_info_get_debounce_period_us(li), 1000);
	gpiod_line_info_free(li);
}

static void vm_edge_irq_from_pull(void **state)
{
	struct vg_shim *s = guest(*state);

	assert_true(vg_shim_has_feature(s, VG_GPIO_F_IRQ));
	irq_enable(s, SPARE, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	sim_pull(offset[SPARE], 1);
	expect_event(s, SPARE);
	/* Falling is not asked for. */
	assert_int_equal(vg_shim_irq_unmask(s, SPARE), 0);
	sim_pull(offset[SPARE], 0);
	expect_no_event(s);
	/* A rising edge while masked is latched, delivered on unmask. */
	sim_pull(offset[SPARE], 1);
	expect_event(s, SPARE);
	assert_int_equal(
		vg_shim_set_irq_type(s, SPARE, VG_GPIO_IRQ_TYPE_EDGE_FALLING),
		0);
	sim_pull(offset[SPARE], 0);
	assert_int_equal(vg_shim_irq_unmask(s, SPARE), 0);
	expect_event(s, SPARE);
	/* Debounced line: edges still arrive, one per settled change. */
	irq_enable(s, DEB, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
	sim_pull(offset[DEB], 1);
	expect_event(s, DEB);
}

static void vm_level_irq_refires_while_held(void **state)
{
	struct vg_shim *s = guest(*state);

	irq_enable(s, SPARE, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	expect_no_event(s);
	sim_pull(offset[SPARE], 1);
	expect_event(s, SPARE);
	/* Still high: unmask fires again without any edge. */
	assert_int_equal(vg_shim_irq_unmask(s, SPARE), 0);
	expect_event(s, SPARE);
	sim_pull(offset[SPARE], 0);
	assert_int_equal(vg_shim_irq_unmask(s, SPARE), 0);
	expect_no_event(s);
	/* level-low on an active-low line: physical high is logical low. */
	irq_enable(s, INV, VG_GPIO_IRQ_TYPE_LEVEL_LOW);
	sim_pull(offset[INV], 1);
	expect_event(s, INV);
}

static void vm_assigned_lines_are_exclusive(void **state)
{
	struct gpiod_line_request *req;
	struct gpiod_line_info *li;
	unsigned int i;

	(void)state;
	for (i = 0; i < NLINES; i++) {
		li = line_info(offset[i]);
		assert_true(gpiod_line_info_is_used(li));
		assert_string_equal(gpiod_line_info_get_consumer(li),
				    "vgpio:guest");
		gpiod_line_info_free(li);
		req = take_line(offset[i]);
		assert_null(req);
		assert_int_equal(errno, EBUSY);
	}
}

static void vm_safe_value_after_disconnect(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run);

	assert_int_equal(vg_shim_direction_output(s, LED, 0), 0);
	assert_int_equal(vg_shim_direction_output(s, INV, 1), 0);
	assert_int_equal(sim_value(offset[LED]), 0);
	assert_int_equal(sim_value(offset[INV]), 0);
	vg_shim_free(s);
	run->g = NULL;
	/* The worker sets them once it has seen the hang-up. */
	assert_int_equal(vg_drun_wait_disconnected(run->r, "guest"), 0);
	/* safe=high; safe=low on an active-low line is physical high. */
	assert_int_equal(sim_value(offset[LED]), 1);
	assert_int_equal(sim_value(offset[INV]), 1);
}

static void vm_safe_value_before_release_on_sigterm(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run);
	struct gpiod_chip *c = chip_open();
	struct gpiod_info_event *ev;
	struct gpiod_line_info *li;
	bool output_seen = false, released = false;
	int i;

	/* The guest leaves led as an input: safe=high must drive it. */
	assert_int_equal(vg_shim_set_direction(s, LED, VG_GPIO_DIRECTION_IN),
			 0);
	li = gpiod_chip_watch_line_info(c, offset[LED]);
	assert_non_null(li);
	assert_int_equal(gpiod_line_info_get_direction(li),
			 GPIOD_LINE_DIRECTION_INPUT);
	gpiod_line_info_free(li);
	assert_int_equal(vg_drun_stop(run->r), 0);
	run->r = NULL;
	for (i = 0; i < 8 && !released; i++) {
		if (gpiod_chip_wait_info_event(c, 2000000000LL) <= 0)
			break;
		ev = gpiod_chip_read_info_event(c);
		assert_non_null(ev);
		li = gpiod_info_event_get_line_info(ev);
		if (gpiod_info_event_get_event_type(ev) ==
		    GPIOD_INFO_EVENT_LINE_RELEASED)
			released = true;
		else if (gpiod_line_info_get_direction(li) ==
			 GPIOD_LINE_DIRECTION_OUTPUT)
			output_seen = true;
		gpiod_info_event_free(ev);
	}
	gpiod_chip_close(c);
	assert_true(output_seen);
	assert_true(released);
	/* Free again for anyone. */
	li = line_info(offset[LED]);
	assert_false(gpiod_line_info_is_used(li));
	gpiod_line_info_free(li);
}

static void vm_revoke_while_running(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run);
	struct gpiod_line_info *li;
	char *reply = NULL;
	FILE *f;
	int v;

	assert_int_equal(vg_shim_direction_output(s, LED, 0), 0);
	assert_int_equal(sim_value(offset[LED]), 0);
	f = fopen(vg_drun_config(run->r), "w");
	assert_non_null(f);
	fputs("[domain guest]\n"
	      "lines = " LABEL " vg-b vg-c vg-d vg-e\n"
	      "line vg-b = name=button allow=in,irq bias=pull-up\n"
	      "line vg-c = name=inv active-low=yes safe=low\n"
	      "line vg-d = name=deb allow=in,irq debounce=1000\n",
	      f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(vg_drun_ctl(run->r, "reload", &reply), 0);
	assert_non_null(strstr(reply, "revoked 1"));
	free(reply);
	/* At once: safe value, held by the daemon, requests refused. */
	assert_int_equal(sim_value(offset[LED]), 1);
	assert_int_equal(vg_shim_set_value(s, LED, 0), -EIO);
	assert_int_equal(vg_shim_get_value(s, LED, &v), -EIO);
	assert_int_equal(sim_value(offset[LED]), 1);
	li = line_info(offset[LED]);
	assert_string_equal(gpiod_line_info_get_consumer(li), "vgpio:guest");
	gpiod_line_info_free(li);
	/* The other lines still work. */
	assert_int_equal(vg_shim_direction_output(s, INV, 1), 0);
	assert_int_equal(sim_value(offset[INV]), 0);
}

/*
 * Start vgpiod on @text; it must fail with exit status 1 and a log that
 * contains @what.
 */
static void start_fails(const char *text, const char *what)
{
	char cmd[512], log[4096] = "";
	const char *bin = getenv("VGPIO_BUILD");
	FILE *f = fopen("/tmp/vm-bad.conf", "w");
	int st, fd;
	ssize_t n;

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd),
		 "%s/vgpiod -c /tmp/vm-bad.conf -s /tmp/vm-bad.sock "
		 "-C /tmp/vm-bad.ctl 2>/tmp/vm-bad.log",
		 bin ? bin : "build");
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	fd = open("/tmp/vm-bad.log", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, log, sizeof(log) - 1);
	close(fd);
	assert_true(n > 0);
	if (!strstr(log, what))
		fail_msg("log lacks '%s':\n%s", what, log);
}

static void vm_busy_line_fails_start_naming_it(void **state)
{
	struct gpiod_line_request *req = take_line(offset[SPARE]);

	(void)state;
	assert_non_null(req);
	start_fails(policy, "chip " LABEL " line vg-e: in use by 'intruder'");
	gpiod_line_request_release(req);
}

static void vm_unknown_chip_or_line_fails_start(void **state)
{
	(void)state;
	start_fails("[domain guest]\nlines = " LABEL " vg-a no-such-line\n",
		    "chip " LABEL " line no-such-line: no line of that name");
	start_fails("[domain guest]\nlines = " LABEL " 99\n",
		    "chip " LABEL " line 99: no such offset");
	start_fails("[domain guest]\nlines = no-such-chip 0\n",
		    "chip no-such-chip: no GPIO chip has this label");
	start_fails("[domain guest]\nlines = /dev/null 0\n",
		    "chip /dev/null: not a GPIO chip device");
}

/* The chip by its device path and by gpiochipN; the line by offset. */
static void vm_chip_by_path_and_line_by_offset(void **state)
{
	struct gpiod_chip *c = chip_open();
	const char *path = gpiod_chip_get_path(c);
	struct vg_drun *r = NULL;
	struct vg_shim *s = NULL;
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "[domain guest]\nlines = %s 6, %s 5\n",
		 path, strrchr(path, '/') + 1);
	gpiod_chip_close(c);
	assert_int_equal(vg_drun_start(text, NULL, &r), 0);
	assert_int_equal(vg_drun_guest(r, "guest", NULL, &s), 0);
	assert_int_equal(vg_shim_ngpio(s), 2);
	assert_string_equal(vg_shim_line_name(s, 0), "vg-e");
	assert_int_equal(vg_shim_direction_output(s, 0, 1), 0);
	assert_int_equal(sim_value(6), 1);
	assert_int_equal(vg_shim_direction_output(s, 1, 1), 0);
	assert_int_equal(sim_value(5), 1);
	vg_shim_free(s);
	assert_int_equal(vg_drun_stop(r), 0);
}

/*
 * drive=open-drain: gpio-sim cannot drive open-drain, so the kernel
 * emulates it by making the line an input for a high level, which
 * gpio-sim shows as the pin keeping its last level. A push-pull line
 * drives high.
 */
static void vm_open_drain_releases_high(void **state)
{
	struct gpiod_line_info *li;
	struct vg_drun *r = NULL;
	struct vg_shim *s = NULL;

	(void)state;
	sim_pull(1, 0);
	sim_pull(0, 0);
	assert_int_equal(vg_drun_start("[domain guest]\n"
				       "lines = " LABEL " vgpio-in vgpio-out\n"
				       "line 0 = drive=open-drain\n",
				       NULL, &r),
			 0);
	assert_int_equal(vg_drun_guest(r, "guest", NULL, &s), 0);
	assert_int_equal(vg_shim_direction_output(s, 0, 0), 0);
	assert_int_equal(sim_value(1), 0);
	/* High is not driven: the kernel lets go of the line. */
	assert_int_equal(vg_shim_set_value(s, 0, 1), 0);
	assert_int_equal(sim_value(1), 0);
	li = line_info(1);
	assert_int_equal(gpiod_line_info_get_drive(li),
			 GPIOD_LINE_DRIVE_OPEN_DRAIN);
	gpiod_line_info_free(li);
	/* Push-pull (the default) drives high against the pull. */
	assert_int_equal(vg_shim_direction_output(s, 1, 1), 0);
	assert_int_equal(sim_value(0), 1);
	vg_shim_free(s);
	assert_int_equal(vg_drun_stop(r), 0);
}

/*
 * Run "vgpio-assign -c POLICY -C CONTROL ARGS" (ARGS a shell word list)
 * for the daemon of @r; its exit status, stdout+stderr in @out.
 */
static int assign(struct vg_drun *r, const char *args, char *out, size_t len)
{
	char cmd[1024];
	const char *bin = getenv("VGPIO_BUILD");
	int st, fd;
	ssize_t n;

	snprintf(cmd, sizeof(cmd),
		 "%s/vgpio-assign -c %s -C %s %s >/tmp/vm-assign.out 2>&1",
		 bin ? bin : "build", vg_drun_config(r), vg_drun_control(r),
		 args);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	fd = open("/tmp/vm-assign.out", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return WEXITSTATUS(st);
}

/* The policy file's bytes, to show a refused command changed nothing. */
static void policy_text(struct vg_drun *r, char *buf, size_t len)
{
	int fd = open(vg_drun_config(r), O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void vm_assign_round_trip_on_host_lines(void **state)
{
	struct run *run = *state;
	struct gpiod_line_request *req;
	struct gpiod_line_info *li;
	char out[4096], before[4096], after[4096];
	int v;

	/* A new domain gets a free host line: probed, written, applied. */
	assert_int_equal(assign(run->r,
				"assign other 'vgpio-sim vgpio-spare' "
				"--line '0 name=bell safe=high allow=out'",
				out, sizeof(out)),
			 0);
	li = line_info(7);
	assert_string_equal(gpiod_line_info_get_consumer(li), "vgpio:other");
	gpiod_line_info_free(li);
	assert_int_equal(sim_value(7), 1);
	assert_int_equal(vg_drun_guest(run->r, "other", NULL, &run->g), 0);
	assert_int_equal(vg_shim_ngpio(run->g), 1);
	assert_string_equal(vg_shim_line_name(run->g, 0), "bell");
	assert_int_equal(vg_shim_direction_output(run->g, 0, 0), 0);
	assert_int_equal(sim_value(7), 0);

	/* Refused, naming the problem, file unchanged. */
	policy_text(run->r, before, sizeof(before));
	assert_int_equal(assign(run->r, "assign other 'vgpio-sim no-such'", out,
				sizeof(out)),
			 2);
	assert_non_null(strstr(out, "no-such"));
	assert_int_equal(assign(run->r, "assign other 'vgpio-sim vg-a'", out,
				sizeof(out)),
			 2);
	assert_non_null(strstr(out, "already in domain guest"));
	req = take_line(0);
	assert_non_null(req);
	assert_int_equal(assign(run->r, "assign other 'vgpio-sim vgpio-out'",
				out, sizeof(out)),
			 2);
	assert_non_null(strstr(out, "in use by 'intruder'"));
	gpiod_line_request_release(req);
	policy_text(run->r, after, sizeof(after));
	assert_string_equal(before, after);

	/* check and status see the live chip and daemon. */
	assert_int_equal(assign(run->r, "--json check", out, sizeof(out)), 0);
	assert_non_null(strchr(out, '{'));
	assert_int_equal(assign(run->r, "--json status", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"other\""));

	/* Revoke: at once, safe value held, the guest refused. */
	assert_int_equal(assign(run->r, "revoke other 'vgpio-sim vgpio-spare'",
				out, sizeof(out)),
			 0);
	assert_int_equal(sim_value(7), 1);
	assert_int_equal(vg_shim_set_value(run->g, 0, 0), -EIO);
	assert_int_equal(vg_shim_get_value(run->g, 0, &v), -EIO);
	assert_int_equal(sim_value(7), 1);
	assert_int_equal(assign(run->r, "status", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "parked: vgpio-sim:vgpio-spare value 1"));
}

/* --- lending lines to a worker ---------------------------------------------- */

/*
 * The worker: its stdio and socket @sock only (every other inherited fd
 * closed, so the lent fds it receives are all it has of the chip), a
 * linefd provider over them, and one command byte at a time from the
 * parent, each answered with an int (a result or -errno).
 */
enum {
	W_OPEN = 'o',
	W_HIGH = 'h',
	W_GET = 'g',
	W_EDGE = 'e',
	W_WAIT = 'w',
	W_STRAY = 'x',
	W_MESS = 'm',
	W_QUIT = 'q'
};

static void worker_edge(void *arg, unsigned int edge)
{
	*(unsigned int *)arg = edge;
}

static int worker_open(struct vg_linefd *p, const char *line, enum vg_dir dir,
		       unsigned int *edge, struct vg_line **l)
{
	struct vg_line_spec spec = {
		.chip = LABEL, .line = line, .initial_dir = dir};

	return vg_linefd_provider_ops.line_open(p, &spec, "ignored",
						worker_edge, edge, l);
}

static int worker(int sock)
{
	const struct vg_provider_ops *ops = &vg_linefd_provider_ops;
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct vg_line *out = NULL, *in = NULL, *stray = NULL;
	unsigned int edge = 0;
	struct vg_linefd *p;
	struct cmsghdr *cm;
	struct pollfd pfd;
	char c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	int fds[2], rc, v;

	if (dup2(sock, 3) != 3 || close_range(4, ~0U, 0))
		return 10;
	sock = 3;
	if (recvmsg(sock, &mh, 0) != 1 || !(cm = CMSG_FIRSTHDR(&mh)) ||
	    cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(2 * sizeof(int)))
		return 11;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	if (vg_linefd_new(NULL, &p) ||
	    vg_linefd_add(p, LABEL, "vg-a", fds[0], "vg-a") ||
	    vg_linefd_add(p, LABEL, "vg-b", fds[1], "vg-b"))
		return 12;
	while (read(sock, &c, 1) == 1) {
		switch (c) {
		case W_OPEN:
			rc = worker_open(p, "vg-a", VG_DIR_OUT, &edge, &out);
			if (!rc)
				rc = worker_open(p, "vg-b", VG_DIR_IN, &edge,
						 &in);
			break;
		case W_STRAY: /* a line of the chip it was not given */
			rc = worker_open(p, "vg-c", VG_DIR_IN, &edge, &stray);
			break;
		case W_HIGH:
			rc = ops->set_value(p, out, 1);
			break;
		case W_GET:
			rc = ops->get_value(p, in, &v);
			if (!rc)
				rc = v;
			break;
		case W_EDGE:
			rc = ops->set_edge(p, in, VG_EDGE_BOTH);
			break;
		case W_WAIT: /* the first edge within 2 s, 0 if none */
			edge = 0;
			pfd = (struct pollfd){.fd = ops->fd(p),
					      .events = POLLIN};
			if (poll(&pfd, 1, 2000) == 1)
				ops->dispatch(p);
			rc = (int)edge;
			break;
		case W_MESS: /* leave vg-a an input detecting edges */
			rc = ops->set_direction(p, out, VG_DIR_IN, 0);
			if (!rc)
				rc = ops->set_edge(p, out, VG_EDGE_BOTH);
			break;
		case W_QUIT:
			vg_linefd_free(p);
			return 0;
		default:
			rc = -EINVAL;
		}
		if (write(sock, &rc, sizeof(rc)) != sizeof(rc))
			return 13;
	}
	return 14;
}

static int ask(int sock, char cmd)
{
	int rc = -1;

	assert_int_equal(write(sock, &cmd, 1), 1);
	assert_int_equal(read(sock, &rc, sizeof(rc)), sizeof(rc));
	return rc;
}

static void parent_edge(void *arg, unsigned int edge)
{
	unsigned int *n = arg;

	n[edge == VG_EDGE_RISING ? 0 : 1]++;
}

/* Dispatch the parent's provider if it becomes readable within @ms. */
static bool parent_events(struct vg_gpiod *g, int ms)
{
	const struct vg_provider_ops *ops = &vg_gpiod_provider_ops;
	struct pollfd pfd = {.fd = ops->fd(g), .events = POLLIN};

	if (poll(&pfd, 1, ms) != 1)
		return false;
	ops->dispatch(g);
	return true;
}

static void vm_lend_lines_to_a_worker_and_back(void **state)
{
	const struct vg_provider_ops *ops = &vg_gpiod_provider_ops;
	struct vg_line_spec sa = {.chip = LABEL,
				  .line = "vg-a",
				  .initial_dir = VG_DIR_OUT,
				  .initial_value = 0};
	struct vg_line_spec sb = {
		.chip = LABEL, .line = "vg-b", .initial_dir = VG_DIR_IN};
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = {0};
	char c = 'L';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	unsigned int na[2] = {0}, nb[2] = {0};
	struct vg_line *a = NULL, *b = NULL;
	struct gpiod_line_info *li;
	struct vg_gpiod *g = NULL;
	struct cmsghdr *cm;
	int sv[2], fds[2], st, v;
	pid_t pid;

	(void)state;
	sim_pull(offset[LED], 0);
	sim_pull(offset[BTN], 0);
	/* The parent: lines held, vg-b detecting rising edges. */
	assert_int_equal(vg_gpiod_new(NULL, &g), 0);
	assert_int_equal(
		ops->line_open(g, &sa, "vgpio:guest", parent_edge, na, &a), 0);
	assert_int_equal(
		ops->line_open(g, &sb, "vgpio:guest", parent_edge, nb, &b), 0);
	assert_int_equal(ops->set_edge(g, b, VG_EDGE_RISING), 0);
	fds[0] = ops->line_lend(g, a);
	fds[1] = ops->line_lend(g, b);
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	/* Lent: once, and the parent changes nothing meanwhile. */
	assert_int_equal(ops->line_lend(g, a), -EBUSY);
	assert_int_equal(ops->set_value(g, a, 1), -EBUSY);
	assert_int_equal(ops->set_direction(g, a, VG_DIR_IN, 0), -EBUSY);
	assert_int_equal(ops->set_edge(g, b, VG_EDGE_NONE), -EBUSY);

	/* The worker gets duplicates of the two fds, nothing else. */
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(worker(sv[1]));
	}
	close(sv[1]);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &mh, 0), 1);

	/* It drives vg-a: gpio-sim and the parent's own read see it. */
	assert_int_equal(ask(sv[0], W_OPEN), 0);
	assert_int_equal(ask(sv[0], W_STRAY), -ENOENT);
	assert_int_equal(sim_value(offset[LED]), 0);
	assert_int_equal(ask(sv[0], W_HIGH), 0);
	assert_int_equal(sim_value(offset[LED]), 1);
	assert_int_equal(ops->get_value(g, a, &v), 0);
	assert_int_equal(v, 1);
	/* It reads vg-b as the outside world drives it. */
	sim_pull(offset[BTN], 1);
	assert_int_equal(ask(sv[0], W_GET), 1);
	sim_pull(offset[BTN], 0);
	assert_int_equal(ask(sv[0], W_GET), 0);
	/* Its edges go to the worker only. */
	assert_int_equal(ask(sv[0], W_EDGE), 0);
	sim_pull(offset[BTN], 1);
	assert_int_equal(ask(sv[0], W_WAIT), VG_EDGE_RISING);
	assert_false(parent_events(g, 0));
	assert_int_equal(nb[0] + nb[1], 0);
	/* The worker leaves vg-a an input with edge detection, and goes. */
	assert_int_equal(ask(sv[0], W_MESS), 0);
	c = W_QUIT;
	assert_int_equal(write(sv[0], &c, 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(sv[0]);
	li = line_info(offset[LED]);
	assert_int_equal(gpiod_line_info_get_direction(li),
			 GPIOD_LINE_DIRECTION_INPUT);
	gpiod_line_info_free(li);
	/* Edges while nobody reads: stale by the time the parent is back. */
	sim_pull(offset[BTN], 0);
	sim_pull(offset[BTN], 1);
	sim_pull(offset[LED], 1);

	/* Reclaimed: the parent's record, in full, and its events again. */
	assert_int_equal(ops->line_reclaim(g, a), 0);
	assert_int_equal(ops->line_reclaim(g, b), 0);
	assert_int_equal(ops->line_reclaim(g, b), 0);
	li = line_info(offset[LED]);
	assert_int_equal(gpiod_line_info_get_direction(li),
			 GPIOD_LINE_DIRECTION_OUTPUT);
	assert_int_equal(gpiod_line_info_get_edge_detection(li),
			 GPIOD_LINE_EDGE_NONE);
	assert_string_equal(gpiod_line_info_get_consumer(li), "vgpio:guest");
	gpiod_line_info_free(li);
	/* Output low, against the pull up. */
	assert_int_equal(sim_value(offset[LED]), 0);
	li = line_info(offset[BTN]);
	assert_int_equal(gpiod_line_info_get_edge_detection(li),
			 GPIOD_LINE_EDGE_RISING);
	gpiod_line_info_free(li);
	assert_false(parent_events(g, 0));
	assert_int_equal(nb[0] + nb[1], 0);
	sim_pull(offset[BTN], 0);
	sim_pull(offset[BTN], 1);
	assert_true(parent_events(g, 2000));
	assert_int_equal(nb[0], 1);
	assert_int_equal(nb[1], 0);
	/* The safe state through the ordinary ops: safe=high. */
	assert_int_equal(ops->set_edge(g, a, VG_EDGE_NONE), 0);
	assert_int_equal(ops->set_direction(g, a, VG_DIR_OUT, 1), 0);
	sim_pull(offset[LED], 0);
	assert_int_equal(sim_value(offset[LED]), 1);
	assert_int_equal(ops->get_value(g, a, &v), 0);
	assert_int_equal(v, 1);
	ops->line_close(g, a);
	ops->line_close(g, b);
	vg_gpiod_free(g);
	li = line_info(offset[LED]);
	assert_false(gpiod_line_info_is_used(li));
	gpiod_line_info_free(li);
}

/*
 * A worker drives the host lines through the request fds its parent
 * lent it; killed, its lines never leave the parent (no release gap:
 * still requested as vgpio:guest) and go back to their safe values.
 */
static void vm_workers_killed_worker_lines_stay_held(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run);
	struct gpiod_line_info *li;
	pid_t w = vg_drun_worker_pid(run->r, "guest");
	int i;

	assert_true(w > 0 && w != vg_drun_pid(run->r));
	assert_int_equal(vg_shim_direction_output(s, LED, 0), 0);
	assert_int_equal(sim_value(offset[LED]), 0);
	assert_int_equal(kill(w, SIGKILL), 0);
	for (i = 0; i < 1000 && sim_value(offset[LED]) != 1; i++) {
		li = line_info(offset[LED]);
		/* Held all along, by the parent once the worker is gone. */
		assert_true(gpiod_line_info_is_used(li));
		assert_string_equal(gpiod_line_info_get_consumer(li),
				    "vgpio:guest");
		gpiod_line_info_free(li);
		usleep(10000);
	}
	assert_int_equal(sim_value(offset[LED]), 1); /* safe=high */
	li = line_info(offset[LED]);
	assert_true(gpiod_line_info_is_used(li));
	gpiod_line_info_free(li);
	/* The next guest gets a new worker and the lines again. */
	vg_shim_free(run->g);
	run->g = NULL;
	s = guest(run);
	assert_true(vg_drun_worker_pid(run->r, "guest") != w);
	assert_int_equal(vg_shim_direction_output(s, LED, 0), 0);
	assert_int_equal(sim_value(offset[LED]), 0);
}

/*
 * A reload moves a host line the worker holds to another domain: the
 * kernel cannot reopen a request while the worker has a copy of its fd,
 * so the parent ends that worker first; the move succeeds and the other
 * domain's guest drives the line.
 */
static void vm_workers_move_a_lent_line(void **state)
{
	struct run *run = *state;
	struct vg_shim *s = guest(run), *o = NULL;
	pid_t w = vg_drun_worker_pid(run->r, "guest");
	char *reply = NULL;
	FILE *f;

	assert_true(w > 0);
	assert_int_equal(vg_shim_direction_output(s, SPARE, 1), 0);
	assert_int_equal(sim_value(offset[SPARE]), 1);
	f = fopen(vg_drun_config(run->r), "w");
	assert_non_null(f);
	fputs("[domain guest]\n"
	      "lines = " LABEL " vg-a vg-b vg-c vg-d\n" POLICY_OPTS
	      "\n[domain other]\n"
	      "lines = " LABEL " vg-e\n",
	      f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(vg_drun_ctl(run->r, "reload", &reply), 0);
	assert_non_null(strstr(reply, "failed 0"));
	free(reply);
	assert_true(vg_drun_log_has(run->r,
				    "holds host lines the new policy moves"));
	/* The other domain has it now, through a worker of its own. */
	assert_int_equal(vg_drun_guest(run->r, "other", NULL, &o), 0);
	assert_int_equal(vg_shim_direction_output(o, 0, 0), 0);
	assert_int_equal(sim_value(offset[SPARE]), 0);
	assert_int_equal(vg_shim_set_value(o, 0, 1), 0);
	assert_int_equal(sim_value(offset[SPARE]), 1);
	vg_shim_free(o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)
#define TW(f) \
	cmocka_unit_test_setup_teardown(f, run_setup_workers, run_teardown)
	const struct CMUnitTest tests[] = {
		T(vm_requests_drive_and_read_host_lines),
		T(vm_bias_active_low_debounce_applied),
		T(vm_edge_irq_from_pull),
		T(vm_level_irq_refires_while_held),
		T(vm_assigned_lines_are_exclusive),
		T(vm_safe_value_after_disconnect),
		T(vm_safe_value_before_release_on_sigterm),
		T(vm_revoke_while_running),
		T(vm_assign_round_trip_on_host_lines),
		cmocka_unit_test(vm_busy_line_fails_start_naming_it),
		cmocka_unit_test(vm_unknown_chip_or_line_fails_start),
		cmocka_unit_test(vm_chip_by_path_and_line_by_offset),
		cmocka_unit_test(vm_open_drain_releases_high),
		cmocka_unit_test(vm_lend_lines_to_a_worker_and_back),
		T(vm_workers_killed_worker_lines_stay_held),
		T(vm_workers_move_a_lent_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
