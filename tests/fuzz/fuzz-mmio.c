// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the virtio-mmio register file (backend/mmio.c) over a virtio-gpio
 * device on the fake line provider: the input is a vCPU's MMIO accesses
 * plus the content of guest RAM, so the fuzzer can also build rings,
 * descriptors and requests for the device to walk. The device runs
 * (vg_gpio_run) after every access, as the daemon's loop would.
 *
 *   byte 0      bit 0-1 max_piece (0, 1, 2, 3), bit 2 grants
 *   then        actions until the input ends; op byte, arguments:
 *     0-2 write    offset, size, value (see pick_*)
 *     3   read     offset, size
 *     4   ram      offset (le16), length (% 64), that many bytes
 *     5   run      budget (% 16)
 *     6   edge     line (bits 0-6), rising if bit 7
 *     7   host     0: vg_mmio_reset, 1: revoke a line, else nothing
 *
 * Offsets: 3/4 of the time a known register (config space included),
 * sometimes nudged off alignment; else any 32-bit offset. Values: a
 * small number, a guest RAM address, or any 32 bits (64 for size 8).
 * Checked: nothing crashes or trips a sanitizer, reads of a bad access
 * return 0 bits beyond the size, every map() is unmapped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include "drv.h"
#include "gpio.h"
#include "mmio.h"
#include "../lib/fakeprov.h"
#include "../lib/inproc.h"

#define NL 4u
#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x10000u

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t in_u16(struct in *in)
{
	uint16_t lo = in_u8(in);

	return (uint16_t)(lo | in_u8(in) << 8);
}

static uint32_t in_u32(struct in *in)
{
	uint32_t lo = in_u16(in);

	return lo | (uint32_t)in_u16(in) << 16;
}

static const uint16_t regs[] = {
	VG_MMIO_MAGIC_VALUE,	   VG_MMIO_VERSION,
	VG_MMIO_DEVICE_ID,	   VG_MMIO_VENDOR_ID,
	VG_MMIO_DEVICE_FEATURES,   VG_MMIO_DEVICE_FEATURES_SEL,
	VG_MMIO_DRIVER_FEATURES,   VG_MMIO_DRIVER_FEATURES_SEL,
	VG_MMIO_QUEUE_SEL,	   VG_MMIO_QUEUE_NUM_MAX,
	VG_MMIO_QUEUE_NUM,	   VG_MMIO_QUEUE_READY,
	VG_MMIO_QUEUE_NOTIFY,	   VG_MMIO_INTERRUPT_STATUS,
	VG_MMIO_INTERRUPT_ACK,	   VG_MMIO_STATUS,
	VG_MMIO_QUEUE_DESC_LOW,	   VG_MMIO_QUEUE_DESC_HIGH,
	VG_MMIO_QUEUE_DRIVER_LOW,  VG_MMIO_QUEUE_DRIVER_HIGH,
	VG_MMIO_QUEUE_DEVICE_LOW,  VG_MMIO_QUEUE_DEVICE_HIGH,
	VG_MMIO_SHM_SEL,	   VG_MMIO_SHM_LEN_LOW,
	VG_MMIO_SHM_BASE_LOW,	   VG_MMIO_QUEUE_RESET,
	VG_MMIO_CONFIG_GENERATION, VG_MMIO_CONFIG,
	VG_MMIO_CONFIG + 2,	   VG_MMIO_CONFIG + 4,
	VG_MMIO_CONFIG + 7,	   VG_MMIO_CONFIG + 8,
};

static uint64_t pick_off(struct in *in)
{
	uint8_t b = in_u8(in);

	switch (b >> 6) {
	case 0:
	case 1:
		return regs[b % VG_ARRAY_SIZE(regs)];
	case 2:
		return regs[b % VG_ARRAY_SIZE(regs)] + (in_u8(in) & 7);
	default:
		return b & 1 ? in_u32(in) : (uint64_t)in_u32(in) << 32 | b;
	}
}

static unsigned int pick_size(struct in *in)
{
	static const unsigned int sizes[8] = {4, 4, 4, 1, 2, 8, 3, 0};

	return sizes[in_u8(in) % 8];
}

