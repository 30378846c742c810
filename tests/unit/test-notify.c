// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "drain.h"
#include "log.h"
#include "notify.h"
#include "tmpdir.h"

struct fixture {
	char dir[128];
	int fds[2]; /* pipe: [0] read back, [1] the log sink's fd */
	int rx; /* the "manager's" socket, -1 until bound */
	struct vg_log_sink sink;
	struct vg_log log;
	char addr[256]; /* what goes in $NOTIFY_SOCKET */
	char out[4096];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vg_tmpdir_new(f->dir, sizeof(f->dir), "notify"), 0);
	assert_int_equal(pipe2(f->fds, O_NONBLOCK | O_CLOEXEC), 0);
	f->rx = -1;
	f->sink.level = VG_LOG_DEBUG;
	f->sink.fd = f->fds[1];
	vg_log_init(&f->log, &f->sink, "vgpiod");
	assert_int_equal(unsetenv(VG_NOTIFY_ENV), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unsetenv(VG_NOTIFY_ENV);
	if (f->rx >= 0)
		close(f->rx);
	close(f->fds[0]);
	close(f->fds[1]);
	vg_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* Log output since the last call, NUL-terminated. */
static const char *drain(struct fixture *f)
{
	return vg_test_drain(f->fds[0], f->out, sizeof(f->out));
}

/*
 * Bind the manager's datagram socket at @addr ("/path" or "@name") and
 * point $NOTIFY_SOCKET at it.
 */
static void listen_at(struct fixture *f, const char *addr)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(addr);
	socklen_t alen;

	/* A path needs its NUL; an abstract name's '@' becomes one. */
	assert_true(len < sizeof(sun.sun_path) + (addr[0] == '@'));
	memcpy(sun.sun_path, addr, len);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	f->rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->rx >= 0);
	assert_int_equal(bind(f->rx, (struct sockaddr *)&sun, alen), 0);
	snprintf(f->addr, sizeof(f->addr), "%s", addr);
	assert_int_equal(setenv(VG_NOTIFY_ENV, addr, 1), 0);
}

/* The one datagram waiting at the manager's socket, then that no more is. */
static void expect_datagram(struct fixture *f, const char *want)
{
	char buf[256];
	ssize_t r;

	r = recv(f->rx, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(r, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	r = recv(f->rx, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(r, -1);
	assert_int_equal(errno, EAGAIN);
}

/* The warning vg_notify_*() logs for a failure. */
static void expect_logged(struct fixture *f, const char *state,
			  const char *addr, int err)
{
	char want[512];

	snprintf(want, sizeof(want),
		 "vgpiod: service manager notification %s to %s: %s\n", state,
		 addr, strerror(err));
	assert_string_equal(drain(f), want);
}

static void notify_ready_unset_does_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vg_notify_ready(&f->log), 0);
	assert_int_equal(vg_notify_stopping(&f->log), 0);
	assert_string_equal(drain(f), "");
}

static void notify_send_null_addr_does_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vg_notify_send(&f->log, NULL, "READY=1"), 0);
	assert_string_equal(drain(f), "");
}

static void notify_ready_path_sends_ready(void **state)
{
	struct fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/notify", f->dir);
	listen_at(f, path);
	assert_int_equal(vg_notify_ready(&f->log), 0);
	expect_datagram(f, "READY=1");
	assert_string_equal(drain(f), "");
}

static void notify_stopping_path_sends_stopping(void **state)
{
	struct fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/notify", f->dir);
	listen_at(f, path);
	assert_int_equal(vg_notify_stopping(&f->log), 0);
	expect_datagram(f, "STOPPING=1");
}

static void notify_ready_abstract_sends_ready(void **state)
{
	struct fixture *f = *state;
	char name[256];

	/* The temporary directory's name is unique: reuse it. */
	snprintf(name, sizeof(name), "@%s", strrchr(f->dir, '/') + 1);
	listen_at(f, name);
	assert_int_equal(vg_notify_ready(&f->log), 0);
	expect_datagram(f, "READY=1");
	assert_string_equal(drain(f), "");
}

