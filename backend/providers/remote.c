// SPDX-License-Identifier: BSD-3-Clause
/* The remote provider's client end and the packet rules (remote.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "remote.h"

/* --- packet rules ---------------------------------------------------------- */

static bool has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static const char *check_call(const struct vg_remote_msg *m, unsigned int op)
{
	uint32_t a = vg_le32_get(m->a), b = vg_le32_get(m->b);

	switch (op) {
	case VG_REMOTE_OPEN:
		if (m->bias > VG_BIAS_PULL_DOWN ||
		    m->drive > VG_DRIVE_OPEN_SOURCE || m->active_low > 1 ||
		    (m->initial_dir != VG_DIR_IN &&
		     m->initial_dir != VG_DIR_OUT) ||
		    m->initial_value > 1)
			return "line options out of range";
		if (!m->chip[0] || !m->line[0])
			return "empty chip or line name";
		return NULL;
	case VG_REMOTE_SET_DIRECTION:
		return (a != VG_DIR_IN && a != VG_DIR_OUT) || b > 1
			       ? "direction or value out of range"
			       : NULL;
	case VG_REMOTE_SET_VALUE:
		return a > 1 ? "value out of range" : NULL;
	case VG_REMOTE_SET_EDGE:
		return a > VG_EDGE_BOTH ? "edges out of range" : NULL;
	default:
		return NULL;
	}
}

int vg_remote_check(const struct vg_remote_msg *m, size_t len, bool from_server,
		    const char **why)
{
	unsigned int op;
	int32_t rc;

	*why = NULL;
	if (len != sizeof(*m))
		*why = "wrong packet size";
	else if (vg_le16_get(m->version) != VG_REMOTE_VERSION)
		*why = "unknown version";
	else if ((op = vg_le16_get(m->op)) < 1 || op > VG_REMOTE_OP_MAX ||
		 (!from_server && op == VG_REMOTE_EVENT))
		*why = "unknown operation";
	else if (m->pad[0] || m->pad[1] || m->pad[2])
		*why = "padding not zero";
	else if (!has_nul(m->chip, sizeof(m->chip)) ||
		 !has_nul(m->line, sizeof(m->line)))
		*why = "name not terminated";
	else if (!from_server)
		*why = vg_le32_get(m->rc) ? "call with a result"
					  : check_call(m, op);
	else if (op == VG_REMOTE_EVENT)
		*why = vg_le32_get(m->a) != VG_EDGE_RISING &&
				       vg_le32_get(m->a) != VG_EDGE_FALLING
			       ? "event edge out of range"
			       : NULL;
	else if ((rc = (int32_t)vg_le32_get(m->rc)) > 0 || rc < -4095)
		*why = "result out of range";
	else if (op == VG_REMOTE_GET_VALUE && vg_le32_get(m->a) > 1)
		*why = "value out of range";
	return *why ? -EPROTO : 0;
}

/* --- client ---------------------------------------------------------------- */

struct vg_line {
	struct vg_remote *r;
	uint32_t handle;
	vg_line_event_fn cb;
	void *arg;
	char name[VG_REMOTE_NAME_MAX];
};

struct vg_remote {
	int fd; /* the socket, blocking: a call waits for its return */
	int efd; /* eventfd: readable while events are queued */
	int pfd; /* epoll over both: the provider's fd() */
	const char *const *chips;
	unsigned int nchips;
	struct vg_log *log;
	bool dead;
	struct vg_line *lines[VG_REMOTE_LINES_MAX]; /* by handle */
	struct {
		uint32_t handle, edge;
	} q[VG_REMOTE_EVENTS_MAX];
	unsigned int qhead, qlen;
	unsigned long dropped;
};

static int broken(struct vg_remote *r, const char *why)
{
	if (!r->dead)
		vg_log_warnx(r->log, "remote lines: %s; lines unusable", why);
	r->dead = true;
	return -EPIPE;
}

