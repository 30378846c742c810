// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>
#include "evloop.h"

struct watch {
	struct vg_evloop *loop;
	int fd;
	unsigned int calls;
	uint32_t last_events;
	/* Delete (and close) these fds from inside the callback. */
	struct watch *victim;
	bool free_victim;
	struct watch **ran; /* set to the watch whose callback ran */
};

static void on_event(void *arg, uint32_t events)
{
	struct watch *w = arg;

	w->calls++;
	w->last_events = events;
	if (w->ran)
		*w->ran = w;
	if (w->victim) {
		struct watch *v = w->victim;

		vg_evloop_del(w->loop, v->fd);
		close(v->fd);
		if (w->free_victim)
			free(v);
		w->victim = NULL;
	}
}

static int efd_new(uint64_t count)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(fd >= 0);
	if (count)
		assert_int_equal(write(fd, &count, sizeof(count)),
				 sizeof(count));
	return fd;
}

static int setup(void **state)
{
	struct vg_evloop *loop;

	assert_int_equal(vg_evloop_new(&loop), 0);
	*state = loop;
	return 0;
}

static int teardown(void **state)
{
	vg_evloop_free(*state);
	return 0;
}

static void evloop_run_dispatches_ready_fds(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch a = {.loop = loop, .fd = efd_new(1)};
	struct watch b = {.loop = loop, .fd = efd_new(0)};

	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a), 0);
	assert_int_equal(vg_evloop_add(loop, b.fd, EPOLLIN, on_event, &b), 0);
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	assert_int_equal(a.calls, 1);
	assert_true(a.last_events & EPOLLIN);
	assert_int_equal(b.calls, 0);
	vg_evloop_del(loop, a.fd);
	vg_evloop_del(loop, b.fd);
	close(a.fd);
	close(b.fd);
}

static void evloop_add_rejects_duplicate_fd(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch a = {.loop = loop, .fd = efd_new(0)};

	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a), 0);
	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a),
			 -EEXIST);
	assert_int_equal(vg_evloop_add(loop, -1, EPOLLIN, on_event, &a),
			 -EINVAL);
	vg_evloop_del(loop, a.fd);
	close(a.fd);
}

static void evloop_run_timeout_zero_returns_at_once(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch a = {.loop = loop, .fd = efd_new(0)};

	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a), 0);
	assert_int_equal(vg_evloop_run_once(loop, 0), 0);
	assert_int_equal(a.calls, 0);
	vg_evloop_del(loop, a.fd);
	close(a.fd);
}

/*
 * Both fds are ready in one batch; whichever callback runs first deletes
 * and frees the other: the other's event must not be dispatched (ASan
 * would see the use after free).
 */
static void evloop_del_in_callback_drops_pending_events(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch *a = calloc(1, sizeof(*a));
	struct watch *b = calloc(1, sizeof(*b));
	struct watch *ran = NULL;

	assert_non_null(a);
	assert_non_null(b);
	*a = (struct watch){.loop = loop, .fd = efd_new(1)};
	*b = (struct watch){.loop = loop, .fd = efd_new(1)};
	a->victim = b;
	a->free_victim = true;
	a->ran = &ran;
	b->victim = a;
	b->free_victim = true;
	b->ran = &ran;
	assert_int_equal(vg_evloop_add(loop, a->fd, EPOLLIN, on_event, a), 0);
	assert_int_equal(vg_evloop_add(loop, b->fd, EPOLLIN, on_event, b), 0);
	/* Exactly one callback ran; it freed the other watch. */
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	assert_non_null(ran);
	assert_int_equal(ran->calls, 1);
	/* The survivor's fd is still readable and still dispatches. */
	ran->ran = NULL;
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	assert_int_equal(ran->calls, 2);
	vg_evloop_del(loop, ran->fd);
	close(ran->fd);
	free(ran);
}

/* Deleting and re-adding the same fd number in a batch is safe too. */
static void evloop_del_then_add_same_fd_in_batch(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch a = {.loop = loop, .fd = efd_new(1)};
	struct watch b = {.loop = loop, .fd = efd_new(1)};
	struct watch c = {.loop = loop};

	a.victim = &b;
	b.victim = &a;
	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a), 0);
	assert_int_equal(vg_evloop_add(loop, b.fd, EPOLLIN, on_event, &b), 0);
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	/* The deleted fd number can be watched again at once. */
	c.fd = efd_new(1);
	assert_int_equal(vg_evloop_add(loop, c.fd, EPOLLIN, on_event, &c), 0);
	assert_int_equal(vg_evloop_run_once(loop, 1000), 2);
	assert_int_equal(c.calls, 1);
	vg_evloop_del(loop, c.fd);
	close(c.fd);
	if (a.calls) {
		vg_evloop_del(loop, a.fd);
		close(a.fd);
	} else {
		vg_evloop_del(loop, b.fd);
		close(b.fd);
	}
}

static void evloop_mod_changes_interest(void **state)
{
	struct vg_evloop *loop = *state;
	struct watch a = {.loop = loop, .fd = efd_new(0)};

	/* An eventfd is always writable, readable only with a count. */
	assert_int_equal(vg_evloop_add(loop, a.fd, EPOLLIN, on_event, &a), 0);
	assert_int_equal(vg_evloop_run_once(loop, 0), 0);
	assert_int_equal(vg_evloop_mod(loop, a.fd, EPOLLOUT), 0);
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	assert_true(a.last_events & EPOLLOUT);
	assert_false(a.last_events & EPOLLIN);
	assert_int_equal(vg_evloop_mod(loop, a.fd, EPOLLIN), 0);
	assert_int_equal(vg_evloop_run_once(loop, 0), 0);
	assert_int_equal(vg_evloop_mod(loop, 12345, EPOLLIN), -ENOENT);
	vg_evloop_del(loop, a.fd);
	close(a.fd);
}

static void evloop_del_unwatched_fd_is_harmless(void **state)
{
	struct vg_evloop *loop = *state;
	int p[2];

	assert_int_equal(pipe(p), 0);
	vg_evloop_del(loop, p[0]);
	vg_evloop_del(loop, -1);
	vg_evloop_del(loop, 100000);
	/* A pipe with data dispatches after the no-op deletes. */
	{
		struct watch a = {.loop = loop, .fd = p[0]};

		assert_int_equal(write(p[1], "x", 1), 1);
		assert_int_equal(
			vg_evloop_add(loop, p[0], EPOLLIN, on_event, &a), 0);
		assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
		assert_int_equal(a.calls, 1);
		vg_evloop_del(loop, p[0]);
	}
	close(p[0]);
	close(p[1]);
}

static void evloop_run_reports_hangup(void **state)
{
	struct vg_evloop *loop = *state;
	int p[2];
	struct watch a = {.loop = loop};

	assert_int_equal(pipe(p), 0);
	a.fd = p[0];
	assert_int_equal(vg_evloop_add(loop, p[0], EPOLLIN, on_event, &a), 0);
	close(p[1]);
	assert_int_equal(vg_evloop_run_once(loop, 1000), 1);
	assert_true(a.last_events & EPOLLHUP);
	vg_evloop_del(loop, p[0]);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(evloop_run_dispatches_ready_fds,
						setup, teardown),
		cmocka_unit_test_setup_teardown(evloop_add_rejects_duplicate_fd,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			evloop_run_timeout_zero_returns_at_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			evloop_del_in_callback_drops_pending_events, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			evloop_del_then_add_same_fd_in_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(evloop_mod_changes_interest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			evloop_del_unwatched_fd_is_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(evloop_run_reports_hangup,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
