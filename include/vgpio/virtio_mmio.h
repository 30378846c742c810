/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-mmio version 2 ("modern") register layout and the generic virtio
 * constants a virtio-mmio device needs (virtio 1.2, transport-mmio.tex,
 * content.tex).
 *
 * All registers are 32 bits wide, little-endian, naturally aligned; the
 * device-specific configuration space starts at VG_MMIO_CONFIG.
 *
 *   0x000 MagicValue         R   0x74726976 ("virt")
 *   0x004 Version            R   2
 *   0x008 DeviceID           R
 *   0x00c VendorID           R
 *   0x010 DeviceFeatures     R   32 bits selected by DeviceFeaturesSel
 *   0x014 DeviceFeaturesSel  W
 *   0x020 DriverFeatures     W   32 bits selected by DriverFeaturesSel
 *   0x024 DriverFeaturesSel  W
 *   0x030 QueueSel           W
 *   0x034 QueueNumMax        R   0 if QueueSel names no queue
 *   0x038 QueueNum           W
 *   0x044 QueueReady         RW
 *   0x050 QueueNotify        W
 *   0x060 InterruptStatus    R
 *   0x064 InterruptACK       W
 *   0x070 Status             RW  0 resets the device
 *   0x080 QueueDescLow       W   } 64-bit guest addresses of the three
 *   0x084 QueueDescHigh      W   } ring areas of the selected queue
 *   0x090 QueueDriverLow     W   } (driver area = avail ring,
 *   0x094 QueueDriverHigh    W   }  device area = used ring)
 *   0x0a0 QueueDeviceLow     W   }
 *   0x0a4 QueueDeviceHigh    W   }
 *   0x0ac SHMSel             W   (no shared memory regions: reads of
 *   0x0b0 SHMLenLow          R    SHMLen* return all ones, meaning
 *   0x0b4 SHMLenHigh         R    "no such region")
 *   0x0b8 SHMBaseLow         R
 *   0x0bc SHMBaseHigh        R
 *   0x0c0 QueueReset         RW  (only with VIRTIO_F_RING_RESET; not offered)
 *   0x0fc ConfigGeneration   R
 *   0x100 Config             RW  device-specific, any width
 */
#ifndef VGPIO_VIRTIO_MMIO_H
#define VGPIO_VIRTIO_MMIO_H

#define VG_MMIO_MAGIC_VALUE 0x000
#define VG_MMIO_VERSION 0x004
#define VG_MMIO_DEVICE_ID 0x008
#define VG_MMIO_VENDOR_ID 0x00c
#define VG_MMIO_DEVICE_FEATURES 0x010
#define VG_MMIO_DEVICE_FEATURES_SEL 0x014
#define VG_MMIO_DRIVER_FEATURES 0x020
#define VG_MMIO_DRIVER_FEATURES_SEL 0x024
#define VG_MMIO_QUEUE_SEL 0x030
#define VG_MMIO_QUEUE_NUM_MAX 0x034
#define VG_MMIO_QUEUE_NUM 0x038
#define VG_MMIO_QUEUE_READY 0x044
#define VG_MMIO_QUEUE_NOTIFY 0x050
#define VG_MMIO_INTERRUPT_STATUS 0x060
#define VG_MMIO_INTERRUPT_ACK 0x064
#define VG_MMIO_STATUS 0x070
#define VG_MMIO_QUEUE_DESC_LOW 0x080
#define VG_MMIO_QUEUE_DESC_HIGH 0x084
#define VG_MMIO_QUEUE_DRIVER_LOW 0x090
#define VG_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VG_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VG_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VG_MMIO_SHM_SEL 0x0ac
#define VG_MMIO_SHM_LEN_LOW 0x0b0
#define VG_MMIO_SHM_LEN_HIGH 0x0b4
#define VG_MMIO_SHM_BASE_LOW 0x0b8
#define VG_MMIO_SHM_BASE_HIGH 0x0bc
#define VG_MMIO_QUEUE_RESET 0x0c0
#define VG_MMIO_CONFIG_GENERATION 0x0fc
#define VG_MMIO_CONFIG 0x100

/* Size of the MMIO window one device occupies (one 4 KiB page). */
#define VG_MMIO_WINDOW 0x200

#define VG_MMIO_MAGIC 0x74726976u /* "virt" little-endian */
#define VG_MMIO_VERSION_MODERN 2u
#define VG_MMIO_VENDOR 0x4f495056u /* "VPIO", vgpio's vendor id */

/* Device status bits (content.tex, Device Status Field). */
#define VG_STATUS_ACKNOWLEDGE 0x01u
#define VG_STATUS_DRIVER 0x02u
#define VG_STATUS_DRIVER_OK 0x04u
#define VG_STATUS_FEATURES_OK 0x08u
#define VG_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VG_STATUS_FAILED 0x80u

/* InterruptStatus / InterruptACK bits. */
#define VG_INT_VRING 0x1u /* used buffer notification */
#define VG_INT_CONFIG 0x2u /* configuration change notification */

/* Reserved (device-independent) feature bit numbers. */
#define VG_F_RING_INDIRECT_DESC 28
#define VG_F_RING_EVENT_IDX 29
#define VG_F_VERSION_1 32
#define VG_F_ACCESS_PLATFORM 33

#endif /* VGPIO_VIRTIO_MMIO_H */
