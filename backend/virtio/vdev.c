// SPDX-License-Identifier: BSD-3-Clause
/*
 * The transport-independent virtio device model (see vdev.h). Section
 * numbers refer to virtio 1.2 (content.tex).
 *
 * Choices the spec leaves open, made here once for every front:
 * - A queue is live (kicked, allowed to consume buffers) only with both
 *   FEATURES_OK and DRIVER_OK set, FAILED clear, the device not broken.
 *   DRIVER_OK without FEATURES_OK is stored but leaves every queue dead.
 * - QueueReady=1 is refused before FEATURES_OK (§3.1.1 step 7 comes after
 *   step 5): the ring features latched by vg_vq_enable() must be final.
 * - Any non-zero QueueReady value enables; 0 disables.
 * - DEVICE_NEEDS_RESET is device-owned: a driver write neither sets nor
 *   clears it.
 * - A protocol violation before DRIVER_OK marks the device broken at once
 *   but sets DEVICE_NEEDS_RESET only when DRIVER_OK arrives, together
 *   with the config change notification that §2.1.2 requires "if
 *   DRIVER_OK is set": the driver then learns both at the same moment.
 * - Config change interrupts are raised only after DRIVER_OK; the
 *   generation counter is bumped regardless and never goes backwards,
 *   not even across a reset (§2.5.1: the driver compares generations).
 */
#include <errno.h>
#include <string.h>
#include <vgpio/virtio_mmio.h>
#include "vdev.h"

#define LIVE_STATUS (VG_STATUS_FEATURES_OK | VG_STATUS_DRIVER_OK)

static void vdev_interrupt(struct vg_vdev *vd, unsigned int vector)
{
	vd->interrupts++;
	if (vd->interrupt)
		vd->interrupt(vd->front, vector);
}

int vg_vdev_init(struct vg_vdev *vd, const struct vg_vdev_class *cls, void *dev,
		 const struct vg_bus *bus, struct vg_log *log)
{
	unsigned int q;

	if (!cls || !cls->name || !cls->num_queues || !cls->config_read ||
	    !cls->kick || !cls->reset ||
	    cls->config_size > VG_VDEV_CONFIG_MAX ||
	    !(cls->features & VG_BIT(VG_F_VERSION_1)) || !bus ||
	    !vg_transport_ops_valid(bus->ops))
		return -EINVAL;

	memset(vd, 0, sizeof(*vd));
	vd->cls = cls;
	vd->dev = dev;
	vd->bus = *bus;
	vd->log = log;
	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++)
		vg_vq_reset(&vd->vq[q]);
	return 0;
}

void vg_vdev_set_front(struct vg_vdev *vd,
		       void (*interrupt)(void *front, unsigned int vector),
		       void *front)
{
	vd->interrupt = interrupt;
	vd->front = front;
}

uint32_t vg_vdev_host_features(const struct vg_vdev *vd, uint32_t sel)
{
	if (sel > 1)
		return 0;
	return (uint32_t)(vd->cls->features >> (32 * sel));
}

void vg_vdev_set_guest_features(struct vg_vdev *vd, uint32_t sel, uint32_t val)
{
	uint64_t mask;

	/* V8: features are written after DRIVER and frozen by FEATURES_OK. */
	if ((vd->status & (VG_STATUS_DRIVER | VG_STATUS_FEATURES_OK)) !=
	    VG_STATUS_DRIVER) {
		vg_log_guest(vd->log, "driver features written in status %#x",
			     vd->status);
		return;
	}
	if (sel > 1)
		return; /* no feature bits above 63: nothing to record */
	mask = 0xffffffffULL << (32 * sel);
	vd->guest_features =
		(vd->guest_features & ~mask) | ((uint64_t)val << (32 * sel));
}

bool vg_vdev_has_feature(const struct vg_vdev *vd, unsigned int bit)
{
	if (bit >= 64)
		return false;
	return (vd->guest_features & vd->cls->features & VG_BIT(bit)) != 0;
}

/* Tell the transport where a newly ready queue's rings are (§2.7). */
static int vdev_queue_map(struct vg_vdev *vd, unsigned int q)
{
	const struct vg_vq *vq = &vd->vq[q];
	const struct vg_ring_area a[3] = {
		{vq->desc, (size_t)VG_VRING_DESC_BYTES(vq->size), VG_PROT_READ},
		{vq->avail, (size_t)VG_VRING_AVAIL_BYTES(vq->size),
		 VG_PROT_READ},
		{vq->used, (size_t)VG_VRING_USED_BYTES(vq->size),
		 VG_PROT_READ | VG_PROT_WRITE},
	};

	if (!vd->bus.ops->queue_map)
		return 0;
	return vd->bus.ops->queue_map(vd->bus.ctx, q, a, 3);
}

