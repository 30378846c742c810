// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration: `vgpiod`'s workers, each domain's guests served by a worker
 * process of its own (docs/architecture.md, "Parent and workers";
 * docs/security.md). Real vgpiod, real workers, shim guests over the loop
 * transport, the parent's sim lines lent to the workers.
 *
 * Waits here are for something the daemon does after an event another
 * process saw first (a worker's death, lines given back): each polls the
 * condition, bounded, and fails if it never comes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "ctlclient.h"
#include "daemon-run.h"
#include "json.h"
#include "shim.h"
#include "strbuf.h"

static const char config[] = "[sim board]\n"
			     "lines = 4\n"
			     "names = out0 out1 in0 in1\n"
			     "\n"
			     "[domain alpha]\n"
			     "lines = board out0 in0\n"
			     "line out0 = allow=in,out safe=high\n"
			     "line in0 = allow=in,irq\n"
			     "\n"
			     "[domain beta]\n"
			     "lines = board out1 in1\n"
			     "line out1 = allow=in,out safe=low\n"
			     "line in1 = allow=in,irq\n";

#define WAIT_MS 10000

struct run {
	struct vg_drun *r;
	struct vg_shim *alpha, *beta;
};

static int start_text(void **state, const char *text, const char *const *extra)
{
	struct run *run = calloc(1, sizeof(*run));

	if (!run || vg_drun_start(text, extra, &run->r)) {
		free(run);
		return -1;
	}
	*state = run;
	return 0;
}

static int start(void **state, const char *const *extra)
{
	return start_text(state, config, extra);
}

static int setup(void **state)
{
	return start(state, NULL);
}

static int teardown(void **state)
{
	struct run *run = *state;
	int rc;

	vg_shim_free(run->alpha);
	vg_shim_free(run->beta);
	rc = vg_drun_stop(run->r);
	free(run);
	return rc ? -1 : 0;
}

static bool wait_log(struct run *run, const char *what)
{
	int i;

	for (i = 0; i < WAIT_MS / 10 && !vg_drun_log_has(run->r, what); i++)
		usleep(10000);
	return vg_drun_log_has(run->r, what);
}

static bool wait_sim(struct run *run, const char *line, int want)
{
	int i, v = -1;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (!vg_drun_sim_get(run->r, "board", line, &v) && v == want)
			return true;
		usleep(10000);
	}
	return false;
}

/* A /proc file (its size says 0: read until EOF), NUL-terminated. */
static char *read_proc(const char *path)
{
	static char buf[8192];
	size_t at = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while (at < sizeof(buf) - 1 &&
	       (r = read(fd, buf + at, sizeof(buf) - 1 - at)) > 0)
		at += (size_t)r;
	close(fd);
	buf[at] = '\0';
	return strdup(buf);
}

/* A /proc/PID/status field's value, e.g. "NoNewPrivs" -> "1". */
static bool proc_field(pid_t pid, const char *field, char *out, size_t len)
{
	char path[64], *text, *p, *end;
	size_t n = strlen(field);
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	text = read_proc(path);
	if (!text)
		return false;
	for (p = text; p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, field, n) && p[n] == ':') {
			p += n + 1;
			p += strspn(p, " \t");
			end = strchr(p, '\n');
			snprintf(out, len, "%.*s",
				 (int)(end ? (size_t)(end - p) : strlen(p)), p);
			found = true;
			break;
		}
	free(text);
	return found;
}

