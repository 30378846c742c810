// SPDX-License-Identifier: BSD-3-Clause
/* The client end of a control connection held by the daemon (ctl-peer.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl-peer.h"

/* The longest command name the server's table can hold ("sim get"...). */
#define VG_CTL_PEER_CMD_MAX 63u

struct vg_ctl_peer_call {
	vg_ctl_peer_done_fn done;
	void *arg;
};

struct vg_ctl_peer {
	struct vg_evloop *ev;
	struct vg_log *log;
	int fd; /* -1 once broken */
	vg_ctl_peer_broken_fn broken;
	void *arg;
	/* Outstanding calls, oldest at head: replies come in this order. */
	struct vg_ctl_peer_call calls[VG_CTL_PEER_CALLS_MAX];
	unsigned int head, n;
	struct vg_strbuf out; /* requests not yet sent */
	char *in; /* VG_CTL_PEER_LINE_MAX bytes: a reply being read */
	size_t in_len;
	int rc; /* 0, or why it broke */
	/*
	 * Callbacks running: a vg_ctl_peer_free from one of them only sets
	 * @freeing, and whoever ran them frees when the last one returns.
	 */
	unsigned int busy;
	bool freeing;
};

/* --- ending calls ------------------------------------------------------ */

/* The oldest call's done(). */
static void call_end(struct vg_ctl_peer *p, int rc,
		     const struct vg_ctl_peer_reply *r)
{
	struct vg_ctl_peer_call c = p->calls[p->head];

	p->head = (p->head + 1) % VG_CTL_PEER_CALLS_MAX;
	p->n--;
	p->busy++;
	c.done(c.arg, rc, r);
	p->busy--;
}

static void peer_release(struct vg_ctl_peer *p)
{
	if (p->fd >= 0) {
		vg_evloop_del(p->ev, p->fd);
		close(p->fd);
		p->fd = -1;
	}
}

static void peer_destroy(struct vg_ctl_peer *p)
{
	p->busy++; /* a free from a cancelled done() is this one */
	while (p->n)
		call_end(p, -ECANCELED, NULL);
	peer_release(p);
	vg_strbuf_reset(&p->out);
	free(p->in);
	free(p);
}

/*
 * Break the peer with @rc: close it, fail every outstanding call, then
 * tell the owner. @why is logged (with the reply's byte offset, if any).
 */
static void peer_break(struct vg_ctl_peer *p, int rc, const char *why)
{
	if (p->rc)
		return;
	p->rc = rc;
	peer_release(p);
	vg_strbuf_reset(&p->out);
	p->in_len = 0;
	if (rc == -EPROTO)
		vg_log_warnx(p->log, "control peer: bad reply: %s", why);
	else
		vg_log_debug(p->log, "control peer: %s", why);
	while (p->n && !p->freeing)
		call_end(p, rc, NULL);
	if (!p->freeing && p->broken) {
		p->busy++;
		p->broken(p->arg, rc);
		p->busy--;
	}
}

/* --- replies ----------------------------------------------------------- */

static bool code_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return i >= 1 && i <= VG_CTL_PEER_CODE_MAX;
}

