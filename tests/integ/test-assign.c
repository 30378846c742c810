// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign, the built binary ($VGPIO_BUILD/vgpio-assign), run as a
 * subprocess on policies in a temp dir: edits and what they keep byte for
 * byte, invalid input refused with the file untouched, the read commands
 * in text and JSON, and the round trip with a running vgpiod: assign,
 * a guest uses the lines, revoke, a refused reload restores the file.
 * Sim chips only (no GPIO hardware here): the host-line probe is reached
 * through a chip that is neither a sim chip nor a host chip. The
 * domain's Xen device window: set, kept by line edits, removed, taken by
 * xl-config; device-add and device-remove up to the daemon (the Xen side
 * is tests/xen-fake/). Also vgpio-ctl, which shares vgpio-assign's
 * control client.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "daemon-run.h"
#include "devspec.h"
#include "json.h"
#include "shim.h"
#include "slurp.h"
#include "ssdt.h"
#include "tmpdir.h"

#define ARGS_MAX 24

static const char base[] =
	"# vgpio test policy: a board and two guests.\n"
	"[sim board]\n"
	"lines = 8\n"
	"names = out0 out1 in0 in1 spare0 spare1 spare2 spare3\n"
	"pull = out1 up\n"
	"\n"
	"# alpha drives out0.\n"
	"[domain alpha]\n"
	"lines = board out0\n"
	"line out0 = allow=out safe=low # the LED\n"
	"\n"
	"# beta reads in0.\n"
	"[domain beta]\n"
	"lines = board in0\n"
	"line in0 = allow=in,irq\n"
	"# trailing comment\n";

struct fx {
	char dir[128];
	char policy[192];
	char control[192]; /* no daemon unless a test starts one */
	char out_path[192], err_path[192];
	char *out, *err; /* the last run's stdout and stderr */
	char *before; /* a test's copy of a file, freed by teardown */
	struct vg_drun *r;
	struct vg_shim *g;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || vg_tmpdir_new(f->dir, sizeof(f->dir), "assign")) {
		free(f);
		return -1;
	}
	snprintf(f->policy, sizeof(f->policy), "%s/policy.conf", f->dir);
	snprintf(f->control, sizeof(f->control), "%s/control.sock", f->dir);
	snprintf(f->out_path, sizeof(f->out_path), "%s/out", f->dir);
	snprintf(f->err_path, sizeof(f->err_path), "%s/err", f->dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;

	vg_shim_free(f->g);
	if (f->r)
		rc = vg_drun_stop(f->r);
	vg_tmpdir_remove(f->dir);
	free(f->out);
	free(f->err);
	free(f->before);
	free(f);
	if (rc)
		print_error("vgpiod exited with status %d\n", rc);
	return rc ? -1 : 0;
}

static char *slurp(const char *path, size_t *len)
{
	char *buf = vg_slurp(path, len);

	assert_non_null(buf);
	return buf;
}

static void spew(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/*
 * Run $VGPIO_BUILD/@tool with -C CONTROL (and, for vgpio-assign, -c
 * POLICY) and then the NULL-terminated ARGS of @ap; its exit status,
 * stdout and stderr in f->out and f->err.
 */
static int vrun(struct fx *f, const char *tool, va_list ap)
{
	const char *build = getenv("VGPIO_BUILD");
	char bin[256];
	const char *argv[ARGS_MAX];
	int n = 0, status;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/%s", build ? build : "build", tool);
	argv[n++] = bin;
	if (!strcmp(tool, "vgpio-assign")) {
		argv[n++] = "-c";
		argv[n++] = f->r ? vg_drun_config(f->r) : f->policy;
	}
	argv[n++] = "-C";
	argv[n++] = f->r ? vg_drun_control(f->r) : f->control;
	while ((argv[n] = va_arg(ap, const char *)))
		assert_true(++n < ARGS_MAX);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int o = open(f->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(f->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 126);
	assert_int_not_equal(WEXITSTATUS(status), 127);
	free(f->out);
	free(f->err);
	f->out = slurp(f->out_path, NULL);
	f->err = slurp(f->err_path, NULL);
	return WEXITSTATUS(status);
}

/* vgpio-assign -c POLICY -C CONTROL ARGS... (NULL-terminated). */
static int run(struct fx *f, ...)
{
	va_list ap;
	int rc;

	va_start(ap, f);
	rc = vrun(f, "vgpio-assign", ap);
	va_end(ap);
	return rc;
}

/* vgpio-ctl -C CONTROL ARGS... (NULL-terminated). */
static int run_ctl(struct fx *f, ...)
{
	va_list ap;
	int rc;

	va_start(ap, f);
	rc = vrun(f, "vgpio-ctl", ap);
	va_end(ap);
	return rc;
}

static const char *policy_of(const struct fx *f)
{
	return f->r ? vg_drun_config(f->r) : f->policy;
}

/* No FILE.tmp.* left beside the policy. */
static void assert_no_temp(const struct fx *f)
{
	char dir[192];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", policy_of(f));
	*strrchr(dir, '/') = '\0';
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp.")) {
			print_error("temp file left: %s\n", de->d_name);
			fail();
		}
	closedir(d);
}

/* stderr is one "vgpio-assign: ..." line containing @want. */
static void assert_one_message(const struct fx *f, const char *want)
{
	if (!strstr(f->err, want))
		print_error("stderr: %s(wanted '%s')\n", f->err, want);
	assert_non_null(strstr(f->err, want));
	assert_memory_equal(f->err, "vgpio-assign: ", 14);
	assert_non_null(strchr(f->err, '\n'));
	assert_string_equal(strchr(f->err, '\n'), "\n");
}

static struct vg_config *load(const struct fx *f)
{
	struct vg_config *cfg = NULL;
	char err[256] = "";

	if (vg_config_load(policy_of(f), &cfg, err, sizeof(err)))
		print_error("%s\n", err);
	assert_non_null(cfg);
	return cfg;
}

/* --- a small JSON checker: the whole text is one well-formed value ------- */

static const char *js_ws(const char *p)
{
	return p + strspn(p, " \t\r\n");
}

static const char *js_value(const char *p, int depth);

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				if (strspn(p + 1, "0123456789abcdefABCDEF") < 4)
					return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *js_list(const char *p, char close, bool members, int depth)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (members) {
			p = js_string(js_ws(p));
			if (!p || *(p = js_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = js_value(p, depth + 1);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p, int depth)
{
	size_t n;

	p = js_ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{')
		return js_list(p, '}', true, depth);
	if (*p == '[')
		return js_list(p, ']', false, depth);
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	n = strspn(p, "-0123456789.eE+");
	return n ? p + n : NULL;
}

static void assert_json(const char *text)
{
	const char *end = js_value(text, 0);

	if (!end || *js_ws(end))
		print_error("not one JSON document: %s\n", text);
	assert_true(end && !*js_ws(end));
}

/* stdout as one JSON document, parsed (the caller frees it). */
static struct vg_json *parsed_out(const struct fx *f)
{
	struct vg_json *v = NULL;
	struct vg_json_err e;

	assert_json(f->out);
	if (vg_json_parse(f->out, strlen(f->out), VG_JSON_DEPTH_MAX, &v, &e))
		fail_msg("byte %zu: %s: %s", e.offset, e.msg, f->out);
	return v;
}

/* Element @i of the array @key of @obj. */
static const struct vg_json *elem(const struct vg_json *obj, const char *key,
				  unsigned int i)
{
	const struct vg_json *a = vg_json_get_arr(obj, key);

	assert_true(a && i < a->n);
	return &a->v[i];
}

/* The status domain called @name. */
static const struct vg_json *status_dom(const struct vg_json *st,
					const char *name)
{
	const struct vg_json *doms = vg_json_get(st, "domains");
	unsigned int i;

	assert_non_null(doms);
	for (i = 0; i < doms->n; i++)
		if (!strcmp(vg_json_get_str(&doms->v[i], "name", ""), name))
			return &doms->v[i];
	fail_msg("no domain %s in the status", name);
	return NULL;
}

/* --- editing ------------------------------------------------------------ */

static void assign_new_domain_then_show_and_list(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_domain *d;

	spew(f->policy, base);
	assert_int_equal(run(f, "assign", "gamma", "board out1 in1", NULL), 0);
	/* No daemon: a note, not an error. */
	assert_one_message(f, "takes effect when it starts");
	cfg = load(f);
	d = vg_config_domain(cfg, "gamma");
	assert_non_null(d);
	assert_int_equal(d->nlines, 2);
	assert_string_equal(d->lines[1].line, "in1");
	vg_config_free(cfg);

	assert_int_equal(run(f, "show", "gamma", NULL), 0);
	assert_non_null(strstr(f->out,
			       "0 board out1 name=out1 allow=in,out,irq "
			       "safe=input"));
	assert_non_null(strstr(f->out, "1 board in1 name=in1 "));
	assert_string_equal(f->err, "");
	assert_int_equal(run(f, "--json", "show", "gamma", NULL), 0);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "\"domain\":\"gamma\""));
	assert_non_null(strstr(f->out, "{\"index\":1,\"chip\":\"board\","
				       "\"line\":\"in1\",\"name\":\"in1\","
				       "\"allow\":[\"in\",\"out\",\"irq\"],"
				       "\"safe\":\"input\""));

	assert_int_equal(run(f, "list", NULL), 0);
	assert_string_equal(f->out, "alpha 1\nbeta 1\ngamma 2\n");
	assert_int_equal(run(f, "list", "--json", NULL), 0);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "{\"name\":\"gamma\",\"lines\":2}"));
	assert_non_null(strstr(f->out, "{\"name\":\"alpha\",\"lines\":1}"));
}

