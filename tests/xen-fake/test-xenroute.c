// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Xen transport in route mode (xen.h, guest.h's spawn()): the parent
 * class vg_xen_class, started directly on an event loop of the test's own
 * with hooks that record every call, against the fake Xen. A worker
 * cannot run here (the fake Xen lives in this one process), so spawn()
 * only records what it is asked and answers as told. Checked: what
 * spawn() gets (the domain's name, a token, exactly the worker options,
 * whose device spec reads back as the window), that the parent opens no
 * devicemodel, foreignmemory or evtchn handle and makes no call about the
 * guest beyond the domain check, the xenstore states around it, detach()
 * with the same token on every way a window goes (xl destroy, online 0,
 * removal, the domain's death, stop) and on none other (another guest's
 * death, a failed look-up), a refusal served as a placeholder without
 * attach(), the parent's domain check refusing before spawn(), a failed
 * manual start ending the worker it had, and the toolstack letting go
 * while spawn() runs. Named windows (the hooks' window()): a worker for
 * each domain of the name from its creation, again after a reboot, at
 * start for one that runs, a placeholder when refused, other names asked
 * about once; the class's device_add() and device_remove(). After every
 * test
 * nothing mapped, bound or left as a server, and no rule of the fake
 * broken.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "devspec.h"
#include "evloop.h"
#include "fakexen.h"
#include "guest.h"
#include "xen.h"

#define BASE 0x2000000ULL
#define SPI 33
#define DOMID 5
#define BE_DIR "/local/domain/0/backend/virtio/5"
#define BE BE_DIR "/0"
#define RAM_BASE 0x40000000ULL
#define ISA_BASE 0xfe000000ULL

#define MAX_CALLS 4
#define MAX_WARGS 8
#define TURNS 2000

/* What the toolstack does while spawn() runs. */
enum let_go {
	LET_GO_NONE,
	LET_GO_STATE5, /* state = 5 */
	LET_GO_REMOVE, /* the backend directory removed */
};

/* One spawn() call as the hook saw it. */
struct spawn_call {
	void *conn;
	char domain[64];
	char wargs[MAX_WARGS][160];
	unsigned int nwargs; /* MAX_WARGS + 1: no NULL within MAX_WARGS */
	char state[8]; /* the window's backend state then ("" if none) */
	unsigned int guest_handles; /* dm + fmem + evtchn + gnttab then */
};

struct fix {
	struct vg_evloop *ev;
	struct vg_log_sink sink;
	int logfd;
	struct vg_guest_hooks hooks;
	struct vg_transport_env env;
	struct vg_xen_config cfg;
	struct vg_devspec devs[2];
	void *h; /* the transport's handle while it runs */
	/* What the hooks saw. */
	unsigned int attaches;
	unsigned int nspawn;
	struct spawn_call spawn[MAX_CALLS];
	unsigned int ndetach;
	void *detached[MAX_CALLS];
	/* How spawn() answers: the refuse_from-th call on refuses (1-based). */
	unsigned int refuse_from; /* 0: never */
	const char *why; /* its reason */
	enum let_go let_go;
	char be[128]; /* the directory spawn() reads and lets go of */
	/* window(), when a test sets it: the window of one name. */
	const char *win_name;
	struct vg_devspec win;
	unsigned int nwindow; /* times asked */
};

/* --- hooks --------------------------------------------------------------- */

static unsigned int handles(enum fx_handle_kind kind)
{
	unsigned int n = 0;

	while (fx_handle_nth(kind, n))
		n++;
	return n;
}

/* Handles a backend serving the guest itself would hold. */
static unsigned int guest_handles(void)
{
	return handles(FX_H_DM) + handles(FX_H_FMEM) + handles(FX_H_EVTCHN) +
	       handles(FX_H_GNTTAB);
}

static char *node(const char *dir, const char *key)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return fx_xs_read(path);
}

/* Route mode serves through workers: attach() must never be asked. */
static int hook_attach(void *arg, void *conn, const char *domain,
		       const struct vg_bus *bus,
		       const struct vg_guest_info *info, struct vg_mmio **mmio,
		       char *reason, size_t reason_len)
{
	struct fix *f = arg;

	(void)conn;
	(void)domain;
	(void)bus;
	(void)info;
	(void)mmio;
	f->attaches++;
	snprintf(reason, reason_len, "attach() called in route mode");
	return EPERM;
}

static void hook_detach(void *arg, void *conn)
{
	struct fix *f = arg;

	if (f->ndetach < MAX_CALLS)
		f->detached[f->ndetach] = conn;
	f->ndetach++;
}

static void let_go(struct fix *f)
{
	char path[192];

	switch (f->let_go) {
	case LET_GO_NONE:
		break;
	case LET_GO_STATE5:
		snprintf(path, sizeof(path), "%s/state", f->be);
		assert_int_equal(fx_xs_write(path, "5"), 0);
		break;
	case LET_GO_REMOVE:
		assert_int_equal(fx_xs_rm(f->be), 0);
		break;
	}
}