/* The longest names that fit sockaddr_un still go out. */
static void notify_ready_longest_names_are_sent(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	char name[sizeof(sun.sun_path) + 1];
	size_t n;

	/* Abstract: '@' stands for the leading NUL, so all 108 bytes. */
	n = (size_t)snprintf(name, sizeof(name), "@%s",
			     strrchr(f->dir, '/') + 1);
	memset(name + n, 'a', sizeof(sun.sun_path) - n);
	name[sizeof(sun.sun_path)] = '\0';
	listen_at(f, name);
	assert_int_equal(vg_notify_ready(&f->log), 0);
	expect_datagram(f, "READY=1");
	close(f->rx);

	/* Path: 107 characters and the NUL. */
	n = (size_t)snprintf(name, sizeof(name), "%s/", f->dir);
	memset(name + n, 'p', sizeof(sun.sun_path) - 1 - n);
	name[sizeof(sun.sun_path) - 1] = '\0';
	listen_at(f, name);
	assert_int_equal(vg_notify_ready(&f->log), 0);
	expect_datagram(f, "READY=1");
	assert_string_equal(drain(f), "");
}

static void notify_ready_relative_path_fails(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(setenv(VG_NOTIFY_ENV, "run/notify", 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -EINVAL);
	expect_logged(f, "READY=1", "run/notify", EINVAL);
}

static void notify_ready_empty_or_bare_at_fails(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(setenv(VG_NOTIFY_ENV, "", 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -EINVAL);
	expect_logged(f, "READY=1", "", EINVAL);
	assert_int_equal(setenv(VG_NOTIFY_ENV, "@", 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -EINVAL);
	expect_logged(f, "READY=1", "@", EINVAL);
}

static void notify_ready_too_long_path_fails(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path) + 1];

	/* 108 characters leave no room for the NUL. */
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(setenv(VG_NOTIFY_ENV, path, 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -ENAMETOOLONG);
	expect_logged(f, "READY=1", path, ENAMETOOLONG);

	/* One character fewer fits, and fails only for want of a listener. */
	path[sizeof(path) - 2] = '\0';
	assert_int_equal(setenv(VG_NOTIFY_ENV, path, 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -ENOENT);
	expect_logged(f, "READY=1", path, ENOENT);
}

static void notify_ready_too_long_abstract_fails(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	char name[sizeof(sun.sun_path) + 2];

	memset(name, 'x', sizeof(name) - 1);
	name[0] = '@';
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(setenv(VG_NOTIFY_ENV, name, 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -ENAMETOOLONG);
	expect_logged(f, "READY=1", name, ENAMETOOLONG);
}

static void notify_ready_missing_path_fails(void **state)
{
	struct fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/nobody", f->dir);
	assert_int_equal(setenv(VG_NOTIFY_ENV, path, 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -ENOENT);
	expect_logged(f, "READY=1", path, ENOENT);
}

/* A socket file whose owner has gone: nothing is listening. */
static void notify_ready_closed_socket_fails(void **state)
{
	struct fixture *f = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/notify", f->dir);
	listen_at(f, path);
	close(f->rx);
	f->rx = -1;
	assert_int_equal(vg_notify_ready(&f->log), -ECONNREFUSED);
	expect_logged(f, "READY=1", path, ECONNREFUSED);
}

static void notify_ready_unbound_abstract_fails(void **state)
{
	struct fixture *f = *state;
	char name[256];

	snprintf(name, sizeof(name), "@%s-nobody", strrchr(f->dir, '/') + 1);
	assert_int_equal(setenv(VG_NOTIFY_ENV, name, 1), 0);
	assert_int_equal(vg_notify_ready(&f->log), -ECONNREFUSED);
	expect_logged(f, "READY=1", name, ECONNREFUSED);
}

/* A NULL log is silent, and the error still comes back. */
static void notify_ready_null_log_fails_quietly(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(setenv(VG_NOTIFY_ENV, "relative", 1), 0);
	assert_int_equal(vg_notify_ready(NULL), -EINVAL);
	assert_string_equal(drain(f), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(notify_ready_unset_does_nothing),
		T(notify_send_null_addr_does_nothing),
		T(notify_ready_path_sends_ready),
		T(notify_stopping_path_sends_stopping),
		T(notify_ready_abstract_sends_ready),
		T(notify_ready_longest_names_are_sent),
		T(notify_ready_relative_path_fails),
		T(notify_ready_empty_or_bare_at_fails),
		T(notify_ready_too_long_path_fails),
		T(notify_ready_too_long_abstract_fails),
		T(notify_ready_missing_path_fails),
		T(notify_ready_closed_socket_fails),
		T(notify_ready_unbound_abstract_fails),
		T(notify_ready_null_log_fails_quietly),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
