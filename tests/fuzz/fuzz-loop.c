// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the loop transport's daemon side (backend/transports/loop/loop.c):
 * HELLO with its fd, then MMIO packets, exactly as conn_read() hands them
 * to on_hello() and on_access(), but without recvmsg(): the input says
 * what the kernel delivered (bytes, length, MSG_TRUNC/CTRUNC, which fds). The connection's
 * socket is one end of a socketpair whose other end is the guest, so
 * WELCOME, MMIO_REPLY and IRQ really go out and are checked. Behind the
 * transport is a virtio-gpio device on fake lines (domain "alpha" only).
 *
 * loop.c's packet handling is static, so this target includes loop.c (the
 * fuzz build leaves it out of the core it links).
 *
 *   byte 0      fd with HELLO: 0 none, 1 memfd, 2 memfd without sealing,
 *               3 two memfds, 4 a pipe, 5 memfd sealed against writes
 *   byte 1      memfd size: 64 KiB, 4 KiB, 1 byte, 0 (b % 4)
 *   byte 2      HELLO length: < 0x80 the real size, else b & 0x7f
 *   byte 3      bit 0 MSG_TRUNC, bit 1 MSG_CTRUNC
 *   112 bytes   the HELLO
 *   then        actions until the input ends; op byte (% 8), arguments:
 *     0-2 mmio     mode (bit 0 write, 1 raw type u16 follows, 2 length u8
 *                  follows, 3 an fd rides along, 4 MSG_TRUNC, 5 addr high
 *                  u32 follows), addr u32, size u8, seq u32, data u32
 *     3   ram      offset u16, length u8 % 64, bytes (guest RAM write)
 *     4   run      budget u8 % 16
 *     5   edge     line (bits 0-6), rising if bit 7
 *     6   shrink   the guest tries to truncate its RAM (must fail)
 *     7   hello    a second HELLO on the attached connection
 *
 * Checked: nothing crashes; a refused HELLO answers WELCOME with the
 * status and a terminated reason; every accepted access gets exactly one
 * MMIO_REPLY with its seq (IRQs may come in between); a malformed packet
 * drops the connection; the seal holds; no fd leaks, every map unmapped.
 */
#include "../../backend/transports/loop/loop.c"
#include "fakeacl.h"
#include "fuzz-act.h"
#include "fuzz-input.h"
#include "gpio.h"

#define NL 2u
#define HELLO_LEN sizeof(struct vg_loop_hello)

