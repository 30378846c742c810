// SPDX-License-Identifier: BSD-3-Clause
/* Starting and reaping worker processes (spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spawn.h"

/*
 * In the child, between fork and exec: async-signal-safe calls only.
 * The given fds are first moved above every target number, so that
 * putting one in place never overwrites another still to be moved.
 */
static _Noreturn void child(const struct vg_spawn_params *p)
{
	int hi[VG_SPAWN_FDS_MAX], null, sig;
	struct sigaction sa;
	sigset_t none;
	unsigned int i;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		_exit(127);
	for (i = 0; i < p->nfds; i++) {
		hi[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC,
			      3 + VG_SPAWN_FDS_MAX + 1);
		if (hi[i] < 0)
			_exit(127);
	}
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(p->log_fd >= 0 ? p->log_fd : null, 2) < 0)
		_exit(127);
	for (i = 0; i < p->nfds; i++)
		if (dup2(hi[i], 3 + (int)i) < 0) /* dup2 clears CLOEXEC */
			_exit(127);
	if (close_range(3 + p->nfds, ~0u, 0) < 0)
		_exit(127);
	if (setsid() < 0)
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP: EINVAL */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		_exit(127);
	execv(p->path, (char *const *)p->argv); /* execv does not write */
	_exit(127);
}

int vg_spawn_start(const struct vg_spawn_params *p, struct vg_spawn *out)
{
	int rc, status;
	pid_t pid;

	if (!p->path || !p->argv || p->nfds > VG_SPAWN_FDS_MAX ||
	    (p->nfds && !p->fds))
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child(p);
	/* Not reaped yet, so the pid cannot have been reused. */
	out->pidfd = pidfd_open(pid, 0);
	if (out->pidfd < 0) {
		rc = -errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return rc;
	}
	(void)fcntl(out->pidfd, F_SETFD, FD_CLOEXEC);
	out->pid = pid;
	return 0;
}

int vg_spawn_reap(struct vg_spawn *s, int *status)
{
	siginfo_t si;

	if (s->pidfd < 0)
		return -ECHILD;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG) <
	    0)
		return -errno;
	if (!si.si_pid)
		return -EAGAIN;
	/* Back to a wait status, as waitpid() would have said. */
	if (si.si_code == CLD_EXITED)
		*status = (si.si_status & 0xff) << 8;
	else
		*status = (si.si_status & 0x7f) |
			  (si.si_code == CLD_DUMPED ? 0x80 : 0);
	close(s->pidfd);
	s->pidfd = -1;
	return 0;
}

int vg_spawn_kill(const struct vg_spawn *s, int sig)
{
	if (s->pidfd < 0)
		return -ESRCH;
	return pidfd_send_signal(s->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

bool vg_spawn_wait(const struct vg_spawn *s, int ms)
{
	struct pollfd pfd = {.fd = s->pidfd, .events = POLLIN};
	int r;

	if (s->pidfd < 0)
		return true;
	while ((r = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

void vg_spawn_release(struct vg_spawn *s)
{
	siginfo_t si;

	if (s->pidfd < 0)
		return;
	(void)pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
	while (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED) < 0 &&
	       errno == EINTR)
		;
	close(s->pidfd);
	s->pidfd = -1;
}
