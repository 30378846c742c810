// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <vgpio/loop_proto.h>
#include "gram.h"
#include "listen.h"
#include "loop.h"

/* Packets read from one guest per wakeup, so a flood cannot starve others. */
#define VG_LOOP_READ_BATCH 32
/*
 * Connections that have not said HELLO yet. A new one beyond this evicts
 * the oldest: with no timers to reap them, a client sitting on idle
 * connections would otherwise lock every guest out. Attached connections
 * are bounded by the configured domains (one guest per domain).
 */
#define VG_LOOP_MAX_IDLE 16
/*
 * Largest guest RAM we map. A device needs a few pages; a sparse memfd of
 * many TiB would otherwise take the daemon's address space from the other
 * guests (and from malloc).
 */
#define VG_LOOP_RAM_MAX (1ull << 30)
/* fds we take from one guest packet; more are closed. */
#define VG_LOOP_MAX_FDS 8
/* A hand-off carries the connection and the fds of its HELLO. */
#define VG_LOOP_HANDOFF_MAX_FDS (VG_LOOP_MAX_FDS + 1)
/* on_hello(): the connection went to the owner's route() (route mode). */
#define VG_LOOP_ROUTED 1

struct vg_loop_conn {
	struct vg_loop *loop;
	struct vg_loop_conn *prev, *next;
	int fd;
	bool attached; /* HELLO accepted, owner's detach() due */
	char domain[VG_LOOP_DOMAIN_MAX];
	uint8_t *ram;
	size_t ram_len;
	struct vg_gram gram;
	struct vg_bus bus;
	struct vg_guest_info info;
	struct vg_mmio *mmio;
	/* A reply the socket had no room for; reading stops until it is out. */
	bool reply_pending;
	struct vg_loop_msg reply;
	unsigned long irqs_dropped;
};

struct vg_loop {
	struct vg_evloop *ev;
	struct vg_listener lis;
	const struct vg_guest_hooks *hooks;
	void *arg;
	/* route, handoff_fd and handoff_closed as configured (path unused) */
	struct vg_loop_config cfg;
	bool handoff_watched; /* handoff_fd is in the event loop */
	struct vg_log log;
	bool has_log;
	struct vg_loop_conn *conns; /* newest first */
	unsigned int nidle; /* connections without an accepted HELLO */
};

static struct vg_log *loop_log(struct vg_loop *loop)
{
	return loop->has_log ? &loop->log : NULL;
}

/*
 * Where a connection's guest-triggered messages go: once attached, its
 * domain's own source (the register file's, guest.h), so a noisy guest
 * uses up only its own domain's budget; before that, the listener's,
 * which only connections without an accepted HELLO share.
 */
static struct vg_log *conn_log(struct vg_loop_conn *c)
{
	return c->attached ? c->mmio->log : loop_log(c->loop);
}

/* --- packets -------------------------------------------------------------- */

struct packet {
	union {
		struct vg_loop_hello hello;
		struct vg_loop_msg msg;
	} u;
	size_t len;
	int flags; /* msg_flags */
	int fds[VG_LOOP_HANDOFF_MAX_FDS];
	unsigned int nfds;
};

/*
 * Receive one packet with at most @maxfds fds (<= VG_LOOP_HANDOFF_MAX_FDS).
 * Those are in p->fds (the caller closes them); any more are closed here
 * and the packet is marked MSG_CTRUNC. 1 on a packet, 0 on EOF, -EAGAIN,
 * or -errno.
 */
static int recv_packet(int fd, struct packet *p, unsigned int maxfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VG_LOOP_HANDOFF_MAX_FDS)];
	} cbuf;
	struct iovec iov = {.iov_base = &p->u, .iov_len = sizeof(p->u)};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		/* Rounded up for alignment: room for a few more than asked. */
		.msg_controllen = CMSG_SPACE(sizeof(int) * maxfds),
	};
	struct cmsghdr *cm;
	ssize_t r;

	p->nfds = 0;
	do {
		r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int got;

			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (p->nfds < maxfds) {
				p->fds[p->nfds++] = got;
			} else {
				close(got);
				mh.msg_flags |= MSG_CTRUNC;
			}
		}
	}
	p->len = (size_t)r;
	p->flags = mh.msg_flags;
	return r == 0 && !p->nfds ? 0 : 1;
}

