/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-gpio wire format, exactly as OASIS virtio 1.2 section 5.18 ("GPIO
 * Device", device-types/gpio/description.tex) defines it. Device ID 41.
 * Queue 0 is the requestq, queue 1 the eventq (only if VIRTIO_GPIO_F_IRQ
 * was negotiated).
 */
#ifndef VGPIO_VIRTIO_GPIO_H
#define VGPIO_VIRTIO_GPIO_H

#include "types.h"

#define VG_VIRTIO_ID_GPIO 41u

#define VG_GPIO_QUEUE_REQUEST 0u
#define VG_GPIO_QUEUE_EVENT 1u

/* Feature bit numbers. */
#define VG_GPIO_F_IRQ 0

/* Device configuration layout (8 bytes). */
struct vg_gpio_config {
	struct vg_le16 ngpio;
	uint8_t padding[2]; /* set to zero by the device */
	struct vg_le32 gpio_names_size;
};
VG_STATIC_ASSERT(sizeof(struct vg_gpio_config) == 8, "config is 8 bytes");

/* requestq message types. */
#define VG_GPIO_MSG_GET_LINE_NAMES 0x0001u
#define VG_GPIO_MSG_GET_DIRECTION 0x0002u
#define VG_GPIO_MSG_SET_DIRECTION 0x0003u
#define VG_GPIO_MSG_GET_VALUE 0x0004u
#define VG_GPIO_MSG_SET_VALUE 0x0005u
#define VG_GPIO_MSG_SET_IRQ_TYPE 0x0006u

#define VG_GPIO_STATUS_OK 0x0u
#define VG_GPIO_STATUS_ERR 0x1u

#define VG_GPIO_DIRECTION_NONE 0x00u
#define VG_GPIO_DIRECTION_OUT 0x01u
#define VG_GPIO_DIRECTION_IN 0x02u

#define VG_GPIO_IRQ_TYPE_NONE 0x00u
#define VG_GPIO_IRQ_TYPE_EDGE_RISING 0x01u
#define VG_GPIO_IRQ_TYPE_EDGE_FALLING 0x02u
#define VG_GPIO_IRQ_TYPE_EDGE_BOTH 0x03u
#define VG_GPIO_IRQ_TYPE_LEVEL_HIGH 0x04u
#define VG_GPIO_IRQ_TYPE_LEVEL_LOW 0x08u

/* Device-readable request, 8 bytes. */
struct vg_gpio_request {
	struct vg_le16 type;
	struct vg_le16 gpio;
	struct vg_le32 value;
};
VG_STATIC_ASSERT(sizeof(struct vg_gpio_request) == 8, "request is 8 bytes");

/*
 * Device-writable response, 2 bytes; GET_LINE_NAMES answers with
 * status + gpio_names_size bytes of names instead.
 */
struct vg_gpio_response {
	uint8_t status;
	uint8_t value;
};
VG_STATIC_ASSERT(sizeof(struct vg_gpio_response) == 2, "response is 2 bytes");

/* eventq: device-readable request (2 bytes), device-writable response. */
struct vg_gpio_irq_request {
	struct vg_le16 gpio;
};
struct vg_gpio_irq_response {
	uint8_t status;
};

#define VG_GPIO_IRQ_STATUS_INVALID 0x0u
#define VG_GPIO_IRQ_STATUS_VALID 0x1u

/* Longest guest-visible line name we emit, without the NUL. */
#define VG_GPIO_NAME_MAX 31

#endif /* VGPIO_VIRTIO_GPIO_H */