static void workers_serve_each_domain_in_its_own_process(void **state)
{
	struct run *run = *state;
	pid_t a, b, daemon = vg_drun_pid(run->r);
	char buf[64];
	int v = -1;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_drun_guest(run->r, "beta", NULL, &run->beta), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	assert_int_equal(vg_shim_direction_output(run->beta, 0, 1), 0);
	assert_true(wait_sim(run, "out1", 1));
	/* The host drives a sim input; the guest reads it through its worker. */
	assert_int_equal(vg_drun_sim_set(run->r, "board", "in0", 1), 0);
	assert_int_equal(vg_shim_get_value(run->alpha, 1, &v), 0);
	assert_int_equal(v, 1);
	a = vg_drun_worker_pid(run->r, "alpha");
	b = vg_drun_worker_pid(run->r, "beta");
	assert_true(a > 0 && b > 0 && a != b && a != daemon && b != daemon);
	/* Children of the parent, sandboxed. */
	assert_true(proc_field(a, "PPid", buf, sizeof(buf)));
	assert_int_equal(strtol(buf, NULL, 10), daemon);
	assert_true(proc_field(a, "NoNewPrivs", buf, sizeof(buf)));
	assert_string_equal(buf, "1");
	assert_true(proc_field(a, "Seccomp", buf, sizeof(buf)));
	assert_string_equal(buf, "2"); /* a filter */
	assert_true(proc_field(a, "CapEff", buf, sizeof(buf)));
	assert_string_equal(buf, "0000000000000000");
}

/*
 * One worker killed: only its guest loses service, its lines go to their
 * safe values, the other guest's requests go on without an error, and the
 * domain is served again by a new worker.
 */
static void workers_killed_worker_takes_only_its_guest_down(void **state)
{
	struct run *run = *state;
	pid_t a, a2;
	int i, v;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_drun_guest(run->r, "beta", NULL, &run->beta), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(vg_shim_direction_output(run->beta, 0, i & 1),
				 0);
	assert_int_equal(kill(a, SIGKILL), 0);
	/* beta's request stream goes on, each answered without an error. */
	for (i = 0; i < 200; i++) {
		assert_int_equal(vg_shim_set_value(run->beta, 0, i & 1), 0);
		assert_int_equal(vg_shim_get_value(run->beta, 0, &v), 0);
		assert_int_equal(v, i & 1);
	}
	assert_true(wait_log(run, "killed by signal 9"));
	/* alpha's out0 back at its safe value (high). */
	assert_true(wait_sim(run, "out0", 1));
	/* alpha's guest lost its device. */
	assert_int_not_equal(vg_shim_get_value(run->alpha, 0, &v), 0);
	vg_shim_free(run->alpha);
	run->alpha = NULL;
	/* And the domain is served again, by a new worker. */
	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	a2 = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a2 > 0 && a2 != a);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	assert_int_equal(vg_shim_get_value(run->beta, 0, &v), 0);
}

/*
 * A policy that takes every line from a domain: its worker gets an empty
 * table, keeps serving (its guest's requests fail, as for any revoked
 * line), and the lines are back at their safe values.
 */
static void workers_domain_emptied_by_policy(void **state)
{
	static const char beta_only[] = "[sim board]\n"
					"lines = 4\n"
					"names = out0 out1 in0 in1\n"
					"\n"
					"[domain beta]\n"
					"lines = board out1 in1\n"
					"line out1 = allow=in,out safe=low\n"
					"line in1 = allow=in,irq\n";
	struct run *run = *state;
	char *reply = NULL;
	FILE *f;
	pid_t a;
	int v;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0);
	f = fopen(vg_drun_config(run->r), "w");
	assert_non_null(f);
	assert_int_equal(fputs(beta_only, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(vg_drun_ctl(run->r, "reload", &reply), 0);
	free(reply);
	/* At once: out0 at its safe value, the guest refused. */
	assert_true(wait_sim(run, "out0", 1));
	assert_int_equal(vg_shim_set_value(run->alpha, 0, 0), -EIO);
	assert_int_equal(vg_shim_get_value(run->alpha, 0, &v), -EIO);
	assert_int_equal(vg_drun_sim_get(run->r, "board", "out0", &v), 0);
	assert_int_equal(v, 1);
	/* The same worker, still serving its guest's connection. */
	assert_int_equal(kill(a, 0), 0);
	assert_false(vg_drun_log_has(run->r, "ending it"));
}

/*
 * A worker that does not answer (stopped here) holds no `status` for
 * long: after VG_WORKER_REPLY_MS the parent answers with worker_error,
 * ends the worker and puts its lines back at their safe values.
 */
static void workers_hung_worker_ended_by_status(void **state)
{
	struct run *run = *state;
	char *reply = NULL;
	pid_t a;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0);
	assert_int_equal(kill(a, SIGSTOP), 0);
	/* Answers, in about 5 s, with the parent's view of alpha. */
	assert_int_equal(vg_drun_ctl(run->r, "status", &reply), 0);
	assert_non_null(strstr(reply, "domain alpha connected no"));
	free(reply);
	assert_true(wait_log(run, "did not answer within 5000 ms; ending it"));
	assert_true(wait_log(run, "killed by signal 9"));
	assert_true(wait_sim(run, "out0", 1));
}

