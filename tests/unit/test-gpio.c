// SPDX-License-Identifier: BSD-3-Clause
/*
 * The virtio-gpio device driven the way Linux gpio-virtio.c drives it:
 * the driver side of the rings (frontend-shim/drv.h) in guest RAM shared
 * with the in-process transport, the vdev calls for the status handshake,
 * and a fake line provider that records what the device asked of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vgpio/virtio_gpio.h>
#include <vgpio/virtio_mmio.h>
#include <vgpio/virtio_ring.h>
#include "drv.h"
#include "../lib/fakeacl.h"
#include "gpio.h"
#include "mmio.h"
#include "../lib/inproc.h"

#define NL 8u
#define RAM_BASE 0x100000u
#define RAM_SIZE (4u << 20)
#define QSIZE 16u

/* --- fixture ------------------------------------------------------------ */

struct opts {
	bool no_irq; /* device does not offer F_IRQ */
	bool decline_irq; /* driver declines F_IRQ */
	bool indirect, event_idx; /* driver accepts these */
	bool grants;
	const char *acl_names[NL];
	const char *host_names[NL];
	unsigned int allow[NL]; /* 0 = VG_ALLOW_ALL */
	enum vg_safe safe[NL];
	bool keep_log; /* keep the provider calls vg_gpio_new() made */
};

/* A chain: readable pieces then writable pieces, each its own buffer. */
struct xfer {
	uint64_t rd[8], wr[8];
	uint32_t rdlen[8], wrlen[8];
	unsigned int nrd, nwr;
};

struct fx {
	struct vg_drv_mem mem;
	struct vg_inproc ip;
	struct vg_fakeacl fa; /* routes line events to @g */
	struct vg_gpio *g;
	struct vg_vdev *vd;
	struct vg_drv_vq rq, eq;
	unsigned int nq;
	unsigned long vring_ints, config_ints;
	struct xfer xf[256];
	unsigned int nxf;
};

static void fx_interrupt(void *front, unsigned int vector)
{
	struct fx *f = front;

	if (vector == VG_VDEV_VECTOR_CONFIG)
		f->config_ints++;
	else
		f->vring_ints++;
}

static void fx_queue_setup(struct fx *f, unsigned int q, struct vg_drv_vq *vq)
{
	uint64_t d = vg_drv_dma(&f->mem, vq->desc, false);
	uint64_t a = vg_drv_dma(&f->mem, vq->avail, false);
	uint64_t u = vg_drv_dma(&f->mem, vq->used, false);

	assert_true(vg_vdev_queue_exists(f->vd, q));
	assert_true(vg_vdev_queue_max(f->vd, q) >= QSIZE);
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_SIZE, QSIZE);
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DESC_LO, (uint32_t)d);
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DESC_HI, (uint32_t)(d >> 32));
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DRIVER_LO, (uint32_t)a);
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DRIVER_HI, (uint32_t)(a >> 32));
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DEVICE_LO, (uint32_t)u);
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_DEVICE_HI, (uint32_t)(u >> 32));
	vg_vdev_queue_set(f->vd, q, VG_VDEV_Q_READY, 1);
	assert_true(vg_vdev_queue_ready(f->vd, q));
}

/* Status handshake and queue setup, as virtio_dev_probe + find_vqs. */
static void fx_probe(struct fx *f, const struct opts *o)
{
	uint64_t host, want;

	vg_vdev_set_status(f->vd, 0);
	vg_vdev_set_status(f->vd, VG_STATUS_ACKNOWLEDGE);
	vg_vdev_set_status(f->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER);
	host = vg_vdev_host_features(f->vd, 0) |
	       (uint64_t)vg_vdev_host_features(f->vd, 1) << 32;
	want = VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM);
	if (!o->decline_irq)
		want |= VG_BIT(VG_GPIO_F_IRQ);
	if (o->indirect)
		want |= VG_BIT(VG_F_RING_INDIRECT_DESC);
	if (o->event_idx)
		want |= VG_BIT(VG_F_RING_EVENT_IDX);
	want &= host;
	vg_vdev_set_guest_features(f->vd, 0, (uint32_t)want);
	vg_vdev_set_guest_features(f->vd, 1, (uint32_t)(want >> 32));
	vg_vdev_set_status(f->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					  VG_STATUS_FEATURES_OK);
	assert_true(f->vd->status & VG_STATUS_FEATURES_OK);

	f->nq = (want & VG_BIT(VG_GPIO_F_IRQ)) ? 2 : 1;
	assert_int_equal(
		vg_drv_vq_init(&f->rq, &f->mem, QSIZE,
			       !!(want & VG_BIT(VG_F_RING_INDIRECT_DESC)),
			       !!(want & VG_BIT(VG_F_RING_EVENT_IDX))),
		0);
	fx_queue_setup(f, 0, &f->rq);
	if (f->nq == 2) {
		assert_int_equal(
			vg_drv_vq_init(
				&f->eq, &f->mem, QSIZE,
				!!(want & VG_BIT(VG_F_RING_INDIRECT_DESC)),
				!!(want & VG_BIT(VG_F_RING_EVENT_IDX))),
			0);
		fx_queue_setup(f, 1, &f->eq);
	}
	vg_vdev_set_status(f->vd, VG_STATUS_ACKNOWLEDGE | VG_STATUS_DRIVER |
					  VG_STATUS_FEATURES_OK |
					  VG_STATUS_DRIVER_OK);
	assert_true(f->vd->status & VG_STATUS_DRIVER_OK);
}

static struct fx *fx_new(const struct opts *o)
{
	struct vg_gpio_params p = {0};
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	assert_non_null(f);
	assert_int_equal(
		vg_drv_mem_init(&f->mem, RAM_BASE, RAM_SIZE, o->grants), 0);
	vg_inproc_init_drv(&f->ip, &f->mem);
	assert_int_equal(vg_fakeacl_init(&f->fa, NL, o->host_names), 0);
	for (i = 0; i < NL; i++) {
		struct vg_acl_line *l = &f->fa.lines[i];

		assert_non_null(l->line);
		if (o->acl_names[i])
			strncpy(l->name, o->acl_names[i], VG_GPIO_NAME_MAX);
		l->allow = o->allow[i] ? o->allow[i] : VG_ALLOW_ALL;
		l->safe = o->safe[i];
	}
	p.acl = &f->fa.acl;
	p.bus = f->ip.bus;
	p.no_irq = o->no_irq;
	p.no_indirect = !o->indirect;
	p.no_event_idx = !o->event_idx;
	assert_int_equal(vg_gpio_new(&p, &f->g), 0);
	f->fa.gpio = f->g;
	f->vd = vg_gpio_vdev(f->g);
	vg_vdev_set_front(f->vd, fx_interrupt, f);
	fx_probe(f, o);
	if (!o->keep_log)
		vg_fakeprov_clear_log(f->fa.fp);
	return f;
}

static void fx_free(struct fx *f)
{
	vg_gpio_free(f->g);
	vg_fakeacl_dispose(&f->fa);
	vg_drv_mem_dispose(&f->mem);
	free(f);
}

/* --- driver-side helpers -------------------------------------------------- */

static uint64_t galloc(struct fx *f, size_t len)
{
	/* Pad so consecutive pieces are never contiguous in guest RAM. */
	uint64_t a = vg_drv_alloc(&f->mem, len + 8, 8);

	assert_true(a != 0);
	return a;
}

static uint8_t *gptr(struct fx *f, uint64_t gpa)
{
	return vg_drv_ptr(&f->mem, gpa);
}

/*
 * A chain whose readable part holds @data (@rdsum bytes) split into pieces
 * of @rsplit sizes, and whose writable part has pieces of @wsplit sizes,
 * pre-filled with 0xaa so that unwritten bytes show.
 */
static struct xfer *xfer_new(struct fx *f, const void *data,
			     const uint32_t *rsplit, unsigned int nrd,
			     const uint32_t *wsplit, unsigned int nwr)
{
	struct xfer *x;
	const uint8_t *src = data;
	unsigned int i;

	assert_true(f->nxf < VG_ARRAY_SIZE(f->xf));
	assert_true(nrd <= 8 && nwr <= 8);
	x = &f->xf[f->nxf++];
	memset(x, 0, sizeof(*x));
	for (i = 0; i < nrd; i++) {
		x->rd[i] = galloc(f, rsplit[i]);
		x->rdlen[i] = rsplit[i];
		memcpy(gptr(f, x->rd[i]), src, rsplit[i]);
		src += rsplit[i];
	}
	for (i = 0; i < nwr; i++) {
		x->wr[i] = galloc(f, wsplit[i]);
		x->wrlen[i] = wsplit[i];
		memset(gptr(f, x->wr[i]), 0xaa, wsplit[i]);
	}
	x->nrd = nrd;
	x->nwr = nwr;
	return x;
}

/* Writable bytes of @x, gathered. */
static void xfer_out(struct fx *f, const struct xfer *x, uint8_t *buf,
		     size_t len)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < x->nwr && len; i++) {
		n = x->wrlen[i] < len ? x->wrlen[i] : len;
		memcpy(buf, gptr(f, x->wr[i]), n);
		buf += n;
		len -= n;
	}
	assert_int_equal(len, 0);
}

static struct vg_drv_vq *fx_vq(struct fx *f, unsigned int q)
{
	return q ? &f->eq : &f->rq;
}

/* virtqueue_add_sgs. */
static void fx_add(struct fx *f, unsigned int q, struct xfer *x)
{
	struct vg_drv_sg sg[16];
	unsigned int i, n = 0;

	for (i = 0; i < x->nrd; i++)
		sg[n++] = (struct vg_drv_sg){x->rd[i], x->rdlen[i], false};
	for (i = 0; i < x->nwr; i++)
		sg[n++] = (struct vg_drv_sg){x->wr[i], x->wrlen[i], true};
	assert_int_equal(vg_drv_vq_add(fx_vq(f, q), sg, n, x), 0);
}

/* virtqueue_kick. */
static void fx_kick(struct fx *f, unsigned int q)
{
	if (vg_drv_vq_kick_prepare(fx_vq(f, q)))
		vg_vdev_queue_notify(f->vd, q);
}

static void fx_post(struct fx *f, unsigned int q, struct xfer *x)
{
	fx_add(f, q, x);
	fx_kick(f, q);
}

