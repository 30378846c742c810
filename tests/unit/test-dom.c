// SPDX-License-Identifier: BSD-3-Clause
/*
 * The daemon's domains (backend/daemon/dom.h): held lines, per-domain
 * tables, a policy applied in plan and commit phases, parked lines,
 * a guest's device attached and detached, counters.
 *
 * Two providers, registered like vgpiod's: the sim provider claims chip
 * "board" (it records each line's consumer and level), the fake provider
 * (tests/lib/fakeprov.h: call log, scripted failures) claims every other
 * chip, here "fake". Guests are attached over an in-process bus. After
 * every test the domains are disposed and nothing may stay held.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vgpio/virtio_mmio.h>
#include "config.h"
#include "dom.h"
#include "fakeprov.h"
#include "inproc.h"
#include "sim.h"

#define NFAKE 4u

struct fix {
	struct vg_sim *sim;
	struct vg_fakeprov *fp;
	struct vg_provider prov[2];
	struct vg_doms ds;
	struct vg_inproc ip;
	struct vg_guest_info info;
	struct vg_doms_change chg;
	char err[256];
};

static int setup(void **state)
{
	static const char *const names[] = {"led", "btn", "out2", "in2"};
	struct fix *f = calloc(1, sizeof(*f));
	struct vg_doms_params p = {.prov = f->prov, .nprov = 2};

	assert_non_null(f);
	assert_int_equal(vg_sim_new(NULL, &f->sim), 0);
	assert_int_equal(vg_sim_add_chip(f->sim, "board", 4, names), 0);
	assert_int_equal(vg_fakeprov_new(NFAKE, NULL, &f->fp), 0);
	/* First claim wins: sim takes its chips, the fake all others. */
	f->prov[0] = vg_sim_provider(f->sim);
	f->prov[1] = vg_fakeprov_provider(f->fp);
	vg_doms_init(&f->ds, &p);
	assert_int_equal(vg_inproc_init(&f->ip, 0x10000, 0x10000), 0);
	f->info = (struct vg_guest_info){.transport = "test", .domid = -1};
	*state = f;
	return 0;
}

static bool sim_requested(struct fix *f, const char *line)
{
	struct vg_sim_line_state st;

	assert_int_equal(vg_sim_get(f->sim, "board", line, &st), 0);
	return st.requested;
}

/* Successful opens of fake line @i so far. */
static unsigned int fake_opens(const struct vg_fakeprov *fp, unsigned int i)
{
	unsigned int n = 0;
	size_t k;

	for (k = 0; k < fp->ncalls; k++)
		n += fp->calls[k].op == VG_FAKE_OPEN &&
		     fp->calls[k].line == i && !fp->calls[k].rc;
	return n;
}

/* Disposing releases every line, whatever the test left. */
static int teardown(void **state)
{
	static const char *const lines[] = {"led", "btn", "out2", "in2"};
	struct fix *f = *state;
	unsigned int i;

	vg_doms_dispose(&f->ds);
	for (i = 0; i < 4; i++)
		assert_false(sim_requested(f, lines[i]));
	for (i = 0; i < NFAKE; i++) {
		assert_false(f->fp->lines[i].open);
		assert_int_equal(fake_opens(f->fp, i),
				 vg_fakeprov_count(f->fp, VG_FAKE_CLOSE, i));
	}
	vg_inproc_dispose(&f->ip);
	vg_fakeprov_free(f->fp);
	vg_sim_free(f->sim);
	free(f);
	return 0;
}

/* Parse @policy and apply it; its return code, err in f->err. */
static int apply(struct fix *f, const char *policy)
{
	struct vg_config *cfg;
	int rc;

	assert_int_equal(vg_config_parse(policy, strlen(policy), "test", &cfg,
					 f->err, sizeof(f->err)),
			 0);
	rc = vg_doms_apply(&f->ds, cfg, &f->chg, f->err, sizeof(f->err));
	vg_config_free(cfg);
	return rc;
}

