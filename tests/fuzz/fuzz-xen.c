// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the Xen transport's ioreq path: the shipped transport
 * (backend/transports/xen/) linked against the fake Xen
 * (tests/lib/fakexen/fakexen.h), driven from the guest's side of the fake
 * with raw ioreqs in the vCPUs' slots, behind a virtio-gpio device on
 * fake lines that this target's own guest hooks create (the daemon is
 * left out: the transport is the target, and a daemon per input would
 * cost a control socket). The event loop runs one turn at a time, then
 * the device, as the daemon's loop does.
 *
 *   byte 0      bit 0 grants (every RAM page p granted as reference p
 *               read-write and 16 + p read-only), bit 1 an ISA IRQ on an
 *               x86 HVM guest (else an SPI on Arm), bit 2 discovery (a
 *               libxl virtio= device in xenstore, always Arm; else
 *               manual mode), bit 3 the owner refuses the first window
 *               (a placeholder), bit 4 a second window right after the
 *               first, bits 5-6 teardown: 0 vg_xen_free, 1 the same
 *               with requests left outstanding, 2 the domain destroyed
 *               first, 3 `xl destroy` (discovery; else as 0)
 *   byte 1      bits 0-2 vCPUs: 1, 1, 2, 2, 3, 3, 4, 128 (the last slot of
 *               the ioreq page); bits 3-7 a library call that fails once
 *               during bring-up (see boot_fail; 0 or beyond it: none)
 *   then        actions until the input ends; op byte (% 14), arguments:
 *     0-1 ioreq    kind: bits 0-2 type (0-2 COPY, 3 PIO, 4 INVALIDATE,
 *                  5 PCI_CONFIG, 6 TIMEOFFSET, 7 a type byte follows),
 *                  bit 3 read, bit 4 data_is_ptr, bit 5 df, bit 6 to the
 *                  server whatever its ranges (else routed by the window),
 *                  bit 7 do not wait; vCPU byte; addr, size, count, data
 *                  (pick_*)
 *     2-3 access   a vCPU's register access (COPY, routed by address):
 *                  bit 0 write, bits 1-7 vCPU; addr, size, data
 *     4   ram      offset (le16), length (% 64), that many bytes
 *     5   desc     queue (bit 0), index, address (pick_dma), length
 *                  (le16), flags (bits 0-2; bit 3: the length's high le16
 *                  follows the next byte), next: one descriptor of a
 *                  probed queue
 *     6   post     bit 0 queue, bit 1 QueueNotify; head: avail ring entry
 *     7   probe    features, queue size, ring shift (see act_probe)
 *     8   grant    reference, page, mode: 0 end, 1 read-write, 2
 *                  read-only (re-granted); never while mapped
 *     9   inval    vCPU (bit 7: do not wait): broadcast INVALIDATE
 *     10  stray    vCPU, state: a stray event for the vCPU, its slot set
 *                  to that state first (not READY) when it is idle
 *     11  edge     line (bits 0-6), rising if bit 7
 *     12  turns    (% 8) event-loop turns
 *     13  fail     which call (see act_fail) fails the next 1-4 times
 *
 * Addresses (pick_addr): a register of the attached device's window,
 * the first window's last and the next window's first bytes, the first
 * window +/- 16 bits, or any 64 bits. Sizes 0, 1, 2, 3, 4, 5, 8, 16,
 * 2^32-1 or any; counts 0, 1, 2, 2^32-1 or any.
 *
 * Checked, besides no crash or sanitizer report: every ioreq sent gets
 * exactly one response (fx_vcpu_counts: responses == sent == backend
 * notifications) within the turns it needs, and its slot is NONE again;
 * a slot the backend does not own is left alone; a read returns nothing
 * beyond its size, 0 when refused, and a pointer or written data is
 * never changed; fx_violations() stays 0; an idle device keeps only its
 * rings mapped, and in foreign mode at most the map cache's
 * VG_XEN_MAPCACHE_ENTRIES mappings besides; an ISA line follows
 * InterruptStatus; after teardown
 * every guest was detached, nothing is mapped, bound, open or registered
 * (fx_counts), the guest is not a zombie, no fd leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* struct ioreq and its constants. */
#include <xenctrl.h>
#include <xen/hvm/ioreq.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "evloop.h"
#include "fakeacl.h"
#include "fakexen.h"
#include "fuzz-act.h"
#include "fuzz-input.h"
#include "gpio.h"
#include "mmio.h"
#include "xen.h"

