/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frontend shim: a userspace virtio-gpio guest driver that drives a
 * device over a struct vg_shim_wire exactly the way Linux virtio_mmio.c +
 * gpio-virtio.c do (probe sequence, feature negotiation, byte-wise config
 * reads under CONFIG_GENERATION, GET_LINE_NAMES then GET_DIRECTION for
 * every line, SET_VALUE before SET_DIRECTION(OUT), two-entry requests,
 * exact used-length checks, one eventq buffer per unmasked line).
 *
 * The API is synchronous and single-threaded: one request in flight per
 * line, and the caller waits for it (like a gpiolib caller holding the
 * line's mutex). Interrupts are only taken while the shim waits; every
 * wait is bounded by opts.timeout_ms.
 *
 * Errors: 0 or -errno. -EIO: the device answered STATUS_ERR. -EPROTO: the
 * device answered with a wrong used length or returned a buffer it was
 * never given. -ENODEV: the device reported DEVICE_NEEDS_RESET (reset and
 * probe again). -ETIMEDOUT: no answer in time. Other values come from the
 * wire (the connection is gone). Nothing here logs; vg_shim_error() holds
 * a sentence about the last probe failure.
 *
 * struct vg_shim is defined here so that hostile.c and tests can reach the
 * rings; everything else goes through the functions.
 */
#ifndef VGPIO_SHIM_H
#define VGPIO_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/virtio_gpio.h>
#include "drv.h"
#include "wire.h"

struct vg_shim_opts {
	bool no_irq; /* decline VIRTIO_GPIO_F_IRQ */
	bool no_indirect; /* decline VIRTIO_RING_F_INDIRECT_DESC */
	bool no_event_idx; /* decline VIRTIO_RING_F_EVENT_IDX */
	bool grants; /* give the device grant addresses */
	/* Queue size; 0 = QueueNumMax capped at VG_DRV_VQ_MAX (as Linux). */
	uint16_t queue_size;
	uint32_t max_piece; /* for the daemon's accessor (loop HELLO) */
	size_t ram_size; /* 0 = VG_SHIM_RAM_DEFAULT */
	int timeout_ms; /* per wait; 0 = VG_SHIM_TIMEOUT_DEFAULT, -1 = none */
};

#define VG_SHIM_RAM_DEFAULT (16u << 20)
#define VG_SHIM_RAM_BASE 0x40000000ULL
#define VG_SHIM_TIMEOUT_DEFAULT 5000

/* Per-line driver state; buffers are guest addresses in shim RAM. */
struct vg_shim_line {
	uint64_t req, res; /* struct vg_gpio_request / response */
	uint64_t ireq, ires; /* eventq request / response */
	uint32_t rxlen; /* used length of the last completion */
	bool busy; /* a request is in flight */
	bool done; /* ... and it completed */
	bool irq_queued; /* an eventq buffer is with the device */
	uint8_t dir; /* from GET_DIRECTION at probe / last set */
};

struct vg_shim_event {
	uint16_t gpio;
	uint8_t status; /* VG_GPIO_IRQ_STATUS_* as the device wrote it */
	uint32_t len; /* used length (1 if the device is correct) */
};

struct vg_shim {
	struct vg_shim_opts opts;
	struct vg_drv_mem mem;
	struct vg_shim_wire wire;
	uint64_t probe_brk; /* RAM allocated before any probe */
	int wire_err; /* sticky: the wire failed */
	int dev_err; /* until reset: -ENODEV (NEEDS_RESET) or -EPROTO */
	bool started; /* status handshake begun (FAILED on error) */
	bool ready; /* DRIVER_OK set by the last probe */
	uint32_t version, device_id, vendor_id;
	uint64_t device_features, features; /* offered, negotiated */
	uint16_t ngpio;
	uint32_t names_size;
	char *names_block; /* copy of the names, NUL-terminated */
	const char **names; /* ngpio entries into names_block, or NULL */
	unsigned int nvqs;
	struct vg_drv_vq vq[2];
	/* ngpio + 1 entries; the last one carries names and raw requests. */
	struct vg_shim_line *lines;
	uint64_t names_res; /* 1 + names_size response buffer */
	struct vg_shim_event *events; /* FIFO of ngpio + 1 entries */
	unsigned int ev_head, ev_count;
	unsigned long interrupts, config_interrupts;
	/* Bit q: q's used ring is drained by hostile.c, not the driver. */
	unsigned int raw_queues;
	char errmsg[160];
};

/*
 * A shim with fresh guest RAM (a memfd) and no wire yet. 0 or -errno; the
 * options are copied.
 */
int vg_shim_new(const struct vg_shim_opts *o, struct vg_shim **out);
/* Close the wire and free everything. NULL is fine. */
void vg_shim_free(struct vg_shim *s);

/* Hand the shim a wire (it then owns and closes it). */
void vg_shim_set_wire(struct vg_shim *s, const struct vg_shim_wire *w);
/*
 * Connect to vgpiod's loop socket at @path as @domain with this shim's RAM
 * and opts.max_piece. 0 or -errno with the reason in vg_shim_error().
 */
int vg_shim_connect_loop(struct vg_shim *s, const char *path,
			 const char *domain);

/*
 * Probe: the Linux sequence. Reset, ACKNOWLEDGE, DRIVER, features, queues,
 * config, DRIVER_OK, names, directions. On failure sets FAILED (once the
 * handshake started) and vg_shim_error() says why. Can be called again
 * after a failure or NEEDS_RESET to start over.
 */
int vg_shim_probe(struct vg_shim *s);
/* Reset the device (status 0, wait until it reads 0); forget queues. */
int vg_shim_reset(struct vg_shim *s);
const char *vg_shim_error(const struct vg_shim *s);

unsigned int vg_shim_ngpio(const struct vg_shim *s);
/* Name of @gpio ("" if unnamed); NULL for a bad index. */
const char *vg_shim_line_name(const struct vg_shim *s, unsigned int gpio);
/* Index of the line named @ref, or @ref as a decimal index; -ENOENT. */
int vg_shim_line_find(const struct vg_shim *s, const char *ref);
/* Negotiated feature bits. */
uint64_t vg_shim_features(const struct vg_shim *s);
bool vg_shim_has_feature(const struct vg_shim *s, unsigned int bit);
/* Read the device Status register. */
int vg_shim_device_status(struct vg_shim *s, uint8_t *status);

/* requestq operations; @gpio is not checked here (the device must). */
int vg_shim_get_direction(struct vg_shim *s, unsigned int gpio, uint8_t *dir);
int vg_shim_set_direction(struct vg_shim *s, unsigned int gpio, uint8_t dir);
int vg_shim_get_value(struct vg_shim *s, unsigned int gpio, int *value);
int vg_shim_set_value(struct vg_shim *s, unsigned int gpio, int value);
/* gpiolib direction_output: SET_VALUE(@value), then SET_DIRECTION(OUT). */
int vg_shim_direction_output(struct vg_shim *s, unsigned int gpio, int value);
int vg_shim_set_irq_type(struct vg_shim *s, unsigned int gpio, uint8_t type);

/*
 * Any request, framed like the others, without interpreting the answer:
 * the response buffer is @resp_len bytes (GET_LINE_NAMES: up to 1 +
 * names_size; others: up to VG_SHIM_RESP_MAX, so tests can offer wrong
 * sizes); its bytes are copied to @resp and the used length to *used.
 * 0 once the device answered.
 */
#define VG_SHIM_RESP_MAX 16u
int vg_shim_request(struct vg_shim *s, uint16_t type, uint16_t gpio,
		    uint32_t value, uint8_t *resp, uint32_t resp_len,
		    uint32_t *used);

/*
 * Unmask @gpio: queue its eventq buffer (2-byte gpio readable, 1-byte
 * status writable). -EOPNOTSUPP without F_IRQ, -EBUSY if already queued,
 * -EINVAL for @gpio >= ngpio.
 */
int vg_shim_irq_unmask(struct vg_shim *s, unsigned int gpio);
/*
 * Wait up to @timeout_ms (-1 = forever) for a returned eventq buffer.
 * 1 and *ev, 0 on timeout, -errno. A buffer returned with a used length
 * other than 1 is reported in *ev and as -EPROTO. The line is masked
 * again until the caller unmasks it (like handle_level_irq).
 */
int vg_shim_wait_event(struct vg_shim *s, int timeout_ms,
		       struct vg_shim_event *ev);

/*
 * The interrupt handler: read InterruptStatus, acknowledge those bits,
 * drain the used rings; a config interrupt with DEVICE_NEEDS_RESET makes
 * every later call fail with -ENODEV until a reset. 0 or -errno.
 */
int vg_shim_interrupt(struct vg_shim *s);

/*
 * Wait up to @timeout_ms for one interrupt and handle it: 1 if one came,
 * 0 on timeout, -errno from the wire.
 */
int vg_shim_wait_irq(struct vg_shim *s, int timeout_ms);

/* Register access through the wire; failures become sticky wire errors. */
uint32_t vg_shim_read32(struct vg_shim *s, uint64_t off);
void vg_shim_write32(struct vg_shim *s, uint64_t off, uint32_t val);

#endif /* VGPIO_SHIM_H */
