// SPDX-License-Identifier: BSD-3-Clause
/*
 * The shim's lifecycle and probe: what Linux virtio_mmio.c (vm_probe,
 * vm_get_features, vm_finalize_features, vm_setup_vq), the virtio core
 * (register_virtio_device, virtio_dev_probe, virtio_features_ok) and
 * gpio-virtio.c (virtio_gpio_probe, virtio_gpio_get_names) do, in the same
 * order, so the device sees exactly the register traffic of a real guest.
 * Requests and interrupts are in shim-io.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vgpio/virtio_mmio.h>
#include "num.h"
#include "shim.h"

/* Polls of Status after a reset before giving up (spec: wait for 0). */
#define SHIM_RESET_POLLS 1000
/* Config reads retried while CONFIG_GENERATION keeps changing. */
#define SHIM_CONFIG_TRIES 64
/* Per-line buffer block: req +0, res +16, ireq +32, ires +48. */
#define SHIM_LINE_BLOCK 64

uint32_t vg_shim_read32(struct vg_shim *s, uint64_t off)
{
	uint64_t v = 0;
	int rc;

	if (s->wire_err || !s->wire.ops)
		return 0;
	rc = s->wire.ops->mmio(s->wire.ctx, false, off, 4, &v);
	if (rc) {
		s->wire_err = rc;
		return 0;
	}
	return (uint32_t)v;
}

void vg_shim_write32(struct vg_shim *s, uint64_t off, uint32_t val)
{
	uint64_t v = val;
	int rc;

	if (s->wire_err || !s->wire.ops)
		return;
	rc = s->wire.ops->mmio(s->wire.ctx, true, off, 4, &v);
	if (rc)
		s->wire_err = rc;
}

static uint8_t shim_read8(struct vg_shim *s, uint64_t off)
{
	uint64_t v = 0;
	int rc;

	if (s->wire_err)
		return 0;
	rc = s->wire.ops->mmio(s->wire.ctx, false, off, 1, &v);
	if (rc) {
		s->wire_err = rc;
		return 0;
	}
	return (uint8_t)v;
}

static int shim_fail(struct vg_shim *s, int rc, const char *fmt, ...)
	VG_PRINTF(3, 4);

/*
 * A probe step failed: say why and, like virtio_dev_probe(), tell the
 * device with FAILED. A dead wire's error wins over @rc.
 */
static int shim_fail(struct vg_shim *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	if (s->wire_err) {
		size_t n = strlen(s->errmsg);

		snprintf(s->errmsg + n, sizeof(s->errmsg) - n,
			 " (connection: %s)", strerror(-s->wire_err));
		return s->wire_err;
	}
	if (s->started)
		vg_shim_write32(s, VG_MMIO_STATUS,
				vg_shim_read32(s, VG_MMIO_STATUS) |
					VG_STATUS_FAILED);
	return rc;
}

int vg_shim_new(const struct vg_shim_opts *o, struct vg_shim **out)
{
	struct vg_shim *s;
	size_t ram;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (o)
		s->opts = *o;
	if (!s->opts.timeout_ms)
		s->opts.timeout_ms = VG_SHIM_TIMEOUT_DEFAULT;
	ram = s->opts.ram_size ? s->opts.ram_size : VG_SHIM_RAM_DEFAULT;
	rc = vg_drv_mem_init(&s->mem, VG_SHIM_RAM_BASE, ram, s->opts.grants);
	if (rc) {
		free(s);
		return rc;
	}
	s->probe_brk = s->mem.brk;
	*out = s;
	return 0;
}

/* Drop everything the last probe learnt or allocated. */
static void shim_forget(struct vg_shim *s)
{
	free(s->lines);
	free(s->names);
	free(s->names_block);
	free(s->events);
	s->lines = NULL;
	s->names = NULL;
	s->names_block = NULL;
	s->events = NULL;
	s->ev_head = s->ev_count = 0;
	s->ngpio = 0;
	s->names_size = 0;
	s->nvqs = 0;
	s->features = s->device_features = 0;
	s->ready = false;
	s->started = false;
	s->dev_err = 0;
	s->raw_queues = 0;
	memset(s->vq, 0, sizeof(s->vq));
	/* The device was reset and no longer owns any of this RAM. */
	if (s->mem.brk > s->probe_brk) {
		memset(vg_drv_ptr(&s->mem, s->probe_brk), 0,
		       s->mem.brk - s->probe_brk);
		s->mem.brk = s->probe_brk;
	}
}

