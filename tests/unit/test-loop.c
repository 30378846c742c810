// SPDX-License-Identifier: BSD-3-Clause
/*
 * The loop transport and the daemon object, in process: a real daemon on
 * real sockets in a temp dir, driven turn by turn from the test, with a
 * hand-built guest so every HELLO field can be wrong on purpose
 * (tests/lib/loopfix.h). The HELLO and MMIO cases run twice: on a plain
 * listener, and routed (`_routed`: a route-mode listener hands every
 * guest to a hand-off-mode loop, as a parent to its worker), where each
 * must end the same, whichever of the two judged it.
 * Route mode and hand-off on their own: test-looproute.c.
 */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_mmio.h>
#include "config.h"
#include "daemon.h"
#include "loopfix.h"

#define RAM_SIZE VG_LOOPFIX_RAM_SIZE

static int setup(void **state)
{
	*state = vg_loopfix_new("loop", false);
	return 0;
}

static int setup_routed(void **state)
{
	*state = vg_loopfix_new_routed("loop", false);
	return 0;
}

/* --- a hand-made guest ---------------------------------------------------- */

/* Send @len bytes of @hello with @nfds fresh memfds of @ram_size attached. */
static void send_hello(int sock, const void *hello, size_t len,
		       unsigned int nfds, size_t ram_size, bool sealable)
{
	int fds[2];
	unsigned int i;

	assert_true(nfds <= VG_ARRAY_SIZE(fds));
	for (i = 0; i < nfds; i++)
		fds[i] = vg_loopfix_ram_new(ram_size, sealable);
	vg_loopfix_send_with_fds(sock, hello, len, fds, nfds);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/*
 * A fresh connection sends @len bytes of @hello with @nfds memfds of
 * @ram_size (@sealable) and is refused with @status, cleanly.
 */
static void hello_refused_with(struct vg_loopfix *f, const void *hello,
			       size_t len, unsigned int nfds, size_t ram_size,
			       bool sealable, uint32_t status)
{
	int before = vg_loopfix_count_fds(), sock = vg_loopfix_guest_socket(f);

	send_hello(sock, hello, len, nfds, ram_size, sealable);
	vg_loopfix_refused_cleanly(f, before, sock, status);
}

/* The common case: one good memfd. */
static void hello_refused(struct vg_loopfix *f, const struct vg_loop_hello *h,
			  uint32_t status)
{
	hello_refused_with(f, h, sizeof(*h), 1, RAM_SIZE, true, status);
}

/* --- tests ---------------------------------------------------------------- */

static void loop_hello_valid_gets_welcome(void **state)
{
	struct vg_loopfix *f = *state;
	char out[4096];
	struct stat st;
	int sock;

	assert_int_equal(stat(f->loop_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	sock = vg_loopfix_guest_connect(f, "alpha", NULL);
	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_non_null(strstr(out, "domain alpha connected yes"));
	assert_non_null(strstr(out, "domain beta connected no"));
	vg_loopfix_guest_close(f, sock, "alpha");
}

static void loop_hello_bad_magic_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.magic = vg_le32_put(0xdeadbeef);
	hello_refused(f, &h, EPROTO);
}

static void loop_hello_wrong_version_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.version = vg_le32_put(VG_LOOP_VERSION + 1);
	hello_refused(f, &h, EPROTONOSUPPORT);
}

static void loop_hello_unknown_flags_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.flags = vg_le32_put(0x80);
	hello_refused(f, &h, EINVAL);
}

static void loop_hello_unknown_domain_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "gamma");
	hello_refused(f, &h, ENOENT);
}

static void loop_hello_unterminated_domain_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	memset(h.domain, 'a', sizeof(h.domain));
	hello_refused(f, &h, EINVAL);
}

