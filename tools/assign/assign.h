/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vgpio-assign: edit the domain sections of the policy file and apply the
 * result to a running vgpiod. Manual: docs/vgpio-assign.8.md.
 *
 * An edit is one transaction under an flock on FILE.lock (txn.c): read
 * the file, build the domain's new line set from the parsed policy
 * (edit.c), write it as a section (vg_config_write_domain) in place of
 * the old one (every other byte stays), let the strict parser validate
 * the whole new text, probe the host lines named (hostline.c), replace
 * the file atomically (file.c), and send `reload` to vgpiod (vgpiod.c);
 * if vgpiod refuses, the old text goes back the same way. main.c reads
 * the command line; output.c prints list, show, check and status;
 * xlconfig.c prints a domain's xl lines and writes its ACPI table.
 *
 * Messages are "vgpio-assign: <what>: <why>", one per problem, printed
 * where the problem is found; functions return the exit status.
 */
#ifndef VGPIO_ASSIGN_H
#define VGPIO_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <vgpio/types.h>
#include "config.h"
#include "json.h"
#include "strbuf.h"

#define ASSIGN_POLICY_DEFAULT "/etc/vgpio/policy.conf"
/* xl-config's ACPI tables: DIR/DOMAIN.aml unless --table says. */
#define VG_ASSIGN_XL_DIR "/var/lib/vgpio"
#define ASSIGN_FILE_MAX (16u << 20) /* as the parser */
#define ASSIGN_LOCK_WAIT_MS 10000
#define ASSIGN_ERR_MAX 512

/* Exit statuses (docs/vgpio-assign.8.md). */
enum {
	RC_OK = 0,
	RC_FAIL = 1, /* I/O, vgpiod refused, check found problems */
	RC_INVALID = 2, /* usage or invalid input: nothing changed */
	RC_NODAEMON = 3, /* status: vgpiod not reachable */
};

/* The options every command sees. */
struct vg_assign {
	const char *policy;
	const char *control;
	bool json;
};

/* --- main.c --------------------------------------------------------------- */

/* "vgpio-assign: " and the message, on stderr. */
void vg_assign_msg(const char *fmt, ...) VG_PRINTF(1, 2);
/* @why (if any) and the usage on stderr; returns RC_INVALID. */
int vg_assign_usage(const char *why);

/* --- file.c: the policy file ------------------------------------------------ */

struct vg_ptext {
	char *s;
	size_t len;
	bool exists;
	struct stat st;
};

/*
 * Read @path whole into t->s (NUL-terminated, never NULL on success); a
 * missing file is empty text if @missing_ok. 0 or -errno.
 */
int vg_ptext_read(const char *path, bool missing_ok, struct vg_ptext *t);
/* Read and parse t->policy strictly; messages printed. */
int vg_policy_load(const struct vg_assign *t, struct vg_ptext *text,
		   struct vg_config **cfg);
/*
 * Replace @path with @len bytes of @s: a temp file beside it with the old
 * file's mode (and owner, where we may set it), fsync, rename, fsync the
 * directory. On failure @path is untouched and the temp file removed.
 * 0 or -errno.
 */
int vg_file_replace(const char *path, const char *s, size_t len,
		    const struct stat *old);
/* Put back the text read at the start of the transaction. 0 or -errno. */
int vg_file_restore(const char *path, const struct vg_ptext *old);
/* flock FILE.lock, waiting up to ASSIGN_LOCK_WAIT_MS. fd or -errno. */
int vg_lock_take(const char *path);

/* --- hostline.c --------------------------------------------------------------- */

/* Same line: same chip, and on a sim chip the same resolved line. */
bool vg_line_same(const struct vg_config *cfg, const struct vg_config_line *a,
		  const struct vg_config_line *b);
/*
 * Probe host line @l of @domain: it must exist and be free or held by
 * vgpiod for @domain. 0, or RC_INVALID / RC_FAIL with the problem in @why.
 */
int vg_line_probe(const char *domain, const struct vg_config_line *l, char *why,
		  size_t len);

/* --- txn.c: one edit ------------------------------------------------------ */