static void assign_existing_domain_appends(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_domain *d;

	spew(f->policy, base);
	assert_int_equal(run(f, "assign", "alpha", "board spare0", NULL), 0);
	assert_int_equal(run(f, "assign", "alpha", "board 5, board in1", NULL),
			 0);
	cfg = load(f);
	d = vg_config_domain(cfg, "alpha");
	assert_int_equal(d->nlines, 4);
	assert_string_equal(d->lines[0].line, "out0");
	assert_string_equal(d->lines[1].line, "spare0");
	assert_string_equal(d->lines[2].line, "5");
	assert_string_equal(d->lines[3].line, "in1");
	/* The kept line kept its options. */
	assert_int_equal(d->lines[0].allow, VG_ALLOW_OUT);
	assert_int_equal(d->lines[0].safe, VG_SAFE_LOW);
	assert_int_equal(d->lines[3].allow, VG_ALLOW_ALL);
	vg_config_free(cfg);
}

static void assign_replace_replaces_set(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_domain *d;

	spew(f->policy, base);
	assert_int_equal(run(f, "assign", "alpha", "board spare1 out0",
			     "--replace", NULL),
			 0);
	cfg = load(f);
	d = vg_config_domain(cfg, "alpha");
	assert_int_equal(d->nlines, 2);
	assert_string_equal(d->lines[0].line, "spare1");
	assert_int_equal(d->lines[0].safe, VG_SAFE_INPUT);
	/* A line that stays keeps its options. */
	assert_string_equal(d->lines[1].line, "out0");
	assert_int_equal(d->lines[1].safe, VG_SAFE_LOW);
	assert_int_equal(vg_config_domain(cfg, "beta")->nlines, 1);
	vg_config_free(cfg);
}

static void assign_line_options_land_in_file(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_line *l;
	char *text;

	spew(f->policy, base);
	assert_int_equal(
		run(f, "assign", "alpha", "board spare2 spare3", "--line",
		    "spare2 name=lamp allow=out,irq safe=high "
		    "bias=pull-down drive=open-drain active-low=yes "
		    "debounce=250",
		    "--line=2 = allow=in", "--line", "0 safe=high", NULL),
		0);
	text = slurp(f->policy, NULL);
	assert_non_null(strstr(text, "line 1 = name=lamp allow=out,irq "
				     "safe=high bias=pull-down "
				     "drive=open-drain active-low=yes "
				     "debounce=250\n"));
	free(text);
	cfg = load(f);
	l = vg_config_domain(cfg, "alpha")->lines;
	/* --line sets a line's options: the ones not given are defaults. */
	assert_int_equal(l[0].allow, VG_ALLOW_ALL);
	assert_int_equal(l[0].safe, VG_SAFE_HIGH);
	assert_string_equal(l[1].name, "lamp");
	assert_int_equal(l[1].allow, VG_ALLOW_OUT | VG_ALLOW_IRQ);
	assert_int_equal(l[1].safe, VG_SAFE_HIGH);
	assert_int_equal(l[1].bias, VG_BIAS_PULL_DOWN);
	assert_int_equal(l[1].drive, VG_DRIVE_OPEN_DRAIN);
	assert_true(l[1].active_low);
	assert_int_equal(l[1].debounce_us, 250);
	assert_int_equal(l[2].allow, VG_ALLOW_IN);
	assert_int_equal(l[2].safe, VG_SAFE_INPUT);
	vg_config_free(cfg);
}