static void loop_hello_duplicate_domain_refused(void **state)
{
	struct vg_loopfix *f = *state;
	int first = vg_loopfix_guest_connect(f, "alpha", NULL);
	int sock = vg_loopfix_guest_socket(f);
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	send_hello(sock, &h, sizeof(h), 1, RAM_SIZE, true);
	vg_loopfix_expect_refused(f, sock, EBUSY);
	close(sock);
	/* The first guest is untouched, and another domain still connects. */
	assert_int_equal(vg_loopfix_mmio(f, first, VG_LOOP_MMIO_READ,
					 VG_MMIO_VERSION, 4, 0),
			 VG_MMIO_VERSION_MODERN);
	sock = vg_loopfix_guest_connect(f, "beta", NULL);
	vg_loopfix_guest_close(f, sock, "beta");
	/* Once the first is gone the domain is free again. */
	vg_loopfix_guest_close(f, first, "alpha");
	vg_loopfix_guest_close(f, vg_loopfix_guest_connect(f, "alpha", NULL),
			       "alpha");
}

static void loop_hello_ram_larger_than_memfd_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	hello_refused_with(f, &h, sizeof(h), 1, RAM_SIZE / 2, true, EINVAL);
}

static void loop_hello_zero_ram_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.ram_size = vg_le64_put(0);
	hello_refused(f, &h, EINVAL);
}

static void loop_hello_ram_wrapping_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.ram_base = vg_le64_put(UINT64_MAX - 100);
	hello_refused(f, &h, EINVAL);
}

static void loop_hello_grant_table_outside_ram_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	h.flags = vg_le32_put(VG_LOOP_F_GRANTS);
	/* Starts inside RAM, its last entry sticks out by 8 bytes. */
	h.gnttab_addr = vg_le64_put(VG_LOOPFIX_RAM_BASE + RAM_SIZE - 4096);
	h.gnttab_entries = vg_le32_put(4096 / 8 + 1);
	hello_refused(f, &h, EINVAL);
}

static void loop_hello_missing_fd_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	hello_refused_with(f, &h, sizeof(h), 0, 0, false, EINVAL);
}

static void loop_hello_two_fds_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	/* Checked on the way: the daemon closed both fds it received. */
	hello_refused_with(f, &h, sizeof(h), 2, RAM_SIZE, true, EINVAL);
}

static void loop_hello_not_a_memfd_refused(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock = vg_loopfix_guest_socket(f),
	    p[2];
	struct vg_loop_hello h;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	vg_loopfix_hello_init(&h, "alpha");
	vg_loopfix_send_with_fds(sock, &h, sizeof(h), &p[0], 1);
	close(p[0]);
	close(p[1]);
	vg_loopfix_refused_cleanly(f, before, sock, EINVAL);
}

/* A memfd the daemon cannot seal could be truncated under its mapping. */
static void loop_hello_unsealable_memfd_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	hello_refused_with(f, &h, sizeof(h), 1, RAM_SIZE, false, EPERM);
}

static void loop_hello_truncated_packet_refused(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_hello h;

	vg_loopfix_hello_init(&h, "alpha");
	hello_refused_with(f, &h, sizeof(h) - 1, 1, RAM_SIZE, true, EINVAL);
}

static void loop_hello_oversized_packet_refused(void **state)
{
	struct vg_loopfix *f = *state;
	uint8_t big[sizeof(struct vg_loop_hello) + 16];

	memset(big, 0, sizeof(big));
	vg_loopfix_hello_init((struct vg_loop_hello *)big, "alpha");
	hello_refused_with(f, big, sizeof(big), 1, RAM_SIZE, true, EMSGSIZE);
}

static void loop_hello_mmio_first_refused(void **state)
{
	struct vg_loopfix *f = *state;
	int before = vg_loopfix_count_fds(), sock = vg_loopfix_guest_socket(f);
	struct vg_loop_msg m = {.type = vg_le16_put(VG_LOOP_MMIO_READ),
				.size = vg_le16_put(4)};

	assert_int_equal(send(sock, &m, sizeof(m), MSG_NOSIGNAL), sizeof(m));
	vg_loopfix_refused_cleanly(f, before, sock, EINVAL);
}