/* Open fds of process @pid. */
static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * Whether @pid's open fds come down to at most @most within WAIT_MS: the
 * parent may still hold a connection it has not yet seen closed (the
 * baseline can include one such fd too), so a single reading is racy.
 */
static bool wait_fds_at_most(pid_t pid, int most)
{
	int i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (fd_count(pid) <= most)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * A domain whose table does not fit the table message (three 512-line
 * sim chips: over 64 KiB of policy text) cannot get a worker: its guests
 * are refused saying why, and each refusal leaves nothing behind in the
 * parent. Three refusals: a leak of one fd each (three in all) cannot hide
 * behind a transient fd counted in the baseline.
 */
static void workers_table_too_large_refused_cleanly(void **state)
{
	struct run *run = *state;
	struct vg_shim *g = NULL;
	int before, i;

	(void)state;
	before = fd_count(vg_drun_pid(run->r));
	assert_true(before > 0);
	for (i = 0; i < 3; i++)
		assert_int_not_equal(vg_drun_guest(run->r, "huge", NULL, &g),
				     0);
	assert_true(wait_log(run,
			     "table too large (over 64 host lines or 64 KiB)"));
	assert_true(wait_fds_at_most(vg_drun_pid(run->r), before));
	/* The other domains are served as ever. */
	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
}

/* Line @l of chip @c's name: 30 characters, unique across the chips. */
static void huge_name(char *buf, size_t len, int c, int l)
{
	snprintf(buf, len, "h%d-line-%04d-xxxxxxxxxxxxxxxxx", c, l);
}

static int setup_huge(void **state)
{
	struct vg_strbuf b = {0};
	char name[32];
	int rc, c, l;

	vg_strbuf_addf(&b, "%s", config);
	for (c = 0; c < 3; c++) {
		vg_strbuf_addf(&b, "\n[sim h%d]\nlines = 512\nnames =", c);
		for (l = 0; l < 512; l++) {
			huge_name(name, sizeof(name), c, l);
			vg_strbuf_addf(&b, " %s", name);
		}
		vg_strbuf_addf(&b, "\n");
	}
	vg_strbuf_addf(&b, "\n[domain huge]\nlines =");
	for (c = 0; c < 3; c++) {
		vg_strbuf_addf(&b, "%s h%d", c ? "," : "", c);
		for (l = 0; l < 512; l++) {
			huge_name(name, sizeof(name), c, l);
			vg_strbuf_addf(&b, " %s", name);
		}
	}
	vg_strbuf_addf(&b, "\n");
	/* A right per line: the worker's table then takes over 64 KiB. */
	for (c = 0; c < 3; c++)
		for (l = 0; l < 512; l++) {
			huge_name(name, sizeof(name), c, l);
			vg_strbuf_addf(&b, "line %s = allow=in\n", name);
		}
	if (b.rc)
		return -1;
	rc = start_text(state, b.s, NULL);
	free(b.s);
	return rc;
}

/* A worker ended by the syscall filter is reported as such. */
static void workers_filter_kill_is_reported(void **state)
{
	struct run *run = *state;
	pid_t a;
	int v;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0);
	/* What the kernel sends a process that breaks its seccomp filter. */
	assert_int_equal(kill(a, SIGSYS), 0);
	assert_true(wait_log(run, "(a call outside its syscall filter)"));
	assert_true(wait_sim(run, "out0", 1));
	assert_int_not_equal(vg_shim_get_value(run->alpha, 0, &v), 0);
}

/* The JSON status, its result in @r (the caller frees it). */
static const struct vg_json *status_json(struct run *run,
					 struct vg_ctlc_reply *r)
{
	struct vg_ctlc c = {.fd = -1, .timeout_ms = WAIT_MS};

