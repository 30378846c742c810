// SPDX-License-Identifier: BSD-3-Clause
/*
 * virtio-mmio v2 register file (virtio 1.2 §4.2.2). Every access passes
 * mmio_check(), the single choke point for rules V1-V4 of
 * docs/validation.md; the register code after it may assume a known
 * register, the right width and direction, and (for queue-scoped
 * registers) an existing queue.
 */
#include <inttypes.h>
#include <vgpio/virtio_mmio.h>
#include "mmio.h"

enum mmio_dir {
	MMIO_R = 1,
	MMIO_W = 2,
	MMIO_RW = MMIO_R | MMIO_W,
};

enum mmio_kind {
	MMIO_CTRL, /* 32-bit aligned only (V2) */
	MMIO_QUEUE, /* also 32-bit; acts on the queue QueueSel names (V4) */
	MMIO_CONFIG, /* device config space: any width, any offset (V7) */
};

struct mmio_reg {
	uint16_t off;
	const char *name; /* NULL: no register here */
	uint8_t access; /* enum mmio_dir */
	uint8_t kind; /* enum mmio_kind */
};

#define REG(o, a, k) [VG_MMIO_##o / 4] = {VG_MMIO_##o, #o, MMIO_##a, MMIO_##k}

/* Indexed by offset / 4; the register layout is in virtio_mmio.h. */
static const struct mmio_reg mmio_regs[VG_MMIO_CONFIG / 4] = {
	REG(MAGIC_VALUE, R, CTRL),
	REG(VERSION, R, CTRL),
	REG(DEVICE_ID, R, CTRL),
	REG(VENDOR_ID, R, CTRL),
	REG(DEVICE_FEATURES, R, CTRL),
	REG(DEVICE_FEATURES_SEL, W, CTRL),
	REG(DRIVER_FEATURES, W, CTRL),
	REG(DRIVER_FEATURES_SEL, W, CTRL),
	REG(QUEUE_SEL, W, CTRL),
	REG(QUEUE_NUM_MAX, R, QUEUE),
	REG(QUEUE_NUM, W, QUEUE),
	REG(QUEUE_READY, RW, QUEUE),
	/* Its value names the queue; QueueSel does not apply. */
	REG(QUEUE_NOTIFY, W, CTRL),
	REG(INTERRUPT_STATUS, R, CTRL),
	REG(INTERRUPT_ACK, W, CTRL),
	REG(STATUS, RW, CTRL),
	REG(QUEUE_DESC_LOW, W, QUEUE),
	REG(QUEUE_DESC_HIGH, W, QUEUE),
	REG(QUEUE_DRIVER_LOW, W, QUEUE),
	REG(QUEUE_DRIVER_HIGH, W, QUEUE),
	REG(QUEUE_DEVICE_LOW, W, QUEUE),
	REG(QUEUE_DEVICE_HIGH, W, QUEUE),
	REG(SHM_SEL, W, CTRL),
	REG(SHM_LEN_LOW, R, CTRL),
	REG(SHM_LEN_HIGH, R, CTRL),
	REG(SHM_BASE_LOW, R, CTRL),
	REG(SHM_BASE_HIGH, R, CTRL),
	REG(QUEUE_RESET, RW, QUEUE),
	REG(CONFIG_GENERATION, R, CTRL),
};

static const struct mmio_reg mmio_config = {VG_MMIO_CONFIG, "Config", MMIO_RW,
					    MMIO_CONFIG};

static void mmio_bad(struct vg_mmio *m, enum mmio_dir dir, uint64_t off,
		     unsigned int size, const char *why)
{
	m->bad_accesses++;
	vg_log_guest(m->log, "mmio %s of %u bytes at %#" PRIx64 " ignored: %s",
		     dir == MMIO_W ? "write" : "read", size, off, why);
}

/*
 * The choke point. Returns the register to act on, or NULL if the access
 * must be dropped (a read then returns 0). @dir is MMIO_R or MMIO_W; a
 * write's *@val is masked to @size bytes.
 */
