// SPDX-License-Identifier: BSD-3-Clause
#include <endian.h>
#include <string.h>
#include "dummydev.h"

static unsigned int dummy_num_queues(void *dev)
{
	struct vg_dummy *d = dev;

	return vg_vdev_has_feature(&d->vd, VG_DUMMY_F_Q1) ? 2 : 1;
}

static void dummy_config_read(void *dev, uint8_t *buf)
{
	struct vg_dummy *d = dev;

	memcpy(buf, d->config, sizeof(d->config));
}

static void dummy_kick(void *dev, unsigned int q)
{
	struct vg_dummy *d = dev;

	/* Counted, not asserted: this file is linked without cmocka. */
	if (q < VG_VDEV_MAX_QUEUES)
		d->kicks[q]++;
	else
		d->bad_kicks++;
}

static void dummy_reset(void *dev)
{
	struct vg_dummy *d = dev;

	d->resets++;
}

int vg_dummy_init(struct vg_dummy *d, uint64_t features, uint8_t seed,
		  uint64_t ram_base, size_t ram_size)
{
	unsigned int i;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = vg_inproc_init(&d->ram, ram_base, ram_size);
	if (rc)
		return rc;
	d->cls = (struct vg_vdev_class){
		.name = "dummy",
		.device_id = VG_DUMMY_ID,
		.features = features,
		.config_size = VG_DUMMY_CFG_SIZE,
		.num_queues = dummy_num_queues,
		.config_read = dummy_config_read,
		.kick = dummy_kick,
		.reset = dummy_reset,
	};
	for (i = 0; i < VG_DUMMY_CFG_SIZE; i++)
		d->config[i] = (uint8_t)(seed + i);
	rc = vg_vdev_init(&d->vd, &d->cls, d, &d->ram.bus, NULL);
	if (rc)
		vg_inproc_dispose(&d->ram);
	return rc;
}

void vg_dummy_dispose(struct vg_dummy *d)
{
	vg_inproc_dispose(&d->ram);
}

uint64_t vg_dummy_config_value(const struct vg_dummy *d, uint32_t off,
			       unsigned int size)
{
	uint8_t b[8] = {0};
	uint64_t v;

	memcpy(b, d->config + off, size);
	memcpy(&v, b, sizeof(v));
	return le64toh(v);
}
