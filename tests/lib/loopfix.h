/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the in-process daemon tests (test-loop.c, test-sec.c): a
 * real daemon object (backend/daemon/daemon.h) on real sockets in a fresh temp
 * dir, driven turn by turn from the test, and a hand-made loop guest so
 * that every HELLO field and packet can be wrong on purpose.
 *
 * Config: sim chip "chip" (lines a b c d); domain alpha has a (allow=out
 * safe=high) and b, domain beta has c and d. The sockets go in <dir>/run/,
 * which does not exist yet: the daemon creates it.
 *
 * Routed (vg_loopfix_new_routed): parent and worker in one daemon. The
 * loop socket is a route-mode loop transport whose route() (here, with
 * a record of each call) hands every guest over a socketpair to a second
 * loop transport in hand-off mode, which attaches it to the daemon's
 * domains as a worker would. Every helper below works the same.
 *
 * These helpers assert with cmocka, and the daemon's files are left out
 * of the fuzz build, while every .c in tests/lib is linked into the
 * fuzzers: hence static inline functions in a header rather than a .c.
 */
#ifndef VGPIO_TEST_LOOPFIX_H
#define VGPIO_TEST_LOOPFIX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_mmio.h>
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "tmpdir.h"

#define VG_LOOPFIX_RAM_BASE 0x40000000ull
#define VG_LOOPFIX_RAM_SIZE (64u * 1024)
#define VG_LOOPFIX_MAX_FDS 32u /* per packet, vg_loopfix_send_with_fds */

struct vg_loopfix {
	char dir[64];
	char loop_path[96];
	struct vg_loop_config lcfg;
	/* [0] the loop transport on loop_path; routed: [1] the worker's */
	struct vg_daemon_transport tp[2];
	/* Routed only: the worker's loop, hand-off socketpair, route() */
	bool routed;
	struct vg_loop_config wcfg;
	int handoff[2]; /* [0] the parent's end, [1] the worker's; or -1 */
	int route_status; /* non-zero: route() refuses with it */
	unsigned int routes; /* route() calls */
	char route_domain[VG_LOOP_DOMAIN_MAX];
	size_t route_len;
	unsigned int route_nfds;
	int route_seals; /* F_GET_SEALS of the HELLO's first fd, or -errno */
	bool route_mapped; /* that fd's file mapped in this process then */
	unsigned int handoff_closed; /* handoff_closed() calls */
	char ctl_path[96];
	int logpipe[2]; /* the daemon's log when captured, else -1 */
	struct vg_log_sink sink;
	struct vg_config *cfg;
	struct vg_daemon *d;
};

/* True if the file behind @fd is mapped anywhere in this process. */
static inline bool vg_loopfix_fd_mapped(int fd)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	unsigned int maj, mnr;
	unsigned long ino;
	char line[512];
	struct stat st;
	bool found = false;

	assert_non_null(maps);
	assert_int_equal(fstat(fd, &st), 0);
	while (!found && fgets(line, sizeof(line), maps))
		found = sscanf(line, "%*x-%*x %*s %*x %x:%x %lu", &maj, &mnr,
			       &ino) == 3 &&
			ino == st.st_ino && maj == major(st.st_dev) &&
			mnr == minor(st.st_dev);
	fclose(maps);
	return found;
}

/*
 * The parent's route(): record, then hand the guest to the worker's loop
 * (or refuse with f->route_status). Runs inside the daemon: no cmocka.
 */
static inline int vg_loopfix_route(void *arg, const char *domain, int fd,
				   const void *hello, size_t len,
				   const int *fds, unsigned int nfds,
				   char *reason, size_t reason_len)
{
	struct vg_loopfix *f = arg;
	int rc;

	f->routes++;
	snprintf(f->route_domain, sizeof(f->route_domain), "%s", domain);
	f->route_len = len;
	f->route_nfds = nfds;
	f->route_seals = nfds ? fcntl(fds[0], F_GET_SEALS) : -EBADF;
	if (nfds && f->route_seals < 0)
		f->route_seals = -errno;
	f->route_mapped = nfds && vg_loopfix_fd_mapped(fds[0]);
	if (f->route_status) {
		snprintf(reason, reason_len, "no worker for domain %s", domain);
		return f->route_status;
	}
	rc = vg_loop_handoff_send(f->handoff[0], fd, hello, len, fds, nfds);
	if (rc) {
		snprintf(reason, reason_len, "hand-off failed: %s",
			 strerror(-rc));
		return -rc;
	}
	return 0;
}

