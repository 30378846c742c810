// SPDX-License-Identifier: BSD-3-Clause
/*
 * The hostile guest. Every builder writes descriptors and publishes them
 * with the same barriers a real driver uses, so the device sees exactly
 * the broken ring a malicious guest would leave, not a torn one.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "hostile.h"

static int64_t hostile_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vg_hostile_mmio_read(struct vg_shim *s, uint64_t off, unsigned int size,
			 uint64_t *val)
{
	*val = 0;
	return s->wire.ops->mmio(s->wire.ctx, false, off, size, val);
}

int vg_hostile_mmio_write(struct vg_shim *s, uint64_t off, unsigned int size,
			  uint64_t val)
{
	return s->wire.ops->mmio(s->wire.ctx, true, off, size, &val);
}

static struct vg_drv_vq *hostile_vq(struct vg_shim *s, unsigned int q)
{
	return q < s->nvqs ? &s->vq[q] : NULL;
}

static void hostile_put_desc(struct vg_shim *s, uint64_t gpa,
			     const struct vg_hostile_desc *d)
{
	struct vg_vring_desc *e = vg_drv_ptr(&s->mem, gpa);

	e->addr = vg_le64_put(d->addr);
	e->len = vg_le32_put(d->len);
	e->flags = vg_le16_put(d->flags);
	e->next = vg_le16_put(d->next);
}

int vg_hostile_desc_set(struct vg_shim *s, unsigned int q, uint16_t i,
			const struct vg_hostile_desc *d)
{
	struct vg_drv_vq *vq = hostile_vq(s, q);

	if (!vq || i >= vq->size)
		return -EINVAL;
	hostile_put_desc(s, vq->desc + VG_VRING_DESC_BYTES(i), d);
	return 0;
}

void vg_hostile_table_set(struct vg_shim *s, uint64_t table, uint16_t i,
			  const struct vg_hostile_desc *d)
{
	hostile_put_desc(s, table + VG_VRING_DESC_BYTES(i), d);
}

static void hostile_store_idx(struct vg_shim *s, struct vg_drv_vq *vq)
{
	uint16_t *idx = vg_drv_ptr(&s->mem, vq->avail + VG_VRING_AVAIL_IDX);

	/* The ring entry must be visible before the index that covers it. */
	__atomic_store_n(idx, vg_le16_put(vq->avail_idx).v, __ATOMIC_RELEASE);
}

int vg_hostile_avail_push(struct vg_shim *s, unsigned int q, uint16_t head)
{
	struct vg_drv_vq *vq = hostile_vq(s, q);
	struct vg_le16 *slot;

	if (!vq)
		return -EINVAL;
	s->raw_queues |= 1u << q;
	slot = vg_drv_ptr(
		&s->mem,
		vq->avail + VG_VRING_AVAIL_RING(vq->avail_idx % vq->size));
	*slot = vg_le16_put(head);
	vq->avail_idx++;
	hostile_store_idx(s, vq);
	return 0;
}

int vg_hostile_avail_jump(struct vg_shim *s, unsigned int q, uint16_t delta)
{
	struct vg_drv_vq *vq = hostile_vq(s, q);

	if (!vq)
		return -EINVAL;
	s->raw_queues |= 1u << q;
	vq->avail_idx = (uint16_t)(vq->avail_idx + delta);
	hostile_store_idx(s, vq);
	return 0;
}

int vg_hostile_notify(struct vg_shim *s, unsigned int q)
{
	struct vg_drv_vq *vq = hostile_vq(s, q);

	/* The driver's kick bookkeeping must not notify these again. */
	if (vq)
		vq->kicked_idx = vq->avail_idx;
	vg_shim_write32(s, VG_MMIO_QUEUE_NOTIFY, q);
	return s->wire_err;
}

uint64_t vg_hostile_alloc(struct vg_shim *s, size_t len)
{
	return vg_drv_alloc(&s->mem, len, 64);
}

uint64_t vg_hostile_dma(const struct vg_shim *s, uint64_t gpa, bool ro)
{
	return vg_drv_dma(&s->mem, gpa, ro);
}

void vg_hostile_grant_set(struct vg_shim *s, uint64_t gpa, bool permit)
{
	vg_drv_grant_set(&s->mem, gpa, permit);
}