static void vdev_queue_unmap(struct vg_vdev *vd, unsigned int q)
{
	if (vd->vq[q].ready && vd->bus.ops->queue_unmap)
		vd->bus.ops->queue_unmap(vd->bus.ctx, q);
}

/* Every guest-visible piece of state back to its reset value (§2.4). */
static void vdev_reset(struct vg_vdev *vd)
{
	unsigned int q;

	for (q = 0; q < VG_VDEV_MAX_QUEUES; q++) {
		vdev_queue_unmap(vd, q);
		vg_vq_reset(&vd->vq[q]);
	}
	vd->guest_features = 0;
	vd->status = 0;
	vd->broken = false;
	vd->cls->reset(vd->dev);
}

/* §2.1.2: DEVICE_NEEDS_RESET plus a config change notification. */
static void vdev_signal_needs_reset(struct vg_vdev *vd)
{
	if (!(vd->status & VG_STATUS_DRIVER_OK) ||
	    (vd->status & VG_STATUS_DEVICE_NEEDS_RESET))
		return;
	vd->status |= VG_STATUS_DEVICE_NEEDS_RESET;
	vdev_interrupt(vd, VG_VDEV_VECTOR_CONFIG);
}

/* validation.md V8 (§2.2.2): a subset of the offered bits, VERSION_1 in. */
static bool vdev_features_acceptable(const struct vg_vdev *vd)
{
	uint64_t g = vd->guest_features;

	if (g & ~vd->cls->features) {
		vg_log_guest(vd->log,
			     "FEATURES_OK refused: features %#llx not offered",
			     (unsigned long long)(g & ~vd->cls->features));
		return false;
	}
	if (!(g & VG_BIT(VG_F_VERSION_1))) {
		vg_log_guest(vd->log, "FEATURES_OK refused: no VERSION_1");
		return false;
	}
	return true;
}

void vg_vdev_set_status(struct vg_vdev *vd, uint8_t status)
{
	uint8_t cur = vd->status & (uint8_t)~VG_STATUS_DEVICE_NEEDS_RESET;
	uint8_t want = status & (uint8_t)~VG_STATUS_DEVICE_NEEDS_RESET;
	uint8_t added;
	unsigned int q, nq;

	if (status == 0) {
		vdev_reset(vd);
		return;
	}
	/* V9, §2.1.1: "The driver MUST NOT clear a device status bit." */
	if (cur & ~want) {
		vg_log_guest(vd->log, "status %#x clears bits of %#x, ignored",
			     status, vd->status);
		return;
	}
	added = want & (uint8_t)~cur;
	if ((added & VG_STATUS_FEATURES_OK) && !vdev_features_acceptable(vd))
		added &= (uint8_t)~VG_STATUS_FEATURES_OK;
	vd->status |= added;

	if (!(added & VG_STATUS_DRIVER_OK))
		return;
	if (vd->broken) {
		vdev_signal_needs_reset(vd);
		return;
	}
	/* Buffers may have been made available before DRIVER_OK (§3.1.1). */
	nq = vd->cls->num_queues(vd->dev);
	for (q = 0; q < nq && q < VG_VDEV_MAX_QUEUES; q++)
		if (vg_vdev_queue_live(vd, q))
			vd->cls->kick(vd->dev, q);
}

bool vg_vdev_queue_exists(const struct vg_vdev *vd, unsigned int q)
{
	return q < VG_VDEV_MAX_QUEUES && q < vd->cls->num_queues(vd->dev);
}

uint16_t vg_vdev_queue_max(const struct vg_vdev *vd, unsigned int q)
{
	return vg_vdev_queue_exists(vd, q) ? (uint16_t)VG_VQ_MAX_SIZE : 0;
}

static void set_lo(uint64_t *addr, uint32_t val)
{
	*addr = (*addr & ~0xffffffffULL) | val;
}

static void set_hi(uint64_t *addr, uint32_t val)
{
	*addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
}

static void vdev_queue_enable(struct vg_vdev *vd, unsigned int q)
{
	struct vg_vq *vq = &vd->vq[q];
	int rc;

	if (!(vd->status & VG_STATUS_FEATURES_OK)) {
		vg_log_guest(vd->log, "queue %u: ready before FEATURES_OK", q);
		return;
	}
	/* validation.md V5: size and ring alignment are vg_vq_enable()'s. */
	rc = vg_vq_enable(vq, vg_vdev_has_feature(vd, VG_F_RING_INDIRECT_DESC),
			  vg_vdev_has_feature(vd, VG_F_RING_EVENT_IDX));
	if (rc < 0) {
		vg_log_guest(vd->log,
			     "queue %u: bad setup (size %u), stays not ready",
			     q, vq->size);
		return;
	}
	if (vdev_queue_map(vd, q)) {
		vq->ready = false;
		vg_log_guest(vd->log,
			     "queue %u: rings are not guest memory the device "
			     "can map, stays not ready",
			     q);
		return;
	}
	if (vg_vdev_queue_live(vd, q))
		vd->cls->kick(vd->dev, q);
}