#define DOMID 5u
#define NL 4u
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000u
#define NPAGES (RAM_SIZE / 4096u)
#define GRANT_FLAG (1ull << 63)
/* Turns a response may take beyond one per outstanding request. */
#define SLACK 16u
#define BE0 "/local/domain/0/backend/virtio/5/0"
#define BE1 "/local/domain/0/backend/virtio/5/1"

/* Rings of a probed queue, as guest addresses. */
struct fq {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
};

/* A request sent and not yet seen answered. */
struct pend {
	bool busy;
	struct ioreq req;
};

struct fz {
	struct vg_evloop *ev;
	struct vg_xen *x;
	struct vg_fakeacl fa;
	struct vg_gpio *g;
	struct vg_mmio m;
	void *conn;
	uint64_t dev_base; /* window of the attached device */
	unsigned int dev_irq; /* and its interrupt */
	unsigned int attaches, detaches;
	bool refuse; /* the owner refuses the next window */
	bool grants, isa, discover, second;
	uint64_t base; /* first window */
	unsigned int irq;
	unsigned int nvcpus;
	bool irq_failed; /* an interrupt call was made to fail */
	struct fq q[2];
	struct pend pend[128];
	unsigned int nout; /* busy entries of pend[] */
};

/*
 * The fake Xen allocates about 100 KiB per domain, twice per input; with
 * ASan's default quarantine (256 MiB) every input faults in fresh pages,
 * which more than doubles its time. 16 MiB still holds all one input
 * frees, so a use after free inside an input is still caught.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

/* --- the owner: guest hooks ------------------------------------------------ */

static int fz_attach(void *arg, void *conn, const char *domain,
		     const struct vg_bus *bus, const struct vg_guest_info *info,
		     struct vg_mmio **mmio, char *reason, size_t reason_len)
{
	struct fz *z = arg;
	struct vg_gpio_params p = {.acl = &z->fa.acl, .bus = *bus};

	VG_FUZZ_CHECK(!strcmp(domain, "guest1"));
	VG_FUZZ_CHECK(!strcmp(info->transport, "xen") && info->domid == DOMID);
	VG_FUZZ_CHECK(!strcmp(info->memory, z->grants ? "grant" : "foreign"));
	VG_FUZZ_CHECK(!strcmp(info->irq_kind, z->isa ? "isa" : "spi"));
	if (z->refuse || z->g) {
		/* Like the daemon: one device per domain. */
		z->refuse = false;
		snprintf(reason, reason_len, "refused");
		return EBUSY;
	}
	VG_FUZZ_CHECK(!vg_gpio_new(&p, &z->g));
	z->fa.gpio = z->g;
	vg_mmio_init(&z->m, vg_gpio_vdev(z->g), NULL);
	*mmio = &z->m;
	z->conn = conn;
	z->dev_base = info->base;
	z->dev_irq = info->irq;
	z->attaches++;
	return 0;
}

static void fz_detach(void *arg, void *conn)
{
	struct fz *z = arg;

	VG_FUZZ_CHECK(z->g && conn == z->conn);
	vg_gpio_free(z->g);
	z->g = NULL;
	z->fa.gpio = NULL;
	z->conn = NULL;
	z->detaches++;
}

static const struct vg_guest_hooks fz_hooks = {
	.attach = fz_attach,
	.detach = fz_detach,
};

/* --- the daemon's loop, and waiting for answers ---------------------------- */

static void turn(struct fz *z)
{
	VG_FUZZ_CHECK(vg_evloop_run_once(z->ev, 0) >= 0);
	if (z->g)
		vg_gpio_run(z->g, 16);
}

static bool window_hit(const struct fz *z, uint64_t addr, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < (z->second ? 2u : 1u); i++) {
		uint64_t b = z->base + i * VG_DEVSPEC_WINDOW;

		if (addr >= b && addr - b < VG_DEVSPEC_WINDOW &&
		    size <= VG_DEVSPEC_WINDOW - (addr - b))
			return true;
	}
	return false;
}

/* What the vCPU finds in data once its request completed. */
static void check_data(const struct fz *z, const struct ioreq *r, uint64_t data)
{
	unsigned int size = r->size;

	if (r->type == IOREQ_TYPE_INVALIDATE)
		return; /* Xen takes no data from it */
	if (r->dir == IOREQ_WRITE || r->data_is_ptr) {
		VG_FUZZ_CHECK(data == r->data);
		return;
	}
	if (r->type != IOREQ_TYPE_COPY ||
	    (size != 1 && size != 2 && size != 4 && size != 8) ||
	    r->count != 1 || (r->addr & (size - 1)) ||
	    !window_hit(z, r->addr, size)) {
		VG_FUZZ_CHECK(data == 0);
		return;
	}
	if (size < 8)
		VG_FUZZ_CHECK(!(data >> (8 * size)));
}