static void loop_mmio_malformed_packet_disconnects_only_that_guest(void **state)
{
	struct vg_loopfix *f = *state;
	int a = vg_loopfix_guest_connect(f, "alpha", NULL),
	    b = vg_loopfix_guest_connect(f, "beta", NULL);
	struct vg_loop_msg m = {.type = vg_le16_put(VG_LOOP_WELCOME),
				.size = vg_le16_put(4)};
	char c, out[4096];

	/* Wrong type: alpha is dropped. */
	assert_int_equal(send(a, &m, sizeof(m), MSG_NOSIGNAL), sizeof(m));
	assert_int_equal(vg_loopfix_recv(f, a, &c, 1), 0);
	close(a);
	/* Wrong length: beta is dropped too, after alpha reconnected. */
	a = vg_loopfix_guest_connect(f, "alpha", NULL);
	m.type = vg_le16_put(VG_LOOP_MMIO_READ);
	assert_int_equal(send(b, &m, sizeof(m) - 1, MSG_NOSIGNAL),
			 sizeof(m) - 1);
	assert_int_equal(vg_loopfix_recv(f, b, &c, 1), 0);
	close(b);
	assert_int_equal(vg_loopfix_mmio(f, a, VG_LOOP_MMIO_READ,
					 VG_MMIO_MAGIC_VALUE, 4, 0),
			 VG_MMIO_MAGIC);
	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_non_null(strstr(out, "domain alpha connected yes"));
	assert_non_null(strstr(out, "domain beta connected no"));
	vg_loopfix_guest_close(f, a, "alpha");
}

static void loop_mmio_bad_access_answered_with_zero(void **state)
{
	struct vg_loopfix *f = *state;
	int a = vg_loopfix_guest_connect(f, "alpha", NULL);

	/* Bad size, then an offset far outside the window: both answered. */
	assert_int_equal(vg_loopfix_mmio(f, a, VG_LOOP_MMIO_READ,
					 VG_MMIO_MAGIC_VALUE, 3, 0),
			 0);
	assert_int_equal(
		vg_loopfix_mmio(f, a, VG_LOOP_MMIO_READ, UINT64_MAX - 3, 4, 0),
		0);
	(void)vg_loopfix_mmio(f, a, VG_LOOP_MMIO_WRITE, 0x10000000, 4, 1);
	/* The device is still fine. */
	assert_int_equal(vg_loopfix_mmio(f, a, VG_LOOP_MMIO_READ,
					 VG_MMIO_MAGIC_VALUE, 4, 0),
			 VG_MMIO_MAGIC);
	vg_loopfix_guest_close(f, a, "alpha");
}

/*
 * A guest that pipelines accesses and does not read the replies fills its
 * socket; the daemon must neither block nor drop a reply, and must answer
 * in order once the guest reads again.
 */
