// SPDX-License-Identifier: BSD-3-Clause
/*
 * The loop transport between parent and workers (loop.h): route mode in
 * the parent, vg_loop_handoff_send(), and hand-off mode in a worker. The
 * routed fixture of tests/lib/loopfix.h runs both in one daemon: the
 * listener routes each guest over a socketpair to a hand-off-mode loop
 * that attaches it to the daemon's domains. Here: what route() gets and
 * what the parent never does (map or seal guest RAM), refusals, bad and
 * garbage hand-offs, the parent going away, and a shim guest's GPIO
 * requests end to end (the daemon in a thread, as the shim blocks).
 * test-loop.c runs its HELLO and MMIO cases routed too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include "daemon.h"
#include "loopfix.h"
#include "shim.h"
#include "logcheck.h"

#define RAM_SIZE VG_LOOPFIX_RAM_SIZE

static int setup(void **state)
{
	*state = vg_loopfix_new_routed("looproute", false);
	return 0;
}

static int setup_log(void **state)
{
	*state = vg_loopfix_new_routed("looproute", true);
	return 0;
}

/* A refusing WELCOME with @status; its reason in @reason; then EOF. */
static void expect_refused_reason(struct vg_loopfix *f, int sock,
				  uint32_t status, char *reason, size_t len)
{
	struct vg_loop_welcome w;
	char b;

	assert_int_equal(vg_loopfix_recv(f, sock, &w, sizeof(w)), sizeof(w));
	assert_int_equal(vg_le16_get(w.type), VG_LOOP_WELCOME);
	assert_int_equal(vg_le32_get(w.status), status);
	assert_non_null(memchr(w.reason, '\0', sizeof(w.reason)));
	snprintf(reason, len, "%s", w.reason);
	assert_int_equal(vg_loopfix_recv(f, sock, &b, 1), 0);
}

/* A HELLO from a fresh guest connection with one memfd; the socket. */
static int hello_from_guest(struct vg_loopfix *f, const struct vg_loop_hello *h,
			    bool sealable)
{
	int sock = vg_loopfix_guest_socket(f);
	int ram = vg_loopfix_ram_new(RAM_SIZE, sealable);

	vg_loopfix_send_with_fds(sock, h, sizeof(*h), &ram, 1);
	close(ram);
	return sock;
}

/* --- route mode ----------------------------------------------------------- */

/*
 * route() gets the domain, the HELLO as sent and the memfd, which the
 * parent has neither sealed nor mapped; the worker then does both, and
 * the guest is served.
 */
