/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's domains: for each domain name of the policy, the host lines
 * the daemon holds for it (exclusively, consumer "vgpio:<domain>") and the
 * line table (ACL) its guest's device serves, plus that guest's connection.
 *
 * A line taken away from a domain (revoked, or left unused by a new table)
 * whose safe state is an output value stays held at that value ("parked")
 * until a policy assigns it again or the daemon stops: the level of a
 * released line is up to the chip driver (gpio-sim returns it to its
 * pull). A line whose safe state is input is released.
 *
 * Policy changes (vg_doms_apply) work in two phases. Plan: match every
 * line of the new policy to a line already held (same chip, line and
 * electrical options) and open the lines nobody holds yet; if one cannot
 * be opened, close what was opened and change nothing. Commit: revoke at
 * once every held line the new policy no longer gives its domain (guest
 * requests on it fail, line to its safe state, released), open lines that
 * moved, and give each domain its new table: at once if no guest is
 * connected, else at the guest's next device reset (the driver reads the
 * line count only at probe) or disconnection.
 */
#ifndef VGPIO_DOM_H
#define VGPIO_DOM_H

#include <stdbool.h>
#include <stddef.h>
#include <vgpio/provider.h>
#include "config.h"
#include "gpio.h"
#include "guest.h"
#include "log.h"
#include "mmio.h"
#include "remote.h"

struct vg_dom_set;
struct dom_line;

struct vg_dom {
	char name[VG_CONFIG_NAME_MAX + 1];
	struct vg_doms *ds;
	struct vg_dom_set *cur; /* what the guest sees; never NULL */
	struct vg_dom_set *next; /* from the next reset, or NULL */
	struct vg_gpio_stats done; /* counters of earlier connections */
	/* The connected guest's transport token and its info (guest.h). */
	void *conn;
	const struct vg_guest_info *info;
	struct vg_gpio *gpio;
	struct vg_mmio mmio;
	struct vg_log log; /* "<domain>/0" */
	/* Its guests are served by a worker (workers.c): tables defer. */
	bool remote;
};

struct vg_doms_params {
	/*
	 * The line providers, borrowed: a line goes to the first whose
	 * claims() takes its chip.
	 */
	const struct vg_provider *prov;
	unsigned int nprov;
	const struct vg_log_sink *sink;
	struct vg_log *log;
	/*
	 * The lines are lent by a parent that keeps custody (a worker): a
	 * line taken away is released, never parked (its parent parks it),
	 * so the worker keeps no copy of a line it no longer has.
	 */
	bool lent;
	/*
	 * Optional: called by vg_doms_apply() once the plan holds, before
	 * anything changes, with the new policy: the owner ends the workers
	 * for which vg_dom_lent_reopened() is true (their copies of request
	 * fds would keep the kernel from reopening those lines).
	 */
	void (*before_commit)(void *arg, const struct vg_config *cfg);
	void *arg;
};

struct vg_doms {
	struct vg_doms_params p;
	unsigned int n;
	struct vg_dom **v; /* stable addresses */
	/* Revoked lines held at their safe output value (dom.c). */
	unsigned int nparked;
	struct dom_line **parked;
};

void vg_doms_init(struct vg_doms *ds, const struct vg_doms_params *p);
/* Every held line to its safe state and released; domains freed. */
void vg_doms_dispose(struct vg_doms *ds);

/* What vg_doms_apply() did. */
struct vg_doms_change {
	unsigned int added; /* lines opened */
	unsigned int revoked; /* lines taken away and released */
	unsigned int deferred; /* domains whose new table waits for a reset */
	unsigned int failed; /* moved lines that could not be reopened */
};

/*
 * Make the held lines and tables match @cfg (borrowed only during the
 * call). 0, or -errno with @err naming the domain, chip and line that
 * failed and nothing changed (the plan phase). A moved line that fails to
 * reopen in the commit phase is logged, counted in @chg->failed and left
 * revoked.
 */
int vg_doms_apply(struct vg_doms *ds, const struct vg_config *cfg,
		  struct vg_doms_change *chg, char *err, size_t errlen);

struct vg_dom *vg_doms_find(struct vg_doms *ds, const char *name);

/* The table @dom's guest is served now (borrowed, valid until a swap). */
const struct vg_acl *vg_dom_acl(const struct vg_dom *dom);

/* For vg_gpio_params.reset_hook (arg = the dom): swap in a new table. */
void vg_dom_reset_hook(void *arg, struct vg_gpio *g);