/* Take one used element of @vq if the device published one. */
static bool hostile_take_used(struct vg_shim *s, struct vg_drv_vq *vq,
			      uint32_t *id, uint32_t *len)
{
	uint16_t *uidx = vg_drv_ptr(&s->mem, vq->used + VG_VRING_USED_IDX);
	const struct vg_vring_used_elem *e;
	uint16_t idx;

	idx = vg_le16_get(
		(struct vg_le16){__atomic_load_n(uidx, __ATOMIC_ACQUIRE)});
	if (idx == vq->last_used)
		return false;
	/* Acquire above: the element is read only after the index. */
	e = vg_drv_ptr(&s->mem,
		       vq->used + VG_VRING_USED_RING(vq->last_used % vq->size));
	*id = vg_le32_get(e->id);
	*len = vg_le32_get(e->len);
	vq->last_used++;
	if (vq->event_idx) {
		uint16_t *ue = vg_drv_ptr(
			&s->mem, vq->avail + VG_VRING_USED_EVENT(vq->size));

		/* Ask for the next interrupt, like vg_drv_vq_enable_cb. */
		__atomic_store_n(ue, vg_le16_put(vq->last_used).v,
				 __ATOMIC_SEQ_CST);
	}
	return true;
}

int vg_hostile_wait_used(struct vg_shim *s, unsigned int q, int timeout_ms,
			 uint32_t *id, uint32_t *len)
{
	struct vg_drv_vq *vq = hostile_vq(s, q);
	int64_t deadline = hostile_now_ms() + timeout_ms;
	int r;

	if (!vq)
		return -EINVAL;
	s->raw_queues |= 1u << q;
	for (;;) {
		if (hostile_take_used(s, vq, id, len))
			return 1;
		if (s->dev_err)
			return s->dev_err;
		if (hostile_now_ms() >= deadline)
			return 0;
		r = vg_shim_wait_irq(s, (int)(deadline - hostile_now_ms()));
		if (r < 0)
			return r;
	}
}

static const char *const hostile_names[VG_HOSTILE_NR] = {
	[VG_HOSTILE_DESC_LOOP] = "descriptor loop",
	[VG_HOSTILE_HEAD_OOB] = "head out of range",
	[VG_HOSTILE_NEXT_OOB] = "next out of range",
	[VG_HOSTILE_AVAIL_JUMP] = "avail index jump",
	[VG_HOSTILE_INDIRECT] = "indirect table",
	[VG_HOSTILE_INDIRECT_NESTED] = "nested indirect table",
	[VG_HOSTILE_INDIRECT_NEXT] = "INDIRECT with NEXT",
	[VG_HOSTILE_INDIRECT_BAD_LEN] = "indirect table of 24 bytes",
	[VG_HOSTILE_INDIRECT_LONG] = "indirect table longer than the queue",
	[VG_HOSTILE_WRITE_BEFORE_READ] = "writable before readable",
	[VG_HOSTILE_ZERO_LEN] = "zero-length buffer",
	[VG_HOSTILE_OUTSIDE_RAM] = "buffer outside guest RAM",
	[VG_HOSTILE_NO_RESPONSE] = "no writable buffer",
};

const char *vg_hostile_kind_name(enum vg_hostile_kind k)
{
	return (unsigned int)k < VG_HOSTILE_NR ? hostile_names[k] : "?";
}

/* Scratch for one hostile chain: request, response and two tables. */
struct hostile_bufs {
	uint64_t req, res, t1, t2;
	uint64_t dreq, dres, dt1, dt2; /* device addresses */
};

static int hostile_bufs_alloc(struct vg_shim *s, uint16_t qsize,
			      struct hostile_bufs *b)
{
	size_t table = VG_VRING_DESC_BYTES(qsize + 2u);
	struct vg_gpio_request *req;
	uint64_t base = vg_hostile_alloc(s, 64 + 2 * table);

