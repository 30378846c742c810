/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A device line table (struct vg_acl) over fake-provider lines
 * (fakeprov.h) whose edge events reach a virtio-gpio device the way the
 * daemon routes a real provider's: what fuzzers and tests hand to
 * vg_gpio_new(). Set @gpio once the device exists; events dispatched
 * before that are dropped.
 */
#ifndef VGPIO_TEST_FAKEACL_H
#define VGPIO_TEST_FAKEACL_H

#include "acl.h"
#include "fakeprov.h"
#include "gpio.h"

#define VG_FAKEACL_MAX_LINES 8u

struct vg_fakeacl;

struct vg_fakeacl_route {
	struct vg_fakeacl *fa;
	unsigned int idx;
};

struct vg_fakeacl {
	struct vg_fakeprov *fp;
	struct vg_acl acl; /* { n, lines } */
	struct vg_acl_line lines[VG_FAKEACL_MAX_LINES];
	struct vg_fakeacl_route route[VG_FAKEACL_MAX_LINES];
	struct vg_gpio *gpio;
};

/*
 * @n lines (1..VG_FAKEACL_MAX_LINES) with host names @names (as for
 * vg_fakeprov_new), all open, allow=all, safe=input, no admin name; the
 * caller may change allow, safe and name before creating the device. @fa
 * must not move afterwards. 0 or -errno.
 */
int vg_fakeacl_init(struct vg_fakeacl *fa, unsigned int n,
		    const char *const *names);
/* Close the lines and free the provider; the device must be gone. */
void vg_fakeacl_dispose(struct vg_fakeacl *fa);

/* Take line @i away for good: marked first, then the device is told. */
void vg_fakeacl_revoke(struct vg_fakeacl *fa, unsigned int i);

#endif /* VGPIO_TEST_FAKEACL_H */
