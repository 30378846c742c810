// SPDX-License-Identifier: BSD-3-Clause
/*
 * The parent's end of a control connection (backend/daemon/ctl-peer.c):
 * calls answered in order by a real ctl serving the other end of a
 * socketpair (as a worker does), and hostile replies written by the test
 * on a raw end: each breaks the peer, fails every outstanding call once
 * and tells the owner once. Also: hang-up, free with calls outstanding
 * and from the peer's own callbacks, the call limits, and a socket that
 * does not take the requests at once.
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
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "ctl-peer.h"
#include "ctl.h"
#include "evloop.h"
#include "json.h"

#define CALLS 4

struct fx;

/* What one call's done() was given. */
struct seen {
	struct fx *x;
	unsigned int n; /* done() calls: must end at 1 */
	unsigned int order; /* the how-manieth done() of the test */
	int rc;
	char result[256]; /* the result written back, or "" */
	char code[64], message[300];
};

struct fx {
	struct vg_log_sink sink;
	struct vg_log log;
	struct vg_evloop *ev;
	struct vg_ctl_peer *peer;
	int near; /* the peer's end until it takes it, then -1 */
	int far; /* the other end: raw, or adopted by @ctl (then -1) */
	struct vg_ctl *ctl;
	struct seen seen[CALLS];
	unsigned int ended; /* done() calls in all */
	unsigned int broken; /* broken() calls */
	int broken_rc;
	bool free_in_done; /* the first done() frees the peer */
	bool free_in_broken;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	unsigned int i;
	int sv[2];

