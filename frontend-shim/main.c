// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-shim: a guest-side virtio-gpio driver as a command, talking to
 * vgpiod over the loop transport. Exit 0 on success, 1 when the device or
 * daemon failed or an expected event did not come, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vgpio/virtio_mmio.h>
#include "num.h"
#include "shim.h"

#define SHIM_DEFAULT_SOCKET "/run/vgpio/loop.sock"
#define SHIM_DEFAULT_DOMAIN "demo"
#define DEMO_IRQ_TIMEOUT_MS 5000

static const char usage[] =
	"usage: vgpio-shim [options] COMMAND [ARGS...]\n"
	"options:\n"
	"  -s, --socket PATH     vgpiod loop socket "
	"(default " SHIM_DEFAULT_SOCKET ")\n"
	"  -d, --domain NAME     domain to claim (default " SHIM_DEFAULT_DOMAIN
	")\n"
	"      --grants          address buffers through emulated grants\n"
	"      --no-irq          decline VIRTIO_GPIO_F_IRQ\n"
	"      --no-indirect     decline VIRTIO_RING_F_INDIRECT_DESC\n"
	"      --no-event-idx    decline VIRTIO_RING_F_EVENT_IDX\n"
	"      --queue-size N    virtqueue size (power of two, default: the "
	"device's maximum)\n"
	"      --max-piece N     daemon maps guest memory in pieces of at most "
	"N bytes\n"
	"  -h, --help            this text\n"
	"commands:\n"
	"  info                          lines, names, directions, features\n"
	"  get LINE...                   read lines (name or index)\n"
	"  set [--hold-ms N] LINE=0|1... drive lines, keep them N ms\n"
	"  mon [-n COUNT] [--timeout-ms N] [--edge "
	"rising|falling|both|high|low]"
	" LINE...\n"
	"                                print one line per interrupt\n"
	"  demo                          the demo guest (needs vgpiod "
	"--demo)\n";

static _Noreturn void bad_usage(const char *fmt, ...) VG_PRINTF(1, 2);
static _Noreturn void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpio-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(vgpio-shim --help for usage)\n", stderr);
	exit(2);
}

static int fail(const char *fmt, ...) VG_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpio-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Strict decimal in [min, max]: whole token, no sign, no overflow. */
static unsigned long parse_num(const char *what, const char *s,
			       unsigned long min, unsigned long max)
{
	uint64_t v;
	int rc = vg_num(s, 0, max, &v);

	if (rc == -EINVAL || rc == -EDOM)
		bad_usage("%s: '%s' is not a number", what, s);
	if (rc || v < min)
		bad_usage("%s: '%s' is not a number in %lu..%lu", what, s, min,
			  max);
	return (unsigned long)v;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *dir_name(uint8_t dir)
{
	switch (dir) {
	case VG_GPIO_DIRECTION_IN:
		return "input";
	case VG_GPIO_DIRECTION_OUT:
		return "output";
	default:
		return "unused";
	}
}

static void features_str(uint64_t f, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{VG_F_VERSION_1, "VERSION_1"},
		{VG_F_ACCESS_PLATFORM, "ACCESS_PLATFORM"},
		{VG_GPIO_F_IRQ, "GPIO_F_IRQ"},
		{VG_F_RING_INDIRECT_DESC, "INDIRECT_DESC"},
		{VG_F_RING_EVENT_IDX, "EVENT_IDX"},
	};
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < VG_ARRAY_SIZE(names) && n < len; i++)
		if (f & VG_BIT(names[i].bit))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "", names[i].name);
}

/* "name" or "#index" for messages. */
static const char *line_label(const struct vg_shim *s, unsigned int gpio,
			      char *buf, size_t len)
{
	const char *n = vg_shim_line_name(s, gpio);

	if (n && n[0])
		return n;
	snprintf(buf, len, "#%u", gpio);
	return buf;
}

static int find_line(const struct vg_shim *s, const char *ref)
{
	int i = vg_shim_line_find(s, ref);

	if (i < 0)
		fail("no line '%s' (the chip has %u lines)", ref,
		     vg_shim_ngpio(s));
	return i;
}