/*
 * A transport's guest of this domain is up (guest.h attach()): create its
 * virtio-gpio device on @bus and return the register file to feed. 0, or
 * a positive errno with @reason (no lines assigned, already connected,
 * device creation failed). @bus and @info are borrowed until detach.
 */
int vg_dom_attach(struct vg_dom *dom, void *conn, const struct vg_bus *bus,
		  const struct vg_guest_info *info, struct vg_mmio **mmio,
		  char *reason, size_t reason_len);
/*
 * The guest is gone: its counters are kept, its lines go to their safe
 * state, the device is freed, and a waiting table takes effect. A
 * domain without a guest is fine.
 */
void vg_dom_detach(struct vg_dom *dom);
/* The domain whose guest is attached as @conn, or NULL. */
struct vg_dom *vg_doms_find_conn(struct vg_doms *ds, const void *conn);
/* Counters of every connection so far, the current one included. */
void vg_dom_stats(const struct vg_dom *dom, struct vg_gpio_stats *st);

/* The host line of guest line @i as the policy named it (status). */
void vg_dom_line_host(const struct vg_dom *dom, unsigned int i,
		      const char **chip, const char **line);
/* Parked line @i (< ds->nparked): host line and the value it holds. */
void vg_doms_parked(const struct vg_doms *ds, unsigned int i, const char **chip,
		    const char **line, int *value);

/*
 * Lending to a worker (docs/architecture.md, "Parent and workers"): the
 * domain keeps custody of its lines and lends one to the worker serving
 * its guest when the worker opens it. For vg_remote_server_params.lend:
 * the held line of the domain's table (or of the table waiting for the
 * next reset) whose host line and electrical options and safe state
 * match @spec exactly; -EACCES if there is none, -EBUSY if it is lent.
 * *@allow: the line's rights in the domain's tables. While lent, its
 * edges go to @cookie. A policy change that takes the
 * line away revokes it from the worker first (vg_remote_server_revoke).
 */
int vg_dom_lend(struct vg_dom *dom, const struct vg_line_spec *spec,
		struct vg_remote_lent *cookie, struct vg_provider *prov,
		struct vg_line **line, unsigned int *allow, void **token);
/* For vg_remote_server_params.give_back: back to its safe state, held. */
void vg_dom_give_back(void *token);

/* A real line handed to a worker: the duplicate to send and its names. */
struct vg_dom_fd {
	const char *chip, *line; /* as the policy names them */
	const char *name; /* the host's name for it */
	int fd; /* borrowed: the line's request fd (provider.h line_lend) */
};
/*
 * The request fds of the domain's real lines (its table and the one
 * waiting, providers with line_lend) that are not lent yet, into @out
 * (at most @max, -E2BIG beyond), each then lent: its provider no longer
 * reads its events or drives it until vg_dom_remote_end().
 */
int vg_dom_lend_fds(struct vg_dom *dom, struct vg_dom_fd *out, unsigned int max,
		    unsigned int *n);
/*
 * A worker serves the domain's guests from now (vg_dom_remote_begin)
 * until it ends (vg_dom_remote_end, which takes every lent line back into
 * its safe state). Meanwhile a policy change takes effect in the
 * parent's custody at once, revocations included, and is counted as
 * deferred: the worker gets the new table and its guest sees it from its
 * next device reset.
 */
void vg_dom_remote_begin(struct vg_dom *dom);
void vg_dom_remote_end(struct vg_dom *dom);
/*
 * True if @cfg moves one of the domain's lent host lines to another
 * domain or changes its electrical options: applying it must reopen a
 * line whose request fd a worker holds (the kernel keeps the request
 * until every copy is closed). A line @cfg merely takes away is not.
 */
bool vg_dom_lent_reopened(const struct vg_dom *dom,
			  const struct vg_config *cfg);
/* As vg_dom_policy(), of the table waiting for a reset if there is one. */
int vg_dom_policy_next(const struct vg_dom *dom, char **out, size_t *len);

/*
 * The domain's table now as a policy section (config.h syntax, one
 * [domain] section, lines in table order, revoked ones left out), for
 * the worker that serves its guest. 0 and a malloc'd text, or -errno
 * (-EINVAL for a domain without lines).
 */
int vg_dom_policy(const struct vg_dom *dom, char **out, size_t *len);

/* True if a new table is waiting for the guest's next reset. */
bool vg_dom_pending(const struct vg_dom *dom);

#endif /* VGPIO_DOM_H */
