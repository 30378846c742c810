// SPDX-License-Identifier: BSD-3-Clause
/*
 * Policy changes applied to a running vgpiod (`reload`, SIGHUP; dom.h):
 * a revoked line goes to its safe value at once and the guest's requests
 * on it fail; additions wait for the guest's next device reset; a line
 * moves between domains; a policy the daemon cannot apply changes
 * nothing. Lines are sim lines read and driven through the control socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <vgpio/virtio_gpio.h>
#include "daemon-run.h"
#include "shim.h"

#define SIM                           \
	"[sim board]\n"               \
	"lines = 6\n"                 \
	"names = l0 l1 l2 l3 l4 l5\n" \
	"\n"

static const char config[] = SIM "[domain alpha]\n"
				 "lines = board l0 l1\n"
				 "line l0 = safe=high\n"
				 "line l1 = safe=low\n"
				 "\n"
				 "[domain beta]\n"
				 "lines = board l2\n";

struct run {
	struct vg_drun *r;
	struct vg_shim *g;
};

static int run_setup(void **state)
{
	struct run *run = calloc(1, sizeof(*run));

	if (!run || vg_drun_start(config, NULL, &run->r)) {
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *run = *state;
	int rc;

	vg_shim_free(run->g);
	rc = vg_drun_stop(run->r);
	free(run);
	return rc ? -1 : 0;
}

/* Replace the daemon's policy file with @text (as an editor would). */
static void write_policy(struct vg_drun *r, const char *text)
{
	FILE *f = fopen(vg_drun_config(r), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* `reload`: 0 and the reply in @out, or 1 with the error in @out. */
static int reload(struct vg_drun *r, char *out, size_t len)
{
	char *reply = NULL;
	int rc = vg_drun_ctl(r, "reload", &reply);

	assert_true(rc == 0 || rc == 1);
	snprintf(out, len, "%s", reply ? reply : "");
	free(reply);
	return rc;
}

static int sim_get(struct vg_drun *r, const char *line)
{
	int v = -1;

	assert_int_equal(vg_drun_sim_get(r, "board", line, &v), 0);
	return v;
}

/* "requested N" of `sim get board LINE`: held by the daemon or not. */
static int sim_requested(struct vg_drun *r, const char *line)
{
	char cmd[64], *reply = NULL;
	int req = -1;

	snprintf(cmd, sizeof(cmd), "sim get board %s", line);
	assert_int_equal(vg_drun_ctl(r, cmd, &reply), 0);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "requested "));
	req = atoi(strstr(reply, "requested ") + 10);
	free(reply);
	return req;
}

static void reload_revokes_line_at_once(void **state)
{
	struct run *run = *state;
	struct vg_drun_dom st;
	char out[512], *reply = NULL;
	int v;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->g), 0);
	assert_int_equal(vg_shim_direction_output(run->g, 0, 0), 0);
	assert_int_equal(sim_get(run->r, "l0"), 0);

	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l1\n"
				 "line l1 = safe=low\n"
				 "[domain beta]\n"
				 "lines = board l2\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "added 0 revoked 1 deferred 1"));
	/* At once: safe value (high), held there, requests refused. */
	assert_int_equal(sim_get(run->r, "l0"), 1);
	assert_int_equal(sim_requested(run->r, "l0"), 1);
	assert_int_equal(vg_drun_ctl(run->r, "status", &reply), 0);
	assert_non_null(strstr(reply, "\nparked host board:l0 value 1\n"));
	assert_non_null(strstr(reply, "  line 0 name l0 host board:l0 allow "
				      "in,out,irq dir none revoked yes\n"));
	free(reply);
	assert_int_equal(vg_shim_set_value(run->g, 0, 0), -EIO);
	assert_int_equal(vg_shim_get_value(run->g, 0, &v), -EIO);
	assert_int_equal(sim_get(run->r, "l0"), 1);
	/* The guest keeps its line count until its device is reset. */
	assert_int_equal(vg_shim_ngpio(run->g), 2);
	assert_int_equal(vg_shim_direction_output(run->g, 1, 1), 0);
	assert_int_equal(sim_get(run->r, "l1"), 1);
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_int_equal(st.lines, 2);

	/* A reset and a new probe: one line, l1 now at index 0. */
	assert_int_equal(vg_shim_reset(run->g), 0);
	assert_int_equal(vg_shim_probe(run->g), 0);
	assert_int_equal(vg_shim_ngpio(run->g), 1);
	assert_string_equal(vg_shim_line_name(run->g, 0), "l1");
	assert_int_equal(vg_shim_direction_output(run->g, 0, 1), 0);
	assert_int_equal(sim_get(run->r, "l1"), 1);
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_int_equal(st.lines, 1);
}