	assert_non_null(x);
	x->sink.level = VG_LOG_ERR;
	x->sink.fd = 2;
	vg_log_init(&x->log, &x->sink, "test");
	assert_int_equal(vg_evloop_new(&x->ev), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	x->near = sv[0];
	x->far = sv[1];
	for (i = 0; i < CALLS; i++)
		x->seen[i].x = x;
	*state = x;
	return 0;
}

static void on_broken(void *arg, int rc);

/* The peer on the fixture's near end. */
static void peer_open(struct fx *x)
{
	assert_int_equal(vg_ctl_peer_new(x->ev, x->near, &x->log, on_broken, x,
					 &x->peer),
			 0);
	x->near = -1;
}

static int setup_raw(void **state)
{
	setup(state);
	peer_open(*state);
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	vg_ctl_peer_free(x->peer);
	vg_ctl_free(x->ctl);
	if (x->near >= 0)
		close(x->near);
	if (x->far >= 0)
		close(x->far);
	vg_evloop_free(x->ev);
	free(x);
	return 0;
}

static void on_done(void *arg, int rc, const struct vg_ctl_peer_reply *r)
{
	struct seen *s = arg;
	struct fx *x = s->x;
	struct vg_strbuf b = {0};
	struct vg_jw w;

	s->n++;
	s->order = ++x->ended;
	s->rc = rc;
	assert_true((r != NULL) == (rc == 0 || rc == -EREMOTEIO));
	if (r && r->result) {
		vg_jw_init(&w, &b);
		vg_jw_value(&w, r->result);
		snprintf(s->result, sizeof(s->result), "%s", b.s);
		free(b.s);
	}
	if (rc == 0)
		assert_null(r->code);
	if (rc == -EREMOTEIO) {
		assert_non_null(r->error);
		snprintf(s->code, sizeof(s->code), "%s", r->code);
		snprintf(s->message, sizeof(s->message), "%s", r->message);
	}
	if (x->free_in_done) {
		x->free_in_done = false;
		vg_ctl_peer_free(x->peer);
		x->peer = NULL;
	}
}

static void on_broken(void *arg, int rc)
{
	struct fx *x = arg;

	x->broken++;
	x->broken_rc = rc;
	if (x->free_in_broken) {
		vg_ctl_peer_free(x->peer);
		x->peer = NULL;
	}
}

/* Call @cmd with @args (JSON text of an object, or NULL) as seen[@i]. */
static int call(struct fx *x, unsigned int i, const char *cmd, const char *args)
{
	struct vg_strbuf b = {0};
	struct vg_json *a = NULL;
	struct vg_jw w;
	int rc;

	vg_jw_init(&w, &b);
	if (args) {
		assert_int_equal(vg_json_parse(args, strlen(args), 4, &a, NULL),
				 0);
		vg_jw_value(&w, a);
		vg_json_free(a);
	}
	/* The fixture's callbacks find the fixture from seen[]. */
	rc = vg_ctl_peer_call(x->peer, cmd, args ? &w : NULL, on_done,
			      &x->seen[i]);
	free(b.s);
	return rc;
}

/* Turn the loop until @n calls have ended (or fail). */
static void wait_ended(struct fx *x, unsigned int n)
{
	int i;

	for (i = 0; i < 200 && x->ended < n; i++)
		assert_true(vg_evloop_run_once(x->ev, 10) >= 0);
	assert_int_equal(x->ended, n);
}

static void far_send(struct fx *x, const char *s, size_t len)
{
	assert_int_equal(send(x->far, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything the peer has sent so far on the raw end. */
static size_t far_read(struct fx *x, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t r;

	while (vg_evloop_run_once(x->ev, 0) > 0)
		;
	while (have < len - 1 &&
	       (r = recv(x->far, buf + have, len - 1 - have, MSG_DONTWAIT)) > 0)
		have += (size_t)r;
	buf[have] = '\0';
	return have;
}

/* --- against a real ctl ---------------------------------------------------- */

static int echo_fn(void *arg, struct vg_ctl_call *call)
{
	struct vg_jw *w = vg_ctl_result(call);

	(void)arg;
	vg_jw_obj(w);
	vg_jw_kstr(w, "s", vg_ctl_arg_str(call, 0));
	vg_jw_key(w, "n");
	vg_jw_i64(w, vg_ctl_arg_int(call, 1));
	vg_jw_obj_end(w);
	return 0;
}

static int fail_fn(void *arg, struct vg_ctl_call *call)
{
	struct vg_jw *w;

	(void)arg;
	w = vg_ctl_error_member(call, "detail");
	vg_jw_u64(w, 5);
	return vg_ctl_fail(call, VG_CTL_E_NOT_FOUND, "no line %s here", "led");
}

static const struct vg_ctl_arg echo_args[] = {
	{.name = "s", .type = VG_CTL_ARG_STR, .max = 16},
	{.name = "n", .type = VG_CTL_ARG_INT, .min = -5, .max = 5},
};

static const struct vg_ctl_cmd worker_cmds[] = {
	{.name = "echo",
	 .help = "its arguments back",
	 .args = echo_args,
	 .nargs = 2,
	 .fn = echo_fn},
	{.name = "fail one", .help = "fails", .fn = fail_fn},
};

/*
 * A worker's ctl on the other end answers each call, in order: results,
 * error replies with their code and message, and the server's own
 * refusals of bad arguments.
 */
static void ctlpeer_calls_answered_in_order_by_ctl(void **state)
{
	struct fx *x = *state;

	assert_int_equal(vg_ctl_new(x->ev, NULL, worker_cmds,
				    VG_ARRAY_SIZE(worker_cmds), NULL, &x->log,
				    &x->ctl),
			 0);
	assert_int_equal(vg_ctl_adopt(x->ctl, x->far, NULL, NULL), 0);
	x->far = -1;
	peer_open(x);
	assert_int_equal(call(x, 0, "echo", "{\"s\":\"led\",\"n\":-3}"), 0);
	assert_int_equal(call(x, 1, "fail one", NULL), 0);
	assert_int_equal(call(x, 2, "echo", "{\"s\":\"led\",\"n\":9}"), 0);
	assert_int_equal(call(x, 3, "help", NULL), 0);
	assert_int_equal(vg_ctl_peer_pending(x->peer), 4);
	wait_ended(x, 4);

	assert_int_equal(x->seen[0].order, 1);
	assert_int_equal(x->seen[0].rc, 0);
	assert_string_equal(x->seen[0].result, "{\"s\":\"led\",\"n\":-3}");
	assert_int_equal(x->seen[1].order, 2);
	assert_int_equal(x->seen[1].rc, -EREMOTEIO);
	assert_string_equal(x->seen[1].code, "not-found");
	assert_string_equal(x->seen[1].message, "no line led here");
	assert_int_equal(x->seen[2].order, 3);
	assert_int_equal(x->seen[2].rc, -EREMOTEIO);
	assert_string_equal(x->seen[2].code, "bad-args");
	assert_int_equal(x->seen[3].order, 4);
	assert_int_equal(x->seen[3].rc, 0);
	assert_non_null(strstr(x->seen[3].result, "\"fail one\""));
	assert_int_equal(vg_ctl_peer_pending(x->peer), 0);
	assert_int_equal(x->broken, 0);
}

/* --- hostile replies ------------------------------------------------------- */

/* The exact request lines the peer sends. */
static void ctlpeer_requests_are_protocol_lines(void **state)
{
	struct fx *x = *state;
	char buf[512];

	assert_int_equal(
		call(x, 0, "sim get", "{\"chip\":\"b\\u00e9\",\"line\":\"x\"}"),
		0);
	assert_int_equal(call(x, 1, "status", NULL), 0);
	far_read(x, buf, sizeof(buf));
	assert_string_equal(buf, "{\"v\":1,\"cmd\":\"sim get\",\"args\":{"
				 "\"chip\":\"b\xc3\xa9\",\"line\":\"x\"}}\n"
				 "{\"v\":1,\"cmd\":\"status\"}\n");
	far_send(x, "{\"v\":1,\"ok\":true,\"result\":1}\n", 30);
	wait_ended(x, 1);
	assert_string_equal(x->seen[0].result, "1");
	assert_int_equal(x->seen[1].n, 0);
}

static const char *const bad_replies[] = {
	"not json\n",
	"{\"v\":1,\"ok\":true,\"result\":{}}}\n",
	"[1]\n",
	"{\"v\":2,\"ok\":true,\"result\":{}}\n",
	"{\"ok\":true,\"result\":{}}\n",
	"{\"v\":1,\"ok\":1,\"result\":{}}\n",
	"{\"v\":1,\"result\":{}}\n",
	"{\"v\":1,\"ok\":true,\"result\":{},\"more\":0}\n",
	"{\"v\":1,\"ok\":true}\n",
	"{\"v\":1,\"ok\":true,\"result\":{},\"error\":{}}\n",
	"{\"v\":1,\"ok\":false}\n",
	"{\"v\":1,\"ok\":false,\"error\":\"x\"}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"message\":\"m\"}}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"\",\"message\":\"m\"}}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"Bad\",\"message\":\"m\"}}"
	"\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\"}}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\",\"message\":1}}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\",\"message\":"
	"\"a\\nb\"}}\n",
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\",\"message\":"
	"\"\\u001b[2J\"}}\n",
	"{\"v\":1,\"ok\":true,\"result\":\"a\x01\"}\n",
	"{\"v\":1,\"ok\":true,\"result\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}\n",
	"{\"v\":1,\"v\":1,\"ok\":true,\"result\":{}}\n",
	"{\"v\":1,\"ok\":true,\"result\":1.5}\n",
	"{\"v\":1,\"ok\":true,\"result\":\"\xff\"}\n",
	"{\"v\":1,\"ok\":true,\"result\":{}}\0\n",
	"\n",
};

/*
 * Each bad reply breaks the peer: both outstanding calls end with
 * -EPROTO, in order, once each; the owner hears once; the socket is
 * closed; a new call is refused.
 */
static void ctlpeer_bad_reply_breaks_peer(void **state)
{
	struct fx *x = *state;
	unsigned int i;
	char buf[64];

	for (i = 0; i < VG_ARRAY_SIZE(bad_replies); i++) {
		const char *s = bad_replies[i];
		size_t len = strlen(s);

		if (i == VG_ARRAY_SIZE(bad_replies) - 2)
			len += 2; /* the one with a NUL byte */
		teardown(state);
		setup_raw(state);
		x = *state;
		assert_int_equal(call(x, 0, "a", NULL), 0);
		assert_int_equal(call(x, 1, "b", NULL), 0);
		far_read(x, buf, sizeof(buf));
		far_send(x, s, len);
		wait_ended(x, 2);
		if (x->seen[0].rc != -EPROTO || x->seen[1].rc != -EPROTO)
			fail_msg("reply %u (%s): rc %d %d", i, s, x->seen[0].rc,
				 x->seen[1].rc);
		assert_int_equal(x->seen[0].order, 1);
		assert_int_equal(x->seen[1].n, 1);
		assert_int_equal(x->broken, 1);
		assert_int_equal(x->broken_rc, -EPROTO);
		assert_int_equal(recv(x->far, buf, sizeof(buf), MSG_DONTWAIT),
				 0);
		assert_int_equal(call(x, 2, "c", NULL), -EPIPE);
		assert_int_equal(x->seen[2].n, 0);
	}
}

/* A good reply, then what answers nothing: the answered call stays so. */
static void ctlpeer_reply_to_no_call_breaks_peer(void **state)
{
	static const char ok[] = "{\"v\":1,\"ok\":true,\"result\":{}}\n";
	struct fx *x = *state;
	char buf[64];

	assert_int_equal(call(x, 0, "a", NULL), 0);
	far_read(x, buf, sizeof(buf));
	far_send(x, ok, strlen(ok));
	far_send(x, "{", 1); /* a partial line with no call */
	wait_ended(x, 1);
	while (vg_evloop_run_once(x->ev, 0) > 0)
		;
	assert_int_equal(x->seen[0].rc, 0);
	assert_int_equal(x->broken, 1);
	assert_int_equal(x->broken_rc, -EPROTO);
	assert_int_equal(x->seen[0].n, 1);
}

/* A reply line beyond VG_CTL_PEER_LINE_MAX breaks; one just under is read. */
static void ctlpeer_long_reply_line_breaks_peer(void **state)
{
	struct fx *x = *state;
	size_t max = VG_CTL_PEER_LINE_MAX, at;
	char *s = malloc(max + 1);
	char buf[64];
	int i;

	assert_non_null(s);
	/* Exactly the limit, newline included: fine. */
	at = (size_t)snprintf(s, max, "{\"v\":1,\"ok\":true,\"result\":\"");
	memset(s + at, 'x', max - at - 3);
	memcpy(s + max - 3, "\"}\n", 3);
	assert_int_equal(call(x, 0, "a", NULL), 0);
	assert_int_equal(call(x, 1, "b", NULL), 0);
	far_read(x, buf, sizeof(buf));
	for (at = 0; at < max;) {
		ssize_t r = send(x->far, s + at, max - at, MSG_DONTWAIT);

		if (r > 0)
			at += (size_t)r;
		assert_true(vg_evloop_run_once(x->ev, 0) >= 0);
	}
	wait_ended(x, 1);
	assert_int_equal(x->seen[0].rc, 0);
	assert_int_equal(strlen(x->seen[0].result),
			 sizeof(x->seen[0].result) - 1);
	/* One byte more, and no newline in it: broken. */
	memset(s, ' ', max + 1);
	for (at = 0, i = 0; at < max + 1 && !x->broken && i < 1000; i++) {
		ssize_t r = send(x->far, s + at, max + 1 - at,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r > 0)
			at += (size_t)r;
		assert_true(vg_evloop_run_once(x->ev, 0) >= 0);
	}
	wait_ended(x, 2);
	assert_int_equal(x->seen[1].rc, -EPROTO);
	assert_int_equal(x->broken, 1);
	free(s);
}

/* --- hang-up, free, limits ------------------------------------------------- */

static void ctlpeer_hangup_fails_calls_once(void **state)
{
	struct fx *x = *state;

	assert_int_equal(call(x, 0, "a", NULL), 0);
	assert_int_equal(call(x, 1, "b", NULL), 0);
	close(x->far);
	x->far = -1;
	wait_ended(x, 2);
	assert_int_equal(x->seen[0].rc, -ECONNRESET);
	assert_int_equal(x->seen[1].rc, -ECONNRESET);
	assert_int_equal(x->seen[1].order, 2);
	assert_int_equal(x->broken, 1);
	assert_int_equal(x->broken_rc, -ECONNRESET);
	assert_int_equal(call(x, 2, "c", NULL), -EPIPE);
	/* An idle peer's hang-up is told too (a fresh one). */
	teardown(state);
	setup_raw(state);
	x = *state;
	close(x->far);
	x->far = -1;
	while (vg_evloop_run_once(x->ev, 0) > 0)
		;
	assert_int_equal(x->broken, 1);
	assert_int_equal(x->ended, 0);
}

static void ctlpeer_free_cancels_calls(void **state)
{
	struct fx *x = *state;

	assert_int_equal(call(x, 0, "a", NULL), 0);
	assert_int_equal(call(x, 1, "b", NULL), 0);
	vg_ctl_peer_free(x->peer);
	x->peer = NULL;
	assert_int_equal(x->ended, 2);
	assert_int_equal(x->seen[0].rc, -ECANCELED);
	assert_int_equal(x->seen[1].rc, -ECANCELED);
	assert_int_equal(x->broken, 0);
}

/*
 * Freed from its first call's done(), with the second's reply in the same
 * read: the second is cancelled, never answered twice; freed from
 * broken(): fine too.
 */
static void ctlpeer_free_from_its_callbacks(void **state)
{
	static const char two[] = "{\"v\":1,\"ok\":true,\"result\":1}\n"
				  "{\"v\":1,\"ok\":true,\"result\":2}\n";
	struct fx *x = *state;
	char buf[64];

	assert_int_equal(call(x, 0, "a", NULL), 0);
	assert_int_equal(call(x, 1, "b", NULL), 0);
	far_read(x, buf, sizeof(buf));
	x->free_in_done = true;
	far_send(x, two, strlen(two));
	wait_ended(x, 2);
	assert_int_equal(x->seen[0].rc, 0);
	assert_int_equal(x->seen[1].rc, -ECANCELED);
	assert_int_equal(x->seen[1].n, 1);
	assert_null(x->peer);
	assert_int_equal(x->broken, 0);

	teardown(state);
	setup_raw(state);
	x = *state;
	x->free_in_broken = true;
	assert_int_equal(call(x, 0, "a", NULL), 0);
	far_send(x, "x\n", 2);
	wait_ended(x, 1);
	assert_int_equal(x->seen[0].rc, -EPROTO);
	assert_int_equal(x->broken, 1);
	assert_null(x->peer);
}

/* Makes @buf args of @len bytes: {"s":"xx...x"}. */
static const char *args_of_len(char *buf, size_t len)
{
	memcpy(buf, "{\"s\":\"", 6);
	memset(buf + 6, 'x', len - 8);
	memcpy(buf + len - 2, "\"}", 3);
	return buf;
}

static void ctlpeer_call_limits(void **state)
{
	/* {"v":1,"cmd":"a","args":ARGS}: 25 bytes and ARGS. */
	static const size_t fits = VG_CTL_REQUEST_MAX - 1 - 25;
	static char big[VG_CTL_REQUEST_MAX];
	struct fx *x = *state;
	struct vg_strbuf b = {0};
	struct vg_jw w;
	unsigned int i;
	int sv[2];

	assert_int_equal(call(x, 0, "", NULL), -EINVAL);
	assert_int_equal(call(x, 0, "a\nb", NULL), -EINVAL);
	assert_int_equal(call(x, 0, "\xc3\xa9", NULL), -EINVAL);
	vg_jw_init(&w, &b);
	vg_jw_arr(&w);
	assert_int_equal(
		vg_ctl_peer_call(x->peer, "a", &w, on_done, &x->seen[0]),
		-EINVAL); /* unfinished */
	vg_jw_arr_end(&w);
	assert_int_equal(
		vg_ctl_peer_call(x->peer, "a", &w, on_done, &x->seen[0]),
		-EINVAL); /* not an object */
	free(b.s);
	assert_int_equal(call(x, 0, "a", args_of_len(big, fits + 1)),
			 -EMSGSIZE);
	assert_int_equal(call(x, 0, "a", args_of_len(big, fits)), 0);
	for (i = 1; i < VG_CTL_PEER_CALLS_MAX; i++)
		assert_int_equal(vg_ctl_peer_call(x->peer, "a", NULL, on_done,
						  &x->seen[0]),
				 0);
	assert_int_equal(vg_ctl_peer_pending(x->peer), VG_CTL_PEER_CALLS_MAX);
	assert_int_equal(call(x, 1, "a", NULL), -EBUSY);
	assert_int_equal(x->ended, 0);
	vg_ctl_peer_free(x->peer);
	x->peer = NULL;
	assert_int_equal(x->seen[0].n, VG_CTL_PEER_CALLS_MAX);
	assert_int_equal(x->seen[0].rc, -ECANCELED);
	assert_int_equal(x->seen[1].n, 0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(
		vg_ctl_peer_new(x->ev, sv[0], &x->log, NULL, NULL, &x->peer),
		-EPROTOTYPE);
	x->peer = NULL;
	assert_int_equal(close(sv[0]), 0); /* still ours */
}

/*
 * A socket that takes little at a time: calls return at once, requests
 * queue, and the loop sends them whole and in order as room comes.
 */
static void ctlpeer_requests_queued_never_block(void **state)
{
	struct fx *x = *state;
	static char got[VG_CTL_PEER_CALLS_MAX * VG_CTL_REQUEST_MAX];
	char arg[3000], cmd[8];
	struct vg_strbuf b = {0};
	struct vg_jw w;
	int sz = 1;
	size_t have = 0;
	unsigned int i, lines = 0;

	assert_int_equal(
		setsockopt(x->near, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	peer_open(x);
	memset(arg, 'y', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_kstr(&w, "s", arg);
	vg_jw_obj_end(&w);
	for (i = 0; i < VG_CTL_PEER_CALLS_MAX; i++) {
		snprintf(cmd, sizeof(cmd), "c%u", i);
		assert_int_equal(vg_ctl_peer_call(x->peer, cmd, &w, on_done,
						  &x->seen[0]),
				 0);
	}
	free(b.s);
	for (i = 0; i < 10000 && have < sizeof(got); i++) {
		ssize_t r = recv(x->far, got + have, sizeof(got) - have,
				 MSG_DONTWAIT);

		if (r > 0)
			have += (size_t)r;
		else if (vg_evloop_run_once(x->ev, 0) == 0)
			break;
	}
	for (i = 0; i < have; i++)
		if (got[i] == '\n')
			lines++;
	assert_int_equal(lines, VG_CTL_PEER_CALLS_MAX);
	assert_true(!strncmp(got, "{\"v\":1,\"cmd\":\"c0\",", 18));
	assert_non_null(strstr(got, "\n{\"v\":1,\"cmd\":\"c15\","));
	assert_int_equal(got[have - 1], '\n');
	assert_int_equal(x->ended, 0);
}

/*
 * The event loop cannot watch the socket for room (played by taking the
 * watch away): the call fails at once, and its done() never runs, not
 * even from inside the call.
 */
static void ctlpeer_call_fails_cleanly_when_unwatchable(void **state)
{
	struct fx *x = *state;
	int fd = x->near;

	peer_open(x);
	vg_evloop_del(x->ev, fd);
	assert_int_equal(
		vg_ctl_peer_call(x->peer, "status", NULL, on_done, &x->seen[0]),
		-ENOMEM);
	assert_int_equal(x->seen[0].n, 0);
	assert_int_equal(vg_ctl_peer_pending(x->peer), 0);
	assert_int_equal(x->broken, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_raw, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			ctlpeer_calls_answered_in_order_by_ctl, setup,
			teardown),
		T(ctlpeer_requests_are_protocol_lines),
		T(ctlpeer_bad_reply_breaks_peer),
		T(ctlpeer_reply_to_no_call_breaks_peer),
		T(ctlpeer_long_reply_line_breaks_peer),
		T(ctlpeer_hangup_fails_calls_once),
		T(ctlpeer_free_cancels_calls),
		T(ctlpeer_free_from_its_callbacks),
		T(ctlpeer_call_limits),
		cmocka_unit_test_setup_teardown(
			ctlpeer_requests_queued_never_block, setup, teardown),
		cmocka_unit_test_setup_teardown(
			ctlpeer_call_fails_cleanly_when_unwatchable, setup,
			teardown),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