static void looproute_route_gets_hello_and_unmapped_memfd(void **state)
{
	struct vg_loopfix *f = *state;
	int ram, sock = vg_loopfix_guest_connect(f, "alpha", &ram);

	assert_int_equal(f->routes, 1);
	assert_string_equal(f->route_domain, "alpha");
	assert_int_equal(f->route_len, sizeof(struct vg_loop_hello));
	assert_int_equal(f->route_nfds, 1);
	assert_int_equal(f->route_seals, 0);
	assert_false(f->route_mapped);
	/* The checks can fail: the worker sealed and mapped the same file. */
	assert_true(fcntl(ram, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_true(vg_loopfix_fd_mapped(ram));
	vg_loopfix_guest_close(f, sock, "alpha");
	assert_false(vg_loopfix_fd_mapped(ram));
	close(ram);
}

/*
 * What needs the RAM is judged by the worker alone: an unsealable memfd
 * passes the parent and is refused by the worker.
 */
static void looproute_unsealable_memfd_refused_by_worker(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds();
	struct vg_loop_hello h;
	char reason[VG_LOOP_REASON_MAX];
	int sock;

	vg_loopfix_hello_init(&h, "alpha");
	sock = hello_from_guest(f, &h, false);
	expect_refused_reason(f, sock, EPERM, reason, sizeof(reason));
	assert_non_null(strstr(reason, "seal"));
	assert_int_equal(f->routes, 1);
	assert_int_equal(f->route_seals, F_SEAL_SEAL);
	close(sock);
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
}

/* route() refusing: WELCOME with its status and reason, nothing kept. */
static void looproute_route_refusal_sends_welcome(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds();
	struct vg_loop_hello h;
	char reason[VG_LOOP_REASON_MAX];
	int sock;

	f->route_status = EAGAIN;
	vg_loopfix_hello_init(&h, "beta");
	sock = hello_from_guest(f, &h, true);
	expect_refused_reason(f, sock, EAGAIN, reason, sizeof(reason));
	assert_string_equal(reason, "no worker for domain beta");
	assert_int_equal(f->routes, 1);
	close(sock);
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
	/* Routing again: served. */
	f->route_status = 0;
	vg_loopfix_guest_close(f, vg_loopfix_guest_connect(f, "beta", NULL),
			       "beta");
	assert_int_equal(f->routes, 2);
}

/* A HELLO the parent cannot route by never reaches route(). */
static void looproute_bad_domain_never_routed(void **state)
{
	static const char *const names[] = {"", "al\npha", "al\x7fpha"};
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds();
	struct vg_loop_hello h;
	unsigned int i;
	int sock;

	for (i = 0; i < VG_ARRAY_SIZE(names) + 2; i++) {
		vg_loopfix_hello_init(&h, "alpha");
		if (i < VG_ARRAY_SIZE(names))
			memcpy(h.domain, names[i], strlen(names[i]) + 1);
		else if (i == VG_ARRAY_SIZE(names))
			memset(h.domain, 'a', sizeof(h.domain));
		else
			h.magic = vg_le32_put(0); /* its layout is unknown */
		sock = hello_from_guest(f, &h, true);
		vg_loopfix_expect_refused(
			f, sock, i > VG_ARRAY_SIZE(names) ? EPROTO : EINVAL);
		close(sock);
	}
	assert_int_equal(f->routes, 0);
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
}

/* Refused guests in route mode log through the rate-limited source. */
static void looproute_route_refusals_rate_limited(void **state)
{
	struct vg_loopfix *f = *state;
	static uint64_t now = 1000000000ull;
	static char log[1 << 16];
	struct vg_loop_hello h;
	int i;

	f->sink.now_ns = vg_test_clock;
	f->sink.now_arg = &now;
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	f->route_status = EAGAIN;
	vg_loopfix_hello_init(&h, "alpha");
	for (i = 0; i < 3 * (int)VG_LOG_GUEST_BURST; i++) {
		int sock = hello_from_guest(f, &h, true);

		vg_loopfix_expect_refused(f, sock, EAGAIN);
		close(sock);
	}
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_int_equal(f->routes, 3 * VG_LOG_GUEST_BURST);
	assert_int_equal(vg_test_count(log, "loop: refusing guest: "),
			 VG_LOG_GUEST_BURST);
}

/* --- hand-off ------------------------------------------------------------- */

/* A guest connection of our own: [0] the guest's end, [1] to hand over. */
static void guest_pair(int sv[2], int type)
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The test as the parent: a valid hand-off is served by the worker. */
static void looproute_handoff_valid_served(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;
	int sv[2], ram = vg_loopfix_ram_new(RAM_SIZE, true);
	int ram2 = dup(ram);

	guest_pair(sv, SOCK_SEQPACKET);
	vg_loopfix_hello_init(&h, "beta");
	assert_int_equal(vg_loop_handoff_send(f->handoff[0], sv[1], &h,
					      sizeof(h), &ram2, 1),
			 0);
	/* The sender's copies are closed. */
	assert_false(fd_open(sv[1]));
	assert_false(fd_open(ram2));
	vg_loopfix_expect_welcome(f, sv[0]);
	assert_int_equal(vg_loopfix_read32(f, sv[0], VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	assert_true(vg_loopfix_fd_mapped(ram));
	assert_int_equal(f->routes, 0);
	vg_loopfix_guest_close(f, sv[0], "beta");
	close(ram);
}

/* Hand @len bytes of @h with a fresh memfd over; the guest's end. */
static int handoff_hello(struct vg_loopfix *f, const void *h, size_t len,
			 unsigned int nram)
{
	int sv[2], ram[2];
	unsigned int i;

	guest_pair(sv, SOCK_SEQPACKET);
	for (i = 0; i < nram; i++)
		ram[i] = vg_loopfix_ram_new(RAM_SIZE, true);
	assert_int_equal(
		vg_loop_handoff_send(f->handoff[0], sv[1], h, len, ram, nram),
		0);
	return sv[0];
}

/*
 * The worker trusts nothing the parent passes on from a guest: each bad
 * HELLO is refused to the guest, the head checks included.
 */
static void looproute_handoff_bad_hello_refused_by_worker(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.magic = vg_le32_put(0);
	sock = handoff_hello(f, &h, sizeof(h), 1);
	vg_loopfix_expect_refused(f, sock, EPROTO);
	close(sock);

	vg_loopfix_hello_init(&h, "alpha");
	h.domain[0] = '\x1b';
	sock = handoff_hello(f, &h, sizeof(h), 1);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);

	vg_loopfix_hello_init(&h, "alpha");
	sock = handoff_hello(f, &h, 10, 1);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);

	sock = handoff_hello(f, &h, sizeof(h), 0);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);

	sock = handoff_hello(f, &h, sizeof(h), 2);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);

	h.ram_size = vg_le64_put(RAM_SIZE * 2);
	sock = handoff_hello(f, &h, sizeof(h), 1);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);

	vg_loopfix_hello_init(&h, "gamma");
	sock = handoff_hello(f, &h, sizeof(h), 1);
	vg_loopfix_expect_refused(f, sock, ENOENT);
	close(sock);

	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
	assert_int_equal(f->handoff_closed, 0);
}

