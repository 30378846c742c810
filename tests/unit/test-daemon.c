// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests: the daemon object (backend/daemon/daemon.c) with transports
 * and line providers of the test's own, registered the way vgpiod
 * registers loop, Xen and gpiod: one entry in vg_daemon_params each.
 *
 * The test transport "testbus" keeps the environment the daemon gives it
 * and plugs a shim guest in by calling the daemon's attach() hook with an
 * in-process bus over the shim's RAM; the shim's register accesses go to
 * the register file attach() returned, and waiting for its interrupt
 * turns the daemon. The test provider "testprov" claims one chip,
 * "test-chip", and serves it with the fake provider's lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_gpio.h>
#include "config.h"
#include "ctlclient.h"
#include "daemon.h"
#include "dom.h"
#include "fakeprov.h"
#include "guest.h"
#include "inproc.h"
#include "shim.h"
#include "sim.h"
#include "tmpdir.h"

static const char policy[] = "[sim board]\n"
			     "lines = 2\n"
			     "names = s0 s1\n"
			     "[domain alpha]\n"
			     "lines = board s0, test-chip 0, test-chip 1\n"
			     "line 1 = allow=out safe=high\n"
			     "line 2 = allow=in,irq\n";

/* --- the test transport ---------------------------------------------------- */

struct testbus {
	char name[16];
	int fail_start; /* start() returns this when non-zero */
	char *order; /* "+name" on start, "-name" on stop, appended */
	struct vg_transport_env env;
	bool running;
	/* The one guest it can plug in. */
	struct vg_inproc ram;
	struct vg_guest_info info;
	struct vg_mmio *mmio;
	bool attached;
	unsigned long seen_raises;
	struct vg_daemon *d; /* turned while the guest waits */
	/* device add/remove (testbus_dev_class): what came, what to say. */
	char spec[128];
	unsigned int nadd, nremove;
	int device_rc;
};

static void order_add(char *order, char sign, const char *name)
{
	size_t n = strlen(order);

	order[n] = sign;
	strcpy(order + n + 1, name);
}

static int tb_start(const void *cfg, const struct vg_transport_env *env,
		    void **handle)
{
	struct testbus *tb = (struct testbus *)cfg;

	if (tb->fail_start)
		return tb->fail_start;
	tb->env = *env;
	tb->running = true;
	if (tb->order)
		order_add(tb->order, '+', tb->name);
	*handle = tb;
	return 0;
}

static void tb_unplug(struct testbus *tb)
{
	if (!tb->attached)
		return;
	tb->env.hooks->detach(tb->env.hooks_arg, tb);
	tb->attached = false;
	tb->mmio = NULL;
}

static void tb_stop(void *handle)
{
	struct testbus *tb = handle;

	tb_unplug(tb);
	tb->running = false;
	if (tb->order)
		order_add(tb->order, '-', tb->name);
}

static void tb_devices(void *handle, vg_guest_device_fn fn, void *arg)
{
	struct testbus *tb = handle;

	if (tb->attached)
		fn(arg, tb, "alpha", &tb->info, true);
}

static const struct vg_transport_class testbus_class = {
	.name = "testbus",
	.start = tb_start,
	.stop = tb_stop,
	.devices = tb_devices,
};

/* Records the spec; answers tb->device_rc (an empty window when 1). */
static int tb_device_add(void *handle, const char *spec,
			 struct vg_guest_added *out, char *why, size_t len)
{
	struct testbus *tb = handle;

	tb->nadd++;
	snprintf(tb->spec, sizeof(tb->spec), "%s", spec);
	if (tb->device_rc < 0) {
		snprintf(why, len, "testbus says %d", tb->device_rc);
		return tb->device_rc;
	}
	*out = (struct vg_guest_added){
		.domain = "alpha",
		.domid = 7,
		.devid = 2,
		.attached = !tb->device_rc,
	};
	if (tb->device_rc)
		snprintf(out->why, sizeof(out->why), "no room");
	return 0;
}

