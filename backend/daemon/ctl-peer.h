/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client end of a control connection held by the daemon itself: the
 * parent's end of the socketpair to a worker, which serves its own
 * command table on it (vg_ctl_adopt in ctl.h). It speaks the JSON
 * control protocol (docs/vgpiod.8.md, "CONTROL PROTOCOL"): one request
 * line per call, one reply line per request, in order.
 *
 * The parent must never wait for a worker, and a worker may be
 * compromised: a peer never blocks (requests are queued and sent as the
 * socket takes them, replies read when the event loop says so), and every
 * reply is untrusted input, checked once here before anyone sees it. A
 * reply line that is longer than VG_CTL_PEER_LINE_MAX, nested deeper
 * than VG_CTL_REPLY_DEPTH, not strict JSON (json.h), not of the reply
 * shape below, or that answers no call, breaks the peer: its socket is
 * closed and every outstanding call fails. So does the worker's hang-up.
 *
 * A reply has exactly these members, and no others:
 *   {"v":1,"ok":true,"result":VALUE}
 *   {"v":1,"ok":false,"error":{"code":CODE,"message":MSG,...}[,"result":V]}
 * CODE is 1..VG_CTL_PEER_CODE_MAX bytes of [a-z0-9-]; MSG is at most
 * VG_CTL_PEER_MESSAGE_MAX bytes with no control characters (so it may go
 * into a log line as it is); the error object may have more members.
 *
 * Logs through the log given to vg_ctl_peer_new: why it broke (warnx for
 * a bad reply, debug for a hang-up).
 */
#ifndef VGPIO_CTL_PEER_H
#define VGPIO_CTL_PEER_H

#include "ctl.h"
#include "evloop.h"
#include "json.h"
#include "log.h"

#define VG_CTL_PEER_LINE_MAX (64u * 1024) /* bytes per reply, newline incl. */
#define VG_CTL_PEER_CALLS_MAX 16u /* calls outstanding at once */
#define VG_CTL_PEER_CODE_MAX 32u /* bytes of an error code */
#define VG_CTL_PEER_MESSAGE_MAX 255u /* bytes of an error message */

struct vg_ctl_peer;

/* A checked reply; valid only during the done() it is passed to. */
struct vg_ctl_peer_reply {
	/* ok: the command's result; error: its partial result, or NULL. */
	const struct vg_json *result;
	/* error: the error object, and its code and message; ok: NULL. */
	const struct vg_json *error;
	const char *code;
	const char *message;
};

/*
 * A call's end, called exactly once: @rc 0 and @reply for a reply with
 * "ok" true; -EREMOTEIO and @reply for one with "ok" false; with @reply
 * NULL, -EPROTO (the peer sent what breaks the rules above), -ECONNRESET
 * (it hung up), -EPIPE (sending failed), another -errno from the socket,
 * or -ECANCELED (vg_ctl_peer_free). May call vg_ctl_peer_call and
 * vg_ctl_peer_free.
 */
typedef void (*vg_ctl_peer_done_fn)(void *arg, int rc,
				    const struct vg_ctl_peer_reply *reply);
/*
 * The peer broke with @rc (as for done()), after every outstanding call's
 * done(): called once, never from vg_ctl_peer_free. May free the peer.
 */
typedef void (*vg_ctl_peer_broken_fn)(void *arg, int rc);

/*
 * A peer on @fd, a connected SOCK_STREAM socket. @broken(@arg) may be
 * NULL. 0 and @fd is the peer's (closed when it breaks or is freed), or
 * -errno and @fd is still the caller's, as with vg_ctl_adopt (-EPROTOTYPE:
 * not a stream socket; -ENOTSOCK).
 */
int vg_ctl_peer_new(struct vg_evloop *ev, int fd, struct vg_log *log,
		    vg_ctl_peer_broken_fn broken, void *arg,
		    struct vg_ctl_peer **out);
/*
 * Free @peer: each outstanding call's done() gets -ECANCELED, the socket
 * is closed. From a done() or broken() of its own, it takes effect when
 * that returns (no other done() than -ECANCELED ones follows). NULL is
 * fine.
 */
void vg_ctl_peer_free(struct vg_ctl_peer *peer);

/*
 * Send {"v":1,"cmd":@cmd,"args":ARGS}, ARGS what @args wrote (a complete
 * object; NULL: no "args"), and call @done(@arg) with its reply, never
 * from inside this call. 0, or -errno and @done is never called:
 * -EINVAL (@cmd not 1..63 printable ASCII bytes, @args not a complete
 * object), -EMSGSIZE (the request line is longer than the server takes,
 * VG_CTL_REQUEST_MAX - 1 bytes), -EBUSY (VG_CTL_PEER_CALLS_MAX calls
 * outstanding), -EPIPE (broken), -ENOMEM.
 */
int vg_ctl_peer_call(struct vg_ctl_peer *peer, const char *cmd,
		     const struct vg_jw *args, vg_ctl_peer_done_fn done,
		     void *arg);

/* Calls sent or queued and not yet answered. */
unsigned int vg_ctl_peer_pending(const struct vg_ctl_peer *peer);

#endif /* VGPIO_CTL_PEER_H */