static int cmd_info(struct vg_shim *s, int argc, char **argv)
{
	unsigned int i;
	char f[128];

	(void)argv;
	if (argc > 1)
		bad_usage("info takes no arguments");
	features_str(vg_shim_features(s), f, sizeof(f));
	printf("virtio-gpio - %u lines, features: %s\n", vg_shim_ngpio(s), f);
	for (i = 0; i < vg_shim_ngpio(s); i++) {
		const char *n = vg_shim_line_name(s, i);
		char q[VG_GPIO_NAME_MAX + 3];

		snprintf(q, sizeof(q), "\"%s\"", n);
		printf("\tline %3u:\t%-16s %s\n", i, n[0] ? q : "unnamed",
		       dir_name(s->lines[i].dir));
	}
	return 0;
}

static int cmd_get(struct vg_shim *s, int argc, char **argv)
{
	int i, rc, gpio, v;
	char b[16];

	if (argc < 2)
		bad_usage("get needs at least one LINE");
	for (i = 1; i < argc; i++) {
		gpio = find_line(s, argv[i]);
		if (gpio < 0)
			return 1;
		rc = vg_shim_get_value(s, (unsigned int)gpio, &v);
		if (rc)
			return fail("get %s: %s", argv[i], strerror(-rc));
		printf("%s=%d\n",
		       line_label(s, (unsigned int)gpio, b, sizeof(b)), v);
	}
	return 0;
}

static int cmd_set(struct vg_shim *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{"hold-ms", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	unsigned long hold = 0;
	int c, i, rc, gpio;
	char b[16];

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'H')
			bad_usage("set: bad option");
		hold = parse_num("--hold-ms", optarg, 0, 86400000);
	}
	if (optind >= argc)
		bad_usage("set needs at least one LINE=VALUE");
	/* Check every argument before touching any line. */
	for (i = optind; i < argc; i++) {
		char *eq = strrchr(argv[i], '=');

		if (!eq || (strcmp(eq, "=0") && strcmp(eq, "=1")))
			bad_usage("set: '%s' is not LINE=0 or LINE=1", argv[i]);
	}
	for (i = optind; i < argc; i++) {
		char *eq = strrchr(argv[i], '=');
		int v = eq[1] - '0';

		*eq = '\0';
		gpio = find_line(s, argv[i]);
		if (gpio < 0)
			return 1;
		rc = vg_shim_direction_output(s, (unsigned int)gpio, v);
		if (rc)
			return fail("set %s=%d: %s", argv[i], v,
				    rc == -EIO ? "refused by the device"
					       : strerror(-rc));
		printf("%s=%d\n",
		       line_label(s, (unsigned int)gpio, b, sizeof(b)), v);
	}
	fflush(stdout);
	/* Lines return to their safe values when we disconnect. */
	sleep_ms(hold);
	return 0;
}

static uint8_t parse_edge(const char *s)
{
	static const struct {
		const char *name;
		uint8_t type;
	} t[] = {
		{"rising", VG_GPIO_IRQ_TYPE_EDGE_RISING},
		{"falling", VG_GPIO_IRQ_TYPE_EDGE_FALLING},
		{"both", VG_GPIO_IRQ_TYPE_EDGE_BOTH},
		{"high", VG_GPIO_IRQ_TYPE_LEVEL_HIGH},
		{"low", VG_GPIO_IRQ_TYPE_LEVEL_LOW},
	};
	unsigned int i;

	for (i = 0; i < VG_ARRAY_SIZE(t); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].type;
	bad_usage("--edge: '%s' is not rising, falling, both, high or low", s);
}

/* What a gpiomon-style consumer does: input, IRQ type, unmask. */
static int arm_line(struct vg_shim *s, unsigned int gpio, uint8_t type)
{
	int rc;

	rc = vg_shim_set_direction(s, gpio, VG_GPIO_DIRECTION_IN);
	if (!rc)
		rc = vg_shim_set_irq_type(s, gpio, type);
	if (!rc)
		rc = vg_shim_irq_unmask(s, gpio);
	return rc;
}