static int tb_device_remove(void *handle, const char *spec, char *why,
			    size_t len)
{
	struct testbus *tb = handle;

	tb->nremove++;
	snprintf(tb->spec, sizeof(tb->spec), "%s", spec);
	if (tb->device_rc < 0)
		snprintf(why, len, "testbus says %d", tb->device_rc);
	return tb->device_rc < 0 ? tb->device_rc : 0;
}

/* The same transport, adding and removing device windows. */
static const struct vg_transport_class testbus_dev_class = {
	.name = "testbus",
	.start = tb_start,
	.stop = tb_stop,
	.devices = tb_devices,
	.device_add = tb_device_add,
	.device_remove = tb_device_remove,
};

/* The shim's wire: register accesses and interrupts through testbus. */
static int tbw_mmio(void *w, bool write, uint64_t off, unsigned int size,
		    uint64_t *val)
{
	struct testbus *tb = w;

	if (!tb->attached)
		return -ENOTCONN;
	if (write)
		vg_mmio_write(tb->mmio, off, size, *val);
	else
		*val = vg_mmio_read(tb->mmio, off, size);
	return 0;
}

static int tbw_wait_irq(void *w, int timeout_ms)
{
	struct testbus *tb = w;
	int turns;

	(void)timeout_ms;
	/* One thread: the device only runs when the daemon turns. */
	for (turns = 0; turns < 64; turns++) {
		if (tb->ram.irq_raises != tb->seen_raises) {
			tb->seen_raises = tb->ram.irq_raises;
			return 1;
		}
		if (vg_daemon_turn(tb->d, 0) < 0)
			return -EIO;
	}
	return 0;
}

static void tbw_close(void *w)
{
	(void)w;
}

static const struct vg_shim_wire_ops testbus_wire_ops = {
	.name = "testbus",
	.mmio = tbw_mmio,
	.wait_irq = tbw_wait_irq,
	.close = tbw_close,
};

/* Plug @s in as domain @domain: 0, or the daemon's errno. */
static int tb_plug(struct testbus *tb, struct vg_shim *s, const char *domain)
{
	struct vg_shim_wire w = {.ops = &testbus_wire_ops, .ctx = tb};
	char reason[128];
	int rc;

	vg_inproc_init_drv(&tb->ram, &s->mem);
	tb->info = (struct vg_guest_info){
		.transport = "testbus",
		.domid = 7,
		.devid = 0,
		.memory = "memfd",
		.state = "connected",
	};
	rc = tb->env.hooks->attach(tb->env.hooks_arg, tb, domain, &tb->ram.bus,
				   &tb->info, &tb->mmio, reason,
				   sizeof(reason));
	if (rc)
		return rc;
	tb->attached = true;
	vg_shim_set_wire(s, &w);
	return 0;
}

/* --- the test provider ----------------------------------------------------- */

static bool tp_claims(void *prov, const char *chip)
{
	(void)prov;
	return !strcmp(chip, "test-chip");
}

static int tp_line_open(void *prov, const struct vg_line_spec *spec,
			const char *consumer, vg_line_event_fn cb, void *arg,
			struct vg_line **out)
{
	return vg_fakeprov_ops.line_open(prov, spec, consumer, cb, arg, out);
}

static void tp_line_close(void *prov, struct vg_line *line)
{
	vg_fakeprov_ops.line_close(prov, line);
}

static const char *tp_line_name(void *prov, struct vg_line *line)
{
	return vg_fakeprov_ops.line_name(prov, line);
}

static int tp_set_direction(void *prov, struct vg_line *line, enum vg_dir dir,
			    int value)
{
	return vg_fakeprov_ops.set_direction(prov, line, dir, value);
}

static int tp_get_value(void *prov, struct vg_line *line, int *value)
{
	return vg_fakeprov_ops.get_value(prov, line, value);
}

static int tp_set_value(void *prov, struct vg_line *line, int value)
{
	return vg_fakeprov_ops.set_value(prov, line, value);
}

static int tp_set_edge(void *prov, struct vg_line *line, unsigned int edges)
{
	return vg_fakeprov_ops.set_edge(prov, line, edges);
}

static int tp_fd(void *prov)
{
	return vg_fakeprov_ops.fd(prov);
}

