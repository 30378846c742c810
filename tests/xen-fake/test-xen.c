// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Xen transport (backend/xen*.c, the shipped code) inside an
 * in-process vgpiod, against the fake Xen (tests/lib/fakexen/fakexen.h): libxl
 * devices appearing in xenstore, bring-up order, guest traffic through
 * ioreqs with grant-addressed or guest-physical rings and buffers,
 * interrupts, INVALIDATE, Xen 4.17's unmasked write data, a second backend
 * racing for the claim, `xl destroy`, manual mode, hostile ioreqs, and
 * nothing left mapped or bound afterwards (checked after every test).
 * The one-guest class (vg_xen_one_class, a worker's) serves the same
 * traffic with every handle restricted to its guest before first use.
 * Named windows (the policy's xen-device): a domain served from its
 * creation, again after a reboot with a new domid, at start when it runs
 * already, after a reload that gives its name one; other domains left
 * alone; `device add` and `device remove` on the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
/* For struct ioreq and its constants in the hostile cases. */
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/hvm/ioreq.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "config.h"
#include "ctlclient.h"
#include "devspec.h"
#include "drv.h"
#include "daemon.h"
#include "dom.h"
#include "dummydev.h"
#include "evloop.h"
#include "fakexen.h"
#include "hostile.h"
#include "mmio.h"
#include "shim.h"
#include "sim.h"
#include "tmpdir.h"
#include "xen.h"
#include "xenguest.h"

#define BASE 0x2000000ULL
#define SPI 33
#define DOMID 5
#define BE "/local/domain/0/backend/virtio/5/0"

static const char policy[] = "[sim board]\n"
			     "lines = 4\n"
			     "names = led btn out2 in2\n"
			     "wire = out2 -> in2\n"
			     "pull = btn down\n"
			     "\n"
			     "[domain guest1]\n"
			     "lines = board led btn out2 in2\n"
			     "line led = allow=out safe=low\n"
			     "line btn = allow=in,irq\n"
			     "line out2 = allow=out safe=low\n"
			     "line in2 = allow=in,irq\n";

struct fix {
	char dir[128], ctl[160];
	struct vg_config *cfg;
	struct vg_log_sink sink;
	struct vg_xen_config xcfg;
	struct vg_xen_one_config ocfg;
	struct vg_daemon_transport xt;
	struct vg_devspec devs[2];
	struct vg_daemon *d;
	struct vg_shim *shim;
	struct vg_xguest g;
	size_t ram_size; /* the guest's RAM; 0: 4 MiB */
};

static int daemon_start(struct fix *f, const char *suffix,
			struct vg_daemon **out)
{
	/* Xen alone: a daemon under Xen needs no loop socket. */
	struct vg_daemon_params p = {
		.cfg = f->cfg,
		.sink = &f->sink,
		.transports = &f->xt,
		.ntransports = 1,
	};
	char ctl[200];

	snprintf(ctl, sizeof(ctl), "%s%s", f->ctl, suffix);
	p.ctl_path = ctl;
	return vg_daemon_new(&p, out);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(fx_reset(), 0);
	assert_int_equal(vg_tmpdir_new(f->dir, sizeof(f->dir), "xen"), 0);
	snprintf(f->ctl, sizeof(f->ctl), "%s/ctl", f->dir);
	assert_int_equal(vg_config_parse(policy, strlen(policy), "test",
					 &f->cfg, err, sizeof(err)),
			 0);
	f->sink = (struct vg_log_sink){
		.level = getenv("VGPIO_TEST_VERBOSE") ? VG_LOG_DEBUG
						      : VG_LOG_ERR,
		.fd = 2,
	};
	f->xcfg = (struct vg_xen_config){.discover = true, .devices = f->devs};
	f->xt = (struct vg_daemon_transport){.cls = &vg_xen_class,
					     .cfg = &f->xcfg};
	f->g = (struct vg_xguest){.domid = DOMID, .base = BASE, .irq = SPI};
	*state = f;
	return 0;
}

/* Everything released, nothing broken: checked after every test. */
static int teardown(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	vg_shim_free(f->shim);
	vg_daemon_free(f->d);
	fx_counts(&c);
	if (fx_violations())
		fprintf(stderr, "violation: %s\n", fx_violation_last());
	assert_int_equal(fx_violations(), 0);
	assert_int_equal(c.foreign_maps + c.grant_maps + c.resource_maps +
				 c.ports + c.servers + c.ranges,
			 0);
	assert_int_equal(fx_reset(), 0);
	vg_config_free(f->cfg);
	vg_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* A guest domain named @name whose RAM is a new shim's. */
static void guest_domain(struct fix *f, const char *name, enum fx_arch arch,
			 bool grants)
{
	struct vg_shim_opts o = {.grants = grants,
				 .ram_size =
					 f->ram_size ? f->ram_size : 4u << 20};
	struct fx_domain_params p = {
		.domid = DOMID,
		.name = name,
		.arch = arch,
		.nr_vcpus = 2,
		.nr_spis = 32,
	};

	assert_int_equal(vg_shim_new(&o, &f->shim), 0);
	assert_int_equal(vg_xguest_domain(&p, f->shim, grants), 0);
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

/* Domain, daemon, libxl device, then the shim probes through ioreqs. */
static void up(struct fix *f, bool grants)
{
	guest_domain(f, "guest1", FX_ARM, grants);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d;
	add_virtio(0, BASE, SPI, grants);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "4"));
	vg_xguest_attach(&f->g, f->shim);
	if (vg_shim_probe(f->shim))
		fail_msg("probe: %s", vg_shim_error(f->shim));
}

static int sim_value(struct fix *f, const char *line)
{
	struct vg_sim_line_state st;

	assert_int_equal(vg_sim_get(vg_daemon_sim(f->d), "board", line, &st),
			 0);
	return st.value;
}

/* Pages the shim's rings take, each area mapped on its own. */
static unsigned int ring_pages(const struct fix *f)
{
	unsigned int q, i, n = 0;

	for (q = 0; q < f->shim->nvqs; q++) {
		const struct vg_drv_vq *vq = &f->shim->vq[q];
		const uint64_t a[3][2] = {
			{vq->desc, VG_VRING_DESC_BYTES(vq->size)},
			{vq->avail, VG_VRING_AVAIL_BYTES(vq->size)},
			{vq->used, VG_VRING_USED_BYTES(vq->size)},
		};

		for (i = 0; i < 3; i++)
			n += (unsigned int)(((a[i][0] & 4095) + a[i][1] +
					     4095) >>
					    12);
	}
	return n;
}

/*
 * What an idle device keeps mapped: its rings; with grants nothing else
 * (a grant kept would stop the guest from ending it), in foreign mode at
 * most the map cache's bound besides (xen.h: VG_XEN_MAPCACHE_ENTRIES
 * mappings of at most VG_XEN_MAPCACHE_PAGES pages).
 */
static void assert_idle_mappings(const struct fix *f, bool grants)
{
	unsigned int rings = 3 * f->shim->nvqs;
	struct fx_counts c;

	fx_counts(&c);
	if (grants) {
		assert_int_equal(c.grant_maps, rings);
		assert_int_equal(c.foreign_maps, 0);
		return;
	}
	assert_int_equal(c.grant_maps, 0);
	assert_in_range(c.foreign_maps, rings, rings + VG_XEN_MAPCACHE_ENTRIES);
	assert_true(c.foreign_pages <=
		    ring_pages(f) +
			    VG_XEN_MAPCACHE_ENTRIES * VG_XEN_MAPCACHE_PAGES);
}

/* The GPIO traffic every mode must carry; lines checked on the host. */
static void traffic(struct fix *f, bool grants)
{
	struct vg_shim_event ev;
	int v;

	assert_int_equal(vg_shim_ngpio(f->shim), 4);
	assert_string_equal(vg_shim_line_name(f->shim, 1), "btn");
	assert_int_equal(vg_shim_direction_output(f->shim, 0, 1), 0);
	assert_int_equal(sim_value(f, "led"), 1);
	assert_int_equal(vg_shim_set_value(f->shim, 0, 0), 0);
	assert_int_equal(sim_value(f, "led"), 0);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		vg_sim_set_pull(vg_daemon_sim(f->d), "board", "btn", 1), 0);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	assert_int_equal(v, 1);
	assert_idle_mappings(f, grants);
	/* An edge, through the eventq and the interrupt. */
	assert_int_equal(
		vg_shim_set_irq_type(f->shim, 3, VG_GPIO_IRQ_TYPE_EDGE_BOTH),
		0);
	assert_int_equal(vg_shim_irq_unmask(f->shim, 3), 0);
	assert_int_equal(vg_shim_direction_output(f->shim, 2, 1), 0);
	assert_int_equal(vg_shim_wait_event(f->shim, 1000, &ev), 1);
	assert_int_equal(ev.gpio, 3);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
	/* A line outside the domain's table is refused by the device. */
	assert_int_not_equal(vg_shim_get_value(f->shim, 4, &v), 0);
}

static void xen_discovery_brings_up_in_order(void **state)
{
	struct fix *f = *state;
	const char *calls, *p;
	static const char *const order[] = {
		"nr_vcpus", "create_server", "map_resource", "enable_server",
		"bind",	    "bind",	     "map_range",
	};
	size_t i;

	up(f, true);
	calls = fx_calls(DOMID);
	for (p = calls, i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p = strstr(p, order[i]);
		if (!p)
			fail_msg("'%s' missing or out of order in: %s",
				 order[i], calls);
		p += strlen(order[i]);
	}
	/* The handles are restricted to the guest before use. */
	assert_non_null(strstr(calls, "restrict_dm"));
	assert_true(strstr(calls, "restrict_dm") <
		    strstr(calls, "create_server"));
	assert_true(vg_shim_has_feature(f->shim, VG_F_ACCESS_PLATFORM));
}

static void xen_grants_carry_traffic(void **state)
{
	struct fix *f = *state;

	up(f, true);
	traffic(f, true);
	assert_true(fx_irq_edges(DOMID, SPI) > 0);
}

static void xen_foreign_mode_carries_traffic(void **state)
{
	struct fix *f = *state;

	up(f, false);
	traffic(f, false);
}

/*
 * One round of the requests a GPIO user makes, @i-th of a series: set
 * the led, read the button, and an edge on in2 (out2 set to @i's low bit,
 * which must change it) through the eventq and the interrupt.
 */
static void gpio_round(struct fix *f, unsigned int i)
{
	struct vg_shim_event ev;
	int v;

	assert_int_equal(vg_shim_set_value(f->shim, 0, (int)(i & 1)), 0);
	assert_int_equal(sim_value(f, "led"), (int)(i & 1));
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vg_shim_irq_unmask(f->shim, 3), 0);
	assert_int_equal(vg_shim_set_value(f->shim, 2, (int)(i & 1)), 0);
	assert_int_equal(vg_shim_wait_event(f->shim, 1000, &ev), 1);
	assert_int_equal(ev.gpio, 3);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);
}

