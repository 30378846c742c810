// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests: starting and reaping worker processes (backend/daemon/spawn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* Run `sh -c SCRIPT` with @fds; return its wait status. */
static int run_sh(const char *script, const int *fds, unsigned int nfds,
		  int log_fd)
{
	const char *const argv[] = {"sh", "-c", script, NULL};
	const struct vg_spawn_params p = {
		.path = "/bin/sh",
		.argv = argv,
		.fds = fds,
		.nfds = nfds,
		.log_fd = log_fd,
	};
	struct vg_spawn s;
	struct pollfd pf;
	int status = -1;

	assert_int_equal(vg_spawn_start(&p, &s), 0);
	pf = (struct pollfd){.fd = s.pidfd, .events = POLLIN};
	/* The pidfd becomes readable when the child exits. */
	assert_int_equal(poll(&pf, 1, 20000), 1);
	assert_int_equal(vg_spawn_reap(&s, &status), 0);
	assert_int_equal(s.pidfd, -1);
	return status;
}

/* What the child wrote to the pipe, NUL-terminated. */
static void read_all(int fd, char *buf, size_t len)
{
	size_t at = 0;
	ssize_t r;

	while (at < len - 1 && (r = read(fd, buf + at, len - 1 - at)) > 0)
		at += (size_t)r;
	buf[at] = '\0';
}

static void spawn_child_holds_exactly_the_given_fds(void **state)
{
	int out[2], extra[2], stray, fds[2];
	char buf[256];

	(void)state;
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(extra, O_CLOEXEC), 0);
	/*
	 * Not close-on-exec: the child must still not get it. The script
	 * tests each number (a listing of /proc/$$/fd would show its own
	 * directory fd, and a redirected loop the shell's saved stdout).
	 */
	stray = open("/dev/null", O_RDONLY);
	assert_true(stray >= 0);
	fds[0] = out[1];
	fds[1] = extra[0];
	assert_int_equal(
		run_sh("exec 1>&3; for i in $(seq 0 64); do"
		       " [ -e /proc/$$/fd/$i ] && printf '%s ' $i; done;"
		       " echo via3 >&3",
		       fds, 2, -1),
		0);
	close(out[1]);
	read_all(out[0], buf, sizeof(buf));
	assert_string_equal(buf, "0 1 2 3 4 via3\n");
	close(out[0]);
	close(extra[0]);
	close(extra[1]);
	close(stray);
}

static void spawn_child_stderr_is_the_log_fd(void **state)
{
	int logp[2];
	char buf[64];

	(void)state;
	assert_int_equal(pipe2(logp, O_CLOEXEC), 0);
	assert_int_equal(run_sh("echo to-log >&2; echo lost", NULL, 0, logp[1]),
			 0);
	close(logp[1]);
	read_all(logp[0], buf, sizeof(buf));
	assert_string_equal(buf, "to-log\n");
	close(logp[0]);
}

/* No blocked signals inherited, and a session of its own. */
static void spawn_child_has_clean_signals_and_own_session(void **state)
{
	sigset_t set, old;
	int out[2];
	char buf[128];

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(
		run_sh("read -r pid comm st ppid pgrp sid rest < /proc/$$/stat;"
		       "[ \"$sid\" = \"$$\" ] && echo own-session >&3",
		       &out[1], 1, -1),
		0);
	/*
	 * The mask read by the program the child became, not by a shell
	 * looking at itself from a subprocess: the shell blocks signals
	 * around its own forks, which a read of /proc/$$ can catch.
	 */
	assert_int_equal(run_sh("exec grep SigBlk /proc/self/status >&3",
				&out[1], 1, -1),
			 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(out[1]);
	read_all(out[0], buf, sizeof(buf));
	assert_string_equal(buf, "own-session\nSigBlk:\t0000000000000000\n");
	close(out[0]);
}

static void spawn_reap_reports_exit_and_signal(void **state)
{
	const char *const argv[] = {"sleep", "30", NULL};
	const struct vg_spawn_params p = {
		.path = "/bin/sleep",
		.argv = argv,
		.log_fd = -1,
	};
	struct vg_spawn s;
	struct pollfd pf;
	int status;

	(void)state;
	status = run_sh("exit 3", NULL, 0, -1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_int_equal(vg_spawn_start(&p, &s), 0);
	assert_int_equal(vg_spawn_reap(&s, &status), -EAGAIN);
	assert_int_equal(vg_spawn_kill(&s, SIGTERM), 0);
	pf = (struct pollfd){.fd = s.pidfd, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 20000), 1);
	assert_int_equal(vg_spawn_reap(&s, &status), 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(vg_spawn_kill(&s, SIGTERM), -ESRCH);
	vg_spawn_release(&s); /* reaped: nothing to do */
}

static void spawn_failed_exec_exits_127(void **state)
{
	const char *const argv[] = {"nothing", NULL};
	const struct vg_spawn_params p = {
		.path = "/nonexistent/vgpiod",
		.argv = argv,
		.log_fd = -1,
	};
	struct vg_spawn s;
	struct pollfd pf;
	int status;

	(void)state;
	assert_int_equal(vg_spawn_start(&p, &s), 0);
	pf = (struct pollfd){.fd = s.pidfd, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 20000), 1);
	assert_int_equal(vg_spawn_reap(&s, &status), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 127);
}

static void spawn_release_kills_a_running_child(void **state)
{
	const char *const argv[] = {"sleep", "30", NULL};
	const struct vg_spawn_params p = {
		.path = "/bin/sleep",
		.argv = argv,
		.log_fd = -1,
	};
	struct vg_spawn s;
	pid_t pid;

	(void)state;
	assert_int_equal(vg_spawn_start(&p, &s), 0);
	pid = s.pid;
	vg_spawn_release(&s);
	assert_int_equal(s.pidfd, -1);
	/* Reaped: the pid is no child of ours any more. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	vg_spawn_release(&s);
}

static void spawn_refuses_bad_params(void **state)
{
	const char *const argv[] = {"x", NULL};
	int fds[VG_SPAWN_FDS_MAX + 1] = {0};
	struct vg_spawn_params p = {.path = "/bin/true", .argv = argv};
	struct vg_spawn s;

	(void)state;
	p.fds = fds;
	p.nfds = VG_SPAWN_FDS_MAX + 1;
	assert_int_equal(vg_spawn_start(&p, &s), -EINVAL);
	p.nfds = 1;
	p.fds = NULL;
	assert_int_equal(vg_spawn_start(&p, &s), -EINVAL);
	p.nfds = 0;
	p.argv = NULL;
	assert_int_equal(vg_spawn_start(&p, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spawn_child_holds_exactly_the_given_fds),
		cmocka_unit_test(spawn_child_stderr_is_the_log_fd),
		cmocka_unit_test(spawn_child_has_clean_signals_and_own_session),
		cmocka_unit_test(spawn_reap_reports_exit_and_signal),
		cmocka_unit_test(spawn_failed_exec_exits_127),
		cmocka_unit_test(spawn_release_kills_a_running_child),
		cmocka_unit_test(spawn_refuses_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