/*
 * fx_post(), but the device gets buffer @k of the chain (readable ones
 * first) at device address @addr instead: what a hostile driver writes.
 */
static void fx_post_moved(struct fx *f, unsigned int q, struct xfer *x,
			  unsigned int k, uint64_t addr)
{
	struct vg_drv_vq *vq = fx_vq(f, q);
	struct vg_vring_desc d;
	struct vg_le16 head;
	uint64_t table = vq->desc;
	uint16_t i;

	fx_add(f, q, x);
	memcpy(&head,
	       gptr(f, vq->avail + VG_VRING_AVAIL_RING(
					   (uint16_t)(vq->avail_idx - 1) %
					   vq->size)),
	       sizeof(head));
	i = vg_le16_get(head);
	memcpy(&d, gptr(f, table + 16 * (uint64_t)i), sizeof(d));
	if (vg_le16_get(d.flags) & VG_VRING_DESC_F_INDIRECT) {
		table = vq->itable[i];
		i = 0;
	}
	for (; k; k--) {
		memcpy(&d, gptr(f, table + 16 * (uint64_t)i), sizeof(d));
		i = vg_le16_get(d.next);
	}
	memcpy(&d, gptr(f, table + 16 * (uint64_t)i), sizeof(d));
	d.addr = vg_le64_put(addr);
	memcpy(gptr(f, table + 16 * (uint64_t)i), &d, sizeof(d));
	fx_kick(f, q);
}

static struct xfer *fx_get(struct fx *f, unsigned int q, uint32_t *len)
{
	struct xfer *x = vg_drv_vq_get(fx_vq(f, q), len);

	assert_int_not_equal(*len, UINT32_MAX);
	return x;
}

static struct xfer *msg_post_split(struct fx *f, uint16_t type, uint16_t gpio,
				   uint32_t value, const uint32_t *rsplit,
				   unsigned int nrd, const uint32_t *wsplit,
				   unsigned int nwr)
{
	struct vg_gpio_request r = {vg_le16_put(type), vg_le16_put(gpio),
				    vg_le32_put(value)};
	struct xfer *x = xfer_new(f, &r, rsplit, nrd, wsplit, nwr);

	fx_post(f, 0, x);
	return x;
}

static struct xfer *msg_post(struct fx *f, uint16_t type, uint16_t gpio,
			     uint32_t value)
{
	static const uint32_t rd = 8, wr = 2;

	return msg_post_split(f, type, gpio, value, &rd, 1, &wr, 1);
}

/* The answer to @x: status, value in *val; used length must be 2. */
static uint8_t msg_wait(struct fx *f, struct xfer *x, uint8_t *val)
{
	uint8_t rsp[2];
	uint32_t len;

	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 2);
	xfer_out(f, x, rsp, 2);
	assert_true(rsp[1] == 0 || rsp[1] == 1 || rsp[1] == 2);
	if (val)
		*val = rsp[1];
	return rsp[0];
}

/* One message, like virtio_gpio_req(): post, device runs, answer. */
static uint8_t msg(struct fx *f, uint16_t type, uint16_t gpio, uint32_t value,
		   uint8_t *val)
{
	struct xfer *x = msg_post(f, type, gpio, value);

	vg_gpio_run(f->g, 64);
	return msg_wait(f, x, val);
}

static void set_irq(struct fx *f, unsigned int i, uint32_t type)
{
	assert_int_equal(
		msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, (uint16_t)i, type, NULL),
		VG_GPIO_STATUS_OK);
}

/* virtio_gpio_irq_prepare(): unmask line @gpio. */
static struct xfer *irq_post(struct fx *f, uint16_t gpio)
{
	struct vg_le16 req = vg_le16_put(gpio);
	static const uint32_t rd = 2, wr = 1;
	struct xfer *x = xfer_new(f, &req, &rd, 1, &wr, 1);

	fx_post(f, 1, x);
	vg_gpio_run(f->g, 64);
	return x;
}

/* The next returned eventq buffer (used length must be 1), or NULL. */
static struct xfer *irq_get(struct fx *f)
{
	uint32_t len;
	struct xfer *x = fx_get(f, 1, &len);

	if (x)
		assert_int_equal(len, 1);
	return x;
}

static uint8_t irq_status(struct fx *f, const struct xfer *x)
{
	return gptr(f, x->wr[0])[0];
}

static void expect_irq(struct fx *f, const struct xfer *x, uint8_t status)
{
	assert_ptr_equal(irq_get(f), x);
	assert_int_equal(irq_status(f, x), status);
}

static void edge(struct fx *f, unsigned int i, unsigned int e)
{
	vg_fakeprov_inject_edge(f->fa.fp, i, e);
	vg_fakeprov_dispatch(f->fa.fp);
}

static uint64_t cfg(struct fx *f, uint32_t off, unsigned int size)
{
	uint64_t v;

	vg_vdev_config_read(f->vd, off, size, &v);
	return v;
}

static struct vg_gpio_stats stats(struct fx *f)
{
	struct vg_gpio_stats st;

	vg_gpio_get_stats(f->g, &st);
	return st;
}

static size_t calls(struct fx *f, enum vg_fake_op op, unsigned int i)
{
	return vg_fakeprov_count(f->fa.fp, op, i);
}

static const struct opts plain;

/* --- config, features, queues ----------------------------------------- */

static void gpio_config_read_reports_lines_and_names(void **state)
{
	struct opts o = {.host_names = {"a", "b"}};
	struct fx *f = fx_new(&o);
	uint32_t gen = vg_vdev_config_generation(f->vd);
	uint8_t bytes[8];
	unsigned int i;

	(void)state;
	/* Linux before mid-2025 reads the config one byte at a time. */
	for (i = 0; i < 8; i++)
		bytes[i] = (uint8_t)cfg(f, i, 1);
	assert_int_equal(bytes[0] | bytes[1] << 8, NL);
	assert_int_equal(bytes[2], 0);
	assert_int_equal(bytes[3], 0);
	assert_int_equal(cfg(f, 0, 2), NL);
	assert_int_equal(cfg(f, 4, 4), 2 + 2 + (NL - 2));
	assert_int_equal(cfg(f, 4, 4), bytes[4] | bytes[5] << 8 |
					       bytes[6] << 16 |
					       (uint32_t)bytes[7] << 24);
	/* The snapshot never changes: a stable CONFIG_GENERATION. */
	msg(f, VG_GPIO_MSG_SET_DIRECTION, 0, VG_GPIO_DIRECTION_OUT, NULL);
	assert_int_equal(vg_vdev_config_generation(f->vd), gen);
	assert_int_equal(cfg(f, 4, 4), 2 + 2 + (NL - 2));
	fx_free(f);
}

/* A smaller table swapped in from the reset hook, as the daemon does. */
static void swap_hook(void *arg, struct vg_gpio *g)
{
	const struct vg_acl *acl = arg;

	assert_int_equal(vg_gpio_set_acl(g, acl), 0);
}

static void gpio_set_acl_only_in_reset(void **state)
{
	struct opts o = {.host_names = {"a", "b", "c"}};
	struct fx *f = fx_new(&o);
	struct vg_acl one = {.n = 1, .lines = &f->fa.lines[2]};
	struct vg_acl none = {.n = 0, .lines = f->fa.lines};
	uint8_t val;

	(void)state;
	/* Live device: refused, the old table stays. */
	assert_int_equal(vg_gpio_set_acl(f->g, &one), -EBUSY);
	assert_int_equal(cfg(f, 0, 2), NL);
	vg_vdev_set_status(f->vd, 0);
	assert_int_equal(vg_gpio_set_acl(f->g, &none), -EINVAL);
	assert_int_equal(cfg(f, 0, 2), NL);
	assert_int_equal(vg_gpio_set_acl(f->g, &one), 0);
	/* The driver probes again and sees one line, host line "c". */
	fx_probe(f, &plain);
	assert_int_equal(cfg(f, 0, 2), 1);
	assert_int_equal(cfg(f, 4, 4), 2);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 0, 0, &val),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 1, 0, &val),
			 VG_GPIO_STATUS_ERR);
	fx_free(f);
}

static void gpio_reset_hook_runs_after_reset(void **state)
{
	struct opts o = {.host_names = {"a", "b"}};
	struct vg_gpio_params p = {0};
	struct vg_inproc ip;
	struct vg_fakeacl fa;
	struct vg_acl one;
	struct vg_gpio *g;
	struct vg_vdev *vd;
	uint64_t n;

	(void)state;
	assert_int_equal(vg_inproc_init(&ip, RAM_BASE, 4096), 0);
	assert_int_equal(vg_fakeacl_init(&fa, 2, o.host_names), 0);
	one = (struct vg_acl){.n = 1, .lines = &fa.lines[1]};
	p.acl = &fa.acl;
	p.bus = ip.bus;
	p.reset_hook = swap_hook;
	p.reset_arg = &one;
	assert_int_equal(vg_gpio_new(&p, &g), 0);
	vd = vg_gpio_vdev(g);
	vg_vdev_set_status(vd, VG_STATUS_ACKNOWLEDGE);
	vg_vdev_config_read(vd, 0, 2, &n);
	assert_int_equal(n, 2);
	vg_vdev_set_status(vd, 0);
	vg_vdev_config_read(vd, 0, 2, &n);
	assert_int_equal(n, 1);
	vg_gpio_free(g);
	vg_fakeacl_dispose(&fa);
	vg_inproc_dispose(&ip);
}