/*
 * Hand-off packets no parent should send are dropped, their fds closed,
 * and the worker goes on.
 */
static void looproute_handoff_garbage_dropped(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), fds[12], sv[2], p[2];
	uint8_t big[sizeof(struct vg_loop_hello) + 1];
	struct vg_loop_hello h;
	unsigned int i;
	char b;

	vg_loopfix_hello_init(&h, "alpha");
	/* Bytes and no fds; nothing at all (not taken for EOF). */
	vg_loopfix_send_with_fds(f->handoff[0], &h, sizeof(h), NULL, 0);
	vg_loopfix_send_with_fds(f->handoff[0], &h, 0, NULL, 0);
	vg_loopfix_settle(f);
	assert_int_equal(f->handoff_closed, 0);
	/* A pipe, a stream socket, then a memfd where the connection goes. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fds[0] = p[0];
	fds[1] = vg_loopfix_ram_new(RAM_SIZE, true);
	vg_loopfix_send_with_fds(f->handoff[0], &h, sizeof(h), fds, 2);
	close(fds[1]);
	close(p[0]);
	guest_pair(sv, SOCK_STREAM);
	vg_loopfix_send_with_fds(f->handoff[0], &h, sizeof(h), &sv[1], 1);
	close(sv[1]);
	fds[0] = vg_loopfix_ram_new(RAM_SIZE, true);
	vg_loopfix_send_with_fds(f->handoff[0], &h, sizeof(h), fds, 1);
	close(fds[0]);
	vg_loopfix_settle(f);
	/* The stream guest's connection was closed: EOF. */
	assert_int_equal(recv(sv[0], &b, 1, MSG_DONTWAIT), 0);
	close(sv[0]);
	close(p[1]);

	/* Oversized: the guest sees its connection closed, no WELCOME. */
	memset(big, 0, sizeof(big));
	memcpy(big, &h, sizeof(h));
	guest_pair(sv, SOCK_SEQPACKET);
	fds[0] = sv[1];
	fds[1] = vg_loopfix_ram_new(RAM_SIZE, true);
	vg_loopfix_send_with_fds(f->handoff[0], big, sizeof(big), fds, 2);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(vg_loopfix_recv(f, sv[0], &b, 1), 0);
	close(sv[0]);

	/* More fds than a hand-off may carry: likewise, all of them closed. */
	guest_pair(sv, SOCK_SEQPACKET);
	fds[0] = sv[1];
	for (i = 1; i < VG_ARRAY_SIZE(fds); i++)
		fds[i] = vg_loopfix_ram_new(RAM_SIZE, true);
	vg_loopfix_send_with_fds(f->handoff[0], &h, sizeof(h), fds,
				 VG_ARRAY_SIZE(fds));
	for (i = 0; i < VG_ARRAY_SIZE(fds); i++)
		close(fds[i]);
	assert_int_equal(vg_loopfix_recv(f, sv[0], &b, 1), 0);
	close(sv[0]);

	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
	assert_int_equal(f->handoff_closed, 0);
	/* The worker still serves routed guests. */
	vg_loopfix_guest_close(f, vg_loopfix_guest_connect(f, "alpha", NULL),
			       "alpha");
}