void vg_vdev_queue_set(struct vg_vdev *vd, unsigned int q,
		       enum vg_vdev_qfield f, uint32_t val)
{
	struct vg_vq *vq;

	if (!vg_vdev_queue_exists(vd, q))
		return;
	vq = &vd->vq[q];
	if (f == VG_VDEV_Q_READY) {
		if (!val) {
			if (vq->ready && vd->cls->queue_stop)
				vd->cls->queue_stop(vd->dev, q);
			vdev_queue_unmap(vd, q);
			vq->ready = false;
		} else if (!vq->ready)
			vdev_queue_enable(vd, q);
		return;
	}
	/* validation.md V6: the ring cannot move under a ready queue. */
	if (vq->ready) {
		vg_log_guest(vd->log, "queue %u: field %d written while ready",
			     q, (int)f);
		return;
	}
	switch (f) {
	case VG_VDEV_Q_SIZE:
		/* Truncating could turn a bad size into a good one. */
		vq->size = val > UINT16_MAX ? 0 : (uint16_t)val;
		break;
	case VG_VDEV_Q_DESC_LO:
		set_lo(&vq->desc, val);
		break;
	case VG_VDEV_Q_DESC_HI:
		set_hi(&vq->desc, val);
		break;
	case VG_VDEV_Q_DRIVER_LO:
		set_lo(&vq->avail, val);
		break;
	case VG_VDEV_Q_DRIVER_HI:
		set_hi(&vq->avail, val);
		break;
	case VG_VDEV_Q_DEVICE_LO:
		set_lo(&vq->used, val);
		break;
	case VG_VDEV_Q_DEVICE_HI:
		set_hi(&vq->used, val);
		break;
	case VG_VDEV_Q_READY:
		break;
	}
}

bool vg_vdev_queue_ready(const struct vg_vdev *vd, unsigned int q)
{
	return vg_vdev_queue_exists(vd, q) && vd->vq[q].ready;
}

/* V6: the device touches a queue's rings only while this holds. */
bool vg_vdev_queue_live(const struct vg_vdev *vd, unsigned int q)
{
	return (vd->status & LIVE_STATUS) == LIVE_STATUS &&
	       !(vd->status & VG_STATUS_FAILED) && !vd->broken &&
	       vg_vdev_queue_ready(vd, q);
}

void vg_vdev_queue_notify(struct vg_vdev *vd, unsigned int q)
{
	if (vg_vdev_queue_live(vd, q))
		vd->cls->kick(vd->dev, q);
}

void vg_vdev_config_read(struct vg_vdev *vd, uint32_t off, unsigned int size,
			 uint64_t *val)
{
	uint8_t buf[VG_VDEV_CONFIG_MAX];
	size_t cs = vd->cls->config_size;
	uint64_t v = 0;
	unsigned int i;

	*val = 0;
	/* validation.md V7, written so that off + size cannot overflow. */
	if (size == 0 || size > sizeof(v) || size > cs || off > cs - size)
		return;
	memset(buf, 0, sizeof(buf));
	vd->cls->config_read(vd->dev, buf);
	/* Config fields are little-endian (§4.2.2.2 for virtio-mmio). */
	for (i = 0; i < size; i++)
		v |= (uint64_t)buf[off + i] << (8 * i);
	*val = v;
}

uint32_t vg_vdev_config_generation(const struct vg_vdev *vd)
{
	return vd->config_generation;
}

void vg_vdev_config_changed(struct vg_vdev *vd)
{
	vd->config_generation++;
	if (vd->status & VG_STATUS_DRIVER_OK)
		vdev_interrupt(vd, VG_VDEV_VECTOR_CONFIG);
}

void vg_vdev_needs_reset(struct vg_vdev *vd, const char *why)
{
	if (vd->broken)
		return;
	vd->broken = true;
	vg_log_guest(vd->log, "device needs reset: %s", why);
	vdev_signal_needs_reset(vd);
}

void vg_vdev_used(struct vg_vdev *vd, unsigned int q)
{
	if (!vg_vdev_queue_ready(vd, q))
		return;
	if (vg_vq_should_notify(&vd->vq[q], &vd->bus))
		vdev_interrupt(vd, q);
}
