// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "fakeacl.h"

static void fakeacl_event(void *arg, unsigned int edge)
{
	struct vg_fakeacl_route *r = arg;

	if (r->fa->gpio)
		vg_gpio_line_event(r->fa->gpio, r->idx, edge);
}

int vg_fakeacl_init(struct vg_fakeacl *fa, unsigned int n,
		    const char *const *names)
{
	unsigned int i;
	int rc;

	memset(fa, 0, sizeof(*fa));
	if (!n || n > VG_FAKEACL_MAX_LINES)
		return -EINVAL;
	rc = vg_fakeprov_new(n, names, &fa->fp);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		struct vg_acl_line *l = &fa->lines[i];

		fa->route[i].fa = fa;
		fa->route[i].idx = i;
		l->allow = VG_ALLOW_ALL;
		l->safe = VG_SAFE_INPUT;
		l->prov = vg_fakeprov_provider(fa->fp);
		l->line = vg_fakeprov_open(fa->fp, i, fakeacl_event,
					   &fa->route[i]);
		if (!l->line) {
			fa->acl.n = i;
			vg_fakeacl_dispose(fa);
			return -EIO;
		}
	}
	fa->acl.n = n;
	fa->acl.lines = fa->lines;
	return 0;
}

void vg_fakeacl_dispose(struct vg_fakeacl *fa)
{
	unsigned int i;

	for (i = 0; i < fa->acl.n; i++)
		vg_fakeprov_ops.line_close(fa->fp, fa->lines[i].line);
	vg_fakeprov_free(fa->fp);
	memset(fa, 0, sizeof(*fa));
}

void vg_fakeacl_revoke(struct vg_fakeacl *fa, unsigned int i)
{
	fa->lines[i].revoked = true;
	vg_gpio_line_revoked(fa->gpio, i);
}
