// SPDX-License-Identifier: BSD-3-Clause
/* The table message between parent and worker (table.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vgpio/types.h>
#include "table.h"

struct hdr {
	uint8_t version, zero;
	struct vg_le16 nfds;
	struct vg_le32 len;
};

static int put_name(char *buf, size_t *at, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > VG_TABLE_NAME_MAX || *at + n > VG_TABLE_MAX)
		return -E2BIG;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

int vg_table_send(int sock, const char *text, size_t len,
		  const struct vg_dom_fd *fds, unsigned int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VG_TABLE_FDS_MAX)];
	} cb;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct hdr h = {.version = VG_TABLE_VERSION};
	size_t at = sizeof(h);
	unsigned int i;
	ssize_t r;
	char *buf;
	int rc = 0;

	if (n > VG_TABLE_FDS_MAX || len > VG_TABLE_MAX - sizeof(h))
		return -E2BIG;
	buf = malloc(VG_TABLE_MAX);
	if (!buf)
		return -ENOMEM;
	h.nfds = vg_le16_put((uint16_t)n);
	h.len = vg_le32_put((uint32_t)len);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + at, text, len);
	at += len;
	for (i = 0; i < n && !rc; i++) {
		rc = put_name(buf, &at, fds[i].chip);
		if (!rc)
			rc = put_name(buf, &at, fds[i].line);
		if (!rc)
			rc = put_name(buf, &at, fds[i].name);
	}
	if (rc)
		goto out;
	iov = (struct iovec){.iov_base = buf, .iov_len = at};
	if (n) {
		mh.msg_control = cb.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * n);
		for (i = 0; i < n; i++)
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)) + i * sizeof(int),
			       &fds[i].fd, sizeof(int));
	}
	do {
		r = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	rc = r < 0 ? -errno : 0;
out:
	free(buf);
	return rc;
}

/*
 * A NUL-terminated name of at most VG_TABLE_NAME_MAX bytes at @at; empty
 * only if @may_be_empty (a host line without a name).
 */
static int get_name(const char *buf, size_t end, size_t *at, char *out,
		    bool may_be_empty)
{
	const char *nul = memchr(buf + *at, '\0', end - *at);
	size_t n;

	if (!nul)
		return -EPROTO;
	n = (size_t)(nul - (buf + *at)) + 1;
	if (n > VG_TABLE_NAME_MAX || (n == 1 && !may_be_empty))
		return -EPROTO;
	memcpy(out, buf + *at, n);
	*at += n;
	return 0;
}

int vg_table_recv(int sock, bool wait, char **text, size_t *len,
		  struct vg_table_fd *fds, unsigned int *n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VG_TABLE_FDS_MAX)];
	} cb;
	struct iovec iov;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cb.buf,
		.msg_controllen = sizeof(cb.buf),
	};
	int got[VG_TABLE_FDS_MAX];
	unsigned int ngot = 0, i, nfds;
	struct cmsghdr *cm;
	size_t at, tlen;
	struct hdr h;
	char *buf;
	ssize_t r;
	int rc = -EPROTO;

	*text = NULL;
	*n = 0;
	buf = malloc(VG_TABLE_MAX);
	if (!buf)
		return -ENOMEM;
	iov = (struct iovec){.iov_base = buf, .iov_len = VG_TABLE_MAX};
	do {
		r = recvmsg(sock, &mh,
			    MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		rc = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		free(buf);
		return rc;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k, m;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		m = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < m; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int),
			       sizeof(fd));
			if (ngot < VG_TABLE_FDS_MAX)
				got[ngot++] = fd;
			else
				close(fd);
		}
	}
	if (r == 0 && !ngot) {
		free(buf);
		return -EPIPE;
	}
	if ((size_t)r < sizeof(h) || mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	nfds = vg_le16_get(h.nfds);
	tlen = vg_le32_get(h.len);
	if (h.version != VG_TABLE_VERSION || h.zero || nfds != ngot ||
	    tlen > (size_t)r - sizeof(h) || memchr(buf + sizeof(h), '\0', tlen))
		goto bad;
	at = sizeof(h) + tlen;
	for (i = 0; i < nfds; i++)
		if (get_name(buf, (size_t)r, &at, fds[i].chip, false) ||
		    get_name(buf, (size_t)r, &at, fds[i].line, false) ||
		    get_name(buf, (size_t)r, &at, fds[i].name, true))
			goto bad;
	if (at != (size_t)r)
		goto bad;
	*text = malloc(tlen + 1);
	if (!*text) {
		rc = -ENOMEM;
		goto bad;
	}
	memcpy(*text, buf + sizeof(h), tlen);
	(*text)[tlen] = '\0';
	*len = tlen;
	for (i = 0; i < nfds; i++)
		fds[i].fd = got[i];
	*n = nfds;
	free(buf);
	return 1;
bad:
	for (i = 0; i < ngot; i++)
		close(got[i]);
	free(buf);
	return rc;
}
