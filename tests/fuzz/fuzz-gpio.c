// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the virtio-gpio device (backend/gpio/gpio.c) as a guest driver would
 * drive it, over the fake line provider. The input is a script:
 *
 *   byte 0      bit 0 driver accepts INDIRECT, bit 1 EVENT_IDX, bit 2
 *               declines F_IRQ, bit 3 grants, bits 4-5 queue size
 *               (2, 4, 8, 16), bits 6-7 max_piece (0, 1, 2, 5)
 *   per line    name byte: bit 0 host's (else admin's) name, bits 5-7
 *   (NL times)  name length / 6; policy byte: allow mask (bits 0-2,
 *               0 = all), safe state (bits 3-4); then the name bytes
 *   then        actions until the input ends; each starts with an op
 *               byte, arguments follow:
 *     0 request    type, gpio, value (le32), layout (see post_chain)
 *     1 eventq     gpio (le16), layout
 *     2 edge       line, edge (bit 0: rising/falling)
 *     3 run        budget (% 8)
 *     4 reset      features byte (as byte 0, bits 0-2)
 *     5 fail       op, errno selector: the next provider call fails
 *     6 revoke     line
 *     7 corrupt    queue, area, offset (le16), value: write a ring byte
 *
 * Checked: nothing crashes or trips a sanitizer; run() never exceeds its
 * budget; while the guest behaves, every completion has the used length
 * and status the protocol requires; every map() is unmapped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "drv.h"
#include "gpio.h"
#include "fakeacl.h"
#include "fuzz-act.h"
#include "fuzz-input.h"
#include "inproc.h"

#define NL 6u
#define RAM_BASE 0x40000ull
#define RAM_SIZE 0x20000u
#define NREC 40u /* > two full queues of the largest size */
#define REC_SIZE 512u /* > 2 * 8 + 1 + names block (NL * 32) + gaps */

/* One posted chain (the driver's token). */
struct rec {
	bool busy;
	unsigned int q;
	uint16_t type;
	uint32_t wlen; /* writable bytes */
	uint64_t wr0; /* first writable byte, guest address */
	uint64_t area; /* REC_SIZE bytes of RAM owned by this record */
};

struct fz {
	struct vg_drv_mem mem;
	struct vg_inproc ip;
	struct vg_fakeacl fa;
	struct vg_gpio *g;
	struct vg_vdev *vd;
	struct vg_drv_vq vq[2];
	unsigned int nq;
	uint16_t qsize;
	uint64_t recs; /* NREC record areas */
	uint64_t mark; /* RAM allocated before the rings */
	struct rec rec[NREC];
	uint32_t names_size;
	bool hostile; /* the script broke the rules: no protocol checks */
};

static void queue_setup(struct fz *z, unsigned int q)
{
	struct vg_drv_vq *vq = &z->vq[q];
	uint64_t a[3] = {vg_drv_dma(&z->mem, vq->desc, false),
			 vg_drv_dma(&z->mem, vq->avail, false),
			 vg_drv_dma(&z->mem, vq->used, false)};

	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_SIZE, z->qsize);
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DESC_LO, (uint32_t)a[0]);
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DESC_HI, (uint32_t)(a[0] >> 32));
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DRIVER_LO, (uint32_t)a[1]);
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DRIVER_HI,
			  (uint32_t)(a[1] >> 32));
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DEVICE_LO, (uint32_t)a[2]);
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_DEVICE_HI,
			  (uint32_t)(a[2] >> 32));
	vg_vdev_queue_set(z->vd, q, VG_VDEV_Q_READY, 1);
}

