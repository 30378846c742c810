/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the libFuzzer targets in tests/fuzz: the entry point, a check
 * that aborts (libFuzzer then saves the input that tripped it), and a
 * reader that hands out the input as little-endian numbers, 0 once the
 * input is used up, so that every input is a complete script.
 */
#ifndef VGPIO_TEST_FUZZ_INPUT_H
#define VGPIO_TEST_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define VG_FUZZ_CHECK(x)         \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct vg_fuzz_in {
	const uint8_t *p;
	size_t n; /* bytes left */
};

uint8_t vg_fuzz_u8(struct vg_fuzz_in *in);
uint16_t vg_fuzz_u16(struct vg_fuzz_in *in);
uint32_t vg_fuzz_u32(struct vg_fuzz_in *in);

#endif /* VGPIO_TEST_FUZZ_INPUT_H */