static void close_fds(struct packet *p)
{
	unsigned int i;

	for (i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	p->nfds = 0;
}

/* --- connections ---------------------------------------------------------- */

/* Take @c out of its loop's list and free it. */
static void conn_unlink_free(struct vg_loop_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->loop->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void conn_drop(struct vg_loop_conn *c)
{
	struct vg_loop *loop = c->loop;

	if (c->attached)
		loop->hooks->detach(loop->arg, c);
	else
		loop->nidle--;
	vg_evloop_del(loop->ev, c->fd);
	close(c->fd);
	if (c->ram)
		munmap(c->ram, c->ram_len);
	conn_unlink_free(c);
}

/* Unlink @c and free it; its fd is no longer ours nor watched. */
static void conn_forget(struct vg_loop_conn *c)
{
	c->loop->nidle--;
	conn_unlink_free(c);
}

static void evict_oldest_idle(struct vg_loop *loop);
static void conn_event(void *arg, uint32_t events);

/*
 * A connection on @fd that has not said HELLO yet, watched for EPOLLIN.
 * NULL (logged) if it cannot be taken; @fd is then still the caller's.
 */
static struct vg_loop_conn *conn_new(struct vg_loop *loop, int fd)
{
	struct vg_loop_conn *c;

	if (loop->nidle >= VG_LOOP_MAX_IDLE)
		evict_oldest_idle(loop);
	c = calloc(1, sizeof(*c));
	if (c) {
		c->loop = loop;
		c->fd = fd;
	}
	if (!c || vg_evloop_add(loop->ev, fd, EPOLLIN, conn_event, c)) {
		vg_log_warnx(loop_log(loop), "cannot take a connection");
		free(c);
		return NULL;
	}
	c->next = loop->conns;
	if (c->next)
		c->next->prev = c;
	loop->conns = c;
	loop->nidle++;
	return c;
}

static void send_welcome(struct vg_loop_conn *c, int status, const char *reason)
{
	struct vg_loop_welcome w;

	memset(&w, 0, sizeof(w));
	w.type = vg_le16_put(VG_LOOP_WELCOME);
	w.status = vg_le32_put((uint32_t)status);
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
	/* A fresh socket has room; if not, the guest sees the close. */
	send(c->fd, &w, sizeof(w), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Refuse a HELLO: WELCOME with @status and the reason; caller drops @c. */
static int refuse(struct vg_loop_conn *c, int status, const char *fmt, ...)
	VG_PRINTF(3, 4);
static int refuse(struct vg_loop_conn *c, int status, const char *fmt, ...)
{
	char reason[VG_LOOP_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	vg_log_guest(loop_log(c->loop), "refusing guest: %s", reason);
	send_welcome(c, status, reason);
	return -status;
}

/*
 * Map the guest's RAM memfd. It is sealed against shrinking first: a guest
 * that truncated it under our mapping would make our next access SIGBUS.
 */
static int map_ram(struct vg_loop_conn *c, int fd, uint64_t size)
{
	struct statfs sfs;
	struct stat st;
	void *p;
	int seals;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return refuse(c, EINVAL, "guest RAM fd is not a memfd");
	/*
	 * hugetlbfs memfds can be sealed too, but a huge page punched out of
	 * the file is allocated again at our next fault, and an empty pool
	 * turns that fault into SIGBUS. tmpfs allocates or OOMs, never that.
	 */
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		return refuse(c, EINVAL, "guest RAM fd is not a tmpfs memfd");
	if (!(seals & F_SEAL_SHRINK) &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return refuse(c, EPERM,
			      "cannot seal guest RAM memfd against shrinking "
			      "(create it with MFD_ALLOW_SEALING)");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(c, EINVAL, "guest RAM fd is not a memfd");
	if (size > (uint64_t)st.st_size)
		return refuse(c, EINVAL,
			      "ram_size %llu exceeds the memfd size %lld",
			      (unsigned long long)size, (long long)st.st_size);
	if (size > SIZE_MAX)
		return refuse(c, EINVAL, "ram_size too large");
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return refuse(c, errno, "cannot map guest RAM: %s",
			      strerror(errno));
	c->ram = p;
	c->ram_len = (size_t)size;
	return 0;
}

/*
 * The claimed name goes into log lines and WELCOME reasons: no control
 * bytes, so a guest cannot forge log lines or terminal escapes.
 */
static bool domain_printable(const char *name)
{
	for (; *name; name++)
		if ((unsigned char)*name < 0x20 || *name == 0x7f)
			return false;
	return true;
}

/*
 * What every HELLO must pass before anything is done with it, route mode
 * included: a whole packet, a HELLO of our version (the layout of what
 * follows depends on it), and a domain name fit for a log line. Checks
 * the copy in @p, in wire order.
 */
static int hello_check_head(struct vg_loop_conn *c, const struct packet *p)
{
	const struct vg_loop_hello *h = &p->u.hello;
	uint32_t version;

	if (p->flags & (MSG_TRUNC | MSG_CTRUNC))
		return refuse(c, EMSGSIZE, "truncated HELLO");
	if (p->len != sizeof(*h))
		return refuse(c, EINVAL, "HELLO is %zu bytes, expected %zu",
			      p->len, sizeof(*h));
	if (vg_le16_get(h->type) != VG_LOOP_HELLO)
		return refuse(c, EPROTO, "first message is not HELLO");
	if (vg_le32_get(h->magic) != VG_LOOP_MAGIC)
		return refuse(c, EPROTO, "bad magic 0x%08x",
			      vg_le32_get(h->magic));
	version = vg_le32_get(h->version);
	if (version != VG_LOOP_VERSION)
		return refuse(c, EPROTONOSUPPORT,
			      "unsupported version %u (want %u)", version,
			      VG_LOOP_VERSION);
	if (!memchr(h->domain, '\0', sizeof(h->domain)) || !h->domain[0])
		return refuse(c, EINVAL, "domain name empty or unterminated");
	if (!domain_printable(h->domain))
		return refuse(c, EINVAL, "domain name has control characters");
	return 0;
}

/*
 * Route mode: the owner's route() takes the connection, the HELLO and its
 * fds as they came; nothing else of the HELLO is judged here and guest
 * RAM is never mapped. VG_LOOP_ROUTED (@c is then the caller's to forget)
 * or -errno after a refusal.
 */
static int hello_route(struct vg_loop_conn *c, struct packet *p)
{
	struct vg_loop *loop = c->loop;
	char reason[VG_LOOP_REASON_MAX] = "";
	int rc;

	/*
	 * Unwatched before the fd can leave: epoll keys a watch by fd and
	 * file, and a file that lives on elsewhere (in flight, in a worker)
	 * would keep this closed fd's watch alive.
	 */
	vg_evloop_del(loop->ev, c->fd);
	rc = loop->cfg.route(loop->cfg.route_arg, p->u.hello.domain, c->fd,
			     &p->u.hello, p->len, p->fds, p->nfds, reason,
			     sizeof(reason));
	if (rc) {
		rc = rc > 0 ? rc : -rc;
		reason[sizeof(reason) - 1] = '\0';
		return refuse(c, rc, "%s", reason[0] ? reason : strerror(rc));
	}
	p->nfds = 0;
	c->fd = -1;
	return VG_LOOP_ROUTED;
}

/* The rest of a HELLO, in wire order; then map, then attach. */
static int hello_attach(struct vg_loop_conn *c, struct packet *p)
{
	struct vg_loop *loop = c->loop;
	const struct vg_loop_hello *h = &p->u.hello;
	char reason[VG_LOOP_REASON_MAX] = "";
	uint64_t base, size, gt_addr, gt_len;
	uint32_t flags, entries;
	int fd, rc;

	flags = vg_le32_get(h->flags);
	if (flags & ~VG_LOOP_F_GRANTS)
		return refuse(c, EINVAL, "unknown flags 0x%x",
			      flags & ~VG_LOOP_F_GRANTS);
	if (p->nfds != 1)
		return refuse(c, EINVAL,
			      "HELLO needs exactly one memfd, got %u", p->nfds);
	base = vg_le64_get(h->ram_base);
	size = vg_le64_get(h->ram_size);
	if (size == 0 || size - 1 > UINT64_MAX - base)
		return refuse(c, EINVAL, "bad RAM range");
	if (size > VG_LOOP_RAM_MAX)
		return refuse(c, EINVAL, "ram_size %llu over the limit of %llu",
			      (unsigned long long)size, VG_LOOP_RAM_MAX);
	gt_addr = vg_le64_get(h->gnttab_addr);
	entries = vg_le32_get(h->gnttab_entries);
	gt_len = (uint64_t)entries * sizeof(struct vg_grant_entry);
	if ((flags & VG_LOOP_F_GRANTS) &&
	    (entries == 0 || gt_addr < base || gt_addr - base > size ||
	     gt_len > size - (gt_addr - base)))
		return refuse(c, EINVAL, "grant table outside guest RAM");

	fd = p->fds[0];
	p->nfds = 0;
	rc = map_ram(c, fd, size);
	close(fd);
	if (rc)
		return rc;

	memcpy(c->domain, h->domain, sizeof(c->domain));
	c->gram = (struct vg_gram){
		.host = c->ram,
		.base = base,
		.size = size,
		.grants = flags & VG_LOOP_F_GRANTS,
		.gnttab_addr = gt_addr,
		.gnttab_entries = entries,
		.max_piece = vg_le32_get(h->max_piece),
	};
	c->bus = (struct vg_bus){&vg_loop_transport_ops, c};
	c->info = (struct vg_guest_info){
		.transport = "loop",
		.domid = -1,
		.devid = -1,
		.memory = c->gram.grants ? "grant" : "memfd",
		.state = "connected",
	};
	rc = loop->hooks->attach(loop->arg, c, h->domain, &c->bus, &c->info,
				 &c->mmio, reason, sizeof(reason));
	if (rc) {
		reason[sizeof(reason) - 1] = '\0';
		return refuse(c, rc > 0 ? rc : -rc, "%s", reason);
	}
	c->attached = true;
	loop->nidle--;
	/* Guest-triggered like every line here: a reconnect loop is limited. */
	vg_log_guest_info(
		conn_log(c), "loop guest connected (ram %llu bytes%s)",
		(unsigned long long)size, c->gram.grants ? ", grants" : "");
	send_welcome(c, 0, "");
	return 0;
}

/*
 * A HELLO just read from @c, or handed over with it (adopt()): one path
 * for both. 0 attached, VG_LOOP_ROUTED, or -errno after a refusal.
 */
static int on_hello(struct vg_loop_conn *c, struct packet *p)
{
	int rc = hello_check_head(c, p);

	if (rc)
		return rc;
	if (c->loop->cfg.route)
		return hello_route(c, p);
	return hello_attach(c, p);
}

static int send_reply(struct vg_loop_conn *c)
{
	ssize_t r;

	r = send(c->fd, &c->reply, sizeof(c->reply),
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* Resume reading once this reply is out (conn_event). */
		c->reply_pending = true;
		return vg_evloop_mod(c->loop->ev, c->fd, EPOLLOUT);
	}
	/* Other errors mean the guest is gone; its hang-up drops it. */
	c->reply_pending = false;
	return 0;
}

static int on_access(struct vg_loop_conn *c, struct packet *p)
{
	const struct vg_loop_msg *m = &p->u.msg;
	unsigned int type = vg_le16_get(m->type);
	unsigned int size = vg_le16_get(m->size);
	uint64_t addr = vg_le64_get(m->addr);
	uint64_t data = 0;

	if (p->flags & (MSG_TRUNC | MSG_CTRUNC) || p->nfds ||
	    p->len != sizeof(*m) ||
	    (type != VG_LOOP_MMIO_READ && type != VG_LOOP_MMIO_WRITE)) {
		vg_log_guest(conn_log(c),
			     "malformed packet (%zu bytes, type %u%s), "
			     "disconnecting",
			     p->len, p->len >= 2 ? type : 0,
			     p->nfds ? ", with fds" : "");
		return -EPROTO;
	}
	/* The register file's choke point judges size and address. */
	if (type == VG_LOOP_MMIO_READ)
		data = vg_mmio_read(c->mmio, addr, size);
	else
		vg_mmio_write(c->mmio, addr, size, vg_le64_get(m->data));
	c->reply = *m;
	c->reply.type = vg_le16_put(VG_LOOP_MMIO_REPLY);
	c->reply.data = vg_le64_put(data);
	return send_reply(c);
}

/* Read up to a batch of packets. Returns false if @c was dropped. */
static bool conn_read(struct vg_loop_conn *c)
{
	struct packet p;
	int i, rc;

	for (i = 0; i < VG_LOOP_READ_BATCH && !c->reply_pending; i++) {
		rc = recv_packet(c->fd, &p, VG_LOOP_MAX_FDS);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			return true;
		if (rc == 0) {
			if (c->attached)
				vg_log_guest_info(conn_log(c),
						  "loop guest disconnected");
			conn_drop(c);
			return false;
		}
		if (rc < 0) {
			vg_log_guest(conn_log(c), "%sguest connection: %s",
				     c->attached ? "" : "(no HELLO) ",
				     strerror(-rc));
			conn_drop(c);
			return false;
		}
		rc = c->attached ? on_access(c, &p) : on_hello(c, &p);
		close_fds(&p);
		if (rc == VG_LOOP_ROUTED) {
			conn_forget(c);
			return false;
		}
		if (rc) {
			conn_drop(c);
			return false;
		}
	}
	return true;
}

static void conn_event(void *arg, uint32_t events)
{
	struct vg_loop_conn *c = arg;

	if ((events & EPOLLOUT) && c->reply_pending) {
		if (send_reply(c) < 0) {
			conn_drop(c);
			return;
		}
		if (!c->reply_pending &&
		    vg_evloop_mod(c->loop->ev, c->fd, EPOLLIN) < 0) {
			conn_drop(c);
			return;
		}
	}
	if (events & EPOLLIN) {
		if (!conn_read(c))
			return;
	}
	/* Hung up with nothing left to read (or an error on the socket). */
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		if (c->attached)
			vg_log_guest_info(conn_log(c), "loop guest hung up");
		conn_drop(c);
	}
}

/* Make room for a new connection: close the oldest one without HELLO. */
static void evict_oldest_idle(struct vg_loop *loop)
{
	struct vg_loop_conn *c, *oldest = NULL;

	for (c = loop->conns; c; c = c->next)
		if (!c->attached)
			oldest = c;
	if (!oldest)
		return;
	vg_log_guest(loop_log(loop),
		     "too many connections without HELLO, closing the oldest");
	conn_drop(oldest);
}

static void listen_event(void *arg, uint32_t events)
{
	struct vg_loop *loop = arg;
	int i, fd;

	(void)events;
	for (i = 0; i < 16; i++) {
		fd = accept4(loop->lis.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				vg_log_warn(loop_log(loop), "accept");
			return;
		}
		if (!conn_new(loop, fd))
			close(fd);
	}
}

/* --- hand-off -------------------------------------------------------------- */

int vg_loop_handoff_send(int sock, int fd, const void *hello, size_t len,
			 const int *fds, unsigned int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VG_LOOP_HANDOFF_MAX_FDS)];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)hello,
			    .iov_len = len};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * (nfds + 1)),
	};
	struct cmsghdr *cm;
	unsigned int i;
	ssize_t r;

	if (nfds > VG_LOOP_MAX_FDS || len > sizeof(struct vg_loop_hello) ||
	    fd < 0)
		return -EINVAL;
	memset(&cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (nfds + 1));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (nfds)
		memcpy(CMSG_DATA(cm) + sizeof(int), fds, sizeof(int) * nfds);
	do {
		r = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	/* A SOCK_SEQPACKET send is whole or fails. */
	close(fd);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return 0;
}