/* The lines gpio_round() uses, set up, and round 1: the warm-up. */
static void gpio_rounds_start(struct fix *f)
{
	assert_int_equal(vg_shim_direction_output(f->shim, 0, 0), 0);
	assert_int_equal(vg_shim_direction_output(f->shim, 2, 0), 0);
	assert_int_equal(
		vg_shim_set_irq_type(f->shim, 3, VG_GPIO_IRQ_TYPE_EDGE_BOTH),
		0);
	gpio_round(f, 1);
}

/*
 * The steady state: after a warm-up, requests through Linux-style
 * indirect descriptors, and the eventq's answers, map nothing in foreign
 * mode (before the map cache: 4 map and 4 unmap calls a request).
 */
static void xen_foreign_steady_state_maps_nothing(void **state)
{
	struct fix *f = *state;
	struct fx_totals a, b;
	unsigned int i;

	up(f, false);
	assert_true(vg_shim_has_feature(f->shim, VG_F_RING_INDIRECT_DESC));
	gpio_rounds_start(f);
	fx_totals(&a);
	for (i = 0; i < 16; i++)
		gpio_round(f, i);
	fx_totals(&b);
	assert_int_equal(b.foreign_map_calls - a.foreign_map_calls, 0);
	assert_int_equal(b.foreign_unmap_calls - a.foreign_unmap_calls, 0);
	assert_idle_mappings(f, false);
}

/*
 * Grant mode keeps no mapping beyond its request: every grant map of a
 * request is unmapped before it is answered, and only rings stay.
 */
static void xen_grants_map_per_request(void **state)
{
	struct fix *f = *state;
	struct fx_totals a, b;
	unsigned int i;

	up(f, true);
	gpio_rounds_start(f);
	fx_totals(&a);
	for (i = 0; i < 16; i++)
		gpio_round(f, i);
	fx_totals(&b);
	assert_true(b.grant_map_calls - a.grant_map_calls >= 16 * 3);
	assert_int_equal(b.grant_map_calls - a.grant_map_calls,
			 b.grant_unmap_calls - a.grant_unmap_calls);
	assert_int_equal(b.foreign_map_calls, 0);
	assert_idle_mappings(f, true);
}

static enum fx_io wait_vcpu(struct fix *f, unsigned int vcpu, uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < 200 && fx_vcpu_poll(DOMID, vcpu, v) == FX_IO_PENDING;
	     i++)
		vg_xguest_pump(&f->g);
	return fx_vcpu_poll(DOMID, vcpu, v);
}

static void xen_invalidate_completes_and_remaps(void **state)
{
	struct fix *f = *state;
	unsigned int rings = 3 * 2;
	struct fx_totals a, b;
	struct fx_counts c;
	uint64_t data;
	int v;

	up(f, false);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	/* The request's buffers stay mapped besides the rings ... */
	fx_counts(&c);
	assert_true(c.foreign_maps > rings);
	assert_int_equal(fx_vcpu_invalidate(DOMID, 1), FX_IO_PENDING);
	assert_int_equal(wait_vcpu(f, 1, &data), FX_IO_DONE);
	/* ... until an INVALIDATE drops every foreign mapping ... */
	fx_counts(&c);
	assert_int_equal(c.foreign_maps, 0);
	/* ... and the next request maps its rings and buffers again. */
	fx_totals(&a);
	assert_int_equal(
		vg_sim_set_pull(vg_daemon_sim(f->d), "board", "btn", 1), 0);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	assert_int_equal(v, 1);
	fx_totals(&b);
	assert_true(b.foreign_map_calls - a.foreign_map_calls > 3);
	fx_counts(&c);
	assert_in_range(c.foreign_maps, 3 + 1, 3 + VG_XEN_MAPCACHE_ENTRIES);
	/* Then it is the steady state again. */
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	fx_totals(&a);
	assert_int_equal(a.foreign_map_calls, b.foreign_map_calls);
}

/* One register access from vCPU @vcpu, waited for. */
static uint64_t reg(struct fix *f, unsigned int vcpu, uint64_t off,
		    unsigned int size, bool write, uint64_t data)
{
	uint64_t v = 0;

	assert_int_equal(
		fx_vcpu_access(DOMID, vcpu, BASE + off, size, write, data),
		FX_IO_PENDING);
	assert_int_equal(wait_vcpu(f, vcpu, &v), FX_IO_DONE);
	return v;
}

/* Xen 4.17 on Arm leaves the register's upper bits in a write's data. */
static void xen_unmasked_write_data_is_masked(void **state)
{
	struct fix *f = *state;

	up(f, true);
	/* QueueSel 1 with junk above: queue 1 (ready) is selected. */
	reg(f, 0, VG_MMIO_QUEUE_SEL, 4, true, 0xdeadbeef00000001ULL);
	assert_true(reg(f, 0, VG_MMIO_QUEUE_READY, 4, false, 0) == 1);
	reg(f, 0, VG_MMIO_QUEUE_SEL, 4, true, 0xdeadbeef00000007ULL);
	assert_true(reg(f, 0, VG_MMIO_QUEUE_READY, 4, false, 0) == 0);
	/*
	 * Reads are zero-extended over the fake's stale data: config bytes
	 * (ngpio = 4), and a control register at a refused width (0).
	 */
	assert_true(reg(f, 1, VG_MMIO_CONFIG, 1, false, 0) == 4);
	assert_true(reg(f, 1, VG_MMIO_CONFIG, 2, false, 0) == 4);
	assert_true(reg(f, 1, VG_MMIO_MAGIC_VALUE, 1, false, 0) == 0);
	assert_true(reg(f, 1, VG_MMIO_MAGIC_VALUE, 4, false, 0) ==
		    VG_MMIO_MAGIC);
}

static void xen_second_backend_loses_the_claim(void **state)
{
	struct fix *f = *state;
	struct vg_daemon *d2;
	struct fx_counts c;

	guest_domain(f, "guest1", FX_ARM, true);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	assert_int_equal(daemon_start(f, "2", &d2), 0);
	f->g.d[0] = d2; /* the second one sees the device first ... */
	f->g.d[1] = f->d;
	/* ... and its first claim conflicts, so it retries. */
	fx_fail_next("xs_transaction_end", 11 /* EAGAIN */, 1);
	add_virtio(0, BASE, SPI, 1);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "4"));
	vg_xguest_pump(&f->g);
	fx_counts(&c);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1);
	vg_xguest_attach(&f->g, f->shim);
	assert_int_equal(vg_shim_probe(f->shim), 0);
	/* Whoever won serves it; the loser holds nothing. */
	vg_shim_free(f->shim);
	f->shim = NULL;
	vg_daemon_free(d2);
	f->g.d[0] = f->d;
	f->g.d[1] = NULL;
}

/*
 * `xl destroy` after traffic: nothing stays mapped (in foreign mode the
 * map cache held buffers besides the rings), the domain is no zombie.
 */
static void destroy_releases_everything(struct fix *f, bool grants)
{
	struct fx_counts c;

	up(f, grants);
	traffic(f, grants);
	assert_int_equal(sim_value(f, "out2"), 1);
	fx_counts(&c);
	if (!grants)
		assert_true(c.foreign_maps > 3 * f->shim->nvqs);
	assert_int_equal(fx_xl_destroy_devices(DOMID), 0);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "6"));
	assert_int_equal(fx_xl_destroy_finish(DOMID), 0);
	vg_xguest_pump(&f->g);
	assert_false(fx_domain_zombie(DOMID));
	fx_counts(&c);
	assert_int_equal(c.foreign_maps + c.grant_maps + c.resource_maps +
				 c.ports + c.servers,
			 0);
	/* The guest's output went back to its safe value. */
	assert_int_equal(sim_value(f, "out2"), 0);
}

