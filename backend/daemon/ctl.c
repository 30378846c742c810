// SPDX-License-Identifier: BSD-3-Clause
/* The control socket: clients, framing and the reply queue (ctl.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl-priv.h"

/*
 * VG_CTL_MAX_CLIENTS (ctl.h): a new client beyond it evicts the oldest:
 * with no timers to reap idle clients, sitting on every slot would lock
 * the admin out.
 */
/* Connections accepted per wakeup, so a connect flood cannot hog a turn. */
#define VG_CTL_ACCEPT_BATCH 16

/* --- output --------------------------------------------------------------- */

/* Queue @n bytes and a newline, or note the overflow. */
void vg_ctl_out_add(struct vg_ctl_client *cl, const char *s, size_t n)
{
	if (cl->overflow)
		return;
	/* A whole line or nothing: check its room before appending. */
	if (n >= VG_CTL_REPLY_MAX || cl->out.len > VG_CTL_REPLY_MAX - n - 1) {
		cl->overflow = true;
		return;
	}
	vg_strbuf_addn(&cl->out, s, n);
	vg_strbuf_addn(&cl->out, "\n", 1);
	if (cl->out.rc)
		cl->overflow = true;
}

void vg_ctl_out_vaddf(struct vg_ctl_client *cl, const char *fmt, va_list ap)
{
	char *s;
	int n = vasprintf(&s, fmt, ap);

	if (n < 0) {
		cl->overflow = true;
		return;
	}
	vg_ctl_out_add(cl, s, (size_t)n);
	free(s);
}

void vg_ctl_out_addf(struct vg_ctl_client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_ctl_out_vaddf(cl, fmt, ap);
	va_end(ap);
}

/* --- framing --------------------------------------------------------------- */

/* A JSON request starts with '{' after any blanks. */
static bool is_json(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < len && s[i] == '{';
}

/* A framing violation: say so in the line's protocol, then hang up. */
static void violation(struct vg_ctl_client *cl, bool json, const char *code,
		      const char *msg)
{
	struct vg_ctl_call call;

	vg_ctl_call_init(&call, cl, json);
	vg_ctl_fail(&call, code, "%s", msg);
	vg_ctl_answer(&call);
	vg_ctl_call_dispose(&call);
	cl->doomed = true;
}