/* Another program takes host line board:@line (0 or -errno). */
static void outsider_event(void *arg, unsigned int edge)
{
	(void)arg;
	(void)edge;
}

static int outsider_open(struct fix *f, const char *line, struct vg_line **h)
{
	struct vg_line_spec sp = {
		.chip = "board", .line = line, .initial_dir = VG_DIR_IN};

	return vg_sim_provider_ops.line_open(f->sim, &sp, "other",
					     outsider_event, NULL, h);
}

static void sim_state(struct fix *f, const char *line,
		      struct vg_sim_line_state *st)
{
	assert_int_equal(vg_sim_get(f->sim, "board", line, st), 0);
}

/* Board line @line is held for @domain; its state in *st. */
static void held_by(struct fix *f, const char *line, const char *domain,
		    struct vg_sim_line_state *st)
{
	char consumer[80];

	snprintf(consumer, sizeof(consumer), "vgpio:%s", domain);
	sim_state(f, line, st);
	assert_true(st->requested);
	assert_string_equal(st->consumer, consumer);
}

static struct vg_dom *dom(struct fix *f, const char *name)
{
	struct vg_dom *d = vg_doms_find(&f->ds, name);

	assert_non_null(d);
	return d;
}

/* A guest device for @d on the in-process bus; its register file. */
static struct vg_mmio *attach(struct fix *f, struct vg_dom *d, void *conn)
{
	struct vg_mmio *mmio = NULL;
	char reason[128];

	assert_int_equal(vg_dom_attach(d, conn, &f->ip.bus, &f->info, &mmio,
				       reason, sizeof(reason)),
			 0);
	assert_non_null(mmio);
	return mmio;
}

/* The guest writes Status 0: a device reset. */
static void device_reset(struct vg_mmio *mmio)
{
	vg_mmio_write(mmio, VG_MMIO_STATUS, 4, 0);
}

/* The last set_direction of fake line @i: direction and value. */
static void fake_last_dir(struct fix *f, unsigned int i, int *dir, int *value)
{
	const struct vg_fake_call *c =
		vg_fakeprov_last(f->fp, VG_FAKE_SET_DIRECTION, i);

	assert_non_null(c);
	*dir = c->a;
	*value = c->b;
}

static void dom_apply_opens_lines_in_safe_state(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;
	const struct vg_acl *acl;
	struct vg_line *h;

	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = board led btn, fake 2\n"
				  "line led = safe=high\n"
				  "line 2 = safe=low name=relay\n"),
			 0);
	assert_int_equal(f->chg.added, 3);
	assert_int_equal(f->chg.revoked + f->chg.deferred + f->chg.failed, 0);
	/* Held exclusively under the domain's name, at the safe state. */
	held_by(f, "led", "alpha", &st);
	assert_true(st.output);
	assert_int_equal(st.value, 1);
	held_by(f, "btn", "alpha", &st);
	assert_false(st.output);
	assert_true(f->fp->lines[2].open);
	assert_int_equal(f->fp->lines[2].dir, VG_DIR_OUT);
	assert_int_equal(f->fp->lines[2].out, 0);
	/* Nobody else can take a held line. */
	assert_int_equal(outsider_open(f, "led", &h), -EBUSY);
	/* The guest's table: order, names, safe states. */
	acl = vg_dom_acl(dom(f, "alpha"));
	assert_int_equal(acl->n, 3);
	assert_string_equal(acl->lines[0].name, "led");
	assert_string_equal(acl->lines[2].name, "relay");
	assert_int_equal(acl->lines[0].safe, VG_SAFE_HIGH);
	assert_false(acl->lines[1].revoked);
	assert_false(vg_dom_pending(dom(f, "alpha")));
}