static void xen_destroy_releases_everything(void **state)
{
	destroy_releases_everything(*state, true);
}

static void xen_destroy_releases_foreign_mappings(void **state)
{
	destroy_releases_everything(*state, false);
}

/* The guest dies under a device whose map cache holds buffers. */
static void xen_release_domain_without_xl_cleans_up(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;
	unsigned int i;
	int v;

	up(f, false);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	fx_counts(&c);
	assert_true(c.foreign_maps > 3 * f->shim->nvqs);
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	for (i = 0; i < 50; i++)
		vg_xguest_pump(&f->g);
	assert_false(fx_domain_zombie(DOMID));
	fx_counts(&c);
	assert_int_equal(c.foreign_maps + c.resource_maps + c.ports, 0);
}

static void manual(struct fix *f, enum fx_arch arch)
{
	guest_domain(f, "guest1", arch, false);
	f->devs[0] = (struct vg_devspec){.domid = DOMID,
					 .base = 0xfe000000,
					 .irq = 3,
					 .irq_kind = VG_IRQ_ISA};
	f->xcfg.ndevices = 1;
	f->xcfg.discover = false;
}

static void xen_manual_mode_isa_irq_follows_status(void **state)
{
	struct fix *f = *state;

	manual(f, FX_X86_HVM);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g = (struct vg_xguest){.d = {f->d},
				  .domid = DOMID,
				  .base = 0xfe000000,
				  .irq = 3,
				  .isa = true};
	vg_xguest_attach(&f->g, f->shim);
	assert_int_equal(vg_shim_probe(f->shim), 0);
	traffic(f, false);
	/* Acknowledged: the level line is low again. */
	assert_int_equal(fx_isa_level(DOMID, 3), 0);
}

static void xen_manual_mode_refuses_pvh(void **state)
{
	struct fix *f = *state;

	manual(f, FX_X86_PVH);
	assert_int_not_equal(daemon_start(f, "", &f->d), 0);
	f->d = NULL;
}

/*
 * Start the manual-mode daemon of manual() with its device on ISA IRQ
 * @irq, warnings logged to a file; the start's result, the log in @log.
 */
static int start_isa_logged(struct fix *f, unsigned int irq, char *log,
			    size_t len)
{
	char path[192];
	ssize_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/log", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	f->sink.fd = fd;
	f->sink.level = VG_LOG_WARN;
	f->devs[0].irq = irq;
	rc = daemon_start(f, "", &f->d);
	n = pread(fd, log, len - 1, 0);
	assert_true(n >= 0);
	log[n] = '\0';
	close(fd);
	f->sink.fd = 2;
	return rc;
}

/* docs/xen.md: an IRQ the firmware routes elsewhere is refused. */
static void xen_manual_mode_refuses_firmware_isa_irq(void **state)
{
	static const struct {
		unsigned int irq;
		const char *what;
	} taken[] = {
		{2, "the PIT"},
		{5, "a PCI interrupt link"},
		{8, "the RTC"},
		{9, "the ACPI SCI"},
		{10, "a PCI interrupt link"},
		{11, "a PCI interrupt link"},
	};
	struct fix *f = *state;
	char log[1024];
	unsigned int i;

	manual(f, FX_X86_HVM);
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		assert_int_not_equal(
			start_isa_logged(f, taken[i].irq, log, sizeof(log)), 0);
		f->d = NULL;
		if (!strstr(log, taken[i].what) || !strstr(log, "ISA IRQ"))
			fail_msg("irq %u: log: %s", taken[i].irq, log);
	}
}

/* An emulated device's IRQ: served, with a warning naming the device. */
static void xen_manual_mode_warns_device_isa_irq(void **state)
{
	struct fix *f = *state;
	char log[1024];

	manual(f, FX_X86_HVM);
	assert_int_equal(start_isa_logged(f, 4, log, sizeof(log)), 0);
	if (!strstr(log, "ISA IRQ 4: the first serial port uses it"))
		fail_msg("log: %s", log);
	vg_daemon_free(f->d);
	f->d = NULL;
	/* IRQ 3, the tested route's: nothing to say. */
	assert_int_equal(start_isa_logged(f, 3, log, sizeof(log)), 0);
	assert_null(strstr(log, "ISA IRQ"));
}

/* --- status -------------------------------------------------------------- */

/*
 * The daemon's status over its control socket, in JSON, with the daemon
 * run turn by turn meanwhile: the device windows (the caller frees @r).
 */
static const struct vg_json *status_devices(struct fix *f,
					    struct vg_ctlc_reply *r)
{
	const struct vg_json *devs;
	struct vg_ctlc c;
	int rc, i;

	assert_int_equal(vg_ctlc_connect(&c, f->ctl), 0);
	c.timeout_ms = 0; /* the daemon runs here, between tries */
	assert_int_equal(vg_ctlc_request(&c, "status", NULL), 0);
	for (i = 0; i < 200 && (rc = vg_ctlc_reply(&c, r)) == -EAGAIN; i++)
		vg_xguest_pump(&f->g);
	if (rc)
		fail_msg("status: %s", c.err);
	vg_ctlc_close(&c);
	assert_true(r->ok);
	devs = vg_json_get(r->result, "devices");
	assert_non_null(devs);
	assert_int_equal(devs->type, VG_JSON_ARR);
	return devs;
}

/* The one device window: its fields as the Xen transport reports them. */
static const struct vg_json *xen_device(const struct vg_json *devs,
					uint64_t base, uint64_t irq,
					const char *irq_kind,
					const char *memory, const char *state)
{
	const struct vg_json *d;

	assert_int_equal(devs->n, 1);
	d = &devs->v[0];
	assert_string_equal(vg_json_get_str(d, "transport", ""), "xen");
	assert_string_equal(vg_json_get_str(d, "domain", ""), "guest1");
	assert_int_equal(vg_json_get_u64(d, "domid", 99), DOMID);
	assert_int_equal(vg_json_get_u64(d, "devid", 99), 0);
	assert_true(vg_json_get_u64(d, "base", 0) == base);
	assert_int_equal(vg_json_get_u64(d, "size", 0), VG_DEVSPEC_WINDOW);
	assert_int_equal(vg_json_get_u64(d, "irq", 0), irq);
	assert_string_equal(vg_json_get_str(d, "irq_kind", ""), irq_kind);
	assert_string_equal(vg_json_get_str(d, "memory", ""), memory);
	assert_string_equal(vg_json_get_str(d, "state", ""), state);
	return d;
}

static void xen_status_shows_grant_device(void **state)
{
	struct fix *f = *state;
	const struct vg_json *d;
	struct vg_ctlc_reply r;

	up(f, true);
	traffic(f, true);
	d = xen_device(status_devices(f, &r), BASE, SPI, "spi", "grant",
		       "connected");
	assert_true(vg_json_true(vg_json_get(d, "attached")));
	/* The attached domain's counters: the traffic above. */
	assert_true(vg_json_get_u64(vg_json_get(d, "counters"), "requests", 0) >
		    0);
	assert_true(vg_json_get_u64(vg_json_get(d, "counters"), "interrupts",
				    0) > 0);
	vg_ctlc_reply_free(&r);
}

static void xen_status_shows_manual_foreign_device(void **state)
{
	struct fix *f = *state;
	const struct vg_json *d;
	struct vg_ctlc_reply r;

	manual(f, FX_X86_HVM);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d; /* no guest traffic: pumping needs only this */
	d = xen_device(status_devices(f, &r), 0xfe000000, 3, "isa", "foreign",
		       "manual");
	assert_true(vg_json_true(vg_json_get(d, "attached")));
	assert_int_equal(vg_json_get(d, "counters")->type, VG_JSON_OBJ);
	vg_ctlc_reply_free(&r);
}

static void xen_unknown_domain_gets_an_empty_window(void **state)
{
	struct fix *f = *state;
	const struct vg_json *devs;
	struct vg_ctlc_reply r;
	uint64_t v = 0;

	guest_domain(f, "stranger", FX_ARM, true);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d;
	add_virtio(0, BASE, SPI, 1);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "4"));
	vg_xguest_attach(&f->g, f->shim);
	assert_int_equal(
		vg_hostile_mmio_read(f->shim, VG_MMIO_MAGIC_VALUE, 4, &v), 0);
	assert_true(v == VG_MMIO_MAGIC);
	assert_int_equal(
		vg_hostile_mmio_read(f->shim, VG_MMIO_DEVICE_ID, 4, &v), 0);
	assert_true(v == 0);
	/* Status shows the window, attached to no domain. */
	devs = status_devices(f, &r);
	assert_int_equal(devs->n, 1);
	assert_string_equal(vg_json_get_str(&devs->v[0], "domain", ""),
			    "stranger");
	assert_false(vg_json_true(vg_json_get(&devs->v[0], "attached")));
	assert_string_equal(vg_json_get_str(&devs->v[0], "state", ""),
			    "placeholder");
	assert_int_equal(vg_json_get(&devs->v[0], "counters")->type,
			 VG_JSON_NULL);
	vg_ctlc_reply_free(&r);
}

