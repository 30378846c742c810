// SPDX-License-Identifier: BSD-3-Clause
/*
 * One guest cannot starve or break another: a real vgpiod with two
 * domains; "flood" runs in a thread of its own and keeps its requestq
 * full of valid chains (or keeps breaking its rings), while "calm" makes
 * ordinary requests from the test's thread. Each of calm's requests must
 * complete within FAIR_BOUND_MS: a correctness bound (starvation means
 * never), not a performance figure, so it is far above any real latency.
 * The control socket's counters confirm both guests made progress.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "daemon-run.h"
#include "hostile.h"
#include "shim.h"

static const char config[] = "[sim board]\n"
			     "lines = 4\n"
			     "names = f0 f1 c0 c1\n"
			     "\n"
			     "[domain flood]\n"
			     "lines = board f0 f1\n"
			     "line f0 = allow=in,out safe=low\n"
			     "line f1 = allow=in\n"
			     "\n"
			     "[domain calm]\n"
			     "lines = board c0 c1\n"
			     "line c0 = allow=in,out safe=low\n"
			     "line c1 = allow=in\n";

#define FAIR_BOUND_MS 2000
#define CALM_ROUNDS 200u /* two requests each */
#define FLOOD_READY_MS 20000 /* for the flood to get going at all */
/* Chains of two descriptors (request, response) fill the whole ring. */
#define FLOOD_MAX_CHAINS (VG_DRV_VQ_MAX / 2)

struct flood;
typedef void flood_fn(struct flood *fl);

/*
 * The flooding guest's thread. It never calls cmocka (which is not
 * thread-safe): it records the first failure in @err and @what, and the
 * test thread asserts on them after the join.
 */
struct flood {
	struct vg_shim *s;
	flood_fn *fn;
	pthread_t thread;
	bool running;
	atomic_bool stop; /* finish up: reach @min_done, then drain */
	atomic_bool abandon; /* teardown: leave at once */
	atomic_ulong done; /* completions (or violations) so far */
	unsigned long min_done;
	atomic_int err; /* -errno; @what is set before it */
	const char *what;
	/* valid flood: one request and one response buffer per chain */
	uint16_t nchains;
	uint64_t req[FLOOD_MAX_CHAINS], resp[FLOOD_MAX_CHAINS];
};

struct run {
	struct vg_drun *r;
	struct vg_shim *flood, *calm;
	struct flood fl;
};

static int run_setup(void **state)
{
	struct vg_shim_opts calm_opts = {.timeout_ms = FAIR_BOUND_MS};
	struct run *run = calloc(1, sizeof(*run));

	if (!run || vg_drun_start(config, NULL, &run->r)) {
		free(run);
		return -1;
	}
	if (vg_drun_guest(run->r, "flood", NULL, &run->flood) ||
	    vg_drun_guest(run->r, "calm", &calm_opts, &run->calm)) {
		/* cmocka runs no teardown after a failed setup. */
		vg_shim_free(run->flood);
		vg_drun_kill(run->r);
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static void flood_join(struct flood *fl)
{
	if (!fl->running)
		return;
	pthread_join(fl->thread, NULL);
	fl->running = false;
}

static int run_teardown(void **state)
{
	struct run *run = *state;
	int rc;

	/* A failed assertion left the thread running on a guest we free. */
	atomic_store(&run->fl.abandon, true);
	flood_join(&run->fl);
	vg_shim_free(run->flood);
	vg_shim_free(run->calm);
	/* Whatever the guests did, the daemon exits cleanly on SIGTERM. */
	rc = vg_drun_stop(run->r);
	free(run);
	if (rc)
		print_error("vgpiod exited with status %d\n", rc);
	return rc ? -1 : 0;
}

/* Record the first failure; the thread then winds down. */
static void flood_fail(struct flood *fl, int err, const char *what)
{
	if (atomic_load(&fl->err))
		return;
	fl->what = what;
	atomic_store(&fl->err, err ? err : -EPROTO);
}

/* Keep going? Once stopped, only until @min_done is reached. */
static bool flood_more(struct flood *fl)
{
	if (atomic_load(&fl->abandon) || atomic_load(&fl->err))
		return false;
	return !atomic_load(&fl->stop) || atomic_load(&fl->done) < fl->min_done;
}

static void *flood_main(void *arg)
{
	struct flood *fl = arg;

	fl->fn(fl);
	return NULL;
}

static void flood_start(struct run *run, flood_fn *fn, unsigned long min_done)
{
	struct flood *fl = &run->fl;

	fl->s = run->flood;
	fl->fn = fn;
	fl->min_done = min_done;
	assert_int_equal(pthread_create(&fl->thread, NULL, flood_main, fl), 0);
	fl->running = true;
}

/* Wait (bounded) until the flood has done @n things: it is under way. */
static void flood_wait_going(struct flood *fl, unsigned long n)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int i;

	for (i = 0; i < FLOOD_READY_MS / 10; i++) {
		if (atomic_load(&fl->done) >= n || atomic_load(&fl->err))
			break;
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&fl->err))
		fail_msg("flood: %s: %s", fl->what,
			 strerror(-atomic_load(&fl->err)));
	if (atomic_load(&fl->done) < n)
		fail_msg("flood did not get going: %lu of %lu",
			 atomic_load(&fl->done), n);
}