static void tp_dispatch(void *prov)
{
	vg_fakeprov_ops.dispatch(prov);
}

static const struct vg_provider_ops testprov_ops = {
	.name = "testprov",
	.claims = tp_claims,
	.line_open = tp_line_open,
	.line_close = tp_line_close,
	.line_name = tp_line_name,
	.set_direction = tp_set_direction,
	.get_value = tp_get_value,
	.set_value = tp_set_value,
	.set_edge = tp_set_edge,
	.fd = tp_fd,
	.dispatch = tp_dispatch,
};

/* --- fixture ----------------------------------------------------------------- */

struct fix {
	char dir[128], ctl[192];
	struct vg_config *cfg;
	struct vg_log_sink sink;
	struct vg_fakeprov *fp;
	struct vg_provider prov;
	struct testbus tb;
	struct vg_daemon_transport tp;
	struct vg_daemon_params p;
	struct vg_daemon *d;
	struct vg_shim *shim;
};

static int setup(void **state)
{
	static const char *const names[] = {"relay", "door"};
	struct fix *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(vg_tmpdir_new(f->dir, sizeof(f->dir), "daemon"), 0);
	snprintf(f->ctl, sizeof(f->ctl), "%s/control.sock", f->dir);
	assert_int_equal(vg_config_parse(policy, strlen(policy), "test",
					 &f->cfg, err, sizeof(err)),
			 0);
	f->sink = (struct vg_log_sink){.level = VG_LOG_ERR, .fd = 2};
	assert_int_equal(vg_fakeprov_new(2, names, &f->fp), 0);
	f->prov = (struct vg_provider){.ops = &testprov_ops, .ctx = f->fp};
	strcpy(f->tb.name, "testbus");
	f->tp = (struct vg_daemon_transport){.cls = &testbus_class,
					     .cfg = &f->tb};
	/* The registration lines: one transport, one provider. */
	f->p = (struct vg_daemon_params){
		.cfg = f->cfg,
		.sink = &f->sink,
		.ctl_path = f->ctl,
		.transports = &f->tp,
		.ntransports = 1,
		.providers = &f->prov,
		.nproviders = 1,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	vg_shim_free(f->shim);
	vg_daemon_free(f->d);
	vg_fakeprov_free(f->fp);
	vg_config_free(f->cfg);
	assert_int_equal(vg_tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static void start_guest(struct fix *f)
{
	struct vg_shim_opts o = {.timeout_ms = 1000};

	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	f->tb.d = f->d;
	assert_int_equal(vg_shim_new(&o, &f->shim), 0);
	assert_int_equal(tb_plug(&f->tb, f->shim, "alpha"), 0);
	assert_int_equal(vg_shim_probe(f->shim), 0);
}

/* --- tests --------------------------------------------------------------------- */

/* A daemon with no transport at all holds the policy's lines. */
static void daemon_new_without_transports_holds_lines(void **state)
{
	struct fix *f = *state;
	const struct vg_fake_call *c;

	f->p.transports = NULL;
	f->p.ntransports = 0;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	/* Both test-chip lines were opened through testprov, in safe state. */
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, 0), 1);
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, 1), 1);
	assert_true(f->fp->lines[0].open);
	assert_int_equal(f->fp->lines[0].dir, VG_DIR_OUT);
	assert_int_equal(f->fp->lines[0].out, 1);
	c = vg_fakeprov_last(f->fp, VG_FAKE_OPEN, 1);
	assert_non_null(c);
	assert_int_equal(vg_daemon_turn(f->d, 0), 0);
	vg_daemon_free(f->d);
	f->d = NULL;
	/* Freed: every line released. */
	assert_false(f->fp->lines[0].open);
	assert_false(f->fp->lines[1].open);
}

/*
 * A guest on the test's own transport sees the policy's three lines: the
 * sim provider serves the board, the test provider serves test-chip.
 */