/* Raw ioreq @r on vCPU 0; the backend must complete it. */
static uint64_t raw(struct fix *f, const struct ioreq *r)
{
	uint64_t v = 0xffff;

	assert_int_equal(fx_vcpu_raw(DOMID, 0, r, BASE), FX_IO_PENDING);
	assert_int_equal(wait_vcpu(f, 0, &v), FX_IO_DONE);
	return v;
}

static void xen_hostile_ioreqs_complete(void **state)
{
	struct fix *f = *state;
	struct ioreq r;
	int v;

	up(f, true);
	memset(&r, 0, sizeof(r));
	r.type = IOREQ_TYPE_COPY;
	r.dir = IOREQ_READ;
	r.count = 1;
	r.addr = BASE;
	r.size = 3; /* bad size */
	assert_true(raw(f, &r) == 0);
	r.size = 4;
	r.addr = BASE + 2; /* misaligned */
	assert_true(raw(f, &r) == 0);
	r.addr = BASE;
	r.count = 2; /* rep */
	assert_true(raw(f, &r) == 0);
	r.count = 1;
	r.data_is_ptr = 1;
	r.data = 0x40001000; /* a pointer: never written through */
	assert_true(raw(f, &r) == 0x40001000);
	r.data_is_ptr = 0;
	r.addr = BASE + 0x1000; /* outside every window */
	assert_true(raw(f, &r) == 0);
	r.addr = BASE;
	r.type = 5; /* unknown type */
	assert_true(raw(f, &r) == 0);
	r.type = IOREQ_TYPE_PCI_CONFIG;
	assert_true(raw(f, &r) == 0);
	r.type = IOREQ_TYPE_TIMEOFFSET;
	assert_true(raw(f, &r) == 0);
	/* The guest's device still works. */
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
}

/* Two devices of one guest share its IOREQ server; one domain, one chip. */
static void xen_second_device_shares_server_gets_empty_window(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;
	uint64_t v;

	up(f, true);
	add_virtio(1, BASE + 0x200, SPI + 1, 1);
	assert_true(vg_xguest_pump_until(
		&f->g, "/local/domain/0/backend/virtio/5/1/state", "4"));
	fx_counts(&c);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1); /* adjacent windows merge in Xen */
	v = reg(f, 1, 0x200 + VG_MMIO_DEVICE_ID, 4, false, 0);
	assert_true(v == 0);
	assert_true(reg(f, 1, VG_MMIO_DEVICE_ID, 4, false, 0) ==
		    VG_VIRTIO_ID_GPIO);
	/* The first device still carries traffic. */
	traffic(f, true);
}

/* A reboot is a new domid: the same name gets its lines again. */
static void xen_reboot_new_domid_serves_again(void **state)
{
	struct fix *f = *state;
	struct fx_domain_params p = {
		.domid = DOMID + 1,
		.name = "guest1",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.nr_spis = 32,
	};
	struct fx_virtio_dev v = {
		.domid = DOMID + 1,
		.type = "virtio,device29",
		.transport = "mmio",
		.base = BASE,
		.irq = SPI,
		.grant_usage = 1,
	};

	up(f, true);
	assert_int_equal(fx_xl_destroy_devices(DOMID), 0);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "6"));
	assert_int_equal(fx_xl_destroy_finish(DOMID), 0);
	vg_shim_free(f->shim);
	f->shim = NULL;
	f->g.domid = DOMID + 1;
	{
		struct vg_shim_opts o = {.grants = true, .ram_size = 4u << 20};

		assert_int_equal(vg_shim_new(&o, &f->shim), 0);
	}
	assert_int_equal(vg_xguest_domain(&p, f->shim, true), 0);
	assert_int_equal(fx_xl_add_virtio(&v), 0);
	assert_true(vg_xguest_pump_until(
		&f->g, "/local/domain/0/backend/virtio/6/0/state", "4"));
	vg_xguest_attach(&f->g, f->shim);
	assert_int_equal(vg_shim_probe(f->shim), 0);
	assert_int_equal(vg_shim_ngpio(f->shim), 4);
	assert_false(fx_domain_zombie(DOMID));
}

static unsigned int count_calls(const char *log, const char *name)
{
	unsigned int n = 0;
	const char *p;

	for (p = log; (p = strstr(p, name)); p += strlen(name))
		n++;
	return n;
}

/*
 * GET_VALUE of btn (line 1) through a direct two-descriptor chain at
 * head 0 of the request queue, the request at @req and the response at
 * @resp (guest addresses); its answer must be OK and @want.
 */
static void direct_get_value(struct fix *f, uint64_t req, uint64_t resp,
			     int want)
{
	struct vg_hostile_desc d0, d1;
	uint8_t *r = vg_drv_ptr(&f->shim->mem, req);
	uint32_t id, len;

	memset(r, 0, 8);
	r[0] = VG_GPIO_MSG_GET_VALUE;
	r[2] = 1; /* gpio 1: btn */
	r = vg_drv_ptr(&f->shim->mem, resp);
	memset(r, 0xff, 2);
	d0 = (struct vg_hostile_desc){
		.addr = vg_hostile_dma(f->shim, req, true),
		.len = 8,
		.flags = VG_VRING_DESC_F_NEXT,
		.next = 1};
	d1 = (struct vg_hostile_desc){
		.addr = vg_hostile_dma(f->shim, resp, false),
		.len = 2,
		.flags = VG_VRING_DESC_F_WRITE};
	assert_int_equal(vg_hostile_desc_set(f->shim, 0, 0, &d0), 0);
	assert_int_equal(vg_hostile_desc_set(f->shim, 0, 1, &d1), 0);
	assert_int_equal(vg_hostile_avail_push(f->shim, 0, 0), 0);
	assert_int_equal(vg_hostile_notify(f->shim, 0), 0);
	assert_int_equal(vg_hostile_wait_used(f->shim, 0, 1000, &id, &len), 1);
	assert_int_equal(id, 0);
	assert_int_equal(len, 2);
	assert_int_equal(r[0], VG_GPIO_STATUS_OK);
	assert_int_equal(r[1], want);
}

/*
 * A request and a response that each straddle a page boundary: two
 * consecutive grants mapped at once, the read-only one read-only, at an
 * in-page offset; nothing of them stays mapped once answered.
 */
static void xen_buffers_across_pages(void **state)
{
	struct fix *f = *state;
	uint64_t scratch;

	up(f, true);
	assert_int_equal(
		vg_sim_set_pull(vg_daemon_sim(f->d), "board", "btn", 1), 0);
	scratch = vg_hostile_alloc(f->shim, 3 * 4096);
	assert_true(scratch != 0);
	scratch = (scratch + 4095) & ~4095ULL;
	fx_calls_clear(DOMID);
	direct_get_value(f, scratch + 4096 - 4, scratch + 2 * 4096 - 1, 1);
	assert_idle_mappings(f, true);
	/* One two-page mapping per buffer, not one per page. */
	assert_int_equal(count_calls(fx_calls(DOMID), "grant_map "), 2);
}

/*
 * A guest that spreads its buffers over many pages: each request's in a
 * window of guest frames of its own, which the device reads and writes
 * (a read-only and a writable cache entry), over more than twice as many
 * windows as entries. The cache never holds more than its bound (xen.h),
 * evicts the least recently used entry first, and every answer is right.
 */
static void xen_map_cache_stays_bounded(void **state)
{
	enum {
		WIN = VG_XEN_MAPCACHE_PAGES * 4096,
		NWIN = 2 * VG_XEN_MAPCACHE_ENTRIES + 4,
	};
	struct fix *f = *state;
	struct fx_totals a, b;
	struct fx_counts c;
	uint64_t scratch, w;
	unsigned int k, rings, rpages;

	f->ram_size = 8u << 20;
	up(f, false);
	rings = 3 * f->shim->nvqs;
	rpages = ring_pages(f);
	assert_int_equal(
		vg_sim_set_pull(vg_daemon_sim(f->d), "board", "btn", 1), 0);
	scratch = vg_hostile_alloc(f->shim, (NWIN + 1) * (size_t)WIN);
	assert_true(scratch != 0);
	scratch = (scratch + WIN - 1) & ~(uint64_t)(WIN - 1);
	for (k = 0; k < NWIN; k++) {
		w = scratch + k * (uint64_t)WIN;
		direct_get_value(f, w + 9 * 4096 + 40, w + 3 * 4096 + 7, 1);
		fx_counts(&c);
		assert_true(c.foreign_maps <= rings + VG_XEN_MAPCACHE_ENTRIES);
		assert_true(c.foreign_pages <=
			    rpages + VG_XEN_MAPCACHE_ENTRIES *
					     VG_XEN_MAPCACHE_PAGES);
	}
	/* The last window's two entries were used last: still there. */
	fx_totals(&a);
	direct_get_value(f, w + 5 * 4096, w + 15 * 4096 + 4000, 1);
	fx_totals(&b);
	assert_int_equal(b.foreign_map_calls, a.foreign_map_calls);
	/* The first window's were evicted long ago: both mapped again. */
	direct_get_value(f, scratch + 40, scratch + 80, 1);
	fx_totals(&a);
	assert_int_equal(a.foreign_map_calls - b.foreign_map_calls, 2);
	assert_idle_mappings(f, false);
}