static bool is_seqpacket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_SEQPACKET;
}

/*
 * One hand-off packet: take its connection and run its HELLO through
 * on_hello() as if just read from it. The parent is trusted more than a
 * guest, but a malformed packet (a parent's bug) is only logged: its fds
 * are closed by the caller.
 */
static void handoff_adopt(struct vg_loop *loop, struct packet *p)
{
	const char *why = NULL;
	struct vg_loop_conn *c;
	int fd, fl, rc;

	if (p->flags & MSG_TRUNC)
		why = "oversized";
	else if (p->flags & MSG_CTRUNC)
		why = "too many fds";
	else if (!p->nfds)
		why = "no connection";
	else if (!is_seqpacket(p->fds[0]))
		why = "the connection is not a SOCK_SEQPACKET socket";
	if (why) {
		/* Rate-limited all the same: a bug could repeat it at will. */
		vg_log_guest(loop_log(loop),
			     "malformed hand-off (%zu bytes, %u fds): %s; "
			     "dropped",
			     p->len, p->nfds, why);
		return;
	}
	fd = p->fds[0];
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		vg_log_warn(loop_log(loop), "hand-off");
		return;
	}
	c = conn_new(loop, fd);
	if (!c)
		return;
	/* The connection is @c's now; the HELLO keeps its own fds. */
	p->nfds--;
	memmove(p->fds, p->fds + 1, sizeof(int) * p->nfds);
	rc = on_hello(c, p);
	/* A worker has no route(), so never VG_LOOP_ROUTED. */
	if (rc)
		conn_drop(c);
}