static void daemon_test_transport_and_provider_serve_a_guest(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;
	struct vg_shim_event ev;
	int v;

	start_guest(f);
	assert_true(f->tb.running);
	assert_int_equal(f->shim->ngpio, 3);
	assert_string_equal(f->shim->names[0], "s0");
	assert_string_equal(f->shim->names[1], "relay");

	/* Guest line 0 is the sim board's s0. */
	assert_int_equal(vg_shim_direction_output(f->shim, 0, 1), 0);
	assert_int_equal(vg_sim_get(vg_daemon_sim(f->d), "board", "s0", &st),
			 0);
	assert_int_equal(st.value, 1);

	/* Guest line 1 drives the test provider's line 0. */
	assert_int_equal(vg_shim_direction_output(f->shim, 1, 0), 0);
	assert_int_equal(f->fp->lines[0].dir, VG_DIR_OUT);
	assert_int_equal(f->fp->lines[0].out, 0);

	/* An edge of the test provider reaches the guest's eventq. */
	vg_fakeprov_set_input(f->fp, 1, 0);
	assert_int_equal(vg_shim_get_value(f->shim, 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		vg_shim_set_irq_type(f->shim, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING),
		0);
	assert_int_equal(vg_shim_irq_unmask(f->shim, 2), 0);
	vg_fakeprov_inject_edge(f->fp, 1, VG_EDGE_RISING);
	assert_int_equal(vg_shim_wait_event(f->shim, 1000, &ev), 1);
	assert_int_equal(ev.gpio, 2);
	assert_int_equal(ev.status, VG_GPIO_IRQ_STATUS_VALID);

	/* The guest goes: its lines return to their safe states. */
	tb_unplug(&f->tb);
	assert_int_equal(f->fp->lines[0].out, 1);
	assert_int_equal(vg_sim_get(vg_daemon_sim(f->d), "board", "s0", &st),
			 0);
	assert_false(st.output);
}

/* A second guest of the same domain is refused with a reason. */
static void daemon_attach_refuses_second_guest_and_unknown_domain(void **state)
{
	struct fix *f = *state;
	struct vg_inproc ram;
	struct vg_mmio *mmio = NULL;
	char reason[128] = "";

	start_guest(f);
	assert_int_equal(vg_inproc_init(&ram, 0x1000, 0x1000), 0);
	assert_int_equal(f->tb.env.hooks->attach(f->tb.env.hooks_arg, &ram,
						 "alpha", &ram.bus, &f->tb.info,
						 &mmio, reason, sizeof(reason)),
			 EBUSY);
	assert_non_null(strstr(reason, "already connected"));
	assert_int_equal(f->tb.env.hooks->attach(
				 f->tb.env.hooks_arg, &ram, "nobody", &ram.bus,
				 &f->tb.info, &mmio, reason, sizeof(reason)),
			 ENOENT);
	assert_non_null(strstr(reason, "unknown domain 'nobody'"));
	/* Detaching a connection the daemon never attached is harmless. */
	f->tb.env.hooks->detach(f->tb.env.hooks_arg, &ram);
	vg_inproc_dispose(&ram);
	assert_int_equal(vg_shim_get_value(f->shim, 1, &(int){0}), 0);
}

/* Transports start in order and stop in reverse, guests first. */
static void daemon_transports_stop_in_reverse_order(void **state)
{
	struct fix *f = *state;
	struct testbus tb2 = {.name = "second"};
	struct vg_daemon_transport tps[2];
	char order[64] = "";

	f->tb.order = order;
	tb2.order = order;
	tps[0] = f->tp;
	tps[1] = (struct vg_daemon_transport){.cls = &testbus_class,
					      .cfg = &tb2};
	f->p.transports = tps;
	f->p.ntransports = 2;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	assert_string_equal(order, "+testbus+second");
	vg_daemon_free(f->d);
	f->d = NULL;
	assert_string_equal(order, "+testbus+second-second-testbus");
}

/* A transport that fails to start unwinds every stage before it. */
static void daemon_new_unwinds_when_a_transport_fails(void **state)
{
	struct fix *f = *state;
	struct testbus bad = {.name = "bad", .fail_start = -EADDRNOTAVAIL};
	struct vg_daemon_transport tps[2];
	char order[64] = "";

	f->tb.order = order;
	tps[0] = f->tp;
	tps[1] = (struct vg_daemon_transport){.cls = &testbus_class,
					      .cfg = &bad};
	f->p.transports = tps;
	f->p.ntransports = 2;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), -EADDRNOTAVAIL);
	assert_null(f->d);
	assert_string_equal(order, "+testbus-testbus");
	assert_false(f->fp->lines[0].open);
	assert_int_equal(access(f->ctl, F_OK), -1);
}

