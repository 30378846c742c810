// SPDX-License-Identifier: BSD-3-Clause
#include "fuzz-input.h"

uint8_t vg_fuzz_u8(struct vg_fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t vg_fuzz_u16(struct vg_fuzz_in *in)
{
	uint16_t lo = vg_fuzz_u8(in);

	return (uint16_t)(lo | vg_fuzz_u8(in) << 8);
}

uint32_t vg_fuzz_u32(struct vg_fuzz_in *in)
{
	uint32_t lo = vg_fuzz_u16(in);

	return lo | (uint32_t)vg_fuzz_u16(in) << 16;
}