static inline void vg_loopfix_handoff_closed(void *arg)
{
	struct vg_loopfix *f = arg;

	f->handoff_closed++;
}

/*
 * A fresh daemon in /tmp/vgpio-test-@what-XXXXXX, routed or not (above).
 * Its log goes to stderr at VG_LOG_ERR, or with @capture_log at
 * VG_LOG_INFO into a non-blocking pipe that vg_loopfix_log_take() reads
 * (a full pipe drops log lines, it never blocks the daemon).
 */
static inline struct vg_loopfix *
vg_loopfix_new_mode(const char *what, bool capture_log, bool routed)
{
	static const char config[] = "[sim chip]\n"
				     "lines = 4\n"
				     "names = a b c d\n"
				     "[domain alpha]\n"
				     "lines = chip a b\n"
				     "line a = allow=out safe=high\n"
				     "[domain beta]\n"
				     "lines = chip c d\n";
	struct vg_loopfix *f = calloc(1, sizeof(*f));
	struct vg_daemon_params p = {0};
	char err[256];

	assert_non_null(f);
	f->logpipe[0] = f->logpipe[1] = -1;
	assert_int_equal(vg_tmpdir_new(f->dir, sizeof(f->dir), what), 0);
	snprintf(f->loop_path, sizeof(f->loop_path), "%s/run/loop.sock",
		 f->dir);
	snprintf(f->ctl_path, sizeof(f->ctl_path), "%s/run/control.sock",
		 f->dir);
	f->sink.level = VG_LOG_ERR;
	f->sink.fd = 2;
	if (capture_log) {
		assert_int_equal(pipe2(f->logpipe, O_CLOEXEC | O_NONBLOCK), 0);
		f->sink.level = VG_LOG_INFO;
		f->sink.fd = f->logpipe[1];
	}
	assert_int_equal(vg_config_parse(config, strlen(config), "test",
					 &f->cfg, err, sizeof(err)),
			 0);
	p.cfg = f->cfg;
	p.sink = &f->sink;
	f->lcfg.path = f->loop_path;
	f->tp[0] = (struct vg_daemon_transport){.cls = &vg_loop_class,
						.cfg = &f->lcfg};
	f->handoff[0] = f->handoff[1] = -1;
	f->routed = routed;
	if (routed) {
		assert_int_equal(socketpair(AF_UNIX,
					    SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
					    f->handoff),
				 0);
		f->lcfg.route = vg_loopfix_route;
		f->lcfg.route_arg = f;
		f->wcfg = (struct vg_loop_config){
			.handoff_fd = f->handoff[1],
			.handoff_closed = vg_loopfix_handoff_closed,
			.handoff_arg = f,
		};
		f->tp[1] = (struct vg_daemon_transport){.cls = &vg_loop_class,
							.cfg = &f->wcfg};
	}
	p.transports = f->tp;
	p.ntransports = routed ? 2 : 1;
	p.ctl_path = f->ctl_path;
	assert_int_equal(vg_daemon_new(&p, &f->d), 0);
	return f;
}

static inline struct vg_loopfix *vg_loopfix_new(const char *what,
						bool capture_log)
{
	return vg_loopfix_new_mode(what, capture_log, false);
}

static inline struct vg_loopfix *vg_loopfix_new_routed(const char *what,
						       bool capture_log)
{
	return vg_loopfix_new_mode(what, capture_log, true);
}

/*
 * Free the daemon and remove the temp dir with whatever a failed test
 * left in it; then check that the daemon's shutdown removed both sockets.
 * A test that replaced f->d must leave one on the original paths.
 */
static inline void vg_loopfix_free(struct vg_loopfix *f)
{
	bool loop_left, ctl_left;
	int rc;

	vg_daemon_free(f->d);
	loop_left = access(f->loop_path, F_OK) == 0;
	ctl_left = access(f->ctl_path, F_OK) == 0;
	vg_config_free(f->cfg);
	if (f->handoff[0] >= 0)
		close(f->handoff[0]);
	if (f->handoff[1] >= 0)
		close(f->handoff[1]);
	if (f->logpipe[0] >= 0) {
		close(f->logpipe[0]);
		close(f->logpipe[1]);
	}
	rc = vg_tmpdir_remove(f->dir);
	free(f);
	assert_false(loop_left);
	assert_false(ctl_left);
	assert_int_equal(rc, 0);
}