static int cmd_mon(struct vg_shim *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout-ms", required_argument, NULL, 'T'},
		{"edge", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	uint8_t type = VG_GPIO_IRQ_TYPE_EDGE_BOTH;
	unsigned long count = 0, seen = 0;
	long timeout = -1;
	int c, i, rc, gpio;
	int64_t start;
	char b[16];

	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_num("-n", optarg, 1, 1000000000);
			break;
		case 'T':
			timeout = (long)parse_num("--timeout-ms", optarg, 0,
						  86400000);
			break;
		case 'e':
			type = parse_edge(optarg);
			break;
		default:
			bad_usage("mon: bad option");
		}
	}
	if (optind >= argc)
		bad_usage("mon needs at least one LINE");
	if (!vg_shim_has_feature(s, VG_GPIO_F_IRQ))
		return fail("mon: the device does not do interrupts");
	for (i = optind; i < argc; i++) {
		gpio = find_line(s, argv[i]);
		if (gpio < 0)
			return 1;
		rc = arm_line(s, (unsigned int)gpio, type);
		if (rc)
			return fail("mon %s: %s", argv[i],
				    rc == -EIO ? "refused by the device"
					       : strerror(-rc));
	}
	printf("monitoring %d line(s)\n", argc - optind);
	fflush(stdout);
	start = now_ms();
	while (!count || seen < count) {
		struct vg_shim_event ev;
		int left = -1, v = -1;

		if (timeout >= 0) {
			int64_t l = timeout - (now_ms() - start);

			left = l > 0 ? (int)l : 0;
		}
		rc = vg_shim_wait_event(s, left, &ev);
		if (rc == 0)
			return fail("mon: timed out after %ld ms with %lu "
				    "event(s)",
				    timeout, seen);
		if (rc < 0)
			return fail("mon: %s", strerror(-rc));
		if (ev.status != VG_GPIO_IRQ_STATUS_VALID)
			continue; /* returned INVALID: the line was disabled */
		/* Like the cdev: read the level to tell the edge. */
		vg_shim_get_value(s, ev.gpio, &v);
		printf("event: %s value %d\n",
		       line_label(s, ev.gpio, b, sizeof(b)), v);
		fflush(stdout);
		seen++;
		rc = vg_shim_irq_unmask(s, ev.gpio);
		if (rc)
			return fail("mon: unmask: %s", strerror(-rc));
	}
	return 0;
}

/* --- demo ----------------------------------------------------------------- */