void vg_shim_free(struct vg_shim *s)
{
	if (!s)
		return;
	vg_shim_wire_close(&s->wire);
	shim_forget(s);
	vg_drv_mem_dispose(&s->mem);
	free(s);
}

void vg_shim_set_wire(struct vg_shim *s, const struct vg_shim_wire *w)
{
	vg_shim_wire_close(&s->wire);
	s->wire = *w;
	s->wire_err = 0;
}

int vg_shim_connect_loop(struct vg_shim *s, const char *path,
			 const char *domain)
{
	struct vg_shim_loop_params p = {
		.path = path,
		.domain = domain,
		.mem = &s->mem,
		.max_piece = s->opts.max_piece,
	};
	struct vg_shim_wire w;
	int rc;

	rc = vg_shim_wire_loop_open(&p, &w, s->errmsg, sizeof(s->errmsg));
	if (rc)
		return rc;
	vg_shim_set_wire(s, &w);
	return 0;
}

const char *vg_shim_error(const struct vg_shim *s)
{
	return s->errmsg[0] ? s->errmsg : "no error";
}

int vg_shim_reset(struct vg_shim *s)
{
	unsigned int i;

	if (!s->wire.ops)
		return -ENOTCONN;
	vg_shim_write32(s, VG_MMIO_STATUS, 0);
	/* virtio 1.2 3.1.1: wait for status to read 0 before going on. */
	for (i = 0; i < SHIM_RESET_POLLS && !s->wire_err; i++)
		if (vg_shim_read32(s, VG_MMIO_STATUS) == 0)
			break;
	shim_forget(s);
	if (s->wire_err)
		return s->wire_err;
	return i < SHIM_RESET_POLLS ? 0 : -ETIMEDOUT;
}

/* virtio_add_status(): read-modify-write, as Linux does. */
static void shim_add_status(struct vg_shim *s, uint32_t bits)
{
	vg_shim_write32(s, VG_MMIO_STATUS,
			vg_shim_read32(s, VG_MMIO_STATUS) | bits);
}

/* vm_probe(): identify the device before anything is written. */
static int shim_identify(struct vg_shim *s)
{
	uint32_t magic = vg_shim_read32(s, VG_MMIO_MAGIC_VALUE);

	if (magic != VG_MMIO_MAGIC)
		return shim_fail(s, -ENODEV, "wrong magic value 0x%08x", magic);
	s->version = vg_shim_read32(s, VG_MMIO_VERSION);
	if (s->version == 1)
		return shim_fail(s, -ENODEV,
				 "legacy virtio-mmio (version 1) device, "
				 "only version 2 is supported");
	if (s->version != VG_MMIO_VERSION_MODERN)
		return shim_fail(s, -ENODEV, "version %u not supported",
				 s->version);
	s->device_id = vg_shim_read32(s, VG_MMIO_DEVICE_ID);
	if (s->device_id == 0)
		return shim_fail(s, -ENODEV,
				 "device ID 0: no device behind this window");
	if (s->device_id != VG_VIRTIO_ID_GPIO)
		return shim_fail(s, -ENODEV,
				 "device ID %u is not a GPIO device (%u)",
				 s->device_id, VG_VIRTIO_ID_GPIO);
	s->vendor_id = vg_shim_read32(s, VG_MMIO_VENDOR_ID);
	return s->wire_err ? shim_fail(s, s->wire_err, "identify") : 0;
}

