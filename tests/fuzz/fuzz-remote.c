// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the remote provider's server (backend/providers/remote-server.c),
 * which reads every packet a worker process sends about the parent's
 * simulated lines. The owner holds lines "led" and "in" of chip "board"
 * on the recording fake provider and lends them; nothing else exists.
 *
 * The input is a script of steps; each step's first byte says what:
 *   b % 4 == 0   a raw packet of the next (b / 4) bytes
 *   b % 4 == 1   a packet: the next sizeof(struct vg_remote_msg) bytes,
 *                version forced to 1 and both names terminated
 *   b % 4 == 2   the same with op (b / 4) % 8 and a handle below 4
 *   b % 4 == 3   an edge on fake line (b / 4) % 3, then dispatch
 * and the server runs after each step.
 *
 * Checked: nothing crashes or leaks; the server has exactly the lines
 * lent to it, never one twice; no line is ever closed or opened by the
 * server (custody stays with the owner); every packet the server sends
 * passes the client's own check; once the peer is dropped or the script
 * ends, every line is given back.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fakeprov.h"
#include "fuzz-input.h"
#include "remote.h"

static const char *const names[] = {"led", "btn", "in"};

struct owner {
	struct vg_provider prov;
	struct vg_line *h[3]; /* held: 0 and 2 */
	struct vg_remote_lent *cookie[3];
	unsigned int lent;
};

static void held_event(void *arg, unsigned int edge)
{
	struct vg_remote_lent **cookie = arg;

	if (*cookie)
		vg_remote_server_event(*cookie, edge);
}

static int lend(void *arg, const struct vg_line_spec *spec,
		struct vg_remote_lent *cookie, struct vg_provider *prov,
		struct vg_line **line, unsigned int *allow, void **token)
{
	struct owner *o = arg;
	unsigned int i;

	if (strcmp(spec->chip, "board"))
		return -EACCES;
	for (i = 0; i < 3; i += 2) {
		if (strcmp(spec->line, names[i]))
			continue;
		if (o->cookie[i])
			return -EBUSY;
		o->cookie[i] = cookie;
		o->lent++;
		*prov = o->prov;
		*line = o->h[i];
		/* "led" may do anything, "in" only be read, safe low. */
		*allow = i ? VG_REMOTE_ALLOW_IN | VG_REMOTE_SAFE_LOW
			   : VG_REMOTE_ALLOW_IN | VG_REMOTE_ALLOW_OUT |
					 VG_REMOTE_ALLOW_IRQ;
		*token = &o->cookie[i];
		return 0;
	}
	return -EACCES;
}

static void give_back(void *arg, void *token)
{
	struct vg_remote_lent **cookie = token;
	struct owner *o = arg;

	VG_FUZZ_CHECK(*cookie);
	*cookie = NULL;
	o->lent--;
}

/* Read back what the server sent; each packet must be well formed. */
static void drain(int fd)
{
	struct vg_remote_msg m;
	const char *why;
	ssize_t n;

	while ((n = recv(fd, &m, sizeof(m), MSG_DONTWAIT)) > 0)
		VG_FUZZ_CHECK(!vg_remote_check(&m, (size_t)n, true, &why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_fuzz_in in = {.p = data, .n = size};
	struct owner o = {0};
	struct vg_remote_server_params p = {
		.lend = lend,
		.give_back = give_back,
		.arg = &o,
	};
	struct vg_remote_server *s;
	struct vg_fakeprov *fp;
	struct vg_remote_msg m;
	uint8_t buf[sizeof(m) + 8];
	bool alive = true;
	int sv[2];
	size_t n;

	if (vg_fakeprov_new(3, names, &fp))
		return 0;
	o.prov = vg_fakeprov_provider(fp);
	o.h[0] = vg_fakeprov_open(fp, 0, held_event, &o.cookie[0]);
	o.h[2] = vg_fakeprov_open(fp, 2, held_event, &o.cookie[2]);
	VG_FUZZ_CHECK(o.h[0] && o.h[2]);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv)) {
		vg_fakeprov_free(fp);
		return 0;
	}
	p.fd = sv[0];
	VG_FUZZ_CHECK(!vg_remote_server_new(&p, &s));
	while (alive && in.n) {
		uint8_t b = vg_fuzz_u8(&in);

		switch (b % 4) {
		case 0:
			n = b / 4 < in.n ? b / 4 : in.n;
			memcpy(buf, in.p, n);
			in.p += n;
			in.n -= n;
			(void)send(sv[1], buf, n, 0);
			break;
		case 3:
			vg_fakeprov_inject_edge(fp, (b / 4) % 3,
						b & 0x80 ? VG_EDGE_RISING
							 : VG_EDGE_FALLING);
			vg_fakeprov_dispatch(fp);
			break;
		default:
			memset(&m, 0, sizeof(m));
			n = sizeof(m) < in.n ? sizeof(m) : in.n;
			memcpy(&m, in.p, n);
			in.p += n;
			in.n -= n;
			m.version = vg_le16_put(VG_REMOTE_VERSION);
			m.chip[sizeof(m.chip) - 1] = '\0';
			m.line[sizeof(m.line) - 1] = '\0';
			if (b % 4 == 2) {
				m.op = vg_le16_put((uint16_t)((b / 4) % 8));
				m.handle =
					vg_le32_put(vg_le32_get(m.handle) % 4);
			}
			(void)send(sv[1], &m, sizeof(m), 0);
			break;
		}
		alive = vg_remote_server_run(s);
		drain(sv[1]);
		VG_FUZZ_CHECK(!fp->lines[1].open);
		VG_FUZZ_CHECK(fp->lines[0].open && fp->lines[2].open);
		VG_FUZZ_CHECK(vg_remote_server_lines(s) == o.lent);
		/* "in" (fake line 2) is never driven high nor gets edges. */
		VG_FUZZ_CHECK(!(fp->lines[2].dir == VG_DIR_OUT &&
				fp->lines[2].out == 1));
		VG_FUZZ_CHECK(!fp->lines[2].edges);
	}
	vg_remote_server_free(s);
	VG_FUZZ_CHECK(o.lent == 0);
	VG_FUZZ_CHECK(vg_fakeprov_count(fp, VG_FAKE_CLOSE, 0) == 0);
	close(sv[1]);
	vg_fakeprov_free(fp);
	return 0;
}
