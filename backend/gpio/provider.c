// SPDX-License-Identifier: BSD-3-Clause
#include <vgpio/provider.h>

bool vg_provider_ops_valid(const struct vg_provider_ops *ops)
{
	return ops && ops->name && ops->claims && ops->line_open &&
	       ops->line_close && ops->line_name && ops->set_direction &&
	       ops->get_value && ops->set_value && ops->set_edge && ops->fd &&
	       ops->dispatch && !ops->line_lend == !ops->line_reclaim;
}