static void dom_apply_lines_go_to_first_claiming_provider(void **state)
{
	struct fix *f = *state;
	const char *chip, *line;
	unsigned int i;

	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = board 0 1, fake 0\n"),
			 0);
	/* The fake claims any chip, but the sim was asked first. */
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, 0), 1);
	for (i = 1; i < NFAKE; i++)
		assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, i), 0);
	assert_true(sim_requested(f, "led") && sim_requested(f, "btn"));
	vg_dom_line_host(dom(f, "alpha"), 2, &chip, &line);
	assert_string_equal(chip, "fake");
	assert_string_equal(line, "0");
}

static void dom_apply_unclaimed_chip_names_domain_chip_line(void **state)
{
	struct fix *f = *state;

	f->ds.p.nprov = 1; /* the sim alone: it claims only "board" */
	assert_int_equal(apply(f, "[domain alpha]\nlines = gpiochip7 3\n"),
			 -ENOENT);
	assert_non_null(strstr(f->err, "domain alpha"));
	assert_non_null(strstr(f->err, "chip gpiochip7 line 3"));
	assert_null(vg_doms_find(&f->ds, "alpha"));
}

/*
 * Plan phase: the new policy adds btn (opened at once) and takes out2
 * away, then a line of a new domain fails to open. Nothing may change.
 */
static void dom_apply_open_failure_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;

	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = board led out2\n"
				  "line out2 = safe=high\n"),
			 0);
	vg_fakeprov_fail_next(f->fp, VG_FAKE_OPEN, -EIO);
	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = board led btn\n"
				  "[domain beta]\n"
				  "lines = fake 1\n"),
			 -EIO);
	assert_non_null(strstr(f->err, "domain beta"));
	assert_non_null(strstr(f->err, "chip fake line 1"));
	/* btn was opened by the plan and closed again; out2 still held. */
	assert_false(sim_requested(f, "btn"));
	held_by(f, "out2", "alpha", &st);
	assert_true(st.output && st.value == 1);
	assert_int_equal(vg_dom_acl(dom(f, "alpha"))->n, 2);
	assert_false(vg_dom_acl(dom(f, "alpha"))->lines[1].revoked);
	assert_null(vg_doms_find(&f->ds, "beta"));
	assert_int_equal(f->ds.n, 1);
	assert_int_equal(f->ds.nparked, 0);
}

static void dom_apply_busy_line_names_domain_chip_line(void **state)
{
	struct fix *f = *state;
	struct vg_line *h;

	assert_int_equal(outsider_open(f, "in2", &h), 0);
	assert_int_equal(apply(f, "[domain gamma]\nlines = board led in2\n"),
			 -EBUSY);
	assert_non_null(strstr(f->err, "domain gamma"));
	assert_non_null(strstr(f->err, "chip board line in2"));
	assert_non_null(strstr(f->err, "in use"));
	assert_false(sim_requested(f, "led"));
	vg_sim_provider_ops.line_close(f->sim, h);
}

/*
 * Revocation happens at once even with a guest attached: the line goes
 * to its safe state, a safe output stays held (parked), a safe input is
 * released; the guest's table keeps the slot, marked revoked.
 */