static void gpio_features_offered_by_params(void **state)
{
	struct vg_fakeacl fa;
	struct vg_acl huge;
	struct vg_inproc ip;
	struct vg_gpio_params p = {.acl = &fa.acl};
	struct vg_gpio *g;
	uint64_t feat;

	(void)state;
	assert_int_equal(vg_inproc_init(&ip, RAM_BASE, 4096), 0);
	assert_int_equal(vg_fakeacl_init(&fa, 1, NULL), 0);
	p.bus = ip.bus;

	assert_int_equal(vg_gpio_new(&p, &g), 0);
	assert_int_equal(vg_gpio_vdev(g)->cls->device_id, 41);
	feat = vg_vdev_host_features(vg_gpio_vdev(g), 0) |
	       (uint64_t)vg_vdev_host_features(vg_gpio_vdev(g), 1) << 32;
	assert_int_equal(feat, VG_BIT(VG_F_VERSION_1) |
				       VG_BIT(VG_F_ACCESS_PLATFORM) |
				       VG_BIT(VG_GPIO_F_IRQ) |
				       VG_BIT(VG_F_RING_INDIRECT_DESC) |
				       VG_BIT(VG_F_RING_EVENT_IDX));
	vg_gpio_free(g);

	p.no_irq = p.no_indirect = p.no_event_idx = true;
	assert_int_equal(vg_gpio_new(&p, &g), 0);
	feat = vg_vdev_host_features(vg_gpio_vdev(g), 0) |
	       (uint64_t)vg_vdev_host_features(vg_gpio_vdev(g), 1) << 32;
	assert_int_equal(feat,
			 VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM));
	vg_gpio_free(g);

	/* More lines than ngpio can express. */
	huge = fa.acl;
	huge.n = 65536;
	p.acl = &huge;
	assert_int_equal(vg_gpio_new(&p, &g), -EINVAL);
	assert_null(g);
	/* No lines: Linux refuses ngpio 0, so there is no such device. */
	huge.n = 0;
	assert_int_equal(vg_gpio_new(&p, &g), -EINVAL);
	assert_null(g);

	vg_fakeacl_dispose(&fa);
	vg_inproc_dispose(&ip);
}

static void gpio_probe_all_features_accepted(void **state)
{
	struct opts o = {.indirect = true, .event_idx = true};
	struct fx *f = fx_new(&o);
	uint8_t v;

	(void)state;
	assert_true(vg_vdev_has_feature(f->vd, VG_F_RING_INDIRECT_DESC));
	assert_true(vg_vdev_has_feature(f->vd, VG_F_RING_EVENT_IDX));
	assert_int_equal(f->nq, 2);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 3, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 3,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 3, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	fx_free(f);
}

static void gpio_queues_one_without_irq(void **state)
{
	struct opts o = {.decline_irq = true};
	struct fx *f = fx_new(&o);

	(void)state;
	assert_false(vg_vdev_has_feature(f->vd, VG_GPIO_F_IRQ));
	assert_true(vg_vdev_queue_exists(f->vd, 0));
	assert_false(vg_vdev_queue_exists(f->vd, 1));
	/* Spec: SET_IRQ_TYPE only if F_IRQ was negotiated. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 0,
			     VG_GPIO_IRQ_TYPE_EDGE_RISING, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 0,
			     VG_GPIO_IRQ_TYPE_NONE, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(calls(f, VG_FAKE_SET_EDGE, 0), 0);
	fx_free(f);

	o.decline_irq = false;
	o.no_irq = true;
	f = fx_new(&o);
	assert_false(vg_vdev_host_features(f->vd, 0) & VG_BIT(VG_GPIO_F_IRQ));
	assert_int_equal(f->nq, 1);
	assert_false(vg_vdev_queue_exists(f->vd, 1));
	fx_free(f);
}

/* --- names ---------------------------------------------------------------- */

static void gpio_get_line_names_sanitised_unique(void **state)
{
	static const char want[] = "alpha\0dup\0\0tab_here_x\0Renamed LED\0"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0\0";
	struct opts o = {
		.host_names = {"alpha", "dup", "dup", "tab\there\x80x",
			       "ignored",
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		.acl_names = {[4] = "Renamed LED", [6] = "alpha"},
	};
	struct fx *f = fx_new(&o);
	uint32_t n = sizeof(want) - 1 + 1; /* + line 7's empty name */
	uint32_t rd = 8, wr = 1 + n, len;
	uint8_t *buf = malloc(wr);
	struct xfer *x;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(cfg(f, 4, 4), n);
	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	/* Linux checks used length == 1 + gpio_names_size exactly. */
	assert_int_equal(len, 1 + n);
	xfer_out(f, x, buf, wr);
	assert_int_equal(buf[0], VG_GPIO_STATUS_OK);
	assert_memory_equal(buf + 1, want, sizeof(want) - 1);
	assert_int_equal(buf[n], 0);
	free(buf);
	fx_free(f);
}

static void gpio_get_line_names_split_response(void **state)
{
	struct opts o = {.host_names = {"one", "two", "three"}};
	struct fx *f = fx_new(&o);
	static const char want[] = "\0one\0two\0three\0\0\0\0\0\0";
	uint32_t n = (uint32_t)cfg(f, 4, 4);
	uint32_t rd[] = {2, 6}, wr[] = {1, 4, n - 4}, len;
	uint8_t buf[64];
	struct xfer *x;

	(void)state;
	assert_int_equal(n, sizeof(want) - 2);
	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, rd, 2, wr, 3);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 1 + n);
	xfer_out(f, x, buf, 1 + n);
	assert_memory_equal(buf, want, 1 + n);
	fx_free(f);
}

static void gpio_get_line_names_short_buffer_err(void **state)
{
	struct opts o = {.host_names = {"one", "two"}};
	struct fx *f = fx_new(&o);
	uint32_t n = (uint32_t)cfg(f, 4, 4);
	uint32_t rd = 8, wr = n, len; /* one byte short */
	uint8_t buf[2];
	struct xfer *x;

	(void)state;
	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 2);
	xfer_out(f, x, buf, 2);
	assert_int_equal(buf[0], VG_GPIO_STATUS_ERR);
	assert_int_equal(buf[1], 0);
	fx_free(f);
}

/* The message's gpio and value fields are not used: not checked either. */
static void gpio_get_line_names_ignores_gpio_and_value(void **state)
{
	struct opts o = {.host_names = {"one"}};
	struct fx *f = fx_new(&o);
	uint32_t n = (uint32_t)cfg(f, 4, 4), rd = 8, wr = 1 + n, len;
	uint8_t buf[16];
	struct xfer *x;

	(void)state;
	assert_true(1 + n <= sizeof(buf));
	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0xffff, 0xffffffffu,
			   &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 1 + n);
	xfer_out(f, x, buf, 1 + n);
	assert_int_equal(buf[0], VG_GPIO_STATUS_OK);
	assert_memory_equal(buf + 1, "one", 4);
	fx_free(f);
}

static void gpio_names_size_zero_when_unnamed(void **state)
{
	struct fx *f = fx_new(&plain);

	(void)state;
	assert_int_equal(cfg(f, 4, 4), 0);
	/* "else it must be set to zero": no names message either. */
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, NULL),
			 VG_GPIO_STATUS_ERR);
	fx_free(f);
}

/* Linux probe: GET_NAMES, then GET_DIRECTION for every line. */
static void gpio_probe_sequence_like_linux(void **state)
{
	struct opts o = {.host_names = {"x"}, .safe = {[2] = VG_SAFE_HIGH}};
	struct fx *f = fx_new(&o);
	uint32_t n = (uint32_t)cfg(f, 4, 4);
	uint32_t rd = 8, wr = 1 + n, len;
	struct xfer *x;
	unsigned int i;
	uint8_t v;

	(void)state;
	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 1 + n);
	for (i = 0; i < NL; i++) {
		assert_int_equal(
			msg(f, VG_GPIO_MSG_GET_DIRECTION, (uint16_t)i, 0, &v),
			VG_GPIO_STATUS_OK);
		/* Guest-visible: not in use, even if parked as an output. */
		assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	}
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

/* --- requests ------------------------------------------------------------- */

static void gpio_set_direction_in_out_none(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_IN);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_IN);
	assert_int_equal(vg_gpio_line_direction(f->g, 1), VG_GPIO_DIRECTION_IN);

	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_OUT);

	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_NONE, NULL),
			 VG_GPIO_STATUS_OK);
	/* Back to the safe state (input by default). */
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_int_equal(c->a, VG_DIR_IN);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	fx_free(f);
}

static void gpio_set_direction_bad_value_err(void **state)
{
	struct fx *f = fx_new(&plain);

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0, 3, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0, 0x100, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_set_direction_provider_error_err(void **state)
{
	struct fx *f = fx_new(&plain);
	uint8_t v;

	(void)state;
	vg_fakeprov_fail_next(f->fa.fp, VG_FAKE_SET_DIRECTION, -EIO);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	vg_fakeprov_fail_next(f->fa.fp, VG_FAKE_SET_DIRECTION, -EIO);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	fx_free(f);
}

static void gpio_get_value_reads_line(void **state)
{
	struct fx *f = fx_new(&plain);
	uint8_t v = 0xff;

	(void)state;
	vg_fakeprov_set_input(f->fa.fp, 2, 1);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 2, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	vg_fakeprov_set_input(f->fa.fp, 2, 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 2, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 0);
	vg_fakeprov_fail_next(f->fa.fp, VG_FAKE_GET_VALUE, -EIO);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 2, 0, &v),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(v, 0);
	fx_free(f);
}

/* direction_output(v): SET_VALUE then SET_DIRECTION(OUT), no glitch. */
static void gpio_set_value_cached_until_output(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 4, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 4,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(f->fa.fp->ncalls, 1);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 4);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	assert_int_equal(calls(f, VG_FAKE_SET_VALUE, 4), 0);
	assert_int_equal(f->fa.fp->lines[4].out, 1);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 4, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);

	/* Also from IN: the value waits for the switch. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 5,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 5, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(calls(f, VG_FAKE_SET_VALUE, 5), 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 5,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 5);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	fx_free(f);
}

/*
 * gpiolib's open-drain emulation toggles OUT(0) and IN; a switch to
 * output without a SET_VALUE before it drives the last value the guest
 * set, not 0 and not the level the input saw.
 */
static void gpio_set_direction_out_reuses_last_value(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 6, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 6,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 6,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	vg_fakeprov_set_input(f->fa.fp, 6, 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 6,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 6);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	fx_free(f);
}

static void gpio_set_value_on_output_drives(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 6,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 6, 1, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_VALUE, 6);
	assert_non_null(c);
	assert_int_equal(c->a, 1);
	assert_int_equal(f->fa.fp->lines[6].out, 1);
	vg_fakeprov_fail_next(f->fa.fp, VG_FAKE_SET_VALUE, -EIO);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 6, 0, NULL),
			 VG_GPIO_STATUS_ERR);
	fx_free(f);
}

