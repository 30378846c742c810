// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-bench: the figures `make bench` prints.
 *
 *  (a) the device core driven in process (shim -> register file -> device
 *      -> sim provider, no socket): what the backend itself costs;
 *  (b) the same requests over the loop transport with vgpiod;
 *  (c) a bare loop round trip: one register read, no device work;
 *  (d) edge -> eventq completion latency on a sim line, p50/p99, from the
 *      control socket's "sim set" to the shim seeing the VALID buffer.
 *
 * Performance lives here, never in timed tests. Iteration counts can be
 * scaled with VGPIO_BENCH_SCALE (default 1).
 *
 * The bench and the vgpiod it starts run pinned to one CPU by default: on
 * an idle virtual machine a wake-up across CPUs costs tens of microseconds
 * and would swamp what is measured, and make runs incomparable. Set
 * VGPIO_BENCH_CPU=any to measure with the scheduler's placement instead.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include "daemon-run.h"
#include "inproc-wire.h"
#include "shim.h"
#include "sim.h"

static const char bench_config[] = "[sim bench]\n"
				   "lines = 2\n"
				   "names = out in\n"
				   "\n"
				   "[domain bench]\n"
				   "lines = bench out in\n";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "vgpio-bench: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static double run_requests(struct vg_shim *s, unsigned long n)
{
	uint64_t t0 = now_ns();
	int v = 0, rc;

	for (unsigned long i = 0; i < n; i++) {
		rc = vg_shim_get_value(s, 1, &v);
		if (rc)
			die("GET_VALUE", rc);
	}
	return (double)(now_ns() - t0) / (double)n;
}

static void report(const char *name, double ns)
{
	printf("%-44s %12.0f req/s %10.0f ns/req\n", name, 1e9 / ns, ns);
}

static double bench_inproc(unsigned long n)
{
	struct vg_line_spec spec = {.chip = "bench", .initial_dir = VG_DIR_IN};
	struct vg_shim_opts o = {0};
	struct vg_inproc_wire *w = NULL;
	struct vg_shim_wire wire;
	struct vg_shim *s = NULL;
	struct vg_sim *sim = NULL;
	const char *names[] = {"out", "in"};
	struct vg_inproc_wire_params p = {0};
	double ns;
	int rc;

	if ((rc = vg_sim_new(NULL, &sim)) ||
	    (rc = vg_sim_add_chip(sim, "bench", 2, names)) ||
	    (rc = vg_inproc_wire_new(&w)))
		die("in-process setup", rc);
	spec.line = "out";
	if ((rc = vg_inproc_wire_add_line(w, vg_sim_provider(sim), &spec, "out",
					  VG_ALLOW_ALL, VG_SAFE_INPUT)))
		die("add line", rc);
	spec.line = "in";
	if ((rc = vg_inproc_wire_add_line(w, vg_sim_provider(sim), &spec, "in",
					  VG_ALLOW_ALL, VG_SAFE_INPUT)))
		die("add line", rc);
	if ((rc = vg_shim_new(&o, &s)) ||
	    (rc = vg_inproc_wire_start(w, &s->mem, &p, &wire)))
		die("in-process wire", rc);
	vg_shim_set_wire(s, &wire);
	if ((rc = vg_shim_probe(s)))
		die(vg_shim_error(s), rc);
	run_requests(s, n / 10); /* warm up */
	ns = run_requests(s, n);
	vg_shim_free(s);
	vg_sim_free(sim);
	return ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_loop(unsigned long n, double inproc_ns)
{
	struct vg_shim_opts o = {0};
	struct vg_drun *d = NULL;
	struct vg_shim *s = NULL;
	struct vg_shim_event ev;
	unsigned long nlat = n / 20 ? n / 20 : 1;
	uint64_t *lat, t0;
	double req_ns, rt_ns;
	char *reply = NULL;
	int rc;

	if ((rc = vg_drun_start(bench_config, NULL, &d)))
		die("start vgpiod", rc);
	if ((rc = vg_shim_new(&o, &s)) ||
	    (rc = vg_shim_connect_loop(s, vg_drun_socket(d), "bench")) ||
	    (rc = vg_shim_probe(s)))
		die(vg_shim_error(s), rc ? rc : -EIO);

	run_requests(s, n / 10);
	req_ns = run_requests(s, n);

	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		(void)vg_shim_read32(s, VG_MMIO_MAGIC_VALUE);
	rt_ns = (double)(now_ns() - t0) / (double)n;
	if (vg_shim_read32(s, VG_MMIO_MAGIC_VALUE) != VG_MMIO_MAGIC)
		die("bare round trip", -EIO);

	report("(b) loop transport + vgpiod, GET_VALUE", req_ns);
	report("(c) bare loop round trip (register read)", rt_ns);
	printf("    one request = %.1f bare round trips; device core share "
	       "(a/b) = %.1f%%\n",
	       req_ns / rt_ns, 100.0 * inproc_ns / req_ns);

	/* (d) edge -> eventq completion on the sim line "in". */
	lat = calloc(nlat, sizeof(*lat));
	if (!lat)
		die("calloc", -ENOMEM);
	if ((rc = vg_shim_set_direction(s, 1, VG_GPIO_DIRECTION_IN)) ||
	    (rc = vg_shim_set_irq_type(s, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING)))
		die("arm interrupt", rc);
	for (unsigned long i = 0; i < nlat; i++) {
		if ((rc = vg_drun_ctl(d, "sim set bench in 0", &reply)))
			die("sim set 0", rc);
		free(reply);
		if ((rc = vg_shim_irq_unmask(s, 1)))
			die("unmask", rc);
		t0 = now_ns();
		if ((rc = vg_drun_ctl(d, "sim set bench in 1", &reply)))
			die("sim set 1", rc);
		free(reply);
		rc = vg_shim_wait_event(s, 5000, &ev);
		if (rc != 1 || ev.status != VG_GPIO_IRQ_STATUS_VALID)
			die("edge event", rc < 0 ? rc : -ETIMEDOUT);
		lat[i] = now_ns() - t0;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("%-44s p50 %8.1f us   p99 %8.1f us   (%lu edges)\n",
	       "(d) edge -> eventq completion (sim, loop)",
	       (double)lat[nlat / 2] / 1e3, (double)lat[nlat * 99 / 100] / 1e3,
	       nlat);
	free(lat);
	vg_shim_free(s);
	rc = vg_drun_stop(d);
	if (rc)
		die("vgpiod exit status", -EIO);
}

/* Pin to the CPU we are on (the daemon, started later, inherits it). */
static void place(void)
{
	const char *env = getenv("VGPIO_BENCH_CPU");
	int cpu = sched_getcpu();
	cpu_set_t set;

	if ((env && !strcmp(env, "any")) || cpu < 0) {
		printf("vgpio-bench: CPU placement left to the scheduler\n");
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", -errno);
	printf("vgpio-bench: bench and vgpiod pinned to CPU %d "
	       "(VGPIO_BENCH_CPU=any to unpin)\n",
	       cpu);
}

int main(void)
{
	const char *scale_env = getenv("VGPIO_BENCH_SCALE");
	unsigned long scale = scale_env ? strtoul(scale_env, NULL, 10) : 1;
	unsigned long n = 20000 * (scale ? scale : 1);
	double inproc_ns;

	place();
	printf("vgpio-bench: %lu requests per figure\n", n);
	inproc_ns = bench_inproc(n * 10);
	report("(a) device core in process, GET_VALUE", inproc_ns);
	bench_loop(n, inproc_ns);
	return 0;
}
