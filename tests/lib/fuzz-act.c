// SPDX-License-Identifier: BSD-3-Clause
#include "fuzz-act.h"

void vg_fuzz_act_edge(struct vg_fuzz_in *in, struct vg_fakeacl *fa)
{
	uint8_t b = vg_fuzz_u8(in);

	vg_fakeprov_inject_edge(fa->fp, (b & 0x7fu) % fa->acl.n,
				b & 0x80 ? VG_EDGE_RISING : VG_EDGE_FALLING);
	vg_fakeprov_dispatch(fa->fp);
}

unsigned int vg_fuzz_act_run(struct vg_fuzz_in *in, struct vg_gpio *g,
			     unsigned int max)
{
	unsigned int budget = vg_fuzz_u8(in) % max;
	unsigned int n = vg_gpio_run(g, budget);

	VG_FUZZ_CHECK(n <= budget);
	VG_FUZZ_CHECK(n || !budget || !vg_gpio_pending(g));
	return n;
}
