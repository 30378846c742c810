/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a SOCK_STREAM unix socket (mode 0600). A client
 * sends one request per line; the server answers it, then reads the next.
 * Two protocols share the socket, line by line:
 *
 *  - JSON (the protocol; docs/vgpiod.8.md, "CONTROL PROTOCOL"): a line
 *    whose first non-blank byte is '{' is one request object,
 *      {"v":1,"cmd":"sim get","args":{"chip":"board","line":"led"}}
 *    and the reply is one line,
 *      {"v":1,"ok":true,"result":{...}}
 *      {"v":1,"ok":false,"error":{"code":"...","message":"..."}}
 *    (an error may carry more members, and the result of what was done
 *    before the error).
 *  - Text (the older protocol, kept for scripts): any other line is words
 *    separated by blanks ("sim get board led"), answered with zero or
 *    more lines and then "ok" or "error: <message>".
 *
 * Both run the same command table. A command reads typed arguments,
 * writes its result as JSON and may fail with a code and a message; the
 * text protocol shows the result through the command's text form. ctl
 * owns framing, parsing, checking requests and arguments against the
 * table, replies, and the built-in "help".
 *
 * Requests are untrusted: lines are bounded (VG_CTL_LINE_MAX for text,
 * VG_CTL_REQUEST_MAX for JSON), JSON is parsed strictly (json.h),
 * and so is every argument. A malformed request gets an error reply and
 * the client may go on; only a line that is too long or holds a NUL byte
 * closes the connection (after the error reply). Output queued for a
 * client that does not read is bounded (VG_CTL_REPLY_MAX); beyond it the
 * client is disconnected. Nothing a client sends touches another client.
 *
 * At most VG_CTL_MAX_CLIENTS clients are connected: a new one closes the
 * oldest, which first gets the error "evicted" (if its socket has room).
 * Evictions are counted (vg_ctl_stats) and logged as a count, at most
 * once per log window (VG_LOG_GUEST_WINDOW_NS): the first at once, the
 * rest of the window with the first connection after it, or at
 * vg_ctl_free. A connect flood can neither fill the log nor hide them.
 *
 * Logs through the log passed to vg_ctl_new (client errors at debug).
 */
#ifndef VGPIO_CTL_H
#define VGPIO_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/types.h>
#include "evloop.h"
#include "json.h"
#include "log.h"

#define VG_CTL_VERSION 1 /* the JSON protocol's "v" */
#define VG_CTL_LINE_MAX 512 /* bytes per text command, newline included */
#define VG_CTL_REQUEST_MAX 4096 /* bytes per JSON request, newline incl. */
#define VG_CTL_REPLY_MAX (1u << 20) /* bytes per reply (clients: too) */
#define VG_CTL_REPLY_DEPTH 16 /* nesting of a reply, for clients */
#define VG_CTL_WORDS_MAX 16 /* words per text command */
#define VG_CTL_ARGS_MAX 8 /* arguments per command */
#define VG_CTL_MAX_CLIENTS 16 /* at once; a new one evicts the oldest */

/* Error codes ("code" of an error reply). */
#define VG_CTL_E_PARSE "parse" /* the request is not JSON */
#define VG_CTL_E_REQUEST "bad-request" /* JSON, but not a request */
#define VG_CTL_E_VERSION "version" /* a "v" this daemon does not speak */
#define VG_CTL_E_TOO_LARGE "too-large" /* line too long (connection closed) */
#define VG_CTL_E_UNKNOWN "unknown-command"
#define VG_CTL_E_ARGS "bad-args" /* missing, unknown or invalid arguments */
#define VG_CTL_E_NOT_FOUND "not-found" /* what an argument names is not */
#define VG_CTL_E_BUSY "busy" /* what an argument names is taken */
#define VG_CTL_E_POLICY "policy" /* the policy was refused, unchanged */
#define VG_CTL_E_UNSUPPORTED "unsupported" /* not in this daemon's mode */
#define VG_CTL_E_PARTIAL "partial" /* done in part; see "result" */
#define VG_CTL_E_INTERNAL "internal" /* out of memory and the like */
#define VG_CTL_E_EVICTED "evicted" /* closed for a newer client */

struct vg_ctl;
struct vg_ctl_call;

enum vg_ctl_arg_type {
	VG_CTL_ARG_STR, /* 1..max printable ASCII bytes */
	VG_CTL_ARG_INT, /* an integer in min..max */
};

struct vg_ctl_arg {
	const char *name; /* JSON member; upper case in the text usage */
	enum vg_ctl_arg_type type;
	int64_t min, max;
};

/*
 * Run a command. Arguments: vg_ctl_arg_str()/vg_ctl_arg_int(), already
 * checked against the command's table. Write the result with the writer
 * from vg_ctl_result() (one value; nothing written is {}); return 0, or
 * the result of vg_ctl_fail(), or VG_CTL_DEFERRED after vg_ctl_defer()
 * (below) to answer later.
 */
typedef int (*vg_ctl_fn)(void *arg, struct vg_ctl_call *call);
/*
 * The text protocol's form of @result (the command's result, parsed):
 * lines with vg_ctl_reply(). Called also when the command failed but
 * wrote a result.
 */
typedef void (*vg_ctl_text_fn)(struct vg_ctl_call *call,
			       const struct vg_json *result);