/* Reset and the driver's probe: handshake, rings, DRIVER_OK. */
static void probe(struct fz *z, uint8_t feat)
{
	uint64_t want = VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM);
	uint64_t host;
	unsigned int q;

	vg_vdev_set_status(z->vd, 0);
	memset(z->rec, 0, sizeof(z->rec));
	for (q = 0; q < NREC; q++)
		z->rec[q].area = z->recs + q * (uint64_t)REC_SIZE;
	z->mem.brk = z->mark;
	memset(vg_drv_ptr(&z->mem, z->mark), 0,
	       z->mem.size - (size_t)(z->mark - z->mem.base));

	vg_vdev_set_status(z->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	host = vg_vdev_host_features(z->vd, 0) |
	       (uint64_t)vg_vdev_host_features(z->vd, 1) << 32;
	if (feat & 1)
		want |= VG_BIT(VG_F_RING_INDIRECT_DESC);
	if (feat & 2)
		want |= VG_BIT(VG_F_RING_EVENT_IDX);
	if (!(feat & 4))
		want |= VG_BIT(VG_GPIO_F_IRQ);
	want &= host;
	vg_vdev_set_guest_features(z->vd, 0, (uint32_t)want);
	vg_vdev_set_guest_features(z->vd, 1, (uint32_t)(want >> 32));
	vg_vdev_set_status(z->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					  VG_STATUS_FEATURES_OK);
	VG_FUZZ_CHECK(z->vd->status & VG_STATUS_FEATURES_OK);
	z->nq = (want & VG_BIT(VG_GPIO_F_IRQ)) ? 2 : 1;
	for (q = 0; q < z->nq; q++) {
		VG_FUZZ_CHECK(
			!vg_drv_vq_init(&z->vq[q], &z->mem, z->qsize,
					want & VG_BIT(VG_F_RING_INDIRECT_DESC),
					want & VG_BIT(VG_F_RING_EVENT_IDX)));
		queue_setup(z, q);
	}
	vg_vdev_set_status(z->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					  VG_STATUS_FEATURES_OK |
					  VG_STATUS_DRIVER_OK);
}

/* Check a completion against the protocol (while the guest behaves). */
static void check_done(struct fz *z, struct rec *r, uint32_t len)
{
	uint8_t *w = vg_drv_ptr(&z->mem, r->wr0);

	if (z->hostile)
		return;
	if (r->q == 1) {
		VG_FUZZ_CHECK(len == 1);
		VG_FUZZ_CHECK(w[0] <= VG_GPIO_IRQ_STATUS_VALID);
		return;
	}
	if (r->type == VG_GPIO_MSG_GET_LINE_NAMES && z->names_size &&
	    len == 1 + z->names_size) {
		VG_FUZZ_CHECK(w[0] == VG_GPIO_STATUS_OK);
		return;
	}
	/* Both bytes of the response, or what fits of them. */
	VG_FUZZ_CHECK(len == (r->wlen < 2 ? r->wlen : 2));
	VG_FUZZ_CHECK(w[0] <= VG_GPIO_STATUS_ERR);
	if (w[0] == VG_GPIO_STATUS_ERR)
		return;
	VG_FUZZ_CHECK(r->type >= VG_GPIO_MSG_GET_DIRECTION &&
		      r->type <= VG_GPIO_MSG_SET_IRQ_TYPE);
}

static void drain(struct fz *z)
{
	unsigned int q, k;
	uint32_t len;

	for (q = 0; q < z->nq; q++) {
		for (k = 0; k < 2u * z->qsize; k++) {
			struct rec *r = vg_drv_vq_get(&z->vq[q], &len);

			if (!r) {
				/* An id we never exposed: a device bug. */
				VG_FUZZ_CHECK(len != UINT32_MAX || z->hostile);
				if (len != UINT32_MAX)
					break;
				continue;
			}
			if (r->busy)
				check_done(z, r, len);
			r->busy = false;
		}
	}
}

static struct rec *rec_get(struct fz *z)
{
	unsigned int i;

	for (i = 0; i < NREC; i++)
		if (!z->rec[i].busy)
			return &z->rec[i];
	return NULL;
}

/*
 * Post @rd (@rlen bytes) as a chain on queue @q, laid out by the layout
 * bytes: readable part cut into 1-4 pieces, writable room of @wneed plus
 * a signed adjustment in 1-4 pieces, gaps between pieces, rarely a
 * zero-length piece (a ring violation).
 */
static void post_chain(struct fz *z, unsigned int q, const void *rd,
		       uint32_t rlen, uint32_t wneed, uint16_t type,
		       struct vg_fuzz_in *in)
{
	uint8_t l0 = vg_fuzz_u8(in), l1 = vg_fuzz_u8(in);
	unsigned int nrd = 1 + (l0 & 3), nwr = 1 + (l0 >> 2 & 3), n = 0, i;
	int adj = (int)(l1 & 7) - 3; /* -3..+4 */
	uint32_t wlen, off = 0, gap = l1 >> 3 & 3, piece;
	struct vg_drv_sg sg[8];
	struct rec *r = rec_get(z);
	uint8_t *area;

