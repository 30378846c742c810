// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the policy parser. Whatever it accepts must satisfy the invariants
 * the rest of the daemon relies on, and must build a working sim: every
 * chip, wire and pull is accepted by backend/providers/sim.c and every
 * domain line on a sim chip opens (no line is held twice), and every Xen
 * device window passes the policy's own check. The writer is the parser's
 * inverse: replacing the first domain's section with what
 * vg_config_write_domain() makes of it (as vgpio-assign does) parses
 * again to the same domain.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sim.h"
#include "fuzz-input.h"

static void check_str(const char *s, size_t max)
{
	size_t i, n;

	VG_FUZZ_CHECK(s);
	n = strlen(s);
	VG_FUZZ_CHECK(n >= 1 && n <= max);
	for (i = 0; i < n; i++)
		VG_FUZZ_CHECK(s[i] > ' ' && s[i] < 0x7f);
}

static const struct vg_config_sim *sim_of(const struct vg_config *cfg,
					  const char *chip)
{
	unsigned int i;

	for (i = 0; i < cfg->nsims; i++)
		if (!strcmp(cfg->sims[i].name, chip))
			return &cfg->sims[i];
	return NULL;
}

static void check_sims(const struct vg_config *cfg)
{
	unsigned int i, j, k;

	for (i = 0; i < cfg->nsims; i++) {
		const struct vg_config_sim *s = &cfg->sims[i];

		check_str(s->name, VG_CONFIG_NAME_MAX);
		VG_FUZZ_CHECK(!strchr(s->name, ':'));
		for (j = 0; j < i; j++)
			VG_FUZZ_CHECK(strcmp(s->name, cfg->sims[j].name));
		VG_FUZZ_CHECK(s->nlines >= 1 && s->nlines <= VG_SIM_MAX_LINES);
		for (j = 0; s->names && j < s->nlines; j++) {
			if (!s->names[j])
				continue;
			check_str(s->names[j], VG_GPIO_NAME_MAX);
			for (k = 0; k < j; k++)
				VG_FUZZ_CHECK(!s->names[k] ||
					      strcmp(s->names[j], s->names[k]));
		}
		for (j = 0; j < s->nwires; j++) {
			check_str(s->wires[j].out_chip, VG_CONFIG_NAME_MAX);
			check_str(s->wires[j].in_chip, VG_CONFIG_NAME_MAX);
			check_str(s->wires[j].out_line, 1000);
			check_str(s->wires[j].in_line, 1000);
		}
		for (j = 0; j < s->npulls; j++) {
			check_str(s->pulls[j].line, 1000);
			VG_FUZZ_CHECK(s->pulls[j].value == 0 ||
				      s->pulls[j].value == 1);
		}
	}
}

static void check_domains(const struct vg_config *cfg)
{
	unsigned int i, j, k, m;

	for (i = 0; i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		check_str(d->name, VG_CONFIG_NAME_MAX);
		VG_FUZZ_CHECK(vg_config_domain(cfg, d->name) == d);
		VG_FUZZ_CHECK(d->nlines >= 1);
		if (d->has_xen_device) {
			char err[256];

			VG_FUZZ_CHECK(!vg_config_xen_device_check(
				&d->xen_device, err, sizeof(err)));
		}
		for (j = 0; j < d->nlines; j++) {
			const struct vg_config_line *l = &d->lines[j];

			check_str(l->chip, VG_CONFIG_NAME_MAX);
			check_str(l->line, VG_GPIO_NAME_MAX);
			if (l->name[0])
				check_str(l->name, VG_GPIO_NAME_MAX);
			VG_FUZZ_CHECK(!(l->allow & ~VG_ALLOW_ALL) && l->allow);
			VG_FUZZ_CHECK(l->safe <= VG_SAFE_HIGH);
			VG_FUZZ_CHECK(l->bias <= VG_BIAS_PULL_DOWN);
			VG_FUZZ_CHECK(l->drive <= VG_DRIVE_OPEN_SOURCE);
			/* Explicit guest names are unique in a domain. */
			for (k = 0; l->name[0] && k < j; k++)
				VG_FUZZ_CHECK(
					strcmp(l->name, d->lines[k].name));
			/* Host lines off sim chips: unique as written. */
			if (sim_of(cfg, l->chip))
				continue;
			for (m = 0; m <= i; m++)
				for (k = 0;
				     k < (m == i ? j : cfg->domains[m].nlines);
				     k++)
					VG_FUZZ_CHECK(strcmp(l->chip,
							     cfg->domains[m]
								     .lines[k]
								     .chip) ||
						      strcmp(l->line,
							     cfg->domains[m]
								     .lines[k]
								     .line));
		}
	}
}