static void reload_adds_lines_at_next_reset(void **state)
{
	struct run *run = *state;
	char out[512];

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->g), 0);
	assert_int_equal(vg_shim_ngpio(run->g), 2);
	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l0 l1 l3\n"
				 "line l0 = safe=high\n"
				 "line l1 = safe=low\n"
				 "line l3 = safe=high allow=out\n"
				 "[domain beta]\n"
				 "lines = board l2\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "added 1 revoked 0"));
	/* Held at once, in its safe state, but not the guest's yet. */
	assert_int_equal(sim_requested(run->r, "l3"), 1);
	assert_int_equal(sim_get(run->r, "l3"), 1);
	assert_int_equal(vg_shim_ngpio(run->g), 2);
	assert_int_equal(vg_shim_direction_output(run->g, 2, 0), -EIO);

	/* The line the guest drives is not glitched by the reload. */
	assert_int_equal(vg_shim_direction_output(run->g, 1, 1), 0);
	assert_int_equal(vg_shim_reset(run->g), 0);
	assert_int_equal(vg_shim_probe(run->g), 0);
	assert_int_equal(vg_shim_ngpio(run->g), 3);
	assert_string_equal(vg_shim_line_name(run->g, 2), "l3");
	assert_int_equal(vg_shim_direction_output(run->g, 2, 0), 0);
	assert_int_equal(sim_get(run->r, "l3"), 0);
	/* allow=out only: the new options are in force. */
	assert_int_equal(vg_shim_set_direction(run->g, 2, VG_GPIO_DIRECTION_IN),
			 -EIO);
}

static void reload_moves_line_and_adds_domain(void **state)
{
	struct run *run = *state;
	struct vg_drun_dom st;
	struct vg_shim *g2 = NULL;
	char out[512];

	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l0\n"
				 "line l0 = safe=high\n"
				 "[domain beta]\n"
				 "lines = board l2\n"
				 "[domain gamma]\n"
				 "lines = board l1 l4\n"
				 "line l1 = safe=high\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "added 2 revoked 1"));
	/* l1 moved from alpha (safe low) to gamma (safe high). */
	assert_int_equal(sim_get(run->r, "l1"), 1);
	assert_int_equal(vg_drun_status(run->r, "gamma", &st), 0);
	assert_int_equal(st.lines, 2);
	assert_int_equal(vg_drun_guest(run->r, "gamma", NULL, &g2), 0);
	assert_int_equal(vg_shim_ngpio(g2), 2);
	assert_int_equal(vg_shim_direction_output(g2, 0, 0), 0);
	assert_int_equal(sim_get(run->r, "l1"), 0);
	vg_shim_free(g2);
	/* Its worker puts the lines back once it has seen the hang-up. */
	assert_int_equal(vg_drun_wait_disconnected(run->r, "gamma"), 0);
	assert_int_equal(sim_get(run->r, "l1"), 1);
	/* alpha had no guest: its new table applies at once. */
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_int_equal(st.lines, 1);
}

static void reload_bad_policy_changes_nothing(void **state)
{
	struct run *run = *state;
	struct vg_drun_dom st;
	char out[512];

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->g), 0);
	assert_int_equal(vg_shim_direction_output(run->g, 0, 0), 0);
	/* The parser refuses: l2 in two domains. */
	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l2\n"
				 "[domain beta]\n"
				 "lines = board l2\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "policy not applied"));
	assert_non_null(strstr(out, "l2"));
	/*
	 * The parser cannot know host chips; the daemon opens l4, then
	 * fails on the unknown chip: l4 is released again.
	 */
	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l0 l1\n"
				 "line l0 = safe=high\n"
				 "line l1 = safe=low\n"
				 "[domain beta]\n"
				 "lines = board l2\n"
				 "[domain delta]\n"
				 "lines = board l4, nochip 3\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "domain delta"));
	assert_non_null(strstr(out, "chip nochip line 3"));
	assert_int_equal(sim_requested(run->r, "l4"), 0);
	assert_int_equal(vg_drun_status(run->r, "delta", &st), -ENOENT);
	/* The guest and its lines are untouched. */
	assert_int_equal(sim_get(run->r, "l0"), 0);
	assert_int_equal(vg_shim_set_value(run->g, 0, 1), 0);
	assert_int_equal(sim_get(run->r, "l0"), 1);
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_int_equal(st.lines, 2);
}

static void reload_removed_domain_refuses_guest(void **state)
{
	struct run *run = *state;
	char out[512];

	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l0 l1\n");
	assert_int_equal(reload(run->r, out, sizeof(out)), 0);
	assert_int_equal(sim_requested(run->r, "l2"), 0);
	assert_int_equal(vg_drun_guest(run->r, "beta", NULL, &run->g), -ENOENT);
	assert_null(run->g);
}

static void sighup_reloads_policy(void **state)
{
	struct run *run = *state;
	int i;

	write_policy(run->r, SIM "[domain alpha]\n"
				 "lines = board l0 l1\n"
				 "[domain beta]\n"
				 "lines = board l2 l5\n");
	assert_int_equal(kill(vg_drun_pid(run->r), SIGHUP), 0);
	/* The signal is handled asynchronously: wait for its effect. */
	for (i = 0; i < 200 && sim_requested(run->r, "l5") != 1; i++)
		usleep(10000);
	assert_int_equal(sim_requested(run->r, "l5"), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)
	const struct CMUnitTest tests[] = {
		T(reload_revokes_line_at_once),
		T(reload_adds_lines_at_next_reset),
		T(reload_moves_line_and_adds_domain),
		T(reload_bad_policy_changes_nothing),
		T(reload_removed_domain_refuses_guest),
		T(sighup_reloads_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
