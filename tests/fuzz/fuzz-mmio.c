// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the virtio-mmio register file (backend/virtio/mmio.c) over a virtio-gpio
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
#include "fakeacl.h"
#include "fuzz-act.h"
#include "fuzz-input.h"
#include "inproc.h"

#define NL 4u
#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x10000u

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

static uint64_t pick_off(struct vg_fuzz_in *in)
{
	uint8_t b = vg_fuzz_u8(in);

	switch (b >> 6) {
	case 0:
	case 1:
		return regs[b % VG_ARRAY_SIZE(regs)];
	case 2:
		return regs[b % VG_ARRAY_SIZE(regs)] + (vg_fuzz_u8(in) & 7);
	default:
		return b & 1 ? vg_fuzz_u32(in)
			     : (uint64_t)vg_fuzz_u32(in) << 32 | b;
	}
}

static unsigned int pick_size(struct vg_fuzz_in *in)
{
	static const unsigned int sizes[8] = {4, 4, 4, 1, 2, 8, 3, 0};

	return sizes[vg_fuzz_u8(in) % 8];
}

static uint64_t pick_val(struct vg_fuzz_in *in, unsigned int size)
{
	uint8_t b = vg_fuzz_u8(in);

	if (b & 0x80)
		return RAM_BASE + vg_fuzz_u16(in);
	if (b & 0x40)
		return b & 0x3f;
	if (size == 8)
		return (uint64_t)vg_fuzz_u32(in) << 32 | vg_fuzz_u32(in);
	return vg_fuzz_u32(in);
}

struct fz {
	struct vg_inproc ip;
	struct vg_fakeacl fa;
	struct vg_gpio *g;
	struct vg_mmio m;
};

static void setup(struct fz *z, uint8_t flags)
{
	static const char *const names[NL] = {"led", "button", NULL, "irq"};
	struct vg_gpio_params p = {0};
	unsigned int i;

	VG_FUZZ_CHECK(!vg_inproc_init(&z->ip, RAM_BASE, RAM_SIZE));
	z->ip.gram.max_piece = flags & 3;
	VG_FUZZ_CHECK(!vg_fakeacl_init(&z->fa, NL, names));
	for (i = 0; i < NL; i++) {
		z->fa.lines[i].allow = i == 1 ? VG_ALLOW_IN : VG_ALLOW_ALL;
		z->fa.lines[i].safe = (enum vg_safe)(i % 3);
	}
	p.acl = &z->fa.acl;
	p.bus = z->ip.bus;
	VG_FUZZ_CHECK(!vg_gpio_new(&p, &z->g));
	z->fa.gpio = z->g;
	vg_mmio_init(&z->m, vg_gpio_vdev(z->g), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_fuzz_in in = {data, size};
	struct fz *z = calloc(1, sizeof(*z));
	unsigned int steps = 0, sz, i;
	uint8_t flags = vg_fuzz_u8(&in);
	uint64_t off, val;

	VG_FUZZ_CHECK(z);
	setup(z, flags);
	if (flags & 4) {
		/* Grant addressing: the table at the start of RAM (grants
		 * are then whatever the input writes there). */
		z->ip.gram.grants = true;
		z->ip.gram.gnttab_addr = RAM_BASE;
		z->ip.gram.gnttab_entries = 64;
	}

	while (in.n && steps++ < 1024) {
		uint8_t op = vg_fuzz_u8(&in);

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
				VG_FUZZ_CHECK(!(val >> (8 * sz)));
			break;
		case 4:
			off = vg_fuzz_u16(&in) % RAM_SIZE;
			sz = vg_fuzz_u8(&in) % 64;
			for (i = 0; i < sz && off + i < RAM_SIZE; i++)
				z->ip.buf[off + i] = vg_fuzz_u8(&in);
			break;
		case 5:
			vg_fuzz_act_run(&in, z->g, 16);
			break;
		case 6:
			vg_fuzz_act_edge(&in, &z->fa);
			break;
		case 7:
			i = vg_fuzz_u8(&in);
			if (i == 0) {
				vg_mmio_reset(&z->m);
			} else if (i == 1) {
				vg_fakeacl_revoke(&z->fa, 3);
			}
			break;
		}
		/* The daemon's loop: work after every access. */
		vg_gpio_run(z->g, 8);
	}

	vg_gpio_free(z->g);
	VG_FUZZ_CHECK(z->ip.maps == z->ip.unmaps);
	vg_fakeacl_dispose(&z->fa);
	vg_inproc_dispose(&z->ip);
	free(z);
	return 0;
}
