/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's insides, shared by its two halves: ctl.c (clients,
 * framing, the reply queue) and ctl-call.c (one request: the command
 * table, arguments, running a command, the JSON and text answers).
 * Nothing outside these two files uses it.
 */
#ifndef VGPIO_CTL_PRIV_H
#define VGPIO_CTL_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl.h"
#include "json.h"
#include "listen.h"
#include "strbuf.h"

/* A request is {"v","cmd","args":{scalars}}: two levels; room to say so. */
#define VG_CTL_REQUEST_DEPTH 4
/* Longest value quoted back in an argument error. */
#define VG_CTL_SHOWN_MAX 40

struct vg_ctl_client {
	struct vg_ctl *ctl;
	struct vg_ctl_client *prev, *next;
	int fd;
	bool eof; /* client shut down its side: answer, then close */
	bool doomed; /* protocol violation: flush what we can, then close */
	bool overflow; /* output exceeded VG_CTL_REPLY_MAX */
	bool json; /* its last request was JSON: so is its eviction notice */
	bool adopted; /* vg_ctl_adopt: never evicted, not in nclients */
	/* A request being answered later: read no other until it is. */
	struct vg_ctl_defer *deferred;
	void (*gone)(void *arg); /* adopted: called once it is dropped */
	void *gone_arg;
	char in[VG_CTL_REQUEST_MAX];
	size_t in_len;
	struct vg_strbuf out; /* queued replies, at most VG_CTL_REPLY_MAX */
};

/* One request being answered. */
struct vg_ctl_call {
	struct vg_ctl_client *cl;
	const struct vg_ctl_cmd *cmd; /* NULL until known */
	bool json; /* the JSON protocol (else text) */
	const char *str[VG_CTL_ARGS_MAX];
	int64_t num[VG_CTL_ARGS_MAX];
	struct vg_strbuf res; /* the result, once written */
	struct vg_jw res_w;
	const char *err_key; /* the error's one extra member, or NULL */
	struct vg_strbuf err_val;
	struct vg_jw err_w;
	const char *code; /* NULL: no error */
	char message[256];
	struct vg_ctl_defer *defer; /* vg_ctl_defer() was called by the fn */
};

/* A deferred answer (ctl.h): the call it will answer, on the heap. */
struct vg_ctl_defer {
	struct vg_ctl_call call; /* call.cl: NULL once the client is gone */
	bool armed; /* the fn returned VG_CTL_DEFERRED */
};

struct vg_ctl {
	struct vg_evloop *ev;
	struct vg_listener lis;
	const struct vg_ctl_cmd *cmds;
	unsigned int ncmds;
	void *arg;
	struct vg_log *log;
	struct vg_ctl_client *clients; /* newest first, adopted ones too */
	unsigned int nclients; /* not counting adopted ones */
	/* Clients closed to make room for newer ones (ctl.c, evictions). */
	uint64_t evicted; /* in all */
	uint64_t evicted_unlogged; /* not yet in a log line */
	uint64_t evicted_since; /* ns: the first of those */
	uint64_t evicted_logged_at; /* ns: the last log line */
	bool evicted_logged; /* evicted_logged_at is set */
};

/* ctl.c: queue a line (@n bytes and a newline), or note the overflow. */
void vg_ctl_out_add(struct vg_ctl_client *cl, const char *s, size_t n);
void vg_ctl_out_vaddf(struct vg_ctl_client *cl, const char *fmt, va_list ap)
	VG_PRINTF(2, 0);
void vg_ctl_out_addf(struct vg_ctl_client *cl, const char *fmt, ...)
	VG_PRINTF(2, 3);
/*
 * ctl.c: its deferred request answered, read @cl's next ones; the event
 * loop then sends the answers.
 */
void vg_ctl_client_resume(struct vg_ctl_client *cl);

/* ctl-call.c: one request of @cl, answered into its queue. */
void vg_ctl_call_init(struct vg_ctl_call *call, struct vg_ctl_client *cl,
		      bool json);
void vg_ctl_call_dispose(struct vg_ctl_call *call);
void vg_ctl_answer(struct vg_ctl_call *call);
/* A JSON request line (@len bytes, no newline). */
void vg_ctl_on_json(struct vg_ctl_client *cl, const char *line, size_t len);
/* A text command line (NUL-terminated, no newline; split in place). */
void vg_ctl_on_text(struct vg_ctl_client *cl, char *line);

#endif /* VGPIO_CTL_PRIV_H */