static int hook_spawn(void *arg, void *conn, const char *domain,
		      const char *const *wargs, char *reason, size_t reason_len)
{
	struct fix *f = arg;
	struct spawn_call *c;
	unsigned int n = ++f->nspawn, i;
	char *st;

	if (n <= MAX_CALLS) {
		c = &f->spawn[n - 1];
		c->conn = conn;
		snprintf(c->domain, sizeof(c->domain), "%s", domain);
		for (i = 0; i < MAX_WARGS && wargs[i]; i++)
			snprintf(c->wargs[i], sizeof(c->wargs[i]), "%s",
				 wargs[i]);
		c->nwargs = i < MAX_WARGS ? i : MAX_WARGS + 1;
		st = f->be[0] ? node(f->be, "state") : NULL;
		snprintf(c->state, sizeof(c->state), "%s", st ? st : "");
		free(st);
		c->guest_handles = guest_handles();
	}
	let_go(f);
	if (f->refuse_from && n >= f->refuse_from) {
		snprintf(reason, reason_len, "%s", f->why);
		return ENOENT;
	}
	return 0;
}

/* The named window: f->win for the domain f->win_name, none for others. */
static int hook_window(void *arg, const char *domain, struct vg_devspec *out)
{
	struct fix *f = arg;

	f->nwindow++;
	if (!f->win_name || strcmp(domain, f->win_name))
		return 0;
	*out = f->win;
	return 1;
}

/* --- fixture ------------------------------------------------------------- */

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(fx_reset(), 0);
	assert_int_equal(vg_evloop_new(&f->ev), 0);
	/* The log goes to a file the tests read. */
	f->logfd = memfd_create("xenroute-log", 0);
	assert_true(f->logfd >= 0);
	f->sink = (struct vg_log_sink){.level = VG_LOG_INFO, .fd = f->logfd};
	f->hooks = (struct vg_guest_hooks){
		.attach = hook_attach,
		.detach = hook_detach,
		.spawn = hook_spawn,
	};
	f->env = (struct vg_transport_env){
		.ev = f->ev,
		.hooks = &f->hooks,
		.hooks_arg = f,
		.sink = &f->sink,
	};
	f->cfg = (struct vg_xen_config){.discover = true, .devices = f->devs};
	snprintf(f->be, sizeof(f->be), "%s", BE);
	f->why = "unknown domain 'guest1'";
	*state = f;
	return 0;
}

/* The log so far (static buffer). */
static const char *log_text(struct fix *f)
{
	static char buf[16384];
	ssize_t n = pread(f->logfd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Everything released, nothing broken: checked after every test. */
static int teardown(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	if (f->h)
		vg_xen_class.stop(f->h);
	if (getenv("VGPIO_TEST_VERBOSE"))
		fprintf(stderr, "%s", log_text(f));
	fx_counts(&c);
	if (fx_violations())
		fprintf(stderr, "violation: %s\n", fx_violation_last());
	assert_int_equal(fx_violations(), 0);
	assert_int_equal(c.foreign_maps + c.grant_maps + c.resource_maps +
				 c.ports + c.servers + c.ranges,
			 0);
	/* attach() is never route mode's. */
	assert_int_equal(f->attaches, 0);
	assert_int_equal(fx_reset(), 0);
	vg_evloop_free(f->ev);
	close(f->logfd);
	free(f);
	return 0;
}

static void domain_at(const char *name, unsigned int domid, enum fx_arch arch)
{
	struct fx_domain_params p = {
		.domid = domid,
		.name = name,
		.arch = arch,
		.nr_vcpus = 2,
		.ram_base = RAM_BASE,
		.ram_size = 1u << 20,
		.nr_spis = 32,
	};

	assert_int_equal(fx_domain_new(&p), 0);
}

static void domain(const char *name, enum fx_arch arch)
{
	domain_at(name, DOMID, arch);
}

static void add_virtio(unsigned int devid, uint64_t base, unsigned int irq,
		       int grants)
{
	struct fx_virtio_dev v = {
		.domid = DOMID,
		.devid = devid,
		.type = "virtio,device29",
		.transport = "mmio",
		.base = base,
		.irq = irq,
		.grant_usage = grants,
	};

	assert_int_equal(fx_xl_add_virtio(&v), 0);
}

static int start(struct fix *f)
{
	int rc = vg_xen_class.start(&f->cfg, &f->env, &f->h);

	if (rc)
		f->h = NULL;
	return rc;
}

static void stop(struct fix *f)
{
	vg_xen_class.stop(f->h);
	f->h = NULL;
}

static void pump(struct fix *f)
{
	assert_true(vg_evloop_run_once(f->ev, 0) >= 0);
}

/* Run the loop until detach() has been called @n times; true if it was. */
static bool pump_until_detached(struct fix *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < TURNS && f->ndetach < n; i++)
		pump(f);
	return f->ndetach >= n;
}

/* Run the loop a turn at a time until spawn() has been called @n times. */
static bool pump_until_spawned(struct fix *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < TURNS && f->nspawn < n; i++)
		pump(f);
	return f->nspawn == n;
}