static void gpio_set_value_not_0_or_1_err(void **state)
{
	struct fx *f = fx_new(&plain);

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 6,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	vg_fakeprov_clear_log(f->fa.fp);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 6, 2, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 6, 0x80000001u, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_set_direction_out_with_irq_err(void **state)
{
	struct fx *f = fx_new(&plain);
	uint8_t v;

	(void)state;
	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_IN);
	fx_free(f);
}

static void gpio_set_direction_none_discards_state(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	struct xfer *x;
	uint8_t v;

	(void)state;
	/* Line 0: cached value, IRQ enabled, buffer held. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 0, 1, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
	x = irq_post(f, 0);
	assert_null(irq_get(f));
	vg_fakeprov_clear_log(f->fa.fp);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_NONE, NULL),
			 VG_GPIO_STATUS_OK);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 0);
	assert_non_null(c);
	assert_int_equal(c->a, VG_EDGE_NONE);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 0);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_IN);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	/* Events no longer reach the guest. */
	x = irq_post(f, 0);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	/* The cached value is forgotten: the switch drives 0. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 0);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 0);

	/* Line 1: a latched edge does not survive DIRECTION_NONE. */
	set_irq(f, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	edge(f, 1, VG_EDGE_RISING);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_NONE, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	edge(f, 1, VG_EDGE_FALLING);
	edge(f, 1, VG_EDGE_RISING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	fx_free(f);
}

static void gpio_unknown_type_err(void **state)
{
	static const uint16_t types[] = {0, 7, 0x100, 0xffff};
	struct fx *f = fx_new(&plain);
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(types); i++)
		assert_int_equal(msg(f, types[i], 0, 0, NULL),
				 VG_GPIO_STATUS_ERR);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_int_equal(stats(f).errors, VG_ARRAY_SIZE(types));
	fx_free(f);
}

/* --- ACL -------------------------------------------------------------- */

static void gpio_acl_index_out_of_range_err(void **state)
{
	static const uint16_t types[] = {
		VG_GPIO_MSG_GET_DIRECTION, VG_GPIO_MSG_SET_DIRECTION,
		VG_GPIO_MSG_GET_VALUE, VG_GPIO_MSG_SET_VALUE,
		VG_GPIO_MSG_SET_IRQ_TYPE};
	struct fx *f = fx_new(&plain);
	struct xfer *x;
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(types); i++) {
		assert_int_equal(msg(f, types[i], NL, 1, NULL),
				 VG_GPIO_STATUS_ERR);
		assert_int_equal(msg(f, types[i], 0xffff, 1, NULL),
				 VG_GPIO_STATUS_ERR);
	}
	x = irq_post(f, NL);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_acl_op_not_allowed_err(void **state)
{
	struct opts o = {.allow = {VG_ALLOW_IN, VG_ALLOW_OUT,
				   VG_ALLOW_IN | VG_ALLOW_OUT, VG_ALLOW_IRQ}};
	struct fx *f = fx_new(&o);
	struct xfer *x;
	uint8_t v;

	(void)state;
	/* 0: input only. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 0, 1, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 0,
			     VG_GPIO_IRQ_TYPE_EDGE_RISING, NULL),
			 VG_GPIO_STATUS_ERR);
	x = irq_post(f, 0);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	/* 1: output only. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(calls(f, VG_FAKE_SET_DIRECTION, 1), 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	/* Reading and releasing are always allowed. */
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_NONE, NULL),
			 VG_GPIO_STATUS_OK);
	/* 2: no interrupts. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 2,
			     VG_GPIO_IRQ_TYPE_LEVEL_HIGH, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(calls(f, VG_FAKE_SET_EDGE, 2), 0);
	/* 3: interrupts only, which implies input. */
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 3,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_ERR);
	set_irq(f, 3, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 3, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_IN);
	fx_free(f);
}

static void gpio_acl_revoked_err(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x;
	uint8_t v;

	(void)state;
	f->fa.lines[5].revoked = true;
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 5, 0, &v),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 5, 0, &v),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 5,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_ERR);
	x = irq_post(f, 5);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_line_revoked_returns_buffer_safe_state(void **state)
{
	struct opts o = {.safe = {[3] = VG_SAFE_HIGH}};
	struct fx *f = fx_new(&o);
	const struct vg_fake_call *c;
	struct xfer *x;

	(void)state;
	set_irq(f, 3, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 3);
	assert_null(irq_get(f));
	vg_fakeprov_clear_log(f->fa.fp);
	vg_fakeacl_revoke(&f->fa, 3);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 3);
	assert_non_null(c);
	assert_int_equal(c->a, VG_EDGE_NONE);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 3);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	assert_int_equal(vg_gpio_line_direction(f->g, 3),
			 VG_GPIO_DIRECTION_NONE);
	/* Never touched again, not even by a reset. */
	vg_fakeprov_clear_log(f->fa.fp);
	vg_vdev_set_status(f->vd, 0);
	assert_int_equal(calls(f, VG_FAKE_SET_DIRECTION, 3), 0);
	fx_free(f);
}

/* --- interrupts --------------------------------------------------------- */

static void gpio_irq_none_to_none_ok(void **state)
{
	struct fx *f = fx_new(&plain);

	(void)state;
	/* A DT consumer's irq mapping sends NONE on a disabled line. */
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_NONE);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_NONE);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_int_equal(vg_gpio_line_direction(f->g, 2),
			 VG_GPIO_DIRECTION_NONE);
	fx_free(f);
}

static void gpio_irq_same_type_keeps_latch(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x;

	(void)state;
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	edge(f, 2, VG_EDGE_RISING);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	assert_int_equal(calls(f, VG_FAKE_SET_EDGE, 2), 1);
	x = irq_post(f, 2);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	fx_free(f);
}

static void gpio_irq_type_change_reconfigures(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	struct xfer *x;

	(void)state;
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	edge(f, 2, VG_EDGE_RISING);
	/* X -> Y without NONE in between (Linux irq_set_irq_type). */
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 2);
	assert_int_equal(c->a, VG_EDGE_FALLING);
	/* The old type's latch is gone. */
	x = irq_post(f, 2);
	assert_null(irq_get(f));
	edge(f, 2, VG_EDGE_RISING);
	assert_null(irq_get(f));
	edge(f, 2, VG_EDGE_FALLING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);

	/* To a level type with a buffer held and the level active. */
	x = irq_post(f, 2);
	assert_null(irq_get(f));
	vg_fakeprov_set_input(f->fa.fp, 2, 1);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 2);
	assert_int_equal(c->a, VG_EDGE_BOTH);
	fx_free(f);
}

static void gpio_irq_provider_error_err(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x;

	(void)state;
	vg_fakeprov_fail_next(f->fa.fp, VG_FAKE_SET_EDGE, -EIO);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 1,
			     VG_GPIO_IRQ_TYPE_EDGE_RISING, NULL),
			 VG_GPIO_STATUS_ERR);
	/* Not enabled: a buffer goes straight back. */
	x = irq_post(f, 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	fx_free(f);
}

/* An edge type: latched while masked (coalesced), other edges ignored. */
static void check_edge_type(uint32_t type, unsigned int match,
			    unsigned int other)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	struct xfer *x;

	set_irq(f, 1, type);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 1);
	assert_non_null(c);
	assert_int_equal((unsigned int)c->a, match | other);

	/* Masked: latched, once for two edges. */
	edge(f, 1, match == VG_EDGE_RISING ? VG_EDGE_FALLING : VG_EDGE_RISING);
	edge(f, 1, match);
	edge(f, 1, match == VG_EDGE_RISING ? VG_EDGE_FALLING : VG_EDGE_RISING);
	edge(f, 1, match);
	x = irq_post(f, 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	if (!other) {
		/* A non-matching edge does nothing. */
		edge(f, 1,
		     match == VG_EDGE_RISING ? VG_EDGE_FALLING
					     : VG_EDGE_RISING);
		assert_null(irq_get(f));
	}
	/* Unmasked: delivered at once, with an interrupt. */
	{
		unsigned long ints = f->vring_ints;

		edge(f, 1, match);
		expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
		assert_true(f->vring_ints > ints);
	}
	assert_int_equal(stats(f).events, 2);
	fx_free(f);
}

static void gpio_irq_edge_rising(void **state)
{
	(void)state;
	check_edge_type(VG_GPIO_IRQ_TYPE_EDGE_RISING, VG_EDGE_RISING, 0);
}

static void gpio_irq_edge_falling(void **state)
{
	(void)state;
	check_edge_type(VG_GPIO_IRQ_TYPE_EDGE_FALLING, VG_EDGE_FALLING, 0);
}

static void gpio_irq_edge_both(void **state)
{
	(void)state;
	check_edge_type(VG_GPIO_IRQ_TYPE_EDGE_BOTH, VG_EDGE_RISING,
			VG_EDGE_FALLING);
}

/* A level type: never latched, re-fires on unmask while active. */
static void check_level_type(uint32_t type, int active)
{
	unsigned int into = active ? VG_EDGE_RISING : VG_EDGE_FALLING;
	unsigned int out = active ? VG_EDGE_FALLING : VG_EDGE_RISING;
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	struct xfer *x;

	vg_fakeprov_set_input(f->fa.fp, 1, !active);
	set_irq(f, 1, type);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 1);
	assert_int_equal(c->a, VG_EDGE_BOTH);

	/* Active then inactive while masked: nothing is latched. */
	edge(f, 1, into);
	edge(f, 1, out);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	/* Unmasked: the edge into the active level fires. */
	edge(f, 1, into);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	/* Still active when unmasked again: fires again at once. */
	x = irq_post(f, 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	/* Inactive: held; leaving the level does not fire. */
	edge(f, 1, out);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	edge(f, 1, into);
	edge(f, 1, out);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	assert_null(irq_get(f));
	assert_int_equal(stats(f).events, 3);
	fx_free(f);
}

static void gpio_irq_level_high(void **state)
{
	(void)state;
	check_level_type(VG_GPIO_IRQ_TYPE_LEVEL_HIGH, 1);
}

static void gpio_irq_level_low(void **state)
{
	(void)state;
	check_level_type(VG_GPIO_IRQ_TYPE_LEVEL_LOW, 0);
}

