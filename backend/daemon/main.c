// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpiod: the vgpio daemon. Options in docs/vgpiod.8.md. Exit status: 0
 * after a clean shutdown, 1 when start-up or the event loop fails, 2 for
 * bad options or configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "num.h"
#include "prov-gpiod.h"
#include "worker.h"
#include "xen.h"

#define VG_BUDGET_MAX 65536u
#define VG_MANUAL_MAX 16u

static const char usage[] =
	"usage: vgpiod (-c FILE | --demo) [options]\n"
	"  -c, --config FILE    policy file (sim chips and domain line sets)\n"
	"      --demo           use the built-in demo configuration\n"
	"  -s, --socket PATH    loop transport socket "
	"(default " VG_DAEMON_LOOP_SOCKET ")\n"
	"  -C, --control PATH   control socket "
	"(default " VG_DAEMON_CONTROL_SOCKET ")\n"
	"      --budget N       descriptors per guest per loop turn (default "
	"128)\n"
	"      --ready-fd N     write \"READY\\n\" to fd N once listening\n"
	"      --xen MODE       Xen transport: auto (on in a Xen dom0), on, "
	"off\n"
	"      --device SPEC    serve a Xen guest without libxl virtio=: "
	"SPEC is\n"
	"                       domid=N,base=ADDR,irq=N[,grants=0|1]"
	"[,irqtype=spi|isa]\n"
	"      --in-process     serve guests in this process, not in "
	"workers\n"
	"      --worker-user UID:GID  run workers as this user (default: "
	"user vgpio if it exists, else as vgpiod)\n"
	"  -v, --verbose        debug messages\n"
	"  -h, --help           this text\n";

enum {
	OPT_DEMO = 256,
	OPT_BUDGET,
	OPT_READY_FD,
	OPT_XEN,
	OPT_DEVICE,
	OPT_IN_PROCESS,
	OPT_WORKER_USER,
};

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"demo", no_argument, NULL, OPT_DEMO},
	{"socket", required_argument, NULL, 's'},
	{"control", required_argument, NULL, 'C'},
	{"budget", required_argument, NULL, OPT_BUDGET},
	{"ready-fd", required_argument, NULL, OPT_READY_FD},
	{"xen", required_argument, NULL, OPT_XEN},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"in-process", no_argument, NULL, OPT_IN_PROCESS},
	{"worker-user", required_argument, NULL, OPT_WORKER_USER},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* A decimal number in [min, max] (base/num.h's rule). */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	uint64_t v;
	int rc = vg_num(s, 0, max, &v);

	if (!rc && v < min)
		rc = -ERANGE;
	if (!rc)
		*out = (unsigned long)v;
	return rc;
}

static _Noreturn void bad_usage(const char *fmt, ...) VG_PRINTF(1, 2);
static _Noreturn void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vgpiod: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	exit(2);
}

/* A Xen dom0 (the control domain) says so in /proc/xen/capabilities. */
static bool in_xen_dom0(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/xen/capabilities", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "control_d") != NULL;
}

/*
 * The workers' user when none is given: VG_WORKER_USER_DEFAULT if it
 * exists (make install creates it) and the daemon runs as root, who may
 * give workers another user. "UID:GID" into @buf, or NULL: the workers
 * keep the daemon's user (with no capability).
 */
static const char *default_worker_user(char *buf, size_t len)
{
	struct passwd *pw;

	if (geteuid())
		return NULL;
	pw = getpwnam(VG_WORKER_USER_DEFAULT);
	if (!pw || !pw->pw_uid || !pw->pw_gid)
		return NULL;
	snprintf(buf, len, "%lu:%lu", (unsigned long)pw->pw_uid,
		 (unsigned long)pw->pw_gid);
	return buf;
}

static void notify_ready(int fd)
{
	static const char msg[] = "READY\n";
	ssize_t r;

	do {
		r = write(fd, msg, sizeof(msg) - 1);
	} while (r < 0 && errno == EINTR);
	close(fd);
}

