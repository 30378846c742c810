// SPDX-License-Identifier: BSD-3-Clause
/*
 * The parent's side of the worker model (docs/architecture.md, "Parent
 * and workers"): a guest handed over by a transport gets a worker process
 * of its own; the parent lends it the domain's lines (remote.h) and takes
 * them back, into their safe state, when the worker ends for any reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "daemon-priv.h"
#include "loop.h"
#include "spawn.h"
#include "table.h"
#include "worker.h"
#include "wstatus.h"

struct vg_worker {
	struct vg_daemon *d;
	struct vg_worker *next;
	char domain[VG_CONFIG_NAME_MAX + 1];
	struct vg_spawn sp;
	/*
	 * The Xen device window it serves (the transport's token), or NULL
	 * for a worker of loop guests. Such a worker serves that one window
	 * with handles of its own; @handoff is only its lifeline.
	 */
	void *conn;
	int ctl; /* the control protocol, the worker serving (stream) */
	int handoff; /* guests handed over (seqpacket) */
	int table; /* its domain's table and real lines (table.h) */
	struct vg_remote_server *rs; /* its sim lines */
	/* The control channel's client end (on @ctl), its log, and the
	 * counters of its last status (workers_ctl_*, at the end). */
	struct vg_ctl_peer *peer;
	struct vg_log log;
	bool has_last;
	struct vg_gpio_stats last;
};

static int worker_ctl_open(struct vg_worker *w);
static void worker_ctl_close(struct vg_worker *w);

static struct vg_worker *find(struct vg_daemon *d, const char *domain)
{
	struct vg_worker *w;

	for (w = d->workers; w; w = w->next)
		if (!strcmp(w->domain, domain))
			return w;
	return NULL;
}

static int lend(void *arg, const struct vg_line_spec *spec,
		struct vg_remote_lent *cookie, struct vg_provider *prov,
		struct vg_line **line, unsigned int *allow, void **token)
{
	struct vg_worker *w = arg;
	struct vg_dom *dom = vg_doms_find(&w->d->doms, w->domain);

	return dom ? vg_dom_lend(dom, spec, cookie, prov, line, allow, token)
		   : -EACCES;
}

static void give_back(void *arg, void *token)
{
	(void)arg;
	vg_dom_give_back(token);
}

/* Lines back (safe state), fds closed, unlinked, freed. Reaped already. */
static void worker_free(struct vg_worker *w)
{
	struct vg_daemon *d = w->d;
	struct vg_worker **pp;
	struct vg_dom *dom;

	for (pp = &d->workers; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->sp.pidfd >= 0)
		vg_evloop_del(d->ev, w->sp.pidfd);
	/* Dead before its lines come back: it can no longer touch them. */
	vg_spawn_release(&w->sp);
	if (w->rs) {
		vg_evloop_del(d->ev, vg_remote_server_fd(w->rs));
		vg_remote_server_free(w->rs);
	}
	dom = vg_doms_find(&d->doms, w->domain);
	if (dom)
		vg_dom_remote_end(dom);
	worker_ctl_close(w);
	if (w->table >= 0)
		close(w->table);
	if (w->ctl >= 0)
		close(w->ctl);
	if (w->handoff >= 0)
		close(w->handoff);
	free(w);
}

static void worker_exited(void *arg, uint32_t events)
{
	struct vg_worker *w = arg;
	int pidfd = w->sp.pidfd, status, rc;

	(void)events;
	rc = vg_spawn_reap(&w->sp, &status);
	if (rc == -EAGAIN)
		return;
	/* Reaping closed the pidfd: its watch goes too (no fd to reuse). */
	vg_evloop_del(w->d->ev, pidfd);
	if (rc)
		vg_log_warnx(&w->d->log, "domain %s: worker: %s", w->domain,
			     strerror(-rc));
	else if (WIFSIGNALED(status))
		vg_log_warnx(&w->d->log,
			     "domain %s: worker (pid %ld) killed by signal "
			     "%d%s; its lines are back in their safe state",
			     w->domain, (long)w->sp.pid, WTERMSIG(status),
			     WTERMSIG(status) == SIGSYS
				     ? " (a call outside its syscall filter)"
				     : "");
	else if (WEXITSTATUS(status))
		vg_log_warnx(&w->d->log,
			     "domain %s: worker (pid %ld) failed, exit status "
			     "%d",
			     w->domain, (long)w->sp.pid, WEXITSTATUS(status));
	else
		vg_log_info(&w->d->log, "domain %s: worker (pid %ld) done",
			    w->domain, (long)w->sp.pid);
	/* Recovery is not there yet: say what the guest sees. */
	if (w->conn)
		vg_log_warnx(&w->d->log,
			     "domain %s: its Xen device window is not served "
			     "any more; re-create the device (or the guest) "
			     "to serve it again",
			     w->domain);
	worker_free(w);
}

