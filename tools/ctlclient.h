/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of vgpiod's control socket, for every tool that talks
 * to it (vgpio-ctl, vgpio-assign) and for tests: connect, send a request,
 * read its reply. Protocol: docs/vgpiod.8.md, "CONTROL PROTOCOL".
 *
 * One limit for every reply, JSON or text: VG_CTL_REPLY_MAX bytes (what
 * the daemon queues for a client at most). One wait: c->timeout_ms for
 * each reply, VG_CTLC_TIMEOUT_MS unless the caller changes it; 0 means do
 * not wait at all, for a caller that runs the daemon itself (tests).
 *
 * Functions return 0 or -errno and, on error, say why in c->err (a
 * sentence without the program's name). Nothing is printed or logged.
 * Not linked into vgpiod.
 */
#ifndef VGPIO_CTLCLIENT_H
#define VGPIO_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "json.h"
#include "strbuf.h"

#define VG_CTLC_TIMEOUT_MS 10000

struct vg_ctlc {
	int fd; /* -1 when not connected */
	int timeout_ms;
	struct vg_strbuf in; /* received, not yet returned */
	char err[256];
};

/*
 * Connect @c to the socket at @path. 0, or -errno (-ENOENT and
 * -ECONNREFUSED: no daemon listens there). @c needs no closing on error.
 */
int vg_ctlc_connect(struct vg_ctlc *c, const char *path);
/* NULL-safe; @c may be reused for vg_ctlc_connect(). */
void vg_ctlc_close(struct vg_ctlc *c);

/* Send one line; the newline is added. -EINVAL for a line break in it. */
int vg_ctlc_send(struct vg_ctlc *c, const char *line);
/*
 * Receive the next line (without its newline) into a malloc'ed *line,
 * its length in *len. -EAGAIN when c->timeout_ms is 0 and no whole line
 * is there yet (call again), -ETIMEDOUT, -ECONNRESET when the daemon
 * closed the connection first, -EMSGSIZE past VG_CTL_REPLY_MAX.
 */
int vg_ctlc_recv(struct vg_ctlc *c, char **line, size_t *len);

/*
 * A text command: send @cmd, then collect the reply's lines (each with
 * its newline) into @body up to the final line. 0 for "ok"; 1 for
 * "error: ...", its message in c->err; -errno.
 */
int vg_ctlc_text(struct vg_ctlc *c, const char *cmd, struct vg_strbuf *body);

/* A JSON reply (ctl.h), parsed. */
struct vg_ctlc_reply {
	char *raw; /* the reply line as received */
	size_t len;
	struct vg_json *doc; /* all of it */
	bool ok;
	const struct vg_json *result; /* NULL if none */
	const struct vg_json *error; /* NULL on success */
	const char *code, *message; /* the error's; "" on success */
};

/*
 * Send the JSON request {"v":1,"cmd":@cmd,"args":@args}; @args is the
 * text of a JSON object, or NULL for none.
 */
int vg_ctlc_request(struct vg_ctlc *c, const char *cmd, const char *args);
/*
 * Receive and parse the next reply into @r (free with
 * vg_ctlc_reply_free, also on error). 0 whether the daemon says ok or
 * not; -EPROTO for a line that is not a reply of our version; else as
 * vg_ctlc_recv().
 */
int vg_ctlc_reply(struct vg_ctlc *c, struct vg_ctlc_reply *r);
/* vg_ctlc_request(), then vg_ctlc_reply(). */
int vg_ctlc_call(struct vg_ctlc *c, const char *cmd, const char *args,
		 struct vg_ctlc_reply *r);
void vg_ctlc_reply_free(struct vg_ctlc_reply *r);

#endif /* VGPIO_CTLCLIENT_H */
