// SPDX-License-Identifier: BSD-3-Clause
/*
 * The loop transport, guest side: one SOCK_SEQPACKET connection to vgpiod.
 * A register access is one MMIO_READ/MMIO_WRITE packet answered by one
 * MMIO_REPLY with the same seq; IRQ packets may arrive at any time, also
 * between an access and its reply, and are remembered until wait_irq().
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <vgpio/loop_proto.h>
#include "drv.h"
#include "wire.h"

/* A daemon that does not answer a register access within this is gone. */
#define LOOP_REPLY_TIMEOUT_MS 10000

struct wire_loop {
	int fd;
	uint32_t seq;
	unsigned long irqs; /* IRQ packets not yet consumed by wait_irq */
};

static int64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until @fd is readable or @deadline (ms, -1 = none) passed: 1, 0 on
 * timeout, -errno.
 */
static int loop_poll(int fd, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int timeout = -1;
	int r;

	if (deadline >= 0) {
		int64_t left = deadline - loop_now_ms();

		timeout = left > 0 ? (int)left : 0;
	}
	do
		r = poll(&pfd, 1, timeout);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r > 0;
}

/* Receive one packet into @m: 0, -ECONNRESET on EOF, -EPROTO if short. */
static int loop_recv(struct wire_loop *l, struct vg_loop_msg *m, int flags)
{
	ssize_t r;

	do
		r = recv(l->fd, m, sizeof(*m), flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ECONNRESET;
	if ((size_t)r != sizeof(*m))
		return -EPROTO;
	return 0;
}

static int loop_mmio(void *w, bool write, uint64_t off, unsigned int size,
		     uint64_t *val)
{
	struct wire_loop *l = w;
	int64_t deadline = loop_now_ms() + LOOP_REPLY_TIMEOUT_MS;
	struct vg_loop_msg m = {0};
	uint32_t seq = ++l->seq;
	ssize_t r;
	int rc;

	if (size > UINT16_MAX)
		return -EINVAL;
	m.type = vg_le16_put(write ? VG_LOOP_MMIO_WRITE : VG_LOOP_MMIO_READ);
	m.size = vg_le16_put((uint16_t)size);
	m.seq = vg_le32_put(seq);
	m.addr = vg_le64_put(off);
	m.data = vg_le64_put(write ? *val : 0);
	do
		r = send(l->fd, &m, sizeof(m), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (;;) {
		rc = loop_poll(l->fd, deadline);
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
		rc = loop_recv(l, &m, 0);
		if (rc)
			return rc;
		switch (vg_le16_get(m.type)) {
		case VG_LOOP_IRQ:
			l->irqs++;
			continue;
		case VG_LOOP_MMIO_REPLY:
			if (vg_le32_get(m.seq) != seq)
				return -EPROTO;
			if (!write)
				*val = vg_le64_get(m.data);
			return 0;
		default:
			return -EPROTO;
		}
	}
}

static int loop_wait_irq(void *w, int timeout_ms)
{
	struct wire_loop *l = w;
	int64_t deadline = timeout_ms < 0 ? -1 : loop_now_ms() + timeout_ms;
	struct vg_loop_msg m;
	int rc;

	while (!l->irqs) {
		rc = loop_poll(l->fd, deadline);
		if (rc <= 0)
			return rc;
		rc = loop_recv(l, &m, 0);
		if (rc)
			return rc;
		if (vg_le16_get(m.type) != VG_LOOP_IRQ)
			return -EPROTO; /* a reply nobody asked for */
		l->irqs++;
	}
	/* Coalesce what is already queued, like a level-triggered line. */
	while (loop_recv(l, &m, MSG_DONTWAIT) == 0) {
		if (vg_le16_get(m.type) != VG_LOOP_IRQ)
			return -EPROTO;
	}
	l->irqs = 0;
	return 1;
}

static void loop_close(void *w)
{
	struct wire_loop *l = w;

	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

static const struct vg_shim_wire_ops loop_ops = {
	.name = "loop",
	.mmio = loop_mmio,
	.wait_irq = loop_wait_irq,
	.close = loop_close,
};

static int loop_send_hello(struct wire_loop *l,
			   const struct vg_shim_loop_params *p)
{
	const struct vg_drv_mem *mem = p->mem;
	struct vg_loop_hello h;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t r;

	memset(&h, 0, sizeof(h));
	memset(&u, 0, sizeof(u));
	h.type = vg_le16_put(VG_LOOP_HELLO);
	h.magic = vg_le32_put(VG_LOOP_MAGIC);
	h.version = vg_le32_put(VG_LOOP_VERSION);
	h.flags = vg_le32_put(mem->grants ? VG_LOOP_F_GRANTS : 0);
	memcpy(h.domain, p->domain, strlen(p->domain));
	h.ram_base = vg_le64_put(mem->base);
	h.ram_size = vg_le64_put(mem->size);
	h.gnttab_addr = vg_le64_put(mem->grants ? mem->gnttab : 0);
	h.gnttab_entries = vg_le32_put(mem->grants ? mem->nr_grants : 0);
	h.max_piece = vg_le32_put(p->max_piece);

	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mem->fd, sizeof(int));
	do
		r = sendmsg(l->fd, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == sizeof(h) ? 0 : -EPROTO;
}

static int loop_read_welcome(struct wire_loop *l, char *err, size_t errlen)
{
	struct vg_loop_welcome wl;
	uint32_t status;
	ssize_t r;
	int rc;

	rc = loop_poll(l->fd, loop_now_ms() + LOOP_REPLY_TIMEOUT_MS);
	if (rc <= 0) {
		snprintf(err, errlen, "no WELCOME from the daemon");
		return rc ? rc : -ETIMEDOUT;
	}
	do
		r = recv(l->fd, &wl, sizeof(wl), 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		rc = r ? -errno : -ECONNRESET;
		snprintf(err, errlen, "daemon closed the connection: %s",
			 strerror(-rc));
		return rc;
	}
	if ((size_t)r != sizeof(wl) ||
	    vg_le16_get(wl.type) != VG_LOOP_WELCOME) {
		snprintf(err, errlen, "malformed WELCOME from the daemon");
		return -EPROTO;
	}
	status = vg_le32_get(wl.status);
	if (status) {
		wl.reason[sizeof(wl.reason) - 1] = '\0';
		snprintf(err, errlen, "daemon refused: %s",
			 wl.reason[0] ? wl.reason : strerror((int)status));
		return status < 4096 ? -(int)status : -EPROTO;
	}
	return 0;
}

int vg_shim_wire_loop_open(const struct vg_shim_loop_params *p,
			   struct vg_shim_wire *out, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct wire_loop *l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(p->domain) >= VG_LOOP_DOMAIN_MAX || !p->domain[0]) {
		snprintf(err, errlen, "bad domain name '%s'", p->domain);
		return -EINVAL;
	}
	if (strlen(p->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", p->path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		goto err_free;
	}
	if (connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot connect to %s: %s", p->path,
			 strerror(-rc));
		goto err_free;
	}
	rc = loop_send_hello(l, p);
	if (rc) {
		snprintf(err, errlen, "sending HELLO: %s", strerror(-rc));
		goto err_free;
	}
	rc = loop_read_welcome(l, err, errlen);
	if (rc)
		goto err_free;
	out->ops = &loop_ops;
	out->ctx = l;
	return 0;

err_free:
	loop_close(l);
	return rc;
}

void vg_shim_wire_close(struct vg_shim_wire *w)
{
	if (w->ops && w->ops->close)
		w->ops->close(w->ctx);
	w->ops = NULL;
	w->ctx = NULL;
}
