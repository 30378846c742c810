// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz a worker's hand-off receive path (backend/transports/loop/loop.c,
 * hand-off mode): each input is one or more hand-off packets, really sent
 * over a SOCK_SEQPACKET socketpair with real fds, then received and
 * adopted by handoff_event() as in a worker. Behind the transport is a
 * virtio-gpio device on fake lines (domain "alpha" only). loop.c's
 * functions are static, so this target includes it (as fuzz-loop.c).
 *
 * Per packet, until the input ends (at most 4):
 *   byte 0      the connection: 0 none, 1 SOCK_SEQPACKET socket,
 *               2 SOCK_STREAM socket, 3 pipe, 4 memfd (b % 5)
 *   byte 1      fds after it: b % 12 memfds (sealable if bit 7 is clear)
 *   byte 2      data length: < 0x80 a HELLO's (112), else b & 0x7f
 *               (127 is oversized)
 *   byte 3      bit 0: a valid HELLO for "alpha" under the bytes below
 *   length bytes  XORed into the data (zero where the input ended)
 *
 * Checked: nothing crashes; a guest on a SOCK_SEQPACKET connection gets
 * at most one WELCOME, or its connection closed; an accepted guest's
 * register file answers; the hand-off socket stays open; after the
 * guests go, every attach has its detach and no fd is left open.
 */
#include "../../backend/transports/loop/loop.c"
#include <vgpio/virtio_mmio.h>
#include "fakeacl.h"
#include "fuzz-input.h"
#include "gpio.h"

#define NL 2u
#define MAX_PACKETS 4u
#define RAM_SIZE 0x10000u

struct fz {
	struct vg_fakeacl fa;
	struct vg_gpio *g;
	struct vg_mmio m;
	unsigned int attaches, detaches, closed;
};

static int fz_attach(void *arg, void *conn, const char *domain,
		     const struct vg_bus *bus, const struct vg_guest_info *info,
		     struct vg_mmio **mmio, char *reason, size_t reason_len)
{
	struct fz *z = arg;
	struct vg_gpio_params p = {.acl = &z->fa.acl, .bus = *bus};

	(void)conn;
	(void)info;
	if (strcmp(domain, "alpha")) {
		snprintf(reason, reason_len, "unknown domain '%s'", domain);
		return ENOENT;
	}
	if (z->g) {
		snprintf(reason, reason_len, "domain busy");
		return EBUSY;
	}
	VG_FUZZ_CHECK(!vg_gpio_new(&p, &z->g));
	z->fa.gpio = z->g;
	vg_mmio_init(&z->m, vg_gpio_vdev(z->g), NULL);
	*mmio = &z->m;
	z->attaches++;
	return 0;
}

static void fz_detach(void *arg, void *conn)
{
	struct fz *z = arg;

	(void)conn;
	vg_gpio_free(z->g);
	z->g = NULL;
	z->fa.gpio = NULL;
	z->detaches++;
}

static const struct vg_guest_hooks fz_hooks = {
	.attach = fz_attach,
	.detach = fz_detach,
};

static void fz_closed(void *arg)
{
	struct fz *z = arg;

	z->closed++;
}