static const struct mmio_reg *mmio_check(struct vg_mmio *m, uint64_t off,
					 unsigned int size, enum mmio_dir dir,
					 uint64_t *val)
{
	const struct mmio_reg *reg;

	/* V1: only the widths an IOREQ can carry. */
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		mmio_bad(m, dir, off, size, "bad size");
		return NULL;
	}
	/* The transport may hand us stale bits above the access width. */
	if (val && size < 8)
		*val &= (1ULL << (8 * size)) - 1;
	/* V1: range check written so that off + size cannot overflow. */
	if (off > VG_MMIO_WINDOW - size) {
		mmio_bad(m, dir, off, size, "outside the window");
		return NULL;
	}
	/* V7: config space takes any width at any offset; vdev bounds it. */
	if (off >= VG_MMIO_CONFIG)
		return &mmio_config;
	/* V2: "MUST only use 32 bit wide and aligned reads and writes". */
	if (size != 4 || off % 4 != 0) {
		mmio_bad(m, dir, off, size, "not a 32-bit aligned access");
		return NULL;
	}
	reg = &mmio_regs[off / 4];
	if (!reg->name) {
		mmio_bad(m, dir, off, size, "no register");
		return NULL;
	}
	/* V3: writes to read-only and reads of write-only registers. */
	if (!(reg->access & dir)) {
		mmio_bad(m, dir, off, size,
			 dir == MMIO_W ? "read-only register"
				       : "write-only register");
		return NULL;
	}
	/*
	 * V4: QueueSel naming no queue. Not a bad access: Linux probes
	 * QueueReady/QueueNumMax of queues that may not exist, and on
	 * remove it resets the device before vm_del_vq() writes QueueReady
	 * 0 to each queue it had, including one that existed only under
	 * the features the reset cleared: deactivating it is a no-op.
	 */
	if (reg->kind == MMIO_QUEUE &&
	    !vg_vdev_queue_exists(m->vd, m->queue_sel)) {
		if (dir == MMIO_W && !(off == VG_MMIO_QUEUE_READY && !*val))
			vg_log_guest(m->log,
				     "mmio %s: queue %" PRIu32
				     " does not exist",
				     reg->name, m->queue_sel);
		return NULL;
	}
	return reg;
}

/* virtio-mmio has one line: every queue's vector is the VRING bit. */
static void mmio_interrupt(void *front, unsigned int vector)
{
	struct vg_mmio *m = front;

	m->isr |=
		vector == VG_VDEV_VECTOR_CONFIG ? VG_INT_CONFIG : VG_INT_VRING;
	m->vd->bus.ops->set_irq(m->vd->bus.ctx, 1);
}

void vg_mmio_init(struct vg_mmio *m, struct vg_vdev *vd, struct vg_log *log)
{
	m->vd = vd;
	m->log = log;
	m->device_features_sel = 0;
	m->driver_features_sel = 0;
	m->queue_sel = 0;
	m->isr = 0;
	m->bad_accesses = 0;
	vg_vdev_set_front(vd, mmio_interrupt, m);
}

static void mmio_isr_clear(struct vg_mmio *m, uint32_t bits)
{
	if (!m->isr)
		return;
	m->isr &= ~bits;
	if (!m->isr)
		m->vd->bus.ops->set_irq(m->vd->bus.ctx, 0);
}

void vg_mmio_reset(struct vg_mmio *m)
{
	vg_vdev_set_status(m->vd, 0);
	m->device_features_sel = 0;
	m->driver_features_sel = 0;
	m->queue_sel = 0;
	mmio_isr_clear(m, UINT32_MAX);
}

static uint32_t mmio_reg_read(struct vg_mmio *m, const struct mmio_reg *reg)
{
	struct vg_vdev *vd = m->vd;

	switch (reg->off) {
	case VG_MMIO_MAGIC_VALUE:
		return VG_MMIO_MAGIC;
	case VG_MMIO_VERSION:
		return VG_MMIO_VERSION_MODERN;
	case VG_MMIO_DEVICE_ID:
		return vd->cls->device_id;
	case VG_MMIO_VENDOR_ID:
		return VG_MMIO_VENDOR;
	case VG_MMIO_DEVICE_FEATURES:
		return vg_vdev_host_features(vd, m->device_features_sel);
	case VG_MMIO_QUEUE_NUM_MAX:
		return vg_vdev_queue_max(vd, m->queue_sel);
	case VG_MMIO_QUEUE_READY:
		return vg_vdev_queue_ready(vd, m->queue_sel);
	case VG_MMIO_INTERRUPT_STATUS:
		return m->isr;
	case VG_MMIO_STATUS:
		return vd->status;
	case VG_MMIO_SHM_LEN_LOW:
	case VG_MMIO_SHM_LEN_HIGH:
	case VG_MMIO_SHM_BASE_LOW:
	case VG_MMIO_SHM_BASE_HIGH:
		/* §4.2.2: length -1 means "no such region"; we have none. */
		return UINT32_MAX;
	case VG_MMIO_CONFIG_GENERATION:
		return vg_vdev_config_generation(vd);
	default: /* QueueReset: VIRTIO_F_RING_RESET is not offered */
		return 0;
	}
}