static void flood_finish(struct flood *fl)
{
	atomic_store(&fl->stop, true);
	flood_join(fl);
	if (atomic_load(&fl->err))
		fail_msg("flood: %s: %s", fl->what,
			 strerror(-atomic_load(&fl->err)));
}

/* --- the valid flood ------------------------------------------------------ */

/* Publish chain @k (descriptors 2k, 2k + 1) with a fresh GET_VALUE. */
static bool flood_post(struct flood *fl, uint16_t k)
{
	struct vg_shim *s = fl->s;
	struct vg_gpio_request req = {
		.type = vg_le16_put(VG_GPIO_MSG_GET_VALUE),
		.gpio = vg_le16_put(k % 2),
	};
	struct vg_hostile_desc d = {
		.addr = vg_hostile_dma(s, fl->req[k], true),
		.len = sizeof(req),
		.flags = VG_VRING_DESC_F_NEXT,
		.next = (uint16_t)(2 * k + 1),
	};

	memcpy(vg_drv_ptr(&s->mem, fl->req[k]), &req, sizeof(req));
	memset(vg_drv_ptr(&s->mem, fl->resp[k]), 0xff, 2);
	if (vg_hostile_desc_set(s, VG_GPIO_QUEUE_REQUEST, (uint16_t)(2 * k),
				&d)) {
		flood_fail(fl, -EINVAL, "request descriptor");
		return false;
	}
	d = (struct vg_hostile_desc){
		.addr = vg_hostile_dma(s, fl->resp[k], false),
		.len = 2,
		.flags = VG_VRING_DESC_F_WRITE,
	};
	if (vg_hostile_desc_set(s, VG_GPIO_QUEUE_REQUEST, (uint16_t)(2 * k + 1),
				&d) ||
	    vg_hostile_avail_push(s, VG_GPIO_QUEUE_REQUEST,
				  (uint16_t)(2 * k))) {
		flood_fail(fl, -EINVAL, "response descriptor");
		return false;
	}
	return true;
}

/* Take one completion and check it. Its chain index, or -1. */
static int flood_complete(struct flood *fl)
{
	struct vg_shim *s = fl->s;
	uint32_t id, len;
	uint8_t *resp;
	int r = vg_hostile_wait_used(s, VG_GPIO_QUEUE_REQUEST, FAIR_BOUND_MS,
				     &id, &len);

	if (r <= 0) {
		/* Its own ring full, the flooder must make progress too. */
		flood_fail(fl, r ? r : -ETIMEDOUT, "wait for used");
		return -1;
	}
	resp = vg_drv_ptr(&s->mem, fl->resp[id / 2 % fl->nchains]);
	if (id % 2 || id / 2 >= fl->nchains || len != 2 ||
	    resp[0] != VG_GPIO_STATUS_OK || resp[1] > 1) {
		flood_fail(fl, -EPROTO, "bad completion");
		return -1;
	}
	atomic_fetch_add(&fl->done, 1);
	return (int)(id / 2);
}