/* Run the loop until xenstore node @path reads @want; true if it does. */
static bool pump_until(struct fix *f, const char *path, const char *want)
{
	unsigned int i;

	for (i = 0; i < TURNS; i++) {
		char *v = fx_xs_read(path);
		bool ok = v && !strcmp(v, want);

		free(v);
		if (ok)
			return true;
		pump(f);
	}
	return false;
}

static void assert_node(const char *path, const char *want)
{
	char *v = fx_xs_read(path);

	if (!want) {
		if (v)
			fail_msg("%s: '%s', expected none", path, v);
		return;
	}
	if (!v || strcmp(v, want))
		fail_msg("%s: '%s', expected '%s'", path, v ? v : "(none)",
			 want);
	free(v);
}

/* Nothing of the guest is held in this process. */
static void assert_parent_holds_nothing(void)
{
	struct fx_counts c;

	fx_counts(&c);
	assert_int_equal(c.servers, 0);
	assert_int_equal(c.ranges, 0);
	assert_int_equal(c.ports, 0);
	assert_int_equal(c.resource_maps + c.foreign_maps + c.grant_maps, 0);
	assert_int_equal(handles(FX_H_DM), 0);
	assert_int_equal(handles(FX_H_FMEM), 0);
	assert_int_equal(handles(FX_H_EVTCHN), 0);
	assert_int_equal(handles(FX_H_GNTTAB), 0);
	/* Its own xenstore and xenctrl handles, no more. */
	assert_int_equal(handles(FX_H_XS), 1);
	assert_int_equal(handles(FX_H_XC), 1);
}

/* spawn() call @i got exactly @want (NULL-terminated). */
static void assert_wargs(const struct fix *f, unsigned int i,
			 const char *const *want)
{
	const struct spawn_call *c = &f->spawn[i];
	unsigned int n;

	for (n = 0; want[n]; n++) {
		if (n >= c->nwargs)
			fail_msg("wargs: %u given, expected '%s' next",
				 c->nwargs, want[n]);
		if (strcmp(c->wargs[n], want[n]))
			fail_msg("wargs[%u]: '%s', expected '%s'", n,
				 c->wargs[n], want[n]);
	}
	assert_int_equal(c->nwargs, n);
}

/* The spec of spawn() call @i, as the worker's vg_devspec_parse() reads it. */
static struct vg_devspec spawned_spec(const struct fix *f, unsigned int i)
{
	struct vg_devspec s;
	char err[160];

	assert_string_equal(f->spawn[i].wargs[0], "--xen-device");
	if (vg_devspec_parse(f->spawn[i].wargs[1], &s, err, sizeof(err)))
		fail_msg("'%s': %s", f->spawn[i].wargs[1], err);
	return s;
}

/*
 * detach() was called exactly once with @conn (of windows that were all
 * alive at once: a freed token's address may be reused).
 */
static void assert_detached_once(const struct fix *f, void *conn)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->ndetach && i < MAX_CALLS; i++)
		n += f->detached[i] == conn;
	assert_int_equal(n, 1);
}

/* One register read of the window at @base from vCPU 0, served here. */
static uint64_t reg_read(struct fix *f, uint64_t base, uint64_t off)
{
	uint64_t v = 0;
	unsigned int i;

	assert_int_equal(fx_vcpu_access(DOMID, 0, base + off, 4, false, 0),
			 FX_IO_PENDING);
	for (i = 0; i < TURNS && fx_vcpu_poll(DOMID, 0, &v) == FX_IO_PENDING;
	     i++)
		pump(f);
	assert_int_equal(fx_vcpu_poll(DOMID, 0, &v), FX_IO_DONE);
	return v;
}

/* Discovery on, an Arm guest "guest1", libxl's device 0 served. */
static void discovered_up(struct fix *f, int grants)
{
	domain("guest1", FX_ARM);
	assert_int_equal(start(f), 0);
	add_virtio(0, BASE, SPI, grants);
	assert_node(BE "/state", "1");
	assert_true(pump_until(f, BE "/state", "4"));
}

/* --- tests --------------------------------------------------------------- */

/*
 * A libxl device goes to spawn() with the window as worker options; the
 * parent claims it (spawn() sees state 2), says 4 once spawn() returned,
 * and holds nothing of the guest; xl destroy ends it with detach().
 */
