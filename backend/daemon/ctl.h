/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a SOCK_STREAM unix socket (mode 0600) speaking a line
 * protocol. A client sends one command per line ("sim get board 3"); the
 * server answers zero or more lines and then a final "ok" or
 * "error: <reason>" line, and keeps the connection open for the next
 * command. Words are separated by blanks; there is no quoting.
 *
 * ctl owns the framing, the word splitting, argument counting and "help";
 * the commands themselves come from the owner's table (the daemon's
 * status and sim commands). Input lines are bounded (VG_CTL_LINE_MAX),
 * and so is the output queued for a client that does not read; a client
 * that exceeds either is disconnected, touching nothing else.
 *
 * Logs through the log passed to vg_ctl_new (client errors at debug).
 */
#ifndef VGPIO_CTL_H
#define VGPIO_CTL_H

#include <vgpio/types.h>
#include "evloop.h"
#include "log.h"

#define VG_CTL_LINE_MAX 512 /* bytes per command line, newline included */
#define VG_CTL_ARGS_MAX 16 /* words per command line */

struct vg_ctl;
struct vg_ctl_client;

/*
 * Run a command for @cl: @argv holds the @argc words after the command's
 * name. Write output with vg_ctl_reply(); return 0 (ctl sends "ok") or the
 * result of vg_ctl_fail() (ctl sends "error: <reason>").
 */
typedef int (*vg_ctl_fn)(void *arg, struct vg_ctl_client *cl, int argc,
			 char **argv);

struct vg_ctl_cmd {
	const char *name; /* one or two words: "status", "sim get" */
	const char *usage; /* the arguments, e.g. "CHIP LINE"; "" if none */
	int nargs; /* exact number of words after the name */
	const char *help; /* one line for "help" */
	vg_ctl_fn fn;
};

/*
 * Listen on @path (see vg_listen_unix for the path rules) and serve
 * the @ncmds commands of @cmds (borrowed, must outlive the ctl) with @arg.
 * 0 or -errno; logs why on failure.
 */
int vg_ctl_new(struct vg_evloop *ev, const char *path,
	       const struct vg_ctl_cmd *cmds, unsigned int ncmds, void *arg,
	       struct vg_log *log, struct vg_ctl **out);
/* Disconnect every client and remove the socket. NULL is fine. */
void vg_ctl_free(struct vg_ctl *ctl);

/* Queue one reply line (the newline is added). */
void vg_ctl_reply(struct vg_ctl_client *cl, const char *fmt, ...)
	VG_PRINTF(2, 3);
/* Set the reason for "error: <reason>"; returns -1 for the command fn. */
int vg_ctl_fail(struct vg_ctl_client *cl, const char *fmt, ...) VG_PRINTF(2, 3);

#endif /* VGPIO_CTL_H */
