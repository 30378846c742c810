// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the split-ring walker (backend/virtio/vring.c): the input is the guest.
 *
 *   byte 0      queue size = 1 << (b % 9)
 *   byte 1      bit 0 INDIRECT, bit 1 EVENT_IDX, bit 2 grants,
 *               bits 3-4 max_piece (0, 1, 3, 7), bit 5 revoke a grant
 *   byte 2      page whose grants are revoked (with bit 5)
 *   byte 3      avail->flags low byte (NO_INTERRUPT)
 *   then        descriptor table (16 * size bytes, at RAM + 0x1000),
 *               avail ring (4 + 2 * size + 2 bytes, at RAM + 0x2000),
 *               the rest at RAM + 0x4000 (indirect tables, buffers)
 *
 * Chains are popped until the ring is empty or broken, each is read,
 * written and pushed. Checked: nothing crashes, every popped chain keeps
 * its invariants, every map() is unmapped, a broken ring stays broken.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vgpio/loop_proto.h>
#include "drv.h"
#include "vring.h"
#include "fuzz-input.h"
#include "inproc.h"

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x10000u
#define DESC_OFF 0x1000u
#define AVAIL_OFF 0x2000u
#define USED_OFF 0x3000u
#define DATA_OFF 0x4000u

static void fill(struct vg_drv_mem *m, uint32_t off, uint32_t room,
		 const uint8_t **data, size_t *size)
{
	size_t n = *size < room ? *size : room;

	memcpy(m->host + off, *data, n);
	*data += n;
	*size -= n;
}

static void check_chain(const struct vg_vq *vq, const struct vg_chain *c)
{
	uint64_t rl = 0, wl = 0;

	VG_FUZZ_CHECK(c->head < vq->size);
	VG_FUZZ_CHECK(c->nread + c->nwrite >= 1);
	VG_FUZZ_CHECK(c->nread + c->nwrite <= vq->size);
	for (unsigned int i = 0; i < c->nread + c->nwrite; i++) {
		VG_FUZZ_CHECK(c->iov[i].len > 0);
		/* No buffer wraps past 2^64. */
		VG_FUZZ_CHECK(c->iov[i].addr + (c->iov[i].len - 1) >=
			      c->iov[i].addr);
		if (i < c->nread)
			rl += c->iov[i].len;
		else
			wl += c->iov[i].len;
	}
	VG_FUZZ_CHECK(rl == c->read_len && wl == c->write_len);
	VG_FUZZ_CHECK(rl + wl <= UINT32_MAX);
}

static void run(struct vg_drv_mem *m, uint16_t qsize, uint8_t flags)
{
	static const size_t pieces[4] = {0, 1, 3, 7};
	bool indirect = flags & 1, event_idx = flags & 2;
	struct vg_inproc ip;
	struct vg_vq vq;
	struct vg_chain *c = malloc(sizeof(*c));
	enum vg_vring_err err = VG_VRING_OK;
	uint8_t buf[96];
	int rc;

	VG_FUZZ_CHECK(c);
	vg_inproc_init_drv(&ip, m);
	ip.gram.max_piece = pieces[(flags >> 3) & 3];
	vg_vq_reset(&vq);
	vq.size = qsize;
	vq.desc = vg_drv_dma(m, RAM_BASE + DESC_OFF, false);
	vq.avail = vg_drv_dma(m, RAM_BASE + AVAIL_OFF, false);
	vq.used = vg_drv_dma(m, RAM_BASE + USED_OFF, false);
	VG_FUZZ_CHECK(vg_vq_enable(&vq, indirect, event_idx) == 0);

	/* At most a full ring can be pending (V10), so this always ends. */
	for (unsigned int i = 0; i <= qsize; i++) {
		long r;

		rc = vg_vq_pop(&vq, &ip.bus, c, &err);
		VG_FUZZ_CHECK(ip.maps == ip.unmaps);
		if (rc <= 0)
			break;
		VG_FUZZ_CHECK(err == VG_VRING_OK);
		check_chain(&vq, c);

		r = vg_chain_read(&ip.bus, c, i % 3, buf, sizeof(buf));
		VG_FUZZ_CHECK(r == -EFAULT ||
			      (r >= 0 && (uint64_t)r <= c->read_len));
		memset(buf, 0xa5, sizeof(buf));
		r = vg_chain_write(&ip.bus, c, 0, buf, sizeof(buf));
		VG_FUZZ_CHECK(r == -EFAULT ||
			      (r >= 0 && (uint64_t)r <= c->write_len));
		VG_FUZZ_CHECK(ip.maps == ip.unmaps);

		/*
		 * Only grants can make the flat used ring unwritable: revoked
		 * by the input, or by a buffer the device just wrote over the
		 * grant table.
		 */
		rc = vg_vq_push(&vq, &ip.bus, c->head, r > 0 ? (uint32_t)r : 0);
		VG_FUZZ_CHECK(rc == 0 || (rc == -EFAULT && (flags & 4)));
		rc = 1;
		(void)vg_vq_should_notify(&vq, &ip.bus);
		VG_FUZZ_CHECK(ip.maps == ip.unmaps);
	}
	if (rc < 0) {
		enum vg_vring_err again;

		VG_FUZZ_CHECK(rc == -EPROTO);
		VG_FUZZ_CHECK(err > VG_VRING_OK && err < VG_VRING_E_NR);
		VG_FUZZ_CHECK(vg_vring_strerror(err) != NULL);
		/* Sticky until the queue is enabled again. */
		VG_FUZZ_CHECK(vg_vq_avail(&vq, &ip.bus, &again) == -EPROTO);
		VG_FUZZ_CHECK(again == err);
	} else {
		VG_FUZZ_CHECK(rc == 0);
		VG_FUZZ_CHECK(vg_vq_avail(&vq, &ip.bus, &err) == 0);
	}
	VG_FUZZ_CHECK(ip.maps == ip.unmaps);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_drv_mem m;
	uint16_t qsize;
	uint8_t flags, page, aflags;

	if (size < 4)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 9));
	flags = data[1];
	page = data[2];
	aflags = data[3];
	data += 4;
	size -= 4;

	if (vg_drv_mem_init(&m, RAM_BASE, RAM_SIZE, flags & 4))
		abort();
	fill(&m, DESC_OFF, (uint32_t)VG_VRING_DESC_BYTES(qsize), &data, &size);
	fill(&m, AVAIL_OFF, (uint32_t)VG_VRING_AVAIL_BYTES(qsize), &data,
	     &size);
	fill(&m, DATA_OFF, RAM_SIZE - DATA_OFF, &data, &size);
	m.host[AVAIL_OFF] = aflags;
	if (flags & 0x20)
		vg_drv_grant_set(&m,
				 RAM_BASE + (page % (RAM_SIZE / 4096)) * 4096,
				 false);
	run(&m, qsize, flags);
	vg_drv_mem_dispose(&m);
	return 0;
}
