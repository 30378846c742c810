// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hostile clients against the daemon's sockets, in process: a real daemon
 * on real sockets in a temp dir, driven turn by turn (tests/lib/loopfix.h),
 * with hand-built guests and control clients that abuse connection slots,
 * HELLO fields, fd passing and the logs. Each test names what a hostile
 * client must not be able to do to the daemon or to the other clients.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_mmio.h>
#include "daemon.h"
#include "log.h"
#include "loopfix.h"
#include "logcheck.h"

#define RAM_SIZE VG_LOOPFIX_RAM_SIZE

static int setup(void **state)
{
	*state = vg_loopfix_new("sec", true);
	return 0;
}

/* --- connection slots ------------------------------------------------------ */

/*
 * Connections that never say HELLO must not use up the slots: a guest
 * that opens many and sits on them would otherwise lock every other guest
 * out for good (there are no timers to reap them).
 */
static void sec_loop_idle_connections_do_not_lock_out_guests(void **state)
{
	struct vg_loopfix *f = *state;
	int idle[80], i, sock, before = vg_loopfix_count_fds();

	for (i = 0; i < 80; i++) {
		idle[i] = vg_loopfix_guest_socket(f);
		vg_loopfix_settle(f);
	}
	sock = vg_loopfix_guest_connect(f, "alpha", NULL);
	assert_int_equal(vg_loopfix_read32(f, sock, VG_MMIO_VERSION),
			 VG_MMIO_VERSION_MODERN);
	close(sock);
	for (i = 0; i < 80; i++)
		close(idle[i]);
	vg_loopfix_settle(f);
	/* Every connection the daemon took (or evicted) is closed again. */
	assert_int_equal(vg_loopfix_count_fds(), before);
}

