// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-bench: the figures `make bench` prints.
 *
 *  (a) the device core driven in process (shim -> register file -> device
 *      -> sim provider, no socket): what the backend itself costs;
 *  (b) the same requests over the loop transport with vgpiod;
 *  (c) a bare loop round trip: one register read, no device work;
 *  (d) edge -> eventq completion latency on a sim line, p50/p99, from the
 *      control socket's "sim set" to the shim seeing the VALID buffer;
 *  (e) the worker model: (b), (c) and (d) against `vgpiod` and
 *      `vgpiod --in-process` side by side, in alternating rounds (medians), and
 *      their ratio. A worker reaches sim lines through remote calls to the
 *      parent (one message round trip per line op); host lines it would
 *      drive itself, but there is no GPIO hardware here to measure them;
 *  (f) memory (/proc/PID/smaps_rollup): a worker with one idle guest, the
 *      parent before and after starting a worker per domain, and one
 *      process's growth per guest, against the goal of 2 MiB per idle guest;
 *      where a worker's private dirty pages are (/proc/PID/smaps);
 *  (g) idle CPU: context switches per second of the daemon's processes
 *      while every guest is connected and idle (the goal is none).
 *
 * Performance lives here, never in timed tests. Iteration counts can be
 * scaled with VGPIO_BENCH_SCALE (default 1); the idle window of (g) is
 * VGPIO_BENCH_IDLE_S seconds (default 3).
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
#include <unistd.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include "daemon-run.h"
#include "inproc-wire.h"
#include "procmem.h"
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

/* @n bare loop round trips (a register read, no device work); ns each. */
static double run_reads(struct vg_shim *s, unsigned long n)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		(void)vg_shim_read32(s, VG_MMIO_MAGIC_VALUE);
	t0 = now_ns() - t0;
	if (vg_shim_read32(s, VG_MMIO_MAGIC_VALUE) != VG_MMIO_MAGIC)
		die("bare round trip", -EIO);
	return (double)t0 / (double)n;
}

/* Line 1 ("in") an input with a rising-edge interrupt. */
static void arm(struct vg_shim *s)
{
	int rc;

	if ((rc = vg_shim_set_direction(s, 1, VG_GPIO_DIRECTION_IN)) ||
	    (rc = vg_shim_set_irq_type(s, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING)))
		die("arm interrupt", rc);
}

/*
 * One edge on the sim line "in": ns from the control socket's "sim set" to
 * the shim holding the VALID eventq buffer.
 */
