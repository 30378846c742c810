// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the control socket's request handling (backend/daemon/ctl.c and
 * ctl-call.c): one client, the bytes it sends chosen by the input, through the
 * real client_event() path (recv, framing, JSON and text parsing, argument
 * checks, commands, replies, send). The client is one end of a socketpair;
 * the other end reads what the daemon sends and checks it. The commands are
 * a table like the daemon's (every argument type, nested results, an error
 * member, a partial result, a text form); the daemon's own commands need a
 * whole daemon and are tested in tests/unit/test-ctl.c.
 *
 * ctl.c's handling is static, so this target includes both files (the
 * fuzz build leaves the daemon layer out of the core it links).
 *
 *   then, until the input ends, an op byte:
 *     bit 7 clear   send the next 1 + (op & 0x7f) input bytes
 *     0x80..0xbf    read what the daemon sent (else it queues up)
 *     0xc0..0xff    shut down the sending side (EOF), then read
 *   and after each op one event-loop turn.
 *
 * Checked: nothing crashes or leaks; every complete reply line that looks
 * like JSON is a reply object ("v" 1, boolean "ok", an object "result" on
 * success, an "error" with string "code" and "message" on failure); no
 * reply holds a NUL byte.
 */
#include "../../backend/daemon/ctl-call.c"
#include "../../backend/daemon/ctl.c"
#include "fuzz-input.h"

struct fz_seen {
	char buf[1u << 16];
	size_t len;
	bool eof;
};

static int fz_echo(void *arg, struct vg_ctl_call *call)
{
	struct vg_jw *w = vg_ctl_result(call);

	(void)arg;
	vg_jw_obj(w);
	vg_jw_kstr(w, "s", vg_ctl_arg_str(call, 0));
	vg_jw_key(w, "n");
	vg_jw_i64(w, vg_ctl_arg_int(call, 1));
	vg_jw_karr(w, "list");
	vg_jw_obj(w);
	vg_jw_knull(w, "none");
	vg_jw_obj_end(w);
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
	return 0;
}

static void fz_echo_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	vg_ctl_reply(call, "s %s n %" PRIu64, vg_json_get_str(res, "s", "?"),
		     vg_json_get_u64(res, "n", 0));
}

/* Many lines of output, or a partial failure with an error member. */
static int fz_many(void *arg, struct vg_ctl_call *call)
{
	struct vg_jw *w = vg_ctl_result(call);
	int64_t i, n = vg_ctl_arg_int(call, 0);

	(void)arg;
	vg_jw_obj(w);
	vg_jw_karr(w, "items");
	for (i = 0; i < n; i++)
		vg_jw_str(w, "item\n\"\x01");
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
	if (n % 2) {
		w = vg_ctl_error_member(call, "detail");
		vg_jw_obj(w);
		vg_jw_ku64(w, "n", (uint64_t)n);
		vg_jw_obj_end(w);
		return vg_ctl_fail(call, VG_CTL_E_PARTIAL, "odd: %" PRId64, n);
	}
	return 0;
}

static void fz_many_text(struct vg_ctl_call *call, const struct vg_json *res)
{
	const struct vg_json *items = vg_json_get(res, "items");
	unsigned int i;

	for (i = 0; items && i < items->n; i++)
		vg_ctl_reply(call, "%s", vg_json_str(&items->v[i]));
}

static int fz_fail(void *arg, struct vg_ctl_call *call)
{
	(void)arg;
	return vg_ctl_fail(call, VG_CTL_E_NOT_FOUND, "no %s",
			   vg_ctl_arg_str(call, 0));
}

/* No result written: the reply's result is {}. */
static int fz_none(void *arg, struct vg_ctl_call *call)
{
	(void)arg;
	(void)call;
	return 0;
}

static const struct vg_ctl_arg fz_args[] = {
	{"name", VG_CTL_ARG_STR, 1, 63},
	{"n", VG_CTL_ARG_INT, -5, 5},
};
static const struct vg_ctl_arg fz_many_args[] = {
	{"n", VG_CTL_ARG_INT, 0, 20000},
};

static const struct vg_ctl_cmd fz_cmds[] = {
	{"echo", "echo", fz_args, 2, fz_echo, fz_echo_text},
	{"sim get", "fails", fz_args, 1, fz_fail, NULL},
	{"many", "many", fz_many_args, 1, fz_many, fz_many_text},
	{"none", "no result", NULL, 0, fz_none, NULL},
};