struct vg_txn {
	const struct vg_assign *t;
	const char *domain;
	int lockfd;
	struct vg_ptext old;
	struct vg_config *cur; /* the policy as it is */
	struct vg_config *scratch; /* what the arguments parsed to */
	struct vg_config_domain nd; /* the domain's new line set */
	unsigned int first; /* nd.lines[first..]: named in LINESET */
	char *text; /* the new policy text */
	size_t len;
	struct vg_config *next; /* ... parsed */
};

/* Lock, read and parse the policy. */
int vg_txn_begin(struct vg_txn *x, const struct vg_assign *t,
		 const char *domain);
/* Free everything and release the lock. */
void vg_txn_end(struct vg_txn *x);
/* An argument spliced into policy text must stay on its own line. */
int vg_txn_arg_check(const char *what, const char *arg);
/*
 * Parse "[domain D]\nlines = @pre@lineset\n" + "line @entries[i]\n" into
 * x->scratch; no sim sections, so chips and lines stay as written. An
 * error names the argument it is in.
 */
int vg_txn_scratch(struct vg_txn *x, const char *pre, const char *lineset,
		   char *const *entries, unsigned int nentries);
/* The guest index a `line REF = ...` entry of the scratch domain names. */
unsigned int vg_txn_entry_index(const struct vg_config_domain *d,
				const char *entry);
/*
 * The new text: x->nd's section in place of the domain's (removed if
 * nd.nlines is 0), or appended; parsed strictly as the validation.
 */
int vg_txn_splice(struct vg_txn *x);
/* Write the new text, then apply it. */
int vg_txn_commit(struct vg_txn *x);

/* --- edit.c: assign, revoke ---------------------------------------------- */

struct vg_assign_args {
	const char *domain, *lineset;
	bool replace, offline;
	char **entries; /* --line values */
	unsigned int nentries;
};

int vg_cmd_assign(const struct vg_assign *t, const struct vg_assign_args *a);
int vg_cmd_revoke(const struct vg_assign *t, const char *domain,
		  const char *lineset);
/*
 * xen-device DOMAIN KEY=VALUE...: set the domain's window (the policy's
 * xen-device, its @n words @args); with @args NULL remove it.
 */
int vg_cmd_window(const struct vg_assign *t, const char *domain,
		  char *const *args, unsigned int n);

/* --- vgpiod.c: the daemon, over its JSON control protocol ----------------- */

/* Ask vgpiod to re-read the policy; undo the edit if it refuses. */
int vg_assign_reload(struct vg_txn *x);
/* vgpiod's status, printed by vg_status_print(); RC_NODAEMON if absent. */
int vg_cmd_status(const struct vg_assign *t);
/*
 * device-add SPEC (@add) or device-remove domid=N,base=ADDR: the control
 * commands `device add` and `device remove`; RC_NODAEMON if absent.
 */
int vg_cmd_device(const struct vg_assign *t, bool add, const char *spec);

/* --- status.c ----------------------------------------------------------- */

/* @res, the result of vgpiod's status, on stdout: JSON or for people. */
int vg_status_print(const struct vg_assign *t, const struct vg_json *res);

/* --- output.c ----------------------------------------------------------- */

int vg_cmd_list(const struct vg_assign *t);
int vg_cmd_show(const struct vg_assign *t, const char *domain);
int vg_cmd_check(const struct vg_assign *t);
/*
 * A policy that cannot be read or parsed: "vgpio-assign: FILE:LINE:COL:
 * message@note" on stderr and, with --json, {"policy":FILE,"error":ERR}
 * on stdout (ERR as vg_config_err_json writes it).
 */
void vg_assign_policy_error(const struct vg_assign *t,
			    const struct vg_config_err *e, const char *note);
/* What @w wrote into @b, one line on stdout; frees @b. RC_OK or RC_FAIL. */
int vg_assign_json_print(struct vg_strbuf *b, const struct vg_jw *w);

/* --- xlconfig.c ------------------------------------------------------- */

/*
 * xl-config DOMAIN [options] (@argc words after the command): the xl
 * lines on stdout, and on x86 the ACPI table written. An exit status.
 */
int vg_cmd_xlconfig(struct vg_assign *t, int argc, char **argv);

#endif /* VGPIO_ASSIGN_H */