/* The hand-off socket's end: stop watching, tell the owner once. */
static void handoff_end(struct vg_loop *loop, int rc)
{
	vg_evloop_del(loop->ev, loop->cfg.handoff_fd);
	loop->handoff_watched = false;
	if (rc)
		vg_log_warnx(loop_log(loop), "hand-off socket: %s",
			     strerror(-rc));
	else
		vg_log_info(loop_log(loop), "hand-off socket closed");
	if (loop->cfg.handoff_closed)
		loop->cfg.handoff_closed(loop->cfg.handoff_arg);
}

/*
 * recvmsg() returns 0 for an empty packet and for EOF alike; only the
 * socket's state tells them apart.
 */
static bool peer_gone(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
	int r = poll(&pfd, 1, 0);

	return r < 0 ||
	       (r == 1 &&
		(pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)));
}

static void handoff_event(void *arg, uint32_t events)
{
	struct vg_loop *loop = arg;
	struct packet p;
	int i, rc;

	(void)events;
	for (i = 0; i < VG_LOOP_READ_BATCH; i++) {
		rc = recv_packet(loop->cfg.handoff_fd, &p,
				 VG_LOOP_HANDOFF_MAX_FDS);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			return;
		if (rc == 0 && !peer_gone(loop->cfg.handoff_fd)) {
			vg_log_guest(loop_log(loop),
				     "malformed hand-off (empty), dropped");
			continue;
		}
		if (rc <= 0) {
			handoff_end(loop, rc);
			return;
		}
		handoff_adopt(loop, &p);
		close_fds(&p);
	}
}

