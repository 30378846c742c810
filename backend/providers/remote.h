/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "remote": a line provider whose lines live in another process, over one
 * SOCK_SEQPACKET socket. A guest's worker process uses it for the lines
 * of simulated chips, which the parent process owns (a sim chip's lines
 * may be shared out to several domains, wired together and set from the
 * control socket, so the chip lives in one place).
 *
 *   worker                                   parent
 *   vg_remote (client) --- one socket --- vg_remote_server
 *   provider ops -> CALL ......................> checked, run on the
 *                <- RETURN (the same op) ....... real provider (sim)
 *                <- EVENT (edge on a line) .....
 *
 * Every packet is one struct vg_remote_msg, little-endian, fixed size
 * (docs/architecture.md, "Parent and workers", lists the fields). A call
 * waits for its return; events that arrive meanwhile are queued and
 * delivered from dispatch(), never from inside an op (provider.h).
 *
 * The server never opens a line: the owner (the parent) holds every line
 * and lends one when the peer opens it, if the peer's domain may have it
 * with exactly that spec (chip, line and electrical options); the label
 * on the line stays the owner's. The server treats every packet as
 * hostile: exact size, known version and op, NUL-terminated strings,
 * enums in range, handles it gave out. A packet that breaks a rule ends
 * the peer (vg_remote_server_run() returns false); a refused line is an
 * error return. When the peer closes a line or goes, the line is given
 * back to the owner, which puts it into its safe state.
 */
#ifndef VGPIO_REMOTE_H
#define VGPIO_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/provider.h>
#include <vgpio/types.h>
#include "log.h"

#define VG_REMOTE_VERSION 1
#define VG_REMOTE_NAME_MAX 64 /* bytes of a chip or line name, NUL incl. */
#define VG_REMOTE_LINES_MAX 512 /* lines one peer may hold at once */
#define VG_REMOTE_EVENTS_MAX 256 /* edges a client queues during calls */

/*
 * What a lent line may do: the policy's rights (acl.h's VG_ALLOW_*, bit
 * for bit) and its safe state, which the worker must be able to apply
 * whatever the rights. Becoming an input is always allowed (it drives
 * nothing).
 */
#define VG_REMOTE_ALLOW_IN 0x1u /* be read as an input */
#define VG_REMOTE_ALLOW_OUT 0x2u /* be an output at any value */
#define VG_REMOTE_ALLOW_IRQ 0x4u /* detect edges */
#define VG_REMOTE_SAFE_LOW 0x8u /* be an output at 0: its safe state */
#define VG_REMOTE_SAFE_HIGH 0x10u /* be an output at 1: its safe state */

enum vg_remote_op {
	VG_REMOTE_OPEN = 1, /* spec -> handle, name */
	VG_REMOTE_CLOSE, /* handle */
	VG_REMOTE_SET_DIRECTION, /* handle, a = dir, b = value */
	VG_REMOTE_GET_VALUE, /* handle -> a = value */
	VG_REMOTE_SET_VALUE, /* handle, a = value */
	VG_REMOTE_SET_EDGE, /* handle, a = edges */
	VG_REMOTE_EVENT, /* server -> client: handle, a = edge */
	VG_REMOTE_OP_MAX = VG_REMOTE_EVENT,
};

/*
 * One packet. A return repeats the call's op with @rc (0 or -errno) and
 * its results; fields an op does not use are zero.
 */
struct vg_remote_msg {
	struct vg_le16 version;
	struct vg_le16 op;
	struct vg_le32 handle;
	struct vg_le32 a, b;
	struct vg_le32 rc; /* two's complement */
	struct vg_le32 debounce_us;
	uint8_t bias, drive, active_low, initial_dir, initial_value;
	uint8_t pad[3];
	char chip[VG_REMOTE_NAME_MAX]; /* OPEN; RETURN of OPEN: line name */
	char line[VG_REMOTE_NAME_MAX];
};

/* --- client (the worker) -------------------------------------------------- */

struct vg_remote;

/*
 * A provider on connected socket @fd (taken over: closed by _free) that
 * claims the chips named in @chips (@nchips names, borrowed for the
 * provider's life). 0 or -errno. @log may be NULL.
 */
int vg_remote_new(int fd, const char *const *chips, unsigned int nchips,
		  struct vg_log *log, struct vg_remote **out);
void vg_remote_free(struct vg_remote *r);
struct vg_provider vg_remote_provider(struct vg_remote *r);

/* --- server (the parent) -------------------------------------------------- */

struct vg_remote_server;
struct vg_remote_lent; /* one line the peer uses: the owner's cookie */

struct vg_remote_server_params {
	int fd; /* connected socket, taken over */
	/*
	 * The peer opens @spec: find the line the owner holds for it, if
	 * the peer's domain may have it with exactly these options, and
	 * lend it. 0 with the provider and line the server then drives, or
	 * -errno (-EACCES not allowed, -EBUSY already lent), and in *@allow
	 * what the domain may do with it (VG_REMOTE_ALLOW_*): the server
	 * refuses the rest with -EPERM. @cookie is the
	 * server's for this line: the owner passes it to
	 * vg_remote_server_event() for the line's edges while lent.
	 * Required.
	 */
	int (*lend)(void *arg, const struct vg_line_spec *spec,
		    struct vg_remote_lent *cookie, struct vg_provider *prov,
		    struct vg_line **line, unsigned int *allow, void **token);
	/*
	 * The peer closed the line, or is gone: the owner takes it back
	 * (its safe state is the owner's business). Required.
	 */
	void (*give_back)(void *arg, void *token);
	void *arg;
	struct vg_log *log; /* may be NULL */
};

int vg_remote_server_new(const struct vg_remote_server_params *p,
			 struct vg_remote_server **out);
/* The socket, to watch for EPOLLIN. */
int vg_remote_server_fd(const struct vg_remote_server *s);
/*
 * Serve what the peer sent. False when the peer is gone or broke a rule
 * (logged once): the owner then frees the server.
 */
bool vg_remote_server_run(struct vg_remote_server *s);
/* An edge on a lent line: sent to the peer (dropped if it has no room). */
void vg_remote_server_event(struct vg_remote_lent *cookie, unsigned int edge);
/*
 * The owner took a lent line away (revoked by a policy change): the
 * peer's ops on it fail with -EACCES from now on, and closing it gives
 * nothing back (the owner has it already).
 */
void vg_remote_server_revoke(struct vg_remote_lent *cookie);
/* Every lent line given back; the socket closed. NULL is fine. */
void vg_remote_server_free(struct vg_remote_server *s);
/* Lines the peer has now. */
unsigned int vg_remote_server_lines(const struct vg_remote_server *s);

/*
 * One packet from a peer, checked: 0, or -EPROTO with @why saying which
 * rule it breaks. @from_server: an EVENT or a RETURN is expected, else a
 * call. Shared by both ends and the fuzz target.
 */
int vg_remote_check(const struct vg_remote_msg *m, size_t len, bool from_server,
		    const char **why);

#endif /* VGPIO_REMOTE_H */
