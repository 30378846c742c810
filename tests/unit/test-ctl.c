// SPDX-License-Identifier: BSD-3-Clause
/*
 * The control socket (backend/daemon/ctl.c) and the daemon's commands
 * (commands.c) in process, over the real socket (tests/lib/loopfix.h):
 * the JSON protocol's framing and limits, malformed and hostile requests
 * (answered, and only that client affected), every command in JSON with
 * the status schema, structured policy errors from reload, and the text
 * protocol on the same socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "json.h"
#include "evloop.h"
#include "loopfix.h"
#include "tmpdir.h"
#include "logcheck.h"

struct cfx {
	struct vg_loopfix *f;
	char policy[128]; /* the policy file of a restarted daemon */
};

static int setup(void **state)
{
	struct cfx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->f = vg_loopfix_new("ctl", false);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct cfx *x = *state;

	vg_loopfix_free(x->f);
	free(x);
	return 0;
}

/*
 * Replace the fixture's daemon by one started from @policy, written to a
 * file so that `reload` has one to re-read.
 */
static void restart_with(struct cfx *x, const char *policy)
{
	struct vg_loopfix *f = x->f;
	struct vg_daemon_params p = {
		.sink = &f->sink,
		.transports = f->tp,
		.ntransports = 1,
		.ctl_path = f->ctl_path,
		.cfg_path = x->policy,
	};
	struct vg_config *cfg;
	char err[256];
	FILE *fp;

	snprintf(x->policy, sizeof(x->policy), "%s/policy.conf", f->dir);
	fp = fopen(x->policy, "w");
	assert_non_null(fp);
	assert_true(fputs(policy, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	vg_daemon_free(f->d);
	f->d = NULL;
	assert_int_equal(vg_config_load(x->policy, &cfg, err, sizeof(err)), 0);
	p.cfg = cfg;
	assert_int_equal(vg_daemon_new(&p, &f->d), 0);
	vg_config_free(cfg); /* borrowed only by vg_daemon_new */
}

/* --- a raw client: bytes out, lines in ----------------------------------- */

struct conn {
	int fd;
	char buf[VG_CTL_REPLY_MAX];
	size_t len;
};

static struct conn *conn_open(struct vg_loopfix *f)
{
	struct conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->fd = vg_loopfix_connect(f->ctl_path, SOCK_STREAM);
	return c;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

static void conn_send(struct conn *c, const char *s, size_t len)
{
	assert_int_equal(send(c->fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * The next line from the daemon (NUL-terminated, without its newline),
 * running the daemon meanwhile; valid until the next call. NULL if the
 * daemon closed the connection first. Fails the test after ~2 s.
 */
static char *conn_line(struct vg_loopfix *f, struct conn *c)
{
	static char line[VG_CTL_REPLY_MAX];
	char *nl;
	size_t n;
	int i;

	for (i = 0; i < 200; i++) {
		ssize_t r;

		nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			n = (size_t)(nl - c->buf);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len,
			 MSG_DONTWAIT);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		/* Closed with our bytes unread, Linux says ECONNRESET. */
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return NULL;
		assert_true(errno == EAGAIN);
		assert_true(vg_daemon_turn(f->d, 10) >= 0);
	}
	fail_msg("no reply line from the daemon");
	return NULL;
}

/* A JSON reply line: one object with "v": 1 and a boolean "ok". */
static struct vg_json *reply_of(const char *line)
{
	struct vg_json *r = NULL;
	struct vg_json_err e;
	uint64_t v = 0;

	assert_non_null(line);
	if (vg_json_parse(line, strlen(line), VG_CTL_REPLY_DEPTH, &r, &e))
		fail_msg("reply is not JSON (byte %zu: %s): %s", e.offset,
			 e.msg, line);
	assert_int_equal(r->type, VG_JSON_OBJ);
	assert_int_equal(vg_json_u64(vg_json_get(r, "v"), &v), 0);
	assert_true(v == 1);
	assert_int_equal(vg_json_get(r, "ok")->type, VG_JSON_BOOL);
	return r;
}

/* @req (a line, newline added) on a fresh connection: its reply. */
static struct vg_json *call(struct vg_loopfix *f, const char *req)
{
	struct conn *c = conn_open(f);
	struct vg_json *r;

	conn_send(c, req, strlen(req));
	conn_send(c, "\n", 1);
	r = reply_of(conn_line(f, c));
	conn_close(c);
	return r;
}

/* The reply's result; asserts it succeeded. */
static const struct vg_json *result_of(const struct vg_json *r)
{
	if (!vg_json_true(vg_json_get(r, "ok")))
		fail_msg("request failed: %s: %s",
			 vg_json_get_str(vg_json_get(r, "error"), "code", "?"),
			 vg_json_get_str(vg_json_get(r, "error"), "message",
					 "?"));
	assert_int_equal(vg_json_get(r, "result")->type, VG_JSON_OBJ);
	return vg_json_get(r, "result");
}

/* Asserts @r is an error with @code and a message containing @msg. */
static void assert_error(const struct vg_json *r, const char *code,
			 const char *msg)
{
	const struct vg_json *e = vg_json_get(r, "error");

	assert_false(vg_json_true(vg_json_get(r, "ok")));
	assert_string_equal(vg_json_get_str(e, "code", "?"), code);
	if (!strstr(vg_json_get_str(e, "message", ""), msg))
		fail_msg("message '%s' lacks '%s'",
			 vg_json_get_str(e, "message", ""), msg);
}

static void assert_error_call(struct vg_loopfix *f, const char *req,
			      const char *code, const char *msg)
{
	struct vg_json *r = call(f, req);

	assert_error(r, code, msg);
	vg_json_free(r);
}

/* Element @i of array member @key of @obj. */
static const struct vg_json *elem(const struct vg_json *obj, const char *key,
				  unsigned int i)
{
	const struct vg_json *a = vg_json_get_arr(obj, key);

	assert_true(a && i < a->n);
	return &a->v[i];
}

static unsigned int count(const struct vg_json *obj, const char *key)
{
	const struct vg_json *a = vg_json_get(obj, key);

	assert_non_null(a);
	assert_int_equal(a->type, VG_JSON_ARR);
	return a->n;
}

static void assert_type(const struct vg_json *obj, const char *key,
			enum vg_json_type type)
{
	const struct vg_json *v = vg_json_get(obj, key);

	if (!v || v->type != type)
		fail_msg("member '%s' missing or of type %d, not %d", key,
			 v ? (int)v->type : -1, (int)type);
}

static const char status_req[] = "{\"v\":1,\"cmd\":\"status\"}";

/* --- status --------------------------------------------------------------- */

static void ctl_status_json_has_fixed_schema(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	static const char *const counters[] = {
		"requests", "errors", "events",	    "invalid",
		"resets",   "broken", "interrupts",
	};
	const struct vg_json *res, *dom, *line, *allow;
	struct vg_json *r;
	unsigned int i;

	r = call(f, status_req);
	res = result_of(r);
	assert_int_equal(count(res, "domains"), 2);
	assert_int_equal(count(res, "parked"), 0);
	assert_int_equal(count(res, "devices"), 0);
	dom = elem(res, "domains", 0);
	assert_string_equal(vg_json_get_str(dom, "name", ""), "alpha");
	assert_type(dom, "connected", VG_JSON_BOOL);
	assert_false(vg_json_true(vg_json_get(dom, "connected")));
	assert_type(dom, "pending", VG_JSON_BOOL);
	for (i = 0; i < VG_ARRAY_SIZE(counters); i++)
		assert_type(vg_json_get(dom, "counters"), counters[i],
			    VG_JSON_INT);
	assert_int_equal(count(dom, "lines"), 2);
	line = elem(dom, "lines", 0);
	assert_int_equal(vg_json_get_u64(line, "index", 9), 0);
	assert_string_equal(vg_json_get_str(line, "name", "?"), "a");
	assert_string_equal(vg_json_get_str(line, "chip", "?"), "chip");
	assert_string_equal(vg_json_get_str(line, "line", "?"), "a");
	allow = vg_json_get(line, "allow");
	assert_int_equal(allow->n, 1);
	assert_string_equal(vg_json_str(&allow->v[0]), "out");
	assert_string_equal(vg_json_get_str(line, "direction", "?"), "none");
	assert_type(line, "revoked", VG_JSON_BOOL);
	/* Held at its safe state, output high. */
	assert_int_equal(vg_json_get_u64(line, "value", 9), 1);
	assert_string_equal(
		vg_json_get_str(elem(res, "domains", 1), "name", ""), "beta");
	vg_json_free(r);
}

static void ctl_status_json_keeps_digit_names_strings(void **state)
{
	struct cfx *x = *state;
	const struct vg_json *dom, *line;
	struct vg_json *r;

	restart_with(x, "[sim 42]\nlines = 4\n"
			"[domain alpha]\nlines = 42 3 1\n"
			"line 0 = name=17\n");
	r = call(x->f, status_req);
	dom = elem(result_of(r), "domains", 0);
	line = elem(dom, "lines", 0);
	assert_type(line, "name", VG_JSON_STR);
	assert_string_equal(vg_json_get_str(line, "name", ""), "17");
	assert_type(line, "chip", VG_JSON_STR);
	assert_string_equal(vg_json_get_str(line, "chip", ""), "42");
	assert_type(line, "line", VG_JSON_STR);
	assert_string_equal(vg_json_get_str(line, "line", ""), "3");
	/* An unnamed line's name is the empty string, still a string. */
	assert_string_equal(vg_json_get_str(elem(dom, "lines", 1), "name", "?"),
			    "");
	vg_json_free(r);
}

static void ctl_status_json_lists_attached_device(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	const struct vg_json *res, *dev;
	struct vg_json *r;
	int sock = vg_loopfix_guest_connect(f, "alpha", NULL);

	r = call(f, status_req);
	res = result_of(r);
	assert_true(vg_json_true(
		vg_json_get(elem(res, "domains", 0), "connected")));
	assert_int_equal(count(res, "devices"), 1);
	dev = elem(res, "devices", 0);
	assert_string_equal(vg_json_get_str(dev, "transport", ""), "loop");
	assert_string_equal(vg_json_get_str(dev, "domain", ""), "alpha");
	assert_true(vg_json_true(vg_json_get(dev, "attached")));
	/* The loop transport has no domid, devid, window or interrupt. */
	assert_type(dev, "domid", VG_JSON_NULL);
	assert_type(dev, "devid", VG_JSON_NULL);
	assert_type(dev, "irq", VG_JSON_NULL);
	assert_type(dev, "irq_kind", VG_JSON_NULL);
	assert_type(dev, "base", VG_JSON_INT);
	assert_type(dev, "size", VG_JSON_INT);
	assert_string_equal(vg_json_get_str(dev, "memory", ""), "memfd");
	assert_string_equal(vg_json_get_str(dev, "state", ""), "connected");
	/* The domain's counters: the MagicValue read needed no request. */
	assert_int_equal(
		vg_json_get_u64(vg_json_get(dev, "counters"), "requests", 9),
		0);
	vg_json_free(r);
	vg_loopfix_guest_close(f, sock, "alpha");
	r = call(f, status_req);
	assert_int_equal(count(result_of(r), "devices"), 0);
	vg_json_free(r);
}

/* --- sim get, sim set, help ---------------------------------------------- */

static void ctl_sim_json_get_and_set_round_trip(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	const struct vg_json *res;
	struct vg_json *r;

	r = call(f, "{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\","
		    "\"line\":\"a\"}}");
	res = result_of(r);
	assert_int_equal(vg_json_get_u64(res, "value", 9), 1);
	assert_true(vg_json_true(vg_json_get(res, "output")));
	assert_int_equal(vg_json_get_u64(res, "pull", 9), 0);
	assert_true(vg_json_true(vg_json_get(res, "requested")));
	vg_json_free(r);
	r = call(f, "{\"args\":{\"value\":1,\"line\":\"2\",\"chip\":\"chip\"},"
		    "\"cmd\":\"sim set\",\"v\":1}");
	assert_int_equal(result_of(r)->n, 0);
	vg_json_free(r);
	r = call(f, "{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\","
		    "\"line\":\"c\"}}");
	res = result_of(r);
	assert_int_equal(vg_json_get_u64(res, "value", 9), 1);
	assert_false(vg_json_true(vg_json_get(res, "output")));
	vg_json_free(r);
	assert_error_call(f,
			  "{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":"
			  "\"chip\",\"line\":\"nosuch\"}}",
			  VG_CTL_E_NOT_FOUND, "no sim line chip nosuch");
}

static void ctl_help_json_lists_commands_and_args(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	const struct vg_json *res, *cmd = NULL, *arg;
	struct vg_json *r;
	unsigned int i;

	r = call(f, "{\"v\":1,\"cmd\":\"help\"}");
	res = result_of(r);
	assert_int_equal(vg_json_get_u64(res, "version", 0), VG_CTL_VERSION);
	for (i = 0; i < count(res, "commands"); i++)
		if (!strcmp(vg_json_get_str(elem(res, "commands", i), "name",
					    ""),
			    "sim set"))
			cmd = elem(res, "commands", i);
	assert_non_null(cmd);
	assert_int_equal(count(cmd, "args"), 3);
	arg = elem(cmd, "args", 2);
	assert_string_equal(vg_json_get_str(arg, "name", ""), "value");
	assert_string_equal(vg_json_get_str(arg, "type", ""), "integer");
	assert_int_equal(vg_json_get_u64(arg, "max", 9), 1);
	assert_string_equal(vg_json_get_str(elem(cmd, "args", 0), "type", ""),
			    "string");
	vg_json_free(r);
}

/* --- requests that are wrong --------------------------------------------- */

struct bad {
	const char *req;
	const char *code;
	const char *msg;
};

static void ctl_json_bad_requests_answered_connection_kept(void **state)
{
	static const struct bad bad[] = {
		{"{", VG_CTL_E_PARSE, "byte 2: expected a key"},
		{"{\"v\":1,\"cmd\":\"status\",\"v\":1}", VG_CTL_E_PARSE,
		 "duplicate key"},
		{"{\"v\":1.0,\"cmd\":\"status\"}", VG_CTL_E_PARSE,
		 "only integers"},
		{"{\"v\":1,\"cmd\":\"st\\u0000\"}", VG_CTL_E_PARSE, "\\u0000"},
		{"{\"v\":1,\"cmd\":\"\xff\"}", VG_CTL_E_PARSE, "UTF-8"},
		{"{\"a\":[[[[1]]]]}", VG_CTL_E_PARSE, "nested too deeply"},
		{"{}", VG_CTL_E_REQUEST, "no protocol version"},
		{"{\"v\":\"1\",\"cmd\":\"status\"}", VG_CTL_E_REQUEST,
		 "no protocol version"},
		{"{\"v\":2,\"cmd\":\"status\",\"new\":true}", VG_CTL_E_VERSION,
		 "protocol version 2 is not supported"},
		{"{\"v\":1}", VG_CTL_E_REQUEST, "no command"},
		{"{\"v\":1,\"cmd\":7}", VG_CTL_E_REQUEST, "no command"},
		{"{\"v\":1,\"cmd\":\"status\",\"id\":1}", VG_CTL_E_REQUEST,
		 "unknown member 'id'"},
		{"{\"v\":1,\"cmd\":\"reboot\"}", VG_CTL_E_UNKNOWN,
		 "unknown command 'reboot'"},
		{"{\"v\":1,\"cmd\":\"status\",\"args\":[]}", VG_CTL_E_REQUEST,
		 "\"args\" must be an object"},
		{"{\"v\":1,\"cmd\":\"status\",\"args\":{\"x\":1}}",
		 VG_CTL_E_ARGS, "unknown argument 'x'"},
		{"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\"}}",
		 VG_CTL_E_ARGS, "missing argument 'line'"},
		{"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":1,"
		 "\"line\":\"a\"}}",
		 VG_CTL_E_ARGS, "chip must be a string"},
		{"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"a b\","
		 "\"line\":\"a\"}}",
		 VG_CTL_E_ARGS, "printable characters without blanks"},
		{"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"\","
		 "\"line\":\"a\"}}",
		 VG_CTL_E_ARGS, "chip must be 1 to 63"},
		{"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\","
		 "\"line\":\"\\u0007\"}}",
		 VG_CTL_E_ARGS, "line must be 1 to"},
		{"{\"v\":1,\"cmd\":\"sim set\",\"args\":{\"chip\":\"chip\","
		 "\"line\":\"c\",\"value\":2}}",
		 VG_CTL_E_ARGS, "value must be 0 or 1, not 2"},
		{"{\"v\":1,\"cmd\":\"sim set\",\"args\":{\"chip\":\"chip\","
		 "\"line\":\"c\",\"value\":\"1\"}}",
		 VG_CTL_E_ARGS, "value must be 0 or 1, not \"1\""},
		{"{\"v\":1,\"cmd\":\"sim set\",\"args\":{\"chip\":\"chip\","
		 "\"line\":\"c\",\"value\":true}}",
		 VG_CTL_E_ARGS, "value must be 0 or 1, not true"},
		{"  {\"v\":1,\"cmd\":\"reload\"}", VG_CTL_E_UNSUPPORTED,
		 "built-in demo policy"},
	};
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	struct conn *c = conn_open(f);
	struct vg_json *r;
	unsigned int i;

	/* One connection: every bad request is answered, the next is read. */
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		print_message("  %s\n", bad[i].req);
		conn_send(c, bad[i].req, strlen(bad[i].req));
		conn_send(c, "\r\n", 2);
		r = reply_of(conn_line(f, c));
		assert_error(r, bad[i].code, bad[i].msg);
		assert_null(vg_json_get(r, "result"));
		vg_json_free(r);
	}
	conn_send(c, status_req, strlen(status_req));
	conn_send(c, "\n", 1);
	r = reply_of(conn_line(f, c));
	result_of(r);
	vg_json_free(r);
	conn_close(c);
	/* The sim line was not touched by the refused sets. */
	r = call(f, "{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\","
		    "\"line\":\"c\"}}");
	assert_int_equal(vg_json_get_u64(result_of(r), "pull", 9), 0);
	vg_json_free(r);
}

static void ctl_json_requests_pipelined_answered_in_order(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	static const char reqs[] =
		"{\"v\":1,\"cmd\":\"sim set\",\"args\":{\"chip\":\"chip\","
		"\"line\":\"d\",\"value\":1}}\n"
		"{\"v\":1,\"cmd\":\"nope\"}\n"
		"sim get chip d\n"
		"{\"v\":1,\"cmd\":\"sim get\",\"args\":{\"chip\":\"chip\","
		"\"line\":\"d\"}}\n";
	struct conn *c = conn_open(f);
	struct vg_json *r;

	conn_send(c, reqs, strlen(reqs));
	r = reply_of(conn_line(f, c));
	result_of(r);
	vg_json_free(r);
	r = reply_of(conn_line(f, c));
	assert_error(r, VG_CTL_E_UNKNOWN, "nope");
	vg_json_free(r);
	/* Text and JSON share a connection, each answered in its own way. */
	assert_string_equal(conn_line(f, c),
			    "value 1 output 0 pull 1 requested 1");
	assert_string_equal(conn_line(f, c), "ok");
	r = reply_of(conn_line(f, c));
	assert_int_equal(vg_json_get_u64(result_of(r), "pull", 9), 1);
	vg_json_free(r);
	conn_close(c);
}

/* After a framing violation: its error, then the close; others served. */
static void expect_error_then_close(struct vg_loopfix *f, struct conn *c,
				    const char *code, const char *msg)
{
	struct vg_json *r = reply_of(conn_line(f, c));

	assert_error(r, code, msg);
	vg_json_free(r);
	assert_null(conn_line(f, c));
	conn_close(c);
	r = call(f, status_req);
	result_of(r);
	vg_json_free(r);
}

static void ctl_json_oversized_request_closes_connection(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	struct conn *c = conn_open(f);
	char big[VG_CTL_REQUEST_MAX + 16];
	struct vg_json *r;

	/* Longer than any text line: JSON gets the larger limit... */
	memset(big, ' ', sizeof(big));
	memcpy(big, status_req, strlen(status_req) - 1);
	big[VG_CTL_REQUEST_MAX - 2] = '}';
	big[VG_CTL_REQUEST_MAX - 1] = '\n';
	conn_send(c, big, VG_CTL_REQUEST_MAX);
	r = reply_of(conn_line(f, c));
	result_of(r);
	vg_json_free(r);
	/* ... but no more: a line that does not end is refused. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	conn_send(c, big, sizeof(big));
	expect_error_then_close(f, c, VG_CTL_E_TOO_LARGE,
				"request too long (max 4095 bytes)");
}

static void ctl_json_nul_byte_closes_connection(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	struct conn *c = conn_open(f);
	static const char req[] = "{\"v\":1,\0\"cmd\":\"status\"}\n";

	conn_send(c, req, sizeof(req) - 1);
	expect_error_then_close(f, c, VG_CTL_E_PARSE, "NUL byte in request");
}

/* --- reload --------------------------------------------------------------- */

static const char policy[] = "[sim chip]\n"
			     "lines = 4\n"
			     "names = a b c d\n"
			     "[domain alpha]\n"
			     "lines = chip a b\n";

static void ctl_reload_json_returns_counts(void **state)
{
	struct cfx *x = *state;
	const struct vg_json *res;
	struct vg_json *r;
	FILE *fp;

	restart_with(x, policy);
	fp = fopen(x->policy, "a");
	assert_non_null(fp);
	fputs("[domain beta]\nlines = chip c d\n", fp);
	assert_int_equal(fclose(fp), 0);
	r = call(x->f, "{\"v\":1,\"cmd\":\"reload\"}");
	res = result_of(r);
	assert_int_equal(vg_json_get_u64(res, "added", 9), 2);
	assert_int_equal(vg_json_get_u64(res, "revoked", 9), 0);
	assert_int_equal(vg_json_get_u64(res, "deferred", 9), 0);
	assert_int_equal(vg_json_get_u64(res, "failed", 9), 0);
	vg_json_free(r);
}

static void ctl_reload_json_policy_error_is_structured(void **state)
{
	struct cfx *x = *state;
	const struct vg_json *pe;
	struct vg_json *r;
	char out[1024], want[512];
	FILE *fp;

	restart_with(x, policy);
	fp = fopen(x->policy, "a");
	assert_non_null(fp);
	fputs("line 0 = colour=red\n", fp);
	assert_int_equal(fclose(fp), 0);
	r = call(x->f, "{\"v\":1,\"cmd\":\"reload\"}");
	assert_error(r, VG_CTL_E_POLICY, "policy not applied: ");
	pe = vg_json_get(vg_json_get(r, "error"), "policy");
	assert_non_null(pe);
	assert_string_equal(vg_json_get_str(pe, "file", ""), x->policy);
	assert_int_equal(vg_json_get_u64(pe, "line", 0), 6);
	assert_int_equal(vg_json_get_u64(pe, "column", 0), 10);
	assert_string_equal(vg_json_get_str(pe, "message", ""),
			    "unknown option 'colour'");
	vg_json_free(r);
	/* The text protocol says the same, as one line. */
	vg_loopfix_ctl(x->f, "reload\n", out, sizeof(out));
	snprintf(want, sizeof(want),
		 "error: policy not applied: %s:6:10: unknown option",
		 x->policy);
	assert_memory_equal(out, want, strlen(want));

	/* A policy that parses but cannot be applied: no place in a file. */
	fp = fopen(x->policy, "w");
	assert_non_null(fp);
	fputs("[domain alpha]\nlines = nochip 1\n", fp);
	assert_int_equal(fclose(fp), 0);
	r = call(x->f, "{\"v\":1,\"cmd\":\"reload\"}");
	assert_error(r, VG_CTL_E_POLICY, "chip nochip line 1");
	pe = vg_json_get(vg_json_get(r, "error"), "policy");
	assert_type(pe, "file", VG_JSON_NULL);
	assert_type(pe, "line", VG_JSON_NULL);
	assert_type(pe, "column", VG_JSON_NULL);
	vg_json_free(r);
}

/* --- the text protocol ----------------------------------------------------- */

static void ctl_text_help_lists_every_command(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	char out[2048];

	vg_loopfix_ctl(f, "help\n", out, sizeof(out));
	assert_string_equal(
		out, "status  domains, counters and lines\n"
		     "reload  re-read the policy file: revocations apply at "
		     "once, additions at each guest's next device reset\n"
		     "sim get CHIP LINE  read a simulated line\n"
		     "sim set CHIP LINE 0|1  set a simulated line's pull (an "
		     "external input)\n"
		     "device add SPEC  serve a device window for a running "
		     "guest (SPEC as vgpiod --device's)\n"
		     "device remove SPEC  stop serving a window that is not "
		     "libxl's (SPEC domid=N,base=ADDR)\n"
		     "help  list the commands\n"
		     "ok\n");
}

static void ctl_text_long_line_with_newline_refused(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	struct conn *c = conn_open(f);
	char line[VG_CTL_LINE_MAX + 1];

	/* The whole line arrives at once, newline and all: still too long. */
	memset(line, 'x', sizeof(line));
	line[VG_CTL_LINE_MAX] = '\n';
	conn_send(c, line, sizeof(line));
	assert_string_equal(conn_line(f, c),
			    "error: line too long (max 511 bytes)");
	assert_null(conn_line(f, c));
	conn_close(c);
	/* At the limit it is a command (an unknown one). */
	c = conn_open(f);
	line[VG_CTL_LINE_MAX - 1] = '\n';
	conn_send(c, line, VG_CTL_LINE_MAX);
	assert_non_null(strstr(conn_line(f, c), "error: unknown command"));
	conn_close(c);
}

static void ctl_text_status_unchanged_from_json(void **state)
{
	struct vg_loopfix *f = ((struct cfx *)*state)->f;
	char out[4096];

	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_string_equal(
		out,
		"domain alpha connected no requests 0 errors 0 events 0 "
		"invalid 0 resets 0 broken 0 lines 2 pending no\n"
		"  line 0 name a host chip:a allow out dir none revoked no "
		"value 1\n"
		"  line 1 name b host chip:b allow in,out,irq dir none revoked "
		"no value 0\n"
		"domain beta connected no requests 0 errors 0 events 0 "
		"invalid 0 resets 0 broken 0 lines 2 pending no\n"
		"  line 0 name c host chip:c allow in,out,irq dir none revoked "
		"no value 0\n"
		"  line 1 name d host chip:d allow in,out,irq dir none revoked "
		"no value 0\n"
		"control clients 1 evicted 0\n"
		"ok\n");
}

/* --- eviction --------------------------------------------------------------- */

/*
 * A connect flood evicts the oldest clients, but never silently: each is
 * told so in the protocol it spoke, status counts them, and the log says
 * how many at once and again after the window, one line each time. The
 * log's clock stands still until the test moves it.
 */
static void ctl_connect_flood_evictions_told_counted_logged(void **state)
{
	struct cfx *x = *state;
	static uint64_t now = 1000000000ull;
	static const char help_req[] = "{\"v\":1,\"cmd\":\"help\"}\n";
	static char log[1 << 16];
	struct conn *cj, *ct, *idle[40];
	const struct vg_json *ctl;
	struct vg_json *r;
	struct vg_loopfix *f;
	char out[4096];
	unsigned int i;

	vg_loopfix_free(x->f);
	x->f = f = vg_loopfix_new("ctl", true);
	f->sink.now_ns = vg_test_clock;
	f->sink.now_arg = &now;
	vg_loopfix_settle(f);
	vg_loopfix_log_take(f, log, sizeof(log));

	/* The two oldest: one spoke JSON, one text. */
	cj = conn_open(f);
	conn_send(cj, help_req, strlen(help_req));
	vg_json_free(reply_of(conn_line(f, cj)));
	ct = conn_open(f);
	conn_send(ct, "help\n", 5);
	while (strcmp(conn_line(f, ct), "ok"))
		;
	for (i = 0; i < VG_ARRAY_SIZE(idle); i++) {
		idle[i] = conn_open(f);
		vg_loopfix_settle(f);
	}
	/* 42 clients, 16 at most: 26 evicted, the two oldest first. */
	r = reply_of(conn_line(f, cj));
	assert_error(r, VG_CTL_E_EVICTED, "too many control clients");
	vg_json_free(r);
	assert_null(conn_line(f, cj));
	assert_string_equal(conn_line(f, ct),
			    "error: too many control clients (at most 16): "
			    "closing the oldest, this one");
	assert_null(conn_line(f, ct));
	/* An idle client that never spoke is told in text. */
	assert_non_null(strstr(conn_line(f, idle[0]), "error: too many"));
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_string_equal(log, "vgpiod: control: 1 client evicted in the "
				 "last 1 s (too many connections, at most "
				 "16)\n");

	for (i = 0; i < VG_ARRAY_SIZE(idle); i++)
		conn_close(idle[i]);
	conn_close(cj);
	conn_close(ct);
	vg_loopfix_settle(f);
	r = call(f, status_req);
	ctl = vg_json_get(result_of(r), "control");
	assert_int_equal(vg_json_get_u64(ctl, "evicted", 0), 26);
	assert_int_equal(vg_json_get_u64(ctl, "clients", 0), 1);
	vg_json_free(r);
	/* Within the window the rest waits: it is not lost. */
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_int_equal(vg_test_count(log, "evicted"), 0);

	now += VG_LOG_GUEST_WINDOW_NS;
	vg_loopfix_ctl(f, "status\n", out, sizeof(out));
	assert_non_null(strstr(out, "\ncontrol clients 1 evicted 26\nok\n"));
	vg_loopfix_log_take(f, log, sizeof(log));
	assert_string_equal(log, "vgpiod: control: 25 clients evicted in the "
				 "last 5 s (too many connections, at most "
				 "16)\n");
}

/* --- a control socket of the test's own ------------------------------------- */

/* A result of @arg bytes: one string of 'x's. */
static int big_fn(void *arg, struct vg_ctl_call *call)
{
	size_t n = *(size_t *)arg;
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, 'x', n);
	s[n] = '\0';
	vg_jw_str(vg_ctl_result(call), s);
	free(s);
	return 0;
}

static const struct vg_ctl_cmd big_cmds[] = {
	{.name = "big",
	 .help = "a result as large as the test says",
	 .fn = big_fn},
};

static void own_send(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL),
			 (ssize_t)strlen(s));
}

/*
 * One line from @fd, turning @ev meanwhile; NULL if closed first. Reads
 * no further than the line's end, so the next call gets the next line.
 */
static char *own_line(struct vg_evloop *ev, int fd, char *buf, size_t len)
{
	int i;

	for (i = 0; i < 400; i++) {
		ssize_t r = recv(fd, buf, len - 1, MSG_DONTWAIT | MSG_PEEK);
		char *nl;

		if (r == 0 || (r < 0 && errno != EAGAIN))
			return NULL;
		buf[r > 0 ? r : 0] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			size_t n = (size_t)(nl - buf) + 1;

			assert_int_equal(recv(fd, buf, n, MSG_DONTWAIT),
					 (ssize_t)n);
			buf[n - 1] = '\0';
			return buf;
		}
		assert_true(r < (ssize_t)len - 1);
		assert_true(vg_evloop_run_once(ev, 10) >= 0);
	}
	fail_msg("no reply line");
	return NULL;
}

/*
 * A reply larger than the limit is answered with too-large, and the
 * client, which did nothing wrong, stays connected.
 */
static void ctl_json_oversized_reply_answered_connection_kept(void **state)
{
	static char buf[4096];
	struct vg_log_sink sink = {.level = VG_LOG_ERR, .fd = 2};
	struct vg_evloop *ev;
	struct vg_ctl *ctl;
	struct vg_log log;
	char dir[64], path[100];
	size_t n = VG_CTL_REPLY_MAX + 16;
	const char *line;
	int fd;

	(void)state;
	vg_log_init(&log, &sink, "test");
	assert_int_equal(vg_tmpdir_new(dir, sizeof(dir), "ctl-big"), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	assert_int_equal(vg_evloop_new(&ev), 0);
	assert_int_equal(vg_ctl_new(ev, path, big_cmds, 1, &n, &log, &ctl), 0);
	fd = vg_loopfix_connect(path, SOCK_STREAM);

	own_send(fd, "{\"v\":1,\"cmd\":\"big\"}\n");
	line = own_line(ev, fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_non_null(strstr(line, "\"code\":\"too-large\""));
	/* Still connected: a smaller one goes through. */
	n = 100;
	own_send(fd, "{\"v\":1,\"cmd\":\"big\"}\n");
	line = own_line(ev, fd, buf, sizeof(buf));
	assert_non_null(line);
	if (!strstr(line, "\"ok\":true"))
		fail_msg("reply: %.200s", line);
	/* The text protocol says so in its own words. */
	n = VG_CTL_REPLY_MAX;
	own_send(fd, "big\n");
	line = own_line(ev, fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_non_null(strstr(line, "error: the reply is over"));

	close(fd);
	vg_ctl_free(ctl);
	vg_evloop_free(ev);
	assert_int_equal(vg_tmpdir_remove(dir), 0);
}

/* --- a ctl serving an adopted socket (a worker's) -------------------------- */

struct own {
	struct vg_log_sink sink;
	struct vg_log log;
	struct vg_evloop *ev;
	struct vg_ctl *ctl;
	int fd; /* the test's end of the socketpair */
	unsigned int gone; /* gone() calls */
	size_t n; /* big_fn's size */
	struct vg_ctl_defer *later; /* the last deferred "later" */
	bool no_handle; /* "later" returns VG_CTL_DEFERRED without one */
};

static void own_gone(void *arg)
{
	struct own *o = arg;

	o->gone++;
}

/* A ctl with no socket of its own (or one at @path) and @cmds. */
static void own_open(struct own *o, const char *path,
		     const struct vg_ctl_cmd *cmds, unsigned int ncmds)
{
	int sv[2];

	memset(o, 0, sizeof(*o));
	o->sink.level = VG_LOG_ERR;
	o->sink.fd = 2;
	vg_log_init(&o->log, &o->sink, "test");
	assert_int_equal(vg_evloop_new(&o->ev), 0);
	assert_int_equal(
		vg_ctl_new(o->ev, path, cmds, ncmds, o, &o->log, &o->ctl), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(vg_ctl_adopt(o->ctl, sv[1], own_gone, o), 0);
	o->fd = sv[0];
}

static void own_close(struct own *o)
{
	if (o->fd >= 0)
		close(o->fd);
	vg_ctl_free(o->ctl);
	vg_evloop_free(o->ev);
}

/* Turn the loop until @o's ctl has dropped its end (or fail). */
static void own_wait_gone(struct own *o)
{
	int i;

	for (i = 0; i < 200 && !o->gone; i++)
		assert_true(vg_evloop_run_once(o->ev, 10) >= 0);
	assert_int_equal(o->gone, 1);
}

static int own_big_fn(void *arg, struct vg_ctl_call *call)
{
	struct own *o = arg;

	return big_fn(&o->n, call);
}

/* Answered later, by the test: the handle goes to o->later. */
static int own_later_fn(void *arg, struct vg_ctl_call *call)
{
	struct own *o = arg;

	/* Written before deferring: dropped. */
	vg_jw_str(vg_ctl_result(call), "dropped");
	if (o->no_handle)
		return VG_CTL_DEFERRED;
	o->later = vg_ctl_defer(call);
	assert_non_null(o->later);
	assert_ptr_equal(vg_ctl_defer(call), o->later);
	return VG_CTL_DEFERRED;
}

static void own_later_text(struct vg_ctl_call *call,
			   const struct vg_json *result)
{
	vg_ctl_reply(call, "n %" PRIu64, vg_json_get_u64(result, "n", 0));
}

static const struct vg_ctl_cmd own_cmds[] = {
	{.name = "big",
	 .help = "a result as large as the test says",
	 .fn = own_big_fn},
	{.name = "later",
	 .help = "answered when the test says",
	 .fn = own_later_fn,
	 .text = own_later_text},
};

/* Turn the loop until nothing is ready. */
static void own_settle(struct own *o)
{
	while (vg_evloop_run_once(o->ev, 0) > 0)
		;
}

/* Nothing to read on @fd now. */
static void assert_no_line(int fd)
{
	char c;

	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Complete o->later with {"n":@n}. */
static void own_later_done(struct own *o, uint64_t n)
{
	struct vg_ctl_defer *d = o->later;
	struct vg_jw *w = vg_ctl_defer_result(d);

	vg_jw_obj(w);
	vg_jw_ku64(w, "n", n);
	vg_jw_obj_end(w);
	/* Before: done() may read the next request, which defers anew. */
	o->later = NULL;
	vg_ctl_defer_done(d);
}

/*
 * With no socket of its own, a ctl serves the adopted end of a
 * socketpair in both protocols; the other end's hang-up calls gone()
 * once, and vg_ctl_free does not.
 */
static void ctl_adopt_serves_both_protocols_hangup_calls_gone(void **state)
{
	static char buf[4096];
	struct vg_ctl_stats st;
	struct own o;
	const char *line;

	(void)state;
	own_open(&o, NULL, own_cmds, 1);
	o.n = 3;
	own_send(o.fd, "{\"v\":1,\"cmd\":\"big\"}\n");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":\"xxx\"}");
	own_send(o.fd, "help\n");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_non_null(strstr(line, "big  a result"));
	vg_ctl_stats(o.ctl, &st);
	assert_int_equal(st.clients, 0);
	assert_int_equal(o.gone, 0);

	close(o.fd);
	o.fd = -1;
	own_wait_gone(&o);
	own_close(&o);
	assert_int_equal(o.gone, 1);
}

/* A framing violation closes the adopted socket too, and says so first. */
static void ctl_adopt_violation_answered_then_gone(void **state)
{
	static char buf[4096];
	char req[VG_CTL_REQUEST_MAX + 8];
	struct own o;
	const char *line;

	(void)state;
	own_open(&o, NULL, own_cmds, 1);
	memset(req, ' ', sizeof(req));
	req[0] = '{';
	req[sizeof(req) - 1] = '\0';
	own_send(o.fd, req);
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_non_null(strstr(line, "\"code\":\"too-large\""));
	own_wait_gone(&o);
	assert_null(own_line(o.ev, o.fd, buf, sizeof(buf)));
	own_close(&o);
	assert_int_equal(o.gone, 1);
}

/*
 * A connect flood on the ctl's socket evicts socket clients only: the
 * adopted one, the oldest of all, is kept and still answered.
 */
static void ctl_adopt_not_evicted_by_connect_flood(void **state)
{
	static char buf[4096];
	int conns[VG_CTL_MAX_CLIENTS + 4];
	struct vg_ctl_stats st;
	char dir[64], path[100];
	struct own o;
	const char *line;
	unsigned int i;

	(void)state;
	assert_int_equal(vg_tmpdir_new(dir, sizeof(dir), "ctl-adopt"), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	own_open(&o, path, own_cmds, 1);
	for (i = 0; i < VG_ARRAY_SIZE(conns); i++) {
		conns[i] = vg_loopfix_connect(path, SOCK_STREAM);
		assert_true(vg_evloop_run_once(o.ev, 10) >= 0);
	}
	while (vg_evloop_run_once(o.ev, 0) > 0)
		;
	vg_ctl_stats(o.ctl, &st);
	assert_int_equal(st.clients, VG_CTL_MAX_CLIENTS);
	assert_int_equal(st.evicted, 4);
	o.n = 1;
	own_send(o.fd, "{\"v\":1,\"cmd\":\"big\"}\n");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":\"x\"}");
	assert_int_equal(o.gone, 0);
	for (i = 0; i < VG_ARRAY_SIZE(conns); i++)
		close(conns[i]);
	own_close(&o);
	assert_int_equal(o.gone, 0);
	assert_int_equal(vg_tmpdir_remove(dir), 0);
}

/* Only a stream socket is adopted; a refused fd stays the caller's. */
static void ctl_adopt_refuses_other_fds(void **state)
{
	struct vg_log_sink sink = {.level = VG_LOG_ERR, .fd = 2};
	struct vg_evloop *ev;
	struct vg_ctl *ctl;
	struct vg_log log;
	int sv[2], p[2];

	(void)state;
	vg_log_init(&log, &sink, "test");
	assert_int_equal(vg_evloop_new(&ev), 0);
	assert_int_equal(vg_ctl_new(ev, NULL, own_cmds, 1, NULL, &log, &ctl),
			 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(vg_ctl_adopt(ctl, sv[1], NULL, NULL), -EPROTOTYPE);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vg_ctl_adopt(ctl, p[0], NULL, NULL), -ENOTSOCK);
	/* Still ours: closing them succeeds. */
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(close(p[0]), 0);
	close(sv[0]);
	close(p[1]);
	vg_ctl_free(ctl);
	vg_evloop_free(ev);
}

/* --- deferred answers ------------------------------------------------------ */

/*
 * A deferred JSON request is answered when the owner says, with what it
 * wrote then; the requests pipelined behind it wait for it, and are
 * answered in order after it.
 */
static void ctl_defer_json_answered_later_in_order(void **state)
{
	static char buf[4096];
	struct own o;
	const char *line;

	(void)state;
	own_open(&o, NULL, own_cmds, VG_ARRAY_SIZE(own_cmds));
	o.n = 2;
	own_send(o.fd, "{\"v\":1,\"cmd\":\"later\"}\n"
		       "{\"v\":1,\"cmd\":\"big\"}\n"
		       "{\"v\":1,\"cmd\":\"later\"}\n");
	own_settle(&o);
	assert_non_null(o.later);
	assert_true(vg_ctl_defer_wanted(o.later));
	assert_no_line(o.fd);

	own_later_done(&o, 7);
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":{\"n\":7}}");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":\"xx\"}");
	/* The third is deferred in its turn. */
	own_settle(&o);
	assert_non_null(o.later);
	assert_no_line(o.fd);
	assert_int_equal(vg_ctl_defer_fail(o.later, VG_CTL_E_NOT_FOUND,
					   "no such %s", "thing"),
			 -1);
	vg_ctl_defer_done(o.later);
	o.later = NULL;
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
				  "\"not-found\",\"message\":\"no such "
				  "thing\"}}");
	own_close(&o);
}

/* The text protocol gets a deferred answer in its text form. */
static void ctl_defer_text_form_and_error(void **state)
{
	static char buf[4096];
	struct own o;
	const char *line;

	(void)state;
	own_open(&o, NULL, own_cmds, VG_ARRAY_SIZE(own_cmds));
	own_send(o.fd, "later\n");
	own_settle(&o);
	assert_no_line(o.fd);
	own_later_done(&o, 9);
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "n 9");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "ok");

	own_send(o.fd, "later\n");
	own_settle(&o);
	vg_ctl_defer_fail(o.later, VG_CTL_E_INTERNAL, "worker %d died", 3);
	vg_ctl_defer_done(o.later);
	o.later = NULL;
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "error: worker 3 died");
	own_close(&o);
}