/* Take the answers that came; check each. */
static void collect(struct fz *z)
{
	unsigned int v;
	uint64_t data;

	for (v = 0; v < z->nvcpus && z->nout; v++) {
		enum fx_io io;

		if (!z->pend[v].busy)
			continue;
		io = fx_vcpu_poll(DOMID, v, &data);
		if (io == FX_IO_PENDING)
			continue;
		VG_FUZZ_CHECK(io == FX_IO_DONE);
		check_data(z, &z->pend[v].req, data);
		z->pend[v].busy = false;
		z->nout--;
	}
}

/* Turn the loop until every request is answered; each needs one turn. */
static void settle(struct fz *z)
{
	unsigned int i;

	collect(z);
	for (i = 0; z->nout && i < z->nvcpus + SLACK; i++) {
		turn(z);
		collect(z);
	}
	VG_FUZZ_CHECK(!z->nout);
}

static void sent(struct fz *z, unsigned int v, enum fx_io io,
		 const struct ioreq *r, bool wait)
{
	VG_FUZZ_CHECK(io != FX_IO_CRASHED);
	if (io == FX_IO_PENDING) {
		/* Answers are collected before anything is sent. */
		VG_FUZZ_CHECK(!z->pend[v].busy);
		z->pend[v].busy = true;
		z->pend[v].req = *r;
		z->nout++;
	}
	if (wait)
		settle(z);
}

/* Checks that hold whenever no request is outstanding. */
static void check_idle(struct fz *z)
{
	struct fx_vcpu_counts c;
	struct fx_counts fc;
	unsigned int v;

	if (fx_violations())
		abort(); /* the fake printed which rule */
	if (z->nout)
		return;
	/* (The domain is gone once destroyed and released.) */
	for (v = 0; v < z->nvcpus && !fx_vcpu_counts(DOMID, v, &c); v++) {
		VG_FUZZ_CHECK(c.responses == c.sent);
		VG_FUZZ_CHECK(c.notifies == c.responses);
		VG_FUZZ_CHECK(c.state == -1 || c.state == STATE_IOREQ_NONE);
	}
	/*
	 * Grant buffers are unmapped as they go back: only rings stay. In
	 * foreign mode the map cache may keep its bound besides (xen.h).
	 */
	fx_counts(&fc);
	VG_FUZZ_CHECK(fc.grant_maps + fc.foreign_maps <=
		      6 + (z->grants ? 0 : VG_XEN_MAPCACHE_ENTRIES));
	VG_FUZZ_CHECK(z->grants ? !fc.foreign_maps : !fc.grant_maps);
	if (z->isa && z->g && !z->irq_failed)
		VG_FUZZ_CHECK(fx_isa_level(DOMID, z->dev_irq) ==
			      (z->m.isr != 0));
}

/* --- input ------------------------------------------------------------------ */

static const uint16_t regs[] = {
	VG_MMIO_MAGIC_VALUE,
	VG_MMIO_VERSION,
	VG_MMIO_DEVICE_ID,
	VG_MMIO_DEVICE_FEATURES,
	VG_MMIO_DEVICE_FEATURES_SEL,
	VG_MMIO_DRIVER_FEATURES,
	VG_MMIO_DRIVER_FEATURES_SEL,
	VG_MMIO_QUEUE_SEL,
	VG_MMIO_QUEUE_NUM_MAX,
	VG_MMIO_QUEUE_NUM,
	VG_MMIO_QUEUE_READY,
	VG_MMIO_QUEUE_NOTIFY,
	VG_MMIO_INTERRUPT_STATUS,
	VG_MMIO_INTERRUPT_ACK,
	VG_MMIO_STATUS,
	VG_MMIO_QUEUE_DESC_LOW,
	VG_MMIO_QUEUE_DRIVER_LOW,
	VG_MMIO_QUEUE_DEVICE_LOW,
	VG_MMIO_QUEUE_RESET,
	VG_MMIO_CONFIG_GENERATION,
	VG_MMIO_CONFIG,
	VG_MMIO_CONFIG + 2,
};

static uint64_t pick_u64(struct vg_fuzz_in *in)
{
	uint64_t lo = vg_fuzz_u32(in);

	return lo | (uint64_t)vg_fuzz_u32(in) << 32;
}

