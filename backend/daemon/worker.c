// SPDX-License-Identifier: BSD-3-Clause
/* vgpiod in worker mode (worker.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "config.h"
#include "daemon.h"
#include "evloop.h"
#include "linefd.h"
#include "loop.h"
#include "num.h"
#include "remote.h"
#include "sandbox.h"
#include "table.h"
#include "worker.h"
#include "xen.h"

#define FD_CTL 3
#define FD_REMOTE 4
#define FD_HANDOFF 5
#define FD_TABLE 6
#define CHIPS_MAX 64u
/*
 * Open files: the event loop, signalfd, the four parent sockets, the
 * remote and linefd providers' own, a guest connection with its memory
 * and a hand-over in flight (about 16), plus every host line the parent
 * may lend (VG_TABLE_FDS_MAX), with room.
 */
#define WORKER_MAX_FILES (32u + VG_TABLE_FDS_MAX)
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
	/* A Xen device window to serve (--xen-device and friends). */
	bool xen;
	struct vg_xen_one_config xcfg;
};

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "vgpiod worker: %s%s%s\n", why, what ? ": " : "",
		what ? what : "");
	return 2;
}

int vg_worker_parse_user(const char *s, uid_t *uid, gid_t *gid)
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
	*uid = (uid_t)u;
	*gid = (gid_t)g;
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
		{"xen-device", required_argument, NULL, 'X'},
		{"xen-devid", required_argument, NULL, 'I'},
		{"xen-discovered", no_argument, NULL, 'D'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	char err[160];
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
			if (vg_worker_parse_user(optarg, &a->uid, &a->gid))
				return usage("--user wants UID:GID, not 0",
					     optarg);
			a->user = true;
			break;
		case 'r':
			if (a->nchips == CHIPS_MAX)
				return usage("too many --remote-chip", NULL);
			a->chips[a->nchips++] = optarg;
			break;
		case 'X':
			if (vg_devspec_parse(optarg, &a->xcfg.dev, err,
					     sizeof(err)))
				return usage("bad --xen-device", err);
			a->xen = true;
			break;
		case 'I':
			if (vg_num(optarg, 0, UINT16_MAX, &v))
				return usage("bad --xen-devid", optarg);
			a->xcfg.devid = (unsigned int)v;
			break;
		case 'D':
			a->xcfg.discovered = true;
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
	a->xcfg.domain = a->domain;
	return 0;
}

/* What a worker runs on, for the table socket's callback. */
struct worker {
	bool failed; /* a table could not be taken: exit non-zero */
	struct vg_log log;
	struct vg_daemon *d;
	struct vg_linefd *lines;
	const char *domain;
};

/*
 * One table from the parent (table.h): its text parsed as the domain's
 * policy into *@cfg, its fds given to the real-line provider. 1, 0 if
 * none was waiting, or -errno (logged).
 */
static int take_table(struct worker *wk, bool wait, struct vg_config **cfg)
{
	struct vg_table_fd fds[VG_TABLE_FDS_MAX];
	unsigned int n, i;
	char err[256], *text;
	size_t len;
	int rc;

	rc = vg_table_recv(FD_TABLE, wait, &text, &len, fds, &n);
	if (rc <= 0) {
		if (rc < 0 && rc != -EPIPE)
			vg_log_warnx(&wk->log, "table from the parent: %s",
				     strerror(-rc));
		return rc;
	}
	/* Each fd is the linefd provider's from here, even on failure. */
	rc = 0;
	for (i = 0; i < n; i++) {
		int r = vg_linefd_add(wk->lines, fds[i].chip, fds[i].line,
				      fds[i].fd, fds[i].name);

		if (r && !rc)
			rc = r;
	}
	if (rc) {
		vg_log_warnx(&wk->log, "lines from the parent: %s",
			     strerror(-rc));
		free(text);
		return rc;
	}
	rc = vg_config_parse(text, len, "table from the parent", cfg, err,
			     sizeof(err));
	free(text);
	if (rc) {
		vg_log_warnx(&wk->log, "table from the parent: %s", err);
		return rc;
	}
	/* A later table may be empty: every line taken away. */
	if ((wait || (*cfg)->ndomains) &&
	    ((*cfg)->ndomains != 1 ||
	     strcmp((*cfg)->domains[0].name, wk->domain))) {
		vg_log_warnx(&wk->log, "the parent's table is not domain %s's",
			     wk->domain);
		vg_config_free(*cfg);
		*cfg = NULL;
		return -EINVAL;
	}
	return 1;
}

