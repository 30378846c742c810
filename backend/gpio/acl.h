/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest's line table: guest line index -> host line, with the operations
 * the administrator allowed. Deny by default: vg_acl_check() is the one
 * place a guest index is turned into a line, and every device path goes
 * through it before any provider call.
 */
#ifndef VGPIO_ACL_H
#define VGPIO_ACL_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/provider.h>
#include <vgpio/virtio_gpio.h>

/* Allowed operations (bit mask). */
#define VG_ALLOW_IN 0x1u /* configure as input, read */
#define VG_ALLOW_OUT 0x2u /* configure as output, set value */
#define VG_ALLOW_IRQ 0x4u /* interrupts (implies input) */
#define VG_ALLOW_ALL (VG_ALLOW_IN | VG_ALLOW_OUT | VG_ALLOW_IRQ)

/* State a line returns to when the guest lets go, resets, dies. */
enum vg_safe {
	VG_SAFE_INPUT = 0, /* input, edge detection off */
	VG_SAFE_LOW, /* output driving logical 0 */
	VG_SAFE_HIGH, /* output driving logical 1 */
};

/* What a guest request wants to do with a line. */
enum vg_acl_op {
	VG_OP_QUERY, /* GET_DIRECTION, GET_VALUE: any assigned line */
	VG_OP_INPUT, /* SET_DIRECTION(IN) */
	VG_OP_OUTPUT, /* SET_DIRECTION(OUT), SET_VALUE */
	VG_OP_IRQ, /* SET_IRQ_TYPE != NONE, eventq buffers */
	VG_OP_RELEASE, /* SET_DIRECTION(NONE), SET_IRQ_TYPE(NONE) */
};

struct vg_acl_line {
	char name[VG_GPIO_NAME_MAX + 1]; /* guest-visible; "" = unnamed */
	unsigned int allow; /* VG_ALLOW_* */
	enum vg_safe safe;
	struct vg_provider prov;
	struct vg_line *line; /* opened, exclusively held */
	bool revoked; /* taken away while the guest runs */
};

struct vg_acl {
	unsigned int n;
	struct vg_acl_line *lines; /* n entries, owned by whoever built it */
};

/*
 * The ACL check: the line for guest index @gpio if it exists, is not
 * revoked and allows @op; NULL otherwise. Never logs.
 */
const struct vg_acl_line *vg_acl_check(const struct vg_acl *acl, uint32_t gpio,
				       enum vg_acl_op op);

/*
 * The one safe-state routine, for the device and the daemon: turn edge
 * detection off if *@edges says it may be on (and record 0 there once it
 * is off, or keep it on failure), then make @line an input or an output
 * at its safe value, whether or not the edge step failed: the safe value
 * matters more than a stray event. Returns the first provider error (the
 * caller may retry later); 0 when the line is in its safe state.
 */
int vg_acl_safe_state(const struct vg_provider *p, struct vg_line *line,
		      enum vg_safe safe, unsigned int *edges);

/* "in", "out", "irq" words for status output ("in,out,irq"). */
const char *vg_acl_allow_str(unsigned int allow, char *buf, size_t len);

#endif /* VGPIO_ACL_H */
