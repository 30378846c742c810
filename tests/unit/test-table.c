// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: the table message between parent and worker (backend/daemon/table.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "table.h"

static const char text[] = "[domain alpha]\nlines = board a b\n";

struct pair {
	int sv[2];
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->sv),
		0);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	close(p->sv[0]);
	close(p->sv[1]);
	free(p);
	return 0;
}

/* An fd the receiver can tell apart: a pipe whose write end says @tag. */
static int tagged_fd(char tag)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], &tag, 1), 1);
	close(p[1]);
	return p[0];
}

static void table_round_trip_text_names_and_fds(void **state)
{
	struct pair *p = *state;
	struct vg_dom_fd out[2] = {
		{.chip = "gpiochip0", .line = "led", .name = "LED0"},
		{.chip = "gpiochip1", .line = "7", .name = ""},
	};
	struct vg_table_fd in[VG_TABLE_FDS_MAX];
	unsigned int n;
	size_t len;
	char *t, c;

	out[0].fd = tagged_fd('a');
	out[1].fd = tagged_fd('b');
	assert_int_equal(vg_table_send(p->sv[0], text, strlen(text), out, 2),
			 0);
	/* The sender's fds stay the sender's. */
	assert_true(fcntl(out[0].fd, F_GETFD) >= 0);
	close(out[0].fd);
	close(out[1].fd);
	assert_int_equal(vg_table_recv(p->sv[1], true, &t, &len, in, &n), 1);
	assert_int_equal(len, strlen(text));
	assert_string_equal(t, text);
	assert_int_equal(n, 2);
	assert_string_equal(in[0].chip, "gpiochip0");
	assert_string_equal(in[0].line, "led");
	assert_string_equal(in[0].name, "LED0");
	assert_string_equal(in[1].line, "7");
	assert_string_equal(in[1].name, ""); /* a host line with no name */
	assert_int_equal(read(in[0].fd, &c, 1), 1);
	assert_int_equal(c, 'a');
	assert_int_equal(read(in[1].fd, &c, 1), 1);
	assert_int_equal(c, 'b');
	close(in[0].fd);
	close(in[1].fd);
	free(t);
	/* Nothing more waiting; then the sender goes. */
	assert_int_equal(vg_table_recv(p->sv[1], false, &t, &len, in, &n), 0);
	close(p->sv[0]);
	p->sv[0] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(vg_table_recv(p->sv[1], false, &t, &len, in, &n),
			 -EPIPE);
}

/* Send raw @buf with @nfds tagged fds; the receiver must refuse it. */
static void refused(struct pair *p, const void *buf, size_t len,
		    unsigned int nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} cb;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct vg_table_fd in[VG_TABLE_FDS_MAX];
	int fds[2] = {-1, -1};
	unsigned int i, n;
	size_t tlen;
	char *t;

	if (nfds) {
		for (i = 0; i < nfds; i++)
			fds[i] = tagged_fd('x');
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(p->sv[0], &mh, 0), (ssize_t)len);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	assert_int_equal(vg_table_recv(p->sv[1], true, &t, &tlen, in, &n),
			 -EPROTO);
	assert_null(t);
	assert_int_equal(n, 0);
}

static void table_recv_refuses_broken_packets(void **state)
{
	struct pair *p = *state;
	/* version 1, 0, nfds, text length 2, "ab", map "c\0l\0n\0" */
	uint8_t ok[] = {1,   0,	  1,   0, 2,   0, 0,   0,
			'a', 'b', 'c', 0, 'l', 0, 'n', 0};
	uint8_t b[sizeof(ok)];

	memcpy(b, ok, sizeof(b));
	refused(p, b, 3, 0); /* shorter than the header */
	b[0] = 2;
	refused(p, b, sizeof(b), 1); /* version */
	memcpy(b, ok, sizeof(b));
	b[1] = 1;
	refused(p, b, sizeof(b), 1); /* the zero byte */
	memcpy(b, ok, sizeof(b));
	refused(p, b, sizeof(b), 0); /* says 1 fd, has none */
	refused(p, b, sizeof(b), 2); /* says 1 fd, has 2 */
	b[4] = 40;
	refused(p, b, sizeof(b), 1); /* text longer than the packet */
	memcpy(b, ok, sizeof(b));
	b[9] = 0;
	refused(p, b, sizeof(b), 1); /* a NUL in the text */
	memcpy(b, ok, sizeof(b));
	refused(p, b, sizeof(b) - 1, 1); /* map cut short */
	b[10] = 0;
	refused(p, b, sizeof(b), 1); /* an empty chip name */
}

static void table_send_refuses_too_much(void **state)
{
	struct pair *p = *state;
	struct vg_dom_fd fds[VG_TABLE_FDS_MAX + 1] = {{0}};
	char *big = calloc(1, VG_TABLE_MAX);

	assert_non_null(big);
	assert_int_equal(vg_table_send(p->sv[0], text, strlen(text), fds,
				       VG_TABLE_FDS_MAX + 1),
			 -E2BIG);
	assert_int_equal(vg_table_send(p->sv[0], big, VG_TABLE_MAX, NULL, 0),
			 -E2BIG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			table_round_trip_text_names_and_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(
			table_recv_refuses_broken_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(table_send_refuses_too_much,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