/*
 * Keep the whole requestq full: every completion is re-posted at once
 * and notified, so the device always has a full ring of work pending.
 */
static void flood_valid(struct flood *fl)
{
	struct vg_shim *s = fl->s;
	unsigned int inflight = 0;
	uint16_t k;
	int c;

	fl->nchains = (uint16_t)(s->vq[VG_GPIO_QUEUE_REQUEST].size / 2);
	if (!fl->nchains || fl->nchains > FLOOD_MAX_CHAINS) {
		flood_fail(fl, -EINVAL, "queue size");
		return;
	}
	for (k = 0; k < fl->nchains; k++) {
		fl->req[k] = vg_hostile_alloc(s, 8);
		fl->resp[k] = vg_hostile_alloc(s, 2);
		if (!fl->req[k] || !fl->resp[k]) {
			flood_fail(fl, -ENOMEM, "buffers");
			return;
		}
		if (!flood_post(fl, k))
			return;
		inflight++;
	}
	if (vg_hostile_notify(s, VG_GPIO_QUEUE_REQUEST)) {
		flood_fail(fl, -EIO, "notify");
		return;
	}
	while (flood_more(fl)) {
		c = flood_complete(fl);
		if (c < 0)
			return;
		if (!flood_post(fl, (uint16_t)c))
			return;
		if (vg_hostile_notify(s, VG_GPIO_QUEUE_REQUEST)) {
			flood_fail(fl, -EIO, "notify");
			return;
		}
	}
	/* Everything posted comes back before the device is checked. */
	while (inflight && !atomic_load(&fl->abandon)) {
		if (flood_complete(fl) < 0)
			return;
		inflight--;
	}
}

/* --- the broken flood ----------------------------------------------------- */

/*
 * Break the requestq over and over, with every kind of violation in turn
 * (all kinds but a negotiated indirect table): a fresh probe, one broken
 * chain, wait for DEVICE_NEEDS_RESET, then keep notifying the broken
 * queue.
 */
static void flood_broken(struct flood *fl)
{
	struct vg_shim *s = fl->s;
	enum vg_hostile_kind k = 0;
	unsigned int n;

	for (; flood_more(fl); k = (k + 1) % VG_HOSTILE_NR) {
		if (k == VG_HOSTILE_INDIRECT)
			continue;
		if (vg_shim_probe(s)) {
			flood_fail(fl, -EIO, "re-probe");
			return;
		}
		if (vg_hostile_send(s, VG_GPIO_QUEUE_REQUEST, k)) {
			flood_fail(fl, -EIO, vg_hostile_kind_name(k));
			return;
		}
		if (vg_hostile_expect_needs_reset(s, FAIR_BOUND_MS)) {
			flood_fail(fl, -ETIMEDOUT, vg_hostile_kind_name(k));
			return;
		}
		atomic_fetch_add(&fl->done, 1);
		/* A broken device takes no notifications: all ignored. */
		for (n = 0; n < 16; n++)
			if (vg_hostile_notify(s, VG_GPIO_QUEUE_REQUEST)) {
				flood_fail(fl, -EIO, "notify");
				return;
			}
	}
}

/* --- the well-behaved guest ----------------------------------------------- */

/*
 * calm drives c0 and reads it back @rounds times; the shim's own timeout
 * (FAIR_BOUND_MS) fails any request that takes longer. The control socket
 * is checked now and then: the daemon answers it under load too.
 */
