// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hostile clients against the daemon's sockets, in process: a real daemon
 * on real sockets in a temp dir, driven turn by turn, with hand-built
 * guests and control clients that abuse connection slots, HELLO fields,
 * fd passing and the logs. Each test names what a hostile client must
 * not be able to do to the daemon or to the other clients.
 */
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
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_mmio.h>
#include "config.h"
#include "daemon.h"
#include "log.h"

#define RAM_SIZE (64u * 1024)
#define RAM_BASE 0x40000000ull

static const char test_config[] = "[sim chip]\n"
				  "lines = 4\n"
				  "names = a b c d\n"
				  "[domain alpha]\n"
				  "lines = chip a b\n"
				  "line a = allow=out safe=high\n"
				  "[domain beta]\n"
				  "lines = chip c d\n";

struct fixture {
	char dir[64];
	char loop_path[96];
	char ctl_path[96];
	int logpipe[2]; /* the daemon's log, read by the tests */
	struct vg_log_sink sink;
	struct vg_config *cfg;
	struct vg_daemon *d;
};

static int count_fds(void)
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

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vg_daemon_params p = {0};
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vgpio-test-sec-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->loop_path, sizeof(f->loop_path), "%s/loop.sock", f->dir);
	snprintf(f->ctl_path, sizeof(f->ctl_path), "%s/control.sock", f->dir);
	/* Non-blocking: a full pipe drops log lines, never blocks us. */
	assert_int_equal(pipe2(f->logpipe, O_CLOEXEC | O_NONBLOCK), 0);
	f->sink.level = VG_LOG_INFO;
	f->sink.fd = f->logpipe[1];
	assert_int_equal(vg_config_parse(test_config, strlen(test_config),
					 "test", &f->cfg, err, sizeof(err)),
			 0);
	p.cfg = f->cfg;
	p.sink = &f->sink;
	p.loop_path = f->loop_path;
	p.ctl_path = f->ctl_path;
	assert_int_equal(vg_daemon_new(&p, &f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vg_daemon_free(f->d);
	vg_config_free(f->cfg);
	close(f->logpipe[0]);
	close(f->logpipe[1]);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Everything logged since the last call, NUL-terminated, in @buf. */
static size_t log_take(struct fixture *f, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 &&
	       (r = read(f->logpipe[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run turns until the daemon has nothing left to do. */
static void settle(struct fixture *f)
{
	int i;

	for (i = 0; i < 100 && vg_daemon_turn(f->d, 5) > 0; i++)
		;
}

/* --- a hand-made guest ---------------------------------------------------- */

static int sock_connect(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int guest_socket(struct fixture *f)
{
	return sock_connect(f->loop_path, SOCK_SEQPACKET);
}

static int ram_new(size_t size)
{
	int fd = memfd_create("test-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void hello_init(struct vg_loop_hello *h, const char *domain)
{
	memset(h, 0, sizeof(*h));
	h->type = vg_le16_put(VG_LOOP_HELLO);
	h->magic = vg_le32_put(VG_LOOP_MAGIC);
	h->version = vg_le32_put(VG_LOOP_VERSION);
	snprintf(h->domain, sizeof(h->domain), "%s", domain);
	h->ram_base = vg_le64_put(RAM_BASE);
	h->ram_size = vg_le64_put(RAM_SIZE);
}

/* Send @len bytes of @buf with @nfds (<= 32) fds attached. */
static void send_with_fds(int sock, const void *buf, size_t len, const int *fds,
			  unsigned int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 32)];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	assert_true(nfds <= 32);
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

/* Run the daemon until @sock has a packet (its length) or EOF (0). */
static ssize_t daemon_recv(struct fixture *f, int sock, void *buf, size_t len)
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

static void expect_refused(struct fixture *f, int sock, uint32_t status)
{
	struct vg_loop_welcome w;
	char b;

	assert_int_equal(daemon_recv(f, sock, &w, sizeof(w)), sizeof(w));
	assert_int_equal(vg_le16_get(w.type), VG_LOOP_WELCOME);
	assert_int_equal(vg_le32_get(w.status), status);
	assert_int_equal(daemon_recv(f, sock, &b, 1), 0);
}

static void expect_welcome(struct fixture *f, int sock)
{
	struct vg_loop_welcome w;

	assert_int_equal(daemon_recv(f, sock, &w, sizeof(w)), sizeof(w));
	assert_int_equal(vg_le16_get(w.type), VG_LOOP_WELCOME);
	assert_int_equal(vg_le32_get(w.status), 0);
}

static uint64_t mmio_read(struct fixture *f, int sock, uint64_t addr)
{
	struct vg_loop_msg m = {
		.type = vg_le16_put(VG_LOOP_MMIO_READ),
		.size = vg_le16_put(4),
		.seq = vg_le32_put(7),
		.addr = vg_le64_put(addr),
	};
	struct vg_loop_msg r;

	assert_int_equal(send(sock, &m, sizeof(m), MSG_NOSIGNAL), sizeof(m));
	do {
		assert_int_equal(daemon_recv(f, sock, &r, sizeof(r)),
				 sizeof(r));
	} while (vg_le16_get(r.type) == VG_LOOP_IRQ);
	assert_int_equal(vg_le16_get(r.type), VG_LOOP_MMIO_REPLY);
	assert_int_equal(vg_le32_get(r.seq), 7);
	return vg_le64_get(r.data);
}

/* A connected guest for @domain; its RAM memfd in *ram if @ram. */
static int guest_connect(struct fixture *f, const char *domain, int *ram)
{
	struct vg_loop_hello h;
	int sock = guest_socket(f), fd = ram_new(RAM_SIZE);

	hello_init(&h, domain);
	send_with_fds(sock, &h, sizeof(h), &fd, 1);
	if (ram)
		*ram = fd;
	else
		close(fd);
	expect_welcome(f, sock);
	assert_int_equal(mmio_read(f, sock, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	return sock;
}

/* --- connection slots ------------------------------------------------------ */

/*
 * Connections that never say HELLO must not use up the slots: a guest
 * that opens many and sits on them would otherwise lock every other guest
 * out for good (there are no timers to reap them).
 */
static void sec_loop_idle_connections_do_not_lock_out_guests(void **state)
{
	struct fixture *f = *state;
	int idle[80], i, sock, before = count_fds();

	for (i = 0; i < 80; i++) {
		idle[i] = guest_socket(f);
		settle(f);
	}
	sock = guest_connect(f, "alpha", NULL);
	assert_int_equal(mmio_read(f, sock, VG_MMIO_VERSION),
			 VG_MMIO_VERSION_MODERN);
	close(sock);
	for (i = 0; i < 80; i++)
		close(idle[i]);
	settle(f);
	/* Every connection the daemon took (or evicted) is closed again. */
	assert_int_equal(count_fds(), before);
}

/* A connected guest is never evicted to make room for idle ones. */
static void sec_loop_idle_flood_keeps_attached_guests(void **state)
{
	struct fixture *f = *state;
	int a = guest_connect(f, "alpha", NULL), idle[80], i;

	for (i = 0; i < 80; i++) {
		idle[i] = guest_socket(f);
		settle(f);
	}
	assert_int_equal(mmio_read(f, a, VG_MMIO_MAGIC_VALUE), VG_MMIO_MAGIC);
	for (i = 0; i < 80; i++)
		close(idle[i]);
	close(a);
	settle(f);
}

static void sec_ctl_idle_clients_do_not_lock_out_admin(void **state)
{
	struct fixture *f = *state;
	int idle[40], i, fd, before = count_fds();
	char out[4096] = "";
	size_t n = 0;

	for (i = 0; i < 40; i++) {
		idle[i] = sock_connect(f->ctl_path, SOCK_STREAM);
		settle(f);
	}
	fd = sock_connect(f->ctl_path, SOCK_STREAM);
	assert_int_equal(send(fd, "help\n", 5, MSG_NOSIGNAL), 5);
	for (i = 0; i < 200 && !strstr(out, "\nok\n"); i++) {
		ssize_t r =
			recv(fd, out + n, sizeof(out) - 1 - n, MSG_DONTWAIT);

		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		out[n] = '\0';
		assert_true(vg_daemon_turn(f->d, 5) >= 0);
	}
	out[n] = '\0';
	assert_non_null(strstr(out, "\nok\n"));
	close(fd);
	for (i = 0; i < 40; i++)
		close(idle[i]);
	settle(f);
	assert_int_equal(count_fds(), before);
}

/* --- HELLO ----------------------------------------------------------------- */

/*
 * The claimed domain name ends up in log lines: control characters in it
 * would let a guest forge lines in the daemon's log.
 */
static void sec_loop_hello_control_chars_in_domain_refused(void **state)
{
	struct fixture *f = *state;
	int sock = guest_socket(f), ram = ram_new(RAM_SIZE);
	struct vg_loop_hello h;
	char log[8192];

	log_take(f, log, sizeof(log));
	hello_init(&h, "x\nvgpiod: forged line\x1b[2J");
	send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	expect_refused(f, sock, EINVAL);
	close(sock);
	log_take(f, log, sizeof(log));
	assert_null(strstr(log, "\nvgpiod: forged"));
	assert_null(strchr(log, '\x1b'));
}

/*
 * A hugetlbfs memfd can be sealed too, but its pages are allocated (and
 * can be hole-punched away) independently of our mapping: a later fault
 * with the huge page pool empty is a SIGBUS in the daemon. Only tmpfs
 * memfds are accepted.
 */
static void sec_loop_hello_hugetlb_memfd_refused(void **state)
{
	struct fixture *f = *state;
	int before = count_fds(), sock, ram;
	struct vg_loop_hello h;

	ram = memfd_create("huge",
			   MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (ram < 0) {
		print_message("no hugetlb memfd here (%s): skipped\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(ftruncate(ram, 2u << 20), 0);
	sock = guest_socket(f);
	hello_init(&h, "alpha");
	h.ram_size = vg_le64_put(2u << 20);
	send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	expect_refused(f, sock, EINVAL);
	close(sock);
	settle(f);
	assert_int_equal(count_fds(), before);
}

/*
 * A sparse memfd of tens of TiB costs the guest nothing, but mapping it
 * would take the daemon's address space from every other guest.
 */
static void sec_loop_hello_huge_ram_refused(void **state)
{
	struct fixture *f = *state;
	int before = count_fds(), sock, ram;
	uint64_t huge = 1ull << 45; /* 32 TiB */
	struct vg_loop_hello h;

	ram = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(ram >= 0);
	assert_int_equal(ftruncate(ram, (off_t)huge), 0);
	sock = guest_socket(f);
	hello_init(&h, "alpha");
	h.ram_size = vg_le64_put(huge);
	send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	expect_refused(f, sock, EINVAL);
	close(sock);
	settle(f);
	assert_int_equal(count_fds(), before);
}

/* After HELLO the guest can no longer shrink its RAM under our mapping. */
static void sec_loop_ram_cannot_shrink_after_hello(void **state)
{
	struct fixture *f = *state;
	int ram, sock = guest_connect(f, "alpha", &ram);

	assert_int_equal(ftruncate(ram, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(ram, RAM_SIZE / 2), -1);
	/* Growing is harmless and allowed. */
	assert_int_equal(ftruncate(ram, 2 * RAM_SIZE), 0);
	assert_int_equal(mmio_read(f, sock, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	close(ram);
	close(sock);
	settle(f);
}

/* More fds than the daemon makes room for: refused, none leaked. */
static void sec_loop_hello_many_fds_none_leaked(void **state)
{
	struct fixture *f = *state;
	int before = count_fds(), sock = guest_socket(f), fds[32], i;
	struct vg_loop_hello h;

	for (i = 0; i < 32; i++)
		fds[i] = ram_new(4096);
	hello_init(&h, "alpha");
	send_with_fds(sock, &h, sizeof(h), fds, 32);
	for (i = 0; i < 32; i++)
		close(fds[i]);
	expect_refused(f, sock, EMSGSIZE);
	close(sock);
	settle(f);
	assert_int_equal(count_fds(), before);
}

/* fds riding on an MMIO packet: that guest is dropped, the fds closed. */
static void sec_loop_mmio_with_fds_none_leaked(void **state)
{
	struct fixture *f = *state;
	int before = count_fds(), sock = guest_connect(f, "alpha", NULL);
	struct vg_loop_msg m = {.type = vg_le16_put(VG_LOOP_MMIO_READ),
				.size = vg_le16_put(4)};
	int fds[3] = {ram_new(4096), ram_new(4096), ram_new(4096)};
	char b;

	send_with_fds(sock, &m, sizeof(m), fds, 3);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(daemon_recv(f, sock, &b, 1), 0);
	close(sock);
	settle(f);
	assert_int_equal(count_fds(), before);
	/* The domain is free again. */
	close(guest_connect(f, "alpha", NULL));
	settle(f);
}

/* --- logs ------------------------------------------------------------------ */

/*
 * A guest that connects and disconnects in a loop triggers log lines
 * every time; they must be rate-limited like every guest-caused message.
 */
static void sec_loop_reconnect_loop_logs_rate_limited(void **state)
{
	struct fixture *f = *state;
	static char log[1 << 16];
	int i;

	settle(f);
	log_take(f, log, sizeof(log));
	for (i = 0; i < 100; i++) {
		close(guest_connect(f, "alpha", NULL));
		settle(f);
	}
	log_take(f, log, sizeof(log));
	assert_true(count_lines(log) <= 2 * VG_LOG_GUEST_BURST);
}

/* Refused HELLOs in a loop: rate-limited as well. */
static void sec_loop_refusal_loop_logs_rate_limited(void **state)
{
	struct fixture *f = *state;
	static char log[1 << 16];
	struct vg_loop_hello h;
	int i, sock;

	settle(f);
	log_take(f, log, sizeof(log));
	hello_init(&h, "nosuch");
	for (i = 0; i < 100; i++) {
		int ram = ram_new(RAM_SIZE);

		sock = guest_socket(f);
		send_with_fds(sock, &h, sizeof(h), &ram, 1);
		close(ram);
		expect_refused(f, sock, ENOENT);
		close(sock);
	}
	settle(f);
	log_take(f, log, sizeof(log));
	assert_true(count_lines(log) <= 2 * VG_LOG_GUEST_BURST);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(sec_loop_idle_connections_do_not_lock_out_guests),
		T(sec_loop_idle_flood_keeps_attached_guests),
		T(sec_ctl_idle_clients_do_not_lock_out_admin),
		T(sec_loop_hello_control_chars_in_domain_refused),
		T(sec_loop_hello_hugetlb_memfd_refused),
		T(sec_loop_hello_huge_ram_refused),
		T(sec_loop_ram_cannot_shrink_after_hello),
		T(sec_loop_hello_many_fds_none_leaked),
		T(sec_loop_mmio_with_fds_none_leaked),
		T(sec_loop_reconnect_loop_logs_rate_limited),
		T(sec_loop_refusal_loop_logs_rate_limited),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