/* A later table: a policy change, applied as a reload. */
static void table_event(void *arg, uint32_t events)
{
	struct worker *wk = arg;
	struct vg_doms_change chg = {0};
	struct vg_config *cfg = NULL;
	char err[512];
	int rc;

	(void)events;
	rc = take_table(wk, false, &cfg);
	if (!rc)
		return;
	if (rc > 0) {
		rc = vg_daemon_apply(wk->d, cfg, &chg, err, sizeof(err));
		vg_config_free(cfg);
		if (rc)
			vg_log_warnx(&wk->log, "new table not applied: %s",
				     err);
	}
	/*
	 * The parent gone, or a table not taken: serving the old one would
	 * keep lines the parent took away. End; the parent takes the lines
	 * back and the domain's next guest gets a new worker.
	 */
	if (rc < 0) {
		wk->failed = rc != -EPIPE;
		vg_evloop_del(vg_daemon_evloop(wk->d), FD_TABLE);
		vg_daemon_stop(wk->d);
		return;
	}
	vg_log_info(&wk->log, "new table: %u line(s) added, %u revoked, %s",
		    chg.added, chg.revoked,
		    chg.deferred ? "the rest at the next reset" : "in effect");
}

/*
 * A Xen worker's lifeline (the hand-over socket, which carries no guest):
 * the parent hangs up to stop it, or is gone.
 */
static void lifeline_event(void *arg, uint32_t events)
{
	struct vg_daemon *d = arg;
	char c;

	(void)events;
	if (recv(FD_HANDOFF, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
		return;
	vg_evloop_del(vg_daemon_evloop(d), FD_HANDOFF);
	vg_daemon_stop(d);
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
	static const char ready = 'R';
	struct vg_config *cfg = NULL;
	struct vg_remote *remote = NULL;
	struct vg_provider prov[2];
	struct worker wk = {.domain = NULL};
	enum vg_sandbox_fs fs;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (a.verbose)
		sink.level = VG_LOG_DEBUG;
	wk.domain = a.domain;
	/* A Xen worker opens its own handles (xen.h, vg_xen_one_class). */
	if (a.xen)
		tp = (struct vg_daemon_transport){.cls = &vg_xen_one_class,
						  .cfg = &a.xcfg};
	vg_log_init(&wk.log, &sink, "worker %s", a.domain);
	/* A parent that dies must not leave us writing into the void. */
	signal(SIGPIPE, SIG_IGN);
	rc = vg_linefd_new(&wk.log, &wk.lines);
	if (rc)
		return 1;
	rc = take_table(&wk, true, &cfg);
	if (rc <= 0) {
		rc = rc ? rc : -EPIPE;
		goto out;
	}
	rc = vg_remote_new(FD_REMOTE, a.chips, a.nchips, &wk.log, &remote);
	if (rc) {
		vg_log_warnx(&wk.log, "remote lines: %s", strerror(-rc));
		goto out;
	}
	prov[0] = vg_remote_provider(remote);
	prov[1] = vg_linefd_provider(wk.lines);
	rc = vg_daemon_new(
		&(struct vg_daemon_params){
			.cfg = cfg,
			.providers = prov,
			.nproviders = 2,
			.sink = &sink,
			.budget = a.budget,
			.signals = true,
			.transports = &tp,
			.ntransports = 1,
			.lines_lent = true,
		},
		&d);
	if (rc)
		goto out;
	wk.d = d;
	rc = vg_daemon_ctl_adopt(d, FD_CTL);
	if (rc) {
		vg_log_warnx(&wk.log, "control channel: %s", strerror(-rc));
		goto out;
	}
	rc = vg_evloop_add(vg_daemon_evloop(d), FD_TABLE, EPOLLIN, table_event,
			   &wk);
	if (!rc && a.xen)
		rc = vg_evloop_add(vg_daemon_evloop(d), FD_HANDOFF, EPOLLIN,
				   lifeline_event, d);
	if (rc) {
		vg_log_warnx(&wk.log, "table socket: %s", strerror(-rc));
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
		&wk.log, &fs);
	if (rc) {
		vg_log_warnx(&wk.log, "sandbox: %s", strerror(-rc));
		goto out;
	}
	/* The parent waits for this before it tells the toolstack. */
	if (a.xen && send(FD_HANDOFF, &ready, 1, MSG_NOSIGNAL) != 1) {
		rc = -errno;
		goto out;
	}
	rc = vg_daemon_run(d);
	if (!rc && wk.failed)
		rc = -EPROTO;
out:
	vg_daemon_free(d);
	vg_remote_free(remote);
	vg_linefd_free(wk.lines);
	vg_config_free(cfg);
	return rc ? 1 : 0;
}