static void loop_mmio_flood_without_reading_loses_no_reply(void **state)
{
	struct vg_loopfix *f = *state;
	int a = vg_loopfix_guest_connect(f, "alpha", NULL);
	struct vg_loop_msg m = {.type = vg_le16_put(VG_LOOP_MMIO_READ),
				.size = vg_le16_put(4),
				.addr = vg_le64_put(VG_MMIO_MAGIC_VALUE)};
	struct vg_loop_msg r;
	uint32_t sent = 0, got = 0;
	int i, idle = 0;

	/* Send until both directions are full. */
	for (i = 0; i < 100000 && idle < 3; i++) {
		m.seq = vg_le32_put(sent);
		if (send(a, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    sizeof(m)) {
			sent++;
			idle = 0;
			continue;
		}
		assert_true(errno == EAGAIN);
		if (vg_daemon_turn(f->d, 0) == 0)
			idle++;
	}
	assert_true(sent > 100);
	while (got < sent) {
		assert_int_equal(vg_loopfix_recv(f, a, &r, sizeof(r)),
				 sizeof(r));
		if (vg_le16_get(r.type) == VG_LOOP_IRQ)
			continue;
		assert_int_equal(vg_le16_get(r.type), VG_LOOP_MMIO_REPLY);
		assert_int_equal(vg_le32_get(r.seq), got);
		assert_int_equal(vg_le64_get(r.data), VG_MMIO_MAGIC);
		got++;
	}
	/* Back to normal service. */
	assert_int_equal(
		vg_loopfix_mmio(f, a, VG_LOOP_MMIO_READ, VG_MMIO_VERSION, 4, 0),
		VG_MMIO_VERSION_MODERN);
	vg_loopfix_guest_close(f, a, "alpha");
}

static void ctl_sim_commands_read_and_drive_lines(void **state)
{
	struct vg_loopfix *f = *state;
	char out[4096];

	/* Line a is held by alpha in its safe state: output high. */
	vg_loopfix_ctl(f, "sim get chip a\n", out, sizeof(out));
	assert_string_equal(out, "value 1 output 1 pull 0 requested 1\nok\n");
	vg_loopfix_ctl(f, "sim set chip c 1\n", out, sizeof(out));
	assert_string_equal(out, "ok\n");
	vg_loopfix_ctl(f, "sim get chip c\n", out, sizeof(out));
	assert_string_equal(out, "value 1 output 0 pull 1 requested 1\nok\n");
	vg_loopfix_ctl(f, "sim set chip c 2\n", out, sizeof(out));
	assert_non_null(strstr(out, "error: value must be 0 or 1"));
	vg_loopfix_ctl(f, "sim get chip nosuch\n", out, sizeof(out));
	assert_non_null(strstr(out, "error: no sim line chip nosuch"));
	vg_loopfix_ctl(f, "sim get chip\n", out, sizeof(out));
	assert_string_equal(out, "error: usage: sim get CHIP LINE\n");
	vg_loopfix_ctl(f, "reboot\n", out, sizeof(out));
	assert_string_equal(out,
			    "error: unknown command 'reboot' (try help)\n");
	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_non_null(strstr(out, "  line 0 name a host chip:a allow out "
				    "dir none revoked no value 1\n"));
}

static void ctl_long_line_disconnects_client(void **state)
{
	struct vg_loopfix *f = *state;
	char line[1024], out[4096];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	vg_loopfix_ctl(f, line, out, sizeof(out));
	assert_non_null(strstr(out, "error: line too long"));
	/* Others are unaffected. */
	vg_loopfix_ctl(f, "help\n", out, sizeof(out));
	assert_non_null(strstr(out, "sim get CHIP LINE"));
	assert_non_null(strstr(out, "\nok\n"));
}

static void daemon_new_refuses_non_socket_path(void **state)
{
	struct vg_loopfix *f = *state;
	struct vg_loop_config lc = {.path = NULL};
	struct vg_daemon_transport tp = {.cls = &vg_loop_class, .cfg = &lc};
	struct vg_daemon_params p = {
		.cfg = f->cfg,
		.sink = &f->sink,
		.ctl_path = f->ctl_path,
		.transports = &tp,
		.ntransports = 1,
	};
	struct vg_daemon *d2 = NULL;
	char file[100], stale[100];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	/* A regular file where the socket should go is never removed. */
	snprintf(file, sizeof(file), "%s/file", f->dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	lc.path = file;
	assert_int_equal(vg_daemon_new(&p, &d2), -EEXIST);
	assert_int_equal(access(file, F_OK), 0);
	unlink(file);
	/* A live daemon's socket is not stolen either. */
	lc.path = f->loop_path;
	assert_int_equal(vg_daemon_new(&p, &d2), -EADDRINUSE);
	/* A stale socket (nobody listening) is replaced. */
	snprintf(stale, sizeof(stale), "%s/stale.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	vg_daemon_free(f->d);
	f->d = NULL;
	lc.path = stale;
	assert_int_equal(vg_daemon_new(&p, &d2), 0);
	vg_daemon_free(d2);
	assert_int_equal(access(stale, F_OK), -1);
	/* Teardown wants a daemon on the original paths. */
	lc.path = f->loop_path;
	assert_int_equal(vg_daemon_new(&p, &f->d), 0);
}

static void daemon_new_names_line_that_cannot_open(void **state)
{
	struct vg_loopfix *f = *state;
	static const char bad[] = "[sim chip2]\n"
				  "lines = 2\n"
				  "[domain gamma]\n"
				  "lines = chip2 0, nochip 3\n";
	struct vg_log_sink sink = {.level = VG_LOG_WARN};
	struct vg_config *cfg;
	struct vg_loop_config lc = {.path = NULL};
	struct vg_daemon_transport tp = {.cls = &vg_loop_class, .cfg = &lc};
	struct vg_daemon_params p = {
		.sink = &sink,
		.transports = &tp,
		.ntransports = 1,
	};
	struct vg_daemon *d2 = NULL;
	char err[256], lp[100], cp[100], log[1024];
	ssize_t n;
	int pfd[2];

	assert_int_equal(pipe2(pfd, O_CLOEXEC | O_NONBLOCK), 0);
	sink.fd = pfd[1];
	assert_int_equal(vg_config_parse(bad, strlen(bad), "bad", &cfg, err,
					 sizeof(err)),
			 0);
	snprintf(lp, sizeof(lp), "%s/l2.sock", f->dir);
	snprintf(cp, sizeof(cp), "%s/c2.sock", f->dir);
	p.cfg = cfg;
	lc.path = lp;
	p.ctl_path = cp;
	assert_int_equal(vg_daemon_new(&p, &d2), -ENOENT);
	n = read(pfd[0], log, sizeof(log) - 1);
	assert_true(n > 0);
	log[n] = '\0';
	assert_non_null(strstr(log, "domain gamma"));
	assert_non_null(strstr(log, "chip nochip line 3"));
	assert_int_equal(access(lp, F_OK), -1);

	/* A later stage failing (control path busy) unwinds the loop socket. */
	p.ctl_path = f->ctl_path;
	vg_config_free(cfg);
	p.cfg = f->cfg;
	vg_daemon_free(f->d);
	f->d = NULL;
	sink.level = VG_LOG_ERR;
	{
		/* The fixture's daemon is gone: hold the control path. */
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->ctl_path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		assert_int_equal(listen(fd, 1), 0);
		assert_int_equal(vg_daemon_new(&p, &d2), -EADDRINUSE);
		assert_int_equal(access(lp, F_OK), -1);
		close(fd);
		unlink(f->ctl_path);
	}
	close(pfd[0]);
	close(pfd[1]);
	p.sink = &f->sink;
	lc.path = f->loop_path;
	assert_int_equal(vg_daemon_new(&p, &f->d), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, vg_loopfix_teardown)
	const struct CMUnitTest tests[] = {
		T(loop_hello_valid_gets_welcome),
		T(loop_hello_bad_magic_refused),
		T(loop_hello_wrong_version_refused),
		T(loop_hello_unknown_flags_refused),
		T(loop_hello_unknown_domain_refused),
		T(loop_hello_unterminated_domain_refused),
		T(loop_hello_duplicate_domain_refused),
		T(loop_hello_ram_larger_than_memfd_refused),
		T(loop_hello_zero_ram_refused),
		T(loop_hello_ram_wrapping_refused),
		T(loop_hello_grant_table_outside_ram_refused),
		T(loop_hello_missing_fd_refused),
		T(loop_hello_two_fds_refused),
		T(loop_hello_not_a_memfd_refused),
		T(loop_hello_unsealable_memfd_refused),
		T(loop_hello_truncated_packet_refused),
		T(loop_hello_oversized_packet_refused),
		T(loop_hello_mmio_first_refused),
		T(loop_mmio_malformed_packet_disconnects_only_that_guest),
		T(loop_mmio_bad_access_answered_with_zero),
		T(loop_mmio_flood_without_reading_loses_no_reply),
		T(ctl_sim_commands_read_and_drive_lines),
		T(ctl_long_line_disconnects_client),
		T(daemon_new_refuses_non_socket_path),
		T(daemon_new_names_line_that_cannot_open),
#undef T
#define R(fn) {#fn "_routed", fn, setup_routed, vg_loopfix_teardown, NULL}
		R(loop_hello_valid_gets_welcome),
		R(loop_hello_bad_magic_refused),
		R(loop_hello_wrong_version_refused),
		R(loop_hello_unknown_flags_refused),
		R(loop_hello_unknown_domain_refused),
		R(loop_hello_unterminated_domain_refused),
		R(loop_hello_duplicate_domain_refused),
		R(loop_hello_ram_larger_than_memfd_refused),
		R(loop_hello_zero_ram_refused),
		R(loop_hello_ram_wrapping_refused),
		R(loop_hello_grant_table_outside_ram_refused),
		R(loop_hello_missing_fd_refused),
		R(loop_hello_two_fds_refused),
		R(loop_hello_not_a_memfd_refused),
		R(loop_hello_unsealable_memfd_refused),
		R(loop_hello_truncated_packet_refused),
		R(loop_hello_oversized_packet_refused),
		R(loop_hello_mmio_first_refused),
		R(loop_mmio_malformed_packet_disconnects_only_that_guest),
		R(loop_mmio_bad_access_answered_with_zero),
		R(loop_mmio_flood_without_reading_loses_no_reply),
#undef R
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