static void gpio_irq_none_returns_held_invalid(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	struct xfer *x, *r;
	uint32_t len;

	(void)state;
	set_irq(f, 6, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
	x = irq_post(f, 6);
	assert_null(irq_get(f));
	/* Returned while the NONE request is processed, not later. */
	r = msg_post(f, VG_GPIO_MSG_SET_IRQ_TYPE, 6, VG_GPIO_IRQ_TYPE_NONE);
	assert_int_equal(vg_gpio_run(f->g, 1), 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(msg_wait(f, r, NULL), VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 6);
	assert_int_equal(c->a, VG_EDGE_NONE);
	assert_int_equal(stats(f).invalid, 1);

	/* The latch is discarded too. */
	set_irq(f, 6, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	edge(f, 6, VG_EDGE_RISING);
	set_irq(f, 6, VG_GPIO_IRQ_TYPE_NONE);
	set_irq(f, 6, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 6);
	assert_null(fx_get(f, 1, &len));
	fx_free(f);
}

static void gpio_irq_enable_on_none_line_makes_input(void **state)
{
	struct fx *f = fx_new(&plain);
	uint8_t v;

	(void)state;
	set_irq(f, 7, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	assert_int_equal(f->fa.fp->ncalls, 2);
	assert_int_equal(f->fa.fp->calls[0].op, VG_FAKE_SET_DIRECTION);
	assert_int_equal(f->fa.fp->calls[0].a, VG_DIR_IN);
	assert_int_equal(f->fa.fp->calls[1].op, VG_FAKE_SET_EDGE);
	assert_int_equal(f->fa.fp->calls[1].a, VG_EDGE_FALLING);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 7, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_IN);
	fx_free(f);
}

static void gpio_irq_enable_on_output_err(void **state)
{
	struct fx *f = fx_new(&plain);

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 7,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 7,
			     VG_GPIO_IRQ_TYPE_EDGE_RISING, NULL),
			 VG_GPIO_STATUS_ERR);
	assert_int_equal(calls(f, VG_FAKE_SET_EDGE, 7), 0);
	fx_free(f);
}

static void gpio_irq_invalid_type_err(void **state)
{
	static const uint32_t bad[] = {5, 6, 7, 9, 0x10, 0xc, 0xffffffffu};
	struct fx *f = fx_new(&plain);
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++)
		assert_int_equal(
			msg(f, VG_GPIO_MSG_SET_IRQ_TYPE, 0, bad[i], NULL),
			VG_GPIO_STATUS_ERR);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_eventq_not_enabled_invalid(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x;

	(void)state;
	x = irq_post(f, 0);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	/* Enabling later does not bring it back. */
	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	edge(f, 0, VG_EDGE_RISING);
	assert_null(irq_get(f));
	assert_int_equal(stats(f).invalid, 1);
	fx_free(f);
}

static void gpio_eventq_duplicate_invalid(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *a, *b;

	(void)state;
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	a = irq_post(f, 4);
	assert_null(irq_get(f));
	b = irq_post(f, 4);
	expect_irq(f, b, VG_GPIO_IRQ_STATUS_INVALID);
	/* The first one is still the one that fires. */
	edge(f, 4, VG_EDGE_RISING);
	expect_irq(f, a, VG_GPIO_IRQ_STATUS_VALID);
	fx_free(f);
}

static void gpio_eventq_short_buffer_invalid(void **state)
{
	struct fx *f = fx_new(&plain);
	static const uint32_t rd1 = 1, wr1 = 1, rd3 = 3, wr3 = 3;
	uint8_t req[3] = {4, 0, 0};
	struct xfer *x;
	uint32_t len;

	(void)state;
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = xfer_new(f, req, &rd1, 1, &wr1, 1);
	fx_post(f, 1, x);
	vg_gpio_run(f->g, 64);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	/* Longer than needed is fine; the used length stays 1. */
	x = xfer_new(f, req, &rd3, 1, &wr3, 1);
	fx_post(f, 1, x);
	vg_gpio_run(f->g, 64);
	assert_null(fx_get(f, 1, &len));
	edge(f, 4, VG_EDGE_RISING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	assert_int_equal(gptr(f, x->wr[0])[1], 0xaa);
	fx_free(f);
}

static void gpio_eventq_no_status_byte_needs_reset(void **state)
{
	struct fx *f = fx_new(&plain);
	static const uint32_t rd = 2;
	uint8_t req[2] = {0, 0};
	struct xfer *x;

	(void)state;
	x = xfer_new(f, req, &rd, 1, NULL, 0);
	fx_post(f, 1, x);
	vg_gpio_run(f->g, 64);
	assert_true(f->vd->broken);
	assert_true(f->vd->status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(stats(f).broken, 1);
	fx_free(f);
}

/* --- Linux message sequences (docs/protocol.md, "What Linux sends") ------- */

/*
 * The eventq buffer @x came back with @status, and the driver was told
 * through a VRING interrupt (vring_interrupt() runs the eventq callback).
 */
static void expect_irq_interrupt(struct fx *f, const struct xfer *x,
				 uint8_t status, unsigned long *ints)
{
	assert_true(f->vring_ints > *ints);
	*ints = f->vring_ints;
	expect_irq(f, x, status);
}

/*
 * gpiomon on a guest line (cdev line request with both edges): request
 * (GET_DIRECTION), input, then one bus-lock section with SET_IRQ_TYPE and
 * the eventq buffer; each VALID is followed by GET_VALUE (the cdev reads
 * the level to classify the edge) and the requeue; release sends
 * SET_IRQ_TYPE(NONE), which returns the held buffer INVALID at once, and
 * gc->free's SET_DIRECTION(NONE).
 */
static void gpio_linux_gpiomon_sequence_served(void **state)
{
	struct fx *f = fx_new(&plain);
	const struct vg_fake_call *c;
	unsigned long ints = f->vring_ints;
	struct xfer *x, *r;
	uint32_t len;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 1, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	ints = f->vring_ints;

	edge(f, 1, VG_EDGE_RISING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	x = irq_post(f, 1);
	assert_null(irq_get(f));
	ints = f->vring_ints;

	edge(f, 1, VG_EDGE_FALLING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 1, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 0);
	x = irq_post(f, 1);
	ints = f->vring_ints;

	/* Release: the NONE request alone brings the buffer back. */
	r = msg_post(f, VG_GPIO_MSG_SET_IRQ_TYPE, 1, VG_GPIO_IRQ_TYPE_NONE);
	assert_int_equal(vg_gpio_run(f->g, 1), 1);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_INVALID, &ints);
	assert_int_equal(msg_wait(f, r, NULL), VG_GPIO_STATUS_OK);
	vg_fakeprov_clear_log(f->fa.fp);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_NONE, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_IN); /* the safe state */
	assert_int_equal(f->fa.fp->lines[1].edges, VG_EDGE_NONE);
	edge(f, 1, VG_EDGE_RISING);
	assert_null(fx_get(f, 1, &len));
	assert_int_equal(stats(f).events, 2);
	assert_int_equal(stats(f).invalid, 1);
	fx_free(f);
}

/*
 * A device-tree interrupt consumer (interrupts-extended = <&vgpio 3 2>):
 * the mapping sends SET_IRQ_TYPE(NONE) on a line that is already NONE,
 * request_irq() sends SET_IRQ_TYPE(type) and the buffer without any
 * SET_DIRECTION, free_irq() sends only SET_IRQ_TYPE(NONE).
 */
static void gpio_linux_dt_consumer_sequence_served(void **state)
{
	struct fx *f = fx_new(&plain);
	unsigned long ints;
	struct xfer *x;
	uint32_t len;
	uint8_t v;

	(void)state;
	set_irq(f, 3, VG_GPIO_IRQ_TYPE_NONE);
	assert_int_equal(f->fa.fp->ncalls, 0);

	set_irq(f, 3, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	assert_int_equal(f->fa.fp->lines[3].dir, VG_DIR_IN);
	assert_int_equal(f->fa.fp->lines[3].edges, VG_EDGE_FALLING);
	x = irq_post(f, 3);
	assert_null(irq_get(f));
	ints = f->vring_ints;
	edge(f, 3, VG_EDGE_RISING);
	assert_null(irq_get(f));
	edge(f, 3, VG_EDGE_FALLING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	x = irq_post(f, 3);

	/* free_irq(): the buffer comes back, the line stays an input. */
	vg_fakeprov_clear_log(f->fa.fp);
	set_irq(f, 3, VG_GPIO_IRQ_TYPE_NONE);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_INVALID, &ints);
	assert_int_equal(f->fa.fp->lines[3].edges, VG_EDGE_NONE);
	assert_int_equal(calls(f, VG_FAKE_SET_DIRECTION, 3), 0);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_DIRECTION, 3, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_IN);
	edge(f, 3, VG_EDGE_RISING);
	edge(f, 3, VG_EDGE_FALLING);
	assert_null(fx_get(f, 1, &len));

	/* request_irq() again: no stale latch, works as before. */
	set_irq(f, 3, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	x = irq_post(f, 3);
	assert_null(irq_get(f));
	edge(f, 3, VG_EDGE_RISING);
	edge(f, 3, VG_EDGE_FALLING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	fx_free(f);
}

/*
 * irq_enable() marks an update even when nothing changed, and
 * irq_set_irq_type() with the current type sends it too: SET_IRQ_TYPE(X)
 * arrives while X is enabled and the buffer is held. Nothing may change:
 * the buffer stays held, no provider call. Then disable_irq()/enable_irq()
 * (virtio-gpio has irq_disable, so it is not lazy): NONE returns the
 * buffer INVALID and drops what happened meanwhile; X plus a new buffer.
 */
static void gpio_linux_same_type_twice_keeps_buffer(void **state)
{
	struct fx *f = fx_new(&plain);
	unsigned long ints;
	struct xfer *x;
	uint32_t len;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 2,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 2);
	vg_fakeprov_clear_log(f->fa.fp);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	assert_null(fx_get(f, 1, &len));
	assert_int_equal(f->fa.fp->ncalls, 0);
	ints = f->vring_ints;
	edge(f, 2, VG_EDGE_RISING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	x = irq_post(f, 2);

	/* disable_irq() */
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_NONE);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_INVALID, &ints);
	edge(f, 2, VG_EDGE_FALLING);
	edge(f, 2, VG_EDGE_RISING);
	/* enable_irq() */
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 2);
	assert_null(irq_get(f));
	edge(f, 2, VG_EDGE_FALLING);
	edge(f, 2, VG_EDGE_RISING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	fx_free(f);
}

/*
 * irq_set_irq_type(Y) on an enabled line sends SET_IRQ_TYPE(Y) with no
 * NONE first and no new buffer (only irq_enable() queues one): the held
 * buffer must serve the new type.
 */
static void gpio_linux_type_change_without_none_keeps_buffer(void **state)
{
	struct fx *f = fx_new(&plain);
	unsigned long ints;
	struct xfer *x;
	uint32_t len;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 5,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 5, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 5);
	set_irq(f, 5, VG_GPIO_IRQ_TYPE_EDGE_FALLING);
	assert_null(fx_get(f, 1, &len));
	assert_int_equal(f->fa.fp->lines[5].edges, VG_EDGE_FALLING);
	ints = f->vring_ints;
	edge(f, 5, VG_EDGE_RISING);
	assert_null(irq_get(f));
	edge(f, 5, VG_EDGE_FALLING);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);

	/* To a level type while held: the level decides at once. */
	x = irq_post(f, 5);
	set_irq(f, 5, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	assert_null(irq_get(f));
	set_irq(f, 5, VG_GPIO_IRQ_TYPE_LEVEL_LOW);
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	fx_free(f);
}

/*
 * handle_level_irq with a level-high source that the guest's handler
 * acknowledges (the device behind the line lets it go low) before the
 * unmask requeues the buffer: exactly one event per assertion.
 */
static void gpio_level_acked_at_source_fires_once(void **state)
{
	struct fx *f = fx_new(&plain);
	unsigned long ints;
	struct xfer *x;
	unsigned int i;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 4,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	x = irq_post(f, 4);
	ints = f->vring_ints;
	for (i = 0; i < 3; i++) {
		assert_null(irq_get(f));
		edge(f, 4, VG_EDGE_RISING);
		expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
		assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 4, 0, &v),
				 VG_GPIO_STATUS_OK);
		assert_int_equal(v, 1);
		edge(f, 4, VG_EDGE_FALLING); /* acknowledged at the source */
		x = irq_post(f, 4);
	}
	assert_null(irq_get(f));
	assert_int_equal(stats(f).events, 3);
	fx_free(f);
}

