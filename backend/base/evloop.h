/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's event loop: epoll over every fd (listening sockets, guest
 * connections, provider event fds, control clients, signalfd). No timers
 * polling anything; callbacks run on the loop's thread.
 */
#ifndef VGPIO_EVLOOP_H
#define VGPIO_EVLOOP_H

#include <stdint.h>

struct vg_evloop;

/* @events: EPOLLIN / EPOLLOUT / EPOLLHUP / EPOLLERR bits that fired. */
typedef void (*vg_ev_fn)(void *arg, uint32_t events);

int vg_evloop_new(struct vg_evloop **out);
void vg_evloop_free(struct vg_evloop *loop);

/* Watch @fd for @events (EPOLLIN...). 0 or -errno (-EEXIST if watched). */
int vg_evloop_add(struct vg_evloop *loop, int fd, uint32_t events, vg_ev_fn fn,
		  void *arg);
int vg_evloop_mod(struct vg_evloop *loop, int fd, uint32_t events);
/*
 * Stop watching @fd. Safe from inside a callback: events of the current
 * batch for @fd are dropped, so its @arg may be freed right after.
 */
void vg_evloop_del(struct vg_evloop *loop, int fd);

/*
 * Wait up to @timeout_ms (-1 = forever, 0 = just poll) and dispatch. Returns
 * the number of callbacks run, 0 on timeout or EINTR, -errno on failure.
 */
int vg_evloop_run_once(struct vg_evloop *loop, int timeout_ms);

#endif /* VGPIO_EVLOOP_H */