static void remote_event(void *arg, uint32_t events)
{
	struct vg_worker *w = arg;

	(void)events;
	if (vg_remote_server_run(w->rs))
		return;
	/* Gone or broke the rules: the pidfd reports the end. */
	vg_evloop_del(w->d->ev, vg_remote_server_fd(w->rs));
	vg_remote_server_free(w->rs);
	w->rs = NULL;
	(void)vg_spawn_kill(&w->sp, SIGKILL);
}

/*
 * Tell the worker its domain's table (the one waiting for a reset, if
 * any) and lend it the real lines it does not have yet (table.h).
 */
static int send_table(struct vg_worker *w, struct vg_dom *dom)
{
	struct vg_dom_fd fds[VG_TABLE_FDS_MAX];
	unsigned int n;
	size_t len;
	char *text;
	int rc;

	rc = vg_dom_policy_next(dom, &text, &len);
	/* No line left: an empty policy, which revokes all the worker has. */
	if (rc == -EINVAL) {
		text = strdup("");
		len = 0;
		rc = text ? 0 : -ENOMEM;
	}
	if (rc)
		return rc;
	rc = vg_dom_lend_fds(dom, fds, VG_TABLE_FDS_MAX, &n);
	if (!rc)
		rc = vg_table_send(w->table, text, len, fds, n);
	free(text);
	return rc;
}

static int worker_start(struct vg_daemon *d, struct vg_dom *dom,
			const char *const *wargs, struct vg_worker **out)
{
	int ctl[2] = {-1, -1}, rem[2] = {-1, -1}, ho[2] = {-1, -1};
	int tab[2] = {-1, -1};
	const char **argv;
	char budget[16];
	struct vg_worker *w;
	unsigned int n = 0, nw = 0, i;
	int fds[4], rc;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->d = d;
	w->ctl = w->handoff = w->table = w->sp.pidfd = -1;
	snprintf(w->domain, sizeof(w->domain), "%s", dom->name);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rem) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ho) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tab) < 0) {
		rc = -errno;
		goto err;
	}
	while (wargs && wargs[nw])
		nw++;
	argv = calloc(16 + nw + 2 * (size_t)d->cfg->nsims, sizeof(*argv));
	if (!argv) {
		rc = -ENOMEM;
		goto err;
	}
	snprintf(budget, sizeof(budget), "%u", d->budget);
	argv[n++] = "vgpiod";
	argv[n++] = VG_WORKER_ARG;
	argv[n++] = "--domain";
	argv[n++] = dom->name;
	argv[n++] = "--budget";
	argv[n++] = budget;
	if (d->sink->level >= VG_LOG_DEBUG)
		argv[n++] = "-v";
	if (d->worker_user) {
		argv[n++] = "--user";
		argv[n++] = d->worker_user;
	}
	for (i = 0; i < d->cfg->nsims; i++) {
		argv[n++] = "--remote-chip";
		argv[n++] = d->cfg->sims[i].name;
	}
	for (i = 0; i < nw; i++)
		argv[n++] = wargs[i];
	argv[n] = NULL;
	fds[0] = ctl[1];
	fds[1] = rem[1];
	fds[2] = ho[1];
	fds[3] = tab[1];
	rc = vg_spawn_start(
		&(struct vg_spawn_params){
			.path = d->worker_exe,
			.argv = argv,
			.fds = fds,
			.nfds = 4,
			.log_fd = d->sink->fd >= 0 ? d->sink->fd : 2,
		},
		&w->sp);
	free(argv);
	if (rc)
		goto err;
	close(ctl[1]);
	close(rem[1]);
	close(ho[1]);
	close(tab[1]);
	ctl[1] = rem[1] = ho[1] = tab[1] = -1;
	w->ctl = ctl[0];
	w->handoff = ho[0];
	w->table = tab[0];
	w->next = d->workers; /* worker_free unlinks it */
	d->workers = w;
	vg_dom_remote_begin(dom);
	rc = send_table(w, dom);
	if (rc) {
		close(rem[0]);
		goto err_spawned;
	}
	rc = vg_remote_server_new(
		&(struct vg_remote_server_params){
			.fd = rem[0],
			.lend = lend,
			.give_back = give_back,
			.arg = w,
			.log = &dom->log,
		},
		&w->rs);
	rem[0] = -1; /* taken over either way */
	if (rc)
		goto err_spawned;
	rc = vg_evloop_add(d->ev, w->sp.pidfd, EPOLLIN, worker_exited, w);
	if (rc)
		goto err_spawned;
	rc = vg_evloop_add(d->ev, vg_remote_server_fd(w->rs), EPOLLIN,
			   remote_event, w);
	if (rc)
		goto err_spawned;
	rc = worker_ctl_open(w);
	if (rc)
		goto err_spawned;
	vg_log_info(&d->log, "domain %s: worker pid %ld serves its guests",
		    w->domain, (long)w->sp.pid);
	*out = w;
	return 0;