struct vg_ctl_cmd {
	const char *name; /* one or two words: "status", "sim get" */
	const char *help; /* one line for "help" */
	const struct vg_ctl_arg *args; /* in text order; all required */
	unsigned int nargs; /* at most VG_CTL_ARGS_MAX */
	vg_ctl_fn fn;
	vg_ctl_text_fn text; /* NULL: no lines */
};

/*
 * Listen on @path (see vg_listen_unix for the path rules) and serve
 * the @ncmds commands of @cmds (borrowed, must outlive the ctl) with @arg.
 * A NULL @path listens nowhere: the ctl serves only what vg_ctl_adopt()
 * gives it (a worker, on its parent's socket). 0 or -errno (-EINVAL for
 * a table that breaks the limits above); logs why on failure.
 */
int vg_ctl_new(struct vg_evloop *ev, const char *path,
	       const struct vg_ctl_cmd *cmds, unsigned int ncmds, void *arg,
	       struct vg_log *log, struct vg_ctl **out);
/*
 * Serve @fd, an already connected SOCK_STREAM socket (a socketpair to
 * the parent), as a client: the same framing, limits, protocols and
 * commands as a client of the socket, except that it is never evicted by
 * a newer client and not counted in vg_ctl_stats. When it is closed for
 * any reason (the other end hung up, a framing violation, not reading
 * its replies), @gone(@gone_arg) is called once, if not NULL, from the
 * event loop and as the last thing ctl does in that callback, so it may
 * free the ctl; vg_ctl_free does not call it. 0 and @fd is the ctl's
 * (closed when the client is), or -errno and @fd is still the caller's:
 * -EPROTOTYPE if it is not a stream socket, -ENOTSOCK if no socket.
 */
int vg_ctl_adopt(struct vg_ctl *ctl, int fd, void (*gone)(void *arg),
		 void *gone_arg);
/*
 * Disconnect every client and remove the socket; logs evictions not yet
 * logged. NULL is fine.
 */
void vg_ctl_free(struct vg_ctl *ctl);

/* What the control socket has seen, for status. */
struct vg_ctl_stats {
	unsigned int clients; /* connected now (adopted ones not counted) */
	uint64_t evicted; /* closed to make room for a newer one, in all */
};
void vg_ctl_stats(const struct vg_ctl *ctl, struct vg_ctl_stats *st);

/* Argument @i (the command's args[@i]) of its type. */
const char *vg_ctl_arg_str(const struct vg_ctl_call *call, unsigned int i);
int64_t vg_ctl_arg_int(const struct vg_ctl_call *call, unsigned int i);
/* Where the command writes its result. */
struct vg_jw *vg_ctl_result(struct vg_ctl_call *call);
/*
 * Fail with @code (VG_CTL_E_*) and a message (the text protocol's
 * "error: <message>"); returns -1 for the command fn.
 */
int vg_ctl_fail(struct vg_ctl_call *call, const char *code, const char *fmt,
		...) VG_PRINTF(3, 4);
/*
 * One more member @key of the error object, for details beyond code and
 * message: write exactly one value with the writer returned.
 */
struct vg_jw *vg_ctl_error_member(struct vg_ctl_call *call, const char *key);
/* A text form: queue one reply line (the newline is added). */
void vg_ctl_reply(struct vg_ctl_call *call, const char *fmt, ...)
	VG_PRINTF(2, 3);

/*
 * Deferred answers: a command whose answer needs what comes later (the
 * parent's status, gathered from its workers) takes a handle with
 * vg_ctl_defer() and returns VG_CTL_DEFERRED; a fn that took a handle
 * must return that (ctl asserts it), and what it wrote to the call is
 * dropped. Its arguments are valid only while the fn runs. Later, outside
 * the fn, the owner writes the result to vg_ctl_defer_result() or fails
 * with vg_ctl_defer_fail() (both, for a partial result), then calls
 * vg_ctl_defer_done(), which answers the client in the request's
 * protocol, as for a command that answered at once (its text form too),
 * and frees the handle. Meanwhile the client's next requests are not read,
 * so replies stay in order; other clients are served as usual. If the
 * client goes meanwhile (or the ctl is freed), the handle stays valid and
 * vg_ctl_defer_done() just frees it: every handle is ended by exactly one
 * vg_ctl_defer_done().
 */
#define VG_CTL_DEFERRED 1
struct vg_ctl_defer;
/*
 * The handle of the call being run, to answer later; the same one if
 * called again. NULL if out of memory (the fn then fails as usual).
 */
struct vg_ctl_defer *vg_ctl_defer(struct vg_ctl_call *call);
/* Where the deferred result goes (one value; nothing written is {}). */
struct vg_jw *vg_ctl_defer_result(struct vg_ctl_defer *d);
/* As vg_ctl_fail(), for a deferred answer. Returns -1. */
int vg_ctl_defer_fail(struct vg_ctl_defer *d, const char *code, const char *fmt,
		      ...) VG_PRINTF(3, 4);
/* False once the client is gone: the answer will be discarded. */
bool vg_ctl_defer_wanted(const struct vg_ctl_defer *d);
/* Answer (if the client is still there) and free @d. NULL is fine. */
void vg_ctl_defer_done(struct vg_ctl_defer *d);

#endif /* VGPIO_CTL_H */
