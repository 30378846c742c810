/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the policy parser: the state and tables shared by its files.
 *   config.c     the driver: lines, [sections], keys; the public API
 *   cfglex.c     tokens, cursor, strict words, error messages
 *   cfgsim.c     [sim NAME] and its keys
 *   cfgdomain.c  [domain NAME], its keys and a domain line's options
 *   cfgcheck.c   references between sections, checked at the end
 * A new key is one vg_cfgkey entry and one function; a new section type
 * is one vg_cfgsect (and its file), listed in config.c.
 */
#ifndef VGPIO_CFGPARSE_H
#define VGPIO_CFGPARSE_H

#include <stdbool.h>
#include "cfglex.h"
#include "config.h"

struct vg_cfgparse;

/* How a key is written; the driver reads what comes before @parse. */
enum vg_cfgkey_form {
	VG_KEY_LINE, /* KEY = ...: @parse gets the key, reads the rest */
	VG_KEY_VALUE, /* KEY = VALUE: @parse gets the value word */
	VG_KEY_OWN, /* KEY ...: @parse gets the key, reads its own '=' */
};

struct vg_cfgkey {
	const char *name;
	int (*parse)(struct vg_cfgparse *p, const struct vg_cfgtok *t);
	enum vg_cfgkey_form form;
	bool repeatable;
};

/* At most 32 keys: vg_cfgparse_key tracks them in a bit mask. */
struct vg_cfgkeys {
	const char *what; /* "key", "option": in messages */
	const char *where; /* after "unknown key 'x'": " in [sim]" or "" */
	bool first_required; /* v[0] is required, before the others */
	const struct vg_cfgkey *v;
	unsigned int n;
};

struct vg_cfgsect {
	const char *name; /* [NAME ...] */
	const char *what; /* names the section name in errors */
	/* Add section @name (its length checked) to p->cfg. */
	int (*begin)(struct vg_cfgparse *p, const struct vg_cfgtok *name);
	const struct vg_cfgkeys *keys; /* first_required */
};

/* A reference between sections, checked once the whole file is read. */
enum vg_cfgref_kind {
	VG_REF_WIRE, /* sim wire: pos = output, pos2 = input end */
	VG_REF_PULL, /* sim pull */
	VG_REF_HOST_LINE, /* domain line: its host line */
	VG_REF_GUEST_NAME, /* domain line: its name= option */
};

struct vg_cfgref {
	enum vg_cfgref_kind kind;
	unsigned int sect; /* index in cfg->sims or cfg->domains */
	unsigned int entry; /* wire, pull or domain line index */
	struct vg_cfgpos pos, pos2;
};

struct vg_cfgparse {
	struct vg_cfglex lx;
	struct vg_config *cfg;

	const struct vg_cfgsect *sect; /* NULL before the first header */
	struct vg_cfgpos sect_pos;
	char sect_name[VG_CONFIG_NAME_MAX + 1];
	unsigned int seen; /* bit i: key i of the section given */
	unsigned char *opts_done; /* current domain: `line` given, per line */
	struct vg_config_line *line; /* whose options are being read */
	unsigned int xen_irq_col; /* xen-device being read: its irq's column */

	struct vg_cfgref *refs;
	unsigned int nrefs;
};

extern const struct vg_cfgsect vg_cfgsim_sect;
extern const struct vg_cfgsect vg_cfgdomain_sect;

/*
 * Key @t of @keys and what follows it up to the key's own parser, which
 * it runs; *@given has bit i set once key i was read.
 */
int vg_cfgparse_key(struct vg_cfgparse *p, const struct vg_cfgkeys *keys,
		    const struct vg_cfgtok *t, unsigned int *given);

/* The sim chip called @name, or NULL. */
struct vg_config_sim *vg_cfgsim_find(const struct vg_config *cfg,
				     const char *name);
/* Line @line (a name or an offset) of sim @s; -1 if none. */
int vg_cfgsim_line(const struct vg_config_sim *s, const char *line);

/* Record a reference for vg_cfgcheck_run. */
int vg_cfgcheck_add(struct vg_cfgparse *p, enum vg_cfgref_kind kind,
		    unsigned int sect, unsigned int entry, struct vg_cfgpos pos,
		    struct vg_cfgpos pos2);
/*
 * Check the recorded references: sim wires and pulls, then domain host
 * lines (resolved on sim chips, each in one domain only), then guest
 * names (unique within a domain).
 */
int vg_cfgcheck_run(struct vg_cfgparse *p);

#endif /* VGPIO_CFGPARSE_H */