err_spawned:
	worker_free(w);
	return rc;
err:
	for (i = 0; i < 2; i++) {
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (rem[i] >= 0)
			close(rem[i]);
		if (ho[i] >= 0)
			close(ho[i]);
		if (tab[i] >= 0)
			close(tab[i]);
	}
	free(w);
	return rc;
}

/*
 * The domain a guest of @domain may be served as: 0, or a positive errno
 * with @reason (the same refusals as vg_dom_attach's).
 */
static int servable(struct vg_daemon *d, const char *domain,
		    struct vg_dom **dom, char *reason, size_t reason_len)
{
	*dom = vg_doms_find(&d->doms, domain);
	if (!*dom) {
		snprintf(reason, reason_len, "unknown domain '%s'", domain);
		return ENOENT;
	}
	if (!vg_dom_acl(*dom)->n) {
		snprintf(reason, reason_len,
			 "domain '%s' has no lines assigned", domain);
		return ENOENT;
	}
	return 0;
}

/* worker_start() for a guest, its failure told in @reason. */
static int start_for(struct vg_daemon *d, struct vg_dom *dom,
		     const char *const *wargs, struct vg_worker **w,
		     char *reason, size_t reason_len)
{
	int rc = worker_start(d, dom, wargs, w);

	if (rc)
		snprintf(reason, reason_len, "cannot start a worker: %s",
			 rc == -E2BIG ? "table too large (over 64 host "
					"lines or 64 KiB); try --in-process"
				      : strerror(-rc));
	return rc ? EIO : 0;
}

int vg_workers_route(void *arg, const char *domain, int fd, const void *hello,
		     size_t len, const int *fds, unsigned int nfds,
		     char *reason, size_t reason_len)
{
	struct vg_daemon *d = arg;
	struct vg_worker *w = NULL;
	struct vg_dom *dom;
	int rc;

	rc = servable(d, domain, &dom, reason, reason_len);
	if (rc)
		return rc;
	/*
	 * A domain's worker serves its loop guests one after another, as
	 * the one-process daemon does: it refuses a second at once, and a
	 * guest that reconnects right after hanging up finds the first gone
	 * (the worker reads the hang-up before the hand-over behind it).
	 */
	w = find(d, domain);
	if (w && w->conn) {
		snprintf(reason, reason_len, "domain '%s' is already served",
			 domain);
		return EBUSY;
	}
	if (!w) {
		rc = start_for(d, dom, NULL, &w, reason, reason_len);
		if (rc)
			return rc;
	}
	rc = vg_loop_handoff_send(w->handoff, fd, hello, len, fds, nfds);
	if (rc) {
		(void)vg_spawn_kill(&w->sp, SIGKILL);
		snprintf(reason, reason_len, "cannot hand over: %s",
			 strerror(-rc));
		return EIO;
	}
	return 0;
}