	if (!r || q >= z->nq)
		return;
	if (l1 & 0x40)
		rlen = rlen > (uint32_t)(l0 >> 4) ? rlen - (l0 >> 4) : 0;
	wlen = (int)wneed + adj > 0 ? (uint32_t)((int)wneed + adj) : 0;
	if (l1 & 0x80)
		wlen = 0;
	area = vg_drv_ptr(&z->mem, r->area);
	memset(area, 0xa5, REC_SIZE);
	memset(r, 0, offsetof(struct rec, area));
	r->q = q;
	r->type = type;
	r->wlen = wlen;
	for (i = 0; i < nrd && rlen; i++) {
		piece = i + 1 == nrd ? rlen : (rlen + nrd - 1 - i) / (nrd - i);
		memcpy(area + off, rd, piece);
		sg[n++] = (struct vg_drv_sg){r->area + off, piece, false};
		rd = (const uint8_t *)rd + piece;
		rlen -= piece;
		off += piece + gap;
	}
	for (i = 0; i < nwr && wlen; i++) {
		piece = i + 1 == nwr ? wlen : (wlen + nwr - 1 - i) / (nwr - i);
		if (!i)
			r->wr0 = r->area + off;
		sg[n++] = (struct vg_drv_sg){r->area + off, piece, true};
		wlen -= piece;
		off += piece + gap;
	}
	if (!r->wr0)
		r->wr0 = r->area; /* no writable part: the device breaks */
	if (off > REC_SIZE || !n)
		return;
	if (l1 == 0x3f && n > 1) {
		sg[1].len = 0; /* zero-length descriptor: ring violation */
		z->hostile = true;
	}
	if (vg_drv_vq_add(&z->vq[q], sg, n, r))
		return;
	r->busy = true;
	if (vg_drv_vq_kick_prepare(&z->vq[q]))
		vg_vdev_queue_notify(z->vd, q);
}

static void act_request(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t t = vg_fuzz_u8(in);
	uint16_t type = t < 0xf0 ? (uint16_t)(t % 6 + 1) : (uint16_t)(t << 4);
	uint8_t gsel = vg_fuzz_u8(in);
	uint16_t gpio = gsel < 0xf0 ? gsel % (NL + 1) : (uint16_t)(gsel << 8);
	uint32_t value = vg_fuzz_u32(in);
	struct vg_gpio_request req;
	uint32_t need = 2;

	/* Mostly small values, as a driver sends. */
	if (!(value & 0x80000000u))
		value &= 0xf;
	req.type = vg_le16_put(type);
	req.gpio = vg_le16_put(gpio);
	req.value = vg_le32_put(value);
	if (type == VG_GPIO_MSG_GET_LINE_NAMES)
		need = 1 + z->names_size;
	post_chain(z, 0, &req, sizeof(req), need, type, in);
}

static void act_event(struct fz *z, struct vg_fuzz_in *in)
{
	uint16_t gpio = vg_fuzz_u16(in);
	struct vg_le16 req;

	if (gpio < 0xff00)
		gpio %= NL + 1;
	req = vg_le16_put(gpio);
	post_chain(z, 1, &req, sizeof(req), 1, 0, in);
}

static void act_corrupt(struct fz *z, struct vg_fuzz_in *in)
{
	uint8_t qa = vg_fuzz_u8(in);
	uint16_t off = vg_fuzz_u16(in);
	uint8_t val = vg_fuzz_u8(in);
	struct vg_drv_vq *vq = &z->vq[(qa & 1) % z->nq];
	uint64_t base, len;

	switch (qa >> 1 & 3) {
	case 0:
		base = vq->desc;
		len = VG_VRING_DESC_BYTES(vq->size);
		break;
	case 1:
		base = vq->avail;
		len = VG_VRING_AVAIL_BYTES(vq->size);
		break;
	default:
		/* Indirect tables and buffers live in the record areas. */
		base = z->recs;
		len = NREC * REC_SIZE;
		break;
	}
	*(uint8_t *)vg_drv_ptr(&z->mem, base + off % len) = val;
	z->hostile = true;
}

