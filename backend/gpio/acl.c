// SPDX-License-Identifier: BSD-3-Clause
/*
 * The guest line table check. Deny by default: anything not explicitly
 * allowed (unknown index, revoked or unopened line, operation outside the
 * line's allow mask, unknown op) yields NULL.
 */
#include <stdio.h>
#include "acl.h"

/*
 * VG_ALLOW_IRQ implies input: an interrupt can only be detected on an
 * input, and a device-tree consumer enables an IRQ without ever sending
 * SET_DIRECTION(IN) (docs/protocol.md, "What Linux sends"), so the device
 * has to make the line an input on the guest's behalf. Granting "irq"
 * without "in" therefore still lets the guest read the line and make it
 * an input.
 */
static bool acl_allows(unsigned int allow, enum vg_acl_op op)
{
	switch (op) {
	case VG_OP_QUERY:
	case VG_OP_RELEASE:
		/* Reading or letting go of an assigned line harms nobody. */
		return true;
	case VG_OP_INPUT:
		return allow & (VG_ALLOW_IN | VG_ALLOW_IRQ);
	case VG_OP_OUTPUT:
		return allow & VG_ALLOW_OUT;
	case VG_OP_IRQ:
		return allow & VG_ALLOW_IRQ;
	}
	return false;
}

const struct vg_acl_line *vg_acl_check(const struct vg_acl *acl, uint32_t gpio,
				       enum vg_acl_op op)
{
	const struct vg_acl_line *l;

	if (!acl || !acl->lines || gpio >= acl->n)
		return NULL;
	l = &acl->lines[gpio];
	if (l->revoked || !l->line || !l->prov.ops)
		return NULL;
	if (!acl_allows(l->allow, op))
		return NULL;
	return l;
}

const char *vg_acl_allow_str(unsigned int allow, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *word;
	} words[] = {
		{VG_ALLOW_IN, "in"},
		{VG_ALLOW_OUT, "out"},
		{VG_ALLOW_IRQ, "irq"},
	};
	size_t used = 0;
	size_t i;
	int r;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < VG_ARRAY_SIZE(words); i++) {
		if (!(allow & words[i].bit))
			continue;
		r = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			     words[i].word);
		if (r < 0 || (size_t)r >= len - used) {
			buf[used] = '\0'; /* whole words only */
			return buf;
		}
		used += (size_t)r;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

int vg_acl_safe_state(const struct vg_provider *p, struct vg_line *line,
		      enum vg_safe safe, unsigned int *edges)
{
	int rc = 0, drc;

	if (*edges) {
		/* On failure the provider's state is unknown: keep the record. */
		rc = p->ops->set_edge(p->ctx, line, VG_EDGE_NONE);
		if (!rc)
			*edges = VG_EDGE_NONE;
	}
	if (safe == VG_SAFE_INPUT)
		drc = p->ops->set_direction(p->ctx, line, VG_DIR_IN, 0);
	else
		drc = p->ops->set_direction(p->ctx, line, VG_DIR_OUT,
					    safe == VG_SAFE_HIGH);
	return rc ? rc : drc;
}
