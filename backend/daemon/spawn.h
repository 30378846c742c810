/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting and reaping a worker process: fork and exec of a program (vgpiod
 * itself in worker mode), so every worker gets a fresh address-space
 * layout and nothing of the parent's memory, with exactly the fds it is
 * given.
 *
 * The child gets: fd 0 and 1 on /dev/null, fd 2 on @log_fd (or
 * /dev/null), @fds[i] as fd 3 + i, nothing else (close_range); its own
 * session (no controlling terminal); an empty signal mask and default
 * dispositions (the parent blocks signals for its signalfd, and exec
 * would keep that mask). A failed exec ends the child with status 127.
 *
 * The parent holds the child as a pidfd: readable once the child has
 * exited, so the event loop watches it like any fd, and signals and
 * waits go through it, never through a pid that could be reused.
 */
#ifndef VGPIO_SPAWN_H
#define VGPIO_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#define VG_SPAWN_FDS_MAX 8u

struct vg_spawn_params {
	const char *path; /* program to exec */
	const char *const *argv; /* NULL-terminated; argv[0] by convention */
	const int *fds; /* become 3, 4, ... in the child; borrowed */
	unsigned int nfds; /* at most VG_SPAWN_FDS_MAX */
	int log_fd; /* the child's stderr; -1: /dev/null */
};

struct vg_spawn {
	pid_t pid;
	int pidfd; /* -1 once released */
};

/* Start the child. 0, or -errno with nothing left running. */
int vg_spawn_start(const struct vg_spawn_params *p, struct vg_spawn *out);
/*
 * Has it exited? 0 and its wait status in *status (reaped), or -EAGAIN
 * while it runs, or -errno.
 */
int vg_spawn_reap(struct vg_spawn *s, int *status);
/* Signal it (through the pidfd). 0 or -errno (-ESRCH once exited). */
int vg_spawn_kill(const struct vg_spawn *s, int sig);
/*
 * Wait up to @ms milliseconds for it to exit (without reaping it). true
 * once it has exited (or was released), false if it still runs.
 */
bool vg_spawn_wait(const struct vg_spawn *s, int ms);
/*
 * Kill (SIGKILL) and reap a child that is still running, then close the
 * pidfd. For teardown; a reaped child is only closed. Safe twice.
 */
void vg_spawn_release(struct vg_spawn *s);

#endif /* VGPIO_SPAWN_H */