/* Registration checks the required callbacks and the limits. */
static void daemon_new_refuses_incomplete_registrations(void **state)
{
	struct fix *f = *state;
	struct vg_transport_class no_stop = testbus_class;
	struct vg_provider_ops no_claims = testprov_ops;
	struct vg_daemon_transport bad_tp = {.cls = &no_stop, .cfg = &f->tb};
	struct vg_provider bad_prov = {.ops = &no_claims, .ctx = f->fp};
	struct vg_daemon_params p = f->p;

	no_stop.stop = NULL;
	no_claims.claims = NULL;
	p.transports = &bad_tp;
	assert_int_equal(vg_daemon_new(&p, &f->d), -EINVAL);
	/* device_add() and device_remove() come together. */
	no_stop = testbus_dev_class;
	no_stop.device_remove = NULL;
	assert_int_equal(vg_daemon_new(&p, &f->d), -EINVAL);
	no_stop = testbus_dev_class;
	no_stop.device_add = NULL;
	assert_int_equal(vg_daemon_new(&p, &f->d), -EINVAL);
	p = f->p;
	p.providers = &bad_prov;
	assert_int_equal(vg_daemon_new(&p, &f->d), -EINVAL);
	p = f->p;
	p.ntransports = VG_DAEMON_MAX_TRANSPORTS + 1;
	assert_int_equal(vg_daemon_new(&p, &f->d), -EINVAL);
	assert_null(f->d);
	assert_false(f->tb.running);
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, 0), 0);
}

/*
 * Run JSON request @cmd with @args on the daemon's control socket,
 * turning the daemon meanwhile; the reply in @r (freed by the caller).
 */
static void ctl_call(struct fix *f, const char *cmd, const char *args,
		     struct vg_ctlc_reply *r)
{
	struct vg_ctlc c;
	int rc, i;

	assert_int_equal(vg_ctlc_connect(&c, f->ctl), 0);
	c.timeout_ms = 0; /* the daemon runs here, between tries */
	assert_int_equal(vg_ctlc_request(&c, cmd, args), 0);
	for (i = 0; i < 200 && (rc = vg_ctlc_reply(&c, r)) == -EAGAIN; i++)
		assert_true(vg_daemon_turn(f->d, 10) >= 0);
	if (rc)
		fail_msg("%s: %s", cmd, c.err);
	vg_ctlc_close(&c);
}

/* Text command @cmd answers "ok" after the lines @want. */
static void text_call(struct fix *f, const char *cmd, const char *want)
{
	struct vg_strbuf body = {0};
	struct vg_ctlc c;
	size_t len;
	char *line;
	int rc, i;

	assert_int_equal(vg_ctlc_connect(&c, f->ctl), 0);
	c.timeout_ms = 0; /* the daemon runs here, between tries */
	assert_int_equal(vg_ctlc_send(&c, cmd), 0);
	for (i = 0; i < 200; i++) {
		rc = vg_ctlc_recv(&c, &line, &len);
		if (rc == -EAGAIN) {
			assert_true(vg_daemon_turn(f->d, 10) >= 0);
			continue;
		}
		assert_int_equal(rc, 0);
		if (!strcmp(line, "ok")) {
			free(line);
			break;
		}
		vg_strbuf_addf(&body, "%s\n", line);
		free(line);
	}
	assert_true(i < 200);
	assert_string_equal(body.s ? body.s : "", want);
	free(body.s);
	vg_ctlc_close(&c);
}