/* vm_get_features() + driver feature table + vm_finalize_features(). */
static int shim_negotiate(struct vg_shim *s)
{
	uint64_t dev, drv;

	vg_shim_write32(s, VG_MMIO_DEVICE_FEATURES_SEL, 1);
	dev = (uint64_t)vg_shim_read32(s, VG_MMIO_DEVICE_FEATURES) << 32;
	vg_shim_write32(s, VG_MMIO_DEVICE_FEATURES_SEL, 0);
	dev |= vg_shim_read32(s, VG_MMIO_DEVICE_FEATURES);
	s->device_features = dev;

	if (!(dev & VG_BIT(VG_F_VERSION_1)))
		return shim_fail(s, -EINVAL,
				 "version 2 device without VIRTIO_F_VERSION_1 "
				 "(features 0x%llx)",
				 (unsigned long long)dev);
	drv = VG_BIT(VG_F_VERSION_1);
	if (dev & VG_BIT(VG_F_ACCESS_PLATFORM))
		drv |= VG_BIT(VG_F_ACCESS_PLATFORM);
	else if (s->opts.grants)
		/* Xen grant DMA refuses such devices (virtio_check_mem_acc). */
		return shim_fail(s, -ENODEV,
				 "grants need VIRTIO_F_ACCESS_PLATFORM, "
				 "which the device does not offer");
	if (!s->opts.no_irq)
		drv |= dev & VG_BIT(VG_GPIO_F_IRQ);
	if (!s->opts.no_indirect)
		drv |= dev & VG_BIT(VG_F_RING_INDIRECT_DESC);
	if (!s->opts.no_event_idx)
		drv |= dev & VG_BIT(VG_F_RING_EVENT_IDX);
	s->features = drv;

	vg_shim_write32(s, VG_MMIO_DRIVER_FEATURES_SEL, 1);
	vg_shim_write32(s, VG_MMIO_DRIVER_FEATURES, (uint32_t)(drv >> 32));
	vg_shim_write32(s, VG_MMIO_DRIVER_FEATURES_SEL, 0);
	vg_shim_write32(s, VG_MMIO_DRIVER_FEATURES, (uint32_t)drv);

	/* virtio_features_ok(): the device may refuse by not keeping it. */
	shim_add_status(s, VG_STATUS_FEATURES_OK);
	if (!(vg_shim_read32(s, VG_MMIO_STATUS) & VG_STATUS_FEATURES_OK))
		return shim_fail(s, -ENODEV, "device refuses features 0x%llx",
				 (unsigned long long)drv);
	return 0;
}

/*
 * virtio_cread_bytes() as gpio-virtio.c used it until 2025: one byte at a
 * time, retried until CONFIG_GENERATION is the same before and after.
 */
static int shim_read_config(struct vg_shim *s)
{
	struct vg_gpio_config cfg;
	uint8_t *b = (uint8_t *)&cfg;
	uint32_t before, after;
	unsigned int tries = 0, i;

	do {
		if (++tries > SHIM_CONFIG_TRIES)
			return shim_fail(s, -EIO,
					 "config generation never stable");
		before = vg_shim_read32(s, VG_MMIO_CONFIG_GENERATION);
		for (i = 0; i < sizeof(cfg); i++)
			b[i] = shim_read8(s, VG_MMIO_CONFIG + i);
		after = vg_shim_read32(s, VG_MMIO_CONFIG_GENERATION);
	} while (before != after && !s->wire_err);
	if (s->wire_err)
		return shim_fail(s, s->wire_err, "reading config");
	s->ngpio = vg_le16_get(cfg.ngpio);
	s->names_size = vg_le32_get(cfg.gpio_names_size);
	if (!s->ngpio)
		return shim_fail(s, -EINVAL, "Number of GPIOs can't be zero");
	return 0;
}