/* A connected guest is never evicted to make room for idle ones. */
static void sec_loop_idle_flood_keeps_attached_guests(void **state)
{
	struct vg_loopfix *f = *state;
	int a = vg_loopfix_guest_connect(f, "alpha", NULL), idle[80], i;

	for (i = 0; i < 80; i++) {
		idle[i] = vg_loopfix_guest_socket(f);
		vg_loopfix_settle(f);
	}
	assert_int_equal(vg_loopfix_read32(f, a, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	for (i = 0; i < 80; i++)
		close(idle[i]);
	close(a);
	vg_loopfix_settle(f);
}

static void sec_ctl_idle_clients_do_not_lock_out_admin(void **state)
{
	struct vg_loopfix *f = *state;
	int idle[40], i, before = vg_loopfix_count_fds();
	char out[4096];

	for (i = 0; i < 40; i++) {
		idle[i] = vg_loopfix_connect(f->ctl_path, SOCK_STREAM);
		vg_loopfix_settle(f);
	}
	vg_loopfix_ctl(f, "help\n", out, sizeof(out));
	assert_non_null(strstr(out, "\nok\n"));
	for (i = 0; i < 40; i++)
		close(idle[i]);
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
}

/* --- HELLO ----------------------------------------------------------------- */

/*
 * The claimed domain name ends up in log lines: control characters in it
 * would let a guest forge lines in the daemon's log.
 */
static void sec_loop_hello_control_chars_in_domain_refused(void **state)
{
	struct vg_loopfix *f = *state;
	int sock = vg_loopfix_guest_socket(f),
	    ram = vg_loopfix_ram_new(RAM_SIZE, true);
	struct vg_loop_hello h;
	char log[8192];

	vg_loopfix_log_take(f, log, sizeof(log));
	vg_loopfix_hello_init(&h, "x\nvgpiod: forged line\x1b[2J");
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	vg_loopfix_expect_refused(f, sock, EINVAL);
	close(sock);
	vg_loopfix_log_take(f, log, sizeof(log));
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
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock, ram;
	struct vg_loop_hello h;

	ram = memfd_create("huge",
			   MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (ram < 0) {
		print_message("no hugetlb memfd here (%s): skipped\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(ftruncate(ram, 2u << 20), 0);
	sock = vg_loopfix_guest_socket(f);
	vg_loopfix_hello_init(&h, "alpha");
	h.ram_size = vg_le64_put(2u << 20);
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	vg_loopfix_refused_cleanly(f, before, sock, EINVAL);
}

/*
 * A sparse memfd of tens of TiB costs the guest nothing, but mapping it
 * would take the daemon's address space from every other guest.
 */
static void sec_loop_hello_huge_ram_refused(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock, ram;
	uint64_t huge = 1ull << 45; /* 32 TiB */
	struct vg_loop_hello h;

	ram = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(ram >= 0);
	assert_int_equal(ftruncate(ram, (off_t)huge), 0);
	sock = vg_loopfix_guest_socket(f);
	vg_loopfix_hello_init(&h, "alpha");
	h.ram_size = vg_le64_put(huge);
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), &ram, 1);
	close(ram);
	vg_loopfix_refused_cleanly(f, before, sock, EINVAL);
}

/* After HELLO the guest can no longer shrink its RAM under our mapping. */
static void sec_loop_ram_cannot_shrink_after_hello(void **state)
{
	struct vg_loopfix *f = *state;
	int ram, sock = vg_loopfix_guest_connect(f, "alpha", &ram);

	assert_int_equal(ftruncate(ram, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(ram, RAM_SIZE / 2), -1);
	/* Growing is harmless and allowed. */
	assert_int_equal(ftruncate(ram, 2 * RAM_SIZE), 0);
	assert_int_equal(vg_loopfix_read32(f, sock, VG_MMIO_MAGIC_VALUE),
			 VG_MMIO_MAGIC);
	close(ram);
	close(sock);
	vg_loopfix_settle(f);
}

/* More fds than the daemon makes room for: refused, none leaked. */
static void sec_loop_hello_many_fds_none_leaked(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock = vg_loopfix_guest_socket(f),
	    fds[32], i;
	struct vg_loop_hello h;

	for (i = 0; i < 32; i++)
		fds[i] = vg_loopfix_ram_new(4096, true);
	vg_loopfix_hello_init(&h, "alpha");
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), fds, 32);
	for (i = 0; i < 32; i++)
		close(fds[i]);
	vg_loopfix_refused_cleanly(f, before, sock, EMSGSIZE);
}

/* fds riding on an MMIO packet: that guest is dropped, the fds closed. */
static void sec_loop_mmio_with_fds_none_leaked(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(),
	    sock = vg_loopfix_guest_connect(f, "alpha", NULL);
	struct vg_loop_msg m = {.type = vg_le16_put(VG_LOOP_MMIO_READ),
				.size = vg_le16_put(4)};
	int fds[3] = {vg_loopfix_ram_new(4096, true),
		      vg_loopfix_ram_new(4096, true),
		      vg_loopfix_ram_new(4096, true)};
	char b;

	vg_loopfix_send_with_fds(sock, &m, sizeof(m), fds, 3);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(vg_loopfix_recv(f, sock, &b, 1), 0);
	close(sock);
	vg_loopfix_settle(f);
	assert_int_equal(vg_loopfix_count_fds(), before);
	/* The domain is free again. */
	close(vg_loopfix_guest_connect(f, "alpha", NULL));
	vg_loopfix_settle(f);
}

/* --- logs ------------------------------------------------------------------ */

/*
 * A guest that connects and disconnects in a loop triggers log lines
 * every time; they must be rate-limited like every guest-caused message.
 */
static void sec_loop_reconnect_loop_logs_rate_limited(void **state)
{
	struct vg_loopfix *f = *state;
	static char log[1 << 16];
	int i;

	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	for (i = 0; i < 100; i++) {
		close(vg_loopfix_guest_connect(f, "alpha", NULL));
		vg_loopfix_settle(f);
	}
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_true(vg_test_count(log, "\n") <= 2 * VG_LOG_GUEST_BURST);
}

/* Refused HELLOs in a loop: rate-limited as well. */
static void sec_loop_refusal_loop_logs_rate_limited(void **state)
{
	struct vg_loopfix *f = *state;
	static char log[1 << 16];
	struct vg_loop_hello h;
	int i, sock;

	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	vg_loopfix_hello_init(&h, "nosuch");
	for (i = 0; i < 100; i++) {
		int ram = vg_loopfix_ram_new(RAM_SIZE, true);

		sock = vg_loopfix_guest_socket(f);
		vg_loopfix_send_with_fds(sock, &h, sizeof(h), &ram, 1);
		close(ram);
		vg_loopfix_expect_refused(f, sock, ENOENT);
		close(sock);
	}
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_true(vg_test_count(log, "\n") <= 2 * VG_LOG_GUEST_BURST);
}

/*
 * One guest floods the log (a reconnect loop, a bad register access):
 * its domain's messages are suppressed, but another domain's guest still
 * gets its own said, and the noisy one's drops are reported once its
 * window is over. The clock stands still, so no window ends by itself.
 */
static void sec_loop_noisy_guest_does_not_silence_another_domain(void **state)
{
	struct vg_loopfix *f = *state;
	static uint64_t now = 1000000000ull;
	static char log[1 << 16];
	int i, a, b;

	f->sink.now_ns = vg_test_clock;
	f->sink.now_arg = &now;
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	for (i = 0; i < (int)VG_LOG_GUEST_BURST; i++) {
		close(vg_loopfix_guest_connect(f, "alpha", NULL));
		vg_loopfix_settle(f);
	}
	a = vg_loopfix_guest_connect(f, "alpha", NULL);
	for (i = 0; i < 10; i++)
		assert_int_equal(vg_loopfix_read32(f, a, 0x1000), 0);
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_int_equal(vg_test_count(log, "\n"), VG_LOG_GUEST_BURST);
	assert_int_equal(vg_test_count(log, "alpha/0: "), VG_LOG_GUEST_BURST);

	/* The quiet domain's guest is heard; alpha's next line is not. */
	b = vg_loopfix_guest_connect(f, "beta", NULL);
	assert_int_equal(vg_loopfix_read32(f, a, 0x1000), 0);
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_non_null(strstr(log, "beta/0: loop guest connected"));
	assert_int_equal(vg_test_count(log, "alpha/0"), 0);

	/*
	 * A window later alpha is heard again, with what it lost: 10
	 * reconnects, one connection and 11 bad reads, less the 10 heard.
	 */
	now += VG_LOG_GUEST_WINDOW_NS;
	close(a);
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_non_null(strstr(log, "alpha/0: (22 messages suppressed) "
				    "loop guest disconnected"));
	close(b);
	vg_loopfix_settle(f);
}

/*
 * Connections that never get past HELLO share one source: a flood of
 * refused HELLOs uses it up, but cannot hide an established domain's
 * messages.
 */
static void sec_loop_refused_hellos_do_not_silence_domains(void **state)
{
	struct vg_loopfix *f = *state;
	static uint64_t now = 1000000000ull;
	static char log[1 << 16];
	struct vg_loop_hello h;
	int i, sock;

	f->sink.now_ns = vg_test_clock;
	f->sink.now_arg = &now;
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));
	vg_loopfix_hello_init(&h, "nosuch");
	for (i = 0; i < 3 * (int)VG_LOG_GUEST_BURST; i++) {
		int ram = vg_loopfix_ram_new(RAM_SIZE, true);

		sock = vg_loopfix_guest_socket(f);
		vg_loopfix_send_with_fds(sock, &h, sizeof(h), &ram, 1);
		close(ram);
		vg_loopfix_expect_refused(f, sock, ENOENT);
		close(sock);
	}
	sock = vg_loopfix_guest_connect(f, "alpha", NULL);
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_int_equal(vg_test_count(log, "loop: refusing guest: "),
			 VG_LOG_GUEST_BURST);
	assert_non_null(strstr(log, "alpha/0: loop guest connected"));
	close(sock);
	vg_loopfix_settle(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, vg_loopfix_teardown)
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
		T(sec_loop_noisy_guest_does_not_silence_another_domain),
		T(sec_loop_refused_hellos_do_not_silence_domains),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