static void dom_revoke_while_attached_applies_at_once(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;
	const struct vg_acl *acl;
	const char *chip, *line;
	struct vg_dom *a;
	int dir, value;

	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = board led btn, fake 0 1\n"
				  "line led = safe=high\n"
				  "line 2 = safe=low\n"),
			 0);
	a = dom(f, "alpha");
	attach(f, a, f);
	/* The guest drove led low. */
	acl = vg_dom_acl(a);
	assert_int_equal(acl->lines[0].prov.ops->set_value(
				 acl->lines[0].prov.ctx, acl->lines[0].line, 0),
			 0);
	sim_state(f, "led", &st);
	assert_int_equal(st.value, 0);

	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 1\n"), 0);
	assert_int_equal(f->chg.revoked, 3);
	assert_int_equal(f->chg.deferred, 1);
	sim_state(f, "led", &st);
	assert_true(st.requested && st.output);
	assert_int_equal(st.value, 1);
	assert_false(sim_requested(f, "btn"));
	assert_true(f->fp->lines[0].open);
	fake_last_dir(f, 0, &dir, &value);
	assert_int_equal(dir, VG_DIR_OUT);
	assert_int_equal(value, 0);
	assert_true(f->fp->lines[1].open);
	/* The guest still sees 4 lines until its reset; 3 are revoked. */
	acl = vg_dom_acl(a);
	assert_int_equal(acl->n, 4);
	assert_true(acl->lines[0].revoked && acl->lines[1].revoked &&
		    acl->lines[2].revoked);
	assert_false(acl->lines[3].revoked);
	assert_true(vg_dom_pending(a));
	/* The two safe outputs are parked at their values. */
	assert_int_equal(f->ds.nparked, 2);
	vg_doms_parked(&f->ds, 0, &chip, &line, &value);
	assert_string_equal(chip, "board");
	assert_string_equal(line, "led");
	assert_int_equal(value, 1);
	vg_doms_parked(&f->ds, 1, &chip, &line, &value);
	assert_string_equal(chip, "fake");
	assert_string_equal(line, "0");
	assert_int_equal(value, 0);
	vg_dom_detach(a);
	assert_int_equal(vg_dom_acl(a)->n, 1);
}

static void dom_add_while_attached_waits_for_reset(void **state)
{
	struct fix *f = *state;
	struct vg_mmio *mmio;
	struct vg_dom *a;

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led\n"), 0);
	a = dom(f, "alpha");
	mmio = attach(f, a, f);
	assert_int_equal(apply(f, "[domain alpha]\nlines = board led btn\n"),
			 0);
	assert_int_equal(f->chg.added, 1);
	assert_int_equal(f->chg.deferred, 1);
	assert_int_equal(f->chg.revoked, 0);
	/* Held at once, served from the guest's next reset. */
	assert_true(sim_requested(f, "btn"));
	assert_int_equal(vg_dom_acl(a)->n, 1);
	assert_true(vg_dom_pending(a));
	device_reset(mmio);
	assert_false(vg_dom_pending(a));
	assert_int_equal(vg_dom_acl(a)->n, 2);
	assert_string_equal(vg_dom_acl(a)->lines[1].name, "btn");
	/* led was shared by both tables: never released in between. */
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_OPEN, 0), 0);
	assert_true(sim_requested(f, "led"));
	vg_dom_detach(a);
}

static void dom_add_while_attached_waits_for_detach(void **state)
{
	struct fix *f = *state;
	struct vg_dom *a;

	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0\n"), 0);
	a = dom(f, "alpha");
	attach(f, a, f);
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 1 2\n"), 0);
	assert_int_equal(vg_dom_acl(a)->n, 1);
	vg_dom_detach(a);
	assert_false(vg_dom_pending(a));
	assert_int_equal(vg_dom_acl(a)->n, 3);
	/* Without a guest, the next change applies at once. */
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 1\n"), 0);
	assert_int_equal(f->chg.deferred, 0);
	assert_int_equal(vg_dom_acl(a)->n, 2);
	assert_false(f->fp->lines[2].open);
}

static void dom_move_line_changes_consumer(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led\n"
				  "[domain beta]\nlines = board btn\n"),
			 0);
	attach(f, dom(f, "beta"), f);
	assert_int_equal(apply(f, "[domain alpha]\nlines = board btn\n"
				  "[domain beta]\nlines = board led\n"),
			 0);
	assert_int_equal(f->chg.revoked, 2);
	assert_int_equal(f->chg.added, 2);
	assert_int_equal(f->chg.failed, 0);
	held_by(f, "led", "beta", &st);
	held_by(f, "btn", "alpha", &st);
	/* alpha has no guest: served at once; beta waits for its reset. */
	assert_string_equal(vg_dom_acl(dom(f, "alpha"))->lines[0].name, "btn");
	assert_true(vg_dom_acl(dom(f, "beta"))->lines[0].revoked);
	vg_dom_detach(dom(f, "beta"));
	assert_string_equal(vg_dom_acl(dom(f, "beta"))->lines[0].name, "led");
	assert_false(vg_dom_acl(dom(f, "beta"))->lines[0].revoked);
}