/*
 * Buffers in the last page of a guest whose RAM does not end on a window
 * boundary: the window around them cannot be mapped (frames past RAM),
 * so each entry maps the buffer's own page, and keeps it.
 */
static void xen_map_cache_window_past_ram(void **state)
{
	struct fix *f = *state;
	struct fx_totals a, b;
	uint64_t last;

	f->ram_size = (4u << 20) + 4096;
	up(f, false);
	last = f->shim->mem.base + f->shim->mem.size - 4096;
	fx_totals(&a);
	direct_get_value(f, last + 100, last + 200, 0);
	fx_totals(&b);
	/* Per buffer: the window, refused, then its page. */
	assert_int_equal(b.foreign_map_calls - a.foreign_map_calls, 4);
	direct_get_value(f, last + 300, last + 4000, 0);
	fx_totals(&a);
	assert_int_equal(a.foreign_map_calls, b.foreign_map_calls);
	assert_idle_mappings(f, false);
}

/* --- the map cache through the bus ops, as no device calls them ------- */

/* An owner that keeps the bus of the window it gets (a dummy device). */
struct busgrab {
	struct vg_dummy dummy;
	struct vg_mmio m;
	struct vg_bus bus;
	bool attached;
};

static int grab_attach(void *arg, void *conn, const char *domain,
		       const struct vg_bus *bus,
		       const struct vg_guest_info *info, struct vg_mmio **mmio,
		       char *reason, size_t reason_len)
{
	struct busgrab *b = arg;

	(void)conn;
	(void)domain;
	(void)info;
	(void)reason;
	(void)reason_len;
	b->bus = *bus;
	vg_mmio_init(&b->m, &b->dummy.vd, NULL);
	*mmio = &b->m;
	b->attached = true;
	return 0;
}

static void grab_detach(void *arg, void *conn)
{
	struct busgrab *b = arg;

	(void)conn;
	b->attached = false;
}

static const struct vg_guest_hooks grab_hooks = {
	.attach = grab_attach,
	.detach = grab_detach,
};

/* map() 8 bytes at guest address @addr, which must succeed whole. */
static void *bus_map(const struct busgrab *b, uint64_t addr, unsigned int prot)
{
	size_t n = 0;
	void *p = b->bus.ops->map(b->bus.ctx, addr, 8, prot, &n);

	assert_non_null(p);
	assert_int_equal(n, 8);
	return p;
}

static void bus_unmap(const struct busgrab *b, void *p)
{
	b->bus.ops->unmap(b->bus.ctx, p, 8);
}

/* Is the page of @p mapped writable in this process (/proc/self/maps)? */
static bool host_writable(const void *p)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)p;
	char perms[8], line[512];
	bool w = false, found = false;

	assert_non_null(fp);
	while (!found && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		    a >= lo && a < hi) {
			found = true;
			w = perms[1] == 'w';
		}
	fclose(fp);
	assert_true(found);
	return w;
}

static unsigned int foreign_maps_now(void)
{
	struct fx_counts c;

	fx_counts(&c);
	return c.foreign_maps;
}

static unsigned long foreign_map_calls(void)
{
	struct fx_totals t;

	fx_totals(&t);
	return t.foreign_map_calls;
}

/*
 * The cache's rules no GPIO request reaches (a request pins at most
 * three pieces): with every entry pinned a piece gets a mapping of its
 * own; an INVALIDATE while pinned keeps the pinned entries mapped but
 * never uses them again, and their last unmap unmaps them; a piece to
 * read never makes a writable mapping, a read-only entry never serves a
 * write, a writable one serves reads; the window's removal unmaps even
 * a pinned entry.
 */
static void xen_map_cache_pins_and_protection(void **state)
{
	enum { WIN = VG_XEN_MAPCACHE_PAGES * 4096 };
	struct fix *f = *state;
	struct busgrab b;
	struct vg_devspec spec = {.domid = DOMID,
				  .base = BASE,
				  .irq = SPI,
				  .irq_kind = VG_IRQ_SPI};
	struct vg_xen_params p = {.hooks = &grab_hooks,
				  .arg = &b,
				  .sink = &f->sink,
				  .devices = &spec,
				  .ndevices = 1};
	void *pin[VG_XEN_MAPCACHE_ENTRIES], *own, *q;
	struct vg_evloop *ev;
	struct vg_xen *x;
	struct fx_counts c;
	unsigned long calls;
	uint64_t ram, data;
	unsigned int k;

	memset(&b, 0, sizeof(b));
	guest_domain(f, "guest1", FX_ARM, false);
	ram = f->shim->mem.base;
	assert_int_equal(vg_dummy_init(&b.dummy,
				       VG_BIT(VG_F_VERSION_1) |
					       VG_BIT(VG_F_ACCESS_PLATFORM),
				       0, 0x10000, 0x10000),
			 0);
	assert_int_equal(vg_evloop_new(&ev), 0);
	p.ev = ev;
	assert_int_equal(vg_xen_new(&p, &x), 0);
	assert_true(b.attached);

	/* Every entry pinned, each a window of its own ... */
	for (k = 0; k < VG_XEN_MAPCACHE_ENTRIES; k++)
		pin[k] = bus_map(&b, ram + k * (uint64_t)WIN, VG_PROT_READ);
	assert_int_equal(foreign_maps_now(), VG_XEN_MAPCACHE_ENTRIES);
	assert_false(host_writable(pin[0]));
	/* ... so a ninth piece is mapped on its own, one page, till unmap. */
	own = bus_map(&b, ram + VG_XEN_MAPCACHE_ENTRIES * (uint64_t)WIN + 100,
		      VG_PROT_READ);
	fx_counts(&c);
	assert_int_equal(c.foreign_maps, VG_XEN_MAPCACHE_ENTRIES + 1);
	assert_int_equal(c.foreign_pages,
			 VG_XEN_MAPCACHE_ENTRIES * VG_XEN_MAPCACHE_PAGES + 1);
	bus_unmap(&b, own);
	assert_int_equal(foreign_maps_now(), VG_XEN_MAPCACHE_ENTRIES);

	/* INVALIDATE while pinned: still mapped, never used again ... */
	assert_int_equal(fx_vcpu_invalidate(DOMID, 0), FX_IO_PENDING);
	for (k = 0; k < 100 && fx_vcpu_poll(DOMID, 0, &data) == FX_IO_PENDING;
	     k++)
		assert_true(vg_evloop_run_once(ev, 0) >= 0);
	assert_int_equal(fx_vcpu_poll(DOMID, 0, &data), FX_IO_DONE);
	assert_int_equal(foreign_maps_now(), VG_XEN_MAPCACHE_ENTRIES);
	calls = foreign_map_calls();
	q = bus_map(&b, ram + 8, VG_PROT_READ);
	assert_int_equal(foreign_map_calls(), calls + 1);
	assert_true(q != (uint8_t *)pin[0] + 8);
	bus_unmap(&b, q);
	/* ... and unmapped at the last unmap of each. */
	for (k = 0; k < VG_XEN_MAPCACHE_ENTRIES; k++)
		bus_unmap(&b, pin[k]);
	assert_int_equal(foreign_maps_now(), 0);

	/* A read makes a read-only entry, which a write cannot use ... */
	calls = foreign_map_calls();
	q = bus_map(&b, ram + 16, VG_PROT_READ);
	assert_false(host_writable(q));
	bus_unmap(&b, q);
	q = bus_map(&b, ram + 16, VG_PROT_WRITE);
	assert_true(host_writable(q));
	bus_unmap(&b, q);
	assert_int_equal(foreign_map_calls(), calls + 2);
	/* ... and entries stay after their unmap: these map nothing. */
	bus_unmap(&b, bus_map(&b, ram + 4096 * 3, VG_PROT_READ));
	bus_unmap(&b, bus_map(&b, ram + 4096 * 5, VG_PROT_WRITE));
	assert_int_equal(foreign_map_calls(), calls + 2);
	assert_int_equal(foreign_maps_now(), 2);

	/* Removal with a piece still pinned: nothing stays mapped. */
	(void)bus_map(&b, ram + 24, VG_PROT_WRITE);
	vg_xen_free(x);
	assert_false(b.attached);
	assert_int_equal(foreign_maps_now(), 0);
	vg_evloop_free(ev);
	vg_dummy_dispose(&b.dummy);
}