static int demo_fail(const char *fmt, ...) VG_PRINTF(1, 2);
static int demo_fail(const char *fmt, ...)
{
	va_list ap;

	printf("demo: FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

static int demo_blink(struct vg_shim *s, unsigned int gpio, const char *name)
{
	int want, v, rc;

	printf("demo: %-10s", name);
	for (want = 1; want >= 0; want--) {
		rc = vg_shim_direction_output(s, gpio, want);
		if (rc)
			return demo_fail("%s: set %d: %s", name, want,
					 strerror(-rc));
		rc = vg_shim_get_value(s, gpio, &v);
		if (rc)
			return demo_fail("%s: read back: %s", name,
					 strerror(-rc));
		if (v != want)
			return demo_fail("%s: set %d but read back %d", name,
					 want, v);
		printf(" set %d, read %d;", want, v);
	}
	printf(" ok\n");
	return 0;
}

static int cmd_demo(struct vg_shim *s, int argc, char **argv)
{
	int btn, press, rc, leds = 0;
	struct vg_shim_event ev;
	unsigned int i;
	int64_t t0;
	char f[128];

	(void)argv;
	if (argc > 1)
		bad_usage("demo takes no arguments");
	features_str(vg_shim_features(s), f, sizeof(f));
	printf("demo: probed virtio-gpio: %u lines, features %s\n",
	       vg_shim_ngpio(s), f);
	printf("demo: line names:");
	for (i = 0; i < vg_shim_ngpio(s); i++)
		printf(" %u=%s", i,
		       vg_shim_line_name(s, i)[0] ? vg_shim_line_name(s, i)
						  : "-");
	printf("\n");
	for (i = 0; i < vg_shim_ngpio(s); i++) {
		const char *n = vg_shim_line_name(s, i);

		if (strncmp(n, "led", 3))
			continue;
		if (demo_blink(s, i, n))
			return 1;
		leds++;
	}
	if (!leds)
		return demo_fail("no line named led*");
	btn = vg_shim_line_find(s, "button");
	press = vg_shim_line_find(s, "button-press");
	if (btn < 0 || press < 0)
		return demo_fail("need lines 'button' and 'button-press'");
	if (!vg_shim_has_feature(s, VG_GPIO_F_IRQ))
		return demo_fail("the device does not offer interrupts");
	rc = vg_shim_direction_output(s, (unsigned int)press, 0);
	if (!rc)
		rc = arm_line(s, (unsigned int)btn,
			      VG_GPIO_IRQ_TYPE_EDGE_RISING);
	if (rc)
		return demo_fail("arming button: %s", strerror(-rc));
	printf("demo: button armed for rising edges\n");
	t0 = now_ms();
	rc = vg_shim_set_value(s, (unsigned int)press, 1);
	if (rc)
		return demo_fail("driving button-press: %s", strerror(-rc));
	printf("demo: button-press driven high\n");
	rc = vg_shim_wait_event(s, DEMO_IRQ_TIMEOUT_MS, &ev);
	if (rc == 0)
		return demo_fail("no interrupt within %d ms",
				 DEMO_IRQ_TIMEOUT_MS);
	if (rc < 0)
		return demo_fail("waiting for the interrupt: %s",
				 strerror(-rc));
	if (ev.gpio != btn || ev.status != VG_GPIO_IRQ_STATUS_VALID)
		return demo_fail("unexpected event: line %u status %u", ev.gpio,
				 ev.status);
	printf("demo: interrupt on button after %lld ms\n",
	       (long long)(now_ms() - t0));
	rc = vg_shim_set_value(s, (unsigned int)press, 0);
	if (!rc)
		rc = vg_shim_set_irq_type(s, (unsigned int)btn,
					  VG_GPIO_IRQ_TYPE_NONE);
	if (rc)
		return demo_fail("releasing the button: %s", strerror(-rc));
	printf("demo: PASS\n");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct vg_shim *s, int argc, char **argv);
} cmds[] = {
	{"info", cmd_info}, {"get", cmd_get},	{"set", cmd_set},
	{"mon", cmd_mon},   {"demo", cmd_demo},
};

enum {
	OPT_GRANTS = 256,
	OPT_NO_IRQ,
	OPT_NO_INDIRECT,
	OPT_NO_EVENT_IDX,
	OPT_QUEUE_SIZE,
	OPT_MAX_PIECE,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"domain", required_argument, NULL, 'd'},
		{"grants", no_argument, NULL, OPT_GRANTS},
		{"no-irq", no_argument, NULL, OPT_NO_IRQ},
		{"no-indirect", no_argument, NULL, OPT_NO_INDIRECT},
		{"no-event-idx", no_argument, NULL, OPT_NO_EVENT_IDX},
		{"queue-size", required_argument, NULL, OPT_QUEUE_SIZE},
		{"max-piece", required_argument, NULL, OPT_MAX_PIECE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = SHIM_DEFAULT_SOCKET, *domain = SHIM_DEFAULT_DOMAIN;
	struct vg_shim_opts o = {0};
	struct vg_shim *s;
	unsigned int i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+s:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case OPT_GRANTS:
			o.grants = true;
			break;
		case OPT_NO_IRQ:
			o.no_irq = true;
			break;
		case OPT_NO_INDIRECT:
			o.no_indirect = true;
			break;
		case OPT_NO_EVENT_IDX:
			o.no_event_idx = true;
			break;
		case OPT_QUEUE_SIZE:
			o.queue_size = (uint16_t)parse_num(
				"--queue-size", optarg, 1, VG_DRV_VQ_MAX);
			if (o.queue_size & (o.queue_size - 1))
				bad_usage("--queue-size: %u is not a power of "
					  "two",
					  o.queue_size);
			break;
		case OPT_MAX_PIECE:
			o.max_piece = (uint32_t)parse_num("--max-piece", optarg,
							  0, UINT32_MAX);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc)
		bad_usage("no command given");
	for (i = 0; i < VG_ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			break;
	if (i == VG_ARRAY_SIZE(cmds))
		bad_usage("unknown command '%s'", argv[optind]);

	/* Obvious usage errors before talking to anyone. */
	if (argc - optind < 2 &&
	    (cmds[i].fn == cmd_get || cmds[i].fn == cmd_set ||
	     cmds[i].fn == cmd_mon))
		bad_usage("%s needs at least one LINE", cmds[i].name);

	rc = vg_shim_new(&o, &s);
	if (rc)
		return fail("cannot set up guest memory: %s", strerror(-rc));
	rc = vg_shim_connect_loop(s, sock, domain);
	if (rc) {
		fail("%s", vg_shim_error(s));
		vg_shim_free(s);
		return 1;
	}
	rc = vg_shim_probe(s);
	if (rc) {
		fail("probe failed: %s", vg_shim_error(s));
		vg_shim_free(s);
		return 1;
	}
	rc = cmds[i].fn(s, argc - optind, argv + optind);
	vg_shim_free(s);
	return rc;
}