int main(int argc, char **argv)
{
	struct vg_log_sink sink = {.level = VG_LOG_INFO, .fd = 2};
	struct vg_daemon_params p = {
		.ctl_path = VG_DAEMON_CONTROL_SOCKET,
		.budget = VG_DAEMON_BUDGET_DEFAULT,
		.signals = true,
	};
	const char *config = NULL;
	struct vg_config *cfg = NULL;
	struct vg_daemon *d;
	struct vg_gpiod *gpiod;
	struct vg_provider host;
	struct vg_log log, gpiod_log;
	char err[256], *cfg_path = NULL;
	unsigned long v;
	bool demo = false, xen_on;
	int ready_fd = -1, c, rc;
	struct vg_devspec devices[VG_MANUAL_MAX];
	struct vg_xen_config xcfg = {.devices = devices};
	struct vg_loop_config lcfg = {.path = NULL};
	struct vg_daemon_transport tp[VG_DAEMON_MAX_TRANSPORTS];
	const char *xen_mode = "auto";
	char exe[PATH_MAX];
	bool in_process = false;
	char wuser[32];
	uid_t wuid;
	gid_t wgid;
	ssize_t n;

	/* The parent starts its workers as this program: vgpiod --worker. */
	if (argc > 1 && !strcmp(argv[1], VG_WORKER_ARG))
		return vg_worker_main(argc, argv);
	while ((c = getopt_long(argc, argv, "c:s:C:vh", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_DEMO:
			demo = true;
			break;
		case 's':
			lcfg.path = optarg;
			break;
		case 'C':
			p.ctl_path = optarg;
			break;
		case OPT_BUDGET:
			if (parse_uint(optarg, 1, VG_BUDGET_MAX, &v))
				bad_usage("--budget: '%s' is not a number in "
					  "1..65536",
					  optarg);
			p.budget = (unsigned int)v;
			break;
		case OPT_READY_FD:
			if (parse_uint(optarg, 0, INT_MAX, &v))
				bad_usage("--ready-fd: '%s' is not an fd "
					  "number",
					  optarg);
			ready_fd = (int)v;
			if (fcntl(ready_fd, F_GETFD) < 0)
				bad_usage("--ready-fd: fd %s is not open",
					  optarg);
			break;
		case OPT_XEN:
			if (strcmp(optarg, "auto") && strcmp(optarg, "on") &&
			    strcmp(optarg, "off"))
				bad_usage("--xen: '%s' is not auto, on or off",
					  optarg);
			xen_mode = optarg;
			break;
		case OPT_DEVICE:
			if (xcfg.ndevices == VG_MANUAL_MAX)
				bad_usage("--device: at most %u devices",
					  VG_MANUAL_MAX);
			if (vg_devspec_parse(optarg, &devices[xcfg.ndevices],
					     err, sizeof(err)))
				bad_usage("--device %s: %s", optarg, err);
			xcfg.ndevices++;
			break;
		case OPT_IN_PROCESS:
			in_process = true;
			break;
		case OPT_WORKER_USER:
			if (vg_worker_parse_user(optarg, &wuid, &wgid))
				bad_usage("--worker-user: '%s' is not "
					  "UID:GID (numbers, neither 0)",
					  optarg);
			p.worker_user = optarg;
			break;
		case 'v':
			sink.level = VG_LOG_DEBUG;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (!config == !demo)
		bad_usage("%s", "need exactly one of --config FILE or --demo");
	if (p.worker_user && in_process)
		bad_usage("%s",
			  "--worker-user needs workers, not --in-process");
	/* Workers are this very program, started as vgpiod --worker. */
	if (!in_process) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0) {
			fprintf(stderr,
				"vgpiod: cannot find this program in "
				"/proc/self/exe to start workers (%s); "
				"--in-process serves guests without them\n",
				n < 0 ? strerror(errno) : "empty");
			return 1;
		}
		exe[n] = '\0';
		p.worker_exe = exe;
	}
	if (xcfg.ndevices && !strcmp(xen_mode, "off"))
		bad_usage("%s", "--device needs the Xen transport, not --xen "
				"off");
	/* Discovery in a dom0 (or when asked); manual devices need Xen too. */
	xcfg.discover = !strcmp(xen_mode, "on") ||
			(!strcmp(xen_mode, "auto") && in_xen_dom0());
	/*
	 * The transports, in start order. The loop socket is for development
	 * and tests: on when asked for, or by default when no Xen transport
	 * runs; under Xen only with --socket.
	 */
	xen_on = xcfg.discover || xcfg.ndevices;
	if (lcfg.path || !xen_on) {
		if (!lcfg.path)
			lcfg.path = VG_DAEMON_LOOP_SOCKET;
		tp[p.ntransports++] = (struct vg_daemon_transport){
			.cls = &vg_loop_class, .cfg = &lcfg};
	}
	if (xen_on)
		tp[p.ntransports++] = (struct vg_daemon_transport){
			.cls = &vg_xen_class, .cfg = &xcfg};
	p.transports = tp;

	if (demo)
		rc = vg_config_parse(vg_config_demo, strlen(vg_config_demo),
				     "demo", &cfg, err, sizeof(err));
	else
		rc = vg_config_load(config, &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "vgpiod: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	/* `reload` must find the file whatever the working directory. */
	if (config && !(cfg_path = realpath(config, NULL))) {
		fprintf(stderr, "vgpiod: %s: %s\n", config, strerror(errno));
		vg_config_free(cfg);
		return 2;
	}

	/* Peers that vanish must not kill us; sends use MSG_NOSIGNAL too. */
	signal(SIGPIPE, SIG_IGN);
	vg_log_init(&log, &sink, "vgpiod");
	vg_log_init(&gpiod_log, &sink, "gpiod");
	if (!in_process && !p.worker_user) {
		p.worker_user = default_worker_user(wuser, sizeof(wuser));
		if (p.worker_user)
			vg_log_info(&log, "workers run as user %s (%s)",
				    VG_WORKER_USER_DEFAULT, p.worker_user);
		else
			vg_log_info(&log,
				    "workers keep this user's id, with no "
				    "capability: no user %s (make install "
				    "creates it; --worker-user picks one)",
				    VG_WORKER_USER_DEFAULT);
	}
	rc = vg_gpiod_new(&gpiod_log, &gpiod);
	if (rc) {
		vg_log_warnx(&log, "host GPIO provider: %s", strerror(-rc));
		goto out_cfg;
	}
	host = vg_gpiod_provider(gpiod);
	p.cfg = cfg;
	p.cfg_path = cfg_path;
	p.providers = &host;
	p.nproviders = 1;
	p.sink = &sink;
	rc = vg_daemon_new(&p, &d);
	if (rc) {
		vg_log_warnx(&log, "start-up failed: %s", strerror(-rc));
		goto out_gpiod;
	}
	if (ready_fd >= 0)
		notify_ready(ready_fd);
	/* A failed notification is logged inside; running beats dying. */
	(void)vg_notify_ready(&log);
	rc = vg_daemon_run(d);
	(void)vg_notify_stopping(&log);
	vg_daemon_free(d);
out_gpiod:
	vg_gpiod_free(gpiod);
out_cfg:
	vg_config_free(cfg);
	free(cfg_path);
	return rc ? 1 : 0;
}