/*
 * A client that hangs up while its answer is deferred costs nothing: the
 * handle stays valid, done() discards, and the ctl serves on; the same
 * after the ctl itself is freed.
 */
static void ctl_defer_client_gone_done_discards(void **state)
{
	static char buf[4096];
	struct vg_ctl_defer *d;
	struct vg_ctl_stats st;
	char dir[64], path[100];
	struct own o;
	const char *line;
	int fd;

	(void)state;
	assert_int_equal(vg_tmpdir_new(dir, sizeof(dir), "ctl-defer"), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	own_open(&o, path, own_cmds, VG_ARRAY_SIZE(own_cmds));
	fd = vg_loopfix_connect(path, SOCK_STREAM);
	own_send(fd, "{\"v\":1,\"cmd\":\"later\"}\n");
	own_settle(&o);
	assert_non_null(o.later);
	close(fd);
	own_settle(&o);
	vg_ctl_stats(o.ctl, &st);
	assert_int_equal(st.clients, 0);
	assert_false(vg_ctl_defer_wanted(o.later));
	own_later_done(&o, 1);

	/* Still serving: the adopted client, deferred in turn. */
	own_send(o.fd, "later\n");
	own_settle(&o);
	d = o.later;
	own_later_done(&o, 2);
	assert_null(o.later);
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_string_equal(line, "n 2");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_string_equal(line, "ok");
	assert_non_null(d);

	/* A handle outlives the ctl. */
	own_send(o.fd, "later\n");
	own_settle(&o);
	assert_non_null(o.later);
	own_close(&o);
	assert_false(vg_ctl_defer_wanted(o.later));
	vg_jw_obj(vg_ctl_defer_result(o.later));
	vg_ctl_defer_done(o.later);
	vg_ctl_defer_done(NULL);
	assert_int_equal(o.gone, 0);
	assert_int_equal(vg_tmpdir_remove(dir), 0);
}

/* VG_CTL_DEFERRED with no handle taken is the command's bug: internal. */
static void ctl_defer_without_handle_is_internal_error(void **state)
{
	static char buf[4096];
	struct own o;
	const char *line;

	(void)state;
	own_open(&o, NULL, own_cmds, VG_ARRAY_SIZE(own_cmds));
	o.no_handle = true;
	own_send(o.fd, "{\"v\":1,\"cmd\":\"later\"}\n");
	line = own_line(o.ev, o.fd, buf, sizeof(buf));
	assert_non_null(line);
	assert_non_null(strstr(line, "\"code\":\"internal\""));
	assert_non_null(strstr(line, "deferred without a handle"));
	own_close(&o);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(ctl_status_json_has_fixed_schema),
		T(ctl_status_json_keeps_digit_names_strings),
		T(ctl_status_json_lists_attached_device),
		T(ctl_sim_json_get_and_set_round_trip),
		T(ctl_help_json_lists_commands_and_args),
		T(ctl_json_bad_requests_answered_connection_kept),
		T(ctl_json_requests_pipelined_answered_in_order),
		T(ctl_json_oversized_request_closes_connection),
		T(ctl_json_nul_byte_closes_connection),
		T(ctl_reload_json_returns_counts),
		T(ctl_reload_json_policy_error_is_structured),
		T(ctl_text_help_lists_every_command),
		T(ctl_text_long_line_with_newline_refused),
		T(ctl_text_status_unchanged_from_json),
		T(ctl_connect_flood_evictions_told_counted_logged),
		cmocka_unit_test(
			ctl_json_oversized_reply_answered_connection_kept),
		cmocka_unit_test(
			ctl_adopt_serves_both_protocols_hangup_calls_gone),
		cmocka_unit_test(ctl_adopt_violation_answered_then_gone),
		cmocka_unit_test(ctl_adopt_not_evicted_by_connect_flood),
		cmocka_unit_test(ctl_adopt_refuses_other_fds),
		cmocka_unit_test(ctl_defer_json_answered_later_in_order),
		cmocka_unit_test(ctl_defer_text_form_and_error),
		cmocka_unit_test(ctl_defer_client_gone_done_discards),
		cmocka_unit_test(ctl_defer_without_handle_is_internal_error),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