static void check_line(const char *s, size_t n)
{
	const struct vg_json *err;
	struct vg_json *r = NULL;
	uint64_t v = 0;

	VG_FUZZ_CHECK(!memchr(s, '\0', n));
	if (!n || s[0] != '{')
		return;
	VG_FUZZ_CHECK(!vg_json_parse(s, n, VG_CTL_REPLY_DEPTH, &r, NULL));
	VG_FUZZ_CHECK(!vg_json_u64(vg_json_get(r, "v"), &v) && v == 1);
	VG_FUZZ_CHECK(vg_json_get(r, "ok") &&
		      vg_json_get(r, "ok")->type == VG_JSON_BOOL);
	if (vg_json_true(vg_json_get(r, "ok"))) {
		VG_FUZZ_CHECK(vg_json_get(r, "result") &&
			      vg_json_get(r, "result")->type == VG_JSON_OBJ);
		VG_FUZZ_CHECK(!vg_json_get(r, "error"));
	} else {
		err = vg_json_get(r, "error");
		VG_FUZZ_CHECK(vg_json_str(vg_json_get(err, "code")));
		VG_FUZZ_CHECK(vg_json_str(vg_json_get(err, "message")));
	}
	vg_json_free(r);
}

/* Read what the daemon sent; check each complete line. */
static void drain(int fd, struct fz_seen *s)
{
	char *nl;
	ssize_t r;

	for (;;) {
		r = recv(fd, s->buf + s->len, sizeof(s->buf) - s->len,
			 MSG_DONTWAIT);
		if (r == 0) {
			s->eof = true;
			return;
		}
		if (r < 0) {
			VG_FUZZ_CHECK(errno == EAGAIN || errno == ECONNRESET);
			return;
		}
		s->len += (size_t)r;
		while ((nl = memchr(s->buf, '\n', s->len))) {
			size_t n = (size_t)(nl - s->buf);

			check_line(s->buf, n);
			memmove(s->buf, nl + 1, s->len - n - 1);
			s->len -= n + 1;
		}
		/* A line longer than our buffer is one of many's items. */
		if (s->len == sizeof(s->buf))
			s->len = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_ctl ctl = {.cmds = fz_cmds, .ncmds = VG_ARRAY_SIZE(fz_cmds)};
	struct fz_seen *seen = calloc(1, sizeof(*seen));
	struct vg_ctl_client *cl = calloc(1, sizeof(*cl));
	size_t at = 0;
	int sv[2], i;

	VG_FUZZ_CHECK(seen && cl);
	VG_FUZZ_CHECK(cmds_valid(fz_cmds, VG_ARRAY_SIZE(fz_cmds)));
	VG_FUZZ_CHECK(!vg_evloop_new(&ctl.ev));
	VG_FUZZ_CHECK(!socketpair(
		AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	/* As listen_event() adds a client. */
	cl->ctl = &ctl;
	cl->fd = sv[0];
	VG_FUZZ_CHECK(!vg_evloop_add(ctl.ev, sv[0], EPOLLIN, client_event, cl));
	ctl.clients = cl;
	ctl.nclients = 1;

	while (at < size && ctl.nclients) {
		uint8_t op = data[at++];

		if (!(op & 0x80)) {
			size_t n = 1 + (size_t)(op & 0x7f);

			n = n > size - at ? size - at : n;
			(void)send(sv[1], data + at, n,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
			at += n;
		} else {
			if (op >= 0xc0)
				shutdown(sv[1], SHUT_WR);
			drain(sv[1], seen);
		}
		VG_FUZZ_CHECK(vg_evloop_run_once(ctl.ev, 0) >= 0);
	}
	/* The end: the client goes away after its last replies. */
	shutdown(sv[1], SHUT_WR);
	for (i = 0; i < 64 && ctl.nclients; i++) {
		drain(sv[1], seen);
		VG_FUZZ_CHECK(vg_evloop_run_once(ctl.ev, 0) >= 0);
	}
	drain(sv[1], seen);
	if (ctl.nclients)
		client_drop(ctl.clients);
	vg_evloop_free(ctl.ev);
	close(sv[1]);
	free(seen);
	return 0;
}