static void xenroute_discovered_window_spawns_a_worker(void **state)
{
	static const char *const want[] = {
		"--xen-device",
		"domid=5,base=0x2000000,irq=33,grants=1,irqtype=spi",
		"--xen-devid",
		"0",
		"--xen-discovered",
		NULL,
	};
	struct fix *f = *state;
	struct vg_devspec s;

	discovered_up(f, 1);
	assert_int_equal(f->nspawn, 1);
	assert_non_null(f->spawn[0].conn);
	assert_string_equal(f->spawn[0].domain, "guest1");
	assert_string_equal(f->spawn[0].state, "2");
	assert_wargs(f, 0, want);
	s = spawned_spec(f, 0);
	assert_int_equal(s.domid, DOMID);
	assert_true(s.base == BASE);
	assert_int_equal(s.irq, SPI);
	assert_true(s.grants);
	assert_int_equal(s.irq_kind, VG_IRQ_SPI);
	/* Neither while spawn() ran nor after: the worker's handles only. */
	assert_int_equal(f->spawn[0].guest_handles, 0);
	assert_parent_holds_nothing();
	/* The domain check was the parent's one call about the guest. */
	assert_string_equal(fx_calls(DOMID), "getinfo");
	/* No IOREQ server here: the guest's access reaches nobody. */
	assert_int_equal(fx_vcpu_access(DOMID, 0, BASE, 4, false, 0),
			 FX_IO_UNHANDLED);
	assert_int_equal(vg_xen_devices(f->h), 1);
	assert_int_equal(f->ndetach, 0);
	assert_non_null(strstr(log_text(f), "'guest1': served by a worker"));

	assert_int_equal(fx_xl_destroy_devices(DOMID), 0);
	assert_true(pump_until(f, BE "/state", "6"));
	assert_int_equal(f->ndetach, 1);
	assert_detached_once(f, f->spawn[0].conn);
	assert_int_equal(vg_xen_devices(f->h), 0);
	/* Every device reached 6: libxl did not wait. */
	assert_int_equal(fx_xl_destroy_finish(DOMID), 0);
	pump(f);
	assert_false(fx_domain_zombie(DOMID));
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(f->ndetach, 1);
}

/* grant_usage 0: the worker is told grants=0. */
static void xenroute_discovered_foreign_window_says_grants_0(void **state)
{
	struct fix *f = *state;
	struct vg_devspec s;

	discovered_up(f, 0);
	assert_int_equal(f->nspawn, 1);
	assert_string_equal(f->spawn[0].wargs[1],
			    "domid=5,base=0x2000000,irq=33,grants=0,"
			    "irqtype=spi");
	s = spawned_spec(f, 0);
	assert_false(s.grants);
	assert_parent_holds_nothing();
}

/*
 * Manual mode, an x86 HVM guest: each --device window is spawned at
 * start, without --xen-discovered and with its ISA IRQ; the default IRQ
 * kind resolves as the build's; stop() ends each worker.
 */