	memset(r, 0, sizeof(*r));
	assert_int_equal(vg_ctlc_connect(&c, vg_drun_control(run->r)), 0);
	assert_int_equal(vg_ctlc_call(&c, "status", NULL, r), 0);
	vg_ctlc_close(&c);
	assert_true(r->ok);
	assert_non_null(r->result);
	return r->result;
}

/* Domain @name of a status result. */
static const struct vg_json *status_dom(const struct vg_json *res,
					const char *name)
{
	const struct vg_json *doms = vg_json_get_arr(res, "domains");
	unsigned int i;

	assert_non_null(doms);
	for (i = 0; i < doms->n; i++)
		if (!strcmp(vg_json_get_str(&doms->v[i], "name", ""), name))
			return &doms->v[i];
	fail_msg("no domain %s in status", name);
	return NULL;
}

static uint64_t requests(const struct vg_json *obj)
{
	uint64_t v = 0;

	assert_int_equal(vg_json_u64(vg_json_get(vg_json_get(obj, "counters"),
						 "requests"),
				     &v),
			 0);
	return v;
}

/* The loop device window of @domain in a status result, or NULL. */
static const struct vg_json *status_device(const struct vg_json *res,
					   const char *domain)
{
	const struct vg_json *devs = vg_json_get_arr(res, "devices");
	unsigned int i;

	assert_non_null(devs);
	for (i = 0; i < devs->n; i++)
		if (!strcmp(vg_json_get_str(&devs->v[i], "domain", ""), domain))
			return &devs->v[i];
	return NULL;
}

/*
 * status shows a worker-served domain as its worker sees it: connected,
 * the worker's counters and the values its guest set, its loop window;
 * in JSON and in text.
 */
static void workers_status_shows_the_workers_view(void **state)
{
	struct run *run = *state;
	const struct vg_json *res, *dom, *lines, *dev;
	struct vg_ctlc_reply r;
	struct vg_drun_dom st;
	uint64_t before, v;
	pid_t a;
	int i;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 1), 0);
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0);
	res = status_json(run, &r);
	dom = status_dom(res, "alpha");
	assert_true(vg_json_true(vg_json_get(dom, "connected")));
	assert_null(vg_json_get(dom, "worker_error"));
	assert_int_equal(vg_json_u64(vg_json_get(dom, "worker"), &v), 0);
	assert_int_equal(v, a);
	before = requests(dom);
	assert_true(before >= 2); /* SET_VALUE, SET_DIRECTION at least */
	lines = vg_json_get_arr(dom, "lines");
	assert_non_null(lines);
	assert_int_equal(lines->n, 2);
	assert_string_equal(vg_json_get_str(&lines->v[0], "direction", ""),
			    "out");
	assert_int_equal(vg_json_u64(vg_json_get(&lines->v[0], "value"), &v),
			 0);
	assert_int_equal(v, 1);
	assert_string_equal(vg_json_get_str(&lines->v[0], "chip", ""), "board");
	assert_string_equal(vg_json_get_str(&lines->v[0], "line", ""), "out0");
	/* Its window, from the worker, with the domain's counters. */
	dev = status_device(res, "alpha");
	assert_non_null(dev);
	assert_string_equal(vg_json_get_str(dev, "transport", ""), "loop");
	assert_true(vg_json_true(vg_json_get(dev, "attached")));
	assert_int_equal(requests(dev), before);
	/* beta has no guest, so no worker: the parent's view. */
	dom = status_dom(res, "beta");
	assert_false(vg_json_true(vg_json_get(dom, "connected")));
	assert_null(vg_json_get(dom, "worker"));
	assert_null(status_device(res, "beta"));
	vg_ctlc_reply_free(&r);

	/* Each request the guest makes is counted by its worker. */
	for (i = 0; i < 10; i++)
		assert_int_equal(vg_shim_set_value(run->alpha, 0, i & 1), 0);
	res = status_json(run, &r);
	dom = status_dom(res, "alpha");
	assert_int_equal(requests(dom), before + 10);
	lines = vg_json_get_arr(dom, "lines");
	assert_int_equal(vg_json_u64(vg_json_get(&lines->v[0], "value"), &v),
			 0);
	assert_int_equal(v, 1); /* the last one set: 9 & 1 */
	vg_ctlc_reply_free(&r);

	/* The text form, made from the same result. */
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_true(st.connected);
	assert_int_equal(st.requests, before + 10);
	assert_int_equal(st.lines, 2);
}

