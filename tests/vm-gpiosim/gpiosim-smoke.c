// SPDX-License-Identifier: BSD-3-Clause
/*
 * VM tier smoke test: libgpiod 2.x against a real kernel GPIO chip. Runs in
 * the guest that tests/vm-gpiosim/guest-init.sh sets up: a gpio-sim chip labelled
 * "vgpio-sim" with lines named "vgpio-out" and "vgpio-in". The simulator's
 * side of each line is /sys/devices/platform/<dev>/<chip>/sim_gpioN/{value,
 * pull}: value is what the consumer drives, pull is what the "outside world"
 * drives onto an input.
 *
 * Prints one PASS:/FAIL: line per check; exit status 1 if any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <gpiod.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SIM_LABEL "vgpio-sim"
#define CONSUMER "vgpio-test"
#define EDGE_TIMEOUT_NS 2000000000LL

static int failures;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt,
							...)
{
	va_list ap;

	printf("%s: gpiosim-smoke: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* Open the chip whose label is SIM_LABEL among /dev/gpiochip*. */
static struct gpiod_chip *sim_chip_open(void)
{
	struct gpiod_chip *found = NULL;
	struct dirent *de;
	DIR *dir = opendir("/dev");

	if (!dir)
		return NULL;
	while (!found && (de = readdir(dir))) {
		struct gpiod_chip_info *info;
		struct gpiod_chip *chip;
		char path[300];

		if (strncmp(de->d_name, "gpiochip", 8))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (!gpiod_is_gpiochip_device(path))
			continue;
		chip = gpiod_chip_open(path);
		if (!chip)
			continue;
		info = gpiod_chip_get_info(chip);
		if (info && !strcmp(gpiod_chip_info_get_label(info), SIM_LABEL))
			found = chip;
		else
			gpiod_chip_close(chip);
		gpiod_chip_info_free(info);
	}
	closedir(dir);
	return found;
}