/* Failed look-ups say nothing about a guest: it keeps its device. */
static void xen_lookup_errors_keep_the_guest(void **state)
{
	struct fix *f = *state;
	struct fx_domain_params other = {
		.domid = 9,
		.name = "other",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.ram_base = 0x40000000,
		.ram_size = 1u << 20,
	};
	char *st;
	int v;

	up(f, true);
	assert_int_equal(fx_domain_new(&other), 0);
	/* Another domain dies while the hypervisor look-up fails ... */
	fx_fail_next("xc_domain_getinfolist", 14 /* EFAULT */, 1);
	assert_int_equal(fx_domain_shutdown(9), 0);
	vg_xguest_pump(&f->g);
	/* ... and another backend writes while a xenstore read fails. */
	fx_fail_next("xs_read", 12 /* ENOMEM */, 1);
	assert_int_equal(fx_xs_write("/local/domain/0/backend/virtio/9", "x"),
			 0);
	vg_xguest_pump(&f->g);
	st = fx_xs_read(BE "/state");
	assert_non_null(st);
	assert_string_equal(st, "4");
	free(st);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
	assert_int_equal(fx_domain_destroy(9), 0);
}

static void xen_bringup_failure_unwinds(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	guest_domain(f, "guest1", FX_ARM, true);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d;
	fx_fail_next("xendevicemodel_set_ioreq_server_state", 5 /* EIO */, 1);
	add_virtio(0, BASE, SPI, 1);
	assert_true(vg_xguest_pump_until(&f->g, BE "/state", "6"));
	fx_counts(&c);
	assert_int_equal(c.servers + c.resource_maps + c.ports + c.ranges, 0);
}

/* --- one guest, restricted (vg_xen_one_class) ------------------------------ */

#define OTHER 9 /* a second live guest the worker must not reach */
#define OTHER_RAM 0x40000000ULL

/* The worker's configuration for the guest of guest_domain(). */
static void one_config(struct fix *f, const char *name, bool grants)
{
	f->ocfg = (struct vg_xen_one_config){
		.dev = {.domid = DOMID,
			.base = BASE,
			.irq = SPI,
			.grants = grants,
			.irq_kind = VG_IRQ_SPI},
		.domain = name,
		.discovered = true,
	};
	f->xt = (struct vg_daemon_transport){.cls = &vg_xen_one_class,
					     .cfg = &f->ocfg};
}

/* Domain, then a daemon serving it with the one-guest class; probed. */
static void one_up(struct fix *f, bool grants)
{
	guest_domain(f, "guest1", FX_ARM, grants);
	one_config(f, "guest1", grants);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d;
	vg_xguest_attach(&f->g, f->shim);
	if (vg_shim_probe(f->shim))
		fail_msg("probe: %s", vg_shim_error(f->shim));
}

/* How many library handles of @kind the process holds. */
static unsigned int handles(enum fx_handle_kind kind)
{
	unsigned int n = 0;

	while (fx_handle_nth(kind, n))
		n++;
	return n;
}

/*
 * The process's first call about the guest is restrict_all, and it holds
 * no xenstore or xenctrl handle, and one devicemodel, foreignmemory and
 * evtchn handle.
 */
static void assert_restricted_first(bool grants)
{
	const char *calls = fx_calls(DOMID);

	if (strncmp(calls, "restrict_all ", 13))
		fail_msg("restrict_all is not the first call: %s", calls);
	assert_null(strstr(calls, "getinfo"));
	assert_int_equal(handles(FX_H_XS), 0);
	assert_int_equal(handles(FX_H_XC), 0);
	assert_int_equal(handles(FX_H_DM), 1);
	assert_int_equal(handles(FX_H_FMEM), 1);
	assert_int_equal(handles(FX_H_EVTCHN), 1);
	assert_int_equal(handles(FX_H_GNTTAB), grants ? 1 : 0);
}

static void xen_one_foreign_mode_restricted_first(void **state)
{
	struct fix *f = *state;

	one_up(f, false);
	assert_restricted_first(false);
	traffic(f, false);
	assert_true(fx_irq_edges(DOMID, SPI) > 0);
}

/* The gnttab handle, opened after restrict_all, still maps grants. */
static void xen_one_grants_carry_traffic(void **state)
{
	struct fix *f = *state;
	const struct vg_json *d;
	struct vg_ctlc_reply r;

	one_up(f, true);
	assert_restricted_first(true);
	traffic(f, true);
	d = xen_device(status_devices(f, &r), BASE, SPI, "spi", "grant",
		       "connected");
	assert_true(vg_json_true(vg_json_get(d, "attached")));
	vg_ctlc_reply_free(&r);
}

/*
 * A compromised worker, with the worker's own handles, against a second
 * live guest: creating an IOREQ server, mapping its memory or its ioreq
 * page (EPERM, privcmd) and binding its port (EACCES, evtchn) fail, while
 * the same calls through handles opened now, unrestricted, succeed. The
 * gnttab handle cannot be restricted: a grant the other guest gave dom0
 * maps (docs/xen.md, the caveat).
 */
static void xen_one_handles_refuse_another_domain(void **state)
{
	struct fix *f = *state;
	struct fx_domain_params other = {
		.domid = OTHER,
		.name = "other",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.ram_base = OTHER_RAM,
		.ram_size = 1u << 20,
	};
	xendevicemodel_handle *dm, *dm2;
	xenforeignmemory_handle *fm, *fm2;
	xenforeignmemory_resource_handle *res;
	xenevtchn_handle *xce, *xce2;
	xengnttab_handle *gt;
	xen_pfn_t gfn = OTHER_RAM >> 12;
	void *page = NULL, *p;
	evtchn_port_t eport;
	ioservid_t id;
	int port, v;

	one_up(f, true);
	assert_int_equal(fx_domain_new(&other), 0);
	dm = fx_handle_nth(FX_H_DM, 0);
	fm = fx_handle_nth(FX_H_FMEM, 0);
	xce = fx_handle_nth(FX_H_EVTCHN, 0);
	gt = fx_handle_nth(FX_H_GNTTAB, 0);
	assert_non_null(gt);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, OTHER, 0, &id),
			 -1);
	assert_int_equal(errno, EPERM);
	assert_null(xenforeignmemory_map(fm, OTHER, PROT_READ, 1, &gfn, NULL));
	assert_int_equal(errno, EPERM);
	/* The other guest's IOREQ server, by an unrestricted backend. */
	dm2 = xendevicemodel_open(NULL, 0);
	fm2 = xenforeignmemory_open(NULL, 0);
	xce2 = xenevtchn_open(NULL, 0);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm2, OTHER, 0, &id),
			 0);
	assert_null(xenforeignmemory_map_resource(
		fm, OTHER, XENMEM_resource_ioreq_server, id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &page,
		PROT_READ | PROT_WRITE, 0));
	assert_int_equal(errno, EPERM);
	res = xenforeignmemory_map_resource(
		fm2, OTHER, XENMEM_resource_ioreq_server, id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &page,
		PROT_READ | PROT_WRITE, 0);
	assert_non_null(res);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(dm2, OTHER, id, 1), 0);
	eport = ((struct shared_iopage *)page)->vcpu_ioreq[0].vp_eport;
	assert_int_equal(xenevtchn_bind_interdomain(xce, OTHER, eport), -1);
	assert_int_equal(errno, EACCES);
	port = xenevtchn_bind_interdomain(xce2, OTHER, eport);
	assert_true(port > 0);
	/* The caveat: gntdev maps whatever any guest granted dom0. */
	assert_int_equal(fx_grant(OTHER, 1, gfn, true), 0);
	p = xengnttab_map_grant_ref(gt, OTHER, 1, PROT_READ);
	assert_non_null(p);
	assert_int_equal(xengnttab_unmap(gt, p, 1), 0);
	assert_int_equal(fx_grant_end(OTHER, 1), 0);
	assert_int_equal(xenevtchn_unbind(xce2, (evtchn_port_t)port), 0);
	assert_int_equal(xenforeignmemory_unmap_resource(fm2, res), 0);
	assert_int_equal(xendevicemodel_destroy_ioreq_server(dm2, OTHER, id),
			 0);
	xenevtchn_close(xce2);
	xenforeignmemory_close(fm2);
	xendevicemodel_close(dm2);
	assert_int_equal(fx_domain_destroy(OTHER), 0);
	assert_false(fx_domain_zombie(OTHER));
	/* Its own guest is still served. */
	assert_int_equal(vg_shim_get_value(f->shim, 1, &v), 0);
}

/* restrict_all fails: the start fails with nothing opened or mapped. */
static void xen_one_restrict_failure_fails_cleanly(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	guest_domain(f, "guest1", FX_ARM, true);
	one_config(f, "guest1", true);
	fx_fail_next("xentoolcore_restrict_all", EPERM, 1);
	assert_int_not_equal(daemon_start(f, "", &f->d), 0);
	f->d = NULL;
	assert_string_equal(fx_calls(DOMID), "");
	fx_counts(&c);
	assert_int_equal(c.handles + c.servers + c.resource_maps + c.ports +
				 c.ranges + c.grant_maps + c.foreign_maps,
			 0);
}

/*
 * A handle that still reaches another domain after restrict_all (the
 * probe answered by "Xen", here ESRCH or ENOENT, instead of the kernel's
 * refusal) fails the start, for each kind of handle, with nothing left.
 */