/* The parser has checked UTF-8 and refused NUL: no control bytes here. */
static bool message_valid(const char *s, size_t len)
{
	size_t i;

	if (len > VG_CTL_PEER_MESSAGE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A parsed reply line: of the reply shape (ctl-peer.h)? Fills @r. */
static const char *reply_check(const struct vg_json *doc, int *rc,
			       struct vg_ctl_peer_reply *r)
{
	const struct vg_json *ok, *e, *code, *msg;
	uint64_t v;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (doc->type != VG_JSON_OBJ)
		return "not an object";
	for (i = 0; i < doc->n; i++)
		if (strcmp(doc->k[i], "v") && strcmp(doc->k[i], "ok") &&
		    strcmp(doc->k[i], "result") && strcmp(doc->k[i], "error"))
			return "unknown member";
	if (vg_json_u64(vg_json_get(doc, "v"), &v) || v != VG_CTL_VERSION)
		return "not protocol version 1";
	ok = vg_json_get(doc, "ok");
	if (!ok || ok->type != VG_JSON_BOOL)
		return "no boolean \"ok\"";
	r->result = vg_json_get(doc, "result");
	e = vg_json_get(doc, "error");
	if (ok->b) {
		if (!r->result || e)
			return "\"ok\" true needs a result and no error";
		*rc = 0;
		return NULL;
	}
	if (!e || e->type != VG_JSON_OBJ)
		return "\"ok\" false needs an error object";
	code = vg_json_get(e, "code");
	msg = vg_json_get(e, "message");
	if (!vg_json_str(code) || !code_valid(code->s))
		return "bad error code";
	if (!vg_json_str(msg) || !message_valid(msg->s, msg->len))
		return "bad error message";
	r->error = e;
	r->code = code->s;
	r->message = msg->s;
	*rc = -EREMOTEIO;
	return NULL;
}

/* One reply line (@len bytes, no newline): the oldest call's answer. */
static void reply_line(struct vg_ctl_peer *p, const char *line, size_t len)
{
	struct vg_ctl_peer_reply r;
	struct vg_json *doc = NULL;
	struct vg_json_err e;
	const char *why;
	char msg[160];
	int rc = 0;

	if (!p->n) {
		peer_break(p, -EPROTO, "a reply to no request");
		return;
	}
	rc = vg_json_parse(line, len, VG_CTL_REPLY_DEPTH, &doc, &e);
	if (rc == -ENOMEM) {
		peer_break(p, -ENOMEM, "out of memory");
		return;
	}
	if (rc) {
		snprintf(msg, sizeof(msg), "byte %zu: %s", e.offset, e.msg);
		peer_break(p, -EPROTO, msg);
		return;
	}
	why = reply_check(doc, &rc, &r);
	if (why)
		peer_break(p, -EPROTO, why);
	else
		call_end(p, rc, &r);
	vg_json_free(doc);
}

/* Answer every complete line read; break on what cannot be a reply. */
static void input_process(struct vg_ctl_peer *p)
{
	char *nl;

	while (!p->rc && !p->freeing && (nl = memchr(p->in, '\n', p->in_len))) {
		size_t n = (size_t)(nl - p->in) + 1;

		reply_line(p, p->in, n - 1);
		if (p->rc)
			return;
		memmove(p->in, p->in + n, p->in_len - n);
		p->in_len -= n;
	}
	if (p->rc || p->freeing)
		return;
	if (p->in_len == VG_CTL_PEER_LINE_MAX)
		peer_break(p, -EPROTO, "reply line too long");
	else if (p->in_len && !p->n)
		peer_break(p, -EPROTO, "a reply to no request");
}

/* --- the socket -------------------------------------------------------- */

/* Send what is queued. 0, or -EPIPE if the socket is broken. */
static int output_flush(struct vg_ctl_peer *p)
{
	while (p->out.len) {
		ssize_t r = send(p->fd, p->out.s, p->out.len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r < 0)
			return -EPIPE;
		vg_strbuf_consume(&p->out, (size_t)r);
	}
	return 0;
}

static void input_read(struct vg_ctl_peer *p)
{
	while (!p->rc && !p->freeing) {
		ssize_t r =
			recv(p->fd, p->in + p->in_len,
			     VG_CTL_PEER_LINE_MAX - p->in_len, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			peer_break(p, -ECONNRESET, "hung up");
			return;
		}
		if (r < 0) {
			peer_break(p, -errno, strerror(errno));
			return;
		}
		p->in_len += (size_t)r;
		input_process(p);
	}
}

static void peer_watch(struct vg_ctl_peer *p)
{
	if (p->rc || p->freeing)
		return;
	if (vg_evloop_mod(p->ev, p->fd, EPOLLIN | (p->out.len ? EPOLLOUT : 0)))
		peer_break(p, -ENOMEM, "cannot watch its socket");
}

static void peer_event(void *arg, uint32_t events)
{
	struct vg_ctl_peer *p = arg;

	p->busy++;
	if ((events & EPOLLOUT) && output_flush(p))
		peer_break(p, -EPIPE, "cannot send");
	if (!p->rc && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		input_read(p);
	peer_watch(p);
	p->busy--;
	if (p->freeing && !p->busy)
		peer_destroy(p);
}

/* --- the interface ----------------------------------------------------- */

int vg_ctl_peer_new(struct vg_evloop *ev, int fd, struct vg_log *log,
		    vg_ctl_peer_broken_fn broken, void *arg,
		    struct vg_ctl_peer **out)
{
	struct vg_ctl_peer *p;
	int type = 0, rc;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		rc = -errno;
		goto err_fd;
	}
	rc = -EPROTOTYPE;
	if (type != SOCK_STREAM)
		goto err_fd;
	rc = -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto err_fd;
	p->in = malloc(VG_CTL_PEER_LINE_MAX);
	if (!p->in)
		goto err_peer;
	p->ev = ev;
	p->log = log;
	p->fd = fd;
	p->broken = broken;
	p->arg = arg;
	p->out.max = VG_CTL_PEER_CALLS_MAX * VG_CTL_REQUEST_MAX;
	rc = vg_evloop_add(ev, fd, EPOLLIN, peer_event, p);
	if (rc)
		goto err_peer;
	*out = p;
	return 0;
err_peer:
	free(p->in);
	free(p);
err_fd:
	return rc;
}

void vg_ctl_peer_free(struct vg_ctl_peer *p)
{
	if (!p || p->freeing)
		return;
	p->freeing = true;
	peer_release(p);
	if (!p->busy)
		peer_destroy(p);
}

static bool cmd_valid(const char *cmd)
{
	size_t i;

	for (i = 0; cmd[i]; i++)
		if (cmd[i] < 0x20 || cmd[i] >= 0x7f)
			return false;
	return i >= 1 && i <= VG_CTL_PEER_CMD_MAX;
}

int vg_ctl_peer_call(struct vg_ctl_peer *p, const char *cmd,
		     const struct vg_jw *args, vg_ctl_peer_done_fn done,
		     void *arg)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;
	int rc;

	if (p->rc || p->freeing)
		return -EPIPE;
	if (!done || !cmd || !cmd_valid(cmd) ||
	    (args && (vg_jw_done(args) || !args->b->s || args->b->s[0] != '{')))
		return -EINVAL;
	if (p->n == VG_CTL_PEER_CALLS_MAX)
		return -EBUSY;
	/*
	 * Watch for room first: once the call is queued nothing may fail,
	 * or its done() would run inside this call.
	 */
	if (vg_evloop_mod(p->ev, p->fd, EPOLLIN | EPOLLOUT))
		return -ENOMEM;
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_ku64(&w, "v", VG_CTL_VERSION);
	vg_jw_kstr(&w, "cmd", cmd);
	if (args) {
		vg_jw_key(&w, "args");
		vg_jw_raw(&w, args->b->s, args->b->len);
	}
	vg_jw_obj_end(&w);
	rc = vg_jw_done(&w);
	if (!rc && b.len > VG_CTL_REQUEST_MAX - 1)
		rc = -EMSGSIZE;
	if (!rc) {
		/* Fits: at most VG_CTL_PEER_CALLS_MAX requests are queued. */
		vg_strbuf_addn(&p->out, b.s, b.len);
		vg_strbuf_addn(&p->out, "\n", 1);
		rc = p->out.rc;
	}
	free(b.s);
	if (rc)
		return rc;
	p->calls[(p->head + p->n) % VG_CTL_PEER_CALLS_MAX] =
		(struct vg_ctl_peer_call){.done = done, .arg = arg};
	p->n++;
	/*
	 * A send that fails leaves the request queued: the loop's EPOLLOUT
	 * (or EPOLLERR) then breaks the peer, outside the caller's call.
	 */
	output_flush(p);
	/* Failing leaves a spurious EPOLLOUT, which peer_event ignores. */
	if (!p->out.len)
		(void)vg_evloop_mod(p->ev, p->fd, EPOLLIN);
	return 0;
}

unsigned int vg_ctl_peer_pending(const struct vg_ctl_peer *p)
{
	return p->n;
}