static void dom_move_parked_line_unparks(void **state)
{
	struct fix *f = *state;
	struct vg_sim_line_state st;

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led btn\n"
				  "line led = safe=high\n"),
			 0);
	assert_int_equal(apply(f, "[domain alpha]\nlines = board btn\n"), 0);
	assert_int_equal(f->ds.nparked, 1);
	held_by(f, "led", "alpha", &st);
	assert_true(st.output && st.value == 1);
	assert_int_equal(apply(f, "[domain alpha]\nlines = board btn\n"
				  "[domain beta]\nlines = board led\n"),
			 0);
	assert_int_equal(f->ds.nparked, 0);
	assert_int_equal(f->chg.added, 1);
	held_by(f, "led", "beta", &st);
	assert_false(st.output); /* beta's safe state: input */
}

/*
 * A line in the current table and in a table still waiting for a reset,
 * both dropped by the next policy, is taken away once: parked once (a
 * safe output) or closed once (a safe input).
 */
static void dom_revoke_line_shared_with_waiting_table(void **state)
{
	struct fix *f = *state;
	struct vg_dom *a;

	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 1\n"
				  "line 0 = safe=high\n"),
			 0);
	a = dom(f, "alpha");
	attach(f, a, f);
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 1 2\n"
				  "line 0 = safe=high\n"),
			 0);
	assert_true(vg_dom_pending(a));
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 2\n"), 0);
	assert_int_equal(f->chg.revoked, 2);
	assert_int_equal(f->ds.nparked, 1);
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_CLOSE, 1), 1);
	assert_int_equal(vg_fakeprov_count(f->fp, VG_FAKE_CLOSE, 0), 0);
	assert_true(f->fp->lines[2].open);
	vg_dom_detach(a);
	assert_int_equal(vg_dom_acl(a)->n, 1);
}

/*
 * A revoked line parks at its safe value even when turning its edge
 * detection off fails: status says "parked low", and so must the pin.
 */
static void dom_revoke_parks_safe_value_despite_edge_failure(void **state)
{
	struct fix *f = *state;
	const struct vg_acl *acl;
	const char *chip, *line;
	int value;

	assert_int_equal(apply(f, "[domain alpha]\n"
				  "lines = fake 0 1\n"
				  "line 0 = safe=low\n"),
			 0);
	acl = vg_dom_acl(dom(f, "alpha"));
	/* The guest drove it high. */
	assert_int_equal(acl->lines[0].prov.ops->set_direction(
				 acl->lines[0].prov.ctx, acl->lines[0].line,
				 VG_DIR_OUT, 1),
			 0);
	f->fp->fail[VG_FAKE_SET_EDGE] = -EIO;
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 1\n"), 0);
	vg_doms_parked(&f->ds, 0, &chip, &line, &value);
	assert_int_equal(value, 0);
	assert_int_equal(f->fp->lines[0].dir, VG_DIR_OUT);
	assert_int_equal(f->fp->lines[0].out, 0);
}

static void dom_attach_refuses_no_lines(void **state)
{
	struct fix *f = *state;
	struct vg_mmio *mmio = NULL;
	char reason[128];

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led\n"), 0);
	/* alpha left the policy: an empty table. */
	assert_int_equal(apply(f, "[domain beta]\nlines = board btn\n"), 0);
	assert_int_equal(vg_dom_attach(dom(f, "alpha"), f, &f->ip.bus, &f->info,
				       &mmio, reason, sizeof(reason)),
			 ENOENT);
	assert_non_null(strstr(reason, "alpha"));
	assert_non_null(strstr(reason, "no lines"));
	assert_null(dom(f, "alpha")->gpio);
	assert_null(vg_doms_find_conn(&f->ds, f));
}