static void xen_one_unrestricted_handle_fails_the_start(void **state)
{
	static const struct {
		const char *fn;
		int err;
	} probe[] = {
		{"xendevicemodel_nr_vcpus", ESRCH},
		{"xenforeignmemory_map", ESRCH},
		{"xenevtchn_bind_interdomain", ENOENT},
	};
	struct fix *f = *state;
	struct fx_counts c;
	unsigned int i;

	guest_domain(f, "guest1", FX_ARM, true);
	one_config(f, "guest1", true);
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		fx_fail_next(probe[i].fn, probe[i].err, 1);
		if (!daemon_start(f, "", &f->d))
			fail_msg("started with %s answering %d", probe[i].fn,
				 probe[i].err);
		f->d = NULL;
		fx_counts(&c);
		assert_int_equal(c.handles + c.servers + c.resource_maps +
					 c.ports + c.ranges + c.grant_maps +
					 c.foreign_maps,
				 0);
	}
	/* The same start, with the probes refused as they should be. */
	assert_int_equal(daemon_start(f, "", &f->d), 0);
}

/*
 * Without xenstore the worker does not see its guest die; the parent's
 * stop() releases what it still holds, and the domain is gone for good.
 */
static void xen_one_stop_after_the_guest_died(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	one_up(f, false);
	traffic(f, false);
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	for (i = 0; i < 20; i++)
		vg_xguest_pump(&f->g);
	assert_true(fx_domain_zombie(DOMID));
	vg_shim_free(f->shim);
	f->shim = NULL;
	vg_daemon_free(f->d);
	f->d = NULL;
	assert_false(fx_domain_zombie(DOMID));
}

/* A bad configuration fails the start before any Xen handle is opened. */
static void xen_one_refuses_bad_config(void **state)
{
	static const struct {
		unsigned int domid;
		const char *name;
	} bad[] = {
		{0, "guest1"}, /* dom0 is no guest */
		{0x7ff0, "guest1"}, /* reserved */
		{DOMID, NULL}, /* no name */
		{DOMID, ""}, /* empty */
		{DOMID, "guest 1"}, /* not printable without spaces */
	};
	struct fix *f = *state;
	struct fx_counts c;
	unsigned int i;

	guest_domain(f, "guest1", FX_ARM, false);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		one_config(f, bad[i].name, false);
		f->ocfg.dev.domid = bad[i].domid;
		if (!daemon_start(f, "", &f->d))
			fail_msg("case %u started", i);
		f->d = NULL;
		fx_counts(&c);
		assert_int_equal(c.handles, 0);
	}
	assert_string_equal(fx_calls(DOMID), "");
}

/* --- named windows (the policy's xen-device) and device add/remove ------ */

#define ISA_BASE 0xfe000000ULL
#define WINDOW "xen-device = base=0xfe000000 irq=3 irqtype=isa\n"

/* The fixture's policy with @more at the end of [domain guest1]. */
static struct vg_config *policy_with(const char *more)
{
	struct vg_config *cfg;
	char text[1024], err[256];

	snprintf(text, sizeof(text), "%s%s", policy, more);
	if (vg_config_parse(text, strlen(text), "test", &cfg, err, sizeof(err)))
		fail_msg("policy: %s", err);
	return cfg;
}

/* The daemon's policy from now: the fixture's with @more. */
static void named_policy(struct fix *f, const char *more)
{
	vg_config_free(f->cfg);
	f->cfg = policy_with(more);
}

/* A new x86 HVM domain @name at @domid whose RAM is a new shim's. */
static void x86_domain(struct fix *f, const char *name, unsigned int domid)
{
	struct vg_shim_opts o = {.ram_size = 4u << 20};
	struct fx_domain_params p = {
		.domid = domid,
		.name = name,
		.arch = FX_X86_HVM,
		.nr_vcpus = 1,
	};

	vg_shim_free(f->shim);
	assert_int_equal(vg_shim_new(&o, &f->shim), 0);
	assert_int_equal(vg_xguest_domain(&p, f->shim, false), 0);
	f->g = (struct vg_xguest){.d = {f->d},
				  .domid = domid,
				  .base = ISA_BASE,
				  .irq = 3,
				  .isa = true};
}

/* Turn the daemon until @n MMIO ranges are registered; true if they are. */
static bool pump_until_ranges(struct fix *f, unsigned int n)
{
	struct fx_counts c;
	unsigned int i;

	for (i = 0; i < 200; i++) {
		fx_counts(&c);
		if (c.ranges == n)
			return true;
		vg_xguest_pump(&f->g);
	}
	return false;
}

/* Turn the daemon a while: what it has not done by then, it will not. */
static void pump_a_while(struct fix *f)
{
	unsigned int i;

	for (i = 0; i < 50; i++)
		vg_xguest_pump(&f->g);
}

/* Nothing of any guest is held. */
static void assert_nothing_served(void)
{
	struct fx_counts c;

	fx_counts(&c);
	assert_int_equal(c.servers + c.ranges + c.ports + c.resource_maps +
				 c.foreign_maps + c.grant_maps,
			 0);
}

/* The guest at f->g probes its device and drives its lines. */
static void probe_and_traffic(struct fix *f)
{
	/* Each guest starts from the board's idle state. */
	assert_int_equal(
		vg_sim_set_pull(vg_daemon_sim(f->d), "board", "btn", 0), 0);
	vg_xguest_attach(&f->g, f->shim);
	if (vg_shim_probe(f->shim))
		fail_msg("probe: %s", vg_shim_error(f->shim));
	traffic(f, false);
}

/* The xen device of status: one, domain @domid at ISA_BASE, manual. */
static void assert_status_named(struct fix *f, unsigned int domid)
{
	const struct vg_json *devs, *d;
	struct vg_ctlc_reply r;

	devs = status_devices(f, &r);
	assert_int_equal(devs->n, 1);
	d = &devs->v[0];
	assert_string_equal(vg_json_get_str(d, "domain", ""), "guest1");
	assert_int_equal(vg_json_get_u64(d, "domid", 0), domid);
	assert_true(vg_json_get_u64(d, "base", 0) == ISA_BASE);
	assert_int_equal(vg_json_get_u64(d, "irq", 0), 3);
	assert_string_equal(vg_json_get_str(d, "irq_kind", ""), "isa");
	assert_string_equal(vg_json_get_str(d, "state", ""), "manual");
	assert_true(vg_json_true(vg_json_get(d, "attached")));
	vg_ctlc_reply_free(&r);
}

/*
 * The policy names the domain: it is served from its creation (no
 * --device, paused: before any guest access), released when destroyed,
 * and its next incarnation (a new domid) is served again by the same
 * daemon.
 */
static void xen_named_window_served_from_creation_and_again(void **state)
{
	struct fix *f = *state;

	named_policy(f, WINDOW);
	f->xcfg.discover = false;
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	assert_nothing_served();
	x86_domain(f, "guest1", DOMID);
	/* @introduceDomain: served before the guest touches anything. */
	assert_true(pump_until_ranges(f, 1));
	assert_string_equal(fx_calls(DOMID) + strlen(fx_calls(DOMID)) -
				    strlen("map_range"),
			    "map_range");
	probe_and_traffic(f);
	assert_status_named(f, DOMID);

	/* Destroyed under the daemon: everything released, no zombie. */
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	assert_true(pump_until_ranges(f, 0));
	pump_a_while(f);
	assert_nothing_served();
	assert_false(fx_domain_zombie(DOMID));
	assert_int_equal(sim_value(f, "led"), 0);

	/* Created again, a new domid: served again, daemon untouched. */
	x86_domain(f, "guest1", DOMID + 1);
	assert_true(pump_until_ranges(f, 1));
	probe_and_traffic(f);
	assert_status_named(f, DOMID + 1);
}

/* A domain that runs when the daemon starts is served at start. */
static void xen_named_window_of_running_domain_served_at_start(void **state)
{
	struct fix *f = *state;
	struct fx_counts c;

	named_policy(f, WINDOW);
	x86_domain(f, "guest1", DOMID);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	f->g.d[0] = f->d;
	fx_counts(&c);
	assert_int_equal(c.ranges, 1);
	probe_and_traffic(f);
}

/*
 * Domains the policy gives no window are left alone: another name, and
 * the named domain itself under a policy without xen-device.
 */
static void xen_domain_without_window_is_ignored(void **state)
{
	struct fix *f = *state;

	named_policy(f, WINDOW);
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	x86_domain(f, "stranger", DOMID);
	pump_a_while(f);
	assert_nothing_served();
	assert_null(strstr(fx_calls(DOMID), "create_server"));
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	pump_a_while(f);
	vg_daemon_free(f->d);
	f->d = NULL;

	named_policy(f, "");
	assert_int_equal(daemon_start(f, "", &f->d), 0);
	x86_domain(f, "guest1", DOMID + 1);
	pump_a_while(f);
	assert_nothing_served();
	assert_null(strstr(fx_calls(DOMID + 1), "create_server"));
}

/*
 * A reload that gives the name a window serves the next domain of that
 * name; the one running then keeps what it had (nothing).
 */