/*
 * A Xen worker says it serves its window with one packet, "R", on its
 * lifeline once its handles are restricted and its sandbox is on; a
 * failed one exits instead. true if it said so within @ms.
 */
static bool worker_ready(struct vg_worker *w, int ms)
{
	struct pollfd pfd = {.fd = w->handoff, .events = POLLIN};
	char c = 0;
	int r;

	while ((r = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0 && recv(w->handoff, &c, 1, MSG_DONTWAIT) == 1 && c == 'R';
}

/* Ask @w to stop (its lifeline closes); true once it has exited. */
static bool worker_ask_stop(struct vg_worker *w, int ms)
{
	if (w->handoff >= 0) {
		close(w->handoff);
		w->handoff = -1;
	}
	return vg_spawn_wait(&w->sp, ms);
}

int vg_workers_spawn(void *arg, void *conn, const char *domain,
		     const char *const *wargs, char *reason, size_t reason_len)
{
	struct vg_daemon *d = arg;
	struct vg_worker *w;
	struct vg_dom *dom;
	int rc;

	rc = servable(d, domain, &dom, reason, reason_len);
	if (rc)
		return rc;
	w = find(d, domain);
	if (w) {
		snprintf(reason, reason_len,
			 "domain '%s' is already served (worker pid %ld)",
			 domain, (long)w->sp.pid);
		return EBUSY;
	}
	rc = start_for(d, dom, wargs, &w, reason, reason_len);
	if (rc)
		return rc;
	w->conn = conn;
	if (!worker_ready(w, VG_WORKER_START_MS)) {
		snprintf(reason, reason_len,
			 "its worker (pid %ld) could not serve it (its log "
			 "says why)",
			 (long)w->sp.pid);
		/* One that is still starting releases what it set up. */
		(void)worker_ask_stop(w, VG_WORKER_STOP_MS);
		worker_free(w);
		return EIO;
	}
	return 0;
}

void vg_workers_detach(struct vg_daemon *d, void *conn)
{
	struct vg_worker *w;

	for (w = d->workers; w; w = w->next)
		if (w->conn && w->conn == conn)
			break;
	if (!w)
		return;
	/* It tears its window down in Xen itself; killed if it hangs. */
	if (!worker_ask_stop(w, VG_WORKER_STOP_MS))
		vg_log_warnx(&w->log,
			     "(pid %ld) did not stop within %u ms; killing it",
			     (long)w->sp.pid, VG_WORKER_STOP_MS);
	worker_free(w);
}

bool vg_workers_has(struct vg_daemon *d, const char *domain, long *pid)
{
	struct vg_worker *w = find(d, domain);

	if (w && pid)
		*pid = (long)w->sp.pid;
	return w != NULL;
}

/* Milliseconds from now until @end (CLOCK_MONOTONIC), 0 if past. */
static int ms_until(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	     (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

void vg_workers_stop(struct vg_daemon *d)
{
	struct timespec end;
	struct vg_worker *w;

	/*
	 * Custody is the parent's: killing loses nothing, lines go safe.
	 * But a Xen worker asked first releases what it set up in Xen
	 * (its IOREQ server) for a guest that lives on: all are asked at
	 * once, then all share one wait of VG_WORKER_STOP_MS.
	 */
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += VG_WORKER_STOP_MS / 1000;
	for (w = d->workers; w; w = w->next)
		if (w->conn)
			(void)worker_ask_stop(w, 0);
	for (w = d->workers; w; w = w->next)
		if (w->conn)
			(void)vg_spawn_wait(&w->sp, ms_until(&end));
	while (d->workers)
		worker_free(d->workers);
}

void vg_workers_tables(struct vg_daemon *d)
{
	struct vg_worker *w, *next;
	struct vg_dom *dom;
	int rc;

	for (w = d->workers; w; w = next) {
		next = w->next;
		dom = vg_doms_find(&d->doms, w->domain);
		rc = dom ? send_table(w, dom) : -ENOENT;
		if (!rc)
			continue;
		/* A worker that cannot get its table must not serve. */
		vg_log_warnx(&d->log,
			     "domain %s: worker (pid %ld) cannot get its new "
			     "table (%s); ending it",
			     w->domain, (long)w->sp.pid, strerror(-rc));
		(void)vg_spawn_kill(&w->sp, SIGKILL);
	}
}

/* --- the control channel ---------------------------------------------- */

/* The worker broke its channel (ctl-peer.h): it misbehaves, or is gone. */
static void worker_ctl_broken(void *arg, int rc)
{
	struct vg_worker *w = arg;

	if (rc != -ECONNRESET)
		vg_log_warnx(&w->log,
			     "(pid %ld) broke its control channel (%s); "
			     "ending it",
			     (long)w->sp.pid, strerror(-rc));
	vg_ctl_peer_free(w->peer);
	w->peer = NULL;
	/* The pidfd reports the end; a worker already gone is no matter. */
	(void)vg_spawn_kill(&w->sp, SIGKILL);
}

/* The parent's end of the worker's control channel, on @w->ctl. */
static int worker_ctl_open(struct vg_worker *w)
{
	int rc;

	vg_log_init(&w->log, w->d->sink, "domain %s: worker", w->domain);
	rc = vg_ctl_peer_new(w->d->ev, w->ctl, &w->log, worker_ctl_broken, w,
			     &w->peer);
	if (!rc)
		w->ctl = -1; /* the peer's now */
	return rc;
}

/* Unlinked already: the last counters it reported go to its domain. */
static void worker_ctl_close(struct vg_worker *w)
{
	struct vg_dom *dom = vg_doms_find(&w->d->doms, w->domain);

	if (dom && w->has_last)
		vg_status_stats_add(&dom->done, &w->last);
	w->has_last = false;
	/* Status calls still on their way end here (-ECANCELED). */
	vg_ctl_peer_free(w->peer);
	w->peer = NULL;
}

int vg_workers_status(struct vg_daemon *d, const char *domain,
		      vg_ctl_peer_done_fn done, void *arg)
{
	struct vg_worker *w = find(d, domain);

	if (!w)
		return -ENOENT;
	if (!w->peer)
		return -EPIPE;
	return vg_ctl_peer_call(w->peer, "status", NULL, done, arg);
}

void vg_workers_note_counters(struct vg_daemon *d, const char *domain, long pid,
			      const struct vg_gpio_stats *st)
{
	struct vg_worker *w = find(d, domain);

	if (!w || (long)w->sp.pid != pid)
		return;
	w->last = *st;
	w->has_last = true;
}

void vg_workers_hung(struct vg_daemon *d, const char *domain, long pid)
{
	struct vg_worker *w = find(d, domain);

	if (!w || (long)w->sp.pid != pid || !w->peer)
		return;
	vg_log_warnx(&w->log,
		     "(pid %ld) did not answer within %u ms; ending it", pid,
		     VG_WORKER_REPLY_MS);
	/* Its calls end now (-ECANCELED); the pidfd reports the end. */
	vg_ctl_peer_free(w->peer);
	w->peer = NULL;
	(void)vg_spawn_kill(&w->sp, SIGKILL);
}

void vg_workers_before_commit(void *arg, const struct vg_config *cfg)
{
	struct vg_daemon *d = arg;
	struct vg_worker *w, *next;
	struct vg_dom *dom;

	for (w = d->workers; w; w = next) {
		next = w->next;
		dom = vg_doms_find(&d->doms, w->domain);
		if (!dom || !vg_dom_lent_reopened(dom, cfg))
			continue;
		vg_log_warnx(&w->log,
			     "(pid %ld) holds host lines the new policy moves "
			     "or changes; ending it (%s)",
			     (long)w->sp.pid,
			     w->conn ? "its Xen window is not served until the "
				       "device is re-created"
				     : "its guest reconnects to a new worker");
		/* A Xen worker releases its IOREQ server, asked first. */
		if (w->conn)
			(void)worker_ask_stop(w, VG_WORKER_STOP_MS);
		/* Waits until it is gone, its fds with it; lines come back. */
		worker_free(w);
	}
}