/* ... and one that is not acknowledged: every unmask fires again. */
static void gpio_level_not_acked_refires(void **state)
{
	struct fx *f = fx_new(&plain);
	unsigned long ints;
	struct xfer *x;
	unsigned int i;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 4,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	x = irq_post(f, 4);
	ints = f->vring_ints;
	edge(f, 4, VG_EDGE_RISING);
	for (i = 0; i < 3; i++) {
		expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
		x = irq_post(f, 4);
	}
	expect_irq_interrupt(f, x, VG_GPIO_IRQ_STATUS_VALID, &ints);
	assert_int_equal(stats(f).events, 4);
	fx_free(f);
}

/*
 * The edges of a level line reach the device late (the provider's queue
 * is drained after the guest's buffers): the rising edge that made the
 * line active is still queued when the guest, having handled the VALID
 * the device sent on its own level read, acknowledges and unmasks. That
 * stale edge must not fire a second time.
 */
static void gpio_level_stale_edge_after_ack_ignored(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x;
	uint32_t len;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 4,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_LEVEL_HIGH);
	vg_fakeprov_inject_edge(f->fa.fp, 4,
				VG_EDGE_RISING); /* not dispatched */
	x = irq_post(f, 4);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	vg_fakeprov_inject_edge(f->fa.fp, 4,
				VG_EDGE_FALLING); /* acknowledged */
	x = irq_post(f, 4);
	assert_null(irq_get(f));
	vg_fakeprov_dispatch(f->fa.fp);
	assert_null(fx_get(f, 1, &len));
	/* The next real assertion still fires. */
	edge(f, 4, VG_EDGE_RISING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	fx_free(f);
}

/*
 * What vm_interrupt() relies on, through the real register file: each
 * completion, on either queue, sets InterruptStatus.VRING and raises the
 * line; InterruptACK lowers it; used lengths are exact (2, 1 + names, 1).
 */
static void gpio_isr_vring_bit_for_each_queue(void **state)
{
	struct opts o = {.host_names = {"a"}};
	struct fx *f = fx_new(&o);
	uint32_t n = (uint32_t)cfg(f, 4, 4), rd = 8, wr = 1 + n, len;
	struct vg_mmio m;
	struct xfer *x, *r;

	(void)state;
	vg_mmio_init(&m, f->vd, NULL);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4), 0);

	x = msg_post_split(f, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4),
			 VG_INT_VRING);
	assert_int_equal(f->ip.irq_level, 1);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 1 + n);
	vg_mmio_write(&m, VG_MMIO_INTERRUPT_ACK, 4, VG_INT_VRING);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4), 0);
	assert_int_equal(f->ip.irq_level, 0);

	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING); /* len 2 checked */
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4),
			 VG_INT_VRING);
	vg_mmio_write(&m, VG_MMIO_INTERRUPT_ACK, 4, VG_INT_VRING);
	x = irq_post(f, 0);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4), 0);
	edge(f, 0, VG_EDGE_RISING);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4),
			 VG_INT_VRING);
	assert_int_equal(f->ip.irq_level, 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID); /* len 1 checked */
	vg_mmio_write(&m, VG_MMIO_INTERRUPT_ACK, 4, VG_INT_VRING);

	/* NONE: both queues complete in one run, one interrupt. */
	x = irq_post(f, 0);
	r = msg_post(f, VG_GPIO_MSG_SET_IRQ_TYPE, 0, VG_GPIO_IRQ_TYPE_NONE);
	vg_gpio_run(f->g, 64);
	assert_int_equal(vg_mmio_read(&m, VG_MMIO_INTERRUPT_STATUS, 4),
			 VG_INT_VRING);
	assert_int_equal(f->ip.irq_level, 1);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(msg_wait(f, r, NULL), VG_GPIO_STATUS_OK);
	vg_mmio_write(&m, VG_MMIO_INTERRUPT_ACK, 4, VG_INT_VRING);
	assert_int_equal(f->ip.irq_level, 0);
	assert_false(f->vd->broken);
	fx_free(f);
}

/* --- layouts ---------------------------------------------------------- */