/* --- the transport ops ---------------------------------------------------- */

static void *loop_map(void *ctx, uint64_t addr, size_t len, unsigned int prot,
		      size_t *contig)
{
	struct vg_loop_conn *c = ctx;

	return vg_gram_map(&c->gram, addr, len, prot, contig);
}

/*
 * Edge semantics: only a raise is sent. Non-blocking; if the socket is
 * full the IRQ is dropped, and the guest, which handles IRQs by reading
 * InterruptStatus, catches up on its next access. Never drops the
 * connection here: we are inside the device's code.
 */
static void loop_set_irq(void *ctx, int level)
{
	struct vg_loop_conn *c = ctx;
	struct vg_loop_msg m;

	if (!level)
		return;
	memset(&m, 0, sizeof(m));
	m.type = vg_le16_put(VG_LOOP_IRQ);
	if (send(c->fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		c->irqs_dropped++;
}

const struct vg_transport_ops vg_loop_transport_ops = {
	.name = "loop",
	.map = loop_map,
	.set_irq = loop_set_irq,
};

/* --- the listener --------------------------------------------------------- */

int vg_loop_new(struct vg_evloop *ev, const struct vg_loop_config *cfg,
		const struct vg_guest_hooks *hooks, void *arg,
		struct vg_log *log, struct vg_loop **out)
{
	struct vg_loop *loop;
	int rc;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->ev = ev;
	loop->hooks = hooks;
	loop->arg = arg;
	loop->cfg = *cfg;
	loop->cfg.path = NULL;
	loop->lis.fd = -1;
	if (log) {
		vg_log_init(&loop->log, log->sink, "loop");
		loop->has_log = true;
	}
	if (cfg->path) {
		rc = vg_listener_open(&loop->lis, ev, cfg->path, SOCK_SEQPACKET,
				      log, listen_event, loop);
		if (rc)
			goto err;
		*out = loop;
		return 0;
	}
	rc = -EINVAL;
	if (cfg->route) {
		vg_log_warnx(loop_log(loop), "route mode needs a socket path");
		goto err;
	}
	if (!is_seqpacket(cfg->handoff_fd)) {
		vg_log_warnx(loop_log(loop),
			     "hand-off fd %d is not a SOCK_SEQPACKET socket",
			     cfg->handoff_fd);
		goto err;
	}
	rc = vg_evloop_add(ev, cfg->handoff_fd, EPOLLIN, handoff_event, loop);
	if (rc) {
		vg_log_warnx(loop_log(loop), "cannot watch the hand-off fd: %s",
			     strerror(-rc));
		goto err;
	}
	loop->handoff_watched = true;
	*out = loop;
	return 0;
err:
	free(loop);
	return rc;
}

void vg_loop_free(struct vg_loop *loop)
{
	if (!loop)
		return;
	while (loop->conns)
		conn_drop(loop->conns);
	vg_listener_close(&loop->lis);
	if (loop->handoff_watched)
		vg_evloop_del(loop->ev, loop->cfg.handoff_fd);
	free(loop);
}

/* --- the transport class -------------------------------------------------- */

struct loop_handle {
	struct vg_log log;
	struct vg_loop *loop;
};

static int loop_start(const void *cfg, const struct vg_transport_env *env,
		      void **handle)
{
	struct vg_loop_config routed, *c = (struct vg_loop_config *)cfg;
	struct loop_handle *h;
	int rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	/* An owner that serves guests in workers routes a listener's. */
	if (c->path && !c->route && env->hooks->route) {
		routed = *c;
		routed.route = env->hooks->route;
		routed.route_arg = env->hooks_arg;
		c = &routed;
	}
	vg_log_init(&h->log, env->sink, "loop");
	rc = vg_loop_new(env->ev, c, env->hooks, env->hooks_arg, &h->log,
			 &h->loop);
	if (rc) {
		free(h);
		return rc;
	}
	if (c->path)
		vg_log_info(&h->log, "listening on %s%s", c->path,
			    c->route ? " (routing guests to workers)" : "");
	else
		vg_log_info(&h->log, "serving guests handed over on fd %d",
			    c->handoff_fd);
	*handle = h;
	return 0;
}

static void loop_stop(void *handle)
{
	struct loop_handle *h = handle;

	vg_loop_free(h->loop);
	free(h);
}

static void loop_devices(void *handle, vg_guest_device_fn fn, void *arg)
{
	struct loop_handle *h = handle;
	struct vg_loop_conn *c;

	for (c = h->loop->conns; c; c = c->next)
		if (c->attached)
			fn(arg, c, c->domain, &c->info, true);
}

const struct vg_transport_class vg_loop_class = {
	.name = "loop",
	.start = loop_start,
	.stop = loop_stop,
	.devices = loop_devices,
};