	if (!base)
		return -ENOMEM;
	b->req = base;
	b->res = base + 16;
	b->t1 = base + 64;
	b->t2 = base + 64 + table;
	b->dreq = vg_hostile_dma(s, b->req, true);
	b->dres = vg_hostile_dma(s, b->res, false);
	b->dt1 = vg_hostile_dma(s, b->t1, true);
	b->dt2 = vg_hostile_dma(s, b->t2, true);
	req = vg_drv_ptr(&s->mem, b->req);
	req->type = vg_le16_put(VG_GPIO_MSG_GET_VALUE);
	return 0;
}

int vg_hostile_send(struct vg_shim *s, unsigned int q, enum vg_hostile_kind k)
{
	const uint16_t NX = VG_VRING_DESC_F_NEXT, WR = VG_VRING_DESC_F_WRITE,
		       IN = VG_VRING_DESC_F_INDIRECT;
	struct vg_drv_vq *vq = hostile_vq(s, q);
	struct hostile_bufs b;
	struct vg_hostile_desc d[3];
	uint16_t head = 0, i;
	int rc;

	if (!vq || (unsigned int)k >= VG_HOSTILE_NR)
		return -EINVAL;
	if (vq->num_free != vq->size)
		return -EBUSY;
	rc = hostile_bufs_alloc(s, vq->size, &b);
	if (rc)
		return rc;
	/* The well-formed pair most kinds start from. */
	d[0] = (struct vg_hostile_desc){b.dreq, 8, NX, 1};
	d[1] = (struct vg_hostile_desc){b.dres, 2, WR, 0};
	d[2] = (struct vg_hostile_desc){0};
	switch (k) {
	case VG_HOSTILE_DESC_LOOP:
		d[1].flags = WR | NX;
		d[1].next = 0;
		break;
	case VG_HOSTILE_HEAD_OOB:
		head = vq->size;
		break;
	case VG_HOSTILE_NEXT_OOB:
		d[0].next = vq->size;
		break;
	case VG_HOSTILE_AVAIL_JUMP:
		for (i = 0; i < 2; i++)
			vg_hostile_desc_set(s, q, i, &d[i]);
		vg_hostile_avail_jump(s, q, (uint16_t)(vq->size + 1u));
		return vg_hostile_notify(s, q);
	case VG_HOSTILE_INDIRECT:
	case VG_HOSTILE_INDIRECT_NEXT:
	case VG_HOSTILE_INDIRECT_BAD_LEN:
		vg_hostile_table_set(s, b.t1, 0, &d[0]);
		vg_hostile_table_set(s, b.t1, 1, &d[1]);
		d[0] = (struct vg_hostile_desc){b.dt1, 32, IN, 0};
		if (k == VG_HOSTILE_INDIRECT_NEXT) {
			d[0].flags = IN | NX;
			d[0].next = 1; /* d[1] stays a valid response */
		}
		if (k == VG_HOSTILE_INDIRECT_BAD_LEN)
			d[0].len = 24;
		break;
	case VG_HOSTILE_INDIRECT_NESTED:
		vg_hostile_table_set(s, b.t2, 0, &d[0]);
		vg_hostile_table_set(s, b.t2, 1, &d[1]);
		d[2] = (struct vg_hostile_desc){b.dt2, 32, IN, 0};
		vg_hostile_table_set(s, b.t1, 0, &d[2]);
		d[0] = (struct vg_hostile_desc){b.dt1, 16, IN, 0};
		break;
	case VG_HOSTILE_INDIRECT_LONG:
		/* size + 1 one-byte readable pieces, then the response. */
		for (i = 0; i <= vq->size; i++) {
			d[2] = (struct vg_hostile_desc){b.dreq + i % 8, 1, NX,
							(uint16_t)(i + 1)};
			vg_hostile_table_set(s, b.t1, i, &d[2]);
		}
		d[1].next = 0;
		vg_hostile_table_set(s, b.t1, (uint16_t)(vq->size + 1u), &d[1]);
		d[0] = (struct vg_hostile_desc){
			b.dt1, (uint32_t)VG_VRING_DESC_BYTES(vq->size + 2u), IN,
			0};
		break;
	case VG_HOSTILE_WRITE_BEFORE_READ:
		d[0] = (struct vg_hostile_desc){b.dres, 2, WR | NX, 1};
		d[1] = (struct vg_hostile_desc){b.dreq, 8, 0, 0};
		break;
	case VG_HOSTILE_ZERO_LEN:
		d[1] = (struct vg_hostile_desc){b.dres, 0, WR | NX, 2};
		d[2] = (struct vg_hostile_desc){b.dres, 2, WR, 0};
		break;
	case VG_HOSTILE_OUTSIDE_RAM:
		/* Far above RAM; with grants an unmapped grant reference. */
		d[0].addr = s->mem.grants ? b.dreq + (1ULL << 40)
					  : s->mem.base + s->mem.size + 0x1000;
		break;
	case VG_HOSTILE_NO_RESPONSE:
		d[0].flags = 0;
		break;
	case VG_HOSTILE_NR:
		return -EINVAL;
	}
	for (i = 0; i < 3; i++)
		vg_hostile_desc_set(s, q, i, &d[i]);
	vg_hostile_avail_push(s, q, head);
	return vg_hostile_notify(s, q);
}