static void check_split_layout(bool indirect)
{
	struct opts o = {.indirect = indirect};
	struct fx *f = fx_new(&o);
	uint32_t rd[] = {3, 1, 4}, wr[] = {1, 1},
		 rd2[] = {1, 1, 1, 1, 1, 1, 1, 1};
	uint8_t v;
	struct xfer *x;

	assert_int_equal(vg_vdev_has_feature(f->vd, VG_F_RING_INDIRECT_DESC),
			 indirect);
	x = msg_post_split(f, VG_GPIO_MSG_SET_VALUE, 3, 1, rd, 3, wr, 2);
	vg_gpio_run(f->g, 64);
	assert_int_equal(msg_wait(f, x, NULL), VG_GPIO_STATUS_OK);
	x = msg_post_split(f, VG_GPIO_MSG_SET_DIRECTION, 3,
			   VG_GPIO_DIRECTION_OUT, rd2, 8, wr, 2);
	vg_gpio_run(f->g, 64);
	assert_int_equal(msg_wait(f, x, NULL), VG_GPIO_STATUS_OK);
	x = msg_post_split(f, VG_GPIO_MSG_GET_VALUE, 3, 0, rd, 3, wr, 2);
	vg_gpio_run(f->g, 64);
	assert_int_equal(msg_wait(f, x, &v), VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	assert_int_equal(f->fa.fp->lines[3].out, 1);
	fx_free(f);
}

static void gpio_request_split_descriptors(void **state)
{
	(void)state;
	check_split_layout(false);
}

static void gpio_request_indirect_split(void **state)
{
	(void)state;
	check_split_layout(true);
}

static void gpio_request_through_grants(void **state)
{
	struct opts o = {.grants = true, .indirect = true};
	struct fx *f = fx_new(&o);
	struct xfer *x;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 2, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 2,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 2, 0, &v),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	set_irq(f, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 1);
	edge(f, 1, VG_EDGE_RISING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	assert_false(f->vd->broken);
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	fx_free(f);
}

static void gpio_request_short_err(void **state)
{
	struct fx *f = fx_new(&plain);
	uint32_t rd = 5, wr = 2;
	uint8_t v;
	struct xfer *x;

	(void)state;
	x = msg_post_split(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			   VG_GPIO_DIRECTION_OUT, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_int_equal(msg_wait(f, x, &v), VG_GPIO_STATUS_ERR);
	assert_int_equal(v, 0); /* both bytes written */
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_false(f->vd->broken);
	fx_free(f);
}

static void gpio_request_one_byte_response_err(void **state)
{
	struct fx *f = fx_new(&plain);
	uint32_t rd = 8, wr = 1, len;
	struct xfer *x;

	(void)state;
	x = msg_post_split(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			   VG_GPIO_DIRECTION_OUT, &rd, 1, &wr, 1);
	vg_gpio_run(f->g, 64);
	assert_ptr_equal(fx_get(f, 0, &len), x);
	assert_int_equal(len, 1);
	assert_int_equal(gptr(f, x->wr[0])[0], VG_GPIO_STATUS_ERR);
	assert_int_equal(f->fa.fp->ncalls, 0);
	fx_free(f);
}

static void gpio_request_no_writable_needs_reset(void **state)
{
	struct fx *f = fx_new(&plain);
	uint32_t rd = 5;
	uint8_t v;

	(void)state;
	msg_post_split(f, VG_GPIO_MSG_GET_VALUE, 0, 0, &rd, 1, NULL, 0);
	vg_gpio_run(f->g, 64);
	assert_true(f->vd->broken);
	assert_true(f->vd->status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(stats(f).broken, 1);
	/* A broken device does nothing until reset. */
	msg_post(f, VG_GPIO_MSG_GET_VALUE, 0, 0);
	assert_false(vg_gpio_pending(f->g));
	assert_int_equal(vg_gpio_run(f->g, 64), 0);
	assert_int_equal(f->fa.fp->ncalls, 0);
	/* After a reset it works again. */
	f->nxf = 0;
	fx_probe(f, &plain);
	assert_false(f->vd->broken);
	assert_int_equal(msg(f, VG_GPIO_MSG_GET_VALUE, 0, 0, &v),
			 VG_GPIO_STATUS_OK);
	fx_free(f);
}

static void gpio_ring_violation_needs_reset(void **state)
{
	struct fx *f = fx_new(&plain);
	uint16_t *idx = (uint16_t *)gptr(f, f->rq.avail + VG_VRING_AVAIL_IDX);

	(void)state;
	/* avail->idx runs more than a queue size ahead (validation.md V10). */
	*idx = (uint16_t)(f->rq.avail_idx + QSIZE + 1);
	vg_vdev_queue_notify(f->vd, 0);
	assert_int_equal(vg_gpio_run(f->g, 64), 0);
	assert_true(f->vd->broken);
	assert_true(f->vd->status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_true(f->config_ints > 0);
	assert_int_equal(stats(f).broken, 1);
	fx_free(f);
}

/* --- validate, then act ----------------------------------------------- */

/* A guest address no RAM backs. */
#define PAST_RAM (RAM_BASE + RAM_SIZE + 0x1000u)

/*
 * Line 3 has a value cached for output (SET_VALUE 1 while an input); the
 * next message would make it an output driving 1.
 */
static struct fx *fx_new_out_pending(const struct opts *o)
{
	struct fx *f = fx_new(o);

	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 3, 1, NULL),
			 VG_GPIO_STATUS_OK);
	vg_fakeprov_clear_log(f->fa.fp);
	return f;
}

/*
 * The device refused the chain before it acted: NEEDS_RESET, no provider
 * call, line 3 still the input it was, nothing returned to the driver.
 */
static void expect_refused_line_untouched(struct fx *f, unsigned int q)
{
	uint32_t len;

	assert_true(f->vd->broken);
	assert_true(f->vd->status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(stats(f).broken, 1);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_int_equal(f->fa.fp->lines[3].dir, VG_DIR_IN);
	assert_int_equal(f->fa.fp->lines[3].out, 0);
	assert_int_equal(vg_gpio_line_direction(f->g, 3),
			 VG_GPIO_DIRECTION_NONE);
	assert_null(fx_get(f, q, &len));
	assert_int_equal(f->ip.maps, f->ip.unmaps);
}

/* SET_DIRECTION(OUT) whose buffer @k moves to device address @addr. */
static struct xfer *post_out_moved(struct fx *f, const uint32_t *wsplit,
				   unsigned int nwr, unsigned int k,
				   uint64_t addr)
{
	static const uint32_t rd = 8;
	struct vg_gpio_request r = {vg_le16_put(VG_GPIO_MSG_SET_DIRECTION),
				    vg_le16_put(3),
				    vg_le32_put(VG_GPIO_DIRECTION_OUT)};
	struct xfer *x = xfer_new(f, &r, &rd, 1, wsplit, nwr);

	fx_post_moved(f, 0, x, k, addr);
	vg_gpio_run(f->g, 64);
	return x;
}

static void gpio_request_readonly_response_needs_reset(void **state)
{
	struct opts o = {.grants = true};
	struct fx *f = fx_new_out_pending(&o);
	static const uint32_t wr = 2;
	uint64_t rsp = galloc(f, 2);

	(void)state;
	/* The response buffer handed out through a read-only grant. */
	post_out_moved(f, &wr, 1, 1, vg_drv_dma(&f->mem, rsp, true));
	expect_refused_line_untouched(f, 0);
	assert_int_equal(gptr(f, rsp)[0], 0);
	fx_free(f);
}

static void gpio_request_response_past_ram_needs_reset(void **state)
{
	struct fx *f = fx_new_out_pending(&plain);
	static const uint32_t wr = 2;

	(void)state;
	post_out_moved(f, &wr, 1, 1, PAST_RAM);
	expect_refused_line_untouched(f, 0);
	fx_free(f);
}

static void gpio_request_header_past_ram_needs_reset(void **state)
{
	struct fx *f = fx_new_out_pending(&plain);
	static const uint32_t wr = 2;
	struct xfer *x;

	(void)state;
	x = post_out_moved(f, &wr, 1, 0, PAST_RAM);
	expect_refused_line_untouched(f, 0);
	/* Not a byte of the response was written either. */
	assert_int_equal(gptr(f, x->wr[0])[0], 0xaa);
	fx_free(f);
}

/* Status in good memory, value byte past RAM: nothing at all happens. */
static void gpio_request_split_response_bad_piece_needs_reset(void **state)
{
	struct fx *f = fx_new_out_pending(&plain);
	static const uint32_t wr[2] = {1, 1};
	struct xfer *x;

	(void)state;
	x = post_out_moved(f, wr, 2, 2, PAST_RAM);
	expect_refused_line_untouched(f, 0);
	assert_int_equal(gptr(f, x->wr[0])[0], 0xaa);
	fx_free(f);
}

/* An eventq status byte the device cannot write unmasks nothing. */
static void gpio_eventq_readonly_status_needs_reset(void **state)
{
	struct opts o = {.grants = true};
	struct fx *f = fx_new(&o);
	static const uint32_t rd = 2, wr = 1;
	struct vg_le16 req = vg_le16_put(4);
	struct xfer *x;
	uint32_t len;

	(void)state;
	set_irq(f, 4, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	vg_fakeprov_clear_log(f->fa.fp);
	x = xfer_new(f, &req, &rd, 1, &wr, 1);
	fx_post_moved(f, 1, x, 1, vg_drv_dma(&f->mem, x->wr[0], true));
	vg_gpio_run(f->g, 64);
	assert_true(f->vd->broken);
	assert_true(f->vd->status & VG_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(stats(f).broken, 1);
	assert_int_equal(f->fa.fp->ncalls, 0);
	assert_null(fx_get(f, 1, &len));
	assert_int_equal(f->ip.maps, f->ip.unmaps);
	fx_free(f);
}

/* Several messages for one line at once: answered in order (V27). */
static void gpio_requests_same_line_in_order(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x[6];
	uint8_t v;
	uint32_t len;

	(void)state;
	x[0] = msg_post(f, VG_GPIO_MSG_SET_VALUE, 0, 1);
	x[1] = msg_post(f, VG_GPIO_MSG_SET_DIRECTION, 0, VG_GPIO_DIRECTION_OUT);
	x[2] = msg_post(f, VG_GPIO_MSG_GET_VALUE, 0, 0);
	x[3] = msg_post(f, VG_GPIO_MSG_SET_VALUE, 0, 0);
	x[4] = msg_post(f, VG_GPIO_MSG_GET_VALUE, 0, 0);
	x[5] = msg_post(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0);
	assert_int_equal(vg_gpio_run(f->g, 64), 6);
	assert_int_equal(msg_wait(f, x[0], NULL), VG_GPIO_STATUS_OK);
	assert_int_equal(msg_wait(f, x[1], NULL), VG_GPIO_STATUS_OK);
	assert_int_equal(msg_wait(f, x[2], &v), VG_GPIO_STATUS_OK);
	assert_int_equal(v, 1);
	assert_int_equal(msg_wait(f, x[3], NULL), VG_GPIO_STATUS_OK);
	assert_int_equal(msg_wait(f, x[4], &v), VG_GPIO_STATUS_OK);
	assert_int_equal(v, 0);
	assert_int_equal(msg_wait(f, x[5], &v), VG_GPIO_STATUS_OK);
	assert_int_equal(v, VG_GPIO_DIRECTION_OUT);
	assert_null(fx_get(f, 0, &len));
	fx_free(f);
}

/* --- run, reset, life ------------------------------------------------ */

static void gpio_run_respects_budget(void **state)
{
	struct fx *f = fx_new(&plain);
	struct xfer *x[6];
	unsigned long ints;
	unsigned int i;
	uint32_t len;

	(void)state;
	for (i = 0; i < 6; i++)
		x[i] = msg_post(f, VG_GPIO_MSG_GET_DIRECTION, (uint16_t)i, 0);
	assert_true(vg_gpio_pending(f->g));
	ints = f->vring_ints;
	/* Each chain is two descriptors: a budget of 8 buys four chains. */
	assert_int_equal(vg_gpio_run(f->g, 8), 4);
	assert_true(vg_gpio_pending(f->g));
	/* One interrupt for the batch. */
	assert_int_equal(f->vring_ints, ints + 1);
	for (i = 0; i < 4; i++)
		assert_int_equal(msg_wait(f, x[i], NULL), VG_GPIO_STATUS_OK);
	assert_null(fx_get(f, 0, &len));
	assert_int_equal(vg_gpio_run(f->g, 0), 0);
	assert_true(vg_gpio_pending(f->g));
	assert_int_equal(vg_gpio_run(f->g, 64), 2);
	assert_false(vg_gpio_pending(f->g));
	for (i = 4; i < 6; i++)
		assert_int_equal(msg_wait(f, x[i], NULL), VG_GPIO_STATUS_OK);
	assert_int_equal(vg_gpio_run(f->g, 64), 0);
	fx_free(f);
}

/* A chain costs its descriptors: long chains cannot stretch one turn. */
static void gpio_run_budget_counts_descriptors(void **state)
{
	static const uint32_t rd[3] = {2, 2, 4}, wr[2] = {1, 1};
	struct fx *f = fx_new(&plain);
	struct xfer *x[3];
	unsigned int i;

	(void)state;
	/* Direct chains of 5 descriptors (3 fit in the 16-entry ring). */
	for (i = 0; i < 3; i++)
		x[i] = msg_post_split(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, rd, 3,
				      wr, 2);
	/* A budget of 6 stops after two chains (cost 10), not six. */
	assert_int_equal(vg_gpio_run(f->g, 6), 2);
	assert_true(vg_gpio_pending(f->g));
	assert_int_equal(vg_gpio_run(f->g, 64), 1);
	assert_false(vg_gpio_pending(f->g));
	for (i = 0; i < 3; i++)
		assert_int_equal(msg_wait(f, x[i], NULL), VG_GPIO_STATUS_OK);
	fx_free(f);
}

/*
 * QueueReady 0 on the eventq: a held buffer belongs to the old ring and
 * is never pushed into the next one (whose size may not even hold its
 * head); the new ring works normally.
 */
static void gpio_eventq_stop_forgets_held_buffer(void **state)
{
	struct fx *f = fx_new(&plain);
	bool indirect = f->eq.indirect, event_idx = f->eq.event_idx;
	struct xfer *x;

	(void)state;
	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	irq_post(f, 0);
	assert_null(irq_get(f));
	vg_vdev_queue_set(f->vd, 1, VG_VDEV_Q_READY, 0);
	assert_int_equal(
		vg_drv_vq_init(&f->eq, &f->mem, QSIZE, indirect, event_idx), 0);
	fx_queue_setup(f, 1, &f->eq);
	edge(f, 0, VG_EDGE_RISING);
	assert_null(irq_get(f));
	assert_false(f->vd->broken);
	/* The edge was latched (masked line); the new buffer takes it. */
	x = irq_post(f, 0);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	fx_free(f);
}

static void gpio_reset_drops_state_applies_safe(void **state)
{
	struct opts o = {.safe = {VG_SAFE_INPUT, VG_SAFE_LOW, VG_SAFE_HIGH,
				  VG_SAFE_HIGH}};
	struct fx *f = fx_new(&o);
	const struct vg_fake_call *c;
	uint64_t resets = stats(f).resets;
	struct xfer *x;
	unsigned int i;
	uint32_t len;
	uint8_t v;

	(void)state;
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 0, 1, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 0,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 1,
			     VG_GPIO_DIRECTION_IN, NULL),
			 VG_GPIO_STATUS_OK);
	set_irq(f, 2, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 2);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 4, 1, NULL),
			 VG_GPIO_STATUS_OK);
	vg_fakeprov_clear_log(f->fa.fp);

	vg_vdev_set_status(f->vd, 0);
	assert_int_equal(stats(f).resets, resets + 1);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 0);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_IN);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 0);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_EDGE, 2);
	assert_non_null(c);
	assert_int_equal(c->a, VG_EDGE_NONE);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 2);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	/* Untouched lines stay as they are. */
	assert_int_equal(calls(f, VG_FAKE_SET_DIRECTION, 3), 0);
	assert_int_equal(f->fa.fp->lines[2].edges, VG_EDGE_NONE);

	/* The held buffer was forgotten with the old ring. */
	assert_null(vg_drv_vq_get(&f->eq, &len));
	(void)x;
	f->nxf = 0;
	fx_probe(f, &o);
	for (i = 0; i < NL; i++) {
		assert_int_equal(
			msg(f, VG_GPIO_MSG_GET_DIRECTION, (uint16_t)i, 0, &v),
			VG_GPIO_STATUS_OK);
		assert_int_equal(v, VG_GPIO_DIRECTION_NONE);
	}
	/* Line 2's IRQ is off; line 4's cached value is gone. */
	x = irq_post(f, 2);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 4,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 4);
	assert_int_equal(c->b, 0);
	fx_free(f);
}