static void mmio_queue_write(struct vg_mmio *m, enum vg_vdev_qfield f,
			     uint32_t val)
{
	vg_vdev_queue_set(m->vd, m->queue_sel, f, val);
}

static void mmio_reg_write(struct vg_mmio *m, const struct mmio_reg *reg,
			   uint32_t val)
{
	struct vg_vdev *vd = m->vd;

	switch (reg->off) {
	case VG_MMIO_DEVICE_FEATURES_SEL:
		m->device_features_sel = val;
		break;
	case VG_MMIO_DRIVER_FEATURES:
		vg_vdev_set_guest_features(vd, m->driver_features_sel, val);
		break;
	case VG_MMIO_DRIVER_FEATURES_SEL:
		m->driver_features_sel = val;
		break;
	case VG_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		break;
	case VG_MMIO_QUEUE_NUM:
		mmio_queue_write(m, VG_VDEV_Q_SIZE, val);
		break;
	case VG_MMIO_QUEUE_READY:
		mmio_queue_write(m, VG_VDEV_Q_READY, val);
		break;
	case VG_MMIO_QUEUE_NOTIFY:
		vg_vdev_queue_notify(vd, val);
		break;
	case VG_MMIO_INTERRUPT_ACK:
		mmio_isr_clear(m, val);
		break;
	case VG_MMIO_STATUS:
		if (val == 0)
			vg_mmio_reset(m);
		else if (val > UINT8_MAX) /* V9: truncating could mean reset */
			vg_log_guest(m->log,
				     "mmio Status %#" PRIx32
				     " has undefined bits, ignored",
				     val);
		else
			vg_vdev_set_status(vd, (uint8_t)val);
		break;
	case VG_MMIO_QUEUE_DESC_LOW:
		mmio_queue_write(m, VG_VDEV_Q_DESC_LO, val);
		break;
	case VG_MMIO_QUEUE_DESC_HIGH:
		mmio_queue_write(m, VG_VDEV_Q_DESC_HI, val);
		break;
	case VG_MMIO_QUEUE_DRIVER_LOW:
		mmio_queue_write(m, VG_VDEV_Q_DRIVER_LO, val);
		break;
	case VG_MMIO_QUEUE_DRIVER_HIGH:
		mmio_queue_write(m, VG_VDEV_Q_DRIVER_HI, val);
		break;
	case VG_MMIO_QUEUE_DEVICE_LOW:
		mmio_queue_write(m, VG_VDEV_Q_DEVICE_LO, val);
		break;
	case VG_MMIO_QUEUE_DEVICE_HIGH:
		mmio_queue_write(m, VG_VDEV_Q_DEVICE_HI, val);
		break;
	default: /* SHMSel: no regions; QueueReset: not offered */
		break;
	}
}

uint64_t vg_mmio_read(struct vg_mmio *m, uint64_t off, unsigned int size)
{
	const struct mmio_reg *reg = mmio_check(m, off, size, MMIO_R, NULL);
	uint64_t val;

	if (!reg)
		return 0;
	if (reg->kind == MMIO_CONFIG) {
		vg_vdev_config_read(m->vd, (uint32_t)(off - VG_MMIO_CONFIG),
				    size, &val);
		return val;
	}
	return mmio_reg_read(m, reg);
}

void vg_mmio_write(struct vg_mmio *m, uint64_t off, unsigned int size,
		   uint64_t val)
{
	const struct mmio_reg *reg = mmio_check(m, off, size, MMIO_W, &val);

	if (!reg)
		return;
	if (reg->kind == MMIO_CONFIG) {
		/* virtio-gpio has no driver-writable config field. */
		vg_log_guest(m->log,
			     "mmio config write at %#" PRIx64 " ignored", off);
		return;
	}
	mmio_reg_write(m, reg, (uint32_t)val);
}