/* vm_setup_vq() for queue @q. */
static int shim_setup_vq(struct vg_shim *s, unsigned int q)
{
	struct vg_drv_vq *vq = &s->vq[q];
	uint32_t max, size;
	int rc;

	vg_shim_write32(s, VG_MMIO_QUEUE_SEL, q);
	if (vg_shim_read32(s, VG_MMIO_QUEUE_READY))
		return shim_fail(s, -ENOENT, "queue %u already in use", q);
	max = vg_shim_read32(s, VG_MMIO_QUEUE_NUM_MAX);
	if (!max)
		return shim_fail(s, -ENOENT, "queue %u not available", q);
	size = s->opts.queue_size;
	if (!size)
		size = max < VG_DRV_VQ_MAX ? max : VG_DRV_VQ_MAX;
	if (size > max)
		return shim_fail(s, -EINVAL,
				 "queue size %u above the device's %u", size,
				 max);
	rc = vg_drv_vq_init(vq, &s->mem, (uint16_t)size,
			    vg_shim_has_feature(s, VG_F_RING_INDIRECT_DESC),
			    vg_shim_has_feature(s, VG_F_RING_EVENT_IDX));
	if (rc)
		return shim_fail(s, rc, "queue %u of size %u: %s", q, size,
				 strerror(-rc));
	vg_shim_write32(s, VG_MMIO_QUEUE_NUM, size);
	{
		uint64_t d = vg_drv_dma(&s->mem, vq->desc, false);
		uint64_t a = vg_drv_dma(&s->mem, vq->avail, false);
		uint64_t u = vg_drv_dma(&s->mem, vq->used, false);

		vg_shim_write32(s, VG_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
		vg_shim_write32(s, VG_MMIO_QUEUE_DESC_HIGH,
				(uint32_t)(d >> 32));
		vg_shim_write32(s, VG_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
		vg_shim_write32(s, VG_MMIO_QUEUE_DRIVER_HIGH,
				(uint32_t)(a >> 32));
		vg_shim_write32(s, VG_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
		vg_shim_write32(s, VG_MMIO_QUEUE_DEVICE_HIGH,
				(uint32_t)(u >> 32));
	}
	vg_shim_write32(s, VG_MMIO_QUEUE_READY, 1);
	return s->wire_err ? shim_fail(s, s->wire_err, "queue %u", q) : 0;
}

/* Per-line buffers (Linux: struct virtio_gpio_line, cacheline aligned). */
static int shim_alloc_lines(struct vg_shim *s)
{
	unsigned int n = s->ngpio + 1u, i;
	uint64_t block;

	s->lines = calloc(n, sizeof(*s->lines));
	s->events = calloc(n, sizeof(*s->events));
	if (!s->lines || !s->events)
		return shim_fail(s, -ENOMEM, "out of memory");
	block = vg_drv_alloc(&s->mem, (size_t)n * SHIM_LINE_BLOCK, 64);
	s->names_res = vg_drv_alloc(&s->mem, 1 + (size_t)s->names_size, 8);
	if (!block || !s->names_res)
		return shim_fail(s, -ENOMEM, "guest RAM too small for %u lines",
				 n - 1);
	for (i = 0; i < n; i++) {
		struct vg_shim_line *ln = &s->lines[i];
		uint64_t b = block + (uint64_t)i * SHIM_LINE_BLOCK;

		ln->req = b;
		ln->res = b + 16;
		ln->ireq = b + 32;
		ln->ires = b + 48;
	}
	return 0;
}

/*
 * virtio_gpio_get_names(): force the last byte to 0, walk ngpio strings;
 * a block too short for them means no names at all.
 */
static void shim_parse_names(struct vg_shim *s, const char *block, size_t n)
{
	const char *str, *end = block + n;
	unsigned int i;

	s->names_block = malloc(n);
	s->names = calloc(s->ngpio, sizeof(*s->names));
	if (!s->names_block || !s->names)
		goto none;
	memcpy(s->names_block, block, n);
	s->names_block[n - 1] = '\0';
	str = s->names_block;
	end = s->names_block + n;
	for (i = 0; i < s->ngpio; i++) {
		s->names[i] = str;
		str += strlen(str) + 1;
		if (str > end) {
			snprintf(s->errmsg, sizeof(s->errmsg),
				 "gpio_names block is too short (%u)", i);
			goto none;
		}
	}
	return;
none:
	free(s->names);
	free(s->names_block);
	s->names = NULL;
	s->names_block = NULL;
}

static int shim_get_names(struct vg_shim *s)
{
	uint8_t *res;
	uint32_t used;
	int rc;

	if (!s->names_size)
		return 0;
	res = malloc(1 + (size_t)s->names_size);
	if (!res)
		return shim_fail(s, -ENOMEM, "out of memory");
	rc = vg_shim_request(s, VG_GPIO_MSG_GET_LINE_NAMES, 0, 0, res,
			     1 + s->names_size, &used);
	if (rc == 0 && res[0] == VG_GPIO_STATUS_OK && used == 1 + s->names_size)
		shim_parse_names(s, (const char *)res + 1, s->names_size);
	else if (rc == 0)
		/* Linux: "Failed to get GPIO names", probe goes on. */
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "Failed to get GPIO names (status %u, len %u)", res[0],
			 used);
	free(res);
	return rc ? shim_fail(s, rc, "GET_LINE_NAMES: %s", strerror(-rc)) : 0;
}

int vg_shim_probe(struct vg_shim *s)
{
	unsigned int q, i;
	int rc;

	s->errmsg[0] = '\0';
	if (!s->wire.ops)
		return shim_fail(s, -ENOTCONN, "no connection to a device");
	if (s->wire_err)
		return shim_fail(s, s->wire_err, "connection failed earlier");
	shim_forget(s);
	rc = shim_identify(s);
	if (rc)
		return rc;
	/* register_virtio_device(): reset, then ACKNOWLEDGE. */
	rc = vg_shim_reset(s);
	if (rc)
		return shim_fail(s, rc, "device does not reset");
	s->started = true;
	shim_add_status(s, VG_STATUS_ACKNOWLEDGE);
	/* virtio_dev_probe(): DRIVER, features, FEATURES_OK. */
	shim_add_status(s, VG_STATUS_DRIVER);
	rc = shim_negotiate(s);
	if (rc)
		return rc;
	/* virtio_gpio_probe(): config, then the queues, then DRIVER_OK. */
	rc = shim_read_config(s);
	if (rc)
		return rc;
	rc = shim_alloc_lines(s);
	if (rc)
		return rc;
	s->nvqs = vg_shim_has_feature(s, VG_GPIO_F_IRQ) ? 2 : 1;
	for (q = 0; q < s->nvqs; q++) {
		rc = shim_setup_vq(s, q);
		if (rc)
			return rc;
	}
	shim_add_status(s, VG_STATUS_DRIVER_OK);
	if (s->wire_err)
		return shim_fail(s, s->wire_err, "DRIVER_OK");
	s->ready = true;
	rc = shim_get_names(s);
	if (rc)
		return rc;
	/* gpiochip_add_data(): get_direction() for every line. */
	for (i = 0; i < s->ngpio; i++) {
		uint8_t dir = VG_GPIO_DIRECTION_NONE;

		rc = vg_shim_get_direction(s, i, &dir);
		/* STATUS_ERR only makes gpiolib assume an input. */
		if (rc && rc != -EIO)
			return shim_fail(s, rc, "GET_DIRECTION %u: %s", i,
					 strerror(-rc));
		s->lines[i].dir = dir;
	}
	return 0;
}

unsigned int vg_shim_ngpio(const struct vg_shim *s)
{
	return s->ngpio;
}

const char *vg_shim_line_name(const struct vg_shim *s, unsigned int gpio)
{
	if (gpio >= s->ngpio)
		return NULL;
	return s->names ? s->names[gpio] : "";
}

int vg_shim_line_find(const struct vg_shim *s, const char *ref)
{
	unsigned int i;

	/* The project's one rule (base/num.h): a number is an index. */
	if (vg_lineref_offset(ref, &i))
		return i < s->ngpio ? (int)i : -ENOENT;
	for (i = 0; s->names && i < s->ngpio; i++)
		if (s->names[i][0] && strcmp(s->names[i], ref) == 0)
			return (int)i;
	return -ENOENT;
}

uint64_t vg_shim_features(const struct vg_shim *s)
{
	return s->features;
}

bool vg_shim_has_feature(const struct vg_shim *s, unsigned int bit)
{
	return bit < 64 && (s->features & VG_BIT(bit));
}

int vg_shim_device_status(struct vg_shim *s, uint8_t *status)
{
	uint32_t v = vg_shim_read32(s, VG_MMIO_STATUS);

	if (s->wire_err)
		return s->wire_err;
	*status = (uint8_t)v;
	return 0;
}