static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static int memfd(bool sealable)
{
	int fd = memfd_create("fuzz-ram",
			      MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	VG_FUZZ_CHECK(fd >= 0);
	VG_FUZZ_CHECK(!ftruncate(fd, RAM_SIZE));
	return fd;
}

static void send_packet(int sock, const void *buf, size_t len, const int *fds,
			unsigned int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (nfds) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	VG_FUZZ_CHECK(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

/* The guest's end of a SOCK_SEQPACKET connection after its hand-off. */
static void check_guest(struct fz *z, int guest)
{
	struct vg_loop_welcome w;
	ssize_t r = recv(guest, &w, sizeof(w), MSG_DONTWAIT);

	if (r == 0)
		return; /* dropped without a word: a malformed hand-off */
	VG_FUZZ_CHECK(r == sizeof(w));
	VG_FUZZ_CHECK(vg_le16_get(w.type) == VG_LOOP_WELCOME);
	VG_FUZZ_CHECK(memchr(w.reason, '\0', sizeof(w.reason)));
	if (vg_le32_get(w.status)) {
		/* Refused: then the connection is closed. */
		VG_FUZZ_CHECK(recv(guest, &w, 1, MSG_DONTWAIT) == 0);
		return;
	}
	VG_FUZZ_CHECK(z->g);
	VG_FUZZ_CHECK(vg_mmio_read(&z->m, VG_MMIO_MAGIC_VALUE, 4) ==
		      VG_MMIO_MAGIC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[NL] = {"led", "button"};
	struct vg_fuzz_in in = {data, size};
	struct vg_loop_config cfg = {0};
	struct vg_evloop *ev;
	struct vg_loop *loop;
	int sv[2], fds_before = open_fds();
	int guests[MAX_PACKETS];
	unsigned int npackets = 0, steps = 0, i;
	struct fz *z = calloc(1, sizeof(*z));

	VG_FUZZ_CHECK(z);
	VG_FUZZ_CHECK(!vg_fakeacl_init(&z->fa, NL, names));
	VG_FUZZ_CHECK(!vg_evloop_new(&ev));
	VG_FUZZ_CHECK(
		!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	cfg.handoff_fd = sv[1];
	cfg.handoff_closed = fz_closed;
	cfg.handoff_arg = z;
	VG_FUZZ_CHECK(!vg_loop_new(ev, &cfg, &fz_hooks, z, NULL, &loop));

	while (in.n && npackets < MAX_PACKETS && steps++ < 4 * MAX_PACKETS) {
		uint8_t kind = vg_fuzz_u8(&in) % 5, extra = vg_fuzz_u8(&in);
		uint8_t lb = vg_fuzz_u8(&in);
		size_t len = lb < 0x80 ? sizeof(struct vg_loop_hello)
				       : (size_t)(lb & 0x7f);
		bool valid = vg_fuzz_u8(&in) & 1;
		uint8_t buf[128] = {0};
		int fds[16], pair[2] = {-1, -1}, guest = -1;
		unsigned int nfds = 0, n = extra % 12;

		if (valid) {
			struct vg_loop_hello *h = (struct vg_loop_hello *)buf;

			h->type = vg_le16_put(VG_LOOP_HELLO);
			h->magic = vg_le32_put(VG_LOOP_MAGIC);
			h->version = vg_le32_put(VG_LOOP_VERSION);
			memcpy(h->domain, "alpha", 6);
			h->ram_base = vg_le64_put(0x40000000);
			h->ram_size = vg_le64_put(RAM_SIZE);
		}
		for (i = 0; i < len; i++)
			buf[i] ^= vg_fuzz_u8(&in);
		switch (kind) {
		case 1:
		case 2:
			VG_FUZZ_CHECK(!socketpair(
				AF_UNIX,
				(kind == 1 ? SOCK_SEQPACKET : SOCK_STREAM) |
					SOCK_CLOEXEC,
				0, pair));
			fds[nfds++] = pair[1];
			if (kind == 1)
				guest = pair[0];
			break;
		case 3:
			VG_FUZZ_CHECK(!pipe2(pair, O_CLOEXEC));
			fds[nfds++] = pair[0];
			break;
		case 4:
			fds[nfds++] = memfd(true);
			break;
		default:
			break;
		}
		for (i = 0; i < n; i++)
			fds[nfds++] = memfd(!(extra & 0x80));
		send_packet(sv[0], buf, len, fds, nfds);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (pair[0] >= 0 && guest < 0)
			close(pair[kind == 3 ? 1 : 0]);
		/* The worker's event loop, as the daemon runs it. */
		handoff_event(loop, EPOLLIN);
		VG_FUZZ_CHECK(!z->closed);
		if (guest >= 0) {
			check_guest(z, guest);
			guests[npackets++] = guest;
		}
	}
	/* The guests go, then the parent. */
	for (i = 0; i < npackets; i++)
		close(guests[i]);
	while (vg_evloop_run_once(ev, 0) > 0)
		;
	close(sv[0]);
	handoff_event(loop, EPOLLIN | EPOLLHUP);
	VG_FUZZ_CHECK(z->closed == 1);
	vg_loop_free(loop);
	VG_FUZZ_CHECK(z->detaches == z->attaches && !z->g);
	close(sv[1]);
	vg_evloop_free(ev);
	vg_fakeacl_dispose(&z->fa);
	free(z);
	VG_FUZZ_CHECK(open_fds() == fds_before);
	return 0;
}