static uint64_t pick_val(struct in *in, unsigned int size)
{
	uint8_t b = in_u8(in);

	if (b & 0x80)
		return RAM_BASE + in_u16(in);
	if (b & 0x40)
		return b & 0x3f;
	if (size == 8)
		return (uint64_t)in_u32(in) << 32 | in_u32(in);
	return in_u32(in);
}

struct fz;
struct larg {
	struct fz *z;
	unsigned int idx;
};

struct fz {
	struct vg_inproc ip;
	struct vg_fakeprov *fp;
	struct vg_acl_line lines[NL];
	struct vg_acl acl;
	struct larg arg[NL];
	struct vg_gpio *g;
	struct vg_mmio m;
};

static void line_cb(void *arg, unsigned int edge)
{
	struct larg *a = arg;

	vg_gpio_line_event(a->z->g, a->idx, edge);
}

static void setup(struct fz *z, uint8_t flags)
{
	static const char *const names[NL] = {"led", "button", NULL, "irq"};
	struct vg_gpio_params p = {0};
	unsigned int i;

	CHECK(!vg_inproc_init(&z->ip, RAM_BASE, RAM_SIZE));
	z->ip.gram.max_piece = flags & 3;
	CHECK(!vg_fakeprov_new(NL, names, &z->fp));
	for (i = 0; i < NL; i++) {
		z->arg[i].z = z;
		z->arg[i].idx = i;
		z->lines[i].allow = i == 1 ? VG_ALLOW_IN : VG_ALLOW_ALL;
		z->lines[i].safe = (enum vg_safe)(i % 3);
		z->lines[i].prov = vg_fakeprov_provider(z->fp);
		z->lines[i].line =
			vg_fakeprov_open(z->fp, i, line_cb, &z->arg[i]);
		CHECK(z->lines[i].line);
	}
	z->acl.n = NL;
	z->acl.lines = z->lines;
	p.acl = &z->acl;
	p.bus = z->ip.bus;
	CHECK(!vg_gpio_new(&p, &z->g));
	vg_mmio_init(&z->m, vg_gpio_vdev(z->g), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct fz *z = calloc(1, sizeof(*z));
	unsigned int steps = 0, sz, i;
	uint8_t flags = in_u8(&in);
	uint64_t off, val;

	CHECK(z);
	setup(z, flags);
	if (flags & 4) {
		/* Grant addressing: the table at the start of RAM (grants
		 * are then whatever the input writes there). */
		z->ip.gram.grants = true;
		z->ip.gram.gnttab_addr = RAM_BASE;
		z->ip.gram.gnttab_entries = 64;
	}

	while (in.n && steps++ < 1024) {
		uint8_t op = in_u8(&in);

		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			off = pick_off(&in);
			sz = pick_size(&in);
			val = pick_val(&in, sz);
			vg_mmio_write(&z->m, off, sz, val);
			break;
		case 3:
			off = pick_off(&in);
			sz = pick_size(&in);
			val = vg_mmio_read(&z->m, off, sz);
			if (sz < 8)
				CHECK(!(val >> (8 * sz)));
			break;
		case 4:
			off = in_u16(&in) % RAM_SIZE;
			sz = in_u8(&in) % 64;
			for (i = 0; i < sz && off + i < RAM_SIZE; i++)
				z->ip.buf[off + i] = in_u8(&in);
			break;
		case 5:
			sz = in_u8(&in) % 16;
			CHECK(vg_gpio_run(z->g, sz) <= sz);
			break;
		case 6:
			i = in_u8(&in);
			vg_fakeprov_inject_edge(z->fp, (i & 0x7f) % NL,
						i & 0x80 ? VG_EDGE_RISING
							 : VG_EDGE_FALLING);
			vg_fakeprov_dispatch(z->fp);
			break;
		case 7:
			i = in_u8(&in);
			if (i == 0) {
				vg_mmio_reset(&z->m);
			} else if (i == 1) {
				z->lines[3].revoked = true;
				vg_gpio_line_revoked(z->g, 3);
			}
			break;
		}
		/* The daemon's loop: work after every access. */
		vg_gpio_run(z->g, 8);
	}

	vg_gpio_free(z->g);
	CHECK(z->ip.maps == z->ip.unmaps);
	for (i = 0; i < NL; i++)
		vg_fakeprov_ops.line_close(z->fp, z->lines[i].line);
	vg_fakeprov_free(z->fp);
	vg_inproc_dispose(&z->ip);
	free(z);
	return 0;
}
