/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Actions shared by the fuzz targets that drive a virtio-gpio device on
 * fake lines (fuzz-gpio, fuzz-mmio, fuzz-loop): each reads its arguments
 * from the input the same way in every target and checks the same
 * invariants, which abort (VG_FUZZ_CHECK) when they fail.
 */
#ifndef VGPIO_TEST_FUZZ_ACT_H
#define VGPIO_TEST_FUZZ_ACT_H

#include "fakeacl.h"
#include "fuzz-input.h"
#include "gpio.h"

/*
 * One byte: line (bits 0-6, modulo @fa's lines), rising edge if bit 7
 * else falling; injected and dispatched, so it reaches the device.
 */
void vg_fuzz_act_edge(struct vg_fuzz_in *in, struct vg_fakeacl *fa);

/*
 * One byte: a budget (modulo @max) for vg_gpio_run(). Checked: no more
 * chains than budget (each costs at least one unit), and a budget that
 * bought nothing means there was no work. Returns the chains run.
 */
unsigned int vg_fuzz_act_run(struct vg_fuzz_in *in, struct vg_gpio *g,
			     unsigned int max);

#endif /* VGPIO_TEST_FUZZ_ACT_H */