/* device add/remove go to the transport that takes them, errors mapped. */
static void daemon_device_commands_reach_the_transport(void **state)
{
	static const struct {
		int rc;
		const char *code;
	} errs[] = {
		{-EINVAL, "bad-args"},	 {-ENOENT, "not-found"},
		{-EEXIST, "busy"},	 {-EOPNOTSUPP, "unsupported"},
		{-EPERM, "unsupported"}, {-EIO, "internal"},
	};
	static const char add[] = "{\"spec\":\"domid=7,base=0x1000,irq=3\"}";
	struct fix *f = *state;
	struct vg_ctlc_reply r;
	unsigned int i;

	f->tp.cls = &testbus_dev_class;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	ctl_call(f, "device add", add, &r);
	assert_true(r.ok);
	assert_string_equal(f->tb.spec, "domid=7,base=0x1000,irq=3");
	assert_string_equal(vg_json_get_str(r.result, "transport", ""),
			    "testbus");
	assert_string_equal(vg_json_get_str(r.result, "domain", ""), "alpha");
	assert_int_equal(vg_json_get_u64(r.result, "domid", 0), 7);
	assert_int_equal(vg_json_get_u64(r.result, "devid", 0), 2);
	assert_true(vg_json_true(vg_json_get(r.result, "attached")));
	assert_int_equal(vg_json_get(r.result, "reason")->type, VG_JSON_NULL);
	vg_ctlc_reply_free(&r);
	/* An empty window: said so, with the transport's reason. */
	f->tb.device_rc = 1;
	ctl_call(f, "device add", add, &r);
	assert_true(r.ok);
	assert_false(vg_json_true(vg_json_get(r.result, "attached")));
	assert_string_equal(vg_json_get_str(r.result, "reason", ""), "no room");
	vg_ctlc_reply_free(&r);
	for (i = 0; i < VG_ARRAY_SIZE(errs); i++) {
		f->tb.device_rc = errs[i].rc;
		ctl_call(f, "device add", add, &r);
		assert_false(r.ok);
		assert_string_equal(r.code, errs[i].code);
		assert_non_null(strstr(r.message, "testbus says"));
		vg_ctlc_reply_free(&r);
		ctl_call(f, "device remove",
			 "{\"spec\":\"domid=7,base=0x1000\"}", &r);
		assert_false(r.ok);
		assert_string_equal(r.code, errs[i].code);
		vg_ctlc_reply_free(&r);
	}
	f->tb.device_rc = 0;
	ctl_call(f, "device remove", "{\"spec\":\"domid=7,base=0x1000\"}", &r);
	assert_true(r.ok);
	assert_string_equal(f->tb.spec, "domid=7,base=0x1000");
	vg_ctlc_reply_free(&r);
	assert_int_equal(f->tb.nadd, 2 + VG_ARRAY_SIZE(errs));
	assert_int_equal(f->tb.nremove, 1 + VG_ARRAY_SIZE(errs));
	/* The text protocol's lines, from the same result. */
	f->tb.device_rc = 1;
	text_call(f, "device add domid=7,base=0x1000,irq=3",
		  "device testbus dom7/2 domain alpha attached no\n"
		  "empty window: no room\n");
	f->tb.device_rc = 0;
	text_call(f, "device remove domid=7,base=0x1000", "");
	assert_int_equal(f->tb.nadd, 3 + VG_ARRAY_SIZE(errs));
	/* The spec is one word of at most 127 bytes. */
	ctl_call(f, "device add", "{\"spec\":\"domid=7 base=0\"}", &r);
	assert_false(r.ok);
	assert_string_equal(r.code, "bad-args");
	vg_ctlc_reply_free(&r);
	assert_int_equal(f->tb.nadd, 3 + VG_ARRAY_SIZE(errs));
}

/* Without a transport that adds windows, both commands are refused. */
static void daemon_device_commands_need_a_transport(void **state)
{
	struct fix *f = *state;
	struct vg_ctlc_reply r;

	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	ctl_call(f, "device add", "{\"spec\":\"domid=7,base=0,irq=3\"}", &r);
	assert_false(r.ok);
	assert_string_equal(r.code, "unsupported");
	vg_ctlc_reply_free(&r);
	ctl_call(f, "device remove", "{\"spec\":\"domid=7,base=0\"}", &r);
	assert_false(r.ok);
	assert_string_equal(r.code, "unsupported");
	vg_ctlc_reply_free(&r);
	assert_int_equal(f->tb.nadd + f->tb.nremove, 0);
}