/*
 * A killed worker's domain reads disconnected, keeps the counters its
 * worker last reported, and the next worker's add to them.
 */
static void workers_status_after_a_worker_is_killed(void **state)
{
	struct run *run = *state;
	const struct vg_json *dom;
	struct vg_ctlc_reply r;
	struct vg_drun_dom st;
	pid_t a;
	uint64_t seen;
	int i;

	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(vg_shim_set_value(run->alpha, 0, 1), 0);
	dom = status_dom(status_json(run, &r), "alpha");
	assert_true(vg_json_true(vg_json_get(dom, "connected")));
	seen = requests(dom);
	assert_true(seen >= 5);
	vg_ctlc_reply_free(&r);

	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(a > 0); /* never kill(-1) */
	assert_int_equal(kill(a, SIGKILL), 0);
	assert_true(wait_log(run, "killed by signal 9"));
	dom = status_dom(status_json(run, &r), "alpha");
	assert_false(vg_json_true(vg_json_get(dom, "connected")));
	assert_null(vg_json_get(dom, "worker"));
	assert_null(vg_json_get(dom, "worker_error"));
	assert_int_equal(requests(dom), seen);
	assert_null(status_device(r.result, "alpha"));
	vg_ctlc_reply_free(&r);
	assert_int_equal(vg_drun_status(run->r, "alpha", &st), 0);
	assert_false(st.connected);
	assert_int_equal(st.requests, seen);

	/* A new worker: its counters add to what the domain had. */
	vg_shim_free(run->alpha);
	run->alpha = NULL;
	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_set_value(run->alpha, 0, 0), 0);
	dom = status_dom(status_json(run, &r), "alpha");
	assert_true(vg_json_true(vg_json_get(dom, "connected")));
	assert_true(requests(dom) > seen);
	vg_ctlc_reply_free(&r);
}

/* Workers as another user (root only: the parent must be able to). */
static int setup_user(void **state)
{
	static const char *const extra[] = {"--worker-user", "65534:65534",
					    NULL};

	return start(state, extra);
}

static void workers_run_as_the_worker_user(void **state)
{
	struct run *run = *state;
	char buf[64];
	pid_t a;

	if (geteuid()) {
		skip();
		return;
	}
	assert_int_equal(vg_drun_guest(run->r, "alpha", NULL, &run->alpha), 0);
	assert_int_equal(vg_shim_direction_output(run->alpha, 0, 0), 0);
	assert_true(wait_sim(run, "out0", 0));
	a = vg_drun_worker_pid(run->r, "alpha");
	assert_true(proc_field(a, "Uid", buf, sizeof(buf)));
	assert_string_equal(buf, "65534\t65534\t65534\t65534");
	assert_true(proc_field(a, "Gid", buf, sizeof(buf)));
	assert_string_equal(buf, "65534\t65534\t65534\t65534");
	assert_true(proc_field(a, "CapPrm", buf, sizeof(buf)));
	assert_string_equal(buf, "0000000000000000");
	assert_true(proc_field(a, "CapBnd", buf, sizeof(buf)));
	assert_string_equal(buf, "0000000000000000");
}

int main(void)
{
	/* These tests are about workers: never the in-process mode. */
	unsetenv("VGPIO_IN_PROCESS");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			workers_serve_each_domain_in_its_own_process, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			workers_killed_worker_takes_only_its_guest_down, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			workers_domain_emptied_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(
			workers_hung_worker_ended_by_status, setup, teardown),
		cmocka_unit_test_setup_teardown(
			workers_table_too_large_refused_cleanly, setup_huge,
			teardown),
		cmocka_unit_test_setup_teardown(workers_filter_kill_is_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			workers_status_shows_the_workers_view, setup, teardown),
		cmocka_unit_test_setup_teardown(
			workers_status_after_a_worker_is_killed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(workers_run_as_the_worker_user,
						setup_user, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