static void setup_lines(struct fz *z, struct vg_fuzz_in *in)
{
	static const enum vg_safe safes[4] = {VG_SAFE_INPUT, VG_SAFE_LOW,
					      VG_SAFE_HIGH, VG_SAFE_INPUT};
	char names[NL][48];
	const char *host[NL];
	uint8_t b[NL], pol[NL];
	unsigned int i, j, len;

	for (i = 0; i < NL; i++) {
		b[i] = vg_fuzz_u8(in);
		pol[i] = vg_fuzz_u8(in);
		len = (b[i] >> 5) * 6u;
		for (j = 0; j < len; j++)
			names[i][j] = (char)vg_fuzz_u8(in);
		names[i][len] = '\0';
		host[i] = (b[i] & 1) ? names[i] : "";
	}
	VG_FUZZ_CHECK(!vg_fakeacl_init(&z->fa, NL, host));
	for (i = 0; i < NL; i++) {
		struct vg_acl_line *l = &z->fa.lines[i];

		l->allow = (pol[i] & 7) ? (pol[i] & 7) : VG_ALLOW_ALL;
		l->safe = safes[pol[i] >> 3 & 3];
		if (!(b[i] & 1))
			strncpy(l->name, names[i], VG_GPIO_NAME_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[4] = {0, 1, 2, 5};
	static const int errs[4] = {-EIO, -EBUSY, -EPERM, -EINVAL};
	struct vg_fuzz_in in = {data, size};
	struct vg_gpio_params p = {0};
	struct fz *z = calloc(1, sizeof(*z));
	unsigned int i, steps = 0;
	struct vg_gpio_stats st;
	uint8_t flags = vg_fuzz_u8(&in);
	uint64_t v;

	VG_FUZZ_CHECK(z);
	VG_FUZZ_CHECK(!vg_drv_mem_init(&z->mem, RAM_BASE, RAM_SIZE, flags & 8));
	vg_inproc_init_drv(&z->ip, &z->mem);
	z->ip.gram.max_piece = pieces[flags >> 6];
	z->qsize = (uint16_t)(2u << (flags >> 4 & 3));
	setup_lines(z, &in);
	p.acl = &z->fa.acl;
	p.bus = z->ip.bus;
	VG_FUZZ_CHECK(!vg_gpio_new(&p, &z->g));
	z->fa.gpio = z->g;
	z->vd = vg_gpio_vdev(z->g);
	vg_vdev_config_read(z->vd, 4, 4, &v);
	z->names_size = (uint32_t)v;
	VG_FUZZ_CHECK(z->names_size <= NL * (VG_GPIO_NAME_MAX + 1));
	/* Record areas first, rings after the mark. */
	z->recs = vg_drv_alloc(&z->mem, NREC * REC_SIZE, 4096);
	VG_FUZZ_CHECK(z->recs);
	z->mark = z->mem.brk;
	probe(z, flags);

	while (in.n && steps++ < 512) {
		uint8_t op = vg_fuzz_u8(&in);

		switch (op % 8) {
		case 0:
			act_request(z, &in);
			break;
		case 1:
			act_event(z, &in);
			break;
		case 2:
			vg_fuzz_act_edge(&in, &z->fa);
			drain(z);
			break;
		case 3:
			vg_fuzz_act_run(&in, z->g, 8);
			drain(z);
			break;
		case 4:
			probe(z, vg_fuzz_u8(&in));
			break;
		case 5:
			i = vg_fuzz_u8(&in);
			vg_fakeprov_fail_next(z->fa.fp,
					      (enum vg_fake_op)(i % VG_FAKE_NR),
					      errs[i >> 6]);
			break;
		case 6:
			vg_fakeacl_revoke(&z->fa, vg_fuzz_u8(&in) % NL);
			drain(z);
			break;
		case 7:
			act_corrupt(z, &in);
			break;
		}
	}
	VG_FUZZ_CHECK(vg_gpio_run(z->g, 64) <= 64);
	drain(z);
	for (i = 0; i < NL; i++)
		VG_FUZZ_CHECK(vg_gpio_line_direction(z->g, i) <=
			      VG_GPIO_DIRECTION_IN);
	vg_gpio_get_stats(z->g, &st);
	VG_FUZZ_CHECK(st.errors <= st.requests);

	vg_gpio_free(z->g);
	VG_FUZZ_CHECK(z->ip.maps == z->ip.unmaps);
	vg_fakeacl_dispose(&z->fa);
	vg_drv_mem_dispose(&z->mem);
	free(z);
	return 0;
}