/* vg_loopfix_free() as a cmocka teardown; setups call vg_loopfix_new(). */
static inline int vg_loopfix_teardown(void **state)
{
	vg_loopfix_free(*state);
	return 0;
}

/* Open fds of this process (a leak shows as a difference). */
static inline int vg_loopfix_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

/* The daemon's log since the last call, NUL-terminated (needs capture). */
static inline size_t vg_loopfix_log_take(struct vg_loopfix *f, char *buf,
					 size_t len)
{
	size_t n = 0;
	ssize_t r;

	assert_true(f->logpipe[0] >= 0);
	while (n < len - 1 &&
	       (r = read(f->logpipe[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* Run turns until the daemon has nothing left to do. */
static inline void vg_loopfix_settle(struct vg_loopfix *f)
{
	int i;

	for (i = 0; i < 100 && vg_daemon_turn(f->d, 5) > 0; i++)
		;
}

/* A unix socket of @type connected to @path. */
static inline int vg_loopfix_connect(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* A connection to the loop socket that has not said anything yet. */
static inline int vg_loopfix_guest_socket(struct vg_loopfix *f)
{
	return vg_loopfix_connect(f->loop_path, SOCK_SEQPACKET);
}

/* A memfd of @size bytes to hand over as guest RAM. */
static inline int vg_loopfix_ram_new(size_t size, bool sealable)
{
	int fd = memfd_create("test-ram",
			      MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* A valid HELLO for @domain with the fixture's RAM layout. */
static inline void vg_loopfix_hello_init(struct vg_loop_hello *h,
					 const char *domain)
{
	memset(h, 0, sizeof(*h));
	h->type = vg_le16_put(VG_LOOP_HELLO);
	h->magic = vg_le32_put(VG_LOOP_MAGIC);
	h->version = vg_le32_put(VG_LOOP_VERSION);
	snprintf(h->domain, sizeof(h->domain), "%s", domain);
	h->ram_base = vg_le64_put(VG_LOOPFIX_RAM_BASE);
	h->ram_size = vg_le64_put(VG_LOOPFIX_RAM_SIZE);
}

/* Send @len bytes of @buf with @nfds (<= VG_LOOPFIX_MAX_FDS) attached. */
static inline void vg_loopfix_send_with_fds(int sock, const void *buf,
					    size_t len, const int *fds,
					    unsigned int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VG_LOOPFIX_MAX_FDS)];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	assert_true(nfds <= VG_LOOPFIX_MAX_FDS);
	if (nfds) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Run the daemon until @sock has a packet (returned, its length in the
 * result) or is closed (0). Fails the test after ~2 s.
 */
static inline ssize_t vg_loopfix_recv(struct vg_loopfix *f, int sock, void *buf,
				      size_t len)
{
	int i;

	for (i = 0; i < 200; i++) {
		ssize_t r = recv(sock, buf, len, MSG_DONTWAIT);

		if (r >= 0)
			return r;
		assert_true(errno == EAGAIN);
		assert_true(vg_daemon_turn(f->d, 10) >= 0);
	}
	fail_msg("daemon did not answer");
	return -1;
}

/* Expect a refusing WELCOME with @status and a reason, then the close. */
static inline void vg_loopfix_expect_refused(struct vg_loopfix *f, int sock,
					     uint32_t status)
{
	struct vg_loop_welcome w;
	char b;

	assert_int_equal(vg_loopfix_recv(f, sock, &w, sizeof(w)), sizeof(w));
	assert_int_equal(vg_le16_get(w.type), VG_LOOP_WELCOME);
	assert_int_equal(vg_le32_get(w.status), status);
	assert_non_null(memchr(w.reason, '\0', sizeof(w.reason)));
	assert_true(strlen(w.reason) > 0);
	assert_int_equal(vg_loopfix_recv(f, sock, &b, 1), 0);
}

static inline void vg_loopfix_expect_welcome(struct vg_loopfix *f, int sock)
{
	struct vg_loop_welcome w;

	assert_int_equal(vg_loopfix_recv(f, sock, &w, sizeof(w)), sizeof(w));
	assert_int_equal(vg_le16_get(w.type), VG_LOOP_WELCOME);
	assert_int_equal(vg_le32_get(w.status), 0);
}

/* One MMIO access of @type; returns the reply's data (seq checked). */
static inline uint64_t vg_loopfix_mmio(struct vg_loopfix *f, int sock,
				       uint16_t type, uint64_t addr,
				       uint16_t size, uint64_t data)
{
	static const uint32_t seq = 0x1234;
	struct vg_loop_msg m = {
		.type = vg_le16_put(type),
		.size = vg_le16_put(size),
		.seq = vg_le32_put(seq),
		.addr = vg_le64_put(addr),
		.data = vg_le64_put(data),
	};
	struct vg_loop_msg r;

	assert_int_equal(send(sock, &m, sizeof(m), MSG_NOSIGNAL), sizeof(m));
	do {
		assert_int_equal(vg_loopfix_recv(f, sock, &r, sizeof(r)),
				 sizeof(r));
	} while (vg_le16_get(r.type) == VG_LOOP_IRQ);
	assert_int_equal(vg_le16_get(r.type), VG_LOOP_MMIO_REPLY);
	assert_int_equal(vg_le32_get(r.seq), seq);
	return vg_le64_get(r.data);
}

/* A 32-bit register read. */
static inline uint64_t vg_loopfix_read32(struct vg_loopfix *f, int sock,
					 uint64_t addr)
{
	return vg_loopfix_mmio(f, sock, VG_LOOP_MMIO_READ, addr, 4, 0);
}

/*
 * A well-behaved guest for @domain: connected, MagicValue readable. Its
 * RAM memfd goes to *ram if @ram, else it is closed.
 */
static inline int vg_loopfix_guest_connect(struct vg_loopfix *f,
					   const char *domain, int *ram)
{
	struct vg_loop_hello h;
	int sock = vg_loopfix_guest_socket(f);
	int fd = vg_loopfix_ram_new(VG_LOOPFIX_RAM_SIZE, true);

	vg_loopfix_hello_init(&h, domain);
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), &fd, 1);
	if (ram)
		*ram = fd;
	else
		close(fd);
	vg_loopfix_expect_welcome(f, sock);
	assert_int_equal(vg_loopfix_read32(f, sock, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	return sock;
}

/*
 * A control command (with its newline) on a fresh connection: the reply
 * text up to and including the ok/error line, in @out.
 */
static inline void vg_loopfix_ctl(struct vg_loopfix *f, const char *cmd,
				  char *out, size_t len)
{
	int fd = vg_loopfix_connect(f->ctl_path, SOCK_STREAM), i;
	size_t n = 0;

	assert_int_equal(send(fd, cmd, strlen(cmd), MSG_NOSIGNAL),
			 (ssize_t)strlen(cmd));
	for (i = 0; i < 200; i++) {
		ssize_t r = recv(fd, out + n, len - 1 - n, MSG_DONTWAIT);

		if (r > 0) {
			n += (size_t)r;
			out[n] = '\0';
			if (strstr(out, "ok\n") || strstr(out, "error: "))
				if (out[n - 1] == '\n')
					break;
			continue;
		}
		if (r == 0)
			break;
		assert_true(vg_daemon_turn(f->d, 10) >= 0);
	}
	out[n] = '\0';
	close(fd);
}

/* Close a guest and let the daemon notice (status shows it gone). */
static inline void vg_loopfix_guest_close(struct vg_loopfix *f, int sock,
					  const char *domain)
{
	char out[4096], want[128];

	close(sock);
	snprintf(want, sizeof(want), "domain %s connected no", domain);
	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_non_null(strstr(out, want));
}

/*
 * Where every refusal ends: the guest on @sock is refused with @status;
 * then nothing is leaked since @fds_before (vg_loopfix_count_fds) and
 * the next guest is served.
 */
static inline void vg_loopfix_refused_cleanly(struct vg_loopfix *f,
					      int fds_before, int sock,
					      uint32_t status)
{
	vg_loopfix_expect_refused(f, sock, status);
	close(sock);
	vg_loopfix_guest_close(f, vg_loopfix_guest_connect(f, "alpha", NULL),
			       "alpha");
	/* Let the daemon see the control client's close too. */
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), fds_before);
}

#endif /* VGPIO_TEST_LOOPFIX_H */