/* Send queued output. Returns -1 if the client is broken. */
static int flush_out(struct vg_ctl_client *cl)
{
	while (cl->out.len) {
		ssize_t r = send(cl->fd, cl->out.s, cl->out.len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		vg_strbuf_consume(&cl->out, (size_t)r);
	}
	return 0;
}

/* Split complete lines off the input buffer and answer them. */
static void process_input(struct vg_ctl_client *cl)
{
	char msg[64];
	char *nl;
	bool json;

	while (!cl->doomed && !cl->deferred &&
	       (nl = memchr(cl->in, '\n', cl->in_len))) {
		size_t n = (size_t)(nl - cl->in) + 1;

		*nl = '\0';
		json = is_json(cl->in, n - 1);
		cl->json = json;
		if (memchr(cl->in, '\0', n - 1)) {
			violation(cl, json, VG_CTL_E_PARSE,
				  json ? "NUL byte in request"
				       : "NUL byte in command");
			return;
		}
		if (!json && n > VG_CTL_LINE_MAX)
			break; /* too long: below */
		if (json)
			vg_ctl_on_json(cl, cl->in, n - 1);
		else
			vg_ctl_on_text(cl, cl->in);
		memmove(cl->in, cl->in + n, cl->in_len - n);
		cl->in_len -= n;
	}
	/* Deferred: what is left may hold whole lines, read on resume. */
	if (cl->doomed || cl->deferred)
		return;
	json = is_json(cl->in, cl->in_len);
	if (!json && cl->in_len >= VG_CTL_LINE_MAX) {
		snprintf(msg, sizeof(msg), "line too long (max %d bytes)",
			 VG_CTL_LINE_MAX - 1);
		violation(cl, false, VG_CTL_E_TOO_LARGE, msg);
	} else if (cl->in_len == sizeof(cl->in)) {
		snprintf(msg, sizeof(msg), "request too long (max %d bytes)",
			 VG_CTL_REQUEST_MAX - 1);
		violation(cl, true, VG_CTL_E_TOO_LARGE, msg);
	}
}

/* --- clients ---------------------------------------------------------------- */

static void client_drop(struct vg_ctl_client *cl)
{
	struct vg_ctl *ctl = cl->ctl;

	/* Its deferred answer, when done, is discarded (ctl.h). */
	if (cl->deferred)
		cl->deferred->call.cl = NULL;
	vg_evloop_del(ctl->ev, cl->fd);
	close(cl->fd);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		ctl->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	if (!cl->adopted)
		ctl->nclients--;
	vg_strbuf_reset(&cl->out);
	free(cl);
}

static void client_event(void *arg, uint32_t events)
{
	struct vg_ctl_client *cl = arg;
	struct vg_ctl *ctl = cl->ctl;
	void (*gone)(void *arg) = cl->gone;
	void *gone_arg = cl->gone_arg;
	uint32_t want;

	if ((events & EPOLLIN) && !cl->eof && !cl->doomed && !cl->deferred) {
		ssize_t r = recv(cl->fd, cl->in + cl->in_len,
				 sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);

		if (r == 0)
			cl->eof = true;
		else if (r < 0 && errno != EAGAIN && errno != EINTR)
			goto drop;
		else if (r > 0)
			cl->in_len += (size_t)r;
		process_input(cl);
	} else if (events & (EPOLLERR | EPOLLHUP)) {
		goto drop;
	}
	if (cl->overflow) {
		vg_log_debug(ctl->log, "control client not reading, dropped");
		goto drop;
	}
	if (flush_out(cl) < 0)
		goto drop;
	if (cl->out.len == 0 && !cl->deferred && (cl->eof || cl->doomed))
		goto drop;
	/* Deferred: not reading, but a hang-up still shows (EPOLLHUP). */
	want = (cl->eof || cl->doomed || cl->deferred ? 0 : EPOLLIN) |
	       (cl->out.len ? EPOLLOUT : 0);
	if (vg_evloop_mod(ctl->ev, cl->fd, want) < 0)
		goto drop;
	return;
drop:
	client_drop(cl);
	/* Last: gone() may free the ctl. */
	if (gone)
		gone(gone_arg);
}

void vg_ctl_client_resume(struct vg_ctl_client *cl)
{
	struct vg_ctl *ctl = cl->ctl;
	void (*gone)(void *arg) = cl->gone;
	void *gone_arg = cl->gone_arg;

	process_input(cl);
	/*
	 * client_event() sends, reads on or drops: EPOLLOUT fires at once on
	 * a socket with room, and EPOLLHUP or EPOLLERR on a broken one.
	 */
	if (!vg_evloop_mod(ctl->ev, cl->fd,
			   EPOLLOUT | (cl->eof || cl->doomed || cl->deferred
					       ? 0
					       : EPOLLIN)))
		return;
	client_drop(cl);
	if (gone)
		gone(gone_arg);
}

/*
 * Log the evictions not logged yet, unless a line went out less than a
 * log window ago (or @now_too). One line per eviction would let a connect
 * flood fill the log, and a rate-limited line would let it hide them: a
 * count per window does neither.
 */
static void evictions_log(struct vg_ctl *ctl, bool now_too)
{
	uint64_t now = vg_log_now(ctl->log), secs;
	uint64_t n = ctl->evicted_unlogged;

	if (!n)
		return;
	if (!now_too && ctl->evicted_logged && now >= ctl->evicted_logged_at &&
	    now - ctl->evicted_logged_at < VG_LOG_GUEST_WINDOW_NS)
		return;
	/* Whole seconds since the first of them, rounded up. */
	secs = now > ctl->evicted_since
		       ? (now - ctl->evicted_since + 999999999) / 1000000000
		       : 0;
	vg_log_warnx(ctl->log,
		     "control: %" PRIu64
		     " client%s evicted in the last %" PRIu64
		     " s (too many connections, at most %d)",
		     n, n == 1 ? "" : "s", secs ? secs : 1, VG_CTL_MAX_CLIENTS);
	ctl->evicted_unlogged = 0;
	ctl->evicted_logged_at = now;
	ctl->evicted_logged = true;
}

/*
 * Close the oldest client that connected to the socket (an adopted one
 * is never evicted), telling it why if that needs no waiting.
 */
static void evict_oldest(struct vg_ctl *ctl)
{
	struct vg_ctl_client *cl = ctl->clients;
	char msg[96];

	while (cl && cl->next)
		cl = cl->next;
	while (cl && cl->adopted)
		cl = cl->prev;
	if (!cl)
		return;
	if (!cl->doomed) {
		snprintf(msg, sizeof(msg),
			 "too many control clients (at most %d): closing the "
			 "oldest, this one",
			 VG_CTL_MAX_CLIENTS);
		/* A request still arriving says which protocol it speaks. */
		violation(cl,
			  cl->in_len ? is_json(cl->in, cl->in_len) : cl->json,
			  VG_CTL_E_EVICTED, msg);
	}
	flush_out(cl);
	if (!ctl->evicted_unlogged)
		ctl->evicted_since = vg_log_now(ctl->log);
	ctl->evicted++;
	ctl->evicted_unlogged++;
	client_drop(cl);
	evictions_log(ctl, false);
}

/* A new client on @fd (not closed on failure), watched. 0 or -errno. */
static int client_add(struct vg_ctl *ctl, int fd, bool adopted,
		      struct vg_ctl_client **out)
{
	struct vg_ctl_client *cl = calloc(1, sizeof(*cl));
	int rc;

	if (!cl)
		return -ENOMEM;
	cl->ctl = ctl;
	cl->fd = fd;
	cl->adopted = adopted;
	cl->out.max = VG_CTL_REPLY_MAX;
	rc = vg_evloop_add(ctl->ev, fd, EPOLLIN, client_event, cl);
	if (rc) {
		free(cl);
		return rc;
	}
	cl->next = ctl->clients;
	if (cl->next)
		cl->next->prev = cl;
	ctl->clients = cl;
	if (!adopted)
		ctl->nclients++;
	*out = cl;
	return 0;
}

static void listen_event(void *arg, uint32_t events)
{
	struct vg_ctl *ctl = arg;
	struct vg_ctl_client *cl;
	int i, fd;

	(void)events;
	/* The evictions of a window that has closed since (ctl.h). */
	evictions_log(ctl, false);
	for (i = 0; i < VG_CTL_ACCEPT_BATCH; i++) {
		fd = accept4(ctl->lis.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				vg_log_warn(ctl->log, "control accept");
			return;
		}
		if (ctl->nclients >= VG_CTL_MAX_CLIENTS)
			evict_oldest(ctl);
		if (client_add(ctl, fd, false, &cl)) {
			vg_log_guest(ctl->log, "refusing a control client");
			close(fd);
		}
	}
}

/* The limits the table must keep: ctl relies on them, not on checks. */
static bool cmds_valid(const struct vg_ctl_cmd *cmds, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (!cmds[i].name || !cmds[i].help || !cmds[i].fn ||
		    cmds[i].nargs > VG_CTL_ARGS_MAX ||
		    (cmds[i].nargs && !cmds[i].args))
			return false;
		for (j = 0; j < cmds[i].nargs; j++)
			if (!cmds[i].args[j].name ||
			    cmds[i].args[j].min > cmds[i].args[j].max ||
			    (cmds[i].args[j].type == VG_CTL_ARG_STR &&
			     cmds[i].args[j].max < 1))
				return false;
	}
	return true;
}