static void assign_revoke_some_lines_then_domain(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_domain *d;
	char *text;

	spew(f->policy, base);
	assert_int_equal(run(f, "assign", "alpha", "board spare0 spare1",
			     "--line", "spare1 allow=in", NULL),
			 0);
	/* By offset: the line as the domain wrote it is spare0. */
	assert_int_equal(run(f, "revoke", "alpha", "board 4", NULL), 0);
	cfg = load(f);
	d = vg_config_domain(cfg, "alpha");
	assert_int_equal(d->nlines, 2);
	assert_string_equal(d->lines[0].line, "out0");
	assert_int_equal(d->lines[0].safe, VG_SAFE_LOW);
	assert_string_equal(d->lines[1].line, "spare1");
	assert_int_equal(d->lines[1].allow, VG_ALLOW_IN);
	vg_config_free(cfg);

	assert_int_equal(run(f, "revoke", "alpha", NULL), 0);
	cfg = load(f);
	assert_null(vg_config_domain(cfg, "alpha"));
	assert_non_null(vg_config_domain(cfg, "beta"));
	vg_config_free(cfg);
	text = slurp(f->policy, NULL);
	assert_null(strstr(text, "[domain alpha]"));
	assert_non_null(strstr(text, "# alpha drives out0.\n\n# beta reads"));
	free(text);
	assert_int_equal(run(f, "revoke", "alpha", NULL), 2);
	assert_one_message(f, "domain alpha: not in");
}

/* Everything outside the edited section stays byte for byte. */
static void assign_keeps_comments_and_other_sections(void **state)
{
	struct fx *f = *state;
	size_t head = (size_t)(strstr(base, "[domain alpha]") - base);
	const char *tail = "# trailing comment\n";
	char *text;
	size_t len;

	spew(f->policy, base);
	assert_int_equal(run(f, "assign", "alpha", "board spare0", NULL), 0);
	text = slurp(f->policy, &len);
	assert_memory_equal(text, base, head);
	assert_string_equal(strstr(text, "[domain alpha]"),
			    "[domain alpha]\nlines = board out0 spare0\n"
			    "line 0 = allow=out safe=low\n"
			    "\n# beta reads in0.\n[domain beta]\n"
			    "lines = board in0\nline in0 = allow=in,irq\n"
			    "# trailing comment\n");
	free(text);

	/* The last section: the comment after it stays after it. */
	assert_int_equal(run(f, "assign", "beta", "board in1", NULL), 0);
	text = slurp(f->policy, &len);
	assert_memory_equal(text, base, head);
	assert_string_equal(strstr(text, "[domain beta]"),
			    "[domain beta]\nlines = board in0 in1\n"
			    "line 0 = allow=in,irq\n# trailing comment\n");
	assert_true(len > strlen(tail));
	free(text);
}

struct bad {
	const char *why; /* in the message */
	const char *args[8];
};

static void assign_invalid_input_changes_nothing(void **state)
{
	static const struct bad bad[] = {
		{"expected a chip", {"assign", "alpha", "board out1,"}},
		{"has no lines", {"assign", "alpha", "board"}},
		{"line set 'board out1 = 2'",
		 {"assign", "alpha", "board out1 = 2"}},
		{"no line 'nope' on sim board",
		 {"assign", "alpha", "board nope"}},
		{"already in domain beta", {"assign", "alpha", "board 2"}},
		{"line board 0: already in domain alpha",
		 {"assign", "alpha", "board 0"}},
		{"listed twice", {"assign", "alpha", "board 4 spare0"}},
		{"duplicate guest name 'out0'",
		 {"assign", "alpha", "board spare0", "--line",
		  "spare0 name=out0"}},
		{"chip nochip", {"assign", "alpha", "nochip 0"}},
		{"unknown option 'colour'",
		 {"assign", "alpha", "board spare0", "--line",
		  "spare0 colour=red"}},
		{"line breaks are not allowed",
		 {"assign", "alpha", "board spare0\n[sim x]"}},
		{"domain name 'a b'", {"assign", "a b", "board spare0"}},
		{"not in this domain", {"revoke", "alpha", "board in0"}},
		{"not in", {"revoke", "nobody"}},
		{"not in", {"show", "nobody"}},
		{"unknown command", {"frobnicate"}},
	};
	struct fx *f = *state;
	unsigned int i;
	char *text;
	size_t len;

	spew(f->policy, base);
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		const char *const *a = bad[i].args;

		print_message("  %s\n", bad[i].why);
		assert_int_equal(
			run(f, a[0], a[1], a[2], a[3], a[4], a[5], NULL), 2);
		if (!strcmp(a[0], "frobnicate"))
			assert_non_null(strstr(f->err, bad[i].why));
		else
			assert_one_message(f, bad[i].why);
		text = slurp(f->policy, &len);
		assert_int_equal(len, strlen(base));
		assert_string_equal(text, base);
		free(text);
		assert_no_temp(f);
	}
}

static void assign_offline_accepts_unknown_chip(void **state)
{
	struct fx *f = *state;
	struct vg_config *cfg;

	spew(f->policy, base);
	assert_int_equal(
		run(f, "assign", "gamma", "nochip 3", "--offline", NULL), 0);
	cfg = load(f);
	assert_string_equal(vg_config_domain(cfg, "gamma")->lines[0].chip,
			    "nochip");
	vg_config_free(cfg);
	/* check probes it: a problem, reported in both forms. */
	assert_int_equal(run(f, "check", NULL), 1);
	assert_non_null(strstr(f->out, "domain gamma: chip nochip"));
	assert_int_equal(run(f, "check", "--json", NULL), 1);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "\"ok\":false"));
	assert_non_null(strstr(f->out, "\"domain\":\"gamma\",\"chip\":"
				       "\"nochip\",\"line\":\"3\""));
}

static void assign_check_clean_policy_ok(void **state)
{
	struct fx *f = *state;

	spew(f->policy, base);
	assert_int_equal(run(f, "check", NULL), 0);
	assert_non_null(strstr(f->out, ": ok"));
	assert_int_equal(run(f, "--json", "check", NULL), 0);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "\"problems\":[],\"ok\":true"));
	/* A file the parser refuses is a problem too. */
	spew(f->policy, "[domain x]\nlines = board 1\n[domain x]\n");
	assert_int_equal(run(f, "check", "--json", NULL), 1);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "duplicate section [domain x]"));
}