/* The simulator's sysfs directory of chip NAME (e.g. "gpiochip0"). */
static int sim_dir_find(const char *name, char *dir, size_t size)
{
	char pattern[256];
	glob_t g;
	int ret = -1;

	snprintf(pattern, sizeof(pattern),
		 "/sys/devices/platform/gpio-sim.*/%s", name);
	if (glob(pattern, 0, NULL, &g))
		return -1;
	if (g.gl_pathc == 1 && strlen(g.gl_pathv[0]) < size) {
		strcpy(dir, g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

static int sim_read(const char *dir, unsigned int off, const char *attr,
		    char *buf, size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sim_gpio%u/%s", dir, off, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int sim_write(const char *dir, unsigned int off, const char *attr,
		     const char *val)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sim_gpio%u/%s", dir, off, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static struct gpiod_line_request *line_request(struct gpiod_chip *chip,
					       unsigned int off,
					       enum gpiod_line_direction dir,
					       enum gpiod_line_edge edge)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req = NULL;
	int err = ENOMEM;

	if (ls && lc && rc && !gpiod_line_settings_set_direction(ls, dir) &&
	    !gpiod_line_settings_set_edge_detection(ls, edge) &&
	    !gpiod_line_config_add_line_settings(lc, &off, 1, ls)) {
		gpiod_request_config_set_consumer(rc, CONSUMER);
		req = gpiod_chip_request_lines(chip, rc, lc);
		err = req ? 0 : errno;
	}
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(ls);
	errno = err;
	return req;
}

static void check_output(struct gpiod_chip *chip, const char *dir,
			 unsigned int off)
{
	struct gpiod_line_request *req;
	struct gpiod_line_info *info;
	char buf[32];
	int v;

	req = line_request(chip, off, GPIOD_LINE_DIRECTION_OUTPUT,
			   GPIOD_LINE_EDGE_NONE);
	check(req != NULL, "request line %u as output (%s)", off,
	      req ? "ok" : strerror(errno));
	if (!req)
		return;

	info = gpiod_chip_get_line_info(chip, off);
	check(info && gpiod_line_info_is_used(info) &&
		      !strcmp(gpiod_line_info_get_consumer(info), CONSUMER),
	      "line %u is used by consumer \"%s\"", off, CONSUMER);
	gpiod_line_info_free(info);

	for (v = 1; v >= 0; v--) {
		int ret = gpiod_line_request_set_value(
			req, off,
			v ? GPIOD_LINE_VALUE_ACTIVE
			  : GPIOD_LINE_VALUE_INACTIVE);

		if (ret || sim_read(dir, off, "value", buf, sizeof(buf)))
			buf[0] = '\0';
		check(!ret && buf[0] == '0' + v && !buf[1],
		      "set line %u to %d, simulator reads \"%s\"", off, v, buf);
	}

	/* The kernel, not libgpiod, refuses a second owner. */
	errno = 0;
	{
		struct gpiod_line_request *again =
			line_request(chip, off, GPIOD_LINE_DIRECTION_INPUT,
				     GPIOD_LINE_EDGE_NONE);

		check(!again && errno == EBUSY,
		      "second request of line %u fails with EBUSY (%s)", off,
		      again ? "succeeded" : strerror(errno));
		if (again)
			gpiod_line_request_release(again);
	}
	gpiod_line_request_release(req);
}

/* Wait for one edge event of TYPE on OFF. */
static int edge_wait(struct gpiod_line_request *req,
		     struct gpiod_edge_event_buffer *buf, unsigned int off,
		     enum gpiod_edge_event_type type)
{
	struct gpiod_edge_event *ev;

	if (gpiod_line_request_wait_edge_events(req, EDGE_TIMEOUT_NS) != 1)
		return -ETIMEDOUT;
	if (gpiod_line_request_read_edge_events(req, buf, 1) != 1)
		return -EIO;
	ev = gpiod_edge_event_buffer_get_event(buf, 0);
	if (!ev || gpiod_edge_event_get_line_offset(ev) != off ||
	    gpiod_edge_event_get_event_type(ev) != type)
		return -EPROTO;
	return 0;
}

static void check_input_edges(struct gpiod_chip *chip, const char *dir,
			      unsigned int off)
{
	struct gpiod_edge_event_buffer *buf = gpiod_edge_event_buffer_new(4);
	struct gpiod_line_request *req;
	int ret;

	/* Start low so the first pull change is a rising edge. */
	ret = sim_write(dir, off, "pull", "pull-down");
	check(!ret, "simulator pull-down on line %u", off);
	req = line_request(chip, off, GPIOD_LINE_DIRECTION_INPUT,
			   GPIOD_LINE_EDGE_BOTH);
	check(req && buf, "request line %u as input, both edges (%s)", off,
	      req ? "ok" : strerror(errno));
	if (!req || !buf)
		goto out;
	check(gpiod_line_request_get_value(req, off) ==
		      GPIOD_LINE_VALUE_INACTIVE,
	      "input line %u reads 0 while pulled down", off);

	ret = sim_write(dir, off, "pull", "pull-up");
	if (!ret)
		ret = edge_wait(req, buf, off, GPIOD_EDGE_EVENT_RISING_EDGE);
	check(!ret, "pull-up on line %u gives a rising edge event (%s)", off,
	      ret ? strerror(-ret) : "ok");
	check(gpiod_line_request_get_value(req, off) == GPIOD_LINE_VALUE_ACTIVE,
	      "input line %u reads 1 while pulled up", off);

	ret = sim_write(dir, off, "pull", "pull-down");
	if (!ret)
		ret = edge_wait(req, buf, off, GPIOD_EDGE_EVENT_FALLING_EDGE);
	check(!ret, "pull-down on line %u gives a falling edge event (%s)", off,
	      ret ? strerror(-ret) : "ok");
out:
	if (req)
		gpiod_line_request_release(req);
	gpiod_edge_event_buffer_free(buf);
}

int main(void)
{
	struct gpiod_chip_info *info = NULL;
	struct gpiod_chip *chip;
	char dir[256] = "";
	int out_off, in_off;

	printf("INFO: gpiosim-smoke: libgpiod %s\n", gpiod_api_version());
	chip = sim_chip_open();
	check(chip != NULL, "gpio-sim chip labelled \"%s\" found", SIM_LABEL);
	if (!chip)
		return 1;
	info = gpiod_chip_get_info(chip);
	check(info && gpiod_chip_info_get_num_lines(info) == 8,
	      "chip has 8 lines");
	check(info && !sim_dir_find(gpiod_chip_info_get_name(info), dir,
				    sizeof(dir)),
	      "simulator sysfs directory found (%s)", dir);
	gpiod_chip_info_free(info);

	out_off = gpiod_chip_get_line_offset_from_name(chip, "vgpio-out");
	in_off = gpiod_chip_get_line_offset_from_name(chip, "vgpio-in");
	check(out_off == 0 && in_off == 1,
	      "named lines: vgpio-out at %d, vgpio-in at %d", out_off, in_off);
	if (dir[0] && out_off >= 0 && in_off >= 0) {
		check_output(chip, dir, (unsigned int)out_off);
		check_input_edges(chip, dir, (unsigned int)in_off);
	}
	gpiod_chip_close(chip);
	return failures ? 1 : 0;
}