struct fz {
	struct vg_fakeacl fa;
	struct vg_gpio *g;
	struct vg_mmio m;
	unsigned int attaches, detaches;
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
	VG_FUZZ_CHECK(!z->g);
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

static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static int memfd(size_t size, unsigned int flags, int seals)
{
	int fd = memfd_create("fuzz-ram", MFD_CLOEXEC | flags);

	VG_FUZZ_CHECK(fd >= 0);
	VG_FUZZ_CHECK(!ftruncate(fd, (off_t)size));
	if (seals)
		VG_FUZZ_CHECK(!fcntl(fd, F_ADD_SEALS, seals));
	return fd;
}

/* The guest side: read everything the daemon sent. */
struct seen {
	unsigned int welcomes, replies, irqs;
	uint32_t welcome_status;
	uint32_t reply_seq;
	bool eof;
};

static void drain(int fd, struct seen *s)
{
	union {
		struct vg_loop_welcome w;
		struct vg_loop_msg m;
		uint8_t raw[256];
	} u;
	ssize_t r;

	for (;;) {
		r = recv(fd, &u, sizeof(u), MSG_DONTWAIT);
		if (r == 0) {
			s->eof = true;
			return;
		}
		if (r < 0) {
			VG_FUZZ_CHECK(errno == EAGAIN || errno == ECONNRESET);
			return;
		}
		if (vg_le16_get(u.m.type) == VG_LOOP_WELCOME) {
			VG_FUZZ_CHECK(r == sizeof(u.w));
			VG_FUZZ_CHECK(
				memchr(u.w.reason, '\0', sizeof(u.w.reason)));
			s->welcome_status = vg_le32_get(u.w.status);
			s->welcomes++;
		} else if (vg_le16_get(u.m.type) == VG_LOOP_MMIO_REPLY) {
			VG_FUZZ_CHECK(r == sizeof(u.m));
			s->reply_seq = vg_le32_get(u.m.seq);
			s->replies++;
		} else {
			VG_FUZZ_CHECK(r == sizeof(u.m));
			VG_FUZZ_CHECK(vg_le16_get(u.m.type) == VG_LOOP_IRQ);
			s->irqs++;
		}
	}
}

static void hello_fds(struct packet *p, uint8_t kind, size_t size, int *ram)
{
	int pfd[2];

	*ram = -1;
	switch (kind % 6) {
	case 1:
		*ram = memfd(size, MFD_ALLOW_SEALING, 0);
		break;
	case 2:
		*ram = memfd(size, 0, 0);
		break;
	case 3:
		*ram = memfd(size, MFD_ALLOW_SEALING, 0);
		p->fds[p->nfds++] = memfd(size, MFD_ALLOW_SEALING, 0);
		break;
	case 4:
		VG_FUZZ_CHECK(!pipe2(pfd, O_CLOEXEC));
		close(pfd[1]);
		p->fds[p->nfds++] = pfd[0];
		return;
	case 5:
		*ram = memfd(size, MFD_ALLOW_SEALING, F_SEAL_WRITE);
		break;
	default:
		return;
	}
	/* The daemon gets its own fd, as over SCM_RIGHTS. */
	p->fds[p->nfds++] = fcntl(*ram, F_DUPFD_CLOEXEC, 0);
	VG_FUZZ_CHECK(p->fds[p->nfds - 1] >= 0);
}

static void read_bytes(struct vg_fuzz_in *in, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = vg_fuzz_u8(in);
}

/* One MMIO action; false if it dropped the connection. */
static bool fz_mmio(struct vg_loop_conn *c, int guest, struct vg_fuzz_in *in)
{
	uint8_t mode = vg_fuzz_u8(in);
	struct packet p = {.len = sizeof(struct vg_loop_msg)};
	struct vg_loop_msg *m = &p.u.msg;
	struct seen s = {0};
	uint64_t addr;
	uint32_t seq;
	int rc;

	m->type =
		vg_le16_put(mode & 1 ? VG_LOOP_MMIO_WRITE : VG_LOOP_MMIO_READ);
	if (mode & 2)
		m->type = vg_le16_put(vg_fuzz_u16(in));
	if (mode & 4)
		p.len = vg_fuzz_u8(in) % (sizeof(p.u) + 1);
	if (mode & 8)
		p.fds[p.nfds++] = memfd(1, 0, 0);
	if (mode & 0x10)
		p.flags |= MSG_TRUNC;
	addr = vg_fuzz_u32(in);
	if (mode & 0x20)
		addr |= (uint64_t)vg_fuzz_u32(in) << 32;
	m->addr = vg_le64_put(addr);
	m->size = vg_le16_put(vg_fuzz_u8(in));
	seq = vg_fuzz_u32(in);
	m->seq = vg_le32_put(seq);
	m->data = vg_le64_put(vg_fuzz_u32(in));

	rc = on_access(c, &p);
	close_fds(&p);
	drain(guest, &s);
	if (rc) {
		VG_FUZZ_CHECK(rc == -EPROTO && !s.replies);
		conn_drop(c);
		return false;
	}
	VG_FUZZ_CHECK(s.replies == 1 && s.reply_seq == seq);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[NL] = {"led", "button"};
	static const size_t ram_sizes[4] = {0x10000, 0x1000, 1, 0};
	struct vg_fuzz_in in = {data, size};
	struct vg_loop loop = {.lis = {.fd = -1}, .hooks = &fz_hooks};
	struct vg_loop_conn *c;
	struct packet p = {0};
	struct seen s = {0};
	uint8_t kind, mode, *ram_host = NULL;
	size_t ram_size;
	int sv[2], ram, rc, fds_before = open_fds();
	unsigned int steps = 0, i, n;
	bool alive;
	struct fz *z = calloc(1, sizeof(*z));

	VG_FUZZ_CHECK(z);
	VG_FUZZ_CHECK(!vg_fakeacl_init(&z->fa, NL, names));
	z->fa.lines[1].allow = VG_ALLOW_IN | VG_ALLOW_IRQ;
	VG_FUZZ_CHECK(!vg_evloop_new(&loop.ev));
	loop.arg = z;
	VG_FUZZ_CHECK(!socketpair(
		AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	c = calloc(1, sizeof(*c));
	VG_FUZZ_CHECK(c);
	c->loop = &loop;
	c->fd = sv[0];
	loop.conns = c;
	loop.nidle = 1;

	kind = vg_fuzz_u8(&in);
	ram_size = ram_sizes[vg_fuzz_u8(&in) % 4];
	mode = vg_fuzz_u8(&in);
	p.len = mode < 0x80 ? HELLO_LEN : (size_t)(mode & 0x7f);
	if (p.len > sizeof(p.u)) {
		/* recvmsg() cuts what does not fit and says so. */
		p.len = sizeof(p.u);
		p.flags |= MSG_TRUNC;
	}
	mode = vg_fuzz_u8(&in);
	p.flags |= (mode & 1 ? MSG_TRUNC : 0) | (mode & 2 ? MSG_CTRUNC : 0);
	read_bytes(&in, &p.u.hello, HELLO_LEN);
	hello_fds(&p, kind, ram_size, &ram);
	/* The guest's view of its RAM (not for a write-sealed memfd). */
	if (ram >= 0 && ram_size && kind % 6 != 5) {
		ram_host = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
				MAP_SHARED, ram, 0);
		VG_FUZZ_CHECK(ram_host != MAP_FAILED);
	}

	rc = on_hello(c, &p);
	close_fds(&p);
	drain(sv[1], &s);
	VG_FUZZ_CHECK(s.welcomes == 1 && !s.replies && !s.irqs);
	VG_FUZZ_CHECK(s.welcome_status == (uint32_t)-rc);
	VG_FUZZ_CHECK(z->attaches == (rc == 0));
	alive = true;
	if (rc) {
		conn_drop(c);
		alive = false;
	}

	while (alive && in.n && steps++ < 256) {
		uint8_t op = vg_fuzz_u8(&in);

		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			alive = fz_mmio(c, sv[1], &in);
			break;
		case 3:
			i = vg_fuzz_u16(&in);
			n = vg_fuzz_u8(&in) % 64;
			for (; n; n--, i++) {
				uint8_t b = vg_fuzz_u8(&in);

				if (ram_host && i < ram_size)
					ram_host[i] = b;
			}
			break;
		case 4:
			vg_fuzz_act_run(&in, z->g, 16);
			break;
		case 5:
			vg_fuzz_act_edge(&in, &z->fa);
			break;
		case 6:
			/* The seal taken at HELLO: no SIGBUS for the daemon. */
			VG_FUZZ_CHECK(ram >= 0 && ftruncate(ram, 0) < 0 &&
				      errno == EPERM);
			break;
		case 7: {
			struct packet h = {.len = HELLO_LEN};

			h.u.hello.type = vg_le16_put(VG_LOOP_HELLO);
			VG_FUZZ_CHECK(on_access(c, &h) == -EPROTO);
			conn_drop(c);
			alive = false;
			break;
		}
		}
		/* The daemon's loop: device work after every event. */
		if (alive)
			vg_gpio_run(z->g, 8);
		drain(sv[1], &s);
	}
	if (alive)
		conn_drop(c);
	VG_FUZZ_CHECK(!loop.conns && !loop.nidle);
	VG_FUZZ_CHECK(z->detaches == z->attaches && !z->g);

	if (ram_host)
		munmap(ram_host, ram_size);
	if (ram >= 0)
		close(ram);
	close(sv[1]);
	vg_evloop_free(loop.ev);
	vg_fakeacl_dispose(&z->fa);
	free(z);
	VG_FUZZ_CHECK(open_fds() == fds_before);
	return 0;
}
