/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio device model, independent of any transport front: offered and
 * negotiated features, the status handshake, reset, config space with its
 * generation counter, the virtqueues, and the sticky "broken" state that a
 * guest's protocol violation puts the device in.
 *
 * A front (the virtio-mmio register file today, vhost-user later) calls the
 * vg_vdev_* functions with already range-checked arguments and receives
 * interrupts through the callback it installs with vg_vdev_set_front(). A
 * device type (virtio-gpio) plugs in below through a const struct
 * vg_vdev_class.
 */
#ifndef VGPIO_VDEV_H
#define VGPIO_VDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vgpio/transport.h>
#include "log.h"
#include "vring.h"

#define VG_VDEV_MAX_QUEUES 2u
#define VG_VDEV_CONFIG_MAX 64u

struct vg_vdev_class {
	const char *name;
	uint32_t device_id;
	/* Features offered, transport bits included (VERSION_1 required). */
	uint64_t features;
	/* Size of the device-specific config space, <= VG_VDEV_CONFIG_MAX. */
	size_t config_size;
	/*
	 * Number of queues that exist given the features negotiated so far
	 * (virtio-gpio: 2 with VIRTIO_GPIO_F_IRQ, else 1). <= MAX_QUEUES.
	 */
	unsigned int (*num_queues)(void *dev);
	/* Fill @buf with the current config snapshot (config_size bytes). */
	void (*config_read)(void *dev, uint8_t *buf);
	/*
	 * Queue @q has (maybe) new buffers: the driver wrote QueueNotify, a
	 * queue became ready while DRIVER_OK, or DRIVER_OK was set. Must be
	 * cheap: record the work, do it later (see vg_gpio_run()).
	 */
	void (*kick)(void *dev, unsigned int q);
	/* The device was reset (status 0): drop all queue and line state. */
	void (*reset)(void *dev);
	/*
	 * Optional: the driver disabled ready queue @q (QueueReady 0). Buffers
	 * the device still holds from it belong to a ring that is gone: forget
	 * them, never return them into a later ring.
	 */
	void (*queue_stop)(void *dev, unsigned int q);
};

/* The interrupt vector of a configuration change (never a queue index). */
#define VG_VDEV_VECTOR_CONFIG 0xffffu

struct vg_vdev {
	const struct vg_vdev_class *cls;
	void *dev;
	struct vg_bus bus;
	struct vg_log *log; /* may be NULL */
	uint64_t guest_features; /* as written by the driver */
	uint8_t status;
	uint32_t config_generation;
	bool broken; /* sticky until reset: a ring or protocol violation */
	struct vg_vq vq[VG_VDEV_MAX_QUEUES];
	/*
	 * Installed by the front: notify the driver of used buffers on queue
	 * @vector, or of a configuration change (VG_VDEV_VECTOR_CONFIG). A
	 * front with one interrupt line (virtio-mmio) folds both into
	 * InterruptStatus; one with a notification per queue (vhost-user
	 * call fds, irqfd) signals that queue's.
	 */
	void (*interrupt)(void *front, unsigned int vector);
	void *front;
	uint64_t interrupts; /* notifications handed to the front */
};

/* Set up @vd in reset state. -EINVAL if @cls or @bus ops are incomplete. */
int vg_vdev_init(struct vg_vdev *vd, const struct vg_vdev_class *cls, void *dev,
		 const struct vg_bus *bus, struct vg_log *log);
void vg_vdev_set_front(struct vg_vdev *vd,
		       void (*interrupt)(void *front, unsigned int vector),
		       void *front);

/* Offered features, 32 bits at a time (@sel 0 = bits 0..31; >1 reads 0). */
uint32_t vg_vdev_host_features(const struct vg_vdev *vd, uint32_t sel);
/* Driver features word @sel; ignored unless status is DRIVER w/o FEATURES_OK. */
void vg_vdev_set_guest_features(struct vg_vdev *vd, uint32_t sel, uint32_t val);
/* True if feature @bit was negotiated (driver accepted it, offered). */
bool vg_vdev_has_feature(const struct vg_vdev *vd, unsigned int bit);

/*
 * Write the status register. 0 resets the device (queues, features,
 * config generation kept monotonic, class reset). FEATURES_OK is refused
 * (left clear, so the driver sees it missing when it reads back) if the
 * driver features are not a subset of the offered ones or lack
 * VERSION_1. Setting DRIVER_OK kicks every ready queue. Clearing bits
 * other than by writing 0 is ignored.
 */
void vg_vdev_set_status(struct vg_vdev *vd, uint8_t status);

/* Queue accessors; @q out of range or not existing reads 0 / is ignored. */
uint16_t vg_vdev_queue_max(const struct vg_vdev *vd, unsigned int q);
bool vg_vdev_queue_exists(const struct vg_vdev *vd, unsigned int q);
/*
 * Set a queue field while the queue is not ready (ignored while ready).
 * VG_VDEV_Q_READY 1 enables it (vg_vq_enable; a bad setup leaves it not
 * ready and logs), 0 disables it.
 */
enum vg_vdev_qfield {
	VG_VDEV_Q_SIZE,
	VG_VDEV_Q_READY,
	VG_VDEV_Q_DESC_LO,
	VG_VDEV_Q_DESC_HI,
	VG_VDEV_Q_DRIVER_LO,
	VG_VDEV_Q_DRIVER_HI,
	VG_VDEV_Q_DEVICE_LO,
	VG_VDEV_Q_DEVICE_HI,
};
void vg_vdev_queue_set(struct vg_vdev *vd, unsigned int q,
		       enum vg_vdev_qfield f, uint32_t val);
bool vg_vdev_queue_ready(const struct vg_vdev *vd, unsigned int q);
/* QueueNotify: kick queue @q if it is live. */
void vg_vdev_queue_notify(struct vg_vdev *vd, unsigned int q);
/* DRIVER_OK set, queue ready, device not broken. */
bool vg_vdev_queue_live(const struct vg_vdev *vd, unsigned int q);

/*
 * Read @size bytes at @off of config space into *val (little-endian
 * zero-extended). Any width and any offset inside the space; out of range
 * reads 0. Overflow-safe.
 */
void vg_vdev_config_read(struct vg_vdev *vd, uint32_t off, unsigned int size,
			 uint64_t *val);
uint32_t vg_vdev_config_generation(const struct vg_vdev *vd);
/* The config changed: bump the generation and raise a config interrupt. */
void vg_vdev_config_changed(struct vg_vdev *vd);

/*
 * A guest broke the protocol: mark the device broken, set
 * DEVICE_NEEDS_RESET (if DRIVER_OK was reached) and raise a config
 * interrupt. Logs @why once (rate-limited). Idempotent.
 */
void vg_vdev_needs_reset(struct vg_vdev *vd, const char *why);

/* Chains were pushed on @q: interrupt the driver if it asked for it. */
void vg_vdev_used(struct vg_vdev *vd, unsigned int q);

#endif /* VGPIO_VDEV_H */