static void queue_event(struct vg_remote *r, const struct vg_remote_msg *m)
{
	static const uint64_t one = 1;
	uint32_t h = vg_le32_get(m->handle);

	if (h >= VG_REMOTE_LINES_MAX || !r->lines[h])
		return; /* closed meanwhile */
	if (r->qlen == VG_REMOTE_EVENTS_MAX) {
		r->dropped++;
		return;
	}
	r->q[(r->qhead + r->qlen) % VG_REMOTE_EVENTS_MAX].handle = h;
	r->q[(r->qhead + r->qlen) % VG_REMOTE_EVENTS_MAX].edge =
		vg_le32_get(m->a);
	r->qlen++;
	if (write(r->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vg_log_warn(r->log, "remote lines: eventfd");
}

/*
 * Receive one packet into @m: 1, 0 if none is waiting (@wait false), or
 * -EPIPE once the peer is gone or broke a rule.
 */
static int receive(struct vg_remote *r, struct vg_remote_msg *m, bool wait)
{
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	const char *why;
	ssize_t n;

	if (r->dead)
		return -EPIPE;
	do {
		n = recvmsg(r->fd, &mh, wait ? 0 : MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0)
		return broken(r, n ? "receive failed" : "the parent is gone");
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
	    vg_remote_check(m, (size_t)n, true, &why))
		return broken(r, mh.msg_flags ? "oversized packet" : why);
	return 1;
}

/* Send @m (its op set) and wait for its return, queueing events. */
static int call(struct vg_remote *r, struct vg_remote_msg *m)
{
	unsigned int op = vg_le16_get(m->op);
	ssize_t n;
	int rc;

	if (r->dead)
		return -EPIPE;
	m->version = vg_le16_put(VG_REMOTE_VERSION);
	do {
		n = send(r->fd, m, sizeof(*m), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return broken(r, "send failed");
	for (;;) {
		rc = receive(r, m, true);
		if (rc < 0)
			return rc;
		if (vg_le16_get(m->op) == VG_REMOTE_EVENT) {
			queue_event(r, m);
			continue;
		}
		if (vg_le16_get(m->op) != op)
			return broken(r, "a return for another call");
		return (int32_t)vg_le32_get(m->rc);
	}
}

static void msg_init(struct vg_remote_msg *m, unsigned int op,
		     const struct vg_line *l)
{
	memset(m, 0, sizeof(*m));
	m->op = vg_le16_put((uint16_t)op);
	if (l)
		m->handle = vg_le32_put(l->handle);
}

static bool remote_claims(void *prov, const char *chip)
{
	struct vg_remote *r = prov;
	unsigned int i;

	for (i = 0; i < r->nchips; i++)
		if (!strcmp(r->chips[i], chip))
			return true;
	return false;
}

static int remote_open(void *prov, const struct vg_line_spec *spec,
		       const char *consumer, vg_line_event_fn cb, void *arg,
		       struct vg_line **out)
{
	struct vg_remote *r = prov;
	struct vg_remote_msg m;
	struct vg_line *l;
	uint32_t h;
	int rc;

	(void)consumer; /* the server labels the line */
	if (strlen(spec->chip) >= sizeof(m.chip) ||
	    strlen(spec->line) >= sizeof(m.line))
		return -ENAMETOOLONG;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	msg_init(&m, VG_REMOTE_OPEN, NULL);
	memcpy(m.chip, spec->chip, strlen(spec->chip));
	memcpy(m.line, spec->line, strlen(spec->line));
	m.bias = (uint8_t)spec->bias;
	m.drive = (uint8_t)spec->drive;
	m.active_low = spec->active_low;
	m.debounce_us = vg_le32_put(spec->debounce_us);
	m.initial_dir = (uint8_t)spec->initial_dir;
	m.initial_value = spec->initial_value != 0;
	rc = call(r, &m);
	h = vg_le32_get(m.handle);
	if (!rc && (h >= VG_REMOTE_LINES_MAX || r->lines[h]))
		rc = broken(r, "a handle out of range or in use");
	if (rc) {
		free(l);
		return rc;
	}
	l->r = r;
	l->handle = h;
	l->cb = cb;
	l->arg = arg;
	memcpy(l->name, m.chip, sizeof(l->name));
	r->lines[h] = l;
	*out = l;
	return 0;
}

/* Forget queued events of @l (edge detection off, or closed). */
static void drop_queued(struct vg_remote *r, const struct vg_line *l)
{
	unsigned int i, kept = 0;

	for (i = 0; i < r->qlen; i++) {
		unsigned int from = (r->qhead + i) % VG_REMOTE_EVENTS_MAX;
		unsigned int to = (r->qhead + kept) % VG_REMOTE_EVENTS_MAX;

		if (r->q[from].handle == l->handle)
			continue;
		r->q[to] = r->q[from];
		kept++;
	}
	r->qlen = kept;
}

static void remote_close(void *prov, struct vg_line *l)
{
	struct vg_remote *r = prov;
	struct vg_remote_msg m;

	msg_init(&m, VG_REMOTE_CLOSE, l);
	(void)call(r, &m); /* a dead parent has released it already */
	drop_queued(r, l);
	r->lines[l->handle] = NULL;
	free(l);
}

static const char *remote_line_name(void *prov, struct vg_line *l)
{
	(void)prov;
	return l->name;
}

static int remote_set_direction(void *prov, struct vg_line *l, enum vg_dir dir,
				int value)
{
	struct vg_remote_msg m;

	msg_init(&m, VG_REMOTE_SET_DIRECTION, l);
	m.a = vg_le32_put((uint32_t)dir);
	m.b = vg_le32_put(value != 0);
	return call(prov, &m);
}

static int remote_get_value(void *prov, struct vg_line *l, int *value)
{
	struct vg_remote_msg m;
	int rc;

	msg_init(&m, VG_REMOTE_GET_VALUE, l);
	rc = call(prov, &m);
	if (!rc)
		*value = (int)vg_le32_get(m.a);
	return rc;
}

static int remote_set_value(void *prov, struct vg_line *l, int value)
{
	struct vg_remote_msg m;

	msg_init(&m, VG_REMOTE_SET_VALUE, l);
	m.a = vg_le32_put(value != 0);
	return call(prov, &m);
}

static int remote_set_edge(void *prov, struct vg_line *l, unsigned int edges)
{
	struct vg_remote_msg m;
	int rc;

	msg_init(&m, VG_REMOTE_SET_EDGE, l);
	m.a = vg_le32_put(edges);
	rc = call(prov, &m);
	if (edges == VG_EDGE_NONE)
		drop_queued(prov, l);
	return rc;
}

static int remote_fd(void *prov)
{
	return ((struct vg_remote *)prov)->pfd;
}

static void remote_dispatch(void *prov)
{
	struct vg_remote *r = prov;
	struct vg_remote_msg m;
	uint64_t cnt;
	int rc;

	if (read(r->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		vg_log_warn(r->log, "remote lines: eventfd");
	while ((rc = receive(r, &m, false)) > 0) {
		if (vg_le16_get(m.op) != VG_REMOTE_EVENT) {
			broken(r, "a return without a call");
			break;
		}
		queue_event(r, &m);
	}
	if (r->dropped) {
		vg_log_warnx(r->log, "remote lines: %lu edges dropped",
			     r->dropped);
		r->dropped = 0;
	}
	/* Callbacks may call ops, which may queue more: pop before calling. */
	while (r->qlen) {
		uint32_t h = r->q[r->qhead].handle, edge = r->q[r->qhead].edge;
		struct vg_line *l = r->lines[h];

		r->qhead = (r->qhead + 1) % VG_REMOTE_EVENTS_MAX;
		r->qlen--;
		if (l && l->cb)
			l->cb(l->arg, edge);
	}
	/* A dead peer stays readable: stop watching it. */
	if (rc < 0 && r->fd >= 0)
		epoll_ctl(r->pfd, EPOLL_CTL_DEL, r->fd, NULL);
}

static const struct vg_provider_ops remote_ops = {
	.name = "remote",
	.claims = remote_claims,
	.line_open = remote_open,
	.line_close = remote_close,
	.line_name = remote_line_name,
	.set_direction = remote_set_direction,
	.get_value = remote_get_value,
	.set_value = remote_set_value,
	.set_edge = remote_set_edge,
	.fd = remote_fd,
	.dispatch = remote_dispatch,
};

int vg_remote_new(int fd, const char *const *chips, unsigned int nchips,
		  struct vg_log *log, struct vg_remote **out)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct vg_remote *r;
	int fl, rc;

	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->chips = chips;
	r->nchips = nchips;
	r->log = log;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->pfd = epoll_create1(EPOLL_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	if (r->efd < 0 || r->pfd < 0 || fl < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    epoll_ctl(r->pfd, EPOLL_CTL_ADD, r->efd, &ev) < 0 ||
	    epoll_ctl(r->pfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		vg_remote_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void vg_remote_free(struct vg_remote *r)
{
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < VG_REMOTE_LINES_MAX; i++)
		free(r->lines[i]);
	if (r->pfd >= 0)
		close(r->pfd);
	if (r->efd >= 0)
		close(r->efd);
	close(r->fd);
	free(r);
}

struct vg_provider vg_remote_provider(struct vg_remote *r)
{
	return (struct vg_provider){.ops = &remote_ops, .ctx = r};
}
