// SPDX-License-Identifier: BSD-3-Clause
/* The remote provider's server end: a peer's calls on lent lines (remote.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "remote.h"

/* Packets served per wakeup, so one peer cannot hog the parent's turn. */
#define VG_REMOTE_BATCH 64

struct vg_remote_lent {
	struct vg_remote_server *s;
	struct vg_provider prov;
	struct vg_line *line;
	void *token; /* the owner's */
	unsigned int allow; /* VG_REMOTE_ALLOW_* */
	uint32_t handle;
};

struct vg_remote_server {
	struct vg_remote_server_params p;
	struct vg_remote_lent *lines[VG_REMOTE_LINES_MAX];
	unsigned int nlines;
	unsigned long dropped; /* events the peer had no room for */
	bool dead;
};

void vg_remote_server_event(struct vg_remote_lent *sl, unsigned int edge)
{
	struct vg_remote_server *s = sl->s;
	struct vg_remote_msg m = {
		.version = vg_le16_put(VG_REMOTE_VERSION),
		.op = vg_le16_put(VG_REMOTE_EVENT),
		.handle = vg_le32_put(sl->handle),
		.a = vg_le32_put(edge),
	};

	if (s->dead || !sl->line)
		return;
	/* A peer that does not read its events loses them, not us a turn. */
	if (send(s->p.fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    s->dropped++ == 0)
		vg_log_warnx(s->p.log, "remote peer: dropping line events");
}

static struct vg_remote_lent *find(struct vg_remote_server *s,
				   const struct vg_remote_msg *m)
{
	uint32_t h = vg_le32_get(m->handle);

	return h < VG_REMOTE_LINES_MAX ? s->lines[h] : NULL;
}

static int do_open(struct vg_remote_server *s, const struct vg_remote_msg *m,
		   struct vg_remote_msg *ret)
{
	struct vg_line_spec spec = {
		.chip = m->chip,
		.line = m->line,
		.bias = (enum vg_bias)m->bias,
		.drive = (enum vg_drive)m->drive,
		.active_low = m->active_low,
		.debounce_us = vg_le32_get(m->debounce_us),
		.initial_dir = (enum vg_dir)m->initial_dir,
		.initial_value = m->initial_value,
	};
	struct vg_remote_lent *sl;
	uint32_t h;
	int rc;

	for (h = 0; h < VG_REMOTE_LINES_MAX && s->lines[h]; h++)
		;
	if (h == VG_REMOTE_LINES_MAX)
		return -EMFILE;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	sl->s = s;
	sl->handle = h;
	rc = s->p.lend(s->p.arg, &spec, sl, &sl->prov, &sl->line, &sl->allow,
		       &sl->token);
	if (rc) {
		free(sl);
		return rc;
	}
	s->lines[h] = sl;
	s->nlines++;
	/* The return carries the handle and the line's own name. */
	snprintf(ret->chip, sizeof(ret->chip), "%s",
		 sl->prov.ops->line_name(sl->prov.ctx, sl->line));
	ret->handle = vg_le32_put(h);
	return 0;
}

static void give_back(struct vg_remote_server *s, struct vg_remote_lent *sl)
{
	s->lines[sl->handle] = NULL;
	s->nlines--;
	if (sl->line) /* not revoked */
		s->p.give_back(s->p.arg, sl->token);
	free(sl);
}

void vg_remote_server_revoke(struct vg_remote_lent *sl)
{
	sl->line = NULL;
	sl->token = NULL;
}

/* May a line with rights @allow drive @value? */
static bool may_drive(unsigned int allow, uint32_t value)
{
	return allow & VG_REMOTE_ALLOW_OUT ||
	       (value == 0 && allow & VG_REMOTE_SAFE_LOW) ||
	       (value == 1 && allow & VG_REMOTE_SAFE_HIGH);
}

/*
 * Run one checked call @m; its results go into @ret, which holds only
 * what the op returns (nothing of the call is echoed back).
 */
static int serve(struct vg_remote_server *s, const struct vg_remote_msg *m,
		 unsigned int op, struct vg_remote_msg *ret)
{
	const struct vg_provider *pv;
	struct vg_remote_lent *sl;
	int v = 0, rc;

	if (op == VG_REMOTE_OPEN)
		return do_open(s, m, ret);
	sl = find(s, m);
	if (!sl)
		return -EBADF;
	if (op == VG_REMOTE_CLOSE) {
		give_back(s, sl);
		return 0;
	}
	if (!sl->line)
		return -EACCES; /* revoked */
	pv = &sl->prov;
	/* The policy's rights, checked here too: the worker is not trusted. */
	if ((op == VG_REMOTE_SET_DIRECTION && vg_le32_get(m->a) == VG_DIR_OUT &&
	     !may_drive(sl->allow, vg_le32_get(m->b))) ||
	    (op == VG_REMOTE_SET_VALUE &&
	     !may_drive(sl->allow, vg_le32_get(m->a))) ||
	    (op == VG_REMOTE_SET_EDGE && vg_le32_get(m->a) &&
	     !(sl->allow & VG_REMOTE_ALLOW_IRQ)))
		return -EPERM;
	switch (op) {
	case VG_REMOTE_SET_DIRECTION:
		return pv->ops->set_direction(pv->ctx, sl->line,
					      (enum vg_dir)vg_le32_get(m->a),
					      (int)vg_le32_get(m->b));
	case VG_REMOTE_GET_VALUE:
		rc = pv->ops->get_value(pv->ctx, sl->line, &v);
		ret->a = vg_le32_put(!rc && v);
		return rc;
	case VG_REMOTE_SET_VALUE:
		return pv->ops->set_value(pv->ctx, sl->line,
					  (int)vg_le32_get(m->a));
	default: /* VG_REMOTE_SET_EDGE; vg_remote_check() let no other in */
		return pv->ops->set_edge(pv->ctx, sl->line, vg_le32_get(m->a));
	}
}

static bool peer_dead(struct vg_remote_server *s, const char *why)
{
	if (!s->dead)
		vg_log_warnx(s->p.log, "remote peer: %s", why);
	s->dead = true;
	return false;
}

bool vg_remote_server_run(struct vg_remote_server *s)
{
	struct vg_remote_msg m, ret;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	const char *why;
	unsigned int i, op;
	ssize_t n;
	int rc;

	for (i = 0; i < VG_REMOTE_BATCH && !s->dead; i++) {
		mh.msg_flags = 0;
		do {
			n = recvmsg(s->p.fd, &mh, MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return peer_dead(s, n ? "receive failed" : "gone");
		/* Passed fds do not fit the empty control buffer: closed. */
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			return peer_dead(s, "oversized packet or fds");
		if (vg_remote_check(&m, (size_t)n, false, &why))
			return peer_dead(s, why);
		op = vg_le16_get(m.op);
		memset(&ret, 0, sizeof(ret));
		ret.version = m.version;
		ret.op = m.op;
		ret.handle = m.handle;
		rc = serve(s, &m, op, &ret);
		ret.rc = vg_le32_put((uint32_t)rc);
		if (send(s->p.fd, &ret, sizeof(ret),
			 MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(ret))
			return peer_dead(s, "does not read its returns");
	}
	return !s->dead;
}

int vg_remote_server_new(const struct vg_remote_server_params *p,
			 struct vg_remote_server **out)
{
	struct vg_remote_server *s;

	if (!p->lend || !p->give_back) {
		close(p->fd);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(p->fd);
		return -ENOMEM;
	}
	s->p = *p;
	*out = s;
	return 0;
}

int vg_remote_server_fd(const struct vg_remote_server *s)
{
	return s->p.fd;
}

unsigned int vg_remote_server_lines(const struct vg_remote_server *s)
{
	return s->nlines;
}

void vg_remote_server_free(struct vg_remote_server *s)
{
	unsigned int h;

	if (!s)
		return;
	for (h = 0; h < VG_REMOTE_LINES_MAX; h++)
		if (s->lines[h])
			give_back(s, s->lines[h]);
	close(s->p.fd);
	free(s);
}