static void xenroute_manual_windows_spawn_and_stop_detaches(void **state)
{
	static const char *const want0[] = {
		"--xen-device",
		"domid=5,base=0xfe000000,irq=3,grants=0,irqtype=isa",
		"--xen-devid",
		"0",
		NULL,
	};
#if defined(__i386__) || defined(__x86_64__)
	static const char *const want1[] = {
		"--xen-device",
		"domid=5,base=0xfe000200,irq=7,grants=0,irqtype=isa",
		"--xen-devid",
		"1",
		NULL,
	};
#else
	static const char *const want1[] = {
		"--xen-device",
		"domid=5,base=0xfe000200,irq=7,grants=0,irqtype=spi",
		"--xen-devid",
		"1",
		NULL,
	};
#endif
	struct fix *f = *state;
	struct vg_devspec s;

	domain("guest1", FX_X86_HVM);
	f->devs[0] = (struct vg_devspec){.domid = DOMID,
					 .base = ISA_BASE,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->devs[1] = (struct vg_devspec){
		.domid = DOMID, .base = ISA_BASE + 0x200, .irq = 7};
	f->cfg.ndevices = 2;
	f->cfg.discover = false;
	f->be[0] = '\0';
	assert_int_equal(start(f), 0);
	/* Both spawned during start, nothing else asked. */
	assert_int_equal(f->nspawn, 2);
	assert_string_equal(f->spawn[0].domain, "guest1");
	assert_string_equal(f->spawn[1].domain, "guest1");
	assert_non_null(f->spawn[0].conn);
	assert_non_null(f->spawn[1].conn);
	assert_ptr_not_equal(f->spawn[0].conn, f->spawn[1].conn);
	assert_wargs(f, 0, want0);
	assert_wargs(f, 1, want1);
	s = spawned_spec(f, 0);
	assert_int_equal(s.domid, DOMID);
	assert_true(s.base == ISA_BASE);
	assert_int_equal(s.irq, 3);
	assert_false(s.grants);
	assert_int_equal(s.irq_kind, VG_IRQ_ISA);
	assert_int_equal(f->spawn[0].guest_handles, 0);
	assert_int_equal(f->spawn[1].guest_handles, 0);
	assert_parent_holds_nothing();
	assert_string_equal(fx_calls(DOMID), "getinfo getinfo");
	assert_int_equal(vg_xen_devices(f->h), 2);
	/* A turn of the loop changes nothing. */
	pump(f);
	assert_int_equal(f->ndetach, 0);

	stop(f);
	assert_int_equal(f->ndetach, 2);
	assert_detached_once(f, f->spawn[0].conn);
	assert_detached_once(f, f->spawn[1].conn);
	assert_int_equal(f->nspawn, 2);
}

/* Manual windows go too when their guest dies (@releaseDomain). */
static void xenroute_manual_window_released_when_domain_dies(void **state)
{
	struct fix *f = *state;

	domain("guest1", FX_X86_HVM);
	f->devs[0] = (struct vg_devspec){.domid = DOMID,
					 .base = ISA_BASE,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->cfg.ndevices = 1;
	f->cfg.discover = false;
	f->be[0] = '\0';
	assert_int_equal(start(f), 0);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	assert_true(pump_until_detached(f, 1));
	assert_int_equal(f->ndetach, 1);
	assert_detached_once(f, f->spawn[0].conn);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_false(fx_domain_zombie(DOMID));
}

/*
 * spawn() refuses: the parent serves the window as a placeholder itself
 * (its IOREQ server, DeviceID 0) without asking attach(), says 4, and
 * releases it all on xl destroy without a detach().
 */
static void xenroute_refused_window_is_a_placeholder(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;
	const char *log;

	f->refuse_from = 1;
	discovered_up(f, 1);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(f->attaches, 0);
	fx_counts(&c);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1);
	/* Served here: the magic, and DeviceID 0 (the probe skips it). */
	assert_true(reg_read(f, BASE, VG_MMIO_MAGIC_VALUE) == VG_MMIO_MAGIC);
	assert_true(reg_read(f, BASE, VG_MMIO_DEVICE_ID) == 0);
	/* A grant window, but a placeholder maps nothing: no gntdev. */
	assert_int_equal(handles(FX_H_GNTTAB), 0);
	log = log_text(f);
	assert_non_null(strstr(log, "unknown domain 'guest1': serving an "
				    "empty window"));
	assert_null(strstr(log, "served by a worker"));
	assert_int_equal(vg_xen_devices(f->h), 1);

	assert_int_equal(fx_xl_destroy_devices(DOMID), 0);
	assert_true(pump_until(f, BE "/state", "6"));
	assert_int_equal(fx_xl_destroy_finish(DOMID), 0);
	pump(f);
	assert_false(fx_domain_zombie(DOMID));
	fx_counts(&c);
	assert_int_equal(c.servers + c.ranges + c.ports + c.resource_maps, 0);
	/* Nothing was attached, so nothing is detached. */
	assert_int_equal(f->ndetach, 0);
	assert_int_equal(f->attaches, 0);
	assert_int_equal(vg_xen_devices(f->h), 0);
}

/*
 * A second window of the guest refused (the daemon serves one window per
 * domain): the first stays its worker's, the second is a placeholder
 * here; stop() ends the worker and releases both, each told 6.
 */
static void xenroute_second_window_refused_beside_a_worker(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	f->refuse_from = 2;
	f->why = "domain 'guest1' is already served";
	discovered_up(f, 1);
	snprintf(f->be, sizeof(f->be), "%s", BE_DIR "/1");
	add_virtio(1, BASE + 0x200, SPI + 1, 1);
	assert_true(pump_until(f, BE_DIR "/1/state", "4"));
	assert_int_equal(f->nspawn, 2);
	assert_string_equal(f->spawn[1].wargs[3], "1");
	assert_string_equal(f->spawn[1].state, "2");
	fx_counts(&c);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1);
	/* The placeholder answers; the worker's window is not served here. */
	assert_true(reg_read(f, BASE + 0x200, VG_MMIO_DEVICE_ID) == 0);
	assert_non_null(strstr(log_text(f), "is already served: serving an "
					    "empty window"));
	assert_int_equal(fx_vcpu_access(DOMID, 0, BASE, 4, false, 0),
			 FX_IO_UNHANDLED);
	assert_int_equal(vg_xen_devices(f->h), 2);
	assert_int_equal(f->ndetach, 0);

	stop(f);
	assert_int_equal(f->ndetach, 1);
	assert_detached_once(f, f->spawn[0].conn);
	assert_node(BE "/state", "6");
	assert_node(BE_DIR "/1/state", "6");
	assert_int_equal(f->attaches, 0);
}

/*
 * The guest dies without xl: @releaseDomain ends its worker, state 6,
 * though a domain with a higher id lives on (the look-up answers it).
 */
static void xenroute_domain_death_detaches(void **state)
{
	struct fx_domain_params other = {
		.domid = 9,
		.name = "other",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.ram_base = RAM_BASE,
		.ram_size = 1u << 20,
	};
	struct fix *f = *state;

	discovered_up(f, 1);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(fx_domain_new(&other), 0);
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	assert_true(pump_until(f, BE "/state", "6"));
	assert_int_equal(f->ndetach, 1);
	assert_detached_once(f, f->spawn[0].conn);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_false(fx_domain_zombie(DOMID));
	/* The directory's later changes bring nothing back. */
	pump(f);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(f->ndetach, 1);
}

/*
 * Another guest's death, and a failed look-up, say nothing about this
 * one: its worker goes on.
 */