/* A policy error is a file, a line, a column and a message, in JSON too. */
static void assign_policy_error_json_has_position(void **state)
{
	struct fx *f = *state;
	const struct vg_json *e;
	struct vg_json *v;
	char want[256];

	spew(f->policy, "[domain x]\nlines = board 1\n[domain x]\n");
	assert_int_equal(run(f, "--json", "check", NULL), 1);
	v = parsed_out(f);
	e = elem(v, "problems", 0);
	assert_string_equal(vg_json_get_str(e, "file", ""), f->policy);
	assert_int_equal(vg_json_get_u64(e, "line", 0), 3);
	assert_int_equal(vg_json_get_u64(e, "column", 0), 9);
	assert_non_null(strstr(vg_json_get_str(e, "message", ""),
			       "duplicate section [domain x]"));
	assert_false(vg_json_true(vg_json_get(v, "ok")));
	vg_json_free(v);
	/* The human form is the same error, as FILE:LINE:COL: message. */
	snprintf(want, sizeof(want), "%s:3:9: duplicate section", f->policy);
	assert_int_equal(run(f, "check", NULL), 1);
	assert_non_null(strstr(f->out, want));
	assert_int_equal(run(f, "list", NULL), 1);
	assert_one_message(f, want);
	assert_string_equal(f->out, "");
	assert_int_equal(run(f, "list", "--json", NULL), 1);
	assert_one_message(f, want);
	v = parsed_out(f);
	e = vg_json_get(v, "error");
	assert_int_equal(vg_json_get_u64(e, "line", 0), 3);
	assert_int_equal(vg_json_get_u64(e, "column", 0), 9);
	vg_json_free(v);
	/* A file that cannot be read has no position. */
	unlink(f->policy);
	assert_int_equal(run(f, "show", "x", "--json", NULL), 1);
	v = parsed_out(f);
	e = vg_json_get(v, "error");
	assert_string_equal(vg_json_get_str(e, "file", ""), f->policy);
	assert_int_equal(vg_json_get(e, "line")->type, VG_JSON_NULL);
	assert_string_equal(vg_json_get_str(e, "message", ""),
			    "No such file or directory");
	vg_json_free(v);
}

/* -f and --policy, the old spelling of -c, still name the policy. */
static void assign_old_policy_option_still_works(void **state)
{
	struct fx *f = *state;
	char other[256];

	spew(f->policy, "[domain zeta]\nlines = board 1\n");
	/* Each overrides the -c that run() gives: a missing file fails. */
	snprintf(other, sizeof(other), "%s/none.conf", f->dir);
	assert_int_equal(run(f, "-f", other, "list", NULL), 1);
	assert_one_message(f, "none.conf: No such file or directory");
	assert_int_equal(run(f, "--policy", f->policy, "list", NULL), 0);
	assert_string_equal(f->out, "zeta 1\n");
	/* One option under two names: the last one given counts. */
	assert_int_equal(
		run(f, "--config", other, "-f", f->policy, "list", NULL), 0);
	assert_string_equal(f->out, "zeta 1\n");
}

static void assign_status_without_daemon_exits_3(void **state)
{
	struct fx *f = *state;

	spew(f->policy, base);
	assert_int_equal(run(f, "status", NULL), 3);
	assert_one_message(f, "control.sock");
	assert_string_equal(f->out, "");
}

/* --- xl-config ------------------------------------------------------------ */

/* The table of @window, @irq as the encoder writes it, in @t; its length. */
static size_t want_table(uint64_t window, unsigned int irq, uint8_t *t)
{
	const struct vg_ssdt_dev d = {
		.base = window, .size = 0x200, .irq = irq};
	int n = vg_ssdt_build(&d, t, VG_SSDT_MAX);

	assert_true(n > 0);
	return (size_t)n;
}

static void assert_file_bytes(const char *path, const uint8_t *t, size_t n)
{
	size_t len;
	char *got = slurp(path, &len);

	assert_int_equal(len, n);
	assert_memory_equal(got, t, n);
	free(got);
}

static void xlconfig_arm_prints_virtio_entry(void **state)
{
	struct fx *f = *state;
	struct vg_json *v;

	spew(f->policy, base);
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "arm", NULL),
			 0);
	assert_string_equal(f->err, "");
	assert_string_equal(f->out,
			    "# vgpio: domain alpha, a virtio-gpio device with "
			    "1 line\n"
			    "virtio = [ \"type=virtio,device29,transport=mmio,"
			    "grant_usage=1\" ]\n");
	assert_int_equal(run(f, "--json", "xl-config", "alpha", "--arch=arm64",
			     "--grants", "0", NULL),
			 0);
	v = parsed_out(f);
	assert_string_equal(vg_json_get_str(v, "arch", ""), "arm");
	assert_int_equal(vg_json_get_u64(v, "lines", 0), 1);
	assert_string_equal(vg_json_str(elem(v, "xl", 0)),
			    "virtio = [ \"type=virtio,device29,"
			    "transport=mmio,grant_usage=0\" ]");
	assert_int_equal(vg_json_get(v, "table")->type, VG_JSON_NULL);
	assert_int_equal(vg_json_get(v, "device")->type, VG_JSON_NULL);
	vg_json_free(v);
}

