// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "evloop.h"

#define VG_EVLOOP_BATCH 64

struct vg_ev_watch {
	int fd;
	vg_ev_fn fn;
	void *arg;
	bool dead;
	struct vg_ev_watch *next_dead;
};

struct vg_evloop {
	int epfd;
	struct vg_ev_watch **byfd; /* watch by fd number, NULL = not watched */
	size_t nbyfd;
	/*
	 * Watches deleted while a batch is dispatched: epoll_wait() already
	 * returned events pointing at them, so they are marked dead and freed
	 * only after the batch.
	 */
	struct vg_ev_watch *graveyard;
	bool dispatching;
};

int vg_evloop_new(struct vg_evloop **out)
{
	struct vg_evloop *loop;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int rc = -errno;

		free(loop);
		return rc;
	}
	*out = loop;
	return 0;
}

static void bury(struct vg_evloop *loop)
{
	while (loop->graveyard) {
		struct vg_ev_watch *w = loop->graveyard;

		loop->graveyard = w->next_dead;
		free(w);
	}
}

void vg_evloop_free(struct vg_evloop *loop)
{
	size_t i;

	if (!loop)
		return;
	for (i = 0; i < loop->nbyfd; i++)
		free(loop->byfd[i]);
	bury(loop);
	free(loop->byfd);
	close(loop->epfd);
	free(loop);
}

static struct vg_ev_watch *lookup(const struct vg_evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nbyfd)
		return NULL;
	return loop->byfd[fd];
}

int vg_evloop_add(struct vg_evloop *loop, int fd, uint32_t events, vg_ev_fn fn,
		  void *arg)
{
	struct epoll_event ev = {.events = events};
	struct vg_ev_watch *w;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (lookup(loop, fd))
		return -EEXIST;
	if ((size_t)fd >= loop->nbyfd) {
		size_t n = (size_t)fd + 1 > 2 * loop->nbyfd ? (size_t)fd + 1
							    : 2 * loop->nbyfd;
		struct vg_ev_watch **t = realloc(loop->byfd, n * sizeof(*t));
		size_t i;

		if (!t)
			return -ENOMEM;
		for (i = loop->nbyfd; i < n; i++)
			t[i] = NULL;
		loop->byfd = t;
		loop->nbyfd = n;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(w);
		return rc;
	}
	loop->byfd[fd] = w;
	return 0;
}

int vg_evloop_mod(struct vg_evloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};
	struct vg_ev_watch *w = lookup(loop, fd);

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void vg_evloop_del(struct vg_evloop *loop, int fd)
{
	struct vg_ev_watch *w = lookup(loop, fd);

	if (!w)
		return;
	/* Fails only if the fd was already closed, which removed it anyway. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->byfd[fd] = NULL;
	if (loop->dispatching) {
		w->dead = true;
		w->next_dead = loop->graveyard;
		loop->graveyard = w;
	} else {
		free(w);
	}
}

int vg_evloop_run_once(struct vg_evloop *loop, int timeout_ms)
{
	struct epoll_event evs[VG_EVLOOP_BATCH];
	int r, i, ran = 0;

	r = epoll_wait(loop->epfd, evs, VG_EVLOOP_BATCH, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching = true;
	for (i = 0; i < r; i++) {
		struct vg_ev_watch *w = evs[i].data.ptr;

		/* Deleted by an earlier callback of this batch. */
		if (w->dead)
			continue;
		w->fn(w->arg, evs[i].events);
		ran++;
	}
	loop->dispatching = false;
	bury(loop);
	return ran;
}
