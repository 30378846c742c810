// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the parent's end of a control connection (backend/daemon/
 * ctl-peer.c): the bytes a compromised worker sends as replies to a few
 * outstanding calls, through the real event-loop path (recv, framing,
 * the strict JSON parse, the reply-shape check, the call queue). The
 * worker is the other end of a socketpair, written by the input. The
 * daemon layer is left out of the fuzz build, so this includes the file.
 *
 *   byte 0: calls made at once, 1 + (b & 3); bit 2: the first done()
 *           frees the peer; bit 3: broken() frees it
 *   then, until the input ends, an op byte:
 *     bit 7 clear   send the next 1 + (op & 0x7f) input bytes
 *     0x80..0xbf    make one more call (refused when the peer is broken
 *                   or VG_CTL_PEER_CALLS_MAX are outstanding)
 *     0xc0..0xff    hang up
 *   and after each op one event-loop turn; the peer's requests are read
 *   and dropped. At the end the peer is freed.
 *
 * Checked: nothing crashes or leaks; done() is called exactly once for
 * each call that was accepted, and in the order of the calls; what it is
 * handed has the documented shape (ctl-peer.h): rc 0 with a result and no
 * error; -EREMOTEIO with an error object, a code of [a-z0-9-] and a
 * message without control characters, within their limits; any other rc
 * negative with no reply; broken() at most once, after every call that
 * was outstanding then has ended, and never after a free.
 */
#include "../../backend/daemon/ctl-peer.c"
#include "fuzz-input.h"

#define FZ_CALLS 64 /* calls one input may make, at most */

struct fz {
	struct vg_ctl_peer *peer;
	unsigned int made; /* calls accepted */
	unsigned int ended; /* done() calls */
	unsigned int count[FZ_CALLS]; /* done() calls per call */
	unsigned int broken;
	bool free_in_done, free_in_broken;
	bool freed;
};

struct fz_call {
	struct fz *f;
	unsigned int i;
};

static struct fz_call fz_calls[FZ_CALLS];

static bool fz_code(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return n >= 1 && n <= VG_CTL_PEER_CODE_MAX;
}

static bool fz_message(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return n <= VG_CTL_PEER_MESSAGE_MAX;
}

static void fz_done(void *arg, int rc, const struct vg_ctl_peer_reply *r)
{
	struct fz_call *c = arg;
	struct fz *f = c->f;

	VG_FUZZ_CHECK(c->i < f->made);
	VG_FUZZ_CHECK(f->count[c->i]++ == 0);
	/* In order: the calls before this one have all ended. */
	VG_FUZZ_CHECK(f->ended++ == c->i);
	if (rc == 0) {
		VG_FUZZ_CHECK(r && r->result && !r->error && !r->code &&
			      !r->message);
	} else if (rc == -EREMOTEIO) {
		VG_FUZZ_CHECK(r && r->error && r->error->type == VG_JSON_OBJ);
		VG_FUZZ_CHECK(r->code && fz_code(r->code));
		VG_FUZZ_CHECK(r->message && fz_message(r->message));
		VG_FUZZ_CHECK(!strcmp(
			vg_json_str(vg_json_get(r->error, "code")), r->code));
	} else {
		VG_FUZZ_CHECK(rc < 0 && !r);
	}
	if (f->free_in_done) {
		f->free_in_done = false;
		f->freed = true;
		vg_ctl_peer_free(f->peer);
	}
}

static void fz_broken(void *arg, int rc)
{
	struct fz *f = arg;

	VG_FUZZ_CHECK(rc < 0 && !f->freed);
	VG_FUZZ_CHECK(f->broken++ == 0);
	VG_FUZZ_CHECK(f->ended == f->made);
	if (f->free_in_broken) {
		f->freed = true;
		vg_ctl_peer_free(f->peer);
	}
}

static void fz_call(struct fz *f)
{
	static const char *const cmds[] = {"status", "apply", "sim get"};
	struct fz_call *c;
	int rc;

	if (f->freed || f->made == FZ_CALLS)
		return;
	c = &fz_calls[f->made];
	c->f = f;
	c->i = f->made;
	rc = vg_ctl_peer_call(f->peer, cmds[f->made % 3], NULL, fz_done, c);
	if (!rc)
		f->made++;
	else
		VG_FUZZ_CHECK(rc == -EPIPE || rc == -EBUSY);
}

/* Read and drop the peer's requests. */
static void fz_drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_log_sink sink = {.level = VG_LOG_ERR, .fd = 2};
	struct fz f = {0};
	struct vg_evloop *ev;
	struct vg_log log;
	size_t at = 1;
	unsigned int i, n;
	int sv[2];

	if (!size)
		return 0;
	vg_log_init(&log, &sink, "fuzz");
	VG_FUZZ_CHECK(!vg_evloop_new(&ev));
	VG_FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	VG_FUZZ_CHECK(
		!vg_ctl_peer_new(ev, sv[0], &log, fz_broken, &f, &f.peer));
	f.free_in_done = data[0] & 4;
	f.free_in_broken = data[0] & 8;
	n = 1 + (data[0] & 3);
	for (i = 0; i < n; i++)
		fz_call(&f);
	VG_FUZZ_CHECK(f.made == n);

	while (at < size && sv[1] >= 0) {
		uint8_t op = data[at++];

		if (!(op & 0x80)) {
			size_t len = 1 + (size_t)(op & 0x7f);

			len = len > size - at ? size - at : len;
			(void)send(sv[1], data + at, len,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
			at += len;
		} else if (op < 0xc0) {
			fz_call(&f);
		} else {
			close(sv[1]);
			sv[1] = -1;
		}
		VG_FUZZ_CHECK(vg_evloop_run_once(ev, 0) >= 0);
		if (sv[1] >= 0)
			fz_drain(sv[1]);
	}
	while (vg_evloop_run_once(ev, 0) > 0)
		if (sv[1] >= 0)
			fz_drain(sv[1]);
	if (!f.freed) {
		f.freed = true;
		vg_ctl_peer_free(f.peer);
	}
	VG_FUZZ_CHECK(f.ended == f.made);
	for (i = 0; i < f.made; i++)
		VG_FUZZ_CHECK(f.count[i] == 1);
	VG_FUZZ_CHECK(f.broken <= 1);
	if (sv[1] >= 0)
		close(sv[1]);
	vg_evloop_free(ev);
	return 0;
}
