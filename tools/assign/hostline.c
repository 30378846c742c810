// SPDX-License-Identifier: BSD-3-Clause
/* vgpio-assign: host lines, as the policy names them and as the kernel has them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "assign.h"
#include "cfgparse.h"
#include "prov-gpiod.h"

bool vg_line_same(const struct vg_config *cfg, const struct vg_config_line *a,
		  const struct vg_config_line *b)
{
	const struct vg_config_sim *s;

	if (strcmp(a->chip, b->chip))
		return false;
	s = vg_cfgsim_find(cfg, a->chip);
	if (s) {
		int off = vg_cfgsim_line(s, a->line);

		return off >= 0 && off == vg_cfgsim_line(s, b->line);
	}
	return !strcmp(a->line, b->line);
}

int vg_line_probe(const char *domain, const struct vg_config_line *l, char *why,
		  size_t len)
{
	struct vg_gpiod_probe p;
	char own[VG_CONFIG_NAME_MAX + 8];
	int rc = vg_gpiod_probe(l->chip, l->line, &p, why, len);

	if (rc)
		return rc == -ENOENT || rc == -EINVAL || rc == -ENOTTY
			       ? RC_INVALID
			       : RC_FAIL;
	snprintf(own, sizeof(own), "vgpio:%s", domain);
	if (p.used && strcmp(p.consumer, own)) {
		snprintf(why, len, "chip %s line %s: in use by '%s'", l->chip,
			 l->line, p.consumer[0] ? p.consumer : "(unnamed)");
		return RC_INVALID;
	}
	return 0;
}