static void dom_attach_refuses_second_guest(void **state)
{
	struct fix *f = *state;
	struct vg_mmio *mmio = NULL;
	struct vg_dom *a;
	char reason[128];
	int other;

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led\n"), 0);
	a = dom(f, "alpha");
	attach(f, a, f);
	assert_int_equal(vg_dom_attach(a, &other, &f->ip.bus, &f->info, &mmio,
				       reason, sizeof(reason)),
			 EBUSY);
	assert_non_null(strstr(reason, "already connected"));
	/* The first guest keeps its device. */
	assert_ptr_equal(vg_doms_find_conn(&f->ds, f), a);
	assert_null(vg_doms_find_conn(&f->ds, &other));
	assert_ptr_equal(a->info, &f->info);
	vg_dom_detach(a);
	assert_null(vg_doms_find_conn(&f->ds, f));
}

static void dom_stats_sum_connections(void **state)
{
	struct fix *f = *state;
	struct vg_gpio_stats st;
	struct vg_mmio *mmio;
	struct vg_dom *a;

	assert_int_equal(apply(f, "[domain alpha]\nlines = board led\n"), 0);
	a = dom(f, "alpha");
	mmio = attach(f, a, f);
	device_reset(mmio);
	device_reset(mmio);
	vg_dom_stats(a, &st);
	assert_int_equal(st.resets, 2);
	vg_dom_detach(a);
	vg_dom_stats(a, &st);
	assert_int_equal(st.resets, 2);
	mmio = attach(f, a, f);
	device_reset(mmio);
	vg_dom_stats(a, &st);
	assert_int_equal(st.resets, 3);
	vg_dom_detach(a);
	vg_dom_stats(a, &st);
	assert_int_equal(st.resets, 3);
}

/* Every held line, parked ones included, goes to its safe state first. */
static void dom_dispose_releases_everything(void **state)
{
	struct fix *f = *state;
	struct vg_dom *a;
	unsigned int i;

	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 1 2\n"
				  "line 0 = safe=high\n"
				  "line 1 = safe=low\n"),
			 0);
	a = dom(f, "alpha");
	attach(f, a, f);
	assert_int_equal(apply(f, "[domain alpha]\nlines = fake 0 2 3\n"
				  "line 0 = safe=high\n"),
			 0);
	assert_int_equal(f->ds.nparked, 1);
	vg_dom_detach(a);
	vg_doms_dispose(&f->ds);
	assert_int_equal(f->ds.n + f->ds.nparked, 0);
	for (i = 0; i < NFAKE; i++) {
		const struct vg_fake_call *dir_call, *close;

		dir_call = vg_fakeprov_last(f->fp, VG_FAKE_SET_DIRECTION, i);
		close = vg_fakeprov_last(f->fp, VG_FAKE_CLOSE, i);
		assert_non_null(dir_call);
		assert_non_null(close);
		assert_true(dir_call < close);
		assert_int_equal(dir_call->a, i < 2 ? VG_DIR_OUT : VG_DIR_IN);
		assert_int_equal(dir_call->b, i == 0);
	}
	/* (teardown checks that every line was closed once) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(dom_apply_opens_lines_in_safe_state),
		T(dom_apply_lines_go_to_first_claiming_provider),
		T(dom_apply_unclaimed_chip_names_domain_chip_line),
		T(dom_apply_open_failure_changes_nothing),
		T(dom_apply_busy_line_names_domain_chip_line),
		T(dom_revoke_while_attached_applies_at_once),
		T(dom_add_while_attached_waits_for_reset),
		T(dom_add_while_attached_waits_for_detach),
		T(dom_move_line_changes_consumer),
		T(dom_move_parked_line_unparks),
		T(dom_revoke_line_shared_with_waiting_table),
		T(dom_revoke_parks_safe_value_despite_edge_failure),
		T(dom_attach_refuses_no_lines),
		T(dom_attach_refuses_second_guest),
		T(dom_stats_sum_connections),
		T(dom_dispose_releases_everything),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