static void xlconfig_x86_writes_table_and_device(void **state)
{
	struct fx *f = *state;
	uint8_t t[VG_SSDT_MAX];
	char table[256], want[1024];
	size_t n;

	spew(f->policy, base);
	snprintf(table, sizeof(table), "%s/beta.aml", f->dir);
	assert_int_equal(run(f, "xl-config", "beta", "--arch", "x86", "--table",
			     table, NULL),
			 0);
	assert_string_equal(f->err, "");
	snprintf(want, sizeof(want),
		 "# vgpio: domain beta, a virtio-gpio device with 1 line\n"
		 "# x86 HVM (type = \"hvm\"): window 0xfe000000, ISA IRQ 3, "
		 "described by the ACPI table below.\n"
		 "# Serve it to every domain beta from its creation:\n"
		 "#   vgpio-assign xen-device beta base=0xfe000000 irq=3 "
		 "irqtype=isa\n"
		 "# or to one domain that runs: vgpio-assign device-add "
		 "domid=DOMID,base=0xfe000000,irq=3,irqtype=isa\n"
		 "# (DOMID: the domain's ID once created, xl domid beta)\n"
		 "acpi_firmware = \"%s\"\n",
		 table);
	assert_string_equal(f->out, want);
	n = want_table(0xfe000000, 3, t);
	assert_file_bytes(table, t, n);
	{
		struct stat st;

		assert_int_equal(stat(table, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
	}
	assert_no_temp(f);
}

/* Options, JSON, and the --device SPEC that vgpiod's own parser takes. */
static void xlconfig_x86_options_and_json(void **state)
{
	struct fx *f = *state;
	uint8_t t[VG_SSDT_MAX];
	struct vg_devspec d;
	const struct vg_json *dev;
	struct vg_json *v;
	char table[200], err[256];
	size_t n;

	spew(f->policy, base);
	snprintf(table, sizeof(table), "%s/alpha.aml", f->dir);
	assert_int_equal(run(f, "--json", "xl-config", "alpha", "--arch",
			     "x86_64", "--base", "0xfebff800", "--irq", "13",
			     "--grants=1", "--domid", "9", "--table", table,
			     NULL),
			 0);
	assert_string_equal(f->err, "");
	v = parsed_out(f);
	assert_string_equal(vg_json_get_str(v, "domain", ""), "alpha");
	assert_string_equal(vg_json_get_str(v, "arch", ""), "x86");
	assert_string_equal(vg_json_get_str(v, "table", ""), table);
	dev = vg_json_get(v, "device");
	assert_non_null(dev);
	assert_int_equal(vg_json_get_u64(dev, "domid", 0), 9);
	assert_int_equal(vg_json_get_u64(dev, "base", 0), 0xfebff800);
	assert_int_equal(vg_json_get_u64(dev, "size", 0), 0x200);
	assert_int_equal(vg_json_get_u64(dev, "irq", 0), 13);
	assert_string_equal(vg_json_get_str(dev, "irqtype", ""), "isa");
	assert_true(vg_json_true(vg_json_get(dev, "grants")));
	assert_string_equal(vg_json_get_str(v, "vgpiod_device", ""),
			    "domid=9,base=0xfebff800,irq=13,irqtype=isa,"
			    "grants=1");
	assert_int_equal(
		vg_devspec_parse(vg_json_get_str(v, "vgpiod_device", ""), &d,
				 err, sizeof(err)),
		0);
	assert_int_equal(d.domid, 9);
	assert_true(d.base == 0xfebff800 && d.irq == 13 && d.grants);
	assert_int_equal(d.irq_kind, VG_IRQ_ISA);
	assert_int_equal(vg_json_get_arr(v, "warnings")->n, 0);
	snprintf(err, sizeof(err), "acpi_firmware = \"%s\"", table);
	assert_string_equal(vg_json_str(elem(v, "xl", 0)), err);
	vg_json_free(v);
	n = want_table(0xfebff800, 13, t);
	assert_file_bytes(table, t, n);
}

/* docs/xen.md: an emulated device's IRQ warns, the firmware's refuses. */
static void xlconfig_x86_isa_irq_check(void **state)
{
	struct fx *f = *state;
	char table[256];
	struct vg_json *v;

	spew(f->policy, base);
	snprintf(table, sizeof(table), "%s/t.aml", f->dir);
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86", "--irq",
			     "4", "--table", table, NULL),
			 0);
	assert_one_message(f, "--irq 4: the first serial port uses it");
	assert_non_null(strstr(f->out, "irq=4,irqtype=isa"));
	assert_int_equal(run(f, "--json", "xl-config", "alpha", "--arch", "x86",
			     "--irq", "12", "--table", table, NULL),
			 0);
	v = parsed_out(f);
	assert_non_null(
		strstr(vg_json_str(elem(v, "warnings", 0)), "the PS/2 mouse"));
	vg_json_free(v);
	assert_int_equal(unlink(table), 0);

	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86", "--irq",
			     "5", "--table", table, NULL),
			 2);
	assert_one_message(f, "--irq 5: an HVM guest's firmware routes it to "
			      "a PCI interrupt link");
	assert_string_equal(f->out, "");
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86", "--irq",
			     "9", "--table", table, NULL),
			 2);
	assert_one_message(f, "the ACPI SCI");
	assert_int_equal(access(table, F_OK), -1);
}

static void xlconfig_refuses_bad_input(void **state)
{
	static const struct {
		const char *args[6], *msg;
	} bad[] = {
		{{"gamma", "--arch", "arm"}, "domain gamma: no lines in"},
		{{"alpha", "--arch", "mips"}, "--arch mips: not x86 or arm"},
		{{"alpha", "--arch", "arm", "--irq", "33"},
		 "are for --arch x86"},
		{{"alpha", "--arch", "x86", "--irq", "16"},
		 "--irq 16: not an ISA IRQ"},
		{{"alpha", "--arch", "x86", "--irq", "03"},
		 "irq=03: bad value"},
		{{"alpha", "--arch", "x86", "--base", "0xfe000100"},
		 "multiple of 0x200"},
		{{"alpha", "--arch", "x86", "--base", "0xfffffffe00"},
		 "below 4 GiB"},
		{{"alpha", "--arch", "x86", "--grants", "yes"},
		 "grants=yes: bad value"},
		{{"alpha", "--arch", "x86", "--domid", "0"}, "domid=0"},
		{{"alpha", "--arch", "x86", "--table", "a\"b"},
		 "xl cannot quote"},
		{{"alpha", "--arch", "x86", "--speed", "9"},
		 "unknown option '--speed'"},
		{{"alpha", "beta"}, "unexpected argument 'beta'"},
		{{"--arch", "x86"}, "xl-config needs DOMAIN"},
		{{"alpha", "--irq"}, "--irq needs a value"},
	};
	struct fx *f = *state;
	char table[256];
	unsigned int i;

	spew(f->policy, base);
	snprintf(table, sizeof(table), "%s/t.aml", f->dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *a = bad[i].args;
		const char *t1 = NULL, *t2 = NULL;
		unsigned int k;

		/* An x86 table would go to the temp dir, never elsewhere. */
		for (k = 0; k < 6 && a[k]; k++)
			if (!strcmp(a[k], "x86")) {
				t1 = "--table";
				t2 = table;
			}
		if (t1 && strstr(bad[i].msg, "quote"))
			t1 = t2 = NULL;
		/* run() stops at the first NULL. */
		assert_int_equal(run(f, "xl-config", a[0], a[1], a[2], a[3],
				     a[4], a[5], t1, t2, NULL),
				 2);
		if (!strstr(f->err, bad[i].msg))
			fail_msg("args %u: stderr '%s' lacks '%s'", i, f->err,
				 bad[i].msg);
		assert_int_equal(access(table, F_OK), -1);
	}
	/* A policy that does not parse is exit 1, as for show. */
	spew(f->policy, "[domain x]\nlines = board 1\n[domain x]\n");
	assert_int_equal(run(f, "xl-config", "x", "--arch", "arm", NULL), 1);
	assert_non_null(strstr(f->err, "duplicate section"));
}

