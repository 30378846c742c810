// SPDX-License-Identifier: BSD-3-Clause
/* vgpiod in worker mode (worker.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "daemon.h"
#include "loop.h"
#include "num.h"
#include "remote.h"
#include "sandbox.h"
#include "worker.h"

#define FD_CTL 3
#define FD_REMOTE 4
#define FD_HANDOFF 5
#define FD_POLICY 6
#define POLICY_MAX (1u << 20)
#define CHIPS_MAX 64u
/*
 * Open files: the event loop, signalfd, the three parent sockets, the
 * remote provider's two, a guest connection with its memory, and room.
 */
#define WORKER_MAX_FILES 64u
/*
 * Address space: the loop transport maps at most 1 GiB of guest RAM; the
 * rest is the program and its heap. A sanitizer build reserves terabytes
 * of shadow memory up front, so there the limit would stop it at once.
 */
#if defined(__SANITIZE_ADDRESS__)
#define WORKER_MAX_AS 0ul
#else
#define WORKER_MAX_AS (2ul << 30)
#endif

struct args {
	const char *domain;
	unsigned int budget;
	bool verbose;
	bool user; /* --user given */
	uid_t uid;
	gid_t gid;
	const char *chips[CHIPS_MAX];
	unsigned int nchips;
};

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "vgpiod worker: %s%s%s\n", why, what ? ": " : "",
		what ? what : "");
	return 2;
}

/* "UID:GID", both decimal and not 0. */
static int parse_user(const char *s, struct args *a)
{
	char buf[32];
	char *colon;
	uint64_t u, g;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (vg_num(buf, 0, 0xfffffffe, &u) ||
	    vg_num(colon + 1, 0, 0xfffffffe, &g) || !u || !g)
		return -EINVAL;
	a->uid = (uid_t)u;
	a->gid = (gid_t)g;
	a->user = true;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"worker", no_argument, NULL, 'W'},
		{"domain", required_argument, NULL, 'd'},
		{"budget", required_argument, NULL, 'b'},
		{"user", required_argument, NULL, 'u'},
		{"remote-chip", required_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			break;
		case 'd':
			a->domain = optarg;
			break;
		case 'b':
			if (vg_num(optarg, 0, 65536, &v) || !v)
				return usage("bad --budget", optarg);
			a->budget = (unsigned int)v;
			break;
		case 'u':
			if (parse_user(optarg, a))
				return usage("--user wants UID:GID, not 0",
					     optarg);
			break;
		case 'r':
			if (a->nchips == CHIPS_MAX)
				return usage("too many --remote-chip", NULL);
			a->chips[a->nchips++] = optarg;
			break;
		case 'v':
			a->verbose = true;
			break;
		default:
			return usage("bad arguments", NULL);
		}
	}
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (!a->domain)
		return usage("--domain is required", NULL);
	return 0;
}

/* The policy the parent wrote into fd 6: read and parsed, fd closed. */
static int read_policy(struct vg_config **cfg, struct vg_log *log)
{
	char *text = malloc(POLICY_MAX);
	char err[256];
	size_t len = 0;
	ssize_t r;
	int rc;

	if (!text)
		return -ENOMEM;
	while (len < POLICY_MAX &&
	       (r = read(FD_POLICY, text + len, POLICY_MAX - len)) > 0)
		len += (size_t)r;
	close(FD_POLICY);
	rc = len < POLICY_MAX ? vg_config_parse(text, len, "worker policy", cfg,
						err, sizeof(err))
			      : -EFBIG;
	free(text);
	if (rc)
		vg_log_warnx(log, "policy from the parent: %s",
			     rc == -EFBIG ? "too large" : err);
	return rc;
}

/* The hand-over socket hung up: the parent is gone, so are we. */
static void parent_gone(void *arg)
{
	struct vg_daemon **d = arg;

	if (*d)
		vg_daemon_stop(*d);
}

int vg_worker_main(int argc, char **argv)
{
	struct vg_log_sink sink = {.level = VG_LOG_INFO, .fd = 2};
	struct args a = {.budget = VG_DAEMON_BUDGET_DEFAULT};
	struct vg_daemon *d = NULL;
	struct vg_loop_config lcfg = {
		.path = NULL,
		.handoff_fd = FD_HANDOFF,
		.handoff_closed = parent_gone,
		.handoff_arg = &d,
	};
	struct vg_daemon_transport tp = {.cls = &vg_loop_class, .cfg = &lcfg};
	struct vg_config *cfg = NULL;
	struct vg_remote *remote = NULL;
	struct vg_provider prov;
	enum vg_sandbox_fs fs;
	struct vg_log log;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (a.verbose)
		sink.level = VG_LOG_DEBUG;
	vg_log_init(&log, &sink, "worker %s", a.domain);
	/* A parent that dies must not leave us writing into the void. */
	signal(SIGPIPE, SIG_IGN);
	rc = read_policy(&cfg, &log);
	if (rc)
		return 1;
	if (cfg->ndomains != 1 || strcmp(cfg->domains[0].name, a.domain)) {
		vg_log_warnx(&log, "the parent's policy is not domain %s's",
			     a.domain);
		goto out;
	}
	rc = vg_remote_new(FD_REMOTE, a.chips, a.nchips, &log, &remote);
	if (rc) {
		vg_log_warnx(&log, "remote lines: %s", strerror(-rc));
		goto out;
	}
	prov = vg_remote_provider(remote);
	rc = vg_daemon_new(
		&(struct vg_daemon_params){
			.cfg = cfg,
			.providers = &prov,
			.nproviders = 1,
			.sink = &sink,
			.budget = a.budget,
			.signals = true,
			.transports = &tp,
			.ntransports = 1,
		},
		&d);
	if (rc)
		goto out;
	rc = vg_daemon_ctl_adopt(d, FD_CTL);
	if (rc) {
		vg_log_warnx(&log, "control channel: %s", strerror(-rc));
		goto out;
	}
	/* Everything is open: give up the rest before reading a guest. */
	rc = vg_sandbox_enter(
		&(struct vg_sandbox){
			.uid = a.uid,
			.gid = a.gid,
			.flags = a.user ? 0 : VG_SANDBOX_KEEP_IDS,
			.max_files = WORKER_MAX_FILES,
			.max_as = WORKER_MAX_AS,
		},
		&log, &fs);
	if (rc) {
		vg_log_warnx(&log, "sandbox: %s", strerror(-rc));
		goto out;
	}
	rc = vg_daemon_run(d);
out:
	vg_daemon_free(d);
	vg_remote_free(remote);
	vg_config_free(cfg);
	return rc ? 1 : 0;
}