static uint64_t edge_once(struct vg_drun *d, struct vg_shim *s)
{
	struct vg_shim_event ev;
	char *reply = NULL;
	uint64_t t0;
	int rc;

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
	return now_ns() - t0;
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
	unsigned long nlat = n / 20 ? n / 20 : 1;
	uint64_t *lat;
	double req_ns, rt_ns;
	int rc;

	if ((rc = vg_drun_start(bench_config, NULL, &d)))
		die("start vgpiod", rc);
	if ((rc = vg_shim_new(&o, &s)) ||
	    (rc = vg_shim_connect_loop(s, vg_drun_socket(d), "bench")) ||
	    (rc = vg_shim_probe(s)))
		die(vg_shim_error(s), rc ? rc : -EIO);

	run_requests(s, n / 10);
	req_ns = run_requests(s, n);

	rt_ns = run_reads(s, n);

	report("(b) loop transport + vgpiod, GET_VALUE", req_ns);
	report("(c) bare loop round trip (register read)", rt_ns);
	printf("    one request = %.1f bare round trips; device core share "
	       "(a/b) = %.1f%%\n",
	       req_ns / rt_ns, 100.0 * inproc_ns / req_ns);

	/* (d) edge -> eventq completion on the sim line "in". */
	lat = calloc(nlat, sizeof(*lat));
	if (!lat)
		die("calloc", -ENOMEM);
	arm(s);
	for (unsigned long i = 0; i < nlat; i++)
		lat[i] = edge_once(d, s);
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

/* --- (e) the worker model next to one process ---------------------------- */

#define ROUNDS 5
#define MODELS 2 /* [0] one process (--in-process), [1] workers */

static const char *const in_process_args[] = {"--in-process", NULL};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void row(const char *name, double one, double workers, const char *unit)
{
	printf("    %-34s %12.1f %12.1f %8.2f   %s\n", name, one, workers,
	       workers / one, unit);
}

/*
 * Both daemons run at once, each with one guest of the same policy; the
 * rounds alternate between them so that what else the machine does
 * weighs on both alike.
 */
static void bench_workers(unsigned long n)
{
	struct vg_shim_opts o = {0};
	struct vg_drun *d[MODELS] = {NULL};
	struct vg_shim *s[MODELS] = {NULL};
	double req[MODELS][ROUNDS], rt[MODELS][ROUNDS];
	unsigned long per = n / ROUNDS ? n / ROUNDS : 1;
	unsigned long nlat = n / 20 / ROUNDS ? n / 20 / ROUNDS : 1;
	uint64_t *lat[MODELS];
	int m, r, rc;

	for (m = 0; m < MODELS; m++) {
		if ((rc = vg_drun_start(bench_config,
					m ? NULL : in_process_args, &d[m])))
			die("start vgpiod", rc);
		if ((rc = vg_shim_new(&o, &s[m])) ||
		    (rc = vg_shim_connect_loop(s[m], vg_drun_socket(d[m]),
					       "bench")) ||
		    (rc = vg_shim_probe(s[m])))
			die(vg_shim_error(s[m]), rc ? rc : -EIO);
		lat[m] = calloc(nlat * ROUNDS, sizeof(*lat[m]));
		if (!lat[m])
			die("calloc", -ENOMEM);
		run_requests(s[m], n / 10);
	}
	for (r = 0; r < ROUNDS; r++)
		for (m = 0; m < MODELS; m++)
			req[m][r] = run_requests(s[m], per);
	for (r = 0; r < ROUNDS; r++)
		for (m = 0; m < MODELS; m++)
			rt[m][r] = run_reads(s[m], per);
	for (m = 0; m < MODELS; m++)
		arm(s[m]);
	for (r = 0; r < ROUNDS; r++)
		for (m = 0; m < MODELS; m++)
			for (unsigned long i = 0; i < nlat; i++)
				lat[m][r * nlat + i] = edge_once(d[m], s[m]);
	for (m = 0; m < MODELS; m++)
		qsort(lat[m], nlat * ROUNDS, sizeof(*lat[m]), cmp_u64);

	printf("(e) worker model: vgpiod --in-process and vgpiod, %d "
	       "alternating "
	       "rounds, medians\n",
	       ROUNDS);
	printf("    %-34s %12s %12s %8s\n", "", "one process", "workers",
	       "ratio");
	row("GET_VALUE on a sim line", median(req[0], ROUNDS),
	    median(req[1], ROUNDS), "ns/req");
	row("bare loop round trip", median(rt[0], ROUNDS),
	    median(rt[1], ROUNDS), "ns");
	row("edge -> eventq completion p50",
	    (double)lat[0][nlat * ROUNDS / 2] / 1e3,
	    (double)lat[1][nlat * ROUNDS / 2] / 1e3, "us");
	row("edge -> eventq completion p99",
	    (double)lat[0][nlat * ROUNDS * 99 / 100] / 1e3,
	    (double)lat[1][nlat * ROUNDS * 99 / 100] / 1e3, "us");
	printf("    with workers, each sim line op (GET_VALUE, SET_VALUE, "
	       "SET_DIRECTION,\n"
	       "    irq type) is a message round trip from the worker to the "
	       "parent, which\n"
	       "    owns the sim chips, and an edge crosses back as a "
	       "message; host (gpiod)\n"
	       "    lines the worker drives itself, no crossing: not measured "
	       "here (no GPIO\n"
	       "    hardware on this machine)\n");
	for (m = 0; m < MODELS; m++) {
		free(lat[m]);
		vg_shim_free(s[m]);
		if (vg_drun_stop(d[m]))
			die("vgpiod exit status", -EIO);
	}
}

/* --- (f) memory and (g) idle CPU ------------------------------------------ */

#define MEM_DOMAINS 4

static const char mem_config[] = "[sim mem]\n"
				 "lines = 8\n"
				 "names = o0 i0 o1 i1 o2 i2 o3 i3\n"
				 "\n"
				 "[domain d0]\n"
				 "lines = mem o0 i0\n"
				 "\n"
				 "[domain d1]\n"
				 "lines = mem o1 i1\n"
				 "\n"
				 "[domain d2]\n"
				 "lines = mem o2 i2\n"
				 "\n"
				 "[domain d3]\n"
				 "lines = mem o3 i3\n";

/* The pid of @domain's worker, once the parent has logged it. */
static pid_t worker_pid(struct vg_drun *d, const char *domain)
{
	pid_t pid = -1;

	for (int i = 0; i < 500 && pid <= 0; i++) {
		pid = vg_drun_worker_pid(d, domain);
		if (pid <= 0)
			usleep(10000);
	}
	if (pid <= 0)
		die("worker pid not in the daemon's log", -ESRCH);
	return pid;
}

static void pmem(pid_t pid, struct vg_pmem *m)
{
	int rc = vg_pmem_read(pid, m);

	if (rc)
		die("/proc/PID/smaps_rollup", rc);
}

static void mem_row(const char *name, const struct vg_pmem *m)
{
	printf("    %-42s %8lu %8lu %10lu %10lu\n", name, m->rss, m->pss,
	       m->private_clean, m->private_dirty);
}

/* Private dirty growth from @a to @b per @n, in kB (may be negative). */
static double growth(const struct vg_pmem *a, const struct vg_pmem *b, int n)
{
	return ((double)b->private_dirty - (double)a->private_dirty) / n;
}

struct idle_run {
	struct vg_drun *d;
	struct vg_shim *s[MEM_DOMAINS];
	pid_t pid[1 + MEM_DOMAINS]; /* the daemon, then its workers */
	int npids;
	struct vg_pmem before, after; /* the daemon: no guest, all guests */
	struct vg_pmem worker[MEM_DOMAINS];
};

/*
 * vgpiod on mem_config, with workers or --in-process; then a guest per domain,
 * each with its input armed for a rising edge (a guest waiting for an
 * interrupt), then left idle.
 */
static void idle_start(struct idle_run *ir, bool workers)
{
	struct vg_shim_opts o = {0};
	char dom[8];
	int rc;

	memset(ir, 0, sizeof(*ir));
	if ((rc = vg_drun_start(mem_config, workers ? NULL : in_process_args,
				&ir->d)))
		die("start vgpiod", rc);
	ir->pid[ir->npids++] = vg_drun_pid(ir->d);
	pmem(ir->pid[0], &ir->before);
	for (int i = 0; i < MEM_DOMAINS; i++) {
		snprintf(dom, sizeof(dom), "d%d", i);
		if ((rc = vg_shim_new(&o, &ir->s[i])) ||
		    (rc = vg_shim_connect_loop(ir->s[i], vg_drun_socket(ir->d),
					       dom)) ||
		    (rc = vg_shim_probe(ir->s[i])))
			die(vg_shim_error(ir->s[i]), rc ? rc : -EIO);
		arm(ir->s[i]);
		if ((rc = vg_shim_irq_unmask(ir->s[i], 1)))
			die("unmask", rc);
		if (workers)
			ir->pid[ir->npids++] = worker_pid(ir->d, dom);
	}
	pmem(ir->pid[0], &ir->after);
	for (int i = 1; i < ir->npids; i++)
		pmem(ir->pid[i], &ir->worker[i - 1]);
}

/* Context switches per second of each process over @secs idle seconds. */
static void idle_ctxt(struct idle_run *ir, unsigned int secs, double *rate)
{
	unsigned long long c0[1 + MEM_DOMAINS], c1;
	struct timespec settle = {0, 200 * 1000 * 1000};
	struct timespec ts = {.tv_sec = secs};
	int i, rc;

	/*
	 * The daemon answers a guest's last request before it goes back to
	 * sleep: that switch is not an idle wake-up. Let it get there first.
	 */
	while (nanosleep(&settle, &settle) && errno == EINTR)
		;
	for (i = 0; i < ir->npids; i++)
		if ((rc = vg_pmem_ctxt(ir->pid[i], &c0[i])))
			die("/proc/PID/task/TID/status", rc);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	for (i = 0; i < ir->npids; i++) {
		if ((rc = vg_pmem_ctxt(ir->pid[i], &c1)))
			die("/proc/PID/task/TID/status", rc);
		rate[i] = (double)(c1 - c0[i]) / secs;
	}
}

static void idle_stop(struct idle_run *ir)
{
	for (int i = 0; i < MEM_DOMAINS; i++)
		vg_shim_free(ir->s[i]);
	if (vg_drun_stop(ir->d))
		die("vgpiod exit status", -EIO);
}

static void bench_memory(unsigned int idle_s)
{
	struct idle_run one, wk;
	struct vg_pmem wmean = {0};
	struct vg_pmem_split split;
	double rate_one[1 + MEM_DOMAINS], rate_wk[1 + MEM_DOMAINS];
	double per_worker, per_guest;
	int i, rc;

	idle_start(&one, false);
	idle_ctxt(&one, idle_s, rate_one);
	idle_start(&wk, true);
	idle_ctxt(&wk, idle_s, rate_wk);
	if ((rc = vg_pmem_split(wk.pid[1], "vgpiod", &split)))
		die("/proc/PID/smaps", rc);
	for (i = 0; i < MEM_DOMAINS; i++) {
		wmean.rss += wk.worker[i].rss / MEM_DOMAINS;
		wmean.pss += wk.worker[i].pss / MEM_DOMAINS;
		wmean.pss_shmem += wk.worker[i].pss_shmem / MEM_DOMAINS;
		wmean.private_clean += wk.worker[i].private_clean / MEM_DOMAINS;
		wmean.private_dirty += wk.worker[i].private_dirty / MEM_DOMAINS;
	}
	per_worker = growth(&wk.before, &wk.after, MEM_DOMAINS);
	per_guest = (double)wmean.private_dirty + per_worker;

	printf("(f) memory, %d domains, kB from /proc/PID/smaps_rollup; "
	       "private dirty is what\n"
	       "    a process really adds\n",
	       MEM_DOMAINS);
	printf("    %-42s %8s %8s %10s %10s\n", "", "Rss", "Pss", "Priv.clean",
	       "Priv.dirty");
	mem_row("one process, no guest", &one.before);
	mem_row("one process, a guest per domain", &one.after);
	printf("      per idle guest: %.0f kB private dirty\n",
	       growth(&one.before, &one.after, MEM_DOMAINS));
	mem_row("workers: parent, no guest", &wk.before);
	mem_row("workers: parent, a worker per domain", &wk.after);
	mem_row("workers: worker, one idle guest (mean)", &wmean);
	printf("      parent per worker: %.0f kB private dirty; per idle "
	       "guest: worker + parent\n"
	       "      = %.0f kB private dirty (goal <= 2048 kB: %s)\n",
	       per_worker, per_guest, per_guest <= 2048 ? "met" : "MISSED");
	printf("      a worker's private dirty kB by mapping:");
	for (i = 0; i < VG_PMEM_KINDS; i++)
		printf(" %s %lu", vg_pmem_kind_name(i), split.private_dirty[i]);
	printf("\n      (shmem: the guest's RAM; the worker's Pss holds %lu kB "
	       "of it, shared with\n"
	       "      the guest)\n",
	       wmean.pss_shmem);

	printf("(g) idle CPU, %d idle guests (interrupts armed), over %u s: "
	       "context switches/s\n",
	       MEM_DOMAINS, idle_s);
	printf("    one process %.1f; workers: parent %.1f, workers",
	       rate_one[0], rate_wk[0]);
	for (i = 1; i < wk.npids; i++)
		printf(" %.1f", rate_wk[i]);
	printf(" (goal 0)\n");
	idle_stop(&one);
	idle_stop(&wk);
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
	const char *idle_env = getenv("VGPIO_BENCH_IDLE_S");
	unsigned long scale = scale_env ? strtoul(scale_env, NULL, 10) : 1;
	unsigned long idle_s = idle_env ? strtoul(idle_env, NULL, 10) : 3;
	unsigned long n = 20000 * (scale ? scale : 1);
	double inproc_ns;

	/* Which model each daemon runs is the bench's choice, per run. */
	unsetenv("VGPIO_IN_PROCESS");
	place();
	printf("vgpio-bench: %lu requests per figure\n", n);
	inproc_ns = bench_inproc(n * 10);
	report("(a) device core in process, GET_VALUE", inproc_ns);
	bench_loop(n, inproc_ns);
	bench_workers(n);
	bench_memory(idle_s && idle_s < 600 ? (unsigned int)idle_s : 3);
	return 0;
}