static void xen_reload_adds_window_for_the_next_domain(void **state)
{
	struct fix *f = *state;
	struct vg_doms_change chg;
	struct vg_config *cfg;
	char err[256];

	assert_int_equal(daemon_start(f, "", &f->d), 0);
	x86_domain(f, "guest1", DOMID);
	pump_a_while(f);
	assert_nothing_served();
	cfg = policy_with(WINDOW);
	assert_int_equal(vg_daemon_apply(f->d, cfg, &chg, err, sizeof(err)), 0);
	vg_config_free(cfg);
	pump_a_while(f);
	assert_nothing_served();
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	pump_a_while(f);
	x86_domain(f, "guest1", DOMID + 1);
	assert_true(pump_until_ranges(f, 1));
	probe_and_traffic(f);
	/* And a reload that takes it away leaves the running guest served. */
	cfg = policy_with("");
	assert_int_equal(vg_daemon_apply(f->d, cfg, &chg, err, sizeof(err)), 0);
	vg_config_free(cfg);
	pump_a_while(f);
	assert_true(pump_until_ranges(f, 1));
}

/* One JSON request on the control socket, the daemon turned meanwhile. */
static void ctl_json(struct fix *f, const char *cmd, const char *spec,
		     struct vg_ctlc_reply *r)
{
	char args[200];
	struct vg_ctlc c;
	int rc, i;

	snprintf(args, sizeof(args), "{\"spec\":\"%s\"}", spec);
	assert_int_equal(vg_ctlc_connect(&c, f->ctl), 0);
	c.timeout_ms = 0;
	assert_int_equal(vg_ctlc_request(&c, cmd, args), 0);
	for (i = 0; i < 200 && (rc = vg_ctlc_reply(&c, r)) == -EAGAIN; i++)
		vg_xguest_pump(&f->g);
	if (rc)
		fail_msg("%s: %s", cmd, c.err);
	vg_ctlc_close(&c);
}

/* @cmd @spec fails with @code, its message holding @msg. */
static void ctl_fails(struct fix *f, const char *cmd, const char *spec,
		      const char *code, const char *msg)
{
	struct vg_ctlc_reply r;

	ctl_json(f, cmd, spec, &r);
	if (r.ok || strcmp(r.code, code) || !strstr(r.message, msg))
		fail_msg("%s %s: ok %d code '%s' message '%s'; expected %s, "
			 "'%s'",
			 cmd, spec, r.ok, r.code, r.message, code, msg);
	vg_ctlc_reply_free(&r);
}

/*
 * device add serves a running domain's window by the same path, which
 * then carries traffic; device remove releases it. Clear errors: a bad
 * spec, an IRQ the firmware uses, no such domain, a window there
 * already, one that is not there, a PVH guest with an ISA IRQ.
 */
static void xen_device_add_and_remove_on_request(void **state)
{
	static const char spec[] = "domid=5,base=0xfe000000,irq=3,irqtype=isa";
	struct fix *f = *state;
	struct fx_domain_params pvh = {
		.domid = DOMID + 2,
		.name = "pvh",
		.arch = FX_X86_PVH,
		.nr_vcpus = 1,
		.ram_size = 1u << 20,
	};
	struct vg_ctlc_reply r;

	assert_int_equal(daemon_start(f, "", &f->d), 0);
	x86_domain(f, "guest1", DOMID);
	pump_a_while(f);
	assert_nothing_served();
	ctl_json(f, "device add", spec, &r);
	if (!r.ok)
		fail_msg("device add: %s", r.message);
	assert_string_equal(vg_json_get_str(r.result, "transport", ""), "xen");
	assert_string_equal(vg_json_get_str(r.result, "domain", ""), "guest1");
	assert_int_equal(vg_json_get_u64(r.result, "domid", 0), DOMID);
	assert_int_equal(vg_json_get_u64(r.result, "devid", 9), 0);
	assert_true(vg_json_true(vg_json_get(r.result, "attached")));
	vg_ctlc_reply_free(&r);
	probe_and_traffic(f);
	assert_status_named(f, DOMID);

	ctl_fails(f, "device add", spec, "busy",
		  "domain 5 has a device window at 0xfe000000");
	ctl_fails(f, "device add", "domid=5,base=0xfe000100,irq=3", "bad-args",
		  "multiple of 0x200");
	ctl_fails(f, "device add", "domid=5,base=0xfe000400,irq=9,irqtype=isa",
		  "bad-args", "the ACPI SCI");
	ctl_fails(f, "device add", "domid=5,base=0xfe000400", "bad-args",
		  "missing irq=");
	ctl_fails(f, "device add", "domid=9,base=0xfe000400,irq=3,irqtype=isa",
		  "not-found", "domain 9: no such domain");
	assert_int_equal(fx_domain_new(&pvh), 0);
	ctl_fails(f, "device add", "domid=7,base=0xfe000000,irq=3,irqtype=isa",
		  "unsupported", "a PVH guest");
	ctl_fails(f, "device remove", "domid=5,base=0xfe000400", "not-found",
		  "domain 5 has no device window at 0xfe000400");
	ctl_fails(f, "device remove", "domid=5", "bad-args", "missing base=");

	ctl_json(f, "device remove", "domid=5,base=0xfe000000", &r);
	assert_true(r.ok);
	vg_ctlc_reply_free(&r);
	assert_nothing_served();
	assert_int_equal(sim_value(f, "led"), 0);
	ctl_fails(f, "device remove", "domid=5,base=0xfe000000", "not-found",
		  "no device window");
	/* Added again after a removal: served again. */
	ctl_json(f, "device add", spec, &r);
	assert_true(r.ok);
	vg_ctlc_reply_free(&r);
	probe_and_traffic(f);
	assert_int_equal(fx_domain_destroy(DOMID + 2), 0);
}

/*
 * A domain the policy does not know gets its window as an empty one,
 * said so in the reply; a window libxl made is not the socket's to remove.
 */
static void xen_device_add_empty_window_and_libxl_device(void **state)
{
	struct fix *f = *state;
	struct vg_ctlc_reply r;
	uint64_t v = 1;

	assert_int_equal(daemon_start(f, "", &f->d), 0);
	x86_domain(f, "stranger", DOMID);
	ctl_json(f, "device add", "domid=5,base=0xfe000000,irq=3,irqtype=isa",
		 &r);
	assert_true(r.ok);
	assert_false(vg_json_true(vg_json_get(r.result, "attached")));
	assert_non_null(strstr(vg_json_get_str(r.result, "reason", ""),
			       "unknown domain 'stranger'"));
	vg_ctlc_reply_free(&r);
	vg_xguest_attach(&f->g, f->shim);
	assert_int_equal(
		vg_hostile_mmio_read(f->shim, VG_MMIO_DEVICE_ID, 4, &v), 0);
	assert_true(v == 0);
	ctl_json(f, "device remove", "domid=5,base=0xfe000000", &r);
	assert_true(r.ok);
	vg_ctlc_reply_free(&r);
	assert_nothing_served();
	assert_int_equal(fx_domain_destroy(DOMID), 0);
	pump_a_while(f);
	vg_shim_free(f->shim);
	f->shim = NULL;
	vg_daemon_free(f->d);
	f->d = NULL;

	f->g = (struct vg_xguest){.domid = DOMID, .base = BASE, .irq = SPI};
	up(f, true);
	ctl_fails(f, "device remove", "domid=5,base=0x2000000", "unsupported",
		  "the toolstack removes it");
	traffic(f, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(xen_discovery_brings_up_in_order),
		T(xen_grants_carry_traffic),
		T(xen_foreign_mode_carries_traffic),
		T(xen_invalidate_completes_and_remaps),
		T(xen_foreign_steady_state_maps_nothing),
		T(xen_grants_map_per_request),
		T(xen_unmasked_write_data_is_masked),
		T(xen_second_backend_loses_the_claim),
		T(xen_destroy_releases_everything),
		T(xen_destroy_releases_foreign_mappings),
		T(xen_release_domain_without_xl_cleans_up),
		T(xen_manual_mode_isa_irq_follows_status),
		T(xen_manual_mode_refuses_firmware_isa_irq),
		T(xen_manual_mode_warns_device_isa_irq),
		T(xen_manual_mode_refuses_pvh),
		T(xen_unknown_domain_gets_an_empty_window),
		T(xen_status_shows_grant_device),
		T(xen_status_shows_manual_foreign_device),
		T(xen_hostile_ioreqs_complete),
		T(xen_bringup_failure_unwinds),
		T(xen_second_device_shares_server_gets_empty_window),
		T(xen_reboot_new_domid_serves_again),
		T(xen_lookup_errors_keep_the_guest),
		T(xen_buffers_across_pages),
		T(xen_map_cache_stays_bounded),
		T(xen_map_cache_window_past_ram),
		T(xen_map_cache_pins_and_protection),
		T(xen_one_foreign_mode_restricted_first),
		T(xen_one_grants_carry_traffic),
		T(xen_one_handles_refuse_another_domain),
		T(xen_one_restrict_failure_fails_cleanly),
		T(xen_one_unrestricted_handle_fails_the_start),
		T(xen_one_stop_after_the_guest_died),
		T(xen_one_refuses_bad_config),
		T(xen_named_window_served_from_creation_and_again),
		T(xen_named_window_of_running_domain_served_at_start),
		T(xen_domain_without_window_is_ignored),
		T(xen_reload_adds_window_for_the_next_domain),
		T(xen_device_add_and_remove_on_request),
		T(xen_device_add_empty_window_and_libxl_device),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
