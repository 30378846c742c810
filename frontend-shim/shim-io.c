// SPDX-License-Identifier: BSD-3-Clause
/*
 * The shim's requests and interrupts, as gpio-virtio.c frames them:
 * virtio_gpio_req() (8-byte request readable, response writable, one
 * request per line in flight, exact used length), virtio_gpio_irq_prepare()
 * (2-byte gpio readable, 1-byte status writable) and vm_interrupt() (read
 * InterruptStatus, acknowledge it, run the queue callbacks).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <vgpio/virtio_mmio.h>
#include "shim.h"

static int64_t shim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* virtio_gpio_request_vq(): record each completion on its line. */
static void shim_drain_requests(struct vg_shim *s)
{
	struct vg_shim_line *ln;
	uint32_t len;

	for (;;) {
		ln = vg_drv_vq_get(&s->vq[VG_GPIO_QUEUE_REQUEST], &len);
		if (!ln && len == UINT32_MAX) {
			s->dev_err = -EPROTO; /* a buffer we never gave it */
			continue;
		}
		if (!ln)
			break;
		ln->rxlen = len;
		ln->done = true;
		ln->busy = false;
	}
}

/* virtio_gpio_event_vq(): hand returned eventq buffers to the caller. */
static void shim_drain_events(struct vg_shim *s)
{
	struct vg_shim_line *ln;
	uint32_t len;

	if (s->nvqs < 2)
		return;
	for (;;) {
		unsigned int n = s->ngpio + 1u;
		struct vg_shim_event *ev;

		ln = vg_drv_vq_get(&s->vq[VG_GPIO_QUEUE_EVENT], &len);
		if (!ln && len == UINT32_MAX) {
			s->dev_err = -EPROTO;
			continue;
		}
		if (!ln)
			break;
		ln->irq_queued = false;
		if (s->ev_count == n)
			continue; /* cannot happen: one buffer per line */
		ev = &s->events[(s->ev_head + s->ev_count++) % n];
		ev->gpio = (uint16_t)(ln - s->lines);
		ev->status = *(const uint8_t *)vg_drv_ptr(&s->mem, ln->ires);
		ev->len = len;
	}
}

int vg_shim_interrupt(struct vg_shim *s)
{
	uint32_t isr = vg_shim_read32(s, VG_MMIO_INTERRUPT_STATUS);

	vg_shim_write32(s, VG_MMIO_INTERRUPT_ACK, isr);
	if (s->wire_err)
		return s->wire_err;
	s->interrupts++;
	if (isr & VG_INT_CONFIG) {
		s->config_interrupts++;
		/* virtio 1.2 2.1.2: NEEDS_RESET comes with a config change. */
		if (vg_shim_read32(s, VG_MMIO_STATUS) &
		    VG_STATUS_DEVICE_NEEDS_RESET)
			s->dev_err = -ENODEV;
	}
	if ((isr & VG_INT_VRING) && s->lines) {
		if (!(s->raw_queues & (1u << VG_GPIO_QUEUE_REQUEST)))
			shim_drain_requests(s);
		if (!(s->raw_queues & (1u << VG_GPIO_QUEUE_EVENT)))
			shim_drain_events(s);
	}
	return s->wire_err;
}

/*
 * Wait for interrupts until *@flag or a non-zero *@count; bounded by
 * @timeout_ms (-1 = forever). 0, -ETIMEDOUT, -ENODEV, -EPROTO, wire error.
 */
static int shim_wait(struct vg_shim *s, const bool *flag,
		     const unsigned int *count, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : shim_now_ms() + timeout_ms;
	int r;

	for (;;) {
		if ((flag && *flag) || (count && *count))
			return 0;
		if (s->wire_err)
			return s->wire_err;
		if (s->dev_err)
			return s->dev_err;
		if (deadline >= 0) {
			int64_t left = deadline - shim_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout_ms = (int)left;
		}
		r = s->wire.ops->wait_irq(s->wire.ctx, timeout_ms);
		if (r < 0) {
			s->wire_err = r;
			return r;
		}
		if (r > 0)
			vg_shim_interrupt(s);
	}
}