static void xenroute_other_deaths_keep_the_window(void **state)
{
	struct fx_domain_params other = {
		.domid = 9,
		.name = "other",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.ram_base = RAM_BASE,
		.ram_size = 1u << 20,
	};
	struct fix *f = *state;
	unsigned int i;

	discovered_up(f, 1);
	assert_int_equal(fx_domain_new(&other), 0);
	/* Our guest's look-up fails while another domain shuts down ... */
	fx_fail_next("xc_domain_getinfolist", EFAULT, 1);
	assert_int_equal(fx_domain_shutdown(9), 0);
	for (i = 0; i < 10; i++)
		pump(f);
	/* ... and then the other one is destroyed. */
	assert_int_equal(fx_domain_destroy(9), 0);
	for (i = 0; i < 10; i++)
		pump(f);
	assert_int_equal(f->ndetach, 0);
	assert_node(BE "/state", "4");
	assert_int_equal(vg_xen_devices(f->h), 1);
	assert_non_null(strstr(log_text(f), "cannot look the domain up"));
}

/*
 * The toolstack lets go of a served window by state 5 alone, by online 0
 * alone, or by removing its directory: detach() with its token each time;
 * 6 where the directory is, and a removed one is not recreated.
 */
static void xenroute_toolstack_letting_go_detaches(void **state)
{
	static const struct {
		const char *key; /* NULL: remove the directory */
		const char *value;
	} how[] = {
		{"state", "5"},
		{"online", "0"},
		{NULL, NULL},
	};
	struct fix *f = *state;
	char dir[128], path[192];
	unsigned int i;

	domain("guest1", FX_ARM);
	assert_int_equal(start(f), 0);
	for (i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		snprintf(dir, sizeof(dir), BE_DIR "/%u", i);
		snprintf(f->be, sizeof(f->be), "%s", dir);
		snprintf(path, sizeof(path), "%s/state", dir);
		add_virtio(i, BASE + 0x200 * i, SPI + i, 1);
		assert_true(pump_until(f, path, "4"));
		assert_int_equal(f->nspawn, i + 1);
		assert_int_equal(f->ndetach, i);
		if (how[i].key) {
			snprintf(path, sizeof(path), "%s/%s", dir, how[i].key);
			assert_int_equal(fx_xs_write(path, how[i].value), 0);
			snprintf(path, sizeof(path), "%s/state", dir);
			assert_true(pump_until(f, path, "6"));
		} else {
			assert_int_equal(fx_xs_rm(dir), 0);
			assert_true(pump_until_detached(f, i + 1));
			assert_node(path, NULL);
		}
		/* (A freed token's address may come back: check by turn.) */
		assert_int_equal(f->ndetach, i + 1);
		assert_ptr_equal(f->detached[i], f->spawn[i].conn);
		assert_int_equal(vg_xen_devices(f->h), 0);
	}
	assert_parent_holds_nothing();
}

/*
 * The parent's domain check refuses before any spawn(): a PVH guest has
 * nowhere to inject an ISA IRQ, so the manual start fails.
 */