/*
 * The domain's window in the policy: xl-config takes it (and the table
 * says the same), options that disagree are refused, JSON says so.
 */
static void xlconfig_x86_uses_policy_window(void **state)
{
	struct fx *f = *state;
	uint8_t t[VG_SSDT_MAX];
	struct vg_json *v;
	char table[256], want[1024];
	size_t n;

	spew(f->policy, base);
	snprintf(table, sizeof(table), "%s/alpha.aml", f->dir);
	assert_int_equal(run(f, "xen-device", "alpha", "base=0xfe000400",
			     "irq=13", "grants=1", NULL),
			 0);
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86",
			     "--table", table, NULL),
			 0);
	assert_string_equal(f->err, "");
	snprintf(want, sizeof(want),
		 "# vgpio: domain alpha, a virtio-gpio device with 1 line\n"
		 "# x86 HVM (type = \"hvm\"): window 0xfe000400, ISA IRQ 13, "
		 "described by the ACPI table below.\n"
		 "# vgpiod serves it to every domain alpha from its creation: "
		 "the policy's\n"
		 "#   xen-device = base=0xfe000400 irq=13 irqtype=isa "
		 "grants=1\n"
		 "acpi_firmware = \"%s\"\n",
		 table);
	assert_string_equal(f->out, want);
	n = want_table(0xfe000400, 13, t);
	assert_file_bytes(table, t, n);
	/* Options may repeat the policy, not contradict it. */
	assert_int_equal(run(f, "--json", "xl-config", "alpha", "--arch", "x86",
			     "--irq", "13", "--base", "0xfe000400", "--table",
			     table, NULL),
			 0);
	v = parsed_out(f);
	assert_true(vg_json_true(vg_json_get(v, "in_policy")));
	assert_string_equal(vg_json_get_str(v, "xen_device", ""),
			    "base=0xfe000400 irq=13 irqtype=isa grants=1");
	assert_true(
		vg_json_true(vg_json_get(vg_json_get(v, "device"), "grants")));
	vg_json_free(v);
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86", "--irq",
			     "3", "--table", table, NULL),
			 2);
	assert_one_message(f, "--irq 3: the policy gives domain alpha irq=13");
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86",
			     "--grants", "0", "--table", table, NULL),
			 2);
	assert_one_message(f, "the policy gives domain alpha grants=1");
	/* An SPI window is no x86 window. */
	assert_int_equal(run(f, "xen-device", "alpha", "base=0x2000000",
			     "irq=33", "irqtype=spi", NULL),
			 0);
	assert_int_equal(run(f, "xl-config", "alpha", "--arch", "x86",
			     "--table", table, NULL),
			 2);
	assert_one_message(f, "its xen-device has a GIC SPI");
}

/* --- the policy's Xen device window --------------------------------------- */

/*
 * xen-device sets, replaces and removes the key in the domain's section
 * (the rest of the file byte for byte); assign and revoke keep it; bad
 * values change nothing and say what is wrong.
 */
static void assign_xen_device_set_kept_removed(void **state)
{
	static const struct {
		const char *args[4], *msg;
	} bad[] = {
		{{"alpha", "base=0xfe000000", "irq=5"},
		 "xen-device 'base=0xfe000000 irq=5': irq=5: an HVM guest's "
		 "firmware routes ISA IRQ 5"},
		{{"alpha", "base=0xfe000000", "irq=3", "domid=4"},
		 "no domid here"},
		{{"alpha", "base=0xfe000000"}, "xen-device needs irq="},
		{{"alpha", "irq=3", "base=0x10"}, "multiple of 0x200"},
		{{"alpha", "base=0", "irq=3", "colour=red"},
		 "unknown xen-device option 'colour'"},
		{{"gamma", "base=0", "irq=3"}, "domain gamma: not in"},
		{{"beta", "--remove"}, "domain beta: has no xen-device"},
		{{"alpha"}, "needs KEY=VALUE options or --remove"},
		{{"alpha", "--json"}, "unknown option '--json'"},
	};
	struct fx *f = *state;
	struct vg_config *cfg;
	const struct vg_config_domain *d;
	char *after;
	unsigned int i;

	spew(f->policy, base);
	assert_int_equal(run(f, "xen-device", "alpha", "base=0xfe000000",
			     "irq=3", "irqtype=isa", NULL),
			 0);
	after = slurp(f->policy, NULL);
	/* Only alpha's section changed: its window after its lines. */
	assert_non_null(strstr(after, "[domain alpha]\n"
				      "lines = board out0\n"
				      "xen-device = base=0xfe000000 irq=3 "
				      "irqtype=isa\n"
				      "line 0 = allow=out safe=low\n"
				      "\n# beta reads in0.\n"));
	assert_non_null(strstr(after, "line in0 = allow=in,irq\n"
				      "# trailing comment\n"));
	free(after);
	assert_int_equal(run(f, "show", "alpha", NULL), 0);
	assert_non_null(strstr(f->out, "\nxen-device base=0xfe000000 irq=3 "
				       "irqtype=isa grants=0\n"));
	/* Edits of the lines keep it. */
	assert_int_equal(run(f, "assign", "alpha", "board out1", NULL), 0);
	assert_int_equal(run(f, "revoke", "alpha", "board out0", NULL), 0);
	assert_int_equal(
		run(f, "assign", "alpha", "board spare0", "--replace", NULL),
		0);
	cfg = load(f);
	d = vg_config_domain(cfg, "alpha");
	assert_int_equal(d->nlines, 1);
	assert_true(d->has_xen_device);
	assert_true(d->xen_device.base == 0xfe000000);
	assert_int_equal(d->xen_device.irq_kind, VG_IRQ_ISA);
	vg_config_free(cfg);
	/* Replaced, then bad values: nothing changes. */
	assert_int_equal(run(f, "xen-device", "alpha", "irq=13", "grants=1",
			     "base=4261413376", NULL),
			 0);
	free(f->before);
	f->before = slurp(f->policy, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *a = bad[i].args;

		assert_int_equal(
			run(f, "xen-device", a[0], a[1], a[2], a[3], NULL), 2);
		if (!strstr(f->err, bad[i].msg))
			fail_msg("case %u: stderr '%s' lacks '%s'", i, f->err,
				 bad[i].msg);
		after = slurp(f->policy, NULL);
		assert_string_equal(after, f->before);
		free(after);
	}
	assert_int_equal(run(f, "--json", "show", "alpha", NULL), 0);
	{
		struct vg_json *v = parsed_out(f);
		const struct vg_json *x = vg_json_get(v, "xen_device");

		assert_int_equal(vg_json_get_u64(x, "base", 0), 0xfe000200);
		assert_int_equal(vg_json_get_u64(x, "irq", 0), 13);
		assert_int_equal(vg_json_get(x, "irqtype")->type, VG_JSON_NULL);
		assert_true(vg_json_true(vg_json_get(x, "grants")));
		vg_json_free(v);
	}
	assert_int_equal(run(f, "xen-device", "alpha", "--remove", NULL), 0);
	cfg = load(f);
	assert_false(vg_config_domain(cfg, "alpha")->has_xen_device);
	vg_config_free(cfg);
	/* Revoking every line takes the section, window and all: said. */
	assert_int_equal(
		run(f, "xen-device", "alpha", "base=0", "irq=13", NULL), 0);
	assert_int_equal(run(f, "revoke", "alpha", NULL), 0);
	assert_non_null(strstr(f->err, "its xen-device goes with its section"));
	cfg = load(f);
	assert_null(vg_config_domain(cfg, "alpha"));
	vg_config_free(cfg);
}

