// SPDX-License-Identifier: BSD-3-Clause
/*
 * Writing policy text: a domain section from its parsed form, and finding
 * a section in a file's text so that a tool can replace just that one.
 * Contract in config.h. The output is what the parser reads back as the
 * same struct (tests/unit/test-cfgwrite.c checks it option by option).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfglex.h"
#include "config.h"
#include "strbuf.h"

/* virtio-gpio's ngpio is 16 bits wide (as cfgdomain.c). */
#define CFGW_MAX_DOMAIN_LINES 65535u

/*
 * What the lexer reads back as this one word: printable ASCII, none of
 * its punctuation (= , [ ] # and ->), at most @max bytes.
 */
static bool cfgw_word_ok(const char *w, size_t max)
{
	size_t i, n = w ? strnlen(w, max + 1) : 0;

	if (!n || n > max)
		return false;
	for (i = 0; i < n; i++) {
		if (w[i] <= ' ' || w[i] >= 0x7f || strchr("=,[]#", w[i]))
			return false;
		if (w[i] == '-' && w[i + 1] == '>')
			return false;
	}
	return true;
}

static int cfgw_check_line(const struct vg_config_line *l)
{
	size_t nlen = strnlen(l->name, sizeof(l->name));

	if (!cfgw_word_ok(l->chip, VG_CONFIG_NAME_MAX) ||
	    !cfgw_word_ok(l->line, VG_GPIO_NAME_MAX))
		return -EINVAL;
	if (nlen == sizeof(l->name) ||
	    (nlen && !cfgw_word_ok(l->name, VG_GPIO_NAME_MAX)))
		return -EINVAL;
	if (!l->allow || (l->allow & ~VG_ALLOW_ALL))
		return -EINVAL;
	if (l->safe > VG_SAFE_HIGH || l->bias > VG_BIAS_PULL_DOWN ||
	    l->drive > VG_DRIVE_OPEN_SOURCE)
		return -EINVAL;
	return 0;
}

/* The options of @l that differ from the defaults, as the parser names them. */
static void cfgw_line_opts(struct vg_strbuf *b, unsigned int i,
			   const struct vg_config_line *l)
{
	static const char *const allow[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	size_t at = b->len;
	const char *sep = "=";
	unsigned int k;

	vg_strbuf_addf(b, "line %u =", i);
	if (l->name[0])
		vg_strbuf_addf(b, " name=%s", l->name);
	if (l->allow != VG_ALLOW_ALL) {
		vg_strbuf_addf(b, " allow");
		for (k = 0; k < VG_ARRAY_SIZE(bits); k++) {
			if (!(l->allow & bits[k]))
				continue;
			vg_strbuf_addf(b, "%s%s", sep, allow[k]);
			sep = ",";
		}
	}
	if (l->safe != VG_SAFE_INPUT)
		vg_strbuf_addf(b, " safe=%s", vg_config_safe_words[l->safe]);
	if (l->bias != VG_BIAS_AS_IS)
		vg_strbuf_addf(b, " bias=%s", vg_config_bias_words[l->bias]);
	if (l->drive != VG_DRIVE_PUSH_PULL)
		vg_strbuf_addf(b, " drive=%s", vg_config_drive_words[l->drive]);
	if (l->active_low)
		vg_strbuf_addf(b, " active-low=yes");
	if (l->debounce_us)
		vg_strbuf_addf(b, " debounce=%u", (unsigned int)l->debounce_us);
	/* No option differs: no entry (the parser wants at least one). */
	if (!b->rc && b->s[b->len - 1] == '=')
		b->len = at;
	else
		vg_strbuf_addf(b, "\n");
}

/* xen-device = ..., naming irqtype and grants only when not the default. */
static void cfgw_xen_device(struct vg_strbuf *b, const struct vg_devspec *x)
{
	vg_strbuf_addf(b, "xen-device = base=%#llx irq=%u",
		       (unsigned long long)x->base, x->irq);
	if (x->irq_kind != VG_IRQ_DEFAULT)
		vg_strbuf_addf(b, " irqtype=%s",
			       x->irq_kind == VG_IRQ_ISA ? "isa" : "spi");
	if (x->grants)
		vg_strbuf_addf(b, " grants=1");
	vg_strbuf_addf(b, "\n");
}

int vg_config_write_domain(const struct vg_config_domain *d, char **out,
			   size_t *len)
{
	struct vg_strbuf b = {0};
	char err[VG_CONFIG_ERR_MSG_MAX];
	unsigned int i;
	int rc;

	*out = NULL;
	if (!cfgw_word_ok(d->name, VG_CONFIG_NAME_MAX) || !d->nlines ||
	    d->nlines > CFGW_MAX_DOMAIN_LINES || !d->lines)
		return -EINVAL;
	if (d->has_xen_device &&
	    vg_config_xen_device_check(&d->xen_device, err, sizeof(err)))
		return -EINVAL;
	for (i = 0; i < d->nlines; i++) {
		rc = cfgw_check_line(&d->lines[i]);
		if (rc)
			return rc;
	}
	vg_strbuf_addf(&b, "[domain %s]\nlines =", d->name);
	for (i = 0; i < d->nlines; i++) {
		const struct vg_config_line *l = &d->lines[i];

		if (!i)
			vg_strbuf_addf(&b, " %s", l->chip);
		else if (strcmp(l->chip, d->lines[i - 1].chip))
			vg_strbuf_addf(&b, ", %s", l->chip);
		vg_strbuf_addf(&b, " %s", l->line);
	}
	vg_strbuf_addf(&b, "\n");
	if (d->has_xen_device)
		cfgw_xen_device(&b, &d->xen_device);
	for (i = 0; i < d->nlines; i++)
		cfgw_line_opts(&b, i, &d->lines[i]);
	if (b.rc) {
		free(b.s);
		return b.rc;
	}
	b.s[b.len] = '\0';
	*out = b.s;
	if (len)
		*len = b.len;
	return 0;
}

/* --- finding a section ---------------------------------------------------- */

static bool cfgw_tok_is(const struct vg_cfgtok *t, enum vg_cfgtok_kind kind,
			const char *word)
{
	return t->kind == kind && (!word || vg_cfgtok_is(t, word));
}

int vg_config_find_section(const char *text, size_t len, const char *type,
			   const char *name, size_t *start, size_t *end)
{
	struct vg_cfglex lx = {.source = "policy"};
	size_t at = 0;
	bool in = false;
	int rc = 0;

	while (at < len) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;
		size_t next = at + n + (nl != NULL);
		const struct vg_cfgtok *t;

		lx.lineno++;
		if (n && s[n - 1] == '\r' && nl)
			n--;
		if (n > 0xffffffffu) {
			rc = -EINVAL;
			break;
		}
		rc = vg_cfglex_scan(&lx, s, (unsigned int)n);
		if (rc)
			break;
		t = lx.toks;
		if (lx.ntoks && t[0].kind == VG_TOK_LBRACK) {
			if (in)
				break; /* the next section: *end is set */
			if (lx.ntoks >= 4 &&
			    cfgw_tok_is(&t[1], VG_TOK_WORD, type) &&
			    cfgw_tok_is(&t[2], VG_TOK_WORD, name) &&
			    cfgw_tok_is(&t[3], VG_TOK_RBRACK, NULL)) {
				in = true;
				*start = at;
				*end = next;
			}
		} else if (lx.ntoks && in) {
			*end = next;
		}
		at = next;
	}
	free(lx.toks);
	if (rc)
		return rc;
	return in ? 1 : 0;
}