int vg_hostile_split_request(struct vg_shim *s, bool indirect, uint16_t type,
			     uint16_t gpio, uint32_t value, uint8_t *resp,
			     uint32_t resp_len, uint32_t *used)
{
	const unsigned int q = VG_GPIO_QUEUE_REQUEST;
	struct vg_drv_vq *vq = hostile_vq(s, q);
	struct vg_gpio_request *req;
	unsigned int n = 8 + resp_len, i;
	struct hostile_bufs b;
	uint32_t id;
	int rc;

	if (!vq)
		return -ENOTCONN;
	if (vq->num_free != vq->size)
		return -EBUSY;
	if (n > vq->size || resp_len > 16)
		return -ENOSPC;
	rc = hostile_bufs_alloc(s, vq->size, &b);
	if (rc)
		return rc;
	req = vg_drv_ptr(&s->mem, b.req);
	req->type = vg_le16_put(type);
	req->gpio = vg_le16_put(gpio);
	req->value = vg_le32_put(value);
	memset(vg_drv_ptr(&s->mem, b.res), 0xff, resp_len);
	for (i = 0; i < n; i++) {
		bool w = i >= 8;
		struct vg_hostile_desc d = {
			.addr = vg_hostile_dma(
				s, w ? b.res + (i - 8) : b.req + i, !w),
			.len = 1,
			.flags = (uint16_t)((w ? VG_VRING_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VG_VRING_DESC_F_NEXT
						       : 0)),
			.next = (uint16_t)(i + 1 < n ? i + 1 : 0),
		};

		if (indirect)
			vg_hostile_table_set(s, b.t1, (uint16_t)i, &d);
		else
			vg_hostile_desc_set(s, q, (uint16_t)i, &d);
	}
	if (indirect) {
		struct vg_hostile_desc d = {b.dt1,
					    (uint32_t)VG_VRING_DESC_BYTES(n),
					    VG_VRING_DESC_F_INDIRECT, 0};

		vg_hostile_desc_set(s, q, 0, &d);
	}
	vg_hostile_avail_push(s, q, 0);
	rc = vg_hostile_notify(s, q);
	if (rc == 0) {
		rc = vg_hostile_wait_used(s, q, s->opts.timeout_ms, &id, used);
		rc = rc == 1 ? (id == 0 ? 0 : -EPROTO) : rc ? rc : -ETIMEDOUT;
	}
	/* Well-formed: the faithful driver may use the queue again. */
	s->raw_queues &= ~(1u << q);
	if (rc == 0)
		memcpy(resp, vg_drv_ptr(&s->mem, b.res), resp_len);
	return rc;
}

int vg_hostile_expect_needs_reset(struct vg_shim *s, int timeout_ms)
{
	int64_t deadline = hostile_now_ms() + timeout_ms;
	uint8_t status = 0;
	int r;

	while (s->dev_err != -ENODEV) {
		if (hostile_now_ms() >= deadline)
			return -ETIMEDOUT;
		r = vg_shim_wait_irq(s, (int)(deadline - hostile_now_ms()));
		if (r < 0)
			return r;
	}
	r = vg_shim_device_status(s, &status);
	if (r)
		return r;
	return status & VG_STATUS_DEVICE_NEEDS_RESET ? 0 : -EPROTO;
}