static void calm_requests(struct run *run, unsigned int rounds)
{
	unsigned int i;
	int v;

	assert_int_equal(vg_shim_direction_output(run->calm, 0, 0), 0);
	for (i = 0; i < rounds; i++) {
		assert_int_equal(vg_shim_set_value(run->calm, 0, (int)(i & 1)),
				 0);
		assert_int_equal(vg_shim_get_value(run->calm, 0, &v), 0);
		assert_int_equal(v, (int)(i & 1));
		if (i % 32)
			continue;
		assert_int_equal(vg_drun_sim_get(run->r, "board", "c0", &v), 0);
		assert_int_equal(v, (int)(i & 1));
	}
}

static void status(struct run *run, const char *domain, struct vg_drun_dom *st)
{
	assert_int_equal(vg_drun_status(run->r, domain, st), 0);
	assert_true(st->connected);
}

/* A reset and a re-probe make @run's flood guest a normal guest again. */
static void flood_guest_recovers(struct run *run)
{
	int v;

	assert_int_equal(vg_shim_probe(run->flood), 0);
	assert_int_equal(vg_shim_direction_output(run->flood, 0, 1), 0);
	assert_int_equal(vg_drun_sim_get(run->r, "board", "f0", &v), 0);
	assert_int_equal(v, 1);
}

/* --- tests ---------------------------------------------------------------- */

static void fairness_full_requestq_does_not_starve_other_guest(void **state)
{
	struct run *run = *state;
	struct vg_drun_dom before, fa, ca;
	unsigned long ring;
	uint8_t st;

	status(run, "calm", &before);
	ring = run->flood->vq[VG_GPIO_QUEUE_REQUEST].size / 2;
	/* Twice the ring at least: every chain was re-posted. */
	flood_start(run, flood_valid, 2 * ring);
	/* The ring was full and the device has worked through it once. */
	flood_wait_going(&run->fl, ring);
	calm_requests(run, CALM_ROUNDS);
	flood_finish(&run->fl);
	print_message("  flood completed %lu requests meanwhile\n",
		      atomic_load(&run->fl.done));

	/* The flooding guest is fine too, and back to normal service. */
	assert_int_equal(vg_shim_device_status(run->flood, &st), 0);
	assert_false(st & VG_STATUS_DEVICE_NEEDS_RESET);
	flood_guest_recovers(run);

	status(run, "flood", &fa);
	status(run, "calm", &ca);
	assert_true(fa.requests >= atomic_load(&run->fl.done));
	assert_int_equal(fa.errors, 0);
	assert_int_equal(fa.broken, 0);
	assert_true(ca.requests >= before.requests + 2 * CALM_ROUNDS + 1);
	assert_int_equal(ca.errors, 0);
	assert_int_equal(ca.broken, 0);
}

static void fairness_broken_guest_breaks_only_itself(void **state)
{
	struct run *run = *state;
	struct vg_drun_dom fa, ca;
	uint8_t st;

	/* At least one round of every kind of violation. */
	flood_start(run, flood_broken, VG_HOSTILE_NR - 1);
	flood_wait_going(&run->fl, 1);
	calm_requests(run, CALM_ROUNDS);
	flood_finish(&run->fl);
	print_message("  flood broke its ring %lu times meanwhile\n",
		      atomic_load(&run->fl.done));

	status(run, "flood", &fa);
	status(run, "calm", &ca);
	assert_int_equal(fa.broken, atomic_load(&run->fl.done));
	assert_int_equal(ca.broken, 0);
	assert_int_equal(ca.errors, 0);
	assert_int_equal(vg_shim_device_status(run->calm, &st), 0);
	assert_false(st & VG_STATUS_DEVICE_NEEDS_RESET);
	flood_guest_recovers(run);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, run_setup, run_teardown)
	const struct CMUnitTest tests[] = {
		T(fairness_full_requestq_does_not_starve_other_guest),
		T(fairness_broken_guest_breaks_only_itself),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