/* The window() hook answers from the policy applied last. */
static void daemon_window_hook_follows_the_policy(void **state)
{
	static const char next[] =
		"[sim board]\n"
		"lines = 2\n"
		"names = s0 s1\n"
		"[domain alpha]\n"
		"lines = board s0, test-chip 0, test-chip 1\n"
		"xen-device = base=0x2000 irq=40 grants=1\n"
		"[domain beta]\n"
		"lines = board s1\n"
		"xen-device = base=0x1000 irq=3\n";
	static const char broken[] = "[domain alpha]\n"
				     "lines = test-chip 9\n"
				     "xen-device = base=0x4000 irq=3\n";
	struct fix *f = *state;
	struct vg_devspec w = {.domid = 99};
	struct vg_doms_change chg;
	struct vg_config *cfg;
	char err[256];
	int (*window)(void *, const char *, struct vg_devspec *);

	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	window = f->tb.env.hooks->window;
	assert_non_null(window);
	assert_int_equal(window(f->tb.env.hooks_arg, "alpha", &w), 0);
	assert_int_equal(vg_config_parse(next, strlen(next), "next", &cfg, err,
					 sizeof(err)),
			 0);
	assert_int_equal(vg_daemon_apply(f->d, cfg, &chg, err, sizeof(err)), 0);
	vg_config_free(cfg);
	assert_int_equal(window(f->tb.env.hooks_arg, "alpha", &w), 1);
	assert_int_equal(w.domid, 0);
	assert_true(w.base == 0x2000);
	assert_int_equal(w.irq, 40);
	assert_true(w.grants);
	assert_int_equal(window(f->tb.env.hooks_arg, "beta", &w), 1);
	assert_true(w.base == 0x1000);
	assert_int_equal(window(f->tb.env.hooks_arg, "gamma", &w), 0);
	/* A policy that cannot be applied changes no window either. */
	assert_int_equal(vg_config_parse(broken, strlen(broken), "broken", &cfg,
					 err, sizeof(err)),
			 0);
	assert_int_not_equal(vg_daemon_apply(f->d, cfg, &chg, err, sizeof(err)),
			     0);
	vg_config_free(cfg);
	assert_int_equal(window(f->tb.env.hooks_arg, "alpha", &w), 1);
	assert_true(w.base == 0x2000);
}

/* The first provider that claims a chip gets its lines. */
static void daemon_providers_first_claim_wins(void **state)
{
	struct fix *f = *state;
	static const char *const names[] = {"other0", "other1"};
	struct vg_fakeprov *fp2;
	struct vg_provider provs[2];

	assert_int_equal(vg_fakeprov_new(2, names, &fp2), 0);
	provs[0] = (struct vg_provider){.ops = &testprov_ops, .ctx = fp2};
	provs[1] = f->prov;
	f->p.providers = provs;
	f->p.nproviders = 2;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), 0);
	assert_true(fp2->lines[0].open);
	assert_false(f->fp->lines[0].open);
	vg_daemon_free(f->d);
	f->d = NULL;
	vg_fakeprov_free(fp2);
}

/* A chip that no provider claims fails start-up, naming it. */
static void daemon_new_fails_for_an_unclaimed_chip(void **state)
{
	struct fix *f = *state;

	f->p.providers = NULL;
	f->p.nproviders = 0;
	assert_int_equal(vg_daemon_new(&f->p, &f->d), -ENOENT);
	assert_null(f->d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(daemon_new_without_transports_holds_lines),
		T(daemon_test_transport_and_provider_serve_a_guest),
		T(daemon_attach_refuses_second_guest_and_unknown_domain),
		T(daemon_transports_stop_in_reverse_order),
		T(daemon_new_unwinds_when_a_transport_fails),
		T(daemon_new_refuses_incomplete_registrations),
		T(daemon_providers_first_claim_wins),
		T(daemon_new_fails_for_an_unclaimed_chip),
		T(daemon_device_commands_reach_the_transport),
		T(daemon_device_commands_need_a_transport),
		T(daemon_window_hook_follows_the_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