/*
 * device-add and device-remove: vgpiod's SPEC rules checked first (exit
 * 2, nothing sent), no daemon is exit 3, a daemon without the Xen
 * transport refuses (exit 1, its message).
 */
static void assign_device_add_remove_errors(void **state)
{
	struct fx *f = *state;

	spew(f->policy, base);
	assert_int_equal(run(f, "device-add", "domid=3,base=0x100,irq=3", NULL),
			 2);
	assert_one_message(f, "multiple of 0x200");
	assert_int_equal(run(f, "device-remove", "domid=3", NULL), 2);
	assert_one_message(f, "missing base=");
	assert_int_equal(
		run(f, "device-remove", "domid=3,base=0xfe000000,irq=3", NULL),
		2);
	assert_one_message(f, "unknown key 'irq' (domid, base)");
	assert_int_equal(run(f, "device-add", NULL), 2);
	assert_non_null(strstr(f->err, "need SPEC"));
	assert_int_equal(run(f, "device-add",
			     "domid=3,base=0xfe000000,irq=3,irqtype=isa", NULL),
			 3);
	assert_one_message(f, "is vgpiod running?");

	assert_int_equal(vg_drun_start(base, NULL, &f->r), 0);
	assert_int_equal(run(f, "device-add",
			     "domid=3,base=0xfe000000,irq=3,irqtype=isa", NULL),
			 1);
	assert_one_message(f, "device add: no transport here adds device "
			      "windows");
	assert_int_equal(
		run(f, "device-remove", "domid=3,base=0xfe000000", NULL), 1);
	assert_one_message(f, "device remove: no transport here");
	assert_int_equal(
		run_ctl(f, "device", "add", "domid=3,base=0,irq=3", NULL), 1);
	assert_non_null(strstr(f->err, "no transport here adds device"));
}

/* --- with vgpiod -------------------------------------------------------- */

static void daemon_start(struct fx *f)
{
	assert_int_equal(vg_drun_start(base, NULL, &f->r), 0);
}

static int sim_get(struct fx *f, const char *line)
{
	int v = -1;

	assert_int_equal(vg_drun_sim_get(f->r, "board", line, &v), 0);
	return v;
}

static void assign_daemon_round_trip(void **state)
{
	struct fx *f = *state;
	const struct vg_json *dom, *line, *dev;
	struct vg_json *st;
	int v;

	daemon_start(f);
	assert_int_equal(vg_drun_guest(f->r, "alpha", NULL, &f->g), 0);
	assert_int_equal(vg_shim_ngpio(f->g), 1);

	assert_int_equal(run(f, "assign", "alpha", "board out1 in1", "--line",
			     "out1 allow=out safe=low", NULL),
			 0);
	assert_non_null(strstr(f->out, "added 2 revoked 0 deferred 1"));
	/* The connected guest sees the lines after a device reset. */
	assert_int_equal(vg_shim_ngpio(f->g), 1);
	assert_int_equal(run(f, "--json", "status", NULL), 0);
	st = parsed_out(f);
	assert_true(
		vg_json_true(vg_json_get(status_dom(st, "alpha"), "pending")));
	vg_json_free(st);
	assert_int_equal(vg_shim_reset(f->g), 0);
	assert_int_equal(vg_shim_probe(f->g), 0);
	assert_int_equal(vg_shim_ngpio(f->g), 3);
	assert_string_equal(vg_shim_line_name(f->g, 1), "out1");
	assert_int_equal(vg_shim_direction_output(f->g, 1, 1), 0);
	assert_int_equal(sim_get(f, "out1"), 1);
	assert_int_equal(vg_drun_sim_set(f->r, "board", "in1", 1), 0);
	assert_int_equal(vg_shim_set_direction(f->g, 2, VG_GPIO_DIRECTION_IN),
			 0);
	assert_int_equal(vg_shim_get_value(f->g, 2, &v), 0);
	assert_int_equal(v, 1);

	assert_int_equal(run(f, "revoke", "alpha", "board out1", NULL), 0);
	assert_non_null(strstr(f->out, "revoked 1"));
	/* Held at its safe value: low, though the board pulls it up. */
	assert_int_equal(sim_get(f, "out1"), 0);
	assert_int_equal(vg_shim_set_value(f->g, 1, 1), -EIO);
	assert_int_equal(sim_get(f, "out1"), 0);
	/* Other lines still work. */
	assert_int_equal(vg_shim_get_value(f->g, 2, &v), 0);
	assert_int_equal(run(f, "status", "--json", NULL), 0);
	st = parsed_out(f);
	dom = status_dom(st, "alpha");
	assert_true(vg_json_true(vg_json_get(dom, "connected")));
	line = elem(dom, "lines", 1);
	assert_int_equal(vg_json_get_u64(line, "index", 0), 1);
	assert_string_equal(vg_json_get_str(line, "chip", ""), "board");
	assert_string_equal(vg_json_get_str(line, "line", ""), "out1");
	assert_true(vg_json_true(vg_json_get(line, "revoked")));
	assert_int_equal(vg_json_get(line, "value")->type, VG_JSON_NULL);
	line = elem(dom, "lines", 2);
	assert_false(vg_json_true(vg_json_get(line, "revoked")));
	assert_int_equal(vg_json_get_u64(line, "value", 9), 1);
	/* The guest's device window, with its domain's counters. */
	dev = elem(st, "devices", 0);
	assert_string_equal(vg_json_get_str(dev, "transport", ""), "loop");
	assert_string_equal(vg_json_get_str(dev, "domain", ""), "alpha");
	assert_true(vg_json_true(vg_json_get(dev, "attached")));
	assert_string_equal(vg_json_get_str(dev, "memory", ""), "memfd");
	assert_true(vg_json_get_u64(vg_json_get(dev, "counters"), "requests",
				    0) > 0);
	vg_json_free(st);
	assert_int_equal(run(f, "status", NULL), 0);
	/* Revoked from the policy: a smaller table waits for the reset. */
	assert_non_null(strstr(f->out, "domain alpha: connected, 3 lines, new "
				       "line table at the guest's next "
				       "reset\n"));
	assert_non_null(strstr(f->out, "  device: loop memory memfd state "
				       "connected\n"));
	assert_non_null(strstr(f->out, "  line 1 \"out1\" board:out1 allow "
				       "out direction none revoked\n"));
	assert_non_null(strstr(f->out, "parked: board:out1 value 0\n"));
}