static void gpio_new_and_free_apply_safe_state(void **state)
{
	struct opts o = {.safe = {[1] = VG_SAFE_LOW, [2] = VG_SAFE_HIGH},
			 .keep_log = true};
	struct fx *f = fx_new(&o);
	const struct vg_fake_call *c;
	unsigned int i;

	(void)state;
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 0);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_IN);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 1);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 0);
	c = vg_fakeprov_last(f->fa.fp, VG_FAKE_SET_DIRECTION, 2);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 1);
	assert_int_equal(f->fa.fp->lines[2].out, 1);

	assert_int_equal(msg(f, VG_GPIO_MSG_SET_VALUE, 2, 0, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(msg(f, VG_GPIO_MSG_SET_DIRECTION, 2,
			     VG_GPIO_DIRECTION_OUT, NULL),
			 VG_GPIO_STATUS_OK);
	assert_int_equal(f->fa.fp->lines[2].out, 0);
	set_irq(f, 0, VG_GPIO_IRQ_TYPE_EDGE_BOTH);
	vg_fakeprov_clear_log(f->fa.fp);
	vg_gpio_free(f->g);
	f->g = NULL;
	f->fa.gpio = NULL;
	for (i = 0; i < NL; i++)
		assert_true(calls(f, VG_FAKE_SET_DIRECTION, i) == 1);
	assert_int_equal(f->fa.fp->lines[2].out, 1);
	assert_int_equal(f->fa.fp->lines[2].dir, VG_DIR_OUT);
	assert_int_equal(f->fa.fp->lines[0].edges, VG_EDGE_NONE);
	assert_int_equal(f->fa.fp->lines[0].dir, VG_DIR_IN);
	fx_free(f);
}

static void gpio_stats_count_messages(void **state)
{
	struct fx *f = fx_new(&plain);
	struct vg_gpio_stats st;
	struct xfer *x;

	(void)state;
	msg(f, VG_GPIO_MSG_GET_DIRECTION, 0, 0, NULL);
	msg(f, VG_GPIO_MSG_GET_DIRECTION, NL, 0, NULL);
	set_irq(f, 1, VG_GPIO_IRQ_TYPE_EDGE_RISING);
	x = irq_post(f, 1);
	edge(f, 1, VG_EDGE_RISING);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_VALID);
	x = irq_post(f, 2);
	expect_irq(f, x, VG_GPIO_IRQ_STATUS_INVALID);
	st = stats(f);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.broken, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpio_config_read_reports_lines_and_names),
		cmocka_unit_test(gpio_set_acl_only_in_reset),
		cmocka_unit_test(gpio_reset_hook_runs_after_reset),
		cmocka_unit_test(gpio_features_offered_by_params),
		cmocka_unit_test(gpio_probe_all_features_accepted),
		cmocka_unit_test(gpio_queues_one_without_irq),
		cmocka_unit_test(gpio_get_line_names_sanitised_unique),
		cmocka_unit_test(gpio_get_line_names_split_response),
		cmocka_unit_test(gpio_get_line_names_short_buffer_err),
		cmocka_unit_test(gpio_get_line_names_ignores_gpio_and_value),
		cmocka_unit_test(gpio_names_size_zero_when_unnamed),
		cmocka_unit_test(gpio_probe_sequence_like_linux),
		cmocka_unit_test(gpio_set_direction_in_out_none),
		cmocka_unit_test(gpio_set_direction_bad_value_err),
		cmocka_unit_test(gpio_set_direction_provider_error_err),
		cmocka_unit_test(gpio_get_value_reads_line),
		cmocka_unit_test(gpio_set_value_cached_until_output),
		cmocka_unit_test(gpio_set_direction_out_reuses_last_value),
		cmocka_unit_test(gpio_set_value_on_output_drives),
		cmocka_unit_test(gpio_set_value_not_0_or_1_err),
		cmocka_unit_test(gpio_set_direction_out_with_irq_err),
		cmocka_unit_test(gpio_set_direction_none_discards_state),
		cmocka_unit_test(gpio_unknown_type_err),
		cmocka_unit_test(gpio_acl_index_out_of_range_err),
		cmocka_unit_test(gpio_acl_op_not_allowed_err),
		cmocka_unit_test(gpio_acl_revoked_err),
		cmocka_unit_test(gpio_line_revoked_returns_buffer_safe_state),
		cmocka_unit_test(gpio_irq_none_to_none_ok),
		cmocka_unit_test(gpio_irq_same_type_keeps_latch),
		cmocka_unit_test(gpio_irq_type_change_reconfigures),
		cmocka_unit_test(gpio_irq_provider_error_err),
		cmocka_unit_test(gpio_irq_edge_rising),
		cmocka_unit_test(gpio_irq_edge_falling),
		cmocka_unit_test(gpio_irq_edge_both),
		cmocka_unit_test(gpio_irq_level_high),
		cmocka_unit_test(gpio_irq_level_low),
		cmocka_unit_test(gpio_irq_none_returns_held_invalid),
		cmocka_unit_test(gpio_irq_enable_on_none_line_makes_input),
		cmocka_unit_test(gpio_irq_enable_on_output_err),
		cmocka_unit_test(gpio_irq_invalid_type_err),
		cmocka_unit_test(gpio_eventq_not_enabled_invalid),
		cmocka_unit_test(gpio_eventq_duplicate_invalid),
		cmocka_unit_test(gpio_eventq_short_buffer_invalid),
		cmocka_unit_test(gpio_eventq_no_status_byte_needs_reset),
		cmocka_unit_test(gpio_linux_gpiomon_sequence_served),
		cmocka_unit_test(gpio_linux_dt_consumer_sequence_served),
		cmocka_unit_test(gpio_linux_same_type_twice_keeps_buffer),
		cmocka_unit_test(
			gpio_linux_type_change_without_none_keeps_buffer),
		cmocka_unit_test(gpio_level_acked_at_source_fires_once),
		cmocka_unit_test(gpio_level_not_acked_refires),
		cmocka_unit_test(gpio_level_stale_edge_after_ack_ignored),
		cmocka_unit_test(gpio_isr_vring_bit_for_each_queue),
		cmocka_unit_test(gpio_request_split_descriptors),
		cmocka_unit_test(gpio_request_indirect_split),
		cmocka_unit_test(gpio_request_through_grants),
		cmocka_unit_test(gpio_request_short_err),
		cmocka_unit_test(gpio_request_one_byte_response_err),
		cmocka_unit_test(gpio_request_no_writable_needs_reset),
		cmocka_unit_test(gpio_ring_violation_needs_reset),
		cmocka_unit_test(gpio_request_readonly_response_needs_reset),
		cmocka_unit_test(gpio_request_response_past_ram_needs_reset),
		cmocka_unit_test(gpio_request_header_past_ram_needs_reset),
		cmocka_unit_test(
			gpio_request_split_response_bad_piece_needs_reset),
		cmocka_unit_test(gpio_eventq_readonly_status_needs_reset),
		cmocka_unit_test(gpio_requests_same_line_in_order),
		cmocka_unit_test(gpio_run_respects_budget),
		cmocka_unit_test(gpio_run_budget_counts_descriptors),
		cmocka_unit_test(gpio_eventq_stop_forgets_held_buffer),
		cmocka_unit_test(gpio_reset_drops_state_applies_safe),
		cmocka_unit_test(gpio_new_and_free_apply_safe_state),
		cmocka_unit_test(gpio_stats_count_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
