// SPDX-License-Identifier: BSD-3-Clause
/* The control-socket client (ctlclient.h). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl.h"
#include "ctlclient.h"

static int fail(struct vg_ctlc *c, int rc, const char *fmt, ...)
	VG_PRINTF(3, 4);
static int fail(struct vg_ctlc *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

int vg_ctlc_connect(struct vg_ctlc *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = VG_CTLC_TIMEOUT_MS;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(c, -ENAMETOOLONG, "%s: %s", path,
			    strerror(ENAMETOOLONG));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(c, -errno, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(c->fd);
		c->fd = -1;
		return fail(c, rc, "%s: %s", path, strerror(-rc));
	}
	return 0;
}

void vg_ctlc_close(struct vg_ctlc *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in.s);
	memset(&c->in, 0, sizeof(c->in));
}

int vg_ctlc_send(struct vg_ctlc *c, const char *line)
{
	size_t len = strlen(line), done = 0;
	char *buf;
	int rc = 0;

	if (strpbrk(line, "\r\n"))
		return fail(c, -EINVAL, "a request is one line");
	buf = malloc(len + 1);
	if (!buf)
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	memcpy(buf, line, len);
	buf[len++] = '\n';
	while (done < len) {
		ssize_t r = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(c, -errno, "send: %s", strerror(errno));
			break;
		}
		done += (size_t)r;
	}
	free(buf);
	return rc;
}

/* Move the first line of c->in (@n bytes, then a newline) to *line. */
static int take_line(struct vg_ctlc *c, size_t n, char **line, size_t *len)
{
	char *s = malloc(n + 1);

	if (!s)
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	memcpy(s, c->in.s, n);
	s[n] = '\0';
	memmove(c->in.s, c->in.s + n + 1, c->in.len - n - 1);
	c->in.len -= n + 1;
	c->in.s[c->in.len] = '\0';
	*line = s;
	*len = n;
	return 0;
}

int vg_ctlc_recv(struct vg_ctlc *c, char **line, size_t *len)
{
	char buf[65536];

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		char *nl = c->in.len ? memchr(c->in.s, '\n', c->in.len) : NULL;
		ssize_t r;

		if (nl)
			return take_line(c, (size_t)(nl - c->in.s), line, len);
		if (c->in.len > VG_CTL_REPLY_MAX)
			return fail(c, -EMSGSIZE, "reply longer than %u bytes",
				    VG_CTL_REPLY_MAX);
		r = poll(&pfd, 1, c->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(c, -errno, "poll: %s", strerror(errno));
		if (r == 0 && !c->timeout_ms)
			return -EAGAIN;
		if (r == 0)
			return fail(c, -ETIMEDOUT,
				    "no reply from vgpiod in %d s",
				    c->timeout_ms / 1000);
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != ECONNRESET)
			return fail(c, -errno, "recv: %s", strerror(errno));
		if (r <= 0)
			return fail(c, -ECONNRESET,
				    "vgpiod closed the connection before the "
				    "reply ended");
		vg_strbuf_addn(&c->in, buf, (size_t)r);
		if (c->in.rc)
			return fail(c, c->in.rc, "%s", strerror(-c->in.rc));
	}
}

int vg_ctlc_text(struct vg_ctlc *c, const char *cmd, struct vg_strbuf *body)
{
	size_t len, total = 0;
	char *line;
	int rc = vg_ctlc_send(c, cmd);

	while (!rc) {
		rc = vg_ctlc_recv(c, &line, &len);
		if (rc)
			break;
		if (!strcmp(line, "ok")) {
			free(line);
			return 0;
		}
		if (!strncmp(line, "error: ", 7)) {
			fail(c, 1, "%s", line + 7);
			free(line);
			return 1;
		}
		total += len + 1;
		vg_strbuf_addn(body, line, len);
		vg_strbuf_add(body, "\n");
		free(line);
		if (total > VG_CTL_REPLY_MAX)
			rc = fail(c, -EMSGSIZE, "reply longer than %u bytes",
				  VG_CTL_REPLY_MAX);
		else if (body->rc)
			rc = fail(c, body->rc, "%s", strerror(-body->rc));
	}
	return rc;
}

int vg_ctlc_request(struct vg_ctlc *c, const char *cmd, const char *args)
{
	struct vg_json *a = NULL;
	struct vg_strbuf b = {0};
	struct vg_jw w;
	int rc;

	/* Checked here: the writer copies raw text as it is. */
	if (args &&
	    (vg_json_parse(args, strlen(args), VG_JSON_DEPTH_MAX, &a, NULL) ||
	     a->type != VG_JSON_OBJ)) {
		vg_json_free(a);
		return fail(c, -EINVAL, "arguments must be a JSON object");
	}
	vg_json_free(a);
	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_ku64(&w, "v", VG_CTL_VERSION);
	vg_jw_kstr(&w, "cmd", cmd);
	if (args) {
		vg_jw_key(&w, "args");
		vg_jw_raw(&w, args, strlen(args));
	}
	vg_jw_obj_end(&w);
	rc = vg_jw_done(&w);
	if (rc)
		fail(c, rc, "%s", strerror(-rc));
	else
		rc = vg_ctlc_send(c, b.s);
	free(b.s);
	return rc;
}

int vg_ctlc_reply(struct vg_ctlc *c, struct vg_ctlc_reply *r)
{
	struct vg_json_err e;
	uint64_t v = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->code = r->message = "";
	rc = vg_ctlc_recv(c, &r->raw, &r->len);
	if (rc)
		return rc;
	rc = vg_json_parse(r->raw, r->len, VG_CTL_REPLY_DEPTH, &r->doc, &e);
	if (rc == -ENOMEM)
		return fail(c, rc, "%s", strerror(ENOMEM));
	if (rc)
		return fail(c, -EPROTO, "not a control reply: byte %zu: %s",
			    e.offset, e.msg);
	if (vg_json_u64(vg_json_get(r->doc, "v"), &v) || v != VG_CTL_VERSION ||
	    !vg_json_get(r->doc, "ok") ||
	    vg_json_get(r->doc, "ok")->type != VG_JSON_BOOL)
		return fail(c, -EPROTO,
			    "not a control reply of protocol version %d",
			    VG_CTL_VERSION);
	r->ok = vg_json_true(vg_json_get(r->doc, "ok"));
	r->result = vg_json_get(r->doc, "result");
	r->error = vg_json_get(r->doc, "error");
	if (!r->ok) {
		r->code = vg_json_get_str(r->error, "code", "?");
		r->message = vg_json_get_str(r->error, "message", "?");
	}
	return 0;
}

int vg_ctlc_call(struct vg_ctlc *c, const char *cmd, const char *args,
		 struct vg_ctlc_reply *r)
{
	int rc = vg_ctlc_request(c, cmd, args);

	if (rc) {
		memset(r, 0, sizeof(*r));
		return rc;
	}
	return vg_ctlc_reply(c, r);
}

void vg_ctlc_reply_free(struct vg_ctlc_reply *r)
{
	vg_json_free(r->doc);
	free(r->raw);
	memset(r, 0, sizeof(*r));
}