/* Tell the device about new buffers on @q if it wants to know. */
static void shim_kick(struct vg_shim *s, unsigned int q)
{
	if (vg_drv_vq_kick_prepare(&s->vq[q]))
		vg_shim_write32(s, VG_MMIO_QUEUE_NOTIFY, q);
}

static int shim_usable(const struct vg_shim *s)
{
	if (s->wire_err)
		return s->wire_err;
	if (s->dev_err)
		return s->dev_err;
	if (!s->ready || !s->lines)
		return -ENOTCONN;
	return 0;
}

/*
 * virtio_gpio_req() on slot @ln: request readable, @res_len bytes at
 * @res writable. Returns once the device answered.
 */
static int shim_submit(struct vg_shim *s, struct vg_shim_line *ln,
		       uint16_t type, uint16_t gpio, uint32_t value,
		       uint64_t res, uint32_t res_len)
{
	struct vg_gpio_request *req = vg_drv_ptr(&s->mem, ln->req);
	struct vg_drv_sg sg[2] = {
		{.gpa = ln->req, .len = sizeof(*req), .write = false},
		{.gpa = res, .len = res_len, .write = true},
	};
	int rc;

	rc = shim_usable(s);
	if (rc)
		return rc;
	if (ln->busy)
		return -EBUSY; /* the last request on this line never came back */
	req->type = vg_le16_put(type);
	req->gpio = vg_le16_put(gpio);
	req->value = vg_le32_put(value);
	/* Poison the status so a device that writes nothing is caught. */
	memset(vg_drv_ptr(&s->mem, res), 0xff, res_len);
	ln->done = false;
	rc = vg_drv_vq_add(&s->vq[VG_GPIO_QUEUE_REQUEST], sg, 2, ln);
	if (rc)
		return rc;
	ln->busy = true;
	shim_kick(s, VG_GPIO_QUEUE_REQUEST);
	return shim_wait(s, &ln->done, NULL, s->opts.timeout_ms);
}

/* The slot a request for @gpio uses: its line, or the spare one. */
static struct vg_shim_line *shim_slot(struct vg_shim *s, unsigned int gpio)
{
	return &s->lines[gpio < s->ngpio ? gpio : s->ngpio];
}

int vg_shim_request(struct vg_shim *s, uint16_t type, uint16_t gpio,
		    uint32_t value, uint8_t *resp, uint32_t resp_len,
		    uint32_t *used)
{
	struct vg_shim_line *ln;
	uint64_t res;
	int rc;

	rc = shim_usable(s);
	if (rc)
		return rc;
	if (resp_len == 0 ||
	    resp_len > (type == VG_GPIO_MSG_GET_LINE_NAMES ? 1 + s->names_size
							   : VG_SHIM_RESP_MAX))
		return -EINVAL;
	if (type == VG_GPIO_MSG_GET_LINE_NAMES) {
		ln = &s->lines[s->ngpio];
		res = s->names_res;
	} else {
		ln = shim_slot(s, gpio);
		res = ln->res;
	}
	rc = shim_submit(s, ln, type, gpio, value, res, resp_len);
	if (rc)
		return rc;
	memcpy(resp, vg_drv_ptr(&s->mem, res), resp_len);
	*used = ln->rxlen;
	return 0;
}

/* A 2-byte request/response exchange with Linux's checks. */
static int shim_req(struct vg_shim *s, uint16_t type, unsigned int gpio,
		    uint32_t value, uint8_t *out)
{
	struct vg_gpio_response r;
	uint32_t used;
	int rc;

	if (gpio > UINT16_MAX)
		return -EINVAL;
	rc = vg_shim_request(s, type, (uint16_t)gpio, value, (uint8_t *)&r,
			     sizeof(r), &used);
	if (rc)
		return rc;
	if (r.status != VG_GPIO_STATUS_OK)
		return -EIO;
	if (used != sizeof(r))
		return -EPROTO;
	if (out)
		*out = r.value;
	return 0;
}

