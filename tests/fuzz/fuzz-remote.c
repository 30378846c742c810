// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the remote provider's server (backend/providers/remote-server.c),
 * which reads every packet a worker process sends about the parent's
 * simulated lines. The real lines are the recording fake provider; the
 * domain may hold lines "led" and "in" of chip "board", nothing else.
 *
 * The input is a script of steps; each step's first byte says what:
 *   b % 4 == 0   a raw packet of the next (b / 4) bytes
 *   b % 4 == 1   a packet: the next sizeof(struct vg_remote_msg) bytes,
 *                version forced to 1 and both names terminated
 *   b % 4 == 2   the same with op (b / 4) % 8 and a handle below 4
 *   b % 4 == 3   an edge on fake line (b / 4) % 3, then dispatch
 * and the server runs after each step.
 *
 * Checked: nothing crashes or leaks; a line outside the domain is never
 * opened; the server holds exactly the lines the fake has open; every
 * packet the server sends passes the client's own check; once the peer
 * is dropped or the script ends, every line is released.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fakeprov.h"
#include "fuzz-input.h"
#include "remote.h"

static const char *const names[] = {"led", "btn", "in"};

static bool allow(void *arg, const struct vg_line_spec *spec)
{
	(void)arg;
	return !strcmp(spec->chip, "board") &&
	       (!strcmp(spec->line, "led") || !strcmp(spec->line, "in"));
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

static unsigned int open_lines(const struct vg_fakeprov *fp)
{
	unsigned int i, n = 0;

	for (i = 0; i < fp->n; i++)
		n += fp->lines[i].open;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_fuzz_in in = {.p = data, .n = size};
	struct vg_remote_server_params p = {
		.consumer = "vgpio:fuzz",
		.allow = allow,
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
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv)) {
		vg_fakeprov_free(fp);
		return 0;
	}
	p.fd = sv[0];
	p.prov = vg_fakeprov_provider(fp);
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
		VG_FUZZ_CHECK(vg_remote_server_lines(s) == open_lines(fp));
	}
	vg_remote_server_free(s);
	VG_FUZZ_CHECK(open_lines(fp) == 0);
	close(sv[1]);
	vg_fakeprov_free(fp);
	return 0;
}
