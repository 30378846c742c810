// SPDX-License-Identifier: BSD-3-Clause
#include "guest.h"

bool vg_transport_class_valid(const struct vg_transport_class *c)
{
	return c && c->name && c->start && c->stop &&
	       !c->device_add == !c->device_remove;
}