/* What the parser accepted, the sim must accept too. */
static void check_against_sim(const struct vg_config *cfg)
{
	const struct vg_provider_ops *ops = &vg_sim_provider_ops;
	struct vg_sim *sim;
	unsigned int i, j;

	if (vg_sim_new(NULL, &sim))
		return;
	for (i = 0; i < cfg->nsims; i++)
		VG_FUZZ_CHECK(!vg_sim_add_chip(
			sim, cfg->sims[i].name, cfg->sims[i].nlines,
			(const char *const *)cfg->sims[i].names));
	for (i = 0; i < cfg->nsims; i++) {
		const struct vg_config_sim *s = &cfg->sims[i];

		for (j = 0; j < s->nwires; j++)
			VG_FUZZ_CHECK(!vg_sim_wire(
				sim, s->wires[j].out_chip, s->wires[j].out_line,
				s->wires[j].in_chip, s->wires[j].in_line));
		for (j = 0; j < s->npulls; j++)
			VG_FUZZ_CHECK(!vg_sim_set_pull(sim, s->name,
						       s->pulls[j].line,
						       s->pulls[j].value));
	}
	for (i = 0; i < cfg->ndomains; i++) {
		for (j = 0; j < cfg->domains[i].nlines; j++) {
			const struct vg_config_line *l =
				&cfg->domains[i].lines[j];
			struct vg_line_spec spec = {
				.chip = l->chip,
				.line = l->line,
				.bias = l->bias,
				.drive = l->drive,
				.active_low = l->active_low,
				.debounce_us = l->debounce_us,
				.initial_dir = l->safe == VG_SAFE_INPUT
						       ? VG_DIR_IN
						       : VG_DIR_OUT,
				.initial_value = l->safe == VG_SAFE_HIGH,
			};
			struct vg_line *line;

			if (!sim_of(cfg, l->chip))
				continue;
			VG_FUZZ_CHECK(!ops->line_open(sim, &spec, "fuzz", NULL,
						      NULL, &line));
		}
	}
	ops->dispatch(sim);
	vg_sim_free(sim);
}

static bool line_equal(const struct vg_config_line *a,
		       const struct vg_config_line *b)
{
	return !strcmp(a->chip, b->chip) && !strcmp(a->line, b->line) &&
	       !strcmp(a->name, b->name) && a->allow == b->allow &&
	       a->safe == b->safe && a->bias == b->bias &&
	       a->drive == b->drive && a->active_low == b->active_low &&
	       a->debounce_us == b->debounce_us;
}

static void check_round_trip(const struct vg_config *cfg, const char *text,
			     size_t len)
{
	const struct vg_config_domain *d = &cfg->domains[0], *d2;
	struct vg_config *cfg2 = NULL;
	size_t start, end, wlen;
	char *sect = NULL, *t2, err[256];
	unsigned int i;

	VG_FUZZ_CHECK(vg_config_find_section(text, len, "domain", d->name,
					     &start, &end) == 1);
	VG_FUZZ_CHECK(start < end && end <= len);
	VG_FUZZ_CHECK(!vg_config_write_domain(d, &sect, &wlen));
	t2 = malloc(len - (end - start) + wlen);
	if (!t2) {
		free(sect);
		return;
	}
	memcpy(t2, text, start);
	memcpy(t2 + start, sect, wlen);
	memcpy(t2 + start + wlen, text + end, len - end);
	VG_FUZZ_CHECK(!vg_config_parse(t2, len - (end - start) + wlen, "rt",
				       &cfg2, err, sizeof(err)));
	d2 = vg_config_domain(cfg2, d->name);
	VG_FUZZ_CHECK(d2 && d2->nlines == d->nlines);
	VG_FUZZ_CHECK(d2->has_xen_device == d->has_xen_device);
	VG_FUZZ_CHECK(d2->xen_device.base == d->xen_device.base &&
		      d2->xen_device.irq == d->xen_device.irq &&
		      d2->xen_device.irq_kind == d->xen_device.irq_kind &&
		      d2->xen_device.grants == d->xen_device.grants &&
		      !d2->xen_device.domid);
	for (i = 0; i < d->nlines; i++)
		VG_FUZZ_CHECK(line_equal(&d->lines[i], &d2->lines[i]));
	vg_config_free(cfg2);
	free(t2);
	free(sect);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_config *cfg = NULL;
	char err[256];
	int rc;

	rc = vg_config_parse((const char *)data, size, "fuzz", &cfg, err,
			     sizeof(err));
	if (rc) {
		VG_FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM);
		VG_FUZZ_CHECK(!cfg);
		VG_FUZZ_CHECK(!strncmp(err, "fuzz:", 5));
		return 0;
	}
	VG_FUZZ_CHECK(cfg);
	check_sims(cfg);
	check_domains(cfg);
	check_against_sim(cfg);
	if (cfg->ndomains)
		check_round_trip(cfg, (const char *)data, size);
	vg_config_free(cfg);
	return 0;
}