static void xenroute_manual_pvh_isa_refused_without_spawn(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	domain("guest1", FX_X86_PVH);
	f->devs[0] = (struct vg_devspec){.domid = DOMID,
					 .base = ISA_BASE,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->cfg.ndevices = 1;
	f->cfg.discover = false;
	assert_int_not_equal(start(f), 0);
	assert_int_equal(f->nspawn, 0);
	assert_int_equal(f->ndetach, 0);
	assert_non_null(strstr(log_text(f), "PVH guest"));
	fx_counts(&c);
	assert_int_equal(c.handles, 0);
}

/*
 * A manual start that fails after a window was spawned (the next one's
 * domain does not exist) ends that worker and spawns nothing more.
 */
static void xenroute_manual_start_failure_ends_spawned_worker(void **state)
{
	struct fix *f = *state;

	domain("guest1", FX_X86_HVM);
	f->devs[0] = (struct vg_devspec){.domid = DOMID,
					 .base = ISA_BASE,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->devs[1] = (struct vg_devspec){.domid = DOMID + 1,
					 .base = ISA_BASE,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->cfg.ndevices = 2;
	f->cfg.discover = false;
	f->be[0] = '\0';
	assert_int_not_equal(start(f), 0);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(f->ndetach, 1);
	assert_ptr_equal(f->detached[0], f->spawn[0].conn);
	assert_non_null(strstr(log_text(f), "no such domain"));
}

/*
 * A libxl device whose guest died before the claim: the parent's check
 * fails, spawn() is never asked, and the device is told 6.
 */
static void xenroute_dead_domain_device_closed_without_spawn(void **state)
{
	struct fix *f = *state;

	domain("guest1", FX_ARM);
	add_virtio(0, BASE, SPI, 1);
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	assert_int_equal(start(f), 0);
	assert_true(pump_until(f, BE "/state", "6"));
	assert_int_equal(f->nspawn, 0);
	assert_int_equal(f->ndetach, 0);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_parent_holds_nothing();
}

/*
 * A libxl window no worker could take (base not on a window boundary) is
 * closed by the parent itself: no worker is started for it.
 */
static void xenroute_bad_window_closed_without_spawn(void **state)
{
	struct fix *f = *state;

	domain("guest1", FX_ARM);
	add_virtio(0, BASE + 0x100, SPI, 1);
	assert_int_equal(start(f), 0);
	assert_true(pump_until(f, BE "/state", "6"));
	assert_int_equal(f->nspawn, 0);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_parent_holds_nothing();
}

/*
 * The toolstack lets go while spawn() runs, between the claim and state
 * 4: the parent does not write 4 over it, ends the worker it just got,
 * and says 6 unless the directory is gone (never recreated).
 */
static void xenroute_let_go_during_spawn_detaches(void **state)
{
	static const enum let_go how[] = {
		LET_GO_STATE5,
		LET_GO_REMOVE,
	};
	struct fix *f = *state;
	char dir[128], path[192];
	unsigned int i;

	domain("guest1", FX_ARM);
	assert_int_equal(start(f), 0);
	for (i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		snprintf(dir, sizeof(dir), BE_DIR "/%u", i);
		snprintf(f->be, sizeof(f->be), "%s", dir);
		snprintf(path, sizeof(path), "%s/state", dir);
		f->let_go = how[i];
		add_virtio(i, BASE + 0x200 * i, SPI + i, 1);
		assert_true(pump_until_spawned(f, i + 1));
		assert_string_equal(f->spawn[i].state, "2");
		/* At once, in the turn that spawned it: no later event. */
		assert_int_equal(f->ndetach, i + 1);
		assert_ptr_equal(f->detached[i], f->spawn[i].conn);
		assert_node(path, how[i] == LET_GO_REMOVE ? NULL : "6");
		assert_int_equal(vg_xen_devices(f->h), 0);
		/* Later turns neither claim it again nor detach twice. */
		pump(f);
		pump(f);
		assert_int_equal(f->nspawn, i + 1);
		assert_int_equal(f->ndetach, i + 1);
	}
	assert_parent_holds_nothing();
}

/* --- named windows and device add/remove ------------------------------- */

/* The hooks give domain "guest1" an x86 window; no discovery, no libxl. */
static void named(struct fix *f)
{
	f->hooks.window = hook_window;
	f->win_name = "guest1";
	f->win = (struct vg_devspec){
		.base = ISA_BASE, .irq = 3, .irq_kind = VG_IRQ_ISA};
	f->cfg.discover = false;
	f->be[0] = '\0';
}

/*
 * Each domain of the window's name gets a worker from its creation, with
 * the window as worker options and the domain's own domid; its death ends
 * the worker; the next one (a new domid) gets a new worker. Other names
 * are asked about once and left alone.
 */
static void xenroute_named_window_spawns_for_each_domain(void **state)
{
	static const char *const want0[] = {
		"--xen-device",
		"domid=5,base=0xfe000000,irq=3,grants=0,irqtype=isa",
		"--xen-devid",
		"0",
		NULL,
	};
	static const char *const want1[] = {
		"--xen-device",
		"domid=6,base=0xfe000000,irq=3,grants=0,irqtype=isa",
		"--xen-devid",
		"0",
		NULL,
	};
	struct fix *f = *state;
	unsigned int i;

	named(f);
	assert_int_equal(start(f), 0);
	assert_int_equal(f->nspawn, 0);
	assert_int_equal(f->nwindow, 0); /* dom0 is not asked about */
	domain_at("guest1", DOMID, FX_X86_HVM);
	assert_true(pump_until_spawned(f, 1));
	assert_string_equal(f->spawn[0].domain, "guest1");
	assert_wargs(f, 0, want0);
	assert_int_equal(f->spawn[0].guest_handles, 0);
	assert_parent_holds_nothing();
	/* The look-up and the domain check: nothing else about the guest. */
	assert_string_equal(fx_calls(DOMID), "getinfo getinfo");
	assert_non_null(strstr(log_text(f),
			       "'guest1': the policy's window at 0xfe000000"));
	assert_int_equal(vg_xen_devices(f->h), 1);

	domain_at("stranger", DOMID + 2, FX_X86_HVM);
	for (i = 0; i < 10; i++)
		pump(f);
	assert_int_equal(f->nwindow, 2);
	assert_int_equal(f->nspawn, 1);
	/* Another domain appearing asks about none of these again. */
	domain_at("other", DOMID + 3, FX_X86_HVM);
	for (i = 0; i < 10; i++)
		pump(f);
	assert_int_equal(f->nwindow, 3);

	assert_int_equal(fx_domain_destroy(DOMID), 0);
	assert_true(pump_until_detached(f, 1));
	assert_detached_once(f, f->spawn[0].conn);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_false(fx_domain_zombie(DOMID));

	domain_at("guest1", DOMID + 1, FX_X86_HVM);
	assert_true(pump_until_spawned(f, 2));
	assert_wargs(f, 1, want1);
	assert_int_equal(f->nwindow, 4);
	stop(f);
	assert_int_equal(f->ndetach, 2);
	assert_ptr_equal(f->detached[1], f->spawn[1].conn);
}

/*
 * A domain of that name that runs at start gets its worker during
 * start(); one refused is an empty window served here, released with the
 * domain without a detach().
 */
static void xenroute_named_window_at_start_refused_is_placeholder(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	named(f);
	f->refuse_from = 1;
	domain("guest1", FX_X86_HVM);
	assert_int_equal(start(f), 0);
	assert_int_equal(f->nspawn, 1);
	fx_counts(&c);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1);
	assert_true(reg_read(f, ISA_BASE, VG_MMIO_DEVICE_ID) == 0);
	assert_non_null(strstr(log_text(f), "unknown domain 'guest1': serving "
					    "an empty window"));
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	for (c.ranges = 1; c.ranges;) {
		pump(f);
		fx_counts(&c);
	}
	assert_int_equal(f->ndetach, 0);
	assert_int_equal(vg_xen_devices(f->h), 0);
	assert_false(fx_domain_zombie(DOMID));
}

/*
 * The class's device_add() starts a worker for a running domain as a
 * manual window; device_remove() ends it. A window there already, none
 * there, a bad spec and a libxl device are refused, changing nothing; a
 * refused spawn is an empty window, said so.
 */
static void xenroute_device_add_and_remove(void **state)
{
	static const char *const want[] = {
		"--xen-device",
		"domid=5,base=0xfe000000,irq=3,grants=0,irqtype=isa",
		"--xen-devid",
		"0",
		NULL,
	};
	static const char spec[] = "domid=5,base=0xfe000000,irq=3,irqtype=isa";
	struct fix *f = *state;
	struct vg_guest_added a;
	char why[200];

	domain("guest1", FX_X86_HVM);
	f->cfg.discover = false;
	f->be[0] = '\0';
	assert_int_equal(start(f), 0);
	assert_int_equal(
		vg_xen_class.device_add(f->h, spec, &a, why, sizeof(why)), 0);
	assert_int_equal(f->nspawn, 1);
	assert_wargs(f, 0, want);
	assert_true(a.attached);
	assert_string_equal(a.domain, "guest1");
	assert_int_equal(a.domid, DOMID);
	assert_int_equal(a.devid, 0);
	assert_parent_holds_nothing();
	assert_int_equal(
		vg_xen_class.device_add(f->h, spec, &a, why, sizeof(why)),
		-EEXIST);
	assert_int_equal(vg_xen_class.device_add(f->h, "domid=5,irq=3", &a, why,
						 sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "missing base="));
	assert_int_equal(vg_xen_class.device_remove(f->h,
						    "domid=5,base=0xfe000200",
						    why, sizeof(why)),
			 -ENOENT);
	assert_int_equal(f->nspawn, 1);
	assert_int_equal(f->ndetach, 0);
	assert_int_equal(vg_xen_class.device_remove(f->h,
						    "domid=5,base=0xfe000000",
						    why, sizeof(why)),
			 0);
	assert_int_equal(f->ndetach, 1);
	assert_ptr_equal(f->detached[0], f->spawn[0].conn);
	assert_int_equal(vg_xen_devices(f->h), 0);

	/* Refused: an empty window here, with the owner's reason. */
	f->refuse_from = 2;
	assert_int_equal(
		vg_xen_class.device_add(f->h, spec, &a, why, sizeof(why)), 0);
	assert_false(a.attached);
	assert_string_equal(a.why, f->why);
	assert_true(reg_read(f, ISA_BASE, VG_MMIO_DEVICE_ID) == 0);
	assert_int_equal(vg_xen_class.device_remove(f->h,
						    "domid=5,base=0xfe000000",
						    why, sizeof(why)),
			 0);
	assert_int_equal(f->ndetach, 1);
	assert_parent_holds_nothing();
}

/* A libxl device is the toolstack's: device_remove() leaves it. */
static void xenroute_device_remove_refuses_libxl_device(void **state)
{
	struct fix *f = *state;
	char why[200];

	discovered_up(f, 1);
	assert_int_equal(vg_xen_class.device_remove(f->h,
						    "domid=5,base=0x2000000",
						    why, sizeof(why)),
			 -EPERM);
	assert_non_null(strstr(why, "the toolstack removes it"));
	assert_int_equal(f->ndetach, 0);
	assert_node(BE "/state", "4");
	assert_int_equal(vg_xen_devices(f->h), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(xenroute_discovered_window_spawns_a_worker),
		T(xenroute_discovered_foreign_window_says_grants_0),
		T(xenroute_manual_windows_spawn_and_stop_detaches),
		T(xenroute_manual_window_released_when_domain_dies),
		T(xenroute_refused_window_is_a_placeholder),
		T(xenroute_second_window_refused_beside_a_worker),
		T(xenroute_domain_death_detaches),
		T(xenroute_other_deaths_keep_the_window),
		T(xenroute_toolstack_letting_go_detaches),
		T(xenroute_manual_pvh_isa_refused_without_spawn),
		T(xenroute_manual_start_failure_ends_spawned_worker),
		T(xenroute_dead_domain_device_closed_without_spawn),
		T(xenroute_bad_window_closed_without_spawn),
		T(xenroute_let_go_during_spawn_detaches),
		T(xenroute_named_window_spawns_for_each_domain),
		T(xenroute_named_window_at_start_refused_is_placeholder),
		T(xenroute_device_add_and_remove),
		T(xenroute_device_remove_refuses_libxl_device),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