static uint64_t pick_addr(const struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);

	switch (b >> 6) {
	case 0:
		return z->dev_base + regs[b % VG_ARRAY_SIZE(regs)];
	case 1:
		/* The window's last bytes and the next window's first. */
		return z->base + VG_DEVSPEC_WINDOW - 16 + (b & 0x1f);
	case 2:
		return b & 1 ? z->base - 1 - vg_fuzz_u16(in)
			     : z->base + vg_fuzz_u16(in);
	default:
		return pick_u64(in);
	}
}

static uint32_t pick_size(struct vg_fuzz_in *in)
{
	static const uint32_t sizes[15] = {4, 4, 4, 4, 1, 1,  2,	 2,
					   8, 8, 0, 3, 5, 16, 0xffffffff};
	uint8_t b = vg_fuzz_u8(in) % 16;

	return b < 15 ? sizes[b] : vg_fuzz_u32(in);
}

static uint32_t pick_count(struct vg_fuzz_in *in)
{
	static const uint32_t counts[7] = {1, 1, 1, 1, 0, 2, 0xffffffff};
	uint8_t b = vg_fuzz_u8(in) % 8;

	return b < 7 ? counts[b] : vg_fuzz_u32(in);
}

/* The device address of RAM offset @off (grant or guest-physical). */
static uint64_t dma(const struct fz *z, uint32_t off, bool ro)
{
	uint64_t page;

	off %= RAM_SIZE;
	page = off / 4096u;
	if (!z->grants)
		return RAM_BASE + off;
	return GRANT_FLAG | (ro ? NPAGES + page : page) << 12 | (off & 0xfff);
}

/*
 * A buffer address: through a read-write or a read-only grant (or
 * guest-physical), guest-physical even with grants, or any 64 bits.
 */
static uint64_t pick_dma(const struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);

	switch (b & 3) {
	case 0:
	case 1:
		return dma(z, vg_fuzz_u16(in), b & 1);
	case 2:
		return RAM_BASE + vg_fuzz_u16(in);
	default:
		return pick_u64(in);
	}
}

static uint64_t pick_data(const struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);

	if (b & 0x80)
		return pick_dma(z, in);
	if (b & 0x40)
		return b & 0x3f;
	return b & 1 ? pick_u64(in) : vg_fuzz_u32(in);
}

static unsigned int pick_vcpu(const struct fz *z, uint8_t b)
{
	return (b & 0x7fu) % z->nvcpus;
}

/* --- guest memory ------------------------------------------------------------ */

static uint8_t *ram(uint64_t off, size_t len)
{
	uint8_t *p = fx_guest_mem(DOMID, RAM_BASE + off, len);

	VG_FUZZ_CHECK(p);
	return p;
}

static void put16(uint64_t off, uint16_t v)
{
	uint8_t *p = ram(off, 2);

	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* --- actions ----------------------------------------------------------------- */

static void act_ioreq(struct fz *z, struct vg_fuzz_in *in)
{
	static const uint8_t types[7] = {
		IOREQ_TYPE_COPY,       IOREQ_TYPE_COPY,
		IOREQ_TYPE_COPY,       IOREQ_TYPE_PIO,
		IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PCI_CONFIG,
		IOREQ_TYPE_TIMEOFFSET,
	};
	uint8_t kind = vg_fuzz_u8(in);
	struct ioreq r;
	unsigned int v;
	enum fx_io io;

	memset(&r, 0, sizeof(r));
	r.type = (kind & 7) < 7 ? types[kind & 7] : vg_fuzz_u8(in);
	r.dir = kind & 8 ? IOREQ_READ : IOREQ_WRITE;
	r.data_is_ptr = !!(kind & 0x10);
	r.df = !!(kind & 0x20);
	v = pick_vcpu(z, vg_fuzz_u8(in));
	r.addr = pick_addr(z, in);
	r.size = pick_size(in);
	r.count = pick_count(in);
	r.data = pick_data(z, in);
	if (kind & 0x40)
		io = fx_vcpu_raw_server(DOMID, v, &r, 0);
	else
		io = fx_vcpu_raw(DOMID, v, &r, z->base);
	sent(z, v, io, &r, !(kind & 0x80));
}

/* One register access as the vCPU makes it, waited for. */
static void reg_access(struct fz *z, unsigned int v, uint64_t addr,
		       uint32_t size, bool write, uint64_t data)
{
	struct ioreq r;
	enum fx_io io;

	if (z->pend[v].busy)
		settle(z);
	io = fx_vcpu_access(DOMID, v, addr, size, write, data);
	/* What the fake puts in the slot, for check_data(). */
	memset(&r, 0, sizeof(r));
	r.type = IOREQ_TYPE_COPY;
	r.dir = write ? IOREQ_WRITE : IOREQ_READ;
	r.addr = addr;
	r.size = size;
	r.count = 1;
	r.data = data;
	sent(z, v, io, &r, true);
}

static void act_access(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);
	uint64_t addr = pick_addr(z, in);
	uint32_t size = pick_size(in);

	reg_access(z, pick_vcpu(z, b >> 1), addr, size, b & 1,
		   b & 1 ? pick_data(z, in) : 0);
}