int vg_ctl_new(struct vg_evloop *ev, const char *path,
	       const struct vg_ctl_cmd *cmds, unsigned int ncmds, void *arg,
	       struct vg_log *log, struct vg_ctl **out)
{
	struct vg_ctl *ctl;
	int rc;

	if (!cmds_valid(cmds, ncmds)) {
		vg_log_warnx(log, "control: invalid command table");
		return -EINVAL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->ev = ev;
	ctl->cmds = cmds;
	ctl->ncmds = ncmds;
	ctl->arg = arg;
	ctl->log = log;
	ctl->lis.fd = -1;
	rc = path ? vg_listener_open(&ctl->lis, ev, path, SOCK_STREAM, log,
				     listen_event, ctl)
		  : 0;
	if (rc) {
		free(ctl);
		return rc;
	}
	*out = ctl;
	return 0;
}

int vg_ctl_adopt(struct vg_ctl *ctl, int fd, void (*gone)(void *arg),
		 void *gone_arg)
{
	struct vg_ctl_client *cl;
	int type = 0, rc;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	if (type != SOCK_STREAM)
		return -EPROTOTYPE;
	rc = client_add(ctl, fd, true, &cl);
	if (rc)
		return rc;
	cl->gone = gone;
	cl->gone_arg = gone_arg;
	return 0;
}

void vg_ctl_free(struct vg_ctl *ctl)
{
	if (!ctl)
		return;
	evictions_log(ctl, true);
	while (ctl->clients)
		client_drop(ctl->clients);
	vg_listener_close(&ctl->lis);
	free(ctl);
}

void vg_ctl_stats(const struct vg_ctl *ctl, struct vg_ctl_stats *st)
{
	st->clients = ctl->nclients;
	st->evicted = ctl->evicted;
}