int vg_shim_get_direction(struct vg_shim *s, unsigned int gpio, uint8_t *dir)
{
	return shim_req(s, VG_GPIO_MSG_GET_DIRECTION, gpio, 0, dir);
}

int vg_shim_set_direction(struct vg_shim *s, unsigned int gpio, uint8_t dir)
{
	int rc = shim_req(s, VG_GPIO_MSG_SET_DIRECTION, gpio, dir, NULL);

	if (rc == 0 && gpio < s->ngpio)
		s->lines[gpio].dir = dir;
	return rc;
}

int vg_shim_get_value(struct vg_shim *s, unsigned int gpio, int *value)
{
	uint8_t v = 0;
	int rc = shim_req(s, VG_GPIO_MSG_GET_VALUE, gpio, 0, &v);

	if (rc == 0)
		*value = v;
	return rc;
}

int vg_shim_set_value(struct vg_shim *s, unsigned int gpio, int value)
{
	return shim_req(s, VG_GPIO_MSG_SET_VALUE, gpio, value ? 1 : 0, NULL);
}

int vg_shim_direction_output(struct vg_shim *s, unsigned int gpio, int value)
{
	int rc = vg_shim_set_value(s, gpio, value);

	if (rc)
		return rc;
	return vg_shim_set_direction(s, gpio, VG_GPIO_DIRECTION_OUT);
}

int vg_shim_set_irq_type(struct vg_shim *s, unsigned int gpio, uint8_t type)
{
	return shim_req(s, VG_GPIO_MSG_SET_IRQ_TYPE, gpio, type, NULL);
}

int vg_shim_irq_unmask(struct vg_shim *s, unsigned int gpio)
{
	struct vg_shim_line *ln;
	struct vg_gpio_irq_request *ireq;
	struct vg_drv_sg sg[2];
	int rc;

	rc = shim_usable(s);
	if (rc)
		return rc;
	if (s->nvqs < 2)
		return -EOPNOTSUPP;
	if (gpio >= s->ngpio)
		return -EINVAL;
	ln = &s->lines[gpio];
	if (ln->irq_queued)
		return -EBUSY;
	ireq = vg_drv_ptr(&s->mem, ln->ireq);
	ireq->gpio = vg_le16_put((uint16_t)gpio);
	*(uint8_t *)vg_drv_ptr(&s->mem, ln->ires) = 0xff;
	sg[0] = (struct vg_drv_sg){.gpa = ln->ireq, .len = 2};
	sg[1] = (struct vg_drv_sg){.gpa = ln->ires, .len = 1, .write = true};
	rc = vg_drv_vq_add(&s->vq[VG_GPIO_QUEUE_EVENT], sg, 2, ln);
	if (rc)
		return rc;
	ln->irq_queued = true;
	shim_kick(s, VG_GPIO_QUEUE_EVENT);
	return s->wire_err;
}

int vg_shim_wait_event(struct vg_shim *s, int timeout_ms,
		       struct vg_shim_event *ev)
{
	int rc;

	if (!s->events)
		return -ENOTCONN;
	rc = shim_wait(s, NULL, &s->ev_count, timeout_ms);
	if (rc == -ETIMEDOUT)
		return 0;
	if (rc)
		return rc;
	*ev = s->events[s->ev_head];
	s->ev_head = (s->ev_head + 1) % (s->ngpio + 1u);
	s->ev_count--;
	return ev->len == 1 ? 1 : -EPROTO;
}

int vg_shim_wait_irq(struct vg_shim *s, int timeout_ms)
{
	int r;

	if (s->wire_err)
		return s->wire_err;
	r = s->wire.ops->wait_irq(s->wire.ctx, timeout_ms);
	if (r < 0) {
		s->wire_err = r;
		return r;
	}
	if (r > 0) {
		int rc = vg_shim_interrupt(s);

		if (rc)
			return rc;
	}
	return r;
}