/* Arguments refused and a full queue: nothing sent, nothing closed. */
static void looproute_handoff_send_failure_keeps_fds(void **state)
{
	struct vg_loopfix *f = *state;
	uint8_t big[sizeof(struct vg_loop_hello) + 1];
	int fds[9], sv[2], q[2], i, rc;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	memset(big, 0, sizeof(big));
	guest_pair(sv, SOCK_SEQPACKET);
	for (i = 0; i < 9; i++)
		fds[i] = vg_loopfix_ram_new(1, true);
	assert_int_equal(vg_loop_handoff_send(f->handoff[0], sv[1], &h,
					      sizeof(h), fds, 9),
			 -EINVAL);
	assert_int_equal(vg_loop_handoff_send(f->handoff[0], sv[1], big,
					      sizeof(big), fds, 1),
			 -EINVAL);
	assert_int_equal(
		vg_loop_handoff_send(f->handoff[0], -1, &h, sizeof(h), fds, 1),
		-EINVAL);
	for (i = 0; i < 9; i++)
		assert_true(fd_open(fds[i]));
	assert_true(fd_open(sv[1]));

	/* Nobody reads @q[1]: its queue fills and the send says so. */
	guest_pair(q, SOCK_SEQPACKET);
	for (i = 0; i < 100000; i++) {
		int conn = dup(sv[1]), ram = dup(fds[0]);

		rc = vg_loop_handoff_send(q[0], conn, &h, sizeof(h), &ram, 1);
		if (rc) {
			assert_true(fd_open(conn));
			assert_true(fd_open(ram));
			close(conn);
			close(ram);
			break;
		}
		assert_false(fd_open(conn));
	}
	assert_int_equal(rc, -EAGAIN);
	close(q[0]);
	close(q[1]);
	for (i = 0; i < 9; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The parent goes away: the worker is told once and keeps serving the
 * guests it has; routing to it now fails, and the guest is told.
 */
static void looproute_handoff_eof_reported_guests_kept(void **state)
{
	struct vg_loopfix *f = *state;
	int a = vg_loopfix_guest_connect(f, "alpha", NULL), sock;
	struct vg_loop_hello h;
	char reason[VG_LOOP_REASON_MAX];

	close(f->handoff[0]);
	f->handoff[0] = -1;
	vg_loopfix_settle(f);
	assert_int_equal(f->handoff_closed, 1);
	assert_int_equal(vg_loopfix_read32(f, a, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	/* The parent's route() now has no worker socket. */
	f->handoff[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(f->handoff[0] >= 0);
	vg_loopfix_hello_init(&h, "beta");
	sock = hello_from_guest(f, &h, true);
	expect_refused_reason(f, sock, ENOTSOCK, reason, sizeof(reason));
	assert_non_null(strstr(reason, "hand-off failed"));
	close(sock);
	vg_loopfix_settle(f);
	assert_int_equal(f->handoff_closed, 1);
	vg_loopfix_guest_close(f, a, "alpha");
}

/* A hand-off fd that is no SOCK_SEQPACKET socket is refused at start. */
static void looproute_handoff_fd_must_be_seqpacket(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_evloop *ev;
	struct vg_loop *loop = NULL;
	struct vg_loop_config c = {.handoff_fd = -1};
	int sv[2];

	(void)f;
	assert_int_equal(vg_evloop_new(&ev), 0);
	assert_int_equal(vg_loop_new(ev, &c, NULL, NULL, NULL, &loop), -EINVAL);
	guest_pair(sv, SOCK_STREAM);
	c.handoff_fd = sv[0];
	assert_int_equal(vg_loop_new(ev, &c, NULL, NULL, NULL, &loop), -EINVAL);
	close(sv[0]);
	close(sv[1]);
	/* Route mode needs a listener. */
	guest_pair(sv, SOCK_SEQPACKET);
	c.handoff_fd = sv[0];
	c.route = vg_loopfix_route;
	assert_int_equal(vg_loop_new(ev, &c, NULL, NULL, NULL, &loop), -EINVAL);
	c.route = NULL;
	assert_int_equal(vg_loop_new(ev, &c, NULL, NULL, NULL, &loop), 0);
	vg_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
	vg_evloop_free(ev);
}

/* --- end to end with the shim --------------------------------------------- */

/* The daemon (parent and worker) in a thread while the shim blocks. */
struct runner {
	struct vg_loopfix *f;
	pthread_t thr;
	atomic_bool stop;
	atomic_int err;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;

	while (!atomic_load(&r->stop)) {
		int rc = vg_daemon_turn(r->f->d, 20);

		if (rc < 0) {
			atomic_store(&r->err, rc);
			break;
		}
	}
	return NULL;
}

/*
 * A control command from this thread while the runner serves it: the
 * reply in @out, 0, or -1. No cmocka here: an assertion leaving this
 * thread would leave the runner on a fixture that teardown frees.
 */
static int ctl(struct vg_loopfix *f, const char *cmd, char *out, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = 0;
	int rc = -1;

	out[0] = '\0';
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->ctl_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd))
		goto out;
	while (n < len - 1) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, 5000) != 1)
			break;
		r = recv(fd, out + n, len - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		out[n] = '\0';
		if (strstr(out, "ok\n") || strstr(out, "error: ")) {
			rc = 0;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void looproute_shim_requests_work_through_worker(void **state)
{
	struct vg_loopfix *f = *state;
	struct runner r = {.f = f};
	struct vg_shim *s = NULL;
	char driven[128], safe[128];
	int a = -1, b = -1, v = -1, i, rc;
	uint8_t dir = 0;

	assert_int_equal(pthread_create(&r.thr, NULL, runner_main, &r), 0);
	/* Nothing asserts until the runner is joined. */
	rc = vg_shim_new(NULL, &s);
	if (!rc)
		rc = vg_shim_connect_loop(s, f->loop_path, "alpha");
	if (!rc)
		rc = vg_shim_probe(s);
	if (!rc) {
		a = vg_shim_line_find(s, "a");
		b = vg_shim_line_find(s, "b");
		rc = a >= 0 && b >= 0 ? 0 : -ENOENT;
	}
	/* Drive a low (its safe state is high), read b as the sim sets it. */
	if (!rc)
		rc = vg_shim_direction_output(s, (unsigned int)a, 0);
	if (!rc)
		rc = ctl(f, "sim get chip a\n", driven, sizeof(driven));
	if (!rc)
		rc = vg_shim_get_direction(s, (unsigned int)a, &dir);
	if (!rc)
		rc = ctl(f, "sim set chip b 1\n", safe, sizeof(safe));
	if (!rc)
		rc = vg_shim_get_value(s, (unsigned int)b, &v);
	if (rc && s)
		print_error("shim: %d %s\n", rc, vg_shim_error(s));
	vg_shim_free(s);
	/* Once the daemon saw the guest go, its line is in its safe state. */
	for (i = 0; !rc && i < 1000; i++) {
		char st[4096];

		rc = ctl(f, "status\n", st, sizeof(st));
		if (strstr(st, "domain alpha connected no"))
			break;
	}
	if (!rc)
		rc = ctl(f, "sim get chip a\n", safe, sizeof(safe));
	atomic_store(&r.stop, true);
	pthread_join(r.thr, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(atomic_load(&r.err), 0);
	assert_string_equal(driven,
			    "value 0 output 1 pull 0 requested 1\nok\n");
	assert_int_equal(dir, VG_GPIO_DIRECTION_OUT);
	assert_int_equal(v, 1);
	assert_string_equal(safe, "value 1 output 1 pull 0 requested 1\nok\n");
	/* Routed once; the shim maps its RAM itself, here in this process. */
	assert_int_equal(f->routes, 1);
	assert_true(f->route_seals >= 0 && !(f->route_seals & F_SEAL_SHRINK));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, vg_loopfix_teardown)
#define L(fn) \
	cmocka_unit_test_setup_teardown(fn, setup_log, vg_loopfix_teardown)
	const struct CMUnitTest tests[] = {
		T(looproute_route_gets_hello_and_unmapped_memfd),
		T(looproute_unsealable_memfd_refused_by_worker),
		T(looproute_route_refusal_sends_welcome),
		T(looproute_bad_domain_never_routed),
		L(looproute_route_refusals_rate_limited),
		T(looproute_handoff_valid_served),
		T(looproute_handoff_bad_hello_refused_by_worker),
		T(looproute_handoff_garbage_dropped),
		T(looproute_handoff_send_failure_keeps_fds),
		T(looproute_handoff_eof_reported_guests_kept),
		T(looproute_handoff_fd_must_be_seqpacket),
		T(looproute_shim_requests_work_through_worker),
	};
#undef T
#undef L

	return cmocka_run_group_tests(tests, NULL, NULL);
}