static void reg_write(struct fz *z, uint64_t off, uint32_t val)
{
	reg_access(z, 0, z->dev_base + off, 4, true, val);
}

/*
 * The Linux probe sequence for both queues, rings at RAM 0x1000 (queue
 * 0) and 0x4000 (queue 1), each area a page apart, all shifted by 16 *
 * the shift byte (so a 256-entry table crosses a page). Feature byte:
 * bit 0 INDIRECT, 1 EVENT_IDX, 2 F_IRQ, 3 leave ACCESS_PLATFORM out,
 * 4 rings through read-only grants, 5 queue 0 only, 6 no DRIVER_OK, 7 no
 * reset first. Size byte: 1 << (b % 9), or any 16 bits from 0xf0 on.
 */
static void act_probe(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t feat = vg_fuzz_u8(in), sb = vg_fuzz_u8(in);
	uint64_t shift = (uint64_t)vg_fuzz_u8(in) * 16;
	uint16_t size =
		sb < 0xf0 ? (uint16_t)(1u << (sb % 9)) : vg_fuzz_u16(in);
	uint32_t lo = 0, hi = 1u << (VG_F_VERSION_1 - 32);
	uint8_t status = VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER;
	unsigned int q, i;

	if (!(feat & 0x80))
		reg_write(z, VG_MMIO_STATUS, 0);
	reg_write(z, VG_MMIO_STATUS, VG_STATUS_ACKNOWLEDGE);
	reg_write(z, VG_MMIO_STATUS, status);
	lo |= feat & 1 ? 1u << VG_F_RING_INDIRECT_DESC : 0;
	lo |= feat & 2 ? 1u << VG_F_RING_EVENT_IDX : 0;
	lo |= feat & 4 ? 1u << VG_GPIO_F_IRQ : 0;
	hi |= feat & 8 ? 0 : 1u << (VG_F_ACCESS_PLATFORM - 32);
	reg_write(z, VG_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(z, VG_MMIO_DRIVER_FEATURES, lo);
	reg_write(z, VG_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(z, VG_MMIO_DRIVER_FEATURES, hi);
	status |= VG_STATUS_FEATURES_OK;
	reg_write(z, VG_MMIO_STATUS, status);
	for (q = 0; q < (feat & 0x20 ? 1u : 2u); q++) {
		struct fq *f = &z->q[q];
		uint64_t area[3];

		f->size = size;
		f->desc = 0x1000 + q * 0x3000 + shift;
		f->avail = f->desc + 0x1000;
		f->used = f->avail + 0x1000;
		f->avail_idx = 0;
		memset(ram(f->desc, 0x3000), 0, 0x3000);
		area[0] = dma(z, (uint32_t)f->desc, feat & 0x10);
		area[1] = dma(z, (uint32_t)f->avail, feat & 0x10);
		area[2] = dma(z, (uint32_t)f->used, feat & 0x10);
		reg_write(z, VG_MMIO_QUEUE_SEL, q);
		reg_write(z, VG_MMIO_QUEUE_NUM, size);
		for (i = 0; i < 3; i++) {
			reg_write(z, VG_MMIO_QUEUE_DESC_LOW + 0x10 * i,
				  (uint32_t)area[i]);
			reg_write(z, VG_MMIO_QUEUE_DESC_HIGH + 0x10 * i,
				  (uint32_t)(area[i] >> 32));
		}
		reg_write(z, VG_MMIO_QUEUE_READY, 1);
	}
	if (!(feat & 0x40))
		reg_write(z, VG_MMIO_STATUS, status | VG_STATUS_DRIVER_OK);
}

static void act_ram(struct fz *z, struct vg_fuzz_in *in)
{
	uint32_t off = vg_fuzz_u16(in);
	unsigned int n = vg_fuzz_u8(in) % 64;

	(void)z;
	for (; n; n--, off = (off + 1) % RAM_SIZE)
		*ram(off, 1) = vg_fuzz_u8(in);
}

static void act_desc(struct fz *z, struct vg_fuzz_in *in)
{
	const struct fq *f = &z->q[vg_fuzz_u8(in) & 1];
	uint8_t idx = vg_fuzz_u8(in);
	uint64_t addr = pick_dma(z, in), off;
	uint32_t len = vg_fuzz_u16(in);
	uint8_t flags = vg_fuzz_u8(in), next = vg_fuzz_u8(in);
	uint8_t *d;
	unsigned int i;

	/* Flag bit 3: the length's high 16 bits follow (pieces > 64 KiB). */
	if (flags & 8)
		len |= (uint32_t)vg_fuzz_u16(in) << 16;
	if (!f->size)
		return;
	off = f->desc + 16u * (idx % f->size);
	if (off + 16 > RAM_SIZE)
		return;
	d = ram(off, 16);
	for (i = 0; i < 8; i++)
		d[i] = (uint8_t)(addr >> (8 * i));
	for (i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(len >> (8 * i));
	d[12] = flags & 7;
	d[13] = 0;
	d[14] = next;
	d[15] = 0;
}

static void act_post(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in), head = vg_fuzz_u8(in);
	struct fq *f = &z->q[b & 1];
	uint64_t slot;

	if (!f->size)
		return;
	slot = f->avail + VG_VRING_AVAIL_RING(f->avail_idx % f->size);
	if (slot + 2 <= RAM_SIZE && f->avail + 4 <= RAM_SIZE) {
		put16(slot, head);
		f->avail_idx++;
		put16(f->avail + VG_VRING_AVAIL_IDX, f->avail_idx);
	}
	if (b & 2)
		reg_write(z, VG_MMIO_QUEUE_NOTIFY, b & 1);
}

static void act_grant(struct fz *z, struct vg_fuzz_in *in)
{
	uint32_t gref = vg_fuzz_u8(in);
	uint64_t gfn = RAM_BASE / 4096 + vg_fuzz_u8(in) % NPAGES;
	uint8_t mode = vg_fuzz_u8(in) % 3;

	/* A guest must not end a grant the backend maps (Linux refuses). */
	if (!z->grants || fx_grant_mapped(DOMID, gref))
		return;
	fx_grant_end(DOMID, gref);
	if (mode)
		VG_FUZZ_CHECK(!fx_grant(DOMID, gref, gfn, mode == 2));
}

static void act_invalidate(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);
	unsigned int v = pick_vcpu(z, b);
	struct ioreq r;

	memset(&r, 0, sizeof(r));
	r.type = IOREQ_TYPE_INVALIDATE;
	sent(z, v, fx_vcpu_invalidate(DOMID, v), &r, !(b & 0x80));
}

/*
 * A stray event: for an idle vCPU whose slot holds @state (set by a
 * broken hypervisor), the backend must neither touch the slot nor
 * notify; with a request outstanding, it must still answer only once.
 */
static void act_stray(struct fz *z, struct vg_fuzz_in *in)
{
	unsigned int v = pick_vcpu(z, vg_fuzz_u8(in));
	unsigned int state = vg_fuzz_u8(in) & 15, i;
	struct fx_vcpu_counts before, after;
	bool set;

	VG_FUZZ_CHECK(!fx_vcpu_counts(DOMID, v, &before));
	set = !z->pend[v].busy && state != STATE_IOREQ_READY &&
	      before.state >= 0;
	if (set)
		VG_FUZZ_CHECK(!fx_vcpu_set_state(DOMID, v, state));
	VG_FUZZ_CHECK(!fx_vcpu_kick(DOMID, v));
	for (i = 0; i < 2; i++)
		turn(z);
	if (!set)
		return;
	VG_FUZZ_CHECK(!fx_vcpu_counts(DOMID, v, &after));
	VG_FUZZ_CHECK(after.state == (int)state);
	VG_FUZZ_CHECK(after.notifies == before.notifies);
	VG_FUZZ_CHECK(!fx_vcpu_set_state(DOMID, v, STATE_IOREQ_NONE));
}

/*
 * Calls that may fail at run time without the guest noticing more than
 * a failed buffer, a lost interrupt or a late answer.
 */
static void act_fail(struct fz *z, struct vg_fuzz_in *in)
{
	static const char *const fns[] = {
		"xengnttab_map_domain_grant_refs",
		"xenforeignmemory_map",
		"xendevicemodel_set_irq_level",
		"xendevicemodel_set_isa_irq_level",
		"xenevtchn_pending",
	};
	uint8_t b = vg_fuzz_u8(in);
	unsigned int fn = (b & 0xf) % VG_ARRAY_SIZE(fns);

	fx_fail_next(fns[fn], EIO, 1u + (b >> 4) % 4);
	if (fn == 2 || fn == 3)
		z->irq_failed = true;
}

static void act_edge(struct fz *z, struct vg_fuzz_in *in)
{
	vg_fuzz_act_edge(in, &z->fa);
}

static void act_turns(struct fz *z, struct vg_fuzz_in *in)
{
	unsigned int i;

	for (i = vg_fuzz_u8(in) % 8; i; i--)
		turn(z);
	collect(z);
}

/* The op byte's actions, in the order of the list at the top. */
static void (*const acts[])(struct fz *z, struct vg_fuzz_in *in) = {
	act_ioreq, act_ioreq, act_access, act_access, act_ram,
	act_desc,  act_post,  act_probe,  act_grant,  act_invalidate,
	act_stray, act_edge,  act_turns,  act_fail,
};

/* --- one input --------------------------------------------------------------- */

/* Library calls of the bring-up, one of which may fail once. */
static const char *const boot_fail[] = {
	NULL,
	"xs_open",
	"xc_interface_open",
	"xendevicemodel_open",
	"xenforeignmemory_open",
	"xenevtchn_open",
	"xengnttab_open",
	"xendevicemodel_restrict",
	"xenevtchn_restrict",
	"xc_domain_getinfolist",
	"xendevicemodel_nr_vcpus",
	"xendevicemodel_create_ioreq_server",
	"xenforeignmemory_map_resource",
	"xendevicemodel_set_ioreq_server_state",
	"xenevtchn_bind_interdomain",
	"xendevicemodel_map_io_range_to_ioreq_server",
	"xs_read",
	"xs_watch",
	"xs_transaction_end",
};

static void add_virtio(const struct fz *z, unsigned int devid)
{
	struct fx_virtio_dev v = {
		.domid = DOMID,
		.devid = devid,
		.type = "virtio,device29",
		.transport = "mmio",
		.base = z->base + devid * VG_DEVSPEC_WINDOW,
		.irq = z->irq + devid,
		.grant_usage = z->grants,
	};

	VG_FUZZ_CHECK(!fx_xl_add_virtio(&v));
}

/* Turn until @path reads @want; false if it does not within @max turns. */
static bool turn_until(struct fz *z, const char *path, const char *want,
		       unsigned int max)
{
	unsigned int i;

	for (i = 0; i <= max; i++) {
		char *s = fx_xs_read(path);
		bool ok = s && !strcmp(s, want);

		free(s);
		if (ok)
			return true;
		if (i < max)
			turn(z);
	}
	return false;
}

static void bring_up(struct fz *z, uint8_t fail)
{
	static const unsigned int vcpus[8] = {1, 1, 2, 2, 3, 3, 4, 128};
	struct vg_devspec devs[2] = {
		{.domid = DOMID,
		 .base = z->base,
		 .irq = z->irq,
		 .grants = z->grants,
		 .irq_kind = z->isa ? VG_IRQ_ISA : VG_IRQ_SPI},
	};
	struct fx_domain_params dp = {
		.domid = DOMID,
		.name = "guest1",
		.arch = z->isa ? FX_X86_HVM : FX_ARM,
		.nr_vcpus = vcpus[fail & 7],
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.nr_spis = 32,
	};
	struct vg_xen_params p = {
		.ev = z->ev,
		.hooks = &fz_hooks,
		.arg = z,
		.discover = z->discover,
		.devices = devs,
		.ndevices = z->discover ? 0 : 1 + z->second,
	};
	unsigned int i;

	z->nvcpus = dp.nr_vcpus;
	devs[1] = devs[0];
	devs[1].base += VG_DEVSPEC_WINDOW;
	devs[1].irq++;
	VG_FUZZ_CHECK(!fx_domain_new(&dp));
	for (i = 0; z->grants && i < NPAGES; i++) {
		VG_FUZZ_CHECK(
			!fx_grant(DOMID, i, dp.ram_base / 4096 + i, false));
		VG_FUZZ_CHECK(!fx_grant(DOMID, NPAGES + i,
					dp.ram_base / 4096 + i, true));
	}
	fail >>= 3;
	if (fail && fail < VG_ARRAY_SIZE(boot_fail))
		fx_fail_next(boot_fail[fail], EIO, 1);
	if (vg_xen_new(&p, &z->x)) {
		z->x = NULL;
		return;
	}
	if (!z->discover)
		return;
	/*
	 * Served (4), given up after a failure (6), or not claimed yet (1)
	 * if the claim's transaction failed with an error other than EAGAIN.
	 */
	add_virtio(z, 0);
	turn_until(z, BE0 "/state", "4", 8);
	if (z->second) {
		add_virtio(z, 1);
		turn_until(z, BE1 "/state", "4", 8);
	}
}

static void tear_down(struct fz *z, unsigned int mode)
{
	struct fx_counts c;
	unsigned int i;
	int unclaimed;
	bool dead = false;

	if (z->x && mode != 1)
		settle(z);
	if (z->x && mode == 2) {
		VG_FUZZ_CHECK(!fx_domain_destroy(DOMID));
		for (i = 0; i < 4; i++)
			turn(z);
		dead = true;
	} else if (z->x && mode == 3 && z->discover) {
		unclaimed = turn_until(z, BE0 "/state", "1", 0) +
			    turn_until(z, BE1 "/state", "1", 0);
		VG_FUZZ_CHECK(!fx_xl_destroy_devices(DOMID));
		for (i = 0; i < 4; i++)
			turn(z);
		/* Every device the backend claimed reached 6. */
		VG_FUZZ_CHECK(fx_xl_destroy_finish(DOMID) == unclaimed);
		turn(z);
		dead = true;
	}
	if (dead) {
		/* The guest's death released everything of it. */
		VG_FUZZ_CHECK(!z->g && !fx_domain_zombie(DOMID));
		z->nout = 0;
	}
	vg_xen_free(z->x);
	/* Requests left outstanding were answered on the way out. */
	collect(z);
	VG_FUZZ_CHECK(!z->nout);
	check_idle(z);
	VG_FUZZ_CHECK(!z->g && z->attaches == z->detaches);
	if (z->isa && !dead && !z->irq_failed)
		VG_FUZZ_CHECK(fx_isa_level(DOMID, z->dev_irq) == 0);
	fx_counts(&c);
	VG_FUZZ_CHECK(!c.foreign_maps && !c.grant_maps && !c.resource_maps &&
		      !c.ports && !c.servers && !c.ranges && !c.handles);
	VG_FUZZ_CHECK(!fx_violations());
	VG_FUZZ_CHECK(fx_reset() == 0);
}

/* Open fds (with the one reading the list): 4 syscalls, not one per fd. */
static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	VG_FUZZ_CHECK(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[NL] = {"led", "button", "out2", "in2"};
	struct vg_fuzz_in in = {data, size};
	struct fz *z = calloc(1, sizeof(*z));
	int fds_before = open_fds();
	unsigned int steps = 0;
	uint8_t flags, fail;

	VG_FUZZ_CHECK(z);
	fx_reset();
	flags = vg_fuzz_u8(&in);
	fail = vg_fuzz_u8(&in);
	z->grants = flags & 1;
	z->discover = flags & 4;
	z->isa = (flags & 2) && !z->discover;
	z->refuse = flags & 8;
	z->second = flags & 0x10;
	z->base = z->isa ? 0xfe000000u : 0x2000000u;
	z->irq = z->isa ? 3 : 33;
	z->dev_base = z->base;
	VG_FUZZ_CHECK(!vg_fakeacl_init(&z->fa, NL, names));
	z->fa.lines[0].allow = VG_ALLOW_OUT;
	z->fa.lines[1].allow = VG_ALLOW_IN | VG_ALLOW_IRQ;
	z->fa.lines[3].allow = VG_ALLOW_IN | VG_ALLOW_IRQ;
	z->fa.lines[2].safe = VG_SAFE_HIGH;
	VG_FUZZ_CHECK(!vg_evloop_new(&z->ev));
	bring_up(z, fail);

	while (z->x && in.n && steps++ < 256) {
		uint8_t op = vg_fuzz_u8(&in);

		/* Check what came back before a vCPU is reused. */
		collect(z);
		acts[op % VG_ARRAY_SIZE(acts)](z, &in);
		check_idle(z);
	}
	tear_down(z, (flags >> 5) & 3);
	vg_evloop_free(z->ev);
	vg_fakeacl_dispose(&z->fa);
	free(z);
	VG_FUZZ_CHECK(open_fds() == fds_before);
	return 0;
}