/* Names are strings, whatever they look like: "17" stays "17". */
static void assign_status_json_keeps_digit_names_strings(void **state)
{
	struct fx *f = *state;
	const struct vg_json *dom, *line;
	struct vg_json *st;

	daemon_start(f);
	assert_int_equal(run(f, "assign", "gamma", "board 4 spare1", "--line",
			     "0 name=17", "--line", "1 name=0x10", NULL),
			 0);
	assert_int_equal(run(f, "status", "--json", NULL), 0);
	st = parsed_out(f);
	dom = status_dom(st, "gamma");
	line = elem(dom, "lines", 0);
	assert_int_equal(vg_json_get(line, "name")->type, VG_JSON_STR);
	assert_string_equal(vg_json_get_str(line, "name", ""), "17");
	assert_int_equal(vg_json_get(line, "line")->type, VG_JSON_STR);
	assert_string_equal(vg_json_get_str(line, "line", ""), "4");
	assert_int_equal(vg_json_get(line, "index")->type, VG_JSON_INT);
	assert_string_equal(vg_json_get_str(elem(dom, "lines", 1), "name", ""),
			    "0x10");
	vg_json_free(st);
	assert_non_null(strstr(f->out, "\"name\":\"17\""));
}

/* A new guest sees a new domain's lines at once. */
static void assign_daemon_new_domain_new_guest(void **state)
{
	struct fx *f = *state;

	daemon_start(f);
	assert_int_equal(run(f, "assign", "gamma", "board spare0 spare1", NULL),
			 0);
	assert_non_null(strstr(f->out, "reloaded: added 2 revoked 0"));
	assert_int_equal(vg_drun_guest(f->r, "gamma", NULL, &f->g), 0);
	assert_int_equal(vg_shim_ngpio(f->g), 2);
	assert_int_equal(vg_shim_direction_output(f->g, 1, 1), 0);
	assert_int_equal(sim_get(f, "spare1"), 1);
}

/*
 * The policy is valid but vgpiod cannot open a line of it (no chip of
 * that name here, prepared --offline): vgpiod changes nothing, and so the
 * file goes back to what vgpiod runs.
 */
static void assign_daemon_refusal_restores_file(void **state)
{
	struct fx *f = *state;
	struct vg_drun_dom st;
	char *after;
	size_t blen, alen;

	daemon_start(f);
	f->before = slurp(vg_drun_config(f->r), &blen);
	assert_int_equal(
		run(f, "assign", "alpha", "nochip 0", "--offline", NULL), 1);
	assert_one_message(f, "vgpiod refused the policy");
	assert_non_null(strstr(f->err, "restored"));
	after = slurp(vg_drun_config(f->r), &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, f->before, blen);
	free(after);
	assert_no_temp(f);
	assert_int_equal(vg_drun_status(f->r, "alpha", &st), 0);
	assert_int_equal(st.lines, 1);
}

/* vgpio-ctl, the other user of the control client: text and JSON. */
static void ctltool_text_and_json_replies(void **state)
{
	static const char ok_reply[] = "{\"v\":1,\"ok\":true,\"result\":{";
	struct fx *f = *state;

	daemon_start(f);
	assert_int_equal(run_ctl(f, "sim", "get", "board", "out1", NULL), 0);
	assert_string_equal(f->out, "value 1 output 0 pull 1 requested 0\n");
	assert_int_equal(run_ctl(f, "sim", "get", "board", "nope", NULL), 1);
	assert_string_equal(f->out, "");
	assert_non_null(strstr(f->err, "vgpio-ctl: error: no sim line board "
				       "nope"));
	assert_int_equal(run_ctl(f, "--json", "status", NULL), 0);
	assert_json(f->out);
	assert_memory_equal(f->out, ok_reply, strlen(ok_reply));
	assert_int_equal(
		run_ctl(f, "--json",
			"{\"v\":1,\"cmd\":\"sim set\",\"args\":{\"chip\":"
			"\"board\",\"line\":\"in1\",\"value\":2}}",
			NULL),
		1);
	assert_json(f->out);
	assert_non_null(strstr(f->out, "\"code\":\"bad-args\""));
	assert_int_equal(run_ctl(f, "--json", "sim", "get", NULL), 2);
	assert_int_equal(run_ctl(f, "--json", "{", NULL), 1);
	assert_non_null(strstr(f->out, "\"code\":\"parse\""));
	assert_int_equal(vg_drun_stop(f->r), 0);
	f->r = NULL;
	assert_int_equal(run_ctl(f, "status", NULL), 2);
	assert_non_null(strstr(f->err, "vgpio-ctl: "));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(assign_new_domain_then_show_and_list),
		T(assign_existing_domain_appends),
		T(assign_replace_replaces_set),
		T(assign_line_options_land_in_file),
		T(assign_revoke_some_lines_then_domain),
		T(assign_keeps_comments_and_other_sections),
		T(assign_invalid_input_changes_nothing),
		T(assign_offline_accepts_unknown_chip),
		T(assign_check_clean_policy_ok),
		T(assign_policy_error_json_has_position),
		T(assign_old_policy_option_still_works),
		T(assign_status_without_daemon_exits_3),
		T(assign_daemon_round_trip),
		T(assign_status_json_keeps_digit_names_strings),
		T(assign_daemon_new_domain_new_guest),
		T(assign_daemon_refusal_restores_file),
		T(ctltool_text_and_json_replies),
		T(xlconfig_arm_prints_virtio_entry),
		T(xlconfig_x86_writes_table_and_device),
		T(xlconfig_x86_options_and_json),
		T(xlconfig_x86_isa_irq_check),
		T(xlconfig_refuses_bad_input),
		T(xlconfig_x86_uses_policy_window),
		T(assign_xen_device_set_kept_removed),
		T(assign_device_add_remove_errors),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
