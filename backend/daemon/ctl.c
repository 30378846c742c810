// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl.h"
#include "listen.h"

/*
 * Clients at once. A new one beyond this evicts the oldest: with no timers
 * to reap idle clients, sitting on every slot would lock the admin out.
 */
#define VG_CTL_MAX_CLIENTS 16
/* Connections accepted per wakeup, so a connect flood cannot hog a turn. */
#define VG_CTL_ACCEPT_BATCH 16
/* Output queued for a client that does not read, before we give up. */
#define VG_CTL_OUT_MAX (1u << 20)

struct vg_ctl_client {
	struct vg_ctl *ctl;
	struct vg_ctl_client *prev, *next;
	int fd;
	bool eof; /* client shut down its side: answer, then close */
	bool doomed; /* protocol violation: flush what we can, then close */
	bool overflow; /* output exceeded VG_CTL_OUT_MAX */
	char in[VG_CTL_LINE_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	char reason[160];
};

struct vg_ctl {
	struct vg_evloop *ev;
	struct vg_listener lis;
	const struct vg_ctl_cmd *cmds;
	unsigned int ncmds;
	void *arg;
	struct vg_log *log;
	struct vg_ctl_client *clients; /* newest first */
	unsigned int nclients;
};

static void out_vadd(struct vg_ctl_client *cl, const char *fmt, va_list ap)
	VG_PRINTF(2, 0);
static void out_vadd(struct vg_ctl_client *cl, const char *fmt, va_list ap)
{
	va_list aq;
	size_t need;
	int n;

	if (cl->overflow)
		return;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	need = cl->out_len + (size_t)n + 2;
	if (need > VG_CTL_OUT_MAX) {
		cl->overflow = true;
		return;
	}
	if (need > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(cl->out, cap);
		if (!p) {
			cl->overflow = true;
			return;
		}
		cl->out = p;
		cl->out_cap = cap;
	}
	vsnprintf(cl->out + cl->out_len, (size_t)n + 1, fmt, ap);
	cl->out_len += (size_t)n;
	cl->out[cl->out_len++] = '\n';
}

void vg_ctl_reply(struct vg_ctl_client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vadd(cl, fmt, ap);
	va_end(ap);
}

int vg_ctl_fail(struct vg_ctl_client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cl->reason, sizeof(cl->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static void client_drop(struct vg_ctl_client *cl)
{
	struct vg_ctl *ctl = cl->ctl;

	vg_evloop_del(ctl->ev, cl->fd);
	close(cl->fd);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		ctl->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	ctl->nclients--;
	free(cl->out);
	free(cl);
}

/* --- commands ------------------------------------------------------------- */

static int name_words(const char *name, const char **w, int max)
{
	int n = 0;

	while (*name && n < max) {
		w[n++] = name;
		name = strchr(name, ' ');
		if (!name)
			break;
		name++;
	}
	return n;
}

/* Does @cmd's name equal the first words of @argv? Returns its word count. */
static int cmd_match(const struct vg_ctl_cmd *cmd, int argc, char **argv)
{
	const char *w[4];
	int i, n = name_words(cmd->name, w, 4);

	if (n > argc)
		return 0;
	for (i = 0; i < n; i++) {
		size_t len = strcspn(w[i], " ");

		if (strlen(argv[i]) != len || strncmp(argv[i], w[i], len))
			return 0;
	}
	return n;
}

static void help(struct vg_ctl *ctl, struct vg_ctl_client *cl)
{
	unsigned int i;

	for (i = 0; i < ctl->ncmds; i++)
		vg_ctl_reply(cl, "%s%s%s  %s", ctl->cmds[i].name,
			     ctl->cmds[i].usage[0] ? " " : "",
			     ctl->cmds[i].usage, ctl->cmds[i].help);
	vg_ctl_reply(cl, "help  list the commands");
}

static int run_command(struct vg_ctl *ctl, struct vg_ctl_client *cl, int argc,
		       char **argv)
{
	const struct vg_ctl_cmd *best = NULL;
	unsigned int i;
	int n, best_n = 0;

	if (argc == 0)
		return vg_ctl_fail(cl, "empty command (try help)");
	if (argc == 1 && !strcmp(argv[0], "help")) {
		help(ctl, cl);
		return 0;
	}
	for (i = 0; i < ctl->ncmds; i++) {
		n = cmd_match(&ctl->cmds[i], argc, argv);
		if (n > best_n) {
			best = &ctl->cmds[i];
			best_n = n;
		}
	}
	if (!best)
		return vg_ctl_fail(cl, "unknown command '%s' (try help)",
				   argv[0]);
	if (argc - best_n != best->nargs)
		return vg_ctl_fail(cl, "usage: %s%s%s", best->name,
				   best->usage[0] ? " " : "", best->usage);
	return best->fn(ctl->arg, cl, argc - best_n, argv + best_n);
}

/* One complete line (NUL-terminated, newline stripped). */
static void on_line(struct vg_ctl *ctl, struct vg_ctl_client *cl, char *line)
{
	char *argv[VG_CTL_ARGS_MAX + 1];
	size_t len = strlen(line);
	int argc = 0, rc;
	char *p, *save = NULL;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	cl->reason[0] = '\0';
	for (p = line; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
			vg_ctl_reply(cl, "error: non-printable character in "
					 "command");
			return;
		}
	}
	for (p = strtok_r(line, " \t", &save); p;
	     p = strtok_r(NULL, " \t", &save)) {
		if (argc == VG_CTL_ARGS_MAX) {
			vg_ctl_reply(cl, "error: too many words");
			return;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	rc = run_command(ctl, cl, argc, argv);
	if (rc)
		vg_ctl_reply(cl, "error: %s",
			     cl->reason[0] ? cl->reason : "failed");
	else
		vg_ctl_reply(cl, "ok");
}

/* --- i/o ------------------------------------------------------------------ */

/* Send queued output. Returns -1 if the client is broken. */
static int flush_out(struct vg_ctl_client *cl)
{
	while (cl->out_len) {
		ssize_t r = send(cl->fd, cl->out, cl->out_len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		memmove(cl->out, cl->out + r, cl->out_len - (size_t)r);
		cl->out_len -= (size_t)r;
	}
	return 0;
}

/* Split complete lines off the input buffer and run them. */
static void process_input(struct vg_ctl *ctl, struct vg_ctl_client *cl)
{
	char *nl;

	while ((nl = memchr(cl->in, '\n', cl->in_len))) {
		size_t n = (size_t)(nl - cl->in) + 1;

		*nl = '\0';
		if (memchr(cl->in, '\0', n - 1)) {
			vg_ctl_reply(cl, "error: NUL byte in command");
			cl->doomed = true;
			return;
		}
		on_line(ctl, cl, cl->in);
		memmove(cl->in, cl->in + n, cl->in_len - n);
		cl->in_len -= n;
	}
	if (cl->in_len == sizeof(cl->in)) {
		vg_ctl_reply(cl, "error: line too long (max %d bytes)",
			     VG_CTL_LINE_MAX - 1);
		cl->doomed = true;
	}
}

static void client_event(void *arg, uint32_t events)
{
	struct vg_ctl_client *cl = arg;
	struct vg_ctl *ctl = cl->ctl;
	uint32_t want;

	if ((events & EPOLLIN) && !cl->eof && !cl->doomed) {
		ssize_t r = recv(cl->fd, cl->in + cl->in_len,
				 sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);

		if (r == 0)
			cl->eof = true;
		else if (r < 0 && errno != EAGAIN && errno != EINTR)
			goto drop;
		else if (r > 0)
			cl->in_len += (size_t)r;
		process_input(ctl, cl);
	} else if (events & (EPOLLERR | EPOLLHUP)) {
		goto drop;
	}
	if (cl->overflow) {
		vg_log_debug(ctl->log, "control client not reading, dropped");
		goto drop;
	}
	if (flush_out(cl) < 0)
		goto drop;
	if (cl->out_len == 0 && (cl->eof || cl->doomed))
		goto drop;
	want = (cl->eof || cl->doomed ? 0 : EPOLLIN) |
	       (cl->out_len ? EPOLLOUT : 0);
	if (vg_evloop_mod(ctl->ev, cl->fd, want) < 0)
		goto drop;
	return;
drop:
	client_drop(cl);
}

static void evict_oldest(struct vg_ctl *ctl)
{
	struct vg_ctl_client *cl = ctl->clients;

	while (cl && cl->next)
		cl = cl->next;
	if (!cl)
		return;
	vg_log_guest(ctl->log, "too many control clients, closing the oldest");
	client_drop(cl);
}

static void listen_event(void *arg, uint32_t events)
{
	struct vg_ctl *ctl = arg;
	struct vg_ctl_client *cl;
	int i, fd;

	(void)events;
	for (i = 0; i < VG_CTL_ACCEPT_BATCH; i++) {
		fd = accept4(ctl->lis.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				vg_log_warn(ctl->log, "control accept");
			return;
		}
		if (ctl->nclients >= VG_CTL_MAX_CLIENTS)
			evict_oldest(ctl);
		cl = calloc(1, sizeof(*cl));
		if (cl) {
			cl->ctl = ctl;
			cl->fd = fd;
		}
		if (!cl ||
		    vg_evloop_add(ctl->ev, fd, EPOLLIN, client_event, cl)) {
			vg_log_guest(ctl->log, "refusing a control client");
			free(cl);
			close(fd);
			continue;
		}
		cl->next = ctl->clients;
		if (cl->next)
			cl->next->prev = cl;
		ctl->clients = cl;
		ctl->nclients++;
	}
}

int vg_ctl_new(struct vg_evloop *ev, const char *path,
	       const struct vg_ctl_cmd *cmds, unsigned int ncmds, void *arg,
	       struct vg_log *log, struct vg_ctl **out)
{
	struct vg_ctl *ctl;
	int rc;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->ev = ev;
	ctl->cmds = cmds;
	ctl->ncmds = ncmds;
	ctl->arg = arg;
	ctl->log = log;
	rc = vg_listener_open(&ctl->lis, ev, path, SOCK_STREAM, log,
			      listen_event, ctl);
	if (rc) {
		free(ctl);
		return rc;
	}
	*out = ctl;
	return 0;
}

void vg_ctl_free(struct vg_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_drop(ctl->clients);
	vg_listener_close(&ctl->lis);
	free(ctl);
}
